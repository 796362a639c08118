"""Renal and hepatic impairment: each label's own measure and bands.

Labels differ in the renal measure (creatinine clearance by Cockcroft-Gault vs eGFR), in band edges, and in
the action (dose change, not recommended, contraindicated); US and EU differ for the same drug. The band
table is in each drug's knowledge file; this module only finds the patient's band.
"""

from __future__ import annotations

from jakcheck.knowledge.schema import RenalBand
from jakcheck.patient.derived import RenalFunction, conditions, latest_lab, renal_function
from jakcheck.rules.base import (
    ActionSpec,
    Context,
    Hit,
    doses_text,
    missing,
    severity_for,
    verdict_from_action,
)

MEASURE_TEXT = {"egfr": "eGFR", "crcl-cockcroft-gault": "CrCl (Cockcroft-Gault)"}
UNIT = {"egfr": "mL/min/1.73 m2", "crcl-cockcroft-gault": "mL/min"}


def band_text(band: RenalBand) -> str:
    if band.min is None and band.max is not None:
        return f"below {band.max:g}"
    if band.max is None and band.min is not None:
        return f"{band.min:g} or more"
    return f"{band.min:g} to {'' if band.max_inclusive else '<'}{band.max:g}"


def band_for(bands: list[RenalBand], value: float) -> RenalBand | None:
    """The band holding the value: min <= value < max; a label band that includes its upper edge
    ("30 to 50 inclusive") takes the edge value before the next band's lower edge does."""
    for b in bands:
        if b.max_inclusive and b.max is not None and value == b.max and (b.min is None or value >= b.min):
            return b
    for b in bands:
        if (b.min is None or value >= b.min) and (b.max is None or value < b.max):
            return b
    return None


def _function(ctx: Context, measure: str) -> RenalFunction | None:
    days = int(ctx.threshold("renal-baseline-lookback-days"))
    esrd = conditions(ctx.facts, "esrd-dialysis", active_only=True)
    if ctx.facts.on_dialysis or esrd:
        evidence = tuple(c.source for c in esrd) or (ctx.facts.patient_source,)
        return RenalFunction(measure, 0.0, "on dialysis (end-stage renal disease)", evidence, ctx.facts.as_of)
    return renal_function(ctx.facts, measure, days, renal_edges(ctx, measure))


RENAL_NORMAL = 90.0  # mL/min (CrCl) or mL/min/1.73 m2 (eGFR): below this a renal band may apply


def renal_edges(ctx: Context, measure: str) -> list[float]:
    """Every renal band edge in `measure` of the drugs in scope (both regions' labels: a partly encoded cell may
    borrow the other region's band), and the edge below which a band may apply: a recorded bound ("> 90") is
    used only when it settles all of them."""
    edges = [RENAL_NORMAL]
    for d in ctx.drugs:
        for region in ("EU", "US"):
            label = ctx.knowledge.label(d, region)
            if label is not None and label.renal is not None and label.renal.measure == measure:
                edges.extend(e for b in label.renal.bands for e in (b.min, b.max) if e is not None)
    return edges


def renal_function_now(ctx: Context, measure: str) -> RenalFunction | None:
    """The patient's renal function on `as_of` in a label's measure (dialysis counts as end-stage)."""
    return _function(ctx, measure)


def _not_computable(ctx: Context, drug: str, measure: str) -> Hit | None:
    """A creatinine or eGFR is on record but the label's measure cannot be computed (no weight, sex or age for
    Cockcroft-Gault; no usable creatinine for eGFR): the renal dose is unknown, never assumed normal."""
    rules = ctx.label(drug).renal
    if rules is None or all(b.action == "no-change" for b in rules.bands):
        return None
    days = int(ctx.threshold("renal-baseline-lookback-days"))
    creat = latest_lab(ctx.facts, "creatinine", days)
    if creat is None and latest_lab(ctx.facts, "egfr", days) is None:
        return None  # no renal test at all: lab.renal-missing covers it
    absent = []
    if measure == "crcl-cockcroft-gault":
        if creat is None:
            absent.append("serum creatinine (the label uses creatinine clearance, not eGFR)")
        if latest_lab(ctx.facts, "weight", 365) is None:
            absent.append("body weight")
    if ctx.facts.sex not in ("female", "male"):
        absent.append("sex (needed by the renal equation)")
    if ctx.facts.birth_date is None:
        absent.append("age")
    if not absent:
        absent.append("a renal value in the label's measure")
    return Hit(
        code="lab.renal-missing", severity="warning", drugs=(drug,), verdict="caution",
        summary=f"{drug}: {MEASURE_TEXT[measure]} cannot be calculated (no {', '.join(absent)}): the renal dose "
                "band is unknown.",
        detail="The label sets the dose by this measure; jakcheck does not substitute another measure or assume "
               "normal renal function.",
        evidence=tuple(missing(a) for a in absent) + ((creat.source,) if creat else ()),
        cites=tuple(rules.bands[0].cite),
        actions=(ActionSpec("complete-renal-inputs", "Record what the renal equation needs (weight, sex, "
                            "creatinine).", "before-start", False),),
    )


