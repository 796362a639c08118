"""Knowledge gaps are never silent: the patient's data against the coverage matrix (knowledge/coverage.py).

A label may change the start decision or the dose for renal or hepatic impairment, an interacting drug, an age
band, a low blood count, pregnancy or breastfeeding, or an indication. Where the knowledge base has no rule
for such a cell of a drug (`not-encoded`) and the patient is in it, "appropriate, full dose" would be a guess:
the drug gets one `knowledge.not-encoded` finding listing each such cell with the label section to check, its
verdict is at least caution and its dose carries a note. Where the other region's label of the same drug has a
rule for the cell, that rule is applied as well (the more cautious answer wins: the lowest dose, the worst
verdict) and `knowledge.other-region-applied` says so. Not-encoded monitoring schedules, contraception after
the last dose and live-vaccine timing ask to follow the label (info, checklist) without capping the verdict.

"In the cell" means: renal function below 90 mL/min (either measure) or not on record; dialysis; a
Child-Pugh class, or cirrhosis without one (every class); a current medicine of the interaction class; a blood
count below, or less than 10 % above, any threshold the knowledge holds for it (or a figure a non-label copy
reports for this cell); age 65 or over or under 18; pregnancy or breastfeeding on record; an indication the
region's knowledge does not list for the drug.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import get_args

from jakcheck.knowledge.coverage import Cell, dimension_text, kind
from jakcheck.knowledge.schema import Cite, InteractionClass, Region
from jakcheck.patient.derived import RenalFunction, age_years, conditions, latest_lab, medications_with_class
from jakcheck.patient.facts import Tri
from jakcheck.rules import interactions as interactions_rules
from jakcheck.rules import regulatory, renal_hepatic, reproductive
from jakcheck.rules.base import ActionSpec, Context, Hit, missing

NEAR = 1.10  # "near a threshold": less than 10 % above it
RENAL_NORMAL = renal_hepatic.RENAL_NORMAL
CODE = "knowledge.not-encoded"
INFO_CODE = "knowledge.follow-label"
OTHER_CODE = "knowledge.other-region-applied"
INTERACTION_CLASSES: tuple[str, ...] = get_args(InteractionClass)


@dataclass(frozen=True)
class Relevant:
    cell: Cell
    why: str  # the patient data that puts the patient in the cell
    evidence: tuple[str, ...]


# The renal rule's findings for a band the patient's value falls in (not those for missing data).
RENAL_BAND_CODES = frozenset({"renal.dose-adjustment", "renal.not-recommended"})


def _other(region: Region) -> Region:
    return "US" if region == "EU" else "EU"


def _indications(ctx: Context, drug: str) -> list[str]:
    if ctx.indication is not None:
        return [ctx.indication]
    return list(dict.fromkeys(r.indication for r in ctx.label(drug).indications))


class _Patient:
    """What the coverage check reads about the patient, worked out once per assessment and shared by every
    drug: whether the patient can be in any cell of the gated kinds at all (a quick first test), the classes of
    the current medicines, and (on first use) the renal function now per measure."""

    def __init__(self, ctx: Context) -> None:
        f = ctx.facts
        age = age_years(f)
        self.gates: dict[str, bool] = {
            "age": age is not None and (age >= 65 or age < 18),
            "dialysis": f.on_dialysis or bool(conditions(f, "esrd-dialysis", active_only=True)),
            "hepatic": f.child_pugh is not None or bool(conditions(f, "cirrhosis", active_only=True)),
            "pregnancy": reproductive.is_pregnant(ctx)[0],
            "lactation": f.lactating.state == Tri.PRESENT or bool(conditions(f, "lactation", active_only=True)),
            "contraception": f.sex != "male" and age is not None
            and reproductive.CHILDBEARING_AGES[0] <= age < reproductive.CHILDBEARING_AGES[1],
        }
        self.classes = frozenset(c for m in f.medications if m.current for c in m.classes)
        self._renal: dict[str, RenalFunction | None] = {}

    def renal_now(self, ctx: Context, measure: str) -> RenalFunction | None:
        if measure not in self._renal:
            self._renal[measure] = renal_hepatic.renal_function_now(ctx, measure)
        return self._renal[measure]


def _renal_state(ctx: Context, drug: str, cell: Cell, patient: _Patient) -> tuple[str, tuple[str, ...]] | None:
    lab = ctx.label(drug)
    measures = (lab.renal.measure,) if lab.renal is not None else ("crcl-cockcroft-gault", "egfr")
    values: list[RenalFunction] = []
    for m in measures:
        fn = patient.renal_now(ctx, m)
        if fn is not None:
            values.append(fn)
    if not values:
        return "renal function not on record (unknown is not normal)", (missing("renal function"),)
    low = [fn for fn in values if fn.compare_value < RENAL_NORMAL]
    if not low:
        return None
    fn = low[0]
    if lab.renal is not None:  # bands cover part of the range: a value inside an encoded band is answered
        bands = [b for b in lab.renal.bands if ctx.applies_to_indication(b.indications)]
        if renal_hepatic.band_for(bands, fn.compare_value) is not None:
            return None
    shown = "on dialysis" if fn.method.startswith("on dialysis") else (
        f"{renal_hepatic.MEASURE_TEXT[fn.measure]} {fn.shown} {renal_hepatic.UNIT[fn.measure]}")
    return shown, fn.evidence


def _patient_in(ctx: Context, drug: str, cell: Cell, patient: _Patient) -> tuple[str, tuple[str, ...]] | None:
    """Whether the patient's data puts them in the cell: (what puts them there, evidence) or None."""
    f = ctx.facts
    dim = cell.dimension
    k, _, arg = dim.partition(":")
    if k in ("approval", "start-dose"):
        return f"indication {cell.indication}", (f.patient_source,)
    if k == "age":
        age = age_years(f)
        if age is not None and (age >= 65 or age < 18):
            return f"age {age}", (f.patient_source,)
        return None
    if k == "renal":
        return _renal_state(ctx, drug, cell, patient)
    if k == "dialysis":
        esrd = conditions(f, "esrd-dialysis", active_only=True)
        if f.on_dialysis or esrd:
            return "on dialysis or end-stage renal disease", tuple(c.source for c in esrd) or (f.patient_source,)
        return None
    if k == "hepatic":
        if f.child_pugh is not None:
            return (f"Child-Pugh {f.child_pugh}", (f.child_pugh_source or f.patient_source,)) \
                if f.child_pugh == arg else None
        cirrhosis = conditions(f, "cirrhosis", active_only=True)
        if cirrhosis:
            return "liver disease without a Child-Pugh class", tuple(c.source for c in cirrhosis)
        return None
    if k == "interaction":
        if arg not in patient.classes:
            return None
        meds = [m for m in medications_with_class(f, arg) if m.concept != drug]
        if not meds:
            return None
        return ", ".join(sorted({m.display for m in meds})), tuple(m.source for m in meds)
    if k in ("start-threshold", "treatment-threshold"):
        treatment = k == "treatment-threshold"
        if treatment != ctx.is_current(drug):
            return None
        value = latest_lab(f, arg, int(ctx.threshold("cbc-baseline-lookback-days")))
        if value is None:
            return None  # a missing count is a finding of its own (lab.cbc-missing)
        # Every threshold the knowledge holds for the analyte (any drug, any region), start or on-treatment.
        limits = [*ctx.knowledge.derived.threshold_limits.get((arg, treatment), ()),
                  *(v for a, v in cell.reported_below if a == arg)]
        if not limits or value.value >= NEAR * max(limits):
            return None
        return f"{arg} {value.value:g} {value.unit}", (value.source,)
    if k == "pregnancy":
        pregnant, ev = reproductive.is_pregnant(ctx)
        return ("pregnant", ev) if pregnant else None
    if k == "lactation":
        if f.lactating.state == Tri.PRESENT:
            return "breastfeeding", (f.lactating.source or f.patient_source,)
        ev = tuple(c.source for c in conditions(f, "lactation", active_only=True))
        return ("breastfeeding", ev) if ev else None
    if k == "contraception":
        age = age_years(f)
        if f.sex == "male" or age is None or not reproductive.CHILDBEARING_AGES[0] <= age < \
                reproductive.CHILDBEARING_AGES[1]:
            return None
        return "woman of childbearing age", (f.patient_source,)
    if k in ("monitoring", "live-vaccines"):
        return "every patient on the drug", (f.patient_source,)
    return None


