//! ServiceRequest → referrals, recommendations and not-done reasons; DocumentReference →
//! documents; Communication → discussions. Codes are read from the shipped tables
//! (`referral-kind.csv`, `request-action.csv` and the action codes of
//! `procedure-kind.csv`, `document-kind.csv`, `discussion-topic.csv`); a code no table lists
//! is skipped with its codes counted.

use fhir_model::r4b::codes::{DocumentReferenceStatus, EventStatus, RequestIntent, RequestStatus};
use fhir_model::r4b::resources::{CommunicationInner, DocumentReferenceInner, ServiceRequestInner};
use fhir_model::r4b::types::{CodeableConcept, Coding};

use super::map::{Outcome, Reasons, code_ref, codings, from_date_time, item, note, opt_date};
use super::map_care::procedure_action;
use super::map_gen::Later;
use super::map_med::{not_done, reason_type};
use super::report::{CodeRef, MissingReason, SkipReason};
use super::tables_med::{MedTables, System};
use super::tables_req::ReqTables;
use crate::chart::{
    Action, Discussion, Document, Recommendation, Referral, ReferralKind, ReferralStatus,
};

fn status_skip(status: String) -> Outcome {
    Err((SkipReason::Status { status }, Vec::new()))
}

/// The action a referral stands for, when the dictionary has one (for a not-done referral).
fn referral_action(k: ReferralKind) -> Option<Action> {
    match k {
        ReferralKind::Hospice => Some(Action::HospiceReferral),
        ReferralKind::PalliativeCare => Some(Action::PalliativeReferral),
        ReferralKind::GeneticCounseling => Some(Action::GeneticReferral),
        ReferralKind::FertilitySpecialist => Some(Action::FertilityReferral),
        ReferralKind::TobaccoCessation => Some(Action::SmokingCessation),
        _ => None,
    }
}

/// What a request's code names: a referral kind, else a recommended action.
enum Named {
    Referral(ReferralKind),
    Action(Action),
}

fn named(all: &[&Coding], t: &ReqTables, m: &MedTables) -> Option<Named> {
    if let Some(k) = all.iter().find_map(|c| t.referral(c)) {
        return Some(Named::Referral(k));
    }
    all.iter()
        .find_map(|c| {
            t.action(c).or_else(|| {
                let sys = System::of_uri(c.system.as_deref()?)?;
                procedure_action(m.procedure(sys, c.code.as_deref()?), false)
            })
        })
        .map(Named::Action)
}

/// ServiceRequest → a referral (its code a referral kind of `referral-kind.csv`), a
/// recommendation (its code an action, intent `proposal` or `plan`) or, with
/// `doNotPerform: true` and a `reasonCode`, a not-done reason. Every ServiceRequest with an
/// id is also left in `later` with its `authoredOn` (the order date of a genetic test that
/// names it in `basedOn`), unless its status is skipped.
///
/// Status `active` and `completed` map (a referral's `status` made or completed); any other
/// status is skipped. A referral's intent is `proposal`, `plan` or an order; a
/// recommendation's is `proposal` or `plan` (an order of a test is not read as a
/// recommendation); another intent is skipped (`intent`).
pub(crate) fn service_request(
    r: &ServiceRequestInner,
    t: &ReqTables,
    m: &MedTables,
    later: &mut Vec<Later>,
) -> Outcome {
    if !matches!(r.status, RequestStatus::Active | RequestStatus::Completed) {
        return status_skip(r.status.as_ref().to_owned());
    }
    if let Some(id) = &r.id {
        later.push(Later::Order {
            id: id.clone(),
            date: opt_date(r.authored_on.as_ref()),
        });
    }
    let all: Vec<&Coding> = codings(r.code.as_ref()).collect();
    let Some(what) = named(&all, t, m) else {
        let codes: Vec<CodeRef> = all.iter().map(|c| code_ref(c)).collect();
        return Err((
            SkipReason::UnlistedRequest {
                codes: codes.clone(),
            },
            codes,
        ));
    };
    let date = opt_date(r.authored_on.as_ref());
    if r.do_not_perform == Some(true) {
        let mut unmapped = Vec::new();
        let reason = reason_type(r.reason_code.iter().flatten(), m, &mut unmapped);
        if reason == Err(MissingReason::Absent) {
            return Err((SkipReason::NotDoneWithoutReason, Vec::new()));
        }
        let action = match what {
            Named::Referral(k) => referral_action(k),
            Named::Action(a) => Some(a),
        };
        return Ok((vec![not_done(action, None, reason, date)], unmapped));
    }
    let proposed = matches!(r.intent, RequestIntent::Proposal | RequestIntent::Plan);
    let ordered = matches!(
        r.intent,
        RequestIntent::Order
            | RequestIntent::OriginalOrder
            | RequestIntent::ReflexOrder
            | RequestIntent::FillerOrder
            | RequestIntent::InstanceOrder
    );
    let mut reasons = Reasons::new();
    match what {
        Named::Referral(kind) if proposed || ordered => {
            let out = Referral {
                kind: Some(kind),
                date: note(date, "date", &mut reasons),
                status: Some(if r.status == RequestStatus::Completed {
                    ReferralStatus::Completed
                } else {
                    ReferralStatus::Made
                }),
            };
            Ok((vec![item(out, reasons)], Vec::new()))
        }
        Named::Action(action) if proposed => {
            let out = Recommendation {
                action: Some(action),
                date: note(date, "date", &mut reasons),
            };
            Ok((vec![item(out, reasons)], Vec::new()))
        }
        _ => Err((
            SkipReason::Intent {
                intent: r.intent.as_ref().to_owned(),
            },
            Vec::new(),
        )),
    }
}

