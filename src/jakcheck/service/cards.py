"""Cards: the EHR-facing rendering of an assessment (CDS Hooks 2.0.1).

Alert fatigue is the first complaint about decision support (drug alerts are overridden 49-96 % of the time),
so jakcheck sends few cards and only actionable ones:

* one *verdict* card per ordered JAK inhibitor: the verdict for this patient with the reasons, the label dose
  (and a suggestion that replaces the draft order with the adjusted dose, or removes it when the drug must not
  be started now), critical when the ordered drug is `defer`, `not-recommended` or `contraindicated`, warning
  for restrictions and dose changes, info otherwise;
* one card per *problem group* (tuberculosis, hepatitis, infection, vaccinations, laboratory tests,
  interactions, pregnancy) that has a critical or warning finding or an order to suggest (order an IGRA,
  recombinant zoster vaccine, hepatitis serology, ...); info-only groups are folded into the verdict card;
* patient-view: at most one summary card, for a patient with an approved-use indication on record.

Every card cites its source (label or guideline, with link), carries the evidence in its markdown detail,
coded override reasons (HL7 non-adherence reason codes) and a link to the full report. Nothing is null or
empty. Card types are in `source.topic` so the feedback report can give override rates per type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jakcheck.assessment import (
    ALLOWS_START,
    BLOCKS_START,
    CONDITIONAL_VERDICTS,
    HEADLINE_START,
    SEVERITY_ORDER,
    Action,
    Assessment,
    DoseOut,
    DrugAssessment,
    Finding,
    Headline,
    SourceRef,
)
from jakcheck.knowledge.evidence import source_grade_text
from jakcheck.knowledge.loader import Knowledge
from jakcheck.service import ids
from jakcheck.service.orders import OrderedDrug

CARD_TYPE_SYSTEM = "urn:jakcheck:cds-card-type"
OVERRIDE_SYSTEM = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
CVX = "http://hl7.org/fhir/sid/cvx"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SUMMARY_MAX = 139  # the spec says < 140 characters
_SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITY_ORDER)}  # sort keys: critical first

def _headline_words(a: Assessment) -> str:
    """The headline's verdict in words, for a card summary ("only if no suitable alternative")."""
    verdict = a.headline.verdict if a.headline is not None else None
    return HEADLINE_START[verdict].lower() if verdict is not None else "no drug to assess"


VERDICT_PHRASE = {
    "appropriate": "no label restriction found",
    "caution": "use with caution",
    "only-if-no-alternative": "use only if no suitable alternative",
    "defer": "defer the start",
    "not-recommended": "not recommended",
    "contraindicated": "contraindicated",
}

