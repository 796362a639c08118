"""Facts derived from Patient Facts: age, latest results within a window, eGFR, CrCl, current medicines.

Pure functions of the facts and `as_of`; nothing here reads the clock. A derived value records the facts it
was computed from, so a finding can show its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from jakcheck.patient.facts import (
    CodedResult,
    Comparator,
    ConditionFact,
    ImmunizationFact,
    LabValue,
    MedicationFact,
    PatientFacts,
    StaleEntry,
    StatedFact,
    Tri,
)


def age_on(birth: date, on: date) -> int:
    """Completed years of age on a date."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_years(facts: PatientFacts) -> int | None:
    return age_on(facts.birth_date, facts.as_of) if facts.birth_date else None


def days_before(facts: PatientFacts, days: int) -> date:
    return facts.as_of - timedelta(days=days)


def labs_of(facts: PatientFacts, concept: str) -> tuple[LabValue, ...]:
    """The measured labs of one concept in record order (`facts.index`); bounds ("< 0.5") are not in it: see
    latest_value_or_bound."""
    return facts.index.labs.get(concept, ())


def latest_value_or_bound(facts: PatientFacts, concept: str, within_days: int | None = None) -> LabValue | None:
    """The most recent value of a lab concept, a bound ("< 0.5") included; on the same day a measurement wins.
    For a rule that compares it only where `settles` says the bound answers the question."""
    start = days_before(facts, within_days) if within_days is not None else date.min
    best: LabValue | None = None
    for lab in facts.labs:
        if lab.concept == concept and start <= lab.effective <= facts.as_of and (
            best is None or (lab.effective, lab.comparator is None, lab.source)
                > (best.effective, best.comparator is None, best.source)):
            best = lab
    return best


def is_below(lab: LabValue, threshold: float) -> bool | None:
    """Whether the true value is below `threshold` (value < threshold): True or False when the lab is a
    measurement or a bound that settles it, None when the bound leaves it open. "< X" is below T for sure only
    when X <= T, and never above it; "> X" is not below T when X >= T. A bound that includes its edge ("<=",
    ">=") settles only a threshold strictly beyond it, so that an edge counted on either side is safe."""
    v = lab.value
    match lab.comparator:
        case None:
            return v < threshold
        case "<":
            return True if v <= threshold else None
        case "<=":
            return True if v < threshold else None
        case ">":
            return False if v >= threshold else None
        case _:  # ">="
            return False if v > threshold else None


def settles(lab: LabValue, thresholds: Iterable[float]) -> bool:
    """A measurement, or a bound that answers every comparison with the thresholds (at least one): only then
    may a rule use it."""
    edges = list(thresholds)
    return lab.comparator is None or (bool(edges) and all(is_below(lab, t) is not None for t in edges))


def shown_value(lab: LabValue) -> str:
    """The value with its comparator, e.g. "<0.5"."""
    return f"{lab.comparator or ''}{lab.value:g}"


def latest_lab(facts: PatientFacts, concept: str, within_days: int | None = None) -> LabValue | None:
    """The most recent measured value of a lab concept dated on or before `as_of`, optionally no older than
    `within_days`. The latest one is in `facts.index`: when it is older than the window, every other one is too."""
    latest = facts.index.latest_lab.get(concept)
    if latest is None or within_days is None or latest.effective >= days_before(facts, within_days):
        return latest
    return None


def lab_series(facts: PatientFacts, concept: str) -> list[LabValue]:
    return sorted((lab for lab in labs_of(facts, concept) if lab.effective <= facts.as_of),
                  key=lambda lab: (lab.effective, lab.source))


