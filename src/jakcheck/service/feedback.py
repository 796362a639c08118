"""The feedback store: which cards were shown and what clinicians did with them, append-only.

CDS Hooks 2.0 feedback (`POST /cds-services/{id}/feedback`) says per card uuid whether it was accepted (with the
suggestions taken) or overridden (with a coded reason and/or a comment). To report override rates per card
type, the service also records each card it issues (uuid, service, card type, indicator, knowledge version) -
never the patient, the user or anything from the record.

Writes: feedback rows are committed before the feedback call answers 200. Issued-card rows are statistics (the
denominator of the override rate), so the CDS Hooks call does not wait for them: `record_cards_later` queues
them and a writer thread inserts whatever has queued in one transaction (batches of many requests under load).
Queued rows are written before any later feedback row (`record_feedback` and `summary` flush the queue first)
and at shutdown (`close`); a process killed hard loses at most the rows of the last ~50 ms. On SQLite the file
runs in WAL mode with synchronous=NORMAL: a commit survives a process crash, and the last commits may be lost on
power loss (not corrupted).

Storage: SQLAlchemy Core over one database URL. A plain path means an embedded SQLite file (the default); a URL
such as `postgresql+psycopg://user@host/db` uses PostgreSQL through the same code (install `psycopg`, the
`postgres` extra). Rows are only ever inserted: on both backends triggers refuse UPDATE and DELETE on both tables
with an integrity error (`sqlalchemy.exc.IntegrityError`). On PostgreSQL they call the trigger function
`jakcheck_append_only()` (which also refuses TRUNCATE); the tables, function and triggers are created when
missing, under a transaction-level advisory lock so that workers starting together do not race. Once they exist,
the service role needs only INSERT and SELECT (and USAGE on the feedback id sequence); grant no more. Feedback for
one card may arrive several times; every arrival is kept.

`jakcheck feedback report` prints `report(settings)`: cards issued, feedback received, and the override rate
per card type with the most used override reasons.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from jakcheck.errors import ConfigError
from jakcheck.settings import Settings

log = logging.getLogger("jakcheck.service.feedback")
BATCH_DELAY = 0.05  # seconds the writer waits for more issued-card rows before one insert
WRITER_IDLE_EXIT = 5.0  # the writer thread ends after this long with nothing to write (restarted on demand)
META = sa.MetaData()
CARDS = sa.Table(
    "cards_issued", META,
    sa.Column("card_uuid", sa.String(64), primary_key=True),
    sa.Column("service_id", sa.String(64), nullable=False),
    sa.Column("card_type", sa.String(64), nullable=False),
    sa.Column("indicator", sa.String(16), nullable=False),
    sa.Column("knowledge_version", sa.String(32), nullable=False),
    sa.Column("issued_at", sa.String(40), nullable=False),
)
FEEDBACK = sa.Table(
    "feedback", META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service_id", sa.String(64), nullable=False),
    sa.Column("card_uuid", sa.String(64), nullable=False, index=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("accepted_suggestions", sa.Text, nullable=True),
    sa.Column("override_system", sa.String(255), nullable=True),
    sa.Column("override_code", sa.String(128), nullable=True),
    sa.Column("override_display", sa.Text, nullable=True),
    sa.Column("user_comment", sa.Text, nullable=True),
    sa.Column("outcome_timestamp", sa.String(40), nullable=False),
    sa.Column("received_at", sa.String(40), nullable=False),
)
_SQLITE_APPEND_ONLY = [
    f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op} BEFORE {op.upper()} ON {t} "
    f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
    for t in ("cards_issued", "feedback") for op in ("update", "delete")
]
_APPEND_ONLY_TABLES = ("cards_issued", "feedback")
_PG_SCHEMA_LOCK = 0x6A616B636865636B  # pg_advisory_xact_lock key ("jakcheck"): one schema setup at a time
_PG_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION jakcheck_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only', ERRCODE = 'restrict_violation';
END
$$"""
# Row triggers for UPDATE and DELETE (as on SQLite: a statement that touches no row passes), a statement trigger
# for TRUNCATE (PostgreSQL's delete-everything, which row triggers do not see).
_PG_APPEND_ONLY_TRIGGERS = {
    f"{t}_{name}": f"CREATE TRIGGER {t}_{name} BEFORE {ops} ON {t} FOR EACH {each} "
                   "EXECUTE FUNCTION jakcheck_append_only()"
    for t in _APPEND_ONLY_TABLES
    for name, ops, each in (("no_update_delete", "UPDATE OR DELETE", "ROW"), ("no_truncate", "TRUNCATE", "STATEMENT"))
}


def database_url(store: str) -> str:
    return store if "://" in store else f"sqlite:///{store}"


