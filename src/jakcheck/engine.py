"""The engine: Patient Facts + knowledge + region -> Assessment.

It chooses the indication and the drugs to assess, runs every rule, and turns the findings into one verdict,
one dose and the reasons per drug, the checklist of actions, the monitoring plan and, where a drug may be used
only without a suitable alternative, the alternatives. The engine never reads the clock: `as_of` is in the
facts.

The engine builds the `Assessment` model itself (jakcheck.assessment, the one output definition), part by part,
so that strict type checking covers the output end to end; every surface, the population screen included,
serialises that model (`Assessment.to_json_dict`). Every part is immutable (frozen models, tuples): the source
references and missing entries come from the release (knowledge.derived) and are shared by every assessment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from jakcheck.assessment import (
    ALLOWS_START,
    HEADLINE_CONTINUE,
    HEADLINE_START,
    SEVERITY_ORDER,
    STOP_VERDICTS,
    VERDICT_ORDER,
    Action,
    AlternativeOut,
    Assessment,
    CaveatOut,
    CurrentDoseOut,
    CurrentTherapyOut,
    DoseOut,
    DrugAssessment,
    Finding,
    Headline,
    KnowledgeStamp,
    MonitoringItemOut,
    PatientIdentifierOut,
    PatientSummary,
    RAAdjustedOut,
    ScoreOut,
    SourceRef,
    Verdict,
)
from jakcheck.calculators.base import EULAR_CV_SOURCE
from jakcheck.errors import ConfigError, InputError, PatientDeceased
from jakcheck.knowledge.loader import Knowledge
from jakcheck.knowledge.schema import Cite, Dose, IndicationRule, Region
from jakcheck.patient.derived import (
    ACTIVE_WINDOWS,
    age_years,
    apply_windows,
    conditions,
    current_jak_therapy,
    latest_lab,
)
from jakcheck.patient.facts import MedicationFact, PatientFacts
from jakcheck.rules import ALL_RULES, labs, reproductive
from jakcheck.rules.base import ActionSpec, Context, Hit, Rule
from jakcheck.rules.cites import EMA_2023, FDA_2021
from jakcheck.rules.knowledge_coverage import dose_note
from jakcheck.rules.monitoring import HBV_DNA_SCHEDULE, TestStatus, hbv_dna_status, item_status
from jakcheck.rules.scores import RISK_REGIONS, Score
from jakcheck.rules.text_only import cap_text_only
from jakcheck.settings import Settings

TIMING_ORDER = ("before-start", "at-start", "after-start")
DEFAULT_SETTINGS = Settings()


def candidate_indications(facts: PatientFacts, knowledge: Knowledge) -> list[tuple[str, tuple[str, ...]]]:
    """Approved-use indications found among the patient's active conditions, with their evidence."""
    out = []
    for ind in knowledge.indications.values():
        found = conditions(facts, ind.concept, active_only=True)
        if found:
            out.append((ind.id, tuple(c.source for c in found)))
    return out


def patient_view_indications(facts: PatientFacts, knowledge: Knowledge,
                             settings: Settings) -> tuple[list[str], list[str]]:
    """The approved-use indications a patient-view card covers, and those on record it leaves out. Every one on
    record, or only the site's choice (settings.patient_view_indication) when the patient has it among several."""
    on_record = [i for i, _ in candidate_indications(facts, knowledge)]
    chosen = settings.patient_view_indication
    if chosen is not None and chosen in on_record and len(on_record) > 1:
        return [chosen], [i for i in on_record if i != chosen]
    return on_record, []


def indication_rules(knowledge: Knowledge, drug: str, region: Region, indication: str) -> list[IndicationRule]:
    lab = knowledge.label(drug, region)
    if lab is None or not lab.authorised:
        return []
    return [r for r in lab.indications if r.indication == indication]


def _age_ok(rules: Sequence[IndicationRule], age: int | None) -> list[IndicationRule]:
    return [r for r in rules if age is None or age >= r.min_age]


