"""Self-contained, printable HTML rendering of an Assessment.

The page has inline CSS only: no scripts, external stylesheets, fonts or images, so it works offline and can be
saved or printed as is. Jinja2 autoescaping is on, so every string from the assessment (which carries
patient-derived text) is escaped; source URLs become links only when they are http(s) URLs.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from jakcheck.assessment import Assessment
from jakcheck.report._shared import (
    SEVERITY_LABELS,
    TIMING_LABELS,
    VERDICT_LABELS,
    VERDICT_MARKS,
    actions_by_timing,
    age_label,
    checklist_title,
    clinical_text,
    current_therapy_label,
    dose_label,
    drugs_label,
    evidence_label,
    finding_anchor_ids,
    findings_by_severity,
    headline_tone,
    indication_label,
    is_missing,
    is_web_url,
    mode_label,
    monitoring_test_label,
    page_sources,
    patient_identity,
    phase_label,
    ready_label,
    region_label,
    score_inputs_label,
    score_name,
    score_ra_label,
    score_result_label,
    shows_ready,
    status_label,
)

TEMPLATE = "report.html.j2"



@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("jakcheck", "report/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        dose=dose_label,
        phase=phase_label,
        drugs=drugs_label,
        evidence=evidence_label,
        status=status_label,
        score_name=score_name,
        score_result=score_result_label,
        score_ra=score_ra_label,
        score_inputs=score_inputs_label,
        clinical=clinical_text,
        test_label=monitoring_test_label,
    )
    env.tests.update(missing=is_missing, web_url=is_web_url)
    env.globals.update(
        VERDICT_LABELS=VERDICT_LABELS,
        VERDICT_MARKS=VERDICT_MARKS,
        SEVERITY_LABELS=SEVERITY_LABELS,
        TIMING_LABELS=TIMING_LABELS,
    )
    return env


def render_html(assessment: Assessment, *, full_print: bool = False) -> str:
    """Render `assessment` as one self-contained HTML page (deterministic for the same assessment). Printed, the
    page is a summary (headline, verdicts, checklist, monitoring) unless `full_print` asks for the full report."""
    finding_ids, finding_id_by_code = finding_anchor_ids(assessment)
    # Findings are grouped by severity; each keeps the id of its position in the assessment.
    position = {id(f): pos for pos, f in enumerate(assessment.findings)}
    severity_groups = [(sev, [(finding_ids[position[id(f)]], f) for f in group])
                       for sev, group in findings_by_severity(assessment)]
    listed = page_sources(assessment)
    return _environment().get_template(TEMPLATE).render(
        a=assessment,
        full_print=full_print,
        region=region_label(assessment.region),
        age=age_label(assessment.patient.age),
        indication=indication_label(assessment.indication),
        mode=mode_label(assessment.mode),
        therapy=current_therapy_label(assessment),
        show_ready=shows_ready(assessment), ready_text=ready_label(assessment),
        severity_groups=severity_groups,
        finding_id_by_code=finding_id_by_code,
        actions_by_timing=actions_by_timing(assessment),
        identity=patient_identity(assessment),
        tone=headline_tone(assessment),
        checklist_title=checklist_title(assessment),
        page_sources=listed,
        cited={ref.id: (n, short) for n, short, ref, _ in listed},
    )