def _redacted(text: str) -> str:
    """A text for messages with any database URL password shown as ***: the user-info password (up to the last
    @ of the URL, which may hold unencoded # or ?) and a `password=` query parameter."""
    text = re.sub(r"(://[^:/@\s]*:)\S*@", r"\1***@", text)
    return re.sub(r"(?i)(password=)[^&\s'\"]*", r"\1***", text)


def _setup_postgres(engine: sa.Engine) -> None:
    """Create what is missing of the tables, the append-only function and its triggers, in one transaction.

    The advisory lock serialises this between processes (workers starting at once would otherwise race on the
    catalog). Existing objects are left alone, so a role without DDL rights can start once they exist."""
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK})
        META.create_all(conn)
        present = set(conn.execute(sa.text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (CAST(:t1 AS regclass), "
            "CAST(:t2 AS regclass))"), {"t1": _APPEND_ONLY_TABLES[0], "t2": _APPEND_ONLY_TABLES[1]}).scalars())
        missing = [ddl for name, ddl in _PG_APPEND_ONLY_TRIGGERS.items() if name not in present]
        if not missing:
            return
        if conn.execute(sa.text("SELECT to_regprocedure('jakcheck_append_only()')")).scalar() is None:
            conn.exec_driver_sql(_PG_APPEND_ONLY_FUNCTION)
        for ddl in missing:
            conn.exec_driver_sql(ddl)
        log.info("feedback store: PostgreSQL append-only triggers installed (%d)", len(missing))


@dataclass(frozen=True)
class IssuedCard:
    card_uuid: str
    card_type: str
    indicator: str


