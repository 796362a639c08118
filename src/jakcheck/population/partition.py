"""Split the input into read tasks and route every resource of a task to its patient (both engines).

A task is a byte range of a plain NDJSON file, a whole gzipped NDJSON file, or a group of Bundle files. Running
a task yields events (plain tuples, so they pickle cheaply between processes and into Spark):

* ``("r", patient_id, origin, kind, payload, is_patient)`` - a resource of one patient. `kind` is ``"r"`` for an
  NDJSON line (payload = the line) or ``"e"`` for a Bundle entry (payload = {"fullUrl", "resource"} as JSON).
* ``("m", medication_id, origin, payload)`` - a Medication resource, shared by reference.
* ``("x", origin, reason)`` - a rejected line.
* ``("c", file_index, chunk_index, lines, stats)`` - the task's end: its line count and counters.

`origin` = (file index, chunk index, line within the chunk (1-based, 0 for Bundles), Bundle entry index or -1)
orders every resource exactly as it appears in the input, whatever the number of workers.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from jakcheck.population.inputs import InputFile, chunk_offsets, iter_lines
from jakcheck.population.routing import NEEDED_TYPES, bundle_patient, route_line

Origin = tuple[int, int, int, int]
Task = tuple[str, int, int, int, int, tuple[int, ...]]  # (kind, file, chunk, start, end, bundle files)
Event = tuple[Any, ...]
CHUNK_BYTES = 32 * 1024 * 1024
BUNDLE_GROUP_BYTES = 16 * 1024 * 1024
BLOCK_BYTES = 4 * 1024 * 1024


def bucket_of(patient_id: str, buckets: int) -> int:
    """A stable partition number for a patient (CRC-32, the same in every process and on Spark)."""
    return zlib.crc32(patient_id.encode("utf-8")) % buckets


def plan_tasks(files: Sequence[InputFile], chunk_bytes: int = CHUNK_BYTES) -> list[Task]:
    tasks: list[Task] = []
    group: list[int] = []
    group_bytes = 0
    for i, f in enumerate(files):
        if f.kind == "ndjson":
            for c, (start, end) in enumerate(chunk_offsets(f.path, chunk_bytes)):
                tasks.append(("ndjson", i, c, start, end, ()))
        else:
            group.append(i)
            group_bytes += f.size
            if group_bytes >= BUNDLE_GROUP_BYTES:
                tasks.append(("bundles", group[0], 0, 0, 0, tuple(group)))
                group, group_bytes = [], 0
    if group:
        tasks.append(("bundles", group[0], 0, 0, 0, tuple(group)))
    return tasks


def run_task(task: Task, files: Sequence[InputFile]) -> Iterator[Event]:
    kind, fi, ci, start, end, group = task
    if kind == "ndjson":
        yield from _ndjson(files[fi], fi, ci, start, end)
    else:
        for b in group:
            yield from _bundle(files[b], b)


def _ndjson(f: InputFile, fi: int, ci: int, start: int, end: int) -> Iterator[Event]:
    stats: Counter[str] = Counter()
    n = 0
    for n, raw in enumerate(iter_lines(f.path, start, None if f.compressed else end), start=1):
        line = raw.strip()
        if not line:
            continue
        origin = (fi, ci, n, -1)
        what, value = route_line(line)
        if what == "resource" or what == "patient":
            stats["resources"] += 1
            yield ("r", value, origin, "r", line, what == "patient")
        elif what == "shared":
            stats["resources"] += 1
            yield ("m", value, origin, line)
        elif what == "skip":
            stats["skipped"] += 1
        else:
            yield ("x", origin, value)
    stats["bytes"] = (end - start) if not f.compressed else f.size
    yield ("c", fi, ci, n, dict(stats))


def _bundle(f: InputFile, fi: int) -> Iterator[Event]:
    stats: Counter[str] = Counter({"bytes": f.size})
    try:
        obj = orjson.loads(f.path.read_bytes())
    except orjson.JSONDecodeError as exc:
        yield ("x", (fi, 0, 0, -1), f"invalid JSON: {exc.msg}")
        yield ("c", fi, 0, 0, dict(stats))
        return
    pid, why = bundle_patient(obj)
    if pid is None:
        if why:
            yield ("x", (fi, 0, 0, -1), why)
        else:
            stats["files_without_patient"] += 1
        yield ("c", fi, 0, 0, dict(stats))
        return
    dumps = orjson.dumps
    for i, e in enumerate(obj.get("entry", [])):
        res = e.get("resource") if isinstance(e, dict) else None
        rtype = res.get("resourceType") if isinstance(res, dict) else None
        if rtype not in NEEDED_TYPES:
            stats["skipped"] += 1
            continue
        stats["resources"] += 1
        entry = {"fullUrl": e["fullUrl"], "resource": res} if isinstance(e.get("fullUrl"), str) else {"resource": res}
        yield ("r", pid, (fi, 0, 0, i), "e", dumps(entry), rtype == "Patient")
    yield ("c", fi, 0, 0, dict(stats))


# ---------------------------------------------------------------------------------------------- blocks


def read_blocks(f: InputFile, start: int, end: int, block_bytes: int = BLOCK_BYTES
                ) -> Iterator[tuple[int, list[bytes]]]:
    """The lines of a read task in blocks: (number of the block's first line, 1-based within the task, the
    block's lines without their newline). The same lines as `iter_lines(path, start, end)`, without a Python
    step per line."""
    n = 1
    carry = b""
    with gzip.open(f.path, "rb") if f.compressed else open(f.path, "rb") as fh:
        left = None if f.compressed else end - start
        fh.seek(0 if f.compressed else start)
        while left is None or left > 0:
            data = fh.read(block_bytes if left is None else min(block_bytes, left))
            if not data:
                break
            if left is not None:
                left -= len(data)
            lines = data.split(b"\n")  # the block itself is not copied: only its lines are made
            if len(lines) == 1:  # no newline in this block: all of it continues the line started before
                carry += data
                continue
            if carry:
                lines[0] = carry + lines[0]
            carry = lines.pop()  # the part after the last newline, continued by the next block
            yield n, lines
            n += len(lines)
    if carry:
        yield n, [carry]
