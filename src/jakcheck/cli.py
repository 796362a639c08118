"""Command line: a thin layer that wires the reader, the engine and the reports together.

Exit codes: 0 assessed (findings are not errors), 2 input error, 3 knowledge error, 4 configuration error,
1 a bug (with a correlation id; no patient data is printed with it).
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jakcheck.errors import ConfigError, InputError, JakcheckError
from jakcheck.knowledge.evidence import cite_grade_text, source_grade_text
from jakcheck.knowledge.loader import Knowledge, load_knowledge
from jakcheck.knowledge.schema import Cite
from jakcheck.settings import Settings, load_settings, parse_region

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="jakcheck: cited decision support for starting and monitoring JAK inhibitors.")
kb_app = typer.Typer(no_args_is_help=True, help="Inspect and validate the knowledge base.")
app.add_typer(kb_app, name="kb")


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"


class _State:
    settings: Settings = Settings()
    environ: Mapping[str, str] = {}


STATE = _State()


def _knowledge() -> Knowledge:
    return load_knowledge()


def _parse_date(value: str | None, field: str) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"not a date (YYYY-MM-DD): {value!r}", field=field) from exc


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")


def assessment_json(assessment: object) -> str:
    from jakcheck.assessment import Assessment

    assert isinstance(assessment, Assessment)
    return orjson.dumps(assessment.to_json_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"


# The engine's arguments named in its errors, as `jakcheck assess` calls them.
OPTIONS = {"indication": "--indication", "drugs": "--drug"}


@app.command()
def assess(
    file: Annotated[Path, typer.Argument(help="FHIR R4 Bundle, resource list, CDS Hooks prefetch or patient card")],
    region: Annotated[str | None, typer.Option(help="EU (EMA) or US (FDA); default from settings")] = None,
    indication: Annotated[str | None, typer.Option(help="e.g. rheumatoid-arthritis")] = None,
    drug: Annotated[list[str] | None, typer.Option("--drug", help="assess only these drugs (repeatable)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="assessment date YYYY-MM-DD (default today)")] = None,
    format: Annotated[Format, typer.Option("--format", help="text, json or html")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
    print_full: Annotated[bool, typer.Option("--print-full", help="html: print the full report, not the summary")] = (
        False),
) -> None:
    """Assess a patient for starting a JAK inhibitor."""
    from jakcheck.engine import assess as run_assessment
    from jakcheck.fhir.reader import read_file

    try:
        reg = parse_region(region, "--region") if region else STATE.settings.region
    except ConfigError as exc:  # a bad option value is an input error (exit 2), like --indication
        raise InputError(str(exc)) from exc
    day = _parse_date(as_of, "--as-of")
    knowledge = _knowledge()
    facts = read_file(file, as_of=day, knowledge=knowledge, max_bytes=STATE.settings.max_input_bytes)
    try:
        result = run_assessment(facts, knowledge, region=reg, indication=indication, drugs=tuple(drug or ()),
                                settings=STATE.settings)
    except InputError as exc:  # the engine names its arguments; the user gave options
        raise exc.for_field(OPTIONS[exc.field]) if exc.field in OPTIONS else exc from None
    if format is Format.json:
        _write(assessment_json(result), output)
    elif format is Format.html:
        from jakcheck.report.html import render_html

        _write(render_html(result, full_print=print_full), output)
    else:
        from jakcheck.report.text import render_text

        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in STATE.environ
        _write(render_text(result, color=color), output)


@app.command()
def version() -> None:
    """The jakcheck version and the knowledge release."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        v = package_version("jakcheck")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        v = "unknown"
    k = _knowledge()
    print(f"jakcheck {v}; knowledge {k.release.version} ({k.release.date})")


@kb_app.command("validate")
def kb_validate() -> None:
    """Load and cross-check every knowledge file; exit 3 with the problem if one does not validate."""
    k = _knowledge()
    cells = [c for c in k.coverage.cells if c.dimension != "other"]
    gaps = sum(1 for c in cells if c.status == "not-encoded")
    print(f"knowledge {k.release.version} ({k.release.date}): valid - {len(k.drugs)} drugs, "
          f"{len(k.indications)} indications, {len(k.concepts)} concepts, {len(k.sources)} sources, "
          f"{len(k.thresholds)} thresholds; coverage matrix complete: {len(cells)} cells, {gaps} not encoded "
          "(jakcheck kb coverage, docs/coverage.md)")


@kb_app.command("gaps")
def kb_gaps(
    write: Annotated[Path | None, typer.Option("--write", help="update this markdown file in place")] = None,
) -> None:
    """Print (or write into docs/knowledge-gaps.md) the label facts not encoded, from the coverage matrix."""
    from jakcheck.knowledge.gaps import render_gaps, splice

    text = render_gaps(_knowledge())
    if write is None:
        print(text, end="")
        return
    current = write.read_text(encoding="utf-8") if write.exists() else ""
    write.write_text(splice(current, text), encoding="utf-8")


class CoverageFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"
    markdown = "markdown"


@kb_app.command("coverage")
def kb_coverage(
    drug: Annotated[str | None, typer.Option("--drug", help="one drug")] = None,
    region: Annotated[str | None, typer.Option("--region", help="EU or US")] = None,
    format: Annotated[CoverageFormat, typer.Option("--format", help="text, json, html or markdown")] = (
        CoverageFormat.text),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
) -> None:
    """The coverage matrix: for each drug, region, indication and dimension, encoded, no-change or not-encoded
    (with the label section to check). `--format markdown` gives docs/coverage.md."""
    from jakcheck.knowledge import coverage_report as cr

    k = _knowledge()
    if drug is not None and drug not in k.drugs:
        raise InputError(f"unknown drug {drug!r}; known: {', '.join(k.drug_ids())}", field="--drug")
    reg = parse_region(region, "--region") if region is not None else None
    cells = cr.select(k, drug, reg)
    if format is CoverageFormat.json:
        _write(orjson.dumps(cr.as_json(k, cells), option=orjson.OPT_INDENT_2).decode(), output)
    elif format is CoverageFormat.markdown:
        _write(cr.as_markdown(k, cells), output)
    elif format is CoverageFormat.html:
        _write("<!doctype html><html><head><meta charset='utf-8'><title>jakcheck coverage</title></head><body>"
               f"<h1>Knowledge coverage {k.release.version}</h1>" + cr.as_html(k, cells) + "</body></html>", output)
    else:
        _write(cr.as_text(k, cells), output)


@kb_app.command("list")
def kb_list() -> None:
    """List the drugs with their approved indications per region."""
    k = _knowledge()
    table = Table(title=f"jakcheck knowledge {k.release.version}")
    table.add_column("drug")
    table.add_column("class")
    for region in ("US", "EU"):
        table.add_column(f"{region} indications")
    for d in k.drug_ids():
        drug = k.drugs[d]
        cells = []
        for region in ("US", "EU"):
            lab = drug.regions.get(region)  # type: ignore[call-overload]
            if lab is None or not lab.authorised:
                cells.append("not authorised")
            else:
                cells.append(", ".join(sorted({r.indication for r in lab.indications})))
        table.add_row(d, "JAK inhibitor" if drug.jak_class else drug.target, *cells)
    Console(width=160).print(table)