def renal(ctx: Context) -> list[Hit]:
    """When the patient's renal function (in the label's measure) falls in a band with a dose change, Then
    renal.dose-adjustment with the label's dose; in a band where the drug is not recommended or
    contraindicated, Then renal.not-recommended. Bands limited to some indications are looked up only for those
    indications (labels give separate tables, e.g. tofacitinib RA vs UC). CrCl is never replaced by eGFR or the
    reverse. When a kidney transplant is on record and the label has a statement for transplant recipients
    (e.g. EU ritlecitinib: not studied, not recommended), Then renal.not-recommended as well."""
    hits = []
    for d in ctx.drugs:
        rules = ctx.label(d).renal
        if rules is None:
            continue
        hits.extend(_transplant(ctx, d))
        fn = _function(ctx, rules.measure)
        if fn is None:
            hit = _not_computable(ctx, d, rules.measure)
            if hit is not None:
                hits.append(hit)
            continue
        band = band_for([b for b in rules.bands if ctx.applies_to_indication(b.indications)], fn.compare_value)
        if band is None or band.action == "no-change":
            continue
        method = "" if fn.method == "Cockcroft-Gault" else f" ({fn.method})"
        shown = f"{MEASURE_TEXT[fn.measure]} {fn.shown} {UNIT[fn.measure]}{method}"
        if fn.method.startswith("on dialysis"):
            shown = "on dialysis"
        edges = band_text(band)
        if band.action == "dose-adjustment":
            doses = tuple((d, ch.dose) for ch in band.doses if ctx.applies_to_indication(ch.indications))
            hits.append(Hit(
                code="renal.dose-adjustment", severity="warning", drugs=(d,), doses=doses,
                summary=(f"{d}: {shown} in the label band {edges}: "
                         + (doses_text([x for _, x in doses]) if doses else "dose change") + "."),
                detail=band.note or "Renal dose adjustment per label.",
                evidence=fn.evidence, cites=tuple(band.cite),
            ))
        else:
            verdict = "contraindicated" if band.action == "contraindicated" else (
                "not-recommended" if band.action == "not-recommended" else band.action)
            hits.append(Hit(
                code="renal.not-recommended", severity=severity_for(verdict), drugs=(d,), verdict=verdict,
                summary=f"{d}: {shown} in the label band {edges}: {band.action.replace('-', ' ')}.",
                detail=band.note or "Renal impairment band per label.",
                evidence=fn.evidence, cites=tuple(band.cite),
            ))
    return hits


def _transplant(ctx: Context, drug: str) -> list[Hit]:
    rules = ctx.label(drug).renal
    rule = rules.kidney_transplant if rules is not None else None
    if rule is None or rule.action == "no-change":
        return []
    found = conditions(ctx.facts, "kidney-transplant")
    if not found:
        return []
    verdict = verdict_from_action(rule.action) or "caution"
    return [Hit(
        code="renal.not-recommended", severity=severity_for(verdict), drugs=(drug,), verdict=verdict,
        summary=f"{drug}: kidney transplant recipient: {rule.action.replace('-', ' ')}.",
        detail=rule.note or "Kidney transplant recipients per label.",
        evidence=tuple(c.source for c in found), cites=tuple(rule.cite),
    )]


def hepatic(ctx: Context) -> list[Hit]:
    """When a Child-Pugh class is recorded, Then apply each label's hepatic rule (dose change, not
    recommended, contraindicated). When cirrhosis is on record without a Child-Pugh class, Then ask for it:
    hepatic impairment is never assumed absent."""
    cp = ctx.facts.child_pugh
    if cp is None:
        cirrhosis = conditions(ctx.facts, "cirrhosis", active_only=True)
        if not cirrhosis:
            return []
        drugs = tuple(d for d in ctx.drugs if ctx.label(d).hepatic)
        return [Hit(
            code="hepatic.child-pugh-unknown", severity="warning", drugs=drugs, verdict="caution",
            summary="Cirrhosis on record without a Child-Pugh class: hepatic dosing cannot be checked.",
            detail="Labels set doses or exclusions by Child-Pugh class; grade the liver disease before start.",
            evidence=tuple(c.source for c in cirrhosis) + (missing("Child-Pugh class"),),
            cites=tuple(c for d in drugs for r in ctx.label(d).hepatic for c in r.cite)[:3],
            actions=(ActionSpec("grade-child-pugh", "Assess and record the Child-Pugh class.", "before-start",
                                False),),
        )]
    hits = []
    src = ctx.facts.child_pugh_source or ctx.facts.patient_source
    for d in ctx.drugs:
        for rule in ctx.label(d).hepatic:
            if rule.child_pugh != cp or rule.action == "no-change" or not ctx.applies_to_indication(
                    rule.indications):
                continue
            if rule.action == "dose-adjustment":
                doses = tuple((d, ch.dose) for ch in rule.doses if ctx.applies_to_indication(ch.indications))
                hits.append(Hit(
                    code="hepatic.dose-adjustment", severity="warning", drugs=(d,), doses=doses,
                    summary=f"{d}: Child-Pugh {cp}: " + (doses_text([x for _, x in doses]) if doses else
                                                          "dose change") + ".",
                    detail=rule.note or "Hepatic dose adjustment per label.", evidence=(src,),
                    cites=tuple(rule.cite)))
            else:
                verdict = rule.action
                hits.append(Hit(
                    code="hepatic.not-recommended", severity=severity_for(verdict), drugs=(d,), verdict=verdict,
                    summary=f"{d}: Child-Pugh {cp}: {rule.action.replace('-', ' ')}.",
                    detail=rule.note or "Hepatic impairment per label.", evidence=(src,), cites=tuple(rule.cite)))
    return hits


RULES = (renal, hepatic)
