"""Scores in the text and HTML reports."""

from __future__ import annotations

from jakcheck.assessment import Assessment
from jakcheck.engine import assess
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.report import render_html, render_text
from jakcheck.settings import Settings
from tests.builders import PatientBuilder as P


def scored() -> Assessment:
    """RA at 62 with every cardiovascular input except whether she takes an antihypertensive, and a joint
    assessment: SCORE2 is calculated, PREVENT given as a range."""
    facts = (P().aged(62).with_condition("rheumatoid-arthritis").screened().with_lab("systolic-bp", 140, days_ago=5)
             .with_lab("bmi", 27, days_ago=5).stating_absent("statin", "diabetes")
             .with_joint_assessment(tender=8, swollen=6, patient_global=7, evaluator_global=6, esr=38).build())
    return assess(facts, default_knowledge(), region="EU", settings=Settings(score2_risk_region="moderate"))


def test_text_report_shows_scores() -> None:
    text = render_text(scored(), color=False, width=120)
    section = text[text.index("Scores"):text.index("Monitoring plan")]
    assert "(moderate risk region) [region default]" in section
    assert "10-year CVD risk" in section
    assert "depending on on_antihypertensive (not stated in the record)" in section
    assert "DAS28-ESR (4 variables): score 5.80 (high)" in section
    assert "CDAI: score 27.00 (high)" in section
    assert "EULAR rheumatoid arthritis factor x1.5" in section
    assert "Missing: on_antihypertensive" in section


def test_html_report_shows_scores() -> None:
    html = render_html(scored())
    assert '<a href="#scores">Scores</a>' in html
    body = html[html.index('<section id="scores"'):html.index('<section id="monitoring"')]
    assert "(region default)" in body and "DAS28-ESR (4 variables)" in body
    assert "score 5.80 (high)" in body and "<strong>Missing:</strong> on_antihypertensive" in body
    assert "https://doi.org/10.1093/eurheartj/ehab309" in body  # SCORE2 paper


def test_no_scores_section_without_scores() -> None:
    a = scored().model_copy(update={"scores": []})
    assert 'id="scores"' not in render_html(a)
    assert "\nScores " not in render_text(a, color=False)
