//! Tumour biomarker testing: which markers are tested for which cancers, when, by which
//! method, with what result; and what the chart therefore documents as known.

use super::context::{Ctx, int};
use super::facts::{DxFacts, Markers};
use crate::Date;
use crate::chart::{
    Action, Biomarker, BiomarkerMethod as Method, BiomarkerName as Name, BiomarkerResult as Res,
    CancerType as C, HistologyGroup as H, ReasonType,
};

/// Records the biomarker results of diagnosis `dx` and what they make known.
pub(crate) fn record(ctx: &mut Ctx, dx: usize) {
    let Some(f) = ctx.dx.get(dx).copied() else {
        return;
    };
    let mut t = Tests {
        slot: f.slot,
        known: Markers::default(),
        tested: Markers::default(),
    };
    let b = f.biology;
    // Markers of advanced disease are tested when it becomes advanced.
    let advanced_on = f.metastasis();
    let primary_date = ctx.g.after(f.date, 3, 14);
    match f.cancer {
        C::Breast if f.invasive => {
            if ctx.good(0.94) {
                let date = primary_date;
                let value = percent(ctx, b.er);
                t.add(ctx, Name::Er, pos(b.er), date, Some(value), Method::Ihc);
                t.tested.er = true;
                t.known.er = b.er;
                if ctx.good(0.97) {
                    let value = percent(ctx, b.pr);
                    t.add(ctx, Name::Pr, pos(b.pr), date, Some(value), Method::Ihc);
                    t.tested.pr = true;
                    t.known.pr = b.pr;
                }
            }
            if f.level <= 3 && ctx.good(0.92) || f.level == 4 && ctx.g.chance(0.9) {
                let method = if ctx.g.chance(0.7) {
                    Method::Ihc
                } else {
                    Method::Ish
                };
                let result = if !b.her2 && method == Method::Ihc && ctx.g.chance(0.04) {
                    Res::Equivocal
                } else {
                    pos(b.her2)
                };
                let date = ctx.g.after(primary_date, 0, 7);
                t.add(ctx, Name::Her2, result, date, None, method);
                t.tested.her2 = true;
                t.known.her2 = b.her2 && result == Res::Positive;
            }
        }
        C::Colon | C::Rectum if f.invasive => {
            if ctx.good(0.78) {
                let date = ctx.g.after(f.date, 5, 20);
                let result = if ctx.g.chance(0.75) {
                    t.add(
                        ctx,
                        Name::Mmr,
                        if b.dmmr {
                            Res::Deficient
                        } else {
                            Res::Proficient
                        },
                        date,
                        None,
                        Method::Ihc,
                    );
                    b.dmmr
                } else {
                    t.add(
                        ctx,
                        Name::Msi,
                        if b.dmmr { Res::MsiHigh } else { Res::MsiStable },
                        date,
                        None,
                        Method::Pcr,
                    );
                    b.dmmr
                };
                t.tested.dmmr = true;
                t.known.dmmr = result;
                if result && ctx.g.chance(0.1) {
                    // MLH1 promoter hypermethylation: sporadic, recorded as proficient.
                    let later = ctx.g.after(date, 7, 30);
                    t.add(ctx, Name::Mmr, Res::Proficient, later, None, Method::Other);
                }
            }
            let ras_on = advanced_on.or_else(|| ctx.g.chance(0.15).then_some(f.date));
            if let Some(on) = ras_on {
                let date = ctx.g.after(on, 5, 25);
                let method = if ctx.g.chance(0.7) {
                    Method::Ngs
                } else {
                    Method::Pcr
                };
                if ctx.good(0.82) {
                    t.add(ctx, Name::Kras, mutated(b.kras), date, None, method);
                    t.tested.kras = true;
                    t.known.kras = b.kras;
                    if ctx.good(0.95) {
                        t.add(ctx, Name::Nras, mutated(b.nras), date, None, method);
                        t.tested.nras = true;
                        t.known.nras = b.nras;
                    }
                }
                if ctx.good(0.72) {
                    t.add(ctx, Name::Braf, mutated(b.braf), date, None, method);
                    t.tested.braf = true;
                    t.known.braf = b.braf;
                }
            }
        }
        C::LungNsclc => lung(ctx, &f, &mut t, advanced_on),
        C::Nhl if ctx.good(0.9) => {
            let date = ctx.g.after(f.date, 2, 10);
            t.add(ctx, Name::Cd20, pos(b.cd20), date, None, Method::Ihc);
            t.tested.cd20 = true;
            t.known.cd20 = b.cd20;
        }
        C::HeadAndNeck => {
            if ctx.g.chance(if f.oropharynx {
                ctx.practice.good(0.85)
            } else {
                0.15
            }) {
                t.add(
                    ctx,
                    Name::P16Hpv,
                    pos(b.p16),
                    primary_date,
                    None,
                    Method::Ihc,
                );
                t.tested.p16 = true;
                t.known.p16 = b.p16;
            }
            if let Some(on) = advanced_on.filter(|_| ctx.g.chance(0.5)) {
                let date = ctx.g.after(on, 5, 20);
                pdl1(ctx, &f, &mut t, date);
            }
        }
        C::Melanoma if (f.level >= 3 || f.recurrence.is_some()) && ctx.good(0.8) => {
            let on = advanced_on.unwrap_or(f.date);
            let date = ctx.g.after(on, 5, 21);
            let method = if ctx.g.chance(0.6) {
                Method::Ngs
            } else {
                Method::Pcr
            };
            t.add(ctx, Name::Braf, mutated(b.braf), date, None, method);
            t.tested.braf = true;
            t.known.braf = b.braf;
        }
        C::GastricGej | C::Esophagus if f.histology == H::Adenocarcinoma => {
            let on = advanced_on.unwrap_or(f.date);
            if ctx.g.chance(if advanced_on.is_some() {
                ctx.practice.good(0.8)
            } else {
                0.4
            }) {
                let date = ctx.g.after(on, 5, 21);
                let result = if !b.her2 && ctx.g.chance(0.04) {
                    Res::Equivocal
                } else {
                    pos(b.her2)
                };
                t.add(ctx, Name::Her2, result, date, None, Method::Ihc);
                t.tested.her2 = true;
                t.known.her2 = b.her2 && result == Res::Positive;
            }
            if ctx.g.chance(0.5) {
                let date = ctx.g.after(on, 5, 21);
                pdl1(ctx, &f, &mut t, date);
            }
            if ctx.g.chance(0.4) {
                let date = ctx.g.after(on, 5, 21);
                t.add(
                    ctx,
                    Name::Mmr,
                    if b.dmmr {
                        Res::Deficient
                    } else {
                        Res::Proficient
                    },
                    date,
                    None,
                    Method::Ihc,
                );
                t.known.dmmr = b.dmmr;
            }
        }
        C::Endometrium if ctx.good(0.8) => {
            let date = ctx.g.after(f.date, 7, 25);
            if ctx.g.chance(0.8) {
                t.add(
                    ctx,
                    Name::Mmr,
                    if b.dmmr {
                        Res::Deficient
                    } else {
                        Res::Proficient
                    },
                    date,
                    None,
                    Method::Ihc,
                );
            } else {
                t.add(
                    ctx,
                    Name::Msi,
                    if b.dmmr { Res::MsiHigh } else { Res::MsiStable },
                    date,
                    None,
                    Method::Ngs,
                );
            }
            t.tested.dmmr = true;
            t.known.dmmr = b.dmmr;
        }
        C::Ovary if ctx.g.chance(0.25) => {
            let date = ctx.g.after(f.date, 14, 40);
            let hrd = b.brca || ctx.g.chance(0.3);
            t.add(ctx, Name::Hrd, pos(hrd), date, None, Method::Ngs);
        }
        C::Pancreas => {
            if ctx.g.chance(0.3) {
                let date = ctx.g.after(f.date, 10, 30);
                t.add(ctx, Name::Kras, mutated(b.kras), date, None, Method::Ngs);
                t.known.kras = b.kras;
            }
            if ctx.g.chance(0.25) {
                let date = ctx.g.after(f.date, 10, 30);
                t.add(ctx, Name::Msi, Res::MsiStable, date, None, Method::Ngs);
            }
        }
        C::Bladder => {
            if let Some(on) = advanced_on.filter(|_| ctx.g.chance(0.3)) {
                let date = ctx.g.after(on, 5, 20);
                pdl1(ctx, &f, &mut t, date);
            }
        }
        _ => {}
    }
    if let Some(d) = ctx.dx.get_mut(dx) {
        d.known = t.known;
        d.tested = t.tested;
    }
}

