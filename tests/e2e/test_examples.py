"""Golden example patients: each entry of examples/manifest.yaml is assessed through the CLI (in process) and its
JSON output compared byte for byte with examples/expected/<file stem>.json.

Regenerate the golden files after an intended change, then read the diff:

    JAKCHECK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/e2e/test_examples.py
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

import jakcheck.cli
from jakcheck.cli import main
from jakcheck.knowledge.loader import default_knowledge

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXPECTED = EXAMPLES / "expected"
MANIFEST = EXAMPLES / "manifest.yaml"
UPDATE = os.environ.get("JAKCHECK_UPDATE_GOLDEN") == "1"


@pytest.fixture(autouse=True)
def _load_knowledge_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI loads and validates the knowledge files on every call (~0.3 s); in process, load them once.
    The subprocess tests and `kb validate` still go through the real loading."""
    monkeypatch.setattr(jakcheck.cli, "_knowledge", default_knowledge)

# Every one of these finding codes must be fired by at least one example.
REQUIRED_CODES = frozenset({
    "risk.age-65-plus", "risk.smoking", "risk.cardiovascular", "risk.malignancy", "risk.vte",
    "label.tnf-inadequate-response-required", "indication.unspecified", "knowledge.not-encoded",
    "knowledge.other-region-applied", "knowledge.follow-label",
    "infection.active-serious", "tb.active", "tb.latent-untreated", "tb.screening-missing", "hbv.chronic",
    "hbv.resolved", "hbv.screening-missing", "hcv.active", "hcv.screening-missing", "hz.history",
    "glucocorticoid.medium-dose", "glucocorticoid.high-dose", "vaccine.zoster-due", "vaccine.pneumococcal-due",
    "vaccine.influenza-due",
    "vaccine.live-recent", "lab.cbc-missing", "lab.liver-missing", "lab.renal-missing", "lab.lipids-missing",
    "lab.lymphopenia", "lab.neutropenia", "lab.anemia", "lab.thrombocytopenia", "lab.liver-enzymes-elevated",
    "renal.dose-adjustment", "renal.not-recommended", "hepatic.dose-adjustment", "hepatic.not-recommended",
    "ddi.cyp3a4-strong-inhibitor", "ddi.cyp3a4-strong-inducer", "ddi.oat3-inhibitor", "ddi.cyp2c19-inhibitor",
    "ddi.immunosuppressant-combination", "pregnancy.current", "lactation.current", "contraception.counsel",
    "age.dose-adjustment", "data.unusable-value",
})


def _manifest() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["examples"]
    return entries


ENTRIES = _manifest()


def _stem(entry: dict[str, Any]) -> str:
    return Path(entry["file"]).name.rsplit(".", 1)[0]


def golden_path(entry: dict[str, Any]) -> Path:
    return EXPECTED / f"{_stem(entry)}.json"


def argv_for(entry: dict[str, Any], fmt: str = "json") -> list[str]:
    argv = ["assess", str(EXAMPLES / entry["file"]), "--region", entry["region"], "--as-of", str(entry["as_of"]),
            "--format", fmt]
    if entry.get("indication"):
        argv += ["--indication", entry["indication"]]
    for d in entry.get("drugs") or []:
        argv += ["--drug", d]
    return argv


def run_json(entry: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv_for(entry), {})
    out, err = capsys.readouterr()
    assert code == 0, f"{entry['file']}: exit {code}: {err}"
    assert err == ""
    return out


def _load_golden(entry: dict[str, Any]) -> dict[str, Any]:
    if UPDATE:
        pytest.skip("golden files are being rewritten")
    path = golden_path(entry)
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing; run JAKCHECK_UPDATE_GOLDEN=1 pytest {Path(__file__).name}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# --------------------------------------------------------------------------------------------- the manifest


