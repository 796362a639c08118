"""How a page of the web app is rendered: the Jinja2 environment (autoescaping on), the security headers every
page carries, the error page, and the app state a page reads (settings and knowledge release, each with a
default)."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from jakcheck.knowledge.evidence import cite_grade_text, source_grade_text
from jakcheck.knowledge.loader import Knowledge, default_knowledge
from jakcheck.report._shared import (
    SEVERITY_LABELS,
    TIMING_LABELS,
    VERDICT_LABELS,
    VERDICT_MARKS,
    clinical_text,
    dose_label,
    drugs_label,
    evidence_label,
    is_missing,
    is_web_url,
    monitoring_test_label,
    phase_label,
    region_label,
)
from jakcheck.service.state import INSECURE_TEXT
from jakcheck.service.web.form import REGIONS
from jakcheck.service.web.report_view import pct
from jakcheck.settings import Settings

log = logging.getLogger("jakcheck.web")

STATIC_DIR = Path(__file__).parent.parent / "static"
# A page must never be framed by another site, nor load anything from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("jakcheck", "service/templates/web"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(dose=dose_label, phase=phase_label, drugs=drugs_label, evidence=evidence_label, pct=pct,
                       clinical=clinical_text, test_label=monitoring_test_label)
    env.tests.update(missing=is_missing, web_url=is_web_url)
    env.globals.update(
        VERDICT_LABELS=VERDICT_LABELS, SEVERITY_LABELS=SEVERITY_LABELS, TIMING_LABELS=TIMING_LABELS,
        VERDICT_MARKS=VERDICT_MARKS,
        region_label=region_label, REGIONS=REGIONS, INSECURE_TEXT=INSECURE_TEXT,
        source_grade_text=source_grade_text, cite_grade_text=cite_grade_text,
    )
    return env


def settings_of(request: Request) -> Settings:
    """The app's settings, or the defaults when the app has none."""
    s = getattr(request.app.state, "settings", None)
    return s if isinstance(s, Settings) else Settings()


def knowledge_of(request: Request) -> Knowledge:
    """The app's knowledge release, or the default release when the app has none."""
    k = getattr(request.app.state, "knowledge", None)
    return k if isinstance(k, Knowledge) else default_knowledge()


def _insecure(request: Request) -> bool:
    return bool(getattr(request.app.state, "insecure_dev", False)) or settings_of(request).insecure_dev


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    k = knowledge_of(request)
    html = environment().get_template(template).render(
        release=k.release, insecure_dev=_insecure(request), default_region=settings_of(request).region, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def error_page(request: Request, status_code: int, title: str, message: str, hint: str | None = None) -> HTMLResponse:
    log.info("web: %s (%d)", title, status_code)  # the message may quote patient data: not logged
    return render(request, "error.html.j2", status_code=status_code, title=title, message=message, hint=hint)

