"""Benchmark of `jakcheck screen`: a cloned Synthea population as a Bulk Data export, in one run.

1. Build: every shared Synthea patient Bundle (../shared/data) is cloned with fresh patient ids up to
   --patients (10k by default) and written as NDJSON, one file per resource type split every 50k lines (all
   types, like a real export; --needed-only writes just the types the rules read, for 100k on a small disk).
2. (a) Parse floor: read and orjson-parse the same input files with the same worker count - over every file,
   and over the files of the types the screen reads.
   (b) `jakcheck screen --engine local`, (c) `--engine spark` on local[2] or on --spark-master (skipped
   without Java/PySpark).
   (d) DuckDB doing the partition step alone (read_ndjson_objects + hash partitioning), to compare with (b)'s
   own partition step.
3. Prints patients/s, CPU seconds and peak memory (RSS) of the whole process tree (sampled every 0.2 s), each
   engine's phases, the ratios (b)/(a) and (b)/(c), and the machine's load average before and after (other work
   on the machine skews every figure). (a), (b) and (c) run --repeat times (3 by default), alternating; the
   ratios are those of their medians, and each round's is shown.

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
    """Peak RSS of the process tree, and its CPU time ("cpu": user + system seconds of every process seen,
    sampled every 0.2 s; a process's last fraction of a sample interval is missed)."""
    try:
        root = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        return
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        rss = []
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for p in procs:
            try:
                with p.oneshot():
                    rss.append(p.memory_info().rss)
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
            except psutil.Error:
                continue
        peak["tree"] = max(peak.get("tree", 0), sum(rss))
        peak["largest"] = max(peak.get("largest", 0), max(rss, default=0))
        peak["cpu"] = sum(cpu.values())
        time.sleep(0.2)


def run_screen(folder: Path, out: Path, engine: str, master: str | None = None
               ) -> tuple[float, dict[str, float], str]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "jakcheck.cli", "screen", str(folder), "--out", str(out), "--as-of", AS_OF,
           "--workers", str(WORKERS), "--engine", engine]
    if engine == "spark":
        cmd += ["--spark-master", master or f"local[{WORKERS}]"]
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


def _phases(log: str) -> str:
    """The engine's own phase timings from its progress lines."""
    found = [(m.group(1), m.group(2)) for m in re.finditer(r"screen: (\w[\w ]*?): [\d/]+ \w+ in ([\d.,]+) s", log)]
    found += [(m.group(1), m.group(2)) for m in re.finditer(r"screen: (Spark session) .*? in ([\d.,]+) s", log)]
    return ", ".join(f"{name} {t} s" for name, t in found) or "?"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/jakcheck-screen-bench"))
    ap.add_argument("--needed-only", action="store_true", help="write only the resource types the rules read")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--spark-master", help=f"Spark master URL (default local[{WORKERS}]), e.g. spark://127.0.0.1:7077 "
                                           "for a standalone cluster")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of (a), (b) and (c), alternating (default 3)")
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
    master = a.spark_master or f"local[{WORKERS}]"
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    gb_all = sum(f.stat().st_size for f in files) / 1e9
    gb_needed = sum(f.stat().st_size for f in needed) / 1e9
    # (a), (b) and (c) alternate, a.repeat times: the machine's speed drifts (other work on the host), and the
    # ratios compare the medians of figures taken under the same conditions.
    floors_all: list[float] = []
    floors_needed: list[float] = []
    runs: dict[str, list[tuple[float, float]]] = {"local": [], "spark": []}  # (seconds, CPU seconds)
    peaks: dict[str, dict[str, float]] = {"local": {}, "spark": {}}
    same: list[bool] = []
    engines = ["local"] if a.skip_spark else ["local", "spark"]
    for i in range(a.repeat):
        floors_all.append(parse_floor(files))
        floors_needed.append(parse_floor(needed) if len(needed) < len(files) else floors_all[-1])
        line = [f"    round {i + 1}: floor all files {floors_all[-1]:.1f} s, needed types {floors_needed[-1]:.1f} s"]
        for engine in engines:
            secs, peak, log = run_screen(folder, a.dir / f"out-{engine}", engine, master)
            runs[engine].append((secs, peak.get("cpu", 0.0)))
            for k, v in peak.items():
                peaks[engine][k] = max(peaks[engine].get(k, 0), v)
            line.append(f"{engine} {secs:.1f} s, CPU {peak.get('cpu', 0):.0f} s ({_phases(log)})")
        if "spark" in engines:
            same.append(all((a.dir / "out-local" / f).read_bytes() == (a.dir / "out-spark" / f).read_bytes()
                            for f in ("patients.csv", "assessments.csv", "assessments.ndjson", "rejects.ndjson",
                                      "summary.json")))
        print("; ".join(line), flush=True)
    floor_all, floor_needed = statistics.median(floors_all), statistics.median(floors_needed)
    med = {e: statistics.median(s for s, _ in r) for e, r in runs.items() if r}
    cpu = {e: statistics.median(c for _, c in r) for e, r in runs.items() if r}
    print(f"(a) parse floor, {WORKERS} workers, median of {a.repeat}: all files {gb_all:.2f} GB {floor_all:.1f} s = "
          f"{n / floor_all:,.0f} patients/s; needed types only {gb_needed:.2f} GB {floor_needed:.1f} s = "
          f"{n / floor_needed:,.0f} patients/s")
    local_s = med["local"]
    print(f"(b) local engine, {WORKERS} workers, median of {a.repeat}: {local_s:.1f} s = {n / local_s:,.0f} "
          f"patients/s, CPU {cpu['local']:.0f} s; peak RSS {peaks['local'].get('tree', 0) / 2**20:,.0f} MiB tree, "
          f"{peaks['local'].get('largest', 0) / 2**20:,.0f} MiB largest process")
    print(f"    ratio (b)/(a) of the medians: {floor_all / local_s:.2f} against all files, "
          f"{floor_needed / local_s:.2f} against the needed types; per round against all files: "
          + ", ".join(f"{f / s:.2f}" for f, (s, _) in zip(floors_all, runs["local"], strict=True)))
    if "spark" in med:
        spark_s = med["spark"]
        where = "the driver's process tree only: the executors run elsewhere" if a.spark_master else "incl. JVM"
        print(f"(c) spark {master}, median of {a.repeat}: {spark_s:.1f} s = {n / spark_s:,.0f} patients/s (session "
              f"start included), CPU {cpu['spark']:.0f} s; peak RSS {peaks['spark'].get('tree', 0) / 2**20:,.0f} MiB "
              f"tree ({where}); rows identical to local: {all(same)}")
        rounds = ", ".join(f"{ls / ss:.2f}" for (ls, _), (ss, _) in zip(runs["local"], runs["spark"], strict=True))
        print(f"    spark / local, patients/s on the same {WORKERS} cores, medians: {local_s / spark_s:.2f}; "
              f"per round: {rounds}"
              + (f"; CPU seconds local / spark: {cpu['local'] / cpu['spark']:.2f}" if not a.spark_master else ""))
    dd = duckdb_partition(needed, a.dir / "duckdb")
    if dd is not None:
        print(f"(d) DuckDB partition step alone (needed types, {WORKERS} threads): {dd:.1f} s")
    print("load average (1, 5, 15 min) after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
