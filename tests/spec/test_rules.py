"""Run every spec case through the in-process engine (the reference engine)."""

from __future__ import annotations

import pytest

from jakcheck.engine import assess
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.rules import ALL_RULES
from tests.builders import assert_finding, assert_no_finding
from tests.spec.tables import CASES as PRE_TREATMENT_CASES
from tests.spec.tables import Case
from tests.spec.tables_on_treatment import ON_TREATMENT_CASES

CASES = PRE_TREATMENT_CASES + ON_TREATMENT_CASES


def run(case: Case):  # type: ignore[no-untyped-def]
    return assess(case.patient(), default_knowledge(), region=case.region, indication=case.indication,  # type: ignore[arg-type]
                  drugs=case.drugs)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}:{c.scenario}" for c in CASES])
def test_spec_case(case: Case) -> None:
    result = run(case)
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


def test_every_rule_has_a_case_that_fires_and_one_that_does_not() -> None:
    names = {f"{r.__module__.rsplit('.', 1)[-1]}.{r.__name__}" for r in ALL_RULES}
    fires = {c.rule for c in CASES if c.fires}
    quiet = {c.rule for c in CASES if not c.fires}
    assert names - fires == set(), f"rules without a firing case: {sorted(names - fires)}"
    assert names - quiet == set(), f"rules without a non-firing case: {sorted(names - quiet)}"
