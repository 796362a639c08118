"""The label facts that were not verified against a primary source and so are not encoded as rules.

Rendered into docs/knowledge-gaps.md (between the generated markers) by `jakcheck kb gaps`.
"""

from __future__ import annotations

from jakcheck.knowledge.loader import Knowledge

START = "<!-- generated: jakcheck kb gaps -->"
END = "<!-- end generated -->"


def render_gaps(k: Knowledge) -> str:
    lines = [START, "", f"Per-drug label facts not encoded (knowledge release {k.release.version}):", ""]
    for d in k.drug_ids():
        drug = k.drugs[d]
        for region in ("US", "EU"):
            lab = drug.regions.get(region)
            if lab is None or not lab.unverified:
                continue
            lines.append(f"### {drug.name} ({region})")
            lines.append("")
            lines.extend(f"- {u}" for u in lab.unverified)
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
