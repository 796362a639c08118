"""Prefetch templates generated from the value sets: every code the reader recognises is asked for, panels whose
components carry a concept included, and no search longer than common URL limits."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from jakcheck.knowledge.loader import default_knowledge
from jakcheck.service.prefetch import MAX_TEMPLATE_CHARS, observation_codes, prefetch_templates, sent_length
from jakcheck.settings import Settings
from tests.fhirgen import Record
from tests.service.conftest import BASE, TokenFactory, auth, client_for
from tests.service.fake_servers import serve
from tests.service.hookdata import draft_order, hook_request, prefetch_of

LONGEST_ID = "x" * 64


def _observation_searches() -> dict[str, str]:
    return {k: v for k, v in prefetch_templates(default_knowledge()).items() if k.startswith("observations")}


def test_every_observation_code_the_reader_recognises_is_requested_once() -> None:
    k = default_knowledge()
    requested: list[str] = []
    for search in _observation_searches().values():
        requested.extend(parse_qs(urlsplit(search).query)["code"][0].split(","))
    expected = {f"{c.system}|{c.code}" for concept in k.concepts.values()
                if concept.kind in ("observation", "panel") for c in concept.codes}
    assert set(requested) == expected and len(requested) == len(expected)
    assert {"http://loinc.org|85354-9", "http://loinc.org|55284-4"} <= set(requested)  # blood pressure panels
    assert set(observation_codes(k)) == expected


def test_every_procedure_code_the_reader_recognises_is_requested_once() -> None:
    """The Procedure searches ask for exactly the codes of the procedure concepts (deliveries and terminations),
    and a Procedure with any of them is read."""
    k = default_knowledge()
    searches = {key: t for key, t in prefetch_templates(k).items() if t.startswith("Procedure?")}
    assert searches and all(key.startswith("procedures") for key in searches)
    requested = [c for t in searches.values() for c in parse_qs(urlsplit(t).query)["code"][0].split(",")]
    expected = {f"{c.system}|{c.code}" for concept in k.concepts.values() if concept.kind == "procedure"
                for c in concept.codes}
    assert set(requested) == expected and len(requested) == len(expected)
    assert "http://snomed.info/sct|11466000" in requested and "http://www.ama-assn.org/go/cpt|59514" in requested


def test_every_template_stays_within_url_limits() -> None:
    for template in prefetch_templates(default_knowledge()).values():
        filled = f"https://ehr.example.org/fhir/{template.replace('{{context.patientId}}', LONGEST_ID)}"
        assert sent_length(filled) < 2000, (len(filled), template[:80])
        assert sent_length(template) <= MAX_TEMPLATE_CHARS
        # httpx sends what was measured
        assert len(str(httpx.URL(filled))) <= sent_length(filled)


def _bp_record() -> dict[str, Any]:
    """A US Core-shaped record whose blood pressure is only in a panel's components (85354-9)."""
    r = Record("bp-1")
    r.patient(given="Ada", family="Example", birth_date="1962-04-01", gender="female", mrn="BP-1")
    r.condition("ra", text="Rheumatoid arthritis", snomed=("69896004", "Rheumatoid arthritis"), onset_days_ago=900)
    panel = r.vital("bp", "85354-9", "Blood pressure panel with all children optional", 0, "mm[Hg]", 30)
    del panel["valueQuantity"]
    panel["component"] = [
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"}]},
         "valueQuantity": {"value": 148, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4", "display": "Diastolic blood pressure"}]},
         "valueQuantity": {"value": 88, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]
    return r.bundle("collection")


def test_a_server_that_filters_by_code_returns_the_blood_pressure_panel(settings: Settings,
                                                                       make_token: TokenFactory) -> None:
    """A FHIR server answers each Observation search with the Observations whose code is in the list: the panel is
    asked for, so its systolic component reaches the assessment."""
    pf = prefetch_of(_bp_record())
    everything = [e for k, v in pf.items() if k.startswith("observations") for e in v.get("entry", [])]

    def observations(path: str) -> tuple[int, Any]:
        wanted = set(parse_qs(urlsplit(path).query)["code"][0].split(","))
        hits = [e for e in everything if any(f"{c['system']}|{c['code']}" in wanted
                                             for c in e["resource"]["code"]["coding"])]
        return 200, {"resourceType": "Bundle", "type": "searchset", "entry": hits}

    routes = {"/fhir/Patient/bp-1": pf["patient"], "/fhir/Condition": pf["conditions"],
              "/fhir/Observation": observations, "/fhir/MedicationRequest": pf["medications"],
              "/fhir/Immunization": pf["immunizations"], "/fhir/Procedure": pf["procedures"]}
    with serve(routes) as fhir:
        req = hook_request("order-select", None, [draft_order("tofacitinib", "bp-1")], pid="bp-1")
        req.pop("prefetch", None)
        req["fhirServer"] = f"{fhir.base}/fhir"
        req["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer", "expires_in": 300,
                                    "scope": "patient/*.read", "subject": "jakcheck"}
        with client_for(replace(settings, allowed_fhir_servers=(f"{fhir.base}/fhir",))) as c:
            r = c.post("/cds-services/jakcheck-order-select", json=req,
                       headers=auth(make_token(aud=f"{BASE}/cds-services/jakcheck-order-select")))
            assert r.status_code == 200
            token = r.json()["cards"][0]["links"][0]["url"].rsplit("/", 1)[1]
            assessment = c.app.state.service.reports.get(token)  # type: ignore[attr-defined]
    assert "Record incomplete" not in r.text
    assert assessment is not None
    scores = {s.calculator: s for s in assessment.scores}
    assert scores["score2"].inputs.get("systolic_bp") == 148
