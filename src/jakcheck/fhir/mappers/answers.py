"""Observations read by their answer rather than as a quantity or a positive/negative result: smoking status,
pregnancy status and Child-Pugh class."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal, cast

from jakcheck.fhir.coding import display, texts
from jakcheck.fhir.fields import as_dict, as_list, as_num, as_str
from jakcheck.fhir.record import Record
from jakcheck.patient.facts import SmokingFact, SmokingStatus, StatedFact, Tri

_SMOKING_ANSWERS: dict[str, SmokingStatus] = {
    "smoking-current": "current", "smoking-former": "former", "smoking-never": "never",
    "smoking-unknown": "unknown",
}
_SMOKING_SEVERITY = {"unknown": 0, "never": 1, "former": 2, "current": 3}
# LOINC answer list LL4129-4 (pregnancy status, LOINC 82810-3), used when the value sets do not cover them.
_PREGNANCY_ANSWERS: dict[tuple[str, str], Tri] = {
    ("http://snomed.info/sct", "77386006"): Tri.PRESENT,  # Pregnant
    ("http://snomed.info/sct", "60001007"): Tri.ABSENT,  # Not pregnant
    ("http://snomed.info/sct", "261665006"): Tri.UNKNOWN,  # Unknown
}
_CP_LETTER = re.compile(r"(?:^|[^a-z])(?:class|child[- ]?pugh|grade)?\s*([abc])\s*$")


def answer_ids(r: Record, res: dict[str, Any]) -> tuple[list[str], str]:
    """Answer concepts of an Observation's valueCodeableConcept (by code, else by its text or valueString),
    and the answer as written."""
    cc = res.get("valueCodeableConcept")
    ids = r.terms.codes(cc, "answer")
    shown = display(cc)
    if not ids:
        candidates = texts(cc)
        vs = as_str(res.get("valueString"))
        if vs:
            candidates.append(vs)
            shown = shown or vs
        for text in candidates:
            ids = r.terms.text_concepts(text, "answer")
            if ids:
                break
    return ids, shown


def absent_reason(res: dict[str, Any]) -> str | None:
    """Why there is no value, from dataAbsentReason; None when it is not given."""
    dar = res.get("dataAbsentReason")
    if dar is None:
        return None
    codes = [c.get("code") for c in as_list(as_dict(dar).get("coding")) if isinstance(c, dict)]
    return f"no value (dataAbsentReason: {next((c for c in codes if isinstance(c, str)), 'given')})"


def read_smoking(r: Record, res: dict[str, Any], source: str, effective: date, prefix: str) -> None:
    """The latest smoking status wins (on the same date, the more severe); a current or former answer is also
    kept as the smoking history a later "never" would contradict."""
    ids, _ = answer_ids(r, res)
    statuses = {_SMOKING_ANSWERS[c] for c in ids if c in _SMOKING_ANSWERS}
    if not statuses:
        r.add_unusable(source, prefix + "valueCodeableConcept",
                       absent_reason(res) or "smoking status answer not recognised", "smoking-status")
        return
    status = max(statuses, key=lambda s: _SMOKING_SEVERITY[s])
    fact = SmokingFact(status, source, effective)
    rank = _SMOKING_SEVERITY[status]
    if status == "unknown":
        if r.smoking is None:
            r.smoking = (date.min, 0, fact)
        return
    if status in ("current", "former") and (
            r.ever_smoked is None or effective > (r.ever_smoked.effective or date.min)):
        r.ever_smoked = fact
    if r.smoking is None or (effective, rank) >= r.smoking[:2]:
        r.smoking = (effective, rank, fact)


def read_pregnancy_status(r: Record, res: dict[str, Any], source: str, effective: date, prefix: str) -> None:
    """Pregnant or not from a pregnancy status answer; conflicting answers are unusable, "unknown" tells nothing."""
    cc = res.get("valueCodeableConcept")
    states: set[Tri] = set()
    for coding in as_list(as_dict(cc).get("coding")):
        system, code = as_str(as_dict(coding).get("system")), as_str(as_dict(coding).get("code"))
        if system is None or code is None:
            continue
        for cid in r.kb.concepts_for_code(system, code):
            if cid in ("pregnancy", "result-positive"):
                states.add(Tri.PRESENT)
            elif cid == "result-negative":
                states.add(Tri.ABSENT)
        fixed = _PREGNANCY_ANSWERS.get((system.rstrip("/"), code.strip()))
        if fixed is not None:
            states.add(fixed)
    known = states - {Tri.UNKNOWN}
    if len(known) != 1:
        reason = "conflicting pregnancy status answers" if known else (
            absent_reason(res) or "pregnancy status answer not recognised")
        if states == {Tri.UNKNOWN}:
            return  # an explicit "unknown" answer is not unusable; it just tells nothing
        r.add_unusable(source, prefix + "valueCodeableConcept", reason, "pregnancy-status")
        return
    state = known.pop()
    r.set_pregnant(effective, 2, StatedFact(state, source, effective))


def read_child_pugh(r: Record, res: dict[str, Any], source: str, effective: date, prefix: str) -> None:
    """Child-Pugh class from a class letter ("B", "Class B", "Child-Pugh C") or a total score (5-15)."""
    cls = child_pugh_class(res)
    if cls is None:
        r.add_unusable(source, prefix + "value[x]", "Child-Pugh class not recognised (expected A, B, C or a "
                       "score from 5 to 15)", "child-pugh")
        return
    if r.child_pugh is None or (effective, source) >= r.child_pugh[:2]:
        r.child_pugh = (effective, source, cls)


def child_pugh_class(res: dict[str, Any]) -> Literal["A", "B", "C"] | None:
    """Child-Pugh class from an Observation value: a letter (string or coded text) or a total score 5-15
    (A 5-6, B 7-9, C 10-15, Pugh 1973)."""
    score = res.get("valueInteger")
    if score is None:
        score = as_num(as_dict(res.get("valueQuantity")).get("value"))
    if isinstance(score, int | float) and not isinstance(score, bool):
        if 5 <= score <= 6:
            return "A"
        if 7 <= score <= 9:
            return "B"
        if 10 <= score <= 15:
            return "C"
        return None
    candidates = [as_str(res.get("valueString"))]
    cc = as_dict(res.get("valueCodeableConcept"))
    candidates.append(as_str(cc.get("text")))
    candidates += [as_str(as_dict(c).get("display")) or as_str(as_dict(c).get("code"))
                   for c in as_list(cc.get("coding"))]
    for t in candidates:
        if t:
            m = _CP_LETTER.search(t.strip().lower())
            if m:
                return cast(Literal["A", "B", "C"], m.group(1).upper())
    return None
