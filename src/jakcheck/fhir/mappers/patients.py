"""Patient -> the demographic Patient Facts (birth date, sex, race, deceased), and the end of a record's reading:
the facts gathered by the other mappers put together as PatientFacts."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from jakcheck.fhir.fields import BadDate, as_dict, as_list, as_str, parse_fhir_date
from jakcheck.fhir.record import Record
from jakcheck.patient.facts import PatientFacts, PatientIdentifier, Race, Sex, SmokingFact, StatedFact, Tri

MAX_AGE_YEARS = 130

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


def patient_facts(r: Record, patient: dict[str, Any]) -> PatientFacts:
    """The record's Patient Facts: the Patient resource's demographics with everything `r` has gathered. A birth
    date after the assessment date or giving an age over MAX_AGE_YEARS is an InputError."""
    pid = r.index.patient_id
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
        except BadDate as exc:
            if isinstance(raw_birth, str) and re.fullmatch(r"\d{4}(-\d{2})?", raw_birth.strip()):
                r.add_unusable(source, "birthDate", f"{exc}: age cannot be computed exactly")
            else:
                raise r.error("birthDate is not a valid date", resource="Patient", field="birthDate") from None
        if birth is not None:
            if birth > r.as_of:
                raise r.error(f"birthDate is after the assessment date {r.as_of.isoformat()}",
                              resource="Patient", field="birthDate")
            age = r.as_of.year - birth.year - ((r.as_of.month, r.as_of.day) < (birth.month, birth.day))
            if age > MAX_AGE_YEARS:
                raise r.error(f"birthDate gives an age over {MAX_AGE_YEARS} years", resource="Patient",
                              field="birthDate")
    deceased = patient.get("deceasedBoolean") is True or patient.get("deceasedDateTime") is not None
    deceased_date: date | None = None
    if patient.get("deceasedDateTime") is not None:
        try:
            deceased_date = parse_fhir_date(patient["deceasedDateTime"])
        except BadDate:
            r.add_unusable(source, "deceasedDateTime", "not a date: the date of death is not known")

    smoking = r.smoking[2] if r.smoking else (r.smoking_condition or SmokingFact("unknown"))
    if smoking.status == "never" and r.ever_smoked is not None and smoking.source:
        # "Never smoked" after a recorded smoking history contradicts it: the history is kept (EMA: past
        # smokers count) and the contradicting answer is reported, not silently believed.
        r.add_unusable(smoking.source, "valueCodeableConcept",
                       f"says never smoked, but {r.ever_smoked.source} records a "
                       f"{r.ever_smoked.status} smoker; the smoking history is kept", "smoking-status")
        smoking = SmokingFact("former", r.ever_smoked.source, r.ever_smoked.effective)
    pregnant = r.pregnant[2] if r.pregnant else StatedFact(Tri.UNKNOWN)
    return PatientFacts(
        patient_id=pid,
        as_of=r.as_of,
        birth_date=birth,
        sex=sex,
        deceased=deceased,
        deceased_date=deceased_date,
        name=patient_name(patient),
        identifiers=patient_identifiers(patient),
        conditions=tuple(r.conditions),
        labs=tuple(r.labs),
        results=tuple(r.results),
        medications=tuple(r.medications),
        immunizations=tuple(r.immunizations),
        procedures=tuple(r.procedures),
        smoking=smoking,
        pregnant=pregnant,
        lactating=r.lactating or StatedFact(Tri.UNKNOWN),
        child_pugh=r.child_pugh[2] if r.child_pugh else None,
        child_pugh_source=r.child_pugh[1] if r.child_pugh else None,
        unusable=tuple(r.unusable),
        text_matches=tuple(r.terms.text_matches),
        patient_source=source,
        race=_race(patient),
    )


def _text_of(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def patient_name(patient: dict[str, Any]) -> str | None:
    """The patient's display name: the official (else usual, else first) HumanName as its text, or given names
    then family name. For the clinician's eyes only; never logged."""
    names = [n for n in as_list(patient.get("name")) if isinstance(n, dict)]
    if not names:
        return None
    rank = {"official": 0, "usual": 1}
    chosen = min(names, key=lambda n: rank.get(str(n.get("use")), 2))
    if text := _text_of(chosen.get("text")):
        return text
    given = [g.strip() for g in as_list(chosen.get("given")) if isinstance(g, str) and g.strip()]
    family = _text_of(chosen.get("family"))
    return " ".join([*given, *([family] if family else [])]) or None


_IDENTIFIER_LABELS = {"MR": "Medical record number", "SS": "Social security number", "DL": "Driver's license",
                      "PPN": "Passport number", "NI": "National identifier", "PT": "Patient number"}


def patient_identifiers(patient: dict[str, Any]) -> tuple[PatientIdentifier, ...]:
    """The patient's business identifiers with a readable label (medical record number first)."""
    out = []
    for ident in as_list(patient.get("identifier")):
        if not isinstance(ident, dict) or (value := _text_of(ident.get("value"))) is None:
            continue
        kind = as_dict(ident.get("type"))
        codes = [c.get("code") for c in as_list(kind.get("coding")) if isinstance(c, dict)]
        label = _text_of(kind.get("text")) or next((_IDENTIFIER_LABELS[c] for c in codes if c in _IDENTIFIER_LABELS),
                                                   None)
        out.append((0 if "MR" in codes else 1, PatientIdentifier(value=value, system=_text_of(ident.get("system")),
                                                                 label=label)))
    return tuple(i for _, i in sorted(out, key=lambda x: x[0]))


def _us_core_sex(patient: dict[str, Any]) -> Sex | None:
    """Female or male from the US Core sex extensions when `gender` does not say it: used for the renal equations
    and the risk scores. None when absent, not female/male, or when the extensions disagree."""
    found: set[Sex] = set()
    for ext in as_list(patient.get("extension")):
        e = as_dict(ext)
        if e.get("url") not in _US_CORE_SEX_URLS:
            continue
        code = as_str(e.get("valueCode")) or as_str(as_dict(e.get("valueCoding")).get("code"))
        if code in _SEX_CODES:
            found.add(_SEX_CODES[code])
    return found.pop() if len(found) == 1 else None


def _race(patient: dict[str, Any]) -> Race | None:
    """Race for the Pooled Cohort Equations from the US Core race extension: one OMB category White or Black or
    African American; any other single OMB category is "other" (the PCE then use the White equations, and say
    so). None when absent, unrecognised or when several categories are given (the PCE have no rule for them)."""
    cats: set[str] = set()
    for ext in as_list(patient.get("extension")):
        if as_dict(ext).get("url") != _US_CORE_RACE:
            continue
        for sub in as_list(as_dict(ext).get("extension")):
            if as_dict(sub).get("url") == "ombCategory":
                code = as_str(as_dict(as_dict(sub).get("valueCoding")).get("code"))
                if code in _OMB_CATEGORIES:
                    cats.add(code)
    if len(cats) != 1:
        return None
    (only,) = cats
    return "white" if only == _OMB_WHITE else "african-american" if only == _OMB_BLACK else "other"
