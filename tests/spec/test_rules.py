"""Run every spec case through every engine: in-process `assess` (the reference), the local screen and the Spark
screen (tests/spec/engines.py). On a screen, a row's assessment document must be byte-identical to the in-process
document of the same written record, and meet the row's expectations."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from jakcheck.assessment import Assessment
from jakcheck.engine import assess
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.rules import ALL_RULES
from tests.builders import assert_finding, assert_no_finding
from tests.records import not_exact
from tests.spec.engines import SCREEN_ENGINES, record_document, row_id, screen_reason
from tests.spec.tables import CASES as PRE_TREATMENT_CASES
from tests.spec.tables import Case
from tests.spec.tables_on_treatment import ON_TREATMENT_CASES

CASES = PRE_TREATMENT_CASES + ON_TREATMENT_CASES


def run(case: Case):  # type: ignore[no-untyped-def]
    return assess(case.patient(), default_knowledge(), region=case.region, indication=case.indication,  # type: ignore[arg-type]
                  drugs=case.drugs)


def check_expectations(case: Case, result: Assessment) -> None:
    """The row's expected findings, verdict and dose."""
    if case.fires:
        assert_finding(result, case.code, case.for_drug)
    else:
        assert_no_finding(result, case.code, case.for_drug)
    for code in case.also_absent:
        assert_no_finding(result, code)
    if case.verdict:
        drug, expected = case.verdict
        got = next(d.verdict for d in result.drugs if d.drug == drug)
        assert got == expected, f"{drug}: verdict {got}, expected {expected}"
    if case.dose:
        drug, amount, freq = case.dose
        d = next(d for d in result.drugs if d.drug == drug)
        assert d.dose is not None, f"{drug}: no dose"
        assert (d.dose.amount, d.dose.frequency) == (amount, freq)


def run_on(case: Case, engine: str, screened: dict[str, dict[str, Any]]) -> Assessment:
    """The row's assessment from `engine`. On a screen: byte-identical to the in-process document of the same
    written record. A record that is not exact (tests.records.not_exact) runs when it still meets the row's
    expectations in-process; otherwise the row is in-process only, with the reasons."""
    if engine not in SCREEN_ENGINES:
        return run(case)  # type: ignore[no-any-return]
    reason = screen_reason(case)
    if reason is not None:
        pytest.skip(f"in-process only: {reason}")
    pid = row_id(CASES.index(case))
    expected = record_document(case, pid)
    inexact = not_exact(case.patient())
    if inexact:
        try:
            check_expectations(case, Assessment.from_json_dict(expected))
        except AssertionError:
            pytest.skip("in-process only: the written record is not exact (" + "; ".join(inexact)
                        + ") and does not meet the row's expectations")
    assert pid in screened, f"the {engine} assessed no patient {pid}"
    doc = screened[pid]
    assert orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) == orjson.dumps(expected, option=orjson.OPT_SORT_KEYS), \
        f"{engine}: the assessment document differs from the in-process one of the same record in " \
        f"{sorted(k for k in expected.keys() | doc.keys() if doc.get(k) != expected.get(k))}"
    return Assessment.from_json_dict(doc)


# PySpark leaves its loopback sockets to the garbage collector (ResourceWarning under -W error).
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}:{c.scenario}" for c in CASES])
def test_spec_case(case: Case, engine: str, screened: dict[str, dict[str, Any]]) -> None:
    check_expectations(case, run_on(case, engine, screened))


def test_every_rule_has_a_case_that_fires_and_one_that_does_not() -> None:
    names = {f"{r.__module__.rsplit('.', 1)[-1]}.{r.__name__}" for r in ALL_RULES}
    fires = {c.rule for c in CASES if c.fires}
    quiet = {c.rule for c in CASES if not c.fires}
    assert names - fires == set(), f"rules without a firing case: {sorted(names - fires)}"
    assert names - quiet == set(), f"rules without a non-firing case: {sorted(names - quiet)}"
