"""The coverage matrix: what the knowledge base states for every drug x region x indication x dimension.

Each cell is `encoded` (a rule in the drug file, with its source), `no-change` (the label says no adjustment is
needed: a rule with action no-change or an explicit entry, always cited) or `not-encoded` (an explicit entry
with the reason and the label section a reader should check). Encoded cells are derived from the rules
(indications and doses, age rules, renal bands, hepatic rows, interactions per class, thresholds per analyte,
monitoring, reproductive, live vaccines); the drug files state only the others, in `coverage:` lists. A rule
added to a drug file turns its cells into `encoded` by itself, and the explicit entry it replaces must then go:
loading refuses a missing cell, and a not-encoded entry for a cell a rule encodes.

The matrix covers the indications a region lists, every dimension each; an indication named only in explicit
entries (e.g. one the label approves but whose doses were not read) has the cells those entries give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jakcheck.errors import KnowledgeError
from jakcheck.knowledge.schema import (
    DIMENSIONS,
    Cite,
    CoverageEntry,
    CoverageStatus,
    DrugFile,
    Grade,
    LabelAction,
    Region,
    RegionLabel,
    Source,
)

REGIONS: tuple[Region, ...] = ("US", "EU")

# The label section a reader checks for each dimension, when an entry gives none (US prescribing information;
# EU SmPC). Used for indications the knowledge does not list at all.
LABEL_SECTION: dict[Region, dict[str, str]] = {
    "US": {"approval": "1 (Indications and Usage)", "start-dose": "2 (Dosage and Administration)",
           "age": "2, 8.4-8.5 (pediatric and geriatric use)", "renal": "2, 8.6 (renal impairment)",
           "dialysis": "2, 8.6 (end-stage renal disease, dialysis)",
           "hepatic": "2, 8.7 (hepatic impairment)", "interaction": "7 (Drug Interactions)",
           "start-threshold": "2 (laboratory thresholds for starting)",
           "treatment-threshold": "2 (dose interruption)", "monitoring": "2, 5 (laboratory monitoring)",
           "pregnancy": "8.1 (Pregnancy)", "contraception": "8.3 (Females and Males of Reproductive Potential)",
           "lactation": "8.2 (Lactation)", "live-vaccines": "5 (Vaccinations)", "other": "the current label"},
    "EU": {"approval": "4.1 (Therapeutic indications)", "start-dose": "4.2 (Posology)",
           "age": "4.2 (elderly, paediatric population)", "renal": "4.2 (renal impairment)",
           "dialysis": "4.2 (end-stage renal disease, dialysis)", "hepatic": "4.2 (hepatic impairment)",
           "interaction": "4.5 (Interactions)",
           "start-threshold": "4.2 (laboratory parameters)", "treatment-threshold": "4.2 (dose interruption)",
           "monitoring": "4.4 (laboratory monitoring)", "pregnancy": "4.6 (Pregnancy)",
           "contraception": "4.6 (Women of childbearing potential)", "lactation": "4.6 (Breast-feeding)",
           "live-vaccines": "4.4 (Vaccinations)", "other": "the current SmPC"},
}

# Dimensions whose not-encoded cell can change the start decision or the dose: they cap the verdict at caution.
CAPPING_KINDS = ("approval", "start-dose", "age", "renal", "dialysis", "hepatic", "interaction",
                 "start-threshold", "treatment-threshold", "pregnancy", "lactation")

DIMENSION_TEXT = {
    "approval": "approval and line of therapy", "start-dose": "start dose", "age": "age bands",
    "renal": "renal bands", "dialysis": "end-stage renal disease or dialysis",
    "monitoring": "monitoring schedule", "pregnancy": "pregnancy",
    "contraception": "contraception after the last dose", "lactation": "lactation",
    "live-vaccines": "live vaccines", "other": "other label facts",
}
ANALYTE_TEXT = {"lymphocytes": "lymphocytes", "neutrophils": "neutrophils", "hemoglobin": "haemoglobin",
                "platelets": "platelets"}


def kind(dimension: str) -> str:
    """The family of a dimension: "interaction:cyp3a4-strong-inhibitor" -> "interaction"."""
    return dimension.split(":", 1)[0]


def dimension_text(dimension: str) -> str:
    k, _, arg = dimension.partition(":")
    if k == "hepatic":
        return f"hepatic impairment, Child-Pugh {arg}"
    if k == "interaction":
        return f"interaction: {arg.replace('-', ' ')}"
    if k == "start-threshold":
        return f"start threshold: {ANALYTE_TEXT.get(arg, arg)}"
    if k == "treatment-threshold":
        return f"interrupt/discontinue threshold: {ANALYTE_TEXT.get(arg, arg)}"
    return DIMENSION_TEXT.get(dimension, dimension)


def section_for(region: Region, dimension: str) -> str:
    return LABEL_SECTION[region][kind(dimension)]


@dataclass(frozen=True)
class Cell:
    drug: str
    region: Region
    indication: str
    dimension: str
    status: CoverageStatus
    cites: tuple[Cite, ...]
    reason: str | None = None  # why not encoded (not-encoded), what the rule says (encoded, no-change)
    section: str | None = None  # the label section a reader checks (not-encoded)
    reported_below: tuple[tuple[str, float], ...] = ()  # not-encoded thresholds: figures from non-label copies

    @property
    def capping(self) -> bool:
        return self.status == "not-encoded" and kind(self.dimension) in CAPPING_KINDS


@dataclass(frozen=True)
class Matrix:
    cells: tuple[Cell, ...]
    index: dict[tuple[str, Region, str, str], Cell]
    entries: tuple[tuple[str, Region, CoverageEntry], ...]  # the explicit entries, in file order

    def cell(self, drug: str, region: Region, indication: str, dimension: str) -> Cell | None:
        return self.index.get((drug, region, indication, dimension))

    def select(self, drug: str | None = None, region: Region | None = None) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if (drug is None or c.drug == drug)
                     and (region is None or c.region == region))


def _applies(indications: list[str] | None, indication: str) -> bool:
    return indications is None or indication in indications


def _status(actions: Iterable[LabelAction]) -> CoverageStatus:
    return "no-change" if all(a == "no-change" for a in actions) else "encoded"


def _cites(rules: Iterable[Any]) -> tuple[Cite, ...]:
    return tuple(dict.fromkeys(c for r in rules for c in r.cite))


_Derived = tuple[CoverageStatus, tuple[Cite, ...], str]


def _renal_gap(lab: RegionLabel, indication: str) -> tuple[list[Any], str | None]:
    """The renal bands that apply to the indication, and the part of [0, 90) they leave uncovered (None when
    covered): values from 90 up count as normal renal function."""
    if lab.renal is None:
        return [], "no band"
    bands = [b for b in lab.renal.bands if _applies(b.indications, indication)]
    if not bands:
        return [], "no band"
    edges = sorted((b.min or 0.0, b.max if b.max is not None else float("inf")) for b in bands)
    reach = 0.0
    for lo, hi in edges:
        if lo > reach:
            return bands, f"{reach:g} to <{lo:g}"
        reach = max(reach, hi)
    return bands, (None if reach >= 90 else f"{reach:g} and above")


def derive(lab: RegionLabel, indication: str, dimension: str) -> _Derived | None:
    """The cell as the rules of the drug file give it, or None when no rule covers it."""
    k, _, arg = dimension.partition(":")
    ind_rules = [r for r in lab.indications if r.indication == indication]
    if k in ("approval", "start-dose"):
        if not ind_rules:
            return None
        if k == "approval":
            r = ind_rules[0]
            what = f"from age {r.min_age}" + ("; after a TNF blocker" if r.tnf_ir_required else "")
            return "encoded", _cites(ind_rules), what
        doses = sorted({f"{d.amount:g} mg {d.frequency}" + (f" ({d.phase})" if d.phase else "")
                        for r in ind_rules for d in r.doses})
        return "encoded", _cites(ind_rules), "; ".join(doses)
    if k == "age":
        rules: list[Any] = [r for r in lab.age if _applies(r.indications, indication)]
        rules += [r for r in lab.risk_doses if "age-65-plus" in r.risks and _applies(r.indications, indication)]
        if not rules:
            return None
        return "encoded", _cites(rules), "age rule(s): " + ", ".join(
            sorted({f"{r.min_age}+" if hasattr(r, "min_age") else "65+ (risk dose)" for r in rules}))
    if k == "renal":
        bands, gap = _renal_gap(lab, indication)
        if not bands or gap is not None:
            return None
        assert lab.renal is not None
        return _status(b.action for b in bands), _cites(bands), f"{len(bands)} band(s) by {lab.renal.measure}"
    if k == "dialysis":
        # On dialysis the lowest band applies (renal_hepatic): it answers the cell when it changes something or
        # is an end-stage band itself; a "no change" band that reaches 0 says nothing about end-stage disease.
        bands, _ = _renal_gap(lab, indication)
        low = [b for b in bands if b.min is None or b.min <= 0]
        if not low or all(b.action == "no-change" and (b.max is None or b.max > 15) for b in low):
            return None
        return "encoded", _cites(low), ", ".join(b.action for b in low)
    if k == "hepatic":
        hep = [r for r in lab.hepatic if r.child_pugh == arg and _applies(r.indications, indication)]
        return (_status(r.action for r in hep), _cites(hep), ", ".join(r.action for r in hep)) if hep else None
    if k == "interaction":
        ints = [r for r in lab.interactions if r.interacts_with == arg and _applies(r.indications, indication)]
        return (_status(r.action for r in ints), _cites(ints), ", ".join(r.action for r in ints)) if ints else None
    if k in ("start-threshold", "treatment-threshold"):
        ths = [t for t in lab.labs if t.analyte == arg and t.below is not None
               and _applies(t.indications, indication)]
        start = [t for t in ths if t.action == "do-not-initiate"]
        on = [t for t in ths if t.action != "do-not-initiate"]
        # A label that gives only an interruption threshold ("do not start or interrupt") sets the start too.
        chosen = (start or on) if k == "start-threshold" else on
        if not chosen:
            return None
        return "encoded", _cites(chosen), "; ".join(f"{t.action} below {t.below:g} {t.unit}" for t in chosen)
    if k == "monitoring":
        return ("encoded", _cites(lab.monitoring), ", ".join(m.test for m in lab.monitoring)) \
            if lab.monitoring else None
    if k in ("pregnancy", "lactation", "contraception"):
        rep = lab.reproductive
        if rep is None:
            return None
        if k == "contraception":
            if rep.contraception_after_last_dose is None:
                return None
            return "encoded", tuple(rep.cite), f"{rep.contraception_after_last_dose} after the last dose"
        action: LabelAction = rep.pregnancy if k == "pregnancy" else rep.lactation
        return _status([action]), tuple(rep.cite), action
    if k == "live-vaccines":
        return ("encoded", (Cite(source=lab.label_source),), lab.live_vaccines) if lab.live_vaccines else None
    raise KnowledgeError(f"coverage: unknown dimension {dimension!r}")


def _entry_indications(lab: RegionLabel, entry: CoverageEntry) -> list[str]:
    if entry.indications is not None:
        return list(entry.indications)
    return list(dict.fromkeys(r.indication for r in lab.indications))


def build_matrix(drugs: dict[str, DrugFile], drug_order: Iterable[str], indications: Iterable[str]) -> Matrix:
    """Every cell of every drug and region; KnowledgeError when a cell is missing, when an explicit entry
    contradicts a rule, or when two explicit entries disagree."""
    known_ind = set(indications)
    cells: list[Cell] = []
    index: dict[tuple[str, Region, str, str], Cell] = {}
    entries: list[tuple[str, Region, CoverageEntry]] = []
    problems: list[str] = []
    for d in drug_order:
        drug = drugs[d]
        for region in REGIONS:
            lab = drug.regions.get(region)
            if lab is None:
                continue
            where = f"drugs/{d}.yaml: regions.{region}.coverage"
            explicit: dict[tuple[str, str], list[CoverageEntry]] = {}
            for i, e in enumerate(lab.coverage):
                entries.append((d, region, e))
                for ind in _entry_indications(lab, e):
                    if ind not in known_ind:
                        problems.append(f"{where}.{i}: unknown indication {ind!r}")
                    for dim in e.dimensions:
                        explicit.setdefault((ind, dim), []).append(e)
            listed = list(dict.fromkeys(r.indication for r in lab.indications)) if lab.authorised else []
            named = list(dict.fromkeys(ind for ind, _ in explicit))
            for ind in dict.fromkeys([*listed, *named]):
                dims = list(DIMENSIONS) if ind in listed else []
                dims += [dim for (i2, dim) in explicit if i2 == ind and dim not in dims]
                if ind not in listed and lab.authorised and "approval" not in dims:
                    problems.append(f"{where}: {ind}: cells given for an indication the region does not list, "
                                    "but no approval cell")
                for dim in dims:
                    got = derive(lab, ind, dim) if dim in DIMENSIONS else None
                    given = explicit.get((ind, dim), [])
                    statuses = {e.status for e in given}
                    if len(statuses) > 1:
                        problems.append(f"{where}: {ind} / {dim}: both no-change and not-encoded")
                        continue
                    if got is not None:
                        if given:
                            problems.append(f"{where}: {ind} / {dim}: an explicit {given[0].status} entry for a cell "
                                            f"the rules encode ({got[0]}); remove the entry")
                            continue
                        status, cites, reason = got
                        cell = Cell(d, region, ind, dim, status, cites, reason)
                    elif given:
                        reason = " | ".join(dict.fromkeys(e.reason for e in given))
                        if kind(dim) == "renal":
                            bands, gap = _renal_gap(lab, ind)
                            if bands:
                                reason = f"bands encoded except {gap}: {reason}"
                        cell = Cell(d, region, ind, dim, given[0].status,
                                    tuple(dict.fromkeys(c for e in given for c in e.cite)), reason,
                                    "; ".join(dict.fromkeys(e.section for e in given)),
                                    tuple(sorted({(a, v) for e in given for a, v in e.reported_below.items()})))
                    else:
                        extra = ""
                        if kind(dim) == "renal":
                            bands, gap = _renal_gap(lab, ind)
                            extra = f" (renal bands leave {gap} uncovered)" if bands else ""
                        problems.append(f"{where}: missing cell {ind} / {dim}{extra}: encode a rule or add a "
                                        "no-change or not-encoded entry")
                        continue
                    cells.append(cell)
                    index[(d, region, ind, dim)] = cell
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise KnowledgeError("coverage matrix: " + "; ".join(problems[:5]) + more)
    return Matrix(tuple(cells), index, tuple(entries))


def generic_cell(drug: str, region: Region, indication: str, dimension: str, label_source: str) -> Cell:
    """The cell of an indication the knowledge does not list for the drug at all: not encoded (check the
    label), never "not approved" and never "no change"."""
    return Cell(drug, region, indication, dimension, "not-encoded", (Cite(source=label_source),),
                f"{indication} is not among the {region} indications this knowledge release lists for {drug}",
                section_for(region, dimension))


def grade_of(cite: Cite, sources: dict[str, Source]) -> Grade | None:
    """The grade of the copy read for this citation: the citation's own, else the source's."""
    s = sources.get(cite.source)
    return cite.grade or (s.grade if s is not None else None)


def cell_json(cell: Cell, sources: dict[str, Source]) -> dict[str, Any]:
    """A cell as the `jakcheck kb coverage --format json` contract gives it."""
    return {"drug": cell.drug, "region": cell.region, "indication": cell.indication, "dimension": cell.dimension,
            "status": cell.status,
            "sources": [{"id": c.source, "section": c.section, "grade": grade_of(c, sources)} for c in cell.cites],
            "section": cell.section, "reason": cell.reason}


def counts(cells: Iterable[Cell]) -> dict[tuple[str, Region], dict[str, int]]:
    out: dict[tuple[str, Region], dict[str, int]] = {}
    for c in cells:
        row = out.setdefault((c.drug, c.region), {"encoded": 0, "no-change": 0, "not-encoded": 0})
        row[c.status] += 1
    return out
