"""The coverage matrix: complete, derived from the rules, refused when a cell is missing or an explicit entry
contradicts a rule; docs/coverage.md and `jakcheck kb coverage` come from it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from jakcheck.cli import app
from jakcheck.errors import KnowledgeError
from jakcheck.knowledge.coverage_report import as_markdown, select
from jakcheck.knowledge.loader import DATA_DIR, default_knowledge, load_knowledge
from jakcheck.knowledge.schema import DIMENSIONS

ROOT = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(DATA_DIR, d)
    return d


def test_every_listed_indication_has_every_dimension() -> None:
    k = default_knowledge()
    for d in k.drug_ids():
        for region, lab in k.drugs[d].regions.items():
            if not lab.authorised:
                continue
            for rule in lab.indications:
                for dim in DIMENSIONS:
                    cell = k.coverage.cell(d, region, rule.indication, dim)
                    assert cell is not None, (d, region, rule.indication, dim)
                    assert cell.status in ("encoded", "no-change", "not-encoded")
                    if cell.status == "not-encoded":
                        assert cell.section and cell.reason
                    if cell.status == "no-change":
                        assert cell.cites, "no-change is never a default"


def test_cells_are_derived_from_the_rules() -> None:
    k = default_knowledge()
    c = k.coverage.cell("tofacitinib", "US", "rheumatoid-arthritis", "renal")
    assert c is not None and c.status == "encoded" and c.cites[0].source == "fda-xeljanz-uspi"
    c = k.coverage.cell("tofacitinib", "US", "rheumatoid-arthritis", "interaction:cyp2c19-strong-inhibitor")
    assert c is not None and c.status == "no-change"
    # The same rules limited to RA/PsA/AS leave the UC cell not encoded, with the label section to check.
    c = k.coverage.cell("tofacitinib", "US", "ulcerative-colitis", "renal")
    assert c is not None and c.status == "not-encoded" and c.section and "UC" in (c.reason or "")


def test_a_missing_cell_is_refused(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    p = d / "drugs" / "tofacitinib.yaml"
    text = p.read_text(encoding="utf-8")
    # drop the EU entry that states the renal cells (mild and moderate impairment) as not encoded
    entry = r"      - status: not-encoded\n        dimensions: \[renal\]\n(        .*\n)+?(?=      - )"
    new = re.sub(entry, "", text, count=1)
    assert new != text
    p.write_text(new, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"tofacitinib.yaml: regions.EU.coverage: missing cell "
                                             r"rheumatoid-arthritis / renal"):
        load_knowledge(d)


def test_a_rule_added_for_a_not_encoded_cell_forces_removing_the_entry(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    p = d / "drugs" / "tofacitinib.yaml"
    text = p.read_text(encoding="utf-8")
    # EU renal bands cover only severe impairment; a "no change" band from 30 up (cited to an EU-jurisdiction
    # manufacturer copy) completes the cell, so the entry stating it as not encoded is stale
    band = ("        - {min: 30, action: no-change, "
            "cite: [{source: pfizer-uk-xeljanz-psa-dosing, section: 'Special populations: renal impairment'}]}\n")
    eu = text.index("  EU:\n")
    at = text.index("      bands:\n", eu) + len("      bands:\n")
    p.write_text(text[:at] + band + text[at:], encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"regions.EU.coverage: rheumatoid-arthritis / renal: an explicit "
                                             r"not-encoded entry for a cell the rules encode"):
        load_knowledge(d)


def test_no_change_entries_need_a_source(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    p = d / "drugs" / "ritlecitinib.yaml"
    text = p.read_text(encoding="utf-8")
    new = text.replace("      - status: not-encoded\n        dimensions: [age]",
                       "      - status: no-change\n        dimensions: [age]", 1)
    assert new != text
    p.write_text(new, encoding="utf-8")
    with pytest.raises(KnowledgeError, match="no-change entry needs the source"):
        load_knowledge(d)


def test_unknown_dimension_is_refused(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    p = d / "drugs" / "ritlecitinib.yaml"
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("dimensions: [age]", "dimensions: [ages]", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown coverage dimension"):
        load_knowledge(d)


def test_coverage_doc_is_current() -> None:
    k = default_knowledge()
    doc = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert doc == as_markdown(k, select(k, None, None)), \
        "run `jakcheck kb coverage --format markdown --output docs/coverage.md`"


def test_cli_json_contract() -> None:
    out = CliRunner().invoke(app, ["kb", "coverage", "--drug", "tofacitinib", "--region", "EU", "--format", "json"])
    assert out.exit_code == 0, out.output
    cells = orjson.loads(out.output)
    assert cells and all(c["drug"] == "tofacitinib" and c["region"] == "EU" for c in cells)
    for c in cells:
        assert {"drug", "region", "indication", "dimension", "status", "sources", "reason"} <= set(c)
        assert all(set(s) == {"id", "section", "grade"} for s in c["sources"])
    statuses = {c["dimension"]: c["status"] for c in cells if c["indication"] == "rheumatoid-arthritis"}
    assert statuses["hepatic:C"] == "encoded" and statuses["renal"] == "not-encoded"


def test_cli_text_and_html() -> None:
    text = CliRunner().invoke(app, ["kb", "coverage", "--drug", "baricitinib"])
    assert text.exit_code == 0 and "baricitinib (EU)" in text.output and "not-encoded" in text.output
    html = CliRunner().invoke(app, ["kb", "coverage", "--format", "html", "--region", "US"])
    assert html.exit_code == 0 and "<table class='coverage'>" in html.output and "(EU)" not in html.output
