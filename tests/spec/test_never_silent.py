"""The rows of the 2026.11.0 clinical review that were silent: each now gives the label's answer or a
knowledge.not-encoded finding with a verdict of at least caution (never "appropriate, full dose")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from jakcheck.assessment import VERDICT_ORDER
from jakcheck.engine import assess
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.facts import PatientFacts
from tests.builders import PatientBuilder as P


@dataclass(frozen=True)
class Row:
    scenario: str
    patient: Callable[[], PatientFacts]
    region: str
    indication: str
    drug: str
    label_verdicts: tuple[str, ...] = ()  # the label's answer as a verdict, or
    label_dose: tuple[float, str] | None = None  # as a dose


def pt(indication: str, age: int = 50, tnf: bool = False) -> P:
    b = P().aged(age).with_condition(indication).screened().with_lab("creatinine", 0.6, days_ago=1)
    return b.with_med("adalimumab", current=False) if tnf else b


RA, UC, AA, AD = "rheumatoid-arthritis", "ulcerative-colitis", "alopecia-areata", "atopic-dermatitis"
NOT_REC = ("not-recommended", "contraindicated")
ROWS = [
    Row("EU RA tofacitinib, CrCl about 21", lambda: pt(RA).with_lab("creatinine", 3.5, days_ago=0).build(), "EU", RA,
        "tofacitinib", label_dose=(5, "once daily")),
    Row("EU RA tofacitinib, Child-Pugh B", lambda: pt(RA).child_pugh("B").build(), "EU", RA, "tofacitinib",
        label_dose=(5, "once daily")),
    Row("EU RA tofacitinib, lymphocytes 0.6", lambda: pt(RA).with_lab("lymphocytes", 0.6, days_ago=0).build(), "EU",
        RA, "tofacitinib", label_verdicts=("defer",)),
    Row("US UC tofacitinib, CrCl 40", lambda: pt(UC, tnf=True).with_lab("creatinine", 1.85, days_ago=0).build(), "US",
        UC, "tofacitinib", label_dose=(5, "twice daily")),
    Row("US UC tofacitinib, Child-Pugh B", lambda: pt(UC, tnf=True).child_pugh("B").build(), "US", UC, "tofacitinib",
        label_dose=(5, "twice daily")),
    Row("US UC tofacitinib, ketoconazole", lambda: pt(UC, tnf=True).with_med("ketoconazole").build(), "US", UC,
        "tofacitinib", label_dose=(5, "twice daily")),
    Row("US AA baricitinib, eGFR 20", lambda: pt(AA).with_lab("egfr", 20, days_ago=0).build(), "US", AA,
        "baricitinib", label_verdicts=NOT_REC),
    Row("US AD abrocitinib, eGFR 20", lambda: pt(AD).with_lab("egfr", 20, days_ago=0).build(), "US", AD,
        "abrocitinib", label_verdicts=NOT_REC),
    Row("US AD abrocitinib, fluconazole", lambda: pt(AD).with_med("fluconazole").build(), "US", AD, "abrocitinib",
        label_dose=(50, "once daily")),
    Row("US UC upadacitinib, ketoconazole", lambda: pt(UC, tnf=True).with_med("ketoconazole").build(), "US", UC,
        "upadacitinib", label_dose=(30, "once daily")),
    Row("US UC upadacitinib, on dialysis", lambda: pt(UC, tnf=True).on_dialysis().build(), "US", UC, "upadacitinib",
        label_verdicts=NOT_REC),
    Row("US RA tofacitinib, rifampin", lambda: pt(RA, tnf=True).with_med("rifampicin").build(), "US", RA,
        "tofacitinib", label_verdicts=NOT_REC),
    Row("US AA ritlecitinib, rifampin", lambda: pt(AA).with_med("rifampicin").build(), "US", AA, "ritlecitinib",
        label_verdicts=NOT_REC),
    Row("US AD abrocitinib, rifampin", lambda: pt(AD).with_med("rifampicin").build(), "US", AD, "abrocitinib",
        label_verdicts=NOT_REC),
    Row("EU AS tofacitinib: approved, doses not encoded", lambda: pt("ankylosing-spondylitis").build(), "EU",
        "ankylosing-spondylitis", "tofacitinib", label_verdicts=("appropriate",)),
    Row("EU AA baricitinib: approved, not encoded", lambda: pt(AA).build(), "EU", AA, "baricitinib",
        label_verdicts=("appropriate",)),
    Row("EU GCA upadacitinib: approved, not encoded", lambda: pt("giant-cell-arteritis", age=60).build(), "EU",
        "giant-cell-arteritis", "upadacitinib", label_verdicts=("appropriate",)),
    Row("US pcJIA tofacitinib at 10: approved, not encoded", lambda: pt("polyarticular-jia", age=10).build(), "US",
        "polyarticular-jia", "tofacitinib", label_verdicts=("appropriate",)),
    Row("EU AA ritlecitinib, on dialysis", lambda: pt(AA).on_dialysis().build(), "EU", AA, "ritlecitinib",
        label_verdicts=NOT_REC),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.scenario for r in ROWS])
def test_never_silent(row: Row) -> None:
    result = assess(row.patient(), default_knowledge(), region=row.region, indication=row.indication,  # type: ignore[arg-type]
                    drugs=(row.drug,))
    d = next(x for x in result.drugs if x.drug == row.drug)
    label_answer = d.verdict in row.label_verdicts or (
        row.label_dose is not None and d.dose is not None
        and (d.dose.amount, d.dose.frequency) == row.label_dose)
    flagged = "knowledge.not-encoded" in d.findings and VERDICT_ORDER.index(d.verdict) >= VERDICT_ORDER.index(
        "caution")
    assert label_answer or flagged, (f"{row.scenario}: {d.verdict}, dose {d.dose}, findings {d.findings}")
    assert "indication.not-approved" not in d.findings, "not listed is never 'not approved'"
    if "knowledge.not-encoded" in d.findings:
        assert d.verdict in NOT_REC or d.dose is None or d.dose.note, "the dose carries the note"
