"""Draft orders in a CDS Hooks request: which JAK inhibitor is being ordered, at what dose, for what.

order-select and order-sign carry `context.draftOrders`, a Bundle of draft orders. jakcheck fires when one of
them is a MedicationRequest for a drug in the knowledge release (matched by code, or by the drug's name in the
text when no code matches). Other draft medication orders are passed to the reader as if active, so that a
JAK inhibitor ordered together with, say, a biologic is checked for the combination (cqf-ruler#17: rules must
merge the orders being signed with the history).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from jakcheck.fhir.dosage import daily_dose_mg  # one dose parser for the reader and the service
from jakcheck.knowledge.loader import Knowledge


@dataclass(frozen=True)
class OrderedDrug:
    drug: str  # drug id in the knowledge release
    resource: dict[str, Any]  # the draft MedicationRequest
    reference: str | None  # "MedicationRequest/<id>" when the order has an id
    daily_mg: float | None  # the ordered daily dose, when it can be read
    indication_concepts: tuple[str, ...]  # concepts in reasonCode


def _entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for e in bundle.get("entry") or []:
        r = e.get("resource") if isinstance(e, dict) else None
        if isinstance(r, dict) and isinstance(r.get("resourceType"), str):
            out.append(r)
    return out


def _med_code(res: dict[str, Any], resources: list[dict[str, Any]]) -> dict[str, Any] | None:
    cc = res.get("medicationCodeableConcept")
    if isinstance(cc, dict):
        return cc
    ref = res.get("medicationReference")
    if not isinstance(ref, dict):
        return None
    target = ref.get("reference")
    if isinstance(target, str):
        pool = res.get("contained") if target.startswith("#") else resources
        want = target[1:] if target.startswith("#") else target.rsplit("Medication/", 1)[-1]
        for m in pool or []:
            if isinstance(m, dict) and m.get("resourceType") == "Medication" and m.get("id") == want \
                    and isinstance(m.get("code"), dict):
                return dict(m["code"])
    display = ref.get("display")
    return {"text": display} if isinstance(display, str) else None


def drug_of(cc: dict[str, Any] | None, knowledge: Knowledge) -> str | None:
    """The knowledge drug a medication CodeableConcept names (codes first, then the text)."""
    if cc is None:
        return None
    by_concept = {d.concept: d.id for d in knowledge.drugs.values()}
    for coding in cc.get("coding") or []:
        if isinstance(coding, dict) and isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str):
            for cid in knowledge.concepts_for_code(coding["system"], coding["code"]):
                if cid in by_concept:
                    return by_concept[cid]
    texts = [cc.get("text")] + [c.get("display") for c in cc.get("coding") or [] if isinstance(c, dict)]
    for t in texts:
        if isinstance(t, str):
            lower = t.lower()
            for d in knowledge.drugs.values():
                if d.id in lower or any(b.lower() in lower for b in d.brands):
                    return d.id
    return None


def ordered_drugs(draft_orders: dict[str, Any], selections: list[str] | None,
                  knowledge: Knowledge) -> list[OrderedDrug]:
    """The JAK inhibitor MedicationRequests among the draft orders (only the selected ones for order-select)."""
    resources = _entries(draft_orders)
    out: list[OrderedDrug] = []
    for res in resources:
        if res.get("resourceType") != "MedicationRequest":
            continue
        rid = res.get("id") if isinstance(res.get("id"), str) else None
        ref = f"MedicationRequest/{rid}" if rid else None
        if selections is not None and ref not in selections:
            continue
        cc = _med_code(res, resources)
        drug = drug_of(cc, knowledge)
        if drug is None:
            continue
        reasons: list[str] = []
        for rc in res.get("reasonCode") or []:
            for coding in (rc.get("coding") or []) if isinstance(rc, dict) else []:
                if isinstance(coding, dict) and isinstance(coding.get("system"), str) \
                        and isinstance(coding.get("code"), str):
                    reasons.extend(knowledge.concepts_for_code(coding["system"], coding["code"]))
        out.append(OrderedDrug(drug=drug, resource=res, reference=ref, daily_mg=daily_dose_mg(res, cc),
                               indication_concepts=tuple(dict.fromkeys(reasons))))
    return out


def indication_for(ordered: list[OrderedDrug], knowledge: Knowledge) -> str | None:
    """The indication named in the orders' reasonCode, when exactly one indication is named."""
    by_concept = {i.concept: i.id for i in knowledge.indications.values()}
    found = {by_concept[c] for o in ordered for c in o.indication_concepts if c in by_concept}
    return found.pop() if len(found) == 1 else None


def other_orders_as_active(draft_orders: dict[str, Any], ordered: list[OrderedDrug]) -> list[dict[str, Any]]:
    """The other draft medication orders, marked active so the interaction rules see them."""
    skip = {id(o.resource) for o in ordered}
    out = []
    for res in _entries(draft_orders):
        if id(res) in skip or res.get("resourceType") not in ("MedicationRequest", "Medication"):
            continue
        r = copy.copy(res)
        if r["resourceType"] == "MedicationRequest":
            r["status"] = "active"
            r.pop("dispenseRequest", None)
            r.pop("authoredOn", None)
        out.append(r)
    return out
