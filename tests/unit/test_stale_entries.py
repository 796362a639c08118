"""Time windows for time-bound entries: an "active" entry older than its concept's window is read as history and
reported (data.stale-entry); inside the window it still counts as current."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from jakcheck.engine import active_windows, assess
from jakcheck.errors import ConfigError
from jakcheck.fhir.reader import read_document
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.derived import apply_windows, conditions
from jakcheck.patient.facts import StatedFact, Tri
from jakcheck.settings import Settings
from tests.builders import assert_finding, assert_no_finding, finding_codes
from tests.spec.tables import ra

AS_OF = date(2026, 11, 26)
KB = default_knowledge()


def _condition(cid: str, system: str, code: str, display: str, onset: str) -> dict[str, Any]:
    return {"resource": {
        "resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"},
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
        "onsetDateTime": onset}}


def _record(*entries: dict[str, Any]) -> dict[str, Any]:
    patient = {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1928-04-02"}}
    ra = _condition("ra", "http://snomed.info/sct", "69896004", "Rheumatoid arthritis", "2020-01-10")
    return {"resourceType": "Bundle", "type": "collection", "entry": [patient, ra, *entries]}


SNOMED = "http://snomed.info/sct"
PREGNANT_1972 = _condition("preg", SNOMED, "77386006", "Tubal pregnancy", "1972-05-14")
SEPSIS_1971 = _condition("sepsis", SNOMED, "91302008", "Sepsis", "1971-09-02")


def test_decades_old_pregnancy_and_sepsis_in_a_98_year_old_are_history_not_current() -> None:
    facts = read_document(_record(PREGNANT_1972, SEPSIS_1971), source_name="t", as_of=AS_OF, knowledge=KB)
    assert any(c.concept == "pregnancy" and c.active for c in facts.conditions)  # as the record states it
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    codes = finding_codes(result)
    assert "pregnancy.current" not in codes and "infection.active-serious" not in codes
    stale = [f for f in result.findings if f.code == "data.stale-entry"]
    named = " ".join(f.summary for f in stale)
    assert "Condition/preg" in named and "Condition/sepsis" in named and "1972-05-14" in named
    assert all(f.severity == "warning" for f in stale)
    assert not any(d.verdict == "contraindicated" for d in result.drugs)


def test_the_same_entries_inside_their_windows_still_fire() -> None:
    preg = _condition("preg", SNOMED, "77386006", "Pregnancy", "2026-02-01")  # 298 days before
    sepsis = _condition("sepsis", SNOMED, "91302008", "Sepsis", "2026-09-01")  # 86 days before
    facts = read_document(_record(preg, sepsis), source_name="t", as_of=AS_OF, knowledge=KB)
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    assert_finding(result, "pregnancy.current")
    assert_finding(result, "infection.active-serious")
    assert_no_finding(result, "data.stale-entry")


def test_a_2022_pregnant_status_assessed_in_2026_is_not_a_pregnancy() -> None:
    obs = {"resource": {
        "resourceType": "Observation", "id": "pstat", "status": "final", "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3", "display": "Pregnancy status"}]},
        "effectiveDateTime": "2022-03-15",
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "77386006", "display": "Pregnant"}]}}}
    record = _record(obs)
    record["entry"][0]["resource"]["birthDate"] = "1994-04-02"
    facts = read_document(record, source_name="t", as_of=AS_OF, knowledge=KB)
    assert facts.pregnant.state.value == "present"  # as recorded
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    assert_no_finding(result, "pregnancy.current")
    assert_finding(result, "data.stale-entry")
    # Unknown, not "not pregnant": the counselling still asks to confirm the status before the first dose.
    assert any("pregnancy status not recorded" in f.summary for f in result.findings
               if f.code == "contraception.counsel")
    early = read_document(record, source_name="t", as_of=date(2022, 12, 1), knowledge=KB)
    assert_finding(assess(early, KB, region="EU", indication="rheumatoid-arthritis"), "pregnancy.current")


def test_a_stale_cancer_or_vte_still_counts_as_history() -> None:
    facts = (ra().screened().with_condition("malignancy", days_ago=4000, display="Breast cancer")
             .with_condition("vte", days_ago=4000, display="Pulmonary embolism").build())
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    assert_finding(result, "risk.malignancy")
    assert_finding(result, "risk.vte")
    assert next(d.verdict for d in result.drugs if d.drug == "tofacitinib") == "only-if-no-alternative"
    assert len([f for f in result.findings if f.code == "data.stale-entry"]) == 2


def test_an_entry_without_a_date_stays_current() -> None:
    facts = ra().screened().with_condition("serious-infection", display="Sepsis").build()
    facts = replace(facts, conditions=tuple(
        c if c.concept != "serious-infection" else c.__class__(c.concept, c.source, c.display, True)
        for c in facts.conditions))
    windowed = apply_windows(facts, active_windows(KB, Settings()))
    assert windowed is facts
    assert conditions(windowed, "serious-infection", active_only=True)


def test_a_site_can_set_each_window() -> None:
    facts = ra().screened().with_condition("serious-infection", days_ago=40, display="Sepsis").build()
    assert_finding(assess(facts, KB, region="EU", indication="rheumatoid-arthritis"), "infection.active-serious")
    site = Settings(site_thresholds=(("serious-infection-active-window-days", 28.0),))
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis", settings=site)
    assert_no_finding(result, "infection.active-serious")
    assert_finding(result, "data.stale-entry")
    # Each other window too: an entry 150 days old is current under the release's window and stale under 100.
    for key, concept in (("pregnancy-current-window-days", "pregnancy"), ("malignancy-active-window-days",
                                                                          "malignancy"),
                         ("vte-active-window-days", "vte")):
        old = ra(30).screened().with_condition(concept, days_ago=150, display=concept).build()
        assert_no_finding(assess(old, KB, region="EU", indication="rheumatoid-arthritis"), "data.stale-entry")
        shorter = assess(old, KB, region="EU", indication="rheumatoid-arthritis",
                         settings=Settings(site_thresholds=((key, 100.0),)))
        assert_finding(shorter, "data.stale-entry")
    with pytest.raises(ConfigError):
        assess(facts, KB, region="EU", settings=Settings(site_thresholds=(("age-risk-years", 70.0),)))


def _not_pregnant_since(days_ago: int) -> Any:
    from dataclasses import replace
    from datetime import timedelta

    facts = ra(30).screened().build()
    return replace(facts, pregnant=StatedFact(Tri.ABSENT, "Observation/ps", AS_OF - timedelta(days=days_ago)))


def test_an_old_not_pregnant_status_does_not_make_the_status_known() -> None:
    def asks(days_ago: int) -> bool:
        result = assess(_not_pregnant_since(days_ago), KB, region="EU", indication="rheumatoid-arthritis")
        [f] = [f for f in result.findings if f.code == "contraception.counsel"]
        return "pregnancy status not recorded" in f.summary
    assert not asks(30)
    assert asks(31)


def test_the_synthea_tubal_pregnancy_shape_known_from_its_text_is_windowed_too() -> None:
    """Synthea codes a tubal pregnancy 79586000, outside the pregnancy value set: it is recognised from its text,
    and the window applies to it like to a coded entry."""
    record = _record(_condition("preg", SNOMED, "79586000", "Tubal pregnancy", "1972-05-14"))
    facts = read_document(record, source_name="t", as_of=AS_OF, knowledge=KB)
    assert [c.matched_by for c in facts.conditions if c.concept == "pregnancy"] == ["text"]
    result = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    assert_no_finding(result, "pregnancy.current")
    assert any("Condition/preg" in f.summary for f in result.findings if f.code == "data.stale-entry")


# --- a recorded end of pregnancy closes the pregnancy entries dated before it ------------------------------------


def _procedure(pid: str, code: str, performed: str, system: str = SNOMED) -> dict[str, Any]:
    return {"resource": {"resourceType": "Procedure", "id": pid, "status": "completed",
                         "subject": {"reference": "Patient/p1"}, "performedDateTime": performed,
                         "code": {"coding": [{"system": system, "code": code}], "text": "Delivery"}}}


def _young_record(*entries: dict[str, Any]) -> dict[str, Any]:
    record = _record(*entries)
    record["entry"][0]["resource"]["birthDate"] = "1994-04-02"
    return record


def test_a_pregnancy_still_active_after_a_caesarean_section_is_a_past_pregnancy() -> None:
    """Normal pregnancy active since June (inside the ~10-month window), caesarean section in October: the
    pregnancy has ended; the entry is reported with both resources, and the drugs are no longer contraindicated."""
    record = _young_record(_condition("preg", SNOMED, "72892002", "Normal pregnancy", "2026-06-01"),
                           _procedure("cs", "11466000", "2026-10-20"))
    facts = read_document(record, source_name="r.json", as_of=AS_OF, knowledge=KB)
    a = assess(facts, KB, region="EU", indication="rheumatoid-arthritis")
    assert_no_finding(a, "pregnancy.current")
    [stale] = [f for f in a.findings if f.code == "data.stale-entry"]
    assert {"Condition/preg", "Procedure/cs"} <= set(stale.evidence)
    assert "2026-10-20" in stale.summary and "past pregnancy" in stale.summary
    assert {s.id for s in stale.sources} == {"hl7-us-mihr-ig", "synthea-modules"}


def test_a_pregnancy_recorded_after_the_delivery_is_current() -> None:
    record = _young_record(_procedure("cs", "59514", "2026-02-01", "http://www.ama-assn.org/go/cpt"),
                           _condition("preg", SNOMED, "72892002", "Normal pregnancy", "2026-09-01"))
    a = assess(read_document(record, source_name="r.json", as_of=AS_OF, knowledge=KB), KB, region="EU",
               indication="rheumatoid-arthritis")
    assert_finding(a, "pregnancy.current")
    assert_no_finding(a, "data.stale-entry")


def test_an_undated_pregnancy_is_not_ended_by_a_delivery() -> None:
    """Without an onset the entry cannot be placed before the delivery: it stays current (the cautious reading)."""
    undated = _condition("preg", SNOMED, "72892002", "Normal pregnancy", "2026-06-01")
    del undated["resource"]["onsetDateTime"]
    record = _young_record(undated, _procedure("cs", "11466000", "2026-10-20"))
    a = assess(read_document(record, source_name="r.json", as_of=AS_OF, knowledge=KB), KB, region="EU",
               indication="rheumatoid-arthritis")
    assert_finding(a, "pregnancy.current")


def test_missing_deliveries_are_said_only_where_a_pregnancy_is_on_record() -> None:
    """A missing procedures part can only leave an ended pregnancy looking current: an info finding when a
    pregnancy is on record, nothing otherwise, and never a change of verdict."""
    gap = "the EHR sent neither the prefetch nor FHIR server access"
    plain = ra(30).screened()
    a = assess(plain.incomplete("procedures", gap).build(), KB, region="EU", indication="rheumatoid-arthritis")
    b = assess(ra(30).screened().build(), KB, region="EU", indication="rheumatoid-arthritis")
    assert_no_finding(a, "data.incomplete-record")
    assert [(d.drug, d.verdict) for d in a.drugs] == [(d.drug, d.verdict) for d in b.drugs]
    pregnant = assess(ra(30).screened().pregnant().incomplete("procedures", gap).build(), KB, region="EU",
                      indication="rheumatoid-arthritis")
    [f] = [f for f in pregnant.findings if f.code == "data.incomplete-record"]
    assert f.severity == "info" and "read as current" in f.summary
