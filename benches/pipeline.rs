//! The whole pipeline, as `oncoqual benchmark --charts FILE` runs it: JSONL on disk in,
//! parsed and validated, evaluated against every bundled measure, folded into a tally and
//! aggregated into the benchmark report (serialised), on 100,000 synthetic charts.
//! Throughput is charts per second end to end, on all cores (rayon).
//!
//! Run: `cargo bench --features synth,parallel --bench pipeline`. Goal (issue 9): ≥ 20,000
//! charts/s on 2 cores. Peak memory is measured on the CLI (README, "Performance").

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oncoqual::benchmark::{Report, ReportOptions};
use oncoqual::pipeline::tally_jsonl;
use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Date, JsonlReader, Library, RoundCalendar};

const CHARTS: usize = 100_000;

/// Writes the synthetic round once (it is deterministic) and returns its path.
fn charts_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("pipeline-{CHARTS}.jsonl"));
    if !path.exists() {
        let tmp = dir.join(format!("pipeline-{CHARTS}.jsonl.tmp"));
        let mut out = BufWriter::new(File::create(&tmp).expect("writable target dir"));
        for chart in synth::generate(&SynthConfig::new(CHARTS, 200, 2, 1)) {
            serde_json::to_writer(&mut out, &chart).expect("charts serialise");
            out.write_all(b"\n").expect("writable");
        }
        out.flush().expect("writable");
        drop(out);
        std::fs::rename(&tmp, &path).expect("rename in target dir");
    }
    path
}

fn pipeline(c: &mut Criterion) {
    let path = charts_file();
    let lib = Library::bundled().expect("the bundled library checks");
    let calendar = RoundCalendar::new();
    let options = ReportOptions::default();
    let issued = Date::parse("2027-01-15").expect("a date");
    let mut group = c.benchmark_group(format!("pipeline_{}_measures", lib.measures().len()));
    group.sample_size(10);
    group.throughput(Throughput::Elements(CHARTS as u64));
    group.bench_function("jsonl_to_report_100k_charts", |b| {
        b.iter(|| {
            let file = File::open(&path).expect("readable");
            let mut reader = JsonlReader::new(BufReader::with_capacity(1 << 20, file));
            let tally = tally_jsonl(
                lib,
                &mut reader,
                |c| calendar.period(c.round),
                |_| ControlFlow::Continue(()),
            )
            .expect("one calendar");
            let report = Report::build(&tally, lib, &options, issued, true).expect("one library");
            let mut sink = std::io::sink();
            serde_json::to_writer(&mut sink, &report).expect("the report serialises");
            black_box(report.rates.len())
        });
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
