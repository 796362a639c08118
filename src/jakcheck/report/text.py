"""Terminal/plain-text rendering of an Assessment, for a clinician.

Built with Rich on an in-memory console: no terminal detection, no environment lookup, no clock. The caller
decides whether ANSI colour is wanted. All assessment text is rendered as literal text (Rich markup is off and
no string from the assessment is ever parsed as markup).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from io import StringIO

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from jakcheck.assessment import Assessment, Finding, Severity, SourceRef, Verdict
from jakcheck.report._shared import (
    SEVERITY_LABELS,
    TIMING_LABELS,
    actions_by_timing,
    age_label,
    checklist_title,
    current_therapy_label,
    dose_label,
    drugs_label,
    evidence_label,
    findings_by_severity,
    headline_tone,
    indication_label,
    is_missing,
    mode_label,
    patient_identity,
    phase_label,
    ready_label,
    region_label,
    score_inputs_label,
    score_name,
    score_ra_label,
    score_result_label,
    shows_ready,
    status_label,
)

STATUS_STYLES = {"done": "green", "due": "yellow", "overdue": "bold red"}

VERDICT_STYLES: dict[Verdict, str] = {
    "appropriate": "green",
    "caution": "yellow",
    "only-if-no-alternative": "bold dark_orange",
    "defer": "magenta",
    "not-recommended": "red",
    "contraindicated": "bold red",
}

SEVERITY_STYLES: dict[Severity, str] = {"critical": "bold red", "warning": "yellow", "info": "cyan"}

SEVERITY_MARKS: dict[Severity, str] = {"critical": "!!", "warning": "! ", "info": "i "}

INDENT = 4

_TRAILING_SPACE = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")


def render_text(assessment: Assessment, *, width: int = 100, color: bool = True) -> str:
    """Render `assessment` as a human-readable report.

    `width` is the line width in characters. With `color=True` the output carries ANSI styles (256-colour);
    with `color=False` it is plain text. The output is deterministic for the same assessment and arguments.
    """
    buf = StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=color,
        force_jupyter=False,
        force_interactive=False,
        color_system="256" if color else None,
        no_color=not color,
        markup=False,
        emoji=False,
        highlight=False,
        legacy_windows=False,
        soft_wrap=False,
        _environ={},
    )
    for part in _parts(assessment):
        console.print(part)
    # Rich pads blocks to their widest line; drop that trailing padding (no background colours are used, so
    # this changes nothing visible) to keep the text clean for copying and diffing.
    return "\n".join(_TRAILING_SPACE.sub(r"\1", line) for line in buf.getvalue().split("\n"))


def _parts(a: Assessment) -> list[RenderableType]:
    on_treatment = a.mode == "on-treatment"
    parts: list[RenderableType] = [_header(a), Text("")]
    if on_treatment:  # on treatment the monitoring status comes first
        parts += [_section("Monitoring"), *_monitoring(a)]
    parts += [_section("Continue or change?" if on_treatment else "Verdicts by drug"), _verdict_table(a), Text("")]
    parts += [_section(checklist_title(a)), *_checklist(a)]
    parts += [_section("Findings"), *_findings(a)]
    if a.scores:
        parts += [_section("Scores"), *_scores(a)]
    if not on_treatment:
        parts += [_section("Monitoring plan"), *_monitoring(a)]
    if a.alternatives:
        parts += [_section("Alternatives"), *_alternatives(a)]
    parts.append(_footer(a))
    return parts


def _section(title: str) -> Rule:
    return Rule(Text(title, style="bold"), align="left", style="dim")


def _field(label: str, value: str, style: str = "") -> Text:
    return Text.assemble((f"{label}: ", "bold"), (value, style))


def _line(*fields: Text) -> Text:
    return Text("   ").join(fields)


def _header(a: Assessment) -> Panel:
    tone = {"green": "bold green", "amber": "bold yellow", "red": "bold red"}[headline_tone(a)]
    ready = Text.assemble(("Ready to start: ", "bold"), (ready_label(a), tone))
    lines: list[RenderableType] = [
        _line(*(_field(k, v) for k, v in patient_identity(a))),
        _line(_field("Age", age_label(a.patient.age)), _field("Sex", a.patient.sex)),
        _line(_field("Region", region_label(a.region)), _field("Indication", indication_label(a.indication))),
        _line(_field("As of", a.as_of), _field("Knowledge", _knowledge_text(a))),
        _field("Mode", mode_label(a.mode)),
    ]
    therapy = current_therapy_label(a)
    if therapy:
        lines.append(_field("Current therapy", therapy, "bold"))
    if a.headline is not None:
        lines.insert(0, Text(a.headline.text, style=tone))
        lines.extend(Text(f"{h.indication}: {h.text}") for h in a.headlines)
    if shows_ready(a) and a.ready_to_start is not None:
        lines.append(ready)
    body = Group(*lines)
    return Panel(body, title=Text("jakcheck: JAK inhibitor assessment", style="bold"), title_align="left",
                 expand=True)


def _verdict_table(a: Assessment) -> RenderableType:
    if not a.drugs:
        return Padding(Text("No drug was assessed.", style="italic"), (0, 0, 0, 2), expand=False)
    table = Table(show_lines=True, expand=True, header_style="bold")
    # Drug and verdict are never wrapped (at most 22 characters); dose and findings share the rest.
    table.add_column("Drug", no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    # Keep finding codes whole where the width allows; the dose text wraps instead.
    longest_code = max((len(c) for d in a.drugs for c in d.findings), default=8)
    table.add_column("Dose", overflow="fold", ratio=1, min_width=17)
    table.add_column("Findings", overflow="fold", ratio=1, min_width=min(longest_code, 40))
    for d in a.drugs:
        dose = Text(dose_label(d.dose), style="" if d.dose else "dim")
        phase = phase_label(d.dose)
        if phase:
            dose.append(f"\n{phase}")
        if d.dose is not None and d.dose.note:
            dose.append(f"\nNote: {d.dose.note}", style="dim")
        codes = Text("\n".join(d.findings)) if d.findings else Text("none", style="dim")
        if a.current_therapy is not None and d.drug == a.current_therapy.drug:
            dose = Text("label dose now: ", style="dim") + dose
        verdict = Text(d.verdict, style=VERDICT_STYLES[d.verdict])
        if d.verdict_when_ready is not None and d.verdict_when_ready != d.verdict:
            verdict.append(f"\nwhen ready:\n{d.verdict_when_ready}", style=VERDICT_STYLES[d.verdict_when_ready])
        table.add_row(Text(d.drug, style="bold"), verdict, dose, codes)
    return table


def _indented(renderable: RenderableType, level: int = 1) -> Padding:
    return Padding(renderable, (0, 0, 0, INDENT * level), expand=False)


def _source_text(s: SourceRef) -> Text:
    t = Text("- ")
    t.append(s.title, style="italic")
    if s.section:
        t.append(f", {s.section}")
    if s.date:
        t.append(f" ({s.date})")
    t.append(f" - {s.grade_text}", style="yellow" if s.grade == "secondary" else "dim")
    t.append(f"\n  {s.url}", style="blue")
    return t


def _sources_block(sources: Sequence[SourceRef], level: int) -> list[RenderableType]:
    if not sources:
        return []
    return [_indented(Text("Sources:", style="bold"), level),
            *(_indented(_source_text(s), level + 1) for s in sources)]


def _finding(f: Finding) -> list[RenderableType]:
    head = Text.assemble(
        (f"[{SEVERITY_MARKS[f.severity]}] ", SEVERITY_STYLES[f.severity]),
        (f.code, "bold"),
        (f"  ({drugs_label(f.drugs)})", "dim"),
    )
    out: list[RenderableType] = [_indented(head, 0), _indented(Text(f.summary))]
    if f.detail:
        out.append(_indented(Text(f.detail, style="dim")))
    if f.evidence:
        out.append(_indented(Text("Evidence:", style="bold")))
        for e in f.evidence:
            style = "bold yellow" if is_missing(e) else ""
            out.append(_indented(Text.assemble("- ", (evidence_label(e), style)), 2))
    out += _sources_block(f.sources, 1)
    out.append(Text(""))
    return out


def _findings(a: Assessment) -> list[RenderableType]:
    groups = findings_by_severity(a)
    if not groups:
        return [_indented(Text("No findings.", style="italic"), 0), Text("")]
    out: list[RenderableType] = []
    for sev, findings in groups:
        out.append(Text(f"{SEVERITY_LABELS[sev].upper()} ({len(findings)})", style=SEVERITY_STYLES[sev]))
        for f in findings:
            out += _finding(f)
    return out


def _checklist(a: Assessment) -> list[RenderableType]:
    groups = actions_by_timing(a)
    if not groups:
        return [Text("No actions.", style="italic"), Text("")]
    out: list[RenderableType] = []
    for timing, actions in groups:
        out.append(Text(TIMING_LABELS[timing], style="bold"))
        # A grid gives a hanging indent: wrapped lines align after the box.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for act in actions:
            line = Text()
            if act.blocking:
                line.append("BLOCKING ", style="bold red")
            line.append(act.summary)
            line.append(f"  ({act.code}; {drugs_label(act.drugs)})", style="dim")
            grid.add_row(Text("[ ]"), line)
        out += [Padding(grid, (0, 0, 0, 2), expand=False), Text("")]
    return out


def _monitoring(a: Assessment) -> list[RenderableType]:
    if not a.monitoring:
        return [Text("No monitoring items.", style="italic"), Text("")]
    out: list[RenderableType] = []
    for m in a.monitoring:
        out.append(Text.assemble("* ", (m.test, "bold"), ": ", m.schedule))
        status = status_label(m)
        if status and m.status:
            out.append(_indented(_field("Status", status, STATUS_STYLES[m.status])))
        out.append(_indented(_field("Drugs", drugs_label(m.drugs))))
        out += _sources_block(m.sources, 1)
    out.append(Text(""))
    return out


def _scores(a: Assessment) -> list[RenderableType]:
    out: list[RenderableType] = []
    for sc in a.scores:
        tag = " [region default]" if sc.default else ""
        out.append(Text.assemble("* ", (score_name(sc), "bold"), tag, ": ", score_result_label(sc)))
        if (ra := score_ra_label(sc)) is not None:
            out.append(_indented(Text(ra)))
        if sc.inputs:
            out.append(_indented(_field("Inputs", score_inputs_label(sc))))
        if sc.missing and sc.status != "not-applicable":
            out.append(_indented(_field("Missing", ", ".join(sc.missing), "yellow")))
        for note in sc.notes:
            out.append(_indented(Text(note, style="dim")))
        out += _sources_block(sc.sources, 1)
    out.append(Text(""))
    return out


def _alternatives(a: Assessment) -> list[RenderableType]:
    out: list[RenderableType] = []
    for alt in a.alternatives:
        out.append(Text.assemble("* ", (alt.option, "bold"),
                                 (" - used before or now: " + ", ".join(alt.evidence), "yellow") if alt.tried else ""))
        out.append(_indented(Text(alt.why)))
        out += _sources_block(alt.sources, 1)
        for cav in alt.caveats:
            out.append(_indented(Text.assemble(("Caveat: ", "bold yellow"), cav.text,
                                               (f" ({', '.join(cav.evidence)})", "dim"))))
            out += _sources_block(cav.sources, 2)
    out.append(Text(""))
    return out


def _footer(a: Assessment) -> Text:
    return Text(
        f"{a.schema_} | knowledge {_knowledge_text(a)} | "
        "Decision support only: confirm against the current product information and clinical judgement.",
        style="dim",
    )


def _knowledge_text(a: Assessment) -> str:
    """The knowledge release and, when known, the digest of the site settings the assessment was made with."""
    site = f"; site settings {a.knowledge.settings_digest}" if a.knowledge.settings_digest else ""
    return f"{a.knowledge.version} ({a.knowledge.date}){site}"
