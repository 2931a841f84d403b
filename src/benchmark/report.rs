//! The round report: everything a practice sees beside the national aggregate, built from
//! a tally. Folding charts into tallies is the driver's job (`crate::pipeline`).

use serde::{Deserialize, Serialize};

use super::aggregate::{NationalMeasure, Options, PracticeRate, QUANTILE_METHOD, aggregate_scored};
use super::score::{Oqs, OqsMethod, Trend, overall_quality_scores, trends};
use super::tally::{StrataError, Tally, TallyStamp, check_measure_strata};
use crate::chart::round::{Period, RoundCalendar, RoundId};
use crate::chart::{Date, PracticeId};
use crate::measure::Library;
use crate::measure::LibraryFingerprint;
use crate::program::{Course, Practices, course_credits};

/// How a report is computed (all of it is written into the report).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReportOptions {
    /// Rates, intervals, suppression and percentiles.
    pub aggregate: Options,
    /// The track of the Overall Quality Score (default `qcp`).
    pub oqs_track: String,
    /// The OQS method (default pooled).
    pub oqs_method: OqsMethod,
    /// Significance level of trend tests (default 0.05).
    pub alpha: f64,
    /// What registration problems do (default strict: the charts do not count).
    pub registration: RegistrationPolicy,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            aggregate: Options::default(),
            oqs_track: "qcp".to_owned(),
            oqs_method: OqsMethod::Pooled,
            alpha: 0.05,
            registration: RegistrationPolicy::Strict,
        }
    }
}

/// The options as written in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatedOptions {
    /// Confidence level of the intervals.
    pub confidence_level: f64,
    /// Interval method.
    pub interval_method: String,
    /// Minimum rate denominator for a practice to enter the distribution.
    pub min_denominator: u64,
    /// Percentiles reported.
    pub percentiles: Vec<rust_decimal::Decimal>,
    /// Quantile method.
    pub quantile_method: String,
    /// Percentile-rank definition.
    pub percentile_rank_method: String,
    /// OQS track.
    pub oqs_track: String,
    /// OQS method.
    pub oqs_method: OqsMethod,
    /// Trend test and its level.
    pub trend_test: String,
    /// α of the trend test.
    pub alpha: f64,
}

/// One (round, practice) with its unique charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Participation {
    /// The round.
    pub round: RoundId,
    /// The practice.
    pub practice: PracticeId,
    /// Unique charts submitted.
    pub charts: u64,
}

/// What registration problems do to a practice's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RegistrationPolicy {
    /// Charts of a practice that is not registered, or whose registration has a problem,
    /// or that registered after the round closed, are not rated, not in the national
    /// aggregate and not credited (the default).
    #[default]
    Strict,
    /// The problems are listed, but the charts count.
    ListOnly,
}

/// Why a (round, practice) is excluded (or, under [`RegistrationPolicy::ListOnly`], flagged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExclusionReason {
    /// The practice is not in the practices file.
    NotRegistered,
    /// The registration has a problem.
    RegistrationProblem {
        /// The problem, as a person reads it.
        problem: String,
    },
    /// The practice registered after the round's submission window closed.
    RegisteredAfterClose {
        /// Its registration date.
        registered_on: Date,
        /// The round's closing date.
        round_closes: Date,
    },
}

impl std::fmt::Display for ExclusionReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExclusionReason::NotRegistered => {
                f.write_str("the practice is not in the practices file")
            }
            ExclusionReason::RegistrationProblem { problem } => f.write_str(problem),
            ExclusionReason::RegisteredAfterClose {
                registered_on,
                round_closes,
            } => write!(
                f,
                "registered on {registered_on}, after the round closed on {round_closes}"
            ),
        }
    }
}

/// A (round, practice) whose charts do not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Exclusion {
    /// The round.
    pub round: RoundId,
    /// The practice.
    pub practice: PracticeId,
    /// Its unique charts in the round.
    pub charts: u64,
    /// Every reason.
    pub reasons: Vec<ExclusionReason>,
    /// Whether the charts were left out (`false` under [`RegistrationPolicy::ListOnly`]).
    pub excluded: bool,
}

