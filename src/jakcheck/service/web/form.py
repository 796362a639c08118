"""The short form of the start page: what it asks, how each answer becomes part of a patient card
(docs/patient-card.md), and every answer that cannot be used, listed at once.

Also the answers the three inputs share (region, assessment date, indication). Nothing here renders a page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from starlette.datastructures import FormData

from jakcheck.errors import InputError
from jakcheck.knowledge.loader import Knowledge
from jakcheck.knowledge.schema import Region

REGIONS: tuple[Region, ...] = ("EU", "US")

# ---------------------------------------------------------------------------------------------------------
# What the short form asks.

SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Unknown"))
SMOKING = (("never", "Never smoked"), ("former", "Former smoker"), ("current", "Current smoker"),
           ("unknown", "Not known"))
CV_HISTORY = (("ascvd", "Atherosclerotic CV disease (heart attack, stroke, coronary or peripheral artery disease)"),
              ("heart-failure", "Heart failure"), ("hypertension", "High blood pressure"),
              ("hyperlipidemia", "High cholesterol (dyslipidaemia)"),
              ("ckd", "Chronic kidney disease"))
CANCER = (("unknown", "Not known"), ("none", "No cancer ever"), ("past", "Past cancer, in remission"),
          ("active", "Active cancer"), ("nmsc", "Non-melanoma skin cancer only"))
YES_NO_UNKNOWN = (("unknown", "Not known"), ("no", "No"), ("yes", "Yes"))
INFECTIONS = (("active-tb", "Active tuberculosis"), ("latent-tb", "Latent tuberculosis"),
              ("hbv-chronic", "Chronic hepatitis B"), ("hbv-resolved", "Resolved hepatitis B"),
              ("hcv", "Hepatitis C"), ("herpes-zoster", "Shingles (herpes zoster)"),
              ("serious-infection", "Serious infection (hospital treatment)"))
SCREENING = (("tb-igra", "TB blood test (IGRA)"), ("hbsag", "Hepatitis B surface antigen (HBsAg)"),
             ("anti-hbc", "Hepatitis B core antibody (anti-HBc)"), ("anti-hcv", "Hepatitis C antibody (anti-HCV)"))
RESULTS = (("", "Not done"), ("negative", "Negative"), ("positive", "Positive"), ("indeterminate", "Indeterminate"))

_COUNT_UNITS = (("10*9/L", "×10⁹/L"), ("10*3/uL", "×10³/µL"), ("/uL", "cells/µL"))
LABS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("lymphocytes", "Lymphocytes", _COUNT_UNITS),
    ("neutrophils", "Neutrophils", _COUNT_UNITS),
    ("hemoglobin", "Haemoglobin", (("g/dL", "g/dL"), ("g/L", "g/L"), ("mmol/L", "mmol/L"))),
    ("platelets", "Platelets", _COUNT_UNITS),
    ("alt", "ALT", (("U/L", "U/L"), ("ukat/L", "µkat/L"))),
    ("ast", "AST", (("U/L", "U/L"), ("ukat/L", "µkat/L"))),
    ("creatinine", "Creatinine", (("mg/dL", "mg/dL"), ("umol/L", "µmol/L"))),
    ("egfr", "eGFR", (("mL/min/{1.73_m2}", "mL/min/1.73 m²"),)),
    ("cholesterol-total", "Total cholesterol", (("mg/dL", "mg/dL"), ("mmol/L", "mmol/L"))),
    ("hdl", "HDL cholesterol", (("mg/dL", "mg/dL"), ("mmol/L", "mmol/L"))),
    ("ldl", "LDL cholesterol", (("mg/dL", "mg/dL"), ("mmol/L", "mmol/L"))),
    ("systolic-bp", "Systolic blood pressure", (("mm[Hg]", "mmHg"),)),
    ("weight", "Weight", (("kg", "kg"), ("[lb_av]", "lb"))),
    ("height", "Height", (("cm", "cm"), ("[in_i]", "in"))),
    ("bmi", "BMI (if height is not given)", (("kg/m2", "kg/m²"),)),
)
# The unit each lab's selector starts on: SI in the EU, conventional US units in the US (one can still choose).
UNIT_DEFAULTS: dict[str, dict[str, str]] = {
    "EU": {"lymphocytes": "10*9/L", "neutrophils": "10*9/L", "platelets": "10*9/L", "hemoglobin": "g/L",
           "creatinine": "umol/L", "cholesterol-total": "mmol/L", "hdl": "mmol/L", "ldl": "mmol/L", "weight": "kg",
           "height": "cm"},
    "US": {"lymphocytes": "10*3/uL", "neutrophils": "10*3/uL", "platelets": "10*3/uL", "hemoglobin": "g/dL",
           "creatinine": "mg/dL", "cholesterol-total": "mg/dL", "hdl": "mg/dL", "ldl": "mg/dL", "weight": "kg",
           "height": "cm"},
}
# Yes/no questions the risk calculators need: (form field, label, concept when yes, word in known_absent when no).
CALCULATOR_QUESTIONS = (("diabetes", "Diabetes", "diabetes", "condition"),
                        ("bp_treated", "Treated for high blood pressure", "antihypertensive", "medication"),
                        ("statin", "Takes a statin", "statin", "medication"))
MULTI_FIELDS = ("cv", "infections", "prior", "current")
VACCINES = (("zoster-recombinant", "Recombinant zoster vaccine (Shingrix)"),
            ("pneumococcal", "Pneumococcal vaccine"), ("influenza", "Influenza vaccine"),
            ("zoster-live", "Live zoster vaccine (Zostavax)"))
# Prior advanced therapies: stopped before this assessment.
PRIOR_CLASSES = (("tnf-inhibitor", "TNF inhibitors"), ("biologic-dmard", "Other biologics"),
                 ("jak-inhibitor", "JAK inhibitors"), ("csdmard", "Conventional DMARDs"))
# Current medicines offered as tick boxes, by the class a rule reads.
CURRENT_CLASSES = (("csdmard", "Conventional DMARDs"), ("glucocorticoid", "Glucocorticoids"),
                   ("biologic-dmard", "Biologics"), ("potent-immunosuppressant", "Immunosuppressants"),
                   ("estrogen", "Oestrogens"), ("interacting", "Interacting medicines"))
INTERACTING = ("cyp3a4-strong-inhibitor", "cyp3a4-moderate-and-cyp2c19-strong-inhibitor", "cyp3a4-strong-inducer",
               "cyp2c19-strong-inhibitor", "cyp2c19-inducer", "oat3-strong-inhibitor")


def _checkbox_meds(knowledge: Knowledge, cls: str) -> list[tuple[str, str]]:
    out = []
    for c in knowledge.concepts.values():
        if c.kind != "medication":
            continue
        if cls == "interacting":
            hit = any(x in c.classes for x in INTERACTING)
        elif cls == "biologic-dmard":
            hit = "biologic-dmard" in c.classes and "tnf-inhibitor" not in c.classes
        else:
            hit = cls in c.classes
        if hit:
            out.append((c.id, c.label))
    return out


def form_options(knowledge: Knowledge) -> dict[str, Any]:
    return {
        "indications": [(i.id, i.label) for i in knowledge.indications.values()],
        "sexes": SEXES, "smoking": SMOKING, "cv_history": CV_HISTORY, "cancer": CANCER,
        "yes_no_unknown": YES_NO_UNKNOWN, "infections": INFECTIONS, "screening": SCREENING, "results": RESULTS,
        "labs": LABS, "vaccines": VACCINES,
        "prior_groups": [(label, _checkbox_meds(knowledge, cls)) for cls, label in PRIOR_CLASSES],
        "current_groups": [(label, _checkbox_meds(knowledge, cls)) for cls, label in CURRENT_CLASSES],
    }


def form_values(form: FormData) -> dict[str, Any]:
    """What was typed, to put back in the form: each field's text, and the ticked boxes as `name[]` lists."""
    out: dict[str, Any] = {}
    for key in form:
        if key in ("bundle", "pasted", "source"):
            continue
        if key in MULTI_FIELDS:
            out[key + "[]"] = _many(form, key)
        else:
            v = form.get(key)
            if isinstance(v, str):
                out[key] = v
    return out


