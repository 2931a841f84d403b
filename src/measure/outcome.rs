//! What evaluation yields: population memberships per (chart, measure), strata, and the
//! opt-in explanation.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One of the six population criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Population {
    /// Initial population (`IPP`).
    #[serde(rename = "IPP")]
    InitialPopulation,
    /// Denominator (`DENOM`).
    #[serde(rename = "DENOM")]
    Denominator,
    /// Denominator exclusion (`DENEX`).
    #[serde(rename = "DENEX")]
    DenominatorExclusion,
    /// Denominator exception (`DENEXCEP`).
    #[serde(rename = "DENEXCEP")]
    DenominatorException,
    /// Numerator (`NUMER`).
    #[serde(rename = "NUMER")]
    Numerator,
    /// Numerator exclusion (`NUMEX`).
    #[serde(rename = "NUMEX")]
    NumeratorExclusion,
}

impl Population {
    /// All six, in reporting order.
    pub const ALL: [Population; 6] = [
        Population::InitialPopulation,
        Population::Denominator,
        Population::DenominatorExclusion,
        Population::DenominatorException,
        Population::Numerator,
        Population::NumeratorExclusion,
    ];

    /// The HL7 short code (`IPP`, `DENOM`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            Population::InitialPopulation => "IPP",
            Population::Denominator => "DENOM",
            Population::DenominatorExclusion => "DENEX",
            Population::DenominatorException => "DENEXCEP",
            Population::Numerator => "NUMER",
            Population::NumeratorExclusion => "NUMEX",
        }
    }

    /// Parses a short code.
    pub fn from_code(code: &str) -> Option<Population> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The FHIR measure-population code (`initial-population`, `denominator`, ...).
    pub const fn fhir_code(self) -> &'static str {
        match self {
            Population::InitialPopulation => "initial-population",
            Population::Denominator => "denominator",
            Population::DenominatorExclusion => "denominator-exclusion",
            Population::DenominatorException => "denominator-exception",
            Population::Numerator => "numerator",
            Population::NumeratorExclusion => "numerator-exclusion",
        }
    }

    /// Parses any of the three spellings of a population: the FHIR code
    /// (`denominator-exclusion`), the short code (`DENEX`) or the measure language's
    /// keyword (`denominator_exclusion`).
    ///
    /// ```
    /// use oncoqual::measure::Population;
    ///
    /// for s in ["denominator-exclusion", "DENEX", "denominator_exclusion"] {
    ///     assert_eq!(Population::parse(s), Some(Population::DenominatorExclusion));
    /// }
    /// assert_eq!(Population::parse("denex"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Population> {
        Self::ALL
            .into_iter()
            .find(|p| p.fhir_code() == s || p.code() == s || p.keyword() == s)
    }

    /// The criterion keyword in a measure file.
    pub const fn keyword(self) -> &'static str {
        match self {
            Population::InitialPopulation => "initial_population",
            Population::Denominator => "denominator",
            Population::DenominatorExclusion => "denominator_exclusion",
            Population::DenominatorException => "denominator_exception",
            Population::Numerator => "numerator",
            Population::NumeratorExclusion => "numerator_exclusion",
        }
    }

    pub(crate) const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Population {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The populations one chart is in for one measure (a set of [`Population`]s).
///
/// Built only by the population algebra, so the nesting invariants always hold:
/// DENOM ⊆ IPP, DENEX ⊆ DENOM, NUMER ⊆ DENOM∖DENEX, NUMEX ⊆ NUMER,
/// DENEXCEP ⊆ DENOM∖DENEX∖NUMER.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Populations(u8);

impl Populations {
    /// No population.
    pub const NONE: Populations = Populations(0);

    /// Applies the pinned population algebra (HL7 CQF-Measures, proportion measures) to the
    /// six criteria, each already decided (unknown = not met).
    pub fn from_criteria(
        ipp: bool,
        denominator: bool,
        exclusion: bool,
        exception: bool,
        numerator: bool,
        numerator_exclusion: bool,
    ) -> Populations {
        let denom = ipp && denominator;
        let denex = denom && exclusion;
        let numer = denom && !denex && numerator;
        let numex = numer && numerator_exclusion;
        let denexcep = denom && !denex && !numer && exception;
        let mut p = Populations(0);
        for (on, pop) in [
            (ipp, Population::InitialPopulation),
            (denom, Population::Denominator),
            (denex, Population::DenominatorExclusion),
            (denexcep, Population::DenominatorException),
            (numer, Population::Numerator),
            (numex, Population::NumeratorExclusion),
        ] {
            if on {
                p.0 |= pop.bit();
            }
        }
        p
    }

    /// Whether the chart is in `p`.
    pub const fn contains(self, p: Population) -> bool {
        self.0 & p.bit() != 0
    }

    /// In the net denominator: DENOM and neither DENEX nor DENEXCEP.
    pub const fn in_net_denominator(self) -> bool {
        self.contains(Population::Denominator)
            && !self.contains(Population::DenominatorExclusion)
            && !self.contains(Population::DenominatorException)
    }

    /// Numerator met and not excluded.
    pub const fn net_numerator(self) -> bool {
        self.contains(Population::Numerator) && !self.contains(Population::NumeratorExclusion)
    }

    /// The populations, in reporting order.
    pub fn iter(self) -> impl Iterator<Item = Population> {
        Population::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl fmt::Debug for Populations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Populations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Populations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<Population>::deserialize(d)?;
        let has = |p| list.contains(&p);
        let p = Populations::from_criteria(
            has(Population::InitialPopulation),
            has(Population::Denominator),
            has(Population::DenominatorExclusion),
            has(Population::DenominatorException),
            has(Population::Numerator),
            has(Population::NumeratorExclusion),
        );
        if p.iter().count() != list.len() {
            return Err(serde::de::Error::custom(
                "populations break the nesting rules (e.g. NUMER without DENOM)",
            ));
        }
        Ok(p)
    }
}

/// One measure's result for one chart.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    /// Index of the measure in [`crate::Library::measures`].
    #[serde(skip)]
    pub measure: usize,
    /// The populations the chart is in.
    pub populations: Populations,
    /// One value per stratifier of the measure (in declaration order); `None` when the
    /// stratifier's value is missing for this chart. Stratum values are labels of
    /// categories (sex, age band), not identifying values.
    pub strata: Vec<Option<String>>,
    /// The measure's id (shared with the library; not serialised, as before).
    #[serde(skip)]
    id: Arc<str>,
}

