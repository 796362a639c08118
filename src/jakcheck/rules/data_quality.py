"""Data that could not be used, and concepts recognised from free text only.

A value with an unknown unit, an implausible value or an unreadable date is set aside, never guessed; the
clinician sees which resource and field it was. A concept recognised from text alone is reported so it can
be checked and coded.
"""

from __future__ import annotations

import re

from jakcheck.patient.derived import PREGNANCY_END, PREGNANCY_END_PROCEDURE, age_years, latest_lab
from jakcheck.patient.facts import LabValue, StaleEntry, TextMatch, UnusableValue
from jakcheck.rules.base import ActionSpec, Context, Hit, missing
from jakcheck.rules.cites import CDS_HOOKS_PREFETCH, FHIR_PAGING, FHIR_R4, FHIR_UCUM
from jakcheck.rules.labs import bound_set_aside
from jakcheck.rules.renal_hepatic import renal_edges, renal_function_now
from jakcheck.rules.reproductive import is_pregnant
from jakcheck.rules.text_only import confirm_action


def _bound_used_as_egfr(ctx: Context, lab: LabValue) -> bool:
    """A recorded eGFR bound ("> 90") that the renal bands used (it settles every band edge)."""
    if lab.concept != "egfr":
        return False
    fn = renal_function_now(ctx, "egfr")
    return fn is not None and fn.comparator is not None and fn.evidence == (lab.source,)


def unusable_values(ctx: Context) -> list[Hit]:
    """When a value in the record could not be used (unknown unit, implausible, unreadable, or a bound such as
    "< 0.5" that does not settle every threshold a rule compares it with), Then report it with the resource and
    field, one finding per resource."""
    hits = []
    unusable = list(ctx.facts.unusable)
    for lab in ctx.facts.labs:  # a bound ("< 0.5") that no rule could use is set aside like an unusable value
        why = None if lab.comparator is None or _bound_used_as_egfr(ctx, lab) else bound_set_aside(ctx, lab)
        if why is not None and lab.concept == "egfr":
            edges = sorted(set(renal_edges(ctx, "egfr")))
            why = "it does not settle every renal band edge compared (" + ", ".join(f"{e:g}" for e in edges) + ")"
        if why is not None:
            unusable.append(UnusableValue(lab.source, "valueQuantity.comparator",
                                          f"value is a bound ({lab.original}), {why}", lab.concept))
    for u in sorted(unusable, key=lambda u: (u.source, u.field)):
        what = f" ({u.concept})" if u.concept else ""
        hits.append(Hit(
            code="data.unusable-value", severity="warning",
            summary=f"{u.source}{what}: value not used - {u.reason}.",
            detail=f"Field {u.field}. The value was set aside, not guessed; rules that need it treat it as "
                   "missing.",
            evidence=(u.source,), cites=(FHIR_UCUM,),
        ))
    return hits


def _qualifiers(t: TextMatch) -> str:
    words = ", ".join(f"'{w}'" for w in t.triggers)
    return f"{', '.join(t.qualifiers)}: {words}" if words else ", ".join(t.qualifiers)


_NOT_USED = {"negated": "says it is absent", "family": "is about a relative", "hypothetical": "is a plan or a risk"}


def text_matches(ctx: Context) -> list[Hit]:
    """When a concept was recognised from free text only, Then report it for coding, with how the words around
    it were read: a past or treated condition is recorded as not active; a negated, family or hypothetical
    mention ("denies tuberculosis", "mother: breast cancer", "risk of zoster") is reported and not used."""
    hits = []
    for t in sorted(ctx.facts.text_matches, key=lambda t: (t.source, t.concept)):
        if not t.used:
            hits.append(Hit(
                code="data.text-match", severity="info",
                summary=f"{t.source}: '{t.text}' names {t.concept} but {_NOT_USED.get(t.read_as, t.read_as)} "
                        f"({_qualifiers(t)}): not used as a fact.",
                detail="Negated, family-history and hypothetical mentions are read from the words around them "
                       "(negation and context triggers) and do not make a fact. Check the entry if it was meant "
                       "otherwise, and code it.",
                evidence=(t.source,), cites=(FHIR_R4,),
            ))
            continue
        read = ""
        if t.read_as == "history":
            read = f", read as past or treated ({_qualifiers(t)}): recorded as not active"
        elif t.qualifiers:
            read = f", read with {_qualifiers(t)}"
        hits.append(Hit(
            code="data.text-match", severity="info",
            summary=f"{t.source}: recognised as {t.concept} from text only ('{t.text}'){read}.",
            detail="No known code matched; the concept was recognised from the text and used. Check it and "
                   "add a standard code to the record.",
            evidence=(t.source,), cites=(FHIR_R4,),
            actions=(confirm_action(ctx, t.concept, t.source, t.text, t.read_as, False),)
            if t.read_as == "history" else (),
        ))
    return hits


