"""`jakcheck screen` (registered by the CLI, the one entry point): wires discovery, an engine and the outputs.

The CLI loads the settings once and passes them here; the screen reads no environment of its own. Exit codes as
the CLI: 0 done, 2 input error (including more rejects than --max-rejects), 3 knowledge error, 4 configuration
error (e.g. Spark cannot start), 1 a bug.
"""

from __future__ import annotations

import os
import sys
import traceback
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

from jakcheck.errors import ConfigError, InputError, JakcheckError
from jakcheck.population.config import COHORTS, ScreenConfig
from jakcheck.population.inputs import discover
from jakcheck.population.progress import Progress
from jakcheck.settings import Settings, parse_region

# Nothing above imports the engine: the local engine's fork server is started (in _screen) before this process
# imports it, so that both load at once.

ENGINES = ("local", "spark")


def _as_of(value: str | date | None) -> date:
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"not a date (YYYY-MM-DD): {value!r}", field="--as-of") from exc


def screen(inputs: Sequence[str | Path], out: str | Path, cohort: str = "all", engine: str = "local",
           workers: int | None = None, region: str | None = None, as_of: str | date | None = None,
           spark_master: str | None = None, max_rejects: int | None = None, *, settings: Settings,
           partitions: int | None = None, progress: bool = True, keep_work: bool = False,
           stream: IO[str] | None = None) -> int:
    """Screen every patient of the inputs; write the outputs into `out`. Returns the exit code. `settings` are
    the entry point's settings (the engine gets them for every patient); `region` defaults to settings.region."""
    err = stream or sys.stderr
    try:
        summary = _screen(inputs, Path(out), cohort, engine, workers, region, as_of,
                          spark_master, max_rejects, partitions, Progress(err, enabled=progress), keep_work,
                          settings)
    except JakcheckError as exc:
        print(f"error: {exc}", file=err)
        return exc.exit_code
    except Exception:  # a bug: say so with an id; never print patient data
        incident = uuid.uuid4().hex[:12]
        print(f"internal error {incident}: this is a bug in jakcheck; please report it with this id", file=err)
        if os.environ.get("JAKCHECK_DEBUG"):
            traceback.print_exc(file=err)
        return 1
    limit_hit = max_rejects is not None and summary["rejects"] > max_rejects
    elapsed = summary.get("_elapsed_s", 0.0)
    rate = summary["patients"] / elapsed if elapsed else 0.0
    print(f"screen: {summary['patients']} patients ({', '.join(f'{k} {v}' for k, v in summary['cohorts'].items())}"
          f"; excluded {sum(summary['excluded'].values())}), {summary['assessed']} assessed, "
          f"{summary['rejects']} rejected lines; {elapsed:,.1f} s ({rate:,.0f} patients/s); outputs in {out}",
          file=err)
    if limit_hit:
        print(f"error: {summary['rejects']} input lines rejected, more than --max-rejects {max_rejects}; "
              f"see {Path(out) / 'rejects.ndjson'}", file=err)
        return InputError.exit_code
    return 0


def _screen(inputs: Sequence[str | Path], out: Path, cohort: str, engine: str, workers: int | None,
            region: str | None, as_of: str | date | None, spark_master: str | None, max_rejects: int | None,
            partitions: int | None, progress: Progress, keep_work: bool, settings: Settings) -> dict[str, Any]:
    if cohort not in COHORTS:
        raise InputError(f"unknown cohort {cohort!r}; one of {', '.join(COHORTS)}", field="--cohort")
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; one of {', '.join(ENGINES)}", field="--engine")
    if workers is not None and workers < 1:
        raise InputError("must be at least 1", field="--workers")
    if max_rejects is not None and max_rejects < 0:
        raise InputError("must be 0 or more", field="--max-rejects")
    if not inputs:
        raise InputError("give at least one input folder or file")
    try:
        reg = parse_region(region, "--region") if region else settings.region
    except ConfigError as exc:
        raise InputError(str(exc)) from exc
    config = ScreenConfig(region=reg, as_of=_as_of(as_of), cohort=cohort, settings=settings)
    n_workers = workers or os.cpu_count() or 1
    if engine == "local" and n_workers > 1:
        from jakcheck.population.workers import worker_context

        worker_context()  # the fork server starts loading the engine and knowledge now, on another core
    from jakcheck.engine import check_settings  # after the fork server's start: it loads the engine meanwhile
    from jakcheck.knowledge.loader import default_knowledge

    check_settings(default_knowledge(), settings)  # refused before any patient is read
    files = discover([Path(p) for p in inputs])
    progress.note(f"{len(files)} input files, engine {engine}, {n_workers} workers, cohort {cohort}, "
                  f"region {reg}, site settings {settings.digest()}, as of {config.as_of.isoformat()}")
    if engine == "spark":
        from jakcheck.population.spark import run_spark

        return run_spark(files, out, config, master=spark_master or f"local[{n_workers}]", progress=progress,
                         max_rejects=max_rejects, partitions=partitions)
    from jakcheck.population.local import run_local

    return run_local(files, out, config, workers=n_workers, progress=progress, max_rejects=max_rejects,
                     partitions=partitions, keep_work=keep_work)

