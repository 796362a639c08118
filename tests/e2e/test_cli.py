"""The command line end to end: a few runs through a real subprocess of .venv/bin/jakcheck (about 0.5 s each),
the rest in process through jakcheck.cli.main(argv, environ)."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import jakcheck.cli
from jakcheck.cli import main
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ra-71-smoker-eu.json"
AS_OF = ["--as-of", "2026-11-26"]
JAKCHECK = Path(sys.executable).parent / "jakcheck"
# Identifying details of the example patient that must never reach stderr.
PATIENT_DETAILS = ("Henrik", "Aalborg-Example", "EX-0001", "1955-03-14")


@pytest.fixture(autouse=True)
def _load_knowledge_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI loads and validates the knowledge files on every call (~0.3 s); in process, load them once.
    The subprocess tests and `kb validate` still go through the real loading."""
    monkeypatch.setattr(jakcheck.cli, "_knowledge", default_knowledge)


def run(argv: list[str], capsys: pytest.CaptureFixture[str], environ: dict[str, str] | None = None) \
        -> tuple[int, str, str]:
    code = main(argv, environ or {})
    out, err = capsys.readouterr()
    return code, out, err


def example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return doc


def write(tmp_path: Path, name: str, doc: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def subprocess_run(*args: str) -> subprocess.CompletedProcess[str]:
    if not JAKCHECK.exists():
        pytest.skip(f"{JAKCHECK} is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAKCHECK_")} | {"NO_COLOR": "1"}
    return subprocess.run([str(JAKCHECK), *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
                          check=False)


# --------------------------------------------------------------------------------------------- real subprocess


def test_subprocess_text_report_shows_the_region() -> None:
    proc = subprocess_run("assess", "examples/ra-71-smoker-eu.json", "--region", "EU", *AS_OF, "--format", "text")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "Region: EU" in proc.stdout
    assert "rheumatoid-arthritis" in proc.stdout and "Ready to start" in proc.stdout
    assert "\x1b[" not in proc.stdout, "no colour codes when stdout is not a terminal"


def test_subprocess_json_is_byte_identical_across_runs() -> None:
    args = ("assess", "examples/ra-71-smoker-eu.json", "--region", "EU", *AS_OF, "--format", "json")
    first, second = subprocess_run(*args), subprocess_run(*args)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["schema"] == "jakcheck.assessment/2"


def test_subprocess_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "resourceType": "Bundle",\n  "type": "collection",\n  "entry": [,]\n}\n', encoding="utf-8")
    proc = subprocess_run("assess", str(bad), "--region", "EU", *AS_OF)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f"{bad}:4:" in proc.stderr, proc.stderr
    assert "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_subprocess_kb_validate() -> None:
    proc = subprocess_run("kb", "validate")
    assert proc.returncode == 0, proc.stderr
    assert f"knowledge {default_knowledge().release.version}" in proc.stdout and "valid" in proc.stdout


# --------------------------------------------------------------------------------------------- assess, in process


@pytest.mark.parametrize("region", ["EU", "US"])
def test_text_output_always_shows_the_region(region: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["assess", str(EXAMPLE), "--region", region, *AS_OF, "--format", "text"], capsys)
    assert code == 0, err
    assert f"Region: {region}" in out


def test_text_output_shows_the_default_region(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["assess", str(EXAMPLE), *AS_OF], capsys)
    assert code == 0
    assert "Region: EU" in out  # the settings default when --region is not given


def test_json_output_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["assess", str(EXAMPLE), "--region", "EU", *AS_OF, "--format", "json"], capsys)
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert next(iter(doc)) == "schema" and doc["schema"] == "jakcheck.assessment/2"
    k = default_knowledge()
    assert doc["knowledge"] == {"version": k.release.version, "date": k.release.date.isoformat(),
                                "settings_digest": Settings().digest()}
    assert doc["region"] == "EU" and doc["as_of"] == "2026-11-26"
    assert out.endswith("}\n")
    # Every source of every finding carries the grade of the copy it was read in (sources[].grade).
    refs = [s for f in doc["findings"] for s in f["sources"]]
    assert refs and all(s["grade"] in ("regulator", "manufacturer", "national-copy", "publisher", "secondary")
                        and s["grade_text"] for s in refs)
    assert {"regulator", "secondary"} <= {s["grade"] for s in refs}


