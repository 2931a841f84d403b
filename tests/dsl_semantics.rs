//! The measure language's semantics, one behaviour per test: each builds a one-measure
//! library whose initial population is the expression under test and evaluates it on a
//! small chart (reporting period 2026-01-01..2026-06-30).

use oncoqual::measure::{Library, SpecFile};
use oncoqual::{Date, Limits, Period, Population, parse_chart};

const VS: &str = r#"{"name":"sites","title":"Sites","source":"test","compare":"without_dots",
  "codes":[{"system":"ICD-O-3","code":"C09.9"}]}"#;

const CHART: &str = r#"{
  "id": "c1", "practice": "p1", "round": "2026-1",
  "patient": { "birth_date": "1960-02-29", "sex": "female" },
  "diagnoses": [
    { "id": "d1", "cancer_type": "breast", "diagnosis_date": "2025-01-31", "invasive": true,
      "stage_group": "IIIC1", "primary_site": { "system": "ICD-O-3", "code": "C099" } },
    { "id": "d2", "cancer_type": "colon", "diagnosis_date": "2025-01-31", "stage_group": "0" }
  ],
  "encounters": [
    { "kind": "office_visit", "date": "2026-03-01", "with_practice": true },
    { "kind": "office_visit", "date": "2026-01-15" },
    { "kind": "telehealth_visit", "date": "2026-03-01" },
    { "kind": "office_visit" }
  ],
  "assessments": [
    { "kind": "pain", "date": "2026-03-01", "score": 7 },
    { "kind": "pain", "date": "2026-03-01", "score": 2 }
  ]
}"#;

/// Whether `expr` is met (true) for the chart; a checker error fails the test.
fn met(expr: &str) -> bool {
    met_with("", expr)
}

