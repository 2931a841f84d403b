"""oncoqual for Python: oncology quality measures over patient charts.

Evaluate charts against the measure library, fold them into exact, stamped tallies that
merge across shards (a chart given twice is refused, never counted twice), and build the
benchmark report, as the ``oncoqual`` command line does, with the same checks, the same
numbers and the same located, PHI-free error messages::

    import oncoqual

    lib = oncoqual.Library.bundled()
    tally = lib.tally("charts.jsonl")               # or an iterable of dicts
    report = oncoqual.benchmark([tally])           # as `oncoqual benchmark`
    rates = report.to_pandas()["practice_rates"]   # pandas is optional

Every error is an :class:`OncoqualError`: :class:`ChartError` (a chart refused),
:class:`SpecError` (a measure library that does not check), :class:`TallyError` (counts
that cannot be counted together), :class:`ReportError` and :class:`ConfigError`.
"""

from ._oncoqual import (
    ChartError,
    ConfigError,
    Explanation,
    Library,
    OncoqualError,
    OutcomeStream,
    Report,
    ReportError,
    SpecError,
    Tally,
    TallyError,
    __version__,
    benchmark,
)

__all__ = [
    "ChartError",
    "ConfigError",
    "Explanation",
    "Library",
    "OncoqualError",
    "OutcomeStream",
    "Report",
    "ReportError",
    "SpecError",
    "Tally",
    "TallyError",
    "__version__",
    "benchmark",
]
