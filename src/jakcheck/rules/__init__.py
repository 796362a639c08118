"""Rules: one module per clinical topic. ALL_RULES is the order in which they run (output is then sorted)."""

from __future__ import annotations

from jakcheck.rules import (
    cancer,
    cardiovascular,
    data_quality,
    hepatitis,
    infection,
    interactions,
    knowledge_coverage,
    labs,
    monitoring,
    on_treatment,
    regulatory,
    renal_hepatic,
    reproductive,
    review,
    scores,
    stop_avoid,
    tuberculosis,
    vaccination,
)
from jakcheck.rules.base import Rule

MODULES = (regulatory, cardiovascular, stop_avoid, cancer, infection, scores, tuberculosis, hepatitis, vaccination,
           labs, renal_hepatic, interactions, reproductive, knowledge_coverage, data_quality, monitoring, on_treatment,
           review)
ALL_RULES: tuple[Rule, ...] = tuple(r for m in MODULES for r in m.RULES)

