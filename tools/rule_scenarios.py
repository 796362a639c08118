"""Write src/jakcheck/service/static/rule-scenarios.json: the spec scenarios the web app's rule pages show.

The installed package cannot import the spec tables (they live with the tests), so their scenarios ship as a
static file, generated from the same tables as docs/rules.md. `make docs` runs `python -m tools.rule_scenarios`;
a test (tests/service/test_web_knowledge.py) fails when the shipped file is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.spec.rules_doc import CASES  # every spec table docs/rules.md is built from

TARGET = Path(__file__).resolve().parents[1] / "src" / "jakcheck" / "service" / "static" / "rule-scenarios.json"


def scenarios_document() -> dict[str, Any]:
    rules: dict[str, list[dict[str, Any]]] = {}
    for c in CASES:
        rules.setdefault(c.rule, []).append(
            {"scenario": c.scenario, "region": c.region, "code": c.code, "fires": c.fires})
    return {"generated_from": "tests/spec (the tables of docs/rules.md)", "rules": rules}


def render_scenarios() -> str:
    return json.dumps(scenarios_document(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    TARGET.write_text(render_scenarios(), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
