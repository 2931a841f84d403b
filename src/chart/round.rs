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
    /// The earliest year of a round.
    pub const MIN_YEAR: u16 = 1000;
    /// The latest year of a round: every date of a round's default schedule (its period,
    /// its submission window two months into the next year, the report date after it) is
    /// then a supported [`Date`] (at most 9999-12-31). Round `9999-2` would be reported on
    /// 10000-01-01, a date `YYYY-MM-DD` cannot write.
    pub const MAX_YEAR: u16 = 9998;

    /// The round `year-half`; `None` unless `half` is 1 or 2 and `year` is
    /// [`RoundId::MIN_YEAR`]–[`RoundId::MAX_YEAR`] (1000–9998).
    pub fn new(year: u16, half: u8) -> Option<RoundId> {
        ((RoundId::MIN_YEAR..=RoundId::MAX_YEAR).contains(&year) && (half == 1 || half == 2))
            .then_some(RoundId { year, half })
    }

    /// A round the crate names itself; `year` must be 1000–9998 and `half` 1 or 2.
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
        // Both dates exist in every year 1000–9998.
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
        let &[y0, y1, y2, y3, b'-', h] = s.as_bytes() else {
            return Err(InvalidRound);
        };
        // Four decimal digits: the value never passes 9999.
        let year = [y0, y1, y2, y3]
            .iter()
            .try_fold(0u16, |acc, &c| {
                let d = u16::try_from(char::from(c).to_digit(10)?).ok()?;
                acc.checked_mul(10)?.checked_add(d)
            })
            .ok_or(InvalidRound)?;
        let half = match h {
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

impl crate::chart::validate::Lists for RoundId {}

/// The round is the chart's key, not a value the measures read (they read the reporting
/// period): through the reflection it is missing.
impl crate::chart::reflect::Reflect for RoundId {
    #[inline]
    fn reflect(&self) -> crate::chart::reflect::FieldRef<'_> {
        crate::chart::reflect::FieldRef::Missing
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
    /// A round gives one end of its reporting period without the other.
    #[error("round `{round}` gives `{given}` without `{missing}`")]
    #[non_exhaustive]
    HalfPeriod {
        /// The round.
        round: RoundId,
        /// The field given (`start` or `end`).
        given: &'static str,
        /// The field missing.
        missing: &'static str,
    },
    /// A round's default submission window would end after 9999-12-31, the last date
    /// that can be written.
    #[error(
        "round `{round}`: its default submission window would end after 9999-12-31 (the last supported date); give `opens` and `closes`"
    )]
    #[non_exhaustive]
    WindowPastSupportedDates {
        /// The round.
        round: RoundId,
    },
    /// The submission window closes before it opens.
    #[error("round `{round}` closes ({closes}) before it opens ({opens})")]
    #[non_exhaustive]
    ClosesBeforeOpens {
        /// The round.
        round: RoundId,
        /// First day of the submission window.
        opens: Date,
        /// Last day of the submission window.
        closes: Date,
    },
    /// A round's submission window opens before its reporting period starts.
    #[error(
        "round `{round}` opens for submissions ({opens}) before its reporting period starts ({start})"
    )]
    #[non_exhaustive]
    OpensBeforePeriod {
        /// The round.
        round: RoundId,
        /// First day of the submission window.
        opens: Date,
        /// First day of the reporting period.
        start: Date,
    },
    /// A round sets a minimum number of charts to 0.
    #[error("round `{round}` sets `{field}` to 0; a minimum is at least 1")]
    #[non_exhaustive]
    ZeroMinimum {
        /// The round.
        round: RoundId,
        /// `min_charts_completed` or `min_unique_charts`.
        field: &'static str,
    },
    /// A round lists a reminder 0 days before closing (the closing-day notice is always sent).
    #[error(
        "round `{round}` lists 0 in `reminder_days`; reminders are at least 1 day before closing (the closing day has its own notice)"
    )]
    #[non_exhaustive]
    ZeroReminder {
        /// The round.
        round: RoundId,
    },
    /// A round lists a notice dated after its submission window closes.
    #[error("round `{round}` lists a notice on {on}, after the round closes ({closes})")]
    #[non_exhaustive]
    NoticeAfterClose {
        /// The round.
        round: RoundId,
        /// The notice's date.
        on: Date,
        /// Last day of the submission window.
        closes: Date,
    },
}

