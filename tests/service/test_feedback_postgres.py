"""The feedback store on PostgreSQL: the SQLite feedback tests again, plus what only a server shows.

A session fixture runs a throwaway PostgreSQL server (initdb + pg_ctl from the Debian `postgresql` package, as the
`postgres` system user when the tests run as root) listening only on a unix socket in its temporary directory:
trust auth, fsync off. Each test gets a fresh database. Without the binaries, psycopg or a server that starts,
these tests skip and say why (`make postgres` installs the server on Debian when root).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jakcheck.cli import main as cli_main
from jakcheck.service.feedback import FeedbackStore, IssuedCard, report
from jakcheck.service.models import FeedbackItem
from jakcheck.settings import Settings, TrustedIssuer
from tests.service.conftest import BASE, ISS

# The SQLite feedback tests, collected here again: they run against PostgreSQL through the `settings` override.
from tests.service.test_feedback import (  # noqa: F401
    test_feedback_round_trip_and_report,
    test_repeated_feedback_keeps_every_row_and_counts_the_latest,
    test_store_is_append_only,
)

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60  # seconds for initdb + start on a slow machine


@dataclass(frozen=True)
class PgServer:
    socket_dir: Path
    startup_seconds: float

    def url(self, db: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql+psycopg://{user}@/{db}?host={self.socket_dir}"

    def admin(self, sql: str) -> None:
        """One statement outside a transaction (CREATE/DROP DATABASE, roles), as the superuser."""
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), user="postgres", dbname="postgres", autocommit=True) as c:
            c.execute(sql.encode())


def _pg_bindir() -> Path | None:
    dirs = []
    if found := shutil.which("initdb"):
        dirs.append(Path(found).resolve().parent)
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    dirs += sorted(versions, key=lambda p: int(p.parent.name), reverse=True)
    return next((d for d in dirs if all((d / b).is_file() for b in ("initdb", "pg_ctl", "postgres"))
                 and _major(d) >= MIN_MAJOR), None)


MIN_MAJOR = 13  # DROP DATABASE ... WITH (FORCE)


def _major(bindir: Path) -> int:
    """The server's major version (`postgres --version`: "postgres (PostgreSQL) 15.18 ..."), 0 if unreadable."""
    try:
        out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(m.group(1)) if m else 0


