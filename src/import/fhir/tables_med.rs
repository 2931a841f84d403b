//! The code maps of the medication and procedure import, shipped as data files in
//! `data/fhir/` (each cites its sources in its header comment; same format as
//! [`super::tables`]), parsed once on first use.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

use super::tables::rows;
use crate::chart::{
    AgentCategory, AgentClass, MedicationClass, ProcedureKind, RadiationModality, RadiationTarget,
    ReasonType, Route, SurgeryKind,
};

const AGENTS: &str = include_str!("../../../data/fhir/rxnorm-agents.csv");
const SUPPORTIVE: &str = include_str!("../../../data/fhir/rxnorm-supportive.csv");
const ROUTES: &str = include_str!("../../../data/fhir/route.csv");
const REASONS: &str = include_str!("../../../data/fhir/not-done-reason.csv");
const PROCEDURES: &str = include_str!("../../../data/fhir/procedure-kind.csv");
const RADIOTHERAPY: &str = include_str!("../../../data/fhir/radiotherapy.csv");

/// An anticancer agent's category and class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AgentRow {
    pub(crate) category: AgentCategory,
    pub(crate) class: AgentClass,
}

/// What a procedure code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcedureRow {
    /// A cancer operation.
    Surgery(SurgeryKind),
    /// An imaging study or diagnostic procedure.
    Procedure(ProcedureKind),
}

/// The code systems of the tables (by their short name in the files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum System {
    Snomed,
    Edqm,
    Cpt,
    Hcpcs,
    ActReason,
}

/// The FHIR URI of EDQM Standard Terms.
pub(crate) const EDQM: &str = "urn:oid:0.4.0.127.0.16.1.1.2.1";
/// HL7 v3 ActReason.
pub(crate) const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

impl System {
    fn parse(s: &str, file: &str) -> Result<Self, String> {
        Ok(match s {
            "SNOMED" => System::Snomed,
            "EDQM" => System::Edqm,
            "CPT" => System::Cpt,
            "HCPCS" => System::Hcpcs,
            "ActReason" => System::ActReason,
            other => return Err(format!("{file}: unknown system `{other}`")),
        })
    }

    /// The system of a coding's URI, when it is one of the tables'.
    pub(crate) fn of_uri(uri: &str) -> Option<Self> {
        use crate::chart::fhir_map::code_system_uri;
        if uri == code_system_uri("SNOMED") {
            Some(System::Snomed)
        } else if uri == code_system_uri("CPT") {
            Some(System::Cpt)
        } else if uri == code_system_uri("HCPCS")
            || uri == "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
        {
            Some(System::Hcpcs)
        } else if uri == EDQM {
            Some(System::Edqm)
        } else if uri == ACT_REASON {
            Some(System::ActReason)
        } else {
            None
        }
    }
}

/// The parsed medication and procedure tables.
pub(crate) struct MedTables {
    agents: HashMap<String, AgentRow>,
    supportive: HashMap<String, MedicationClass>,
    routes: HashMap<(System, String), Route>,
    reasons: HashMap<(System, String), ReasonType>,
    procedures: HashMap<(System, String), ProcedureRow>,
    modalities: HashMap<String, RadiationModality>,
    targets: HashMap<String, RadiationTarget>,
}

fn value<T: FromStr>(s: &str, file: &str, what: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{file}: `{s}` is no {what} value"))
}

fn insert<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    k: K,
    v: V,
    file: &str,
) -> Result<(), String> {
    if map.insert(k, v).is_some() {
        return Err(format!("{file}: a code is listed twice"));
    }
    Ok(())
}

impl MedTables {
    fn parse() -> Result<MedTables, String> {
        let mut t = MedTables {
            agents: HashMap::new(),
            supportive: HashMap::new(),
            routes: HashMap::new(),
            reasons: HashMap::new(),
            procedures: HashMap::new(),
            modalities: HashMap::new(),
            targets: HashMap::new(),
        };
        let f = "rxnorm-agents.csv";
        for row in rows(AGENTS, 4, f)? {
            if let [code, category, class, _] = row.as_slice() {
                let r = AgentRow {
                    category: value(category, f, "agent category")?,
                    class: value(class, f, "agent class")?,
                };
                insert(&mut t.agents, (*code).to_owned(), r, f)?;
            }
        }
        let f = "rxnorm-supportive.csv";
        for row in rows(SUPPORTIVE, 3, f)? {
            if let [code, class, _] = row.as_slice() {
                if t.agents.contains_key(*code) {
                    return Err(format!("{f}: a code is also an anticancer agent"));
                }
                let class = value(class, f, "medication class")?;
                insert(&mut t.supportive, (*code).to_owned(), class, f)?;
            }
        }
        let f = "route.csv";
        for row in rows(ROUTES, 4, f)? {
            if let [system, code, route, _] = row.as_slice() {
                let k = (System::parse(system, f)?, (*code).to_owned());
                insert(&mut t.routes, k, value(route, f, "route")?, f)?;
            }
        }
        let f = "not-done-reason.csv";
        for row in rows(REASONS, 4, f)? {
            if let [system, code, ty, _] = row.as_slice() {
                let k = (System::parse(system, f)?, (*code).to_owned());
                insert(&mut t.reasons, k, value(ty, f, "reason type")?, f)?;
            }
        }
        let f = "procedure-kind.csv";
        for row in rows(PROCEDURES, 5, f)? {
            if let [system, code, root, kind, _] = row.as_slice() {
                let k = (System::parse(system, f)?, (*code).to_owned());
                let v = match *root {
                    "surgery" => ProcedureRow::Surgery(value(kind, f, "surgery kind")?),
                    "procedure" => ProcedureRow::Procedure(value(kind, f, "procedure kind")?),
                    other => return Err(format!("{f}: unknown root `{other}`")),
                };
                insert(&mut t.procedures, k, v, f)?;
            }
        }
        let f = "radiotherapy.csv";
        for row in rows(RADIOTHERAPY, 4, f)? {
            if let [field, code, v, _] = row.as_slice() {
                match *field {
                    "modality" => insert(
                        &mut t.modalities,
                        (*code).to_owned(),
                        value(v, f, "radiation modality")?,
                        f,
                    )?,
                    "target" => insert(
                        &mut t.targets,
                        (*code).to_owned(),
                        value(v, f, "radiation target")?,
                        f,
                    )?,
                    other => return Err(format!("{f}: unknown field `{other}`")),
                }
            }
        }
        Ok(t)
    }

