//! The anticancer agents and regimens the generator prescribes.
//!
//! Agent codes are RxNorm ingredient identifiers (the originator ingredient also for
//! biosimilar products, which carry `biosimilar = true`). Emetic and febrile-neutropenia risks
//! follow the ASCO/NCCN tables as the catalog uses them (AC-type combinations are high emetic
//! risk; carboplatin is moderate, with its target AUC recorded).

use crate::chart::{
    AgentCategory as Cat, AgentClass as Cls, EmeticRisk as Emesis, FnRisk as Fn, Route,
};

/// Day offsets (0 = day 1) within a cycle on which an agent is given.
type Days = &'static [u16];
const D1: Days = &[0];
const D1_8: Days = &[0, 7];
const D1_15: Days = &[0, 14];
const D1_8_15: Days = &[0, 7, 14];
const D1_2: Days = &[0, 1];
const D1_3: Days = &[0, 1, 2];
const D1_5: Days = &[0, 1, 2, 3, 4];
const D1_7: Days = &[0, 1, 2, 3, 4, 5, 6];
const D1_4_8_11: Days = &[0, 3, 7, 10];

/// One anticancer agent as given in a regimen.
#[derive(Debug)]
pub(crate) struct AgentDef {
    /// RxNorm ingredient code.
    pub(crate) rxnorm: &'static str,
    pub(crate) category: Cat,
    pub(crate) class: Cls,
    pub(crate) route: Route,
    /// Days of each cycle the agent is given (oral agents: one dispensing on day 1).
    pub(crate) days: Days,
    /// A biosimilar of the product exists (trastuzumab, bevacizumab, rituximab).
    pub(crate) biosimilar_exists: bool,
}

const fn agent(
    rxnorm: &'static str,
    category: Cat,
    class: Cls,
    route: Route,
    days: Days,
) -> AgentDef {
    AgentDef {
        rxnorm,
        category,
        class,
        route,
        days,
        biosimilar_exists: false,
    }
}

const fn biologic(rxnorm: &'static str, class: Cls, days: Days) -> AgentDef {
    AgentDef {
        rxnorm,
        category: Cat::Targeted,
        class,
        route: Route::Iv,
        days,
        biosimilar_exists: true,
    }
}

const fn cyto(rxnorm: &'static str, class: Cls, days: Days) -> AgentDef {
    agent(rxnorm, Cat::Cytotoxic, class, Route::Iv, days)
}

const fn oral(rxnorm: &'static str, category: Cat, class: Cls) -> AgentDef {
    agent(rxnorm, category, class, Route::Oral, D1)
}

const fn ici(rxnorm: &'static str) -> AgentDef {
    agent(
        rxnorm,
        Cat::Immunotherapy,
        Cls::ImmuneCheckpointInhibitor,
        Route::Iv,
        D1,
    )
}

