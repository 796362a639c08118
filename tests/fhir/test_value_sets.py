"""Value sets against the packaged knowledge: records coded the way different hospitals code them read as screened,
codes carry their provenance, free text names whole concepts only, and docs/value-sets.md is current."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakcheck.engine import assess
from jakcheck.fhir.reader import read_document
from jakcheck.knowledge.loader import _WORD, Knowledge, default_knowledge
from jakcheck.knowledge.valueset_doc import render
from jakcheck.patient.facts import PatientFacts
from jakcheck.patient.terminology import concepts_in_text
from tests.fhirgen import AS_OF, LOINC, SNOMED, Record, coding, concept, quantity

ROOT = Path(__file__).resolve().parents[2]
KB = default_knowledge()
INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
LOCAL = "urn:oid:1.2.3.4.5.local-lab"

# Concepts whose every code must name the published value set or page it was checked against.
CHECKED = ("lymphocytes", "neutrophils", "hemoglobin", "platelets", "wbc", "alt", "ast", "bilirubin", "creatinine",
           "egfr", "cholesterol-total", "hdl", "ldl", "triglycerides", "pregnancy-test", "tb-igra", "hbsag", "anti-hbc",
           "anti-hbs", "hbv-dna", "anti-hcv", "hcv-rna")


# --- provenance and the generated page -------------------------------------------------------------------------

def test_every_test_concept_code_has_its_source() -> None:
    for cid in CHECKED:
        c = KB.concept(cid)
        assert c.codes, cid
        for code in c.codes:
            assert code.cite is not None and code.cite.section, f"{cid} {code.code} has no per-code source"
            assert code.display, f"{cid} {code.code} has no name"


def test_concepts_without_a_published_set_say_so() -> None:
    assert KB.concept("tb-skin-test").codes == []
    assert "No published value set" in (KB.concept("tb-skin-test").codes_note or "")
    assert "No published value set" in (KB.concept("tb-igra").codes_note or "")


def test_docs_value_sets_is_current() -> None:
    page = ROOT / "docs" / "value-sets.md"
    assert page.read_text(encoding="utf-8") == render(KB), (
        "docs/value-sets.md is stale: run `python -m jakcheck.knowledge.valueset_doc > docs/value-sets.md`")


def test_every_loinc_long_name_names_its_own_concept() -> None:
    """The text fallback reads each listed code's LOINC long name as that concept and no other."""
    for c in KB.concepts.values():
        for code in c.codes:
            if c.kind == "observation" and code.display and "[" in code.display:
                assert KB.concepts_for_text(code.display) == (c.id,), (c.id, code.code, code.display)


