"""One patient through every entry point with a site's own settings: the same assessment document from each.

The site's settings file sets a non-default SCORE2 risk region (very-high) and a site threshold (a monitoring
grace period of 150 days instead of 14). Both change this patient's result: at a very-high-risk site her
SCORE2 range is about 10 % instead of about 4 % (which adds the EU cardiovascular-risk measures), and her lipid
check, 126 days past due, is `due` instead of `overdue`. The CLI, the REST API, CDS Hooks (the assessment
behind the card's report link), the web app, the local screen and the Spark screen must each load those
settings once and give the engine the same; the documents must be identical, not just the verdicts.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jakcheck.assessment import Assessment
from jakcheck.cli import main
from jakcheck.population import run
from jakcheck.service.app import create_app
from jakcheck.service.web import routes
from jakcheck.settings import Settings, load_settings
from tests.service.hookdata import hook_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AS_OF = date(2026, 11, 26)
SITE = """\
region: EU
score2_risk_region: very-high
site_thresholds:
  monitoring-grace-days: 150
insecure_dev: true
"""


def _bundle() -> dict[str, Any]:
    """Anna (57, RA, on baricitinib since April, no lipid check since) with a recent systolic blood pressure, so
    that SCORE2 has every input except the diabetes history and is given as a range."""
    b: dict[str, Any] = json.loads((EXAMPLES / "on-treatment" / "ra-baricitinib-lipids-overdue-eu.json").read_text())
    sbp = {"resourceType": "Observation", "id": "anna-obs-sbp", "status": "final",
           "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                     "code": "vital-signs"}]}],
           "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6",
                                "display": "Systolic blood pressure"}]},
           "subject": {"reference": "Patient/anna"}, "effectiveDateTime": "2026-10-27",
           "valueQuantity": {"value": 148, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org",
                             "code": "mm[Hg]"}}
    b["entry"].append({"fullUrl": "urn:uuid:anna-obs-sbp", "resource": sbp,
                       "request": {"method": "PUT", "url": "Observation/anna-obs-sbp"}})
    return b


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("site")
    config = folder / "site.yaml"
    config.write_text(SITE + f"feedback_store: {folder / 'feedback.sqlite3'}\n", encoding="utf-8")
    records = folder / "records"
    records.mkdir()
    bundle = _bundle()
    (records / "anna.json").write_text(json.dumps(bundle), encoding="utf-8")
    return {"config": config, "file": records / "anna.json", "records": records, "bundle": bundle,
            "settings": load_settings({}, config)}


@pytest.fixture(scope="module")
def reference(site: dict[str, Any]) -> dict[str, Any]:
    """The CLI's document (`jakcheck assess` with JAKCHECK_CONFIG naming the site's file)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", out)
        code = main(["assess", str(site["file"]), "--region", "EU", "--as-of", AS_OF.isoformat(), "--format",
                     "json"], {"JAKCHECK_CONFIG": str(site["config"])})
    assert code == 0
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


def test_the_site_settings_change_this_patients_result(site: dict[str, Any], reference: dict[str, Any]) -> None:
    """Guards the test itself: with the defaults the same record gives another document."""
    settings: Settings = site["settings"]
    assert reference["knowledge"]["settings_digest"] == settings.digest() != Settings().digest()
    score2 = next(s for s in reference["scores"] if s["calculator"] == "score2")
    assert score2["risk_region"] == "very-high" and score2["bounds"]["cvd_10y"][0] > 10
    lipids = next(m for m in reference["monitoring"] if m["test"] == "lipids")
    assert lipids["status"] == "due"
    codes = {f["code"] for f in reference["findings"]}
    assert "monitoring.lipids-overdue" not in codes and "risk.cardiovascular" in codes
    default = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", default)
        assert main(["assess", str(site["file"]), "--region", "EU", "--as-of", AS_OF.isoformat(), "--format",
                     "json"], {}) == 0
    plain = json.loads(default.getvalue())
    assert next(m for m in plain["monitoring"] if m["test"] == "lipids")["status"] == "overdue"
    assert next(s for s in plain["scores"] if s["calculator"] == "score2")["bounds"]["cvd_10y"][0] < 5