// Cytotoxic agents.
const DOXORUBICIN: AgentDef = cyto("3639", Cls::Anthracycline, D1);
const DOXORUBICIN_D1_15: AgentDef = cyto("3639", Cls::Anthracycline, D1_15);
const DAUNORUBICIN: AgentDef = cyto("3109", Cls::Anthracycline, D1_3);
const CYCLOPHOSPHAMIDE: AgentDef = cyto("3002", Cls::Alkylator, D1);
const PACLITAXEL: AgentDef = cyto("56946", Cls::Taxane, D1);
const PACLITAXEL_D1_8_15: AgentDef = cyto("56946", Cls::Taxane, D1_8_15);
const PACLITAXEL_IP: AgentDef = agent(
    "56946",
    Cat::Cytotoxic,
    Cls::Taxane,
    Route::Intraperitoneal,
    &[7],
);
const DOCETAXEL: AgentDef = cyto("72962", Cls::Taxane, D1);
const CABAZITAXEL: AgentDef = cyto("996051", Cls::Taxane, D1);
const CARBOPLATIN: AgentDef = cyto("40048", Cls::Carboplatin, D1);
const CISPLATIN: AgentDef = cyto("2555", Cls::Cisplatin, D1);
const CISPLATIN_D1_5: AgentDef = cyto("2555", Cls::Cisplatin, D1_5);
const CISPLATIN_IP: AgentDef = agent(
    "2555",
    Cat::Cytotoxic,
    Cls::Cisplatin,
    Route::Intraperitoneal,
    &[1],
);
const OXALIPLATIN: AgentDef = cyto("32592", Cls::Oxaliplatin, D1);
const FLUOROURACIL: AgentDef = cyto("4492", Cls::Fluoropyrimidine, D1);
const CAPECITABINE: AgentDef = oral("194000", Cat::Cytotoxic, Cls::Fluoropyrimidine);
const IRINOTECAN: AgentDef = cyto("51499", Cls::Irinotecan, D1);
const GEMCITABINE: AgentDef = cyto("12574", Cls::OtherCytotoxic, D1_8);
const GEMCITABINE_D1_8_15: AgentDef = cyto("12574", Cls::OtherCytotoxic, D1_8_15);
const PEMETREXED: AgentDef = cyto("68446", Cls::OtherCytotoxic, D1);
const ETOPOSIDE_D1_3: AgentDef = cyto("4179", Cls::OtherCytotoxic, D1_3);
const ETOPOSIDE_D1_5: AgentDef = cyto("4179", Cls::OtherCytotoxic, D1_5);
const TOPOTECAN: AgentDef = cyto("57308", Cls::OtherCytotoxic, D1_5);
const VINCRISTINE: AgentDef = cyto("11202", Cls::VincaAlkaloid, D1);
const VINBLASTINE: AgentDef = cyto("11198", Cls::VincaAlkaloid, D1_15);
const VINORELBINE: AgentDef = cyto("39541", Cls::VincaAlkaloid, D1_8);
const BLEOMYCIN: AgentDef = cyto("1622", Cls::OtherCytotoxic, D1_15);
const BLEOMYCIN_WEEKLY: AgentDef = cyto("1622", Cls::OtherCytotoxic, D1_8_15);
const DACARBAZINE: AgentDef = cyto("3098", Cls::Alkylator, D1_15);
const BENDAMUSTINE: AgentDef = cyto("134547", Cls::Alkylator, D1_2);
const IFOSFAMIDE: AgentDef = cyto("5657", Cls::Alkylator, D1_3);
const MELPHALAN: AgentDef = cyto("6718", Cls::Alkylator, D1);
const TEMOZOLOMIDE: AgentDef = oral("37776", Cat::Cytotoxic, Cls::Alkylator);
const CYTARABINE: AgentDef = cyto("3041", Cls::OtherCytotoxic, D1_7);
const CYTARABINE_HIDAC: AgentDef = cyto("3041", Cls::OtherCytotoxic, D1_3);
const AZACITIDINE: AgentDef = agent(
    "1251",
    Cat::Cytotoxic,
    Cls::OtherCytotoxic,
    Route::Subcutaneous,
    D1_7,
);
const HYDROXYUREA: AgentDef = oral("5552", Cat::Cytotoxic, Cls::OtherCytotoxic);
const METHOTREXATE_IM: AgentDef = agent(
    "6851",
    Cat::Cytotoxic,
    Cls::OtherCytotoxic,
    Route::Intramuscular,
    D1,
);
const METHOTREXATE_IT: AgentDef = agent(
    "6851",
    Cat::Cytotoxic,
    Cls::OtherCytotoxic,
    Route::Intrathecal,
    D1,
);
const PEGASPARGASE: AgentDef = cyto("283510", Cls::OtherCytotoxic, D1);
const ERIBULIN: AgentDef = cyto("1045453", Cls::OtherCytotoxic, D1_8);
// Supportive agents given within a regimen.
const LEUCOVORIN: AgentDef = agent("6313", Cat::Other, Cls::Other, Route::Iv, D1);
const PREDNISONE: AgentDef = oral("8640", Cat::Other, Cls::Other);
const DEXAMETHASONE: AgentDef = oral("3264", Cat::Other, Cls::Other);
// Targeted agents.
const RITUXIMAB: AgentDef = biologic("121191", Cls::AntiCd20, D1);
const TRASTUZUMAB: AgentDef = biologic("224905", Cls::AntiHer2, D1);
const PERTUZUMAB: AgentDef = agent("1298944", Cat::Targeted, Cls::AntiHer2, Route::Iv, D1);
const TRASTUZUMAB_EMTANSINE: AgentDef =
    agent("1371041", Cat::Targeted, Cls::AntiHer2, Route::Iv, D1);
