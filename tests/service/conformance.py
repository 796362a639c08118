"""Check service responses against the CDS Hooks 2.0.1 models and the suggestions' FHIR resources against R4.

fhir.resources ships R4B (4.3), not R4 (4.0.1); for the resources jakcheck suggests (ServiceRequest,
MedicationRequest) R4B is a superset-compatible rendition of R4, so a resource that validates there and uses
no R4B-only element is R4-valid.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from jakcheck.service.models import CDSHooksResponse, CDSServices, empty_paths


def check_response(body: dict[str, Any]) -> CDSHooksResponse:
    resp = CDSHooksResponse.model_validate(body)
    for card in body["cards"]:
        assert len(card["summary"]) < 140, card["summary"]
        assert not [p for p in empty_paths(card) if p != "$"], card
        for s in card.get("suggestions", []):
            for a in s.get("actions", []):
                if "resource" in a:
                    check_fhir(a["resource"])
    return resp


# Required bindings fhir.resources does not check (R4 value sets).
REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
MEDREQ_STATUS = {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown"}
REQUEST_INTENT = {"proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order",
                  "instance-order", "option"}


def check_fhir(resource: dict[str, Any]) -> None:
    cls = get_fhir_model_class(resource["resourceType"])
    cls.model_validate(resource)
    statuses = MEDREQ_STATUS if resource["resourceType"] == "MedicationRequest" else REQUEST_STATUS
    assert resource["status"] in statuses, resource["status"]
    assert resource["intent"] in REQUEST_INTENT, resource["intent"]


def check_discovery(body: dict[str, Any]) -> CDSServices:
    return CDSServices.model_validate(body)
