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
