"""Benchmark the CDS Hooks service on loopback: order-select with a realistic prefetch (a Synthea patient).

Usage: `make bench-service` or `.venv/bin/python benchmarks/service_bench.py [--patient FILE] [--workers 1,2]
[--client wrk|httpx] [--quick] [--cold-only]`.

Servers, measured the same way one after the other, each a uvicorn process (or a supervisor with N worker
processes) on 127.0.0.1:
* "jakcheck": the app as `jakcheck serve` runs it (`run.production_app`: no response-model validation, GC tuned;
  with N > 1 workers the report and JWT replay caches in shared SQLite files), except for insecure-dev mode (so
  the client needs no JWT; verifying one costs about 0.2 ms more per call) and a pinned assessment date. The
  same body posted again and again is answered from the answer cache after the first call, as an EHR's
  repeated order-select calls for one patient are.
* "cold": the app as served (answer cache on), but every call carries a different record: the patient id in the
  context, the Patient resource and every reference to it is numbered per call (the wrk script substitutes a
  counter; the httpx client does the same), so no cache can answer a call and every call is read and assessed.
  The record is a Synthea patient at the 75th percentile of file size (what a busy clinic's typical record
  with years of history looks like), prefetched as the discovery templates ask.
* "bare": a FastAPI app whose one endpoint only parses the same payload with orjson and echoes it.
Each kind runs with the same worker counts (default 1 and 2), so like is compared with like.

The client is `wrk` (C, one thread, a Lua script that posts the body and reports p50/p95/p99) when it is on the
PATH (Debian package `wrk`), so it takes little of the 2 cores from the servers; otherwise an httpx/asyncio
client in this process, which needs about as much CPU as the bare server and so understates it (the output
says which). Each level (concurrency 1, 16, 64) is bounded in time (wrk) or in requests and time (httpx), after
a short warm-up. Prints p50/p95/p99 latency and throughput per level, the ratio of jakcheck's throughput to the
bare endpoint's with the same worker count, and the load average before and after. Targets on 2 cores:
p99 <= 50 ms at concurrency 16, throughput >= 50 % of the bare endpoint.

The prefetch holds what the discovery templates ask for: the Patient, Conditions, Observations with the LOINC
codes the rules read, MedicationRequests and Immunizations of one Synthea patient (../shared/data).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
LEVELS = ((1, 300, 5.0), (16, 3000, 10.0), (64, 4000, 10.0))  # (concurrency, max requests (httpx), seconds)
WARM_UP = 2.0  # seconds at concurrency 16 before the first level
TYPES = {"Patient": "patient", "Condition": "conditions", "Observation": "observations",
         "MedicationRequest": "medications", "Immunization": "immunizations"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pick_patient(quantile: float = 0.5) -> Path:
    folder = SHARED / "synthea-r4-generated-sample-data"
    files = sorted(p for p in folder.glob("*.json") if not p.name.startswith(("hospital", "practitioner")))
    if not files:
        sys.exit(f"no Synthea data under {folder}")
    # A record at the given quantile of file size (the median by default): realistic, not the extreme.
    return sorted(files, key=lambda p: p.stat().st_size)[min(len(files) - 1, int(len(files) * quantile))]


PID_MARK = "JAKBENCHPID"


def cold_template(req: dict[str, Any]) -> bytes:
    """The request with the patient id replaced by a mark in the context, the Patient resource and every
    reference to the patient: `numbered(template, i)` gives call i its own record."""
    pid = req["context"]["patientId"]
    text = orjson.dumps(req).decode()
    if PID_MARK in text:
        raise ValueError("the record already holds the mark")
    return text.replace(pid, PID_MARK).encode()


def numbered(template: bytes, i: int) -> bytes:
    """Call i's body: the mark replaced by a patient id of its own (the wrk script does the same in Lua)."""
    return template.replace(PID_MARK.encode(), f"bench-{i:09d}".encode())


def build_request(path: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    from jakcheck.knowledge.loader import default_knowledge
    from jakcheck.service.prefetch import observation_key_for

    knowledge = default_knowledge()
    bundle = orjson.loads(path.read_bytes())
    prefetch: dict[str, Any] = {}
    pid = ""
    for e in bundle.get("entry", []):
        r = e.get("resource") or {}
        key = TYPES.get(r.get("resourceType"))
        if key is None:
            continue
        if key == "observations":  # under the search that asks for its code, as an EHR fills the prefetch
            found = observation_key_for(knowledge, r.get("code", {}).get("coding"))
            if found is None:
                continue
            key = found
        if key == "patient":
            prefetch["patient"] = r
            pid = r["id"]
            continue
        prefetch.setdefault(key, {"resourceType": "Bundle", "type": "searchset", "entry": []})["entry"].append(
            {"fullUrl": e.get("fullUrl"), "resource": r})
    order = {"resourceType": "MedicationRequest", "id": "draft-1", "status": "draft", "intent": "order",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                       "code": "1357536", "display": "tofacitinib 5 MG Oral Tablet"}]},
             "subject": {"reference": f"urn:uuid:{pid}"},
             "dosageInstruction": [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                                    "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg",
                                                                      "system": "http://unitsofmeasure.org",
                                                                      "code": "mg"}}]}]}
    return {"hook": "order-select", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/bench", "patientId": pid, "selections": ["MedicationRequest/draft-1"],
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": order}]}},
            "prefetch": prefetch}