def relevant_cells(ctx: Context, drug: str, patient: _Patient) -> list[Relevant]:
    """The not-encoded cells of the drug that the patient's data puts them in, one per dimension."""
    out: list[Relevant] = []
    done: set[str] = set()
    gates = patient.gates
    classes = patient.classes
    for cell in ctx.knowledge.derived.not_encoded_cells(drug, ctx.region, tuple(_indications(ctx, drug))):
        dim = cell.dimension
        if dim in done:
            continue
        if dim.startswith("interaction:"):
            if dim[12:] not in classes:
                continue
        elif not gates.get(kind(dim), True):
            continue
        state = _patient_in(ctx, drug, cell, patient)
        if state is not None:
            out.append(Relevant(cell, state[0], state[1]))
            done.add(cell.dimension)
    return out


# The rules that answer a cell, run with the other region's label where that label encodes the cell.
def _borrowing_rule(dimension: str) -> Callable[[Context], list[Hit]] | None:
    k, _, arg = dimension.partition(":")
    if k == "age":
        return regulatory.age_dose
    if k in ("renal", "dialysis"):
        return renal_hepatic.renal
    if k == "hepatic":
        return renal_hepatic.hepatic
    if k == "interaction":
        return lambda c: interactions_rules.interactions(c, only=(arg,))
    if k == "pregnancy":
        return reproductive.pregnancy
    if k == "lactation":
        return reproductive.lactation
    return None