const BEVACIZUMAB: AgentDef = biologic("253337", Cls::VegfInhibitor, D1);
const RAMUCIRUMAB: AgentDef = agent(
    "1547220",
    Cat::Targeted,
    Cls::VegfInhibitor,
    Route::Iv,
    D1_15,
);
const CETUXIMAB: AgentDef = agent("318341", Cat::Targeted, Cls::AntiEgfrMab, Route::Iv, D1);
const PANITUMUMAB: AgentDef = agent("263034", Cat::Targeted, Cls::AntiEgfrMab, Route::Iv, D1);
const OSIMERTINIB: AgentDef = oral("1721560", Cat::Targeted, Cls::EgfrTki);
const ERLOTINIB: AgentDef = oral("337525", Cat::Targeted, Cls::EgfrTki);
const ALECTINIB: AgentDef = oral("1727455", Cat::Targeted, Cls::AlkTki);
const CRIZOTINIB: AgentDef = oral("1148495", Cat::Targeted, Cls::Ros1Tki);
const DABRAFENIB: AgentDef = oral("1424911", Cat::Targeted, Cls::BrafMekInhibitor);
const TRAMETINIB: AgentDef = oral("1425098", Cat::Targeted, Cls::BrafMekInhibitor);
const OLAPARIB: AgentDef = oral("1597582", Cat::Targeted, Cls::ParpInhibitor);
const PALBOCICLIB: AgentDef = oral("1601374", Cat::Targeted, Cls::Cdk46Inhibitor);
const AXITINIB: AgentDef = oral("1147740", Cat::Targeted, Cls::VegfInhibitor);
const CABOZANTINIB: AgentDef = oral("1363268", Cat::Targeted, Cls::VegfInhibitor);
const LENVATINIB: AgentDef = oral("1603296", Cat::Targeted, Cls::VegfInhibitor);
const REGORAFENIB: AgentDef = oral("1312397", Cat::Targeted, Cls::VegfInhibitor);
const IBRUTINIB: AgentDef = oral("1442981", Cat::Targeted, Cls::Other);
const BORTEZOMIB: AgentDef = agent(
    "358258",
    Cat::Targeted,
    Cls::ProteasomeInhibitor,
    Route::Subcutaneous,
    D1_4_8_11,
);
const CARFILZOMIB: AgentDef = agent(
    "1302966",
    Cat::Targeted,
    Cls::ProteasomeInhibitor,
    Route::Iv,
    D1_8_15,
);
const LENALIDOMIDE: AgentDef = oral("342369", Cat::Targeted, Cls::Imid);
const DARATUMUMAB: AgentDef = agent(
    "1722366",
    Cat::Targeted,
    Cls::AntiCd38,
    Route::Subcutaneous,
    D1,
);
// Immunotherapy.
const PEMBROLIZUMAB: AgentDef = ici("1547545");
const NIVOLUMAB: AgentDef = ici("1597876");
const IPILIMUMAB: AgentDef = ici("1094833");
const ATEZOLIZUMAB: AgentDef = ici("1792776");
const DURVALUMAB: AgentDef = ici("1919503");
// Endocrine therapy.
const TAMOXIFEN: AgentDef = oral("10324", Cat::Endocrine, Cls::Tamoxifen);
const ANASTROZOLE: AgentDef = oral("84857", Cat::Endocrine, Cls::AromataseInhibitor);
const LETROZOLE: AgentDef = oral("72965", Cat::Endocrine, Cls::AromataseInhibitor);
const GOSERELIN: AgentDef = agent(
    "50610",
    Cat::Endocrine,
    Cls::OvarianSuppression,
    Route::Subcutaneous,
    D1,
);
const LEUPROLIDE: AgentDef = agent(
    "42375",
    Cat::Endocrine,
    Cls::AdtGnrh,
    Route::Intramuscular,
    D1,
);
const BICALUTAMIDE: AgentDef = oral("83008", Cat::Endocrine, Cls::Antiandrogen);
const ENZALUTAMIDE: AgentDef = oral("1307298", Cat::Endocrine, Cls::Antiandrogen);
const ABIRATERONE: AgentDef = oral("1100072", Cat::Endocrine, Cls::Other);
// Intravesical therapy.
const BCG: AgentDef = agent("1366", Cat::Intravesical, Cls::Bcg, Route::Intravesical, D1);

/// A regimen: its agents, cycle length and risks.
#[derive(Debug)]
pub(crate) struct RegimenDef {
    pub(crate) agents: &'static [AgentDef],
    /// Days between cycle starts.
    pub(crate) cycle_days: u16,
    pub(crate) emetic: Emesis,
    pub(crate) fn_risk: Fn,
    /// Carboplatin target AUC; 0 when the regimen has no carboplatin.
    pub(crate) auc: u8,
    /// Taken every day of every cycle (oral and depot therapy): the regimen lasts to the end of
    /// its last cycle rather than its last dose day.
    pub(crate) continuous: bool,
}

