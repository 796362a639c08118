"""Discovery and prefetch: which hooks jakcheck serves and which FHIR data it asks the EHR to send along.

The prefetch templates are derived from the knowledge release, not written by hand: the Observation search
lists exactly the LOINC codes of the observation concepts the rules read (blood counts, liver and renal tests,
lipids, TB and hepatitis tests, smoking and pregnancy status, ...), so a new value-set code is requested as
soon as the knowledge release has it.
"""

from __future__ import annotations

from dataclasses import dataclass

from jakcheck.knowledge.loader import Knowledge

LOINC = "http://loinc.org"
PATIENT_TOKEN = "{{context.patientId}}"


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str


SERVICES = (
    Service("jakcheck-patient-view", "patient-view", "JAK inhibitor readiness",
            "For a patient with an approved-use indication for a JAK inhibitor (rheumatoid arthritis, psoriatic "
            "arthritis, ulcerative colitis, atopic dermatitis, ...): one card with the options per drug under the "
            "region's labels and the steps open before a start, linking to the full cited report."),
    Service("jakcheck-order-select", "order-select", "JAK inhibitor order check",
            "Fires when context.draftOrders holds a MedicationRequest for a JAK inhibitor (tofacitinib, "
            "baricitinib, upadacitinib, filgotinib, abrocitinib, ritlecitinib, deucravacitinib): the verdict for "
            "this patient, the label dose, and the screening still needed (TB, hepatitis, vaccinations, labs)."),
    Service("jakcheck-order-sign", "order-sign", "JAK inhibitor order check at signing",
            "The same check as order-select when the order is signed, with the full dose: suggests the adjusted "
            "dose, or removing the order when the drug must not be started now."),
)
SERVICE_BY_ID = {s.id: s for s in SERVICES}


def observation_codes(knowledge: Knowledge) -> tuple[str, ...]:
    """The LOINC codes of every observation concept the rules read, sorted."""
    return tuple(sorted({c.code for concept in knowledge.concepts.values() if concept.kind == "observation"
                         for c in concept.codes if c.system == LOINC}))


def _templates(codes: tuple[str, ...]) -> dict[str, str]:
    obs = ",".join(f"{LOINC}|{c}" for c in codes)
    return {
        "patient": f"Patient/{PATIENT_TOKEN}",
        "conditions": f"Condition?patient={PATIENT_TOKEN}",
        "observations": f"Observation?patient={PATIENT_TOKEN}&code={obs}",
        "medications": f"MedicationRequest?patient={PATIENT_TOKEN}",
        "immunizations": f"Immunization?patient={PATIENT_TOKEN}",
    }


def prefetch_templates(knowledge: Knowledge) -> dict[str, str]:
    """Prefetch key -> FHIR query template (CDS Hooks 2.0.1 §Prefetch, recommended query subset)."""
    templates = knowledge.memo.get("prefetch_templates")
    if templates is None:
        templates = knowledge.memo["prefetch_templates"] = _templates(observation_codes(knowledge))
    return dict(templates)


def discovery(knowledge: Knowledge) -> dict[str, object]:
    templates = prefetch_templates(knowledge)
    return {"services": [{"hook": s.hook, "title": s.title, "description": s.description, "id": s.id,
                          "prefetch": templates} for s in SERVICES]}
