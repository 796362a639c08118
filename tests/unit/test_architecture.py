"""Dependencies point inward: knowledge and patient import nothing from fhir, report, cli, engine or rules; the
FHIR reader imports nothing from the screen or the service, and its job modules never import its entry point."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "jakcheck"
FORBIDDEN = {
    "knowledge": ("jakcheck.fhir", "jakcheck.patient", "jakcheck.rules", "jakcheck.engine", "jakcheck.report",
                  "jakcheck.cli", "jakcheck.service", "jakcheck.population"),
    "patient": ("jakcheck.fhir", "jakcheck.rules", "jakcheck.engine", "jakcheck.report", "jakcheck.cli",
                "jakcheck.service", "jakcheck.population"),
    "rules": ("jakcheck.fhir", "jakcheck.engine", "jakcheck.report", "jakcheck.cli"),
    "fhir": ("jakcheck.rules", "jakcheck.engine", "jakcheck.report", "jakcheck.cli", "jakcheck.service",
             "jakcheck.population"),
    "report": ("jakcheck.fhir", "jakcheck.rules", "jakcheck.cli"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_no_back_edges() -> None:
    problems = []
    for package, banned in FORBIDDEN.items():
        for path in (SRC / package).rglob("*.py"):
            for mod in _imports(path):
                if mod.startswith(banned):
                    problems.append(f"{path.relative_to(SRC)} imports {mod}")
    assert not problems, problems


def test_the_reader_entry_point_is_the_top_of_the_fhir_package() -> None:
    """fhir/reader.py wires the jobs together; decoding, unpacking, coding and the resource mappers import
    neither it nor (apart from the reader and the mappers themselves) a mapper."""
    problems = []
    for path in (SRC / "fhir").rglob("*.py"):
        rel = path.relative_to(SRC / "fhir").as_posix()
        for mod in _imports(path):
            if mod == "jakcheck.fhir.reader":
                problems.append(f"fhir/{rel} imports the entry point")
            if mod.startswith("jakcheck.fhir.mappers") and rel != "reader.py" and not rel.startswith("mappers/"):
                problems.append(f"fhir/{rel} imports {mod}")
    assert not problems, problems


def test_the_web_app_view_models_know_no_http() -> None:
    """The short form and the report view model are functions of their inputs: they import neither the web
    framework, nor the templates, nor the modules that render pages; only the package itself imports its routes."""
    web = SRC / "service" / "web"
    problems = []
    for path in web.glob("*.py"):
        for mod in _imports(path):
            if path.name in ("form.py", "report_view.py") and mod.startswith(
                    ("fastapi", "jinja2", "jakcheck.service.web.page", "jakcheck.service.web.routes",
                     "jakcheck.service.web.knowledge_pages")):
                problems.append(f"service/web/{path.name} imports {mod}")
            if mod == "jakcheck.service.web.routes" and path.name != "__init__.py":
                problems.append(f"service/web/{path.name} imports the routes")
    assert not problems, problems
