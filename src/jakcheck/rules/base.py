"""What a rule receives and what it returns.

A rule is a small pure function `rule(ctx) -> list[Hit]`. `ctx` carries the Patient Facts, the knowledge
release, the region, the indication and the drugs being assessed; a rule never reads the clock or the
environment. A Hit is one finding plus its consequences: the verdict it imposes on the drugs it names, any
dose it sets, and the actions it asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from jakcheck.assessment import BLOCKS_START, CONDITIONAL_VERDICTS, Severity, Timing, Verdict
from jakcheck.knowledge.loader import Knowledge
from jakcheck.knowledge.schema import Cite, Dose, LabelAction, Region, RegionLabel
from jakcheck.patient.facts import MedicationFact, PatientFacts
from jakcheck.settings import Settings

if TYPE_CHECKING:
    from jakcheck.rules.scores import Score


@dataclass(frozen=True)
class ActionSpec:
    code: str
    summary: str
    timing: Timing
    blocking: bool
    # Written for the drug already being taken (a stop or confirm on treatment): kept as it is, not re-timed and
    # made non-blocking like a pre-start action of the current drug.
    on_treatment: bool = False


@dataclass(frozen=True)
class Hit:
    code: str
    severity: Severity
    summary: str
    detail: str
    evidence: tuple[str, ...]  # resource references, or "missing:<what>" for absent data
    cites: tuple[Cite, ...]
    drugs: tuple[str, ...] = ()  # () = every drug assessed
    verdict: Verdict | None = None  # imposed on `drugs` (or on all when empty)
    doses: tuple[tuple[str, Dose], ...] = ()  # (drug, adjusted dose)
    actions: tuple[ActionSpec, ...] = ()
    # True when the verdict exists only because the hit's blocking actions are open (a test not yet done, a
    # confirmation not yet recorded, a treatment not yet completed): once they are done and come back normal the
    # hit imposes nothing, so it does not count in the verdict when ready.
    until_done: bool = False
    # A few words naming the reason for the headline ("age 71", "current smoker"); None = the summary's opening.
    reason: str | None = None


@dataclass(frozen=True)
class Context:
    facts: PatientFacts
    knowledge: Knowledge
    region: Region
    indication: str | None
    drugs: tuple[str, ...]  # drugs being assessed, in output order
    # The JAK inhibitor the patient is already taking (on-treatment mode), or None before the start.
    current: MedicationFact | None = None
    # The site's settings (the SCORE2 risk region, site values of site-adjustable thresholds); checked by the
    # engine against the knowledge release before any rule runs.
    settings: Settings = field(default_factory=Settings)

    @cached_property
    def scores(self) -> tuple[Score, ...]:
        """Every score the record supports for this context (rules.scores.compute_scores), in output order;
        computed once per assessment: several rules and the output read them."""
        from jakcheck.rules.scores import compute_scores

        return tuple(compute_scores(self.facts, self.region, self.risk_region, self.indication))

    @property
    def risk_region(self) -> str:
        """The ESC SCORE2 risk region of the site ("low", "moderate", "high", "very-high")."""
        return self.settings.score2_risk_region

    @property
    def current_drug(self) -> str | None:
        return self.current.concept if self.current is not None and self.current.concept in self.drugs else None

    def is_current(self, drug: str) -> bool:
        return drug == self.current_drug

    def start_drugs(self) -> tuple[str, ...]:
        """Drugs being assessed for a start: every drug in scope except the one the patient already takes."""
        return tuple(d for d in self.drugs if not self.is_current(d))

    def start_scope(self) -> tuple[str, ...] | None:
        """The `drugs` of a finding from a rule that only concerns starting a drug: () (= all drugs) before
        the start; in on-treatment mode the drugs that would be started, or None when there are none."""
        if self.current_drug is None:
            return ()
        return self.start_drugs() or None

    def label(self, drug: str) -> RegionLabel:
        lab = self.knowledge.label(drug, self.region)
        if lab is None:  # drugs in scope always have a label for the region; the engine ensures it
            raise KeyError(f"{drug}: no {self.region} label")
        return lab

    def threshold(self, key: str) -> float:
        """The threshold's value: the site's value when the site set one (settings.site_thresholds), else the
        knowledge release's."""
        for site_key, value in self.settings.site_thresholds:
            if site_key == key:
                return value
        return self.knowledge.threshold(key).value

    def threshold_cites(self, key: str) -> tuple[Cite, ...]:
        return tuple(self.knowledge.threshold(key).cite)

    def class_drugs(self) -> tuple[str, ...]:
        """Drugs in scope that carry the JAK inhibitor class warnings (not TYK2)."""
        return tuple(d for d in self.drugs if self.knowledge.drugs[d].jak_class)

    def applies_to_indication(self, indications: list[str] | None) -> bool:
        """A rule limited to some indications applies only when the indication is known and among them."""
        return indications is None or (self.indication is not None and self.indication in indications)


