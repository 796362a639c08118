"""The Spark engine: the same read tasks, the same per-patient function and the same writer as the local engine,
distributed with PySpark (RDD API, Python workers; no extra jars, so nothing is fetched at run time).

Plan: read tasks -> `flatMap(run_task)` (persisted) -> side events (rejects, line counts, Medication resources)
collected on the driver, Medications broadcast -> resources keyed by patient id -> `groupByKey` into P partitions
-> `sortByKey` -> `map(assess_records)` persisted -> streamed partition by partition to the driver's
`ScreenWriter`. The rows are therefore identical to the local engine's, byte for byte.

Input paths must be readable from every executor (local disk in local mode; a shared mount on a cluster).
An already active SparkSession (e.g. on Databricks) is used as it is; otherwise one is started on `master`.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jakcheck.errors import ConfigError, InputError
from jakcheck.knowledge.loader import Knowledge, default_knowledge
from jakcheck.population.config import ScreenConfig
from jakcheck.population.inputs import InputFile
from jakcheck.population.outputs import ScreenWriter, pack_result, write_rejects
from jakcheck.population.partition import plan_tasks, run_task
from jakcheck.population.process import assess_records
from jakcheck.population.progress import Progress
from jakcheck.runtime import freeze_startup_heap

SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.python.worker.reuse": "true",
    "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
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
    collector's scans (it lives as long as the worker; jakcheck.runtime)."""
    global _FROZEN
    knowledge = default_knowledge()
    if not _FROZEN:
        freeze_startup_heap()
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
    from pyspark import StorageLevel

    t_start = time.monotonic()
    session = get_session(master)
    sc = session.sparkContext
    knowledge = default_knowledge()
    tasks = plan_tasks(files)
    buckets = partitions or max(2 * sc.defaultParallelism,
                                min(512, sum(f.size for f in files) // (64 * 1024 * 1024) + 1))
    files_ = list(files)
    config_ = config

    def route(task: Any) -> Any:
        return run_task(task, files_)

    routed = sc.parallelize(tasks, max(1, len(tasks))).flatMap(route).persist(StorageLevel.MEMORY_AND_DISK)
    progress.start("read", len(tasks), "tasks")
    watcher = _StageWatcher(sc, progress)
    watcher.start()
    try:
        side = routed.filter(lambda e: e[0] != "r").collect()
        progress.update(len(tasks))
    finally:
        watcher.stop()
        progress.finish()
    stage1_rejects = [(tuple(e[1]), e[2]) for e in side if e[0] == "x"]
    chunk_lines = {(e[1], e[2]): e[3] for e in side if e[0] == "c"}
    stats: dict[str, int] = {}
    for e in side:
        if e[0] == "c":
            for k, v in e[4].items():
                stats[k] = stats.get(k, 0) + v
    if max_rejects is not None and len(stage1_rejects) > max_rejects:
        routed.unpersist()
        out.mkdir(parents=True, exist_ok=True)
        write_rejects(out / "rejects.ndjson", stage1_rejects, files, chunk_lines)
        raise InputError(f"{len(stage1_rejects)} input lines rejected, more than --max-rejects {max_rejects}; "
                         f"see {out / 'rejects.ndjson'}")
    meds: dict[str, bytes] = {}
    for e in sorted((e for e in side if e[0] == "m"), key=lambda e: tuple(e[2])):
        meds.setdefault(e[1], e[3])
    bmeds = sc.broadcast(meds)

    def assess_group(kv: Any) -> Any:
        pid, recs = kv
        kb = worker_knowledge()
        result = assess_records(pid, list(recs), bmeds.value, config_, kb)
        return pid, pack_result(result, kb.release.version)

    results = (routed.filter(lambda e: e[0] == "r")
               .map(lambda e: (e[1], (tuple(e[2]), e[3], e[4])))
               .groupByKey(numPartitions=buckets)
               .sortByKey(numPartitions=buckets)
               .map(assess_group)
               .persist(StorageLevel.MEMORY_AND_DISK))
    progress.start("assess", buckets, "partitions")
    watcher = _StageWatcher(sc, progress)
    watcher.start()
    try:
        results.count()
        progress.update(buckets)
    finally:
        watcher.stop()
        progress.finish()
    routed.unpersist()
    progress.note("writing outputs")
    writer = ScreenWriter(out, config, knowledge.release.version, knowledge.release.date.isoformat(), files)
    for _pid, blob in results.toLocalIterator():
        writer.add_packed(blob)
    results.unpersist()
    bmeds.unpersist()
    inputs = {"files": len(files), "resources": stats.get("resources", 0), "skipped": stats.get("skipped", 0),
              "bytes": stats.get("bytes", 0)}
    summary = writer.finish(stage1_rejects, chunk_lines, inputs)
    summary["_elapsed_s"] = time.monotonic() - t_start
    return summary
