"""jakcheck.native: compiled modules stand in for the sources only when they were built from exactly these sources,
and they give the same results as the sources (the comparison runs whenever the compiled modules are built)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from jakcheck import native
from tests.shared_data import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]


def _package(tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    """A tiny package, a folder of 'compiled' files and the manifest a build of it would write."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text("X = 1\n")
    folder = tmp_path / "native"
    (folder / "pkg" / "sub").mkdir(parents=True)
    (folder / "pkg" / "sub" / "mod.so").write_bytes(b"")
    manifest: dict[str, object] = {"python": native.python_build(), "files": {"pkg.sub.mod": "pkg/sub/mod.so"},
                                   "sources": native.source_digests(pkg)}
    return pkg, folder, manifest


def test_a_build_of_these_sources_is_accepted(tmp_path: Path) -> None:
    pkg, folder, manifest = _package(tmp_path)
    assert native.check(manifest, folder, pkg) is None


def test_any_edit_after_the_build_falls_back_to_the_sources(tmp_path: Path) -> None:
    pkg, folder, manifest = _package(tmp_path)
    (pkg / "sub" / "mod.py").write_text("X = 2\n")
    assert native.check(manifest, folder, pkg) == "sources changed since the build: sub/mod.py"
    (pkg / "new.py").write_text("")  # a module added after the build counts too
    assert native.check(manifest, folder, pkg) == "sources changed since the build: new.py and 1 more"


def test_a_build_for_another_python_or_with_files_missing_is_refused(tmp_path: Path) -> None:
    pkg, folder, manifest = _package(tmp_path)
    assert "another Python" in (native.check({**manifest, "python": "cpython-39 .so"}, folder, pkg) or "")
    (folder / "pkg" / "sub" / "mod.so").unlink()
    assert native.check(manifest, folder, pkg) == "compiled file missing: pkg/sub/mod.so"
    assert native.check({"files": []}, folder, pkg) == "manifest is not in the expected form"


def _status(env: dict[str, str]) -> str:
    code = "import jakcheck.native as n, jakcheck.engine as e; print(n.status); print(e.__file__)"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.splitlines()
    return "\n".join(out)


def test_switched_off_or_not_built_means_plain_python(tmp_path: Path) -> None:
    off = _status({"JAKCHECK_NATIVE": "0"})
    assert off.startswith("off (JAKCHECK_NATIVE=0)") and off.endswith("engine.py")
    missing = _status({"JAKCHECK_NATIVE": "1", "JAKCHECK_NATIVE_DIR": str(tmp_path / "nothing")})
    assert missing.startswith("off (not built)") and missing.endswith("engine.py")


# The same assessments from both forms: every example patient (pre-treatment and on treatment), both regions,
# as JSON and as the text report, plus the shared Synthea patients when present.
_DIGESTS = r"""
import hashlib, json, sys
from datetime import date
from pathlib import Path
import orjson
from jakcheck.engine import assess
from jakcheck.fhir.reader import read_file
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.report.text import render_text
import jakcheck.native
k = default_knowledge()
out = {"status": jakcheck.native.status}
for name in sys.argv[1:]:
    facts = read_file(Path(name), as_of=date(2026, 11, 26), knowledge=k)
    for region in ("EU", "US"):
        a = assess(facts, k, region=region)
        blob = orjson.dumps(a.to_json_dict(), option=orjson.OPT_SORT_KEYS) + render_text(a, color=False).encode()
        out[f"{name} {region}"] = hashlib.sha256(blob).hexdigest()
print(json.dumps(out))
"""


@pytest.mark.skipif(not native.status.startswith("on"), reason=f"compiled modules {native.status}: nothing to "
                    "compare (make builds them)")
def test_compiled_and_plain_python_give_identical_assessments() -> None:
    files = sorted(str(p) for p in (ROOT / "examples").glob("*.json")) + \
        sorted(str(p) for p in (ROOT / "examples" / "on-treatment").glob("*.json"))
    synthea = SHARED_DATA / "synthea-r4-generated-sample-data"
    if synthea.is_dir():
        files += sorted(str(p) for p in synthea.glob("*.json") if not p.name.startswith(("hospital", "practitioner")))
    runs = {}
    for mode in ("1", "0"):
        proc = subprocess.run([sys.executable, "-c", _DIGESTS, *files], env={**os.environ, "JAKCHECK_NATIVE": mode},
                              capture_output=True, text=True, check=True, cwd=ROOT)
        runs[mode] = json.loads(proc.stdout)
    assert runs["1"].pop("status").startswith("on") and runs["0"].pop("status").startswith("off")
    assert len(runs["1"]) == 2 * len(files)
    differing = [k for k in runs["1"] if runs["1"][k] != runs["0"].get(k)]
    assert not differing, differing


def test_in_this_test_run_the_compiled_modules_are_the_ones_imported() -> None:
    """When the status says on, the engine really is the compiled one (and the plain module otherwise)."""
    import jakcheck.engine

    compiled = jakcheck.engine.__file__.endswith(sysconfig.get_config_var("EXT_SUFFIX"))
    assert compiled == native.status.startswith("on")
