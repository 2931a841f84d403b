//! Hostile measure specs: shapes that once overflowed the stack (a process abort from the
//! library) now give a located diagnostic or evaluate. Each runs on the default test
//! thread (2 MiB of stack) in debug builds; none spawns a bigger stack.

use oncoqual::measure::{Library, SpecFile};
use oncoqual::{Date, Limits, Period, parse_chart};

const HEADER: &str = "measure core.t { title \"t\" module core tracks [core] \
     direction higher_is_better scoring proportion source \"t\" version \"1\" }\n";

const CHART: &str = r#"{"id": "c1", "practice": "p1", "round": "2026-1",
  "patient": { "birth_date": "1960-02-29", "sex": "female" },
  "encounters": [ { "kind": "office_visit", "date": "2026-03-01" } ]}"#;

fn period() -> Period {
    Period::new(
        Date::parse("2026-01-01").unwrap(),
        Date::parse("2026-06-30").unwrap(),
    )
    .unwrap()
}

/// Checks `body` (defines and populations after the header); on success evaluates it on a
/// small chart. The diagnostics' codes and messages, or the outcome's populations.
fn check(body: &str) -> Result<usize, Vec<(String, String)>> {
    let spec = format!("{HEADER}{body}");
    match Library::from_files(vec![SpecFile::new("core/t.oqm", spec)], vec![]) {
        Ok(lib) => {
            let chart = parse_chart(CHART, &Limits::default()).unwrap().chart;
            let out = lib.try_evaluate(&chart, period()).unwrap();
            Ok(out[0].populations.iter().count())
        }
        Err(e) => Err(e
            .files()
            .flat_map(|(_, ds)| ds.iter())
            .map(|d| (d.code.to_owned(), d.message.clone()))
            .collect()),
    }
}

fn chain(op: &str, operand: &str, n: usize) -> String {
    let mut s = String::with_capacity(n * (op.len() + operand.len() + 2));
    s.push_str(operand);
    for _ in 1..n {
        s.push(' ');
        s.push_str(op);
        s.push(' ');
        s.push_str(operand);
    }
    s
}

#[test]
fn a_fanned_out_parameterised_define_is_refused_naming_the_define() {
    let mut body = String::from("define f0(x) = x > 1\n");
    for i in 1..=14 {
        body.push_str(&format!("define f{i}(x) = f{j}(x) or f{j}(x)\n", j = i - 1));
    }
    body.push_str("initial_population = f14(count encounters)\nnumerator = true\n");
    let errors = check(&body).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|(code, m)| code == "E0217" && m.contains("`f14`")),
        "{errors:?}"
    );
}

#[test]
fn a_small_fan_out_of_parameterised_defines_still_evaluates() {
    let mut body = String::from("define f0(x) = x > 1\n");
    for i in 1..=4 {
        body.push_str(&format!("define f{i}(x) = f{j}(x) or f{j}(x)\n", j = i - 1));
    }
    body.push_str("initial_population = f4(count encounters) or true\nnumerator = true\n");
    assert!(check(&body).is_ok());
}

#[test]
fn long_flat_chains_are_a_diagnostic_not_a_crash() {
    for (op, operand, n) in [
        ("and", "true", 3_500),
        ("and", "true", 100_000),
        ("or", "false", 20_000),
        ("-", "1", 4_200),
        ("+", "1", 100_000),
        ("*", "1", 10_000),
    ] {
        let body = format!(
            "initial_population = {}\nnumerator = true\n",
            if matches!(op, "and" | "or") {
                chain(op, operand, n)
            } else {
                format!("({}) > 0", chain(op, operand, n))
            }
        );
        let errors = check(&body).unwrap_err();
        // The refused criterion leaves the measure without an initial population (E0213).
        assert!(
            errors.iter().any(|(code, _)| code == "E0105")
                && errors
                    .iter()
                    .all(|(code, _)| code == "E0105" || code == "E0213"),
            "{op} x{n}: {errors:?}"
        );
    }
}

#[test]
fn a_chain_within_the_limit_evaluates() {
    let body = format!(
        "initial_population = {}\nnumerator = ({}) > 0\n",
        chain("and", "true", 60),
        chain("-", "1", 60)
    );
    // IPP and DENOM; `1 - 1 - ...` is negative.
    assert_eq!(check(&body), Ok(2));
}

