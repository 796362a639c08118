"""Tuberculosis: active TB, latent TB, screening before start.

Every JAK inhibitor label: evaluate and test for active and latent TB before starting; do not start in active
TB; treat latent TB before starting. Missing screening is a finding, never a pass.
"""

from __future__ import annotations

from datetime import date, timedelta

from jakcheck.patient.derived import conditions, latest_result
from jakcheck.rules.base import (
    ActionSpec,
    Context,
    Hit,
    for_start_scope,
    label_cites,
    missing,
    on_treatment_variant,
    window_since_start,
)
from jakcheck.rules.cites import ACR_TB

TB_TESTS = ("tb-igra", "tb-skin-test")


def active_tb(ctx: Context) -> list[Hit]:
    """When active tuberculosis is on record, Then contraindicated (do not start)."""
    found = conditions(ctx.facts, "active-tb", active_only=True)
    if not found:
        return []
    return [Hit(
        code="tb.active", severity="critical", verdict="contraindicated",
        summary=("Active tuberculosis: do not start." if ctx.current_drug is None else
                 f"Active tuberculosis while on {ctx.current_drug}: stop it and treat the TB."),
        detail="Active TB is a contraindication (EU) and a reason not to start (US) for every JAK inhibitor.",
        evidence=tuple(c.source for c in found), cites=label_cites(ctx, ctx.drugs) + (ACR_TB,),
        actions=(ActionSpec("treat-active-tb", "Refer for treatment of active tuberculosis.", "before-start",
                            True),),
    )]


TB_PREVENTIVE = ("isoniazid", "rifapentine", "rifampicin")


def has_tb_preventive_therapy(ctx: Context, positive_on: date | None = None) -> list[str]:
    """Latent-TB preventive therapy (isoniazid, rifapentine, rifampicin): current, started in the past year,
    or a completed course that started after (or up to 6 months before) the positive test. An IGRA stays
    positive after treatment, so a completed course clears the finding; a medicine named in text only does
    not."""
    since = ctx.facts.as_of - timedelta(days=365)
    after = positive_on - timedelta(days=183) if positive_on else ctx.facts.as_of - timedelta(days=5 * 365)
    return [m.source for m in ctx.facts.medications
            if m.concept in TB_PREVENTIVE and m.matched_by == "code" and (
                m.current or (m.start is not None and m.start >= since)
                or (m.status == "completed" and m.start is not None and m.start >= after))]


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
    treated = has_tb_preventive_therapy(ctx, test.effective if test and positive else None)
    if treated:
        return []
    evidence = tuple(c.source for c in latent) + ((test.source,) if test and positive else ())
    return [Hit(
        code="tb.latent-untreated", severity="critical", verdict="defer", until_done=True,
        summary=("Latent tuberculosis without preventive therapy on record: treat before starting."
                 if ctx.current_drug is None else
                 f"Latent tuberculosis without preventive therapy on record while on {ctx.current_drug}: exclude "
                 "active TB and start preventive therapy now."),
        detail="Labels require treatment of latent TB to be started before a JAK inhibitor; exclude active TB "
               "first.",
        evidence=evidence + (missing("TB preventive therapy"),), cites=label_cites(ctx, ctx.drugs) + (ACR_TB,),
        actions=(ActionSpec("treat-latent-tb", "Exclude active TB and start latent-TB preventive therapy.",
                            "before-start", True),),
    )]


def _tb_missing(ctx: Context, days: int, *, on_treatment: bool = False) -> Hit | None:
    coded = latest_result(ctx.facts, TB_TESTS, days, coded_only=True)
    if coded is not None and coded.result in ("positive", "negative"):
        return None
    test = latest_result(ctx.facts, TB_TESTS, days)
    lookback = int(ctx.threshold("tb-screen-lookback-days"))
    window = f"from {lookback} days before the start onwards" if on_treatment else f"in {days} days"
    why = (f"{test.source} names the test in text only" if test and test.matched_by == "text"
           and test.result in ("positive", "negative") else
           ("indeterminate result " + test.source) if test else f"no IGRA or tuberculin skin test {window}")
    return Hit(
        code="tb.screening-missing", severity="critical", verdict="defer", until_done=True,
        summary=f"No TB screening result on record ({why}).",
        detail=("Labels require screening for active and latent tuberculosis before the first dose; none is on "
                "record, so screen now and watch for active TB." if on_treatment else
                "Screen for active and latent tuberculosis (IGRA preferred, with history and chest X-ray as "
                "indicated) before starting."),
        evidence=((test.source,) if test else ()) + (missing(f"TB screening test {window}"),),
        cites=label_cites(ctx, ctx.drugs) + (ACR_TB,) + ctx.threshold_cites("tb-screen-lookback-days"),
        actions=(ActionSpec("order-igra", "Order an interferon-gamma release assay (IGRA) for TB screening.",
                            "before-start", True),),
    )


def tb_screening_missing(ctx: Context) -> list[Hit]:
    """When no TB test (IGRA or skin test) with a definite result is on record within the look-back window,
    Then defer: screening is required before start. An indeterminate result, or a test named in text only,
    counts as not screened. On
    treatment (no screen from the window before the start onwards), Then screen now (caution, not a
    deferral: the drug is already being taken)."""
    if conditions(ctx.facts, "active-tb", "latent-tb", active_only=True):
        return []
    days = int(ctx.threshold("tb-screen-lookback-days"))
    hits = []
    scope = ctx.start_scope()
    if scope is not None and (hit := _tb_missing(ctx, days)) is not None:
        hits.append(for_start_scope(hit, scope))
    current = ctx.current_drug
    if current is not None and (hit := _tb_missing(ctx, window_since_start(ctx, days),
                                                   on_treatment=True)) is not None:
        hits.append(on_treatment_variant(
            hit, current, f"No TB screening result on record for a patient already on {current}.",
            ActionSpec("order-igra-on-treatment", "Screen for TB now (IGRA; exclude active TB).", "after-start",
                       False)))
    return hits


RULES = (active_tb, latent_tb_untreated, tb_screening_missing)
