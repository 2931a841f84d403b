"""Charts per second: `oncoqual benchmark` (the CLI) against `oncoqual.spark.benchmark` on
PySpark local[N], on the same JSONL file, in the same run (the README's Spark figure).

    python python/bench/spark_vs_cli.py CHARTS.jsonl PRACTICES.json --bin target/release/oncoqual

Each side runs `--repeat` times (default 3) and the median is reported; the Spark side's
session is started once, before timing (JVM start-up is reported apart), and both reports
are checked byte for byte. Build the wheel and the binary in release mode first."""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("charts")
    ap.add_argument("practices")
    ap.add_argument("--bin", default="target/release/oncoqual")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    with open(a.charts, "rb") as f:
        charts = sum(1 for _ in f)
    out = os.path.join(tempfile.mkdtemp(), "report.json")
    cli = []
    for _ in range(a.repeat):
        t = time.perf_counter()
        subprocess.run(
            [a.bin, "benchmark", "--charts", a.charts, "--practices", a.practices, "-o", out],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        cli.append(time.perf_counter() - t)
    want = open(out, "rb").read()

    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    import oncoqual.spark

    t = time.perf_counter()
    spark = (
        SparkSession.builder.master(a.master)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - t
    runs = []
    for _ in range(a.repeat):
        t = time.perf_counter()
        report = oncoqual.spark.benchmark(
            a.charts, practices=a.practices, spark=spark, partitions=a.partitions
        )
        runs.append(time.perf_counter() - t)
        assert report.to_json().encode() == want, "the Spark report differs from the CLI's"
    spark.stop()

    c, s = statistics.median(cli), statistics.median(runs)
    print(f"charts: {charts}; file: {os.path.getsize(a.charts) / 1e6:.0f} MB; load: {os.getloadavg()}")
    print(f"CLI benchmark:            {c:7.2f} s  {charts / c:9,.0f} charts/s  (runs {cli})")
    print(f"spark.benchmark {a.master}: {s:7.2f} s  {charts / s:9,.0f} charts/s  (runs {runs})")
    print(f"Spark session start-up:   {startup:7.2f} s (not in the figure)")
    print(f"Spark ÷ CLI time: {s / c:.2f}; reports byte-identical")


if __name__ == "__main__":
    main()
