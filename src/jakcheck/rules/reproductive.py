"""Pregnancy, breastfeeding and contraception.

Each label states whether the drug is contraindicated or to be avoided in pregnancy and breastfeeding, and
for how long contraception is needed after the last dose. Pregnancy status of a woman of childbearing
potential is unknown unless recorded.
"""

from __future__ import annotations

from typing import Literal

from jakcheck.assessment import STOP_VERDICTS
from jakcheck.patient.derived import age_years, conditions, latest_result
from jakcheck.patient.facts import Tri
from jakcheck.rules.base import ActionSpec, Context, Hit, missing, severity_for, verdict_from_action

CHILDBEARING_AGES = (12, 55)  # years; used only to decide whether to counsel, never to rule out pregnancy


def is_pregnant(ctx: Context) -> tuple[bool, tuple[str, ...]]:
    f = ctx.facts
    if f.pregnant.state == Tri.PRESENT:
        return True, (f.pregnant.source or f.patient_source,)
    preg = conditions(f, "pregnancy", active_only=True)
    test = latest_result(f, ("pregnancy-test",), 30)
    ev = tuple(c.source for c in preg) + ((test.source,) if test and test.result == "positive" else ())
    return bool(ev), ev


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


def contraception(ctx: Context) -> list[Hit]:
    """When the patient is female of childbearing age and not known to be pregnant, Then counsel on
    contraception for the label's interval after the last dose, and confirm she is not pregnant before the
    first dose."""
    f = ctx.facts
    age = age_years(f)
    # Sex other/unknown is not read as "cannot be pregnant"; the age window is wide (menopause is not recorded).
    if f.sex == "male" or age is None or not CHILDBEARING_AGES[0] <= age < CHILDBEARING_AGES[1]:
        return []
    if is_pregnant(ctx)[0]:
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
    status_known = (f.pregnant.state == Tri.ABSENT or latest_result(f, ("pregnancy-test",), 30) is not None
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


RULES = (pregnancy, lactation, contraception)
