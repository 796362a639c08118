"""The part of the knowledge release that readers use: code and text look-ups, and concept attributes.

`jakcheck.knowledge.loader.Knowledge` satisfies `Terminology`; tests may pass any object with the same three
methods. Readers call nothing else on the knowledge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol


class ConceptLike(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def unit(self) -> str | None: ...

    @property
    def text(self) -> Sequence[str]: ...

    @property
    def classes(self) -> Sequence[str]: ...

    @property
    def live(self) -> bool | None: ...

    @property
    def prednisone_equivalence(self) -> float | None: ...


class Terminology(Protocol):
    def concepts_for_code(self, system: str, code: str) -> tuple[str, ...]: ...

    def concepts_for_text(self, text: str) -> tuple[str, ...]: ...

    def concept(self, concept_id: str) -> ConceptLike: ...


def whole_word(phrase: str, text: str) -> bool:
    """True when `phrase` occurs in `text` (case-insensitive) not inside a longer word: "diabetes" is found
    in "Type 2 diabetes" but not in "Prediabetes"; "alt" is not found in "salt"."""
    return re.search(r"(?<![0-9a-z])" + re.escape(phrase.lower()) + r"(?![0-9a-z])", text.lower()) is not None


def concepts_in_text(kb: Terminology, text: str, kind: str) -> list[str]:
    """Concepts of `kind` whose phrase occurs in `text` as whole words (narrowing kb.concepts_for_text, which
    matches substrings)."""
    out: list[str] = []
    for cid in kb.concepts_for_text(text):
        if cid in out:
            continue
        try:
            concept = kb.concept(cid)
        except KeyError:
            continue
        if concept.kind == kind and any(whole_word(p, text) for p in concept.text):
            out.append(cid)
    return out
