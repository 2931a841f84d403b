"""The Python package against the Rust crate and the command line."""

import json
import pickle
import threading

import pytest

import oncoqual

TOBACCO = "core.tobacco-use-status-documented"
SENTINEL = "ZZSENTINEL"


@pytest.fixture(scope="module")
def lib():
    return oncoqual.Library.bundled()


# --- evaluate ---------------------------------------------------------------------------


def test_a_chart_dict_evaluates(lib, chart):
    outcomes = lib.evaluate(chart)
    by_id = {o["measure"]: o for o in outcomes}
    assert "NUMER" in by_id[TOBACCO]["populations"]
    assert by_id[TOBACCO]["populations"][0] == "IPP"
    assert isinstance(by_id[TOBACCO]["strata"], dict)
    # Only measures whose initial population the chart is in, unless all=True.
    assert all("IPP" in o["populations"] for o in outcomes)
    everything = lib.evaluate(chart, all=True)
    assert len(everything) == len(lib) > len(outcomes)
    # The same chart as JSON text gives the same outcomes.
    assert lib.evaluate(json.dumps(chart)) == outcomes


def test_a_period_and_a_rounds_object_are_taken(lib, chart):
    # A period that ends before the visit: not the numerator any more.
    early = {o["measure"]: o for o in lib.evaluate(chart, "2026-01-01..2026-01-15", all=True)}
    assert "NUMER" not in early[TOBACCO]["populations"]
    rounds = {"2026-1": {"start": "2026-01-01", "end": "2026-01-15"}}
    assert lib.evaluate(chart, rounds=rounds, all=True) == lib.evaluate(
        chart, "2026-01-01..2026-01-15", all=True
    )
    with pytest.raises(oncoqual.ConfigError, match="period"):
        lib.evaluate(chart, "2026-13-01..2026-12-31")


def test_errors_are_located_and_carry_no_patient_value(lib, chart):
    bad_date = json.loads(json.dumps(chart))
    bad_date["regimens"] = [{"id": "r1", "start_date": "2026-02-30"}]
    with pytest.raises(oncoqual.ChartError) as e:
        lib.evaluate(bad_date)
    message = str(e.value)
    assert "error at `regimens[0].start_date`" in message
    assert "expected a real calendar date" in message
    assert "2026-02-30" not in message
    assert isinstance(e.value, oncoqual.OncoqualError)
    chart["diagnoses"][0]["cancer_type"] = SENTINEL
    with pytest.raises(oncoqual.ChartError, match=r"diagnoses\[0\]\.cancer_type") as e:
        lib.evaluate(chart)
    assert SENTINEL not in str(e.value)
    # JSON-level errors are located by line and column.
    with pytest.raises(oncoqual.ChartError, match=r"line 1, column \d+"):
        lib.evaluate('{"id": "c1", "practice": }')
    # A value JSON cannot hold is refused naming a type, never a value.
    with pytest.raises(oncoqual.ChartError, match="cannot be written as JSON") as e:
        lib.evaluate({"id": {SENTINEL}})
    assert SENTINEL not in str(e.value)


def test_explain_says_why(lib, chart):
    why = lib.explain(chart, TOBACCO)
    assert "numerator = true" in str(why)
    assert why.measure == TOBACCO
    assert "NUMER" in why.populations
    d = why.to_dict()
    assert d["measure"] == TOBACCO and d["criteria"]
    with pytest.raises(oncoqual.SpecError, match="did you mean"):
        lib.explain(chart, TOBACCO[:-1])


# --- streaming --------------------------------------------------------------------------


def test_jsonl_streams_from_a_path_bytes_or_an_iterable(lib, synthetic):
    from_path = list(lib.evaluate_jsonl(synthetic["charts"]))
    assert len(from_path) == 800
    first = from_path[0]
    assert set(first) == {"chart", "practice", "round", "period", "line", "outcomes"}
    assert first["line"] == 1
    assert from_path == list(lib.evaluate_jsonl(str(synthetic["charts"])))
    assert from_path == list(lib.evaluate_jsonl(synthetic["charts"].read_bytes()))
    dicts = (json.loads(line) for line in synthetic["lines"])
    assert from_path == list(lib.evaluate_jsonl(dicts))
    # Each line's outcomes are those of evaluate.
    chart = json.loads(synthetic["lines"][5])
    assert from_path[5]["outcomes"] == lib.evaluate(chart)


