"""The text and HTML renderings of an Assessment."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import pytest

from jakcheck.assessment import (
    SEVERITY_ORDER,
    VERDICT_ORDER,
    Action,
    AlternativeOut,
    Assessment,
    DoseOut,
    DrugAssessment,
    Finding,
    KnowledgeStamp,
    Missing,
    MonitoringItemOut,
    PatientSummary,
    SourceRef,
)
from jakcheck.report import render_html, render_text

XSS = "<script>alert(1)</script>"

EMA = SourceRef(id="ema-2023", title="EMA Article 20 JAK inhibitors", section="Annex IV",
                url="https://www.ema.europa.eu/en/medicines/human/referrals/janus-kinase-inhibitors-jaki",
                date="2023-03-10", grade="regulator", jurisdiction="EU", grade_text="regulator's text (EU)")
SMPC = SourceRef(id="olumiant-smpc", title="Olumiant SmPC", section="4.4",
                 url="https://www.ema.europa.eu/en/documents/product-information/olumiant-epar.pdf",
                 grade="secondary", jurisdiction="EU", grade_text="secondary copy of the EU SmPC")
FDA = SourceRef(id="fda-2021", title="FDA Drug Safety Communication 2021",
                url="https://www.fda.gov/drugs/drug-safety-and-availability/fda-requires-warnings",
                grade="secondary", jurisdiction="US", grade_text="secondary copy of the regulator's document")
EULAR = SourceRef(id="eular-2022", title="EULAR RA recommendations 2022 update", section="Recommendation 7",
                  url="https://ard.bmj.com/content/82/1/3", grade="publisher", grade_text="publisher's text")
ODD = SourceRef(id="odd", title='Quoted "title" & <b>markup</b>', url="javascript:alert(2)", grade="secondary",
                grade_text="secondary source")

DRUGS = {
    "baricitinib": ("appropriate", DoseOut(amount=2, unit="mg", frequency="once daily",
                                          note="4 mg may be considered if control is inadequate.")),
    "tofacitinib": ("caution", DoseOut(amount=11, unit="mg", frequency="once daily", formulation="xr")),
    "upadacitinib": ("only-if-no-alternative", DoseOut(amount=15, unit="mg", frequency="once daily")),
    "filgotinib": ("defer", DoseOut(amount=200, unit="mg", frequency="once daily", phase="induction")),
    "abrocitinib": ("not-recommended", None),
    "ritlecitinib": ("contraindicated", None),
}
DOSE_TEXT = {"baricitinib": "2 mg once daily", "tofacitinib": "11 mg once daily (xr)",
             "upadacitinib": "15 mg once daily", "filgotinib": "200 mg once daily"}


def make_assessment(**overrides: object) -> Assessment:
    findings = [
        Finding(code="TB-SCREEN-MISSING", severity="critical", drugs=[], summary="No TB screening on record.",
                detail="Screen for latent tuberculosis before starting.",
                evidence=[Missing(missing="interferon-gamma release assay"), "Patient/p1"], sources=[EMA, SMPC]),
        Finding(code="CV-RISK-AGE65", severity="warning", drugs=["upadacitinib", "tofacitinib"],
                summary="Age 65 or over with cardiovascular risk factors.", detail="",
                evidence=["Condition/htn-1", "Observation/bp-7"], sources=[EMA, FDA]),
        Finding(code="HBV-SCREEN-MISSING", severity="critical", drugs=["filgotinib"],
                summary="Hepatitis B status unknown.", detail="HBsAg and anti-HBc are needed.",
                evidence=[Missing(missing="hepatitis B surface antigen")], sources=[SMPC]),
        Finding(code="ZOSTER-VACCINE", severity="info", drugs=[], summary="Consider recombinant zoster vaccine.",
                detail="", evidence=[], sources=[EULAR, ODD]),
    ]
    values: dict[str, object] = dict(
        knowledge=KnowledgeStamp(version="2025.06.1", date="2025-06-01"),
        as_of="2025-07-15",
        region="EU",
        patient=PatientSummary(id="patient-001", age=67, sex="female"),
        indication="rheumatoid-arthritis",
        ready_to_start=False,
        drugs=[DrugAssessment(drug=d, verdict=v, dose=dose,
                              findings=sorted({f.code for f in findings if not f.drugs or d in f.drugs}))
               for d, (v, dose) in DRUGS.items()],
        findings=findings,
        actions=[
            Action(code="DO-IGRA", summary="Order an interferon-gamma release assay.", timing="before-start",
                   blocking=True),
            Action(code="DO-HBV", summary="Order hepatitis B serology.", timing="before-start", blocking=False,
                   drugs=["filgotinib"]),
            Action(code="COUNSEL-VTE", summary="Counsel about signs of thrombosis.", timing="at-start",
                   blocking=False),
            Action(code="LIPIDS-12W", summary="Check lipids at 12 weeks.", timing="after-start", blocking=False,
                   drugs=["baricitinib", "tofacitinib"]),
        ],
        monitoring=[
            MonitoringItemOut(test="Full blood count", schedule="baseline, then per routine management",
                              drugs=["baricitinib", "tofacitinib"], sources=[SMPC]),
            MonitoringItemOut(test="Lipid panel", schedule="12 weeks after start", drugs=["baricitinib"],
                              sources=[EMA, SMPC]),
        ],
        alternatives=[AlternativeOut(option="TNF inhibitor", why="No JAK-class MACE/VTE/malignancy measures.",
                                     sources=[EULAR])],
    )
    values.update(overrides)
    return Assessment.model_validate(values)


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return make_assessment()


@pytest.fixture(scope="module")
def text(assessment: Assessment) -> str:
    return render_text(assessment, color=False)


@pytest.fixture(scope="module")
def page(assessment: Assessment) -> str:
    return render_html(assessment)


def test_fixture_covers_every_verdict_and_severity(assessment: Assessment) -> None:
    assert {d.verdict for d in assessment.drugs} == set(VERDICT_ORDER)
    assert {f.severity for f in assessment.findings} == set(SEVERITY_ORDER)
    assert any(isinstance(e, Missing) for f in assessment.findings for e in f.evidence)


# ---------------------------------------------------------------- text


def test_text_header(text: str) -> None:
    assert "Region: EU (EMA)" in text
    assert "2025.06.1" in text and "2025-06-01" in text
    assert "patient-001" in text and "67" in text and "female" in text
    assert "rheumatoid-arthritis" in text
    assert "2025-07-15" in text
    assert "Ready to start: no" in text


def test_text_us_region_and_unknowns() -> None:
    out = render_text(make_assessment(region="US", indication=None, ready_to_start=True,
                                      patient=PatientSummary(id="p2", age=None, sex="unknown")), color=False)
    assert "Region: US (FDA)" in out
    assert "Indication: not specified" in out
    assert "Age: unknown" in out
    assert "Ready to start: yes" in out


def test_text_verdicts_and_doses(text: str, assessment: Assessment) -> None:
    table = text.split("Findings ─")[0]
    for d in assessment.drugs:
        row = next(line for line in table.splitlines() if d.drug in line)
        assert d.verdict in row, d.drug
        if d.drug in DOSE_TEXT:
            assert DOSE_TEXT[d.drug] in row
    assert "induction phase" in text
    assert "Note: 4 mg may be" in text


def test_text_findings_sources_and_evidence(text: str, assessment: Assessment) -> None:
    for f in assessment.findings:
        assert f.code in text
        assert f.summary in text
        for s in f.sources:
            assert s.title in text
            assert s.url in text
    assert "missing: interferon-gamma release assay" in text
    # Every source carries the grade of the copy read, right after its title and date.
    assert "EMA Article 20 JAK inhibitors, Annex IV (2023-03-10) - regulator's text (EU)" in " ".join(text.split())
    assert "Olumiant SmPC, 4.4 - secondary copy of the EU SmPC" in " ".join(text.split())
    assert "missing: hepatitis B surface antigen" in text
    assert "Observation/bp-7" in text
    assert "Annex IV" in text
    # Grouped by severity, most severe first.
    assert text.index("CRITICAL (2)") < text.index("WARNING (1)") < text.index("INFO (1)")
    assert text.index("TB-SCREEN-MISSING", text.index("CRITICAL")) < text.index("WARNING (1)")


def test_text_checklist_monitoring_alternatives(text: str) -> None:
    assert "BLOCKING" in text
    blocking_line = next(line for line in text.splitlines() if "interferon-gamma release assay." in line)
    assert "[ ]" in blocking_line and "BLOCKING" in blocking_line
    assert text.index("Before start") < text.index("At start") < text.index("After start")
    assert text.count("[ ]") == 4
    assert "Full blood count" in text and "12 weeks after start" in text
    assert "TNF inhibitor" in text and "No JAK-class MACE/VTE/malignancy measures." in text


def test_text_without_alternatives_omits_section() -> None:
    out = render_text(make_assessment(alternatives=[]), color=False)
    assert "Alternatives" not in out


def test_text_colour_is_the_callers_choice(assessment: Assessment) -> None:
    assert "\x1b[" not in render_text(assessment, color=False)
    coloured = render_text(assessment, color=True)
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render_text(assessment, color=False)


def test_text_respects_width(assessment: Assessment) -> None:
    for width in (80, 100, 140):
        out = render_text(assessment, width=width, color=False)
        assert max(len(line) for line in out.splitlines()) <= width


def test_text_is_deterministic_and_ignores_environment(assessment: Assessment,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    first = render_text(assessment)
    plain = render_text(assessment, color=False)
    for var, value in (("NO_COLOR", "1"), ("COLUMNS", "40"), ("TERM", "dumb"), ("FORCE_COLOR", "1")):
        monkeypatch.setenv(var, value)
    assert render_text(assessment) == first
    assert render_text(assessment, color=False) == plain


def test_text_does_not_interpret_markup() -> None:
    f = Finding(code="X", severity="info", drugs=[], summary="[bold red]literal[/bold red] :smile:", detail="",
                evidence=[], sources=[])
    out = render_text(make_assessment(findings=[f]), color=False)
    assert "[bold red]literal[/bold red] :smile:" in out


# ---------------------------------------------------------------- html


class TagChecker(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[int] = []
        self.source_links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def parse(page: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(page)
    checker.close()
    return checker


def test_html_parses_with_balanced_tags(page: str) -> None:
    checker = parse(page)
    assert checker.errors == []
    assert checker.stack == []
    names = [t for t, _ in checker.tags]
    for tag in ("html", "head", "body", "header", "main", "footer", "table", "section", "article"):
        assert tag in names
    assert names.count("main") == 1 and names.count("h1") == 1


def test_html_headings_in_order(page: str) -> None:
    levels = parse(page).headings
    assert levels[0] == 1
    for prev, cur in zip(levels, levels[1:], strict=False):
        assert cur <= prev + 1, levels


def test_html_table_headers_have_scope(page: str) -> None:
    ths = [attrs for tag, attrs in parse(page).tags if tag == "th"]
    assert ths and all(a.get("scope") in ("col", "row") for a in ths)


def test_html_header_meta_and_region(page: str) -> None:
    assert '<meta name="jakcheck-knowledge" content="2025.06.1">' in page
    header = page[page.index("<header"):page.index("</header>")]
    assert "Region" in header and "EU (EMA)" in header
    assert "2025.06.1" in header and "patient-001" in header and "rheumatoid-arthritis" in header
    assert "Ready to start: no" in header
    us = render_html(make_assessment(region="US", indication=None))
    assert "US (FDA)" in us and "not specified" in us


def test_html_content_matches_text_report(page: str, assessment: Assessment) -> None:
    labels = {"appropriate": "Appropriate", "caution": "Caution", "only-if-no-alternative": "Only if no alternative",
              "defer": "Defer", "not-recommended": "Not recommended", "contraindicated": "Contraindicated"}
    for d in assessment.drugs:
        row = re.search(rf'<th scope="row">{d.drug}</th>(.*?)</tr>', page, re.S)
        assert row, d.drug
        # Colour class plus a text label, never colour alone.
        assert f'class="verdict verdict-{d.verdict}"' in row.group(1)
        assert labels[d.verdict] in row.group(1)
        if d.drug in DOSE_TEXT:
            assert DOSE_TEXT[d.drug] in row.group(1)
    for f in assessment.findings:
        assert f.code in page
        for s in f.sources:
            assert s.title.replace("&", "&amp;").replace('"', "&#34;").replace("<", "&lt;").replace(">", "&gt;") \
                in page
            shown = s.grade_text.replace("'", "&#39;")
            assert f'<span class="grade grade-{s.grade}">{shown}</span>' in page
    assert "missing: interferon-gamma release assay" in page
    assert "BLOCKING" in page
    assert page.index('id="sev-critical-h"') < page.index('id="sev-warning-h"') < page.index('id="sev-info-h"')
    assert page.index('id="timing-before-start-h"') < page.index('id="timing-at-start-h"') \
        < page.index('id="timing-after-start-h"')
    assert "Full blood count" in page and "TNF inhibitor" in page
    assert 'id="alternatives"' not in render_html(make_assessment(alternatives=[]))


def test_html_is_self_contained(page: str, assessment: Assessment) -> None:
    source_urls = {s.url for f in assessment.findings for s in f.sources}
    source_urls |= {s.url for m in assessment.monitoring for s in m.sources}
    source_urls |= {s.url for a in assessment.alternatives for s in a.sources}
    hrefs = [attrs["href"] for tag, attrs in parse(page).tags if tag == "a" and attrs.get("href")]
    external = [h for h in hrefs if h and not h.startswith("#")]
    assert external and set(external) <= source_urls
    # Drop the source links; nothing else may point outside the page.
    stripped = re.sub(r'<a href="https?://[^"]*">.*?</a>', "", page, flags=re.S)
    assert "http://" not in stripped and "https://" not in stripped
    lowered = page.lower()
    for forbidden in ("<script", "<link", "@import", "url(", "<iframe", "<img", "<object", "<embed", "@font-face"):
        assert forbidden not in lowered, forbidden
    assert "<style>" in page and "@media print" in page
    assert "&#x2610;" in page  # printable checklist box


def test_html_escapes_assessment_text() -> None:
    f = Finding(code="INJ", severity="critical", drugs=[], summary=XSS, detail=f'" onmouseover="x {XSS}',
                evidence=[XSS, Missing(missing=XSS)], sources=[ODD])
    out = render_html(make_assessment(
        findings=[f], patient=PatientSummary(id=XSS, age=50, sex="male"),
        alternatives=[AlternativeOut(option=XSS, why=XSS, sources=[])]))
    assert "<script" not in out.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert '" onmouseover="' not in out
    assert "<b>markup</b>" not in out
    # A source URL that is not http(s) is shown as text, never as a link.
    assert 'href="javascript:' not in out
    assert parse(out).errors == []


def test_empty_assessment_renders() -> None:
    empty = make_assessment(drugs=[], findings=[], actions=[], monitoring=[], alternatives=[], indication=None)
    out = render_text(empty, color=False)
    for phrase in ("No drug was assessed.", "No findings.", "No actions.", "No monitoring items.", "not specified"):
        assert phrase in out
    page = render_html(empty)
    checker = parse(page)
    assert checker.errors == [] and checker.stack == []
    for phrase in ("No drug was assessed.", "No findings.", "No actions.", "No monitoring items."):
        assert phrase in page


def test_html_is_deterministic(assessment: Assessment) -> None:
    assert render_html(assessment) == render_html(assessment) == render_html(make_assessment())


def test_template_ships_as_package_data() -> None:
    assert files("jakcheck").joinpath("report/templates/report.html.j2").is_file()


# ---------------------------------------------------------------- on treatment


def on_treatment_assessment() -> Assessment:
    from jakcheck.assessment import CurrentDoseOut, CurrentTherapyOut

    base = make_assessment()
    return make_assessment(
        mode="on-treatment",
        current_therapy=CurrentTherapyOut(drug="baricitinib", dose=CurrentDoseOut(daily_amount=4),
                                          started="2025-01-10", weeks_on_treatment=26,
                                          source="MedicationRequest/bari-1"),
        drugs=[d for d in base.drugs if d.drug == "baricitinib"],
        monitoring=[
            MonitoringItemOut(test="lipids", schedule="About 12 weeks after starting.", drugs=["baricitinib"],
                              sources=[SMPC], status="overdue", due="2025-04-04", last_done="2024-12-20"),
            MonitoringItemOut(test="cbc", schedule="Baseline.", drugs=["baricitinib"], sources=[SMPC],
                              status="done", due=None, last_done="2025-07-01"),
            MonitoringItemOut(test="skin", schedule="Periodic skin examination.", drugs=["baricitinib"],
                              sources=[SMPC]),
        ])


def test_pre_treatment_reports_show_the_mode_without_therapy(text: str, page: str) -> None:
    assert "Mode: Before treatment" in text and "Current therapy" not in text
    assert "Before treatment (start decision)" in page and "current-therapy" not in page
    assert "Status:" not in text


def test_on_treatment_text_shows_therapy_and_monitoring_status() -> None:
    out = render_text(on_treatment_assessment(), color=False)
    assert "Mode: On treatment" in out
    assert "Current therapy: baricitinib 4 mg/day since 2025-01-10 (26 weeks)" in out
    assert "Ready to start" not in out  # only the current drug is assessed: nothing to start
    assert "Status: overdue (due 2025-04-04; last 2024-12-20)" in out
    assert "Status: done (last 2025-07-01)" in out
    assert out.count("Status:") == 2  # the skin item has no schedule to check


def test_on_treatment_html_shows_therapy_and_status_column() -> None:
    out = render_html(on_treatment_assessment())
    assert '<dd class="current-therapy">baricitinib 4 mg/day since 2025-01-10 (26 weeks)' in out
    assert "<code>MedicationRequest/bari-1</code>" in out
    assert '<th scope="col">Status</th>' in out
    assert '<span class="status status-overdue">overdue (due 2025-04-04; last 2024-12-20)</span>' in out
    assert "no schedule to check" in out
    assert "Ready to start" not in out
    # On treatment the monitoring status comes first, before the verdicts (issue: "monitoring status first").
    assert out.index('<h2 id="monitoring-h">Monitoring status</h2>') < out.index('<h2 id="verdicts-h">')
    assert out.count('id="monitoring"') == 1


def test_html_prints_a_summary_unless_the_full_report_is_asked_for() -> None:
    """Printed, the page is the summary (headline, verdicts and doses, checklist); `full_print` prints everything."""
    from jakcheck.engine import assess
    from jakcheck.knowledge.loader import default_knowledge
    from jakcheck.report.html import render_html
    from tests.builders import PatientBuilder

    facts = PatientBuilder().aged(71).with_condition("rheumatoid-arthritis").smoking("current").build()
    a = assess(facts, default_knowledge(), region="EU")
    summary, full = render_html(a), render_html(a, full_print=True)
    assert "body:not(.print-all) .print-full { display: none !important; }" in summary
    for section in ("findings", "scores", "alternatives", "sources", "monitoring"):
        if f'<section id="{section}"' in summary:
            assert f'<section id="{section}" class="print-full"' in summary
    assert '<body>' in summary and '<body class="print-all">' in full


def test_ready_to_start_says_the_condition_of_a_restricted_start() -> None:
    """Work-up complete but every option only if no suitable alternative: "Ready to start" is never a bare "yes"
    beside that headline, in the text and the HTML report alike."""
    from jakcheck.engine import assess
    from jakcheck.fhir.reader import read_file
    from jakcheck.knowledge.loader import default_knowledge
    from jakcheck.report.html import render_html

    k = default_knowledge()
    examples = Path(__file__).resolve().parents[2] / "examples"
    facts = read_file(examples / "ra-71-smoker-eu.json", as_of=date(2026, 11, 26), knowledge=k)
    a = assess(facts, k, region="EU")
    assert a.ready_to_start and a.headline is not None and a.headline.verdict == "only-if-no-alternative"
    assert "Ready to start: yes, only if no suitable alternative" in render_text(a, color=False)
    assert "Ready to start: yes, only if no suitable alternative</p>" in render_html(a)
