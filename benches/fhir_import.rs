//! FHIR import throughput: a Bulk Data export of synthetic charts (written by the round-trip
//! test writers, one NDJSON source per resource type) imported into charts, beside the floor
//! of parsing the same lines as `serde_json::Value`.
//!
//! Run: `cargo bench --features synth,fhir-import --bench fhir_import`. Criterion reports
//! charts/s (elements) and bytes/s for each.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oncoqual::import::fhir::FhirImport;
use oncoqual::synth::{self, SynthConfig};

#[path = "../tests/fhir_write/mod.rs"]
mod fhir_write;

const CHARTS: usize = 5_000;

/// The export: resource type → NDJSON text.
fn export() -> BTreeMap<String, String> {
    let config = SynthConfig::new(CHARTS, 10, 1, 7);
    let mut by_type: BTreeMap<String, String> = BTreeMap::new();
    for chart in synth::generate(&config) {
        let w = fhir_write::write(&chart);
        for r in &w.resources {
            let ty = r["resourceType"].as_str().unwrap_or_default().to_owned();
            let text = by_type.entry(ty).or_default();
            text.push_str(&r.to_string());
            text.push('\n');
        }
    }
    by_type
}

fn import(c: &mut Criterion) {
    let export = export();
    let bytes: usize = export.values().map(String::len).sum();
    let mut group = c.benchmark_group("fhir_import");
    group.sample_size(10);
    for (unit, throughput) in [
        ("charts", Throughput::Elements(CHARTS as u64)),
        ("bytes", Throughput::Bytes(bytes as u64)),
    ] {
        group.throughput(throughput);
        group.bench_function(format!("serde_json_value/{unit}"), |b| {
            b.iter(|| {
                for text in export.values() {
                    for line in text.lines() {
                        black_box(serde_json::from_str::<serde_json::Value>(line).ok());
                    }
                }
            })
        });
        group.bench_function(format!("import/{unit}"), |b| {
            b.iter(|| {
                let mut run = FhirImport::new(
                    "prac-1".parse().expect("a practice id"),
                    "2026-1".parse().expect("a round"),
                );
                for (ty, text) in &export {
                    run.read_ndjson(ty, text.as_bytes()).expect("in memory");
                }
                let out = run.finish().expect("within the cap");
                assert_eq!(out.charts.len(), CHARTS);
                black_box(out)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, import);
criterion_main!(benches);
