"""Procedure -> ProcedureFact: a completed procedure of a known concept with a usable date (a delivery or a
termination of pregnancy, which ends the pregnancies recorded before it)."""

from __future__ import annotations

from typing import Any

from jakcheck.fhir.coding import display
from jakcheck.fhir.fields import as_dict
from jakcheck.fhir.record import Record
from jakcheck.patient.facts import ProcedureFact

# performed[x] forms that carry no usable date of their own.
_UNDATED = ("performedString", "performedAge", "performedRange")


def read_procedure(r: Record, res: dict[str, Any], source: str) -> None:
    """A completed Procedure coded with a known procedure concept (codes only: a procedure named in free text
    only is not read). The date is performedDateTime, or the end (else the start) of performedPeriod; a
    procedure without a usable date is an unusable value, never dated by guess. Any other status (in progress,
    not done, entered in error, unknown) is not a procedure that took place."""
    if res.get("status") != "completed":
        return
    ids = r.terms.codes(res.get("code"), "procedure")
    if not ids:
        return
    r.index.check_subject(res, source, "subject")
    if "performedDateTime" in res:
        raw, field = res["performedDateTime"], "performedDateTime"
    elif "performedPeriod" in res:
        period = as_dict(res["performedPeriod"])
        field = "performedPeriod.end" if period.get("end") is not None else "performedPeriod.start"
        raw = period.get("end") if period.get("end") is not None else period.get("start")
    else:
        raw, field = None, next((f for f in _UNDATED if f in res), "performed[x]")
    if raw is None:
        for cid in ids:
            r.add_unusable(source, field, "no usable date of the procedure", cid)
        return
    when, _ = r.date_field(raw, source, field, ids[0])
    if when is None:
        return
    name = display(res.get("code"))
    for cid in ids:
        r.procedures.append(ProcedureFact(cid, when, source, name or r.kb.concept(cid).label))
