//! Projection: reading only the chart fields a run needs, and skimming the rest.
//!
//! A [`Projection`] says, for each record type of the chart, which of its fields to keep.
//! It is built from the dotted paths a run reads (a measure's data requirements), and always
//! keeps what the rest of the pipeline reads whatever the measures: the chart's identity
//! (`id`, `practice`, `round`: the duplicate-chart check and the tally digests read them)
//! and the fields the kept fields' semantic checks compare (see [`Projection::from_paths`]).
//!
//! The projected parse is one pass of serde_json driven by the schema
//! ([`Projectable`]): a kept field is deserialised as the full parse does; an unread one is
//! skimmed. A faster first pass ([`super::skim`]) usually does the skimming instead: it
//! checks the unread values as below and hands serde_json a short text of the kept members
//! only; on anything unusual it gives up and this pass reads the chart's own text. What is
//! checked of an unread value:
//!
//! - its JSON syntax (serde_json's own scanner: strings and their escapes, numbers,
//!   literals, brackets), with the line and column of an error;
//! - its keys, where the schema has a record (an unread list of records, a record inside an
//!   unread record) or a code: an unknown or repeated key is refused as the full parse
//!   refuses it;
//! - its JSON shape: an array where a list belongs, an object where a record or a code
//!   belongs, a scalar (or `null`) anywhere else.
//!
//! What is not: the type and value of an unread scalar (a date that is no date, an unknown
//! enumeration value, a number where a string belongs), and the semantic checks of
//! [`crate::chart::validate`], which see only the kept fields ([`Projection::from_paths`]
//! keeps the fields those checks compare). A record the projected parse refuses is read
//! again by the full parse, which words the error; so the projected parse never refuses a
//! record the full parse accepts.
//!
//! Depth: the walk follows the schema (a tree a few records deep) and refuses a container
//! where a scalar belongs, so an unread value never nests deeper than the schema: a hostile
//! `[[[[…` is refused at its first bracket, with no recursion to speak of.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::schema::{BaseType, FieldType, RecordSchema, Scalar};

/// The chart fields a projected parse keeps: see the [module docs](self).
///
/// ```
/// use oncoqual::chart::Projection;
/// let p = Projection::from_paths(["regimens.agents.category", "death"]);
/// assert!(p.keeps("regimens.agents.category"));
/// assert!(p.keeps("id")); // identity is always kept
/// assert!(!p.keeps("regimens.agents.class"));
/// assert!(!p.is_full());
/// assert!(Projection::full().is_full());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Projection {
    root: Node,
}

impl fmt::Debug for Projection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Projection")
            .field("paths", &self.paths())
            .finish()
    }
}

/// The fields kept of one record type (at one place of the chart: each record type has
/// one), and the projections of its kept record-typed fields.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Node {
    schema: &'static RecordSchema,
    /// Bit `i`: field `i` is kept.
    keep: u64,
    /// Every field kept, nested records too: the plain derive reads it.
    full: bool,
    /// Per field: the projection of a kept field whose type is (a list of) a record.
    children: Vec<Option<Node>>,
}

/// Most fields a record can have for its projection (bits of [`Node::keep`]).
const MAX_FIELDS: usize = 64;

