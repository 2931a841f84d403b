//! Who was seen, and where: an encounter's `provider_role` from the Practitioner and
//! PractitionerRole resources its participants name, and its `with_practice` from its
//! `serviceProvider` and the run's [`PracticeEncounters`].
//!
//! Practitioner and PractitionerRole resources belong to no patient: the run keeps them in a
//! [`Directory`] (counted against the cap on resources held, like every resource), and an
//! encounter's participants are resolved when the run finishes, so the order of the input
//! files does not matter. Codes map through `data/fhir/provider-role.csv`; a code no row
//! lists gives no role and is counted, never guessed.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use fhir_model::r4b::resources::{EncounterInner, PractitionerInner, PractitionerRoleInner};
use fhir_model::r4b::types::{CodeableConcept, Coding};

use super::assemble::{Item, Mapped};
use super::map::{code_ref, codings, ref_id};
use super::report::{CodeRef, MissingReason};
use crate::chart::ProviderRole;

const ROLE_TABLE: &str = include_str!("../../../data/fhir/provider-role.csv");

/// Which encounters of an import are with the reporting practice (`encounters.with_practice`):
/// the practice is an argument of the import, not an element of FHIR data.
///
/// ```
/// use oncoqual::import::fhir::{FhirImport, PracticeEncounters};
///
/// let run = FhirImport::new("prac-1".parse()?, "2026-1".parse()?)
///     .practice_encounters(PracticeEncounters::organizations(["org-1", "org-2"]));
/// # drop(run);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PracticeEncounters {
    /// Not stated: `with_practice` is left missing (`not_imported`). An encounter then counts
    /// as no office visit of the practice, so most measures find no population.
    #[default]
    NotStated,
    /// Every encounter of the input is with the practice: the export is of the practice's
    /// own records.
    All,
    /// An encounter whose `serviceProvider` is `Organization/<id>` with an id of the set is
    /// with the practice; another organization's is not; one without a `serviceProvider`
    /// (or naming no Organization) is left missing (`absent`).
    Organizations(BTreeSet<String>),
}

impl PracticeEncounters {
    /// [`PracticeEncounters::Organizations`] of these Organization logical ids.
    pub fn organizations<I, S>(ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        PracticeEncounters::Organizations(ids.into_iter().map(Into::into).collect())
    }

    fn with_practice(&self, service_provider: Option<&str>) -> Result<bool, MissingReason> {
        match self {
            PracticeEncounters::NotStated => Err(MissingReason::NotImported),
            PracticeEncounters::All => Ok(true),
            PracticeEncounters::Organizations(ids) => service_provider
                .and_then(|r| ref_id(r, "Organization"))
                .map(|id| ids.contains(&id))
                .ok_or(MissingReason::Absent),
        }
    }
}

/// How an encounter participant took part, as far as choosing the clinician seen goes:
/// the primary performer, else the attender, else a participant of no stated type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    PrimaryPerformer,
    Attender,
    Untyped,
}

/// HL7 v3 ParticipationType.
const PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

/// What an Encounter names for the linking pass: its service provider and the participants
/// that may be the clinician seen.
#[derive(Debug, Default)]
pub(crate) struct EncounterRefs {
    service_provider: Option<String>,
    participants: Vec<(Tier, String)>,
}

/// The references of `e` that decide `with_practice` and `provider_role`.
pub(crate) fn encounter_refs(e: &EncounterInner) -> EncounterRefs {
    let mut participants = Vec::new();
    for p in e.participant.iter().flatten() {
        let Some(reference) = p.individual.as_ref().and_then(|r| r.reference.clone()) else {
            continue;
        };
        let types: Vec<&Coding> = p
            .r#type
            .iter()
            .flatten()
            .flat_map(concept_codings)
            .collect();
        let tier = if types.is_empty() {
            Some(Tier::Untyped)
        } else {
            let has = |code: &str| {
                types.iter().any(|c| {
                    c.system.as_deref() == Some(PARTICIPATION_TYPE)
                        && c.code.as_deref() == Some(code)
                })
            };
            if has("PPRF") {
                Some(Tier::PrimaryPerformer)
            } else if has("ATND") {
                Some(Tier::Attender)
            } else {
                None
            }
        };
        if let Some(tier) = tier {
            participants.push((tier, reference));
        }
    }
    EncounterRefs {
        service_provider: e
            .service_provider
            .as_ref()
            .and_then(|r| r.reference.clone()),
        participants,
    }
}

