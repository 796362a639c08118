"""The FastAPI application: `create_app(settings)` wires the routers, middleware and error handling.

Routes: CDS Hooks (`/cds-services...`, hooks.py), REST (`/api/...`, `/healthz`, rest.py), the clinician web app
(`jakcheck.service.web`, mounted at "/"), the full report behind card links (`/report/{token}`),
and the API docs at `/docs` with the OpenAPI JSON at `/openapi.json`. The docs page loads Swagger UI from files
served by this app (package fastapi-offline), never from a CDN.

Cross-cutting rules, applied to every response:

* request size limit (`settings.max_request_bytes`; 413 with a message);
* in insecure dev mode the header `X-Jakcheck-Insecure-Dev` on every response (cards and pages say it too);
* errors: 4xx with a message (FHIR OperationOutcome on `/cds-services` and `/api/assess`), anything unexpected
  is a bug: 500 with a correlation id; the log gets the id, the exception type and the code location, never
  the exception message (it may quote patient data) or any request content;
* every response carries `X-Correlation-Id`.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from jakcheck.engine import check_settings
from jakcheck.errors import JakcheckError
from jakcheck.knowledge.loader import Knowledge, default_knowledge
from jakcheck.service import fhir_client
from jakcheck.service.answers import AnswerCache
from jakcheck.service.auth import JwtVerifier
from jakcheck.service.feedback import FeedbackStore
from jakcheck.service.hooks import router as hooks_router
from jakcheck.service.ids import correlation_id
from jakcheck.service.rest import router as rest_router
from jakcheck.service.shared import SharedReplayCache, SharedReportCache
from jakcheck.service.state import (
    FHIR_JSON,
    INSECURE_HEADER,
    INSECURE_TEXT,
    ApiError,
    ReportCache,
    Reports,
    ServiceState,
    json_response,
    operation_outcome,
)
from jakcheck.service.web import router as web_router
from jakcheck.settings import Settings

log = logging.getLogger("jakcheck.service")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
DOCS_STATIC = "/_docs-static"


def _is_fhir(path: str) -> bool:
    return path.startswith("/cds-services") or path == "/api/assess"


def _is_api(path: str) -> bool:
    return _is_fhir(path) or path.startswith("/api/") or path in ("/healthz", "/openapi.json")


def error_response(path: str, status: int, message: str, correlation_id: str | None = None,
                   insecure: bool = False) -> Response:
    headers = {"X-Correlation-Id": correlation_id} if correlation_id else None
    if _is_fhir(path):
        return json_response(operation_outcome(status, message, correlation_id), status, FHIR_JSON, headers)
    if _is_api(path):
        body: dict[str, Any] = {"error": message}
        if correlation_id:
            body["correlation_id"] = correlation_id
        return json_response(body, status, headers=headers)
    banner = f'<p role="alert"><strong>{INSECURE_TEXT}</strong></p>' if insecure else ""
    from html import escape

    return HTMLResponse(f"<!doctype html><html lang=en><meta charset=utf-8><title>jakcheck: error {status}</title>"
                        f"<body>{banner}<h1>Error {status}</h1><p>{escape(message)}</p></body></html>",
                        status_code=status, headers=headers)


class _TooLarge(Exception):
    pass


class EdgeMiddleware:
    """Correlation id, request size limit and the insecure-dev header, as plain ASGI (no per-request task)."""

    def __init__(self, app: ASGIApp, max_bytes: int, insecure: bool) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.insecure = insecure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = correlation_id()
        scope.setdefault("state", {})["correlation_id"] = cid
        extra = [(b"x-correlation-id", cid.encode())]
        if self.insecure:
            extra.append((INSECURE_HEADER.lower().encode(), INSECURE_TEXT.encode()))
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        path = scope.get("path", "")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    await self._too_large(path, scope, receive, send_wrapper)
                    return
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, receive_limited, send_wrapper)
        except _TooLarge:
            if not started:
                await self._too_large(path, scope, receive, send_wrapper)

    async def _too_large(self, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        resp = error_response(path, 413, f"the request is larger than the limit of {self.max_bytes} bytes",
                              insecure=self.insecure)
        await resp(scope, receive, send)


def _correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or correlation_id())


def _bug_log(cid: str, exc: BaseException) -> None:
    """The code location of a bug, without the exception's message (which may quote patient data)."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    log.error("bug, correlation id %s: %s at %s", cid, type(exc).__name__, where)


