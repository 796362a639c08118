"""The look-ups derived from a knowledge release are named and typed, owned by the release (Knowledge.derived) or,
for the FHIR reader, kept per release (fhir.coding.ReaderCaches); no memo under string keys is left."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jakcheck.assessment import SourceRef
from jakcheck.fhir.coding import ReaderCaches, reader_caches
from jakcheck.fhir.reader import read_file
from jakcheck.knowledge.derived import DerivedKnowledge
from jakcheck.knowledge.loader import Knowledge, default_knowledge, load_knowledge
from jakcheck.knowledge.schema import Cite
from jakcheck.rules.base import Context
from tests.builders import PatientBuilder

ROOT = Path(__file__).resolve().parents[2]


def test_the_release_has_no_string_keyed_memo_and_neither_has_the_rule_context() -> None:
    assert "memo" not in Knowledge.__dataclass_fields__
    assert "memo" not in Context.__dataclass_fields__


def test_label_citations_and_thresholds_are_built_at_load() -> None:
    k = default_knowledge()
    assert "derived" in vars(k)  # made by load_knowledge, not on first use
    d = k.derived
    assert isinstance(d, DerivedKnowledge)
    lab = k.label("tofacitinib", "EU")
    assert lab is not None
    assert d.label_cite("tofacitinib", "EU") == Cite(source=lab.label_source)
    with pytest.raises(KeyError):
        d.label_cite("no-such-drug", "EU")
    expected = sorted(t.below for dr in k.drugs.values() for r in dr.regions.values() for t in r.labs
                      if t.analyte == "lymphocytes" and t.below is not None and t.action != "do-not-initiate")
    assert sorted(d.threshold_limits[("lymphocytes", True)]) == expected


def test_a_source_reference_is_made_once_per_release_and_is_frozen() -> None:
    d = default_knowledge().derived
    cite = Cite(source="ema-jaki-referral-2023")
    ref = d.source_ref(cite)
    assert isinstance(ref, SourceRef) and d.source_ref(Cite(source="ema-jaki-referral-2023")) is ref
    assert d.source_refs([cite, cite]) == (ref,)
    with pytest.raises(KeyError, match="unknown source"):
        d.source_ref(Cite(source="no-such-source"))


def test_a_monitoring_plan_is_shared_and_immutable() -> None:
    d = default_knowledge().derived
    plan = d.monitoring_plan("EU", ("tofacitinib", "baricitinib"))
    assert plan and d.monitoring_plan("EU", ("tofacitinib", "baricitinib")) is plan
    assert all(isinstance(p.drugs, tuple) and isinstance(p.sources, tuple) for p in plan)


def test_the_readers_caches_serve_every_record_of_a_release_and_only_that_release() -> None:
    k = default_knowledge()
    read_file(ROOT / "examples" / "ra-71-smoker-eu.json", as_of=date(2026, 11, 26), knowledge=k)
    caches = reader_caches(k)
    assert isinstance(caches, ReaderCaches) and caches.code
    assert reader_caches(k) is caches
    other = load_knowledge()
    assert reader_caches(other) is not caches


def test_scores_are_computed_once_per_context(monkeypatch: pytest.MonkeyPatch) -> None:
    from jakcheck.rules import scores

    calls: list[int] = []
    real = scores.compute_scores

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scores, "compute_scores", counted)
    facts = PatientBuilder().aged(62).with_condition("rheumatoid-arthritis").smoking("current").build()
    ctx = Context(facts=facts, knowledge=default_knowledge(), region="EU", indication="rheumatoid-arthritis",
                  drugs=("tofacitinib",))
    first = ctx.scores
    assert ctx.scores is first and len(calls) == 1 and first
