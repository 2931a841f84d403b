//! The chart model's self-description, used by the measure checker and `oncoqual schema`.
//!
//! The description is produced by the same macros that declare the model's types
//! ([`record!`] and [`enumeration!`]), so it cannot drift from them: every field's
//! [`FieldType`] comes from the Rust type of the field through the [`Describe`] trait.

use serde::Serialize;

/// The scalar kinds a chart field can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scalar {
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// An exact decimal number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A coded value `{ system, code }`.
    Code,
    /// An opaque identifier.
    Id,
    /// A data-collection round id (`YYYY-1`, `YYYY-2`).
    Round,
}

impl Scalar {
    /// The name used in the data dictionary and in `oncoqual schema`.
    pub const fn name(self) -> &'static str {
        match self {
            Scalar::Date => "date",
            Scalar::Number => "number",
            Scalar::Boolean => "boolean",
            Scalar::Code => "code",
            Scalar::Id => "id",
            Scalar::Round => "round",
        }
    }
}

/// A closed enumeration of string values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EnumSchema {
    /// The Rust type name (e.g. `CancerType`).
    pub name: &'static str,
    /// The accepted values, in declaration order.
    pub values: &'static [&'static str],
}

/// A record (JSON object) with named fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RecordSchema {
    /// The Rust type name (e.g. `Diagnosis`).
    pub name: &'static str,
    /// The fields, in declaration order.
    pub fields: &'static [FieldSchema],
}

impl RecordSchema {
    /// The field called `name`, if any.
    pub fn field(&self, name: &str) -> Option<&'static FieldSchema> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// What a field's values are, before optionality and list-ness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum BaseType {
    /// A scalar value.
    Scalar {
        /// Which scalar.
        scalar: Scalar,
    },
    /// A value of a closed enumeration.
    Enum {
        /// The enumeration.
        #[serde(rename = "enum")]
        schema: &'static EnumSchema,
    },
    /// A nested record.
    Record {
        /// The record.
        #[serde(rename = "record")]
        schema: &'static RecordSchema,
    },
}

/// The full type of a field: base type, optionality and list-ness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FieldType {
    /// What each value is.
    pub base: BaseType,
    /// The field may be absent (`Option`): absent means *missing*, never a sentinel.
    pub optional: bool,
    /// The field holds a list of values (absent = empty list).
    pub list: bool,
}

impl FieldType {
    /// A required, single-valued field of `base`.
    pub const fn of(base: BaseType) -> Self {
        FieldType {
            base,
            optional: false,
            list: false,
        }
    }

    /// How this type reads in the data dictionary (`date`, `enum`, `list of enum`, ...).
    pub fn describe(&self) -> String {
        let base = match self.base {
            BaseType::Scalar { scalar } => scalar.name().to_owned(),
            BaseType::Enum { schema } => format!("enum {}", schema.name),
            BaseType::Record { schema } => format!("record {}", schema.name),
        };
        if self.list {
            format!("list of {base}")
        } else if self.optional {
            format!("optional {base}")
        } else {
            base
        }
    }
}

/// One field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FieldSchema {
    /// The field's JSON name.
    pub name: &'static str,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// What it means (from the data dictionary).
    pub doc: &'static str,
}

/// The schema of the whole chart model: the chart record and the measure parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Schema {
    /// The `Chart` record; every dictionary root is one of its fields.
    pub chart: &'static RecordSchema,
    /// Measure parameters readable beside the chart (`reporting_period`).
    pub parameters: &'static RecordSchema,
}

/// How a path was resolved by [`Schema::resolve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolved {
    /// The type of the last segment.
    pub ty: FieldType,
    /// Whether any segment on the way was a list (so the path names many values).
    pub through_list: bool,
}

impl Schema {
    /// Resolves a dotted dictionary path (`regimens.agents.class`, `reporting_period.start`).
    pub fn resolve(&self, path: &str) -> Option<Resolved> {
        let mut segments = path.split('.');
        let first = segments.next()?;
        let mut field = self
            .chart
            .field(first)
            .or_else(|| self.parameters.field(first))?;
        let mut through_list = false;
        for seg in segments {
            let BaseType::Record { schema } = field.ty.base else {
                return None;
            };
            through_list |= field.ty.list;
            field = schema.field(seg)?;
        }
        Some(Resolved {
            ty: field.ty,
            through_list,
        })
    }

