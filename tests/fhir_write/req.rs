//! Test writers: referrals and recommendations (ServiceRequest), documents
//! (DocumentReference), discussions (Communication), germline genetic tests (an mCODE
//! genomics report with its variant, region studied and ordering ServiceRequest) and the
//! death record's hospice enrolment (EpisodeOfCare). Codes are chosen by hand here (one per
//! chart value), independently of the shipped tables; a value with no code is not written.

use oncoqual::chart::{
    Action, Death, Discussion, DiscussionTopic, Document, DocumentKind, GeneticTest,
    GeneticTestKind, GeneticTestResult, Recommendation, Referral, ReferralKind, ReferralStatus,
};
use serde_json::{Map, Value, json};

use super::core::Writer;

pub const SNOMED: &str = "http://snomed.info/sct";
pub const LOINC: &str = "http://loinc.org";
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";

pub const REFERRALS: &[(ReferralKind, &str)] = &[
    (ReferralKind::Hospice, "306205009"),
    (ReferralKind::PalliativeCare, "306237005"),
    (ReferralKind::Psychosocial, "308459004"),
    (ReferralKind::SocialWork, "308440001"),
    (ReferralKind::TobaccoCessation, "395700008"),
    (ReferralKind::GeneticCounseling, "306250006"),
    (ReferralKind::Nutrition, "103699006"),
    (ReferralKind::Rehabilitation, "308447003"),
    (ReferralKind::Geriatrics, "308475001"),
    (ReferralKind::Cardiology, "308471005"),
    (ReferralKind::Dental, "103697008"),
];

pub const ACTIONS: &[(Action, &str, &str)] = &[
    (Action::CeaTest, LOINC, "2039-6"),
    (Action::HbvScreening, LOINC, "5196-1"),
    (Action::PregnancyTest, LOINC, "2106-3"),
    (Action::BoneDensityScan, CPT, "77080"),
    (Action::BoneScan, CPT, "78306"),
    (Action::Colonoscopy, CPT, "45378"),
    (Action::LvefAssessment, CPT, "93306"),
    (Action::GeneticTesting, CPT, "81162"),
];

pub const DOCUMENTS: &[(DocumentKind, &str)] = &[
    (DocumentKind::ConsultNote, "11488-4"),
    (DocumentKind::AdvanceDirective, "42348-3"),
    (DocumentKind::HealthcareProxy, "64298-3"),
    (DocumentKind::Polst, "93037-0"),
];

pub const TOPICS: &[(DiscussionTopic, &str)] = &[(DiscussionTopic::AdvanceDirective, "713603004")];

/// HGNC ids studied, by test kind.
pub const GENES: &[(GeneticTestKind, &[&str])] = &[
    (GeneticTestKind::Brca12, &["HGNC:1100", "HGNC:1101"]),
    (
        GeneticTestKind::LynchPanel,
        &[
            "HGNC:7127",
            "HGNC:7325",
            "HGNC:7329",
            "HGNC:9122",
            "HGNC:11529",
        ],
    ),
    (
        GeneticTestKind::MultigenePanel,
        &["HGNC:1100", "HGNC:1101", "HGNC:11389", "HGNC:9588"],
    ),
    (GeneticTestKind::Other, &["HGNC:11389"]),
];

fn coding(system: &str, code: &str) -> Value {
    json!({"coding": [{"system": system, "code": code}]})
}

fn put<T: serde::Serialize>(m: &mut Map<String, Value>, k: &str, v: &Option<T>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), serde_json::to_value(v).unwrap());
    }
}

/// A referral as a ServiceRequest (intent order; status completed or active for made).
pub fn referral(w: &mut Writer, i: usize, r: &Referral) {
    let Some((_, code)) = REFERRALS.iter().find(|(k, _)| Some(*k) == r.kind) else {
        return;
    };
    let status = match r.status {
        Some(ReferralStatus::Completed) => "completed",
        Some(ReferralStatus::Made) => "active",
        // Not said by a ServiceRequest's status: not written.
        Some(ReferralStatus::DeclinedByPatient) | None => return,
        Some(_) => return,
    };
    let mut res = json!({"resourceType": "ServiceRequest", "id": format!("ref-{i}"),
        "status": status, "intent": "order", "subject": w.subject(), "code": coding(SNOMED, code)});
    let mut want = Map::new();
    put(&mut want, "kind", &r.kind);
    put(&mut want, "status", &r.status);
    if let Some(d) = r.date {
        res["authoredOn"] = json!(d.to_string());
        put(&mut want, "date", &r.date);
    }
    w.resources.push(res);
    w.expect_item("referrals", want);
}

/// A recommendation as a ServiceRequest with intent proposal.
pub fn recommendation(w: &mut Writer, i: usize, r: &Recommendation) {
    let Some((_, system, code)) = ACTIONS.iter().find(|(a, _, _)| Some(*a) == r.action) else {
        return;
    };
    let mut res = json!({"resourceType": "ServiceRequest", "id": format!("rec-{i}"),
        "status": "active", "intent": "proposal", "subject": w.subject(),
        "code": coding(system, code)});
    let mut want = Map::new();
    put(&mut want, "action", &r.action);
    if let Some(d) = r.date {
        res["authoredOn"] = json!(d.to_string());
        put(&mut want, "date", &r.date);
    }
    w.resources.push(res);
    w.expect_item("recommendations", want);
}

