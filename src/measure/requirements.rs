//! Data requirements: the chart fields and value sets a compiled measure reads.
//!
//! The list is read off the compiled IR, not the spec text, so it covers everything the
//! evaluator can touch: every population criterion and stratifier, both the logic as
//! written (explain) and the evaluation copy, every shared define they use (transitively,
//! through slots, library defines included), the components of a composite, and the one
//! field a builtin reads by itself (`age_at` reads `patient.birth_date`). It is what a
//! projected parse of the chart may keep, and what a FHIR export publishes as the
//! measure's `DataRequirement`s.
//!
//! A field access in the IR carries its record's field index and the dictionary path the
//! compiler gave it. Each access is mapped back through the chart schema to *every*
//! location the accessed record type has in the chart, so the list stays a safe
//! over-approximation even if a record type were ever used at two places in the model (today
//! each record type has one location, and the list is exact for the fields a measure names).

use std::collections::BTreeSet;

use serde::Serialize;

use super::ir::{Builtin, Node, Op};
use super::{Library, Selection};
use crate::chart::Projection;
use crate::chart::schema::{BaseType, RecordSchema};

/// The chart fields and value sets a measure reads: see [`Library::data_requirements`].
///
/// `paths` are dotted dictionary paths as `oncoqual schema` prints them, lists without
/// brackets (`regimens.agents.category`). Every path a listed path goes through is listed
/// too (`regimens`, `regimens.agents`): a path with nothing below it in the list is read as
/// a whole (a list only counted, a record only tested for presence, or a scalar). Both lists
/// are sorted and free of duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DataRequirements {
    paths: Vec<String>,
    valuesets: Vec<String>,
}

impl DataRequirements {
    /// The chart field paths read, sorted.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// The names of the value sets used, sorted.
    pub fn valuesets(&self) -> &[String] {
        &self.valuesets
    }

    /// Whether `path` (dotted, as in [`DataRequirements::paths`]) is read.
    pub fn reads(&self, path: &str) -> bool {
        self.paths
            .binary_search_by(|p| p.as_str().cmp(path))
            .is_ok()
    }

    /// Adds the requirements of `other` (for a run over several measures).
    pub fn merge(&mut self, other: &DataRequirements) {
        for (mine, theirs) in [
            (&mut self.paths, &other.paths),
            (&mut self.valuesets, &other.valuesets),
        ] {
            let all: BTreeSet<String> = mine.drain(..).chain(theirs.iter().cloned()).collect();
            mine.extend(all);
        }
    }
}

/// The field `age_at` reads from the chart without naming it.
const AGE_AT_READS: &str = "patient.birth_date";

impl Library {
    /// The chart fields and value sets measure `measure` reads, or `None` for an id that is
    /// not in the library. Exact for the fields the logic names, and never short of one the
    /// evaluation reads: a chart holding only the listed paths evaluates as the whole chart
    /// does.
    ///
    /// ```
    /// use oncoqual::measure::{Library, SpecFile};
    /// let spec = r#"
    /// measure core.example {
    ///   title "Example" module core tracks [core] direction higher_is_better
    ///   scoring proportion source "doc" version "1"
    /// }
    /// initial_population = exists diagnoses where cancer_type = breast
    /// numerator = exists regimens.agents where category = cytotoxic
    /// "#;
    /// let lib = Library::from_files(vec![SpecFile::new("core/example.oqm", spec)], vec![]).unwrap();
    /// let req = lib.data_requirements("core.example").unwrap();
    /// assert_eq!(
    ///     req.paths(),
    ///     ["diagnoses", "diagnoses.cancer_type", "regimens", "regimens.agents",
    ///      "regimens.agents.category"]
    /// );
    /// assert!(req.valuesets().is_empty());
    /// assert!(lib.data_requirements("core.nothing").is_none());
    /// ```
    pub fn data_requirements(&self, measure: &str) -> Option<DataRequirements> {
        self.index_of(measure).map(|i| self.requirements_of(&[i]))
    }

