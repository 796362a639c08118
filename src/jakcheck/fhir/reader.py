"""Read a FHIR R4 patient record (Bundle, list of resources, Patient, CDS Hooks prefetch) into PatientFacts.

The entry point of the reader; each job lives in its own module:
`decode` (bytes to JSON: size limits, UTF-8, errors with line and column), `containers` (Bundle, list,
prefetch and hook request unpacking; the one Patient; subject and Medication references), `coding` (codes
and text to concepts), `record` (what is gathered while one record is read), `mappers` (one module per
resource type), `dosage` (daily dose and medication periods) and `fields` (typed access to plain dicts, FHIR
dates).

One pass over the resources, plain dicts from orjson, no model objects per resource. Only the resource
types rules read are looked at (`MAPPED_TYPES`, and Medication for references); everything else is ignored.

Guarantees:
* Any input gives either PatientFacts or an InputError; malformed parts of a resource never raise anything
  else. A value that belongs to a known concept but cannot be used (unit, range, date) becomes an
  UnusableValue, so nothing a rule could read disappears silently.
* Every clinical resource must be about the one Patient in the document (see `containers`).
* The reader does not log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from jakcheck.fhir.containers import REFERABLE, RecordIndex, Resources, find_patient, referable, unpack
from jakcheck.fhir.decode import DEFAULT_MAX_BYTES, decode_text, parse_json, read_bytes
from jakcheck.fhir.mappers.conditions import read_condition
from jakcheck.fhir.mappers.immunizations import read_immunization
from jakcheck.fhir.mappers.medications import read_medication
from jakcheck.fhir.mappers.observations import read_observation
from jakcheck.fhir.mappers.patients import patient_facts
from jakcheck.fhir.mappers.procedures import read_procedure
from jakcheck.fhir.record import Record
from jakcheck.patient.card import parse_yaml, read_card
from jakcheck.patient.facts import PatientFacts
from jakcheck.patient.terminology import Terminology

Mapper = Callable[[Record, dict[str, Any], str], None]
# The resource types mapped to facts, each by its own mapper.
MAPPERS: dict[str, Mapper] = {
    "Condition": read_condition,
    "Observation": read_observation,
    "MedicationRequest": read_medication,
    "MedicationStatement": read_medication,
    "Immunization": read_immunization,
    "Procedure": read_procedure,
}
# Every resource type the reader looks at: the mapped ones and those they refer to.
READ_TYPES = frozenset(MAPPERS) | REFERABLE


def read_file(path: str | Path, *, as_of: date, knowledge: Terminology,
              max_bytes: int = DEFAULT_MAX_BYTES) -> PatientFacts:
    """Read a FHIR JSON document or a patient card (YAML, or JSON with a top-level "patient" object)."""
    p = Path(path)
    name = str(path)
    data = read_bytes(p, name, max_bytes)
    if p.suffix.lower() in (".yaml", ".yml"):
        # A YAML file is a patient card, unless it holds a FHIR resource written as YAML.
        obj = parse_yaml(decode_text(data, name), source_name=name)
        if isinstance(obj, dict) and "resourceType" in obj:
            return read_document(obj, source_name=name, as_of=as_of, knowledge=knowledge)
        return read_card(obj, source_name=name, as_of=as_of, knowledge=knowledge)
    return read_json_text(data, source_name=name, as_of=as_of, knowledge=knowledge)


def read_json_text(text: str | bytes, *, source_name: str, as_of: date, knowledge: Terminology,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> PatientFacts:
    """Parse JSON text (str or UTF-8 bytes) and read it with `read_document`."""
    obj = parse_json(text, source_name=source_name, max_bytes=max_bytes)
    return read_document(obj, source_name=source_name, as_of=as_of, knowledge=knowledge)


def read_document(obj: object, *, source_name: str, as_of: date, knowledge: Terminology) -> PatientFacts:
    """Read a parsed JSON document: Bundle, list of resources, single resource, CDS Hooks prefetch or
    hook request, or a patient card (a dict whose "patient" member is an object without resourceType)."""
    if isinstance(obj, dict) and "resourceType" not in obj and isinstance(obj.get("patient"), dict) \
            and "resourceType" not in obj["patient"]:
        return read_card(obj, source_name=source_name, as_of=as_of, knowledge=knowledge)
    unpacked = unpack(obj, source_name)
    return _read(unpacked.resources, unpacked.referable, unpacked.context_patient, source_name, as_of, knowledge)


def read_resources(resources: Resources, *, source_name: str, as_of: date, knowledge: Terminology) -> PatientFacts:
    """Read one patient's resources, already unpacked: (resource, fullUrl or None) pairs in document order, each
    a dict whose resourceType is a string other than Bundle (what `read_document` makes of a Bundle's entries
    before reading them; the population screen builds this list itself)."""
    return _read(resources, referable(resources), None, source_name, as_of, knowledge)


def _read(resources: Resources, refs: Resources, context_patient: str | None, source_name: str, as_of: date,
          knowledge: Terminology) -> PatientFacts:
    patient = find_patient(refs, context_patient, source_name)
    record = Record(source_name, as_of, knowledge, RecordIndex(refs, patient, source_name))
    for n, (res, full_url) in enumerate(resources):
        rtype = res["resourceType"]
        mapper = MAPPERS.get(rtype)
        if mapper is None:
            continue
        rid = res.get("id")
        source = f"{rtype}/{rid}" if isinstance(rid, str) and rid else (full_url or f"{rtype}#{n}")
        mapper(record, res, source)
    return patient_facts(record, patient)
