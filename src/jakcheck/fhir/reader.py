"""Read a FHIR R4 patient record (Bundle, list of resources, Patient, CDS Hooks prefetch) into PatientFacts.

One pass over the resources, plain dicts from orjson, no model objects per resource. Only the resource
types rules read are looked at (Patient, Condition, Observation, MedicationRequest, MedicationStatement,
Immunization, Medication for references); everything else is ignored.

Guarantees:
* Any input gives either PatientFacts or an InputError; malformed parts of a resource never raise anything
  else. A value that belongs to a known concept but cannot be used (unit, range, date) becomes an
  UnusableValue, so nothing a rule could read disappears silently.
* Every clinical resource must be about the one Patient in the document. Its subject/patient reference may be
  "Patient/<id>", the Patient entry's fullUrl, "urn:uuid:<id>", or an absolute URL ending in "Patient/<id>"
  (optionally followed by "/_history/<v>"). A reference to another Patient, or one that resolves to nothing
  else we know, is an InputError. A resource with no subject/patient reference (or an identifier-only one)
  is taken to be about the document's patient.
* The reader does not log.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import orjson

from jakcheck.errors import InputError
from jakcheck.patient.card import parse_yaml, read_card
from jakcheck.patient.facts import (
    CodedResult,
    ConditionFact,
    ImmunizationFact,
    LabValue,
    MatchedBy,
    MedicationFact,
    PatientFacts,
    PatientIdentifier,
    Race,
    ResultValue,
    Sex,
    SmokingFact,
    SmokingStatus,
    StatedFact,
    TextMatch,
    Tri,
    UnusableValue,
)
from jakcheck.patient.terminology import ConceptLike, Terminology, concepts_in_text
from jakcheck.patient.units import ImplausibleValue, UnitProblem, convert, to_canonical, unitless_ok

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
MAX_AGE_YEARS = 130
MAX_BUNDLE_NESTING = 8

# Systems whose codes the value sets are expected to cover; an Observation coded in one of these that maps to
# no concept is a different test, so its free text is not searched (e.g. "Hemoglobin A1c" is not haemoglobin).
_STANDARD_OBSERVATION_SYSTEMS = frozenset({"http://loinc.org", "http://snomed.info/sct"})
_LOCAL_FORM = re.compile(r"\b(topical|cream|ointment|lotion|gel|foam|inhal\w*|nasal|ophthalmic|eye|otic|ear|rectal|"
                         r"enema|suppositor\w*|mouthwash|dental|vaginal|shampoo|patch)\b")
_SYSTEMIC_CLASSES = frozenset({"glucocorticoid", "potent-immunosuppressant"})

_CONDITION_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_CONDITION_SKIP = frozenset({"refuted", "entered-in-error"})
_OBSERVATION_SKIP = frozenset({"entered-in-error", "cancelled"})
# Results not yet final: they can only make advice more cautious (a provisional positive counts; a provisional
# negative or number does not close a screening gap). "unknown" means the sender does not know which applies.
_OBSERVATION_PROVISIONAL = frozenset({"registered", "preliminary", "unknown"})
# Final results that replace an earlier version of the same result: used, and their status shown.
_OBSERVATION_REVISED = frozenset({"amended", "corrected"})
# Medication status: on-hold counts as current (the patient is still under the drug's effects and the order
# can resume); unknown, draft and intended do not.
_MEDICATION_CURRENT = frozenset({"active", "on-hold"})

_SMOKING_ANSWERS: dict[str, SmokingStatus] = {
    "smoking-current": "current", "smoking-former": "former", "smoking-never": "never",
    "smoking-unknown": "unknown",
}
_SMOKING_SEVERITY = {"unknown": 0, "never": 1, "former": 2, "current": 3}
_RESULT_ANSWERS: dict[str, ResultValue] = {
    "result-positive": "positive", "result-negative": "negative", "result-indeterminate": "indeterminate",
}
# HL7 v3 ObservationInterpretation codes used when a qualitative test carries no coded value.
_INTERPRETATION: dict[str, ResultValue] = {
    "POS": "positive", "NEG": "negative", "IND": "indeterminate", "DET": "positive", "ND": "negative",
}
# Tests reported either as a quantity or as detected / not detected (viral loads): a coded answer is a
# qualitative result rather than a value with a missing unit.
_QUALITATIVE_OK = {"hcv-rna": True, "hbv-dna": True}

# LOINC answer list LL4129-4 (pregnancy status, LOINC 82810-3), used when the value sets do not cover them.
_PREGNANCY_ANSWERS: dict[tuple[str, str], Tri] = {
    ("http://snomed.info/sct", "77386006"): Tri.PRESENT,  # Pregnant
    ("http://snomed.info/sct", "60001007"): Tri.ABSENT,  # Not pregnant
    ("http://snomed.info/sct", "261665006"): Tri.UNKNOWN,  # Unknown
}
_COMPONENT_CONCEPTS = frozenset({"systolic-bp"})
# Observations read by their own answer rules rather than as a quantity or a positive/negative result.
_CODED_OBSERVATIONS = frozenset({"smoking-status", "pregnancy-status", "child-pugh"})
# Resources other resources refer to: the Patient (subject) and Medications (medicationReference).
_REFERABLE = frozenset({"Patient", "Medication"})

# Days per UCUM time unit in Timing.repeat.periodUnit (mo and a: mean Julian month and year, as in UCUM).
_PERIOD_DAYS = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.4375, "a": 365.25}
# HL7 v3 GTSAbbreviation timing codes -> administrations per day.
_TIMING_CODES = {
    "QD": 1.0, "AM": 1.0, "PM": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0, "QOD": 0.5, "WK": 1 / 7,
    "Q4H": 6.0, "Q6H": 4.0, "Q8H": 3.0, "Q12H": 2.0,
}
_MG_PER_UNIT = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "µg": 0.001}
_DOSE_FORM_UNITS = frozenset({
    "", "1", "{tbl}", "{tablet}", "{tablets}", "tablet", "tablets", "tab", "tabs", "TAB", "{capsule}",
    "capsule", "capsules", "cap", "CAP", "{Tablet}", "Tablet", "Capsule",
})
_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*MG\b(\s*/)?", re.IGNORECASE)
_SOLID_FORM = re.compile(r"\b(tablet|capsule)\b", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?$")


class _BadDate(ValueError):
    pass


def _text_of(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def patient_name(patient: dict[str, Any]) -> str | None:
    """The patient's display name: the official (else usual, else first) HumanName as its text, or given names
    then family name. For the clinician's eyes only; never logged."""
    names = [n for n in patient.get("name") or () if isinstance(n, dict)]
    if not names:
        return None
    rank = {"official": 0, "usual": 1}
    chosen = min(names, key=lambda n: rank.get(str(n.get("use")), 2))
    if text := _text_of(chosen.get("text")):
        return text
    given = [g.strip() for g in chosen.get("given") or () if isinstance(g, str) and g.strip()]
    family = _text_of(chosen.get("family"))
    return " ".join([*given, *([family] if family else [])]) or None


