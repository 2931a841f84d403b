//! The state of one chart being generated, and the small helpers every step uses to record
//! entries (each helper drops entries dated after the chart's last recordable date).

use rust_decimal::Decimal;
use smol_str::SmolStr;

use super::facts::{
    Cycle, DeathPlan, DxFacts, PatientFacts, RtFacts, RxFacts, SurgeryFacts, Visit,
};
use super::practice::Practice;
use super::rng::Gen;
use crate::chart::{
    Action, AgentClass, Assessment, Discussion, DiscussionParticipants, DiscussionTopic, Document,
    DocumentKind, Encounter, EncounterKind, Lab, LabResult, LabTest, Medication, MedicationClass,
    MedicationPurpose, NotDoneReason, Procedure, ProcedureIndication, ProcedureKind, ProviderRole,
    ReasonType, Recipient, Recommendation, Referral, ReferralKind, ReferralStatus, RegimenId,
};
use crate::{Chart, Code, Date, Number, Period};

/// One chart in the making.
pub(crate) struct Ctx {
    pub(crate) g: Gen,
    pub(crate) practice: Practice,
    pub(crate) period: Period,
    pub(crate) chart: Chart,
    pub(crate) patient: PatientFacts,
    pub(crate) dx: Vec<DxFacts>,
    pub(crate) rx: Vec<RxFacts>,
    pub(crate) cycles: Vec<Cycle>,
    pub(crate) rt: Vec<RtFacts>,
    pub(crate) surgeries: Vec<SurgeryFacts>,
    pub(crate) visits: Vec<Visit>,
    pub(crate) death: Option<DeathPlan>,
    pub(crate) first_visit: Date,
    /// The practice documents treatment given from this date (later than the diagnosis for
    /// patients transferred in after treatment started elsewhere).
    pub(crate) care_start: Date,
    /// The last date anything is recorded: the period's end, or the death date.
    pub(crate) end: Date,
    /// The last date systemic therapy may be given.
    pub(crate) treat_stop: Date,
    /// The last date of the current treatment phase (the day before a recurrence).
    pub(crate) phase_stop: Date,
}

/// A whole number.
pub(crate) fn int(v: i64) -> Number {
    Number::from(v)
}

/// `v / 10^scale`, e.g. `dec(185, 2)` = 1.85.
pub(crate) fn dec(v: i64, scale: u32) -> Number {
    Number::from(Decimal::new(v, scale).normalize())
}

/// An RxNorm ingredient code.
pub(crate) fn rxnorm(code: &'static str) -> Code {
    Code::new(SmolStr::new_static("RxNorm"), SmolStr::new_static(code))
}

impl Ctx {
    /// Whether a good-care item with typical rate `base` happens at this practice.
    pub(crate) fn good(&mut self, base: f64) -> bool {
        let p = self.practice.good(base);
        self.g.chance(p)
    }

    /// Whether overuse or an error with typical rate `base` happens at this practice.
    pub(crate) fn bad(&mut self, base: f64) -> bool {
        let p = self.practice.bad(base);
        self.g.chance(p)
    }

    /// A date `lo..=hi` days before `date`, but not before the first office visit (the
    /// practice documents what it did), nor after `date`.
    pub(crate) fn prior(&mut self, date: Date, lo: i64, hi: i64) -> Date {
        self.g.before(date, lo, hi).max(self.first_visit.min(date))
    }

