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
import io
import os
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from jakcheck.population.cohorts import EMA_RISK_CODES, action_priority
from jakcheck.population.config import ScreenConfig
from jakcheck.population.inputs import InputFile

if TYPE_CHECKING:
    from jakcheck.assessment import Assessment

OUTPUT_FILES = ("patients.csv", "assessments.csv", "assessments.parquet", "findings.parquet", "assessments.ndjson",
                "rejects.ndjson", "summary.json", "report.html")
PATIENT_COLUMNS = ("patient_id", "cohorts", "assessed", "excluded")
ASSESSMENT_COLUMNS = ("patient_id", "cohort", "mode", "region", "indication", "drug", "current_drug", "verdict",
                      "verdict_when_ready", "dose", "finding_codes", "ready_to_start", "overdue_monitoring",
                      "headline", "knowledge_version", "settings_digest", "as_of")
FINDING_COLUMNS = ("patient_id", "patient_reference", "cohort", "mode", "code", "severity", "drugs", "summary",
                   "evidence", "knowledge_version", "settings_digest", "as_of")
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


# A packed result: what a worker hands the writer for one patient, with the rows already formatted so the writer
# (one process, serial) only copies bytes and adds up counts. _PACKED: the lengths of the patient id, the head
# (JSON: rejects, cohort, exclusion and the tally's share), the patients.csv row, the assessments.csv rows, the
# assessment JSON for assessments.ndjson and the columns of assessments.parquet and of findings.parquet (JSON,
# apart so that each Parquet writer reads only its own); then those seven parts.
_PACKED = struct.Struct("<IIIIIII")