_IDENTIFIER_LABELS = {"MR": "Medical record number", "SS": "Social security number", "DL": "Driver's license",
                      "PPN": "Passport number", "NI": "National identifier", "PT": "Patient number"}


def patient_identifiers(patient: dict[str, Any]) -> tuple[PatientIdentifier, ...]:
    """The patient's business identifiers with a readable label (medical record number first)."""
    out = []
    for ident in patient.get("identifier") or ():
        if not isinstance(ident, dict) or (value := _text_of(ident.get("value"))) is None:
            continue
        kind: dict[str, Any] = ident["type"] if isinstance(ident.get("type"), dict) else {}
        codes = [c.get("code") for c in kind.get("coding") or () if isinstance(c, dict)]
        label = _text_of(kind.get("text")) or next((_IDENTIFIER_LABELS[c] for c in codes if c in _IDENTIFIER_LABELS),
                                                   None)
        out.append((0 if "MR" in codes else 1, PatientIdentifier(value=value, system=_text_of(ident.get("system")),
                                                                 label=label)))
    return tuple(i for _, i in sorted(out, key=lambda x: x[0]))


def parse_fhir_date(value: object, *, full: bool = False) -> date:
    """Calendar date of a FHIR date/dateTime/instant (the date as written, time zone ignored).

    Partial dates ("2009", "2009-04") give the first day of the period unless `full` is set.
    """
    if not isinstance(value, str):
        raise _BadDate(f"not a date: {value!r}")
    m = _DATE.match(value.strip())
    if not m:
        raise _BadDate(f"not a FHIR date: {value!r}")
    year, month, day = m.group(1), m.group(2), m.group(3)
    if full and day is None:
        raise _BadDate(f"partial date {value!r}")
    try:
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise _BadDate(f"invalid date {value!r}") from exc


def _dict(x: object) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _list(x: object) -> list[Any]:
    return x if isinstance(x, list) else []


def _str(x: object) -> str | None:
    return x if isinstance(x, str) else None


def _num(x: object) -> float | None:
    if x.__class__ is float:
        return x if math.isfinite(x) else None
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    try:
        f = float(x)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


# ---------------------------------------------------------------------------------------------- public API


def read_file(path: str | Path, *, as_of: date, knowledge: Terminology,
              max_bytes: int = DEFAULT_MAX_BYTES) -> PatientFacts:
    """Read a FHIR JSON document or a patient card (YAML, or JSON with a top-level "patient" object)."""
    p = Path(path)
    name = str(path)
    try:
        if p.is_dir():
            raise InputError("is a directory, not a file", file=name)
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from exc
    if size > max_bytes:
        raise InputError(f"file is {size} bytes, more than the limit of {max_bytes} bytes", file=name)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from exc
    if len(data) > max_bytes:
        raise InputError(f"file is more than the limit of {max_bytes} bytes", file=name)
    if p.suffix.lower() in (".yaml", ".yml"):
        # A YAML file is a patient card, unless it holds a FHIR resource written as YAML.
        obj = parse_yaml(_decode(data, name), source_name=name)
        if isinstance(obj, dict) and "resourceType" in obj:
            return read_document(obj, source_name=name, as_of=as_of, knowledge=knowledge)
        return read_card(obj, source_name=name, as_of=as_of, knowledge=knowledge)
    return read_json_text(data, source_name=name, as_of=as_of, knowledge=knowledge)


def read_json_text(text: str | bytes, *, source_name: str, as_of: date, knowledge: Terminology,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> PatientFacts:
    """Parse JSON text (str or UTF-8 bytes) and read it with `read_document`."""
    if len(text) > max_bytes:
        raise InputError(f"input is more than the limit of {max_bytes} bytes", file=source_name)
    if isinstance(text, bytes):
        # Valid UTF-8 JSON parses the same from bytes, without decoding it to str first; anything else takes
        # the str path below, which names the problem.
        try:
            obj = orjson.loads(_strip_bom(_strip_bom(text)))
        except orjson.JSONDecodeError:
            text = _decode(text, source_name)
        else:
            return read_document(obj, source_name=source_name, as_of=as_of, knowledge=knowledge)
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        line, col, msg = exc.lineno, exc.colno, exc.msg
        try:
            json.loads(text)
        except json.JSONDecodeError as exc2:
            line, col, msg = exc2.lineno, exc2.colno, exc2.msg
        except (ValueError, RecursionError):
            pass
        raise InputError(f"not valid JSON: {msg}", file=source_name, line=line, column=col) from None
    return read_document(obj, source_name=source_name, as_of=as_of, knowledge=knowledge)


def read_resources(resources: list[tuple[dict[str, Any], str | None]], *, source_name: str, as_of: date,
                   knowledge: Terminology) -> PatientFacts:
    """Read one patient's resources, already unpacked: (resource, fullUrl or None) pairs in document order, each
    a dict whose resourceType is a string other than Bundle (what `read_document` makes of a Bundle's entries
    before reading them; the population screen builds this list itself)."""
    return _Reader(source_name, as_of, knowledge).read_collected(resources)


def read_document(obj: object, *, source_name: str, as_of: date, knowledge: Terminology) -> PatientFacts:
    """Read a parsed JSON document: Bundle, list of resources, single resource, CDS Hooks prefetch or
    hook request, or a patient card (a dict whose "patient" member is an object without resourceType)."""
    if isinstance(obj, dict) and "resourceType" not in obj and isinstance(obj.get("patient"), dict) \
            and "resourceType" not in obj["patient"]:
        return read_card(obj, source_name=source_name, as_of=as_of, knowledge=knowledge)
    return _Reader(source_name, as_of, knowledge).read(obj)


_BOM = b"\xef\xbb\xbf"


def _strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(_BOM) else data


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=name) from None


# ---------------------------------------------------------------------------------------------- reader


