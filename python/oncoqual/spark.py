"""Score charts on Apache Spark with exact, merged tallies.

Each partition of the charts is evaluated and tallied in Rust on its executor (the same
engine and checks as ``oncoqual tally``), the partitions' tallies are merged with a tree
reduce (a tally holds the keyed digests of the charts it counted, so a chart given in two
partitions is refused, never counted twice), and the driver builds the benchmark report
from the one merged tally, exactly as ``oncoqual benchmark`` does::

    from pyspark.sql import SparkSession
    import oncoqual.spark

    spark = SparkSession.builder.getOrCreate()
    report = oncoqual.spark.benchmark("s3://registry/charts/*.jsonl", practices="practices.json")
    report.to_json()        # byte for byte `oncoqual benchmark --charts ... --practices ...`

Charts come as JSONL files (one chart a line; read with ``SparkContext.textFile``, split
across partitions), Parquet files or any DataFrame with the charts' JSON text in one string
column, or an RDD of JSON strings. A DataFrame without such a column is turned back into
JSON with ``DataFrame.toJSON()``: its schema must keep the chart's JSON types (dates as
``YYYY-MM-DD`` text, counts as integers), so keeping the JSON text is safer.

The executors need this package installed (a native extension: install the wheel on every
node, as a Databricks cluster library, or ship a packed virtual environment with
``spark-submit --archives``; ``--py-files`` cannot load native code), the measure library
(the bundled one, or a ``specs`` folder every executor can read) and nothing else: the rounds calendar, the chart
key and the options are sent with the job. Errors come back to the driver as the same
:class:`oncoqual.OncoqualError` subclasses, with their located, PHI-free messages prefixed
with the partition they came from.

``pyspark`` is not a dependency of the package: import this module where it is installed.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import _oncoqual as _core

__all__ = ["tally", "benchmark"]

# A partition's result, or the merge of several: ("ok", tally bytes, skipped messages),
# ("error", exception class name, message), or ("empty",) before any partition.
_Part = Tuple[Any, ...]

_LIBRARIES: Dict[Optional[str], Any] = {}


def _library(specs: Optional[str]) -> Any:
    """The measure library of an executor process, compiled once per process."""
    lib = _LIBRARIES.get(specs)
    if lib is None:
        lib = _core.Library.load(specs) if specs else _core.Library.bundled()
        _LIBRARIES[specs] = lib
    return lib


def _error(e: BaseException, where: str) -> _Part:
    return ("error", type(e).__name__, f"{where}: {e}")


def _tally_partition(config: Dict[str, Any]):
    """The function each partition runs: its charts (JSON text) → one tally."""

    def run(index: int, charts: Iterator[Any]) -> Iterator[_Part]:
        where = f"partition {index}"
        try:
            lib = _library(config["specs"])
            # The partition as one JSONL text: Rust then reads and evaluates it in
            # parallel without taking the GIL for each chart.
            data = b"\n".join(_as_bytes(c) for c in charts)
            t = lib.tally(
                data,
                config["period"],
                rounds=config["rounds"],
                chart_key=config["chart_key"],
                errors=config["errors"],
            )
        except _core.OncoqualError as e:
            yield _error(e, where)
            return
        yield ("ok", t.to_bytes(), [f"{where}: {m}" for m in t.skipped])

    return run


# The zero of the tree aggregate: no partition yet.
_EMPTY: _Part = ("empty",)


def _as_bytes(chart: Any) -> bytes:
    """One chart's JSON text as UTF-8 (a string, bytes, or a one-field row of either)."""
    if not isinstance(chart, (str, bytes)):
        chart = chart[0]
    return chart.encode("utf-8") if isinstance(chart, str) else chart


def _merge(a: _Part, b: _Part) -> _Part:
    """Merges two partition results (the first error wins; a shared chart is an error)."""
    if a[0] == "empty":
        return b
    if b[0] == "empty" or a[0] != "ok":
        return a
    if b[0] != "ok":
        return b
    try:
        t = _core.Tally.from_bytes(a[1])
        t.merge(_core.Tally.from_bytes(b[1]))
    except _core.OncoqualError as e:
        return _error(e, "merging the partitions' tallies")
    return ("ok", t.to_bytes(), a[2] + b[2])


def _raise(part: _Part) -> None:
    cls = getattr(_core, part[1], None)
    if not (isinstance(cls, type) and issubclass(cls, _core.OncoqualError)):
        cls = _core.OncoqualError
    raise cls(part[2])


def _config_value(value: Any) -> Any:
    """A rounds input as the JSON value it names (a path is read on the driver, so that
    executors need not see the file)."""
    if value is None or isinstance(value, (dict, list)):
        return value
    with open(os.fspath(value), encoding="utf-8") as f:
        return json.load(f)


def _key_value(key: Any) -> Optional[bytes]:
    """The chart key as bytes (a file holding it is read on the driver)."""
    if key is None or isinstance(key, bytes):
        return key
    with open(os.fspath(key), "rb") as f:
        return f.read()


