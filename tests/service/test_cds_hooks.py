"""CDS Hooks 2.0.1 spec tests: discovery, each hook with golden request/response pairs, cards, feedback.

Golden pairs live in tests/service/golden/<case>.request.json and <case>.response.json; card and suggestion
uuids and report tokens are replaced by placeholders. Regenerate after a deliberate change with
`JAKCHECK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/service/test_cds_hooks.py`, and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from jakcheck.knowledge.loader import default_knowledge
from jakcheck.service.orders import ordered_drugs, other_orders_as_active
from jakcheck.service.prefetch import observation_codes, prefetch_templates
from tests.service.conformance import check_discovery, check_response
from tests.service.conftest import BASE, TokenFactory, auth
from tests.service.hookdata import draft_order, hook_request, load, patient_id

GOLDEN = Path(__file__).parent / "golden"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN = re.compile(r"/report/[A-Za-z0-9_-]+")
SNOMED = "http://snomed.info/sct"


def normalise(body: Any) -> Any:
    text = orjson.dumps(body).decode()
    return orjson.loads(TOKEN.sub("/report/<token>", UUID.sub("<uuid>", text)))


def _case(name: str, hook: str, example: str | None, drug: str | None = None, **kw: Any) -> dict[str, Any]:
    bundle = load(example) if example else None
    orders = [draft_order(drug, patient_id(bundle) if bundle else "p1", **kw)] if drug else []
    return {"name": name, "hook": hook, "request": hook_request(hook, bundle, orders)}


CASES = [
    # order-select: 71-year-old smoker with RA, baricitinib 4 mg ordered -> only if no alternative, 2 mg.
    _case("order-select-ra-71-smoker-baricitinib", "order-select", "ra-71-smoker-eu.json", "baricitinib", mg=4),
    # order-select: referral without any work-up -> defer; TB, hepatitis and vaccination orders suggested.
    _case("order-select-no-workup-tofacitinib", "order-select", "referral-no-workup-eu.json", "tofacitinib"),
    # order-sign: active TB -> contraindicated, remove the order.
    _case("order-sign-active-tb-upadacitinib", "order-sign", "ra-active-tb-eu.json", "upadacitinib", mg=15),
    # order-sign: pregnancy -> contraindicated in the EU.
    _case("order-sign-pregnant-tofacitinib", "order-sign", "ra-pregnant-eu.json", "tofacitinib", mg=5, per_day=2),
    # order-select: the draft order is not a JAK inhibitor -> no guidance.
    _case("order-select-not-jak", "order-select", "ra-71-smoker-eu.json", "adalimumab"),
    # patient-view: RA patient -> one summary card.
    _case("patient-view-ra-71-smoker", "patient-view", "ra-71-smoker-eu.json"),
]


def _ids() -> list[str]:
    return [c["name"] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_golden(case: dict[str, Any], client: TestClient, make_token: TokenFactory) -> None:
    """Each request fixture gives exactly the checked-in cards, and the response conforms to 2.0.1."""
    service = f"jakcheck-{case['hook']}"
    token = make_token(aud=f"{BASE}/cds-services/{service}")
    r = client.post(f"/cds-services/{service}", json=case["request"], headers=auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    check_response(body)
    req_path, resp_path = GOLDEN / f"{case['name']}.request.json", GOLDEN / f"{case['name']}.response.json"
    if os.environ.get("JAKCHECK_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        req_path.write_bytes(orjson.dumps(case["request"], option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        resp_path.write_bytes(orjson.dumps(normalise(body), option=orjson.OPT_INDENT_2))
    assert orjson.loads(req_path.read_bytes()) == case["request"], "request fixture changed: regenerate"
    expected = orjson.loads(resp_path.read_bytes())
    if normalise(body) != expected:
        Path(os.environ.get("TMPDIR", "/tmp"), f"{case['name']}.actual.json").write_bytes(
            orjson.dumps(normalise(body), option=orjson.OPT_INDENT_2))
    assert normalise(body) == expected


def test_discovery_lists_three_hooks_with_knowledge_derived_prefetch(client: TestClient,
                                                                     make_token: TokenFactory) -> None:
    r = client.get("/cds-services", headers=auth(make_token()))
    assert r.status_code == 200
    services = check_discovery(r.json()).services
    assert {s.hook for s in services} == {"patient-view", "order-select", "order-sign"}
    k = default_knowledge()
    prefetch = next(s for s in services).prefetch
    assert prefetch is not None
    searches = " ".join(v for key, v in prefetch.items() if key.startswith("observations"))
    codes = observation_codes(k)
    assert {f"http://loinc.org|{c}" for c in ("718-7", "71773-6", "5196-1", "72166-2")} <= set(codes)
    assert all(c in searches for c in codes)
    assert {"patient", "conditions", "observations", "medications", "immunizations"} <= set(prefetch_templates(k))


def test_every_card_is_short_cited_and_linked(client: TestClient, make_token: TokenFactory) -> None:
    case = CASES[1]
    r = client.post("/cds-services/jakcheck-order-select", json=case["request"],
                    headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-order-select")))
    cards = r.json()["cards"]
    assert 1 < len(cards) <= 6
    grade_phrases = ("regulator's text", "manufacturer's copy", "national copy", "publisher's text",
                     "secondary copy", "secondary source")
    for c in cards:
        assert c["source"]["label"] and c["source"]["topic"]["code"]
        # The card's source names the copy read, and so does every source in the detail.
        assert c["source"]["label"].endswith(")") and any(g in c["source"]["label"] for g in grade_phrases)
        for line in c["detail"].splitlines():
            if "Source: [" in line:
                for part in line.split("Source: ", 1)[1].split("); ["):
                    assert any(g in part for g in grade_phrases), part
        assert c["links"][0]["url"].startswith(f"{BASE}/report/")
        assert all(o["display"] for o in c["overrideReasons"])
    assert any("Source: [" in c["detail"] for c in cards)
    verdict = cards[0]
    assert verdict["indicator"] == "critical" and verdict["source"]["topic"]["code"] == "verdict"
    labels = [s["label"] for c in cards for s in c.get("suggestions", [])]
    assert "Order an IGRA (TB screening)" in labels
    assert "Order recombinant zoster vaccine (RZV)" in labels
    # The report link opens the full report.
    page = client.get(verdict["links"][0]["url"].removeprefix(BASE))
    assert page.status_code == 200 and "tofacitinib" in page.text.lower()


def test_dose_change_suggestion_replaces_the_draft_order(client: TestClient, make_token: TokenFactory) -> None:
    body = client.post("/cds-services/jakcheck-order-sign",
                       json=hook_request("order-sign", load("ra-71-smoker-eu.json"),
                                         [draft_order("baricitinib", "ra-71-smoker", mg=4)]),
                       headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-order-sign"))).json()
    check_response(body)
    card = body["cards"][0]
    assert card["indicator"] == "warning"
    action = card["suggestions"][0]["actions"][0]
    assert action["type"] == "update" and action["resource"]["id"] == "draft-1"
    assert action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 2.0


def test_order_select_fires_only_for_selected_jak_orders(client: TestClient, make_token: TokenFactory) -> None:
    b = load("ra-71-smoker-eu.json")
    req = hook_request("order-select", b, [draft_order("adalimumab", "ra-71-smoker", order_id="a"),
                                           draft_order("tofacitinib", "ra-71-smoker", order_id="t")])
    hdr = {"aud": f"{BASE}/cds-services/jakcheck-order-select"}
    r = client.post("/cds-services/jakcheck-order-select", json=req, headers=auth(make_token(**hdr)))
    assert r.json() == {"cards": []}  # only the adalimumab order is selected
    req["context"]["selections"] = ["MedicationRequest/t"]
    r = client.post("/cds-services/jakcheck-order-select", json=req, headers=auth(make_token(**hdr)))
    cards = r.json()["cards"]
    assert cards[0]["summary"].startswith("Tofacitinib")


def test_other_draft_orders_count_as_current_medication() -> None:
    """A JAK inhibitor ordered with another drug: the other order is read as current (interaction rules)."""
    k = default_knowledge()
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": draft_order("adalimumab", "p", order_id="a")},
                        {"resource": draft_order("tofacitinib", "p", order_id="t")}]}
    ordered = ordered_drugs(bundle, None, k)
    assert [o.drug for o in ordered] == ["tofacitinib"]
    others = other_orders_as_active(bundle, ordered)
    assert [(o["id"], o["status"]) for o in others] == [("a", "active")]
    assert bundle["entry"][0]["resource"]["status"] == "draft"  # the request itself is not changed


def test_indication_from_reason_code(client: TestClient, make_token: TokenFactory) -> None:
    b = load("ra-71-smoker-eu.json")
    order = draft_order("tofacitinib", "ra-71-smoker", reason=(SNOMED, "69896004"))
    r = client.post("/cds-services/jakcheck-order-sign", json=hook_request("order-sign", b, [order]),
                    headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-order-sign")))
    assert "indication rheumatoid-arthritis" in r.json()["cards"][0]["detail"]


def test_missing_prefetch_without_fhir_server_is_said(client: TestClient, make_token: TokenFactory) -> None:
    b = load("ra-71-smoker-eu.json")
    req = hook_request("order-select", b, [draft_order("tofacitinib", "ra-71-smoker")])
    del req["prefetch"]["observations"], req["prefetch"]["immunizations"]
    r = client.post("/cds-services/jakcheck-order-select", json=req,
                    headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-order-select")))
    body = r.json()
    check_response(body)
    assert "**Record incomplete, not checked:**" in body["cards"][0]["detail"]
    assert "immunizations, observations" in body["cards"][0]["detail"]
    del req["prefetch"]
    body = client.post("/cds-services/jakcheck-order-select", json=req,
                       headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-order-select"))).json()
    check_response(body)
    assert len(body["cards"]) == 1 and body["cards"][0]["indicator"] == "info"
    assert "could not check" in body["cards"][0]["summary"]


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.pop("hookInstance"), "hookInstance"),
    (lambda r: r.update(hook="order-sign"), "answers the order-select hook"),
    (lambda r: r["context"].pop("draftOrders"), "draftOrders"),
    (lambda r: r["context"].update(selections=["not a reference"]), "ord-1"),
    (lambda r: r.update(fhirAuthorization={"access_token": "x", "token_type": "Bearer", "expires_in": 300,
                                           "scope": "patient/*.read", "subject": "jakcheck"}), "cds-r-1"),
])
def test_bad_requests_get_operation_outcome(mutate: Any, message: str, client: TestClient,
                                            make_token: TokenFactory) -> None:
    req = hook_request("order-select", load("ra-71-smoker-eu.json"), [draft_order("tofacitinib", "ra-71-smoker")])
    mutate(req)
    r = client.post("/cds-services/jakcheck-order-select", json=req,
                    headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-order-select")))
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/fhir+json")
    oo = r.json()
    assert oo["resourceType"] == "OperationOutcome" and message in oo["issue"][0]["diagnostics"]


def test_unknown_service_is_404_operation_outcome(client: TestClient, make_token: TokenFactory) -> None:
    r = client.post("/cds-services/nope", json={}, headers=auth(make_token(aud=f"{BASE}/cds-services/nope")))
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"


def test_patient_view_without_indication_gives_no_cards(client: TestClient, make_token: TokenFactory) -> None:
    req = hook_request("patient-view", None, pid="p1", prefetch={
        "patient": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-01-01"},
        "conditions": None, "observations": None, "medications": None, "immunizations": None})
    r = client.post("/cds-services/jakcheck-patient-view", json=req,
                    headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-patient-view")))
    assert r.status_code == 200 and r.json() == {"cards": []}


def test_insecure_dev_is_visible_on_every_card_and_response(dev_client: TestClient) -> None:
    r = dev_client.post("/cds-services/jakcheck-order-select", json=CASES[0]["request"])
    assert r.status_code == 200
    assert "X-Jakcheck-Insecure-Dev" in r.headers
    for c in r.json()["cards"]:
        assert c["summary"].startswith("[INSECURE DEV]") and "INSECURE DEV MODE" in c["detail"]
    assert "X-Jakcheck-Insecure-Dev" in dev_client.get("/healthz").headers
    page = dev_client.get(r.json()["cards"][0]["links"][0]["url"].removeprefix(BASE))
    assert "insecure" in page.text.lower()


def _deceased(bundle: dict[str, Any]) -> dict[str, Any]:
    for e in bundle["entry"]:
        if e["resource"]["resourceType"] == "Patient":
            e["resource"]["deceasedDateTime"] = "2026-10-02T08:00:00Z"
    return bundle


def test_a_deceased_patient_gets_one_information_card(client: TestClient, make_token: TokenFactory) -> None:
    """The record says the patient died: no assessment, one info card naming the date of death."""
    b = _deceased(load("ra-71-smoker-eu.json"))
    r = client.post("/cds-services/jakcheck-order-select",
                    json=hook_request("order-select", b, [draft_order("tofacitinib", "ra-71-smoker")]),
                    headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-order-select")))
    body = r.json()
    check_response(body)
    assert [c["indicator"] for c in body["cards"]] == ["info"]
    assert "died" in body["cards"][0]["summary"] and "2026-10-02" in body["cards"][0]["detail"]
