"""Vaccination before a JAK inhibitor: recombinant zoster, pneumococcal, influenza; no recent live vaccine.

ACR 2022 and EULAR 2019: bring vaccinations up to date before starting immunosuppression, ideally before the
first dose; recombinant zoster vaccine (RZV, non-live) for adults on JAK inhibitors; pneumococcal and yearly
influenza vaccination. Labels: avoid live vaccines during treatment and shortly before it.

Timing of the non-live vaccines (CDC/ACIP general best practices; ACIP 2022 RZV; CDC pregnancy table): an acute
moderate or severe illness is a precaution for every vaccine, so a due vaccine is deferred until it has resolved
(the same record facts as infection.active-serious: an active serious infection); in pregnancy (current evidence
only, as for pregnancy.current) RZV and pneumococcal vaccines have no ACIP recommendation and are deferred until
after the pregnancy, while inactivated influenza vaccine is recommended in pregnancy and stays due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from jakcheck.knowledge.schema import Cite
from jakcheck.patient.derived import age_years, conditions, immunizations
from jakcheck.rules.base import ActionSpec, Context, Hit, label_cites, missing
from jakcheck.rules.cites import (
    ACIP_PRECAUTIONS,
    ACIP_RZV,
    ACIP_RZV_PREGNANCY,
    ACR_VACC,
    CDC_PREGNANCY_VACC,
    EULAR_VACC,
)
from jakcheck.rules.reproductive import is_pregnant

# Non-live vaccines with no ACIP recommendation in pregnancy (CDC pregnancy table: "no recommendation"; ACIP 2022
# for RZV: consider delaying until after pregnancy). Inactivated influenza is recommended in pregnancy: not here.
DEFER_IN_PREGNANCY = {"zoster-recombinant": (ACIP_RZV_PREGNANCY, CDC_PREGNANCY_VACC),
                      "pneumococcal": (CDC_PREGNANCY_VACC,)}


@dataclass(frozen=True)
class Deferral:
    """Why a due non-live vaccine should wait, until when, the record facts and the sources."""

    reasons: tuple[str, ...]
    until: str
    evidence: tuple[str, ...]
    cites: tuple[Cite, ...]

    @property
    def text(self) -> str:
        return "; ".join(self.reasons)


def vaccine_deferral(ctx: Context, vaccine: str) -> Deferral | None:
    """A reason to wait with a due non-live vaccine: an acute moderate or severe illness (an active serious
    infection on record, the facts of infection.active-serious), or current pregnancy for the vaccines in
    DEFER_IN_PREGNANCY. None when it can be given now."""
    reasons: list[str] = []
    untils: list[str] = []
    evidence: list[str] = []
    cites: list[Cite] = []
    acute = conditions(ctx.facts, "serious-infection", active_only=True)
    if acute:
        names = ", ".join(sorted({c.display for c in acute}))
        reasons.append(f"acute moderate or severe illness ({names}) is a precaution for every vaccine")
        untils.append("the acute illness has resolved")
        evidence.extend(c.source for c in acute)
        cites.append(ACIP_PRECAUTIONS)
    if vaccine in DEFER_IN_PREGNANCY:
        pregnant, ev = is_pregnant(ctx)
        if pregnant:
            reasons.append("pregnant: ACIP has no recommendation for this vaccine in pregnancy and advises "
                           "considering a delay")
            untils.append("after the pregnancy")
            evidence.extend(ev)
            cites.extend(DEFER_IN_PREGNANCY[vaccine])
    if not reasons:
        return None
    return Deferral(tuple(reasons), " and ".join(untils), tuple(dict.fromkeys(evidence)),
                    tuple(dict.fromkeys(cites)))


def zoster_vaccine_due(ctx: Context) -> list[Hit]:
    """When an adult has fewer than two doses of recombinant zoster vaccine on record, Then give RZV before
    start (the live zoster vaccine does not count: it is not recommended once immunosuppressed). On
    treatment, Then give it now: RZV is non-live and can be given during treatment. When an acute moderate or
    severe illness is on record or the patient is pregnant (vaccine_deferral), Then the finding says to defer the
    next dose, with the reason (ACIP general best practices: precaution; ACIP 2022: no recommendation in
    pregnancy, consider delaying)."""
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
    evidence = tuple(i.source for i in rzv + live) + (missing("recombinant zoster vaccine (CVX 187) x2"),)
    cites = (ACR_VACC, ACIP_RZV) + ctx.threshold_cites("zoster-vaccine-min-age-years")
    dose = len(rzv) + 1
    wait = vaccine_deferral(ctx, "zoster-recombinant")
    current = ctx.current_drug
    on_treatment = current is not None and current in drugs
    if wait is not None:
        return [Hit(
            code="vaccine.zoster-due", severity="warning", drugs=drugs,
            summary=(f"Recombinant zoster vaccine: {doses} of two on record - defer dose {dose} until {wait.until} "
                     f"({wait.text}).{extra}"),
            detail="RZV is non-live and recommended for adults on JAK inhibitors; give it once the reason to wait "
                   "has passed" + (", during treatment if need be." if on_treatment else
                                   ", before the first dose when the start can wait, otherwise during treatment."),
            evidence=evidence + wait.evidence, cites=cites + wait.cites,
            actions=(ActionSpec("defer-rzv", f"Recombinant zoster vaccine dose {dose} of 2: wait until "
                                f"{wait.until}.", "after-start" if on_treatment else "before-start", False),),
        )]
    if on_treatment:
        return [Hit(
            code="vaccine.zoster-due", severity="warning", drugs=drugs,
            summary=(f"Recombinant zoster vaccine still incomplete on {current}: {doses} of two on record - give it "
                     f"now.{extra}"),
            detail="RZV is non-live and can be given during JAK inhibitor treatment; zoster risk is raised on "
                   "JAK inhibitors. Two doses 2-6 months apart.",
            evidence=evidence, cites=cites,
            actions=(ActionSpec("order-rzv-on-treatment", f"Give recombinant zoster vaccine (dose {dose} "
                                "of 2) now.", "after-start", False),),
        )]
    return [Hit(
        code="vaccine.zoster-due", severity="warning", drugs=drugs,
        summary=f"Recombinant zoster vaccine: {doses} of two on record - vaccinate before start.{extra}",
        detail="RZV (Shingrix) is non-live and recommended for adults starting JAK inhibitors, whose zoster risk "
               "is raised; two doses 2-6 months apart (1-2 months when treatment is imminent).",
        evidence=evidence, cites=cites,
        actions=(ActionSpec("order-rzv", "Give recombinant zoster vaccine (dose "
                            f"{dose} of 2), ideally before the first dose.", "before-start", False),),
    )]


def pneumococcal_vaccine_due(ctx: Context) -> list[Hit]:
    """When no pneumococcal vaccine is on record, Then vaccinate (PCV20/PCV21, or PCV15 then PPSV23); defer it
    during an acute moderate or severe illness or pregnancy (vaccine_deferral), with the reason."""
    age = age_years(ctx.facts)
    if age is None or age < ctx.threshold("pneumococcal-vaccine-min-age-years"):
        return []
    if immunizations(ctx.facts, "pneumococcal"):
        return []
    cites = (ACR_VACC, EULAR_VACC) + ctx.threshold_cites("pneumococcal-vaccine-min-age-years")
    wait = vaccine_deferral(ctx, "pneumococcal")
    if wait is not None:
        return [Hit(
            code="vaccine.pneumococcal-due", severity="info",
            summary=f"No pneumococcal vaccine on record: due, but defer it until {wait.until} ({wait.text}).",
            detail="Adults on immunosuppressive therapy should receive pneumococcal vaccination (a conjugate vaccine "
                   "per current national schedule) once the reason to wait has passed.",
            evidence=(missing("pneumococcal vaccine"),) + wait.evidence, cites=cites + wait.cites,
            actions=(ActionSpec("defer-pneumococcal", f"Pneumococcal conjugate vaccine: wait until {wait.until}.",
                                "before-start", False),),
        )]
    return [Hit(
        code="vaccine.pneumococcal-due", severity="info",
        summary="No pneumococcal vaccine on record: vaccinate, ideally before start.",
        detail="Adults on immunosuppressive therapy should receive pneumococcal vaccination (a conjugate vaccine "
               "per current national schedule).",
        evidence=(missing("pneumococcal vaccine"),),
        cites=cites,
        actions=(ActionSpec("order-pneumococcal", "Give pneumococcal conjugate vaccine.", "before-start", False),),
    )]


def influenza_vaccine_due(ctx: Context) -> list[Hit]:
    """When no influenza vaccine is on record within the past year, Then vaccinate (inactivated vaccine); defer
    it during an acute moderate or severe illness (vaccine_deferral), not in pregnancy (recommended then)."""
    days = int(ctx.threshold("influenza-vaccine-lookback-days"))
    if immunizations(ctx.facts, "influenza", within_days=days):
        return []
    cites = (ACR_VACC, EULAR_VACC) + ctx.threshold_cites("influenza-vaccine-lookback-days")
    wait = vaccine_deferral(ctx, "influenza")
    if wait is not None:
        return [Hit(
            code="vaccine.influenza-due", severity="info",
            summary=(f"No influenza vaccine in the last {days} days: due, but defer it until {wait.until} "
                     f"({wait.text})."),
            detail="Yearly inactivated influenza vaccination is recommended for patients on immunosuppression "
                   "(and in pregnancy); give it once the acute illness has resolved. The live nasal vaccine should "
                   "not be used.",
            evidence=(missing(f"influenza vaccine within {days} days"),) + wait.evidence, cites=cites + wait.cites,
            actions=(ActionSpec("defer-influenza", f"Inactivated influenza vaccine: wait until {wait.until}.",
                                "before-start", False),),
        )]
    return [Hit(
        code="vaccine.influenza-due", severity="info",
        summary=f"No influenza vaccine in the last {days} days: give the seasonal inactivated vaccine.",
        detail="Yearly inactivated influenza vaccination is recommended for patients on immunosuppression; "
               "the live nasal vaccine should not be used.",
        evidence=(missing(f"influenza vaccine within {days} days"),),
        cites=cites,
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