/// DocumentReference (status `current`) → a document when its `type` is a kind of
/// `document-kind.csv`; `date` from `date`, else `context.period.start`. `regimen_id`,
/// `sent_to` and `sent_date` are left missing: a DocumentReference does not say them.
pub(crate) fn document_reference(d: &DocumentReferenceInner, t: &ReqTables) -> Outcome {
    match d.status {
        DocumentReferenceStatus::Current => {}
        DocumentReferenceStatus::Superseded => return status_skip("superseded".to_owned()),
        DocumentReferenceStatus::EnteredInError => {
            return status_skip("entered-in-error".to_owned());
        }
    }
    let all: Vec<&Coding> = codings(d.r#type.as_ref()).collect();
    let Some(kind) = all.iter().find_map(|c| t.document(c)) else {
        let codes: Vec<CodeRef> = all.iter().map(|c| code_ref(c)).collect();
        return Err((
            SkipReason::UnlistedDocument {
                codes: codes.clone(),
            },
            codes,
        ));
    };
    let date = match &d.date {
        Some(i) => from_date_time(&fhir_model::DateTime::DateTime(i.clone())),
        None => opt_date(
            d.context
                .as_ref()
                .and_then(|c| c.period.as_ref())
                .and_then(|p| p.start.as_ref()),
        ),
    };
    let mut reasons = Reasons::new();
    let out = Document {
        kind: Some(kind),
        date: note(date, "date", &mut reasons),
        ..Document::default()
    };
    Ok((vec![item(out, reasons)], Vec::new()))
}

/// Communication (status `completed`) → a discussion when its `topic` or a `reasonCode` is
/// a topic of `discussion-topic.csv`; `date` from `sent`. `participants` is left missing.
pub(crate) fn communication(c: &CommunicationInner, t: &ReqTables) -> Outcome {
    if c.status != EventStatus::Completed {
        return status_skip(c.status.as_ref().to_owned());
    }
    let concepts: Vec<&CodeableConcept> = c
        .topic
        .iter()
        .chain(c.reason_code.iter().flatten())
        .collect();
    let all: Vec<&Coding> = concepts.iter().flat_map(|k| codings(Some(*k))).collect();
    let Some(topic) = all.iter().find_map(|x| t.topic(x)) else {
        let codes: Vec<CodeRef> = all.iter().map(|x| code_ref(x)).collect();
        return Err((
            SkipReason::UnlistedCommunication {
                codes: codes.clone(),
            },
            codes,
        ));
    };
    let mut reasons = Reasons::new();
    let out = Discussion {
        topic: Some(topic),
        date: note(opt_date(c.sent.as_ref()), "date", &mut reasons),
        participants: None,
    };
    Ok((vec![item(out, reasons)], Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::super::assemble::take;
    use super::super::tables_med::med_tables;
    use super::super::tables_req::req_tables;
    use super::*;
    use crate::chart::{Date, DiscussionTopic, DocumentKind, NotDoneReason, ReasonType};
    use fhir_model::r4b::resources::{
        Communication as FhirCommunication, DocumentReference as FhirDocumentReference,
        ServiceRequest as FhirServiceRequest,
    };

    const SCT: &str = "http://snomed.info/sct";
    const LOINC: &str = "http://loinc.org";
    const CPT: &str = "http://www.ama-assn.org/go/cpt";

    fn sr(status: &str, intent: &str, system: &str, code: &str, extra: &str) -> Outcome {
        let json = format!(
            r#"{{"resourceType":"ServiceRequest","id":"sr1","status":"{status}","intent":"{intent}",
            "subject":{{"reference":"Patient/p"}},"authoredOn":"2026-02-03T10:00:00-05:00",
            "code":{{"coding":[{{"system":"{system}","code":"{code}"}}]}}{extra}}}"#
        );
        let r: FhirServiceRequest = serde_json::from_str(&json).unwrap();
        let mut later = Vec::new();
        let out = service_request(&r, req_tables().unwrap(), med_tables().unwrap(), &mut later);
        if matches!(status, "active" | "completed") {
            assert!(matches!(later.as_slice(), [Later::Order { id, .. }] if id == "sr1"));
        } else {
            assert!(later.is_empty(), "no order date from a {status} request");
        }
        out
    }

    fn one(o: Outcome) -> super::super::assemble::Item {
        let (mut items, _) = o.ok().unwrap();
        assert_eq!(items.len(), 1);
        items.pop().unwrap()
    }

    fn skip(o: Outcome) -> &'static str {
        match o {
            Err((r, _)) => r.name(),
            Ok(_) => "mapped",
        }
    }

    #[test]
    fn referrals_by_code_with_their_status() {
        let (r, reasons) = take::<Referral>(one(sr("active", "order", SCT, "306205009", "")));
        assert_eq!(r.kind, Some(ReferralKind::Hospice));
        assert_eq!(r.status, Some(ReferralStatus::Made));
        assert_eq!(r.date, Date::from_ymd(2026, 2, 3));
        assert!(reasons.is_empty());
        let (r, _) = take::<Referral>(one(sr("completed", "proposal", SCT, "103699006", "")));
        assert_eq!(r.kind, Some(ReferralKind::Nutrition));
        assert_eq!(r.status, Some(ReferralStatus::Completed));
        for s in ["draft", "revoked", "entered-in-error", "on-hold", "unknown"] {
            assert_eq!(skip(sr(s, "order", SCT, "306205009", "")), "status", "{s}");
        }
        assert_eq!(
            skip(sr("active", "directive", SCT, "306205009", "")),
            "intent"
        );
        let o = sr("active", "order", LOINC, "24321-2", "");
        let Err((SkipReason::UnlistedRequest { codes }, counted)) = o else {
            panic!("unlisted")
        };
        assert_eq!(codes, counted);
        assert_eq!(codes[0].code.as_deref(), Some("24321-2"));
    }

    #[test]
    fn proposed_tests_and_treatments_are_recommendations() {
        let (r, reasons) =
            take::<Recommendation>(one(sr("active", "proposal", LOINC, "2039-6", "")));
        assert_eq!(r.action, Some(Action::CeaTest));
        assert_eq!(r.date, Date::from_ymd(2026, 2, 3));
        assert!(reasons.is_empty());
        // From the procedure table: a DXA scan, a colonoscopy.
        let (r, _) = take::<Recommendation>(one(sr("active", "plan", CPT, "77080", "")));
        assert_eq!(r.action, Some(Action::BoneDensityScan));
        let (r, _) = take::<Recommendation>(one(sr("active", "plan", SCT, "73761001", "")));
        assert_eq!(r.action, Some(Action::Colonoscopy));
        // An order of a test is not a recommendation.
        assert_eq!(skip(sr("active", "order", LOINC, "2039-6", "")), "intent");
        // A procedure the dictionary has no action for.
        assert_eq!(
            skip(sr("active", "proposal", CPT, "19303", "")),
            "unlisted_request"
        );
    }

    #[test]
    fn requests_not_to_perform_with_a_reason_are_not_done_reasons() {
        let reason = format!(
            r#","doNotPerform":true,"reasonCode":[{{"coding":[{{"system":"{SCT}","code":"105480006"}}]}}]"#
        );
        let (n, reasons) =
            take::<NotDoneReason>(one(sr("active", "proposal", SCT, "306205009", &reason)));
        assert_eq!(n.action, Some(Action::HospiceReferral));
        assert_eq!(n.reason_type, Some(ReasonType::PatientRefusal));
        assert_eq!(n.date, Date::from_ymd(2026, 2, 3));
        assert_eq!(reasons, [("agent_class", MissingReason::NoValue)]);
        let (n, reasons) =
            take::<NotDoneReason>(one(sr("active", "order", SCT, "103699006", &reason)));
        assert_eq!(n.action, None, "no action for a nutrition referral");
        assert!(reasons.contains(&("action", MissingReason::UnmappedCode)));
        assert_eq!(
            skip(sr(
                "active",
                "proposal",
                SCT,
                "306205009",
                r#","doNotPerform":true"#
            )),
            "not_done_without_reason"
        );
    }

    fn doc(status: &str, code: &str, dates: &str) -> Outcome {
        let json = format!(
            r#"{{"resourceType":"DocumentReference","status":"{status}","subject":{{"reference":"Patient/p"}},
            "type":{{"coding":[{{"system":"{LOINC}","code":"{code}"}}]}},
            "content":[{{"attachment":{{"contentType":"text/plain"}}}}]{dates}}}"#
        );
        let d: FhirDocumentReference = serde_json::from_str(&json).unwrap();
        document_reference(&d, req_tables().unwrap())
    }

    #[test]
    fn documents_by_type() {
        let (d, reasons) = take::<Document>(one(doc(
            "current",
            "93037-0",
            r#","date":"2026-03-04T23:00:00-08:00""#,
        )));
        assert_eq!(d.kind, Some(DocumentKind::Polst));
        assert_eq!(
            d.date,
            Date::from_ymd(2026, 3, 4),
            "the day in its own offset"
        );
        assert!(
            reasons.is_empty(),
            "regimen and sending are left not_imported"
        );
        let (d, _) = take::<Document>(one(doc(
            "current",
            "11488-4",
            r#","context":{"period":{"start":"2026-01-02"}}"#,
        )));
        assert_eq!(d.kind, Some(DocumentKind::ConsultNote));
        assert_eq!(d.date, Date::from_ymd(2026, 1, 2), "context period start");
        let (_, reasons) = take::<Document>(one(doc("current", "64298-3", "")));
        assert_eq!(reasons, [("date", MissingReason::Absent)]);
        assert_eq!(skip(doc("current", "84095-9", "")), "unlisted_document");
        assert_eq!(skip(doc("superseded", "42348-3", "")), "status");
        assert_eq!(skip(doc("entered-in-error", "42348-3", "")), "status");
    }

    fn comm(status: &str, concepts: &str) -> Outcome {
        let json = format!(
            r#"{{"resourceType":"Communication","status":"{status}","subject":{{"reference":"Patient/p"}},
            "sent":"2026-05-06"{concepts}}}"#
        );
        let c: FhirCommunication = serde_json::from_str(&json).unwrap();
        communication(&c, req_tables().unwrap())
    }

    #[test]
    fn discussions_by_topic_or_reason() {
        let acp = format!(r#"{{"coding":[{{"system":"{SCT}","code":"713603004"}}]}}"#);
        let (d, reasons) =
            take::<Discussion>(one(comm("completed", &format!(r#","reasonCode":[{acp}]"#))));
        assert_eq!(d.topic, Some(DiscussionTopic::AdvanceDirective));
        assert_eq!(d.date, Date::from_ymd(2026, 5, 6));
        assert!(reasons.is_empty());
        let (d, _) = take::<Discussion>(one(comm("completed", &format!(r#","topic":{acp}"#))));
        assert_eq!(d.topic, Some(DiscussionTopic::AdvanceDirective));
        let o = comm(
            "completed",
            &format!(r#","topic":{{"coding":[{{"system":"{SCT}","code":"1"}}]}}"#),
        );
        let Err((SkipReason::UnlistedCommunication { codes }, _)) = o else {
            panic!("unlisted")
        };
        assert_eq!(codes.len(), 1);
        assert_eq!(
            skip(comm("in-progress", &format!(r#","reasonCode":[{acp}]"#))),
            "status"
        );
    }
}
