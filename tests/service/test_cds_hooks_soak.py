"""Soak: a few thousand mixed requests in-process; nothing errors and memory does not grow."""

from __future__ import annotations

import gc
import os
from dataclasses import replace

import psutil

from jakcheck.settings import Settings
from tests.service.conftest import client_for
from tests.service.hookdata import draft_order, hook_request, load, prefetch_of

ROUNDS = int(os.environ.get("JAKCHECK_SOAK_ROUNDS", "700"))  # x4 requests


def test_soak_thousands_of_requests(settings: Settings) -> None:
    bundle = load("ra-71-smoker-eu.json")
    select = hook_request("order-select", bundle, [draft_order("baricitinib", "ra-71-smoker", mg=4)])
    view = hook_request("patient-view", bundle)
    small = prefetch_of(bundle, ("patient", "conditions"))
    proc = psutil.Process()
    statuses: dict[int, int] = {}
    with client_for(replace(settings, insecure_dev=True, report_cache_size=50)) as c:
        def burst(n: int) -> None:
            for i in range(n):
                for r in (c.post("/cds-services/jakcheck-order-select", json=select),
                          c.post("/cds-services/jakcheck-patient-view", json=view),
                          c.post("/api/assess", json=small),
                          c.get("/healthz") if i % 2 else c.post("/cds-services/jakcheck-order-sign", json={})):
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        burst(ROUNDS // 4)  # warm-up: caches, report cache filled, allocator settled
        gc.collect()
        before = proc.memory_info().rss
        burst(ROUNDS - ROUNDS // 4)
        gc.collect()
        after = proc.memory_info().rss
    assert set(statuses) <= {200, 400}, statuses
    assert statuses[200] >= ROUNDS * 3
    growth_mb = (after - before) / 2**20
    assert growth_mb < 15, f"RSS grew {growth_mb:.1f} MiB over {ROUNDS * 3} requests"
