"""Presentation helpers shared by the text and HTML renderings of an Assessment.

Everything here is pure and deterministic: it only reorders/groups what the Assessment already holds and turns
codes into labels. No clinical logic lives here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from jakcheck.assessment import (
    SEVERITY_ORDER,
    VERDICT_ORDER,
    Action,
    Assessment,
    DoseOut,
    Finding,
    Missing,
    MonitoringItemOut,
    ScoreOut,
    Severity,
    SourceRef,
    Timing,
    Verdict,
)

TIMING_ORDER: tuple[Timing, ...] = ("before-start", "at-start", "after-start")

REGION_LABELS: dict[str, str] = {"EU": "EU (EMA)", "US": "US (FDA)"}

VERDICT_LABELS: dict[Verdict, str] = {
    "appropriate": "Appropriate",
    "caution": "Caution",
    "only-if-no-alternative": "Only if no alternative",
    "defer": "Defer",
    "not-recommended": "Not recommended",
    "contraindicated": "Contraindicated",
}

# Marks every system font has (no emoji), so a verdict never depends on colour alone; the printed report and
# the web page use the same marks.
VERDICT_MARKS: dict[Verdict, str] = {
    "appropriate": "\u2713",  # check mark
    "caution": "!",
    "only-if-no-alternative": "!!",
    "defer": "\u2016",  # double vertical line (pause)
    "not-recommended": "\u2715",  # multiplication x
    "contraindicated": "\u2298",  # circled division slash
}

SEVERITY_LABELS: dict[Severity, str] = {"critical": "Critical", "warning": "Warning", "info": "Info"}

TIMING_LABELS: dict[Timing, str] = {
    "before-start": "Before start",
    "at-start": "At start",
    "after-start": "After start",
}

ALL_DRUGS = "all assessed drugs"

assert set(VERDICT_LABELS) == set(VERDICT_ORDER) == set(VERDICT_MARKS)
assert set(SEVERITY_LABELS) == set(SEVERITY_ORDER)


MODE_LABELS: dict[str, str] = {"pre-treatment": "Before treatment (start decision)",
                               "on-treatment": "On treatment (monitoring and safety review)"}


def mode_label(mode: str) -> str:
    return MODE_LABELS.get(mode, mode)


def current_therapy_label(assessment: Assessment) -> str | None:
    """'baricitinib 4 mg/day since 2026-04-30 (30 weeks)'; None before treatment."""
    t = assessment.current_therapy
    if t is None:
        return None
    text = t.drug
    text += f" {t.dose.daily_amount:g} {t.dose.unit}/day" if t.dose else " (daily dose not recorded)"
    if t.started:
        text += f" since {t.started}"
        if t.weeks_on_treatment is not None:
            text += f" ({t.weeks_on_treatment} weeks)"
    else:
        text += " (start date not recorded)"
    return text


def shows_ready(assessment: Assessment) -> bool:
    """'Ready to start' is shown before treatment, and on treatment only when another drug is assessed."""
    if assessment.mode != "on-treatment" or assessment.current_therapy is None:
        return True
    return any(d.drug != assessment.current_therapy.drug for d in assessment.drugs)


def status_label(item: MonitoringItemOut) -> str | None:
    """'overdue (due 2026-07-23; last 2026-04-15)'; None when the item has no status."""
    if item.status is None:
        return None
    parts = []
    if item.due:
        parts.append(f"due {item.due}" if item.status != "done" else f"next {item.due}")
    parts.append(f"last {item.last_done}" if item.last_done else "no result on record")
    return f"{item.status} ({'; '.join(parts)})"


def region_label(region: str) -> str:
    return REGION_LABELS.get(region, region)


def age_label(age: int | None) -> str:
    return "unknown" if age is None else str(age)


def indication_label(indication: str | None) -> str:
    return indication if indication else "not specified"


def drugs_label(drugs: Sequence[str]) -> str:
    """An empty drug list means the item applies to every drug assessed."""
    return ", ".join(drugs) if drugs else ALL_DRUGS


def dose_label(dose: DoseOut | None) -> str:
    """'2 mg once daily', with the formulation in brackets when not the standard tablet."""
    if dose is None:
        return "no dose"
    text = f"{dose.amount:g} {dose.unit} {dose.frequency}"
    if dose.formulation:
        text += f" ({dose.formulation})"
    return text


def phase_label(dose: DoseOut | None) -> str | None:
    if dose is None or not dose.phase:
        return None
    return f"{dose.phase} phase"


def evidence_label(item: str | Missing) -> str:
    return f"missing: {item.missing}" if isinstance(item, Missing) else item


def is_missing(item: str | Missing) -> bool:
    return isinstance(item, Missing)


def findings_by_severity(assessment: Assessment) -> list[tuple[Severity, list[Finding]]]:
    """Non-empty severity groups in SEVERITY_ORDER; the assessment's order is kept within a group."""
    out: list[tuple[Severity, list[Finding]]] = []
    for sev in SEVERITY_ORDER:
        group = [f for f in assessment.findings if f.severity == sev]
        if group:
            out.append((sev, group))
    return out


