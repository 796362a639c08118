"""The two US stop / avoid patients of the clinical review, as FHIR bundles, through `assess` and the CLI; and
the alternatives they are offered (tried before, caveats)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import jakcheck.cli
from jakcheck.assessment import Assessment
from jakcheck.cli import main
from jakcheck.engine import assess
from jakcheck.fhir.reader import read_document
from jakcheck.knowledge.loader import default_knowledge
from tests.fhirgen import AS_OF, Record

KB = default_knowledge()


def _screened(r: Record, before: int) -> None:
    """A complete work-up `before` days ago."""
    r.qualitative("igra", "71773-6", "Mycobacterium tuberculosis IGRA", "negative", before)
    r.qualitative("hbsag", "5196-1", "Hepatitis B surface Ag", "negative", before)
    r.qualitative("antihbc", "13952-7", "Hepatitis B core Ab", "negative", before)
    r.qualitative("antihcv", "13955-0", "Hepatitis C virus Ab", "negative", before)
    r.lab("lymph", "731-0", "Lymphocytes", 1.6, "10*3/uL", 20)
    r.lab("neut", "751-8", "Neutrophils", 4.1, "10*3/uL", 20)
    r.lab("hb", "718-7", "Hemoglobin", 13.1, "g/dL", 20)
    r.lab("plt", "777-3", "Platelets", 240, "10*3/uL", 20)
    r.lab("alt", "1742-6", "ALT", 22, "U/L", 20)
    r.lab("ast", "1920-8", "AST", 24, "U/L", 20)
    r.lab("creat", "2160-0", "Creatinine", 0.9, "mg/dL", 20)
    r.lab("chol", "2093-3", "Cholesterol", 190, "mg/dL", 20)
    r.lab("hdl", "2085-9", "HDL", 50, "mg/dL", 20)
    r.vital("wt", "29463-7", "Body weight", 74, "kg", 20)
    r.smoking("smk", "never", 20)


def nstemi_on_tofacitinib() -> dict[str, Any]:
    """72-year-old with RA on tofacitinib 5 mg twice daily for 3 years (after adalimumab), NSTEMI 2 months ago."""
    r = Record(patient_id="stop-mace")
    r.patient(given="Test", family="Stop-Mace", birth_date="1954-05-02", gender="male", mrn="SA-1")
    r.condition("ra", text="Rheumatoid arthritis", snomed=("69896004", "Rheumatoid arthritis"),
                onset_days_ago=4000)
    r.condition("nstemi", text="NSTEMI", snomed=("401314000", "Acute non-ST segment elevation myocardial "
                                                              "infarction"),
                icd10=("I21.4", "Non-ST elevation (NSTEMI) myocardial infarction"), onset_days_ago=60)
    r.medication("ada", code=("327361", "adalimumab"), start_days_ago=1800, end_days_ago=1200, status="stopped")
    r.medication("tofa", code=("1357536", "tofacitinib 5 MG Oral Tablet"), start_days_ago=1095, dose=5,
                 frequency=2)
    _screened(r, 1100)
    return r.bundle("collection")


def psa_dvt_on_apixaban(*, with_reason: bool = True) -> dict[str, Any]:
    """67-year-old with PsA, an unprovoked DVT 8 months ago, on apixaban (for the DVT when `with_reason`),
    secukinumab tried before; a melanoma history."""
    r = Record(patient_id="avoid-vte")
    r.patient(given="Test", family="Avoid-Vte", birth_date="1959-03-10", gender="female", mrn="SA-2")
    r.condition("psa", text="Psoriatic arthritis", snomed=("33339001", "Psoriatic arthritis"), onset_days_ago=3000)
    r.condition("dvt", text="Deep vein thrombosis of left leg", snomed=("128053003", "Deep venous thrombosis"),
                icd10=("I82.402", "Acute embolism and thrombosis of unspecified deep veins of left lower "
                                  "extremity"), onset_days_ago=240, clinical="resolved", abated_days_ago=60)
    apix = r.medication("apix", code=("1364430", "apixaban"), start_days_ago=240, dose=5, frequency=2)
    if with_reason:
        apix["reasonReference"] = [{"reference": "Condition/dvt"}]
    r.medication("secu", code=("1599788", "secukinumab"), start_days_ago=1500, end_days_ago=900,
                 status="stopped")
    _screened(r, 10)
    return r.bundle("collection")


def _assess(doc: dict[str, Any], region: str = "US", indication: str | None = None) -> Assessment:
    facts = read_document(doc, source_name="bundle.json", as_of=AS_OF, knowledge=KB)
    return assess(facts, KB, region=region, indication=indication)  # type: ignore[arg-type]


def test_nstemi_on_tofacitinib_us_says_stop() -> None:
    a = _assess(nstemi_on_tofacitinib())
    assert a.mode == "on-treatment"
    tofa = next(d for d in a.drugs if d.drug == "tofacitinib")
    assert tofa.verdict == "not-recommended" and tofa.dose is None
    stop = next(x for x in a.actions if x.code == "stop-mace")
    assert stop.blocking and stop.timing == "after-start"
    assert "Stop tofacitinib: myocardial infarction on 2026-09-27" in stop.summary
    assert "label section" in stop.summary
    f = next(f for f in a.findings if f.code == "mace.on-treatment-stop")
    assert "Condition/nstemi" in f.evidence and f.sources
    # the stop leaves the RA alternatives on the table; adalimumab was used before
    tnf = next(x for x in a.alternatives if x.option.startswith("TNF inhibitor"))
    assert tnf.tried and tnf.evidence == ("MedicationRequest/ada",)


def test_nstemi_on_tofacitinib_eu_keeps_the_eu_restriction() -> None:
    a = _assess(nstemi_on_tofacitinib(), region="EU")
    assert "mace.on-treatment-stop" not in {f.code for f in a.findings}
    assert next(d for d in a.drugs if d.drug == "tofacitinib").verdict == "only-if-no-alternative"


def test_psa_dvt_on_apixaban_us_says_avoid_with_alternatives() -> None:
    a = _assess(psa_dvt_on_apixaban())
    assert a.indication == "psoriatic-arthritis" and a.mode == "pre-treatment"
    verdicts = {d.drug: d.verdict for d in a.drugs}
    assert verdicts["tofacitinib"] == "not-recommended" and verdicts["upadacitinib"] == "not-recommended"
    f = next(f for f in a.findings if f.code == "thrombosis.avoid")
    assert "MedicationRequest/apix" in f.evidence and "Condition/dvt" in f.evidence
    assert "risk.vte" not in {x.code for x in a.findings}
    # deucravacitinib (TYK2, approved for PsA in the US) is outside the JAK class stop / avoid rules
    assert "thrombosis.avoid" not in next(d for d in a.drugs if d.drug == "deucravacitinib").findings
    options = [x.option for x in a.alternatives]
    assert options and options[0] == "TNF inhibitor"
    il17 = next(x for x in a.alternatives if x.option.startswith("IL-17"))
    assert il17.tried and il17.evidence == ("MedicationRequest/secu",)


def test_apixaban_without_a_reason_asks_to_confirm_it() -> None:
    a = _assess(psa_dvt_on_apixaban(with_reason=False))
    # the coded DVT alone still makes the drugs "avoid"; drop it to see the anticoagulant on its own
    doc = psa_dvt_on_apixaban(with_reason=False)
    doc["entry"] = [e for e in doc["entry"] if e["resource"].get("id") != "dvt"]
    b = _assess(doc)
    assert "thrombosis.avoid" in {f.code for f in a.findings}
    confirm = next(x for x in b.actions if x.code == "confirm-anticoagulant-indication")
    assert confirm.blocking and "apixaban" in confirm.summary
    assert "thrombosis.avoid" not in {f.code for f in b.findings}
    for d in b.drugs:
        if d.drug != "deucravacitinib":  # TYK2: outside the class rules
            assert "thrombosis.anticoagulant-confirm" in d.findings and d.verdict != "appropriate"


def test_anticoagulant_reason_code_is_read() -> None:
    """reasonCode with a coded DVT (no DVT on the problem list) is evidence of an increased thrombosis risk."""
    doc = psa_dvt_on_apixaban(with_reason=False)
    doc["entry"] = [e for e in doc["entry"] if e["resource"].get("id") != "dvt"]
    apix = next(e["resource"] for e in doc["entry"] if e["resource"].get("id") == "apix")
    apix["reasonCode"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "128053003",
                                       "display": "Deep venous thrombosis"}]}]
    facts = read_document(doc, source_name="bundle.json", as_of=AS_OF, knowledge=KB)
    assert next(m for m in facts.medications if m.concept == "apixaban").reasons == ("vte",)
    a = assess(facts, KB, region="US")
    assert "thrombosis.avoid" in {f.code for f in a.findings}
    assert "thrombosis.anticoagulant-confirm" not in {f.code for f in a.findings}


def test_abatacept_carries_the_cancer_caveat() -> None:
    r = Record(patient_id="melanoma")
    r.patient(given="Test", family="Melanoma", birth_date="1960-01-01", gender="female", mrn="SA-3")
    r.condition("ra", text="Rheumatoid arthritis", snomed=("69896004", "Rheumatoid arthritis"), onset_days_ago=3000)
    r.condition("mel", text="Melanoma of skin", icd10=("C43.9", "Malignant melanoma of skin, unspecified"),
                onset_days_ago=2000, clinical="resolved", abated_days_ago=1500)
    _screened(r, 10)
    a = _assess(r.bundle("collection"), region="EU")
    aba = next(x for x in a.alternatives if x.option == "Abatacept")
    assert aba.caveats and "abatacept" in aba.caveats[0].text
    assert aba.caveats[0].evidence == ("Condition/mel",)
    assert aba.caveats[0].sources[0].id == "eular-2024-ptc-cancer"
    assert all(not x.caveats for x in a.alternatives if x.option != "Abatacept")


@pytest.fixture()
def _kb_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jakcheck.cli, "_knowledge", default_knowledge)


@pytest.mark.usefixtures("_kb_once")
@pytest.mark.parametrize(("make", "expect"), [
    (nstemi_on_tofacitinib, ("stop-mace", "not-recommended")),
    (psa_dvt_on_apixaban, ("thrombosis.avoid", "not-recommended")),
])
def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, expect: tuple[str, str]) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(make()), encoding="utf-8")
    code = main(["assess", str(path), "--region", "US", "--as-of", AS_OF.isoformat(), "--format", "json"], {})
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1, 2)
    codes = {f["code"] for f in out["findings"]} | {x["code"] for x in out["actions"]}
    assert expect[0] in codes
    assert next(d for d in out["drugs"] if d["drug"] == "tofacitinib")["verdict"] == expect[1]
    assert out["alternatives"] and all("tried" in x and "caveats" in x for x in out["alternatives"])


@pytest.mark.usefixtures("_kb_once")
def test_cli_text_shows_the_stop_and_tried_alternative(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(nstemi_on_tofacitinib()), encoding="utf-8")
    main(["assess", str(path), "--region", "US", "--as-of", AS_OF.isoformat()], {"COLUMNS": "200"})
    out = capsys.readouterr().out
    assert "Stop tofacitinib: myocardial infarction on 2026-09-27" in out
    assert "used before or now: MedicationRequest/ada" in out




def test_html_report_shows_tried_and_caveat() -> None:
    from jakcheck.report.html import render_html

    a = _assess(psa_dvt_on_apixaban())
    page = render_html(a)
    assert "Used before or now" in page and "MedicationRequest/secu" in page
    r = Record(patient_id="melanoma-html")
    r.patient(given="Test", family="Melanoma", birth_date="1960-01-01", gender="female", mrn="SA-4")
    r.condition("ra", text="Rheumatoid arthritis", snomed=("69896004", "Rheumatoid arthritis"), onset_days_ago=3000)
    r.condition("mel", text="Melanoma of skin", icd10=("C43.9", "Malignant melanoma of skin, unspecified"),
                onset_days_ago=2000, clinical="resolved", abated_days_ago=1500)
    _screened(r, 10)
    assert "Caveat:" in render_html(_assess(r.bundle("collection"), region="EU"))
