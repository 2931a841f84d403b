//! Data requirements are never short of a field: every bundled measure, evaluated on
//! synthetic charts cut down to the paths it lists (what a projected parse keeps), gives the
//! populations and strata it gives on the whole charts.
#![cfg(feature = "synth")]

#[path = "common/cut.rs"]
mod cut;

use oncoqual::measure::DataRequirements;
use oncoqual::synth::{SynthConfig, generate};
use oncoqual::{Library, RoundCalendar};
use serde_json::Value;

/// The fields every chart keeps whatever the measures read: its identity.
const IDENTITY: [&str; 3] = ["id", "practice", "round"];

/// `value` (at dictionary path `at`, the chart itself at "") with only the listed paths
/// and the chart's identity.
fn project(value: &Value, at: &str, req: &DataRequirements) -> Value {
    cut::cut(value, at, &|path: &str| {
        IDENTITY.contains(&path) || req.reads(path)
    })
}

#[test]
fn every_measure_evaluates_the_same_on_charts_cut_to_its_requirements() {
    let lib = Library::bundled().unwrap();
    let calendar = RoundCalendar::new();
    let charts: Vec<_> = generate(&SynthConfig::new(300, 8, 2, 21)).collect();
    let whole: Vec<Value> = charts
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    let mut compared = 0usize;
    for (i, info) in lib.measures().enumerate() {
        let req = lib.data_requirements(&info.id).unwrap();
        let selection = lib.select(&[i]);
        let (mut full, mut cut) = (Vec::new(), Vec::new());
        let mut in_ipp = 0;
        for (chart, json) in charts.iter().zip(&whole) {
            let period = calendar.period(chart.round);
            lib.evaluate_selection_into(chart, period, &selection, &mut full);
            // Deserialised without the cross-record checks of `parse_chart`: a projection
            // drops the other end of a reference (`administrations.regimen_id` without
            // `regimens.id`), which the checks would refuse.
            let projected: oncoqual::Chart =
                serde_json::from_value(project(json, "", &req)).unwrap();
            lib.evaluate_selection_into(&projected, period, &selection, &mut cut);
            assert_eq!(full.len(), 1);
            assert_eq!(cut.len(), 1);
            assert_eq!(full[0].populations, cut[0].populations, "{}", info.id);
            assert_eq!(full[0].strata, cut[0].strata, "{}", info.id);
            in_ipp += usize::from(full[0].populations != oncoqual::Populations::NONE);
        }
        compared += usize::from(in_ipp > 0);
    }
    // Most measures have charts in their initial population, so the comparison has teeth.
    assert!(compared * 2 > lib.measures().len(), "{compared}");
}

#[test]
fn a_projection_to_nothing_changes_outcomes() {
    // The check above can fail: cutting a chart to its identity changes what measures find.
    let lib = Library::bundled().unwrap();
    let calendar = RoundCalendar::new();
    let none = DataRequirements::default();
    let mut changed = 0usize;
    for chart in generate(&SynthConfig::new(50, 4, 1, 21)) {
        let json = serde_json::to_value(&chart).unwrap();
        let cut: oncoqual::Chart = serde_json::from_value(project(&json, "", &none)).unwrap();
        let period = calendar.period(chart.round);
        let (a, b) = (lib.evaluate(&chart, period), lib.evaluate(&cut, period));
        changed += a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x.populations != y.populations)
            .count();
    }
    assert!(changed > 0);
}
