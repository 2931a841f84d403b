//! Scalar types of the chart model: dates, exact numbers, codes and opaque identifiers.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smol_str::SmolStr;

use super::redact::DebugShape;
use super::schema::{BaseType, Describe, EnumSchema, FieldType, Scalar};

/// Messages our own deserialisers give. They never contain the rejected value, and the
/// ingest layer passes only these (and serde's structural messages) through to users.
pub(crate) mod msg {
    pub(crate) const DATE: &str = "expected a real calendar date written YYYY-MM-DD";
    pub(crate) const NUMBER: &str = "expected a finite decimal number";
    pub(crate) const ID: &str = "expected a non-empty identifier of at most 128 characters";
    pub(crate) const CODE_PART: &str = "expected a non-empty code string of at most 128 characters";
    pub(crate) const ROUND: &str =
        "expected a round id written YYYY-1 or YYYY-2, years 1000 to 9998";
    pub(crate) const ENUM: &str = "unknown value";
    pub(crate) const ALL: &[&str] = &[DATE, NUMBER, ID, CODE_PART, ROUND];
}

/// Maximum length of identifiers and code strings, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// A value that is not one of an enumeration's values (from `FromStr`).
///
/// The rejected text is not kept: it may be patient data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown value for `{}`, expected one of: {}", expected.name, expected.values.join(", "))]
pub struct UnknownValue {
    /// The enumeration that was expected.
    pub expected: &'static EnumSchema,
}

/// Deserialises an enumeration from a string; the error names the expected values only.
pub(crate) struct EnumVisitor<T> {
    schema: &'static EnumSchema,
    parse: fn(&str) -> Option<T>,
    _t: PhantomData<T>,
}

impl<T> EnumVisitor<T> {
    pub(crate) const fn new(schema: &'static EnumSchema, parse: fn(&str) -> Option<T>) -> Self {
        EnumVisitor {
            schema,
            parse,
            _t: PhantomData,
        }
    }
}

impl<T> Visitor<'_> for EnumVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "one of: {}", self.schema.values.join(", "))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).ok_or_else(|| {
            E::custom(format_args!(
                "{}, {}",
                msg::ENUM,
                Expecting(&self.schema.values.join(", "))
            ))
        })
    }
}

struct Expecting<'a>(&'a str);
impl fmt::Display for Expecting<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected one of: {}", self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Date

/// A calendar date (no time, no zone), written `YYYY-MM-DD` in JSON.
///
/// The supported dates are [`Date::MIN`] (0001-01-01) to [`Date::MAX`] (9999-12-31): the
/// dates `YYYY-MM-DD` can write, so every date written is read back. The constructors and
/// the date arithmetic ([`Date::add_days`], [`Date::add_months`]) return `None` outside
/// that range instead of a date no reader accepts.
///
/// Its own `Debug` shows the date (a reporting period is not patient data); inside a chart
/// it is redacted like every other value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NaiveDate);

