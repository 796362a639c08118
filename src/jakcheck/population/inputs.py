"""FHIR Bulk Data exports (NDJSON) and folders of patient Bundles: find the files, and route each resource to
the patient it is about, without building Patient Facts.

The population screen reads exports far larger than memory, so this module works one line (or one Bundle) at a
time and returns small routing decisions; grouping by patient and reading the facts happen later
(`jakcheck.fhir.reader.read_resources` on one patient's resources).

* Only the resource types the rules read are kept (`NEEDED_TYPES`); files whose type is known (from the export
  manifest or the `<Type>.<n>.ndjson[.gz]` file name) and not needed are never opened.
* Each NDJSON line is routed to its patient by `jakcheck.population.routing`, mostly from its text.
* A Bundle file is one patient's record (Synthea style); Synthea's shared hospital, practitioner and group
  bundles hold no patient and are skipped (`is_patient_bundle`, the one place that knows their names).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from jakcheck.errors import InputError
from jakcheck.population.routing import NEEDED_TYPES

_NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
_TYPE_FROM_NAME = re.compile(r"^([A-Z][A-Za-z]+)(?:[._-]\d+)*\.(?:ndjson|jsonl)(?:\.gz)?$")
# Synthea writes the hospitals, practitioners and groups its patients refer to as Bundles of their own.
_SHARED_BUNDLE_PREFIXES = ("hospitalInformation", "practitionerInformation", "groupInformation")

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


# ---------------------------------------------------------------------------------------------- discovery


def is_patient_bundle(path: Path) -> bool:
    """False for Synthea's shared hospital/practitioner/group Bundles, which hold no patient; True otherwise."""
    return not path.name.startswith(_SHARED_BUNDLE_PREFIXES)


def iter_patient_bundles(folder: Path) -> Iterator[Path]:
    """The JSON files of a folder, by name, other than Synthea's shared Bundles."""
    for p in sorted(folder.glob("*.json")):
        if is_patient_bundle(p):
            yield p


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
                    and is_patient_bundle(p):
                files.append(InputFile(p, name, "bundle", None, p.stat().st_size))
            else:
                continue
            seen.add(real)
    if not files:
        raise InputError("no NDJSON files or FHIR Bundles of the needed resource types found in the input",
                         file=", ".join(str(a) for a in inputs))
    return files


# ---------------------------------------------------------------------------------------------- reading


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