def _is_parquet(path: str) -> bool:
    if path.endswith(".parquet"):
        return True
    return os.path.isdir(path) and any(n.endswith(".parquet") for n in os.listdir(path))


def _charts_rdd(data: Any, spark: Any, column: Optional[str], partitions: Optional[int]):
    """An RDD of chart JSON texts (or one-field rows) from what the caller gave."""
    from pyspark import RDD
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StringType

    if isinstance(data, RDD):
        return data
    if isinstance(data, DataFrame):
        df = data
    else:
        paths: List[str] = [data] if isinstance(data, (str, os.PathLike)) else list(data)
        paths = [os.fspath(p) for p in paths]
        if not paths:
            raise _core.ConfigError("no chart files given")
        spark = spark or SparkSession.builder.getOrCreate()
        parquet = [_is_parquet(p) for p in paths]
        if not any(parquet):
            sc = spark.sparkContext
            return sc.textFile(",".join(paths), minPartitions=partitions or sc.defaultMinPartitions)
        if not all(parquet):
            raise _core.ConfigError("give JSONL files or Parquet files, not both in one call")
        df = spark.read.parquet(*paths)
    if column is not None:
        if column not in df.columns:
            raise _core.ConfigError(f"no column `{column}` in the DataFrame ({', '.join(df.columns)})")
        rdd = df.select(column).rdd
    else:
        strings = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]
        if len(df.schema.fields) == 1 and strings:
            rdd = df.rdd
        else:
            rdd = df.toJSON()
    if partitions is not None and rdd.getNumPartitions() < partitions:
        rdd = rdd.repartition(partitions)
    return rdd


def tally(
    data: Any,
    *,
    spark: Any = None,
    specs: Union[str, "os.PathLike[str]", None] = None,
    period: Optional[str] = None,
    rounds: Any = None,
    chart_key: Any = None,
    errors: str = "raise",
    column: Optional[str] = None,
    partitions: Optional[int] = None,
    depth: int = 2,
) -> _core.Tally:
    """Evaluates and tallies charts on Spark: one tally per partition, merged exactly.

    ``data``: JSONL or Parquet paths (one or a list), a DataFrame (the charts' JSON in a
    string column, ``column`` by name or the only one; otherwise ``toJSON()`` of its rows),
    or an RDD of JSON strings. ``specs``: a spec folder every executor can read (the
    bundled library when ``None``). ``period``, ``rounds``, ``chart_key`` and ``errors``
    are those of :meth:`oncoqual.Library.tally` (``rounds`` and ``chart_key`` given as
    paths are read here, on the driver). ``partitions``: at least this many partitions
    (JSONL files are split, other inputs repartitioned). ``depth``: of the tree reduce.

    Raises :class:`oncoqual.TallyError` when a chart is given twice (in one partition or
    across partitions) or the partitions' tallies cannot be merged, and
    :class:`oncoqual.ChartError` for invalid charts (``errors="raise"``), each naming its
    partition."""
    specs_path = os.fspath(specs) if specs is not None else None
    # Fail early, on the driver, for a library that does not load.
    _library(specs_path)
    config = {
        "specs": specs_path,
        "period": period,
        "rounds": _config_value(rounds),
        "chart_key": _key_value(chart_key),
        "errors": errors,
    }
    if errors not in ("raise", "skip"):
        raise _core.ConfigError(f'errors must be "raise" or "skip", not {errors!r}')
    rdd = _charts_rdd(data, spark, column, partitions)
    parts = rdd.mapPartitionsWithIndex(_tally_partition(config))
    merged = parts.treeAggregate(_EMPTY, _merge, _merge, depth=depth)
    if merged[0] == "empty":
        return _core.Tally()
    if merged[0] != "ok":
        _raise(merged)
    return _core.Tally.from_bytes(merged[1], merged[2])


def benchmark(
    data: Any,
    practices: Any = None,
    *,
    spark: Any = None,
    specs: Union[str, "os.PathLike[str]", None] = None,
    period: Optional[str] = None,
    rounds: Any = None,
    chart_key: Any = None,
    errors: str = "raise",
    column: Optional[str] = None,
    partitions: Optional[int] = None,
    depth: int = 2,
    issued_on: Optional[str] = None,
    final_report: bool = False,
    min_denominator: int = 10,
    level: float = 0.95,
    registration: str = "strict",
) -> _core.Report:
    """Scores charts on Spark and builds the benchmark report on the driver: :func:`tally`
    then :func:`oncoqual.benchmark` with the same options as ``oncoqual benchmark``. The
    report's ``to_json()`` is byte for byte the CLI's on the same charts and options."""
    t = tally(
        data,
        spark=spark,
        specs=specs,
        period=period,
        rounds=rounds,
        chart_key=chart_key,
        errors=errors,
        column=column,
        partitions=partitions,
        depth=depth,
    )
    return _core.benchmark(
        [t],
        practices,
        library=_library(os.fspath(specs) if specs is not None else None),
        rounds=rounds,
        period=period,
        issued_on=issued_on,
        final_report=final_report,
        min_denominator=min_denominator,
        level=level,
        registration=registration,
    )