class _Reader:
    def __init__(self, source_name: str, as_of: date, knowledge: Terminology) -> None:
        self.file = source_name
        self.as_of = as_of
        self.kb = knowledge
        # Look-ups that depend only on the knowledge: shared by every reader of the same release.
        self._concepts: dict[str, ConceptLike | None] = _shared_cache(knowledge, "reader.concepts")
        self._text_cache: dict[tuple[str, str], tuple[str, ...]] = _shared_cache(knowledge, "reader.text")
        self._code_cache: dict[tuple[str, str, str], tuple[str, ...]] = _shared_cache(knowledge, "reader.code")
        self.conditions: list[ConditionFact] = []
        self.labs: list[LabValue] = []
        self.results: list[CodedResult] = []
        self.medications: list[MedicationFact] = []
        self.immunizations: list[ImmunizationFact] = []
        self.unusable: list[UnusableValue] = []
        self.text_matches: list[TextMatch] = []
        self.smoking: tuple[date, int, SmokingFact] | None = None
        self.smoking_condition: SmokingFact | None = None
        self.ever_smoked: SmokingFact | None = None
        self.pregnant: tuple[date, int, StatedFact] | None = None
        self.lactating: StatedFact | None = None
        self.child_pugh: tuple[date, str, Literal["A", "B", "C"]] | None = None
        self.medication_index: dict[str, dict[str, Any]] = {}
        # The Patient and Medication resources among those collected, in document order.
        self.referable: list[tuple[dict[str, Any], str | None]] = []
        self.patient_refs: set[str] = set()
        self.patient_id = ""
        self.context_patient: str | None = None
        self._dates: dict[str, date] = {}  # a record repeats its timestamps: each is parsed once

    # --- collection ------------------------------------------------------------------------------------

    def _error(self, message: str, *, resource: str | None = None, field: str | None = None) -> InputError:
        return InputError(message, file=self.file, resource=resource, field=field)

    def _collect(self, obj: object) -> list[tuple[dict[str, Any], str | None]]:
        out: list[tuple[dict[str, Any], str | None]] = []
        if isinstance(obj, list):
            for i, item in enumerate(obj):
                if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
                    raise self._error(f"item [{i}] of the list is not a FHIR resource (no resourceType)")
                self._add(item, None, out, 0)
        elif isinstance(obj, dict):
            if "resourceType" in obj:
                if not isinstance(obj["resourceType"], str):
                    raise self._error("resourceType is not a string", field="resourceType")
                self._add(obj, None, out, 0)
            else:
                self._collect_prefetch(obj, out)
        else:
            raise self._error("not a FHIR document (expected a JSON object or list with resourceType)")
        return out

    def _collect_prefetch(self, obj: dict[str, Any], out: list[tuple[dict[str, Any], str | None]]) -> None:
        prefetch = obj
        context_patient: str | None = None
        if "prefetch" in obj:
            if not isinstance(obj["prefetch"], dict):
                raise self._error("CDS Hooks request: prefetch is not an object", field="prefetch")
            prefetch = obj["prefetch"]
            context_patient = _str(_dict(obj.get("context")).get("patientId"))
        found = False
        for key, value in prefetch.items():
            if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
                self._add(value, None, out, 0)
                found = True
            elif value is not None and not isinstance(value, str):
                raise self._error(f"prefetch member {key!r} is not a FHIR resource", field=f"prefetch.{key}")
        if not found:
            raise self._error("not a FHIR document: no resourceType, and no CDS Hooks prefetch resources")
        if context_patient is not None:
            self.context_patient = context_patient

    def _add(self, res: dict[str, Any], full_url: str | None, out: list[tuple[dict[str, Any], str | None]],
             depth: int) -> None:
        if res["resourceType"] != "Bundle":
            out.append((res, full_url))
            if res["resourceType"] in _REFERABLE:
                self.referable.append(out[-1])
            return
        if depth >= MAX_BUNDLE_NESTING:
            raise self._error(f"Bundles nested more than {MAX_BUNDLE_NESTING} deep")
        entries = res.get("entry", [])
        if not isinstance(entries, list):
            raise self._error("Bundle.entry is not a list", field="entry")
        append = out.append
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise self._error(f"Bundle entry [{i}] is not an object", field=f"entry[{i}]")
            inner = entry.get("resource")
            if inner is None:
                continue  # e.g. a DELETE request or a response entry
            rtype = inner.get("resourceType") if isinstance(inner, dict) else None
            if not isinstance(rtype, str):
                raise self._error(f"Bundle entry [{i}] resource has no resourceType",
                                  field=f"entry[{i}].resource")
            url = entry.get("fullUrl")
            if rtype == "Bundle":
                self._add(inner, _str(url), out, depth + 1)
            else:
                append((inner, url if isinstance(url, str) else None))
                if rtype in _REFERABLE:
                    self.referable.append(out[-1])

    # --- main ---------------------------------------------------------------------------------------------

    def read(self, obj: object) -> PatientFacts:
        return self._read(self._collect(obj))

    def read_collected(self, resources: list[tuple[dict[str, Any], str | None]]) -> PatientFacts:
        """`read` for resources already collected: (resource, fullUrl) pairs, each a dict with a string
        resourceType other than Bundle."""
        self.referable = [r for r in resources if r[0]["resourceType"] in _REFERABLE]
        return self._read(resources)

    def _read(self, resources: list[tuple[dict[str, Any], str | None]]) -> PatientFacts:
        patient = self._find_patient(self.referable)
        self._index(self.referable, patient)
        for n, (res, full_url) in enumerate(resources):
            rtype = res["resourceType"]
            handler = _HANDLERS.get(rtype)
            if handler is None:
                continue
            rid = _str(res.get("id"))
            source = f"{rtype}/{rid}" if rid else (full_url or f"{rtype}#{n}")
            handler(self, res, source)
        return self._facts(patient)

    def _find_patient(self, resources: list[tuple[dict[str, Any], str | None]]) -> dict[str, Any]:
        found: dict[str, Any] | None = None
        for res, _url in resources:
            if res["resourceType"] != "Patient":
                continue
            pid = res.get("id")
            if pid is not None and not isinstance(pid, str):
                raise self._error("Patient.id is not a string", resource="Patient", field="id")
            if found is None:
                found = res
            elif found.get("id") != pid:
                raise self._error("two different Patient resources in one document (different ids)")
        if found is None:
            raise self._error("no Patient resource in the document")
        pid = _str(found.get("id")) or ""
        if self.context_patient is not None and pid and self.context_patient != pid:
            raise self._error("CDS Hooks context.patientId does not match the Patient in the prefetch",
                              field="context.patientId")
        return found

    def _index(self, resources: list[tuple[dict[str, Any], str | None]], patient: dict[str, Any]) -> None:
        pid = _str(patient.get("id")) or ""
        self.patient_id = pid
        if pid:
            self.patient_refs.update({f"Patient/{pid}", f"urn:uuid:{pid}"})
        for res, url in resources:
            if res["resourceType"] == "Patient" and url:
                self.patient_refs.add(url)
            elif res["resourceType"] == "Medication":
                mid = _str(res.get("id"))
                if mid:
                    self.medication_index[f"Medication/{mid}"] = res
                if url:
                    self.medication_index[url] = res

    def _check_subject(self, res: dict[str, Any], source: str, field: str) -> None:
        ref_obj = res.get(field)
        if ref_obj is None:
            return
        if not isinstance(ref_obj, dict):
            raise self._error("is not a Reference", resource=source, field=field)
        ref = ref_obj.get("reference")
        if ref is None:
            return  # identifier- or display-only reference: taken to be the document's patient
        if not isinstance(ref, str):
            raise self._error("reference is not a string", resource=source, field=f"{field}.reference")
        if ref in self.patient_refs:
            return
        target = re.sub(r"/_history/[^/]*$", "", ref)
        if self.patient_id and target.endswith(f"Patient/{self.patient_id}") and (
                target == f"Patient/{self.patient_id}" or target.endswith(f"/Patient/{self.patient_id}")):
            return
        m = re.search(r"(?:^|/)Patient/([^/]+)$", target)
        if m:
            raise self._error("refers to a different Patient than the one in the document",
                              resource=source, field=f"{field}.reference")
        raise self._error(f"reference {ref!r} does not resolve to the Patient in the document",
                          resource=source, field=f"{field}.reference")

    # --- terminology -------------------------------------------------------------------------------------

    def _concept(self, cid: str) -> ConceptLike | None:
        try:
            return self._concepts[cid]
        except KeyError:
            pass
        try:
            concept: ConceptLike | None = self.kb.concept(cid)
        except KeyError:
            concept = None
        self._concepts[cid] = concept
        return concept

    def _kind(self, cid: str) -> str | None:
        c = self._concept(cid)
        return c.kind if c is not None else None

    def _codes(self, cc: object, kind: str) -> list[str]:
        ids: list[str] = []
        for coding in _list(_dict(cc).get("coding")):
            if not isinstance(coding, dict):
                continue
            system, code = coding.get("system"), coding.get("code")
            if not isinstance(system, str) or not isinstance(code, str):
                continue
            hit = self._code_cache.get((system, code, kind))
            if hit is None:
                hit = self._lookup_code(system, code, kind)
            for cid in hit:
                if cid not in ids:
                    ids.append(cid)
        return ids

    def _lookup_code(self, system: str, code: str, kind: str) -> tuple[str, ...]:
        hit = tuple(c for c in self.kb.concepts_for_code(system, code) if self._kind(c) == kind)
        self._code_cache[(system, code, kind)] = hit
        return hit

    def _texts(self, cc: object) -> list[str]:
        d = _dict(cc)
        texts: list[str] = []
        t = _str(d.get("text"))
        if t and t.strip():
            texts.append(t)
        for coding in _list(d.get("coding")):
            disp = _str(_dict(coding).get("display"))
            if disp and disp.strip() and disp not in texts:
                texts.append(disp)
        return texts

    @staticmethod
    def _display(cc: object) -> str:
        """The first of `_texts(cc)`, or ""."""
        if not isinstance(cc, dict):
            return ""
        t = cc.get("text")
        if isinstance(t, str) and t.strip():
            return t
        for coding in _list(cc.get("coding")):
            disp = coding.get("display") if isinstance(coding, dict) else None
            if isinstance(disp, str) and disp.strip():
                return disp
        return ""

    def _text_concepts(self, text: str, kind: str) -> list[str]:
        hit = self._text_cache.get((text, kind))
        if hit is None:
            hit = tuple(concepts_in_text(self.kb, text, kind))
            self._text_cache[(text, kind)] = hit
        return list(hit)

    def _match(self, cc: object, kind: str, source: str, *, allow_text: bool = True) \
            -> tuple[list[str], MatchedBy]:
        ids = self._codes(cc, kind)
        if ids or not allow_text:
            return ids, "code"
        return self._match_text(cc, kind, source)

    def _match_text(self, cc: object, kind: str, source: str) -> tuple[list[str], MatchedBy]:
        for text in self._texts(cc):
            found = self._text_concepts(text, kind)
            if found:
                for c in found:
                    self.text_matches.append(TextMatch(c, source, text))
                return found, "text"
        return [], "code"

    def _unusable(self, source: str, field: str, reason: str, concept: str | None = None) -> None:
        self.unusable.append(UnusableValue(source, field, reason, concept))

    def _date(self, value: object) -> date:
        """parse_fhir_date(value), each distinct string parsed once per record."""
        if isinstance(value, str):
            d = self._dates.get(value)
            if d is None:
                d = self._dates[value] = parse_fhir_date(value)
            return d
        return parse_fhir_date(value)

    def _date_field(self, value: object, source: str, field: str, concept: str | None,
                    *, future_ok: bool = False) -> tuple[date | None, bool]:
        """(date, ok): ok is False when the value was present but unusable (already recorded)."""
        if value is None:
            return None, True
        try:
            d = self._date(value)
        except _BadDate as exc:
            self._unusable(source, field, str(exc), concept)
            return None, False
        if not future_ok and d > self.as_of:
            self._unusable(source, field, f"dated {d.isoformat()}, after the assessment date "
                                          f"{self.as_of.isoformat()}", concept)
            return None, False
        return d, True

    # --- Patient ------------------------------------------------------------------------------------------

    def _facts(self, patient: dict[str, Any]) -> PatientFacts:
        pid = self.patient_id
        source = f"Patient/{pid}" if pid else "Patient"
        gender = patient.get("gender")
        sex: Sex = gender if gender in ("female", "male", "other", "unknown") else "unknown"
        if sex in ("unknown", "other"):
            sex = _us_core_sex(patient) or sex
        birth: date | None = None
        raw_birth = patient.get("birthDate")
        if raw_birth is not None:
            try:
                birth = parse_fhir_date(raw_birth, full=True)
            except _BadDate as exc:
                if isinstance(raw_birth, str) and re.fullmatch(r"\d{4}(-\d{2})?", raw_birth.strip()):
                    self._unusable(source, "birthDate", f"{exc}: age cannot be computed exactly")
                else:
                    raise self._error("birthDate is not a valid date", resource="Patient",
                                      field="birthDate") from None
            if birth is not None:
                if birth > self.as_of:
                    raise self._error(f"birthDate is after the assessment date {self.as_of.isoformat()}",
                                      resource="Patient", field="birthDate")
                age = self.as_of.year - birth.year - ((self.as_of.month, self.as_of.day) < (birth.month, birth.day))
                if age > MAX_AGE_YEARS:
                    raise self._error(f"birthDate gives an age over {MAX_AGE_YEARS} years", resource="Patient",
                                      field="birthDate")
        deceased = patient.get("deceasedBoolean") is True or patient.get("deceasedDateTime") is not None
        deceased_date: date | None = None
        if patient.get("deceasedDateTime") is not None:
            try:
                deceased_date = parse_fhir_date(patient["deceasedDateTime"])
            except _BadDate:
                self._unusable(source, "deceasedDateTime", "not a date: the date of death is not known")

        smoking = self.smoking[2] if self.smoking else (self.smoking_condition or SmokingFact("unknown"))
        if smoking.status == "never" and self.ever_smoked is not None and smoking.source:
            # "Never smoked" after a recorded smoking history contradicts it: the history is kept (EMA: past
            # smokers count) and the contradicting answer is reported, not silently believed.
            self._unusable(smoking.source, "valueCodeableConcept",
                           f"says never smoked, but {self.ever_smoked.source} records a "
                           f"{self.ever_smoked.status} smoker; the smoking history is kept", "smoking-status")
            smoking = SmokingFact("former", self.ever_smoked.source, self.ever_smoked.effective)
        pregnant = self.pregnant[2] if self.pregnant else StatedFact(Tri.UNKNOWN)
        return PatientFacts(
            patient_id=pid,
            as_of=self.as_of,
            birth_date=birth,
            sex=sex,
            deceased=deceased,
            deceased_date=deceased_date,
            name=patient_name(patient),
            identifiers=patient_identifiers(patient),
            conditions=tuple(self.conditions),
            labs=tuple(self.labs),
            results=tuple(self.results),
            medications=tuple(self.medications),
            immunizations=tuple(self.immunizations),
            smoking=smoking,
            pregnant=pregnant,
            lactating=self.lactating or StatedFact(Tri.UNKNOWN),
            child_pugh=self.child_pugh[2] if self.child_pugh else None,
            child_pugh_source=self.child_pugh[1] if self.child_pugh else None,
            unusable=tuple(self.unusable),
            text_matches=tuple(self.text_matches),
            patient_source=source,
            race=_race(patient),
        )

    # --- Condition ----------------------------------------------------------------------------------------

    def _condition(self, res: dict[str, Any], source: str) -> None:
        verification = self._status_code(res.get("verificationStatus"))
        if verification in _CONDITION_SKIP:
            return
        ids, matched_by = self._match(res.get("code"), "condition", source)
        if not ids:
            return
        self._check_subject(res, source, "subject")
        first = ids[0]
        onset, _ = self._date_field(_period_start(res, "onset"), source, _which(res, "onset"), first)
        abatement, _ = self._date_field(_period_start(res, "abatement"), source, _which(res, "abatement"),
                                        first, future_ok=True)
        clinical = self._status_code(res.get("clinicalStatus"))
        if clinical is None:
            active = abatement is None or abatement > self.as_of
        else:
            active = clinical in _CONDITION_ACTIVE and (abatement is None or abatement > self.as_of)
        display = self._display(res.get("code"))
        for cid in ids:
            self.conditions.append(ConditionFact(cid, source, display, active, onset, abatement, matched_by))
            if not active:
                continue
            if cid == "pregnancy":
                self._set_pregnant(onset or date.min, 1, StatedFact(Tri.PRESENT, source, onset))
            elif cid == "lactation":
                self.lactating = StatedFact(Tri.PRESENT, source, onset)
            elif cid == "tobacco-smoker":
                self.smoking_condition = SmokingFact("current", source, onset)
            elif cid == "ex-smoker" and (self.smoking_condition is None
                                         or self.smoking_condition.status != "current"):
                self.smoking_condition = SmokingFact("former", source, onset)

    @staticmethod
    def _status_code(cc: object) -> str | None:
        for coding in _list(_dict(cc).get("coding")):
            code = _str(_dict(coding).get("code"))
            if code:
                return code
        return None

    # --- Observation --------------------------------------------------------------------------------------

    def _observation(self, res: dict[str, Any], source: str) -> None:
        status = res.get("status")
        if isinstance(status, str) and status in _OBSERVATION_SKIP:
            return
        code = res.get("code")
        # self._match(code, "observation", source, allow_text=<no coding from a standard system>), in one pass
        # over the codings: most Observations of a record are standard-coded tests no rule reads.
        ids: list[str] = []
        allow_text = True
        codings = code.get("coding") if isinstance(code, dict) else None
        if isinstance(codings, list):
            cache = self._code_cache
            for coding in codings:
                if not isinstance(coding, dict):
                    continue
                system = coding.get("system")
                if not isinstance(system, str):
                    continue
                if system in _STANDARD_OBSERVATION_SYSTEMS:
                    allow_text = False
                code_value = coding.get("code")
                if not isinstance(code_value, str):
                    continue
                hit = cache.get((system, code_value, "observation"))
                if hit is None:
                    hit = self._lookup_code(system, code_value, "observation")
                for cid in hit:
                    if cid not in ids:
                        ids.append(cid)
        if not ids and allow_text:
            ids, _ = self._match_text(code, "observation", source)
        components: list[tuple[str, dict[str, Any], int]] = []
        comps = res.get("component")
        if comps is not None:
            for i, comp in enumerate(_list(comps)):
                for cid in self._codes(_dict(comp).get("code"), "observation"):
                    if cid in _COMPONENT_CONCEPTS and cid not in ids:
                        components.append((cid, _dict(comp), i))
        if not ids and not components:
            return
        subject = res.get("subject")
        ref = subject.get("reference") if isinstance(subject, dict) else None
        if subject is not None and not (isinstance(ref, str) and ref in self.patient_refs):
            self._check_subject(res, source, "subject")
        raw_date, field = _effective(res)
        problem: str | None = None
        effective = date.min
        if raw_date is None:
            problem = "no effective date or issued time"
        else:
            try:
                effective = self._date(raw_date)
            except _BadDate as exc:
                problem = str(exc)
            else:
                if effective > self.as_of:
                    problem = (f"dated {effective.isoformat()}, after the assessment date "
                               f"{self.as_of.isoformat()}")
        if problem is not None:
            for cid in ids + [c[0] for c in components]:
                self._unusable(source, field, problem, cid)
            return
        result_status = status if isinstance(status, str) else None
        for cid in ids:
            self._observation_value(res, source, cid, effective, "", result_status)
        for cid, comp, i in components:
            self._observation_value(comp, source, cid, effective, f"component[{i}].", result_status)

    def _observation_value(self, res: dict[str, Any], source: str, cid: str, effective: date,
                           prefix: str, status: str | None = None) -> None:
        concept = self._concept(cid)
        if concept is None:
            return
        if cid in _CODED_OBSERVATIONS:
            if cid == "smoking-status":
                self._smoking(res, source, effective, prefix)
            elif cid == "pregnancy-status":
                self._pregnancy_status(res, source, effective, prefix)
            else:
                self._child_pugh(res, source, effective, prefix)
            return
        provisional = status in _OBSERVATION_PROVISIONAL
        if concept.unit and (res.get("valueQuantity") is not None or not _QUALITATIVE_OK.get(cid)):
            if provisional:
                self._unusable(source, "status", f"the result is {status}, not final: a number is used only once "
                                                 "the result is final", cid)
                return
            self._quantity(res, source, cid, concept.unit, effective, prefix, status)
            return
        result, original = self._qualitative(res)
        if result is None:
            reason = self._absent_reason(res) or "no recognised positive/negative result"
            self._unusable(source, prefix + "value[x]", reason, cid)
            return
        if provisional and result != "positive":
            self._unusable(source, "status", f"the result ({original}) is {status}, not final: a {result} result "
                                             "counts only once final", cid)
            return
        if provisional or status in _OBSERVATION_REVISED:
            original = f"{original} ({status})"
        self.results.append(CodedResult(cid, result, effective, source, original))
        if cid == "pregnancy-test" and result != "indeterminate":
            state = Tri.PRESENT if result == "positive" else Tri.ABSENT
            self._set_pregnant(effective, 2, StatedFact(state, source, effective))

    def _child_pugh(self, res: dict[str, Any], source: str, effective: date, prefix: str) -> None:
        """Child-Pugh class from a class letter ("B", "Class B", "Child-Pugh C") or a total score (5-15)."""
        cls = child_pugh_class(res)
        if cls is None:
            self._unusable(source, prefix + "value[x]", "Child-Pugh class not recognised (expected A, B, C or a "
                           "score from 5 to 15)", "child-pugh")
            return
        if self.child_pugh is None or (effective, source) >= self.child_pugh[:2]:
            self.child_pugh = (effective, source, cls)

    def _systemic_only(self, concept_id: str) -> bool:
        concept = self._concept(concept_id)
        return concept is not None and bool(_SYSTEMIC_CLASSES & set(concept.classes))

    @staticmethod
    def _absent_reason(res: dict[str, Any]) -> str | None:
        dar = res.get("dataAbsentReason")
        if dar is None:
            return None
        codes = [c.get("code") for c in _list(_dict(dar).get("coding")) if isinstance(c, dict)]
        return f"no value (dataAbsentReason: {next((c for c in codes if isinstance(c, str)), 'given')})"

    def _quantity(self, res: dict[str, Any], source: str, cid: str, unit: str, effective: date,
                  prefix: str, status: str | None = None) -> None:
        vq = res.get("valueQuantity")
        if vq is None and unitless_ok(cid) and _num(res.get("valueInteger")) is not None:
            vq = {"value": res["valueInteger"]}  # a joint count or score sent as an integer
        if not isinstance(vq, dict):
            reason = self._absent_reason(res)
            if reason is None:
                present = [k for k in res if k.startswith("value")]
                reason = f"{present[0]} is not a quantity" if present else "no value"
            self._unusable(source, prefix + "valueQuantity", reason, cid)
            return
        raw_value = vq.get("value")
        value = _num(raw_value)
        if value is None:
            self._unusable(source, prefix + "valueQuantity.value", "missing or not a number", cid)
            return
        comparator = vq.get("comparator")
        code, text = _str(vq.get("code")), _str(vq.get("unit"))
        original = f"{raw_value} {code or text or ''}".strip()
        if comparator is not None:
            self._unusable(source, prefix + "valueQuantity.comparator",
                           f"value is a bound ({comparator}{original}), not a measurement", cid)
            return
        try:
            canonical = _convert_quantity(to_canonical, cid, value, code, text, unit)
        except UnitProblem as exc:
            self._unusable(source, prefix + "valueQuantity.unit" if not _is_range(exc) else
                           prefix + "valueQuantity.value", exc.reason, cid)
            return
        high: float | None = None
        ranges = res.get("referenceRange")
        for rr in _list(ranges)[:1]:
            hq = _dict(rr).get("high")
            if isinstance(hq, dict) and _num(hq.get("value")) is not None:
                hv = _num(hq.get("value"))
                assert hv is not None
                h_code, h_text = _str(hq.get("code")), _str(hq.get("unit"))
                if h_code is None and h_text is None:  # a bare number is in the value's unit
                    h_code, h_text = code, text
                try:
                    high = _convert_quantity(convert, cid, hv, h_code, h_text, unit)
                except UnitProblem as exc:
                    self._unusable(source, prefix + "referenceRange[0].high", exc.reason, cid)
        if status in _OBSERVATION_REVISED:
            original = f"{original} ({status})"
        self.labs.append(LabValue(cid, canonical, unit, effective, source, original, high))

    def _answer_ids(self, res: dict[str, Any]) -> tuple[list[str], str]:
        cc = res.get("valueCodeableConcept")
        ids = self._codes(cc, "answer")
        display = self._display(cc)
        if not ids:
            texts = self._texts(cc)
            vs = _str(res.get("valueString"))
            if vs:
                texts.append(vs)
                display = display or vs
            for text in texts:
                ids = self._text_concepts(text, "answer")
                if ids:
                    break
        return ids, display

    def _qualitative(self, res: dict[str, Any]) -> tuple[ResultValue | None, str]:
        ids, display = self._answer_ids(res)
        results = {_RESULT_ANSWERS[c] for c in ids if c in _RESULT_ANSWERS}
        if len(results) == 1:
            return results.pop(), display
        if len(results) > 1:
            return None, display
        for interp in _list(res.get("interpretation")):
            for coding in _list(_dict(interp).get("coding")):
                code = _str(_dict(coding).get("code"))
                if code in _INTERPRETATION:
                    return _INTERPRETATION[code], display or f"interpretation {code}"
        return None, display

    def _smoking(self, res: dict[str, Any], source: str, effective: date, prefix: str) -> None:
        ids, _ = self._answer_ids(res)
        statuses = {_SMOKING_ANSWERS[c] for c in ids if c in _SMOKING_ANSWERS}
        if not statuses:
            self._unusable(source, prefix + "valueCodeableConcept",
                           self._absent_reason(res) or "smoking status answer not recognised", "smoking-status")
            return
        status = max(statuses, key=lambda s: _SMOKING_SEVERITY[s])
        fact = SmokingFact(status, source, effective)
        rank = _SMOKING_SEVERITY[status]
        if status == "unknown":
            if self.smoking is None:
                self.smoking = (date.min, 0, fact)
            return
        if status in ("current", "former") and (
                self.ever_smoked is None or effective > (self.ever_smoked.effective or date.min)):
            self.ever_smoked = fact
        if self.smoking is None or (effective, rank) >= self.smoking[:2]:
            self.smoking = (effective, rank, fact)

    def _pregnancy_status(self, res: dict[str, Any], source: str, effective: date, prefix: str) -> None:
        cc = res.get("valueCodeableConcept")
        states: set[Tri] = set()
        for coding in _list(_dict(cc).get("coding")):
            system, code = _str(_dict(coding).get("system")), _str(_dict(coding).get("code"))
            if system is None or code is None:
                continue
            for cid in self.kb.concepts_for_code(system, code):
                if cid in ("pregnancy", "result-positive"):
                    states.add(Tri.PRESENT)
                elif cid == "result-negative":
                    states.add(Tri.ABSENT)
            fixed = _PREGNANCY_ANSWERS.get((system.rstrip("/"), code.strip()))
            if fixed is not None:
                states.add(fixed)
        known = states - {Tri.UNKNOWN}
        if len(known) != 1:
            reason = "conflicting pregnancy status answers" if known else (
                self._absent_reason(res) or "pregnancy status answer not recognised")
            if states == {Tri.UNKNOWN}:
                return  # an explicit "unknown" answer is not unusable; it just tells nothing
            self._unusable(source, prefix + "valueCodeableConcept", reason, "pregnancy-status")
            return
        state = known.pop()
        self._set_pregnant(effective, 2, StatedFact(state, source, effective))

    def _set_pregnant(self, when: date, rank: int, fact: StatedFact) -> None:
        key = (when, rank + (1 if fact.state is Tri.PRESENT else 0))
        if self.pregnant is None or key >= self.pregnant[:2]:
            self.pregnant = (key[0], key[1], fact)

    # --- Medications --------------------------------------------------------------------------------------

    def _medication(self, res: dict[str, Any], source: str) -> None:
        status = _str(res.get("status")) or "unknown"
        if status == "entered-in-error":
            return
        cc: object = res.get("medicationCodeableConcept")
        field = "medicationCodeableConcept"
        if cc is None and "medicationReference" in res:
            field = "medicationReference"
            ref_obj = _dict(res.get("medicationReference"))
            ref = _str(ref_obj.get("reference"))
            med = self._resolve_medication(res, ref) if ref else None
            if med is not None:
                cc = med.get("code")
            elif _str(ref_obj.get("display")):
                cc = {"text": ref_obj["display"]}
            else:
                cc = None
        ids, matched_by = self._match(cc, "medication", source)
        if matched_by == "text" and _LOCAL_FORM.search(" ".join(self._texts(cc)).lower()):
            # A product recognised from its text only, in a local form (cream, inhaler, eye drops...), is not a
            # systemic glucocorticoid or immunosuppressant: it is not counted as one.
            ids = [i for i in ids if not self._systemic_only(i)]
            self.text_matches[:] = [t for t in self.text_matches if t.source != source or t.concept in ids]
        if not ids:
            if field == "medicationReference" and cc is None:
                self._check_subject(res, source, "subject")
                self._unusable(source, field, "medication reference does not resolve to a Medication")
            return
        self._check_subject(res, source, "subject")
        display = self._display(cc)
        (start_raw, start_field), (end_raw, end_field) = _medication_period(res)
        start, _ = self._date_field(start_raw, source, start_field, ids[0], future_ok=True)
        end, _ = self._date_field(end_raw, source, end_field, ids[0], future_ok=True)
        current = (status in _MEDICATION_CURRENT and (end is None or end >= self.as_of)
                   and (start is None or start <= self.as_of))
        daily = _daily_dose_mg(res, cc) if len(ids) == 1 else None
        for cid in ids:
            concept = self._concept(cid)
            if concept is None:
                continue
            classes = tuple(concept.classes)
            pred: float | None = None
            if daily is not None and "glucocorticoid" in classes and concept.prednisone_equivalence is not None:
                pred = daily * concept.prednisone_equivalence
            self.medications.append(MedicationFact(cid, classes, source, display, status, current, start, end,
                                                   daily, pred, matched_by))

    def _resolve_medication(self, res: dict[str, Any], ref: str) -> dict[str, Any] | None:
        if ref.startswith("#"):
            for c in _list(res.get("contained")):
                if isinstance(c, dict) and c.get("resourceType") == "Medication" and c.get("id") == ref[1:]:
                    return c
            return None
        hit = self.medication_index.get(ref)
        if hit is None:
            m = re.search(r"(?:^|/)(Medication/[^/]+?)(?:/_history/[^/]*)?$", ref)
            if m:
                hit = self.medication_index.get(m.group(1))
        return hit

    # --- Immunization -------------------------------------------------------------------------------------

    def _immunization(self, res: dict[str, Any], source: str) -> None:
        if res.get("status") != "completed":
            return
        ids, _ = self._match(res.get("vaccineCode"), "vaccine", source)
        if not ids:
            return
        self._check_subject(res, source, "patient")
        raw = res.get("occurrenceDateTime")
        if raw is None:
            field = "occurrenceString" if "occurrenceString" in res else "occurrence[x]"
            for cid in ids:
                self._unusable(source, field, "no usable occurrence date", cid)
            return
        when, _ = self._date_field(raw, source, "occurrenceDateTime", ids[0])
        if when is None:
            return
        display = self._display(res.get("vaccineCode"))
        for cid in ids:
            concept = self._concept(cid)
            if concept is None:
                continue
            self.immunizations.append(ImmunizationFact(cid, bool(concept.live), when, source, display))


