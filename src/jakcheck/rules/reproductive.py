"""Pregnancy, breastfeeding and contraception.

Each label states whether the drug is contraindicated or to be avoided in pregnancy and breastfeeding, and
for how long contraception is needed after the last dose. Pregnancy status of a woman of childbearing
potential is unknown unless recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from jakcheck.assessment import STOP_VERDICTS, Verdict
from jakcheck.knowledge.schema import Cite
from jakcheck.patient.derived import age_years, conditions, latest_result, pregnancy_ends
from jakcheck.patient.facts import ConditionFact, Tri
from jakcheck.rules.base import (
    ActionSpec,
    Context,
    Hit,
    missing,
    own_or_other_region,
    severity_for,
    verdict_from_action,
)

CHILDBEARING_AGES = (12, 55)  # years; used only to decide whether to counsel, never to rule out pregnancy
PLANNED = "pregnancy-planned"
EULAR_PREGNANCY = Cite(source="eular-2016-ptc-pregnancy",
                       section="Overarching principle A; point 5 (tofacitinib: avoid until further evidence)")


def is_pregnant(ctx: Context) -> tuple[bool, tuple[str, ...]]:
    """Pregnancy from current evidence: a recorded pregnancy status, an active pregnancy condition or a positive
    test in the last 30 days - unless a negative pregnancy test, a "not pregnant" status or a recorded end of
    pregnancy (delivery, termination, miscarriage, stillbirth) is dated after every piece of positive evidence.
    Positive evidence without a date is never overridden."""
    f = ctx.facts
    positive: list[tuple[date | None, str]] = []
    if f.pregnant.state == Tri.PRESENT:
        positive.append((f.pregnant.effective, f.pregnant.source or f.patient_source))
    positive += [(c.onset, c.source) for c in conditions(f, "pregnancy", active_only=True)]
    test = latest_result(f, ("pregnancy-test",), 30)
    if test and test.result == "positive":
        positive.append((test.effective, test.source))
    if not positive:
        return False, ()
    # A negative test known only from free text never clears a pregnancy (it gives no firm answer on its own).
    negatives = [r.effective for r in f.results if r.concept == "pregnancy-test" and r.result == "negative"
                 and r.matched_by == "code" and r.effective <= f.as_of]
    # A recorded delivery, termination, miscarriage or stillbirth ends the pregnancy evidence dated before it.
    negatives += [d for d, _ in pregnancy_ends(f)]
    if f.pregnant.state == Tri.ABSENT and f.pregnant.effective is not None:
        negatives.append(f.pregnant.effective)
    latest_negative = max(negatives, default=None)
    if latest_negative is not None and all(d is not None and d < latest_negative for d, _ in positive):
        return False, ()
    return True, tuple(dict.fromkeys(src for _, src in positive))


def planned_pregnancy(ctx: Context) -> list[ConditionFact]:
    """Active "planning a pregnancy" entries (concept pregnancy-planned), coded or from text."""
    return conditions(ctx.facts, PLANNED, active_only=True)


def pregnancy_context(ctx: Context) -> bool:
    """Pregnancy planned or present, or breastfeeding: the situations in which pregnancy-compatible options are
    listed first among the alternatives."""
    f = ctx.facts
    return bool(planned_pregnancy(ctx) or is_pregnant(ctx)[0] or f.lactating.state == Tri.PRESENT
                or conditions(f, "lactation", active_only=True))


def _label_hits(ctx: Context, state: Literal["pregnancy", "lactation"], evidence: tuple[str, ...]) -> list[Hit]:
    """One finding per drug whose label sets an action for pregnancy or breastfeeding."""
    code, word = ("pregnancy.current", "pregnancy") if state == "pregnancy" else ("lactation.current", "breastfeeding")
    hits = []
    for d in ctx.drugs:
        rep = ctx.label(d).reproductive
        if rep is None:
            continue
        action = rep.pregnancy if state == "pregnancy" else rep.lactation
        note = rep.pregnancy_note if state == "pregnancy" else rep.lactation_note
        if action == "no-change":
            continue
        verdict = verdict_from_action(action) or "caution"
        on_drug = ctx.is_current(d)
        stop = " and stop it" if verdict in STOP_VERDICTS else ""
        hits.append(Hit(
            code=code, severity=severity_for(verdict), drugs=(d,), verdict=verdict,
            summary=(f"{d}: {word} - {verdict.replace('-', ' ')}." if not on_drug else
                     f"{word.capitalize()} while on {d}: the label says {verdict.replace('-', ' ')} - review "
                     "treatment now."),
            detail=note or f"{word.capitalize()} per label.", evidence=evidence, cites=tuple(rep.cite),
            actions=(ActionSpec(f"{state}-review", f"Review {d} with the patient now{stop}.", "after-start",
                                False),) if on_drug else ()))
    return hits


def pregnancy(ctx: Context) -> list[Hit]:
    """When the patient is pregnant, Then apply each label's pregnancy action (contraindicated in the EU for
    most drugs; avoid / weigh in the US). On treatment, Then review the drug now (stop it where the label
    contraindicates it or does not recommend it)."""
    pregnant, ev = is_pregnant(ctx)
    return _label_hits(ctx, "pregnancy", ev) if pregnant else []


def lactation(ctx: Context) -> list[Hit]:
    """When the patient is breastfeeding, Then apply each label's lactation action."""
    f = ctx.facts
    if f.lactating.state == Tri.PRESENT:
        ev: tuple[str, ...] = (f.lactating.source or f.patient_source,)
    else:
        ev = tuple(c.source for c in conditions(f, "lactation", active_only=True))
    return _label_hits(ctx, "lactation", ev) if ev else []


