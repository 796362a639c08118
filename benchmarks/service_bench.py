"""Benchmark the CDS Hooks service on loopback: order-select with a realistic prefetch (a Synthea patient).

Usage: `make bench-service` or `.venv/bin/python benchmarks/service_bench.py [--patient FILE] [--quick]`.

Two servers are measured the same way, one after the other, each in its own uvicorn process on 127.0.0.1 (one
worker): the jakcheck app (insecure-dev mode, so no JWT signing is needed by the client; JWT verification
costs about 0.2 ms more per call) and a bare FastAPI app whose one endpoint only parses the same payload and
echoes it. The client (httpx, asyncio) runs N concurrent callers, concurrency 1, 16 and 64, each level bounded
by a request count and a time budget. It prints p50/p95/p99 latency and throughput per level and the ratio of
jakcheck's throughput to the bare endpoint's. Targets on 2 cores: p99 <= 50 ms at concurrency 16, throughput
>= 50 % of the bare endpoint.

The prefetch holds what the discovery templates ask for: the Patient, Conditions, Observations with the LOINC
codes the rules read, MedicationRequests and Immunizations of one Synthea patient (../shared/data).
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
LEVELS = ((1, 300), (16, 1500), (64, 2000))  # (concurrency, max requests)
TIME_BUDGET = 30.0  # seconds per level
TYPES = {"Patient": "patient", "Condition": "conditions", "Observation": "observations",
         "MedicationRequest": "medications", "Immunization": "immunizations"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pick_patient() -> Path:
    folder = SHARED / "synthea-r4-generated-sample-data"
    files = sorted(p for p in folder.glob("*.json") if not p.name.startswith(("hospital", "practitioner")))
    if not files:
        sys.exit(f"no Synthea data under {folder}")
    # A mid-sized record (the median by file size): realistic, not the extreme.
    return sorted(files, key=lambda p: p.stat().st_size)[len(files) // 2]


def build_request(path: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    from jakcheck.knowledge.loader import default_knowledge
    from jakcheck.service.prefetch import observation_codes

    codes = set(observation_codes(default_knowledge()))
    bundle = orjson.loads(path.read_bytes())
    prefetch: dict[str, Any] = {}
    pid = ""
    for e in bundle.get("entry", []):
        r = e.get("resource") or {}
        key = TYPES.get(r.get("resourceType"))
        if key is None:
            continue
        if key == "observations" and not any(c.get("system") == "http://loinc.org" and c.get("code") in codes
                                             for c in r.get("code", {}).get("coding", [])):
            continue
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


SERVER = """
import sys, orjson, uvicorn, logging
from datetime import date
from fastapi import FastAPI, Request
from fastapi.responses import Response
kind, port, store = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kind == "bare":
    app = FastAPI()
    @app.post("/echo")
    async def echo(request: Request) -> Response:
        return Response(orjson.dumps(orjson.loads(await request.body())), media_type="application/json")
else:
    from jakcheck.service.app import create_app
    from jakcheck.settings import Settings
    app = create_app(Settings(insecure_dev=True, feedback_store=store, max_request_bytes=50_000_000,
                              service_base_url=f"http://127.0.0.1:{port}"), today=lambda: date(2020, 6, 1))
    logging.getLogger("jakcheck").setLevel(logging.WARNING)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def start(kind: str, store: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, kind, str(port), store], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz" if kind != "bare" else f"{url}/docs", timeout=0.5)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"{kind} server did not start")


async def run_level(url: str, body: bytes, concurrency: int, max_requests: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30, trust_env=False) as client:
        # Warm-up: one request per connection.
        await asyncio.gather(*(client.post(url, content=body, headers={"Content-Type": "application/json"})
                               for _ in range(concurrency)))
        started = time.perf_counter()
        stop_at = started + TIME_BUDGET

        async def worker() -> None:
            nonlocal sent, errors
            while sent < max_requests and time.perf_counter() < stop_at:
                sent += 1
                t0 = time.perf_counter()
                r = await client.post(url, content=body, headers={"Content-Type": "application/json"})
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"n": len(latencies), "errors": errors, "p50": q[49], "p95": q[94], "p99": q[98],
            "rps": len(latencies) / wall}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patient", type=Path, help="a Synthea patient bundle (default: the median-size one)")
    p.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    args = p.parse_args()
    path = args.patient or pick_patient()
    req = build_request(path)
    body = orjson.dumps(req)
    counts = {k: len(v.get("entry", [])) if isinstance(v, dict) and "entry" in v else 1
              for k, v in req["prefetch"].items()}
    print(f"patient {path.name[:40]}...: prefetch {len(body) / 1024:.0f} KiB, {counts}")
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; one uvicorn worker per server")
    levels = tuple((c, n // 10) for c, n in LEVELS) if args.quick else LEVELS
    results: dict[str, dict[int, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, path_ in (("jakcheck", "/cds-services/jakcheck-order-select"), ("bare", "/echo")):
            proc, url = start(kind, str(Path(tmp) / "fb.sqlite3"))
            try:
                check = httpx.post(url + path_, content=body, headers={"Content-Type": "application/json"},
                                   timeout=30)
                if check.status_code != 200:
                    print(f"{kind}: HTTP {check.status_code}: {check.text[:300]}")
                    return 1
                if kind == "jakcheck":
                    cards = check.json()["cards"]
                    print("cards: " + "; ".join(f"{c['indicator']}: {c['summary']}" for c in cards))
                results[kind] = {}
                for c, n in levels:
                    results[kind][c] = asyncio.run(run_level(url + path_, body, c, n))
            finally:
                proc.terminate()
                proc.wait(10)
    print()
    print(f"{'server':<10}{'conc':>5}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'req/s':>9}")
    for kind, per in results.items():
        for c, r in per.items():
            print(f"{kind:<10}{c:>5}{r['n']:>10.0f}{r['errors']:>8.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
                  f"{r['rps']:>9.0f}")
    print()
    for c in results["jakcheck"]:
        ratio = results["jakcheck"][c]["rps"] / results["bare"][c]["rps"]
        print(f"concurrency {c:>2}: jakcheck throughput = {100 * ratio:.0f} % of the bare parse-and-echo endpoint")
    p99 = results["jakcheck"].get(16, {}).get("p99")
    if p99 is not None:
        ratio16 = results["jakcheck"][16]["rps"] / results["bare"][16]["rps"]
        print(f"targets (2 cores): p99 <= 50 ms at concurrency 16: {p99:.1f} ms "
              f"{'met' if p99 <= 50 else 'NOT met'}; throughput >= 50 % of bare: {100 * ratio16:.0f} % "
              f"{'met' if ratio16 >= 0.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