_HANDLERS = {
    "Condition": _Reader._condition,
    "Observation": _Reader._observation,
    "MedicationRequest": _Reader._medication,
    "MedicationStatement": _Reader._medication,
    "Immunization": _Reader._immunization,
}


# ---------------------------------------------------------------------------------------------- helpers

_SHARED_CACHE_MAX = 200_000


def _shared_cache(knowledge: Terminology, name: str) -> dict[Any, Any]:
    """A look-up cache kept on the knowledge object (`Knowledge.memo`) so that it lives as long as the release
    and serves every patient; a fresh dict for a Terminology without one. Cleared when it grows too large."""
    memo = getattr(knowledge, "memo", None)
    if not isinstance(memo, dict):
        return {}
    cache = memo.get(name)
    if cache is None or len(cache) > _SHARED_CACHE_MAX:
        cache = memo[name] = {}
    return cast(dict[Any, Any], cache)


_US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
_OMB_WHITE, _OMB_BLACK = "2106-3", "2054-5"  # CDC Race & Ethnicity code system (urn:oid:2.16.840.1.113883.6.238)
_OMB_CATEGORIES = frozenset({"1002-5", "2028-9", _OMB_BLACK, "2076-8", _OMB_WHITE})


# US Core sex extensions: us-core-sex (STU6, valueCode) and us-core-individual-sex (STU7+, valueCoding), both with
# SNOMED CT 248152002 Female / 248153007 Male; us-core-birthsex (valueCode F / M) in earlier versions.
_US_CORE_SEX_URLS = frozenset({
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-sex",
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-individual-sex",
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
})
_SEX_CODES: dict[str, Sex] = {"248152002": "female", "248153007": "male", "F": "female", "M": "male"}


