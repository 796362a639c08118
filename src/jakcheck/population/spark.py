"""The Spark engine: the local engine's read tasks, buckets, per-patient step and writer, distributed with PySpark
(RDD API, Python workers; no extra jars, so nothing is fetched at run time).

Plan: read tasks -> `mapPartitions(route)`: each task's resources grouped by patient into bucket records, as the
local engine writes them to its bucket files (`local.Grouped`), a few large byte strings per task and bucket, not
a record per line -> `partitionBy(P + 1)` by bucket (partition P takes each task's side results: Medications,
rejects, line counts) -> job 1 reads partition P only (the whole read stage runs, its shuffle files stay);
Medications broadcast -> job 2 `mapPartitionsWithIndex(assess)` on the same shuffle: each bucket assessed as the
local engine does (`local.assess_bucket`), its packed results, sorted by patient id, as one byte string ->
persisted, then fetched partition by partition to the driver, which merges them by patient id into the same
`ScreenWriter`. The rows are therefore identical to the local engine's, byte for byte.

The executors' Python daemon is `population.spark_daemon`: every Python worker starts with the engine imported
and the knowledge release loaded. Input paths must be readable from every executor (local disk in local mode; a
shared mount on a cluster). An already active SparkSession (e.g. on Databricks) is used as it is; otherwise one
is started on `master`.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from jakcheck.errors import ConfigError, InputError
from jakcheck.knowledge.loader import Knowledge, default_knowledge
from jakcheck.population.config import ScreenConfig
from jakcheck.population.inputs import InputFile
from jakcheck.population.local import (
    Grouped,
    assess_bucket,
    bucket_count,
    medication_table,
    merged_parts,
    route_task,
    write_parquet,
)
from jakcheck.population.outputs import ScreenWriter, write_rejects
from jakcheck.population.partition import Task, plan_tasks
from jakcheck.population.progress import Progress

SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.python.worker.reuse": "true",
    "spark.python.daemon.module": "jakcheck.population.spark_daemon",
    "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
    # The JVM only moves the Python workers' byte strings (the shuffle, the results): the quick C1 compiler and
    # the single-threaded collector halve its start-up CPU, and its shuffle files are left uncompressed, as the
    # local engine's bucket files are (lz4 on every byte of the input, twice, cost more than the disk it saves).
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.executor.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.shuffle.compress": "false",
}


def java_problem() -> str | None:
    """Why Spark cannot start on this machine (no Java), or None."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return None
    if shutil.which("java"):
        return None
    return ("Spark needs a Java runtime (17 or 21) and none was found: install one (Debian: apt-get install "
            "openjdk-17-jre-headless; `make test` does this) or set JAVA_HOME")


_FROZEN = False


def worker_knowledge() -> Knowledge:
    """The knowledge release in a Spark Python worker, loaded once; afterwards kept out of the cyclic garbage
    collector's scans (it lives as long as the worker)."""
    global _FROZEN
    knowledge = default_knowledge()
    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN = True
    return knowledge


