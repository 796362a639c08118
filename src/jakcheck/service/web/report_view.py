"""The report page's view model: what the page shows of an assessment, computed from the assessment (and the
patient facts when the page has them). Nothing here reads the request or renders a template.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from jakcheck.assessment import Assessment, Finding
from jakcheck.knowledge.loader import Knowledge
from jakcheck.patient.derived import age_years
from jakcheck.patient.facts import PatientFacts
from jakcheck.report._shared import (
    actions_by_timing,
    age_label,
    checklist_title,
    dose_heading,
    finding_anchor_ids,
    findings_by_severity,
    headline_tone,
    page_sources,
    patient_identity,
    ready_label,
    resembles_trial_population,
)

# The report page carries the input back in a hidden field so the region can be switched without re-uploading;
# above this size the clinician re-uploads instead.
MAX_CARRIED_INPUT = 2 * 1024 * 1024

# The trial whose results the report shows as pictures (knowledge trials.yaml), when the patient resembles its
# population.
TRIAL_PICTURES = "oral-surveillance"
TRIAL_PICTURE_PEOPLE = 1000  # each picture shows this many people (the percent of each arm, per 1000)


def pct(value: float) -> str:
    """A percentage as the page shows it: one decimal, none when it is whole."""
    return f"{value:.1f}".removesuffix(".0")


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
    """The assessment's calculated scores as plain dicts."""
    return [dict(s) for s in _plain(result.scores)]


def _number_or_none(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float) and math.isfinite(v):
        return float(v)
    return None


def cv_risk(result: Assessment) -> CvRisk:
    """The patient's 10-year CV risk from the assessment's scores, preferring the region's default model, or the
    reason it is not there."""
    scores = [s for s in _scores(result)
              if str(s.get("calculator", "")).lower() in CV_CALCULATORS
              or any(k in (s.get("results") or {}) for k in CV_RESULT_KEYS)]
    if not scores:
        return CvRisk("", None, None, "the record lacks what a risk calculator needs (age within the model's range, "
                      "sex, cholesterol, HDL, systolic blood pressure, smoking, diabetes)", "", (), ())
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
    sources = tuple(str(x["title"]) + (f" ({x['grade_text']})" if x.get("grade_text") else "")
                    for x in best.get("sources") or [])
    if key is None:
        missing = tuple(input_words(str(m)) for m in best.get("missing") or [])
        bounds = best.get("bounds") or {}
        span = next((bounds[k] for k in CV_RESULT_KEYS if isinstance(bounds.get(k), list | tuple)
                     and len(bounds[k]) == 2), None)
        if span is not None and best.get("status") == "incomplete":
            lo, hi = (max(0.0, min(100.0, float(v))) for v in span)
            if pct(lo) == pct(hi):  # the unknown answers do not change the figure as shown
                return CvRisk(name, lo, None, None, f"{label}: 10-year risk of cardiovascular disease", sources, (),
                              None, missing)
            return CvRisk(name, None, None, None, f"{label}: 10-year risk", sources, (), (lo, hi), missing)
        if best.get("status") == "not-applicable" and best.get("reason"):
            why = str(best["reason"])
        else:
            why = "to calculate it, record " + ", ".join(missing) if missing else "the calculator gave no result"
        return CvRisk(name, None, None, why, label, sources, (), None, missing)
    percent = _number_or_none(results[key])
    assert percent is not None
    extra = tuple((CV_RESULT_WORDS.get(str(k), str(k).replace("_", " ")), f"{pct(v)}%") for k, raw in results.items()
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


def report_context(knowledge: Knowledge, result: Assessment, facts: PatientFacts | None, *, payload: str | None,
                   source_kind: str) -> dict[str, Any]:
    """What the report page template shows. Without `facts` the evidence is shown as references only; without
    `payload` the page cannot re-assess the record in the other region."""
    _, finding_id_by_code = finding_anchor_ids(result)
    risk = cv_risk(result)
    study = knowledge.trials.get(TRIAL_PICTURES)
    shown = study is not None and resembles_trial_population(
        result, study.population.indication, study.population.min_age, study.population.cv_risk_factor_required)
    trial = [(o, icon_array(o.name, TRIAL_PICTURE_PEOPLE, round(o.comparator.percent * 10),
                            round(o.treated.percent * 10) - round(o.comparator.percent * 10), columns=50, size=11))
             for o in study.outcomes] if study is not None and shown else []
    oral_source = knowledge.sources.get(study.cite[0].source) if study is not None and study.cite else None
    listed = page_sources(result)
    return dict(
        a=result, age=age_label(result.patient.age), indication_label=_indication_label(knowledge, result.indication),
        severity_groups=finding_groups(result), finding_id_by_code=finding_id_by_code,
        reasons=reasons_by_drug(result),
        actions_by_timing=actions_by_timing(result), evidence_data=evidence_index(facts) if facts else {},
        cv=risk, cv_icons=icon_array("10-year CV risk", 100, round(risk.percent)) if risk.percent is not None
        else None,
        trial=trial, trial_source=oral_source, study=study,
        mode=result.mode, current_therapy=_plain(result.current_therapy),
        payload=payload if payload is not None and len(payload) <= MAX_CARRIED_INPUT else None,
        source_kind=source_kind, drug_names={d: knowledge.drugs[d].name for d in knowledge.drugs},
        identity=(patient_identity(result) if source_kind != "form" else
                  [("Patient", "entered in the short form (no name or record number)")]),
        tone=headline_tone(result), ready_text=ready_label(result), on_treatment=result.mode == "on-treatment",
        checklist_title=checklist_title(result), dose_heading=lambda drug: dose_heading(result, drug),
        indication_names={i.id: i.label for i in knowledge.indications.values()},
        page_sources=listed, cited={ref.id: (n, short) for n, short, ref, _ in listed},
    )


def _indication_label(knowledge: Knowledge, indication: str | None) -> str:
    if indication is None:
        return "not specified"
    ind = knowledge.indications.get(indication)
    return ind.label if ind else indication
