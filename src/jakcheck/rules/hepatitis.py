"""Hepatitis B and C screening and status before start.

Labels: screen for viral hepatitis before starting; do not start in active hepatitis B or C. Patients with
chronic HBV (HBsAg positive) need hepatology input and antiviral prophylaxis; patients with resolved HBV
(HBsAg negative, anti-HBc positive) need HBV DNA monitoring for reactivation.
"""

from __future__ import annotations

from jakcheck.knowledge.schema import Cite
from jakcheck.patient.derived import conditions, latest_result
from jakcheck.rules.base import ActionSpec, Context, Hit, label_cites, missing
from jakcheck.rules.cites import ACR_RA_HBV, HBV, HCV


def hbv_status(ctx: Context) -> list[Hit]:
    """When HBsAg is positive or chronic hepatitis B is on record, Then defer (hepatology, antiviral
    prophylaxis). When HBsAg is negative and anti-HBc positive, or resolved HBV is on record, Then monitor
    HBV DNA. When HBsAg or anti-HBc is missing, Then defer until screened."""
    days = int(ctx.threshold("hepatitis-screen-lookback-days"))
    hbsag = latest_result(ctx.facts, ("hbsag",))
    anti_hbc = latest_result(ctx.facts, ("anti-hbc",))
    chronic = conditions(ctx.facts, "hbv-chronic", active_only=True)
    cites = label_cites(ctx, ctx.drugs) + (HBV, ACR_RA_HBV)
    if chronic or (hbsag and hbsag.result == "positive"):
        ev = tuple(c.source for c in chronic) + ((hbsag.source,) if hbsag and hbsag.result == "positive" else ())
        return [Hit(
            code="hbv.chronic", severity="critical", verdict="defer",
            summary="Chronic hepatitis B (HBsAg positive): hepatology review and antiviral prophylaxis first.",
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
            summary="Resolved hepatitis B (anti-HBc positive, HBsAg negative): monitor HBV DNA.",
            detail="Check HBV DNA before start and monitor it on treatment; refer if it becomes detectable.",
            evidence=ev, cites=cites,
            actions=(ActionSpec("order-hbv-dna", "Order HBV DNA before start and plan monitoring.",
                                "before-start", False),),
        )]
        if hbsag is None:
            hits.append(_hbv_missing(("HBsAg",), days, cites))
        return hits
    recent_sag = latest_result(ctx.facts, ("hbsag",), days)
    recent_hbc = latest_result(ctx.facts, ("anti-hbc",), days)
    absent = [n for n, r in (("HBsAg", recent_sag), ("anti-HBc", recent_hbc))
              if r is None or r.result == "indeterminate"]
    return [_hbv_missing(tuple(absent), days, cites)] if absent else []


def _hbv_missing(absent: tuple[str, ...], days: int, cites: tuple[Cite, ...]) -> Hit:
    return Hit(
        code="hbv.screening-missing", severity="critical", verdict="defer",
        summary=f"Hepatitis B screening incomplete: no {' or '.join(absent)} result in {days} days.",
        detail="Screen for hepatitis B (HBsAg and anti-HBc, with anti-HBs for vaccination status) before start.",
        evidence=tuple(missing(f"{a} within {days} days") for a in absent), cites=cites,
        actions=(ActionSpec("order-hbv-serology", "Order HBsAg, anti-HBc and anti-HBs.", "before-start", True),),
    )


def hcv_status(ctx: Context) -> list[Hit]:
    """When HCV RNA is positive or chronic hepatitis C is on record, Then defer (treat HCV first). When
    anti-HCV is positive without an HCV RNA result, Then defer until RNA is known. When anti-HCV is missing,
    Then defer until screened."""
    days = int(ctx.threshold("hepatitis-screen-lookback-days"))
    cites = label_cites(ctx, ctx.drugs) + (HCV,)
    chronic = conditions(ctx.facts, "hcv", active_only=True)
    rna = latest_result(ctx.facts, ("hcv-rna",))
    anti = latest_result(ctx.facts, ("anti-hcv",))
    if chronic or (rna and rna.result == "positive"):
        ev = tuple(c.source for c in chronic) + ((rna.source,) if rna and rna.result == "positive" else ())
        return [Hit(
            code="hcv.active", severity="critical", verdict="defer",
            summary="Active hepatitis C: treat or refer before starting.",
            detail="Labels exclude active hepatitis C; direct-acting antivirals cure most patients.",
            evidence=ev, cites=cites,
            actions=(ActionSpec("refer-hcv", "Refer for hepatitis C treatment.", "before-start", True),),
        )]
    if anti and anti.result == "positive" and not (rna and rna.result == "negative"):
        return [Hit(
            code="hcv.active", severity="critical", verdict="defer",
            summary="Anti-HCV positive with no HCV RNA result: active infection not excluded.",
            detail="A positive antibody needs an HCV RNA test to tell past from active infection.",
            evidence=(anti.source, missing("HCV RNA")), cites=cites,
            actions=(ActionSpec("order-hcv-rna", "Order HCV RNA.", "before-start", True),),
        )]
    recent = latest_result(ctx.facts, ("anti-hcv", "hcv-rna"), days)
    if recent is None or recent.result == "indeterminate":
        return [Hit(
            code="hcv.screening-missing", severity="critical", verdict="defer",
            summary=f"No hepatitis C screening result in {days} days.",
            detail="Screen for hepatitis C (anti-HCV, with HCV RNA if positive) before start.",
            evidence=(missing(f"anti-HCV within {days} days"),),
            cites=cites + ctx.threshold_cites("hepatitis-screen-lookback-days"),
            actions=(ActionSpec("order-anti-hcv", "Order anti-HCV antibody.", "before-start", True),),
        )]
    return []


RULES = (hbv_status, hcv_status)