/// What a dated announcement listed in a rounds file is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoticeKind {
    /// A training session (a webinar on abstraction, say).
    Training,
    /// New or updated materials (abstraction guides, measure specifications).
    Materials,
    /// Any other announcement.
    Announcement,
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoticeKind::Training => "training",
            NoticeKind::Materials => "materials",
            NoticeKind::Announcement => "announcement",
        })
    }
}

/// A dated announcement of a round, listed in the rounds file (`notices`):
/// `{"on": "2026-06-15", "kind": "training", "text": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Notice {
    /// The day it is due.
    pub on: Date,
    /// What it is about.
    pub kind: NoticeKind,
    /// What it says.
    pub text: String,
}

impl Notice {
    /// The notice `text` of `kind`, due on `on`.
    pub fn new(on: Date, kind: NoticeKind, text: impl Into<String>) -> Notice {
        Notice {
            on,
            kind,
            text: text.into(),
        }
    }
}

/// A round's whole program schedule: the rounds file's entry merged with the defaults.
///
/// | field | meaning | default |
/// |---|---|---|
/// | `period` | reporting (look-back) period | [`RoundId::default_period`]: 1 Jan–30 Jun or 1 Jul–31 Dec |
/// | `opens` | first day of the submission window | the day after the period ends |
/// | `closes` | last day of the submission window | the last day of the second month after the period ends |
/// | `min_charts_completed` | charts that complete the round for the course credit | [`RoundSchedule::DEFAULT_MIN_CHARTS_COMPLETED`] (30) |
/// | `min_unique_charts` | unique charts for certification eligibility | [`RoundSchedule::DEFAULT_MIN_UNIQUE_CHARTS`] (100) |
/// | `reminder_days` | days before `closes` with a "closes in N days" notice | [`RoundSchedule::DEFAULT_REMINDER_DAYS`] (14, 7, 1) |
/// | `notices` | dated announcements | none |
///
/// So round `2026-1` reports on 2026-01-01..2026-06-30 and takes submissions
/// 2026-07-01..2026-08-31; round `2026-2` reports on 2026-07-01..2026-12-31 and takes
/// submissions 2027-01-01..2027-02-28 (2028-02-29 for round `2027-2`). The window defaults
/// follow the period, overridden or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RoundSchedule {
    /// The round.
    pub round: RoundId,
    /// The reporting (look-back) period.
    pub period: Period,
    /// First day of the data-collection submission window.
    pub opens: Date,
    /// Last day of the submission window (inclusive).
    pub closes: Date,
    /// Charts that complete the round for the course credit.
    pub min_charts_completed: u64,
    /// Minimum unique charts for certification eligibility.
    pub min_unique_charts: u64,
    /// Days before `closes` on which a "closes in N days" notice is due (largest first).
    pub reminder_days: Vec<u32>,
    /// Dated announcements, in date order.
    pub notices: Vec<Notice>,
}

impl RoundSchedule {
    /// Default charts that complete a round for the course credit.
    pub const DEFAULT_MIN_CHARTS_COMPLETED: u64 = 30;
    /// Default minimum unique charts for certification eligibility.
    pub const DEFAULT_MIN_UNIQUE_CHARTS: u64 = 100;
    /// Default reminder days: 14, 7 and 1 day before the window closes.
    pub const DEFAULT_REMINDER_DAYS: &'static [u32] = &[14, 7, 1];

    /// The default schedule of `round` (see the type's docs).
    pub fn default_for(round: RoundId) -> RoundSchedule {
        RoundSchedule::with_period(round, round.default_period())
    }

    /// The defaults of `round` around the reporting period `period`.
    fn with_period(round: RoundId, period: Period) -> RoundSchedule {
        let window = RoundSchedule::default_window(period);
        RoundSchedule {
            round,
            period,
            opens: window.start,
            closes: window.end,
            min_charts_completed: RoundSchedule::DEFAULT_MIN_CHARTS_COMPLETED,
            min_unique_charts: RoundSchedule::DEFAULT_MIN_UNIQUE_CHARTS,
            reminder_days: RoundSchedule::DEFAULT_REMINDER_DAYS.to_vec(),
            notices: Vec::new(),
        }
    }

    /// The default submission window after the reporting period `period`: from the day after
    /// it ends to the last day of the second month after it ends. A period ending in the
    /// last two months before [`Date::MAX`] has no such window (a rounds file must then give
    /// `opens` and `closes`); its last day stands for it here.
    pub fn default_window(period: Period) -> Period {
        RoundSchedule::window_after(period).unwrap_or_else(|| {
            let end = period.end;
            Period { start: end, end }
        })
    }

