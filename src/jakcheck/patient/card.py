"""The patient card: a short YAML (or JSON) record for manual entry, read into the same PatientFacts.

Format (docs/patient-card.md has the full description and an example)::

    patient: {id: demo-1, birth_date: 1961-04-02, sex: female}   # or age: 63 instead of birth_date
    conditions:   [{concept: rheumatoid-arthritis, onset: 2015-01-01, active: true}]  # or code+system, or text
    labs:         [{test: lymphocytes, value: 0.8, unit: "10*9/L", date: 2024-05-01, reference_high: 4.0}]
    results:      [{test: tb-igra, result: negative, date: 2024-04-01}]
    medications:  [{drug: prednisone, dose_mg_per_day: 10, status: active, start: 2024-01-01}]
    vaccinations: [{vaccine: zoster-recombinant, date: 2023-10-01}]
    smoking: former              # current | former | never | unknown
    pregnant: no                 # yes | no | unknown
    lactating: no
    child_pugh: A                # A | B | C
    dialysis: false
    known_absent: [malignancy, vte]

Every fact's source is "card:<field path>", e.g. "card:labs[0]". Anything the card cannot say unambiguously
(unknown key, unknown concept, unit that cannot be converted, implausible value, date after the assessment
date) is an InputError naming the field path: the person typing the card is there to fix it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Literal

import yaml

from jakcheck.errors import InputError
from jakcheck.patient.facts import (
    CodedResult,
    ConditionFact,
    ImmunizationFact,
    LabValue,
    MatchedBy,
    MedicationFact,
    PatientFacts,
    Race,
    ResultValue,
    Sex,
    SmokingFact,
    SmokingStatus,
    StatedFact,
    TextMatch,
    Tri,
)
from jakcheck.patient.terminology import ConceptLike, Terminology, concepts_in_text
from jakcheck.patient.textfacts import read_condition_text, text_match
from jakcheck.patient.units import ImplausibleValue, UnitProblem, convert, to_canonical, unitless_ok

_TOP_KEYS = frozenset({"card_version", "patient", "conditions", "labs", "results", "medications",
                       "vaccinations", "smoking", "pregnant", "lactating", "child_pugh", "dialysis",
                       "known_absent"})
_CURRENT_STATUS = frozenset({"active", "on-hold"})
_MED_STATUS = frozenset({"active", "on-hold", "completed", "stopped", "cancelled", "intended", "not-taken",
                         "unknown", "draft"})
_SEXES = ("female", "male", "other", "unknown")
_RACES: tuple[Race, ...] = ("white", "african-american", "other")
_SMOKING: tuple[SmokingStatus, ...] = ("current", "former", "never", "unknown")
_RESULTS: tuple[ResultValue, ...] = ("positive", "negative", "indeterminate")


def read_card_text(text: str, *, source_name: str, as_of: date, knowledge: Terminology) -> PatientFacts:
    """Parse YAML (JSON is YAML too) and read the card."""
    return read_card(parse_yaml(text, source_name=source_name), source_name=source_name, as_of=as_of,
                     knowledge=knowledge)


def parse_yaml(text: str, *, source_name: str) -> object:
    """YAML text to plain data; errors become InputError with the line and column when YAML gives them."""
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        raise InputError(f"not valid YAML: {problem}", file=source_name, line=line, column=col) from None
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", file=source_name) from None
    except ValueError as exc:  # e.g. an impossible date such as 2024-02-30, which YAML reads as a timestamp
        raise InputError(f"not valid YAML: {exc}", file=source_name) from None
    return obj


def read_card(obj: object, *, source_name: str, as_of: date, knowledge: Terminology) -> PatientFacts:
    """Read a parsed patient card (a mapping with a "patient" member)."""
    return _Card(source_name, as_of, knowledge).read(obj)


class _Card:
    def __init__(self, source_name: str, as_of: date, knowledge: Terminology) -> None:
        self.file = source_name
        self.as_of = as_of
        self.kb = knowledge
        self.text_matches: list[TextMatch] = []

    # --- field helpers -----------------------------------------------------------------------------------

    def err(self, field: str, message: str) -> InputError:
        return InputError(message, file=self.file, field=field)

    def mapping(self, value: object, field: str, allowed: frozenset[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.err(field, "must be a mapping")
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise self.err(f"{field}.{key}" if field else str(key),
                               f"unknown field (allowed: {', '.join(sorted(allowed))})")
        return value

    def items(self, card: dict[str, Any], key: str, allowed: frozenset[str]) -> list[tuple[str, dict[str, Any]]]:
        value = card.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.err(key, "must be a list")
        return [(f"{key}[{i}]", self.mapping(item, f"{key}[{i}]", allowed)) for i, item in enumerate(value)]

    def text(self, value: object, field: str, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                raise self.err(field, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value).strip():
            raise self.err(field, "must be a non-empty text")
        return str(value).strip()

    def number(self, value: object, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.err(field, f"must be a number, not {value!r}")
        try:
            f = float(value)
        except OverflowError:
            raise self.err(field, "number too large") from None
        if not math.isfinite(f):
            raise self.err(field, "must be a finite number")
        return f

    def day(self, value: object, field: str, *, required: bool, future_ok: bool = False) -> date | None:
        if value is None:
            if required:
                raise self.err(field, "is required (YYYY-MM-DD)")
            return None
        if isinstance(value, datetime):
            d = value.date()
        elif isinstance(value, date):
            d = value
        elif isinstance(value, str):
            try:
                d = date.fromisoformat(value.strip())
            except ValueError:
                raise self.err(field, f"not a date (YYYY-MM-DD): {value!r}") from None
        else:
            raise self.err(field, f"not a date (YYYY-MM-DD): {value!r}")
        if not future_ok and d > self.as_of:
            raise self.err(field, f"{d.isoformat()} is after the assessment date {self.as_of.isoformat()}")
        return d

    def boolean(self, value: object, field: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.err(field, f"must be true or false, not {value!r}")
        return value

    def concept(self, cid: str, field: str, kind: str) -> ConceptLike:
        try:
            c = self.kb.concept(cid)
        except KeyError:
            raise self.err(field, f"unknown {kind} concept {cid!r}") from None
        if c.kind != kind:
            raise self.err(field, f"{cid!r} is a {c.kind} concept, not a {kind}")
        return c

    def resolve(self, item: dict[str, Any], path: str, key: str, kind: str) -> tuple[list[str], MatchedBy, str]:
        """Concept ids from `key` (a concept id), code+system, or text. Returns ids, how matched, display."""
        given = [k for k in (key, "code", "text") if item.get(k) is not None]
        if not given:
            raise self.err(path, f"needs one of {key}, code (with system) or text")
        if len(given) > 1:
            raise self.err(path, f"give only one of {key}, code or text")
        display = self.text(item.get("display"), f"{path}.display", required=False)
        if item.get(key) is not None:
            cid = self.text(item[key], f"{path}.{key}")
            assert cid is not None
            c = self.concept(cid, f"{path}.{key}", kind)
            return [cid], "code", display or c.label
        if item.get("code") is not None:
            code = self.text(item["code"], f"{path}.code")
            system = self.text(item.get("system"), f"{path}.system")
            assert code is not None and system is not None
            ids = [c for c in self.kb.concepts_for_code(system, code) if self._kind(c) == kind]
            if not ids:
                raise self.err(f"{path}.code", f"{system}|{code} is not a known {kind} code")
            return ids, "code", display or self.kb.concept(ids[0]).label  # a name, never the bare code
        text = self.text(item["text"], f"{path}.text")
        assert text is not None
        ids = concepts_in_text(self.kb, text, kind)
        if not ids:
            raise self.err(f"{path}.text", f"no known {kind} matches the text {text!r}")
        for cid in ids:
            self.text_matches.append(TextMatch(cid, f"card:{path}", text))
        return ids, "text", display or text

    def _kind(self, cid: str) -> str | None:
        try:
            return self.kb.concept(cid).kind
        except KeyError:
            return None

    def tri(self, value: object, field: str) -> Tri:
        if value is None:
            return Tri.UNKNOWN
        if value is True or value in ("yes", "Yes", "YES", "true"):
            return Tri.PRESENT
        if value is False or value in ("no", "No", "NO", "false"):
            return Tri.ABSENT
        if value in ("unknown", "Unknown"):
            return Tri.UNKNOWN
        raise self.err(field, f"must be yes, no or unknown, not {value!r}")

    # --- sections ---------------------------------------------------------------------------------------

    def read(self, obj: object) -> PatientFacts:
        card = self.mapping(obj, "", _TOP_KEYS)
        version = card.get("card_version")
        if version is not None and version != 1:
            raise self.err("card_version", f"unsupported card version {version!r} (this reader reads 1)")
        if "patient" not in card:
            raise self.err("patient", "is required")
        patient = self.mapping(card["patient"], "patient", frozenset({"id", "birth_date", "age", "sex", "race"}))
        race_raw = patient.get("race")
        if race_raw is not None and race_raw not in _RACES:
            raise self.err("patient.race", f"must be one of {', '.join(_RACES)}")
        race: Race | None = race_raw
        pid = self.text(patient.get("id"), "patient.id", required=False) or "card"
        sex_raw = patient.get("sex", "unknown")
        if sex_raw not in _SEXES:
            raise self.err("patient.sex", f"must be one of {', '.join(_SEXES)}")
        sex: Sex = sex_raw
        birth, estimated = self.birth(patient)

        smoking = SmokingFact("unknown")
        if card.get("smoking") is not None:
            s = card["smoking"]
            if s not in _SMOKING:
                raise self.err("smoking", f"must be one of {', '.join(_SMOKING)}")
            smoking = SmokingFact(s, "card:smoking")
        results = self.results(card)
        pregnant = self.stated(card, "pregnant")
        if pregnant.state is Tri.UNKNOWN and card.get("pregnant") is None:
            tests = [r for r in results if r.concept == "pregnancy-test" and r.result != "indeterminate"]
            if tests:
                latest = max(tests, key=lambda r: r.effective)
                state = Tri.PRESENT if latest.result == "positive" else Tri.ABSENT
                pregnant = StatedFact(state, latest.source, latest.effective)
        child_pugh: Literal["A", "B", "C"] | None = None
        cp = card.get("child_pugh")
        if cp is not None:
            if cp not in ("A", "B", "C"):
                raise self.err("child_pugh", "must be A, B or C")
            child_pugh = cp
        known_absent: set[str] = set()
        ka = card.get("known_absent")
        if ka is not None:
            if not isinstance(ka, list):
                raise self.err("known_absent", "must be a list")
            for i, v in enumerate(ka):
                t = self.text(v, f"known_absent[{i}]")
                assert t is not None
                known_absent.add(t.lower())
        return PatientFacts(
            patient_id=pid,
            as_of=self.as_of,
            birth_date=birth,
            sex=sex,
            conditions=self.conditions(card),
            labs=self.labs(card),
            results=results,
            medications=self.medications(card),
            immunizations=self.vaccinations(card),
            smoking=smoking,
            pregnant=pregnant,
            lactating=self.stated(card, "lactating"),
            child_pugh=child_pugh,
            child_pugh_source="card:child_pugh" if child_pugh else None,
            on_dialysis=self.boolean(card.get("dialysis"), "dialysis", False),
            text_matches=tuple(self.text_matches),
            known_absent=frozenset(known_absent),
            patient_source="card:patient",
            birth_date_estimated=estimated,
            race=race,
        )

    def birth(self, patient: dict[str, Any]) -> tuple[date | None, bool]:
        if patient.get("birth_date") is not None and patient.get("age") is not None:
            raise self.err("patient", "give birth_date or age, not both")
        if patient.get("birth_date") is not None:
            birth = self.day(patient["birth_date"], "patient.birth_date", required=True)
            assert birth is not None
            age = self.as_of.year - birth.year - ((self.as_of.month, self.as_of.day) < (birth.month, birth.day))
            if age > 130:
                raise self.err("patient.birth_date", f"gives an age of {age} years (more than 130)")
            return birth, False
        if patient.get("age") is not None:
            age_raw = patient["age"]
            if isinstance(age_raw, bool) or not isinstance(age_raw, int) or not 0 <= age_raw <= 130:
                raise self.err("patient.age", "must be a whole number of years from 0 to 130")
            # The latest birth date consistent with the stated age on the assessment date.
            year = self.as_of.year - age_raw
            day = 28 if (self.as_of.month, self.as_of.day) == (2, 29) else self.as_of.day
            return date(year, self.as_of.month, day), True
        return None, False

    def stated(self, card: dict[str, Any], key: str) -> StatedFact:
        state = self.tri(card.get(key), key)
        return StatedFact(state, f"card:{key}" if card.get(key) is not None else None)

    def conditions(self, card: dict[str, Any]) -> tuple[ConditionFact, ...]:
        out: list[ConditionFact] = []
        allowed = frozenset({"concept", "code", "system", "text", "display", "onset", "abatement", "active"})
        for path, item in self.items(card, "conditions", allowed):
            history: frozenset[str] = frozenset()
            if item.get("text") is not None and item.get("concept") is None and item.get("code") is None:
                ids, history, display = self.condition_text(item, path)
                matched_by: MatchedBy = "text"
            else:
                ids, matched_by, display = self.resolve(item, path, "concept", "condition")
            onset = self.day(item.get("onset"), f"{path}.onset", required=False)
            abatement = self.day(item.get("abatement"), f"{path}.abatement", required=False, future_ok=True)
            abated = abatement is not None and abatement <= self.as_of
            active = self.boolean(item.get("active"), f"{path}.active", not abated)
            if active and abated:
                raise self.err(f"{path}.active", "is true but the abatement date has passed")
            out.extend(ConditionFact(cid, f"card:{path}", display, active and cid not in history, onset, abatement,
                                     matched_by)
                       for cid in ids)
        return tuple(out)

    def condition_text(self, item: dict[str, Any], path: str) -> tuple[list[str], frozenset[str], str]:
        """A condition given as text, read with its qualifiers (jakcheck.patient.textfacts): every concept named
        is reported; only present or past ones become facts. Returns (concepts, those read as history,
        display)."""
        text = self.text(item["text"], f"{path}.text")
        assert text is not None
        display = self.text(item.get("display"), f"{path}.display", required=False)
        readings = read_condition_text(self.kb, text)
        if not readings:
            raise self.err(f"{path}.text", f"no known condition matches the text {text!r}")
        self.text_matches.extend(text_match(r, f"card:{path}", text) for r in readings)
        used = [r for r in readings if r.used]
        return ([r.concept for r in used], frozenset(r.concept for r in used if r.read_as == "history"),
                display or text)

    def labs(self, card: dict[str, Any]) -> tuple[LabValue, ...]:
        out: list[LabValue] = []
        allowed = frozenset({"test", "value", "unit", "date", "reference_high"})
        for path, item in self.items(card, "labs", allowed):
            cid = self.text(item.get("test"), f"{path}.test")
            assert cid is not None
            concept = self.concept(cid, f"{path}.test", "observation")
            if not concept.unit:
                raise self.err(f"{path}.test", f"{cid!r} is not a numeric test; put it under results")
            value = self.number(item.get("value"), f"{path}.value")
            unit = self.text(item.get("unit"), f"{path}.unit", required=not unitless_ok(cid))
            when = self.day(item.get("date"), f"{path}.date", required=True)
            assert when is not None
            unit = unit or concept.unit
            try:
                canonical = to_canonical(cid, value, unit, concept.unit)
            except ImplausibleValue as exc:
                raise self.err(f"{path}.value", exc.reason) from None
            except UnitProblem as exc:
                raise self.err(f"{path}.unit", exc.reason) from None
            high: float | None = None
            if item.get("reference_high") is not None:
                hv = self.number(item["reference_high"], f"{path}.reference_high")
                try:
                    high = convert(cid, hv, unit, concept.unit)
                except UnitProblem as exc:
                    raise self.err(f"{path}.reference_high", exc.reason) from None
            out.append(LabValue(cid, canonical, concept.unit, when, f"card:{path}", f"{item['value']} {unit}",
                                high))
        return tuple(out)

    def results(self, card: dict[str, Any]) -> tuple[CodedResult, ...]:
        out: list[CodedResult] = []
        for path, item in self.items(card, "results", frozenset({"test", "result", "date"})):
            cid = self.text(item.get("test"), f"{path}.test")
            assert cid is not None
            concept = self.concept(cid, f"{path}.test", "observation")
            if concept.unit:
                raise self.err(f"{path}.test", f"{cid!r} is a numeric test; put it under labs")
            result = item.get("result")
            if result not in _RESULTS:
                raise self.err(f"{path}.result", f"must be one of {', '.join(_RESULTS)}")
            when = self.day(item.get("date"), f"{path}.date", required=True)
            assert when is not None
            out.append(CodedResult(cid, result, when, f"card:{path}", str(result)))
        return tuple(out)

    def medications(self, card: dict[str, Any]) -> tuple[MedicationFact, ...]:
        out: list[MedicationFact] = []
        allowed = frozenset({"drug", "code", "system", "text", "display", "dose_mg_per_day", "status", "start",
                             "end"})
        for path, item in self.items(card, "medications", allowed):
            ids, matched_by, display = self.resolve(item, path, "drug", "medication")
            status = item.get("status", "active")
            if not isinstance(status, str) or status not in _MED_STATUS:
                raise self.err(f"{path}.status", f"must be one of {', '.join(sorted(_MED_STATUS))}")
            start = self.day(item.get("start"), f"{path}.start", required=False, future_ok=True)
            end = self.day(item.get("end"), f"{path}.end", required=False, future_ok=True)
            if start and end and end < start:
                raise self.err(f"{path}.end", "is before start")
            dose: float | None = None
            if item.get("dose_mg_per_day") is not None:
                dose = self.number(item["dose_mg_per_day"], f"{path}.dose_mg_per_day")
                if dose <= 0 or dose > 100000:
                    raise self.err(f"{path}.dose_mg_per_day", "must be a positive dose in mg per day")
                if len(ids) > 1:
                    raise self.err(f"{path}.dose_mg_per_day", "a dose cannot be given for a combination product")
            current = (status in _CURRENT_STATUS and (end is None or end >= self.as_of)
                       and (start is None or start <= self.as_of))
            for cid in ids:
                concept = self.concept(cid, path, "medication")
                classes = tuple(concept.classes)
                pred = None
                if dose is not None and "glucocorticoid" in classes and concept.prednisone_equivalence is not None:
                    pred = dose * concept.prednisone_equivalence
                out.append(MedicationFact(cid, classes, f"card:{path}", display, str(status), current, start,
                                          end, dose, pred, matched_by))
        return tuple(out)

    def vaccinations(self, card: dict[str, Any]) -> tuple[ImmunizationFact, ...]:
        out: list[ImmunizationFact] = []
        allowed = frozenset({"vaccine", "code", "system", "text", "display", "date"})
        for path, item in self.items(card, "vaccinations", allowed):
            ids, _, display = self.resolve(item, path, "vaccine", "vaccine")
            when = self.day(item.get("date"), f"{path}.date", required=True)
            assert when is not None
            for cid in ids:
                concept = self.concept(cid, path, "vaccine")
                out.append(ImmunizationFact(cid, bool(concept.live), when, f"card:{path}", display))
        return tuple(out)
