//! Ingest throughput: validated chart ingest beside plain `serde_json::Value` parsing and the
//! unvalidated typed parse, on the same synthetic JSONL lines.
//!
//! Run: `cargo bench --features synth --bench ingest`. Criterion reports charts/s (elements)
//! for each; the ingest goal is validated ≥ `Value` speed and validation < 15% over typed.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oncoqual::synth::{SynthConfig, write_jsonl};
use oncoqual::{Chart, JsonlReader, Limits, parse_chart};

const CHARTS: usize = 20_000;

fn corpus() -> (Vec<u8>, Vec<String>) {
    let mut buf = Vec::new();
    let config = SynthConfig::new(CHARTS, 40, 2, 7);
    write_jsonl(&config, &mut buf).expect("writing to memory cannot fail");
    let text = String::from_utf8(buf.clone()).expect("synthetic JSONL is UTF-8");
    let lines = text.lines().map(str::to_owned).collect();
    (buf, lines)
}

fn ingest(c: &mut Criterion) {
    let (bytes, lines) = corpus();
    let limits = Limits::default();
    let parsed: Vec<Chart> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    for (unit, throughput) in [
        ("charts", Throughput::Elements(lines.len() as u64)),
        ("bytes", Throughput::Bytes(bytes.len() as u64)),
    ] {
        group.throughput(throughput);
        group.bench_function(format!("serde_json_value/{unit}"), |b| {
            b.iter(|| {
                for line in &lines {
                    black_box(serde_json::from_str::<serde_json::Value>(line).ok());
                }
            })
        });
        group.bench_function(format!("typed_unvalidated/{unit}"), |b| {
            b.iter(|| {
                for line in &lines {
                    black_box(serde_json::from_str::<Chart>(line).ok());
                }
            })
        });
        group.bench_function(format!("typed_validated/{unit}"), |b| {
            b.iter(|| {
                for line in &lines {
                    black_box(parse_chart(line, &limits).ok());
                }
            })
        });
        group.bench_function(format!("validate_only/{unit}"), |b| {
            b.iter(|| {
                for chart in &parsed {
                    black_box(oncoqual::chart::validate(chart, &limits));
                }
            })
        });
        group.bench_function(format!("jsonl_reader/{unit}"), |b| {
            b.iter(|| {
                let n = JsonlReader::with_limits(&bytes[..], limits)
                    .filter(Result::is_ok)
                    .count();
                black_box(n)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
