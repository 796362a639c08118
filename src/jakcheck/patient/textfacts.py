"""Conditions read from free text, with what the words around each match say (jakcheck.patient.context).

Readers (FHIR and the patient card) call `read_condition_text` when a condition has no known code. Each concept
whose phrase occurs in the text is read as:

- present: a current condition (a fact, as the record's status says);
- history: past or treated ("history of", "treated latent TB", "s/p excision of basal cell carcinoma"): a fact
  that is not active;
- negated ("denies tuberculosis"), family ("mother: breast cancer") or hypothetical ("risk of zoster"): no fact,
  only reported;
- a planned pregnancy ("planning pregnancy", "wishes to become pregnant") is the concept `pregnancy-planned`,
  never `pregnancy`.

A phrase found only inside a longer phrase of another concept is that other concept's: "basal cell carcinoma"
names non-melanoma skin cancer, not the malignancy of "carcinoma"; "latent tuberculosis" names latent TB, not the
active TB of "tuberculosis"; "resolved hepatitis B" names resolved hepatitis B, not chronic hepatitis B.
"""

from __future__ import annotations

from dataclasses import dataclass

from jakcheck.patient.context import QUALIFIERS, Qualified, phrase_spans, qualify, strongest
from jakcheck.patient.facts import TextMatch, TextReadAs
from jakcheck.patient.terminology import Terminology, concepts_in_text

PLANNED_PREGNANCY = "pregnancy-planned"

# Conditions that treatment ends (an infection, a cancer): "treated ..." reads as history. For the others a
# treatment is ongoing care ("treated hypertension", "RA treated with methotrexate"), and the condition stays.
ENDED_BY_TREATMENT = frozenset({
    "active-tb", "latent-tb", "malignancy", "nmsc", "serious-infection", "herpes-zoster", "hcv", "vte"})


@dataclass(frozen=True)
class TextReading:
    concept: str  # the concept of the fact (pregnancy-planned for a planned pregnancy)
    read_as: TextReadAs
    qualified: Qualified
    named: str  # the words of the match, as written

    @property
    def used(self) -> bool:
        return self.read_as in ("present", "history")


def _phrases(kb: Terminology, cid: str) -> tuple[str, ...]:
    try:
        return tuple(kb.concept(cid).text)
    except KeyError:
        return ()


def _has_concept(kb: Terminology, cid: str) -> bool:
    try:
        kb.concept(cid)
    except KeyError:
        return False
    return True


def _read_as(cid: str, q: Qualified) -> TextReadAs:
    status = q.status
    if status == "historical" and "historical" not in q.qualifiers and cid not in ENDED_BY_TREATMENT:
        return "present"  # treated only, and treatment does not end this condition
    return "history" if status == "historical" else status


def read_condition_text(kb: Terminology, text: str) -> list[TextReading]:
    """How `text` reads for each condition concept it names, in the matcher's order (longest phrase first)."""
    ids = concepts_in_text(kb, text, "condition")
    spans = {cid: sorted({s for p in _phrases(kb, cid) for s in phrase_spans(p, text)}) for cid in ids}
    out: list[TextReading] = []
    for cid in ids:
        own = [s for s in spans[cid]
               if not any(o != cid and os <= s[0] and s[1] <= oe and (oe - os) > (s[1] - s[0])
                          for o, others in spans.items() for os, oe in others)]
        if not own:
            continue  # only inside another concept's longer phrase
        best = strongest(qualify(text, s, e) for s, e in own)
        if best is None:
            continue
        read_as = _read_as(cid, best)
        concept = cid
        if cid == "pregnancy" and read_as == "hypothetical" and _has_concept(kb, PLANNED_PREGNANCY):
            concept, read_as = PLANNED_PREGNANCY, "present"
        if any(r.concept == concept for r in out):
            continue
        out.append(TextReading(concept, read_as, best, text[best.span[0]:best.span[1]]))
    return out


def text_match(reading: TextReading, source: str, text: str) -> TextMatch:
    """The report of a reading: concept, source, quoted text, how it was read and the words that said so."""
    q = reading.qualified
    return TextMatch(reading.concept, source, text, reading.read_as,
                     tuple(x for x in QUALIFIERS if x in q.qualifiers), q.triggers)
