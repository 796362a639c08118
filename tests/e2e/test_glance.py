"""The clinician's answer at a glance, walked in real headless Chromium as three clinicians would use the app:

1. an EU rheumatologist with a 68-year-old former smoker with hypertension and no work-up yet (short form);
2. a US dermatologist with a 30-year-old with atopic dermatitis (short form);
3. uploads of FHIR bundles: a complete record, a patient 52 weeks into upadacitinib, a deceased patient.

Each page is screenshotted at 1366x768 and 820x1180 into test-artifacts/glance/ and checked with axe-core: no
serious or critical violation on any page, the API docs (/docs) included. The short form is checked in the browser
and, with scripts off, by the server. The command line's HTML report of every example patient prints its summary on
at most two A4 pages. Uses the app, browser and server set-up of test_browser.py.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import jakcheck.cli
from jakcheck.cli import main
from jakcheck.knowledge.loader import default_knowledge
from tests.e2e.test_browser import AS_OF, base_url, browser  # noqa: F401 - the shared server and browser fixtures
from tests.e2e.test_examples import ENTRIES as EXAMPLE_ENTRIES
from tests.e2e.test_examples import argv_for
from tests.e2e.test_on_treatment_examples import ENTRIES as ON_TREATMENT_ENTRIES
from tests.e2e.test_on_treatment_examples import FOLDER as ON_TREATMENT_FOLDER

axe_module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                 reason="axe-playwright-python is not installed (pip install -e '.[dev]')")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "glance"
VIEWPORTS = {"1366x768": {"width": 1366, "height": 768}, "820x1180": {"width": 820, "height": 1180}}


@pytest.fixture()
def page(browser: Any, base_url: str) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport=VIEWPORTS["1366x768"], base_url=base_url)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"browser errors: {errors}"


def check_page(pg: Any, name: str) -> None:
    """Screenshots at both sizes, and axe-core: zero serious or critical violations."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in VIEWPORTS.items():
        pg.set_viewport_size(size)
        pg.evaluate("window.scrollTo(0, 0)")
        path = ARTIFACTS / f"{name}-{label}.png"
        pg.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
    pg.set_viewport_size(VIEWPORTS["1366x768"])
    assert_axe_clean(pg, name)


def assert_axe_clean(pg: Any, name: str) -> None:
    """axe-core with every rule on: zero serious or critical violations."""
    results = axe_module.Axe().run(pg)
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: axe-core serious/critical violations: {bad}"


def printed_pages(pg: Any, *, full: bool = False) -> int:
    """The number of A4 pages the report prints to (the summary by default, the full report when asked)."""
    if full:  # as the "Print full report" button does
        pg.evaluate("document.body.classList.add('print-all'); "
                    "document.querySelectorAll('details:not([open])')"
                    ".forEach(d => d.setAttribute('data-was-closed', ''));"
                    "document.querySelectorAll('details').forEach(d => d.open = true)")
    pg.emulate_media(media="print")
    data = pg.pdf(format="A4")
    pg.emulate_media(media="screen")
    if full:
        pg.evaluate("document.body.classList.remove('print-all'); "
                    "document.querySelectorAll('details[data-was-closed]').forEach(d => { d.open = false; "
                    "d.removeAttribute('data-was-closed'); })")
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def running_header_repeats(pg: Any) -> bool:
    """In print the patient line is the header row of the page frame, which the browser repeats on every page: the
    frame must be a real table (a block frame prints the line on the first page only)."""
    pg.emulate_media(media="print")
    shown = pg.evaluate("['table.print-frame', 'table.print-frame > thead', 'table.print-frame > tbody > tr']"
                        ".map(s => getComputedStyle(document.querySelector(s)).display)")
    text = pg.inner_text("table.print-frame > thead .running-header")
    pg.emulate_media(media="screen")
    return bool(shown == ["table", "table-header-group", "table-row"] and text.strip())


