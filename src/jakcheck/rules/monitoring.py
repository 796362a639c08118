"""On-treatment monitoring: where each label schedule of the current JAK inhibitor stands on `as_of`.

Labels schedule blood counts, lipids, liver tests and renal function at baseline and at fixed weeks after the
start (e.g. lipids about 12 weeks after starting; blood counts 4 weeks after starting, then per routine care).
Where the label states such checkpoints the knowledge file holds them (`baseline`, `after_start_weeks`,
`every_weeks`); a schedule given only as text gets no status. Resolved hepatitis B (anti-HBc positive, HBsAg
not positive) needs HBV DNA monitoring on treatment: first at the start, then at the class interval.

A check counts as done when a result is on record from its window onwards (a few days early still counts);
it is overdue once its due date plus a grace period has passed without one. The status of a test is:
`overdue` (a check is late), `due` (the next check is in its window, or nothing has been done yet), or `done`
(every check whose window has opened has a result; `due` then names the next one, or none when the label
schedules nothing more).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from jakcheck.knowledge.schema import Cite, MonitoringItem
from jakcheck.patient.derived import labs_of, latest_result
from jakcheck.rules.base import ActionSpec, Context, Hit, missing
from jakcheck.rules.cites import ACR_RA_HBV, HBV

StatusWord = Literal["done", "due", "overdue"]

ANALYTES: dict[str, tuple[str, ...]] = {
    "cbc": ("lymphocytes", "neutrophils", "hemoglobin", "platelets"),
    "lymphocytes": ("lymphocytes",),
    "neutrophils": ("neutrophils",),
    "hemoglobin": ("hemoglobin",),
    "platelets": ("platelets",),
    "lipids": ("cholesterol-total", "ldl", "hdl", "triglycerides"),
    "liver": ("alt", "ast"),
    "renal": ("creatinine", "egfr"),
    "hbv-dna": ("hbv-dna",),
}
CODE_FOR = {"cbc": "monitoring.cbc-overdue", "lymphocytes": "monitoring.cbc-overdue",
            "neutrophils": "monitoring.cbc-overdue", "hemoglobin": "monitoring.cbc-overdue",
            "platelets": "monitoring.cbc-overdue", "lipids": "monitoring.lipids-overdue",
            "liver": "monitoring.liver-overdue", "renal": "monitoring.renal-overdue",
            "hbv-dna": "monitoring.hbv-dna-overdue"}
NAME = {"cbc": "blood count", "lymphocytes": "lymphocyte count", "neutrophils": "neutrophil count",
        "hemoglobin": "haemoglobin", "platelets": "platelet count", "lipids": "lipid panel",
        "liver": "liver tests (ALT/AST)", "renal": "creatinine / eGFR", "hbv-dna": "HBV DNA"}
BASELINE_WINDOW = {"cbc": "cbc-baseline-lookback-days", "lipids": "lipids-baseline-lookback-days",
                   "liver": "liver-baseline-lookback-days", "renal": "renal-baseline-lookback-days",
                   "hbv-dna": "hbv-dna-recent-days"}
HBV_DNA_SCHEDULE = ("HBV DNA (with ALT) at the start and then every 1 to 3 months while on treatment without "
                    "antiviral prophylaxis, because anti-HBc is positive (resolved hepatitis B, with or without "
                    "anti-HBs; anti-HBs alone does not call for it).")


@dataclass(frozen=True)
class Checkpoint:
    label: str  # "baseline", "week 12", "repeat"
    opens: date  # a result from this day on counts
    due: date


@dataclass(frozen=True)
class TestStatus:
    test: str
    status: StatusWord
    due: date | None
    last_done: date | None
    evidence: tuple[str, ...]
    missed: Checkpoint | None = None  # the late checkpoint when overdue


def _events(ctx: Context, test: str) -> list[tuple[date, str]]:
    """Dates (with their resource) on which the test has a result on record, up to `as_of`."""
    wanted = set(ANALYTES[test])
    out = [(lab.effective, lab.source) for concept in wanted for lab in labs_of(ctx.facts, concept)
           if lab.effective <= ctx.facts.as_of]
    out += [(r.effective, r.source) for r in ctx.facts.results
            if r.concept in wanted and r.effective <= ctx.facts.as_of]
    return sorted(out)


def _baseline_days(ctx: Context, test: str) -> int:
    return int(ctx.threshold(BASELINE_WINDOW.get(test, "cbc-baseline-lookback-days")))


def checkpoints(ctx: Context, test: str, start: date, *, baseline: bool, after_start_weeks: list[float] | None,
                ) -> list[Checkpoint]:
    """The fixed checkpoints of a schedule (the repeat interval is applied after them)."""
    early = timedelta(days=int(ctx.threshold("monitoring-early-days")))
    out = []
    if baseline:
        out.append(Checkpoint("baseline", start - timedelta(days=_baseline_days(ctx, test)), start))
    if after_start_weeks:
        first, last = after_start_weeks[0], after_start_weeks[-1]
        name = f"week {first:g}" if first == last else f"weeks {first:g}-{last:g}"
        out.append(Checkpoint(name, start + timedelta(weeks=first) - early, start + timedelta(weeks=last)))
    return out


def schedule_status(ctx: Context, test: str, start: date, fixed: list[Checkpoint],
                    every: timedelta | None) -> TestStatus:
    as_of = ctx.facts.as_of
    grace = timedelta(days=int(ctx.threshold("monitoring-grace-days")))
    early = timedelta(days=int(ctx.threshold("monitoring-early-days")))
    events = _events(ctx, test)
    last = events[-1] if events else None
    last_done = last[0] if last else None
    evidence = (last[1],) if last else ()
    points = list(fixed)
    if every is not None:
        # Repeat checks follow the latest result from the last fixed checkpoint on (or the start).
        floor = points[-1].opens if points else start
        later = [e for e, _ in events if e >= floor]
        anchor = later[-1] if later else (points[-1].due if points else start)
        points.append(Checkpoint("repeat", anchor + every - early, anchor + every))
    done_any = False
    for cp in points:
        if any(e >= cp.opens for e, _ in events):
            done_any = True
            continue
        if as_of > cp.due + grace:
            return TestStatus(test, "overdue", cp.due, last_done, evidence, cp)
        if as_of >= cp.opens or not done_any:
            return TestStatus(test, "due", cp.due, last_done, evidence)
        return TestStatus(test, "done", cp.due, last_done, evidence)
    return TestStatus(test, "done", None, last_done, evidence)


def item_status(ctx: Context, item: MonitoringItem) -> TestStatus | None:
    """The status of a label monitoring item for the current therapy; None when the item has no checkpoints,
    the test is not one jakcheck can read, or the start date is unknown."""
    current = ctx.current
    if current is None or current.start is None or not item.has_schedule or item.test not in ANALYTES:
        return None
    fixed = checkpoints(ctx, item.test, current.start, baseline=item.baseline,
                        after_start_weeks=item.after_start_weeks)
    every = timedelta(weeks=item.every_weeks) if item.every_weeks else None
    return schedule_status(ctx, item.test, current.start, fixed, every)


def resolved_hbv(ctx: Context) -> tuple[str, ...]:
    """Evidence that hepatitis B is resolved (anti-HBc positive, HBsAg not positive); () when not shown."""
    anti_hbc = latest_result(ctx.facts, ("anti-hbc",))
    hbsag = latest_result(ctx.facts, ("hbsag",))
    if anti_hbc is None or anti_hbc.result != "positive" or (hbsag is not None and hbsag.result == "positive"):
        return ()
    return (anti_hbc.source,)


def hbv_dna_status(ctx: Context) -> TestStatus | None:
    """HBV DNA status for a patient with resolved hepatitis B on a JAK inhibitor: due at the start, then at
    the class interval after each result. None when HBV is not resolved or the start date is unknown."""
    current = ctx.current
    if current is None or current.start is None or ctx.current_drug is None or not resolved_hbv(ctx):
        return None
    fixed = checkpoints(ctx, "hbv-dna", current.start, baseline=True, after_start_weeks=None)
    every = timedelta(days=int(ctx.threshold("hbv-dna-monitoring-interval-days")))
    return schedule_status(ctx, "hbv-dna", current.start, fixed, every)


def _overdue_hit(ctx: Context, drug: str, st: TestStatus, schedule: str, cites: tuple[Cite, ...]) -> Hit:
    assert st.missed is not None
    last = f" Last result on record: {st.last_done.isoformat()}." if st.last_done else " No result on record."
    name = NAME[st.test][0].upper() + NAME[st.test][1:]
    return Hit(
        code=CODE_FOR[st.test], severity="warning", drugs=(drug,), verdict="caution",
        summary=f"{name} overdue on {drug}: the {st.missed.label} check was due on {st.missed.due.isoformat()}.{last}",
        detail=f"Label schedule: {schedule}",
        evidence=st.evidence + (missing(f"{NAME[st.test]} from {st.missed.opens.isoformat()}"),),
        cites=cites + ctx.threshold_cites("monitoring-grace-days"),
        actions=(ActionSpec(f"order-{st.test}-monitoring", f"Order {NAME[st.test]} now (monitoring on {drug}).",
                            "after-start", False),),
    )


def monitoring_overdue(ctx: Context) -> list[Hit]:
    """When a check that the current drug's label schedules (blood counts, lipids, liver tests, renal
    function) is past its due date plus the grace period with no result from its window onwards, Then
    monitoring.<test>-overdue (cbc, lipids, liver, renal) with the date it was due, and order it now.
    Sources: each label's monitoring section; grace and early-tolerance days are site defaults."""
    drug = ctx.current_drug
    if drug is None:
        return []
    hits = []
    for item in ctx.label(drug).monitoring:
        st = item_status(ctx, item)
        if st is not None and st.status == "overdue":
            hits.append(_overdue_hit(ctx, drug, st, item.schedule, tuple(item.cite)))
    return hits


