"""Shared machinery of the calculators: input specifications, input normalisation, results, errors.

A calculator is a pure function of a mapping of named inputs. Every input is declared once (an `InputSpec`:
key, unit, valid range, required or optional) and `normalize()` turns raw inputs into checked, converted
values before any arithmetic happens. Anything unusable - a missing required input, an unknown key, a unit
that cannot be converted, a value outside the declared range - raises `CalculatorInputError` naming the input
and the valid range; a calculator never returns a number for input it does not accept.

Quantities are either bare numbers in the documented unit or ``{"value": x, "unit": "..."}``. Laboratory
units are converted with `jakcheck.patient.units` (cholesterol mg/dL <-> mmol/L by 38.67, CRP mg/L <-> mg/dL
by 10, creatinine mg/dL <-> umol/L by 88.4, ...). Visual-analogue scales accept "mm" and "cm" (1 cm = 10 mm).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from jakcheck.patient.units import UnitProblem, convert

Kind = Literal["number", "integer", "boolean", "choice"]


class CalculatorInputError(ValueError):
    """An input a calculator cannot use. `input` names it; the message says what is accepted."""

    def __init__(self, input_key: str, message: str) -> None:
        self.input = input_key
        super().__init__(f"{input_key}: {message}")


class CalculatorNotApplicable(CalculatorInputError):
    """Valid inputs, but the patient is outside the population the model is meant for (e.g. SCORE2 with
    diabetes). The engine should report the calculator as not applicable, with this message."""


@dataclass(frozen=True)
class InputSpec:
    """One input of a calculator.

    `unit` is the unit of bare numbers (None for booleans and choices). `concept` names the
    `jakcheck.patient.units` table used to convert ``{"value", "unit"}`` quantities ("vas" = mm/cm scale,
    None = only the documented unit itself is accepted). `low`/`high` are inclusive bounds in `unit`.
    """

    key: str
    kind: Kind
    description: str
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    required: bool = True
    choices: tuple[str, ...] = ()
    concept: str | None = None
    default: float | bool | str | None = None

    def range_text(self) -> str:
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        unit = f" {self.unit}" if self.unit else ""
        return f"{_fmt(self.low)}-{_fmt(self.high)}{unit}"

    def to_json_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"key": self.key, "type": self.kind, "required": self.required,
                                  "description": self.description}
        if self.unit:
            out["unit"] = self.unit
        if self.low is not None or self.high is not None:
            out["range"] = [self.low, self.high]
        if self.choices:
            out["choices"] = list(self.choices)
        if not self.required and self.default is not None:
            out["default"] = self.default
        return out


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"


# Visual analogue / numeric rating scales: base unit mm.
_VAS_FACTORS = {"mm": 1.0, "cm": 10.0}


def _convert_quantity(spec: InputSpec, value: float, unit: str) -> float:
    target = spec.unit or ""
    if spec.concept == "vas":
        src = _VAS_FACTORS.get(unit.strip())
        dst = _VAS_FACTORS.get(target)
        if src is None or dst is None:
            raise CalculatorInputError(spec.key, f"unknown unit {unit!r} (expected 'mm' or 'cm')")
        return value * src / dst
    if spec.concept is None:
        if unit.strip() == target or (target in _YEARS and unit.strip() in _YEARS):
            return value
        raise CalculatorInputError(spec.key, f"unknown unit {unit!r} (expected {target!r})")
    try:
        return convert(spec.concept, value, unit, target)
    except UnitProblem as exc:
        raise CalculatorInputError(spec.key, exc.reason) from exc


_YEARS = ("a", "years", "year", "yr", "y")


def _number(spec: InputSpec, raw: object) -> float:
    if isinstance(raw, Mapping):
        if set(raw) - {"value", "unit"} or "value" not in raw:
            raise CalculatorInputError(spec.key, 'a quantity must be a number or {"value": x, "unit": "..."}')
        value = raw["value"]
        unit = raw.get("unit")
        if not _is_number(value):
            raise CalculatorInputError(spec.key, f"value {value!r} is not a number")
        if unit is None:
            number = float(value)
        elif not isinstance(unit, str):
            raise CalculatorInputError(spec.key, f"unit {unit!r} is not a string")
        else:
            number = _convert_quantity(spec, float(value), unit)
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    else:
        raise CalculatorInputError(spec.key, f"{raw!r} is not a number (expected {spec.range_text()})")
    if not math.isfinite(number):
        raise CalculatorInputError(spec.key, f"{raw!r} is not a finite number")
    if spec.kind == "integer" and number != int(number):
        raise CalculatorInputError(spec.key, f"{raw!r} is not a whole number (expected {spec.range_text()})")
    if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
        raise CalculatorInputError(spec.key, f"{_fmt(number)} is outside the valid range {spec.range_text()}")
    return number


def num(values: Mapping[str, object], key: str) -> float:
    """A normalised numeric input as float."""
    x = values[key]
    if not isinstance(x, int | float):
        raise TypeError(f"{key} is not numeric")
    return float(x)


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def normalize(specs: tuple[InputSpec, ...], raw: Mapping[str, object]) -> dict[str, object]:
    """Checked, converted inputs in the documented units; optional inputs absent from `raw` take their
    default (left out when the default is None). Raises CalculatorInputError."""
    if not isinstance(raw, Mapping):
        raise CalculatorInputError("inputs", "expected an object of named inputs")
    known = {s.key for s in specs}
    for key in raw:
        if key not in known:
            raise CalculatorInputError(str(key), "unknown input; accepted: " + ", ".join(s.key for s in specs))
    out: dict[str, object] = {}
    for spec in specs:
        value = raw.get(spec.key)
        if value is None:
            if spec.required:
                raise CalculatorInputError(spec.key, f"missing required input ({spec.description}; "
                                                     f"{spec.range_text()})")
            if spec.default is not None:
                out[spec.key] = spec.default
            continue
        if spec.kind == "boolean":
            if isinstance(value, bool):
                out[spec.key] = value
            elif _is_number(value) and value in (0, 1):
                out[spec.key] = bool(value)
            else:
                raise CalculatorInputError(spec.key, f"{value!r} is not true or false")
        elif spec.kind == "choice":
            if not isinstance(value, str) or value.strip().lower() not in spec.choices:
                raise CalculatorInputError(spec.key, f"{value!r} is not {spec.range_text()}")
            out[spec.key] = value.strip().lower()
        else:
            number = _number(spec, value)
            out[spec.key] = int(number) if spec.kind == "integer" else number
    return out


@dataclass(frozen=True)
class RAAdjustment:
    """A risk figure multiplied by the EULAR rheumatoid-arthritis factor, reported next to (never instead
    of) the model's own figure."""

    factor: float
    results: dict[str, float]
    category: str | None
    source: str
    note: str

    def to_json_dict(self) -> dict[str, object]:
        return {"factor": self.factor, "results": dict(self.results), "category": self.category,
                "source": self.source, "note": self.note}


