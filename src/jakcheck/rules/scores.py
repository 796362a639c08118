"""Calculated scores: cardiovascular risk and disease activity from the record, and the disease-activity rule.

Which calculators: the cardiovascular risk models of the region, the region's default first - EU: SCORE2 /
SCORE2-OP (ESC 2021), then PREVENT; US: PREVENT (ACC/AHA 2026), then the 2013 Pooled Cohort Equations, then SCORE2
(shown for comparison, its US use is not endorsed). They are always listed, with the inputs missing or the reason
they do not apply (age outside the model, established ASCVD: the models are for primary prevention). Disease-activity
scores are listed for rheumatoid arthritis (DAS28-ESR, DAS28-CRP, CDAI, SDAI) or axial spondyloarthritis
(ASDAS-CRP, ASDAS-ESR) when the record holds at least one disease-specific input (a joint count, a global
assessment, an ASDAS item or a recorded total score).

Nothing is guessed. When only yes/no inputs are unknown (diabetes, smoking, statin, antihypertensive - see
`jakcheck.patient.score_inputs`), the score is not reported as one number: it is computed for every combination
of the unknown answers and given as the lowest and highest result (`bounds`). A rule may use the lowest value:
whatever the unknown answers are, the risk is at least that.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from jakcheck.calculators import CALCULATORS, CalcResult, CalculatorInputError, CalculatorNotApplicable
from jakcheck.calculators.base import InputSpec
from jakcheck.knowledge.schema import Cite, Region
from jakcheck.patient.derived import conditions, prednisone_equivalent_today
from jakcheck.patient.facts import PatientFacts
from jakcheck.patient.score_inputs import (
    AXSPA_SPECIFIC,
    RA_SPECIFIC,
    Item,
    disease_activity_items,
    has_axspa,
    has_ra,
    risk_items,
)
from jakcheck.rules.base import Context, Hit
from jakcheck.rules.cites import c

Status = Literal["calculated", "incomplete", "not-applicable"]
RISK_REGIONS = ("low", "moderate", "high", "very-high")
DEFAULT_RISK_REGION = "moderate"
CV_MODELS: dict[str, tuple[str, ...]] = {"EU": ("score2", "prevent"), "US": ("prevent", "pce", "score2")}
RA_SCORES = ("das28-esr", "das28-crp", "cdai", "sdai")
AXSPA_SCORES = ("asdas-crp", "asdas-esr")
ACTIVE_CATEGORIES = frozenset({"moderate", "high", "very-high"})
# The result a risk threshold is applied to, per model.
RISK_RESULT = {"score2": "cvd_10y", "prevent": "ascvd_10y", "pce": "ascvd_10y"}
EULAR_RA = c("eular-2022-ra", "Table 2, recommendations 2 (target: sustained remission or low disease activity) "
                              "and 5 (taper glucocorticoids as rapidly as clinically feasible)")
GC_INFECTION = c("george-gc-infection-2020", "Abstract - Results: serious infection by glucocorticoid dose")
RABBIT = c("rabbit-score-2014", "Table 1: glucocorticoid dose terms")


@dataclass(frozen=True)
class Score:
    """One calculator as applied to the record."""

    calculator: str
    title: str
    default: bool  # the region's default cardiovascular model (always False for disease activity)
    status: Status
    result: CalcResult | None = None
    inputs: dict[str, object] = field(default_factory=dict)  # used (normalised), or as found when not calculated
    missing: tuple[str, ...] = ()
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    bounds_category: tuple[str | None, str | None] | None = None
    evidence: tuple[str, ...] = ()
    reason: str | None = None
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    risk_region: str | None = None
    effective: date | None = None

    @property
    def kind(self) -> str:
        return "cardiovascular" if self.calculator in RISK_RESULT else "disease-activity"


def _spec_range_problem(spec: InputSpec, value: object) -> str | None:
    if spec.kind not in ("number", "integer") or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        return f"{spec.key}: {value:g} is outside the model's range {spec.range_text()}"
    return None


def _run(name: str, title: str, specs: Sequence[InputSpec], items: Mapping[str, Item], *, default: bool = False,
         extra: Mapping[str, object] | None = None, risk_region: str | None = None,
         convert: Mapping[str, object] | None = None) -> Score:
    """Run `name` on the record's items: calculated, incomplete (with bounds when only yes/no inputs are
    missing) or not applicable (with the reason)."""
    calc = CALCULATORS[name]
    values: dict[str, object] = {}
    evidence: list[str] = []
    notes: list[str] = []
    missing: list[str] = []
    flags: list[str] = []
    dates: list[date] = []
    for spec in specs:
        if extra and spec.key in extra:
            continue
        item = items.get(spec.key)
        if item is None or item.value is None:
            if spec.required:
                missing.append(spec.key)
                if spec.kind == "boolean":
                    flags.append(spec.key)
            continue
        values[spec.key] = item.value
        evidence.extend(item.evidence)
        if item.note:
            notes.append(item.note)
        if item.effective is not None:
            dates.append(item.effective)
    values.update(extra or {})
    common: dict[str, Any] = dict(calculator=name, title=title, default=default, sources=calc.sources,
                                  risk_region=risk_region, evidence=tuple(dict.fromkeys(evidence)),
                                  effective=max(dates) if dates else None)
    for spec in specs:
        if spec.key in values and (problem := _spec_range_problem(spec, values[spec.key])):
            return Score(status="not-applicable", inputs=values, missing=tuple(missing), reason=problem,
                         notes=tuple(notes), **common)
    raw = {k: (convert or {}).get(k, v) for k, v in values.items()}
    if missing and len(flags) < len(missing):
        return Score(status="incomplete", inputs=values, missing=tuple(missing), notes=tuple(notes),
                     reason="missing " + ", ".join(missing), **common)
    if missing:
        return _bounded(calc.name, raw, flags, values, tuple(missing), notes, common)
    try:
        result = calc.run(raw)
    except CalculatorInputError as exc:
        return Score(status="not-applicable", inputs=values, reason=str(exc), notes=tuple(notes),
                     **common)
    return Score(status="calculated", result=result, inputs=dict(result.inputs), notes=tuple(notes) + result.notes,
                 **common)


def _bounded(name: str, raw: dict[str, object], flags: list[str], values: dict[str, object],
             missing: tuple[str, ...], notes: list[str], common: dict[str, Any]) -> Score:
    """Every combination of the unknown yes/no answers: the lowest and highest result of each figure."""
    calc = CALCULATORS[name]
    results: list[CalcResult] = []
    skipped: list[str] = []
    for answers in itertools.product((False, True), repeat=len(flags)):
        combo = dict(zip(flags, answers, strict=True))
        try:
            results.append(calc.run({**raw, **combo}))
        except CalculatorNotApplicable as exc:
            skipped.append(str(exc))
        except CalculatorInputError as exc:
            return Score(status="not-applicable", inputs=values, missing=missing, reason=str(exc),
                         notes=tuple(notes), **common)
    if not results:
        return Score(status="not-applicable", inputs=values, missing=missing, notes=tuple(notes),
                     reason="; ".join(dict.fromkeys(skipped)), **common)
    keys = list(results[0].results)
    bounds = {k: (min(r.results[k] for r in results), max(r.results[k] for r in results)) for k in keys}
    low = min(results, key=lambda r: r.results[keys[0]])
    high = max(results, key=lambda r: r.results[keys[0]])
    if skipped:
        notes = [*notes, "Not applicable for some answers - " + "; ".join(dict.fromkeys(skipped))]
    return Score(status="incomplete", inputs=values, missing=missing, bounds=bounds,
                 bounds_category=(low.category, high.category), notes=tuple(notes),
                 reason="missing " + ", ".join(missing) + ": range over the possible answers",
                 **common)


def cardiovascular_scores(facts: PatientFacts, region: Region, risk_region: str) -> list[Score]:
    """The region's cardiovascular risk models, default first."""
    items = risk_items(facts)
    ascvd = conditions(facts, "ascvd")
    out: list[Score] = []
    for i, name in enumerate(CV_MODELS[region]):
        calc = CALCULATORS[name]
        region_used = risk_region if name == "score2" else None
        if ascvd:
            out.append(Score(
                calculator=name, title=calc.title, default=i == 0, status="not-applicable", sources=calc.sources,
                risk_region=region_used, evidence=tuple(x.source for x in ascvd),
                reason="established atherosclerotic cardiovascular disease on record: the risk models are for "
                       "people without it, and ASCVD is itself very high risk"))
            continue
        extra = {"risk_region": risk_region} if name == "score2" else {}
        out.append(_run(name, calc.title, calc.inputs, items, default=i == 0, extra=extra, risk_region=region_used))
    return out


