"""Qualifiers around a concept named in free text (a ConText-style reading of the words around a match).

A problem list written as text says more than which concept it names: "denies tuberculosis", "history of
melanoma", "planning pregnancy", "mother had breast cancer", "treated latent TB". Given a text and the span of a
concept match, `qualify` returns the qualifiers that apply to it:

- negated: the concept is stated absent ("no", "denies", "negative for", "ruled out");
- historical: it is in the past ("history of", "previous", "resolved");
- hypothetical: it is planned, feared or conditional, not present ("planning", "wishes to", "if", "risk of");
- family: it concerns a relative, not the patient ("mother", "family history of");
- treated: it was treated or the treatment was completed ("treated", "completed isoniazid", "s/p excision").

A trigger phrase opens a scope: forward from a trigger written before the concept ("no ... tuberculosis"),
backward from one written after it ("tuberculosis ruled out"). A scope ends at a terminator (sentence or clause
punctuation, "but", "however", "although", "except", ...) or after a few words, and never reaches into another
clause. Pseudo-triggers ("no change", "not only", "gram negative") look like triggers but are not, and words
inside the concept's own span are never triggers ("resolved hepatitis B" names its own concept).

Pure functions of the text; nothing here knows any concept or the knowledge release.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Qualifier = Literal["negated", "historical", "hypothetical", "family", "treated"]
Status = Literal["present", "historical", "hypothetical", "negated", "family"]
Direction = Literal["forward", "backward"]

QUALIFIERS: tuple[Qualifier, ...] = ("negated", "historical", "hypothetical", "family", "treated")

# Words between a trigger and the concept that a scope can span (NegEx's window is 5-6 words).
FORWARD_WINDOW = 6
BACKWARD_WINDOW = 3


@dataclass(frozen=True)
class Trigger:
    phrase: str
    qualifier: Qualifier
    direction: Direction = "forward"


def _triggers(qualifier: Qualifier, direction: Direction, phrases: Iterable[str]) -> tuple[Trigger, ...]:
    return tuple(Trigger(p, qualifier, direction) for p in phrases)


TRIGGERS: tuple[Trigger, ...] = (
    *_triggers("negated", "forward", (
        "no", "not", "denies", "denied", "deny", "without", "negative for", "no evidence of", "no sign of",
        "no signs of", "free of", "ruled out", "excluded", "absence of", "never had", "no history of",
        "no hx of", "no known", "nor", "negative")),
    *_triggers("negated", "backward", (
        "ruled out", "was ruled out", "has been ruled out", "excluded", "negative", "not present", "absent",
        "not confirmed", "unlikely", "not detected", "not seen", "not found")),
    *_triggers("historical", "forward", (
        "history of", "hx of", "h/o", "previous", "previously", "prior", "past", "remote", "resolved",
        "former", "in the past")),
    *_triggers("historical", "backward", ("resolved", "in the past", "healed", "cured")),
    *_triggers("hypothetical", "forward", (
        "planning", "planning for", "plans", "plan for", "plans for", "planned", "wishes to", "wish to",
        "wants to", "want to", "would like to", "hoping to", "trying to", "trying for", "desires", "if",
        "in case of", "consider", "considering", "risk of", "at risk of", "at risk for", "rule out", "r/o",
        "to exclude", "screen for", "screening for", "return if", "prevention of",
        "prophylaxis of", "prophylaxis for")),
    *_triggers("hypothetical", "backward", ("planned", "desired", "wished", "risk", "screening", "screen")),
    *_triggers("family", "forward", (
        "family history of", "family history", "family hx", "fh", "fh of", "fhx", "fhx of", "mother",
        "mother's", "father", "father's", "sister", "brother", "son", "daughter", "parent", "parents", "sibling",
        "siblings", "aunt", "uncle", "grandmother", "grandfather", "cousin", "maternal", "paternal",
        "relative")),
    *_triggers("family", "backward", (
        "in mother", "in her mother", "in his mother", "in father", "in her father", "in his father",
        "in sister", "in brother", "in family", "in the family", "in relatives")),
    *_triggers("treated", "forward", (
        "treated", "treated for", "treatment of", "after treatment of", "completed", "completed treatment for",
        "completed treatment of", "s/p", "status post", "excised", "excision of", "resected",
        "resection of")),
    *_triggers("treated", "backward", (
        "treated", "fully treated", "completed", "treatment completed", "course completed", "excised",
        "resected", "removed", "s/p excision", "s/p resection")),
)

# Phrases that contain a trigger word but are not triggers.
PSEUDO_TRIGGERS: tuple[str, ...] = (
    "no change", "no increase", "no further", "not only", "not necessarily", "not certain if", "not clear if",
    "gram negative", "without difficulty", "if any", "whether or not", "not ruled out", "cannot be excluded",
    "not been excluded", "not excluded", "not be excluded", "mother currently", "nursing mother",
    "breastfeeding mother", "breast-feeding mother", "no longer treated", "not treated", "untreated",
    "not completed", "incompletely treated", "partially treated", "never treated")

# Words that end a scope (clause boundaries); punctuation ends one too.
TERMINATORS: tuple[str, ...] = (
    "but", "however", "although", "though", "except", "apart from", "aside from", "yet", "which", "who",
    "now", "presents with", "presenting with", "complains of", "and has", "and now", "with new")
_PUNCT = re.compile(r"[.;:!?\n\r()\[\]]|\s-\s")

_HEADING_COLON = re.compile(r"\s*:")
_WORD_RE = re.compile(r"[a-z0-9]+(?:['/-][a-z0-9]+)*'?s?")


def _phrase_re(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![0-9a-z])" + re.escape(phrase.lower()) + r"(?![0-9a-z])")


def phrase_spans(phrase: str, text: str) -> list[tuple[int, int]]:
    """Every whole-word occurrence of `phrase` in `text` (case-insensitive), as (start, end) offsets."""
    if not phrase.strip():
        return []
    return [(m.start(), m.end()) for m in _phrase_re(phrase).finditer(text.lower())]


_TRIGGER_RES: tuple[tuple[Trigger, re.Pattern[str]], ...] = tuple((t, _phrase_re(t.phrase)) for t in TRIGGERS)
_PSEUDO_RES: tuple[re.Pattern[str], ...] = tuple(_phrase_re(p) for p in PSEUDO_TRIGGERS)
_TERMINATOR_RES: tuple[re.Pattern[str], ...] = tuple(_phrase_re(p) for p in TERMINATORS)


@dataclass(frozen=True)
class Qualified:
    """The qualifiers of one concept mention, with the trigger phrases that gave them (as written)."""

    span: tuple[int, int]
    qualifiers: frozenset[Qualifier]
    triggers: tuple[str, ...] = ()

    @property
    def status(self) -> Status:
        """What the mention says of the patient today: family and negated mentions say nothing of a present
        condition; a plan or risk is not the condition; a treated or past one is history."""
        q = self.qualifiers
        if "family" in q:
            return "family"
        if "negated" in q:
            return "negated"
        if "hypothetical" in q:
            return "hypothetical"
        if "historical" in q or "treated" in q:
            return "historical"
        return "present"

    def describe(self) -> str:
        """The qualifiers in words, with their triggers: "treated ('treated')" or "" when none."""
        if not self.qualifiers:
            return ""
        names = ", ".join(q for q in QUALIFIERS if q in self.qualifiers)
        quoted = ", ".join(f"'{t}'" for t in self.triggers)
        return f"{names} ({quoted})" if quoted else names


def _blocked(text: str, start: int, end: int) -> bool:
    """True when a clause boundary lies in text[start:end]."""
    between = text[start:end]
    if _PUNCT.search(between):
        return True
    return any(r.search(between) for r in _TERMINATOR_RES)


def _words(text: str) -> int:
    return len(_WORD_RE.findall(text))


def _covered(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def qualify(text: str, start: int, end: int) -> Qualified:
    """The qualifiers of the concept mention text[start:end]."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span ({start}, {end}) outside a text of {len(text)} characters")
    low = text.lower()
    pseudo = [(m.start(), m.end()) for r in _PSEUDO_RES for m in r.finditer(low)]
    found: dict[Qualifier, list[tuple[int, str]]] = {}
    taken: list[tuple[int, int]] = []
    # Longer triggers first, so that "family history of" is not also read as "history of".
    for trig, rx in sorted(_TRIGGER_RES, key=lambda tr: -len(tr[0].phrase)):
        for m in rx.finditer(low):
            ts, te = m.start(), m.end()
            if ts < end and start < te:  # inside (or overlapping) the concept's own words
                continue
            if _covered(pseudo, ts, te) or _covered(taken, ts, te):
                continue
            if trig.direction == "forward":
                if te > start:
                    continue
                gap = low[te:start]
                # A heading colon right after the trigger opens its scope ("Mother: breast cancer").
                colon = _HEADING_COLON.match(gap)
                opens = te + colon.end() if colon else te
                if _words(gap) > FORWARD_WINDOW or _blocked(low, opens, start):
                    continue
            else:
                if ts < end:
                    continue
                gap = low[end:ts]
                if _words(gap) > BACKWARD_WINDOW or _blocked(low, end, ts):
                    continue
            taken.append((ts, te))
            found.setdefault(trig.qualifier, []).append((ts, text[ts:te]))
    triggers = tuple(t for _, t in sorted(x for hits in found.values() for x in hits))
    return Qualified((start, end), frozenset(found), triggers)


_STATUS_RANK: dict[Status, int] = {"present": 0, "historical": 1, "hypothetical": 2, "negated": 3, "family": 4}


def strongest(mentions: Iterable[Qualified]) -> Qualified | None:
    """The mention that says most about the patient today (present, then history, then plan, then negated or
    family): a text that affirms a concept once affirms it, however often it also negates it."""
    best: Qualified | None = None
    for q in mentions:
        if best is None or (_STATUS_RANK[q.status], q.span) < (_STATUS_RANK[best.status], best.span):
            best = q
    return best
