"""Re-review triggers: what changed since the current JAK inhibitor was started.

EMA 2023: the measures (use only if no suitable alternative at 65 and over, in current or past long-time
smokers and with increased cardiovascular or malignancy risk; caution with VTE risk; lower doses where the
label gives them) apply to patients already on treatment, whose therapy prescribers were asked to review.
FDA 2021: the boxed warning risks are to be weighed again as the patient's risk changes. Labels: a changed
renal function can move the patient into another dose band; a new interacting medicine can change the dose or
make the combination not recommended.

Each trigger fires only for a change after the start date (a condition's onset, a birthday, a medicine's
start, a smoking status recorded, a renal value measured); what was already true at the start was part of the
start decision. The risk findings themselves (risk.*, renal.*, ddi.*) still fire and carry the verdict and
dose; these findings say that the decision must be revisited and what the sources recommend.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from jakcheck.knowledge.schema import Cite, RenalBand
from jakcheck.patient.derived import age_on, conditions, medications_with_class, renal_function
from jakcheck.rules.base import ActionSpec, Context, Hit, class_cite, dose_text, regulated_drugs
from jakcheck.rules.cites import EULAR_CANCER, ORAL_SURV, ORAL_SURV_VTE
from jakcheck.rules.interactions import TEXT
from jakcheck.rules.renal_hepatic import MEASURE_TEXT, UNIT, band_for, band_text, renal_function_now


def _since_start(ctx: Context) -> tuple[str, date] | None:
    """(drug, start) of the current therapy when its start date is known."""
    drug = ctx.current_drug
    if drug is None or ctx.current is None or ctx.current.start is None:
        return None
    return drug, ctx.current.start


def _lower_doses(ctx: Context, drug: str, group: str) -> str:
    """The label's lower dose for a risk group (risk_doses or age rules), as text; '' when there is none."""
    lab = ctx.label(drug)
    doses = [dose_text(ch.dose) for r in lab.risk_doses if group in r.risks and ctx.applies_to_indication(
        r.indications) for ch in r.doses if ctx.applies_to_indication(ch.indications)]
    if group == "age-65-plus":
        doses += [dose_text(ch.dose) for r in lab.age if r.min_age <= 65 and ctx.applies_to_indication(
            r.indications) for ch in r.doses if ctx.applies_to_indication(ch.indications)]
    return "; ".join(dict.fromkeys(doses))


def _recommendation(ctx: Context, drug: str, group: str) -> str:
    if ctx.region == "EU":
        text = "EMA 2023: continue only if no suitable treatment alternative exists"
    else:
        text = "FDA 2021 boxed warning: weigh the risks of continuing (MACE, malignancy, thrombosis, death)"
    lower = _lower_doses(ctx, drug, group)
    return text + (f"; the label's lower dose for this group: {lower}" if lower else "")


def new_risk_factor(ctx: Context) -> list[Hit]:
    """When, since the start of the current JAK inhibitor, the patient has turned 65, had an atherosclerotic
    cardiovascular event, a venous thromboembolism or a malignancy (onset after the start), or current
    smoking has been recorded, Then review.new-risk-factor: re-decide whether to continue, with what the
    source recommends (EU: only if no suitable alternative and the label's lower dose; US: weigh the boxed
    warning risks; VTE: stop and evaluate; cancer: decide with oncology). Sources: EMA 2023, FDA 2021,
    ORAL Surveillance, EULAR 2024."""
    since = _since_start(ctx)
    if since is None:
        return []
    drug, start = since
    if drug not in regulated_drugs(ctx):
        return []
    f = ctx.facts
    found: list[tuple[str, str, tuple[str, ...], str, tuple[Cite, ...]]] = []
    age_limit = int(ctx.threshold("age-risk-years"))
    if f.birth_date is not None and age_on(f.birth_date, start) < age_limit <= age_on(f.birth_date, f.as_of):
        found.append(("age-65-plus", f"turned {age_limit} after the start", (f.patient_source,),
                      _recommendation(ctx, drug, "age-65-plus"), ctx.threshold_cites("age-risk-years")))
    triggers: tuple[tuple[str, str, str, str, tuple[Cite, ...]], ...] = (
            ("ascvd", "cardiovascular", "new atherosclerotic cardiovascular event", "", ()),
            ("vte", "vte", "new venous thromboembolism",
             "; labels: stop the drug and evaluate promptly when thrombosis occurs, and decide with the patient "
             "whether any JAK inhibitor should be resumed", ()),
            ("malignancy", "malignancy", "new malignancy",
             "; EULAR 2024: decide with the oncologist", (EULAR_CANCER,)))
    for concept, group, what, extra, cites in triggers:
        new = [c for c in conditions(f, concept) if c.onset is not None and c.onset > start]
        if new:
            names = ", ".join(sorted({c.display for c in new}))
            rec = ("EU 2023 measures: use with caution" if group == "vte" and ctx.region == "EU"
                   else _recommendation(ctx, drug, group))
            found.append((group, f"{what} ({names}) after the start", tuple(c.source for c in new), rec + extra,
                          cites))
    s = f.smoking
    if s.status == "current" and s.effective is not None and s.effective > start:
        found.append(("smoking", f"current smoking recorded on {s.effective.isoformat()}, after the start",
                      (s.source,) if s.source else (), _recommendation(ctx, drug, "smoking")
                      + "; support smoking cessation", ()))
    hits = []
    for group, what, evidence, rec, cites in found:
        hits.append(Hit(
            code="review.new-risk-factor", severity="critical" if group == "vte" else "warning", drugs=(drug,),
            verdict="defer" if group == "vte" else None,
            summary=f"On {drug} since {start.isoformat()}: {what} - review the treatment.",
            detail=rec + ".",
            evidence=evidence,
            cites=class_cite(ctx) + ((ORAL_SURV_VTE,) if group == "vte" else (ORAL_SURV,)) + cites,
            actions=(ActionSpec(f"review-{drug}-risk", f"Review whether {drug} should continue, at which dose, or "
                                "be switched (new risk factor since the start).", "after-start", False),),
        ))
    return hits


