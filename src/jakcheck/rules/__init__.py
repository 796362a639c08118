"""Rules: one module per clinical topic. ALL_RULES is the order in which they run (output is then sorted)."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

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


@lru_cache(maxsize=64)
def docstrings(module_name: str) -> tuple[str, dict[str, str]]:
    """The docstring of a rule module and of each of its functions, read from its source file: compiled
    modules (jakcheck.native) keep no docstrings at run time."""
    path = Path(__file__).resolve().parent / (module_name.rsplit(".", 1)[-1] + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {node.name: ast.get_docstring(node) or "" for node in tree.body
                 if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    return ast.get_docstring(tree) or "", functions
