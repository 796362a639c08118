"""On-treatment thresholds: when the current JAK inhibitor must be interrupted or stopped.

Labels: interrupt the drug while a blood count is below its interruption threshold (lymphocytes, neutrophils,
haemoglobin; platelets for some drugs) and restart once it recovers; discontinue below the discontinuation
threshold. Where the label asks for confirmation by repeat testing (or a "persistent" value), a single low
value asks for a repeat test and two consecutive low values on treatment act. Every label: interrupt during
a serious infection until it is controlled.

Only values taken on or after the start count. The thresholds are the knowledge file's `interrupt`,
`reduce-or-interrupt` and `discontinue` entries; where this region's label has none verified for an analyte
but the other region's label of the same drug has, that one is applied and the finding says so (as for the
start thresholds).
"""

from __future__ import annotations

from jakcheck.assessment import Verdict
from jakcheck.knowledge.schema import LabAction, LabThreshold, Region, RegionLabel
from jakcheck.patient.derived import conditions, lab_series
from jakcheck.patient.facts import LabValue
from jakcheck.rules.base import ActionSpec, Context, Hit, class_cite, label_cites, own_or_other_region

ANALYTES = ("lymphocytes", "neutrophils", "hemoglobin", "platelets")
NAME = {"lymphocytes": "lymphocyte count", "neutrophils": "neutrophil count", "hemoglobin": "haemoglobin",
        "platelets": "platelet count"}
RANK: dict[LabAction, int] = {"do-not-initiate": 0, "reduce-or-interrupt": 1, "interrupt": 1, "discontinue": 2}
CODE = {1: "lab.interrupt-threshold", 2: "lab.discontinue-threshold"}
VERDICT: dict[int, Verdict] = {1: "defer", 2: "not-recommended"}
WHAT = {"interrupt": "interrupt", "reduce-or-interrupt": "reduce the dose or interrupt", "discontinue": "stop"}
THRESHOLD = {"interrupt": "interruption", "reduce-or-interrupt": "dose-reduction", "discontinue": "discontinuation"}


def _on_treatment_thresholds(ctx: Context, label: RegionLabel | None, analyte: str) -> list[LabThreshold]:
    if label is None or not label.authorised:
        return []
    return [t for t in label.labs if t.analyte == analyte and t.below is not None and RANK[t.action] > 0
            and ctx.applies_to_indication(t.indications)]


def treatment_thresholds(ctx: Context, drug: str, analyte: str) -> tuple[list[LabThreshold], Region | None]:
    """The label's thresholds that apply during treatment, and the other region when they were borrowed."""
    return own_or_other_region(ctx, drug, lambda label: _on_treatment_thresholds(ctx, label, analyte))


def _values_on_treatment(ctx: Context, analyte: str) -> list[LabValue]:
    start = ctx.current.start if ctx.current is not None else None
    return [v for v in lab_series(ctx.facts, analyte) if start is None or v.effective >= start]


def lab_thresholds(ctx: Context) -> list[Hit]:
    """When the latest on-treatment value of a blood count is below the current drug's interruption
    threshold, Then lab.interrupt-threshold: interrupt until it recovers (defer); below its discontinuation
    threshold, Then lab.discontinue-threshold: stop the drug (not recommended). When the label asks for
    confirmation by repeat testing and only the latest value is low, Then repeat the test first (caution);
    the previous on-treatment value also below the threshold confirms it. Sources: each label's dose
    interruption table."""
    drug = ctx.current_drug
    if drug is None:
        return []
    hits = []
    for analyte in ANALYTES:
        values = _values_on_treatment(ctx, analyte)
        if not values:
            continue
        latest, previous = values[-1], (values[-2] if len(values) > 1 else None)
        thresholds, borrowed = treatment_thresholds(ctx, drug, analyte)
        crossed = sorted((t for t in thresholds if t.below is not None and latest.value < t.below),
                         key=lambda t: (RANK[t.action], -(t.below or 0.0)), reverse=True)
        if not crossed:
            continue
        confirmed = [t for t in crossed if not t.confirm_by_repeat
                     or (previous is not None and t.below is not None and previous.value < t.below)]
        top = crossed[0]
        acting = confirmed[0] if confirmed else None
        repeat = acting is None or RANK[acting.action] < RANK[top.action]
        hits.append(_hit(ctx, drug, analyte, latest, previous, top, acting, repeat, borrowed))
    return hits


