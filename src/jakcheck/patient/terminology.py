"""The part of the knowledge release that readers use: code and text look-ups, and concept attributes.

`jakcheck.knowledge.loader.Knowledge` satisfies `Terminology`; tests may pass any object with the same three
methods. Readers call nothing else on the knowledge.
"""

from __future__ import annotations

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
    def classes(self) -> Sequence[str]: ...

    @property
    def live(self) -> bool | None: ...

    @property
    def prednisone_equivalence(self) -> float | None: ...


class Terminology(Protocol):
    def concepts_for_code(self, system: str, code: str) -> tuple[str, ...]: ...

    def concepts_for_text(self, text: str) -> tuple[str, ...]: ...

    def concept(self, concept_id: str) -> ConceptLike: ...
