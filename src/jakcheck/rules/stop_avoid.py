"""US label stop / avoid wording: myocardial infarction or stroke on treatment, increased risk of thrombosis.

The US labels of the JAK inhibitors for inflammatory conditions (Xeljanz, Olumiant, Rinvoq, Cibinqo, Litfulo;
Warnings and Precautions: Major Adverse Cardiovascular Events; Thrombosis) say to discontinue the drug in patients
who have had a myocardial infarction or stroke, and to avoid it in patients at increased risk of thrombosis. The
drug files carry, per region, the sections that say so (`stop_after_mi_or_stroke`, `avoid_if_thrombosis_risk`;
empty = not encoded for that region). Deucravacitinib (TYK2) is outside these class rules.

Readings (the scope agreed for this release): a myocardial infarction or stroke dated after the start of the
current JAK inhibitor stops it; before the start the cardiovascular-risk rule applies as before (US caution, EU
only if no suitable alternative). Increased thrombosis risk means a coded venous thromboembolism on record, a coded
inherited thrombophilia (ICD-10-CM D68.5x), or an anticoagulant whose recorded reason is a venous thromboembolism;
an anticoagulant with no recorded reason (it may be for atrial fibrillation) asks the clinician to confirm its
indication. "Discontinue" and "avoid" are the verdict not-recommended.
"""

from __future__ import annotations

from jakcheck.knowledge.schema import Cite
from jakcheck.patient.derived import conditions, medications_with_class
from jakcheck.patient.facts import ConditionFact, MedicationFact
from jakcheck.rules.base import ActionSpec, Context, Hit
from jakcheck.rules.cites import EMA_2023

VTE = "vte"


def _cites(cites: list[Cite]) -> tuple[Cite, ...]:
    return tuple(cites)


def _section(cites: list[Cite]) -> str:
    return (cites[0].section if cites else None) or "Warnings and Precautions"


def _event_name(c: ConditionFact) -> str:
    return "myocardial infarction" if c.concept == "myocardial-infarction" else "stroke"


def stop_after_mi_or_stroke(ctx: Context) -> list[Hit]:
    """US labels, Warnings and Precautions (MACE): "discontinue in patients that have experienced a myocardial
    infarction or stroke" (source: each drug's US label, `stop_after_mi_or_stroke`).
    When the patient is on a JAK inhibitor whose label in this region carries that wording, and the record shows
    a coded myocardial infarction or ischaemic stroke dated after the start, Then not recommended with a blocking
    action to stop the drug. When the event or the start has no date, or the event is known only from text, Then
    defer with a blocking action to confirm it and its date. Before the start the cardiovascular-risk rule
    applies unchanged."""
    drug = ctx.current_drug
    if drug is None or ctx.current is None or not ctx.knowledge.drugs[drug].jak_class:
        return []
    cites = ctx.label(drug).stop_after_mi_or_stroke
    if not cites:
        return []
    start = ctx.current.start
    events = conditions(ctx.facts, "myocardial-infarction", "stroke")
    after = [c for c in events if c.matched_by == "code" and start is not None and c.onset is not None
             and c.onset > start]
    # An event on the day of the start cannot be placed before or after it: confirmed, never passed over.
    unclear = [c for c in events if c not in after
               and (c.matched_by != "code" or start is None or c.onset is None or c.onset == start)]
    section = _section(cites)
    hits: list[Hit] = []
    if after:
        first = min(after, key=lambda c: (c.onset or start, c.source))
        what = f"{_event_name(first)} on {first.onset.isoformat() if first.onset else 'an unknown date'}"
        hits.append(Hit(
            code="mace.on-treatment-stop", severity="critical", drugs=(drug,), verdict="not-recommended",
            reason="myocardial infarction or stroke on treatment",
            summary=f"{_event_name(first).capitalize()} while on {drug} (since {start}): the {ctx.region} label says "
                    "to discontinue it.",
            detail=(f"The {ctx.region} label ({section}) says to discontinue {drug} in patients who have had a "
                    "myocardial infarction or stroke. Choose a treatment outside the JAK inhibitor class with the "
                    "cardiologist. In the EU the 2023 measures restrict JAK inhibitors in patients with "
                    "atherosclerotic cardiovascular disease to cases without a suitable alternative."),
            evidence=tuple(c.source for c in after) + (ctx.current.source,),
            cites=_cites(cites) + (EMA_2023,),
            actions=(ActionSpec("stop-mace", f"Stop {drug}: {what}, label section {section}.", "after-start",
                                True, on_treatment=True),)))
    if unclear and not after:
        c = unclear[0]
        why = ("known only from text" if c.matched_by != "code" else
               "the start date of the current drug is not recorded" if start is None else "the event has no date")
        hits.append(Hit(
            code="mace.on-treatment-confirm", severity="critical", drugs=(drug,), verdict="defer",
            summary=f"{_event_name(c).capitalize()} on record while on {drug}, but {why}: confirm whether it "
                    "happened after the start.",
            detail=(f"The {ctx.region} label ({section}) says to discontinue {drug} after a myocardial infarction or "
                    f"stroke. Record says '{c.display}'" + (" (text only)" if c.matched_by != "code" else "")
                    + ": if it happened on treatment, stop the drug."),
            evidence=tuple(x.source for x in unclear) + (ctx.current.source,),
            cites=_cites(cites),
            actions=(ActionSpec("confirm-mace-date", f"Confirm the {_event_name(c)} ('{c.display}') and its date "
                                f"relative to the start of {drug}.", "after-start", True, on_treatment=True),)))
    return hits


