//! `oncoqual demo`: the main job on bundled defaults. A seeded synthetic national round
//! (practices with their registrations, charts over two rounds) is evaluated against the
//! bundled measure library, aggregated, and every practice's certification eligibility is
//! checked; the reports are written into a directory and a short summary is printed.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::Decimal;

use crate::benchmark::{Report, ReportOptions, Tally, quantile_type7, tally_parallel};
use crate::certification::{EligibilityRules, PracticeFacts, Webinar, WebinarFormat};
use crate::chart::ChartKey;
use crate::measure::Library;
use crate::report::ReportView;
use crate::round::RoundSchedule;
use crate::synth::{self, SynthConfig};
use crate::{Chart, RoundCalendar};

/// Arguments of `oncoqual demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where to write the reports.
    #[arg(long, default_value = "oncoqual-demo")]
    out: PathBuf,
    /// Synthetic charts (over both rounds).
    #[arg(long, default_value_t = 50_000)]
    charts: usize,
    /// Synthetic practices.
    #[arg(long, default_value_t = 200)]
    practices: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Minimum unique charts for certification eligibility (default: the round calendar's,
    /// 100).
    #[arg(long)]
    min_charts: Option<u64>,
}

const BATCH: usize = 4096;

fn bar(len: u64, what: &'static str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if io::stderr().is_terminal() {
        pb.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(what);
    } else {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    pb
}

