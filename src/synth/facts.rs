//! What the generator decides about a patient before writing it into the chart: the true
//! story (biology, stage, recurrence, death) that the recorded chart documents, or fails to.

use super::agents::RegimenDef;
use crate::Date;
use crate::chart::{
    CancerType, HistologyGroup, NCategory, ProstateRiskGroup, RadiationIntent, RadiationModality,
    RadiationTarget, RegimenId, RegimenIntent, Sex, StageGroup, SurgeryIntent, TCategory,
    TobaccoStatus,
};

/// The patient as the story needs them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PatientFacts {
    pub(crate) birth: Date,
    /// Sex as recorded (gynaecologic cancers: female; prostate and testis: male).
    pub(crate) sex: Sex,
    pub(crate) pediatric: bool,
    pub(crate) tobacco: TobaccoStatus,
    /// Could become pregnant.
    pub(crate) can_conceive: bool,
    /// Baseline ECOG performance status.
    pub(crate) ecog: u8,
    /// Chance that pain is present at a visit.
    pub(crate) pain: f64,
    /// Chance that a distress or depression screen is positive.
    pub(crate) distress: f64,
    pub(crate) family_history: bool,
    /// Usual body weight, tenths of a kilogram.
    pub(crate) weight: i64,
    /// Height, centimetres.
    pub(crate) height: i64,
    /// Came to the practice after first-course treatment had started elsewhere.
    pub(crate) transferred: bool,
}

/// Tumour biology: the true results, whether or not they are tested.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Markers {
    pub(crate) er: bool,
    pub(crate) pr: bool,
    pub(crate) her2: bool,
    pub(crate) kras: bool,
    pub(crate) nras: bool,
    pub(crate) braf: bool,
    pub(crate) dmmr: bool,
    pub(crate) egfr: bool,
    pub(crate) alk: bool,
    pub(crate) ros1: bool,
    pub(crate) cd20: bool,
    pub(crate) p16: bool,
    /// Germline BRCA or homologous-recombination deficiency.
    pub(crate) brca: bool,
    /// PD-L1 tumour proportion score, percent.
    pub(crate) pdl1: u8,
}

/// One cancer diagnosis.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DxFacts {
    /// Index in `chart.diagnoses`.
    pub(crate) slot: usize,
    pub(crate) cancer: CancerType,
    pub(crate) histology: HistologyGroup,
    /// The true stage group.
    pub(crate) stage: StageGroup,
    /// 0-4 from the stage group; 5 for cancers without a stage.
    pub(crate) level: u8,
    pub(crate) t: Option<TCategory>,
    pub(crate) n: Option<NCategory>,
    pub(crate) date: Date,
    pub(crate) invasive: bool,
    /// Distant metastases at diagnosis (stage IV that is not only locally advanced).
    pub(crate) distant: bool,
    pub(crate) high_grade: bool,
    /// Distant recurrence (the metastasis date) after curative treatment.
    pub(crate) recurrence: Option<Date>,
    pub(crate) bone_mets: bool,
    pub(crate) brain_mets: bool,
    pub(crate) biology: Markers,
    /// Results documented positive (mutated, deficient, ...).
    pub(crate) known: Markers,
    /// Results documented at all (any result); `pdl1` holds 1 when PD-L1 was documented.
    pub(crate) tested: Markers,
    pub(crate) prostate_risk: Option<ProstateRiskGroup>,
    /// Disease-specific subtype (leukaemia: 0 AML, 1 CLL, 2 ALL; other heme: 0 MDS, 1 MPN).
    pub(crate) subtype: u8,
    pub(crate) oropharynx: bool,
    /// The cancer the chart is about (false for an earlier, resolved primary).
    pub(crate) primary: bool,
}

impl DxFacts {
    /// A haematologic cancer (not a solid tumour).
    pub(crate) fn heme(&self) -> bool {
        is_heme(self.cancer)
    }

    /// Stage IV at diagnosis (solid tumours).
    pub(crate) fn metastatic_at_dx(&self) -> bool {
        self.distant && !self.heme()
    }

    /// When distant disease was first documented, if ever.
    pub(crate) fn metastasis(&self) -> Option<Date> {
        if self.heme() {
            None
        } else if self.distant {
            Some(self.date)
        } else {
            self.recurrence
        }
    }

    /// Metastatic on `date`.
    pub(crate) fn metastatic_on(&self, date: Date) -> bool {
        self.metastasis().is_some_and(|m| m <= date)
    }
}

/// A haematologic cancer type.
pub(crate) fn is_heme(cancer: CancerType) -> bool {
    matches!(
        cancer,
        CancerType::Nhl
            | CancerType::HodgkinLymphoma
            | CancerType::Myeloma
            | CancerType::Leukemia
            | CancerType::OtherHeme
    )
}

/// A regimen as recorded, for the supportive care that follows it.
#[derive(Debug, Clone)]
pub(crate) struct RxFacts {
    pub(crate) id: Option<RegimenId>,
    /// Index in `chart.regimens`.
    pub(crate) slot: usize,
    /// Index in `Ctx::dx`.
    pub(crate) dx: usize,
    pub(crate) def: &'static RegimenDef,
    pub(crate) start: Date,
    pub(crate) end: Option<Date>,
    /// The last dose day given.
    pub(crate) last_dose: Date,
    pub(crate) intent: RegimenIntent,
    /// `Ctx::cycles[first_cycle..first_cycle + cycles]` are this regimen's cycles.
    pub(crate) first_cycle: usize,
    pub(crate) cycles: usize,
}

impl RxFacts {
    /// Active on `date`: started on or before it and not ended before it.
    pub(crate) fn active_on(&self, date: Date) -> bool {
        self.start <= date && self.end.is_none_or(|e| e >= date)
    }
}

/// One cycle's first day.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cycle {
    /// Index in `Ctx::rx`.
    pub(crate) rx: usize,
    pub(crate) number: u16,
    pub(crate) date: Date,
}

/// A radiation course as recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RtFacts {
    pub(crate) dx: usize,
    pub(crate) target: RadiationTarget,
    pub(crate) modality: RadiationModality,
    pub(crate) intent: RadiationIntent,
    pub(crate) start: Date,
    pub(crate) end: Option<Date>,
}

/// A surgery as recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SurgeryFacts {
    pub(crate) dx: usize,
    pub(crate) intent: SurgeryIntent,
    pub(crate) date: Date,
}

/// An office visit on the schedule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Visit {
    pub(crate) date: Date,
    /// An office visit in the catalog's sense (office or telehealth, with the practice, with a
    /// physician or advanced practice provider).
    pub(crate) counts: bool,
}

/// How and when the patient dies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeathPlan {
    pub(crate) date: Date,
    pub(crate) cancer: bool,
    pub(crate) hospice: Option<Date>,
    /// Systemic therapy continues into the last two weeks.
    pub(crate) eol_therapy: bool,
}
