"""Benchmark of `jakcheck screen`: a cloned Synthea population as a Bulk Data export, in one run.

1. Build: every shared Synthea patient Bundle (../shared/data) is cloned with fresh patient ids up to
   --patients (10k by default) and written as NDJSON, one file per resource type split every 50k lines (all
   types, like a real export; --needed-only writes just the types the rules read, for 100k on a small disk).
2. (a) Parse floor: read and orjson-parse the same input files with the same worker count - over every file,
   and over the files of the types the screen reads.
   (b) `jakcheck screen --engine local`, (c) `--engine spark` on local[2] (skipped without Java/PySpark).
   (d) DuckDB doing the partition step alone (read_ndjson_objects + hash partitioning), to compare with (b)'s
   own partition step.
3. Prints patients/s, the ratio (b)/(a) and peak memory (RSS of the whole process tree, sampled every 0.2 s),
   and the machine's load average before and after (other work on the machine skews every figure). (a) and (b)
   run --repeat times (3 by default), alternating; the ratio is that of their medians, and each round's is shown.

Prints figures; asserts nothing. Work files go to --dir (default /tmp/jakcheck-screen-bench), kept for reruns.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import orjson
import psutil

from jakcheck.population.inputs import iter_patient_bundles

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SOURCES = [SHARED / "synthea-r4-bulk-data-server", SHARED / "synthea-r4-generated-sample-data"]
NEEDED = {"Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement", "Immunization",
          "Medication"}
AS_OF = "2020-05-06"
LINES_PER_FILE = 50_000
WORKERS = 2


def _patient_docs() -> list[tuple[str, dict[str, str]]]:
    """(patient id, {resource type: NDJSON text}) for every source patient, references as Patient/<id>."""
    out = []
    for folder in SOURCES:
        for p in iter_patient_bundles(folder):
            bundle = orjson.loads(p.read_bytes())
            res = [e["resource"] for e in bundle["entry"]]
            pid = next(r["id"] for r in res if r["resourceType"] == "Patient")
            by_type: dict[str, list[bytes]] = {}
            for r in res:
                by_type.setdefault(r["resourceType"], []).append(orjson.dumps(r))
            texts = {t: b"\n".join(lines).decode() + "\n" for t, lines in by_type.items()}
            texts = {t: s.replace(f'"urn:uuid:{pid}"', f'"Patient/{pid}"') for t, s in texts.items()}
            out.append((pid, texts))
    return out


class _Sink:
    """NDJSON files per type, rolled over every LINES_PER_FILE lines."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fh: dict[str, tuple[int, int, object]] = {}

    def write(self, rtype: str, text: str) -> None:
        n, lines, fh = self.fh.get(rtype, (0, 0, None))
        if fh is None or lines >= LINES_PER_FILE:
            if fh is not None:
                fh.close()  # type: ignore[attr-defined]
                n += 1
            fh = open(self.folder / f"{rtype}.{n:03d}.ndjson", "w", encoding="utf-8")  # noqa: SIM115
            lines = 0
        fh.write(text)  # type: ignore[attr-defined]
        self.fh[rtype] = (n, lines + text.count("\n"), fh)

    def close(self) -> None:
        for _, _, fh in self.fh.values():
            fh.close()  # type: ignore[attr-defined]


def build(folder: Path, patients: int, needed_only: bool) -> None:
    stamp = folder.parent / f"{folder.name}.built.json"  # outside the export: it is not FHIR
    want = {"patients": patients, "needed_only": needed_only}
    if stamp.is_file() and json.loads(stamp.read_text()) == want:
        print(f"input: reusing {folder}")
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.monotonic()
    docs = _patient_docs()
    sink = _Sink(folder)
    for i in range(patients):
        pid, texts = docs[i % len(docs)]
        new = str(uuid.uuid5(uuid.NAMESPACE_URL, f"jakcheck-bench/{i}"))
        for rtype, text in texts.items():
            if needed_only and rtype not in NEEDED:
                continue
            sink.write(rtype, text.replace(pid, new))
    sink.close()
    stamp.write_text(json.dumps(want))
    size = sum(p.stat().st_size for p in folder.glob("*.ndjson"))
    print(f"input: {patients} patients cloned from {len(docs)} Synthea patients, {size / 1e9:.2f} GB NDJSON "
          f"in {time.monotonic() - t0:.0f} s")


# ---------------------------------------------------------------------------------------------- parse floor


def _parse_file(path: str) -> int:
    n = 0
    loads = orjson.loads
    with open(path, "rb") as fh:
        for line in fh:
            loads(line)
            n += 1
    return n


def parse_floor(files: list[Path]) -> float:
    t0 = time.monotonic()
    with ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(_parse_file, [str(f) for f in sorted(files, key=lambda f: -f.stat().st_size)]))
    return time.monotonic() - t0


# ---------------------------------------------------------------------------------------------- engines


def _watch(proc: subprocess.Popen[bytes], peak: dict[str, float]) -> None:
    try:
        root = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        return
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            rss = [p.memory_info().rss for p in procs if p.is_running()]
        except psutil.Error:
            continue
        peak["tree"] = max(peak.get("tree", 0), sum(rss))
        peak["largest"] = max(peak.get("largest", 0), max(rss, default=0))
        time.sleep(0.2)


