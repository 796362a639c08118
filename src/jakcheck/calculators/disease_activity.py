"""Disease-activity scores: DAS28-ESR, DAS28-CRP, CDAI, SDAI (rheumatoid arthritis); ASDAS-CRP, ASDAS-ESR
(axial spondyloarthritis). Each also accepts ``{"score": x}`` alone and then only classifies it.

Formulas and sources (source ids in brackets):

* DAS28 [`das28-prevoo-1995`, `das-score-nl`]: Prevoo MLL et al. Arthritis Rheum 1995;38:44-48; formulas as
  published on the official DAS site (Radboud UMC, das-score.nl, "alternative validated formulae"):
      DAS28-ESR(4) = 0.56*sqrt(TJC28) + 0.28*sqrt(SJC28) + 0.70*ln(ESR) + 0.014*GH
      DAS28-ESR(3) = [0.56*sqrt(TJC28) + 0.28*sqrt(SJC28) + 0.70*ln(ESR)]*1.08 + 0.16
      DAS28-CRP(4) = 0.56*sqrt(TJC28) + 0.28*sqrt(SJC28) + 0.36*ln(CRP+1) + 0.014*GH + 0.96
      DAS28-CRP(3) = [0.56*sqrt(TJC28) + 0.28*sqrt(SJC28) + 0.36*ln(CRP+1)]*1.10 + 1.15
  ESR mm/h, CRP mg/L, GH = patient global assessment on a 0-100 mm VAS. Without `patient_global` the validated
  3-variable version is used and reported as such.
  Categories (das-score.nl; ARD table of validated composite measures): remission <2.6, low 2.6-3.2, moderate
  >3.2-5.1, high >5.1. A score of exactly 3.2 is "low" here (EULAR/das-score.nl wording, "low >=2.6-3.2");
  the ACR 2012 table writes low ">=2.6-<3.2", which would make 3.2 "moderate". The same thresholds are applied
  to DAS28-CRP, as is conventional; DAS28-CRP runs lower than DAS28-ESR (CRP-specific cut-offs exist but are not
  EULAR's and are not used).
* CDAI and SDAI [`cdai-sdai-aletaha-2005`, `sdai-smolen-2003`]: CDAI = TJC28 + SJC28 + PtGA + EGA;
  SDAI = CDAI + CRP in mg/dL (CRP given in mg/L is divided by 10: the classic unit error). PtGA and EGA on 0-10.
  Categories: CDAI remission <=2.8, low <=10, moderate <=22, high >22; SDAI <=3.3, <=11, <=26, >26 (Aletaha &
  Smolen 2005; the same values in the ARD composite-measure table and the ACR 2012 table).
* ASDAS [`asdas-lukas-2009`, `asdas-machado-2011`, `asdas-2018-nomenclature`, `asdas-low-crp-2015`]: Lukas C et
  al. Ann Rheum Dis 2009;68:18-24, Table 5 "ASDAS C" and "ASDAS B" (3-decimal weights; ASAS's own tables
  print the same):
      ASDAS-CRP = 0.121*BackPain + 0.058*MorningStiffnessDuration + 0.110*PatientGlobal
                  + 0.073*PeripheralPainSwelling + 0.579*ln(CRP+1)            (CRP mg/L; below 2 mg/L use 2)
      ASDAS-ESR = 0.079*BackPain + 0.069*MorningStiffnessDuration + 0.113*PatientGlobal
                  + 0.086*PeripheralPainSwelling + 0.293*sqrt(ESR)            (ESR mm/h)
  All patient items 0-10 (NRS or cm VAS). The CRP floor of 2 mg/L is Machado et al. 2015 (restated in the ARD
  axSpA clinical-assessment table: "the lowest value for CRP can be 2 mg/L"); it is reported when applied.
  Categories (Machado 2011 cut-offs, names of the 2018 update): inactive <1.3, low 1.3-<2.1, high 2.1-3.5,
  very high >3.5.

Classification uses the score rounded to 2 decimals (how scores are reported, and so that 1 + 0.9 + 0.9 is 2.8,
not 2.8000000000000003); `results["score"]` keeps the unrounded value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from jakcheck.calculators.base import (
    CalcResult,
    Calculator,
    CalculatorInputError,
    InputSpec,
    normalize,
    num,
)

TJC = InputSpec("tender_joints_28", "integer", "tender joint count (28 joints)", unit="joints", low=0, high=28)
SJC = InputSpec("swollen_joints_28", "integer", "swollen joint count (28 joints)", unit="joints", low=0, high=28)
ESR = InputSpec("esr", "number", "erythrocyte sedimentation rate", unit="mm/h", low=1, high=200, concept="esr")
CRP = InputSpec("crp", "number", "C-reactive protein", unit="mg/L", low=0, high=300, concept="crp")
GH_MM = InputSpec("patient_global", "number", "patient global assessment, 0-100 mm VAS (optional: without it the "
                  "3-variable DAS28 is used)", unit="mm", low=0, high=100, required=False, concept="vas")


def _scale10(key: str, description: str) -> InputSpec:
    return InputSpec(key, "number", f"{description}, 0-10 (NRS, or cm on a 10 cm VAS)", unit="cm", low=0,
                     high=10, concept="vas")


PTGA = _scale10("patient_global", "patient global assessment of disease activity")
EGA = _scale10("evaluator_global", "evaluator (physician) global assessment")
BACK = _scale10("back_pain", "back pain (BASDAI question 2)")
STIFF = _scale10("morning_stiffness_duration", "duration of morning stiffness (BASDAI question 6)")
PERIPH = _scale10("peripheral_pain_swelling", "peripheral pain/swelling (BASDAI question 3)")

CRP_FLOOR_MG_L = 2.0


def _band(score: float, cuts: tuple[tuple[float, bool, str], ...], top: str) -> str:
    """First band whose upper bound holds: (bound, inclusive, name)."""
    s = round(score, 2)
    for bound, inclusive, name in cuts:
        if s < bound or (inclusive and s == bound):
            return name
    return top


def das28_category(score: float) -> str:
    return _band(score, ((2.6, False, "remission"), (3.2, True, "low"), (5.1, True, "moderate")), "high")


def cdai_category(score: float) -> str:
    return _band(score, ((2.8, True, "remission"), (10, True, "low"), (22, True, "moderate")), "high")


def sdai_category(score: float) -> str:
    return _band(score, ((3.3, True, "remission"), (11, True, "low"), (26, True, "moderate")), "high")


def asdas_category(score: float) -> str:
    return _band(score, ((1.3, False, "inactive"), (2.1, False, "low"), (3.5, True, "high")), "very-high")


def _f(v: Mapping[str, object], key: str) -> float:
    return num(v, key)


def das28_esr(v: Mapping[str, object]) -> tuple[float, str, tuple[str, ...]]:
    core = 0.56 * math.sqrt(_f(v, "tender_joints_28")) + 0.28 * math.sqrt(_f(v, "swollen_joints_28"))
    core += 0.70 * math.log(_f(v, "esr"))
    if "patient_global" in v:
        return core + 0.014 * _f(v, "patient_global"), "DAS28-ESR (4 variables)", ()
    return core * 1.08 + 0.16, "DAS28-ESR (3 variables)", ("no patient global assessment: the validated "
                                                          "3-variable DAS28-ESR was used",)


def das28_crp(v: Mapping[str, object]) -> tuple[float, str, tuple[str, ...]]:
    core = 0.56 * math.sqrt(_f(v, "tender_joints_28")) + 0.28 * math.sqrt(_f(v, "swollen_joints_28"))
    core += 0.36 * math.log(_f(v, "crp") + 1)
    if "patient_global" in v:
        return core + 0.014 * _f(v, "patient_global") + 0.96, "DAS28-CRP (4 variables)", ()
    return core * 1.10 + 1.15, "DAS28-CRP (3 variables)", ("no patient global assessment: the validated "
                                                          "3-variable DAS28-CRP was used",)


def cdai(v: Mapping[str, object]) -> tuple[float, str, tuple[str, ...]]:
    score = (_f(v, "tender_joints_28") + _f(v, "swollen_joints_28") + _f(v, "patient_global")
             + _f(v, "evaluator_global"))
    return score, "CDAI", ()


def sdai(v: Mapping[str, object]) -> tuple[float, str, tuple[str, ...]]:
    crp_mg_dl = _f(v, "crp") / 10.0
    score = cdai(v)[0] + crp_mg_dl
    return score, "SDAI", (f"CRP {_f(v, 'crp'):g} mg/L entered the SDAI as {crp_mg_dl:g} mg/dL",)


def asdas_crp(v: Mapping[str, object]) -> tuple[float, str, tuple[str, ...]]:
    crp = _f(v, "crp")
    notes: tuple[str, ...] = ()
    if crp < CRP_FLOOR_MG_L:
        notes = (f"CRP {crp:g} mg/L is below 2 mg/L: 2 mg/L was used (Machado et al. 2015)",)
        crp = CRP_FLOOR_MG_L
    score = (0.121 * _f(v, "back_pain") + 0.058 * _f(v, "morning_stiffness_duration")
             + 0.110 * _f(v, "patient_global") + 0.073 * _f(v, "peripheral_pain_swelling")
             + 0.579 * math.log(crp + 1))
    return score, "ASDAS-CRP", notes


def asdas_esr(v: Mapping[str, object]) -> tuple[float, str, tuple[str, ...]]:
    score = (0.079 * _f(v, "back_pain") + 0.069 * _f(v, "morning_stiffness_duration")
             + 0.113 * _f(v, "patient_global") + 0.086 * _f(v, "peripheral_pain_swelling")
             + 0.293 * math.sqrt(_f(v, "esr")))
    return score, "ASDAS-ESR", ()


def _make(name: str, title: str, inputs: tuple[InputSpec, ...], formula: Callable[
        [Mapping[str, object]], tuple[float, str, tuple[str, ...]]], classify: Callable[[float], str],
        score_high: float, sources: tuple[str, ...], basis: str) -> Calculator:
    score_spec = InputSpec("score", "number", f"an already calculated {title.split(':')[0]} score, to classify only",
                           low=0, high=score_high)

    def run(raw: Mapping[str, object]) -> CalcResult:
        if isinstance(raw, Mapping) and "score" in raw:
            if len(raw) != 1:
                raise CalculatorInputError("score", "give either the score alone or the components, not both")
            v = normalize((score_spec,), raw)
            score = _f(v, "score")
            return CalcResult(calculator=name, results={"score": score}, category=classify(score),
                              model=f"{title.split(':')[0]} (score given; classified only)", inputs=v,
                              sources=sources, category_basis=basis)
        v = normalize(inputs, raw)
        score, model, notes = formula(v)
        return CalcResult(calculator=name, results={"score": score}, category=classify(score), model=model,
                          inputs=v, sources=sources, notes=notes, category_basis=basis)

    return Calculator(name=name, title=title, inputs=inputs, sources=sources, run=run,
                      alternatives=((score_spec,),))


_DAS28_SOURCES = ("das28-prevoo-1995", "das-score-nl")
_DAS28_BASIS = "DAS28: remission <2.6, low 2.6-3.2, moderate >3.2-5.1, high >5.1 (das-score.nl / EULAR)"
_ASDAS_SOURCES = ("asdas-lukas-2009", "asdas-machado-2011", "asdas-2018-nomenclature")
_ASDAS_BASIS = "ASDAS: inactive <1.3, low 1.3-<2.1, high 2.1-3.5, very high >3.5 (ASAS 2011 cut-offs, 2018 names)"

DAS28_ESR = _make("das28-esr", "DAS28-ESR: rheumatoid arthritis disease activity (28 joints, ESR)",
                  (TJC, SJC, ESR, GH_MM), das28_esr, das28_category, 10, _DAS28_SOURCES, _DAS28_BASIS)
DAS28_CRP = _make("das28-crp", "DAS28-CRP: rheumatoid arthritis disease activity (28 joints, CRP)",
                  (TJC, SJC, CRP, GH_MM), das28_crp, das28_category, 10, _DAS28_SOURCES, _DAS28_BASIS)
CDAI = _make("cdai", "CDAI: Clinical Disease Activity Index (rheumatoid arthritis)", (TJC, SJC, PTGA, EGA), cdai,
             cdai_category, 76, ("cdai-sdai-aletaha-2005",),
             "CDAI: remission <=2.8, low >2.8-10, moderate >10-22, high >22 (Aletaha & Smolen 2005)")
SDAI = _make("sdai", "SDAI: Simplified Disease Activity Index (rheumatoid arthritis)", (TJC, SJC, PTGA, EGA, CRP),
             sdai, sdai_category, 106, ("sdai-smolen-2003", "cdai-sdai-aletaha-2005"),
             "SDAI: remission <=3.3, low >3.3-11, moderate >11-26, high >26 (Aletaha & Smolen 2005)")
ASDAS_CRP = _make("asdas-crp", "ASDAS-CRP: Ankylosing Spondylitis Disease Activity Score (CRP)",
                  (BACK, STIFF, PTGA, PERIPH, CRP), asdas_crp, asdas_category, 10,
                  _ASDAS_SOURCES + ("asdas-low-crp-2015",), _ASDAS_BASIS)
ASDAS_ESR = _make("asdas-esr", "ASDAS-ESR: Ankylosing Spondylitis Disease Activity Score (ESR)",
                  (BACK, STIFF, PTGA, PERIPH, ESR), asdas_esr, asdas_category, 10, _ASDAS_SOURCES, _ASDAS_BASIS)

CALCULATORS = (DAS28_ESR, DAS28_CRP, CDAI, SDAI, ASDAS_CRP, ASDAS_ESR)
