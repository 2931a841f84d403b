//! Pathological charts for the evaluation-time tests and the `pathological_chart` bench: a
//! synthetic chart whose lists are blown up to thousands of entries, each a copy of one of
//! the chart's own entries under a fresh id, its dates moved by up to a year. Built as JSON
//! and read with serde (no input limits), so any list length can be tried.

use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Chart, Date, Period};
use serde_json::Value;

/// The lists a "five lists" chart blows up.
pub const FIVE_LISTS: [&str; 5] = [
    "regimens",
    "administrations",
    "encounters",
    "assessments",
    "labs",
];

/// A synthetic chart (the first of a fixed synthetic run with a regimen, an administration,
/// an encounter, an assessment and a lab) with each list of `lists` made `n` entries long,
/// and its reporting period.
pub fn big_chart(lists: &[&str], n: usize) -> (Chart, Period) {
    let calendar = oncoqual::RoundCalendar::new();
    let base = synth::generate(&SynthConfig::new(2000, 20, 2, 41))
        .find(|c| {
            !c.regimens.is_empty()
                && !c.administrations.is_empty()
                && !c.encounters.is_empty()
                && !c.assessments.is_empty()
                && !c.labs.is_empty()
        })
        .expect("a synthetic chart with every list");
    let period = calendar.period(base.round);
    let mut json = serde_json::to_value(&base).expect("a chart serialises");
    for list in lists {
        let Some(Value::Array(items)) = json.get_mut(*list) else {
            continue;
        };
        let seeds = items.clone();
        items.clear();
        for k in 0..n {
            let mut item = seeds[k % seeds.len()].clone();
            if let Some(Value::Object(obj)) = Some(&mut item) {
                // The first copy of each entry keeps its id, so references to it hold.
                if let Some(Value::String(id)) = obj.get_mut("id")
                    && k >= seeds.len()
                {
                    *id = format!("{id}-{k}");
                }
                let shift = i64::try_from(k % 365).unwrap_or(0) - 182;
                for (key, v) in obj.iter_mut() {
                    if (key == "date" || key.ends_with("_date"))
                        && let Value::String(s) = v
                        && let Some(d) = Date::parse(s).and_then(|d| d.add_days(shift))
                    {
                        *s = d.to_string();
                    }
                }
            }
            items.push(item);
        }
    }
    let chart: Chart = serde_json::from_value(json).expect("the blown-up chart reads back");
    (chart, period)
}
