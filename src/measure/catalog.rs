//! The measure catalog: every measure the library is to ship (202 entries), with the
//! metadata its spec must declare. Shipped with the crate (`data/catalog.json`, generated
//! from the program's `catalog.toml` by `tools/gen_catalog.py`), so a library can be
//! compared with it without any file at run time.
//!
//! ```
//! use oncoqual::measure::{Catalog, Library};
//! let catalog = Catalog::bundled().unwrap();
//! let library = Library::bundled().unwrap();
//! let cmp = catalog.compare(library);
//! assert_eq!(cmp.implemented + cmp.missing.len(), catalog.entries().len());
//! assert!(cmp.is_consistent(), "{cmp:?}");
//! ```

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::library::Library;
use super::meta::{Direction, MeasureInfo, Scoring};

/// How far a catalog entry's definition was checked against a public source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evidence {
    /// The definition (not only the title) was checked against a public source.
    Verified,
    /// Based on a public measure or guideline; details (windows, ages, populations) chosen here.
    Adapted,
    /// Written here in QOPI style to complete a module.
    Constructed,
}

impl Evidence {
    /// The name written in the catalog (`verified`, `adapted`, `constructed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Verified => "verified",
            Evidence::Adapted => "adapted",
            Evidence::Constructed => "constructed",
        }
    }
}

/// One measure of the catalog: the metadata its spec must declare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CatalogEntry {
    /// Stable id (`module.kebab-name`).
    pub id: String,
    /// Title shown in reports.
    pub title: String,
    /// Module.
    pub module: String,
    /// Reporting tracks; the first is the module's own.
    pub tracks: Vec<String>,
    /// Direction.
    pub direction: Direction,
    /// Scoring.
    pub scoring: Scoring,
    /// Component ids (composites only; empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// Source measure or guideline.
    pub source: String,
    /// How far the definition was checked.
    pub evidence: Evidence,
    /// The initial population, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_population: Option<String>,
    /// The denominator, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// The denominator exclusions, in words (`none` when there are none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator_exclusions: Option<String>,
    /// The denominator exceptions, in words (`none` when there are none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator_exceptions: Option<String>,
    /// The numerator, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerator: Option<String>,
    /// The numerator exclusions, in words (`none` when there are none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerator_exclusions: Option<String>,
    /// Why the measure matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// The data-dictionary elements the catalog names for the measure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_elements: Vec<String>,
}

/// The measure catalog, in catalog order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
    by_id: HashMap<String, usize>,
}

/// Why a catalog file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// Not valid JSON of the catalog's shape.
    #[error("line {line}, column {column}: {message}")]
    Format {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A rule of the catalog is broken (what and which entry).
    #[error("measure `{id}`: {problem}")]
    Invalid {
        /// The entry's id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// A metadata field a spec declares and the catalog fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MetadataField {
    /// `title`.
    Title,
    /// `module`.
    Module,
    /// `tracks` (order matters: the first is the module's own).
    Tracks,
    /// `direction`.
    Direction,
    /// `scoring`.
    Scoring,
    /// `source`.
    Source,
    /// `components` (in order).
    Components,
}

impl MetadataField {
    /// The field's name, as written in specs and in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataField::Title => "title",
            MetadataField::Module => "module",
            MetadataField::Tracks => "tracks",
            MetadataField::Direction => "direction",
            MetadataField::Scoring => "scoring",
            MetadataField::Source => "source",
            MetadataField::Components => "components",
        }
    }
}

impl fmt::Display for MetadataField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A library measure whose metadata field differs from its catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Mismatch {
    /// The measure id.
    pub id: String,
    /// The field that differs.
    pub field: MetadataField,
    /// The spec's value (lists written `[a, b]`).
    pub library: String,
    /// The catalog's value (lists written `[a, b]`).
    pub catalog: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: {} differs from the catalog: spec {:?}, catalog {:?}",
            self.id, self.field, self.library, self.catalog
        )
    }
}

