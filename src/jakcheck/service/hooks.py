"""CDS Hooks 2.0.1 endpoints: discovery, the three services, feedback.

POST /cds-services/{id} reads the patient from the prefetch. Prefetch keys the client left out are fetched from
`fhirServer` with `fhirAuthorization` only when that server is on the allowlist (see fhir_client); otherwise
the service answers with what it has and says on the cards what it could not check. With no patient data at
all it answers with one info card saying so (the spec's alternative is 412; a card tells the clinician that no
check ran, where an HTTP error is usually swallowed by the EHR).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from jakcheck.assessment import Assessment, DoseOut
from jakcheck.engine import assess, assess_order, patient_view_indications
from jakcheck.errors import InputError, PatientDeceased
from jakcheck.fhir.reader import read_document
from jakcheck.patient.facts import IncompleteData
from jakcheck.rules.data_quality import ENDING_PARTS
from jakcheck.service import fhir_client
from jakcheck.service.answers import answer_key, rebuild
from jakcheck.service.cards import BuiltCard, CardContext, notice_card, order_cards, patient_view_card
from jakcheck.service.feedback import IssuedCard
from jakcheck.service.models import (
    HOOK_CONTEXTS,
    CDSHooksRequest,
    CDSHooksResponse,
    CDSServices,
    Feedback,
    OrderSelectContext,
    OrderSignContext,
)
from jakcheck.service.orders import OrderedDrug, indication_for, ordered_drugs, other_orders_as_active
from jakcheck.service.prefetch import SERVICE_BY_ID, discovery
from jakcheck.service.state import ApiError, ServiceState, json_response, read_json, require_jwt, state

log = logging.getLogger("jakcheck.service.hooks")
router = APIRouter(tags=["CDS Hooks 2.0.1"])


def _errors(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        loc = ".".join(str(x) for x in e["loc"] if x != "__root__")
        parts.append(f"{loc}: {e['msg']}" if loc else e["msg"])
    return "; ".join(parts)


@router.get("/cds-services", summary="CDS Hooks discovery", responses={200: {"model": CDSServices}})
async def services(request: Request) -> Response:
    s = state(request)
    if s.settings.discovery_requires_jwt:
        await require_jwt(request, [f"{s.settings.service_base_url}/cds-services"])
    return json_response(discovery(s.knowledge))


def _ending_only(key: str) -> bool:
    """A prefetch key (or one of its split searches, "procedures-2") that can only end something on record."""
    return re.sub(r"-\d+$", "", key) in ENDING_PARTS


def _prefetch_missing(req: CDSHooksRequest, templates: Mapping[str, str]) -> dict[str, str]:
    given = req.prefetch or {}
    return {k: t for k, t in templates.items() if k not in given}


async def _gather(s: ServiceState, req: CDSHooksRequest,
                  patient_id: str | None) -> tuple[dict[str, Any], list[str], list[IncompleteData], bool]:
    """The prefetch to read, completed from the FHIR server where allowed; notes on what is missing; the parts of
    the record that did not arrive (read as incomplete, never as absent); and whether the answer may be kept for
    identical calls (not after a failed or partial fetch, which may be transient)."""
    templates = s.prefetch_templates
    data = {k: v for k, v in (req.prefetch or {}).items() if k in templates or isinstance(v, dict)}
    missing = _prefetch_missing(req, templates)
    notes: list[str] = []
    reported = _reported_errors(data, templates)
    if not missing:
        return data, notes, reported, not reported
    # A missing part that can only end something on record (procedures: a delivery) is said by the assessment
    # where it matters (rules.data_quality), not in a note on every card.
    names = ", ".join(sorted(k for k in missing if not _ending_only(k)))
    why: str | None = None
    if req.fhirServer is None or req.fhirAuthorization is None:
        why = "the EHR sent neither the prefetch nor FHIR server access"
        if names:
            notes.append(f"The EHR sent no prefetch for {names} and no FHIR server access, so these were not "
                         "read.")
    elif not fhir_client.is_allowed(req.fhirServer, s.settings):
        why = "the EHR's FHIR server is not on this service's allowlist"
        if names:
            notes.append(f"The EHR sent no prefetch for {names}; its FHIR server is not on this service's "
                         "allowlist, so nothing was fetched.")
    elif patient_id is None:
        why = "context.patientId is not a FHIR id"
        if names:
            notes.append(f"No prefetch for {names}, and context.patientId is not a FHIR id; nothing was "
                         "fetched.")
    if why is not None:
        return data, notes, [*reported, *(IncompleteData(k, why) for k in sorted(missing))], True
    assert req.fhirServer is not None and req.fhirAuthorization is not None and patient_id is not None
    fetched = await fhir_client.fetch(s.http, req.fhirServer, req.fhirAuthorization.access_token, missing,
                                      patient_id, s.settings.max_input_bytes, seconds=s.settings.fhir_fetch_seconds,
                                      max_pages=s.settings.fhir_fetch_max_pages)
    data.update(fetched.data)
    # What the FHIR server sent may carry its own error reports, as a prefetch may.
    cut = {g.key for g in fetched.gaps}
    reported += [e for e in _reported_errors(fetched.data, templates) if e.what not in cut]
    for gap in fetched.gaps:
        if _ending_only(gap.key):
            continue  # said by the assessment where it matters, as above
        notes.append(f"Fetching {gap.key} from the FHIR server {'stopped early' if gap.partial else 'failed'}: "
                     f"{gap.reason}.")
    gaps = [IncompleteData(g.key, g.reason, g.partial) for g in fetched.gaps]
    return data, notes, [*reported, *gaps], not fetched.gaps and not reported


def _error_issues(resource: Any) -> list[str]:
    """The codes of the error and fatal issues of an OperationOutcome."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "OperationOutcome":
        return []
    return [str(i.get("code") or "error") for i in resource.get("issue") or []
            if isinstance(i, dict) and i.get("severity") in ("error", "fatal")]


