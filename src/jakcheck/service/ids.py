"""Random ids a call hands out: card and suggestion uuids (RFC 4122 version 4) and correlation ids.

A cold CDS Hooks call issues about a dozen of them. `uuid.uuid4()` asks the operating system for 16 random
bytes each time and builds a UUID object only to print it; here the bytes come from the same source
(`os.urandom`) a block at a time, and the text is written directly. The ids are as random as uuid4's; they are
identifiers, not secrets (the unguessable report token is made with `secrets`). A forked child process drops
the block it inherited, so two workers never hand out the same ids.
"""

from __future__ import annotations

import os
import threading

_BLOCK = 4096  # random bytes fetched at once (256 uuids)
# The variant digit of an RFC 4122 uuid (binary 10xx) from any hex digit, keeping its two low bits.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


class _RandomHex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hex = ""
        self._pos = 0

    def reset(self) -> None:
        """In a forked child: a fresh lock (the parent's may have been held by another thread at the fork) and
        no inherited random digits."""
        self._lock = threading.Lock()
        self._hex, self._pos = "", 0

    def take(self, n: int) -> str:
        """`n` random hex digits (n <= 2 * _BLOCK)."""
        with self._lock:
            pos = self._pos
            if pos + n > len(self._hex):
                self._hex, pos = os.urandom(_BLOCK).hex(), 0
            self._pos = pos + n
            return self._hex[pos:pos + n]


_random = _RandomHex()
os.register_at_fork(after_in_child=_random.reset)


def new_uuid() -> str:
    """A random (version 4) uuid as text, e.g. "1b4e28ba-2fa1-41d2-883f-0016d3cca427"."""
    h = _random.take(32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def correlation_id() -> str:
    """16 random hex digits: the id that ties a response to its log lines."""
    return _random.take(16)
