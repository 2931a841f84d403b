//! The code maps of the import, shipped as data files in `data/fhir/` (each cites where its
//! codes come from in its header comment), parsed once on first use.
//!
//! A file is CSV without quoting: `#` lines are comments, the first other line is the
//! header, and the last column may hold commas-free text (a title, for people). The files
//! are part of the crate, so a malformed one is a build defect: the unit tests parse each.

use std::sync::OnceLock;

use crate::chart::{CancerType, ConditionKind};

/// What a neoplasm code says of the tumour's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// A malignant primary tumour: a diagnosis, invasive.
    Primary,
    /// Carcinoma in situ: a diagnosis, not invasive.
    InSitu,
    /// A metastasis (secondary site): not a diagnosis of its own.
    Secondary,
    /// Uncertain or unspecified behaviour: not a cancer diagnosis.
    Uncertain,
}

impl Behaviour {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "primary" => Some(Self::Primary),
            "in_situ" => Some(Self::InSitu),
            "secondary" => Some(Self::Secondary),
            "uncertain" => Some(Self::Uncertain),
            _ => None,
        }
    }
}

/// One neoplasm row: its behaviour and, when the code fixes it, the cancer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Neoplasm {
    pub(crate) behaviour: Behaviour,
    pub(crate) cancer_type: Option<CancerType>,
}

/// The parsed tables.
pub(crate) struct Tables {
    /// ICD-10-CM prefix (no dot) → neoplasm, longest prefix first.
    icd10_cancer: Vec<(String, Neoplasm)>,
    /// SNOMED CT concept → neoplasm.
    snomed_cancer: Vec<(String, Neoplasm)>,
    /// ICD-O-3 topography prefix (no dot) → cancer type, longest prefix first.
    topography: Vec<(String, CancerType)>,
    /// ICD-10-CM prefix (no dot) → condition kind, longest prefix first.
    icd10_condition: Vec<(String, ConditionKind)>,
    /// SNOMED CT concept → condition kind.
    snomed_condition: Vec<(String, ConditionKind)>,
}

const ICD10_CANCER: &str = include_str!("../../../data/fhir/icd10cm-cancer.csv");
const SNOMED_CANCER: &str = include_str!("../../../data/fhir/snomed-cancer.csv");
const TOPOGRAPHY: &str = include_str!("../../../data/fhir/icdo3-topography.csv");
const CONDITION_KIND: &str = include_str!("../../../data/fhir/condition-kind.csv");

/// The data rows of a table file: comments and the header dropped, `n` columns each (the
/// last keeps any text). A row with fewer columns is refused, naming the file.
pub(crate) fn rows<'a>(
    text: &'a str,
    n: usize,
    file: &str,
) -> Result<impl Iterator<Item = Vec<&'a str>>, String> {
    let lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .skip(1);
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let cols: Vec<&str> = line.splitn(n, ',').map(str::trim).collect();
        if cols.len() != n {
            return Err(format!(
                "{file}: data row {} has {} columns, not {n}",
                i.saturating_add(1),
                cols.len()
            ));
        }
        out.push(cols);
    }
    Ok(out.into_iter())
}

fn cancer_type(s: &str, file: &str) -> Result<Option<CancerType>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| format!("{file}: `{s}` is no cancer_type value"))
}

fn neoplasms(text: &str, file: &str, cols: usize) -> Result<Vec<(String, Neoplasm)>, String> {
    let mut out = Vec::new();
    for row in rows(text, cols, file)? {
        let (code, behaviour, ty) = match row.as_slice() {
            [code, behaviour, ty, ..] => (*code, *behaviour, *ty),
            _ => return Err(format!("{file}: short row")),
        };
        let behaviour = Behaviour::parse(behaviour)
            .ok_or_else(|| format!("{file}: `{behaviour}` is no behaviour"))?;
        out.push((
            code.to_owned(),
            Neoplasm {
                behaviour,
                cancer_type: cancer_type(ty, file)?,
            },
        ));
    }
    Ok(out)
}

/// Sorts prefix rows longest first (so the first match is the longest) and refuses a
/// duplicate.
fn by_longest<T>(mut v: Vec<(String, T)>, file: &str) -> Result<Vec<(String, T)>, String> {
    v.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    if v.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
        return Err(format!("{file}: a code is listed twice"));
    }
    Ok(v)
}

