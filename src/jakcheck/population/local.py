"""The local engine: the whole screen on one machine, in bounded memory, resumable.

1. **Partition** (read tasks in worker processes): every kept resource line is appended to one of P bucket files
   by a hash of its patient id; Medication resources go to a shared side file; rejects and line counts to the
   task's meta file. A task's folder is renamed into place only when complete.
2. **Assess** (one bucket per worker task): the bucket is grouped by patient in memory (a bucket holds about
   `BUCKET_BYTES` of input), each patient is read and assessed, and the results are written, in patient-id
   order, to the bucket's result file - packed, with the output rows already formatted; renamed into place
   when complete.
3. **Merge**: the sorted result files are merged (heapq, streaming) by three processes at once: two workers
   each write one Parquet file from the results' Parquet columns, the driver writes the other outputs.

Memory is bounded by the bucket size and the writer's batches, not by the input. A run killed anywhere and
started again with the same arguments skips completed tasks and buckets; since every step is deterministic and
every file is complete or absent, the outputs are identical to an uninterrupted run. The work folder
(`DIR/.screen-work`) is removed after a successful run.
"""

from __future__ import annotations

import ctypes
import heapq
import math
import os
import shutil
import signal
import struct
import sys
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from multiprocessing import get_context
from multiprocessing.sharedctypes import Synchronized
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from jakcheck.errors import InputError
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.population.config import ScreenConfig
from jakcheck.population.inputs import InputFile
from jakcheck.population.outputs import (
    Parts,
    ScreenWriter,
    pack_result,
    read_packed_columns,
    read_packed_parts,
    write_packed_parquet,
)
from jakcheck.population.partition import Task, bucket_of, plan_tasks, read_blocks, run_task
from jakcheck.population.process import Segment, assess_segments
from jakcheck.population.progress import Progress
from jakcheck.population.routing import compact_router, route_block
from jakcheck.population.workers import worker_context
from jakcheck.runtime import batch_gc

BUCKET_BYTES = 48 * 1024 * 1024
MAX_BUCKETS = 512
SPILL_BYTES = 16 * 1024 * 1024
STATE_VERSION = 4
# A bucket file is a sequence of records, one per patient and segment of a read task: this header (patient id
# length, payload length, number of resources, file, chunk, first position, kind "r"/"e"), the patient id
# (UTF-8), the positions (int32: line numbers within the chunk, or Bundle entry indexes), then the resources
# joined by newlines (a stripped NDJSON line or orjson output holds none). Binary, so reading a bucket back
# needs no int parsing and one split per record.
_RECORD = struct.Struct("<IIIiiiB")
_KINDS = {"r": ord("r"), "e": ord("e")}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}
_COUNTER: Synchronized[int] | None = None
_WORKER = False  # True in a pool worker process (which does nothing but the screen's tasks)
_MEDS: dict[str, dict[str, bytes]] = {}


