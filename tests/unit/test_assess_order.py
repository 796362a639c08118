"""The engine's answer for ordered drugs (CDS Hooks order-select/order-sign): the clinical decisions stay in the
engine; the service only turns them into cards."""

from __future__ import annotations

import pytest

from jakcheck.engine import assess, assess_order
from jakcheck.errors import InputError
from jakcheck.knowledge.loader import default_knowledge
from tests.builders import PatientBuilder as P


def ra_patient() -> P:
    return P().aged(50).with_condition("rheumatoid-arthritis").screened()


def test_an_ordered_drug_without_authorisation_in_the_region_is_not_recommended() -> None:
    """Filgotinib ordered in the US (no FDA approval): the engine leaves it out of scope, and the order's answer
    still names it, not recommended, with the finding that says why."""
    k, facts = default_knowledge(), ra_patient().build()
    plain = assess(facts, k, region="US", indication="rheumatoid-arthritis", drugs=["filgotinib", "tofacitinib"])
    assert "filgotinib" not in {d.drug for d in plain.drugs}
    order = assess_order(facts, k, region="US", indication="rheumatoid-arthritis",
                         drugs=["filgotinib", "tofacitinib", "filgotinib"])
    drugs = {d.drug: d for d in order.assessment.drugs}
    assert [d.drug for d in order.assessment.drugs] == ["tofacitinib", "filgotinib"]
    assert drugs["filgotinib"].verdict == "not-recommended" and drugs["filgotinib"].dose is None
    assert drugs["filgotinib"].findings == ("indication.not-approved",)
    assert order.assessment.model_copy(update={"drugs": plain.drugs}) == plain


def test_the_usual_start_dose_of_each_ordered_drug() -> None:
    """The label's start dose before any finding adjusts it (a card says "adjusted from the usual ..."); none
    without an indication or without authorisation."""
    k, facts = default_knowledge(), ra_patient().build()
    order = assess_order(facts, k, region="US", indication="rheumatoid-arthritis", drugs=["tofacitinib",
                                                                                         "filgotinib"])
    tofa = order.usual_start["tofacitinib"]
    assert tofa is not None and (tofa.amount, tofa.unit) == (5, "mg")
    assert order.usual_start["filgotinib"] is None
    no_indication = assess_order(P().aged(50).build(), k, region="US", drugs=["tofacitinib"])
    assert no_indication.usual_start == {"tofacitinib": None}


@pytest.mark.parametrize(("kwargs", "field"), [({"indication": "rheumatoid-arthritus"}, "indication"),
                                               ({"drugs": ["tofacitinibb"]}, "drugs")])
def test_engine_errors_name_the_engines_own_arguments(kwargs: dict[str, object], field: str) -> None:
    """The engine names its arguments, not an entry point's options; each entry point translates."""
    with pytest.raises(InputError) as info:
        assess(ra_patient().build(), default_knowledge(), region="EU", **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field and "--" not in str(info.value)
