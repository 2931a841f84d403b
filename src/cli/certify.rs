//! `oncoqual certify`: eligibility from a saved report, and the certification workflow log
//! (status, and appending an event when it is legal).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::benchmark::Report;
use crate::certification::{EligibilityRules, Event, PracticeFacts, Rules, Standards, eligibility};
use crate::{Date, PracticeId};

/// Arguments of `oncoqual certify`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Whether a practice may apply, or every reason it may not.
    Eligibility {
        /// The benchmark report (from `oncoqual benchmark`).
        #[arg(long)]
        report: PathBuf,
        /// The practice facts (JSON: practice, webinar). Track registration is read from
        /// the report's registrations.
        #[arg(long)]
        facts: PathBuf,
        /// The practice id (must match the facts).
        #[arg(long)]
        practice: String,
        /// The application date (`YYYY-MM-DD`).
        #[arg(long)]
        on: String,
        /// Minimum unique charts (default: the round calendar's for the report's last
        /// round).
        #[arg(long)]
        min_charts: Option<u64>,
        /// A round-calendar file (its minimum unique charts per round).
        #[arg(long)]
        rounds: Option<PathBuf>,
    },
    /// The workflow's state, what is done, what is next and the dates that matter.
    Status {
        /// The workflow log (append-only lines written by `certify apply`, or the older
        /// single JSON object `{"rules": {...}, "log": [...]}`).
        #[arg(long)]
        log: PathBuf,
        /// The date to judge standing on (default: the last event's date).
        #[arg(long)]
        on: Option<String>,
    },
    /// Append an event to the log if it is legal; otherwise refuse it, log untouched.
    #[command(group = clap::ArgGroup::new("what").required(true).args(["event", "participation_from"]))]
    Apply {
        /// The workflow log; created when it does not exist.
        #[arg(long)]
        log: PathBuf,
        /// The event (JSON).
        #[arg(long)]
        event: Option<PathBuf>,
        /// Record the practice's QOPI participation while certified from a benchmark
        /// report: one `participation_recorded` event per round in which the report counts
        /// charts of the practice (dated the round's closing day), skipping dates already
        /// in the log. Needs `--practice`.
        #[arg(long, requires = "practice")]
        participation_from: Option<PathBuf>,
        /// The practice (with `--participation-from`).
        #[arg(long)]
        practice: Option<String>,
        /// A round-calendar file (the rounds' closing dates).
        #[arg(long)]
        rounds: Option<PathBuf>,
    },
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn date(s: &str) -> io::Result<Date> {
    Date::parse(s).ok_or_else(|| invalid(format!("`{s}` is not a date YYYY-MM-DD")))
}