def _global_mm(items: Mapping[str, Item]) -> dict[str, object]:
    g = items.get("patient_global")
    return {"patient_global": {"value": g.value, "unit": "cm"}} if g is not None and g.value is not None else {}


def disease_activity_scores(facts: PatientFacts, indication: str | None = None) -> list[Score]:
    """Disease-activity scores for RA and axSpA when the record holds disease-specific inputs."""
    items = disease_activity_items(facts)
    out: list[Score] = []
    ra = has_ra(facts) or indication == "rheumatoid-arthritis"
    recorded = {k.split(":", 1)[1]: v for k, v in items.items() if k.startswith("score:") and v.value is not None}
    if ra and (any(items[k].value is not None for k in RA_SPECIFIC) or recorded):
        for name in RA_SCORES:
            calc = CALCULATORS[name]
            convert = _global_mm(items) if name.startswith("das28") else None
            s = _run(name, calc.title, calc.inputs, items, convert=convert)
            if name.startswith("das28") and "patient_global" in s.inputs:
                s = _with_note(s, "Patient global assessment recorded on 0-10, used as 0-100 mm (x10) for DAS28.")
            if s.status != "calculated" and name in recorded:
                s = _recorded(name, name, recorded[name], s)
            out.append(s)
        if "das28" in recorded and not any(s.status == "calculated" for s in out if s.calculator.startswith("das28")):
            out.append(_recorded("das28", "das28-esr", recorded["das28"], None))
    axspa = has_axspa(facts) or indication in ("ankylosing-spondylitis", "nr-axial-spondyloarthritis")
    if axspa and any(items[k].value is not None for k in AXSPA_SPECIFIC):
        for name in AXSPA_SCORES:
            calc = CALCULATORS[name]
            out.append(_run(name, calc.title, calc.inputs, items))
    return out