# Problem groups: finding-code prefix -> group; "verdict" groups are folded into the verdict card.
GROUP_OF_PREFIX = {
    "tb": "tb", "hbv": "hepatitis", "hcv": "hepatitis", "infection": "infection", "hz": "infection",
    "vaccine": "vaccination", "lab": "labs", "ddi": "interactions", "glucocorticoid": "interactions",
    "pregnancy": "reproductive", "lactation": "reproductive", "contraception": "reproductive",
}
GROUP_TITLE = {
    "tb": "Tuberculosis", "hepatitis": "Hepatitis B/C", "infection": "Infection", "vaccination": "Vaccinations",
    "labs": "Laboratory tests", "interactions": "Co-medication", "reproductive": "Pregnancy and breastfeeding",
}
GROUP_ORDER = tuple(GROUP_TITLE)
GROUP_OF_ACTION = {
    "order-igra": "tb", "treat-latent-tb": "tb", "treat-active-tb": "tb",
    "order-hbv-serology": "hepatitis", "order-hbv-dna": "hepatitis", "refer-hepatology": "hepatitis",
    "plan-hbv-monitoring": "hepatitis",
    "order-anti-hcv": "hepatitis", "order-hcv-rna": "hepatitis", "refer-hcv": "hepatitis",
    "treat-infection": "infection",
    "order-rzv": "vaccination", "order-pneumococcal": "vaccination", "order-influenza": "vaccination",
    "wait-live-vaccine": "vaccination", "defer-rzv": "vaccination", "defer-pneumococcal": "vaccination",
    "defer-influenza": "vaccination",
    "order-cbc": "labs", "order-lfts": "labs", "investigate-lfts": "labs", "order-creatinine": "labs",
    "order-lipids": "labs",
    "taper-glucocorticoid": "interactions", "stop-combination": "interactions",
    "pregnancy-test": "reproductive", "contraception-counsel": "reproductive",
}
# Actions that become FHIR orders: the concept(s) in the value sets whose first code is ordered.
ORDERABLE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # action code: (resource type, label, concept ids)
    "order-igra": ("ServiceRequest", "Order an IGRA (TB screening)", ("tb-igra",)),
    "order-rzv": ("MedicationRequest", "Order recombinant zoster vaccine (RZV)", ("zoster-recombinant",)),
    "order-hbv-serology": ("ServiceRequest", "Order HBsAg, anti-HBc and anti-HBs", ("hbsag", "anti-hbc", "anti-hbs")),
    "order-hbv-dna": ("ServiceRequest", "Order HBV DNA", ("hbv-dna",)),
    "order-anti-hcv": ("ServiceRequest", "Order anti-HCV antibody", ("anti-hcv",)),
    "order-hcv-rna": ("ServiceRequest", "Order HCV RNA", ("hcv-rna",)),
    "order-creatinine": ("ServiceRequest", "Order serum creatinine", ("creatinine",)),
    "pregnancy-test": ("ServiceRequest", "Order a pregnancy test", ("pregnancy-test",)),
}
SHORT_REASON = {
    "risk.age-65-plus": "age 65+", "risk.smoking": "smoker", "risk.cardiovascular": "CV risk",
    "risk.malignancy": "cancer history", "risk.vte": "VTE risk", "risk.nmsc": "skin cancer risk",
    "risk.smoking-unknown": "smoking not recorded", "risk.lower-dose": "higher-risk patient",
    "tb.active": "active TB", "tb.latent-untreated": "untreated latent TB", "tb.screening-missing": "no TB screen",
    "hbv.chronic": "chronic hepatitis B", "hbv.resolved": "past hepatitis B",
    "hbv.screening-missing": "no hepatitis B screen", "hcv.active": "active hepatitis C",
    "hcv.screening-missing": "no hepatitis C screen", "infection.active-serious": "active serious infection",
    "pregnancy.current": "pregnancy", "lactation.current": "breastfeeding",
    "renal.dose-adjustment": "renal function", "renal.not-recommended": "renal function",
    "hepatic.dose-adjustment": "liver function", "hepatic.not-recommended": "liver function",
    "hepatic.child-pugh-unknown": "Child-Pugh not recorded", "age.dose-adjustment": "age",
    "label.tnf-inadequate-response-required": "needs prior TNF inhibitor failure",
    "label.tnf-route-confirm": "confirm TNF blocker history or why TNF blockers are inadvisable",
    "indication.not-approved": "not approved for this use", "indication.unspecified": "no indication",
    "lab.cbc-missing": "no blood count", "vaccine.live-recent": "recent live vaccine",
    "ddi.immunosuppressant-combination": "combined immunosuppressant",
    "data.incomplete-record": "record incomplete",
}
OVERRIDES_VERDICT = (
    ("risk-benefit-ratio", "Recipient assessment of risk/benefit ratio"),
    ("expert-contradicts", "Advice from expert contradicts the recommended action"),
    ("need-more-info", "Could not address recommended action due to need for more information/pending "
                       "results/pending consult"),
    ("patient-ineligible", "Patient does not meet eligibility for recommended action"),
)
OVERRIDES_GROUP = (
    ("action-completed", "Recommended action was already completed"),
    ("indication-order-exists", "Patient has indication/order for intended action"),
    ("need-more-info", "Could not address recommended action due to need for more information/pending "
                       "results/pending consult"),
    ("patient-ineligible", "Patient does not meet eligibility for recommended action"),
)