def _run(cmd: list[str], as_user: list[str]) -> subprocess.CompletedProcess[str]:
    # Longer than pg_ctl's own -t wait, so pg_ctl reports a slow start itself instead of being killed mid-way.
    return subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=START_TIMEOUT + 30,
                          check=False, env={**os.environ, "LC_ALL": "C", "TZ": "UTC"})


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'psycopg[binary]>=3.1', in the dev extra)")
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(f"no PostgreSQL {MIN_MAJOR}+ server binaries (initdb, pg_ctl, postgres); `make postgres` "
                    "installs them")
    as_user: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:  # postgres refuses to run as root: run it as the postgres system user
        runuser = shutil.which("runuser")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` system user to run the server as")
        if runuser is None:
            pytest.skip("running as root and there is no runuser to start the server as `postgres`")
        as_user = [runuser, "-u", "postgres", "--"]
    tmp = Path(tempfile.mkdtemp(prefix="jakcheck-pg-"))  # short: unix socket paths are limited to ~107 bytes
    data = tmp / "data"
    if owner is not None:
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
    started = time.perf_counter()
    running = False
    try:
        r = _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync"], as_user)
        if r.returncode != 0:
            pytest.skip(f"initdb failed: {(r.stderr or r.stdout).strip()[-400:]}")
        options = (f"-c listen_addresses='' -c unix_socket_directories='{tmp}' -c port=5432 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        r = _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "server.log"), "-o", options,
                  "-w", "-t", str(START_TIMEOUT), "start"], as_user)
        running = r.returncode == 0
        if not running:
            log = (tmp / "server.log").read_text(errors="replace") if (tmp / "server.log").exists() else ""
            pytest.skip(f"PostgreSQL did not start: {(r.stderr or r.stdout).strip()[-200:]} {log[-400:]}")
        yield PgServer(tmp, time.perf_counter() - started)
    finally:
        if running or (data / "postmaster.pid").exists():  # also a server whose start was cut short
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], as_user)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty database for one test (dropped afterwards, connections and all)."""
    db = f"t_{uuid.uuid4().hex[:16]}"
    pg_server.admin(f"CREATE DATABASE {db}")
    yield pg_server.url(db)
    pg_server.admin(f"DROP DATABASE {db} WITH (FORCE)")


@pytest.fixture
def settings(jwks_file: Path, pg_url: str) -> Settings:
    """The service settings of tests/service/conftest.py with the feedback store on PostgreSQL."""
    return Settings(region="EU", service_base_url=BASE,
                    trusted_issuers=(TrustedIssuer(iss=ISS, jwks_file=jwks_file),), feedback_store=pg_url)


def _item(**fields: Any) -> FeedbackItem:
    return FeedbackItem.model_validate(fields)


def _fill(store: FeedbackStore) -> None:
    """The same cards and feedback for either backend: tb 1 of 2 overridden, verdict 2 of 2, a repeat."""
    store.record_cards("jakcheck-order-select", "2026.11", [
        IssuedCard("v1", "verdict", "critical"), IssuedCard("v2", "verdict", "critical"),
        IssuedCard("t1", "tb", "warning"), IssuedCard("t2", "tb", "warning"), IssuedCard("z1", "zoster", "info")])
    reason = {"system": "https://jakcheck.test/override", "code": "benefit", "display": "benefit outweighs risk"}
    store.record_feedback("jakcheck-order-select", [
        _item(card="v1", outcome="overridden", outcomeTimestamp="2026-11-26T10:00:00Z",
              overrideReason={"reason": reason}),
        _item(card="v2", outcome="accepted", outcomeTimestamp="2026-11-26T10:00:00Z",
              acceptedSuggestions=[{"id": "s1"}]),
        _item(card="t1", outcome="overridden", outcomeTimestamp="2026-11-26T10:00:00Z",
              overrideReason={"userComment": "screened elsewhere"}),
        _item(card="t2", outcome="accepted", outcomeTimestamp="2026-11-26T10:00:00Z",
              acceptedSuggestions=[{"id": "s2"}]),
    ])
    store.record_feedback("jakcheck-order-select", [  # the latest feedback per card counts
        _item(card="v2", outcome="overridden", outcomeTimestamp="2026-11-26T10:05:00Z",
              overrideReason={"reason": reason, "userComment": "changed my mind"}),
    ])


def _report_lines(text: str) -> list[str]:
    """The report without the store line and the timing."""
    return [re.sub(r"\(\d+ ms\)", "", ln) for ln in text.splitlines()[1:]]


def test_summary_and_report_match_sqlite(pg_url: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    sqlite_store = str(tmp_path / "fb.sqlite3")
    summaries = []
    for url in (sqlite_store, pg_url):
        store = FeedbackStore(url)
        _fill(store)
        summaries.append(store.summary())
        store.close()
    assert summaries[0] == summaries[1]
    assert summaries[1]["feedback_rows"] == 5
    types = summaries[1]["types"]
    assert (types["verdict"]["issued"], types["verdict"]["accepted"], types["verdict"]["overridden"]) == (2, 0, 2)
    assert (types["tb"]["accepted"], types["tb"]["overridden"]) == (1, 1)
    assert types["zoster"] == {"issued": 1, "accepted": 0, "overridden": 0, "reasons": {}}
    outputs = []
    for url in (sqlite_store, pg_url):  # `jakcheck feedback report`, store chosen as in production
        assert cli_main(["feedback", "report"], {"JAKCHECK_FEEDBACK_STORE": url}) == 0
        outputs.append(capsys.readouterr().out)
    assert "store database URL" in outputs[1] and "postgres" not in outputs[1]  # no URL (credentials) printed
    assert _report_lines(outputs[0]) == _report_lines(outputs[1])
    assert "overall override rate: 75 % of 4 answered cards" in outputs[1]


def _rows(store: FeedbackStore) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for t in ("cards_issued", "feedback")
                for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1").all()]


def test_update_delete_truncate_refused(pg_url: str) -> None:
    store = FeedbackStore(pg_url)
    try:
        _fill(store)
        before = _rows(store)
        assert len(before) == 10
        for table in ("cards_issued", "feedback"):
            for stmt in (f"UPDATE {table} SET service_id = 'x'", f"DELETE FROM {table}", f"TRUNCATE {table}",
                         f"DELETE FROM {table} WHERE service_id = 'jakcheck-order-select'"):
                with pytest.raises(sa.exc.IntegrityError, match=f"{table} is append-only"), \
                        store.engine.begin() as conn:
                    conn.exec_driver_sql(stmt)
        with store.engine.begin() as conn:  # as on SQLite (row triggers): a statement touching no row passes
            assert conn.exec_driver_sql("UPDATE feedback SET outcome = 'x' WHERE id < 0").rowcount == 0
        assert _rows(store) == before
    finally:
        store.close()


def _triggers(store: FeedbackStore) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.exec_driver_sql(
            "SELECT tgrelid::regclass::text || ':' || tgname FROM pg_trigger WHERE NOT tgisinternal").scalars())


def test_setup_is_idempotent_and_concurrent(pg_url: str) -> None:
    """Workers starting at once on an empty database: one creates the schema, none fails, no duplicates."""
    barrier = threading.Barrier(4)
    stores: list[FeedbackStore] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            barrier.wait()
            stores.append(FeedbackStore(pg_url))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        stores.append(FeedbackStore(pg_url))  # and once more on the finished schema
        assert _triggers(stores[-1]) == ["cards_issued:cards_issued_no_truncate",
                                         "cards_issued:cards_issued_no_update_delete",
                                         "feedback:feedback_no_truncate", "feedback:feedback_no_update_delete"]
    finally:
        for s in stores:
            s.close()


def test_least_privilege_role_can_use_an_existing_store(pg_server: PgServer, pg_url: str) -> None:
    """Once the schema exists, a role with INSERT and SELECT only starts and works (no DDL at startup)."""
    FeedbackStore(pg_url).close()  # the schema, created by the owner
    db = sa.engine.make_url(pg_url).database
    assert db is not None
    role = f"svc_{uuid.uuid4().hex[:12]}"
    pg_server.admin(f"CREATE ROLE {role} LOGIN")
    owner = sa.create_engine(pg_url)
    store = None
    try:
        with owner.begin() as conn:
            conn.exec_driver_sql(f"GRANT SELECT, INSERT ON cards_issued, feedback TO {role}")
            conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE feedback_id_seq TO {role}")
        store = FeedbackStore(pg_server.url(db, role))
        _fill(store)
        assert store.summary()["feedback_rows"] == 5
        with pytest.raises(sa.exc.ProgrammingError), store.engine.begin() as conn:  # no DDL right either
            conn.exec_driver_sql("DROP TRIGGER feedback_no_update_delete ON feedback")
    finally:
        if store is not None:
            store.close()
        with owner.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")  # its grants in this database
        owner.dispose()
        pg_server.admin(f"DROP ROLE {role}")


WORKER = textwrap.dedent("""
    import sys
    from jakcheck.service.feedback import FeedbackStore, IssuedCard
    from jakcheck.service.models import FeedbackItem
    url, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = FeedbackStore(url)
    for i in range(n):
        card = f"{tag}-{i}"
        store.record_cards_later("jakcheck-order-select", "2026.11",
                                 [IssuedCard(card, "verdict" if i % 2 else "tb", "critical")])
        if i % 4 == 0:
            store.record_feedback("jakcheck-order-select", [FeedbackItem.model_validate(
                {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:00:00Z",
                 "overrideReason": {"userComment": tag}})])
    store.close()
""")


def test_two_worker_processes_write_to_one_database(pg_url: str) -> None:
    n = 40
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, pg_url, tag, str(n)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("w1", "w2")]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    store = FeedbackStore(pg_url)
    try:
        s = store.summary()
        assert s["feedback_rows"] == 2 * len(range(0, n, 4))
        assert s["types"]["tb"]["issued"] + s["types"]["verdict"]["issued"] == 2 * n
        assert s["types"]["tb"]["overridden"] == 2 * len(range(0, n, 4))  # i % 4 == 0: even, so tb
        assert s["types"]["tb"]["reasons"]["comment only"] == 2 * len(range(0, n, 4))
        with store.engine.connect() as conn:
            tags: dict[str, int] = dict(conn.exec_driver_sql(
                "SELECT user_comment, count(*) FROM feedback GROUP BY user_comment").all())
        assert tags == {"w1": len(range(0, n, 4)), "w2": len(range(0, n, 4))}
    finally:
        store.close()


def test_report_names_no_url(settings: Settings) -> None:
    text = report(settings)
    assert "store database URL" in text and "no feedback yet" in text


def test_server_started(pg_server: PgServer) -> None:
    """The fixture's start-up time, for the record (`pytest -rP` shows it)."""
    print(f"PostgreSQL throwaway server started in {pg_server.startup_seconds:.2f} s")
    assert pg_server.startup_seconds < START_TIMEOUT
