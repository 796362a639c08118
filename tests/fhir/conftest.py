"""A small fake terminology (codes as in the value sets being written) and builders for FHIR test documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
AS_OF = date(2024, 6, 1)
PID = "p1"


@dataclass(frozen=True)
class FakeConcept:
    id: str
    kind: str
    codes: tuple[tuple[str, str], ...]
    text: tuple[str, ...] = ()
    unit: str | None = None
    classes: tuple[str, ...] = ()
    live: bool | None = None
    prednisone_equivalence: float | None = None
    label: str = ""


def _obs(cid: str, code: str, unit: str | None = None, *extra: str) -> FakeConcept:
    return FakeConcept(cid, "observation", ((LOINC, code),) + tuple((LOINC, e) for e in extra), unit=unit,
                       label=cid)


CONCEPTS = [
    _obs("lymphocytes", "731-0", "10*9/L"),
    _obs("neutrophils", "751-8", "10*9/L"),
    _obs("hemoglobin", "718-7", "g/dL"),
    _obs("platelets", "777-3", "10*9/L"),
    _obs("wbc", "6690-2", "10*9/L"),
    _obs("alt", "1742-6", "U/L"),
    _obs("ast", "1920-8", "U/L"),
    _obs("bilirubin", "1975-2", "mg/dL"),
    _obs("creatinine", "38483-4", "mg/dL", "2160-0"),
    _obs("egfr", "33914-3", "mL/min/{1.73_m2}"),
    _obs("cholesterol-total", "2093-3", "mg/dL"),
    _obs("hdl", "2085-9", "mg/dL"),
    _obs("ldl", "18262-6", "mg/dL"),
    _obs("triglycerides", "2571-8", "mg/dL"),
    _obs("crp", "1988-5", "mg/L"),
    _obs("weight", "29463-7", "kg"),
    _obs("height", "8302-2", "cm"),
    _obs("bmi", "39156-5", "kg/m2"),
    _obs("systolic-bp", "8480-6", "mm[Hg]"),
    _obs("smoking-status", "72166-2"),
    _obs("pregnancy-status", "82810-3"),
    _obs("pregnancy-test", "2106-3"),
    _obs("tb-igra", "71774-4"),
    _obs("hbsag", "5196-1"),
    _obs("hbv-dna", "29615-2", "[IU]/mL"),
    FakeConcept("smoking-never", "answer", ((SNOMED, "266919005"),)),
    FakeConcept("smoking-former", "answer", ((SNOMED, "8517006"),)),
    FakeConcept("smoking-current", "answer", ((SNOMED, "449868002"), (SNOMED, "77176002"))),
    FakeConcept("smoking-unknown", "answer", ((SNOMED, "266927001"),)),
    FakeConcept("result-positive", "answer", ((SNOMED, "10828004"),), text=("positive",)),
    FakeConcept("result-negative", "answer", ((SNOMED, "260385009"),), text=("negative",)),
    FakeConcept("rheumatoid-arthritis", "condition", ((SNOMED, "69896004"),), text=("rheumatoid arthritis",),
                label="Rheumatoid arthritis"),
    FakeConcept("hypertension", "condition", ((SNOMED, "59621000"),), text=("hypertension",)),
    FakeConcept("pregnancy", "condition", ((SNOMED, "72892002"), (SNOMED, "77386006"))),
    FakeConcept("lactation", "condition", ((SNOMED, "169750002"),)),
    FakeConcept("malignancy", "condition", ((SNOMED, "363346000"),), text=("malignant neoplasm",)),
    FakeConcept("vte", "condition", ((SNOMED, "128053003"),)),
    FakeConcept("methotrexate", "medication", ((RXNORM, "105586"), (RXNORM, "6851")), text=("methotrexate",),
                classes=("csdmard",)),
    FakeConcept("prednisone", "medication", ((RXNORM, "312617"), (RXNORM, "8640")), text=("prednisone",),
                classes=("glucocorticoid",), prednisone_equivalence=1.0, label="Prednisone"),
    FakeConcept("methylprednisolone", "medication", ((RXNORM, "6902"),), classes=("glucocorticoid",),
                prednisone_equivalence=1.25),
    FakeConcept("clarithromycin", "medication", ((RXNORM, "21212"),), text=("clarithromycin",),
                classes=("cyp3a4-strong-inhibitor",)),
    FakeConcept("zoster-live", "vaccine", ((CVX, "121"),), live=True),
    FakeConcept("zoster-recombinant", "vaccine", ((CVX, "187"),), live=False, text=("shingrix",)),
    FakeConcept("influenza", "vaccine", ((CVX, "140"),), live=False),
]


@dataclass
class FakeTerminology:
    concepts: dict[str, FakeConcept] = field(default_factory=lambda: {c.id: c for c in CONCEPTS})

    def concepts_for_code(self, system: str, code: str) -> tuple[str, ...]:
        return tuple(c.id for c in self.concepts.values() if (system.rstrip("/"), code.strip()) in c.codes)

    def concepts_for_text(self, text: str) -> tuple[str, ...]:
        low = text.lower()
        return tuple(c.id for c in self.concepts.values() for t in c.text if t in low)

    def concept(self, concept_id: str) -> FakeConcept:
        return self.concepts[concept_id]


@pytest.fixture(scope="session")
def kb() -> FakeTerminology:
    return FakeTerminology()


# --- builders --------------------------------------------------------------------------------------------


def patient(pid: str = PID, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1960-02-03", **extra}


def cc(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    out: dict[str, Any] = {"coding": [coding]}
    if text:
        out["text"] = text
    return out


def observation(oid: str, code: str, value: float | None = None, unit: str | None = "10*9/L",
                when: str = "2024-05-01", **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Observation", "id": oid, "status": "final",
                           "code": cc(LOINC, code), "subject": {"reference": f"Patient/{PID}"},
                           "effectiveDateTime": when}
    if value is not None:
        q: dict[str, Any] = {"value": value}
        if unit is not None:
            q.update({"unit": unit, "system": "http://unitsofmeasure.org", "code": unit})
        res["valueQuantity"] = q
    res.update(extra)
    return res


def coded_observation(oid: str, code: str, answer: dict[str, Any], when: str = "2024-05-01") -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": cc(LOINC, code),
            "subject": {"reference": f"Patient/{PID}"}, "effectiveDateTime": when,
            "valueCodeableConcept": answer}


def condition(cid: str, code: str, display: str = "", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "code": cc(SNOMED, code, display, display or None),
            "subject": {"reference": f"Patient/{PID}"}, **extra}


def med_request(mid: str, code: str, display: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": mid, "status": "active", "intent": "order",
            "medicationCodeableConcept": cc(RXNORM, code, display, display),
            "subject": {"reference": f"Patient/{PID}"}, "authoredOn": "2024-01-10", **extra}


def bundle(*resources: dict[str, Any], btype: str = "collection", with_patient: bool = True) -> dict[str, Any]:
    entries = [{"fullUrl": f"urn:uuid:{r.get('id')}", "resource": r}
               for r in ((patient(),) if with_patient else ()) + resources]
    return {"resourceType": "Bundle", "type": btype, "entry": entries}
