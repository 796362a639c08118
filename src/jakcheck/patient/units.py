"""Conversion of observation values to each concept's canonical UCUM unit, with plausibility checks.

Everything here is an explicit table: a unit that is not listed for a concept is refused (UnitError), never
guessed. Unit strings are first normalised (whitespace, micro sign, "x10^9/L" style exponents) and then
looked up in the table of the concept's *family*; the same spelling can therefore mean different things in
different families without ambiguity (e.g. "G/L" is giga-per-litre for cell counts only).

Conversion factors and where they come from (SI conversion factors as tabulated in the AMA Manual of Style,
"Units of Measure: SI conversion factors", and derived from the molar masses given):

* Cell counts: 1 x 10^9/L = 1 x 10^3/uL = 1 000 /uL = 1 000 /mm3 (1 uL = 1 mm3 = 10^-6 L). Definitional.
* Haemoglobin: 1 g/dL = 10 g/L = 0.6206 mmol/L. The mmol/L convention used by laboratories (the Netherlands,
  Scandinavia) counts the haemoglobin *monomer* (one haem, Hb(Fe), molar mass 16 114.5 g/mol; ICSH 1995
  reference method): 10 g/L / 16.1145 g/mmol = 0.6206 mmol/L, i.e. 1 mmol/L = 1.6114 g/dL. (The brief called
  it "Fe4"; the tetramer Hb(Fe4) would give 0.155 mmol/L per g/dL and is not in laboratory use.)
* Creatinine: molar mass 113.12 g/mol, so 1 mg/dL = 10 mg/L / 113.12 mg/mmol = 88.4 umol/L (AMA and KDIGO use
  88.4; 88.42 is sometimes quoted and differs by 0.02 %).
* Cholesterol (total, HDL, LDL): molar mass 386.65 g/mol, 1 mmol/L = 38.67 mg/dL.
* Triglycerides (as triolein, 885.7 g/mol): 1 mmol/L = 88.57 mg/dL.
* Bilirubin: molar mass 584.66 g/mol, 1 mg/dL = 17.10 umol/L.
* CRP: 1 mg/dL = 10 mg/L. Definitional.
* ALT/AST: 1 U = 1 umol/min = 1/60 ukat, so 1 ukat/L = 60 U/L and 1 U/L = 16.67 nkat/L.
* eGFR: mL/min/{1.73_m2}; 1 mL/s/{1.73_m2} = 60 mL/min/{1.73_m2}. Plain "mL/min" is accepted for eGFR only:
  every eGFR code (e.g. LOINC 33914-3 "Glomerular filtration rate/1.73 sq M.predicted") is normalised to
  1.73 m2 by definition, and systems (Synthea among them) often drop the suffix from the unit.
* Weight: 1 [lb_av] = 0.45359237 kg (international avoirdupois pound, exact); 1 kg = 1000 g.
* Height: 1 [in_i] = 2.54 cm, 1 [ft_i] = 30.48 cm (international inch and foot, exact); 1 m = 100 cm.
* Tuberculin skin test induration: mm (1 cm = 10 mm).
* Joint counts {#} (also "1"), global assessments {score} on 0-10 (a 100 mm VAS in mm is divided by 10, cm
  equals the 0-10 scale), composite scores {score}: dimensionless, and accepted without a unit.
* BMI kg/m2, blood pressure mm[Hg], ESR mm/h, viral loads [IU]/mL: spelling variants only. HBV DNA in copies/mL
  is refused: the copies-to-IU factor depends on the assay.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


class UnitProblem(ValueError):
    """A value that cannot be used; `reason` is a short sentence for the report."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class UnitError(UnitProblem):
    """Unknown, missing or inconvertible unit."""


class ImplausibleValue(UnitProblem):
    """A value outside the physiologically plausible range (or not a finite number)."""


@dataclass(frozen=True)
class Family:
    """Units of one measured quantity: factor that multiplies a value in that unit to give the base unit."""

    name: str
    base: str
    factors: dict[str, float]


def _family(name: str, base: str, factors: dict[str, float]) -> Family:
    return Family(name, base, {**factors, base: 1.0})


