"""Spec tables: for every rule, a patient for whom it fires and one for whom it narrowly does not.

Each case names the rule (module.function), the clinical scenario, the region and indication, the patient
(built from a complete normal work-up unless stated), and the expected findings. The same tables generate
docs/rules.md, which is what a clinical reviewer reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from jakcheck.patient.facts import PatientFacts, StatedFact, TextMatch, Tri
from tests.builders import AS_OF
from tests.builders import PatientBuilder as P

RA = "rheumatoid-arthritis"
AD = "atopic-dermatitis"
UC = "ulcerative-colitis"
AA = "alopecia-areata"
AS = "ankylosing-spondylitis"


@dataclass(frozen=True)
class Case:
    rule: str  # "module.function"
    scenario: str
    patient: Callable[[], PatientFacts]
    code: str  # the finding code the rule emits
    fires: bool
    region: str = "EU"
    indication: str | None = RA
    drugs: tuple[str, ...] = ()  # --drug
    for_drug: str | None = None  # the finding must apply to this drug (or must not, when fires is False)
    verdict: tuple[str, str] | None = None  # (drug, expected verdict)
    dose: tuple[str, float, str] | None = None  # (drug, amount, frequency)
    also_absent: tuple[str, ...] = field(default=())
    # Why the row runs in-process only: it needs an option the population screen cannot express. Empty: the row
    # also runs through the local and the Spark screen (tests/spec/engines.py).
    in_process_only: str = ""


# Reasons for `in_process_only`.
DRUGS_GIVEN = "names the drugs to assess (--drug); the screen assesses every drug in scope"
INDICATION_CHOSEN = ("chooses one of several indications on record (--indication); the screen takes the indication "
                     "from the record only")


def ra(age: int = 50) -> P:
    return P().aged(age).with_condition(RA, display="Rheumatoid arthritis")


def _uc(age: int = 50) -> P:
    return P().aged(age).with_condition(UC, display="Ulcerative colitis")


def _aa(age: int = 40) -> P:
    return P().aged(age).with_condition(AA, display="Alopecia areata")


def _ad(age: int = 30) -> P:
    return P().aged(age).with_condition(AD, display="Atopic dermatitis")


def _uc_screened(age: int) -> P:
    return _uc(age).screened()


def _us_ra(age: int = 50) -> P:
    """A screened RA patient after a stopped TNF blocker (what the US RA labels require before a JAK inhibitor)."""
    return ra(age).screened().with_med("adalimumab", current=False, days_ago=900)


CASES: list[Case] = [
    # regulatory
    Case("regulatory.age_65_plus", "EU, 65 years old with RA", lambda: ra(65).screened().build(),
         "risk.age-65-plus", True, for_drug="tofacitinib", verdict=("tofacitinib", "only-if-no-alternative")),
    Case("regulatory.age_65_plus", "EU, 64 years old with RA (CrCl above 90)",
         lambda: ra(64).screened().with_lab("creatinine", 0.6, days_ago=1).build(),
         "risk.age-65-plus", False, verdict=("tofacitinib", "appropriate")),
    Case("regulatory.age_65_plus", "US, 70 years old with RA after a TNF blocker: caution under the boxed warning",
         lambda: ra(70).screened().with_med("adalimumab", current=False).build(), "risk.age-65-plus", True,
         region="US", for_drug="upadacitinib", verdict=("upadacitinib", "caution")),
    Case("regulatory.age_65_plus", "TYK2 inhibitor for psoriasis at 70: no JAK class measure",
         lambda: P().aged(70).with_condition("plaque-psoriasis").screened().build(), "risk.age-65-plus", False,
         indication="plaque-psoriasis"),
    Case("regulatory.smoking", "EU, current smoker", lambda: ra().screened().smoking("current").build(),
         "risk.smoking", True, for_drug="upadacitinib", verdict=("upadacitinib", "only-if-no-alternative")),
    Case("regulatory.smoking", "EU, former smoker (duration unknown)",
         lambda: ra().screened().smoking("former").build(), "risk.smoking", True, for_drug="filgotinib"),
    Case("regulatory.smoking", "EU, never smoked", lambda: ra().screened().smoking("never").build(),
         "risk.smoking", False),
    Case("regulatory.smoking", "smoking status not recorded", lambda: ra().screened().smoking("unknown").build(),
         "risk.smoking-unknown", True),
    Case("renal_hepatic.renal", "EU baricitinib, creatinine 3.0 but no weight: CrCl cannot be calculated, the renal "
         "band is unknown (caution, check the label)",
         lambda: _without_labs(ra().screened().with_lab("creatinine", 3.0, days_ago=1).build(), "weight"),
         "lab.renal-missing", True, for_drug="baricitinib", verdict=("baricitinib", "caution")),
    Case("hepatitis.hbv_status", "anti-HBc positive, HBsAg indeterminate: not known negative", lambda: _without(
        ra().screened().with_result("anti-hbc", "positive", days_ago=1).with_result("hbsag", "indeterminate",
                                                                                     days_ago=1).build(), "x"),
         "hbv.screening-missing", True, verdict=("tofacitinib", "defer")),
    Case("hepatitis.hcv_status", "anti-HCV positive after an older negative HCV RNA", lambda: ra().screened()
         .with_lab("hcv-rna", 0, "[IU]/mL", days_ago=900).with_result("anti-hcv", "positive", days_ago=2).build(),
         "hcv.active", True),
    Case("regulatory.high_risk_dose", "EU baricitinib, current smoker: 2 mg (smokers are at higher MACE risk)",
         lambda: ra().screened().smoking("current").build(), "risk.lower-dose", True, for_drug="baricitinib",
         dose=("baricitinib", 2, "once daily")),
    Case("tuberculosis.latent_tb_untreated", "positive IGRA, isoniazid course completed after it", lambda: ra()
         .screened().with_result("tb-igra", "positive", days_ago=700).with_med("isoniazid", current=False,
                                                                               days_ago=650, status="completed")
         .build(), "tb.latent-untreated", False),
    Case("labs.low_counts", "EU tofacitinib, neutrophils 0.9: below the EU start threshold (1.0, UK/AU text)",
         lambda: ra().screened().with_lab("neutrophils", 0.9, days_ago=1).build(), "lab.neutropenia", True,
         for_drug="tofacitinib", verdict=("tofacitinib", "defer")),
    Case("labs.low_counts", "EU tofacitinib, neutrophils 1.2: above the EU start threshold",
         lambda: ra().screened().with_lab("neutrophils", 1.2, days_ago=1).build(), "lab.neutropenia", False,
         for_drug="tofacitinib"),
    Case("regulatory.tnf_inadequate_response_required", "US RA with no TNF blocker on record",
         lambda: ra().screened().build(), "label.tnf-inadequate-response-required", True, region="US",
         for_drug="tofacitinib", verdict=("tofacitinib", "not-recommended")),
    Case("regulatory.tnf_inadequate_response_required", "US RA after a stopped TNF blocker",
         lambda: ra().screened().with_med("adalimumab", current=False).build(),
         "label.tnf-inadequate-response-required", False, region="US"),
    Case("regulatory.tnf_inadequate_response_required", "EU RA with no TNF blocker (EU labels need DMARD-IR only)",
         lambda: ra().screened().build(), "label.tnf-inadequate-response-required", False),
    Case("regulatory.age_dose", "EU baricitinib at 65: 2 mg once daily", lambda: ra(65).screened().build(),
         "age.dose-adjustment", True, for_drug="baricitinib", dose=("baricitinib", 2, "once daily")),
    Case("regulatory.age_dose", "EU baricitinib at 64: 4 mg once daily", lambda: ra(64).screened().build(),
         "age.dose-adjustment", False, dose=("baricitinib", 4, "once daily")),
    Case("regulatory.high_risk_dose", "EU baricitinib with previous MI: 2 mg", lambda: ra().screened().with_condition(
        "ascvd", active=False).build(), "risk.lower-dose", True, for_drug="baricitinib",
         dose=("baricitinib", 2, "once daily")),
    Case("regulatory.high_risk_dose", "EU abrocitinib with previous DVT: 100 mg", lambda: P().aged(30)
         .with_condition(AD).screened().with_condition("vte", active=False).build(), "risk.lower-dose", True,
         indication=AD, for_drug="abrocitinib", dose=("abrocitinib", 100, "once daily")),
    Case("regulatory.high_risk_dose", "EU baricitinib, no risk group: 4 mg", lambda: ra().screened().build(),
         "risk.lower-dose", False, dose=("baricitinib", 4, "once daily")),
    Case("regulatory.age_unknown", "no birth date", lambda: ra().screened().born(None).build(),
         "data.age-unknown", True),
    Case("regulatory.age_unknown", "birth date recorded", lambda: ra().screened().build(), "data.age-unknown", False),
    # cardiovascular
    Case("cardiovascular.cardiovascular", "EU, previous myocardial infarction",
         lambda: ra().screened().with_condition("ascvd", active=False, display="Myocardial infarction").build(),
         "risk.cardiovascular", True, for_drug="tofacitinib", verdict=("tofacitinib", "only-if-no-alternative")),
    Case("cardiovascular.cardiovascular", "EU, treated hypertension", lambda: ra().screened().with_condition(
        "hypertension").build(), "risk.cardiovascular", True, for_drug="baricitinib"),
    Case("cardiovascular.cardiovascular", "EU, resolved hypertension (not active)", lambda: ra().screened()
         .with_condition("hypertension", active=False).build(), "risk.cardiovascular", False),
    Case("cardiovascular.cardiovascular", "EU, 62, SCORE2 6.0% (moderate-risk region) at or above the 5% band of "
         "50-69 year olds, no risk factor on record", lambda: ra(62).screened().cv_risk_inputs(sbp=140).build(),
         "risk.cardiovascular", True, for_drug="upadacitinib", verdict=("upadacitinib", "only-if-no-alternative")),
    Case("cardiovascular.cardiovascular", "EU, 62, SCORE2 4.7%: below the 5% band", lambda: ra(62).screened()
         .cv_risk_inputs(sbp=120).build(), "risk.cardiovascular", False),
    Case("cardiovascular.cardiovascular", "EU, 48, SCORE2 2.9%: at or above the 2.5% band of under-50s",
         lambda: ra(48).screened().cv_risk_inputs(sbp=150).build(), "risk.cardiovascular", True),
    Case("cardiovascular.cardiovascular", "EU, 55, SCORE2 4.4%: the same kind of figure is below the 5% band at "
         "50-69", lambda: ra(55).screened().cv_risk_inputs(sbp=150).build(), "risk.cardiovascular", False),
    Case("cardiovascular.cardiovascular", "EU, 62, diabetes not stated either way: SCORE2 at least 6.0% whatever "
         "the answer", lambda: ra(62).screened().cv_risk_inputs(sbp=140, absent=("statin",)).build(),
         "risk.cardiovascular", True),
    Case("cardiovascular.cardiovascular", "EU, 62, no systolic blood pressure: no calculated risk",
         lambda: ra(62).screened().build(), "risk.cardiovascular", False),
    Case("cardiovascular.cardiovascular", "US, 62-year-old man, PREVENT-ASCVD 10.8%: at or above 10%",
         lambda: ra(62).male().screened().cv_risk_inputs(sbp=170, total=240, hdl=35).build(),
         "risk.cardiovascular", True, region="US", for_drug="tofacitinib"),
    Case("cardiovascular.cardiovascular", "US, 68-year-old man, PREVENT-ASCVD at or above 10% with no risk factor "
         "on record: from 65 the score alone is not counted again on top of the age finding",
         lambda: ra(68).male().screened().cv_risk_inputs(sbp=160, total=220, hdl=40).build(),
         "risk.cardiovascular", False, region="US"),
    Case("cardiovascular.cardiovascular", "EU, 75-year-old woman, SCORE2-OP 11.5% with systolic 120 and nothing "
         "else: age alone, counted once by risk.age-65-plus", lambda: ra(75).screened().cv_risk_inputs(sbp=120)
         .build(), "risk.cardiovascular", False),
    Case("cardiovascular.cardiovascular", "EU, 75-year-old woman with hypertension on record: counted (the score "
         "is named with it)", lambda: ra(75).screened().cv_risk_inputs(sbp=120).with_condition("hypertension")
         .build(), "risk.cardiovascular", True, for_drug="baricitinib"),
    Case("cardiovascular.cardiovascular", "US, 68-year-old man, PREVENT-ASCVD below 10%",
         lambda: ra(68).male().screened().cv_risk_inputs(sbp=130, total=220, hdl=40).build(),
         "risk.cardiovascular", False, region="US"),
    Case("cardiovascular.venous_thromboembolism", "EU, previous DVT: caution",
         lambda: ra().screened().with_condition("vte", active=False, display="Deep vein thrombosis").build(),
         "risk.vte", True, for_drug="tofacitinib", verdict=("tofacitinib", "caution")),
    Case("cardiovascular.venous_thromboembolism", "EU, on a combined oral contraceptive",
         lambda: ra().screened().with_med("estrogen-contraceptive").build(), "risk.vte", True),
    Case("cardiovascular.venous_thromboembolism", "no VTE and no oestrogen", lambda: ra().screened().build(),
         "risk.vte", False),
    Case("cardiovascular.venous_thromboembolism", "US, previous DVT: the US avoid rule speaks instead of caution",
         lambda: _us_ra().with_condition("vte", active=False, display="Deep vein thrombosis").build(), "risk.vte",
         False, region="US", for_drug="tofacitinib"),
    # US stop / avoid wording (thrombosis)
    Case("stop_avoid.thrombosis_risk", "US PsA, unprovoked DVT last year: avoid (not recommended)",
         lambda: _us_ra().with_condition("vte", active=False, days_ago=300, display="Deep vein thrombosis").build(),
         "thrombosis.avoid", True, region="US", for_drug="tofacitinib", verdict=("tofacitinib", "not-recommended")),
    Case("stop_avoid.thrombosis_risk", "US, apixaban whose recorded reason is a DVT (no VTE on the problem list)",
         lambda: _us_ra().with_med("apixaban", reasons=("vte",)).build(), "thrombosis.avoid", True, region="US",
         for_drug="baricitinib", verdict=("baricitinib", "not-recommended")),
    Case("stop_avoid.thrombosis_risk", "US, factor V Leiden (activated protein C resistance) coded, no VTE yet",
         lambda: _us_ra().with_condition("inherited-thrombophilia", display="Activated protein C resistance")
         .build(), "thrombosis.avoid", True, region="US", for_drug="upadacitinib",
         verdict=("upadacitinib", "not-recommended")),
    Case("stop_avoid.thrombosis_risk", "US, apixaban with no recorded reason: confirm the indication (defer)",
         lambda: _us_ra().with_med("apixaban").build(), "thrombosis.anticoagulant-confirm", True, region="US",
         for_drug="tofacitinib", verdict=("tofacitinib", "defer"), also_absent=("thrombosis.avoid",)),
    Case("stop_avoid.thrombosis_risk", "US, apixaban prescribed for a recorded non-VTE condition (atrial "
         "fibrillation): neither avoid nor confirm", lambda: _us_ra().with_med(
             "apixaban", reason_refs=("Condition/af1",)).build(), "thrombosis.avoid", False, region="US",
         also_absent=("thrombosis.anticoagulant-confirm",)),
    Case("stop_avoid.thrombosis_risk", "EU, previous DVT: the EU measures say caution, no avoid rule encoded",
         lambda: ra().screened().with_condition("vte", active=False, display="Deep vein thrombosis").build(),
         "thrombosis.avoid", False, for_drug="tofacitinib", verdict=("tofacitinib", "caution")),
    Case("stop_avoid.thrombosis_risk", "US psoriasis on deucravacitinib's indication with a previous DVT: TYK2 is "
         "outside the JAK class rules", lambda: P().aged(50).with_condition("plaque-psoriasis").screened()
         .with_lab("creatinine", 0.6, days_ago=1).with_condition("vte", active=False).build(), "thrombosis.avoid",
         False, region="US",
         indication="plaque-psoriasis", verdict=("deucravacitinib", "appropriate")),
    # cancer
    Case("cancer.malignancy", "EU, breast cancer in remission", lambda: ra().screened().with_condition(
        "malignancy", active=False, display="Breast cancer").build(), "risk.malignancy", True,
         for_drug="tofacitinib", verdict=("tofacitinib", "only-if-no-alternative")),
    Case("cancer.malignancy", "active lung cancer: not recommended", lambda: ra().screened().with_condition(
        "malignancy", display="Lung cancer").build(), "risk.malignancy", True,
         verdict=("upadacitinib", "not-recommended")),
    Case("cancer.malignancy", "lung cancer 'active' since 5 years (1826 days, the edge of the window): active",
         lambda: ra().screened().with_condition("malignancy", days_ago=1826, display="Lung cancer").build(),
         "risk.malignancy", True, verdict=("upadacitinib", "not-recommended"), also_absent=("data.stale-entry",)),
    Case("cancer.malignancy", "lung cancer 'active' since 1827 days: a history of cancer, still only if no "
         "alternative", lambda: ra().screened().with_condition("malignancy", days_ago=1827, display="Lung cancer")
         .build(), "risk.malignancy", True, verdict=("upadacitinib", "only-if-no-alternative")),
    Case("cancer.malignancy", "basal cell carcinoma only (NMSC is not 'malignancy')", lambda: ra().screened()
         .with_condition("nmsc", active=False).build(), "risk.malignancy", False),
    Case("cancer.skin_cancer", "basal cell carcinoma on record", lambda: ra().screened().with_condition(
        "nmsc", active=False).build(), "risk.nmsc", True),
    Case("cancer.skin_cancer", "no skin cancer", lambda: ra().screened().build(), "risk.nmsc", False),
    # infection
    Case("infection.active_serious_infection", "active pneumonia: defer", lambda: ra().screened().with_condition(
        "serious-infection", days_ago=10, display="Pneumonia").build(), "infection.active-serious", True,
         verdict=("tofacitinib", "defer")),
    Case("infection.active_serious_infection", "sepsis 'active' since 90 days (the edge of the infection window): "
         "still active", lambda: ra().screened().with_condition("serious-infection", days_ago=90, display="Sepsis")
         .build(), "infection.active-serious", True, verdict=("tofacitinib", "defer"),
         also_absent=("data.stale-entry",)),
    Case("infection.active_serious_infection", "sepsis 'active' since 91 days: read as a past infection (stale entry)",
         lambda: ra().screened().with_condition("serious-infection", days_ago=91, display="Sepsis").build(),
         "infection.active-serious", False, verdict=("tofacitinib", "appropriate")),
    Case("infection.active_serious_infection", "pneumonia resolved", lambda: ra().screened().with_condition(
        "serious-infection", active=False).build(), "infection.active-serious", False),
    Case("infection.herpes_zoster_history", "previous shingles", lambda: ra().screened().with_condition(
        "herpes-zoster", active=False).build(), "hz.history", True, for_drug="baricitinib"),
    Case("infection.herpes_zoster_history", "no shingles", lambda: ra().screened().build(), "hz.history", False),
    Case("infection.glucocorticoid_dose", "prednisone 10 mg/day: medium dose (EULAR > 7.5 to 30)", lambda: ra()
         .screened().with_med("prednisone", mg_per_day=10).build(), "glucocorticoid.medium-dose", True,
         also_absent=("glucocorticoid.high-dose",)),
    Case("infection.glucocorticoid_dose", "prednisolone 7.5 mg/day: low dose (EULAR <= 7.5), no band finding",
         lambda: ra().screened().with_med("prednisolone", mg_per_day=7.5).build(), "glucocorticoid.medium-dose",
         False, also_absent=("glucocorticoid.high-dose",)),
    Case("infection.glucocorticoid_dose", "prednisone 7.6 mg/day: just above low dose", lambda: ra().screened()
         .with_med("prednisone", mg_per_day=7.6).build(), "glucocorticoid.medium-dose", True),
    Case("infection.glucocorticoid_dose", "prednisone 30 mg/day: still medium dose", lambda: ra().screened()
         .with_med("prednisone", mg_per_day=30).build(), "glucocorticoid.medium-dose", True,
         also_absent=("glucocorticoid.high-dose",)),
    Case("infection.glucocorticoid_dose", "prednisone 30.1 mg/day: high dose (EULAR > 30)", lambda: ra().screened()
         .with_med("prednisone", mg_per_day=30.1).build(), "glucocorticoid.high-dose", True,
         also_absent=("glucocorticoid.medium-dose",)),
    Case("infection.glucocorticoid_dose", "prednisone 30 mg/day is not high dose", lambda: ra().screened()
         .with_med("prednisone", mg_per_day=30).build(), "glucocorticoid.high-dose", False),
    Case("infection.glucocorticoid_dose", "prednisone 5 mg/day", lambda: ra().screened().with_med(
        "prednisone", mg_per_day=5).build(), "glucocorticoid.medium-dose", False),
    Case("infection.glucocorticoid_dose", "methylprednisolone 8 mg/day = 10 mg prednisone", lambda: ra()
         .screened().with_med("methylprednisolone", mg_per_day=8).build(), "glucocorticoid.medium-dose", True),
    Case("infection.glucocorticoid_dose", "prednisone 15 mg/day with high RA activity (DAS28-ESR 5.8): the "
         "finding says not to withhold effective treatment for fear of infection, with both figures", lambda: ra()
         .screened().with_med("prednisone", mg_per_day=15).with_joint_assessment(
             tender=8, swollen=6, patient_global=7, evaluator_global=6, esr=38).build(),
         "glucocorticoid.medium-dose", True),
    Case("infection.glucocorticoid_dose", "prednisone with no dose: dose unknown", lambda: ra().screened()
         .with_med("prednisone").build(), "glucocorticoid.dose-unknown", True),
    # disease activity (scores)
    Case("scores.disease_active", "RA, DAS28-ESR 5.8 (high activity)", lambda: ra().screened().with_joint_assessment(
        tender=8, swollen=6, patient_global=7, evaluator_global=6, esr=38).build(), "disease.active", True),
    Case("scores.disease_active", "RA, CDAI 10.5 from joint counts and globals only (moderate activity)",
         lambda: ra().screened().with_joint_assessment(tender=3, swollen=3, patient_global=2,
                                                      evaluator_global=2.5).build(), "disease.active", True),
    Case("scores.disease_active", "RA, DAS28-ESR 5.8 on prednisone 5 mg/day (low dose): the finding carries the "
         "do-not-withhold counterweight, no band finding", lambda: ra().screened().with_med("prednisone", mg_per_day=5)
         .with_joint_assessment(tender=8, swollen=6, patient_global=7, evaluator_global=6, esr=38).build(),
         "disease.active", True, also_absent=("glucocorticoid.medium-dose", "glucocorticoid.high-dose")),
    Case("scores.disease_active", "RA, CDAI 10 (low activity: the moderate band starts above 10)",
         lambda: ra().screened().with_joint_assessment(tender=3, swollen=3, patient_global=2,
                                                      evaluator_global=2).build(), "disease.active", False),
    Case("scores.disease_active", "RA, recorded DAS28 of 4.1 with no components (moderate activity)",
         lambda: ra().screened().with_lab("das28-score", 4.1).build(), "disease.active", True),
    Case("scores.disease_active", "RA, joint assessment older than 90 days: not current", lambda: ra().screened()
         .with_joint_assessment(tender=8, swollen=6, patient_global=7, evaluator_global=6, days_ago=120).build(),
         "disease.active", False),
    Case("scores.disease_active", "axial SpA, ASDAS-CRP 3.2 (high activity)", lambda: P().aged(40).with_condition(
        "ankylosing-spondylitis").screened().with_lab("asdas-back-pain", 6).with_lab("asdas-morning-stiffness", 5)
         .with_lab("patient-global-activity", 6).with_lab("asdas-peripheral", 2).with_lab("crp", 12).build(),
         "disease.active", True, indication="ankylosing-spondylitis"),
    # tuberculosis
    Case("tuberculosis.active_tb", "active pulmonary TB: contraindicated", lambda: ra().screened().with_condition(
        "active-tb").build(), "tb.active", True, verdict=("tofacitinib", "contraindicated")),
    Case("tuberculosis.active_tb", "no TB", lambda: ra().screened().build(), "tb.active", False),
    Case("tuberculosis.latent_tb_untreated", "positive IGRA, no preventive therapy", lambda: ra().screened()
         .with_result("tb-igra", "positive", days_ago=5).build(), "tb.latent-untreated", True,
         verdict=("baricitinib", "defer")),
    Case("tuberculosis.latent_tb_untreated", "positive IGRA, on isoniazid", lambda: ra().screened()
         .with_result("tb-igra", "positive", days_ago=5).with_med("isoniazid", days_ago=40).build(),
         "tb.latent-untreated", False),
    Case("tuberculosis.tb_screening_missing", "no TB test on record", lambda: _without(
        ra().screened().build(), "tb-igra"), "tb.screening-missing", True, verdict=("tofacitinib", "defer")),
    Case("tuberculosis.tb_screening_missing", "only IGRA is older than the look-back window", lambda: _old_igra(400),
         "tb.screening-missing", True),
    Case("tuberculosis.tb_screening_missing", "IGRA inside the look-back window", lambda: _old_igra(300),
         "tb.screening-missing", False),
    Case("tuberculosis.tb_screening_missing", "indeterminate IGRA counts as not screened", lambda: ra().screened()
         .with_result("tb-igra", "indeterminate", days_ago=1).build(), "tb.screening-missing", True),
    # hepatitis
    Case("hepatitis.hbv_status", "HBsAg positive: defer for hepatology", lambda: ra().screened().with_result(
        "hbsag", "positive", days_ago=1).build(), "hbv.chronic", True, verdict=("tofacitinib", "defer")),
    Case("hepatitis.hbv_status", "anti-HBc positive, HBsAg negative: monitor HBV DNA", lambda: ra().screened()
         .with_result("anti-hbc", "positive", days_ago=1).build(), "hbv.resolved", True,
         verdict=("tofacitinib", "caution")),
    Case("hepatitis.hbv_status", "anti-HBc and anti-HBs positive, HBsAg negative, HBV DNA undetectable 16 days ago: "
         "the pre-treatment HBV DNA is done; plan prophylaxis or 1-3-monthly monitoring", lambda: ra().screened()
         .with_result("anti-hbc", "positive", days_ago=5).with_result("anti-hbs", "positive", days_ago=5)
         .with_result("hbv-dna", "negative", days_ago=16).build(), "hbv.resolved", True,
         verdict=("tofacitinib", "caution")),
    Case("hepatitis.hbv_status", "anti-HBc positive, HBV DNA detectable: defer for hepatology", lambda: ra()
         .screened().with_result("anti-hbc", "positive", days_ago=5).with_result("hbv-dna", "positive", days_ago=5)
         .build(), "hbv.resolved", True, verdict=("tofacitinib", "defer")),
    Case("hepatitis.hbv_status", "anti-HBs positive alone (vaccinated), anti-HBc negative: no HBV DNA monitoring",
         lambda: ra().screened().with_result("anti-hbs", "positive").build(), "hbv.resolved", False),
    Case("hepatitis.hbv_status", "both markers negative", lambda: ra().screened().build(), "hbv.screening-missing",
         False, also_absent=("hbv.chronic", "hbv.resolved")),
    Case("hepatitis.hbv_status", "no anti-HBc result", lambda: _without(ra().screened().build(), "anti-hbc"),
         "hbv.screening-missing", True),
    Case("hepatitis.hcv_status", "HCV RNA positive", lambda: ra().screened().with_result("hcv-rna", "positive",
                                                                                          days_ago=1).build(),
         "hcv.active", True, verdict=("upadacitinib", "defer")),
    Case("hepatitis.hcv_status", "anti-HCV positive, RNA negative (cleared)", lambda: ra().screened()
         .with_result("anti-hcv", "positive", days_ago=2).with_result("hcv-rna", "negative", days_ago=1).build(),
         "hcv.active", False),
    Case("hepatitis.hcv_status", "HCV RNA viral load 1500 IU/mL", lambda: ra().screened().with_lab(
        "hcv-rna", 1500, "[IU]/mL", days_ago=1).build(), "hcv.active", True),
    Case("hepatitis.hcv_status", "anti-HCV positive, HCV RNA 0 IU/mL (cured)", lambda: ra().screened()
         .with_result("anti-hcv", "positive", days_ago=2).with_lab("hcv-rna", 0, "[IU]/mL", days_ago=1).build(),
         "hcv.active", False),
    Case("hepatitis.hcv_status", "no hepatitis C test", lambda: _without(ra().screened().build(), "anti-hcv"),
         "hcv.screening-missing", True),
    # vaccination
    Case("vaccination.zoster_vaccine_due", "one RZV dose of two", lambda: _without_vaccine(
        ra().screened().build(), "zoster-recombinant", keep=1), "vaccine.zoster-due", True),
    Case("vaccination.zoster_vaccine_due", "only the live zoster vaccine", lambda: _without_vaccine(
        ra().screened().with_vaccine("zoster-live", days_ago=900).build(), "zoster-recombinant", keep=0),
         "vaccine.zoster-due", True),
    Case("vaccination.zoster_vaccine_due", "two RZV doses", lambda: ra().screened().build(), "vaccine.zoster-due",
         False),
    Case("vaccination.zoster_vaccine_due", "pregnant with one RZV dose: dose 2 deferred until after the pregnancy "
         "(ACIP 2022: no recommendation in pregnancy)", lambda: _without_vaccine(
             P().aged(30).with_condition(RA, display="Rheumatoid arthritis").screened().pregnant().build(),
             "zoster-recombinant", keep=1), "vaccine.zoster-due", True),
    Case("vaccination.zoster_vaccine_due", "admitted with pneumonia, no RZV: deferred until the acute illness has "
         "resolved (a precaution)", lambda: _without_vaccine(ra().screened().with_condition(
             "serious-infection", display="Pneumonia", days_ago=3).build(), "zoster-recombinant", keep=0),
         "vaccine.zoster-due", True),
    Case("vaccination.influenza_vaccine_due", "admitted with pneumonia, last flu vaccine 400 days ago: deferred "
         "until the acute illness has resolved", lambda: _without_vaccine(ra().screened().with_condition(
             "serious-infection", display="Pneumonia", days_ago=3).with_vaccine("influenza", days_ago=400).build(),
             "influenza", keep=1), "vaccine.influenza-due", True),
    Case("vaccination.pneumococcal_vaccine_due", "no pneumococcal vaccine", lambda: _without_vaccine(
        ra().screened().build(), "pneumococcal", keep=0), "vaccine.pneumococcal-due", True),
    Case("vaccination.pneumococcal_vaccine_due", "pneumococcal vaccine given", lambda: ra().screened().build(),
         "vaccine.pneumococcal-due", False),
    Case("vaccination.influenza_vaccine_due", "last flu vaccine 400 days ago", lambda: _without_vaccine(
        ra().screened().with_vaccine("influenza", days_ago=400).build(), "influenza", keep=1),
         "vaccine.influenza-due", True),
    Case("vaccination.influenza_vaccine_due", "flu vaccine 60 days ago", lambda: ra().screened().build(),
         "vaccine.influenza-due", False),
    Case("vaccination.live_vaccine_recent", "MMR 10 days ago: defer", lambda: ra().screened().with_vaccine(
        "mmr", days_ago=10).build(), "vaccine.live-recent", True, verdict=("tofacitinib", "defer")),
    Case("vaccination.live_vaccine_recent", "MMR 40 days ago", lambda: ra().screened().with_vaccine(
        "mmr", days_ago=40).build(), "vaccine.live-recent", False),
    # labs
    Case("labs.cbc_missing", "no blood count", lambda: _without_labs(ra().screened().build(), "lymphocytes",
                                                                   "neutrophils", "hemoglobin"),
         "lab.cbc-missing", True, verdict=("tofacitinib", "defer")),
    Case("labs.cbc_missing", "blood count 60 days old", lambda: ra().screened().build(), "lab.cbc-missing", False),
    Case("labs.low_counts", "lymphocytes 0.4 x10^9/L", lambda: ra().screened().with_lab("lymphocytes", 0.4,
                                                                                        days_ago=1).build(),
         "lab.lymphopenia", True, for_drug="baricitinib", verdict=("baricitinib", "defer")),
    Case("labs.low_counts", "EU tofacitinib, lymphocytes 0.4: below the EU start threshold (0.75)",
         lambda: ra().screened().with_lab("lymphocytes", 0.4, days_ago=1).build(), "lab.lymphopenia", True,
         for_drug="tofacitinib", verdict=("tofacitinib", "defer")),
    Case("labs.low_counts", "lymphocytes reported as '< 0.5' (a bound): below every start threshold (0.5; EU "
         "tofacitinib 0.75), so the bound is used", lambda: ra().screened().with_lab("lymphocytes", 0.5, days_ago=1,
                                                                                     comparator="<").build(),
         "lab.lymphopenia", True, for_drug="tofacitinib", verdict=("baricitinib", "defer"),
         also_absent=("data.unusable-value",)),
    Case("labs.low_counts", "lymphocytes '< 0.6' today: does not settle the 0.5 threshold; the older count (1.8, 10 "
         "days ago) does not stand in for it", lambda: ra().screened().with_lab("lymphocytes", 0.6, days_ago=1,
                                                                                 comparator="<")
         .build(), "lab.lymphopenia", False, verdict=("baricitinib", "defer")),
    Case("labs.cbc_missing", "lymphocytes '< 0.6' today, 1.8 ten days ago: the count is unknown until measured "
         "(defer)", lambda: ra().screened().with_lab("lymphocytes", 0.6, days_ago=1, comparator="<").build(),
         "lab.cbc-missing", True, verdict=("baricitinib", "defer")),
    Case("labs.low_counts", "lymphocytes 0.6 x10^9/L (above 0.5)", lambda: ra().screened().with_lab(
        "lymphocytes", 0.6, days_ago=1).build(), "lab.lymphopenia", False, for_drug="baricitinib"),
    Case("labs.low_counts", "neutrophils 0.9 x10^9/L", lambda: ra().screened().with_lab("neutrophils", 0.9,
                                                                                       days_ago=1).build(),
         "lab.neutropenia", True, for_drug="upadacitinib"),
    Case("labs.low_counts", "US haemoglobin 8.5 g/dL: below tofacitinib's 9, above upadacitinib's 8",
         lambda: ra().screened().with_med("adalimumab", current=False).with_lab("hemoglobin", 8.5, days_ago=1)
         .with_lab("creatinine", 0.6, days_ago=1).build(), "lab.anemia", True, region="US", for_drug="tofacitinib",
         verdict=("upadacitinib", "appropriate")),
    Case("labs.low_counts", "EU atopic dermatitis, platelets 120 x10^9/L: abrocitinib start threshold 150",
         lambda: P().aged(30).with_condition(AD).screened().with_lab("platelets", 120, days_ago=1).build(),
         "lab.thrombocytopenia", True, indication=AD, for_drug="abrocitinib"),
    Case("labs.liver_tests", "no liver tests", lambda: _without_labs(ra().screened().build(), "alt", "ast"),
         "lab.liver-missing", True),
    Case("labs.liver_tests", "ALT 130 U/L, lab ULN 40: more than 3x", lambda: ra().screened().with_lab(
        "alt", 130, days_ago=1, reference_high=40).build(), "lab.liver-enzymes-elevated", True),
    Case("labs.liver_tests", "ALT 110 U/L, lab ULN 40: under 3x", lambda: ra().screened().with_lab(
        "alt", 110, days_ago=1, reference_high=40).build(), "lab.liver-enzymes-elevated", False),
    Case("labs.renal_missing", "no creatinine", lambda: _without_labs(ra().screened().build(), "creatinine"),
         "lab.renal-missing", True),
    Case("labs.renal_missing", "creatinine on record", lambda: ra().screened().build(), "lab.renal-missing", False),
    Case("labs.lipids_missing", "no lipid panel", lambda: _without_labs(ra().screened().build(), "cholesterol-total",
                                                                       "hdl"), "lab.lipids-missing", True),
    Case("labs.lipids_missing", "lipid panel on record", lambda: ra().screened().build(), "lab.lipids-missing",
         False),
    # renal and hepatic
    Case("renal_hepatic.renal", "EU abrocitinib (atopic dermatitis), eGFR 45: halve the dose",
         lambda: P().aged(30).with_condition(AD).screened().with_lab("egfr", 45, days_ago=1).build(),
         "renal.dose-adjustment", True, indication=AD, for_drug="abrocitinib", dose=("abrocitinib", 50, "once daily")),
    Case("renal_hepatic.renal", "EU abrocitinib (atopic dermatitis), eGFR 25: 50 mg once daily",
         lambda: P().aged(30).with_condition(AD).screened().with_lab("egfr", 25, days_ago=1).build(),
         "renal.dose-adjustment", True, indication=AD, for_drug="abrocitinib", dose=("abrocitinib", 50, "once daily")),
    Case("renal_hepatic.renal", "EU abrocitinib (atopic dermatitis), eGFR reported as '< 15' (a bound below every "
         "band edge): 50 mg once daily", lambda: P().aged(30).with_condition(AD).screened()
         .with_lab("egfr", 15, days_ago=1, comparator="<").build(), "renal.dose-adjustment", True, indication=AD,
         for_drug="abrocitinib", dose=("abrocitinib", 50, "once daily")),
    Case("renal_hepatic.renal", "EU abrocitinib, eGFR reported as '> 50': does not settle the 60 edge, set aside "
         "(creatinine used)", lambda: P().aged(30).with_condition(AD).screened()
         .with_lab("egfr", 50, days_ago=1, comparator=">").build(), "renal.dose-adjustment", False, indication=AD,
         for_drug="abrocitinib", verdict=("abrocitinib", "appropriate")),
    Case("renal_hepatic.renal", "EU abrocitinib (atopic dermatitis), eGFR 60: outside the moderate band",
         lambda: P().aged(30).with_condition(AD).screened().with_lab("egfr", 60, days_ago=1).build(),
         "renal.dose-adjustment", False, indication=AD, for_drug="abrocitinib"),
    Case("renal_hepatic.renal", "US tofacitinib, CrCl about 40 mL/min (Cockcroft-Gault): 5 mg once daily",
         lambda: ra(80).male().screened().with_med("adalimumab", current=False).with_lab("creatinine", 1.5,
                                                                                          days_ago=1).build(),
         "renal.dose-adjustment", True, region="US", for_drug="tofacitinib", dose=("tofacitinib", 5, "once daily")),
    Case("renal_hepatic.renal", "EU baricitinib on haemodialysis (ESRD): not recommended", lambda: ra().screened()
         .with_condition("esrd-dialysis").build(), "renal.not-recommended", True, for_drug="baricitinib",
         verdict=("baricitinib", "not-recommended")),
    Case("renal_hepatic.hepatic", "US tofacitinib, Child-Pugh C: not recommended", lambda: ra().screened()
         .with_med("adalimumab", current=False).child_pugh("C").build(), "hepatic.not-recommended", True,
         region="US", for_drug="tofacitinib", verdict=("tofacitinib", "not-recommended")),
    Case("renal_hepatic.hepatic", "US tofacitinib, Child-Pugh B: 5 mg once daily", lambda: ra().screened()
         .with_med("adalimumab", current=False).child_pugh("B").build(), "hepatic.dose-adjustment", True,
         region="US", for_drug="tofacitinib", dose=("tofacitinib", 5, "once daily")),
    Case("renal_hepatic.hepatic", "Child-Pugh A: no change", lambda: ra().screened().child_pugh("A").build(),
         "hepatic.not-recommended", False, also_absent=("hepatic.dose-adjustment",)),
    Case("renal_hepatic.hepatic", "cirrhosis without Child-Pugh class", lambda: ra().screened().with_condition(
        "cirrhosis").build(), "hepatic.child-pugh-unknown", True),
    # interactions
    Case("interactions.interactions", "US tofacitinib with ketoconazole: 5 mg once daily", lambda: ra().screened()
         .with_med("adalimumab", current=False).with_med("ketoconazole").build(), "ddi.cyp3a4-strong-inhibitor",
         True, region="US", for_drug="tofacitinib", dose=("tofacitinib", 5, "once daily")),
    Case("interactions.interactions", "US tofacitinib with a stopped ketoconazole course", lambda: ra().screened()
         .with_med("adalimumab", current=False).with_med("ketoconazole", current=False).build(),
         "ddi.cyp3a4-strong-inhibitor", False, region="US", dose=("tofacitinib", 5, "twice daily")),
    Case("interactions.interactions", "EU baricitinib with probenecid: 2 mg once daily", lambda: ra().screened()
         .with_med("probenecid").build(), "ddi.oat3-inhibitor", True, for_drug="baricitinib",
         dose=("baricitinib", 2, "once daily")),
    Case("interactions.interactions", "current adalimumab: stop before the first dose", lambda: ra().screened()
         .with_med("adalimumab").build(), "ddi.immunosuppressant-combination", True, for_drug="baricitinib",
         verdict=("baricitinib", "caution")),
    Case("interactions.interactions", "methotrexate is not a combination problem", lambda: ra().screened()
         .with_med("methotrexate").build(), "ddi.immunosuppressant-combination", False),
    Case("interactions.interactions", "EU abrocitinib with fluvoxamine: dose halved", lambda: P().aged(30)
         .with_condition(AD).screened().with_med("fluvoxamine").build(), "ddi.cyp2c19-inhibitor", True,
         indication=AD, for_drug="abrocitinib"),
    # label gaps of the 2026.11.0 clinical review: one case per row of its table (the label's answer)
    Case("renal_hepatic.renal", "EU RA tofacitinib, CrCl about 21 mL/min: 5 mg once daily", lambda: ra().screened()
         .with_lab("creatinine", 3.5, days_ago=1).build(), "renal.dose-adjustment", True, for_drug="tofacitinib",
         dose=("tofacitinib", 5, "once daily")),
    Case("renal_hepatic.renal", "EU RA tofacitinib on haemodialysis: stays on 5 mg once daily", lambda: ra()
         .screened().with_condition("esrd-dialysis").build(), "renal.dose-adjustment", True, for_drug="tofacitinib",
         dose=("tofacitinib", 5, "once daily")),
    Case("renal_hepatic.renal", "EU RA tofacitinib, CrCl about 31 mL/min: outside the EU severe band",
         lambda: ra().screened().with_lab("creatinine", 2.4, days_ago=1).build(), "renal.not-recommended", False,
         for_drug="tofacitinib"),
    Case("renal_hepatic.hepatic", "EU RA tofacitinib, Child-Pugh B: 5 mg once daily", lambda: ra().screened()
         .child_pugh("B").build(), "hepatic.dose-adjustment", True, for_drug="tofacitinib",
         dose=("tofacitinib", 5, "once daily")),
    Case("labs.low_counts", "EU RA tofacitinib, lymphocytes 0.6: below the EU start threshold 0.75", lambda: ra()
         .screened().with_lab("lymphocytes", 0.6, days_ago=1).build(), "lab.lymphopenia", True,
         for_drug="tofacitinib", verdict=("tofacitinib", "defer")),
    Case("labs.low_counts", "EU RA tofacitinib, lymphocytes 0.8: above the EU start threshold", lambda: ra()
         .screened().with_lab("lymphocytes", 0.8, days_ago=1).build(), "lab.lymphopenia", False,
         for_drug="tofacitinib"),
    Case("interactions.interactions", "EU RA tofacitinib with fluconazole: 5 mg once daily", lambda: ra().screened()
         .with_med("fluconazole").build(), "ddi.cyp3a4-moderate-cyp2c19-strong-inhibitor", True,
         for_drug="tofacitinib", dose=("tofacitinib", 5, "once daily")),
    Case("renal_hepatic.renal", "US UC tofacitinib, CrCl about 39 mL/min: induction 5 mg twice daily",
         lambda: _uc().screened().with_med("adalimumab", current=False).with_lab("creatinine", 1.9, days_ago=1)
         .build(), "renal.dose-adjustment", True, region="US", indication=UC, for_drug="tofacitinib",
         dose=("tofacitinib", 5, "twice daily")),
    Case("renal_hepatic.hepatic", "US UC tofacitinib, Child-Pugh B: induction 5 mg twice daily", lambda: _uc()
         .screened().with_med("adalimumab", current=False).child_pugh("B").build(), "hepatic.dose-adjustment", True,
         region="US", indication=UC, for_drug="tofacitinib", dose=("tofacitinib", 5, "twice daily")),
    Case("renal_hepatic.renal", "US alopecia areata baricitinib, eGFR 20: not recommended", lambda: _aa()
         .screened().with_lab("egfr", 20, days_ago=1).build(), "renal.not-recommended", True, region="US",
         indication=AA, for_drug="baricitinib", verdict=("baricitinib", "not-recommended")),
    Case("renal_hepatic.renal", "US atopic dermatitis abrocitinib, eGFR 20: 50 mg once daily", lambda: _ad()
         .screened().with_lab("egfr", 20, days_ago=1).build(), "renal.dose-adjustment", True, region="US",
         indication=AD, for_drug="abrocitinib", dose=("abrocitinib", 50, "once daily")),
    Case("interactions.interactions", "US abrocitinib with fluvoxamine (strong CYP2C19 inhibitor): 50 mg",
         lambda: _ad().screened().with_med("fluvoxamine").build(), "ddi.cyp2c19-inhibitor", True, region="US",
         indication=AD, for_drug="abrocitinib", dose=("abrocitinib", 50, "once daily")),
    Case("interactions.interactions", "US abrocitinib with fluconazole (CYP2C19 and CYP2C9): avoid, not only "
         "a lower dose", lambda: _ad().screened().with_med("fluconazole").build(), "ddi.cyp2c19-cyp2c9-inhibitor",
         True, region="US", indication=AD, for_drug="abrocitinib", verdict=("abrocitinib", "not-recommended")),
    Case("interactions.interactions", "US abrocitinib with fluvoxamine: no dual CYP2C19/CYP2C9 finding",
         lambda: _ad().screened().with_med("fluvoxamine").build(), "ddi.cyp2c19-cyp2c9-inhibitor", False,
         region="US", indication=AD, for_drug="abrocitinib"),
    Case("interactions.interactions", "US UC upadacitinib with ketoconazole: induction 30 mg", lambda: _uc()
         .screened().with_med("adalimumab", current=False).with_med("ketoconazole").build(),
         "ddi.cyp3a4-strong-inhibitor", True, region="US", indication=UC, for_drug="upadacitinib",
         dose=("upadacitinib", 30, "once daily")),
    Case("renal_hepatic.renal", "US UC upadacitinib on dialysis: not recommended in end-stage renal disease",
         lambda: _uc().screened().with_med("adalimumab", current=False).on_dialysis().build(),
         "renal.not-recommended", True, region="US", indication=UC, for_drug="upadacitinib",
         verdict=("upadacitinib", "not-recommended")),
    Case("interactions.interactions", "US RA tofacitinib with rifampin: not recommended", lambda: ra().screened()
         .with_med("adalimumab", current=False).with_med("rifampicin").build(), "ddi.cyp3a4-strong-inducer", True,
         region="US", for_drug="tofacitinib", verdict=("tofacitinib", "not-recommended")),
    Case("interactions.interactions", "US alopecia areata ritlecitinib with rifampin: not recommended",
         lambda: _aa().screened().with_med("rifampicin").build(), "ddi.cyp3a4-strong-inducer", True, region="US",
         indication=AA, for_drug="ritlecitinib", verdict=("ritlecitinib", "not-recommended")),
    Case("interactions.interactions", "US atopic dermatitis abrocitinib with rifampin: avoid", lambda: _ad()
         .screened().with_med("rifampicin").build(), "ddi.cyp2c19-cyp2c9-strong-inducer", True, region="US",
         indication=AD, for_drug="abrocitinib", verdict=("abrocitinib", "not-recommended")),
    Case("regulatory.tnf_inadequate_response_required", "US UC upadacitinib, TNF-naive: confirm the route "
         "(TNF blockers inadvisable after another systemic therapy), not a refusal", lambda: _uc().screened()
         .build(), "label.tnf-route-confirm", True, region="US", indication=UC, for_drug="upadacitinib",
         verdict=("upadacitinib", "caution")),
    Case("regulatory.tnf_inadequate_response_required", "US UC upadacitinib after a TNF blocker: nothing to "
         "confirm", lambda: _uc().screened().with_med("adalimumab", current=False)
         .with_lab("creatinine", 0.6, days_ago=1).build(),
         "label.tnf-route-confirm", False, region="US", indication=UC, for_drug="upadacitinib",
         verdict=("upadacitinib", "appropriate")),
    Case("engine.choose_scope", "EU tofacitinib for ankylosing spondylitis: approved", lambda: P().aged(40)
         .with_condition(AS).screened().build(), "indication.not-approved", False, indication=AS,
         drugs=("tofacitinib",), dose=("tofacitinib", 5, "twice daily"), in_process_only=DRUGS_GIVEN),
    Case("engine.choose_scope", "EU baricitinib for alopecia areata: approved", lambda: _aa().screened().build(),
         "indication.not-approved", False, indication=AA, drugs=("baricitinib",),
         in_process_only=DRUGS_GIVEN),
    Case("renal_hepatic.renal", "EU alopecia areata ritlecitinib on dialysis: not recommended", lambda: _aa()
         .screened().on_dialysis().build(), "renal.not-recommended", True, indication=AA, for_drug="ritlecitinib",
         verdict=("ritlecitinib", "not-recommended")),
    Case("renal_hepatic.renal", "EU alopecia areata ritlecitinib, kidney transplant: not recommended",
         lambda: _aa().screened().with_condition("kidney-transplant").build(), "renal.not-recommended", True,
         indication=AA, for_drug="ritlecitinib", verdict=("ritlecitinib", "not-recommended")),
    Case("renal_hepatic.renal", "EU alopecia areata ritlecitinib, eGFR 20 without dialysis: no change",
         lambda: _aa().screened().with_lab("egfr", 20, days_ago=1).build(), "renal.not-recommended", False,
         indication=AA, for_drug="ritlecitinib", verdict=("ritlecitinib", "appropriate")),
    # reproductive
    Case("reproductive.pregnancy", "EU, pregnant: baricitinib contraindicated", lambda: ra(30).screened()
         .pregnant().build(), "pregnancy.current", True, for_drug="baricitinib",
         verdict=("baricitinib", "contraindicated")),
    Case("reproductive.pregnancy", "not pregnant", lambda: ra(30).screened().build(), "pregnancy.current", False),
    Case("reproductive.pregnancy", "pregnancy on the problem list 2 months ago, negative hCG 5 days ago: the "
         "later negative test wins", lambda: _uc_screened(34)
         .with_condition("pregnancy", days_ago=60, display="Pregnancy")
         .with_result("pregnancy-test", "negative", days_ago=5).build(), "pregnancy.current", False,
         indication=UC, verdict=("tofacitinib", "appropriate")),
    Case("reproductive.pregnancy", "pregnancy on the problem list 2 months ago, a negative test 5 days ago known only "
         "from free text: still pregnant", lambda: _text_only_tests(_unstated(_uc_screened(34)
         .with_condition("pregnancy", days_ago=60, display="Pregnancy")
         .with_result("pregnancy-test", "negative", days_ago=5))), "pregnancy.current", True, indication=UC,
         for_drug="tofacitinib", verdict=("tofacitinib", "contraindicated")),
    Case("reproductive.pregnancy", "negative hCG 2 months ago, pregnancy recorded 5 days ago", lambda: _uc_screened(34)
         .with_result("pregnancy-test", "negative", days_ago=60).with_condition("pregnancy", days_ago=5,
                                                                                display="Pregnancy")
         .pregnant(Tri.PRESENT).build(), "pregnancy.current", True, indication=UC, for_drug="tofacitinib",
         verdict=("tofacitinib", "contraindicated")),
    Case("reproductive.pregnancy", "positive hCG 25 days ago, delivery 10 days ago: the pregnancy has ended",
         lambda: _unstated(_uc_screened(34).with_result("pregnancy-test", "positive", days_ago=25)
                           .with_procedure("pregnancy-end-procedure", days_ago=10,
                                           display="Normal delivery procedure")),
         "pregnancy.current", False, indication=UC, verdict=("tofacitinib", "appropriate")),
    Case("reproductive.pregnancy", "positive hCG 5 days ago, delivery 10 days ago: a new pregnancy",
         lambda: _unstated(_uc_screened(34).with_procedure("pregnancy-end-procedure", days_ago=10,
                                                          display="Normal delivery procedure")
                           .with_result("pregnancy-test", "positive", days_ago=5)),
         "pregnancy.current", True, indication=UC, for_drug="tofacitinib",
         verdict=("tofacitinib", "contraindicated")),
    Case("reproductive.pregnancy_planned", "EU UC, 34, coded 'wants to become pregnant', hCG negative today: "
         "washout and pregnancy-compatible options, not a pregnancy", lambda: _uc_screened(34)
         .with_condition("pregnancy-planned", days_ago=0, display="Wants to become pregnant")
         .with_result("pregnancy-test", "negative", days_ago=0).build(), "pregnancy.planned", True, indication=UC,
         for_drug="tofacitinib", verdict=("tofacitinib", "only-if-no-alternative"),
         also_absent=("pregnancy.current", "contraception.counsel")),
    Case("reproductive.pregnancy_planned", "EU UC, 34, pregnancy plan recorded and since closed (inactive)",
         lambda: _uc_screened(34).with_condition("pregnancy-planned", active=False, display="Wants to become pregnant")
         .build(), "pregnancy.planned", False, indication=UC, verdict=("tofacitinib", "appropriate")),
    Case("reproductive.lactation", "EU, breastfeeding", lambda: ra(30).screened().lactating().build(),
         "lactation.current", True, for_drug="baricitinib"),
    Case("reproductive.lactation", "not breastfeeding", lambda: ra(30).screened().build(), "lactation.current",
         False),
    Case("reproductive.contraception", "woman aged 30", lambda: ra(30).screened().build(), "contraception.counsel",
         True),
    Case("reproductive.contraception", "woman aged 55", lambda: ra(55).screened().build(), "contraception.counsel",
         False),
    Case("reproductive.contraception", "man aged 30", lambda: ra(30).male().screened().build(),
         "contraception.counsel", False),
    # data quality
    Case("data_quality.unusable_values", "creatinine with an unknown unit", lambda: ra().screened().with_unusable(
        "Observation/cr1", "valueQuantity.unit", "unknown unit 'mmol/dL' for creatinine").build(),
         "data.unusable-value", True),
    Case("data_quality.unusable_values", "all values usable", lambda: ra().screened().build(),
         "data.unusable-value", False),
    Case("data_quality.text_matches", "RA recognised from free text only", lambda: ra().screened().with_text_match(
        "rheumatoid-arthritis", "RA - seropositive").build(), "data.text-match", True),
    Case("data_quality.text_matches", "everything coded", lambda: ra().screened().build(), "data.text-match", False),
    Case("data_quality.weight_needed_for_dose", "US pJIA, 8 years old, no weight: upadacitinib dose by weight",
         lambda: _without_labs(P().aged(8).with_condition("polyarticular-jia").screened().build(), "weight"),
         "data.weight-missing", True, region="US", indication="polyarticular-jia", for_drug="upadacitinib"),
    Case("data_quality.weight_needed_for_dose", "US pJIA, 8 years old, weight on record", lambda: P().aged(8)
         .with_condition("polyarticular-jia").screened().build(), "data.weight-missing", False, region="US",
         indication="polyarticular-jia"),
    Case("data_quality.incomplete_record", "Observation search refused (HTTP 403): every drug waits",
         lambda: ra().screened().incomplete("observations", "the FHIR server answered HTTP 403").build(),
         "data.incomplete-record", True, verdict=("tofacitinib", "defer")),
    Case("data_quality.incomplete_record", "pregnant, deliveries not sent by the EHR: said, the pregnancy stays "
         "current", lambda: ra(30).screened().pregnant().incomplete(
             "procedures", "the EHR sent neither the prefetch nor FHIR server access").build(),
         "data.incomplete-record", True, for_drug="baricitinib", verdict=("baricitinib", "contraindicated")),
    Case("data_quality.incomplete_record", "every part of the record arrived (a null prefetch means no data)",
         lambda: ra().screened().build(), "data.incomplete-record", False),
    Case("data_quality.stale_entries", "98 years old, 'Tubal pregnancy' active since 1972: a past pregnancy, not a "
         "current one", lambda: ra(98).screened().pregnant(Tri.UNKNOWN).with_condition(
             "pregnancy", days_ago=(AS_OF - date(1972, 5, 1)).days, display="Tubal pregnancy").build(),
         "data.stale-entry", True, also_absent=("pregnancy.current",),
         verdict=("baricitinib", "only-if-no-alternative")),
    Case("data_quality.stale_entries", "pregnancy recorded 300 days ago (the edge of the pregnancy window): current",
         lambda: ra(30).screened().pregnant(Tri.UNKNOWN).with_condition("pregnancy", days_ago=300,
                                                                      display="Pregnancy").build(),
         "data.stale-entry", False, verdict=("baricitinib", "contraindicated")),
    Case("data_quality.stale_entries", "US Core 'Pregnant' status observed in 2022, assessed in 2026: pregnancy status "
         "unknown, not pregnant", lambda: _pregnant_status(ra(30).screened(), (AS_OF - date(2022, 3, 15)).days),
         "data.stale-entry", True, also_absent=("pregnancy.current",), for_drug="baricitinib"),
    Case("data_quality.stale_entries", "'Pregnant' status observed 300 days ago: still pregnant",
         lambda: _pregnant_status(ra(30).screened(), 300), "data.stale-entry", False,
         verdict=("baricitinib", "contraindicated")),
    Case("data_quality.stale_entries", "pregnancy 'active' since 150 days, caesarean section 20 days ago: a past "
         "pregnancy, not a current one", lambda: _unstated(_uc_screened(31)
         .with_condition("pregnancy", days_ago=150, display="Normal pregnancy")
         .with_procedure("pregnancy-end-procedure", days_ago=20, display="Cesarean section")),
         "data.stale-entry", True, indication=UC, also_absent=("pregnancy.current",),
         verdict=("tofacitinib", "appropriate")),
    Case("data_quality.stale_entries", "caesarean section 200 days ago, new pregnancy recorded 60 days ago: pregnant",
         lambda: _unstated(_uc_screened(31).with_procedure("pregnancy-end-procedure", days_ago=200,
                                                          display="Cesarean section")
                           .with_condition("pregnancy", days_ago=60, display="Pregnancy")),
         "data.stale-entry", False, indication=UC, for_drug="tofacitinib",
         verdict=("tofacitinib", "contraindicated")),
    Case("data_quality.stale_entries", "'Pregnant' status 90 days ago, miscarriage 30 days ago: pregnancy status "
         "unknown, not pregnant", lambda: _pregnant_status(
             _uc_screened(31).with_condition("pregnancy-end", active=False, days_ago=30, display="Miscarriage"), 90),
         "data.stale-entry", True, indication=UC, also_absent=("pregnancy.current",), for_drug="tofacitinib"),
    Case("data_quality.stale_entries", "venous thromboembolism 'active' since 181 days: a past VTE, still a VTE risk",
         lambda: ra().screened().with_condition("vte", days_ago=181, display="Deep vein thrombosis").build(),
         "data.stale-entry", True, verdict=("tofacitinib", "caution")),
    Case("data_quality.stale_entries", "venous thromboembolism 'active' since 180 days: recent, not stale",
         lambda: ra().screened().with_condition("vte", days_ago=180, display="Deep vein thrombosis").build(),
         "data.stale-entry", False, verdict=("tofacitinib", "caution")),
    # findings known from free text only (rules/text_only.py: the engine caps every finding, whichever rule)
    Case("text_only.cap_text_only", "active TB from text only ('Tuberculosis'): defer with a blocking confirm, not "
         "contraindicated", lambda: _text(ra().screened(), "Tuberculosis"), "tb.active", True,
         for_drug="tofacitinib", verdict=("tofacitinib", "defer")),
    Case("text_only.cap_text_only", "active TB coded: contraindicated (the cap is for text only)",
         lambda: ra().screened().with_condition("active-tb").build(), "tb.active", True,
         verdict=("tofacitinib", "contraindicated")),
    Case("text_only.cap_text_only", "'Denies tuberculosis': negated, no fact",
         lambda: _text(ra().screened(), "Denies tuberculosis"), "tb.active", False,
         verdict=("tofacitinib", "appropriate")),
    Case("text_only.cap_text_only", "'Treated latent TB' on an active problem list: a history, not active TB",
         lambda: _text(ra().screened(), "Treated latent TB"), "tb.active", False,
         also_absent=("tb.latent-untreated",), verdict=("tofacitinib", "appropriate")),
    Case("text_only.cap_text_only", "pregnancy from text only ('Pregnant'): defer with a blocking confirm",
         lambda: _text(ra(30).sex("female").screened(), "Pregnant"), "pregnancy.current", True, for_drug="tofacitinib",
         verdict=("tofacitinib", "defer")),
    Case("text_only.cap_text_only", "'Planning pregnancy': a planned pregnancy (washout and alternatives), not a "
         "pregnancy", lambda: _text(ra(30).sex("female").screened(), "Planning pregnancy"), "pregnancy.current",
         False, verdict=("tofacitinib", "only-if-no-alternative")),
    Case("text_only.cap_text_only", "active cancer from text only ('Lung cancer'): defer, not not-recommended",
         lambda: _text(ra().screened(), "Lung cancer"), "risk.malignancy", True, for_drug="tofacitinib",
         verdict=("tofacitinib", "defer")),
    Case("text_only.cap_text_only", "'History of colon cancer' (text): only if no alternative, as coded",
         lambda: _text(ra().screened(), "History of colon cancer"), "risk.malignancy", True,
         for_drug="tofacitinib", verdict=("tofacitinib", "only-if-no-alternative")),
    Case("text_only.cap_text_only", "'Basal cell carcinoma' (text): non-melanoma skin cancer, not malignancy",
         lambda: _text(ra().screened(), "Basal cell carcinoma"), "risk.malignancy", False,
         verdict=("tofacitinib", "caution")),
    Case("text_only.cap_text_only", "'Basal cell carcinoma' (text): NMSC, caution with skin examination",
         lambda: _text(ra().screened(), "Basal cell carcinoma"), "risk.nmsc", True, for_drug="tofacitinib"),
    Case("text_only.cap_text_only", "IGRA negative, the test named in text only: not screened",
         lambda: _text_named(ra().screened().build(), "tb-igra"), "tb.screening-missing", True,
         verdict=("tofacitinib", "defer")),
    Case("text_only.cap_text_only", "HBsAg and anti-HBc negative, the tests named in text only: not screened",
         lambda: _text_named(_text_named(ra().screened().build(), "hbsag"), "anti-hbc"), "hbv.screening-missing",
         True, verdict=("tofacitinib", "defer")),
    Case("text_only.cap_text_only", "anti-HCV negative, the test named in text only: not screened",
         lambda: _text_named(ra().screened().build(), "anti-hcv"), "hcv.screening-missing", True,
         verdict=("tofacitinib", "defer")),
    Case("data_quality.text_matches", "'Denies tuberculosis' reported as negated, not used",
         lambda: _text(ra().screened(), "Denies tuberculosis"), "data.text-match", True),
    # engine scope
    Case("engine.choose_scope", "no indication given or recorded", lambda: P().aged(50).screened().build(),
         "indication.unspecified", True, indication=None),
    Case("engine.choose_scope", "RA recorded: indication inferred", lambda: ra().screened().build(),
         "indication.unspecified", False, indication=None),
    Case("engine.choose_scope", "abrocitinib asked for RA: not listed, which is not 'not approved' (check "
         "approval, knowledge.not-encoded)", lambda: ra().screened().build(),
         "indication.not-approved", False, drugs=("abrocitinib",), for_drug="abrocitinib",
         verdict=("abrocitinib", "caution"), in_process_only=DRUGS_GIVEN),
    Case("engine.choose_scope", "abrocitinib asked for atopic dermatitis at 10 (the label's lower age is 12)",
         lambda: P().aged(10).with_condition(AD).screened().build(), "indication.not-approved", True, indication=AD,
         drugs=("abrocitinib",), for_drug="abrocitinib", verdict=("abrocitinib", "not-recommended"),
         in_process_only=DRUGS_GIVEN),
    Case("engine.choose_scope", "filgotinib asked for in the US (not authorised)", lambda: ra().screened().build(),
         "indication.not-approved", True, region="US", drugs=("filgotinib",), in_process_only=DRUGS_GIVEN),
    Case("engine.choose_scope", "baricitinib asked for RA in the EU (approved)", lambda: ra().screened().build(),
         "indication.not-approved", False, drugs=("baricitinib",), in_process_only=DRUGS_GIVEN),
    # knowledge coverage: a not-encoded cell the patient is in is never silent
    Case("knowledge_coverage.not_encoded", "US abrocitinib asked for RA: indication not listed, check approval",
         lambda: fit().build(), "knowledge.not-encoded", True, region="US", drugs=("abrocitinib",),
         for_drug="abrocitinib", verdict=("abrocitinib", "caution"), in_process_only=DRUGS_GIVEN),
    Case("knowledge_coverage.not_encoded", "EU baricitinib for RA, 50 years, CrCl over 90, no co-medication: "
         "every relevant cell encoded", lambda: fit().build(), "knowledge.not-encoded", False,
         for_drug="baricitinib", verdict=("baricitinib", "appropriate")),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib for ankylosing spondylitis: approval and start dose "
         "encoded (UK manufacturer text)", lambda: fit().with_condition("ankylosing-spondylitis").build(),
         "knowledge.not-encoded", False, indication="ankylosing-spondylitis", for_drug="tofacitinib",
         dose=("tofacitinib", 5, "twice daily"), in_process_only=INDICATION_CHOSEN),
    Case("knowledge_coverage.not_encoded", "EU upadacitinib for giant cell arteritis: approval not verified, "
         "check approval", lambda: fit().with_condition("giant-cell-arteritis").build(),
         "knowledge.not-encoded", True, indication="giant-cell-arteritis", drugs=("upadacitinib",),
         for_drug="upadacitinib", verdict=("upadacitinib", "caution"),
         in_process_only=f"{DRUGS_GIVEN}; it {INDICATION_CHOSEN}"),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib at 70: no EU age rule encoded", lambda: fit(70).build(),
         "knowledge.not-encoded", True, for_drug="tofacitinib"),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib at 64 with CrCl over 90: no age band, no renal band",
         lambda: fit(64).build(), "knowledge.not-encoded", False, for_drug="tofacitinib",
         verdict=("tofacitinib", "appropriate")),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib, CrCl about 40: EU moderate band not encoded (caution), "
         "the US band applied: 5 mg once daily", lambda: fit().with_lab("creatinine", 1.9, days_ago=1).build(),
         "knowledge.not-encoded", True, for_drug="tofacitinib", verdict=("tofacitinib", "caution"),
         dose=("tofacitinib", 5, "once daily")),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib, CrCl about 21: the EU severe band is encoded",
         lambda: fit().with_lab("creatinine", 3.5, days_ago=1).build(), "knowledge.not-encoded", False,
         for_drug="tofacitinib", dose=("tofacitinib", 5, "once daily")),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib, renal function not on record: unknown is not normal",
         lambda: _without_labs(fit().build(), "creatinine"), "knowledge.not-encoded", True, for_drug="tofacitinib",
         verdict=("tofacitinib", "caution")),
    Case("knowledge_coverage.not_encoded", "US ritlecitinib for alopecia areata on dialysis: US renal rule not "
         "encoded, the EU not-recommended applied", lambda: fit().with_condition("alopecia-areata").on_dialysis()
         .build(), "knowledge.not-encoded", True, region="US", indication="alopecia-areata",
         for_drug="ritlecitinib", verdict=("ritlecitinib", "not-recommended"), in_process_only=INDICATION_CHOSEN),
    Case("knowledge_coverage.not_encoded", "EU ritlecitinib for alopecia areata, eGFR over 90, not on dialysis",
         lambda: fit().with_condition("alopecia-areata").build(), "knowledge.not-encoded", False,
         indication="alopecia-areata", for_drug="ritlecitinib", in_process_only=INDICATION_CHOSEN),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib, Child-Pugh A: EU rule not encoded (a review table "
         "reports no change)", lambda: fit().child_pugh("A").build(), "knowledge.not-encoded", True,
         for_drug="tofacitinib", verdict=("tofacitinib", "caution")),
    Case("knowledge_coverage.not_encoded", "EU filgotinib, Child-Pugh B: the EU label's no-change is encoded (GB "
         "manufacturer text)", lambda: fit().child_pugh("B").build(), "knowledge.not-encoded", False,
         for_drug="filgotinib"),
    Case("knowledge_coverage.not_encoded", "US tofacitinib for UC with ketoconazole: UC CYP3A4 step not encoded",
         lambda: fit().with_condition("ulcerative-colitis").with_med("adalimumab", current=False)
         .with_med("ketoconazole").build(), "knowledge.not-encoded", True, region="US",
         indication="ulcerative-colitis", for_drug="tofacitinib", verdict=("tofacitinib", "caution"),
         in_process_only=INDICATION_CHOSEN),
    Case("knowledge_coverage.not_encoded", "US tofacitinib for RA with ketoconazole: the RA step is encoded",
         lambda: fit().with_med("adalimumab", current=False).with_med("ketoconazole").build(),
         "knowledge.not-encoded", False, region="US", for_drug="tofacitinib",
         dose=("tofacitinib", 5, "once daily")),
    Case("knowledge_coverage.not_encoded", "EU filgotinib, platelets 160: within 10 % of a start threshold the EU "
         "label sets none for", lambda: fit().with_lab("platelets", 160, days_ago=1).build(),
         "knowledge.not-encoded", True, for_drug="filgotinib"),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib, lymphocytes 0.9: more than 10 % above every threshold "
         "known", lambda: fit().with_lab("lymphocytes", 0.9, days_ago=1).build(), "knowledge.not-encoded", False,
         for_drug="tofacitinib"),
    Case("knowledge_coverage.not_encoded", "US tofacitinib, pregnant: US rule not encoded, the EU contraindication "
         "applied", lambda: fit().with_med("adalimumab", current=False).pregnant().build(), "knowledge.not-encoded",
         True, region="US", for_drug="tofacitinib", verdict=("tofacitinib", "contraindicated")),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib, pregnant: the EU rule is encoded",
         lambda: fit().pregnant().build(), "knowledge.not-encoded", False, for_drug="tofacitinib",
         verdict=("tofacitinib", "contraindicated")),
    Case("knowledge_coverage.not_encoded", "US abrocitinib, breastfeeding: US lactation rule not encoded",
         lambda: P().aged(30).with_condition(AD).screened().with_lab("creatinine", 0.6, days_ago=1).lactating()
         .build(), "knowledge.not-encoded", True, region="US", indication=AD, for_drug="abrocitinib",
         verdict=("abrocitinib", "contraindicated")),
    Case("knowledge_coverage.not_encoded", "EU abrocitinib, breastfeeding: the EU rule is encoded",
         lambda: P().aged(30).with_condition(AD).screened().with_lab("creatinine", 0.6, days_ago=1).lactating()
         .build(), "knowledge.not-encoded", False, indication=AD, for_drug="abrocitinib",
         verdict=("abrocitinib", "contraindicated")),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib, CrCl about 40: the US renal band is applied and said so",
         lambda: fit().with_lab("creatinine", 1.9, days_ago=1).build(), "knowledge.other-region-applied", True,
         for_drug="tofacitinib"),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib, CrCl over 90: no rule borrowed",
         lambda: fit().build(), "knowledge.other-region-applied", False, for_drug="tofacitinib"),
    Case("knowledge_coverage.not_encoded", "EU tofacitinib: monitoring schedule and live-vaccine wording not "
         "encoded - follow the label (info, no cap)", lambda: fit().build(), "knowledge.follow-label", True,
         for_drug="tofacitinib", verdict=("tofacitinib", "appropriate")),
    Case("knowledge_coverage.not_encoded", "EU baricitinib: monitoring, contraception and live vaccines encoded",
         lambda: fit().build(), "knowledge.follow-label", False, for_drug="baricitinib"),
]


def fit(age: int = 50) -> P:
    """RA, complete normal work-up, creatinine 0.6 mg/dL (CrCl and eGFR above 90 at any adult age here)."""
    return ra(age).screened().with_lab("creatinine", 0.6, days_ago=1)


def _text(builder: P, text: str) -> PatientFacts:
    """The patient with a problem-list entry given as text only, read as the patient card reads it."""
    from dataclasses import replace

    from jakcheck.knowledge.loader import default_knowledge
    from jakcheck.patient.card import read_card

    facts = builder.build()
    part = read_card({"patient": {"id": "t", "age": 50, "sex": "female"}, "conditions": [{"text": text}]},
                     source_name="card.yaml", as_of=facts.as_of, knowledge=default_knowledge())
    return replace(facts, conditions=facts.conditions + part.conditions,
                   text_matches=facts.text_matches + part.text_matches)


def _text_named(facts: PatientFacts, concept: str) -> PatientFacts:
    """The patient with the results of a test named in text only (no code)."""
    from dataclasses import replace

    return replace(facts, results=tuple(replace(r, matched_by="text") if r.concept == concept else r
                                        for r in facts.results),
                   text_matches=facts.text_matches + tuple(TextMatch(concept, r.source, "QuantiFERON")
                                                           for r in facts.results if r.concept == concept))


def _text_only_tests(facts: PatientFacts) -> PatientFacts:
    """The patient's pregnancy tests as known from free text only (no code)."""
    from dataclasses import replace

    return replace(facts, results=tuple(replace(r, matched_by="text") if r.concept == "pregnancy-test" else r
                                        for r in facts.results))


