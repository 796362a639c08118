"""Property tests: any JSON value gives PatientFacts or InputError, never another exception; reading is
deterministic."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jakcheck.errors import InputError
from jakcheck.fhir.reader import read_document, read_json_text
from jakcheck.patient.card import read_card_text
from jakcheck.patient.facts import PatientFacts

from .conftest import CVX, LOINC, PID, RXNORM, SNOMED, FakeTerminology

KB = FakeTerminology()
AS_OF = date(2024, 6, 1)
EXAMPLES = int(os.environ.get("JAKCHECK_HYPOTHESIS_EXAMPLES", "300"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64) | \
    st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)

# Field values biased towards what the reader looks at, with wrong types mixed in.
dates = st.sampled_from(["2020-01-01", "2024-05-01T10:00:00Z", "2031-01-01", "1890-01-01", "2020", "2020-13",
                         "bad", "", None]) | json_values
codes = st.sampled_from([(LOINC, "731-0"), (LOINC, "718-7"), (LOINC, "72166-2"), (LOINC, "5196-1"),
                         (LOINC, "8480-6"), (LOINC, "82810-3"), (LOINC, "2106-3"), (SNOMED, "69896004"),
                         (SNOMED, "72892002"), (SNOMED, "266919005"), (SNOMED, "10828004"), (RXNORM, "312617"),
                         (CVX, "121"), ("urn:x", "1")])
codings = st.builds(lambda c, d: {"system": c[0], "code": c[1], "display": d}, codes,
                    st.sampled_from(["predniSONE 5 MG Oral Tablet", "Rheumatoid arthritis", "x", ""]))
concepts = st.builds(lambda cs, t: {"coding": cs, "text": t}, st.lists(codings, max_size=2),
                     st.sampled_from(["prednisone", "rheumatoid arthritis", "positive", ""]) | json_values) \
    | json_values
refs = st.sampled_from([f"Patient/{PID}", f"urn:uuid:{PID}", "Patient/other", "Group/1", "#c",
                        "Medication/m1"]).map(lambda r: {"reference": r}) | json_values
quantities = st.fixed_dictionaries({}, optional={
    "value": st.floats(allow_nan=False, allow_infinity=False) | st.integers() | json_values,
    "unit": st.sampled_from(["10*9/L", "g/dL", "mmol/L", "mg", "furlongs", ""]) | json_values,
    "code": st.sampled_from(["10*3/uL", "mm[Hg]", "{tbl}"]) | json_values,
    "comparator": st.sampled_from(["<", ">"])})
resource_fields = {
    "id": st.text(max_size=6) | json_values, "status": st.sampled_from(
        ["final", "active", "completed", "on-hold", "stopped", "entered-in-error", "cancelled"]) | json_values,
    "code": concepts, "vaccineCode": concepts, "medicationCodeableConcept": concepts,
    "medicationReference": refs, "subject": refs, "patient": refs, "valueQuantity": quantities,
    "valueCodeableConcept": concepts, "valueString": json_values, "effectiveDateTime": dates,
    "effectivePeriod": st.fixed_dictionaries({"start": dates}) | json_values, "issued": dates,
    "onsetDateTime": dates, "abatementDateTime": dates, "occurrenceDateTime": dates, "authoredOn": dates,
    "birthDate": dates, "gender": st.sampled_from(["female", "male", "x"]) | json_values,
    "clinicalStatus": concepts, "verificationStatus": concepts, "interpretation": st.lists(concepts, max_size=2),
    "component": st.lists(st.fixed_dictionaries({"code": concepts, "valueQuantity": quantities}), max_size=2)
    | json_values,
    "referenceRange": st.lists(st.fixed_dictionaries({"high": quantities}), max_size=1) | json_values,
    "dosageInstruction": st.lists(st.fixed_dictionaries({}, optional={
        "timing": st.fixed_dictionaries({"repeat": st.fixed_dictionaries({}, optional={
            "frequency": json_values, "period": json_values, "periodUnit": st.sampled_from(["d", "wk", "zz"]),
            "boundsPeriod": st.fixed_dictionaries({"start": dates, "end": dates})})}) | json_values,
        "doseAndRate": st.lists(st.fixed_dictionaries({"doseQuantity": quantities}), max_size=2) | json_values,
        "asNeededBoolean": st.booleans()}), max_size=2) | json_values,
    "contained": st.lists(st.fixed_dictionaries({"resourceType": st.just("Medication"), "id": st.just("c"),
                                                 "code": concepts}), max_size=1) | json_values,
    "deceasedBoolean": json_values,
}
resource_types = st.sampled_from(["Patient", "Observation", "Condition", "MedicationRequest",
                                  "MedicationStatement", "Immunization", "Medication", "Encounter", "Bundle"])
resources = st.builds(lambda rt, fields: {"resourceType": rt, **fields}, resource_types,
                      st.fixed_dictionaries({}, optional=resource_fields))
patients = st.builds(lambda pid, fields: {"resourceType": "Patient", "id": pid, **fields},
                     st.sampled_from([PID, PID, "other"]),
                     st.fixed_dictionaries({}, optional={k: resource_fields[k] for k in
                                                         ("birthDate", "gender", "deceasedBoolean")}))
entries = st.builds(lambda r, url: {"resource": r, "fullUrl": url}, patients | resources | json_values,
                    st.sampled_from([f"urn:uuid:{PID}", "urn:uuid:m1", None]) | json_values) | json_values
bundles = st.builds(lambda t, e: {"resourceType": "Bundle", "type": t, "entry": e},
                    st.sampled_from(["collection", "transaction", "searchset"]) | json_values,
                    st.lists(entries, max_size=8) | json_values)
documents = json_values | bundles | st.lists(patients | resources, max_size=6) | \
    st.dictionaries(st.sampled_from(["patient", "labs", "meds", "prefetch", "context"]),
                    patients | bundles | json_values, max_size=4)


@st.composite
def document_texts(draw: st.DrawFn) -> str:
    return json.dumps(draw(documents))


@st.composite
def any_documents(draw: st.DrawFn) -> Any:
    return draw(documents)


def _read(doc: Any) -> PatientFacts | None:
    try:
        return read_document(doc, source_name="prop.json", as_of=AS_OF, knowledge=KB)
    except InputError:
        return None


@SETTINGS
@given(json_values)
def test_any_json_value(doc: Any) -> None:
    _read(doc)


@SETTINGS
@given(any_documents())
def test_bundle_shaped_documents(doc: Any) -> None:
    first = _read(doc)
    assert first == _read(doc)  # same input, same facts


@SETTINGS
@given(st.text(max_size=200) | document_texts())
def test_any_text(text: str) -> None:
    with contextlib.suppress(InputError):
        read_json_text(text, source_name="prop.json", as_of=AS_OF, knowledge=KB)


card_values = st.sampled_from(["1970-01-01", "2030-01-01", "10*9/L", "mmol/L", "lymphocytes", "hemoglobin",
                               "prednisone", "tb-igra", "positive", "yes", "no", "A", "current", "zoster-live",
                               "rheumatoid arthritis", "59621000", "http://snomed.info/sct"]) | json_values
card_items = st.dictionaries(st.sampled_from(["concept", "code", "system", "text", "test", "value", "unit",
                                              "date", "result", "drug", "dose_mg_per_day", "status", "start",
                                              "end", "vaccine", "onset", "abatement", "active",
                                              "reference_high"]), card_values, max_size=6)
card_patients = st.dictionaries(st.sampled_from(["id", "birth_date", "age", "sex"]),
                                card_values | st.integers(-5, 200), max_size=4)
card_sections = {k: st.lists(card_items, max_size=3) | json_values
                 for k in ("conditions", "labs", "results", "medications", "vaccinations")}
cards = st.fixed_dictionaries({"patient": card_patients}, optional={
    **card_sections, "smoking": card_values, "pregnant": card_values, "lactating": card_values,
    "child_pugh": card_values, "dialysis": card_values, "known_absent": st.lists(card_values, max_size=3)
    | json_values, "card_version": card_values})


@st.composite
def card_documents(draw: st.DrawFn) -> Any:
    return draw(cards)


@st.composite
def card_texts(draw: st.DrawFn) -> str:
    return json.dumps(draw(cards))


@SETTINGS
@given(card_documents())
def test_cards(card: Any) -> None:
    assert _read(card) == _read(card)


@SETTINGS
@given(st.text(max_size=200) | card_texts())
def test_card_text(text: str) -> None:
    with contextlib.suppress(InputError):
        read_card_text(text, source_name="prop.yaml", as_of=AS_OF, knowledge=KB)
