"""End-to-end tests of the clinician web app in real headless Chromium (Debian's `chromium`, driven by Playwright).

No browser is ever downloaded: the tests use /usr/bin/chromium (`make test` installs the Debian package when it
is missing and the user is root) and skip with the reason when it is absent. The app runs under uvicorn on
127.0.0.1 on a free port. Screenshots (and a PDF of the printed report) are saved under test-artifacts/browser/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.shared_data import SYNTHEA_FOLDERS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
AS_OF = "2026-11-26"

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; `make test` does it "
                "as root); browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                               "(pip install -e '.[dev]')")
uvicorn = pytest.importorskip("uvicorn")


def _app(workdir: Path) -> Any:
    """The real app when the app factory exists (its files kept in `workdir`), else the web router alone."""
    try:
        from jakcheck.service.app import create_app  # type: ignore[import-not-found, unused-ignore]
        from jakcheck.settings import Settings
    except ImportError:
        from tests.service.web_client import web_app

        return web_app()
    settings = Settings()
    if hasattr(settings, "feedback_store"):
        settings = replace(settings, feedback_store=str(workdir / "feedback.sqlite3"))
    return create_app(settings)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    app = _app(tmp_path_factory.mktemp("service"))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="auto")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="jakcheck-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
    pg = context.new_page()
    outside: list[str] = []
    # Everything must come from this server: no CDN, fonts or tracking.
    pg.on("request", lambda req: outside.append(req.url) if not req.url.startswith((base_url, "data:")) else None)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # A 4xx answer to a form post is the error page itself (tested for); anything else is a fault.
    pg.on("console", lambda msg: errors.append(msg.text)
          if msg.type == "error" and "status of 400" not in msg.text and "status of 422" not in msg.text else None)
    yield pg
    context.close()
    assert not outside, f"requests left the server: {outside}"
    assert not errors, f"browser errors: {errors}"


def _shot(pg: Any, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if full_page:  # from the top, so the sticky settings bar sits where it belongs
        pg.evaluate("window.scrollTo(0, 0)")
    pg.screenshot(path=str(path), full_page=full_page)
    return path


def test_fill_the_form_and_see_the_verdicts(page: Any) -> None:
    page.goto("/")
    assert page.title().startswith("Assess a patient")
    page.check("input[name=region][value=EU]")
    page.fill("#as_of", AS_OF)
    page.select_option("#diagnosis", "rheumatoid-arthritis")
    page.fill("#age", "71")
    page.check("input[name=sex][value=female]")
    page.check("input[name=smoking][value=former]")
    page.check("input[name=cv][value=hypertension]")
    page.check("input[name=cancer][value=none]")
    page.check("input[name=vte][value=no]")
    page.select_option("#result_tb-igra", "negative")
    page.select_option("#result_hbsag", "negative")
    page.select_option("#result_anti-hbc", "negative")
    page.select_option("#result_anti-hcv", "negative")
    page.fill("#lab_lymphocytes", "1.4")
    page.fill("#lab_neutrophils", "3.2")
    page.fill("#lab_hemoglobin", "7.9")
    page.select_option("#unit_hemoglobin", "mmol/L")
    page.fill("#lab_platelets", "250")
    page.fill("#lab_alt", "22")
    page.fill("#lab_ast", "25")
    page.fill("#lab_creatinine", "70")
    page.select_option("#unit_creatinine", "umol/L")
    page.fill("#lab_weight", "68")
    page.fill("#vaccine_zoster-recombinant", "2026-01-10")
    page.check("input[name=current][value=methotrexate]")
    _shot(page, "01-start-form-filled")
    page.click("button[value=form]")
    page.wait_for_selector("#verdicts")
    assert page.title().startswith("Assessment")
    cards = page.locator(".verdict-card")
    assert cards.count() >= 3
    drugs = [cards.nth(i).locator("h3").inner_text() for i in range(cards.count())]
    assert "Tofacitinib" in drugs and "Baricitinib" in drugs
    verdicts = page.locator(".verdict-card .verdict").all_inner_texts()
    # 71 and a former smoker with hypertension, EU: the EMA 2023 measures apply.
    assert all("Only if no alternative" in v for v in verdicts), verdicts
    assert page.locator("#region-shown").inner_text() == "EU (EMA)"
    assert page.locator("#trial-mace svg rect.ia-extra").count() == 9  # 34 vs 25 in 1000
    assert page.locator("#trial-cancer svg rect.ia-extra").count() == 13  # 42 vs 29 in 1000
    assert page.locator("#risk .source-caption a[href='/knowledge/sources/oral-surveillance-2022']").count() == 1
    _shot(page, "02-report-from-form")

    # The checklist ticks, and counts.
    boxes = page.locator(".checklist input[type=checkbox]")
    if boxes.count():
        boxes.first.check()
        assert page.locator(".checklist-progress").inner_text().startswith("1 of ")

    # Same record in the other region, without re-typing it.
    page.check(".region-switch input[value=US]")
    page.click(".region-switch button")
    page.wait_for_selector("#verdicts")
    assert page.locator("#region-shown").inner_text() == "US (FDA)"
    _shot(page, "03-report-same-patient-us")

    # The printed report: print stylesheet, checklist boxes printed.
    page.emulate_media(media="print")
    _shot(page, "04-report-print-media")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "report-printed.pdf"), format="A4")
    assert page.locator(".site-header").is_hidden()


def _synthea_ra_patient() -> Path:
    for folder in SYNTHEA_FOLDERS:
        hits = sorted(folder.glob("Hershel_Marvin_71a7f9d4*.json")) if folder.is_dir() else []
        if hits:
            return hits[0]
    pytest.skip("shared Synthea data (../shared/data) is absent")


def test_upload_a_synthea_bundle_and_see_the_report(page: Any) -> None:
    bundle = _synthea_ra_patient()
    page.goto("/")
    page.check("input[name=region][value=EU]")
    page.fill("#as_of", "2021-06-01")
    page.set_input_files("#bundle", str(bundle))
    page.click("button[value=upload]")
    page.wait_for_selector("#verdicts")
    text = page.locator(".report-header").inner_text()
    assert "Rheumatoid arthritis" in text and "male" in text
    drugs = page.locator(".verdict-card h3").all_inner_texts()
    assert drugs == ["Tofacitinib", "Baricitinib", "Upadacitinib", "Filgotinib"]
    assert page.locator("#ready").inner_text().startswith("Ready to start: no")
    # TB screening is missing from Synthea records: the finding names what is missing.
    assert page.locator("#findings .missing").count() >= 1
    assert page.locator("#checklist input[type=checkbox]").count() >= 1
    _shot(page, "05-report-from-synthea-upload")
    page.goto("/knowledge/drugs/tofacitinib")
    _shot(page, "06-knowledge-tofacitinib", full_page=False)


def _focused(pg: Any) -> dict[str, Any]:
    return pg.evaluate("""() => { const e = document.activeElement;
      const s = getComputedStyle(e);
      return {tag: e.tagName, id: e.id, name: e.getAttribute('name'), value: e.getAttribute('value'),
              text: (e.innerText || '').trim(), outline: s.outlineStyle + ' ' + s.outlineWidth}; }""")


def test_keyboard_navigation_on_the_start_page(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    first = _focused(page)
    assert first["text"] == "Skip to main content"
    assert first["outline"] != "none 0px"
    _shot(page, "07-keyboard-skip-link", full_page=False)
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"
    # Tab reaches the region choice, then the age field, with a visible focus outline; only the keyboard is used.
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        f = _focused(page)
        seen.append(f)
        if f["id"] == "diagnosis":  # the required diagnosis: chosen with the arrow keys
            page.keyboard.press("ArrowDown")
        if f["id"] == "age":
            break
    assert any(f["name"] == "region" for f in seen), seen
    assert seen[-1]["id"] == "age", [f["id"] or f["name"] for f in seen]
    assert seen[-1]["outline"].startswith("solid")
    page.keyboard.type("66")
    _shot(page, "08-keyboard-age-focused", full_page=False)
    for _ in range(200):
        page.keyboard.press("Tab")
        f = _focused(page)
        if f["tag"] == "BUTTON" and f["value"] == "form":
            break
    else:
        pytest.fail("the form's submit button is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#verdicts")
    assert "66" in page.locator(".report-header").inner_text()


def test_bad_input_shows_an_error_page_naming_the_problem(page: Any) -> None:
    page.goto("/")
    page.click("#tab-paste")
    page.fill("#pasted", '{"resourceType": "Bundle", "entry": [')
    with page.expect_response(lambda r: r.url.endswith("/assess")) as info:
        page.click("button[value=paste]")
    assert info.value.status == 422
    assert page.locator("h1").inner_text() == "The record could not be read"
    assert "not valid JSON" in page.locator(".error-message").inner_text()
    _shot(page, "09-error-page", full_page=False)