def assert_clinical_language(pg: Any) -> None:
    """What a clinician sees: no rule codes, record units or source ids; each source listed once on the page."""
    visible = pg.inner_text("main")  # closed disclosures are not rendered
    assert not re.search(r"\b(hbv|hcv|tb|lab|risk|vaccine)\.[a-z-]+", visible), "rule code shown"
    for raw in ("10*9/L", "mm[Hg]", "{1.73_m2}", "[ema-", "card:"):
        assert raw not in visible, raw
    listed = pg.eval_on_selector_all("ol.page-sources > li", "items => items.map(li => li.id)")
    assert listed and len(listed) == len(set(listed))
    for href in pg.eval_on_selector_all("p.source-refs a", "links => links.map(a => a.getAttribute('href'))"):
        assert href.lstrip("#") in listed


def upload(pg: Any, path: Path, region: str = "EU") -> None:
    pg.goto("/")
    pg.check(f"input[name=region][value={region}]")
    pg.fill("#as_of", AS_OF)
    pg.set_input_files("#bundle", str(path))
    pg.click("button[value=upload]")
    pg.wait_for_load_state("networkidle")


def fill_form(pg: Any, *, region: str, indication: str, age: int, sex: str, smoking: str,
              cv: tuple[str, ...] = ()) -> None:
    pg.goto("/")
    pg.check(f"input[name=region][value={region}]")
    pg.fill("#as_of", AS_OF)
    pg.select_option("#diagnosis", indication)
    pg.fill("#age", str(age))
    pg.check(f"input[name=sex][value={sex}]")
    pg.check(f"input[name=smoking][value={smoking}]")
    for c in cv:
        pg.check(f"input[name=cv][value={c}]")


def test_eu_rheumatologist_68_year_old_former_smoker_without_work_up(page: Any) -> None:
    """The restriction stays visible while the work-up is open; never green; the trial pictures apply."""
    fill_form(page, region="EU", indication="rheumatoid-arthritis", age=68, sex="female", smoking="former",
              cv=("hypertension",))
    check_page(page, "01-eu-form-filled")
    page.click("button[value=form]")
    page.wait_for_selector("#headline")
    headline = page.inner_text("#headline")
    assert "Only if no suitable alternative" in headline and "age 68" in headline and "former smoker" in headline
    assert re.search(r"work-up: \d+ steps? open", headline)
    assert "tone-green" not in page.get_attribute("#headline", "class")
    assert "Ready to start: no" in page.inner_text("#ready")
    assert "tone-green" not in (page.get_attribute("#ready", "class") or "")
    # Every drug is deferred now; each card says what it will be once the tests come back normal.
    cards = page.locator(".verdict-card")
    assert cards.count() >= 3
    for i in range(cards.count()):
        text = cards.nth(i).inner_text()
        assert "Defer" in text and "Once the work-up is done: Only if no alternative" in text
    # The headline sits above the fold.
    assert page.locator("#headline").bounding_box()["y"] + 40 < 768
    # RA, 68, hypertension: like the ORAL Surveillance population: trial pictures titled as trial results.
    assert "Trial results: ORAL Surveillance" in page.inner_text("#trial-h")
    assert page.locator("#trial-not-shown").count() == 0
    assert running_header_repeats(page)
    assert printed_pages(page) <= 2 < printed_pages(page, full=True)
    assert_clinical_language(page)
    check_page(page, "02-eu-report-68-former-smoker")


def test_us_dermatologist_30_year_old_atopic_dermatitis(page: Any) -> None:
    """Far outside the trial population: no ORAL Surveillance pictures, said in words."""
    fill_form(page, region="US", indication="atopic-dermatitis", age=30, sex="male", smoking="never")
    page.click("button[value=form]")
    page.wait_for_selector("#headline")
    assert page.locator("#trial-h").count() == 0
    assert "not shown" in page.inner_text("#trial-not-shown")
    assert page.inner_text("#headline").strip()
    check_page(page, "03-us-report-30-atopic-dermatitis")