/// As [`met`], with more defines in the spec.
fn met_with(defines: &str, expr: &str) -> bool {
    let spec = format!(
        "measure core.t {{ title \"t\" module core tracks [core] direction higher_is_better \
         scoring proportion source \"t\" version \"1\" }}\n\
         define dx1 = first diagnoses\n\
         define dx2 = last diagnoses\n\
         define nothing = first (diagnoses where id = \"none\")\n\
         {defines}\n\
         initial_population = {expr}\n"
    );
    let lib = Library::from_files(
        vec![SpecFile::new("core/t.oqm", spec)],
        vec![SpecFile::new("valuesets/sites.json", VS)],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let chart = parse_chart(CHART, &Limits::default()).unwrap().chart;
    let period = Period::new(
        Date::parse("2026-01-01").unwrap(),
        Date::parse("2026-06-30").unwrap(),
    )
    .unwrap();
    lib.evaluate(&chart, period)[0]
        .populations
        .contains(Population::InitialPopulation)
}

#[test]
fn unknown_and_false_is_false_and_unknown_or_true_is_true() {
    assert!(!met("nothing.invasive = true and true"));
    assert!(met("nothing.invasive = true or true"));
    assert!(
        !met("not (nothing.invasive = true)"),
        "not unknown is unknown, so not met"
    );
    assert!(met("not (nothing.invasive = true and false)"));
}

#[test]
fn is_missing_and_is_present_are_never_unknown() {
    assert!(met("dx2.invasive is missing"));
    assert!(met("dx1.invasive is present"));
    assert!(met("nothing is missing"));
    assert!(
        met("(encounters where date is missing) is present"),
        "a non-empty list is present"
    );
}

#[test]
fn where_keeps_only_elements_whose_predicate_is_true() {
    // The fourth encounter has no date: `date during ...` is unknown, so it is not kept.
    assert!(met(
        "count (encounters where date during reporting_period) = 3"
    ));
    assert!(met(
        "count (encounters where not (date during reporting_period)) = 0"
    ));
}

#[test]
fn all_is_kleene_and_vacuously_true() {
    assert!(met("all (encounters where kind = ed_visit) satisfy false"));
    assert!(
        !met("all encounters satisfy date during reporting_period"),
        "one unknown"
    );
    assert!(met("not (all encounters satisfy kind = office_visit)"));
    assert!(met("any encounters as e satisfy e.kind = telehealth_visit"));
}

#[test]
fn windows_are_inclusive_and_bare_before_excludes_the_anchor() {
    assert!(met("@2026-02-15 within 14 days before @2026-03-01"));
    assert!(!met("@2026-02-14 within 14 days before @2026-03-01"));
    assert!(met("@2026-03-15 within 14 days after @2026-03-01"));
    assert!(!met("@2026-03-16 within 14 days after @2026-03-01"));
    assert!(met("@2026-02-20 within 1 week around @2026-02-27"));
    assert!(!met("@2026-03-01 before @2026-03-01"));
    assert!(met("@2026-03-01 on or before @2026-03-01"));
    assert!(met(
        "@2026-06-30 during reporting_period and not (@2026-07-01 during reporting_period)"
    ));
}

#[test]
fn months_and_years_are_calendar_units_with_month_end_clamping() {
    assert!(met("@2026-01-31 + 1 month = @2026-02-28"));
    assert!(met("@2028-01-31 + 1 month = @2028-02-29"));
    assert!(met("@2028-02-29 + 1 year = @2029-02-28"));
    assert!(met("@2026-03-31 - 1 month = @2026-02-28"));
    assert!(met(
        "@2025-06-30 within 12 months before reporting_period.end"
    ));
    assert!(!met(
        "@2025-06-29 within 12 months before reporting_period.end"
    ));
}

#[test]
fn ages_are_whole_years_and_leap_day_birthdays_count_on_the_first_of_march() {
    // Born 1960-02-29.
    assert!(met("age_at(@2026-02-28) = 65"));
    assert!(met("age_at(@2026-03-01) = 66"));
    assert!(met("age_at(@2028-02-29) = 68"));
}

#[test]
fn numbers_are_exact_and_division_by_zero_is_unknown() {
    assert!(met("0.1 + 0.2 = 0.3"));
    assert!(met("10 / 4 = 2.5"));
    assert!(!met("1 / 0 = 1") && !met("not (1 / 0 = 1)"));
}

#[test]
fn sorted_by_is_stable_in_both_directions_and_take_first_last_work() {
    // Two pain scores on one date: ties keep chart order, ascending or descending.
    assert!(met("(first (assessments sorted by date)).score = 7"));
    assert!(met("(first (assessments sorted by date desc)).score = 7"));
    assert!(met("(last (assessments sorted by score)).score = 7"));
    // A missing key sorts last in either direction.
    assert!(met(
        "(first (encounters sorted by date)).date = @2026-01-15"
    ));
    assert!(met(
        "(first (encounters sorted by date desc)).date = @2026-03-01"
    ));
    assert!(met(
        "(first (encounters sorted by date desc)).kind = office_visit"
    ));
    assert!(met("(last (encounters sorted by date)).date is missing"));
    assert!(met(
        "count (encounters take 2) = 2 and (first (encounters take 2)).date = @2026-03-01"
    ));
    assert!(met("first (encounters where kind = ed_visit) is missing"));
}

#[test]
fn distinct_min_max_and_list_fields_drop_missing_values() {
    assert!(met("count encounters.date = 3"));
    assert!(met("count distinct(encounters.date) = 2"));
    assert!(met(
        "min(encounters.date) = @2026-01-15 and max(encounters.date) = @2026-03-01"
    ));
    assert!(met(
        "max((encounters where kind = ed_visit).date) is missing"
    ));
}

#[test]
fn enum_values_resolve_against_the_compared_field() {
    assert!(met(
        "exists (encounters where kind in [telehealth_visit, ed_visit])"
    ));
    assert!(met("dx2.stage_group = \"0\""));
    assert!(met(
        "stage_prefix(dx1.stage_group) = \"III\" and stage_prefix(dx2.stage_group) = \"0\""
    ));
}

#[test]
fn value_sets_compare_system_and_code_as_their_file_says() {
    assert!(met("dx1.primary_site in valueset \"sites\""));
    assert!(
        met("(dx2.primary_site in valueset \"sites\") is missing"),
        "a missing code is unknown"
    );
    assert!(!met("dx2.primary_site in valueset \"sites\""));
}

#[test]
fn if_and_coalesce_choose_records_and_values() {
    assert!(met(
        "(if dx1.invasive = true then dx1 else dx2).id = \"d1\""
    ));
    assert!(
        met("(if nothing.invasive = true then dx1 else dx2) is missing"),
        "unknown condition"
    );
    assert!(met("coalesce(nothing, dx2).id = \"d2\""));
    assert!(met("coalesce(dx2.invasive, false) = false"));
}

#[test]
fn nested_queries_reach_the_outer_element_through_its_alias() {
    assert!(met(
        "exists (diagnoses as d where exists (encounters where date after d.diagnosis_date))"
    ));
    assert!(met(
        "count (assessments as a where exists (encounters where date = a.date and kind = office_visit)) = 2"
    ));
}

#[test]
fn a_nested_call_as_a_later_argument_leaves_the_earlier_arguments_alone() {
    let defines = "define same(a, b) = a.id = b.id\n\
                   define other(x) = first (diagnoses where id != x.id)\n\
                   define pair(a, b) = a.id = \"d1\" and b.id = \"d2\"";
    // `other(dx1)` binds its own parameter while `same`'s first one is already bound.
    assert!(met_with(defines, "same(dx2, other(dx1))"));
    assert!(met_with(defines, "same(other(dx1), dx2)"));
    assert!(!met_with(defines, "same(dx1, other(dx1))"));
    assert!(met_with(defines, "pair(dx1, other(dx1))"));
}

#[test]
fn start_of_year_gives_the_first_of_january_of_the_date_s_year() {
    assert!(met("start_of_year(@2026-12-31) = @2026-01-01"));
    assert!(met("start_of_year(@2024-02-29) = @2024-01-01"));
    // 1 July of the year before the reporting period's start year (period 2026-01-01..).
    assert!(met(
        "start_of_year(reporting_period.start) - 6 months = @2025-07-01"
    ));
    assert!(met("start_of_year(nothing.diagnosis_date) is missing"));
}

#[test]
fn range_lists_the_whole_numbers_between_its_bounds() {
    assert!(met(
        "count range(0, 3) = 4 and first range(0, 3) = 0 and last range(0, 3) = 3"
    ));
    // Bounds need not be whole: the whole numbers between them.
    assert!(met(
        "count range(0.5, 3.9) = 3 and first range(0.5, 3.9) = 1"
    ));
    assert!(met(
        "count range(days_between(@2026-01-01, @2026-01-15) / 7, 2) = 1"
    ));
    // None between the bounds: empty, so `all` holds vacuously and `exists` fails.
    assert!(met("not (exists range(3, 1))"));
    assert!(met("all range(3, 1) as k satisfy k > 10"));
    assert!(met("all range(1, 5) as k satisfy k >= 1 and k <= 5"));
    // A missing bound, or a list too long to build, is missing.
    assert!(met(
        "range(1, (first (assessments where kind = fatigue)).score) is missing"
    ));
    assert!(met("range(0, 200000) is missing"));
}
