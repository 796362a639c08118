"""Tuberculosis: active TB, latent TB, screening before start.

Every JAK inhibitor label: evaluate and test for active and latent TB before starting; do not start in active
TB; treat latent TB before starting. Missing screening is a finding, never a pass.
"""

from __future__ import annotations

from datetime import timedelta

from jakcheck.patient.derived import conditions, latest_result
from jakcheck.rules.base import ActionSpec, Context, Hit, label_cites, missing
from jakcheck.rules.cites import ACR_TB

TB_TESTS = ("tb-igra", "tb-skin-test")


def active_tb(ctx: Context) -> list[Hit]:
    """When active tuberculosis is on record, Then contraindicated (do not start)."""
    found = conditions(ctx.facts, "active-tb", active_only=True)
    if not found:
        return []
    return [Hit(
        code="tb.active", severity="critical", verdict="contraindicated",
        summary="Active tuberculosis: do not start.",
        detail="Active TB is a contraindication (EU) and a reason not to start (US) for every JAK inhibitor.",
        evidence=tuple(c.source for c in found), cites=label_cites(ctx, ctx.drugs) + (ACR_TB,),
        actions=(ActionSpec("treat-active-tb", "Refer for treatment of active tuberculosis.", "before-start",
                            True),),
    )]


TB_PREVENTIVE = ("isoniazid", "rifapentine", "rifampicin")


def has_tb_preventive_therapy(ctx: Context) -> list[str]:
    """Latent-TB preventive therapy (isoniazid, rifapentine, rifampicin) current or started in the past year."""
    since = ctx.facts.as_of - timedelta(days=365)
    return [m.source for m in ctx.facts.medications
            if m.concept in TB_PREVENTIVE and (m.current or (m.start is not None and m.start >= since))]


def latent_tb_untreated(ctx: Context) -> list[Hit]:
    """When latent TB is on record, or the latest TB test is positive without active TB, and no preventive
    therapy is on record, Then defer until preventive treatment has started."""
    if conditions(ctx.facts, "active-tb", active_only=True):
        return []
    latent = conditions(ctx.facts, "latent-tb", active_only=True)
    test = latest_result(ctx.facts, TB_TESTS)
    positive = test is not None and test.result == "positive"
    if not latent and not positive:
        return []
    treated = has_tb_preventive_therapy(ctx)
    if treated:
        return []
    evidence = tuple(c.source for c in latent) + ((test.source,) if test and positive else ())
    return [Hit(
        code="tb.latent-untreated", severity="critical", verdict="defer",
        summary="Latent tuberculosis without preventive therapy on record: treat before starting.",
        detail="Labels require treatment of latent TB to be started before a JAK inhibitor; exclude active TB "
               "first.",
        evidence=evidence + (missing("TB preventive therapy"),), cites=label_cites(ctx, ctx.drugs) + (ACR_TB,),
        actions=(ActionSpec("treat-latent-tb", "Exclude active TB and start latent-TB preventive therapy.",
                            "before-start", True),),
    )]


def tb_screening_missing(ctx: Context) -> list[Hit]:
    """When no TB test (IGRA or skin test) with a definite result is on record within the look-back window,
    Then defer: screening is required before start. An indeterminate result counts as not screened."""
    if conditions(ctx.facts, "active-tb", "latent-tb", active_only=True):
        return []
    days = int(ctx.threshold("tb-screen-lookback-days"))
    test = latest_result(ctx.facts, TB_TESTS, days)
    if test is not None and test.result in ("positive", "negative"):
        return []
    why = ("indeterminate result " + test.source) if test else f"no IGRA or tuberculin skin test in {days} days"
    return [Hit(
        code="tb.screening-missing", severity="critical", verdict="defer",
        summary=f"No TB screening result on record ({why}).",
        detail="Screen for active and latent tuberculosis (IGRA preferred, with history and chest X-ray as "
               "indicated) before starting.",
        evidence=((test.source,) if test else ()) + (missing(f"TB screening test within {days} days"),),
        cites=label_cites(ctx, ctx.drugs) + (ACR_TB,) + ctx.threshold_cites("tb-screen-lookback-days"),
        actions=(ActionSpec("order-igra", "Order an interferon-gamma release assay (IGRA) for TB screening.",
                            "before-start", True),),
    )]


RULES = (active_tb, latent_tb_untreated, tb_screening_missing)