def actions_by_timing(assessment: Assessment) -> list[tuple[Timing, list[Action]]]:
    """Non-empty timing groups in TIMING_ORDER; the assessment's order is kept within a group."""
    out: list[tuple[Timing, list[Action]]] = []
    for timing in TIMING_ORDER:
        group = [a for a in assessment.actions if a.timing == timing]
        if group:
            out.append((timing, group))
    return out


def finding_anchor_ids(assessment: Assessment) -> tuple[list[str], dict[str, str]]:
    """HTML ids for the findings (by position) and, per code, the id of its first finding."""
    ids = [f"finding-{i}" for i in range(1, len(assessment.findings) + 1)]
    by_code: dict[str, str] = {}
    for fid, f in zip(ids, assessment.findings, strict=True):
        by_code.setdefault(f.code, fid)
    return ids, by_code


def is_web_url(url: str) -> bool:
    """Only http(s) URLs become links; anything else (e.g. javascript:) is shown as plain text."""
    lowered = url.strip().lower()
    return lowered.startswith("https://") or lowered.startswith("http://")


RESULT_LABELS = {"cvd_10y": "10-year CVD risk", "ascvd_10y": "10-year ASCVD risk",
                 "hf_10y": "10-year heart failure risk", "score": "score"}


def _fig(key: str, value: float) -> str:
    return f"{value:.2f}" if key == "score" else f"{value:.1f}%"


def score_name(s: ScoreOut) -> str:
    """A short name: "SCORE2-OP (moderate risk region)", "DAS28-ESR", "CDAI"."""
    if s.model:
        return s.model
    name = s.title.split(":")[0]
    return f"{name} ({s.risk_region} risk region)" if s.risk_region else name


def score_result_label(s: ScoreOut) -> str:
    """The figures in words: "10-year CVD risk 8.5% (high)", a range when yes/no inputs are unknown, or why
    there is no figure."""
    if s.status == "calculated":
        figs = "; ".join(f"{RESULT_LABELS.get(k, k)} {_fig(k, v)}" for k, v in s.results.items())
        return f"{figs} ({s.category})" if s.category else figs
    if s.bounds:
        figs = "; ".join(f"{RESULT_LABELS.get(k, k)} {_fig(k, lo)}" + (f" to {_fig(k, hi)}" if hi != lo else "")
                         for k, (lo, hi) in s.bounds.items())
        cats = [c for c in (s.bounds_category or []) if c]
        cat = f" ({' to '.join(dict.fromkeys(cats))})" if cats else ""
        return f"{figs}{cat}, depending on {', '.join(s.missing)} (not stated in the record)"
    if s.status == "incomplete":
        return "not calculated: missing " + ", ".join(s.missing)
    return f"not applicable: {s.reason}" if s.reason else "not applicable"


def score_ra_label(s: ScoreOut) -> str | None:
    ra = s.ra_adjusted
    if ra is None:
        return None
    figs = "; ".join(f"{RESULT_LABELS.get(k, k)} {_fig(k, v)}" for k, v in ra.results.items())
    return f"With the EULAR rheumatoid arthritis factor x{ra.factor:g} (separate figure): {figs}" + (
        f" ({ra.category})" if ra.category else "")


def score_inputs_label(s: ScoreOut) -> str:
    return ", ".join(f"{k} {str(v).lower() if isinstance(v, bool) else f'{v:g}' if isinstance(v, float) else v}"
                     for k, v in s.inputs.items())


def ready_label(assessment: Assessment) -> str:
    """The answer to "Ready to start?": "no" while a blocking step is open; once none is, "yes" qualified by the
    best verdict when it only allows a start under conditions (so that a "yes" never reads as an unconditional
    go-ahead beside a restrictive headline)."""
    if not assessment.ready_to_start:
        return "no"
    verdict = assessment.headline.verdict if assessment.headline is not None else None
    return {"caution": "yes, with caution",
            "only-if-no-alternative": "yes, only if no suitable alternative"}.get(verdict or "", "yes")


def headline_tone(assessment: Assessment) -> str:
    """'green' only when the best verdict is appropriate and no blocking step is open; 'red' when even the best
    option is deferred, not recommended or contraindicated; otherwise 'amber' (caution included)."""
    h = assessment.headline
    if h is None or h.verdict is None:
        return "amber"
    if h.verdict == "appropriate" and h.open_steps == 0:
        return "green"
    return "red" if h.verdict in ("defer", "not-recommended", "contraindicated") else "amber"


