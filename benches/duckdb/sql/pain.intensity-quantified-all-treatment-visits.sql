-- pain.intensity-quantified-all-treatment-visits: Pain intensity quantified at every office
-- visit during chemotherapy or radiation. Written from the catalog entry
-- (shared/measures/catalog.toml):
--
--   initial population: Patients of any age with >= 1 treatment visit. A treatment visit is
--     an office visit (shared term; telehealth included) during the reporting period on
--     whose date a qualifying cancer diagnosis is active (diagnosis_date <= visit date and
--     resolved_date absent or >= visit date) and that either (a) is surrounded by
--     chemotherapy: two administrations entries with agent_category in {cytotoxic,
--     targeted, immunotherapy, intravesical} on different dates, one within 30 days before
--     or on the visit date and the other on or within 30 days after it, both dated within
--     [reporting_period.start - 31 days, reporting_period.end]; or (b) falls during a
--     radiation course (radiation_courses.start_date <= visit date and end_date absent or
--     >= visit date)
--   denominator: equals initial population; exclusions: none; exceptions: none
--   numerator: Every treatment visit has a pain assessment (assessments.kind = pain) with
--     scale in {numeric_0_10, verbal_descriptor, faces} and score or severity present (no
--     pain = 0 counts) dated on the visit date; for a visit during a radiation course an
--     assessment dated within the 6 days before the visit also counts
--
-- criteria macro: pain_intensity_all_treatment_visits
-- read: diagnoses[].cancer_type VARCHAR
-- read: diagnoses[].invasive BOOLEAN
-- read: diagnoses[].diagnosis_date DATE
-- read: diagnoses[].resolved_date DATE
-- read: encounters[].kind VARCHAR
-- read: encounters[].date DATE
-- read: encounters[].with_practice BOOLEAN
-- read: encounters[].provider_role VARCHAR
-- read: administrations[].date DATE
-- read: administrations[].agent_category VARCHAR
-- read: radiation_courses[].start_date DATE
-- read: radiation_courses[].end_date DATE
-- read: assessments[].kind VARCHAR
-- read: assessments[].date DATE
-- read: assessments[].scale VARCHAR
-- read: assessments[].score DOUBLE
-- read: assessments[].severity VARCHAR

-- A qualifying cancer diagnosis active on d.
CREATE OR REPLACE MACRO pain_cancer_active_on(c, d) AS
  nonempty(list_filter(c.diagnoses,
    lambda dx: is_qualifying_diagnosis(dx, c.pe)
      AND dx.diagnosis_date <= d
      AND (dx.resolved_date IS NULL OR dx.resolved_date >= d)));

-- The dates of the administrations that count for (a).
CREATE OR REPLACE MACRO pain_administration_dates(c) AS
  list_transform(list_filter(c.administrations,
    lambda a: a.agent_category IN ('cytotoxic', 'targeted', 'immunotherapy', 'intravesical')
      AND a.date BETWEEN c.ps - 31 AND c.pe),
    lambda a: a.date);

-- (a) Two of those dates `adm`, different, one in [d - 30, d], the other in [d, d + 30].
-- Written without a nested scan: either one is before d (and the other in [d, d + 30]) or
-- one is after d (and the other in [d - 30, d]); a pair of different dates is one or the
-- other, and each case gives such a pair.
CREATE OR REPLACE MACRO pain_surrounded_by_chemotherapy(adm, d) AS
  (nonempty(list_filter(adm, lambda a: a >= d - 30 AND a < d))
     AND nonempty(list_filter(adm, lambda a: a BETWEEN d AND d + 30)))
  OR (nonempty(list_filter(adm, lambda a: a BETWEEN d - 30 AND d))
     AND nonempty(list_filter(adm, lambda a: a > d AND a <= d + 30)));

-- (b) During a radiation course.
CREATE OR REPLACE MACRO pain_during_radiation_course(c, d) AS
  nonempty(list_filter(c.radiation_courses,
    lambda r: r.start_date <= d AND (r.end_date IS NULL OR r.end_date >= d)));

-- The treatment visits' dates. `list_transform([x], lambda v: ...)[1]` binds x once to v
-- (a macro has no local variables, and an expression repeated inside a lambda is evaluated
-- for each element).
CREATE OR REPLACE MACRO pain_treatment_visit_dates(c) AS
  list_transform([pain_administration_dates(c)], lambda adm:
    list_filter(office_visit_dates(c),
      lambda d: d BETWEEN c.ps AND c.pe
        AND pain_cancer_active_on(c, d)
        AND (pain_surrounded_by_chemotherapy(adm, d) OR pain_during_radiation_course(c, d))))[1];

-- The dates of the quantified pain assessments: kind pain, scale numeric_0_10,
-- verbal_descriptor or faces, and score or severity present.
CREATE OR REPLACE MACRO pain_quantified_dates(c) AS
  list_transform(list_filter(c.assessments,
    lambda a: a.kind = 'pain'
      AND a.scale IN ('numeric_0_10', 'verbal_descriptor', 'faces')
      AND (a.score IS NOT NULL OR a.severity IS NOT NULL)),
    lambda a: a.date);

-- A quantified assessment (of the dates `q`) counts for the treatment visit on d: dated d,
-- or, for a visit during a radiation course, in [d - 6 days, d]. Never NULL (a chart
-- without assessments has q NULL), since the numerator negates it.
CREATE OR REPLACE MACRO pain_quantified_at(c, q, d) AS
  coalesce(list_contains(q, d), false)
    OR (pain_during_radiation_course(c, d)
        AND nonempty(list_filter(q, lambda a: a BETWEEN d - 6 AND d)));

CREATE OR REPLACE MACRO pain_intensity_all_treatment_visits(c) AS
  list_transform([{'visits': pain_treatment_visit_dates(c), 'q': pain_quantified_dates(c)}],
    lambda x: {
      'initial_population': nonempty(x.visits),
      'denominator': true,
      'denominator_exclusion': false,
      'denominator_exception': false,
      'numerator': len(list_filter(x.visits, lambda d: NOT pain_quantified_at(c, x.q, d))) = 0
    })[1];
