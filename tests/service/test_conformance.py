"""Conformance: schemathesis against the OpenAPI schema (bounded), and the 2.0.1 models' own invariants."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from jakcheck.service.app import create_app
from jakcheck.service.models import Action, Card, CDSHooksRequest, CDSHooksResponse, Link
from jakcheck.settings import Settings

STORE = str(Path(tempfile.mkdtemp()) / "fb.sqlite3")
APP = create_app(Settings(insecure_dev=True, feedback_store=STORE), today=lambda: date(2026, 11, 26))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)


@SCHEMA.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_fails_and_matches_its_schema(case: schemathesis.Case) -> None:
    """Any generated request: no 5xx, documented status codes, JSON bodies (bounded: 15 examples/operation)."""
    response = case.call()
    assert response.status_code < 500, (case.path, response.status_code, response.text[:300])
    case.validate_response(response, checks=(schemathesis.checks.not_a_server_error,))


CARD = {"summary": "s", "indicator": "info", "source": {"label": "l"}}


@pytest.mark.parametrize("bad, why", [
    ({**CARD, "summary": "x" * 140}, "summary < 140"),
    ({**CARD, "indicator": "hard-stop"}, "indicator value set"),
    ({**CARD, "detail": ""}, "no empty strings"),
    ({**CARD, "links": []}, "no empty lists"),
    ({**CARD, "source": {"label": "l", "url": None}}, "no nulls"),
    ({**CARD, "suggestions": [{"label": "x"}]}, "cds-resp-6 selectionBehavior"),
    ({**CARD, "overrideReasons": [{"code": "c", "system": "s"}]}, "cds-resp-4 display"),
])
def test_card_invariants(bad: dict[str, object], why: str) -> None:
    with pytest.raises(ValueError):
        Card.model_validate(bad)


def test_action_and_link_invariants() -> None:
    with pytest.raises(ValueError):
        Action.model_validate({"type": "delete", "description": "d"})  # cds-resp-2
    with pytest.raises(ValueError):
        Action.model_validate({"type": "create", "description": "d", "resource": {"a": 1}})
    with pytest.raises(ValueError):
        Link.model_validate({"label": "l", "url": "u", "type": "absolute", "appContext": "x"})  # cds-resp-3
    with pytest.raises(ValueError):
        CDSHooksRequest.model_validate({"hook": "h", "hookInstance": "i", "context": {},
                                        "fhirAuthorization": {"access_token": "t", "token_type": "Bearer",
                                                              "expires_in": 1, "scope": "s", "subject": "c"}})
    assert CDSHooksResponse.model_validate({"cards": []}).cards == []