fn concept_codings(c: &CodeableConcept) -> impl Iterator<Item = &Coding> {
    c.coding.iter().flatten()
}

/// The shipped role table: exact codes and prefixes (longest first), by system URI.
struct RoleTable {
    exact: HashMap<(String, String), ProviderRole>,
    prefix: Vec<(String, String, ProviderRole)>,
}

fn system_uri(name: &str) -> Option<&'static str> {
    Some(match name {
        "nucc" => "http://nucc.org/provider-taxonomy",
        "practitioner-role" => "http://terminology.hl7.org/CodeSystem/practitioner-role",
        "v2-0360" => "http://terminology.hl7.org/CodeSystem/v2-0360",
        "sct" => "http://snomed.info/sct",
        _ => return None,
    })
}

impl RoleTable {
    fn parse() -> Result<RoleTable, String> {
        let file = "provider-role.csv";
        let mut exact = HashMap::new();
        let mut prefix = Vec::new();
        for row in super::tables::rows(ROLE_TABLE, 5, file)? {
            let [system, how, code, role, _name] = row.as_slice() else {
                return Err(format!("{file}: a row without its five columns"));
            };
            let system = system_uri(system)
                .ok_or_else(|| format!("{file}: unknown system `{system}`"))?
                .to_owned();
            let role = ProviderRole::parse(role)
                .ok_or_else(|| format!("{file}: unknown provider role `{role}`"))?;
            match *how {
                "exact" => {
                    exact.insert((system, (*code).to_owned()), role);
                }
                "prefix" => prefix.push((system, (*code).to_owned(), role)),
                other => return Err(format!("{file}: unknown match `{other}`")),
            }
        }
        prefix.sort_by_key(|(_, code, _)| std::cmp::Reverse(code.len()));
        Ok(RoleTable { exact, prefix })
    }

    /// The role a coding names. A system URI may carry a `|version` (as the v2 tables'
    /// URIs do in R4): it is ignored.
    fn role(&self, c: &Coding) -> Option<ProviderRole> {
        let system = c.system.as_deref()?;
        let system = system.split('|').next().unwrap_or(system);
        let code = c.code.as_deref()?;
        if let Some(r) = self.exact.get(&(system.to_owned(), code.to_owned())) {
            return Some(*r);
        }
        self.prefix
            .iter()
            .find(|(s, p, _)| s == system && code.starts_with(p.as_str()))
            .map(|(_, _, r)| *r)
    }
}

fn role_table() -> Result<&'static RoleTable, &'static str> {
    static TABLE: OnceLock<Result<RoleTable, String>> = OnceLock::new();
    TABLE
        .get_or_init(RoleTable::parse)
        .as_ref()
        .map_err(String::as_str)
}

/// The roles a set of codings names, and the codings that name none.
fn roles_of<'a>(
    table: &RoleTable,
    codes: impl Iterator<Item = &'a Coding>,
) -> (BTreeSet<ProviderRole>, Vec<CodeRef>) {
    let mut roles = BTreeSet::new();
    let mut unmapped = Vec::new();
    for c in codes {
        match table.role(c) {
            Some(r) => {
                roles.insert(r);
            }
            None => unmapped.push(code_ref(c)),
        }
    }
    (roles, unmapped)
}

/// The run's clinicians: Practitioner and PractitionerRole resources by logical id.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    /// Practitioner id → the roles its qualifications name.
    practitioners: HashMap<String, BTreeSet<ProviderRole>>,
    /// PractitionerRole id → its practitioner's id and the roles its codes name.
    roles: HashMap<String, (Option<String>, BTreeSet<ProviderRole>)>,
}

/// Whether a resource was added to the directory, or why not.
pub(crate) enum Added {
    /// Added; the codes among its roles that map to no role.
    Yes(Vec<CodeRef>),
    /// No logical id: nothing can name it.
    NoId,
    /// A resource of this type with this id is already in the directory.
    Duplicate,
}

