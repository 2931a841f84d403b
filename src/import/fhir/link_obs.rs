//! The linking pass for findings about a diagnosis (run per patient before its records are
//! added): each staging or tumour-marker Observation, and each secondary cancer condition,
//! finds the diagnosis it is about by FHIR logical ids, never by guess.
//!
//! An Observation's diagnosis is the Condition its `focus` names; without a Condition in
//! `focus`, the Condition whose `stage.assessment` references it; without either, the
//! diagnosis of the stage group Observation that lists it in `hasMember` (mCODE's T, N and M
//! members). A secondary cancer condition's diagnosis is the one its mCODE
//! related-primary-cancer-condition extension names. When that names no diagnosis of the
//! patient, or several, the resource is reported `unlinked` — even when the patient has one
//! diagnosis only.
//!
//! What a linked finding gives its diagnosis:
//! - **Stage group**: the Condition's own `stage.summary` wins; only when it gave none, the
//!   best stage group Observation gives `stage_group`, `staging_system` (`ajcc_tnm`: only
//!   AJCC codes are read) and `stage_documented_date` (the earliest effective date among the
//!   diagnosis's mapped stage group Observations). Best = pathological over clinical over
//!   other (the clinical or pathological prefix of the code, else the Observation code's
//!   timing), then the earliest effective date, then the first read.
//! - **T, N, M categories**: the best Observation of each, chosen the same way (the
//!   dictionary's "clinical, or pathological when available").
//! - **Tumour markers**: each is one `biomarkers` entry, in the order read.
//! - **Secondary cancers**: the earliest onset is `metastasis_date`; a bone site (ICD-O-3
//!   C40/C41, SNOMED CT bone structure, or a secondary-neoplasm-of-bone code) sets
//!   `bone_metastases: true` (never false: the absence of a bone metastasis Condition says
//!   nothing).

use std::collections::HashMap;

use super::assemble::{Item, Mapped};
use super::map_obs::{Finding, Link, Metastasis, Stage, What};
use super::report::{ChartReport, MissingReason, ResourceRef, SkipReason, Skipped, Summary};
use super::tables_obs::{Element, Timing};
use crate::chart::{Date, Diagnosis, StagingSystem};

/// The diagnosis fields only findings of other resources fill.
const FINDING_FIELDS: [&str; 7] = [
    "staging_system",
    "t_category",
    "n_category",
    "m_category",
    "stage_documented_date",
    "metastasis_date",
    "bone_metastases",
];

/// A staging candidate: its timing, date, read order and value.
type Candidate = (Timing, Option<Date>, usize, Stage);

/// The diagnosis index (into the items) a finding resolves to, or `None`.
fn resolve(
    finding: &Finding,
    dx: &HashMap<String, usize>,
    assessed: &HashMap<&str, Vec<&str>>,
    parents: &HashMap<String, usize>,
) -> Option<usize> {
    let mut targets: Vec<usize> = if finding.focus.is_empty() {
        let id = finding.observation.id.as_deref();
        id.and_then(|id| assessed.get(id))
            .map(|conds| conds.iter().filter_map(|c| dx.get(*c).copied()).collect())
            .unwrap_or_default()
    } else {
        finding
            .focus
            .iter()
            .filter_map(|c| dx.get(c).copied())
            .collect()
    };
    if finding.focus.is_empty() && targets.is_empty() {
        // A member of a stage group Observation that is linked.
        if let Some(i) = finding
            .observation
            .id
            .as_deref()
            .and_then(|id| parents.get(id))
        {
            targets.push(*i);
        }
    }
    targets.sort_unstable();
    targets.dedup();
    match targets.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn diagnosis(
    items: &mut [Item],
    i: usize,
) -> Option<(&mut Diagnosis, &mut Vec<(&'static str, MissingReason)>)> {
    let item = items.get_mut(i)?;
    match &mut item.mapped {
        Mapped::Diagnosis(d) => Some((&mut **d, &mut item.reasons)),
        _ => None,
    }
}

fn set_reason(
    reasons: &mut Vec<(&'static str, MissingReason)>,
    field: &'static str,
    r: MissingReason,
) {
    reasons.retain(|(f, _)| *f != field);
    reasons.push((field, r));
}

/// Better first: pathological, clinical, other; then dated before undated, earlier first;
/// then read first.
fn best(mut c: Vec<Candidate>) -> Option<Candidate> {
    c.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| match (a.1, b.1) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.2.cmp(&b.2))
    });
    c.into_iter().next()
}

