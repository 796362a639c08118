"""The clinician web app's start page, report page and error pages, through the web router alone."""

from __future__ import annotations

import json
import logging
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from jakcheck.assessment import Assessment, CurrentDoseOut, CurrentTherapyOut
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.service.web import form as web_form
from jakcheck.service.web import routes
from tests.service.web_client import client, web_app  # noqa: F401 - fixture

AS_OF = "2026-11-26"
PATIENT_ID = "pt-7f3a-secret"
PATIENT_NAME = "Zebedee-Unmistakable"


def bundle(birth: str = "1960-05-01", extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": PATIENT_ID, "gender": "female", "birthDate": birth,
         "name": [{"family": PATIENT_NAME, "given": ["Ann"]}]},
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": f"Patient/{PATIENT_ID}"},
         "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                        "code": "active"}]},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "69896004",
                              "display": "Rheumatoid arthritis"}]}},
        {"resourceType": "Observation", "id": "o1", "status": "final",
         "subject": {"reference": f"Patient/{PATIENT_ID}"},
         "code": {"coding": [{"system": "http://loinc.org", "code": "731-0"}]}, "effectiveDateTime": "2026-11-01",
         "valueQuantity": {"value": 400, "unit": "/uL", "system": "http://unitsofmeasure.org", "code": "/uL"}},
    ]
    resources += extra or []
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def post(c: TestClient, data: dict[str, Any], files: dict[str, Any] | None = None) -> Any:
    base = {"region": "EU", "as_of": AS_OF}
    return c.post("/assess", data={**base, **data}, files=files or {"bundle": ("", b"")})


def verdicts(html: str) -> dict[str, str]:
    names = re.findall(r'<li class="verdict-card [^"]*" id="drug-([a-z]+)">', html)
    labels = re.findall(r'<p class="verdict verdict-[^"]+"><span aria-hidden="true">[^<]*</span>([^<]+)</p>', html)
    return dict(zip(names, labels, strict=True))


# ------------------------------------------------------------------------------------------------- start page

