"""FHIR Bulk Data exports (NDJSON) and folders of patient Bundles: find the files, and route each resource to
the patient it is about, without building Patient Facts.

The population screen reads exports far larger than memory, so this module works one line (or one Bundle) at a
time and returns small routing decisions; grouping by patient and reading the facts happen later
(`jakcheck.fhir.reader.read_document` on one patient's resources).

* Only the resource types the rules read are kept (`NEEDED_TYPES`); files whose type is known (from the export
  manifest or the `<Type>.<n>.ndjson[.gz]` file name) and not needed are never opened.
* An NDJSON line is routed by a fast path: when the line starts with `{"resourceType":"X"` and names exactly
  one `subject`/`patient` member, its reference is taken from the text without parsing the whole line. Anything
  else is parsed. The reader later parses every kept line anyway and the screen checks the route there, so the
  fast path only decides where a line is stored, never what it means.
* A Bundle file is one patient's record (Synthea style); files without a Patient (Synthea's shared
  hospital/practitioner bundles) hold no patient and are skipped.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from jakcheck.errors import InputError

# What the reader looks at (see jakcheck.fhir.reader): everything else in an export is skipped.
NEEDED_TYPES = frozenset({"Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
                          "Immunization", "Medication"})
# Resources that are about no patient and are shared by reference.
SHARED_TYPES = frozenset({"Medication"})
_SUBJECT_FIELDS = ("subject", "patient")
_NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
_TYPE_FROM_NAME = re.compile(r"^([A-Z][A-Za-z]+)(?:[._-]\d+)*\.(?:ndjson|jsonl)(?:\.gz)?$")
_HEAD = re.compile(rb'\s*\{\s*"resourceType"\s*:\s*"([A-Za-z]+)"')
_REF = re.compile(rb'"(?:subject|patient)"\s*:\s*\{[^{}]*?"reference"\s*:\s*"([^"\\]*)"')
_REF_CACHE: dict[bytes, str | None] = {}  # reference text -> patient id (route_line's fast path)
_REF_CACHE_MAX = 100_000
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")
_URN_REF = re.compile(r"^urn:uuid:([A-Za-z0-9\-.]{1,64})$")
SKIPPED_BUNDLE_PREFIXES = ("hospitalInformation", "practitionerInformation", "groupInformation")

Kind = Literal["ndjson", "bundle"]


@dataclass(frozen=True)
class InputFile:
    """One file of the input: an NDJSON file of one resource type (when known), or one Bundle."""

    path: Path
    name: str  # as shown in rejects and the report: the input argument joined with the file name
    kind: Kind
    resource_type: str | None  # NDJSON only: from the manifest or the file name; None when unknown
    size: int

    @property
    def compressed(self) -> bool:
        return self.path.name.endswith(".gz")


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


# ---------------------------------------------------------------------------------------------- discovery


def _manifest_types(folder: Path) -> dict[str, str]:
    """File name -> resource type from a Bulk Data export manifest in the folder, if there is one."""
    out: dict[str, str] = {}
    for name in ("manifest.json", "export-manifest.json", "$export.json"):
        p = folder / name
        if not p.is_file():
            continue
        try:
            obj = orjson.loads(p.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise InputError(f"export manifest is not valid JSON: {exc}", file=str(p)) from None
        outputs = obj.get("output") if isinstance(obj, dict) else None
        if not isinstance(outputs, list):
            raise InputError("export manifest has no 'output' list", file=str(p))
        for item in outputs:
            if isinstance(item, dict) and isinstance(item.get("url"), str) and isinstance(item.get("type"), str):
                out[item["url"].rstrip("/").rsplit("/", 1)[-1]] = item["type"]
    return out


def _is_ndjson(p: Path) -> bool:
    return p.name.endswith(_NDJSON_SUFFIXES)


def _peek_type(p: Path) -> str | None:
    """The resourceType of the first non-empty line of an NDJSON file whose name does not tell it."""
    opener = gzip.open if p.name.endswith(".gz") else open
    try:
        with opener(p, "rb") as fh:
            for raw in fh:
                line = raw.strip()
                if not line:
                    continue
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError:
                    return None
                rt = obj.get("resourceType") if isinstance(obj, dict) else None
                return rt if isinstance(rt, str) else None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read file: {exc}", file=str(p)) from None
    return None


def discover(inputs: Sequence[Path]) -> list[InputFile]:
    """Every input file, in a stable order: each INPUT argument in turn, its files sorted by name.

    An INPUT is a folder of NDJSON files (a Bulk Data export, with or without its manifest), a folder of Bundle
    JSON files, a folder holding both, or one such file. Files of types the rules do not read are left out;
    an NDJSON file whose type is not in the manifest or its name is kept and routed line by line."""
    files: list[InputFile] = []
    seen: set[Path] = set()
    for arg in inputs:
        if not arg.exists():
            raise InputError("no such file or folder", file=str(arg))
        if arg.is_dir():
            types = _manifest_types(arg)
            members = sorted(p for p in arg.iterdir() if p.is_file())
            base = str(arg).rstrip("/") + "/"
        else:
            types = {}
            members = [arg]
            base = str(arg.parent).rstrip("/") + "/" if str(arg.parent) not in ("", ".") else ""
        for p in members:
            real = p.resolve()
            if real in seen:
                continue
            name = base + p.name
            if _is_ndjson(p):
                if p.name.startswith("log."):
                    continue  # the Bulk Data export's event log, not FHIR resources
                m = _TYPE_FROM_NAME.match(p.name)
                rtype = types.get(p.name) or (m.group(1) if m else None) or _peek_type(p)
                if rtype is not None and rtype not in NEEDED_TYPES:
                    continue
                files.append(InputFile(p, name, "ndjson", rtype, p.stat().st_size))
            elif p.suffix.lower() == ".json" and p.name not in ("manifest.json", "export-manifest.json") \
                    and not p.name.startswith(SKIPPED_BUNDLE_PREFIXES):
                files.append(InputFile(p, name, "bundle", None, p.stat().st_size))
            else:
                continue
            seen.add(real)
    if not files:
        raise InputError("no NDJSON files or FHIR Bundles of the needed resource types found in the input",
                         file=", ".join(str(a) for a in inputs))
    return files


# ---------------------------------------------------------------------------------------------- routing

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


def iter_lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Raw lines of a (possibly gzipped) NDJSON file; with `start`/`end`, the lines that begin in that byte
    range of a plain file (`start` must be 0 or just after a newline)."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as gz:
            yield from gz
        return
    with open(path, "rb") as fh:
        fh.seek(start)
        pos = start
        for raw in fh:
            if end is not None and pos >= end:
                return
            pos += len(raw)
            yield raw


def chunk_offsets(path: Path, target: int) -> list[tuple[int, int]]:
    """Split a plain NDJSON file into byte ranges of about `target` bytes, each starting at a line start."""
    size = path.stat().st_size
    if path.name.endswith(".gz") or size <= target:
        return [(0, size)]
    bounds = [0]
    with open(path, "rb") as fh:
        pos = target
        while pos < size:
            fh.seek(pos)
            fh.readline()
            nxt = fh.tell()
            if nxt >= size:
                break
            bounds.append(nxt)
            pos = nxt + target
    bounds.append(size)
    return list(zip(bounds[:-1], bounds[1:], strict=True))


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
