"""Unpacking a document into one patient's resources, and resolving the references between them.

A document is a Bundle (nested Bundles included), a list of resources, one resource, a CDS Hooks prefetch
object, or a whole hook request (its prefetch, and context.patientId checked against the Patient). Unpacking
gives (resource, fullUrl or None) pairs in document order. The record's index then holds the one Patient's
references and the Medications by reference, and checks that each clinical resource is about that Patient:
its subject/patient reference may be "Patient/<id>", the Patient entry's fullUrl, "urn:uuid:<id>", or an
absolute URL ending in "Patient/<id>" (optionally followed by "/_history/<v>"). A reference to another Patient,
or one that resolves to nothing else we know, is an InputError. A resource with no subject/patient reference
(or an identifier-only one) is taken to be about the document's patient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jakcheck.errors import InputError
from jakcheck.fhir.fields import as_dict, as_list, as_str

MAX_BUNDLE_NESTING = 8
# Resources other resources refer to: the Patient (subject) and Medications (medicationReference).
REFERABLE = frozenset({"Patient", "Medication"})

Resources = list[tuple[dict[str, Any], str | None]]


@dataclass
class Unpacked:
    """A document's resources (never a Bundle) in document order, the referable ones among them, and the
    CDS Hooks context.patientId when the document is a hook request."""

    resources: Resources = field(default_factory=list)
    referable: Resources = field(default_factory=list)
    context_patient: str | None = None


def unpack(obj: object, source_name: str) -> Unpacked:
    """The resources of a parsed document; InputError when it is not a FHIR document."""
    out = Unpacked()
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
                raise InputError(f"item [{i}] of the list is not a FHIR resource (no resourceType)", file=source_name)
            _add(item, None, out, 0, source_name)
    elif isinstance(obj, dict):
        if "resourceType" in obj:
            if not isinstance(obj["resourceType"], str):
                raise InputError("resourceType is not a string", file=source_name, field="resourceType")
            _add(obj, None, out, 0, source_name)
        else:
            _unpack_prefetch(obj, out, source_name)
    else:
        raise InputError("not a FHIR document (expected a JSON object or list with resourceType)", file=source_name)
    return out


def referable(resources: Resources) -> Resources:
    """The Patient and Medication resources among already unpacked ones, in document order."""
    return [r for r in resources if r[0]["resourceType"] in REFERABLE]


def _unpack_prefetch(obj: dict[str, Any], out: Unpacked, source_name: str) -> None:
    prefetch = obj
    context_patient: str | None = None
    if "prefetch" in obj:
        if not isinstance(obj["prefetch"], dict):
            raise InputError("CDS Hooks request: prefetch is not an object", file=source_name, field="prefetch")
        prefetch = obj["prefetch"]
        context_patient = as_str(as_dict(obj.get("context")).get("patientId"))
    found = False
    for key, value in prefetch.items():
        if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
            _add(value, None, out, 0, source_name)
            found = True
        elif value is not None and not isinstance(value, str):
            raise InputError(f"prefetch member {key!r} is not a FHIR resource", file=source_name,
                             field=f"prefetch.{key}")
    if not found:
        raise InputError("not a FHIR document: no resourceType, and no CDS Hooks prefetch resources",
                         file=source_name)
    if context_patient is not None:
        out.context_patient = context_patient


def _add(res: dict[str, Any], full_url: str | None, out: Unpacked, depth: int, source_name: str) -> None:
    if res["resourceType"] != "Bundle":
        out.resources.append((res, full_url))
        if res["resourceType"] in REFERABLE:
            out.referable.append(out.resources[-1])
        return
    if depth >= MAX_BUNDLE_NESTING:
        raise InputError(f"Bundles nested more than {MAX_BUNDLE_NESTING} deep", file=source_name)
    entries = res.get("entry", [])
    if not isinstance(entries, list):
        raise InputError("Bundle.entry is not a list", file=source_name, field="entry")
    resources = out.resources
    append = resources.append
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputError(f"Bundle entry [{i}] is not an object", file=source_name, field=f"entry[{i}]")
        inner = entry.get("resource")
        if inner is None:
            continue  # e.g. a DELETE request or a response entry
        rtype = inner.get("resourceType") if isinstance(inner, dict) else None
        if not isinstance(rtype, str):
            raise InputError(f"Bundle entry [{i}] resource has no resourceType", file=source_name,
                             field=f"entry[{i}].resource")
        url = entry.get("fullUrl")
        if rtype == "Bundle":
            _add(inner, as_str(url), out, depth + 1, source_name)
        else:
            append((inner, url if isinstance(url, str) else None))
            if rtype in REFERABLE:
                out.referable.append(resources[-1])


def find_patient(referable: Resources, context_patient: str | None, source_name: str) -> dict[str, Any]:
    """The document's one Patient; InputError when there is none, two different ones, or one that is not the
    patient a CDS Hooks request's context names."""
    found: dict[str, Any] | None = None
    for res, _url in referable:
        if res["resourceType"] != "Patient":
            continue
        pid = res.get("id")
        if pid is not None and not isinstance(pid, str):
            raise InputError("Patient.id is not a string", file=source_name, resource="Patient", field="id")
        if found is None:
            found = res
        elif found.get("id") != pid:
            raise InputError("two different Patient resources in one document (different ids)", file=source_name)
    if found is None:
        raise InputError("no Patient resource in the document", file=source_name)
    pid = as_str(found.get("id")) or ""
    if context_patient is not None and pid and context_patient != pid:
        raise InputError("CDS Hooks context.patientId does not match the Patient in the prefetch", file=source_name,
                         field="context.patientId")
    return found


