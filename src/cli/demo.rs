//! `oncoqual demo`: the main job on bundled defaults. A seeded synthetic national round
//! (practices with their registrations, charts over two rounds) is evaluated against the
//! bundled measure library, aggregated, and every practice's certification eligibility is
//! checked; the reports are written into a directory and a short summary is printed.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::Decimal;

use crate::benchmark::{Report, ReportOptions, Tally, quantile_type7, tally_parallel};
use crate::certification::{EligibilityRules, PracticeFacts, Webinar, WebinarFormat, eligibility};
use crate::measure::Library;
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
    /// Minimum unique charts for certification eligibility.
    #[arg(long, default_value_t = 100)]
    min_charts: u64,
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

fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes).map_err(|e| super::with_path(e, path))
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
    for i in 0..args.charts {
        batch.push(synth::chart(&config, i));
        if batch.len() == BATCH || i + 1 == args.charts {
            tally.merge(&tally_parallel(lib, &batch, |c| calendar.period(c.round)));
            pb.inc(batch.len() as u64);
            batch.clear();
        }
    }
    pb.finish_and_clear();

    let last_round = tally.rounds().last().copied();
    let issued_on = last_round
        .and_then(|r| calendar.period(r).end.add_days(15))
        .unwrap_or(crate::Date::MIN);
    let report = Report::build_for(
        &tally,
        lib,
        &ReportOptions::default(),
        issued_on,
        true,
        &practices,
    );

    // Eligibility of every practice, with synthetic facts: practices registered for `qcp`
    // attended the webinar (live or recorded) a month before applying, except every seventh.
    let applying_on = issued_on.add_days(30).unwrap_or(issued_on);
    let rules = EligibilityRules::new(args.min_charts);
    let mut eligible = 0usize;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut eligibility_rows = Vec::new();
    for (k, p) in practices.iter().enumerate() {
        let webinar = (k % 7 != 0).then(|| Webinar {
            date: issued_on.add_days(5).unwrap_or(issued_on),
            format: if k % 2 == 0 {
                WebinarFormat::Live
            } else {
                WebinarFormat::Recorded
            },
        });
        let facts = PracticeFacts::new(p.id.clone(), p.tracks.iter().any(|t| t == "qcp"), webinar);
        match eligibility(&report, &facts, applying_on, &rules) {
            Ok(_) => {
                eligible += 1;
                eligibility_rows.push((p.id.as_str().to_owned(), "eligible".to_owned()));
            }
            Err(why) => {
                for w in &why {
                    let key = serde_json::to_value(w)
                        .ok()
                        .and_then(|v| v["reason"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    *reasons.entry(key).or_default() += 1;
                }
                let text: Vec<String> = why.iter().map(ToString::to_string).collect();
                eligibility_rows.push((p.id.as_str().to_owned(), text.join("; ")));
            }
        }
    }

    // Write the reports.
    let pb = bar(5, "writing");
    write(
        &args.out.join("report.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    pb.inc(1);
    write(
        &args.out.join("practices.json"),
        practices.to_json().as_bytes(),
    )?;
    pb.inc(1);
    write(
        &args.out.join("tally.json"),
        serde_json::to_string(&tally)?.as_bytes(),
    )?;
    pb.inc(1);
    write_csvs(&args.out, &report, &eligibility_rows)?;
    pb.inc(2);
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
            .map(|q| format!("{:.1}%", q * Decimal::ONE_HUNDRED))
            .unwrap_or_else(|| "-".into())
    };
    writeln!(
        out,
        "oncoqual demo: {} synthetic charts from {} practices over rounds {}, {} measures",
        args.charts,
        practices.len(),
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
        args.min_charts
    )?;
    for (reason, n) in &reasons {
        writeln!(out, "  {n:>4} × {}", reason.replace('_', " "))?;
    }
    writeln!(
        out,
        "reports in {}: report.json, practice_rates.csv, national.csv, eligibility.csv, practices.json, tally.json ({:.1} s)",
        args.out.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn csv_error(e: csv::Error) -> io::Error {
    io::Error::other(e.to_string())
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn write_csvs(
    dir: &Path,
    report: &Report,
    eligibility_rows: &[(String, String)],
) -> io::Result<()> {
    let mut w = csv::Writer::from_path(dir.join("practice_rates.csv")).map_err(csv_error)?;
    w.write_record([
        "round",
        "practice",
        "measure",
        "met",
        "eligible",
        "rate",
        "ci_low",
        "ci_high",
        "suppressed",
        "percentile_rank",
    ])
    .map_err(csv_error)?;
    for r in &report.rates {
        w.write_record([
            r.round.to_string(),
            r.practice.as_str().to_owned(),
            r.measure.clone(),
            r.met.to_string(),
            r.eligible.to_string(),
            opt(r.rate.map(|x| x.round_dp(4))),
            opt(r.interval.map(|i| i.low.round_dp(4))),
            opt(r.interval.map(|i| i.high.round_dp(4))),
            r.suppressed.to_string(),
            opt(r.percentile_rank.map(|x| x.round_dp(1))),
        ])
        .map_err(csv_error)?;
    }
    w.flush()?;
    let mut w = csv::Writer::from_path(dir.join("national.csv")).map_err(csv_error)?;
    let mut header = vec![
        "round".to_owned(),
        "measure".into(),
        "direction".into(),
        "practices".into(),
        "practices_in_distribution".into(),
        "charts".into(),
        "pooled_rate".into(),
        "mean".into(),
        "median".into(),
    ];
    let pcts: Vec<Decimal> = report.options.percentiles.clone();
    header.extend(
        pcts.iter()
            .map(|p| format!("p{}", (p * Decimal::ONE_HUNDRED).normalize())),
    );
    w.write_record(&header).map_err(csv_error)?;
    for n in &report.national {
        let mut row = vec![
            n.round.to_string(),
            n.measure.clone(),
            serde_json::to_value(n.direction)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            n.practices.to_string(),
            n.practices_in_distribution.to_string(),
            n.charts.to_string(),
            opt(n.pooled_rate.map(|x| x.round_dp(4))),
            opt(n.mean.map(|x| x.round_dp(4))),
            opt(n.median.map(|x| x.round_dp(4))),
        ];
        for p in &pcts {
            row.push(opt(n
                .percentiles
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, v)| v.round_dp(4))));
        }
        w.write_record(&row).map_err(csv_error)?;
    }
    w.flush()?;
    let mut w = csv::Writer::from_path(dir.join("eligibility.csv")).map_err(csv_error)?;
    w.write_record(["practice", "eligibility"])
        .map_err(csv_error)?;
    for (p, e) in eligibility_rows {
        w.write_record([p, e]).map_err(csv_error)?;
    }
    w.flush()?;
    Ok(())
}
