//! Where each part of the chart lives in FHIR R4: one table from every root field of the
//! chart (a list or record of the data dictionary) to the resource type an import reads it
//! from, and from the chart's code-system names to FHIR code-system URIs.
//!
//! The FHIR export names these types in each measure's `DataRequirement`s; a FHIR import is
//! to read the same table, so the two cannot disagree. The table is exhaustive over the
//! chart's root fields (a test walks the schema).

/// The profile URI naming the chart element `root` (`urn:oncoqual:chart:diagnoses`): our
/// logical model, not a FHIR profile.
#[cfg(feature = "fhir")]
pub(crate) const PROFILE_PREFIX: &str = "urn:oncoqual:chart:";

/// Chart root → (FHIR R4 resource type, what of it carries the root). Sorted by root.
pub(crate) const CHART_RESOURCES: &[(&str, &str, &str)] = &[
    (
        "administrations",
        "MedicationAdministration",
        "doses given, linked to their regimen",
    ),
    (
        "adverse_events",
        "AdverseEvent",
        "treatment-related events and their grade",
    ),
    (
        "assessments",
        "Observation",
        "symptom, function and screening assessments (survey and vital-sign observations)",
    ),
    (
        "chemo_orders",
        "MedicationRequest",
        "the order of each cycle",
    ),
    (
        "conditions",
        "Condition",
        "comorbid conditions (not the cancer diagnoses)",
    ),
    (
        "death",
        "Patient",
        "deceased[x]; cause, place and hospice enrollment from the death record",
    ),
    (
        "diagnoses",
        "Condition",
        "cancer conditions with their stage and biomarker observations",
    ),
    (
        "discussions",
        "Communication",
        "documented discussions with the patient or surrogate",
    ),
    (
        "documents",
        "DocumentReference",
        "consents, summaries, care plans and education records",
    ),
    ("encounters", "Encounter", "visits, admissions and stays"),
    (
        "genetic_tests",
        "Observation",
        "germline genetic test results",
    ),
    ("id", "Patient", "the chart's identifier"),
    ("labs", "Observation", "laboratory results"),
    (
        "medications",
        "MedicationRequest",
        "supportive-care medications",
    ),
    (
        "not_done_reasons",
        "Procedure",
        "not-done events (status not-done with a statusReason)",
    ),
    ("patient", "Patient", "demographics"),
    ("practice", "Organization", "the abstracting practice"),
    (
        "procedures",
        "Procedure",
        "imaging, tests and other procedures",
    ),
    (
        "radiation_courses",
        "Procedure",
        "radiotherapy course summaries",
    ),
    (
        "recommendations",
        "ServiceRequest",
        "recommended actions (intent proposal)",
    ),
    ("referrals", "ServiceRequest", "referrals and their status"),
    (
        "regimens",
        "MedicationRequest",
        "anticancer regimens with their agents and plan",
    ),
    (
        "round",
        "Basic",
        "the data-collection round (set by the submission, not read from a resource)",
    ),
    ("surgeries", "Procedure", "cancer surgeries"),
];

/// The FHIR resource type chart root `root` is read from.
#[cfg(any(feature = "fhir", test))]
pub(crate) fn resource_type(root: &str) -> Option<&'static str> {
    CHART_RESOURCES
        .binary_search_by(|(r, _, _)| (*r).cmp(root))
        .ok()
        .and_then(|i| CHART_RESOURCES.get(i))
        .map(|(_, t, _)| *t)
}

/// Code-system names charts and value sets use → FHIR code-system URIs. A name not listed
/// is written `urn:oncoqual:codesystem:<name>`.
pub(crate) const CODE_SYSTEMS: &[(&str, &str)] = &[
    ("CPT", "http://www.ama-assn.org/go/cpt"),
    ("HCPCS", "urn:oid:2.16.840.1.113883.6.285"),
    ("ICD-10-CM", "http://hl7.org/fhir/sid/icd-10-cm"),
    ("ICD-O-3", "http://terminology.hl7.org/CodeSystem/icd-o-3"),
    ("LOINC", "http://loinc.org"),
    ("RxNorm", "http://www.nlm.nih.gov/research/umls/rxnorm"),
    ("SNOMED CT", "http://snomed.info/sct"),
    ("SNOMED", "http://snomed.info/sct"),
];

/// The FHIR URI of code system `name`.
pub(crate) fn code_system_uri(name: &str) -> String {
    CODE_SYSTEMS.iter().find(|(n, _)| *n == name).map_or_else(
        || format!("urn:oncoqual:codesystem:{name}"),
        |(_, u)| (*u).to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chart_root_has_exactly_one_resource_type_and_the_table_is_sorted() {
        let roots: Vec<&str> = crate::chart::schema()
            .chart
            .fields
            .iter()
            .map(|f| f.name)
            .collect();
        let mut listed: Vec<&str> = CHART_RESOURCES.iter().map(|(r, _, _)| *r).collect();
        assert!(
            listed.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicate"
        );
        listed.sort_unstable();
        let mut sorted_roots = roots.clone();
        sorted_roots.sort_unstable();
        assert_eq!(listed, sorted_roots);
        assert_eq!(resource_type("diagnoses"), Some("Condition"));
        assert_eq!(resource_type("encounters"), Some("Encounter"));
        assert_eq!(resource_type("assessments"), Some("Observation"));
        assert_eq!(
            resource_type("administrations"),
            Some("MedicationAdministration")
        );
        assert_eq!(resource_type("regimens"), Some("MedicationRequest"));
        assert_eq!(resource_type("surgeries"), Some("Procedure"));
        assert_eq!(resource_type("death"), Some("Patient"));
        assert_eq!(resource_type("documents"), Some("DocumentReference"));
        assert_eq!(resource_type("referrals"), Some("ServiceRequest"));
        assert_eq!(resource_type("nothing"), None);
    }

    #[test]
    fn known_code_systems_get_their_fhir_uri_and_others_a_urn() {
        assert_eq!(
            code_system_uri("RxNorm"),
            "http://www.nlm.nih.gov/research/umls/rxnorm"
        );
        assert_eq!(
            code_system_uri("ICD-10-CM"),
            "http://hl7.org/fhir/sid/icd-10-cm"
        );
        assert_eq!(code_system_uri("local"), "urn:oncoqual:codesystem:local");
    }
}
