//! Property tests of the certification workflow: a generator that mostly proposes legal next
//! events (and sometimes illegal ones) over whole cycles: applications opened from verdicts,
//! steps in portal order, findings by several methods (some disagreeing), committee
//! reviewers with conflicts, amendments, action plans, re-surveys, decisions both ways and
//! new cycles after a denial, an expiry or a lapse. No sequence panics; every accepted log
//! replays to the same state; nothing reaches *certified* without a verdict from a final
//! report, every standard met and the committee's award; and a stated share of runs does
//! reach *certified* (and of denied), so the properties are not vacuous.

use oncoqual::Date;
use oncoqual::certification::{
    Action, Amendment, Event, Finding, Level, Method, Outcome, Phase, Rules, Standards, State,
    Step, Workflow,
};
use proptest::prelude::*;

fn day(base: Date, n: i64) -> Date {
    base.add_days(n).unwrap()
}

fn level(pick: &mut impl FnMut(u64) -> u64) -> Level {
    match pick(20) {
        0 => Level::NotMet,
        1 => Level::PartiallyMet,
        2 => Level::NotApplicable,
        _ => Level::Met,
    }
}

/// A finding for every element by the standard's first method; where a standard is also
/// surveyed by observation, sometimes an observation finding too (which may disagree).
fn findings(s: &Standards, pick: &mut impl FnMut(u64) -> u64) -> Vec<Finding> {
    let mut out = Vec::new();
    for st in &s.standards {
        for e in 1..=st.elements.len() {
            out.push(Finding {
                standard: st.id.clone(),
                element: e,
                method: st.methods[0],
                level: level(pick),
                evidence: String::new(),
            });
            if st.methods[0] != Method::Observation
                && st.methods.contains(&Method::Observation)
                && pick(3) == 0
            {
                out.push(Finding {
                    standard: st.id.clone(),
                    element: e,
                    method: Method::Observation,
                    level: level(pick),
                    evidence: "observed".into(),
                });
            }
        }
    }
    out
}

/// An `application_opened` event for practice `P1` (sometimes another practice), with a
/// verdict as the library records it: read back through serde, as a log is.
fn opened(date: Date, pick: &mut impl FnMut(u64) -> u64) -> Event {
    let practice = if pick(10) == 0 { "P2" } else { "P1" };
    let json = serde_json::json!({
        "event": "application_opened",
        "date": date.to_string(),
        "verdict": {
            "practice": practice,
            "round": "2026-2",
            "score": "0.81",
            "charts": 60,
            "issued_on": day(date, -30).to_string(),
            "valid_until": day(date, 300).to_string(),
            "report_fingerprint": "props",
            "final_report": pick(20) != 0,
            "computed_on": date.to_string(),
            "threshold": "0.75",
            "min_unique_charts": 30,
            "webinar": {"date": day(date, -10).to_string(), "format": "recorded"}
        }
    });
    serde_json::from_value(json).unwrap()
}

fn step_event(date: Date, step: Step) -> Event {
    let json = match step {
        Step::Agreements => {
            serde_json::json!({"step": "agreements", "signed_by": "Dr A, medical director"})
        }
        Step::Payment => serde_json::json!({"step": "payment", "reference": "INV-1"}),
        Step::PolicyUpload => {
            serde_json::json!({"step": "policy_upload", "policies": ["Chemotherapy ordering"]})
        }
        Step::SurveyDates => serde_json::json!({
            "step": "survey_dates",
            "survey_dates": [day(date, 30).to_string(), day(date, 40).to_string()]
        }),
        other => serde_json::json!({"step": serde_json::to_value(other).unwrap()}),
    };
    let mut json = json;
    json["event"] = "step_completed".into();
    json["date"] = date.to_string().into();
    serde_json::from_value(json).unwrap()
}

fn reviewer(state: &State) -> String {
    state.reviewer.clone().unwrap_or_else(|| "R0".into())
}

