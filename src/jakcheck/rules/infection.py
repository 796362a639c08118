"""Infection: active serious infection, herpes zoster history, glucocorticoid dose, older adults.

Labels: do not start a JAK inhibitor during an active serious infection (interrupt until controlled).
EULAR/ACR guidance and the infection-risk literature: infection risk in inflammatory disease is driven by
disease activity and glucocorticoid dose as well as by the drug, so fear of infection must not leave a patient
on glucocorticoids with uncontrolled disease; reduce glucocorticoids, vaccinate, and screen first.
"""

from __future__ import annotations

from jakcheck.knowledge.schema import Cite
from jakcheck.patient.derived import conditions, immunizations, prednisone_equivalent_today
from jakcheck.rules.base import ActionSpec, Context, Hit, class_cite, label_cites, missing
from jakcheck.rules.cites import ACR_VACC, ORAL_SURV_ZOSTER
from jakcheck.rules.scores import EULAR_RA, GC_INFECTION, RABBIT, active_disease, score_text


def active_serious_infection(ctx: Context) -> list[Hit]:
    """When an active serious infection is on record, Then do not start any JAK inhibitor or TYK2 inhibitor
    until it is controlled (defer). Source: every label, warnings on serious infections. Before a start only:
    for the drug already being taken, infection.interrupt applies (rules/on_treatment.py)."""
    found = conditions(ctx.facts, "serious-infection", active_only=True)
    scope = ctx.start_scope()
    if not found or scope is None:
        return []
    names = ", ".join(sorted({c.display for c in found}))
    return [Hit(
        code="infection.active-serious", severity="critical", verdict="defer", drugs=scope,
        summary=f"Active serious infection ({names}): do not start until it has resolved.",
        detail="Labels advise against starting a JAK inhibitor in patients with an active, serious infection, "
               "including localised infections.",
        evidence=tuple(c.source for c in found), cites=label_cites(ctx, scope or ctx.drugs) + class_cite(ctx),
        actions=(ActionSpec("treat-infection", "Treat the active infection; reassess once it is controlled.",
                            "before-start", True),),
    )]


def herpes_zoster_history(ctx: Context) -> list[Hit]:
    """When herpes zoster is on record, Then note the higher zoster risk on JAK inhibitors and make sure the
    recombinant zoster vaccine is given before start."""
    found = conditions(ctx.facts, "herpes-zoster")
    drugs = ctx.class_drugs()
    if not found or not drugs:
        return []
    if len(immunizations(ctx.facts, "zoster-recombinant")) >= 2:
        advice = "two RZV doses are on record"
    elif ctx.current_drug is None:
        advice = "vaccinate with RZV before start"
    else:
        advice = "complete RZV vaccination (it is non-live and can be given on treatment)"
    return [Hit(
        code="hz.history", severity="warning", drugs=drugs, verdict="caution",
        summary=f"Herpes zoster on record: zoster risk is raised on JAK inhibitors; {advice}.",
        detail="Herpes zoster was about three times as frequent on tofacitinib as on TNF inhibitors in ORAL "
               "Surveillance (12.4% and 12.2% on 5 and 10 mg twice daily, 4.0% on a TNF inhibitor); a previous "
               "episode does not prevent recurrence. Recombinant zoster vaccine is recommended for patients on JAK "
               "inhibitors, including after a prior episode.",
        evidence=tuple(c.source for c in found), cites=(ORAL_SURV_ZOSTER, ACR_VACC),
    )]


GC_GRADIENT = ("Serious-infection risk rises with the glucocorticoid dose and is already present at low dose (George "
               "2020, Medicare: hospitalised infection within a year 8.6% without glucocorticoids, 11.0% at <=5 mg, "
               "14.4% at >5-10 mg, 17.7% above 10 mg/day; the RABBIT score adds risk from a mean 7.5-14 mg/day and "
               "more from 15 mg/day).")