def _us_core_sex(patient: dict[str, Any]) -> Sex | None:
    """Female or male from the US Core sex extensions when `gender` does not say it: used for the renal equations
    and the risk scores. None when absent, not female/male, or when the extensions disagree."""
    found: set[Sex] = set()
    for ext in _list(patient.get("extension")):
        e = _dict(ext)
        if e.get("url") not in _US_CORE_SEX_URLS:
            continue
        code = _str(e.get("valueCode")) or _str(_dict(e.get("valueCoding")).get("code"))
        if code in _SEX_CODES:
            found.add(_SEX_CODES[code])
    return found.pop() if len(found) == 1 else None


def _race(patient: dict[str, Any]) -> Race | None:
    """Race for the Pooled Cohort Equations from the US Core race extension: one OMB category White or Black or
    African American; any other single OMB category is "other" (the PCE then use the White equations, and say
    so). None when absent, unrecognised or when several categories are given (the PCE have no rule for them)."""
    cats: set[str] = set()
    for ext in _list(patient.get("extension")):
        if _dict(ext).get("url") != _US_CORE_RACE:
            continue
        for sub in _list(_dict(ext).get("extension")):
            if _dict(sub).get("url") == "ombCategory":
                code = _str(_dict(_dict(sub).get("valueCoding")).get("code"))
                if code in _OMB_CATEGORIES:
                    cats.add(code)
    if len(cats) != 1:
        return None
    (only,) = cats
    return "white" if only == _OMB_WHITE else "african-american" if only == _OMB_BLACK else "other"


