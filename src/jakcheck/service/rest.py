"""REST API: assess a record, read the knowledge release, health.

* `POST /api/assess?region=EU&indication=...&as_of=YYYY-MM-DD&drug=...` with a FHIR R4 Bundle, resource list,
  CDS Hooks prefetch or patient card (JSON; YAML for a card with Content-Type application/yaml) -> the
  assessment JSON (`jakcheck.assessment/2`, the same as `jakcheck assess --format json`). Errors are FHIR
  OperationOutcomes: 400 malformed request, 413 too large, 422 a record that cannot be read (the message names
  the resource and field).
* `GET /api/knowledge/release`, `/api/knowledge/drugs`, `/api/knowledge/drugs/{id}`, `/api/knowledge/sources`,
  `/api/knowledge/sources/{id}`.
* `GET /healthz`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from jakcheck.engine import assess
from jakcheck.errors import InputError
from jakcheck.fhir.reader import read_document
from jakcheck.patient.card import parse_yaml, read_card
from jakcheck.service.state import FHIR_JSON, ApiError, json_response, read_json, state
from jakcheck.settings import parse_region

router = APIRouter()
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request (OperationOutcome)"},
    413: {"description": "Request too large (OperationOutcome)"},
    422: {"description": "The record cannot be read (OperationOutcome naming resource and field)"},
}
ASSESS_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "description": "FHIR R4 Bundle, resource, CDS Hooks "
                                    "prefetch or patient card (docs/patient-card.md)"}},
    "application/fhir+json": {"schema": {"type": "object"}},
    "application/yaml": {"schema": {"type": "string", "description": "patient card as YAML"}},
}}}


# The engine's arguments named in its errors, as this endpoint's query parameters call them.
PARAMETERS = {"indication": "indication", "drugs": "drug"}


@router.post("/api/assess", tags=["assessment"], summary="Assess a patient record", responses=ERRORS,
             openapi_extra=ASSESS_BODY)
async def api_assess(
    request: Request,
    region: Annotated[str | None, Query(description="EU (EMA) or US (FDA); default from settings")] = None,
    indication: Annotated[str | None, Query(description="e.g. rheumatoid-arthritis")] = None,
    as_of: Annotated[str | None, Query(description="assessment date YYYY-MM-DD (default today)")] = None,
    drug: Annotated[list[str] | None, Query(description="assess only these drugs (repeatable)")] = None,
) -> Response:
    s = state(request)
    try:
        reg = parse_region(region, "region") if region is not None else s.settings.region
    except Exception as exc:
        raise ApiError(400, str(exc)) from None
    try:
        day = date.fromisoformat(as_of) if as_of is not None else s.today()
    except ValueError:
        raise ApiError(400, f"as_of: not a date (YYYY-MM-DD): {as_of!r}") from None
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if ctype in ("application/yaml", "application/x-yaml", "text/yaml"):
            text = (await request.body()).decode("utf-8", errors="replace")
            facts = read_card(parse_yaml(text, source_name="request body"), source_name="request body", as_of=day,
                              knowledge=s.knowledge)
        else:
            doc = await read_json(request)
            facts = read_document(doc, source_name="request body", as_of=day, knowledge=s.knowledge)
        result = assess(facts, s.knowledge, region=reg, indication=indication, drugs=tuple(drug or ()),
                        settings=s.settings)
    except InputError as exc:
        if exc.field in PARAMETERS:  # the engine's argument is one of this endpoint's query parameters
            raise ApiError(400, f"parameter {PARAMETERS[exc.field]}: {exc.message}") from None
        raise ApiError(422, str(exc)) from None
    return json_response(result.to_json_dict())


@router.get("/api/knowledge/release", tags=["knowledge"], summary="The knowledge release in use")
async def knowledge_release(request: Request) -> Response:
    k = state(request).knowledge
    return json_response(k.release.model_dump(mode="json"))


@router.get("/api/knowledge/drugs", tags=["knowledge"], summary="Drugs with their approved indications")
async def knowledge_drugs(request: Request) -> Response:
    k = state(request).knowledge
    out = []
    for d in k.drug_ids():
        drug = k.drugs[d]
        out.append({"id": d, "name": drug.name, "brands": drug.brands, "target": drug.target,
                    "jak_class": drug.jak_class,
                    "regions": {r: {"authorised": lab.authorised,
                                    "indications": sorted({i.indication for i in lab.indications})}
                                for r, lab in sorted(drug.regions.items())}})
    return json_response({"knowledge": k.release.version, "drugs": out})


@router.get("/api/knowledge/drugs/{drug_id}", tags=["knowledge"], summary="Everything known about one drug",
            responses={404: {"description": "Unknown drug"}})
async def knowledge_drug(drug_id: str, request: Request) -> Response:
    k = state(request).knowledge
    if drug_id not in k.drugs:
        raise ApiError(404, f"unknown drug {drug_id!r}; known: {', '.join(k.drug_ids())}")
    return json_response(k.drugs[drug_id].model_dump(mode="json"))


@router.get("/api/knowledge/sources", tags=["knowledge"], summary="The sources every statement rests on")
async def knowledge_sources(request: Request) -> Response:
    k = state(request).knowledge
    return json_response({"knowledge": k.release.version,
                          "sources": [s.model_dump(mode="json") for _, s in sorted(k.sources.items())]})


@router.get("/api/knowledge/sources/{source_id}", tags=["knowledge"], summary="One source",
            responses={404: {"description": "Unknown source"}})
async def knowledge_source(source_id: str, request: Request) -> Response:
    k = state(request).knowledge
    if source_id not in k.sources:
        raise ApiError(404, f"unknown source {source_id!r}")
    return json_response(k.sources[source_id].model_dump(mode="json"))


@router.get("/healthz", tags=["service"], summary="Liveness and the knowledge release")
async def healthz(request: Request) -> Response:
    s = state(request)
    return json_response({"status": "ok", "knowledge": {"version": s.knowledge.release.version,
                                                        "date": s.knowledge.release.date.isoformat()},
                          "region": s.settings.region, "insecure_dev": s.settings.insecure_dev})


FHIR_MEDIA = FHIR_JSON