def _install_handlers(app: FastAPI, insecure: bool) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request.url.path, exc.status, exc.message, insecure=insecure)

    @app.exception_handler(JakcheckError)
    async def _user_error(request: Request, exc: JakcheckError) -> Response:
        return error_response(request.url.path, 422, str(exc), insecure=insecure)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for e in exc.errors()[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ()))
            parts.append(f"{loc}: {e.get('msg')}")
        return error_response(request.url.path, 400, "; ".join(parts) or "invalid request", insecure=insecure)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page or endpoint: {request.url.path}"
        resp = error_response(request.url.path, exc.status_code, message, insecure=insecure)
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        cid = _correlation_id(request)
        _bug_log(cid, exc)
        return error_response(request.url.path, 500, f"internal error (a bug); correlation id {cid}", cid,
                              insecure=insecure)


APP_LINK = '<a href="/">Back to the jakcheck app (assess a patient)</a>'
# Swagger UI's version badges, method labels and try-out buttons are too light: darker colours give readable
# contrast.
DOCS_CONTRAST_CSS = (".swagger-ui .info .title small { background-color: #3b4151 !important; } "
                     ".swagger-ui .info .title small.version-stamp { background-color: #2f6b00 !important; } "
                     ".swagger-ui .opblock-get .opblock-summary-method { background: #0b5cad !important; } "
                     ".swagger-ui .opblock-post .opblock-summary-method { background: #1e6b45 !important; } "
                     ".swagger-ui .opblock-put .opblock-summary-method { background: #8a4b00 !important; } "
                     ".swagger-ui .opblock-delete .opblock-summary-method { background: #a4161a !important; } "
                     ".swagger-ui .info .url, .swagger-ui .info .base-url { color: #3b4151; } "
                     ".swagger-ui .opblock-summary-path__deprecated, .swagger-ui .parameter__in, "
                     ".swagger-ui .response-col_links, .swagger-ui .opblock-description-wrapper p { color: #3b4151; } "
                     ".swagger-ui .json-schema-2020-12-expand-deep-button { color: #3b4151 !important; } "
                     ".swagger-ui .btn.cancel { color: #a4161a; border-color: #a4161a; } "
                     ".swagger-ui .btn.execute { background-color: #0b5cad; border-color: #0b5cad; } "
                     # Examples are shown whole, wrapped: a scrolling box a keyboard cannot reach is no barrier then.
                     ".swagger-ui .highlight-code > .microlight { max-height: none; overflow: visible !important; "
                     "white-space: pre-wrap; word-break: break-all; } "
                     ".swagger-ui .response-col_status .response-undocumented { color: #595959; } "
                     ".swagger-ui .download-contents { background: #3b4151 !important; color: #fff !important; } "
                     # The "correct these" box appears at once, in full colour (it used to grow from faint).
                     ".swagger-ui .errors-wrapper { animation: none; color: #3b4151; }")
# Swagger UI leaves the request body box and the copy buttons without a name a screen reader can announce: the
# page names them as they appear (Swagger UI re-renders parts of the page on every click).
DOCS_NAMES_JS = """(function () {
  var names = [["textarea.body-param__text", "Request body (JSON)"],
               [".curl-command .copy-to-clipboard button", "Copy the curl command"],
               [".copy-to-clipboard button", "Copy to the clipboard"]];
  function name(root) {
    names.forEach(function (n) {
      root.querySelectorAll(n[0] + ":not([aria-label])").forEach(function (el) {
        el.setAttribute("aria-label", n[1]);
      });
    });
  }
  function param(root) {  // a parameter's box is named after its parameter ("service_id, in path")
    root.querySelectorAll("tr[data-param-name] :is(input, select, textarea):not([aria-label])").forEach(function (el) {
      var row = el.closest("tr[data-param-name]");
      el.setAttribute("aria-label", row.getAttribute("data-param-name") + ", in " + row.getAttribute("data-param-in"));
    });
  }
  new MutationObserver(function () { name(document); param(document); })
    .observe(document.getElementById("swagger-ui"), {childList: true, subtree: true});
  name(document);
  param(document);
}());"""


# Without deep links an operation's path inside its expand button is plain text, not a second link nested in the
# button (axe-core `nested-interactive`: a screen reader or keyboard user cannot reach or tell the two apart).
DOCS_PARAMETERS = {"deepLinking": False}


def _with_app_link(html: str) -> str:
    """The API docs page in English, its content in the page's main landmark, with a link back to the clinician
    app above the API description."""
    html = html.replace("<html>", '<html lang="en">', 1)
    html = html.replace("</head>", f"<style>{DOCS_CONTRAST_CSS}</style>\n</head>", 1)
    html = re.sub(r'<div id="swagger-ui">\s*</div>', '<main id="swagger-ui"></main>', html, count=1)
    html = html.replace("</body>", f"<script>{DOCS_NAMES_JS}</script>\n</body>", 1)
    return html.replace("<body>", '<body>\n<header><nav aria-label="jakcheck"><p style="margin:1rem 2rem;'
                        f'font:16px sans-serif">{APP_LINK}</p></nav></header>', 1)