def latest_result(facts: PatientFacts, concepts: Iterable[str],
                  within_days: int | None = None, *, coded_only: bool = False) -> CodedResult | None:
    """The latest result of the tests, optionally no older than `within_days`. `coded_only`: only tests named
    by a code, for a result that would clear a screening gap (a test named in text only never does)."""
    wanted = set(concepts)
    start = days_before(facts, within_days) if within_days is not None else date.min
    best: CodedResult | None = None
    for r in facts.results:
        if coded_only and r.matched_by != "code":
            continue
        if r.concept in wanted and start <= r.effective <= facts.as_of and (
            best is None or (r.effective, r.source) > (best.effective, best.source)
        ):
            best = r
    return best


def _conditions_of(facts: PatientFacts, concepts: tuple[str, ...]) -> list[ConditionFact]:
    """The conditions of some concepts in record order (`facts.index`)."""
    index = facts.index.conditions
    if len(concepts) == 1:
        return [c for _, c in index.get(concepts[0], ())]
    return [c for _, c in sorted(entry for cid in set(concepts) for entry in index.get(cid, ()))]


def conditions(facts: PatientFacts, *concepts: str, active_only: bool = False) -> list[ConditionFact]:
    return [c for c in _conditions_of(facts, concepts)
            if (c.active or not active_only) and (c.onset is None or c.onset <= facts.as_of)]


# Time-bound concepts: an entry recorded as current counts as current only within its window, set by the threshold
# named here (knowledge/data/thresholds.yaml; a site may set its own value). Pregnancy covers both an active
# pregnancy Condition and a "pregnant" status observation.
ACTIVE_WINDOWS: dict[str, str] = {
    "pregnancy": "pregnancy-current-window-days",
    "serious-infection": "serious-infection-active-window-days",
    "malignancy": "malignancy-active-window-days",
    "vte": "vte-active-window-days",
}


def apply_windows(facts: PatientFacts, windows: Mapping[str, tuple[str, int]]) -> PatientFacts:
    """The facts with every time-bound entry older than its window read as history, and every pregnancy entry
    (an active Condition, a "pregnant" status) dated on or before a recorded end of pregnancy (a delivery, a
    termination, a miscarriage or stillbirth: `pregnancy_ends`) read as a past pregnancy whatever its age.

    `windows` maps a concept to (threshold key, days). An active Condition of such a concept whose onset is more
    than `days` before `as_of` becomes inactive (a past condition: it still counts wherever history counts); a
    "pregnant" status dated before the pregnancy window becomes unknown (not "not pregnant"). Each is kept in
    `facts.stale` so that it is reported. An entry without a date is left as recorded (it cannot be shown to be
    old). Returns `facts` itself when nothing is stale."""
    stale: list[StaleEntry] = []
    seen: set[tuple[str, str]] = set()
    ends = pregnancy_ends(facts)

    def ended(when: date | None) -> tuple[date, str] | None:
        """The first recorded end of pregnancy on or after `when` (None for an undated entry)."""
        return next((e for e in ends if when is not None and when <= e[0]), None)

    def too_old(concept: str, when: date | None) -> tuple[str, int] | None:
        window = windows.get(concept)
        if window is None or when is None or (facts.as_of - when).days <= window[1]:
            return None
        return window

    conds = list(facts.conditions)
    pregnancy_window = windows.get("pregnancy")
    for i, c in enumerate(conds):
        end = ended(c.onset) if c.active and c.concept == "pregnancy" and pregnancy_window else None
        if end is not None and c.onset is not None and pregnancy_window is not None:
            conds[i] = replace(c, active=False)
            if (c.concept, c.source) not in seen:
                seen.add((c.concept, c.source))
                stale.append(StaleEntry(c.concept, c.source, c.display, c.onset, pregnancy_window[1],
                                        pregnancy_window[0], ended_by=end[1], ended_on=end[0]))
            continue
        window = too_old(c.concept, c.onset) if c.active else None
        if window is None or c.onset is None:  # (too_old is None without an onset)
            continue
        conds[i] = replace(c, active=False)
        if (c.concept, c.source) not in seen:
            seen.add((c.concept, c.source))
            stale.append(StaleEntry(c.concept, c.source, c.display, c.onset, window[1], window[0]))
    pregnant = facts.pregnant
    when = pregnant.effective
    window = too_old("pregnancy", when) if pregnant.state == Tri.PRESENT else None
    end = ended(when) if pregnant.state == Tri.PRESENT and pregnancy_window is not None else None
    if when is not None and pregnancy_window is not None and (window is not None or end is not None):
        window = pregnancy_window if end is not None else window
        assert window is not None
        pregnant = StatedFact(Tri.UNKNOWN, pregnant.source, when)
        source = pregnant.source or facts.patient_source
        if ("pregnancy", source) not in seen:
            stale.append(StaleEntry("pregnancy", source, "Pregnancy status: pregnant", when, window[1], window[0],
                                    ended_by=end[1] if end else None, ended_on=end[0] if end else None))
    if not stale:
        return facts
    return replace(facts, conditions=tuple(conds), pregnant=pregnant, stale=facts.stale + tuple(stale))


