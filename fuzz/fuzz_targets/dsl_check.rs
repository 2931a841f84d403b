//! Fuzzes the checker, compiler and evaluator: any text, checked as a measure beside the
//! bundled `lib.common` and value sets, never panics or overflows the stack; every
//! diagnostic renders; a spec that checks evaluates on a few charts with its populations
//! nested as the algebra requires.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oncoqual::measure::{Library, SpecFile};
use oncoqual::{Chart, Limits, Period, Population, parse_chart};

const LIB: &str = include_str!("../../measure-specs/lib/common.oqm");
const VS: &str = include_str!("../../measure-specs/valuesets/oropharynx-sites.json");
const CHARTS: &str = include_str!("../seeds/charts.jsonl");

fn charts() -> &'static [Chart] {
    static C: OnceLock<Vec<Chart>> = OnceLock::new();
    C.get_or_init(|| {
        CHARTS
            .lines()
            .filter_map(|l| parse_chart(l, &Limits::default()).ok())
            .map(|c| c.chart)
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let specs = vec![
        SpecFile::new("lib/common.oqm", LIB),
        SpecFile::new("core/fuzz.oqm", text),
    ];
    let vs = vec![SpecFile::new("valuesets/oropharynx-sites.json", VS)];
    match Library::from_files(specs, vs) {
        Err(errors) => {
            let _ = errors.to_string();
        }
        Ok(lib) => {
            let period = Period::new(
                oncoqual::Date::parse("2026-01-01").unwrap(),
                oncoqual::Date::parse("2026-06-30").unwrap(),
            )
            .unwrap();
            for chart in charts() {
                for (i, o) in lib.evaluate(chart, period).into_iter().enumerate() {
                    let p = o.populations;
                    assert!(!p.contains(Population::Denominator) || p.contains(Population::InitialPopulation));
                    assert!(!p.contains(Population::Numerator) || p.contains(Population::Denominator));
                    let _ = lib.explain(chart, period, i).map(|e| e.to_string());
                }
            }
        }
    }
});
