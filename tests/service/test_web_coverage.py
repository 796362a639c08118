"""The coverage matrix page of the web app's knowledge section."""

from __future__ import annotations

from fastapi.testclient import TestClient

from jakcheck.knowledge.loader import default_knowledge
from tests.service.web_client import client  # noqa: F401 - fixture


def test_coverage_page_shows_every_drug_region_and_the_sections_to_check(client: TestClient) -> None:  # noqa: F811
    r = client.get("/knowledge/coverage")
    assert r.status_code == 200
    k = default_knowledge()
    for d in k.drug_ids():
        for region, lab in k.drugs[d].regions.items():
            if lab.authorised:
                assert f'id="{d}-{region}"' in r.text, (d, region)
    assert "cov-not-encoded" in r.text and "cov-encoded" in r.text and "cov-no-change" in r.text
    assert "check 4.2 (renal impairment)" in r.text  # a not-encoded cell names the label section
    assert 'href="/knowledge/coverage"' in client.get("/knowledge").text


def test_coverage_page_for_one_drug_and_unknown_drug(client: TestClient) -> None:  # noqa: F811
    r = client.get("/knowledge/coverage?drug=ritlecitinib")
    assert r.status_code == 200 and 'id="ritlecitinib-EU"' in r.text and 'id="tofacitinib-EU"' not in r.text
    assert client.get("/knowledge/coverage?drug=nope").status_code == 404
    page = client.get("/knowledge/drugs/tofacitinib").text
    assert "Not encoded in this release" in page and "/knowledge/coverage?drug=tofacitinib#tofacitinib-EU" in page
