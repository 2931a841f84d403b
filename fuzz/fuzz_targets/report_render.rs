//! Fuzzes report rendering: an arbitrary report document, read as a [`Report`], rendered
//! as every format the crate writes (the practice folders and the national index, the CSV
//! tables, FHIR MeasureReports). Invariants: no panic; every output is produced; every page
//! path stays one folder deep inside the site.
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
    // Two practices whose folder names collide are refused, never a panic.
    let _ = html::render_site(&view, true, |path, _page| {
        let parts: Vec<&str> = path.split('/').collect();
        assert_eq!(parts.len(), 2, "{path}");
        assert!(parts.iter().all(|p| !p.is_empty() && *p != ".." && *p != "."));
        Ok(())
    });
    let mut out = Vec::new();
    csv::write_practice_rates(&view, &mut out).expect("CSV into memory");
    csv::write_national(&view, &mut out).expect("CSV into memory");
    csv::write_oqs(&view, &mut out).expect("CSV into memory");
    csv::write_trends(&view, &mut out).expect("CSV into memory");
    csv::write_strata(&view, &mut out).expect("CSV into memory");
    csv::write_eligibility(&view, &mut out).expect("CSV into memory");
    fhir::write_ndjson(fhir::summary_reports(&view), &mut out).expect("NDJSON into memory");
});
