"""FHIR reader: containers, resources, references and every bad-input case."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jakcheck.errors import InputError
from jakcheck.fhir.reader import read_document, read_file, read_json_text
from jakcheck.patient.facts import PatientFacts, Tri

from .conftest import (
    AS_OF,
    CVX,
    LOINC,
    PID,
    RXNORM,
    SNOMED,
    FakeTerminology,
    bundle,
    cc,
    coded_observation,
    condition,
    med_request,
    observation,
    patient,
)


def read(obj: Any, kb: FakeTerminology, as_of: date = AS_OF) -> PatientFacts:
    return read_document(obj, source_name="test.json", as_of=as_of, knowledge=kb)


# --- containers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("btype", ["collection", "transaction", "searchset", "batch", "document"])
def test_bundle_types(kb: FakeTerminology, btype: str) -> None:
    facts = read(bundle(observation("o1", "731-0", 1.2), btype=btype), kb)
    assert facts.patient_id == PID
    assert facts.birth_date == date(1960, 2, 3)
    assert facts.sex == "female"
    assert [(lab.concept, lab.value, lab.unit) for lab in facts.labs] == [("lymphocytes", 1.2, "10*9/L")]
    assert facts.patient_source == f"Patient/{PID}"


def test_urn_uuid_references(kb: FakeTerminology) -> None:
    obs = observation("o1", "731-0", 1.2, subject={"reference": f"urn:uuid:{PID}"})
    assert len(read(bundle(obs), kb).labs) == 1


def test_absolute_reference_and_history(kb: FakeTerminology) -> None:
    obs = observation("o1", "731-0", 1.2, subject={"reference": f"https://ehr.example/fhir/Patient/{PID}/_history/3"})
    assert len(read(bundle(obs), kb).labs) == 1


def test_fullurl_reference(kb: FakeTerminology) -> None:
    doc = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "https://ehr.example/fhir/Patient/xyz", "resource": patient("xyz")},
        {"resource": observation("o1", "731-0", 1.2, subject={"reference": "https://ehr.example/fhir/Patient/xyz"})},
    ]}
    assert read(doc, kb).patient_id == "xyz"


def test_bare_list_and_single_patient(kb: FakeTerminology) -> None:
    assert len(read([patient(), observation("o1", "731-0", 1.2)], kb).labs) == 1
    facts = read(patient(deceasedBoolean=True), kb)
    assert facts.deceased and facts.labs == ()


def test_cds_hooks_prefetch_and_request(kb: FakeTerminology) -> None:
    prefetch = {"patient": patient(), "labs": bundle(observation("o1", "731-0", 1.2), btype="searchset",
                                                     with_patient=False),
                "again": bundle(observation("o2", "718-7", 13.0, "g/dL"), btype="searchset"), "missing": None}
    facts = read(prefetch, kb)
    assert {lab.concept for lab in facts.labs} == {"lymphocytes", "hemoglobin"}  # same Patient twice is fine
    request = {"hook": "order-select", "hookInstance": "x", "context": {"patientId": PID}, "prefetch": prefetch}
    assert read(request, kb).labs == facts.labs
    with pytest.raises(InputError, match="context.patientId"):
        read({**request, "context": {"patientId": "other"}}, kb)


def test_nested_bundles(kb: FakeTerminology) -> None:
    inner = bundle(observation("o1", "731-0", 1.2), with_patient=False)
    outer = {"resourceType": "Bundle", "type": "collection",
             "entry": [{"resource": patient()}, {"resource": inner}, {"request": {"method": "DELETE"}}]}
    assert len(read(outer, kb).labs) == 1


# --- bad input -------------------------------------------------------------------------------------------


def test_malformed_json_names_line_and_column(kb: FakeTerminology) -> None:
    with pytest.raises(InputError) as info:
        read_json_text('{\n  "resourceType": "Bundle",\n  "entry": [,]\n}', source_name="bad.json", as_of=AS_OF,
                       knowledge=kb)
    err = info.value
    assert (err.file, err.line, err.column) == ("bad.json", 3, 13)
    assert "bad.json:3:13" in str(err)


def test_read_file_malformed_and_too_large(kb: FakeTerminology, tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text('{"a": 1', encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.json:1:8"):
        read_file(p, as_of=AS_OF, knowledge=kb)
    p.write_text(json.dumps(bundle()), encoding="utf-8")
    assert read_file(p, as_of=AS_OF, knowledge=kb).patient_id == PID
    with pytest.raises(InputError, match="limit of 10 bytes"):
        read_file(p, as_of=AS_OF, knowledge=kb, max_bytes=10)
    with pytest.raises(InputError, match="cannot read"):
        read_file(tmp_path / "missing.json", as_of=AS_OF, knowledge=kb)
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(InputError, match="UTF-8"):
        read_file(tmp_path / "bin.json", as_of=AS_OF, knowledge=kb)


@pytest.mark.parametrize("doc", [{"a": 1}, 42, "text", None, [], {"resourceType": 3}, [{"x": 1}]])
def test_not_fhir(kb: FakeTerminology, doc: Any) -> None:
    with pytest.raises(InputError):
        read(doc, kb)


def test_no_patient(kb: FakeTerminology) -> None:
    with pytest.raises(InputError, match="no Patient"):
        read(bundle(observation("o1", "731-0", 1.2), with_patient=False), kb)
    with pytest.raises(InputError, match="no Patient"):
        read({"resourceType": "Group", "id": "g"}, kb)


def test_two_patients(kb: FakeTerminology) -> None:
    with pytest.raises(InputError) as info:
        read([patient("a1"), patient("b2")], kb)
    assert "two different Patient" in str(info.value)
    assert "a1" not in str(info.value) and "b2" not in str(info.value)  # no patient identifiers in messages


def test_reference_to_other_patient(kb: FakeTerminology) -> None:
    obs = observation("o9", "731-0", 1.2, subject={"reference": "Patient/someone-else"})
    with pytest.raises(InputError) as info:
        read(bundle(obs), kb)
    assert info.value.resource == "Observation/o9" and info.value.field == "subject.reference"
    assert "different Patient" in str(info.value) and "someone-else" not in str(info.value)


def test_unresolvable_reference(kb: FakeTerminology) -> None:
    cond = condition("c1", "69896004", "Rheumatoid arthritis", subject={"reference": "urn:uuid:nobody"})
    with pytest.raises(InputError, match="does not resolve") as info:
        read(bundle(cond), kb)
    assert info.value.resource == "Condition/c1"
    imm = {"resourceType": "Immunization", "id": "i1", "status": "completed", "vaccineCode": cc(CVX, "140"),
           "patient": {"reference": "Group/1"}, "occurrenceDateTime": "2020-01-01"}
    with pytest.raises(InputError, match="patient.reference"):
        read(bundle(imm), kb)


def test_resources_not_read_are_not_checked(kb: FakeTerminology) -> None:
    enc = {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/other"}}
    unmapped = observation("o1", "9999-9", 1.0, subject={"reference": "Patient/other"})
    assert read(bundle(enc, unmapped), kb).labs == ()


def test_birth_date_future_or_too_old(kb: FakeTerminology) -> None:
    with pytest.raises(InputError, match="after the assessment date"):
        read(patient(birthDate="2030-01-01"), kb)
    with pytest.raises(InputError, match="age over 130") as info:
        read(patient(birthDate="1890-01-01"), kb)
    assert "1890" not in str(info.value)
    with pytest.raises(InputError, match="birthDate"):
        read(patient(birthDate="03/02/1960"), kb)
    facts = read(patient(birthDate="1960"), kb)
    assert facts.birth_date is None and facts.unusable[0].field == "birthDate"


# --- observations ----------------------------------------------------------------------------------------


def test_observation_conversions_and_reference_high(kb: FakeTerminology) -> None:
    hb = observation("hb", "718-7", 7.5, "mmol/L", referenceRange=[{"high": {"value": 10.0, "unit": "mmol/L"}}])
    crea = observation("cr", "2160-0", 97.24, "umol/L")
    alt = observation("alt", "1742-6", 1.0, "ukat/L", referenceRange=[{"low": {"value": 0}, "high": {"value": 0.75}}])
    plt = observation("plt", "777-3", 250000, "/uL")
    facts = read(bundle(hb, crea, alt, plt), kb)
    labs = {lab.concept: lab for lab in facts.labs}
    assert labs["hemoglobin"].value == pytest.approx(12.085, abs=1e-3)
    assert labs["hemoglobin"].reference_high == pytest.approx(16.113, abs=1e-3)
    assert labs["hemoglobin"].original == "7.5 mmol/L"
    assert labs["creatinine"].value == pytest.approx(1.1)
    assert labs["alt"].value == pytest.approx(60.0)
    assert labs["alt"].reference_high == pytest.approx(45.0)  # high without unit: the value's unit
    assert labs["platelets"].value == pytest.approx(250.0)
    assert facts.unusable == ()


@pytest.mark.parametrize(("obs", "field", "reason"), [
    (observation("u", "731-0", 1.2, "furlongs"), "valueQuantity.unit", "unknown unit"),
    (observation("u", "731-0", 1.2, None), "valueQuantity.unit", "no unit"),
    (observation("u", "731-0", 150.0, "10*9/L"), "valueQuantity.value", "plausible"),
    (observation("u", "731-0", -1.0, "10*9/L"), "valueQuantity.value", "plausible"),
    (observation("u", "731-0", 1.2, when="2025-01-01"), "effectiveDateTime", "after the assessment date"),
    (observation("u", "731-0", 1.2, when="yesterday"), "effectiveDateTime", "not a FHIR date"),
    (observation("u", "731-0", 1.2, when="2024-02-30"), "effectiveDateTime", "invalid date"),
    ({**observation("u", "731-0", None), "valueString": "low"}, "valueQuantity", "valueString"),
    ({**observation("u", "731-0", None), "dataAbsentReason": cc("x", "error")}, "valueQuantity", "error"),
    (observation("u", "731-0", "1.2"), "valueQuantity.value", "not a number"),
    ({**observation("u", "731-0", 60.0), "valueQuantity": {"value": 0.5, "comparator": "ad", "unit": "10*9/L"}},
     "valueQuantity.comparator", "bound"),
    # a comparator that is not even a string (an object cannot be looked up in a set: never a crash)
    ({**observation("u", "731-0", 60.0), "valueQuantity": {"value": 0.5, "comparator": {"x": "<"},
                                                            "unit": "10*9/L"}},
     "valueQuantity.comparator", "bound"),
])
def test_unusable_values(kb: FakeTerminology, obs: dict[str, Any], field: str, reason: str) -> None:
    if obs.get("effectiveDateTime") is None:
        obs.pop("effectiveDateTime", None)
    facts = read(bundle(obs), kb)
    assert facts.labs == ()
    [u] = facts.unusable
    assert (u.source, u.field, u.concept) == ("Observation/u", field, "lymphocytes")
    assert reason in u.reason


def test_a_bound_is_kept_with_its_comparator(kb: FakeTerminology) -> None:
    """"< 0.5": kept as a bound (the rules use it only where it settles every threshold they compare)."""
    obs = {**observation("u", "731-0", 60.0), "valueQuantity": {"value": 500, "comparator": "<", "unit": "/uL"}}
    facts = read(bundle(obs), kb)
    [lab] = facts.labs
    assert (lab.comparator, lab.value, lab.original) == ("<", pytest.approx(0.5), "<500 /uL")
    assert facts.unusable == ()


def test_observation_without_date_and_date_sources(kb: FakeTerminology) -> None:
    no_date = observation("a", "731-0", 1.2)
    del no_date["effectiveDateTime"]
    issued = {**no_date, "id": "b", "issued": "2024-03-01T10:00:00.000+02:00"}
    period = {**no_date, "id": "c", "effectivePeriod": {"start": "2024-02-01"}}
    facts = read(bundle(no_date, issued, period), kb)
    assert [u.source for u in facts.unusable] == ["Observation/a"]
    assert [lab.effective for lab in facts.labs] == [date(2024, 3, 1), date(2024, 2, 1)]


def test_skipped_statuses_and_multiple_concepts(kb: FakeTerminology) -> None:
    err = observation("e", "731-0", 1.2, status="entered-in-error")
    cancelled = observation("c", "731-0", 1.2, status="cancelled")
    kb2 = FakeTerminology()
    kb2.concepts["lymphocytes-alias"] = kb2.concepts["lymphocytes"].__class__(
        "lymphocytes-alias", "observation", ((LOINC, "731-0"),), unit="10*9/L")
    facts = read(bundle(err, cancelled, observation("ok", "731-0", 1.2)), kb2)
    assert sorted(lab.concept for lab in facts.labs) == ["lymphocytes", "lymphocytes-alias"]


def test_blood_pressure_panel_component(kb: FakeTerminology) -> None:
    bp = {"resourceType": "Observation", "id": "bp", "status": "final", "code": cc(LOINC, "85354-9"),
          "subject": {"reference": f"urn:uuid:{PID}"}, "effectiveDateTime": "2024-04-01",
          "component": [{"code": cc(LOINC, "8462-4"), "valueQuantity": {"value": 80, "code": "mm[Hg]"}},
                        {"code": cc(LOINC, "8480-6"), "valueQuantity": {"value": 142, "code": "mm[Hg]"}}]}
    [lab] = read(bundle(bp), kb).labs
    assert (lab.concept, lab.value, lab.source) == ("systolic-bp", 142.0, "Observation/bp")


def test_smoking_latest_wins(kb: FakeTerminology) -> None:
    old = coded_observation("s1", "72166-2", cc(SNOMED, "449868002", "Current every day smoker"), "2015-01-01")
    new = coded_observation("s2", "72166-2", cc(SNOMED, "8517006", "Former smoker"), "2023-01-01")
    unknown = coded_observation("s3", "72166-2", cc(SNOMED, "266927001"), "2024-01-01")
    facts = read(bundle(new, old, unknown), kb)
    assert (facts.smoking.status, facts.smoking.source, facts.smoking.effective) == (
        "former", "Observation/s2", date(2023, 1, 1))
    bad = coded_observation("s4", "72166-2", cc("http://example.org/local", "xx"))
    facts = read(bundle(bad), kb)
    assert facts.smoking.status == "unknown" and facts.unusable[0].concept == "smoking-status"


def test_coded_results_and_pregnancy(kb: FakeTerminology) -> None:
    igra = coded_observation("t1", "71774-4", cc(SNOMED, "260385009", "Negative"))
    hbsag = {**observation("h1", "5196-1", None), "valueString": "Positive"}
    interp = {**observation("h2", "5196-1", None), "interpretation": [cc("http://terminology.hl7.org/x", "NEG")]}
    nothing = observation("h3", "5196-1", None)
    preg = coded_observation("pg", "82810-3", cc(SNOMED, "60001007", "Not pregnant"), "2024-05-20")
    test = coded_observation("pt", "2106-3", cc(SNOMED, "10828004", "Positive"), "2024-01-01")
    facts = read(bundle(igra, hbsag, interp, nothing, preg, test), kb)
    assert [(r.concept, r.result) for r in facts.results] == [
        ("tb-igra", "negative"), ("hbsag", "positive"), ("hbsag", "negative"), ("pregnancy-test", "positive")]
    assert [u.source for u in facts.unusable] == ["Observation/h3"]
    assert (facts.pregnant.state, facts.pregnant.source) == (Tri.ABSENT, "Observation/pg")


def test_text_fallback_only_for_uncoded_observations(kb: FakeTerminology) -> None:
    kb2 = FakeTerminology()
    kb2.concepts["hemoglobin"] = kb2.concepts["hemoglobin"].__class__(
        "hemoglobin", "observation", ((LOINC, "718-7"),), text=("hemoglobin",), unit="g/dL")
    a1c = observation("a1c", "4548-4", 6.1, "%")
    a1c["code"]["text"] = "Hemoglobin A1c/Hemoglobin.total in Blood"
    local = observation("loc", "x", 13.0, "g/dL")
    local["code"] = {"coding": [{"system": "urn:lab", "code": "HB"}], "text": "Hemoglobin"}
    facts = read(bundle(a1c, local), kb2)
    assert [(lab.source, lab.value) for lab in facts.labs] == [("Observation/loc", 13.0)]
    assert [(t.concept, t.source) for t in facts.text_matches] == [("hemoglobin", "Observation/loc")]
    assert facts.unusable == ()


# --- conditions ------------------------------------------------------------------------------------------


def test_conditions(kb: FakeTerminology) -> None:
    status = "http://terminology.hl7.org/CodeSystem/condition-clinical"
    ver = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
    active = condition("c1", "69896004", "Rheumatoid arthritis", onsetDateTime="2018-08-12T07:56:53+00:00",
                       clinicalStatus=cc(status, "active"))
    resolved = condition("c2", "59621000", "Hypertension", clinicalStatus=cc(status, "resolved"),
                         abatementDateTime="2020-01-01")
    no_status = condition("c3", "128053003", "DVT", abatementDateTime="2023-01-01")
    no_status_open = condition("c4", "128053003", "DVT", onsetPeriod={"start": "2022"})
    refuted = condition("c5", "363346000", "Malignant neoplasm", verificationStatus=cc(ver, "refuted"))
    error = condition("c6", "363346000", "x", verificationStatus=cc(ver, "entered-in-error"),
                      subject={"reference": "Patient/other"})
    text_only = {"resourceType": "Condition", "id": "c7", "code": {"text": "Seropositive rheumatoid arthritis"},
                 "subject": {"reference": f"Patient/{PID}"}}
    unknown_system = {**condition("c8", "69896004"), "code": {"coding": [{"system": "urn:x", "code": "69896004"}]}}
    facts = read(bundle(active, resolved, no_status, no_status_open, refuted, error, text_only, unknown_system), kb)
    got = [(c.source, c.concept, c.active, c.onset, c.matched_by) for c in facts.conditions]
    assert got == [
        ("Condition/c1", "rheumatoid-arthritis", True, date(2018, 8, 12), "code"),
        ("Condition/c2", "hypertension", False, None, "code"),
        ("Condition/c3", "vte", False, None, "code"),
        ("Condition/c4", "vte", True, date(2022, 1, 1), "code"),
        ("Condition/c7", "rheumatoid-arthritis", True, None, "text"),
    ]
    assert [(t.concept, t.source) for t in facts.text_matches] == [("rheumatoid-arthritis", "Condition/c7")]
    assert facts.conditions[0].display == "Rheumatoid arthritis"


def test_pregnancy_and_lactation_conditions(kb: FakeTerminology) -> None:
    preg = condition("p", "72892002", "Normal pregnancy", onsetDateTime="2024-03-01")
    lact = condition("l", "169750002", "Lactating")
    facts = read(bundle(preg, lact), kb)
    assert facts.pregnant.state is Tri.PRESENT and facts.lactating.state is Tri.PRESENT


# --- medications -----------------------------------------------------------------------------------------


def _dosage(value: float, unit: str | None, freq: int = 1, period: float = 1, period_unit: str = "d") -> list[Any]:
    dq: dict[str, Any] = {"value": value}
    if unit:
        dq["unit"] = unit
    return [{"timing": {"repeat": {"frequency": freq, "period": period, "periodUnit": period_unit}},
             "doseAndRate": [{"doseQuantity": dq}]}]


def test_medication_doses(kb: FakeTerminology) -> None:
    pred_tabs = med_request("m1", "312617", "predniSONE 5 MG Oral Tablet", dosageInstruction=_dosage(2, None))
    pred_mg = med_request("m2", "8640", "prednisone", dosageInstruction=_dosage(5, "mg", freq=2))
    mtx_weekly = med_request("m3", "105586", "Methotrexate 10 MG Oral Tablet",
                             dosageInstruction=_dosage(1.5, "{tbl}", period=1, period_unit="wk"))
    mp = med_request("m4", "6902", "methylPREDNISolone 4 MG Oral Tablet", dosageInstruction=_dosage(1, "TAB"))
    cream = med_request("m5", "312617", "Hydrocortisone 10 MG/ML Topical Cream", dosageInstruction=_dosage(1, None))
    prn = med_request("m6", "8640", "prednisone", dosageInstruction=[{**_dosage(5, "mg")[0], "asNeededBoolean": True}])
    facts = read(bundle(pred_tabs, pred_mg, mtx_weekly, mp, cream, prn), kb)
    got = {m.source: (m.daily_dose_mg, m.prednisone_equivalent_mg) for m in facts.medications}
    assert got["MedicationRequest/m1"] == (10.0, 10.0)
    assert got["MedicationRequest/m2"] == (10.0, 10.0)
    assert got["MedicationRequest/m3"][0] == pytest.approx(15 / 7)
    assert got["MedicationRequest/m3"][1] is None
    assert got["MedicationRequest/m4"] == (4.0, 5.0)
    assert got["MedicationRequest/m5"] == (None, None)
    assert got["MedicationRequest/m6"] == (None, None)
    assert facts.medications[0].classes == ("glucocorticoid",)


def test_medication_status_and_dates(kb: FakeTerminology) -> None:
    base = ("21212", "clarithromycin 500 MG Oral Tablet")
    cases = {
        "active": med_request("a", *base),
        "on-hold": med_request("h", *base, status="on-hold"),
        "stopped": med_request("s", *base, status="stopped"),
        "completed": med_request("c", *base, status="completed"),
        "expired": med_request("e", *base, dispenseRequest={"validityPeriod": {"start": "2023-01-01",
                                                                                "end": "2023-02-01"}}),
        "bounded": med_request("b", *base, dosageInstruction=[{"timing": {"repeat": {"boundsPeriod": {
            "start": "2024-05-01", "end": "2024-12-31"}}}}]),
        "future": med_request("f", *base, dosageInstruction=[{"timing": {"repeat": {"boundsPeriod": {
            "start": "2024-07-01"}}}}]),
    }
    err = med_request("x", *base, status="entered-in-error")
    facts = read(bundle(*cases.values(), err), kb)
    current = {m.source.split("/")[1]: m.current for m in facts.medications}
    assert current == {"a": True, "h": True, "s": False, "c": False, "e": False, "b": True, "f": False}
    bounded = next(m for m in facts.medications if m.source.endswith("/b"))
    assert (bounded.start, bounded.end) == (date(2024, 5, 1), date(2024, 12, 31))


def test_medication_statement_and_references(kb: FakeTerminology) -> None:
    med = {"resourceType": "Medication", "id": "med1", "code": cc(RXNORM, "6851", "methotrexate")}
    contained = {"resourceType": "MedicationStatement", "id": "ms1", "status": "active",
                 "contained": [{"resourceType": "Medication", "id": "c", "code": cc(RXNORM, "8640")}],
                 "medicationReference": {"reference": "#c"}, "subject": {"reference": f"Patient/{PID}"},
                 "effectivePeriod": {"start": "2023-01-01"}}
    bundled = {"resourceType": "MedicationRequest", "id": "mr1", "status": "active",
               "medicationReference": {"reference": "urn:uuid:med1"}, "subject": {"reference": f"Patient/{PID}"}}
    by_type = {**bundled, "id": "mr2", "medicationReference": {"reference": "Medication/med1"}}
    dangling = {**bundled, "id": "mr3", "medicationReference": {"reference": "Medication/none"}}
    facts = read(bundle(med, contained, bundled, by_type, dangling), kb)
    assert [(m.source, m.concept) for m in facts.medications] == [
        ("MedicationStatement/ms1", "prednisone"), ("MedicationRequest/mr1", "methotrexate"),
        ("MedicationRequest/mr2", "methotrexate")]
    assert facts.medications[0].start == date(2023, 1, 1)
    assert [(u.source, u.field) for u in facts.unusable] == [("MedicationRequest/mr3", "medicationReference")]


def test_medication_text_fallback(kb: FakeTerminology) -> None:
    mr = med_request("m1", "999999", "PredniSONE 20 MG Oral Tablet", dosageInstruction=_dosage(1, None))
    [m] = read(bundle(mr), kb).medications
    assert (m.concept, m.matched_by, m.prednisone_equivalent_mg) == ("prednisone", "text", 20.0)


# --- immunizations ---------------------------------------------------------------------------------------


def test_immunizations(kb: FakeTerminology) -> None:
    def imm(iid: str, code: str, **extra: Any) -> dict[str, Any]:
        return {"resourceType": "Immunization", "id": iid, "status": "completed", "vaccineCode": cc(CVX, code),
                "patient": {"reference": f"Patient/{PID}"}, "occurrenceDateTime": "2021-05-01", **extra}

    facts = read(bundle(imm("i1", "121"), imm("i2", "187"), imm("i3", "187", status="not-done"),
                        imm("i4", "140", occurrenceDateTime=None, occurrenceString="as a child"),
                        imm("i5", "140", occurrenceDateTime="2030-01-01")), kb)
    assert [(i.concept, i.live, i.occurred) for i in facts.immunizations] == [
        ("zoster-live", True, date(2021, 5, 1)), ("zoster-recombinant", False, date(2021, 5, 1))]
    assert [(u.source, u.field) for u in facts.unusable] == [("Immunization/i4", "occurrenceString"),
                                                              ("Immunization/i5", "occurrenceDateTime")]


def test_missing_subject_is_the_patient(kb: FakeTerminology) -> None:
    obs = observation("o1", "731-0", 1.2)
    del obs["subject"]
    assert len(read(bundle(obs), kb).labs) == 1


def test_deterministic(kb: FakeTerminology) -> None:
    doc = bundle(observation("o1", "731-0", 1.2), condition("c1", "69896004", "RA"))
    assert read(doc, kb) == read(json.loads(json.dumps(doc)), kb)


def test_medication_bad_date_is_unusable_but_kept(kb: FakeTerminology) -> None:
    mr = med_request("m1", "21212", "clarithromycin", authoredOn="last week")
    facts = read(bundle(mr), kb)
    [m] = facts.medications
    assert (m.start, m.current) == (None, True)
    assert [(u.source, u.field, u.concept) for u in facts.unusable] == [
        ("MedicationRequest/m1", "authoredOn", "clarithromycin")]