impl Tables {
    fn parse() -> Result<Tables, String> {
        let icd10_cancer = by_longest(
            neoplasms(ICD10_CANCER, "icd10cm-cancer.csv", 3)?,
            "icd10cm-cancer.csv",
        )?;
        let snomed_cancer = by_longest(
            neoplasms(SNOMED_CANCER, "snomed-cancer.csv", 4)?,
            "snomed-cancer.csv",
        )?;
        let mut topography = Vec::new();
        for row in rows(TOPOGRAPHY, 2, "icdo3-topography.csv")? {
            if let [code, ty] = row.as_slice() {
                let ty = cancer_type(ty, "icdo3-topography.csv")?
                    .ok_or("icdo3-topography.csv: a row without a cancer type")?;
                topography.push(((*code).to_owned(), ty));
            }
        }
        let topography = by_longest(topography, "icdo3-topography.csv")?;
        let (mut icd, mut sct) = (Vec::new(), Vec::new());
        for row in rows(CONDITION_KIND, 4, "condition-kind.csv")? {
            if let [system, code, kind, _] = row.as_slice() {
                let kind: ConditionKind = kind
                    .parse()
                    .map_err(|_| format!("condition-kind.csv: `{kind}` is no condition kind"))?;
                match *system {
                    "ICD-10-CM" => icd.push(((*code).to_owned(), kind)),
                    "SNOMED" => sct.push(((*code).to_owned(), kind)),
                    other => return Err(format!("condition-kind.csv: unknown system `{other}`")),
                }
            }
        }
        Ok(Tables {
            icd10_cancer,
            snomed_cancer,
            topography,
            icd10_condition: by_longest(icd, "condition-kind.csv")?,
            snomed_condition: by_longest(sct, "condition-kind.csv")?,
        })
    }

    /// The ICD-10-CM neoplasm row of `code` (with or without its dot).
    pub(crate) fn icd10_neoplasm(&self, code: &str) -> Option<Neoplasm> {
        longest(&self.icd10_cancer, &undotted(code)).copied()
    }

    /// The SNOMED CT neoplasm row of `code`.
    pub(crate) fn snomed_neoplasm(&self, code: &str) -> Option<Neoplasm> {
        exact(&self.snomed_cancer, code).copied()
    }

    /// The cancer type of ICD-O-3 topography `code`.
    pub(crate) fn topography(&self, code: &str) -> Option<CancerType> {
        longest(&self.topography, &undotted(code)).copied()
    }

    /// The condition kind of ICD-10-CM `code`.
    pub(crate) fn icd10_condition(&self, code: &str) -> Option<ConditionKind> {
        longest(&self.icd10_condition, &undotted(code)).copied()
    }

    /// The condition kind of SNOMED CT `code`.
    pub(crate) fn snomed_condition(&self, code: &str) -> Option<ConditionKind> {
        exact(&self.snomed_condition, code).copied()
    }
}

fn undotted(code: &str) -> String {
    code.trim()
        .chars()
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_ascii_uppercase()
}

fn longest<'a, T>(rows: &'a [(String, T)], code: &str) -> Option<&'a T> {
    rows.iter()
        .find(|(p, _)| code.starts_with(p.as_str()))
        .map(|(_, v)| v)
}

fn exact<'a, T>(rows: &'a [(String, T)], code: &str) -> Option<&'a T> {
    rows.iter().find(|(p, _)| p == code.trim()).map(|(_, v)| v)
}

static TABLES: OnceLock<Result<Tables, String>> = OnceLock::new();

