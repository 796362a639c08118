"""`jakcheck screen`: cohorts against an independent count, the output files, rejects, determinism, resume after
a kill, the report, and the Spark engine's rows against the local engine's."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakcheck.population import run
from jakcheck.population.inputs import InputFile, chunk_offsets, iter_lines, iter_patient_bundles
from jakcheck.population.outputs import ASSESSMENT_COLUMNS, FINDING_COLUMNS
from jakcheck.population.partition import read_blocks
from jakcheck.population.routing import (
    compact_router,
    patient_id_from_reference,
    route_compact,
    route_line,
    route_resource_text,
)
from jakcheck.settings import Settings
from tests.population.conftest import (
    BAD_LINES,
    EXAMPLES_AS_OF,
    SHARED_AS_OF,
    example_bundles,
    independent_counts,
    shared_inputs,
)

SETTINGS = Settings()  # the defaults, as the CLI loads them without a settings file or JAKCHECK_* variables
TEXT_OUTPUTS = ("patients.csv", "assessments.csv", "assessments.ndjson", "rejects.ndjson", "summary.json",
                "report.html")


def _screen(inputs: list[Path], out: Path, **kw: Any) -> dict[str, Any]:
    err = io.StringIO()
    code = run.screen(inputs, out, **{"as_of": EXAMPLES_AS_OF, "workers": 1, **kw}, settings=SETTINGS,
                      stream=err)
    assert code == 0, err.getvalue()
    return json.loads((out / "summary.json").read_text())


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def example_run(example_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example-run")
    _screen([example_export], out, region="EU")
    return out


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shared-run")
    _screen(shared_inputs(), out, as_of=SHARED_AS_OF, workers=2)
    return out


# ---------------------------------------------------------------------------------------------- cohorts


def _example_resources() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for group in example_bundles().values():
        for b in group:
            res = [e["resource"] for e in json.loads(b.read_text())["entry"]]
            pid = next(r["id"] for r in res if r["resourceType"] == "Patient")
            out[pid] = res
    return out


def _shared_resources() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    bundles, ndjson = shared_inputs()
    for b in iter_patient_bundles(bundles):
        res = [e["resource"] for e in json.loads(b.read_text(encoding="utf-8"))["entry"]]
        pid = next(r["id"] for r in res if r["resourceType"] == "Patient")
        out[pid] = res
    for f in sorted(ndjson.glob("*.ndjson")):
        for line in f.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r.get("resourceType") == "Patient":
                out[r["id"]].append(r)
            elif "subject" in r or "patient" in r:
                pid = patient_id_from_reference((r.get("subject") or r.get("patient"))["reference"])
                if pid:
                    out[pid].append(r)
    return {k: v for k, v in out.items() if any(r["resourceType"] == "Patient" for r in v)}


def test_example_export_cohorts_match_an_independent_count(example_run: Path) -> None:
    """Seven example patients take a JAK inhibitor; the others have an indication and none is deceased."""
    s = json.loads((example_run / "summary.json").read_text())
    expected = independent_counts(_example_resources())
    assert expected["on-jaki"] == len(example_bundles()["on-jaki"])
    assert s["cohorts"].get("on-jaki", 0) == expected["on-jaki"]
    assert s["cohorts"].get("candidates", 0) == expected["candidates"]
    assert s["cohorts"].get("other", 0) == expected["other"]
    assert sum(s["excluded"].values()) == expected["deceased"]
    assert s["modes"] == {"on-treatment": expected["on-jaki"], "pre-treatment": expected["candidates"]
                          + expected["other"]}


def test_shared_synthea_cohorts_match_an_independent_count(shared_run: Path) -> None:
    """Bundles and the NDJSON export together: every patient once; cohorts as counted from the raw resources."""
    s = json.loads((shared_run / "summary.json").read_text())
    resources = _shared_resources()
    expected = independent_counts(resources)
    patients = _rows(shared_run / "patients.csv")
    assert sorted(r["patient_id"] for r in patients) == sorted(resources)
    assert s["patients"] == len(resources)
    assert s["excluded"].get("deceased", 0) == expected["deceased"] == 6
    assert s["cohorts"].get("on-jaki", 0) == expected["on-jaki"] == 0
    assert s["cohorts"].get("candidates", 0) == expected["candidates"]
    assert s["cohorts"].get("other", 0) == expected["other"]


def test_cohort_option_assesses_only_that_cohort(example_export: Path, tmp_path: Path) -> None:
    s = _screen([example_export], tmp_path, cohort="on-jaki", region="EU")
    assert s["assessed"] == s["cohorts"]["on-jaki"] == len(example_bundles()["on-jaki"])
    rows = _rows(tmp_path / "assessments.csv")
    assert {r["cohort"] for r in rows} == {"on-jaki"}
    assert all(r["mode"] == "on-treatment" for r in rows)
    assert sum(r["current_drug"] == "true" for r in rows) == s["assessed"]
    listed = _rows(tmp_path / "patients.csv")
    assert sum(r["assessed"] == "yes" for r in listed) == s["assessed"]
    assert len(listed) == s["patients"]


# ---------------------------------------------------------------------------------------------- outputs


def test_output_files_have_the_promised_rows(example_run: Path) -> None:
    ndjson = [json.loads(line) for line in (example_run / "assessments.ndjson").read_text().splitlines()]
    table = pq.read_table(example_run / "assessments.parquet")
    assert tuple(table.column_names) == ASSESSMENT_COLUMNS
    assert table.num_rows == sum(len(a["drugs"]) for a in ndjson) == len(_rows(example_run / "assessments.csv"))
    findings = pq.read_table(example_run / "findings.parquet")
    assert tuple(findings.column_names) == FINDING_COLUMNS
    assert findings.num_rows == sum(len(a["findings"]) for a in ndjson)
    assert set(findings.column("patient_reference").to_pylist()) == {f"Patient/{a['patient']['id']}" for a in ndjson}
    first = ndjson[0]
    assert first["schema"] == "jakcheck.assessment/2" and first["as_of"] == EXAMPLES_AS_OF
    rows = _rows(example_run / "assessments.csv")
    assert {r["knowledge_version"] for r in rows} == {first["knowledge"]["version"]}
    assert {r["as_of"] for r in rows} == {EXAMPLES_AS_OF}
    overdue = [r for r in rows if r["overdue_monitoring"]]
    assert any("lipid" in r["overdue_monitoring"] for r in overdue)  # the baricitinib lipids-overdue example
    by_patient = {a["patient"]["id"]: a for a in ndjson}
    for r in rows:  # each row carries its assessment's headline; the verdict when ready only before treatment
        a = by_patient[r["patient_id"]]
        assert r["headline"] == a["headline"]["text"] and r["headline"]
        assert (r["verdict_when_ready"] == "") == (a["mode"] == "on-treatment")


def test_bad_lines_are_rejected_with_file_line_and_reason(example_run: Path, example_export: Path) -> None:
    rejects = [json.loads(line) for line in (example_run / "rejects.ndjson").read_text().splitlines()]
    expected = []
    for name, bad in BAD_LINES.items():
        path = example_export / name
        data = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
        lines = data.decode().splitlines()
        for reason, text in bad:
            expected.append((name, lines.index(text) + 1, reason))
    got = [(Path(r["file"]).name, r["line"], r["reason"]) for r in rejects]
    assert len(got) == len(expected)
    for (name, line, fragment), (gname, gline, greason) in zip(sorted(expected), sorted(got), strict=True):
        assert (gname, gline) == (name, line)
        assert fragment in greason
    assert json.loads((example_run / "summary.json").read_text())["rejects"] == 3
    assert "Rejected lines" in (example_run / "report.html").read_text()


def test_max_rejects_fails_the_run(example_export: Path, tmp_path: Path) -> None:
    err = io.StringIO()
    code = run.screen([example_export], tmp_path, as_of=EXAMPLES_AS_OF, workers=1, max_rejects=1,
                      settings=SETTINGS, stream=err)
    assert code == 2
    assert "more than --max-rejects 1" in err.getvalue()
    assert (tmp_path / "rejects.ndjson").read_text().count("\n") >= 2
    assert run.screen([example_export], tmp_path / "ok", as_of=EXAMPLES_AS_OF, workers=1, max_rejects=3,
                      settings=SETTINGS, stream=io.StringIO()) == 0


def test_same_input_gives_byte_identical_outputs(example_export: Path, example_run: Path, tmp_path: Path) -> None:
    """Another worker count and partition count change nothing."""
    _screen([example_export], tmp_path, region="EU", workers=2, partitions=3)
    for name in TEXT_OUTPUTS:
        assert (tmp_path / name).read_bytes() == (example_run / name).read_bytes(), name


def test_report_is_self_contained_and_lists_patients_needing_action(example_run: Path) -> None:
    html = (example_run / "report.html").read_text()
    assert html.count("<svg") >= 3
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<script" not in html
    on_jaki = {r["patient_id"] for r in _rows(example_run / "patients.csv") if r["cohorts"].startswith("on-jaki")}
    table = html.split("Patients who need action first", 1)[1].split("</table>", 1)[0]
    assert sum(pid in table for pid in on_jaki) >= 3
    assert "EMA-restricted" in html


def test_progress_lines_carry_no_patient_identifiers(example_export: Path, tmp_path: Path) -> None:
    err = io.StringIO()
    assert run.screen([example_export], tmp_path, as_of=EXAMPLES_AS_OF, workers=1, settings=SETTINGS,
                      stream=err) == 0
    log = err.getvalue()
    assert "screen:" in log
    for pid in _example_resources():
        assert pid not in log


def test_input_errors_are_reported_not_raised(tmp_path: Path) -> None:
    err = io.StringIO()
    assert run.screen([tmp_path / "missing"], tmp_path / "o", settings=SETTINGS, stream=err) == 2
    assert "no such file" in err.getvalue()
    assert run.screen([tmp_path], tmp_path / "o", cohort="nobody", settings=SETTINGS, stream=err) == 2


# ---------------------------------------------------------------------------------------------- routing


@pytest.mark.parametrize("line", [
    b'{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p1"}}',
    b'{"resourceType":"Immunization","patient":{"reference":"https://x.org/fhir/Patient/p2/_history/3"}}',
    b'{"resourceType":"Condition","id":"c","subject":{"display":"no reference"}}',
    b'{"resourceType":"Observation","contained":[{"resourceType":"Observation","subject":{"reference":'
    b'"Patient/nested"}}]}',
    b'{"resourceType":"Observation","subject":{"reference":"Group/g1"}}',
    b'{"id":"late","resourceType":"Condition","subject":{"reference":"Patient/p3"}}',
    b'{"resourceType":"Encounter","subject":{"reference":"Patient/p1"}}',
    b'{"resourceType":"Patient","id":"p9"}',
    b'{"resourceType":"Medication","id":"m1"}',
    b'not json',
])
def test_fast_routing_agrees_with_parsing(line: bytes) -> None:
    fast, slow = route_line(line), route_resource_text(line)
    if line.count(b'"subject"') == 1 and b"contained" in line:
        # The fast path routes to the nested subject; the per-patient step rejects it (see process.py).
        assert fast == ("resource", "nested") and slow[0] == "reject"
    else:
        assert fast == slow


_TYPES = ["Observation", "Condition", "Immunization", "MedicationRequest", "MedicationStatement", "Patient",
          "Medication", "Encounter"]
_PIECES = [b'"subject":{"reference":"Patient/p1"}', b'"patient":{"reference":"Patient/p2"}',
           b'"subject":{"reference":"urn:uuid:u-3"}', b'"subject" : { "reference" : "Patient/p4" }',
           b'"subject":{"reference":"Pa\\"tient/p5"}', b'"subject":{"reference":"Group/g"}',
           b'"subject":{"display":"x","reference":"Patient/p6"}', b'"note":[{"text":"\\"subject\\""}]',
           b'"contained":[{"resourceType":"Observation","subject":{"reference":"Patient/n"}}]',
           b'"id":"o1"', b'"code":{"text":"patient"}', b'"patient":{"display":"p"}', b'"status":"final"',
           b'"subject":{"reference":"https://h.org/fhir/Patient/p7/_history/2"}']


@given(rtype=st.sampled_from(_TYPES), file_type=st.sampled_from(_TYPES + [None]),
       pieces=st.lists(st.sampled_from(_PIECES), max_size=4), cut=st.integers(0, 400),
       space=st.booleans())
@settings(max_examples=400, deadline=None)
def test_compact_routing_decides_only_as_route_line_does(rtype: str, file_type: str | None, pieces: list[bytes],
                                                        cut: int, space: bool) -> None:
    """route_compact either leaves a line to route_line (None) or gives the patient route_line gives."""
    head = b'{"resourceType"%s:"%s"' % (b" " if space else b"", rtype.encode())
    line = b",".join([head, *pieces]) + b"}"
    for candidate in (line, line[:cut]):
        router = compact_router(file_type)
        if router is None:
            continue
        pid = route_compact(candidate, router)
        if pid is not None:
            assert route_line(candidate) == ("resource", pid)


@pytest.mark.parametrize(("line", "file_type", "pid"), [
    (b'{"resourceType":"Observation","id":"o","subject":{"reference":"Patient/p1"},"status":"final"}',
     "Observation", "p1"),
    (b'{"resourceType":"Immunization","patient":{"reference":"urn:uuid:abc-1"}}', "Immunization", "abc-1"),
    (b'{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"note":[{"text":"patient"}]}',
     "Condition", None),  # the word alone is not the member, but it is left to route_line
    (b'{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"recorder":{"subject":1}}',
     "Condition", None),
    (b'{"resourceType":"Condition","subject":{"reference":"Patient/p1"}}', "Observation", None),
    (b'{"resourceType":"Patient","id":"p1"}', "Patient", None),
])
def test_compact_routing_examples(line: bytes, file_type: str, pid: str | None) -> None:
    router = compact_router(file_type)
    assert (route_compact(line, router) if router is not None else None) == pid
    if pid is not None:
        assert route_line(line) == ("resource", pid)


@pytest.mark.parametrize("block_bytes", [7, 64, 1 << 20])
@pytest.mark.parametrize("name", ["plain.ndjson", "packed.ndjson.gz"])
def test_read_blocks_gives_the_lines_and_numbers_of_iter_lines(tmp_path: Path, name: str, block_bytes: int) -> None:
    data = b'{"a":1}\n\n  {"b":2} \r\n' + b'{"c":"' + b"x" * 100 + b'"}\n' * 5 + b"last line without newline"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    f = InputFile(path, name, "ndjson", None, path.stat().st_size)
    for start, end in chunk_offsets(path, 40):
        expected = [raw.rstrip(b"\n") for raw in iter_lines(path, start, None if f.compressed else end)]
        got: list[bytes] = []
        for first, lines in read_blocks(f, start, end, block_bytes):
            assert first == len(got) + 1
            got.extend(lines)
        assert got == expected


# ---------------------------------------------------------------------------------------------- resume


def test_a_killed_run_resumes_to_identical_outputs(shared_run: Path, tmp_path: Path) -> None:
    """Kill the run (SIGKILL) while it is assessing, start it again: same files as an uninterrupted run."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "jakcheck.cli", "screen", *map(str, shared_inputs()), "--out", str(out),
           "--as-of", SHARED_AS_OF, "--workers", "1", "--partitions", "24", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    killed = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / ".screen-work" / "p2").glob("b*.ndjson"))) >= 3:
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.01)
    proc.wait(timeout=30)
    assert killed, "the run finished before it could be killed"
    assert not (out / "patients.csv").exists()
    done = subprocess.run(cmd[:-1], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stderr
    for name in TEXT_OUTPUTS:
        assert (out / name).read_bytes() == (shared_run / name).read_bytes(), name
    assert not (out / ".screen-work").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers end with the screen on Linux only")
def test_killing_the_screen_alone_leaves_no_worker_processes(tmp_path: Path) -> None:
    """SIGKILL to the screen's own process only (as a job scheduler's timeout may send): its fork server and
    worker processes end too, instead of lingering."""
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "jakcheck.cli", "screen", *map(str, shared_inputs()), "--out", str(out),
           "--as-of", SHARED_AS_OF, "--workers", "2", "--partitions", "24", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    children: list[Any] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        # the fork server and both workers
        children = psutil.Process(proc.pid).children(recursive=True)
        if len([c for c in children if "forkserver" in " ".join(c.cmdline())]) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.kill()
    proc.wait(timeout=30)
    gone, alive = psutil.wait_procs(children, timeout=10)
    for p in alive:  # do not leave them behind when the test fails
        p.kill()
    assert not alive, [p.cmdline() for p in alive]


# ---------------------------------------------------------------------------------------------- spark


# PySpark leaves its loopback sockets to the garbage collector (ResourceWarning under -W error).
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_engine_gives_the_local_engine_rows(spark_session: Any, shared_run: Path, example_export: Path,
                                                  example_run: Path, tmp_path: Path) -> None:
    """Shared Synthea data (Bundles + NDJSON) and the example export: identical files from both engines."""
    for inputs, local, as_of, name in ((shared_inputs(), shared_run, SHARED_AS_OF, "shared"),
                                       ([example_export], example_run, EXAMPLES_AS_OF, "examples")):
        out = tmp_path / name
        err = io.StringIO()
        assert run.screen(inputs, out, as_of=as_of, engine="spark", region="EU", settings=SETTINGS,
                          stream=err) == 0, err.getvalue()
        for f in TEXT_OUTPUTS:
            assert (out / f).read_bytes() == (local / f).read_bytes(), (name, f)
        for f in ("assessments.parquet", "findings.parquet"):
            assert pq.read_table(out / f).equals(pq.read_table(local / f)), (name, f)


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_workers_start_with_the_knowledge_loaded(spark_session: Any) -> None:
    """The executors' Python workers are forked from the screen's daemon (population/spark_daemon.py), which
    has loaded the knowledge release: no task loads it again, and the workers are reused from task to task."""
    import psutil

    def probe(_: Any) -> Any:
        from jakcheck.knowledge.loader import default_knowledge

        yield os.getpid(), psutil.Process(os.getppid()).cmdline(), default_knowledge.cache_info().currsize

    seen = spark_session.sparkContext.parallelize(range(8), 8).mapPartitions(probe).collect()
    assert len(seen) == 8
    for _pid, parent, loaded in seen:
        assert "jakcheck.population.spark_daemon" in parent
        assert loaded == 1  # already in the cache when the task began
    assert len({pid for pid, _, _ in seen}) <= 2  # local[2]: two workers at most, each reused


def test_the_screen_entry_point_imports_no_engine() -> None:
    """`jakcheck screen` starts the local engine's fork server before it imports the engine itself
    (population/run.py): that only gains anything while importing the entry point (the CLI and the screen's
    wiring) leaves the engine out."""
    code = ("import sys, jakcheck.cli, jakcheck.population.run, jakcheck.population.workers; "
            "print(sorted(m for m in ('jakcheck.engine', 'jakcheck.fhir.reader', 'jakcheck.population.local') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("master", "loopback"), [
    ("local[2]", True), ("local", True), ("spark://127.0.0.1:7077", True), ("spark://localhost:7077", True),
    ("spark://spark-master.example.org:7077", False), ("yarn", False), ("spark://10.0.0.5:7077", False),
])
def test_the_driver_listens_on_loopback_only_for_a_master_on_this_machine(master: str, loopback: bool) -> None:
    """A cluster on other machines must reach the driver: it is then not pinned to 127.0.0.1."""
    from jakcheck.population.spark import spark_conf

    conf = spark_conf(master)
    assert (conf.get("spark.driver.host") == "127.0.0.1") is loopback
    assert (conf.get("spark.driver.bindAddress") == "127.0.0.1") is loopback
    assert conf["spark.python.daemon.module"] == "jakcheck.population.spark_daemon"
