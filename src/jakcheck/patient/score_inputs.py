"""Calculator inputs gathered from Patient Facts: what the record says, in the calculators' units, and nothing more.

Pure functions of the facts (`as_of` included); nothing is guessed. Every input is an `Item` with its value (or
None when the record does not give it) and the facts it came from, so a score can show its inputs and say which
were missing.

Yes/no inputs are three-valued, as everywhere in jakcheck:

* present - the record shows it: an active diabetes Condition, a current statin or antihypertensive (medication
  class from the value sets), smoking status "current";
* absent - the record *states* it: smoking status "never" or "former" (former smokers are not current smokers in
  any of the risk models), or a patient card listing `diabetes`, `statin` or `antihypertensive` under
  `known_absent`;
* unknown (None) - anything else. A problem list without diabetes, or a medication list without a statin, is not
  read as "no": the record may simply be incomplete. The score is then not a single number (see
  `jakcheck.rules.scores`, which bounds it over both answers).

Windows (jakcheck's choices, shown in docs/calculators.md): lipids 5 years; systolic blood pressure, eGFR, BMI and
weight 1 year; height 5 years; disease activity (joint counts, global assessments, recorded scores) and the ESR /
CRP used with them 90 days. The latest value in the window is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jakcheck.patient.derived import age_years, conditions, latest_lab, medications_with_class, renal_function
from jakcheck.patient.facts import LabValue, PatientFacts

LIPID_WINDOW_DAYS = 5 * 365
VITALS_WINDOW_DAYS = 365
HEIGHT_WINDOW_DAYS = 5 * 365
RENAL_WINDOW_DAYS = 365
DISEASE_ACTIVITY_WINDOW_DAYS = 90

RA_CONDITIONS = ("rheumatoid-arthritis",)
AXSPA_CONDITIONS = ("ankylosing-spondylitis", "nr-axial-spondyloarthritis")


@dataclass(frozen=True)
class Item:
    """One calculator input as the record gives it. `value` is in the calculator's documented unit; None means
    not on record (for a yes/no input: not stated)."""

    key: str
    value: float | int | bool | str | None
    evidence: tuple[str, ...] = ()
    effective: date | None = None
    note: str | None = None


def _lab(key: str, lab: LabValue | None, note: str | None = None) -> Item:
    if lab is None:
        return Item(key, None)
    return Item(key, lab.value, (lab.source,), lab.effective, note)


def _flag(facts: PatientFacts, key: str, found: list[str], absent_word: str) -> Item:
    if found:
        return Item(key, True, tuple(found))
    if absent_word in facts.known_absent:
        return Item(key, False, ("card:known_absent",), note=f"{absent_word} stated as absent")
    return Item(key, None)


def risk_items(facts: PatientFacts) -> dict[str, Item]:
    """Inputs of the cardiovascular risk calculators (PREVENT, SCORE2/SCORE2-OP, PCE), keyed by input name."""
    items: dict[str, Item] = {}
    age = age_years(facts)
    items["age"] = Item("age", age, (facts.patient_source,) if age is not None else (),
                        note="age from an estimated birth date" if facts.birth_date_estimated and age else None)
    sex = facts.sex if facts.sex in ("female", "male") else None
    items["sex"] = Item("sex", sex, (facts.patient_source,) if sex else ())
    items["race"] = Item("race", facts.race, (facts.patient_source,) if facts.race else ())
    items["total_cholesterol"] = _lab("total_cholesterol", latest_lab(facts, "cholesterol-total", LIPID_WINDOW_DAYS))
    items["hdl_cholesterol"] = _lab("hdl_cholesterol", latest_lab(facts, "hdl", LIPID_WINDOW_DAYS))
    items["systolic_bp"] = _lab("systolic_bp", latest_lab(facts, "systolic-bp", VITALS_WINDOW_DAYS))

    s = facts.smoking
    smoker = None if s.status == "unknown" else s.status == "current"
    items["current_smoker"] = Item("current_smoker", smoker, (s.source,) if s.source and smoker is not None else (),
                                   s.effective, note="former smoker: not a current smoker"
                                   if s.status == "former" else None)
    items["diabetes"] = _flag(facts, "diabetes", [c.source for c in conditions(facts, "diabetes", active_only=True)],
                              "diabetes")
    items["on_antihypertensive"] = _flag(
        facts, "on_antihypertensive", [m.source for m in medications_with_class(facts, "antihypertensive")],
        "antihypertensive")
    items["on_statin"] = _flag(facts, "on_statin", [m.source for m in medications_with_class(facts, "statin")],
                               "statin")

    renal = renal_function(facts, "egfr", RENAL_WINDOW_DAYS)
    items["egfr"] = (Item("egfr", renal.value, renal.evidence, renal.effective,
                          None if renal.method == "recorded" else f"eGFR {renal.method}")
                     if renal is not None else Item("egfr", None))
    items["bmi"] = bmi_item(facts)
    ra = conditions(facts, *RA_CONDITIONS, active_only=True)
    if ra:
        items["rheumatoid_arthritis"] = Item("rheumatoid_arthritis", True, tuple(c.source for c in ra))
    return items


def bmi_item(facts: PatientFacts) -> Item:
    """BMI as recorded, or from the latest weight and height (kg / m^2) when no BMI is recorded in the window."""
    recorded = latest_lab(facts, "bmi", VITALS_WINDOW_DAYS)
    if recorded is not None:
        return _lab("bmi", recorded)
    weight = latest_lab(facts, "weight", VITALS_WINDOW_DAYS)
    height = latest_lab(facts, "height", HEIGHT_WINDOW_DAYS)
    if weight is None or height is None or height.value <= 0:
        return Item("bmi", None)
    bmi = weight.value / (height.value / 100.0) ** 2
    return Item("bmi", round(bmi, 1), (weight.source, height.source), max(weight.effective, height.effective),
                note=f"BMI from weight {weight.value:g} kg and height {height.value:g} cm")


def has_ra(facts: PatientFacts) -> bool:
    return bool(conditions(facts, *RA_CONDITIONS, active_only=True))


def has_axspa(facts: PatientFacts) -> bool:
    return bool(conditions(facts, *AXSPA_CONDITIONS, active_only=True))


# Disease activity: calculator input -> observation concept. The 0-10 global assessments are stored on the 0-10
# scale ({score}); the DAS28 takes the patient global on a 100 mm scale, which the caller converts.
DISEASE_ACTIVITY_CONCEPTS = {
    "tender_joints_28": "tender-joints-28",
    "swollen_joints_28": "swollen-joints-28",
    "patient_global": "patient-global-activity",
    "evaluator_global": "evaluator-global-activity",
    "back_pain": "asdas-back-pain",
    "morning_stiffness_duration": "asdas-morning-stiffness",
    "peripheral_pain_swelling": "asdas-peripheral",
    "esr": "esr",
    "crp": "crp",
}
RECORDED_SCORES = {"das28": "das28-score", "cdai": "cdai-score", "sdai": "sdai-score"}
RA_SPECIFIC = ("tender_joints_28", "swollen_joints_28", "patient_global", "evaluator_global")
AXSPA_SPECIFIC = ("back_pain", "morning_stiffness_duration", "peripheral_pain_swelling", "patient_global")


def disease_activity_items(facts: PatientFacts) -> dict[str, Item]:
    """Disease-activity inputs (latest within 90 days) and recorded total scores (keys "score:das28", ...)."""
    items: dict[str, Item] = {}
    for key, concept in DISEASE_ACTIVITY_CONCEPTS.items():
        lab = latest_lab(facts, concept, DISEASE_ACTIVITY_WINDOW_DAYS)
        if key in ("tender_joints_28", "swollen_joints_28") and lab is not None:
            count = int(lab.value) if lab.value == int(lab.value) else lab.value  # a fraction is refused later
            items[key] = Item(key, count, (lab.source,), lab.effective)
        else:
            items[key] = _lab(key, lab)
    for name, concept in RECORDED_SCORES.items():
        items[f"score:{name}"] = _lab(f"score:{name}", latest_lab(facts, concept, DISEASE_ACTIVITY_WINDOW_DAYS))
    return items
