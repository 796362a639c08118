from pathlib import Path

from tests.spec.rules_doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_rules_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "docs/rules.md is stale: run `make docs`"
