"""REST API: /api/assess, /api/knowledge/..., /healthz, and offline API docs."""

from __future__ import annotations

import re

import orjson
from fastapi.testclient import TestClient

from tests.service.hookdata import EXAMPLES, load


def test_assess_a_bundle_gives_the_assessment_json(client: TestClient) -> None:
    r = client.post("/api/assess?region=EU&as_of=2026-11-26", json=load("ra-71-smoker-eu.json"))
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["schema"] == "jakcheck.assessment/2" and a["region"] == "EU" and a["as_of"] == "2026-11-26"
    assert a["patient"]["age"] == 71 and {d["drug"] for d in a["drugs"]} >= {"tofacitinib", "baricitinib"}


def test_assess_params_region_indication_drug(client: TestClient) -> None:
    r = client.post("/api/assess?region=US&indication=rheumatoid-arthritis&drug=tofacitinib&as_of=2026-11-26",
                    json=load("ra-71-smoker-eu.json"))
    a = r.json()
    assert a["region"] == "US" and a["indication"] == "rheumatoid-arthritis"
    assert [d["drug"] for d in a["drugs"]] == ["tofacitinib"]


def test_assess_a_patient_card_json_and_yaml(client: TestClient) -> None:
    card_yaml = (EXAMPLES / "cards" / "ra-card.yaml").read_text(encoding="utf-8")
    r = client.post("/api/assess?as_of=2026-11-26", content=card_yaml, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text
    import yaml
    r2 = client.post("/api/assess?as_of=2026-11-26", content=orjson.dumps(yaml.safe_load(card_yaml)),
                     headers={"Content-Type": "application/json"})
    assert r2.status_code == 200 and r2.json() == r.json()


def test_assess_errors_are_operation_outcomes(client: TestClient) -> None:
    cases = [
        (client.post("/api/assess", content=b"{not json", headers={"Content-Type": "application/json"}), 400,
         "not valid JSON"),
        (client.post("/api/assess?region=XX", json={}), 400, "region"),
        (client.post("/api/assess?as_of=yesterday", json={}), 400, "as_of"),
        (client.post("/api/assess?indication=gout", json=load("ra-71-smoker-eu.json")), 400, "indication"),
        (client.post("/api/assess", json={"resourceType": "Bundle", "entry": []}), 422, "no Patient"),
    ]
    for r, status, text in cases:
        assert r.status_code == status, (r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/fhir+json")
        oo = r.json()
        assert oo["resourceType"] == "OperationOutcome" and text in oo["issue"][0]["diagnostics"]


def test_knowledge_endpoints(client: TestClient) -> None:
    rel = client.get("/api/knowledge/release").json()
    assert re.match(r"\d{4}\.\d+\.\d+", rel["version"])
    drugs = client.get("/api/knowledge/drugs").json()["drugs"]
    assert drugs[0]["id"] == "tofacitinib" and "EU" in drugs[0]["regions"]
    tofa = client.get("/api/knowledge/drugs/tofacitinib").json()
    assert tofa["id"] == "tofacitinib" and tofa["provenance"]["sources"]
    sources = client.get("/api/knowledge/sources").json()["sources"]
    one = client.get(f"/api/knowledge/sources/{sources[0]['id']}").json()
    assert one == sources[0]
    r = client.get("/api/knowledge/drugs/aspirin")
    assert r.status_code == 404 and "unknown drug" in r.json()["error"]


def test_healthz(client: TestClient) -> None:
    h = client.get("/healthz").json()
    assert h["status"] == "ok" and h["insecure_dev"] is False and h["knowledge"]["version"]


def test_docs_work_offline(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/assess", "/cds-services", "/cds-services/{service_id}", "/healthz"} <= set(spec["paths"])
    page = client.get("/docs").text
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page) + re.findall(r"url: '([^']+)'", page)
    assert urls and all(u.startswith("/") for u in urls), urls  # nothing from a CDN
    for u in urls:
        assert client.get(u).status_code == 200, u


def test_unknown_path_is_a_404_with_message(client: TestClient) -> None:
    r = client.get("/api/nothing")
    assert r.status_code == 404 and "no such page" in r.json()["error"]


def test_openapi_schema_is_json_serialisable(client: TestClient) -> None:
    assert orjson.dumps(client.get("/openapi.json").json())


def test_a_deceased_patient_is_refused_with_422(client: TestClient) -> None:
    bundle = load("ra-71-smoker-eu.json")
    for e in bundle["entry"]:
        if e["resource"]["resourceType"] == "Patient":
            e["resource"]["deceasedDateTime"] = "2026-10-02"
    r = client.post("/api/assess?region=EU&as_of=2026-11-26", json=bundle)
    assert r.status_code == 422 and "died on 2026-10-02" in r.json()["issue"][0]["diagnostics"]


def test_the_assessment_carries_the_headline_and_the_patient(client: TestClient) -> None:
    doc = client.post("/api/assess?region=EU&as_of=2026-11-26", json=load("ra-71-smoker-eu.json")).json()
    assert doc["headline"]["verdict"] == "only-if-no-alternative" and doc["headline"]["text"]
    assert doc["patient"]["name"] == "Henrik Aalborg-Example"
    assert all("verdict_when_ready" in d for d in doc["drugs"])