    /// The default submission window after `period`, or `None` when it would end after
    /// [`Date::MAX`].
    fn window_after(period: Period) -> Option<Period> {
        let end = period.end;
        let opens = end.add_days(1)?;
        let closes = Date::from_ymd(end.year(), end.month(), 1)?
            .add_months(3)?
            .add_days(-1)?;
        Some(Period {
            start: opens,
            end: closes.max(opens),
        })
    }

    /// The submission window `opens..closes`.
    pub fn window(&self) -> Period {
        Period {
            start: self.opens,
            end: self.closes,
        }
    }

    /// Whether the submission window is open on `date`.
    pub fn is_open_on(&self, date: Date) -> bool {
        self.window().contains(date)
    }

    /// Refuses a schedule the program cannot run (see [`CalendarError`]).
    fn check(&self) -> Result<(), CalendarError> {
        let round = self.round;
        if self.period.end < self.period.start {
            return Err(CalendarError::EndBeforeStart { round: Some(round) });
        }
        for (field, value) in [
            ("min_charts_completed", self.min_charts_completed),
            ("min_unique_charts", self.min_unique_charts),
        ] {
            if value == 0 {
                return Err(CalendarError::ZeroMinimum { round, field });
            }
        }
        if self.reminder_days.contains(&0) {
            return Err(CalendarError::ZeroReminder { round });
        }
        if self.closes < self.opens {
            return Err(CalendarError::ClosesBeforeOpens {
                round,
                opens: self.opens,
                closes: self.closes,
            });
        }
        if self.opens < self.period.start {
            return Err(CalendarError::OpensBeforePeriod {
                round,
                opens: self.opens,
                start: self.period.start,
            });
        }
        if let Some(n) = self.notices.iter().find(|n| n.on > self.closes) {
            return Err(CalendarError::NoticeAfterClose {
                round,
                on: n.on,
                closes: self.closes,
            });
        }
        Ok(())
    }

    /// Every notice of this round due on `date`, in the order: opens, closes in N days,
    /// closes today, listed notices (in file order).
    fn due_on(&self, date: Date) -> Vec<DueNotice> {
        let round = self.round;
        let mut out = Vec::new();
        if date == self.opens {
            out.push(DueNotice {
                round,
                kind: DueKind::Opens,
                text: format!("opens today (submissions {})", self.window()),
            });
        }
        for &days in &self.reminder_days {
            // A `u32` negated as an `i64` never overflows.
            let before = i64::from(days).checked_neg();
            if before.and_then(|d| self.closes.add_days(d)) == Some(date) {
                let unit = if days == 1 { "day" } else { "days" };
                out.push(DueNotice {
                    round,
                    kind: DueKind::ClosesIn { days },
                    text: format!("closes in {days} {unit} ({})", self.closes),
                });
            }
        }
        if date == self.closes {
            out.push(DueNotice {
                round,
                kind: DueKind::ClosesToday,
                text: format!("closes today ({})", self.closes),
            });
        }
        for n in self.notices.iter().filter(|n| n.on == date) {
            out.push(DueNotice {
                round,
                kind: DueKind::Listed(n.kind),
                text: n.text.clone(),
            });
        }
        out
    }
}

/// What a due notice announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DueKind {
    /// The submission window opens today.
    Opens,
    /// The submission window closes in `days` days (a reminder day).
    ClosesIn {
        /// Days until `closes`.
        days: u32,
    },
    /// The submission window closes today (its last day).
    ClosesToday,
    /// A notice listed in the rounds file.
    Listed(NoticeKind),
}

/// A notice due on a given day (from [`RoundCalendar::notices_on`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DueNotice {
    /// The round it is about.
    pub round: RoundId,
    /// What it announces.
    pub kind: DueKind,
    /// What it says, without the round: `closes in 7 days (2027-02-28)`, or a listed
    /// notice's own text.
    pub text: String,
}

impl fmt::Display for DueNotice {
    /// `round 2026-2 closes in 7 days (2027-02-28)`, `round 2026-2 training: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DueKind::Listed(kind) => write!(f, "round {} {kind}: {}", self.round, self.text),
            _ => write!(f, "round {} {}", self.round, self.text),
        }
    }
}

/// One round's entry in a rounds file: every field optional, the defaults fill the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    opens: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    closes: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_charts_completed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_unique_charts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reminder_days: Option<Vec<u32>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notices: Vec<Notice>,
}

