"""One record being read: what every resource mapper shares.

The assessment date, the record's references (`containers.RecordIndex`), the terminology look-ups
(`coding.Coder`), the facts gathered so far, and the values that belong to a known concept but cannot be used
(unit, range, date): those become UnusableValues, so nothing a rule could read disappears silently.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from jakcheck.errors import InputError
from jakcheck.fhir.coding import Coder
from jakcheck.fhir.containers import RecordIndex
from jakcheck.fhir.fields import BadDate, parse_fhir_date
from jakcheck.patient.facts import (
    CodedResult,
    ConditionFact,
    ImmunizationFact,
    LabValue,
    MedicationFact,
    ProcedureFact,
    SmokingFact,
    StatedFact,
    Tri,
    UnusableValue,
)
from jakcheck.patient.terminology import Terminology


class Record:
    """The state of reading one patient's record; the mappers add to it, `patients.patient_facts` ends it."""

    def __init__(self, source_name: str, as_of: date, knowledge: Terminology, index: RecordIndex) -> None:
        self.file = source_name
        self.as_of = as_of
        self.kb = knowledge
        self.index = index
        self.terms = Coder(knowledge)
        self.conditions: list[ConditionFact] = []
        self.labs: list[LabValue] = []
        self.results: list[CodedResult] = []
        self.medications: list[MedicationFact] = []
        self.immunizations: list[ImmunizationFact] = []
        self.procedures: list[ProcedureFact] = []
        self.unusable: list[UnusableValue] = []
        self.smoking: tuple[date, int, SmokingFact] | None = None
        self.smoking_condition: SmokingFact | None = None
        self.ever_smoked: SmokingFact | None = None
        self.pregnant: tuple[date, int, StatedFact] | None = None
        self.lactating: StatedFact | None = None
        self.child_pugh: tuple[date, str, Literal["A", "B", "C"]] | None = None
        self._dates: dict[str, date] = {}  # a record repeats its timestamps: each is parsed once

    def error(self, message: str, *, resource: str | None = None, field: str | None = None) -> InputError:
        return InputError(message, file=self.file, resource=resource, field=field)

    def add_unusable(self, source: str, field: str, reason: str, concept: str | None = None) -> None:
        self.unusable.append(UnusableValue(source, field, reason, concept))

    def parse_date(self, value: object) -> date:
        """parse_fhir_date(value), each distinct string parsed once per record."""
        if isinstance(value, str):
            d = self._dates.get(value)
            if d is None:
                d = self._dates[value] = parse_fhir_date(value)
            return d
        return parse_fhir_date(value)

    def date_field(self, value: object, source: str, field: str, concept: str | None,
                   *, future_ok: bool = False) -> tuple[date | None, bool]:
        """(date, ok): ok is False when the value was present but unusable (already recorded)."""
        if value is None:
            return None, True
        try:
            d = self.parse_date(value)
        except BadDate as exc:
            self.add_unusable(source, field, str(exc), concept)
            return None, False
        if not future_ok and d > self.as_of:
            self.add_unusable(source, field, f"dated {d.isoformat()}, after the assessment date "
                                             f"{self.as_of.isoformat()}", concept)
            return None, False
        return d, True

    def set_pregnant(self, when: date, rank: int, fact: StatedFact) -> None:
        """Keep the latest pregnancy statement; on the same date a test or status (rank 2) outranks a condition
        (rank 1), and a statement that she is pregnant outranks one that she is not."""
        key = (when, rank + (1 if fact.state is Tri.PRESENT else 0))
        if self.pregnant is None or key >= self.pregnant[:2]:
            self.pregnant = (key[0], key[1], fact)