def _other_region_hits(ctx: Context, drug: str, rel: Relevant) -> tuple[list[Hit], Cell | None]:
    """The other region's rule for the same cell, applied: its hits (the engine keeps the worst verdict and
    the lowest dose), each saying where it comes from."""
    other = _other(ctx.region)
    lab = ctx.knowledge.label(drug, other)
    if lab is None or not lab.authorised:
        return [], None
    cell = ctx.knowledge.coverage.cell(drug, other, rel.cell.indication, rel.cell.dimension)
    renal = kind(rel.cell.dimension) in ("renal", "dialysis")
    # A renal cell is encoded only when its bands cover every value; a band the other region does encode for
    # this patient's value is still a verified rule for this patient, so it is borrowed.
    if cell is None or (cell.status == "not-encoded" and not renal):
        return [], None
    if kind(rel.cell.dimension) in ("start-threshold", "treatment-threshold"):
        return [], cell  # the laboratory rules borrow the other region's thresholds themselves
    rule = _borrowing_rule(rel.cell.dimension)
    if rule is None:
        return [], None
    octx = replace(ctx, region=other, drugs=(drug,))
    hits = [replace(h, drugs=(drug,), summary=f"{h.summary} [{other} label rule applied: no {ctx.region} rule "
                    "encoded]") for h in rule(octx) if drug in h.drugs or not h.drugs]
    if cell.status == "not-encoded":
        hits = [h for h in hits if h.code in RENAL_BAND_CODES]
        if not hits:
            return [], None
    return hits, cell


