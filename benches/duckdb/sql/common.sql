-- Shared terms of the measure catalog (shared/measures/README.md, "Shared terms"), written
-- once as DuckDB macros, as measure-specs/lib/common.oqm writes them for oncoqual.
--
-- Every macro takes the chart row `c` (a struct of the columns read from the JSONL, plus
-- `ps` and `pe`, the first and last day of the chart's reporting period). Every window is
-- inclusive at both ends; a bare "before" / "after" excludes the anchor. A criterion that
-- cannot be decided because a field is missing is not met: SQL's NULL plays the catalog's
-- "unknown", `list_filter` keeps only elements whose condition is TRUE, and the driver turns
-- a NULL criterion into false (the population algebra of design §2 is applied in
-- tally.sql / evaluate.sql, not here).
--
-- read: id VARCHAR
-- read: practice VARCHAR
-- read: round VARCHAR

-- The reporting period of round `YYYY-1` is 1 Jan to 30 Jun, of `YYYY-2` 1 Jul to 31 Dec.
CREATE OR REPLACE MACRO period_start(round) AS
  make_date(CAST(split_part(round, '-', 1) AS INTEGER),
            CASE split_part(round, '-', 2) WHEN '1' THEN 1 ELSE 7 END, 1);
CREATE OR REPLACE MACRO period_end(round) AS
  CASE split_part(round, '-', 2)
    WHEN '1' THEN make_date(CAST(split_part(round, '-', 1) AS INTEGER), 6, 30)
    ELSE make_date(CAST(split_part(round, '-', 1) AS INTEGER), 12, 31)
  END;

-- "exists": a list (possibly NULL, for a list absent from the chart) with an element.
CREATE OR REPLACE MACRO nonempty(l) AS coalesce(len(l) > 0, false);

-- Ages are whole years from patient.birth_date at the date named: the birthday counts on
-- its date (a 29 February birthday is reached on 1 March in common years).
CREATE OR REPLACE MACRO age_at(birth, d) AS
  year(d) - year(birth)
    - CASE WHEN month(d) * 100 + day(d) < month(birth) * 100 + day(birth) THEN 1 ELSE 0 END;

-- office visit: an encounters entry with kind in {office_visit, telehealth_visit},
-- with_practice = true and provider_role in {physician, advanced_practice_provider}.
-- Several on one date count once: the distinct dates (a visit without a date is on no date).
CREATE OR REPLACE MACRO is_office_visit(e) AS
  e.kind IN ('office_visit', 'telehealth_visit')
    AND e.with_practice
    AND e.provider_role IN ('physician', 'advanced_practice_provider');
CREATE OR REPLACE MACRO office_visit_dates(c) AS
  list_distinct(list_transform(
    list_filter(c.encounters, lambda e: is_office_visit(e) AND e.date IS NOT NULL),
    lambda e: e.date));

-- qualifying cancer diagnosis: invasive = true, or cancer_type in {nhl, hodgkin_lymphoma,
-- myeloma, leukemia, other_heme}, and diagnosis_date <= reporting_period.end.
CREATE OR REPLACE MACRO is_qualifying_diagnosis(dx, pe) AS
  (dx.invasive OR dx.cancer_type IN ('nhl', 'hodgkin_lymphoma', 'myeloma', 'leukemia', 'other_heme'))
    AND dx.diagnosis_date <= pe;

-- chemotherapy regimen: a regimens entry with >= 1 agent of category in {cytotoxic,
-- targeted, immunotherapy}; oral-agent chemotherapy regimen: one of those with >= 1 agent
-- with route = oral.
CREATE OR REPLACE MACRO is_chemotherapy_regimen(r) AS
  nonempty(list_filter(r.agents,
    lambda a: a.category IN ('cytotoxic', 'targeted', 'immunotherapy')));
CREATE OR REPLACE MACRO is_oral_chemotherapy_regimen(r) AS
  is_chemotherapy_regimen(r) AND nonempty(list_filter(r.agents, lambda a: a.route = 'oral'));

-- systemic therapy received on some date in [ws, we]: an administrations entry dated in it
-- belonging to a chemotherapy regimen, or an oral-agent chemotherapy regimen with
-- start_date <= the date and (end_date absent or >= the date). The ids of the chemotherapy
-- regimens are listed once per chart (`list_transform([x], lambda v: ...)[1]` binds x to v:
-- a macro has no local variables), not once per administration.
CREATE OR REPLACE MACRO chemotherapy_regimen_ids(c) AS
  list_transform(list_filter(c.regimens, lambda r: is_chemotherapy_regimen(r)),
                 lambda r: r.id);
CREATE OR REPLACE MACRO systemic_therapy_between(c, ws, we) AS
  list_transform([chemotherapy_regimen_ids(c)], lambda chemo_ids:
    nonempty(list_filter(c.administrations,
      lambda a: a.date BETWEEN ws AND we AND list_contains(chemo_ids, a.regimen_id))))[1]
  OR nonempty(list_filter(c.regimens,
    lambda r: is_oral_chemotherapy_regimen(r)
      AND r.start_date <= we
      AND (r.end_date IS NULL OR r.end_date >= ws)));
