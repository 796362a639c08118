"""What the clinician reads: vaccine timing, resolved hepatitis B actions, dose options, display names, the trial
publication cited for each statement, and age not counted twice as cardiovascular risk."""

from __future__ import annotations

from dataclasses import replace

from jakcheck.assessment import Assessment
from jakcheck.engine import assess
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.knowledge.schema import Dose
from jakcheck.patient.card import read_card
from jakcheck.rules.base import doses_text
from tests.builders import PatientBuilder as P
from tests.spec.tables_on_treatment import ra_on

RA = "rheumatoid-arthritis"


def ra(age: int = 50) -> P:
    return P().aged(age).with_condition(RA, display="Rheumatoid arthritis")


def _run(facts: object, region: str = "EU") -> Assessment:
    return assess(facts, default_knowledge(), region=region, indication=RA)  # type: ignore[arg-type]


def _finding(out: Assessment, code: str):  # type: ignore[no-untyped-def]
    return next(f for f in out.findings if f.code == code)


def _actions(out: Assessment) -> dict[str, str]:
    return {a.code: a.summary for a in out.actions}


def _drop(facts, concept: str, keep: int):  # type: ignore[no-untyped-def]
    kept = [i for i in facts.immunizations if i.concept == concept][:keep]
    return replace(facts, immunizations=tuple(i for i in facts.immunizations if i.concept != concept or i in kept))


# --- vaccination timing -------------------------------------------------------------------------------------


def test_rzv_deferred_in_pregnancy_with_the_reason() -> None:
    facts = _drop(ra(30).screened().pregnant().build(), "zoster-recombinant", keep=0)
    out = _run(facts)
    hz = _finding(out, "vaccine.zoster-due")
    assert "defer dose 1 until after the pregnancy" in hz.summary and "no recommendation" in hz.summary
    assert "acip-rzv-2022" in {s.id for s in hz.sources}
    acts = _actions(out)
    assert "defer-rzv" in acts and "order-rzv" not in acts


def test_rzv_given_when_not_pregnant() -> None:
    out = _run(_drop(ra(30).screened().build(), "zoster-recombinant", keep=0))
    acts = _actions(out)
    assert "order-rzv" in acts and "defer-rzv" not in acts


def test_influenza_vaccine_stays_due_in_pregnancy() -> None:
    facts = _drop(ra(30).screened().pregnant().build(), "influenza", keep=0)
    out = _run(facts)
    assert "order-influenza" in _actions(out)
    assert "defer" not in _finding(out, "vaccine.influenza-due").summary


def test_rzv_dose_2_deferred_during_pneumonia_on_treatment() -> None:
    facts = ra_on("tofacitinib").with_condition("serious-infection", display="Pneumonia", days_ago=3).build()
    first = next(i for i in facts.immunizations if i.concept == "zoster-recombinant")
    facts = replace(facts, immunizations=tuple(i for i in facts.immunizations
                                               if i.concept != "zoster-recombinant" or i is first))
    out = _run(facts)
    hz = _finding(out, "vaccine.zoster-due")
    assert "defer dose 2 until the acute illness has resolved" in hz.summary and "Pneumonia" in hz.summary
    assert "cdc-general-best-practices-precautions" in {s.id for s in hz.sources}
    acts = _actions(out)
    assert "defer-rzv" in acts and "order-rzv-on-treatment" not in acts


def test_resolved_infection_does_not_defer_vaccines() -> None:
    facts = _drop(ra().screened().with_condition("serious-infection", active=False, display="Pneumonia").build(),
                  "zoster-recombinant", keep=0)
    acts = _actions(_run(facts))
    assert "order-rzv" in acts and "defer-rzv" not in acts


# --- resolved hepatitis B ---------------------------------------------------------------------------------------


def test_recent_undetectable_hbv_dna_satisfies_before_start() -> None:
    facts = (ra().screened().with_result("anti-hbc", "positive", days_ago=5)
             .with_result("anti-hbs", "positive", days_ago=5).with_result("hbv-dna", "negative", days_ago=16).build())
    out = _run(facts)
    hbv = _finding(out, "hbv.resolved")
    assert "with or without anti-HBs" in hbv.summary and "HBV DNA undetectable on" in hbv.summary
    assert "every 1 to 3 months" in hbv.summary
    acts = _actions(out)
    assert "order-hbv-dna" not in acts and "plan-hbv-monitoring" in acts