impl Directory {
    /// Adds a Practitioner (its qualifications' roles).
    pub(crate) fn practitioner(&mut self, p: &PractitionerInner) -> Result<Added, &'static str> {
        let table = role_table()?;
        let Some(id) = p.id.clone() else {
            return Ok(Added::NoId);
        };
        if self.practitioners.contains_key(&id) {
            return Ok(Added::Duplicate);
        }
        let codes = p
            .qualification
            .iter()
            .flatten()
            .flat_map(|q| concept_codings(&q.code));
        let (roles, unmapped) = roles_of(table, codes);
        self.practitioners.insert(id, roles);
        Ok(Added::Yes(unmapped))
    }

    /// Adds a PractitionerRole (its practitioner and its codes' roles).
    pub(crate) fn practitioner_role(
        &mut self,
        r: &PractitionerRoleInner,
    ) -> Result<Added, &'static str> {
        let table = role_table()?;
        let Some(id) = r.id.clone() else {
            return Ok(Added::NoId);
        };
        if self.roles.contains_key(&id) {
            return Ok(Added::Duplicate);
        }
        let practitioner = r
            .practitioner
            .as_ref()
            .and_then(|p| p.reference.as_deref())
            .and_then(|p| ref_id(p, "Practitioner"));
        let codes = r.code.iter().flatten().flat_map(|c| codings(Some(c)));
        let (roles, unmapped) = roles_of(table, codes);
        self.roles.insert(id, (practitioner, roles));
        Ok(Added::Yes(unmapped))
    }

    /// The roles of the clinician a participant reference names: a PractitionerRole's own
    /// roles (else its practitioner's qualifications); a Practitioner's qualifications and
    /// the roles of every PractitionerRole naming it. `None`: the reference names no
    /// resource of the directory.
    fn resolve(&self, reference: &str) -> Option<BTreeSet<ProviderRole>> {
        if let Some(id) = ref_id(reference, "PractitionerRole") {
            let (practitioner, roles) = self.roles.get(&id)?;
            if !roles.is_empty() {
                return Some(roles.clone());
            }
            return Some(
                practitioner
                    .as_ref()
                    .and_then(|p| self.practitioners.get(p))
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        let id = ref_id(reference, "Practitioner")?;
        let own = self.practitioners.get(&id);
        let mut named = false;
        let mut roles = own.cloned().unwrap_or_default();
        for (p, r) in self.roles.values() {
            if p.as_deref() == Some(id.as_str()) {
                named = true;
                roles.extend(r.iter().copied());
            }
        }
        (own.is_some() || named).then_some(roles)
    }

    /// The clinician seen at an encounter: the participants of the first tier present
    /// (primary performer, attender, untyped); of their roles the first in the dictionary's
    /// order (physician, advanced practice provider, nurse, pharmacist, other: a visit where
    /// a physician and a nurse both performed was a visit with the physician).
    fn provider_role(&self, refs: &EncounterRefs) -> Result<ProviderRole, MissingReason> {
        let Some(tier) = refs.participants.iter().map(|(t, _)| *t).min() else {
            return Err(MissingReason::Absent);
        };
        let mut resolved = false;
        let mut roles = BTreeSet::new();
        for (_, reference) in refs.participants.iter().filter(|(t, _)| *t == tier) {
            if let Some(r) = self.resolve(reference) {
                resolved = true;
                roles.extend(r);
            }
        }
        match roles.first() {
            Some(r) => Ok(*r),
            None if resolved => Err(MissingReason::UnmappedCode),
            None => Err(MissingReason::UnresolvedReference),
        }
    }
}

/// Sets the `with_practice` and `provider_role` of a patient's encounters (the items that
/// carry [`EncounterRefs`]), or the reasons they stay missing.
pub(crate) fn link(items: &mut [Item], directory: &Directory, practice: &PracticeEncounters) {
    for item in items.iter_mut() {
        let Some(refs) = item.who.take() else {
            continue;
        };
        let Mapped::Encounter(e) = &mut item.mapped else {
            continue;
        };
        match practice.with_practice(refs.service_provider.as_deref()) {
            Ok(v) => e.with_practice = Some(v),
            Err(r) => item.reasons.push(("with_practice", r)),
        }
        match directory.provider_role(&refs) {
            Ok(r) => e.provider_role = Some(r),
            Err(r) => item.reasons.push(("provider_role", r)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fhir_model::r4b::resources::{
        Encounter as FhirEncounter, Practitioner as FhirPractitioner,
        PractitionerRole as FhirPractitionerRole,
    };

    fn encounter(participants: &str, provider: &str) -> EncounterRefs {
        let json = format!(
            r#"{{"resourceType":"Encounter","status":"finished","class":{{"code":"AMB"}},
                "participant":[{participants}]{provider}}}"#
        );
        let e: FhirEncounter = serde_json::from_str(&json).unwrap();
        encounter_refs(&e)
    }

    fn directory(resources: &[&str]) -> Directory {
        let mut d = Directory::default();
        for r in resources {
            let v: serde_json::Value = serde_json::from_str(r).unwrap();
            match v["resourceType"].as_str() {
                Some("Practitioner") => {
                    let p: FhirPractitioner = serde_json::from_value(v).unwrap();
                    assert!(matches!(d.practitioner(&p), Ok(Added::Yes(_))));
                }
                Some("PractitionerRole") => {
                    let p: FhirPractitionerRole = serde_json::from_value(v).unwrap();
                    assert!(matches!(d.practitioner_role(&p), Ok(Added::Yes(_))));
                }
                other => panic!("{other:?}"),
            }
        }
        d
    }

    const ONCOLOGIST: &str = r#"{"resourceType":"PractitionerRole","id":"r1",
        "practitioner":{"reference":"Practitioner/d1"},
        "code":[{"coding":[{"system":"http://nucc.org/provider-taxonomy","code":"207RX0202X"}]}]}"#;
    const NP: &str = r#"{"resourceType":"Practitioner","id":"n1","qualification":[{"code":
        {"coding":[{"system":"http://nucc.org/provider-taxonomy","code":"363LX0001X"}]}}]}"#;
    const RN_ROLE: &str = r#"{"resourceType":"PractitionerRole","id":"r2",
        "code":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/practitioner-role","code":"nurse"}]}]}"#;
    const MD_DEGREE: &str = r#"{"resourceType":"Practitioner","id":"d2","qualification":[{"code":
        {"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0360|2.7","code":"MD"}]}}]}"#;

    fn part(ty: Option<&str>, reference: &str) -> String {
        let ty = ty.map_or(String::new(), |t| {
            format!(r#""type":[{{"coding":[{{"system":"{PARTICIPATION_TYPE}","code":"{t}"}}]}}],"#)
        });
        format!(r#"{{{ty}"individual":{{"reference":"{reference}"}}}}"#)
    }

    #[test]
    fn the_role_table_parses_and_maps_by_longest_prefix_or_exactly() {
        let t = role_table().unwrap();
        let c = |system: &str, code: &str| -> Coding {
            serde_json::from_str(&format!(r#"{{"system":"{system}","code":"{code}"}}"#)).unwrap()
        };
        let nucc = "http://nucc.org/provider-taxonomy";
        assert_eq!(
            t.role(&c(nucc, "207RH0003X")),
            Some(ProviderRole::Physician)
        );
        assert_eq!(
            t.role(&c(nucc, "2085R0001X")),
            Some(ProviderRole::Physician)
        );
        assert_eq!(
            t.role(&c(nucc, "363AM0700X")),
            Some(ProviderRole::AdvancedPracticeProvider)
        );
        assert_eq!(t.role(&c(nucc, "163WX0200X")), Some(ProviderRole::Nurse));
        assert_eq!(
            t.role(&c(nucc, "367500000X")),
            Some(ProviderRole::AdvancedPracticeProvider)
        );
        assert_eq!(
            t.role(&c(nucc, "1223G0001X")),
            None,
            "a dentist is listed nowhere"
        );
        assert_eq!(
            t.role(&c("http://snomed.info/sct", "46255001")),
            Some(ProviderRole::Pharmacist)
        );
        assert_eq!(t.role(&c("http://loinc.org", "207RX0202X")), None);
    }

    #[test]
    fn a_participant_resolves_through_its_role_or_its_practitioner() {
        let d = directory(&[ONCOLOGIST, NP, RN_ROLE, MD_DEGREE]);
        let role = |p: &str| d.provider_role(&encounter(p, ""));
        assert_eq!(
            role(&part(None, "PractitionerRole/r1")),
            Ok(ProviderRole::Physician)
        );
        // A Practitioner named by a PractitionerRole takes that role's codes.
        assert_eq!(
            role(&part(None, "Practitioner/d1")),
            Ok(ProviderRole::Physician)
        );
        assert_eq!(
            role(&part(
                None,
                "https://ehr.example/fhir/Practitioner/n1/_history/2"
            )),
            Ok(ProviderRole::AdvancedPracticeProvider)
        );
        assert_eq!(
            role(&part(None, "Practitioner/d2")),
            Ok(ProviderRole::Physician)
        );
        assert_eq!(
            role(&part(None, "PractitionerRole/r2")),
            Ok(ProviderRole::Nurse)
        );
    }

    #[test]
    fn the_primary_performer_wins_over_the_attender_and_the_physician_over_the_nurse() {
        let d = directory(&[ONCOLOGIST, NP, RN_ROLE]);
        let both = format!(
            "{},{}",
            part(Some("ATND"), "PractitionerRole/r1"),
            part(Some("PPRF"), "Practitioner/n1")
        );
        assert_eq!(
            d.provider_role(&encounter(&both, "")),
            Ok(ProviderRole::AdvancedPracticeProvider)
        );
        let two = format!(
            "{},{}",
            part(Some("PPRF"), "PractitionerRole/r2"),
            part(Some("PPRF"), "PractitionerRole/r1")
        );
        assert_eq!(
            d.provider_role(&encounter(&two, "")),
            Ok(ProviderRole::Physician)
        );
        // A referrer or a translator is not the clinician seen.
        let other = part(Some("REF"), "PractitionerRole/r1");
        assert_eq!(
            d.provider_role(&encounter(&other, "")),
            Err(MissingReason::Absent)
        );
    }

    #[test]
    fn an_unknown_or_uncoded_clinician_leaves_the_role_missing_with_its_reason() {
        let d = directory(&[
            r#"{"resourceType":"Practitioner","id":"x1","qualification":[{"code":
                {"coding":[{"system":"http://nucc.org/provider-taxonomy","code":"1223G0001X"}]}}]}"#,
        ]);
        assert_eq!(
            d.provider_role(&encounter(&part(None, "Practitioner/nobody"), "")),
            Err(MissingReason::UnresolvedReference)
        );
        assert_eq!(
            d.provider_role(&encounter(&part(None, "Practitioner/x1"), "")),
            Err(MissingReason::UnmappedCode)
        );
        assert_eq!(
            d.provider_role(&encounter("", "")),
            Err(MissingReason::Absent)
        );
    }

    #[test]
    fn with_practice_follows_the_runs_statement() {
        let at = |p: &PracticeEncounters, provider: &str| {
            let refs = encounter("", provider);
            p.with_practice(refs.service_provider.as_deref())
        };
        let ours = r#","serviceProvider":{"reference":"Organization/org-1"}"#;
        let theirs = r#","serviceProvider":{"reference":"Organization/er-9"}"#;
        assert_eq!(
            at(&PracticeEncounters::NotStated, ours),
            Err(MissingReason::NotImported)
        );
        assert_eq!(at(&PracticeEncounters::All, theirs), Ok(true));
        let orgs = PracticeEncounters::organizations(["org-1"]);
        assert_eq!(at(&orgs, ours), Ok(true));
        assert_eq!(at(&orgs, theirs), Ok(false));
        assert_eq!(at(&orgs, ""), Err(MissingReason::Absent));
    }

    #[test]
    fn a_second_resource_with_the_same_id_is_not_added() {
        let mut d = directory(&[NP]);
        let p: FhirPractitioner = serde_json::from_str(NP).unwrap();
        assert!(matches!(d.practitioner(&p), Ok(Added::Duplicate)));
        let anonymous: FhirPractitioner =
            serde_json::from_str(r#"{"resourceType":"Practitioner"}"#).unwrap();
        assert!(matches!(d.practitioner(&anonymous), Ok(Added::NoId)));
    }
}