def choose_scope(facts: PatientFacts, knowledge: Knowledge, region: Region, indication: str | None,
                 requested: Sequence[str], current: str | None = None) -> tuple[str | None, list[str], list[Hit]]:
    """Pick the indication and the drugs to assess. Returns (indication, drugs in scope, scope findings).
    With a current JAK inhibitor (`current`), that drug is always assessed, plus any drug asked for."""
    if current is not None:
        requested = [current, *(d for d in requested if d != current)]
    hits: list[Hit] = []
    for d in requested:
        if d not in knowledge.drugs:
            raise InputError(f"unknown drug {d!r}; known: {', '.join(knowledge.drug_ids())}", field="drugs")
    if indication is not None and indication not in knowledge.indications:
        raise InputError(f"unknown indication {indication!r}; known: {', '.join(sorted(knowledge.indications))}",
                         field="indication")
    age = age_years(facts)
    chosen = indication
    candidates = candidate_indications(facts, knowledge)
    cites = (EMA_2023,) if region == "EU" else (FDA_2021,)
    if chosen is None:
        if len(candidates) == 1:
            chosen = candidates[0][0]
        else:
            names = ", ".join(c for c, _ in candidates)
            hits.append(Hit(
                code="indication.unspecified", severity="warning",
                summary=("No indication given and none recorded: doses and label limits by indication cannot be "
                         "set; choose the indication." if not candidates else
                         f"Several possible indications on record ({names}): choose the indication to set doses."),
                detail="Doses, line-of-therapy requirements and approvals depend on the indication.",
                evidence=tuple(s for _, ev in candidates for s in ev) or ("missing:indication",),
                cites=cites,
            ))
    pool = [c for c, _ in candidates] if chosen is None else [chosen]
    scope: list[str] = []
    for d in knowledge.drug_ids():
        lab = knowledge.label(d, region)
        if lab is None or not lab.authorised:
            continue
        if chosen is None:
            ok = bool(_age_ok([r for r in lab.indications if not pool or r.indication in pool], age))
        else:
            # An indication the knowledge states as not encoded for the drug (e.g. approved, doses not read) is
            # assessed too: knowledge.not-encoded says what to check.
            ok = bool(_age_ok(indication_rules(knowledge, d, region, chosen), age)) or (
                knowledge.coverage.cell(d, region, chosen, "approval") is not None
                and not indication_rules(knowledge, d, region, chosen))
        if ok and (not requested or d in requested):
            scope.append(d)
    for d in requested:
        if d in scope:
            continue
        lab = knowledge.label(d, region)
        rules = indication_rules(knowledge, d, region, chosen) if chosen is not None else []
        if lab is not None and lab.authorised and chosen is not None and not rules:
            # Not listed is not "not approved": knowledge.not-encoded asks to check the approval (caution).
            scope.append(d)
            continue
        if lab is None or not lab.authorised:
            reason = f"{d} is not authorised in the {region} region."
            src: list[Cite] = [Cite(source=lab.label_source)] if lab else list(cites)
        elif chosen is None:
            reason = f"{d} is not approved in the {region} for any indication on record."
            src = [Cite(source=lab.label_source)]
        else:
            reason = (f"{d} is approved for {chosen} in the {region} only from age "
                      f"{min(r.min_age for r in rules)}.")
            src = [c for r in rules for c in r.cite]
        hits.append(Hit(
            code="indication.not-approved", severity="critical", drugs=(d,), verdict="not-recommended",
            summary=reason, detail=("Assessed because the patient is taking it; use outside the label is not "
                                    "supported - review the indication." if d == current else
                                    "Assessed because it was asked for; use outside the label is not supported."),
            evidence=(facts.patient_source,), cites=tuple(src),
        ))
        if lab is not None and lab.authorised:
            scope.append(d)
    order = knowledge.drug_ids()
    scope.sort(key=order.index)
    return chosen, scope, hits


def _daily(d: Dose) -> float:
    return d.amount * (2 if d.frequency == "twice daily" else 1)


def start_dose(knowledge: Knowledge, facts: PatientFacts, drug: str, region: Region,
               indication: str | None) -> Dose | None:
    """The label's starting dose for the indication: induction when the label has one, otherwise the standard
    dose; weight bands chosen by the latest weight (no weight -> the adult band without weight limits)."""
    if indication is None:
        return None
    rules = _age_ok(indication_rules(knowledge, drug, region, indication), age_years(facts))
    if not rules:
        return None
    weight = latest_lab(facts, "weight", 365)
    doses = [d for r in rules for d in r.doses if d.formulation is None]
    fitting = [d for d in doses
               if (d.weight_min_kg is None or (weight is not None and weight.value >= d.weight_min_kg))
               and (d.weight_max_kg is None or (weight is not None and weight.value < d.weight_max_kg))]
    if not fitting:
        return None
    induction = [d for d in fitting if d.phase == "induction"]
    return (induction or fitting)[0]


