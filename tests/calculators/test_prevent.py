"""PREVENT base model against independent reference values.

Sources of the expected values (each case names its own):
* preventr = martingmayer/preventr (R, CRAN), tests/testthat/test-other_models.R and the snapshots in
  tests/testthat/_snaps/estimate_risk.md; proportions rounded to 3 decimals (round half up).
* PooledCohort = bcjaeger/PooledCohort, tests/testthat/test-predict_10yr_cvd_risk.R and
  test-predict_10yr_hf_risk.R, "Replicate examples from Khan supplemental table S12" (4 decimals).
"""

from __future__ import annotations

import pytest

from jakcheck.calculators import CALCULATORS, CalculatorInputError

RUN = CALCULATORS["prevent"].run

# preventr's default test profile (tests/testthat/helpers_test.R `estimate_risk_partial`).
BASE = {"age": 50, "sex": "female", "systolic_bp": 160, "on_antihypertensive": True, "total_cholesterol": 200,
        "hdl_cholesterol": 45, "on_statin": False, "diabetes": True, "current_smoker": False, "egfr": 90, "bmi": 35}
M59 = {"age": 59, "sex": "male", "systolic_bp": 148, "on_antihypertensive": False, "hdl_cholesterol": 60}

# (case, changes to BASE, expected (cvd, ascvd, hf) as proportions, decimals of the reference, source)
CASES = [
    ("female default (S12)", {}, (0.1468, None, 0.0806), 4, "PooledCohort, Khan supplemental table S12"),
    ("male default (S12)", {"sex": "male"}, (0.1632, None, 0.1059), 4, "PooledCohort, Khan supplemental table S12"),
    ("female default", {}, (0.147, 0.092, 0.081), 3, "preventr test-estimate_risk.R 'Base model works, female'"),
    ("male default", {"sex": "male"}, (0.163, 0.102, 0.106), 3, "preventr 'Base model works, male'"),
    ("female untreated BP", {"on_antihypertensive": False}, (0.122, 0.079, 0.067), 3, "preventr snapshot bp_tx=0"),
    ("male untreated BP", {"sex": "male", "on_antihypertensive": False}, (0.136, 0.089, 0.087), 3,
     "preventr snapshot bp_tx=0"),
    ("female no diabetes", {"diabetes": False}, (0.059, 0.037, 0.025), 3, "preventr snapshot dm=0"),
    ("male no diabetes", {"sex": "male", "diabetes": False}, (0.075, 0.048, 0.039), 3, "preventr snapshot dm=0"),
    ("female 67", {"age": 67}, (0.23, 0.14, 0.147), 3, "preventr test-other_models.R age 67"),
    ("male 59", {"age": 59, "sex": "male"}, (0.211, 0.134, 0.146), 3, "preventr test-other_models.R"),
    ("male 59 SBP 148", {"age": 59, "sex": "male", "systolic_bp": 148}, (0.187, 0.117, 0.127), 3, "preventr"),
    ("male 59 untreated", {**M59, "hdl_cholesterol": 45}, (0.153, 0.1, 0.102), 3, "preventr"),
    ("male 59 TC 189", {**M59, "hdl_cholesterol": 45, "total_cholesterol": 189}, (0.151, 0.096, 0.102), 3,
     "preventr"),
    ("male 59 HDL 60", M59, (0.136, 0.084, 0.102), 3, "preventr"),
    ("male 59 statin", {**M59, "on_statin": True}, (0.123, 0.079, 0.102), 3, "preventr"),
    ("male 59 no diabetes", {**M59, "on_statin": True, "diabetes": False}, (0.067, 0.043, 0.048), 3, "preventr"),
    ("male 59 smoker", {**M59, "on_statin": True, "diabetes": False, "current_smoker": True}, (0.096, 0.06, 0.074),
     3, "preventr"),
    ("male 59 eGFR 67", {**M59, "on_statin": True, "diabetes": False, "current_smoker": True, "egfr": 67},
     (0.099, 0.062, 0.076), 3, "preventr"),
    ("female BMI 28", {"bmi": 28}, (0.147, 0.092, 0.061), 3, "preventr test-other_models.R bmi 28"),
]


@pytest.mark.parametrize(("case", "changes", "expected", "dp", "source"), CASES, ids=[c[0] for c in CASES])
def test_reference_values(case: str, changes: dict[str, object], expected: tuple[float | None, ...], dp: int,
                          source: str) -> None:
    result = RUN({**BASE, **changes})
    got = (result.results["cvd_10y"], result.results["ascvd_10y"], result.results["hf_10y"])
    tolerance = 0.5 * 10.0 ** -dp + 1e-6  # the reference is rounded to `dp` decimals
    for g, e in zip(got, expected, strict=True):
        if e is not None:
            assert abs(g / 100 - e) <= tolerance, (case, source)


def test_mmol_inputs_give_the_same_risk() -> None:
    """preventr's own test: the same profile in mmol/L (mg/dL x 0.02586) gives identical results."""
    mg = RUN(BASE).results
    mmol = RUN({**BASE, "total_cholesterol": {"value": 200 / 38.67, "unit": "mmol/L"},
                "hdl_cholesterol": {"value": 45 / 38.67, "unit": "mmol/L"}}).results
    assert mmol == pytest.approx(mg, rel=1e-9)


def test_category_from_ascvd_with_basis() -> None:
    r = RUN(BASE)  # ASCVD 9.2%
    assert r.category == "intermediate"
    assert r.category_basis and "PREVENT-ASCVD" in r.category_basis
    assert RUN({**BASE, "sex": "male"}).category == "high"  # 10.2%
    assert RUN({**BASE, "diabetes": False}).category == "borderline"  # 3.7%


@pytest.mark.parametrize(("key", "bad"), [("age", 29), ("age", 80), ("total_cholesterol", 129),
                                          ("total_cholesterol", 321), ("hdl_cholesterol", 19), ("hdl_cholesterol", 101),
                                          ("systolic_bp", 89), ("systolic_bp", 201), ("bmi", 18.4), ("bmi", 40),
                                          ("egfr", 14), ("egfr", 141)])
def test_out_of_range_is_refused(key: str, bad: float) -> None:
    """The limits preventr enforces (tests/testthat snapshots: age 29/80, total_c 129/321, hdl_c 19/101,
    bmi 18.4/40, egfr 14/141 all rejected); SBP limit 90-200 per the Stata module's documentation."""
    with pytest.raises(CalculatorInputError) as exc:
        RUN({**BASE, key: bad})
    assert exc.value.input == key
    assert "valid range" in str(exc.value)


def test_boundaries_are_accepted() -> None:
    for key, value in [("age", 30), ("age", 79), ("bmi", 18.5), ("bmi", 39.9), ("egfr", 15), ("egfr", 140),
                       ("systolic_bp", 90), ("systolic_bp", 200)]:
        assert 0 < RUN({**BASE, key: value}).results["cvd_10y"] < 100
