"""Values reported as bounds ("< 0.5", "> 90"): used only where the bound settles every threshold compared."""

from __future__ import annotations

from datetime import date

import pytest

from jakcheck.engine import assess
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.derived import is_below, settles
from jakcheck.patient.facts import LabValue
from tests.builders import assert_finding, assert_no_finding
from tests.spec.tables import ra

KB = default_knowledge()


def _lab(value: float, comparator: str | None) -> LabValue:
    return LabValue("lymphocytes", value, "10*9/L", date(2026, 11, 1), "Observation/x",
                    f"{comparator or ''}{value}", comparator=comparator)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "comparator", "threshold", "expected"), [
    (0.5, "<", 0.5, True), (0.5, "<", 0.75, True), (0.5, "<", 0.4, None),
    (0.5, "<=", 0.5, None), (0.5, "<=", 0.51, True),
    (90, ">", 90, False), (90, ">", 60, False), (90, ">", 95, None),
    (90, ">=", 90, None), (90, ">=", 89, False),
    (0.4, None, 0.5, True), (0.5, None, 0.5, False),
])
def test_a_bound_is_below_a_threshold_only_when_it_settles_it(value: float, comparator: str | None,
                                                              threshold: float, expected: bool | None) -> None:
    assert is_below(_lab(value, comparator), threshold) is expected


def test_settles_needs_every_threshold_and_at_least_one() -> None:
    assert settles(_lab(0.5, "<"), [0.5, 0.75])
    assert not settles(_lab(0.6, "<"), [0.5, 0.75])
    assert not settles(_lab(0.5, "<"), [])  # nothing compares it: not used
    assert settles(_lab(0.6, None), [])


def test_a_bound_below_every_start_threshold_defers_every_drug_with_the_bound_shown() -> None:
    facts = ra().screened().with_lab("lymphocytes", 0.5, days_ago=1, comparator="<").build()
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    [f] = [f for f in result.findings if f.code == "lab.lymphopenia"]
    assert "<0.5" in f.summary
    assert {d.drug for d in result.drugs if d.verdict == "defer"} >= {"tofacitinib", "baricitinib", "upadacitinib"}
    assert_no_finding(result, "data.unusable-value")
    assert_no_finding(result, "lab.cbc-missing")


def test_a_bound_that_does_not_settle_is_set_aside_with_the_reason() -> None:
    facts = ra().screened().with_lab("lymphocytes", 0.6, days_ago=1, comparator="<").build()
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    assert_no_finding(result, "lab.lymphopenia")
    [u] = [f for f in result.findings if f.code == "data.unusable-value"]
    assert "<0.6" in u.summary and "does not settle the start threshold(s) 0.5, 0.75" in u.summary


def test_a_bound_alone_that_does_not_settle_leaves_the_count_missing() -> None:
    facts = ra().screened().build()
    from dataclasses import replace
    facts = replace(facts, labs=tuple(lab for lab in facts.labs if lab.concept != "lymphocytes"))
    bound = ra().with_lab("lymphocytes", 2.0, days_ago=1, comparator=">").build().labs
    facts = replace(facts, labs=facts.labs + bound)
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    # "> 2.0" is above every start threshold: the count is known and normal.
    assert_no_finding(result, "lab.cbc-missing")
    assert_no_finding(result, "lab.lymphopenia")
    low = replace(facts, labs=tuple(lab for lab in facts.labs if lab.concept != "lymphocytes")
                  + ra().with_lab("lymphocytes", 0.6, days_ago=1, comparator=">").build().labs)
    result = assess(low, KB, region="EU", indication="rheumatoid-arthritis")
    assert_finding(result, "lab.cbc-missing")  # "> 0.6" does not settle 0.75: unknown, never normal
    assert_finding(result, "data.unusable-value")


def _egfr(value: float, comparator: str) -> object:
    return (ra().screened().with_lab("egfr", value, days_ago=1, comparator=comparator).build())


def test_egfr_above_90_settles_every_band_and_is_shown_as_recorded() -> None:
    result = assess(_egfr(90, ">"), KB, region="EU", indication="rheumatoid-arthritis")  # type: ignore[arg-type]
    assert not [f for f in result.findings if f.code.startswith("renal.") or f.code == "data.unusable-value"]
    low = assess(_egfr(15, "<"), KB, region="US", indication="rheumatoid-arthritis")  # type: ignore[arg-type]
    shown = [f.summary for f in low.findings if f.code.startswith("renal.")]
    assert shown and all("eGFR <15" in s for s in shown if "eGFR" in s)


def test_an_egfr_bound_that_does_not_settle_names_the_band_edges() -> None:
    result = assess(_egfr(50, ">"), KB, region="EU", indication="rheumatoid-arthritis")  # type: ignore[arg-type]
    [u] = [f for f in result.findings if f.code == "data.unusable-value"]
    assert ">50" in u.summary and "does not settle every renal band edge" in u.summary and "60" in u.summary


def test_on_treatment_a_bound_is_never_silent() -> None:
    from tests.spec.tables_on_treatment import ra_on

    facts = ra_on("tofacitinib").with_lab("lymphocytes", 0.5, days_ago=1, comparator="<").build()
    for drugs in ((), ("tofacitinib", "baricitinib")):
        result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis", drugs=drugs)
        assert any("<0.5" in f.summary for f in result.findings if f.code == "data.unusable-value")
