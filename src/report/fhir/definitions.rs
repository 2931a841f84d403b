//! The library as FHIR R4 definitions; every mapping choice is documented in the
//! `# Definitions` section of the parent module.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{CodeableConcept, Coding, POPULATION_SYSTEM, improvement, logical_id, population_code};
use crate::chart::Date;
use crate::chart::fhir_map::{PROFILE_PREFIX, code_system_uri, resource_type};
use crate::dsl::ast::PopulationKind;
use crate::measure::{Catalog, CatalogEntry, Library as MeasureLibrary, Population, Scoring};

/// The media type of the measure language.
pub const OQM_MEDIA_TYPE: &str = "text/x-oqm";
/// The measure-scoring code system.
pub const SCORING_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/measure-scoring";
/// The composite-measure-scoring code system.
pub const COMPOSITE_SCORING_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/composite-measure-scoring";
/// The library-type code system.
pub const LIBRARY_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/library-type";

const EPOCH: &str = "1970-01-01T00:00:00Z";

/// How definitions are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportOptions {
    /// The publication date: `date` of every resource and the expansion timestamp. `None`
    /// omits `date` (and the timestamp is the epoch), so the output depends on the library
    /// alone.
    pub date: Option<Date>,
}

impl ExportOptions {
    /// Options with publication date `date`.
    pub fn with_date(mut self, date: Option<Date>) -> Self {
        self.date = date;
        self
    }
}

/// One exported resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Resource {
    /// A `Measure`.
    Measure(Box<Measure>),
    /// A `Library`.
    Library(Box<Library>),
    /// A `ValueSet`.
    ValueSet(Box<ValueSet>),
}

impl Resource {
    /// The resource type (`Measure`, `Library`, `ValueSet`).
    pub fn resource_type(&self) -> &str {
        match self {
            Resource::Measure(m) => &m.resource_type,
            Resource::Library(l) => &l.resource_type,
            Resource::ValueSet(v) => &v.resource_type,
        }
    }

    /// The logical id.
    pub fn id(&self) -> &str {
        match self {
            Resource::Measure(m) => &m.id,
            Resource::Library(l) => &l.id,
            Resource::ValueSet(v) => &v.id,
        }
    }

    /// The file name the CLI writes it to: `<ResourceType>-<id>.json`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.json", self.resource_type(), self.id())
    }

    /// The resource as pretty-printed JSON with a final newline (deterministic bytes).
    pub fn to_json(&self) -> Vec<u8> {
        // Our own types of strings, numbers and lists: serialising cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// A FHIR R4 `Measure` (the elements oncoqual fills).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Measure {
    /// Always `Measure`.
    pub resource_type: String,
    /// Logical id.
    pub id: String,
    /// The canonical (`urn:oncoqual:measure:<id>`).
    pub url: String,
    /// The spec's version.
    pub version: String,
    /// A computable name (the id in upper camel case).
    pub name: String,
    /// The title.
    pub title: String,
    /// `active`.
    pub status: String,
    /// The publication date, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
    /// The source, evidence and module, with the spec's description.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// How the measure is used (informational measures: reported, never scored).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub usage: Option<String>,
    /// The catalog's rationale.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rationale: Option<String>,
    /// The catalog's population definitions and data elements.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub guidance: Option<String>,
    /// The components of a composite (`composed-of`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub related_artifact: Vec<RelatedArtifact>,
    /// The measure's logic Library (canonical with version).
    pub library: Vec<String>,
    /// The scoring.
    pub scoring: CodeableConcept,
    /// `all-or-nothing` for composites.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub composite_scoring: Option<CodeableConcept>,
    /// Whether a higher or a lower score is better.
    pub improvement_notation: CodeableConcept,
    /// The one group.
    pub group: Vec<MeasureGroup>,
}

/// `Measure.group`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MeasureGroup {
    /// What the group holds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// The populations the spec defines.
    pub population: Vec<MeasurePopulation>,
    /// The stratifiers.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub stratifier: Vec<MeasureStratifier>,
}

/// `Measure.group.population`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeasurePopulation {
    /// The population code (measure-population).
    pub code: CodeableConcept,
    /// The catalog's definition in words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// The criterion in the spec.
    pub criteria: Expression,
}

/// `Measure.group.stratifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeasureStratifier {
    /// The stratifier's name.
    pub code: CodeableConcept,
    /// The values it can take.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// The stratifier in the spec.
    pub criteria: Expression,
}