@dataclass
class CardContext:
    """What the card builder needs besides the assessment."""

    knowledge: Knowledge
    report_url: str | None = None
    notes: list[str] = field(default_factory=list)  # data that could not be checked, said on every card
    insecure_dev: bool = False
    new_uuid: Callable[[], str] = ids.new_uuid


def short(text: str, limit: int = SUMMARY_MAX) -> str:
    """One line of at most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def _drug_name(knowledge: Knowledge, drug: str) -> str:
    d = knowledge.drugs.get(drug)
    return d.name if d else drug


def _dose_text(d: DoseOut) -> str:
    return f"{d.amount:g} {d.unit} {d.frequency}" + (f" ({d.phase})" if d.phase else "")


def _daily(d: DoseOut) -> float:
    return d.amount * (2 if d.frequency == "twice daily" else 1)


def _applies(f: Finding | Action, drugs: Sequence[str]) -> bool:
    own = f.drugs  # most name one drug: tested without a generator (this runs for every finding of every card)
    return not own or (own[0] in drugs if len(own) == 1 else any(d in drugs for d in own))


def _group(code: str) -> str:
    return GROUP_OF_PREFIX.get(code.partition(".")[0], "verdict")


def _sources_md(sources: Sequence[SourceRef]) -> str:
    """Each source with the copy it was read in, so that a secondary copy never reads as the label itself."""
    return "; ".join(f"[{s.title}{' §' + s.section if s.section else ''}]({s.url}) ({s.grade_text})"
                     for s in sources)


def _evidence_md(f: Finding) -> str:
    parts = [f"`{e}`" if isinstance(e, str) else f"missing: {e.missing}" for e in f.evidence]
    return ", ".join(parts)


def _finding_md(f: Finding) -> str:
    line = f"- **{f.severity}** — {f.summary}"
    if f.detail:
        line += f" {f.detail}"
    ev = _evidence_md(f)
    if ev:
        line += f"\n  - Evidence: {ev}"
    src = _sources_md(f.sources)
    if src:
        line += f"\n  - Source: {src}"
    return line


def _footer(a: Assessment, ctx: CardContext) -> str:
    lines = []
    if ctx.notes:
        lines.append("**Record incomplete, not checked:** " + " ".join(ctx.notes))
    site = f"; site settings {a.knowledge.settings_digest}" if a.knowledge.settings_digest else ""
    lines.append(f"jakcheck knowledge release {a.knowledge.version} ({a.knowledge.date}){site}; region {a.region}; "
                 f"assessed as of {a.as_of}. Decision support: review the basis and decide with the patient.")
    return "\n\n".join(lines)


def _source(sources: Sequence[SourceRef], card_type: str, fallback: SourceRef | None) -> dict[str, Any]:
    s = sources[0] if sources else fallback
    # The card's source label carries the copy's grade; the title is shortened, never the grade.
    label = f"{short(s.title, max(20, 96 - len(s.grade_text)))} ({s.grade_text})" if s else "jakcheck"
    out: dict[str, Any] = {"label": label,
                           "topic": {"system": CARD_TYPE_SYSTEM, "code": card_type,
                                     "display": GROUP_TITLE.get(card_type, card_type.replace("-", " ").capitalize())}}
    if s is not None:
        out["url"] = s.url
    return out


def _overrides(reasons: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"system": OVERRIDE_SYSTEM, "code": c, "display": d} for c, d in reasons]


def _finish(card: dict[str, Any], ctx: CardContext) -> dict[str, Any]:
    if ctx.insecure_dev:
        card["summary"] = short("[INSECURE DEV] " + card["summary"])
        card["detail"] = "**INSECURE DEV MODE: not for clinical use.**\n\n" + card.get("detail", "")
    if ctx.report_url:
        card["links"] = [{"label": "Full jakcheck report", "url": ctx.report_url, "type": "absolute"}]
    return {k: v for k, v in card.items() if v not in (None, "", [], {})}


# ---------------------------------------------------------------------------------------------- FHIR actions


def _coding_of(knowledge: Knowledge, concept_id: str, system: str) -> dict[str, str] | None:
    c = knowledge.concepts.get(concept_id)
    if c is None:
        return None
    for coding in c.codes:
        if coding.system == system:
            return {"system": system, "code": coding.code, "display": coding.display or c.label}
    return None


def order_resources(knowledge: Knowledge, action_code: str, patient_ref: str, requester: str | None,
                    encounter: str | None) -> list[dict[str, Any]]:
    """Draft FHIR R4 orders for an action (ServiceRequest for tests, MedicationRequest for vaccines)."""
    rtype, _label, concepts = ORDERABLE[action_code]
    out: list[dict[str, Any]] = []
    for cid in concepts:
        system = CVX if rtype == "MedicationRequest" else LOINC
        coding = _coding_of(knowledge, cid, system)
        if coding is None:
            continue
        text = knowledge.concepts[cid].label
        res: dict[str, Any] = {"resourceType": rtype, "status": "draft",
                               "intent": "proposal" if rtype == "ServiceRequest" else "order"}
        if rtype == "ServiceRequest":
            res["code"] = {"coding": [coding], "text": text}
        else:
            res["medicationCodeableConcept"] = {"coding": [coding], "text": text}
        res["subject"] = {"reference": patient_ref}
        if encounter:
            # context.encounterId is a bare id; a FHIR reference is Type/id
            res["encounter"] = {"reference": encounter if "/" in encounter else f"Encounter/{encounter}"}
        if requester:
            res["requester"] = {"reference": requester}
        res["reasonCode"] = [{"text": "Screening before starting a JAK inhibitor (jakcheck)"}]
        out.append(res)
    return out


def _text(resource: dict[str, Any]) -> str:
    cc = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    return str(cc.get("text", ""))


def _extended_release(order: dict[str, Any]) -> bool:
    """An extended-release product cannot simply take an immediate-release dose: no update suggestion then."""
    cc = order.get("medicationCodeableConcept") or {}
    texts = [str(cc.get("text") or "")] + [str(c.get("display") or "") for c in cc.get("coding") or []
                                           if isinstance(c, dict)]
    low = " ".join(texts).lower()
    return any(w in low for w in ("extended release", "extended-release", "24 hr", " xr", "prolonged"))


_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*mg\b", re.IGNORECASE)


def _strengths(cc: dict[str, Any]) -> set[float]:
    """The mg strengths a medication concept names in its text and codings' displays (e.g. "Olumiant 4 mg")."""
    texts = [str(cc.get("text") or "")] + [str(c.get("display") or "") for c in cc.get("coding") or []
                                           if isinstance(c, dict)]
    return {float(m) for t in texts for m in _STRENGTH.findall(t)}