    /// The anticancer agent of RxNorm ingredient `rxcui`.
    pub(crate) fn agent(&self, rxcui: &str) -> Option<AgentRow> {
        self.agents.get(rxcui.trim()).copied()
    }

    /// The supportive medication class of RxNorm ingredient `rxcui`.
    pub(crate) fn supportive(&self, rxcui: &str) -> Option<MedicationClass> {
        self.supportive.get(rxcui.trim()).copied()
    }

    /// The route of a route code.
    pub(crate) fn route(&self, system: System, code: &str) -> Option<Route> {
        self.routes.get(&(system, code.trim().to_owned())).copied()
    }

    /// The reason type of a not-done reason code.
    pub(crate) fn reason(&self, system: System, code: &str) -> Option<ReasonType> {
        self.reasons.get(&(system, code.trim().to_owned())).copied()
    }

    /// What a procedure code names.
    pub(crate) fn procedure(&self, system: System, code: &str) -> Option<ProcedureRow> {
        self.procedures
            .get(&(system, code.trim().to_owned()))
            .copied()
    }

    /// The radiation modality of an mCODE modality code (SNOMED CT).
    pub(crate) fn modality(&self, code: &str) -> Option<RadiationModality> {
        self.modalities.get(code.trim()).copied()
    }

    /// The radiation target of a body structure code (SNOMED CT).
    pub(crate) fn target(&self, code: &str) -> Option<RadiationTarget> {
        self.targets.get(code.trim()).copied()
    }
}

static TABLES: OnceLock<Result<MedTables, String>> = OnceLock::new();

/// The tables, parsed on first use; an error names the defective file.
pub(crate) fn med_tables() -> Result<&'static MedTables, &'static str> {
    TABLES
        .get_or_init(MedTables::parse)
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> &'static MedTables {
        med_tables().unwrap()
    }

    #[test]
    fn every_table_parses_and_rows_say_what_their_names_say() {
        let t = t();
        assert!(t.agents.len() > 50);
        assert!(t.supportive.len() > 25);
        assert_eq!(
            t.agent("40048"),
            Some(AgentRow {
                category: AgentCategory::Cytotoxic,
                class: AgentClass::Carboplatin
            })
        );
        assert_eq!(t.agent("224905").unwrap().class, AgentClass::AntiHer2);
        assert_eq!(
            t.agent("1547545").unwrap().category,
            AgentCategory::Immunotherapy
        );
        assert_eq!(t.agent("10324").unwrap().category, AgentCategory::Endocrine);
        assert_eq!(t.agent("6851"), None, "methotrexate is not listed");
        assert_eq!(t.supportive("338036"), Some(MedicationClass::GCsf));
        assert_eq!(t.supportive("26225"), Some(MedicationClass::Ant5ht3Ra));
        assert_eq!(t.supportive("40048"), None);
        assert_eq!(t.route(System::Snomed, "47625008"), Some(Route::Iv));
        assert_eq!(t.route(System::Edqm, "20053000"), Some(Route::Oral));
        assert_eq!(t.route(System::Edqm, "47625008"), None);
        assert_eq!(
            t.reason(System::Snomed, "105480006"),
            Some(ReasonType::PatientRefusal)
        );
        assert_eq!(
            t.procedure(System::Cpt, "19303"),
            Some(ProcedureRow::Surgery(SurgeryKind::Mastectomy))
        );
        assert_eq!(
            t.procedure(System::Cpt, "78306"),
            Some(ProcedureRow::Procedure(ProcedureKind::BoneScan))
        );
        assert_eq!(t.procedure(System::Snomed, "19303"), None);
        assert_eq!(t.modality("10611004"), Some(RadiationModality::Proton));
        assert_eq!(t.target("41216001"), Some(RadiationTarget::Prostate));
    }

    #[test]
    fn systems_by_uri() {
        assert_eq!(
            System::of_uri("http://snomed.info/sct"),
            Some(System::Snomed)
        );
        assert_eq!(
            System::of_uri("http://www.ama-assn.org/go/cpt"),
            Some(System::Cpt)
        );
        assert_eq!(System::of_uri(EDQM), Some(System::Edqm));
        assert_eq!(System::of_uri("http://loinc.org"), None);
    }

    #[test]
    fn a_duplicate_code_is_refused() {
        let mut m = HashMap::new();
        insert(&mut m, 1, 1, "x.csv").unwrap();
        assert!(insert(&mut m, 1, 2, "x.csv").unwrap_err().contains("x.csv"));
        assert!(value::<Route>("sideways", "x.csv", "route").is_err());
    }
}
