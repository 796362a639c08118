"""The knowledge pages of the web app: the knowledge release as a clinician reads it (drugs, coverage, rules
with their spec scenarios, sources and what cites each)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from jakcheck.knowledge.loader import Knowledge
from jakcheck.knowledge.schema import Cite
from jakcheck.rules import MODULES, text_only
from jakcheck.service.web.form import REGIONS
from jakcheck.service.web.page import STATIC_DIR, error_page, knowledge_of, render

router = APIRouter()


def _walk_cites(obj: Any, path: str = "") -> Iterable[tuple[str, Cite]]:
    if isinstance(obj, Cite):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk_cites(getattr(obj, name), f"{path}.{name}" if path else name)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _walk_cites(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _walk_cites(v, path)


_CITED_BY: dict[int, tuple[Knowledge, dict[str, list[str]]]] = {}


def _cited_by(knowledge: Knowledge) -> dict[str, list[str]]:
    """Source id -> the drug labels, indications and thresholds that cite it (computed once per release)."""
    cached = _CITED_BY.get(id(knowledge))
    if cached is not None and cached[0] is knowledge:
        return cached[1]
    out: dict[str, set[str]] = {}
    for d in knowledge.drugs.values():
        for region, lab in d.regions.items():
            out.setdefault(lab.label_source, set()).add(f"{d.name} ({region} label)")
            for _, c in _walk_cites(lab):
                out.setdefault(c.source, set()).add(f"{d.name} ({region})")
    for ind in knowledge.indications.values():
        for _, c in _walk_cites(ind):
            out.setdefault(c.source, set()).add(f"Alternatives for {ind.label}")
    for key, t in knowledge.thresholds.items():
        for _, c in _walk_cites(t):
            out.setdefault(c.source, set()).add(f"Threshold {key}")
    result = {k: sorted(v) for k, v in out.items()}
    _CITED_BY[id(knowledge)] = (knowledge, result)
    return result


@lru_cache(maxsize=1)
def rule_scenarios() -> dict[str, list[dict[str, Any]]]:
    """Spec scenarios per rule id ("module.function"), generated from the spec tables (`make docs`)."""
    path = STATIC_DIR / "rule-scenarios.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("rules", {}) if isinstance(data, dict) else {}


def rule_modules() -> list[dict[str, Any]]:
    scenarios = rule_scenarios()
    out = []
    for module in (*MODULES, text_only):
        name = module.__name__.rsplit(".", 1)[-1]
        title, _, body = inspect.cleandoc(module.__doc__ or "").partition("\n")
        rules = []
        for rule in getattr(module, "RULES", ()) or getattr(module, "STEPS", ()):
            rid = f"{name}.{rule.__name__}"
            rules.append({"id": rid, "name": rule.__name__, "doc": inspect.cleandoc(rule.__doc__ or ""),
                          "scenarios": scenarios.get(rid, [])})
        out.append({"name": name, "title": title.strip(), "body": body.strip(), "rules": rules})
    return out


@router.get("/knowledge", response_class=HTMLResponse, include_in_schema=False)
def knowledge_index(request: Request) -> HTMLResponse:
    k = knowledge_of(request)
    return render(request, "knowledge_index.html.j2", drugs=[k.drugs[d] for d in k.drug_ids()],
                  modules=rule_modules(), sources=sorted(k.sources.values(), key=lambda s: s.title.lower()),
                  indications=list(k.indications.values()))


@router.get("/knowledge/drugs/{drug_id}", response_class=HTMLResponse, include_in_schema=False)
def knowledge_drug(request: Request, drug_id: str) -> HTMLResponse:
    k = knowledge_of(request)
    drug = k.drugs.get(drug_id)
    if drug is None:
        return error_page(request, 404, "Unknown drug", f"No drug {drug_id!r} in this knowledge release.",
                          "Known drugs: " + ", ".join(k.drug_ids()))
    return render(request, "knowledge_drug.html.j2", drug=drug, sources=k.sources,
                  indication_labels={i.id: i.label for i in k.indications.values()},
                  regions=[(r, drug.regions.get(r)) for r in REGIONS])


@router.get("/knowledge/coverage", response_class=HTMLResponse, include_in_schema=False)
def knowledge_coverage(request: Request, drug: str | None = None) -> HTMLResponse:
    from jakcheck.knowledge.coverage_report import count_rows, grids

    k = knowledge_of(request)
    if drug is not None and drug not in k.drugs:
        return error_page(request, 404, "Unknown drug", f"No drug {drug!r} in this knowledge release.",
                          "Known drugs: " + ", ".join(k.drug_ids()))
    cells = list(k.coverage.select(drug, None))
    return render(request, "knowledge_coverage.html.j2", counts=count_rows(cells), grids=grids(cells),
                  sources=k.sources, drug=drug)


@router.get("/knowledge/rules", response_class=HTMLResponse, include_in_schema=False)
def knowledge_rules(request: Request) -> HTMLResponse:
    return render(request, "knowledge_rules.html.j2", modules=rule_modules(), module=None)


@router.get("/knowledge/rules/{module_name}", response_class=HTMLResponse, include_in_schema=False)
def knowledge_rule_module(request: Request, module_name: str) -> HTMLResponse:
    modules = rule_modules()
    found = next((m for m in modules if m["name"] == module_name), None)
    if found is None:
        return error_page(request, 404, "Unknown rule topic", f"No rule module {module_name!r}.",
                          "Known topics: " + ", ".join(m["name"] for m in modules))
    return render(request, "knowledge_rules.html.j2", modules=[found], module=found)


@router.get("/knowledge/sources", response_class=HTMLResponse, include_in_schema=False)
def knowledge_sources(request: Request) -> HTMLResponse:
    k = knowledge_of(request)
    return render(request, "knowledge_sources.html.j2",
                  sources=sorted(k.sources.values(), key=lambda s: (s.kind, s.title.lower())), source=None,
                  cited_by={})


@router.get("/knowledge/sources/{source_id}", response_class=HTMLResponse, include_in_schema=False)
def knowledge_source(request: Request, source_id: str) -> HTMLResponse:
    k = knowledge_of(request)
    s = k.sources.get(source_id)
    if s is None:
        return error_page(request, 404, "Unknown source", f"No source {source_id!r} in this knowledge release.")
    return render(request, "knowledge_sources.html.j2", sources=[s], source=s,
                  cited_by=_cited_by(k).get(s.id, []))