def ingredient_coding(knowledge: Knowledge, drug: str) -> dict[str, str] | None:
    """The RxNorm ingredient coding of a drug (the value-set code whose display is the ingredient name)."""
    concept = knowledge.concepts.get(drug)
    for coding in concept.codes if concept is not None else ():
        if coding.system == RXNORM and (coding.display or "").lower() == drug:
            return {"system": RXNORM, "code": coding.code, "display": coding.display or drug}
    return None


def adjusted_order(order: dict[str, Any], dose: DoseOut, name: str,
                   ingredient: dict[str, str] | None) -> dict[str, Any] | None:
    """The draft MedicationRequest with its dosage replaced by the label dose, or None when no consistent update
    can be made: the order has no id to update, names its product by reference, or names a product strength other
    than the new dose with no ingredient code to name the drug instead (a 4 mg tablet product must not carry a
    2 mg dose)."""
    if not isinstance(order.get("id"), str) or "medicationReference" in order:
        return None
    res = {k: v for k, v in order.items() if k != "dosageInstruction"}
    cc = order.get("medicationCodeableConcept")
    strengths = _strengths(cc) if isinstance(cc, dict) else set()
    if strengths and strengths != {dose.amount}:
        if ingredient is None:
            return None
        res["medicationCodeableConcept"] = {"coding": [ingredient], "text": f"{name} {dose.amount:g} {dose.unit}"}
    per_day = 2 if dose.frequency == "twice daily" else 1
    res["dosageInstruction"] = [{
        "text": _dose_text(dose) + (f". {dose.note}" if dose.note else ""),
        "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
        "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}]},
        "doseAndRate": [{"doseQuantity": {"value": dose.amount, "unit": dose.unit, "system": UCUM,
                                          "code": dose.unit}}],
    }]
    return res