def get_session(master: str) -> Any:
    """The active SparkSession, or a new one on `master`. Raises ConfigError saying why Spark cannot start."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError("the spark engine needs PySpark: pip install 'jakcheck[spark]'") from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    problem = java_problem()
    if problem:
        raise ConfigError(problem)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no network interface is needed in local mode
    builder = SparkSession.builder.master(master).appName("jakcheck-screen")
    for k, v in SPARK_CONF.items():
        builder = builder.config(k, v)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start or the master cannot be reached
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"Spark could not start on {master}: {first}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


class _StageWatcher(threading.Thread):
    """Feeds the progress display with completed/total tasks of the running Spark job."""

    def __init__(self, sc: Any, progress: Progress) -> None:
        super().__init__(daemon=True)
        self.sc = sc
        self.progress = progress
        self.stop_event = threading.Event()
        self.done_before = 0

    def run(self) -> None:
        tracker = self.sc.statusTracker()
        while not self.stop_event.wait(0.5):
            try:
                done = sum(info.numCompletedTasks for sid in tracker.getActiveStageIds()
                           if (info := tracker.getStageInfo(sid)) is not None)
            except Exception:  # the tracker is best effort
                continue
            self.progress.update(self.done_before + done)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=2)


def run_spark(files: Sequence[InputFile], out: Path, config: ScreenConfig, *, master: str, progress: Progress,
              max_rejects: int | None = None, partitions: int | None = None) -> dict[str, Any]:

    t_start = time.monotonic()
    session = get_session(master)
    sc = session.sparkContext
    progress.note(f"Spark session on {sc.master} ready in {time.monotonic() - t_start:.1f} s")
    knowledge = default_knowledge()
    tasks = plan_tasks(files)
    buckets = partitions or bucket_count(files, sc.defaultParallelism)
    files_ = list(files)
    config_ = config

    def route(items: Iterator[tuple[int, Task]]) -> Iterator[tuple[int, Any]]:
        for index, task in items:
            grouped = Grouped(None, buckets)
            meds, rejects, chunks = route_task(task, files_, grouped)
            for seq, (k, data) in enumerate(grouped.spilled):
                yield k, (index, seq, data)
            yield buckets, (index, meds, rejects, chunks)

    # Partitions 0..P-1 are the buckets, partition P the read tasks' side results (Medications, rejects, line
    # counts). Both jobs below read this one shuffle: the read tasks run once.
    shuffled = (sc.parallelize(list(enumerate(tasks)), max(1, len(tasks))).mapPartitions(route)
                .partitionBy(buckets + 1, _identity))
    progress.start("read", len(tasks), "tasks")
    watcher = _StageWatcher(sc, progress)
    watcher.start()
    try:
        side = sorted(sc.runJob(shuffled, _values, [buckets]), key=_FIRST)
        progress.update(len(tasks))
    finally:
        watcher.stop()
        progress.finish()
    stage1_rejects = [(tuple(o), r) for m in side for o, r in m[2]]
    chunk_lines = {(c[0], c[1]): c[2] for m in side for c in m[3]}
    stats: dict[str, int] = {}
    for m in side:
        for c in m[3]:
            for k, v in c[3].items():
                stats[k] = stats.get(k, 0) + v
    if max_rejects is not None and len(stage1_rejects) > max_rejects:
        out.mkdir(parents=True, exist_ok=True)
        write_rejects(out / "rejects.ndjson", stage1_rejects, files, chunk_lines)
        raise InputError(f"{len(stage1_rejects)} input lines rejected, more than --max-rejects {max_rejects}; "
                         f"see {out / 'rejects.ndjson'}")
    bmeds = sc.broadcast(medication_table(m[1] for m in side))
    work = out / ".spark-work"
    shutil.rmtree(work, ignore_errors=True)
    (work / "p2").mkdir(parents=True)

    def assess(k: int, items: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, int]]:
        if k == buckets:
            return
        records = sorted(v for _, v in items)  # (read task, sequence, records): task order
        records.reverse()
        tmp = work / "p2" / f"b{k:04d}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            done = assess_bucket(_drain(records), bmeds.value, config_, worker_knowledge(), fh, keep_frozen=True)
        os.replace(tmp, work / "p2" / f"b{k:04d}.ndjson")
        yield k, done

    progress.start("assess", buckets + 1, "partitions")
    watcher = _StageWatcher(sc, progress)
    watcher.start()
    try:
        shuffled.mapPartitionsWithIndex(assess).collect()
        progress.update(buckets + 1)
    finally:
        watcher.stop()
        progress.finish()
    bmeds.unpersist()
    progress.note("writing outputs")
    # As in the local engine, two executor tasks write the Parquet files while the driver writes the others.
    parquet_job = sc.parallelize([0, 1], 2).map(lambda which: write_parquet(work, buckets, out, which))
    parquet: list[Any] = []
    writing = threading.Thread(target=lambda: parquet.append(parquet_job.collect()), daemon=True)
    writing.start()
    writer = ScreenWriter(out, config, knowledge.release.version, knowledge.release.date.isoformat(), files,
                          external_parquet=True)
    for parts in merged_parts(work, buckets):
        writer.add_parts(parts)
    inputs = {"files": len(files), "resources": stats.get("resources", 0), "skipped": stats.get("skipped", 0),
              "bytes": stats.get("bytes", 0)}

    def parquet_written() -> None:
        writing.join()
        if not parquet:
            raise RuntimeError("the Parquet files could not be written (see the Spark log)")

    summary = writer.finish(stage1_rejects, chunk_lines, inputs, before_rename=parquet_written)
    shutil.rmtree(work, ignore_errors=True)
    summary["_elapsed_s"] = time.monotonic() - t_start
    return summary


def _identity(k: int) -> int:
    return k


def _values(items: Iterator[tuple[int, Any]]) -> list[Any]:
    return [v for _, v in items]


def _drain(records: list[tuple[int, int, bytes]]) -> Iterator[bytes]:
    """The records' data from the last to the first, each let go once read."""
    while records:
        yield records.pop()[2]


_FIRST = itemgetter(0)
