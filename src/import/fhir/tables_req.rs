//! The code maps of the request, document and communication import, shipped as data files
//! in `data/fhir/` (each cites its sources in its header comment; same format as
//! [`super::tables`]), parsed once on first use: `referral-kind.csv`, `request-action.csv`,
//! `document-kind.csv`, `discussion-topic.csv`.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

use fhir_model::r4b::types::Coding;

use super::tables::rows;
use crate::chart::fhir_map::code_system_uri;
use crate::chart::{Action, DiscussionTopic, DocumentKind, ReferralKind};

const REFERRALS: &str = include_str!("../../../data/fhir/referral-kind.csv");
const ACTIONS: &str = include_str!("../../../data/fhir/request-action.csv");
const DOCUMENTS: &str = include_str!("../../../data/fhir/document-kind.csv");
const TOPICS: &str = include_str!("../../../data/fhir/discussion-topic.csv");

/// A code by its system URI and code.
type Key = (String, String);

/// The parsed tables.
pub(crate) struct ReqTables {
    referrals: HashMap<Key, ReferralKind>,
    actions: HashMap<Key, Action>,
    documents: HashMap<Key, DocumentKind>,
    topics: HashMap<Key, DiscussionTopic>,
}

/// The rows of one `system,code,value,name` table, keyed by the system's URI.
fn table<T: FromStr>(text: &str, file: &str, what: &str) -> Result<HashMap<Key, T>, String> {
    let mut out = HashMap::new();
    for row in rows(text, 4, file)? {
        if let [system, code, value, _] = row.as_slice() {
            if !matches!(*system, "SNOMED" | "LOINC" | "CPT") {
                return Err(format!("{file}: unknown system `{system}`"));
            }
            let v = value
                .parse()
                .map_err(|_| format!("{file}: `{value}` is no {what} value"))?;
            if out
                .insert((code_system_uri(system), (*code).to_owned()), v)
                .is_some()
            {
                return Err(format!("{file}: a code is listed twice"));
            }
        }
    }
    Ok(out)
}

fn find<T: Copy>(map: &HashMap<Key, T>, c: &Coding) -> Option<T> {
    let key = (c.system.clone()?, c.code.as_deref()?.trim().to_owned());
    map.get(&key).copied()
}

impl ReqTables {
    fn parse() -> Result<ReqTables, String> {
        Ok(ReqTables {
            referrals: table(REFERRALS, "referral-kind.csv", "referral kind")?,
            actions: table(ACTIONS, "request-action.csv", "action")?,
            documents: table(DOCUMENTS, "document-kind.csv", "document kind")?,
            topics: table(TOPICS, "discussion-topic.csv", "discussion topic")?,
        })
    }

    /// The referral kind of a coding.
    pub(crate) fn referral(&self, c: &Coding) -> Option<ReferralKind> {
        find(&self.referrals, c)
    }

    /// The recommended action of a coding (besides the procedure table's).
    pub(crate) fn action(&self, c: &Coding) -> Option<Action> {
        find(&self.actions, c)
    }

    /// The document kind of a coding.
    pub(crate) fn document(&self, c: &Coding) -> Option<DocumentKind> {
        find(&self.documents, c)
    }

    /// The discussion topic of a coding.
    pub(crate) fn topic(&self, c: &Coding) -> Option<DiscussionTopic> {
        find(&self.topics, c)
    }
}

static TABLES: OnceLock<Result<ReqTables, String>> = OnceLock::new();

/// The tables, parsed on first use; an error names the defective file.
pub(crate) fn req_tables() -> Result<&'static ReqTables, &'static str> {
    TABLES
        .get_or_init(ReqTables::parse)
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coding(system: &str, code: &str) -> Coding {
        serde_json::from_value(serde_json::json!({"system": system, "code": code})).unwrap()
    }

    const SCT: &str = "http://snomed.info/sct";
    const LOINC: &str = "http://loinc.org";

    #[test]
    fn every_table_parses_and_rows_say_what_their_names_say() {
        let t = req_tables().unwrap();
        assert!(t.referrals.len() > 20);
        assert_eq!(
            t.referral(&coding(SCT, "306205009")),
            Some(ReferralKind::Hospice)
        );
        assert_eq!(
            t.referral(&coding(SCT, "306237005")),
            Some(ReferralKind::PalliativeCare)
        );
        assert_eq!(
            t.referral(&coding(SCT, "103699006")),
            Some(ReferralKind::Nutrition)
        );
        assert_eq!(t.referral(&coding(LOINC, "306205009")), None, "by system");
        assert_eq!(t.action(&coding(LOINC, "2039-6")), Some(Action::CeaTest));
        assert_eq!(
            t.action(&coding("http://www.ama-assn.org/go/cpt", "81162")),
            Some(Action::GeneticTesting)
        );
        assert_eq!(
            t.document(&coding(LOINC, "11488-4")),
            Some(DocumentKind::ConsultNote)
        );
        assert_eq!(
            t.document(&coding(LOINC, "93037-0")),
            Some(DocumentKind::Polst)
        );
        assert_eq!(t.document(&coding(LOINC, "84095-9")), None);
        assert_eq!(
            t.topic(&coding(SCT, "713603004")),
            Some(DiscussionTopic::AdvanceDirective)
        );
    }

    #[test]
    fn a_defective_row_is_refused_naming_the_file() {
        let e = table::<ReferralKind>("h\nSNOMED,1,nowhere,x\n", "x.csv", "kind").unwrap_err();
        assert!(e.contains("x.csv"), "{e}");
        assert!(table::<ReferralKind>("h\nICD,1,hospice,x\n", "x.csv", "kind").is_err());
        assert!(
            table::<ReferralKind>("h\nSNOMED,1,hospice,x\nSNOMED,1,dental,y\n", "x.csv", "k")
                .is_err()
        );
    }
}
