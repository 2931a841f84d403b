//! Certification walks: each log `tests/certification/NAME.json` (its events, and the
//! workflow rules where they differ from the defaults) replays to what
//! `NAME.expect.json` beside it says on a date (phase, standing, dates, cycle, earlier
//! cycles), and where it says so an illegal next event is refused with its message and the
//! log left unchanged. Logs round-trip through JSON.

use oncoqual::Date;
use oncoqual::certification::{Event, Rules, Standards, Workflow};
use serde_json::Value;

/// Every walk: (name, log file, expectations).
fn walks() -> Vec<(String, Value, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/certification");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(name) = file.strip_suffix(".json") else {
            continue;
        };
        if name.ends_with(".expect") {
            continue;
        }
        let read = |p: &std::path::Path| -> Value {
            serde_json::from_str(&std::fs::read_to_string(p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let expect = read(&path.with_file_name(format!("{name}.expect.json")));
        out.push((name.to_owned(), read(&path), expect));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn rules_of(walk: &Value) -> Rules {
    walk.get("rules")
        .map(|r| serde_json::from_value(r.clone()).unwrap())
        .unwrap_or_default()
}

#[test]
fn every_walk_replays_to_its_expected_state() {
    let standards = Standards::bundled();
    let all = walks();
    for (name, walk, expect) in &all {
        let log: Vec<Event> =
            serde_json::from_value(walk["log"].clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut w = Workflow::replay(rules_of(walk), log, standards)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Round trip: the JSON form replays to the same workflow.
        let again = Workflow::from_json(&w.to_json(), standards).unwrap();
        assert_eq!(again, w, "{name}");
        let on = Date::parse(expect["on"].as_str().unwrap()).unwrap();
        let status = w.status(on);
        let phase = serde_json::to_value(status.phase).unwrap();
        let standing = serde_json::to_value(status.standing).unwrap();
        assert_eq!(phase, expect["phase"], "{name}");
        assert_eq!(standing, expect["standing"], "{name}: {status:?}");
        for key in ["expires_on", "pending_lapses_on"] {
            if let Some(d) = expect.get(key) {
                assert_eq!(
                    status.dates[key].to_string(),
                    d.as_str().unwrap(),
                    "{name}: {key}"
                );
            }
        }
        if let Some(cycle) = expect.get("cycle") {
            assert_eq!(
                u64::from(w.state().cycle),
                cycle.as_u64().unwrap(),
                "{name}"
            );
        }
        if let Some(past) = expect.get("past_cycles") {
            assert_eq!(
                &serde_json::to_value(&w.state().past_cycles).unwrap(),
                past,
                "{name}"
            );
        }
        assert!(!status.next.is_empty());
        if let Some(event) = expect.get("refused") {
            let event: Event = serde_json::from_value(event.clone()).unwrap();
            let before = w.clone();
            let err = w.apply(event, standards).unwrap_err();
            assert_eq!(
                err.to_string(),
                expect["message"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(
                w, before,
                "{name}: a refused event leaves the log unchanged"
            );
        }
    }
    let names: Vec<&str> = all.iter().map(|(n, _, _)| n.as_str()).collect();
    for required in [
        "first-time-pass",
        "action-plan",
        "resurvey",
        "surveyor-conflict",
        "pending-lapses",
        "lets-certification-expire",
        "renews-on-time",
        "score-expired-before-applying",
        "denied-cannot-meet",
        "denied-after-pending-lapse",
        "committee-amends",
        "disagreement-resurvey",
        "reapplies-after-expiry",
        "reapplies-after-denial",
    ] {
        assert!(
            names.contains(&required),
            "missing walk {required}: {names:?}"
        );
    }
}

#[test]
fn the_summary_rule_decides_which_disagreements_become_requirements() {
    // The same findings: policy review not met but observation met on 3.6.1; policy review
    // met but observation partially met on 4.3.2. Practice first: only 4.3 is a
    // requirement; strictest: both are.
    let s = Standards::bundled();
    let (_, walk, _) = walks()
        .into_iter()
        .find(|(n, _, _)| n == "disagreement-resurvey")
        .unwrap();
    let log: Vec<Event> = serde_json::from_value(walk["log"].clone()).unwrap();
    let reviewed = log
        .iter()
        .position(|e| e.name() == "committee_reviewed")
        .unwrap();
    let practice_first = Workflow::replay(rules_of(&walk), log[..=reviewed].to_vec(), s).unwrap();
    let reqs: Vec<&str> = practice_first
        .state()
        .requirements
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(reqs, ["4.3"]);
    assert_eq!(practice_first.state().disagreements().len(), 2);
    let strictest = Workflow::replay(Rules::default(), log[..=reviewed].to_vec(), s).unwrap();
    let reqs: Vec<&str> = strictest
        .state()
        .requirements
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(reqs, ["3.6", "4.3"]);
    // Under the strictest rule the walk's plan (4.3 only) leaves 3.6 uncovered.
    let mut w = strictest;
    let err = w.apply(log[reviewed + 1].clone(), s).unwrap_err();
    assert!(err.to_string().ends_with("uncovered: 3.6"), "{err}");
}

fn ev(json: &str) -> Event {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// A workflow through the given walk's first `n` events.
fn walk(name: &str, n: usize) -> Workflow {
    let path = format!(
        "{}/tests/certification/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let log: Vec<Event> = serde_json::from_value(v["log"].clone()).unwrap();
    Workflow::replay(
        rules_of(&v),
        log.into_iter().take(n).collect(),
        Standards::bundled(),
    )
    .unwrap()
}

#[test]
fn every_illegal_step_is_refused_with_its_reason_and_the_log_unchanged() {
    let s = Standards::bundled();
    let cases: Vec<(Workflow, Event, &str)> = vec![
        (
            walk("first-time-pass", 1),
            ev(
                r#"{"event":"step_completed","date":"2027-02-01","step":"agreements","signed_by":"Dr A"}"#,
            ),
            "`step_completed` refused in state `applying`: dated 2027-02-01, before the previous event (2027-03-01)",
        ),
        (
            walk("first-time-pass", 2),
            ev(
                r#"{"event":"step_completed","date":"2027-03-05","step":"agreements","signed_by":"Dr A"}"#,
            ),
            "`step_completed` refused in state `applying`: step `agreements` is already complete",
        ),
        (
            walk("first-time-pass", 1),
            ev(
                r#"{"event":"step_completed","date":"2027-03-02","step":"payment","reference":"INV-1"}"#,
            ),
            "`step_completed` refused in state `applying`: step `payment` is out of portal order: the next step is `agreements`",
        ),
        (
            walk("first-time-pass", 3),
            ev(
                r#"{"event":"step_completed","date":"2027-03-05","step":"survey_dates","survey_dates":["2027-05-04"]}"#,
            ),
            "`step_completed` refused in state `applying`: step `survey_dates` is out of portal order: the next step is `payment`",
        ),
        (
            walk("first-time-pass", 1),
            ev(r#"{"event":"step_completed","date":"2027-03-02","step":"eligibility"}"#),
            "`step_completed` refused in state `applying`: step `eligibility` is already complete",
        ),
        (
            walk("first-time-pass", 1),
            ev(r#"{"event":"step_completed","date":"2027-03-02","step":"agreements"}"#),
            "`step_completed` refused in state `applying`: the agreements step needs `signed_by` (who signed them)",
        ),
        (
            walk("first-time-pass", 3),
            ev(r#"{"event":"step_completed","date":"2027-03-05","step":"payment"}"#),
            "`step_completed` refused in state `applying`: the payment step needs the payment's `reference`",
        ),
        (
            walk("first-time-pass", 4),
            ev(r#"{"event":"step_completed","date":"2027-03-06","step":"policy_upload"}"#),
            "`step_completed` refused in state `applying`: the policy-upload step needs the titles of the policies uploaded (`policies`)",
        ),
        (
            walk("first-time-pass", 4),
            ev(
                r#"{"event":"step_completed","date":"2027-03-06","step":"policy_upload","policies":["Extravasation"," Extravasation "]}"#,
            ),
            "`step_completed` refused in state `applying`: the policy `Extravasation` is listed twice",
        ),
        (
            walk("first-time-pass", 1),
            ev(
                r#"{"event":"step_completed","date":"2027-03-02","step":"payment","survey_dates":["2027-05-01"]}"#,
            ),
            "`step_completed` refused in state `applying`: `survey_dates` is carried by the `survey_dates` step, not `payment`",
        ),
        (
            walk("first-time-pass", 5),
            ev(r#"{"event":"step_completed","date":"2027-03-10","step":"survey_dates"}"#),
            "`step_completed` refused in state `applying`: the survey-dates step needs at least one date offered",
        ),
        (
            walk("first-time-pass", 5),
            ev(
                r#"{"event":"step_completed","date":"2027-03-10","step":"survey_dates","survey_dates":["2027-03-09"]}"#,
            ),
            "`step_completed` refused in state `applying`: offered survey date 2027-03-09 is not after 2027-03-10",
        ),
        (
            walk("first-time-pass", 1),
            ev(r#"{"event":"surveyor_assigned","date":"2027-03-11","surveyor":"S"}"#),
            "`surveyor_assigned` refused in state `applying`: needs the application ready for survey, a re-survey ordered, or a conflicted surveyor to replace",
        ),
        (
            walk("first-time-pass", 6),
            ev(r#"{"event":"surveyor_assigned","date":"2027-04-01","surveyor":" "}"#),
            "`surveyor_assigned` refused in state `ready_for_survey`: the surveyor is not named",
        ),
        (
            walk("first-time-pass", 7),
            ev(r#"{"event":"survey_scheduled","date":"2027-04-01","survey_date":"2027-05-04"}"#),
            "`survey_scheduled` refused in state `surveyor_assigned`: the practice has not confirmed the absence of a conflict of interest",
        ),
        (
            walk("surveyor-conflict", 8),
            ev(r#"{"event":"survey_scheduled","date":"2027-04-03","survey_date":"2027-05-04"}"#),
            "`survey_scheduled` refused in state `surveyor_assigned`: the surveyor has a conflict of interest and must be replaced first",
        ),
        (
            walk("surveyor-conflict", 8),
            ev(r#"{"event":"surveyor_assigned","date":"2027-04-03","surveyor":"Surveyor A"}"#),
            "`surveyor_assigned` refused in state `surveyor_assigned`: the conflicted surveyor must be replaced by another",
        ),
        (
            walk("first-time-pass", 8),
            ev(r#"{"event":"survey_scheduled","date":"2027-04-01","survey_date":"2027-05-05"}"#),
            "`survey_scheduled` refused in state `surveyor_assigned`: 2027-05-05 is not one of the dates the practice offered",
        ),
        (
            walk("first-time-pass", 8),
            ev(r#"{"event":"conflict_declared","date":"2027-04-01"}"#),
            "`conflict_declared` refused in state `surveyor_assigned`: the conflict of interest was already answered for this surveyor",
        ),
        (
            walk("first-time-pass", 6),
            ev(r#"{"event":"no_conflict_confirmed","date":"2027-04-01"}"#),
            "`no_conflict_confirmed` refused in state `ready_for_survey`: needs an assigned surveyor or committee reviewer",
        ),
        (
            walk("resurvey", 17),
            ev(r#"{"event":"survey_scheduled","date":"2027-07-23","survey_date":"2027-07-22"}"#),
            "`survey_scheduled` refused in state `surveyor_assigned`: the survey date 2027-07-22 is in the past",
        ),
        (
            walk("first-time-pass", 9),
            ev(r#"{"event":"findings_recorded","date":"2027-05-03","findings":[]}"#),
            "`findings_recorded` refused in state `survey_scheduled`: findings dated before the survey on 2027-05-04",
        ),
        (
            walk("first-time-pass", 9),
            ev(r#"{"event":"findings_recorded","date":"2027-05-04","findings":[]}"#),
            "`findings_recorded` refused in state `survey_scheduled`: every element of every standard needs a finding; missing: ",
        ),
        (
            walk("first-time-pass", 9),
            ev(
                r#"{"event":"findings_recorded","date":"2027-05-04","findings":[{"standard":"1.1","element":9,"method":"policy_review","level":"met"}]}"#,
            ),
            "`findings_recorded` refused in state `survey_scheduled`: standard `1.1` has elements 1–3, not 9",
        ),
        (
            walk("first-time-pass", 9),
            ev(
                r#"{"event":"findings_recorded","date":"2027-05-04","findings":[{"standard":"1.1","element":1,"method":"observation","level":"met"}]}"#,
            ),
            "`findings_recorded` refused in state `survey_scheduled`: standard `1.1` is not surveyed by observation",
        ),
        (
            walk("first-time-pass", 9),
            ev(
                r#"{"event":"findings_recorded","date":"2027-05-04","findings":[{"standard":"1.1","element":1,"method":"policy_review","level":"met"},{"standard":"1.1","element":1,"method":"policy_review","level":"not_met"}]}"#,
            ),
            "`findings_recorded` refused in state `survey_scheduled`: element 1 of `1.1` has two findings by policy_review",
        ),
        (
            walk("first-time-pass", 9),
            ev(
                r#"{"event":"findings_recorded","date":"2027-05-04","findings":[{"standard":"8.8","element":1,"method":"policy_review","level":"met"}]}"#,
            ),
            "`findings_recorded` refused in state `survey_scheduled`: finding for unknown standard `8.8`",
        ),
        (
            walk("first-time-pass", 9),
            ev(r#"{"event":"committee_reviewed","date":"2027-05-04","reviewer":"Reviewer R"}"#),
            "`committee_reviewed` refused in state `survey_scheduled`: needs recorded findings",
        ),
        (
            walk("first-time-pass", 10),
            ev(r#"{"event":"committee_reviewed","date":"2027-06-01","reviewer":"Reviewer R"}"#),
            "`committee_reviewed` refused in state `surveyed`: no committee reviewer is assigned",
        ),
        (
            walk("first-time-pass", 10),
            ev(r#"{"event":"reviewer_assigned","date":"2027-06-01","reviewer":"Surveyor A"}"#),
            "`reviewer_assigned` refused in state `surveyed`: `Surveyor A` surveyed the practice and cannot review the findings",
        ),
        (
            walk("first-time-pass", 11),
            ev(r#"{"event":"committee_reviewed","date":"2027-06-01","reviewer":"Reviewer R"}"#),
            "`committee_reviewed` refused in state `surveyed`: the practice has not confirmed the absence of a conflict of interest with the committee reviewer",
        ),
        (
            walk("first-time-pass", 12),
            ev(r#"{"event":"committee_reviewed","date":"2027-06-01","reviewer":"Reviewer Q"}"#),
            "`committee_reviewed` refused in state `surveyed`: `Reviewer Q` is not the assigned committee reviewer (`Reviewer R`)",
        ),
        (
            walk("first-time-pass", 12),
            ev(r#"{"event":"reviewer_assigned","date":"2027-06-01","reviewer":"Reviewer Q"}"#),
            "`reviewer_assigned` refused in state `surveyed`: a committee reviewer is already assigned (only one with a declared conflict of interest is replaced)",
        ),
        (
            walk("first-time-pass", 12),
            ev(
                r#"{"event":"committee_reviewed","date":"2027-06-01","reviewer":"Reviewer R","amendments":[{"standard":"2.2","element":1,"level":"met","reason":"confirmed"}]}"#,
            ),
            "`committee_reviewed` refused in state `surveyed`: element 1 of `2.2` is already met: an amendment changes a level (the others are confirmed)",
        ),
        (
            walk("first-time-pass", 12),
            ev(
                r#"{"event":"committee_reviewed","date":"2027-06-01","reviewer":"Reviewer R","amendments":[{"standard":"2.2","element":1,"level":"not_met","reason":" "}]}"#,
            ),
            "`committee_reviewed` refused in state `surveyed`: the amendment of element 1 of `2.2` needs a written reason",
        ),
        (
            walk("first-time-pass", 12),
            ev(
                r#"{"event":"committee_reviewed","date":"2027-06-01","reviewer":"Reviewer R","amendments":[{"standard":"2.2","element":1,"level":"not_met","reason":"a"},{"standard":"2.2","element":1,"level":"partially_met","reason":"b"}]}"#,
            ),
            "`committee_reviewed` refused in state `surveyed`: element 1 of `2.2` is amended twice",
        ),
        (
            walk("first-time-pass", 12),
            ev(
                r#"{"event":"committee_reviewed","date":"2027-06-01","reviewer":"Reviewer R","amendments":[{"standard":"2.4","element":2,"level":"not_met","reason":"a"}]}"#,
            ),
            "`committee_reviewed` refused in state `surveyed`: the amendment names element 2 of `2.4`, which has no finding",
        ),
        (
            walk("action-plan", 13),
            ev(r#"{"event":"action_plan_submitted","date":"2027-06-10","actions":[]}"#),
            "`action_plan_submitted` refused in state `requirements_open`: the plan leaves requirement(s) uncovered: 2.2",
        ),
        (
            walk("action-plan", 13),
            ev(
                r#"{"event":"action_plan_submitted","date":"2027-06-10","actions":[{"standard":"2.2","action":"x","owner":"","due":"2027-07-01"}]}"#,
            ),
            "`action_plan_submitted` refused in state `requirements_open`: the action for `2.2` needs an action and an owner",
        ),
        (
            walk("action-plan", 13),
            ev(
                r#"{"event":"action_plan_submitted","date":"2027-06-10","actions":[{"standard":"1.1","action":"x","owner":"y","due":"2027-07-01"}]}"#,
            ),
            "`action_plan_submitted` refused in state `requirements_open`: standard `1.1` is not a requirement of the CCR",
        ),
        (
            walk("action-plan", 13),
            ev(
                r#"{"event":"action_plan_submitted","date":"2027-06-10","actions":[{"standard":"2.2","action":"x","owner":"y","due":"2027-06-01"}]}"#,
            ),
            "`action_plan_submitted` refused in state `requirements_open`: the action for `2.2` is due 2027-06-01, before the plan",
        ),
        (
            walk("action-plan", 13),
            ev(r#"{"event":"documentation_submitted","date":"2027-06-10"}"#),
            "`documentation_submitted` refused in state `requirements_open`: needs an accepted action plan",
        ),
        (
            walk("action-plan", 13),
            ev(r#"{"event":"resurvey_ordered","date":"2027-06-10"}"#),
            "`resurvey_ordered` refused in state `requirements_open`: needs an accepted action plan",
        ),
        (
            walk("action-plan", 14),
            ev(r#"{"event":"resurvey_ordered","date":"2027-06-11"}"#),
            "`resurvey_ordered` refused in state `action_plan_accepted`: no element's policy review and observation disagree: a re-survey is ordered only on such a disagreement",
        ),
        (
            walk("action-plan", 15),
            ev(
                r#"{"event":"documentation_reviewed","date":"2027-09-01","reviewer":"Reviewer R","now_met":["1.1"]}"#,
            ),
            "`documentation_reviewed` refused in state `pending`: standard `1.1` is not an open requirement",
        ),
        (
            walk("action-plan", 14),
            ev(
                r#"{"event":"documentation_reviewed","date":"2027-09-01","reviewer":"Reviewer R","now_met":["2.2"]}"#,
            ),
            "`documentation_reviewed` refused in state `action_plan_accepted`: needs submitted documentation",
        ),
        (
            walk("action-plan", 15),
            ev(
                r#"{"event":"documentation_reviewed","date":"2027-09-01","reviewer":"Surveyor A","now_met":["2.2"]}"#,
            ),
            "`documentation_reviewed` refused in state `pending`: `Surveyor A` is not the assigned committee reviewer (`Reviewer R`)",
        ),
        (
            walk("action-plan", 15),
            ev(
                r#"{"event":"decision","date":"2027-09-01","reviewer":"Reviewer R","outcome":"award","reasons":["x"]}"#,
            ),
            "`decision` refused in state `pending`: an award needs every standard met; open requirements: 2.2",
        ),
        (
            walk("action-plan", 15),
            ev(
                r#"{"event":"decision","date":"2027-09-01","reviewer":"Reviewer R","outcome":"deny","cannot_meet":["2.2"]}"#,
            ),
            "`decision` refused in state `pending`: a denial states its reasons",
        ),
        (
            walk("action-plan", 15),
            ev(
                r#"{"event":"decision","date":"2027-09-01","reviewer":"Reviewer R","outcome":"deny","reasons":["slow"]}"#,
            ),
            "`decision` refused in state `pending`: a denial needs a standard the committee finds cannot be met (`cannot_meet`), or requirements still open past the pending lapse (on 2028-08-01)",
        ),
        (
            walk("action-plan", 15),
            ev(
                r#"{"event":"decision","date":"2027-09-01","reviewer":"Reviewer R","outcome":"deny","reasons":["x"],"cannot_meet":["1.1"]}"#,
            ),
            "`decision` refused in state `pending`: standard `1.1` is not an open requirement",
        ),
        (
            walk("action-plan", 16),
            ev(
                r#"{"event":"decision","date":"2027-09-01","reviewer":"Reviewer R","outcome":"deny","reasons":["x"]}"#,
            ),
            "`decision` refused in state `awaiting_decision`: every standard is met: the decision is an award",
        ),
        (
            walk("first-time-pass", 13),
            ev(
                r#"{"event":"decision","date":"2027-06-01","reviewer":"Reviewer R","outcome":"award","reasons":[" "]}"#,
            ),
            "`decision` refused in state `awaiting_decision`: a reason of the decision is blank",
        ),
        (
            walk("first-time-pass", 12),
            ev(
                r#"{"event":"decision","date":"2027-06-01","reviewer":"Reviewer R","outcome":"award"}"#,
            ),
            "`decision` refused in state `surveyed`: needs a Certification Compliance Report",
        ),
        (
            walk("first-time-pass", 14),
            ev(r#"{"event":"renewal_granted","date":"2029-09-01"}"#),
            "`renewal_granted` refused in state `certified`: needs a renewal application",
        ),
        (
            walk("renews-on-time", 16),
            ev(r#"{"event":"renewal_applied","date":"2029-05-31"}"#),
            "`renewal_applied` refused in state `certified`: renewal is applied for between 2029-06-01 and 2029-09-01 (12–9 months before expiry on 2030-06-01)",
        ),
        (
            walk("action-plan", 13),
            ev(r#"{"event":"participation_recorded","date":"2027-09-01"}"#),
            "`participation_recorded` refused in state `requirements_open`: needs a certification",
        ),
        (
            walk("denied-cannot-meet", 14),
            ev(
                r#"{"event":"step_completed","date":"2027-06-20","step":"agreements","signed_by":"Dr A"}"#,
            ),
            "`step_completed` refused in state `denied`: needs an open application",
        ),
    ];
    let mut wrong = Vec::new();
    for (mut w, event, message) in cases {
        let before = w.clone();
        match w.apply(event, s) {
            Ok(_) => wrong.push(format!("accepted; want: {message}")),
            Err(e) if !e.to_string().starts_with(message) => {
                wrong.push(format!("got:  {e}\nwant: {message}"));
            }
            Err(_) => assert_eq!(w, before, "a refused event changed the workflow"),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn the_fuzz_seeds_are_the_walks_in_the_lines_format() {
    // `fuzz/seeds-cert/NAME.log` starts the `cert_log` fuzzer from every walk: each reads
    // (header and one event per line) to the very workflow of its walk.
    let s = Standards::bundled();
    for (name, walk, _) in walks() {
        let path = format!("{}/fuzz/seeds-cert/{name}.log", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let read =
            oncoqual::certification::read_log(&bytes, s).unwrap_or_else(|e| panic!("{path}: {e}"));
        let log: Vec<Event> = serde_json::from_value(walk["log"].clone()).unwrap();
        let w = Workflow::replay(rules_of(&walk), log, s).unwrap();
        assert_eq!(read.workflow, w, "{name}");
    }
}