/// An `Expression` in the measure language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Expression {
    /// [`OQM_MEDIA_TYPE`].
    pub language: String,
    /// The name of the criterion or stratifier in the spec.
    pub expression: String,
}

/// A `RelatedArtifact`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RelatedArtifact {
    /// `depends-on` or `composed-of`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub display: Option<String>,
    /// The canonical of the artifact.
    pub resource: String,
}

/// A FHIR R4 `Library` (the elements oncoqual fills).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Library {
    /// Always `Library`.
    pub resource_type: String,
    /// Logical id.
    pub id: String,
    /// The canonical (`urn:oncoqual:library:<id>`).
    pub url: String,
    /// The spec's version, or the file's content hash for a shared module.
    pub version: String,
    /// A computable name.
    pub name: String,
    /// The title.
    pub title: String,
    /// `active`.
    pub status: String,
    /// `logic-library`.
    #[serde(rename = "type")]
    pub kind: CodeableConcept,
    /// The publication date, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
    /// What it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// The shared modules and value sets it depends on.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub related_artifact: Vec<RelatedArtifact>,
    /// The chart data the measure reads.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub data_requirement: Vec<DataRequirement>,
    /// The `.oqm` source.
    pub content: Vec<Attachment>,
}

/// An `Attachment` holding data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Attachment {
    /// [`OQM_MEDIA_TYPE`].
    pub content_type: String,
    /// The bytes, base64.
    pub data: String,
    /// The file's name in the library.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub title: Option<String>,
}

impl Attachment {
    /// The decoded bytes (`None` when `data` is not base64).
    pub fn decoded(&self) -> Option<Vec<u8>> {
        base64_decode(&self.data)
    }
}

/// A `DataRequirement`: one chart root a measure reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DataRequirement {
    /// The FHIR resource type the root is read from.
    #[serde(rename = "type")]
    pub kind: String,
    /// The logical-model element (`urn:oncoqual:chart:<root>`).
    pub profile: Vec<String>,
    /// The field paths read below the root (relative to it), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub must_support: Vec<String>,
}

/// A FHIR R4 `ValueSet` with its expansion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ValueSet {
    /// Always `ValueSet`.
    pub resource_type: String,
    /// Logical id.
    pub id: String,
    /// The canonical (`urn:oncoqual:valueset:<name>`).
    pub url: String,
    /// The file's content hash.
    pub version: String,
    /// The value set's name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// `active`.
    pub status: String,
    /// The publication date, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
    /// Its source.
    pub description: String,
    /// The codes, by system.
    pub compose: Compose,
    /// The codes, listed.
    pub expansion: Expansion,
}

/// `ValueSet.compose`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Compose {
    /// One include per code system.
    pub include: Vec<ComposeInclude>,
}

/// `ValueSet.compose.include`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ComposeInclude {
    /// The code system.
    pub system: String,
    /// Its codes, in file order.
    pub concept: Vec<Concept>,
}

/// `ValueSet.compose.include.concept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Concept {
    /// The code.
    pub code: String,
}

/// `ValueSet.expansion`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Expansion {
    /// See [`ExportOptions::date`].
    pub timestamp: String,
    /// How many codes.
    pub total: u64,
    /// The codes, in file order.
    pub contains: Vec<Coding>,
}

fn concept(system: &str, code: &str, display: &str) -> CodeableConcept {
    CodeableConcept {
        coding: vec![Coding {
            system: system.to_owned(),
            code: code.to_owned(),
            display: Some(display.to_owned()),
        }],
        text: None,
    }
}

/// `core.pain-plan` → `CorePainPlan`; `lib.common` → `LibCommon`.
fn computable_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut upper = true;
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_uppercase()) {
        out.insert(0, 'X');
    }
    out
}

/// The canonical of measure `id`.
pub fn measure_url(id: &str) -> String {
    format!("urn:oncoqual:measure:{id}")
}

/// The canonical of the logic library `id` (a measure id or `lib.NAME`).
pub fn library_url(id: &str) -> String {
    format!("urn:oncoqual:library:{id}")
}

/// The canonical of value set `name`.
pub fn valueset_url(name: &str) -> String {
    format!("urn:oncoqual:valueset:{name}")
}

/// The logical id of a definition named `name`: `name` with `_` written `-` (FHIR ids
/// have no `_`), or a hash when that is still no valid id.
fn resource_id(name: &str) -> String {
    logical_id(&[&name.replace('_', "-")])
}

