"""Spec tables for patients already on a JAK inhibitor (on-treatment mode).

Same format as `tests/spec/tables.py`: for every on-treatment rule a patient for whom it fires and one for whom
it narrowly does not, plus the on-treatment handling of pre-treatment rules. Patients start from a complete
work-up done just before the start and a current JAK inhibitor started `days` ago.
"""

from __future__ import annotations

from dataclasses import replace

from jakcheck.patient.facts import PatientFacts, Tri
from tests.builders import PatientBuilder as P
from tests.spec.tables import AD, RA, Case, _without, _without_labs

STARTED = 182  # days on treatment in most cases (26 weeks)


def ra_on(drug: str, *, days: int = STARTED, age: int = 50, mg: float | None = None, followed: bool = True) -> P:
    """An RA patient screened before the start (work-up dated 10 days before it) and on `drug` since `days`
    days ago; with `followed`, also a blood count, liver tests, creatinine and lipids 10 days ago."""
    p = _screened_before(P().aged(age).with_condition(RA, display="Rheumatoid arthritis"), days)
    p = p.with_med(drug, days_ago=days, mg_per_day=mg)
    return _followed_up(p) if followed else p


def ad_on(drug: str, *, days: int = STARTED, age: int = 30, mg: float | None = None, followed: bool = True) -> P:
    p = _screened_before(P().aged(age).with_condition(AD, display="Atopic dermatitis"), days)
    p = p.with_med(drug, days_ago=days, mg_per_day=mg)
    return _followed_up(p) if followed else p


def _screened_before(p: P, days: int) -> P:
    before = days + 10
    return (p.with_result("tb-igra", "negative", days_ago=before).with_result("hbsag", "negative", days_ago=before)
            .with_result("anti-hbc", "negative", days_ago=before).with_result("anti-hcv", "negative", days_ago=before)
            .with_lab("lymphocytes", 1.8, days_ago=before).with_lab("neutrophils", 4.0, days_ago=before)
            .with_lab("hemoglobin", 13.5, days_ago=before).with_lab("platelets", 250, days_ago=before)
            .with_lab("alt", 20, days_ago=before).with_lab("ast", 22, days_ago=before)
            .with_lab("creatinine", 0.8, days_ago=before).with_lab("weight", 70, days_ago=before)
            .with_lab("cholesterol-total", 190, days_ago=before).with_lab("hdl", 55, days_ago=before)
            .with_vaccine("zoster-recombinant", days_ago=before + 90)
            .with_vaccine("zoster-recombinant", days_ago=before)
            .with_vaccine("pneumococcal", days_ago=before).with_vaccine("influenza", days_ago=60)
            .smoking("never").pregnant(Tri.ABSENT))


def _followed_up(p: P) -> P:
    """Blood count, liver tests and lipids 10 days ago (on treatment)."""
    return (p.with_lab("lymphocytes", 1.7).with_lab("neutrophils", 3.8).with_lab("hemoglobin", 13.2)
            .with_lab("platelets", 240).with_lab("alt", 24).with_lab("ast", 25).with_lab("creatinine", 0.8)
            .with_lab("cholesterol-total", 210).with_lab("hdl", 60))


def _no_start_date(facts: PatientFacts) -> PatientFacts:
    return replace(facts, medications=tuple(replace(m, start=None) if "jak-inhibitor" in m.classes else m
                                            for m in facts.medications))


def _us(p: P) -> P:
    """US RA labels (except upadacitinib's EU-type wording) need a TNF blocker before: a stopped one."""
    return p.with_med("adalimumab", current=False, days_ago=900)


