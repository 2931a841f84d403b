//! Deterministic synthetic charts for demonstrations, benchmarks and tests (feature `synth`).
//!
//! [`generate`] streams `config.charts` charts without holding them; [`chart`] builds any one
//! of them alone: chart `index` depends only on the configuration and the index (its random
//! stream is a ChaCha8 generator keyed by a SplitMix64 mix of `seed` and `index`), so charts
//! can be generated in parallel or regenerated one at a time. [`write_jsonl`] writes them one
//! per line; the same configuration always gives byte-identical output.
//!
//! ```
//! use oncoqual::synth::{self, SynthConfig};
//!
//! let config = SynthConfig::new(20, 2, 1, 7);
//! let charts: Vec<_> = synth::generate(&config).collect();
//! assert_eq!(charts.len(), 20);
//! assert_eq!(synth::chart(&config, 3), charts[3]);
//! for c in &charts {
//!     assert!(oncoqual::parse_chart(&c.to_json(), &Default::default()).is_ok());
//! }
//! ```
//!
//! # What the charts hold
//!
//! Each chart tells one patient's story relative to its round's reporting period: a cancer
//! drawn from a realistic mix of 27 types (stage, TNM, histology, grade, biomarkers and, for
//! prostate cancer, Gleason, PSA and risk group), diagnosed in the period or up to eight years
//! before; surgery, radiation and systemic therapy along disease-specific pathways (adjuvant
//! and neoadjuvant chemotherapy, chemoradiation, endocrine therapy, lines of therapy for
//! metastatic disease, recurrences); plans, orders and administrations by cycle; supportive
//! medications; office, infusion and acute-care encounters; assessments at visits and before
//! cycles; labs, imaging, referrals, conversations, documents, adverse events, germline
//! testing, coexisting conditions; and for about one patient in seven, death with its
//! end-of-life care. About 2% of patients are children.
//!
//! Documentation is missing at realistic rates, and each practice has a deterministic quality
//! level (from the seed and the practice index) that raises or lowers the chance of every
//! good-care item and lowers or raises overuse, so practice rates differ. Charts always pass
//! validation ([`crate::parse_chart`]); nothing is dated after the period's end or the death.
//!
//! # Layout
//!
//! `config` (the configuration and index → practice/round), `rng` (the random stream),
//! `practice` (quality profiles), `disease`, `biomarkers`, `patient`, `timeline` (the story's
//! facts), `agents` (the regimen catalogue), `therapy` (surgery, radiation, regimens with
//! orders and administrations), `pathways` (treatment by disease), `end_of_life`, `visits`,
//! `assessments`, `labs`, `supportive`, `procedures`, `care_planning`, `genetics`,
//! `toxicity`, `conditions`, and `build` (one chart, in order).

mod agents;
mod assessments;
mod biomarkers;
mod build;
mod care_planning;
mod conditions;
mod config;
mod context;
mod dates;
mod disease;
mod end_of_life;
mod facts;
mod genetics;
mod ids;
mod labs;
mod pathways;
mod patient;
mod practice;
mod procedures;
mod registry;
mod rng;
mod supportive;
mod therapy;
mod timeline;
mod toxicity;
mod visits;

use std::io::{self, Write};

pub use config::SynthConfig;
pub use registry::practices;

use crate::Chart;

/// The charts of `config`, in index order, generated one at a time.
pub fn generate(config: &SynthConfig) -> impl ExactSizeIterator<Item = Chart> + use<> {
    let config = *config;
    (0..config.charts).map(move |index| build::chart(&config, index))
}

/// Chart `index` (0-based) of `config`, built on its own.
///
/// It equals the `index`-th chart of [`generate`]; an index past `config.charts` still gives
/// a valid chart (in the last round).
pub fn chart(config: &SynthConfig, index: usize) -> Chart {
    build::chart(config, index)
}

/// Writes the charts of `config` as JSON Lines (one [`Chart::to_json`] per line) and returns
/// how many were written.
pub fn write_jsonl<W: Write>(config: &SynthConfig, out: W) -> io::Result<usize> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    for chart in generate(config) {
        serde_json::to_writer(&mut out, &chart).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    // `generate` yields exactly `config.charts` charts, and an error above returns early.
    Ok(config.charts)
}
