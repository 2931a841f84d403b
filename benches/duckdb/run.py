#!/usr/bin/env python3
"""oncoqual against DuckDB SQL, side by side on the same synthetic JSONL (issue 21, item 5).

For each data set (realistic synthetic charts from `oncoqual synth`, and the same charts cut
down to small ones) and each selection (each of three measures alone, and all three
together), it times `oncoqual tally` and the DuckDB query of sql/tally.sql, each cold (a new
process), each on 2 threads, and reports the median wall time, the time ratio and each
one's peak RSS. Before timing it checks that both agree chart by chart (`oncoqual evaluate`
against sql/evaluate.sql, not timed), and after each timed pair that the counts per (round,
practice, measure) agree.

Usage (DuckDB from pip, in a venv under target/; not part of CI):

    cargo build --release --features cli
    python3 -m venv target/duckdb-venv && target/duckdb-venv/bin/pip install duckdb
    target/duckdb-venv/bin/python benches/duckdb/run.py [--charts 100000] [--repeat 3]

See README.md beside this file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SQL = HERE / "sql"

# The measures compared, in the order of the tables.
MEASURES = [
    "prostate.bone-scan-avoidance-low-risk",
    "pain.intensity-quantified-all-treatment-visits",
    "end_of_life.chemo-last-14-days",
]
SELECTIONS = [[m] for m in MEASURES] + [MEASURES]
POPULATIONS = ["IPP", "DENOM", "DENEX", "DENEXCEP", "NUMER", "NUMEX"]

# Small charts: each realistic chart cut to the fields the three measures read and to the
# entries dated in the last SMALL_WINDOW_DAYS days of its reporting period (see small_chart).
SMALL_WINDOW_DAYS = 61

INSTALL_HINT = """DuckDB's Python package is not importable from {python}.
Install it in a venv under target/ (it is not a dependency of the crate, nor run in CI):
    python3 -m venv target/duckdb-venv
    target/duckdb-venv/bin/pip install duckdb
and run this script with that interpreter:
    target/duckdb-venv/bin/python benches/duckdb/run.py"""


# --------------------------------------------------------------------------------------------
# Files


def write_atomic(path: Path, data: bytes) -> None:
    """Writes `path` through a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))


def find_oncoqual(given: str | None) -> Path:
    if given:
        path = Path(given)
    else:
        path = target_dir() / "release" / "oncoqual"
    if not path.is_file():
        sys.exit(
            f"no oncoqual binary at {path}: build it with "
            "`cargo build --release --features cli` (or pass --oncoqual PATH)"
        )
    return path


# --------------------------------------------------------------------------------------------
# Data sets


def synth(oncoqual: Path, out: Path, charts: int, seed: int) -> None:
    if out.exists():
        return
    tmp = out.with_name(out.name + ".tmp")
    subprocess.run(
        [oncoqual, "synth", "--charts", str(charts), "--practices", "200", "--rounds", "2",
         "--seed", str(seed), "-o", tmp],
        check=True,
    )
    os.replace(tmp, out)


def reporting_period(round_id: str) -> tuple[dt.date, dt.date]:
    year, half = round_id.split("-")
    y = int(year)
    if half == "1":
        return dt.date(y, 1, 1), dt.date(y, 6, 30)
    return dt.date(y, 7, 1), dt.date(y, 12, 31)