/// A proposed next event: legal for the state most of the time.
fn propose(state: &State, s: &Standards, pick: &mut impl FnMut(u64) -> u64) -> Event {
    let last = state
        .last_date
        .unwrap_or(Date::parse("2027-01-01").unwrap());
    // Mostly days apart; sometimes a long gap, so certifications expire and pending lapses.
    let gap = if pick(15) == 0 { 400 } else { pick(20) as i64 };
    let date = day(last, gap);
    if pick(12) == 0 {
        // An arbitrary (often illegal) event.
        return match pick(7) {
            0 => Event::CommitteeReviewed {
                date,
                reviewer: format!("R{}", pick(3)),
                amendments: vec![],
            },
            1 => Event::DocumentationSubmitted { date },
            2 => Event::SurveyScheduled {
                date,
                survey_date: day(date, 3),
            },
            3 => Event::RenewalApplied { date },
            4 => Event::ResurveyOrdered { date },
            5 => opened(date, pick),
            _ => step_event(date, Step::ALL[pick(6) as usize]),
        };
    }
    match state.phase {
        Phase::NotStarted | Phase::Denied => opened(date, pick),
        Phase::Applying => {
            let step = *Step::ALL
                .iter()
                .find(|st| !state.steps.contains(st))
                .unwrap();
            step_event(date, step)
        }
        Phase::ReadyForSurvey | Phase::ResurveyOrdered => Event::SurveyorAssigned {
            date,
            surveyor: format!("S{}", pick(3)),
        },
        Phase::SurveyorAssigned => match state.conflict {
            None if pick(6) == 0 => Event::ConflictDeclared { date },
            None => Event::NoConflictConfirmed { date },
            Some(true) => Event::SurveyorAssigned {
                date,
                surveyor: format!("T{}", pick(100)),
            },
            Some(false) => Event::SurveyScheduled {
                date,
                survey_date: state
                    .survey_dates
                    .iter()
                    .copied()
                    .find(|d| *d >= date)
                    .unwrap_or(day(date, 5)),
            },
        },
        Phase::SurveyScheduled => Event::FindingsRecorded {
            date: state.survey_date.unwrap_or(date).max(date),
            findings: findings(s, pick),
        },
        Phase::Surveyed => match (&state.reviewer, state.reviewer_conflict) {
            (None, _) | (Some(_), Some(true)) => Event::ReviewerAssigned {
                date,
                // Sometimes the surveyor (refused), sometimes a committee member.
                reviewer: if pick(8) == 0 {
                    state.surveyor.clone().unwrap_or_default()
                } else {
                    format!("R{}", pick(4))
                },
            },
            (Some(_), None) if pick(6) == 0 => Event::ConflictDeclared { date },
            (Some(_), None) => Event::NoConflictConfirmed { date },
            (Some(r), Some(false)) => {
                // Sometimes amend one element to the other side of met.
                let amendments = if pick(4) == 0 {
                    let f = &state.findings[pick(state.findings.len() as u64) as usize];
                    let to = if f.level == Level::Met {
                        Level::PartiallyMet
                    } else {
                        Level::Met
                    };
                    vec![Amendment {
                        standard: f.standard.clone(),
                        element: f.element,
                        level: to,
                        reason: "the committee's reading of the evidence".into(),
                    }]
                } else {
                    vec![]
                };
                Event::CommitteeReviewed {
                    date,
                    reviewer: r.clone(),
                    amendments,
                }
            }
        },
        Phase::RequirementsOpen if pick(8) == 0 => Event::Decision {
            date,
            reviewer: reviewer(state),
            outcome: Outcome::Deny,
            reasons: vec!["the practice cannot meet the standard".into()],
            cannot_meet: state.requirements.iter().take(1).cloned().collect(),
        },
        Phase::RequirementsOpen => Event::ActionPlanSubmitted {
            date,
            actions: state
                .requirements
                .iter()
                .map(|r| Action {
                    standard: r.clone(),
                    action: "fix".into(),
                    owner: "lead".into(),
                    due: day(date, 30),
                })
                .collect(),
        },
        Phase::ActionPlanAccepted if pick(3) == 0 => Event::ResurveyOrdered { date },
        Phase::ActionPlanAccepted => Event::DocumentationSubmitted { date },
        Phase::Pending
            if state
                .pending_lapses_on(&Rules::default())
                .is_some_and(|l| date > l) =>
        {
            if pick(2) == 0 {
                opened(date, pick)
            } else {
                Event::Decision {
                    date,
                    reviewer: reviewer(state),
                    outcome: Outcome::Deny,
                    reasons: vec!["requirements open past the lapse".into()],
                    cannot_meet: vec![],
                }
            }
        }
        Phase::Pending => Event::DocumentationReviewed {
            date,
            reviewer: reviewer(state),
            now_met: state
                .requirements
                .iter()
                .filter(|_| pick(3) > 0)
                .cloned()
                .collect(),
        },
        Phase::AwaitingDecision => Event::Decision {
            date,
            reviewer: reviewer(state),
            outcome: Outcome::Award,
            reasons: vec!["every standard is met".into()],
            cannot_meet: vec![],
        },
        Phase::Certified if state.expires_on.is_some_and(|e| date > e) => opened(date, pick),
        Phase::Certified if pick(4) == 0 => Event::RenewalApplied { date },
        Phase::Certified => Event::ParticipationRecorded { date },
        Phase::RenewalApplied => Event::RenewalGranted { date },
    }
}

