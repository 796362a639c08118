"""The reader against the packaged knowledge release (skipped while valuesets.yaml is absent)."""

from __future__ import annotations

from datetime import date

import pytest

from jakcheck.fhir.reader import read_file
from jakcheck.knowledge.loader import DATA_DIR, Knowledge, default_knowledge
from jakcheck.patient.units import PLAUSIBLE, family_of, normalize_unit
from jakcheck.population.inputs import iter_patient_bundles
from tests.shared_data import SYNTHEA_FOLDERS

SYNTHEA = SYNTHEA_FOLDERS


def real_knowledge() -> Knowledge:
    needed = ["valuesets.yaml", "indications.yaml", "thresholds.yaml", "release.yaml"]
    missing = [n for n in needed if not (DATA_DIR / n).exists()]
    if missing:
        pytest.skip(f"knowledge files absent: {', '.join(missing)}")
    return default_knowledge()


def test_every_numeric_concept_has_a_conversion_table() -> None:
    kb = real_knowledge()
    for concept in kb.concepts.values():
        if concept.kind == "observation" and concept.unit:
            family = family_of(concept.id)
            assert family is not None, f"no unit table for {concept.id}"
            assert normalize_unit(concept.unit) in family.factors or concept.unit in family.factors, concept.id
    assert set(PLAUSIBLE) <= set(kb.concepts)


def test_synthea_with_real_knowledge() -> None:
    kb = real_knowledge()
    folder = SYNTHEA[1]
    hits = sorted(folder.glob("Hershel_Marvin_71a7f9d4*.json")) if folder.is_dir() else []
    if not hits:
        pytest.skip("Synthea sample data absent")
    facts = read_file(hits[0], as_of=date(2021, 6, 1), knowledge=kb)
    assert any(c.concept == "rheumatoid-arthritis" and c.active for c in facts.conditions)
    assert any(m.concept == "methotrexate" and m.current for m in facts.medications)
    assert facts.smoking.status == "never"
    assert facts.unusable == ()
    # Whole-word text matching: no "diabetes" from "Prediabetes" anywhere in the sample data.
    for path in [p for f in SYNTHEA if f.is_dir() for p in iter_patient_bundles(f)][::10]:
        facts = read_file(path, as_of=date(2021, 6, 1), knowledge=kb)
        assert not any(t.text == "Prediabetes" for t in facts.text_matches)
        assert facts.unusable == ()