def test_uploaded_record_shows_who_the_patient_is(page: Any) -> None:
    """Name, birth date and record number in the header and in the printed running header."""
    upload(page, ROOT / "examples" / "ra-71-smoker-eu.json")
    header = page.inner_text(".report-header")
    for detail in ("Henrik Aalborg-Example", "1955-03-14", "EX-0001"):
        assert detail in header
    running = page.locator("table.print-frame > thead .running-header").text_content() or ""
    assert "Henrik Aalborg-Example" in running and "EX-0001" in running
    assert "Only if no suitable alternative: age 71, current smoker" in page.inner_text("#headline")
    # Alternatives are in the verdict section, before the findings.
    assert page.locator("#verdicts #alternatives-brief").count() == 1
    assert printed_pages(page) <= 2
    assert_clinical_language(page)
    # Evidence is collapsed; a reason in a verdict card opens the finding it links to.
    assert not page.locator("#findings details.section-details").evaluate("d => d.open")
    link = page.locator("#verdicts .reasons a").first
    target = link.get_attribute("href")
    link.click()
    assert page.locator(target).is_visible()
    check_page(page, "04-upload-ra-71-smoker")


def test_on_treatment_record_speaks_on_treatment(page: Any) -> None:
    """52 weeks into upadacitinib: Continue?, current dose, monitoring first; nothing about starting."""
    upload(page, ROOT / "examples" / "on-treatment" / "ra-upadacitinib-new-mi-eu.json")
    assert page.inner_text("#headline").removeprefix("Result:").strip().startswith("Continue upadacitinib?")
    body = page.inner_text("main")
    for phrase in ("Ready to start", "Starting dose", "Pre-treatment checklist", "ready to start"):
        assert phrase not in body, phrase
    assert "Current dose:" in page.inner_text("#drug-upadacitinib")
    assert page.inner_text("#checklist-h") == "To do now"
    order = page.evaluate("[...document.querySelectorAll('section[id]')].map(s => s.id)")
    assert order.index("monitoring") < order.index("verdicts")
    assert printed_pages(page) <= 2
    check_page(page, "05-upload-on-treatment-upadacitinib")


def test_deceased_patient_is_refused(page: Any, tmp_path: Path) -> None:
    doc = json.loads((ROOT / "examples" / "ra-71-smoker-eu.json").read_text())
    doc = copy.deepcopy(doc)
    next(e for e in doc["entry"] if e["resource"]["resourceType"] == "Patient")["resource"][
        "deceasedDateTime"] = "2026-10-02"
    path = tmp_path / "deceased.json"
    path.write_text(json.dumps(doc))
    upload(page, path)
    assert "This patient has died" in page.inner_text("h1")
    assert "2026-10-02" in page.inner_text("main")
    assert page.locator("#headline").count() == 0
    check_page(page, "06-deceased-refused")


@pytest.mark.parametrize("path", ["/", "/knowledge", "/knowledge/drugs/tofacitinib", "/knowledge/sources",
                                  "/knowledge/rules"])
def test_every_app_page_passes_axe_and_links_the_api_docs(page: Any, path: str) -> None:
    page.goto(path)
    assert page.locator("header.site-header a[href='/docs']").count() == 1
    check_page(page, "07-page" + (path.replace("/", "-").rstrip("-") or "-start"))


def test_api_docs_link_back_to_the_app_and_pass_axe(page: Any) -> None:
    """The API docs (Swagger UI, served offline) pass axe-core as loaded, with every operation open, with every
    "Try it out" form shown and after calls were made, and link back to the app."""
    page.goto("/docs")
    assert page.locator("header a[href='/']").first.inner_text().startswith("Back to the jakcheck app")
    page.wait_for_selector(".opblock-summary-control")
    # An operation's path inside its expand button is text, not a second link (axe nested-interactive).
    assert page.locator(".opblock-summary-control a[href]").count() == 0
    check_page(page, "10-api-docs")
    controls = page.locator(".opblock-summary-control")
    assert controls.count() >= 5
    for i in range(controls.count()):
        controls.nth(i).click()
    page.wait_for_selector(".opblock-body")
    assert_axe_clean(page, "10-api-docs-operations-open")
    while page.locator(".try-out__btn:not(.cancel)").count():
        page.locator(".try-out__btn:not(.cancel)").first.click()
    assert page.locator("textarea.body-param__text").count() >= 1
    assert_axe_clean(page, "10-api-docs-try-it-out")
    page.locator(".opblock-get .execute").first.click()  # the CDS Hooks discovery: answers 200
    page.locator(".opblock-post .execute").first.click()  # a required path parameter left blank: marked invalid
    page.wait_for_selector(".live-responses-table")
    page.wait_for_selector("tr[data-param-name] input.invalid")
    page.wait_for_selector(".validation-errors")
    assert_axe_clean(page, "10-api-docs-responses")
    check_page(page, "10-api-docs-responses")


