"""Fetching a patient's record from the EHR's FHIR server: every page, one budget, and honesty about gaps.

A search the server pages is read to its last page (within the fetch budget); a query the server refuses or
that is cut off leaves the rest of the record usable, and the assessment says which part is missing
(`data.incomplete-record`) instead of reading it as "no such data".
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

from jakcheck.knowledge.loader import default_knowledge
from jakcheck.service.prefetch import prefetch_templates
from jakcheck.settings import Settings
from tests.service.conftest import BASE, TokenFactory, auth, client_for
from tests.service.fake_servers import serve
from tests.service.hookdata import draft_order, hook_request, load, prefetch_of

SVC = f"{BASE}/cds-services/jakcheck-order-select"
PID = "ra-71-smoker"
SCREENS = ("scr-igra", "scr-hbsag")


def _positive(resource: dict[str, Any]) -> dict[str, Any]:
    """The same screening test, reported positive (SNOMED CT 10828004)."""
    out = copy.deepcopy(resource)
    out["valueCodeableConcept"] = {"coding": [{"system": "http://snomed.info/sct", "code": "10828004",
                                               "display": "Positive (qualifier value)"}], "text": "Positive"}
    out["interpretation"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                          "code": "POS", "display": "Positive"}]}]
    return out


def _request() -> dict[str, Any]:
    req = hook_request("order-select", load("ra-71-smoker-eu.json"), [draft_order("tofacitinib", PID)], pid=PID)
    del req["prefetch"]
    req["fhirServer"] = "placeholder"
    req["fhirAuthorization"] = {"access_token": "token-1", "token_type": "Bearer", "expires_in": 300,
                                "scope": "patient/*.read", "subject": "jakcheck"}
    return req


def _routes(base_holder: dict[str, str], pages: int, observation_status: int = 200) -> dict[str, Any]:
    """The example patient's record, each Observation search answered with the Observations whose code it asks
    for; the search that asks for the IGRA comes as `pages` pages, with the IGRA and HBsAg, both positive, only
    on the last one."""
    pf = prefetch_of(load("ra-71-smoker-eu.json"))
    entries = [e for k, v in pf.items() if k.startswith("observations") for e in v.get("entry", [])]

    def observations(path: str) -> tuple[int, Any]:
        if observation_status != 200:
            return observation_status, {"resourceType": "OperationOutcome",
                                        "issue": [{"severity": "error", "code": "forbidden"}]}
        query = parse_qs(urlsplit(path).query)
        codes = set(query["code"][0].split(","))
        asked = [e for e in entries if any(f"{c['system']}|{c['code']}" in codes
                                           for c in e["resource"]["code"]["coding"])]
        if "http://loinc.org|71773-6" not in codes:
            return 200, {"resourceType": "Bundle", "type": "searchset", "entry": asked}
        first = [e for e in asked if e["resource"]["id"] not in SCREENS]
        last = [{**e, "resource": _positive(e["resource"])} for e in asked if e["resource"]["id"] in SCREENS]
        page = int(query.get("page", ["1"])[0])
        body: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset",
                                "entry": first if page == 1 else last if page == pages else []}
        if page < pages:
            body["link"] = [{"relation": "next", "url": f"{base_holder['base']}/fhir/Observation?"
                                                        f"{urlencode({'code': query['code'][0], 'page': page + 1})}"}]
        return 200, body

    return {"/fhir/Patient/ra-71-smoker": pf["patient"], "/fhir/Condition": pf["conditions"],
            "/fhir/Observation": observations, "/fhir/MedicationRequest": pf["medications"],
            "/fhir/Immunization": pf["immunizations"], "/fhir/Procedure": pf["procedures"]}


def _igra_search(paths: list[str]) -> int:
    return sum(p.startswith("/fhir/Observation") and "71773-6" in unquote(p) for p in paths)


def _call(settings: Settings, make_token: TokenFactory, pages: int, observation_status: int = 200,
          **budget: Any) -> tuple[list[dict[str, Any]], list[str]]:
    holder: dict[str, str] = {}
    with serve(_routes(holder, pages, observation_status)) as fhir:
        holder["base"] = fhir.base
        req = _request()
        req["fhirServer"] = f"{fhir.base}/fhir"
        s = replace(settings, allowed_fhir_servers=(f"{fhir.base}/fhir",), **budget)
        with client_for(s) as c:
            r = c.post("/cds-services/jakcheck-order-select", json=req, headers=auth(make_token(aud=SVC)))
        paths = [p for p, _ in fhir.requests]
    assert r.status_code == 200, r.text
    return r.json()["cards"], paths


def _text(cards: list[dict[str, Any]]) -> str:
    return "\n".join(c["summary"] + "\n" + c.get("detail", "") for c in cards)


def test_every_page_is_read_so_results_on_the_last_page_count(settings: Settings, make_token: TokenFactory) -> None:
    """159 pages of Observations: the positive IGRA and HBsAg on page 159 are read and acted on (treat latent TB,
    refer for hepatitis B), not lost behind a page cap."""
    cards, paths = _call(settings, make_token, pages=159)
    assert _igra_search(paths) == 159
    text = _text(cards)
    assert "Order an IGRA" not in text and "Order HBsAg" not in text
    assert "latent" in text.lower() and "hepatitis b" in text.lower()
    assert "Record incomplete" not in text


def test_a_page_budget_makes_the_record_incomplete_not_negative(settings: Settings,
                                                               make_token: TokenFactory) -> None:
    """With a page budget of 20 the last page is not read: the card says the observations are only partly
    available and every drug waits; the missing screens are not reported as simply never done."""
    cards, paths = _call(settings, make_token, pages=159, fhir_fetch_max_pages=20)
    assert _igra_search(paths) == 20
    text = _text(cards)
    assert "Record incomplete" in text and "only partly available" in text
    assert "only the first 20 pages were read" in text
    assert cards[0]["summary"].startswith("Tofacitinib: defer")


def test_one_refused_query_leaves_the_rest_of_the_record(settings: Settings, make_token: TokenFactory) -> None:
    """HTTP 403 on the Observation search: Patient, Conditions, medications and vaccinations are still read
    and assessed, and the card names the observations as not available (HTTP 403)."""
    cards, paths = _call(settings, make_token, pages=1, observation_status=403)
    assert len(paths) == len(prefetch_templates(default_knowledge()))
    text = _text(cards)
    assert "no patient data was available" not in text
    assert "Record incomplete" in text and "HTTP 403" in text
    assert cards[0]["summary"].startswith("Tofacitinib: defer")


@pytest.mark.parametrize("how", ["missing-key", "operation-outcome"])
def test_prefetch_the_ehr_could_not_send_is_incomplete(how: str, settings: Settings,
                                                       make_token: TokenFactory) -> None:
    """A prefetch key the EHR left out (and no FHIR server to ask), or an OperationOutcome error in its place,
    makes the record incomplete; a null value (the EHR has no such data) does not."""
    req = hook_request("order-select", load("ra-71-smoker-eu.json"), [draft_order("tofacitinib", PID)], pid=PID)
    if how == "missing-key":
        del req["prefetch"]["medications"]
    else:
        req["prefetch"]["medications"] = {"resourceType": "OperationOutcome",
                                          "issue": [{"severity": "error", "code": "timeout"}]}
    with client_for(settings) as c:
        r = c.post("/cds-services/jakcheck-order-select", json=req, headers=auth(make_token(aud=SVC)))
        text = _text(r.json()["cards"])
        assert "Record incomplete" in text and "medication orders" in text
        req["prefetch"]["medications"] = None
        r2 = c.post("/cds-services/jakcheck-order-select", json=req, headers=auth(make_token(aud=SVC)))
        assert "Record incomplete" not in _text(r2.json()["cards"])
