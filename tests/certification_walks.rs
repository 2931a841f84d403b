//! Certification walks: each JSON log in `tests/certification/` replays to the expected
//! phase and standing on a date, and where it says so an illegal next event is refused with
//! its message and the log left unchanged. Logs round-trip through JSON.

use oncoqual::Date;
use oncoqual::certification::{Event, Rules, Standards, Workflow};

#[test]
fn every_walk_replays_to_its_expected_state() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/certification");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let log: Vec<Event> = serde_json::from_value(v["log"].clone()).unwrap();
        let expect = &v["expect"];
        let standards = Standards::bundled();
        let mut w = Workflow::replay(Rules::default(), log, standards)
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
        names.push(name);
    }
    names.sort();
    assert_eq!(names.len(), 8, "{names:?}");
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
        Rules::default(),
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
            ev(r#"{"event":"step_completed","date":"2027-02-01","step":"payment"}"#),
            "`step_completed` refused in state `applying`: dated 2027-02-01, before the previous event (2027-03-01)",
        ),
        (
            walk("first-time-pass", 3),
            ev(r#"{"event":"step_completed","date":"2027-03-05","step":"agreements"}"#),
            "`step_completed` refused in state `applying`: step `Agreements` is already complete",
        ),
        (
            walk("first-time-pass", 6),
            ev(
                r#"{"event":"step_completed","date":"2027-03-10","step":"survey_dates","survey_dates":["2027-03-09"]}"#,
            ),
            "`step_completed` refused in state `applying`: offered survey date 2027-03-09 is not after 2027-03-10",
        ),
        (
            walk("first-time-pass", 6),
            ev(r#"{"event":"surveyor_assigned","date":"2027-03-11","surveyor":"S"}"#),
            "`surveyor_assigned` refused in state `applying`: needs the application ready for survey, a re-survey ordered, or a conflicted surveyor to replace",
        ),
        (
            walk("first-time-pass", 8),
            ev(r#"{"event":"survey_scheduled","date":"2027-04-01","survey_date":"2027-05-04"}"#),
            "`survey_scheduled` refused in state `surveyor_assigned`: the practice has not confirmed the absence of a conflict of interest",
        ),
        (
            walk("surveyor-conflict", 9),
            ev(r#"{"event":"survey_scheduled","date":"2027-04-03","survey_date":"2027-05-04"}"#),
            "`survey_scheduled` refused in state `surveyor_assigned`: the surveyor has a conflict of interest and must be replaced first",
        ),
        (
            walk("surveyor-conflict", 9),
            ev(r#"{"event":"surveyor_assigned","date":"2027-04-03","surveyor":"Surveyor A"}"#),
            "`surveyor_assigned` refused in state `surveyor_assigned`: the conflicted surveyor must be replaced by another",
        ),
        (
            walk("first-time-pass", 9),
            ev(r#"{"event":"survey_scheduled","date":"2027-04-01","survey_date":"2027-05-05"}"#),
            "`survey_scheduled` refused in state `surveyor_assigned`: 2027-05-05 is not one of the dates the practice offered",
        ),
        (
            walk("first-time-pass", 10),
            ev(r#"{"event":"findings_recorded","date":"2027-05-04","findings":[]}"#),
            "`findings_recorded` refused in state `survey_scheduled`: every element of every standard needs a finding; missing: ",
        ),
        (
            walk("first-time-pass", 10),
            ev(
                r#"{"event":"findings_recorded","date":"2027-05-04","findings":[{"standard":"1.1","element":9,"method":"policy_review","level":"met"}]}"#,
            ),
            "`findings_recorded` refused in state `survey_scheduled`: standard `1.1` has elements 1–3, not 9",
        ),
        (
            walk("first-time-pass", 10),
            ev(
                r#"{"event":"findings_recorded","date":"2027-05-04","findings":[{"standard":"1.1","element":1,"method":"observation","level":"met"}]}"#,
            ),
            "`findings_recorded` refused in state `survey_scheduled`: standard `1.1` is not surveyed by Observation",
        ),
        (
            walk("action-plan", 12),
            ev(r#"{"event":"action_plan_submitted","date":"2027-06-10","actions":[]}"#),
            "`action_plan_submitted` refused in state `requirements_open`: the plan leaves requirement(s) uncovered: 2.2",
        ),
        (
            walk("action-plan", 12),
            ev(
                r#"{"event":"action_plan_submitted","date":"2027-06-10","actions":[{"standard":"2.2","action":"x","owner":"","due":"2027-07-01"}]}"#,
            ),
            "`action_plan_submitted` refused in state `requirements_open`: the action for `2.2` needs an action and an owner",
        ),
        (
            walk("action-plan", 12),
            ev(r#"{"event":"documentation_submitted","date":"2027-06-10"}"#),
            "`documentation_submitted` refused in state `requirements_open`: needs an accepted action plan",
        ),
        (
            walk("renews-on-time", 14),
            ev(r#"{"event":"renewal_applied","date":"2029-05-31"}"#),
            "`renewal_applied` refused in state `certified`: renewal is applied for between 2029-06-01 and 2029-09-01 (12–9 months before expiry on 2030-06-01)",
        ),
        (
            walk("first-time-pass", 1),
            ev(
                r#"{"event":"application_opened","date":"2027-03-02","practice":"P0001","score_valid_until":"2028-01-15"}"#,
            ),
            "`application_opened` refused in state `applying`: needs no application already open",
        ),
        (
            walk("first-time-pass", 1),
            ev(
                r#"{"event":"step_completed","date":"2027-03-02","step":"payment","survey_dates":["2027-05-01"]}"#,
            ),
            "`step_completed` refused in state `applying`: only the survey-dates step offers dates",
        ),
        (
            walk("first-time-pass", 1),
            ev(r#"{"event":"step_completed","date":"2027-03-02","step":"survey_dates"}"#),
            "`step_completed` refused in state `applying`: the survey-dates step needs at least one date offered",
        ),
        (
            walk("first-time-pass", 7),
            ev(r#"{"event":"surveyor_assigned","date":"2027-04-01","surveyor":" "}"#),
            "`surveyor_assigned` refused in state `ready_for_survey`: the surveyor is not named",
        ),
        (
            walk("first-time-pass", 9),
            ev(r#"{"event":"conflict_declared","date":"2027-04-01"}"#),
            "`conflict_declared` refused in state `surveyor_assigned`: the conflict of interest was already answered for this surveyor",
        ),
        (
            walk("first-time-pass", 7),
            ev(r#"{"event":"no_conflict_confirmed","date":"2027-04-01"}"#),
            "`no_conflict_confirmed` refused in state `ready_for_survey`: needs an assigned surveyor",
        ),
        (
            walk("resurvey", 16),
            ev(r#"{"event":"survey_scheduled","date":"2027-07-23","survey_date":"2027-07-22"}"#),
            "`survey_scheduled` refused in state `surveyor_assigned`: the survey date 2027-07-22 is in the past",
        ),
        (
            walk("first-time-pass", 10),
            ev(r#"{"event":"findings_recorded","date":"2027-05-03","findings":[]}"#),
            "`findings_recorded` refused in state `survey_scheduled`: findings dated before the survey on 2027-05-04",
        ),
        (
            walk("first-time-pass", 10),
            ev(
                r#"{"event":"findings_recorded","date":"2027-05-04","findings":[{"standard":"1.1","element":1,"method":"policy_review","level":"met"},{"standard":"1.1","element":1,"method":"policy_review","level":"met"}]}"#,
            ),
            "`findings_recorded` refused in state `survey_scheduled`: element 1 of `1.1` has two findings",
        ),
        (
            walk("first-time-pass", 10),
            ev(
                r#"{"event":"findings_recorded","date":"2027-05-04","findings":[{"standard":"8.8","element":1,"method":"policy_review","level":"met"}]}"#,
            ),
            "`findings_recorded` refused in state `survey_scheduled`: finding for unknown standard `8.8`",
        ),
        (
            walk("first-time-pass", 10),
            ev(r#"{"event":"committee_reviewed","date":"2027-05-04"}"#),
            "`committee_reviewed` refused in state `survey_scheduled`: needs recorded findings",
        ),
        (
            walk("action-plan", 12),
            ev(
                r#"{"event":"action_plan_submitted","date":"2027-06-10","actions":[{"standard":"1.1","action":"x","owner":"y","due":"2027-07-01"}]}"#,
            ),
            "`action_plan_submitted` refused in state `requirements_open`: standard `1.1` is not a requirement of the CCR",
        ),
        (
            walk("action-plan", 12),
            ev(
                r#"{"event":"action_plan_submitted","date":"2027-06-10","actions":[{"standard":"2.2","action":"x","owner":"y","due":"2027-06-01"}]}"#,
            ),
            "`action_plan_submitted` refused in state `requirements_open`: the action for `2.2` is due 2027-06-01, before the plan",
        ),
        (
            walk("action-plan", 12),
            ev(r#"{"event":"resurvey_ordered","date":"2027-06-10"}"#),
            "`resurvey_ordered` refused in state `requirements_open`: needs an accepted action plan",
        ),
        (
            walk("action-plan", 14),
            ev(r#"{"event":"documentation_reviewed","date":"2027-09-01","now_met":["1.1"]}"#),
            "`documentation_reviewed` refused in state `pending`: standard `1.1` is not an open requirement",
        ),
        (
            walk("action-plan", 13),
            ev(r#"{"event":"documentation_reviewed","date":"2027-09-01","now_met":["2.2"]}"#),
            "`documentation_reviewed` refused in state `action_plan_accepted`: needs submitted documentation",
        ),
        (
            walk("action-plan", 12),
            ev(r#"{"event":"participation_recorded","date":"2027-09-01"}"#),
            "`participation_recorded` refused in state `requirements_open`: needs a certification",
        ),
        (
            walk("first-time-pass", 12),
            ev(r#"{"event":"renewal_granted","date":"2029-09-01"}"#),
            "`renewal_granted` refused in state `certified`: needs a renewal application",
        ),
    ];
    for (mut w, event, message) in cases {
        let before = w.clone();
        let err = w.apply(event, s).unwrap_err().to_string();
        assert!(err.starts_with(message), "got:  {err}\nwant: {message}");
        assert_eq!(w, before);
    }
}
