"""Cards already built for the same request content, so an EHR that repeats a call is not reassessed.

An EHR fires `order-select` again each time the clinician changes the selection or the draft order, and
`patient-view` each time the chart is opened; the prefetch of those calls is the same record. The assessment is
a pure function of what the service reads (the hook context, the prefetch it uses, the assessment date, the
knowledge release and the service's settings), so the cards built for one call are the right cards for any call
with the same content. This cache keeps them per worker process:

* Key: a SHA-256 digest of the service id, the caller (JWT `iss` and `tenant`: one EHR is never handed another's
  report link), the hook context, the prefetch data read (as sent, or as fetched from an allow-listed FHIR
  server), the notes on data that could not be read, the assessment date and the knowledge version. Anything
  that differs (one more Observation, a changed draft order, a new day, a new release) is a different key.
  Call-specific fields (`hookInstance`, `fhirAuthorization`) are not part of it.
* Value: the cards as JSON, the card types and indicators, and the report token their links point to.
* A hit gives fresh `uuid`s to every card and suggestion (feedback refers to the card issued by this call),
  and is used only while the report behind the link still exists; otherwise the call is assessed again.
* An answer is kept for at most half of `report_ttl_seconds`, so a link handed out from the cache still has at
  least half the report's lifetime ahead of it (the report was stored just before the answer).
* Answers after a failed FHIR fetch are not kept (the failure may be transient).
* At most `answer_cache_size` entries (setting; 0 turns the cache off), oldest dropped first. Like the report
  cache it holds patient data in process memory only.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from jakcheck.service.cards import BuiltCard
from jakcheck.service.ids import new_uuid


@dataclass(frozen=True)
class Answer:
    expires: float
    report_token: str
    version: str
    cards_json: bytes
    kinds: tuple[tuple[str, str], ...]  # (card type, indicator) per card


def answer_key(service_id: str, caller: tuple[str, str], context: dict[str, Any], prefetch: dict[str, Any],
               notes: list[str], as_of: date, version: str) -> bytes:
    """The digest of everything a call's cards depend on (besides the process's fixed settings), and of the
    caller (JWT issuer and tenant), so that one EHR is never handed another's report link."""
    h = hashlib.sha256()
    h.update(orjson.dumps([service_id, caller, as_of.isoformat(), version, notes, context]))
    h.update(b"\0")
    h.update(orjson.dumps(prefetch))
    return h.digest()


def fresh_uuids(cards: list[dict[str, Any]], new_uuid: Callable[[], str]) -> list[dict[str, Any]]:
    """New `uuid`s for every card and suggestion, in place; returns the cards."""
    for card in cards:
        card["uuid"] = new_uuid()
        for suggestion in card.get("suggestions", ()):
            suggestion["uuid"] = new_uuid()
    return cards


class AnswerCache:
    def __init__(self, size: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.ttl = ttl
        self._clock = clock
        self._items: OrderedDict[bytes, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Answer | None:
        if self.size <= 0:
            return None
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit.expires < self._clock():
                del self._items[key]
                return None
            return hit

    def put(self, key: bytes, report_token: str, version: str, built: list[BuiltCard]) -> None:
        if self.size <= 0:
            return
        answer = Answer(expires=self._clock() + self.ttl, report_token=report_token, version=version,
                        cards_json=orjson.dumps([b.card for b in built]),
                        kinds=tuple((b.card_type, b.indicator) for b in built))
        with self._lock:
            self._items[key] = answer
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def forget(self, key: bytes) -> None:
        with self._lock:
            self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


def rebuild(answer: Answer, new_uuid: Callable[[], str] = new_uuid) -> list[BuiltCard]:
    """The cards of a kept answer, as a new response with fresh uuids."""
    cards = fresh_uuids(orjson.loads(answer.cards_json), new_uuid)
    return [BuiltCard(card, kind, indicator) for card, (kind, indicator) in zip(cards, answer.kinds, strict=True)]
