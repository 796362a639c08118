"""What the service's routes share: settings, knowledge, the JWT verifier, the stores and the clock.

Also the small helpers every route uses to answer: JSON bodies with orjson, FHIR OperationOutcome errors, and
the report cache behind the card links.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from types import MappingProxyType
from typing import Any, Protocol

import httpx
import orjson
from fastapi import Request
from fastapi.responses import Response

from jakcheck.assessment import Assessment
from jakcheck.knowledge.loader import Knowledge
from jakcheck.service.answers import AnswerCache
from jakcheck.service.auth import AuthError, JwtVerifier
from jakcheck.service.feedback import FeedbackStore
from jakcheck.service.prefetch import prefetch_templates
from jakcheck.settings import Settings

INSECURE_HEADER = "X-Jakcheck-Insecure-Dev"
INSECURE_TEXT = "INSECURE DEV MODE: no authentication, not for clinical use"
FHIR_JSON = "application/fhir+json"


class Reports(Protocol):
    """Where card report links find their assessment: ReportCache, or shared.SharedReportCache (workers > 1)."""

    def put(self, assessment: Assessment, now: float | None = None) -> str: ...

    def get(self, token: str, now: float | None = None) -> Assessment | None: ...

    def has(self, token: str, now: float | None = None) -> bool: ...

    def __len__(self) -> int: ...


class ReportCache:
    """Assessments behind the "full report" link of a card, by an unguessable token (no patient id in URLs).

    In memory, least recently used dropped past `size`, expired after `ttl` seconds. The web app reads it with
    `request.app.state.report_cache.get(token)` (one process: with several workers use sticky sessions)."""

    def __init__(self, size: int, ttl: float) -> None:
        self.size = size
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, Assessment]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, assessment: Assessment, now: float | None = None) -> str:
        token = secrets.token_urlsafe(18)
        now = time.monotonic() if now is None else now
        with self._lock:
            self._items[token] = (now + self.ttl, assessment)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return token

    def get(self, token: str, now: float | None = None) -> Assessment | None:
        now = time.monotonic() if now is None else now
        with self._lock:
            hit = self._items.get(token)
            if hit is None:
                return None
            if hit[0] < now:
                del self._items[token]
                return None
            self._items.move_to_end(token)
            return hit[1]

    def has(self, token: str, now: float | None = None) -> bool:
        """Whether the link still resolves (counts as a use: the entry moves to the recent end)."""
        return self.get(token, now) is not None

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class ServiceState:
    settings: Settings
    knowledge: Knowledge
    verifier: JwtVerifier
    store: FeedbackStore
    reports: Reports
    answers: AnswerCache
    http: httpx.AsyncClient
    today: Callable[[], date]
    # Check every CDS Hooks response against the spec models before sending it (a card that breaks the spec is a
    # bug: 500). On in tests and by default in create_app; `jakcheck serve` turns it off unless
    # JAKCHECK_VALIDATE_RESPONSES=true (it costs about 0.5 ms a call, ~10 % of one).
    validate_responses: bool = True

    @cached_property
    def prefetch_templates(self) -> Mapping[str, str]:
        """The CDS Hooks prefetch templates of the knowledge release, made once (they depend only on it)."""
        return MappingProxyType(prefetch_templates(self.knowledge))


def state(request: Request) -> ServiceState:
    s: ServiceState = request.app.state.service
    return s


def json_response(body: Any, status: int = 200, media_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)


ISSUE_CODE = {400: "invalid", 401: "security", 403: "forbidden", 404: "not-found", 405: "not-supported",
              409: "conflict", 412: "incomplete", 413: "too-long", 415: "not-supported", 422: "processing",
              429: "throttled", 500: "exception"}


def operation_outcome(status: int, message: str, correlation_id: str | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "fatal" if status >= 500 else "error",
                             "code": ISSUE_CODE.get(status, "processing"), "diagnostics": message}
    if correlation_id:
        issue["details"] = {"text": f"correlation id {correlation_id}"}
    return {"resourceType": "OperationOutcome", "issue": [issue]}


class ApiError(Exception):
    """An error a route answers with: status and a message safe to show the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def require_jwt(request: Request, audience: list[str]) -> dict[str, Any]:
    """The verified JWT claims of the request ({} in insecure dev mode, where no token is checked); 401 unless
    it carries a verified JWT for one of `audience`."""
    s = state(request)
    if s.settings.insecure_dev:
        return {}
    try:
        return await s.verifier.verify(request.headers.get("authorization"), audience)
    except AuthError as exc:
        import logging

        logging.getLogger("jakcheck.service.auth").info("JWT rejected on %s: %s", request.url.path, exc)
        raise ApiError(401, "unauthorized: the bearer token was not accepted") from None


async def read_json(request: Request) -> Any:
    body = await request.body()
    if not body:
        raise ApiError(400, "the request has no body; send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") \
            from None
