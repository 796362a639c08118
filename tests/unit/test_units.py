"""Unit conversion to canonical UCUM units, with the reference factors they come from."""

from __future__ import annotations

import pytest

from jakcheck.patient.units import ImplausibleValue, UnitError, convert, normalize_unit, to_canonical


@pytest.mark.parametrize("unit", ["10*9/L", "10^9/L", "x10^9/L", "×10⁹/L", "x 10E9 / L", "10*3/uL", "10^3/µL",
                                  "10^3/μL", "10*3/mm3", "K/uL", "thou/uL", "G/L"])
def test_count_units_equal_to_giga_per_litre(unit: str) -> None:
    # 1 uL = 1 mm3 = 1e-6 L, so 10^3/uL = 10^9/L (definitional).
    assert to_canonical("lymphocytes", 1.2, unit, "10*9/L") == pytest.approx(1.2)


@pytest.mark.parametrize("unit", ["/uL", "/µL", "cells/uL", "{cells}/uL", "/mm3", "cells/mm3"])
def test_count_units_per_microlitre(unit: str) -> None:
    assert to_canonical("neutrophils", 1500, unit, "10*9/L") == pytest.approx(1.5)
    assert to_canonical("platelets", 250000, unit, "10*9/L") == pytest.approx(250.0)


@pytest.mark.parametrize(("concept", "value", "unit", "canonical", "expected"), [
    # Haemoglobin: 1 g/dL = 0.6206 mmol/L (monomer basis, 16 114.5 g/mol; AMA SI conversion table).
    ("hemoglobin", 8.0, "mmol/L", "g/dL", 8.0 / 0.6206),
    ("hemoglobin", 6.206, "mmol/L", "g/dL", 10.0),
    ("hemoglobin", 135, "g/L", "g/dL", 13.5),
    ("hemoglobin", 10.0, "g/dL", "mmol/L", 6.206),
    # Creatinine: 1 mg/dL = 88.4 umol/L (molar mass 113.12 g/mol; KDIGO, AMA).
    ("creatinine", 88.4, "umol/L", "mg/dL", 1.0),
    ("creatinine", 1.0, "mg/dL", "umol/L", 88.4),
    ("creatinine", 0.0884, "mmol/L", "mg/dL", 1.0),
    # Cholesterol: 1 mmol/L = 38.67 mg/dL (386.65 g/mol).
    ("cholesterol-total", 5.0, "mmol/L", "mg/dL", 193.35),
    ("hdl", 1.0, "mmol/L", "mg/dL", 38.67),
    ("ldl", 3.0, "mmol/L", "mg/dL", 116.01),
    # Triglycerides: 1 mmol/L = 88.57 mg/dL (triolein, 885.7 g/mol).
    ("triglycerides", 1.7, "mmol/L", "mg/dL", 150.569),
    # Bilirubin: 1 mg/dL = 17.10 umol/L (584.66 g/mol).
    ("bilirubin", 17.1, "umol/L", "mg/dL", 1.0),
    # CRP: 1 mg/dL = 10 mg/L.
    ("crp", 1.2, "mg/dL", "mg/L", 12.0),
    # Enzymes: 1 ukat/L = 60 U/L; 1 U/L = 16.67 nkat/L.
    ("alt", 1.0, "ukat/L", "U/L", 60.0),
    ("ast", 1000, "nkat/L", "U/L", 60.0),
    ("alt", 35, "IU/L", "U/L", 35.0),
    ("alt", 35, "[IU]/L", "U/L", 35.0),
    # eGFR: variants of per 1.73 m2; 1 mL/s = 60 mL/min.
    ("egfr", 72, "mL/min/1.73m2", "mL/min/{1.73_m2}", 72.0),
    ("egfr", 72, "mL/min/1.73_m2", "mL/min/{1.73_m2}", 72.0),
    ("egfr", 72, "mL/min", "mL/min/{1.73_m2}", 72.0),
    ("egfr", 1.2, "mL/s/{1.73_m2}", "mL/min/{1.73_m2}", 72.0),
    # Weight: 1 [lb_av] = 0.45359237 kg exactly.
    ("weight", 150, "[lb_av]", "kg", 68.0388555),
    ("weight", 70000, "g", "kg", 70.0),
    # Height: 1 [in_i] = 2.54 cm exactly.
    ("height", 70, "[in_i]", "cm", 177.8),
    ("height", 1.78, "m", "cm", 178.0),
    ("bmi", 24.5, "kg/m2", "kg/m2", 24.5),
    ("systolic-bp", 142, "mmHg", "mm[Hg]", 142.0),
    ("systolic-bp", 142, "mm[Hg]", "mm[Hg]", 142.0),
    ("esr", 30, "mm/hr", "mm/h", 30.0),
    ("hbv-dna", 2000, "IU/mL", "[IU]/mL", 2000.0),
    ("tb-skin-test", 1.2, "cm", "mm", 12.0),
])
def test_reference_conversions(concept: str, value: float, unit: str, canonical: str, expected: float) -> None:
    assert to_canonical(concept, value, unit, canonical) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize(("concept", "unit"), [
    ("lymphocytes", "%"), ("hemoglobin", "mg/dL"), ("creatinine", "g/L"), ("alt", "mg/dL"), ("weight", "cm"),
    ("hbv-dna", "copies/mL"), ("egfr", "mL/min/kg"), ("lymphocytes", "g/L"), ("hemoglobin", "G/L"),
])
def test_unknown_units_are_refused(concept: str, unit: str) -> None:
    with pytest.raises(UnitError) as info:
        to_canonical(concept, 1.0, unit, "10*9/L" if concept == "lymphocytes" else "x")
    assert unit in info.value.reason or "canonical" in info.value.reason


