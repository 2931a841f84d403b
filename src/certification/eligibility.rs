//! Eligibility to apply for certification, from the practice's final benchmark report and
//! its program facts; and the score-review window after a below-threshold report.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::benchmark::Report;
use crate::chart::round::RoundId;
use crate::chart::{Date, PracticeId};

/// The configurable rules of eligibility (the program revises them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EligibilityRules {
    /// Minimum Overall Quality Score (default 0.75).
    pub oqs_threshold: Decimal,
    /// Minimum unique charts behind the score (the program sets it per round: no default).
    pub min_unique_charts: u64,
    /// How long a qualifying score stays valid, in calendar months from the report's issue
    /// date (default 12: "up to one year"; 29 February + 12 months = 28 February).
    pub score_valid_months: u32,
    /// Days after a report within which a practice below the threshold may request a review
    /// of its score (default 10).
    pub score_review_days: u32,
    /// The track the score is computed over (default `qcp`).
    pub track: String,
}

impl EligibilityRules {
    /// The default rules with the round's minimum number of unique charts.
    pub fn new(min_unique_charts: u64) -> EligibilityRules {
        EligibilityRules {
            oqs_threshold: Decimal::new(75, 2),
            min_unique_charts,
            score_valid_months: 12,
            score_review_days: 10,
            track: "qcp".to_owned(),
        }
    }
}

/// How the practice attended the Certification Program webinar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebinarFormat {
    /// Took part in a live session.
    Live,
    /// Watched the pre-recorded session.
    Recorded,
}

/// Webinar attendance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webinar {
    /// When.
    pub date: Date,
    /// Live or recorded.
    pub format: WebinarFormat,
}

/// The practice facts eligibility reads besides the report. Track registration is not one
/// of them: it is read from the report's registrations, never from a separate fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PracticeFacts {
    /// The practice.
    pub practice: PracticeId,
    /// Webinar attendance, if any.
    #[serde(default)]
    pub webinar: Option<Webinar>,
}

impl PracticeFacts {
    /// Facts of `practice`.
    pub fn new(practice: PracticeId, webinar: Option<Webinar>) -> Self {
        PracticeFacts { practice, webinar }
    }
}

/// Why a practice may not apply (every reason is reported, not just the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Ineligible {
    /// The report is not the round's final report.
    NotFinalReport,
    /// The report was computed over a selection of measures (`--measure`), not the whole
    /// library: it is an analysis, never a score to certify on.
    SelectedMeasures {
        /// How many measures it holds.
        measures: usize,
    },
    /// The report was built without registrations: nothing says the practice is on the
    /// certification track.
    RegistrationNotChecked,
    /// The practice is not registered on the certification track (per the report).
    NotRegisteredForQcp,
    /// The practice's charts of the round were excluded for registration problems.
    Excluded {
        /// The round.
        round: RoundId,
        /// Why.
        reasons: Vec<String>,
    },
    /// The library behind the report lacks measures of the track, so there is no score.
    MissingMeasures {
        /// The measures.
        measures: Vec<String>,
    },
    /// The report has no score for the practice on the track.
    NoScore {
        /// The track.
        track: String,
    },
    /// The score is below the threshold.
    ScoreBelowThreshold {
        /// The score.
        score: Decimal,
        /// The threshold.
        threshold: Decimal,
    },
    /// Too few unique charts behind the score.
    TooFewCharts {
        /// Charts.
        charts: u64,
        /// The minimum.
        minimum: u64,
    },
    /// The qualifying report is older than its validity on the application date.
    ScoreExpired {
        /// The report's issue date.
        issued_on: Date,
        /// The last day the score was valid.
        valid_until: Date,
        /// The application date.
        applying_on: Date,
    },
    /// The application date is before the report was issued.
    ReportNotYetIssued {
        /// The report's issue date.
        issued_on: Date,
        /// The application date.
        applying_on: Date,
    },
    /// Nobody from the practice has attended the webinar.
    NoWebinar,
    /// The webinar was attended only after the application date.
    WebinarAfterApplying {
        /// Webinar date.
        webinar: Date,
        /// The application date.
        applying_on: Date,
    },
}

