"""Data that could not be used, and concepts recognised from free text only.

A value with an unknown unit, an implausible value or an unreadable date is set aside, never guessed; the
clinician sees which resource and field it was. A concept recognised from text alone is reported so it can
be checked and coded.
"""

from __future__ import annotations

from jakcheck.rules.base import Context, Hit
from jakcheck.rules.cites import FHIR_R4, FHIR_UCUM


def unusable_values(ctx: Context) -> list[Hit]:
    """When a value in the record could not be used (unknown unit, implausible, unreadable), Then report it
    with the resource and field, one finding per resource."""
    hits = []
    for u in sorted(ctx.facts.unusable, key=lambda u: (u.source, u.field)):
        what = f" ({u.concept})" if u.concept else ""
        hits.append(Hit(
            code="data.unusable-value", severity="warning",
            summary=f"{u.source}{what}: value not used - {u.reason}.",
            detail=f"Field {u.field}. The value was set aside, not guessed; rules that need it treat it as "
                   "missing.",
            evidence=(u.source,), cites=(FHIR_UCUM,),
        ))
    return hits


def text_matches(ctx: Context) -> list[Hit]:
    """When a concept was recognised from free text only, Then report it for coding."""
    hits = []
    for t in sorted(ctx.facts.text_matches, key=lambda t: (t.source, t.concept)):
        hits.append(Hit(
            code="data.text-match", severity="info",
            summary=f"{t.source}: recognised as {t.concept} from text only ('{t.text}').",
            detail="No known code matched; the concept was recognised from the text and used. Check it and "
                   "add a standard code to the record.",
            evidence=(t.source,), cites=(FHIR_R4,),
        ))
    return hits


RULES = (unusable_values, text_matches)