def test_old_hbv_dna_is_repeated_before_start() -> None:
    facts = (ra().screened().with_result("anti-hbc", "positive", days_ago=5)
             .with_result("hbv-dna", "negative", days_ago=120).build())
    out = _run(facts)
    assert "order HBV DNA before start" in _finding(out, "hbv.resolved").summary
    assert "order-hbv-dna" in _actions(out)


def test_on_treatment_one_hbv_dna_action_and_none_says_before_start() -> None:
    facts = ra_on("tofacitinib", days=364).with_result("anti-hbc", "positive", days_ago=370).build()
    out = _run(facts)
    hbv_actions = [a for a in out.actions if "HBV DNA" in a.summary]
    assert len(hbv_actions) == 1 and "before start" not in hbv_actions[0].summary
    assert "monitoring.hbv-dna-overdue" in {f.code for f in out.findings}


def test_monitoring_text_does_not_read_as_anti_hbs_alone() -> None:
    facts = ra_on("baricitinib").with_result("anti-hbc", "positive", days_ago=190).build()
    text = " ".join(m.schedule or "" for m in _run(facts).monitoring)
    assert "anti-HBc/anti-HBs" not in text
    assert "with anti-HBc" in text


# --- clean output -------------------------------------------------------------------------------------------


def test_several_doses_are_options_with_their_condition() -> None:
    doses = [Dose(amount=100, frequency="once daily", note="Half of the 200 mg dose."),
             Dose(amount=50, frequency="once daily", note="Half of the 100 mg dose.")]
    assert doses_text(doses) == ("100 mg once daily (half of the 200 mg dose), or 50 mg once daily "
                                 "(half of the 100 mg dose)")
    assert doses_text(doses[:1]) == "100 mg once daily"


def test_coded_condition_without_display_is_named_once() -> None:
    card = {"card_version": 1, "patient": {"id": "x", "age": 60, "sex": "female"},
            "conditions": [{"concept": RA}, {"concept": "hypertension"},
                           {"code": "59621000", "system": "http://snomed.info/sct"}]}
    facts = read_card(card, source_name="card", as_of=P().as_of, knowledge=default_knowledge())
    assert "59621000" not in {c.display for c in facts.conditions}
    cv = _finding(_run(facts), "risk.cardiovascular")
    assert "59621000" not in cv.summary and cv.summary.count("Hypertension") == 1


def test_zoster_and_vte_statements_cite_the_publication_with_those_figures() -> None:
    out = _run(ra().screened().with_condition("herpes-zoster", active=False)
               .with_condition("vte", active=False, display="Deep vein thrombosis").build())
    hz = {s.id for s in _finding(out, "hz.history").sources}
    vte = {s.id for s in _finding(out, "risk.vte").sources}
    assert "oral-surveillance-infections-2022" in hz and "oral-surveillance-2022" not in hz
    assert "oral-surveillance-vte-2024" in vte and "oral-surveillance-2022" not in vte


def test_score2_op_at_75_is_not_a_second_count_of_age() -> None:
    out = _run(ra(75).screened().cv_risk_inputs(sbp=120).build())
    codes = {f.code for f in out.findings}
    assert "risk.age-65-plus" in codes and "risk.cardiovascular" not in codes
    age = _finding(out, "risk.age-65-plus")
    assert "SCORE2" in age.detail and "not counted a second time" in age.detail
    low = [f for f in out.findings if f.code == "risk.lower-dose"]
    assert all("cardiovascular" not in f.summary for f in low)


def test_fhir_coding_without_display_is_named_by_its_concept() -> None:
    from jakcheck.fhir.reader import read_document

    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "1960-01-01", "gender": "female"}},
        {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p"},
                      "clinicalStatus": {"coding": [{"code": "active"}]},
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "59621000"}]}}},
        {"resource": {"resourceType": "Immunization", "id": "i1", "status": "completed",
                      "patient": {"reference": "Patient/p"}, "occurrenceDateTime": "2024-01-01",
                      "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "187"}]}}},
    ]}
    facts = read_document(bundle, source_name="b", as_of=P().as_of, knowledge=default_knowledge())
    assert [c.display for c in facts.conditions] == ["Hypertension"]
    assert facts.immunizations and all(i.display and i.display != "187" for i in facts.immunizations)
