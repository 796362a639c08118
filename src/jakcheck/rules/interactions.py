"""Drug interactions: CYP3A4, CYP2C19 and OAT3 modulators; combination with biologics and potent
immunosuppressants.

Each drug's label lists the interacting classes and the action (dose change, not recommended); the classes of
the patient's current medicines come from the value sets.
"""

from __future__ import annotations

from jakcheck.knowledge.schema import Cite
from jakcheck.patient.derived import medications_with_class
from jakcheck.patient.facts import MedicationFact
from jakcheck.rules.base import ActionSpec, Context, Hit, doses_text, severity_for, verdict_from_action

CODE_FOR = {
    "cyp3a4-strong-inhibitor": "ddi.cyp3a4-strong-inhibitor",
    "cyp3a4-moderate-and-cyp2c19-strong-inhibitor": "ddi.cyp3a4-moderate-cyp2c19-strong-inhibitor",
    "cyp3a4-moderate-inhibitor": "ddi.cyp3a4-moderate-inhibitor",
    "cyp3a4-strong-inducer": "ddi.cyp3a4-strong-inducer",
    "cyp2c19-strong-inhibitor": "ddi.cyp2c19-inhibitor",
    "cyp2c19-and-cyp2c9-inhibitor": "ddi.cyp2c19-cyp2c9-inhibitor",
    "cyp2c19-inducer": "ddi.cyp2c19-inducer",
    "cyp2c19-or-cyp2c9-strong-inducer": "ddi.cyp2c19-cyp2c9-strong-inducer",
    "cyp2c9-inducer": "ddi.cyp2c9-inducer",
    "oat3-strong-inhibitor": "ddi.oat3-inhibitor",
    "antiplatelet": "ddi.antiplatelet",
    "biologic-dmard": "ddi.immunosuppressant-combination",
    "potent-immunosuppressant": "ddi.immunosuppressant-combination",
    "other-jak-inhibitor": "ddi.immunosuppressant-combination",
}
TEXT = {
    "cyp3a4-strong-inhibitor": "strong CYP3A4 inhibitor",
    "cyp3a4-moderate-and-cyp2c19-strong-inhibitor": "moderate CYP3A4 plus strong CYP2C19 inhibitor",
    "cyp3a4-moderate-inhibitor": "moderate CYP3A4 inhibitor",
    "cyp3a4-strong-inducer": "strong CYP3A4 inducer",
    "cyp2c19-strong-inhibitor": "strong CYP2C19 inhibitor",
    "cyp2c19-and-cyp2c9-inhibitor": "inhibitor of both CYP2C19 and CYP2C9",
    "cyp2c19-inducer": "CYP2C19 inducer",
    "cyp2c19-or-cyp2c9-strong-inducer": "strong CYP2C19 or CYP2C9 inducer",
    "cyp2c9-inducer": "CYP2C9 inducer",
    "oat3-strong-inhibitor": "strong OAT3 inhibitor",
    "antiplatelet": "antiplatelet drug",
    "biologic-dmard": "biologic DMARD",
    "potent-immunosuppressant": "potent immunosuppressant",
    "other-jak-inhibitor": "another JAK inhibitor",
}


def interactions(ctx: Context, only: tuple[str, ...] | None = None) -> list[Hit]:
    """When a current medicine belongs to a class that a drug's label names, Then apply the label's action:
    a changed dose (ddi.* with the dose), not recommended, or caution. A JAK inhibitor is not flagged as
    interacting with itself. One medicine can belong to several classes (fluconazole: moderate CYP3A4 plus strong
    CYP2C19 inhibitor, and inhibitor of both CYP2C19 and CYP2C9): each class the label names gives its own
    finding, and the engine applies the most cautious of them (the stricter verdict, the lowest dose) - e.g. US
    abrocitinib with fluconazole: a dose reduction for strong CYP2C19 inhibitors and "avoid" for dual
    CYP2C19/CYP2C9 inhibitors give "not recommended". (`only`: just these classes.)"""
    hits = []
    for d in ctx.drugs:
        for rule in ctx.label(d).interactions:
            if rule.action == "no-change" or not ctx.applies_to_indication(rule.indications) or (
                    only is not None and rule.interacts_with not in only):
                continue
            meds = [m for m in medications_with_class(ctx.facts, rule.interacts_with) if m.concept != d]
            if not meds:
                continue
            names = ", ".join(sorted({m.display for m in meds}))
            ends = sorted(m.end for m in meds if m.end is not None and m.end >= ctx.facts.as_of)
            if ends and len(ends) == len(meds):
                names += f" (course ends {ends[-1].isoformat()}; applies while it is taken)"
            doses = tuple((d, ch.dose) for ch in rule.doses if ctx.applies_to_indication(ch.indications))
            what = doses_text([x for _, x in doses]) if doses else rule.action.replace("-", " ")
            if rule.interacts_with in COMBINATION_CLASSES:
                hits.append(_combination(d, rule.interacts_with, names, what, rule.note, meds, rule.cite))
                continue
            verdict = verdict_from_action(rule.action)
            hits.append(Hit(
                code=CODE_FOR[rule.interacts_with],
                severity="warning" if verdict is None else severity_for(verdict),
                drugs=(d,), verdict=verdict, doses=doses,
                summary=f"{d} with {names} ({TEXT[rule.interacts_with]}): {what}.",
                detail=rule.note or "Interaction per label.",
                evidence=tuple(m.source for m in meds), cites=tuple(rule.cite),
            ))
    return hits


COMBINATION_CLASSES = ("biologic-dmard", "potent-immunosuppressant", "other-jak-inhibitor")


def _combination(drug: str, cls: str, names: str, what: str, note: str | None, meds: list[MedicationFact],
                 cites: list[Cite]) -> Hit:
    """Combination with a biologic, another JAK inhibitor or a potent immunosuppressant is outside the label.
    A current one is usually being replaced: the finding asks to stop it before the first dose (caution), so
    a switch is not reported as a contraindication."""
    return Hit(
        code="ddi.immunosuppressant-combination", severity="warning", drugs=(drug,), verdict="caution",
        summary=f"{drug} with {names} ({TEXT[cls]}): combination {what}; stop it before the first dose.",
        detail=(note + " " if note else "") + "Labels do not support combining a JAK inhibitor with biologic "
        "DMARDs, other JAK inhibitors or potent immunosuppressants such as azathioprine or ciclosporin; "
        "methotrexate and other conventional DMARDs may continue.",
        evidence=tuple(m.source for m in meds), cites=tuple(cites),
        actions=(ActionSpec("stop-combination", f"Stop {names} before the first JAK inhibitor dose (no "
                            "combination).", "at-start", False),),
    )


RULES = (interactions,)
