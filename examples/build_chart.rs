//! Building a chart in Rust with the record builders, evaluating it against the bundled
//! library, and reading each outcome's measure id.
//!
//! Run: `cargo run --example build_chart`.

use oncoqual::chart::{
    Administration, Assessment, AssessmentKind, AssessmentScale, CancerType, Chart, Diagnosis,
    Encounter, EncounterKind, Patient, Regimen, RegimenIntent, Sex, StageGroup,
};
use oncoqual::{Library, RoundCalendar};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One expression, field names as in the chart's JSON; values typed (parsed where JSON
    // writes text), so a typo is an error here rather than a missing field later.
    let chart = Chart::builder("c-1".parse()?, "p-1".parse()?, "2026-1".parse()?)
        .patient(
            Patient::default()
                .birth_date("1950-03-14".parse()?)
                .sex(Sex::Female),
        )
        .diagnoses(
            Diagnosis::default()
                .id("dx-1".parse()?)
                .cancer_type(CancerType::Breast)
                .diagnosis_date("2025-11-02".parse()?)
                .stage_group(StageGroup::IV),
        )
        .regimens(
            Regimen::default()
                .id("r-1".parse()?)
                .diagnosis_id("dx-1".parse()?)
                .intent(RegimenIntent::NonCurative)
                .start_date("2026-02-03".parse()?),
        )
        .administrations(
            Administration::default()
                .regimen_id("r-1".parse()?)
                .date("2026-02-03".parse()?),
        )
        .encounters(
            Encounter::default()
                .kind(EncounterKind::OfficeVisit)
                .date("2026-02-03".parse()?),
        )
        .assessments(
            Assessment::default()
                .kind(AssessmentKind::Pain)
                .scale(AssessmentScale::Numeric010)
                .date("2026-02-03".parse()?)
                .score(4.into()),
        )
        .build()?;

    // The checks of JSON ingest apply: a regimen naming a diagnosis the chart lacks is refused.
    let bad = Chart::builder("c-2".parse()?, "p-1".parse()?, "2026-1".parse()?)
        .regimens(
            Regimen::default()
                .id("r-1".parse()?)
                .diagnosis_id("dx-9".parse()?),
        )
        .build();
    if let Err(e) = &bad {
        println!("refused as ingest would: {e}");
    }

    let library = Library::bundled().map_err(|e| e.to_string())?;
    let period = RoundCalendar::new().period(chart.round);
    let outcomes = library.evaluate(&chart, period);
    let in_denominator = outcomes
        .iter()
        .filter(|o| o.populations.in_net_denominator())
        .map(|o| o.measure_id())
        .collect::<Vec<_>>();
    println!(
        "{} measures evaluated; in the denominator of {}: {}",
        outcomes.len(),
        in_denominator.len(),
        in_denominator.join(", ")
    );
    Ok(())
}