def small_chart(chart: dict) -> dict:
    """The chart cut to what the three measures read, in the last weeks of its period.

    Kept: the fields the measures read (and the ids their references need); encounters
    (office and telehealth visits), administrations and pain assessments dated in the last
    SMALL_WINDOW_DAYS days of the reporting period; the regimens those administrations
    belong to or active in that window; bone scans; every diagnosis, radiation course,
    surgery and condition. Both engines read the same cut file, so the comparison is exact
    whatever the cut does to the populations.
    """
    start, end = reporting_period(chart["round"])
    lo = end - dt.timedelta(days=SMALL_WINDOW_DAYS)

    def on(x: dict, key: str) -> dt.date | None:
        v = x.get(key)
        return dt.date.fromisoformat(v) if v is not None else None

    def inside(x: dict, key: str) -> bool:
        d = on(x, key)
        return d is not None and lo <= d <= end

    def pick(x: dict, keys: list[str]) -> dict:
        return {k: x[k] for k in keys if k in x}

    out = pick(chart, ["id", "practice", "round"])
    if "patient" in chart:
        out["patient"] = pick(chart["patient"], ["birth_date"])
    if "death" in chart:
        out["death"] = pick(chart["death"], ["date", "cause_is_cancer"])
    out["diagnoses"] = [
        pick(d, ["id", "cancer_type", "invasive", "diagnosis_date", "resolved_date",
                 "t_category", "psa_at_diagnosis", "gleason_score"])
        for d in chart.get("diagnoses", [])
    ]
    out["encounters"] = [
        pick(e, ["kind", "date", "with_practice", "provider_role"])
        for e in chart.get("encounters", [])
        if e.get("kind") in ("office_visit", "telehealth_visit") and inside(e, "date")
    ]
    administrations = [
        pick(a, ["regimen_id", "date", "agent_category"])
        for a in chart.get("administrations", [])
        if inside(a, "date")
    ]
    out["administrations"] = administrations
    given = {a.get("regimen_id") for a in administrations}

    def active(r: dict) -> bool:
        s, e = on(r, "start_date"), on(r, "end_date")
        return s is not None and s <= end and (e is None or e >= lo)

    out["regimens"] = [
        dict(pick(r, ["id", "start_date", "end_date"]),
             agents=[pick(g, ["category", "route"]) for g in r.get("agents", [])])
        for r in chart.get("regimens", [])
        if r.get("id") in given or active(r)
    ]
    out["radiation_courses"] = [
        pick(r, ["target", "start_date", "end_date"]) for r in chart.get("radiation_courses", [])
    ]
    out["surgeries"] = [pick(s, ["kind", "date", "salvage"]) for s in chart.get("surgeries", [])]
    out["procedures"] = [
        pick(p, ["kind", "date", "indication"])
        for p in chart.get("procedures", [])
        if p.get("kind") == "bone_scan"
    ]
    out["assessments"] = [
        pick(a, ["kind", "date", "scale", "score", "severity"])
        for a in chart.get("assessments", [])
        if a.get("kind") == "pain" and inside(a, "date")
    ]
    out["conditions"] = [pick(c, ["kind", "onset_date"]) for c in chart.get("conditions", [])]
    return {k: v for k, v in out.items() if v != []}


def make_small(source: Path, out: Path) -> None:
    if out.exists():
        return
    tmp = out.with_name(out.name + ".tmp")
    with source.open() as src, tmp.open("w") as dst:
        for line in src:
            dst.write(json.dumps(small_chart(json.loads(line)), separators=(",", ":")) + "\n")
    os.replace(tmp, out)


def measure_args(selection: list[str]) -> list[str]:
    """`--measure ID` for each selected measure (the bundled library narrowed to them)."""
    return [a for m in selection for a in ("--measure", m)]


# --------------------------------------------------------------------------------------------
# SQL


def sql_file(measure: str) -> Path:
    return SQL / f"{measure}.sql"


def reads(path: Path) -> list[tuple[str, str]]:
    """The `-- read: PATH TYPE` lines of a SQL file."""
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"--\s*read:\s*(\S+)\s+(.+?)\s*$", line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def criteria_macro(measure: str) -> str:
    m = re.search(r"^--\s*criteria macro:\s*(\w+)\s*$", sql_file(measure).read_text(), re.M)
    if not m:
        sys.exit(f"{sql_file(measure)}: no `-- criteria macro: NAME` line")
    return m.group(1)


def columns(selection: list[str]) -> str:
    """The `read_ndjson` column struct of the union of the fields read. A path segment
    ending in `[]` is a list of records (`regimens[].agents[].route`)."""
    tree: dict = {}
    for path in [SQL / "common.sql"] + [sql_file(m) for m in selection]:
        for field, typ in reads(path):
            node = tree
            parts = field.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            leaf = node.get(parts[-1])
            if leaf is not None and leaf != typ:
                sys.exit(f"{field}: read as {leaf} and as {typ}")
            node[parts[-1]] = typ

    def render(key: str, node) -> str:
        if isinstance(node, str):
            typ = node
        else:
            typ = "STRUCT(" + ", ".join(
                f'"{k[:-2] if k.endswith("[]") else k}" {render(k, v)}' for k, v in node.items()
            ) + ")"
        return typ + "[]" if key.endswith("[]") else typ

    items = ", ".join(
        f"'{k[:-2] if k.endswith('[]') else k}': '{render(k, v)}'" for k, v in tree.items()
    )
    return "{" + items + "}"


def setup_sql(selection: list[str]) -> str:
    return "\n".join([(SQL / "common.sql").read_text()] + [sql_file(m).read_text() for m in selection])