class _Inputs(HTMLParser):
    """Every form control, every label's `for`, and controls wrapped in a label."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.depth += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append({**a, "_wrapped": "1" if self.depth else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.depth -= 1


def test_start_page_every_control_has_a_label_and_the_page_has_landmarks(client: TestClient) -> None:  # noqa: F811
    r = client.get("/")
    assert r.status_code == 200
    html = r.text
    p = _Inputs()
    p.feed(html)
    assert len(p.controls) > 50
    unlabelled = [c for c in p.controls if not c["_wrapped"] and c.get("id") not in p.label_for]
    assert not unlabelled, unlabelled
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert html.count("<h1") == 1 and '<html lang="en">' in html
    # Region selector and assessment date for all three ways of giving the record.
    assert 'name="region" value="EU" checked' in html and 'name="region" value="US"' in html
    assert 'id="as_of"' in html
    for way in ("upload", "paste", "form"):
        assert f'name="source" value="{way}"' in html
    # Offline: nothing from another site.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_static_files_and_nothing_else(client: TestClient) -> None:  # noqa: F811
    css = client.get("/static/web.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text and ":focus-visible" in css.text
    assert "url(" not in css.text and "@import" not in css.text and "@font-face" not in css.text  # nothing fetched
    assert client.get("/static/web.js").status_code == 200
    for bad in ("../web.py", "..%2Fweb.py", "nope.css", "rule-scenarios.json.bak"):
        assert client.get(f"/static/{bad}").status_code == 404


# ------------------------------------------------------------------------------------------------- the form

FORM = {"source": "form", "indication": "rheumatoid-arthritis", "age": "71", "sex": "female",
        "smoking": "former", "cv": ["hypertension"], "cancer": "none", "vte": "no",
        "result_tb-igra": "negative", "result_hbsag": "negative", "result_anti-hbc": "negative",
        "result_anti-hcv": "negative", "lab_lymphocytes": "1.4", "unit_lymphocytes": "10*9/L",
        "lab_neutrophils": "3200", "unit_neutrophils": "/uL", "lab_hemoglobin": "7.9", "unit_hemoglobin": "mmol/L",
        "lab_platelets": "250", "lab_alt": "22", "lab_ast": "25", "lab_creatinine": "70",
        "unit_creatinine": "umol/L", "lab_weight": "68", "vaccine_zoster-recombinant": "2026-01-10",
        "current": ["methotrexate", "prednisone"], "glucocorticoid_dose": "5", "prior": ["adalimumab"]}


def test_form_builds_a_patient_card() -> None:
    k = default_knowledge()
    from datetime import date

    built = web_form.card_from_form(FORM, k, date(2026, 11, 26))
    card = built.card
    assert card["patient"] == {"id": "web-form", "age": 71, "sex": "female"}
    assert {"concept": "rheumatoid-arthritis"} in card["conditions"]
    assert {"concept": "hypertension"} in card["conditions"]
    assert card["known_absent"] == ["malignancy", "vte"]
    assert card["smoking"] == "former"
    hb = next(lab for lab in card["labs"] if lab["test"] == "hemoglobin")
    assert hb == {"test": "hemoglobin", "value": 7.9, "unit": "mmol/L", "date": AS_OF}
    assert next(lab for lab in card["labs"] if lab["test"] == "neutrophils")["value"] == 3200
    assert {"drug": "adalimumab", "status": "completed"} in card["medications"]
    assert {"drug": "prednisone", "status": "active", "dose_mg_per_day": 5} in card["medications"]
    assert card["vaccinations"] == [{"vaccine": "zoster-recombinant", "date": "2026-01-10"}]
    assert {r["test"] for r in card["results"]} == {"tb-igra", "hbsag", "anti-hbc", "anti-hcv"}


def test_fill_the_form_and_get_the_verdicts(client: TestClient) -> None:  # noqa: F811
    r = post(client, FORM)
    assert r.status_code == 200, r.text[:2000]
    v = verdicts(r.text)
    assert set(v) >= {"tofacitinib", "baricitinib", "upadacitinib", "filgotinib"}
    # EU, 71, former smoker, hypertension: only if no suitable alternative.
    assert set(v.values()) == {"Only if no alternative"}
    html = r.text
    assert "EU (EMA)" in html and "Rheumatoid arthritis" in html
    assert 'id="checklist-h"' in html and 'id="monitoring-h"' in html
    # Findings grouped by severity, each with its data and its sources.
    assert 'id="sev-warning-h"' in html
    assert "Data behind this finding" in html and "Sources" in html
    assert "smoking: former" in html  # the data behind risk.smoking
    # Alternatives are shown when a drug is only-if-no-alternative.
    assert 'id="alternatives-h"' in html
    # Every source is shown with the copy it was read in; a secondary copy never reads as the label itself.
    assert '<span class="grade grade-secondary">secondary copy of the EU SmPC</span>' in html
    assert '<span class="grade grade-regulator">regulator&#39;s text (EU)</span>' in html
    # each inline citation and each entry of the page's one list of sources names the copy
    refs = re.findall(r'<p class="source-refs">(.*?)</p>', html, re.S)
    assert refs and all(p.count('class="grade grade-') == p.count('<a href="#src-') > 0 for p in refs)
    listed = re.findall(r'<li id="src-\d+".*?</li>', html, re.S)
    assert listed and all('class="grade grade-' in li for li in listed)


def test_report_carries_the_record_to_switch_region(client: TestClient) -> None:  # noqa: F811
    r = post(client, FORM)
    m = re.search(r'<textarea name="pasted" hidden[^>]*>\n(.*?)</textarea>', r.text, re.S)
    assert m
    card = json.loads(str(m.group(1)).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"))
    assert card["patient"]["age"] == 71
    us = post(client, {"source": "paste", "pasted": json.dumps(card), "region": "US",
                       "indication": "rheumatoid-arthritis"})
    assert us.status_code == 200
    assert 'id="region-shown">US (FDA)' in us.text
    # filgotinib: not in the US; baricitinib: its US RA approval was read only in secondary copies, so it is
    # shown with "check approval" (caution)
    assert set(verdicts(us.text)) == {"tofacitinib", "baricitinib", "upadacitinib"}


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"age": "seventy"}, 422, "Age: must be a whole number of years"),
    ({"lab_hemoglobin": "79", "unit_hemoglobin": "g/dL"}, 422, "Haemoglobin: 79"),
    ({"lab_platelets": "lots"}, 422, "Platelets: not a number"),
    ({"unit_creatinine": "mg%"}, 422, "Creatinine: unknown unit"),
    ({"lab_date": "2027-01-01"}, 422, "Date of these results: 2027-01-01 is after the assessment date 2026-11-26"),
    ({"other_meds": "unobtainium"}, 422, "no known medication matches the text"),
    ({"glucocorticoid_dose": "5", "current": ["methotrexate"]}, 422, "no glucocorticoid is ticked"),
    ({"region": "Mars"}, 400, "Region must be EU or US"),
    ({"as_of": "26/11/2026"}, 400, "The assessment date must be YYYY-MM-DD"),
])
def test_form_errors_name_the_question(client: TestClient, change: dict[str, Any], status: int,  # noqa: F811
                                       words: str) -> None:
    r = post(client, {**FORM, **change})
    assert r.status_code == status
    assert str(escape(words)) in r.text, r.text[r.text.find("error-message"):][:400]
    assert 'role="alert"' in r.text


def test_an_unknown_medicine_is_named_beside_its_question(client: TestClient) -> None:  # noqa: F811
    """A name only the knowledge release can reject comes back beside "Other current medicines", with what was
    typed, not only in the summary at the top."""
    r = post(client, {**FORM, "other_meds": "unobtainium"})
    assert r.status_code == 422
    assert re.search(r'<p class="field-error" id="other_meds-error">[^<]*no known medication matches', r.text)
    assert ">unobtainium</textarea>" in r.text
    assert 'aria-describedby="other_meds-hint other_meds-error" aria-invalid="true"' in r.text


def test_form_without_age_and_nothing_else_is_a_clear_error(client: TestClient) -> None:  # noqa: F811
    r = post(client, {"source": "form"})
    assert r.status_code == 422 and "Age: is required" in r.text
    r = post(client, {"source": "upload"})
    assert r.status_code == 400 and "No patient record given" in r.text


# ------------------------------------------------------------------------------------------------ upload, paste

def test_upload_a_fhir_bundle(client: TestClient) -> None:  # noqa: F811
    data = json.dumps(bundle()).encode()
    r = post(client, {"source": "upload"}, files={"bundle": ("patient.json", data, "application/json")})
    assert r.status_code == 200
    assert "Rheumatoid arthritis" in r.text
    assert verdicts(r.text)
    # The data behind a finding: the lab as recorded and in the canonical unit.
    assert "lymphocytes: 400 /uL (= 0.4 ×10⁹/L) on 2026-11-01" in r.text  # units as clinicians write them


def test_paste_a_yaml_patient_card(client: TestClient) -> None:  # noqa: F811
    card = ("patient: {id: demo-1, age: 50, sex: male}\nconditions:\n  - {concept: rheumatoid-arthritis}\n"
            "smoking: never\n")
    r = post(client, {"source": "paste", "pasted": card})
    assert r.status_code == 200
    assert "demo-1" in r.text and verdicts(r.text)


@pytest.mark.parametrize(("pasted", "words"), [
    ('{"resourceType": "Bundle", "entry": [', "pasted text:1:"),
    ('{"patient": {"age": 50, "colour": "blue"}}', "field patient.colour: unknown field"),
    ("[1, 2", "not valid JSON"),
    ("just words", "is neither a FHIR JSON document nor a patient card"),
])
def test_bad_pasted_input_is_422_naming_the_problem(client: TestClient, pasted: str, words: str) -> None:  # noqa: F811
    r = post(client, {"source": "paste", "pasted": pasted})
    assert r.status_code == 422
    assert "The record could not be read" in r.text
    assert str(escape(words)) in r.text


def test_the_button_pressed_wins_but_an_empty_choice_falls_back(client: TestClient) -> None:  # noqa: F811
    # Enter in a form field submits with the first button (upload); no file, so the form is used.
    r = post(client, {**FORM, "source": "upload"})
    assert r.status_code == 200 and "web-form" in r.text


def test_upload_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from jakcheck.settings import Settings

    app = web_app()
    app.state.settings = Settings(max_input_bytes=1000)
    with TestClient(app) as c:
        r = post(c, {"source": "upload"}, files={"bundle": ("big.json", b" " * 5000 + b"{}", "application/json")})
    assert r.status_code in (400, 413)
    assert "limit" in r.text or "maximum" in r.text


# ------------------------------------------------------------------------------------------------ safety

def test_patient_text_is_escaped(client: TestClient) -> None:  # noqa: F811
    evil = '<script>alert(1)</script>'
    card = {"patient": {"id": evil, "age": 50, "sex": "male"},
            "conditions": [{"concept": "rheumatoid-arthritis", "display": evil}]}
    r = post(client, {"source": "paste", "pasted": json.dumps(card)})
    assert r.status_code == 200
    assert evil not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_pages_forbid_outside_resources_and_framing(client: TestClient) -> None:  # noqa: F811
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_no_patient_identifiers_in_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    caplog.set_level(logging.DEBUG)
    data = json.dumps(bundle()).encode()
    r = post(client, {"source": "upload"}, files={"bundle": (f"{PATIENT_NAME}.json", data, "application/json")})
    assert r.status_code == 200
    bad = post(client, {"source": "paste", "pasted": json.dumps({"patient": {"id": PATIENT_ID, "age": "x"}})})
    assert bad.status_code == 422 and PATIENT_ID not in caplog.text
    assert caplog.records, "the web app logs each assessment (without identifiers)"
    for text in (PATIENT_ID, PATIENT_NAME, "1960-05-01"):
        assert text not in caplog.text


# ------------------------------------------------------------------------------------------------ risk pictures

def test_oral_surveillance_icon_arrays_and_source(client: TestClient) -> None:  # noqa: F811
    r = post(client, FORM)
    html = r.text
    mace = html[html.index('id="trial-mace"'):html.index('id="trial-cancer"')]
    assert mace.count('class="ia-extra"') == 9 and mace.count('class="ia-event"') == 25
    assert mace.count("<circle") + mace.count("<rect") == 1000
    cancer = html[html.index('id="trial-cancer"'):html.index('class="source-caption"')]
    assert cancer.count('class="ia-extra"') == 13 and cancer.count('class="ia-event"') == 29
    caption = html[html.index('class="source-caption"'):]
    assert "Ytterberg" in caption and "oral-surveillance-2022" in caption and "doi.org/10.1056/NEJMoa2109927" in caption
    assert "Trial results: ORAL Surveillance" in html and "a median of 4 years" in html


def test_outside_the_trial_population_the_page_says_whom_it_enrolled(client: TestClient) -> None:  # noqa: F811
    """A 45-year-old: no trial pictures, and the sentence saying why names the trial and its population as the
    knowledge file records them."""
    html = post(client, {**FORM, "age": "45"}).text
    study = default_knowledge().trials["oral-surveillance"]
    assert 'id="trial-h"' not in html
    hint = html[html.index('id="trial-not-shown"'):]
    hint = hint[:hint.index("</p>")]
    assert f"({study.name})" in hint and str(escape(study.population.text)) in hint


def test_trial_results_in_the_knowledge_match_their_patient_counts() -> None:
    trials = default_knowledge().trials
    assert "oral-surveillance" in trials
    for t in trials.values():  # the published percentages match the patient counts
        for o in t.outcomes:
            for arm in (o.treated, o.comparator):
                assert round(100 * arm.events / arm.n, 1) == arm.percent


def test_cv_risk_says_why_it_is_missing(client: TestClient) -> None:  # noqa: F811
    r = post(client, FORM)
    assert 'id="cv-missing"' in r.text and "could not be calculated" in r.text


class WithScores(Assessment):
    scores: list[dict[str, Any]] = []


def _with(monkeypatch: pytest.MonkeyPatch, **update: Any) -> None:
    real = routes.assess

    def fake(*args: Any, **kwargs: Any) -> Assessment:
        a = real(*args, **kwargs)
        if "scores" in update:
            return WithScores(**{k: getattr(a, k) for k in type(a).model_fields if k != "scores"},
                              scores=update["scores"])
        return a.model_copy(update=update)

    monkeypatch.setattr(routes, "assess", fake)


def test_cv_risk_icon_array_when_a_score_is_present(client: TestClient,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _with(monkeypatch, scores=[
        {"calculator": "prevent", "results": {"cvd_10y": 6.0}, "category": None, "inputs": {}, "sources": []},
        {"calculator": "score2-op", "results": {"cvd_10y": 17.4, "cvd_10y_ra_x1_5": 26.1}, "category": "very high",
         "inputs": {}, "sources": [{"id": "score2-op-2021", "title": "SCORE2-OP", "grade": "secondary",
                                    "grade_text": "secondary copy of the paper"}]},
        {"calculator": "das28-crp", "results": {"score": 4.1}, "category": "moderate"},
    ])
    r = post(client, FORM)
    html = r.text
    fig = html[html.index('id="cv-h"'):html.index('id="trial-h"')]
    assert "SCORE2-OP: 10-year risk of cardiovascular disease: <strong>17.4%</strong> (very high)" in fig
    assert fig.count('class="ia-event"') == 17 and fig.count('class="ia-none"') == 83
    assert "multiplied by 1.5 for rheumatoid arthritis (EULAR) 26.1%" in fig
    assert "(secondary copy of the paper)" in fig


def test_cv_risk_reason_from_the_calculator(monkeypatch: pytest.MonkeyPatch, client: TestClient) -> None:  # noqa: F811
    _with(monkeypatch, scores=[{"calculator": "score2-op", "results": {}, "missing": ["total_cholesterol", "hdl"]}])
    r = post(client, FORM)
    assert "could not be calculated: to calculate it, record total cholesterol, HDL cholesterol" in r.text


def test_cv_risk_range_when_only_yes_no_inputs_are_unknown(monkeypatch: pytest.MonkeyPatch,
                                                            client: TestClient) -> None:  # noqa: F811
    """Diabetes not recorded: the box gives the range over both answers in words, as the finding does."""
    _with(monkeypatch, scores=[{"calculator": "score2", "status": "incomplete", "results": {},
                                "bounds": {"cvd_10y": [8.1, 12.6]}, "missing": ["diabetes"]}])
    html = post(client, FORM).text
    box = html[html.index('id="cv-h"'):html.index('id="trial-h"')]
    assert "between <strong>8.1%</strong> and <strong>12.6%</strong>, depending on diabetes (yes or no)" in box
    assert "diabetes" in box and "on_antihypertensive" not in box


def test_on_treatment_mode_and_current_therapy(monkeypatch: pytest.MonkeyPatch, client: TestClient) -> None:  # noqa: F811
    _with(monkeypatch, mode="on-treatment", current_therapy=CurrentTherapyOut(
        drug="tofacitinib", dose=CurrentDoseOut(daily_amount=10), started="2025-01-01", weeks_on_treatment=99,
        source="MedicationRequest/x"))
    r = post(client, FORM)
    assert "On treatment" in r.text and "tofacitinib, 10.0 mg per day" in r.text and "(99 weeks)" in r.text


# ------------------------------------------------------------------------------------------------ report links

def test_report_link_renders_a_cached_assessment() -> None:
    from datetime import date

    from jakcheck.engine import assess
    from jakcheck.patient.card import read_card

    k = default_knowledge()
    facts = read_card({"patient": {"age": 50, "sex": "male"}, "conditions": [{"concept": "rheumatoid-arthritis"}]},
                      source_name="t", as_of=date(2026, 11, 26), knowledge=k)
    cached = assess(facts, k, region="EU")

    class Cache:
        def get(self, token: str) -> Assessment | None:
            return cached if token == "tok" else None

    app = web_app()
    app.state.report_cache = Cache()
    with TestClient(app) as c:
        r = c.get("/report/tok")
        assert r.status_code == 200 and verdicts(r.text) and "Opened from the EHR" in r.text
        assert c.get("/report/other").status_code == 404


def test_insecure_dev_mode_is_shown_on_every_page() -> None:
    app = web_app()
    app.state.insecure_dev = True
    with TestClient(app) as c:
        for path in ("/", "/knowledge", "/knowledge/drugs/tofacitinib", "/knowledge/drugs/nope"):
            assert "INSECURE DEV MODE" in c.get(path).text, path
        assert "INSECURE DEV MODE" in post(c, FORM).text
    with TestClient(web_app()) as c:
        assert "INSECURE DEV MODE" not in c.get("/").text


def test_form_problems_are_all_listed_and_nothing_typed_is_lost(client: TestClient) -> None:  # noqa: F811
    """No diagnosis, a bad age and a bad lab value: one answer lists all three, inline and in a summary, and the
    form comes back with every typed value, tick and unit."""
    data = {**FORM, "indication": "", "age": "seventy", "lab_platelets": "2x5", "unit_hemoglobin": "mmol/L"}
    r = post(client, data)
    assert r.status_code == 422
    html = r.text
    summary = html[html.index('id="error-summary"'):html.index("</ul>", html.index('id="error-summary"'))]
    assert "3 answers to correct" in summary
    for field in ("#diagnosis", "#age", "#lab_platelets"):
        assert f'href="{field}"' in summary
    assert 'id="age"' in html and 'value="seventy"' in html and 'aria-invalid="true"' in html
    assert 'value="1.4"' in html and 'value="3200"' in html  # typed lab values kept
    assert re.search(r'name="cv" value="hypertension" checked', html)
    assert re.search(r'name="current" value="methotrexate" checked', html)
    assert re.search(r'<option value="mmol/L" selected>', html)


def test_form_asks_what_the_risk_calculators_need() -> None:
    """Diabetes no, blood pressure treated, statin yes, height: the card states each, so the calculators run."""
    from datetime import date

    form = {**FORM, "diabetes": "no", "bp_treated": "yes", "statin": "yes", "lab_height": "170",
            "lab_systolic-bp": "150", "lab_cholesterol-total": "5.2", "unit_cholesterol-total": "mmol/L",
            "lab_hdl": "1.3", "unit_hdl": "mmol/L"}
    card = web_form.card_from_form(form, default_knowledge(), date(2026, 11, 26)).card
    assert "diabetes" in card["known_absent"]
    assert {"drug": "antihypertensive", "status": "active"} in card["medications"]
    assert {"drug": "statin", "status": "active"} in card["medications"]
    assert any(lab["test"] == "height" and lab["value"] == 170 for lab in card["labs"])


def test_form_units_default_by_region(client: TestClient) -> None:  # noqa: F811
    html = client.get("/").text
    hb = html[html.index('id="unit_hemoglobin"'):html.index("</select>", html.index('id="unit_hemoglobin"'))]
    region = re.search(r'name="region" value="(EU|US)" checked', html)
    assert region is not None
    assert ('<option value="g/L" selected>' in hb) == (region.group(1) == "EU")
    assert 'data-eu="g/L"' in hb and 'data-us="g/dL"' in hb


def test_the_diagnosis_is_required_in_the_form() -> None:
    problems = web_form.form_problems({**FORM, "indication": ""}, default_knowledge())
    assert [p[0] for p in problems] == ["diagnosis"]


def test_cv_box_and_cardiovascular_finding_give_the_same_figure(client: TestClient) -> None:  # noqa: F811
    """A current smoker of 68 with high blood pressure and cholesterol on record, diabetes not answered: the risk
    box and the finding both come from the region's default model and quote the same figure."""
    form = {**FORM, "region": "EU", "as_of": "2026-11-26", "age": "68", "smoking": "current",
            "lab_systolic-bp": "165", "lab_cholesterol-total": "6.5", "unit_cholesterol-total": "mmol/L",
            "lab_hdl": "0.9", "unit_hdl": "mmol/L"}
    html = post(client, form).text
    found = re.search(r"calculated 10-year CVD risk at least ([0-9.]+)%", html)
    assert found is not None
    box = html[html.index('id="cv-h"'):html.index("</figure>", html.index('id="cv-h"'))]
    assert f"{found.group(1)}%" in re.sub(r"<[^>]+>", "", box)
