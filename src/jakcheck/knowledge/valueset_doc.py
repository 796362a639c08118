"""docs/value-sets.md, generated from the knowledge release: every concept with its codes and their provenance.

    python -m jakcheck.knowledge.valueset_doc > docs/value-sets.md

A test checks that the committed page equals this output, so the page cannot drift from valuesets.yaml.
"""

from __future__ import annotations

import sys

from jakcheck.knowledge.loader import Knowledge, default_knowledge
from jakcheck.knowledge.schema import Cite, Coding, Concept

_KINDS = (("observation", "Tests and measurements (observations)"),
          ("panel", "Panels read through their components"), ("answer", "Coded answers"),
          ("condition", "Conditions"), ("medication", "Medicines"), ("vaccine", "Vaccines"),
          ("procedure", "Procedures"))
_SYSTEMS = {
    "http://loinc.org": "LOINC", "http://snomed.info/sct": "SNOMED CT",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM", "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://www.whocc.no/atc": "ATC", "http://hl7.org/fhir/sid/cvx": "CVX",
}


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").replace("\u200b", "").strip()


def _cite(cite: Cite | None) -> str:
    if cite is None:
        return ""
    return _cell(cite.source + (f": {cite.section}" if cite.section else ""))


def _code_rows(codes: list[Coding]) -> list[str]:
    rows = ["| System | Code | Name | Checked against |", "|---|---|---|---|"]
    for c in codes:
        system = _SYSTEMS.get(c.system.strip().rstrip("/"), c.system)
        rows.append(f"| {system} | `{_cell(c.code)}` | {_cell(c.display)} | {_cite(c.cite)} |")
    return rows


def _concept(c: Concept) -> list[str]:
    out = [f"### {_cell(c.label)} (`{c.id}`)", ""]
    facts = []
    if c.unit:
        facts.append(f"canonical unit `{c.unit}`")
    if c.kind == "observation" and not c.unit:
        facts.append("read as a positive / negative result")
    if c.classes:
        facts.append("classes: " + ", ".join(f"`{x}`" for x in c.classes))
    if c.live is not None:
        facts.append("live vaccine" if c.live else "not live")
    if c.prednisone_equivalence is not None:
        facts.append(f"{c.prednisone_equivalence:g} mg prednisone per mg")
    if facts:
        out += ["- " + "; ".join(facts)]
    cites = "; ".join(_cite(x) for x in c.cite)
    out += [f"- concept sources: {cites or 'none'}"]
    if c.text:
        out += ["- text phrases: " + ", ".join(f"`{t}`" for t in c.text)]
    if c.not_text:
        out += ["- not this concept when the text contains: " + ", ".join(f"`{t}`" for t in c.not_text)]
    if c.specimens:
        out += ["- LOINC long-name specimen words: " + ", ".join(f"`{t}`" for t in c.specimens)]
    if c.codes_note:
        out += [f"- note: {_cell(c.codes_note)}"]
    out += [""]
    if c.codes:
        with_cite = sum(1 for x in c.codes if x.cite is not None)
        rest = "" if with_cite == len(c.codes) else " (the others rest on the concept sources above)"
        out += [f"{len(c.codes)} codes, {with_cite} with a per-code source{rest}.", ""]
        out += _code_rows(list(c.codes))
    else:
        out += ["No codes: recognised from text only."]
    out += [""]
    return out


def render(kb: Knowledge) -> str:
    used = sorted({x.cite.source for c in kb.concepts.values() for x in c.codes if x.cite is not None}
                  | {x.source for c in kb.concepts.values() for x in c.cite})
    lines = [
        "# Value sets",
        "",
        "Generated from `src/jakcheck/knowledge/data/valuesets.yaml` by `python -m jakcheck.knowledge.valueset_doc`;",
        "do not edit by hand (`make docs` rewrites it, a test checks it is current).",
        "",
        f"Knowledge release {kb.release.version} ({kb.release.date.isoformat()}).",
        "",
        "Each concept lists the codes that name it, and for each code the published value set or page it was",
        "checked against (the \"Checked against\" column: source id, then the value set's name and OID or file).",
        "Codes without a per-code source rest on the concept's sources. A note says where no published value set was",
        "found or why codes were left out. VSAC and LOINC Groups need accounts and were not read directly: VSAC",
        "expansions come from the public canvas-plugins copies (eCQM updates 2021-05-06 and 2025-05-08).",
        "",
        "Free text is matched by whole concepts: a phrase counts only as whole words and only where no longer",
        "phrase of another concept covers it (\"cholesterol\" is not found in \"HDL cholesterol\"); a text holding one",
        "of a concept's \"not this concept\" phrases does not name it; a LOINC long name (\"Hepatitis B virus core Ab",
        "[Presence] in Serum\") is matched by its whole component and an accepted specimen.",
        "",
        "## Sources",
        "",
        "| Id | Title | Publisher | Version | Grade of the copy read | Address |",
        "|---|---|---|---|---|---|",
    ]
    for sid in used:
        s = kb.sources[sid]
        lines.append(f"| `{sid}` | {_cell(s.title)} | {_cell(s.publisher)} | {_cell(s.version)} | "
                     f"{s.grade or 'not stated'} | {_cell(s.url)} |")
    lines.append("")
    lines += ["## Contents", ""]
    for kind, title in _KINDS:
        ids = [c.id for c in kb.concepts.values() if c.kind == kind]
        if ids:
            lines.append(f"- {title}: " + ", ".join(f"`{i}`" for i in ids))
    lines.append("")
    for kind, title in _KINDS:
        concepts = [c for c in kb.concepts.values() if c.kind == kind]
        if not concepts:
            continue
        lines += [f"## {title}", ""]
        for c in concepts:
            lines += _concept(c)
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    sys.stdout.write(render(default_knowledge()))


if __name__ == "__main__":
    main()
