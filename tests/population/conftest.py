"""Inputs for the screen tests: a small Bulk Data export built from the example patients (7 on a JAK inhibitor,
the rest candidates) with three bad lines, and the shared Synthea data."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from jakcheck.knowledge.loader import default_knowledge
from tests.shared_data import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLES_AS_OF = "2026-11-26"
SHARED_AS_OF = "2021-03-31"
SHARED_INPUTS = [SHARED_DATA / "synthea-r4-generated-sample-data", SHARED_DATA / "bulk-ndjson-10-patients"]
BAD_LINES = {
    # file -> (line number, reason fragment) of each bad line appended to it
    "Condition.000.ndjson.gz": [("invalid JSON", '{"resourceType": "Condition", "subject": ')],
    "Observation.000.ndjson": [("no subject", json.dumps({"resourceType": "Observation", "id": "orphan",
                                                          "status": "final", "code": {"text": "x"}})),
                               ("not in the input", json.dumps({"resourceType": "Observation", "id": "ghost-obs",
                                                                "status": "final", "code": {"text": "x"},
                                                                "subject": {"reference": "Patient/ghost"}}))],
}


def example_bundles() -> dict[str, list[Path]]:
    on = sorted((EXAMPLES / "on-treatment").glob("*.json"))
    pre = sorted(p for p in EXAMPLES.glob("*.json") if p.read_text().lstrip().startswith("{")
                 and json.loads(p.read_text()).get("resourceType") == "Bundle")
    return {"on-jaki": on, "pre": pre}


def _resources(bundle: Path) -> list[dict[str, Any]]:
    return [e["resource"] for e in json.loads(bundle.read_text(encoding="utf-8"))["entry"]]


@pytest.fixture(scope="session")
def example_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example patients as a Bulk Data export: one NDJSON file per type (Conditions gzipped), a manifest,
    an Encounter file the screen must not read, and three bad lines."""
    out = tmp_path_factory.mktemp("export")
    by_type: dict[str, list[str]] = defaultdict(list)
    groups = example_bundles()
    for bundle in groups["on-jaki"] + groups["pre"]:
        for res in _resources(bundle):
            by_type[res["resourceType"]].append(json.dumps(res, separators=(",", ":")))
    by_type["Encounter"].append(json.dumps({"resourceType": "Encounter", "id": "e1", "status": "finished",
                                            "subject": {"reference": "Patient/ghost"}}))
    manifest: dict[str, Any] = {"transactionTime": "2026-11-26T00:00:00Z", "requiresAccessToken": False,
                                "output": [], "error": []}
    for rtype, lines in sorted(by_type.items()):
        name = f"{rtype}.000.ndjson" + (".gz" if rtype == "Condition" else "")
        lines = lines + [text for _, text in BAD_LINES.get(name, [])]
        data = ("\n".join(lines) + "\n").encode()
        (out / name).write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
        manifest["output"].append({"type": rtype, "url": f"https://bulk.example.org/files/{name}",
                                   "count": len(lines)})
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def shared_inputs() -> list[Path]:
    if not all(p.is_dir() for p in SHARED_INPUTS):
        pytest.skip("shared Synthea data (../shared/data) is absent")
    return SHARED_INPUTS


def independent_counts(resources_by_patient: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Cohort counts computed straight from the resources (not with jakcheck's reader): deceased patients;
    patients on a JAK inhibitor (an active/on-hold MedicationRequest or MedicationStatement naming a drug of the
    knowledge release in a coding display or text); candidates (otherwise, an active, not refuted Condition coded
    with a code of an indication concept)."""
    k = default_knowledge()
    indication_codes = {(c.system.rstrip("/"), c.code) for ind in k.indications.values()
                        for c in k.concepts[ind.concept].codes}
    drugs = k.drug_ids()
    counts = {"deceased": 0, "on-jaki": 0, "candidates": 0, "other": 0}
    for resources in resources_by_patient.values():
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        if patient.get("deceasedBoolean") is True or "deceasedDateTime" in patient:
            counts["deceased"] += 1
            continue
        on = False
        for r in resources:
            if r["resourceType"] in ("MedicationRequest", "MedicationStatement") \
                    and r.get("status") in ("active", "on-hold"):
                cc = r.get("medicationCodeableConcept", {})
                text = " ".join([cc.get("text", "")] + [c.get("display", "") for c in cc.get("coding", [])]).lower()
                on = on or any(d in text for d in drugs)
        cand = False
        for r in resources:
            if r["resourceType"] != "Condition":
                continue
            status = {c.get("code") for c in r.get("clinicalStatus", {}).get("coding", [])}
            verification = {c.get("code") for c in r.get("verificationStatus", {}).get("coding", [])}
            if not status & {"active", "recurrence", "relapse"} or verification & {"refuted", "entered-in-error"}:
                continue
            codes = {(c.get("system", "").rstrip("/"), c.get("code")) for c in r.get("code", {}).get("coding", [])}
            cand = cand or bool(codes & indication_codes)
        counts["on-jaki" if on else "candidates" if cand else "other"] += 1
    return counts