ON_TREATMENT_CASES: list[Case] = [
    # monitoring
    Case("monitoring.monitoring_overdue", "EU baricitinib 26 weeks, no lipids since the start (due week 12)",
         lambda: _without_labs(_followed_up(ra_on("baricitinib")).build(), "cholesterol-total", "hdl"),
         "monitoring.lipids-overdue", True, for_drug="baricitinib", verdict=("baricitinib", "caution")),
    Case("monitoring.monitoring_overdue", "EU baricitinib 26 weeks, lipids 10 days ago",
         lambda: _followed_up(ra_on("baricitinib")).build(), "monitoring.lipids-overdue", False,
         verdict=("baricitinib", "appropriate")),
    Case("monitoring.monitoring_overdue", "EU baricitinib week 13, no lipids yet (due week 12, within the grace "
         "period)", lambda: ra_on("baricitinib", days=91, followed=False).build(), "monitoring.lipids-overdue", False),
    Case("monitoring.monitoring_overdue", "EU abrocitinib 10 weeks, no blood count since the start (due week 4)",
         lambda: ad_on("abrocitinib", days=70, followed=False).build(), "monitoring.cbc-overdue", True,
         indication=AD,
         for_drug="abrocitinib"),
    Case("monitoring.monitoring_overdue", "EU abrocitinib 10 weeks, blood count at week 4",
         lambda: ad_on("abrocitinib", days=70, followed=False).with_lab("lymphocytes", 1.5, days_ago=42)
         .with_lab("neutrophils", 3.1, days_ago=42).with_lab("hemoglobin", 12.9, days_ago=42)
         .with_lab("platelets", 230, days_ago=42).with_lab("cholesterol-total", 200, days_ago=42).build(),
         "monitoring.cbc-overdue", False, indication=AD),
    Case("monitoring.monitoring_overdue", "US upadacitinib, no liver tests ever (baseline missed)",
         lambda: _without_labs(_us(ra_on("upadacitinib")).build(), "alt", "ast"), "monitoring.liver-overdue",
         True, region="US", for_drug="upadacitinib"),
    Case("monitoring.monitoring_overdue", "US upadacitinib, liver tests before the start",
         lambda: _us(ra_on("upadacitinib")).build(), "monitoring.liver-overdue", False, region="US"),
    Case("monitoring.hbv_dna_overdue", "anti-HBc positive on tofacitinib 26 weeks, no HBV DNA",
         lambda: _anti_hbc(ra_on("tofacitinib")).build(), "monitoring.hbv-dna-overdue", True,
         for_drug="tofacitinib"),
    Case("monitoring.hbv_dna_overdue", "anti-HBc positive on tofacitinib, HBV DNA undetectable 30 days ago",
         lambda: _anti_hbc(ra_on("tofacitinib")).with_result("hbv-dna", "negative", days_ago=30).build(),
         "monitoring.hbv-dna-overdue", False),
    Case("monitoring.hbv_dna_overdue", "anti-HBc positive on tofacitinib 26 weeks, HBV DNA only 120 days before the "
         "start: older than the 91-day baseline window", lambda: _anti_hbc(ra_on("tofacitinib")).with_result(
             "hbv-dna", "negative", days_ago=STARTED + 120).build(), "monitoring.hbv-dna-overdue", True,
         for_drug="tofacitinib"),
    Case("monitoring.hbv_dna_overdue", "anti-HBc negative on tofacitinib", lambda: ra_on("tofacitinib").build(),
         "monitoring.hbv-dna-overdue", False),
    Case("monitoring.start_date_unknown", "current baricitinib without a start date",
         lambda: _no_start_date(ra_on("baricitinib").build()), "therapy.start-unknown", True,
         for_drug="baricitinib"),
    Case("monitoring.start_date_unknown", "current baricitinib with a start date",
         lambda: ra_on("baricitinib").build(), "therapy.start-unknown", False),
    # thresholds during treatment
    Case("on_treatment.lab_thresholds", "EU baricitinib, lymphocytes 0.4 on treatment: interrupt",
         lambda: ra_on("baricitinib").with_lab("lymphocytes", 0.4, days_ago=2).build(),
         "lab.interrupt-threshold", True, for_drug="baricitinib", verdict=("baricitinib", "defer"),
         also_absent=("lab.lymphopenia",)),
    Case("on_treatment.lab_thresholds", "EU baricitinib, lymphocytes 0.6 on treatment",
         lambda: ra_on("baricitinib").with_lab("lymphocytes", 0.6, days_ago=2).build(),
         "lab.interrupt-threshold", False, verdict=("baricitinib", "appropriate")),
    Case("on_treatment.lab_thresholds", "EU baricitinib, lymphocytes 0.4 only before the start",
         lambda: ra_on("baricitinib").with_lab("lymphocytes", 0.4, days_ago=400).build(),
         "lab.interrupt-threshold", False),
    Case("on_treatment.lab_thresholds", "US tofacitinib, neutrophils 0.4 twice on treatment: discontinue "
         "(confirmed by repeat testing)",
         lambda: _us(ra_on("tofacitinib")).with_lab("neutrophils", 0.45, days_ago=9)
         .with_lab("neutrophils", 0.4, days_ago=2).build(), "lab.discontinue-threshold", True, region="US",
         for_drug="tofacitinib", verdict=("tofacitinib", "not-recommended")),
    Case("on_treatment.lab_thresholds", "US tofacitinib, lymphocytes 0.4 once: repeat the test before stopping",
         lambda: _us(ra_on("tofacitinib")).with_lab("lymphocytes", 0.4, days_ago=2).build(),
         "lab.discontinue-threshold", True, region="US", for_drug="tofacitinib",
         verdict=("tofacitinib", "caution")),
    Case("on_treatment.lab_thresholds", "EU abrocitinib, platelets 40 on treatment: discontinue",
         lambda: ad_on("abrocitinib").with_lab("platelets", 40, days_ago=2).build(), "lab.discontinue-threshold",
         True, indication=AD, for_drug="abrocitinib", verdict=("abrocitinib", "not-recommended")),
    Case("on_treatment.serious_infection", "pneumonia on baricitinib: interrupt until controlled",
         lambda: ra_on("baricitinib").with_condition("serious-infection", days_ago=3, display="Pneumonia").build(),
         "infection.interrupt", True, for_drug="baricitinib", verdict=("baricitinib", "defer"),
         also_absent=("infection.active-serious",)),
    Case("on_treatment.serious_infection", "pneumonia resolved", lambda: ra_on("baricitinib").with_condition(
        "serious-infection", active=False, days_ago=60).build(), "infection.interrupt", False),
    # re-review triggers
    Case("review.new_risk_factor", "EU tofacitinib: turned 65 since the start",
         lambda: ra_on("tofacitinib", age=65).build(), "review.new-risk-factor", True, for_drug="tofacitinib"),
    Case("review.new_risk_factor", "EU tofacitinib: already 65 at the start",
         lambda: ra_on("tofacitinib", age=66).build(), "review.new-risk-factor", False),
    Case("review.new_risk_factor", "EU baricitinib: myocardial infarction 30 days ago, after the start",
         lambda: ra_on("baricitinib").with_condition("ascvd", active=False, days_ago=30,
                                                     display="Myocardial infarction").build(),
         "review.new-risk-factor", True, for_drug="baricitinib", dose=("baricitinib", 2, "once daily")),
    Case("review.new_risk_factor", "EU baricitinib: myocardial infarction before the start",
         lambda: ra_on("baricitinib").with_condition("ascvd", active=False, days_ago=400).build(),
         "review.new-risk-factor", False),
    Case("review.new_risk_factor", "EU upadacitinib: pulmonary embolism after the start: stop and evaluate",
         lambda: ra_on("upadacitinib").with_condition("vte", days_ago=14, display="Pulmonary embolism").build(),
         "review.new-risk-factor", True, verdict=("upadacitinib", "defer")),
    Case("review.new_risk_factor", "US baricitinib: lung cancer diagnosed after the start",
         lambda: _us(ra_on("baricitinib")).with_condition("malignancy", days_ago=20, display="Lung cancer").build(),
         "review.new-risk-factor", True, region="US", for_drug="baricitinib"),
    Case("review.new_risk_factor", "EU filgotinib: current smoking recorded after the start",
         lambda: ra_on("filgotinib").smoking("current").build(), "review.new-risk-factor", True,
         for_drug="filgotinib"),
    Case("review.new_risk_factor", "EU filgotinib: current smoker already before the start",
         lambda: ra_on("filgotinib", days=20).smoking("current").build(), "review.new-risk-factor", False),
    Case("review.new_interaction", "EU baricitinib: probenecid started after baricitinib",
         lambda: ra_on("baricitinib").with_med("probenecid", days_ago=30).build(), "review.new-interaction",
         True, for_drug="baricitinib", dose=("baricitinib", 2, "once daily")),
    Case("review.new_interaction", "EU baricitinib: probenecid already taken at the start",
         lambda: ra_on("baricitinib").with_med("probenecid", days_ago=400).build(), "review.new-interaction",
         False),
    Case("review.dose_band_changed", "EU baricitinib: CrCl about 93 at the start, about 46 mL/min now",
         lambda: ra_on("baricitinib").with_lab("creatinine", 1.6, days_ago=5).build(), "review.dose-band-changed",
         True, for_drug="baricitinib", dose=("baricitinib", 2, "once daily")),
    Case("review.dose_band_changed", "EU baricitinib: creatinine 0.9 now (same band)",
         lambda: ra_on("baricitinib").with_lab("creatinine", 0.9, days_ago=5).build(),
         "review.dose-band-changed", False),
    # pre-treatment rules, as they apply to a patient already on the drug
    Case("vaccination.live_vaccine_on_treatment", "MMR 10 days ago while on baricitinib",
         lambda: ra_on("baricitinib").with_vaccine("mmr", days_ago=10).build(), "vaccine.live-during-treatment",
         True, for_drug="baricitinib", also_absent=("vaccine.live-recent",)),
    Case("vaccination.live_vaccine_on_treatment", "MMR before the start",
         lambda: ra_on("baricitinib").with_vaccine("mmr", days_ago=300).build(), "vaccine.live-during-treatment",
         False),
    Case("labs.cbc_missing", "on baricitinib: a missing baseline count is a monitoring matter, not a deferral",
         lambda: _without_labs(ra_on("baricitinib").build(), "lymphocytes", "neutrophils", "hemoglobin"),
         "lab.cbc-missing", False),
    Case("tuberculosis.tb_screening_missing", "on baricitinib with no TB test ever: screen now (caution)",
         lambda: _without(ra_on("baricitinib").build(), "tb-igra"), "tb.screening-missing", True,
         for_drug="baricitinib", verdict=("baricitinib", "caution")),
    Case("tuberculosis.tb_screening_missing", "on baricitinib for 2 years, IGRA before the start",
         lambda: ra_on("baricitinib", days=730).build(), "tb.screening-missing", False),
    Case("vaccination.zoster_vaccine_due", "on tofacitinib, admitted with pneumonia, one RZV dose: dose 2 deferred "
         "until the acute illness has resolved", lambda: _one_rzv(ra_on("tofacitinib").with_condition(
             "serious-infection", display="Pneumonia", days_ago=3).build()), "vaccine.zoster-due", True,
         for_drug="tofacitinib"),
    Case("vaccination.zoster_vaccine_due", "on baricitinib with no zoster vaccine: give RZV now",
         lambda: _no_rzv(ra_on("baricitinib").build()), "vaccine.zoster-due", True, for_drug="baricitinib"),
    Case("reproductive.pregnancy", "pregnant while on baricitinib: review now (contraindicated)",
         lambda: _pregnant(ra_on("baricitinib", age=30)).build(), "pregnancy.current", True,
         for_drug="baricitinib", verdict=("baricitinib", "contraindicated")),
    # US stop wording: myocardial infarction or stroke after the start
    Case("stop_avoid.stop_after_mi_or_stroke", "US, 72, tofacitinib for 3 years, NSTEMI 2 months ago: stop",
         lambda: _mi(_us(ra_on("tofacitinib", days=1095, age=72)), 60).build(), "mace.on-treatment-stop", True,
         region="US", for_drug="tofacitinib", verdict=("tofacitinib", "not-recommended")),
    Case("stop_avoid.stop_after_mi_or_stroke", "US, tofacitinib for 3 years, ischaemic stroke 1 month ago: stop",
         lambda: _us(ra_on("tofacitinib", days=1095)).with_condition(
             "ascvd", also=("stroke",), days_ago=30, display="Ischemic stroke").build(), "mace.on-treatment-stop", True,
         region="US", for_drug="tofacitinib"),
    Case("stop_avoid.stop_after_mi_or_stroke", "US, tofacitinib started 1 year after an MI: the pre-start CV rule "
         "(caution) applies, no stop", lambda: _mi(_us(ra_on("tofacitinib", days=1095)), 1460).build(),
         "mace.on-treatment-stop", False, region="US", verdict=("tofacitinib", "caution"),
         also_absent=("mace.on-treatment-confirm",)),
    Case("stop_avoid.stop_after_mi_or_stroke", "EU, tofacitinib, MI after the start: no EU stop wording encoded",
         lambda: _mi(ra_on("tofacitinib", days=1095), 60).build(), "mace.on-treatment-stop", False,
         verdict=("tofacitinib", "only-if-no-alternative")),
    Case("stop_avoid.stop_after_mi_or_stroke", "US, tofacitinib, MI with no date: confirm when it happened (defer)",
         lambda: _undated(_mi(_us(ra_on("tofacitinib", days=1095)), 60).build()), "mace.on-treatment-confirm",
         True, region="US", for_drug="tofacitinib", verdict=("tofacitinib", "defer"),
         also_absent=("mace.on-treatment-stop",)),
    Case("stop_avoid.stop_after_mi_or_stroke", "US, tofacitinib started on the day of an MI: which came first is "
         "unknown, confirm (defer)", lambda: _mi(_us(ra_on("tofacitinib", days=1095)), 1095).build(),
         "mace.on-treatment-confirm", True, region="US", for_drug="tofacitinib", verdict=("tofacitinib", "defer"),
         also_absent=("mace.on-treatment-stop",)),
    Case("stop_avoid.thrombosis_risk", "US, on tofacitinib, DVT 2 months ago: avoid, stop the current drug",
         lambda: _us(ra_on("tofacitinib", days=1095)).with_condition("vte", days_ago=60,
                                                                     display="Deep vein thrombosis").build(),
         "thrombosis.avoid", True, region="US", for_drug="tofacitinib", verdict=("tofacitinib", "not-recommended")),
    Case("reproductive.pregnancy_planned", "EU, 30, on upadacitinib, now planning a pregnancy: stop before trying "
         "to conceive (4-week washout), caution", lambda: ra_on("upadacitinib", age=30).with_condition(
             "pregnancy-planned", days_ago=3, display="Wants to become pregnant").build(), "pregnancy.planned", True,
         for_drug="upadacitinib", verdict=("upadacitinib", "caution")),
    Case("regulatory.tnf_inadequate_response_required", "US tofacitinib already taken without a TNF blocker "
         "on record: a start requirement, not re-checked", lambda: ra_on("tofacitinib").build(),
         "label.tnf-inadequate-response-required", False, region="US"),
    Case("knowledge_coverage.not_encoded", "EU upadacitinib on treatment, neutrophils 1.05: EU interruption threshold "
         "not encoded, within 10 % of the US one", lambda: ra_on("upadacitinib").with_lab("creatinine", 0.6, days_ago=1)
         .with_lab("neutrophils", 1.05, days_ago=1).build(),
         "knowledge.not-encoded", True, for_drug="upadacitinib", verdict=("upadacitinib", "caution")),
    Case("knowledge_coverage.not_encoded", "EU upadacitinib on treatment, neutrophils 1.2: not near any threshold",
         lambda: ra_on("upadacitinib").with_lab("creatinine", 0.6, days_ago=1).with_lab("neutrophils", 1.2, days_ago=1)
         .build(), "knowledge.not-encoded",
         False, for_drug="upadacitinib"),
]