#[test]
fn the_syntax_tree_of_a_huge_chain_is_dropped_without_recursion() {
    // The parser refuses it, but builds (and drops) the whole chain first.
    let text = format!(
        "{HEADER}initial_population = {}\n",
        chain("and", "true", 100_000)
    );
    let (file, diags) = oncoqual::dsl::parse(&text);
    assert!(diags.iter().any(|d| d.code == "E0105"), "{diags:?}");
    drop(file);
    let (file, _) = oncoqual::dsl::parse(&format!("define a = {}\n", chain("-", "1", 100_000)));
    drop(file);
}

#[test]
fn logic_at_the_evaluation_depth_limit_evaluates_on_a_small_stack() {
    // Two defines of 44-operand chains: about 90 levels deep through the defines.
    let body = format!(
        "define d1 = {}\ndefine d2 = ({}) and d1\n\
         initial_population = d2\nnumerator = true\n",
        chain("and", "true", 44),
        chain("and", "true", 44)
    );
    assert_eq!(check(&body), Ok(3));
    // The same depth through inlined parameterised defines.
    let body = format!(
        "define p1(x) = ({}) and x\ndefine p2(x) = ({}) and p1(x)\n\
         initial_population = p2(true)\nnumerator = true\n",
        chain("and", "true", 44),
        chain("and", "true", 44)
    );
    match check(&body) {
        Ok(n) => assert_eq!(n, 3),
        Err(errors) => assert!(errors.iter().all(|(c, _)| c == "E0215"), "{errors:?}"),
    }
    // Queries nested through defines: every level walks a list.
    let mut body = String::from("define q0 = true\n");
    for i in 1..=20 {
        body.push_str(&format!(
            "define q{i} = exists (encounters as e{i} where e{i}.date is present and q{j})\n",
            j = i - 1
        ));
    }
    body.push_str("initial_population = q20\nnumerator = true\n");
    match check(&body) {
        Ok(n) => assert_eq!(n, 3),
        Err(errors) => assert!(errors.iter().all(|(c, _)| c == "E0215"), "{errors:?}"),
    }
}

#[test]
fn defines_chained_through_each_other_stay_within_the_evaluation_depth() {
    // Each define adds a level: a deep chain of defines is refused, not overflowed.
    let mut body = String::from("define d0 = true\n");
    for i in 1..=23 {
        body.push_str(&format!(
            "define d{i} = ({}) and d{j}\n",
            chain("and", "true", 30),
            j = i - 1
        ));
    }
    body.push_str("initial_population = d23\nnumerator = true\n");
    match check(&body) {
        Ok(_) => {}
        Err(errors) => assert!(
            errors
                .iter()
                .all(|(code, _)| code == "E0215" || code == "E0105"),
            "{errors:?}"
        ),
    }
}

#[test]
fn a_window_of_the_most_negative_length_is_unknown_not_a_panic() {
    // The window's other end negates the length: `-(-2^63)` overflowed (a panic in debug
    // builds). Over a root list the window's bounds are computed once (a range scan);
    // with an anchor read from each element they are computed per element.
    for direction in ["before", "around"] {
        for anchor in ["reporting_period.end", "date"] {
            let body = format!(
                "initial_population = exists (encounters where date within \
                 (0 - 9223372036854775808) days {direction} {anchor})\nnumerator = true\n"
            );
            assert_eq!(check(&body), Ok(0), "{body}");
        }
    }
}

#[test]
fn a_define_with_twenty_thousand_parameters_is_a_diagnostic_not_a_crash() {
    // Each parameter binds one local around the body: the compiled chain is as long as the
    // parameter list, whatever the nesting limits of the text. (It overflowed the stack
    // while the compiler recursed on the compiled tree.)
    let n = 20_000;
    let params: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let args = vec!["1"; n].join(", ");
    let body = format!(
        "define f({}) = p0 > 0\ninitial_population = f({args})\nnumerator = true\n",
        params.join(", ")
    );
    let errors = check(&body).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|(code, m)| code == "E0215" && m.contains("20002 levels deep")),
        "{errors:?}"
    );
}