PREGNANCY_END_PROCEDURE = "pregnancy-end-procedure"  # a delivery or termination (Procedure)
PREGNANCY_END = "pregnancy-end"  # a miscarriage or stillbirth (Condition)


def pregnancy_ends(facts: PatientFacts) -> list[tuple[date, str]]:
    """Recorded ends of pregnancy on or before `as_of`, oldest first: completed delivery or termination
    procedures and miscarriage or stillbirth conditions (by onset, whatever their status), with their source."""
    ends = [(p.performed, p.source) for p in facts.procedures
            if p.concept == PREGNANCY_END_PROCEDURE and p.performed <= facts.as_of]
    ends += [(c.onset, c.source) for c in facts.conditions
             if c.concept == PREGNANCY_END and c.onset is not None and c.onset <= facts.as_of]
    return sorted(ends)


def medications_with_class(facts: PatientFacts, cls: str, *, current_only: bool = True) -> list[MedicationFact]:
    return [m for m in facts.medications
            if cls in m.classes and (m.current or not current_only)
            and (m.start is None or m.start <= facts.as_of)]


def current_jak_therapy(facts: PatientFacts, drug_ids: Iterable[str]) -> MedicationFact | None:
    """The JAK (or TYK2) inhibitor the patient is taking on `as_of`: a current medication whose concept is a
    drug of the knowledge release. With more than one (e.g. the day of a switch), the most recently started
    one; a medication without a start date sorts before dated ones."""
    known = set(drug_ids)
    current = [m for m in facts.medications
               if m.concept in known and m.current and (m.start is None or m.start <= facts.as_of)]
    if not current:
        return None
    return max(current, key=lambda m: (m.start or date.min, m.source))


def immunizations(facts: PatientFacts, *concepts: str, within_days: int | None = None) -> list[ImmunizationFact]:
    wanted = set(concepts)
    start = days_before(facts, within_days) if within_days is not None else date.min
    return sorted((i for i in facts.immunizations
                   if i.concept in wanted and start <= i.occurred <= facts.as_of),
                  key=lambda i: (i.occurred, i.source))


@dataclass(frozen=True)
class RenalFunction:
    """A renal-function value in the measure a label uses, with how it was obtained."""

    measure: str  # "egfr" or "crcl-cockcroft-gault"
    value: float
    method: str  # "recorded", "CKD-EPI 2021 from creatinine", "Cockcroft-Gault"
    evidence: tuple[str, ...]
    effective: date
    # A recorded eGFR reported as a bound ("> 90"), used only when it settles every band edge compared.
    comparator: Comparator | None = None

    @property
    def shown(self) -> str:
        """The value as recorded, e.g. "48.2" or ">90"."""
        return f"{self.comparator or ''}{self.value:g}"

    @property
    def compare_value(self) -> float:
        """A value inside the range the bound allows, for finding its band: the bound settles every edge, so
        there is no edge between it and the recorded number."""
        match self.comparator:
            case "<":
                return self.value - 1.0
            case ">":
                return self.value + 1.0
            case _:
                return self.value