def _reported_errors(data: dict[str, Any], templates: Mapping[str, str]) -> list[IncompleteData]:
    """Prefetch keys where the EHR sent an OperationOutcome with an error instead of the data, or beside part of
    it in a search Bundle (CDS Hooks 2.0.1, Prefetch: "OperationOutcome(s) SHOULD be used to communicate those
    errors"). A null value is not an error: it means the EHR has no such data."""
    out = []
    for key in templates:
        value = data.get(key)
        if codes := _error_issues(value):
            out.append(IncompleteData(key, f"the EHR reported an error instead of the data ({', '.join(codes)})"))
        elif isinstance(value, dict) and value.get("resourceType") == "Bundle":
            # only the OperationOutcome entries are looked into (one test per entry, no call)
            codes = [c for e in value.get("entry") or [] if isinstance(e, dict)
                     and isinstance(r := e.get("resource"), dict) and r.get("resourceType") == "OperationOutcome"
                     for c in _error_issues(r)]
            if codes:
                out.append(IncompleteData(key, f"the EHR reported an error with part of the data "
                                               f"({', '.join(codes)})", partial=True))
    return out


@router.post("/cds-services/{service_id}", summary="Call a CDS service (patient-view, order-select, order-sign)",
             responses={200: {"model": CDSHooksResponse}, 400: {"description": "OperationOutcome"},
                        401: {"description": "OperationOutcome"}, 404: {"description": "OperationOutcome"}})