APPS = """
import os
from datetime import date
from pathlib import Path

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response


def bare() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        return Response(orjson.dumps(orjson.loads(await request.body())), media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b"{}", media_type="application/json")

    return app


def jakcheck(answer_cache_size: int = 256) -> FastAPI:
    import logging

    from jakcheck.service.run import production_app
    from jakcheck.settings import Settings

    shared = os.environ.get("JAKCHECK_SHARED_STATE_DIR")
    logging.getLogger("jakcheck").setLevel(logging.WARNING)
    return production_app(Settings(insecure_dev=True, feedback_store=os.environ["BENCH_STORE"],
                                   max_request_bytes=50_000_000, service_base_url=os.environ["BENCH_URL"],
                                   answer_cache_size=answer_cache_size),
                          Path(shared) if shared else None, today=lambda: date(2020, 6, 1))


def cold() -> FastAPI:
    return jakcheck()  # as served: the answer cache is on, but every call carries another record
"""
LAUNCH = ("import sys, uvicorn; uvicorn.run(f'bench_apps:{sys.argv[1]}', factory=True, host='127.0.0.1', "
          "port=int(sys.argv[2]), workers=int(sys.argv[3]), log_level='warning', access_log=False)")
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %f %f %f\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""
WRK_COLD_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
local template = f:read("*a")
f:close()
-- the template cut at each mark once, so that a call's body is one concatenation (a gsub would scan the whole
-- template on every call, CPU the client takes from the servers on the same cores)
local pieces, start = {}, 1
while true do
  local i, j = string.find(template, "JAKBENCHPID", start, true)
  if i == nil then
    pieces[#pieces + 1] = string.sub(template, start)
    break
  end
  pieces[#pieces + 1] = string.sub(template, start, i - 1)
  start = j + 1
end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, table.concat(pieces, string.format("bench-%09d", counter)))
end
""" + WRK_DONE
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
""" + WRK_DONE


def start(kind: str, workers: int, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp), str(ROOT / "src")]),
               BENCH_STORE=str(tmp / f"fb-{port}.sqlite3"), BENCH_URL=url)
    env.pop("JAKCHECK_SHARED_STATE_DIR", None)
    if kind in ("jakcheck", "cold") and workers > 1:  # as `jakcheck serve --workers N` does
        shared = tmp / f"shared-{port}"
        shared.mkdir()
        env["JAKCHECK_SHARED_STATE_DIR"] = str(shared)
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, kind, str(port), str(workers)], cwd=tmp, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=0.5, trust_env=False).status_code == 200:
                time.sleep(1.0 if workers > 1 else 0.0)  # let every worker finish starting
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    sys.exit(f"{kind} server did not start")


def run_wrk(url: str, body_file: Path, concurrency: int, seconds: float, script: Path) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                          "-s", str(script), url], env=dict(os.environ, BENCH_BODY=str(body_file)),
                         capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    n, dur_us, errors, status, p50, p95, p99 = (float(x) for x in line.split()[1:])
    return {"n": n, "errors": errors + status, "p50": p50, "p95": p95, "p99": p99, "rps": n / (dur_us / 1e6)}


