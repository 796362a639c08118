"""Generate docs/rules.md from the rules' docstrings and the spec tables (`make docs`)."""

from __future__ import annotations

import inspect

from jakcheck.knowledge.loader import default_knowledge
from jakcheck.rules import MODULES
from jakcheck.rules import text_only as text_only_rules
from tests.spec.tables import CASES as PRE_TREATMENT_CASES
from tests.spec.tables_on_treatment import ON_TREATMENT_CASES

CASES = PRE_TREATMENT_CASES + ON_TREATMENT_CASES


def render() -> str:
    k = default_knowledge()
    out = [
        "# jakcheck rules",
        "",
        f"Knowledge release {k.release.version} ({k.release.date}). Generated from the rule docstrings and the spec",
        "tables in `tests/spec/tables.py` by `make docs`; a test fails when this file is out of date.",
        "Each rule lists the patients for whom it fires (yes) and narrowly does not (no). Drug-specific numbers",
        "(thresholds, bands, doses) are in the knowledge files: see `jakcheck kb show DRUG`.",
        "",
    ]
    for module in MODULES:
        name = module.__name__.rsplit(".", 1)[-1]
        out += [f"## {name}", "", inspect.cleandoc(module.__doc__ or ""), ""]
        for rule in module.RULES:
            rid = f"{name}.{rule.__name__}"
            out += [f"### `{rid}`", "", inspect.cleandoc(rule.__doc__ or "(no description)"), ""]
            cases = [c for c in CASES if c.rule == rid]
            if cases:
                out += ["| scenario | region | finding | fires |", "|---|---|---|---|"]
                for c in cases:
                    out.append(f"| {c.scenario} | {c.region} | `{c.code}` | {'yes' if c.fires else 'no'} |")
                out.append("")
    text_only = [c for c in CASES if c.rule.startswith("text_only.")]
    out += ["## text_only: findings known from free text only", "", (text_only_rules.__doc__ or "").strip(), "",
            "| scenario | region | finding | fires |", "|---|---|---|---|"]
    out += [f"| {c.scenario} | {c.region} | `{c.code}` | {'yes' if c.fires else 'no'} |" for c in text_only]
    out.append("")
    scope = [c for c in CASES if c.rule.startswith("engine.")]
    out += ["## engine: indication and drug scope", "",
            "Drugs not approved for the indication in the region are left out unless asked for with `--drug`.", "",
            "| scenario | region | finding | fires |", "|---|---|---|---|"]
    out += [f"| {c.scenario} | {c.region} | `{c.code}` | {'yes' if c.fires else 'no'} |" for c in scope]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
