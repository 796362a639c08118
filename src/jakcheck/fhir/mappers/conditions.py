"""Condition -> ConditionFact; an active pregnancy, lactation or smoking condition also sets those facts."""

from __future__ import annotations

from datetime import date
from typing import Any

from jakcheck.fhir.coding import display
from jakcheck.fhir.fields import as_dict, as_list, as_str
from jakcheck.fhir.record import Record
from jakcheck.patient.facts import ConditionFact, MatchedBy, SmokingFact, StatedFact, Tri

_CONDITION_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_CONDITION_SKIP = frozenset({"refuted", "entered-in-error"})


def read_condition(r: Record, res: dict[str, Any], source: str) -> None:
    """A Condition coded with a known concept, or naming one in its text (read with its qualifiers): active
    when its clinical status says so (or, without one, when it has not abated by the assessment date)."""
    verification = status_code(res.get("verificationStatus"))
    if verification in _CONDITION_SKIP:
        return
    ids = r.terms.codes(res.get("code"), "condition")
    matched_by: MatchedBy = "code"
    history: frozenset[str] = frozenset()
    if not ids:
        ids, history = r.terms.condition_text(res.get("code"), source)
        matched_by = "text"
    if not ids:
        return
    r.index.check_subject(res, source, "subject")
    first = ids[0]
    onset, _ = r.date_field(_period_start(res, "onset"), source, _which(res, "onset"), first)
    abatement, _ = r.date_field(_period_start(res, "abatement"), source, _which(res, "abatement"),
                                first, future_ok=True)
    clinical = status_code(res.get("clinicalStatus"))
    if clinical is None:
        active = abatement is None or abatement > r.as_of
    else:
        active = clinical in _CONDITION_ACTIVE and (abatement is None or abatement > r.as_of)
    name = display(res.get("code"))
    for cid in ids:
        cid_active = active and cid not in history
        # A coding with no display or text is named by its concept, never by the bare code.
        r.conditions.append(ConditionFact(cid, source, name or r.kb.concept(cid).label, cid_active,
                                          onset, abatement, matched_by))
        if not cid_active:
            continue
        if cid == "pregnancy":
            r.set_pregnant(onset or date.min, 1, StatedFact(Tri.PRESENT, source, onset))
        elif cid == "lactation":
            r.lactating = StatedFact(Tri.PRESENT, source, onset)
        elif cid == "tobacco-smoker":
            r.smoking_condition = SmokingFact("current", source, onset)
        elif cid == "ex-smoker" and (r.smoking_condition is None
                                     or r.smoking_condition.status != "current"):
            r.smoking_condition = SmokingFact("former", source, onset)


def status_code(cc: object) -> str | None:
    """The first code of a status CodeableConcept (clinicalStatus, verificationStatus)."""
    for coding in as_list(as_dict(cc).get("coding")):
        code = as_str(as_dict(coding).get("code"))
        if code:
            return code
    return None


def _which(res: dict[str, Any], prefix: str) -> str:
    for suffix in ("DateTime", "Period", "String", "Age", "Range"):
        if prefix + suffix in res:
            return prefix + suffix + (".start" if suffix == "Period" else "")
    return prefix + "[x]"


def _period_start(res: dict[str, Any], prefix: str) -> object:
    """onsetDateTime / onsetPeriod.start (or the abatement equivalents); string/age/range forms give None."""
    if prefix + "DateTime" in res:
        return res[prefix + "DateTime"]
    if prefix + "Period" in res:
        return as_dict(res[prefix + "Period"]).get("start")
    return None
