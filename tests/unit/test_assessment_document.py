"""The engine builds the Assessment model itself (the one output definition); every surface writes its JSON form
(`Assessment.to_json_dict`). That JSON reads back (`Assessment.from_json_dict`, for published documents) to the
same model and the same bytes; a document with a wrong member is refused; and the parts one assessment shares
with others (source references, missing entries from the knowledge release) cannot be changed through any of
them: no list anywhere in the model, every model frozen, no dictionary shared between two assessments."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from jakcheck.assessment import Assessment, Missing, SourceRef
from jakcheck.engine import assess
from jakcheck.fhir.reader import read_file
from jakcheck.knowledge.loader import default_knowledge
from tests.shared_data import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json")) + sorted((ROOT / "examples" / "on-treatment").glob("*.json"))
SYNTHEA = SHARED_DATA / "synthea-r4-generated-sample-data"
AS_OF = date(2026, 11, 26)


def _assessments(path: Path, as_of: date = AS_OF) -> list[Assessment]:
    k = default_knowledge()
    facts = read_file(path, as_of=as_of, knowledge=k)
    if facts.deceased:  # refused before any assessment is made (tested in tests/unit/test_headline.py)
        return []
    return [assess(facts, k, region=region) for region in ("EU", "US")]


def _round_trips(a: Assessment) -> None:
    doc = a.to_json_dict()
    back = Assessment.from_json_dict(doc)
    assert back == a
    # Equal as Python values is not enough for byte-identical outputs (1 == 1.0): compare the JSON text.
    assert orjson.dumps(back.to_json_dict()) == orjson.dumps(doc)
    assert next(iter(doc)) == "schema"


def _parts(value: object) -> list[object]:
    """Every value inside an assessment (models, tuples, dictionaries and what they hold), depth first."""
    out: list[object] = [value]
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            out += _parts(getattr(value, name))
    elif isinstance(value, tuple | list):
        for v in value:
            out += _parts(v)
    elif isinstance(value, dict):
        for v in value.values():
            out += _parts(v)
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_json_of_every_example_reads_back_to_the_same_model_and_bytes(path: Path) -> None:
    for a in _assessments(path):
        _round_trips(a)


def test_the_json_of_the_shared_synthea_patients_reads_back_to_the_same_model_and_bytes() -> None:
    if not SYNTHEA.is_dir():
        pytest.skip("shared Synthea data (../shared/data) is absent")
    files = sorted(p for p in SYNTHEA.glob("*.json") if not p.name.startswith(("hospital", "practitioner")))
    assert files
    for path in files:
        for as_of in (date(2021, 3, 31), AS_OF):
            for a in _assessments(path, as_of):
                _round_trips(a)


def test_a_document_with_a_wrong_member_is_refused() -> None:
    doc = _assessments(EXAMPLES[0])[0].to_json_dict()
    Assessment.from_json_dict(doc)  # as written: valid
    drugs = doc["drugs"]
    assert isinstance(drugs, list) and isinstance(drugs[0], dict)
    for bad in ({**doc, "extra": 1}, {**doc, "drugs": [{**drugs[0], "verdict": "maybe"}]},
                {**doc, "ready_to_start": "perhaps"}):
        with pytest.raises(ValueError):
            Assessment.from_json_dict(bad)


def test_no_part_of_an_assessment_can_be_changed_and_shared_parts_are_immutable() -> None:
    first, second = (a for p in EXAMPLES[:2] for a in _assessments(p)[:1])
    parts = [_parts(first), _parts(second)]
    for found in parts:
        assert not [p for p in found if isinstance(p, list | set)], "a list or set in the model"
        assert all(type(p).model_config.get("frozen") for p in found if isinstance(p, BaseModel))
    # The references and missing entries of the release are shared between assessments (one object each) ...
    shared = {id(p) for p in parts[0] if isinstance(p, SourceRef | Missing)} & \
        {id(p) for p in parts[1] if isinstance(p, SourceRef | Missing)}
    assert shared
    # ... and nothing can be changed through them, nor through the containers that hold them.
    ref = next(p for p in parts[0] if isinstance(p, SourceRef) and id(p) in shared)
    with pytest.raises(ValidationError):
        ref.title = "changed"  # type: ignore[misc]
    finding = next(f for f in first.findings if f.sources)
    with pytest.raises(AttributeError):
        finding.sources.append(ref)  # type: ignore[attr-defined]
    # The dictionaries of the scores are the assessment's own, never another's.
    dicts = [{id(p) for p in found if isinstance(p, dict)} for found in parts]
    assert not dicts[0] & dicts[1]


def test_the_order_answer_copies_the_assessment_without_changing_it() -> None:
    """assess_order adds an entry per ordered drug left out of scope by a copy (model_copy), not by changing
    the assessment."""
    from jakcheck.engine import assess_order

    k = default_knowledge()
    facts = read_file(EXAMPLES[0], as_of=AS_OF, knowledge=k)
    plain = assess(facts, k, region="US")
    order = assess_order(facts, k, region="US", drugs=["filgotinib"])
    assert isinstance(order.assessment.drugs, tuple)
    assert [d.drug for d in order.assessment.drugs][-1] == "filgotinib"
    assert "filgotinib" not in [d.drug for d in plain.drugs]
    _round_trips(order.assessment)
