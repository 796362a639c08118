"""Hypothesis: risk stays within 0-100 % over every valid input, and rises with age, systolic BP, smoking and
total cholesterol where the published equations make it do so.

The published equations are not monotonic everywhere - they contain negative interaction terms - and jakcheck
reproduces them as published. Monotonicity is therefore checked over a typical-adult domain (SBP 110-160 mmHg,
total cholesterol 150-240 mg/dL, HDL 40-70 mg/dL, eGFR 60-120, BMI 18.5-35, ages below the upper extremes),
with these documented exceptions (each demonstrated in `test_published_non_monotonic_corners`):
* PREVENT: SBP below 110 mmHg has its own (negative) slope, a J-shape; the total-CVD equation's cholesterol slope
  reverses in older adults (age x non-HDL interaction), so cholesterol is checked on ASCVD, and on total CVD only
  up to age 55.
* PCE: in White men, ln(age) x smoker makes smoking lower the risk from about age 78.6 (7.837 - 1.795 ln age < 0);
  in White women who smoke, risk can fall with age at 40-45 with high cholesterol.
* SCORE2-OP: in men, age x smoking makes smoking lower the risk from about age 87 (0.3524 - 0.0247 (age - 73) < 0).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jakcheck.calculators import CALCULATORS

SEX = st.sampled_from(["female", "male"])
BOOL = st.booleans()
REGION = st.sampled_from(["low", "moderate", "high", "very-high"])


def risks(name: str, inputs: dict[str, object]) -> dict[str, float]:
    return CALCULATORS[name].run(inputs).results


# ---- bounded over the full valid ranges ---------------------------------------------------------------------

FULL = {
    "prevent": st.fixed_dictionaries({
        "age": st.floats(30, 79), "sex": SEX, "total_cholesterol": st.floats(130, 320),
        "hdl_cholesterol": st.floats(20, 100), "systolic_bp": st.floats(90, 200), "bmi": st.floats(18.5, 39.9),
        "egfr": st.floats(15, 140), "diabetes": BOOL, "current_smoker": BOOL, "on_antihypertensive": BOOL,
        "on_statin": BOOL, "rheumatoid_arthritis": BOOL}),
    "score2": st.fixed_dictionaries({
        "age": st.floats(40, 89), "sex": SEX, "total_cholesterol": st.floats(130, 320),
        "hdl_cholesterol": st.floats(20, 100), "systolic_bp": st.floats(90, 200), "current_smoker": BOOL,
        "diabetes": st.just(False), "risk_region": REGION, "rheumatoid_arthritis": BOOL}),
    "pce": st.fixed_dictionaries({
        "age": st.floats(40, 79), "sex": SEX, "race": st.sampled_from(["white", "african-american", "other"]),
        "total_cholesterol": st.floats(130, 320), "hdl_cholesterol": st.floats(20, 100),
        "systolic_bp": st.floats(90, 200), "on_antihypertensive": BOOL, "current_smoker": BOOL, "diabetes": BOOL,
        "rheumatoid_arthritis": BOOL}),
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(FULL)).flatmap(lambda n: st.tuples(st.just(n), FULL[n])))
def test_risk_within_0_100(case: tuple[str, dict[str, object]]) -> None:
    name, inputs = case
    r = CALCULATORS[name].run(inputs)
    assert all(0 <= v <= 100 for v in r.results.values())
    if r.ra_adjusted is not None:
        assert all(0 <= v <= 100 for v in r.ra_adjusted.results.values())
        assert all(r.ra_adjusted.results[k] >= v for k, v in r.results.items())


# ---- monotonic over the typical domain ----------------------------------------------------------------------

TC = st.floats(150, 240)
HDL = st.floats(40, 70)
SBP = st.floats(110, 160)
TYPICAL = {
    "prevent": st.fixed_dictionaries({
        "age": st.floats(30, 75), "sex": SEX, "total_cholesterol": TC, "hdl_cholesterol": HDL, "systolic_bp": SBP,
        "bmi": st.floats(18.5, 35), "egfr": st.floats(60, 120), "diabetes": BOOL, "current_smoker": BOOL,
        "on_antihypertensive": BOOL, "on_statin": BOOL}),
    "score2": st.fixed_dictionaries({
        "age": st.floats(40, 84), "sex": SEX, "total_cholesterol": TC, "hdl_cholesterol": HDL, "systolic_bp": SBP,
        "current_smoker": BOOL, "diabetes": st.just(False), "risk_region": REGION}),
    "pce": st.fixed_dictionaries({
        "age": st.floats(40, 75), "sex": SEX, "race": st.sampled_from(["white", "african-american"]),
        "total_cholesterol": TC, "hdl_cholesterol": HDL, "systolic_bp": SBP, "on_antihypertensive": BOOL,
        "current_smoker": BOOL, "diabetes": BOOL}),
}


def rises(name: str, inputs: dict[str, object], key: str, higher: object, outcomes: tuple[str, ...]) -> None:
    lo = risks(name, inputs)
    hi = risks(name, {**inputs, key: higher})
    for k in outcomes:
        assert hi[k] >= lo[k] - 1e-9, (name, key, k, inputs, higher, lo[k], hi[k])


def _f(inputs: dict[str, object], key: str) -> float:
    value = inputs[key]
    assert isinstance(value, float | int)
    return float(value)


@settings(max_examples=300, deadline=None)
@given(TYPICAL["prevent"], st.floats(0, 1))
def test_prevent_monotonic(inputs: dict[str, object], f: float) -> None:
    age, sbp, tc = _f(inputs, "age"), _f(inputs, "systolic_bp"), _f(inputs, "total_cholesterol")
    every = ("cvd_10y", "ascvd_10y", "hf_10y")
    rises("prevent", inputs, "age", age + f * (75 - age), every)
    rises("prevent", inputs, "systolic_bp", sbp + f * (160 - sbp), every)
    rises("prevent", {**inputs, "current_smoker": False}, "current_smoker", True, every)
    rises("prevent", inputs, "total_cholesterol", tc + f * (240 - tc), ("ascvd_10y",) + (("cvd_10y",) if age <= 55
                                                                                           else ()))


@settings(max_examples=300, deadline=None)
@given(TYPICAL["score2"], st.floats(0, 1))
def test_score2_monotonic(inputs: dict[str, object], f: float) -> None:
    age, sbp, tc = _f(inputs, "age"), _f(inputs, "systolic_bp"), _f(inputs, "total_cholesterol")
    top = max(age, 69.99) if age < 70 else 84.0  # SCORE2 and SCORE2-OP are separate models: no slope across 70
    rises("score2", inputs, "age", age + f * (top - age), ("cvd_10y",))
    rises("score2", inputs, "systolic_bp", sbp + f * (160 - sbp), ("cvd_10y",))
    rises("score2", {**inputs, "current_smoker": False}, "current_smoker", True, ("cvd_10y",))
    rises("score2", inputs, "total_cholesterol", tc + f * (240 - tc), ("cvd_10y",))


@settings(max_examples=300, deadline=None)
@given(TYPICAL["pce"], st.floats(0, 1))
def test_pce_monotonic(inputs: dict[str, object], f: float) -> None:
    age, sbp, tc = _f(inputs, "age"), _f(inputs, "systolic_bp"), _f(inputs, "total_cholesterol")
    if not (inputs["sex"] == "female" and inputs["race"] == "white" and inputs["current_smoker"]):
        rises("pce", inputs, "age", age + f * (75 - age), ("ascvd_10y",))
    rises("pce", inputs, "systolic_bp", sbp + f * (160 - sbp), ("ascvd_10y",))
    rises("pce", {**inputs, "current_smoker": False}, "current_smoker", True, ("ascvd_10y",))
    rises("pce", inputs, "total_cholesterol", tc + f * (240 - tc), ("ascvd_10y",))


def test_published_non_monotonic_corners() -> None:
    """The exceptions named in the module docstring exist in the published equations (reproduced, not fixed)."""
    pce = {"sex": "male", "race": "white", "age": 79, "total_cholesterol": 200, "hdl_cholesterol": 50,
           "systolic_bp": 140, "on_antihypertensive": False, "current_smoker": False, "diabetes": False}
    assert risks("pce", {**pce, "current_smoker": True})["ascvd_10y"] < risks("pce", pce)["ascvd_10y"]
    op = {"age": 88, "sex": "male", "total_cholesterol": 200, "hdl_cholesterol": 50, "systolic_bp": 140,
          "current_smoker": False, "diabetes": False, "risk_region": "low"}
    assert risks("score2", {**op, "current_smoker": True})["cvd_10y"] < risks("score2", op)["cvd_10y"]
    prev = {"age": 50, "sex": "female", "total_cholesterol": 200, "hdl_cholesterol": 50, "systolic_bp": 100,
            "bmi": 25, "egfr": 90, "diabetes": False, "current_smoker": False, "on_antihypertensive": False,
            "on_statin": False}
    assert risks("prevent", prev)["cvd_10y"] > risks("prevent", {**prev, "systolic_bp": 110})["cvd_10y"]
    old = {**prev, "age": 75, "systolic_bp": 130}
    assert (risks("prevent", {**old, "total_cholesterol": 240})["cvd_10y"]
            < risks("prevent", old)["cvd_10y"])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 28), st.integers(0, 28), st.floats(0, 10), st.floats(0, 10), st.floats(0, 300),
       st.integers(0, 28))
def test_rheumatoid_scores_rise_with_joint_counts(t: int, s: int, pg: float, eg: float, crp: float,
                                                  more: int) -> None:
    t2 = min(28, t + more)
    for name, extra in [("cdai", {}), ("sdai", {"crp": crp})]:
        base = {"tender_joints_28": t, "swollen_joints_28": s, "patient_global": pg, "evaluator_global": eg, **extra}
        lo = CALCULATORS[name].run(base).results["score"]
        hi = CALCULATORS[name].run({**base, "tender_joints_28": t2}).results["score"]
        assert hi >= lo
    das = {"tender_joints_28": t, "swollen_joints_28": s, "crp": crp, "patient_global": pg * 10}
    assert (CALCULATORS["das28-crp"].run({**das, "tender_joints_28": t2}).results["score"]
            >= CALCULATORS["das28-crp"].run(das).results["score"])