def test_manifest_lists_every_example_once() -> None:
    files = [e["file"] for e in ENTRIES]
    assert len(files) == len(set(files))
    assert len({_stem(e) for e in ENTRIES}) == len(ENTRIES), "golden file names must be unique"
    on_disk = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.glob("*.json")}
    on_disk |= {p.relative_to(EXAMPLES).as_posix() for p in (EXAMPLES / "cards").glob("*.yaml")}
    assert on_disk == set(files)
    assert len([f for f in files if f.endswith(".json")]) >= 12
    assert "ra-71-smoker-eu.json" in files
    for e in ENTRIES:
        assert set(e) >= {"file", "region", "indication", "drugs", "as_of", "story"}, e["file"]
        assert e["region"] in ("EU", "US")
        assert isinstance(e["drugs"], list)
        assert e["story"].strip() and "\n" not in e["story"].strip()
    assert sum(e["region"] == "US" for e in ENTRIES) >= 4


def test_no_orphan_golden_files() -> None:
    if UPDATE:
        pytest.skip("golden files are being rewritten")
    assert {p.name for p in EXPECTED.glob("*.json")} == {golden_path(e).name for e in ENTRIES}


def _container(doc: object) -> str:
    if isinstance(doc, list):
        return "list"
    assert isinstance(doc, dict)
    if doc.get("resourceType") == "Bundle":
        return str(doc["type"])
    if "prefetch" in doc:
        return "cds-hooks-request"
    if "resourceType" not in doc and any(isinstance(v, dict) and "resourceType" in v for v in doc.values()):
        return "prefetch"
    return "other"


def test_examples_cover_every_container() -> None:
    kinds = {_container(json.loads((EXAMPLES / e["file"]).read_text(encoding="utf-8")))
             for e in ENTRIES if e["file"].endswith(".json")}
    assert {"transaction", "collection", "searchset", "list", "cds-hooks-request", "prefetch"} <= kinds


def test_build_script_reproduces_the_fhir_files() -> None:
    """examples/build_examples.py and the committed files agree (edit the script, not the JSON)."""
    spec = importlib.util.spec_from_file_location("build_examples", EXAMPLES / "build_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, build in module.EXAMPLES.items():
        expected = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        assert (EXAMPLES / name).read_text(encoding="utf-8") == expected, f"{name}: run examples/build_examples.py"


def test_fictional_patients_only() -> None:
    for e in ENTRIES:
        if not e["file"].endswith(".json"):
            continue
        text = (EXAMPLES / e["file"]).read_text(encoding="utf-8")
        assert "-Example" in text, f"{e['file']}: family names carry the -Example suffix"


# --------------------------------------------------------------------------------------------- golden outputs


@pytest.mark.parametrize("entry", ENTRIES, ids=_stem)
def test_golden_output(entry: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(entry, capsys)
    path = golden_path(entry)
    if UPDATE:
        EXPECTED.mkdir(exist_ok=True)
        path.write_text(out, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing; run JAKCHECK_UPDATE_GOLDEN=1 pytest {Path(__file__).name}")
    expected = path.read_text(encoding="utf-8")
    if out != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), out.splitlines(True),
                                            str(path.relative_to(ROOT)), "actual", n=2))
        pytest.fail(f"output differs from the golden file (JAKCHECK_UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}")


@pytest.mark.parametrize("entry", ENTRIES, ids=_stem)
def test_golden_file_matches_its_manifest_entry(entry: dict[str, Any]) -> None:
    g = _load_golden(entry)
    assert g["schema"] == "jakcheck.assessment/2"
    assert g["knowledge"]["version"] == default_knowledge().release.version
    assert g["region"] == entry["region"]
    assert g["as_of"] == str(entry["as_of"])
    if entry.get("indication"):
        assert g["indication"] == entry["indication"]
    if entry.get("drugs"):
        assert [d["drug"] for d in g["drugs"]] == entry["drugs"]
    codes = {f["code"] for f in g["findings"]}
    missing = set(entry.get("demonstrates") or []) - codes
    assert not missing, f"{entry['file']} no longer fires {sorted(missing)}"
    for f in g["findings"]:
        assert f["sources"], f"{f['code']} has no source"
        assert f["evidence"], f"{f['code']} has no evidence"
    assert str(ROOT) not in json.dumps(g), "output must not depend on where the repository is"


