//! `oncoqual certify`: eligibility from a saved report, the certification workflow log
//! (status, and appending an event when it is legal; an application opens only from a
//! verdict checked against its report), and the documents the program issues from a log
//! (the CCR, the certificate, the public listing).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::benchmark::Report;
use crate::certification::{
    Certificate, ComplianceReport, EligibilityRules, Event, Ineligible, PracticeFacts, Rules,
    Standards, Workflow, eligibility, listing, score_review_deadline,
};
use crate::{Date, PracticeId};

/// Arguments of `oncoqual certify`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

/// What eligibility is judged by (the program's configurable rules).
#[derive(Debug, Clone, clap::Args)]
struct RulesArgs {
    /// Minimum unique charts (default: the round calendar's for the report's last round).
    #[arg(long)]
    min_charts: Option<u64>,
    /// A round-calendar file (its minimum unique charts per round, its closing dates).
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// Minimum Overall Quality Score, as a fraction (default 0.75).
    #[arg(long)]
    threshold: Option<rust_decimal::Decimal>,
    /// Days after a report within which a practice below the threshold may request a
    /// review of its score (default 10).
    #[arg(long)]
    score_review_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DocFormat {
    Text,
    Html,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ListingFormat {
    Json,
    Html,
    Text,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Whether a practice may apply, or every reason it may not (and, below the
    /// threshold, the last day to request a review of the score).
    #[command(
        after_help = "Example:\n  oncoqual certify eligibility --report report.json --facts facts.json --practice P001 --on 2026-09-01"
    )]
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
        #[command(flatten)]
        rules: RulesArgs,
        /// `json` prints the verdict itself (what `application_opened` records).
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// The workflow's state: cycle, time since the application, what is done, what is
    /// overdue, what is next, the dates that matter and the CCR's requirements.
    #[command(after_help = "Example:\n  oncoqual certify status --log P001.log --on 2027-03-01")]
    Status {
        /// The workflow log (append-only lines written by `certify apply`, or the older
        /// single JSON object `{"rules": {...}, "log": [...]}`).
        #[arg(long)]
        log: PathBuf,
        /// The date to judge standing on (default: the last event's date).
        #[arg(long)]
        on: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Append an event to the log if it is legal; otherwise refuse it, log untouched.
    /// An application opens only from an eligibility verdict checked against its report:
    /// `--open` computes it, and an `application_opened` event given with `--event` is
    /// verified against `--report` and `--facts`.
    #[command(group = clap::ArgGroup::new("what").required(true).args(["event", "open", "participation_from"]))]
    #[command(
        after_help = "Example:\n  oncoqual certify apply --log P001.log --open --report report.json --facts facts.json --on 2026-09-01\n  oncoqual certify apply --log P001.log --event event.json"
    )]
    Apply {
        /// The workflow log; created when it does not exist.
        #[arg(long)]
        log: PathBuf,
        /// The event (JSON).
        #[arg(long)]
        event: Option<PathBuf>,
        /// Open an application (a new cycle) from the verdict computed on `--report` and
        /// `--facts` on `--on`.
        #[arg(long, requires_all = ["report", "facts", "on"])]
        open: bool,
        /// The final report the application's verdict comes from.
        #[arg(long)]
        report: Option<PathBuf>,
        /// The practice facts (JSON: practice, webinar).
        #[arg(long)]
        facts: Option<PathBuf>,
        /// The application date (with `--open`).
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        rules: RulesArgs,
        /// The workflow rules of a new log (JSON: the fields of the rules; missing ones
        /// take their defaults). Refused for an existing log with other rules.
        #[arg(long)]
        workflow_rules: Option<PathBuf>,
        /// Record the practice's QOPI participation while certified from a benchmark
        /// report: one `participation_recorded` event per round in which the report counts
        /// charts of the practice (dated the round's closing day), skipping dates already
        /// in the log. Needs `--practice`.
        #[arg(long, requires = "practice")]
        participation_from: Option<PathBuf>,
        /// The practice (with `--participation-from`).
        #[arg(long)]
        practice: Option<String>,
    },
    /// The Certification Compliance Report of the log's current cycle: per standard and
    /// element the level, the methods and evidence, the committee's amendments, the
    /// requirements with the element text, and the action plan's coverage.
    #[command(
        after_help = "Example:\n  oncoqual certify ccr --log P001.log --format html -o ccr.html"
    )]
    Ccr {
        /// The workflow log.
        #[arg(long)]
        log: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DocFormat::Text)]
        format: DocFormat,
        /// Write here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// The certificate text the plaque carries: practice, term, standards met.
    #[command(
        after_help = "Example:\n  oncoqual certify certificate --log P001.log --on 2027-06-01"
    )]
    Certificate {
        /// The workflow log.
        #[arg(long)]
        log: PathBuf,
        /// The date it must be valid on (default: the last event's date).
        #[arg(long)]
        on: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        /// Write here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// The public listing: the practices certified on a date, with their term, from a
    /// folder of workflow logs (one per practice; `*.lock`, `*.state` and hidden files are
    /// skipped; any other file must be a log).
    #[command(after_help = "Example:\n  oncoqual certify listing --logs logs/ --on 2027-06-01")]
    Listing {
        /// The folder of logs.
        #[arg(long)]
        logs: PathBuf,
        /// The date of the listing.
        #[arg(long)]
        on: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListingFormat::Json)]
        format: ListingFormat,
        /// Write here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn date(s: &str) -> io::Result<Date> {
    Date::parse(s).ok_or_else(|| invalid(format!("`{s}` is not a date YYYY-MM-DD")))
}