/// Runs one generated walk; returns the workflow and whether it reached `certified`.
fn run(choices: &[u64]) -> (Workflow, bool) {
    let s = Standards::bundled();
    let mut w = Workflow::new(Rules::default());
    let mut i = 0usize;
    let mut pick = |n: u64| {
        let v = choices[i % choices.len()] % n.max(1);
        i += 1;
        v
    };
    let mut certified = false;
    for _ in 0..80 {
        let event = propose(w.state(), s, &mut pick);
        let before = w.clone();
        match w.apply(event, s) {
            Ok(state) => {
                if state.phase == Phase::Certified {
                    certified = true;
                    let verdict = state.verdict.as_ref().expect("certified without a verdict");
                    assert!(
                        verdict.final_report,
                        "certified on a verdict not from a final report"
                    );
                    assert_eq!(state.practice.as_ref(), Some(&verdict.practice));
                    let d = state
                        .decision
                        .as_ref()
                        .expect("certified without a decision");
                    assert_eq!(d.outcome, Outcome::Award);
                    assert!(
                        state
                            .ccr
                            .values()
                            .all(|l| matches!(l, Level::Met | Level::NotApplicable)),
                        "certified with a standard not met"
                    );
                    assert!(state.requirements.is_empty());
                    assert_eq!(state.ccr.len(), s.standards.len());
                }
            }
            Err(_) => assert_eq!(w, before, "a refused event changed the workflow"),
        }
    }
    (w, certified)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn generated_walks_never_panic_and_replay_to_the_same_state(
        choices in proptest::collection::vec(any::<u64>(), 1..64)
    ) {
        let (w, _) = run(&choices);
        let replayed = Workflow::replay(Rules::default(), w.log.clone(), Standards::bundled()).unwrap();
        prop_assert_eq!(&replayed, &w);
        let from_json = Workflow::from_json(&w.to_json(), Standards::bundled()).unwrap();
        prop_assert_eq!(from_json, w);
    }
}