@dataclass(frozen=True)
class CalcResult:
    """What a calculator returns. `results` holds unrounded numbers: percent (0-100) for risks
    (`cvd_10y`, `ascvd_10y`, `hf_10y`), `score` for disease activity, `egfr` / `crcl` for renal function."""

    calculator: str
    results: dict[str, float]
    category: str | None
    model: str
    inputs: dict[str, object]
    sources: tuple[str, ...]
    ra_adjusted: RAAdjustment | None = None
    notes: tuple[str, ...] = ()
    category_basis: str | None = None

    def to_json_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "calculator": self.calculator,
            "model": self.model,
            "results": dict(self.results),
            "category": self.category,
            "inputs": dict(self.inputs),
            "sources": list(self.sources),
        }
        if self.category_basis:
            out["category_basis"] = self.category_basis
        if self.ra_adjusted is not None:
            out["ra_adjusted"] = self.ra_adjusted.to_json_dict()
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True)
class Calculator:
    """A registered calculator: its name, inputs, sources and the function that runs it."""

    name: str
    title: str
    inputs: tuple[InputSpec, ...]
    sources: tuple[str, ...]
    run: Callable[[Mapping[str, object]], CalcResult] = field(repr=False)
    # Alternative input sets (e.g. {"score": x} alone for disease-activity scores), for listings.
    alternatives: tuple[tuple[InputSpec, ...], ...] = ()

    @property
    def input_keys(self) -> tuple[str, ...]:
        keys = [s.key for s in self.inputs]
        for alt in self.alternatives:
            keys.extend(s.key for s in alt if s.key not in keys)
        return tuple(keys)

    def to_json_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "title": self.title,
                                  "inputs": [s.to_json_dict() for s in self.inputs],
                                  "sources": list(self.sources)}
        if self.alternatives:
            out["alternative_inputs"] = [[s.to_json_dict() for s in alt] for alt in self.alternatives]
        return out