COUNT = _family("cell count", "10*9/L", {
    "10*3/uL": 1.0, "10^3/uL": 1.0, "10*3/mm3": 1.0, "10^3/mm3": 1.0, "K/uL": 1.0, "k/uL": 1.0,
    "thou/uL": 1.0, "10*9/l": 1.0, "10^9/L": 1.0, "G/L": 1.0, "Gi/L": 1.0,
    "/uL": 1e-3, "/mm3": 1e-3, "cells/uL": 1e-3, "{cells}/uL": 1e-3, "cells/mm3": 1e-3, "{cells}/mm3": 1e-3,
    "10*6/L": 1e-3, "10^6/L": 1e-3,
})
HEMOGLOBIN = _family("haemoglobin concentration", "g/dL", {
    "g/L": 0.1, "g/l": 0.1, "g/dl": 1.0, "gm/dL": 1.0, "mmol/L": 1 / 0.6206, "mmol/l": 1 / 0.6206,
})
CREATININE = _family("creatinine concentration", "mg/dL", {
    "umol/L": 1 / 88.4, "umol/l": 1 / 88.4, "mmol/L": 1000 / 88.4, "mg/dl": 1.0, "mg/L": 0.1,
})
CHOLESTEROL = _family("cholesterol concentration", "mg/dL", {"mmol/L": 38.67, "mmol/l": 38.67, "mg/dl": 1.0})
TRIGLYCERIDES = _family("triglyceride concentration", "mg/dL", {"mmol/L": 88.57, "mmol/l": 88.57, "mg/dl": 1.0})
BILIRUBIN = _family("bilirubin concentration", "mg/dL", {"umol/L": 1 / 17.10, "umol/l": 1 / 17.10, "mg/dl": 1.0})
CRP = _family("CRP concentration", "mg/L", {"mg/dL": 10.0, "mg/dl": 10.0, "mg/l": 1.0, "ug/mL": 1.0})
ENZYME = _family("enzyme activity", "U/L", {
    "[IU]/L": 1.0, "IU/L": 1.0, "U/l": 1.0, "u/L": 1.0, "ukat/L": 60.0, "nkat/L": 0.06,
})
EGFR = _family("eGFR", "mL/min/{1.73_m2}", {
    "mL/min/1.73_m2": 1.0, "mL/min/1.73m2": 1.0, "mL/min/{1.73m2}": 1.0, "mL/min/1.73.m2": 1.0,
    "mL/min/(1.73_m2)": 1.0, "ml/min/1.73m2": 1.0, "mL/min/[1.73_m2]": 1.0, "mL/min": 1.0, "ml/min": 1.0,
    "mL/s/{1.73_m2}": 60.0, "mL/s/1.73m2": 60.0,
})
WEIGHT = _family("body weight", "kg", {"g": 1e-3, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237})
HEIGHT = _family("body height", "cm", {
    "m": 100.0, "mm": 0.1, "[in_i]": 2.54, "in": 2.54, "[in_us]": 2.54, "[ft_i]": 30.48,
})
BMI = _family("body mass index", "kg/m2", {"kg/m^2": 1.0, "kg/(m2)": 1.0, "kg/m.m": 1.0})
PRESSURE = _family("blood pressure", "mm[Hg]", {"mmHg": 1.0, "mm Hg": 1.0, "mm[hg]": 1.0})
ESR = _family("erythrocyte sedimentation rate", "mm/h", {"mm/hr": 1.0, "mm/(1.h)": 1.0, "mm/1h": 1.0})
INDURATION = _family("skin induration", "mm", {"cm": 10.0, "[mm]": 1.0})
VIRAL_LOAD = _family("viral load", "[IU]/mL", {"IU/mL": 1.0, "[iU]/mL": 1.0, "IU/ml": 1.0})
# Dimensionless clinical counts and scores (UCUM annotations). A value sent without a unit is accepted for these
# only (`UNITLESS_OK`): a joint count or an index has no unit to lose.
JOINT_COUNT = _family("joint count", "{#}", {"1": 1.0, "{count}": 1.0, "{joints}": 1.0, "#": 1.0})
# Patient / evaluator global assessment on the 0-10 scale of the CDAI (LOINC 75894-6, 75846-6: 0-10 numeric
# rating, {score}); a 100 mm visual analogue scale is read as mm / 10 (10 cm line = 0-10).
GLOBAL_0_10 = _family("global assessment (0-10)", "{score}", {"1": 1.0, "cm": 1.0, "mm": 0.1})
SCORE = _family("score", "{score}", {"1": 1.0, "{points}": 1.0})

