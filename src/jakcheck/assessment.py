"""The assessment: the versioned output every surface (CLI, HTML, CDS Hooks, population) renders.

Schema id `jakcheck.assessment/2`. Field order and list order are deterministic so that the same record,
knowledge release, region and `as_of` always give byte-identical JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Verdict = Literal["appropriate", "caution", "only-if-no-alternative", "defer", "not-recommended",
                  "contraindicated"]
# From least to most restrictive; a drug's verdict is the most restrictive one its findings impose.
VERDICT_ORDER: tuple[Verdict, ...] = ("appropriate", "caution", "only-if-no-alternative", "defer",
                                      "not-recommended", "contraindicated")
# The one definition of what each verdict means for starting or continuing a drug; every surface (engine, cards,
# reports, web, screen) imports these and spells out no set of its own (GLOSSARY: Verdict).
# A start may go ahead, with the conditions the findings and the checklist name.
ALLOWS_START: tuple[Verdict, ...] = ("appropriate", "caution", "only-if-no-alternative")
# A start may go ahead only under conditions the clinician must weigh (severity "warning").
CONDITIONAL_VERDICTS: tuple[Verdict, ...] = ("caution", "only-if-no-alternative")
# A start must not go ahead now: `defer` until what is open is resolved (on treatment: interrupt), and the stop
# verdicts below.
BLOCKS_START: tuple[Verdict, ...] = ("defer", "not-recommended", "contraindicated")
# The drug is not to be given: no dose is shown; on treatment, stop or switch.
STOP_VERDICTS: tuple[Verdict, ...] = ("not-recommended", "contraindicated")
assert ALLOWS_START + BLOCKS_START == VERDICT_ORDER and set(STOP_VERDICTS) <= set(BLOCKS_START)
assert set(CONDITIONAL_VERDICTS) <= set(ALLOWS_START)
Severity = Literal["critical", "warning", "info"]
Grade = Literal["regulator", "manufacturer", "national-copy", "publisher", "secondary"]  # see knowledge.schema.Grade
SEVERITY_ORDER: tuple[Severity, ...] = ("critical", "warning", "info")
Timing = Literal["before-start", "at-start", "after-start"]
Mode = Literal["pre-treatment", "on-treatment"]
MonitoringStatus = Literal["done", "due", "overdue"]
SCHEMA_ID = "jakcheck.assessment/2"


class Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(Out):
    id: str
    title: str
    url: str
    section: str | None = None
    date: str | None = None
    # The grade of the copy this citation was read in (the citation's own, else its source's): regulator,
    # manufacturer, national-copy, publisher or secondary; with where that copy comes from and the phrase shown
    # next to the title ("secondary copy of the FDA label"), so that a copy is never read as the label itself.
    grade: Grade
    jurisdiction: str | None = None
    grade_text: str


class Missing(Out):
    missing: str


class Finding(Out):
    code: str
    severity: Severity
    drugs: tuple[str, ...]  # empty = applies to every drug assessed
    summary: str
    detail: str
    evidence: tuple[str | Missing, ...]
    sources: tuple[SourceRef, ...]


class DoseOut(Out):
    amount: float
    unit: str
    frequency: str
    phase: str | None = None
    formulation: str | None = None
    note: str | None = None


class DrugAssessment(Out):
    drug: str
    verdict: Verdict
    # The verdict once every open blocking action (a test to order, a vaccine to give, a confirmation, a treatment
    # to complete) is done and comes back normal; results already on record keep their effect. Null on treatment.
    verdict_when_ready: Verdict | None = None
    dose: DoseOut | None
    findings: tuple[str, ...]


class Action(Out):
    code: str
    summary: str
    timing: Timing
    blocking: bool
    drugs: tuple[str, ...] = ()


class MonitoringItemOut(Out):
    test: str
    schedule: str
    drugs: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    # On treatment only (null before the start): where the current drug's schedule stands on `as_of`.
    status: MonitoringStatus | None = None
    due: str | None = None  # the date the next (or the missed) check is due, YYYY-MM-DD
    last_done: str | None = None  # the latest result on record for this test, YYYY-MM-DD


class CaveatOut(Out):
    """A caution that applies to an alternative for this patient, with the record entries that trigger it."""

    text: str
    evidence: tuple[str, ...]
    sources: tuple[SourceRef, ...]


class AlternativeOut(Out):
    option: str
    why: str
    sources: tuple[SourceRef, ...]
    # The record shows the option was used before (or is being used): `evidence` names the medication entries.
    tried: bool = False
    evidence: tuple[str, ...] = ()
    caveats: tuple[CaveatOut, ...] = ()
    # Listed because pregnancy is planned, present or the patient is breastfeeding (a pregnancy-compatible option).
    pregnancy: bool = False


class CurrentDoseOut(Out):
    """The dose the record shows for the current JAK inhibitor, as a total per day."""

    daily_amount: float
    unit: str = "mg"


class CurrentTherapyOut(Out):
    """The JAK inhibitor the patient is taking on `as_of` (on-treatment mode only)."""

    drug: str
    dose: CurrentDoseOut | None  # null when the record's dosage cannot be turned into a daily amount
    started: str | None  # YYYY-MM-DD, null when the record gives no start date
    weeks_on_treatment: int | None
    source: str  # the MedicationRequest / MedicationStatement it was read from


class RAAdjustedOut(Out):
    """The EULAR x1.5 rheumatoid-arthritis figure, shown beside (never instead of) the model's own figure."""

    factor: float
    results: dict[str, float]
    category: str | None
    note: str
    sources: tuple[SourceRef, ...]


