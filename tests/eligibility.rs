//! Certification eligibility from a final benchmark report: every reason a practice may not
//! apply, the one-year validity with calendar arithmetic, the webinar prerequisite and the
//! score-review window.

mod common;

use oncoqual::benchmark::{Report, ReportOptions, Tally};
use oncoqual::certification::{
    EligibilityRules, Ineligible, PracticeFacts, Webinar, WebinarFormat, eligibility,
    may_request_score_review, score_valid_until,
};
use oncoqual::program::Practices;
use oncoqual::{Date, Library, PracticeId, RoundCalendar};

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

const TOBACCO: &str = "core.tobacco-use-status-documented";
const QOPI5: &str = "core.chemo-metastatic-poor-or-undocumented-ps";

/// P1: tobacco 9/10 met, QOPI5 (lower is better) 1/10 → OQS (9 + 9) / 20 = 90%, 40 charts.
/// P2: 5/10 and 5/10 → 50%, 40 charts. P3: 9/10 and 1/10 but only 12 charts.
fn report(issued_on: &str, final_report: bool) -> Report {
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    report_with(lib, issued_on, final_report)
}

/// [`report`] with the tally stamped for `lib` (the whole library or a selection).
fn report_with(lib: &Library, issued_on: &str, final_report: bool) -> Report {
    let row = |p: &str, charts: u64, t: u64, q: u64| {
        format!(
            r#"{{"round":"2027-2","practice":"{p}","charts":{charts},"measures":{{
              "{TOBACCO}":{{"total":{{"IPP":10,"DENOM":10,"DENEX":0,"DENEXCEP":0,"NUMER":{t},"NUMEX":0}}}},
              "{QOPI5}":{{"total":{{"IPP":10,"DENOM":10,"DENEX":0,"DENEXCEP":0,"NUMER":{q},"NUMEX":0}}}}}}}}"#
        )
    };
    let tally: Tally = common::hand_tally(&[
        row("P1", 40, 9, 1),
        row("P2", 40, 5, 5),
        row("P3", 12, 9, 1),
        row("P4", 40, 9, 1),
    ]);
    // Stamped as `lib` stamps its tallies.
    let mut wire = serde_json::to_value(&tally).unwrap();
    wire["library"] = lib.fingerprint().to_string().into();
    if let Some(ids) = lib.selection() {
        wire["selection"] = ids.into();
    }
    let tally: Tally = serde_json::from_value(wire).unwrap();
    let registration = |id: &str, tracks: &str| {
        format!(
            r#"{{"id":"{id}","name":"Practice {id}","registered_on":"2027-01-01","tracks":{tracks},
                "corresponding_physician":{{"name":"Dr. R","asco_membership":"good_standing"}},
                "administrator":{{"name":"J"}}}}"#
        )
    };
    let practices = Practices::from_json(&format!(
        "[{},{},{},{}]",
        registration("P1", r#"["core","qcp"]"#),
        registration("P2", r#"["core","qcp"]"#),
        registration("P3", r#"["core","qcp"]"#),
        // Registered for core and breast only: never scored on the qcp track.
        registration("P4", r#"["core","breast"]"#),
    ))
    .unwrap();
    Report::build_for(
        &tally,
        lib,
        &RoundCalendar::new(),
        &ReportOptions::default(),
        date(issued_on),
        final_report,
        &practices,
    )
    .unwrap()
}

fn facts(p: &str, webinar: Option<&str>) -> PracticeFacts {
    PracticeFacts::new(
        PracticeId::new(p).unwrap(),
        webinar.map(|d| Webinar {
            date: date(d),
            format: WebinarFormat::Recorded,
        }),
    )
}

#[test]
fn a_practice_over_the_threshold_with_enough_charts_and_the_webinar_may_apply() {
    let rules = EligibilityRules::new(30);
    let ok = eligibility(
        &report("2028-02-29", true),
        &facts("P1", Some("2028-03-01")),
        date("2028-06-01"),
        &rules,
    )
    .unwrap();
    assert_eq!(ok.score.normalize().to_string(), "0.9");
    assert_eq!(ok.charts, 40);
    assert_eq!(
        ok.valid_until,
        date("2029-02-28"),
        "29 Feb + 1 year = 28 Feb"
    );
}

#[test]
fn the_score_is_valid_for_one_calendar_year_inclusive() {
    let rules = EligibilityRules::new(30);
    let r = report("2028-02-29", true);
    let f = facts("P1", Some("2028-03-01"));
    assert!(eligibility(&r, &f, date("2029-02-28"), &rules).is_ok());
    let why = eligibility(&r, &f, date("2029-03-01"), &rules).unwrap_err();
    assert_eq!(
        why,
        [Ineligible::ScoreExpired {
            issued_on: date("2028-02-29"),
            valid_until: date("2029-02-28"),
            applying_on: date("2029-03-01"),
        }]
    );
    assert_eq!(
        score_valid_until(date("2027-03-15"), &rules),
        date("2028-03-15")
    );
}

#[test]
fn every_reason_is_reported_with_a_readable_message() {
    let rules = EligibilityRules::new(30);
    let f = facts("P2", None);
    let why =
        eligibility(&report("2028-01-10", false), &f, date("2028-02-01"), &rules).unwrap_err();
    let text: Vec<String> = why.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "the report is not the round's final report",
            "Overall Quality Score 50.0% is below the 75.0% threshold",
            "nobody from the practice has attended the Certification Program webinar",
        ]
    );
    // P4 scores 90% on the qcp measures it happens to have, but it registered for core
    // and breast only: the report's registrations say so, and it has no qcp score.
    let why = eligibility(
        &report("2028-01-10", true),
        &facts("P4", Some("2028-01-01")),
        date("2028-02-01"),
        &rules,
    )
    .unwrap_err();
    let text: Vec<String> = why.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "the practice is not registered on the certification (qcp) track",
            "the report has no Overall Quality Score for the practice on track `qcp`",
        ]
    );
    let why = eligibility(
        &report("2028-01-10", true),
        &facts("P3", Some("2028-03-05")),
        date("2028-03-01"),
        &rules,
    )
    .unwrap_err();
    let text: Vec<String> = why.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "12 unique charts, fewer than the minimum of 30",
            "the webinar was attended on 2028-03-05, after applying on 2028-03-01: attend it first",
        ]
    );
    let why = eligibility(
        &report("2028-01-10", true),
        &facts("P9", Some("2027-12-01")),
        date("2028-01-05"),
        &rules,
    )
    .unwrap_err();
    let text: Vec<String> = why.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "the practice is not registered on the certification (qcp) track",
            "the report has no Overall Quality Score for the practice on track `qcp`",
            "0 unique charts, fewer than the minimum of 30",
            "applying on 2028-01-05, before the report was issued on 2028-01-10",
        ]
    );
}