def test_short_form_comes_first_and_keeps_what_was_typed(page: Any) -> None:
    """The form is reached in a few Tab presses; units follow the region; every problem is listed at once and
    nothing typed is lost; the focused field is never hidden under the sticky settings bar."""
    page.goto("/")
    page.check("input[name=region][value=EU]")
    presses = 0
    page.evaluate("document.activeElement && document.activeElement.blur()")
    while page.evaluate("document.activeElement.id") != "age" and presses < 30:
        page.keyboard.press("Tab")
        presses += 1
    assert presses <= 12, f"{presses} Tab presses to Age"
    assert page.locator("#unit_hemoglobin").input_value() == "g/L"  # SI in the EU
    page.check("input[name=region][value=US]")
    assert page.locator("#unit_hemoglobin").input_value() == "g/dL"
    page.check("input[name=region][value=EU]")
    # Upload and paste are tabs below the form.
    assert page.get_attribute("#tab-upload", "aria-selected") == "true" and page.locator("#panel-paste").is_hidden()
    page.click("#tab-paste")
    assert page.locator("#pasted").is_visible() and page.locator("#panel-upload").is_hidden()
    check_page(page, "08-start-form-first")
    # Focus not obscured: walking back up the form with Shift+Tab, the focused field stays below the bar.
    page.focus("#glucocorticoid_dose")
    stuck = 0
    for _ in range(25):
        page.keyboard.press("Shift+Tab")
        box = page.evaluate("(() => { const r = document.activeElement.getBoundingClientRect();"
                            " const b = document.getElementById('settings').getBoundingClientRect();"
                            " return [r.top, r.bottom, b.bottom, b.top]; })()")
        top, bottom, bar_bottom, bar_top = box
        if bar_top <= 0:  # the bar is stuck at the top of the window
            stuck += 1
            assert bottom > bar_bottom and top >= bar_bottom - 2, box
    assert stuck > 10
    # Problems: no diagnosis, a bad age, a bad lab value; everything typed comes back.
    page.fill("#age", "200")
    page.fill("#lab_platelets", "2x5")
    page.fill("#lab_lymphocytes", "1.2")
    page.check("input[name=smoking][value=former]")
    page.click("button[value=form]")
    page.wait_for_selector("#error-summary")
    summary = page.inner_text("#error-summary")
    assert "3 answers to correct" in summary
    for what in ("Diagnosis to treat", "Age", "Platelets"):
        assert what in summary
    assert page.input_value("#age") == "200" and page.input_value("#lab_lymphocytes") == "1.2"
    assert page.is_checked("input[name=smoking][value=former]")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    check_page(page, "09-form-problems-listed")
    page.select_option("#diagnosis", "rheumatoid-arthritis")
    page.fill("#age", "60")
    page.fill("#lab_platelets", "250")
    page.click("button[value=form]")
    page.wait_for_selector("#headline")


def _cli_report_cases() -> list[Any]:
    """`jakcheck assess ... --format html` for every example patient, before and on treatment."""
    cases = [pytest.param(argv_for(e, "html"), id=Path(e["file"]).stem) for e in EXAMPLE_ENTRIES]
    cases += [pytest.param(["assess", str(ON_TREATMENT_FOLDER / e["file"]), *map(str, e["args"]), "--format", "html"],
                           id="on-treatment-" + str(e.get("name") or Path(e["file"]).stem))
              for e in ON_TREATMENT_ENTRIES]
    return cases


