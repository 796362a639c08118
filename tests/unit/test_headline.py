"""The answer at a glance: the verdict once the work-up is done (`verdict_when_ready`), one headline per
assessment, who the patient is, and a deceased patient refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from jakcheck.engine import assess
from jakcheck.errors import PatientDeceased
from jakcheck.fhir.mappers.patients import patient_identifiers, patient_name
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.facts import PatientIdentifier
from tests.builders import PatientBuilder


def _ra(age: int) -> PatientBuilder:
    return PatientBuilder().aged(age).with_condition("rheumatoid-arthritis")


def test_open_screening_defers_now_but_the_restriction_shows_when_ready() -> None:
    """A 68-year-old ex-smoker with no TB, hepatitis or blood-count work-up: every drug is deferred now, and
    once the tests come back normal the EMA restriction (age 65+, former smoker) remains."""
    facts = _ra(68).smoking("former").build()
    a = assess(facts, default_knowledge(), region="EU")
    assert {d.verdict for d in a.drugs} == {"defer"}
    assert {d.verdict_when_ready for d in a.drugs} == {"only-if-no-alternative"}
    h = a.headline
    assert h is not None and h.verdict == "only-if-no-alternative"
    assert h.reasons[:2] == ("age 68", "former smoker")
    assert h.open_steps == sum(1 for x in a.actions if x.blocking) >= 4
    assert h.text.startswith("Only if no suitable alternative: age 68, former smoker")
    assert f"work-up: {h.open_steps} steps open" in h.text
    assert a.ready_to_start is False


def test_results_on_record_keep_their_effect_when_ready() -> None:
    """A low lymphocyte count already on record keeps the start deferred after the work-up: only open actions
    lift."""
    facts = _ra(50).screened().with_lab("lymphocytes", 0.3, days_ago=2).build()
    a = assess(facts, default_knowledge(), region="EU", drugs=["tofacitinib"])
    d = a.drugs[0]
    assert d.verdict == d.verdict_when_ready == "defer"
    assert a.headline is not None and a.headline.reasons == ("low lymphocyte count",)


def test_green_only_when_appropriate_and_nothing_open() -> None:
    """A fully screened 50-year-old never-smoker: appropriate, no step open, ready to start."""
    # creatinine 0.6 mg/dL: renal function above 90, so no renal cell of the coverage matrix applies
    a = assess(_ra(50).screened().with_lab("creatinine", 0.6, days_ago=1).build(), default_knowledge(), region="EU")
    h = a.headline
    assert h is not None and (h.verdict, h.open_steps, h.reasons) == ("appropriate", 0, ())
    assert a.ready_to_start is True and h.text.startswith("Appropriate")


def test_on_treatment_asks_continue_and_has_no_readiness() -> None:
    """53 weeks into upadacitinib: no 'ready to start', no verdict when ready, the headline asks continue?"""
    facts = _ra(50).screened().with_med("upadacitinib", mg_per_day=15, days_ago=371).build()
    a = assess(facts, default_knowledge(), region="EU")
    assert a.mode == "on-treatment" and a.ready_to_start is None
    assert all(d.verdict_when_ready is None for d in a.drugs)
    assert a.headline is not None and a.headline.text.startswith("Continue upadacitinib? ")


def test_a_current_drug_not_authorised_in_the_region_leaves_the_headline_to_the_drugs_asked_for() -> None:
    """On filgotinib (no US authorisation) with tofacitinib asked for in the US: the current drug is out of scope,
    so the headline gives tofacitinib's verdict (there is no verdict when ready on treatment), not an error."""
    facts = _ra(50).screened().with_med("filgotinib", mg_per_day=200, days_ago=371).build()
    a = assess(facts, default_knowledge(), region="US", drugs=["tofacitinib"])
    assert a.mode == "on-treatment" and [d.drug for d in a.drugs] == ["tofacitinib"]
    assert a.drugs[0].verdict_when_ready is None
    assert a.headline is not None and a.headline.verdict == a.drugs[0].verdict
    assert a.headline.text.startswith("Not recommended")


def test_several_indications_give_one_headline_each() -> None:
    """RA and psoriatic arthritis both on record, no indication chosen: a headline for each."""
    facts = _ra(50).screened().with_condition("psoriatic-arthritis").build()
    a = assess(facts, default_knowledge(), region="EU")
    assert a.indication is None
    assert [h.indication for h in a.headlines] == ["rheumatoid-arthritis", "psoriatic-arthritis"]
    assert a.headline is not None and "indication not given" in a.headline.text


