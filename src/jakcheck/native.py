"""Compiled hot paths: the FHIR reader and routing, the engine, the rules, the calculators and the per-patient screen
step, built with mypyc (optional, same results).

The Python sources stay the only source of truth. `python -m jakcheck.nativebuild` (run by `make`) compiles the
modules in `COMPILED` into `<virtual environment>/jakcheck-native/`, with a manifest holding the SHA-256 of every
source file of the package and the Python build it was made for. When `jakcheck` is imported, `install()` puts
the compiled modules in front of the sources only if every digest still matches the sources the package runs
from and the Python build is the same: after any edit the package runs as plain Python until the next build, so
compiled code is never older than the code it stands for. `JAKCHECK_NATIVE=0` turns them off.

Why these modules: they are where a population screen spends its time per patient (reading resources, running
the rules, the calculators, packing the outputs); compiled, a patient costs about a fifth less (docs/scaling.md).
Modules whose classes are pickled to worker processes (the screen's inputs and settings) or that define pydantic
models stay Python.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent
MANIFEST = "manifest.json"
GROUP = "jakcheck_native"
COMPILED = (
    "jakcheck.calculators.base",
    "jakcheck.calculators.disease_activity",
    "jakcheck.calculators.pce",
    "jakcheck.calculators.prevent",
    "jakcheck.calculators.renal",
    "jakcheck.calculators.score2",
    "jakcheck.fhir.reader",
    "jakcheck.fhir.routing",
    "jakcheck.engine",
    "jakcheck.patient.derived",
    "jakcheck.patient.units",
    "jakcheck.patient.score_inputs",
    "jakcheck.patient.terminology",
    "jakcheck.population.cohorts",
    "jakcheck.population.outputs",
    "jakcheck.population.process",
    "jakcheck.rules.base",
    "jakcheck.rules.cancer",
    "jakcheck.rules.cardiovascular",
    "jakcheck.rules.cites",
    "jakcheck.rules.data_quality",
    "jakcheck.rules.hepatitis",
    "jakcheck.rules.infection",
    "jakcheck.rules.interactions",
    "jakcheck.rules.labs",
    "jakcheck.rules.monitoring",
    "jakcheck.rules.on_treatment",
    "jakcheck.rules.regulatory",
    "jakcheck.rules.renal_hepatic",
    "jakcheck.rules.reproductive",
    "jakcheck.rules.review",
    "jakcheck.rules.scores",
    "jakcheck.rules.stop_avoid",
    "jakcheck.rules.tuberculosis",
    "jakcheck.rules.vaccination",
)

status = "off (not installed)"  # what install() decided, for `jakcheck version` and the screen's first line


def native_dir() -> Path:
    """Where the compiled modules of this virtual environment live."""
    return Path(os.environ.get("JAKCHECK_NATIVE_DIR") or Path(sys.prefix) / "jakcheck-native")


def python_build() -> str:
    """The Python build a compiled module is made for (its file suffix names the ABI and platform)."""
    return f"{sys.implementation.cache_tag} {sysconfig.get_config_var('EXT_SUFFIX')}"


def source_digests(package: Path = PACKAGE) -> dict[str, str]:
    """SHA-256 of every Python source file of the package, by path relative to it (sorted)."""
    return {p.relative_to(package).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(package.rglob("*.py"))}


def check(manifest: object, folder: Path, package: Path = PACKAGE) -> str | None:
    """None when the compiled modules described by `manifest` (in `folder`) may stand for `package`'s sources;
    otherwise why not."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) \
            or not isinstance(manifest.get("sources"), dict):
        return "manifest is not in the expected form"
    if manifest.get("python") != python_build():
        return f"built for another Python ({manifest.get('python')})"
    built: dict[str, str] = manifest["sources"]
    now = source_digests(package)
    changed = sorted(set(built) ^ set(now) | {k for k in built.keys() & now.keys() if built[k] != now[k]})
    if changed:
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        return f"sources changed since the build: {changed[0]}{more}"
    missing = [f for f in manifest["files"].values() if not isinstance(f, str) or not (folder / f).is_file()]
    if missing:
        return f"compiled file missing: {missing[0]}"
    return None


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        f = self.files.get(fullname)
        return None if f is None else importlib.util.spec_from_file_location(fullname, f)


def install() -> str:
    """Use the compiled modules when they match the sources (see the module docstring). Returns the status."""
    global status
    if any(isinstance(f, _Finder) for f in sys.meta_path):
        return status
    if os.environ.get("JAKCHECK_NATIVE", "1").strip() in ("0", "off", "false", "no"):
        status = "off (JAKCHECK_NATIVE=0)"
        return status
    folder = native_dir()
    path = folder / MANIFEST
    if not path.is_file():
        status = "off (not built)"
        return status
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError):
        status = "off (manifest unreadable)"
        return status
    problem = check(manifest, folder)
    if problem is not None:
        status = f"off ({problem})"
        return status
    sys.meta_path.insert(0, _Finder({name: folder / f for name, f in manifest["files"].items()}))
    status = f"on ({len(manifest['files']) - 1} compiled modules)"
    return status
