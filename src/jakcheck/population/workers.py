"""How the local engine's worker processes are made. Kept free of heavy imports: `jakcheck screen` starts the fork
server here before it imports the engine itself, so that both load at once, on both cores."""

from __future__ import annotations

from multiprocessing import forkserver, get_all_start_methods, get_context
from multiprocessing.context import BaseContext


def worker_context() -> BaseContext:
    """Workers are forked from a fork server (started fresh, so safe with the progress thread) that has already
    imported the engine and loaded the knowledge release (population/preload.py): a worker then starts in
    milliseconds instead of repeating both. Spawned where there is no fork server. Starts the fork server if it
    is not running yet (it imports and loads on another core while the caller goes on)."""
    if "forkserver" not in get_all_start_methods():
        return get_context("spawn")
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(["jakcheck.population.preload"])
    forkserver.ensure_running()
    return ctx
