"""Write the on-treatment example patients (FHIR R4 transaction bundles) in this folder.

Fictional patients already taking a JAK inhibitor, each built to show one on-treatment situation. Every date is
given in days before the assessment date (2026-11-26), so the bundles are identical on every run:

    .venv/bin/python examples/on-treatment/build_bundles.py

The expected assessments live in `expected/`; regenerate them with
`JAKCHECK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/e2e/test_on_treatment_examples.py` and read the diff.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
AS_OF = date(2026, 11, 26)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"

LAB = {  # concept: (LOINC, display, UCUM unit)
    "lymphocytes": ("731-0", "Lymphocytes [#/volume] in Blood by Automated count", "10*3/uL"),
    "neutrophils": ("751-8", "Neutrophils [#/volume] in Blood by Automated count", "10*3/uL"),
    "hemoglobin": ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL"),
    "platelets": ("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL"),
    "alt": ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L"),
    "ast": ("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L"),
    "creatinine": ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL"),
    "egfr": ("98979-8", "Glomerular filtration rate/1.73 sq M.predicted by Creatinine-based formula (CKD-EPI 2021)",
             "mL/min/{1.73_m2}"),
    "cholesterol-total": ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL"),
    "hdl": ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL"),
    "weight": ("29463-7", "Body weight", "kg"),
}
RESULT = {  # concept: (LOINC, display)
    "tb-igra": ("71773-6", "Mycobacterium tuberculosis stimulated gamma interferon [Presence] in Blood"),
    "hbsag": ("5196-1", "Hepatitis B virus surface Ag [Presence] in Serum"),
    "anti-hbc": ("13952-7", "Hepatitis B virus core Ab [Presence] in Serum or Plasma"),
    "anti-hcv": ("13955-0", "Hepatitis C virus Ab [Presence] in Serum"),
}
ANSWER = {"positive": ("10828004", "Positive"), "negative": ("260385009", "Negative")}
SMOKING = {"never": ("266919005", "Never smoked tobacco"), "current": ("449868002", "Smokes tobacco daily"),
           "former": ("8517006", "Ex-smoker")}
CONDITION = {  # key: (SNOMED, display)
    "ra": ("69896004", "Rheumatoid arthritis"),
    "ad": ("24079001", "Atopic dermatitis"),
    "uc": ("64766004", "Ulcerative colitis"),
    "mi": ("22298006", "Myocardial infarction"),
    "pneumonia": ("233604007", "Pneumonia"),
}
MEDICATION = {  # key: (system, code, display, strength mg per tablet or None)
    "baricitinib-2": (RXNORM, "2047241", "baricitinib 2 MG Oral Tablet", 2),
    "baricitinib-4": (RXNORM, "2047232", "baricitinib", None),
    "tofacitinib-5": (RXNORM, "1357541", "tofacitinib 5 MG Oral Tablet", 5),
    "upadacitinib": (RXNORM, "2196092", "upadacitinib", None),
    "abrocitinib": (RXNORM, "2591481", "abrocitinib product (Cibinqo SPL)", None),
    "adalimumab": (RXNORM, "327361", "adalimumab", None),
    "methotrexate": (RXNORM, "6851", "methotrexate", None),
    "probenecid": (ATC, "M04AB01", "probenecid", None),
}
VACCINE = {"rzv": ("187", "zoster recombinant"), "pcv": ("133", "pneumococcal conjugate vaccine, 13 valent"),
           "flu": ("135", "influenza, high dose seasonal, preservative-free")}


class Record:
    def __init__(self, pid: str, *, birth: str, gender: str) -> None:
        self.pid = pid
        self.n = 0
        self.resources: list[dict[str, Any]] = [{
            "resourceType": "Patient", "id": pid, "birthDate": birth, "gender": gender,
            "name": [{"family": "Example", "given": [pid.split("-")[0].capitalize()]}]}]

    def _id(self, kind: str) -> str:
        self.n += 1
        return f"{self.pid}-{kind}-{self.n}"

    @staticmethod
    def day(days_ago: int) -> str:
        return (AS_OF - timedelta(days=days_ago)).isoformat()

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def condition(self, key: str, *, onset: int, active: bool = True) -> Record:
        code, display = CONDITION[key]
        res: dict[str, Any] = {
            "resourceType": "Condition", "id": self._id("cond"), "subject": self.subject,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active" if active else "resolved"}]},
            "code": {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display},
            "onsetDateTime": self.day(onset)}
        if not active:
            res["abatementDateTime"] = self.day(max(onset - 7, 0))
        self.resources.append(res)
        return self

    def lab(self, concept: str, value: float, *, days_ago: int) -> Record:
        code, display, unit = LAB[concept]
        self.resources.append({
            "resourceType": "Observation", "id": self._id("obs"), "status": "final", "subject": self.subject,
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "effectiveDateTime": self.day(days_ago),
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}})
        return self

    def cbc(self, lymph: float, neut: float, hb: float, plt: float, *, days_ago: int) -> Record:
        return (self.lab("lymphocytes", lymph, days_ago=days_ago).lab("neutrophils", neut, days_ago=days_ago)
                .lab("hemoglobin", hb, days_ago=days_ago).lab("platelets", plt, days_ago=days_ago))

    def liver(self, alt: float, ast: float, *, days_ago: int) -> Record:
        return self.lab("alt", alt, days_ago=days_ago).lab("ast", ast, days_ago=days_ago)

    def lipids(self, total: float, hdl: float, *, days_ago: int) -> Record:
        return self.lab("cholesterol-total", total, days_ago=days_ago).lab("hdl", hdl, days_ago=days_ago)

    def result(self, concept: str, answer: str, *, days_ago: int) -> Record:
        code, display = RESULT[concept]
        acode, adisplay = ANSWER[answer]
        self.resources.append({
            "resourceType": "Observation", "id": self._id("obs"), "status": "final", "subject": self.subject,
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "effectiveDateTime": self.day(days_ago),
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": acode, "display": adisplay}]}})
        return self

    def screening(self, *, days_ago: int, anti_hbc: str = "negative") -> Record:
        return (self.result("tb-igra", "negative", days_ago=days_ago).result("hbsag", "negative", days_ago=days_ago)
                .result("anti-hbc", anti_hbc, days_ago=days_ago).result("anti-hcv", "negative", days_ago=days_ago))

    def smoking(self, status: str, *, days_ago: int) -> Record:
        code, display = SMOKING[status]
        self.resources.append({
            "resourceType": "Observation", "id": self._id("obs"), "status": "final", "subject": self.subject,
            "code": {"coding": [{"system": LOINC, "code": "72166-2", "display": "Tobacco smoking status"}]},
            "effectiveDateTime": self.day(days_ago),
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code, "display": display}]}})
        return self

    def medication(self, key: str, *, started: int, mg: float | None = None, per_day: int = 1,
                   stopped: int | None = None) -> Record:
        system, code, display, strength = MEDICATION[key]
        dosage: dict[str, Any] = {"timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d",
                                                        "boundsPeriod": {"start": self.day(started)}}}}
        if stopped is not None:
            dosage["timing"]["repeat"]["boundsPeriod"]["end"] = self.day(stopped)
        if mg is not None:
            dose = ({"value": mg / strength, "unit": "tablet", "system": UCUM, "code": "{tablet}"} if strength else
                    {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"})
            dosage["doseAndRate"] = [{"doseQuantity": dose}]
        self.resources.append({
            "resourceType": "MedicationRequest", "id": self._id("medrx"),
            "status": "completed" if stopped is not None else "active", "intent": "order",
            "subject": self.subject, "authoredOn": self.day(started),
            "medicationCodeableConcept": {"coding": [{"system": system, "code": code, "display": display}],
                                          "text": display},
            "dosageInstruction": [dosage]})
        return self

    def vaccine(self, key: str, *, days_ago: int) -> Record:
        code, display = VACCINE[key]
        self.resources.append({
            "resourceType": "Immunization", "id": self._id("imm"), "status": "completed", "patient": self.subject,
            "vaccineCode": {"coding": [{"system": CVX, "code": code, "display": display}]},
            "occurrenceDateTime": self.day(days_ago)})
        return self

    def vaccinated(self, *, days_ago: int) -> Record:
        return (self.vaccine("rzv", days_ago=days_ago + 90).vaccine("rzv", days_ago=days_ago)
                .vaccine("pcv", days_ago=days_ago).vaccine("flu", days_ago=50))

    def bundle(self) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r,
             "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in self.resources]}


def patients() -> dict[str, Record]:
    out: dict[str, Record] = {}

    # 1. Baricitinib for 30 weeks; blood counts and liver tests followed, but no lipids since the start
    #    (EU label: about 12 weeks after starting) -> monitoring.lipids-overdue.
    r = Record("anna", birth="1969-03-14", gender="female")
    (r.condition("ra", onset=2400).smoking("never", days_ago=230).screening(days_ago=225).vaccinated(days_ago=225)
     .cbc(1.9, 4.2, 13.1, 260, days_ago=225).liver(21, 24, days_ago=225).lab("creatinine", 0.8, days_ago=225)
     .lab("weight", 68, days_ago=225).lipids(205, 58, days_ago=225)
     .medication("methotrexate", started=1500, mg=15)
     .medication("baricitinib-4", started=210, mg=4)
     .cbc(1.6, 3.9, 12.9, 250, days_ago=30).liver(26, 27, days_ago=30).lab("creatinine", 0.8, days_ago=30))
    out["ra-baricitinib-lipids-overdue-eu"] = r

    # 2. Tofacitinib 5 mg twice daily for 40 weeks (US, after adalimumab); neutrophils 0.8 and 0.7 x10^9/L on
    #    two consecutive tests -> persistent: lab.interrupt-threshold.
    r = Record("bernard", birth="1972-08-02", gender="male")
    (r.condition("ra", onset=3000).smoking("never", days_ago=300).screening(days_ago=290).vaccinated(days_ago=290)
     .medication("adalimumab", started=1400, stopped=300)
     .cbc(1.7, 3.6, 14.2, 240, days_ago=290).liver(19, 22, days_ago=290).lab("creatinine", 0.9, days_ago=290)
     .lab("weight", 82, days_ago=290).lipids(190, 45, days_ago=290)
     .medication("tofacitinib-5", started=280, mg=5, per_day=2)
     .lipids(215, 52, days_ago=230)
     .cbc(1.5, 0.8, 13.9, 230, days_ago=21).cbc(1.4, 0.7, 13.6, 225, days_ago=4).liver(24, 23, days_ago=21)
     .lab("creatinine", 0.9, days_ago=21))
    out["ra-tofacitinib-neutropenia-us"] = r

    # 3. Abrocitinib 100 mg for atopic dermatitis (EU) for 20 weeks; platelets 42 x10^9/L -> discontinue.
    r = Record("chloe", birth="1994-05-20", gender="female")
    (r.condition("ad", onset=5000).smoking("never", days_ago=150).screening(days_ago=145).vaccinated(days_ago=145)
     .cbc(2.1, 4.4, 13.4, 270, days_ago=145).lipids(180, 61, days_ago=145).liver(15, 18, days_ago=145)
     .lab("creatinine", 0.7, days_ago=145).lab("weight", 61, days_ago=145)
     .medication("abrocitinib", started=140, mg=100)
     .cbc(1.9, 4.0, 13.0, 210, days_ago=112).lipids(196, 64, days_ago=112)
     .cbc(1.8, 3.7, 12.8, 42, days_ago=3).lab("creatinine", 0.7, days_ago=3))
    out["ad-abrocitinib-thrombocytopenia-eu"] = r

    # 4. Upadacitinib 15 mg (EU) for a year; myocardial infarction 2 months ago -> review.new-risk-factor
    #    (EMA 2023: continue only if no suitable alternative) on top of risk.cardiovascular.
    r = Record("dieter", birth="1966-01-09", gender="male")
    (r.condition("ra", onset=2800).smoking("former", days_ago=400).screening(days_ago=380).vaccinated(days_ago=380)
     .cbc(1.8, 4.6, 14.8, 280, days_ago=380).liver(28, 25, days_ago=380).lab("creatinine", 1.0, days_ago=380)
     .lab("weight", 88, days_ago=380).lipids(220, 44, days_ago=380)
     .medication("upadacitinib", started=365, mg=15)
     .condition("mi", onset=60, active=False)
     .cbc(1.6, 4.1, 14.1, 255, days_ago=20).liver(30, 29, days_ago=20).lab("creatinine", 1.0, days_ago=20)
     .lipids(235, 48, days_ago=20))
    out["ra-upadacitinib-new-mi-eu"] = r

    # 5. Baricitinib 4 mg (EU) for 36 weeks; probenecid for gout started 6 weeks ago -> review.new-interaction and
    #    ddi.oat3-inhibitor (label: 2 mg once daily).
    r = Record("elena", birth="1975-11-30", gender="female")
    (r.condition("ra", onset=1900).smoking("never", days_ago=270).screening(days_ago=265).vaccinated(days_ago=265)
     .cbc(2.0, 3.8, 12.7, 300, days_ago=265).liver(18, 20, days_ago=265).lab("creatinine", 0.7, days_ago=265)
     .lab("weight", 64, days_ago=265).lipids(198, 66, days_ago=265)
     .medication("baricitinib-4", started=252, mg=4)
     .lipids(214, 70, days_ago=170)
     .medication("probenecid", started=42, mg=500, per_day=2)
     .cbc(1.8, 3.5, 12.5, 290, days_ago=14).liver(22, 21, days_ago=14).lab("creatinine", 0.7, days_ago=14))
    out["ra-baricitinib-probenecid-eu"] = r

    # 6. Baricitinib 2 mg (US, after adalimumab) for 18 months; eGFR 72 at the start, 44 now -> moderate band:
    #    review.dose-band-changed and renal.dose-adjustment (1 mg once daily).
    r = Record("frank", birth="1960-04-17", gender="male")
    (r.condition("ra", onset=4000).smoking("never", days_ago=560).screening(days_ago=560).vaccinated(days_ago=560)
     .medication("adalimumab", started=2000, stopped=580)
     .cbc(1.7, 4.0, 14.0, 230, days_ago=560).liver(20, 22, days_ago=560).lab("egfr", 72, days_ago=560)
     .lab("weight", 79, days_ago=560).lipids(200, 47, days_ago=560)
     .medication("baricitinib-2", started=548, mg=2)
     .lipids(211, 50, days_ago=460)
     .cbc(1.5, 3.7, 13.5, 220, days_ago=12).liver(23, 24, days_ago=12).lab("egfr", 44, days_ago=12))
    out["ra-baricitinib-renal-decline-us"] = r

    # 7. Tofacitinib 5 mg twice daily maintenance for UC (EU) for a year; anti-HBc positive without HBV DNA since
    #    the start (monitoring.hbv-dna-overdue); pneumonia now (infection.interrupt); only one RZV dose
    #    (vaccine.zoster-due, given on treatment).
    r = Record("gina", birth="1981-07-07", gender="female")
    (r.condition("uc", onset=3500).smoking("never", days_ago=380).screening(days_ago=375, anti_hbc="positive")
     .vaccine("rzv", days_ago=375).vaccine("pcv", days_ago=375).vaccine("flu", days_ago=40)
     .cbc(1.6, 5.1, 12.2, 330, days_ago=375).liver(17, 19, days_ago=375).lab("creatinine", 0.7, days_ago=375)
     .lab("weight", 58, days_ago=375).lipids(175, 62, days_ago=375)
     .medication("tofacitinib-5", started=365, mg=5, per_day=2)
     .lipids(190, 65, days_ago=300)
     .cbc(1.4, 4.6, 12.0, 310, days_ago=25).liver(20, 22, days_ago=25)
     .condition("pneumonia", onset=2))
    out["uc-tofacitinib-pneumonia-hbv-eu"] = r
    return out


def main() -> None:
    for name, record in patients().items():
        text = json.dumps(record.bundle(), indent=2, ensure_ascii=False) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
