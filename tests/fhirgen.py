"""A small writer of readable FHIR R4 documents for examples and tests.

Resources are plain dicts in the shapes an EHR exports: Patient, Condition (SNOMED CT and/or ICD-10-CM),
Observation (LOINC with UCUM valueQuantity, coded qualitative results, smoking status), MedicationRequest
(RxNorm or ATC with a dosageInstruction the reader can turn into a daily dose) and Immunization (CVX). Every
resource gets a fixed id given by the caller, and every date is given as days before the assessment date, so
the documents are identical on every run.

`Record.bundle("transaction" | "collection" | "searchset")`, `Record.resource_list()` and
`Record.cds_hooks_prefetch()` wrap the same resources in the different containers jakcheck reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 26)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
BASE_URL = "https://ehr.example.org/fhir"

_CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

# SNOMED CT qualifier values for qualitative results.
RESULT_CODES = {
    "positive": ("10828004", "Positive (qualifier value)", "POS", "Positive"),
    "negative": ("260385009", "Negative (qualifier value)", "NEG", "Negative"),
    "detected": ("260373001", "Detected (qualifier value)", "POS", "Positive"),
    "not-detected": ("260415000", "Not detected (qualifier value)", "NEG", "Negative"),
}
# Tobacco smoking status (LOINC 72166-2) answers: SNOMED CT finding plus the LOINC answer (LL2201-3).
SMOKING_CODES = {
    "current": ("449868002", "Smokes tobacco daily (finding)", "LA18976-3", "Current every day smoker"),
    "former": ("8517006", "Ex-smoker (finding)", "LA15920-4", "Former smoker"),
    "never": ("266919005", "Never smoked tobacco (finding)", "LA18978-9", "Never smoker"),
}
UNITS_PER_DAY_PERIOD = {"d": "day", "wk": "week", "h": "hour"}


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: dict[str, str], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": list(codings)}
    if text:
        out["text"] = text
    return out


def quantity(value: float, unit: str, code: str | None = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code if code is not None else unit}


@dataclass
class Record:
    """One fictional patient's record; add resources, then wrap them in a container."""

    patient_id: str
    as_of: date = AS_OF
    resources: list[dict[str, Any]] = field(default_factory=list)

    # --- dates ------------------------------------------------------------------------------------------

    def day(self, days_ago: int) -> str:
        return (self.as_of - timedelta(days=days_ago)).isoformat()

    def at(self, days_ago: int, time: str = "09:30:00") -> str:
        return f"{self.day(days_ago)}T{time}Z"

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.patient_id}"}

    def _add(self, res: dict[str, Any]) -> dict[str, Any]:
        self.resources.append(res)
        return res

    # --- resources ---------------------------------------------------------------------------------------

    def patient(self, *, given: str, family: str, birth_date: str, gender: str, mrn: str) -> dict[str, Any]:
        return self._add({
            "resourceType": "Patient", "id": self.patient_id,
            "identifier": [{"system": "https://ehr.example.org/mrn", "value": mrn}],
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": gender, "birthDate": birth_date,
        })

    def condition(self, rid: str, *, text: str, snomed: tuple[str, str] | None = None,
                  icd10: tuple[str, str] | None = None, onset_days_ago: int | None = None,
                  abated_days_ago: int | None = None, clinical: str = "active",
                  category: str = "problem-list-item") -> dict[str, Any]:
        codings = []
        if snomed:
            codings.append(coding(SNOMED, *snomed))
        if icd10:
            codings.append(coding(ICD10CM, *icd10))
        res: dict[str, Any] = {
            "resourceType": "Condition", "id": rid,
            "clinicalStatus": concept(coding(_CONDITION_CLINICAL, clinical)),
            "verificationStatus": concept(coding(_CONDITION_VERIFICATION, "confirmed")),
            "category": [concept(coding(_CONDITION_CATEGORY, category))],
            "code": concept(*codings, text=text),
            "subject": self.subject,
        }
        if onset_days_ago is not None:
            res["onsetDateTime"] = self.day(onset_days_ago)
        if abated_days_ago is not None:
            res["abatementDateTime"] = self.day(abated_days_ago)
        return self._add(res)

    def _observation(self, rid: str, loinc: str, display: str, days_ago: int, category: str) -> dict[str, Any]:
        return {
            "resourceType": "Observation", "id": rid, "status": "final",
            "category": [concept(coding(_OBSERVATION_CATEGORY, category))],
            "code": concept(coding(LOINC, loinc, display), text=display),
            "subject": self.subject,
            "effectiveDateTime": self.at(days_ago),
        }

    def lab(self, rid: str, loinc: str, display: str, value: float, unit: str, days_ago: int, *,
            code: str | None = None, high: float | None = None, category: str = "laboratory") -> dict[str, Any]:
        """A numeric result with a UCUM quantity; `high` is the laboratory's upper reference limit."""
        res = self._observation(rid, loinc, display, days_ago, category)
        res["valueQuantity"] = quantity(value, unit, code)
        if high is not None:
            res["referenceRange"] = [{"high": quantity(high, unit, code)}]
        return self._add(res)

    def vital(self, rid: str, loinc: str, display: str, value: float, unit: str, days_ago: int) -> dict[str, Any]:
        return self.lab(rid, loinc, display, value, unit, days_ago, category="vital-signs")

    def qualitative(self, rid: str, loinc: str, display: str, result: str, days_ago: int) -> dict[str, Any]:
        """A qualitative test (IGRA, HBsAg, anti-HCV ...) with a SNOMED CT answer and an interpretation."""
        sct, sct_display, interp, interp_display = RESULT_CODES[result]
        res = self._observation(rid, loinc, display, days_ago, "laboratory")
        res["valueCodeableConcept"] = concept(coding(SNOMED, sct, sct_display), text=interp_display)
        res["interpretation"] = [concept(coding(_INTERPRETATION, interp, interp_display))]
        return self._add(res)

    def smoking(self, rid: str, status: str, days_ago: int) -> dict[str, Any]:
        sct, sct_display, la, la_display = SMOKING_CODES[status]
        res = self._observation(rid, "72166-2", "Tobacco smoking status", days_ago, "social-history")
        res["valueCodeableConcept"] = concept(coding(SNOMED, sct, sct_display), coding(LOINC, la, la_display),
                                              text=la_display)
        return self._add(res)

    def pregnancy_status(self, rid: str, pregnant: bool, days_ago: int) -> dict[str, Any]:
        res = self._observation(rid, "82810-3", "Pregnancy status", days_ago, "social-history")
        res["valueCodeableConcept"] = concept(
            coding(SNOMED, "77386006", "Pregnant (finding)") if pregnant else
            coding(SNOMED, "60001007", "Not pregnant (finding)"))
        return self._add(res)

    def child_pugh(self, rid: str, score: int, days_ago: int) -> dict[str, Any]:
        """Child-Pugh total score (5-15). There is no LOINC code for it, so the code is text only (jakcheck
        recognises it from the text and reports that it did)."""
        res = self._observation(rid, "", "", days_ago, "exam")
        res["code"] = {"text": "Child-Pugh score"}
        res["valueInteger"] = score
        return self._add(res)

    def medication(self, rid: str, *, code: tuple[str, str], system: str = RXNORM, start_days_ago: int,
                   end_days_ago: int | None = None, status: str = "active", dose: float | None = None,
                   dose_unit: str = "mg", frequency: int = 1, period: float = 1, period_unit: str = "d",
                   text: str | None = None, reason: str | None = None) -> dict[str, Any]:
        """A MedicationRequest. `dose` is per administration (mg, or tablets with dose_unit "{tbl}");
        timing is `frequency` times per `period` `period_unit` (UCUM: d, wk)."""
        dosage: dict[str, Any] = {}
        if dose is not None:
            every = f"{period:g} {UNITS_PER_DAY_PERIOD.get(period_unit, period_unit)}"
            dosage = {
                "text": text or f"{dose:g} {dose_unit} {frequency} time(s) every {every}",
                "timing": {"repeat": {"frequency": frequency, "period": period, "periodUnit": period_unit}},
                "doseAndRate": [{"doseQuantity": quantity(dose, "tablet" if dose_unit == "{tbl}" else dose_unit,
                                                          dose_unit)}],
            }
        bounds: dict[str, str] = {"start": self.day(start_days_ago)}
        if end_days_ago is not None:
            bounds["end"] = self.day(end_days_ago)
        dosage.setdefault("timing", {}).setdefault("repeat", {})["boundsPeriod"] = bounds
        res: dict[str, Any] = {
            "resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
            "medicationCodeableConcept": concept(coding(system, *code), text=code[1]),
            "subject": self.subject,
            "authoredOn": self.day(start_days_ago),
            "dosageInstruction": [dosage],
        }
        if reason:
            res["reasonCode"] = [concept(text=reason)]
        return self._add(res)

    def immunization(self, rid: str, cvx: tuple[str, str], days_ago: int, *, lot: str | None = None) -> dict[str, Any]:
        res: dict[str, Any] = {
            "resourceType": "Immunization", "id": rid, "status": "completed",
            "vaccineCode": concept(coding(CVX, *cvx), text=cvx[1]),
            "patient": self.subject,
            "occurrenceDateTime": self.day(days_ago),
            "primarySource": True,
        }
        if lot:
            res["lotNumber"] = lot
        return self._add(res)

    # --- containers --------------------------------------------------------------------------------------

    def _url(self, res: dict[str, Any]) -> str:
        return f"{BASE_URL}/{res['resourceType']}/{res['id']}"

    def bundle(self, kind: str, bundle_id: str | None = None) -> dict[str, Any]:
        """A transaction (PUT per resource), collection or searchset Bundle of every resource."""
        entries = []
        for res in self.resources:
            entry: dict[str, Any] = {"fullUrl": self._url(res), "resource": res}
            if kind == "transaction":
                entry["request"] = {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
            elif kind == "searchset":
                entry["search"] = {"mode": "match" if res["resourceType"] == "Patient" else "include"}
            entries.append(entry)
        out: dict[str, Any] = {"resourceType": "Bundle", "id": bundle_id or f"{self.patient_id}-{kind}",
                               "type": kind}
        if kind == "searchset":
            out["total"] = 1
            out["link"] = [{"relation": "self", "url": f"{BASE_URL}/Patient?_id={self.patient_id}"
                                                      "&_revinclude=*"}]
        elif kind == "collection":
            out["timestamp"] = f"{self.as_of.isoformat()}T08:00:00Z"
        out["entry"] = entries
        return out

    def resource_list(self) -> list[dict[str, Any]]:
        return list(self.resources)

    def _searchset(self, rtype: str) -> dict[str, Any]:
        found = [r for r in self.resources if r["resourceType"] == rtype]
        return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                "entry": [{"fullUrl": self._url(r), "resource": r, "search": {"mode": "match"}} for r in found]}

    def cds_hooks_prefetch(self, *, wrapped: bool = True) -> dict[str, Any]:
        """CDS Hooks prefetch: the Patient plus one searchset per resource type. With `wrapped`, a whole hook
        request ({"hook", "context", "prefetch"}); otherwise just the key -> resource/Bundle object."""
        patient = next(r for r in self.resources if r["resourceType"] == "Patient")
        prefetch: dict[str, Any] = {"patient": patient}
        for key, rtype in (("conditions", "Condition"), ("observations", "Observation"),
                           ("medications", "MedicationRequest"), ("immunizations", "Immunization")):
            prefetch[key] = self._searchset(rtype)
        if not wrapped:
            return prefetch
        return {
            "hook": "order-select",
            "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "fhirServer": BASE_URL,
            "context": {"userId": "Practitioner/example-rheum", "patientId": self.patient_id,
                        "encounterId": f"{self.patient_id}-enc"},
            "prefetch": prefetch,
        }


def write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
