//! Tallies are a commutative monoid on disjoint shards: any split of the outcomes into
//! shards, tallied separately (and sent through JSON, as between machines) and merged in
//! any order, equals tallying them all at once; and a chart in two shards never counts
//! twice: the merge refuses.
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
        t.add(lib, c, RoundCalendar::new().period(c.round), o)
            .unwrap();
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
            let by_sex: u64 = m.strata.get("sex").unwrap().values().map(|c| c.ipp).sum();
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
            merged.merge(&shards[*s]).unwrap();
        }
        prop_assert_eq!(&merged, &whole);
        prop_assert_eq!(serde_json::to_string(&merged).unwrap(), serde_json::to_string(&whole).unwrap());
    }

    #[test]
    fn merge_is_associative_and_commutative_with_an_empty_identity(
        x in 0usize..300, y in 0usize..300, z in 0usize..300,
    ) {
        let mut cut = [x, y, z];
        cut.sort_unstable();
        let (a, b, c) = (tally_of(0..cut[0]), tally_of(cut[0]..cut[1]), tally_of(cut[2]..300));
        let ab = a.clone().merged(&b).unwrap();
        prop_assert_eq!(ab.clone().merged(&c).unwrap(), a.clone().merged(&b.clone().merged(&c).unwrap()).unwrap());
        prop_assert_eq!(&ab, &b.clone().merged(&a).unwrap());
        prop_assert_eq!(a.clone().merged(&Tally::new()).unwrap(), a.clone());
        prop_assert_eq!(Tally::new().merged(&a).unwrap(), a);
    }

    /// Charts split over shards, some given to two or more shards, shards merged in any
    /// order (through JSON): the result is the tally of every chart once, and the report
    /// the same, unless a chart was duplicated: then the merge refuses, naming how many
    /// charts two inputs share, and never returns an inflated tally.
    #[test]
    fn no_split_duplication_or_order_changes_a_report_except_by_refusing(
        shard_of in proptest::collection::vec(0usize..4, 300),
        copies in proptest::collection::vec(proptest::option::weighted(0.01, 0usize..4), 300),
        order in Just((0usize..4).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        use oncoqual::benchmark::{Report, ReportOptions, TallyError};
        let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
        let n = corpus().len();
        let in_shard = |i: usize, s: usize| shard_of[i] == s || copies[i] == Some(s);
        let shards: Vec<Tally> = (0..4)
            .map(|s| tally_of((0..n).filter(|i| in_shard(*i, s))))
            .map(|t| serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap())
            .collect();
        let duplicated = (0..n).any(|i| copies[i].is_some_and(|s| s != shard_of[i]));
        let mut merged = Tally::new();
        let mut refused = None;
        for s in &order {
            if let Err(e) = merged.merge(&shards[*s]) {
                refused = Some(e);
                break;
            }
        }
        match refused {
            Some(e) => {
                prop_assert!(duplicated);
                prop_assert!(matches!(e, TallyError::Overlap { charts, .. } if charts > 0), "{}", e);
            }
            None => {
                prop_assert!(!duplicated);
                let whole = tally_of(0..n);
                prop_assert_eq!(&merged, &whole);
                let opts = ReportOptions::default();
                let d = oncoqual::Date::parse("2027-03-01").unwrap();
                prop_assert_eq!(
                    Report::build(&merged, lib, &opts, d, true).unwrap(),
                    Report::build(&whole, lib, &opts, d, true).unwrap()
                );
            }
        }
    }
}

#[test]
fn tallies_of_two_calendars_libraries_or_keys_refuse_to_merge_and_say_why() {
    use oncoqual::Period;
    use oncoqual::chart::ChartKey;
    use oncoqual::measure::SpecFile;
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let (c, o) = &corpus()[0];
    let (c2, o2) = &corpus()[1];
    let default = RoundCalendar::new().period(c.round);
    let mut a = Tally::new();
    a.add(lib, c, default, o).unwrap();
    // Another calendar: the same round over another period.
    let other: Period = format!("{}..{}", default.start, default.end.add_days(-1).unwrap())
        .parse()
        .unwrap();
    let mut b = Tally::new();
    let err = b
        .add(lib, c2, other, o2)
        .and_then(|()| a.clone().merged(&b).map(|_| ()));
    let msg = err.unwrap_err().to_string();
    assert!(msg.contains("two round calendars"), "{msg}");
    assert!(msg.contains(&c.round.to_string()), "{msg}");
    // Another library: one more (trivial) value set changes the fingerprint.
    let spec = SpecFile::new(
        "core/example.oqm",
        "measure core.example {\n title \"Example\" module core tracks [core] direction higher_is_better\n scoring proportion source \"doc\" version \"1\"\n}\ninitial_population = exists diagnoses\nnumerator = exists diagnoses\n",
    );
    {
        let small = Library::from_files(vec![spec], vec![]).unwrap();
        assert_ne!(small.fingerprint(), lib.fingerprint());
        let mut d = Tally::new();
        d.add(&small, c2, default, &small.evaluate(c2, default))
            .unwrap();
        let msg = a.clone().merged(&d).unwrap_err().to_string();
        assert!(msg.contains("two measure libraries"), "{msg}");
    }
    // Another chart key.
    let mut k = Tally::with_key(ChartKey::from_secret(b"0123456789abcdef").unwrap());
    k.add(lib, c2, default, o2).unwrap();
    let msg = a.clone().merged(&k).unwrap_err().to_string();
    assert!(msg.contains("two keys"), "{msg}");
    // The same chart twice in one tally.
    let msg = a.add(lib, c, default, o).unwrap_err().to_string();
    assert!(msg.contains("counted twice"), "{msg}");
}

/// The JSONL pipeline (parsed and evaluated in parallel batches, each chart right after its
/// parse) gives the tally of its valid, first-seen charts, and reports every rejected record
/// in input order: bad lines and repeated ids, across batch boundaries.
#[test]
fn the_jsonl_pipeline_tallies_valid_first_seen_charts_and_reports_the_rest_in_order() {
    use oncoqual::pipeline::{JSONL_BATCH, tally_charts, tally_jsonl};
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
        &mut JsonlReader::new(input.as_bytes()),
        |c| cal.period(c.round),
        |e| {
            rejected.push(e.to_string());
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    let key = oncoqual::chart::ChartKey::unkeyed();
    let expected = tally_charts(lib, &key, &charts, |c| cal.period(c.round)).unwrap();
    assert_eq!(tally, expected);

    // The same rejections, in the same order, as iterating the reader.
    let by_iterating: Vec<String> = JsonlReader::with_limits(input.as_bytes(), Limits::default())
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert_eq!(rejected, by_iterating);
}
