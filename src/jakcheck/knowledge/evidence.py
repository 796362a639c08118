"""Graded evidence: which copy of a source a fact was read in, and whether that copy may relax the advice.

Every citation has a grade (the grade of the copy actually read: the citation's own, else its source's) and
a jurisdiction (where that copy comes from). A fact that makes the advice MORE cautious (a lower dose, a
stricter threshold, "not recommended", "contraindicated") may rest on any grade. A fact that makes it LESS
cautious needs at least one citation read in a regulator, manufacturer or national copy of the region's own
jurisdiction: for the EU region the EMA/EC text or an EU/EEA or UK copy, for the US region an FDA or US copy.
Copies from other countries, and secondary copies, can only make advice more cautious.

Less cautious facts, as checked here:
- an approval with its start doses (an indication rule);
- a `no-change` action (a renal band, a Child-Pugh row, an interaction, an age rule, pregnancy or lactation);
- a changed dose (renal, hepatic, interaction, age or risk-group rule) above every start dose of the indications
  it applies to.
A dose-adjustment to a lower dose, a caution, not-recommended or contraindicated action, a laboratory threshold
and a lower dose for a risk group only add caution and are not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jakcheck.errors import KnowledgeError
from jakcheck.knowledge.schema import Cite, Dose, DoseChange, DrugFile, Grade, Region, RegionLabel, Source

# Grades of a copy that carries the authorised text (the label itself, or a verbatim copy held by its owner
# or a national authority).
LABEL_GRADES: frozenset[str] = frozenset({"regulator", "manufacturer", "national-copy"})

# EU/EEA member states (ISO 3166-1 alpha-2; Greece as EL or GR) and the UK, whose copies of the EU text may
# relax EU advice; "EU" is the EMA/EC text itself.
EU_JURISDICTIONS: frozenset[str] = frozenset({
    "EU", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "EL", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "UK", "GB",
})
US_JURISDICTIONS: frozenset[str] = frozenset({"US"})

# What the document is, in a reader's words, by source kind.
_DOCUMENT: dict[str, str] = {
    "label-us": "the FDA label",
    "smpc-eu": "the EU SmPC",
    "regulator": "the regulator's document",
    "guideline": "the guideline",
    "study": "the paper",
    "standard": "the standard",
    "reference": "the label",
}


def grade_text(grade: str, kind: str, jurisdiction: str | None) -> str:
    """How a citation's copy reads next to its title, so that a copy is never taken for the label itself:
    "secondary copy of the FDA label", "manufacturer's copy of the EU SmPC (IE)", "regulator's text (EU)"."""
    where = f" ({jurisdiction})" if jurisdiction else ""
    if grade == "regulator":
        return f"regulator's text{where}"
    if grade == "publisher":
        return "publisher's text"
    doc = _DOCUMENT.get(kind, "the document")
    if grade == "manufacturer":
        return f"manufacturer's copy of {doc}{where}"
    if grade == "national-copy":
        return f"national copy of {doc}{where}"
    if kind == "reference":
        return "secondary source"
    return f"secondary copy of {doc}"


def cite_grade(cite: Cite, source: Source) -> Grade:
    """The grade of the copy this citation was read in."""
    return cite.grade or source.grade


def cite_jurisdiction(cite: Cite, source: Source) -> str | None:
    """Where the copy this citation was read in comes from."""
    return cite.jurisdiction or source.jurisdiction


def source_grade_text(source: Source) -> str:
    """The phrase for a source's own copy ("secondary copy of the FDA label")."""
    return grade_text(source.grade, source.kind, source.jurisdiction)


def cite_grade_text(cite: Cite, source: Source) -> str:
    """The phrase for the copy one citation was read in."""
    return grade_text(cite_grade(cite, source), source.kind, cite_jurisdiction(cite, source))


def region_jurisdictions(region: Region) -> frozenset[str]:
    return EU_JURISDICTIONS if region == "EU" else US_JURISDICTIONS


def may_relax(cite: Cite, source: Source, region: Region) -> bool:
    """True when this citation may make the region's advice less cautious."""
    j = cite_jurisdiction(cite, source)
    return cite_grade(cite, source) in LABEL_GRADES and j is not None and j.upper() in region_jurisdictions(region)


@dataclass(frozen=True)
class LessCautiousFact:
    path: str  # dotted path in the drug file, e.g. regions.EU.renal.bands.0
    what: str  # the fact in words, e.g. "renal band eGFR >= 60: no-change"
    cite: tuple[Cite, ...]


