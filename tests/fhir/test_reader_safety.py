"""Reader behaviour found in the clinical safety review: contradictions are reported, text never overrides codes."""

from __future__ import annotations

from datetime import date
from typing import Any

from jakcheck.fhir.reader import read_document
from jakcheck.knowledge.loader import default_knowledge

AS_OF = date(2026, 11, 26)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01", "gender": "female"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, *resources)]}


def _smoking(oid: str, when: str, code: str, display: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": LOINC, "code": "72166-2"}]}, "effectiveDateTime": when,
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code, "display": display}]}}


def test_never_smoked_after_a_smoking_history_keeps_the_history_and_reports_the_conflict() -> None:
    """EMA 2023: past smokers count; a later 'never smoked' answer must not erase a recorded history."""
    doc = _bundle(_smoking("s1", "2021-03-01", "449868002", "Smokes tobacco daily"),
                  _smoking("s2", "2026-03-01", "266919005", "Never smoked tobacco"))
    facts = read_document(doc, source_name="t.json", as_of=AS_OF, knowledge=default_knowledge())
    assert (facts.smoking.status, facts.smoking.source) == ("former", "Observation/s1")
    assert any(u.source == "Observation/s2" and u.concept == "smoking-status" for u in facts.unusable)


def test_a_later_never_without_history_stays_never() -> None:
    doc = _bundle(_smoking("s2", "2026-03-01", "266919005", "Never smoked tobacco"))
    facts = read_document(doc, source_name="t.json", as_of=AS_OF, knowledge=default_knowledge())
    assert facts.smoking.status == "never" and not facts.unusable


def test_coded_topical_steroid_is_not_read_as_systemic_by_its_text() -> None:
    """RxNorm 106258 (hydrocortisone topical cream) maps to no concept: its display must not make it systemic."""
    med = {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
           "subject": {"reference": "Patient/p1"}, "authoredOn": "2026-10-01",
           "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                     "code": "106258",
                                                     "display": "hydrocortisone 10 MG/ML Topical Cream"}]}}
    facts = read_document(_bundle(med), source_name="t.json", as_of=AS_OF, knowledge=default_knowledge())
    assert not any("glucocorticoid" in m.classes for m in facts.medications)


def test_uncoded_medicine_is_still_recognised_from_text_and_reported() -> None:
    med = {"resourceType": "MedicationStatement", "id": "m2", "status": "active",
           "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-10-01",
           "medicationCodeableConcept": {"text": "Methotrexate 15 mg weekly"}}
    facts = read_document(_bundle(med), source_name="t.json", as_of=AS_OF, knowledge=default_knowledge())
    assert any(m.concept == "methotrexate" and m.matched_by == "text" for m in facts.medications)
    assert any(t.concept == "methotrexate" for t in facts.text_matches)
