"""Regulatory risk groups: age 65 and over, smoking, the US TNF-blocker requirement, per-label age doses.

EU (EMA 2023 Article 20 referral): in patients aged 65 or over, current or past long-time smokers, patients
with increased cardiovascular risk or malignancy risk, JAK inhibitors for chronic inflammatory disease should
be used only if no suitable alternative exists. US (FDA 2021): boxed warning on mortality, malignancy, MACE,
thrombosis and serious infections; consider benefits and risks, especially in patients 65+, current or past
smokers; most inflammatory indications are limited to patients after a TNF blocker.
"""

from __future__ import annotations

from jakcheck.assessment import Verdict
from jakcheck.knowledge.schema import IndicationRule
from jakcheck.patient.derived import age_years, conditions, medications_with_class
from jakcheck.rules.base import (
    ActionSpec,
    Context,
    Hit,
    class_cite,
    dose_text,
    missing,
    regulated_drugs,
    severity_for,
    verdict_from_action,
)
from jakcheck.rules.cardiovascular import CV_RISK_FACTORS
from jakcheck.rules.cites import ORAL_SURV
from jakcheck.rules.scores import age_counted_elsewhere, high_calculated_risk


def is_65_or_older(ctx: Context) -> bool:
    age = age_years(ctx.facts)
    return age is not None and age >= ctx.threshold("age-risk-years")


def age_65_plus(ctx: Context) -> list[Hit]:
    """When the patient is 65 or older, Then (EU) a class JAK inhibitor only if no suitable alternative;
    (US) caution under the boxed warning. Sources: EMA 2023 referral; FDA DSC 2021; ORAL Surveillance."""
    drugs = regulated_drugs(ctx)
    if not drugs or not is_65_or_older(ctx):
        return []
    age = age_years(ctx.facts)
    verdict: Verdict = "only-if-no-alternative" if ctx.region == "EU" else "caution"
    rule = ("use only if no suitable treatment alternative exists" if ctx.region == "EU"
            else "weigh the boxed-warning risks (serious infection, MACE, malignancy, thrombosis, mortality)")
    high = high_calculated_risk(ctx)
    score_note = ""
    if age_counted_elsewhere(ctx, high) and high is not None and not (
            conditions(ctx.facts, "ascvd") or conditions(ctx.facts, *CV_RISK_FACTORS, active_only=True)):
        score_note = (f" The {high.text()} is above its threshold largely because of age, which this finding "
                      "already counts; with no cardiovascular disease or risk factor on record it is not counted "
                      "a second time as cardiovascular risk (see `scores`).")
    return [Hit(
        code="risk.age-65-plus", severity=severity_for(verdict), drugs=drugs, verdict=verdict, reason=f"age {age}",
        summary=f"Age {age}: 65 or older - {rule}.",
        detail=("In ORAL Surveillance, patients aged 65 or over had higher rates of MACE, malignancy and serious "
                "infection on tofacitinib than on a TNF inhibitor; regulators extended this to the class."
                + score_note),
        evidence=(ctx.facts.patient_source,),
        cites=class_cite(ctx) + ctx.threshold_cites("age-risk-years") + (ORAL_SURV,),
    )]


def smoking(ctx: Context) -> list[Hit]:
    """When the patient is a current smoker or a former smoker, Then (EU) only if no suitable alternative,
    (US) caution; when smoking status is unknown, Then a finding asks for it (never read as non-smoker)."""
    drugs = regulated_drugs(ctx)
    if not drugs:
        return []
    s = ctx.facts.smoking
    if s.status == "unknown":
        return [Hit(
            code="risk.smoking-unknown", severity="warning", drugs=drugs,
            summary="Smoking status not recorded: current or past smoking changes the JAK inhibitor decision.",
            detail="No smoking status (LOINC 72166-2) or smoking condition is on record; it is treated as unknown.",
            evidence=(missing("smoking status (LOINC 72166-2)"),), cites=class_cite(ctx),
            actions=(ActionSpec("record-smoking-status", "Record the patient's smoking history (current, past "
                                "and duration).", "before-start", False),),
        )]
    if s.status == "never":
        return []
    verdict: Verdict = "only-if-no-alternative" if ctx.region == "EU" else "caution"
    what = "current smoker" if s.status == "current" else "former smoker"
    note = ("" if s.status == "current" else
            " The EMA measure names current or past long-time smokers; the record does not give the duration, "
            "so a former smoker is flagged until the history shows otherwise.")
    return [Hit(
        code="risk.smoking", severity=severity_for(verdict), drugs=drugs, verdict=verdict, reason=what,
        summary=f"Smoking: {what}." + (" Use only if no suitable alternative." if ctx.region == "EU" else
                                       " Weigh MACE and malignancy risk (boxed warning)."),
        detail=("Ever smokers had higher rates of MACE, malignancy (notably lung cancer) and death on "
                "tofacitinib than on TNF inhibitors in ORAL Surveillance." + note),
        evidence=(s.source,) if s.source else (), cites=class_cite(ctx) + (ORAL_SURV,),
    )]


