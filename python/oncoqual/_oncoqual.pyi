"""Type stubs of the Rust extension behind :mod:`oncoqual`."""

import os
from typing import Any, Dict, Iterable, Iterator, List, Literal, Mapping, Optional, Union

__version__: str

# A chart: a dict (a JSON object as `json.loads` gives it) or its JSON text.
Chart = Union[Mapping[str, Any], str, bytes]
# A JSONL file (a path), JSONL content (bytes), or an iterable of charts, one record each.
Charts = Union[str, "os.PathLike[str]", bytes, Iterable[Chart]]
# A file path, or the JSON value itself (a dict or list).
ConfigInput = Union[str, "os.PathLike[str]", Mapping[str, Any], List[Any]]
# One outcome: {"measure": id, "populations": ["IPP", "DENOM", ...], "strata": {name: value}}.
OutcomeDict = Dict[str, Any]
Errors = Literal["raise", "skip"]

class OncoqualError(Exception):
    """The base of every error oncoqual raises. Messages say where (line, column, field
    path, file) and what (kind, expected), never a chart's values."""

class ChartError(OncoqualError):
    """A chart was refused (invalid, or its evaluation stopped). For a stream, the message
    starts with the file's name and the line (for an iterable, its position, 1-based)."""

class SpecError(OncoqualError):
    """A measure library did not load or check, with every diagnostic; or an unknown
    measure id."""

class TallyError(OncoqualError):
    """Counts that cannot be counted together: a chart given twice (the same chart id,
    practice and round, in one input or across inputs), tallies that share charts, or
    tallies of two libraries, oncoqual versions, chart keys or round calendars."""

class ReportError(OncoqualError):
    """A report could not be built (the tally's library or round calendar is not the
    report's) or read."""

class ConfigError(OncoqualError):
    """An option or configuration input was refused: a period, a rounds file, a practices
    file, a chart key, a report option."""

class Library:
    """A compiled measure library (immutable; safe to share between threads)."""

    @staticmethod
    def bundled() -> "Library":
        """The library of the measures bundled with oncoqual (compiled once per process)."""
    @staticmethod
    def load(path: Union[str, "os.PathLike[str]"]) -> "Library":
        """Loads and checks every ``.oqm`` spec below a folder, as the CLI's ``--specs``.

        Raises :class:`SpecError` with every diagnostic of every file."""
    @property
    def fingerprint(self) -> str:
        """The library's fingerprint (every measure id, spec text and value set); tallies
        and reports are stamped with it."""
    def __len__(self) -> int: ...
    def measures(self) -> List[Dict[str, Any]]:
        """The measures in file-name order: ``id``, ``title``, ``module``, ``tracks``,
        ``direction``, ``scoring``, ``source``, ``version``, ``components``,
        ``stratifiers``."""
    def evaluate(
        self,
        chart: Chart,
        period: Optional[str] = None,
        *,
        rounds: Optional[ConfigInput] = None,
        all: bool = False,
    ) -> List[OutcomeDict]:
        """Evaluates one chart (validated as the CLI validates it).

        ``period`` is ``"START..END"``; by default the chart's round's period (from
        ``rounds``, a rounds file or object, or the default calendar). Returns one dict per
        measure whose initial population the chart is in (every measure with
        ``all=True``): ``{"measure": id, "populations": [...], "strata": {...}}``, with
        the populations' FHIR codes (``IPP``, ``DENOM``, ``DENEX``, ``DENEXCEP``,
        ``NUMER``, ``NUMEX``) in reporting order.

        Raises :class:`ChartError` for an invalid chart (the field path and what was
        expected, never the value)."""
    def evaluate_jsonl(
        self,
        charts: Charts,
        period: Optional[str] = None,
        *,
        rounds: Optional[ConfigInput] = None,
        all: bool = False,
        errors: Errors = "raise",
    ) -> "OutcomeStream":
        """Evaluates a stream of charts lazily, one dict per chart: ``chart``,
        ``practice``, ``round``, ``period``, ``line`` and ``outcomes`` (as
        :meth:`evaluate` returns them). A ``str`` or ``os.PathLike`` is a JSONL file;
        ``bytes`` JSONL content; any other iterable yields charts (dicts or JSON text).

        A chart given twice is refused as the CLI refuses it. With ``errors="raise"``
        (the default) a refused record raises :class:`ChartError`; with ``"skip"`` it is
        skipped and its message kept in :attr:`OutcomeStream.errors`."""
    def explain(
        self,
        chart: Chart,
        measure: str,
        period: Optional[str] = None,
        *,
        rounds: Optional[ConfigInput] = None,
    ) -> "Explanation":
        """Why the chart is or is not in each population of ``measure``. Asking for it is
        the explicit opt-in to see the chart's values."""
    def tally(
        self,
        charts: Charts,
        period: Optional[str] = None,
        *,
        rounds: Optional[ConfigInput] = None,
        chart_key: Union[bytes, str, "os.PathLike[str]", None] = None,
        errors: Errors = "raise",
    ) -> "Tally":
        """Evaluates charts and folds them into a tally, as ``oncoqual tally``: in
        parallel, streaming, with the GIL released (an iterable is read from Python as
        the work goes on).

        A chart given twice (same id, practice and round) refuses the whole tally with
        :class:`TallyError`. Invalid records raise :class:`ChartError` listing them (the
        first ten) with ``errors="raise"``; with ``"skip"`` they are left out and their
        messages kept in :attr:`Tally.skipped`. ``chart_key`` is the program-wide secret
        (bytes, or a file holding it) that keys chart digests: give every shard the same."""

