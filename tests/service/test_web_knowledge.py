"""Knowledge pages of the web app: drugs, rules with their spec scenarios, sources.

The rule pages show the spec scenarios of the spec tables, shipped as src/jakcheck/service/static/
rule-scenarios.json and written by `make docs` (tools/rule_scenarios.py); a test fails when the file is out of
date.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from markupsafe import escape

from jakcheck.knowledge.loader import default_knowledge
from jakcheck.rules import MODULES
from jakcheck.service.web import knowledge_pages, page
from tests.service.web_client import client  # noqa: F401 - fixture
from tests.spec.rules_doc import CASES  # every spec table the rules doc is built from
from tools.rule_scenarios import render_scenarios


def test_rule_scenarios_file_is_up_to_date() -> None:
    shipped = (page.STATIC_DIR / "rule-scenarios.json").read_text(encoding="utf-8")
    assert shipped == render_scenarios(), "rule-scenarios.json is out of date: run `make docs`"


def test_knowledge_index_lists_every_drug_rule_module_and_links_sources(client: TestClient) -> None:  # noqa: F811
    r = client.get("/knowledge")
    assert r.status_code == 200
    k = default_knowledge()
    for d in k.drugs.values():
        assert f'href="/knowledge/drugs/{d.id}"' in r.text
    for m in MODULES:
        assert f'href="/knowledge/rules/{m.__name__.rsplit(".", 1)[-1]}"' in r.text
    assert 'href="/knowledge/sources"' in r.text


def test_every_drug_page_shows_both_regions_and_its_label_sources(client: TestClient) -> None:  # noqa: F811
    k = default_knowledge()
    for d in k.drugs.values():
        r = client.get(f"/knowledge/drugs/{d.id}")
        assert r.status_code == 200, d.id
        assert 'id="region-EU"' in r.text and 'id="region-US"' in r.text
        for region, lab in d.regions.items():
            assert f"/knowledge/sources/{lab.label_source}" in r.text, (d.id, region)
            if lab.authorised:
                for ind in lab.indications:
                    assert escape(k.indications[ind.indication].label) in r.text


def test_tofacitinib_page_shows_label_facts(client: TestClient) -> None:  # noqa: F811
    r = client.get("/knowledge/drugs/tofacitinib")
    assert "Boxed warning" in r.text and "EMA 2023 measures" in r.text
    assert "5 mg twice daily" in r.text
    assert "Indications and doses" in r.text


def test_rule_pages_show_docstrings_and_spec_scenarios(client: TestClient) -> None:  # noqa: F811
    r = client.get("/knowledge/rules")
    assert r.status_code == 200
    assert "rule-regulatory.age_65_plus" in r.text
    assert "EU, 65 years old with RA" in r.text  # a spec scenario
    r = client.get("/knowledge/rules/cardiovascular")
    assert r.status_code == 200
    assert "When the record shows ASCVD" in r.text  # the rule's docstring
    for case in (c for c in CASES if c.rule.startswith("cardiovascular.")):
        assert escape(case.scenario) in r.text


def test_every_rule_with_spec_cases_shows_them() -> None:
    modules = {m["name"]: m for m in knowledge_pages.rule_modules()}
    ids = {r["id"] for m in modules.values() for r in m["rules"]}
    documented = {c.rule for c in CASES if not c.rule.startswith("engine.")}
    assert documented <= ids
    for m in modules.values():
        for rule in m["rules"]:
            if rule["id"] in documented:
                assert rule["scenarios"], rule["id"]


def test_source_pages(client: TestClient) -> None:  # noqa: F811
    r = client.get("/knowledge/sources")
    assert r.status_code == 200
    k = default_knowledge()
    for s in k.sources.values():
        assert f'href="/knowledge/sources/{s.id}"' in r.text
    r = client.get("/knowledge/sources/oral-surveillance-2022")
    assert r.status_code == 200
    assert "ORAL Surveillance" in r.text and "https://doi.org/10.1056/NEJMoa2109927" in r.text
    # The list and each source page say which copy was read.
    r = client.get("/knowledge/sources")
    assert "Copy read" in r.text and "secondary copy of the FDA label" in r.text
    r = client.get("/knowledge/sources/fda-olumiant-uspi")
    assert '<span class="grade grade-secondary">secondary copy of the FDA label</span>' in r.text
    assert "grade <code>secondary</code>, jurisdiction US" in r.text
    r = client.get("/knowledge/sources/pfizer-xeljanz-ie-hcp")
    assert "manufacturer&#39;s copy of the label (IE)" in r.text


def test_drug_pages_show_each_citations_copy(client: TestClient) -> None:  # noqa: F811
    """A citation read in another copy than its source's own shows that copy's grade."""
    r = client.get("/knowledge/drugs/tofacitinib")
    # US Table 1 was read on Pfizer's US site; sections 1.1-1.3 on a third-party copy.
    assert re.search(r'2\.3 Table 1</span> <span class="grade grade-manufacturer">manufacturer&#39;s copy of the '
                     r'FDA label \(US\)</span>', r.text)
    assert re.search(r'1\.1</span> <span class="grade grade-secondary">secondary copy of the FDA label</span>', r.text)


def test_unknown_knowledge_pages_are_404_with_a_message(client: TestClient) -> None:  # noqa: F811
    for path, words in (("/knowledge/drugs/aspirin", "No drug 'aspirin'"),
                        ("/knowledge/rules/astrology", "No rule module 'astrology'"),
                        ("/knowledge/sources/nope", "No source 'nope'")):
        r = client.get(path)
        assert r.status_code == 404
        assert escape(words) in r.text