def _is_range(exc: UnitProblem) -> bool:
    return isinstance(exc, ImplausibleValue)


def _convert_quantity(fn: Callable[[str, float, str | None, str], float], cid: str, value: float, code: str | None,
                      text: str | None, unit: str) -> float:
    """`fn` (to_canonical or convert) on a Quantity's value: by its UCUM code, and by its unit text when the code
    is refused for its unit (not for its value) and the text differs."""
    if code is not None and code != text:
        try:
            return fn(cid, value, code, unit)
        except UnitProblem as exc:
            if text is None or _is_range(exc):
                raise
    return fn(cid, value, text if text is not None else code, unit)


def _which(res: dict[str, Any], prefix: str) -> str:
    for suffix in ("DateTime", "Period", "String", "Age", "Range"):
        if prefix + suffix in res:
            return prefix + suffix + (".start" if suffix == "Period" else "")
    return prefix + "[x]"


def _period_start(res: dict[str, Any], prefix: str) -> object:
    """onsetDateTime / onsetPeriod.start (or the abatement equivalents); string/age/range forms give None."""
    if prefix + "DateTime" in res:
        return res[prefix + "DateTime"]
    if prefix + "Period" in res:
        return _dict(res[prefix + "Period"]).get("start")
    return None


def _effective(res: dict[str, Any]) -> tuple[object, str]:
    if "effectiveDateTime" in res:
        return res["effectiveDateTime"], "effectiveDateTime"
    if "effectivePeriod" in res:
        start = _dict(res["effectivePeriod"]).get("start")
        if start is not None:
            return start, "effectivePeriod.start"
    if "effectiveInstant" in res:
        return res["effectiveInstant"], "effectiveInstant"
    if "issued" in res:
        return res["issued"], "issued"
    return None, "effective[x]"