def has_had_tnf_blocker(ctx: Context) -> list[str]:
    return [m.source for m in medications_with_class(ctx.facts, "tnf-inhibitor", current_only=False)]


def tnf_inadequate_response_required(ctx: Context) -> list[Hit]:
    """When the region's label limits the drug for this indication to patients after inadequate response or
    intolerance to a TNF blocker, and no TNF blocker is on record, Then the drug is outside its label
    (not recommended). A current or stopped TNF blocker in the record is taken as meeting the requirement.
    Where the label also allows use when TNF blockers are clinically inadvisable (after another approved systemic
    therapy), Then instead label.tnf-route-confirm: caution with a confirm action. A start decision: not
    re-checked for the drug the patient already takes."""
    if ctx.indication is None or ctx.region != "US":  # the requirement exists only in US labels
        return []
    prior = has_had_tnf_blocker(ctx)
    if prior:
        return []
    hits = []
    for d in ctx.start_drugs():
        for rule in ctx.label(d).indications:
            if rule.indication == ctx.indication and rule.tnf_ir_required and rule.tnf_ir_alternative:
                hits.append(_tnf_alternative_route(ctx, d, rule))
                break
            if rule.indication == ctx.indication and rule.tnf_ir_required:
                note = f" {rule.tnf_ir_note}" if rule.tnf_ir_note else ""
                hits.append(Hit(
                    code="label.tnf-inadequate-response-required", severity="critical", drugs=(d,),
                    verdict="not-recommended", reason="no TNF blocker tried",
                    summary=(f"{d}: the {ctx.region} label for {ctx.indication} requires an inadequate response "
                             "or intolerance to a TNF blocker; none is on record."),
                    detail=("No TNF blocker (current or past) is in the medication record. A TNF blocker that was "
                            "stopped is assumed to have been stopped for inadequate response or intolerance; "
                            "confirm this with the patient's history." + note),
                    evidence=(missing("TNF blocker in medication history"),),
                    cites=tuple(rule.cite),
                ))
                break
    return hits


def _tnf_alternative_route(ctx: Context, drug: str, rule: IndicationRule) -> Hit:
    """The label allows a second route besides TNF-blocker failure (US upadacitinib UC/CD since October 2025: TNF
    blockers clinically inadvisable and at least one other approved systemic therapy received). Whether a TNF
    blocker is inadvisable for this patient is a clinical judgement the record rarely holds in coded form, so a
    TNF-naive patient is neither passed nor refused: the finding asks the prescriber to confirm one of the two
    routes before the first dose (caution, blocking action)."""
    return Hit(
        code="label.tnf-route-confirm", severity="warning", drugs=(drug,), verdict="caution", until_done=True,
        summary=(f"{drug}: no TNF blocker on record; the {ctx.region} label for {ctx.indication} also allows use "
                 "when TNF blockers are clinically inadvisable and at least one other approved systemic therapy "
                 "was given - confirm which applies."),
        detail=("No TNF blocker (current or past) is in the medication record. The label's first route is an "
                "inadequate response or intolerance to a TNF blocker; its second route is a patient for whom TNF "
                "blockers are clinically inadvisable who has already received at least one approved systemic "
                "therapy. Record the reason TNF blockers are inadvisable and the prior systemic therapy, or the "
                "TNF blocker history." + (f" {rule.tnf_ir_note}" if rule.tnf_ir_note else "")),
        evidence=(missing("TNF blocker in medication history"),
                  missing("record that TNF blockers are clinically inadvisable")),
        cites=tuple(rule.cite) + tuple(rule.tnf_ir_alternative_cite),
        actions=(ActionSpec("confirm-tnf-route", "Confirm and record either a prior TNF blocker (inadequate "
                            "response or intolerance) or that TNF blockers are clinically inadvisable and at least "
                            "one approved systemic therapy was given.", "before-start", True),),
    )


