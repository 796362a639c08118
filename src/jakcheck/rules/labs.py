"""Baseline laboratory tests and the labels' thresholds for starting.

Labels: blood counts (lymphocytes, neutrophils, haemoglobin; platelets for some drugs) and liver tests at
baseline; do not start below the drug's thresholds; lipids after start (baseline recommended); renal function
for dosing. A test that is not on record is a finding, never a pass.
"""

from __future__ import annotations

from jakcheck.knowledge.schema import LabThreshold, RegionLabel
from jakcheck.patient.derived import conditions, is_below, latest_lab, latest_value_or_bound, settles, shown_value
from jakcheck.patient.facts import LabValue
from jakcheck.rules.base import ActionSpec, Context, Hit, label_cites, missing, own_or_other_region

CBC = ("lymphocytes", "neutrophils", "hemoglobin")
CODE_FOR = {"lymphocytes": "lab.lymphopenia", "neutrophils": "lab.neutropenia", "hemoglobin": "lab.anemia",
            "platelets": "lab.thrombocytopenia"}
NAME = {"lymphocytes": "lymphocyte count", "neutrophils": "neutrophil count", "hemoglobin": "haemoglobin",
        "platelets": "platelet count"}


def _needs_platelets(ctx: Context, drugs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(d for d in drugs if any(t.analyte == "platelets" for t in ctx.label(d).labs))


def cbc_missing(ctx: Context) -> list[Hit]:
    """When any baseline blood count the labels require (lymphocytes, neutrophils, haemoglobin, and platelets
    for drugs with a platelet threshold) has no value in the window, Then defer until measured. Before a
    start only: on treatment the label schedule decides (monitoring.cbc-overdue)."""
    scope = ctx.start_scope()
    if scope is None:
        return []
    drugs = scope or ctx.drugs
    days = int(ctx.threshold("cbc-baseline-lookback-days"))
    absent = [a for a in CBC if start_count(ctx, a)[0] is None]
    plt_drugs = _needs_platelets(ctx, drugs)
    if plt_drugs and start_count(ctx, "platelets")[0] is None:
        absent.append("platelets")
    if not absent:
        return []
    return [Hit(
        code="lab.cbc-missing", severity="critical", verdict="defer", until_done=True, drugs=scope,
        summary=_incomplete_counts(ctx, absent, days),
        detail="Labels set start thresholds on lymphocyte and neutrophil counts and haemoglobin (platelets for "
               "abrocitinib and ritlecitinib); these must be known before the first dose.",
        evidence=tuple(missing(f"{a} within {days} days") for a in absent),
        cites=label_cites(ctx, drugs) + ctx.threshold_cites("cbc-baseline-lookback-days"),
        actions=(ActionSpec("order-cbc", "Order a full blood count with differential.", "before-start", True),),
    )]


def _incomplete_counts(ctx: Context, absent: list[str], days: int) -> str:
    """"no lymphocyte count, neutrophil count in 90 days", naming a count known only as a bound that leaves a start
    threshold open as such."""
    bounded = [a for a in absent if latest_value_or_bound(ctx.facts, a, days) is not None]
    unknown = [a for a in absent if a not in bounded]
    parts = []
    if unknown:
        parts.append(f"no {', '.join(NAME[a] for a in unknown)}")
    if bounded:
        parts.append(f"{', '.join(NAME[a] for a in bounded)} only as a bound that leaves a start threshold open")
    return f"Baseline blood count incomplete: {'; '.join(parts)} in {days} days."


def _thresholds_in(ctx: Context, label: RegionLabel | None, analyte: str) -> list[LabThreshold]:
    if label is None or not label.authorised:
        return []
    rules = [t for t in label.labs if t.analyte == analyte and t.below is not None
             and ctx.applies_to_indication(t.indications)]
    start = [t for t in rules if t.action == "do-not-initiate"]
    return start or [t for t in rules if t.action in ("interrupt", "reduce-or-interrupt")]


def _start_thresholds(ctx: Context, drug: str, analyte: str) -> tuple[list[LabThreshold], str | None]:
    """The label's 'do not initiate' thresholds for an analyte; where the label gives only an interruption
    threshold ('do not start or interrupt'), that one. When this region's label has no verified threshold for
    the analyte but the other region's label of the same drug has one, that verified threshold is used as the
    nearest verified rule, and the finding says so (returned region)."""
    return own_or_other_region(ctx, drug, lambda label: _thresholds_in(ctx, label, analyte))


def start_edges(ctx: Context, analyte: str) -> list[float]:
    """Every start threshold of the analyte among the drugs that would be started."""
    return [t.below for d in ctx.start_drugs() for t in _start_thresholds(ctx, d, analyte)[0] if t.below is not None]


def start_count(ctx: Context, analyte: str) -> tuple[LabValue | None, str | None]:
    """The baseline count the start thresholds are compared with: the latest value in the window, a bound
    ("< 0.5") included when it settles every start threshold of the drugs in scope (e.g. lymphocytes "< 0.5" is
    below both 0.5 and 0.75). When the latest value is a bound that leaves a start threshold open ("< 1.5"
    against 1.0), the count is unknown (None): an older measurement does not stand in for the newer result.
    Only when no start threshold compares the analyte does the latest measurement serve. Second: why the latest
    bound was set aside."""
    days = int(ctx.threshold("cbc-baseline-lookback-days"))
    lab = latest_value_or_bound(ctx.facts, analyte, days)
    if lab is None or lab.comparator is None:
        return lab, None
    edges = start_edges(ctx, analyte)
    if settles(lab, edges):
        return lab, None
    if edges:
        return None, "it does not settle the start threshold(s) " + ", ".join(f"{e:g}" for e in sorted(set(edges)))
    return latest_lab(ctx.facts, analyte, days), "no start threshold compares it"


def bound_set_aside(ctx: Context, lab: LabValue) -> str | None:
    """Why a bound ("< 0.5") in the record was not used, or None when a rule used it: only the latest baseline
    count that settles every start threshold of the drugs in scope is used."""
    if lab.concept in CODE_FOR:
        used, why = start_count(ctx, lab.concept)
        if used is lab:  # the on-treatment thresholds of the current drug compare measurements only
            return None if ctx.current_drug is None else (
                f"the start thresholds used it; the on-treatment thresholds of {ctx.current_drug} need a measurement")
        days = int(ctx.threshold("cbc-baseline-lookback-days"))
        if why is not None and latest_value_or_bound(ctx.facts, lab.concept, days) is lab:
            return why
    return "not a measurement"


def low_counts(ctx: Context) -> list[Hit]:
    """When the latest baseline count is below a drug's start threshold, Then do not start that drug
    (defer) until it recovers. Thresholds differ by drug and region, so each finding lists its drugs. Not for
    the drug the patient already takes (on-treatment thresholds apply to it)."""
    hits = []
    for analyte, code in CODE_FOR.items():
        lab = start_count(ctx, analyte)[0]
        if lab is None:
            continue
        below: list[tuple[str, LabThreshold]] = []
        borrowed_from: dict[str, str] = {}
        for d in ctx.start_drugs():
            ts, other = _start_thresholds(ctx, d, analyte)
            hit = [t for t in ts if t.below is not None and is_below(lab, t.below)]
            if hit:
                below.append((d, max(hit, key=lambda t: t.below or 0.0)))
                if other:
                    borrowed_from[d] = other
        if not below:
            continue
        per_drug = "; ".join(f"{d} < {t.below:g} {t.unit}" + (f" ({borrowed_from[d]} label)" if d in borrowed_from
                                                              else "") for d, t in below)
        note = "".join(f" No verified {ctx.region} start threshold for {d}: the {o} label's verified threshold is "
                       "applied as the nearest verified rule." for d, o in borrowed_from.items())
        hits.append(Hit(
            code=code, severity="critical", drugs=tuple(d for d, _ in below), verdict="defer",
            reason=f"low {NAME[analyte]}",
            summary=(f"{NAME[analyte].capitalize()} {shown_value(lab)} {lab.unit} on {lab.effective.isoformat()} is "
                     f"below the start threshold ({per_drug})."),
            detail=("Do not start until the value is above the label threshold; repeat the test and look for a "
                    "cause." + note),
            evidence=(lab.source,),
            cites=tuple(c for _, t in below for c in t.cite),
            actions=(ActionSpec(f"repeat-{analyte}", f"Repeat {NAME[analyte]} and investigate the cause.",
                                "before-start", True),),
        ))
    return hits


def liver_tests(ctx: Context) -> list[Hit]:
    """When no ALT or AST is on record in the window, Then ask for baseline liver tests (caution; before a
    start only - on treatment the label schedule decides). When ALT or AST is above the set multiple of the
    upper limit of normal, Then investigate before start; on treatment, investigate now and interrupt if
    drug-induced liver injury is suspected (labels)."""
    days = int(ctx.threshold("liver-baseline-lookback-days"))
    alt = latest_lab(ctx.facts, "alt", days)
    ast = latest_lab(ctx.facts, "ast", days)
    if alt is None and ast is None:
        scope = ctx.start_scope()
        if scope is None:
            return []
        return [Hit(
            code="lab.liver-missing", severity="warning", verdict="caution", drugs=scope,
            summary=f"No liver tests (ALT/AST) in {days} days: baseline liver tests are required.",
            detail="Labels ask for baseline liver enzymes and investigation of elevations (drug-induced liver "
                   "injury, viral hepatitis).",
            evidence=(missing(f"ALT or AST within {days} days"),),
            cites=label_cites(ctx, scope or ctx.drugs) + ctx.threshold_cites("liver-baseline-lookback-days"),
            actions=(ActionSpec("order-lfts", "Order liver tests (ALT, AST, bilirubin).", "before-start", False),),
        )]
    times = ctx.threshold("liver-enzymes-elevated-uln-times")
    default_uln = ctx.threshold("alt-uln-default-u-l")
    high = []
    for lab in (alt, ast):
        if lab is None:
            continue
        uln = lab.reference_high or default_uln
        if lab.value > times * uln:
            high.append((lab, uln))
    if not high:
        return []
    text = "; ".join(f"{lab.concept.upper()} {lab.value:g} U/L (> {times:g} x ULN {uln:g})" for lab, uln in high)
    current = ctx.current_drug
    if current is not None and not ctx.start_drugs():
        return [Hit(
            code="lab.liver-enzymes-elevated", severity="warning", verdict="caution",
            summary=f"Liver enzymes elevated on {current}: {text}.",
            detail="Investigate now (repeat ALT/AST with bilirubin, look for viral hepatitis, alcohol and other "
                   "drugs); labels advise interrupting the JAK inhibitor if drug-induced liver injury is "
                   "suspected, until it is excluded.",
            evidence=tuple(lab.source for lab, _ in high),
            cites=ctx.threshold_cites("liver-enzymes-elevated-uln-times") + ctx.threshold_cites(
                "alt-uln-default-u-l") + label_cites(ctx, ctx.drugs),
            actions=(ActionSpec("investigate-lfts-on-treatment", f"Investigate raised liver enzymes now; interrupt "
                                f"{current} if drug-induced liver injury is suspected.", "after-start", False),),
        )]
    return [Hit(
        code="lab.liver-enzymes-elevated", severity="warning", verdict="caution",
        summary=f"Liver enzymes elevated: {text}.",
        detail="Investigate the cause before starting; labels advise interrupting if drug-induced liver injury "
               "is suspected.",
        evidence=tuple(lab.source for lab, _ in high),
        cites=ctx.threshold_cites("liver-enzymes-elevated-uln-times") + ctx.threshold_cites("alt-uln-default-u-l")
        + label_cites(ctx, ctx.drugs),
        actions=(ActionSpec("investigate-lfts", "Investigate raised liver enzymes before start.", "before-start",
                            False),),
    )]


def renal_missing(ctx: Context) -> list[Hit]:
    """When no creatinine or eGFR is on record in the window, Then the renal dose cannot be set (caution
    for drugs whose labels adjust dose by renal function)."""
    days = int(ctx.threshold("renal-baseline-lookback-days"))
    if (latest_lab(ctx.facts, "creatinine", days) or latest_lab(ctx.facts, "egfr", days) or ctx.facts.on_dialysis
            or conditions(ctx.facts, "esrd-dialysis", active_only=True)):
        return []
    drugs = tuple(d for d in ctx.drugs if (r := ctx.label(d).renal) is not None
                  and any(b.action != "no-change" for b in r.bands))
    if not drugs:
        return []
    return [Hit(
        code="lab.renal-missing", severity="warning", drugs=drugs, verdict="caution",
        summary=f"No creatinine or eGFR in {days} days: renal dose adjustment cannot be checked.",
        detail="Several labels set the dose by creatinine clearance (Cockcroft-Gault) or eGFR.",
        evidence=(missing(f"creatinine or eGFR within {days} days"),),
        cites=label_cites(ctx, drugs) + ctx.threshold_cites("renal-baseline-lookback-days"),
        actions=(ActionSpec("order-creatinine", "Order serum creatinine (eGFR) and record weight.",
                            "before-start", False),),
    )]


def lipids_missing(ctx: Context) -> list[Hit]:
    """When no lipid panel is on record in the window, Then ask for a baseline lipid panel (the labels check
    lipids after start; a baseline is needed to compare and for cardiovascular risk). Before a start only: on
    treatment the label schedule decides (monitoring.lipids-overdue)."""
    days = int(ctx.threshold("lipids-baseline-lookback-days"))
    if any(latest_lab(ctx.facts, c, days) for c in ("cholesterol-total", "ldl", "hdl")):
        return []
    drugs = tuple(d for d in ctx.class_drugs() if not ctx.is_current(d))
    if not drugs:
        return []
    return [Hit(
        code="lab.lipids-missing", severity="info", drugs=drugs,
        summary=f"No lipid panel in {days} days: take a baseline before start.",
        detail="JAK inhibitors raise LDL and HDL cholesterol; labels check lipids weeks after start, and a "
               "baseline is needed for comparison and for cardiovascular risk assessment.",
        evidence=(missing(f"lipid panel within {days} days"),),
        cites=label_cites(ctx, drugs) + ctx.threshold_cites("lipids-baseline-lookback-days"),
        actions=(ActionSpec("order-lipids", "Order a lipid panel (total, LDL, HDL cholesterol).", "before-start",
                            False),),
    )]


RULES = (cbc_missing, low_counts, liver_tests, renal_missing, lipids_missing)