def _medication_period(res: dict[str, Any]) -> tuple[tuple[object, str], tuple[object, str]]:
    """((start, field), (end, field)): dosage boundsPeriod, then MedicationStatement.effective[x], then
    dispenseRequest.validityPeriod, then authoredOn for the start."""
    start: tuple[object, str] = (None, "")
    end: tuple[object, str] = (None, "")
    key = "dosage" if res.get("resourceType") == "MedicationStatement" else "dosageInstruction"
    for i, di in enumerate(_list(res.get(key))):
        bounds = _dict(_dict(_dict(_dict(di).get("timing")).get("repeat")).get("boundsPeriod"))
        field = f"{key}[{i}].timing.repeat.boundsPeriod"
        if start[0] is None and bounds.get("start") is not None:
            start = (bounds["start"], field + ".start")
        if end[0] is None and bounds.get("end") is not None:
            end = (bounds["end"], field + ".end")
    if res.get("resourceType") == "MedicationStatement":
        period = _dict(res.get("effectivePeriod"))
        if start[0] is None and period.get("start") is not None:
            start = (period["start"], "effectivePeriod.start")
        if end[0] is None and period.get("end") is not None:
            end = (period["end"], "effectivePeriod.end")
        if start[0] is None and res.get("effectiveDateTime") is not None:
            start = (res["effectiveDateTime"], "effectiveDateTime")
    validity = _dict(_dict(res.get("dispenseRequest")).get("validityPeriod"))
    if start[0] is None and validity.get("start") is not None:
        start = (validity["start"], "dispenseRequest.validityPeriod.start")
    if end[0] is None and validity.get("end") is not None:
        end = (validity["end"], "dispenseRequest.validityPeriod.end")
    if start[0] is None and res.get("authoredOn") is not None:
        start = (res["authoredOn"], "authoredOn")
    return start, end