    /// The projection a run over `selection` parses charts with: the fields its measures
    /// read (components included), the chart's identity and the fields the kept fields'
    /// checks compare ([`Projection::from_paths`]). Charts parsed under it evaluate, for
    /// these measures, as the whole charts do.
    ///
    /// ```
    /// use oncoqual::Library;
    /// let lib = Library::bundled().unwrap();
    /// let i = lib.index_of("end_of_life.chemo-last-14-days").unwrap();
    /// let p = lib.projection(&lib.select(&[i]));
    /// assert!(p.keeps("death.date") && p.keeps("id"));
    /// assert!(!p.keeps("labs"));
    /// ```
    pub fn projection(&self, selection: &Selection) -> Projection {
        Projection::from_paths(self.requirements_of(selection.measures()).paths())
    }

    /// The requirements of the measures `indices` together (unknown indices left out).
    pub(crate) fn requirements_of(&self, indices: &[usize]) -> DataRequirements {
        let locations = record_locations();
        let chart = crate::chart::schema().chart;
        let mut paths: BTreeSet<String> = BTreeSet::new();
        let mut valuesets: BTreeSet<String> = BTreeSet::new();
        let mut trees: Vec<&Node> = Vec::new();
        let mut measure_seen = vec![false; self.measures.len()];
        let mut measures: Vec<usize> = indices.to_vec();
        while let Some(i) = measures.pop() {
            let (Some(seen), Some(m)) = (measure_seen.get_mut(i), self.measures.get(i)) else {
                continue;
            };
            if std::mem::replace(seen, true) {
                continue;
            }
            for c in m.criteria.iter().flatten().chain(&m.stratifiers) {
                trees.push(&c.node);
                trees.push(&c.fast);
            }
            measures.extend(m.components.iter().copied());
        }
        let mut slot_seen = vec![false; self.slots.len()];
        while let Some(tree) = trees.pop() {
            for (_, n) in tree.walk() {
                match n.op() {
                    Op::Root(_, name) => {
                        paths.insert((*name).to_owned());
                    }
                    Op::Field(_, field, path)
                    | Op::MapField(_, field, path)
                    | Op::FieldCmpConst { field, path, .. }
                    | Op::FieldInConsts { field, path, .. } => {
                        field_paths(&locations, path, *field, &mut paths);
                    }
                    Op::IndexedWhere { root, field, .. } | Op::RangeWhere { root, field, .. } => {
                        root_fields(chart, *root, std::slice::from_ref(field), &mut paths);
                    }
                    Op::KeyedWhere { root, fields, .. } => {
                        root_fields(chart, *root, fields, &mut paths);
                    }
                    Op::Slot(s) => {
                        let s = usize::try_from(*s).unwrap_or(usize::MAX);
                        if let (Some(seen), Some(def)) = (slot_seen.get_mut(s), self.slots.get(s))
                            && !std::mem::replace(seen, true)
                        {
                            trees.push(&def.node);
                            trees.push(&def.fast);
                        }
                    }
                    Op::InValueSet(_, v, _) => {
                        let v = usize::try_from(*v).unwrap_or(usize::MAX);
                        if let Some(vs) = self.valuesets.get(v) {
                            valuesets.insert(vs.name.clone());
                        }
                    }
                    Op::Call(Builtin::AgeAt, _) => {
                        paths.insert(AGE_AT_READS.to_owned());
                    }
                    _ => {}
                }
            }
        }
        // Every path a read goes through is read too.
        let through: Vec<String> = paths
            .iter()
            .flat_map(|p| {
                p.match_indices('.')
                    .filter_map(|(at, _)| p.get(..at).map(str::to_owned))
            })
            .collect();
        paths.extend(through);
        DataRequirements {
            paths: paths.into_iter().collect(),
            valuesets: valuesets.into_iter().collect(),
        }
    }
}