/// How registration was checked for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RegistrationCheck {
    /// Whether a practices file was given; without one nothing was checked, no practice is
    /// known to be on any track, and no eligibility can be read from the report.
    pub checked: bool,
    /// The policy applied.
    pub policy: RegistrationPolicy,
    /// Every (round, practice) with a registration problem.
    pub exclusions: Vec<Exclusion>,
}

/// A benchmark report. Field names are stable; numbers are exact decimals (rounded only
/// when rendered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Report {
    /// Format version of this document.
    pub oncoqual_report: u32,
    /// The date the report was issued.
    pub issued_on: Date,
    /// Whether this is the round's final report (certification reads only final reports).
    pub final_report: bool,
    /// How it was computed.
    pub options: StatedOptions,
    /// What the counts were computed with: the merged tallies' stamp (library fingerprint,
    /// oncoqual version, chart key id, every round's reporting period).
    pub computed_with: Option<TallyStamp>,
    /// How registration was checked, and the (round, practice) pairs it excluded.
    pub registration: RegistrationCheck,
    /// The rounds covered.
    pub rounds: Vec<RoundId>,
    /// Charts per (round, practice) that count (exclusions are listed in `registration`).
    pub participation: Vec<Participation>,
    /// Every practice's rate per measure and round.
    pub rates: Vec<PracticeRate>,
    /// The national aggregate per measure and round.
    pub national: Vec<NationalMeasure>,
    /// Overall Quality Scores: of every practice registered on the OQS track (of every
    /// practice when registration was not checked).
    pub overall_quality_scores: Vec<Oqs>,
    /// Changes since each practice's previous round with data.
    pub trends: Vec<Trend>,
    /// Registered practices (when a practices file was given): registration problems and
    /// the ASCO University courses with each member's award.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub practices: Vec<PracticeStatus>,
}

/// A registered practice's standing in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PracticeStatus {
    /// The practice.
    pub practice: PracticeId,
    /// Its name.
    pub name: String,
    /// Its registration date.
    pub registered_on: Date,
    /// Tracks registered for.
    pub tracks: Vec<String>,
    /// Every reason its registration is not valid (empty when valid).
    pub registration_problems: Vec<String>,
    /// The ASCO University courses opened by pairs of consecutive completed rounds, with
    /// each member's award and the members still pending.
    #[serde(default)]
    pub courses: Vec<Course>,
}

/// Why a report cannot be built from a tally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The tally was computed with another measure library than the report's.
    #[error(
        "the tally was computed with measure library {tally}, the report would use {library}: use the same specs"
    )]
    LibraryMismatch {
        /// The tally's library fingerprint.
        tally: LibraryFingerprint,
        /// The report's.
        library: LibraryFingerprint,
    },
    /// The tally counts other measures than the report's library holds (one of them a
    /// selection made with [`Library::restrict`]).
    #[error("the tally counts {tally}, the report would use {library}: use the same selection")]
    SelectionMismatch {
        /// What the tally counts.
        tally: String,
        /// What the report's library holds.
        library: String,
    },
    /// The tally holds strata no stratifier of the library can yield (forged or edited).
    #[error(transparent)]
    Strata(#[from] StrataError),
    /// The tally evaluated a round over another period than the round calendar's.
    #[error(
        "round {round} was tallied over {tally}, but the round calendar gives {calendar}: use the same rounds file (or --period)"
    )]
    PeriodMismatch {
        /// The round.
        round: RoundId,
        /// The tally's period.
        tally: Period,
        /// The calendar's.
        calendar: Period,
    },
}

impl Report {
    /// Refuses strata that no stratifier of `library` can yield, in the practice rates or
    /// the national aggregate (a forged or hand-edited report). The error names the measure
    /// and the stratifier, never the stratum value.
    pub fn check_strata(&self, library: &Library) -> Result<(), StrataError> {
        for r in &self.rates {
            check_measure_strata(library, &r.measure, &r.strata)?;
        }
        for n in &self.national {
            check_measure_strata(library, &n.measure, &n.strata)?;
        }
        Ok(())
    }
}

