"""The knowledge release loads, cross-checks, and refuses broken files with a message naming the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jakcheck.errors import KnowledgeError
from jakcheck.knowledge.gaps import render_gaps, splice
from jakcheck.knowledge.loader import DATA_DIR, default_knowledge, load_knowledge
from jakcheck.rules import cites

ROOT = Path(__file__).resolve().parents[2]


def test_release_loads_with_every_drug_and_indication() -> None:
    k = default_knowledge()
    assert set(k.drug_ids()) == {"tofacitinib", "baricitinib", "upadacitinib", "filgotinib", "abrocitinib",
                                 "ritlecitinib", "deucravacitinib"}
    assert set(k.indications) == {"rheumatoid-arthritis", "psoriatic-arthritis", "ankylosing-spondylitis",
                                  "nr-axial-spondyloarthritis", "polyarticular-jia", "giant-cell-arteritis",
                                  "ulcerative-colitis", "crohns-disease", "atopic-dermatitis", "alopecia-areata",
                                  "plaque-psoriasis"}
    assert k.release.version


def test_deucravacitinib_is_outside_the_jak_class_warnings() -> None:
    """Sotyktu label: no JAK class boxed warning; not in the EMA 2023 referral."""
    d = default_knowledge().drugs["deucravacitinib"]
    assert d.jak_class is False
    assert not any(r.boxed_warning or r.ema_2023_measures for r in d.regions.values())


def test_filgotinib_is_not_authorised_in_the_us() -> None:
    lab = default_knowledge().label("filgotinib", "US")
    assert lab is not None and lab.authorised is False


def test_every_class_citation_in_rule_code_exists() -> None:
    k = default_knowledge()
    for name in dir(cites):
        value = getattr(cites, name)
        if isinstance(value, cites.Cite):
            assert value.source in k.sources, f"rules/cites.py {name}: unknown source {value.source}"


def test_every_indication_has_cited_alternatives() -> None:
    for ind in default_knowledge().indications.values():
        assert ind.alternatives, ind.id


def test_codes_resolve_to_concepts() -> None:
    k = default_knowledge()
    assert "rheumatoid-arthritis" in k.concepts_for_code("http://snomed.info/sct", "69896004")
    assert "lymphocytes" in k.concepts_for_code("http://loinc.org", "731-0")
    assert "zoster-recombinant" in k.concepts_for_code("http://hl7.org/fhir/sid/cvx", "187")
    assert k.concept("zoster-live").live is True and k.concept("zoster-recombinant").live is False


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(DATA_DIR, dest)
    return dest


def test_unknown_source_id_is_refused(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    p = d / "drugs" / "baricitinib.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("source: ema-olumiant-smpc", "source: no-such-source", 1),
                 encoding="utf-8")
    with pytest.raises(KnowledgeError, match="no-such-source"):
        load_knowledge(d)


def test_schema_violation_names_file_and_field(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    p = d / "thresholds.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("value: 65", "value: sixty-five", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"thresholds.yaml: field values.age-risk-years.value"):
        load_knowledge(d)


def test_knowledge_gaps_doc_is_up_to_date() -> None:
    doc = (ROOT / "docs" / "knowledge-gaps.md").read_text(encoding="utf-8")
    assert splice(doc, render_gaps(default_knowledge())) == doc, "run `jakcheck kb gaps --write docs/knowledge-gaps.md`"