def _unstated(builder: P) -> PatientFacts:
    """The patient with no pregnancy status on record (a record without a pregnancy status observation)."""
    from dataclasses import replace

    return replace(builder.build(), pregnant=StatedFact(Tri.UNKNOWN))


def _pregnant_status(builder: P, days_ago: int) -> PatientFacts:
    """A coded "pregnant" status observation (US Core pregnancy status) from `days_ago` days before AS_OF."""
    from dataclasses import replace
    from datetime import timedelta

    return replace(builder.build(), pregnant=StatedFact(Tri.PRESENT, "Observation/pregnancy-status",
                                                       AS_OF - timedelta(days=days_ago)))


def _without(facts: PatientFacts, concept: str) -> PatientFacts:
    from dataclasses import replace

    return replace(facts, results=tuple(r for r in facts.results if r.concept != concept))


def _without_labs(facts: PatientFacts, *concepts: str) -> PatientFacts:
    from dataclasses import replace

    return replace(facts, labs=tuple(lab for lab in facts.labs if lab.concept not in concepts))


def _without_vaccine(facts: PatientFacts, concept: str, keep: int) -> PatientFacts:
    from dataclasses import replace

    matching = [i for i in facts.immunizations if i.concept == concept]
    kept = set(id(i) for i in matching[len(matching) - keep:]) if keep else set()
    return replace(facts, immunizations=tuple(i for i in facts.immunizations
                                              if i.concept != concept or id(i) in kept))


def _old_igra(days_ago: int) -> PatientFacts:
    from dataclasses import replace

    old = ra().with_result("tb-igra", "negative", days_ago=days_ago).build().results
    return replace(_without(ra().screened().build(), "tb-igra"), results=_without(
        ra().screened().build(), "tb-igra").results + old)