/// Every record type of the chart with its location (`diagnoses`, `regimens.agents`); the
/// chart itself at the empty path. An explicit stack: the model is a tree.
fn record_locations() -> Vec<(String, &'static RecordSchema)> {
    let chart = crate::chart::schema().chart;
    let mut out = vec![(String::new(), chart)];
    let mut stack: Vec<(String, &'static RecordSchema)> = vec![(String::new(), chart)];
    while let Some((at, record)) = stack.pop() {
        for f in record.fields {
            if let BaseType::Record { schema } = f.ty.base {
                let path = join(&at, f.name);
                out.push((path.clone(), schema));
                stack.push((path, schema));
            }
        }
    }
    out
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Adds field `index` of the record type that a field access with dictionary path `path`
/// reads, at every location of that record type. The record is the one at `path` without
/// its last segment; when that does not name a record, every record whose field `index` has
/// the path's last name is taken (a safe over-approximation).
fn field_paths(
    locations: &[(String, &'static RecordSchema)],
    path: &str,
    index: u16,
    out: &mut BTreeSet<String>,
) {
    let index = usize::from(index);
    let (prefix, last) = path.rsplit_once('.').unwrap_or(("", path));
    let named = locations
        .iter()
        .find(|(at, _)| !prefix.is_empty() && at == prefix)
        .map(|(_, r)| *r);
    let records: Vec<&'static RecordSchema> = match named {
        Some(r) => vec![r],
        None => locations
            .iter()
            .map(|(_, r)| *r)
            .filter(|r| r.fields.get(index).is_some_and(|f| f.name == last))
            .collect(),
    };
    for record in records {
        let Some(field) = record.fields.get(index) else {
            continue;
        };
        for (at, r) in locations {
            if r.name == record.name {
                out.insert(join(at, field.name));
            }
        }
    }
}

/// Adds chart root list `root` and its element fields `fields` (an indexed scan's keys).
fn root_fields(chart: &RecordSchema, root: u16, fields: &[u16], out: &mut BTreeSet<String>) {
    let Some(list) = chart.fields.get(usize::from(root)) else {
        return;
    };
    out.insert(list.name.to_owned());
    if let BaseType::Record { schema } = list.ty.base {
        for &f in fields {
            if let Some(field) = schema.fields.get(usize::from(f)) {
                out.insert(join(list.name, field.name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::SpecFile;

    fn measure(id: &str, body: &str) -> SpecFile {
        let text = format!(
            "measure {id} {{\n  title \"T\" module core tracks [core] direction higher_is_better\n  \
             scoring proportion source \"doc\" version \"1\"\n}}\n{body}"
        );
        SpecFile::new(format!("core/{id}.oqm"), text)
    }

    fn library(files: Vec<SpecFile>, valuesets: Vec<SpecFile>) -> Library {
        match Library::from_files(files, valuesets) {
            Ok(lib) => lib,
            Err(e) => panic!("the test specs check: {e:?}"),
        }
    }

    fn paths(lib: &Library, id: &str) -> Vec<String> {
        lib.data_requirements(id).unwrap().paths().to_vec()
    }

    #[test]
    fn a_measure_reads_the_fields_it_names_and_the_lists_they_are_in() {
        let lib = library(
            vec![measure(
                "core.a",
                "initial_population = exists diagnoses where stage_group = IV\n\
                 numerator = exists (regimens where exists (agents where category = cytotoxic))\n",
            )],
            vec![],
        );
        assert_eq!(
            paths(&lib, "core.a"),
            [
                "diagnoses",
                "diagnoses.stage_group",
                "regimens",
                "regimens.agents",
                "regimens.agents.category"
            ]
        );
    }

    #[test]
    fn defines_are_followed_into_shared_libraries_transitively() {
        let shared = SpecFile::new(
            "lib/shared.oqm",
            "library lib.shared\n\
             define late = diagnoses where metastasis_date is present\n\
             define late_dates = late.diagnosis_date\n\
             define unused = exists procedures\n",
        );
        let lib = library(
            vec![
                shared,
                measure(
                    "core.b",
                    "use lib.shared\n\
                     define any_late = exists late_dates\n\
                     initial_population = any_late\n\
                     numerator = patient.sex = female\n",
                ),
            ],
            vec![],
        );
        let p = paths(&lib, "core.b");
        assert_eq!(
            p,
            [
                "diagnoses",
                "diagnoses.diagnosis_date",
                "diagnoses.metastasis_date",
                "patient",
                "patient.sex"
            ]
        );
        // A define of the library that the measure does not use is not a requirement.
        assert!(!p.iter().any(|p| p.starts_with("procedures")));
    }

    #[test]
    fn stratifiers_value_sets_and_age_at_count() {
        let vs = SpecFile::new(
            "valuesets/sites.json",
            r#"{"name":"sites","title":"t","source":"s","codes":[{"system":"ICD-O-3","code":"C01"}]}"#,
        );
        let lib = library(
            vec![measure(
                "core.c",
                "initial_population = exists diagnoses where primary_site in valueset \"sites\"\n\
                 numerator = age_at(reporting_period.start) >= 18\n\
                 stratifier menopause = patient.menopausal_status\n",
            )],
            vec![vs],
        );
        let req = lib.data_requirements("core.c").unwrap();
        assert_eq!(
            req.paths(),
            [
                "diagnoses",
                "diagnoses.primary_site",
                "patient",
                "patient.birth_date",
                "patient.menopausal_status"
            ]
        );
        assert_eq!(req.valuesets(), ["sites"]);
        assert!(req.reads("patient.birth_date"));
        assert!(!req.reads("patient.sex"));
    }

    #[test]
    fn a_composite_reads_what_its_components_read() {
        let composite = SpecFile::new(
            "core/core.every.oqm",
            "measure core.every {\n  title \"T\" module core tracks [core] direction higher_is_better\n  \
             scoring composite_all_or_none source \"doc\" version \"1\"\n  \
             components [core.d, core.e]\n}\n\
             initial_population = exists encounters\n",
        );
        let lib = library(
            vec![
                measure(
                    "core.d",
                    "initial_population = true\nnumerator = exists procedures\n",
                ),
                measure(
                    "core.e",
                    "initial_population = death is present\nnumerator = true\n",
                ),
                composite,
            ],
            vec![],
        );
        let all = paths(&lib, "core.every");
        for p in ["encounters", "procedures", "death"] {
            assert!(all.iter().any(|a| a == p), "{p} missing from {all:?}");
        }
        let mut merged = lib.data_requirements("core.d").unwrap();
        merged.merge(&lib.data_requirements("core.e").unwrap());
        assert_eq!(merged.paths(), ["death", "procedures"]);
    }

    #[test]
    fn every_bundled_measure_reads_something_and_only_schema_paths() {
        let lib = Library::bundled().unwrap();
        let schema = crate::chart::schema();
        let valuesets: Vec<&str> = lib.valuesets.iter().map(|v| v.name.as_str()).collect();
        for info in lib.measures() {
            let req = lib.data_requirements(&info.id).unwrap();
            assert!(!req.paths().is_empty(), "{} reads nothing", info.id);
            for p in req.paths() {
                assert!(
                    schema.resolve(p).is_some(),
                    "{}: `{p}` is no schema path",
                    info.id
                );
            }
            assert!(req.paths().windows(2).all(|w| w[0] < w[1]));
            for v in req.valuesets() {
                assert!(valuesets.contains(&v.as_str()));
            }
        }
    }

    #[test]
    fn each_record_type_has_one_location_so_paths_are_exact() {
        let locations = record_locations();
        for (i, (at, r)) in locations.iter().enumerate() {
            let again = locations.iter().skip(i + 1).find(|(_, s)| s.name == r.name);
            assert!(again.is_none(), "{} at `{at}` and elsewhere", r.name);
        }
        assert!(crate::chart::schema().resolve(AGE_AT_READS).is_some());
    }
}
