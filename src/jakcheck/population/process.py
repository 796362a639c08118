"""One patient's routed resources -> one result (both engines run exactly this function).

The resources are put in input order, checked (valid JSON, really about this patient), joined with the shared
Medication resources they reference, read into Patient Facts and, for a patient in the chosen cohort, assessed.
A resource the reader refuses is rejected and the patient is read again without it; a patient whose own
Patient resource cannot be read is excluded. Nothing here logs: results and rejects go to the outputs only.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

import orjson

from jakcheck.engine import assess
from jakcheck.errors import InputError
from jakcheck.fhir.reader import read_resources
from jakcheck.knowledge.loader import Knowledge
from jakcheck.population.cohorts import EXCLUDED_DECEASED, EXCLUDED_UNREADABLE, cohorts_of, primary
from jakcheck.population.config import ScreenConfig
from jakcheck.population.partition import Origin
from jakcheck.population.routing import subject_of

Record = tuple[Origin, str, bytes]  # (origin, kind "r" | "e", payload)
_ORIGIN = itemgetter(0)
_PLAIN_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # the ids jakcheck.population.routing.patient_id_from_reference returns
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


def assess_records(pid: str, records: list[Record], medications: Mapping[str, bytes], config: ScreenConfig,
                   knowledge: Knowledge) -> dict[str, Any]:
    """The result for one patient id: {"id", "patient" (False when no Patient resource has this id),
    "cohorts", "cohort", "assessed", "excluded", "assessment" (the Assessment model, or None), "rejects":
    [[origin, reason], ...]}."""
    return assess_ordered(pid, sorted(records, key=_ORIGIN), medications, config, knowledge)


def assess_ordered(pid: str, records: Iterable[Record], medications: Mapping[str, bytes], config: ScreenConfig,
                   knowledge: Knowledge) -> dict[str, Any]:
    """`assess_records` for records already in input (origin) order."""
    gathered = _Gathered(pid)
    for origin, kind, payload in records:
        gathered.add(origin, kind, payload)
    return gathered.assess(medications, config, knowledge)


def assess_segments(pid: str, segments: list[Segment], medications: Mapping[str, bytes], config: ScreenConfig,
                    knowledge: Knowledge) -> dict[str, Any]:
    """`assess_ordered` for the patient's segments sorted by (file, chunk, first position), without making a
    record of each line first (the local engine's per-line cost)."""
    gathered = _Gathered(pid)
    for fi, ci, _first, kind, positions, payload in segments:
        numbers: list[int] = array("i", positions).tolist()
        lines = payload.split(b"\n")
        if len(numbers) != len(lines):
            raise ValueError(f"a segment of {len(numbers)} positions holds {len(lines)} lines")
        if kind == "r":
            for j in range(len(lines)):
                gathered.add((fi, ci, numbers[j], -1), kind, lines[j])
        else:
            for j in range(len(lines)):
                gathered.add((fi, ci, 0, numbers[j]), kind, lines[j])
    return gathered.assess(medications, config, knowledge)


class _Gathered:
    """One patient's records as they are added in input order: checked (valid JSON, really about this
    patient) and parsed, the Medication ids they reference noted; then read and assessed (`assess`)."""

    def __init__(self, pid: str) -> None:
        self.pid = pid
        # The usual reference, "Patient/<pid>", is what subject_of would resolve to pid (for an id it accepts).
        self.usual_ref = f"Patient/{pid}" if _PLAIN_ID.fullmatch(pid) else None
        self.rejects: list[tuple[Origin, str]] = []
        self.entries: list[tuple[dict[str, Any], str | None]] = []  # (resource, fullUrl): what the reader reads
        self.origins: list[Origin] = []
        self.wanted: set[str] = set()  # Medication ids referenced by medication records
        self.patient_at: int | None = None

    def add(self, origin: Origin, kind: str, payload: bytes) -> None:
        try:
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            self.rejects.append((origin, f"invalid JSON: {exc.msg}"))
            return
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
                self.rejects.append((origin, "not a FHIR resource (no resourceType)"))
                return
            if rtype != "Patient":
                subject = res.get("subject")
                usual_ref = self.usual_ref
                if usual_ref is None or type(subject) is not dict or subject.get("reference") != usual_ref:
                    about, why = subject_of(res)
                    if about != self.pid:  # the fast router was misled (e.g. a nested subject): tell what is wrong
                        self.rejects.append((origin, why or "subject refers to another Patient"))
                        return
            entry = (res, None)
        if rtype in _MEDICATION_TYPES:
            self.wanted.update(_medication_refs(res))
        elif rtype == "Patient" and self.patient_at is None:
            self.patient_at = len(self.entries)
        self.entries.append(entry)
        self.origins.append(origin)

    def assess(self, medications: Mapping[str, bytes], config: ScreenConfig, knowledge: Knowledge
               ) -> dict[str, Any]:
        pid, rejects, entries, origins, patient_at = \
            self.pid, self.rejects, self.entries, self.origins, self.patient_at
        loads = orjson.loads
        if patient_at is None:
            rejects.extend((o, UNKNOWN_PATIENT) for o in origins)
            return {"id": pid, "patient": False, "rejects": rejects}
        # Shared Medication resources referenced by this patient's medication records, in id order.
        for mid in sorted(self.wanted):
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
            result["assessment"] = assess(facts, knowledge, region=config.region, settings=config.settings)
        return result
