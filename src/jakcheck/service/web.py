"""The clinician web app: start page, report page and knowledge pages, rendered on the server.

Everything a page needs is in this package: Jinja2 templates (autoescaping on; patient-derived text is never
marked safe), one stylesheet and a few lines of optional JavaScript served from `/static/`. No CDN, no external
fonts, no tracking: the app works on a machine without internet.

Routes (all HTML):

* `GET /` start page: upload a FHIR Bundle, paste JSON, or fill a short form (built into a patient card, see
  docs/patient-card.md). Region and assessment date are chosen for all three.
* `POST /assess` the report page for that input; bad input gives an error page naming the problem (HTTP 422 for
  a record that cannot be read, 400 for a malformed request, 413 for one that is too large).
* `GET /knowledge`, `/knowledge/drugs/{id}`, `/knowledge/rules`, `/knowledge/rules/{module}`,
  `/knowledge/sources`, `/knowledge/sources/{id}`: the knowledge release as a clinician reads it.
* `GET /report/{token}` the interactive report for an assessment the service keeps behind a CDS Hooks card's link
  (`app.state.report_cache`); it takes precedence over the service's plain report at the same path.
* `GET /static/{name}` the stylesheet, script, icon and the rule spec scenarios.

Logging: only counts, timings, region and status are logged, never patient data or identifiers.

The app factory (`jakcheck.service.app.create_app`) includes `router`. It may put `settings` (a
`jakcheck.settings.Settings`), `knowledge` and `insecure_dev` on `app.state`; each has a default here.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData, UploadFile

from jakcheck.assessment import Assessment, Finding
from jakcheck.engine import assess
from jakcheck.errors import InputError, JakcheckError, PatientDeceased
from jakcheck.fhir.reader import read_document, read_json_text
from jakcheck.knowledge.evidence import cite_grade_text, source_grade_text
from jakcheck.knowledge.loader import Knowledge, default_knowledge
from jakcheck.knowledge.schema import Cite, Region
from jakcheck.patient.card import parse_yaml, read_card
from jakcheck.patient.derived import age_years
from jakcheck.patient.facts import PatientFacts
from jakcheck.report._shared import (
    SEVERITY_LABELS,
    TIMING_LABELS,
    VERDICT_LABELS,
    VERDICT_MARKS,
    actions_by_timing,
    age_label,
    checklist_title,
    clinical_text,
    dose_heading,
    dose_label,
    drugs_label,
    evidence_label,
    finding_anchor_ids,
    findings_by_severity,
    headline_tone,
    is_missing,
    is_web_url,
    monitoring_test_label,
    page_sources,
    patient_identity,
    phase_label,
    region_label,
    resembles_trial_population,
)
from jakcheck.rules import MODULES, text_only
from jakcheck.settings import Settings

try:  # the service's wording, so every surface says the same thing
    from jakcheck.service.state import INSECURE_TEXT
except ImportError:  # pragma: no cover - the web app without the service
    INSECURE_TEXT = "INSECURE DEV MODE: no authentication, not for clinical use"

log = logging.getLogger("jakcheck.web")

router = APIRouter()

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".json": "application/json", ".svg": "image/svg+xml"}
# A page must never be framed by another site, nor load anything from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# The report page carries the input back in a hidden field so the region can be switched without re-uploading;
# above this size the clinician re-uploads instead.
MAX_CARRIED_INPUT = 2 * 1024 * 1024
REGIONS: tuple[Region, ...] = ("EU", "US")

# ---------------------------------------------------------------------------------------------------------
# The trial whose results the report shows as pictures (knowledge trials.yaml), when the patient resembles its
# population.
TRIAL_PICTURES = "oral-surveillance"

# ---------------------------------------------------------------------------------------------------------
# The short form: what it asks and how each answer becomes part of a patient card.

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


# ---------------------------------------------------------------------------------------------------------
# Templates


def _pct(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("jakcheck", "service/templates/web"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(dose=dose_label, phase=phase_label, drugs=drugs_label, evidence=evidence_label, pct=_pct,
                       clinical=clinical_text, test_label=monitoring_test_label)
    env.tests.update(missing=is_missing, web_url=is_web_url)
    env.globals.update(
        VERDICT_LABELS=VERDICT_LABELS, SEVERITY_LABELS=SEVERITY_LABELS, TIMING_LABELS=TIMING_LABELS,
        VERDICT_MARKS=VERDICT_MARKS,
        region_label=region_label, REGIONS=REGIONS, INSECURE_TEXT=INSECURE_TEXT,
        source_grade_text=source_grade_text, cite_grade_text=cite_grade_text,
    )
    return env


def _settings(request: Request) -> Settings:
    s = getattr(request.app.state, "settings", None)
    return s if isinstance(s, Settings) else Settings()


def _knowledge(request: Request) -> Knowledge:
    k = getattr(request.app.state, "knowledge", None)
    return k if isinstance(k, Knowledge) else default_knowledge()


def _insecure(request: Request) -> bool:
    s = getattr(request.app.state, "settings", None)
    return bool(getattr(request.app.state, "insecure_dev", False) or getattr(s, "insecure_dev", False))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    k = _knowledge(request)
    html = environment().get_template(template).render(
        release=k.release, insecure_dev=_insecure(request), default_region=_settings(request).region, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def error_page(request: Request, status_code: int, title: str, message: str, hint: str | None = None) -> HTMLResponse:
    log.info("web: %s (%d)", title, status_code)  # the message may quote patient data: not logged
    return render(request, "error.html.j2", status_code=status_code, title=title, message=message, hint=hint)


# ---------------------------------------------------------------------------------------------------------
# Static files: a fixed list of files from this package, nothing else.


@lru_cache(maxsize=1)
def _static_files() -> dict[str, tuple[bytes, str]]:
    out: dict[str, tuple[bytes, str]] = {}
    for p in sorted(STATIC_DIR.iterdir()) if STATIC_DIR.is_dir() else []:
        if p.is_file() and p.suffix in STATIC_TYPES:
            out[p.name] = (p.read_bytes(), STATIC_TYPES[p.suffix])
    return out


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    found = _static_files().get(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body, media = found
    return Response(body, media_type=media, headers={"Cache-Control": "public, max-age=3600",
                                                     "X-Content-Type-Options": "nosniff"})


# ---------------------------------------------------------------------------------------------------------
# Start page


def form_options(knowledge: Knowledge) -> dict[str, Any]:
    return {
        "indications": [(i.id, i.label) for i in knowledge.indications.values()],
        "sexes": SEXES, "smoking": SMOKING, "cv_history": CV_HISTORY, "cancer": CANCER,
        "yes_no_unknown": YES_NO_UNKNOWN, "infections": INFECTIONS, "screening": SCREENING, "results": RESULTS,
        "labs": LABS, "vaccines": VACCINES,
        "prior_groups": [(label, _checkbox_meds(knowledge, cls)) for cls, label in PRIOR_CLASSES],
        "current_groups": [(label, _checkbox_meds(knowledge, cls)) for cls, label in CURRENT_CLASSES],
    }


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def start_page(request: Request) -> HTMLResponse:
    return start_form(request, {}, [])


def start_form(request: Request, values: Mapping[str, Any], errors: Sequence[tuple[str, str, str]],
               status_code: int = 200) -> HTMLResponse:
    """The start page; after a form problem, with every typed value kept and every problem listed at once."""
    region = str(values.get("region") or _settings(request).region).upper()
    return render(request, "start.html.j2", status_code=status_code, today=date.today().isoformat(),
                  values=values, errors=list(errors), error_fields={f: m for f, _, m in errors},
                  region_now=region if region in REGIONS else _settings(request).region,
                  unit_defaults=UNIT_DEFAULTS, **form_options(_knowledge(request)))


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
    diagnosis = _one(form, "diagnosis") or _one(form, "indication")
    if not diagnosis:
        out.append(("diagnosis", "Diagnosis to treat", "choose the diagnosis the JAK inhibitor would treat"))
    elif diagnosis not in knowledge.indications:
        out.append(("diagnosis", "Diagnosis to treat", f"unknown diagnosis {diagnosis!r}"))
    age_text = _one(form, "age")
    if not age_text:
        out.append(("age", "Age", "is required (whole years)"))
    elif not age_text.isdigit() or not 0 <= int(age_text) <= 130:
        out.append(("age", "Age", f"must be a whole number of years from 0 to 130, not {age_text!r}"))
    for test, label, _ in LABS:
        value = _one(form, f"lab_{test}")
        if value:
            try:
                _number(value, label)
            except FormProblem as exc:
                out.append((f"lab_{test}", label, exc.message))
    dose = _one(form, "glucocorticoid_dose")
    if dose:
        try:
            _number(dose, "Glucocorticoid dose")
        except FormProblem as exc:
            out.append(("glucocorticoid_dose", "Glucocorticoid dose (mg per day)", exc.message))
        ticked = [knowledge.concepts.get(d) for d in _many(form, "current")]
        if not any(c is not None and "glucocorticoid" in c.classes for c in ticked):
            out.append(("glucocorticoid_dose", "Glucocorticoid dose (mg per day)",
                        "given, but no glucocorticoid is ticked"))
    if _one(form, "cv_none") and _many(form, "cv"):
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

    def __init__(self, label: str, message: str) -> None:
        self.label = label
        self.message = message
        super().__init__(f"{label}: {message}")


@dataclass
class CardBuild:
    card: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)  # card field path -> the form's question

    def explain(self, exc: InputError) -> tuple[str, str]:
        """An InputError about the built card as (the form's question, the reason) instead of a card path."""
        path = exc.field or ""
        best = max((p for p in self.labels if path == p or path.startswith(p + ".") or path.startswith(p + "[")),
                   key=len, default=None)
        reason = str(exc)
        # Drop the "web form: field x.y: " prefix InputError adds; keep the reason.
        marker = f"field {exc.field}: " if exc.field else ""
        if marker and marker in reason:
            reason = reason.split(marker, 1)[1]
        return (self.labels[best], reason) if best else ("The form", reason)


def _one(form: Mapping[str, Any], key: str) -> str:
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
    v = _one(form, key) or default
    if v not in {o for o, _ in options}:
        raise FormProblem(label, f"not one of the choices: {v!r}")
    return v


def card_from_form(form: FormData | Mapping[str, Any], knowledge: Knowledge, as_of: date) -> CardBuild:
    """Build a patient card (docs/patient-card.md) from the short form's answers. Raises FormProblem."""
    b = CardBuild(card={"card_version": 1})
    card = b.card
    patient: dict[str, Any] = {"id": "web-form"}
    age_text = _one(form, "age")
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

    def medication(label: str, **item: Any) -> None:
        b.labels[f"medications[{len(meds)}]"] = label
        meds.append(item)

    indication = _one(form, "diagnosis") or _one(form, "indication")
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
    if _one(form, "cv_none"):
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
    screen_date = _one(form, "screen_date") or as_of.isoformat()
    for test, label in SCREENING:
        r = _choice(form, f"result_{test}", RESULTS, label, "")
        if r:
            b.labels[f"results[{len(results)}]"] = label
            b.labels[f"results[{len(results)}].date"] = "Date of these tests"
            results.append({"test": test, "result": r, "date": screen_date})
    if results:
        card["results"] = results

    labs: list[dict[str, Any]] = []
    lab_date = _one(form, "lab_date") or as_of.isoformat()
    for test, label, units in LABS:
        value = _one(form, f"lab_{test}")
        if not value:
            continue
        unit = _one(form, f"unit_{test}") or units[0][0]
        if unit not in {u for u, _ in units}:
            raise FormProblem(label, f"unknown unit {unit!r}")
        b.labels[f"labs[{len(labs)}]"] = label
        b.labels[f"labs[{len(labs)}].date"] = "Date of these results"
        labs.append({"test": test, "value": _number(value, label), "unit": unit, "date": lab_date})
    if labs:
        card["labs"] = labs

    vaccinations: list[dict[str, Any]] = []
    for vaccine, label in VACCINES:
        when = _one(form, f"vaccine_{vaccine}")
        if when:
            b.labels[f"vaccinations[{len(vaccinations)}]"] = label
            vaccinations.append({"vaccine": vaccine, "date": when})
    if vaccinations:
        card["vaccinations"] = vaccinations

    for drug in _many(form, "prior"):
        medication("Prior therapies", drug=drug, status="completed")
    pred_dose = _one(form, "glucocorticoid_dose")
    for drug in _many(form, "current"):
        item: dict[str, Any] = {"drug": drug, "status": "active"}
        concept = knowledge.concepts.get(drug)
        if pred_dose and concept is not None and "glucocorticoid" in concept.classes:
            item["dose_mg_per_day"] = _number(pred_dose, "Glucocorticoid dose (mg per day)")
        medication("Current medicines", **item)
    if pred_dose and not any("dose_mg_per_day" in m for m in meds):
        raise FormProblem("Glucocorticoid dose (mg per day)", "given, but no glucocorticoid is ticked")
    other = _one(form, "other_meds")
    for line in (ln.strip() for ln in other.splitlines()):
        if line:
            medication(f"Other current medicines ({line!r})", text=line, status="active")
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
# Assessing an input


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


def _common(form: FormData, knowledge: Knowledge, default_region: Region) -> WebInput:
    region_text = _one(form, "region") or default_region
    if region_text.upper() not in REGIONS:
        raise BadRequest("Unknown region", f"Region must be EU or US, not {region_text!r}.")
    as_of_text = _one(form, "as_of")
    try:
        as_of = date.fromisoformat(as_of_text) if as_of_text else date.today()
    except ValueError:
        raise BadRequest("Bad assessment date", f"The assessment date must be YYYY-MM-DD, not {as_of_text!r}.") \
            from None
    indication = _one(form, "indication") or None
    if indication is not None and indication not in knowledge.indications:
        raise BadRequest("Unknown indication", f"Unknown indication {indication!r}.")
    return WebInput(cast(Region, region_text.upper()), as_of, indication)


def read_text_input(text: str, name: str, as_of: date, knowledge: Knowledge, max_bytes: int) -> PatientFacts:
    """JSON (FHIR or patient card) or, when it is not JSON, a YAML patient card."""
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith(("{", "[")):
        return read_json_text(text, source_name=name, as_of=as_of, knowledge=knowledge, max_bytes=max_bytes)
    obj = parse_yaml(text, source_name=name)
    if isinstance(obj, dict) and "resourceType" in obj:
        return read_document(obj, source_name=name, as_of=as_of, knowledge=knowledge)
    if not isinstance(obj, dict):
        raise InputError("is neither a FHIR JSON document nor a patient card", file=name)
    return read_card(obj, source_name=name, as_of=as_of, knowledge=knowledge)


@router.post("/assess", response_class=HTMLResponse, include_in_schema=False)
async def assess_page(request: Request) -> HTMLResponse:
    started = time.perf_counter()
    settings = _settings(request)
    knowledge = _knowledge(request)
    limit = min(settings.max_input_bytes, getattr(settings, "max_request_bytes", settings.max_input_bytes))
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 1024 * 1024:
        return error_page(request, 413, "Input too large",
                          f"The upload is {int(declared)} bytes; this server accepts up to {limit} bytes.")
    try:
        form = await request.form(max_files=2, max_fields=400, max_part_size=limit)
    except Exception as exc:  # noqa: BLE001 - malformed multipart bodies of every kind
        return error_page(request, 400, "The form could not be read", f"The request is not a valid form: {exc}.")
    values = form_values(form)
    try:
        common = _common(form, knowledge, settings.region)
        facts, payload, source_kind = await _facts_from_form(form, knowledge, common, limit)
        result = assess(facts, knowledge, region=common.region, indication=common.indication,
                        settings=settings)
    except BadRequest as exc:
        return error_page(request, exc.status, exc.title, exc.message)
    except FormErrors as exc:  # every problem at once, on the form with what was typed
        return start_form(request, values, exc.problems, 422)
    except FormProblem as exc:
        return start_form(request, values, [("form-h", exc.label, exc.message)], 422)
    except PatientDeceased as exc:
        return error_page(request, 422, "This patient has died",
                          "The record says the patient died" + (f" on {exc.deceased_on}" if exc.deceased_on else "")
                          + ". No treatment assessment is made.",
                          "Check that this is the right patient's record.")
    except InputError as exc:
        return error_page(request, 422, "The record could not be read", str(exc),
                          "Nothing was assessed. Correct the record (the message names the place) and try again.")
    except JakcheckError as exc:
        return error_page(request, 422, "The record could not be assessed", str(exc))
    finally:
        await form.close()
    response = render_report(request, result, facts, payload=payload, source_kind=source_kind)
    log.info("web: assessed region=%s drugs=%d findings=%d in %.0f ms", result.region, len(result.drugs),
             len(result.findings), (time.perf_counter() - started) * 1000)
    return response


async def _facts_from_form(form: FormData, knowledge: Knowledge, common: WebInput,
                           limit: int) -> tuple[PatientFacts, str | None, str]:
    """The patient facts from whichever input the form carries. Returns (facts, text to carry, kind)."""
    chosen = _one(form, "source")
    upload = form.get("bundle")
    has_file = isinstance(upload, UploadFile) and bool(upload.filename)
    pasted = form.get("pasted")
    has_paste = isinstance(pasted, str) and bool(pasted.strip())
    has_form = bool(_one(form, "age"))
    kinds = {"upload": has_file, "paste": has_paste, "form": has_form}
    if chosen not in kinds or not kinds[chosen]:
        chosen = next((k for k, present in kinds.items() if present), "")
    if not chosen:
        if _one(form, "source") == "form":
            raise FormErrors(form_problems(form, knowledge))
        raise BadRequest("No patient record given",
                         "Upload a FHIR Bundle file, paste JSON, or fill in the short form (age is required).")
    if chosen == "upload":
        assert isinstance(upload, UploadFile)
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise BadRequest("Input too large", f"The file is more than the limit of {limit} bytes.", 413)
        # The file name may be a patient's name: it is shown to the clinician, never logged.
        name = upload.filename or "upload"
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text (a FHIR JSON file is UTF-8)", file=name) from None
        facts = read_text_input(text, name, common.as_of, knowledge, limit)
        return facts, text, "upload"
    if chosen == "paste":
        assert isinstance(pasted, str)
        facts = read_text_input(pasted, "pasted text", common.as_of, knowledge, limit)
        return facts, pasted, "paste"
    problems = form_problems(form, knowledge)
    if problems:
        raise FormErrors(problems)
    built = card_from_form(form, knowledge, common.as_of)
    try:
        facts = read_card(built.card, source_name="web form", as_of=common.as_of, knowledge=knowledge)
    except InputError as exc:
        raise FormProblem(*built.explain(exc)) from None
    return facts, json.dumps(built.card, ensure_ascii=False), "form"


# ---------------------------------------------------------------------------------------------------------
# Report page


def evidence_index(facts: PatientFacts) -> dict[str, str]:
    """For each source reference in the facts, a short description of the data it holds."""
    out: dict[str, list[str]] = {}

    def add(src: str | None, text: str) -> None:
        if src:
            out.setdefault(src, []).append(text)

    for c in facts.conditions:
        when = f", onset {c.onset.isoformat()}" if c.onset else ""
        state = "active" if c.active else "not active"
        add(c.source, f"{c.display} ({state}{when})" + (" [matched from text]" if c.matched_by == "text" else ""))
    for lab in facts.labs:
        canon = f"{lab.comparator or ''}{lab.value:.4g} {lab.unit}"
        shown = lab.original if lab.original.replace(" ", "") == canon.replace(" ", "") else \
            f"{lab.original} (= {canon})"
        add(lab.source, f"{lab.concept}: {shown} on {lab.effective.isoformat()}")
    for r in facts.results:
        add(r.source, f"{r.concept}: {r.result} on {r.effective.isoformat()}")
    for m in facts.medications:
        dose = f", {m.daily_dose_mg:g} mg/day" if m.daily_dose_mg is not None else ""
        state = "current" if m.current else m.status
        add(m.source, f"{m.display} ({state}{dose})")
    for i in facts.immunizations:
        add(i.source, f"{i.display} on {i.occurred.isoformat()}")
    if facts.smoking.source:
        add(facts.smoking.source, f"smoking: {facts.smoking.status}")
    for u in facts.unusable:
        add(u.source, f"not usable ({u.field}): {u.reason}")
    if facts.birth_date:
        # A birth date estimated from a stated age is not shown as if recorded.
        add(facts.patient_source, f"sex {facts.sex}, " + (f"age {age_years(facts)} (as stated)"
                                                          if facts.birth_date_estimated
                                                          else f"born {facts.birth_date.isoformat()}"))
    return {k: "; ".join(dict.fromkeys(v)) for k, v in out.items()}


@dataclass(frozen=True)
class Icon:
    x: float
    y: float
    kind: str  # "none", "event", "extra"


@dataclass(frozen=True)
class IconArray:
    """A grid of people; `events` of them have the outcome, `extra` more (drawn differently) on top."""

    title: str
    total: int
    events: int
    extra: int
    columns: int
    size: int
    icons: tuple[Icon, ...]

    @property
    def width(self) -> int:
        return self.columns * self.size

    @property
    def height(self) -> int:
        return math.ceil(self.total / self.columns) * self.size


def icon_array(title: str, total: int, events: int, extra: int = 0, columns: int = 10, size: int = 22) -> IconArray:
    """Events fill from the top left, row by row; the extra events follow them."""
    events = max(0, min(events, total))
    extra = max(0, min(extra, total - events))
    icons = []
    for i in range(total):
        kind = "event" if i < events else "extra" if i < events + extra else "none"
        icons.append(Icon(x=(i % columns) * size + size / 2, y=(i // columns) * size + size / 2, kind=kind))
    return IconArray(title, total, events, extra, columns, size, tuple(icons))


@dataclass(frozen=True)
class CvRisk:
    calculator: str
    percent: float | None
    category: str | None
    reason: str | None  # why it could not be calculated
    label: str
    sources: tuple[str, ...]
    extra: tuple[tuple[str, str], ...]  # other figures, e.g. the RA-multiplied value
    # When only yes/no inputs are unknown: the lowest and highest result over their possible answers.
    bounds: tuple[float, float] | None = None
    missing: tuple[str, ...] = ()  # the inputs not on record, in words


# What a risk calculator's input is, in words (for "record ... to calculate the risk").
CV_INPUT_WORDS = {
    "systolic_bp": "systolic blood pressure", "diabetes": "diabetes (yes or no)", "bmi": "BMI (or height and weight)",
    "on_statin": "whether a statin is taken", "on_antihypertensive": "whether high blood pressure is treated",
    "total_cholesterol": "total cholesterol", "hdl": "HDL cholesterol", "hdl_cholesterol": "HDL cholesterol",
    "smoking": "smoking status", "current_smoker": "smoking status",
    "egfr": "kidney function (eGFR)", "age": "age", "sex": "sex", "race": "race (pooled cohort equations)",
}


CV_RESULT_WORDS = {"cvd_10y_ra_x1_5": "multiplied by 1.5 for rheumatoid arthritis (EULAR)",
                   "ascvd_10y": "atherosclerotic cardiovascular disease in 10 years",
                   "cvd_10y": "cardiovascular disease in 10 years", "hf_10y": "heart failure in 10 years",
                   "cvd_30y": "cardiovascular disease in 30 years", "ascvd_30y": "atherosclerotic disease in 30 years"}


def input_words(name: str) -> str:
    return CV_INPUT_WORDS.get(name, name.replace("_", " "))


CV_CALCULATORS = {"score2": "SCORE2", "score2-op": "SCORE2-OP", "prevent": "PREVENT", "pce": "Pooled cohort equations"}
CV_RESULT_KEYS = ("cvd_10y", "ascvd_10y")


def _plain(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _scores(result: Assessment) -> list[dict[str, Any]]:
    """The assessment's calculated scores as plain dicts with a "calculator" name (none when absent)."""
    raw = _plain(getattr(result, "scores", None))
    if isinstance(raw, Mapping):
        return [{"calculator": k, **v} if isinstance(v, Mapping) else {"calculator": k, "results": {"value": v}}
                for k, v in raw.items()]
    if isinstance(raw, list):
        return [dict(s) for s in raw if isinstance(s, Mapping)]
    return []


def _number_or_none(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float) and math.isfinite(v):
        return float(v)
    if isinstance(v, Mapping):
        return _number_or_none(v.get("value"))
    return None


def _missing_inputs(s: Mapping[str, Any]) -> list[str]:
    m = s.get("missing") or s.get("missing_inputs") or []
    if isinstance(m, list):
        return [str(x.get("missing", x) if isinstance(x, Mapping) else x) for x in m]
    inputs = s.get("inputs")
    if isinstance(inputs, Mapping):
        return [str(k) for k, v in inputs.items() if v is None]
    return []


def cv_risk(result: Assessment) -> CvRisk:
    """The patient's 10-year CV risk from the assessment's scores, preferring the region's default model, or the
    reason it is not there."""
    scores = [s for s in _scores(result)
              if str(s.get("calculator", "")).lower() in CV_CALCULATORS
              or any(k in (s.get("results") or {}) for k in CV_RESULT_KEYS)]
    if not scores:
        reason = ("this version of jakcheck does not calculate cardiovascular risk scores yet"
                  if not hasattr(result, "scores") else
                  "the record lacks what a risk calculator needs (age within the model's range, sex, "
                  "cholesterol, HDL, systolic blood pressure, smoking, diabetes)")
        return CvRisk("", None, None, reason, "", (), ())
    preferred = ("score2", "score2-op", "prevent", "pce") if result.region == "EU" else \
        ("prevent", "pce", "score2", "score2-op")

    def rank(s: Mapping[str, Any]) -> tuple[int, int, int]:
        # The region's default model first, whatever its state: the cardiovascular finding is made from it, so
        # the box and the finding give the same figure (a value, or the same range).
        name = str(s.get("calculator", "")).lower()
        has_value = any(_number_or_none((s.get("results") or {}).get(k)) is not None for k in CV_RESULT_KEYS)
        return (0 if s.get("default") else 1, 0 if has_value else 1,
                preferred.index(name) if name in preferred else len(preferred))

    best = sorted(scores, key=rank)[0]
    name = str(best.get("calculator", "")).lower()
    label = CV_CALCULATORS.get(name, name or "CV risk")
    results = best.get("results") or {}
    key = next((k for k in CV_RESULT_KEYS if _number_or_none(results.get(k)) is not None), None)
    sources = tuple(str(x.get("title") or x.get("id") or x) + (f" ({x['grade_text']})" if x.get("grade_text") else "")
                    if isinstance(x, Mapping) else str(x) for x in best.get("sources") or [])
    if key is None:
        missing = tuple(input_words(m) for m in _missing_inputs(best))
        bounds = best.get("bounds") or {}
        span = next((bounds[k] for k in CV_RESULT_KEYS if isinstance(bounds.get(k), list | tuple)
                     and len(bounds[k]) == 2), None)
        if span is not None and best.get("status") == "incomplete":
            lo, hi = (max(0.0, min(100.0, float(v))) for v in span)
            if _pct(lo) == _pct(hi):  # the unknown answers do not change the figure as shown
                return CvRisk(name, lo, None, None, f"{label}: 10-year risk of cardiovascular disease", sources, (),
                              None, missing)
            return CvRisk(name, None, None, None, f"{label}: 10-year risk", sources, (), (lo, hi), missing)
        if best.get("status") == "not-applicable" and best.get("reason"):
            why = str(best["reason"])
        else:
            why = ("to calculate it, record " + ", ".join(missing) if missing else
                   str(best.get("error") or "the calculator gave no result"))
        return CvRisk(name, None, None, why, label, sources, (), None, missing)
    percent = _number_or_none(results[key])
    assert percent is not None
    extra = tuple((CV_RESULT_WORDS.get(str(k), str(k).replace("_", " ")), f"{_pct(v)}%") for k, raw in results.items()
                  if k != key and (v := _number_or_none(raw)) is not None)
    what = "cardiovascular disease" if key == "cvd_10y" else "atherosclerotic cardiovascular disease"
    category = best.get("category")
    return CvRisk(name, max(0.0, min(100.0, percent)), str(category) if category else None, None,
                  f"{label}: 10-year risk of {what}", sources, extra)


def reasons_by_drug(result: Assessment) -> dict[str, list[tuple[str, Finding]]]:
    """Per drug, the (anchor id, finding) pairs behind its verdict, most severe first."""
    finding_ids, _ = finding_anchor_ids(result)
    out: dict[str, list[tuple[str, Finding]]] = {}
    for d in result.drugs:
        codes = set(d.findings)
        out[d.drug] = [(fid, f) for fid, f in zip(finding_ids, result.findings, strict=True)
                       if f.code in codes and (not f.drugs or d.drug in f.drugs)]
    return out


def finding_groups(result: Assessment) -> list[tuple[str, list[tuple[str, Any]]]]:
    finding_ids, _ = finding_anchor_ids(result)
    position = {id(f): pos for pos, f in enumerate(result.findings)}
    return [(sev, [(finding_ids[position[id(f)]], f) for f in group]) for sev, group in findings_by_severity(result)]


def render_report(request: Request, result: Assessment, facts: PatientFacts | None, *, payload: str | None,
                  source_kind: str) -> HTMLResponse:
    """The report page. Without `facts` the evidence is shown as references only; without `payload` the page
    cannot re-assess the record in the other region."""
    knowledge = _knowledge(request)
    _, finding_id_by_code = finding_anchor_ids(result)
    risk = cv_risk(result)
    study = knowledge.trials.get(TRIAL_PICTURES)
    shown = study is not None and resembles_trial_population(
        result, study.population.indication, study.population.min_age, study.population.cv_risk_factor_required)
    trial = [(o, icon_array(o.name, 1000, round(o.comparator.percent * 10),
                            round(o.treated.percent * 10) - round(o.comparator.percent * 10), columns=50, size=11))
             for o in study.outcomes] if study is not None and shown else []
    oral_source = knowledge.sources.get(study.cite[0].source) if study is not None and study.cite else None
    extras = {k: _plain(getattr(result, k, None)) for k in ("mode", "current_therapy")}
    listed = page_sources(result)
    return render(
        request, "report.html.j2",
        a=result, age=age_label(result.patient.age), indication_label=_indication_label(knowledge, result.indication),
        severity_groups=finding_groups(result), finding_id_by_code=finding_id_by_code,
        reasons=reasons_by_drug(result),
        actions_by_timing=actions_by_timing(result), evidence_data=evidence_index(facts) if facts else {},
        cv=risk, cv_icons=icon_array("10-year CV risk", 100, round(risk.percent)) if risk.percent is not None
        else None,
        trial=trial, trial_source=oral_source, study=study,
        mode=extras["mode"], current_therapy=extras["current_therapy"],
        payload=payload if payload is not None and len(payload) <= MAX_CARRIED_INPUT else None,
        source_kind=source_kind, drug_names={d: knowledge.drugs[d].name for d in knowledge.drugs},
        identity=(patient_identity(result) if source_kind != "form" else
                  [("Patient", "entered in the short form (no name or record number)")]),
        tone=headline_tone(result), on_treatment=result.mode == "on-treatment",
        checklist_title=checklist_title(result), dose_heading=lambda drug: dose_heading(result, drug),
        indication_names={i.id: i.label for i in knowledge.indications.values()},
        page_sources=listed, cited={ref.id: (n, short) for n, short, ref, _ in listed},
    )


@router.get("/report/{token}", response_class=HTMLResponse, include_in_schema=False)
def report_link(request: Request, token: str) -> HTMLResponse:
    """The full report behind a CDS Hooks card's link: the assessment the service kept under an unguessable
    token (`app.state.report_cache`), rendered as the interactive report page."""
    cache = getattr(request.app.state, "report_cache", None)
    result = cache.get(token) if cache is not None and hasattr(cache, "get") else None
    if not isinstance(result, Assessment):
        return error_page(request, 404, "Report not found",
                          "This report link has expired or is unknown.", "Open the patient in the EHR again.")
    return render_report(request, result, None, payload=None, source_kind="link")


def _indication_label(knowledge: Knowledge, indication: str | None) -> str:
    if indication is None:
        return "not specified"
    ind = knowledge.indications.get(indication)
    return ind.label if ind else indication


# ---------------------------------------------------------------------------------------------------------
# Knowledge pages


def _walk_cites(obj: Any, path: str = "") -> Iterable[tuple[str, Cite]]:
    if isinstance(obj, Cite):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk_cites(getattr(obj, name), f"{path}.{name}" if path else name)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _walk_cites(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _walk_cites(v, path)


_CITED_BY: dict[int, tuple[Knowledge, dict[str, list[str]]]] = {}


def _cited_by(knowledge: Knowledge) -> dict[str, list[str]]:
    """Source id -> the drug labels, indications and thresholds that cite it (computed once per release)."""
    cached = _CITED_BY.get(id(knowledge))
    if cached is not None and cached[0] is knowledge:
        return cached[1]
    out: dict[str, set[str]] = {}
    for d in knowledge.drugs.values():
        for region, lab in d.regions.items():
            out.setdefault(lab.label_source, set()).add(f"{d.name} ({region} label)")
            for _, c in _walk_cites(lab):
                out.setdefault(c.source, set()).add(f"{d.name} ({region})")
    for ind in knowledge.indications.values():
        for _, c in _walk_cites(ind):
            out.setdefault(c.source, set()).add(f"Alternatives for {ind.label}")
    for key, t in knowledge.thresholds.items():
        for _, c in _walk_cites(t):
            out.setdefault(c.source, set()).add(f"Threshold {key}")
    result = {k: sorted(v) for k, v in out.items()}
    _CITED_BY[id(knowledge)] = (knowledge, result)
    return result


@lru_cache(maxsize=1)
def rule_scenarios() -> dict[str, list[dict[str, Any]]]:
    """Spec scenarios per rule id ("module.function"), generated from the spec tables (`make docs`)."""
    path = STATIC_DIR / "rule-scenarios.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("rules", {}) if isinstance(data, dict) else {}


def rule_modules() -> list[dict[str, Any]]:
    scenarios = rule_scenarios()
    out = []
    for module in (*MODULES, text_only):
        name = module.__name__.rsplit(".", 1)[-1]
        title, _, body = inspect.cleandoc(module.__doc__ or "").partition("\n")
        rules = []
        for rule in getattr(module, "RULES", ()) or getattr(module, "STEPS", ()):
            rid = f"{name}.{rule.__name__}"
            rules.append({"id": rid, "name": rule.__name__, "doc": inspect.cleandoc(rule.__doc__ or ""),
                          "scenarios": scenarios.get(rid, [])})
        out.append({"name": name, "title": title.strip(), "body": body.strip(), "rules": rules})
    return out


@router.get("/knowledge", response_class=HTMLResponse, include_in_schema=False)
def knowledge_index(request: Request) -> HTMLResponse:
    k = _knowledge(request)
    return render(request, "knowledge_index.html.j2", drugs=[k.drugs[d] for d in k.drug_ids()],
                  modules=rule_modules(), sources=sorted(k.sources.values(), key=lambda s: s.title.lower()),
                  indications=list(k.indications.values()))


@router.get("/knowledge/drugs/{drug_id}", response_class=HTMLResponse, include_in_schema=False)
def knowledge_drug(request: Request, drug_id: str) -> HTMLResponse:
    k = _knowledge(request)
    drug = k.drugs.get(drug_id)
    if drug is None:
        return error_page(request, 404, "Unknown drug", f"No drug {drug_id!r} in this knowledge release.",
                          "Known drugs: " + ", ".join(k.drug_ids()))
    return render(request, "knowledge_drug.html.j2", drug=drug, sources=k.sources,
                  indication_labels={i.id: i.label for i in k.indications.values()},
                  regions=[(r, drug.regions.get(r)) for r in REGIONS])


@router.get("/knowledge/coverage", response_class=HTMLResponse, include_in_schema=False)
def knowledge_coverage(request: Request, drug: str | None = None) -> HTMLResponse:
    from jakcheck.knowledge.coverage_report import count_rows, grids

    k = _knowledge(request)
    if drug is not None and drug not in k.drugs:
        return error_page(request, 404, "Unknown drug", f"No drug {drug!r} in this knowledge release.",
                          "Known drugs: " + ", ".join(k.drug_ids()))
    cells = list(k.coverage.select(drug, None))
    return render(request, "knowledge_coverage.html.j2", counts=count_rows(cells), grids=grids(cells),
                  sources=k.sources, drug=drug)


@router.get("/knowledge/rules", response_class=HTMLResponse, include_in_schema=False)
def knowledge_rules(request: Request) -> HTMLResponse:
    return render(request, "knowledge_rules.html.j2", modules=rule_modules(), module=None)


@router.get("/knowledge/rules/{module_name}", response_class=HTMLResponse, include_in_schema=False)
def knowledge_rule_module(request: Request, module_name: str) -> HTMLResponse:
    modules = rule_modules()
    found = next((m for m in modules if m["name"] == module_name), None)
    if found is None:
        return error_page(request, 404, "Unknown rule topic", f"No rule module {module_name!r}.",
                          "Known topics: " + ", ".join(m["name"] for m in modules))
    return render(request, "knowledge_rules.html.j2", modules=[found], module=found)


@router.get("/knowledge/sources", response_class=HTMLResponse, include_in_schema=False)
def knowledge_sources(request: Request) -> HTMLResponse:
    k = _knowledge(request)
    return render(request, "knowledge_sources.html.j2",
                  sources=sorted(k.sources.values(), key=lambda s: (s.kind, s.title.lower())), source=None,
                  cited_by={})


@router.get("/knowledge/sources/{source_id}", response_class=HTMLResponse, include_in_schema=False)
def knowledge_source(request: Request, source_id: str) -> HTMLResponse:
    k = _knowledge(request)
    s = k.sources.get(source_id)
    if s is None:
        return error_page(request, 404, "Unknown source", f"No source {source_id!r} in this knowledge release.")
    return render(request, "knowledge_sources.html.j2", sources=[s], source=s,
                  cited_by=_cited_by(k).get(s.id, []))
