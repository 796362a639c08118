"""Schemas of the knowledge files.

Every knowledge file is YAML validated against one of these models at load time; a file that does not
validate stops jakcheck at start-up with a KnowledgeError naming the file and the field. Numbers that a
rule compares against live here, never in rule code, and each carries the id of the source it comes from.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Region = Literal["US", "EU"]
Frequency = Literal["once daily", "twice daily"]
Phase = Literal["induction", "maintenance"]

# Actions a label can attach to a trigger. They map onto verdicts in the engine.
LabelAction = Literal[
    "no-change",
    "dose-adjustment",
    "caution",
    "only-if-no-alternative",
    "not-recommended",
    "contraindicated",
]
LabAction = Literal["do-not-initiate", "interrupt", "discontinue", "reduce-or-interrupt"]
Analyte = Literal["lymphocytes", "neutrophils", "hemoglobin", "platelets", "alt", "ast"]
RenalMeasure = Literal["crcl-cockcroft-gault", "egfr"]
ChildPugh = Literal["A", "B", "C"]
InteractionClass = Literal[
    "cyp3a4-strong-inhibitor",
    "cyp3a4-moderate-and-cyp2c19-strong-inhibitor",
    "cyp3a4-moderate-inhibitor",
    "cyp3a4-strong-inducer",
    "cyp2c19-strong-inhibitor",
    # One drug (or a combination) inhibiting both CYP2C19 and CYP2C9 moderately to strongly, e.g. fluconazole.
    "cyp2c19-and-cyp2c9-inhibitor",
    "cyp2c19-inducer",
    # A strong inducer of CYP2C19 or of CYP2C9, e.g. rifampicin.
    "cyp2c19-or-cyp2c9-strong-inducer",
    "cyp2c9-inducer",
    "oat3-strong-inhibitor",
    "antiplatelet",
    "biologic-dmard",
    "potent-immunosuppressant",
    "other-jak-inhibitor",
]


# The grade of the copy of a source actually read (never inferred from the kind of document):
# regulator (the EMA/EC or FDA/DailyMed page itself), manufacturer (the authorisation holder's own copy of its
# label), national-copy (a national authority's registered text or a verbatim monograph of it), publisher (a
# guideline, paper or standard read from its issuing body or journal), secondary (any third-party copy or summary).
Grade = Literal["regulator", "manufacturer", "national-copy", "publisher", "secondary"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cite(Strict):
    """A pointer to a source in sources.yaml, with the section that carries the statement."""

    source: str
    section: str | None = None
    # This section was read in another copy than the source's own: that copy's grade and jurisdiction
    # (None = the source's own, see Source.grade and Source.jurisdiction).
    grade: Grade | None = None
    jurisdiction: str | None = None


class Provenance(Strict):
    """Header every knowledge file carries: what it was built from and when it was last checked."""

    title: str
    sources: list[str]
    last_checked: date
    notes: str | None = None


class Dose(Strict):
    amount: float
    unit: Literal["mg"] = "mg"
    frequency: Frequency
    phase: Phase | None = None
    formulation: str | None = None  # e.g. "ir", "xr"; None = the drug's standard tablet
    duration: str | None = None  # e.g. "8 weeks"
    weight_min_kg: float | None = None
    weight_max_kg: float | None = None
    note: str | None = None


# A second route into an indication that otherwise needs a TNF blocker first: the label also allows the drug when
# TNF blockers are clinically inadvisable for the patient and at least one other approved systemic therapy was given.
TnfAlternative = Literal["tnf-inadvisable-after-systemic-therapy"]


class IndicationRule(Strict):
    indication: str  # id from indications.yaml
    min_age: int = 18
    tnf_ir_required: bool = False
    tnf_ir_note: str | None = None
    tnf_ir_alternative: TnfAlternative | None = None  # only with tnf_ir_required
    tnf_ir_alternative_cite: list[Cite] = []
    line_of_therapy: str | None = None  # the label's wording, paraphrased
    limitation_of_use: str | None = None
    doses: list[Dose] = Field(min_length=1)
    cite: list[Cite] = Field(min_length=1)


class DoseChange(Strict):
    """A changed dose for patients who meet a trigger, optionally limited to some indications."""

    dose: Dose
    indications: list[str] | None = None  # None = every indication


class RenalBand(Strict):
    """A renal-function band: min <= value < max, or <= max when `max_inclusive` (the label's own edges)."""

    min: float | None = None
    max: float | None = None
    max_inclusive: bool = False
    action: LabelAction
    doses: list[DoseChange] = []
    indications: list[str] | None = None
    note: str | None = None
    cite: list[Cite] = Field(min_length=1)


class TransplantRule(Strict):
    """What the label says for kidney transplant recipients (a separate statement from the renal bands)."""

    action: LabelAction
    note: str | None = None
    cite: list[Cite] = Field(min_length=1)


class RenalRules(Strict):
    measure: RenalMeasure
    bands: list[RenalBand]
    kidney_transplant: TransplantRule | None = None


class HepaticRule(Strict):
    child_pugh: ChildPugh
    action: LabelAction
    doses: list[DoseChange] = []
    indications: list[str] | None = None
    note: str | None = None
    cite: list[Cite] = Field(min_length=1)


class LabThreshold(Strict):
    """Act when the analyte is below `below` (or above `above_uln_times` x upper limit for liver tests)."""

    analyte: Analyte
    below: float | None = None
    above_uln_times: float | None = None
    unit: str  # canonical UCUM unit of `below`: 10*9/L for counts, g/dL for haemoglobin
    action: LabAction
    indications: list[str] | None = None
    # The label asks for the value to be confirmed by repeat testing (or to be "persistent") before acting.
    confirm_by_repeat: bool = False
    note: str | None = None
    cite: list[Cite] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_bound(self) -> LabThreshold:
        if (self.below is None) == (self.above_uln_times is None):
            raise ValueError("exactly one of 'below' or 'above_uln_times' must be given")
        return self


class InteractionRule(Strict):
    interacts_with: InteractionClass
    action: LabelAction
    doses: list[DoseChange] = []
    indications: list[str] | None = None
    note: str | None = None
    cite: list[Cite] = Field(min_length=1)


class AgeRule(Strict):
    min_age: int
    action: LabelAction
    doses: list[DoseChange] = []
    indications: list[str] | None = None
    note: str | None = None
    cite: list[Cite] = Field(min_length=1)


RiskGroup = Literal["age-65-plus", "smoking", "cardiovascular", "malignancy", "vte"]


class RiskDoseRule(Strict):
    """A lower dose the label recommends for patients in the named risk groups (EU 2023 wording: patients at
    higher risk of VTE, MACE or malignancy)."""

    risks: list[RiskGroup] = Field(min_length=1)
    doses: list[DoseChange] = Field(min_length=1)
    indications: list[str] | None = None
    note: str | None = None
    cite: list[Cite] = Field(min_length=1)


class ReproductiveRules(Strict):
    pregnancy: LabelAction
    pregnancy_note: str | None = None
    lactation: LabelAction
    lactation_note: str | None = None  # e.g. "no breastfeeding for 6 days after the last dose"
    contraception_after_last_dose: str | None = None  # e.g. "4 weeks"; None = label sets no interval
    cite: list[Cite] = Field(min_length=1)


MonitoringTest = Literal["cbc", "lymphocytes", "neutrophils", "hemoglobin", "platelets", "lipids", "liver", "tb",
                         "hbv-dna", "skin", "renal"]


class MonitoringItem(Strict):
    """A label's monitoring item: the schedule as the label words it, and - only where the label states them -
    the checkpoints a status can be computed from (baseline, the first check after the start, a repeat
    interval). An item without checkpoints is shown as text and gets no status."""

    test: MonitoringTest
    schedule: str
    baseline: bool = False  # the label asks for the test before the first dose
    after_start_weeks: list[float] | None = Field(default=None, min_length=1, max_length=2)  # [at] or [from, to]
    every_weeks: float | None = None  # then repeat at this interval (None: "per routine care")
    cite: list[Cite] = Field(min_length=1)

    @property
    def has_schedule(self) -> bool:
        return self.baseline or self.after_start_weeks is not None or self.every_weeks is not None


# The dimensions of the coverage matrix: one cell per drug x region x indication x dimension.
COUNT_ANALYTES: tuple[Analyte, ...] = ("lymphocytes", "neutrophils", "hemoglobin", "platelets")
DIMENSIONS: tuple[str, ...] = (
    "approval", "start-dose", "age", "renal", "dialysis", "hepatic:A", "hepatic:B", "hepatic:C",
    *(f"interaction:{c}" for c in get_args(InteractionClass)),
    *(f"start-threshold:{a}" for a in COUNT_ANALYTES),
    *(f"treatment-threshold:{a}" for a in COUNT_ANALYTES),
    "monitoring", "pregnancy", "contraception", "lactation", "live-vaccines",
)
# "other": a label fact that is no cell of the matrix (e.g. a supplement not read); listed, never required.
EXTRA_DIMENSIONS: tuple[str, ...] = ("other",)
CoverageStatus = Literal["encoded", "no-change", "not-encoded"]


class CoverageEntry(Strict):
    """Explicit cells of the coverage matrix for one region of a drug: `no-change` (the label says no adjustment
    is needed; always cited) or `not-encoded` (with the reason and the label section a reader should check).
    `indications` None = every indication the region lists. `reported_below` (not-encoded start or treatment
    thresholds only): a figure seen in a non-label copy, used only to tell whether a patient is near the cell,
    never applied as a threshold."""

    status: Literal["no-change", "not-encoded"]
    dimensions: list[str] = Field(min_length=1)
    indications: list[str] | None = None
    section: str
    reason: str
    reported_below: dict[Analyte, float] = {}
    cite: list[Cite] = []

    @model_validator(mode="after")
    def _valid(self) -> CoverageEntry:
        unknown = [d for d in self.dimensions if d not in DIMENSIONS and d not in EXTRA_DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown coverage dimension(s) {unknown}; known: {', '.join(DIMENSIONS)}, other")
        if self.status == "no-change" and not self.cite:
            raise ValueError("a no-change entry needs the source that says so (cite)")
        if self.reported_below and self.status != "not-encoded":
            raise ValueError("reported_below belongs to not-encoded entries only")
        return self


class RegionLabel(Strict):
    authorised: bool
    label_source: str  # the label / SmPC source id
    boxed_warning: bool = False  # US: JAK class boxed warning (2021)
    ema_2023_measures: bool = False  # EU: Article 20 referral measures (2023)
    indications: list[IndicationRule] = []
    renal: RenalRules | None = None
    hepatic: list[HepaticRule] = []
    labs: list[LabThreshold] = []
    interactions: list[InteractionRule] = []
    age: list[AgeRule] = []
    risk_doses: list[RiskDoseRule] = []
    reproductive: ReproductiveRules | None = None
    live_vaccines: str | None = None
    monitoring: list[MonitoringItem] = []
    # Explicit cells of the coverage matrix (knowledge/coverage.py): what the label says needs no change, and what
    # is not encoded and why. Every other cell is derived from the rules above; docs/knowledge-gaps.md and
    # docs/coverage.md are generated from the matrix.
    coverage: list[CoverageEntry] = []
    # US class wording (Warnings and Precautions, MACE and Thrombosis): the sections that say to discontinue after a
    # myocardial infarction or stroke, and to avoid use in patients at increased risk of thrombosis. Empty = the
    # label's rule is not encoded for this region.
    stop_after_mi_or_stroke: list[Cite] = []
    avoid_if_thrombosis_risk: list[Cite] = []


class DrugFile(Strict):
    provenance: Provenance
    id: str
    name: str
    brands: list[str]
    target: str
    jak_class: bool  # False for TYK2 (deucravacitinib): class warnings do not apply
    concept: str  # medication concept id in valuesets.yaml
    regions: dict[Region, RegionLabel]


class Source(Strict):
    id: str
    title: str
    publisher: str
    version: str  # document version or date as the publisher states it
    date: date
    url: str
    kind: Literal["label-us", "smpc-eu", "regulator", "guideline", "study", "standard", "reference"]
    grade: Grade  # the grade of the copy read
    # Where the copy read comes from: US, EU (EMA/EC text), an ISO country code (UK, IE, NO, AU, SG, HK, ...).
    # Required for labels, SmPCs and regulators' documents, and for any regulator, manufacturer or
    # national copy (the jurisdiction decides which region's advice the copy may relax).
    jurisdiction: str | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _jurisdiction_given(self) -> Source:
        if self.jurisdiction is None and (
                self.kind in ("label-us", "smpc-eu", "regulator")
                or self.grade in ("regulator", "manufacturer", "national-copy")):
            raise ValueError(f"source {self.id!r}: jurisdiction is required for a {self.kind} source "
                             f"read in a {self.grade} copy")
        return self


class SourcesFile(Strict):
    provenance: Provenance
    sources: list[Source]


class Coding(Strict):
    system: str
    code: str
    display: str | None = None  # for LOINC: the long common name as read in the cited value set
    cite: Cite | None = None  # the published value set (or page) this code was checked against


class Concept(Strict):
    """A clinical concept a rule reads, with every code that expresses it."""

    id: str
    label: str
    # "panel": an Observation code whose components carry concepts the rules read (e.g. the blood pressure panel):
    # asked for in the prefetch, read through its components, never a result of its own.
    kind: Literal["condition", "observation", "medication", "vaccine", "procedure", "answer", "panel"]
    codes: list[Coding]
    text: list[str] = []  # lower-case phrases for a reported text fallback
    live: bool | None = None  # vaccines: live attenuated
    classes: list[str] = []  # medications: interaction classes, "tnf-inhibitor", "glucocorticoid", ...
    prednisone_equivalence: float | None = None  # glucocorticoids: mg prednisone per mg of this drug
    unit: str | None = None  # observations: canonical UCUM unit
    # Text matching: phrases that name a different concept containing this one's words ("hemoglobin a1c" is not
    # haemoglobin, "hepatitis b virus core ab igm" is not total anti-HBc): a text containing one is not this concept.
    not_text: list[str] = []
    # LOINC long names ("X [Property] in System"): the words the specimen may consist of; empty = serum, plasma or
    # (whole, arterial, venous, capillary) blood. Blood counts list blood only; pregnancy tests add urine.
    specimens: list[str] = []
    codes_note: str | None = None  # where no published value set was found, or codes were left out, and why
    cite: list[Cite] = []


class ValueSetsFile(Strict):
    provenance: Provenance
    concepts: list[Concept]


class Indication(Strict):
    id: str
    label: str
    concept: str  # condition concept id in valuesets.yaml
    alternatives: list[Alternative] = []
    # Options the cited guidelines regard as compatible with pregnancy (or conception), shown when pregnancy
    # is planned, present or the patient is breastfeeding.
    pregnancy_alternatives: list[Alternative] = []


class Caveat(Strict):
    """A caution attached to an alternative when the record shows `when` (a condition concept id)."""

    when: str
    text: str
    cite: list[Cite] = Field(min_length=1)


class Alternative(Strict):
    option: str
    why: str
    cite: list[Cite] = Field(min_length=1)
    # Medication concepts (valuesets.yaml) that make up this option: the record showing one of them, now or
    # before, marks the option as tried. Empty for non-drug options (phototherapy).
    medications: list[str] = []
    regions: list[Region] = ["US", "EU"]
    caveats: list[Caveat] = []


class IndicationsFile(Strict):
    provenance: Provenance
    indications: list[Indication]


class TrialArm(Strict):
    events: int = Field(ge=0)
    n: int = Field(gt=0)
    percent: float = Field(ge=0, le=100)  # as the publication gives it (events / n over the follow-up)


class TrialOutcome(Strict):
    key: str
    name: str
    plain: str  # what it means, in words for a patient
    treated: TrialArm
    comparator: TrialArm


class TrialPopulation(Strict):
    """Who the trial enrolled: its pictures are shown only for patients who resemble them."""

    text: str
    indication: str
    min_age: int
    cv_risk_factor_required: bool


class Trial(Strict):
    id: str
    name: str
    drug: str
    comparator: str
    follow_up: str
    population: TrialPopulation
    cite: list[Cite]
    outcomes: list[TrialOutcome]


class TrialsFile(Strict):
    provenance: Provenance
    trials: list[Trial]


class Thresholds(Strict):
    """Class-wide numbers used by rules that are not drug-specific (each with its source)."""

    provenance: Provenance
    values: dict[str, ThresholdValue]


class ThresholdValue(Strict):
    value: float
    unit: str
    meaning: str
    cite: list[Cite] = Field(min_length=1)


class Release(Strict):
    version: str
    date: date
    notes: str


Indication.model_rebuild()
Thresholds.model_rebuild()