def form_problems(form: FormData | Mapping[str, Any], knowledge: Knowledge) -> list[tuple[str, str, str]]:
    """Every answer of the short form that cannot be used, at once: (field id, question, what is wrong)."""
    out: list[tuple[str, str, str]] = []
    diagnosis = text_answer(form, "diagnosis") or text_answer(form, "indication")
    if not diagnosis:
        out.append(("diagnosis", "Diagnosis to treat", "choose the diagnosis the JAK inhibitor would treat"))
    elif diagnosis not in knowledge.indications:
        out.append(("diagnosis", "Diagnosis to treat", f"unknown diagnosis {diagnosis!r}"))
    age_text = text_answer(form, "age")
    if not age_text:
        out.append(("age", "Age", "is required (whole years)"))
    elif not age_text.isdigit() or not 0 <= int(age_text) <= 130:
        out.append(("age", "Age", f"must be a whole number of years from 0 to 130, not {age_text!r}"))
    for test, label, _ in LABS:
        value = text_answer(form, f"lab_{test}")
        if value:
            try:
                _number(value, label)
            except FormProblem as exc:
                out.append((f"lab_{test}", label, exc.message))
    dose = text_answer(form, "glucocorticoid_dose")
    if dose:
        try:
            _number(dose, "Glucocorticoid dose")
        except FormProblem as exc:
            out.append(("glucocorticoid_dose", "Glucocorticoid dose (mg per day)", exc.message))
        ticked = [knowledge.concepts.get(d) for d in _many(form, "current")]
        if not any(c is not None and "glucocorticoid" in c.classes for c in ticked):
            out.append(("glucocorticoid_dose", "Glucocorticoid dose (mg per day)",
                        "given, but no glucocorticoid is ticked"))
    if text_answer(form, "cv_none") and _many(form, "cv"):
        out.append(("cv", "Cardiovascular history", "'none of these' is ticked together with a condition"))
    return out


