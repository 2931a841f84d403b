-- The timed DuckDB query: read the JSONL once, decide each measure's criteria per chart,
-- apply the population algebra (shared/design.md §2, as oncoqual does) and count every
-- population per (round, practice, measure), as `oncoqual tally` does per (round, practice,
-- measure, stratum). run.py fills in:
--   $$path      the JSONL file (a string literal)
--   $$columns   the columns read: the union of the `read:` lines of common.sql and of the
--              measures run, as a `read_ndjson` column struct (only those fields are parsed
--              into values; the rest of each line is skipped)
--   $$criteria  one `<criteria macro>(c) AS "<measure id>"` per measure run: each macro
--              returns the five criteria of one chart (a struct of booleans, NULL = unknown)
--   $$measures  the quoted measure ids
-- One measure alone and all three together run this same query; together, the file is
-- read once and the three macros are evaluated on each chart in one pass.
WITH charts AS (
  SELECT *, period_start(round) AS ps, period_end(round) AS pe
  FROM read_ndjson($path, columns = $columns)
),
criteria AS (
  SELECT round, practice, $criteria
  FROM charts AS c
),
outcomes AS (
  UNPIVOT criteria ON $measures INTO NAME measure VALUE k
),
populations AS (
  -- Each criterion is a boolean, unknown = false; denominator absent = IPP.
  SELECT round, practice, measure,
    coalesce(k.initial_population, false) AS ipp,
    ipp AND coalesce(k.denominator, true) AS denom,
    denom AND coalesce(k.denominator_exclusion, false) AS denex,
    denom AND NOT denex AND coalesce(k.numerator, false) AS numer,
    false AS numex,
    denom AND NOT denex AND NOT numer AND coalesce(k.denominator_exception, false) AS denexcep
  FROM outcomes
)
SELECT round, practice, measure,
  count(*) AS charts,
  count(*) FILTER (WHERE ipp) AS "IPP",
  count(*) FILTER (WHERE denom) AS "DENOM",
  count(*) FILTER (WHERE denex) AS "DENEX",
  count(*) FILTER (WHERE denexcep) AS "DENEXCEP",
  count(*) FILTER (WHERE numer) AS "NUMER",
  count(*) FILTER (WHERE numex) AS "NUMEX"
FROM populations
GROUP BY round, practice, measure