def pregnancy_planned(ctx: Context) -> list[Hit]:
    """EULAR 2016 points to consider (overarching principle A): address family planning and adjust therapy before
    a planned pregnancy; tofacitinib (tsDMARDs without pregnancy data) to be avoided. Each label sets how long
    contraception is needed after the last dose (the washout before trying to conceive).
    When the record shows a pregnancy being planned (coded "wants to become pregnant" / procreative counselling, or
    the same from text) and the patient is not pregnant, Then each JAK inhibitor (or other drug whose label
    restricts pregnancy use) is only-if-no-alternative to start, with its washout (this region's label, or the
    other region's when this one gives none, named as such); on treatment, caution with a plan to stop it at
    least the washout before conception. Pregnancy-compatible options are listed among the alternatives."""
    found = planned_pregnancy(ctx)
    if not found or is_pregnant(ctx)[0] or ctx.facts.sex == "male":
        return []
    text_only = all(c.matched_by != "code" for c in found)
    hits = []
    for d in ctx.drugs:
        rep = ctx.label(d).reproductive
        restricted = rep is not None and rep.pregnancy != "no-change"
        if not restricted and not ctx.knowledge.drugs[d].jak_class:
            continue
        interval, borrowed = own_or_other_region(
            ctx, d, lambda lab: [lab.reproductive.contraception_after_last_dose]
            if lab is not None and lab.reproductive is not None and lab.reproductive.contraception_after_last_dose
            else [])
        washout = (f"at least {interval[0]} after the last dose" + (f" (the {borrowed} label's interval; this "
                   "region's label sets none that was verified)" if borrowed else "")) if interval else (
            "no interval verified in the label: check its pregnancy and contraception section")
        other = ctx.knowledge.label(d, borrowed) if borrowed else None
        other_cites = tuple(other.reproductive.cite) if other is not None and other.reproductive else ()
        on_drug = ctx.is_current(d)
        verdict: Verdict = "caution" if on_drug else "only-if-no-alternative"
        hits.append(Hit(
            code="pregnancy.planned", severity=severity_for(verdict), drugs=(d,), verdict=verdict,
            reason="pregnancy planned",
            summary=(f"Pregnancy planned{' (text only)' if text_only else ''}: {d} - washout {washout}."
                     if not on_drug else
                     f"Pregnancy planned{' (text only)' if text_only else ''} while on {d}: stop it before "
                     f"trying to conceive - washout {washout}."),
            detail=("Plan treatment before conception with a pregnancy-compatible option (see the alternatives); "
                    "a JAK inhibitor has to be stopped for the washout before trying to conceive."
                    + (f" Record says '{found[0].display}' (text only): confirm the plan." if text_only else "")),
            evidence=tuple(c.source for c in found),
            cites=(tuple(rep.cite) if rep is not None else ()) + other_cites + (EULAR_PREGNANCY,),
            actions=(ActionSpec("pregnancy-plan", "Discuss the pregnancy plan: choose a pregnancy-compatible "
                                "treatment, or stop the JAK inhibitor for its washout before trying to conceive.",
                                "after-start" if on_drug else "before-start", False),)))
    return hits


def contraception(ctx: Context) -> list[Hit]:
    """When the patient is female of childbearing age and not known to be pregnant, Then counsel on
    contraception for the label's interval after the last dose, and confirm she is not pregnant before the
    first dose."""
    f = ctx.facts
    age = age_years(f)
    # Sex other/unknown is not read as "cannot be pregnant"; the age window is wide (menopause is not recorded).
    if f.sex == "male" or age is None or not CHILDBEARING_AGES[0] <= age < CHILDBEARING_AGES[1]:
        return []
    if is_pregnant(ctx)[0] or planned_pregnancy(ctx):
        return []
    parts, cites, drugs = [], [], []
    for d in ctx.drugs:
        rep = ctx.label(d).reproductive
        if rep is None:
            continue
        drugs.append(d)
        cites.extend(rep.cite)
        interval = rep.contraception_after_last_dose
        advice = (f"contraception during treatment and {interval} after the last dose" if interval else
                  "discuss pregnancy planning and prevention (the label sets no interval)")
        parts.append(f"{d}: {advice}")
    if not drugs:
        return []
    # A "not pregnant" status counts only as recent as a test would (30 days); a statement without a date (the
    # patient card) is taken as made for this assessment.
    recent_absent = f.pregnant.state == Tri.ABSENT and (
        f.pregnant.effective is None or (f.as_of - f.pregnant.effective).days <= 30)
    status_known = (recent_absent or latest_result(f, ("pregnancy-test",), 30, coded_only=True) is not None
                    or not ctx.start_drugs())
    return [Hit(
        code="contraception.counsel", severity="info", drugs=tuple(drugs),
        summary="Woman of childbearing age: counsel on contraception" +
                ("" if status_known else "; pregnancy status not recorded - confirm before the first dose") + ".",
        detail="; ".join(parts) + ".",
        evidence=(f.patient_source,) + (() if status_known else (missing("pregnancy status or test"),)),
        cites=tuple(cites),
        actions=((ActionSpec("pregnancy-test", "Confirm the patient is not pregnant before the first dose.",
                             "before-start", False),) if not status_known else ())
        + (ActionSpec("contraception-counsel", "Counsel on effective contraception.", "at-start", False),),
    )]


RULES = (pregnancy, lactation, pregnancy_planned, contraception)