/// The tables, parsed on first use; an error names the defective file.
pub(crate) fn tables() -> Result<&'static Tables, &'static str> {
    TABLES
        .get_or_init(Tables::parse)
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> &'static Tables {
        tables().unwrap()
    }

    #[test]
    fn every_table_parses() {
        let t = t();
        assert!(t.icd10_cancer.len() > 90);
        assert!(t.snomed_cancer.len() > 10);
        assert!(t.topography.len() > 20);
        assert!(t.icd10_condition.len() > 30);
        assert_eq!(t.snomed_condition.len(), 4);
    }

    #[test]
    fn icd10_neoplasms_map_by_longest_prefix() {
        let t = t();
        let n = t.icd10_neoplasm("C50.911").unwrap();
        assert_eq!(n.behaviour, Behaviour::Primary);
        assert_eq!(n.cancer_type, Some(CancerType::Breast));
        assert_eq!(
            t.icd10_neoplasm("C57.0").unwrap().cancer_type,
            Some(CancerType::Ovary)
        );
        assert_eq!(
            t.icd10_neoplasm("C57.4").unwrap().cancer_type,
            Some(CancerType::OtherSolid)
        );
        assert_eq!(
            t.icd10_neoplasm("c01").unwrap().cancer_type,
            Some(CancerType::HeadAndNeck)
        );
        assert_eq!(t.icd10_neoplasm("C34.90").unwrap().cancer_type, None);
        assert_eq!(
            t.icd10_neoplasm("C78.00").unwrap().behaviour,
            Behaviour::Secondary
        );
        let dcis = t.icd10_neoplasm("D05.10").unwrap();
        assert_eq!(dcis.behaviour, Behaviour::InSitu);
        assert_eq!(dcis.cancer_type, Some(CancerType::Breast));
        assert_eq!(t.icd10_neoplasm("D01.4").unwrap().cancer_type, None);
        assert_eq!(
            t.icd10_neoplasm("D48.5").unwrap().behaviour,
            Behaviour::Uncertain
        );
        assert_eq!(
            t.icd10_neoplasm("C90.00").unwrap().cancer_type,
            Some(CancerType::Myeloma)
        );
        assert_eq!(
            t.icd10_neoplasm("C92.00").unwrap().cancer_type,
            Some(CancerType::Leukemia)
        );
        assert_eq!(
            t.icd10_neoplasm("C81.90").unwrap().cancer_type,
            Some(CancerType::HodgkinLymphoma)
        );
        // Benign neoplasms and other chapters are no cancer.
        assert_eq!(t.icd10_neoplasm("D12.6"), None);
        assert_eq!(t.icd10_neoplasm("E11.9"), None);
        assert_eq!(t.icd10_neoplasm(""), None);
    }

    #[test]
    fn snomed_and_topography_rows() {
        let t = t();
        assert_eq!(
            t.snomed_neoplasm("254637007").unwrap().cancer_type,
            Some(CancerType::LungNsclc)
        );
        assert_eq!(
            t.snomed_neoplasm("254632001").unwrap().cancer_type,
            Some(CancerType::LungSclc)
        );
        assert_eq!(t.snomed_neoplasm("73211009"), None);
        assert_eq!(t.topography("C50.9"), Some(CancerType::Breast));
        assert_eq!(t.topography("C34.1"), None);
        assert_eq!(t.topography("C42.1"), None);
    }

    #[test]
    fn condition_kinds() {
        let t = t();
        assert_eq!(
            t.icd10_condition("A15.0"),
            Some(ConditionKind::Tuberculosis)
        );
        assert_eq!(
            t.icd10_condition("Z22.7"),
            None,
            "latent TB is not TB disease"
        );
        assert_eq!(t.icd10_condition("B20"), Some(ConditionKind::Hiv));
        assert_eq!(
            t.icd10_condition("Z94.0"),
            Some(ConditionKind::ImmunocompromisedState)
        );
        assert_eq!(t.icd10_condition("Z94.7"), None, "corneal transplant");
        assert_eq!(
            t.icd10_condition("G89.3"),
            Some(ConditionKind::PainWarrantingWorkup)
        );
        assert_eq!(t.snomed_condition("86406008"), Some(ConditionKind::Hiv));
        assert_eq!(t.snomed_condition("8640600"), None);
    }

    #[test]
    fn a_defective_row_is_refused_naming_the_file() {
        assert!(
            neoplasms("h\nC00,nowhere,breast\n", "x.csv", 3)
                .unwrap_err()
                .contains("x.csv")
        );
        assert!(neoplasms("h\nC00,primary,kidneys\n", "x.csv", 3).is_err());
        assert!(neoplasms("h\nC00\n", "x.csv", 3).is_err());
        assert!(by_longest(vec![("A".to_owned(), 1), ("A".to_owned(), 2)], "x").is_err());
    }
}
