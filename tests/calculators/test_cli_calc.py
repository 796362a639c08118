"""`jakcheck calc` through jakcheck.cli.main(argv, environ)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import jakcheck.cli
from jakcheck.cli import main
from jakcheck.knowledge.loader import default_knowledge


@pytest.fixture(autouse=True)
def _knowledge_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jakcheck.cli, "_knowledge", default_knowledge)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv, {})
    out, err = capsys.readouterr()
    return code, out, err


SCORE2 = {"age": 50, "sex": "male", "current_smoker": True, "systolic_bp": 140, "diabetes": False,
          "total_cholesterol": {"value": 6.3, "unit": "mmol/L"}, "hdl_cholesterol": {"value": 1.4, "unit": "mmol/L"},
          "risk_region": "moderate"}


def test_json_output_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["calc", "score2", "--input", json.dumps(SCORE2), "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert {"calculator", "results", "category", "inputs", "sources"} <= set(data)
    assert data["calculator"] == "score2"
    assert data["results"]["cvd_10y"] == pytest.approx(8.1, abs=0.05)  # SCORE2 suppl. Table 4, moderate region
    assert data["category"] == "high"
    assert data["model"] == "SCORE2 (moderate risk region)"
    assert data["inputs"]["total_cholesterol"] == pytest.approx(6.3 * 38.67)  # normalised to mg/dL
    k = default_knowledge()
    assert data["sources"][0] == {"id": "score2-2021", "title": k.sources["score2-2021"].title,
                                  "url": k.sources["score2-2021"].url, "grade": "secondary",
                                  "grade_text": "secondary copy of the paper"}
    assert "ra_adjusted" not in data


def test_ra_adjusted_in_json_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    inputs = json.dumps({**SCORE2, "rheumatoid_arthritis": True})
    code, out, _ = run(["calc", "score2", "--input", inputs, "--format", "json"], capsys)
    data = json.loads(out)
    assert data["ra_adjusted"]["factor"] == 1.5
    assert data["ra_adjusted"]["results"]["cvd_10y"] == pytest.approx(1.5 * data["results"]["cvd_10y"])
    code, out, _ = run(["calc", "score2", "--input", inputs], capsys)
    assert code == 0
    assert "RA-adjusted (x1.5" in out
    assert "cvd_10y: 8.11 %" in out


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["calc", "das28-esr", "--input", '{"tender_joints_28": 4, "swollen_joints_28": 5, '
                                                    '"esr": 7, "patient_global": 50}'], capsys)
    assert code == 0
    assert out.splitlines()[0] == "das28-esr: DAS28-ESR (4 variables)"
    assert "score: 3.81" in out  # rheumtools das_28_esr_score(4,5,7,50)
    assert "category: moderate" in out
    assert "source: das28-prevoo-1995" in out


def test_input_from_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.json"
    path.write_text('{"score": 2.8}', encoding="utf-8")
    code, out, _ = run(["calc", "cdai", "--input", f"@{path}", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["category"] == "remission"


@pytest.mark.parametrize(("argv", "message"), [
    (["calc", "prevent", "--input", '{"age": 20}'], "age: 20 is outside the valid range 30-79 years"),
    (["calc", "pce", "--input", '{"age": 50}'], "sex: missing required input"),
    (["calc", "sdai", "--input", '{"score": 5, "crp": {"value": 1, "unit": "mg/kg"}}'], "score"),
    (["calc", "das28-crp", "--input", '{"tender_joints_28": 1, "swollen_joints_28": 1, '
                                      '"crp": {"value": 1, "unit": "mmol/L"}}'], "crp: unknown unit"),
    (["calc", "cdai", "--input", "{bad"], "not valid JSON"),
    (["calc", "cdai", "--input", "[1, 2]"], "expected a JSON object"),
    (["calc", "cdai", "--input", "@/nonexistent/in.json"], "cannot read"),
    (["calc", "cdai"], "needs --input"),
    (["calc", "nope", "--input", "{}"], "unknown calculator 'nope'"),
    (["calc"], "give a calculator name"),
    (["calc", "score2", "--input", json.dumps({**SCORE2, "diabetes": True})], "not intended for people with diabetes"),
])
def test_bad_input_exits_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert message in err
    assert out == ""


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["calc", "--list"], ["calc", "list"]):
        code, out, _ = run(argv, capsys)
        assert code == 0
        assert "prevent: AHA PREVENT" in out
        assert "risk_region" in out and "one of 'low', 'moderate', 'high', 'very-high'" in out
        assert "crcl-cockcroft-gault" in out
    code, out, _ = run(["calc", "--list", "--format", "json"], capsys)
    listing = json.loads(out)
    assert [c["name"] for c in listing][:3] == ["prevent", "score2", "pce"]
    cdai = next(c for c in listing if c["name"] == "cdai")
    assert cdai["alternative_inputs"][0][0]["key"] == "score"