fn bit(index: usize) -> u64 {
    1u64.checked_shl(u32::try_from(index).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

impl Node {
    fn empty(schema: &'static RecordSchema) -> Node {
        Node {
            schema,
            keep: 0,
            full: false,
            children: vec![None; schema.fields.len()],
        }
    }

    /// Keeps the field at `path` (segments below this record), and every record on the way.
    fn keep_path<'s>(&mut self, mut path: impl Iterator<Item = &'s str>) -> bool {
        // Iterative: one step per segment.
        let Some(first) = path.next() else {
            return true;
        };
        let mut node = self;
        let mut seg = first;
        loop {
            let Some(index) = node.schema.fields.iter().position(|f| f.name == seg) else {
                return false;
            };
            node.keep |= bit(index);
            let Some(next) = path.next() else {
                if let (BaseType::Record { schema }, Some(slot)) = (
                    node.schema
                        .fields
                        .get(index)
                        .map(|f| f.ty.base)
                        .unwrap_or(BaseType::Scalar { scalar: Scalar::Id }),
                    node.children.get_mut(index),
                ) {
                    slot.get_or_insert_with(|| Node::empty(schema));
                }
                return true;
            };
            let Some(BaseType::Record { schema }) =
                node.schema.fields.get(index).map(|f| f.ty.base)
            else {
                return false;
            };
            let Some(slot) = node.children.get_mut(index) else {
                return false;
            };
            node = slot.get_or_insert_with(|| Node::empty(schema));
            seg = next;
        }
    }

    /// Whether field `index` is kept.
    #[inline]
    pub(crate) fn keeps(&self, index: usize) -> bool {
        self.keep & bit(index) != 0
    }

    /// The projection of field `index` when it is a kept (list of) record.
    #[inline]
    pub(crate) fn child(&self, index: usize) -> Option<&Node> {
        self.children.get(index).and_then(Option::as_ref)
    }

    /// Whether the plain derive reads this record (every field kept, at every depth).
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.full
    }

    /// Sets `full` bottom-up (the schema is a tree of bounded depth: a few levels).
    fn settle(&mut self) {
        let n = self.schema.fields.len();
        let mut full = n <= MAX_FIELDS;
        for (i, f) in self.schema.fields.iter().enumerate() {
            if !self.keeps(i) {
                full = false;
                continue;
            }
            if let BaseType::Record { schema } = f.ty.base {
                let child = self.children.get_mut(i).and_then(Option::as_mut);
                match child {
                    Some(c) => {
                        c.settle();
                        full &= c.full;
                    }
                    None => {
                        // Kept with nothing below: a whole record, all its fields.
                        let mut c = Node::all(schema);
                        c.settle();
                        full &= c.full;
                        if let Some(slot) = self.children.get_mut(i) {
                            *slot = Some(c);
                        }
                    }
                }
            }
        }
        self.full = full;
    }

    fn all(schema: &'static RecordSchema) -> Node {
        let mut n = Node::empty(schema);
        for (i, f) in schema.fields.iter().enumerate() {
            n.keep |= bit(i);
            if let (BaseType::Record { schema }, Some(slot)) = (f.ty.base, n.children.get_mut(i)) {
                *slot = Some(Node::all(schema));
            }
        }
        n
    }

    fn collect_paths(&self, at: &str, out: &mut Vec<String>) {
        for (i, f) in self.schema.fields.iter().enumerate() {
            if !self.keeps(i) {
                continue;
            }
            let path = if at.is_empty() {
                f.name.to_owned()
            } else {
                format!("{at}.{}", f.name)
            };
            out.push(path.clone());
            if let Some(c) = self.child(i) {
                c.collect_paths(&path, out);
            }
        }
    }
}

/// Fields every projection keeps: the chart's identity, which the duplicate-chart check
/// and the tally's chart digests read.
pub const ALWAYS_KEPT: [&str; 3] = ["id", "practice", "round"];

/// A reference and the id it names: keeping the reference keeps the id, so the dangling
/// reference check of validation sees the entries it looks for.
const REFERENCES: [(&str, &str); 8] = [
    ("regimens.diagnosis_id", "diagnoses.id"),
    ("radiation_courses.diagnosis_id", "diagnoses.id"),
    ("surgeries.diagnosis_id", "diagnoses.id"),
    ("administrations.regimen_id", "regimens.id"),
    ("chemo_orders.regimen_id", "regimens.id"),
    ("documents.regimen_id", "regimens.id"),
    ("medications.regimen_id", "regimens.id"),
    ("adverse_events.regimen_id", "regimens.id"),
];

/// The dates an error-level check of validation compares: keeping one keeps the other, so
/// every error-level check that involves a kept field is applied.
const DATE_ORDER: [(&str, &str); 9] = [
    ("patient.birth_date", "death.date"),
    ("patient.birth_date", "diagnoses.diagnosis_date"),
    ("diagnoses.diagnosis_date", "death.date"),
    ("diagnoses.diagnosis_date", "diagnoses.resolved_date"),
    ("regimens.start_date", "regimens.end_date"),
    ("radiation_courses.start_date", "radiation_courses.end_date"),
    ("medications.start_date", "medications.end_date"),
    ("encounters.date", "encounters.discharge_date"),
    ("conditions.onset_date", "conditions.abatement_date"),
];