# ---------------------------------------------------------------------------------------------- cards


@dataclass(frozen=True)
class BuiltCard:
    card: dict[str, Any]
    card_type: str
    indicator: str


def _verdict_card(a: Assessment, drug: DrugAssessment, order: OrderedDrug, start: DoseOut | None,
                  folded: list[Finding], ctx: CardContext) -> BuiltCard:
    k = ctx.knowledge
    name = _drug_name(k, drug.drug)
    this_drug = [drug.drug]
    mine = [f for f in a.findings if _applies(f, this_drug)]
    reasons_f = [f for f in mine if f.code in drug.findings and f.severity != "info"]
    reasons = list(dict.fromkeys(SHORT_REASON.get(f.code, f.code.split(".")[0]) for f in reasons_f))
    if any(r.startswith("age ") for r in reasons):
        reasons = [r for r in reasons if r != "age"]
    dose = drug.dose
    # A change is suggested only when the draft order is above the dose this patient should get: a lower
    # order is the prescriber's choice. Extended-release equivalents (tofacitinib XR 11 mg once daily for
    # 5 mg twice daily) count as the same daily dose.
    dose_changed = dose is not None and (
        (order.daily_mg is not None and order.daily_mg > _daily(dose) * 1.15)
        or (order.daily_mg is None and start is not None and _daily(start) != _daily(dose)))
    if drug.verdict in BLOCKS_START:
        indicator = "critical"
    elif drug.verdict in CONDITIONAL_VERDICTS or dose_changed:
        indicator = "warning"
    else:
        indicator = "info"
    why = (": " + ", ".join(reasons[:3])) if reasons else ""
    if drug.verdict == "appropriate" and dose is not None and not dose_changed:
        summary = f"{name}: {VERDICT_PHRASE['appropriate']} ({a.region}); start {_dose_text(dose)}"
    elif dose_changed and dose is not None and drug.verdict not in BLOCKS_START:
        summary = f"{name}: {VERDICT_PHRASE[drug.verdict]}; use {_dose_text(dose)}{why}"
    elif drug.verdict_when_ready is not None and drug.verdict_when_ready != drug.verdict:
        # The verdict the open work-up hides is said at once, so that ordering the tests is not read as "fine".
        summary = (f"{name}: {VERDICT_PHRASE[drug.verdict]} until the work-up is done, then "
                   f"{VERDICT_PHRASE[drug.verdict_when_ready]} ({a.region})")
    else:
        summary = f"{name}: {VERDICT_PHRASE[drug.verdict]} ({a.region}){why}"
    lab = k.label(drug.drug, a.region)
    label_src = k.sources.get(lab.label_source) if lab else None
    label_ref = SourceRef(id=label_src.id, title=label_src.title, url=label_src.url, grade=label_src.grade,
                          jurisdiction=label_src.jurisdiction,
                          grade_text=source_grade_text(label_src)) if label_src else None
    md = [f"**{name}: {VERDICT_PHRASE[drug.verdict]}** for this patient ({a.region} label"
          + (f", indication {a.indication}" if a.indication else "") + ")."]
    if drug.verdict_when_ready is not None and drug.verdict_when_ready != drug.verdict:
        md.append(f"**Once the open steps are done:** {VERDICT_PHRASE[drug.verdict_when_ready]}.")
    if a.headline is not None:
        md.append(f"**All options:** {a.headline.text}")
    if dose is not None:
        line = f"**Dose:** {_dose_text(dose)}"
        if dose_changed and order.daily_mg is not None:
            line += f" (the draft order is {order.daily_mg:g} mg per day)"
        elif dose_changed and start is not None:
            line += f" (adjusted from the usual {_dose_text(start)})"
        md.append(line + (f". {dose.note}" if dose.note else "."))
    if mine:
        md.append("**Why**\n" + "\n".join(_finding_md(f) for f in sorted(
            [f for f in mine if f.severity != "info" and _group(f.code) == "verdict"] or reasons_f,
            key=lambda f: _SEVERITY_RANK[f.severity])))
    if folded:
        md.append("**Also noted**\n" + "\n".join(_finding_md(f) for f in folded))
    steps = [x for x in a.actions if _applies(x, this_drug) and GROUP_OF_ACTION.get(x.code) is None]
    if steps:
        md.append("**Steps**\n" + "\n".join(f"- {x.summary}" + (" (before start)" if x.blocking else "")
                                            for x in steps))
    if a.alternatives and drug.verdict in ("only-if-no-alternative", "not-recommended", "contraindicated"):
        md.append("**Alternatives to consider**\n" + "\n".join(
            f"- {x.option}" + (" (used before or now)" if x.tried else "") + f": {x.why}"
            + "".join(f" Caveat: {c.text}" for c in x.caveats) for x in a.alternatives))
    md.append(_footer(a, ctx))
    suggestions: list[dict[str, Any]] = []
    behaviour = "any"
    if drug.verdict in BLOCKS_START and order.reference:
        label = (f"Remove the {name} order" if drug.verdict != "defer"
                 else f"Withdraw the {name} order until the open steps are done")
        suggestions.append({"label": label, "uuid": ctx.new_uuid(), "isRecommended": True,
                            "actions": [{"type": "delete", "description": label,
                                         "resourceId": order.reference}]})
        behaviour = "at-most-one"
    elif dose_changed and dose is not None and not _extended_release(order.resource) and (
            updated := adjusted_order(order.resource, dose, name, ingredient_coding(k, drug.drug))) is not None:
        label = f"Change the order to {name} {_dose_text(dose)}"
        suggestions.append({"label": label, "uuid": ctx.new_uuid(), "isRecommended": True,
                            "actions": [{"type": "update", "description": label, "resource": updated}]})
        behaviour = "at-most-one"
    card = {
        "uuid": ctx.new_uuid(), "summary": short(summary), "indicator": indicator, "detail": "\n\n".join(md),
        "source": _source([label_ref] if label_ref else [], "verdict", None),
        "suggestions": suggestions, "selectionBehavior": behaviour if suggestions else None,
        "overrideReasons": _overrides(OVERRIDES_VERDICT) if indicator != "info" else None,
    }
    return BuiltCard(_finish(card, ctx), "verdict", indicator)