#[test]
fn a_practice_below_the_threshold_may_request_a_review_within_ten_days() {
    let rules = EligibilityRules::new(30);
    let r = report("2028-02-29", true);
    let p2 = PracticeId::new("P2").unwrap();
    assert!(may_request_score_review(
        &r,
        &p2,
        date("2028-02-29"),
        &rules
    ));
    assert!(may_request_score_review(
        &r,
        &p2,
        date("2028-03-10"),
        &rules
    ));
    assert!(!may_request_score_review(
        &r,
        &p2,
        date("2028-03-11"),
        &rules
    ));
    let p1 = PracticeId::new("P1").unwrap();
    assert!(
        !may_request_score_review(&r, &p1, date("2028-03-01"), &rules),
        "above the threshold"
    );
}

#[test]
fn a_report_round_trips_through_json() {
    let r = report("2028-02-29", true);
    let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn a_report_without_registrations_qualifies_nobody_and_a_verdict_names_its_report() {
    let rules = EligibilityRules::new(30);
    let r = report("2028-02-29", true);
    let ok = eligibility(
        &r,
        &facts("P1", Some("2028-03-01")),
        date("2028-06-01"),
        &rules,
    )
    .unwrap();
    assert_eq!(ok.report_fingerprint, r.fingerprint());
    assert_eq!(ok.report_fingerprint.len(), 32);
    let tally = common::hand_tally(&[
        r#"{"round":"2027-2","practice":"P1","charts":40,"measures":{}}"#.to_string(),
    ]);
    let lib = Library::bundled().unwrap();
    let unchecked = Report::build(
        &tally,
        lib,
        &ReportOptions::default(),
        date("2028-02-29"),
        true,
    )
    .unwrap();
    assert!(!unchecked.registration.checked);
    let why = eligibility(
        &unchecked,
        &facts("P1", Some("2028-03-01")),
        date("2028-06-01"),
        &rules,
    )
    .unwrap_err();
    assert_eq!(why[0], Ineligible::RegistrationNotChecked);
}

#[test]
fn a_final_report_over_a_selection_of_measures_never_qualifies_even_with_every_track_measure() {
    let rules = EligibilityRules::new(30);
    let whole = Library::bundled().unwrap();
    // Every measure of the certification track: the score is the same as the whole
    // library's, but the report is an analysis of a selection.
    let track: Vec<&str> = (0..whole.measures().len())
        .filter_map(|i| whole.measure(i))
        .filter(|m| m.tracks.iter().any(|t| t == "qcp"))
        .map(|m| m.id.as_str())
        .collect();
    assert!(track.contains(&TOBACCO) && track.contains(&QOPI5));
    let selected = Library::bundled_owned().unwrap().restrict(&track).unwrap();
    let r = report_with(&selected, "2028-02-29", true);
    assert_eq!(
        r.computed_with.as_ref().unwrap().selection.as_deref(),
        selected.selection()
    );
    let why = eligibility(
        &r,
        &facts("P1", Some("2028-03-01")),
        date("2028-06-01"),
        &rules,
    )
    .unwrap_err();
    assert_eq!(
        why,
        [Ineligible::SelectedMeasures {
            measures: selected.measures().len()
        }]
    );
    assert!(why[0].to_string().contains("selection of"), "{}", why[0]);
    // The same counts under the whole library qualify.
    assert!(
        eligibility(
            &report("2028-02-29", true),
            &facts("P1", Some("2028-03-01")),
            date("2028-06-01"),
            &rules,
        )
        .is_ok()
    );
}
