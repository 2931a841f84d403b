-- Per-chart populations (not timed), to compare chart by chart with `oncoqual evaluate`:
-- the same charts, criteria and population algebra as tally.sql, one row per chart and
-- measure whose initial population the chart is in. Placeholders as in tally.sql.
WITH charts AS (
  SELECT *, period_start(round) AS ps, period_end(round) AS pe
  FROM read_ndjson($path, columns = $columns)
),
criteria AS (
  SELECT id, round, $criteria
  FROM charts AS c
),
outcomes AS (
  UNPIVOT criteria ON $measures INTO NAME measure VALUE k
),
populations AS (
  SELECT id, round, measure,
    coalesce(k.initial_population, false) AS ipp,
    ipp AND coalesce(k.denominator, true) AS denom,
    denom AND coalesce(k.denominator_exclusion, false) AS denex,
    denom AND NOT denex AND coalesce(k.numerator, false) AS numer,
    false AS numex,
    denom AND NOT denex AND NOT numer AND coalesce(k.denominator_exception, false) AS denexcep
  FROM outcomes
)
SELECT id, round, measure, ipp, denom, denex, denexcep, numer, numex
FROM populations
WHERE ipp