fn lung(ctx: &mut Ctx, f: &DxFacts, t: &mut Tests, advanced_on: Option<Date>) {
    let b = f.biology;
    let squamous = f.histology == H::SquamousCell;
    let (on, rates) = match advanced_on {
        Some(on) if squamous => (on, [0.3, 0.3, 0.15, 0.85]),
        Some(on) => (on, [0.86, 0.83, 0.72, 0.88]),
        None if f.level >= 2 => (f.date, [0.4, 0.2, 0.1, 0.3]),
        None => return,
    };
    let date = ctx.g.after(on, 5, 28);
    let method = if ctx.g.chance(0.7) {
        Method::Ngs
    } else {
        Method::Pcr
    };
    if ctx.g.chance(ctx.practice.good(rates[0])) {
        if ctx.g.chance(0.03) {
            // Insufficient tissue.
            t.add(ctx, Name::Egfr, Res::Indeterminate, date, None, method);
            if ctx.g.chance(0.7) {
                let reason = if ctx.g.chance(0.8) {
                    ReasonType::Medical
                } else {
                    ctx.reason()
                };
                ctx.not_done(Action::BiomarkerTest, reason, date, None);
            }
        } else {
            t.add(ctx, Name::Egfr, mutated(b.egfr), date, None, method);
            t.tested.egfr = true;
            t.known.egfr = b.egfr;
        }
    }
    let fusion_method = if method == Method::Ngs {
        Method::Ngs
    } else {
        ctx.g.pick(&[Method::Ihc, Method::Ish])
    };
    if ctx.g.chance(ctx.practice.good(rates[1])) {
        t.add(ctx, Name::Alk, pos(b.alk), date, None, fusion_method);
        t.tested.alk = true;
        t.known.alk = b.alk;
    }
    if ctx.g.chance(ctx.practice.good(rates[2])) {
        t.add(ctx, Name::Ros1, pos(b.ros1), date, None, fusion_method);
        t.tested.ros1 = true;
        t.known.ros1 = b.ros1;
    }
    if method == Method::Ngs {
        t.add(ctx, Name::Kras, mutated(b.kras), date, None, method);
        for name in [Name::Braf, Name::Met, Name::Ret, Name::Ntrk] {
            if ctx.g.chance(0.4) {
                let positive = ctx.g.chance(0.02);
                let result = if name == Name::Braf {
                    mutated(positive)
                } else {
                    pos(positive)
                };
                t.add(ctx, name, result, date, None, method);
            }
        }
    }
    if ctx.g.chance(ctx.practice.good(rates[3])) {
        let d = ctx.g.after(on, 3, 21);
        pdl1(ctx, f, t, d);
    }
}