def run_screen(folder: Path, out: Path, engine: str) -> tuple[float, dict[str, float], str]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "jakcheck.cli", "screen", str(folder), "--out", str(out), "--as-of", AS_OF,
           "--workers", str(WORKERS), "--engine", engine]
    if engine == "spark":
        cmd += ["--spark-master", f"local[{WORKERS}]"]
    peak: dict[str, float] = {}
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    watcher = threading.Thread(target=_watch, args=(proc, peak), daemon=True)
    watcher.start()
    _, err = proc.communicate()
    elapsed = time.monotonic() - t0
    watcher.join(timeout=1)
    text = err.decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{engine} engine failed:\n{text[-2000:]}")
    return elapsed, peak, text


def duckdb_partition(files: list[Path], work: Path) -> float | None:
    try:
        import duckdb
    except ImportError:
        return None
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"SET threads={WORKERS}")
    con.execute("SET memory_limit='1GB'")
    con.execute(f"SET temp_directory='{work}/tmp'")
    names = ", ".join(f"'{f}'" for f in files)
    t0 = time.monotonic()
    con.execute(f"""
        COPY (SELECT hash(coalesce(json->>'$.subject.reference', json->>'$.patient.reference',
                                   'Patient/' || (json->>'$.id'))) % 64 AS bucket, json
              FROM read_ndjson_objects([{names}]))
        TO '{work}/parts' (FORMAT parquet, PARTITION_BY (bucket))""")
    return time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/jakcheck-screen-bench"))
    ap.add_argument("--needed-only", action="store_true", help="write only the resource types the rules read")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of (a) and (b), alternating (default 3)")
    a = ap.parse_args()
    if not all(s.is_dir() for s in SOURCES):
        print("no shared Synthea data (../shared/data); nothing to measure")
        return 0
    needed_only = a.needed_only or a.patients > 20_000
    folder = a.dir / f"export-{a.patients}{'-needed' if needed_only else ''}"
    build(folder, a.patients, needed_only)
    files = sorted(folder.glob("*.ndjson"))
    needed = [f for f in files if f.name.split(".")[0] in NEEDED]
    n = a.patients
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    gb_all = sum(f.stat().st_size for f in files) / 1e9
    gb_needed = sum(f.stat().st_size for f in needed) / 1e9
    # (a) and (b) alternate, a.repeat times: the machine's speed drifts (other work on the host), and the ratio
    # compares the medians of figures taken under the same conditions.
    floors_all: list[float] = []
    floors_needed: list[float] = []
    locals_: list[float] = []
    local_peak: dict[str, float] = {}
    for i in range(a.repeat):
        floors_all.append(parse_floor(files))
        floors_needed.append(parse_floor(needed) if len(needed) < len(files) else floors_all[-1])
        local_s, peak, log = run_screen(folder, a.dir / "out-local", "local")
        locals_.append(local_s)
        for k, v in peak.items():
            local_peak[k] = max(local_peak.get(k, 0), v)
        part = re.search(r"partition: \d+/\d+ bytes in ([\d.,]+) s", log)
        assess = re.search(r"assess: \d+/\d+ patients in ([\d.,]+) s", log)
        print(f"    round {i + 1}: floor all files {floors_all[-1]:.1f} s, needed types {floors_needed[-1]:.1f} s; "
              f"local {local_s:.1f} s (partition {part.group(1) if part else '?'} s, assess "
              f"{assess.group(1) if assess else '?'} s)")
    floor_all, floor_needed, local_s = (statistics.median(x) for x in (floors_all, floors_needed, locals_))
    print(f"(a) parse floor, {WORKERS} workers, median of {a.repeat}: all files {gb_all:.2f} GB {floor_all:.1f} s = "
          f"{n / floor_all:,.0f} patients/s; needed types only {gb_needed:.2f} GB {floor_needed:.1f} s = "
          f"{n / floor_needed:,.0f} patients/s")
    print(f"(b) local engine, {WORKERS} workers, median of {a.repeat}: {local_s:.1f} s = {n / local_s:,.0f} "
          f"patients/s; peak RSS {local_peak.get('tree', 0) / 2**20:,.0f} MiB tree, "
          f"{local_peak.get('largest', 0) / 2**20:,.0f} MiB largest process")
    print(f"    ratio (b)/(a) of the medians: {floor_all / local_s:.2f} against all files, "
          f"{floor_needed / local_s:.2f} against the needed types; per round against all files: "
          + ", ".join(f"{f / s:.2f}" for f, s in zip(floors_all, locals_, strict=True)))
    if not a.skip_spark:
        spark_s, spark_peak, log = run_screen(folder, a.dir / "out-spark", "spark")
        same = all((a.dir / "out-local" / f).read_bytes() == (a.dir / "out-spark" / f).read_bytes()
                   for f in ("patients.csv", "assessments.csv", "assessments.ndjson"))
        print(f"(c) spark local[{WORKERS}]: {spark_s:.1f} s = {n / spark_s:,.0f} patients/s (session start "
              f"included); peak RSS {spark_peak.get('tree', 0) / 2**20:,.0f} MiB tree incl. JVM; rows identical "
              f"to local: {same}")
    dd = duckdb_partition(needed, a.dir / "duckdb")
    if dd is not None:
        print(f"(d) DuckDB partition step alone (needed types, {WORKERS} threads): {dd:.1f} s")
    print("load average (1, 5, 15 min) after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
