"""Dosage arithmetic: the daily dose in mg of a medication order or statement, and the period it covers.

A daily dose is given only when it is unambiguous: one dose quantity, not "as needed", in a mass unit or in
tablets/capsules of a strength read from a single-ingredient solid form's name, with a frequency from
Timing.repeat or an HL7 v3 timing code. Anything else gives None (the dose is not known), never a guess.
"""

from __future__ import annotations

import re
from typing import Any

from jakcheck.fhir.fields import as_dict, as_list, as_num, as_str

# Days per UCUM time unit in Timing.repeat.periodUnit (mo and a: mean Julian month and year, as in UCUM).
_PERIOD_DAYS = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.4375, "a": 365.25}
# HL7 v3 GTSAbbreviation timing codes -> administrations per day.
_TIMING_CODES = {
    "QD": 1.0, "AM": 1.0, "PM": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0, "QOD": 0.5, "WK": 1 / 7,
    "Q4H": 6.0, "Q6H": 4.0, "Q8H": 3.0, "Q12H": 2.0,
}
_MG_PER_UNIT = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "µg": 0.001}
_DOSE_FORM_UNITS = frozenset({
    "", "1", "{tbl}", "{tablet}", "{tablets}", "tablet", "tablets", "tab", "tabs", "TAB", "{capsule}",
    "capsule", "capsules", "cap", "CAP", "{Tablet}", "Tablet", "Capsule",
})
_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*MG\b(\s*/)?", re.IGNORECASE)
_SOLID_FORM = re.compile(r"\b(tablet|capsule)\b", re.IGNORECASE)


def medication_period(res: dict[str, Any]) -> tuple[tuple[object, str], tuple[object, str]]:
    """((start, field), (end, field)): dosage boundsPeriod, then MedicationStatement.effective[x], then
    dispenseRequest.validityPeriod, then authoredOn for the start. Each end of the period is taken from the first
    of these that gives it."""
    statement = res.get("resourceType") == "MedicationStatement"
    key = "dosage" if statement else "dosageInstruction"
    # (period, its field path), in order of preference
    periods: list[tuple[dict[str, Any], str]] = [
        (as_dict(as_dict(as_dict(as_dict(di).get("timing")).get("repeat")).get("boundsPeriod")),
         f"{key}[{i}].timing.repeat.boundsPeriod")
        for i, di in enumerate(as_list(res.get(key)))]
    if statement:
        periods.append((as_dict(res.get("effectivePeriod")), "effectivePeriod"))
        periods.append(({"start": res.get("effectiveDateTime")}, "effectiveDateTime"))
    periods.append((as_dict(as_dict(res.get("dispenseRequest")).get("validityPeriod")),
                    "dispenseRequest.validityPeriod"))
    periods.append(({"start": res.get("authoredOn")}, "authoredOn"))
    start: tuple[object, str] = (None, "")
    end: tuple[object, str] = (None, "")
    for period, field in periods:
        single = field in ("effectiveDateTime", "authoredOn")  # a date, not a Period: its own field name
        if start[0] is None and period.get("start") is not None:
            start = (period["start"], field if single else field + ".start")
        if end[0] is None and period.get("end") is not None:
            end = (period["end"], field + ".end")
    return start, end


def daily_dose_mg(res: dict[str, Any], cc: object) -> float | None:
    """mg per day of a MedicationRequest (dosageInstruction) or MedicationStatement (dosage) whose medication is
    the CodeableConcept `cc`; None when it cannot be worked out unambiguously."""
    doses = []
    for di in as_list(res.get("dosageInstruction")) + as_list(res.get("dosage")):
        di = as_dict(di)
        for dr in as_list(di.get("doseAndRate")):
            dq = as_dict(dr).get("doseQuantity")
            if isinstance(dq, dict):
                doses.append((di, dq))
    if len(doses) != 1:
        return None
    di, dq = doses[0]
    if di.get("asNeededBoolean") is True or "asNeededCodeableConcept" in di:
        return None
    value = as_num(dq.get("value"))
    if value is None or value <= 0:
        return None
    unit = (as_str(dq.get("code")) or as_str(dq.get("unit")) or "").strip()
    if unit in _MG_PER_UNIT:
        per_dose = value * _MG_PER_UNIT[unit]
    elif unit in _DOSE_FORM_UNITS:
        strength = _strength_mg(cc)
        if strength is None:
            return None
        per_dose = value * strength
    else:
        return None
    per_day = _per_day(as_dict(di.get("timing")))
    return None if per_day is None else per_dose * per_day


def _strength_mg(cc: object) -> float | None:
    """Per-unit strength from a single-ingredient solid oral form display, e.g. "predniSONE 5 MG Oral Tablet"."""
    d = as_dict(cc)
    texts = [as_str(as_dict(c).get("display")) for c in as_list(d.get("coding"))] + [as_str(d.get("text"))]
    found: set[float] = set()
    for t in texts:
        if not t or not _SOLID_FORM.search(t):
            continue
        strengths = _STRENGTH.findall(t)
        if len(strengths) != 1 or strengths[0][1]:
            return None  # several ingredients, or a per-volume strength (MG/ML)
        found.add(float(strengths[0][0]))
    return found.pop() if len(found) == 1 else None


def _per_day(timing: dict[str, Any]) -> float | None:
    repeat = timing.get("repeat")
    if isinstance(repeat, dict) and ("frequency" in repeat or "period" in repeat):
        freq = as_num(repeat.get("frequency", 1))
        period = as_num(repeat.get("period", 1))
        unit = repeat.get("periodUnit", "d")
        if freq is None or period is None or period <= 0 or freq <= 0 or not isinstance(unit, str) \
                or unit not in _PERIOD_DAYS:
            return None
        return freq / (period * _PERIOD_DAYS[unit])
    for coding in as_list(as_dict(timing.get("code")).get("coding")):
        code = as_str(as_dict(coding).get("code"))
        if code in _TIMING_CODES:
            return _TIMING_CODES[code]
    return None