impl Ineligible {
    /// The reason's code, as in its JSON `reason` field (`no_webinar`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Ineligible::NotFinalReport => "not_final_report",
            Ineligible::SelectedMeasures { .. } => "selected_measures",
            Ineligible::RegistrationNotChecked => "registration_not_checked",
            Ineligible::NotRegisteredForQcp => "not_registered_for_qcp",
            Ineligible::Excluded { .. } => "excluded",
            Ineligible::MissingMeasures { .. } => "missing_measures",
            Ineligible::NoScore { .. } => "no_score",
            Ineligible::ScoreBelowThreshold { .. } => "score_below_threshold",
            Ineligible::TooFewCharts { .. } => "too_few_charts",
            Ineligible::ScoreExpired { .. } => "score_expired",
            Ineligible::ReportNotYetIssued { .. } => "report_not_yet_issued",
            Ineligible::NoWebinar => "no_webinar",
            Ineligible::WebinarAfterApplying { .. } => "webinar_after_applying",
        }
    }
}

impl fmt::Display for Ineligible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ineligible::NotFinalReport => f.write_str("the report is not the round's final report"),
            Ineligible::SelectedMeasures { measures } => write!(
                f,
                "the report was computed over a selection of {measures} measure{} (--measure), not the whole library",
                if *measures == 1 { "" } else { "s" }
            ),
            Ineligible::RegistrationNotChecked => f.write_str(
                "the report was built without a practices file, so registration was not checked",
            ),
            Ineligible::NotRegisteredForQcp => {
                f.write_str("the practice is not registered on the certification (qcp) track")
            }
            Ineligible::Excluded { round, reasons } => write!(
                f,
                "the practice's charts of round {round} were excluded: {}",
                reasons.join("; ")
            ),
            Ineligible::MissingMeasures { measures } => write!(
                f,
                "the measure library lacks {} measure{} of the track ({}), so there is no score",
                measures.len(),
                if measures.len() == 1 { "" } else { "s" },
                measures.join(", ")
            ),
            Ineligible::NoScore { track } => {
                write!(
                    f,
                    "the report has no Overall Quality Score for the practice on track `{track}`"
                )
            }
            Ineligible::ScoreBelowThreshold { score, threshold } => write!(
                f,
                "Overall Quality Score {} is below the {} threshold",
                crate::benchmark::percent_text(*score, 1),
                crate::benchmark::percent_text(*threshold, 1)
            ),
            Ineligible::TooFewCharts { charts, minimum } => {
                write!(
                    f,
                    "{charts} unique charts, fewer than the minimum of {minimum}"
                )
            }
            Ineligible::ScoreExpired {
                issued_on,
                valid_until,
                applying_on,
            } => write!(
                f,
                "the qualifying report of {issued_on} was valid until {valid_until}; applying on {applying_on} is too late"
            ),
            Ineligible::ReportNotYetIssued {
                issued_on,
                applying_on,
            } => write!(
                f,
                "applying on {applying_on}, before the report was issued on {issued_on}"
            ),
            Ineligible::NoWebinar => f.write_str(
                "nobody from the practice has attended the Certification Program webinar",
            ),
            Ineligible::WebinarAfterApplying {
                webinar,
                applying_on,
            } => write!(
                f,
                "the webinar was attended on {webinar}, after applying on {applying_on}: attend it first"
            ),
        }
    }
}

/// A practice that may apply: the eligibility *verdict* an application opens from. The
/// certification workflow records it in its `application_opened` event, so the log shows
/// what the application rests on (the report's fingerprint, the score, the rules it was
/// judged by, the webinar) and refuses a verdict that is for another practice, expired, or
/// not from a final report. Built only by [`eligibility`]; a log's copy is read back with
/// serde.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Eligible {
    /// The practice.
    pub practice: PracticeId,
    /// The round of the qualifying score.
    pub round: RoundId,
    /// The qualifying score.
    pub score: Decimal,
    /// Unique charts behind it.
    pub charts: u64,
    /// The report's issue date.
    pub issued_on: Date,
    /// The last day the score qualifies an application.
    pub valid_until: Date,
    /// The fingerprint of the report the verdict was computed from ([`Report::fingerprint`]).
    pub report_fingerprint: String,
    /// Whether that report was the round's final report (always `true` for a verdict
    /// [`eligibility`] returns; a log holding `false` is refused).
    pub final_report: bool,
    /// The application date the verdict was computed for.
    pub computed_on: Date,
    /// The Overall Quality Score threshold it was judged against.
    pub threshold: Decimal,
    /// The minimum of unique charts it was judged against.
    pub min_unique_charts: u64,
    /// The webinar attendance it rests on.
    pub webinar: Webinar,
}

