"""The screen's output files, written by one writer that both engines feed with per-patient results in patient-id
order.

Files (in the output folder): `patients.csv` (every patient once: cohorts or exclusion reason),
`assessments.csv` and `assessments.parquet` (patient x drug), `findings.parquet` (patient x finding),
`assessments.ndjson` (the full assessment JSON per assessed patient), `rejects.ndjson`, `summary.json` and
`report.html`. Each is written under a temporary name and renamed when complete, so a file with the final name
is always whole. CSV, NDJSON and summary.json are byte-identical for the same input, options and knowledge
release: rows are in patient-id order, nothing depends on time, worker count or engine.
"""

from __future__ import annotations

import csv
import heapq
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from jakcheck.fhir.bulk import InputFile
from jakcheck.population.cohorts import EMA_RISK_CODES, action_priority
from jakcheck.population.process import ScreenConfig

OUTPUT_FILES = ("patients.csv", "assessments.csv", "assessments.parquet", "findings.parquet", "assessments.ndjson",
                "rejects.ndjson", "summary.json", "report.html")
PATIENT_COLUMNS = ("patient_id", "cohorts", "assessed", "excluded")
ASSESSMENT_COLUMNS = ("patient_id", "cohort", "mode", "region", "indication", "drug", "current_drug", "verdict",
                      "dose", "finding_codes", "ready_to_start", "overdue_monitoring", "knowledge_version",
                      "as_of")
FINDING_COLUMNS = ("patient_id", "patient_reference", "cohort", "mode", "code", "severity", "drugs", "summary",
                   "evidence", "knowledge_version", "as_of")
_LIST_COLUMNS = frozenset({"finding_codes", "overdue_monitoring", "drugs", "evidence"})
_BOOL_COLUMNS = frozenset({"current_drug", "ready_to_start"})
AGE_BANDS = ("<50", "50-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85+", "unknown")
TOP_ACTIONS = 100
PARQUET_BATCH = 20_000


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for limit, band in ((50, "<50"), (60, "50-59"), (65, "60-64"), (70, "65-69"), (75, "70-74"), (80, "75-79"),
                        (85, "80-84")):
        if age < limit:
            return band
    return "85+"


def dose_text(dose: Mapping[str, Any] | None) -> str:
    if not dose:
        return ""
    return f"{dose['amount']:g} {dose['unit']} {dose['frequency']}"


# What the writer reads of an assessment (rows, tallies, the report's action list): the rest of it only goes to
# assessments.ndjson, which receives the assessment's JSON as the worker serialised it.
_SLIM_MONITORING = ("test", "status", "drugs")
_SLIM_FINDING = ("code", "severity", "drugs", "summary", "evidence")
_SLIM_ACTION = ("summary", "blocking")
RAW_ASSESSMENT = "_assessment_json"


def _pick(d: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: d[k] for k in keys if k in d}


def pack_result(result: Mapping[str, Any]) -> bytes:
    """One per-patient result as one line (no newline) for the writer: the result JSON with only the parts of
    the assessment the writer reads, then a tab and the full assessment JSON (orjson never writes a raw tab or
    newline). The writer copies those bytes to assessments.ndjson instead of parsing and re-serialising them."""
    a = result.get("assessment")
    if not isinstance(a, dict):
        return orjson.dumps(result)
    slim = {k: v for k, v in a.items()
            if k not in ("findings", "monitoring", "actions", "patient", "current_therapy", "scores", "alternatives")}
    slim["patient"] = _pick(a.get("patient") or {}, ("age",))
    therapy = a.get("current_therapy")
    slim["current_therapy"] = _pick(therapy, ("drug",)) if isinstance(therapy, dict) else therapy
    slim["findings"] = [_pick(f, _SLIM_FINDING) for f in a.get("findings", [])]
    slim["monitoring"] = [_pick(m, _SLIM_MONITORING) for m in a.get("monitoring", [])]
    slim["actions"] = [_pick(x, _SLIM_ACTION) for x in a.get("actions", [])]
    return orjson.dumps({**result, "assessment": slim}) + b"\t" + orjson.dumps(a)


def unpack_result(line: bytes) -> dict[str, Any]:
    """The result of a `pack_result` line (a trailing newline is allowed), the full assessment JSON kept as
    bytes under RAW_ASSESSMENT."""
    head, tab, raw = line.partition(b"\t")
    result: dict[str, Any] = orjson.loads(head)
    if tab:
        result[RAW_ASSESSMENT] = raw.rstrip(b"\n")
    return result


def _schema(columns: Sequence[str]) -> pa.Schema:
    return pa.schema([(c, pa.list_(pa.string()) if c in _LIST_COLUMNS else pa.bool_() if c in _BOOL_COLUMNS
                       else pa.string()) for c in columns])


