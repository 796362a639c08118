"""Infection: active serious infection, herpes zoster history, glucocorticoid dose, older adults.

Labels: do not start a JAK inhibitor during an active serious infection (interrupt until controlled).
EULAR/ACR guidance and the infection-risk literature: infection risk in inflammatory disease is driven by
disease activity and glucocorticoid dose as well as by the drug, so fear of infection must not leave a patient
on high-dose glucocorticoids with uncontrolled disease; reduce glucocorticoids, vaccinate, and screen first.
"""

from __future__ import annotations

from jakcheck.patient.derived import conditions, immunizations, prednisone_equivalent_today
from jakcheck.rules.base import ActionSpec, Context, Hit, class_cite, label_cites, missing
from jakcheck.rules.cites import ACR_VACC, ORAL_SURV
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
               "Surveillance; a previous episode does not prevent recurrence. Recombinant zoster vaccine is "
               "recommended for patients on JAK inhibitors, including after a prior episode.",
        evidence=tuple(c.source for c in found), cites=(ORAL_SURV, ACR_VACC),
    )]


def glucocorticoid_high_dose(ctx: Context) -> list[Hit]:
    """When the current systemic glucocorticoid dose is at or above the high-dose threshold (prednisone
    equivalent per day), Then flag the infection risk of the glucocorticoid itself and advise against
    withholding effective steroid-sparing therapy for fear of infection; when the latest disease-activity score
    is moderate or high as well (disease.active), the finding says so with both figures (george-gc-infection-2020,
    rabbit-score-2014, eular-2022-ra). When a current glucocorticoid has no computable dose, Then say the dose is
    unknown."""
    total, meds = prednisone_equivalent_today(ctx.facts)
    if not meds:
        return []
    limit = ctx.threshold("glucocorticoid-high-dose-mg-prednisone")
    cites = ctx.threshold_cites("glucocorticoid-high-dose-mg-prednisone")
    if total is None:
        return [Hit(
            code="glucocorticoid.dose-unknown", severity="warning",
            summary="Current systemic glucocorticoid with no computable daily dose.",
            detail="The dose instructions could not be turned into a daily prednisone-equivalent dose; check the "
                   "dose, since high-dose glucocorticoids carry their own infection risk.",
            evidence=tuple(m.source for m in meds) + (missing("glucocorticoid daily dose"),), cites=cites,
        )]
    if total < limit:
        return []
    active = active_disease(ctx)
    summary = (f"Glucocorticoid {total:g} mg/day prednisone equivalent (threshold {limit:g}): a major infection "
               "risk in its own right.")
    evidence = tuple(m.source for m in meds)
    if active is not None:
        summary = (f"Glucocorticoid {total:g} mg/day prednisone equivalent (threshold {limit:g}) with active disease "
                   f"({score_text(active)}): do not withhold effective steroid-sparing treatment for fear of "
                   "infection.")
        evidence += active.evidence
        cited = {x.source for x in cites}
        cites = cites + tuple(x for x in (GC_INFECTION, RABBIT, EULAR_RA) if x.source not in cited)
    return [Hit(
        code="glucocorticoid.high-dose", severity="warning",
        summary=summary,
        detail=("Serious-infection risk rises with glucocorticoid dose. Uncontrolled disease and glucocorticoids "
                "both raise infection risk, so concern about infection should not by itself stop effective "
                "steroid-sparing therapy; plan the glucocorticoid taper with the start of treatment."
                + (" The disease is active on the latest score: controlling it is what allows the glucocorticoid to "
                   "come down (EULAR 2022: aim at remission or low disease activity, taper glucocorticoids as "
                   "rapidly as clinically feasible), while staying on this dose keeps its own infection risk "
                   "(George 2020: hospitalised infection within a year 8.6% without glucocorticoids, 17.7% above "
                   "10 mg/day)." if active else "")),
        evidence=evidence, cites=cites,
        actions=(ActionSpec("taper-glucocorticoid", "Plan a glucocorticoid taper to the lowest effective dose "
                            "once the new therapy works.", "after-start", False),),
    )]


RULES = (active_serious_infection, herpes_zoster_history, glucocorticoid_high_dose)
