"""The label facts not encoded as rules, as the coverage matrix states them (knowledge/coverage.py).

Rendered into docs/knowledge-gaps.md (between the generated markers) by `jakcheck kb gaps`: one list with the
matrix, never a second one. Each explicit not-encoded entry of a drug file appears once, with its cells.
"""

from __future__ import annotations

from jakcheck.knowledge.coverage import dimension_text
from jakcheck.knowledge.loader import Knowledge

START = "<!-- generated: jakcheck kb gaps -->"
END = "<!-- end generated -->"


def render_gaps(k: Knowledge) -> str:
    lines = [START, "", f"Per-drug label facts not encoded (knowledge release {k.release.version}), from the coverage "
             "matrix (`jakcheck kb coverage`, docs/coverage.md): each with the cells it leaves not encoded and the "
             "label section to check.", ""]
    for d in k.drug_ids():
        drug = k.drugs[d]
        for region in ("US", "EU"):
            entries = [e for dd, r, e in k.coverage.entries if dd == d and r == region and e.status == "not-encoded"]
            if not entries:
                continue
            lines.append(f"### {drug.name} ({region})")
            lines.append("")
            for e in entries:
                dims = ", ".join(dimension_text(x) for x in e.dimensions)
                inds = f" - {', '.join(e.indications)}" if e.indications else ""
                lines.append(f"- {e.reason} *[{dims}{inds}; check section {e.section}]*")
            lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def splice(document: str, generated: str) -> str:
    """Replace the generated block of docs/knowledge-gaps.md, keeping the hand-written text around it."""
    if START not in document or END not in document:
        return document.rstrip("\n") + "\n\n" + generated
    head = document.split(START, 1)[0]
    tail = document.split(END, 1)[1]
    return head + generated.rstrip("\n") + tail
