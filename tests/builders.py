"""Builders and clinical assertions for tests: patients described in clinical words, not FHIR JSON."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from jakcheck.assessment import Assessment
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.facts import (
    CodedResult,
    ConditionFact,
    ImmunizationFact,
    IncompleteData,
    LabValue,
    MedicationFact,
    PatientFacts,
    ProcedureFact,
    SmokingFact,
    StatedFact,
    TextMatch,
    Tri,
    UnusableValue,
)

AS_OF = date(2026, 11, 26)

CANONICAL = {"lymphocytes": "10*9/L", "neutrophils": "10*9/L", "platelets": "10*9/L", "wbc": "10*9/L",
             "hemoglobin": "g/dL", "alt": "U/L", "ast": "U/L", "creatinine": "mg/dL", "egfr": "mL/min/{1.73_m2}",
             "cholesterol-total": "mg/dL", "hdl": "mg/dL", "ldl": "mg/dL", "weight": "kg", "height": "cm",
             "systolic-bp": "mm[Hg]", "bmi": "kg/m2", "esr": "mm/h", "crp": "mg/L", "tender-joints-28": "{#}",
             "swollen-joints-28": "{#}", "patient-global-activity": "{score}", "evaluator-global-activity": "{score}",
             "das28-score": "{score}", "cdai-score": "{score}", "sdai-score": "{score}",
             "asdas-back-pain": "{score}", "asdas-morning-stiffness": "{score}", "asdas-peripheral": "{score}"}


class PatientBuilder:
    """Build Patient Facts step by step. Dates are given as days before `as_of`."""

    def __init__(self, as_of: date = AS_OF) -> None:
        self.as_of = as_of
        self.facts = PatientFacts(patient_id="spec", as_of=as_of, birth_date=date(1970, 6, 1), sex="female",
                                  patient_source="Patient/spec")
        self._n = 0

    def _ref(self, kind: str) -> str:
        self._n += 1
        return f"{kind}/{kind[:3].lower()}{self._n}"

    def _day(self, days_ago: int) -> date:
        return self.as_of - timedelta(days=days_ago)

    def aged(self, years: int) -> PatientBuilder:
        birth = date(self.as_of.year - years, self.as_of.month, 1)
        if birth > self.as_of.replace(year=self.as_of.year - years):
            birth = birth.replace(year=birth.year - 1)
        self.facts = replace(self.facts, birth_date=birth)
        return self

    def born(self, birth: date | None) -> PatientBuilder:
        self.facts = replace(self.facts, birth_date=birth)
        return self

    def sex(self, sex: Any) -> PatientBuilder:
        self.facts = replace(self.facts, sex=sex)
        return self

    def male(self) -> PatientBuilder:
        return self.sex("male")

    def with_condition(self, concept: str, *, active: bool = True, days_ago: int = 400,
                       display: str | None = None, also: tuple[str, ...] = ()) -> PatientBuilder:
        """A coded Condition; `also`: further concepts its one code belongs to (e.g. an NSTEMI code is in the ASCVD
        and the myocardial-infarction value sets), each a fact from the same resource, as a reader makes them."""
        source = self._ref("Condition")
        new = tuple(ConditionFact(concept=cid, source=source, display=display or concept, active=active,
                                  onset=self._day(days_ago)) for cid in (concept, *also))
        self.facts = replace(self.facts, conditions=self.facts.conditions + new)
        return self

    def with_lab(self, concept: str, value: float, unit: str | None = None, *, days_ago: int = 10,
                 reference_high: float | None = None, comparator: Any = None) -> PatientBuilder:
        """A lab value in its canonical unit; `comparator` ("<", ">", ...) makes it a bound, e.g. "< 0.5"."""
        u = unit or CANONICAL[concept]
        # Stored as float, as a reader stores a converted value; `original` keeps the number as written.
        lab = LabValue(concept=concept, value=float(value), unit=u, effective=self._day(days_ago),
                       source=self._ref("Observation"), original=f"{comparator or ''}{value} {u}",
                       reference_high=None if reference_high is None else float(reference_high),
                       comparator=comparator)
        self.facts = replace(self.facts, labs=self.facts.labs + (lab,))
        return self

    def with_result(self, concept: str, result: Any, *, days_ago: int = 10) -> PatientBuilder:
        r = CodedResult(concept=concept, result=result, effective=self._day(days_ago), source=self._ref("Observation"),
                        original=result)
        self.facts = replace(self.facts, results=self.facts.results + (r,))
        return self

    def with_med(self, concept: str, *, current: bool = True, mg_per_day: float | None = None,
                 days_ago: int = 100, status: str | None = None, reasons: tuple[str, ...] = (),
                 reason_refs: tuple[str, ...] = ()) -> PatientBuilder:
        c = default_knowledge().concept(concept)
        pe = mg_per_day * c.prednisone_equivalence if (mg_per_day is not None and c.prednisone_equivalence) else None
        m = MedicationFact(concept=concept, classes=tuple(c.classes), source=self._ref("MedicationRequest"),
                           display=c.label, status=status or ("active" if current else "stopped"), current=current,
                           start=self._day(days_ago), daily_dose_mg=mg_per_day, prednisone_equivalent_mg=pe,
                           reasons=reasons, reason_refs=reason_refs)
        self.facts = replace(self.facts, medications=self.facts.medications + (m,))
        return self

    def with_vaccine(self, concept: str, *, days_ago: int = 100) -> PatientBuilder:
        c = default_knowledge().concept(concept)
        i = ImmunizationFact(concept=concept, live=bool(c.live), occurred=self._day(days_ago),
                             source=self._ref("Immunization"), display=c.label)
        self.facts = replace(self.facts, immunizations=self.facts.immunizations + (i,))
        return self

    def with_procedure(self, concept: str, *, days_ago: int = 30, display: str | None = None) -> PatientBuilder:
        """A completed Procedure (e.g. a delivery: concept pregnancy-end-procedure)."""
        p = ProcedureFact(concept=concept, performed=self._day(days_ago), source=self._ref("Procedure"),
                          display=display or default_knowledge().concept(concept).label)
        self.facts = replace(self.facts, procedures=self.facts.procedures + (p,))
        return self

    def smoking(self, status: Any) -> PatientBuilder:
        self.facts = replace(self.facts, smoking=SmokingFact(status, self._ref("Observation"), self._day(30)))
        return self

    def pregnant(self, state: Tri = Tri.PRESENT) -> PatientBuilder:
        self.facts = replace(self.facts, pregnant=StatedFact(state, self._ref("Observation"), self._day(1)))
        return self

    def lactating(self) -> PatientBuilder:
        """Breastfeeding, recorded as an active lactation Condition (how a record states it)."""
        self.with_condition("lactation", days_ago=1, display="Lactating")
        c = self.facts.conditions[-1]
        self.facts = replace(self.facts, lactating=StatedFact(Tri.PRESENT, c.source, c.onset))
        return self

    def child_pugh(self, cls: Any) -> PatientBuilder:
        self.facts = replace(self.facts, child_pugh=cls, child_pugh_source=self._ref("Observation"))
        return self

    def on_dialysis(self) -> PatientBuilder:
        self.facts = replace(self.facts, on_dialysis=True)
        return self

    def with_unusable(self, source: str, field: str, reason: str) -> PatientBuilder:
        u = UnusableValue(source=source, field=field, reason=reason)
        self.facts = replace(self.facts, unusable=self.facts.unusable + (u,))
        return self

    def with_text_match(self, concept: str, text: str) -> PatientBuilder:
        t = TextMatch(concept=concept, source=self._ref("Condition"), text=text)
        self.facts = replace(self.facts, text_matches=self.facts.text_matches + (t,))
        return self

    def incomplete(self, what: str, reason: str, *, partial: bool = False) -> PatientBuilder:
        """A part of the record that did not (fully) arrive, e.g. "observations" after an HTTP 403."""
        gap = IncompleteData(what=what, reason=reason, partial=partial)
        self.facts = replace(self.facts, incomplete=self.facts.incomplete + (gap,))
        return self

    def stating_absent(self, *what: str) -> PatientBuilder:
        """Histories or treatments the record states as absent (patient card `known_absent`), e.g. "diabetes"."""
        self.facts = replace(self.facts, known_absent=self.facts.known_absent | frozenset(what))
        return self

    def race(self, race: Any) -> PatientBuilder:
        self.facts = replace(self.facts, race=race)
        return self

    def cv_risk_inputs(self, *, sbp: float, total: float = 240, hdl: float = 45, bmi: float = 27,
                       absent: tuple[str, ...] = ("diabetes", "statin", "antihypertensive")) -> PatientBuilder:
        """Everything a cardiovascular risk model needs beyond age, sex and smoking: recent lipids (newer than
        the work-up's), systolic blood pressure, BMI, and the yes/no histories stated as absent."""
        return (self.with_lab("cholesterol-total", total, days_ago=5).with_lab("hdl", hdl, days_ago=5)
                .with_lab("systolic-bp", sbp, days_ago=5).with_lab("bmi", bmi, days_ago=5).stating_absent(*absent))

    def with_joint_assessment(self, *, tender: int, swollen: int, patient_global: float,
                              evaluator_global: float | None = None, esr: float | None = None,
                              crp: float | None = None, days_ago: int = 7) -> PatientBuilder:
        """A disease-activity visit: 28-joint counts, global assessments (0-10) and, optionally, ESR / CRP."""
        b = (self.with_lab("tender-joints-28", tender, days_ago=days_ago)
             .with_lab("swollen-joints-28", swollen, days_ago=days_ago)
             .with_lab("patient-global-activity", patient_global, days_ago=days_ago))
        if evaluator_global is not None:
            b = b.with_lab("evaluator-global-activity", evaluator_global, days_ago=days_ago)
        if esr is not None:
            b = b.with_lab("esr", esr, days_ago=days_ago)
        if crp is not None:
            b = b.with_lab("crp", crp, days_ago=days_ago)
        return b

    def screened(self) -> PatientBuilder:
        """A complete, normal pre-treatment work-up: TB, HBV, HCV, blood count, liver, renal, lipids, vaccines,
        non-smoker, weight. Spec cases start here so that one rule at a time can be made to fire."""
        return (self.with_result("tb-igra", "negative").with_result("hbsag", "negative")
                .with_result("anti-hbc", "negative").with_result("anti-hcv", "negative")
                .with_lab("lymphocytes", 1.8).with_lab("neutrophils", 4.0).with_lab("hemoglobin", 13.5)
                .with_lab("platelets", 250).with_lab("alt", 20).with_lab("ast", 22).with_lab("creatinine", 0.8)
                .with_lab("weight", 70).with_lab("cholesterol-total", 190).with_lab("hdl", 55)
                .with_vaccine("zoster-recombinant", days_ago=200).with_vaccine("zoster-recombinant", days_ago=120)
                .with_vaccine("pneumococcal", days_ago=300).with_vaccine("influenza", days_ago=60)
                .smoking("never").pregnant(Tri.ABSENT))

    def build(self) -> PatientFacts:
        return self.facts


def finding_codes(result: Assessment) -> set[str]:
    return {f.code for f in result.findings}


def assert_finding(result: Assessment, code: str, drug: str | None = None) -> None:
    """The finding is present (for `drug`, when given: listed for it, or listed for all drugs)."""
    matches = [f for f in result.findings if f.code == code]
    assert matches, f"expected finding {code}; got {sorted(finding_codes(result))}"
    if drug is not None:
        assert any(not f.drugs or drug in f.drugs for f in matches), f"{code} does not apply to {drug}"
        d = next(x for x in result.drugs if x.drug == drug)
        assert code in d.findings


def assert_no_finding(result: Assessment, code: str, drug: str | None = None) -> None:
    for f in result.findings:
        if f.code == code:
            assert drug is not None and f.drugs and drug not in f.drugs, f"unexpected finding {code}: {f.summary}"


def verdict(result: Assessment, drug: str) -> str:
    return next(x.verdict for x in result.drugs if x.drug == drug)
