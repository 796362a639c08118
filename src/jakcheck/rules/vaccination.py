"""Vaccination before a JAK inhibitor: recombinant zoster, pneumococcal, influenza; no recent live vaccine.

ACR 2022 and EULAR 2019: bring vaccinations up to date before starting immunosuppression, ideally before the
first dose; recombinant zoster vaccine (RZV, non-live) for adults on JAK inhibitors; pneumococcal and yearly
influenza vaccination. Labels: avoid live vaccines during treatment and shortly before it.
"""

from __future__ import annotations

from datetime import timedelta

from jakcheck.patient.derived import age_years, immunizations
from jakcheck.rules.base import ActionSpec, Context, Hit, label_cites, missing
from jakcheck.rules.cites import ACIP_RZV, ACR_VACC, EULAR_VACC


def zoster_vaccine_due(ctx: Context) -> list[Hit]:
    """When an adult has fewer than two doses of recombinant zoster vaccine on record, Then give RZV before
    start (the live zoster vaccine does not count: it is not recommended once immunosuppressed). On
    treatment, Then give it now: RZV is non-live and can be given during treatment."""
    drugs = ctx.class_drugs()
    age = age_years(ctx.facts)
    if not drugs or age is None or age < ctx.threshold("zoster-vaccine-min-age-years"):
        return []
    rzv = immunizations(ctx.facts, "zoster-recombinant")
    if len(rzv) >= 2:
        return []
    live = immunizations(ctx.facts, "zoster-live")
    doses = "one dose" if rzv else "no dose"
    extra = " A live zoster vaccine on record does not replace RZV." if live else ""
    current = ctx.current_drug
    if current is not None and current in drugs:
        return [Hit(
            code="vaccine.zoster-due", severity="warning", drugs=drugs,
            summary=(f"Recombinant zoster vaccine still incomplete on {current}: {doses} of two on record - give it "
                     f"now.{extra}"),
            detail="RZV is non-live and can be given during JAK inhibitor treatment; zoster risk is raised on "
                   "JAK inhibitors. Two doses 2-6 months apart.",
            evidence=tuple(i.source for i in rzv + live) + (missing("recombinant zoster vaccine (CVX 187) x2"),),
            cites=(ACR_VACC, ACIP_RZV) + ctx.threshold_cites("zoster-vaccine-min-age-years"),
            actions=(ActionSpec("order-rzv-on-treatment", f"Give recombinant zoster vaccine (dose {len(rzv) + 1} "
                                "of 2) now.", "after-start", False),),
        )]
    return [Hit(
        code="vaccine.zoster-due", severity="warning", drugs=drugs,
        summary=f"Recombinant zoster vaccine: {doses} of two on record - vaccinate before start.{extra}",
        detail="RZV (Shingrix) is non-live and recommended for adults starting JAK inhibitors, whose zoster risk "
               "is raised; two doses 2-6 months apart (1-2 months when treatment is imminent).",
        evidence=tuple(i.source for i in rzv + live) + (missing("recombinant zoster vaccine (CVX 187) x2"),),
        cites=(ACR_VACC, ACIP_RZV) + ctx.threshold_cites("zoster-vaccine-min-age-years"),
        actions=(ActionSpec("order-rzv", "Give recombinant zoster vaccine (dose "
                            f"{len(rzv) + 1} of 2), ideally before the first dose.", "before-start", False),),
    )]


def pneumococcal_vaccine_due(ctx: Context) -> list[Hit]:
    """When no pneumococcal vaccine is on record, Then vaccinate (PCV20/PCV21, or PCV15 then PPSV23)."""
    age = age_years(ctx.facts)
    if age is None or age < ctx.threshold("pneumococcal-vaccine-min-age-years"):
        return []
    if immunizations(ctx.facts, "pneumococcal"):
        return []
    return [Hit(
        code="vaccine.pneumococcal-due", severity="info",
        summary="No pneumococcal vaccine on record: vaccinate, ideally before start.",
        detail="Adults on immunosuppressive therapy should receive pneumococcal vaccination (a conjugate vaccine "
               "per current national schedule).",
        evidence=(missing("pneumococcal vaccine"),),
        cites=(ACR_VACC, EULAR_VACC) + ctx.threshold_cites("pneumococcal-vaccine-min-age-years"),
        actions=(ActionSpec("order-pneumococcal", "Give pneumococcal conjugate vaccine.", "before-start", False),),
    )]


