"""Hepatitis B and C screening and status before start.

Labels: screen for viral hepatitis before starting; do not start in active hepatitis B or C. Patients with
chronic HBV (HBsAg positive) need hepatology input and antiviral prophylaxis; patients with resolved HBV
(HBsAg negative, anti-HBc positive, with or without anti-HBs) need antiviral prophylaxis or HBV DNA and ALT
monitoring every 1 to 3 months (AGA 2025); anti-HBs alone (vaccination) needs neither.
"""

from __future__ import annotations

from datetime import timedelta

from jakcheck.knowledge.schema import Cite
from jakcheck.patient.derived import conditions, latest_lab, latest_result
from jakcheck.patient.facts import CodedResult
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
from jakcheck.rules.cites import ACR_RA_HBV, AGA_2015_ANTI_HBS, HBV, HCV


def hbv_status(ctx: Context) -> list[Hit]:
    """When HBsAg is positive or chronic hepatitis B is on record, Then defer (hepatology, antiviral
    prophylaxis). When HBsAg is negative and anti-HBc positive (with or without anti-HBs), or resolved HBV is on
    record, Then hbv.resolved: HBV DNA before start unless an undetectable one is within the recent window
    (hbv-dna-recent-days), a detectable one defers for hepatology, and the plan is antiviral prophylaxis or HBV DNA
    and ALT every 1 to 3 months (aga-hbv-2025); on treatment the HBV DNA schedule is monitoring.hbv-dna-overdue's.
    When HBsAg or anti-HBc is missing, Then defer until screened; on treatment (nothing from the window before the
    start onwards), Then screen now (caution)."""
    days = int(ctx.threshold("hepatitis-screen-lookback-days"))
    hbsag = latest_result(ctx.facts, ("hbsag",))
    anti_hbc = latest_result(ctx.facts, ("anti-hbc",))
    chronic = conditions(ctx.facts, "hbv-chronic", active_only=True)
    cites = label_cites(ctx, ctx.drugs) + (HBV, ACR_RA_HBV)
    if chronic or (hbsag and hbsag.result == "positive"):
        ev = tuple(c.source for c in chronic) + ((hbsag.source,) if hbsag and hbsag.result == "positive" else ())
        return [Hit(
            code="hbv.chronic", severity="critical", verdict="defer",
            summary=("Chronic hepatitis B (HBsAg positive): hepatology review and antiviral prophylaxis first."
                     if ctx.current_drug is None else
                     f"HBsAg positive while on {ctx.current_drug}: refer to hepatology now (possible reactivation)."),
            detail="HBV reactivation has been reported with JAK inhibitors; labels exclude active hepatitis B.",
            evidence=ev, cites=cites,
            actions=(ActionSpec("refer-hepatology", "Refer to hepatology for HBV assessment and antiviral "
                                "prophylaxis before starting.", "before-start", True),),
        )]
    resolved = conditions(ctx.facts, "hbv-resolved")
    if resolved or (anti_hbc and anti_hbc.result == "positive"):
        ev = tuple(c.source for c in resolved) + ((anti_hbc.source,) if anti_hbc and
                                                  anti_hbc.result == "positive" else ())
        hits = [_hbv_resolved(ctx, ev, cites, hbsag_negative=hbsag is not None and hbsag.result == "negative")]
        if hbsag is None or hbsag.result != "negative":  # absent or indeterminate: not known negative
            missing_sag = _hbv_missing(("HBsAg",), days, cites)
            current = ctx.current_drug
            hits.append(missing_sag if current is None else on_treatment_variant(
                missing_sag, current, f"No HBsAg result for a patient on {current} with resolved hepatitis B.",
                ActionSpec("order-hbv-serology-on-treatment", "Order HBsAg, anti-HBc and anti-HBs now.",
                           "after-start", False)))
        return hits
    hits = []
    scope = ctx.start_scope()
    if scope is not None and (absent := _hbv_absent(ctx, days)):
        hits.append(for_start_scope(_hbv_missing(absent, days, cites), scope))
    current = ctx.current_drug
    if current is not None and (absent := _hbv_absent(ctx, window_since_start(ctx, days))):
        hits.append(on_treatment_variant(
            _hbv_missing(absent, days, cites), current,
            f"Hepatitis B screening incomplete for a patient already on {current}: no {' or '.join(absent)} "
            "result from before the start onwards.",
            ActionSpec("order-hbv-serology-on-treatment", "Order HBsAg, anti-HBc and anti-HBs now.", "after-start",
                       False)))
    return hits


HBV_PLAN = ("Either antiviral prophylaxis (AGA 2025 suggests it over monitoring at moderate reactivation risk) or "
            "HBV DNA and ALT every 1 to 3 months during treatment; agree the choice with hepatology. A positive "
            "anti-HBs does not remove the need: the AGA suggests against using anti-HBs status to guide prophylaxis, "
            "and anti-HBs alone (after vaccination, anti-HBc negative) needs no HBV DNA monitoring.")