impl Date {
    /// The date `year-month-day`, if it is a real calendar date in the supported range.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        NaiveDate::from_ymd_opt(year, month, day).and_then(Date::checked)
    }

    /// The earliest supported date (0001-01-01).
    pub const MIN: Date = match NaiveDate::from_ymd_opt(1, 1, 1) {
        Some(d) => Date(d),
        None => panic!("0001-01-01 is a date"),
    };

    /// The latest supported date (9999-12-31): the last a four-digit year can write.
    pub const MAX: Date = match NaiveDate::from_ymd_opt(9999, 12, 31) {
        Some(d) => Date(d),
        None => panic!("9999-12-31 is a date"),
    };

    /// `d` as a date, if it is in the supported range.
    fn checked(d: NaiveDate) -> Option<Date> {
        (Date::MIN.0..=Date::MAX.0).contains(&d).then_some(Date(d))
    }

    /// Whether the date is in the supported range (only a date made with
    /// `From<NaiveDate>` can be outside it; such a date is refused when written).
    pub fn is_supported(self) -> bool {
        (Date::MIN..=Date::MAX).contains(&self)
    }

    /// The underlying `chrono` date.
    pub const fn naive(self) -> NaiveDate {
        self.0
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// Month (1–12).
    pub fn month(self) -> u32 {
        self.0.month()
    }

    /// Day of month (1–31).
    pub fn day(self) -> u32 {
        self.0.day()
    }

    /// Parses exactly `YYYY-MM-DD` (four-digit year 0001–9999) into a real calendar date.
    pub fn parse(s: &str) -> Option<Date> {
        let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = s.as_bytes() else {
            return None;
        };
        // At most four decimal digits: the value never passes 9999.
        let digits = |ds: &[u8]| -> Option<u32> {
            ds.iter().try_fold(0u32, |acc, &c| {
                acc.checked_mul(10)?
                    .checked_add(char::from(c).to_digit(10)?)
            })
        };
        let year = digits(&[y0, y1, y2, y3])?;
        let month = digits(&[m0, m1])?;
        let day = digits(&[d0, d1])?;
        if year == 0 {
            return None;
        }
        Date::from_ymd(i32::try_from(year).ok()?, month, day)
    }

    /// Adds whole days (negative to go back); `None` outside the supported range.
    pub fn add_days(self, days: i64) -> Option<Date> {
        self.0
            .checked_add_signed(chrono::TimeDelta::try_days(days)?)
            .and_then(Date::checked)
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.0.signed_duration_since(self.0).num_days()
    }

    /// Adds calendar months (negative to go back), clamping to the month's last day
    /// (31 January + 1 month = 28 or 29 February); `None` outside the supported range.
    pub fn add_months(self, months: i64) -> Option<Date> {
        let n = u32::try_from(months.unsigned_abs()).ok()?;
        let m = chrono::Months::new(n);
        if months >= 0 {
            self.0.checked_add_months(m)
        } else {
            self.0.checked_sub_months(m)
        }
        .and_then(Date::checked)
    }

    /// Whole years from `self` to `later` (an age): the birthday counts on its date, and a
    /// 29 February birthday is reached on 1 March in common years.
    pub fn whole_years_until(self, later: Date) -> i64 {
        let (a, b) = (self.0, later.0);
        // Two `i32` years widened to `i64`: neither step can saturate.
        let years = i64::from(b.year()).saturating_sub(i64::from(a.year()));
        if (b.month(), b.day()) < (a.month(), a.day()) {
            years.saturating_sub(1)
        } else {
            years
        }
    }
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Error of [`Date::from_str`]; the rejected text is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid date: {}", msg::DATE)]
pub struct InvalidDate;

impl FromStr for Date {
    type Err = InvalidDate;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s).ok_or(InvalidDate)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        if !(1..=9999).contains(&y) {
            // No reader accepts it: refused rather than written.
            return Err(serde::ser::Error::custom(
                "a date outside 0001-01-01..9999-12-31 cannot be written",
            ));
        }
        let y = y.unsigned_abs();
        #[allow(
            clippy::arithmetic_side_effects,
            reason = "`v % 10` is below 10: the sum is an ASCII digit"
        )]
        let digit = |v: u32| b'0' + (v % 10) as u8;
        // The year is 1..=9999, the month 1..=12 and the day 1..=31: two digits each suffice
        // for the month and day, four for the year.
        let buf = [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ];
        // The buffer holds ASCII digits and dashes only.
        match std::str::from_utf8(&buf) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.collect_str(self),
        }
    }
}

struct DateVisitor;
impl Visitor<'_> for DateVisitor {
    type Value = Date;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date written YYYY-MM-DD")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
        Date::parse(v).ok_or_else(|| E::custom(msg::DATE))
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(DateVisitor)
    }
}

impl super::validate::Lists for Date {}

impl Describe for Date {
    const TYPE: FieldType = FieldType::of(BaseType::Scalar {
        scalar: Scalar::Date,
    });
}
impl DebugShape for Date {}

// ---------------------------------------------------------------------------------------------
// Number

/// An exact decimal number (scores, lab values, counts).
///
/// JSON numbers are read through their shortest decimal text, so `4.25` is exactly 4.25;
/// a number written as a string is refused. Written back as a JSON number, so a chart
/// read from JSON survives `to_json → from_json` unchanged.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Number(Decimal);

