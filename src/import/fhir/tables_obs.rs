//! The Observation code maps (`data/fhir/loinc-observation.csv`,
//! `data/fhir/observation-answers.csv`) and the ICD-O-3 morphology groups
//! (`data/fhir/icdo3-morphology.csv`), parsed once on first use, in the format of
//! [`super::tables`].

use std::collections::HashMap;
use std::sync::OnceLock;

use super::tables::rows;
use crate::chart::{
    AssessmentKind, AssessmentScale, BiomarkerMethod, BiomarkerName, HistologyGroup, LabTest,
};

/// When a staging observation classifies: its LOINC or SNOMED CT code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timing {
    /// Neither clinical nor pathological (`other`, or unspecified): the weakest.
    Other,
    /// Clinical classification.
    Clinical,
    /// Pathological classification: preferred when available.
    Pathological,
}

/// Which staging element an observation gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Element {
    /// The stage group.
    Group,
    /// The T category.
    T,
    /// The N category.
    N,
    /// The M category.
    M,
}

/// What an Observation's code says it observed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// A staging element of the diagnosis.
    Staging(Element, Timing),
    /// A tumour marker, with the method the term names and whether its value is a percent.
    Biomarker(BiomarkerName, Option<BiomarkerMethod>, bool),
    /// An assessment, with the scale the term names and the unit(s) its number is read in.
    Assessment(AssessmentKind, Option<AssessmentScale>, Vec<String>),
    /// A laboratory test and the canonical unit(s) its number is read in.
    Lab(LabTest, Vec<String>),
}

/// What an answer or interpretation code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Positive,
    Negative,
    Detected,
    NotDetected,
    Present,
    Absent,
    Equivocal,
    Indeterminate,
    Normal,
    Abnormal,
    TobaccoCurrent,
    TobaccoFormer,
    TobaccoNever,
    TobaccoUnknown,
}

impl Answer {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "positive" => Self::Positive,
            "negative" => Self::Negative,
            "detected" => Self::Detected,
            "not_detected" => Self::NotDetected,
            "present" => Self::Present,
            "absent" => Self::Absent,
            "equivocal" => Self::Equivocal,
            "indeterminate" => Self::Indeterminate,
            "normal" => Self::Normal,
            "abnormal" => Self::Abnormal,
            "tobacco_current" => Self::TobaccoCurrent,
            "tobacco_former" => Self::TobaccoFormer,
            "tobacco_never" => Self::TobaccoNever,
            "tobacco_unknown" => Self::TobaccoUnknown,
            _ => return None,
        })
    }
}

/// The system names the tables use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Sys {
    Loinc,
    Snomed,
    V3Interpretation,
}

impl Sys {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "LOINC" => Some(Self::Loinc),
            "SNOMED" => Some(Self::Snomed),
            "V3-INTERPRETATION" => Some(Self::V3Interpretation),
            _ => None,
        }
    }
}

/// An ICD-O-3 morphology range (4-digit codes, inclusive) and its group.
#[derive(Debug, Clone, Copy)]
struct Morphology {
    from: u16,
    to: u16,
    group: HistologyGroup,
}

/// The parsed tables.
pub(crate) struct ObsTables {
    targets: HashMap<(Sys, String), Target>,
    answers: HashMap<(Sys, String), Answer>,
    morphology: Vec<Morphology>,
}

const OBSERVATION: &str = include_str!("../../../data/fhir/loinc-observation.csv");
const ANSWERS: &str = include_str!("../../../data/fhir/observation-answers.csv");
const MORPHOLOGY: &str = include_str!("../../../data/fhir/icdo3-morphology.csv");

fn value<T: std::str::FromStr>(s: &str, file: &str, what: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{file}: `{s}` is no {what} value"))
}