Rule = Callable[[Context], list[Hit]]


def missing(what: str) -> str:
    """Evidence entry for data that is absent from the record."""
    return f"missing:{what}"


def dose_text(d: Dose) -> str:
    parts = [f"{d.amount:g} {d.unit} {d.frequency}"]
    if d.formulation:
        parts.append(f"({d.formulation})")
    if d.phase:
        parts.append(f"[{d.phase}]")
    return " ".join(parts)


def doses_text(doses: Sequence[Dose]) -> str:
    """The dose options of a finding: one dose as it is; several as alternatives, each with its own condition
    (the dose note), e.g. "100 mg once daily (half of the 200 mg dose), or 50 mg once daily (half of the 100 mg
    dose)", never a bare list of doses."""
    if len(doses) == 1:
        return dose_text(doses[0])
    parts = []
    for d in doses:
        note = (d.note or "").strip().rstrip(".")
        parts.append(dose_text(d) + (f" ({note[:1].lower() + note[1:]})" if note else ""))
    return ", or ".join(parts)


def severity_for(verdict: Verdict | None) -> Severity:
    if verdict in BLOCKS_START:
        return "critical"
    if verdict in CONDITIONAL_VERDICTS:
        return "warning"
    return "info"


def regulated_drugs(ctx: Context) -> tuple[str, ...]:
    """Drugs in scope that carry the region's JAK class measures: the EMA 2023 measures (EU) or the FDA 2021
    boxed warning (US)."""
    out = []
    for d in ctx.drugs:
        lab = ctx.knowledge.label(d, ctx.region)
        if lab is not None and (lab.ema_2023_measures if ctx.region == "EU" else lab.boxed_warning):
            out.append(d)
    return tuple(out)


def class_cite(ctx: Context) -> tuple[Cite, ...]:
    from jakcheck.rules.cites import EMA_2023, FDA_2021

    return (EMA_2023,) if ctx.region == "EU" else (FDA_2021,)


def label_cites(ctx: Context, drugs: tuple[str, ...]) -> tuple[Cite, ...]:
    """The label of each drug as a citation (the release's own, knowledge.derived: made at load)."""
    label_cite = ctx.knowledge.derived.label_cite
    return tuple(label_cite(d, ctx.region) for d in drugs)


def verdict_from_action(action: LabelAction) -> Verdict | None:
    """A label action as a verdict: a dose change or no change imposes none of its own."""
    mapping: dict[LabelAction, Verdict | None] = {
        "no-change": None, "dose-adjustment": None, "caution": "caution",
        "only-if-no-alternative": "only-if-no-alternative", "not-recommended": "not-recommended",
        "contraindicated": "contraindicated"}
    return mapping[action]


def window_since_start(ctx: Context, days: int) -> int:
    """A look-back window that reaches `days` before the current therapy's start: on treatment, a screening
    test taken before the start still counts."""
    if ctx.current is None or ctx.current.start is None:
        return days
    return days + max(0, (ctx.facts.as_of - ctx.current.start).days)


def for_start_scope(hit: Hit, scope: tuple[str, ...]) -> Hit:
    """A pre-treatment finding limited to the drugs that would be started (unchanged before the start)."""
    return replace(hit, drugs=scope) if scope else hit


def on_treatment_variant(hit: Hit, drug: str, summary: str, action: ActionSpec) -> Hit:
    """The on-treatment form of a pre-start screening finding: the drug is already being taken, so the missing
    item is to be done now (caution, not blocking) instead of deferring a start."""
    return replace(hit, drugs=(drug,), severity="warning", verdict="caution", summary=summary, actions=(action,))


T = TypeVar("T")


def own_or_other_region(ctx: Context, drug: str,
                        pick: Callable[[RegionLabel | None], list[T]]) -> tuple[list[T], Region | None]:
    """What this region's label gives for `pick`; when it gives nothing verified, what the other region's label
    of the same drug gives, with that region named so the finding can say the rule was borrowed."""
    own = pick(ctx.knowledge.label(drug, ctx.region))
    if own:
        return own, None
    other: Region = "US" if ctx.region == "EU" else "EU"
    borrowed = pick(ctx.knowledge.label(drug, other))
    return borrowed, (other if borrowed else None)