fn read(path: &std::path::Path) -> io::Result<String> {
    Ok(crate::io::file::read_text(
        path,
        crate::io::file::MAX_DATA_BYTES,
    )?)
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let standards = Standards::bundled();
    let mut out = io::stdout().lock();
    match &args.command {
        Command::Eligibility {
            report,
            facts,
            practice,
            on,
            min_charts,
            rounds,
        } => {
            let report: Report = serde_json::from_str(&read(report)?).map_err(|e| {
                invalid(format!(
                    "report: line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ))
            })?;
            let facts: PracticeFacts = serde_json::from_str(&read(facts)?).map_err(|e| {
                invalid(format!(
                    "facts: line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ))
            })?;
            if PracticeId::new(practice).as_ref() != Some(&facts.practice) {
                return Err(invalid(format!(
                    "the facts are not those of practice `{practice}`"
                )));
            }
            let calendar = super::evaluate::calendar(rounds.as_deref())?;
            let min_charts = min_charts.unwrap_or_else(|| {
                report.rounds.last().map_or(
                    crate::round::RoundSchedule::DEFAULT_MIN_UNIQUE_CHARTS,
                    |r| calendar.schedule(*r).min_unique_charts,
                )
            });
            match eligibility(
                &report,
                &facts,
                date(on)?,
                &EligibilityRules::new(min_charts),
            ) {
                Ok(e) => {
                    writeln!(
                        out,
                        "eligible: Overall Quality Score {:.1}% in round {} ({} charts); the score qualifies an application until {}; report {}",
                        crate::benchmark::Hundredfold::new(e.score),
                        e.round,
                        e.charts,
                        e.valid_until,
                        e.report_fingerprint
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(why) => {
                    writeln!(out, "not eligible:")?;
                    for w in why {
                        writeln!(out, "  - {w}")?;
                    }
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Status { log, on } => {
            let w = super::logstore::read(log, standards)?;
            let on = match on {
                Some(d) => date(d)?,
                None => w.state().last_date.unwrap_or(Date::MIN),
            };
            let st = w.status(on);
            writeln!(out, "phase: {}", st.phase)?;
            writeln!(
                out,
                "standing on {on}: {}",
                serde_json::to_value(st.standing)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            )?;
            writeln!(out, "done:")?;
            for d in &st.done {
                writeln!(out, "  {d}")?;
            }
            writeln!(out, "next: {}", st.next)?;
            for (k, v) in &st.dates {
                writeln!(out, "{k}: {v}")?;
            }
            for r in &st.risks {
                writeln!(out, "at risk: {r}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply {
            log,
            event,
            participation_from,
            practice,
            rounds,
        } => {
            // The log is read and written; every other file is only read, and may not be it.
            let mut inputs: Vec<&std::path::Path> = Vec::new();
            inputs.extend(event.as_deref());
            inputs.extend(participation_from.as_deref());
            inputs.extend(rounds.as_deref());
            for input in &inputs {
                if super::output::same_file(log, input) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "{}: refused: the log is also an input (`{}`)",
                            log.display(),
                            input.display()
                        ),
                    ));
                }
            }
            // Read before the lock is taken: these do not depend on the log.
            let event = match event {
                Some(event) => Some(serde_json::from_str::<Event>(&read(event)?).map_err(|e| {
                    invalid(format!(
                        "{}: line {}, column {}: {e}",
                        event.display(),
                        e.line(),
                        e.column()
                    ))
                })?),
                None => None,
            };
            let participation = match (&event, participation_from, practice) {
                (Some(_), _, _) => None,
                (None, Some(path), Some(practice)) => {
                    let calendar = super::evaluate::calendar(rounds.as_deref())?;
                    Some(participation_dates(path, practice, &calendar)?)
                }
                _ => {
                    return Err(invalid(
                        "give --event, or --participation-from with --practice".into(),
                    ));
                }
            };
            let appended = super::logstore::append(log, Rules::default(), standards, |state| {
                Ok(match (event, participation) {
                    (Some(e), _) => vec![e],
                    (None, Some(dates)) => dates
                        .into_iter()
                        .filter(|d| !state.participation.contains(d))
                        .map(|date| Event::ParticipationRecorded { date })
                        .collect(),
                    (None, None) => Vec::new(),
                })
            })?;
            match appended {
                super::logstore::Appended::Nothing => {
                    writeln!(
                        out,
                        "nothing to record: every participation of the report is already in the log"
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                super::logstore::Appended::Refused(name, refused) => {
                    writeln!(io::stderr(), "refused: {name}: {refused}")?;
                    Ok(ExitCode::from(1))
                }
                super::logstore::Appended::Accepted(state) => {
                    writeln!(
                        out,
                        "accepted; phase: {}; next: {}",
                        state.phase,
                        state.next_step()
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

/// The closing days of the rounds in which a report counts charts of `practice` (one
/// `participation_recorded` event each, unless the log already holds the date).
fn participation_dates(
    report: &std::path::Path,
    practice: &str,
    calendar: &crate::RoundCalendar,
) -> io::Result<Vec<Date>> {
    let text = crate::io::file::read_text(report, crate::io::file::MAX_DATA_BYTES)?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "{}: line {}, column {}: {e}",
            report.display(),
            e.line(),
            e.column()
        ))
    })?;
    let id = PracticeId::new(practice)
        .ok_or_else(|| invalid(format!("`{practice}` is not a practice id")))?;
    let rounds: Vec<crate::RoundId> = report
        .participation
        .iter()
        .filter(|p| p.practice == id && p.charts > 0)
        .map(|p| p.round)
        .collect();
    if rounds.is_empty() {
        let why = if report
            .registration
            .exclusions
            .iter()
            .any(|x| x.practice == id && x.excluded)
        {
            "its charts were excluded for registration problems"
        } else {
            "it has no charts in the report"
        };
        return Err(invalid(format!(
            "the report records no participation of practice `{practice}`: {why}"
        )));
    }
    Ok(rounds
        .into_iter()
        .map(|r| calendar.schedule(r).closes)
        .collect())
}