def test_a_str_is_a_path_and_json_text_is_not_echoed(lib, chart, tmp_path):
    chart["patient"]["sex"] = SENTINEL
    text = json.dumps(chart)
    for call in (lib.evaluate_jsonl, lib.tally):
        with pytest.raises(TypeError, match="a str is the path of a JSONL file") as e:
            call(text)
        assert SENTINEL not in str(e.value)
    with pytest.raises(oncoqual.ChartError, match="cannot read"):
        lib.tally(str(tmp_path / "missing.jsonl"))
    # Configuration inputs may be JSON text, an object or a path.
    rounds = {"2026-1": {"start": "2026-01-01", "end": "2026-01-15"}}
    path = tmp_path / "rounds.json"
    path.write_text(json.dumps(rounds))
    expected = lib.evaluate(chart | {"patient": {}}, rounds=rounds, all=True)
    assert lib.evaluate(chart | {"patient": {}}, rounds=json.dumps(rounds), all=True) == expected
    assert lib.evaluate(chart | {"patient": {}}, rounds=path, all=True) == expected


def test_the_stream_is_lazy(lib, synthetic):
    pulled = []

    def charts():
        for i, line in enumerate(synthetic["lines"]):
            pulled.append(i)
            yield line

    stream = lib.evaluate_jsonl(charts())
    assert pulled == []
    next(stream)
    next(stream)
    assert len(pulled) <= 3


def test_the_stream_raises_or_skips_refused_records(lib, synthetic):
    lines = synthetic["lines"][:5]
    bad = json.loads(lines[2])
    bad["round"] = "2026-9"
    records = [lines[0], lines[1], bad, lines[3], lines[0]]
    stream = lib.evaluate_jsonl(records)
    next(stream)
    next(stream)
    with pytest.raises(oncoqual.ChartError, match=r"^line 3(, column \d+)?: error at `round`"):
        next(stream)
    skipping = lib.evaluate_jsonl(records, errors="skip")
    assert [r["line"] for r in skipping] == [1, 2, 4]
    assert len(skipping.errors) == 2
    assert skipping.errors[1].startswith("line 5: error at `id`: duplicate chart"), skipping.errors
    assert "first read on line 1" in skipping.errors[1]


def test_an_exception_in_the_iterable_is_raised(lib, synthetic):
    def charts():
        yield synthetic["lines"][0]
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        list(lib.evaluate_jsonl(charts()))
    with pytest.raises(KeyError, match="boom"):
        lib.tally(charts())


# --- tallies ----------------------------------------------------------------------------


def test_merged_shards_equal_one_tally_of_every_chart(lib, synthetic):
    lines = synthetic["lines"]
    whole = lib.tally(synthetic["charts"])
    assert whole.charts == 800
    assert whole.rounds == ["2026-1", "2026-2"]
    shards = [lines[0:300], lines[300:550], lines[550:]]
    tallies = [lib.tally(s) for s in shards]
    merged = oncoqual.Tally()
    for t in reversed(tallies):
        merged.merge(t)
    assert merged == whole
    assert merged.to_bytes() == whole.to_bytes()
    assert tallies[0].merged(tallies[1]).merged(tallies[2]) == whole
    # From dicts, bytes and a path alike.
    assert lib.tally([json.loads(x) for x in lines]) == whole
    assert lib.tally(synthetic["charts"].read_bytes()) == whole


def test_a_tally_is_the_clis_tally_file_byte_for_byte(lib, synthetic, cli, tmp_path):
    out = tmp_path / "shard.json"
    cli("tally", "--charts", synthetic["charts"], "-o", out)
    tally = lib.tally(synthetic["charts"])
    assert tally.to_bytes() == out.read_bytes()
    assert oncoqual.Tally.from_bytes(out.read_bytes()) == tally


def test_to_bytes_round_trips_and_pickles(lib, synthetic):
    tally = lib.tally(synthetic["lines"][:100])
    again = oncoqual.Tally.from_bytes(tally.to_bytes())
    assert again == tally and again.to_bytes() == tally.to_bytes()
    assert pickle.loads(pickle.dumps(tally)) == tally
    with pytest.raises(oncoqual.TallyError, match=r"^not a tally: line 1, column"):
        oncoqual.Tally.from_bytes(b'{"format": 2')


def test_duplicate_charts_are_refused(lib, synthetic):
    lines = synthetic["lines"]
    with pytest.raises(oncoqual.TallyError) as e:
        lib.tally(lines[:10] + [lines[3]])
    assert "refused: 1 record repeat a chart already read" in str(e.value)
    assert "line 11: error at `id`: duplicate chart" in str(e.value)
    a = lib.tally(lines[:300])
    b = lib.tally(lines[200:400])
    before = a.to_bytes()
    with pytest.raises(oncoqual.TallyError, match=r"^refused: the tallies share 100 charts"):
        a.merge(b)
    assert a.to_bytes() == before  # nothing changed
    with pytest.raises(oncoqual.TallyError, match="share 300 charts"):
        a.merge(a)
    with pytest.raises(oncoqual.TallyError, match=r"tallies\[2\]: refused: cannot be merged with `tallies\[0\]`"):
        oncoqual.benchmark([a, lib.tally(lines[400:500]), b])


