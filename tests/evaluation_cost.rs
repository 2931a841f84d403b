//! Evaluation in bounded time per chart: the engine, not the spec, keeps the work over one
//! chart's long lists near-linear (indexes and sorted copies of the lists, built once per
//! chart), and a chart that would still take minutes stops at the step budget with a
//! located error while the rest of the batch goes on. Costs are counted in evaluation
//! steps (deterministic), never in wall-clock time.

#[path = "common/big_chart.rs"]
mod big_chart;

use oncoqual::measure::{EVAL_BUDGET, EvalError, Library, SpecFile};
use oncoqual::pipeline::tally_jsonl;
use oncoqual::{JsonlReader, RoundCalendar};

const HEADER: &str = "measure core.t { title \"t\" module core tracks [core] \
     direction higher_is_better scoring proportion source \"t\" version \"1\" }\n";

fn spec(body: &str) -> Library {
    Library::from_files(
        vec![SpecFile::new("core/t.oqm", format!("{HEADER}{body}"))],
        vec![],
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Steps to evaluate every measure of `lib` on a chart with `n` regimens.
fn steps(lib: &Library, n: usize) -> u64 {
    let (chart, period) = big_chart::big_chart(&["regimens"], n);
    let all: Vec<usize> = (0..lib.measures().len()).collect();
    lib.evaluation_steps(&chart, period, &lib.select(&all))
        .unwrap()
}

#[test]
fn the_bundled_library_grows_linearly_with_a_chart_of_many_regimens() {
    let lib = Library::bundled().unwrap();
    let (small, large) = (steps(lib, 1_000), steps(lib, 8_000));
    // Linear growth would be 8x; quadratic, 64x.
    assert!(large < small * 10, "{small} -> {large} steps");
    // The 10,000-regimen chart is far within the budget.
    assert!(steps(lib, 10_000) < EVAL_BUDGET / 10);
}

#[test]
fn the_bundled_library_grows_linearly_with_five_long_lists() {
    let lib = Library::bundled().unwrap();
    let all: Vec<usize> = (0..lib.measures().len()).collect();
    let at = |n| {
        let (chart, period) = big_chart::big_chart(&big_chart::FIVE_LISTS, n);
        lib.evaluation_steps(&chart, period, &lib.select(&all))
            .unwrap()
    };
    let (small, large) = (at(1_000), at(8_000));
    assert!(large < small * 10, "{small} -> {large} steps");
}

#[test]
fn a_window_relative_to_each_regimen_reads_a_sorted_index() {
    // For each regimen, the regimens started within 60 days before it, or before it at
    // all: a scan of every regimen per regimen unless the engine sorts the list once.
    let lib = spec(
        "initial_population = exists (regimens as r where exists (regimens as s where \
         s.start_date within 60 days before r.start_date and s.id != r.id))\n\
         numerator = all regimens as r satisfy (exists (regimens as s where \
         s.start_date < r.start_date) or r.start_date is present)\n\
         denominator = exists (regimens as r where count (regimens as s where \
         s.start_date during period(r.start_date, r.start_date + 3 days)) >= 1)\n\
         stratifier lonely = count (regimens as r where not exists (regimens as s where \
         s.start_date within 30 days after (r.start_date + 1 years))) > 5\n",
    );
    let (small, large) = (steps(&lib, 1_000), steps(&lib, 8_000));
    // n log n, not n squared (which would be 64x).
    assert!(large < small * 12, "{small} -> {large} steps");
}

#[test]
fn a_window_query_gives_the_same_outcome_indexed_or_scanned() {
    // The same logic, written so that it cannot be indexed (the bound reads the element),
    // agrees with the indexed form on charts of many sizes.
    let indexed = spec(
        "initial_population = count (regimens as r where exists (regimens as s where \
         s.start_date within 30 days after r.start_date and s.id != r.id)) >= 3\n\
         numerator = exists (regimens as r where first (regimens as s where \
         s.start_date > r.start_date sorted by start_date).id = r.id)\n",
    );
    let scanned = spec(
        "initial_population = count (regimens as r where exists (regimens as s where \
         s.start_date within 30 days after (r.start_date + 0 days) and s.id != r.id \
         and (s.start_date is present or s.id = r.id))) >= 3\n\
         numerator = exists (regimens as r where first (regimens as s where \
         (s.start_date > r.start_date or s.id = \"none\") sorted by start_date).id = r.id)\n",
    );
    for n in [1, 5, 13, 40, 200] {
        let (chart, period) = big_chart::big_chart(&["regimens"], n);
        assert_eq!(
            indexed.evaluate(&chart, period)[0].populations,
            scanned.evaluate(&chart, period)[0].populations,
            "{n} regimens"
        );
    }
}

/// Tallies `charts` (one JSONL line each) with `lib`: the tally's chart count and every
/// rejected record's line and message, in order.
fn tally_lines(lib: &Library, charts: &[&oncoqual::Chart]) -> (u64, Vec<(Option<usize>, String)>) {
    let lines: Vec<String> = charts
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    let lines = lines.join("\n");
    let calendar = RoundCalendar::new();
    let mut rejected = Vec::new();
    let limits = oncoqual::Limits::default().with_max_line_bytes(64 << 20);
    let mut reader = JsonlReader::with_limits(lines.as_bytes(), limits);
    let tally = tally_jsonl(
        lib,
        &mut reader,
        |c| calendar.period(c.round),
        |e| {
            rejected.push((e.line, e.to_string()));
            std::ops::ControlFlow::Continue(())
        },
    )
    .unwrap();
    (tally.rows().map(|(_, _, t)| t.charts).sum(), rejected)
}

/// A spec that compares every regimen with every other with nothing to index.
const QUADRATIC: &str = "initial_population = all regimens as r satisfy \
     count (regimens as s where s.id != r.id) >= 0\nnumerator = true\n";

#[test]
fn a_quadratic_spec_on_a_huge_chart_stops_at_the_budget_naming_the_measure() {
    let lib = spec(QUADRATIC);
    let (chart, period) = big_chart::big_chart(&["regimens"], 9_000);
    let err = lib.try_evaluate(&chart, period).unwrap_err();
    assert_eq!(
        err,
        EvalError::BudgetExceeded {
            measure: "core.t".to_owned(),
            limit: EVAL_BUDGET
        }
    );
    // The same spec on a small chart is evaluated.
    let (chart, period) = big_chart::big_chart(&["regimens"], 50);
    assert!(lib.try_evaluate(&chart, period).is_ok());
}

#[test]
fn a_chart_over_the_budget_is_reported_with_its_line_and_the_batch_goes_on() {
    let lib = spec(QUADRATIC);
    let (mut big, _) = big_chart::big_chart(&["regimens"], 9_000);
    big.id = oncoqual::ChartId::new("big").unwrap();
    let (small, _) = big_chart::big_chart(&["regimens"], 20);
    let mut small2 = small.clone();
    small2.id = oncoqual::ChartId::new("another").unwrap();
    let (charts, rejected) = tally_lines(&lib, &[&small, &big, &small2]);
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].0, Some(2));
    assert!(rejected[0].1.contains("`core.t`"), "{}", rejected[0].1);
    assert!(rejected[0].1.contains("steps"), "{}", rejected[0].1);
    assert_eq!(charts, 2);
}

#[test]
fn a_chart_whose_evaluation_stopped_still_makes_a_later_chart_with_its_id_a_duplicate() {
    // Regression: with the `parallel` feature a chart whose evaluation stopped was not
    // entered in the duplicate set, so a later record with its id was counted, while one
    // thread refused it. The rule now: a chart that was read is entered, counted or not.
    let lib = spec(QUADRATIC);
    let (big, _) = big_chart::big_chart(&["regimens"], 9_000);
    let (mut small, _) = big_chart::big_chart(&["regimens"], 20);
    small.id = big.id.clone();
    let (charts, rejected) = tally_lines(&lib, &[&big, &small]);
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert_eq!(rejected[0].0, Some(1));
    assert!(rejected[0].1.contains("steps"), "{}", rejected[0].1);
    assert_eq!(rejected[1].0, Some(2));
    assert!(rejected[1].1.contains("line 1"), "{}", rejected[1].1);
    assert_eq!(charts, 0);
}