fn read(path: &Path) -> io::Result<String> {
    Ok(crate::io::file::read_text(
        path,
        crate::io::file::MAX_DATA_BYTES,
    )?)
}

fn json<T: serde::de::DeserializeOwned>(path: &Path) -> io::Result<T> {
    serde_json::from_str(&read(path)?).map_err(|e| invalid(json_error(path, &e)))
}

/// `FILE: line L, column C: message`, the message without serde_json's own " at line …"
/// suffix; an error found after the document was buffered (the fields of a tagged event)
/// has no position, and then none is invented.
fn json_error(path: &Path, e: &serde_json::Error) -> String {
    let full = e.to_string();
    let message = full.rfind(" at line ").map_or(&full[..], |i| &full[..i]);
    if e.line() == 0 {
        format!("{}: {message}", path.display())
    } else {
        format!(
            "{}: line {}, column {}: {message}",
            path.display(),
            e.line(),
            e.column()
        )
    }
}

/// The eligibility rules of a command: the defaults, the round calendar's minimum for the
/// report's last round, and the flags.
fn eligibility_rules(args: &RulesArgs, report: &Report) -> io::Result<EligibilityRules> {
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    let min_charts = args.min_charts.unwrap_or_else(|| {
        report.rounds.last().map_or(
            crate::chart::round::RoundSchedule::DEFAULT_MIN_UNIQUE_CHARTS,
            |r| calendar.schedule(*r).min_unique_charts,
        )
    });
    let mut rules = EligibilityRules::new(min_charts);
    if let Some(t) = args.threshold {
        if t <= rust_decimal::Decimal::ZERO || t > rust_decimal::Decimal::ONE {
            return Err(invalid(format!(
                "--threshold {t} is not a fraction in (0, 1]"
            )));
        }
        rules.oqs_threshold = t;
    }
    if let Some(d) = args.score_review_days {
        rules.score_review_days = d;
    }
    Ok(rules)
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// Writes `text` to `-o` (temp + rename, never over an input) or standard output.
fn emit(output: Option<&Path>, inputs: &[&Path], text: &str) -> io::Result<()> {
    match output {
        Some(path) => super::output::write_file(path, inputs, text.as_bytes()),
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()
        }
    }
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let standards = Standards::bundled();
    match &args.command {
        Command::Eligibility {
            report,
            facts,
            practice,
            on,
            rules,
            format,
        } => {
            let report: Report = json(report)?;
            let facts: PracticeFacts = json(facts)?;
            if PracticeId::new(practice).as_ref() != Some(&facts.practice) {
                return Err(invalid(format!(
                    "the facts are not those of practice `{practice}`"
                )));
            }
            let rules = eligibility_rules(rules, &report)?;
            let on = date(on)?;
            let verdict = eligibility(&report, &facts, on, &rules);
            let below = matches!(&verdict, Err(why) if why.iter().any(|w| matches!(w, Ineligible::ScoreBelowThreshold { .. })));
            let review_until = below.then(|| score_review_deadline(report.issued_on, &rules));
            let mut out = io::stdout().lock();
            match (format, &verdict) {
                (TextOrJson::Json, Ok(v)) => {
                    write!(out, "{}", to_json(&serde_json::json!({ "eligible": v })))?;
                }
                (TextOrJson::Json, Err(why)) => {
                    write!(
                        out,
                        "{}",
                        to_json(&serde_json::json!({
                            "not_eligible": why,
                            "score_review_until": review_until,
                        }))
                    )?;
                }
                (TextOrJson::Text, Ok(e)) => writeln!(
                    out,
                    "eligible: Overall Quality Score {} in round {} ({} charts; threshold {}); the score qualifies an application until {}; report {}",
                    crate::report::percent(e.score, 1),
                    e.round,
                    e.charts,
                    crate::report::percent(e.threshold, 1),
                    e.valid_until,
                    e.report_fingerprint
                )?,
                (TextOrJson::Text, Err(why)) => {
                    writeln!(out, "not eligible:")?;
                    for w in why {
                        writeln!(out, "  - {w}")?;
                    }
                    if let Some(until) = review_until {
                        if on <= until {
                            writeln!(
                                out,
                                "a review of the score may be requested until {until} ({} days after the report of {})",
                                rules.score_review_days, report.issued_on
                            )?;
                        } else {
                            writeln!(
                                out,
                                "the window to request a review of the score closed on {until} ({} days after the report of {})",
                                rules.score_review_days, report.issued_on
                            )?;
                        }
                    }
                }
            }
            Ok(if verdict.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Status { log, on, format } => {
            let w = super::logstore::read(log, standards)?;
            let on = match on {
                Some(d) => date(d)?,
                None => w.state().last_date.unwrap_or(Date::MIN),
            };
            // On a date before the last event, the log as it stood at the end of that day.
            let w = if w.state().last_date.is_some_and(|last| on < last) {
                w.as_of(on, standards)
            } else {
                w
            };
            let st = w.status(on);
            let ccr = ComplianceReport::of(&w, standards).ok();
            let mut out = io::stdout().lock();
            if *format == TextOrJson::Json {
                write!(
                    out,
                    "{}",
                    to_json(&serde_json::json!({
                        "on": on,
                        "status": st,
                        "past_cycles": w.state().past_cycles,
                        "ccr": ccr,
                    }))
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            writeln!(out, "phase: {}", st.phase)?;
            writeln!(out, "standing on {on}: {}", st.standing)?;
            if st.cycle > 0 {
                write!(out, "cycle: {}", st.cycle)?;
                if let Some(m) = st.months_since_application {
                    write!(
                        out,
                        "; {m} month{} since the application (typically {}–{})",
                        if m == 1 { "" } else { "s" },
                        st.typical_months.0,
                        st.typical_months.1
                    )?;
                }
                writeln!(out)?;
            }
            for p in &w.state().past_cycles {
                writeln!(
                    out,
                    "earlier cycle {}: applied {}, ended {} ({})",
                    p.cycle,
                    p.applied_on,
                    p.ended_on,
                    serde_json::to_value(p.end)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                )?;
            }
            writeln!(out, "done:")?;
            for d in &st.done {
                writeln!(out, "  {d}")?;
            }
            writeln!(out, "next: {}", st.next)?;
            for o in &st.overdue {
                writeln!(out, "overdue: {o}")?;
            }
            for (k, v) in &st.dates {
                writeln!(out, "{k}: {v}")?;
            }
            for r in &st.risks {
                writeln!(out, "at risk: {r}")?;
            }
            if let Some(ccr) = ccr {
                let met = ccr
                    .standards
                    .iter()
                    .filter(|s| !s.level.is_requirement())
                    .count();
                writeln!(
                    out,
                    "CCR of {}: {met} of {} standards met or not applicable (full report: `certify ccr`)",
                    ccr.issued_on,
                    ccr.standards.len()
                )?;
                for r in &ccr.requirements {
                    let state = r
                        .met_on_documentation
                        .map_or_else(|| "open".to_owned(), |d| format!("met {d}"));
                    writeln!(
                        out,
                        "  requirement {} {} ({}, {state})",
                        r.standard, r.title, r.level
                    )?;
                    for (n, text, level) in &r.elements {
                        writeln!(out, "    element {n} ({level}): {text}")?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply {
            log,
            event,
            open,
            report,
            facts,
            on,
            rules,
            workflow_rules,
            participation_from,
            practice,
        } => apply(
            log,
            ApplyWhat {
                event: event.as_deref(),
                open: *open,
                report: report.as_deref(),
                facts: facts.as_deref(),
                on: on.as_deref(),
                rules,
                workflow_rules: workflow_rules.as_deref(),
                participation_from: participation_from.as_deref(),
                practice: practice.as_deref(),
            },
            standards,
        ),
        Command::Ccr {
            log,
            format,
            output,
        } => {
            let w = super::logstore::read(log, standards)?;
            let ccr = ComplianceReport::of(&w, standards)
                .map_err(|e| invalid(format!("{}: {e}", log.display())))?;
            let text = match format {
                DocFormat::Text => ccr.to_string(),
                DocFormat::Json => to_json(&ccr),
                DocFormat::Html => crate::report::certification::ccr_page(&ccr),
            };
            emit(output.as_deref(), &[log.as_path()], &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Certificate {
            log,
            on,
            format,
            output,
        } => {
            let w = super::logstore::read(log, standards)?;
            let on = match on {
                Some(d) => date(d)?,
                None => w.state().last_date.unwrap_or(Date::MIN),
            };
            let c = Certificate::of(&w, standards, on)
                .map_err(|e| invalid(format!("{}: {e}", log.display())))?;
            let text = match format {
                TextOrJson::Text => c.to_string(),
                TextOrJson::Json => to_json(&c),
            };
            emit(output.as_deref(), &[log.as_path()], &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Listing {
            logs,
            on,
            format,
            output,
        } => {
            let on = date(on)?;
            let files = log_files(logs)?;
            let mut workflows = Vec::with_capacity(files.len());
            // Every log is read, and every one that cannot be is named: a listing without a
            // practice whose log is unreadable would be wrong, so none is published then.
            let mut unreadable = Vec::new();
            for f in &files {
                match super::logstore::read(f, standards) {
                    Ok(w) => workflows.push(w),
                    Err(e) => unreadable.push(e.to_string()),
                }
            }
            if !unreadable.is_empty() {
                return Err(invalid(format!(
                    "{}\nrefused: {} of {} logs in {} could not be read; no listing is written without them",
                    unreadable.join("\n"),
                    unreadable.len(),
                    files.len(),
                    logs.display()
                )));
            }
            let listed = listing(&workflows, on, standards).map_err(|e| {
                let name = |i: usize| {
                    files
                        .get(i)
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                };
                invalid(format!(
                    "{} and {} are both practice `{}`'s logs: one log per practice, refusing to list it twice",
                    name(e.first),
                    name(e.second),
                    e.practice
                ))
            })?;
            let text = match format {
                ListingFormat::Json => to_json(&serde_json::json!({
                    "on": on,
                    "certified": listed,
                })),
                ListingFormat::Html => crate::report::certification::listing_page(&listed, on),
                ListingFormat::Text => {
                    let mut t = format!("QOPI Certified practices on {on}: {}\n", listed.len());
                    for l in &listed {
                        t += &format!(
                            "{}  certified {}  through {}\n",
                            l.practice.as_str(),
                            l.certified_on,
                            l.expires_on
                        );
                    }
                    t
                }
            };
            let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
            emit(output.as_deref(), &inputs, &text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The logs of a folder, sorted by name: every regular file but hidden ones and the
/// `.lock` and `.state` files the log store keeps beside each log.
fn log_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| super::with_path(e, dir))? {
        let entry = entry.map_err(|e| super::with_path(e, dir))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".lock") || name.ends_with(".state") {
            continue;
        }
        if entry
            .file_type()
            .map_err(|e| super::with_path(e, &path))?
            .is_file()
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

struct ApplyWhat<'a> {
    event: Option<&'a Path>,
    open: bool,
    report: Option<&'a Path>,
    facts: Option<&'a Path>,
    on: Option<&'a str>,
    rules: &'a RulesArgs,
    workflow_rules: Option<&'a Path>,
    participation_from: Option<&'a Path>,
    practice: Option<&'a str>,
}

fn apply(log: &Path, what: ApplyWhat<'_>, standards: &Standards) -> io::Result<ExitCode> {
    // The log is read and written; every other file is only read, and may not be it.
    let mut inputs: Vec<&Path> = Vec::new();
    inputs.extend(what.event);
    inputs.extend(what.report);
    inputs.extend(what.facts);
    inputs.extend(what.participation_from);
    inputs.extend(what.rules.rounds.as_deref());
    inputs.extend(what.workflow_rules);
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
    let rules_if_new = match what.workflow_rules {
        None => Rules::default(),
        Some(path) => {
            let rules: Rules = json(path)?;
            rules
                .validate()
                .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            if log.exists() {
                let existing = super::logstore::read(log, standards)?;
                if existing.rules != rules {
                    return Err(invalid(format!(
                        "{}: the log's rules are fixed when it is created; {} holds other rules",
                        log.display(),
                        path.display()
                    )));
                }
            }
            rules
        }
    };
    // Read before the lock is taken: these do not depend on the log.
    let mut event = match what.event {
        Some(path) => Some(json::<Event>(path)?),
        None => None,
    };
    let gate = |verdict_report: &Path, facts: &Path| -> io::Result<(Report, PracticeFacts)> {
        Ok((json(verdict_report)?, json(facts)?))
    };
    if what.open {
        let (Some(report_path), Some(facts_path), Some(on)) = (what.report, what.facts, what.on)
        else {
            return Err(invalid("--open needs --report, --facts and --on".into()));
        };
        let (report, facts) = gate(report_path, facts_path)?;
        let rules = eligibility_rules(what.rules, &report)?;
        let on = date(on)?;
        match eligibility(&report, &facts, on, &rules) {
            Ok(verdict) => {
                event = Some(Event::ApplicationOpened {
                    date: on,
                    verdict: Box::new(verdict),
                });
            }
            Err(why) => {
                let mut err = io::stderr().lock();
                writeln!(
                    err,
                    "refused: application_opened: the practice is not eligible on {on}:"
                )?;
                for w in why {
                    writeln!(err, "  - {w}")?;
                }
                return Ok(ExitCode::from(1));
            }
        }
    } else if let Some(Event::ApplicationOpened { verdict, .. }) = &event {
        let (Some(report_path), Some(facts_path)) = (what.report, what.facts) else {
            writeln!(
                io::stderr(),
                "refused: application_opened: an application opens only from a verdict checked against its report: give --report and --facts (or use --open)"
            )?;
            return Ok(ExitCode::from(1));
        };
        let (report, facts) = gate(report_path, facts_path)?;
        let rules = eligibility_rules(what.rules, &report)?;
        if let Err(why) = Workflow::verify_verdict(verdict, &report, &facts, &rules) {
            writeln!(
                io::stderr(),
                "refused: application_opened: {}: {why}",
                report_path.display()
            )?;
            return Ok(ExitCode::from(1));
        }
    }
    let participation = match (&event, what.participation_from, what.practice) {
        (Some(_), _, _) => None,
        (None, Some(path), Some(practice)) => {
            let calendar = super::evaluate::calendar(what.rules.rounds.as_deref())?;
            Some(participation_dates(path, practice, &calendar)?)
        }
        _ => {
            return Err(invalid(
                "give --event, --open, or --participation-from with --practice".into(),
            ));
        }
    };
    let appended = super::logstore::append(log, rules_if_new, standards, |state| {
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
    let mut out = io::stdout().lock();
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

/// The closing days of the rounds in which a report counts charts of `practice` (one
/// `participation_recorded` event each, unless the log already holds the date).
fn participation_dates(
    report: &Path,
    practice: &str,
    calendar: &crate::RoundCalendar,
) -> io::Result<Vec<Date>> {
    let report: Report = json(report)?;
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