def weight_needed_for_dose(ctx: Context) -> list[Hit]:
    """When every label dose for the indication and age is weight-banded (e.g. paediatric doses) and no weight
    is on record in the past year, Then no dose can be given: say which measurement is missing."""
    if ctx.indication is None or latest_lab(ctx.facts, "weight", 365) is not None:
        return []
    age = age_years(ctx.facts)
    hits = []
    for d in ctx.drugs:
        rules = [r for r in ctx.label(d).indications
                 if r.indication == ctx.indication and (age is None or age >= r.min_age)]
        doses = [x for r in rules for x in r.doses if x.formulation is None]
        if doses and all(x.weight_min_kg is not None or x.weight_max_kg is not None for x in doses):
            hits.append(Hit(
                code="data.weight-missing", severity="warning", drugs=(d,), verdict="caution",
                summary=f"{d}: the {ctx.region} dose for {ctx.indication} depends on body weight; no weight on "
                        "record in the past year.",
                detail="Record the current weight; no dose is shown until it is known.",
                evidence=(missing("body weight within 365 days"),), cites=tuple(c for r in rules for c in r.cite),
                actions=(ActionSpec("record-weight", "Weigh the patient and record the weight.", "before-start",
                                    False),),
            ))
    return hits


# What each part of a record holds, in a clinician's words (CDS Hooks prefetch keys as jakcheck asks for them).
RECORD_PARTS = {
    "patient": "the patient resource (age, sex)",
    "conditions": "the problem list and diagnoses (Conditions)",
    "observations": "laboratory results and other observations (TB and hepatitis screens, blood counts, liver "
                    "and kidney tests, lipids, smoking and pregnancy status)",
    "medications": "medication orders (MedicationRequests)",
    "immunizations": "vaccinations (Immunizations)",
    "procedures": "deliveries and terminations of pregnancy (Procedures)",
}
# Without these parts a contraindication, a failed screen or an interacting drug could be missing from view.
DECISIVE_PARTS = frozenset({"patient", "conditions", "observations", "medications"})
# Parts that can only end something the rest of the record shows (a delivery ends a pregnancy): without them the
# advice can only be more cautious, so their absence is said only where it matters (a pregnancy on record).
ENDING_PARTS = frozenset({"procedures"})


def incomplete_record(ctx: Context) -> list[Hit]:
    """When a part of the record was asked for and did not arrive, or arrived only in part (a FHIR query refused
    or timed out, a search cut off by the fetch budget, a prefetch the EHR did not send), Then say what is missing
    and why, and do not read it as "no such data": a missing problem list, result list or medication list could
    hide a contraindication, so every drug waits (defer) until the record is complete; missing vaccinations only
    make the advice cautious. Missing deliveries and terminations (procedures) can only leave an ended
    pregnancy looking current: they are said, without changing a verdict, when a pregnancy is on record. The FHIR
    search paging and CDS Hooks prefetch sections define what a complete answer is."""
    hits = []
    for gap in sorted(ctx.facts.incomplete, key=lambda g: (g.what, g.reason)):
        part = re.sub(r"-\d+$", "", gap.what)  # a search split over several prefetch keys: "observations-2"
        words = RECORD_PARTS.get(part, gap.what)
        how = "only partly available" if gap.partial else "not available"
        if part in ENDING_PARTS:
            hits.extend(_ending_part_missing(ctx, gap.what, words, how, gap.reason))
            continue
        hits.append(Hit(
            code="data.incomplete-record", severity="warning", reason=f"record incomplete ({part})",
            summary=f"Record incomplete: {words} {how} ({gap.reason}).",
            detail=("The assessment used what arrived. It does not assume the patient has no such data: findings "
                    "that depend on it may be missing. Check the full record before relying on this "
                    "assessment."),
            evidence=(missing(f"{gap.what} ({gap.reason})"),), cites=(FHIR_PAGING, CDS_HOOKS_PREFETCH),
            verdict="defer" if part in DECISIVE_PARTS else "caution", until_done=part in DECISIVE_PARTS,
            actions=(ActionSpec(f"complete-record-{part}",
                                f"Review {words} in the full record: this assessment did not see all of it.",
                                "before-start", part in DECISIVE_PARTS),),
        ))
    return hits