impl Projection {
    /// Every field: the projected parse is then the full parse.
    pub fn full() -> Projection {
        let mut root = Node::all(super::schema().chart);
        root.settle();
        Projection { root }
    }

    /// The projection that keeps the dotted chart paths `paths` (as
    /// `DataRequirements::paths` lists them; paths that name no chart field, such as
    /// `reporting_period.start`, are ignored), and always:
    ///
    /// - the chart's identity, [`ALWAYS_KEPT`];
    /// - the id a kept reference names (`administrations.regimen_id` keeps `regimens.id`;
    ///   `regimens`, `radiation_courses` and `surgeries` `.diagnosis_id` keep
    ///   `diagnoses.id`), so the dangling-reference check applies to kept references;
    /// - both dates of an error-level date-order check when either is kept (`death.date`
    ///   and `patient.birth_date`, `diagnoses.diagnosis_date` and `patient.birth_date`,
    ///   `diagnoses.diagnosis_date` and `death.date`, `diagnoses.resolved_date`, and each
    ///   start / end pair), until nothing changes.
    ///
    /// A kept path keeps every record on its way; a kept record with nothing below it is
    /// kept as an empty record (its presence, or a list's length).
    pub fn from_paths<S: AsRef<str>>(paths: impl IntoIterator<Item = S>) -> Projection {
        let chart = super::schema().chart;
        let mut root = Node::empty(chart);
        for p in paths {
            root.keep_path(p.as_ref().split('.'));
        }
        for id in ALWAYS_KEPT {
            root.keep_path(std::iter::once(id));
        }
        let keeps = |root: &Node, path: &str| keeps_in(root, path);
        // A fixpoint over a few pairs: each round keeps at least one more path or stops.
        loop {
            let mut more = Vec::new();
            for (from, to) in REFERENCES {
                if keeps(&root, from) && !keeps(&root, to) {
                    more.push(to);
                }
            }
            for (a, b) in DATE_ORDER {
                match (keeps(&root, a), keeps(&root, b)) {
                    (true, false) => more.push(b),
                    (false, true) => more.push(a),
                    _ => {}
                }
            }
            if more.is_empty() {
                break;
            }
            for p in more {
                root.keep_path(p.split('.'));
            }
        }
        root.settle();
        Projection { root }
    }

    /// Whether the dotted path is kept.
    pub fn keeps(&self, path: &str) -> bool {
        keeps_in(&self.root, path)
    }

    /// Whether every field is kept (the projected parse is the full parse).
    pub fn is_full(&self) -> bool {
        self.root.full
    }

    /// Every kept path (records and their fields), in schema order.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.root.collect_paths("", &mut out);
        out
    }

    pub(crate) fn root(&self) -> &Node {
        &self.root
    }
}

fn keeps_in(root: &Node, path: &str) -> bool {
    let mut node = Some(root);
    for seg in path.split('.') {
        let Some(n) = node else {
            // Below a kept field that is no record.
            return false;
        };
        let Some(i) = n.schema.fields.iter().position(|f| f.name == seg) else {
            return false;
        };
        if !n.keeps(i) {
            return false;
        }
        node = n.child(i);
    }
    true
}

// ------------------------------------------------------------------------------------------
// The projected deserialisation.

/// A chart type read under a projection: a record reads its kept fields and skims the
/// others; a leaf type (scalar, enumeration) reads itself whole.
pub(crate) trait Projectable: Sized {
    /// Reads a value of `Self` under `node` (the projection of a record type; `None` for
    /// a leaf, or a record read whole).
    fn project<'de, D: Deserializer<'de>>(d: D, node: Option<&Node>) -> Result<Self, D::Error>;
}

/// Leaf types: read whole.
macro_rules! leaf {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::chart::project::Projectable for $t {
            #[inline]
            fn project<'de, D: serde::Deserializer<'de>>(
                d: D,
                _: Option<&$crate::chart::project::Node>,
            ) -> Result<Self, D::Error> {
                <$t as serde::Deserialize>::deserialize(d)
            }
        })*
    };
}
pub(crate) use leaf;

leaf!(
    bool,
    super::Date,
    super::Number,
    super::Code,
    super::ChartId,
    super::PracticeId,
    super::DiagnosisId,
    super::RegimenId,
    super::round::RoundId,
);

