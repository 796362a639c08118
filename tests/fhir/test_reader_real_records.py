"""FHIR reader: shapes real EHRs send — results that are not final yet, and sex given only in US Core extensions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jakcheck.fhir.reader import read_document
from jakcheck.patient.facts import PatientFacts, Tri

from .conftest import AS_OF, SNOMED, FakeTerminology, bundle, cc, coded_observation, observation, patient

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"


def read(obj: Any, kb: FakeTerminology, as_of: date = AS_OF) -> PatientFacts:
    return read_document(obj, source_name="test.json", as_of=as_of, knowledge=kb)


def _with_status(res: dict[str, Any], status: str) -> dict[str, Any]:
    return {**res, "status": status}


POSITIVE = cc(SNOMED, "10828004", "Positive")
NEGATIVE = cc(SNOMED, "260385009", "Negative")


@pytest.mark.parametrize("status", ["preliminary", "registered", "unknown"])
def test_a_provisional_negative_does_not_close_a_screening_gap(kb: FakeTerminology, status: str) -> None:
    """A preliminary negative HBsAg is set aside and named (status field); the screen stays open."""
    hbsag = _with_status(coded_observation("h1", "5196-1", NEGATIVE), status)
    facts = read(bundle(hbsag), kb)
    assert facts.results == ()
    [u] = facts.unusable
    assert (u.source, u.field, u.concept) == ("Observation/h1", "status", "hbsag")
    assert status in u.reason and "not final" in u.reason


def test_a_provisional_positive_counts_and_says_so(kb: FakeTerminology) -> None:
    hbsag = _with_status(coded_observation("h1", "5196-1", POSITIVE), "preliminary")
    [r] = read(bundle(hbsag), kb).results
    assert (r.concept, r.result) == ("hbsag", "positive") and r.original.endswith("(preliminary)")


def test_a_provisional_pregnancy_test_counts_only_when_positive(kb: FakeTerminology) -> None:
    neg = _with_status(coded_observation("p1", "2106-3", NEGATIVE, "2024-05-20"), "preliminary")
    assert read(bundle(neg), kb).pregnant.state == Tri.UNKNOWN
    pos = _with_status(coded_observation("p2", "2106-3", POSITIVE, "2024-05-20"), "preliminary")
    assert read(bundle(pos), kb).pregnant.state == Tri.PRESENT


def test_a_provisional_number_is_not_used(kb: FakeTerminology) -> None:
    """A preliminary lymphocyte count is not used as a measurement (it could close the blood count gap)."""
    facts = read(bundle(_with_status(observation("l1", "731-0", 1.4), "preliminary")), kb)
    assert facts.labs == ()
    assert facts.unusable[0].field == "status" and facts.unusable[0].concept == "lymphocytes"


@pytest.mark.parametrize("status", ["amended", "corrected"])
def test_revised_results_are_used_and_shown(kb: FakeTerminology, status: str) -> None:
    facts = read(bundle(_with_status(observation("l1", "731-0", 1.4), status),
                        _with_status(coded_observation("h1", "5196-1", NEGATIVE), status)), kb)
    assert [lab.original for lab in facts.labs] == [f"1.4 10*9/L ({status})"]
    assert [r.original.endswith(f"({status})") for r in facts.results] == [True]
    assert facts.unusable == ()


@pytest.mark.parametrize(("ext", "expected"), [
    ({"url": US_CORE + "us-core-individual-sex", "valueCoding": {"system": SNOMED, "code": "248152002"}}, "female"),
    ({"url": US_CORE + "us-core-individual-sex", "valueCoding": {"system": SNOMED, "code": "248153007"}}, "male"),
    ({"url": US_CORE + "us-core-sex", "valueCode": "248152002"}, "female"),
    ({"url": US_CORE + "us-core-birthsex", "valueCode": "M"}, "male"),
    ({"url": US_CORE + "us-core-birthsex", "valueCode": "UNK"}, "unknown"),
    ({"url": "http://example.org/other-sex", "valueCode": "F"}, "unknown"),
])
def test_sex_from_us_core_extensions_when_gender_is_absent(kb: FakeTerminology, ext: dict[str, Any],
                                                           expected: str) -> None:
    p = {k: v for k, v in patient().items() if k != "gender"}
    p["extension"] = [ext]
    assert read(bundle(p, with_patient=False), kb).sex == expected


def test_gender_wins_and_disagreeing_extensions_stay_unknown(kb: FakeTerminology) -> None:
    female = {"url": US_CORE + "us-core-individual-sex", "valueCoding": {"system": SNOMED, "code": "248152002"}}
    male = {"url": US_CORE + "us-core-birthsex", "valueCode": "M"}
    assert read(bundle({**patient(), "gender": "male", "extension": [female]}, with_patient=False), kb).sex == "male"
    p = {k: v for k, v in patient().items() if k != "gender"}
    assert read(bundle({**p, "extension": [female, male]}, with_patient=False), kb).sex == "unknown"


# --- deliveries and terminations: a Procedure that ends the pregnancies recorded before it ---------------------


def _procedure(pid: str, code: str, system: str = SNOMED, **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Procedure", "id": pid, "status": "completed",
                           "code": cc(system, code, "delivery"), "subject": {"reference": "Patient/p1"}}
    return {**res, **extra}


def _real(obj: Any) -> PatientFacts:
    from jakcheck.knowledge.loader import default_knowledge

    return read_document(obj, source_name="test.json", as_of=AS_OF, knowledge=default_knowledge())


def test_a_completed_delivery_procedure_is_read_with_its_date() -> None:
    """SNOMED and CPT delivery codes; performedPeriod gives its end (the delivery is over then)."""
    facts = _real(bundle(
        _procedure("d1", "11466000", performedDateTime="2024-03-02T10:00:00Z"),
        _procedure("d2", "59409", "http://www.ama-assn.org/go/cpt",
                   performedPeriod={"start": "2023-01-04", "end": "2023-01-05"})))
    assert [(p.concept, p.performed, p.source) for p in facts.procedures] == [
        ("pregnancy-end-procedure", date(2024, 3, 2), "Procedure/d1"),
        ("pregnancy-end-procedure", date(2023, 1, 5), "Procedure/d2")]


@pytest.mark.parametrize("status", ["in-progress", "not-done", "entered-in-error", "preparation", "unknown"])
def test_a_procedure_that_did_not_take_place_is_not_read(status: str) -> None:
    facts = _real(bundle(_procedure("d1", "11466000", status=status, performedDateTime="2024-03-02")))
    assert facts.procedures == () and facts.unusable == ()


def test_an_undated_delivery_is_set_aside_and_named() -> None:
    """A delivery without a date cannot be placed before or after a pregnancy: never dated by guess."""
    facts = _real(bundle(_procedure("d1", "11466000", performedString="last spring")))
    assert facts.procedures == ()
    [u] = facts.unusable
    assert (u.source, u.field, u.concept) == ("Procedure/d1", "performedString", "pregnancy-end-procedure")


def test_other_procedures_and_delivery_named_in_text_only_are_not_read() -> None:
    text_only = {"resourceType": "Procedure", "id": "d2", "status": "completed", "code": {"text": "Caesarean"},
                 "performedDateTime": "2024-03-02"}
    facts = _real(bundle(_procedure("d1", "80146002", performedDateTime="2024-03-02"), text_only))
    assert facts.procedures == ()
