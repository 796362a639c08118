"""Build CDS Hooks requests from FHIR Bundles: prefetch split by the service's templates, draft orders."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson

from jakcheck.knowledge.loader import default_knowledge
from jakcheck.service.prefetch import observation_key_for, prefetch_templates

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
KEY_OF = {"Patient": "patient", "Condition": "conditions", "Observation": "observations",
          "MedicationRequest": "medications", "Immunization": "immunizations", "Procedure": "procedures"}
DRUG_CODE = {  # codes from the knowledge value sets
    "tofacitinib": (RXNORM, "1357536", "tofacitinib 5 MG Oral Tablet"),
    "baricitinib": (RXNORM, "2047232", "baricitinib 2 MG Oral Tablet"),
    "upadacitinib": (RXNORM, "2196092", "upadacitinib 15 MG Extended Release Oral Tablet"),
    "filgotinib": (ATC, "L04AF04", "filgotinib"),
    "abrocitinib": (RXNORM, "2591481", "abrocitinib"),
    "adalimumab": (RXNORM, "327361", "adalimumab"),
}


def load(name: str) -> Any:
    data: Any = orjson.loads((EXAMPLES / name).read_bytes())
    return data


def resources(bundle: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(bundle, list):
        return bundle
    return [e["resource"] for e in bundle.get("entry", []) if isinstance(e.get("resource"), dict)]


def _observation_key(obs: dict[str, Any]) -> str:
    """The prefetch key whose search would return this Observation (as an EHR fills it), "observations" else."""
    return observation_key_for(default_knowledge(), (obs.get("code") or {}).get("coding")) or "observations"


def prefetch_of(bundle: dict[str, Any], keys: tuple[str, ...] = tuple(KEY_OF.values())) -> dict[str, Any]:
    """Split a patient Bundle into the prefetch keys of the discovery (Patient as a resource, the rest as searchset
    Bundles; Observations under the search that asks for their code)."""
    out: dict[str, Any] = {}
    res = resources(bundle)
    if "observations" in keys:
        keys = (*keys, *(k for k in prefetch_templates(default_knowledge()) if k.startswith("observations")
                         and k not in keys))
    for r in res:
        key = KEY_OF.get(r["resourceType"])
        if key is None or key not in keys:
            continue
        if key == "observations":
            key = _observation_key(r)
        if key == "patient":
            out["patient"] = copy.deepcopy(r)
        else:
            out.setdefault(key, {"resourceType": "Bundle", "type": "searchset", "entry": []})["entry"].append(
                {"fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r.get('id', 'x')}",
                 "resource": copy.deepcopy(r)})
    for key in keys:
        if key not in out and key != "patient":
            out[key] = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    return out


def patient_id(bundle: dict[str, Any]) -> str:
    return next(str(r["id"]) for r in resources(bundle) if r["resourceType"] == "Patient")


def draft_order(drug: str, pid: str, order_id: str = "draft-1", mg: float | None = None,
                per_day: int = 1, reason: tuple[str, str] | None = None) -> dict[str, Any]:
    system, code, display = DRUG_CODE[drug]
    mr: dict[str, Any] = {
        "resourceType": "MedicationRequest", "id": order_id, "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": system, "code": code, "display": display}],
                                      "text": display},
        "subject": {"reference": f"Patient/{pid}"},
    }
    if mg is not None:
        mr["dosageInstruction"] = [{"timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                                    "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg",
                                                                      "system": "http://unitsofmeasure.org",
                                                                      "code": "mg"}}]}]
    if reason is not None:
        mr["reasonCode"] = [{"coding": [{"system": reason[0], "code": reason[1]}]}]
    return mr


def hook_request(hook: str, bundle: dict[str, Any] | None, orders: list[dict[str, Any]] | None = None,
                 prefetch: dict[str, Any] | None = None, pid: str | None = None,
                 instance: str = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", **extra: Any) -> dict[str, Any]:
    pid = pid or (patient_id(bundle) if bundle is not None else "p1")
    ctx: dict[str, Any] = {"userId": "Practitioner/example", "patientId": pid}
    if hook in ("order-select", "order-sign"):
        ctx["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                              "entry": [{"resource": o} for o in orders or []]}
        if hook == "order-select":
            ctx["selections"] = [f"MedicationRequest/{o['id']}" for o in (orders or [])[:1]] or \
                ["MedicationRequest/none"]
    req: dict[str, Any] = {"hook": hook, "hookInstance": instance, "context": ctx}
    if prefetch is None and bundle is not None:
        prefetch = prefetch_of(bundle)
    if prefetch is not None:
        req["prefetch"] = prefetch
    req.update(extra)
    return req