/// How a library stands against the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct Comparison {
    /// How many catalog entries have a spec in the library.
    pub implemented: usize,
    /// Catalog ids with no spec in the library, in catalog order.
    pub missing: Vec<String>,
    /// Library measures that are not in the catalog, in library order.
    pub extra: Vec<String>,
    /// Library measures whose metadata differ from their catalog entry, in library order and
    /// then field order.
    pub mismatches: Vec<Mismatch>,
}

impl Comparison {
    /// Every library measure is in the catalog with the catalog's metadata (entries may still
    /// be missing from the library).
    pub fn is_consistent(&self) -> bool {
        self.extra.is_empty() && self.mismatches.is_empty()
    }
}

impl Catalog {
    /// The catalog the crate ships.
    pub fn bundled() -> Result<&'static Catalog, &'static CatalogError> {
        static C: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        C.get_or_init(|| Catalog::from_json(include_str!("../../data/catalog.json")))
            .as_ref()
    }

    /// Reads and checks a catalog (a JSON list of entries): non-empty and unique ids, each
    /// `module.name` with its module's track first; components exactly on composites, each
    /// a catalog id, and no composite containing itself (directly or through another).
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let entries: Vec<CatalogEntry> =
            serde_json::from_str(text).map_err(|e| CatalogError::Format {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        let mut by_id = HashMap::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let bad = |problem: &str| CatalogError::Invalid {
                id: e.id.clone(),
                problem: problem.to_owned(),
            };
            if by_id.insert(e.id.clone(), i).is_some() {
                return Err(bad("listed twice"));
            }
            match e.id.split_once('.') {
                Some((module, name)) if module == e.module && !name.is_empty() => {}
                _ => return Err(bad("the id is not `<module>.<name>` of its module")),
            }
            if e.tracks.first() != Some(&e.module) {
                return Err(bad("the first track is not the measure's module"));
            }
            if e.title.trim().is_empty() || e.source.trim().is_empty() {
                return Err(bad("has an empty title or source"));
            }
            let composite = e.scoring == Scoring::CompositeAllOrNone;
            if composite && e.components.is_empty() {
                return Err(bad("a composite without components"));
            }
            if !composite && !e.components.is_empty() {
                return Err(bad("only `composite_all_or_none` measures have components"));
            }
        }
        for e in &entries {
            if let Some(c) = e.components.iter().find(|c| !by_id.contains_key(*c)) {
                return Err(CatalogError::Invalid {
                    id: e.id.clone(),
                    problem: format!("component `{c}` is not in the catalog"),
                });
            }
        }
        let catalog = Catalog { entries, by_id };
        catalog.check_no_cycle()?;
        Ok(catalog)
    }