def age_dose(ctx: Context) -> list[Hit]:
    """When a drug's label sets a dose or restriction from an age (e.g. EU baricitinib 2 mg at 65+), Then
    apply it and say so. Source: each drug's label, age section."""
    age = age_years(ctx.facts)
    if age is None:
        return []
    hits = []
    for d in ctx.drugs:
        for rule in ctx.label(d).age:
            if age < rule.min_age or not ctx.applies_to_indication(rule.indications):
                continue
            doses = tuple((d, ch.dose) for ch in rule.doses if ctx.applies_to_indication(ch.indications))
            verdict = verdict_from_action(rule.action)
            dose_part = "; ".join(dose_text(x) for _, x in doses)
            hits.append(Hit(
                code="age.dose-adjustment", severity="warning", drugs=(d,), verdict=verdict, doses=doses,
                summary=(f"{d}: age {age} (label rule from {rule.min_age})"
                         + (f": {dose_part}." if dose_part else f": {rule.action}.")),
                detail=rule.note or "Label age rule.",
                evidence=(ctx.facts.patient_source,), cites=tuple(rule.cite),
            ))
    return hits


def risk_groups(ctx: Context) -> dict[str, tuple[str, ...]]:
    """The EMA risk groups this patient belongs to, each with its evidence."""
    f = ctx.facts
    groups: dict[str, tuple[str, ...]] = {}
    if is_65_or_older(ctx):
        groups["age-65-plus"] = (f.patient_source,)
    if f.smoking.status in ("current", "former"):
        groups["smoking"] = (f.smoking.source,) if f.smoking.source else ()
    cv = [c.source for c in conditions(f, "ascvd") + conditions(f, *CV_RISK_FACTORS, active_only=True)]
    if f.smoking.status in ("current", "former") and f.smoking.source:
        cv.append(f.smoking.source)  # SmPC 4.4: current or past long-time smokers are at higher MACE risk
    high = high_calculated_risk(ctx)
    if high is not None and (cv or not age_counted_elsewhere(ctx, high)):
        cv.extend(high.score.evidence)
    if cv:
        groups["cardiovascular"] = tuple(dict.fromkeys(cv))
    cancer = conditions(f, "malignancy")
    if cancer:
        groups["malignancy"] = tuple(c.source for c in cancer)
    vte = [c.source for c in conditions(f, "vte")] + [m.source for m in medications_with_class(f, "estrogen")]
    if vte:
        groups["vte"] = tuple(vte)
    return groups


def high_risk_dose(ctx: Context) -> list[Hit]:
    """When the patient is at higher risk of VTE, MACE or malignancy and the drug's label recommends a lower
    dose for such patients (EU 2023 wording, e.g. baricitinib 2 mg, filgotinib 100 mg, abrocitinib 100 mg),
    Then that dose. Source: each drug's SmPC section 4.2."""
    groups = risk_groups(ctx)
    if not groups:
        return []
    hits = []
    for d in ctx.drugs:
        for rule in ctx.label(d).risk_doses:
            present = [g for g in rule.risks if g in groups]
            if not present or not ctx.applies_to_indication(rule.indications):
                continue
            doses = tuple((d, ch.dose) for ch in rule.doses if ctx.applies_to_indication(ch.indications))
            hits.append(Hit(
                code="risk.lower-dose", severity="warning", drugs=(d,), doses=doses,
                summary=f"{d}: higher-risk patient ({', '.join(present)}): " + "; ".join(dose_text(x) for _, x in doses)
                + ".",
                detail=rule.note or "Lower dose for patients at higher risk per label.",
                evidence=tuple(e for g in present for e in groups[g]), cites=tuple(rule.cite),
            ))
    return hits


def age_unknown(ctx: Context) -> list[Hit]:
    """When the birth date is missing, Then age-based rules cannot run: say so."""
    if ctx.facts.birth_date is not None:
        return []
    return [Hit(code="data.age-unknown", severity="warning",
                summary="Birth date not recorded: age-based rules (65+, dose by age) could not be applied.",
                detail="Patient.birthDate is absent.", evidence=(missing("Patient.birthDate"),),
                cites=class_cite(ctx),
                actions=(ActionSpec("record-birth-date", "Record the patient's date of birth.", "before-start",
                                    True),))]


RULES = (age_65_plus, smoking, tnf_inadequate_response_required, age_dose, high_risk_dose, age_unknown)