/// Links the findings to their diagnoses, fills the diagnoses, and returns the resources
/// whose report entry changes: `(resource, linked)` for each Observation finding that is
/// unlinked (`false`) and each secondary cancer condition (linked or not).
fn link(items: &mut [Item], links: Vec<Link>) -> Vec<(ResourceRef, bool, bool)> {
    let mut dx: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter_mut().enumerate() {
        if let Mapped::Diagnosis(d) = &item.mapped {
            if let Some(id) = &d.id {
                dx.insert(id.as_str().to_owned(), i);
            }
            // The fields only findings fill: absent unless a finding below says otherwise.
            for f in FINDING_FIELDS {
                if !item.reasons.iter().any(|(n, _)| n == &f) {
                    item.reasons.push((f, MissingReason::Absent));
                }
            }
        }
    }
    let mut assessed: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut findings = Vec::new();
    let mut metastases: Vec<&Metastasis> = Vec::new();
    for l in &links {
        match l {
            Link::Assessments {
                condition,
                observations,
            } => {
                for o in observations {
                    assessed
                        .entry(o.as_str())
                        .or_default()
                        .push(condition.as_str());
                }
            }
            Link::Finding(f) => findings.push(f),
            Link::Metastasis(m) => metastases.push(m),
        }
    }
    // First the findings a focus or stage.assessment links, then the members of linked
    // stage groups.
    let none = HashMap::new();
    let mut target: Vec<Option<usize>> = findings
        .iter()
        .map(|f| resolve(f, &dx, &assessed, &none))
        .collect();
    let mut parents: HashMap<String, usize> = HashMap::new();
    let mut ambiguous: Vec<String> = Vec::new();
    for (f, t) in findings.iter().zip(&target) {
        if let Some(t) = t {
            for m in &f.members {
                match parents.get(m) {
                    Some(p) if p != t => ambiguous.push(m.clone()),
                    _ => {
                        parents.insert(m.clone(), *t);
                    }
                }
            }
        }
    }
    for m in ambiguous {
        parents.remove(&m);
    }
    for (f, t) in findings.iter().zip(target.iter_mut()) {
        if t.is_none() {
            *t = resolve(f, &dx, &assessed, &parents);
        }
    }
    let mut changes = Vec::new();
    // Staging candidates per diagnosis and element; earliest stage group date.
    let mut candidates: HashMap<(usize, u8), Vec<Candidate>> = HashMap::new();
    let mut unmapped: HashMap<(usize, u8), bool> = HashMap::new();
    let mut group_date: HashMap<usize, Date> = HashMap::new();
    for (n, (f, t)) in findings.iter().zip(&target).enumerate() {
        let Some(i) = *t else {
            changes.push((f.observation.clone(), false, false));
            continue;
        };
        match &f.what {
            What::Biomarker(b) => {
                if let Some((d, _)) = diagnosis(items, i) {
                    d.biomarkers.push(b.clone());
                }
            }
            What::Staging {
                element,
                timing,
                value,
            } => {
                let e = match element {
                    Element::Group => 0,
                    Element::T => 1,
                    Element::N => 2,
                    Element::M => 3,
                };
                match value {
                    Some(v) => {
                        let date = f.date.ok();
                        candidates
                            .entry((i, e))
                            .or_default()
                            .push((*timing, date, n, *v));
                        if e == 0
                            && let Some(d) = date
                        {
                            let g = group_date.entry(i).or_insert(d);
                            *g = (*g).min(d);
                        }
                    }
                    None => {
                        unmapped.insert((i, e), true);
                    }
                }
            }
        }
    }
    let mut keys: Vec<(usize, u8)> = candidates.keys().chain(unmapped.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    for (i, e) in keys {
        let Some((d, reasons)) = diagnosis(items, i) else {
            continue;
        };
        let chosen = candidates.remove(&(i, e)).and_then(best);
        let field = match e {
            0 => "stage_group",
            1 => "t_category",
            2 => "n_category",
            _ => "m_category",
        };
        match chosen.map(|c| c.3) {
            Some(Stage::Group(g)) => {
                if d.stage_group.is_none() {
                    d.stage_group = Some(g);
                    d.staging_system = Some(StagingSystem::AjccTnm);
                    d.stage_documented_date = group_date.get(&i).copied();
                    if d.stage_documented_date.is_none() {
                        set_reason(reasons, "stage_documented_date", MissingReason::Absent);
                    }
                }
            }
            Some(Stage::T(v)) => d.t_category = Some(v),
            Some(Stage::N(v)) => d.n_category = Some(v),
            Some(Stage::M(v)) => d.m_category = Some(v),
            None => {
                if e != 0 || d.stage_group.is_none() {
                    set_reason(reasons, field, MissingReason::UnmappedCode);
                }
            }
        }
    }
    for m in metastases {
        let i = m.primary.as_ref().and_then(|p| dx.get(p)).copied();
        changes.push((m.condition.clone(), i.is_some(), true));
        let Some((d, reasons)) = i.and_then(|i| diagnosis(items, i)) else {
            continue;
        };
        match m.date {
            Ok(date) => d.metastasis_date = Some(d.metastasis_date.map_or(date, |x| x.min(date))),
            Err(r) => {
                if d.metastasis_date.is_none() {
                    set_reason(reasons, "metastasis_date", r);
                }
            }
        }
        if m.bone {
            d.bone_metastases = Some(true);
        }
    }
    changes
}

/// Runs the linking pass over one patient's records and settles the report: an unlinked
/// Observation moves from `used` to `skipped` (`unlinked`); a secondary cancer condition
/// linked to its diagnosis moves from `skipped` (`secondary_cancer`) to `used`, one not
/// linked is `unlinked` instead.
pub(crate) fn link_and_report(
    mut items: Vec<Item>,
    links: Vec<Link>,
    entry: &mut ChartReport,
    summary: &mut Summary,
) -> Vec<Item> {
    let changes = link(&mut items, links);
    let mut count = |name: &str, up: bool| {
        let n = summary.skip_reasons.entry(name.to_owned()).or_insert(0);
        *n = if up {
            n.saturating_add(1)
        } else {
            n.saturating_sub(1)
        };
        if *n == 0 {
            summary.skip_reasons.remove(name);
        }
    };
    let mut used_delta: Vec<bool> = Vec::new();
    for (resource, linked, secondary) in changes {
        if secondary {
            let Some(pos) = entry
                .skipped
                .iter()
                .position(|s| s.resource == resource && s.reason == SkipReason::SecondaryCancer)
            else {
                continue;
            };
            count(SkipReason::SecondaryCancer.name(), false);
            if linked {
                entry.skipped.remove(pos);
                entry.used.push(resource);
                used_delta.push(true);
            } else if let Some(s) = entry.skipped.get_mut(pos) {
                s.reason = SkipReason::Unlinked;
                count(SkipReason::Unlinked.name(), true);
            }
        } else if let Some(pos) = entry.used.iter().position(|r| *r == resource) {
            entry.used.remove(pos);
            entry.skipped.push(Skipped {
                resource,
                reason: SkipReason::Unlinked,
            });
            count(SkipReason::Unlinked.name(), true);
            used_delta.push(false);
        }
    }
    for up in used_delta {
        if up {
            summary.resources_used = summary.resources_used.saturating_add(1);
            summary.resources_skipped = summary.resources_skipped.saturating_sub(1);
        } else {
            summary.resources_used = summary.resources_used.saturating_sub(1);
            summary.resources_skipped = summary.resources_skipped.saturating_add(1);
        }
    }
    items
}
