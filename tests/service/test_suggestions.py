"""CDS Hooks suggestions an EHR can apply as they are: references as Type/id, updates only for orders with an id,
and an updated order whose product, text and dose agree."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

from tests.service.conformance import check_fhir, check_response
from tests.service.conftest import BASE, TokenFactory, auth
from tests.service.hookdata import draft_order, hook_request, load

SIGN = f"{BASE}/cds-services/jakcheck-order-sign"


def _sign(client: TestClient, make_token: TokenFactory, req: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/cds-services/jakcheck-order-sign", json=req, headers=auth(make_token(aud=SIGN)))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    check_response(body)
    return body


def _actions(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for c in body["cards"] for s in c.get("suggestions") or [] for a in s["actions"]]


def _without_igra(bundle: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(bundle)
    out["entry"] = [e for e in out["entry"] if e["resource"].get("id") != "scr-igra"]
    return out


def test_created_orders_reference_the_encounter_as_type_and_id(client: TestClient,
                                                               make_token: TokenFactory) -> None:
    req = hook_request("order-sign", _without_igra(load("ra-71-smoker-eu.json")),
                       [draft_order("tofacitinib", "ra-71-smoker")])
    req["context"]["encounterId"] = "89284"
    creates = [a for a in _actions(_sign(client, make_token, req)) if a["type"] == "create"]
    assert creates, "an IGRA order is suggested"
    for a in creates:
        assert a["resource"]["encounter"] == {"reference": "Encounter/89284"}
        assert a["resource"]["subject"] == {"reference": "Patient/ra-71-smoker"}
        check_fhir(a["resource"])


def _olumiant_4mg(order_id: str | None = "draft-1") -> dict[str, Any]:
    order = draft_order("baricitinib", "ra-71-smoker", mg=4)
    order["medicationCodeableConcept"] = {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "2047247",
                    "display": "Olumiant 4 MG Oral Tablet"}], "text": "Olumiant 4 mg tablet"}
    if order_id is None:
        del order["id"]
    return order


def test_an_update_names_a_product_that_matches_the_new_dose(client: TestClient, make_token: TokenFactory) -> None:
    """Baricitinib 4 mg ordered where the label dose is 2 mg: the update keeps no "4 mg" product; it names the
    ingredient with the 2 mg dose."""
    body = _sign(client, make_token, hook_request("order-sign", load("ra-71-smoker-eu.json"), [_olumiant_4mg()]))
    [update] = [a for a in _actions(body) if a["type"] == "update"]
    res = update["resource"]
    assert res["id"] == "draft-1"
    med = res["medicationCodeableConcept"]
    assert med["coding"] == [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "2047232",
                              "display": "baricitinib"}]
    assert "4 mg" not in med["text"].lower() and "2 mg" in med["text"].lower()
    assert res["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 2.0
    check_fhir(res)


def test_no_update_for_a_draft_order_without_an_id(client: TestClient, make_token: TokenFactory) -> None:
    body = _sign(client, make_token, hook_request("order-sign", load("ra-71-smoker-eu.json"),
                                                  [_olumiant_4mg(order_id=None)]))
    assert not [a for a in _actions(body) if a["type"] in ("update", "delete")]
    assert "2 mg" in body["cards"][0]["summary"]  # the card still says which dose to use
