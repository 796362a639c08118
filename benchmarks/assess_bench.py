"""Benchmark: in-process assessment time per Synthea patient, and CLI wall time on the largest bundle.

Prints figures; asserts nothing. Needs ../shared/data (or JAKCHECK_SYNTHEA_DIRS=dir1:dir2).
Per patient it measures read (JSON parse + facts) and assess (rules + output model) separately and together.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from jakcheck.engine import assess
from jakcheck.errors import PatientDeceased
from jakcheck.fhir.reader import read_file
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.population.inputs import iter_patient_bundles

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = [ROOT.parent / "shared" / "data" / "synthea-r4-bulk-data-server",
                ROOT.parent / "shared" / "data" / "synthea-r4-generated-sample-data"]
AS_OF = date(2026, 11, 26)


def patient_files() -> list[Path]:
    env = os.environ.get("JAKCHECK_SYNTHEA_DIRS")
    dirs = [Path(p) for p in env.split(":")] if env else DEFAULT_DIRS
    files = []
    for d in dirs:
        if d.is_dir():
            files += list(iter_patient_bundles(d))
    return files


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> int:
    files = patient_files()
    if not files:
        print("no Synthea bundles found (../shared/data); nothing to measure")
        return 0
    k = default_knowledge()
    reads, assessments, totals = [], [], []
    for path in files:
        t0 = time.perf_counter()
        facts = read_file(path, as_of=AS_OF, knowledge=k)
        t1 = time.perf_counter()
        try:
            assess(facts, k, region="EU")
        except PatientDeceased:  # refused before any assessment: not a patient to measure
            continue
        t2 = time.perf_counter()
        reads.append((t1 - t0) * 1000)
        assessments.append((t2 - t1) * 1000)
        totals.append((t2 - t0) * 1000)
    print(f"patients: {len(files)}, {len(assessments)} assessed (the others deceased: refused)")
    for name, vals in (("assess (rules + output)", assessments), ("read (parse + facts)", reads),
                       ("read + assess", totals)):
        print(f"{name:>24}: median {statistics.median(vals):7.2f} ms   p95 {pct(vals, 95):7.2f} ms   "
              f"max {max(vals):7.2f} ms")
    largest = max(files, key=lambda p: p.stat().st_size)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jakcheck.cli", "assess", str(largest), "--format", "json", "--as-of",
                        AS_OF.isoformat()], check=True, stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - t0)
    print(f"CLI on the largest bundle ({largest.stat().st_size / 1e6:.1f} MB): median {statistics.median(runs):.2f} s "
          f"(min {min(runs):.2f}, max {max(runs):.2f}, 5 runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
