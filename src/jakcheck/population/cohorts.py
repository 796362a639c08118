"""Cohorts of a population screen and the order in which patients need action.

* `on-jaki`: the record shows a current JAK (or TYK2) inhibitor on `as_of` - the on-treatment review
  (docs/decisions/0004-on-treatment-mode.md).
* `candidates`: not on one, with an active condition that is an indication of the knowledge release - who is
  ready to start, and what blocks the others.
* `all`: every patient who is not excluded.

A deceased patient, or one whose record cannot be read, is excluded and listed with the reason. The names of
the cohorts are in population.config (COHORTS), which imports no engine.
"""

from __future__ import annotations

from typing import Any

from jakcheck.assessment import BLOCKS_START, STOP_VERDICTS
from jakcheck.engine import candidate_indications
from jakcheck.knowledge.loader import Knowledge
from jakcheck.patient.derived import current_jak_therapy
from jakcheck.patient.facts import PatientFacts

EXCLUDED_DECEASED = "deceased"
EXCLUDED_UNREADABLE = "no usable record"

# The groups of the EMA 2023 measures (Art. 20 referral): 65 or older, current or long-time smokers, other
# cardiovascular risk factors, other malignancy risk factors. The report shows the ages of this group.
EMA_RISK_CODES = frozenset({"risk.age-65-plus", "risk.smoking", "risk.cardiovascular", "risk.malignancy"})


def cohorts_of(facts: PatientFacts, knowledge: Knowledge) -> list[str]:
    """The cohorts a (living, readable) patient belongs to, most specific first, always ending in "all"."""
    if current_jak_therapy(facts, knowledge.drug_ids()) is not None:
        return ["on-jaki", "all"]
    if candidate_indications(facts, knowledge):
        return ["candidates", "all"]
    return ["all"]


def primary(cohorts: list[str]) -> str:
    """The cohort shown in the rows: on-jaki, candidates or other."""
    return cohorts[0] if cohorts and cohorts[0] != "all" else "other"


def action_priority(cohort: str, assessment: dict[str, Any]) -> tuple[int, str]:
    """How urgently a patient needs action (lower first) and why, from the assessment JSON.

    1 on a JAK inhibitor that should be stopped or switched; 2 one to interrupt; 3 on one with overdue
    monitoring or a critical finding; 4 on one that is now only for patients without an alternative;
    5 a candidate ready to start; 6 a candidate blocked by a critical finding; 9 no action stands out."""
    drugs = {d["drug"]: d for d in assessment.get("drugs", [])}
    therapy = assessment.get("current_therapy") or {}
    current = drugs.get(therapy.get("drug", ""))
    critical = [f["code"] for f in assessment.get("findings", []) if f.get("severity") == "critical"]
    overdue = sorted({m["test"] for m in assessment.get("monitoring", []) if m.get("status") == "overdue"})
    if cohort == "on-jaki" and current is not None:
        name = current["drug"]
        if current["verdict"] in STOP_VERDICTS:
            return 1, f"stop or switch {name} ({current['verdict']})"
        if current["verdict"] in BLOCKS_START:  # defer: the stop verdicts are handled above
            return 2, f"interrupt {name} until resolved"
        if overdue:
            return 3, "overdue monitoring: " + ", ".join(overdue)
        if critical:
            return 3, "critical finding on treatment"
        if current["verdict"] == "only-if-no-alternative":
            return 4, f"continue {name} only if no suitable alternative"
        return 9, ""
    if cohort == "candidates":
        if assessment.get("ready_to_start"):
            return 5, "ready to start"
        if critical:
            return 6, "blocked: " + ", ".join(sorted(set(critical))[:3])
    return 9, ""
