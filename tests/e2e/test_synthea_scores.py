"""Scores for the Synthea patients in ../shared/data: every patient gets the region's risk models, those with the
inputs get a figure (or a range over unknown yes/no answers), and three are checked by hand against the bundle.

Skips cleanly when the shared data folder is absent.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jakcheck.calculators import CALCULATORS
from jakcheck.engine import assess
from jakcheck.fhir.reader import read_file
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.rules.scores import compute_scores
from tests.shared_data import synthea_patient_files as _files

AS_OF = date(2021, 6, 1)  # after both folders' latest encounters


def _bundle(prefix: str) -> Path:
    path = next((p for p in _files() if p.name.startswith(prefix)), None)
    if path is None:
        pytest.skip(f"{prefix} bundle absent")
    return path


def test_every_synthea_patient_gets_the_risk_models() -> None:
    k = default_knowledge()
    with_figure = 0
    for path in _files():
        facts = read_file(path, as_of=AS_OF, knowledge=k)
        us = compute_scores(facts, "US")
        assert [s.calculator for s in us] == ["prevent", "pce", "score2"]
        for s in us:
            assert s.status in ("calculated", "incomplete", "not-applicable")
            if s.status == "calculated":
                assert s.result is not None and min(s.result.results.values()) >= 0
                assert not s.missing
            elif s.status == "not-applicable":
                assert s.reason
            else:
                assert s.missing
                for lo, hi in s.bounds.values():
                    assert 0 <= lo <= hi <= 100
        with_figure += any(s.status == "calculated" or s.bounds for s in us)
    assert with_figure >= 15  # 24 of the 138 bundles at the time of writing


def test_emery_purdy_pce_by_hand() -> None:
    """53-year-old White man (US Core race 2106-3), never smoker, diabetes and hypertension on hydrochlorothiazide
    25 mg (active); latest before 2021-06-01, all on 2021-01-22: total cholesterol 236.22 mg/dL, HDL 56.98
    mg/dL, systolic 164.48 mm[Hg] (read in the bundle by hand)."""
    facts = read_file(_bundle("Emery_Purdy_298c62e6"), as_of=AS_OF, knowledge=default_knowledge())
    pce = next(s for s in compute_scores(facts, "US") if s.calculator == "pce")
    assert pce.status == "calculated" and pce.result is not None
    hand = CALCULATORS["pce"].run({"age": 53, "sex": "male", "race": "white", "total_cholesterol": 236.22,
                                   "hdl_cholesterol": 56.98, "systolic_bp": 164.48, "on_antihypertensive": True,
                                   "current_smoker": False, "diabetes": True})
    assert pce.result.results["ascvd_10y"] == pytest.approx(hand.results["ascvd_10y"], abs=0.01)
    assert pce.result.results["ascvd_10y"] == pytest.approx(16.82, abs=0.01)
    assert pce.result.category == "intermediate"  # 7.5 to <20 % (2019 ACC/AHA)
    prevent = compute_scores(facts, "US")[0]
    assert prevent.status == "incomplete" and prevent.missing == ("on_statin",)  # no statin, none stated absent
    lo, hi = prevent.bounds["ascvd_10y"]
    assert lo <= hi and lo >= 10  # PREVENT-ASCVD at least 11.5 % whatever the statin answer
    us = assess(facts, default_knowledge(), region="US")
    cv = next(f for f in us.findings if f.code == "risk.cardiovascular")
    assert "calculated 10-year ASCVD risk at least" in cv.summary and "PREVENT" in cv.summary


def test_morris_lockman_pce_by_hand() -> None:
    """50-year-old White man, never smoker, diabetes, hydrochlorothiazide; 2020-12-25: total cholesterol 189.29,
    HDL 73.05 mg/dL, systolic 172.68 mm[Hg]."""
    facts = read_file(_bundle("Morris_Lockman_cd9e9826"), as_of=AS_OF, knowledge=default_knowledge())
    pce = next(s for s in compute_scores(facts, "US") if s.calculator == "pce")
    assert pce.result is not None
    hand = CALCULATORS["pce"].run({"age": 50, "sex": "male", "race": "white", "total_cholesterol": 189.29,
                                   "hdl_cholesterol": 73.05, "systolic_bp": 172.68, "on_antihypertensive": True,
                                   "current_smoker": False, "diabetes": True})
    assert pce.result.results["ascvd_10y"] == pytest.approx(hand.results["ascvd_10y"], abs=0.01)
    assert pce.result.results["ascvd_10y"] == pytest.approx(8.07, abs=0.01)


def test_randall_stroman_score2_with_unknown_diabetes() -> None:
    """64-year-old man with RA, never smoker, on simvastatin; no diabetes on record: SCORE2 (moderate region)
    is the non-diabetic figure, 5.85 %, with the diabetic case noted as outside SCORE2."""
    facts = read_file(_bundle("Randall_Stroman_7a0bdf4b"), as_of=AS_OF, knowledge=default_knowledge())
    s2 = next(s for s in compute_scores(facts, "EU") if s.calculator == "score2")
    assert s2.status == "incomplete" and s2.missing == ("diabetes",)
    assert s2.bounds["cvd_10y"][0] == pytest.approx(5.85, abs=0.01)
    assert s2.inputs["rheumatoid_arthritis"] is True
    assert s2.inputs["age"] == 64 and s2.inputs["current_smoker"] is False
