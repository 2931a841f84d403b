"""`oncoqual test --format junit` read by an independent JUnit consumer (junitparser, the
parser CI services and pytest plugins use): one suite per measure, one test case per case
file, a wrong expectation as a failure whose message names the population and whose text
holds the explain trace, an unreadable case as an error."""

import json

import pytest

from conftest import CHART

junitparser = pytest.importorskip("junitparser")

TOBACCO = "core.tobacco-use-status-documented"
PAIN = "core.pain-assessed-by-second-visit"


def write_case(folder, name, expect, chart=CHART):
    folder.mkdir(parents=True, exist_ok=True)
    case = {"description": f"{name} <&> \"quoted\"", "chart": chart, "expect": expect}
    (folder / f"{name}.json").write_text(json.dumps(case))


def test_junit_report_loads_in_a_junit_consumer_with_suites_cases_failures_and_errors(cli, tmp_path):
    deck = tmp_path / "cases"
    write_case(deck / TOBACCO, "numer", ["initial-population", "denominator", "numerator"])
    write_case(deck / TOBACCO, "wrong-denom", ["IPP", "DENOM"])
    (deck / TOBACCO / "broken.json").write_text("{not json")
    write_case(deck / PAIN, "no-visits", [], chart={**CHART, "encounters": []})
    run = cli("test", deck, "--format", "junit", check=False)
    assert run.returncode == 1, run.stderr
    path = tmp_path / "junit.xml"
    path.write_bytes(run.stdout)

    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = {s.name: s for s in xml}
    assert set(suites) == {TOBACCO, PAIN}
    assert (xml.tests, xml.failures, xml.errors) == (4, 1, 1)

    tobacco = {case.name: case for case in suites[TOBACCO]}
    assert set(tobacco) == {"broken", "numer", "wrong-denom"}
    assert suites[TOBACCO].tests == 3
    assert tobacco["numer"].is_passed
    assert tobacco["numer"].classname == TOBACCO

    (failure,) = tobacco["wrong-denom"].result
    assert isinstance(failure, junitparser.Failure)
    assert "NUMER" in failure.message
    assert "numerator = true" in failure.text, failure.text

    (error,) = tobacco["broken"].result
    assert isinstance(error, junitparser.Error)
    assert error.message

    (pain,) = list(suites[PAIN])
    assert pain.is_passed