def _group_card(a: Assessment, group: str, findings: list[Finding], actions: list[Action], drugs: Sequence[str],
                patient_ref: str, requester: str | None, encounter: str | None,
                ctx: CardContext) -> BuiltCard | None:
    k = ctx.knowledge
    orderable = [x for x in actions if x.code in ORDERABLE]
    serious = [f for f in findings if f.severity != "info"]
    if not serious and not orderable:
        return None
    findings = sorted(findings, key=lambda f: _SEVERITY_RANK[f.severity])
    indicator = findings[0].severity if findings else "info"
    names = " and ".join(_drug_name(k, d) for d in drugs)
    lead = findings[0].summary if findings else actions[0].summary
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    summary = short(f"{GROUP_TITLE[group]}: {lead}", SUMMARY_MAX - len(more)) + more
    md = [f"**{GROUP_TITLE[group]}** " + (f"before starting {names}." if a.mode != "on-treatment"
                                            else f"for a patient on {names}.")]
    md.append("\n".join(_finding_md(f) for f in findings))
    if actions:
        md.append("**Steps**\n" + "\n".join(f"- {x.summary}" + (" (before start)" if x.blocking else "")
                                            for x in actions))
    md.append(_footer(a, ctx))
    suggestions = []
    for x in orderable:
        resources = order_resources(k, x.code, patient_ref, requester, encounter)
        if not resources:
            continue
        label = ORDERABLE[x.code][1]
        suggestions.append({"label": label, "uuid": ctx.new_uuid(), "isRecommended": x.blocking,
                            "actions": [{"type": "create", "description": f"Create {r['resourceType']}: {_text(r)}",
                                         "resource": r} for r in resources]})
    sources = [s for f in findings for s in f.sources]
    card = {
        "uuid": ctx.new_uuid(), "summary": summary, "indicator": indicator, "detail": "\n\n".join(md),
        "source": _source(sources, group, None),
        "suggestions": suggestions, "selectionBehavior": "any" if suggestions else None,
        "overrideReasons": _overrides(OVERRIDES_GROUP),
    }
    return BuiltCard(_finish(card, ctx), group, indicator)