impl Number {
    /// The exact value.
    pub const fn value(self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for Number {
    fn from(d: Decimal) -> Self {
        Number(d)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number(Decimal::from(v))
    }
}

impl From<u32> for Number {
    fn from(v: u32) -> Self {
        Number(Decimal::from(v))
    }
}

/// So that an integer literal converts (`4.into()`), as in a chart built in Rust.
impl From<i32> for Number {
    fn from(v: i32) -> Self {
        Number(Decimal::from(v))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Error of [`Number::from_str`]; the rejected text is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid number: {}", msg::NUMBER)]
pub struct InvalidNumber;

impl FromStr for Number {
    type Err = InvalidNumber;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s).map(Number).ok_or(InvalidNumber)
    }
}

fn parse_decimal(s: &str) -> Option<Decimal> {
    Decimal::from_str_exact(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
}

impl Serialize for Number {
    /// Always a JSON number (charts take numbers only as numbers): an integer exactly, else
    /// the nearest `f64`, which is the number exactly for every number read from JSON.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0.normalize();
        if d.scale() == 0 {
            if let Ok(i) = i64::try_from(d) {
                return s.serialize_i64(i);
            }
            if let Ok(u) = u64::try_from(d) {
                return s.serialize_u64(u);
            }
        }
        match d.to_string().parse::<f64>() {
            Ok(f) if f.is_finite() => s.serialize_f64(f),
            _ => Err(serde::ser::Error::custom(msg::NUMBER)),
        }
    }
}

struct NumberVisitor;
impl Visitor<'_> for NumberVisitor {
    type Value = Number;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        Ok(Number(Decimal::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        Ok(Number(Decimal::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        if !v.is_finite() {
            return Err(E::custom(msg::NUMBER));
        }
        // `f64`'s Display is the shortest text that reads back as the same f64: the number
        // as it was written in the JSON (up to 17 significant digits).
        let mut buf = String::with_capacity(24);
        use std::fmt::Write as _;
        let _ = write!(buf, "{v}");
        parse_decimal(&buf)
            .map(Number)
            .ok_or_else(|| E::custom(msg::NUMBER))
    }
    // No `visit_str`: a number written as a string (`"5"`, `"5e3"`, `"1_000"`, `"+5"`) is
    // refused as the wrong type; numbers must be JSON numbers.
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberVisitor)
    }
}

impl super::validate::Lists for Number {}

impl Describe for Number {
    const TYPE: FieldType = FieldType::of(BaseType::Scalar {
        scalar: Scalar::Number,
    });
}
impl DebugShape for Number {}

// ---------------------------------------------------------------------------------------------
// Bounded strings: identifiers and code parts

struct BoundedStr(&'static str);
impl Visitor<'_> for BoundedStr {
    type Value = SmolStr;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<SmolStr, E> {
        if v.is_empty() || v.len() > MAX_ID_LEN {
            Err(E::custom(self.0))
        } else {
            Ok(SmolStr::new(v))
        }
    }
}

/// A code from a code system (ICD-10-CM, ICD-O-3, SNOMED CT, LOINC, RxNorm, CPT/HCPCS, ...).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code {
    /// The code system (a short name such as `ICD-O-3` or a URI).
    pub system: SmolStr,
    /// The code within the system.
    pub code: SmolStr,
}

impl Code {
    /// A code `code` of `system`.
    pub fn new(system: impl Into<SmolStr>, code: impl Into<SmolStr>) -> Self {
        Code {
            system: system.into(),
            code: code.into(),
        }
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Code", 2)?;
        st.serialize_field("system", self.system.as_str())?;
        st.serialize_field("code", self.code.as_str())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Part(SmolStr);
        impl<'de> Deserialize<'de> for Part {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(BoundedStr(msg::CODE_PART)).map(Part)
            }
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            system: Part,
            code: Part,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Code {
            system: raw.system.0,
            code: raw.code.0,
        })
    }
}

impl super::validate::Lists for Code {}

impl Describe for Code {
    const TYPE: FieldType = FieldType::of(BaseType::Scalar {
        scalar: Scalar::Code,
    });
}
impl DebugShape for Code {}

/// An identifier that is empty or longer than [`MAX_ID_LEN`] bytes (the text is not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid identifier: {}", msg::ID)]
#[non_exhaustive]
pub struct InvalidId;

