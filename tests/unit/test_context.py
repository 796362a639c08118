"""The ConText-style qualifier reader (jakcheck.patient.context): table tests and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakcheck.patient.context import (
    FORWARD_WINDOW,
    TRIGGERS,
    Qualified,
    phrase_spans,
    qualify,
    strongest,
)


def read(text: str, concept: str) -> Qualified:
    spans = phrase_spans(concept, text)
    assert spans, f"{concept!r} not in {text!r}"
    return qualify(text, *spans[0])


# (text, concept words, expected status, expected qualifiers)
TABLE: list[tuple[str, str, str, set[str]]] = [
    ("Tuberculosis", "tuberculosis", "present", set()),
    ("Active tuberculosis, on treatment", "active tuberculosis", "present", set()),
    ("No tuberculosis", "tuberculosis", "negated", {"negated"}),
    ("Patient denies tuberculosis", "tuberculosis", "negated", {"negated"}),
    ("negative for hepatitis B", "hepatitis b", "negated", {"negated"}),
    ("Tuberculosis ruled out", "tuberculosis", "negated", {"negated"}),
    ("active TB was ruled out by chest X-ray", "tb", "negated", {"negated"}),
    ("Not currently pregnant", "pregnant", "negated", {"negated"}),
    ("Negative pregnancy test", "pregnancy", "negated", {"negated"}),
    ("Pregnancy test negative", "pregnancy", "negated", {"negated"}),
    ("Melanoma not detected on biopsy", "melanoma", "negated", {"negated"}),
    ("History of melanoma", "melanoma", "historical", {"historical"}),
    ("h/o pulmonary embolism", "pulmonary embolism", "historical", {"historical"}),
    ("Previous herpes zoster", "herpes zoster", "historical", {"historical"}),
    ("Hepatitis B, resolved", "hepatitis b", "historical", {"historical"}),
    ("Treated latent TB", "latent tb", "historical", {"treated"}),
    ("Latent TB, treated 2019", "latent tb", "historical", {"treated"}),
    ("Completed isoniazid for latent TB", "latent tb", "historical", {"treated"}),
    ("s/p excision of basal cell carcinoma", "basal cell carcinoma", "historical", {"treated"}),
    ("Planning pregnancy", "pregnancy", "hypothetical", {"hypothetical"}),
    ("Wishes to become pregnant next year", "pregnant", "hypothetical", {"hypothetical"}),
    ("If pregnant, stop methotrexate", "pregnant", "hypothetical", {"hypothetical"}),
    ("Consider herpes zoster vaccination", "herpes zoster", "hypothetical", {"hypothetical"}),
    ("At risk of tuberculosis (travel)", "tuberculosis", "hypothetical", {"hypothetical"}),
    ("Mother had breast cancer", "breast cancer", "family", {"family"}),
    ("Mother: breast cancer", "breast cancer", "family", {"family"}),
    ("Family history of colon cancer", "colon cancer", "family", {"family"}),
    ("Colon cancer in father", "colon cancer", "family", {"family"}),
    # scope ends at a clause boundary
    ("No fever but tuberculosis on X-ray", "tuberculosis", "present", set()),
    ("History of MI; tuberculosis", "tuberculosis", "present", set()),
    ("Denies cough. Tuberculosis confirmed", "tuberculosis", "present", set()),
    ("Previous zoster, now active tuberculosis", "active tuberculosis", "present", set()),
    # too far from the trigger
    ("No fever reported at the clinic visit last spring by the patient and tuberculosis", "tuberculosis",
     "present", set()),
    # pseudo-triggers and words that only look like triggers
    ("Tuberculosis not ruled out", "tuberculosis", "present", set()),
    ("Untreated latent TB", "latent tb", "present", set()),
    ("Latent TB not treated", "latent tb", "present", set()),
    ("Mother currently breastfeeding", "breastfeeding", "present", set()),
    ("Gram negative sepsis", "sepsis", "present", set()),
    ("34-year-old with tuberculosis", "tuberculosis", "present", set()),
    ("Postpartum tuberculosis", "tuberculosis", "present", set()),
    # the concept's own words are never its triggers
    ("resolved hepatitis b", "resolved hepatitis b", "present", set()),
    ("planning pregnancy", "planning pregnancy", "present", set()),
    # several qualifiers
    ("No history of tuberculosis", "tuberculosis", "negated", {"negated"}),
    ("Family history of treated colon cancer", "colon cancer", "family", {"family", "treated"}),
]


@pytest.mark.parametrize(("text", "concept", "status", "qualifiers"), TABLE)
def test_table(text: str, concept: str, status: str, qualifiers: set[str]) -> None:
    q = read(text, concept)
    assert q.status == status, q
    assert set(q.qualifiers) == qualifiers, q


def test_triggers_are_reported_as_written() -> None:
    q = read("Treated latent TB", "latent tb")
    assert q.triggers == ("Treated",)
    assert q.describe() == "treated ('Treated')"
    assert read("Tuberculosis", "tuberculosis").describe() == ""


def test_family_history_is_not_also_history() -> None:
    q = read("Family history of breast cancer", "breast cancer")
    assert q.qualifiers == {"family"} and q.triggers == ("Family history of",)


def test_strongest_prefers_an_affirmed_mention() -> None:
    text = "No tuberculosis in 2010; tuberculosis diagnosed 2024"
    mentions = [qualify(text, s, e) for s, e in phrase_spans("tuberculosis", text)]
    assert [m.status for m in mentions] == ["negated", "present"]
    best = strongest(mentions)
    assert best is not None and best.status == "present"
    assert strongest([]) is None


def test_phrase_spans_are_whole_words() -> None:
    assert phrase_spans("tb", "TB and tb-igra, not tbx") == [(0, 2), (7, 9)]
    assert phrase_spans("", "anything") == []


def test_span_outside_the_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="outside"):
        qualify("abc", 2, 5)


# --- properties --------------------------------------------------------------------------------------------

WORDS = st.sampled_from(["the", "patient", "reports", "fever", "and", "cough", "since", "march", "with", "pain",
                         "x-ray", "clinic", "2024", "mild", "left", "knee"])
FILLER = st.lists(WORDS, max_size=12).map(" ".join)
CONCEPT = "tuberculosis"


@settings(max_examples=200, deadline=None)
@given(FILLER, FILLER)
def test_plain_words_never_qualify(before: str, after: str) -> None:
    text = f"{before} {CONCEPT} {after}".strip()
    start = text.index(CONCEPT)
    assert qualify(text, start, start + len(CONCEPT)).status == "present"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([t for t in TRIGGERS if t.direction == "forward"]),
       st.lists(WORDS, max_size=FORWARD_WINDOW).map(" ".join))
def test_a_forward_trigger_reaches_the_concept_within_its_window(trigger: object, gap: str) -> None:
    from jakcheck.patient.context import Trigger

    assert isinstance(trigger, Trigger)
    text = f"{trigger.phrase} {gap} {CONCEPT}".replace("  ", " ")
    start = text.index(CONCEPT)
    q = qualify(text, start, start + len(CONCEPT))
    assert trigger.qualifier in q.qualifiers, (text, q)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([t for t in TRIGGERS if t.direction == "forward"]), FILLER,
       st.sampled_from([".", ";", " but", " however", "!", "?", "\n"]))
def test_a_terminator_ends_every_forward_scope(trigger: object, gap: str, stop: str) -> None:
    from jakcheck.patient.context import Trigger

    assert isinstance(trigger, Trigger)
    text = f"{trigger.phrase} {gap}{stop} {CONCEPT}"
    start = text.rindex(CONCEPT)
    assert qualify(text, start, start + len(CONCEPT)).status == "present", text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.integers(0, 60), st.integers(0, 60))
def test_any_text_and_span_reads_without_error(text: str, a: int, b: int) -> None:
    start, end = sorted((min(a, len(text)), min(b, len(text))))
    q = qualify(text, start, end)
    assert q.span == (start, end)
    assert set(q.qualifiers) <= {"negated", "historical", "hypothetical", "family", "treated"}
    assert q.status in ("present", "historical", "hypothetical", "negated", "family")
    assert (q.status == "present") == (not q.qualifiers)


@settings(max_examples=100, deadline=None)
@given(FILLER, FILLER)
def test_reading_is_case_insensitive(before: str, after: str) -> None:
    text = f"no {before} {CONCEPT} {after}"
    start = text.index(CONCEPT)
    low, up = qualify(text, start, start + len(CONCEPT)), qualify(text.upper(), start, start + len(CONCEPT))
    assert low.qualifiers == up.qualifiers
    assert [t.lower() for t in low.triggers] == [t.lower() for t in up.triggers]


# --- conditions read from text with the packaged value sets (jakcheck.patient.textfacts) -----------------------

READINGS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Basal cell carcinoma", [("nmsc", "present")]),
    ("Non-melanoma skin cancer", [("nmsc", "present")]),
    ("s/p excision of basal cell carcinoma 2019", [("nmsc", "history")]),
    ("Latent tuberculosis", [("latent-tb", "present")]),
    ("Treated latent TB", [("latent-tb", "history")]),
    ("Resolved hepatitis B", [("hbv-resolved", "present")]),
    ("Planning pregnancy", [("pregnancy-planned", "present")]),
    ("Wishes to become pregnant", [("pregnancy-planned", "present")]),
    ("Not pregnant", [("pregnancy", "negated")]),
    ("Pregnant", [("pregnancy", "present")]),
    ("Treated hypertension", [("hypertension", "present")]),
    ("History of colon cancer", [("malignancy", "history")]),
    ("Family history of colon cancer", [("malignancy", "family")]),
    ("Lung cancer but no tuberculosis", [("active-tb", "negated"), ("malignancy", "present")]),
]


@pytest.mark.parametrize(("text", "expected"), READINGS)
def test_condition_text_readings(text: str, expected: list[tuple[str, str]]) -> None:
    from jakcheck.knowledge.loader import default_knowledge
    from jakcheck.patient.textfacts import read_condition_text

    got = sorted((r.concept, r.read_as) for r in read_condition_text(default_knowledge(), text))
    assert got == sorted(expected)
