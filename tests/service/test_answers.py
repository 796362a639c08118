"""The answer cache: a call with the same content as a recent one gets the same cards (with fresh uuids)
without a new assessment; any difference in what the cards depend on is a new assessment."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jakcheck.service import hooks
from jakcheck.service.answers import AnswerCache, fresh_uuids
from jakcheck.service.cards import BuiltCard
from jakcheck.settings import Settings
from tests.service.conformance import check_response
from tests.service.conftest import BASE, TokenFactory, auth, client_for
from tests.service.fake_servers import serve
from tests.service.hookdata import draft_order, hook_request, load
from tests.service.test_security import _fhir_routes, _no_prefetch_request

SVC = "/cds-services/jakcheck-order-select"


@pytest.fixture
def assessments(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the assessments the hooks run (the engine calls are wrapped, not replaced): `assess` for
    patient-view, `assess_order` for the order hooks."""
    calls: list[str] = []
    for name in ("assess", "assess_order"):
        real = getattr(hooks, name)

        def counting(*args: Any, _real: Any = real, **kw: Any) -> Any:
            calls.append("assess")
            return _real(*args, **kw)

        monkeypatch.setattr(hooks, name, counting)
    return calls


def _request(mg: float | None = None) -> dict[str, Any]:
    return hook_request("order-select", load("ra-71-smoker-eu.json"),
                        [draft_order("tofacitinib", "ra-71-smoker", mg=mg)])


