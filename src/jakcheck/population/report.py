"""report.html: the screen's summary for the clinical lead - one self-contained file (inline CSS and SVG, no
scripts, fonts or images from elsewhere), readable offline and printable.

It shows what was read and rejected, the cohorts, verdicts per drug, the findings by number of patients, the
ages of the group the EMA 2023 measures restrict, overdue monitoring by test, and the patients who need action
first.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jakcheck.population.outputs import Tally

VERDICT_COLOURS = {"appropriate": "#2e7d32", "caution": "#9e9d24", "only-if-no-alternative": "#ef6c00",
                   "defer": "#6a1b9a", "not-recommended": "#c62828", "contraindicated": "#4e0d0d"}
SEVERITY_COLOURS = {"critical": "#c62828", "warning": "#ef6c00", "info": "#1565c0"}
VERDICTS = tuple(VERDICT_COLOURS)
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
padding:0 1rem}h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid
#ddd;padding-bottom:.2rem}.meta{color:#555}.tiles{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.tile{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:8rem}.tile b{display:block;
font-size:1.5rem}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #eee;
text-align:left;padding:.3rem .4rem;vertical-align:top}th{background:#f6f6f6}.legend span{display:inline-block;
margin-right:1rem;font-size:.85rem}.sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;
vertical-align:middle}svg text{font-size:12px;fill:#222}.empty{color:#777;font-style:italic}
@media print{.tile{break-inside:avoid}}
"""


def _hbars(items: list[tuple[str, int, str]], *, label_width: int = 230, width: int = 760) -> str:
    if not items:
        return '<p class="empty">None.</p>'
    top = max(v for _, v, _ in items) or 1
    bar = width - label_width - 60
    h = 22 * len(items) + 6
    parts = [f'<svg role="img" width="{width}" height="{h}" viewBox="0 0 {width} {h}" '
             'xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value, colour) in enumerate(items):
        y = 4 + 22 * i
        w = max(1, round(bar * value / top)) if value else 0
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y}" width="{w}" height="17" fill="{colour}"/>'
                     f'<text x="{label_width + w + 5}" y="{y + 14}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _stacked(rows: list[tuple[str, list[tuple[str, int]]]], *, width: int = 760, label_width: int = 150) -> str:
    if not rows:
        return '<p class="empty">No drug was assessed.</p>'
    top = max(sum(v for _, v in segs) for _, segs in rows) or 1
    bar = width - label_width - 60
    h = 26 * len(rows) + 6
    parts = [f'<svg role="img" width="{width}" height="{h}" viewBox="0 0 {width} {h}" '
             'xmlns="http://www.w3.org/2000/svg">']
    for i, (label, segs) in enumerate(rows):
        y = 4 + 26 * i
        x: float = label_width
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        for verdict, value in segs:
            w = bar * value / top
            if value:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="19" '
                             f'fill="{VERDICT_COLOURS[verdict]}"><title>{escape(verdict)}: {value}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 5:.1f}" y="{y + 15}">{sum(v for _, v in segs)}</text>')
    parts.append("</svg>")
    legend = "".join(f'<span><i class="sw" style="background:{c}"></i>{escape(v)}</span>'
                     for v, c in VERDICT_COLOURS.items())
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def _vbars(items: list[tuple[str, int]], colour: str, *, width: int = 760, height: int = 220) -> str:
    if not any(v for _, v in items):
        return '<p class="empty">Nobody in this group.</p>'
    top = max(v for _, v in items) or 1
    slot = (width - 40) / len(items)
    plot = height - 50
    parts = [f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             'xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(items):
        x = 20 + slot * i
        h = plot * value / top
        y = 15 + plot - h
        parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{colour}"/><text x="{x + slot / 2:.1f}" y="{y - 3:.1f}" '
                     f'text-anchor="middle">{value}</text><text x="{x + slot / 2:.1f}" y="{height - 18}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_report(summary: dict[str, Any], tally: Tally) -> str:
    from jakcheck.population.outputs import AGE_BANDS

    s = summary
    inputs = s.get("inputs", {})
    tiles = [("patients in the input", s["patients"]), ("on a JAK inhibitor", s["cohorts"].get("on-jaki", 0)),
             ("candidates", s["cohorts"].get("candidates", 0)), ("excluded", sum(s["excluded"].values())),
             ("assessed", s["assessed"]), ("candidates ready to start", s["ready_to_start"]),
             ("rejected lines", s["rejects"])]
    totals: dict[str, int] = {}
    for (d, _), n in tally.verdicts.items():
        totals[d] = totals.get(d, 0) + n
    drugs = sorted(totals, key=lambda d: (-totals[d], d))
    stacked = [(d, [(v, tally.verdicts[(d, v)]) for v in VERDICTS]) for d in drugs]
    findings = sorted(tally.findings.items(), key=lambda kv: (-kv[1], kv[0]))[:25]
    finding_bars = [(code, n, SEVERITY_COLOURS.get(tally.severities.get(code, "info"), "#1565c0"))
                    for code, n in findings]
    ages = [(b, tally.ema_ages[b]) for b in AGE_BANDS if b != "unknown" or tally.ema_ages[b]]
    overdue = [(test, n, "#6a1b9a") for test, n in sorted(tally.overdue.items(), key=lambda kv: (-kv[1], kv[0]))]
    excluded = ", ".join(f"{escape(k)}: {v}" for k, v in s["excluded"].items()) or "none"
    reject_rows = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in
                          sorted(s["rejects_by_reason"].items(), key=lambda kv: (-kv[1], kv[0]))[:15])
    action_rows = "".join(
        f"<tr><td>{escape(r['patient_id'])}</td><td>{escape(r['cohort'])}</td>"
        f"<td>{'' if r['age'] is None else r['age']}</td><td>{escape(r['why'])}</td><td>{escape(r['verdicts'])}</td>"
        f"<td>{'<br>'.join(escape(x) for x in r['actions'])}</td></tr>" for r in tally.top_actions())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>jakcheck screen - {escape(s['cohort'])} - {escape(s['as_of'])}</title><style>{_CSS}</style></head><body>