def _ending_part_missing(ctx: Context, what: str, words: str, how: str, reason: str) -> list[Hit]:
    """The procedures part missing while a pregnancy is on record: the pregnancy is read as current (the cautious
    reading) and the clinician is told that an end of pregnancy may not have been seen."""
    if not is_pregnant(ctx)[0]:
        return []
    return [Hit(
        code="data.incomplete-record", severity="info", reason="record incomplete (procedures)",
        summary=f"Record incomplete: {words} {how} ({reason}); the pregnancy on record is read as current.",
        detail=("A delivery or termination after the pregnancy entry would end it; none could be looked for. If "
                "the pregnancy has ended, close the entry and assess again."),
        evidence=(missing(f"{what} ({reason})"),), cites=(FHIR_PAGING, CDS_HOOKS_PREFETCH),
    )]


# What a stale entry was, and what reading it as current would have meant, in a clinician's words.
STALE_CONCEPTS = {
    "pregnancy": ("a current pregnancy", "a past pregnancy"),
    "serious-infection": ("an active serious infection", "a past infection"),
    "malignancy": ("an active cancer", "a history of cancer (still taken into account)"),
    "vte": ("a recent venous thromboembolism", "a past venous thromboembolism (still taken into account)"),
}


def stale_entries(ctx: Context) -> list[Hit]:
    """When an entry is recorded as current (an "active" Condition, a "pregnant" status) but is dated before the
    window of its concept (thresholds *-window-days, site-adjustable defaults), Then it is read as history, not
    as current, and reported with the resource so the problem list can be corrected. A history still counts
    wherever the rules use history (cancer, VTE). An entry without a date is left as recorded."""
    hits = []
    for e in sorted(ctx.facts.stale, key=lambda e: (e.source, e.concept)):
        current, past = STALE_CONCEPTS.get(e.concept, (f"current {e.concept}", f"past {e.concept}"))
        what = "Status" if e.source.startswith("Observation/") else "Entry"
        if e.ended_by is not None and e.ended_on is not None:
            hits.append(_ended_entry(ctx, e, what, current, past))
            continue
        hits.append(Hit(
            code="data.stale-entry", severity="info" if e.concept == "vte" else "warning",
            summary=(f"{what} '{e.display}' ({e.source}) is recorded as current since {e.recorded.isoformat()}, "
                     f"more than {e.window_days} days ago: read as {past}, not as {current}."),
            detail=("An entry this old is more likely never closed than still current. If it is still current, "
                    "update the record (a new date or a new entry) and assess again; if not, close it "
                    f"(window: {e.window_key}, a site-adjustable default)."),
            evidence=(e.source,), cites=ctx.threshold_cites(e.window_key),
            actions=(ActionSpec("review-stale-entry", f"Confirm that '{e.display}' ({e.source}, "
                                f"{e.recorded.isoformat()}) is no longer {current} and update the record.",
                                "before-start", False),),
        ))
    return hits


def _ended_entry(ctx: Context, e: StaleEntry, what: str, current: str, past: str) -> Hit:
    """A pregnancy entry dated on or before a recorded end of pregnancy (delivery, termination, miscarriage,
    stillbirth): read as a past pregnancy, reported with both entries."""
    assert e.ended_by is not None and e.ended_on is not None
    cites = tuple(c for cid in (PREGNANCY_END_PROCEDURE, PREGNANCY_END)
                  for c in ctx.knowledge.concepts[cid].cite)
    return Hit(
        code="data.stale-entry", severity="warning",
        summary=(f"{what} '{e.display}' ({e.source}, {e.recorded.isoformat()}) is still recorded as current, but "
                 f"the pregnancy ended on {e.ended_on.isoformat()} ({e.ended_by}): read as {past}, not as "
                 f"{current}."),
        detail=("A delivery, termination, miscarriage or stillbirth on record after a pregnancy entry ends that "
                "pregnancy. If the patient is pregnant again, record the new pregnancy (or a pregnancy test) and "
                "assess again; otherwise close the entry."),
        evidence=(e.source, e.ended_by), cites=cites,
        actions=(ActionSpec("review-stale-entry", f"Confirm that '{e.display}' ({e.source}, "
                            f"{e.recorded.isoformat()}) is no longer {current} and update the record.",
                            "before-start", False),),
    )


RULES = (unusable_values, text_matches, weight_needed_for_dose, incomplete_record, stale_entries)