def _weeks(text: str | None) -> float | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*weeks?\s*", text or "")
    return float(m.group(1)) if m else None


def current_dose(knowledge: Knowledge, facts: PatientFacts, drug: str, region: Region, indication: str | None,
                 weeks_on_treatment: int | None) -> Dose | None:
    """The label dose for a patient already on the drug: the starting dose, or the maintenance dose once the
    induction period the label states has passed."""
    base = start_dose(knowledge, facts, drug, region, indication)
    if base is None or base.phase != "induction" or weeks_on_treatment is None:
        return base
    length = _weeks(base.duration)
    if length is None or weeks_on_treatment < length:
        return base
    rules = _age_ok(indication_rules(knowledge, drug, region, indication or ""), age_years(facts))
    maintenance = [d for r in rules for d in r.doses if d.phase == "maintenance" and d.formulation is None]
    return maintenance[0] if maintenance else base


def _applies(hit: Hit, drug: str) -> bool:
    return not hit.drugs or drug in hit.drugs


_VERDICT_RANK = {v: i for i, v in enumerate(VERDICT_ORDER)}


def _verdict(hits: Iterable[Hit], drug: str) -> Verdict:
    worst: Verdict = "appropriate"
    for h in hits:
        if not _applies(h, drug):
            continue
        v: Verdict | None = h.verdict
        if v is None and any(dd == drug for dd, _ in h.doses):
            v = "caution"
        if v is not None and _VERDICT_RANK[v] > _VERDICT_RANK[worst]:
            worst = v
    return worst


def _verdict_when_ready(hits: Iterable[Hit], drug: str) -> Verdict:
    """The verdict once every open blocking action is done and comes back normal: the hits whose verdict lasts
    only until their actions are done (`Hit.until_done`) no longer count; every other hit keeps its effect."""
    return _verdict((h for h in hits if not h.until_done), drug)


def _reason(h: Hit, drug: str) -> str:
    """The few words a headline gives for a hit: its own `reason`, else its summary (without a leading drug name)
    up to the first colon."""
    if h.reason:
        return h.reason
    summary = h.summary.removeprefix(f"{drug}: ")
    head = summary.split(": ", 1)[0].rstrip(".")
    first = head.split(" ", 1)[0]
    # "Chronic hepatitis B" -> "chronic hepatitis B"; a name or abbreviation ("Child-Pugh", "HBV") keeps its case.
    return head[:1].lower() + head[1:] if first[1:] == first[1:].lower() else head


