"""The cap on findings known from free text only (jakcheck.rules.text_only), on hand-made hits and patients."""

from __future__ import annotations

from dataclasses import replace

from jakcheck.engine import assess
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.facts import PatientFacts, TextMatch
from jakcheck.rules.base import ActionSpec, Context, Hit
from jakcheck.rules.text_only import cap_text_only
from tests.builders import PatientBuilder as P

RA = "rheumatoid-arthritis"


def ctx_of(facts: PatientFacts) -> Context:
    return Context(facts=facts, knowledge=default_knowledge(), region="EU", indication=RA,
                   drugs=("tofacitinib", "baricitinib"))


def with_text(facts: PatientFacts, source: str, concept: str, text: str, read_as: str = "present") -> PatientFacts:
    return replace(facts, text_matches=facts.text_matches + (TextMatch(concept, source, text, read_as),))  # type: ignore[arg-type]


def hit(verdict: str | None, *evidence: str) -> Hit:
    return Hit(code="x.test", severity="critical", summary="Something.", detail="Because.", evidence=evidence,
               cites=(), verdict=verdict, actions=(ActionSpec("do-it", "Do it.", "before-start", True),))  # type: ignore[arg-type]


BASE = P().aged(50).with_condition(RA).screened().build()
TEXT = with_text(BASE, "Condition/t1", "active-tb", "Tuberculosis")


def test_a_text_only_contraindication_becomes_defer_with_a_blocking_confirm() -> None:
    (out,) = cap_text_only(ctx_of(TEXT), [hit("contraindicated", "Condition/t1", "missing:something")])
    assert out.verdict == "defer" and out.severity == "critical"
    assert out.summary == "Text only ('Tuberculosis'), to be confirmed: Something."
    assert [a.code for a in out.actions] == ["confirm-text-active-tb"]  # the rule's own action is not asked for
    assert out.actions[0].blocking
    assert out.actions[0].summary.startswith("Record says 'Tuberculosis' (text only, Condition/t1): does it mean "
                                             "active tuberculosis?")


def test_a_text_only_defer_keeps_its_own_actions() -> None:
    (out,) = cap_text_only(ctx_of(TEXT), [hit("defer", "Condition/t1")])
    assert out.verdict == "defer" and [a.code for a in out.actions] == ["do-it", "confirm-text-active-tb"]


def test_a_milder_text_only_verdict_is_kept_with_a_confirm_that_does_not_block() -> None:
    (out,) = cap_text_only(ctx_of(TEXT), [hit("only-if-no-alternative", "Condition/t1")])
    assert out.verdict == "only-if-no-alternative" and out.severity == "warning"
    assert out.summary.startswith("Text only ('Tuberculosis')")
    assert [(a.code, a.blocking) for a in out.actions] == [("do-it", True), ("confirm-text-active-tb", False)]


def test_coded_evidence_alongside_text_leaves_the_hit_unchanged() -> None:
    h = hit("contraindicated", "Condition/t1", "Observation/coded")
    assert cap_text_only(ctx_of(TEXT), [h]) == [h]


def test_hits_without_a_verdict_or_without_text_evidence_are_unchanged() -> None:
    hits = [hit(None, "Condition/t1"), hit("contraindicated", "Condition/other"), hit("contraindicated"),
            hit("contraindicated", "missing:x")]
    assert cap_text_only(ctx_of(TEXT), hits) == hits
    assert cap_text_only(ctx_of(BASE), [hit("contraindicated", "Condition/t1")])[0].verdict == "contraindicated"


def test_a_mention_not_used_as_a_fact_caps_nothing() -> None:
    negated = with_text(BASE, "Condition/t1", "active-tb", "Denies tuberculosis", "negated")
    assert cap_text_only(ctx_of(negated), [hit("contraindicated", "Condition/t1")])[0].verdict == "contraindicated"


def test_a_history_reading_asks_whether_it_is_past() -> None:
    past = with_text(BASE, "Condition/t1", "malignancy", "History of colon cancer", "history")
    (out,) = cap_text_only(ctx_of(past), [hit("only-if-no-alternative", "Condition/t1")])
    assert "read as past malignancy other than non-melanoma skin cancer (treated or resolved)" in \
        out.actions[-1].summary


def test_a_child_pugh_score_named_in_text_is_not_capped() -> None:
    """No standard code names a Child-Pugh score: the structured value is used as it is."""
    facts = P().aged(50).with_condition(RA).screened().child_pugh("C").build()
    assert facts.child_pugh_source is not None
    facts = with_text(facts, facts.child_pugh_source, "child-pugh", "Child-Pugh score")
    coded = assess(P().aged(50).with_condition(RA).screened().child_pugh("C").build(), default_knowledge(),
                   region="EU")
    text = assess(facts, default_knowledge(), region="EU")
    assert [d.verdict for d in text.drugs] == [d.verdict for d in coded.drugs]
    assert {d.verdict for d in text.drugs} & {"not-recommended", "contraindicated"}


def test_the_engine_caps_a_condition_recognised_from_text() -> None:
    b = P().aged(50).with_condition(RA).screened().with_condition("active-tb")
    facts = b.build()
    tb = next(c for c in facts.conditions if c.concept == "active-tb")
    facts = with_text(facts, tb.source, "active-tb", "TB")
    a = assess(facts, default_knowledge(), region="EU")
    assert {d.verdict for d in a.drugs} == {"defer"}
    assert any(x.code == "confirm-text-active-tb" and x.blocking for x in a.actions)