def viral_nucleic_acid(ctx: Context, concept: str) -> CodedResult | None:
    """The latest result of a viral DNA/RNA test (`hbv-dna`, `hcv-rna`): a coded detected/not detected answer, or
    a viral load (above 0 = detected), whichever is later."""
    coded = latest_result(ctx.facts, (concept,))
    load = latest_lab(ctx.facts, concept)
    if load is not None and (coded is None or load.effective > coded.effective):
        return CodedResult(concept, "positive" if load.value > 0 else "negative", load.effective, load.source,
                           load.original)
    return coded


def hbv_dna(ctx: Context) -> CodedResult | None:
    """The latest HBV DNA result (coded answer or viral load)."""
    return viral_nucleic_acid(ctx, "hbv-dna")


def _hbv_resolved(ctx: Context, ev: tuple[str, ...], cites: tuple[Cite, ...], *, hbsag_negative: bool) -> Hit:
    """hbv.resolved: anti-HBc positive (with or without anti-HBs), HBsAg negative or not known negative.

    HBV DNA: detectable -> defer and refer (labels: consult a liver specialist); undetectable within the recent
    window -> the pre-treatment HBV DNA is done; otherwise order it before start. On treatment the HBV DNA
    schedule is monitoring.hbv-dna-overdue's, so this finding orders nothing itself."""
    plan_cites = cites + ctx.threshold_cites("hbv-dna-monitoring-interval-days") + (AGA_2015_ANTI_HBS,)
    who = ("Resolved hepatitis B (anti-HBc positive, with or without anti-HBs; HBsAg negative)" if hbsag_negative
           else "Anti-HBc positive and HBsAg not known negative (exclude chronic hepatitis B first)")
    dna = hbv_dna(ctx)
    recent_days = int(ctx.threshold("hbv-dna-recent-days"))
    current = ctx.current_drug
    if dna is not None and dna.result == "positive":
        return Hit(
            code="hbv.resolved", severity="critical", verdict="defer",
            summary=f"{who}: HBV DNA detectable on {dna.effective.isoformat()} - refer to hepatology"
                    + (" before starting." if current is None else f" now (possible reactivation on {current})."),
            detail="Labels: if HBV DNA is detected, consult a liver specialist (EU baricitinib: to decide whether "
                   "treatment should be interrupted). " + HBV_PLAN,
            evidence=ev + (dna.source,), cites=plan_cites,
            actions=(ActionSpec("refer-hepatology", "Refer to hepatology: HBV DNA detectable with anti-HBc "
                                "positive.", "before-start" if current is None else "after-start", True),),
        )
    recent = (dna is not None and dna.result == "negative"
              and dna.effective >= ctx.facts.as_of - timedelta(days=recent_days))
    if current is not None:
        return Hit(
            code="hbv.resolved", severity="warning", verdict="caution",
            summary=f"{who} on {current}: HBV DNA and ALT every 1 to 3 months, or antiviral prophylaxis.",
            detail=HBV_PLAN + " The HBV DNA schedule on treatment is shown under `monitoring`.",
            evidence=ev + ((dna.source,) if dna is not None else ()), cites=plan_cites,
        )
    if recent:
        assert dna is not None
        return Hit(
            code="hbv.resolved", severity="warning", verdict="caution",
            summary=(f"{who}: HBV DNA undetectable on {dna.effective.isoformat()} (within {recent_days} days); "
                     "plan HBV DNA and ALT every 1 to 3 months on treatment, or antiviral prophylaxis."),
            detail=HBV_PLAN,
            evidence=ev + (dna.source,), cites=plan_cites + ctx.threshold_cites("hbv-dna-recent-days"),
            actions=(ActionSpec("plan-hbv-monitoring", "Agree with hepatology: antiviral prophylaxis, or HBV DNA "
                                "and ALT every 1 to 3 months on treatment.", "before-start", False),),
        )
    last = (f" (last HBV DNA {dna.effective.isoformat()}, older than {recent_days} days)" if dna is not None
            else "")
    return Hit(
        code="hbv.resolved", severity="warning", verdict="caution",
        summary=(f"{who}: order HBV DNA before start{last}; then HBV DNA and ALT every 1 to 3 months on treatment, "
                 "or antiviral prophylaxis."),
        detail=HBV_PLAN,
        evidence=ev + ((dna.source,) if dna is not None else ()) + (missing(f"HBV DNA within {recent_days} days"),),
        cites=plan_cites + ctx.threshold_cites("hbv-dna-recent-days"),
        actions=(ActionSpec("order-hbv-dna", "Order HBV DNA (with ALT) before start; agree prophylaxis or "
                            "1- to 3-monthly monitoring with hepatology.", "before-start", False),),
    )