def _anti_hbc(p: P) -> P:
    return p.with_result("anti-hbc", "positive", days_ago=STARTED + 5)


def _no_rzv(facts: PatientFacts) -> PatientFacts:
    return replace(facts, immunizations=tuple(i for i in facts.immunizations if i.concept != "zoster-recombinant"))


def _one_rzv(facts: PatientFacts) -> PatientFacts:
    first = next(i for i in facts.immunizations if i.concept == "zoster-recombinant")
    return replace(facts, immunizations=tuple(i for i in facts.immunizations
                                              if i.concept != "zoster-recombinant" or i is first))


def _mi(p: P, days_ago: int) -> P:
    """A coded NSTEMI `days_ago` (the code belongs to both the ASCVD and the myocardial-infarction value sets)."""
    return p.with_condition("ascvd", also=("myocardial-infarction",), days_ago=days_ago,
                            display="Non-ST elevation myocardial infarction")


def _undated(facts: PatientFacts) -> PatientFacts:
    return replace(facts, conditions=tuple(replace(c, onset=None) if c.concept in ("ascvd", "myocardial-infarction")
                                           else c for c in facts.conditions))


def _pregnant(p: P) -> P:
    from jakcheck.patient.facts import Tri

    return p.pregnant(Tri.PRESENT)