def query_sql(template: str, path: Path, selection: list[str]) -> str:
    quoted = "'" + str(path).replace("'", "''") + "'"
    return string.Template((SQL / template).read_text()).substitute(
        path=quoted,
        columns=columns(selection),
        criteria=", ".join(f'{criteria_macro(m)}(c) AS "{m}"' for m in selection),
        measures=", ".join(f'"{m}"' for m in selection),
    )


# --------------------------------------------------------------------------------------------
# Running and measuring


GNU_TIME = Path("/usr/bin/time")


def measured(cmd: list) -> tuple[float, float]:
    """Runs `cmd` (standard output discarded); returns (wall seconds, peak RSS MB) of `cmd`.

    The peak RSS is read by a small parent: GNU time (`/usr/bin/time -f %M`) when the
    machine has it, else a fresh Python launcher (`measure_child`, which adds its own ~17 MB
    floor). Not os.wait4 on a child of this process: a child forked from here counts this
    process's pages (DuckDB's, after the chart-by-chart check) until it execs, and
    ru_maxrss keeps that peak across exec.
    """
    fd, out = tempfile.mkstemp(prefix="measured.", suffix=".txt")
    os.close(fd)
    try:
        if GNU_TIME.is_file():
            start = time.perf_counter()
            code = subprocess.run([GNU_TIME, "-q", "-f", "%M", "-o", out] + list(cmd),
                                  stdout=subprocess.DEVNULL).returncode
            wall = time.perf_counter() - start
            text = Path(out).read_text().strip()
            kib = float(text.splitlines()[-1]) if code == 0 else 0.0
        else:
            subprocess.run([sys.executable, __file__, "--measure-child", out]
                           + [str(c) for c in cmd], check=True)
            got = json.loads(Path(out).read_text())
            wall, code, kib = got["wall"], got["exit"], got["maxrss_kib"]
    finally:
        Path(out).unlink(missing_ok=True)
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(map(str, cmd))}")
    return wall, kib / 1024


