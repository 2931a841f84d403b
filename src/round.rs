//! Data-collection rounds (`YYYY-1`, `YYYY-2`) and the calendar of their reporting periods.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::chart::Date;
use crate::chart::redact::DebugShape;
use crate::chart::schema::{BaseType, Describe, FieldType, Scalar};
use crate::chart::types::msg;

/// A data-collection round: `YYYY-1` (first half of the year) or `YYYY-2` (second half).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoundId {
    year: u16,
    half: u8,
}

impl RoundId {
    /// The round `year-half`; `None` unless `half` is 1 or 2 and `year` is 1000–9999.
    pub fn new(year: u16, half: u8) -> Option<RoundId> {
        ((1000..=9999).contains(&year) && (half == 1 || half == 2))
            .then_some(RoundId { year, half })
    }

    /// A round the crate names itself; `year` must be 1000–9999 and `half` 1 or 2.
    #[allow(dead_code)]
    pub(crate) const fn known(year: u16, half: u8) -> RoundId {
        RoundId { year, half }
    }

    /// The round's year.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// 1 or 2.
    pub const fn half(self) -> u8 {
        self.half
    }

    /// The round after this one.
    pub fn next(self) -> Option<RoundId> {
        if self.half == 1 {
            RoundId::new(self.year, 2)
        } else {
            RoundId::new(self.year.checked_add(1)?, 1)
        }
    }

    /// The round before this one.
    pub fn previous(self) -> Option<RoundId> {
        if self.half == 2 {
            RoundId::new(self.year, 1)
        } else {
            RoundId::new(self.year.checked_sub(1)?, 2)
        }
    }

    /// The default reporting period: 1 Jan–30 Jun for `YYYY-1`, 1 Jul–31 Dec for `YYYY-2`.
    pub fn default_period(self) -> Period {
        let y = i32::from(self.year);
        let (start, end) = if self.half == 1 {
            ((1, 1), (6, 30))
        } else {
            ((7, 1), (12, 31))
        };
        // Both dates exist in every year 1000–9999.
        Period {
            start: Date::from_ymd(y, start.0, start.1).unwrap_or(Date::MIN),
            end: Date::from_ymd(y, end.0, end.1).unwrap_or(Date::MIN),
        }
    }
}

impl fmt::Display for RoundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{}", self.year, self.half)
    }
}

impl fmt::Debug for RoundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A malformed round id; the rejected text is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid round id: {}", msg::ROUND)]
pub struct InvalidRound;

impl FromStr for RoundId {
    type Err = InvalidRound;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 6 || b[4] != b'-' || !b[..4].iter().all(u8::is_ascii_digit) {
            return Err(InvalidRound);
        }
        let year = b[..4]
            .iter()
            .fold(0u16, |acc, &c| acc * 10 + u16::from(c - b'0'));
        let half = match b[5] {
            b'1' => 1,
            b'2' => 2,
            _ => return Err(InvalidRound),
        };
        RoundId::new(year, half).ok_or(InvalidRound)
    }
}

impl Serialize for RoundId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RoundId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RoundId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a round id")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RoundId, E> {
                v.parse().map_err(|_| E::custom(msg::ROUND))
            }
        }
        d.deserialize_str(V)
    }
}

impl Describe for RoundId {
    const TYPE: FieldType = FieldType::of(BaseType::Scalar {
        scalar: Scalar::Round,
    });
}
impl DebugShape for RoundId {}

/// An inclusive date interval `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day, inclusive.
    pub start: Date,
    /// Last day, inclusive.
    pub end: Date,
}

impl Period {
    /// The period `[start, end]`; `None` when `end` is before `start`.
    pub fn new(start: Date, end: Date) -> Option<Period> {
        (start <= end).then_some(Period { start, end })
    }

    /// Whether `date` lies inside the period (both ends included).
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl FromStr for Period {
    type Err = CalendarError;
    /// Parses `START..END` (both `YYYY-MM-DD`, inclusive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s.split_once("..").ok_or(CalendarError::PeriodSyntax)?;
        let start = Date::parse(a.trim()).ok_or(CalendarError::PeriodSyntax)?;
        let end = Date::parse(b.trim()).ok_or(CalendarError::PeriodSyntax)?;
        Period::new(start, end).ok_or(CalendarError::EndBeforeStart { round: None })
    }
}

/// Errors reading a round calendar or a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The calendar file is not valid JSON of the expected shape.
    #[error("invalid round calendar at `{path}` (line {line}, column {column}): {message}")]
    Format {
        /// Field path inside the file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A period's end is before its start.
    #[error("period ends before it starts{}", round.map(|r| format!(" (round `{r}`)")).unwrap_or_default())]
    EndBeforeStart {
        /// The round whose period is wrong, if any.
        round: Option<RoundId>,
    },
    /// A period string is not `START..END`.
    #[error("invalid period: expected `YYYY-MM-DD..YYYY-MM-DD`")]
    PeriodSyntax,
}