def not_encoded(ctx: Context) -> list[Hit]:
    """When the patient's data puts them in a not-encoded cell of a drug's coverage matrix (renal function
    under 90 or unknown, a Child-Pugh class or cirrhosis, a current medicine of an interaction class, a blood
    count below or within 10 % above a threshold, age 65+ or under 18, pregnancy, breastfeeding, an indication
    not listed for the drug), Then one knowledge.not-encoded finding for that drug (warning, verdict caution)
    lists each cell with the label section to check, and the dose carries a note; where the other region's
    label encodes the cell, its rule is applied too and knowledge.other-region-applied says so (info). When
    the monitoring schedule, the contraception interval after the last dose or the live-vaccine wording is
    not encoded, Then knowledge.follow-label (info) asks to follow the label section, without capping.
    Source: the drug's label (the section named in each cell)."""
    hits: list[Hit] = []
    patient = _Patient(ctx) if ctx.drugs else None
    for d in ctx.drugs:
        assert patient is not None
        rels = relevant_cells(ctx, d, patient)
        if not rels:
            continue
        label_source = ctx.label(d).label_source
        capping = [r for r in rels if r.cell.capping]
        info = [r for r in rels if not r.cell.capping]
        borrowed: list[tuple[Relevant, Cell]] = []
        borrowed_cites: list[Cite] = []
        for r in capping:
            extra, other_cell = _other_region_hits(ctx, d, r)
            hits.extend(extra)
            if other_cell is not None:
                borrowed.append((r, other_cell))
                borrowed_cites.extend(c for h in extra for c in h.cites)
        if capping:
            listed = "; ".join(f"{dimension_text(r.cell.dimension)} ({r.why}): check section {r.cell.section}"
                               for r in capping)
            reasons = " ".join(dict.fromkeys(f"{dimension_text(r.cell.dimension)}: {r.cell.reason}"
                                             for r in capping))
            hits.append(Hit(
                code=CODE, severity="warning", drugs=(d,), verdict="caution",
                reason="label rule not encoded: " + ", ".join(dict.fromkeys(dimension_text(r.cell.dimension)
                                                                             for r in capping)),
                summary=f"{d}: the {ctx.region} label's rule is not encoded for this patient - {listed}.",
                detail=("jakcheck cannot confirm the verdict or the dose for these label rules; check the label "
                        "before starting or continuing. " + reasons),
                evidence=tuple(dict.fromkeys(e for r in capping for e in r.evidence)),
                cites=(Cite(source=label_source),) + tuple(c for r in capping for c in r.cell.cites),
                actions=(ActionSpec(f"check-label-{d}", f"Check the {ctx.region} label of {d}: "
                                    + ", ".join(dict.fromkeys(f"section {r.cell.section}" for r in capping)) + ".",
                                    "before-start", False),),
            ))
        if borrowed:
            other = _other(ctx.region)
            hits.append(Hit(
                code=OTHER_CODE, severity="info", drugs=(d,),
                summary=(f"{d}: no {ctx.region} rule encoded for "
                         + ", ".join(dimension_text(r.cell.dimension) for r, _ in borrowed)
                         + f" - the {other} label's rule is applied (the more cautious answer counts)."),
                detail=(f"The {ctx.region} label may differ (it can be stricter): check it. The {other} rule "
                        "applied: " + "; ".join(f"{dimension_text(c.dimension)}: {c.reason}" for _, c in borrowed)
                        + "."),
                evidence=tuple(dict.fromkeys(e for r, _ in borrowed for e in r.evidence)),
                # the other region's cell, and the rules of it that were applied (a partly encoded renal cell
                # has its sources on the band)
                cites=tuple(dict.fromkeys([*(x for _, c in borrowed for x in c.cites), *borrowed_cites])),
            ))
        if info:
            hits.append(Hit(
                code=INFO_CODE, severity="info", drugs=(d,),
                summary=f"{d}: follow the {ctx.region} label for "
                        + "; ".join(f"{dimension_text(r.cell.dimension)} (section {r.cell.section})" for r in info)
                        + " - not encoded in this knowledge release.",
                detail=" ".join(dict.fromkeys(f"{dimension_text(r.cell.dimension)}: {r.cell.reason}" for r in info)),
                evidence=(ctx.facts.patient_source,),
                cites=(Cite(source=label_source),),
                actions=tuple(ActionSpec(f"follow-label-{r.cell.dimension}-{d}",
                                         f"{d}: follow the label for {dimension_text(r.cell.dimension)}, section "
                                         f"{r.cell.section}.", "at-start", False) for r in info),
            ))
    return hits


def dose_note(hits: list[Hit], drug: str) -> str | None:
    """The note a dose carries when a not-encoded cell of the drug applies to the patient."""
    for h in hits:
        if h.code == CODE and drug in h.drugs:
            return ("Not every label rule that applies to this patient is encoded: check the label before using "
                    "this dose.")
    return None


RULES = (not_encoded,)