/// Writes a whole file (temporary file and rename): the demo reads no file, so there is no
/// input to refuse.
fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    super::write_file(path, &[], bytes)
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let started = std::time::Instant::now();
    let lib = match Library::bundled() {
        Ok(l) => l,
        Err(errors) => {
            writeln!(io::stderr(), "{errors}")?;
            return Ok(ExitCode::from(1));
        }
    };
    if args.practices == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--practices must be at least 1",
        ));
    }
    std::fs::create_dir_all(&args.out).map_err(|e| super::with_path(e, &args.out))?;
    let config = SynthConfig::new(args.charts, args.practices, 2, args.seed);
    let practices = synth::practices(&config);
    let calendar = RoundCalendar::new();

    // Generate and evaluate in batches: memory is one batch plus the tally.
    let pb = bar(args.charts as u64, "evaluating");
    let mut tally = Tally::new();
    let mut batch: Vec<Chart> = Vec::with_capacity(BATCH);
    let mut flush = |batch: &mut Vec<Chart>| -> io::Result<()> {
        let part = tally_parallel(lib, &ChartKey::unkeyed(), batch, |c| {
            calendar.period(c.round)
        })
        .and_then(|t| tally.merge(&t));
        part.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        pb.inc(batch.len() as u64);
        batch.clear();
        Ok(())
    };
    for i in 0..args.charts {
        batch.push(synth::chart(&config, i));
        if batch.len() == BATCH {
            flush(&mut batch)?;
        }
    }
    if !batch.is_empty() {
        flush(&mut batch)?;
    }
    pb.finish_and_clear();

    let last_round = tally.rounds().last().copied();
    // The final report is issued two weeks after the last round's submission window
    // closes.
    let issued_on = last_round
        .and_then(|r| calendar.schedule(r).closes.add_days(14))
        .unwrap_or(crate::Date::MIN);
    let report = Report::build_for(
        &tally,
        lib,
        &calendar,
        &ReportOptions::default(),
        issued_on,
        true,
        &practices,
    )
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;

    // Eligibility of every practice, with synthetic facts: practices registered for `qcp`
    // attended the webinar (live or recorded) a month before applying, except every seventh.
    let applying_on = issued_on.add_days(30).unwrap_or(issued_on);
    let min_charts = args.min_charts.unwrap_or_else(|| {
        last_round.map_or(RoundSchedule::DEFAULT_MIN_UNIQUE_CHARTS, |r| {
            calendar.schedule(r).min_unique_charts
        })
    });
    let rules = EligibilityRules::new(min_charts);
    let facts: Vec<PracticeFacts> = practices
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let webinar = (k % 7 != 0).then(|| Webinar {
                date: issued_on.add_days(5).unwrap_or(issued_on),
                format: if k % 2 == 0 {
                    WebinarFormat::Live
                } else {
                    WebinarFormat::Recorded
                },
            });
            PracticeFacts::new(p.id.clone(), webinar)
        })
        .collect();
    let view = super::report::with_eligibility(
        ReportView::new(&report)
            .with_library(lib)
            .with_rules(&rules),
        &report,
        &facts,
        applying_on,
        &rules,
    );
    let (_, eligible, reasons) = view.eligibility_summary();

    // Write the reports.
    let pb = bar(7, "writing");
    write(
        &args.out.join("report.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    pb.inc(1);
    write(
        &args.out.join("practices.json"),
        practices.to_json().as_bytes(),
    )?;
    write(
        &args.out.join("facts.json"),
        serde_json::to_string_pretty(&facts)?.as_bytes(),
    )?;
    pb.inc(1);
    write(
        &args.out.join("tally.json"),
        serde_json::to_string(&tally)?.as_bytes(),
    )?;
    pb.inc(1);
    super::report::write_csv(&view, &args.out, &[])?;
    pb.inc(1);
    let html_dir = args.out.join("html");
    // The demo is the operator's run: it asks for the national index (which names every
    // practice) beside the practice folders, explicitly.
    let national_index = true;
    let pages = super::report::write_html(&view, &html_dir, &[], national_index)?;
    pb.inc(2);
    let fhir_path = args.out.join("measure-reports.ndjson");
    let mut fhir_out = super::output(Some(&fhir_path), &[])?;
    let resources = super::report::write_fhir(&view, &mut fhir_out)?;
    fhir_out.finish()?;
    pb.inc(1);
    pb.finish_and_clear();

    // Summary.
    let mut out = io::stdout().lock();
    let mut scores: Vec<Decimal> = report
        .overall_quality_scores
        .iter()
        .filter(|o| Some(o.round) == last_round)
        .filter_map(|o| o.score)
        .collect();
    scores.sort();
    let pct = |p: i64| {
        quantile_type7(&scores, Decimal::new(p, 2))
            .map(|q| crate::report::percent(q, 1))
            .unwrap_or_else(|| "-".into())
    };
    writeln!(
        out,
        "oncoqual demo: {} synthetic charts from {} practices over rounds {}, {} measures",
        args.charts,
        args.practices,
        report
            .rounds
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" and "),
        lib.measures().len()
    )?;
    if let Some(r) = last_round {
        writeln!(
            out,
            "Overall Quality Score (qcp track, round {r}, {} practices): p10 {}, p25 {}, median {}, p75 {}, p90 {}",
            scores.len(),
            pct(10),
            pct(25),
            pct(50),
            pct(75),
            pct(90)
        )?;
    }
    writeln!(
        out,
        "certification: {eligible} of {} practices eligible to apply on {applying_on} (minimum {} unique charts)",
        practices.len(),
        min_charts
    )?;
    for (reason, n) in &reasons {
        writeln!(out, "  {n:>4} × {}", reason.replace('_', " "))?;
    }
    super::benchmark::summarise_registration(&report, &mut out)?;
    writeln!(
        out,
        "reports in {dir}: html/ with {} practice folders (PRACTICE-FOLDER/index.html, each for its practice only), \
         measure-reports.ndjson ({resources} FHIR MeasureReports), practice_rates.csv, national.csv, oqs.csv, trends.csv, \
         strata.csv, eligibility.csv, report.json, facts.json, practices.json, tally.json ({:.1} s)",
        // The national index is one of the pages written.
        pages.saturating_sub(usize::from(national_index)),
        crate::report::rounded(
            rust_decimal::Decimal::from_f64_retain(started.elapsed().as_secs_f64())
                .unwrap_or_default(),
            1
        ),
        dir = args.out.display(),
    )?;
    if national_index {
        writeln!(
            out,
            "national index (names every practice; the operator's, not for a practice): {}",
            html_dir.join(crate::report::html::NATIONAL_INDEX).display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