def _call(c: TestClient, token: str, req: dict[str, Any]) -> dict[str, Any]:
    r = c.post(SVC, json=req, headers=auth(token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    check_response(body)
    return body


def _uuids(body: dict[str, Any]) -> list[str]:
    return [c["uuid"] for c in body["cards"]] + [s["uuid"] for c in body["cards"] for s in c.get("suggestions", [])]


def _without_uuids(body: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(body)
    for c in out["cards"]:
        c.pop("uuid")
        for s in c.get("suggestions", []):
            s.pop("uuid")
    return out


def test_same_content_same_cards_fresh_uuids_no_reassessment(client: TestClient, make_token: TokenFactory,
                                                            assessments: list[str]) -> None:
    first = _call(client, make_token(aud=BASE + SVC), _request())
    again = _request()
    again["hookInstance"] = "another-instance-of-the-hook"  # call-specific fields are not part of the content
    second = _call(client, make_token(aud=BASE + SVC), again)
    assert assessments == ["assess"]
    assert _without_uuids(first) == _without_uuids(second)
    assert not set(_uuids(first)) & set(_uuids(second))
    assert len(set(_uuids(second))) == len(_uuids(second))
    # The kept answer's report link still opens the report.
    assert client.get(second["cards"][0]["links"][0]["url"].removeprefix(BASE)).status_code == 200


def test_a_change_in_the_order_or_the_record_is_a_new_assessment(client: TestClient, make_token: TokenFactory,
                                                                 assessments: list[str]) -> None:
    _call(client, make_token(aud=BASE + SVC), _request())
    _call(client, make_token(aud=BASE + SVC), _request(mg=10))  # another dose in the draft order
    changed = _request()
    changed["prefetch"]["observations"]["entry"] = changed["prefetch"]["observations"]["entry"][1:]
    _call(client, make_token(aud=BASE + SVC), changed)  # one observation fewer
    assert assessments == ["assess"] * 3


def test_a_new_day_is_a_new_assessment(settings: Settings, make_token: TokenFactory,
                                       assessments: list[str]) -> None:
    from datetime import date

    from jakcheck.service.app import create_app

    days = [date(2026, 11, 26)]
    with TestClient(create_app(settings, today=lambda: days[-1])) as c:
        _call(c, make_token(aud=BASE + SVC), _request())
        days.append(date(2026, 11, 27))
        _call(c, make_token(aud=BASE + SVC), _request())
    assert assessments == ["assess"] * 2


def test_an_expired_report_means_a_new_assessment(client: TestClient, make_token: TokenFactory,
                                                 assessments: list[str]) -> None:
    first = _call(client, make_token(aud=BASE + SVC), _request())
    client.app.state.service.reports._items.clear()  # type: ignore[attr-defined]  # the report is gone
    second = _call(client, make_token(aud=BASE + SVC), _request())
    assert assessments == ["assess"] * 2
    assert first["cards"][0]["links"][0]["url"] != second["cards"][0]["links"][0]["url"]
    assert client.get(second["cards"][0]["links"][0]["url"].removeprefix(BASE)).status_code == 200


def test_size_zero_turns_it_off(settings: Settings, make_token: TokenFactory, assessments: list[str]) -> None:
    with client_for(replace(settings, answer_cache_size=0)) as c:
        _call(c, make_token(aud=BASE + SVC), _request())
        _call(c, make_token(aud=BASE + SVC), _request())
    assert assessments == ["assess"] * 2


def test_why_data_is_missing_is_part_of_the_content(settings: Settings, make_token: TokenFactory) -> None:
    """Same (missing) prefetch, but once without FHIR access and once from a server not on the allowlist:
    each answer says its own reason."""
    req = _request()
    del req["prefetch"]["observations"]
    with client_for(settings) as c:
        plain = _call(c, make_token(aud=BASE + SVC), req)
        req["fhirServer"] = "https://not-allowed.example/fhir"
        req["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer", "expires_in": 300,
                                    "scope": "patient/*.read", "subject": "jakcheck"}
        refused = _call(c, make_token(aud=BASE + SVC), req)
    assert "no FHIR server access" in plain["cards"][0]["detail"]
    assert "not on this service's allowlist" in refused["cards"][0]["detail"]


def test_an_answer_after_a_failed_fetch_is_not_kept(settings: Settings, make_token: TokenFactory,
                                                   assessments: list[str]) -> None:
    routes = _fhir_routes()
    routes["/fhir/Immunization"] = lambda path: (500, {"resourceType": "OperationOutcome"})
    with serve(routes) as fhir, client_for(replace(settings, allowed_fhir_servers=(f"{fhir.base}/fhir",))) as c:
        req = _no_prefetch_request(f"{fhir.base}/fhir")
        req["prefetch"] = {k: v for k, v in _request()["prefetch"].items() if k != "immunizations"}
        for _ in range(2):
            body = _call(c, make_token(aud=BASE + SVC), req)
            assert "Fetching immunizations from the FHIR server failed" in body["cards"][0]["detail"]
        assert len(c.app.state.service.answers) == 0  # type: ignore[attr-defined]
    assert assessments == ["assess"] * 2


def test_the_cache_is_bounded_and_expires() -> None:
    now = [0.0]
    cache = AnswerCache(size=2, ttl=10, clock=lambda: now[0])
    card = BuiltCard({"uuid": "u", "summary": "s", "indicator": "info"}, "notice", "info")
    for key in (b"a", b"b", b"c"):
        cache.put(key, "token", "v", [card])
    assert len(cache) == 2 and cache.get(b"a") is None and cache.get(b"c") is not None
    now[0] = 11
    assert cache.get(b"c") is None


def test_fresh_uuids_reach_every_card_and_suggestion() -> None:
    cards = [{"uuid": "x", "suggestions": [{"uuid": "x"}, {"uuid": "x"}]}, {"uuid": "x"}]
    counter = iter(range(10))
    fresh_uuids(cards, lambda: f"n{next(counter)}")
    assert [c["uuid"] for c in cards] == ["n0", "n3"]
    assert [s["uuid"] for s in cards[0]["suggestions"]] == ["n1", "n2"]


def test_answers_are_not_shared_between_tenants(settings: Settings, make_token: TokenFactory,
                                                assessments: list[str]) -> None:
    issuer = settings.trusted_issuers[0]
    multi = replace(settings, trusted_issuers=(replace(issuer, tenants=("north", "south")),))
    with client_for(multi) as c:
        north = _call(c, make_token(aud=BASE + SVC, tenant="north"), _request())
        _call(c, make_token(aud=BASE + SVC, tenant="north"), _request())
        south = _call(c, make_token(aud=BASE + SVC, tenant="south"), _request())
    assert assessments == ["assess"] * 2
    assert north["cards"][0]["links"][0]["url"] != south["cards"][0]["links"][0]["url"]


def test_a_kept_answer_lives_half_as_long_as_its_report(client: TestClient, make_token: TokenFactory,
                                                        settings: Settings, assessments: list[str]) -> None:
    now = [1000.0]
    answers = client.app.state.service.answers  # type: ignore[attr-defined]
    answers._clock = lambda: now[0]
    _call(client, make_token(aud=BASE + SVC), _request())
    now[0] += settings.report_ttl_seconds / 2 - 1
    _call(client, make_token(aud=BASE + SVC), _request())
    now[0] += 2  # past half the report's lifetime: the link would have less than half left
    _call(client, make_token(aud=BASE + SVC), _request())
    assert assessments == ["assess"] * 2
