"""Cardiovascular and venous thromboembolism risk.

EMA 2023: patients with a history of atherosclerotic cardiovascular disease or other cardiovascular risk
factors - use a JAK inhibitor only if no suitable alternative; patients with VTE risk factors other than
those above - use with caution. FDA 2021 boxed warning: MACE and thrombosis; consider the risks in patients
with cardiovascular risk factors and avoid in patients at increased risk of thrombosis.
"""

from __future__ import annotations

from jakcheck.assessment import Verdict
from jakcheck.calculators.base import EULAR_CV_SOURCE
from jakcheck.knowledge.schema import Cite
from jakcheck.patient.derived import conditions, medications_with_class
from jakcheck.patient.facts import ConditionFact
from jakcheck.rules.base import Context, Hit, class_cite, regulated_drugs, severity_for
from jakcheck.rules.cites import ORAL_SURV, ORAL_SURV_VTE
from jakcheck.rules.scores import age_counted_elsewhere, high_calculated_risk

CV_RISK_FACTORS = ("diabetes", "hypertension", "hyperlipidemia", "heart-failure", "ckd")


def cardiovascular(ctx: Context) -> list[Hit]:
    """When the record shows ASCVD (MI, stroke, coronary or peripheral arterial disease), another
    cardiovascular risk factor (diabetes, hypertension, dyslipidaemia, heart failure, CKD), or a calculated
    10-year risk at or above the threshold of the region's default model (EU: SCORE2 / SCORE2-OP, ESC 2021
    high-risk band by age: 2.5% under 50, 5% at 50-69, 7.5% from 70; US: PREVENT-ASCVD 10%, ACC/AHA 2026 "high"),
    Then (EU) only if no suitable alternative; (US) caution (boxed warning: MACE). With yes/no inputs unknown,
    the lowest possible risk must reach the threshold. A calculated risk alone does not count from the class age
    threshold (65) on: there it is mostly age, which risk.age-65-plus already applies and names (no double
    count)."""
    drugs = regulated_drugs(ctx)
    if not drugs:
        return []
    ascvd = conditions(ctx.facts, "ascvd")
    factors = conditions(ctx.facts, *CV_RISK_FACTORS, active_only=True)
    calculated = high_calculated_risk(ctx) if not ascvd else None
    if not ascvd and not factors and age_counted_elsewhere(ctx, calculated):
        return []  # a high score with nothing else is mostly age: risk.age-65-plus counts it (and names the score)
    if not ascvd and not factors and calculated is None:
        return []
    verdict: Verdict = "only-if-no-alternative" if ctx.region == "EU" else "caution"
    parts = []
    if ascvd:
        parts.append("atherosclerotic cardiovascular disease (" + ", ".join(sorted({c.display for c in ascvd})) + ")")
    if factors:
        parts.append("risk factors: " + ", ".join(_one_name_each(ctx, factors)))
    if calculated is not None:
        parts.append(calculated.text())
    detail = ("In ORAL Surveillance the excess of MACE with tofacitinib over TNF inhibitors was concentrated in "
              "patients with a history of ASCVD. ")
    detail += ("The EMA measures restrict use in patients with ASCVD or other CV risk factors to cases without a "
               "suitable alternative." if ctx.region == "EU" else
               "The boxed warning asks prescribers to weigh MACE risk, especially in current or past smokers and "
               "patients with other CV risk factors.")
    return [Hit(
        code="risk.cardiovascular", severity=severity_for(verdict), drugs=drugs, verdict=verdict,
        reason=", ".join((["atherosclerotic cardiovascular disease"] if ascvd else [])
                         + sorted({(c.concept if c.display.isdigit() else c.display).lower().replace("-", " ")
                                   for c in factors})
                         + (["high calculated cardiovascular risk"] if calculated is not None else [])),
        summary="Increased cardiovascular risk: " + "; ".join(parts) + ".",
        detail=detail,
        evidence=tuple(c.source for c in ascvd + factors) + (calculated.score.evidence if calculated else ()),
        cites=class_cite(ctx) + (ORAL_SURV,) + (ctx.threshold_cites(calculated.threshold_key) + tuple(
            Cite(source=x) for x in calculated.score.sources if x != EULAR_CV_SOURCE) if calculated else ()),
    )]


def _one_name_each(ctx: Context, found: list[ConditionFact]) -> list[str]:
    """One name per concept, however many records express it: the record's own name when they agree, else the
    concept's label (so two codings of hypertension read "Hypertension" once)."""
    names: dict[str, set[str]] = {}
    for cond in found:
        names.setdefault(cond.concept, set()).add(cond.display)
    return sorted(next(iter(d)) if len(d) == 1 else ctx.knowledge.concept(cid).label for cid, d in names.items())


def venous_thromboembolism(ctx: Context) -> list[Hit]:
    """When the record shows a past or current VTE (DVT, PE), or a VTE risk factor on treatment (oestrogen
    contraception or HRT), Then use with caution (EU 2023 measures; US boxed warning on thrombosis). A coded VTE
    is left to the US "avoid" rule (stop_avoid.thrombosis_risk) for the drugs whose label carries that wording."""
    drugs = regulated_drugs(ctx)
    if not drugs:
        return []
    vte = conditions(ctx.facts, "vte")
    estrogen = medications_with_class(ctx.facts, "estrogen")
    avoided = {d for d in drugs if ctx.label(d).avoid_if_thrombosis_risk} if any(
        c.matched_by == "code" for c in vte) else set()
    if avoided:
        vte = [c for c in vte if c.matched_by != "code"]
        drugs = tuple(d for d in drugs if d not in avoided) if not estrogen else drugs
    if not drugs or (not vte and not estrogen):
        return []
    verdict: Verdict = "caution"
    parts = []
    if vte:
        parts.append("venous thromboembolism on record (" + ", ".join(sorted({c.display for c in vte})) + ")")
    if estrogen:
        parts.append("oestrogen-containing medicine (" + ", ".join(sorted({m.display for m in estrogen})) + ")")
    return [Hit(
        code="risk.vte", severity=severity_for(verdict), drugs=drugs, verdict=verdict,
        reason=", ".join((["past venous thromboembolism"] if vte else []) + (["oestrogen"] if estrogen else [])),
        summary="VTE risk: " + "; ".join(parts) + ".",
        detail=("Thrombosis, including pulmonary embolism, occurred more often on tofacitinib than on TNF "
                "inhibitors in ORAL Surveillance (dose-dependent: 10 mg more than 5 mg twice daily), and prior VTE "
                "was among its risk factors; regulators extended the warning to the class. Stop the drug and "
                "evaluate promptly if symptoms of thrombosis appear."),
        evidence=tuple(c.source for c in vte) + tuple(m.source for m in estrogen),
        cites=class_cite(ctx) + (ORAL_SURV_VTE,),
    )]


RULES = (cardiovascular, venous_thromboembolism)