def _open_steps(actions: Sequence[Action], drugs: Sequence[str]) -> int:
    """The blocking actions still open for any of `drugs`."""
    return sum(1 for a in actions if a.blocking and (not a.drugs or set(a.drugs) & set(drugs)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _headline(hits: Sequence[Hit], drug_out: Sequence[DrugAssessment], actions: Sequence[Action],
              indication: str | None, current: str | None, missing_indication: bool) -> Headline:
    """One line a busy clinician reads first. Before treatment: the best verdict once the work-up is done, the
    drugs that reach it when not all do, its reasons and the blocking steps still open. On treatment: continue
    the current drug? with the reasons for its verdict and the number of actions to do now."""
    if current is not None:
        d = next(x for x in drug_out if x.drug == current)
        verdict: Verdict = d.verdict
        reasons = _reasons_for(hits, current, verdict, when_ready=False)
        now = [a for a in actions if not a.drugs or current in a.drugs]
        text = f"Continue {current}? {HEADLINE_CONTINUE[verdict][:1].upper()}{HEADLINE_CONTINUE[verdict][1:]}"
        text += (": " + ", ".join(reasons)) if reasons and verdict != "appropriate" else ""
        text += f" · to do now: {_plural(len(now), 'action')}" if now else ""
        return Headline(indication=indication, text=text, verdict=verdict, reasons=reasons, open_steps=len(now))
    startable = [x for x in drug_out if x.drug != current]
    if not startable:
        return Headline(indication=indication, verdict=None, reasons=(),
                        open_steps=_open_steps(actions, ()) + (1 if missing_indication else 0),
                        text="No JAK inhibitor to assess: none is approved in this region for the indication and "
                             "age.")
    # Before treatment every drug has a verdict when ready; on treatment with the current drug out of scope (no
    # authorisation in the region) none has, and the drugs' own verdicts stand.
    ready = [(x.drug, x.verdict_when_ready or x.verdict) for x in startable]
    best: Verdict = min((v for _, v in ready), key=_VERDICT_RANK.__getitem__)
    reaching = [d for d, v in ready if v == best]
    steps = _open_steps(actions, reaching) + (1 if missing_indication else 0)
    reasons = _reasons_for(hits, reaching[0], best, when_ready=True) if best != "appropriate" else ()
    text = HEADLINE_START[best]
    if len(reaching) < len(startable):
        text += f" ({', '.join(reaching)})"
    text += (": " + ", ".join(reasons)) if reasons else ""
    if missing_indication:
        text += " · indication not given"
    text += f" · work-up: {_plural(steps, 'step')} open" if steps else ""
    return Headline(indication=indication, text=text, verdict=best, reasons=reasons, open_steps=steps)


def _reasons_for(hits: Iterable[Hit], drug: str, verdict: Verdict, *, when_ready: bool) -> tuple[str, ...]:
    """The reasons of the hits that give `drug` its `verdict` (once the work-up is done when `when_ready`),
    each once, in hit order; a caution that comes only from a dose change counts when no other reason does."""
    explicit: list[str] = []
    by_dose: list[str] = []
    for h in hits:
        if not _applies(h, drug) or (when_ready and h.until_done):
            continue
        if h.verdict == verdict:
            explicit.append(_reason(h, drug))
        elif h.verdict is None and verdict == "caution" and any(dd == drug for dd, _ in h.doses):
            by_dose.append(_reason(h, drug))
    return tuple(dict.fromkeys(explicit or by_dose))


def _dose(base: Dose | None, hits: Iterable[Hit], drug: str) -> Dose | None:
    """The starting dose after every label adjustment that applies: the lowest adjusted daily dose for the same
    phase, and never more than the starting dose."""
    if base is None:
        return None
    adjusted = [adj for h in hits for d, adj in h.doses
                if d == drug and (adj.phase is None or base.phase is None or adj.phase == base.phase)]
    if not adjusted:
        return base
    lowest = min(adjusted, key=lambda x: (_daily(x), x.amount, x.frequency))
    return lowest if _daily(lowest) <= _daily(base) else base


def _finding_order(f: Finding) -> tuple[int, str, tuple[str, ...], str]:
    return SEVERITY_ORDER.index(f.severity), f.code, f.drugs, f.summary


def _findings(knowledge: Knowledge, hits: Iterable[Hit]) -> list[Finding]:
    """The findings of the hits, each distinct finding once (rules may report the same one, and hits that differ
    only in verdict, dose or actions give the same finding), in report order. Source references and missing
    entries are the release's own (knowledge.derived), shared by every assessment: they are immutable."""
    derived = knowledge.derived
    unique: dict[tuple[object, ...], Finding] = {}
    for h in hits:
        evidence = tuple(dict.fromkeys(h.evidence))
        sources = derived.source_refs(h.cites)
        # Everything the Finding is made of (a source's id and section determine the rest of its reference).
        key = (h.code, h.severity, h.drugs, h.summary, h.detail, evidence,
               tuple((ref.id, ref.section) for ref in sources))
        if key not in unique:
            unique[key] = Finding(
                code=h.code, severity=h.severity, drugs=h.drugs, summary=h.summary, detail=h.detail,
                evidence=tuple(derived.missing(e) if e.startswith("missing:") else e for e in evidence),
                sources=sources)
    findings = list(unique.values())
    findings.sort(key=_finding_order)
    return findings


def _on_treatment_action(a: ActionSpec) -> ActionSpec:
    """A pre-start action for the drug already being taken: it is done now (after the start) and blocks no
    start."""
    return replace(a, timing="after-start", blocking=False)


def _drug_order(scope: Sequence[str]) -> Callable[[str], tuple[int, str]]:
    return lambda d: (scope.index(d) if d in scope else len(scope), d)


def _action_order(a: Action) -> tuple[int, bool, str]:
    return TIMING_ORDER.index(a.timing), not a.blocking, a.code


def _actions(hits: Iterable[Hit], only_current: str | None = None, scope: Sequence[str] = ()) -> list[Action]:
    """The checklist. In on-treatment mode (`only_current` = the current drug), actions of findings that
    concern only that drug are re-timed to after the start and block nothing."""
    merged: dict[str, tuple[ActionSpec, set[str], bool]] = {}
    for h in hits:
        current_only = only_current is not None and set(h.drugs or scope) <= {only_current}
        for a in (x if x.on_treatment else _on_treatment_action(x) for x in h.actions) if current_only else h.actions:
            spec, drugs, blocking = merged.get(a.code, (a, set(), False))
            # an action asked for by a finding about every drug stays an action for every drug ("*")
            merged[a.code] = (spec, drugs | (set(h.drugs) or {"*"}), blocking or a.blocking)
    out = [Action(code=c, summary=s.summary, timing=s.timing, blocking=b,
                  drugs=() if "*" in ds else tuple(sorted(ds, key=_drug_order(scope))))
           for c, (s, ds, b) in merged.items()]
    out.sort(key=_action_order)
    return out


def _monitoring(knowledge: Knowledge, region: Region, drugs: Sequence[str],
                ctx: Context | None = None) -> list[MonitoringItemOut]:
    """The monitoring plan: each label item with its drugs (the release's plan for the region and drugs,
    knowledge.derived); on treatment, the current drug's items carry their status, and resolved hepatitis B
    adds HBV DNA monitoring."""
    items = {(p.test, p.schedule): (p.drugs, p.sources)
             for p in knowledge.derived.monitoring_plan(region, tuple(drugs))}
    statuses: dict[tuple[str, str], TestStatus] = {}
    current = ctx.current_drug if ctx is not None else None
    if ctx is not None and current is not None and current in drugs:
        lab = knowledge.label(current, region)
        for m in lab.monitoring if lab is not None else ():
            if (st := item_status(ctx, m)) is not None:
                statuses[(m.test, m.schedule)] = st
    if ctx is not None and current is not None and (hbv := hbv_dna_status(ctx)) is not None:
        lab = knowledge.label(current, region)
        own = [m for m in (lab.monitoring if lab else []) if m.test == "hbv-dna"]
        key = (own[0].test, own[0].schedule) if own else ("hbv-dna", HBV_DNA_SCHEDULE)
        if not own:
            items[key] = ((current,), knowledge.derived.source_refs([
                Cite(source="acr-2021-ra", section="Hepatitis B: prophylaxis and monitoring (PICO 82-84)"),
                *ctx.threshold_cites("hbv-dna-monitoring-interval-days")]))
        statuses[key] = hbv
    out = [_monitoring_item(t, s, ds, refs, statuses.get((t, s))) for (t, s), (ds, refs) in items.items()]
    out.sort(key=_monitoring_order)
    return out


def _monitoring_order(m: MonitoringItemOut) -> tuple[str, str]:
    return m.test, m.schedule


def _monitoring_item(test: str, schedule: str, drugs: tuple[str, ...], sources: tuple[SourceRef, ...],
                     st: TestStatus | None) -> MonitoringItemOut:
    return MonitoringItemOut(test=test, schedule=schedule, drugs=drugs, sources=sources,
                             status=st.status if st is not None else None,
                             due=st.due.isoformat() if st is not None and st.due else None,
                             last_done=st.last_done.isoformat() if st is not None and st.last_done else None)


def _current_therapy(facts: PatientFacts, med: MedicationFact) -> CurrentTherapyOut:
    weeks = (facts.as_of - med.start).days // 7 if med.start is not None else None
    return CurrentTherapyOut(
        drug=med.concept,
        dose=CurrentDoseOut(daily_amount=float(med.daily_dose_mg), unit="mg")
        if med.daily_dose_mg is not None else None,
        started=med.start.isoformat() if med.start is not None else None,
        weeks_on_treatment=weeks,
        source=med.source)


def _floats(values: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items()}


def _score_out(knowledge: Knowledge, s: Score) -> ScoreOut:
    r = s.result
    ra = r.ra_adjusted if r is not None else None
    refs = knowledge.derived.source_refs
    return ScoreOut(
        calculator=s.calculator, title=s.title,
        kind="cardiovascular" if s.kind == "cardiovascular" else "disease-activity",
        default=s.default, status=s.status, model=r.model if r is not None else None,
        risk_region=s.risk_region, results=_floats(r.results) if r is not None else {},
        category=r.category if r is not None else None,
        category_basis=r.category_basis if r is not None else None,
        bounds={k: (float(lo), float(hi)) for k, (lo, hi) in s.bounds.items()},
        bounds_category=s.bounds_category,
        inputs={k: v for k, v in s.inputs.items() if isinstance(v, int | float | bool | str)},
        missing=s.missing, reason=s.reason,
        ra_adjusted=RAAdjustedOut(factor=float(ra.factor), results=_floats(ra.results), category=ra.category,
                                  note=ra.note, sources=refs([Cite(source=ra.source)]))
        if ra is not None else None,
        notes=tuple(dict.fromkeys(s.notes)), evidence=s.evidence,
        date=s.effective.isoformat() if s.effective is not None else None,
        # The EULAR RA factor's source belongs to `ra_adjusted`, shown only when that figure is.
        sources=refs([Cite(source=x) for x in s.sources if x != EULAR_CV_SOURCE or ra is not None]),
    )


RESTRICTING_VERDICTS = ("only-if-no-alternative", "not-recommended", "contraindicated")


def _alternatives(ctx: Context, hits: Sequence[Hit]) -> tuple[AlternativeOut, ...]:
    """The non-JAK-inhibitor options of the indication, listed whenever a finding restricts or blocks a drug in
    scope (only if no suitable alternative, not recommended, contraindicated - even when another finding defers
    the decision) or a pregnancy is planned. When pregnancy
    is planned or present, or the patient is breastfeeding, the indication's pregnancy-compatible options come
    first. Each option says whether the record shows it was used before (`tried`, with the entries) and carries
    the caveats whose condition is on record (with their sources)."""
    assert ctx.indication is not None
    ind = ctx.knowledge.indications[ctx.indication]
    refs = ctx.knowledge.derived.source_refs
    pregnancy_context = reproductive.pregnancy_context(ctx)
    blocked = (not ctx.drugs  # no JAK inhibitor approved for the indication in this region
               or any(h.verdict in RESTRICTING_VERDICTS or (h.verdict == "defer" and h.code in labs.CODE_FOR.values())
                      for h in hits))
    if not blocked and not pregnancy_context:
        return ()
    options = [(a, True) for a in ind.pregnancy_alternatives] if pregnancy_context else []
    options += [(a, False) for a in ind.alternatives]
    out: list[AlternativeOut] = []
    for alt, for_pregnancy in options:
        if ctx.region not in alt.regions:
            continue
        used = [m.source for m in ctx.facts.medications if m.concept in alt.medications]
        caveats = []
        for cav in alt.caveats:
            found = conditions(ctx.facts, cav.when)
            if found:
                caveats.append(CaveatOut(text=cav.text, evidence=tuple(dict.fromkeys(c.source for c in found)),
                                         sources=refs(cav.cite)))
        out.append(AlternativeOut(option=alt.option, why=alt.why, sources=refs(alt.cite), tried=bool(used),
                                  evidence=tuple(dict.fromkeys(used)), caveats=tuple(caveats),
                                  pregnancy=for_pregnancy))
    return tuple(out)


def _patient(facts: PatientFacts) -> PatientSummary:
    """Who the patient is (shown to the clinician, never logged); a birth date estimated from a stated age is not
    shown as a recorded one."""
    return PatientSummary(
        id=facts.patient_id, name=facts.name,
        birth_date=(facts.birth_date.isoformat() if facts.birth_date is not None
                    and not facts.birth_date_estimated else None),
        identifiers=tuple(PatientIdentifierOut(value=i.value, system=i.system, label=i.label)
                          for i in facts.identifiers),
        deceased=facts.deceased, age=age_years(facts), sex=facts.sex)


def run_rules(ctx: Context, rules: Sequence[Rule] = ALL_RULES) -> list[Hit]:
    hits: list[Hit] = []
    for rule in rules:
        hits.extend(rule(ctx))
    return hits


def assess(facts: PatientFacts, knowledge: Knowledge, *, region: Region, indication: str | None = None,
           drugs: Sequence[str] = (), rules: Sequence[Rule] = ALL_RULES,
           settings: Settings = DEFAULT_SETTINGS) -> Assessment:
    """Assess a patient for JAK inhibitor therapy: for starting one (pre-treatment mode) or, when the record
    shows a current JAK inhibitor, for continuing it (on-treatment mode). Deterministic for the same inputs.
    `settings` are the site's settings, loaded once by the entry point (SCORE2 risk region, site thresholds).
    Parts of the result (source references, missing entries) are the release's own and shared with other
    assessments: every part is immutable."""
    if facts.deceased:
        raise PatientDeceased(facts.deceased_date.isoformat() if facts.deceased_date is not None else None)
    check_settings(knowledge, settings)
    # Entries recorded as current but older than their concept's window are read as history by every rule and
    # reported (data.stale-entry).
    facts = apply_windows(facts, active_windows(knowledge, settings))
    med = current_jak_therapy(facts, knowledge.drug_ids())
    current = med.concept if med is not None else None
    chosen, scope, hits = choose_scope(facts, knowledge, region, indication, drugs, current)
    ctx = Context(facts=facts, knowledge=knowledge, region=region, indication=chosen, drugs=tuple(scope),
                  current=med, settings=settings)
    therapy = _current_therapy(facts, med) if med is not None else None
    if scope:
        # A finding known from free text only gives at most `defer` with a confirm action (rules/text_only.py).
        hits.extend(cap_text_only(ctx, run_rules(ctx, rules)))
    else:
        hits.extend(h for r in rules if r.__module__.endswith("data_quality") for h in r(ctx))
    findings = _findings(knowledge, hits)
    drug_out: list[DrugAssessment] = []
    for d in scope:
        applicable = [h for h in hits if _applies(h, d)]
        verdict = _verdict(applicable, d)
        base = (current_dose(knowledge, facts, d, region, chosen, therapy.weeks_on_treatment)
                if therapy is not None and d == current else start_dose(knowledge, facts, d, region, chosen))
        dose = _dose(base, hits, d)
        gap = dose_note(applicable, d)
        drug_out.append(DrugAssessment(
            drug=d, verdict=verdict,
            verdict_when_ready=_verdict_when_ready(applicable, d) if med is None else None,
            dose=None if dose is None or verdict in STOP_VERDICTS else DoseOut(
                amount=float(dose.amount), unit=dose.unit, frequency=dose.frequency, phase=dose.phase,
                formulation=dose.formulation, note=" ".join(x for x in (dose.note, gap) if x) or None),
            findings=tuple(sorted({h.code for h in applicable}))))
    actions = _actions(hits, ctx.current_drug, scope)
    # On treatment, "ready to start" concerns only the drugs the patient does not already take.
    startable = [a for a in drug_out if a.verdict in ALLOWS_START and a.drug != ctx.current_drug]
    ready = bool(startable) and not any(a.blocking for a in actions) and chosen is not None
    headline = _headline(hits, drug_out, actions, chosen, ctx.current_drug, chosen is None and bool(scope))
    headlines: tuple[Headline, ...] = ()
    if chosen is None and med is None and len(candidates := candidate_indications(facts, knowledge)) > 1:
        # Several possible indications and none chosen: the answer for each, so none is hidden.
        headlines = tuple(h for ind, _ in candidates
                          if (h := assess(facts, knowledge, region=region, indication=ind, drugs=drugs, rules=rules,
                                          settings=settings).headline) is not None)
    return Assessment(
        knowledge=KnowledgeStamp(version=knowledge.release.version, date=knowledge.release.date.isoformat(),
                                 settings_digest=settings.digest()),
        as_of=facts.as_of.isoformat(),
        region=region,
        mode="on-treatment" if med is not None else "pre-treatment",
        patient=_patient(facts),
        indication=chosen,
        current_therapy=therapy,
        ready_to_start=ready if med is None else None,
        headline=headline,
        headlines=headlines,
        drugs=tuple(drug_out),
        findings=tuple(findings),
        actions=tuple(actions),
        monitoring=tuple(_monitoring(knowledge, region, scope, ctx)),
        scores=tuple(_score_out(knowledge, sc) for sc in ctx.scores),
        alternatives=_alternatives(ctx, hits) if chosen is not None else (),
    )


SITE_ADJUSTABLE = "site-adjustable default"  # how thresholds.yaml marks the values a site may change


def site_adjustable_thresholds(knowledge: Knowledge) -> tuple[str, ...]:
    """The thresholds a site may set (Settings.site_thresholds): those the knowledge release marks as
    site-adjustable defaults, i.e. no source states the number."""
    return tuple(k for k, t in sorted(knowledge.thresholds.items()) if SITE_ADJUSTABLE in t.meaning.lower())


def check_settings(knowledge: Knowledge, settings: Settings) -> None:
    """Refuse (ConfigError) settings this knowledge release cannot honour: an unknown SCORE2 risk region, an
    unknown patient-view indication, or a site threshold that is not a site-adjustable default (a number a source
    states is never changed by a site)."""
    if settings.score2_risk_region not in RISK_REGIONS:
        raise ConfigError(f"score2_risk_region: unknown SCORE2 risk region {settings.score2_risk_region!r}; "
                          f"known: {', '.join(RISK_REGIONS)}")
    if settings.patient_view_indication is not None and settings.patient_view_indication not in knowledge.indications:
        raise ConfigError(f"patient_view_indication: unknown indication {settings.patient_view_indication!r}; "
                          f"known: {', '.join(sorted(knowledge.indications))}")
    if settings.site_thresholds:
        allowed = site_adjustable_thresholds(knowledge)
        bad = [k for k, _ in settings.site_thresholds if k not in allowed]
        if bad:
            raise ConfigError(f"site_thresholds: {', '.join(bad)} cannot be set by a site; the site-adjustable "
                              f"thresholds of knowledge {knowledge.release.version} are {', '.join(allowed)}")


def active_windows(knowledge: Knowledge, settings: Settings) -> dict[str, tuple[str, int]]:
    """The window of each time-bound concept (patient.derived.ACTIVE_WINDOWS): (threshold key, days), the site's
    value when it set one, else the knowledge release's."""
    site = dict(settings.site_thresholds)
    return {cid: (key, int(site.get(key, knowledge.threshold(key).value))) for cid, key in ACTIVE_WINDOWS.items()}


@dataclass(frozen=True)
class OrderAssessment:
    """The assessment of drugs ordered for a patient (CDS Hooks order-select and order-sign)."""

    assessment: Assessment  # every ordered drug has an entry in `drugs`
    # Each ordered drug's usual start dose for this patient's indication, before any finding adjusts it (None
    # when there is none), so that a card can say what the dose was adjusted from.
    usual_start: dict[str, DoseOut | None]


def assess_order(facts: PatientFacts, knowledge: Knowledge, *, region: Region, drugs: Sequence[str],
                 indication: str | None = None, settings: Settings = DEFAULT_SETTINGS) -> OrderAssessment:
    """`assess` for the drugs of an order. An ordered drug the engine leaves out of scope (no authorisation in
    the region) is given a `not-recommended` entry, with the codes of the findings that name it, so that the
    order still gets an answer about that drug."""
    ordered = list(dict.fromkeys(drugs))
    a = assess(facts, knowledge, region=region, indication=indication, drugs=ordered, settings=settings)
    have = {d.drug for d in a.drugs}
    extra = [DrugAssessment(drug=d, verdict="not-recommended", dose=None,
                            findings=tuple(sorted({f.code for f in a.findings if d in f.drugs})))
             for d in ordered if d not in have]
    if extra:
        a = a.model_copy(update={"drugs": (*a.drugs, *extra)})
    usual: dict[str, DoseOut | None] = {}
    for d in ordered:
        base = start_dose(knowledge, facts, d, a.region, a.indication)
        usual[d] = None if base is None else DoseOut(amount=base.amount, unit=base.unit, frequency=base.frequency,
                                                     phase=base.phase, formulation=base.formulation, note=base.note)
    return OrderAssessment(assessment=a, usual_start=usual)
