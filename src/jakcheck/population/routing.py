"""Routing FHIR resources to the patient they are about, from the text of an NDJSON line where possible.

`jakcheck screen` routes every line of an export: routing is one job, kept apart from finding the files
(jakcheck.population.inputs) and from reading the facts (jakcheck.fhir.reader). An NDJSON line is routed by a fast
path: when it starts with `{"resourceType":"X"` and names exactly one `subject`/`patient` member, the reference
is taken from the text without parsing the line; anything else is parsed. The reader later parses every kept
line anyway and the screen checks the route there, so the fast path only decides where a line is stored, never
what it means.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import orjson

# What the reader looks at (jakcheck.fhir.reader.READ_TYPES, held equal by a test; not imported, so that the
# screen's entry point stays free of the reader): everything else in an export is skipped.
NEEDED_TYPES = frozenset({"Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
                          "Immunization", "Procedure", "Medication"})
# Resources that are about no patient and are shared by reference.
SHARED_TYPES = frozenset({"Medication"})
_SUBJECT_FIELDS = ("subject", "patient")
_HEAD = re.compile(rb'\s*\{\s*"resourceType"\s*:\s*"([A-Za-z]+)"')
_REF = re.compile(rb'"(?:subject|patient)"\s*:\s*\{[^{}]*?"reference"\s*:\s*"([^"\\]*)"')
_REF_CACHE: dict[bytes, str | None] = {}  # reference text -> patient id (route_line's fast path)
_REF_CACHE_MAX = 100_000
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")
_URN_REF = re.compile(r"^urn:uuid:([A-Za-z0-9\-.]{1,64})$")


def patient_id_from_reference(ref: object) -> str | None:
    """The Patient id a reference points at ("Patient/1", ".../Patient/1/_history/2", "urn:uuid:1"), or None."""
    if not isinstance(ref, str):
        return None
    m = _PATIENT_REF.search(ref) or _URN_REF.match(ref)
    return m.group(1) if m else None


def subject_of(res: dict[str, Any]) -> tuple[str | None, str]:
    """The patient id a clinical resource is about, or None with the reason it has none."""
    for field in _SUBJECT_FIELDS:
        ref_obj = res.get(field)
        if ref_obj is None:
            continue
        ref = ref_obj.get("reference") if isinstance(ref_obj, dict) else None
        if ref is None:
            return None, f"{field} has no reference to a Patient"
        pid = patient_id_from_reference(ref)
        if pid is None:
            return None, f"{field} does not refer to a Patient"
        return pid, ""
    return None, "no subject or patient reference"


Route = tuple[Literal["patient", "resource", "shared", "skip", "reject"], str]


def route_line(line: bytes) -> Route:
    """Where one NDJSON line goes: ("patient", id), ("resource", patient id), ("shared", Medication id),
    ("skip", resource type) or ("reject", reason). `line` has no surrounding whitespace."""
    m = _HEAD.match(line)
    if m is not None:
        rtype = m.group(1).decode("ascii")
        if rtype not in NEEDED_TYPES:
            return "skip", rtype
        if rtype not in ("Patient", "Medication"):
            subject = line.count(b'"subject"')
            if subject + line.count(b'"patient"') == 1:
                # Where _REF.search would match, in a valid line: the one "subject"/"patient" (search again when
                # not, e.g. an invalid line where "patient" overlaps itself).
                ref = _REF.match(line, line.find(b'"subject"' if subject else b'"patient"')) or _REF.search(line)
                if ref is not None:
                    text = ref.group(1)
                    pid = _REF_CACHE.get(text, "")
                    if pid == "":
                        pid = patient_id_from_reference(text.decode("utf-8", "replace"))
                        if len(_REF_CACHE) >= _REF_CACHE_MAX:
                            _REF_CACHE.clear()
                        _REF_CACHE[text] = pid
                    if pid is not None:
                        return "resource", pid
    return route_resource_text(line)


# The member that names the patient, by resource type (route_compact's first guess; route_line takes either).
_PATIENT_MEMBER = {"Immunization": b"patient"}


def compact_router(rtype: str | None) -> tuple[bytes, bytes, bytes, bytes] | None:
    """What `route_compact` needs for lines of a file of one known clinical type: (the line start
    `{"resourceType":"<type>"`, the compact reference start `"<member>":{"reference":"`, the member name and
    the other member name, both quoted). None for Patient, Medication, types the rules do not read, unknown."""
    if rtype is None or rtype not in NEEDED_TYPES or rtype in ("Patient", "Medication") \
            or not rtype.isascii() or not rtype.isalpha():
        return None
    member = _PATIENT_MEMBER.get(rtype, b"subject")
    other = b"subject" if member == b"patient" else b"patient"
    return (b'{"resourceType":"' + rtype.encode() + b'"', b'"' + member + b'":{"reference":"',
            b'"' + member + b'"', b'"' + other + b'"')


def route_compact(line: bytes, router: tuple[bytes, bytes, bytes, bytes]) -> str | None:
    """The patient id `route_line` gives a line written compactly (`{"resourceType":"<type>",...` with exactly
    one `"subject"`/`"patient"` member, written `"<member>":{"reference":"<ref>"`), found with a few byte
    searches instead of regular expressions; None when the line is not in that form or its reference names no
    Patient id - `route_line` decides then. Exports write lines compactly, so this decides almost every line."""
    head, key, member, other = router
    if not line.startswith(head):
        return None
    i = line.find(member)
    if i < 0 or not line.startswith(key, i) or line.find(member, i + 1) >= 0 or other in line:
        return None
    start = i + len(key)
    end = line.find(b'"', start)
    if end < 0:
        return None
    text = line[start:end]
    pid = _REF_CACHE.get(text, "")
    if pid == "":
        if b"\\" in text:
            return None
        pid = patient_id_from_reference(text.decode("utf-8", "replace"))
        if len(_REF_CACHE) >= _REF_CACHE_MAX:
            _REF_CACHE.clear()
        _REF_CACHE[text] = pid
    return pid


Groups = dict[str, tuple[list[int], list[bytes]]]  # patient id -> (line numbers, lines), in input order


def route_block(lines: list[bytes], first: int, router: tuple[bytes, bytes, bytes, bytes] | None, groups: Groups,
                shared: list[bytes], rejects: list[tuple[int, str]], patients: list[str]) -> tuple[int, int]:
    """Route a block of NDJSON lines (numbered from `first`) of one file: each kept line is added to its
    patient's group, a Medication to `shared` as `<id>\\t<line>\\n`, a bad line to `rejects` with its number
    and reason, the id of each Patient resource to `patients`. `router`: compact_router of the file's type,
    when known. Returns (resources kept, lines skipped as types the rules do not read)."""
    resources = skipped = 0
    n = first - 1
    for raw in lines:
        n += 1
        line = raw.strip()
        if not line:
            continue
        pid = route_compact(line, router) if router is not None else None
        if pid is not None:
            what, value = "resource", pid
        else:
            what, value = route_line(line)
        if what == "resource" or what == "patient":
            resources += 1
            group = groups.get(value)
            if group is None:
                group = groups[value] = ([], [])
            group[0].append(n)
            group[1].append(line)
            if what == "patient":
                patients.append(value)
        elif what == "shared":
            resources += 1
            shared.append(value.encode() + b"\t" + line + b"\n")
        elif what == "skip":
            skipped += 1
        else:
            rejects.append((n, value))
    return resources, skipped


def route_resource_text(line: bytes) -> Route:
    """The slow path of `route_line`: parse the line."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return "reject", f"invalid JSON: {exc.msg}"
    return route_resource(obj)


