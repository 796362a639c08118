"""Renal calculators (the core's CKD-EPI 2021 / Cockcroft-Gault behind the calculator interface) and the shared
input handling: units, missing and unknown inputs, ranges."""

from __future__ import annotations

import pytest

from jakcheck.calculators import CALCULATORS, CalculatorInputError
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.derived import ckd_epi_2021, cockcroft_gault


def test_egfr_is_the_core_function() -> None:
    r = CALCULATORS["egfr-ckd-epi-2021"].run({"creatinine": 1.0, "age": 50, "sex": "male"})
    assert r.results["egfr"] == ckd_epi_2021(1.0, 50, "male")
    # By hand (Inker 2021): 142 x (1.0/0.9)^-1.200 x 0.9938^50 = 91.7 mL/min/1.73 m2
    assert r.results["egfr"] == pytest.approx(142 * (1 / 0.9) ** -1.2 * 0.9938**50)
    assert r.results["egfr"] == pytest.approx(91.7, abs=0.05)


def test_egfr_accepts_umol_per_litre() -> None:
    a = CALCULATORS["egfr-ckd-epi-2021"].run({"creatinine": {"value": 88.4, "unit": "umol/L"}, "age": 60,
                                              "sex": "female"})
    assert a.inputs["creatinine"] == pytest.approx(1.0)
    assert a.results["egfr"] == pytest.approx(ckd_epi_2021(1.0, 60, "female"))


def test_crcl_is_the_core_function() -> None:
    r = CALCULATORS["crcl-cockcroft-gault"].run({"creatinine": 1.2, "age": 70, "weight": 72, "sex": "female"})
    # Cockcroft-Gault by hand: (140 - 70) x 72 / (72 x 1.2) x 0.85 = 49.6 mL/min
    assert r.results["crcl"] == pytest.approx(70 * 72 / (72 * 1.2) * 0.85)
    assert r.results["crcl"] == cockcroft_gault(1.2, 70, 72, "female")
    lb = CALCULATORS["crcl-cockcroft-gault"].run({"creatinine": 1.2, "age": 70, "sex": "female",
                                                  "weight": {"value": 72 / 0.45359237, "unit": "[lb_av]"}})
    assert lb.results["crcl"] == pytest.approx(r.results["crcl"])


@pytest.mark.parametrize(("inputs", "key"), [
    ({"creatinine": 1.0, "age": 17, "sex": "male"}, "age"),
    ({"creatinine": 1.0, "age": 50.5, "sex": "male"}, "age"),
    ({"creatinine": 0.05, "age": 50, "sex": "male"}, "creatinine"),
    ({"creatinine": {"value": 1, "unit": "mmol/mol"}, "age": 50, "sex": "male"}, "creatinine"),
    ({"age": 50, "sex": "male"}, "creatinine"),
    ({"creatinine": 1.0, "age": 50, "sex": "x"}, "sex"),
])
def test_egfr_invalid(inputs: dict[str, object], key: str) -> None:
    with pytest.raises(CalculatorInputError) as exc:
        CALCULATORS["egfr-ckd-epi-2021"].run(inputs)
    assert exc.value.input == key


PCE = {"sex": "male", "race": "white", "age": 55, "total_cholesterol": 213, "hdl_cholesterol": 50,
       "systolic_bp": 140, "on_antihypertensive": False, "current_smoker": False, "diabetes": False}


def test_error_names_the_input_and_the_range() -> None:
    with pytest.raises(CalculatorInputError, match=r"total_cholesterol: 400 is outside the valid range 130-320 mg/dL"):
        CALCULATORS["pce"].run({**PCE, "total_cholesterol": 400})
    with pytest.raises(CalculatorInputError, match=r"age: missing required input .*40-79 years"):
        CALCULATORS["pce"].run({k: v for k, v in PCE.items() if k != "age"})


@pytest.mark.parametrize(("key", "value"), [
    ("total_cholesterol", {"value": 5, "unit": "mmol/mol"}),
    ("total_cholesterol", {"value": 5, "unit": "furlongs"}),
    ("systolic_bp", {"value": 18, "unit": "kPa"}),
    ("age", {"value": 55, "unit": "months"}),
    ("total_cholesterol", {"value": "5"}),
    ("total_cholesterol", {"value": 5, "units": "mmol/L"}),
    ("total_cholesterol", "213"),
    ("total_cholesterol", True),
    ("total_cholesterol", float("nan")),
    ("current_smoker", "yes"),
    ("current_smoker", 2),
    ("sbp", 140),
])
def test_bad_values_and_units(key: str, value: object) -> None:
    with pytest.raises(CalculatorInputError) as exc:
        CALCULATORS["pce"].run({**PCE, key: value})
    assert exc.value.input == key


def test_unit_conversions_and_normalised_inputs() -> None:
    r = CALCULATORS["pce"].run({**PCE, "total_cholesterol": {"value": 213 / 38.67, "unit": "mmol/L"},
                                "systolic_bp": {"value": 140, "unit": "mmHg"}, "age": {"value": 55, "unit": "a"},
                                "current_smoker": 0})
    assert r.inputs["total_cholesterol"] == pytest.approx(213)
    assert r.inputs["systolic_bp"] == 140
    assert r.inputs["current_smoker"] is False
    assert r.results == pytest.approx(CALCULATORS["pce"].run(PCE).results)


def test_registry_sources_exist_in_the_knowledge_release() -> None:
    k = default_knowledge()
    for calc in CALCULATORS.values():
        assert calc.sources, calc.name
        for s in calc.sources:
            assert s in k.sources, (calc.name, s)
        assert calc.to_json_dict()["inputs"]


def test_registry_names() -> None:
    assert set(CALCULATORS) == {"prevent", "score2", "pce", "das28-esr", "das28-crp", "cdai", "sdai", "asdas-crp",
                                "asdas-esr", "egfr-ckd-epi-2021", "crcl-cockcroft-gault"}
