"""Discovery and prefetch: which hooks jakcheck serves and which FHIR data it asks the EHR to send along.

The prefetch templates are derived from the knowledge release, not written by hand: the Observation searches
list exactly the codes of the observation concepts the rules read (blood counts, liver and renal tests, lipids,
TB and hepatitis tests, smoking and pregnancy status, ...) and of the panels whose components carry them (the
blood pressure panel), so a new value-set code is requested as soon as the knowledge release has it. A search
that would be longer than MAX_TEMPLATE_CHARS is split over several keys ("observations", "observations-2", ...):
many servers and proxies refuse URLs much over 2,000 characters.
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


MAX_TEMPLATE_CHARS = 1900  # with "|" counted as sent ("%7C"); leaves room for the server base and a patient id
OBSERVATION_KINDS = ("observation", "panel")


def observation_codes(knowledge: Knowledge) -> tuple[str, ...]:
    """Every code ("system|code") of the observation concepts the rules read and of the panels that carry them,
    in value-set order, each once."""
    return _codes(knowledge, OBSERVATION_KINDS)


def procedure_codes(knowledge: Knowledge) -> tuple[str, ...]:
    """Every code of the procedure concepts the rules read (deliveries and terminations of pregnancy)."""
    return _codes(knowledge, ("procedure",))


def _codes(knowledge: Knowledge, kinds: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{c.system}|{c.code}" for concept in knowledge.concepts.values()
                               if concept.kind in kinds for c in concept.codes))


def sent_length(template: str) -> int:
    """The length of a template as a URL path and query: "|" is sent percent-encoded."""
    return len(template) + 2 * template.count("|")


def _searches(resource: str, codes: tuple[str, ...]) -> list[str]:
    """Searches of `resource` for the codes, each within MAX_TEMPLATE_CHARS."""
    head = f"{resource}?patient={PATIENT_TOKEN}&code="
    searches: list[str] = []
    current: list[str] = []
    for token in codes:
        if current and sent_length(head + ",".join([*current, token])) > MAX_TEMPLATE_CHARS:
            searches.append(head + ",".join(current))
            current = []
        current.append(token)
    if current:
        searches.append(head + ",".join(current))
    return searches


def _observation_searches(codes: tuple[str, ...]) -> list[str]:
    return _searches("Observation", codes)


def observation_key(n: int) -> str:
    return "observations" if n == 0 else f"observations-{n + 1}"


def procedure_key(n: int) -> str:
    return "procedures" if n == 0 else f"procedures-{n + 1}"


def observation_key_for(knowledge: Knowledge, codings: object) -> str | None:
    """The prefetch key whose Observation search asks for one of these codings (a FHIR coding list), as an EHR
    fills it; None when no search asks for any of them."""
    tokens = {f"{c.get('system')}|{c.get('code')}" for c in codings if isinstance(c, dict)} \
        if isinstance(codings, list) else set()
    for n, search in enumerate(_observation_searches(observation_codes(knowledge))):
        if tokens & set(search.split("&code=", 1)[1].split(",")):
            return observation_key(n)
    return None


def _templates(observations: tuple[str, ...], procedures: tuple[str, ...]) -> dict[str, str]:
    out = {
        "patient": f"Patient/{PATIENT_TOKEN}",
        "conditions": f"Condition?patient={PATIENT_TOKEN}",
    }
    for n, search in enumerate(_observation_searches(observations)):
        out[observation_key(n)] = search
    out["medications"] = f"MedicationRequest?patient={PATIENT_TOKEN}"
    out["immunizations"] = f"Immunization?patient={PATIENT_TOKEN}"
    # Deliveries and terminations only: a pregnancy recorded before one of them has ended.
    for n, search in enumerate(_searches("Procedure", procedures)):
        out[procedure_key(n)] = search
    return out


def prefetch_templates(knowledge: Knowledge) -> dict[str, str]:
    """Prefetch key -> FHIR query template (CDS Hooks 2.0.1 §Prefetch, recommended query subset)."""
    return _templates(observation_codes(knowledge), procedure_codes(knowledge))


def discovery(knowledge: Knowledge) -> dict[str, object]:
    templates = prefetch_templates(knowledge)
    return {"services": [{"hook": s.hook, "title": s.title, "description": s.description, "id": s.id,
                          "prefetch": templates} for s in SERVICES]}
