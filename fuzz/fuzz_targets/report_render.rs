//! Fuzzes report rendering: an arbitrary report document, read as a [`Report`], rendered
//! as every format the crate writes (HTML index and practice pages, the CSV tables, FHIR
//! MeasureReports). Invariants: no panic; every output is produced.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncoqual::Library;
use oncoqual::benchmark::Report;
use oncoqual::report::{ReportView, csv, fhir, html};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(report) = serde_json::from_str::<Report>(text) else { return };
    let mut view = ReportView::new(&report);
    if let Ok(lib) = Library::bundled() {
        view = view.with_library(lib);
    }
    let _ = html::index_page(&view);
    for p in &report.participation {
        let _ = html::practice_page(&view, &p.practice);
    }
    let mut out = Vec::new();
    csv::write_practice_rates(&view, &mut out).expect("CSV into memory");
    csv::write_national(&view, &mut out).expect("CSV into memory");
    csv::write_eligibility(&view, &mut out).expect("CSV into memory");
    fhir::write_ndjson(fhir::summary_reports(&view), &mut out).expect("NDJSON into memory");
});
