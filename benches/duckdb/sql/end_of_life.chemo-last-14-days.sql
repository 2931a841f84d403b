-- end_of_life.chemo-last-14-days: Chemotherapy administered within the last 14 days of life
-- (lower is better). Written from the catalog entry (shared/measures/catalog.toml):
--
--   initial population: EOL cohort (shared term: age >= 18 at death, death.date during the
--     reporting period, death.cause_is_cancer = true, >= 2 office visits ever and >= 1
--     office visit in the 180 days before death)
--   denominator: equals initial population; exclusions: none; exceptions: none
--   numerator: Systemic therapy received on a date (shared term: an administrations entry of
--     a chemotherapy regimen on that date, or an oral-agent chemotherapy regimen with
--     start_date on or before it and end_date absent or on/after it) within 14 days before
--     or on death.date
--
-- criteria macro: chemo_last_14_days
-- read: patient.birth_date DATE
-- read: death.date DATE
-- read: death.cause_is_cancer BOOLEAN
-- read: encounters[].kind VARCHAR
-- read: encounters[].date DATE
-- read: encounters[].with_practice BOOLEAN
-- read: encounters[].provider_role VARCHAR
-- read: regimens[].id VARCHAR
-- read: regimens[].start_date DATE
-- read: regimens[].end_date DATE
-- read: regimens[].agents[].category VARCHAR
-- read: regimens[].agents[].route VARCHAR
-- read: administrations[].date DATE
-- read: administrations[].regimen_id VARCHAR

-- EOL cohort; "office visits ever" are distinct dates, "within 180 days before death.date"
-- is [death.date - 180 days, death.date].
CREATE OR REPLACE MACRO eol_cohort(c) AS
  age_at(c.patient.birth_date, c.death.date) >= 18
    AND c.death.date BETWEEN c.ps AND c.pe
    AND c.death.cause_is_cancer
    AND list_transform([office_visit_dates(c)], lambda visits:
          len(visits) >= 2
            AND nonempty(list_filter(visits,
                  lambda d: d BETWEEN c.death.date - 180 AND c.death.date)))[1];

-- The numerator is decided only for charts in the cohort (it counts only there).
CREATE OR REPLACE MACRO chemo_last_14_days(c) AS
  list_transform([coalesce(eol_cohort(c), false)], lambda cohort: {
    'initial_population': cohort,
    'denominator': true,
    'denominator_exclusion': false,
    'denominator_exception': false,
    'numerator': CASE WHEN cohort
                   THEN systemic_therapy_between(c, c.death.date - 14, c.death.date)
                   ELSE false END
  })[1];