/// The report format version.
pub const REPORT_FORMAT: u32 = 2;

impl Report {
    /// Builds the report of a tally without registrations: every practice is scored on
    /// every measure, and the report says that registration was not checked (so no
    /// certification eligibility can be read from it).
    pub fn build(
        tally: &Tally,
        library: &Library,
        options: &ReportOptions,
        issued_on: Date,
        final_report: bool,
    ) -> Result<Report, ReportError> {
        check_library(tally, library)?;
        let unchecked = RegistrationCheck {
            checked: false,
            policy: options.registration,
            exclusions: Vec::new(),
        };
        Ok(Report::assemble(
            tally,
            library,
            options,
            issued_on,
            final_report,
            unchecked,
            |_, _| true,
            |_| true,
        ))
    }

    /// Builds the report of a tally for the registered `practices`, with the round
    /// calendar `calendar` (its closing dates and minimums; its periods must be those the
    /// tally was evaluated over). Under the default [`RegistrationPolicy::Strict`], the
    /// charts of a practice that is not registered, whose registration has a problem, or
    /// that registered after the round closed are not rated, not in the national aggregate
    /// and not credited, and the report lists them. Each practice is scored on the measures
    /// of its registered tracks; the Overall Quality Score is computed for the practices
    /// registered on its track.
    pub fn build_for(
        tally: &Tally,
        library: &Library,
        calendar: &RoundCalendar,
        options: &ReportOptions,
        issued_on: Date,
        final_report: bool,
        practices: &Practices,
    ) -> Result<Report, ReportError> {
        check_library(tally, library)?;
        for round in tally.rounds() {
            if let Some(p) = tally.period(round)
                && p != calendar.period(round)
            {
                return Err(ReportError::PeriodMismatch {
                    round,
                    tally: p,
                    calendar: calendar.period(round),
                });
            }
        }
        let strict = options.registration == RegistrationPolicy::Strict;
        let mut exclusions = Vec::new();
        for (round, practice, row) in tally.rows() {
            let reasons = exclusion_reasons(practices.get(practice), *round, calendar);
            if !reasons.is_empty() {
                exclusions.push(Exclusion {
                    round: *round,
                    practice: practice.clone(),
                    charts: row.charts,
                    reasons,
                    excluded: strict,
                });
            }
        }
        let counted = if strict && !exclusions.is_empty() {
            let out: std::collections::BTreeSet<(RoundId, &PracticeId)> =
                exclusions.iter().map(|e| (e.round, &e.practice)).collect();
            tally.retain_rows(|r, p| !out.contains(&(r, p)))
        } else {
            tally.clone()
        };
        let scored = |p: &PracticeId, measure: &str| {
            let tracks = library
                .index_of(measure)
                .and_then(|i| library.measure(i))
                .map(|m| m.tracks.as_slice())
                .unwrap_or(&[]);
            practices.get(p).is_some_and(|pr| pr.registered_for(tracks))
        };
        let on_track = |p: &PracticeId| {
            practices
                .get(p)
                .is_some_and(|pr| pr.registered_for(&[options.oqs_track.as_str()]))
        };
        let check = RegistrationCheck {
            checked: true,
            policy: options.registration,
            exclusions,
        };
        let mut report = Report::assemble(
            &counted,
            library,
            options,
            issued_on,
            final_report,
            check,
            scored,
            on_track,
        );
        report.practices = practices
            .iter()
            .map(|p| {
                let completed: Vec<RoundId> = counted
                    .rows()
                    .filter(|(r, id, t)| {
                        **id == p.id && t.charts >= calendar.schedule(**r).min_charts_completed
                    })
                    .map(|(r, _, _)| *r)
                    .collect();
                PracticeStatus {
                    practice: p.id.clone(),
                    name: p.name.clone(),
                    registered_on: p.registered_on,
                    tracks: p.tracks.clone(),
                    registration_problems: p
                        .registration_problems()
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    courses: course_credits(p, &completed),
                }
            })
            .collect();
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        tally: &Tally,
        library: &Library,
        options: &ReportOptions,
        issued_on: Date,
        final_report: bool,
        registration: RegistrationCheck,
        scored: impl Fn(&PracticeId, &str) -> bool,
        on_track: impl Fn(&PracticeId) -> bool,
    ) -> Report {
        let (rates, national) = aggregate_scored(tally, library, &options.aggregate, &scored);
        let oqs = overall_quality_scores(
            tally,
            library,
            &options.oqs_track,
            options.oqs_method,
            on_track,
        );
        let trends = trends(&rates, library, options.alpha);
        Report {
            oncoqual_report: REPORT_FORMAT,
            issued_on,
            final_report,
            options: StatedOptions {
                confidence_level: options.aggregate.level,
                interval_method: "wilson_score".to_owned(),
                min_denominator: options.aggregate.min_denominator,
                percentiles: options.aggregate.percentiles.clone(),
                quantile_method: QUANTILE_METHOD.to_owned(),
                percentile_rank_method:
                    "mean_rank: 100 * (worse + equal / 2) / n, ties share a rank, direction-aware"
                        .to_owned(),
                oqs_track: options.oqs_track.clone(),
                oqs_method: options.oqs_method,
                trend_test: "two_proportion_z_pooled_two_sided".to_owned(),
                alpha: options.alpha,
            },
            computed_with: tally.stamp().cloned(),
            registration,
            rounds: tally.rounds(),
            participation: tally
                .rows()
                .map(|(r, p, t)| Participation {
                    round: *r,
                    practice: p.clone(),
                    charts: t.charts,
                })
                .collect(),
            rates,
            national,
            overall_quality_scores: oqs,
            trends,
            practices: Vec::new(),
        }
    }