def route_resource(obj: object) -> Route:
    if not isinstance(obj, dict) or not isinstance(obj.get("resourceType"), str):
        return "reject", "not a FHIR resource (no resourceType)"
    rtype: str = obj["resourceType"]
    if rtype not in NEEDED_TYPES:
        return "skip", rtype
    rid = obj.get("id")
    if rtype == "Patient":
        if not isinstance(rid, str) or not _PATIENT_REF.search(f"Patient/{rid}"):
            return "reject", "Patient without a valid id"
        return "patient", rid
    if rtype in SHARED_TYPES:
        return ("shared", rid) if isinstance(rid, str) and rid else ("skip", rtype)
    pid, why = subject_of(obj)
    return ("resource", pid) if pid is not None else ("reject", why)


def bundle_patient(bundle: object) -> tuple[str | None, str]:
    """The one Patient id a patient Bundle is about, or None with a reason ("" when it holds no Patient)."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return None, "not a FHIR Bundle"
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        return None, "Bundle.entry is not a list"
    found: str | None = None
    for e in entries:
        res = e.get("resource") if isinstance(e, dict) else None
        if isinstance(res, dict) and res.get("resourceType") == "Patient":
            pid = res.get("id")
            if not isinstance(pid, str) or not pid:
                return None, "Patient without an id"
            if found is not None and found != pid:
                return None, "Bundle holds more than one Patient"
            found = pid
    return found, ""
