"""Profile one cold CDS Hooks call in process: where the CPU time of a call that no cache can answer goes.

Usage: `.venv/bin/python benchmarks/service_profile.py [--patient FILE] [--calls 300] [--shared] [--top 30]`.

The body is the one `make bench-service` sends in its cold mode (service_bench.build_request: a Synthea patient
at the 75th percentile of file size, prefetched as the discovery templates ask; every call numbered with its
own patient id, so that the answer cache never answers). Each call goes through the production app
(`run.production_app`: response validation off, GC tuned) as an ASGI call in this process: routing, middleware,
reading the body, the hook handler and the response, but no socket and no HTTP parsing (the "bare" endpoint of
the wrk benchmark measures those). `--shared` keeps the report cache in a SQLite file, as `serve --workers N`
(N > 1) does.

Prints:
1. CPU per call without a profiler (process time over batches of 50 calls: the minimum and the median batch; on
   a busy machine the minimum is the better estimate of the call's own cost);
2. the same calls under cProfile: the modules and the functions with the most own time, each also as ms per
   call scaled to (1) (the profiler inflates code with many small calls, so shares are approximate).
Other work on the machine skews every figure; compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ROUTE = "/cds-services/jakcheck-order-select"
BATCH = 50


def _caller(app: Any) -> Callable[[bytes], Awaitable[None]]:
    async def call(body: bytes) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": ROUTE, "raw_path": ROUTE.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                             (b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise SystemExit(f"the call answered {status}")

    return call


def _label(path: str) -> str:
    """A module name for a profile entry: jakcheck's as a path under the package, libraries by name."""
    marker = f"{os.sep}jakcheck{os.sep}"
    if marker in path:
        return path.rsplit(marker, 1)[1]
    if "site-packages" in path:
        return "lib " + path.split("site-packages" + os.sep, 1)[1].split(os.sep, 1)[0]
    if path.startswith("~"):
        return "built-in"
    return "stdlib " + Path(path).name


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patient", type=Path, help="a Synthea patient bundle (default: the bench's cold record)")
    p.add_argument("--calls", type=int, default=300, help="calls measured (after 30 warm-up calls)")
    p.add_argument("--shared", action="store_true", help="report cache in a SQLite file (serve --workers N)")
    p.add_argument("--top", type=int, default=30, help="functions listed")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import service_bench as bench

    req = bench.build_request(args.patient or bench.pick_patient(0.75))
    template = bench.cold_template(req)

    from jakcheck.service.run import production_app
    from jakcheck.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="jakcheck-profile-"))
    shared = tmp / "shared" if args.shared else None
    if shared is not None:
        shared.mkdir()
    logging.getLogger("jakcheck").setLevel(logging.WARNING)
    app = production_app(Settings(insecure_dev=True, feedback_store=str(tmp / "feedback.sqlite3"),
                                  max_request_bytes=50_000_000, service_base_url="http://127.0.0.1:8000"),
                         shared, today=lambda: date(2020, 6, 1))
    call = _caller(app)
    n = max(BATCH, args.calls - args.calls % BATCH)
    bodies = [bench.numbered(template, i) for i in range(1, 2 * n + 31)]

    async def run() -> tuple[list[float], cProfile.Profile]:
        for body in bodies[:30]:
            await call(body)
        batches: list[float] = []
        for start in range(30, 30 + n, BATCH):
            t0 = time.process_time()
            for body in bodies[start:start + BATCH]:
                await call(body)
            batches.append((time.process_time() - t0) * 1000 / BATCH)
        profile = cProfile.Profile()
        profile.enable()
        for body in bodies[30 + n:]:
            await call(body)
        profile.disable()
        return batches, profile

    batches, profile = asyncio.run(run())
    batches.sort()
    per_call = batches[0]
    print(f"record: {len(bodies[0]) / 1024:.0f} KiB; report cache {'shared (SQLite)' if shared else 'in memory'}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"CPU per cold call, no profiler: {per_call:.2f} ms (minimum batch of {BATCH}), "
          f"median batch {batches[len(batches) // 2]:.2f} ms, {n} calls")
    stats = pstats.Stats(profile)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    scale = per_call / (total * 1000 / n)
    by_module: Counter[str] = Counter()
    for (path, _line, _name), v in raw.items():
        by_module[_label(path)] += v[2]
    print(f"\nunder cProfile {total * 1000 / n:.1f} ms per call; own time by module (share, ms per call scaled to "
          f"{per_call:.2f}):")
    for name, t in by_module.most_common(args.top):
        print(f"  {100 * t / total:5.1f} %  {t * 1000 / n * scale:6.3f} ms  {name}")
    print("\nfunctions by own time:")
    for (path, line, name), v in sorted(raw.items(), key=lambda kv: -kv[1][2])[:args.top]:
        where = f"{_label(path)}:{line} {name}" if not path.startswith("~") else name
        print(f"  {100 * v[2] / total:5.1f} %  {v[2] * 1000 / n * scale:6.3f} ms  {v[1] / n:7.1f} calls  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
