"""AHA PREVENT equations, base model: 10-year risk of total CVD, ASCVD and heart failure (ages 30-79).

Source: Khan SS, Matsushita K, Sang Y, et al. Development and Validation of the American Heart Association's
Predicting Risk of cardiovascular disease EVENTs (PREVENT) Equations. Circulation 2024;149(6):430-449,
doi:10.1161/CIRCULATIONAHA.123.067626; coefficients from its supplemental tables (base model, 10 years).
Source id: `prevent-2024`.

Model (sex-specific logistic, one equation per outcome): risk = exp(x) / (1 + exp(x)), x = constant +
sum(beta * term) with cholesterol in mmol/L (mg/dL x 0.02586):

    age_c = (age - 55) / 10              nonhdl_c = (TC - HDL) - 3.5        hdl_c = (HDL - 1.3) / 0.3
    sbp_lo = (min(SBP, 110) - 110) / 20  sbp_hi = (max(SBP, 110) - 130) / 20
    bmi_lo = (min(BMI, 30) - 25) / 5     bmi_hi = (max(BMI, 30) - 30) / 5   (heart-failure equations only)
    egfr_lo = (min(eGFR, 60) - 60) / -15 egfr_hi = (max(eGFR, 60) - 90) / -15
    + diabetes, smoking, antihypertensive, statin (0/1) and the interactions listed in `_COEF`.

The three outcomes are separate equations: ASCVD + HF can exceed total CVD.

Coefficients were checked for this module against two independent transcriptions of the supplement: the R
package preventr (martingmayer/preventr, R/sysdata.rda) and the Stata module of A. Linden (SSC `prevent`,
prevent10i.ado); the test vectors in tests/calculators/test_prevent.py come from preventr's own tests
(tests/testthat/test-other_models.R, test-estimate_risk.R snapshots) and from bcjaeger/PooledCohort's
"Khan supplemental table S12" tests.

Input ranges follow preventr (which cites the article's limits): age 30-79, total cholesterol 130-320 mg/dL,
HDL 20-100 mg/dL, BMI 18.5-39.9 kg/m2, eGFR 15-140 mL/min/1.73 m2; systolic BP 90-200 mmHg (the Stata module
and preventr's documentation of the equations; preventr itself stops at 180 by choice). eGFR should be the
race-free CKD-EPI 2021 creatinine equation, the one the PREVENT equations were developed with.

Category: the 2026 ACC/AHA dyslipidemia guideline bands PREVENT-ASCVD 10-year risk as low <3%, borderline
3-<5%, intermediate 5-<10%, high >=10% (source `acc-aha-2026-dyslipidemia`, verified only in secondary
summaries; see its notes). The category is taken from `ascvd_10y` and says so in `category_basis`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from jakcheck.calculators.base import (
    DIABETES,
    ON_BP_TX,
    ON_STATIN,
    RA,
    SEX,
    SMOKER,
    CalcResult,
    Calculator,
    InputSpec,
    age_spec,
    cholesterol_specs,
    mmol_l,
    normalize,
    num,
    ra_adjustment,
    sbp_spec,
)

NAME = "prevent"
SOURCES = ("prevent-2024", "acc-aha-2026-dyslipidemia")

INPUTS: tuple[InputSpec, ...] = (
    age_spec(30, 79),
    SEX,
    *cholesterol_specs(),
    sbp_spec(90, 200),
    InputSpec("bmi", "number", "body mass index", unit="kg/m2", low=18.5, high=39.9, concept="bmi"),
    InputSpec("egfr", "number", "eGFR (CKD-EPI 2021)", unit="mL/min/{1.73_m2}", low=15, high=140, concept="egfr"),
    DIABETES,
    SMOKER,
    ON_BP_TX,
    ON_STATIN,
    RA,
)

# Term order of every coefficient tuple below.
_TERMS = ("age", "nonhdl", "hdl", "sbp_lo", "sbp_hi", "dm", "smoking", "bmi_lo", "bmi_hi", "egfr_lo", "egfr_hi",
          "bptx", "statin", "bptx_sbp_hi", "statin_nonhdl", "age_nonhdl", "age_hdl", "age_sbp_hi", "age_dm",
          "age_smoking", "age_bmi_hi", "age_egfr_lo", "constant")

# Khan 2024 supplement, base model, 10-year. (sex, outcome) -> coefficients in _TERMS order.
_COEF: dict[tuple[str, str], tuple[float, ...]] = {
    ("female", "cvd"): (0.7939329, 0.0305239, -0.1606857, -0.2394003, 0.3600781, 0.8667604, 0.5360739, 0.0,
                        0.0, 0.6045917, 0.0433769, 0.3151672, -0.1477655, -0.0663612, 0.1197879, -0.0819715,
                        0.0306769, -0.0946348, -0.27057, -0.078715, 0.0, -0.1637806, -3.307728),
    ("female", "ascvd"): (0.719883, 0.1176967, -0.151185, -0.0835358, 0.3592852, 0.8348585, 0.4831078, 0.0,
                          0.0, 0.4864619, 0.0397779, 0.2265309, -0.0592374, -0.0395762, 0.0844423, -0.0567839,
                          0.0325692, -0.1035985, -0.2417542, -0.0791142, 0.0, -0.1671492, -3.819975),
    ("female", "hf"): (0.8998235, 0.0, 0.0, -0.4559771, 0.3576505, 1.038346, 0.583916, -0.0072294, 0.2997706,
                       0.7451638, 0.0557087, 0.3534442, 0.0, -0.0981511, 0.0, 0.0, 0.0, -0.0946663, -0.3581041,
                       -0.1159453, -0.003878, -0.1884289, -4.310409),
    ("male", "cvd"): (0.7688528, 0.0736174, -0.0954431, -0.4347345, 0.3362658, 0.7692857, 0.4386871, 0.0, 0.0,
                      0.5378979, 0.0164827, 0.288879, -0.1337349, -0.0475924, 0.150273, -0.0517874, 0.0191169,
                      -0.1049477, -0.2251948, -0.0895067, 0.0, -0.1543702, -3.031168),
    ("male", "ascvd"): (0.7099847, 0.1658663, -0.1144285, -0.2837212, 0.3239977, 0.7189597, 0.3956973, 0.0,
                        0.0, 0.3690075, 0.0203619, 0.2036522, -0.0865581, -0.0322916, 0.114563, -0.0300005,
                        0.0232747, -0.0927024, -0.2018525, -0.0970527, 0.0, -0.1217081, -3.500655),
    ("male", "hf"): (0.8972642, 0.0, 0.0, -0.6811466, 0.3634461, 0.923776, 0.5023736, -0.0485841, 0.3726929,
                     0.6926917, 0.0251827, 0.2980922, 0.0, -0.0497731, 0.0, 0.0, 0.0, -0.1289201, -0.3040924,
                     -0.1401688, 0.0068126, -0.1797778, -3.946391),
}

_RESULT_KEYS = {"cvd": "cvd_10y", "ascvd": "ascvd_10y", "hf": "hf_10y"}


def _terms(v: Mapping[str, object]) -> dict[str, float]:
    age_c = (num(v, "age") - 55) / 10
    tc = mmol_l(num(v, "total_cholesterol"))
    hdl = mmol_l(num(v, "hdl_cholesterol"))
    sbp = num(v, "systolic_bp")
    bmi = num(v, "bmi")
    egfr = num(v, "egfr")
    dm = 1.0 if v["diabetes"] else 0.0
    smoking = 1.0 if v["current_smoker"] else 0.0
    bptx = 1.0 if v["on_antihypertensive"] else 0.0
    statin = 1.0 if v["on_statin"] else 0.0
    nonhdl_c = tc - hdl - 3.5
    hdl_c = (hdl - 1.3) / 0.3
    sbp_hi = (max(sbp, 110) - 130) / 20
    bmi_hi = (max(bmi, 30) - 30) / 5
    egfr_lo = (min(egfr, 60) - 60) / -15
    return {
        "age": age_c, "nonhdl": nonhdl_c, "hdl": hdl_c, "sbp_lo": (min(sbp, 110) - 110) / 20, "sbp_hi": sbp_hi,
        "dm": dm, "smoking": smoking, "bmi_lo": (min(bmi, 30) - 25) / 5, "bmi_hi": bmi_hi, "egfr_lo": egfr_lo,
        "egfr_hi": (max(egfr, 60) - 90) / -15, "bptx": bptx, "statin": statin, "bptx_sbp_hi": bptx * sbp_hi,
        "statin_nonhdl": statin * nonhdl_c, "age_nonhdl": age_c * nonhdl_c, "age_hdl": age_c * hdl_c,
        "age_sbp_hi": age_c * sbp_hi, "age_dm": age_c * dm, "age_smoking": age_c * smoking,
        "age_bmi_hi": age_c * bmi_hi, "age_egfr_lo": age_c * egfr_lo, "constant": 1.0,
    }


def risks(v: Mapping[str, object]) -> dict[str, float]:
    """10-year risks in percent from normalised inputs."""
    terms = _terms(v)
    out: dict[str, float] = {}
    for outcome, key in _RESULT_KEYS.items():
        coef = _COEF[(str(v["sex"]), outcome)]
        x = sum(b * terms[t] for b, t in zip(coef, _TERMS, strict=True))
        out[key] = 100.0 * math.exp(x) / (1.0 + math.exp(x))
    return out


def category(results: Mapping[str, float]) -> str:
    """PREVENT-ASCVD band of the 2026 ACC/AHA dyslipidemia guideline (low <3, borderline 3-<5,
    intermediate 5-<10, high >=10 %)."""
    r = results["ascvd_10y"]
    if r < 3:
        return "low"
    if r < 5:
        return "borderline"
    if r < 10:
        return "intermediate"
    return "high"


def run(inputs: Mapping[str, object]) -> CalcResult:
    v = normalize(INPUTS, inputs)
    results = risks(v)
    return CalcResult(
        calculator=NAME,
        results=results,
        category=category(results),
        model="PREVENT base model (10-year)",
        inputs=v,
        sources=SOURCES,
        ra_adjusted=ra_adjustment(v, results, "PREVENT", category),
        category_basis="PREVENT-ASCVD 10-year risk: low <3%, borderline 3-<5%, intermediate 5-<10%, high >=10% "
                       "(2026 ACC/AHA dyslipidemia guideline)",
        notes=("Total CVD, ASCVD and heart failure are separate equations; ASCVD + HF can exceed total CVD.",),
    )


CALCULATOR = Calculator(
    name=NAME,
    title="AHA PREVENT (base model): 10-year total CVD, ASCVD and heart-failure risk, ages 30-79",
    inputs=INPUTS,
    sources=SOURCES + ("eular-2016-cv-risk",),
    run=run,
)