# concept id -> (family, plausible minimum, plausible maximum), bounds in the family's base unit, inclusive.
PLAUSIBLE: dict[str, tuple[Family, float, float]] = {
    "lymphocytes": (COUNT, 0.0, 100.0),
    "neutrophils": (COUNT, 0.0, 100.0),
    "wbc": (COUNT, 0.0, 500.0),
    "platelets": (COUNT, 0.0, 2000.0),
    "hemoglobin": (HEMOGLOBIN, 2.0, 25.0),
    "creatinine": (CREATININE, 0.1, 25.0),
    "egfr": (EGFR, 0.0, 250.0),
    "alt": (ENZYME, 0.0, 20000.0),
    "ast": (ENZYME, 0.0, 20000.0),
    "bilirubin": (BILIRUBIN, 0.0, 50.0),
    "cholesterol-total": (CHOLESTEROL, 20.0, 1500.0),
    "hdl": (CHOLESTEROL, 1.0, 300.0),
    "ldl": (CHOLESTEROL, 0.0, 1000.0),
    "triglycerides": (TRIGLYCERIDES, 5.0, 20000.0),
    "crp": (CRP, 0.0, 1000.0),
    "esr": (ESR, 0.0, 200.0),
    "weight": (WEIGHT, 0.2, 700.0),
    "height": (HEIGHT, 20.0, 280.0),
    "bmi": (BMI, 5.0, 200.0),
    "systolic-bp": (PRESSURE, 30.0, 330.0),
    "tb-skin-test": (INDURATION, 0.0, 100.0),
    "hbv-dna": (VIRAL_LOAD, 0.0, 1e12),
    "hcv-rna": (VIRAL_LOAD, 0.0, 1e12),
    "tender-joints-28": (JOINT_COUNT, 0.0, 28.0),
    "swollen-joints-28": (JOINT_COUNT, 0.0, 28.0),
    "patient-global-activity": (GLOBAL_0_10, 0.0, 10.0),
    "evaluator-global-activity": (GLOBAL_0_10, 0.0, 10.0),
    "asdas-back-pain": (GLOBAL_0_10, 0.0, 10.0),
    "asdas-morning-stiffness": (GLOBAL_0_10, 0.0, 10.0),
    "asdas-peripheral": (GLOBAL_0_10, 0.0, 10.0),
    "das28-score": (SCORE, 0.0, 10.0),
    "cdai-score": (SCORE, 0.0, 76.0),
    "sdai-score": (SCORE, 0.0, 86.0),
}
UNITLESS_OK = frozenset({JOINT_COUNT.name, GLOBAL_0_10.name, SCORE.name})


def unitless_ok(concept_id: str) -> bool:
    """True for counts and scores, whose value may come without a unit (it is then read in the base unit)."""
    family = family_of(concept_id)
    return family is not None and family.name in UNITLESS_OK

_EXPONENT = re.compile(r"^(?:x|×|\*)?\s*10\s*(?:\^|\*|e|E)\s*(\d+)\s*(/.*)$")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPER_POWER = re.compile("10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")


def normalize_unit(unit: str) -> str:
    """Spelling normalisation only: whitespace, micro sign, and "x10^9/L"-style powers of ten."""
    u = unit.strip().replace("µ", "u").replace("μ", "u")
    u = _SUPER_POWER.sub(lambda m: "10^" + m.group(1).translate(_SUPERSCRIPT), u)
    u = re.sub(r"\s*/\s*", "/", u)
    if u.lower().startswith(("x", "×", "*", "10")):
        u = u.replace(" ", "")
    m = _EXPONENT.match(u)
    if m:
        u = f"10*{m.group(1)}{m.group(2)}"
    return u


