"""Patient Facts: the normalized, container-independent view of a patient record that rules read.

Readers (FHIR Bundle, CDS Hooks prefetch, Bulk NDJSON, the patient card) build these; rules never see FHIR.
Every fact keeps the reference of the resource it came from (`source`, e.g. "Observation/abc"), so each
finding can show the data that triggered it. Knowledge is three-valued: a fact is known present, known absent
or unknown; the absence of a record is never read as a normal result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

Sex = Literal["female", "male", "other", "unknown"]
ResultValue = Literal["positive", "negative", "indeterminate"]
SmokingStatus = Literal["current", "former", "never", "unknown"]
MatchedBy = Literal["code", "text"]
Race = Literal["white", "african-american", "other"]
Comparator = Literal["<", "<=", ">", ">="]


class Tri(StrEnum):
    """Three-valued knowledge."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ConditionFact:
    concept: str  # concept id from valuesets.yaml
    source: str  # "Condition/<id>" or "card:conditions[0]"
    display: str
    active: bool  # clinicalStatus active/recurrence/relapse (or none given) and not abated by as_of
    onset: date | None = None
    abatement: date | None = None
    matched_by: MatchedBy = "code"


@dataclass(frozen=True)
class LabValue:
    """A numeric observation converted to the concept's canonical UCUM unit."""

    concept: str
    value: float
    unit: str  # canonical unit
    effective: date
    source: str
    original: str  # value and unit as recorded, e.g. "1.2 10*3/uL"
    reference_high: float | None = None  # in the canonical unit, when the record gives one
    # A bound, not a measurement ("< 0.5": valueQuantity.comparator): the true value is below/above `value`.
    # Only rules that check that the bound settles every threshold they compare use it (patient.derived).
    comparator: Comparator | None = None


@dataclass(frozen=True)
class CodedResult:
    """A qualitative test result (TB IGRA, HBsAg, anti-HCV, pregnancy test, ...)."""

    concept: str
    result: ResultValue
    effective: date
    source: str
    original: str
    matched_by: MatchedBy = "code"  # "text": the test was named in free text only


@dataclass(frozen=True)
class MedicationFact:
    concept: str  # medication concept id
    classes: tuple[str, ...]
    source: str
    display: str
    status: str  # FHIR status as recorded
    current: bool  # active on as_of (status and dates)
    start: date | None = None
    end: date | None = None
    daily_dose_mg: float | None = None  # from dosageInstruction when it can be computed
    prednisone_equivalent_mg: float | None = None  # glucocorticoids only
    matched_by: MatchedBy = "code"
    # Why it was prescribed: condition concept ids coded in reasonCode, and the Condition references of
    # reasonReference ("Condition/<id>"), as recorded (MedicationRequest / MedicationStatement).
    reasons: tuple[str, ...] = ()
    reason_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImmunizationFact:
    concept: str  # vaccine concept id
    live: bool
    occurred: date
    source: str
    display: str


@dataclass(frozen=True)
class ProcedureFact:
    """A completed procedure of a known concept (e.g. a delivery, which ends the pregnancies recorded before it)."""

    concept: str  # procedure concept id
    performed: date
    source: str
    display: str


@dataclass(frozen=True)
class SmokingFact:
    status: SmokingStatus
    source: str | None = None  # None when nothing is recorded
    effective: date | None = None


@dataclass(frozen=True)
class StatedFact:
    """A yes/no fact stated explicitly (patient card, or a coded observation such as pregnancy status)."""

    state: Tri
    source: str | None = None
    effective: date | None = None


@dataclass(frozen=True)
class UnusableValue:
    """A value in the record that could not be used: unknown unit, implausible value, bad date..."""

    source: str  # resource reference
    field: str  # FHIR path or card field, e.g. "valueQuantity.unit"
    reason: str
    concept: str | None = None


@dataclass(frozen=True)
class StaleEntry:
    """An entry recorded as current ("active" Condition, "pregnant" status) but dated before the window of its
    clinical concept: read as history, never dropped, and reported (data.stale-entry)."""

    concept: str  # the concept whose window it is outside, e.g. "pregnancy"
    source: str  # resource reference
    display: str
    recorded: date  # the onset or observation date
    window_days: int  # the window applied
    window_key: str  # the threshold that sets it (knowledge/data/thresholds.yaml)
    # Set when a later recorded end (a delivery, a miscarriage) closes the entry, whatever its age: that entry.
    ended_by: str | None = None
    ended_on: date | None = None


TextReadAs = Literal["present", "history", "negated", "family", "hypothetical"]


@dataclass(frozen=True)
class IncompleteData:
    """A part of the record that was asked for and did not arrive (a FHIR query refused, timed out or cut off by
    the fetch budget, or a prefetch the EHR did not send): the patient may have such data; it was not seen."""

    what: str  # the kind of data, e.g. "observations" (a CDS Hooks prefetch key)
    reason: str  # why it is missing or partial, e.g. "the FHIR server answered HTTP 403"
    partial: bool = False  # True when some of it arrived (e.g. the first pages of a search)


