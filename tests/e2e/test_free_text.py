"""Free-text problem-list entries end to end (patient cards and FHIR bundles, through `assess` and the CLI): the
words around a match are read (negated, past, treated, planned, family), and a finding known only from text gives
at most `defer` with a confirm action that quotes the text."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

import jakcheck.cli
from jakcheck.assessment import Assessment
from jakcheck.cli import main
from jakcheck.engine import assess
from jakcheck.fhir.reader import read_document
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.card import read_card
from jakcheck.patient.facts import PatientFacts
from tests.fhirgen import Record

AS_OF = date(2026, 11, 26)
LAB_DAY = "2026-11-20"

# A complete, normal work-up: only the free-text entry under test should matter.
BASE: dict[str, Any] = {
    "card_version": 1,
    "patient": {"id": "free-text", "age": 52, "sex": "female"},
    "conditions": [{"concept": "rheumatoid-arthritis", "onset": "2016-03-01"}],
    "labs": [{"test": t, "value": v, "unit": u, "date": LAB_DAY} for t, v, u in (
        ("lymphocytes", 1.4, "10*9/L"), ("neutrophils", 3.9, "10*9/L"), ("hemoglobin", 13.0, "g/dL"),
        ("platelets", 245, "10*9/L"), ("alt", 28, "U/L"), ("ast", 25, "U/L"), ("creatinine", 71, "umol/L"),
        ("egfr", 84, "mL/min/{1.73_m2}"), ("cholesterol-total", 5.0, "mmol/L"), ("hdl", 1.5, "mmol/L"),
        ("ldl", 2.8, "mmol/L"), ("weight", 68, "kg"), ("systolic-bp", 122, "mm[Hg]"))],
    "results": [{"test": t, "result": "negative", "date": LAB_DAY}
                for t in ("tb-igra", "hbsag", "anti-hbc", "anti-hcv")],
    "medications": [{"drug": "methotrexate", "status": "active", "start": "2016-04-01"}],
    "vaccinations": [{"vaccine": "zoster-recombinant", "date": "2025-10-05"},
                     {"vaccine": "zoster-recombinant", "date": "2025-12-05"},
                     {"vaccine": "pneumococcal", "date": "2025-10-01"},
                     {"vaccine": "influenza", "date": "2026-10-01"}],
    "smoking": "never",
    "pregnant": "no",
    "lactating": "no",
    "known_absent": ["malignancy", "vte", "ascvd"],
}


@pytest.fixture(autouse=True)
def _load_knowledge_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jakcheck.cli, "_knowledge", default_knowledge)


def card(*conditions: dict[str, Any], **changes: Any) -> dict[str, Any]:
    c = copy.deepcopy(BASE)
    c["conditions"] += list(conditions)
    c.update(changes)
    return c


def facts_of(c: dict[str, Any]) -> PatientFacts:
    return read_card(c, source_name="card.yaml", as_of=AS_OF, knowledge=default_knowledge())


def run(c: dict[str, Any], region: str = "EU", indication: str | None = None) -> Assessment:
    return assess(facts_of(c), default_knowledge(), region=region, indication=indication)  # type: ignore[arg-type]


def verdicts(a: Assessment) -> dict[str, str]:
    return {d.drug: d.verdict for d in a.drugs}


def codes(a: Assessment) -> set[str]:
    return {f.code for f in a.findings}


def test_the_base_card_is_appropriate() -> None:
    """The work-up is complete: every verdict change below comes from the free-text entry."""
    a = run(card())
    assert set(verdicts(a).values()) <= {"appropriate", "caution"}, [(f.code, f.summary) for f in a.findings
                                                                     if f.severity != "info"]


# --- 1. "Treated latent TB" as text on an active problem list --------------------------------------------------

def test_treated_latent_tb_text_is_a_history_with_a_confirm_action() -> None:
    c = card({"text": "Treated latent TB", "active": True})
    facts = facts_of(c)
    assert [(x.concept, x.active, x.matched_by) for x in facts.conditions[1:]] == [("latent-tb", False, "text")]
    a = run(c)
    assert "tb.active" not in codes(a) and "tb.latent-untreated" not in codes(a)
    assert "contraindicated" not in verdicts(a).values()
    match = next(f for f in a.findings if f.code == "data.text-match")
    assert "read as past or treated (treated: 'Treated')" in match.summary
    confirm = next(x for x in a.actions if x.code == "confirm-text-latent-tb")
    assert not confirm.blocking and "Record says 'Treated latent TB' (text only" in confirm.summary


def test_treated_latent_tb_text_does_not_clear_a_coded_positive_igra() -> None:
    """A text-only fact never clears a restriction: the positive IGRA without coded preventive therapy still
    defers the start."""
    c = card({"text": "Treated latent TB"})
    c["results"] = [r for r in c["results"] if r["test"] != "tb-igra"] + [
        {"test": "tb-igra", "result": "positive", "date": LAB_DAY}]
    c["medications"].append({"text": "isoniazid 300 mg", "status": "completed", "start": "2025-01-01",
                             "end": "2025-10-01"})
    assert [(m.concept, m.matched_by) for m in facts_of(c).medications if m.concept == "isoniazid"] == [
        ("isoniazid", "text")]
    a = run(c)
    assert "tb.latent-untreated" in codes(a)
    assert set(verdicts(a).values()) == {"defer"}


def test_treated_latent_tb_in_a_fhir_problem_list() -> None:
    rec = Record("p-ltbi", as_of=AS_OF)
    rec.patient(given="Test", family="Example", birth_date="1974-05-01", gender="female", mrn="T-1")
    rec.condition("ra", text="Rheumatoid arthritis", snomed=("69896004", "Rheumatoid arthritis (disorder)"))
    rec.condition("ltbi", text="Treated latent tuberculosis", clinical="active")
    facts = read_document(rec.bundle("collection"), source_name="b.json", as_of=AS_OF,
                          knowledge=default_knowledge())
    ltbi = [x for x in facts.conditions if x.source == "Condition/ltbi"]
    assert [(x.concept, x.active, x.matched_by) for x in ltbi] == [("latent-tb", False, "text")]
    assert [(t.concept, t.read_as, t.qualifiers, t.triggers) for t in facts.text_matches
            if t.source == "Condition/ltbi"] == [("latent-tb", "history", ("treated",), ("Treated",))]


def test_active_tb_from_text_only_defers_with_a_blocking_confirm_that_quotes_it() -> None:
    a = run(card({"text": "Tuberculosis"}))
    assert set(verdicts(a).values()) == {"defer"}
    tb = next(f for f in a.findings if f.code == "tb.active")
    assert tb.summary.startswith("Text only ('Tuberculosis'), to be confirmed:")
    assert "free text only" in tb.detail
    confirm = next(x for x in a.actions if x.code == "confirm-text-active-tb")
    assert confirm.blocking
    assert confirm.summary.startswith("Record says 'Tuberculosis' (text only, card:conditions[1]): does it mean "
                                      "active tuberculosis?")
    assert "treat-active-tb" not in {x.code for x in a.actions}
    assert not a.ready_to_start


def test_coded_active_tb_is_still_contraindicated() -> None:
    a = run(card({"concept": "active-tb"}))
    assert set(verdicts(a).values()) == {"contraindicated"}
    assert not any(x.code.startswith("confirm-text") for x in a.actions)


@pytest.mark.parametrize("text", ["Denies tuberculosis", "Tuberculosis ruled out", "Mother: tuberculosis",
                                  "Risk of tuberculosis (travel)"])
def test_negated_family_and_hypothetical_mentions_make_no_fact(text: str) -> None:
    c = card({"text": text})
    facts = facts_of(c)
    assert [x.concept for x in facts.conditions] == ["rheumatoid-arthritis"]
    a = run(c)
    assert "tb.active" not in codes(a)
    reported = next(f for f in a.findings if f.code == "data.text-match")
    assert f"'{text}' names active-tb but" in reported.summary and "not used as a fact" in reported.summary


# --- 2. "planning pregnancy", hCG negative the same day, 34 years old with UC --------------------------------

def _uc_planning(text: str = "planning pregnancy") -> dict[str, Any]:
    c = card({"text": text}, patient={"id": "uc-34", "age": 34, "sex": "female"})
    c["conditions"][0] = {"concept": "ulcerative-colitis", "onset": "2019-01-01"}
    c["results"].append({"test": "pregnancy-test", "result": "negative", "date": AS_OF.isoformat()})
    del c["pregnant"]
    return c


@pytest.mark.parametrize("text", ["planning pregnancy", "Wishes to become pregnant next year",
                                  "Pregnancy planned for 2027"])
def test_planning_pregnancy_is_a_planned_pregnancy_not_a_pregnancy(text: str) -> None:
    c = _uc_planning(text)
    facts = facts_of(c)
    assert [(x.concept, x.active, x.matched_by) for x in facts.conditions[1:]] == [
        ("pregnancy-planned", True, "text")]
    a = run(c)
    assert a.indication == "ulcerative-colitis"
    assert "pregnancy.current" not in codes(a)
    assert "contraindicated" not in verdicts(a).values()
    assert any(f.code == "data.text-match" and "pregnancy-planned" in f.summary for f in a.findings)


def test_pregnancy_from_text_only_defers_with_a_blocking_confirm() -> None:
    c = _uc_planning("Pregnant")
    c["results"] = [r for r in c["results"] if r["test"] != "pregnancy-test"]
    a = run(c)
    assert "pregnancy.current" in codes(a)
    assert "contraindicated" not in verdicts(a).values() and "not-recommended" not in verdicts(a).values()
    assert set(verdicts(a).values()) == {"defer"}
    confirm = next(x for x in a.actions if x.code == "confirm-text-pregnancy")
    assert confirm.blocking and "'Pregnant' (text only" in confirm.summary


# --- 3. "Basal cell carcinoma" as text ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Basal cell carcinoma", "Squamous cell carcinoma of skin",
                                  "Non-melanoma skin cancer"])
def test_basal_cell_carcinoma_text_is_nmsc_not_malignancy(text: str) -> None:
    c = card({"text": text}, known_absent=["vte", "ascvd"])
    a = run(c)
    assert "risk.malignancy" not in codes(a)
    nmsc = next(f for f in a.findings if f.code == "risk.nmsc")
    assert nmsc.summary.startswith(f"Text only ('{text}')")
    assert "only-if-no-alternative" not in verdicts(a).values()
    assert any(x.code == "confirm-text-nmsc" and not x.blocking for x in a.actions)


def test_active_cancer_from_text_only_defers_and_history_stays_only_if_no_alternative() -> None:
    active = run(card({"text": "Lung cancer"}, known_absent=["vte", "ascvd"]))
    assert verdicts(active)["tofacitinib"] == "defer"
    assert next(x for x in active.actions if x.code == "confirm-text-malignancy").blocking
    past = run(card({"text": "History of colon cancer"}, known_absent=["vte", "ascvd"]))
    assert verdicts(past)["tofacitinib"] == "only-if-no-alternative"
    finding = next(f for f in past.findings if f.code == "risk.malignancy")
    assert finding.summary.startswith("Text only ('History of colon cancer')") and "history of" in finding.summary
    assert not next(x for x in past.actions if x.code == "confirm-text-malignancy").blocking


# --- a test named in text only does not clear the TB screen ----------------------------------------------------

def test_a_tb_test_named_in_text_only_does_not_clear_the_screen() -> None:
    rec = Record("p-igra", as_of=AS_OF)
    rec.patient(given="Test", family="Example", birth_date="1974-05-01", gender="female", mrn="T-2")
    rec.condition("ra", text="Rheumatoid arthritis", snomed=("69896004", "Rheumatoid arthritis (disorder)"))
    obs = rec.qualitative("igra", "", "", "negative", 5)
    obs["code"] = {"text": "QuantiFERON TB Gold Plus"}  # named in text only (no coding)
    facts = read_document(rec.bundle("collection"), source_name="b.json", as_of=AS_OF,
                          knowledge=default_knowledge())
    assert [(r.concept, r.result, r.matched_by) for r in facts.results] == [("tb-igra", "negative", "text")]
    a = assess(facts, default_knowledge(), region="EU")
    screen = next(f for f in a.findings if f.code == "tb.screening-missing")
    assert "names the test in text only" in screen.summary
    assert {x.code for x in a.actions} >= {"order-igra", "confirm-text-tb-igra"}
    # the same test with its LOINC code clears it
    rec.resources.remove(obs)
    rec.qualitative("igra-coded", "71773-6", "QuantiFERON", "negative", 5)
    facts = read_document(rec.bundle("collection"), source_name="b.json", as_of=AS_OF,
                          knowledge=default_knowledge())
    assert [(r.concept, r.matched_by) for r in facts.results] == [("tb-igra", "code")]
    assert "tb.screening-missing" not in codes(assess(facts, default_knowledge(), region="EU"))


# --- the command line ---------------------------------------------------------------------------------------

def test_cli_reports_the_text_reading_and_the_confirm_action(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(yaml.safe_dump(card({"text": "Treated latent TB", "active": True},
                                        {"text": "Basal cell carcinoma"}, known_absent=["vte", "ascvd"])),
                    encoding="utf-8")
    main(["assess", str(path), "--region", "EU", "--as-of", AS_OF.isoformat(), "--format", "json"], {})
    doc = json.loads(capsys.readouterr().out)
    assert {d["verdict"] for d in doc["drugs"]} <= {"caution", "appropriate"}
    found = {f["code"] for f in doc["findings"]}
    assert "tb.active" not in found and "risk.malignancy" not in found and "risk.nmsc" in found
    assert {a["code"] for a in doc["actions"]} >= {"confirm-text-latent-tb", "confirm-text-nmsc"}
    main(["assess", str(path), "--region", "EU", "--as-of", AS_OF.isoformat()], {})
    text = capsys.readouterr().out
    assert "Record says 'Treated latent TB' (text only" in text