    /// Every leaf path of the model (dotted, lists without brackets), with its type, in declaration order.
    pub fn leaf_paths(&self) -> Vec<(String, FieldType)> {
        let mut out = Vec::new();
        for root in [self.chart, self.parameters] {
            let mut stack: Vec<(String, &'static FieldSchema)> = root
                .fields
                .iter()
                .rev()
                .map(|f| (f.name.to_owned(), f))
                .collect();
            while let Some((path, f)) = stack.pop() {
                match f.ty.base {
                    BaseType::Record { schema } => {
                        for child in schema.fields.iter().rev() {
                            stack.push((format!("{path}.{}", child.name), child));
                        }
                    }
                    _ => out.push((path, f.ty)),
                }
            }
        }
        out
    }
}

/// Types that can describe themselves as a chart field type.
///
/// Implemented by the scalar types, by every `record!` and `enumeration!` type, and lifted
/// through `Option<T>` (optional) and `Vec<T>` (list).
pub trait Describe {
    /// The field type of a value of `Self`.
    const TYPE: FieldType;
}

impl<T: Describe> Describe for Option<T> {
    const TYPE: FieldType = FieldType {
        optional: true,
        ..T::TYPE
    };
}

impl<T: Describe> Describe for Vec<T> {
    const TYPE: FieldType = FieldType {
        list: true,
        ..T::TYPE
    };
}

impl crate::chart::validate::Lists for bool {}

impl Describe for bool {
    const TYPE: FieldType = FieldType::of(BaseType::Scalar {
        scalar: Scalar::Boolean,
    });
}

/// Whether a field's value is omitted when serialising (absent option, empty list).
pub(crate) trait Omit {
    fn omit(&self) -> bool;
}

impl<T> Omit for Option<T> {
    fn omit(&self) -> bool {
        self.is_none()
    }
}

impl<T> Omit for Vec<T> {
    fn omit(&self) -> bool {
        self.is_empty()
    }
}

/// `skip_serializing_if` helper for record fields.
pub(crate) fn omit<T: Omit>(value: &T) -> bool {
    value.omit()
}

/// Strips a raw-identifier prefix (`r#class` → `class`) at compile time.
pub(crate) const fn unraw(name: &'static str) -> &'static str {
    match name.as_bytes() {
        [b'r', b'#', ..] => name.split_at(2).1,
        _ => name,
    }
}

/// Declares a chart record: the struct (serde, `Default`, redacting `Debug`) and its schema.
///
/// Every field must be an `Option<T>` or a `Vec<T>`: the dictionary makes every field optional,
/// and a missing field deserialises as `None` / empty.
macro_rules! record {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[doc = $fdoc:literal])*
                $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields, default)]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[doc = $fdoc])*
                #[serde(skip_serializing_if = "crate::chart::schema::omit")]
                pub $field: $ty,
            )*
        }

        impl $name {
            /// This record's schema.
            pub const SCHEMA: $crate::chart::schema::RecordSchema = $crate::chart::schema::RecordSchema {
                name: stringify!($name),
                fields: &[
                    $(
                        $crate::chart::schema::FieldSchema {
                            name: $crate::chart::schema::unraw(stringify!($field)),
                            ty: <$ty as $crate::chart::schema::Describe>::TYPE,
                            doc: concat!($($fdoc),*),
                        },
                    )*
                ],
            };
        }

        impl $crate::chart::schema::Describe for $name {
            const TYPE: $crate::chart::schema::FieldType = $crate::chart::schema::FieldType::of(
                $crate::chart::schema::BaseType::Record { schema: &Self::SCHEMA },
            );
        }

        /// Setters, one per field and named as it, to build a record in one expression
        /// (see [`crate::chart::ChartBuilder`]): an optional field is set, a list field gets
        /// one more entry.
        impl $name {
            $(
                #[doc = concat!("Sets `", stringify!($field), "` (a list: appends one entry).")]
                #[inline]
                #[must_use]
                pub fn $field(mut self, value: <$ty as $crate::chart::build::Slot>::Item) -> Self {
                    $crate::chart::build::Slot::fill(&mut self.$field, value);
                    self
                }
            )*
        }

        $crate::chart::build::replaced_slot!($name);

        impl $crate::chart::project::Projectable for $name {
            #[inline]
            fn project<'de, D: serde::Deserializer<'de>>(
                d: D,
                node: Option<&$crate::chart::project::Node>,
            ) -> Result<Self, D::Error> {
                $crate::chart::project::project_record::<Self, D>(d, node)
            }
        }

        impl $crate::chart::project::ProjectRecord for $name {
            const RECORD: &'static $crate::chart::schema::RecordSchema = &Self::SCHEMA;
            fn start() -> Self {
                Self::default()
            }
            #[allow(unused_assignments, unused_mut, unused_variables)]
            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                index: usize,
                node: &$crate::chart::project::Node,
                map: &mut A,
            ) -> Result<(), A::Error> {
                let mut i: usize = 0;
                $(
                    if index == i {
                        self.$field = map.next_value_seed(
                            $crate::chart::project::Seed::<$ty>::new(node.child(i)),
                        )?;
                        return Ok(());
                    }
                    // One step per field of the struct.
                    i = i.saturating_add(1);
                )*
                Ok(())
            }
            #[allow(unused_assignments, unused_mut, unused_variables)]
            fn read_element<'de, A: serde::de::SeqAccess<'de>>(
                &mut self,
                index: usize,
                node: &$crate::chart::project::Node,
                seq: &mut A,
            ) -> Result<bool, A::Error> {
                let mut i: usize = 0;
                $(
                    if index == i {
                        return match seq.next_element_seed(
                            $crate::chart::project::Seed::<$ty>::new(node.child(i)),
                        )? {
                            Some(v) => {
                                self.$field = v;
                                Ok(true)
                            }
                            None => Ok(false),
                        };
                    }
                    // One step per field of the struct.
                    i = i.saturating_add(1);
                )*
                Ok(false)
            }
        }

        impl $crate::chart::validate::Lists for $name {
            const HOLDS_LISTS: bool =
                $(<$ty as $crate::chart::validate::Lists>::HOLDS_LISTS ||)* false;
            fn check_lists(
                &self,
                at: Option<&$crate::chart::validate::Segment<'_>>,
                max: usize,
                out: &mut Vec<$crate::chart::Finding>,
            ) {
                $(
                    if <$ty as $crate::chart::validate::Lists>::HOLDS_LISTS {
                        let here = $crate::chart::validate::Segment {
                            name: stringify!($field),
                            index: None,
                            parent: at,
                        };
                        $crate::chart::validate::Lists::check_lists(&self.$field, Some(&here), max, out);
                    }
                )*
            }
        }

        impl std::fmt::Debug for $name {
            /// Redacted: shows which fields are present and list lengths, never values.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut d = f.debug_struct(stringify!($name));
                $(
                    if !$crate::chart::schema::omit(&self.$field) {
                        d.field(
                            $crate::chart::schema::unraw(stringify!($field)),
                            &$crate::chart::redact::Shape(&self.$field),
                        );
                    }
                )*
                d.finish_non_exhaustive()
            }
        }

        impl $crate::chart::redact::DebugShape for $name {
            fn fmt_shape(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self, f)
            }
        }

        impl $crate::chart::reflect::Record for $name {
            #[allow(unused_assignments, unused_mut, unused_variables)]
            fn field_ref(&self, index: u16) -> $crate::chart::reflect::FieldRef<'_> {
                let mut i: u16 = 0;
                $(
                    if index == i {
                        return $crate::chart::reflect::Reflect::reflect(&self.$field);
                    }
                    // One step per field of the struct: far below `u16::MAX`.
                    i = i.saturating_add(1);
                )*
                $crate::chart::reflect::FieldRef::Missing
            }
        }

        impl $crate::chart::reflect::Reflect for $name {
            #[inline]
            fn reflect(&self) -> $crate::chart::reflect::FieldRef<'_> {
                $crate::chart::reflect::FieldRef::Record(self)
            }
        }
    };
}
pub(crate) use record;