def test_patient_identity_is_in_the_output_and_an_estimated_birth_date_is_not() -> None:
    facts = replace(_ra(50).build(), name="Ada Example", identifiers=(PatientIdentifier("MRN-1", None, "MRN"),))
    doc = assess(facts, default_knowledge(), region="EU").to_json_dict()
    assert doc["patient"] == {"id": facts.patient_id, "name": "Ada Example",
                              "birth_date": facts.birth_date.isoformat(),  # type: ignore[union-attr]
                              "identifiers": [{"value": "MRN-1", "system": None, "label": "MRN"}],
                              "deceased": False, "age": 50, "sex": facts.sex}
    estimated = replace(facts, birth_date_estimated=True)
    assert assess(estimated, default_knowledge(), region="EU").patient.birth_date is None


def test_reader_takes_the_official_name_and_the_record_number_first() -> None:
    patient = {"name": [{"use": "nickname", "given": ["Annie"]}, {"use": "official", "family": "Example",
                                                                   "given": ["Ann", "B"]}],
               "identifier": [{"system": "urn:ssn", "value": "123", "type": {"coding": [{"code": "SS"}]}},
                              {"system": "urn:mrn", "value": "M-9", "type": {"coding": [{"code": "MR"}]}},
                              {"system": "urn:x"}]}
    assert patient_name(patient) == "Ann B Example"
    assert [i.value for i in patient_identifiers(patient)] == ["M-9", "123"]
    assert patient_identifiers(patient)[0].label == "Medical record number"


def test_a_deceased_patient_is_refused_naming_the_date() -> None:
    facts = replace(_ra(70).build(), deceased=True, deceased_date=date(2025, 3, 1))
    with pytest.raises(PatientDeceased, match="died on 2025-03-01") as exc:
        assess(facts, default_knowledge(), region="EU")
    assert exc.value.exit_code == 2


def test_patient_view_card_uses_the_headline_and_covers_each_indication() -> None:
    """One headline: the card's summary is it, amber unless green; several indications: one line each."""
    from jakcheck.service.cards import CardContext, patient_view_card

    k = default_knowledge()
    one = assess(_ra(68).smoking("former").build(), k, region="EU")
    card = patient_view_card(one, CardContext(knowledge=k))[0].card
    assert one.headline is not None and one.headline.text[:60] in card["summary"]
    assert card["indicator"] == "warning"
    green = assess(_ra(50).screened().with_lab("creatinine", 0.6, days_ago=1).build(), k, region="EU")
    assert patient_view_card(green, CardContext(knowledge=k))[0].card["indicator"] == "info"
    # several indications: one assessment each (as the service makes them), one card with a section each
    facts = _ra(50).screened().with_condition("psoriatic-arthritis").build()
    several = [assess(facts, k, region="EU", indication=i) for i in ("rheumatoid-arthritis", "psoriatic-arthritis")]
    card = patient_view_card(several[0], CardContext(knowledge=k), [(several[1], None)])[0].card
    assert "depends on the indication" in card["summary"]
    for x in several:
        assert x.headline is not None and f"**{x.indication}**: {x.headline.text}" in card["detail"]


def test_a_confirm_step_for_text_only_or_an_unexplained_anticoagulant_is_an_open_step() -> None:
    """A finding known from text only, and an anticoagulant with no recorded reason, defer the start until the
    confirm step is done: once it comes back normal (not active TB; not for a thrombosis) they no longer count."""
    from tests.spec.tables import _text

    k = default_knowledge()
    tb = assess(_text(_ra(50).screened().with_lab("creatinine", 0.6, days_ago=1), "Tuberculosis"), k, region="EU")
    tofa = next(d for d in tb.drugs if d.drug == "tofacitinib")
    assert (tofa.verdict, tofa.verdict_when_ready) == ("defer", "appropriate")
    apixaban = (_ra(50).screened().with_lab("creatinine", 0.6, days_ago=1).with_med("adalimumab", current=False)
                .with_med("apixaban").build())
    us = assess(apixaban, k, region="US", drugs=("upadacitinib",))
    upa = next(d for d in us.drugs if d.drug == "upadacitinib")
    assert upa.verdict == "defer" and "thrombosis.anticoagulant-confirm" in upa.findings
    assert upa.verdict_when_ready != "defer"