#[test]
fn at_least_a_third_of_generated_walks_reach_certified_and_some_are_denied_or_reapply() {
    let mut reached = 0;
    let mut denied = 0;
    let mut new_cycles = 0;
    let runs = 300u64;
    for seed in 0..runs {
        // A simple deterministic stream per seed (splitmix64).
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let choices: Vec<u64> = (0..64)
            .map(|_| {
                x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            })
            .collect();
        let (w, certified) = run(&choices);
        reached += usize::from(certified);
        let st = w.state();
        denied += usize::from(
            st.phase == Phase::Denied
                || st
                    .past_cycles
                    .iter()
                    .any(|c| c.end == oncoqual::certification::CycleEnd::Denied),
        );
        new_cycles += usize::from(st.cycle > 1);
    }
    eprintln!(
        "{reached} of {runs} generated walks reached certified, {denied} were denied, {new_cycles} opened a second cycle"
    );
    assert!(
        denied > 0 && new_cycles > 0,
        "{denied} denied, {new_cycles} new cycles"
    );
    assert!(
        reached * 3 >= runs as usize,
        "only {reached} of {runs} walks reached certified"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The append-only store folds a log from a snapshot taken after any line: that fold,
    /// continued over the lines after it, equals the full replay; and the snapshot matches
    /// the log it was taken of, but not a log whose last line before it was edited.
    #[test]
    fn the_state_folded_from_a_snapshot_equals_the_full_replay(
        choices in proptest::collection::vec(any::<u64>(), 1..64),
        batches in proptest::collection::vec(1usize..4, 1..40),
        cut in any::<prop::sample::Index>(),
    ) {
        use oncoqual::certification::{LogSnapshot, events_line, fold_lines, header_line, read_log};
        let s = Standards::bundled();
        let (w, _) = run(&choices);
        // The log in lines, some appends holding several events.
        let mut text = header_line(&w.rules).into_bytes();
        let header_len = text.len();
        let mut ends = vec![text.len()];
        let mut i = 0;
        let mut b = batches.iter().cycle();
        while i < w.log.len() {
            let n = (*b.next().unwrap()).min(w.log.len() - i);
            text.extend_from_slice(events_line(&w.log[i..i + n]).as_bytes());
            ends.push(text.len());
            i += n;
        }
        let full = read_log(&text, s).unwrap();
        prop_assert_eq!(&full.workflow, &w);
        // A snapshot after line `k`.
        let k = ends[cut.index(ends.len())];
        let prefix = read_log(&text[..k], s).unwrap();
        let last = prefix.scanned.last_line.map_or(&[][..], |(a, b)| &text[a as usize..b as usize]);
        let snap = LogSnapshot::new(
            w.rules,
            prefix.workflow.state(),
            prefix.scanned,
            &text[..header_len],
            last,
        );
        let snap = LogSnapshot::from_json(snap.to_json().as_bytes()).unwrap();
        prop_assert!(snap.matches(&w.rules, text.len() as u64, &text[..header_len], last));
        if let Some((a, b)) = snap.last_line() {
            let mut edited = last.to_vec();
            edited[0] ^= 1;
            prop_assert!(!snap.matches(&w.rules, text.len() as u64, &text[..header_len], &edited));
            prop_assert!(b <= k as u64 && a < b);
        }
        let at = snap.scanned();
        let mut state = snap.into_state().expect("a snapshot we wrote holds its state");
        let end = fold_lines(&text[k..], at, &mut state, &w.rules, s, |_| {}).unwrap();
        prop_assert_eq!(&state, w.state());
        prop_assert_eq!(end.events as usize, w.log.len());
        prop_assert_eq!(end.end as usize, text.len());
    }
}

#[test]
fn a_certification_that_would_expire_after_9999_is_refused() {
    // Awarded in 9999 with a 36-month term would expire in 10002, a date no log can
    // be read back with: the decision is refused, never recorded with an unreadable date.
    let s = Standards::bundled();
    let walk: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/certification/first-time-pass.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let text = walk["log"]
        .to_string()
        .replace("\"2028-01-15\"", "\"9999-12-31\"")
        .replace("\"2027-", "\"9999-");
    let log: Vec<Event> = serde_json::from_str(&text).unwrap();
    let err = Workflow::replay(Rules::default(), log, s).unwrap_err();
    assert!(
        err.to_string()
            .contains("would expire after 9999-12-31, past the supported range"),
        "{err}"
    );
    assert_eq!(err.refused.event, "decision");
}
