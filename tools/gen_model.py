#!/usr/bin/env python3
"""Generate src/chart/model.rs and tests/data/data-dictionary.tsv from the catalog's data dictionary.

Run once when the dictionary changes: `python3 tools/gen_model.py ../shared/measures/README.md`.
The project owns the generated files; the schema test checks them against the TSV copy.
"""
import re, sys, collections

src = open(sys.argv[1] if len(sys.argv) > 1 else "../shared/measures/README.md").read()
rows = []
in_dict = False
for line in src.splitlines():
    if line.startswith("## Data dictionary"):
        in_dict = True
        continue
    if in_dict and line.startswith("## "):
        break
    if in_dict and line.startswith("| `"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.match(r"`([^`]+)`\s*([†‡]?)", cells[0])
        rows.append((m.group(1), m.group(2), cells[1], cells[2]))

ENUM_NAMES = {
    "patient.sex": "Sex", "patient.childbearing_potential": "ChildbearingPotential",
    "patient.menopausal_status": "MenopausalStatus",
    "diagnoses.cancer_type": "CancerType", "diagnoses.histology_group": "HistologyGroup",
    "diagnoses.staging_system": "StagingSystem", "diagnoses.stage_group": "StageGroup",
    "diagnoses.t_category": "TCategory", "diagnoses.n_category": "NCategory",
    "diagnoses.m_category": "MCategory", "diagnoses.grade": "Grade",
    "diagnoses.prostate_risk_group": "ProstateRiskGroup",
    "diagnoses.biomarkers.name": "BiomarkerName", "diagnoses.biomarkers.result": "BiomarkerResult",
    "diagnoses.biomarkers.method": "BiomarkerMethod",
    "genetic_tests.kind": "GeneticTestKind", "genetic_tests.result": "GeneticTestResult",
    "encounters.kind": "EncounterKind", "encounters.provider_role": "ProviderRole",
    "assessments.kind": "AssessmentKind", "assessments.scale": "AssessmentScale",
    "assessments.severity": "Severity", "assessments.tobacco_status": "TobaccoStatus",
    "regimens.intent": "RegimenIntent", "regimens.setting": "RegimenSetting",
    "regimens.completion_status": "CompletionStatus", "regimens.emetic_risk": "EmeticRisk",
    "regimens.fn_risk": "FnRisk", "regimens.agents.category": "AgentCategory",
    "regimens.agents.class": "AgentClass", "regimens.agents.route": "Route",
    "chemo_orders.missing_elements": "OrderElement",
    "radiation_courses.target": "RadiationTarget", "radiation_courses.modality": "RadiationModality",
    "radiation_courses.intent": "RadiationIntent",
    "surgeries.kind": "SurgeryKind", "surgeries.intent": "SurgeryIntent",
    "surgeries.residual_disease": "ResidualDisease",
    "procedures.kind": "ProcedureKind", "procedures.indication": "ProcedureIndication",
    "labs.test": "LabTest", "labs.result": "LabResult",
    "medications.class": "MedicationClass", "medications.purpose": "MedicationPurpose",
    "referrals.kind": "ReferralKind", "referrals.status": "ReferralStatus",
    "discussions.topic": "DiscussionTopic", "discussions.participants": "DiscussionParticipants",
    "documents.kind": "DocumentKind", "documents.sent_to": "Recipient",
    "adverse_events.kind": "AdverseEventKind",
    "recommendations.action": "Action", "not_done_reasons.action": "Action",
    "not_done_reasons.reason_type": "ReasonType",
    "death.place": "PlaceOfDeath", "conditions.kind": "ConditionKind",
}
STRUCTS = collections.OrderedDict([
    ("patient", ("Patient", "The patient's demographics.")),
    ("diagnoses", ("Diagnosis", "A cancer diagnosis.")),
    ("diagnoses.biomarkers", ("Biomarker", "A tumour (somatic) biomarker result of a diagnosis.")),
    ("genetic_tests", ("GeneticTest", "A germline genetic test.")),
    ("encounters", ("Encounter", "A visit or stay.")),
    ("assessments", ("Assessment", "A documented assessment (symptom, screen, status, measurement).")),
    ("regimens", ("Regimen", "A systemic therapy regimen (course).")),
    ("regimens.agents", ("Agent", "An anticancer agent of a regimen.")),
    ("regimens.plan", ("TreatmentPlan", "The written treatment plan of a regimen.")),
    ("administrations", ("Administration", "A dose given, linked to its regimen by `regimen_id`.")),
    ("chemo_orders", ("ChemoOrder", "A signed chemotherapy order.")),
    ("radiation_courses", ("RadiationCourse", "A course of radiation therapy.")),
    ("surgeries", ("Surgery", "A surgical operation.")),
    ("procedures", ("Procedure", "An imaging study or diagnostic procedure.")),
    ("labs", ("Lab", "A laboratory result.")),
    ("medications", ("Medication", "A supportive or other non-anticancer medication.")),
    ("referrals", ("Referral", "A referral made by the practice.")),
    ("discussions", ("Discussion", "A documented conversation.")),
    ("documents", ("Document", "A care-planning document present in the chart.")),
    ("adverse_events", ("AdverseEvent", "A documented adverse event.")),
    ("recommendations", ("Recommendation", "A treatment or test recommended by the practice.")),
    ("not_done_reasons", ("NotDoneReason", "A documented reason an action was not taken.")),
    ("death", ("Death", "The death record; absent for living patients.")),
    ("conditions", ("Condition", "A coexisting non-cancer condition.")),
])
LIST_ROOTS = {"diagnoses", "diagnoses.biomarkers", "genetic_tests", "encounters", "assessments", "regimens",
              "regimens.agents", "administrations", "chemo_orders", "radiation_courses", "surgeries", "procedures",
              "labs", "medications", "referrals", "discussions", "documents", "adverse_events",
              "recommendations", "not_done_reasons", "conditions"}
ID_TYPES = {"diagnoses.id": "DiagnosisId", "regimens.id": "RegimenId"}

def parse_values(s):
    return [v.strip() for v in s.split(",")]

enums = collections.OrderedDict()  # name -> (values, doc path)
fields = collections.OrderedDict((k, []) for k in STRUCTS)
dictionary = []  # (path, kind, list, enum values)
by_path = {r[0]: r for r in rows}

def enum_values(path, ty):
    m = re.match(r"(?:list of )?enum: (.*)$", ty)
    if m:
        return parse_values(m.group(1))
    m = re.match(r"enum \(as ([a-z_.]+)\)", ty)
    if m:
        return enum_values(m.group(1), by_path[m.group(1)][2])
    raise SystemExit("no enum in " + ty)

def enum_name_for(path, ty):
    m = re.match(r"enum \(as ([a-z_.]+)\)", ty)
    if m:
        return ENUM_NAMES[m.group(1)]
    return ENUM_NAMES[path]

for path, mark, ty, meaning in rows:
    if path.startswith("reporting_period."):
        dictionary.append((path, "date", "scalar", ""))
        continue
    parent, name = path.rsplit(".", 1)
    is_list = False
    if ty == "date": rust, kind = "Date", "date"
    elif ty == "boolean": rust, kind = "bool", "boolean"
    elif ty == "number": rust, kind = "Number", "number"
    elif ty == "id":
        kind = "id"
        rust = ID_TYPES.get(path) or ("DiagnosisId" if name == "diagnosis_id" else "RegimenId")
    elif ty.startswith("code"): rust, kind = "Code", "code"
    elif "enum" in ty:
        kind = "enum"
        rust = enum_name_for(path, ty)
        vals = enum_values(path, ty)
        if rust in enums and enums[rust][0] != vals:
            raise SystemExit(f"enum {rust} differs at {path}")
        enums.setdefault(rust, (vals, path))
        is_list = ty.startswith("list of")
    else:
        raise SystemExit("unknown type " + ty)
    dictionary.append((path, kind, "list" if is_list else "scalar", ",".join(enum_values(path, ty)) if kind == "enum" else ""))
    fields[parent].append((name, rust, is_list, meaning, mark))

def variant(v):
    if v[0].isdigit():
        return "Stage" + v if v == "0" else "V" + v
    parts = re.split(r"[_\s]", v)
    out = "".join(p[:1].upper() + p[1:] for p in parts)
    return out

def rdoc(text, indent):
    text = text.replace("`", "`")
    return f"{indent}/// {text}\n"

out = ["// @generated by tools/gen_model.py from the catalog's data dictionary; edit the generator, not this file.\n",
       "//! The chart model's records and enumerations, declared once for types, serde and schema.\n\n",
       "use super::schema::{enumeration, record};\n",
       "use super::types::{Code, Date, DiagnosisId, Number, RegimenId};\n\n"]
ENUM_DOCS = {}
for name, (vals, path) in enums.items():
    meaning = by_path[path][3]
    out.append(f"enumeration! {{\n    /// Values of `{path}`: {meaning}\n")
    if name in ("StageGroup", "TCategory", "NCategory", "MCategory"):
        out.append("    #[allow(clippy::upper_case_acronyms)]\n")
    out.append(f"    {name} {{\n")
    for v in vals:
        out.append(f"        /// `{v}`\n        {variant(v)} = \"{v}\",\n")
    out.append("    }\n}\n\n")
for root, (sname, sdoc) in STRUCTS.items():
    out.append(f"record! {{\n    /// {sdoc}\n    ///\n    /// Dictionary root `{root}`.\n    {sname} {{\n")
    for (name, rust, is_list, meaning, mark) in fields[root]:
        note = " (not yet read by any measure)" if mark == "†" else ""
        out.append(rdoc(meaning + note, "        "))
        fname = "r#" + name if name in ("class", "type") else name
        ty = f"Vec<{rust}>" if is_list else f"Option<{rust}>"
        out.append(f"        {fname}: {ty},\n")
    # nested records
    for child, (cname, _) in STRUCTS.items():
        if child.startswith(root + ".") and child.count(".") == root.count(".") + 1:
            cfield = child.rsplit(".", 1)[1]
            doc = {"biomarkers": "Tumour biomarker results of this diagnosis.", "agents": "Anticancer agents of the regimen.",
                   "plan": "The regimen's written treatment plan."}[cfield]
            out.append(rdoc(doc, "        "))
            ty = f"Vec<{cname}>" if child in LIST_ROOTS else f"Option<{cname}>"
            out.append(f"        {cfield}: {ty},\n")
    out.append("    }\n}\n\n")
open("src/chart/model.rs", "w").write("".join(out))
with open("tests/data/data-dictionary.tsv", "w") as f:
    f.write("# path\tkind\tshape\tenum values (generated by tools/gen_model.py from the catalog's data dictionary)\n")
    for d in dictionary:
        f.write("\t".join(d) + "\n")
print(len(rows), "rows;", len(enums), "enums")