    /// Refuses a composite that contains itself, directly or through other composites.
    fn check_no_cycle(&self) -> Result<(), CatalogError> {
        // 0 = unvisited, 1 = on the current path, 2 = done.
        // Returns the entry found on its own path.
        fn visit<'c>(c: &'c Catalog, i: usize, state: &mut [u8]) -> Option<&'c CatalogEntry> {
            let entry = c.entries.get(i)?;
            let slot = state.get_mut(i)?;
            match *slot {
                1 => return Some(entry),
                0 => *slot = 1,
                _ => return None,
            }
            for comp in entry.components.iter() {
                if let Some(&j) = c.by_id.get(comp)
                    && let Some(found) = visit(c, j, state)
                {
                    return Some(found);
                }
            }
            if let Some(slot) = state.get_mut(i) {
                *slot = 2;
            }
            None
        }
        let mut state = vec![0u8; self.entries.len()];
        for i in 0..self.entries.len() {
            if let Some(entry) = visit(self, i, &mut state) {
                return Err(CatalogError::Invalid {
                    id: entry.id.clone(),
                    problem: "a composite that contains itself".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The entries, in catalog order.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The entry `id`.
    pub fn get(&self, id: &str) -> Option<&CatalogEntry> {
        self.by_id.get(id).and_then(|&i| self.entries.get(i))
    }

    /// Compares a library with the catalog: the catalog ids it has no spec for, its measures
    /// the catalog does not list, and every metadata field of a measure that differs from
    /// its catalog entry.
    pub fn compare(&self, library: &Library) -> Comparison {
        let mut cmp = Comparison::default();
        let mut seen = BTreeSet::new();
        for m in library.measures() {
            match self.get(&m.id) {
                Some(entry) => {
                    seen.insert(m.id.as_str());
                    cmp.mismatches.extend(differences(m, entry));
                }
                None => cmp.extra.push(m.id.clone()),
            }
        }
        cmp.implemented = seen.len();
        cmp.missing = self
            .entries
            .iter()
            .filter(|e| !seen.contains(e.id.as_str()))
            .map(|e| e.id.clone())
            .collect();
        cmp
    }
}

/// The fields of `m` that differ from `entry`.
fn differences(m: &MeasureInfo, entry: &CatalogEntry) -> Vec<Mismatch> {
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    let pairs = [
        (MetadataField::Title, m.title.clone(), entry.title.clone()),
        (
            MetadataField::Module,
            m.module.clone(),
            entry.module.clone(),
        ),
        (MetadataField::Tracks, list(&m.tracks), list(&entry.tracks)),
        (
            MetadataField::Direction,
            m.direction.as_str().to_owned(),
            entry.direction.as_str().to_owned(),
        ),
        (
            MetadataField::Scoring,
            m.scoring.as_str().to_owned(),
            entry.scoring.as_str().to_owned(),
        ),
        (
            MetadataField::Source,
            m.source.clone(),
            entry.source.clone(),
        ),
        (
            MetadataField::Components,
            list(&m.components),
            list(&entry.components),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, lib, cat)| lib != cat)
        .map(|(field, library, catalog)| Mismatch {
            id: m.id.clone(),
            field,
            library,
            catalog,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::SpecFile;

    const SHIPPED: &str = include_str!("../../data/catalog.json");

    #[test]
    fn the_shipped_catalog_has_202_unique_ids_25_qcp_and_known_components() {
        let c = Catalog::from_json(SHIPPED).unwrap();
        assert_eq!(c.entries().len(), 202);
        let ids: std::collections::BTreeSet<&str> =
            c.entries().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), 202, "ids are unique");
        let qcp = c
            .entries()
            .iter()
            .filter(|e| e.tracks.iter().any(|t| t == "qcp"))
            .count();
        assert_eq!(qcp, 25);
        let composites: Vec<&CatalogEntry> = c
            .entries()
            .iter()
            .filter(|e| e.scoring == Scoring::CompositeAllOrNone)
            .collect();
        assert_eq!(composites.len(), 7);
        for e in &composites {
            assert!(!e.components.is_empty(), "{}", e.id);
            for comp in &e.components {
                assert!(ids.contains(comp.as_str()), "{}: {comp}", e.id);
            }
        }
        assert!(
            c.entries()
                .iter()
                .filter(|e| e.scoring != Scoring::CompositeAllOrNone)
                .all(|e| e.components.is_empty())
        );
        assert_eq!(Catalog::bundled().unwrap(), &c);
        let e = c.get("pain.addressed-initial-and-most-recent").unwrap();
        assert_eq!(e.components[0], "core.pain-addressed-appropriately");
        assert_eq!(e.evidence, Evidence::Verified);
        assert!(c.get("core.no-such-measure").is_none());
    }

    #[test]
    fn the_generated_file_round_trips_byte_for_byte() {
        let c = Catalog::from_json(SHIPPED).unwrap();
        let mut text = String::new();
        // serde_json's pretty printer indents by two spaces, as json.dump(indent=2) does.
        text.push_str(&serde_json::to_string_pretty(c.entries()).unwrap());
        text.push('\n');
        assert_eq!(text, SHIPPED);
    }

    fn entry(id: &str, scoring: &str, components: &[&str]) -> String {
        let module = id.split('.').next().unwrap();
        serde_json::json!({
            "id": id, "title": "t", "module": module, "tracks": [module],
            "direction": "higher_is_better", "scoring": scoring,
            "components": components, "source": "s", "evidence": "constructed",
        })
        .to_string()
    }

    #[test]
    fn a_broken_catalog_is_refused_with_the_entry_named() {
        let err = |entries: &[String]| {
            Catalog::from_json(&format!("[{}]", entries.join(",")))
                .unwrap_err()
                .to_string()
        };
        let p = entry("core.a", "proportion", &[]);
        assert_eq!(
            err(&[p.clone(), p.clone()]),
            "measure `core.a`: listed twice"
        );
        assert_eq!(
            err(&[entry("core.c", "composite_all_or_none", &["core.b"])]),
            "measure `core.c`: component `core.b` is not in the catalog"
        );
        assert_eq!(
            err(&[entry("core.c", "composite_all_or_none", &[])]),
            "measure `core.c`: a composite without components"
        );
        assert_eq!(
            err(&[p.clone(), entry("core.b", "proportion", &["core.a"])]),
            "measure `core.b`: only `composite_all_or_none` measures have components"
        );
        assert_eq!(
            err(&[
                entry("core.x", "composite_all_or_none", &["core.y"]),
                entry("core.y", "composite_all_or_none", &["core.x"]),
            ]),
            "measure `core.x`: a composite that contains itself"
        );
        let wrong_module = entry("core.a", "proportion", &[])
            .replace("\"module\":\"core\"", "\"module\":\"pain\"");
        assert_eq!(
            err(&[wrong_module]),
            "measure `core.a`: the id is not `<module>.<name>` of its module"
        );
        let e = Catalog::from_json("[{\"id\": 1}]").unwrap_err();
        assert!(e.to_string().starts_with("line 1, column"), "{e}");
        assert!(matches!(e, CatalogError::Format { .. }));
        let unknown = entry("core.a", "proportion", &[]).replace("\"id\"", "\"extra\":1,\"id\"");
        assert!(Catalog::from_json(&format!("[{unknown}]")).is_err());
    }

    #[test]
    fn compare_names_missing_extra_and_each_differing_field() {
        let catalog = Catalog::from_json(&format!(
            "[{},{}]",
            entry("core.a", "proportion", &[]),
            entry("core.b", "proportion", &[])
        ))
        .unwrap();
        let spec = |id: &str, title: &str, direction: &str| {
            format!(
                "measure {id} {{\n  title \"{title}\" module core tracks [core] direction {direction}\n  \
                 scoring proportion source \"s\" version \"1\"\n}}\n\
                 initial_population = exists diagnoses\nnumerator = exists diagnoses\n"
            )
        };
        let lib = Library::from_files(
            vec![
                SpecFile::new("core/a.oqm", spec("core.a", "T", "lower_is_better")),
                SpecFile::new("core/z.oqm", spec("core.z", "t", "higher_is_better")),
            ],
            vec![],
        )
        .unwrap();
        let cmp = catalog.compare(&lib);
        assert_eq!(cmp.implemented, 1);
        assert_eq!(cmp.missing, ["core.b"]);
        assert_eq!(cmp.extra, ["core.z"]);
        let fields: Vec<MetadataField> = cmp.mismatches.iter().map(|m| m.field).collect();
        assert_eq!(fields, [MetadataField::Title, MetadataField::Direction]);
        assert_eq!(
            cmp.mismatches[0].to_string(),
            "`core.a`: title differs from the catalog: spec \"T\", catalog \"t\""
        );
        assert!(!cmp.is_consistent());
    }
}