const fn rx(
    agents: &'static [AgentDef],
    cycle_days: u16,
    emetic: Emesis,
    fn_risk: Fn,
) -> RegimenDef {
    RegimenDef {
        agents,
        cycle_days,
        emetic,
        fn_risk,
        auc: 0,
        continuous: false,
    }
}

const fn carbo(
    agents: &'static [AgentDef],
    cycle_days: u16,
    auc: u8,
    emetic: Emesis,
    fn_risk: Fn,
) -> RegimenDef {
    RegimenDef {
        agents,
        cycle_days,
        emetic,
        fn_risk,
        auc,
        continuous: false,
    }
}

const fn daily(agents: &'static [AgentDef], cycle_days: u16) -> RegimenDef {
    RegimenDef {
        agents,
        cycle_days,
        emetic: Emesis::Minimal,
        fn_risk: Fn::Low,
        auc: 0,
        continuous: true,
    }
}

impl RegimenDef {
    /// A chemotherapy regimen (shared term): an agent of category cytotoxic, targeted or
    /// immunotherapy.
    pub(crate) fn is_chemo(&self) -> bool {
        self.agents.iter().any(|a| {
            matches!(
                a.category,
                Cat::Cytotoxic | Cat::Targeted | Cat::Immunotherapy
            )
        })
    }

    /// At least one cytotoxic agent.
    pub(crate) fn is_cytotoxic(&self) -> bool {
        self.agents.iter().any(|a| a.category == Cat::Cytotoxic)
    }

    /// An agent of `class`.
    pub(crate) fn has(&self, class: Cls) -> bool {
        self.agents.iter().any(|a| a.class == class)
    }

    /// An agent of any of `classes`.
    pub(crate) fn has_any(&self, classes: &[Cls]) -> bool {
        self.agents.iter().any(|a| classes.contains(&a.class))
    }

    /// An oral cytotoxic or targeted agent.
    pub(crate) fn oral_chemo(&self) -> bool {
        self.agents
            .iter()
            .any(|a| a.route == Route::Oral && matches!(a.category, Cat::Cytotoxic | Cat::Targeted))
    }

    /// An immune checkpoint inhibitor.
    pub(crate) fn ici(&self) -> bool {
        self.has(Cls::ImmuneCheckpointInhibitor)
    }

    /// A neurotoxic agent (taxane, oxaliplatin, cisplatin, vinca alkaloid, proteasome inhibitor).
    pub(crate) fn neurotoxic(&self) -> bool {
        self.has_any(&[
            Cls::Taxane,
            Cls::Oxaliplatin,
            Cls::Cisplatin,
            Cls::VincaAlkaloid,
            Cls::ProteasomeInhibitor,
        ])
    }

    /// Endocrine therapy only (tamoxifen, aromatase inhibitor, ADT ...).
    pub(crate) fn endocrine(&self) -> bool {
        self.agents
            .iter()
            .all(|a| matches!(a.category, Cat::Endocrine | Cat::Other))
    }

    /// The last dose day offset within a cycle.
    pub(crate) fn last_day(&self) -> u16 {
        self.agents
            .iter()
            .filter_map(|a| a.days.iter().max())
            .max()
            .copied()
            .unwrap_or(0)
    }
}

