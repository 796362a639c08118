"""State shared by several worker processes of one replica (`jakcheck serve --workers N`), in SQLite files.

Two caches live in process memory by default (state.ReportCache, auth.ReplayCache). With N uvicorn workers the
kernel hands each connection to any of them, so a card's report link would miss the worker that made the report
and a replayed JWT would be accepted by a worker that had not seen it. `serve --workers N` (N > 1) therefore puts
both in SQLite files in a private temporary folder that the workers share (WAL mode, one connection per
process; about 0.1 ms a call):

* SharedReportCache: the assessment behind a report link as JSON, expired after the TTL; past `size` entries the
  oldest are dropped (first in, first out, where the in-memory cache drops the least recently used). It is a
  cache: synchronous=OFF, and it is gone when the service stops, as the in-memory one is.
* SharedReplayCache: (iss, jti) until the token expires; check-and-add is one atomic upsert, so two workers
  cannot both accept the same token.

Several replicas behind a load balancer still need sticky sessions for report links and a shared replay store
(see docs/service.md).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from pathlib import Path

from jakcheck.assessment import Assessment
from jakcheck.service.auth import ReplayCache

PURGE_EVERY = 30.0  # seconds between deletions of expired rows


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class SharedReportCache:
    """The report cache (state.ReportCache's interface) in a SQLite file shared by the worker processes."""

    def __init__(self, path: Path, size: int, ttl: float) -> None:
        self.size = size
        self.ttl = ttl
        self._conn = _connect(path, "OFF")
        self._conn.execute("CREATE TABLE IF NOT EXISTS reports (token TEXT PRIMARY KEY, expires REAL NOT NULL, "
                           "body BLOB NOT NULL)")
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def put(self, assessment: Assessment, now: float | None = None) -> str:
        token = secrets.token_urlsafe(18)
        now = time.time() if now is None else now
        body = assessment.model_dump_json().encode()
        with self._lock:
            self._conn.execute("INSERT INTO reports (token, expires, body) VALUES (?, ?, ?)",
                               (token, now + self.ttl, body))
            if now >= self._next_purge:
                self._next_purge = now + PURGE_EVERY
                self._conn.execute("DELETE FROM reports WHERE expires < ? OR rowid <= "
                                   "(SELECT max(rowid) FROM reports) - ?", (now, self.size))
        return token

    def get(self, token: str, now: float | None = None) -> Assessment | None:
        now = time.time() if now is None else now
        with self._lock:
            row = self._conn.execute("SELECT expires, body FROM reports WHERE token = ?", (token,)).fetchone()
        if row is None or row[0] < now:
            return None
        return Assessment.model_validate_json(row[1])

    def has(self, token: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM reports WHERE token = ? AND expires >= ?",
                                     (token, now)).fetchone()
        return row is not None

    def __len__(self) -> int:
        with self._lock:
            n: int = self._conn.execute("SELECT count(*) FROM reports WHERE expires >= ?",
                                        (time.time(),)).fetchone()[0]
        return min(n, self.size)


class SharedReplayCache(ReplayCache):
    """(iss, jti) seen while the token is valid, in a SQLite file shared by the worker processes."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._conn = _connect(path, "NORMAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS seen (iss TEXT NOT NULL, jti TEXT NOT NULL, "
                           "until REAL NOT NULL, PRIMARY KEY (iss, jti))")

    def check_and_add(self, iss: str, jti: str, until: float, now: float) -> bool:
        """True when new; False for a replay (also one seen by another worker)."""
        with self._lock:
            if now >= self._next_purge:
                self._next_purge = now + PURGE_EVERY
                self._conn.execute("DELETE FROM seen WHERE until <= ?", (now,))
            cur = self._conn.execute(
                "INSERT INTO seen (iss, jti, until) VALUES (?, ?, ?) ON CONFLICT (iss, jti) "
                "DO UPDATE SET until = excluded.until WHERE seen.until <= ?", (iss, jti, until, now))
            return cur.rowcount == 1

    def __len__(self) -> int:
        with self._lock:
            n: int = self._conn.execute("SELECT count(*) FROM seen").fetchone()[0]
        return n