def test_text_output_shows_each_sources_copy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["assess", str(EXAMPLE), "--region", "EU", *AS_OF, "--format", "text"], capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "- secondary copy of the EU SmPC" in flat and "- regulator's text (EU)" in flat
    # Never a source title without its copy: each source entry names a grade.
    entries = re.findall(r"(?m)^\s+- (?!missing)[^\n]*(?:\n\s{2,}[^-\s][^\n]*)*", out)
    sources = [e for e in entries if "http" in e]
    assert sources and all(re.search(r"(regulator's text|manufacturer's copy|national copy|publisher's text|"
                                     r"secondary (copy|source))", " ".join(e.split())) for e in sources)


def test_html_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["assess", str(EXAMPLE), "--region", "US", *AS_OF, "--format", "html"], capsys)
    assert code == 0, err
    assert out.lstrip().lower().startswith("<!doctype html")
    assert "</html>" in out.lower()
    assert "US" in out and "rheumatoid-arthritis" in out


@pytest.mark.parametrize("fmt", ["json", "text", "html"])
def test_output_is_identical_across_runs(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["assess", str(EXAMPLE), "--region", "EU", *AS_OF, "--format", fmt]
    first = run(argv, capsys)
    second = run(argv, capsys)
    assert first == second and first[0] == 0


@pytest.mark.parametrize("fmt", ["json", "text", "html"])
def test_output_option_writes_the_file(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"report.{fmt}"
    code, out, err = run(["assess", str(EXAMPLE), "--region", "EU", *AS_OF, "--format", fmt, "--output",
                          str(target)], capsys)
    assert code == 0, err
    assert out == ""
    _, on_stdout, _ = run(["assess", str(EXAMPLE), "--region", "EU", *AS_OF, "--format", fmt], capsys)
    written = target.read_text(encoding="utf-8")
    assert written.rstrip("\n") == on_stdout.rstrip("\n")
    if fmt == "json":
        assert json.loads(written)["region"] == "EU"


# --------------------------------------------------------------------------------------------- input errors


def test_malformed_json_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "resourceType": "Bundle",\n  "entry": [\n    {"resource": {"resourceType": "Patient"},}\n'
                   "  ]\n}\n", encoding="utf-8")
    code, out, err = run(["assess", str(bad), "--region", "EU", *AS_OF], capsys)
    assert code == 2 and out == ""
    assert err.startswith("jakcheck: error: ")
    assert f"{bad}:4:" in err, err
    assert err.count("\n") == 1, "one line, no traceback"


def _without_patient() -> dict[str, Any]:
    doc = example()
    doc["entry"] = [e for e in doc["entry"] if e["resource"]["resourceType"] != "Patient"]
    return doc


def _two_patients() -> dict[str, Any]:
    doc = example()
    other = copy.deepcopy(next(e for e in doc["entry"] if e["resource"]["resourceType"] == "Patient"))
    other["resource"].update(id="second-patient", name=[{"family": "Secondperson-Example", "given": ["Olga"]}])
    other["fullUrl"] = "https://ehr.example.org/fhir/Patient/second-patient"
    doc["entry"].append(other)
    return doc


def _other_patients_condition() -> dict[str, Any]:
    doc = example()
    cond = next(e for e in doc["entry"] if e["resource"]["resourceType"] == "Condition")
    cond["resource"]["subject"] = {"reference": "Patient/someone-else"}
    return doc


def _unreadable_birth_date() -> dict[str, Any]:
    doc = example()
    next(e for e in doc["entry"] if e["resource"]["resourceType"] == "Patient")["resource"]["birthDate"] = "14.03.1955"
    return doc


BAD_BUNDLES = {
    "no-patient": (_without_patient, "no Patient"),
    "two-patients": (_two_patients, "two different Patient resources"),
    "other-patients-condition": (_other_patients_condition, "a different Patient"),
    "unreadable-birth-date": (_unreadable_birth_date, "birthDate"),
}


@pytest.mark.parametrize("case", sorted(BAD_BUNDLES))
def test_bad_bundle_is_an_input_error(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build, phrase = BAD_BUNDLES[case]
    path = write(tmp_path, f"{case}.json", build())
    code, out, err = run(["assess", str(path), "--region", "EU", *AS_OF], capsys)
    assert code == 2 and out == ""
    assert phrase in err and str(path) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("case", sorted(BAD_BUNDLES))
def test_input_error_does_not_echo_name_or_identifier(case: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, f"{case}.json", BAD_BUNDLES[case][0]())
    _, _, err = run(["assess", str(path), "--region", "EU", *AS_OF], capsys)
    for detail in PATIENT_DETAILS[:3] + ("Olga", "Secondperson-Example"):
        assert detail not in err, f"{detail!r} echoed on stderr: {err}"


@pytest.mark.parametrize("case", ["two-patients", "other-patients-condition", "unreadable-birth-date"])
def test_input_error_does_not_echo_patient_id_or_birth_date(case: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "record.json", BAD_BUNDLES[case][0]())
    _, _, err = run(["assess", str(path), "--region", "EU", *AS_OF], capsys)
    for detail in ("ra-71-smoker", "second-patient", "someone-else", "14.03.1955"):
        assert detail not in err, f"{detail!r} echoed on stderr: {err}"


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere.json"
    code, out, err = run(["assess", str(path), "--region", "EU", *AS_OF], capsys)
    assert code == 2 and out == ""
    assert str(path) in err and "cannot read file" in err


@pytest.mark.parametrize(("option", "value", "phrase"), [
    ("--indication", "rheumatoid-arthritus", "unknown indication 'rheumatoid-arthritus'"),
    ("--drug", "tofacitinibb", "unknown drug 'tofacitinibb'"),
    ("--as-of", "2026-02-30", "not a date"),
    ("--as-of", "26/11/2026", "not a date"),
])
def test_bad_option_values_exit_2(option: str, value: str, phrase: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["assess", str(EXAMPLE), "--region", "EU", *([] if option == "--as-of" else AS_OF), option, value]
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert phrase in err and option in err


def test_unknown_region_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["assess", str(EXAMPLE), "--region", "UK", *AS_OF], capsys)
    assert code != 0 and out == ""
    assert "--region" in err and "EU or US" in err


def test_unknown_region_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(["assess", str(EXAMPLE), "--region", "UK", *AS_OF], capsys)
    assert code == 2


def test_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["assess", str(EXAMPLE), *AS_OF, "--format", "pdf"], capsys)
    assert code == 2 and out == ""


# --------------------------------------------------------------------------------------------- kb commands


def test_kb_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["kb", "list"], capsys)
    assert code == 0, err
    for drug in default_knowledge().drug_ids():
        assert drug in out
    assert "rheumatoid-arthritis" in out and "not authorised" in out  # filgotinib in the US


def test_kb_show_baricitinib(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["kb", "show", "baricitinib"], capsys)
    assert code == 0, err
    assert "Baricitinib (Olumiant)" in out
    assert "EU: authorised" in out and "US: authorised" in out
    assert "oat3-strong-inhibitor" in out and "age 65+" in out
    flat = " ".join(out.split())
    # Each fact with its citations and the copy each was read in.
    assert "; ec-olumiant-annex-2018 4.1 (regulator's text (EU))" in flat
    assert "from: drugscom-baricitinib-2020 Renal Dose Adjustments (secondary source)" in flat


def test_kb_show_json_and_unknown_drug(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["kb", "show", "baricitinib", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["id"] == "baricitinib"
    code, out, err = run(["kb", "show", "baricitinibb"], capsys)
    assert code == 2 and "unknown drug 'baricitinibb'" in err


def test_kb_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["kb", "sources"], capsys)
    assert code == 0, err
    k = default_knowledge()
    assert f"Sources - knowledge {k.release.version}" in out
    assert "ema-jaki-referral-2023" in out and "fda-dsc-2021-09" in out
    flat = " ".join(out.split())
    grades = {s.grade for s in k.sources.values()}
    assert {"secondary", "regulator", "manufacturer", "publisher"} <= grades
    assert all(f" {g} " in flat for g in grades)
    assert "manufacturer's copy" in flat


def test_kb_validate(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real loading and cross-checking of the knowledge files
    code, out, err = run(["kb", "validate"], capsys)
    assert code == 0, err
    k = default_knowledge()
    assert out.startswith(f"knowledge {k.release.version} ({k.release.date}): valid - {len(k.drugs)} drugs")


def test_version_names_the_knowledge_release() -> None:
    from jakcheck.knowledge.loader import default_knowledge

    proc = subprocess_run("version")
    assert proc.returncode == 0, proc.stderr
    assert f"knowledge {default_knowledge().release.version}" in proc.stdout
    assert re.fullmatch(r"jakcheck \S+; knowledge \S+ \(\d{4}-\d{2}-\d{2}\)", proc.stdout.strip())


def test_a_deceased_patient_exits_2_naming_the_date_of_death(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    doc = example()
    next(e for e in doc["entry"] if e["resource"]["resourceType"] == "Patient")["resource"][
        "deceasedDateTime"] = "2026-10-02"
    code, out, err = run(["assess", str(write(tmp_path, "dead.json", doc)), "--region", "EU", *AS_OF], capsys)
    assert code == 2 and out == ""
    assert "died on 2026-10-02" in err and "Traceback" not in err
    for detail in PATIENT_DETAILS[:3]:
        assert detail not in err