# --- whole-concept text matching --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind", "expected"), [
    # The contract's examples.
    ("HDL cholesterol", "observation", ["hdl"]),
    ("Cholesterol in HDL [Mass/volume] in Serum or Plasma", "observation", ["hdl"]),
    ("Cholesterol [Moles/volume] in Serum or Plasma", "observation", ["cholesterol-total"]),
    ("Non-HDL cholesterol", "observation", []),
    ("Cholesterol/HDL ratio", "observation", []),
    ("Hepatitis B surface antibody", "condition", []),
    ("Hepatitis B surface antibody", "observation", ["anti-hbs"]),
    ("Hepatitis B", "condition", ["hbv-chronic"]),
    ("History of hepatitis B", "condition", ["hbv-resolved"]),
    # LOINC long-name conventions.
    ("Hepatitis B virus core Ab [Presence] in Serum", "observation", ["anti-hbc"]),
    ("Hepatitis B virus core IgG Ab [Presence] in Serum by Immunoassay", "observation", ["anti-hbc"]),
    ("Hepatitis B virus core IgM Ab [Presence] in Serum", "observation", []),
    ("Hepatitis B core antibody IgM", "observation", []),
    ("Hepatitis B virus core Ab [Presence] in Serum from Donor", "observation", []),
    ("Hepatitis B virus surface Ag [Presence] in Serum", "observation", ["hbsag"]),
    ("Lymphocytes [#/volume] in Blood by Automated count", "observation", ["lymphocytes"]),
    ("Lymphocytes/100 leukocytes in Blood by Automated count", "observation", []),
    ("Neutrophils/Leukocytes in Blood", "observation", []),
    ("Hemoglobin A1c/Hemoglobin.total in Blood", "observation", []),
    ("Hemoglobin [Mass/volume] in Plasma", "observation", []),
    ("Creatinine [Mass/volume] in Urine", "observation", []),
    ("Urine creatinine", "observation", []),
    ("Choriogonadotropin (pregnancy test) [Presence] in Urine by Rapid immunoassay", "observation",
     ["pregnancy-test"]),
    ("QuantiFERON-TB Gold Plus", "observation", ["tb-igra"]),
    ("QuantiFERON TB1 Ag minus Nil", "observation", []),
    ("Glomerular filtration rate/1.73 sq M.predicted among blacks [Volume Rate/Area] in Serum, Plasma or Blood by "
     "Creatinine-based formula (MDRD)", "observation", []),
    # A procedure or a screen named after a disease is not the disease.
    ("Hepatitis B vaccination", "condition", []),
    ("Hepatitis B immune", "condition", []),
    ("Tuberculosis screening", "condition", []),
    ("Contact with and (suspected) exposure to tuberculosis", "condition", []),
    ("Herpes zoster vaccine", "condition", []),
    ("Pulmonary tuberculosis", "condition", ["active-tb"]),
    # Brackets that are not a LOINC property leave the text to phrase matching.
    ("Rheumatoid arthritis [M05.79] of multiple sites", "condition", ["rheumatoid-arthritis"]),
    # Answers: "not detected" is not "detected".
    ("Not detected", "answer", ["result-negative"]),
])
def test_text_names_whole_concepts(text: str, kind: str, expected: list[str]) -> None:
    assert concepts_in_text(KB, text, kind) == expected


def _phrases(kb: Knowledge) -> dict[str, set[tuple[str, ...]]]:
    out: dict[str, set[tuple[str, ...]]] = {}
    for phrase, cid in kb.text_index:
        words = tuple(_WORD.findall(phrase))
        if words:
            out.setdefault(cid, set()).add(words)
    return out


def _contained(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
    n = len(inner)
    return n < len(outer) and any(outer[k:k + n] == inner for k in range(len(outer) - n + 1))


PHRASES = _phrases(KB)
# (concept A, longer phrase of another concept B that contains a phrase of A as whole words), where the longer
# phrase is not also one of A's own phrases.
NESTED = sorted({(a, " ".join(q)) for a, pa in PHRASES.items() for b, pb in PHRASES.items() if a != b
                 for q in pb if q not in pa and any(_contained(p, q) for p in pa)})
FILLER = ["today", "result", "reported", "final", "see", "note", "lab", "value", "ref", "range"]
assert not any(w in {x for ps in PHRASES.values() for p in ps for x in p} for w in FILLER)


def test_there_are_nested_phrases_to_check() -> None:
    assert ("cholesterol-total", "hdl cholesterol") in NESTED
    assert ("hbv-chronic", "hepatitis b surface antibody") in NESTED


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(NESTED), before=st.lists(st.sampled_from(FILLER), max_size=3),
       after=st.lists(st.sampled_from(FILLER), max_size=3))
def test_a_phrase_never_matches_inside_a_longer_different_concept(pair: tuple[str, str], before: list[str],
                                                                     after: list[str]) -> None:
    inner_concept, longer = pair
    text = " ".join([*before, longer, *after])
    assert inner_concept not in KB.concepts_for_text(text), (inner_concept, text)


# --- records coded the way different hospitals code them -------------------------------------------------------