/// A seed reading a `T` under a projection.
pub(crate) struct Seed<'n, T>(pub(crate) Option<&'n Node>, PhantomData<fn() -> T>);

impl<'n, T> Seed<'n, T> {
    #[inline]
    pub(crate) fn new(node: Option<&'n Node>) -> Self {
        Seed(node, PhantomData)
    }
}

impl<'de, T: Projectable> DeserializeSeed<'de> for Seed<'_, T> {
    type Value = T;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::project(d, self.0)
    }
}

impl<T: Projectable> Projectable for Option<T> {
    #[inline]
    fn project<'de, D: Deserializer<'de>>(d: D, node: Option<&Node>) -> Result<Self, D::Error> {
        struct V<'n, T>(Option<&'n Node>, PhantomData<fn() -> T>);
        impl<'de, T: Projectable> Visitor<'de> for V<'_, T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("option")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::project(d, self.0).map(Some)
            }
        }
        d.deserialize_option(V::<T>(node, PhantomData))
    }
}

impl<T: Projectable> Projectable for Vec<T> {
    #[inline]
    fn project<'de, D: Deserializer<'de>>(d: D, node: Option<&Node>) -> Result<Self, D::Error> {
        struct V<'n, T>(Option<&'n Node>, PhantomData<fn() -> T>);
        impl<'de, T: Projectable> Visitor<'de> for V<'_, T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // As serde's own: a hint, capped, never trusted for a large allocation.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(v) = seq.next_element_seed(Seed::<T>::new(self.0))? {
                    out.push(v);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V::<T>(node, PhantomData))
    }
}

/// A record read under a projection: implemented by `record!` and by the chart.
pub(crate) trait ProjectRecord: Projectable {
    /// The record's schema.
    const RECORD: &'static RecordSchema;
    /// Bits of the fields that must be present (the chart's identity).
    const REQUIRED: u64 = 0;
    /// A record to fill (its required fields are overwritten or refused as missing).
    fn start() -> Self;
    /// Reads field `index` (kept) from `map`'s next value, under `node`.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        index: usize,
        node: &Node,
        map: &mut A,
    ) -> Result<(), A::Error>;
    /// Reads field `index` (kept) from `seq`'s next element (a record written as an
    /// array); `false` when the array ended.
    fn read_element<'de, A: SeqAccess<'de>>(
        &mut self,
        index: usize,
        node: &Node,
        seq: &mut A,
    ) -> Result<bool, A::Error>;
}

/// Reads a record under `node`: the plain derive when every field is kept.
#[inline]
pub(crate) fn project_record<'de, T, D>(d: D, node: Option<&Node>) -> Result<T, D::Error>
where
    T: ProjectRecord + serde::Deserialize<'de>,
    D: Deserializer<'de>,
{
    match node {
        Some(n) if !n.is_full() => d.deserialize_struct(
            T::RECORD.name,
            &[],
            RecordVisitor::<T> {
                node: n,
                _t: PhantomData,
            },
        ),
        _ => T::deserialize(d),
    }
}

struct RecordVisitor<'n, T> {
    node: &'n Node,
    _t: PhantomData<fn() -> T>,
}

impl<'de, T: ProjectRecord> Visitor<'de> for RecordVisitor<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", T::RECORD.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let schema = T::RECORD;
        let mut out = T::start();
        let mut seen: u64 = 0;
        while let Some(index) = map.next_key_seed(FieldKey(schema))? {
            let b = bit(index);
            if seen & b != 0 {
                return Err(de::Error::custom(format_args!(
                    "duplicate field `{}`",
                    field_name(schema, index)
                )));
            }
            seen |= b;
            if self.node.keeps(index) {
                out.read_field(index, self.node, &mut map)?;
            } else {
                map.next_value_seed(Skip(field_type(schema, index)))?;
            }
        }
        missing::<T, A::Error>(seen)?;
        Ok(out)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let schema = T::RECORD;
        let mut out = T::start();
        let mut seen: u64 = 0;
        for (index, f) in schema.fields.iter().enumerate() {
            let more = if self.node.keeps(index) {
                out.read_element(index, self.node, &mut seq)?
            } else {
                seq.next_element_seed(Skip(f.ty))?.is_some()
            };
            if !more {
                break;
            }
            seen |= bit(index);
        }
        missing::<T, A::Error>(seen)?;
        Ok(out)
    }
}