def order_cards(a: Assessment, ordered: Sequence[OrderedDrug], starts: dict[str, DoseOut | None],
                patient_ref: str, requester: str | None, encounter: str | None,
                ctx: CardContext) -> list[BuiltCard]:
    """Cards for order-select / order-sign: one verdict card per ordered drug, then one per problem group."""
    drugs = list(dict.fromkeys(o.drug for o in ordered))
    relevant = [f for f in a.findings if _applies(f, drugs)]
    by_group: dict[str, list[Finding]] = {}
    for f in relevant:
        by_group.setdefault(_group(f.code), []).append(f)
    acts_by_group: dict[str, list[Action]] = {}
    for x in a.actions:
        g = GROUP_OF_ACTION.get(x.code)
        if g is not None and _applies(x, drugs):
            acts_by_group.setdefault(g, []).append(x)
    group_cards: list[BuiltCard] = []
    folded: list[Finding] = [f for f in by_group.get("verdict", []) if f.severity == "info"]
    for g in GROUP_ORDER:
        built = _group_card(a, g, by_group.get(g, []), acts_by_group.get(g, []), drugs, patient_ref, requester,
                            encounter, ctx) if (g in by_group or g in acts_by_group) else None
        if built is None:
            folded.extend(by_group.get(g, []))
        else:
            group_cards.append(built)
    out: list[BuiltCard] = []
    by_drug = {d.drug: d for d in a.drugs}
    for o in ordered:
        da = by_drug.get(o.drug)
        if da is None:
            continue
        out.append(_verdict_card(a, da, o, starts.get(o.drug), folded, ctx))
    out.extend(sorted(group_cards, key=lambda c: _SEVERITY_RANK[c.indicator]))
    return out


def is_green(h: Headline | None) -> bool:
    """Green (an info card) only when the best verdict is appropriate and no blocking step is open."""
    return h is not None and h.verdict == "appropriate" and h.open_steps == 0


def _indication_section(a: Assessment, ctx: CardContext, shared: frozenset[str] = frozenset()) -> list[str]:
    """The part of a patient-view card for one indication: its headline, its drugs with verdict (and the verdict
    once the open steps are done) and dose, and the steps before the start (except `shared`, the steps every
    section has, which the card lists once)."""
    blocking = [x for x in a.actions if x.blocking and x.summary not in shared]
    md = [f"**{a.indication}**: {a.headline.text}" if a.headline is not None else f"**{a.indication}**",
          f"JAK inhibitor options for this patient ({a.region} labels)."]
    md.append("\n".join(f"- {_drug_name(ctx.knowledge, d.drug)}: **{VERDICT_PHRASE[d.verdict]}**"
                        + (f" (once the open steps are done: {VERDICT_PHRASE[d.verdict_when_ready]})"
                           if d.verdict_when_ready not in (None, d.verdict) else "")
                        + (f", {_dose_text(d.dose)}" if d.dose else "") for d in a.drugs))
    if blocking:
        md.append(("**Before start, for this indication**\n" if shared else "**Before start**\n")
                  + "\n".join(f"- {x.summary}" for x in blocking))
    return md