impl Outcome {
    pub(crate) fn new(measure: usize, id: Arc<str>) -> Outcome {
        Outcome {
            measure,
            populations: Populations::NONE,
            strata: Vec::new(),
            id,
        }
    }

    /// The id of the measure this outcome is of (`MeasureInfo::id`).
    ///
    /// ```
    /// use oncoqual::{Chart, Library, RoundCalendar};
    /// let lib = Library::bundled().unwrap();
    /// let chart = Chart::from_json(r#"{"id":"c","practice":"p","round":"2026-1"}"#).unwrap();
    /// let period = RoundCalendar::new().period(chart.round);
    /// for outcome in lib.evaluate(&chart, period) {
    ///     assert_eq!(Some(outcome.measure_id()), lib.measure(outcome.measure).map(|m| m.id.as_str()));
    /// }
    /// ```
    pub fn measure_id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcome")
            .field("measure", &self.measure)
            .field("id", &&*self.id)
            .field("populations", &self.populations)
            .field("strata", &self.strata.len())
            .finish()
    }
}

/// One line of an explanation: an expression (or define) and the value it had.
#[derive(Clone, Serialize)]
#[non_exhaustive]
pub struct Step {
    /// Nesting depth (0 = a population criterion).
    pub depth: u32,
    /// `file:line:column` of the expression.
    pub location: String,
    /// The expression's source text (first line), or `define NAME`.
    pub code: String,
    /// The value it had for this chart (patient data: shown because an explanation was
    /// asked for).
    pub value: String,
    /// Where it is: an index into [`Explanation`]'s sources and the byte span (for the
    /// highlighted rendering; `None` for a define's or a component's line).
    #[serde(skip)]
    pub(crate) at: Option<(usize, crate::dsl::Span)>,
}

