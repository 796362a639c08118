"""Build the compiled modules of jakcheck.native: `python -m jakcheck.nativebuild` (needs mypy and a C compiler;
`make` runs it and carries on as plain Python when it fails)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path

from jakcheck.native import COMPILED, GROUP, MANIFEST, PACKAGE, native_dir, python_build, source_digests


def build(folder: Path | None = None, jobs: int = 2) -> Path:
    """Compile COMPILED with mypyc into `folder` (default native_dir()), replacing what is there. Needs the dev
    dependencies (mypy) and a C compiler."""
    from mypyc.build import mypycify  # only the build needs mypy
    from setuptools import Distribution  # type: ignore[import-untyped]

    folder = folder or native_dir()
    sources = source_digests()  # taken before compiling: an edit during the build makes the result stale
    src_root = PACKAGE.parent
    paths = [str(src_root / (name.replace(".", "/") + ".py")) for name in COMPILED]
    config = src_root.parent / "pyproject.toml"
    flags = [f"--config-file={config}"] if config.is_file() else []
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".jakcheck-native-", dir=folder.parent))
    try:
        here = Path.cwd()
        os.chdir(work)  # mypycify writes its C files relative to the working directory
        try:
            extensions = mypycify([*flags, *paths], opt_level="3", target_dir=str(work / "c"), group_name=GROUP)
            dist = Distribution({"name": "jakcheck-native", "ext_modules": extensions})
            cmd = dist.get_command_obj("build_ext")
            cmd.build_lib = str(work / "lib")
            cmd.build_temp = str(work / "tmp")
            cmd.parallel = jobs
            dist.run_command("build_ext")
        finally:
            os.chdir(here)
        lib = work / "lib"
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        files = {p.relative_to(lib).as_posix().removesuffix(suffix).replace("/", "."): p.relative_to(lib).as_posix()
                 for p in sorted(lib.rglob(f"*{suffix}"))}
        expected = set(COMPILED) | {f"{GROUP}__mypyc"}
        if set(files) != expected:
            raise RuntimeError(f"the build made {sorted(files)}, expected {sorted(expected)}")
        (lib / MANIFEST).write_text(json.dumps({"python": python_build(), "files": files, "sources": sources},
                                               indent=1, sort_keys=True))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        lib.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path(args[0]) if args else None
    done = build(folder)
    print(f"compiled {len(COMPILED)} modules into {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
