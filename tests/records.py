"""Patient Facts written back as the FHIR R4 record a reader would turn into them.

The spec tables build Patient Facts directly (tests/builders.py). To run the same rows through every engine, each
row's facts are written here as the resources an EHR would export: a Patient; a Condition, Observation,
MedicationRequest or Immunization per fact, coded with a code of the fact's concept from the knowledge value sets
(a code that names that concept only), UCUM quantities in the concept's canonical unit, and the resource id the
fact's `source` names, so that findings cite the same evidence. Stated facts are written as the reader
understands them: smoking and pregnancy status as coded Observations, Child-Pugh class as an Observation named in
text (it has no standard code); a lactating patient is stated by her lactation Condition, dialysis by an
end-stage renal disease (dialysis) Condition.

Some facts have no exact FHIR form: `not_exact(facts)` lists them with the reason, and the round-trip test
(tests/spec/test_round_trip.py) proves that for every other row reading the written record gives the same
assessment document as the facts themselves.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from jakcheck.knowledge.loader import Knowledge, default_knowledge
from jakcheck.patient.facts import ConditionFact, PatientFacts, Tri
from tests.fhirgen import SNOMED, UCUM, coding, concept

_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
_OMB = "urn:oid:2.16.840.1.113883.6.238"
_OMB_RACE = {"white": ("2106-3", "White"), "african-american": ("2054-5", "Black or African American"),
             "other": ("2028-9", "Asian")}
_INTERPRETATION_CODES = {"positive": "POS", "negative": "NEG", "indeterminate": "IND"}
# LOINC answer list LL4129-4 (pregnancy status): pregnant, not pregnant.
_PREGNANCY = {Tri.PRESENT: ("77386006", "Pregnant"), Tri.ABSENT: ("60001007", "Not pregnant")}


def not_exact(facts: PatientFacts) -> list[str]:
    """Why these facts cannot be written as a FHIR record that reads back to the same facts (empty: they can)."""
    why: list[str] = []
    k = default_knowledge()
    shared = sorted({c for c in _fact_concepts(facts) if _own_code(k, c) is None}
                    - {c.concept for g in _condition_groups(facts).values() if len(g) > 1
                       and _shared_code(k, [x.concept for x in g]) is not None for c in g})
    if shared:
        why.append(f"no code names only {', '.join(shared)} (a record coded so also states the other concepts "
                   "of that code, or is named in text only)")
    if any(s.startswith("card:") for s in _sources(facts)):
        why.append("facts from a patient card (card: sources)")
    if facts.unusable:
        why.append("unusable values are stated directly, not as the malformed data that would give them")
    if facts.known_absent:
        why.append("histories stated as absent (known_absent) come from a patient card only")
    if facts.incomplete:
        why.append("an incomplete record is what a FHIR fetch reports, not part of a record")
    if facts.birth_date_estimated:
        why.append("an estimated birth date comes from a patient card's stated age only")
    if facts.on_dialysis:
        why.append("dialysis stated on a patient card; a record says it as an end-stage renal disease Condition, "
                   "which is a different fact with different evidence")
    if any(r.matched_by == "text" for r in facts.results) and not facts.text_matches:
        why.append("a result known from text only, stated alone; reading the text also reports the text match")
    if facts.text_matches:
        why.append("a text match stated alone; reading a text-only record also makes the condition a fact")
    if facts.child_pugh is not None:
        why.append("a stated Child-Pugh class; a record names it in text only, so reading it adds a text match")
    if facts.lactating.state is Tri.PRESENT and not (facts.lactating.source or "").startswith("Condition/"):
        why.append("lactation stated by an Observation; a record says it as a Condition (another source)")
    if facts.pregnant.state is Tri.UNKNOWN and facts.pregnant.source is not None \
            and not any(c.concept == "pregnancy" for c in facts.conditions):
        why.append("an unknown pregnancy status with a source has no answer the reader keeps")
    ends = [p.performed for p in facts.procedures if p.concept == "pregnancy-end-procedure"]
    if any(r.concept == "pregnancy-test" and r.result == "positive" and any(r.effective <= e for e in ends)
           and facts.pregnant.source != r.source for r in facts.results):
        why.append("a positive pregnancy test before a delivery: the reader also reads the test as a pregnancy "
                   "status, which the delivery ends (a stale-entry finding the stated result alone does not give)")
    if facts.deceased:
        why.append("a deceased patient is excluded by the screen")
    return why


def _rid(source: str, rtype: str) -> str:
    kind, _, rid = source.partition("/")
    if kind != rtype or not rid:
        raise NotWritable(f"{source!r} is not a {rtype} reference")
    return rid


def _own_code(knowledge: Knowledge, cid: str) -> tuple[str, str] | None:
    """A code of the concept's value set that names this concept and no other of its kind, or None."""
    c = knowledge.concept(cid)
    for code in c.codes:
        same_kind = [x for x in knowledge.concepts_for_code(code.system, code.code)
                     if knowledge.concept(x).kind == c.kind]
        if same_kind == [cid]:
            return code.system, code.code
    return None


