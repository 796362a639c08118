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
from jakcheck.rules.base import Context, Hit, class_cite, regulated_drugs, severity_for
from jakcheck.rules.cites import ORAL_SURV
from jakcheck.rules.scores import high_calculated_risk

CV_RISK_FACTORS = ("diabetes", "hypertension", "hyperlipidemia", "heart-failure", "ckd")


def cardiovascular(ctx: Context) -> list[Hit]:
    """When the record shows ASCVD (MI, stroke, coronary or peripheral arterial disease), another
    cardiovascular risk factor (diabetes, hypertension, dyslipidaemia, heart failure, CKD), or a calculated
    10-year risk at or above the threshold of the region's default model (EU: SCORE2 / SCORE2-OP, ESC 2021
    high-risk band by age: 2.5% under 50, 5% at 50-69, 7.5% from 70; US: PREVENT-ASCVD 10%, ACC/AHA 2026 "high"),
    Then (EU) only if no suitable alternative; (US) caution (boxed warning: MACE). With yes/no inputs unknown,
    the lowest possible risk must reach the threshold."""
    drugs = regulated_drugs(ctx)
    if not drugs:
        return []
    ascvd = conditions(ctx.facts, "ascvd")
    factors = conditions(ctx.facts, *CV_RISK_FACTORS, active_only=True)
    calculated = high_calculated_risk(ctx) if not ascvd else None
    if not ascvd and not factors and calculated is None:
        return []
    verdict: Verdict = "only-if-no-alternative" if ctx.region == "EU" else "caution"
    parts = []
    if ascvd:
        parts.append("atherosclerotic cardiovascular disease (" + ", ".join(sorted({c.display for c in ascvd})) + ")")
    if factors:
        parts.append("risk factors: " + ", ".join(sorted({c.display for c in factors})))
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


def venous_thromboembolism(ctx: Context) -> list[Hit]:
    """When the record shows a past or current VTE (DVT, PE), or a VTE risk factor on treatment (oestrogen
    contraception or HRT), Then use with caution (EU 2023 measures; US boxed warning on thrombosis)."""
    drugs = regulated_drugs(ctx)
    if not drugs:
        return []
    vte = conditions(ctx.facts, "vte")
    estrogen = medications_with_class(ctx.facts, "estrogen")
    if not vte and not estrogen:
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
        detail=("Thrombosis, including pulmonary embolism, occurred more often on JAK inhibitors than TNF "
                "inhibitors; prior VTE was the strongest predictor. Stop the drug and evaluate promptly if "
                "symptoms of thrombosis appear."),
        evidence=tuple(c.source for c in vte) + tuple(m.source for m in estrogen),
        cites=class_cite(ctx) + (ORAL_SURV,),
    )]


RULES = (cardiovascular, venous_thromboembolism)
