"""The service benchmark's cold mode: every call carries another record, so no answer cache can serve it."""

from __future__ import annotations

import importlib.util
import logging
import re
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from jakcheck.service.answers import answer_key
from tests.service.conftest import client_for
from tests.service.hookdata import load

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("service_bench", ROOT / "benchmarks" / "service_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _bench()


@pytest.fixture(scope="module")
def template(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    # an example bundle in the shape the benchmark reads (Synthea: entries with fullUrl)
    path = tmp_path_factory.mktemp("bench") / "patient.json"
    path.write_bytes(orjson.dumps(load("ra-71-smoker-eu.json")))
    return bench.cold_template(bench.build_request(path))  # type: ignore[no-any-return]


def _key(body: bytes) -> bytes:
    req: dict[str, Any] = orjson.loads(body)
    return answer_key("jakcheck-order-select", ("", ""), req["context"], req["prefetch"], [], date(2020, 6, 1),
                      "release")


def test_each_cold_call_is_another_record(bench: ModuleType, template: bytes) -> None:
    bodies = [bench.numbered(template, i) for i in range(1, 6)]
    assert len({_key(b) for b in bodies}) == 5  # the answer cache's key differs for every call
    for i, b in enumerate(bodies, 1):
        req = orjson.loads(b)
        pid = f"bench-{i:09d}"
        assert req["context"]["patientId"] == pid and req["prefetch"]["patient"]["id"] == pid
        assert bench.PID_MARK.encode() not in b
    # the wrk script numbers its calls the same way
    assert bench.PID_MARK in bench.WRK_COLD_SCRIPT and 'string.format("bench-%09d", counter)' in \
        bench.WRK_COLD_SCRIPT


def test_the_service_assesses_every_cold_call(bench: ModuleType, template: bytes, settings: Any,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """Posted to the service with its answer cache on, no numbered call is answered from the cache."""
    from dataclasses import replace

    caplog.set_level(logging.INFO, logger="jakcheck.service.hooks")
    with client_for(replace(settings, insecure_dev=True)) as c:
        for i in (1, 2, 3, 1):
            r = c.post("/cds-services/jakcheck-order-select", content=bench.numbered(template, i),
                       headers={"Content-Type": "application/json"})
            assert r.status_code == 200 and r.json()["cards"]
    lines = [r.getMessage() for r in caplog.records if "cds-service" in r.getMessage()]
    assert sum("same content as a recent call" in m for m in lines) == 1  # only the repeated record 1
    assert sum(m.endswith(" ms") and ": assessed," in m for m in lines) == 3


def test_the_cold_call_profile_runs_on_a_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/service_profile.py: the cold body through the production app, CPU per call and the profile
    (figures are printed, not checked)."""
    path = tmp_path / "patient.json"
    path.write_bytes(orjson.dumps(load("ra-71-smoker-eu.json")))
    spec = importlib.util.spec_from_file_location("service_profile", ROOT / "benchmarks" / "service_profile.py")
    assert spec is not None and spec.loader is not None
    profile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(profile)
    monkeypatch.setattr("sys.argv", ["service_profile", "--patient", str(path), "--calls", "50", "--shared",
                                     "--top", "5"])
    assert profile.main() == 0
    out = capsys.readouterr().out
    assert "report cache shared (SQLite)" in out and "CPU per cold call, no profiler:" in out
    modules, functions = out.split("own time by module")[1].split("functions by own time:")
    rows = [ln for ln in (modules + functions).splitlines() if re.match(r"^\s+[\d.]+ %\s+[\d.]+ ms", ln)]
    assert len(rows) == 10  # --top 5 of each