def test_tallies_of_two_libraries_or_calendars_do_not_merge(lib, synthetic, tmp_path):
    specs = tmp_path / "specs" / "core"
    specs.mkdir(parents=True)
    (specs / "example.oqm").write_text(
        "measure core.example {\n  title \"Example\" module core tracks [core]\n"
        "  direction higher_is_better scoring proportion source \"doc\" version \"1\"\n}\n"
        "initial_population = exists diagnoses\nnumerator = exists regimens\n"
    )
    small = oncoqual.Library.load(tmp_path / "specs")
    assert len(small) == 1 and small.fingerprint != lib.fingerprint
    lines = synthetic["lines"]
    ours = lib.tally(lines[:50])
    with pytest.raises(oncoqual.TallyError, match="two measure libraries"):
        ours.merge(small.tally(lines[50:100]))
    with pytest.raises(oncoqual.TallyError, match="evaluated over"):
        ours.merge(lib.tally(lines[50:100], "2026-01-01..2026-03-31"))
    with pytest.raises(oncoqual.TallyError, match="two keys"):
        ours.merge(lib.tally(lines[50:100], chart_key=b"a program-wide secret"))
    # A report is built with the tally's library only.
    with pytest.raises(oncoqual.ReportError, match="measure library"):
        oncoqual.benchmark([small.tally(lines[:50])])
    # The CLI's check of every tally against the report's library first.
    with pytest.raises(oncoqual.TallyError, match=r"^tallies\[0\]: refused: strata"):
        oncoqual.benchmark([ours], library=small)


def test_invalid_records_raise_or_are_skipped(lib, synthetic):
    lines = synthetic["lines"][:20]
    bad = json.loads(lines[4])
    bad["patient"] = {"birth_date": "1950-02-30", "sex": SENTINEL}
    records = lines[:4] + [bad] + lines[5:]
    with pytest.raises(oncoqual.ChartError) as e:
        lib.tally(records)
    assert str(e.value).startswith("1 record was refused")
    assert "\nline 5, column" in str(e.value) and "patient.birth_date" in str(e.value)
    assert SENTINEL not in str(e.value) and "1950-02-30" not in str(e.value)
    t = lib.tally(records, errors="skip")
    assert t.charts == 19 and len(t.skipped) == 1
    assert t == lib.tally(lines[:4] + lines[5:])


def test_a_spec_error_is_located(tmp_path):
    (tmp_path / "broken.oqm").write_text("measure core.broken {\n  title 42\n}\n")
    with pytest.raises(oncoqual.SpecError, match=r"broken\.oqm:\d+:\d+"):
        oncoqual.Library.load(tmp_path)