GC_COUNTERWEIGHT = ("Uncontrolled disease and glucocorticoids both raise infection risk, so concern about infection "
                    "should not by itself stop effective steroid-sparing therapy: controlling the disease is what "
                    "allows the glucocorticoid to come down (EULAR 2022: aim at remission or low disease activity, "
                    "taper glucocorticoids as rapidly as clinically feasible).")


def glucocorticoid_dose(ctx: Context) -> list[Hit]:
    """EULAR dose bands (Buttgereit 2002; EULAR 2013): low <=7.5, medium >7.5 to 30, high >30 mg/day prednisone
    equivalent. When the current systemic glucocorticoid dose is above the medium-dose threshold, Then
    glucocorticoid.medium-dose (up to the high-dose threshold) or glucocorticoid.high-dose (above it): the
    glucocorticoid carries its own infection risk, with the dose gradient (george-gc-infection-2020,
    rabbit-score-2014); when the latest disease-activity score is moderate or high as well (disease.active), the
    finding says not to withhold effective steroid-sparing treatment for fear of infection (eular-2022-ra). At a
    low dose (<=7.5) there is no band finding: disease.active carries the same counterweight when disease is active.
    When a current glucocorticoid has no computable dose, Then say the dose is unknown."""
    total, meds = prednisone_equivalent_today(ctx.facts)
    if not meds:
        return []
    medium = ctx.threshold("glucocorticoid-medium-dose-mg-prednisone")
    high = ctx.threshold("glucocorticoid-high-dose-mg-prednisone")
    if total is None:
        return [Hit(
            code="glucocorticoid.dose-unknown", severity="warning",
            summary="Current systemic glucocorticoid with no computable daily dose.",
            detail="The dose instructions could not be turned into a daily prednisone-equivalent dose; check the "
                   "dose, since glucocorticoids above low dose carry their own infection risk.",
            evidence=tuple(m.source for m in meds) + (missing("glucocorticoid daily dose"),),
            cites=ctx.threshold_cites("glucocorticoid-medium-dose-mg-prednisone"),
        )]
    if total <= medium:
        return []
    is_high = total > high
    band = (f"high dose (EULAR: above {high:g} mg/day)" if is_high else
            f"medium dose (EULAR: above {medium:g} up to {high:g} mg/day)")
    cites = _unique(ctx.threshold_cites("glucocorticoid-high-dose-mg-prednisone")
                    + ctx.threshold_cites("glucocorticoid-medium-dose-mg-prednisone"))
    active = active_disease(ctx)
    summary = (f"Glucocorticoid {total:g} mg/day prednisone equivalent, {band}: an infection risk in its own "
               "right.")
    evidence = tuple(m.source for m in meds)
    if active is not None:
        summary = (f"Glucocorticoid {total:g} mg/day prednisone equivalent, {band}, with active disease "
                   f"({score_text(active)}): do not withhold effective steroid-sparing treatment for fear of "
                   "infection.")
        evidence += active.evidence
        cites = _unique(cites + (GC_INFECTION, RABBIT, EULAR_RA))
    return [Hit(
        code="glucocorticoid.high-dose" if is_high else "glucocorticoid.medium-dose", severity="warning",
        summary=summary,
        detail=(GC_GRADIENT + " " + (GC_COUNTERWEIGHT if active else
                                     "Concern about infection should not by itself stop effective steroid-sparing "
                                     "therapy; plan the glucocorticoid taper with the start of treatment.")),
        evidence=evidence, cites=cites,
        actions=(ActionSpec("taper-glucocorticoid", "Plan a glucocorticoid taper to the lowest effective dose "
                            "once the new therapy works.", "after-start", False),),
    )]


def _unique(cites: tuple[Cite, ...]) -> tuple[Cite, ...]:
    """Cites in order, one per source (the first section named for it)."""
    return tuple({c.source: c for c in reversed(cites)}[s] for s in dict.fromkeys(c.source for c in cites))


RULES = (active_serious_infection, herpes_zoster_history, glucocorticoid_dose)
