"""Patient card: format, routing from read_file, and errors naming the field path."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jakcheck.errors import InputError
from jakcheck.fhir.reader import read_document, read_file
from jakcheck.patient.card import read_card, read_card_text
from jakcheck.patient.facts import PatientFacts, Tri

from .conftest import AS_OF, SNOMED, FakeTerminology

EXAMPLE = Path(__file__).parents[2] / "examples" / "cards" / "ra-card.yaml"

CARD: dict[str, Any] = {
    "patient": {"id": "c1", "birth_date": "1970-01-31", "sex": "female"},
    "conditions": [{"concept": "rheumatoid-arthritis", "onset": "2015-01-01"},
                   {"code": "59621000", "system": SNOMED},
                   {"text": "history of malignant neoplasm of breast", "active": False}],
    "labs": [{"test": "lymphocytes", "value": 800, "unit": "/uL", "date": "2024-05-01"},
             {"test": "hemoglobin", "value": 8.0, "unit": "mmol/L", "date": "2024-05-01"},
             {"test": "alt", "value": 0.5, "unit": "ukat/L", "date": "2024-05-01", "reference_high": 0.6}],
    "results": [{"test": "tb-igra", "result": "negative", "date": "2024-04-01"},
                {"test": "pregnancy-test", "result": "negative", "date": "2024-05-20"}],
    "medications": [{"drug": "prednisone", "dose_mg_per_day": 10, "start": "2024-01-01"},
                    {"drug": "methylprednisolone", "dose_mg_per_day": 8, "status": "stopped"},
                    {"text": "clarithromycin 500 mg"}],
    "vaccinations": [{"vaccine": "zoster-recombinant", "date": "2023-10-01"}],
    "smoking": "former",
    "lactating": "no",
    "child_pugh": "B",
    "dialysis": True,
    "known_absent": ["VTE", "malignancy"],
}


def read(card: Any, kb: FakeTerminology) -> PatientFacts:
    return read_card(card, source_name="card.yaml", as_of=AS_OF, knowledge=kb)


def test_full_card(kb: FakeTerminology) -> None:
    facts = read(CARD, kb)
    assert (facts.patient_id, facts.birth_date, facts.sex, facts.birth_date_estimated) == (
        "c1", date(1970, 1, 31), "female", False)
    assert [(c.concept, c.source, c.active, c.matched_by) for c in facts.conditions] == [
        ("rheumatoid-arthritis", "card:conditions[0]", True, "code"),
        ("hypertension", "card:conditions[1]", True, "code"),
        ("malignancy", "card:conditions[2]", False, "text")]
    labs = {lab.concept: lab for lab in facts.labs}
    assert labs["lymphocytes"].value == pytest.approx(0.8)
    assert labs["hemoglobin"].value == pytest.approx(12.891, abs=1e-3)
    assert (labs["alt"].value, labs["alt"].reference_high) == (pytest.approx(30.0), pytest.approx(36.0))
    assert labs["lymphocytes"].source == "card:labs[0]"
    assert [(r.concept, r.result) for r in facts.results] == [("tb-igra", "negative"),
                                                              ("pregnancy-test", "negative")]
    meds = {m.concept: m for m in facts.medications}
    assert (meds["prednisone"].current, meds["prednisone"].prednisone_equivalent_mg) == (True, 10.0)
    assert (meds["methylprednisolone"].current, meds["methylprednisolone"].prednisone_equivalent_mg) == (False, 10.0)
    assert meds["clarithromycin"].matched_by == "text"
    assert [(i.concept, i.live) for i in facts.immunizations] == [("zoster-recombinant", False)]
    assert (facts.smoking.status, facts.smoking.source) == ("former", "card:smoking")
    assert (facts.pregnant.state, facts.pregnant.source) == (Tri.ABSENT, "card:results[1]")
    assert facts.lactating == facts.lactating.__class__(Tri.ABSENT, "card:lactating")
    assert (facts.child_pugh, facts.child_pugh_source, facts.on_dialysis) == ("B", "card:child_pugh", True)
    assert facts.known_absent == frozenset({"vte", "malignancy"})
    assert {t.source for t in facts.text_matches} == {"card:conditions[2]", "card:medications[2]"}


def test_age_instead_of_birth_date(kb: FakeTerminology) -> None:
    facts = read({"patient": {"age": 63}}, kb)
    assert facts.birth_date == date(1961, 6, 1) and facts.birth_date_estimated
    assert facts.sex == "unknown" and facts.patient_id == "card"
    leap = read_card({"patient": {"age": 1}}, source_name="c", as_of=date(2024, 2, 29), knowledge=kb)
    assert leap.birth_date == date(2023, 2, 28)


@pytest.mark.parametrize(("change", "field"), [
    ({"patient": {"id": "x", "birth_date": "1970-13-01"}}, "patient.birth_date"),
    ({"patient": {"birth_date": "1970-01-01", "age": 3}}, "patient"),
    ({"patient": {"age": 140}}, "patient.age"),
    ({"patient": {"sex": "f"}}, "patient.sex"),
    ({"patient": {"name": "Jane"}}, "patient.name"),
    ({"smokng": "never"}, "smokng"),
    ({"labs": [{"test": "lymphocytes", "value": 1, "unit": "mg%", "date": "2024-01-01"}]}, "labs[0].unit"),
    ({"labs": [{"test": "lymphocytes", "value": 500, "unit": "10*9/L", "date": "2024-01-01"}]}, "labs[0].value"),
    ({"labs": [{"test": "lymphocytes", "value": "1", "unit": "10*9/L", "date": "2024-01-01"}]}, "labs[0].value"),
    ({"labs": [{"test": "lymphocytes", "value": 1, "unit": "10*9/L", "date": "2030-01-01"}]}, "labs[0].date"),
    ({"labs": [{"test": "lymphocytes", "value": 1, "unit": "10*9/L"}]}, "labs[0].date"),
    ({"labs": [{"test": "tb-igra", "value": 1, "unit": "10*9/L", "date": "2024-01-01"}]}, "labs[0].test"),
    ({"labs": [{"test": "nonsense", "value": 1, "unit": "10*9/L", "date": "2024-01-01"}]}, "labs[0].test"),
    ({"labs": {"test": "lymphocytes"}}, "labs"),
    ({"results": [{"test": "tb-igra", "result": "pos", "date": "2024-01-01"}]}, "results[0].result"),
    ({"results": [{"test": "lymphocytes", "result": "positive", "date": "2024-01-01"}]}, "results[0].test"),
    ({"medications": [{"drug": "rheumatoid-arthritis"}]}, "medications[0].drug"),
    ({"medications": [{"drug": "prednisone", "dose_mg_per_day": -5}]}, "medications[0].dose_mg_per_day"),
    ({"medications": [{"drug": "prednisone", "status": "taking"}]}, "medications[0].status"),
    ({"medications": [{"drug": "prednisone", "text": "prednisone"}]}, "medications[0]"),
    ({"medications": [{"text": "an unknown pill"}]}, "medications[0].text"),
    ({"conditions": [{"code": "1", "system": SNOMED}]}, "conditions[0].code"),
    ({"conditions": [{"concept": "vte", "abatement": "2020-01-01", "active": True}]}, "conditions[0].active"),
    ({"vaccinations": [{"vaccine": "zoster-live"}]}, "vaccinations[0].date"),
    ({"smoking": "sometimes"}, "smoking"),
    ({"pregnant": "maybe"}, "pregnant"),
    ({"child_pugh": "D"}, "child_pugh"),
    ({"dialysis": "no"}, "dialysis"),
    ({"known_absent": "vte"}, "known_absent"),
    ({"card_version": 2}, "card_version"),
])
def test_bad_card_names_field(kb: FakeTerminology, change: dict[str, Any], field: str) -> None:
    card = {"patient": {"birth_date": "1970-01-01"}, **change}
    with pytest.raises(InputError) as info:
        read(card, kb)
    assert info.value.field == field, str(info.value)
    assert f"field {field}" in str(info.value)


def test_yaml_text_and_errors(kb: FakeTerminology) -> None:
    facts = read_card_text("patient: {age: 40}\npregnant: no\nsmoking: never\n", source_name="c.yaml",
                           as_of=AS_OF, knowledge=kb)
    assert facts.pregnant.state is Tri.ABSENT and facts.smoking.status == "never"
    with pytest.raises(InputError) as info:
        read_card_text("patient: {age: 40\nlabs: [", source_name="c.yaml", as_of=AS_OF, knowledge=kb)
    assert info.value.file == "c.yaml" and info.value.line is not None
    with pytest.raises(InputError, match="must be a mapping"):
        read_card_text("- just a list", source_name="c.yaml", as_of=AS_OF, knowledge=kb)


def test_read_file_routes_cards(kb: FakeTerminology, tmp_path: Path) -> None:
    y = tmp_path / "p.yml"
    y.write_text("patient: {id: y1, age: 50}\n", encoding="utf-8")
    assert read_file(y, as_of=AS_OF, knowledge=kb).patient_id == "y1"
    j = tmp_path / "p.json"
    j.write_text(json.dumps(CARD), encoding="utf-8")
    assert read_file(j, as_of=AS_OF, knowledge=kb) == read(CARD, kb)
    # A CDS Hooks prefetch keyed "patient" holds a Patient resource: that is FHIR, not a card.
    prefetch = {"patient": {"resourceType": "Patient", "id": "p9", "birthDate": "1980-01-01"}}
    assert read_document(prefetch, source_name="x", as_of=AS_OF, knowledge=kb).patient_source == "Patient/p9"


def test_example_card_reads_with_real_knowledge() -> None:
    from .test_real_knowledge import real_knowledge

    facts = read_file(EXAMPLE, as_of=date(2024, 6, 1), knowledge=real_knowledge())
    assert facts.patient_id == "demo-ra-1"
    labs = {lab.concept: lab.value for lab in facts.labs}
    assert labs["neutrophils"] == pytest.approx(3.9)
    assert labs["creatinine"] == pytest.approx(71 / 88.4)
    assert labs["cholesterol-total"] == pytest.approx(5.6 * 38.67)
    assert facts.pregnant.state is Tri.ABSENT
    pred = next(m for m in facts.medications if m.concept == "prednisone")
    assert pred.prednisone_equivalent_mg == 7.5 and pred.current