def hbv_dna_overdue(ctx: Context) -> list[Hit]:
    """When the patient on a JAK inhibitor has resolved hepatitis B (anti-HBc positive, HBsAg not positive)
    and no HBV DNA result is on record from the start onwards, or the last one is older than the class
    monitoring interval plus the grace period, Then monitoring.hbv-dna-overdue: order HBV DNA now. Sources:
    labels (e.g. EU baricitinib 4.4), ACR 2021, AGA 2025 (HBV DNA and ALT every 1 to 3 months; the interval is
    the upper end, a site may shorten it)."""
    drug = ctx.current_drug
    st = hbv_dna_status(ctx)
    if drug is None or st is None or st.status != "overdue":
        return []
    label_items = [m for m in ctx.label(drug).monitoring if m.test == "hbv-dna"]
    schedule = label_items[0].schedule if label_items else HBV_DNA_SCHEDULE
    cites = tuple(dict.fromkeys(tuple(c for m in label_items for c in m.cite) + (ACR_RA_HBV, HBV)
                                + ctx.threshold_cites("hbv-dna-monitoring-interval-days")))
    hit = _overdue_hit(ctx, drug, st, schedule, cites)
    return [replace(hit, evidence=resolved_hbv(ctx) + hit.evidence,
                    actions=(ActionSpec("order-hbv-dna-monitoring", f"Order HBV DNA and ALT now (monitoring on "
                                        f"{drug}).", "after-start", False),))]


def start_date_unknown(ctx: Context) -> list[Hit]:
    """When the current JAK inhibitor has no start date on record, Then say that the monitoring schedule and
    the review triggers since the start cannot be checked, and ask for the date."""
    drug = ctx.current_drug
    if drug is None or ctx.current is None or ctx.current.start is not None:
        return []
    return [Hit(
        code="therapy.start-unknown", severity="warning", drugs=(drug,),
        summary=f"{drug} is current but its start date is not recorded: monitoring status and changes since the "
                "start cannot be checked.",
        detail="Label schedules count from the first dose; record the start date (MedicationRequest "
               "authoredOn or dosage boundsPeriod, MedicationStatement effective[x]).",
        evidence=(ctx.current.source, missing("start date of the current JAK inhibitor")),
        cites=(Cite(source=ctx.label(drug).label_source),),
        actions=(ActionSpec("record-start-date", f"Record when {drug} was started.", "after-start", False),),
    )]


RULES = (monitoring_overdue, hbv_dna_overdue, start_date_unknown)