def _csv_text(rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def pack_result(result: Mapping[str, Any], knowledge_version: str) -> bytes:
    """One per-patient result (see process.assess_records) as the writer takes it (ScreenWriter.add_packed); the
    assessment is serialised here, in the worker."""
    pid: str = result["id"]
    head: dict[str, Any] = {"patient": bool(result.get("patient")), "rejects": result.get("rejects", [])}
    pcsv = acsv = raw = acols = fcols = b""
    if result.get("patient"):
        cohorts: list[str] = result.get("cohorts") or []
        excluded = result.get("excluded")
        head["cohort"] = result.get("cohort")
        head["excluded"] = excluded
        pcsv = _csv_text([(pid, ";".join(cohorts), "yes" if result.get("assessed") else "no", excluded or "")])
        model: Assessment | None = result.get("assessment")
        if model is not None:
            a = model.to_json_dict()  # the published document, as every surface writes it
            arows, frows, head["tally"] = _assessment_parts(pid, result["cohort"], a, knowledge_version)
            acsv = _csv_text([("true" if v is True else "false" if v is False else ";".join(v)
                               if isinstance(v, list) else v) for v in row] for row in arows)
            raw = orjson.dumps(a)
            acols = orjson.dumps([list(c) for c in zip(*arows, strict=True)] if arows else [])
            fcols = orjson.dumps([list(c) for c in zip(*frows, strict=True)] if frows else [])
    parts = (pid.encode("utf-8"), orjson.dumps(head), pcsv, acsv, raw, acols, fcols)
    return _PACKED.pack(*map(len, parts)) + b"".join(parts)


def read_packed(fh: BinaryIO) -> Iterator[bytes]:
    """The packed results written one after another to a file."""
    size = _PACKED.size
    while header := fh.read(size):
        yield header + fh.read(sum(_PACKED.unpack(header)))


# The parts of a packed result the writer's rows need, without the Parquet columns: (patient id as UTF-8, head,
# patients.csv row, assessments.csv rows, assessment JSON).
Parts = tuple[bytes, bytes, bytes, bytes, bytes]


def read_packed_parts(fh: BinaryIO) -> Iterator[Parts]:
    """`read_packed`, split into parts, the Parquet columns skipped (see `write_packed_parquet`)."""
    size = _PACKED.size
    unpack = _PACKED.unpack
    read = fh.read
    while header := read(size):
        n_id, n_head, n_pcsv, n_acsv, n_raw, n_acols, n_fcols = unpack(header)
        yield read(n_id), read(n_head), read(n_pcsv), read(n_acsv), read(n_raw)
        if n_acols or n_fcols:
            fh.seek(n_acols + n_fcols, 1)


def read_packed_columns(fh: BinaryIO, which: int) -> Iterator[tuple[bytes, bytes]]:
    """(patient id as UTF-8, columns of one Parquet file: which 0 assessments, 1 findings) of the packed results
    in a file that have columns."""
    size = _PACKED.size
    unpack = _PACKED.unpack
    read = fh.read
    seek = fh.seek
    while header := read(size):
        n_id, n_head, n_pcsv, n_acsv, n_raw, n_acols, n_fcols = unpack(header)
        pid = read(n_id)
        skip = n_head + n_pcsv + n_acsv + n_raw
        if n_acols:
            if which == 0:
                seek(skip, 1)
                yield pid, read(n_acols)
                seek(n_fcols, 1)
            else:
                seek(skip + n_acols, 1)
                yield pid, read(n_fcols)
        else:
            seek(skip + n_fcols, 1)


def parquet_tmp_paths(out: Path) -> tuple[Path, Path]:
    """Where ScreenWriter expects assessments.parquet and findings.parquet when another process writes them."""
    return out / ".assessments.parquet.tmp", out / ".findings.parquet.tmp"


def write_packed_parquet(columns: Iterable[bytes], out: Path, which: int) -> int:
    """Write one Parquet file of a screen (which: 0 assessments.parquet, 1 findings.parquet; to
    `parquet_tmp_paths(out)[which]`, renamed by ScreenWriter.finish) from the Parquet columns of the packed
    results, in patient-id order. Returns the patients with columns."""
    pq_file = _Parquet(parquet_tmp_paths(out)[which], (ASSESSMENT_COLUMNS, FINDING_COLUMNS)[which])
    n = 0
    loads = orjson.loads
    for blob in columns:
        pq_file.extend(loads(blob))
        n += 1
    pq_file.close()
    return n


def _assessment_parts(pid: str, cohort: str, a: dict[str, Any], kv: str
                      ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], dict[str, Any]]:
    """The assessments rows, the findings rows and the tally's share (see ScreenWriter._tally) of an
    assessment."""
    current = (a.get("current_therapy") or {}).get("drug")
    monitoring = a.get("monitoring", [])
    sd = a["knowledge"]["settings_digest"]
    arows: list[tuple[Any, ...]] = []
    headline = (a.get("headline") or {}).get("text") or ""
    for d in a.get("drugs", []):
        overdue = sorted({m["test"] for m in monitoring if m.get("status") == "overdue"
                          and (not m.get("drugs") or d["drug"] in m["drugs"])})
        arows.append((pid, cohort, a["mode"], a["region"], a.get("indication") or "", d["drug"], d["drug"] == current,
                      d["verdict"], d.get("verdict_when_ready") or "", dose_text(d.get("dose")), list(d["findings"]),
                      bool(a.get("ready_to_start")) and d["drug"] != current, overdue, headline, kv, sd, a["as_of"]))
    findings = a.get("findings", [])
    frows = [(pid, f"Patient/{pid}", cohort, a["mode"], f["code"], f["severity"], f["drugs"], f["summary"],
              [e if isinstance(e, str) else f"missing:{e.get('missing')}" for e in f.get("evidence", [])],
              kv, sd, a["as_of"]) for f in findings]
    codes = {f["code"] for f in findings}
    tally: dict[str, Any] = {
        "mode": a["mode"], "ready": bool(a.get("ready_to_start")),
        "verdicts": [[d["drug"], d["verdict"]] for d in a.get("drugs", [])],
        "severities": [[f["code"], f["severity"]] for f in findings], "codes": sorted(codes),
        "ema": age_band(a["patient"].get("age")) if codes & EMA_RISK_CODES else None,
        "overdue": sorted({m["test"] for m in monitoring if m.get("status") == "overdue"}),
        "action": None}
    prio, why = action_priority(cohort, a)
    if prio < 9:
        tally["action"] = [prio, {
            "patient_id": pid, "cohort": cohort, "age": a["patient"].get("age"), "priority": prio, "why": why,
            "drug": current or "",
            "verdicts": ", ".join(f"{d['drug']}: {d['verdict']}" for d in a.get("drugs", [])[:3]),
            "actions": [x["summary"] for x in a.get("actions", []) if x.get("blocking")][:3]
            or [x["summary"] for x in a.get("actions", [])][:2]}]
    return arows, frows, tally


