//! Tallies are a commutative monoid: any split of the outcomes into shards, tallied
//! separately (and sent through JSON, as between machines) and merged in any order, equals
//! tallying them all at once.
#![cfg(feature = "synth")]

use std::sync::OnceLock;

use oncoqual::benchmark::Tally;
use oncoqual::measure::Outcome;
use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Chart, Library, RoundCalendar};
use proptest::prelude::*;

fn corpus() -> &'static [(Chart, Vec<Outcome>)] {
    static C: OnceLock<Vec<(Chart, Vec<Outcome>)>> = OnceLock::new();
    C.get_or_init(|| {
        let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
        let cal = RoundCalendar::new();
        synth::generate(&SynthConfig::new(300, 6, 2, 77))
            .map(|c| {
                let o = lib.evaluate(&c, cal.period(c.round));
                (c, o)
            })
            .collect()
    })
}

fn tally_of(items: impl Iterator<Item = usize>) -> Tally {
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let mut t = Tally::new();
    for i in items {
        let (c, o) = &corpus()[i];
        t.add(lib, c, o);
    }
    t
}

#[test]
fn a_tally_counts_every_chart_and_its_populations() {
    let all = tally_of(0..corpus().len());
    let charts: u64 = all.rows().map(|(_, _, t)| t.charts).sum();
    assert_eq!(charts, corpus().len() as u64);
    assert_eq!(all.rounds().len(), 2);
    let tobacco: u64 = all
        .rows()
        .filter_map(|(_, _, t)| t.measures.get("core.tobacco-use-status-documented"))
        .map(|m| m.total.ipp)
        .sum();
    assert!(tobacco > 0);
    // Strata partition the charts with a stratum value.
    for (_, _, t) in all.rows() {
        if let Some(m) = t.measures.get("core.tobacco-use-status-documented") {
            let by_sex: u64 = m.strata["sex"].values().map(|c| c.ipp).sum();
            assert!(by_sex <= m.total.ipp);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_sharding_and_merge_order_gives_the_same_tally(
        shard_of in proptest::collection::vec(0usize..5, 300),
        order in Just((0usize..5).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let n = corpus().len();
        let whole = tally_of(0..n);
        let shards: Vec<Tally> = (0..5)
            .map(|s| tally_of((0..n).filter(|i| shard_of[*i] == s)))
            .map(|t| serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap())
            .collect();
        let mut merged = Tally::new();
        for s in &order {
            merged.merge(&shards[*s]);
        }
        prop_assert_eq!(&merged, &whole);
        prop_assert_eq!(serde_json::to_string(&merged).unwrap(), serde_json::to_string(&whole).unwrap());
    }

    #[test]
    fn merge_is_associative_and_commutative_with_an_empty_identity(
        a in 0usize..300, b in 0usize..300, c in 0usize..300,
    ) {
        let (a, b, c) = (tally_of(0..a), tally_of(a.min(b)..b.max(a)), tally_of(c..300));
        prop_assert_eq!(a.clone().merged(&b).merged(&c), a.clone().merged(&b.clone().merged(&c)));
        prop_assert_eq!(a.clone().merged(&b), b.clone().merged(&a));
        prop_assert_eq!(a.clone().merged(&Tally::new()), a.clone());
        prop_assert_eq!(Tally::new().merged(&a), a);
    }
}

/// The JSONL pipeline (parsed and evaluated in parallel batches, each chart right after its
/// parse) gives the tally of its valid, first-seen charts, and reports every rejected record
/// in input order: bad lines and repeated ids, across batch boundaries.
#[test]
fn the_jsonl_pipeline_tallies_valid_first_seen_charts_and_reports_the_rest_in_order() {
    use oncoqual::benchmark::{JSONL_BATCH, tally_charts, tally_jsonl};
    use oncoqual::{JsonlReader, Limits};
    use std::ops::ControlFlow;

    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let cal = RoundCalendar::new();
    let charts: Vec<Chart> =
        synth::generate(&SynthConfig::new(JSONL_BATCH + 700, 9, 2, 5)).collect();
    let mut lines: Vec<String> = charts
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    // A repeat of the first chart in the second batch, one inside the first batch, a broken
    // line and a blank one.
    lines.insert(JSONL_BATCH + 10, lines[0].clone());
    lines.insert(20, lines[3].clone());
    lines.insert(50, "{not json".to_owned());
    lines.insert(60, String::new());
    let input = lines.join("\n");

    let mut rejected = Vec::new();
    let tally = tally_jsonl(
        lib,
        JsonlReader::new(input.as_bytes()),
        |c| cal.period(c.round),
        |e| {
            rejected.push(e.to_string());
            ControlFlow::Continue(())
        },
    );
    let expected = tally_charts(lib, &charts, |c| cal.period(c.round));
    assert_eq!(tally, expected);

    // The same rejections, in the same order, as iterating the reader.
    let by_iterating: Vec<String> = JsonlReader::with_limits(input.as_bytes(), Limits::default())
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert_eq!(rejected, by_iterating);
}