/// Refuses a record missing a required field.
fn missing<T: ProjectRecord, E: de::Error>(seen: u64) -> Result<(), E> {
    let absent = T::REQUIRED & !seen;
    if absent == 0 {
        return Ok(());
    }
    let index = usize::try_from(absent.trailing_zeros()).unwrap_or(0);
    Err(E::missing_field(field_name(T::RECORD, index)))
}

fn field_name(schema: &'static RecordSchema, index: usize) -> &'static str {
    schema.fields.get(index).map_or("", |f| f.name)
}

fn field_type(schema: &'static RecordSchema, index: usize) -> FieldType {
    schema.fields.get(index).map_or(
        FieldType::of(BaseType::Scalar { scalar: Scalar::Id }),
        |f| f.ty,
    )
}

/// A record's key: the index of its field, or an unknown-field error.
struct FieldKey(&'static RecordSchema);

impl<'de> DeserializeSeed<'de> for FieldKey {
    type Value = usize;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldKey {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    #[inline]
    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        match self.0.fields.iter().position(|f| f.name == key) {
            Some(i) if i < MAX_FIELDS => Ok(i),
            // The message names no value: it is never shown (a refused record is read
            // again by the full parse for its report).
            _ => Err(E::custom("unknown field")),
        }
    }
}

/// Skims a value of type `FieldType`: syntax checked, its JSON shape checked (a list is an
/// array, a record or a code an object, anything else a scalar), the keys of the records
/// the schema has there checked, nothing kept. A container where a scalar belongs is
/// refused at once, so an unread value never nests deeper than the schema: a hostile
/// `[[[[…` is refused at its first bracket.
#[derive(Clone, Copy)]
struct Skip(FieldType);

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let shape = match self.0.base {
            BaseType::Record { schema } => Shape::Record(schema),
            BaseType::Scalar {
                scalar: Scalar::Code,
            } => Shape::Code,
            _ => Shape::Leaf,
        };
        d.deserialize_any(SkipTyped {
            shape,
            list: self.0.list,
        })
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Record(&'static RecordSchema),
    Code,
    Leaf,
}

/// The names a code object takes (`Code` refuses others).
const CODE_FIELDS: [&str; 2] = ["system", "code"];

/// Skims a value of `shape`, or a list of them (`list`).
#[derive(Clone, Copy)]
struct SkipTyped {
    shape: Shape,
    list: bool,
}

impl<'de> DeserializeSeed<'de> for SkipTyped {
    type Value = ();
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl SkipTyped {
    /// A scalar is accepted where a scalar belongs (or a null, which every optional field
    /// takes); refused where a list, record or code belongs.
    #[inline]
    fn scalar<E: de::Error>(self, found: de::Unexpected<'_>) -> Result<(), E> {
        match (self.list, self.shape) {
            (false, Shape::Leaf) => Ok(()),
            _ => Err(E::invalid_type(found, &self)),
        }
    }
}

impl<'de> Visitor<'de> for SkipTyped {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.list, self.shape) {
            (true, _) => "a sequence",
            (false, Shape::Leaf) => "a scalar",
            (false, _) => "a map",
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.list {
            let entry = SkipTyped {
                list: false,
                ..self
            };
            while seq.next_element_seed(entry)?.is_some() {}
            return Ok(());
        }
        match self.shape {
            // A record written as an array: its fields in order, and no more.
            Shape::Record(schema) => {
                for f in schema.fields {
                    if seq.next_element_seed(Skip(f.ty))?.is_none() {
                        return Ok(());
                    }
                }
                match seq.next_element_seed(SkipTyped {
                    shape: Shape::Leaf,
                    list: false,
                })? {
                    None => Ok(()),
                    Some(()) => Err(de::Error::invalid_length(
                        schema.fields.len().saturating_add(1),
                        &self,
                    )),
                }
            }
            Shape::Code | Shape::Leaf => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: u64 = 0;
        match (self.list, self.shape) {
            (false, Shape::Record(schema)) => {
                while let Some(index) = map.next_key_seed(FieldKey(schema))? {
                    let b = bit(index);
                    if seen & b != 0 {
                        return Err(de::Error::custom("duplicate field"));
                    }
                    seen |= b;
                    map.next_value_seed(Skip(field_type(schema, index)))?;
                }
                Ok(())
            }
            (false, Shape::Code) => {
                let part = SkipTyped {
                    shape: Shape::Leaf,
                    list: false,
                };
                while let Some(key) = map.next_key_seed(CodeKey)? {
                    let b = bit(key);
                    if seen & b != 0 {
                        return Err(de::Error::custom("duplicate field"));
                    }
                    seen |= b;
                    map.next_value_seed(part)?;
                }
                Ok(())
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.scalar(de::Unexpected::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(de::Unexpected::Signed(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(de::Unexpected::Unsigned(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.scalar(de::Unexpected::Float(v))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        // The value is not named in the error: it is never shown anyway.
        self.scalar(de::Unexpected::Other("a string"))
    }
    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<(), E> {
        self.scalar(de::Unexpected::Other("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        // `null`: an optional field's absence; a list's is refused by the full parse,
        // which reads it again.
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A code's key: `system` or `code`.
struct CodeKey;

impl<'de> DeserializeSeed<'de> for CodeKey {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for CodeKey {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`system` or `code`")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        CODE_FIELDS
            .iter()
            .position(|f| *f == key)
            .ok_or_else(|| E::custom("unknown field"))
    }
}

/// Reads a whole chart under `projection`: see the [module docs](self). Errors are
/// serde_json's (line and column; the message names no value).
pub(crate) fn chart_from_str(
    text: &str,
    projection: &Projection,
) -> Result<super::Chart, serde_json::Error> {
    // The short text of the kept members when the first pass takes the chart in its
    // stride (see `skim`); the text itself otherwise, or when the short one is refused (so
    // a refusal is the projected parse's of the text, as before that pass).
    //
    // The pass pays when it leaves most of the text out: where the kept members were more
    // than half of a chart, this thread reads the next `PAUSE` charts without it (charts
    // of one input are alike), then tries it again. Either way reads the same chart.
    const PAUSE: u32 = 63;
    thread_local! {
        static SHORT: std::cell::RefCell<(Vec<u8>, u32)> =
            const { std::cell::RefCell::new((Vec::new(), 0)) };
    }
    let short = SHORT.with_borrow_mut(|(buf, paused)| {
        if let Some(left) = paused.checked_sub(1) {
            *paused = left;
            return None;
        }
        if !super::skim::reduce(text, projection.root(), buf) {
            return None;
        }
        if buf.len() > text.len() / 2 {
            *paused = PAUSE;
        }
        let short = std::str::from_utf8(buf).ok()?;
        let chart = project_str(short, projection).ok();
        // Kept buffers must not creep up to the longest chart ever read.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        chart
    });
    match short {
        Some(chart) => Ok(chart),
        None => project_str(text, projection),
    }
}

/// The projected parse of `text`.
pub(crate) fn project_str(
    text: &str,
    projection: &Projection,
) -> Result<super::Chart, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let chart = <super::Chart as Projectable>::project(&mut de, Some(projection.root()))?;
    de.end()?;
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_fits_the_field_bits() {
        // A record of more fields would be refused by the projected parse and read again
        // by the full parse: correct, but slow.
        let mut stack = vec![super::super::schema().chart];
        while let Some(r) = stack.pop() {
            assert!(r.fields.len() <= MAX_FIELDS, "{}", r.name);
            for f in r.fields {
                if let BaseType::Record { schema } = f.ty.base {
                    stack.push(schema);
                }
            }
        }
    }

    #[test]
    fn paths_keep_the_records_on_their_way_and_nothing_else() {
        let p = Projection::from_paths(["regimens.agents.category", "not.a.path", "labs"]);
        assert_eq!(
            p.paths(),
            [
                "id",
                "practice",
                "round",
                "regimens",
                "regimens.agents",
                "regimens.agents.category",
                "labs"
            ]
        );
        assert!(!p.keeps("labs.test"));
        assert!(!p.keeps("id.more"));
        let full = Projection::full();
        assert!(full.is_full() && full.keeps("labs.test"));
        assert!(Projection::from_paths(full.paths()).is_full());
    }
}
