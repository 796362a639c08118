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


# --- graded evidence -------------------------------------------------------------------------------------

def test_every_source_has_a_grade_and_labels_a_jurisdiction() -> None:
    for s in default_knowledge().sources.values():
        assert s.grade in ("regulator", "manufacturer", "national-copy", "publisher", "secondary"), s.id
        if s.kind in ("label-us", "smpc-eu", "regulator") or s.grade in ("regulator", "manufacturer",
                                                                         "national-copy"):
            assert s.jurisdiction, s.id


def test_a_source_without_a_grade_is_refused(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    p = d / "sources" / "standards.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("    grade: publisher\n", "", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"standards.yaml: field sources.0.grade"):
        load_knowledge(d)


def test_a_regulator_copy_without_jurisdiction_is_refused(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    p = d / "sources" / "graded-copies.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("    jurisdiction: EU\n", "", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"graded-copies.yaml: .*jurisdiction is required"):
        load_knowledge(d)


def test_every_less_cautious_fact_rests_on_the_regions_own_label_text() -> None:
    from jakcheck.knowledge.evidence import less_cautious_facts, may_relax
    k = default_knowledge()
    checked = 0
    for drug in k.drugs.values():
        for region, lab in drug.regions.items():
            for fact in less_cautious_facts(region, lab):
                checked += 1
                assert any(may_relax(c, k.sources[c.source], region) for c in fact.cite), (drug.id, fact.path)
    assert checked > 30


def test_an_approval_citing_only_secondary_copies_is_refused(tmp_path: Path) -> None:
    """The EU deucravacitinib approval loses its regulator citation (the EC annex opening): what remains is
    a secondary copy of the EMA text, which may not make EU advice less cautious."""
    d = _copy(tmp_path)
    p = d / "drugs" / "deucravacitinib.yaml"
    text = p.read_text(encoding="utf-8")
    assert '{source: ema-sotyktu-smpc, section: "4.1", grade: regulator}' in text
    p.write_text(text.replace('{source: ema-sotyktu-smpc, section: "4.1", grade: regulator}',
                              '{source: ema-sotyktu-smpc, section: "4.1"}'), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"drugs/deucravacitinib.yaml: field regions.EU.indications.0 "
                                             r"\(approval for plaque-psoriasis.*only read in: ema-sotyktu-smpc 4.1: "
                                             r"secondary"):
        load_knowledge(d)


def test_a_no_change_row_read_in_another_countrys_copy_is_refused(tmp_path: Path) -> None:
    """EU ritlecitinib renal 'no change' read in a UK manufacturer copy loads; the same row read only in a
    Singapore national copy does not (copies from other countries can only make advice more cautious)."""
    d = _copy(tmp_path)
    p = d / "drugs" / "ritlecitinib.yaml"
    text = p.read_text(encoding="utf-8")
    uk = '{source: ema-litfulo-smpc, section: "4.2", grade: manufacturer, jurisdiction: UK}'
    assert uk in text
    p.write_text(text.replace(uk, '{source: ema-litfulo-smpc, section: "4.2", grade: national-copy, '
                                  'jurisdiction: SG}', 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"drugs/ritlecitinib.yaml: field regions.EU.renal.bands.0 .*no change.*"
                                             r"national-copy \(SG\)"):
        load_knowledge(d)


def test_a_more_cautious_fact_may_rest_on_a_secondary_copy(tmp_path: Path) -> None:
    """A start threshold (more cautious) read only in a secondary copy still loads."""
    k = default_knowledge()
    lab = k.label("baricitinib", "US")
    assert lab is not None
    assert any(k.sources[c.source].grade == "secondary" for t in lab.labs for c in t.cite)


def test_a_changed_dose_above_every_start_dose_needs_the_regions_label_text(tmp_path: Path) -> None:
    """EU baricitinib renal 30-60 mL/min lowers the dose to 2 mg (read in a secondary copy: allowed); the same row
    raising it above the 4 mg start dose is refused."""
    d = _copy(tmp_path)
    p = d / "drugs" / "baricitinib.yaml"
    us, eu = p.read_text(encoding="utf-8").split("\n  EU:\n")
    old = '''          doses:
            - dose: {amount: 2, frequency: once daily}
          note: >-
            Adults with creatinine clearance 30-60'''
    assert old in eu
    p.write_text(us + "\n  EU:\n" + eu.replace(old, old.replace("amount: 2,", "amount: 8,")), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"drugs/baricitinib.yaml: field regions.EU.renal.bands.0 \(renal band: "
                                             r"8 mg once daily, above every start dose\)"):
        load_knowledge(d)
