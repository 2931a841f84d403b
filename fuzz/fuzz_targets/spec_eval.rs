//! Fuzzes a spec end to end with no cap on its length: any text, parsed, checked beside the
//! bundled `lib.common` and a value set, and evaluated within the step budget on a small
//! fixed chart. Never panics or overflows the stack, whatever the nesting, the length of
//! a chain of operators or the fan-out of parameterised defines; evaluation ends with
//! outcomes or an `EvalError`, never runs away. Run it with a large `-max_len` (for
//! example `cargo +nightly fuzz run spec_eval -- -max_len=1000000`): long inputs are the
//! point of this target.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oncoqual::measure::{Library, SpecFile};
use oncoqual::{Chart, Limits, Period, Population, parse_chart};

const LIB: &str = include_str!("../../measure-specs/lib/common.oqm");
const VS: &str = include_str!("../../measure-specs/valuesets/oropharynx-sites.json");
const CHARTS: &str = include_str!("../seeds/charts.jsonl");

fn chart() -> &'static Chart {
    static C: OnceLock<Chart> = OnceLock::new();
    C.get_or_init(|| {
        CHARTS
            .lines()
            .filter_map(|l| parse_chart(l, &Limits::default()).ok())
            .map(|c| c.chart)
            .max_by_key(|c| c.regimens.len() + c.encounters.len() + c.assessments.len())
            .expect("a seed chart")
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
            match lib.try_evaluate(chart(), period) {
                Err(e) => {
                    let _ = e.to_string();
                }
                Ok(outcomes) => {
                    for o in outcomes {
                        let p = o.populations;
                        assert!(
                            !p.contains(Population::Denominator)
                                || p.contains(Population::InitialPopulation)
                        );
                        assert!(
                            !p.contains(Population::Numerator)
                                || p.contains(Population::Denominator)
                        );
                    }
                }
            }
        }
    }
});