def _result(r: Record, rid: str, loinc: str | None, display: str, answer: str | None, days_ago: int = 20, *,
            value: dict[str, Any] | None = None, interpretation: str | None = None) -> None:
    """A qualitative test coded in LOINC (or, when `loinc` is None, with a local code and its text only)."""
    code = concept(coding(LOINC, loinc, display), text=display) if loinc else concept(
        coding(LOCAL, "QFT-PLUS", display), text=display)
    res: dict[str, Any] = {"resourceType": "Observation", "id": rid, "status": "final", "code": code,
                           "subject": r.subject, "effectiveDateTime": r.at(days_ago)}
    if answer == "negative":
        res["valueCodeableConcept"] = concept(coding(SNOMED, "260385009", "Negative (qualifier value)"))
    elif answer == "not-detected":
        res["valueString"] = "Not detected"
    if value is not None:
        res["valueQuantity"] = value
    if interpretation is not None:
        res["interpretation"] = [concept(coding(INTERP, interpretation))]
    r.resources.append(res)


def _lab(r: Record, rid: str, loinc: str, display: str, value: float, unit: str, days_ago: int = 20) -> None:
    r.lab(rid, loinc, display, value, unit, days_ago)


def _record(hospital: dict[str, Any]) -> Record:
    r = Record(f"vs-{hospital['name']}")
    r.patient(given="Ada", family="Example", birth_date="1972-04-02", gender="female", mrn="VS-1")
    r.condition("ra", text="Seropositive rheumatoid arthritis", onset_days_ago=2000,
                snomed=("239791005", "Seropositive rheumatoid arthritis (disorder)"))
    for i, (loinc, display, answer, extra) in enumerate(hospital["screen"]):
        _result(r, f"scr-{i}", loinc, display, answer, **extra)
    for i, (loinc, display, value, unit) in enumerate(hospital["labs"]):
        _lab(r, f"lab-{i}", loinc, display, value, unit)
    return r


