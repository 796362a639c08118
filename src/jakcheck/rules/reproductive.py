"""Pregnancy, breastfeeding and contraception.

Each label states whether the drug is contraindicated or to be avoided in pregnancy and breastfeeding, and
for how long contraception is needed after the last dose. Pregnancy status of a woman of childbearing
potential is unknown unless recorded.
"""

from __future__ import annotations

from jakcheck.patient.derived import age_years, conditions, latest_result
from jakcheck.patient.facts import Tri
from jakcheck.rules.base import ActionSpec, Context, Hit, missing, severity_for

CHILDBEARING_AGES = (12, 50)  # years; used only to decide whether to counsel, never to rule out pregnancy


def is_pregnant(ctx: Context) -> tuple[bool, tuple[str, ...]]:
    f = ctx.facts
    if f.pregnant.state == Tri.PRESENT:
        return True, (f.pregnant.source or f.patient_source,)
    preg = conditions(f, "pregnancy", active_only=True)
    test = latest_result(f, ("pregnancy-test",), 30)
    ev = tuple(c.source for c in preg) + ((test.source,) if test and test.result == "positive" else ())
    return bool(ev), ev


def pregnancy(ctx: Context) -> list[Hit]:
    """When the patient is pregnant, Then apply each label's pregnancy action (contraindicated in the EU for
    most drugs; avoid / weigh in the US)."""
    pregnant, ev = is_pregnant(ctx)
    if not pregnant:
        return []
    hits = []
    for d in ctx.drugs:
        rep = ctx.label(d).reproductive
        if rep is None or rep.pregnancy == "no-change":
            continue
        verdict = rep.pregnancy if rep.pregnancy != "dose-adjustment" else "caution"
        hits.append(Hit(
            code="pregnancy.current", severity=severity_for(verdict), drugs=(d,), verdict=verdict,
            summary=f"{d}: pregnancy - {verdict.replace('-', ' ')}.",
            detail=rep.pregnancy_note or "Pregnancy per label.", evidence=ev, cites=tuple(rep.cite)))
    return hits


def lactation(ctx: Context) -> list[Hit]:
    """When the patient is breastfeeding, Then apply each label's lactation action."""
    f = ctx.facts
    ev: tuple[str, ...] = ()
    if f.lactating.state == Tri.PRESENT:
        ev = (f.lactating.source or f.patient_source,)
    else:
        ev = tuple(c.source for c in conditions(f, "lactation", active_only=True))
    if not ev:
        return []
    hits = []
    for d in ctx.drugs:
        rep = ctx.label(d).reproductive
        if rep is None or rep.lactation == "no-change":
            continue
        verdict = rep.lactation if rep.lactation != "dose-adjustment" else "caution"
        hits.append(Hit(
            code="lactation.current", severity=severity_for(verdict), drugs=(d,), verdict=verdict,
            summary=f"{d}: breastfeeding - {verdict.replace('-', ' ')}.",
            detail=rep.lactation_note or "Breastfeeding per label.", evidence=ev, cites=tuple(rep.cite)))
    return hits


def contraception(ctx: Context) -> list[Hit]:
    """When the patient is female of childbearing age and not known to be pregnant, Then counsel on
    contraception for the label's interval after the last dose, and confirm she is not pregnant before the
    first dose."""
    f = ctx.facts
    age = age_years(f)
    if f.sex != "female" or age is None or not CHILDBEARING_AGES[0] <= age < CHILDBEARING_AGES[1]:
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
    status_known = f.pregnant.state == Tri.ABSENT or latest_result(f, ("pregnancy-test",), 30) is not None
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
