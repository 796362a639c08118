"""Immunization -> ImmunizationFact: a completed vaccination with a known vaccine and a usable date."""

from __future__ import annotations

from typing import Any

from jakcheck.fhir.coding import display
from jakcheck.fhir.record import Record
from jakcheck.patient.facts import ImmunizationFact


def read_immunization(r: Record, res: dict[str, Any], source: str) -> None:
    """A completed Immunization of a known vaccine; one without a usable occurrence date is unusable."""
    if res.get("status") != "completed":
        return
    ids, _ = r.terms.match(res.get("vaccineCode"), "vaccine", source)
    if not ids:
        return
    r.index.check_subject(res, source, "patient")
    raw = res.get("occurrenceDateTime")
    if raw is None:
        field = "occurrenceString" if "occurrenceString" in res else "occurrence[x]"
        for cid in ids:
            r.add_unusable(source, field, "no usable occurrence date", cid)
        return
    when, _ = r.date_field(raw, source, "occurrenceDateTime", ids[0])
    if when is None:
        return
    name = display(res.get("vaccineCode"))
    for cid in ids:
        concept = r.terms.concept(cid)
        if concept is None:
            continue
        r.immunizations.append(ImmunizationFact(cid, bool(concept.live), when, source, name or concept.label))