NEG_INDEX = {"value": quantity(0.12, "{index}"), "interpretation": "NEG"}
HOSPITALS: list[dict[str, Any]] = [
    {"name": "us-reference-lab", "screen": [
        ("71773-6", "Mycobacterium tuberculosis stimulated gamma interferon [Interpretation] in Blood Qualitative",
         "negative", {}),
        ("5196-1", "Hepatitis B virus surface Ag [Presence] in Serum or Plasma by Immunoassay", "negative", {}),
        ("13952-7", "Hepatitis B virus core Ab [Presence] in Serum or Plasma by Immunoassay", "negative", {}),
        ("13955-0", "Hepatitis C virus Ab [Presence] in Serum or Plasma by Immunoassay", "negative", {}),
    ], "labs": [
        ("731-0", "Lymphocytes [#/volume] in Blood by Automated count", 1.9, "10*3/uL"),
        ("751-8", "Neutrophils [#/volume] in Blood by Automated count", 4.1, "10*3/uL"),
        ("718-7", "Hemoglobin [Mass/volume] in Blood", 13.9, "g/dL"),
        ("777-3", "Platelets [#/volume] in Blood by Automated count", 262, "10*3/uL"),
        ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.9, "mg/dL"),
        ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", 23, "U/L"),
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", 196, "mg/dL"),
        ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", 52, "mg/dL"),
    ]},
    {"name": "eu-university-hospital", "screen": [
        ("71773-6", "QuantiFERON-TB Gold Plus", "negative", {}),
        ("5195-3", "Hepatitis B virus surface Ag [Presence] in Serum", "negative", {}),
        ("16933-4", "Hepatitis B virus core Ab [Presence] in Serum", "negative", {}),
        ("16128-1", "Hepatitis C virus Ab [Presence] in Serum", "negative", {}),
    ], "labs": [
        ("26474-7", "Lymphocytes [#/volume] in Blood", 1.9, "10*9/L"),
        ("26499-4", "Neutrophils [#/volume] in Blood", 4.1, "10*9/L"),
        ("59260-0", "Hemoglobin [Moles/volume] in Blood", 8.63, "mmol/L"),
        ("26515-7", "Platelets [#/volume] in Blood", 262, "10*9/L"),
        ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", 79.6, "umol/L"),
        ("1743-4", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma by With P-5'-P", 23,
         "U/L"),
        ("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma", 5.07, "mmol/L"),
        ("14646-4", "Cholesterol in HDL [Moles/volume] in Serum or Plasma", 1.34, "mmol/L"),
    ]},
    {"name": "community-lab-quantitative-serology", "screen": [
        ("71773-6", "M. tuberculosis stim IFN-g Ql (Bld) [Interp]", "negative", {}),
        ("95234-1", "Hepatitis B virus surface Ag [Interpretation] in Serum or Plasma", "negative", {}),
        ("22316-4", "Hepatitis B virus core Ab [Units/volume] in Serum", None, NEG_INDEX),
        ("48159-8", "Hepatitis C virus Ab Signal/Cutoff in Serum or Plasma by Immunoassay", None,
         {"value": quantity(0.05, "{s_co_ratio}"), "interpretation": "NEG"}),
    ], "labs": [
        ("732-8", "Lymphocytes [#/volume] in Blood by Manual count", 1900, "/uL"),
        ("753-4", "Neutrophils [#/volume] in Blood by Manual count", 4100, "/uL"),
        ("30313-1", "Hemoglobin [Mass/volume] in Arterial blood", 139, "g/L"),
        ("778-1", "Platelets [#/volume] in Blood by Manual count", 262, "10*3/uL"),
        ("77140-2", "Creatinine [Moles/volume] in Serum, Plasma or Blood", 79.6, "umol/L"),
        ("1744-2", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma by Without P-5'-P", 23,
         "U/L"),
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", 196, "mg/dL"),
        ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", 52, "mg/dL"),
    ]},
    {"name": "rapid-tests-and-igg", "screen": [
        ("71773-6", "Mycobacterium tuberculosis stimulated gamma interferon [Interpretation] in Blood Qualitative",
         "negative", {}),
        ("75410-1", "Hepatitis B virus surface Ag [Presence] in Serum, Plasma or Blood by Rapid immunoassay",
         "negative", {}),
        ("40725-4", "Hepatitis B virus core IgG Ab [Presence] in Serum by Immunoassay", "negative", {}),
        ("72376-7", "Hepatitis C virus Ab [Presence] in Serum, Plasma or Blood by Rapid immunoassay", "negative", {}),
    ], "labs": [
        ("731-0", "Lymphocytes [#/volume] in Blood by Automated count", 1.9, "10*3/uL"),
        ("751-8", "Neutrophils [#/volume] in Blood by Automated count", 4.1, "10*3/uL"),
        ("20509-6", "Hemoglobin [Mass/volume] in Blood by calculation", 13.9, "g/dL"),
        ("97995-5", "Platelets [#/volume] in Blood by Automated count.optical", 262, "10*3/uL"),
        ("38483-4", "Creatinine [Mass/volume] in Blood", 0.9, "mg/dL"),
        ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", 23, "U/L"),
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", 196, "mg/dL"),
        ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", 52, "mg/dL"),
    ]},
]
EXPECTED = {"lymphocytes": 1.9, "neutrophils": 4.1, "hemoglobin": 13.9, "platelets": 262.0, "creatinine": 0.9,
            "alt": 23.0, "cholesterol-total": 196.0, "hdl": 52.0}


def _read(r: Record) -> PatientFacts:
    return read_document(r.bundle("collection"), source_name="test.json", as_of=AS_OF, knowledge=KB)


@pytest.mark.parametrize("hospital", HOSPITALS, ids=[h["name"] for h in HOSPITALS])
def test_fully_screened_patient_reads_as_screened_whatever_the_hospital_codes(hospital: dict[str, Any]) -> None:
    facts = _read(_record(hospital))
    assert facts.unusable == ()
    results = {res.concept: res.result for res in facts.results}
    assert results == {"tb-igra": "negative", "hbsag": "negative", "anti-hbc": "negative", "anti-hcv": "negative"}
    labs = {lab.concept: lab.value for lab in facts.labs}
    for cid, value in EXPECTED.items():
        assert math.isclose(labs[cid], value, rel_tol=0.01), (cid, labs.get(cid))
    for region in ("EU", "US"):
        result = assess(facts, KB, region=region, indication="rheumatoid-arthritis")  # type: ignore[arg-type]
        missing = sorted(f.code for f in result.findings if f.code.endswith("screening-missing"))
        assert missing == [], (hospital["name"], region, missing)