def _shared_code(knowledge: Knowledge, cids: list[str]) -> tuple[str, str] | None:
    """A code whose concepts of their kind are exactly `cids` (one resource stating several concepts)."""
    kind = knowledge.concept(cids[0]).kind
    for code in knowledge.concept(cids[0]).codes:
        named = [x for x in knowledge.concepts_for_code(code.system, code.code) if knowledge.concept(x).kind == kind]
        if sorted(named) == sorted(cids):
            return code.system, code.code
    return None


def _condition_groups(facts: PatientFacts) -> dict[str, list[ConditionFact]]:
    groups: dict[str, list[ConditionFact]] = {}
    for c in facts.conditions:
        groups.setdefault(c.source, []).append(c)
    return groups


def _unique_coding(knowledge: Knowledge, cid: str, display: str | None = None) -> dict[str, str]:
    own = _own_code(knowledge, cid)
    if own is None:
        raise NotWritable(f"concept {cid!r} has no code of its own")
    return coding(*own, display)


class NotWritable(ValueError):
    """The facts cannot be written as a FHIR record (see `not_exact`)."""


def _fact_concepts(facts: PatientFacts) -> list[str]:
    return ([c.concept for c in facts.conditions if c.matched_by == "code"] + [x.concept for x in facts.labs]
            + [r.concept for r in facts.results] + [m.concept for m in facts.medications]
            + [i.concept for i in facts.immunizations] + [r for m in facts.medications for r in m.reasons]
            + [p.concept for p in facts.procedures])


def _sources(facts: PatientFacts) -> list[str]:
    return ([c.source for c in facts.conditions] + [x.source for x in facts.labs] + [r.source for r in facts.results]
            + [m.source for m in facts.medications] + [i.source for i in facts.immunizations]
            + [p.source for p in facts.procedures]
            + [s for s in (facts.smoking.source, facts.pregnant.source, facts.child_pugh_source) if s])


