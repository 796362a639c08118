"""One patient's routed resources -> one result (both engines run exactly this function).

The resources are put in input order, checked (valid JSON, really about this patient), joined with the shared
Medication resources they reference, read into Patient Facts and, for a patient in the chosen cohort, assessed.
A resource the reader refuses is rejected and the patient is read again without it; a patient whose own
Patient resource cannot be read is excluded. Nothing here logs: results and rejects go to the outputs only.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator, Mapping
from operator import itemgetter
from typing import Any

import orjson

from jakcheck.engine import assess
from jakcheck.errors import InputError
from jakcheck.fhir.reader import read_resources
from jakcheck.fhir.routing import subject_of
from jakcheck.knowledge.loader import Knowledge
from jakcheck.population.cohorts import EXCLUDED_DECEASED, EXCLUDED_UNREADABLE, cohorts_of, primary
from jakcheck.population.config import ScreenConfig
from jakcheck.population.partition import Origin

Record = tuple[Origin, str, bytes]  # (origin, kind "r" | "e", payload)
_ORIGIN = itemgetter(0)
_PLAIN_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # the ids jakcheck.fhir.bulk.patient_id_from_reference returns
UNKNOWN_PATIENT = "refers to a Patient that is not in the input"
_MEDICATION_TYPES = frozenset({"MedicationRequest", "MedicationStatement"})


def _medication_refs(res: dict[str, Any]) -> Iterable[str]:
    ref = res.get("medicationReference")
    if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
        r: str = ref["reference"]
        if not r.startswith("#"):
            yield r.rstrip("/").split("/_history/")[0].rsplit("/", 1)[-1].removeprefix("urn:uuid:")


def _source_name(res: dict[str, Any], full_url: str | None, n: int) -> str:
    rid = res.get("id")
    rtype = res.get("resourceType")
    return f"{rtype}/{rid}" if isinstance(rid, str) and rid else (full_url or f"{rtype}#{n}")


# One patient's run of lines of one read task, as the local engine's bucket files hold it: (file, chunk, first
# position, kind "r"/"e", positions as int32 - line numbers or Bundle entry indexes -, payloads joined by newlines).
Segment = tuple[int, int, int, str, bytes, bytes]


def segment_records(segments: list[Segment]) -> Iterator[Record]:
    """One patient's records in input order, from its segments sorted by (file, chunk, first position)."""
    for fi, ci, _first, kind, positions, payload in segments:
        if kind == "r":
            for li, line in zip(array("i", positions), payload.split(b"\n"), strict=True):
                yield (fi, ci, li, -1), kind, line
        else:
            for ei, entry in zip(array("i", positions), payload.split(b"\n"), strict=True):
                yield (fi, ci, 0, ei), kind, entry


def assess_records(pid: str, records: list[Record], medications: Mapping[str, bytes], config: ScreenConfig,
                   knowledge: Knowledge) -> dict[str, Any]:
    """The result for one patient id: {"id", "patient" (False when no Patient resource has this id),
    "cohorts", "cohort", "assessed", "excluded", "assessment", "rejects": [[origin, reason], ...]}."""
    return assess_ordered(pid, sorted(records, key=_ORIGIN), medications, config, knowledge)


def assess_ordered(pid: str, records: Iterable[Record], medications: Mapping[str, bytes], config: ScreenConfig,
                   knowledge: Knowledge) -> dict[str, Any]:
    """`assess_records` for records already in input (origin) order."""
    rejects: list[tuple[Origin, str]] = []
    entries: list[tuple[dict[str, Any], str | None]] = []  # (resource, fullUrl): what the reader reads
    origins: list[Origin] = []
    wanted: set[str] = set()  # Medication ids referenced by medication records
    patient_at: int | None = None
    # The usual reference, "Patient/<pid>", is what subject_of would resolve to pid (for an id it accepts).
    usual_ref = f"Patient/{pid}" if _PLAIN_ID.fullmatch(pid) else None
    loads = orjson.loads
    for origin, kind, payload in records:
        try:
            obj = loads(payload)
        except orjson.JSONDecodeError as exc:
            rejects.append((origin, f"invalid JSON: {exc.msg}"))
            continue
        if kind == "e":  # a Bundle entry, as the partition step kept it: a resource of a type the rules read
            res = obj["resource"]
            rtype = res["resourceType"]
            url = obj.get("fullUrl")
            entry = (res, url if type(url) is str else None)
        else:
            res = obj
            # orjson makes dict and str objects only, never subclasses
            rtype = res.get("resourceType") if type(res) is dict else None
            if type(rtype) is not str:
                rejects.append((origin, "not a FHIR resource (no resourceType)"))
                continue
            if rtype != "Patient":
                subject = res.get("subject")
                if usual_ref is None or type(subject) is not dict or subject.get("reference") != usual_ref:
                    about, why = subject_of(res)
                    if about != pid:  # the fast router was misled (e.g. a nested subject): tell what is wrong
                        rejects.append((origin, why or "subject refers to another Patient"))
                        continue
            entry = (res, None)
        if rtype in _MEDICATION_TYPES:
            wanted.update(_medication_refs(res))
        elif rtype == "Patient" and patient_at is None:
            patient_at = len(entries)
        entries.append(entry)
        origins.append(origin)
    if patient_at is None:
        rejects.extend((o, UNKNOWN_PATIENT) for o in origins)
        return {"id": pid, "patient": False, "rejects": rejects}
    # Shared Medication resources referenced by this patient's medication records, in id order.
    for mid in sorted(wanted):
        raw = medications.get(mid)
        if raw is not None:
            entries.append((loads(raw), None))
            origins.append((-1, 0, 0, -1))
    result: dict[str, Any] = {"id": pid, "patient": True, "cohorts": [], "cohort": None, "assessed": False,
                              "excluded": None, "assessment": None, "rejects": rejects}
    while True:
        try:
            facts = read_resources(entries, source_name="", as_of=config.as_of, knowledge=knowledge)
            break
        except InputError as exc:
            names = [_source_name(res, url, n) for n, (res, url) in enumerate(entries)]
            culprit = names.index(exc.resource) if exc.resource in names else None
            if culprit is None or entries[culprit][0]["resourceType"] == "Patient":
                rejects.append((origins[patient_at], str(exc)))
                result["excluded"] = EXCLUDED_UNREADABLE
                return result
            if origins[culprit][0] >= 0:
                rejects.append((origins[culprit], str(exc)))
            del entries[culprit], origins[culprit]
            if culprit < patient_at:
                patient_at -= 1
    if facts.deceased:
        result["excluded"] = EXCLUDED_DECEASED
        return result
    cohorts = cohorts_of(facts, knowledge)
    result["cohorts"] = cohorts
    result["cohort"] = primary(cohorts)
    if config.selects(cohorts):
        result["assessed"] = True
        result["assessment"] = assess(facts, knowledge, region=config.region).to_json_dict()
    return result