/// Declares a closed enumeration of string values: the enum, `as_str`, `FromStr`, serde
/// (errors never echo the rejected value) and its schema.
macro_rules! enumeration {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[doc = $vdoc:literal])*
                $variant:ident = $value:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[doc = $vdoc])*
                $variant,
            )*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The enumeration's schema.
            pub const SCHEMA: $crate::chart::schema::EnumSchema = $crate::chart::schema::EnumSchema {
                name: stringify!($name),
                values: &[$($value),*],
            };

            /// The value's position in [`Self::ALL`] and the schema's `values`.
            pub const fn ordinal(self) -> u16 {
                self as u16
            }

            /// The value as written in chart JSON.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)*
                }
            }

            /// Parses a value as written in chart JSON.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($value => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::chart::types::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or($crate::chart::types::UnknownValue { expected: &Self::SCHEMA })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str($crate::chart::types::EnumVisitor::<$name>::new(&Self::SCHEMA, Self::parse))
            }
        }

        impl $crate::chart::schema::Describe for $name {
            const TYPE: $crate::chart::schema::FieldType = $crate::chart::schema::FieldType::of(
                $crate::chart::schema::BaseType::Enum { schema: &Self::SCHEMA },
            );
        }

        impl $crate::chart::validate::Lists for $name {}

        $crate::chart::project::leaf!($name);

        impl $crate::chart::redact::DebugShape for $name {}

        impl $crate::chart::reflect::Reflect for $name {
            #[inline]
            fn reflect(&self) -> $crate::chart::reflect::FieldRef<'_> {
                $crate::chart::reflect::FieldRef::Enum(&Self::SCHEMA, self.ordinal())
            }
        }
    };
}
pub(crate) use enumeration;