// Breast.
pub(crate) const AC_T: RegimenDef = rx(
    &[DOXORUBICIN, CYCLOPHOSPHAMIDE, PACLITAXEL],
    14,
    Emesis::High,
    Fn::High,
);
pub(crate) const TC: RegimenDef = rx(
    &[DOCETAXEL, CYCLOPHOSPHAMIDE],
    21,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const TCHP: RegimenDef = carbo(
    &[DOCETAXEL, CARBOPLATIN, TRASTUZUMAB, PERTUZUMAB],
    21,
    6,
    Emesis::Moderate,
    Fn::High,
);
pub(crate) const TH: RegimenDef = rx(&[PACLITAXEL, TRASTUZUMAB], 7, Emesis::Low, Fn::Low);
pub(crate) const TRASTUZUMAB_MAINT: RegimenDef = rx(&[TRASTUZUMAB], 21, Emesis::Minimal, Fn::Low);
pub(crate) const HP: RegimenDef = rx(&[TRASTUZUMAB, PERTUZUMAB], 21, Emesis::Minimal, Fn::Low);
pub(crate) const THP: RegimenDef = rx(
    &[DOCETAXEL, TRASTUZUMAB, PERTUZUMAB],
    21,
    Emesis::Low,
    Fn::Intermediate,
);
pub(crate) const T_DM1: RegimenDef = rx(&[TRASTUZUMAB_EMTANSINE], 21, Emesis::Low, Fn::Low);
pub(crate) const PACLITAXEL_WEEKLY: RegimenDef = rx(&[PACLITAXEL], 7, Emesis::Low, Fn::Low);
pub(crate) const PACLITAXEL_PEMBRO: RegimenDef = rx(
    &[PACLITAXEL_D1_8_15, PEMBROLIZUMAB],
    28,
    Emesis::Low,
    Fn::Low,
);
pub(crate) const GEM_CARBO: RegimenDef = carbo(
    &[GEMCITABINE, CARBOPLATIN],
    21,
    2,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const CAPECITABINE_MONO: RegimenDef = rx(&[CAPECITABINE], 21, Emesis::Low, Fn::Low);
pub(crate) const ERIBULIN_MONO: RegimenDef = rx(&[ERIBULIN], 21, Emesis::Low, Fn::Intermediate);
pub(crate) const AI_PALBOCICLIB: RegimenDef = daily(&[LETROZOLE, PALBOCICLIB], 28);
pub(crate) const TAMOXIFEN_DAILY: RegimenDef = daily(&[TAMOXIFEN], 28);
pub(crate) const ANASTROZOLE_DAILY: RegimenDef = daily(&[ANASTROZOLE], 28);
pub(crate) const LETROZOLE_DAILY: RegimenDef = daily(&[LETROZOLE], 28);
pub(crate) const OFS_AI: RegimenDef = daily(&[GOSERELIN, ANASTROZOLE], 28);
// Colorectal, anal and upper GI.
pub(crate) const FOLFOX: RegimenDef = rx(
    &[OXALIPLATIN, LEUCOVORIN, FLUOROURACIL],
    14,
    Emesis::Moderate,
    Fn::Low,
);
pub(crate) const CAPOX: RegimenDef =
    rx(&[OXALIPLATIN, CAPECITABINE], 21, Emesis::Moderate, Fn::Low);
pub(crate) const FOLFOX_BEV: RegimenDef = rx(
    &[OXALIPLATIN, LEUCOVORIN, FLUOROURACIL, BEVACIZUMAB],
    14,
    Emesis::Moderate,
    Fn::Low,
);
pub(crate) const FOLFOX_PANI: RegimenDef = rx(
    &[OXALIPLATIN, LEUCOVORIN, FLUOROURACIL, PANITUMUMAB],
    14,
    Emesis::Moderate,
    Fn::Low,
);
pub(crate) const FOLFIRI_BEV: RegimenDef = rx(
    &[IRINOTECAN, LEUCOVORIN, FLUOROURACIL, BEVACIZUMAB],
    14,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const FOLFIRI_CETUX: RegimenDef = rx(
    &[IRINOTECAN, LEUCOVORIN, FLUOROURACIL, CETUXIMAB],
    14,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const CAPE_RT: RegimenDef = rx(&[CAPECITABINE], 7, Emesis::Low, Fn::Low);
pub(crate) const REGORAFENIB_DAILY: RegimenDef = daily(&[REGORAFENIB], 28);
pub(crate) const FOLFIRINOX: RegimenDef = rx(
    &[OXALIPLATIN, IRINOTECAN, LEUCOVORIN, FLUOROURACIL],
    14,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const GEM_NABPACLITAXEL: RegimenDef = rx(
    &[GEMCITABINE_D1_8_15, PACLITAXEL_D1_8_15],
    28,
    Emesis::Low,
    Fn::Intermediate,
);
pub(crate) const FLOT: RegimenDef = rx(
    &[FLUOROURACIL, LEUCOVORIN, OXALIPLATIN, DOCETAXEL],
    14,
    Emesis::Moderate,
    Fn::High,
);
pub(crate) const FOLFOX_NIVO: RegimenDef = rx(
    &[OXALIPLATIN, LEUCOVORIN, FLUOROURACIL, NIVOLUMAB],
    14,
    Emesis::Moderate,
    Fn::Low,
);
pub(crate) const CAPOX_TRASTUZUMAB: RegimenDef = rx(
    &[OXALIPLATIN, CAPECITABINE, TRASTUZUMAB],
    21,
    Emesis::Moderate,
    Fn::Low,
);
pub(crate) const PACLITAXEL_RAMUCIRUMAB: RegimenDef = rx(
    &[PACLITAXEL_D1_8_15, RAMUCIRUMAB],
    28,
    Emesis::Low,
    Fn::Intermediate,
);
pub(crate) const ATEZO_BEV: RegimenDef =
    rx(&[ATEZOLIZUMAB, BEVACIZUMAB], 21, Emesis::Minimal, Fn::Low);
pub(crate) const LENVATINIB_DAILY: RegimenDef = daily(&[LENVATINIB], 28);
// Lung.
pub(crate) const CIS_PEM: RegimenDef = rx(&[CISPLATIN, PEMETREXED], 21, Emesis::High, Fn::Low);
pub(crate) const CIS_VINORELBINE: RegimenDef = rx(
    &[CISPLATIN, VINORELBINE],
    21,
    Emesis::High,
    Fn::Intermediate,
);
pub(crate) const CARBO_PEM: RegimenDef =
    carbo(&[CARBOPLATIN, PEMETREXED], 21, 5, Emesis::Moderate, Fn::Low);
pub(crate) const CARBO_PAC_WEEKLY: RegimenDef =
    carbo(&[CARBOPLATIN, PACLITAXEL], 7, 2, Emesis::Moderate, Fn::Low);
pub(crate) const CARBO_PEM_PEMBRO: RegimenDef = carbo(
    &[CARBOPLATIN, PEMETREXED, PEMBROLIZUMAB],
    21,
    5,
    Emesis::Moderate,
    Fn::Low,
);
pub(crate) const CARBO_PAC_PEMBRO: RegimenDef = carbo(
    &[CARBOPLATIN, PACLITAXEL, PEMBROLIZUMAB],
    21,
    6,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const PEM_PEMBRO: RegimenDef =
    rx(&[PEMETREXED, PEMBROLIZUMAB], 21, Emesis::Low, Fn::Low);
pub(crate) const PEMBRO: RegimenDef = rx(&[PEMBROLIZUMAB], 21, Emesis::Minimal, Fn::Low);
pub(crate) const DURVALUMAB_MAINT: RegimenDef = rx(&[DURVALUMAB], 28, Emesis::Minimal, Fn::Low);
pub(crate) const DOCETAXEL_MONO: RegimenDef = rx(&[DOCETAXEL], 21, Emesis::Low, Fn::Intermediate);
pub(crate) const OSIMERTINIB_DAILY: RegimenDef = daily(&[OSIMERTINIB], 28);
pub(crate) const ERLOTINIB_DAILY: RegimenDef = daily(&[ERLOTINIB], 28);
pub(crate) const ALECTINIB_DAILY: RegimenDef = daily(&[ALECTINIB], 28);
pub(crate) const CRIZOTINIB_DAILY: RegimenDef = daily(&[CRIZOTINIB], 28);
pub(crate) const CIS_ETOPOSIDE: RegimenDef = rx(
    &[CISPLATIN, ETOPOSIDE_D1_3],
    21,
    Emesis::High,
    Fn::Intermediate,
);
pub(crate) const CARBO_ETOPOSIDE_ATEZO: RegimenDef = carbo(
    &[CARBOPLATIN, ETOPOSIDE_D1_3, ATEZOLIZUMAB],
    21,
    5,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const ATEZO_MAINT: RegimenDef = rx(&[ATEZOLIZUMAB], 21, Emesis::Minimal, Fn::Low);
pub(crate) const TOPOTECAN_MONO: RegimenDef = rx(&[TOPOTECAN], 21, Emesis::Low, Fn::High);
// Lymphoma, myeloma, leukaemia.
pub(crate) const R_CHOP: RegimenDef = rx(
    &[
        RITUXIMAB,
        CYCLOPHOSPHAMIDE,
        DOXORUBICIN,
        VINCRISTINE,
        PREDNISONE,
    ],
    21,
    Emesis::High,
    Fn::Intermediate,
);
pub(crate) const CHOP: RegimenDef = rx(
    &[CYCLOPHOSPHAMIDE, DOXORUBICIN, VINCRISTINE, PREDNISONE],
    21,
    Emesis::High,
    Fn::Intermediate,
);
pub(crate) const BR: RegimenDef = rx(&[BENDAMUSTINE, RITUXIMAB], 28, Emesis::Moderate, Fn::Low);
pub(crate) const RITUXIMAB_WEEKLY: RegimenDef = rx(&[RITUXIMAB], 7, Emesis::Minimal, Fn::Low);
pub(crate) const RITUXIMAB_MAINT: RegimenDef = rx(&[RITUXIMAB], 56, Emesis::Minimal, Fn::Low);
pub(crate) const R_GEMOX: RegimenDef = rx(
    &[RITUXIMAB, GEMCITABINE, OXALIPLATIN],
    14,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const ABVD: RegimenDef = rx(
    &[DOXORUBICIN_D1_15, BLEOMYCIN, VINBLASTINE, DACARBAZINE],
    28,
    Emesis::High,
    Fn::Intermediate,
);
pub(crate) const VRD: RegimenDef = rx(
    &[BORTEZOMIB, LENALIDOMIDE, DEXAMETHASONE],
    21,
    Emesis::Low,
    Fn::Low,
);
pub(crate) const DARA_VRD: RegimenDef = rx(
    &[DARATUMUMAB, BORTEZOMIB, LENALIDOMIDE, DEXAMETHASONE],
    21,
    Emesis::Low,
    Fn::Low,
);
pub(crate) const MELPHALAN_ASCT: RegimenDef = rx(&[MELPHALAN], 28, Emesis::High, Fn::High);
pub(crate) const LENALIDOMIDE_MAINT: RegimenDef = daily(&[LENALIDOMIDE], 28);
pub(crate) const DARA_RD: RegimenDef = rx(
    &[DARATUMUMAB, LENALIDOMIDE, DEXAMETHASONE],
    28,
    Emesis::Minimal,
    Fn::Low,
);
pub(crate) const KD: RegimenDef = rx(&[CARFILZOMIB, DEXAMETHASONE], 28, Emesis::Low, Fn::Low);
pub(crate) const SEVEN_PLUS_THREE: RegimenDef =
    rx(&[CYTARABINE, DAUNORUBICIN], 28, Emesis::Moderate, Fn::High);
pub(crate) const HIDAC: RegimenDef = rx(&[CYTARABINE_HIDAC], 28, Emesis::Moderate, Fn::High);
pub(crate) const IBRUTINIB_DAILY: RegimenDef = daily(&[IBRUTINIB], 28);
pub(crate) const ALL_INDUCTION: RegimenDef = rx(
    &[
        VINCRISTINE,
        DAUNORUBICIN,
        PEGASPARGASE,
        METHOTREXATE_IT,
        DEXAMETHASONE,
    ],
    28,
    Emesis::Moderate,
    Fn::High,
);
pub(crate) const AZACITIDINE_MONO: RegimenDef =
    rx(&[AZACITIDINE], 28, Emesis::Moderate, Fn::Intermediate);
pub(crate) const HYDROXYUREA_DAILY: RegimenDef = daily(&[HYDROXYUREA], 28);
// Genitourinary.
pub(crate) const ADT_DEPOT: RegimenDef = daily(&[LEUPROLIDE], 84);
pub(crate) const ADT_BICALUTAMIDE: RegimenDef = daily(&[LEUPROLIDE, BICALUTAMIDE], 84);
pub(crate) const ADT_ENZALUTAMIDE: RegimenDef = daily(&[LEUPROLIDE, ENZALUTAMIDE], 28);
pub(crate) const ADT_ABIRATERONE: RegimenDef = daily(&[LEUPROLIDE, ABIRATERONE, PREDNISONE], 28);
pub(crate) const DOCETAXEL_PREDNISONE: RegimenDef =
    rx(&[DOCETAXEL, PREDNISONE], 21, Emesis::Low, Fn::Intermediate);
pub(crate) const CABAZITAXEL_MONO: RegimenDef =
    rx(&[CABAZITAXEL, PREDNISONE], 21, Emesis::Low, Fn::High);
pub(crate) const BCG_WEEKLY: RegimenDef = rx(&[BCG], 7, Emesis::Minimal, Fn::Low);
pub(crate) const GEM_CIS: RegimenDef = rx(&[GEMCITABINE, CISPLATIN], 21, Emesis::High, Fn::Low);
pub(crate) const PEMBRO_AXITINIB: RegimenDef =
    rx(&[PEMBROLIZUMAB, AXITINIB], 21, Emesis::Minimal, Fn::Low);
pub(crate) const CABOZANTINIB_DAILY: RegimenDef = daily(&[CABOZANTINIB], 28);
pub(crate) const BEP: RegimenDef = rx(
    &[BLEOMYCIN_WEEKLY, ETOPOSIDE_D1_5, CISPLATIN_D1_5],
    21,
    Emesis::High,
    Fn::High,
);
// Gynaecologic.
pub(crate) const CARBO_PAC: RegimenDef = carbo(
    &[CARBOPLATIN, PACLITAXEL],
    21,
    5,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const IP_CIS_PAC: RegimenDef = rx(
    &[PACLITAXEL, CISPLATIN_IP, PACLITAXEL_IP],
    21,
    Emesis::High,
    Fn::Intermediate,
);
pub(crate) const OLAPARIB_DAILY: RegimenDef = daily(&[OLAPARIB], 28);
pub(crate) const CIS_WEEKLY: RegimenDef = rx(&[CISPLATIN], 7, Emesis::High, Fn::Low);
pub(crate) const CARBO_PAC_PEMBRO_BEV: RegimenDef = carbo(
    &[CARBOPLATIN, PACLITAXEL, PEMBROLIZUMAB, BEVACIZUMAB],
    21,
    5,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const PACLITAXEL_BEV: RegimenDef =
    rx(&[PACLITAXEL_D1_8_15, BEVACIZUMAB], 28, Emesis::Low, Fn::Low);
pub(crate) const LENVATINIB_PEMBRO: RegimenDef =
    rx(&[LENVATINIB, PEMBROLIZUMAB], 21, Emesis::Minimal, Fn::Low);
pub(crate) const METHOTREXATE_GTN: RegimenDef = rx(&[METHOTREXATE_IM], 14, Emesis::Low, Fn::Low);
// Melanoma, head and neck, brain, sarcoma.
pub(crate) const NIVOLUMAB_Q4W: RegimenDef = rx(&[NIVOLUMAB], 28, Emesis::Minimal, Fn::Low);
pub(crate) const IPI_NIVO: RegimenDef = rx(&[IPILIMUMAB, NIVOLUMAB], 21, Emesis::Minimal, Fn::Low);
pub(crate) const DABRAFENIB_TRAMETINIB: RegimenDef = daily(&[DABRAFENIB, TRAMETINIB], 28);
pub(crate) const CIS_Q21_RT: RegimenDef = rx(&[CISPLATIN], 21, Emesis::High, Fn::Low);
pub(crate) const CETUXIMAB_RT: RegimenDef = rx(&[CETUXIMAB], 7, Emesis::Minimal, Fn::Low);
pub(crate) const CARBO_FU_PEMBRO: RegimenDef = carbo(
    &[CARBOPLATIN, FLUOROURACIL, PEMBROLIZUMAB],
    21,
    5,
    Emesis::Moderate,
    Fn::Intermediate,
);
pub(crate) const TEMOZOLOMIDE_RT: RegimenDef = RegimenDef {
    agents: &[TEMOZOLOMIDE],
    cycle_days: 42,
    emetic: Emesis::Moderate,
    fn_risk: Fn::Low,
    auc: 0,
    continuous: true,
};
pub(crate) const TEMOZOLOMIDE_ADJ: RegimenDef = rx(&[TEMOZOLOMIDE], 28, Emesis::Moderate, Fn::Low);
pub(crate) const DOXO_IFOS: RegimenDef = rx(&[DOXORUBICIN, IFOSFAMIDE], 21, Emesis::High, Fn::High);
pub(crate) const DOXO_MONO: RegimenDef = rx(&[DOXORUBICIN], 21, Emesis::Moderate, Fn::Intermediate);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_helpers() {
        assert!(AC_T.is_chemo() && AC_T.is_cytotoxic() && AC_T.neurotoxic());
        assert!(!TAMOXIFEN_DAILY.is_chemo() && TAMOXIFEN_DAILY.endocrine());
        assert!(!BCG_WEEKLY.is_chemo() && !BCG_WEEKLY.endocrine());
        assert!(OSIMERTINIB_DAILY.oral_chemo() && OSIMERTINIB_DAILY.continuous);
        assert!(PEMBRO.ici() && !PEMBRO.is_cytotoxic());
        assert_eq!(ABVD.last_day(), 14);
        assert_eq!(TCHP.auc, 6);
        assert!(ADT_ABIRATERONE.endocrine());
    }
}