# ---------------------------------------------------------------------------------------------------------
# The short form -> patient card


class FormErrors(Exception):
    """Every unusable answer of the short form: (field id, question, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{label}: {msg}" for _, label, msg in problems))


class FormProblem(Exception):
    """A form answer that cannot be used; `label` is the question as the form shows it."""

    def __init__(self, label: str, message: str, field_id: str | None = None) -> None:
        self.label = label
        self.message = message
        self.field_id = field_id  # the form field the answer was typed in, when one is known
        super().__init__(f"{label}: {message}")


@dataclass
class CardBuild:
    card: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)  # card field path -> the form's question
    field_ids: dict[str, str] = field(default_factory=dict)  # card field path -> the form field, where one is

    def explain(self, exc: InputError) -> FormProblem:
        """An InputError about the built card as the form's question, the reason and the form field (when
        known), instead of a card path."""
        path = exc.field or ""
        best = max((p for p in self.labels if path == p or path.startswith(p + ".") or path.startswith(p + "[")),
                   key=len, default=None)
        reason = str(exc)
        # Drop the "web form: field x.y: " prefix InputError adds; keep the reason.
        marker = f"field {exc.field}: " if exc.field else ""
        if marker and marker in reason:
            reason = reason.split(marker, 1)[1]
        if best is None:
            return FormProblem("The form", reason)
        return FormProblem(self.labels[best], reason, self.field_ids.get(best))


def text_answer(form: Mapping[str, Any], key: str) -> str:
    """One answer as typed, stripped ("" when not given)."""
    v = form.get(key)
    return v.strip() if isinstance(v, str) else ""


def _many(form: FormData | Mapping[str, Any], key: str) -> list[str]:
    if isinstance(form, FormData):
        return [v.strip() for v in form.getlist(key) if isinstance(v, str) and v.strip()]
    v = form.get(key)
    if isinstance(v, list | tuple):
        return [str(x).strip() for x in v if str(x).strip()]
    return [v.strip()] if isinstance(v, str) and v.strip() else []


def _number(text: str, label: str) -> float | int:
    """A number as typed (a decimal comma is accepted); whole numbers stay whole so messages quote them as typed."""
    t = text.replace(",", ".")
    try:
        f = float(t)
    except ValueError:
        raise FormProblem(label, f"not a number: {text!r}") from None
    if not math.isfinite(f):
        raise FormProblem(label, "must be a finite number")
    return int(f) if f.is_integer() and "." not in t and "e" not in t.lower() else f


def _choice(form: Mapping[str, Any], key: str, options: Sequence[tuple[str, str]], label: str,
            default: str) -> str:
    v = text_answer(form, key) or default
    if v not in {o for o, _ in options}:
        raise FormProblem(label, f"not one of the choices: {v!r}")
    return v


def card_from_form(form: FormData | Mapping[str, Any], knowledge: Knowledge, as_of: date) -> CardBuild:
    """Build a patient card (docs/patient-card.md) from the short form's answers. Raises FormProblem."""
    b = CardBuild(card={"card_version": 1})
    card = b.card
    patient: dict[str, Any] = {"id": "web-form"}
    age_text = text_answer(form, "age")
    if not age_text:
        raise FormProblem("Age", "is required (whole years)")
    try:
        age = int(age_text)
    except ValueError:
        raise FormProblem("Age", f"must be a whole number of years, not {age_text!r}") from None
    patient["age"] = age
    patient["sex"] = _choice(form, "sex", SEXES, "Sex", "unknown")
    card["patient"] = patient
    b.labels.update({"patient": "Age", "patient.age": "Age", "patient.sex": "Sex"})

    conditions: list[dict[str, Any]] = []
    meds: list[dict[str, Any]] = []

    def condition(label: str, **item: Any) -> None:
        b.labels[f"conditions[{len(conditions)}]"] = label
        conditions.append(item)

    def medication(label: str, field_id: str | None = None, **item: Any) -> None:
        if field_id is not None:
            b.field_ids[f"medications[{len(meds)}]"] = field_id
        b.labels[f"medications[{len(meds)}]"] = label
        meds.append(item)

    indication = text_answer(form, "diagnosis") or text_answer(form, "indication")
    if not indication:
        raise FormProblem("Diagnosis to treat", "choose the diagnosis the JAK inhibitor would treat")
    if indication not in knowledge.indications:
        raise FormProblem("Diagnosis to treat", f"unknown diagnosis {indication!r}")
    condition("Diagnosis to treat", concept=knowledge.indications[indication].concept)

    known_absent: list[str] = []
    smoking = _choice(form, "smoking", SMOKING, "Smoking", "unknown")
    card["smoking"] = smoking
    b.labels["smoking"] = "Smoking"

    cv = _many(form, "cv")
    valid_cv = {k for k, _ in CV_HISTORY}
    for c in cv:
        if c not in valid_cv:
            raise FormProblem("Cardiovascular history", f"unknown choice {c!r}")
        condition("Cardiovascular history", concept=c)
    if text_answer(form, "cv_none"):
        if cv:
            raise FormProblem("Cardiovascular history", "'none of these' is ticked together with a condition")
        known_absent.append("ascvd")

    for key, label, asked, kind in CALCULATOR_QUESTIONS:
        answer = _choice(form, key, YES_NO_UNKNOWN, label, "unknown")
        if answer == "yes" and kind == "condition":
            condition(label, concept=asked)
        elif answer == "yes":
            medication(label, drug=asked, status="active")
        elif answer == "no":
            known_absent.append(asked)

    cancer = _choice(form, "cancer", CANCER, "Cancer history", "unknown")
    if cancer == "none":
        known_absent.append("malignancy")
    elif cancer == "past":
        condition("Cancer history", concept="malignancy", active=False)
    elif cancer == "active":
        condition("Cancer history", concept="malignancy")
    elif cancer == "nmsc":
        condition("Cancer history", concept="nmsc", active=False)

    vte = _choice(form, "vte", YES_NO_UNKNOWN, "Venous thromboembolism", "unknown")
    if vte == "yes":
        condition("Venous thromboembolism", concept="vte", active=False)
    elif vte == "no":
        known_absent.append("vte")

    valid_inf = {k for k, _ in INFECTIONS}
    for inf in _many(form, "infections"):
        if inf not in valid_inf:
            raise FormProblem("Infections", f"unknown choice {inf!r}")
        label = dict(INFECTIONS)[inf]
        # Past infections (zoster, serious infection, resolved HBV) are history; the others are current.
        active = inf in ("active-tb", "latent-tb", "hbv-chronic", "hcv")
        condition(f"Infections: {label}", concept=inf, active=active)
    if conditions:
        card["conditions"] = conditions

    # Results and labs share one date: "when were these done".
    results: list[dict[str, Any]] = []
    screen_date = text_answer(form, "screen_date") or as_of.isoformat()
    for test, label in SCREENING:
        r = _choice(form, f"result_{test}", RESULTS, label, "")
        if r:
            b.labels[f"results[{len(results)}]"] = label
            b.labels[f"results[{len(results)}].date"] = "Date of these tests"
            results.append({"test": test, "result": r, "date": screen_date})
    if results:
        card["results"] = results

    labs: list[dict[str, Any]] = []
    lab_date = text_answer(form, "lab_date") or as_of.isoformat()
    for test, label, units in LABS:
        value = text_answer(form, f"lab_{test}")
        if not value:
            continue
        unit = text_answer(form, f"unit_{test}") or units[0][0]
        if unit not in {u for u, _ in units}:
            raise FormProblem(label, f"unknown unit {unit!r}")
        b.labels[f"labs[{len(labs)}]"] = label
        b.labels[f"labs[{len(labs)}].date"] = "Date of these results"
        labs.append({"test": test, "value": _number(value, label), "unit": unit, "date": lab_date})
    if labs:
        card["labs"] = labs

    vaccinations: list[dict[str, Any]] = []
    for vaccine, label in VACCINES:
        when = text_answer(form, f"vaccine_{vaccine}")
        if when:
            b.labels[f"vaccinations[{len(vaccinations)}]"] = label
            vaccinations.append({"vaccine": vaccine, "date": when})
    if vaccinations:
        card["vaccinations"] = vaccinations

    for drug in _many(form, "prior"):
        medication("Prior therapies", drug=drug, status="completed")
    pred_dose = text_answer(form, "glucocorticoid_dose")
    for drug in _many(form, "current"):
        item: dict[str, Any] = {"drug": drug, "status": "active"}
        concept = knowledge.concepts.get(drug)
        if pred_dose and concept is not None and "glucocorticoid" in concept.classes:
            item["dose_mg_per_day"] = _number(pred_dose, "Glucocorticoid dose (mg per day)")
        medication("Current medicines", **item)
    if pred_dose and not any("dose_mg_per_day" in m for m in meds):
        raise FormProblem("Glucocorticoid dose (mg per day)", "given, but no glucocorticoid is ticked")
    other = text_answer(form, "other_meds")
    for line in (ln.strip() for ln in other.splitlines()):
        if line:
            medication(f"Other current medicines ({line!r})", "other_meds", text=line, status="active")
    if meds:
        card["medications"] = meds

    for key, label in (("pregnant", "Pregnant"), ("lactating", "Breastfeeding")):
        v = _choice(form, key, YES_NO_UNKNOWN, label, "unknown")
        if v != "unknown":
            card[key] = v
            b.labels[key] = label
    if known_absent:
        card["known_absent"] = known_absent
    return b