class OutcomeStream(Iterator[Dict[str, Any]]):
    """The outcomes of a stream of charts (:meth:`Library.evaluate_jsonl`)."""

    def __iter__(self) -> "OutcomeStream": ...
    def __next__(self) -> Dict[str, Any]: ...
    @property
    def errors(self) -> List[str]:
        """The located messages of the records skipped so far (``errors="skip"``)."""

class Explanation:
    """Why one chart is or is not in each population of one measure. ``str()`` gives the
    trace ``oncoqual explain`` prints (it shows the chart's values)."""

    @property
    def measure(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def populations(self) -> List[str]: ...
    def to_dict(self) -> Dict[str, Any]:
        """``measure``, ``period``, ``populations``, ``strata``, ``criteria`` (each with
        its ``steps``: ``depth``, ``location``, ``code``, ``value``) and
        ``missing_fields``."""

class Tally:
    """Exact, stamped population counts and the digests of the charts counted; tallies of
    disjoint shards merge exactly, in any order."""

    def __init__(self) -> None:
        """An empty tally: the identity of :meth:`merge`."""
    def merge(self, other: "Tally") -> None:
        """Adds ``other`` into this tally. Raises :class:`TallyError` (and changes
        nothing) when they share a chart (with how many) or were computed with two
        libraries, oncoqual versions, chart keys or round calendars. The skipped messages
        of both are kept."""
    def merged(self, other: "Tally") -> "Tally":
        """A new tally of both; refused as :meth:`merge`."""
    def to_bytes(self) -> bytes:
        """The tally exactly as ``oncoqual tally -o FILE`` writes it (stamped JSON with a
        newline at the end): files and bytes are interchangeable."""
    @staticmethod
    def from_bytes(data: bytes, skipped: Optional[List[str]] = None) -> "Tally":
        """Reads :meth:`to_bytes` or a tally file; :class:`TallyError` when it is not one.
        ``skipped`` restores the messages of :attr:`skipped` (not part of the bytes)."""
    def __reduce__(self) -> Any:
        """Tallies pickle (as their bytes and skipped messages), so they travel between
        processes."""
    @property
    def charts(self) -> int:
        """Unique charts counted."""
    @property
    def rounds(self) -> List[str]: ...
    @property
    def stamp(self) -> Optional[str]:
        """What the counts were computed with (``None`` while empty)."""
    @property
    def skipped(self) -> List[str]:
        """The located messages of the records skipped with ``errors="skip"``."""
    def is_empty(self) -> bool: ...

def benchmark(
    tallies: Union[Tally, Iterable[Tally]],
    practices: Optional[ConfigInput] = None,
    *,
    library: Optional[Library] = None,
    rounds: Optional[ConfigInput] = None,
    period: Optional[str] = None,
    issued_on: Optional[str] = None,
    final_report: bool = False,
    min_denominator: int = 10,
    level: float = 0.95,
    registration: Literal["strict", "list-only"] = "strict",
) -> "Report":
    """Merges tallies and builds the benchmark report, as ``oncoqual benchmark --tallies``
    with the same options (``practices``: a practices file or its list of registrations;
    ``library``: the bundled one by default). ``to_json()`` of the result is byte for byte
    the CLI's ``report.json`` for the same charts and options.

    Raises :class:`TallyError` naming the two inputs (``tallies[i]``) that cannot be merged,
    :class:`ReportError` when the tally's library or calendar is not the report's."""

class Report:
    """A benchmark report (exact numbers; rounded only when rendered)."""

    def to_json(self) -> str:
        """The report as ``oncoqual benchmark -o report.json`` writes it, byte for byte."""
    @staticmethod
    def from_json(text: str, *, library: Optional[Library] = None) -> "Report":
        """Reads a report (``to_json`` or the CLI's ``report.json``)."""
    @property
    def rounds(self) -> List[str]: ...
    @property
    def issued_on(self) -> str: ...
    @property
    def final_report(self) -> bool: ...
    @property
    def registration_checked(self) -> bool: ...
    def tables(self) -> Dict[str, Dict[str, List[Any]]]:
        """The report's tables as plain columns, ``{table: {column: [values]}}``.

        The columns are those of ``oncoqual report --format csv`` (same names, same
        order), with numbers exact to a double (not rounded) and text not quoted:

        - ``practice_rates``: one row per practice x measure x round: ``round``,
          ``practice``, ``measure``, ``title``, ``direction``, ``ipp``, ``denom``,
          ``denex``, ``denexcep``, ``numer``, ``numex``, ``met`` (NUMER - NUMEX),
          ``eligible`` (DENOM - DENEX - DENEXCEP), ``rate``, ``ci_low``, ``ci_high``
          (Wilson), ``suppressed``, ``percentile_rank``, ``national_pooled_rate``,
          ``national_median``;
        - ``national``: one row per measure x round: ``round``, ``measure``, ``title``,
          ``direction``, ``practices``, ``practices_in_distribution``, ``charts``,
          ``pooled_rate``, ``mean``, ``median``, then one column per reported percentile
          (``p10``, ``p25``, ``p50``, ``p75``, ``p90`` by default);
        - ``oqs``: Overall Quality Scores: ``round``, ``practice``, ``track``, ``method``,
          ``met``, ``eligible``, ``measures``, ``charts``, ``missing_measures``
          (``; ``-joined), ``score``, ``percentile_rank``, ``national_practices``, then
          ``national_p10``, ... (the round's score distribution);
        - ``trends``: ``practice``, ``measure``, ``title``, ``direction``, ``from``,
          ``to``, ``skipped`` (``; ``-joined rounds), ``from_rate``, ``to_rate``,
          ``change``, ``z``, ``p_value``, ``verdict``;
        - ``strata``: ``round``, ``level`` (``practice`` or ``national``), ``practice``
          (``None`` for national rows), ``measure``, ``stratifier``, ``stratum``, the six
          counts, ``met``, ``eligible``, ``rate``;
        - ``participation``: ``round``, ``practice``, ``charts`` (unique charts that count);
        - ``exclusions``: ``round``, ``practice``, ``charts``, ``excluded``, ``reasons``
          (registration problems; empty without a practices file).

        Rates and scores are fractions in [0, 1]; a missing value is ``None``.
        Certification eligibility is not in the report (it also needs each practice's
        facts): ``oncoqual certify eligibility`` and ``oncoqual report --facts`` give it."""
    def to_pandas(self) -> Dict[str, Any]:
        """:meth:`tables` as ``pandas.DataFrame`` s (counts ``int64``, rates ``float64``
        with ``NaN`` for missing, text ``object``, flags ``bool``). Needs pandas."""
    def to_arrow(self) -> Dict[str, Any]:
        """:meth:`tables` as ``pyarrow.Table`` s with an explicit schema (``int64``,
        ``float64``, ``string``, ``bool``; nullable). Needs pyarrow."""
