//! `oncoqual certify`: eligibility from a saved report, and the certification workflow log
//! (status, and appending an event when it is legal).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::benchmark::Report;
use crate::certification::{
    EligibilityRules, Event, PracticeFacts, Rules, Standards, Workflow, eligibility,
};
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
        /// The practice facts (JSON: practice, registered_qcp, webinar).
        #[arg(long)]
        facts: PathBuf,
        /// The practice id (must match the facts).
        #[arg(long)]
        practice: String,
        /// The application date (`YYYY-MM-DD`).
        #[arg(long)]
        on: String,
        /// Minimum unique charts (the program sets it per round).
        #[arg(long)]
        min_charts: u64,
    },
    /// The workflow's state, what is done, what is next and the dates that matter.
    Status {
        /// The workflow log (JSON: `{"rules": {...}, "log": [...]}`).
        #[arg(long)]
        log: PathBuf,
        /// The date to judge standing on (default: the last event's date).
        #[arg(long)]
        on: Option<String>,
    },
    /// Append an event to the log if it is legal; otherwise refuse it, log untouched.
    Apply {
        /// The workflow log; created when it does not exist.
        #[arg(long)]
        log: PathBuf,
        /// The event (JSON).
        #[arg(long)]
        event: PathBuf,
    },
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn date(s: &str) -> io::Result<Date> {
    Date::parse(s).ok_or_else(|| invalid(format!("`{s}` is not a date YYYY-MM-DD")))
}

fn read(path: &PathBuf) -> io::Result<String> {
    std::fs::read_to_string(path).map_err(|e| super::with_path(e, path))
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
            match eligibility(
                &report,
                &facts,
                date(on)?,
                &EligibilityRules::new(*min_charts),
            ) {
                Ok(e) => {
                    writeln!(
                        out,
                        "eligible: Overall Quality Score {:.1}% in round {} ({} charts); the score qualifies an application until {}",
                        e.score * rust_decimal::Decimal::ONE_HUNDRED,
                        e.round,
                        e.charts,
                        e.valid_until
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
            let w = Workflow::from_json(&read(log)?, standards)
                .map_err(|e| invalid(format!("{}: {e}", log.display())))?;
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
        Command::Apply { log, event } => {
            let mut w = if log.exists() {
                Workflow::from_json(&read(log)?, standards)
                    .map_err(|e| invalid(format!("{}: {e}", log.display())))?
            } else {
                Workflow::new(Rules::default())
            };
            let e: Event = serde_json::from_str(&read(event)?).map_err(|e| {
                invalid(format!(
                    "{}: line {}, column {}: {e}",
                    event.display(),
                    e.line(),
                    e.column()
                ))
            })?;
            match w.apply(e, standards) {
                Ok(state) => {
                    let phase = state.phase;
                    std::fs::write(log, w.to_json() + "\n")
                        .map_err(|e| super::with_path(e, log))?;
                    writeln!(
                        out,
                        "accepted; phase: {phase}; next: {}",
                        w.status(w.state().last_date.unwrap_or(Date::MIN)).next
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(refused) => {
                    writeln!(io::stderr(), "refused: {refused}")?;
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