# ---------------------------------------------------------------------------------------------------------
# The answers every input shares: region, assessment date, indication


@dataclass(frozen=True)
class WebInput:
    region: Region
    as_of: date
    indication: str | None


class BadRequest(Exception):
    def __init__(self, title: str, message: str, status: int = 400) -> None:
        self.title = title
        self.message = message
        self.status = status
        super().__init__(message)


def common_answers(form: FormData, knowledge: Knowledge, default_region: Region) -> WebInput:
    """The region, assessment date and indication the form asks for all three inputs. Raises BadRequest."""
    region_text = text_answer(form, "region") or default_region
    if region_text.upper() not in REGIONS:
        raise BadRequest("Unknown region", f"Region must be EU or US, not {region_text!r}.")
    as_of_text = text_answer(form, "as_of")
    try:
        as_of = date.fromisoformat(as_of_text) if as_of_text else date.today()
    except ValueError:
        raise BadRequest("Bad assessment date", f"The assessment date must be YYYY-MM-DD, not {as_of_text!r}.") \
            from None
    indication = text_answer(form, "indication") or None
    if indication is not None and indication not in knowledge.indications:
        raise BadRequest("Unknown indication", f"Unknown indication {indication!r}.")
    return WebInput(cast(Region, region_text.upper()), as_of, indication)
