"""Child-Pugh class from a FHIR Observation (text-coded: no verified LOINC code exists in the value sets)."""

from __future__ import annotations

from datetime import date

import pytest

from jakcheck.fhir.mappers.answers import child_pugh_class
from jakcheck.fhir.reader import read_document
from jakcheck.knowledge.loader import default_knowledge


@pytest.mark.parametrize(("value", "expected"), [
    ({"valueString": "B"}, "B"), ({"valueString": "Class C"}, "C"), ({"valueString": "Child-Pugh A"}, "A"),
    ({"valueCodeableConcept": {"text": "class b"}}, "B"), ({"valueInteger": 6}, "A"), ({"valueInteger": 7}, "B"),
    ({"valueInteger": 9}, "B"), ({"valueInteger": 10}, "C"), ({"valueInteger": 4}, None), ({"valueInteger": 16}, None),
    ({"valueString": "severe"}, None), ({"valueString": "abc"}, None),
])
def test_child_pugh_class_from_value(value: dict[str, object], expected: str | None) -> None:
    """Pugh 1973: score 5-6 class A, 7-9 class B, 10-15 class C."""
    assert child_pugh_class(value) == expected


def _bundle(value: dict[str, object]) -> dict[str, object]:
    obs = {"resourceType": "Observation", "id": "cp1", "status": "final", "code": {"text": "Child-Pugh class"},
           "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-11-01", **value}
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "male"}},
        {"resource": obs}]}


def test_child_pugh_observation_becomes_a_fact_and_a_reported_text_match() -> None:
    facts = read_document(_bundle({"valueString": "C"}), source_name="t.json", as_of=date(2026, 11, 26),
                          knowledge=default_knowledge())
    assert (facts.child_pugh, facts.child_pugh_source) == ("C", "Observation/cp1")
    assert any(t.concept == "child-pugh" for t in facts.text_matches)


def test_unreadable_child_pugh_is_set_aside_not_guessed() -> None:
    facts = read_document(_bundle({"valueString": "moderate"}), source_name="t.json", as_of=date(2026, 11, 26),
                          knowledge=default_knowledge())
    assert facts.child_pugh is None
    assert any(u.concept == "child-pugh" and u.source == "Observation/cp1" for u in facts.unusable)