def family_of(concept_id: str) -> Family | None:
    entry = PLAUSIBLE.get(concept_id)
    return entry[0] if entry else None


def _factor(family: Family, unit: str) -> float | None:
    f = family.factors.get(unit)
    if f is None:
        f = family.factors.get(normalize_unit(unit))
    return f


def _conversion(concept_id: str, unit: str | None, canonical_unit: str) -> tuple[float, float, float] | str:
    """(source factor, destination factor, factor to the family's base unit for the plausibility check) of
    `unit`, or the UnitError message when the unit cannot be used. Depends only on the strings: memoised."""
    family = family_of(concept_id)
    if (unit is None or not unit.strip()) and family is not None and family.name in UNITLESS_OK:
        unit = family.base
    if unit is None or not unit.strip():
        return "no unit given"
    if family is None:
        # No table for this concept: accept only the canonical unit itself.
        if normalize_unit(unit) == normalize_unit(canonical_unit):
            return 1.0, 1.0, 1.0
        return (f"unit {unit!r} cannot be converted to {canonical_unit!r} (no conversion table for "
                f"{concept_id})")
    src = _factor(family, unit)
    if src is None:
        return f"unknown unit {unit!r} for {family.name} (expected {canonical_unit!r} or a listed equivalent)"
    dst = _factor(family, canonical_unit)
    if dst is None:
        return f"canonical unit {canonical_unit!r} of {concept_id} is not a {family.name} unit"
    return src, dst, src


_CONVERSIONS: dict[tuple[str, str | None, str], tuple[float, float, float] | str] = {}
_CONVERSIONS_MAX = 4096  # unit spellings come from input: bounded, cleared when full
_CACHED_UNIT_MAX = 32  # longer spellings (no real unit is) are converted each time, never kept


def _conversion_of(concept_id: str, unit: str | None, canonical_unit: str) -> tuple[float, float, float]:
    key = (concept_id, unit, canonical_unit)
    hit = _CONVERSIONS.get(key)
    if hit is None:
        hit = _conversion(concept_id, unit, canonical_unit)
        if unit is None or len(unit) <= _CACHED_UNIT_MAX:
            if len(_CONVERSIONS) >= _CONVERSIONS_MAX:
                _CONVERSIONS.clear()
            _CONVERSIONS[key] = hit
    if isinstance(hit, str):
        raise UnitError(hit)
    return hit


def _finite(value: float) -> float:
    """`value` as a float when it is a finite int or float; ImplausibleValue otherwise. Values come from input
    records, so the type is checked here as well: a bool is not a number, whatever its declared type."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ImplausibleValue(f"value {value!r} is not a finite number")
    return float(value)


def convert(concept_id: str, value: float, unit: str | None, canonical_unit: str) -> float:
    """`value` in `unit` expressed in `canonical_unit`, without the plausibility check. Raises UnitError."""
    number = _finite(value)
    src, dst, _ = _conversion_of(concept_id, unit, canonical_unit)
    return number * src / dst


def to_canonical(concept_id: str, value: float, unit: str | None, canonical_unit: str) -> float:
    """Convert to the canonical unit and check plausibility. Raises UnitError or ImplausibleValue."""
    # most values are finite floats already (_finite's answer, without the call)
    number = value if value.__class__ is float and math.isfinite(value) else _finite(value)
    src, dst, base = _conversion_of(concept_id, unit, canonical_unit)
    result = number * src / dst
    entry = PLAUSIBLE.get(concept_id)
    if entry is None:
        if result < 0:
            raise ImplausibleValue(f"negative value {value} {unit}")
        return result
    _, low, high = entry
    base_value = number * base
    if not math.isfinite(base_value) or not low <= base_value <= high:
        raise ImplausibleValue(f"{value} {unit} is outside the plausible range for {concept_id} "
                               f"({low:g}-{high:g} {entry[0].base})")
    return result