def patient_identity(assessment: Assessment) -> list[tuple[str, str]]:
    """What identifies the patient on screen and on paper: name, birth date, record numbers (the record's id when
    none is given). Shown only; never logged."""
    p = assessment.patient
    out: list[tuple[str, str]] = []
    if p.name:
        out.append(("Name", p.name))
    if p.birth_date:
        out.append(("Born", p.birth_date))
    for i in p.identifiers[:2]:
        out.append((i.label or "Record number", i.value))
    if not p.identifiers:
        out.append(("Record", p.id))
    return out


def dose_heading(assessment: Assessment, drug: str) -> str:
    """'Current label dose' for the drug already being taken, 'Starting dose' otherwise."""
    current = assessment.current_therapy.drug if assessment.current_therapy else None
    return "Label dose now" if drug == current else "Starting dose"


def checklist_title(assessment: Assessment) -> str:
    return "To do now" if assessment.mode == "on-treatment" else "Before-start checklist"


def resembles_trial_population(assessment: Assessment, indication: str, min_age: int,
                                cv_risk_factor_required: bool) -> bool:
    """True when the patient resembles a trial's enrolled population (knowledge `trials.yaml`): the same
    indication, at least the minimum age, and, when the trial required one, a cardiovascular risk factor on record
    (a cardiovascular-risk finding, or current smoking). Unknown age or indication: False (not shown)."""
    age = assessment.patient.age
    if assessment.indication != indication or age is None or age < min_age:
        return False
    return not cv_risk_factor_required or any(
        f.code == "risk.cardiovascular" or (f.code == "risk.smoking" and "current smoker" in f.summary)
        for f in assessment.findings)


# Units as the record codes them (UCUM) and as a clinician writes them.
_READABLE_UNITS = (("10*9/L", "×10⁹/L"), ("10*12/L", "×10¹²/L"), ("10*6/L", "×10⁶/L"), ("mm[Hg]", "mmHg"),
                   ("mL/min/{1.73_m2}", "mL/min/1.73 m²"), ("kg/m2", "kg/m²"), ("[IU]/mL", "IU/mL"),
                   ("{score}", ""), ("{#}", ""))


def clinical_text(text: str) -> str:
    """Text for a clinical page: record units written as clinicians write them ("10*9/L" -> "×10⁹/L")."""
    for code, words in _READABLE_UNITS:
        if code in text:
            text = text.replace(f" {code}", f" {words}" if words else "").replace(code, words)
    return _RULE_CODE.sub(lambda m: f"the {m.group(1).replace('-', ' ')} finding", text)


# A finding's code quoted in another finding's text ("see risk.lower-dose").
_RULE_CODE = re.compile(r"\b(?:age|data|ddi|hbv|hcv|indication|infection|lab|label|review|risk|tb|vaccine)\."
                        r"([a-z0-9-]+)\b")


MONITORING_TEST_LABELS: dict[str, str] = {
    "cbc": "Full blood count", "liver": "Liver tests (ALT, AST)", "lipids": "Lipids (cholesterol)",
    "tb": "Tuberculosis review", "skin": "Skin examination", "platelets": "Platelet count",
    "lymphocytes": "Lymphocyte count", "renal": "Kidney function (creatinine, eGFR)", "hbv-dna": "Hepatitis B DNA",
    "label-schedule": "Label monitoring schedule",
}


def monitoring_test_label(test: str) -> str:
    """A monitoring test in words ('cbc' -> 'Full blood count')."""
    return MONITORING_TEST_LABELS.get(test, test.replace("-", " ").capitalize())


def short_source_label(title: str) -> str:
    """A source's title shortened for an inline citation: up to its first ' - ' or ': ', at most 60 characters."""
    short = re.split(r" - |: | \u2013 ", title, maxsplit=1)[0].strip()
    return short if len(short) <= 60 else short[:57].rstrip() + "..."


def page_sources(assessment: Assessment) -> list[tuple[int, str, SourceRef, list[str]]]:
    """Each source cited anywhere on the page once: (number, short label, reference, sections cited), in order of
    first citation (findings, monitoring, alternatives)."""
    seen: dict[str, tuple[SourceRef, list[str]]] = {}
    refs = [s for f in assessment.findings for s in f.sources]
    refs += [s for m in assessment.monitoring for s in m.sources]
    refs += [s for alt in assessment.alternatives for s in alt.sources]
    for s in refs:
        ref, sections = seen.setdefault(s.id, (s, []))
        if s.section and s.section not in sections:
            sections.append(s.section)
    return [(n, short_source_label(ref.title), ref, sections) for n, (ref, sections) in enumerate(seen.values(), 1)]
