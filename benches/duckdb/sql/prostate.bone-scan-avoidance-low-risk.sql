-- prostate.bone-scan-avoidance-low-risk: Avoidance of bone scan for staging low-risk
-- prostate cancer. Written from the catalog entry (shared/measures/catalog.toml):
--
--   initial population: Patients of any age and sex with prostate cancer
--     (diagnoses.cancer_type = prostate) active during the reporting period (diagnosis_date
--     <= reporting_period.end and resolved_date absent or >= reporting_period.start) whose
--     reference treatment ends during the reporting period and who are at low risk of
--     recurrence. Reference treatment: of the prostate cancer treatments -- surgeries with
--     kind = radical_prostatectomy (ending on surgeries.date) and radiation_courses with
--     target = prostate of any modality (ending on end_date, so a course without end_date
--     has not ended) -- the one with the earliest start among those ending during the
--     reporting period. Low risk, all of: t_category in {T1a, T1b, T1c, T2a};
--     psa_at_diagnosis < 10 ng/mL; gleason_score <= 6
--   denominator: equals initial population; exclusions: none
--   exceptions: Any of (counted only for patients not in the numerator): a conditions entry
--     with kind = pain_warranting_workup whose onset_date is after diagnosis_date; a
--     surgeries entry with salvage = true dated after diagnosis_date; or a bone scan that
--     the numerator counts with procedures.indication in {symptoms_or_signs,
--     salvage_therapy, other_medical_reason}
--   numerator: No procedures entry with kind = bone_scan dated after diagnosis_date and
--     during the reporting period
--
-- The chart keeps one undated t_category and gleason_score per diagnosis, so "the most
-- recent before the reference treatment's start" is that value, and only the existence of
-- a reference treatment matters. The treatments are patient-level (the catalog does not
-- link them to the diagnosis). diagnosis_date is the index diagnosis's: the earliest
-- prostate cancer active during the period at low risk.
--
-- criteria macro: bone_scan_avoidance_low_risk
-- read: diagnoses[].cancer_type VARCHAR
-- read: diagnoses[].diagnosis_date DATE
-- read: diagnoses[].resolved_date DATE
-- read: diagnoses[].t_category VARCHAR
-- read: diagnoses[].psa_at_diagnosis DOUBLE
-- read: diagnoses[].gleason_score DOUBLE
-- read: radiation_courses[].target VARCHAR
-- read: radiation_courses[].end_date DATE
-- read: surgeries[].kind VARCHAR
-- read: surgeries[].date DATE
-- read: surgeries[].salvage BOOLEAN
-- read: procedures[].kind VARCHAR
-- read: procedures[].date DATE
-- read: procedures[].indication VARCHAR
-- read: conditions[].kind VARCHAR
-- read: conditions[].onset_date DATE

-- The index diagnosis's date (NULL when there is no low-risk active prostate cancer).
CREATE OR REPLACE MACRO bone_scan_diagnosis_date(c) AS
  list_min(list_transform(list_filter(c.diagnoses,
    lambda dx: dx.cancer_type = 'prostate'
      AND dx.diagnosis_date <= c.pe
      AND (dx.resolved_date IS NULL OR dx.resolved_date >= c.ps)
      AND dx.t_category IN ('T1a', 'T1b', 'T1c', 'T2a')
      AND dx.psa_at_diagnosis < 10
      AND dx.gleason_score <= 6),
    lambda dx: dx.diagnosis_date));

CREATE OR REPLACE MACRO bone_scan_reference_treatment(c) AS
  nonempty(list_filter(c.surgeries,
    lambda s: s.kind = 'radical_prostatectomy' AND s.date BETWEEN c.ps AND c.pe))
  OR nonempty(list_filter(c.radiation_courses,
    lambda r: r.target = 'prostate' AND r.end_date BETWEEN c.ps AND c.pe));

-- The bone scans the numerator counts: after (not on) diagnosis_date, during the period.
CREATE OR REPLACE MACRO bone_scans_counted(c, dx_date) AS
  list_filter(c.procedures,
    lambda p: p.kind = 'bone_scan' AND p.date > dx_date AND p.date BETWEEN c.ps AND c.pe);

-- The criteria, with the index diagnosis's date bound once (`list_transform([x], lambda
-- v: ...)[1]`: a macro has no local variables).
CREATE OR REPLACE MACRO bone_scan_avoidance_low_risk(c) AS
  list_transform([bone_scan_diagnosis_date(c)], lambda dx_date: {
    'initial_population': dx_date IS NOT NULL AND bone_scan_reference_treatment(c),
    'denominator': true,
    'denominator_exclusion': false,
    'denominator_exception':
      nonempty(list_filter(c.conditions,
        lambda k: k.kind = 'pain_warranting_workup' AND k.onset_date > dx_date))
      OR nonempty(list_filter(c.surgeries, lambda s: s.salvage AND s.date > dx_date))
      OR nonempty(list_filter(bone_scans_counted(c, dx_date),
        lambda p: p.indication IN ('symptoms_or_signs', 'salvage_therapy', 'other_medical_reason'))),
    'numerator': NOT nonempty(bone_scans_counted(c, dx_date))
  })[1];
