"""The reader and the patient card with the concepts the calculators need: joint counts, global assessments,
recorded disease-activity scores (LOINC CDAI/SDAI panel items), statins, antihypertensives, US Core race."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jakcheck.errors import InputError
from jakcheck.fhir.reader import read_document
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.card import read_card
from jakcheck.patient.facts import PatientFacts

from .conftest import RXNORM, bundle, cc, med_request, observation, patient

AS_OF = date(2024, 6, 1)


def read(*resources: dict[str, Any], pat: dict[str, Any] | None = None) -> PatientFacts:
    doc = bundle(*resources, with_patient=pat is None)
    if pat is not None:
        doc["entry"].insert(0, {"resource": pat})
    return read_document(doc, source_name="t.json", as_of=AS_OF, knowledge=default_knowledge())


def labs(facts: PatientFacts) -> dict[str, float]:
    return {lab.concept: lab.value for lab in facts.labs}


@pytest.mark.parametrize(("code", "concept", "value", "unit"), [
    ("88981-6", "tender-joints-28", 8, "{#}"),  # LOINC CDAI panel (loinc.org/75842-5): Tender joint #
    ("88980-8", "swollen-joints-28", 5, "{#}"),
    ("88980-8", "swollen-joints-28", 5, "1"),
    ("75894-6", "patient-global-activity", 6.5, "{score}"),
    ("75846-6", "evaluator-global-activity", 4, "{score}"),
    ("75847-4", "cdai-score", 23.5, "{score}"),
    ("75845-8", "sdai-score", 26.1, "{score}"),  # LOINC SDAI panel (loinc.org/75843-3): Total score [SDAI]
])
def test_disease_activity_observations(code: str, concept: str, value: float, unit: str) -> None:
    facts = read(observation("o1", code, value, unit))
    assert labs(facts) == {concept: value}
    assert not facts.unusable


def test_joint_count_without_unit_and_as_integer() -> None:
    no_unit = observation("o1", "88981-6", 7, None)
    as_int = observation("o2", "88980-8")
    as_int["valueInteger"] = 3
    assert labs(read(no_unit, as_int)) == {"tender-joints-28": 7, "swollen-joints-28": 3}


def test_global_assessment_in_mm_is_put_on_the_0_10_scale() -> None:
    assert labs(read(observation("o1", "75894-6", 65, "mm"))) == {"patient-global-activity": 6.5}


def test_implausible_joint_count_and_wrong_unit_are_set_aside() -> None:
    facts = read(observation("o1", "88981-6", 30, "{#}"), observation("o2", "75846-6", 5, "mg/dL"))
    assert not facts.labs
    reasons = {u.concept: u.reason for u in facts.unusable}
    assert "plausible range" in reasons["tender-joints-28"]
    assert "unknown unit" in reasons["evaluator-global-activity"]


def test_das28_from_a_local_code_is_read_by_its_text() -> None:
    """No LOINC code for a DAS28 score was verified: a locally coded DAS28 is recognised by its text (and
    reported as a text match)."""
    obs = observation("o1", "x", 4.4, "{score}")
    obs["code"] = cc("http://hospital.example/codes", "DAS28CRP", "DAS28-CRP")
    facts = read(obs)
    assert labs(facts) == {"das28-score": 4.4}
    assert [t.concept for t in facts.text_matches] == ["das28-score"]


@pytest.mark.parametrize(("code", "display", "cls"), [
    ("314231", "Simvastatin 10 MG Oral Tablet", "statin"),  # Synthea
    ("83367", "atorvastatin", "statin"),  # VSAC Statin Allergen ingredient
    ("999967", "amLODIPine 5 MG / Hydrochlorothiazide 12.5 MG / Olmesartan medoxomil 20 MG Oral Tablet",
     "antihypertensive"),
    ("29046", "lisinopril", "antihypertensive"),
])
def test_statins_and_antihypertensives(code: str, display: str, cls: str) -> None:
    facts = read(med_request("m1", code, display))
    assert [m.classes for m in facts.medications] == [(cls,)]
    assert facts.medications[0].current


def test_statin_by_text_only_is_reported() -> None:
    med = med_request("m1", "0000", "Rosuvastatin 10 mg tablet")
    med["medicationCodeableConcept"] = {"coding": [{"system": RXNORM, "code": "0000"}], "text": "Rosuvastatin 10 mg"}
    facts = read(med)
    assert [m.concept for m in facts.medications] == ["statin"]
    assert facts.medications[0].matched_by == "text"


def _race(*codes: str) -> dict[str, Any]:
    subs = [{"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": c}}
            for c in codes]
    return {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", "extension": subs}


@pytest.mark.parametrize(("codes", "race"), [
    (("2106-3",), "white"), (("2054-5",), "african-american"), (("2028-9",), "other"),
    (("2106-3", "2054-5"), None), ((), None),
])
def test_us_core_race(codes: tuple[str, ...], race: str | None) -> None:
    pat = patient(extension=[_race(*codes)])
    assert read(observation("o1", "731-0", 1.2), pat=pat).race == race


def card(**extra: Any) -> PatientFacts:
    doc = {"patient": {"id": "c", "birth_date": "1960-01-01", "sex": "female"}, **extra}
    return read_card(doc, source_name="card.yaml", as_of=AS_OF, knowledge=default_knowledge())


def test_card_counts_need_no_unit_and_lipids_convert() -> None:
    facts = card(labs=[{"test": "tender-joints-28", "value": 4, "date": "2024-05-30"},
                       {"test": "cholesterol-total", "value": 5.2, "unit": "mmol/L", "date": "2024-05-30"}])
    values = labs(facts)
    assert values["tender-joints-28"] == 4
    assert values["cholesterol-total"] == pytest.approx(5.2 * 38.67)


def test_card_race_and_refusals() -> None:
    assert card(patient={"id": "c", "age": 60, "sex": "male", "race": "white"}).race == "white"
    with pytest.raises(InputError, match="race"):
        card(patient={"id": "c", "age": 60, "sex": "male", "race": "caucasian"})
    with pytest.raises(InputError, match=r"labs\[0\].unit"):
        card(labs=[{"test": "cholesterol-total", "value": 5.2, "date": "2024-05-30"}])