macro_rules! opaque_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// Opaque: `Debug` never shows the value; call [`Self::as_str`] to read it.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(SmolStr);

        impl $name {
            /// Wraps an identifier; `None` when it is empty or longer than 128 bytes.
            pub fn new(id: &str) -> Option<Self> {
                (!id.is_empty() && id.len() <= MAX_ID_LEN).then(|| $name(SmolStr::new(id)))
            }

            /// An identifier the crate built itself (non-empty, at most 128 bytes by construction).
            #[allow(dead_code)]
            pub(crate) fn generated(id: &str) -> Self {
                debug_assert!(!id.is_empty() && id.len() <= MAX_ID_LEN);
                $name(SmolStr::new(id))
            }

            /// The identifier's text (an explicit opt-in to see it).
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            /// As [`Self::new`], with an error that never echoes the text.
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                $name::new(s).ok_or(InvalidId)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(BoundedStr(msg::ID)).map($name)
            }
        }

        impl Describe for $name {
            const TYPE: FieldType = FieldType::of(BaseType::Scalar { scalar: Scalar::Id });
        }
        impl super::validate::Lists for $name {}
        impl DebugShape for $name {}
        impl super::reflect::Reflect for $name {
            #[inline]
            fn reflect(&self) -> super::reflect::FieldRef<'_> {
                super::reflect::FieldRef::Str(&self.0)
            }
        }
    };
}

opaque_id!(
    /// Identifier of a chart (one patient's abstraction in one round).
    ChartId
);
opaque_id!(
    /// Identifier of a practice.
    PracticeId
);
opaque_id!(
    /// Identifier of a cancer diagnosis within a chart.
    DiagnosisId
);
opaque_id!(
    /// Identifier of a systemic therapy regimen within a chart.
    RegimenId
);

#[cfg(test)]
mod date_range_tests {
    use super::*;

    #[test]
    fn date_arithmetic_never_leaves_the_dates_yyyy_mm_dd_can_write() {
        assert_eq!(Date::MAX.to_string(), "9999-12-31");
        assert_eq!(Date::MAX.add_days(1), None);
        assert_eq!(Date::MAX.add_months(1), None);
        assert_eq!(Date::MIN.add_days(-1), None);
        assert_eq!(Date::MIN.add_months(-1), None);
        assert_eq!(Date::from_ymd(10000, 1, 1), None);
        assert_eq!(Date::from_ymd(0, 12, 31), None);
        assert_eq!(Date::from_ymd(-5, 1, 1), None);
        let late = Date::from_ymd(9999, 11, 30).unwrap();
        assert_eq!(late.add_months(1), Date::from_ymd(9999, 12, 30));
        assert_eq!(late.add_months(2), None);
        assert_eq!(late.add_days(i64::MAX), None);
        assert_eq!(Date::parse("9999-12-31"), Some(Date::MAX));
        assert_eq!(Date::parse("0001-01-01"), Some(Date::MIN));
        // A date built from chrono past the range is refused when written, never written
        // in a form no reader accepts.
        let past = Date::from(NaiveDate::from_ymd_opt(10000, 1, 1).unwrap());
        assert!(!past.is_supported());
        assert!(serde_json::to_string(&past).is_err());
        assert!(Date::MAX.is_supported() && Date::MIN.is_supported());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_real_calendar_days() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2100-02-29").is_none());
        assert!(Date::parse("2000-02-29").is_some());
        assert!(Date::parse("2026-00-10").is_none());
        assert!(Date::parse("2026-01-00").is_none());
        assert!(Date::parse("2026-01-1x").is_none());
        assert!(Date::parse(" 2026-01-10").is_none());
        assert_eq!(Date::parse("0001-01-01"), Some(Date::MIN));
    }

    #[test]
    fn dates_serialise_as_written() {
        let d = Date::parse("0987-03-04").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"0987-03-04\"");
        assert_eq!(d.to_string(), "0987-03-04");
    }

    #[test]
    fn ids_are_opaque_in_debug() {
        let id = ChartId::new("secret-42").unwrap();
        assert_eq!(format!("{id:?}"), "ChartId(<redacted>)");
        assert_eq!(id.as_str(), "secret-42");
        assert!(ChartId::new("").is_none());
        assert!(ChartId::new(&"x".repeat(129)).is_none());
    }

    #[test]
    fn numbers_keep_their_decimal_text() {
        let n: Number = serde_json::from_str("0.30000000000000004").unwrap();
        assert_eq!(n.to_string(), "0.30000000000000004");
        let n: Number = serde_json::from_str("1e-7").unwrap();
        assert_eq!(n.to_string(), "0.0000001");
        assert!(serde_json::from_str::<Number>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Number>("1e400").is_err());
    }
}
