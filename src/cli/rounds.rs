//! `oncoqual rounds`: the round calendar as the program runs it (reporting periods,
//! submission windows, minimums) and the notices due on a day, addressed to the registered
//! practices.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::program::Practices;
use crate::{Date, DueNotice, RoundCalendar, RoundId, RoundSchedule};

/// Practice ids printed per line before `and N more`.
const IDS_SHOWN: usize = 10;

/// Arguments of `oncoqual rounds`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A rounds file overriding the defaults (periods, windows, minimums, reminders, notices).
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// The first round listed (default: the round open for submissions on `--on` or today,
    /// else the one reporting on that day, else the rounds in the file).
    #[arg(long, value_name = "ROUND")]
    from: Option<RoundId>,
    /// How many rounds to list.
    #[arg(long, value_name = "N", default_value_t = 4)]
    count: usize,
    /// The day (`YYYY-MM-DD`; default: today, UTC); with it, the notices due that day.
    #[arg(long, value_name = "DATE")]
    on: Option<Date>,
    /// A practices file: address the day's notices to the registered practices (needs `--on`).
    #[arg(long, value_name = "FILE", requires = "on")]
    practices: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// The practices a day's notices reach, and those they do not, with why.
#[derive(Debug, Default, Serialize)]
struct Addressed {
    /// Registered without problems on or before the day.
    notified: Vec<String>,
    /// Registration has problems (each with its problems).
    registration_problems: Vec<Problems>,
    /// Registered after the day.
    registered_later: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Problems {
    id: String,
    problems: Vec<String>,
}

#[derive(Debug, Serialize)]
struct NoticeOut<'a> {
    #[serde(flatten)]
    notice: &'a DueNotice,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    practices: Option<&'a [String]>,
}

#[derive(Debug, Serialize)]
struct Output<'a> {
    rounds: &'a [RoundSchedule],
    #[serde(skip_serializing_if = "Option::is_none")]
    on: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notices: Option<Vec<NoticeOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    practices: Option<&'a Addressed>,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Today's date (UTC), from the system clock.
fn today() -> io::Result<Date> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| invalid("the system clock is before 1970".to_owned()))?
        .as_secs();
    let days = i64::try_from(secs / 86_400)
        .map_err(|_| invalid("the system clock is out of range".to_owned()))?;
    Date::from_ymd(1970, 1, 1)
        .and_then(|d| d.add_days(days))
        .ok_or_else(|| invalid("the system clock is out of range".to_owned()))
}

/// The rounds to list.
fn listed(cal: &RoundCalendar, from: Option<RoundId>, day: Date, count: usize) -> Vec<RoundId> {
    let first = from
        .or_else(|| cal.round_open_on(day))
        .or_else(|| cal.round_reporting_on(day));
    match first {
        Some(r) => std::iter::successors(Some(r), |r| r.next())
            .take(count)
            .collect(),
        None => cal.rounds().take(count).collect(),
    }
}

/// Sorts the practices into those a notice on `day` reaches and those it does not.
fn address(practices: &Practices, day: Date) -> Addressed {
    let mut out = Addressed::default();
    for p in practices.iter() {
        let id = p.id.as_str().to_owned();
        let problems = p.registration_problems();
        if p.registered_on > day {
            out.registered_later.push(id);
        } else if !problems.is_empty() {
            out.registration_problems.push(Problems {
                id,
                problems: problems.iter().map(ToString::to_string).collect(),
            });
        } else {
            out.notified.push(id);
        }
    }
    out
}

/// `P0001, P0002, ..., and 3 more`: the first few ids, then how many are left.
fn some_ids<'a>(ids: impl ExactSizeIterator<Item = &'a String>) -> String {
    let n = ids.len();
    let mut text = ids
        .take(IDS_SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(more) = n.checked_sub(IDS_SHOWN).filter(|m| *m > 0) {
        text.push_str(&format!(", and {more} more"));
    }
    text
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let cal = super::evaluate::calendar(args.rounds.as_deref())?;
    let practices = match &args.practices {
        None => None,
        Some(p) => {
            let text = crate::io::file::read_text(p, crate::io::file::MAX_CONFIG_BYTES)?;
            Some(
                Practices::from_json(&text)
                    .map_err(|e| invalid(format!("{}: {e}", p.display())))?,
            )
        }
    };
    let day = match args.on {
        Some(d) => d,
        None => today()?,
    };
    let schedules: Vec<RoundSchedule> = listed(&cal, args.from, day, args.count)
        .into_iter()
        .map(|r| cal.schedule(r))
        .collect();
    let due = args.on.map(|d| cal.notices_on(d));
    let addressed = match (&practices, args.on) {
        (Some(p), Some(d)) => Some(address(p, d)),
        _ => None,
    };

    let mut out = io::BufWriter::new(io::stdout().lock());
    if args.json {
        let notices = due.as_ref().map(|due| {
            due.iter()
                .map(|n| NoticeOut {
                    notice: n,
                    message: n.to_string(),
                    practices: addressed.as_ref().map(|a| a.notified.as_slice()),
                })
                .collect()
        });
        let output = Output {
            rounds: &schedules,
            on: args.on,
            notices,
            practices: addressed.as_ref(),
        };
        serde_json::to_writer_pretty(&mut out, &output).map_err(io::Error::other)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }

    writeln!(
        out,
        "{:<7} {:<22} {:<22} {:>13} {:>10}",
        "round", "reporting period", "submissions", "min completed", "min unique"
    )?;
    for s in &schedules {
        writeln!(
            out,
            "{:<7} {:<22} {:<22} {:>13} {:>10}",
            s.round.to_string(),
            s.period.to_string(),
            s.window().to_string(),
            s.min_charts_completed,
            s.min_unique_charts
        )?;
    }
    if let (Some(on), Some(due)) = (args.on, &due) {
        writeln!(out)?;
        if due.is_empty() {
            writeln!(out, "no notices due on {on}")?;
        } else {
            writeln!(out, "notices due on {on}:")?;
        }
        for n in due {
            match &addressed {
                None => writeln!(out, "{n}")?,
                Some(a) if a.notified.is_empty() => writeln!(out, "{n}: no practices")?,
                Some(a) => writeln!(
                    out,
                    "{n}: {} ({})",
                    plural(a.notified.len(), "practice", "practices"),
                    some_ids(a.notified.iter())
                )?,
            }
        }
        if let Some(a) = &addressed {
            let problems = a.registration_problems.len();
            let later = a.registered_later.len();
            let mut why = Vec::new();
            if problems > 0 {
                let ids: Vec<&String> = a.registration_problems.iter().map(|p| &p.id).collect();
                why.push(format!(
                    "{} with registration problems ({})",
                    problems,
                    some_ids(ids.into_iter())
                ));
            }
            if later > 0 {
                why.push(format!(
                    "{later} registered after {on} ({})",
                    some_ids(a.registered_later.iter())
                ));
            }
            let reason = if why.is_empty() {
                String::new()
            } else {
                format!(": {}", why.join("; "))
            };
            writeln!(
                out,
                "not notified: {}{reason}",
                // Two list lengths: far below `usize::MAX`.
                plural(problems.saturating_add(later), "practice", "practices")
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