@kb_app.command("show")
def kb_show(drug: str, fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text") -> None:
    """Show everything the knowledge base holds for one drug, with sources."""
    k = _knowledge()
    if drug not in k.drugs:
        raise InputError(f"unknown drug {drug!r}; known: {', '.join(k.drug_ids())}", field="DRUG")
    d = k.drugs[drug]
    if fmt == "json":
        print(orjson.dumps(d.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode())
        return
    console = Console(width=120)
    from jakcheck.rules.renal_hepatic import band_text

    # Knowledge text is printed literally: "[induction]" is a dose phase, not Rich markup.
    say = functools.partial(console.print, markup=False)

    def cited(cites: list[Cite]) -> None:
        """The citations of the fact just printed, each with the copy it was read in."""
        say("      from: " + "; ".join(
            f"{c.source}{' ' + c.section if c.section else ''} ({cite_grade_text(c, k.sources[c.source])})"
            for c in cites))

    console.print(f"[bold]{escape(d.name)}[/bold] ({escape(', '.join(d.brands))}) - {escape(d.target)}"
                  + ("" if d.jak_class else " - outside the JAK inhibitor class warnings"))
    for region, lab in sorted(d.regions.items()):
        console.rule(f"{region}: {'authorised' if lab.authorised else 'not authorised'} - label {lab.label_source}")
        if lab.boxed_warning:
            say("US boxed warning (JAK class, 2021)")
        if lab.ema_2023_measures:
            say("EMA 2023 JAK inhibitor measures apply")
        for r in lab.indications:
            doses = "; ".join(f"{x.amount:g} mg {x.frequency}" + (f" [{x.phase}]" if x.phase else "")
                              + (f" ({x.formulation})" if x.formulation else "")
                              + (f" {x.weight_min_kg or 0:g}-{x.weight_max_kg or '':}kg" if x.weight_min_kg
                                 or x.weight_max_kg else "") for x in r.doses)
            tnf = " - after TNF blocker" if r.tnf_ir_required else ""
            say(f"  {r.indication} (age {r.min_age}+){tnf}: {doses}")
            cited(r.cite)
        if lab.renal:
            for b in lab.renal.bands:
                say(f"  renal {lab.renal.measure} {band_text(b)}: {b.action}"
                    + (f" ({', '.join(b.indications)})" if b.indications else ""))
                cited(b.cite)
        for h in lab.hepatic:
            say(f"  hepatic Child-Pugh {h.child_pugh}: {h.action}")
            cited(h.cite)
        for t in lab.labs:
            bound = f"< {t.below:g} {t.unit}" if t.below is not None else f"> {t.above_uln_times:g} x ULN"
            say(f"  lab {t.analyte} {bound}: {t.action}")
            cited(t.cite)
        for i in lab.interactions:
            say(f"  interaction {i.interacts_with}: {i.action}")
            cited(i.cite)
        for a in lab.age:
            say(f"  age {a.min_age}+: {a.action}")
            cited(a.cite)
        if lab.reproductive:
            rp = lab.reproductive
            say(f"  pregnancy: {rp.pregnancy}; lactation: {rp.lactation}; contraception after last "
                          f"dose: {rp.contraception_after_last_dose or 'no interval set'}")
            cited(rp.cite)
        for m in lab.monitoring:
            say(f"  monitor {m.test}: {m.schedule}")
            cited(m.cite)
        for e in lab.coverage:
            say(f"  {e.status} [{', '.join(e.dimensions)}"
                + (f"; {', '.join(e.indications)}" if e.indications else "") + f"] check {e.section}: {e.reason}")


@kb_app.command("sources")
def kb_sources() -> None:
    """List every source document with its version and date."""
    k = _knowledge()
    table = Table(title=f"Sources - knowledge {k.release.version}")
    for col in ("id", "title", "grade", "copy read", "publisher", "version", "date", "url"):
        table.add_column(col, overflow="fold", no_wrap=col == "grade")
    for s in sorted(k.sources.values(), key=lambda s: s.id):
        table.add_row(s.id, s.title, s.grade, source_grade_text(s), s.publisher, s.version, s.date.isoformat(), s.url)
    Console(width=200).print(table)


class CalcFormat(StrEnum):
    text = "text"
    json = "json"


def _calc_input(value: str | None, name: str) -> dict[str, object]:
    if value is None:
        raise InputError(f"calculator {name!r} needs --input (a JSON object, or @path to a JSON file)", field="--input")
    text = value
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}", field="--input") from exc
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc}", field="--input") from exc
    if not isinstance(data, dict):
        raise InputError("expected a JSON object of named inputs", field="--input")
    return data


def _calc_list(fmt: CalcFormat) -> None:
    from jakcheck.calculators import CALCULATORS

    if fmt is CalcFormat.json:
        print(orjson.dumps([c.to_json_dict() for c in CALCULATORS.values()], option=orjson.OPT_INDENT_2).decode())
        return
    for c in CALCULATORS.values():
        print(f"{c.name}: {c.title}")
        for alt in (c.inputs, *c.alternatives):
            if alt is not c.inputs:
                print("  or:")
            for s in alt:
                print(f"  {s.key:<28} {s.range_text():<34} {'required' if s.required else 'optional'}")


def _fmt_number(x: float) -> str:
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


@app.command()
def calc(
    name: Annotated[str | None, typer.Argument(help="calculator name, or 'list'")] = None,
    input_: Annotated[str | None, typer.Option("--input", help="inputs as a JSON object, or @path")] = None,
    format: Annotated[CalcFormat, typer.Option("--format", help="text or json")] = CalcFormat.text,
    list_: Annotated[bool, typer.Option("--list", help="list the calculators and their inputs")] = False,
) -> None:
    """Run a clinical calculator (CV risk, disease activity, renal function) on JSON inputs."""
    from jakcheck.calculators import CALCULATORS, CalculatorInputError

    if list_ or name == "list":
        _calc_list(format)
        return
    if name is None:
        raise InputError("give a calculator name (or --list); known: " + ", ".join(CALCULATORS), field="NAME")
    calculator = CALCULATORS.get(name)
    if calculator is None:
        raise InputError(f"unknown calculator {name!r}; known: {', '.join(CALCULATORS)}", field="NAME")
    inputs = _calc_input(input_, name)
    try:
        result = calculator.run(inputs)
    except CalculatorInputError as exc:
        raise InputError(f"{name}: {exc}") from exc
    k = _knowledge()
    sources = [{"id": s, "title": k.sources[s].title if s in k.sources else None,
                "url": k.sources[s].url if s in k.sources else None,
                "grade": k.sources[s].grade if s in k.sources else None,
                "grade_text": source_grade_text(k.sources[s]) if s in k.sources else None} for s in result.sources]
    if format is CalcFormat.json:
        out = result.to_json_dict()
        out["sources"] = sources
        print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
        return
    unit = "%" if any(key.endswith("_10y") for key in result.results) else ""
    lines = [f"{name}: {result.model}"]
    lines += [f"  {key}: {_fmt_number(value)}{' ' + unit if unit else ''}" for key, value in result.results.items()]
    if result.category is not None:
        lines.append(f"  category: {result.category}" + (f"  [{result.category_basis}]" if result.category_basis
                                                          else ""))
    if result.ra_adjusted is not None:
        ra = result.ra_adjusted
        figures = ", ".join(f"{key} {_fmt_number(value)} %" for key, value in ra.results.items())
        lines.append(f"  RA-adjusted (x{ra.factor:g}, {ra.source}): {figures}; category {ra.category}")
        lines.append(f"    {ra.note}")
    lines += [f"  note: {n}" for n in result.notes]
    lines.append("  inputs: " + ", ".join(f"{key}={value}" for key, value in result.inputs.items()))
    lines += [f"  source: {s['id']} - {s['title']} ({s['grade_text']}) {s['url']}" for s in sources]
    print("\n".join(lines))