def new_interaction(ctx: Context) -> list[Hit]:
    """When a medicine that the current drug's label names as interacting (dose change, not recommended) was
    started after the current drug, Then review.new-interaction with the label's action (the ddi.* finding
    carries the dose or verdict). Source: each label's interaction section."""
    since = _since_start(ctx)
    if since is None:
        return []
    drug, start = since
    hits = []
    for rule in ctx.label(drug).interactions:
        if rule.action == "no-change" or not ctx.applies_to_indication(rule.indications):
            continue
        meds = [m for m in medications_with_class(ctx.facts, rule.interacts_with)
                if m.concept != drug and m.start is not None and m.start > start]
        if not meds:
            continue
        names = ", ".join(sorted({m.display for m in meds}))
        doses = [dose_text(ch.dose) for ch in rule.doses if ctx.applies_to_indication(ch.indications)]
        what = "; ".join(doses) if doses else rule.action.replace("-", " ")
        hits.append(Hit(
            code="review.new-interaction", severity="warning", drugs=(drug,),
            summary=(f"{names} ({TEXT[rule.interacts_with]}) started after {drug} (on {drug} since "
                     f"{start.isoformat()}): label - {what}."),
            detail=(rule.note + " " if rule.note else "") + "Review the dose or the combination now.",
            evidence=tuple(m.source for m in meds), cites=tuple(rule.cite),
            actions=(ActionSpec(f"review-{drug}-interaction", f"Review {drug} with {names}: {what}.", "after-start",
                                False),),
        ))
    return hits


def _band_text(band: RenalBand | None) -> str:
    if band is None:
        return "outside the label's bands (no change)"
    doses = "; ".join(dose_text(ch.dose) for ch in band.doses)
    return f"band {band_text(band)} ({band.action.replace('-', ' ')}{': ' + doses if doses else ''})"


def dose_band_changed(ctx: Context) -> list[Hit]:
    """When the renal function measured after the start (in the label's own measure) falls in another band
    of the current drug's label than the last value before the start, Then review.dose-band-changed with the
    new band's action and dose. Source: each label's renal impairment table."""
    since = _since_start(ctx)
    if since is None:
        return []
    drug, start = since
    rules = ctx.label(drug).renal
    if rules is None:
        return []
    now = renal_function_now(ctx, rules.measure)
    if now is None or now.effective <= start:
        return []
    days = int(ctx.threshold("renal-baseline-lookback-days"))
    before = renal_function(replace(ctx.facts, as_of=start), rules.measure, days)
    if before is None:
        return []
    bands = [b for b in rules.bands if ctx.applies_to_indication(b.indications)]
    was, is_now = band_for(bands, before.compare_value), band_for(bands, now.compare_value)
    if was == is_now:
        return []
    unit = UNIT[rules.measure]
    return [Hit(
        code="review.dose-band-changed", severity="warning", drugs=(drug,),
        summary=(f"{drug}: {MEASURE_TEXT[rules.measure]} now {now.shown} {unit} ({now.effective.isoformat()}), "
                 f"was {before.value:g} {unit} at the start: label {_band_text(is_now)}, was {_band_text(was)}."),
        detail=((is_now.note + " ") if is_now is not None and is_now.note else "")
        + "Renal function has moved into another dose band since the start; review the dose.",
        evidence=now.evidence + before.evidence,
        cites=tuple(c for b in (is_now, was) if b is not None for c in b.cite),
        actions=(ActionSpec(f"review-{drug}-renal-dose", f"Review the {drug} dose for the new renal function.",
                            "after-start", False),),
    )]


RULES = (new_risk_factor, new_interaction, dose_band_changed)