def _strength_mg(cc: object) -> float | None:
    """Per-unit strength from a single-ingredient solid oral form display, e.g. "predniSONE 5 MG Oral Tablet"."""
    d = _dict(cc)
    texts = [_str(_dict(c).get("display")) for c in _list(d.get("coding"))] + [_str(d.get("text"))]
    found: set[float] = set()
    for t in texts:
        if not t or not _SOLID_FORM.search(t):
            continue
        strengths = _STRENGTH.findall(t)
        if len(strengths) != 1 or strengths[0][1]:
            return None  # several ingredients, or a per-volume strength (MG/ML)
        found.add(float(strengths[0][0]))
    return found.pop() if len(found) == 1 else None


def _daily_dose_mg(res: dict[str, Any], cc: object) -> float | None:
    doses = []
    for di in _list(res.get("dosageInstruction")) + _list(res.get("dosage")):
        di = _dict(di)
        for dr in _list(di.get("doseAndRate")):
            dq = _dict(dr).get("doseQuantity")
            if isinstance(dq, dict):
                doses.append((di, dq))
    if len(doses) != 1:
        return None
    di, dq = doses[0]
    if di.get("asNeededBoolean") is True or "asNeededCodeableConcept" in di:
        return None
    value = _num(dq.get("value"))
    if value is None or value <= 0:
        return None
    unit = (_str(dq.get("code")) or _str(dq.get("unit")) or "").strip()
    if unit in _MG_PER_UNIT:
        per_dose = value * _MG_PER_UNIT[unit]
    elif unit in _DOSE_FORM_UNITS:
        strength = _strength_mg(cc)
        if strength is None:
            return None
        per_dose = value * strength
    else:
        return None
    per_day = _per_day(_dict(di.get("timing")))
    return None if per_day is None else per_dose * per_day


def _per_day(timing: dict[str, Any]) -> float | None:
    repeat = timing.get("repeat")
    if isinstance(repeat, dict) and ("frequency" in repeat or "period" in repeat):
        freq = _num(repeat.get("frequency", 1))
        period = _num(repeat.get("period", 1))
        unit = repeat.get("periodUnit", "d")
        if freq is None or period is None or period <= 0 or freq <= 0 or not isinstance(unit, str) \
                or unit not in _PERIOD_DAYS:
            return None
        return freq / (period * _PERIOD_DAYS[unit])
    for coding in _list(_dict(timing.get("code")).get("coding")):
        code = _str(_dict(coding).get("code"))
        if code in _TIMING_CODES:
            return _TIMING_CODES[code]
    return None


def iter_patient_bundles(folder: Path) -> Iterator[Path]:
    """JSON files in a folder that are not Synthea's shared hospital/practitioner/group bundles."""
    for p in sorted(folder.glob("*.json")):
        if not p.name.startswith(("hospitalInformation", "practitionerInformation", "groupInformation")):
            yield p


_CP_LETTER = re.compile(r"(?:^|[^a-z])(?:class|child[- ]?pugh|grade)?\s*([abc])\s*$")


def child_pugh_class(res: dict[str, Any]) -> Literal["A", "B", "C"] | None:
    """Child-Pugh class from an Observation value: a letter (string or coded text) or a total score 5-15
    (A 5-6, B 7-9, C 10-15, Pugh 1973)."""
    score = res.get("valueInteger")
    if score is None:
        score = _num(_dict(res.get("valueQuantity")).get("value"))
    if isinstance(score, int | float) and not isinstance(score, bool):
        if 5 <= score <= 6:
            return "A"
        if 7 <= score <= 9:
            return "B"
        if 10 <= score <= 15:
            return "C"
        return None
    texts = [_str(res.get("valueString"))]
    cc = _dict(res.get("valueCodeableConcept"))
    texts.append(_str(cc.get("text")))
    texts += [_str(_dict(c).get("display")) or _str(_dict(c).get("code")) for c in _list(cc.get("coding"))]
    for t in texts:
        if t:
            m = _CP_LETTER.search(t.strip().lower())
            if m:
                return cast(Literal["A", "B", "C"], m.group(1).upper())
    return None
