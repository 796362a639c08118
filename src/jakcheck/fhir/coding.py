"""Codes and text to concepts: the terminology look-ups of one record, and the text matches they made.

A CodeableConcept is matched by its codings first; only when none maps to a concept of the wanted kind is its
text (then each coding's display) searched, and every concept found that way is reported as a TextMatch.
Condition text is read with its qualifiers (negation, history, plan, family), so "no history of TB" is reported
but gives no fact.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from jakcheck.fhir.fields import as_dict, as_list, as_str
from jakcheck.patient.facts import MatchedBy, TextMatch
from jakcheck.patient.terminology import ConceptLike, Terminology, concepts_in_text
from jakcheck.patient.textfacts import TextReading, read_condition_text, text_match

_SHARED_CACHE_MAX = 200_000


def display(cc: object) -> str:
    """The first of `Coder.texts(cc)` (text, then the codings' displays), or ""."""
    if not isinstance(cc, dict):
        return ""
    t = cc.get("text")
    if isinstance(t, str) and t.strip():
        return t
    for coding in as_list(cc.get("coding")):
        disp = coding.get("display") if isinstance(coding, dict) else None
        if isinstance(disp, str) and disp.strip():
            return disp
    return ""


def texts(cc: object) -> list[str]:
    """The non-blank text of a CodeableConcept, then each distinct display of its codings."""
    d = as_dict(cc)
    out: list[str] = []
    t = as_str(d.get("text"))
    if t and t.strip():
        out.append(t)
    for coding in as_list(d.get("coding")):
        disp = as_str(as_dict(coding).get("display"))
        if disp and disp.strip() and disp not in out:
            out.append(disp)
    return out


class Coder:
    """Concept look-ups for one record; the caches behind them depend only on the knowledge and are shared by
    every record read with the same release."""

    def __init__(self, knowledge: Terminology) -> None:
        self.kb = knowledge
        caches = reader_caches(knowledge)
        self._concepts = caches.concepts
        self._text_cache = caches.text
        self.code_cache = caches.code
        self._condition_cache = caches.condition_text
        self.text_matches: list[TextMatch] = []

    def concept(self, cid: str) -> ConceptLike | None:
        """The concept of an id, or None when the knowledge has no such concept."""
        try:
            return self._concepts[cid]
        except KeyError:
            pass
        try:
            concept: ConceptLike | None = self.kb.concept(cid)
        except KeyError:
            concept = None
        self._concepts[cid] = concept
        return concept

    def kind(self, cid: str) -> str | None:
        c = self.concept(cid)
        return c.kind if c is not None else None

    def codes(self, cc: object, kind: str) -> list[str]:
        """Concepts of `kind` the codings of a CodeableConcept map to, in order, each once."""
        ids: list[str] = []
        for coding in as_list(as_dict(cc).get("coding")):
            if not isinstance(coding, dict):
                continue
            system, code = coding.get("system"), coding.get("code")
            if not isinstance(system, str) or not isinstance(code, str):
                continue
            hit = self.code_cache.get((system, code, kind))
            if hit is None:
                hit = self.lookup_code(system, code, kind)
            for cid in hit:
                if cid not in ids:
                    ids.append(cid)
        return ids

    def lookup_code(self, system: str, code: str, kind: str) -> tuple[str, ...]:
        """Concepts of `kind` for one system and code (what `code_cache` holds once looked up)."""
        hit = tuple(c for c in self.kb.concepts_for_code(system, code) if self.kind(c) == kind)
        self.code_cache[(system, code, kind)] = hit
        return hit

    def text_concepts(self, text: str, kind: str) -> list[str]:
        """Concepts of `kind` named in a text."""
        hit = self._text_cache.get((text, kind))
        if hit is None:
            hit = tuple(concepts_in_text(self.kb, text, kind))
            self._text_cache[(text, kind)] = hit
        return list(hit)

    def match(self, cc: object, kind: str, source: str, *, allow_text: bool = True) -> tuple[list[str], MatchedBy]:
        """Concepts by code, else (when allowed) by text, and how they were found."""
        ids = self.codes(cc, kind)
        if ids or not allow_text:
            return ids, "code"
        return self.match_text(cc, kind, source)

    def match_text(self, cc: object, kind: str, source: str) -> tuple[list[str], MatchedBy]:
        """Concepts named in the first text of `cc` that names any, each reported as a TextMatch."""
        for text in texts(cc):
            found = self.text_concepts(text, kind)
            if found:
                for c in found:
                    self.text_matches.append(TextMatch(c, source, text))
                return found, "text"
        return [], "code"

    def condition_text(self, cc: object, source: str) -> tuple[list[str], frozenset[str]]:
        """Conditions named in the text of a code that has no known coding, read with their qualifiers: every
        concept named is reported (TextMatch); only present or past ones become facts. Returns (concepts of
        the facts, those read as history)."""
        for text in texts(cc):
            readings = self._condition_cache.get(text)
            if readings is None:
                readings = tuple(read_condition_text(self.kb, text))
                self._condition_cache[text] = readings
            if not readings:
                continue
            self.text_matches.extend(text_match(r, source, text) for r in readings)
            used = [r for r in readings if r.used]
            return [r.concept for r in used], frozenset(r.concept for r in used if r.read_as == "history")
        return [], frozenset()


@dataclass
class ReaderCaches:
    """The reader's look-ups of one knowledge release, kept for the release's life so that every record read
    with it is served by them: concept by id, concepts of a kind by (system, code) and by text, and the
    qualified readings of a condition text. Each depends only on the release and its key. The keys of the code
    and text look-ups come from records, so each is emptied when it grows past _SHARED_CACHE_MAX entries."""

    concepts: dict[str, ConceptLike | None] = field(default_factory=dict)
    code: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)
    text: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    condition_text: dict[str, tuple[TextReading, ...]] = field(default_factory=dict)

    def trim(self) -> None:
        for cache in (self.concepts, self.code, self.text, self.condition_text):
            if len(cache) > _SHARED_CACHE_MAX:
                cache.clear()


# The caches of each release in use, by the release object's identity; an entry goes when its release does.
_BY_RELEASE: dict[int, ReaderCaches] = {}


def reader_caches(knowledge: Terminology) -> ReaderCaches:
    """The reader's caches for a knowledge release (made on its first record, trimmed at each record's start);
    fresh ones, not kept, for a terminology that cannot be weakly referenced."""
    key = id(knowledge)
    caches = _BY_RELEASE.get(key)
    if caches is None:
        caches = ReaderCaches()
        try:
            weakref.finalize(knowledge, _BY_RELEASE.pop, key, None)
        except TypeError:
            return caches
        _BY_RELEASE[key] = caches
    else:
        caches.trim()
    return caches
