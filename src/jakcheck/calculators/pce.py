"""2013 ACC/AHA Pooled Cohort Equations (PCE): 10-year risk of a first hard ASCVD event (non-fatal MI, CHD
death, fatal or non-fatal stroke), ages 40-79.

Source: Goff DC Jr, Lloyd-Jones DM, Bennett G, et al. 2013 ACC/AHA guideline on the assessment of
cardiovascular risk. Circulation 2014;129(25 Suppl 2):S49-S73, doi:10.1161/01.cir.0000437741.48606.98;
coefficients from its Table A (source id `pce-2013`).

    individual sum = sum(coefficient x value), values as natural logarithms (ln age, ln TC, ln HDL, ln SBP)
    risk = 1 - S0(10) ^ exp(individual sum - mean sum)

with the treated- or the untreated-SBP term (never both) and cholesterol in mg/dL. The mean sums are the
4-decimal values (-29.1817, 86.6081, 61.1816, 19.5425) used by preventr; Table A coefficients and baseline
survival as printed.

Coefficients checked for this module against the R package preventr (martingmayer/preventr,
R/other_models.R `pce_model`) and the coefficients listed in the shared knowledge notes (three implementations
agreeing). Test vectors: the guideline's own worked example (55-year-olds, TC 213, HDL 50, SBP 120 untreated,
non-smoking, no diabetes; 2.1 / 3.0 / 5.3-5.4 / 6.1 %), reproduced in bcjaeger/PooledCohort's tests, plus values
from vcastro/CVrisk's and preventr's tests.

Race: the equations exist for White and African-American women and men. "other" uses the White equations, as
the guideline advises for other groups and as preventr and CVrisk do (the guideline's wording on this was not
re-read for this knowledge release); the result says so.

Input ranges: age 40-79, total cholesterol 130-320 mg/dL, HDL 20-100 mg/dL, systolic BP 90-200 mmHg (as
enforced by CVrisk, R/ascvd_10y_accaha.R).

Categories: 2019 ACC/AHA primary-prevention guideline (source `acc-aha-2019-primary-prevention`, Table 3):
low <5%, borderline 5-<7.5%, intermediate 7.5-<20%, high >=20%.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from jakcheck.calculators.base import (
    DIABETES,
    ON_BP_TX,
    RA,
    SEX,
    SMOKER,
    CalcResult,
    Calculator,
    InputSpec,
    age_spec,
    cholesterol_specs,
    normalize,
    num,
    ra_adjustment,
    sbp_spec,
)

NAME = "pce"
SOURCES = ("pce-2013", "acc-aha-2019-primary-prevention")
RACES = ("white", "african-american", "other")

INPUTS: tuple[InputSpec, ...] = (
    age_spec(40, 79),
    SEX,
    InputSpec("race", "choice", "race for the equations ('other' uses the White equations)", choices=RACES),
    *cholesterol_specs(),
    sbp_spec(90, 200),
    ON_BP_TX,
    SMOKER,
    DIABETES,
    RA,
)

# Terms: ln_age, ln_age_sq, ln_tc, ln_age*ln_tc, ln_hdl, ln_age*ln_hdl, ln_sbp_treated, ln_age*ln_sbp_treated,
#        ln_sbp_untreated, ln_age*ln_sbp_untreated, smoker, ln_age*smoker, diabetes
_COEF: dict[tuple[str, str], tuple[float, ...]] = {
    ("female", "white"): (-29.799, 4.884, 13.540, -3.114, -13.578, 3.149, 2.019, 0.0, 1.957, 0.0, 7.574, -1.665,
                          0.661),
    ("female", "african-american"): (17.114, 0.0, 0.940, 0.0, -18.920, 4.475, 29.291, -6.432, 27.820, -6.087,
                                     0.691, 0.0, 0.874),
    ("male", "white"): (12.344, 0.0, 11.853, -2.664, -7.990, 1.769, 1.797, 0.0, 1.764, 0.0, 7.837, -1.795, 0.658),
    ("male", "african-american"): (2.469, 0.0, 0.302, 0.0, -0.307, 0.0, 1.916, 0.0, 1.809, 0.0, 0.549, 0.0, 0.645),
}
# (baseline survival S0(10), mean of coefficient x value)
_BASELINE: dict[tuple[str, str], tuple[float, float]] = {
    ("female", "white"): (0.9665, -29.1817),
    ("female", "african-american"): (0.9533, 86.6081),
    ("male", "white"): (0.9144, 61.1816),
    ("male", "african-american"): (0.8954, 19.5425),
}


def equations_for(race: str) -> str:
    return "african-american" if race == "african-american" else "white"


def risk(v: Mapping[str, object]) -> float:
    """10-year hard-ASCVD risk in percent from normalised inputs."""
    key = (str(v["sex"]), equations_for(str(v["race"])))
    ln_age = math.log(num(v, "age"))
    ln_tc = math.log(num(v, "total_cholesterol"))
    ln_hdl = math.log(num(v, "hdl_cholesterol"))
    ln_sbp = math.log(num(v, "systolic_bp"))
    treated = 1.0 if v["on_antihypertensive"] else 0.0
    smoker = 1.0 if v["current_smoker"] else 0.0
    dm = 1.0 if v["diabetes"] else 0.0
    values = (ln_age, ln_age * ln_age, ln_tc, ln_age * ln_tc, ln_hdl, ln_age * ln_hdl, treated * ln_sbp,
              treated * ln_age * ln_sbp, (1 - treated) * ln_sbp, (1 - treated) * ln_age * ln_sbp, smoker,
              ln_age * smoker, dm)
    total = sum(c * x for c, x in zip(_COEF[key], values, strict=True))
    s0, mean = _BASELINE[key]
    return 100.0 * (1.0 - math.pow(s0, math.exp(total - mean)))


def category(results: Mapping[str, float]) -> str:
    """2019 ACC/AHA band: low <5, borderline 5-<7.5, intermediate 7.5-<20, high >=20 %."""
    r = results["ascvd_10y"]
    if r < 5:
        return "low"
    if r < 7.5:
        return "borderline"
    if r < 20:
        return "intermediate"
    return "high"


def run(inputs: Mapping[str, object]) -> CalcResult:
    v = normalize(INPUTS, inputs)
    results = {"ascvd_10y": risk(v)}
    eq = equations_for(str(v["race"]))
    notes: tuple[str, ...] = ()
    if v["race"] == "other":
        notes = ("race 'other': the White equations were used (the PCE exist only for White and African-American "
                 "adults); the estimate may be inaccurate for other groups.",)
    return CalcResult(
        calculator=NAME,
        results=results,
        category=category(results),
        model=f"2013 ACC/AHA Pooled Cohort Equations ({v['sex']}, {eq} equations)",
        inputs=v,
        sources=SOURCES,
        ra_adjusted=ra_adjustment(v, results, "the Pooled Cohort Equations", category),
        category_basis="2019 ACC/AHA primary prevention guideline: low <5%, borderline 5-<7.5%, intermediate "
                       "7.5-<20%, high >=20%",
        notes=notes,
    )


CALCULATOR = Calculator(
    name=NAME,
    title="2013 ACC/AHA Pooled Cohort Equations: 10-year hard ASCVD risk, ages 40-79",
    inputs=INPUTS,
    sources=SOURCES + ("eular-2016-cv-risk",),
    run=run,
)