fn content_version(digest: &str) -> String {
    digest.chars().take(16).collect()
}

fn date_of(options: &ExportOptions) -> Option<String> {
    options.date.map(|d| d.to_string())
}

fn population_of(kind: PopulationKind) -> Population {
    match kind {
        PopulationKind::InitialPopulation => Population::InitialPopulation,
        PopulationKind::Denominator => Population::Denominator,
        PopulationKind::DenominatorExclusion => Population::DenominatorExclusion,
        PopulationKind::DenominatorException => Population::DenominatorException,
        PopulationKind::Numerator => Population::Numerator,
        PopulationKind::NumeratorExclusion => Population::NumeratorExclusion,
    }
}

fn catalog_text(entry: Option<&CatalogEntry>, kind: PopulationKind) -> Option<String> {
    let e = entry?;
    match kind {
        PopulationKind::InitialPopulation => e.initial_population.clone(),
        PopulationKind::Denominator => e.denominator.clone(),
        PopulationKind::DenominatorExclusion => e.denominator_exclusions.clone(),
        PopulationKind::DenominatorException => e.denominator_exceptions.clone(),
        PopulationKind::Numerator => e.numerator.clone(),
        PopulationKind::NumeratorExclusion => e.numerator_exclusions.clone(),
    }
}

fn oqm(expression: &str) -> Expression {
    Expression {
        language: OQM_MEDIA_TYPE.to_owned(),
        expression: expression.to_owned(),
    }
}