async def run_httpx(url: str, body: bytes, concurrency: int, max_requests: int, seconds: float,
                    template: bytes | None = None) -> dict[str, float]:
    """`template`: a cold run, every call numbered (`numbered`) so that each carries its own record."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=30, trust_env=False) as client:
        await asyncio.gather(*(client.post(url, content=body, headers=headers) for _ in range(concurrency)))
        started = time.perf_counter()
        stop_at = started + seconds

        async def worker() -> None:
            nonlocal sent, errors
            while sent < max_requests and time.perf_counter() < stop_at:
                sent += 1
                payload = body if template is None else numbered(template, 10_000_000 + sent)
                t0 = time.perf_counter()
                r = await client.post(url, content=payload, headers=headers)
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"n": len(latencies), "errors": errors, "p50": q[49], "p95": q[94], "p99": q[98],
            "rps": len(latencies) / wall}


def check_server(kind: str, url: str, body: bytes) -> str | None:
    """One call, checked; for jakcheck also the report links of several calls (they must resolve on any worker)."""
    r = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=30, trust_env=False)
    if r.status_code != 200:
        return f"{kind}: HTTP {r.status_code}: {r.text[:300]}"
    if kind == "bare":
        return None
    links = []
    for _ in range(8):
        cards = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=30,
                           trust_env=False).json()["cards"]
        links.append(next(lk["url"] for c in cards for lk in c.get("links", []) if "/report/" in lk["url"]))
    ok = sum(httpx.get(u, timeout=30, trust_env=False).status_code == 200 for u in links for _ in range(2))
    if ok != 2 * len(links):
        return f"jakcheck: only {ok} of {2 * len(links)} report-link fetches answered 200"
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patient", type=Path, help="a Synthea patient bundle (default: the median-size one)")
    p.add_argument("--workers", default="1,2", help="uvicorn worker counts to measure, comma-separated")
    p.add_argument("--client", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx")
    p.add_argument("--quick", action="store_true", help="short levels (a smoke run)")
    p.add_argument("--cold-only", action="store_true", help="only the cold server and the bare endpoint")
    args = p.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]
    path = args.patient or pick_patient(0.75)
    req = build_request(path)
    template = cold_template(req)
    body = numbered(template, 0)
    counts = {k: len(v.get("entry", [])) if isinstance(v, dict) and "entry" in v else 1
              for k, v in req["prefetch"].items()}
    load0 = os.getloadavg()
    print(f"patient {path.name[:40]}...: prefetch {len(body) / 1024:.0f} KiB, {counts}")
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; load average "
          f"{load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; client: {args.client}"
          + ("" if args.client == "wrk" else " (in Python: it competes with the servers for CPU; install wrk)"))
    levels = [(c, n // 10, t / 5) for c, n, t in LEVELS] if args.quick else list(LEVELS)
    results: dict[tuple[str, int], dict[int, dict[str, float]]] = {}
    cards_line = ""
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        (tmp / "bench_apps.py").write_text(APPS)
        (tmp / "post.lua").write_text(WRK_SCRIPT)
        (tmp / "post-cold.lua").write_text(WRK_COLD_SCRIPT)
        (tmp / "body.json").write_bytes(body)
        (tmp / "template.json").write_bytes(template)
        kinds = (("jakcheck", "/cds-services/jakcheck-order-select"), ("cold", "/cds-services/jakcheck-order-select"),
                 ("bare", "/echo"))
        for workers in worker_counts:
            for kind, route in kinds[1:] if args.cold_only else kinds:
                proc, url = start(kind, workers, tmp)
                try:
                    problem = check_server(kind, url + route, body)
                    if problem:
                        print(problem)
                        return 1
                    if kind in ("jakcheck", "cold") and not cards_line:
                        cards = httpx.post(url + route, content=body, timeout=30, trust_env=False,
                                           headers={"Content-Type": "application/json"}).json()["cards"]
                        cards_line = "; ".join(f"{c['indicator']}: {c['summary']}" for c in cards)
                    per: dict[int, dict[str, float]] = {}
                    for i, (c, n, t) in enumerate([(16, 1000, WARM_UP / (5 if args.quick else 1)), *levels]):
                        cold_run = kind == "cold"
                        if args.client == "wrk":
                            r = run_wrk(url + route, tmp / ("template.json" if cold_run else "body.json"), c, t,
                                        tmp / ("post-cold.lua" if cold_run else "post.lua"))
                        else:
                            r = asyncio.run(run_httpx(url + route, body, c, n, t,
                                                      template if cold_run else None))
                        if i:
                            per[c] = r
                    results[(kind, workers)] = per
                finally:
                    proc.terminate()
                    proc.wait(15)
    load1 = os.getloadavg()
    print("cards: " + cards_line)
    print("report links from 8 calls each fetched twice: all answered 200 (on any worker)")
    print()
    print(f"{'server':<10}{'workers':>8}{'conc':>6}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'req/s':>9}")
    for (kind, workers), per in results.items():
        for c, r in per.items():
            print(f"{kind:<10}{workers:>8}{c:>6}{r['n']:>10.0f}{r['errors']:>8.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
                  f"{r['p99']:>9.1f}{r['rps']:>9.0f}")
    print()
    for workers in worker_counts:
        bare = results[("bare", workers)]
        for kind, what in (("jakcheck", "as served (repeated calls answered from the answer cache)"),
                           ("cold", "every call another record (no cache can answer)")):
            if (kind, workers) not in results:
                continue
            jak = results[(kind, workers)]
            ratios = ", ".join(f"c{c} {100 * jak[c]['rps'] / bare[c]['rps']:.0f} %" for c in jak)
            print(f"{workers} worker(s), {what}: throughput as a share of the bare parse-and-echo endpoint: "
                  f"{ratios}")
            if 16 in jak:
                p99, ratio16 = jak[16]["p99"], jak[16]["rps"] / bare[16]["rps"]
                print(f"  targets (2 cores): p99 <= 50 ms at concurrency 16: {p99:.1f} ms "
                      f"{'met' if p99 <= 50 else 'NOT met'}; throughput >= 50 % of bare: {100 * ratio16:.0f} % "
                      f"{'met' if ratio16 >= 0.5 else 'NOT met'}")
    print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