/// The last day a score issued on `issued_on` is valid: `score_valid_months` calendar
/// months later, clamped to the month's end (29 Feb 2028 + 12 months = 28 Feb 2029).
pub fn score_valid_until(issued_on: Date, rules: &EligibilityRules) -> Date {
    issued_on
        .add_months(i64::from(rules.score_valid_months))
        .unwrap_or(issued_on)
}

/// The last day a practice may request a review of its score after a report issued on
/// `issued_on` (inclusive): `score_review_days` days later.
pub fn score_review_deadline(issued_on: Date, rules: &EligibilityRules) -> Date {
    issued_on
        .add_days(i64::from(rules.score_review_days))
        .unwrap_or(issued_on)
}

/// Whether a practice whose latest score is below the threshold may still request a score
/// review on `on`.
pub fn may_request_score_review(
    report: &Report,
    practice: &PracticeId,
    on: Date,
    rules: &EligibilityRules,
) -> bool {
    let below = latest_score(report, practice, &rules.track)
        .and_then(|(_, s, _)| s)
        .is_none_or(|s| s < rules.oqs_threshold);
    below && report.issued_on <= on && on <= score_review_deadline(report.issued_on, rules)
}

/// The practice's score in the report's last round (the round the report is final for):
/// (round, score, charts). A score of an earlier round of the same report never qualifies.
fn latest_score(
    report: &Report,
    practice: &PracticeId,
    track: &str,
) -> Option<(RoundId, Option<Decimal>, u64)> {
    let last = report.rounds.last()?;
    report
        .overall_quality_scores
        .iter()
        .find(|o| o.practice == *practice && o.track == track && o.round == *last)
        .map(|o| (o.round, o.score, o.charts))
}

/// Whether the practice may apply on `applying_on`, or every reason it may not.
pub fn eligibility(
    report: &Report,
    facts: &PracticeFacts,
    applying_on: Date,
    rules: &EligibilityRules,
) -> Result<Eligible, Vec<Ineligible>> {
    verdict(report, &report.fingerprint(), facts, applying_on, rules)
}

/// [`eligibility`] of many practices on one report (its fingerprint computed once), in the
/// order of `facts`.
pub fn eligibility_of_each<'f>(
    report: &Report,
    facts: impl IntoIterator<Item = &'f PracticeFacts>,
    applying_on: Date,
    rules: &EligibilityRules,
) -> Vec<Result<Eligible, Vec<Ineligible>>> {
    let fingerprint = report.fingerprint();
    facts
        .into_iter()
        .map(|f| verdict(report, &fingerprint, f, applying_on, rules))
        .collect()
}

