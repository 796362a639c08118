"""Validated clinical calculators: cardiovascular risk, disease activity, renal function.

Pure functions, no I/O, nothing from the FHIR reader, rules, engine, reports or CLI. Use the registry:

    from jakcheck.calculators import CALCULATORS, CalculatorInputError
    result = CALCULATORS["score2"].run({"age": 62, "sex": "female", ...})
    result.results["cvd_10y"], result.category, result.model, result.ra_adjusted

Every calculator validates its inputs first (`CalculatorInputError`, a ValueError naming the input and its
valid range; `CalculatorNotApplicable` when the patient is outside the model's population) and never returns
a number for input it does not accept. `docs/calculators.md` lists inputs, units, ranges, categories, sources.
"""

from __future__ import annotations

from jakcheck.calculators import disease_activity, pce, prevent, renal, score2
from jakcheck.calculators.base import (
    CalcResult,
    Calculator,
    CalculatorInputError,
    CalculatorNotApplicable,
    InputSpec,
    RAAdjustment,
)

CALCULATORS: dict[str, Calculator] = {
    c.name: c
    for c in (prevent.CALCULATOR, score2.CALCULATOR, pce.CALCULATOR, *disease_activity.CALCULATORS,
              *renal.CALCULATORS)
}

__all__ = [
    "CALCULATORS",
    "CalcResult",
    "Calculator",
    "CalculatorInputError",
    "CalculatorNotApplicable",
    "InputSpec",
    "RAAdjustment",
]