class FeedbackStore:
    def __init__(self, store: str) -> None:
        url = database_url(store)
        try:
            parsed = sa.engine.make_url(url)
            # A server connection can drop (restart, idle timeout): test it before use; SQLite files need not.
            self.engine = sa.create_engine(parsed, future=True, pool_pre_ping=parsed.get_backend_name() != "sqlite")
        except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
            raise ConfigError(f"feedback_store: cannot use {_redacted(store)!r}: {_redacted(str(exc))}") from None
        self.sqlite = self.engine.dialect.name == "sqlite"
        if self.sqlite:
            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(conn: Any, _record: Any) -> None:
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=5000")
                cur.close()
        try:
            if self.engine.dialect.name == "postgresql":
                _setup_postgres(self.engine)
            else:
                META.create_all(self.engine)
            if self.sqlite:
                with self.engine.begin() as conn:
                    for stmt in _SQLITE_APPEND_ONLY:
                        conn.exec_driver_sql(stmt)
        except sa.exc.SQLAlchemyError as exc:
            self.engine.dispose()
            raise ConfigError(f"feedback_store: cannot open {_redacted(store)!r}: {type(exc).__name__}") from exc
        self._lock = threading.Lock()  # serialises writes (and orders queued card rows before feedback)
        self._pending: list[dict[str, Any]] = []
        self._pending_lock = threading.Lock()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None

    @staticmethod
    def _card_rows(service_id: str, knowledge_version: str, cards: Sequence[IssuedCard]) -> list[dict[str, Any]]:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        return [{"card_uuid": c.card_uuid, "service_id": service_id, "card_type": c.card_type,
                 "indicator": c.indicator, "knowledge_version": knowledge_version, "issued_at": now}
                for c in cards]

    def record_cards(self, service_id: str, knowledge_version: str, cards: Sequence[IssuedCard]) -> None:
        """Insert now (after anything queued)."""
        if not cards:
            return
        rows = self._card_rows(service_id, knowledge_version, cards)
        with self._lock:
            self._flush_locked()
            with self.engine.begin() as conn:
                conn.execute(CARDS.insert(), rows)

    def record_cards_later(self, service_id: str, knowledge_version: str, cards: Sequence[IssuedCard]) -> None:
        """Queue the rows for the writer thread (the CDS Hooks call does not wait for the database)."""
        if not cards:
            return
        rows = self._card_rows(service_id, knowledge_version, cards)
        with self._pending_lock:
            self._pending.extend(rows)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="jakcheck-card-writer", daemon=True)
                self._writer.start()
        self._wake.set()

    def _write_loop(self) -> None:
        while True:
            if not self._wake.wait(WRITER_IDLE_EXIT):
                with self._pending_lock:
                    if not self._pending:
                        self._writer = None
                        return
            self._wake.clear()
            time.sleep(BATCH_DELAY)  # let more rows queue: one transaction for many requests under load
            self.flush()

    def flush(self) -> None:
        """Write the queued issued-card rows now."""
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        with self._pending_lock:
            rows, self._pending = self._pending, []
        if not rows:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(CARDS.insert(), rows)
            return
        except sa.exc.SQLAlchemyError:
            pass
        lost = 0  # one bad row must not lose the batch: row by row
        for row in rows:
            try:
                with self.engine.begin() as conn:
                    conn.execute(CARDS.insert(), [row])
            except sa.exc.SQLAlchemyError as exc:  # statistics rows: log (no content) and go on serving
                lost += 1
                err = type(exc).__name__
        if lost:
            log.error("%d issued-card row(s) not stored: %s", lost, err)

    def close(self) -> None:
        """Write what is queued and release the connections (at shutdown)."""
        self.flush()
        self.engine.dispose()

    def record_feedback(self, service_id: str, items: Sequence[Any]) -> int:
        """Store feedback entries (models.FeedbackItem); returns how many were stored."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = []
        for it in items:
            reason = it.overrideReason.reason if it.overrideReason else None
            rows.append({
                "service_id": service_id, "card_uuid": it.card, "outcome": it.outcome,
                "accepted_suggestions": orjson.dumps([s.id for s in it.acceptedSuggestions]).decode()
                if it.acceptedSuggestions else None,
                "override_system": reason.system if reason else None,
                "override_code": reason.code if reason else None,
                "override_display": reason.display if reason else None,
                "user_comment": it.overrideReason.userComment if it.overrideReason else None,
                "outcome_timestamp": it.outcomeTimestamp, "received_at": now,
            })
        with self._lock:
            self._flush_locked()  # the cards this feedback is about are stored first
            with self.engine.begin() as conn:
                conn.execute(FEEDBACK.insert(), rows)
        return len(rows)

    def summary(self) -> dict[str, Any]:
        """Per card type: issued, accepted, overridden, override rate, top override reasons."""
        self.flush()
        with self.engine.connect() as conn:
            issued: Counter[str] = Counter(dict(conn.execute(
                sa.select(CARDS.c.card_type, sa.func.count()).group_by(CARDS.c.card_type)).all()))
            # The latest feedback per card decides its outcome (a card may get feedback several times).
            rows = conn.execute(
                sa.select(FEEDBACK.c.card_uuid, FEEDBACK.c.outcome, FEEDBACK.c.override_code,
                          FEEDBACK.c.override_display, CARDS.c.card_type)
                .select_from(FEEDBACK.outerjoin(CARDS, FEEDBACK.c.card_uuid == CARDS.c.card_uuid))
                .order_by(FEEDBACK.c.id)).all()
        latest: dict[str, tuple[str, str | None, str | None, str]] = {}
        for card_uuid, outcome, code, display, card_type in rows:
            latest[card_uuid] = (outcome, code, display, card_type or "unknown")
        types: dict[str, dict[str, Any]] = {}
        for t, n in issued.items():
            types[t] = {"issued": n, "accepted": 0, "overridden": 0, "reasons": Counter()}
        for outcome, code, display, t in latest.values():
            entry = types.setdefault(t, {"issued": 0, "accepted": 0, "overridden": 0, "reasons": Counter()})
            entry[outcome] += 1
            if outcome == "overridden":
                entry["reasons"][f"{code} ({display})" if code else "comment only"] += 1
        return {"feedback_rows": len(rows), "types": types}


def report(settings: Settings) -> str:
    """Override rates per card type, as plain text (for `jakcheck feedback report`)."""
    started = time.perf_counter()
    store = FeedbackStore(settings.feedback_store)
    try:
        s = store.summary()
    finally:
        store.close()
    where = settings.feedback_store if "://" not in settings.feedback_store else "database URL"
    lines = [f"jakcheck feedback report: store {where}",
             f"{s['feedback_rows']} feedback entries", "",
             f"{'card type':<16}{'issued':>8}{'accepted':>10}{'overridden':>12}{'override rate':>15}"]
    total_acc = total_ovr = 0
    for t, e in sorted(s["types"].items()):
        answered = e["accepted"] + e["overridden"]
        rate = f"{100 * e['overridden'] / answered:.0f} %" if answered else "-"
        total_acc += e["accepted"]
        total_ovr += e["overridden"]
        lines.append(f"{t:<16}{e['issued']:>8}{e['accepted']:>10}{e['overridden']:>12}{rate:>15}")
        for reason, n in e["reasons"].most_common(3):
            lines.append(f"{'':<18}{n} x {reason}")
    answered = total_acc + total_ovr
    lines.append("")
    lines.append(f"overall override rate: {100 * total_ovr / answered:.0f} % of {answered} answered cards"
                 if answered else "no feedback yet")
    lines.append("Override rate = overridden / (accepted + overridden), latest feedback per card; ignored cards "
                 f"send no feedback. ({(time.perf_counter() - started) * 1000:.0f} ms)")
    return "\n".join(lines) + "\n"