class _Parquet:
    """Rows appended in batches to a Parquet file (bounded memory)."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.schema = _schema(columns)
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.rows: list[Mapping[str, Any]] = []

    def add(self, row: Mapping[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= PARQUET_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            cols = {c: [r[c] for r in self.rows] for c in self.columns}
            self.writer.write_table(pa.table(cols, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


@dataclass
class Tally:
    """What the report and summary.json count, gathered while the rows stream past."""

    patients: int = 0
    cohorts: Counter[str] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)
    assessed: int = 0
    modes: Counter[str] = field(default_factory=Counter)
    ready_to_start: int = 0
    verdicts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (drug, verdict) -> rows
    findings: Counter[str] = field(default_factory=Counter)  # code -> patients
    severities: dict[str, str] = field(default_factory=dict)
    ema_ages: Counter[str] = field(default_factory=Counter)
    overdue: Counter[str] = field(default_factory=Counter)  # test -> patients
    rejects: Counter[str] = field(default_factory=Counter)  # reason (without the resource) -> lines
    actions: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)  # max-heap by (-prio, id)

    def to_json(self) -> dict[str, Any]:
        return {
            "patients": self.patients,
            "cohorts": dict(sorted(self.cohorts.items())),
            "excluded": dict(sorted(self.excluded.items())),
            "assessed": self.assessed,
            "modes": dict(sorted(self.modes.items())),
            "ready_to_start": self.ready_to_start,
            "verdicts": {f"{d}|{v}": n for (d, v), n in sorted(self.verdicts.items())},
            "findings": dict(sorted(self.findings.items())),
            "ema_restricted_ages": {b: self.ema_ages[b] for b in AGE_BANDS if self.ema_ages[b]},
            "monitoring_overdue": dict(sorted(self.overdue.items())),
            "rejects": sum(self.rejects.values()),
            "rejects_by_reason": dict(sorted(self.rejects.items())),
        }

    def top_actions(self) -> list[dict[str, Any]]:
        return [row for _, _, row in sorted(self.actions, key=lambda a: (-a[0], a[1]))]


def _reason_kind(reason: str) -> str:
    """A reject reason without the resource it names, for counting ("Condition/1, field x: ..." -> "...")."""
    return reason.rsplit(": ", 1)[-1] if ", field " in reason or "/" in reason.split(":", 1)[0] else reason


class ScreenWriter:
    def __init__(self, out: Path, config: ScreenConfig, knowledge_version: str, knowledge_date: str,
                 files: Sequence[InputFile]) -> None:
        self.out = out
        self.config = config
        self.kv = knowledge_version
        self.kdate = knowledge_date
        self.files = files
        self.tally = Tally()
        self.rejects: list[tuple[tuple[int, int, int, int], str]] = []
        out.mkdir(parents=True, exist_ok=True)
        self._tmp = {name: out / f".{name}.tmp" for name in OUTPUT_FILES}
        self._patients = self._tmp["patients.csv"].open("w", encoding="utf-8", newline="")
        self._assess_csv = self._tmp["assessments.csv"].open("w", encoding="utf-8", newline="")
        self._ndjson = self._tmp["assessments.ndjson"].open("wb")
        self._pcsv = csv.writer(self._patients, lineterminator="\n")
        self._acsv = csv.writer(self._assess_csv, lineterminator="\n")
        self._pcsv.writerow(PATIENT_COLUMNS)
        self._acsv.writerow(ASSESSMENT_COLUMNS)
        self._apq = _Parquet(self._tmp["assessments.parquet"], ASSESSMENT_COLUMNS)
        self._fpq = _Parquet(self._tmp["findings.parquet"], FINDING_COLUMNS)
        self._last_id: str | None = None

    # --- per patient ------------------------------------------------------------------------------------

    def add(self, result: Mapping[str, Any]) -> None:
        for origin, reason in result.get("rejects", ()):
            self.rejects.append((tuple(origin), reason))
        if not result.get("patient"):
            return
        pid: str = result["id"]
        if self._last_id is not None and pid <= self._last_id:
            raise AssertionError("results must arrive in increasing patient-id order, each once")
        self._last_id = pid
        t = self.tally
        t.patients += 1
        cohorts: list[str] = result.get("cohorts") or []
        excluded = result.get("excluded")
        if excluded:
            t.excluded[excluded] += 1
        else:
            t.cohorts[result["cohort"]] += 1
        self._pcsv.writerow((pid, ";".join(cohorts), "yes" if result.get("assessed") else "no", excluded or ""))
        a = result.get("assessment")
        if a is not None:
            self._assessment(pid, result["cohort"], a, result.get(RAW_ASSESSMENT))

    def _assessment(self, pid: str, cohort: str, a: dict[str, Any], raw: bytes | None = None) -> None:
        t = self.tally
        t.assessed += 1
        t.modes[a["mode"]] += 1
        if a.get("ready_to_start"):
            t.ready_to_start += 1
        self._ndjson.write(orjson.dumps(a) if raw is None else raw)
        self._ndjson.write(b"\n")
        current = (a.get("current_therapy") or {}).get("drug")
        monitoring = a.get("monitoring", [])
        for d in a.get("drugs", []):
            overdue = sorted({m["test"] for m in monitoring if m.get("status") == "overdue"
                              and (not m.get("drugs") or d["drug"] in m["drugs"])})
            row = {"patient_id": pid, "cohort": cohort, "mode": a["mode"], "region": a["region"],
                   "indication": a.get("indication") or "", "drug": d["drug"], "current_drug": d["drug"] == current,
                   "verdict": d["verdict"], "dose": dose_text(d.get("dose")), "finding_codes": list(d["findings"]),
                   "ready_to_start": bool(a.get("ready_to_start")) and d["drug"] != current,
                   "overdue_monitoring": overdue, "knowledge_version": self.kv, "as_of": a["as_of"]}
            t.verdicts[(d["drug"], d["verdict"])] += 1
            self._apq.add(row)
            self._acsv.writerow(("true" if v is True else "false" if v is False else ";".join(v)
                                 if isinstance(v, list) else v) for v in row.values())
        codes: set[str] = set()
        for f in a.get("findings", []):
            codes.add(f["code"])
            t.severities.setdefault(f["code"], f["severity"])
            self._fpq.add({"patient_id": pid, "patient_reference": f"Patient/{pid}", "cohort": cohort,
                           "mode": a["mode"], "code": f["code"], "severity": f["severity"], "drugs": f["drugs"],
                           "summary": f["summary"],
                           "evidence": [e if isinstance(e, str) else f"missing:{e.get('missing')}"
                                        for e in f.get("evidence", [])],
                           "knowledge_version": self.kv, "as_of": a["as_of"]})
        for c in codes:
            t.findings[c] += 1
        if codes & EMA_RISK_CODES:
            t.ema_ages[age_band(a["patient"].get("age"))] += 1
        for test in sorted({m["test"] for m in monitoring if m.get("status") == "overdue"}):
            t.overdue[test] += 1
        prio, why = action_priority(cohort, a)
        if prio < 9:
            row_out = {"patient_id": pid, "cohort": cohort, "age": a["patient"].get("age"), "priority": prio,
                       "why": why, "drug": current or "",
                       "verdicts": ", ".join(f"{d['drug']}: {d['verdict']}" for d in a.get("drugs", [])[:3]),
                       "actions": [x["summary"] for x in a.get("actions", []) if x.get("blocking")][:3]
                       or [x["summary"] for x in a.get("actions", [])][:2]}
            item = (-prio, pid, row_out)
            if len(t.actions) < TOP_ACTIONS:
                heapq.heappush(t.actions, item)
            elif (prio, pid) < (-t.actions[0][0], t.actions[0][1]):
                heapq.heapreplace(t.actions, item)

    # --- end -------------------------------------------------------------------------------------------

    def finish(self, stage1_rejects: Iterable[tuple[Any, str]], chunk_lines: Mapping[tuple[int, int], int],
               inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Write rejects, summary and report; rename every file to its final name. Returns the summary."""
        from jakcheck.population.report import render_report

        self._patients.close()
        self._assess_csv.close()
        self._ndjson.close()
        self._apq.close()
        self._fpq.close()
        rejects = write_rejects(self._tmp["rejects.ndjson"], [*stage1_rejects, *self.rejects], self.files,
                                chunk_lines)
        for reason in rejects:
            self.tally.rejects[_reason_kind(reason)] += 1
        summary = {"knowledge": {"version": self.kv, "date": self.kdate}, "as_of": self.config.as_of.isoformat(),
                   "region": self.config.region, "cohort": self.config.cohort, "inputs": dict(inputs),
                   **self.tally.to_json()}
        self._tmp["summary.json"].write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
        self._tmp["report.html"].write_text(render_report(summary, self.tally), encoding="utf-8")
        for name, tmp in self._tmp.items():
            os.replace(tmp, self.out / name)
        return summary


def write_rejects(path: Path, rejects: Iterable[tuple[Any, str]], files: Sequence[InputFile],
                  chunk_lines: Mapping[tuple[int, int], int]) -> list[str]:
    """rejects.ndjson in input order: {"file", "line" (NDJSON, 1-based), "entry" (Bundle entry index),
    "reason"}. Returns the reasons in that order."""
    ordered = sorted((tuple(o), r) for o, r in rejects)
    offsets: dict[tuple[int, int], int] = {}
    for fi in sorted({k[0] for k in chunk_lines}):
        total = 0
        for ci in sorted(c for f, c in chunk_lines if f == fi):
            offsets[(fi, ci)] = total
            total += chunk_lines[(fi, ci)]
    reasons = []
    with path.open("wb") as fh:
        for (fi, ci, line, entry), reason in ordered:
            f = files[fi]
            rec = {"file": f.name, "line": offsets.get((fi, ci), 0) + line if f.kind == "ndjson" else None,
                   "entry": entry if entry >= 0 else None, "reason": reason}
            fh.write(orjson.dumps(rec) + b"\n")
            reasons.append(reason)
    return reasons