fn verdict(
    report: &Report,
    fingerprint: &str,
    facts: &PracticeFacts,
    applying_on: Date,
    rules: &EligibilityRules,
) -> Result<Eligible, Vec<Ineligible>> {
    let mut why = Vec::new();
    if !report.final_report {
        why.push(Ineligible::NotFinalReport);
    }
    if let Some(ids) = report
        .computed_with
        .as_ref()
        .and_then(|s| s.selection.as_ref())
    {
        why.push(Ineligible::SelectedMeasures {
            measures: ids.len(),
        });
    }
    if !report.registration.checked {
        why.push(Ineligible::RegistrationNotChecked);
    } else if !report
        .practices
        .iter()
        .any(|p| p.practice == facts.practice && p.tracks.contains(&rules.track))
    {
        why.push(Ineligible::NotRegisteredForQcp);
    }
    let latest = latest_score(report, &facts.practice, &rules.track);
    let last_round = report.rounds.last().copied();
    if let Some(x) = report
        .registration
        .exclusions
        .iter()
        .find(|x| x.excluded && x.practice == facts.practice && Some(x.round) == last_round)
    {
        why.push(Ineligible::Excluded {
            round: x.round,
            reasons: x.reasons.iter().map(ToString::to_string).collect(),
        });
    }
    if let Some(o) = report.overall_quality_scores.iter().find(|o| {
        o.practice == facts.practice && o.track == rules.track && !o.missing_measures.is_empty()
    }) {
        why.push(Ineligible::MissingMeasures {
            measures: o.missing_measures.clone(),
        });
    }
    let (round, score) = match latest {
        Some((round, score, _)) => (Some(round), score),
        None => (None, None),
    };
    // The exact unique-chart count of the report's last round (its participation), whether
    // or not the practice has a score.
    let charts = last_round
        .and_then(|r| {
            report
                .participation
                .iter()
                .find(|p| p.practice == facts.practice && p.round == r)
        })
        .map_or(0, |p| p.charts);
    match score {
        None => why.push(Ineligible::NoScore {
            track: rules.track.clone(),
        }),
        Some(s) if s < rules.oqs_threshold => why.push(Ineligible::ScoreBelowThreshold {
            score: s,
            threshold: rules.oqs_threshold,
        }),
        Some(_) => {}
    }
    if charts < rules.min_unique_charts {
        why.push(Ineligible::TooFewCharts {
            charts,
            minimum: rules.min_unique_charts,
        });
    }
    let valid_until = score_valid_until(report.issued_on, rules);
    if applying_on < report.issued_on {
        why.push(Ineligible::ReportNotYetIssued {
            issued_on: report.issued_on,
            applying_on,
        });
    } else if applying_on > valid_until {
        why.push(Ineligible::ScoreExpired {
            issued_on: report.issued_on,
            valid_until,
            applying_on,
        });
    }
    match facts.webinar {
        None => why.push(Ineligible::NoWebinar),
        Some(w) if w.date > applying_on => why.push(Ineligible::WebinarAfterApplying {
            webinar: w.date,
            applying_on,
        }),
        Some(_) => {}
    }
    match (why.is_empty(), round, score, facts.webinar) {
        (true, Some(round), Some(score), Some(webinar)) => Ok(Eligible {
            practice: facts.practice.clone(),
            round,
            score,
            charts,
            issued_on: report.issued_on,
            valid_until,
            report_fingerprint: fingerprint.to_owned(),
            final_report: report.final_report,
            computed_on: applying_on,
            threshold: rules.oqs_threshold,
            min_unique_charts: rules.min_unique_charts,
            webinar,
        }),
        _ => Err(why),
    }
}

#[cfg(test)]
mod code_tests {
    use super::*;

    #[test]
    fn a_score_or_threshold_past_decimal_range_is_written_not_a_panic() {
        let text = Ineligible::ScoreBelowThreshold {
            score: Decimal::MAX,
            threshold: Decimal::new(75, 2),
        }
        .to_string();
        assert_eq!(
            text,
            format!(
                "Overall Quality Score {}00.0% is below the 75.0% threshold",
                Decimal::MAX
            )
        );
    }

    #[test]
    fn reason_codes_are_the_json_reason_field() {
        let d = Date::from_ymd(2027, 1, 1).unwrap_or(Date::MIN);
        let all = [
            Ineligible::NotFinalReport,
            Ineligible::RegistrationNotChecked,
            Ineligible::NotRegisteredForQcp,
            Ineligible::Excluded {
                round: RoundId::new(2026, 1).unwrap_or_else(|| unreachable!()),
                reasons: vec![],
            },
            Ineligible::MissingMeasures { measures: vec![] },
            Ineligible::NoScore {
                track: "qcp".into(),
            },
            Ineligible::ScoreBelowThreshold {
                score: Decimal::ONE,
                threshold: Decimal::ONE,
            },
            Ineligible::TooFewCharts {
                charts: 1,
                minimum: 2,
            },
            Ineligible::ScoreExpired {
                issued_on: d,
                valid_until: d,
                applying_on: d,
            },
            Ineligible::ReportNotYetIssued {
                issued_on: d,
                applying_on: d,
            },
            Ineligible::NoWebinar,
            Ineligible::WebinarAfterApplying {
                webinar: d,
                applying_on: d,
            },
        ];
        for w in all {
            let json = serde_json::to_value(&w).unwrap_or_default();
            assert_eq!(json["reason"].as_str(), Some(w.code()));
        }
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn a_score_below_the_threshold_is_rounded_half_away_from_zero_not_truncated() {
        let reason = Ineligible::ScoreBelowThreshold {
            score: Decimal::new(74_35, 4),
            threshold: Decimal::new(75, 2),
        };
        assert_eq!(
            reason.to_string(),
            "Overall Quality Score 74.4% is below the 75.0% threshold"
        );
    }
}
