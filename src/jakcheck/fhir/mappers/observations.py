"""Observation -> LabValue (a quantity in the concept's canonical unit) or CodedResult (positive, negative,
indeterminate); smoking status, pregnancy status and Child-Pugh class are read by their answers (`answers`).

A result not yet final can only make advice more cautious: a provisional positive counts, a provisional
negative or number does not close a screening gap. An amended or corrected result is used, with its status shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

from jakcheck.fhir.fields import BadDate, as_dict, as_list, as_num, as_str
from jakcheck.fhir.mappers.answers import (
    absent_reason,
    answer_ids,
    read_child_pugh,
    read_pregnancy_status,
    read_smoking,
)
from jakcheck.fhir.record import Record
from jakcheck.patient.facts import CodedResult, Comparator, LabValue, ResultValue, StatedFact, Tri
from jakcheck.patient.units import ImplausibleValue, UnitProblem, convert, to_canonical, unitless_ok

# Systems whose codes the value sets are expected to cover; an Observation coded in one of these that maps to
# no concept is a different test, so its free text is not searched (e.g. "Hemoglobin A1c" is not haemoglobin).
_STANDARD_OBSERVATION_SYSTEMS = frozenset({"http://loinc.org", "http://snomed.info/sct"})
_OBSERVATION_SKIP = frozenset({"entered-in-error", "cancelled"})
# Results not yet final: they can only make advice more cautious (a provisional positive counts; a provisional
# negative or number does not close a screening gap). "unknown" means the sender does not know which applies.
_OBSERVATION_PROVISIONAL = frozenset({"registered", "preliminary", "unknown"})
# Final results that replace an earlier version of the same result: used, and their status shown.
_OBSERVATION_REVISED = frozenset({"amended", "corrected"})
_RESULT_ANSWERS: dict[str, ResultValue] = {
    "result-positive": "positive", "result-negative": "negative", "result-indeterminate": "indeterminate",
}
# HL7 v3 ObservationInterpretation codes used when a qualitative test carries no coded value.
_INTERPRETATION: dict[str, ResultValue] = {
    "POS": "positive", "NEG": "negative", "IND": "indeterminate", "DET": "positive", "ND": "negative",
}
# Tests reported either as a quantity or as detected / not detected (viral loads): a coded answer is a
# qualitative result rather than a value with a missing unit.
_QUALITATIVE_OK = {"hcv-rna": True, "hbv-dna": True}
_COMPONENT_CONCEPTS = frozenset({"systolic-bp"})
# Observations read by their own answer rules rather than as a quantity or a positive/negative result.
_CODED_OBSERVATIONS = frozenset({"smoking-status", "pregnancy-status", "child-pugh"})
_BOUNDS = frozenset({"<", "<=", ">", ">="})  # valueQuantity.comparator values kept as a bound


def read_observation(r: Record, res: dict[str, Any], source: str) -> None:
    """An Observation coded with a known concept (or, when no coding is from a standard system, naming one in
    its text), or with a component the rules read (systolic blood pressure), dated on or before the
    assessment date."""
    status = res.get("status")
    if isinstance(status, str) and status in _OBSERVATION_SKIP:
        return
    code = res.get("code")
    # r.terms.match(code, "observation", source, allow_text=<no coding from a standard system>), in one pass
    # over the codings: most Observations of a record are standard-coded tests no rule reads.
    ids: list[str] = []
    allow_text = True
    codings = code.get("coding") if isinstance(code, dict) else None
    if isinstance(codings, list):
        terms = r.terms
        cache = terms.code_cache
        for coding in codings:
            if not isinstance(coding, dict):
                continue
            system = coding.get("system")
            if not isinstance(system, str):
                continue
            if system in _STANDARD_OBSERVATION_SYSTEMS:
                allow_text = False
            code_value = coding.get("code")
            if not isinstance(code_value, str):
                continue
            hit = cache.get((system, code_value, "observation"))
            if hit is None:
                hit = terms.lookup_code(system, code_value, "observation")
            for cid in hit:
                if cid not in ids:
                    ids.append(cid)
    by_text = False
    if not ids and allow_text:
        ids, matched = r.terms.match_text(code, "observation", source)
        by_text = matched == "text"
    components: list[tuple[str, dict[str, Any], int]] = []
    comps = res.get("component")
    if comps is not None:
        for i, comp in enumerate(as_list(comps)):
            for cid in r.terms.codes(as_dict(comp).get("code"), "observation"):
                if cid in _COMPONENT_CONCEPTS and cid not in ids:
                    components.append((cid, as_dict(comp), i))
    if not ids and not components:
        return
    subject = res.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    if subject is not None and not (isinstance(ref, str) and ref in r.index.patient_refs):
        r.index.check_subject(res, source, "subject")
    if "effectiveDateTime" in res:  # most Observations: _effective's first case, without the call
        raw_date: object = res["effectiveDateTime"]
        field = "effectiveDateTime"
    else:
        raw_date, field = _effective(res)
    problem: str | None = None
    effective = date.min
    if raw_date is None:
        problem = "no effective date or issued time"
    else:
        try:
            effective = r.parse_date(raw_date)
        except BadDate as exc:
            problem = str(exc)
        else:
            if effective > r.as_of:
                problem = (f"dated {effective.isoformat()}, after the assessment date "
                           f"{r.as_of.isoformat()}")
    if problem is not None:
        for cid in ids + [c[0] for c in components]:
            r.add_unusable(source, field, problem, cid)
        return
    result_status = status if isinstance(status, str) else None
    for cid in ids:
        _observation_value(r, res, source, cid, effective, "", result_status, by_text)
    for cid, comp, i in components:
        _observation_value(r, comp, source, cid, effective, f"component[{i}].", result_status)


def _observation_value(r: Record, res: dict[str, Any], source: str, cid: str, effective: date,
                       prefix: str, status: str | None = None, by_text: bool = False) -> None:
    concept = r.terms.concept(cid)
    if concept is None:
        return
    if cid in _CODED_OBSERVATIONS:
        if cid == "smoking-status":
            read_smoking(r, res, source, effective, prefix)
        elif cid == "pregnancy-status":
            read_pregnancy_status(r, res, source, effective, prefix)
        else:
            read_child_pugh(r, res, source, effective, prefix)
        return
    provisional = status in _OBSERVATION_PROVISIONAL
    if concept.unit and (res.get("valueQuantity") is not None or not _QUALITATIVE_OK.get(cid)):
        if provisional:
            r.add_unusable(source, "status", f"the result is {status}, not final: a number is used only once "
                                             "the result is final", cid)
            return
        _quantity(r, res, source, cid, concept.unit, effective, prefix, status)
        return
    result, original = _qualitative(r, res)
    if result is None:
        reason = absent_reason(res) or (
            "a number without a positive/negative interpretation (the assay's cut-off is not known here)"
            if isinstance(res.get("valueQuantity"), dict) else "no recognised positive/negative result")
        r.add_unusable(source, prefix + "value[x]", reason, cid)
        return
    if provisional and result != "positive":
        r.add_unusable(source, "status", f"the result ({original}) is {status}, not final: a {result} result "
                                         "counts only once final", cid)
        return
    if provisional or status in _OBSERVATION_REVISED:
        original = f"{original} ({status})"
    r.results.append(CodedResult(cid, result, effective, source, original, "text" if by_text else "code"))
    # A test named only in text may say "pregnant" (more cautious) but never clears pregnancy.
    if cid == "pregnancy-test" and result != "indeterminate" and not (by_text and result == "negative"):
        state = Tri.PRESENT if result == "positive" else Tri.ABSENT
        r.set_pregnant(effective, 2, StatedFact(state, source, effective))


def _quantity(r: Record, res: dict[str, Any], source: str, cid: str, unit: str, effective: date,
              prefix: str, status: str | None = None) -> None:
    vq = res.get("valueQuantity")
    if vq is None and unitless_ok(cid) and as_num(res.get("valueInteger")) is not None:
        vq = {"value": res["valueInteger"]}  # a joint count or score sent as an integer
    if not isinstance(vq, dict):
        reason = absent_reason(res)
        if reason is None:
            present = [k for k in res if k.startswith("value")]
            reason = f"{present[0]} is not a quantity" if present else "no value"
        r.add_unusable(source, prefix + "valueQuantity", reason, cid)
        return
    raw_value = vq.get("value")
    value = as_num(raw_value)
    if value is None:
        r.add_unusable(source, prefix + "valueQuantity.value", "missing or not a number", cid)
        return
    comparator = vq.get("comparator")
    code, text = vq.get("code"), vq.get("unit")
    if code.__class__ is not str:
        code = as_str(code)
    if text.__class__ is not str:
        text = as_str(text)
    original = f"{raw_value} {code or text or ''}".strip()
    # a bound is kept with its comparator (LabValue); anything else is not a measurement
    if comparator is not None and not (isinstance(comparator, str) and comparator in _BOUNDS):
        r.add_unusable(source, prefix + "valueQuantity.comparator",
                       f"value is a bound ({comparator}{original}), not a measurement", cid)
        return
    try:
        canonical = _convert_quantity(to_canonical, cid, value, code, text, unit)
    except UnitProblem as exc:
        r.add_unusable(source, prefix + "valueQuantity.unit" if not _is_range(exc) else
                       prefix + "valueQuantity.value", exc.reason, cid)
        return
    high: float | None = None
    ranges = res.get("referenceRange")
    if isinstance(ranges, list) and ranges:
        hq = as_dict(ranges[0]).get("high")
        if isinstance(hq, dict) and as_num(hq.get("value")) is not None:
            hv = as_num(hq.get("value"))
            assert hv is not None
            h_code, h_text = as_str(hq.get("code")), as_str(hq.get("unit"))
            if h_code is None and h_text is None:  # a bare number is in the value's unit
                h_code, h_text = code, text
            try:
                high = _convert_quantity(convert, cid, hv, h_code, h_text, unit)
            except UnitProblem as exc:
                r.add_unusable(source, prefix + "referenceRange[0].high", exc.reason, cid)
    if status in _OBSERVATION_REVISED:
        original = f"{original} ({status})"
    r.labs.append(LabValue(cid, canonical, unit, effective, source,
                           original if comparator is None else comparator + original, high,
                           cast("Comparator | None", comparator)))


def _qualitative(r: Record, res: dict[str, Any]) -> tuple[ResultValue | None, str]:
    ids, shown = answer_ids(r, res)
    results = {_RESULT_ANSWERS[c] for c in ids if c in _RESULT_ANSWERS}
    if len(results) == 1:
        return results.pop(), shown
    if len(results) > 1:
        return None, shown
    for interp in as_list(res.get("interpretation")):
        for coding in as_list(as_dict(interp).get("coding")):
            code = as_str(as_dict(coding).get("code"))
            if code in _INTERPRETATION:
                return _INTERPRETATION[code], shown or f"interpretation {code}"
    return None, shown


def _is_range(exc: UnitProblem) -> bool:
    return isinstance(exc, ImplausibleValue)


def _convert_quantity(fn: Callable[[str, float, str | None, str], float], cid: str, value: float, code: str | None,
                      text: str | None, unit: str) -> float:
    """`fn` (to_canonical or convert) on a Quantity's value: by its UCUM code, and by its unit text when the code
    is refused for its unit (not for its value) and the text differs."""
    if code is not None and code != text:
        try:
            return fn(cid, value, code, unit)
        except UnitProblem as exc:
            if text is None or _is_range(exc):
                raise
    return fn(cid, value, text if text is not None else code, unit)


def _effective(res: dict[str, Any]) -> tuple[object, str]:
    if "effectiveDateTime" in res:
        return res["effectiveDateTime"], "effectiveDateTime"
    if "effectivePeriod" in res:
        start = as_dict(res["effectivePeriod"]).get("start")
        if start is not None:
            return start, "effectivePeriod.start"
    if "effectiveInstant" in res:
        return res["effectiveInstant"], "effectiveInstant"
    if "issued" in res:
        return res["issued"], "issued"
    return None, "effective[x]"
