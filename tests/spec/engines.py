"""The engines every spec row runs through: in-process `assess` (the reference), the local screen and the Spark
screen (docs/decisions/0009-spec-rows-on-every-engine.md).

For a screen, every row that it can run is written as a FHIR record (tests/records.py) under its own patient id;
all rows of one region and assessment date go into ONE Bulk Data export (an NDJSON file per resource type and a
manifest), screened once. Each row's assessment document is then taken from the screen's assessments.ndjson.

A row runs in-process only when it needs an option the screen cannot express (`Case.in_process_only`), when its
Patient Facts cannot be written as a record (`screen_reason`), or when its record is not exact
(`tests.records.not_exact`) and no longer meets the row's expectations (tests/spec/test_rules.py).
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from jakcheck.engine import assess
from jakcheck.fhir.reader import read_document
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.facts import PatientFacts
from jakcheck.population import run
from jakcheck.settings import Settings
from tests.records import NotWritable, not_exact, write_record
from tests.spec.tables import Case

ENGINES = ("in-process", "local-screen", "spark-screen")
SCREEN_ENGINES = {"local-screen": "local", "spark-screen": "spark"}
SETTINGS = Settings()  # the defaults, as every entry point loads them without a settings file


def row_id(index: int) -> str:
    """The patient id a spec row has in a screen's export."""
    return f"spec-row-{index:03d}"


def screen_reason(case: Case) -> str | None:
    """Why the row cannot run through a screen at all (an option the screen lacks, or facts that cannot be
    written as a record), or None."""
    if case.in_process_only:
        return case.in_process_only
    facts = case.patient()
    try:
        write_record(facts)
    except NotWritable:
        return "no FHIR record: " + "; ".join(not_exact(facts))
    return None


def record_document(case: Case, pid: str) -> dict[str, Any]:
    """The in-process assessment document of the row's written record, read back by the FHIR reader, with the
    row's own options: what a screen must give for the row."""
    facts = read_back(case.patient(), pid)
    return assess(facts, default_knowledge(), region=case.region,  # type: ignore[arg-type]
                  indication=case.indication, drugs=case.drugs, settings=SETTINGS).to_json_dict()


def read_back(facts: PatientFacts, pid: str | None = None) -> PatientFacts:
    """read(write(facts)): the facts written as a FHIR Bundle and read by the reader."""
    doc = {"resourceType": "Bundle", "type": "collection",
           "entry": [{"resource": r} for r in write_record(facts, patient_id=pid)]}
    return read_document(doc, source_name="spec-row.json", as_of=facts.as_of, knowledge=default_knowledge())


def write_export(rows: list[tuple[str, PatientFacts]], folder: Path) -> None:
    """The rows' records as one Bulk Data export: an NDJSON file per resource type and a manifest."""
    by_type: dict[str, list[bytes]] = defaultdict(list)
    for pid, facts in rows:
        for res in write_record(facts, patient_id=pid):
            by_type[res["resourceType"]].append(orjson.dumps(res))
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"transactionTime": "2026-11-26T00:00:00Z", "requiresAccessToken": False,
                                "output": [], "error": []}
    for rtype, lines in sorted(by_type.items()):
        name = f"{rtype}.000.ndjson"
        (folder / name).write_bytes(b"\n".join(lines) + b"\n")
        manifest["output"].append({"type": rtype, "url": f"https://bulk.example.org/files/{name}",
                                   "count": len(lines)})
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def screen_documents(cases: list[Case], engine: str, work: Path) -> dict[str, dict[str, Any]]:
    """Run every row the screen can run through `engine` ("local-screen" or "spark-screen"), one screen per
    region and assessment date; returns the assessment document of each row's patient id."""
    groups: dict[tuple[str, date], list[tuple[str, PatientFacts]]] = defaultdict(list)
    for i, case in enumerate(cases):
        if screen_reason(case) is not None:
            continue
        facts = case.patient()
        groups[(case.region, facts.as_of)].append((row_id(i), facts))
    docs: dict[str, dict[str, Any]] = {}
    for (region, as_of), rows in sorted(groups.items()):
        name = f"{SCREEN_ENGINES[engine]}-{region}-{as_of.isoformat()}"
        export, out = work / name / "export", work / name / "out"
        write_export(rows, export)
        err = io.StringIO()
        code = run.screen([export], out, cohort="all", engine=SCREEN_ENGINES[engine], workers=1, region=region,
                          as_of=as_of, settings=SETTINGS, progress=False, stream=err)
        if code != 0:
            raise AssertionError(f"screen {name} exited {code}: {err.getvalue()}")
        rejects = (out / "rejects.ndjson").read_text(encoding="utf-8").strip()
        if rejects:
            raise AssertionError(f"screen {name} rejected lines of the written records: {rejects}")
        for line in (out / "assessments.ndjson").read_bytes().splitlines():
            doc = orjson.loads(line)
            docs[doc["patient"]["id"]] = doc
    return docs