def ckd_epi_2021(creatinine_mg_dl: float, age: int, sex: str) -> float:
    """eGFR (mL/min/1.73 m2) by the race-free CKD-EPI 2021 creatinine equation (Inker et al., NEJM 2021)."""
    female = sex == "female"
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = creatinine_mg_dl / kappa
    egfr: float = 142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age
    return egfr * 1.012 if female else egfr


def cockcroft_gault(creatinine_mg_dl: float, age: int, weight_kg: float, sex: str) -> float:
    """Creatinine clearance (mL/min) by Cockcroft-Gault (1976), actual body weight, x0.85 for women."""
    crcl = (140 - age) * weight_kg / (72.0 * creatinine_mg_dl)
    return crcl * 0.85 if sex == "female" else crcl


def renal_function(facts: PatientFacts, measure: str, within_days: int,
                   bound_edges: Sequence[float] = ()) -> RenalFunction | None:
    """The renal function in the label's own measure, from the most recent data within the window.

    eGFR: a recorded eGFR is used when it is at least as recent as the latest creatinine; otherwise eGFR is
    computed from creatinine by CKD-EPI 2021. CrCl: always Cockcroft-Gault from creatinine, weight, age, sex;
    it is never substituted by eGFR. A recorded eGFR reported as a bound ("> 90") is used, under the same rule,
    only when it settles every one of `bound_edges` (the band edges a rule compares it with). Returns None when
    the inputs are missing (unknown stays unknown).
    """
    age = age_years(facts)
    creat = latest_lab(facts, "creatinine", within_days)
    if measure == "egfr" and bound_edges:
        bound = latest_value_or_bound(facts, "egfr", within_days)
        if bound is not None and bound.comparator is not None and settles(bound, bound_edges) and (
                creat is None or bound.effective >= creat.effective):
            return RenalFunction("egfr", bound.value, "recorded as a bound", (bound.source,), bound.effective,
                                 bound.comparator)
    if measure == "egfr":
        recorded = latest_lab(facts, "egfr", within_days)
        if recorded is not None:  # two eGFRs on the same day (e.g. different equations): the lower one counts
            same_day = [lab for lab in labs_of(facts, "egfr") if lab.effective == recorded.effective]
            recorded = min(same_day, key=lambda lab: (lab.value, lab.source))
        if recorded and (creat is None or recorded.effective >= creat.effective):
            return RenalFunction("egfr", recorded.value, "recorded", (recorded.source,), recorded.effective)
        if creat and age is not None and facts.sex in ("female", "male"):
            value = ckd_epi_2021(creat.value, age, facts.sex)
            return RenalFunction("egfr", round(value, 1), "CKD-EPI 2021 from creatinine",
                                 (creat.source, facts.patient_source), creat.effective)
        return None
    weight = latest_lab(facts, "weight", 365)
    if creat and weight and age is not None and facts.sex in ("female", "male"):
        value = cockcroft_gault(creat.value, age, weight.value, facts.sex)
        return RenalFunction("crcl-cockcroft-gault", round(value, 1), "Cockcroft-Gault",
                             (creat.source, weight.source, facts.patient_source), creat.effective)
    return None


def prednisone_equivalent_today(facts: PatientFacts) -> tuple[float | None, list[MedicationFact]]:
    """Sum of current systemic glucocorticoid doses in mg prednisone equivalent per day.

    Returns (None, meds) when a current glucocorticoid has no computable dose: the total is then unknown.
    """
    meds = medications_with_class(facts, "glucocorticoid")
    if not meds:
        return 0.0, []
    if any(m.prednisone_equivalent_mg is None for m in meds):
        return None, meds
    return sum(m.prednisone_equivalent_mg or 0.0 for m in meds), meds