def _vte_anticoagulants(ctx: Context) -> tuple[list[MedicationFact], list[MedicationFact]]:
    """Current anticoagulants: (those whose recorded reason is a venous thromboembolism, those with no recorded
    reason). An anticoagulant whose recorded reason is something else (atrial fibrillation) is neither."""
    vte_sources = {c.source for c in conditions(ctx.facts, VTE)}
    for_vte, unexplained = [], []
    for m in medications_with_class(ctx.facts, "anticoagulant"):
        if VTE in m.reasons or vte_sources.intersection(m.reason_refs):
            for_vte.append(m)
        elif not m.reasons and not m.reason_refs:
            unexplained.append(m)
    return for_vte, unexplained


def thrombosis_risk(ctx: Context) -> list[Hit]:
    """US labels, Warnings and Precautions (Thrombosis): "avoid in patients at increased risk of thrombosis"
    (source: each drug's US label, `avoid_if_thrombosis_risk`).
    When the record shows a coded venous thromboembolism (current or past), a coded inherited thrombophilia, or
    a current anticoagulant whose recorded reason (reasonCode / reasonReference) is a venous thromboembolism,
    Then not recommended (avoid) for the JAK inhibitors whose label in this region carries that wording; on
    treatment, with a blocking action to stop the current one. When a current anticoagulant has no recorded
    reason, Then defer with a blocking action to confirm its indication (venous thromboembolism or, for example,
    atrial fibrillation)."""
    drugs = tuple(d for d in ctx.class_drugs() if ctx.label(d).avoid_if_thrombosis_risk)
    if not drugs:
        return []
    vte = [c for c in conditions(ctx.facts, VTE) if c.matched_by == "code"]
    thrombophilia = [c for c in conditions(ctx.facts, "inherited-thrombophilia") if c.matched_by == "code"]
    for_vte, unexplained = _vte_anticoagulants(ctx)
    current = ctx.current_drug if ctx.current_drug in drugs else None
    cites = tuple(c for d in drugs for c in ctx.label(d).avoid_if_thrombosis_risk)
    hits: list[Hit] = []
    if vte or for_vte or thrombophilia:
        parts = []
        if vte:
            parts.append("venous thromboembolism on record (" + ", ".join(sorted({c.display for c in vte})) + ")")
        if thrombophilia:
            parts.append("inherited thrombophilia (" + ", ".join(sorted({c.display for c in thrombophilia})) + ")")
        if for_vte:
            parts.append("anticoagulant for venous thromboembolism (" + ", ".join(sorted({m.display for m in for_vte}))
                         + ")")
        actions: tuple[ActionSpec, ...] = ()
        if current is not None:
            section = _section(ctx.label(current).avoid_if_thrombosis_risk)
            actions = (ActionSpec("stop-thrombosis-risk", f"Stop {current}: increased risk of thrombosis ("
                                  + "; ".join(parts) + f"), label section {section}.", "after-start", True,
                                  on_treatment=True),)
        hits.append(Hit(
            code="thrombosis.avoid", severity="critical", drugs=drugs, verdict="not-recommended",
            reason="increased risk of thrombosis",
            summary="Increased risk of thrombosis: " + "; ".join(parts) + f". The {ctx.region} labels say to avoid "
                    "JAK inhibitors.",
            detail=("Thrombosis (deep vein thrombosis, pulmonary embolism, arterial thrombosis) occurred more often "
                    "with a JAK inhibitor than with TNF blockers; prior venous thromboembolism is the strongest "
                    f"predictor. The {ctx.region} labels say to avoid these drugs in patients at increased risk. "
                    "In the EU the 2023 measures ask for caution in patients with VTE risk factors."),
            evidence=tuple(c.source for c in vte + thrombophilia) + tuple(m.source for m in for_vte),
            cites=cites + (EMA_2023,), actions=actions))
    elif unexplained:
        names = ", ".join(sorted({m.display for m in unexplained}))
        hits.append(Hit(
            code="thrombosis.anticoagulant-confirm", severity="critical", drugs=drugs, verdict="defer",
            until_done=True,
            summary=f"Anticoagulant on record ({names}) with no recorded reason: confirm its indication.",
            detail=(f"If it treats or prevents venous thromboembolism, the {ctx.region} labels say to avoid JAK "
                    "inhibitors (increased risk of thrombosis); if it is for atrial fibrillation, weigh the "
                    "cardiovascular risk instead."),
            evidence=tuple(m.source for m in unexplained),
            cites=cites,
            actions=(ActionSpec("confirm-anticoagulant-indication",
                                f"Confirm why the patient takes {names}: venous thromboembolism, atrial fibrillation "
                                "or another reason.", "before-start" if current is None else "after-start", True,
                                on_treatment=current is not None),)))
    return hits


RULES = (stop_after_mi_or_stroke, thrombosis_risk)
