"""Feedback: stored append-only, validated per 2.0.1 (cds-fb-1..3), summarised per card type."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from jakcheck.service.feedback import FeedbackStore, report
from jakcheck.settings import Settings
from tests.service.conftest import BASE, TokenFactory, auth
from tests.service.hookdata import draft_order, hook_request, load

SVC = "jakcheck-order-select"


def _cards(client: TestClient, make_token: TokenFactory) -> list[dict[str, Any]]:
    req = hook_request("order-select", load("referral-no-workup-eu.json"),
                       [draft_order("tofacitinib", "referral-new")])
    r = client.post(f"/cds-services/{SVC}", json=req, headers=auth(make_token(aud=f"{BASE}/cds-services/{SVC}")))
    cards: list[dict[str, Any]] = r.json()["cards"]
    return cards


def _send(client: TestClient, make_token: TokenFactory, items: list[dict[str, Any]]) -> Any:
    return client.post(f"/cds-services/{SVC}/feedback", json={"feedback": items},
                       headers=auth(make_token(aud=f"{BASE}/cds-services/{SVC}/feedback")))


def test_feedback_round_trip_and_report(client: TestClient, make_token: TokenFactory, settings: Settings) -> None:
    cards = _cards(client, make_token)
    verdict, tb = cards[0], next(c for c in cards if c["source"]["topic"]["code"] == "tb")
    reason = verdict["overrideReasons"][0]
    r = _send(client, make_token, [
        {"card": verdict["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:00:00Z",
         "overrideReason": {"reason": reason, "userComment": "discussed with rheumatology"}},
        {"card": tb["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-11-26T10:00:01Z",
         "acceptedSuggestions": [{"id": tb["suggestions"][0]["uuid"]}]},
    ])
    assert r.status_code == 200
    text = report(settings)
    assert "verdict" in text and "risk-benefit-ratio" in text
    lines = {ln.split()[0]: ln.split() for ln in text.splitlines() if ln[:1].isalpha() and len(ln.split()) >= 5}
    assert lines["verdict"][1:5] == ["1", "0", "1", "100"]
    assert lines["tb"][1:5] == ["1", "1", "0", "0"]
    assert "overall override rate: 50 % of 2 answered cards" in text


@pytest.mark.parametrize("item, message", [
    ({"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-11-26T10:00:00Z"}, "outcome"),
    ({"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-11-26T10:00:00Z"}, "cds-fb-2"),
    ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:00:00Z", "overrideReason": {}},
     "cds-fb-3"),
    ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "yesterday"}, "RFC 3339"),
    ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:00:00"}, "time zone"),
])
def test_invalid_feedback_is_refused(item: dict[str, Any], message: str, client: TestClient,
                                     make_token: TokenFactory) -> None:
    r = _send(client, make_token, [item])
    assert r.status_code == 400 and message in r.json()["issue"][0]["diagnostics"]


def test_store_is_append_only(settings: Settings) -> None:
    """Also run on PostgreSQL (test_feedback_postgres.py overrides `settings`)."""
    store = FeedbackStore(settings.feedback_store)
    from jakcheck.service.feedback import IssuedCard
    store.record_cards("svc", "1", [IssuedCard("u1", "tb", "critical")])
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM cards_issued")
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE cards_issued SET card_type = 'x'")
    assert store.summary()["types"]["tb"]["issued"] == 1
    store.close()


def test_repeated_feedback_keeps_every_row_and_counts_the_latest(client: TestClient, make_token: TokenFactory,
                                                                settings: Settings) -> None:
    card = _cards(client, make_token)[0]
    over = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:00:00Z",
            "overrideReason": {"userComment": "later"}}
    assert _send(client, make_token, [over]).status_code == 200
    acc = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-11-26T10:05:00Z",
           "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}]}
    assert _send(client, make_token, [acc]).status_code == 200
    store = FeedbackStore(settings.feedback_store)
    s = store.summary()
    store.close()
    assert s["feedback_rows"] == 2
    assert s["types"]["verdict"]["accepted"] == 1 and s["types"]["verdict"]["overridden"] == 0


def test_feedback_store_url_form(tmp_path: Path, settings: Settings) -> None:
    """A SQLAlchemy URL selects the database (PostgreSQL: postgresql+psycopg://...); SQLite URL here."""
    s = replace(settings, feedback_store=f"sqlite:///{tmp_path / 'viaurl.sqlite3'}")
    assert "no feedback yet" in report(s)
    assert (tmp_path / "viaurl.sqlite3").exists()


@pytest.mark.parametrize("store", ["postgresql+nosuchdriver://jak:s3cret-pw@db.example/fb",
                                   "nosuchdb://jak:s3cret-pw@db.example/fb",
                                   "postgresql+psycopg://jak:s3cret-pw@db.example:notaport/fb",
                                   "postgresql+psycopg://jak:s3cret-pw#1?@db.example:notaport/fb",
                                   "postgresql+nosuchdriver://jak@db.example/fb?password=s3cret-pw"])
def test_a_password_in_the_store_url_is_never_shown(store: str) -> None:
    import traceback

    from jakcheck.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        FeedbackStore(store)
    shown = "".join(traceback.format_exception(info.value))
    assert "s3cret-pw" not in shown and ("jak:***@db.example" in shown or "password=***" in shown)