def _hit(ctx: Context, drug: str, analyte: str, latest: LabValue, previous: LabValue | None, top: LabThreshold,
         acting: LabThreshold | None, repeat: bool, borrowed: Region | None) -> Hit:
    value = f"{NAME[analyte].capitalize()} {latest.value:g} {latest.unit} on {latest.effective.isoformat()}"
    parts = []
    actions = []
    if acting is not None:
        confirmed = (f" (confirmed: {previous.value:g} on {previous.effective.isoformat()})"
                     if acting.confirm_by_repeat and previous is not None else "")
        parts.append(f"below the {THRESHOLD[acting.action]} threshold {acting.below:g} {acting.unit}{confirmed}: "
                     f"{WHAT[acting.action]} {drug}")
        actions.append(ActionSpec(f"{acting.action}-{drug}", f"{WHAT[acting.action].capitalize()} {drug} "
                                  f"({NAME[analyte]} below {acting.below:g} {acting.unit}).", "after-start", False))
    if repeat:
        parts.append(f"below the {THRESHOLD[top.action]} threshold {top.below:g} {top.unit}, which the label asks to "
                     "confirm by repeat testing: repeat the test before acting on it")
        actions.append(ActionSpec(f"repeat-{analyte}-on-treatment", f"Repeat the {NAME[analyte]} promptly to "
                                  f"confirm (label: {WHAT[top.action]} if confirmed).", "after-start", False))
    rank = RANK[top.action]
    verdict: Verdict = VERDICT[RANK[acting.action]] if acting is not None else "caution"
    note = (f" No verified {ctx.region} threshold: the {borrowed} label's verified threshold is applied as the "
            "nearest verified rule." if borrowed else "")
    notes = " ".join(t.note for t in {id(t): t for t in (top, acting) if t is not None}.values() if t.note)
    return Hit(
        code=CODE[rank], severity="critical" if acting is not None else "warning", drugs=(drug,), verdict=verdict,
        reason=f"low {NAME[analyte]}",
        summary=f"{value} is " + "; ".join(parts) + ".",
        detail=(notes + note).strip() or "Label dose interruption table.",
        evidence=(latest.source,) + ((previous.source,) if previous is not None and not repeat else ()),
        cites=tuple(top.cite) + (tuple(acting.cite) if acting is not None and acting is not top else ()),
        actions=tuple(actions),
    )


def serious_infection(ctx: Context) -> list[Hit]:
    """When an active serious infection is on record while the patient takes a JAK (or TYK2) inhibitor, Then
    infection.interrupt: interrupt the drug until the infection is controlled, then restart. Source: every
    label, warnings on serious infections; EMA 2023 / FDA 2021."""
    drug = ctx.current_drug
    if drug is None:
        return []
    found = conditions(ctx.facts, "serious-infection", active_only=True)
    if not found:
        return []
    names = ", ".join(sorted({c.display for c in found}))
    return [Hit(
        code="infection.interrupt", severity="critical", drugs=(drug,), verdict="defer",
        summary=f"Active serious infection ({names}) on {drug}: interrupt it until the infection is controlled.",
        detail="Labels advise interrupting a JAK inhibitor during a serious infection and resuming only once it "
               "is controlled; test and treat promptly, and consider opportunistic infections and TB.",
        evidence=tuple(c.source for c in found), cites=label_cites(ctx, (drug,)) + class_cite(ctx),
        actions=(ActionSpec(f"interrupt-{drug}-infection", f"Interrupt {drug} until the infection is controlled.",
                            "after-start", False),),
    )]


RULES = (lab_thresholds, serious_infection)