def _hbv_absent(ctx: Context, days: int) -> tuple[str, ...]:
    # a test named in text only never closes the screen (it may say positive: the text-only cap handles that)
    recent_sag = latest_result(ctx.facts, ("hbsag",), days, coded_only=True)
    recent_hbc = latest_result(ctx.facts, ("anti-hbc",), days, coded_only=True)
    return tuple(n for n, r in (("HBsAg", recent_sag), ("anti-HBc", recent_hbc))
                 if r is None or r.result == "indeterminate")


def _hbv_missing(absent: tuple[str, ...], days: int, cites: tuple[Cite, ...]) -> Hit:
    return Hit(
        code="hbv.screening-missing", severity="critical", verdict="defer", until_done=True,
        summary=f"Hepatitis B screening incomplete: no {' or '.join(absent)} result in {days} days.",
        detail="Screen for hepatitis B (HBsAg and anti-HBc, with anti-HBs for vaccination status) before start.",
        evidence=tuple(missing(f"{a} within {days} days") for a in absent), cites=cites,
        actions=(ActionSpec("order-hbv-serology", "Order HBsAg, anti-HBc and anti-HBs.", "before-start", True),),
    )


def hcv_rna(ctx: Context) -> CodedResult | None:
    """The latest HCV RNA result (coded answer or viral load)."""
    return viral_nucleic_acid(ctx, "hcv-rna")


def hcv_status(ctx: Context) -> list[Hit]:
    """When HCV RNA is positive or chronic hepatitis C is on record, Then defer (treat HCV first). When
    anti-HCV is positive without an HCV RNA result, Then defer until RNA is known. When anti-HCV is missing,
    Then defer until screened; on treatment (nothing from the window before the start onwards), Then screen
    now (caution)."""
    days = int(ctx.threshold("hepatitis-screen-lookback-days"))
    cites = label_cites(ctx, ctx.drugs) + (HCV,)
    chronic = conditions(ctx.facts, "hcv", active_only=True)
    rna = hcv_rna(ctx)
    anti = latest_result(ctx.facts, ("anti-hcv",))
    if chronic or (rna and rna.result == "positive"):
        ev = tuple(c.source for c in chronic) + ((rna.source,) if rna and rna.result == "positive" else ())
        return [Hit(
            code="hcv.active", severity="critical", verdict="defer",
            summary=("Active hepatitis C: treat or refer before starting." if ctx.current_drug is None else
                     f"Active hepatitis C while on {ctx.current_drug}: refer for treatment now."),
            detail="Labels exclude active hepatitis C; direct-acting antivirals cure most patients.",
            evidence=ev, cites=cites,
            actions=(ActionSpec("refer-hcv", "Refer for hepatitis C treatment.", "before-start", True),),
        )]
    if anti and anti.result == "positive" and not (rna and rna.result == "negative"
                                                   and rna.effective >= anti.effective):
        return [Hit(
            code="hcv.active", severity="critical", verdict="defer",
            summary=("Anti-HCV positive with no HCV RNA result: active infection not excluded." if rna is None else
                     "Anti-HCV positive after the last negative HCV RNA: active infection not excluded."),
            detail="A positive antibody needs an HCV RNA test to tell past from active infection.", until_done=True,
            evidence=(anti.source, missing("HCV RNA")), cites=cites,
            actions=(ActionSpec("order-hcv-rna", "Order HCV RNA.", "before-start", True),),
        )]
    hits = []
    scope = ctx.start_scope()
    if scope is not None and _hcv_absent(ctx, days):
        hits.append(for_start_scope(_hcv_missing(ctx, days, cites), scope))
    current = ctx.current_drug
    if current is not None and _hcv_absent(ctx, window_since_start(ctx, days)):
        hits.append(on_treatment_variant(
            _hcv_missing(ctx, days, cites), current,
            f"No hepatitis C screening result for a patient already on {current} (none from before the start "
            "onwards).",
            ActionSpec("order-anti-hcv-on-treatment", "Order anti-HCV antibody now.", "after-start", False)))
    return hits


def _hcv_absent(ctx: Context, days: int) -> bool:
    recent = latest_result(ctx.facts, ("anti-hcv", "hcv-rna"), days, coded_only=True)
    rna = hcv_rna(ctx)
    if recent is None and rna is not None and rna.matched_by == "code" \
            and rna.effective >= ctx.facts.as_of - timedelta(days=days):
        recent = rna
    return recent is None or recent.result == "indeterminate"


def _hcv_missing(ctx: Context, days: int, cites: tuple[Cite, ...]) -> Hit:
    return Hit(
        code="hcv.screening-missing", severity="critical", verdict="defer", until_done=True,
        summary=f"No hepatitis C screening result in {days} days.",
        detail="Screen for hepatitis C (anti-HCV, with HCV RNA if positive) before start.",
        evidence=(missing(f"anti-HCV within {days} days"),),
        cites=cites + ctx.threshold_cites("hepatitis-screen-lookback-days"),
        actions=(ActionSpec("order-anti-hcv", "Order anti-HCV antibody.", "before-start", True),),
    )


RULES = (hbv_status, hcv_status)
