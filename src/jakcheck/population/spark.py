"""The Spark engine: the local engine's read tasks, buckets, per-patient step and writer, distributed with PySpark
(RDD API, Python workers; no extra jars, so nothing is fetched at run time).

Plan, in a work folder under the output folder (`OUT/.spark-work`): job 1, one Spark task per read task, routes
the task's resources into its bucket files (`local.partition_task`); job 2, one Spark task per bucket, largest
first, assesses the bucket's patients into its sorted result file (`local.assess_bucket`); then, as in the local
engine, two Spark tasks write the Parquet files while the driver merges the result files into the other outputs.
The rows are therefore identical to the local engine's, byte for byte. The buckets travel through the work
folder, not through Spark's shuffle: measured on 2 cores, moving every input byte through the JVM (Python
worker -> JVM -> shuffle files -> JVM -> Python worker) cost more CPU than routing and assessing did
(docs/scaling.md).

The executors' Python daemon is `population.spark_daemon`: every Python worker starts with the engine imported
and the knowledge release loaded. The input files and the output folder must be at the same path on the driver
and every executor (local disk in local mode; a shared mount on a cluster). An already active SparkSession
(e.g. on Databricks) is used as it is; otherwise one is started on `master`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jakcheck.errors import ConfigError
from jakcheck.knowledge.loader import Knowledge, default_knowledge
from jakcheck.population.config import ScreenConfig
from jakcheck.population.inputs import InputFile
from jakcheck.population.local import (
    assess_bucket,
    bucket_count,
    fail_on_rejects,
    merged_parts,
    partition_task,
    task_results,
    write_parquet,
)
from jakcheck.population.outputs import ScreenWriter
from jakcheck.population.partition import plan_tasks
from jakcheck.population.progress import Progress
from jakcheck.runtime import freeze_startup_heap

SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.python.worker.reuse": "true",
    "spark.python.daemon.module": "jakcheck.population.spark_daemon",
    "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
    # The JVM only schedules the Python workers' tasks: the quick C1 compiler and the single-threaded collector
    # halve its start-up CPU (6.9 against 13.5 CPU s for the session and its first job, on 2 cores).
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.executor.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


# A master in this process or on this machine's loopback: the driver listens on loopback only. Any other master
# reaches the driver at the address Spark chooses (SPARK_LOCAL_IP, else the host name), as a cluster needs.
LOOPBACK_DRIVER = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
_LOOPBACK_MASTER = re.compile(r"^(local(\[.*\])?|spark://(127\.0\.0\.1|localhost)(:\d+)?)$")


def spark_conf(master: str) -> dict[str, str]:
    """The Spark settings of a screen on `master`."""
    return {**SPARK_CONF, **(LOOPBACK_DRIVER if _LOOPBACK_MASTER.match(master) else {})}


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
    for k, v in spark_conf(master).items():
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
    work = out / ".spark-work"
    shutil.rmtree(work, ignore_errors=True)
    (work / "p1").mkdir(parents=True)
    (work / "p2").mkdir(parents=True)
    files_ = list(files)
    config_ = config

    # Spark runs a failed task again with all its items: an item an earlier attempt finished (its folder or
    # result file is in place, each written under a temporary name and renamed) is not done twice.
    def partition(index: int) -> int:
        if (work / "p1" / f"t{index:06d}").is_dir():
            return 0
        return partition_task(work, index, tasks[index], files_, buckets)

    def assess(k: int) -> int:
        if (work / "p2" / f"b{k:04d}.ndjson").exists():
            return 0
        worker_knowledge()
        return assess_bucket(work, k, config_, keep_frozen=True)

    try:
        return _run_jobs(sc, progress, out, files, config, max_rejects, t_start, knowledge, tasks, buckets, work,
                         partition, assess)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a Spark run does not resume: never leave its work behind


def _run_jobs(sc: Any, progress: Progress, out: Path, files: Sequence[InputFile], config: ScreenConfig,
              max_rejects: int | None, t_start: float, knowledge: Knowledge, tasks: Sequence[Any], buckets: int,
              work: Path, partition: Callable[[int], int], assess: Callable[[int], int]) -> dict[str, Any]:
    kv = knowledge.release.version
    _job(sc, progress, "read", range(len(tasks)), partition)
    stage1_rejects, chunk_lines, stats, per_bucket = task_results(work, len(tasks))
    if max_rejects is not None and len(stage1_rejects) > max_rejects:
        fail_on_rejects(out, files, config, kv, knowledge.release.date.isoformat(), stage1_rejects, chunk_lines,
                        max_rejects)
    _job(sc, progress, "assess", sorted(range(buckets), key=lambda k: -per_bucket[k]), assess)
    progress.note("writing outputs")
    # As in the local engine, two executor tasks write the Parquet files while the driver writes the others.
    parquet: list[Any] = []
    failed: list[BaseException] = []

    def write_both() -> None:
        try:
            parquet.append(sc.parallelize([0, 1], 2).map(lambda which: write_parquet(work, buckets, out, which))
                           .collect())
        except BaseException as exc:  # handed to the driver thread below, which raises it
            failed.append(exc)

    writing = threading.Thread(target=write_both, daemon=True)
    writing.start()
    writer = ScreenWriter(out, config, kv, knowledge.release.date.isoformat(), files, external_parquet=True)
    for parts in merged_parts(work, buckets):
        writer.add_parts(parts)
    inputs = {"files": len(files), "resources": stats["resources"], "skipped": stats["skipped"],
              "bytes": stats["bytes"]}

    def parquet_written() -> None:
        writing.join()
        if failed:
            raise RuntimeError(f"the Parquet files could not be written: {failed[0]}") from failed[0]
        if not parquet:
            raise RuntimeError("the Parquet files could not be written (see the Spark log)")

    summary = writer.finish(stage1_rejects, chunk_lines, inputs, before_rename=parquet_written)
    summary["_elapsed_s"] = time.monotonic() - t_start
    return summary


def _job(sc: Any, progress: Progress, label: str, items: Sequence[int], fn: Callable[[int], int]) -> None:
    """fn(item) for every item, in Spark tasks of several items each: 4 tasks per core, each item in the task
    given by its rank modulo the task count (so large items first are spread over the tasks). A PySpark task
    costs ~0.15 s of its own on this machine (measured with tasks doing nothing), as much as a small read task."""
    n = max(1, min(len(items), 4 * sc.defaultParallelism))
    groups = [list(items[i::n]) for i in range(n)]
    progress.start(label, n, "parts")
    watcher = _StageWatcher(sc, progress)
    watcher.start()
    try:
        sc.parallelize(groups, n).map(lambda group: [fn(i) for i in group]).collect()
        progress.update(n)
    finally:
        watcher.stop()
        progress.finish()
