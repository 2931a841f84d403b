"""Fixtures: the `oncoqual` binary (for synthetic charts and the byte-for-byte comparisons
with the command line) and a small synthetic data set made with it."""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _binary():
    given = os.environ.get("ONCOQUAL_BIN")
    if given:
        return given
    for profile in ("debug", "release"):
        for target in (os.environ.get("CARGO_TARGET_DIR"), ROOT / "target"):
            if target:
                path = pathlib.Path(target) / profile / "oncoqual"
                if path.is_file():
                    return str(path)
    return shutil.which("oncoqual")


@pytest.fixture(scope="session")
def cli():
    """Runs the `oncoqual` binary; skips (or fails under ONCOQUAL_REQUIRE_TOOLS=1) when
    there is none."""
    binary = _binary()
    if binary is None:
        if os.environ.get("ONCOQUAL_REQUIRE_TOOLS") == "1":
            pytest.fail("no oncoqual binary: build it (cargo build --features cli) or set ONCOQUAL_BIN")
        pytest.skip("no oncoqual binary (cargo build --features cli, or set ONCOQUAL_BIN)")

    def run(*args, check=True):
        return subprocess.run(
            [binary, *map(str, args)], capture_output=True, check=check, stdin=subprocess.DEVNULL
        )

    return run


@pytest.fixture(scope="session")
def synthetic(cli, tmp_path_factory):
    """800 synthetic charts of 10 practices over two rounds, and their practices file."""
    d = tmp_path_factory.mktemp("synth")
    charts, practices = d / "charts.jsonl", d / "practices.json"
    cli(
        "synth", "--charts", 800, "--practices", 10, "--rounds", 2, "--seed", 7,
        "-o", charts, "--practices-out", practices,
    )
    lines = charts.read_text().splitlines()
    assert len(lines) == 800
    return {"dir": d, "charts": charts, "practices": practices, "lines": lines}


# The README's chart: in the tobacco measure's numerator.
CHART = {
    "id": "c1",
    "practice": "p1",
    "round": "2026-1",
    "patient": {"birth_date": "1950-03-14"},
    "diagnoses": [
        {"id": "d1", "cancer_type": "colon", "invasive": True, "diagnosis_date": "2025-10-01"}
    ],
    "encounters": [
        {"kind": "office_visit", "date": "2026-02-01", "with_practice": True, "provider_role": "physician"}
    ],
    "assessments": [{"kind": "tobacco_use", "date": "2026-02-01", "tobacco_status": "never"}],
}


@pytest.fixture
def chart():
    return json.loads(json.dumps(CHART))
