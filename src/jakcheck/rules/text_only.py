"""Findings whose evidence is free text only: never a firm verdict, always a confirm action.

A problem-list entry written as text ("Treated latent TB", "Basal cell carcinoma") is read with its qualifiers
(jakcheck.patient.context) but stays text: it may be a note, a plan or a misreading. The engine passes every
finding through `cap_text_only` before verdicts are made, so no rule has to remember this:

- a finding whose evidence is text only (every record entry it cites was recognised from its text; missing data
  does not count) and that would make a drug `contraindicated`, `not-recommended` or `defer` gives `defer` with a
  BLOCKING confirm action quoting the text ("Record says 'tuberculosis' (text only, Condition/c1): does it mean
  active tuberculosis? ...");
- a text-only finding with a milder verdict (at most `only-if-no-alternative`) keeps it and gets the same
  confirm action, not blocking;
- either way the finding's summary says it is text only. A finding also backed by a coded entry is unchanged,
  and so is a structured value of a test that no standard code names (a Child-Pugh score).

Text never clears a screening gap or a restriction: readers mark results of tests named only in text
(`CodedResult.matched_by`); the TB screen asks for a coded test, latent-TB preventive therapy must be a coded
medicine, and a negative pregnancy test named in text only does not make the patient "not pregnant".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from jakcheck.assessment import Verdict
from jakcheck.rules.base import ActionSpec, Context, Hit, severity_for

CAPPED: frozenset[Verdict] = frozenset({"defer", "not-recommended", "contraindicated"})
_PAREN = re.compile(r"\s*\([^)]*\)")


def _label(ctx: Context, concept: str) -> str:
    """The concept's label in running text: "Active tuberculosis" -> "active tuberculosis"."""
    try:
        label = ctx.knowledge.concept(concept).label
    except KeyError:
        return concept
    label = _PAREN.sub("", label).strip() or concept
    return label[0].lower() + label[1:] if label[:2] != label[:2].upper() else label


def confirm_action(ctx: Context, concept: str, source: str, text: str, read_as: str, blocking: bool) -> ActionSpec:
    """"Record says '...' (text only, <source>): does it mean <concept>? ...", one per concept: blocking when
    the finding it backs would otherwise have stopped or deferred the start."""
    what = _label(ctx, concept)
    said = f"Record says '{text}' (text only, {source}): "
    if read_as == "history":
        return ActionSpec(f"confirm-text-{concept}",
                          said + f"read as past {what} (treated or resolved); confirm it is not active now and "
                          "code the entry" + (" before deciding." if blocking else "."), "before-start", blocking)
    return ActionSpec(f"confirm-text-{concept}",
                      said + f"does it mean {what}? " + ("Confirm with the patient or the records and code the "
                                                        "entry before deciding." if blocking else
                                                        "Confirm and code the entry."), "before-start", blocking)


def _structured_without_code(ctx: Context, concept: str) -> bool:
    """An observation no standard code names (a Child-Pugh score, a DAS28): its name is always text, its value
    is structured, so naming it in text adds no doubt."""
    try:
        c = ctx.knowledge.concept(concept)
    except KeyError:
        return False
    return c.kind == "observation" and not c.codes


def cap_text_only(ctx: Context, hits: Iterable[Hit]) -> list[Hit]:
    """The hits with every text-only finding capped and marked (see the module docstring)."""
    by_source: dict[str, list[tuple[str, str, str]]] = {}
    for t in ctx.facts.text_matches:
        if t.used and not _structured_without_code(ctx, t.concept):
            by_source.setdefault(t.source, []).append((t.concept, t.text, t.read_as))
    out = list(hits)
    if not by_source:
        return out
    for i, h in enumerate(out):
        if h.verdict is None or h.code.startswith("data."):
            continue
        cited = [e for e in dict.fromkeys(h.evidence) if not e.startswith("missing:")]
        if not cited or not all(e in by_source for e in cited):
            continue
        capped = h.verdict in CAPPED
        quotes = [(s, c, t, r) for s in cited for c, t, r in by_source[s]]
        confirm = tuple(confirm_action(ctx, c, s, t, r, capped) for s, c, t, r in quotes)
        said = "; ".join(dict.fromkeys(f"'{t}'" for _, _, t, _ in quotes))
        verdict: Verdict = "defer" if capped else h.verdict
        kept = tuple(a for a in h.actions if not capped or h.verdict == "defer")
        # a capped finding lasts only until the confirm step is done (the verdict when ready leaves it out)
        out[i] = replace(
            h, verdict=verdict, severity=severity_for(verdict), until_done=h.until_done or capped,
            summary=f"Text only ({said}), to be confirmed: {h.summary}",
            detail=(h.detail + " Known from free text only: "
                    + ("the start is deferred until the entry is confirmed and coded (a text entry never gives a "
                       "firm verdict)." if capped else "confirm the entry and code it.")),
            actions=kept + confirm)
    return out


# Shown with the rules (docs/rules.md, the web knowledge pages); the engine runs it on every rule's findings.
STEPS = (cap_text_only,)