def test_examples_fire_every_required_code() -> None:
    fired: dict[str, list[str]] = {}
    for e in ENTRIES:
        for f in _load_golden(e)["findings"]:
            fired.setdefault(f["code"], []).append(e["file"])
    missing = REQUIRED_CODES - set(fired)
    assert not missing, f"no example fires {sorted(missing)}"


# --------------------------------------------------------------------------------------------- clinical spot checks


def _drugs(entry_file: str) -> dict[str, dict[str, Any]]:
    entry = next(e for e in ENTRIES if e["file"] == entry_file)
    return {d["drug"]: d for d in _load_golden(entry)["drugs"]}


def _golden(entry_file: str) -> dict[str, Any]:
    return _load_golden(next(e for e in ENTRIES if e["file"] == entry_file))


def test_ra_71_smoker_is_ready_but_only_without_alternative() -> None:
    g = _golden("ra-71-smoker-eu.json")
    assert g["ready_to_start"] is True and g["indication"] == "rheumatoid-arthritis"
    assert g["patient"] == {"id": "ra-71-smoker", "name": "Henrik Aalborg-Example", "birth_date": "1955-03-14",
                            "identifiers": [{"value": "EX-0001", "system": "https://ehr.example.org/mrn",
                                             "label": None}],
                            "deceased": False, "age": 71, "sex": "male"}
    assert g["headline"]["text"] == ("Only if no suitable alternative: age 71, current smoker, essential "
                                     "hypertension")
    drugs = _drugs("ra-71-smoker-eu.json")
    assert {d["verdict"] for d in drugs.values()} == {"only-if-no-alternative"}
    assert (drugs["baricitinib"]["dose"]["amount"], drugs["filgotinib"]["dose"]["amount"]) == (2.0, 100.0)
    assert g["alternatives"], "an only-if-no-alternative verdict lists the alternatives"


def test_label_doses_in_the_golden_outputs() -> None:
    ckd = _drugs("ra-ckd-us.json")
    assert (ckd["tofacitinib"]["dose"]["amount"], ckd["tofacitinib"]["dose"]["frequency"]) == (5.0, "once daily")
    # The US baricitinib RA approval was read only in secondary copies: "check approval" (caution, no dose),
    # never "not approved" and never a silent omission.
    for bari in (ckd["baricitinib"], _drugs("ra-mtx-liver-us.json")["baricitinib"]):
        assert bari["verdict"] != "appropriate" and bari["dose"] is None
        assert "knowledge.not-encoded" in bari["findings"] and "indication.not-approved" not in bari["findings"]
    eu_ckd = _drugs("cards/ra-ckd-probenecid-eu.yaml")
    assert eu_ckd["baricitinib"]["verdict"] == "not-recommended" and eu_ckd["baricitinib"]["dose"] is None
    assert _drugs("psa-h-pylori-us.json")["tofacitinib"]["dose"]["frequency"] == "once daily"
    assert _drugs("ra-ltbi-rifampin-us.json")["tofacitinib"]["verdict"] == "not-recommended"
    assert _drugs("ad-abrocitinib-eu.json")["abrocitinib"]["verdict"] == "defer"
    assert _drugs("cards/psa-cirrhosis-child-pugh-b-us.yaml")["tofacitinib"]["dose"]["frequency"] == "once daily"
    assert {d["verdict"] for d in _drugs("cards/ra-cirrhosis-child-pugh-c-us.yaml").values()} == {"not-recommended"}


def test_blocking_problems_are_never_ready() -> None:
    for f in ("ra-pregnant-eu.json", "ra-active-tb-eu.json", "uc-pneumonia-eu.json", "ra-ltbi-hbv-us.json",
              "referral-no-workup-eu.json", "ra-felty-eu.json", "ra-mtx-liver-us.json"):
        assert _golden(f)["ready_to_start"] is False, f
    assert {d["verdict"] for d in _drugs("ra-pregnant-eu.json").values()} == {"contraindicated"}
    assert {d["verdict"] for d in _drugs("ra-active-tb-eu.json").values()} == {"contraindicated"}