impl RoundEntry {
    /// The entry merged with the defaults of `round` (not checked).
    fn merge(&self, round: RoundId) -> Result<RoundSchedule, CalendarError> {
        let period = match (self.start, self.end) {
            (Some(start), Some(end)) => Period { start, end },
            (None, None) => round.default_period(),
            (Some(_), None) => {
                return Err(CalendarError::HalfPeriod {
                    round,
                    given: "start",
                    missing: "end",
                });
            }
            (None, Some(_)) => {
                return Err(CalendarError::HalfPeriod {
                    round,
                    given: "end",
                    missing: "start",
                });
            }
        };
        let mut s = RoundSchedule::with_period(round, period);
        if let Some(d) = self.opens {
            s.opens = d;
        }
        if let Some(d) = self.closes {
            s.closes = d;
        }
        if let Some(n) = self.min_charts_completed {
            s.min_charts_completed = n;
        }
        if let Some(n) = self.min_unique_charts {
            s.min_unique_charts = n;
        }
        if let Some(days) = &self.reminder_days {
            s.reminder_days.clone_from(days);
        }
        s.notices.clone_from(&self.notices);
        Ok(s)
    }

    /// The entry merged with the defaults of `round`, checked: a schedule the program can
    /// run, whose default submission window (when `opens` or `closes` is not given) ends
    /// by [`Date::MAX`].
    fn checked(&self, round: RoundId) -> Result<RoundSchedule, CalendarError> {
        let s = self.merge(round)?;
        if (self.opens.is_none() || self.closes.is_none())
            && RoundSchedule::window_after(s.period).is_none()
        {
            return Err(CalendarError::WindowPastSupportedDates { round });
        }
        s.check()?;
        Ok(s)
    }

    /// The entry that states every field of `s`.
    fn of(s: &RoundSchedule) -> RoundEntry {
        RoundEntry {
            start: Some(s.period.start),
            end: Some(s.period.end),
            opens: Some(s.opens),
            closes: Some(s.closes),
            min_charts_completed: Some(s.min_charts_completed),
            min_unique_charts: Some(s.min_unique_charts),
            reminder_days: Some(s.reminder_days.clone()),
            notices: s.notices.clone(),
        }
    }

    /// Reminder days largest first, each once; notices in date order (stable).
    fn normalize(&mut self) {
        if let Some(days) = &mut self.reminder_days {
            days.sort_unstable_by(|a, b| b.cmp(a));
            days.dedup();
        }
        self.notices.sort_by_key(|n| n.on);
    }
}

/// The program schedule of each round: the defaults, with overrides from a rounds file.
///
/// The default reporting periods are 1 Jan–30 Jun (`YYYY-1`) and 1 Jul–31 Dec (`YYYY-2`);
/// the other defaults are listed on [`RoundSchedule`]. A rounds file overrides some rounds:
/// a JSON object from round id to an entry whose fields are all optional: `start` and `end`
/// (the reporting period, together), `opens` and `closes` (the submission window),
/// `min_charts_completed`, `min_unique_charts`, `reminder_days` and `notices`
/// (`[{"on", "kind": "training" | "materials" | "announcement", "text"}]`).
///
/// ```
/// use oncoqual::{RoundCalendar, RoundId};
/// let cal = RoundCalendar::from_json(r#"{"2026-1": {"start": "2025-10-01", "end": "2026-03-31"}}"#).unwrap();
/// let r: RoundId = "2026-1".parse().unwrap();
/// assert_eq!(cal.period(r).to_string(), "2025-10-01..2026-03-31");
/// assert_eq!(cal.period(r.next().unwrap()).to_string(), "2026-07-01..2026-12-31");
/// // The submission window follows the period: the two months after it.
/// assert_eq!(cal.schedule(r).window().to_string(), "2026-04-01..2026-05-31");
/// let due = cal.notices_on("2027-02-21".parse().unwrap());
/// assert_eq!(due[0].to_string(), "round 2026-2 closes in 7 days (2027-02-28)");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RoundCalendar {
    entries: BTreeMap<RoundId, RoundEntry>,
}

impl RoundCalendar {
    /// The default calendar (no overrides).
    pub fn new() -> Self {
        Self::default()
    }

    /// Overrides the period of `round`. The round's other settings are kept; its submission
    /// window, unless set, follows the new period. The result is not checked: a window set
    /// before may now open before the period (use [`RoundCalendar::set_schedule`] to check).
    pub fn set(&mut self, round: RoundId, period: Period) {
        let e = self.entries.entry(round).or_default();
        e.start = Some(period.start);
        e.end = Some(period.end);
    }

