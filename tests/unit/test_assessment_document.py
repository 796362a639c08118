"""The engine writes the assessment as its published JSON document (engine.assess_document), which the population
screen takes as it is; everywhere else it is validated into the Assessment model (engine.assess). The document
must be exactly the model's own JSON form: same members, order, types and values, byte for byte."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from jakcheck.assessment import Assessment
from jakcheck.engine import assess_document
from jakcheck.fhir.reader import read_file
from jakcheck.knowledge.loader import default_knowledge
from tests.shared_data import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json")) + sorted((ROOT / "examples" / "on-treatment").glob("*.json"))
SYNTHEA = SHARED_DATA / "synthea-r4-generated-sample-data"


def _check(path: Path, as_of: date) -> None:
    k = default_knowledge()
    facts = read_file(path, as_of=as_of, knowledge=k)
    if facts.deceased:  # refused before any document is made (tested in tests/unit/test_headline.py)
        return
    for region in ("EU", "US"):
        doc = assess_document(facts, k, region=region)
        model = Assessment.from_json_dict(doc)
        assert model.to_json_dict() == doc, (path.name, region)
        # Equal as Python values is not enough for byte-identical outputs (1 == 1.0): compare the JSON text.
        assert orjson.dumps(model.to_json_dict()) == orjson.dumps(doc), (path.name, region)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_document_is_the_models_json_form_for_every_example(path: Path) -> None:
    _check(path, date(2026, 11, 26))


def test_the_document_is_the_models_json_form_for_the_shared_synthea_patients() -> None:
    if not SYNTHEA.is_dir():
        pytest.skip("shared Synthea data (../shared/data) is absent")
    files = sorted(p for p in SYNTHEA.glob("*.json") if not p.name.startswith(("hospital", "practitioner")))
    assert files
    for path in files:
        for as_of in (date(2021, 3, 31), date(2026, 11, 26)):
            _check(path, as_of)


def test_a_document_with_a_wrong_member_is_refused() -> None:
    k = default_knowledge()
    facts = read_file(EXAMPLES[0], as_of=date(2026, 11, 26), knowledge=k)
    doc = assess_document(facts, k, region="EU")
    Assessment.from_json_dict(doc)  # as written: valid
    for bad in ({**doc, "extra": 1}, {**doc, "drugs": [{**doc["drugs"][0], "verdict": "maybe"}]},
                {**doc, "ready_to_start": "perhaps"}):
        with pytest.raises(ValueError):
            Assessment.from_json_dict(bad)