    /// A body weight (tenths of a kilogram) near the patient's usual weight.
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "the usual weight is 120..=1253 tenths of a kilogram (`patient::facts`)"
    )]
    pub(crate) fn weight(&mut self) -> Number {
        let w = self.patient.weight;
        dec(w + self.g.int(-w / 30, w / 30), 1)
    }

    /// Body surface area (Mosteller), in m² to two decimals.
    pub(crate) fn bsa(&self) -> Number {
        let (h, w) = (
            self.patient.height as f64,
            self.patient.weight as f64 / 10.0,
        );
        dec(((h * w / 3600.0).sqrt() * 100.0).round() as i64, 2)
    }

    /// The last date the current treatment step may run to.
    pub(crate) fn stop(&self) -> Date {
        self.treat_stop.min(self.phase_stop)
    }

    /// Whether a course cut at [`Ctx::stop`] is still under way (cut by the abstraction date
    /// rather than by a recurrence or the end of life).
    pub(crate) fn cut_is_ongoing(&self) -> bool {
        self.death.is_none() && self.phase_stop >= self.treat_stop
    }

    /// The patient's age in whole years on `date`.
    pub(crate) fn age_on(&self, date: Date) -> i32 {
        super::dates::age_on(self.patient.birth, date)
    }

    /// A documented reason type: mostly medical, then patient refusal, then system.
    pub(crate) fn reason(&mut self) -> ReasonType {
        self.g
            .weighted(&[
                (ReasonType::Medical, 55),
                (ReasonType::PatientRefusal, 35),
                (ReasonType::System, 10),
            ])
            .unwrap_or(ReasonType::Medical)
    }

    /// Records an encounter.
    pub(crate) fn encounter(
        &mut self,
        kind: EncounterKind,
        date: Date,
        discharge: Option<Date>,
        role: Option<ProviderRole>,
        with_practice: bool,
    ) {
        if date > self.end {
            return;
        }
        self.chart.encounters.push(Encounter {
            kind: Some(kind),
            date: Some(date),
            discharge_date: discharge.filter(|&d| d >= date && d <= self.end),
            provider_role: role,
            with_practice: Some(with_practice),
        });
    }

    /// Records an assessment (dropped when undated or after the last recordable date).
    pub(crate) fn assess(&mut self, assessment: Assessment) {
        if assessment.date.is_some_and(|d| d <= self.end) {
            self.chart.assessments.push(assessment);
        }
    }

    /// Records a laboratory result.
    pub(crate) fn lab(
        &mut self,
        test: LabTest,
        date: Date,
        value: Option<Number>,
        result: Option<LabResult>,
    ) {
        if date > self.end {
            return;
        }
        self.chart.labs.push(Lab {
            test: Some(test),
            date: Some(date),
            value,
            result,
        });
    }

    /// Records a medication; an end date before the start is dropped.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn medication(
        &mut self,
        class: MedicationClass,
        agent: &'static str,
        start: Date,
        end: Option<Date>,
        purpose: Option<MedicationPurpose>,
        regimen: Option<RegimenId>,
        immunosuppressive: Option<bool>,
    ) {
        if start > self.end {
            return;
        }
        let agent = self.g.chance(0.95).then(|| rxnorm(agent));
        self.chart.medications.push(Medication {
            r#class: Some(class),
            agent,
            start_date: Some(start),
            end_date: end.filter(|&e| e >= start && e <= self.end),
            purpose,
            regimen_id: regimen,
            immunosuppressive,
        });
    }

    /// Records an imaging study or procedure.
    pub(crate) fn procedure(
        &mut self,
        kind: ProcedureKind,
        date: Date,
        indication: Option<ProcedureIndication>,
        value: Option<Number>,
    ) {
        if date > self.end {
            return;
        }
        let ordered = self
            .g
            .weighted(&[(Some(true), 88), (Some(false), 9), (None, 3)])
            .flatten();
        self.chart.procedures.push(Procedure {
            kind: Some(kind),
            date: Some(date),
            indication,
            value,
            ordered_by_practice: ordered,
        });
    }

    /// Records a referral (made, completed, or declined by the patient).
    pub(crate) fn refer(&mut self, kind: ReferralKind, date: Date) {
        if date > self.end {
            return;
        }
        let status = self
            .g
            .weighted(&[
                (Some(ReferralStatus::Made), 40),
                (Some(ReferralStatus::Completed), 42),
                (Some(ReferralStatus::DeclinedByPatient), 8),
                (None, 10),
            ])
            .flatten();
        self.chart.referrals.push(Referral {
            kind: Some(kind),
            date: Some(date),
            status,
        });
    }

    /// Records a conversation.
    pub(crate) fn discuss(&mut self, topic: DiscussionTopic, date: Date) {
        if date > self.end {
            return;
        }
        let participants = self
            .g
            .weighted(&[
                (Some(DiscussionParticipants::Patient), 62),
                (Some(DiscussionParticipants::PatientAndSurrogate), 20),
                (Some(DiscussionParticipants::Surrogate), 4),
                (None, 14),
            ])
            .flatten();
        self.chart.discussions.push(Discussion {
            topic: Some(topic),
            date: Some(date),
            participants,
        });
    }

    /// Records a care-planning document; recipients only when a send date is recordable.
    pub(crate) fn document(
        &mut self,
        kind: DocumentKind,
        date: Date,
        regimen: Option<RegimenId>,
        sent_to: &[Recipient],
        sent_date: Option<Date>,
    ) {
        if date > self.end {
            return;
        }
        let sent_date = sent_date.filter(|&s| s <= self.end && !sent_to.is_empty());
        self.chart.documents.push(Document {
            kind: Some(kind),
            date: Some(date),
            regimen_id: regimen,
            sent_to: if sent_date.is_some() {
                sent_to.to_vec()
            } else {
                Vec::new()
            },
            sent_date,
        });
    }

    /// Records a recommendation.
    pub(crate) fn recommend(&mut self, action: Action, date: Date) {
        if date > self.end {
            return;
        }
        self.chart.recommendations.push(Recommendation {
            action: Some(action),
            date: Some(date),
        });
    }

    /// Records a documented reason for an action not taken.
    pub(crate) fn not_done(
        &mut self,
        action: Action,
        reason: ReasonType,
        date: Date,
        agent_class: Option<AgentClass>,
    ) {
        if date > self.end {
            return;
        }
        self.chart.not_done_reasons.push(NotDoneReason {
            action: Some(action),
            reason_type: Some(reason),
            date: Some(date),
            agent_class,
        });
    }

    /// An omitted action: sometimes its reason is documented (`p_reason`), sometimes it was
    /// recommended all the same.
    pub(crate) fn omitted(&mut self, action: Action, date: Date, p_reason: f64) {
        if self.g.chance(p_reason) {
            let reason = self.reason();
            self.not_done(action, reason, date, None);
        }
    }
}