@pytest.fixture(scope="module")
def client(site: dict[str, Any]) -> TestClient:
    return TestClient(create_app(site["settings"], today=lambda: AS_OF), raise_server_exceptions=False)


def test_rest(client: TestClient, site: dict[str, Any], reference: dict[str, Any]) -> None:
    r = client.post(f"/api/assess?region=EU&as_of={AS_OF.isoformat()}", json=site["bundle"])
    assert r.status_code == 200, r.text
    assert r.json() == reference


def test_cds_hooks(client: TestClient, site: dict[str, Any], reference: dict[str, Any]) -> None:
    """The assessment a CDS Hooks call made is the one behind its cards' report link."""
    r = client.post("/cds-services/jakcheck-patient-view", json=hook_request("patient-view", site["bundle"]))
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert cards and site["settings"].digest() in cards[0]["detail"]
    token = cards[0]["links"][0]["url"].rsplit("/report/", 1)[1]
    kept = client.app.state.service.reports.get(token)  # type: ignore[attr-defined]
    assert isinstance(kept, Assessment)
    assert kept.to_json_dict() == reference


def test_web(client: TestClient, site: dict[str, Any], reference: dict[str, Any]) -> None:
    """The assessment the web app renders (taken where the page is rendered)."""
    seen: list[Assessment] = []
    original = routes.render_report

    def capture(request: Any, result: Assessment, *args: Any, **kwargs: Any) -> Any:
        seen.append(result)
        return original(request, result, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(routes, "render_report", capture)
        r = client.post("/assess", data={"source": "paste", "pasted": json.dumps(site["bundle"]), "region": "EU",
                                         "as_of": AS_OF.isoformat()})
    assert r.status_code == 200, r.text
    assert len(seen) == 1 and seen[0].to_json_dict() == reference
    assert site["settings"].digest() in r.text


def _screened(site: dict[str, Any], out: Path, engine: str) -> dict[str, Any]:
    err = io.StringIO()
    code = run.screen([site["records"]], out, as_of=AS_OF.isoformat(), engine=engine, workers=1,
                      settings=site["settings"], progress=False, stream=err)
    assert code == 0, err.getvalue()
    lines = (out / "assessments.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["knowledge"]["settings_digest"] == site["settings"].digest()
    doc: dict[str, Any] = json.loads(lines[0])
    return doc


def test_local_screen(site: dict[str, Any], reference: dict[str, Any], tmp_path: Path) -> None:
    assert _screened(site, tmp_path / "out", "local") == reference


# PySpark leaves its loopback sockets to the garbage collector (ResourceWarning under -W error).
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_screen(site: dict[str, Any], reference: dict[str, Any], tmp_path: Path, spark_session: Any) -> None:
    assert _screened(site, tmp_path / "out", "spark") == reference


def test_a_site_may_set_only_site_adjustable_thresholds(tmp_path: Path) -> None:
    """A number a source states (here the EMA's age of 65 for the class measures) is refused as a site setting,
    before any patient is assessed, with exit code 4 (a configuration error)."""
    config = tmp_path / "site.yaml"
    config.write_text("site_thresholds:\n  monitoring-grace-days: 30\n  age-risk-years: 70\n")
    bad = load_settings({}, config)
    from jakcheck.engine import check_settings
    from jakcheck.errors import ConfigError
    from jakcheck.knowledge.loader import default_knowledge

    with pytest.raises(ConfigError, match="age-risk-years"):
        check_settings(default_knowledge(), bad)
    code = main(["assess", str(EXAMPLES / "ra-71-smoker-eu.json"), "--as-of", AS_OF.isoformat()],
                {"JAKCHECK_CONFIG": str(config)})
    assert code == 4
    err = io.StringIO()
    assert run.screen([EXAMPLES / "ra-71-smoker-eu.json"], tmp_path / "o", as_of=AS_OF.isoformat(), workers=1,
                      settings=bad, progress=False, stream=err) == 4