/// The reporting period of each round: the defaults, with overrides.
///
/// The default periods are 1 Jan–30 Jun (`YYYY-1`) and 1 Jul–31 Dec (`YYYY-2`). A calendar
/// file overrides some rounds: a JSON object from round id to `{ "start", "end" }`:
///
/// ```
/// use oncoqual::{RoundCalendar, RoundId};
/// let cal = RoundCalendar::from_json(r#"{"2026-1": {"start": "2025-10-01", "end": "2026-03-31"}}"#).unwrap();
/// let r: RoundId = "2026-1".parse().unwrap();
/// assert_eq!(cal.period(r).to_string(), "2025-10-01..2026-03-31");
/// assert_eq!(cal.period(r.next().unwrap()).to_string(), "2026-07-01..2026-12-31");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoundCalendar {
    overrides: BTreeMap<RoundId, Period>,
}

impl RoundCalendar {
    /// The default calendar (no overrides).
    pub fn new() -> Self {
        Self::default()
    }

    /// Overrides the period of `round`.
    pub fn set(&mut self, round: RoundId, period: Period) {
        self.overrides.insert(round, period);
    }

    /// The reporting period of `round`.
    pub fn period(&self, round: RoundId) -> Period {
        self.overrides
            .get(&round)
            .copied()
            .unwrap_or_else(|| round.default_period())
    }

    /// Reads a calendar file's overrides (see the type's docs for the format).
    pub fn from_json(text: &str) -> Result<Self, CalendarError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: BTreeMap<RoundId, Period> = serde_path_to_error::deserialize(de).map_err(|e| {
            // Calendar files hold no patient data: every key may be shown.
            let path = crate::io::field_path(e.path(), |_| true);
            let inner = e.into_inner();
            CalendarError::Format {
                path,
                line: inner.line(),
                column: inner.column(),
                message: crate::io::safe_message(&inner),
            }
        })?;
        let mut cal = RoundCalendar::new();
        for (round, period) in raw {
            if period.end < period.start {
                return Err(CalendarError::EndBeforeStart { round: Some(round) });
            }
            cal.set(round, period);
        }
        Ok(cal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_ids_parse_only_in_the_documented_form() {
        for ok in ["2026-1", "2026-2", "1999-2"] {
            assert_eq!(
                ok.parse::<RoundId>().map(|r| r.to_string()),
                Ok(ok.to_owned())
            );
        }
        for bad in [
            "2026-3",
            "2026-0",
            "2026-01",
            "26-1",
            "2026_1",
            "",
            "2026-",
            "abcd-1",
            "0999-1",
            "२०२६-1",
        ] {
            assert_eq!(bad.parse::<RoundId>(), Err(InvalidRound), "{bad}");
        }
    }

    #[test]
    fn default_periods_are_the_two_halves_of_the_year() {
        let r: RoundId = "2028-1".parse().unwrap();
        assert_eq!(r.default_period().to_string(), "2028-01-01..2028-06-30");
        assert_eq!(
            r.next().unwrap().default_period().to_string(),
            "2028-07-01..2028-12-31"
        );
        assert_eq!(r.next().unwrap().next().unwrap().to_string(), "2029-1");
        assert_eq!(r.previous().unwrap().to_string(), "2027-2");
    }

    #[test]
    fn rounds_order_chronologically() {
        let a: RoundId = "2026-2".parse().unwrap();
        let b: RoundId = "2027-1".parse().unwrap();
        assert!(a < b);
    }

    #[test]
    fn calendar_files_override_rounds_and_reject_bad_entries() {
        let cal =
            RoundCalendar::from_json(r#"{"2026-2": {"start": "2026-06-01", "end": "2026-11-30"}}"#)
                .unwrap();
        let r: RoundId = "2026-2".parse().unwrap();
        assert_eq!(cal.period(r).to_string(), "2026-06-01..2026-11-30");
        let err =
            RoundCalendar::from_json(r#"{"2026-3": {"start": "2026-06-01", "end": "2026-11-30"}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("round id"), "{err}");
        let err =
            RoundCalendar::from_json(r#"{"2026-1": {"start": "2026-06-01", "end": "2026-05-30"}}"#)
                .unwrap_err();
        assert_eq!(
            err,
            CalendarError::EndBeforeStart {
                round: Some("2026-1".parse().unwrap())
            }
        );
        let err = RoundCalendar::from_json(
            r#"{"2026-1": {"start": "2026-06-01", "ende": "2026-05-30"}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(err, CalendarError::Format { ref path, .. } if path == "2026-1.ende"),
            "{err}"
        );
    }

    #[test]
    fn periods_parse_from_start_dot_dot_end() {
        let p: Period = "2026-01-01..2026-03-31".parse().unwrap();
        assert!(p.contains(Date::from_ymd(2026, 3, 31).unwrap()));
        assert!(!p.contains(Date::from_ymd(2026, 4, 1).unwrap()));
        assert!("2026-03-31..2026-01-01".parse::<Period>().is_err());
        assert!("2026-01-01".parse::<Period>().is_err());
    }
}
