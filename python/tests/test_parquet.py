"""The Parquet files of the command line (`report --format parquet`, `evaluate --format
parquet`), read with pyarrow and pandas: their schemas are the ones docs/parquet.md lists,
and their values are those of `Report.to_pandas()` and `Library.evaluate_jsonl()` for the
same charts. Skipped only when the binary was built without the `parquet` feature."""

import datetime
import decimal
import json
import math
import pathlib
import re

import pytest

import oncoqual

ROOT = pathlib.Path(__file__).resolve().parents[2]

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

WITHOUT = "built without the `parquet` feature"

TYPES = {
    "Utf8": pa.string(),
    "Int64": pa.int64(),
    "Boolean": pa.bool_(),
    "Float64": pa.float64(),
    "Date32": pa.date32(),
    "Decimal128(38, 28)": pa.decimal128(38, 28),
    "Map(Utf8, Utf8)": pa.map_(pa.string(), pa.string()),
}


def documented():
    """docs/parquet.md's tables: {file name: [(column, type, nullable)]}."""
    tables, current = {}, None
    for line in (ROOT / "docs" / "parquet.md").read_text().splitlines():
        if line.startswith("### "):
            current = tables.setdefault(line[4:].strip().strip("`"), [])
        elif line.startswith("| `") and current is not None:
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            current.append((cells[0].strip("`"), cells[1].strip("`"), {"yes": True, "no": False}[cells[2]]))
    return tables


def expanded(columns, percentiles):
    """The documented columns with `p{N}` / `national_p{N}` written out."""
    out = []
    for name, ty, nullable in columns:
        if "{N}" in name:
            out.extend((name.replace("p{N}", p), ty, nullable) for p in percentiles)
        else:
            out.append((name, ty, nullable))
    return out


def run_or_skip(cli, *args):
    done = cli(*args, check=False)
    err = done.stderr.decode()
    if done.returncode != 0 and WITHOUT in err:
        pytest.skip(f"the oncoqual binary was {WITHOUT}")
    assert done.returncode == 0, err
    return done


@pytest.fixture(scope="module")
def written(cli, synthetic, tmp_path_factory):
    d = tmp_path_factory.mktemp("parquet")
    report = d / "report.json"
    cli("benchmark", "--charts", synthetic["charts"], "--practices", synthetic["practices"], "-o", report)
    run_or_skip(cli, "report", "--report", report, "--format", "parquet", "-o", d / "tables")
    run_or_skip(
        cli, "evaluate", "--charts", synthetic["charts"], "--all", "--format", "parquet",
        "-o", d / "outcomes.parquet",
    )
    return {"dir": d, "report": oncoqual.Report.from_json(report.read_text())}


def percentiles(frames):
    return [c for c in frames["national"].columns if re.fullmatch(r"p[0-9.]+", c)]


def test_every_file_has_the_documented_schema(written):
    doc = documented()
    tables = written["dir"] / "tables"
    files = sorted(p.name for p in tables.iterdir())
    # eligibility.parquet only with --facts.
    assert files == sorted(set(doc) - {"eligibility.parquet", "outcomes.parquet"})
    pcts = percentiles(written["report"].to_pandas())
    assert pcts == ["p10", "p25", "p50", "p75", "p90"]
    for name in files + ["outcomes.parquet"]:
        path = tables / name if name != "outcomes.parquet" else written["dir"] / name
        schema = pq.read_schema(path)
        got = [(f.name, f.type, f.nullable) for f in schema]
        want = [(n, TYPES[t], nullable) for n, t, nullable in expanded(doc[name], pcts)]
        assert got == want, name


def plain(value):
    """A cell as `to_pandas()` holds it: a decimal as the nearest double, missing as None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def test_values_are_those_of_to_pandas(written):
    frames = written["report"].to_pandas()
    tables = written["dir"] / "tables"
    assert {p.stem for p in tables.iterdir()} == set(frames)
    for name, frame in frames.items():
        got = pd.read_parquet(tables / f"{name}.parquet")
        assert list(got.columns) == list(frame.columns), name
        assert len(got) == len(frame), name
        for column in frame.columns:
            a = [plain(v) for v in got[column].tolist()]
            b = [plain(v) for v in frame[column].tolist()]
            assert a == b, f"{name}.{column}"
    assert len(frames["practice_rates"]) > 0 and len(frames["strata"]) > 0


def test_rates_are_exact_decimals(written):
    rates = pq.read_table(written["dir"] / "tables" / "practice_rates.parquet")
    exact = [r["rate"] for r in json.loads(written["report"].to_json())["rates"]]
    got = rates.column("rate").to_pylist()
    assert len(got) == len(exact)
    for g, e in zip(got, exact):
        assert (g is None) == (e is None)
        if g is not None:
            assert g == decimal.Decimal(e)


def test_outcome_rows_are_the_evaluated_outcomes(written, synthetic):
    lib = oncoqual.Library.bundled()
    want = []
    for c in lib.evaluate_jsonl(synthetic["charts"], all=True):
        start, end = (datetime.date.fromisoformat(d) for d in c["period"].split(".."))
        for o in sorted(c["outcomes"], key=lambda o: o["measure"]):
            pops = o["populations"]
            want.append(
                {
                    "chart": c["chart"],
                    "round": c["round"],
                    "period_start": start,
                    "period_end": end,
                    "measure": o["measure"],
                    **{p.lower(): p in pops for p in ("IPP", "DENOM", "DENEX", "DENEXCEP", "NUMER", "NUMEX")},
                    "strata": sorted(o["strata"].items()),
                }
            )
    table = pq.read_table(written["dir"] / "outcomes.parquet")
    got = table.to_pylist()
    for row in got:
        row["strata"] = sorted(row["strata"])
    assert len(got) == len(want) > 0
    assert got == want
    frame = pd.read_parquet(written["dir"] / "outcomes.parquet")
    assert len(frame) == len(want) and str(frame["ipp"].dtype) == "bool"