async def call_service(service_id: str, request: Request) -> Response:
    started = time.perf_counter()
    s = state(request)
    service = SERVICE_BY_ID.get(service_id)
    if service is None:
        raise ApiError(404, f"no CDS service {service_id!r}; GET /cds-services lists them")
    claims = await require_jwt(request, [f"{s.settings.service_base_url}/cds-services/{service_id}"])
    raw = await read_json(request)
    try:
        req = CDSHooksRequest.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(400, f"not a CDS Hooks request: {_errors(exc)}") from None
    if req.hook != service.hook:
        raise ApiError(400, f"service {service_id} answers the {service.hook} hook, not {req.hook!r}")
    try:
        ctx = HOOK_CONTEXTS[service.hook].model_validate(req.context)
    except ValidationError as exc:
        raise ApiError(400, f"context for {service.hook}: {_errors(exc)}") from None

    ordered: list[OrderedDrug] = []
    draft: dict[str, Any] = {}
    if isinstance(ctx, OrderSignContext):
        selections = ctx.selections if isinstance(ctx, OrderSelectContext) else None
        draft = ctx.draftOrders
        ordered = ordered_drugs(draft, selections, s.knowledge)
        if not ordered:
            return _answer(s, service_id, [], started, "no JAK inhibitor ordered")

    patient_id = fhir_client.patient_id_of(ctx.patientId)
    data, notes, incomplete, keep = await _gather(s, req, patient_id)
    today = s.today()
    caller = (str(claims.get("iss", "")), str(claims.get("tenant", "")))  # answers are never shared across EHRs
    key = (answer_key(service_id, caller, req.context, data, notes, today, s.knowledge.release.version)
           if keep and s.answers.size > 0 else None)
    kept = s.answers.get(key) if key is not None else None
    if kept is not None and s.reports.has(kept.report_token):
        return _answer(s, service_id, rebuild(kept), started, "assessed (same content as a recent call)",
                       kept.version)
    cctx = CardContext(knowledge=s.knowledge, notes=notes, insecure_dev=s.settings.insecure_dev)
    if not any(isinstance(v, dict) and v.get("resourceType") == "Patient" for v in data.values()):
        built = [notice_card("jakcheck could not check this patient: no patient data was available",
                             " ".join(notes) or "The request carried no Patient resource.", cctx)]
        return _answer(s, service_id, built, started, "no patient data")
    if ordered:
        others = other_orders_as_active(draft, ordered)
        if others:
            data["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                   "entry": [{"resource": r} for r in others]}
    doc = {"context": {"patientId": patient_id or ctx.patientId}, "prefetch": data}
    try:
        facts = read_document(doc, source_name="CDS Hooks request", as_of=today, knowledge=s.knowledge)
    except InputError as exc:
        raise ApiError(400, str(exc)) from None
    if incomplete:
        facts = replace(facts, incomplete=(*facts.incomplete, *incomplete))
    usual_start: dict[str, DoseOut | None] = {}
    per: list[Assessment] = []
    left_out: list[str] = []
    try:
        if ordered:
            order = assess_order(facts, s.knowledge, region=s.settings.region, drugs=[o.drug for o in ordered],
                                 indication=indication_for(ordered, s.knowledge), settings=s.settings)
            a, usual_start = order.assessment, order.usual_start
        else:
            # One card for every patient with an approved-use indication: with several, one section for each.
            shown, left_out = patient_view_indications(facts, s.knowledge, s.settings)
            if len(shown) > 1 or left_out:
                per = [assess(facts, s.knowledge, region=s.settings.region, indication=i, settings=s.settings)
                       for i in shown]
            else:  # none or one on record: the engine finds it
                per = [assess(facts, s.knowledge, region=s.settings.region, settings=s.settings)]
            a = per[0]
    except PatientDeceased as exc:
        built = [notice_card("jakcheck did not assess this patient: the record says the patient has died",
                             "The record says the patient died"
                             + (f" on {exc.deceased_on}" if exc.deceased_on else "")
                             + "; no treatment assessment is made.", cctx, "patient-deceased")]
        return _answer(s, service_id, built, started, "not assessed (deceased)")
    token = s.reports.put(a)  # first: the answer cache checks this report, which expires before the others
    more = [(x, f"{s.settings.service_base_url}/report/{s.reports.put(x)}") for x in per[1:]]
    cctx.report_url = f"{s.settings.service_base_url}/report/{token}"
    if ordered:
        built = order_cards(a, ordered, usual_start, f"Patient/{facts.patient_id}", ctx.userId, ctx.encounterId,
                            cctx)
    else:
        built = patient_view_card(a, cctx, more, left_out)
    if key is not None:
        s.answers.put(key, token, a.knowledge.version, built)
    return _answer(s, service_id, built, started, "assessed", a.knowledge.version)


def _answer(s: ServiceState, service_id: str, built: list[BuiltCard], started: float, what: str,
            version: str | None = None) -> Response:
    body = {"cards": [b.card for b in built]}
    if s.validate_responses:
        CDSHooksResponse.model_validate(body)  # a card that breaks the spec is a bug: 500, not a bad card
    s.store.record_cards_later(service_id, version or s.knowledge.release.version,
                               [IssuedCard(b.card["uuid"], b.card_type, b.indicator) for b in built])
    if log.isEnabledFor(logging.INFO):
        log.info("cds-service %s: %s, %d card(s) [%s], %.1f ms", service_id, what, len(built),
                 ",".join(f"{b.card_type}:{b.indicator}" for b in built), (time.perf_counter() - started) * 1000)
    return json_response(body)


@router.post("/cds-services/{service_id}/feedback", summary="Feedback on cards (accepted / overridden)",
             responses={200: {"description": "stored"}, 400: {"description": "OperationOutcome"}})
async def feedback(service_id: str, request: Request) -> Response:
    s = state(request)
    if service_id not in SERVICE_BY_ID:
        raise ApiError(404, f"no CDS service {service_id!r}")
    base = f"{s.settings.service_base_url}/cds-services/{service_id}"
    await require_jwt(request, [f"{base}/feedback", base])
    raw = await read_json(request)
    try:
        fb = Feedback.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(400, f"not CDS Hooks feedback: {_errors(exc)}") from None
    n = s.store.record_feedback(service_id, fb.feedback)
    log.info("feedback %s: %d entr%s stored", service_id, n, "y" if n == 1 else "ies")
    return Response(status_code=200)