# --- shared risk-model inputs -------------------------------------------------------------------------

EULAR_CV_SOURCE = "eular-2016-cv-risk"
RA_FACTOR = 1.5


def age_spec(low: float, high: float, description: str = "age") -> InputSpec:
    return InputSpec("age", "number", description, unit="years", low=low, high=high)


SEX = InputSpec("sex", "choice", "sex", choices=("female", "male"))
SMOKER = InputSpec("current_smoker", "boolean", "current smoker")
DIABETES = InputSpec("diabetes", "boolean", "diabetes mellitus")
ON_BP_TX = InputSpec("on_antihypertensive", "boolean", "on antihypertensive treatment")
ON_STATIN = InputSpec("on_statin", "boolean", "on statin (lipid-lowering) treatment")
RA = InputSpec("rheumatoid_arthritis", "boolean",
               "rheumatoid arthritis: adds a separate EULAR x1.5 figure", required=False)


def cholesterol_specs(tc_low: float = 130, tc_high: float = 320, hdl_low: float = 20,
                      hdl_high: float = 100) -> tuple[InputSpec, InputSpec]:
    return (
        InputSpec("total_cholesterol", "number", "total cholesterol", unit="mg/dL", low=tc_low, high=tc_high,
                  concept="cholesterol-total"),
        InputSpec("hdl_cholesterol", "number", "HDL cholesterol", unit="mg/dL", low=hdl_low, high=hdl_high,
                  concept="hdl"),
    )


def sbp_spec(low: float = 90, high: float = 200) -> InputSpec:
    return InputSpec("systolic_bp", "number", "systolic blood pressure", unit="mm[Hg]", low=low, high=high,
                     concept="systolic-bp")


MG_DL_PER_MMOL_L_CHOLESTEROL = 38.67  # jakcheck.patient.units CHOLESTEROL (molar mass 386.65 g/mol)


def mmol_l(cholesterol_mg_dl: float) -> float:
    """Cholesterol mg/dL -> mmol/L (x 0.02586, the factor used by the PREVENT implementations)."""
    return cholesterol_mg_dl / MG_DL_PER_MMOL_L_CHOLESTEROL


def ra_adjustment(inputs: Mapping[str, object], results: Mapping[str, float], model: str,
                  categorize: Callable[[Mapping[str, float]], str | None]) -> RAAdjustment | None:
    """The EULAR x1.5 figure when `rheumatoid_arthritis` is true, else None.

    EULAR 2015/2016 recommendation 5 (Agca et al., Ann Rheum Dis 2017;76:17-28, Table 1): CVD risk prediction
    models should be adapted for patients with RA by a 1.5 multiplication factor, if this is not already
    included in the model. None of PREVENT, SCORE2/SCORE2-OP or the PCE contains RA, so the factor is offered
    for each; the recommendation was written when SCORE was the European model, so applying it to these
    models is an extrapolation and is labelled as one. Each risk is multiplied and capped at 100%.
    """
    if not inputs.get("rheumatoid_arthritis"):
        return None
    adjusted = {k: min(100.0, v * RA_FACTOR) for k, v in results.items()}
    return RAAdjustment(
        factor=RA_FACTOR,
        results=adjusted,
        category=categorize(adjusted),
        source=EULAR_CV_SOURCE,
        note=(f"EULAR 2015/2016 recommendation 5: CVD risk prediction models are adapted for patients with "
              f"rheumatoid arthritis by a 1.5 multiplication factor if the model does not already include RA. "
              f"{model} does not include RA. The recommendation predates {model}; applying it here is an "
              f"extrapolation. Shown beside, never instead of, the model's own estimate (capped at 100%)."),
    )


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