fn pdl1(ctx: &mut Ctx, f: &DxFacts, t: &mut Tests, date: Date) {
    let tps = f.biology.pdl1;
    let method = if ctx.g.chance(0.94) {
        Method::Ihc
    } else {
        Method::Other
    };
    let value = ctx.g.chance(0.9).then(|| int(i64::from(tps)));
    t.add(ctx, Name::PdL1, pos(tps >= 1), date, value, method);
    t.tested.pdl1 = 1;
    t.known.pdl1 = tps;
}

/// The results being recorded for one diagnosis.
struct Tests {
    slot: usize,
    known: Markers,
    tested: Markers,
}

impl Tests {
    fn add(
        &mut self,
        ctx: &mut Ctx,
        name: Name,
        result: Res,
        date: Date,
        value: Option<crate::Number>,
        method: Method,
    ) {
        if date > ctx.end {
            return;
        }
        let result = if ctx.g.chance(0.01) {
            Res::NotDocumented
        } else {
            result
        };
        let marker = Biomarker {
            name: Some(name),
            result: Some(result),
            result_date: ctx.g.chance(0.98).then_some(date),
            value,
            method: ctx.g.chance(0.95).then_some(method),
        };
        if let Some(dx) = ctx.chart.diagnoses.get_mut(self.slot) {
            dx.biomarkers.push(marker);
        }
    }
}

fn pos(positive: bool) -> Res {
    if positive {
        Res::Positive
    } else {
        Res::Negative
    }
}

fn mutated(yes: bool) -> Res {
    if yes { Res::Mutated } else { Res::WildType }
}

/// An ER/PR staining percentage consistent with the result.
fn percent(ctx: &mut Ctx, positive: bool) -> crate::Number {
    if positive {
        int(if ctx.g.chance(0.85) {
            ctx.g.int(60, 100)
        } else {
            ctx.g.int(1, 59)
        })
    } else {
        int(0)
    }
}
