"""oncoqual.spark on PySpark in local mode (local[2]): the merged report is byte for byte
the CLI's, duplicates across partitions are refused, errors come back located.

Needs pyspark and Java (``.ci/run`` installs pyspark; Java 17 is on the machine). Without
them the tests skip, or fail under ONCOQUAL_REQUIRE_TOOLS=1."""

import os
import pickle
import shutil
import sys

import pytest

import oncoqual

# The charts of the byte-identity test (the issue asks for at least 100,000 in at least 8
# partitions); ONCOQUAL_SPARK_CHARTS may lower it on a developer's machine.
CHARTS = int(os.environ.get("ONCOQUAL_SPARK_CHARTS", "100000"))
PARTITIONS = 8


def _require(what):
    if os.environ.get("ONCOQUAL_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{what} is required (ONCOQUAL_REQUIRE_TOOLS=1)")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="module")
def spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _require("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _require("java")
    import oncoqual.spark  # noqa: F401  (the module imports once pyspark is there)

    # The executors' Python is this one, with the package installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("oncoqual-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def many(cli, tmp_path_factory):
    """CHARTS synthetic charts of 20 practices over two rounds, their practices file and the
    CLI's report on them."""
    d = tmp_path_factory.mktemp("spark")
    charts, practices, report = d / "charts.jsonl", d / "practices.json", d / "report.json"
    cli(
        "synth", "--charts", CHARTS, "--practices", 20, "--rounds", 2, "--seed", 11,
        "-o", charts, "--practices-out", practices,
    )
    cli("benchmark", "--charts", charts, "--practices", practices, "-o", report)
    return {"charts": charts, "practices": practices, "report": report}


def test_the_spark_report_is_byte_identical_to_the_cli_benchmark(spark, many):
    import oncoqual.spark

    rdd = spark.sparkContext.textFile(str(many["charts"]), minPartitions=PARTITIONS)
    assert rdd.getNumPartitions() >= PARTITIONS
    report = oncoqual.spark.benchmark(
        str(many["charts"]), practices=str(many["practices"]), spark=spark, partitions=PARTITIONS
    )
    assert report.to_json().encode() == many["report"].read_bytes()
    assert CHARTS >= 100_000 or "ONCOQUAL_SPARK_CHARTS" in os.environ


def test_a_dataframe_of_json_text_tallies_as_the_library_does(spark, synthetic):
    import oncoqual.spark

    lib = oncoqual.Library.bundled()
    want = lib.tally(synthetic["lines"])
    df = spark.createDataFrame([(line, i) for i, line in enumerate(synthetic["lines"])], ["chart", "n"])
    got = oncoqual.spark.tally(df.repartition(PARTITIONS), column="chart")
    assert got.to_bytes() == want.to_bytes()
    # One string column needs no name; an RDD of strings is read as it is.
    only = spark.createDataFrame([(line,) for line in synthetic["lines"]], ["value"])
    assert oncoqual.spark.tally(only, partitions=PARTITIONS).to_bytes() == want.to_bytes()
    rdd = spark.sparkContext.parallelize(synthetic["lines"], PARTITIONS)
    assert oncoqual.spark.tally(rdd).to_bytes() == want.to_bytes()
    # A Parquet file of the charts' JSON text.
    path = str(synthetic["dir"] / "charts.parquet")
    only.write.mode("overwrite").parquet(path)
    assert oncoqual.spark.tally(path, spark=spark).to_bytes() == want.to_bytes()


def test_a_chart_given_in_two_partitions_is_refused(spark, synthetic):
    import oncoqual.spark

    lines = synthetic["lines"][:200]
    # The first chart again, in the last partition.
    rdd = spark.sparkContext.parallelize(lines + lines[:1], PARTITIONS)
    assert rdd.getNumPartitions() == PARTITIONS
    with pytest.raises(oncoqual.TallyError, match="merging the partitions' tallies: refused"):
        oncoqual.spark.tally(rdd)
    # Within one partition it is refused by the partition's tally, which says where.
    one = spark.sparkContext.parallelize(lines[:5] + lines[:1], 1)
    with pytest.raises(oncoqual.TallyError, match=r"^partition 0: refused: 1 record repeat"):
        oncoqual.spark.tally(one)


def test_invalid_charts_come_back_located_by_partition(spark, synthetic):
    import oncoqual.spark

    lines = synthetic["lines"][:40] + ['{"id": "broken"']
    rdd = spark.sparkContext.parallelize(lines, 2)
    with pytest.raises(oncoqual.ChartError) as e:
        oncoqual.spark.tally(rdd)
    message = str(e.value)
    assert message.startswith("partition 1: 1 record was refused")
    assert "broken" not in message.split("\n", 1)[0]
    t = oncoqual.spark.tally(rdd, errors="skip")
    assert t.charts == 40
    assert len(t.skipped) == 1 and t.skipped[0].startswith("partition 1: ")
    # The skipped messages survive pickling (tallies travel between processes).
    assert pickle.loads(pickle.dumps(t)).skipped == t.skipped


def test_an_empty_input_gives_an_empty_tally_and_bad_options_are_refused(spark, tmp_path):
    import oncoqual.spark

    empty = spark.sparkContext.parallelize([], 3)
    assert oncoqual.spark.tally(empty).is_empty()
    with pytest.raises(oncoqual.ConfigError, match="no column `chart`"):
        oncoqual.spark.tally(spark.createDataFrame([("x",)], ["value"]), column="chart")
    with pytest.raises(oncoqual.ConfigError, match="errors must be"):
        oncoqual.spark.tally(empty, errors="ignore")
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "b.parquet").write_text("")
    with pytest.raises(oncoqual.ConfigError, match="not both"):
        oncoqual.spark.tally([str(tmp_path / "a.jsonl"), str(tmp_path / "b.parquet")], spark=spark)
    # A library that does not check is refused on the driver, before any job.
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "broken.oqm").write_text("measure broken\nnumerator = existx encounters\n")
    with pytest.raises(oncoqual.SpecError):
        oncoqual.spark.tally(empty, specs=str(tmp_path / "specs"))