class ScoreOut(Out):
    """One calculator applied to the record (`jakcheck.rules.scores`).

    `status`: "calculated" (`results` and `category` set); "incomplete" (`missing` lists the inputs not on record;
    when only yes/no inputs are missing, `bounds` gives the lowest and highest result over their possible answers
    and `bounds_category` the categories of those two); "not-applicable" (`reason` says why: age outside the
    model, established ASCVD, a value outside the model's range). Risks are percent (0-100), unrounded."""

    calculator: str  # e.g. "score2", "prevent", "pce", "das28-esr", "cdai"; "das28" = a recorded DAS28 score
    title: str
    kind: Literal["cardiovascular", "disease-activity"]
    default: bool  # the region's default cardiovascular model
    status: Literal["calculated", "incomplete", "not-applicable"]
    model: str | None  # the model actually used, e.g. "SCORE2-OP (moderate-risk region)"
    risk_region: str | None = None  # SCORE2 only: the ESC risk region used (a site setting)
    results: dict[str, float]
    category: str | None
    category_basis: str | None = None
    bounds: dict[str, tuple[float, float]] = {}
    bounds_category: tuple[str | None, str | None] | None = None
    inputs: dict[str, float | int | bool | str]
    missing: tuple[str, ...]
    reason: str | None = None
    ra_adjusted: RAAdjustedOut | None = None
    notes: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    date: str | None = None  # the latest date among the inputs used, YYYY-MM-DD
    sources: tuple[SourceRef, ...]


class KnowledgeStamp(Out):
    version: str
    date: str
    # Digest of the site settings that can change an assessment (Settings.digest: SCORE2 risk region, site
    # thresholds); two assessments of the same record, knowledge release, region and date with equal digests
    # are equal. None only in assessments made before this field existed.
    settings_digest: str | None = None


class PatientIdentifierOut(Out):
    """A business identifier (e.g. a medical record number) to identify the patient on screen and on paper.
    Never written to a log."""

    value: str
    system: str | None = None
    label: str | None = None


class PatientSummary(Out):
    id: str
    name: str | None = None
    birth_date: str | None = None  # YYYY-MM-DD as recorded; null when unknown or only estimated from a stated age
    identifiers: tuple[PatientIdentifierOut, ...] = ()
    deceased: bool = False
    age: int | None
    sex: str


# The words a headline opens with, per verdict (before treatment) and per verdict of the current drug (on
# treatment: "Continue?").
HEADLINE_START: dict[Verdict, str] = {
    "appropriate": "Appropriate",
    "caution": "Appropriate with caution",
    "only-if-no-alternative": "Only if no suitable alternative",
    "defer": "Defer",
    "not-recommended": "Not recommended",
    "contraindicated": "Contraindicated",
}
HEADLINE_CONTINUE: dict[Verdict, str] = {
    "appropriate": "yes",
    "caution": "yes, with caution",
    "only-if-no-alternative": "only if no suitable alternative",
    "defer": "pause and review before the next dose",
    "not-recommended": "not recommended: review or switch",
    "contraindicated": "no: contraindicated",
}


class Headline(Out):
    """The answer at a glance, like a CDS card summary. Before treatment: the best verdict once the work-up is
    done (`verdict`, the best `verdict_when_ready`) and why (`reasons`), with the number of blocking steps still
    open (`open_steps`). On treatment: whether to continue the current drug (its `verdict`) and the number of
    actions to do now. Shown green only when `verdict` is appropriate and `open_steps` is 0."""

    indication: str | None = None
    text: str
    verdict: Verdict | None
    reasons: tuple[str, ...]
    open_steps: int


class Assessment(Out):
    schema_: str = SCHEMA_ID
    knowledge: KnowledgeStamp
    as_of: str
    region: Literal["US", "EU"]
    mode: Mode = "pre-treatment"
    patient: PatientSummary
    indication: str | None
    current_therapy: CurrentTherapyOut | None = None
    ready_to_start: bool | None  # null on treatment
    headline: Headline | None = None
    # With several possible indications on record and none chosen: one headline per indication.
    headlines: tuple[Headline, ...] = ()
    drugs: tuple[DrugAssessment, ...]
    findings: tuple[Finding, ...]
    actions: tuple[Action, ...]
    monitoring: tuple[MonitoringItemOut, ...]
    # Calculated scores: cardiovascular risk (region's default model first) and disease activity.
    scores: tuple[ScoreOut, ...] = ()
    alternatives: tuple[AlternativeOut, ...]

    @classmethod
    def from_json_dict(cls, doc: Mapping[str, Any]) -> Assessment:
        """The model of a published document (what `to_json_dict` gives), validated."""
        data = {k: v for k, v in doc.items() if k != "schema"}
        if "schema" in doc:
            data["schema_"] = doc["schema"]
        return cls.model_validate(data)

    def to_json_dict(self) -> dict[str, object]:
        d = self.model_dump(mode="json", exclude_none=False)
        d["schema"] = d.pop("schema_")
        # "schema" first, as the published contract shows it.
        return {"schema": d["schema"], **{k: v for k, v in d.items() if k != "schema"}}