def measure_child(out: str, cmd: list[str]) -> None:
    """The launcher of `measured` without GNU time: runs `cmd`, writes its wall time, exit code and peak RSS
    (ru_maxrss of that child, KiB on Linux) to `out`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    Path(out).write_text(json.dumps({"wall": wall, "exit": code, "maxrss_kib": usage.ru_maxrss}))


def duckdb_child(query_file: str, out: str, threads: str) -> None:
    """The DuckDB side of a timed run, in its own process: a fresh in-memory database,
    the macros, the query; the counts written to `out`."""
    import duckdb

    spec = json.loads(Path(query_file).read_text())
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    con.execute(spec["setup"])
    cur = con.execute(spec["query"])
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    write_atomic(Path(out), json.dumps(rows, default=str).encode())


def duckdb_connect(threads: int):
    try:
        import duckdb
    except ImportError:
        sys.exit(INSTALL_HINT.format(python=sys.executable))
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {threads}")
    return con


def oncoqual_counts(tally: Path, selection: list[str]) -> dict:
    """(round, practice, measure) -> population counts, from an `oncoqual tally` file;
    (round, practice) -> charts under measure None."""
    out = {}
    for row in json.loads(tally.read_text())["rows"]:
        out[(row["round"], row["practice"], None)] = row["charts"]
        for m in selection:
            strata = row["measures"].get(m, {})
            total = strata.get("total", {})
            counts = tuple(total.get(p, 0) for p in POPULATIONS)
            if any(counts):
                out[(row["round"], row["practice"], m)] = counts
    return out


def duckdb_counts(result: Path) -> dict:
    out = {}
    for row in json.loads(result.read_text()):
        out[(row["round"], row["practice"], None)] = row["charts"]
        counts = tuple(row[p] for p in POPULATIONS)
        if any(counts):
            out[(row["round"], row["practice"], row["measure"])] = counts
    return out


def check_charts(oncoqual: Path, charts: Path, work: Path, threads: int) -> dict:
    """Chart-by-chart comparison of `oncoqual evaluate` and sql/evaluate.sql for the three
    measures; returns a summary and writes every disagreement to work/disagreements-*.jsonl."""
    ev = work / f"evaluate-{charts.stem}.jsonl"
    cmd = [oncoqual, "evaluate", "--charts", charts, *measure_args(MEASURES), "-o", ev]
    for m in MEASURES:
        cmd += ["--measure", m]
    subprocess.run([str(c) for c in cmd], check=True)
    ours: dict = {}
    for line in ev.read_text().splitlines():
        o = json.loads(line)
        key = (o["chart"], o["round"])
        if key in ours:
            sys.exit(f"{charts}: chart {key} twice; the comparison needs unique (id, round)")
        ours[key] = {m: sorted(v["populations"]) for m, v in o["outcomes"].items()}

    con = duckdb_connect(threads)
    con.execute(setup_sql(MEASURES))
    n_sql = con.execute(
        f"SELECT count(*) FROM read_ndjson('{charts}', "
        "columns = {'id': 'VARCHAR', 'round': 'VARCHAR'})"
    ).fetchone()[0]
    theirs: dict = {}
    for cid, rnd, m, *flags in con.execute(query_sql("evaluate.sql", charts, MEASURES)).fetchall():
        pops = [p for p, f in zip(["IPP", "DENOM", "DENEX", "DENEXCEP", "NUMER", "NUMEX"], flags) if f]
        theirs.setdefault((cid, rnd), {})[m] = sorted(pops)

    differ = []
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key, {}), theirs.get(key, {})
        for m in MEASURES:
            if a.get(m, []) != b.get(m, []):
                differ.append({"chart": key[0], "round": key[1], "measure": m,
                               "oncoqual": a.get(m, []), "duckdb": b.get(m, [])})
    out = work / f"disagreements-{charts.stem}.jsonl"
    write_atomic(out, "".join(json.dumps(d) + "\n" for d in differ).encode())
    in_ipp = {m: sum(1 for v in ours.values() if m in v) for m in MEASURES}
    return {"charts_oncoqual": len(ours), "charts_duckdb": n_sql, "disagreements": len(differ),
            "disagreements_file": str(out), "in_ipp": in_ipp, "first": differ[:10]}


def fmt_range(xs: list[float], digits: int) -> str:
    return f"{statistics.median(xs):.{digits}f} ({min(xs):.{digits}f}–{max(xs):.{digits}f})"


def bench_dataset(args, oncoqual: Path, work: Path, label: str, charts: Path) -> list[dict]:
    n_charts = sum(1 for _ in charts.open())
    size = charts.stat().st_size / n_charts
    print(f"\n## {label}: {charts} — {n_charts} charts, {size / 1024:.2f} KB per chart", flush=True)
    check = check_charts(oncoqual, charts, work, args.threads)
    print(f"chart by chart: {check['charts_oncoqual']} charts (DuckDB read {check['charts_duckdb']}), "
          f"in IPP {check['in_ipp']}, {check['disagreements']} disagreement(s)"
          + (f", listed in {check['disagreements_file']}" if check["disagreements"] else ""),
          flush=True)
    for d in check["first"]:
        print("  ", json.dumps(d))

    rows = []
    for selection in SELECTIONS:
        name = "all three" if len(selection) > 1 else selection[0]
        spec = {"setup": setup_sql(selection), "query": query_sql("tally.sql", charts, selection)}
        qfile = work / "queries" / f"{charts.stem}-{len(selection)}-{selection[0]}.json"
        write_atomic(qfile, json.dumps(spec).encode())
        tally, result = work / "oncoqual-tally.json", work / "duckdb-tally.json"
        oq_t, oq_m, dd_t, dd_m, agree = [], [], [], [], True
        load = os.getloadavg()[0]
        for _ in range(args.repeat):
            t, m = measured([oncoqual, "tally", "--charts", charts, *measure_args(selection),
                             "-o", tally])
            oq_t.append(t)
            oq_m.append(m)
            t, m = measured([sys.executable, __file__, "--duckdb-child", qfile, result,
                             str(args.threads)])
            dd_t.append(t)
            dd_m.append(m)
            agree &= oncoqual_counts(tally, selection) == duckdb_counts(result)
        ratio = statistics.median(oq_t) / statistics.median(dd_t)
        row = {
            "dataset": label, "measures": name,
            "oncoqual_s": oq_t, "duckdb_s": dd_t, "ratio": ratio,
            "oncoqual_mb": oq_m, "duckdb_mb": dd_m,
            "tallies_agree": agree,
            "load_before": load,
        }
        # Chart by chart: the measures of this selection only.
        differ = [json.loads(l) for l in Path(check["disagreements_file"]).read_text().splitlines()]
        row["charts_agree"] = not any(d["measure"] in selection for d in differ)
        row["charts_compared"] = check["charts_oncoqual"]
        rows.append(row)
        print(f"{name}: oncoqual {fmt_range(oq_t, 2)} s, {fmt_range(oq_m, 0)} MB; "
              f"DuckDB {fmt_range(dd_t, 2)} s, {fmt_range(dd_m, 0)} MB; ratio {ratio:.2f}; "
              f"tallies agree: {agree}; load average before: {load:.1f}", flush=True)
    return rows


def table(rows: list[dict]) -> str:
    out = ["| measure(s) | oncoqual s | DuckDB s | ratio | oncoqual peak MB | DuckDB peak MB "
           "| counts agree (charts compared) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        agree = "yes" if r["charts_agree"] and r["tallies_agree"] else "**no**"
        out.append(
            f"| {r['measures']} | {fmt_range(r['oncoqual_s'], 2)} | {fmt_range(r['duckdb_s'], 2)} "
            f"| {r['ratio']:.2f} | {fmt_range(r['oncoqual_mb'], 0)} | {fmt_range(r['duckdb_mb'], 0)} "
            f"| {agree} ({r['charts_compared']:,}) |")
    return "\n".join(out)


def whole_library(args, oncoqual: Path, work: Path, charts: Path) -> dict:
    n = sum(1 for _ in charts.open())
    ts, ms = [], []
    for _ in range(args.repeat):
        t, m = measured([oncoqual, "benchmark", "--charts", charts, "-o", work / "report.json"])
        ts.append(t)
        ms.append(m)
    rates = [n / t for t in ts]
    load = os.getloadavg()[0]
    print(f"\nwhole library (`oncoqual benchmark`, {n} charts): "
          f"{statistics.median(rates):,.0f} charts/s ({min(rates):,.0f}–{max(rates):,.0f}), "
          f"{fmt_range(ts, 2)} s, peak {fmt_range(ms, 0)} MB", flush=True)
    return {"charts": n, "seconds": ts, "peak_mb": ms, "charts_per_s": rates, "load_after": load}


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--duckdb-child":
        duckdb_child(*sys.argv[2:])
        return
    if len(sys.argv) > 3 and sys.argv[1] == "--measure-child":
        measure_child(sys.argv[2], sys.argv[3:])
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--charts", type=int, default=100_000, help="realistic charts (default 100000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3, help="timed runs of each (default 3)")
    p.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    p.add_argument("--oncoqual", help="the oncoqual binary (default: target/release/oncoqual)")
    p.add_argument("--work", type=Path, help="work directory (default: target/duckdb-bench)")
    p.add_argument("--datasets", default="realistic,small", help="realistic,small (default both)")
    p.add_argument("--whole-library", action="store_true",
                   help="also time `oncoqual benchmark` (202 measures) on the realistic charts")
    p.add_argument("--print-sql", action="store_true",
                   help="print the timed query of all three together and exit")
    args = p.parse_args()

    work = args.work or target_dir() / "duckdb-bench"
    work.mkdir(parents=True, exist_ok=True)
    if args.print_sql:
        print(setup_sql(MEASURES))
        print(query_sql("tally.sql", Path("charts.jsonl"), MEASURES))
        return
    duckdb_connect(args.threads)  # fail early, with the install hint
    oncoqual = find_oncoqual(args.oncoqual)
    realistic = work / f"synth-{args.charts}-seed{args.seed}.jsonl"
    synth(oncoqual, realistic, args.charts, args.seed)
    small = work / f"synth-{args.charts}-seed{args.seed}-small.jsonl"
    make_small(realistic, small)

    import duckdb

    print(f"oncoqual {oncoqual}; DuckDB {duckdb.__version__} (Python {sys.version.split()[0]}), "
          f"{args.threads} threads; {os.cpu_count()} CPUs; {args.repeat} runs each, "
          "median (range)", flush=True)
    results = {"duckdb": duckdb.__version__, "cpus": os.cpu_count(), "datasets": {}}
    sets = {"realistic": realistic, "small": small}
    for label in args.datasets.split(","):
        rows = bench_dataset(args, oncoqual, work, label, sets[label])
        results["datasets"][label] = rows
        print("\n" + table(rows), flush=True)
    if args.whole_library:
        results["whole_library"] = whole_library(args, oncoqual, work, realistic)
    write_atomic(work / "results.json", json.dumps(results, indent=1).encode())
    ok = all(r["charts_agree"] and r["tallies_agree"]
             for rows in results["datasets"].values() for r in rows)
    print(f"\nresults in {work / 'results.json'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