class RecordIndex:
    """The references of one record: the ways its Patient is referred to, and its Medications by reference."""

    def __init__(self, referable: Resources, patient: dict[str, Any], source_name: str) -> None:
        self.file = source_name
        pid = as_str(patient.get("id")) or ""
        self.patient_id = pid
        self.patient_refs: set[str] = set()
        self.medications: dict[str, dict[str, Any]] = {}
        if pid:
            self.patient_refs.update({f"Patient/{pid}", f"urn:uuid:{pid}"})
        for res, url in referable:
            if res["resourceType"] == "Patient" and url:
                self.patient_refs.add(url)
            elif res["resourceType"] == "Medication":
                mid = as_str(res.get("id"))
                if mid:
                    self.medications[f"Medication/{mid}"] = res
                if url:
                    self.medications[url] = res

    def check_subject(self, res: dict[str, Any], source: str, field: str) -> None:
        """InputError unless the reference in `field` (subject or patient) is absent or is the record's Patient."""
        ref_obj = res.get(field)
        if ref_obj is None:
            return
        if not isinstance(ref_obj, dict):
            raise InputError("is not a Reference", file=self.file, resource=source, field=field)
        ref = ref_obj.get("reference")
        if ref is None:
            return  # identifier- or display-only reference: taken to be the document's patient
        if not isinstance(ref, str):
            raise InputError("reference is not a string", file=self.file, resource=source, field=f"{field}.reference")
        if ref in self.patient_refs:
            return
        target = re.sub(r"/_history/[^/]*$", "", ref)
        if self.patient_id and target.endswith(f"Patient/{self.patient_id}") and (
                target == f"Patient/{self.patient_id}" or target.endswith(f"/Patient/{self.patient_id}")):
            return
        m = re.search(r"(?:^|/)Patient/([^/]+)$", target)
        if m:
            raise InputError("refers to a different Patient than the one in the document", file=self.file,
                             resource=source, field=f"{field}.reference")
        raise InputError(f"reference {ref!r} does not resolve to the Patient in the document", file=self.file,
                         resource=source, field=f"{field}.reference")

    def medication(self, res: dict[str, Any], ref: str) -> dict[str, Any] | None:
        """The Medication a medicationReference points at: contained ("#id"), by fullUrl, or "Medication/<id>"
        (also at the end of an absolute or versioned URL); None when it is not in the record."""
        if ref.startswith("#"):
            for c in as_list(res.get("contained")):
                if isinstance(c, dict) and c.get("resourceType") == "Medication" and c.get("id") == ref[1:]:
                    return c
            return None
        hit = self.medications.get(ref)
        if hit is None:
            m = re.search(r"(?:^|/)(Medication/[^/]+?)(?:/_history/[^/]*)?$", ref)
            if m:
                hit = self.medications.get(m.group(1))
        return hit
