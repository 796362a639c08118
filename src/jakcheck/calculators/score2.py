"""ESC SCORE2 (ages 40-69) and SCORE2-OP (70 and over): 10-year risk of fatal and non-fatal CVD, recalibrated
to the four ESC risk regions (low, moderate, high, very high). The model used is reported.

Sources:
* SCORE2 working group and ESC Cardiovascular Risk Collaboration. SCORE2 risk prediction algorithms: new models
  to estimate 10-year risk of cardiovascular disease in Europe. Eur Heart J 2021;42(25):2439-2454,
  doi:10.1093/eurheartj/ehab309 (source id `score2-2021`; coefficients and recalibration in its supplementary
  methods).
* SCORE2-OP working group and ESC Cardiovascular Risk Collaboration. SCORE2-OP risk prediction algorithms:
  estimating incident cardiovascular event risk in older persons in four geographical risk regions. Eur Heart J
  2021;42(25):2455-2467, doi:10.1093/eurheartj/ehab312 (source id `score2-op-2021`).
* 2021 ESC Guidelines on cardiovascular disease prevention (source id `esc-2021-prevention`): age-specific risk
  categories.

Coefficients were checked line by line for this module against the model developers' own Stata programs
(S. Kaptoge, Cambridge; github skkceu/stata, score2risk.ado and score2oprisk.ado: "rounded coefficients as
published" blocks and the 6-decimal recalibration scales) and against the R package RiskScorescvd
(dvicencio/RiskScorescvd, R/11_SCORE2_func.R). Test vectors: the SCORE2 paper's supplementary Table 4 and the
SCORE2-OP paper's supplementary Table 3 worked examples and HeartScore-derived values, as reproduced in
RiskScorescvd's tests/testthat/test-SCORE2_func.R.

SCORE2 (cholesterol in mmol/L): cage = (age-60)/5, csbp = (SBP-120)/20, ctc = TC-6, chdl = (HDL-1.3)/0.5;
uncalibrated risk = 1 - S0^exp(LP); regional risk = 1 - exp(-exp(scale1 + scale2 * ln(-ln(1 - risk)))).
SCORE2-OP: cage = age-73, csbp = SBP-150, ctc = TC-6, chdl = HDL-1.4; uncalibrated risk =
1 - S0^exp(LP - mean LP); same recalibration. SCORE2 uses the 4-decimal published scales (equal to the
developers' 6-decimal values rounded); SCORE2-OP uses the 2-decimal published scales, which reproduce the
SCORE2-OP paper's own worked example.

Diabetes: SCORE2 (40-69) is not intended for people with diabetes (the ESC uses SCORE2-Diabetes, not
implemented here), so diabetes = true under 70 raises CalculatorNotApplicable. SCORE2-OP includes diabetes.

Input ranges: no official input limits were found. Age 40-89 (SCORE2-OP charts stop at 89); total cholesterol
130-320 mg/dL, HDL 20-100 mg/dL and systolic BP 90-200 mmHg are jakcheck's plausibility limits, the same as for
the PCE and PREVENT.

Categories (ESC 2021, apparently healthy people): <50 years: low-to-moderate <2.5%, high 2.5-<7.5%, very high
>=7.5%; 50-69: <5%, 5-<10%, >=10%; >=70 (SCORE2-OP): <7.5%, 7.5-<15%, >=15%.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from jakcheck.calculators.base import (
    DIABETES,
    RA,
    SEX,
    SMOKER,
    CalcResult,
    Calculator,
    CalculatorNotApplicable,
    InputSpec,
    age_spec,
    cholesterol_specs,
    mmol_l,
    normalize,
    num,
    ra_adjustment,
    sbp_spec,
)

NAME = "score2"
SOURCES = ("score2-2021", "score2-op-2021", "esc-2021-prevention")
REGIONS = ("low", "moderate", "high", "very-high")

INPUTS: tuple[InputSpec, ...] = (
    age_spec(40, 89, "age (SCORE2 40-69, SCORE2-OP 70+)"),
    SEX,
    *cholesterol_specs(),
    sbp_spec(90, 200),
    SMOKER,
    DIABETES,
    InputSpec("risk_region", "choice", "ESC 2021 cardiovascular risk region of the country", choices=REGIONS),
    RA,
)

# Terms: cage, smoking, csbp, diabetes, ctc, chdl, cage*smoking, cage*csbp, cage*ctc, cage*chdl, cage*diabetes
_SCORE2_COEF = {
    "male": (0.3742, 0.6012, 0.2777, 0.6457, 0.1458, -0.2698, -0.0755, -0.0255, -0.0281, 0.0426, -0.0983),
    "female": (0.4648, 0.7744, 0.3131, 0.8096, 0.1002, -0.2606, -0.1088, -0.0277, -0.0226, 0.0613, -0.1272),
}
_SCORE2_S0 = {"male": 0.9605, "female": 0.9776}
_SCORE2_SCALES = {
    ("male", "low"): (-0.5699, 0.7476), ("female", "low"): (-0.7380, 0.7019),
    ("male", "moderate"): (-0.1565, 0.8009), ("female", "moderate"): (-0.3143, 0.7701),
    ("male", "high"): (0.3207, 0.9360), ("female", "high"): (0.5710, 0.9369),
    ("male", "very-high"): (0.5836, 0.8294), ("female", "very-high"): (0.9412, 0.8329),
}

_OP_COEF = {
    "male": (0.0634, 0.3524, 0.0094, 0.4245, 0.0850, -0.3564, -0.0247, -0.0005, 0.0073, 0.0091, -0.0174),
    "female": (0.0789, 0.4921, 0.0102, 0.6010, 0.0605, -0.3040, -0.0255, -0.0004, -0.0009, 0.0154, -0.0107),
}
_OP_MEAN_LP = {"male": 0.0929, "female": 0.2288}
_OP_S0 = {"male": 0.7576, "female": 0.8082}
_OP_SCALES = {
    ("male", "low"): (-0.34, 1.19), ("female", "low"): (-0.52, 1.01),
    ("male", "moderate"): (0.01, 1.25), ("female", "moderate"): (-0.10, 1.10),
    ("male", "high"): (0.08, 1.15), ("female", "high"): (0.38, 1.09),
    ("male", "very-high"): (0.05, 0.70), ("female", "very-high"): (0.38, 0.69),
}


def _lp(coef: tuple[float, ...], cage: float, smoking: float, csbp: float, dm: float, ctc: float,
        chdl: float) -> float:
    terms = (cage, smoking, csbp, dm, ctc, chdl, cage * smoking, cage * csbp, cage * ctc, cage * chdl, cage * dm)
    return sum(b * t for b, t in zip(coef, terms, strict=True))


def _recalibrate(risk: float, scales: tuple[float, float]) -> float:
    s1, s2 = scales
    return 1.0 - math.exp(-math.exp(s1 + s2 * math.log(-math.log(1.0 - risk))))


def model_for_age(age: float) -> str:
    return "SCORE2-OP" if age >= 70 else "SCORE2"


def risk(v: Mapping[str, object]) -> float:
    """10-year fatal + non-fatal CVD risk in percent from normalised inputs."""
    age = num(v, "age")
    sex = str(v["sex"])
    region = str(v["risk_region"])
    sbp = num(v, "systolic_bp")
    tc = mmol_l(num(v, "total_cholesterol"))
    hdl = mmol_l(num(v, "hdl_cholesterol"))
    smoking = 1.0 if v["current_smoker"] else 0.0
    dm = 1.0 if v["diabetes"] else 0.0
    if age >= 70:
        lp = _lp(_OP_COEF[sex], age - 73, smoking, sbp - 150, dm, tc - 6, hdl - 1.4) - _OP_MEAN_LP[sex]
        uncal = 1.0 - _OP_S0[sex] ** math.exp(lp)
        return 100.0 * _recalibrate(uncal, _OP_SCALES[(sex, region)])
    lp = _lp(_SCORE2_COEF[sex], (age - 60) / 5, smoking, (sbp - 120) / 20, dm, tc - 6, (hdl - 1.3) / 0.5)
    uncal = 1.0 - _SCORE2_S0[sex] ** math.exp(lp)
    return 100.0 * _recalibrate(uncal, _SCORE2_SCALES[(sex, region)])


def category_for(age: float, risk_percent: float) -> str:
    """ESC 2021 age-specific category: "low-to-moderate", "high" or "very-high"."""
    if age < 50:
        high, very_high = 2.5, 7.5
    elif age < 70:
        high, very_high = 5.0, 10.0
    else:
        high, very_high = 7.5, 15.0
    if risk_percent >= very_high:
        return "very-high"
    if risk_percent >= high:
        return "high"
    return "low-to-moderate"


def run(inputs: Mapping[str, object]) -> CalcResult:
    v = normalize(INPUTS, inputs)
    age = num(v, "age")
    model = model_for_age(age)
    if model == "SCORE2" and v["diabetes"]:
        raise CalculatorNotApplicable("diabetes", "SCORE2 (ages 40-69) is not intended for people with diabetes; "
                                                  "the ESC 2021 guideline uses SCORE2-Diabetes, which jakcheck does "
                                                  "not implement")
    results = {"cvd_10y": risk(v)}

    def categorize(r: Mapping[str, float]) -> str:
        return category_for(age, r["cvd_10y"])

    group = "<50" if age < 50 else "50-69" if age < 70 else ">=70"
    band = {"<50": "<2.5 / 2.5-<7.5 / >=7.5%", "50-69": "<5 / 5-<10 / >=10%", ">=70": "<7.5 / 7.5-<15 / >=15%"}[group]
    return CalcResult(
        calculator=NAME,
        results=results,
        category=categorize(results),
        model=f"{model} ({v['risk_region']} risk region)",
        inputs=v,
        sources=SOURCES,
        ra_adjusted=ra_adjustment(v, results, model, categorize),
        category_basis=f"ESC 2021 prevention guideline, age {group}: "
                       f"low-to-moderate / high / very-high at {band}",
        notes=(f"{model}: 10-year risk of fatal and non-fatal cardiovascular disease, for apparently healthy people "
               "without established ASCVD"
               + (", diabetes, CKD or familial hypercholesterolaemia." if model == "SCORE2" else "."),),
    )


CALCULATOR = Calculator(
    name=NAME,
    title="ESC SCORE2 (40-69) / SCORE2-OP (70+): 10-year fatal and non-fatal CVD risk, four risk regions",
    inputs=INPUTS,
    sources=SOURCES + ("eular-2016-cv-risk",),
    run=run,
)