def less_cautious_facts(region: Region, lab: RegionLabel) -> Iterable[LessCautiousFact]:
    """The facts of one region's label that make advice less cautious."""
    base = f"regions.{region}"
    for i, ind in enumerate(lab.indications):
        doses = ", ".join(f"{d.amount:g} mg {d.frequency}" + (f" ({d.phase})" if d.phase else "") for d in ind.doses)
        yield LessCautiousFact(f"{base}.indications.{i}", f"approval for {ind.indication} with start doses {doses}",
                               tuple(ind.cite))
    if lab.renal is not None:
        for i, band in enumerate(lab.renal.bands):
            if band.action == "no-change":
                rng = f"{band.min if band.min is not None else ''}-{band.max if band.max is not None else ''}"
                yield LessCautiousFact(f"{base}.renal.bands.{i}",
                                       f"renal band {lab.renal.measure} {rng}: no change", tuple(band.cite))
    for i, h in enumerate(lab.hepatic):
        if h.action == "no-change":
            yield LessCautiousFact(f"{base}.hepatic.{i}", f"Child-Pugh {h.child_pugh}: no change", tuple(h.cite))
    for i, x in enumerate(lab.interactions):
        if x.action == "no-change":
            yield LessCautiousFact(f"{base}.interactions.{i}", f"{x.interacts_with}: no change", tuple(x.cite))
    for i, a in enumerate(lab.age):
        if a.action == "no-change":
            yield LessCautiousFact(f"{base}.age.{i}", f"age {a.min_age} and over: no change", tuple(a.cite))
    r = lab.reproductive
    if r is not None and "no-change" in (r.pregnancy, r.lactation):
        yield LessCautiousFact(f"{base}.reproductive", "pregnancy or lactation: no change", tuple(r.cite))
    # A changed dose above every start dose of the indications it applies to (same phase) raises the dose.
    changed: list[tuple[str, str, list[DoseChange], tuple[Cite, ...]]] = []
    if lab.renal is not None:
        changed += [(f"{base}.renal.bands.{i}", "renal band", b.doses, tuple(b.cite))
                    for i, b in enumerate(lab.renal.bands)]
    changed += [(f"{base}.hepatic.{i}", f"Child-Pugh {h.child_pugh}", h.doses, tuple(h.cite))
                for i, h in enumerate(lab.hepatic)]
    changed += [(f"{base}.interactions.{i}", x.interacts_with, x.doses, tuple(x.cite))
                for i, x in enumerate(lab.interactions)]
    changed += [(f"{base}.age.{i}", f"age {a.min_age} and over", a.doses, tuple(a.cite))
                for i, a in enumerate(lab.age)]
    changed += [(f"{base}.risk_doses.{i}", "higher-risk groups", rd.doses, tuple(rd.cite))
                for i, rd in enumerate(lab.risk_doses)]
    for path, what, changes, cite in changed:
        for ch in changes:
            starts = [d for ind in lab.indications if ch.indications is None or ind.indication in ch.indications
                      for d in ind.doses if ch.dose.phase is None or d.phase is None or d.phase == ch.dose.phase]
            if starts and _daily(ch.dose) > max(_daily(d) for d in starts):
                yield LessCautiousFact(path, f"{what}: {ch.dose.amount:g} mg {ch.dose.frequency}, above every start "
                                             "dose", cite)


def _daily(d: Dose) -> float:
    return d.amount * (2 if d.frequency == "twice daily" else 1)


def check_drug_evidence(fname: str, drug: DrugFile, sources: Mapping[str, Source]) -> None:
    """Refuse a drug file whose less-cautious facts rest only on secondary or foreign copies."""
    for region, lab in drug.regions.items():
        for fact in less_cautious_facts(region, lab):
            cites = [(c, sources[c.source]) for c in fact.cite]
            if any(may_relax(c, s, region) for c, s in cites):
                continue
            read = "; ".join(
                f"{c.source}{' ' + c.section if c.section else ''}: {cite_grade(c, s)} "
                f"({cite_jurisdiction(c, s) or 'no jurisdiction'})" for c, s in cites)
            raise KnowledgeError(
                f"{fname}: field {fact.path} ({fact.what}): a fact that makes {region} advice less cautious needs "
                f"a regulator, manufacturer or national copy of {region} jurisdiction; only read in: {read}")