def test_an_igra_with_only_a_local_code_is_read_from_its_text_and_does_not_close_the_screen() -> None:
    """A QuantiFERON sent with a laboratory's own code is recognised from its text, reported, and - known from text
    only - leaves the TB screen open (a text-only fact never clears a screening gap)."""
    hospital = dict(HOSPITALS[1])
    hospital["screen"] = [(None, "QuantiFERON-TB Gold Plus", "negative", {}), *HOSPITALS[1]["screen"][1:]]
    facts = _read(_record(hospital))
    assert {res.concept for res in facts.results if res.matched_by == "text"} == {"tb-igra"}
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    codes = {f.code for f in result.findings}
    assert "tb.screening-missing" in codes and "data.text-match" in codes


def test_igm_anti_hbc_alone_is_not_a_hepatitis_b_screen() -> None:
    """IgM anti-HBc marks recent infection only; a negative IgM does not exclude past infection."""
    hospital = dict(HOSPITALS[0])
    hospital["screen"] = [s for s in HOSPITALS[0]["screen"] if s[0] != "13952-7"] + [
        ("24113-3", "Hepatitis B virus core IgM Ab [Presence] in Serum or Plasma by Immunoassay", "negative", {})]
    facts = _read(_record(hospital))
    assert "anti-hbc" not in {res.concept for res in facts.results}
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    assert "hbv.screening-missing" in {f.code for f in result.findings}


def test_a_bare_index_for_a_presence_test_is_unusable_not_negative() -> None:
    hospital = dict(HOSPITALS[0])
    hospital["screen"] = [s for s in HOSPITALS[0]["screen"] if s[0] != "13952-7"] + [
        ("22316-4", "Hepatitis B virus core Ab [Units/volume] in Serum", None, {"value": quantity(0.12, "{index}")})]
    facts = _read(_record(hospital))
    assert "anti-hbc" not in {res.concept for res in facts.results}
    [bad] = [u for u in facts.unusable if u.concept == "anti-hbc"]
    assert "interpretation" in bad.reason
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    assert "hbv.screening-missing" in {f.code for f in result.findings}


@pytest.mark.parametrize(("sct", "display", "concept_id"), [
    ("50167007", "Chronic active type B viral hepatitis (disorder)", "hbv-chronic"),
    ("235871004", "Hepatitis B carrier (finding)", "hbv-chronic"),
    ("47604008", "Miliary tuberculosis (disorder)", "active-tb"),
    ("768127002", "Chronic hepatitis C caused by Hepatitis C virus genotype 1 (disorder)", "hcv"),
    ("831000119103", "Cirrhosis of liver due to chronic hepatitis C (disorder)", "cirrhosis"),
])
def test_conditions_coded_with_snomed_descendants(sct: str, display: str, concept_id: str) -> None:
    r = Record("vs-cond")
    r.patient(given="Ada", family="Example", birth_date="1972-04-02", gender="female", mrn="VS-2")
    r.condition("c1", text=display, snomed=(sct, display), onset_days_ago=400)
    facts = _read(r)
    assert concept_id in {c.concept for c in facts.conditions if c.active}


def test_hepatitis_b_immunity_is_not_infection() -> None:
    """The VSAC "Hepatitis B" set also lists immunity findings; they are not read as infection."""
    r = Record("vs-immune")
    r.patient(given="Ada", family="Example", birth_date="1972-04-02", gender="female", mrn="VS-3")
    r.condition("c1", text="Hepatitis B immune", snomed=("271511000", "Hepatitis B immune (finding)"),
                onset_days_ago=400)
    facts = _read(r)
    assert "hbv-chronic" not in {c.concept for c in facts.conditions}


VETOED = sorted((c.id, p, v) for c in KB.concepts.values() for p in c.text for v in c.not_text)


@settings(max_examples=200, deadline=None)
@given(case=st.sampled_from(VETOED), before=st.lists(st.sampled_from(FILLER), max_size=2))
def test_a_not_text_phrase_always_blocks_its_concept(case: tuple[str, str, str], before: list[str]) -> None:
    concept_id, phrase, veto = case
    text = " ".join([*before, phrase, veto])
    assert concept_id not in KB.concepts_for_text(text), text