def patient_view_card(a: Assessment, ctx: CardContext, more: Sequence[tuple[Assessment, str | None]] = (),
                      also_on_record: Sequence[str] = ()) -> list[BuiltCard]:
    """At most one card: the JAK inhibitor readiness of a patient with an approved-use indication on record.

    `a` is the assessment for one indication; with several approved-use indications on record, `more` holds the
    assessment of each other one (with its full-report link) and the card has one section per indication, named,
    and lists the steps before the start that they share once. `also_on_record`: indications on record that the
    card leaves out because the site chose one (settings.patient_view_indication); the card names them."""
    sections = [(x, u) for x, u in [(a, ctx.report_url), *more] if x.drugs and x.indication is not None]
    if not sections:
        return []
    a = sections[0][0]  # an indication with no drug in this region has no section
    every = [x for x, _ in sections]
    steps = [[x.summary for x in y.actions if x.blocking] for y in every]
    blocking = list(dict.fromkeys(s for per in steps for s in per))
    # green (info) only when every section's headline is: the best verdict appropriate and nothing blocking open
    indicator = "info" if all(is_green(x.headline) for x in every) else "warning"
    counts = [(x.indication, sum(1 for d in x.drugs if d.verdict in ALLOWS_START), len(x.drugs)) for x in every]
    if len(every) == 1:
        summary = (f"JAK inhibitor ({a.region}, {a.indication}): {a.headline.text}" if a.headline is not None else
                   f"JAK inhibitor check ({a.region}, {a.indication}): {counts[0][1]} of {counts[0][2]} drugs "
                   f"possible; {len(blocking)} step(s) before start")
        md = _indication_section(a, ctx)
    else:
        summary = (f"JAK inhibitor ({a.region}): depends on the indication - " + "; ".join(
            f"{x.indication}: {_headline_words(x)}" for x in every))
        shared = frozenset(set(steps[0]).intersection(*steps[1:]))
        md = [f"**{len(every)} approved-use indications on record:** {', '.join(str(i) for i, _, _ in counts)}. "
              "One section for each: the drugs, doses and label limits differ by indication."]
        for x in every:
            md.extend(_indication_section(x, ctx, shared))
        if shared:
            md.append("**Before start, for every indication**\n"
                      + "\n".join(f"- {s}" for s in blocking if s in shared))
    if also_on_record:
        md.append(f"Also on record, not covered by this card (the site shows {a.indication}): "
                  + ", ".join(also_on_record) + ". The full report can be run for each.")
    md.append(_footer(a, ctx))
    card = {"uuid": ctx.new_uuid(), "summary": short(summary), "indicator": indicator, "detail": "\n\n".join(md),
            "source": {"label": "jakcheck assessment of the product labels",
                       "topic": {"system": CARD_TYPE_SYSTEM, "code": "summary", "display": "Summary"}}}
    built = _finish(card, ctx)
    if (len(sections) > 1 or sections[0][1] != ctx.report_url) and ctx.report_url:
        built["links"] = [{"label": f"Full jakcheck report: {x.indication}", "url": u, "type": "absolute"}
                          for x, u in sections if u]
    return [BuiltCard(built, "summary", indicator)]


def notice_card(summary: str, detail: str, ctx: CardContext, card_type: str = "data-unavailable") -> BuiltCard:
    """An info card saying why no assessment could be made (e.g. no patient data reachable)."""
    card = {"uuid": ctx.new_uuid(), "summary": short(summary), "indicator": "info", "detail": detail,
            "source": {"label": "jakcheck", "topic": {"system": CARD_TYPE_SYSTEM, "code": card_type,
                                                       "display": card_type.replace("-", " ").capitalize()}}}
    saved, ctx.report_url = ctx.report_url, None
    try:
        return BuiltCard(_finish(card, ctx), card_type, "info")
    finally:
        ctx.report_url = saved