def _day(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def write_record(facts: PatientFacts, knowledge: Knowledge | None = None, *,
                 patient_id: str | None = None) -> list[dict[str, Any]]:
    """The facts as FHIR resources, Patient first. `patient_id` replaces the facts' patient id (a screen export
    needs one per row); the other resources keep the ids their facts' sources name."""
    k = knowledge or default_knowledge()
    pid = patient_id or facts.patient_id
    subject = {"reference": f"Patient/{pid}"}
    patient: dict[str, Any] = {"resourceType": "Patient", "id": pid, "gender": facts.sex}
    if facts.birth_date is not None:
        patient["birthDate"] = facts.birth_date.isoformat()
    if facts.race is not None:
        code, display = _OMB_RACE[facts.race]
        patient["extension"] = [{"url": _US_CORE_RACE, "extension": [
            {"url": "ombCategory", "valueCoding": {"system": _OMB, "code": code, "display": display}},
            {"url": "text", "valueString": display}]}]
    out: list[dict[str, Any]] = [patient]

    for source, group in _condition_groups(facts).items():
        c = group[0]
        shared = _shared_code(k, [x.concept for x in group]) if len(group) > 1 else None
        if len(group) > 1 and shared is None:
            raise NotWritable(f"no code states exactly {', '.join(x.concept for x in group)}")
        res: dict[str, Any] = {
            "resourceType": "Condition", "id": _rid(source, "Condition"),
            "clinicalStatus": concept(coding(_CLINICAL, "active" if c.active else "resolved")),
            "verificationStatus": concept(coding(_VERIFICATION, "confirmed")),
            "code": (concept(coding(*shared), text=c.display) if shared is not None else
                     concept(_unique_coding(k, c.concept), text=c.display) if c.matched_by == "code"
                     else {"text": c.display}),
            "subject": subject}
        if c.onset is not None:
            res["onsetDateTime"] = c.onset.isoformat()
        if c.abatement is not None:
            res["abatementDateTime"] = c.abatement.isoformat()
        out.append(res)

    def observation(source: str, cid: str, effective: date | None, text: str | None = None) -> dict[str, Any]:
        res = {"resourceType": "Observation", "id": _rid(source, "Observation"), "status": "final",
               "code": concept(_unique_coding(k, cid), text=text or k.concept(cid).label), "subject": subject}
        if effective is not None:
            res["effectiveDateTime"] = effective.isoformat()
        return res

    for lab in facts.labs:
        if _own_code(k, lab.concept) is None:  # no code of its own (e.g. a DAS28 score): named in text only
            res = {"resourceType": "Observation", "id": _rid(lab.source, "Observation"), "status": "final",
                   "code": {"text": k.concept(lab.concept).label}, "subject": subject,
                   "effectiveDateTime": lab.effective.isoformat()}
        else:
            res = observation(lab.source, lab.concept, lab.effective)
        res["valueQuantity"] = {"value": lab.value, "unit": lab.unit, "system": UCUM, "code": lab.unit}
        if lab.comparator is not None:  # a bound ("< 0.5"), as a laboratory reports it; a set-aside bound is
            # quoted as written, so a whole number is written without a decimal point
            res["valueQuantity"]["comparator"] = lab.comparator
            if float(lab.value).is_integer():
                res["valueQuantity"]["value"] = int(lab.value)
        if lab.reference_high is not None:
            res["referenceRange"] = [{"high": {"value": lab.reference_high, "unit": lab.unit, "system": UCUM,
                                               "code": lab.unit}}]
        out.append(res)
    for r in facts.results:
        res = observation(r.source, r.concept, r.effective)
        if r.matched_by == "text":
            res["code"] = {"text": k.concept(r.concept).label}
        if r.result == "indeterminate":
            res["valueCodeableConcept"] = {"text": r.original}
        else:
            res["valueCodeableConcept"] = concept(_unique_coding(k, f"result-{r.result}"), text=r.original)
        res["interpretation"] = [concept(coding(_INTERPRETATION, _INTERPRETATION_CODES[r.result]))]
        out.append(res)
    if facts.smoking.source is not None:
        s = facts.smoking
        res = observation(s.source, "smoking-status", s.effective)
        res["valueCodeableConcept"] = concept(_unique_coding(k, f"smoking-{s.status}"))
        out.append(res)
    if facts.pregnant.source is not None and facts.pregnant.state in _PREGNANCY:
        p = facts.pregnant
        if p.source.startswith("Observation/"):
            res = observation(p.source, "pregnancy-status", p.effective)
            res["valueCodeableConcept"] = concept(coding(SNOMED, *_PREGNANCY[p.state]))
            out.append(res)
    if facts.child_pugh is not None and facts.child_pugh_source is not None:
        out.append({"resourceType": "Observation", "id": _rid(facts.child_pugh_source, "Observation"),
                    "status": "final", "code": {"text": "Child-Pugh class"}, "subject": subject,
                    "effectiveDateTime": facts.as_of.isoformat(), "valueString": f"Class {facts.child_pugh}"})
    for m in facts.medications:
        res = {"resourceType": "MedicationRequest", "id": _rid(m.source, "MedicationRequest"), "status": m.status,
               "intent": "order", "medicationCodeableConcept": concept(_unique_coding(k, m.concept), text=m.display),
               "subject": subject}
        bounds = {key: v for key, v in (("start", _day(m.start)), ("end", _day(m.end))) if v is not None}
        dosage: dict[str, Any] = {"timing": {"repeat": {"boundsPeriod": bounds}}} if bounds else {}
        if m.daily_dose_mg is not None:
            dosage.setdefault("timing", {}).setdefault("repeat", {}).update(
                {"frequency": 1, "period": 1, "periodUnit": "d"})
            dosage["doseAndRate"] = [{"doseQuantity": {"value": m.daily_dose_mg, "unit": "mg", "system": UCUM,
                                                       "code": "mg"}}]
        if dosage:
            res["dosageInstruction"] = [dosage]
        if m.start is not None:
            res["authoredOn"] = m.start.isoformat()
        if m.reasons:
            res["reasonCode"] = [concept(_unique_coding(k, r)) for r in m.reasons]
        if m.reason_refs:
            res["reasonReference"] = [{"reference": r} for r in m.reason_refs]
        out.append(res)
    if facts.on_dialysis:  # a record states dialysis as an end-stage renal disease (dialysis) Condition
        out.append({"resourceType": "Condition", "id": f"dialysis-{pid}",
                    "clinicalStatus": concept(coding(_CLINICAL, "active")),
                    "verificationStatus": concept(coding(_VERIFICATION, "confirmed")),
                    "code": concept(_unique_coding(k, "esrd-dialysis"), text="Dependence on renal dialysis"),
                    "subject": subject})
    for i in facts.immunizations:
        out.append({"resourceType": "Immunization", "id": _rid(i.source, "Immunization"), "status": "completed",
                    "vaccineCode": concept(_unique_coding(k, i.concept), text=i.display), "patient": subject,
                    "occurrenceDateTime": i.occurred.isoformat(), "primarySource": True})
    for p in facts.procedures:
        out.append({"resourceType": "Procedure", "id": _rid(p.source, "Procedure"), "status": "completed",
                    "code": concept(_unique_coding(k, p.concept), text=p.display), "subject": subject,
                    "performedDateTime": p.performed.isoformat()})
    return out


def bundle(facts: PatientFacts, knowledge: Knowledge | None = None) -> dict[str, Any]:
    """The facts as a collection Bundle."""
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in write_record(facts, knowledge)]}


def with_patient_id(facts: PatientFacts, pid: str) -> PatientFacts:
    return replace(facts, patient_id=pid, patient_source=f"Patient/{pid}")


__all__ = ["NotWritable", "bundle", "not_exact", "with_patient_id", "write_record"]