def estimate_bytes(files: Sequence[InputFile]) -> int:
    """Bytes of kept resources, roughly: gzip shrinks NDJSON about tenfold; a Synthea Bundle is mostly Claims,
    Encounters and other types the rules do not read."""
    return sum(f.size * 10 if f.compressed else f.size if f.kind == "ndjson" else f.size // 5 for f in files)


def bucket_count(files: Sequence[InputFile], workers: int) -> int:
    return min(MAX_BUCKETS, max(4 * workers, math.ceil(estimate_bytes(files) / BUCKET_BYTES)))


# ---------------------------------------------------------------------------------------------- workers


def die_with_parent() -> None:
    """On Linux, end this process (SIGTERM) when the process that started it ends: a screen killed by a job
    scheduler or a timeout leaves no workers behind. The work files they were writing are temporary (see
    partition_task and assess_bucket), so a restarted run redoes that part."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return


def _set_counter(counter: Synchronized[int]) -> None:
    global _COUNTER
    _COUNTER = counter


def _init_worker(counter: Synchronized[int], driver: int) -> None:
    global _WORKER
    _WORKER = True
    _set_counter(counter)
    die_with_parent()  # the parent: the fork server, which itself ends with the driver (population/preload.py)
    if not _alive(driver):  # the driver was gone before the line above took effect
        os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - alive, owned by someone else
        return True
    return True


def _bump(n: int) -> None:
    if _COUNTER is not None and n:
        with _COUNTER.get_lock():
            _COUNTER.value += n


class _Grouped:
    """A read task's resources grouped by patient, written to the task's bucket files as one record per
    patient and segment (a run of the task's lines, in input order)."""

    def __init__(self, folder: Path, buckets: int) -> None:
        self.folder = folder
        self.buckets = buckets
        self.groups: dict[str, tuple[list[int], list[bytes]]] = {}  # patient id -> (positions, payloads)
        self.out: dict[int, list[bytes]] = defaultdict(list)
        self.out_size = 0
        self.patients: Counter[int] = Counter()  # bucket -> Patient resources
        self.ids: dict[str, tuple[int, bytes]] = {}  # patient id -> (bucket, id as UTF-8)

    def bucket(self, pid: str) -> tuple[int, bytes]:
        known = self.ids.get(pid)
        if known is None:
            if len(self.ids) >= 100_000:
                self.ids.clear()
            known = self.ids[pid] = (bucket_of(pid, self.buckets), pid.encode())
        return known

    def end_segment(self, fi: int, ci: int, kind: str) -> None:
        """Turn the groups gathered since the last segment into records (positions: line numbers for kind
        "r", Bundle entry indexes for "e")."""
        pack = _RECORD.pack
        code = _KINDS[kind]
        for pid, (positions, payloads) in self.groups.items():
            k, pid_bytes = self.bucket(pid)
            payload = b"\n".join(payloads)
            pos = array("i", positions).tobytes()
            self.out[k].append(pack(len(pid_bytes), len(payload), len(positions), fi, ci, positions[0], code)
                               + pid_bytes + pos + payload)
            self.out_size += len(payload) + len(pos)
        self.groups.clear()
        if self.out_size >= SPILL_BYTES:
            self.flush()

    def flush(self) -> None:
        for k, parts in self.out.items():
            with open(self.folder / f"b{k:04d}", "ab") as fh:
                fh.write(b"".join(parts))
        self.out = defaultdict(list)
        self.out_size = 0


def partition_task(work: Path, index: int, task: Task, files: Sequence[InputFile], buckets: int) -> int:
    """Run one read task into work/p1/t<index>/ (atomically). Returns the bytes it covered."""
    final = work / "p1" / f"t{index:06d}"
    tmp = work / "p1" / f"t{index:06d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    grouped = _Grouped(tmp, buckets)
    meds: list[bytes] = []
    rejects: list[Any] = []
    if task[0] == "ndjson":
        chunks = [_route_ndjson(task, files, grouped, meds, rejects)]
    else:
        chunks = _route_bundles(task, files, grouped, rejects)
    grouped.flush()
    if meds:
        (tmp / "meds").write_bytes(b"".join(meds))
    (tmp / "meta.json").write_bytes(orjson.dumps({
        "rejects": rejects, "chunks": chunks, "patients": {str(k): n for k, n in grouped.patients.items()}}))
    os.replace(tmp, final)
    return sum(c[3].get("bytes", 0) for c in chunks)


def _route_ndjson(task: Task, files: Sequence[InputFile], grouped: _Grouped, meds: list[bytes], rejects: list[Any]
                  ) -> list[Any]:
    """Route every line of an NDJSON read task (route_block); returns the task's chunk entry for meta.json."""
    _, fi, ci, start, end, _ = task
    f = files[fi]
    resources = skipped = lines = 0
    router = compact_router(f.resource_type)
    patients: list[str] = []
    found: list[tuple[int, str]] = []
    for first, block in read_blocks(f, start, end):
        kept, skip = route_block(block, first, router, grouped.groups, meds, found, patients)
        resources += kept
        skipped += skip
        for pid in patients:
            grouped.patients[grouped.bucket(pid)[0]] += 1
        rejects.extend([(fi, ci, n, -1), why] for n, why in found)
        patients.clear()
        found.clear()
        lines = first + len(block) - 1
        grouped.end_segment(fi, ci, "r")
    stats = {"resources": resources, "skipped": skipped, "bytes": f.size if f.compressed else end - start}
    return [fi, ci, lines, {k: v for k, v in stats.items() if v}]


def _route_bundles(task: Task, files: Sequence[InputFile], grouped: _Grouped, rejects: list[Any]) -> list[Any]:
    """Route the entries of a task's Bundle files (run_task's events); returns the chunk entries."""
    chunks: list[Any] = []
    for ev in run_task(task, files):
        tag = ev[0]
        if tag == "r":
            _, pid, (fi, ci, _li, ei), _kind, payload, is_patient = ev
            group = grouped.groups.get(pid)
            if group is None:
                group = grouped.groups[pid] = ([], [])
            group[0].append(ei)
            group[1].append(payload)
            if is_patient:
                grouped.patients[grouped.bucket(pid)[0]] += 1
        elif tag == "x":
            rejects.append([ev[1], ev[2]])
        elif tag == "c":
            _, fi, ci, lines, stats = ev
            grouped.end_segment(fi, ci, "e")
            chunks.append([fi, ci, lines, stats])
    return chunks


def _medications(work: Path) -> dict[str, bytes]:
    # Per run, not per path: a later screen into the same folder (a reused Spark worker, a long-lived process)
    # recreates the read stage's folder, which then has another identity.
    stage = (work / "p1").stat()
    key = f"{work}|{stage.st_ino}|{stage.st_ctime_ns}"
    if key not in _MEDS:
        meds: dict[str, bytes] = {}
        for p in sorted((work / "p1").glob("t*/meds")):
            for line in p.read_bytes().splitlines():
                mid, _, payload = line.partition(b"\t")
                meds.setdefault(mid.decode(), payload)  # the first one in input order wins
        _MEDS.clear()
        _MEDS[key] = meds
    return _MEDS[key]


def assess_bucket(work: Path, k: int, config: ScreenConfig, keep_frozen: bool = False) -> int:
    """Assess every patient of bucket k into work/p2/b<k>.ndjson (atomically). Returns the patients done.
    `keep_frozen`: this process does nothing but the screen's tasks (as a pool worker, or a Spark worker)."""
    knowledge = default_knowledge()
    kv = knowledge.release.version
    groups: dict[str, list[Segment]] = defaultdict(list)
    parts = sorted((work / "p1").glob(f"t*/b{k:04d}"))
    for p in parts:
        for pid, segment in _read_bucket_file(p.read_bytes()):
            groups[pid].append(segment)
    meds = _medications(work)
    tmp = work / "p2" / f"b{k:04d}.tmp"
    done = 0
    # The bucket's records and the knowledge release live through the whole loop (jakcheck.runtime: why).
    with batch_gc(keep_frozen=_WORKER or keep_frozen) as patient_done, open(tmp, "wb") as out:
        for patient in sorted(groups):
            segments = groups.pop(patient)
            segments.sort(key=_SEGMENT_ORDER)
            result = assess_segments(patient, segments, meds, config, knowledge)
            out.write(pack_result(result, kv))
            done += 1
            patient_done()
            if done % 8 == 0:
                _bump(8)
    _bump(done % 8)
    os.replace(tmp, work / "p2" / f"b{k:04d}.ndjson")
    # Done: the bucket's input is not read again (a resumed run skips a bucket with results), so the disk and
    # page cache it holds are released now, while the other buckets are assessed, not all at the end.
    for p in parts:
        p.unlink(missing_ok=True)
    return done


_SEGMENT_ORDER = itemgetter(0, 1, 2)  # (file, chunk, first position): input order


def _read_bucket_file(data: bytes) -> Iterator[tuple[str, Segment]]:
    """(patient id, segment) for every record of one task's bucket file, in the order written."""
    unpack = _RECORD.unpack_from
    header = _RECORD.size
    kinds = _KIND_NAMES
    pos, end = 0, len(data)
    while pos < end:
        id_len, payload_len, count, fi, ci, first, kind = unpack(data, pos)
        pos += header
        pid = data[pos:pos + id_len].decode()
        pos += id_len
        positions = data[pos:pos + 4 * count]
        pos += 4 * count
        yield pid, (fi, ci, first, kinds[kind], positions, data[pos:pos + payload_len])
        pos += payload_len


# ---------------------------------------------------------------------------------------------- driver


class _Pool:
    """Worker processes (see population.workers), or the calling process when workers == 1."""

    def __init__(self, workers: int) -> None:
        ctx = worker_context() if workers > 1 else get_context("spawn")
        self.counter: Synchronized[int] = ctx.Value("q", 0)
        self.inline = workers <= 1
        self.pool = None if self.inline else ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(self.counter, os.getpid()))
        if self.inline:
            _set_counter(self.counter)

    def run(self, jobs: list[tuple[Callable[..., int], tuple[Any, ...]]], on_progress: Callable[[int, int], None]
            ) -> None:
        """Run jobs; on_progress(results so far summed, counter value) after each completion or half second."""
        total = 0
        if self.pool is None:
            for fn, args in jobs:
                total += fn(*args)
                on_progress(total, self.counter.value)
            return
        pending: set[Future[int]] = {self.pool.submit(fn, *args) for fn, args in jobs}
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for f in finished:
                total += f.result()
            on_progress(total, self.counter.value)

    def submit(self, fn: Callable[..., int], *args: Any) -> Future[int]:
        """Run fn in a worker (or here, at once, when workers == 1)."""
        if self.pool is not None:
            return self.pool.submit(fn, *args)
        done: Future[int] = Future()
        done.set_result(fn(*args))
        return done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _fingerprint(files: Sequence[InputFile], config: ScreenConfig, knowledge_version: str, buckets: int
                 ) -> dict[str, Any]:
    return {"state": STATE_VERSION, "engine": "local", "region": config.region,
            "as_of": config.as_of.isoformat(), "cohort": config.cohort, "knowledge": knowledge_version,
            "settings": config.settings.digest(),
            "buckets": buckets,
            "files": [[f.name, f.size, f.path.stat().st_mtime_ns] for f in files]}


def run_local(files: Sequence[InputFile], out: Path, config: ScreenConfig, *, workers: int, progress: Progress,
              max_rejects: int | None = None, partitions: int | None = None, keep_work: bool = False
              ) -> dict[str, Any]:
    pool = _Pool(workers)
    try:
        return _run_local(pool, files, out, config, workers=workers, progress=progress, max_rejects=max_rejects,
                          partitions=partitions, keep_work=keep_work)
    finally:
        pool.close()


def _run_local(pool: _Pool, files: Sequence[InputFile], out: Path, config: ScreenConfig, *, workers: int,
               progress: Progress, max_rejects: int | None, partitions: int | None, keep_work: bool
               ) -> dict[str, Any]:
    knowledge = default_knowledge()
    kv = knowledge.release.version
    work = out / ".screen-work"
    buckets = partitions or bucket_count(files, workers)
    fp = _fingerprint(files, config, kv, buckets)
    state = work / "run.json"
    if state.is_file() and orjson.loads(state.read_bytes()) == fp:
        resumed = True
    else:
        resumed = False
        shutil.rmtree(work, ignore_errors=True)
        (work / "p1").mkdir(parents=True)
        (work / "p2").mkdir(parents=True)
        state.write_bytes(orjson.dumps(fp))
    for stale in list((work / "p1").glob("*.tmp")) + list((work / "p2").glob("*.tmp")):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    tasks = plan_tasks(files)
    todo = [i for i in range(len(tasks)) if not (work / "p1" / f"t{i:06d}").is_dir()]
    if resumed:
        progress.note(f"resuming: {len(tasks) - len(todo)}/{len(tasks)} read tasks and "
                      f"{len(list((work / 'p2').glob('b*.ndjson')))}/{buckets} partitions already done")
    t0 = time.monotonic()
    total_bytes = sum(f.size for f in files)
    progress.start("partition", total_bytes, "bytes")
    progress.update(total_bytes - sum(_task_bytes(tasks[i], files) for i in todo))
    base = total_bytes - sum(_task_bytes(tasks[i], files) for i in todo)
    pool.run([(partition_task, (work, i, tasks[i], files, buckets)) for i in todo],
             lambda done, _c: progress.update(base + done))
    progress.finish()
    stage1_rejects, chunk_lines, stats, per_bucket = task_results(work, len(tasks))
    if max_rejects is not None and len(stage1_rejects) > max_rejects:
        fail_on_rejects(out, files, config, kv, knowledge.release.date.isoformat(), stage1_rejects,
                        chunk_lines, max_rejects)
    todo_b = [k for k in range(buckets) if not (work / "p2" / f"b{k:04d}.ndjson").exists()]
    total_patients = sum(per_bucket.values())
    already = total_patients - sum(per_bucket[k] for k in todo_b)
    pool.counter.value = 0
    progress.start("assess", total_patients, "patients")
    progress.update(already)
    # Largest buckets first: the last ones to finish are then small.
    todo_b.sort(key=lambda k: -per_bucket[k])
    pool.run([(assess_bucket, (work, k, config)) for k in todo_b],
             lambda _done, counted: progress.update(already + counted))
    progress.finish()
    progress.note("writing outputs")
    # Three processes write the outputs from the same sorted results: a worker each Parquet file, this
    # process the others.
    parquet = [pool.submit(write_parquet, work, buckets, out, which) for which in (0, 1)]
    writer = ScreenWriter(out, config, kv, knowledge.release.date.isoformat(), files, external_parquet=True)
    for parts in merged_parts(work, buckets):
        writer.add_parts(parts)
    inputs = {"files": len(files), "resources": stats["resources"], "skipped": stats["skipped"],
              "bytes": stats["bytes"]}
    # The rejects, summary and report are written while the Parquet files may still be being written.
    summary = writer.finish(stage1_rejects, chunk_lines, inputs, before_rename=lambda: [f.result() for f in parquet])
    summary["_elapsed_s"] = time.monotonic() - t0
    if not keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return summary


def task_results(work: Path, tasks: int) -> tuple[list[tuple[Any, str]], dict[tuple[int, int], int], dict[str, int],
                                                  dict[int, int]]:
    """What the read tasks found (their meta files): rejected lines, lines per chunk, the input's counters and
    Patient resources per bucket."""
    metas = [orjson.loads((work / "p1" / f"t{i:06d}" / "meta.json").read_bytes()) for i in range(tasks)]
    rejects = [(tuple(o), r) for m in metas for o, r in m["rejects"]]
    chunk_lines = {(c[0], c[1]): c[2] for m in metas for c in m["chunks"]}
    stats: dict[str, int] = defaultdict(int)
    per_bucket: dict[int, int] = defaultdict(int)
    for m in metas:
        for c in m["chunks"]:
            for key, v in c[3].items():
                stats[key] += v
        for k, n in m["patients"].items():
            per_bucket[int(k)] += n
    return rejects, chunk_lines, stats, per_bucket


def _task_bytes(task: Task, files: Sequence[InputFile]) -> int:
    kind, fi, _ci, start, end, group = task
    if kind == "ndjson":
        return files[fi].size if files[fi].compressed else end - start
    return sum(files[b].size for b in group)


def merged_parts(work: Path, buckets: int) -> Iterator[Parts]:
    """Every bucket's packed results (read_packed_parts), in patient-id order."""
    with ExitStack() as stack:
        handles = [stack.enter_context(open(work / "p2" / f"b{k:04d}.ndjson", "rb")) for k in range(buckets)]
        # UTF-8 bytes sort as their strings do.
        yield from heapq.merge(*(read_packed_parts(h) for h in handles), key=_FIRST)


def write_parquet(work: Path, buckets: int, out: Path, which: int) -> int:
    """A Parquet file from every bucket's packed results, in patient-id order (write_packed_parquet)."""
    with ExitStack() as stack:
        handles = [stack.enter_context(open(work / "p2" / f"b{k:04d}.ndjson", "rb")) for k in range(buckets)]
        merged = heapq.merge(*(read_packed_columns(h, which) for h in handles), key=_FIRST)
        return write_packed_parquet(map(_SECOND, merged), out, which)


_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


def fail_on_rejects(out: Path, files: Sequence[InputFile], config: ScreenConfig, kv: str, kdate: str,
                     rejects: list[Any], chunk_lines: dict[tuple[int, int], int], limit: int) -> None:
    from jakcheck.population.outputs import write_rejects

    write_rejects(out / "rejects.ndjson", rejects, files, chunk_lines)
    raise InputError(f"{len(rejects)} input lines rejected, more than --max-rejects {limit}; "
                     f"see {out / 'rejects.ndjson'} (run again with a higher limit to continue)")