<h1>JAK inhibitor population screen</h1>
<p class="meta">Cohort <b>{escape(s['cohort'])}</b> &middot; region {escape(s['region'])} &middot; as of
{escape(s['as_of'])} &middot; knowledge release {escape(s['knowledge']['version'])} ({escape(s['knowledge']['date'])})
&middot; site settings {escape(s['knowledge']['settings_digest'])}
&middot; {inputs.get('files', 0)} input files read, {inputs.get('resources', 0)} resources kept
(files of resource types the rules do not use are not opened)</p>
<div class="tiles">{''.join(f'<div class="tile"><b>{v}</b>{escape(k)}</div>' for k, v in tiles)}</div>
<p class="meta">Excluded: {excluded}. Decision support only: every verdict rests on the record as exported;
check the patient's full record before acting.</p>
<h2>Patients who need action first</h2>
{('<table><thead><tr><th>patient</th><th>cohort</th><th>age</th><th>why</th><th>verdicts</th>'
  '<th>first actions</th></tr></thead><tbody>' + action_rows + '</tbody></table>') if action_rows else
 '<p class="empty">No patient stands out.</p>'}
<p class="meta">Order: stop or switch, interrupt, overdue monitoring or a critical finding on treatment,
continue only without an alternative, candidates ready to start, candidates blocked. At most
{len(tally.top_actions())} shown; all rows are in assessments.csv.</p>
<h2>Verdicts by drug (patient &times; drug rows)</h2>
{_stacked(stacked)}
<h2>Findings (patients with the finding, top 25)</h2>
{_hbars(finding_bars)}
<p class="legend">{''.join(f'<span><i class="sw" style="background:{c}"></i>{k}</span>'
                           for k, c in SEVERITY_COLOURS.items())}</p>
<h2>Age of the EMA-restricted group</h2>
<p class="meta">Patients with a finding of the EMA 2023 risk groups (65 or older, smoking, cardiovascular or
malignancy risk): {sum(tally.ema_ages.values())}.</p>
{_vbars(ages, "#ef6c00")}
<h2>Monitoring overdue, by test</h2>
{_hbars(overdue)}
<h2>Rejected lines</h2>
{('<table><thead><tr><th>reason</th><th>lines</th></tr></thead><tbody>' + reject_rows + '</tbody></table>'
  '<p class="meta">Each one, with file and line, is in rejects.ndjson.</p>') if reject_rows else
 '<p class="empty">None: every line was read.</p>'}
</body></html>
"""