fn units(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

fn target(row: &[&str], file: &str) -> Result<Target, String> {
    let [_, _, target, v, detail, unit, ..] = row else {
        return Err(format!("{file}: short row"));
    };
    let timing = || match *v {
        "clinical" => Ok(Timing::Clinical),
        "pathological" => Ok(Timing::Pathological),
        "other" => Ok(Timing::Other),
        other => Err(format!("{file}: `{other}` is no staging timing")),
    };
    Ok(match *target {
        "stage_group" => Target::Staging(Element::Group, timing()?),
        "t_category" => Target::Staging(Element::T, timing()?),
        "n_category" => Target::Staging(Element::N, timing()?),
        "m_category" => Target::Staging(Element::M, timing()?),
        "biomarker" => Target::Biomarker(
            value(v, file, "biomarkers.name")?,
            if detail.is_empty() {
                None
            } else {
                Some(value(detail, file, "biomarkers.method")?)
            },
            match *unit {
                "" => false,
                "%" => true,
                other => return Err(format!("{file}: biomarker unit `{other}` is not `%`")),
            },
        ),
        "assessment" => Target::Assessment(
            value(v, file, "assessments.kind")?,
            if detail.is_empty() {
                None
            } else {
                Some(value(detail, file, "assessments.scale")?)
            },
            units(unit),
        ),
        "lab" => Target::Lab(value(v, file, "labs.test")?, units(unit)),
        other => return Err(format!("{file}: `{other}` is no target")),
    })
}

impl ObsTables {
    fn parse() -> Result<ObsTables, String> {
        let file = "loinc-observation.csv";
        let mut targets = HashMap::new();
        for row in rows(OBSERVATION, 7, file)? {
            let sys = row
                .first()
                .and_then(|s| Sys::parse(s))
                .ok_or_else(|| format!("{file}: unknown system"))?;
            let code = row.get(1).copied().unwrap_or_default().to_owned();
            let t = target(&row, file)?;
            if targets.insert((sys, code), t).is_some() {
                return Err(format!("{file}: a code is listed twice"));
            }
        }
        let file = "observation-answers.csv";
        let mut answers = HashMap::new();
        for row in rows(ANSWERS, 4, file)? {
            let [sys, code, answer, _] = row.as_slice() else {
                return Err(format!("{file}: short row"));
            };
            let sys = Sys::parse(sys).ok_or_else(|| format!("{file}: unknown system"))?;
            let answer =
                Answer::parse(answer).ok_or_else(|| format!("{file}: `{answer}` is no answer"))?;
            if answers.insert((sys, (*code).to_owned()), answer).is_some() {
                return Err(format!("{file}: a code is listed twice"));
            }
        }
        let file = "icdo3-morphology.csv";
        let mut morphology = Vec::new();
        for row in rows(MORPHOLOGY, 4, file)? {
            let [from, to, group, _] = row.as_slice() else {
                return Err(format!("{file}: short row"));
            };
            let from: u16 = value(from, file, "morphology")?;
            let to: u16 = value(to, file, "morphology")?;
            if from > to || to > 9999 || from < 8000 {
                return Err(format!("{file}: bad range {from}-{to}"));
            }
            let group: HistologyGroup = value(group, file, "histology_group")?;
            if morphology
                .iter()
                .any(|m: &Morphology| m.from <= to && from <= m.to)
            {
                return Err(format!("{file}: ranges overlap at {from}-{to}"));
            }
            morphology.push(Morphology { from, to, group });
        }
        Ok(ObsTables {
            targets,
            answers,
            morphology,
        })
    }

    /// What an Observation code of `sys` says it observed.
    pub(crate) fn target(&self, sys: Sys, code: &str) -> Option<&Target> {
        self.targets.get(&(sys, code.trim().to_owned()))
    }

    /// What an answer or interpretation code of `sys` says.
    pub(crate) fn answer(&self, sys: Sys, code: &str) -> Option<Answer> {
        self.answers.get(&(sys, code.trim().to_owned())).copied()
    }

    /// The histology group of an ICD-O-3 morphology code `NNNN/B` whose behaviour is in situ
    /// (2) or malignant (3); any other code or behaviour has none.
    pub(crate) fn morphology(&self, code: &str) -> Option<HistologyGroup> {
        let (m, b) = code.trim().split_once('/')?;
        if !matches!(b, "2" | "3") || m.len() != 4 || !m.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let m: u16 = m.parse().ok()?;
        self.morphology
            .iter()
            .find(|r| r.from <= m && m <= r.to)
            .map(|r| r.group)
    }
}

static TABLES: OnceLock<Result<ObsTables, String>> = OnceLock::new();

/// The tables, parsed on first use; an error names the defective file.
pub(crate) fn obs_tables() -> Result<&'static ObsTables, &'static str> {
    TABLES
        .get_or_init(ObsTables::parse)
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> &'static ObsTables {
        obs_tables().unwrap()
    }

    #[test]
    fn every_table_parses_and_maps_known_codes() {
        let t = t();
        assert!(t.targets.len() > 60);
        assert_eq!(
            t.target(Sys::Loinc, "21908-9"),
            Some(&Target::Staging(Element::Group, Timing::Clinical))
        );
        assert_eq!(
            t.target(Sys::Snomed, "384625004"),
            Some(&Target::Staging(Element::T, Timing::Pathological))
        );
        assert_eq!(
            t.target(Sys::Loinc, "85337-4"),
            Some(&Target::Biomarker(
                BiomarkerName::Er,
                Some(BiomarkerMethod::Ihc),
                false
            ))
        );
        assert!(matches!(
            t.target(Sys::Loinc, "718-7"),
            Some(Target::Lab(LabTest::Hemoglobin, u)) if u == &["g/dL"]
        ));
        assert_eq!(t.target(Sys::Loinc, "0000-0"), None);
        assert_eq!(t.answer(Sys::Loinc, "LA6576-8"), Some(Answer::Positive));
        assert_eq!(
            t.answer(Sys::Snomed, "8517006"),
            Some(Answer::TobaccoFormer)
        );
        assert_eq!(
            t.answer(Sys::V3Interpretation, "NEG"),
            Some(Answer::Negative)
        );
        assert_eq!(
            t.answer(Sys::Snomed, "77176002"),
            None,
            "smoker, status unknown"
        );
    }

    #[test]
    fn morphology_groups_by_range_and_behaviour() {
        let t = t();
        assert_eq!(t.morphology("8500/3"), Some(HistologyGroup::Ductal));
        assert_eq!(t.morphology("8500/2"), Some(HistologyGroup::Ductal));
        assert_eq!(t.morphology("8140/3"), Some(HistologyGroup::Adenocarcinoma));
        assert_eq!(t.morphology("8070/3"), Some(HistologyGroup::SquamousCell));
        assert_eq!(t.morphology("8041/3"), Some(HistologyGroup::SmallCell));
        assert_eq!(t.morphology("9680/3"), Some(HistologyGroup::Dlbcl));
        assert_eq!(t.morphology("8500/0"), None, "benign");
        assert_eq!(t.morphology("8140/6"), None, "metastatic site");
        assert_eq!(t.morphology("8000/3"), None, "neoplasm NOS: no group");
        assert_eq!(t.morphology("85003"), None);
        assert_eq!(t.morphology("x500/3"), None);
    }

    #[test]
    fn a_defective_row_is_refused() {
        assert!(target(&["LOINC", "1", "lab", "nolab", "", "", "t"], "x").is_err());
        assert!(target(&["LOINC", "1", "stage_group", "later", "", "", "t"], "x").is_err());
        assert!(target(&["LOINC", "1", "biomarker", "er", "", "mg", "t"], "x").is_err());
    }
}
