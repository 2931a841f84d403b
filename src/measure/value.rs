//! Runtime values of the evaluator, and the read trait through which compiled field
//! accessors read chart records without any name lookup (over the chart's own reflection,
//! [`crate::chart::reflect`]).

use std::fmt;

use rust_decimal::Decimal;

use crate::chart::reflect::{self, FieldRef};
use crate::chart::schema::EnumSchema;
use crate::chart::{Code, Date};
use crate::dsl::ast::Unit;

/// A value during evaluation; `'a` borrows the chart, the compiled library and the
/// evaluation's arena (computed lists live there), so values are plain copies.
#[derive(Clone, Copy)]
pub(crate) enum Value<'a> {
    /// Missing (an absent field) or unknown (a comparison with a missing operand).
    Missing,
    Bool(bool),
    Num(Decimal),
    Date(Date),
    /// Text or an opaque identifier.
    Str(&'a str),
    Code(&'a Code),
    Enum(&'static EnumSchema, u16),
    Duration(i64, Unit),
    Period(Date, Date),
    Record(&'a dyn reflect::Record),
    List(List<'a>),
}

/// A list value: a chart list borrowed as is, or a computed one (in the evaluation's arena).
#[derive(Clone, Copy)]
pub(crate) enum List<'a> {
    Seq(&'a dyn reflect::Seq),
    Vals(&'a [Value<'a>]),
}

impl<'a> List<'a> {
    pub(crate) fn len(&self) -> usize {
        match self {
            List::Seq(s) => s.len(),
            List::Vals(v) => v.len(),
        }
    }

    pub(crate) fn get(&self, i: usize) -> Value<'a> {
        match self {
            List::Seq(s) => Value::from(s.item_ref(i)),
            List::Vals(v) => v.get(i).copied().unwrap_or(Value::Missing),
        }
    }
}

/// How the evaluator reads a chart record: the chart's own reflection
/// ([`crate::chart::reflect`]), each field converted into a [`Value`].
pub(crate) trait Record {
    /// The value of field `index`; `Missing` for an absent field or an index out of range.
    fn field(&self, index: u16) -> Value<'_>;
}

impl<T: reflect::Record + ?Sized> Record for T {
    #[inline]
    fn field(&self, index: u16) -> Value<'_> {
        Value::from(self.field_ref(index))
    }
}

impl<'a> From<FieldRef<'a>> for Value<'a> {
    #[inline]
    fn from(field: FieldRef<'a>) -> Self {
        match field {
            FieldRef::Missing => Value::Missing,
            FieldRef::Bool(b) => Value::Bool(b),
            FieldRef::Num(n) => Value::Num(n),
            FieldRef::Date(d) => Value::Date(d),
            FieldRef::Str(s) => Value::Str(s),
            FieldRef::Code(c) => Value::Code(c),
            FieldRef::Enum(schema, i) => Value::Enum(schema, i),
            FieldRef::Record(r) => Value::Record(r),
            FieldRef::Seq(s) => Value::List(List::Seq(s)),
        }
    }
}

impl<'a> Value<'a> {
    /// The Kleene truth value: `Some(b)` for a boolean, `None` for missing/unknown.
    pub(crate) fn truth(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub(crate) fn is_missing(&self) -> bool {
        match self {
            Value::Missing => true,
            Value::List(l) => l.len() == 0,
            _ => false,
        }
    }

    pub(crate) fn from_truth(t: Option<bool>) -> Self {
        t.map_or(Value::Missing, Value::Bool)
    }
}

/// Shows a value for a trace: the explicit opt-in to see patient values.
pub(crate) struct Shown<'v, 'a>(pub(crate) &'v Value<'a>);

impl fmt::Display for Shown<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Missing => f.write_str("missing"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(n) => write!(f, "{}", n.normalize()),
            Value::Date(d) => write!(f, "{d}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Code(c) => write!(f, "{}|{}", c.system, c.code),
            Value::Enum(schema, i) => {
                f.write_str(schema.values.get(usize::from(*i)).copied().unwrap_or("?"))
            }
            Value::Duration(n, u) => write!(f, "{n} {}", unit_name(*u)),
            Value::Period(a, b) => write!(f, "{a}..{b}"),
            Value::Record(_) => f.write_str("(record)"),
            Value::List(l) => {
                let n = l.len();
                let scalar = n > 0 && !matches!(l.get(0), Value::Record(_));
                if scalar && n <= 6 {
                    f.write_str("[")?;
                    for i in 0..n {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{}", Shown(&l.get(i)))?;
                    }
                    f.write_str("]")
                } else {
                    write!(f, "{n} {}", if n == 1 { "entry" } else { "entries" })
                }
            }
        }
    }
}

pub(crate) fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Days => "days",
        Unit::Weeks => "weeks",
        Unit::Months => "months",
        Unit::Years => "years",
    }
}
