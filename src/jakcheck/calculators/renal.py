"""Renal-function helpers exposed as calculators: `egfr-ckd-epi-2021` and `crcl-cockcroft-gault`.

The arithmetic is the core's (`jakcheck.patient.derived.ckd_epi_2021` and `cockcroft_gault`), not a second
implementation; this module adds input validation, unit conversion and the common result shape.

* CKD-EPI 2021 race-free creatinine equation (Inker LA et al. N Engl J Med 2021;385:1737-1749; source
  `ckd-epi-2021`): eGFR in mL/min/1.73 m2, adults (18+).
* Cockcroft-Gault (Cockcroft DW, Gault MH. Nephron 1976;16:31-41; source `cockcroft-gault-1976`): creatinine
  clearance in mL/min with actual body weight, x0.85 for women.

Ranges: creatinine 0.1-25 mg/dL (jakcheck's plausibility limits in jakcheck.patient.units; umol/L accepted as a
quantity, 88.4 umol/L = 1 mg/dL); age 18-120 whole years (the core functions take completed years); weight
20-400 kg (plausibility limit, not from the source). No category is assigned: the drug labels' own renal
bands live in the knowledge base.
"""

from __future__ import annotations

from collections.abc import Mapping

from jakcheck.calculators.base import SEX, CalcResult, Calculator, InputSpec, normalize, num
from jakcheck.patient.derived import ckd_epi_2021, cockcroft_gault

CREATININE = InputSpec("creatinine", "number", "serum creatinine", unit="mg/dL", low=0.1, high=25,
                       concept="creatinine")
AGE = InputSpec("age", "integer", "age in completed years", unit="years", low=18, high=120)
WEIGHT = InputSpec("weight", "number", "actual body weight", unit="kg", low=20, high=400, concept="weight")

EGFR_INPUTS = (CREATININE, AGE, SEX)
CRCL_INPUTS = (CREATININE, AGE, WEIGHT, SEX)


def run_egfr(inputs: Mapping[str, object]) -> CalcResult:
    v = normalize(EGFR_INPUTS, inputs)
    egfr = ckd_epi_2021(num(v, "creatinine"), int(num(v, "age")), str(v["sex"]))
    return CalcResult(calculator="egfr-ckd-epi-2021", results={"egfr": egfr}, category=None,
                      model="CKD-EPI 2021 creatinine equation (race-free), mL/min/1.73 m2", inputs=v,
                      sources=("ckd-epi-2021",))


def run_crcl(inputs: Mapping[str, object]) -> CalcResult:
    v = normalize(CRCL_INPUTS, inputs)
    crcl = cockcroft_gault(num(v, "creatinine"), int(num(v, "age")), num(v, "weight"), str(v["sex"]))
    return CalcResult(calculator="crcl-cockcroft-gault", results={"crcl": crcl}, category=None,
                      model="Cockcroft-Gault creatinine clearance (actual body weight), mL/min", inputs=v,
                      sources=("cockcroft-gault-1976",))


EGFR = Calculator(name="egfr-ckd-epi-2021", title="eGFR by the race-free CKD-EPI 2021 creatinine equation",
                  inputs=EGFR_INPUTS, sources=("ckd-epi-2021",), run=run_egfr)
CRCL = Calculator(name="crcl-cockcroft-gault", title="Creatinine clearance by Cockcroft-Gault",
                  inputs=CRCL_INPUTS, sources=("cockcroft-gault-1976",), run=run_crcl)
CALCULATORS = (EGFR, CRCL)