/// Why one chart is or is not in each population of one measure. Asking for it is the
/// explicit opt-in to see the chart's values: `Display` and the serialized form show them,
/// `Debug` does not.
#[derive(Clone, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The measure id.
    pub measure: String,
    /// The reporting period used (`START..END`).
    pub period: String,
    /// The resulting populations.
    pub populations: Populations,
    /// The strata.
    pub strata: Vec<(String, Option<String>)>,
    /// Per population criterion: its keyword, whether it was met, and the steps under it.
    pub criteria: Vec<CriterionTrace>,
    /// Dictionary paths of fields found missing while deciding, which can make a criterion
    /// unknown (and so not met).
    pub missing_fields: Vec<String>,
    /// The spec files the steps point into (the measure's first).
    #[serde(skip)]
    pub(crate) sources: Vec<crate::dsl::Source>,
}

/// Recorded expressions of one file: `(start, end, value, depth)`, byte offsets.
pub(crate) type Marks<'a> = Vec<(usize, usize, &'a str, u32)>;

impl Explanation {
    /// The spec files the steps are in, with each recorded expression's span, value and
    /// nesting depth: `(file name, file text, marks)`, the measure's file first, marks in
    /// recording order (for renderers that highlight the source).
    pub(crate) fn highlights(&self) -> Vec<(&str, &str, Marks<'_>)> {
        let mut out: Vec<(&str, &str, Marks<'_>)> = self
            .sources
            .iter()
            .map(|s| (s.name(), s.text(), Vec::new()))
            .collect();
        for c in &self.criteria {
            for step in &c.steps {
                if let Some((file, span)) = step.at
                    && let Some(entry) = out.get_mut(file)
                {
                    let r = span.range();
                    entry
                        .2
                        .push((r.start, r.end, step.value.as_str(), step.depth));
                }
            }
        }
        out
    }
}

/// The trace of one population criterion.
#[derive(Clone, Serialize)]
#[non_exhaustive]
pub struct CriterionTrace {
    /// `initial_population`, `numerator`, ... or `component ID` for a composite.
    pub criterion: String,
    /// `true`, `false` or `missing` (unknown, hence not met).
    pub value: String,
    /// What decided it.
    pub steps: Vec<Step>,
    /// Fields found missing while evaluating this criterion.
    pub missing_fields: Vec<String>,
}

impl fmt::Debug for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Explanation")
            .field("measure", &self.measure)
            .field("populations", &self.populations)
            .field("criteria", &self.criteria.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "measure {}  (reporting period {})",
            self.measure, self.period
        )?;
        let pops: Vec<&str> = self.populations.iter().map(Population::code).collect();
        writeln!(
            f,
            "populations: {}",
            if pops.is_empty() {
                "none".to_owned()
            } else {
                pops.join(", ")
            }
        )?;
        for (name, v) in &self.strata {
            writeln!(f, "stratum {name}: {}", v.as_deref().unwrap_or("(missing)"))?;
        }
        for c in &self.criteria {
            write!(f, "\n{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CriterionTrace {
    /// The criterion's verdict, then each step indented by depth, then the fields found
    /// missing when it was not met (the chart's values are shown: an explicit opt-in).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.criterion.starts_with("component ") {
            writeln!(f, "{}: {}", self.criterion, self.value)?;
        } else {
            let verdict = match self.value.as_str() {
                "true" => "met",
                "false" => "not met",
                _ => "unknown, so not met",
            };
            writeln!(f, "{} = {}  ({verdict})", self.criterion, self.value)?;
        }
        for s in &self.steps {
            let indent = "  ".repeat((s.depth as usize).saturating_add(1));
            if s.location.is_empty() {
                writeln!(f, "{indent}{}", s.code)?;
            } else {
                writeln!(f, "{indent}{} = {}    [{}]", s.code, s.value, s.location)?;
            }
        }
        if !self.missing_fields.is_empty() && self.value != "true" {
            writeln!(f, "  missing: {}", self.missing_fields.join(", "))?;
        }
        Ok(())
    }
}