fn guidance(entry: &CatalogEntry) -> Option<String> {
    let mut lines = Vec::new();
    for (label, text) in [
        ("Initial population", &entry.initial_population),
        ("Denominator", &entry.denominator),
        ("Denominator exclusions", &entry.denominator_exclusions),
        ("Denominator exceptions", &entry.denominator_exceptions),
        ("Numerator", &entry.numerator),
        ("Numerator exclusions", &entry.numerator_exclusions),
    ] {
        if let Some(t) = text {
            lines.push(format!("- **{label}**: {t}"));
        }
    }
    if !entry.data_elements.is_empty() {
        lines.push(format!(
            "- **Data elements**: {}",
            entry
                .data_elements
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The `Measure` of measure `index` of `lib` (`None` for an index out of range). `catalog`
/// supplies the text (description, guidance, rationale, population descriptions) of the
/// measures it lists.
///
/// ```
/// use oncoqual::Library;
/// use oncoqual::measure::Catalog;
/// use oncoqual::report::fhir::{ExportOptions, measure};
/// let lib = Library::bundled().unwrap();
/// let i = lib.index_of("end_of_life.chemo-last-14-days").unwrap();
/// let m = measure(lib, i, Catalog::bundled().ok(), &ExportOptions::default()).unwrap();
/// assert_eq!(m.url, "urn:oncoqual:measure:end_of_life.chemo-last-14-days");
/// assert_eq!(m.scoring.coding[0].code, "proportion");
/// ```
pub fn measure(
    lib: &MeasureLibrary,
    index: usize,
    catalog: Option<&Catalog>,
    options: &ExportOptions,
) -> Option<Measure> {
    let def = lib.measures.get(index)?;
    let info = &def.info;
    let entry = catalog.and_then(|c| c.get(&info.id));
    let composite = info.scoring == Scoring::CompositeAllOrNone;
    let mut population = Vec::new();
    for kind in PopulationKind::ALL {
        let present = def.criteria.get(kind as usize).is_some_and(Option::is_some);
        let expression = if present {
            kind.keyword()
        } else if kind == PopulationKind::Denominator && !composite {
            // The evaluator's rule: no denominator is the initial population.
            PopulationKind::InitialPopulation.keyword()
        } else {
            continue;
        };
        let (code, display) = population_code(population_of(kind));
        population.push(MeasurePopulation {
            code: concept(POPULATION_SYSTEM, code, display),
            description: catalog_text(entry, kind),
            criteria: oqm(expression),
        });
    }
    let stratifier = info
        .stratifiers
        .iter()
        .zip(&def.stratum_values)
        .map(|(name, values)| MeasureStratifier {
            code: CodeableConcept {
                coding: Vec::new(),
                text: Some(name.clone()),
            },
            description: (!values.is_empty()).then(|| format!("values: {}", values.join(", "))),
            criteria: oqm(name),
        })
        .collect();
    let related_artifact = info
        .components
        .iter()
        .map(|c| RelatedArtifact {
            kind: "composed-of".to_owned(),
            display: lib
                .index_of(c)
                .and_then(|ci| lib.measure(ci))
                .map(|m| m.title.clone()),
            resource: lib.index_of(c).and_then(|ci| lib.measure(ci)).map_or_else(
                || measure_url(c),
                |m| format!("{}|{}", measure_url(c), m.version),
            ),
        })
        .collect();
    let mut description = format!(
        "Module `{}`, tracks {}. Source: {}.",
        info.module,
        info.tracks.join(", "),
        info.source.trim_end_matches('.')
    );
    if let Some(e) = entry {
        description.push_str(&format!(" Evidence: {}.", e.evidence.as_str()));
    }
    if let Some(d) = &info.description {
        description.push_str("\n\n");
        description.push_str(d);
    }
    let (scoring, composite_scoring) = if composite {
        (
            concept(SCORING_SYSTEM, "composite", "Composite"),
            Some(concept(
                COMPOSITE_SCORING_SYSTEM,
                "all-or-nothing",
                "All-or-nothing",
            )),
        )
    } else {
        (concept(SCORING_SYSTEM, "proportion", "Proportion"), None)
    };
    Some(Measure {
        resource_type: "Measure".to_owned(),
        id: resource_id(&info.id),
        url: measure_url(&info.id),
        version: info.version.clone(),
        name: computable_name(&info.id),
        title: info.title.clone(),
        status: "active".to_owned(),
        date: date_of(options),
        description: Some(description),
        usage: (info.scoring == Scoring::Informational).then(|| {
            "Informational: computed and reported, never part of the Overall Quality Score or certification.".to_owned()
        }),
        rationale: entry.and_then(|e| e.rationale.clone()),
        guidance: entry.and_then(guidance),
        related_artifact,
        library: vec![format!("{}|{}", library_url(&info.id), info.version)],
        scoring,
        composite_scoring,
        improvement_notation: improvement(info.direction),
        group: vec![MeasureGroup {
            description: composite.then(|| {
                "Denominator and numerator come from the components (all-or-nothing): in the denominator when in the initial population and the net denominator of a component; in the numerator when every such component's numerator is met.".to_owned()
            }),
            population,
            stratifier,
        }],
    })
}

fn logic_library_type() -> CodeableConcept {
    concept(LIBRARY_TYPE_SYSTEM, "logic-library", "Logic Library")
}

fn depends_on_library(lib: &MeasureLibrary, id: &str) -> RelatedArtifact {
    let version = lib
        .shared_libraries()
        .find(|(l, _)| *l == id)
        .map(|(_, s)| content_version(&blake3::hash(s.text().as_bytes()).to_hex()));
    RelatedArtifact {
        kind: "depends-on".to_owned(),
        display: Some(format!("shared library {id}")),
        resource: match version {
            Some(v) => format!("{}|{v}", library_url(id)),
            None => library_url(id),
        },
    }
}

fn depends_on_valueset(lib: &MeasureLibrary, name: &str) -> RelatedArtifact {
    let vs = lib.valueset(name);
    RelatedArtifact {
        kind: "depends-on".to_owned(),
        display: vs.map(|v| v.title.clone()),
        resource: match vs {
            Some(v) => format!("{}|{}", valueset_url(name), content_version(&v.digest)),
            None => valueset_url(name),
        },
    }
}

/// The chart paths `paths` (dotted, with every path they go through) as one
/// `DataRequirement` per root, in root order.
pub fn data_requirements(paths: &[String]) -> Vec<DataRequirement> {
    let mut roots: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in paths {
        match p.split_once('.') {
            Some((root, rest)) => {
                roots.entry(root).or_default().insert(rest);
            }
            None => {
                roots.entry(p).or_default();
            }
        }
    }
    roots
        .into_iter()
        .map(|(root, fields)| DataRequirement {
            kind: resource_type(root).unwrap_or("Basic").to_owned(),
            profile: vec![format!("{PROFILE_PREFIX}{root}")],
            must_support: fields.into_iter().map(str::to_owned).collect(),
        })
        .collect()
}

fn attachment(name: &str, text: &str) -> Attachment {
    Attachment {
        content_type: OQM_MEDIA_TYPE.to_owned(),
        data: base64_encode(text.as_bytes()),
        title: Some(name.to_owned()),
    }
}

/// The logic `Library` of measure `index` of `lib`: its `.oqm` file, the shared modules it
/// `use`s and the value sets it reads (`depends-on`), and its data requirements.
///
/// ```
/// use oncoqual::Library;
/// use oncoqual::report::fhir::{ExportOptions, measure_library};
/// let lib = Library::bundled().unwrap();
/// let i = lib.index_of("end_of_life.chemo-last-14-days").unwrap();
/// let l = measure_library(lib, i, &ExportOptions::default()).unwrap();
/// assert_eq!(l.url, "urn:oncoqual:library:end_of_life.chemo-last-14-days");
/// assert!(l.data_requirement.iter().any(|d| d.kind == "Patient"));
/// ```
pub fn measure_library(
    lib: &MeasureLibrary,
    index: usize,
    options: &ExportOptions,
) -> Option<Library> {
    let info = lib.measure(index)?;
    let source = lib.spec_source(index)?;
    let req = lib.data_requirements(&info.id)?;
    let mut related_artifact: Vec<RelatedArtifact> = lib
        .measure_uses(index)
        .into_iter()
        .map(|id| depends_on_library(lib, id))
        .collect();
    related_artifact.extend(req.valuesets().iter().map(|n| depends_on_valueset(lib, n)));
    Some(Library {
        resource_type: "Library".to_owned(),
        id: resource_id(&info.id),
        url: library_url(&info.id),
        version: info.version.clone(),
        name: computable_name(&info.id),
        title: format!("Logic of {}", info.title),
        status: "active".to_owned(),
        kind: logic_library_type(),
        date: date_of(options),
        description: Some(format!(
            "The measure-language source of measure {} and the chart data it reads.",
            info.id
        )),
        related_artifact,
        data_requirement: data_requirements(req.paths()),
        content: vec![attachment(source.name(), source.text())],
    })
}

/// The `Library` of shared module `id` (`lib.NAME`) of `lib`: its `.oqm` file and the
/// modules it `use`s.
pub fn shared_library(lib: &MeasureLibrary, id: &str, options: &ExportOptions) -> Option<Library> {
    let (_, source) = lib.shared_libraries().find(|(l, _)| *l == id)?;
    Some(Library {
        resource_type: "Library".to_owned(),
        id: resource_id(id),
        url: library_url(id),
        version: content_version(&blake3::hash(source.text().as_bytes()).to_hex()),
        name: computable_name(id),
        title: format!("Shared library {id}"),
        status: "active".to_owned(),
        kind: logic_library_type(),
        date: date_of(options),
        description: Some(format!(
            "Defines shared by the measures that `use {id}`; version is the file's content hash."
        )),
        related_artifact: lib
            .library_uses(id)
            .into_iter()
            .map(|u| depends_on_library(lib, u))
            .collect(),
        data_requirement: Vec::new(),
        content: vec![attachment(source.name(), source.text())],
    })
}

/// The `ValueSet` named `name` of `lib`, with its expansion (its codes as the file lists
/// them).
pub fn valueset(lib: &MeasureLibrary, name: &str, options: &ExportOptions) -> Option<ValueSet> {
    let vs = lib.valueset(name)?;
    let mut include: Vec<ComposeInclude> = Vec::new();
    for (system, code) in &vs.listed {
        let uri = code_system_uri(system);
        let c = Concept { code: code.clone() };
        match include.iter_mut().find(|i| i.system == uri) {
            Some(i) => i.concept.push(c),
            None => include.push(ComposeInclude {
                system: uri,
                concept: vec![c],
            }),
        }
    }
    Some(ValueSet {
        resource_type: "ValueSet".to_owned(),
        id: resource_id(name),
        url: valueset_url(name),
        version: content_version(&vs.digest),
        name: computable_name(name),
        title: vs.title.clone(),
        status: "active".to_owned(),
        date: date_of(options),
        description: vs.source.clone(),
        compose: Compose { include },
        expansion: Expansion {
            timestamp: options
                .date
                .map_or_else(|| EPOCH.to_owned(), |d| format!("{d}T00:00:00Z")),
            total: u64::try_from(vs.listed.len()).unwrap_or(u64::MAX),
            contains: vs
                .listed
                .iter()
                .map(|(s, c)| Coding {
                    system: code_system_uri(s),
                    code: c.clone(),
                    display: None,
                })
                .collect(),
        },
    })
}

/// Every definition of `lib`: a `Measure` and a `Library` per measure, a `Library` per
/// shared module, a `ValueSet` per value set, sorted by [`Resource::file_name`].
///
/// ```
/// use oncoqual::Library;
/// use oncoqual::measure::Catalog;
/// use oncoqual::report::fhir::{ExportOptions, definitions};
/// let lib = Library::bundled().unwrap();
/// let all = definitions(lib, Catalog::bundled().ok(), &ExportOptions::default());
/// let measures = all.iter().filter(|r| r.resource_type() == "Measure").count();
/// assert_eq!(measures, lib.measures().len());
/// ```
pub fn definitions(
    lib: &MeasureLibrary,
    catalog: Option<&Catalog>,
    options: &ExportOptions,
) -> Vec<Resource> {
    let mut out = Vec::new();
    for i in 0..lib.measures.len() {
        if let Some(m) = measure(lib, i, catalog, options) {
            out.push(Resource::Measure(Box::new(m)));
        }
        if let Some(l) = measure_library(lib, i, options) {
            out.push(Resource::Library(Box::new(l)));
        }
    }
    let shared: Vec<&str> = lib.shared_libraries().map(|(id, _)| id).collect();
    for id in shared {
        if let Some(l) = shared_library(lib, id, options) {
            out.push(Resource::Library(Box::new(l)));
        }
    }
    let names: Vec<&str> = lib.valuesets.iter().map(|v| v.name.as_str()).collect();
    for name in names {
        if let Some(v) = valueset(lib, name, options) {
            out.push(Resource::ValueSet(Box::new(v)));
        }
    }
    out.sort_by_cached_key(Resource::file_name);
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), as FHIR `base64Binary` is written.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    let sym = |v: u32| char::from(B64.get((v & 63) as usize).copied().unwrap_or(b'A'));
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = b(0).wrapping_shl(16) | b(1).wrapping_shl(8) | b(2);
        out.push(sym(n.wrapping_shr(18)));
        out.push(sym(n.wrapping_shr(12)));
        out.push(if chunk.len() > 1 {
            sym(n.wrapping_shr(6))
        } else {
            '='
        });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

/// The inverse of [`base64_encode`]; `None` for anything it does not write.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        B64.iter()
            .position(|&s| s == c)
            .and_then(|p| u32::try_from(p).ok())
    };
    let mut out = Vec::new();
    let last = bytes.len().checked_sub(4);
    for (at, quad) in bytes.chunks(4).enumerate() {
        let is_last = Some(at.saturating_mul(4)) == last;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !is_last) {
            return None;
        }
        let mut n: u32 = 0;
        for (k, &c) in quad.iter().enumerate() {
            let v = if c == b'=' && k >= 4usize.saturating_sub(pad) {
                0
            } else {
                value(c)?
            };
            n = n.wrapping_shl(6) | v;
        }
        let [_, a, b, c] = n.to_be_bytes();
        out.push(a);
        if pad < 2 {
            out.push(b);
        }
        if pad < 1 {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> &'static MeasureLibrary {
        MeasureLibrary::bundled().unwrap()
    }

    fn export(id: &str) -> (Measure, Library) {
        let lib = bundled();
        let i = lib.index_of(id).unwrap();
        let opts = ExportOptions::default();
        (
            measure(lib, i, Catalog::bundled().ok(), &opts).unwrap(),
            measure_library(lib, i, &opts).unwrap(),
        )
    }

    fn codes(m: &Measure) -> Vec<(&str, &str)> {
        m.group[0]
            .population
            .iter()
            .map(|p| {
                (
                    p.code.coding[0].code.as_str(),
                    p.criteria.expression.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn base64_round_trips_every_length_and_matches_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), coded);
            assert_eq!(base64_decode(coded).unwrap(), plain.as_bytes());
        }
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(base64_decode(&base64_encode(&all)).unwrap(), all);
        assert_eq!(base64_decode("Zg==Zg=="), None);
        assert_eq!(base64_decode("Zg="), None);
    }

    #[test]
    fn a_proportion_measure_has_its_canonical_version_populations_and_library() {
        let (m, _) = export("end_of_life.chemo-last-14-days");
        let info = bundled()
            .measure(
                bundled()
                    .index_of("end_of_life.chemo-last-14-days")
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(m.url, "urn:oncoqual:measure:end_of_life.chemo-last-14-days");
        // The canonical MeasureReports point at, version included.
        assert_eq!(
            format!("{}|{}", m.url, m.version),
            super::super::canonical(&info.id, Some(&info.version))
        );
        assert_eq!(m.id, "end-of-life.chemo-last-14-days");
        assert_eq!(m.name, "EndOfLifeChemoLast14Days");
        assert_eq!(m.status, "active");
        assert_eq!(m.scoring.coding[0].system, SCORING_SYSTEM);
        assert_eq!(m.scoring.coding[0].code, "proportion");
        assert_eq!(m.composite_scoring, None);
        assert_eq!(m.improvement_notation.coding[0].code, "decrease");
        assert_eq!(
            m.library,
            [format!(
                "urn:oncoqual:library:end_of_life.chemo-last-14-days|{}",
                info.version
            )]
        );
        let pops = codes(&m);
        assert_eq!(pops[0], ("initial-population", "initial_population"));
        assert!(pops.contains(&("numerator", "numerator")), "{pops:?}");
        assert!(pops.iter().any(|(c, _)| *c == "denominator"), "{pops:?}");
        assert!(
            m.group[0]
                .population
                .iter()
                .all(|p| p.criteria.language == "text/x-oqm")
        );
        // The catalog's text.
        let entry = Catalog::bundled().unwrap().get(&info.id).unwrap();
        assert_eq!(m.rationale, entry.rationale);
        assert_eq!(
            m.group[0].population[0].description,
            entry.initial_population
        );
        assert!(m.guidance.as_deref().unwrap().contains("**Numerator**"));
    }

    #[test]
    fn every_measure_lists_the_populations_its_spec_defines_in_order() {
        let lib = bundled();
        for i in 0..lib.measures.len() {
            let m = measure(lib, i, None, &ExportOptions::default()).unwrap();
            let def = &lib.measures[i];
            for p in &m.group[0].population {
                let kind = PopulationKind::ALL
                    .into_iter()
                    .find(|k| population_code(population_of(*k)).0 == p.code.coding[0].code)
                    .unwrap();
                assert!(
                    def.criteria[kind as usize].is_some()
                        || (kind == PopulationKind::Denominator
                            && p.criteria.expression == "initial_population"),
                    "{}: {kind:?}",
                    def.info.id
                );
            }
            assert_eq!(m.group[0].stratifier.len(), def.info.stratifiers.len());
        }
    }

    #[test]
    fn a_composite_is_composite_all_or_nothing_composed_of_its_components() {
        let lib = bundled();
        let c = lib
            .measures()
            .find(|m| m.scoring == Scoring::CompositeAllOrNone)
            .unwrap();
        let (m, _) = export(&c.id);
        assert_eq!(m.scoring.coding[0].code, "composite");
        assert_eq!(
            m.composite_scoring.as_ref().unwrap().coding[0].code,
            "all-or-nothing"
        );
        assert_eq!(codes(&m), [("initial-population", "initial_population")]);
        let composed: Vec<&str> = m
            .related_artifact
            .iter()
            .map(|r| {
                assert_eq!(r.kind, "composed-of");
                r.resource.split('|').next().unwrap()
            })
            .collect();
        let expected: Vec<String> = c.components.iter().map(|id| measure_url(id)).collect();
        assert_eq!(composed, expected);
    }

    #[test]
    fn an_informational_measure_stays_a_proportion_and_says_it_is_not_scored() {
        let (m, _) = export("informational.clinical-trial-enrollment");
        assert_eq!(m.scoring.coding[0].code, "proportion");
        assert!(m.usage.as_deref().unwrap().starts_with("Informational"));
        assert!(codes(&m).contains(&("numerator", "numerator")));
        let (p, _) = export("end_of_life.chemo-last-14-days");
        assert_eq!(p.usage, None);
    }

    #[test]
    fn data_requirements_map_roots_to_resource_types_and_fields_to_must_support() {
        let (_, l) = export("core.pathology-report-confirms-malignancy");
        let by_profile: BTreeMap<&str, (&str, Vec<&str>)> = l
            .data_requirement
            .iter()
            .map(|d| {
                (
                    d.profile[0].as_str(),
                    (
                        d.kind.as_str(),
                        d.must_support.iter().map(String::as_str).collect(),
                    ),
                )
            })
            .collect();
        assert_eq!(
            by_profile["urn:oncoqual:chart:diagnoses"],
            (
                "Condition",
                vec![
                    "cancer_type",
                    "diagnosis_date",
                    "invasive",
                    "pathology_report_date"
                ]
            )
        );
        assert_eq!(
            by_profile["urn:oncoqual:chart:encounters"],
            (
                "Encounter",
                vec!["date", "kind", "provider_role", "with_practice"]
            )
        );
        assert_eq!(
            by_profile["urn:oncoqual:chart:patient"],
            ("Patient", vec!["birth_date"])
        );
        assert_eq!(by_profile.len(), 3);
        // Exactly what `data_requirements` lists, back again.
        let lib = bundled();
        for i in 0..lib.measures.len() {
            let info = lib.measure(i).unwrap();
            let l = measure_library(lib, i, &ExportOptions::default()).unwrap();
            let mut paths: Vec<String> = Vec::new();
            for d in &l.data_requirement {
                let root = d.profile[0].strip_prefix(PROFILE_PREFIX).unwrap();
                assert_eq!(Some(d.kind.as_str()), resource_type(root), "{}", info.id);
                paths.push(root.to_owned());
                paths.extend(d.must_support.iter().map(|f| format!("{root}.{f}")));
            }
            paths.sort();
            assert_eq!(paths, lib.data_requirements(&info.id).unwrap().paths());
        }
    }

    #[test]
    fn a_library_carries_its_spec_byte_for_byte_and_depends_on_its_modules_and_valuesets() {
        let lib = bundled();
        for i in 0..lib.measures.len() {
            let l = measure_library(lib, i, &ExportOptions::default()).unwrap();
            let source = lib.spec_source(i).unwrap();
            assert_eq!(l.content[0].content_type, "text/x-oqm");
            assert_eq!(l.content[0].decoded().unwrap(), source.text().as_bytes());
            assert_eq!(l.kind.coding[0].code, "logic-library");
            let info = lib.measure(i).unwrap();
            let req = lib.data_requirements(&info.id).unwrap();
            for vs in req.valuesets() {
                assert!(
                    l.related_artifact
                        .iter()
                        .any(|r| r.resource.starts_with(&format!("{}|", valueset_url(vs)))),
                    "{}: {vs}",
                    info.id
                );
            }
            for u in lib.measure_uses(i) {
                assert!(
                    l.related_artifact
                        .iter()
                        .any(|r| r.resource.starts_with(&format!("{}|", library_url(u)))),
                    "{}: {u}",
                    info.id
                );
            }
        }
        let common = shared_library(lib, "lib.common", &ExportOptions::default()).unwrap();
        let text = lib
            .shared_libraries()
            .find(|(id, _)| *id == "lib.common")
            .unwrap()
            .1
            .text();
        assert_eq!(common.content[0].decoded().unwrap(), text.as_bytes());
        assert_eq!(common.version.len(), 16);
    }

    #[test]
    fn a_valueset_expansion_is_the_value_set_file_in_order() {
        let lib = bundled();
        for vs in &lib.valuesets {
            let v = valueset(lib, &vs.name, &ExportOptions::default()).unwrap();
            assert_eq!(v.url, valueset_url(&vs.name));
            assert_eq!(v.expansion.timestamp, EPOCH);
            let listed: Vec<(String, String)> = v
                .expansion
                .contains
                .iter()
                .map(|c| (c.system.clone(), c.code.clone()))
                .collect();
            let expected: Vec<(String, String)> = vs
                .listed
                .iter()
                .map(|(s, c)| (code_system_uri(s), c.clone()))
                .collect();
            assert_eq!(listed, expected);
            assert_eq!(v.expansion.total, expected.len() as u64);
            let composed: usize = v.compose.include.iter().map(|i| i.concept.len()).sum();
            assert_eq!(composed, expected.len());
        }
        let dated = valueset(
            lib,
            "biologics_with_biosimilar",
            &ExportOptions::default().with_date(Date::parse("2026-12-01")),
        )
        .unwrap();
        assert_eq!(dated.id, "biologics-with-biosimilar");
        assert_eq!(dated.expansion.timestamp, "2026-12-01T00:00:00Z");
        assert_eq!(dated.date.as_deref(), Some("2026-12-01"));
    }

    #[test]
    fn definitions_are_sorted_unique_and_identical_across_calls() {
        let lib = bundled();
        let a = definitions(lib, Catalog::bundled().ok(), &ExportOptions::default());
        let b = definitions(lib, Catalog::bundled().ok(), &ExportOptions::default());
        assert_eq!(a, b);
        let names: Vec<String> = a.iter().map(Resource::file_name).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        let n = lib.measures().len();
        assert_eq!(
            a.len(),
            2 * n + lib.shared_libraries().count() + lib.valuesets.len()
        );
    }
}