def _with_note(s: Score, note: str) -> Score:
    return replace(s, notes=(*s.notes, note))


def _recorded(name: str, classifier: str, item: Item, computed: Score | None) -> Score:
    """A total score recorded in the record (not computed here), classified with the calculator's cut-offs."""
    calc = CALCULATORS[classifier]
    title = "DAS28 (recorded score)" if name == "das28" else calc.title
    common: dict[str, Any] = dict(calculator=name, title=title, default=False, sources=calc.sources,
                                  evidence=item.evidence, effective=item.effective)
    try:
        result = calc.run({"score": item.value})
    except CalculatorInputError as exc:
        return Score(status="not-applicable", inputs={"score": item.value}, reason=str(exc),
                     **common)
    notes = ["Total score as recorded, classified only; its components are not on record."]
    if computed is not None and computed.missing:
        notes.append("Not computed here: missing " + ", ".join(computed.missing) + ".")
    return Score(status="calculated", result=result, inputs={"score": item.value}, notes=tuple(notes),
                 **common)


def compute_scores(facts: PatientFacts, region: Region, risk_region: str = DEFAULT_RISK_REGION,
                   indication: str | None = None) -> list[Score]:
    """Every score the record supports, in output order: cardiovascular (default model first), then disease
    activity."""
    return cardiovascular_scores(facts, region, risk_region) + disease_activity_scores(facts, indication)


# --- what the rules read ------------------------------------------------------------------------------------

def score2_threshold_key(age: float) -> str:
    """ESC 2021 high-risk band by age: <50 y 2.5 %, 50-69 y 5 %, >=70 y (SCORE2-OP) 7.5 %."""
    if age < 50:
        return "cv-risk-high-percent-score2-under-50"
    if age < 70:
        return "cv-risk-high-percent-score2"
    return "cv-risk-high-percent-score2-op"


@dataclass(frozen=True)
class HighRisk:
    score: Score
    value: float  # the calculated risk (or, with unknown answers, the lowest possible), percent
    threshold: float
    threshold_key: str
    lower_bound: bool  # True when `value` is the lowest value over unknown yes/no answers

    def text(self) -> str:
        model = self.score.result.model if self.score.result is not None else self.score.title.split(":")[0]
        what = RISK_RESULT[self.score.calculator].replace("_10y", "").upper()
        at_least = "at least " if self.lower_bound else ""
        return (f"calculated 10-year {what} risk {at_least}{self.value:.1f}% ({model}; threshold "
                f"{self.threshold:g}%)")