@pytest.mark.parametrize("unit", [None, "", "  "])
def test_missing_unit(unit: str | None) -> None:
    with pytest.raises(UnitError, match="no unit"):
        to_canonical("lymphocytes", 1.0, unit, "10*9/L")


@pytest.mark.parametrize(("concept", "value", "unit", "canonical"), [
    ("lymphocytes", 101, "10*9/L", "10*9/L"),
    ("lymphocytes", -0.1, "10*9/L", "10*9/L"),
    ("hemoglobin", 1.5, "g/dL", "g/dL"),
    ("hemoglobin", 26, "g/dL", "g/dL"),
    ("hemoglobin", 135, "g/dL", "g/dL"),  # g/L entered as g/dL
    ("creatinine", 0.05, "mg/dL", "mg/dL"),
    ("platelets", 2500, "10*9/L", "10*9/L"),
    ("weight", 900, "kg", "kg"),
    ("alt", float("inf"), "U/L", "U/L"),
    ("alt", float("nan"), "U/L", "U/L"),
])
def test_implausible_values(concept: str, value: float, unit: str, canonical: str) -> None:
    with pytest.raises(ImplausibleValue):
        to_canonical(concept, value, unit, canonical)


def test_boolean_is_not_a_number() -> None:
    with pytest.raises(ImplausibleValue):
        to_canonical("alt", True, "U/L", "U/L")


def test_concept_without_table_accepts_only_its_canonical_unit() -> None:
    assert to_canonical("some-new-test", 3.0, "mg/L", "mg/L") == 3.0
    with pytest.raises(UnitError):
        to_canonical("some-new-test", 3.0, "mg/dL", "mg/L")
    with pytest.raises(ImplausibleValue):
        to_canonical("some-new-test", -3.0, "mg/L", "mg/L")


def test_convert_skips_plausibility() -> None:
    # Reference-range limits are converted without the plausibility check.
    assert convert("lymphocytes", 4000, "10*9/L", "10*9/L") == 4000


def test_normalize_unit() -> None:
    assert normalize_unit(" x10^9 / L ") == "10*9/L"
    assert normalize_unit("10⁹/L") == "10*9/L"
    assert normalize_unit("µmol/L") == "umol/L"
    assert normalize_unit("mg/dL") == "mg/dL"


def test_long_unit_spellings_from_input_are_not_kept_in_the_conversion_memo() -> None:
    from jakcheck.patient import units

    junk = "x" * 200
    for _ in range(2):
        with pytest.raises(UnitError, match="unknown unit"):
            convert("hemoglobin", 12.0, junk, "g/dL")
    assert not any(key[1] == junk for key in units._CONVERSIONS)
    assert convert("hemoglobin", 120.0, "g/L", "g/dL") == pytest.approx(12.0)
    assert ("hemoglobin", "g/L", "g/dL") in units._CONVERSIONS
