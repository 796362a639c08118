"""The Python daemon of the Spark engine's executors (`spark.python.daemon.module`): PySpark's own daemon, run
after the screen's modules are imported and the knowledge release is loaded and frozen, so that every Python
worker it forks starts with both (as the local engine's workers start from its fork server) instead of loading
them again in each worker."""

from __future__ import annotations

if __name__ == "__main__":
    from jakcheck.population.spark import worker_knowledge

    worker_knowledge()
    from pyspark.daemon import manager

    manager()  # type: ignore[no-untyped-call]
