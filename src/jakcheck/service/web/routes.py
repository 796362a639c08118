"""The web app's routes: static files, the start page, the assessment of an uploaded, pasted or typed record, and
the report behind a CDS Hooks card's link; the knowledge pages' routes are included from `knowledge_pages`."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from jakcheck.assessment import Assessment
from jakcheck.engine import assess
from jakcheck.errors import InputError, JakcheckError, PatientDeceased
from jakcheck.fhir.reader import read_document, read_json_text
from jakcheck.knowledge.loader import Knowledge
from jakcheck.patient.card import parse_yaml, read_card
from jakcheck.patient.facts import PatientFacts
from jakcheck.service.web import knowledge_pages
from jakcheck.service.web.form import (
    REGIONS,
    UNIT_DEFAULTS,
    BadRequest,
    FormErrors,
    FormProblem,
    WebInput,
    card_from_form,
    common_answers,
    form_options,
    form_problems,
    form_values,
    text_answer,
)
from jakcheck.service.web.page import STATIC_DIR, error_page, knowledge_of, log, render, settings_of
from jakcheck.service.web.report_view import report_context

router = APIRouter()

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".json": "application/json", ".svg": "image/svg+xml"}


# ---------------------------------------------------------------------------------------------------------
# Static files: a fixed list of files from this package, nothing else.


@lru_cache(maxsize=1)
def _static_files() -> dict[str, tuple[bytes, str]]:
    out: dict[str, tuple[bytes, str]] = {}
    for p in sorted(STATIC_DIR.iterdir()):
        if p.is_file() and p.suffix in STATIC_TYPES:
            out[p.name] = (p.read_bytes(), STATIC_TYPES[p.suffix])
    return out


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    found = _static_files().get(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body, media = found
    return Response(body, media_type=media, headers={"Cache-Control": "public, max-age=3600",
                                                     "X-Content-Type-Options": "nosniff"})


# ---------------------------------------------------------------------------------------------------------
# Start page and assessment


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def start_page(request: Request) -> HTMLResponse:
    return start_form(request, {}, [])


def start_form(request: Request, values: Mapping[str, Any], errors: Sequence[tuple[str, str, str]],
               status_code: int = 200) -> HTMLResponse:
    """The start page; after a form problem, with every typed value kept and every problem listed at once."""
    region = str(values.get("region") or settings_of(request).region).upper()
    return render(request, "start.html.j2", status_code=status_code, today=date.today().isoformat(),
                  values=values, errors=list(errors), error_fields={f: m for f, _, m in errors},
                  region_now=region if region in REGIONS else settings_of(request).region,
                  unit_defaults=UNIT_DEFAULTS, **form_options(knowledge_of(request)))


def read_text_input(text: str, name: str, as_of: date, knowledge: Knowledge, max_bytes: int) -> PatientFacts:
    """JSON (FHIR or patient card) or, when it is not JSON, a YAML patient card."""
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith(("{", "[")):
        return read_json_text(text, source_name=name, as_of=as_of, knowledge=knowledge, max_bytes=max_bytes)
    obj = parse_yaml(text, source_name=name)
    if isinstance(obj, dict) and "resourceType" in obj:
        return read_document(obj, source_name=name, as_of=as_of, knowledge=knowledge)
    if not isinstance(obj, dict):
        raise InputError("is neither a FHIR JSON document nor a patient card", file=name)
    return read_card(obj, source_name=name, as_of=as_of, knowledge=knowledge)


@router.post("/assess", response_class=HTMLResponse, include_in_schema=False)
async def assess_page(request: Request) -> HTMLResponse:
    started = time.perf_counter()
    settings = settings_of(request)
    knowledge = knowledge_of(request)
    limit = min(settings.max_input_bytes, settings.max_request_bytes)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 1024 * 1024:
        return error_page(request, 413, "Input too large",
                          f"The upload is {int(declared)} bytes; this server accepts up to {limit} bytes.")
    try:
        form = await request.form(max_files=2, max_fields=400, max_part_size=limit)
    except Exception as exc:  # noqa: BLE001 - malformed multipart bodies of every kind
        return error_page(request, 400, "The form could not be read", f"The request is not a valid form: {exc}.")
    values = form_values(form)
    try:
        common = common_answers(form, knowledge, settings.region)
        facts, payload, source_kind = await _facts_from_form(form, knowledge, common, limit)
        result = assess(facts, knowledge, region=common.region, indication=common.indication,
                        settings=settings)
    except BadRequest as exc:
        return error_page(request, exc.status, exc.title, exc.message)
    except FormErrors as exc:  # every problem at once, on the form with what was typed
        return start_form(request, values, exc.problems, 422)
    except FormProblem as exc:
        return start_form(request, values, [(exc.field_id or "form-h", exc.label, exc.message)], 422)
    except PatientDeceased as exc:
        return error_page(request, 422, "This patient has died",
                          "The record says the patient died" + (f" on {exc.deceased_on}" if exc.deceased_on else "")
                          + ". No treatment assessment is made.",
                          "Check that this is the right patient's record.")
    except InputError as exc:
        return error_page(request, 422, "The record could not be read", str(exc),
                          "Nothing was assessed. Correct the record (the message names the place) and try again.")
    except JakcheckError as exc:
        return error_page(request, 422, "The record could not be assessed", str(exc))
    finally:
        await form.close()
    response = render_report(request, result, facts, payload=payload, source_kind=source_kind)
    log.info("web: assessed region=%s drugs=%d findings=%d in %.0f ms", result.region, len(result.drugs),
             len(result.findings), (time.perf_counter() - started) * 1000)
    return response


async def _facts_from_form(form: FormData, knowledge: Knowledge, common: WebInput,
                           limit: int) -> tuple[PatientFacts, str | None, str]:
    """The patient facts from whichever input the form carries. Returns (facts, text to carry, kind)."""
    chosen = text_answer(form, "source")
    upload = form.get("bundle")
    has_file = isinstance(upload, UploadFile) and bool(upload.filename)
    pasted = form.get("pasted")
    has_paste = isinstance(pasted, str) and bool(pasted.strip())
    has_form = bool(text_answer(form, "age"))
    kinds = {"upload": has_file, "paste": has_paste, "form": has_form}
    if chosen not in kinds or not kinds[chosen]:
        chosen = next((k for k, present in kinds.items() if present), "")
    if not chosen:
        if text_answer(form, "source") == "form":
            raise FormErrors(form_problems(form, knowledge))
        raise BadRequest("No patient record given",
                         "Upload a FHIR Bundle file, paste JSON, or fill in the short form (age is required).")
    if chosen == "upload":
        assert isinstance(upload, UploadFile)
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise BadRequest("Input too large", f"The file is more than the limit of {limit} bytes.", 413)
        # The file name may be a patient's name: it is shown to the clinician, never logged.
        name = upload.filename or "upload"
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text (a FHIR JSON file is UTF-8)", file=name) from None
        facts = read_text_input(text, name, common.as_of, knowledge, limit)
        return facts, text, "upload"
    if chosen == "paste":
        assert isinstance(pasted, str)
        facts = read_text_input(pasted, "pasted text", common.as_of, knowledge, limit)
        return facts, pasted, "paste"
    problems = form_problems(form, knowledge)
    if problems:
        raise FormErrors(problems)
    built = card_from_form(form, knowledge, common.as_of)
    try:
        facts = read_card(built.card, source_name="web form", as_of=common.as_of, knowledge=knowledge)
    except InputError as exc:
        raise built.explain(exc) from None
    return facts, json.dumps(built.card, ensure_ascii=False), "form"


# ---------------------------------------------------------------------------------------------------------
# Report page


def render_report(request: Request, result: Assessment, facts: PatientFacts | None, *, payload: str | None,
                  source_kind: str) -> HTMLResponse:
    """The report page (`report_view.report_context`)."""
    return render(request, "report.html.j2",
                  **report_context(knowledge_of(request), result, facts, payload=payload, source_kind=source_kind))


@router.get("/report/{token}", response_class=HTMLResponse, include_in_schema=False)
def report_link(request: Request, token: str) -> HTMLResponse:
    """The full report behind a CDS Hooks card's link: the assessment the service kept under an unguessable
    token (`app.state.report_cache`), rendered as the interactive report page."""
    cache = getattr(request.app.state, "report_cache", None)
    result = cache.get(token) if cache is not None else None
    if not isinstance(result, Assessment):
        return error_page(request, 404, "Report not found",
                          "This report link has expired or is unknown.", "Open the patient in the EHR again.")
    return render_report(request, result, None, payload=None, source_kind="link")


router.include_router(knowledge_pages.router)