def _cli_report_page(browser: Any, argv: list[str], out: Path, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    monkeypatch.setattr(jakcheck.cli, "_knowledge", default_knowledge)
    assert main([*argv, "--output", str(out)], {}) == 0
    pg = browser.new_page()
    pg.goto(out.as_uri())
    return pg


@pytest.mark.parametrize("argv", _cli_report_cases())
def test_cli_html_report_prints_a_summary_of_at_most_two_pages(browser: Any, argv: list[str],  # noqa: F811
                                                               tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's HTML report printed by default: result and next steps first (headline, verdicts with doses,
    checklist), the evidence left for the full report, the patient named on every A4 page, at most 2 pages."""
    pg = _cli_report_page(browser, argv, tmp_path / "report.html", monkeypatch)
    try:
        assert running_header_repeats(pg)
        pg.emulate_media(media="print")
        shown = pg.evaluate("""(() => {
            const out = {};
            for (const id of ['headline', 'verdicts', 'checklist', 'findings', 'scores', 'alternatives', 'sources']) {
                const el = document.getElementById(id);
                out[id] = el && getComputedStyle(el).display !== 'none' ? el.getBoundingClientRect().top : null;
            }
            return out; })()""")
        pg.emulate_media(media="screen")
        assert shown["headline"] is not None and shown["headline"] < shown["verdicts"] < shown["checklist"], shown
        for evidence in ("findings", "scores", "alternatives", "sources"):
            assert shown[evidence] is None, f"{evidence} printed in the summary"
        assert printed_pages(pg) <= 2
    finally:
        pg.close()


def test_cli_html_full_report_prints_the_evidence(browser: Any, tmp_path: Path,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    entry = next(e for e in EXAMPLE_ENTRIES if e["file"] == "ra-71-smoker-eu.json")
    summary = _cli_report_page(browser, argv_for(entry, "html"), tmp_path / "summary.html", monkeypatch)
    full = _cli_report_page(browser, [*argv_for(entry, "html"), "--print-full"], tmp_path / "full.html", monkeypatch)
    try:
        assert running_header_repeats(full)
        assert printed_pages(summary) <= 2 < printed_pages(full)
    finally:
        summary.close()
        full.close()


def _fill_form_with_problems(pg: Any) -> None:
    """No diagnosis, an impossible age, a lab value that is not a number, a glucocorticoid dose without a
    glucocorticoid, "none of these" with a condition; plus answers that are fine and must be kept."""
    pg.goto("/")
    pg.check("input[name=region][value=EU]")
    pg.fill("#as_of", AS_OF)
    pg.fill("#age", "200")
    pg.check("input[name=sex][value=female]")
    pg.check("input[name=smoking][value=former]")
    pg.check("input[name=cv][value=hypertension]")
    pg.check("input[name=cv_none]")
    pg.fill("#lab_lymphocytes", "1.2")
    pg.fill("#lab_neutrophils", "3,4")  # a decimal comma is a number
    pg.fill("#lab_platelets", "2x5")
    pg.fill("#glucocorticoid_dose", "7.5")
    pg.fill("#other_meds", "metformin")


FORM_PROBLEMS = {"diagnosis": "choose the diagnosis the JAK inhibitor would treat",
                 "age": "must be a whole number of years from 0 to 130, not '200'",
                 "lab_platelets": "not a number: '2x5'",
                 "glucocorticoid_dose": "given, but no glucocorticoid is ticked",
                 "cv": "'none of these' is ticked together with a condition"}


def _assert_problems_beside_fields_and_values_kept(pg: Any, problems: dict[str, str]) -> None:
    summary = pg.inner_text("#error-summary")
    assert f"{len(problems)} answers to correct" in summary
    for field, message in problems.items():
        assert message in summary, (field, summary)
        assert pg.locator(f"#error-summary a[href='#{field}']").count() == 1
        assert message in pg.inner_text(f"#{field}-error")
        # Beside its question: right after the box, or inside the group of tick boxes.
        beside = pg.evaluate("id => { const c = document.getElementById(id);"
                             " const e = document.getElementById(id + '-error');"
                             " return c.tagName === 'FIELDSET' ? c.contains(e) : c.nextElementSibling === e; }", field)
        assert beside, field
    for field in ("lab_lymphocytes", "lab_neutrophils"):
        assert pg.locator(f"#{field}-error").count() == 0
    for field, typed in (("age", "200"), ("lab_lymphocytes", "1.2"), ("lab_neutrophils", "3,4"),
                         ("lab_platelets", "2x5"), ("glucocorticoid_dose", "7.5"), ("other_meds", "metformin")):
        assert pg.input_value(f"#{field}") == typed, field
    assert pg.is_checked("input[name=smoking][value=former]") and pg.is_checked("input[name=sex][value=female]")
    assert pg.is_checked("input[name=cv][value=hypertension]") and pg.is_checked("input[name=cv_none]")
    assert pg.get_attribute("#glucocorticoid_dose", "aria-invalid") == "true"
    assert "glucocorticoid_dose-error" in (pg.get_attribute("#glucocorticoid_dose", "aria-describedby") or "")


def test_short_form_checks_every_answer_inline_before_sending(page: Any) -> None:
    """In the browser, every problem at once, each beside its question and in a list at the top, nothing sent and
    nothing typed lost; a corrected answer loses its message at once; axe-core stays clean on the error state."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    _fill_form_with_problems(page)
    # Inline, before sending: a changed answer is checked beside its question.
    page.locator("#lab_platelets").blur()
    assert "not a number: '2x5'" in page.inner_text("#lab_platelets-error")
    assert page.locator("#error-summary").count() == 0
    page.click("button[value=form]")
    page.wait_for_selector("#error-summary")
    assert not sent, "the form was sent with problems the page can see"
    _assert_problems_beside_fields_and_values_kept(page, FORM_PROBLEMS)
    for field in ("diagnosis", "age", "lab_platelets"):
        assert page.get_attribute(f"#{field}", "aria-invalid") == "true"
        assert f"{field}-error" in (page.get_attribute(f"#{field}", "aria-describedby") or "")
    assert page.get_attribute("input[name=cv_none]", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    check_page(page, "11-form-problems-inline")
    # Corrected answers lose their messages at once; the list at the top follows.
    page.fill("#age", "68")
    page.locator("#age").blur()
    assert page.locator("#age-error").count() == 0 and page.get_attribute("#age", "aria-invalid") is None
    assert "4 answers to correct" in page.inner_text("#error-summary")
    page.select_option("#diagnosis", "rheumatoid-arthritis")
    page.fill("#lab_platelets", "250")
    page.locator("#lab_platelets").blur()
    page.uncheck("input[name=cv_none]")
    page.check("input[name=current][value=prednisolone]")
    assert page.locator("#error-summary").count() == 0 and page.locator(".field-error").count() == 0
    page.click("button[value=form]")
    # What only the server can tell (a medicine name it does not know) comes back the same way, all typed kept.
    page.wait_for_selector("#error-summary")
    assert sent and "1 answer to correct" in page.inner_text("#error-summary")
    assert "no known medication matches the text 'metformin'" in page.inner_text("#error-summary")
    assert page.input_value("#age") == "68" and page.input_value("#lab_platelets") == "250"
    assert page.is_checked("input[name=current][value=prednisolone]")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.fill("#other_meds", "")
    page.click("button[value=form]")
    page.wait_for_selector("#headline")


def test_short_form_without_script_is_checked_by_the_server(browser: Any, base_url: str) -> None:  # noqa: F811
    """The server has the last word and says the same: with scripts off, every problem at once beside its question,
    everything typed kept."""
    context = browser.new_context(viewport=VIEWPORTS["1366x768"], base_url=base_url, java_script_enabled=False)
    try:
        pg = context.new_page()
        _fill_form_with_problems(pg)
        pg.click("button[value=form]")
        pg.wait_for_selector("#error-summary")
        assert "/assess" in pg.url
        _assert_problems_beside_fields_and_values_kept(pg, FORM_PROBLEMS)
    finally:
        context.close()
