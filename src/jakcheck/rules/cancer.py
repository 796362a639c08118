"""Malignancy: current cancer, history of cancer, non-melanoma skin cancer.

EMA 2023: patients with malignancy risk factors (e.g. current malignancy or history of malignancy) - use only
if no suitable alternative. EULAR 2024 points to consider (history of cancer): decide jointly with the
oncologist; JAK inhibitors (like abatacept) with caution and only when no therapeutic alternative exists,
because data in patients with prior cancer are scarce; targeted therapy need not be delayed once the cancer
is in remission. FDA 2021: malignancy (lymphoma, lung cancer) in the boxed warning; NMSC - periodic skin
examination.
"""

from __future__ import annotations

from jakcheck.assessment import Verdict
from jakcheck.patient.derived import conditions
from jakcheck.rules.base import ActionSpec, Context, Hit, class_cite, regulated_drugs, severity_for
from jakcheck.rules.cites import EULAR_CANCER, ORAL_SURV


def malignancy(ctx: Context) -> list[Hit]:
    """When the record shows a cancer other than non-melanoma skin cancer (active or past), Then only if no
    suitable alternative, after a joint decision with oncology; active cancer: not recommended."""
    drugs = regulated_drugs(ctx)
    if not drugs:
        return []
    found = conditions(ctx.facts, "malignancy")
    if not found:
        return []
    active = [c for c in found if c.active]
    verdict: Verdict = "not-recommended" if active else "only-if-no-alternative"
    names = ", ".join(sorted({c.display for c in found}))
    state = "active" if active else "history of"
    return [Hit(
        code="risk.malignancy", severity=severity_for(verdict), drugs=drugs, verdict=verdict,
        reason="active cancer" if active else "past cancer",
        summary=f"Malignancy ({state}): {names}.",
        detail=("EULAR 2024: decide with the oncologist; JAK inhibitors only with caution when no therapeutic "
                "alternative exists; no fixed waiting time once the cancer is in remission. "
                "Cancer excluding NMSC was more frequent on tofacitinib than TNF inhibitors in ORAL Surveillance"
                + (". An active cancer is not in remission: do not start." if active else ".")),
        evidence=tuple(c.source for c in found),
        cites=class_cite(ctx) + (EULAR_CANCER, ORAL_SURV),
        actions=(ActionSpec("oncology-review", "Agree the choice of targeted therapy with the patient's oncologist.",
                            "before-start", bool(active)),),
    )]


def skin_cancer(ctx: Context) -> list[Hit]:
    """When non-melanoma skin cancer is on record, Then caution and periodic skin examination."""
    drugs = regulated_drugs(ctx)
    found = conditions(ctx.facts, "nmsc")
    if not drugs or not found:
        return []
    return [Hit(
        code="risk.nmsc", severity="warning", drugs=drugs, verdict="caution",
        summary="Non-melanoma skin cancer on record: periodic skin examination on treatment.",
        detail="NMSC occurred more often on tofacitinib than on TNF inhibitors; labels advise skin examinations "
               "for patients at increased risk.",
        evidence=tuple(c.source for c in found), cites=class_cite(ctx) + (ORAL_SURV,),
    )]


RULES = (malignancy, skin_cancer)
