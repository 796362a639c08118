"""Derived knowledge: the look-ups made from one release, named and typed, owned by it (`Knowledge.derived`).

Each value depends only on the release and its key, and is immutable (frozen models, tuples), so one value
serves every assessment made with the release and no assessment can change it for another.

Built at load (cheap and deterministic): the label citation of each drug and region, and every blood count
threshold per analyte. Made on first use and kept for the release's life: the source references of the
output (`SourceRef`, one per source, section and copy read), the `Missing` entries, the label monitoring plan
of a region and a set of drugs, and the not-encoded coverage cells of a drug for a region and indications.
Their keys come from the knowledge and from the rules' own texts, never from a patient record; the `Missing`
entries are bounded all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jakcheck.assessment import Missing, SourceRef
from jakcheck.knowledge.coverage import Cell, generic_cell, section_for
from jakcheck.knowledge.evidence import cite_grade, cite_jurisdiction, grade_text
from jakcheck.knowledge.schema import DIMENSIONS, Cite, Region

if TYPE_CHECKING:
    from jakcheck.knowledge.loader import Knowledge

# The plan item of a drug whose label lists no monitoring schedule for the region.
UNVERIFIED_SCHEDULE = ("No monitoring schedule for this region is encoded in this knowledge release: follow the "
                       "label, section {section} (blood counts, liver tests, lipids).")
_MISSING_MAX = 10_000
SourceKey = tuple[str, str | None, str | None, str | None]  # source id, section, grade and jurisdiction of the copy


@dataclass(frozen=True)
class PlanItem:
    """One (test, schedule) of the labels of a set of drugs, with the drugs whose label lists it and its
    sources."""

    test: str
    schedule: str
    drugs: tuple[str, ...]
    sources: tuple[SourceRef, ...]


class DerivedKnowledge:
    """The derived look-ups of one release (see the module docstring)."""

    def __init__(self, knowledge: Knowledge) -> None:
        self._k = knowledge
        # The label of each drug in each region as a citation (no section).
        self.label_cites: dict[tuple[str, Region], Cite] = {
            (d.id, region): Cite(source=lab.label_source)
            for d in knowledge.drugs.values() for region, lab in d.regions.items()}
        # Every "below" limit the labels give for an analyte (any drug, any region): (analyte, on treatment) ->
        # limits; on treatment = every limit but those that only stop a start (do-not-initiate).
        limits: dict[tuple[str, bool], list[float]] = {}
        for d in knowledge.drugs.values():
            for lab in d.regions.values():
                for t in lab.labs:
                    if t.below is not None:
                        limits.setdefault((t.analyte, t.action != "do-not-initiate"), []).append(t.below)
        self.threshold_limits: dict[tuple[str, bool], tuple[float, ...]] = {k: tuple(v) for k, v in limits.items()}
        self._source_refs: dict[SourceKey, SourceRef] = {}
        self._missing: dict[str, Missing] = {}
        self._plans: dict[tuple[Region, tuple[str, ...]], tuple[PlanItem, ...]] = {}
        self._not_encoded: dict[tuple[str, Region, tuple[str, ...]], tuple[Cell, ...]] = {}

    def label_cite(self, drug: str, region: Region) -> Cite:
        try:
            return self.label_cites[(drug, region)]
        except KeyError:
            raise KeyError(f"{drug}: no {region} label") from None

    def source_ref(self, cite: Cite) -> SourceRef:
        """The output's reference for a citation: the source's title, address and date with the section, and
        the grade and jurisdiction of the copy read (the citation's own, else the source's)."""
        s = self._k.sources.get(cite.source)
        if s is None:
            raise KeyError(f"rule cites unknown source {cite.source!r}")
        grade, where = cite_grade(cite, s), cite_jurisdiction(cite, s)
        key = (cite.source, cite.section, grade, where)
        ref = self._source_refs.get(key)
        if ref is None:
            ref = self._source_refs[key] = SourceRef(
                id=s.id, title=s.title, url=s.url, section=cite.section, date=s.date.isoformat(), grade=grade,
                jurisdiction=where, grade_text=grade_text(grade, s.kind, where))
        return ref

    def missing(self, evidence: str) -> Missing:
        """The Missing entry of a "missing:<what>" evidence string."""
        entry = self._missing.get(evidence)
        if entry is None:
            if len(self._missing) >= _MISSING_MAX:
                self._missing.clear()
            entry = self._missing[evidence] = Missing(missing=evidence.removeprefix("missing:"))
        return entry

    def monitoring_plan(self, region: Region, drugs: tuple[str, ...]) -> tuple[PlanItem, ...]:
        """Each (test, schedule) of the drugs' labels with its drugs and sources, then one item per drug whose
        label lists no schedule (follow the label section); in first-seen order."""
        key = (region, drugs)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._monitoring_plan(region, drugs)
        return plan

    def _monitoring_plan(self, region: Region, drugs: tuple[str, ...]) -> tuple[PlanItem, ...]:
        k = self._k
        grouped: dict[tuple[str, str], tuple[list[str], list[Cite]]] = {}
        for d in drugs:
            lab = k.label(d, region)
            if lab is None:
                continue
            for m in lab.monitoring:
                ds, cs = grouped.setdefault((m.test, m.schedule), ([], []))
                ds.append(d)
                cs.extend(m.cite)
        for d in drugs:
            lab = k.label(d, region)
            if lab is None or lab.monitoring:
                continue
            cells = [c for c in k.coverage.select(d, region) if c.dimension == "monitoring"]
            text = UNVERIFIED_SCHEDULE.format(section=cells[0].section if cells and cells[0].section else
                                              section_for(region, "monitoring"))
            ds, cs = grouped.setdefault(("label-schedule", text), ([], []))
            ds.append(d)
            cs.append(Cite(source=lab.label_source))
        return tuple(PlanItem(test, schedule, tuple(ds), self.source_refs(cs))
                     for (test, schedule), (ds, cs) in grouped.items())

    def source_refs(self, cites: Iterable[Cite]) -> tuple[SourceRef, ...]:
        """The references of the citations, each source, section and copy once, in citation order."""
        out: dict[tuple[str, str | None, str, str | None], SourceRef] = {}
        for c in cites:
            ref = self.source_ref(c)
            out.setdefault((ref.id, ref.section, ref.grade, ref.jurisdiction), ref)
        return tuple(out.values())

    def coverage_cell(self, drug: str, region: Region, indication: str, dimension: str) -> Cell | None:
        """The coverage matrix cell; for an indication the knowledge does not list for the drug at all, its
        approval and start-dose cells are not encoded (check the approval), never "not approved"."""
        k = self._k
        cell = k.coverage.cell(drug, region, indication, dimension)
        if cell is None and dimension in ("approval", "start-dose"):
            lab = k.label(drug, region)
            if lab is not None and lab.authorised and not any(r.indication == indication for r in lab.indications):
                return generic_cell(drug, region, indication, dimension, lab.label_source)
        return cell

    def not_encoded_cells(self, drug: str, region: Region, indications: tuple[str, ...]) -> tuple[Cell, ...]:
        """The drug's not-encoded cells for the indications, in dimension order then indication order."""
        key = (drug, region, indications)
        cells = self._not_encoded.get(key)
        if cells is None:
            found = (self.coverage_cell(drug, region, ind, dim) for dim in DIMENSIONS for ind in indications)
            cells = self._not_encoded[key] = tuple(c for c in found if c is not None and c.status == "not-encoded")
        return cells
