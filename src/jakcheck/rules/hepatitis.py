"""Hepatitis B and C screening and status before start.

Labels: screen for viral hepatitis before starting; do not start in active hepatitis B or C. Patients with
chronic HBV (HBsAg positive) need hepatology input and antiviral prophylaxis; patients with resolved HBV
(HBsAg negative, anti-HBc positive) need HBV DNA monitoring for reactivation.
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
from jakcheck.rules.cites import ACR_RA_HBV, HBV, HCV


def hbv_status(ctx: Context) -> list[Hit]:
    """When HBsAg is positive or chronic hepatitis B is on record, Then defer (hepatology, antiviral
    prophylaxis). When HBsAg is negative and anti-HBc positive, or resolved HBV is on record, Then monitor
    HBV DNA. When HBsAg or anti-HBc is missing, Then defer until screened; on treatment (nothing from the
    window before the start onwards), Then screen now (caution)."""
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
        hits = [Hit(
            code="hbv.resolved", severity="warning", verdict="caution",
            summary=("Resolved hepatitis B (anti-HBc positive, HBsAg negative): monitor HBV DNA."
                     if hbsag is not None and hbsag.result == "negative" else
                     "Anti-HBc positive and HBsAg not known negative: exclude chronic hepatitis B, then monitor "
                     "HBV DNA."),
            detail="Check HBV DNA before start and monitor it on treatment; refer if it becomes detectable.",
            evidence=ev, cites=cites,
            actions=(ActionSpec("order-hbv-dna", "Order HBV DNA before start and plan monitoring.",
                                "before-start", False),),
        )]
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


def _hbv_absent(ctx: Context, days: int) -> tuple[str, ...]:
    recent_sag = latest_result(ctx.facts, ("hbsag",), days)
    recent_hbc = latest_result(ctx.facts, ("anti-hbc",), days)
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
    """The latest HCV RNA result: a coded detected/not detected answer, or a viral load (above 0 = detected)."""
    coded = latest_result(ctx.facts, ("hcv-rna",))
    load = latest_lab(ctx.facts, "hcv-rna")
    if load is not None and (coded is None or load.effective > coded.effective):
        return CodedResult("hcv-rna", "positive" if load.value > 0 else "negative", load.effective, load.source,
                           load.original)
    return coded


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
    recent = latest_result(ctx.facts, ("anti-hcv", "hcv-rna"), days)
    rna = hcv_rna(ctx)
    if recent is None and rna is not None and rna.effective >= ctx.facts.as_of - timedelta(days=days):
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