    /// Sets every field of a round's schedule, or refuses a schedule the program cannot run
    /// (the calendar is then unchanged).
    pub fn set_schedule(&mut self, schedule: RoundSchedule) -> Result<(), CalendarError> {
        let mut e = RoundEntry::of(&schedule);
        e.normalize();
        e.checked(schedule.round)?;
        self.entries.insert(schedule.round, e);
        Ok(())
    }

    /// The reporting period of `round`.
    pub fn period(&self, round: RoundId) -> Period {
        self.schedule(round).period
    }

    /// The schedule of `round`: its entry merged with the defaults.
    pub fn schedule(&self, round: RoundId) -> RoundSchedule {
        match self.entries.get(&round) {
            // Entries are complete periods (checked when read or set).
            Some(e) => e
                .merge(round)
                .unwrap_or_else(|_| RoundSchedule::default_for(round)),
            None => RoundSchedule::default_for(round),
        }
    }

    /// The rounds the calendar names (those with an entry), in order.
    pub fn rounds(&self) -> impl Iterator<Item = RoundId> + '_ {
        self.entries.keys().copied()
    }

    /// The rounds whose schedule may matter on `date`: every round with an entry, and the
    /// rounds before, of and after the default half-year holding `date` (a round left at
    /// the defaults has its window in the two months after its half-year).
    fn near(&self, date: Date) -> Vec<RoundId> {
        let mut rounds: std::collections::BTreeSet<RoundId> = self.rounds().collect();
        let half = if date.month() <= 6 { 1 } else { 2 };
        if let Some(r) = u16::try_from(date.year())
            .ok()
            .and_then(|y| RoundId::new(y, half))
        {
            rounds.extend([r.previous(), Some(r), r.next()].into_iter().flatten());
        }
        rounds.into_iter().collect()
    }

    /// The round whose submission window contains `date` (the earliest, if windows overlap).
    pub fn round_open_on(&self, date: Date) -> Option<RoundId> {
        self.near(date)
            .into_iter()
            .find(|&r| self.schedule(r).is_open_on(date))
    }

    /// The round whose reporting period contains `date` (the earliest, if periods overlap).
    pub fn round_reporting_on(&self, date: Date) -> Option<RoundId> {
        self.near(date)
            .into_iter()
            .find(|&r| self.schedule(r).period.contains(date))
    }

    /// The notices due on `date`, by round: `opens today` on `opens`, `closes in N days` on
    /// each reminder day, `closes today` on `closes`, and each listed notice on its date.
    pub fn notices_on(&self, date: Date) -> Vec<DueNotice> {
        self.near(date)
            .into_iter()
            .flat_map(|r| self.schedule(r).due_on(date))
            .collect()
    }

    /// Reads a rounds file (see the type's docs for the format), refusing unknown fields and
    /// schedules the program cannot run.
    pub fn from_json(text: &str) -> Result<Self, CalendarError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: BTreeMap<RoundId, RoundEntry> =
            serde_path_to_error::deserialize(de).map_err(|e| {
                // Calendar files hold no patient data: every key may be shown.
                let path = crate::chart::serde_error::field_path(e.path(), |_| true);
                let inner = e.into_inner();
                CalendarError::Format {
                    path,
                    line: inner.line(),
                    column: inner.column(),
                    message: crate::chart::serde_error::safe_message(&inner),
                }
            })?;
        let mut entries = BTreeMap::new();
        for (round, mut entry) in raw {
            entry.normalize();
            entry.checked(round)?;
            entries.insert(round, entry);
        }
        Ok(RoundCalendar { entries })
    }

    /// Writes the calendar as a rounds file (only what differs from the defaults, as read or
    /// set), which [`RoundCalendar::from_json`] reads back to an equal calendar.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.entries).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_past_9998_are_refused_so_every_date_of_a_round_is_written_and_read_back() {
        for bad in ["9999-1", "9999-2", "0999-2"] {
            assert_eq!(bad.parse::<RoundId>(), Err(InvalidRound), "{bad}");
        }
        assert_eq!(RoundId::new(9999, 2), None);
        let last: RoundId = "9998-2".parse().unwrap();
        assert_eq!(last.next(), None);
        let s = RoundSchedule::default_for(last);
        // The report of the last round is dated the day after its period (as `benchmark`
        // does), at the latest.
        let issued = s.period.end.add_days(1).unwrap();
        for d in [s.period.start, s.period.end, s.opens, s.closes, issued] {
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), d, "{json}");
        }
        assert_eq!(s.window().to_string(), "9999-01-01..9999-02-28");
        let cal = RoundCalendar::new();
        assert_eq!(
            RoundCalendar::from_json(&cal.to_json())
                .unwrap()
                .schedule(last),
            s
        );
    }

    #[test]
    fn a_rounds_file_whose_default_window_would_pass_9999_is_refused() {
        let err =
            RoundCalendar::from_json(r#"{"9998-2": {"start": "9999-07-01", "end": "9999-12-31"}}"#)
                .unwrap_err();
        assert_eq!(
            err,
            CalendarError::WindowPastSupportedDates {
                round: "9998-2".parse().unwrap()
            }
        );
        assert!(
            err.to_string().contains("give `opens` and `closes`"),
            "{err}"
        );
        let cal = RoundCalendar::from_json(
            r#"{"9998-2": {"start": "9999-07-01", "end": "9999-11-30", "opens": "9999-12-01", "closes": "9999-12-31"}}"#,
        )
        .unwrap();
        let r = "9998-2".parse().unwrap();
        assert_eq!(cal.schedule(r).closes.to_string(), "9999-12-31");
    }

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

    fn round(s: &str) -> RoundId {
        s.parse().unwrap()
    }

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn texts(cal: &RoundCalendar, on: &str) -> Vec<String> {
        cal.notices_on(date(on))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn first_half_rounds_take_submissions_in_july_and_august_by_default() {
        let s = RoundCalendar::new().schedule(round("2026-1"));
        assert_eq!(s.period.to_string(), "2026-01-01..2026-06-30");
        assert_eq!(s.window().to_string(), "2026-07-01..2026-08-31");
        assert_eq!(s.min_charts_completed, 30);
        assert_eq!(s.min_unique_charts, 100);
        assert_eq!(s.reminder_days, [14, 7, 1]);
        assert!(s.notices.is_empty());
        assert_eq!(s, RoundSchedule::default_for(round("2026-1")));
    }

    #[test]
    fn second_half_rounds_take_submissions_in_january_and_february_by_default() {
        let cal = RoundCalendar::new();
        let s = cal.schedule(round("2026-2"));
        assert_eq!(s.period.to_string(), "2026-07-01..2026-12-31");
        assert_eq!(s.window().to_string(), "2027-01-01..2027-02-28");
        // 2028 is a leap year.
        let leap = cal.schedule(round("2027-2"));
        assert_eq!(leap.window().to_string(), "2028-01-01..2028-02-29");
    }

    #[test]
    fn the_default_window_follows_an_overridden_period() {
        let cal =
            RoundCalendar::from_json(r#"{"2026-1": {"start": "2025-10-01", "end": "2026-03-31"}}"#)
                .unwrap();
        let s = cal.schedule(round("2026-1"));
        assert_eq!(s.window().to_string(), "2026-04-01..2026-05-31");
        assert_eq!(cal.rounds().collect::<Vec<_>>(), [round("2026-1")]);
    }

    #[test]
    fn every_entry_field_overrides_its_default_and_the_rest_stay_default() {
        let cal = RoundCalendar::from_json(
            r#"{
              "2026-2": {"opens": "2027-01-05", "closes": "2027-03-15",
                         "min_charts_completed": 20, "min_unique_charts": 50,
                         "reminder_days": [3, 30, 3],
                         "notices": [{"on": "2026-12-01", "kind": "training", "text": "abstraction webinar"}]},
              "2027-1": {"min_unique_charts": 80}
            }"#,
        )
        .unwrap();
        let s = cal.schedule(round("2026-2"));
        assert_eq!(s.period, round("2026-2").default_period());
        assert_eq!(s.window().to_string(), "2027-01-05..2027-03-15");
        assert_eq!((s.min_charts_completed, s.min_unique_charts), (20, 50));
        assert_eq!(s.reminder_days, [30, 3], "largest first, each once");
        assert_eq!(
            s.notices,
            [Notice::new(
                date("2026-12-01"),
                NoticeKind::Training,
                "abstraction webinar"
            )]
        );
        let t = cal.schedule(round("2027-1"));
        assert_eq!(t.min_unique_charts, 80);
        assert_eq!(t.min_charts_completed, 30);
        assert_eq!(t.window().to_string(), "2027-07-01..2027-08-31");
        assert_eq!(
            cal.rounds().collect::<Vec<_>>(),
            [round("2026-2"), round("2027-1")]
        );
    }

    #[test]
    fn an_empty_entry_is_the_defaults() {
        let cal = RoundCalendar::from_json(r#"{"2026-1": {}}"#).unwrap();
        assert_eq!(
            cal.schedule(round("2026-1")),
            RoundSchedule::default_for(round("2026-1"))
        );
    }

    #[test]
    fn unknown_entry_fields_are_refused_with_path_line_and_column() {
        let err = RoundCalendar::from_json(
            "{\"2026-1\": {\n  \"opens\": \"2026-07-01\", \"closing\": \"2026-08-31\"}}",
        )
        .unwrap_err();
        match err {
            CalendarError::Format {
                path, line, column, ..
            } => {
                assert_eq!(path, "2026-1.closing");
                assert_eq!(line, 2);
                assert!(column > 20, "{column}");
            }
            other => panic!("{other}"),
        }
        let err = RoundCalendar::from_json(
            r#"{"2026-1": {"notices": [{"on": "2026-07-01", "kind": "party", "text": "x"}]}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(err, CalendarError::Format { ref path, .. } if path == "2026-1.notices[0].kind"),
            "{err}"
        );
    }

    #[test]
    fn a_period_needs_both_start_and_end() {
        let err = RoundCalendar::from_json(r#"{"2026-1": {"start": "2026-01-01"}}"#).unwrap_err();
        assert_eq!(
            err,
            CalendarError::HalfPeriod {
                round: round("2026-1"),
                given: "start",
                missing: "end"
            }
        );
        assert_eq!(
            err.to_string(),
            "round `2026-1` gives `start` without `end`"
        );
        let err = RoundCalendar::from_json(r#"{"2026-1": {"end": "2026-06-30"}}"#).unwrap_err();
        assert!(
            matches!(err, CalendarError::HalfPeriod { given: "end", .. }),
            "{err}"
        );
    }

    #[test]
    fn a_window_closing_before_it_opens_is_refused() {
        let err = RoundCalendar::from_json(r#"{"2026-1": {"closes": "2026-06-30"}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "round `2026-1` closes (2026-06-30) before it opens (2026-07-01)"
        );
    }

    #[test]
    fn a_window_opening_before_the_period_starts_is_refused() {
        let err = RoundCalendar::from_json(r#"{"2026-2": {"opens": "2026-06-30"}}"#).unwrap_err();
        assert_eq!(
            err,
            CalendarError::OpensBeforePeriod {
                round: round("2026-2"),
                opens: date("2026-06-30"),
                start: date("2026-07-01")
            }
        );
        // Opening inside the period is allowed (an early start).
        assert!(RoundCalendar::from_json(r#"{"2026-2": {"opens": "2026-12-01"}}"#).is_ok());
    }

    #[test]
    fn a_minimum_of_zero_charts_is_refused() {
        for field in ["min_charts_completed", "min_unique_charts"] {
            let err = RoundCalendar::from_json(&format!(r#"{{"2026-1": {{"{field}": 0}}}}"#))
                .unwrap_err();
            assert_eq!(
                err,
                CalendarError::ZeroMinimum {
                    round: round("2026-1"),
                    field
                }
            );
            assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
        }
    }

    #[test]
    fn a_reminder_on_the_closing_day_is_refused() {
        let err = RoundCalendar::from_json(r#"{"2026-1": {"reminder_days": [7, 0]}}"#).unwrap_err();
        assert_eq!(
            err,
            CalendarError::ZeroReminder {
                round: round("2026-1")
            }
        );
    }

    #[test]
    fn a_notice_after_the_window_closes_is_refused() {
        let err = RoundCalendar::from_json(
            r#"{"2026-1": {"notices": [{"on": "2026-09-01", "kind": "announcement", "text": "late"}]}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "round `2026-1` lists a notice on 2026-09-01, after the round closes (2026-08-31)"
        );
    }

    #[test]
    fn set_schedule_refuses_what_the_file_would_and_keeps_the_calendar() {
        let mut cal = RoundCalendar::new();
        let mut s = RoundSchedule::default_for(round("2026-1"));
        s.min_unique_charts = 0;
        assert!(cal.set_schedule(s.clone()).is_err());
        assert_eq!(cal, RoundCalendar::new());
        s.min_unique_charts = 60;
        cal.set_schedule(s.clone()).unwrap();
        assert_eq!(cal.schedule(round("2026-1")), s);
    }

    #[test]
    fn set_changes_the_period_and_keeps_the_rest_of_the_entry() {
        let mut cal =
            RoundCalendar::from_json(r#"{"2026-1": {"min_charts_completed": 12}}"#).unwrap();
        cal.set(round("2026-1"), "2026-02-01..2026-05-31".parse().unwrap());
        let s = cal.schedule(round("2026-1"));
        assert_eq!(s.period.to_string(), "2026-02-01..2026-05-31");
        assert_eq!(s.min_charts_completed, 12);
        assert_eq!(s.window().to_string(), "2026-06-01..2026-07-31");
    }

    #[test]
    fn the_opening_day_has_an_opens_notice() {
        let cal = RoundCalendar::new();
        assert_eq!(
            texts(&cal, "2027-01-01"),
            ["round 2026-2 opens today (submissions 2027-01-01..2027-02-28)"]
        );
        assert_eq!(cal.notices_on(date("2027-01-01"))[0].kind, DueKind::Opens);
    }

    #[test]
    fn each_reminder_day_has_a_closes_in_notice() {
        let cal = RoundCalendar::new();
        assert_eq!(
            texts(&cal, "2027-02-14"),
            ["round 2026-2 closes in 14 days (2027-02-28)"]
        );
        assert_eq!(
            texts(&cal, "2027-02-21"),
            ["round 2026-2 closes in 7 days (2027-02-28)"]
        );
        assert_eq!(
            texts(&cal, "2026-08-30"),
            ["round 2026-1 closes in 1 day (2026-08-31)"]
        );
        assert_eq!(
            cal.notices_on(date("2027-02-21"))[0].kind,
            DueKind::ClosesIn { days: 7 }
        );
        assert!(texts(&cal, "2027-02-20").is_empty());
    }

    #[test]
    fn the_closing_day_has_a_closes_today_notice() {
        let cal = RoundCalendar::new();
        assert_eq!(
            texts(&cal, "2028-02-29"),
            ["round 2027-2 closes today (2028-02-29)"]
        );
        assert_eq!(
            cal.notices_on(date("2028-02-29"))[0].kind,
            DueKind::ClosesToday
        );
    }

    #[test]
    fn listed_notices_are_due_on_their_date_beside_the_generated_ones() {
        let cal = RoundCalendar::from_json(
            r#"{"2026-1": {"reminder_days": [61], "notices": [
                {"on": "2026-07-01", "kind": "materials", "text": "the 2026 abstraction guide is out"},
                {"on": "2026-06-10", "kind": "training", "text": "webinar at 2 pm"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            texts(&cal, "2026-07-01"),
            [
                "round 2026-1 opens today (submissions 2026-07-01..2026-08-31)",
                "round 2026-1 closes in 61 days (2026-08-31)",
                "round 2026-1 materials: the 2026 abstraction guide is out",
            ]
        );
        let due = cal.notices_on(date("2026-06-10"));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].kind, DueKind::Listed(NoticeKind::Training));
        assert_eq!(due[0].text, "webinar at 2 pm");
        // The custom reminder days replace the defaults.
        assert!(texts(&cal, "2026-08-24").is_empty());
    }

    #[test]
    fn far_rounds_named_in_the_file_still_give_their_notices() {
        let cal = RoundCalendar::from_json(
            r#"{"2030-1": {"notices": [{"on": "2026-03-03", "kind": "announcement", "text": "save the date"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            texts(&cal, "2026-03-03"),
            ["round 2030-1 announcement: save the date"]
        );
    }

    #[test]
    fn the_open_round_is_the_one_whose_window_holds_the_date() {
        let cal = RoundCalendar::new();
        assert_eq!(cal.round_open_on(date("2026-08-31")), Some(round("2026-1")));
        assert_eq!(cal.round_open_on(date("2026-09-01")), None);
        assert_eq!(cal.round_open_on(date("2027-01-01")), Some(round("2026-2")));
        assert_eq!(
            cal.round_reporting_on(date("2026-09-01")),
            Some(round("2026-2"))
        );
    }

    #[test]
    fn to_json_reads_back_to_an_equal_calendar() {
        let mut cal = RoundCalendar::from_json(
            r#"{"2026-1": {"start": "2025-10-01", "end": "2026-03-31", "reminder_days": [1, 10],
                           "notices": [{"on": "2026-04-02", "kind": "training", "text": "webinar"}]},
                "2026-2": {"min_unique_charts": 75}}"#,
        )
        .unwrap();
        let mut s = RoundSchedule::default_for(round("2027-1"));
        s.closes = date("2027-09-15");
        cal.set_schedule(s).unwrap();
        let text = cal.to_json();
        let back = RoundCalendar::from_json(&text).unwrap();
        assert_eq!(back, cal);
        assert_eq!(back.to_json(), text);
        assert_eq!(serde_json::to_string_pretty(&cal).unwrap(), text);
        assert_eq!(
            RoundCalendar::from_json(&RoundCalendar::new().to_json()).unwrap(),
            RoundCalendar::new()
        );
    }
}
