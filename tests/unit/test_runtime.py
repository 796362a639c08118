"""The garbage-collector policy of long-lived processes (jakcheck.runtime), written once for the service and both
screen engines."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from jakcheck import runtime

SRC = Path(__file__).resolve().parents[2] / "src" / "jakcheck"


@pytest.fixture
def collector() -> Iterator[None]:
    """Whatever a test does to the collector is undone afterwards."""
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_batch_gc_freezes_disables_and_collects_the_young_generation_on_schedule(
        collector: None, monkeypatch: pytest.MonkeyPatch) -> None:
    young: list[int] = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda generation=2: young.append(generation) or real_collect(generation))
    gc.enable()
    with runtime.batch_gc(keep_frozen=False) as done:
        assert not gc.isenabled() and gc.get_freeze_count() > 0
        young.clear()
        for _ in range(2 * runtime.YOUNG_COLLECTION_EVERY + 1):
            done()
        assert young == [0, 0]
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_worker_keeps_its_frozen_heap_and_a_disabled_collector_stays_disabled(collector: None) -> None:
    gc.disable()
    with runtime.batch_gc(keep_frozen=True):
        pass
    assert not gc.isenabled() and gc.get_freeze_count() > 0


def test_serving_gc_freezes_and_raises_the_first_threshold(collector: None) -> None:
    runtime.serving_gc()
    assert gc.get_threshold() == runtime.SERVING_THRESHOLDS and gc.get_freeze_count() > 0


def test_no_other_module_drives_the_collector() -> None:
    calls = ("gc.collect(", "gc.freeze(", "gc.unfreeze(", "gc.disable(", "gc.enable(", "gc.set_threshold(")
    users = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                   if p.name != "runtime.py" and any(c in p.read_text(encoding="utf-8") for c in calls))
    assert users == []