def high_calculated_risk(ctx: Context) -> HighRisk | None:
    """The region's default model, when its 10-year risk (or its lowest value over unknown yes/no answers) is at
    or above the threshold for the model (and, for SCORE2, for the age band)."""
    default = next((s for s in ctx.scores if s.default), None)
    if default is None:
        return None
    key_result = RISK_RESULT[default.calculator]
    if default.status == "calculated" and default.result is not None:
        value, lower = default.result.results[key_result], False
    elif default.status == "incomplete" and key_result in default.bounds:
        value, lower = default.bounds[key_result][0], True
    else:
        return None
    if default.calculator == "score2":
        age = default.inputs.get("age")
        if not isinstance(age, int | float):
            return None
        tkey = score2_threshold_key(float(age))
    else:
        tkey = f"cv-risk-high-percent-{default.calculator}"
    limit = ctx.threshold(tkey)
    if value < limit:
        return None
    return HighRisk(default, value, limit, tkey, lower)


def age_counted_elsewhere(ctx: Context, high: HighRisk | None) -> bool:
    """True when a high calculated cardiovascular risk must not count as a cardiovascular risk of its own: the
    patient is at or above the class age threshold (age-risk-years, the EMA 2023 'age 65 or older' group), which
    the age finding already applies. From that age the 10-year risk models (SCORE2-OP from 70) pass their
    thresholds largely on age, so counting the score as well would count age twice; recorded ASCVD and risk
    factors still count, and the score stays listed under `scores`."""
    if high is None:
        return False
    age = high.score.inputs.get("age")
    return isinstance(age, int | float) and age >= ctx.threshold("age-risk-years")


def active_disease(ctx: Context) -> Score | None:
    """The most recent disease-activity score in moderate/high activity (ASDAS: high/very high), or None."""
    found = [s for s in ctx.scores  # the disease-activity part is disease_activity_scores(facts, indication)
             if s.kind == "disease-activity" and s.status == "calculated" and s.result is not None]
    if not found:
        return None
    order = [*RA_SCORES, "das28", *AXSPA_SCORES]
    latest = max(found, key=lambda s: (s.effective or date.min, -order.index(s.calculator)))
    return latest if latest.result is not None and latest.result.category in ACTIVE_CATEGORIES else None


def score_text(s: Score) -> str:
    assert s.result is not None
    name = s.title.split(":")[0]
    return f"{name} {s.result.results['score']:.2f}, {s.result.category} activity"


def disease_active(ctx: Context) -> list[Hit]:
    """When the latest disease-activity score shows moderate or high activity (DAS28 >3.2, CDAI >10, SDAI >11,
    ASDAS >=2.1), Then note it: EULAR 2022 aims treatment at sustained remission or low disease activity, and
    active disease is the setting in which glucocorticoids are used and infection fears arise. When a systemic
    glucocorticoid at low dose (EULAR: <=7.5 mg/day prednisone equivalent, so no glucocorticoid band finding) is
    current as well, Then the finding says the dose and not to withhold effective steroid-sparing treatment for
    fear of infection, with the dose gradient (the band findings say the same above low dose). Source:
    eular-2022-ra (recommendations 2 and 5), george-gc-infection-2020; cut-offs from the calculators' sources."""
    s = active_disease(ctx)
    if s is None or s.result is None:
        return []
    summary = f"Active disease: {score_text(s)}."
    detail = ("The treatment target is sustained remission or low disease activity in every patient (EULAR 2022, "
              "recommendation 2). Score, category and inputs are under `scores`.")
    evidence = s.evidence
    cites: tuple[Cite, ...] = (EULAR_RA, *(c(x) for x in s.sources))
    total, meds = prednisone_equivalent_today(ctx.facts)
    if meds and total is not None and 0 < total <= ctx.threshold("glucocorticoid-medium-dose-mg-prednisone"):
        summary = (f"Active disease ({score_text(s)}) on low-dose glucocorticoid ({total:g} mg/day prednisone "
                   "equivalent): do not withhold effective steroid-sparing treatment for fear of infection.")
        detail += (" Serious-infection risk is already raised at low glucocorticoid dose (George 2020, Medicare: "
                   "hospitalised infection within a year 8.6% without glucocorticoids, 11.0% at <=5 mg, 14.4% at "
                   ">5-10 mg/day) and rises with the dose; controlling the disease is what allows the glucocorticoid "
                   "to stop (EULAR 2022 recommendation 5: taper as rapidly as clinically feasible).")
        evidence += tuple(m.source for m in meds)
        cites += (GC_INFECTION,)
    return [Hit(
        code="disease.active", severity="info",
        summary=summary, detail=detail, evidence=evidence, cites=cites,
    )]


RULES = (disease_active,)