def _install_docs(app: FastAPI) -> None:
    spec = importlib.util.find_spec("fastapi_offline")
    static = Path(spec.origin).parent / "static" if spec and spec.origin else None
    if static is not None and static.is_dir():
        app.mount(DOCS_STATIC, StaticFiles(directory=static), name="docs-static")

        @app.get("/docs", include_in_schema=False)
        async def docs() -> HTMLResponse:
            page = get_swagger_ui_html(openapi_url="/openapi.json", title="jakcheck API",
                                       swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
                                       swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
                                       swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
                                       swagger_ui_parameters=DOCS_PARAMETERS)
            return HTMLResponse(_with_app_link(bytes(page.body).decode("utf-8")))
    else:  # the OpenAPI JSON still works offline; the page would need the CDN

        @app.get("/docs", include_in_schema=False)
        async def docs_plain() -> HTMLResponse:
            return HTMLResponse("<!doctype html><html lang=en><title>jakcheck API</title><p>" + APP_LINK
                                + "<p>Swagger UI assets are not installed; the OpenAPI description is at "
                                "<a href=/openapi.json>/openapi.json</a>.")


def _install_report(app: FastAPI) -> None:
    """`/report/{token}`: the full report behind a card's link (the web app may define a richer one first)."""

    @app.get("/report/{token}", include_in_schema=False)
    async def report(token: str, request: Request) -> Response:
        s: ServiceState = request.app.state.service
        a = s.reports.get(token)
        if a is None:
            raise ApiError(404, "this report link has expired or is unknown; open the patient in the EHR again")
        from jakcheck.report.html import render_html

        html = render_html(a)
        if s.settings.insecure_dev:
            html = html.replace("<body>", f'<body><p role="alert" style="background:#b00;color:#fff;padding:.5em">'
                                f"<strong>{INSECURE_TEXT}</strong></p>", 1)
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def create_app(settings: Settings, *, knowledge: Knowledge | None = None,
               today: Callable[[], date] = date.today, validate_responses: bool = True,
               shared_state_dir: Path | None = None) -> FastAPI:
    """The jakcheck service. `today` is the clock for assessments (tests pin it).

    `validate_responses`: check each CDS Hooks response against the spec models (on here and in tests; `jakcheck
    serve` turns it off, see state.ServiceState). `shared_state_dir`: keep the report cache and the JWT replay
    cache in SQLite files there, shared by several worker processes (`jakcheck serve --workers N`); None keeps
    them in this process's memory."""
    k = knowledge or default_knowledge()
    check_settings(k, settings)  # settings this knowledge release cannot honour are refused at start-up
    for noisy in ("httpx", "httpcore"):  # they log request URLs, which carry patient ids in FHIR searches
        logging.getLogger(noisy).setLevel(logging.WARNING)
    store = FeedbackStore(settings.feedback_store)
    http = fhir_client.new_client(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        if settings.insecure_dev:
            log.warning("%s", INSECURE_TEXT)
        elif not settings.trusted_issuers:
            log.warning("no trusted JWT issuers configured: every CDS Hooks call will be refused (401)")
        yield
        await http.aclose()
        store.close()

    app = FastAPI(title="jakcheck", version=k.release.version, docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Cited decision support for JAK inhibitors: CDS Hooks 2.0.1 services, a REST API "
                              f"and a clinician web app. Knowledge release {k.release.version} "
                              f"({k.release.date})." + (f" **{INSECURE_TEXT}.**" if settings.insecure_dev else ""))
    app.state.settings = settings
    app.state.knowledge = k
    app.state.insecure_dev = settings.insecure_dev
    verifier = JwtVerifier(settings, http)
    reports: Reports
    if shared_state_dir is not None:
        reports = SharedReportCache(shared_state_dir / "reports.sqlite3", settings.report_cache_size,
                                    settings.report_ttl_seconds)
        verifier.replay = SharedReplayCache(shared_state_dir / "jwt-replay.sqlite3")
    else:
        reports = ReportCache(settings.report_cache_size, settings.report_ttl_seconds)
    app.state.service = ServiceState(settings=settings, knowledge=k, verifier=verifier, store=store,
                                     reports=reports, answers=AnswerCache(settings.answer_cache_size,
                                                                          settings.report_ttl_seconds / 2),
                                     http=http, today=today,
                                     validate_responses=validate_responses)
    app.state.report_cache = app.state.service.reports
    _install_handlers(app, settings.insecure_dev)
    app.include_router(hooks_router)
    app.include_router(rest_router)
    app.include_router(web_router)
    _install_report(app)
    _install_docs(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], max_age=600)
    app.add_middleware(EdgeMiddleware, max_bytes=settings.max_request_bytes, insecure=settings.insecure_dev)
    return app
