"""patient-view: one card for every patient with an approved-use indication; with several indications on record,
one section for each (or only the site's choice, naming the others)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from jakcheck.errors import ConfigError
from jakcheck.settings import Settings
from tests.service.conformance import check_response
from tests.service.conftest import BASE, TokenFactory, auth, client_for
from tests.service.hookdata import hook_request

SNOMED = "http://snomed.info/sct"
URL = "/cds-services/jakcheck-patient-view"


def _condition(cid: str, code: str, display: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
            "onsetDateTime": "2019-03-01"}


def _request(*conditions: dict[str, Any]) -> dict[str, Any]:
    return hook_request("patient-view", None, pid="p1", prefetch={
        "patient": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1984-02-10"},
        "conditions": {"resourceType": "Bundle", "type": "searchset",
                       "entry": [{"resource": c} for c in conditions]},
        "observations": None, "medications": None, "immunizations": None})


RA = _condition("ra", "69896004", "Rheumatoid arthritis")
AD = _condition("ad", "24079001", "Atopic dermatitis")


def _cards(client: TestClient, make_token: TokenFactory, req: dict[str, Any]) -> list[dict[str, Any]]:
    r = client.post(URL, json=req, headers=auth(make_token(aud=f"{BASE}{URL}")))
    assert r.status_code == 200
    check_response(r.json())
    cards: list[dict[str, Any]] = r.json()["cards"]
    return cards


def test_ra_and_atopic_dermatitis_get_one_card_with_a_section_for_each(client: TestClient,
                                                                       make_token: TokenFactory) -> None:
    cards = _cards(client, make_token, _request(RA, AD))
    assert len(cards) == 1
    card = cards[0]
    assert "depends on the indication" in card["summary"]
    assert "rheumatoid-arthritis:" in card["summary"] and "atopic-dermatitis:" in card["summary"]
    detail = card["detail"]
    assert "2 approved-use indications on record:** rheumatoid-arthritis, atopic-dermatitis" in detail
    ra_part = detail.split("**rheumatoid-arthritis**: ", 1)[1]
    ra_part, ad_part = ra_part.split("**atopic-dermatitis**: ", 1)
    # Tofacitinib is approved for RA, not atopic dermatitis; abrocitinib the other way round.
    assert "Tofacitinib" in ra_part and "Tofacitinib" not in ad_part
    assert "abrocitinib" in ad_part.lower() and "abrocitinib" not in ra_part.lower()
    # The work-up both need is listed once, after the sections.
    shared = ad_part.split("**Before start, for every indication**", 1)[1]
    assert detail.count("Order an interferon-gamma release assay") == 1 and "interferon-gamma" in shared
    labels = [link["label"] for link in card["links"]]
    assert labels == ["Full jakcheck report: rheumatoid-arthritis", "Full jakcheck report: atopic-dermatitis"]
    assert len({link["url"] for link in card["links"]}) == 2
    for link in card["links"]:
        assert client.get(link["url"].removeprefix(BASE)).status_code == 200


def test_one_indication_card_is_unchanged_in_shape(client: TestClient, make_token: TokenFactory) -> None:
    cards = _cards(client, make_token, _request(RA))
    assert len(cards) == 1 and "approved-use indications on record" not in cards[0]["detail"]
    assert [link["label"] for link in cards[0]["links"]] == ["Full jakcheck report"]


def test_the_site_can_choose_the_indication_and_the_card_names_the_others(settings: Settings,
                                                                          make_token: TokenFactory) -> None:
    with client_for(replace(settings, patient_view_indication="atopic-dermatitis")) as c:
        cards = _cards(c, make_token, _request(RA, AD))
        assert len(cards) == 1
        assert "atopic-dermatitis" in cards[0]["summary"] and "rheumatoid-arthritis" not in cards[0]["summary"]
        assert "Also on record, not covered by this card" in cards[0]["detail"]
        assert "rheumatoid-arthritis" in cards[0]["detail"]
        # A patient without the chosen indication still gets the card for the one on record.
        only_ra = _cards(c, make_token, _request(RA))
        assert len(only_ra) == 1 and "rheumatoid-arthritis" in only_ra[0]["summary"]


def test_an_unknown_patient_view_indication_is_refused_at_start_up(settings: Settings) -> None:
    try:
        with client_for(replace(settings, patient_view_indication="gout")):
            pass
    except ConfigError as exc:
        assert "patient_view_indication" in str(exc)
    else:
        raise AssertionError("an unknown indication was accepted")


def test_an_indication_without_a_drug_in_this_region_gets_no_section() -> None:
    from jakcheck.engine import assess
    from jakcheck.knowledge.loader import default_knowledge
    from jakcheck.service.cards import CardContext, patient_view_card
    from tests.spec.tables import _ad, ra

    kb = default_knowledge()
    with_ra = assess(ra().screened().build(), kb, region="EU", indication="rheumatoid-arthritis")
    with_ad = assess(_ad().screened().build(), kb, region="EU", indication="atopic-dermatitis")
    no_drug = with_ra.model_copy(update={"drugs": ()})
    ctx = CardContext(knowledge=kb, report_url="https://cds.example.org/report/first")
    [built] = patient_view_card(no_drug, ctx, [(with_ad, "https://cds.example.org/report/second")])
    assert "atopic-dermatitis" in built.card["summary"] and "rheumatoid-arthritis" not in built.card["detail"]
    assert [link["url"] for link in built.card["links"]] == ["https://cds.example.org/report/second"]
    assert patient_view_card(no_drug, ctx) == []
