"""MedicationRequest and MedicationStatement -> MedicationFact: the drug (coded, via a Medication reference, or
named in text), whether it is current on the assessment date, its daily dose and the reasons given for it."""

from __future__ import annotations

import re
from typing import Any

from jakcheck.fhir.coding import display, texts
from jakcheck.fhir.dosage import daily_dose_mg, medication_period
from jakcheck.fhir.fields import as_dict, as_list, as_str
from jakcheck.fhir.record import Record
from jakcheck.patient.facts import MedicationFact

_LOCAL_FORM = re.compile(r"\b(topical|cream|ointment|lotion|gel|foam|inhal\w*|nasal|ophthalmic|eye|otic|ear|rectal|"
                         r"enema|suppositor\w*|mouthwash|dental|vaginal|shampoo|patch)\b")
_SYSTEMIC_CLASSES = frozenset({"glucocorticoid", "potent-immunosuppressant"})
# Medication status: on-hold counts as current (the patient is still under the drug's effects and the order
# can resume); unknown, draft and intended do not.
_MEDICATION_CURRENT = frozenset({"active", "on-hold"})


def read_medication(r: Record, res: dict[str, Any], source: str) -> None:
    """A medication order or statement for a known drug; current when its status is active or on-hold and its
    period (when given) covers the assessment date."""
    status = as_str(res.get("status")) or "unknown"
    if status == "entered-in-error":
        return
    cc: object = res.get("medicationCodeableConcept")
    field = "medicationCodeableConcept"
    if cc is None and "medicationReference" in res:
        field = "medicationReference"
        ref_obj = as_dict(res.get("medicationReference"))
        ref = as_str(ref_obj.get("reference"))
        med = r.index.medication(res, ref) if ref else None
        if med is not None:
            cc = med.get("code")
        elif as_str(ref_obj.get("display")):
            cc = {"text": ref_obj["display"]}
        else:
            cc = None
    ids, matched_by = r.terms.match(cc, "medication", source)
    if matched_by == "text" and _LOCAL_FORM.search(" ".join(texts(cc)).lower()):
        # A product recognised from its text only, in a local form (cream, inhaler, eye drops...), is not a
        # systemic glucocorticoid or immunosuppressant: it is not counted as one.
        ids = [i for i in ids if not _systemic_only(r, i)]
        r.terms.text_matches[:] = [t for t in r.terms.text_matches if t.source != source or t.concept in ids]
    if not ids:
        if field == "medicationReference" and cc is None:
            r.index.check_subject(res, source, "subject")
            r.add_unusable(source, field, "medication reference does not resolve to a Medication")
        return
    r.index.check_subject(res, source, "subject")
    name = display(cc)
    (start_raw, start_field), (end_raw, end_field) = medication_period(res)
    start, _ = r.date_field(start_raw, source, start_field, ids[0], future_ok=True)
    end, _ = r.date_field(end_raw, source, end_field, ids[0], future_ok=True)
    current = (status in _MEDICATION_CURRENT and (end is None or end >= r.as_of)
               and (start is None or start <= r.as_of))
    daily = daily_dose_mg(res, cc) if len(ids) == 1 else None
    reasons, reason_refs = _reasons(r, res)
    for cid in ids:
        concept = r.terms.concept(cid)
        if concept is None:
            continue
        classes = tuple(concept.classes)
        pred: float | None = None
        if daily is not None and "glucocorticoid" in classes and concept.prednisone_equivalence is not None:
            pred = daily * concept.prednisone_equivalence
        r.medications.append(MedicationFact(cid, classes, source, name or concept.label, status, current,
                                            start, end, daily, pred, matched_by, reasons, reason_refs))


def _systemic_only(r: Record, concept_id: str) -> bool:
    concept = r.terms.concept(concept_id)
    return concept is not None and bool(_SYSTEMIC_CLASSES & set(concept.classes))


def _reasons(r: Record, res: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The coded reasons (condition concepts of reasonCode) and the Condition references of reasonReference
    (MedicationStatement: reasonCode / reasonReference too). Text-only reasons are not read."""
    concepts: list[str] = []
    for cc in as_list(res.get("reasonCode")):
        for coding in as_list(as_dict(cc).get("coding")):
            system, code = as_str(as_dict(coding).get("system")), as_str(as_dict(coding).get("code"))
            if system and code:
                concepts.extend(r.kb.concepts_for_code(system, code))
    refs: list[str] = []
    for ref_obj in as_list(res.get("reasonReference")):
        ref = as_str(as_dict(ref_obj).get("reference"))
        if not ref:
            continue
        m = re.search(r"(?:^|/)(Condition/[^/]+?)(?:/_history/[^/]*)?$", ref)
        if m:
            refs.append(m.group(1))
        elif ref.startswith("urn:uuid:"):
            refs.extend((ref, "Condition/" + ref[len("urn:uuid:"):]))
    return tuple(dict.fromkeys(concepts)), tuple(dict.fromkeys(refs))