class Cohort(StrEnum):
    on_jaki = "on-jaki"
    candidates = "candidates"
    all = "all"


class EngineName(StrEnum):
    local = "local"
    spark = "spark"


@app.command()
def screen(
    inputs: Annotated[list[Path], typer.Argument(help="Bulk Data NDJSON folders (.ndjson or .ndjson.gz) and/or "
                                                      "folders of FHIR Bundles")],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
    cohort: Annotated[Cohort, typer.Option(help="on-jaki, candidates or all")] = Cohort.all,
    engine: Annotated[EngineName, typer.Option(help="local (default) or spark")] = EngineName.local,
    workers: Annotated[int | None, typer.Option(help="worker processes (local engine)")] = None,
    region: Annotated[str | None, typer.Option(help="EU or US; default from settings")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="assessment date YYYY-MM-DD (default today)")] = None,
    spark_master: Annotated[str | None, typer.Option("--spark-master", help="Spark master URL")] = None,
    max_rejects: Annotated[int | None, typer.Option("--max-rejects", help="fail after this many bad lines")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress output")] = False,
    partitions: Annotated[int | None, typer.Option(hidden=True)] = None,
    keep_work: Annotated[bool, typer.Option("--keep-work", hidden=True)] = False,
) -> None:
    """Screen a population: every patient assessed, with CSV/Parquet/NDJSON outputs and a report."""
    from jakcheck.population.run import screen as run_screen

    try:
        reg = parse_region(region, "--region") if region else STATE.settings.region
    except ConfigError as exc:
        raise InputError(str(exc)) from exc
    day = _parse_date(as_of, "--as-of")
    code = run_screen([str(p) for p in inputs], str(out), cohort=cohort.value, engine=engine.value,
                      workers=workers, region=reg, as_of=day.isoformat(), spark_master=spark_master,
                      max_rejects=max_rejects, settings=STATE.settings, partitions=partitions,
                      progress=not quiet, keep_work=keep_work)
    if code:
        raise typer.Exit(code)


feedback_app = typer.Typer(no_args_is_help=True, help="CDS Hooks feedback stored by the service.")
app.add_typer(feedback_app, name="feedback")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    config: Annotated[Path | None, typer.Option(help="settings file (YAML)")] = None,
    insecure_dev: Annotated[bool, typer.Option("--insecure-dev", help="local demos only: no JWT check, "
                                               "flagged in every response and page")] = False,
    workers: Annotated[int | None, typer.Option(help="worker processes (default JAKCHECK_WORKERS or 1)")] = None,
) -> None:
    """Serve the CDS Hooks service, the REST API and the clinician web app."""
    from jakcheck.service.run import serve as run_server

    run_server(host=host, port=port, config=config, insecure_dev=insecure_dev, workers=workers)


@feedback_app.command("report")
def feedback_report() -> None:
    """Override rates per card type from the feedback store."""
    from jakcheck.service.feedback import report

    print(report(STATE.settings))


def main(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    """Run the CLI; return the exit code. User errors print one line; bugs print a correlation id."""
    try:
        STATE.environ = environ
        STATE.settings = load_settings(environ, Path(environ["JAKCHECK_CONFIG"]) if environ.get("JAKCHECK_CONFIG")
                                       else None)
        app(args=list(argv), prog_name="jakcheck", standalone_mode=False)
        return 0
    except JakcheckError as exc:
        print(f"jakcheck: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except typer.Abort:
        return 130
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"jakcheck: error: {exc}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - anything else is a bug
        cid = uuid.uuid4().hex[:12]
        if environ.get("JAKCHECK_DEBUG"):
            traceback.print_exc()
        print(f"jakcheck: internal error (correlation id {cid}); please report it. "
              "Set JAKCHECK_DEBUG=1 to see the traceback.", file=sys.stderr)
        return 1


def run() -> None:
    sys.exit(main(sys.argv[1:], os.environ))



if __name__ == "__main__":
    run()