def test_tallies_run_in_threads(lib, synthetic):
    # The GIL is released while Rust works: two tallies in two threads both finish, and
    # agree with one made alone.
    lines = synthetic["lines"]
    results = {}

    def work(name, part):
        results[name] = lib.tally(part)

    threads = [threading.Thread(target=work, args=(n, p)) for n, p in (("a", lines[:400]), ("b", lines[400:]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["a"].merged(results["b"]) == lib.tally(lines)


# --- benchmark and the report -----------------------------------------------------------


def test_the_report_is_the_clis_byte_for_byte(lib, synthetic, cli, tmp_path):
    out = tmp_path / "report.json"
    cli("benchmark", "--charts", synthetic["charts"], "--practices", synthetic["practices"], "-o", out)
    lines = synthetic["lines"]
    shards = [lib.tally(lines[:333]), lib.tally(lines[333:])]
    report = oncoqual.benchmark(shards, practices=synthetic["practices"])
    assert report.to_json() == out.read_text()
    # The practices as a list, the report read back: the same.
    registrations = json.loads(synthetic["practices"].read_text())
    assert oncoqual.benchmark(shards, registrations).to_json() == out.read_text()
    again = oncoqual.Report.from_json(out.read_text())
    # Read back (serde_json parses a float to within one ulp, so `z` and `p_value` may
    # differ in their last digit when written again: the exact decimals do not).
    for name in ("practice_rates", "national", "oqs", "participation", "exclusions"):
        assert again.tables()[name] == report.tables()[name], name
    assert report.registration_checked and report.rounds == ["2026-1", "2026-2"]


def test_the_report_without_practices_and_with_options_is_the_clis(lib, synthetic, cli, tmp_path):
    tally_file = tmp_path / "t.json"
    out = tmp_path / "report.json"
    cli("tally", "--charts", synthetic["charts"], "-o", tally_file)
    cli(
        "benchmark", "--tallies", tally_file, "--min-denominator", 5, "--level", 0.9,
        "--issued-on", "2027-03-01", "--final", "-o", out,
    )
    report = oncoqual.benchmark(
        oncoqual.Tally.from_bytes(tally_file.read_bytes()),
        min_denominator=5, level=0.9, issued_on="2027-03-01", final_report=True,
    )
    assert report.to_json() == out.read_text()
    assert not report.registration_checked and report.final_report


PRACTICE_RATES = [
    "round", "practice", "measure", "title", "direction", "ipp", "denom", "denex", "denexcep",
    "numer", "numex", "met", "eligible", "rate", "ci_low", "ci_high", "suppressed",
    "percentile_rank", "national_pooled_rate", "national_median",
]
NATIONAL = [
    "round", "measure", "title", "direction", "practices", "practices_in_distribution", "charts",
    "pooled_rate", "mean", "median", "p10", "p25", "p50", "p75", "p90",
]
OQS = [
    "round", "practice", "track", "method", "met", "eligible", "measures", "charts",
    "missing_measures", "score", "percentile_rank", "national_practices", "national_p10",
    "national_p25", "national_p50", "national_p75", "national_p90",
]
TRENDS = [
    "practice", "measure", "title", "direction", "from", "to", "skipped", "from_rate", "to_rate",
    "change", "z", "p_value", "verdict",
]
STRATA = [
    "round", "level", "practice", "measure", "stratifier", "stratum", "ipp", "denom", "denex",
    "denexcep", "numer", "numex", "met", "eligible", "rate",
]
COLUMNS = {
    "practice_rates": PRACTICE_RATES,
    "national": NATIONAL,
    "oqs": OQS,
    "trends": TRENDS,
    "strata": STRATA,
    "participation": ["round", "practice", "charts"],
    "exclusions": ["round", "practice", "charts", "excluded", "reasons"],
}


@pytest.fixture(scope="module")
def report(lib, synthetic):
    return oncoqual.benchmark(lib.tally(synthetic["charts"]), practices=synthetic["practices"])


def test_tables_have_the_documented_columns_and_the_reports_numbers(report):
    tables = report.tables()
    assert {name: list(cols) for name, cols in tables.items()} == COLUMNS
    doc = json.loads(report.to_json())
    rates = tables["practice_rates"]
    assert len(rates["practice"]) == len(doc["rates"]) > 0
    for i in (0, len(doc["rates"]) - 1):
        r = doc["rates"][i]
        assert rates["practice"][i] == r["practice"] and rates["measure"][i] == r["measure"]
        assert rates["numer"][i] == r["counts"]["NUMER"]
        assert rates["rate"][i] == (None if r["rate"] is None else float(r["rate"]))
    assert len(tables["national"]["measure"]) == len(doc["national"])
    assert len(tables["oqs"]["score"]) == len(doc["overall_quality_scores"])
    assert len(tables["trends"]["verdict"]) == len(doc["trends"])
    assert sum(tables["participation"]["charts"]) + sum(tables["exclusions"]["charts"]) == 800


def test_the_tables_match_the_clis_csv_headers(report, cli, tmp_path):
    path = tmp_path / "report.json"
    path.write_text(report.to_json())
    cli("report", "--report", path, "--format", "csv", "-o", tmp_path / "csv")
    for name in ("practice_rates", "national", "oqs", "trends", "strata"):
        header = (tmp_path / "csv" / f"{name}.csv").read_text().splitlines()[0].split(",")
        assert header == COLUMNS[name], name


def test_pandas_tables_have_the_documented_columns_and_types(report):
    pd = pytest.importorskip("pandas")
    frames = report.to_pandas()
    assert set(frames) == set(COLUMNS)
    for name, frame in frames.items():
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.columns) == COLUMNS[name], name
    rates = frames["practice_rates"]
    assert str(rates["numer"].dtype) == "int64"
    assert str(rates["rate"].dtype) == "float64"
    assert str(rates["suppressed"].dtype) == "bool"
    assert len(rates) == len(report.tables()["practice_rates"]["round"])
    # Empty tables keep their columns and types.
    empty = oncoqual.benchmark(oncoqual.Tally()).to_pandas()["practice_rates"]
    assert len(empty) == 0 and list(empty.columns) == PRACTICE_RATES
    assert str(empty["numer"].dtype) == "int64"


def test_arrow_tables_have_a_schema(report):
    pa = pytest.importorskip("pyarrow")
    tables = report.to_arrow()
    rates = tables["practice_rates"]
    assert isinstance(rates, pa.Table)
    assert rates.column_names == PRACTICE_RATES
    assert rates.schema.field("numer").type == pa.int64()
    assert rates.schema.field("rate").type == pa.float64()
    assert rates.schema.field("practice").type == pa.string()
    assert tables["strata"].schema.field("practice").nullable