    /// The report's fingerprint: 32 hex digits of a hash of its JSON. A certification
    /// verdict carries it, so a verdict can be checked against the report it came from.
    ///
    /// ```
    /// # use oncoqual::benchmark::{Report, ReportOptions, Tally};
    /// # let lib = oncoqual::Library::bundled().unwrap();
    /// let report = Report::build(&Tally::new(), lib, &ReportOptions::default(), oncoqual::Date::MIN, true).unwrap();
    /// let back: Report = serde_json::from_str(&serde_json::to_string_pretty(&report).unwrap()).unwrap();
    /// assert_eq!(back.fingerprint(), report.fingerprint());
    /// ```
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let h = blake3::hash(&json);
        h.as_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Why the charts of `practice` (its registration, if any) in `round` do not count.
fn exclusion_reasons(
    practice: Option<&crate::program::Practice>,
    round: RoundId,
    calendar: &RoundCalendar,
) -> Vec<ExclusionReason> {
    let Some(p) = practice else {
        return vec![ExclusionReason::NotRegistered];
    };
    let mut out: Vec<ExclusionReason> = p
        .registration_problems()
        .iter()
        .map(|e| ExclusionReason::RegistrationProblem {
            problem: e.to_string(),
        })
        .collect();
    let closes = calendar.schedule(round).closes;
    if p.registered_on > closes {
        out.push(ExclusionReason::RegisteredAfterClose {
            registered_on: p.registered_on,
            round_closes: closes,
        });
    }
    out
}

fn check_library(tally: &Tally, library: &Library) -> Result<(), ReportError> {
    match tally.stamp() {
        Some(s) if s.selection.as_deref() != library.selection() => {
            Err(ReportError::SelectionMismatch {
                tally: super::tally::describe_selection(s.selection.as_deref()),
                library: super::tally::describe_selection(library.selection()),
            })
        }
        Some(s) if s.library != library.fingerprint() => Err(ReportError::LibraryMismatch {
            tally: s.library,
            library: library.fingerprint(),
        }),
        _ => Ok(tally.check_strata(library)?),
    }
}