def _schema(columns: Sequence[str]) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]  # here, not at the top: see _Parquet

    return pa.schema([(c, pa.list_(pa.string()) if c in _LIST_COLUMNS else pa.bool_() if c in _BOOL_COLUMNS
                       else pa.string()) for c in columns])


class _Parquet:
    """Rows appended in batches of PARQUET_BATCH to a Parquet file (bounded memory). pyarrow is imported when
    the first one is made: a screen's worker processes need it only once every patient is assessed, and start
    sooner without it."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        self.path = path
        self.columns = tuple(columns)
        self.schema = _schema(columns)
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.data: list[list[Any]] = [[] for _ in self.columns]

    def extend(self, columns: Sequence[list[Any]]) -> None:
        """Append rows given as columns (in self.columns order)."""
        if not columns:
            return
        for have, more in zip(self.data, columns, strict=True):
            have.extend(more)
        while len(self.data[0]) >= PARQUET_BATCH:
            self._write(PARQUET_BATCH)

    def _write(self, n: int) -> None:
        if n:
            import pyarrow as pa

            cols = {c: d[:n] for c, d in zip(self.columns, self.data, strict=True)}
            self.writer.write_table(pa.table(cols, schema=self.schema))
            self.data = [d[n:] for d in self.data]

    def close(self) -> None:
        self._write(len(self.data[0]))
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
                 files: Sequence[InputFile], *, external_parquet: bool = False) -> None:
        """external_parquet: the Parquet files are written by `write_packed_parquet` (in another process, from
        the same results); `add_parts` then takes the rows of the other files only."""
        self.out = out
        self.config = config
        self.kv = knowledge_version
        self.kdate = knowledge_date
        self.files = files
        self.tally = Tally()
        self.rejects: list[tuple[tuple[int, int, int, int], str]] = []
        out.mkdir(parents=True, exist_ok=True)
        self._tmp = {name: out / f".{name}.tmp" for name in OUTPUT_FILES}
        self._patients = self._tmp["patients.csv"].open("wb")
        self._assess_csv = self._tmp["assessments.csv"].open("wb")
        self._ndjson = self._tmp["assessments.ndjson"].open("wb")
        self._patients.write(_csv_text([PATIENT_COLUMNS]))
        self._assess_csv.write(_csv_text([ASSESSMENT_COLUMNS]))
        assert parquet_tmp_paths(out) == (self._tmp["assessments.parquet"], self._tmp["findings.parquet"])
        self._apq = None if external_parquet else _Parquet(self._tmp["assessments.parquet"], ASSESSMENT_COLUMNS)
        self._fpq = None if external_parquet else _Parquet(self._tmp["findings.parquet"], FINDING_COLUMNS)
        self._last_id: str | None = None

    # --- per patient ------------------------------------------------------------------------------------

    def add(self, result: Mapping[str, Any]) -> None:
        self.add_packed(pack_result(result, self.kv))

    def add_packed(self, blob: bytes) -> None:
        """One patient's packed result (pack_result); patients must come in increasing id order."""
        lengths = _PACKED.unpack_from(blob)
        parts: list[bytes] = []
        pos = _PACKED.size
        for n in lengths:
            parts.append(blob[pos:pos + n])
            pos += n
        pid_bytes, head_json, pcsv, acsv, raw, acols, fcols = parts
        if self.add_parts((pid_bytes, head_json, pcsv, acsv, raw)) and self._apq is not None:
            assert self._fpq is not None
            self._apq.extend(orjson.loads(acols))
            self._fpq.extend(orjson.loads(fcols))

    def add_parts(self, parts: Parts) -> bool:
        """A packed result's parts (read_packed_parts), the Parquet columns aside; patients must come in
        increasing id order. Returns whether the patient was assessed (has Parquet rows)."""
        pid_bytes, head_json, pcsv, acsv, raw = parts
        head = orjson.loads(head_json)
        if head["rejects"]:
            self.rejects.extend((tuple(origin), reason) for origin, reason in head["rejects"])
        if not head["patient"]:
            return False
        pid = pid_bytes.decode("utf-8")
        if self._last_id is not None and pid <= self._last_id:
            raise AssertionError("results must arrive in increasing patient-id order, each once")
        self._last_id = pid
        t = self.tally
        t.patients += 1
        if head["excluded"]:
            t.excluded[head["excluded"]] += 1
        else:
            t.cohorts[head["cohort"]] += 1
        self._patients.write(pcsv)
        if "tally" not in head:
            return False
        self._ndjson.write(raw)
        self._ndjson.write(b"\n")
        self._assess_csv.write(acsv)
        self._tally(pid, head["tally"])
        return True

    def _tally(self, pid: str, share: Mapping[str, Any]) -> None:
        t = self.tally
        t.assessed += 1
        t.modes[share["mode"]] += 1
        if share["ready"]:
            t.ready_to_start += 1
        for drug, verdict in share["verdicts"]:
            t.verdicts[(drug, verdict)] += 1
        for code, severity in share["severities"]:
            t.severities.setdefault(code, severity)
        for code in share["codes"]:
            t.findings[code] += 1
        if share["ema"] is not None:
            t.ema_ages[share["ema"]] += 1
        for test in share["overdue"]:
            t.overdue[test] += 1
        if share["action"] is not None:
            prio, row_out = share["action"]
            item = (-prio, pid, row_out)
            if len(t.actions) < TOP_ACTIONS:
                heapq.heappush(t.actions, item)
            elif (prio, pid) < (-t.actions[0][0], t.actions[0][1]):
                heapq.heapreplace(t.actions, item)

    # --- end -------------------------------------------------------------------------------------------

    def finish(self, stage1_rejects: Iterable[tuple[Any, str]], chunk_lines: Mapping[tuple[int, int], int],
               inputs: Mapping[str, Any], before_rename: Callable[[], object] | None = None) -> dict[str, Any]:
        """Write rejects, summary and report; rename every file to its final name. Returns the summary.
        `before_rename`: called once everything here is written, before any file is renamed (the local engine
        waits there for the Parquet files other processes write)."""
        from jakcheck.population.report import render_report

        self._patients.close()
        self._assess_csv.close()
        self._ndjson.close()
        if self._apq is not None and self._fpq is not None:
            self._apq.close()
            self._fpq.close()
        rejects = write_rejects(self._tmp["rejects.ndjson"], [*stage1_rejects, *self.rejects], self.files,
                                chunk_lines)
        for reason in rejects:
            self.tally.rejects[_reason_kind(reason)] += 1
        knowledge = {"version": self.kv, "date": self.kdate, "settings_digest": self.config.settings.digest()}
        summary = {"knowledge": knowledge, "as_of": self.config.as_of.isoformat(),
                   "region": self.config.region, "cohort": self.config.cohort, "inputs": dict(inputs),
                   **self.tally.to_json()}
        self._tmp["summary.json"].write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
        self._tmp["report.html"].write_text(render_report(summary, self.tally), encoding="utf-8")
        if before_rename is not None:
            before_rename()
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