def influenza_vaccine_due(ctx: Context) -> list[Hit]:
    """When no influenza vaccine is on record within the past year, Then vaccinate (inactivated vaccine)."""
    days = int(ctx.threshold("influenza-vaccine-lookback-days"))
    if immunizations(ctx.facts, "influenza", within_days=days):
        return []
    return [Hit(
        code="vaccine.influenza-due", severity="info",
        summary=f"No influenza vaccine in the last {days} days: give the seasonal inactivated vaccine.",
        detail="Yearly inactivated influenza vaccination is recommended for patients on immunosuppression; "
               "the live nasal vaccine should not be used.",
        evidence=(missing(f"influenza vaccine within {days} days"),),
        cites=(ACR_VACC, EULAR_VACC) + ctx.threshold_cites("influenza-vaccine-lookback-days"),
        actions=(ActionSpec("order-influenza", "Give inactivated influenza vaccine.", "before-start", False),),
    )]


def live_vaccine_recent(ctx: Context) -> list[Hit]:
    """When a live vaccine was given within the minimum interval before start, Then defer the start until
    the interval has passed. Before a start only (see live_vaccine_on_treatment)."""
    days = int(ctx.threshold("live-vaccine-before-start-days"))
    recent = [i for i in ctx.facts.immunizations
              if i.live and ctx.facts.as_of - timedelta(days=days) < i.occurred <= ctx.facts.as_of]
    scope = ctx.start_scope()
    if not recent or scope is None:
        return []
    last = max(recent, key=lambda i: (i.occurred, i.source))
    earliest = last.occurred + timedelta(days=days)
    return [Hit(
        code="vaccine.live-recent", severity="critical", verdict="defer", drugs=scope, until_done=True,
        summary=(f"Live vaccine ({last.display}) on {last.occurred.isoformat()}: wait until "
                 f"{earliest.isoformat()} ({days} days) before starting."),
        detail="Live attenuated vaccines should be given at least the minimum interval before a JAK inhibitor "
               "is started and not during treatment.",
        evidence=tuple(i.source for i in recent),
        cites=ctx.threshold_cites("live-vaccine-before-start-days") + label_cites(ctx, scope or ctx.drugs),
        actions=(ActionSpec("wait-live-vaccine", f"Do not start before {earliest.isoformat()}.", "before-start",
                            True),),
    )]


def live_vaccine_on_treatment(ctx: Context) -> list[Hit]:
    """When a live vaccine was given on or after the start of the current JAK inhibitor, Then flag it: labels
    advise against live vaccines during treatment; watch for infection by the vaccine strain and review the
    vaccination plan (no verdict of its own)."""
    current = ctx.current
    drug = ctx.current_drug
    if current is None or drug is None or current.start is None:
        return []
    given = [i for i in ctx.facts.immunizations if i.live and current.start <= i.occurred <= ctx.facts.as_of]
    if not given:
        return []
    names = ", ".join(f"{i.display} on {i.occurred.isoformat()}" for i in given)
    return [Hit(
        code="vaccine.live-during-treatment", severity="warning", drugs=(drug,),
        summary=f"Live vaccine given during {drug} treatment: {names}.",
        detail="Labels advise avoiding live vaccines during JAK inhibitor treatment. Watch for illness caused by "
               "the vaccine strain (e.g. varicella or zoster-like rash, fever) and plan further vaccinations "
               "with non-live vaccines or around a treatment pause.",
        evidence=tuple(i.source for i in given),
        cites=label_cites(ctx, (drug,)) + (ACR_VACC,),
        actions=(ActionSpec("review-live-vaccine", "Review the live vaccine given on treatment and watch for "
                            "vaccine-strain infection.", "after-start", False),),
    )]


RULES = (zoster_vaccine_due, pneumococcal_vaccine_due, influenza_vaccine_due, live_vaccine_recent,
         live_vaccine_on_treatment)