@dataclass(frozen=True)
class TextMatch:
    """A concept recognised from free text only (no known code): reported, never silent.

    `read_as` is what the words around the match say (jakcheck.patient.context): a present or past condition
    becomes a fact (`used`); a negated, family or hypothetical mention becomes none and is only reported.
    `qualifiers` and `triggers` are the qualifiers found and the words that gave them, as written."""

    concept: str
    source: str
    text: str
    read_as: TextReadAs = "present"
    qualifiers: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()

    @property
    def used(self) -> bool:
        return self.read_as in ("present", "history")


@dataclass(frozen=True)
class PatientIdentifier:
    """A business identifier of the patient (e.g. a medical record number): shown to the clinician to identify
    the patient, never written to a log."""

    value: str
    system: str | None = None
    label: str | None = None  # what kind of number it is, e.g. "Medical record number"


class FactsIndex:
    """Look-ups over one PatientFacts, filled when the facts are made and not changed afterwards: the facts are
    immutable, and `dataclasses.replace` makes new facts with a new index. Read through `patient.derived`.

    `labs`: each concept's measured labs in record order (a bound such as "< 0.5" is not a measurement);
    `latest_lab`: each concept's latest measured lab dated on or before `as_of` (by date, then source reference;
    on a tie the first in the record); `conditions`: each concept's conditions with their place in the record."""

    __slots__ = ("conditions", "labs", "latest_lab")

    def __init__(self) -> None:
        self.labs: dict[str, tuple[LabValue, ...]] = {}
        self.latest_lab: dict[str, LabValue] = {}
        self.conditions: dict[str, tuple[tuple[int, ConditionFact], ...]] = {}

    def fill(self, facts: PatientFacts) -> None:
        labs: dict[str, list[LabValue]] = {}
        latest = self.latest_lab
        for lab in facts.labs:
            if lab.comparator is not None:
                continue
            labs.setdefault(lab.concept, []).append(lab)
            if lab.effective <= facts.as_of:
                best = latest.get(lab.concept)
                if best is None or (lab.effective, lab.source) > (best.effective, best.source):
                    latest[lab.concept] = lab
        self.labs = {k: tuple(v) for k, v in labs.items()}
        conditions: dict[str, list[tuple[int, ConditionFact]]] = {}
        for i, cond in enumerate(facts.conditions):
            conditions.setdefault(cond.concept, []).append((i, cond))
        self.conditions = {k: tuple(v) for k, v in conditions.items()}


@dataclass(frozen=True)
class PatientFacts:
    patient_id: str
    as_of: date
    birth_date: date | None
    sex: Sex
    deceased: bool = False
    deceased_date: date | None = None  # the recorded date of death, when the record gives one
    # Who the patient is, for the clinician's eyes only (never logged): display name and business identifiers.
    name: str | None = None
    identifiers: tuple[PatientIdentifier, ...] = ()
    conditions: tuple[ConditionFact, ...] = ()
    labs: tuple[LabValue, ...] = ()
    results: tuple[CodedResult, ...] = ()
    medications: tuple[MedicationFact, ...] = ()
    immunizations: tuple[ImmunizationFact, ...] = ()
    procedures: tuple[ProcedureFact, ...] = ()
    smoking: SmokingFact = field(default_factory=lambda: SmokingFact("unknown"))
    pregnant: StatedFact = field(default_factory=lambda: StatedFact(Tri.UNKNOWN))
    lactating: StatedFact = field(default_factory=lambda: StatedFact(Tri.UNKNOWN))
    child_pugh: Literal["A", "B", "C"] | None = None  # stated only; never derived silently
    child_pugh_source: str | None = None
    on_dialysis: bool = False
    unusable: tuple[UnusableValue, ...] = ()
    text_matches: tuple[TextMatch, ...] = ()
    # Explicit statements from a patient card that a history is known absent, e.g. {"malignancy"}.
    known_absent: frozenset[str] = frozenset()
    patient_source: str = "Patient"
    # True when birth_date was derived from a stated age (patient card "age:"), not recorded.
    birth_date_estimated: bool = False
    # Race as the 2013 Pooled Cohort Equations use it (US Core race extension, OMB category), None when not recorded.
    race: Race | None = None
    # Parts of the record that were asked for and did not (fully) arrive: never read as "no such data".
    incomplete: tuple[IncompleteData, ...] = ()
    # Entries recorded as current but older than their concept's window (set by the engine, patient.derived
    # apply_windows): the matching conditions are already read as inactive, a stale pregnancy status as unknown.
    stale: tuple[StaleEntry, ...] = ()
    # Look-ups over these facts (per-concept labs, latest lab, conditions), filled once below.
    index: FactsIndex = field(default_factory=FactsIndex, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.index.fill(self)