/// A document as a DocumentReference (its date an instant at noon UTC).
pub fn document(w: &mut Writer, i: usize, d: &Document) {
    let Some((_, code)) = DOCUMENTS.iter().find(|(k, _)| Some(*k) == d.kind) else {
        return;
    };
    let mut res = json!({"resourceType": "DocumentReference", "id": format!("doc-{i}"),
        "status": "current", "subject": w.subject(), "type": coding(LOINC, code),
        "content": [{"attachment": {"contentType": "application/pdf"}}]});
    let mut want = Map::new();
    put(&mut want, "kind", &d.kind);
    if let Some(date) = d.date {
        res["date"] = json!(format!("{date}T12:00:00Z"));
        put(&mut want, "date", &d.date);
    }
    w.resources.push(res);
    w.expect_item("documents", want);
}

/// A discussion as a Communication with its topic as the reason.
pub fn discussion(w: &mut Writer, i: usize, d: &Discussion) {
    let Some((_, code)) = TOPICS.iter().find(|(t, _)| Some(*t) == d.topic) else {
        return;
    };
    let mut res = json!({"resourceType": "Communication", "id": format!("com-{i}"),
        "status": "completed", "subject": w.subject(), "reasonCode": [coding(SNOMED, code)]});
    let mut want = Map::new();
    put(&mut want, "topic", &d.topic);
    if let Some(date) = d.date {
        res["sent"] = json!(date.to_string());
        put(&mut want, "date", &d.date);
    }
    w.resources.push(res);
    w.expect_item("discussions", want);
}

/// The hospice enrolment as an EpisodeOfCare of type hospice care (written when it is not
/// after the death date).
pub fn hospice(w: &mut Writer, d: &Death) {
    let Some(start) = d.hospice_enrollment_date else {
        return;
    };
    if d.date.is_some_and(|died| start > died) {
        return;
    }
    w.resources
        .push(json!({"resourceType": "EpisodeOfCare", "id": "hospice",
        "status": "finished", "patient": w.subject(),
        "type": [coding(SNOMED, "385763009")], "period": {"start": start.to_string()}}));
    if let Some(Value::Object(death)) = w.expected.get_mut("death") {
        death.insert("hospice_enrollment_date".into(), json!(start.to_string()));
    }
}

fn component(question: &str, value: Value) -> Value {
    json!({"code": coding(LOINC, question), "valueCodeableConcept": value})
}

/// A germline test as a genomics report `basedOn` its order, with a region studied naming
/// the kind's genes and one germline variant saying the result (pathogenic, uncertain
/// significance or benign; none while pending).
pub fn genetic_test(w: &mut Writer, i: usize, t: &GeneticTest) {
    let Some((_, genes)) = GENES.iter().find(|(k, _)| Some(*k) == t.kind) else {
        return;
    };
    let significance = match t.result {
        Some(GeneticTestResult::PathogenicVariant) => Some("LA6668-3"),
        Some(GeneticTestResult::Vus) => Some("LA26333-7"),
        Some(GeneticTestResult::Negative) => Some("LA6675-8"),
        Some(GeneticTestResult::Pending) | None => None,
        Some(_) => return,
    };
    let mut want = Map::new();
    put(&mut want, "kind", &t.kind);
    if significance.is_some() {
        put(&mut want, "result", &t.result);
    }
    let (variant, region, order) = (format!("gv-{i}"), format!("gr-{i}"), format!("go-{i}"));
    let gene = |g: &str| component("48018-6", coding("http://www.genenames.org/geneId", g));
    let mut components = vec![
        gene(genes[0]),
        component("48002-0", coding(LOINC, "LA6683-2")),
    ];
    if let Some(s) = significance {
        components.push(component("53037-8", coding(LOINC, s)));
    }
    w.resources.push(
        json!({"resourceType": "Observation", "id": variant, "status": "final",
        "subject": w.subject(), "code": coding(LOINC, "69548-6"),
        "valueCodeableConcept": coding(LOINC, "LA9633-4"), "component": components}),
    );
    let studied: Vec<Value> = genes.iter().map(|g| gene(g)).collect();
    w.resources.push(
        json!({"resourceType": "Observation", "id": region, "status": "final",
        "subject": w.subject(), "code": coding(LOINC, "53041-0"), "component": studied}),
    );
    let mut report = json!({"resourceType": "DiagnosticReport", "id": format!("gx-{i}"),
        "status": "final", "subject": w.subject(), "code": coding(LOINC, "81247-9"),
        "result": [{"reference": format!("Observation/{variant}")},
                   {"reference": format!("Observation/{region}")}]});
    if let Some(d) = t.order_date {
        w.resources
            .push(json!({"resourceType": "ServiceRequest", "id": order,
            "status": "completed", "intent": "order", "subject": w.subject(),
            "authoredOn": d.to_string(),
            "code": coding("urn:oncoqual:test:local", "germline-test")}));
        report["basedOn"] = json!([{"reference": format!("ServiceRequest/{order}")}]);
        put(&mut want, "order_date", &t.order_date);
    }
    w.resources.push(report);
    w.expect_item("genetic_tests", want);
}
