"""Write the example FHIR R4 records in examples/ (fictional patients; assessment date 2026-11-26).

    .venv/bin/python examples/build_examples.py

Every id and date is fixed (dates are days before 2026-11-26), so running the script again gives byte-identical
files. The clinical story of each record is in examples/manifest.yaml and examples/README.md. After changing a
record, regenerate the golden outputs with `JAKCHECK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/e2e/test_examples.py`
and read the diff.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.fhirgen import ATC, Record, write_json  # noqa: E402

# --- codes used more than once ----------------------------------------------------------------------------

RA_SEROPOSITIVE = {"snomed": ("239791005", "Seropositive rheumatoid arthritis (disorder)"),
                   "icd10": ("M05.79", "Rheumatoid arthritis with rheumatoid factor of multiple sites without "
                                       "organ or systems involvement")}
HYPERTENSION = {"snomed": ("59621000", "Essential hypertension (disorder)"),
                "icd10": ("I10", "Essential (primary) hypertension")}

MTX_TAB = ("105585", "methotrexate 2.5 MG Oral Tablet")
PREDNISONE_5 = ("312617", "prednisone 5 MG Oral Tablet")
FOLIC_ACID = ("310410", "folic acid 1 MG Oral Tablet")
AMLODIPINE = ("197361", "amlodipine 5 MG Oral Tablet")
ADALIMUMAB = ("1726844", "0.4 ML adalimumab 100 MG/ML Prefilled Syringe")
ETANERCEPT = ("727757", "1 ML etanercept 50 MG/ML Prefilled Syringe")

RZV = ("187", "zoster recombinant")
PCV20 = ("216", "Pneumococcal conjugate vaccine 20-valent (PCV20), polysaccharide CRM197 conjugate, adjuvant, "
                "preservative free")
FLU = ("150", "Influenza, injectable, quadrivalent, preservative free")

IGRA = ("71773-6", "QuantiFERON-TB Gold Plus (M. tuberculosis stimulated gamma interferon) in Blood")
HBSAG = ("5196-1", "Hepatitis B virus surface Ag [Presence] in Serum or Plasma by Immunoassay")
ANTI_HBC = ("13952-7", "Hepatitis B virus core Ab [Presence] in Serum or Plasma by Immunoassay")
ANTI_HBS = ("10900-9", "Hepatitis B virus surface Ab [Presence] in Serum by Immunoassay")
ANTI_HCV = ("13955-0", "Hepatitis C virus Ab [Presence] in Serum or Plasma by Immunoassay")


# --- panels -------------------------------------------------------------------------------------------------


def cbc(r: Record, days_ago: int, *, lymph: float = 1.9, neut: float = 4.1, hb: float = 13.9, plt: float = 262,
        wbc: float = 6.8, prefix: str = "cbc") -> None:
    r.lab(f"{prefix}-wbc", "6690-2", "Leukocytes [#/volume] in Blood by Automated count", wbc, "10*3/uL", days_ago)
    r.lab(f"{prefix}-lymph", "731-0", "Lymphocytes [#/volume] in Blood by Automated count", lymph, "10*3/uL",
          days_ago)
    r.lab(f"{prefix}-neut", "751-8", "Neutrophils [#/volume] in Blood by Automated count", neut, "10*3/uL",
          days_ago)
    r.lab(f"{prefix}-hb", "718-7", "Hemoglobin [Mass/volume] in Blood", hb, "g/dL", days_ago)
    r.lab(f"{prefix}-plt", "777-3", "Platelets [#/volume] in Blood by Automated count", plt, "10*3/uL", days_ago)


def liver(r: Record, days_ago: int, *, alt: float = 23, ast: float = 25, uln: float = 41) -> None:
    r.lab("lft-alt", "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", alt, "U/L",
          days_ago, high=uln)
    r.lab("lft-ast", "1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", ast,
          "U/L", days_ago, high=uln - 1)


def kidney(r: Record, days_ago: int, *, creatinine_mg_dl: float, egfr: float) -> None:
    r.lab("renal-creat", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", creatinine_mg_dl, "mg/dL", days_ago)
    r.lab("renal-egfr", "98979-8", "Glomerular filtration rate/1.73 sq M.predicted (CKD-EPI 2021)", egfr,
          "mL/min/{1.73_m2}", days_ago)


def lipids(r: Record, days_ago: int, *, total: float = 196, hdl: float = 52, ldl: float = 118,
           tg: float = 131) -> None:
    r.lab("lipid-chol", "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", total, "mg/dL", days_ago)
    r.lab("lipid-hdl", "2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", hdl, "mg/dL", days_ago)
    r.lab("lipid-ldl", "13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", ldl,
          "mg/dL", days_ago)
    r.lab("lipid-tg", "2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", tg, "mg/dL", days_ago)


def weight(r: Record, days_ago: int, kg: float) -> None:
    r.vital("vs-weight", "29463-7", "Body weight", kg, "kg", days_ago)


def screening(r: Record, days_ago: int, *, igra: str = "negative", hbsag: str = "negative",
              anti_hbc: str = "negative", anti_hcv: str = "negative") -> None:
    r.qualitative("scr-igra", *IGRA, igra, days_ago)
    r.qualitative("scr-hbsag", *HBSAG, hbsag, days_ago)
    r.qualitative("scr-antihbc", *ANTI_HBC, anti_hbc, days_ago)
    r.qualitative("scr-antihcv", *ANTI_HCV, anti_hcv, days_ago)


def vaccinated(r: Record, *, rzv: tuple[int, ...] = (420, 330), pcv: int | None = 300,
               flu: int | None = 52) -> None:
    for i, days in enumerate(rzv, start=1):
        r.immunization(f"imm-rzv-{i}", RZV, days)
    if pcv is not None:
        r.immunization("imm-pcv20", PCV20, pcv)
    if flu is not None:
        r.immunization("imm-flu", FLU, flu)


def workup(r: Record, *, kg: float, creatinine: float, egfr: float, days_ago: int = 14, **cbc_values: float) -> None:
    """A complete pre-treatment work-up two weeks before the assessment."""
    cbc(r, days_ago, **cbc_values)
    liver(r, days_ago)
    kidney(r, days_ago, creatinine_mg_dl=creatinine, egfr=egfr)
    lipids(r, days_ago)
    weight(r, days_ago, kg)


def ra(r: Record, onset_days_ago: int) -> None:
    r.condition("cond-ra", text="Seropositive rheumatoid arthritis", onset_days_ago=onset_days_ago, **RA_SEROPOSITIVE)


def methotrexate(r: Record, start_days_ago: int, mg_weekly: float = 20) -> None:
    r.medication("med-mtx", code=MTX_TAB, start_days_ago=start_days_ago, dose=mg_weekly, period_unit="wk",
                 text=f"{mg_weekly:g} mg by mouth once weekly (Mondays)")
    r.medication("med-folic", code=FOLIC_ACID, start_days_ago=start_days_ago, dose=1,
                 text="1 mg by mouth once daily")


# --- the examples -------------------------------------------------------------------------------------------


def ra_71_smoker_eu() -> object:
    r = Record("ra-71-smoker")
    r.patient(given="Henrik", family="Aalborg-Example", birth_date="1955-03-14", gender="male", mrn="EX-0001")
    ra(r, 3300)
    r.condition("cond-htn", text="Essential hypertension", onset_days_ago=4000, **HYPERTENSION)
    r.smoking("obs-smoking", "current", 14)
    methotrexate(r, 3200)
    r.medication("med-ada", code=ADALIMUMAB, start_days_ago=1500, end_days_ago=700, status="stopped", dose=40,
                 period=2, period_unit="wk", text="40 mg subcutaneously every other week",
                 reason="Stopped: secondary loss of response")
    r.medication("med-amlo", code=AMLODIPINE, start_days_ago=3900, dose=5, text="5 mg by mouth once daily")
    workup(r, kg=82, creatinine=1.02, egfr=76)
    screening(r, 30)
    vaccinated(r)
    return r.bundle("transaction")


def ra_tnf_naive_us() -> object:
    r = Record("ra-tnf-naive")
    r.patient(given="Linda", family="Okafor-Example", birth_date="1972-05-20", gender="female", mrn="EX-0002")
    ra(r, 900)
    r.smoking("obs-smoking", "never", 60)
    methotrexate(r, 850, 25)
    r.medication("med-pred", code=PREDNISONE_5, start_days_ago=40, dose=2, dose_unit="{tbl}",
                 text="2 tablets (10 mg) by mouth once daily for flare")
    workup(r, kg=71, creatinine=0.78, egfr=92)
    screening(r, 21)
    vaccinated(r, rzv=(45,), pcv=None, flu=400)
    return r.bundle("collection")


def ra_ckd_us() -> object:
    r = Record("ra-ckd")
    r.patient(given="Robert", family="Fields-Example", birth_date="1958-02-02", gender="male", mrn="EX-0003")
    ra(r, 5100)
    r.condition("cond-t2dm", text="Type 2 diabetes mellitus with diabetic chronic kidney disease",
                snomed=("44054006", "Diabetes mellitus type 2 (disorder)"),
                icd10=("E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease"), onset_days_ago=7000)
    r.condition("cond-ckd", text="Chronic kidney disease stage 4",
                snomed=("431857002", "Chronic kidney disease stage 4 (disorder)"), onset_days_ago=800)
    r.smoking("obs-smoking", "never", 100)
    r.medication("med-mtx", code=MTX_TAB, start_days_ago=5000, end_days_ago=400, status="stopped", dose=10,
                 period_unit="wk", text="10 mg by mouth once weekly", reason="Stopped: eGFR below 30")
    r.medication("med-pred", code=PREDNISONE_5, start_days_ago=380, dose=5, text="5 mg by mouth once daily")
    r.medication("med-etn", code=ETANERCEPT, start_days_ago=2400, end_days_ago=500, status="stopped", dose=50,
                 period=1, period_unit="wk", text="50 mg subcutaneously once weekly",
                 reason="Stopped: inadequate response")
    workup(r, kg=70, creatinine=2.6, egfr=25, hb=11.2)
    screening(r, 40)
    vaccinated(r)
    return r.bundle("searchset")


def psa_h_pylori_us() -> object:
    r = Record("psa-h-pylori")
    r.patient(given="Daniel", family="Kim-Example", birth_date="1979-08-09", gender="male", mrn="EX-0004")
    r.condition("cond-psa", text="Psoriatic arthritis", snomed=("33339001", "Psoriasis with arthropathy (disorder)"),
                icd10=("L40.50", "Arthropathic psoriasis, unspecified"), onset_days_ago=2900)
    r.condition("cond-hp", text="Helicobacter pylori gastritis", onset_days_ago=9)
    r.smoking("obs-smoking", "never", 30)
    r.medication("med-ada", code=ADALIMUMAB, start_days_ago=1600, end_days_ago=90, status="stopped", dose=40,
                 period=2, period_unit="wk", text="40 mg subcutaneously every other week",
                 reason="Stopped: secondary loss of response")
    r.medication("med-clari", code=("197517", "clarithromycin 500 MG Oral Tablet"), start_days_ago=5,
                 end_days_ago=-9, dose=500, frequency=2, text="500 mg by mouth twice daily for 14 days",
                 reason="Helicobacter pylori eradication (with amoxicillin and omeprazole)")
    r.medication("med-amox", code=("308191", "amoxicillin 500 MG Oral Capsule"), start_days_ago=5, end_days_ago=-9,
                 dose=1000, frequency=2, text="1 g by mouth twice daily for 14 days")
    workup(r, kg=88, creatinine=0.94, egfr=98)
    screening(r, 20)
    vaccinated(r)
    return r.cds_hooks_prefetch()


def psa_mash_cirrhosis_us() -> object:
    r = Record("psa-mash-cirrhosis")
    r.patient(given="Ines", family="Carvalho-Example", birth_date="1966-07-19", gender="female", mrn="EX-0017")
    r.condition("cond-psa", text="Psoriatic arthritis", snomed=("33339001", "Psoriasis with arthropathy (disorder)"),
                icd10=("L40.59", "Other psoriatic arthropathy"), onset_days_ago=3300)
    r.condition("cond-cirrhosis", text="Cirrhosis due to metabolic dysfunction-associated steatohepatitis",
                snomed=("19943007", "Cirrhosis of liver (disorder)"),
                icd10=("K74.69", "Other cirrhosis of liver"), onset_days_ago=700)
    r.condition("cond-t2dm", text="Type 2 diabetes mellitus",
                snomed=("44054006", "Diabetes mellitus type 2 (disorder)"),
                icd10=("E11.9", "Type 2 diabetes mellitus without complications"), onset_days_ago=5000)
    r.child_pugh("obs-child-pugh", 8, 20)
    r.smoking("obs-smoking", "never", 20)
    r.medication("med-ada", code=ADALIMUMAB, start_days_ago=1900, end_days_ago=150, status="stopped", dose=40,
                 period=2, period_unit="wk", text="40 mg subcutaneously every other week",
                 reason="Stopped: inadequate response")
    workup(r, kg=92, creatinine=0.84, egfr=77, plt=98)
    screening(r, 20)
    vaccinated(r)
    return r.bundle("collection")


def ra_ltbi_rifampin_us() -> object:
    r = Record("ra-ltbi-rifampin")
    r.patient(given="Grace", family="Mensah-Example", birth_date="1968-10-30", gender="female", mrn="EX-0005")
    ra(r, 2200)
    r.condition("cond-ltbi", text="Latent tuberculosis infection", icd10=("Z22.7", "Latent tuberculosis"),
                onset_days_ago=60)
    r.smoking("obs-smoking", "never", 60)
    methotrexate(r, 2100)
    r.medication("med-czp", code=("849597", "1 ML certolizumab pegol 200 MG/ML Prefilled Syringe"),
                 start_days_ago=1200, end_days_ago=120, status="stopped", dose=200, period=2, period_unit="wk",
                 text="200 mg subcutaneously every other week", reason="Stopped: inadequate response")
    r.medication("med-rif", code=("198202", "rifampin 300 MG Oral Capsule"), start_days_ago=35, end_days_ago=-85,
                 dose=600, text="600 mg by mouth once daily for 4 months (4R)",
                 reason="Latent tuberculosis infection")
    workup(r, kg=66, creatinine=0.81, egfr=84)
    screening(r, 60, igra="positive")
    vaccinated(r)
    return r.cds_hooks_prefetch(wrapped=False)


def ad_abrocitinib_eu() -> object:
    r = Record("ad-abrocitinib")
    r.patient(given="Sofia", family="Marini-Example", birth_date="1997-04-11", gender="female", mrn="EX-0006")
    r.condition("cond-ad", text="Severe atopic dermatitis", snomed=("24079001", "Atopic dermatitis"),
                icd10=("L20.9", "Atopic dermatitis, unspecified"), onset_days_ago=9000)
    r.condition("cond-ocd", text="Obsessive-compulsive disorder", onset_days_ago=2500)
    r.smoking("obs-smoking", "never", 30)
    r.medication("med-coc", code=("242297", "ethinyl estradiol 0.02 MG / levonorgestrel 0.1 MG Oral Tablet"),
                 start_days_ago=1800, dose=1, dose_unit="{tbl}", text="1 tablet by mouth once daily")
    r.medication("med-fluvox", code=("903884", "fluvoxamine maleate 100 MG Oral Tablet"), start_days_ago=700,
                 dose=100, text="100 mg by mouth at night")
    workup(r, kg=58, creatinine=0.68, egfr=118, plt=132)
    r.qualitative("obs-hcg", "2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine", "negative", 7)
    screening(r, 20)
    vaccinated(r, flu=70)
    return r.bundle("transaction")


def ra_pregnant_eu() -> object:
    r = Record("ra-pregnant")
    r.patient(given="Amira", family="Haddad-Example", birth_date="1993-07-22", gender="female", mrn="EX-0007")
    ra(r, 1500)
    r.condition("cond-preg", text="Pregnant, 14 weeks", snomed=("77386006", "Pregnant (finding)"),
                icd10=("Z33.1", "Pregnant state, incidental"), onset_days_ago=84)
    r.pregnancy_status("obs-preg-status", True, 10)
    r.smoking("obs-smoking", "never", 10)
    r.medication("med-hcq", code=("979092", "Hydroxychloroquine Sulfate 200 MG Oral Tablet"), start_days_ago=1400,
                 dose=200, frequency=2, text="200 mg by mouth twice daily")
    r.medication("med-mtx", code=MTX_TAB, start_days_ago=1400, end_days_ago=150, status="stopped", dose=15,
                 period_unit="wk", text="15 mg by mouth once weekly", reason="Stopped before conception")
    workup(r, kg=64, creatinine=0.55, egfr=124, hb=11.6)
    screening(r, 30)
    vaccinated(r, rzv=(), pcv=None)
    return r.bundle("transaction")


def ad_breastfeeding_eu() -> object:
    r = Record("ad-breastfeeding")
    r.patient(given="Julia", family="Novak-Example", birth_date="1995-01-17", gender="female", mrn="EX-0008")
    r.condition("cond-ad", text="Atopic dermatitis", snomed=("24079001", "Atopic dermatitis"),
                icd10=("L20.89", "Other atopic dermatitis"), onset_days_ago=10000)
    r.condition("cond-lact", text="Breastfeeding, infant 5 months",
                snomed=("169750002", "Mother currently breast-feeding (finding)"), onset_days_ago=150)
    r.smoking("obs-smoking", "never", 30)
    workup(r, kg=62, creatinine=0.61, egfr=121)
    screening(r, 25, anti_hbc="positive")
    r.qualitative("scr-antihbs", *ANTI_HBS, "positive", 25)
    vaccinated(r, rzv=(), pcv=None)
    return r.bundle("collection")


def ra_felty_eu() -> object:
    r = Record("ra-felty")
    r.patient(given="Margarethe", family="Vogel-Example", birth_date="1965-09-03", gender="female", mrn="EX-0009")
    r.condition("cond-felty", text="Felty's syndrome (seropositive RA with splenomegaly and neutropenia)",
                icd10=("M05.00", "Felty's syndrome, unspecified site"), onset_days_ago=1100)
    r.smoking("obs-smoking", "never", 20)
    methotrexate(r, 1000, 15)
    # Counts reported in the laboratory's own units: cells/uL, g/L.
    r.lab("cbc-wbc", "6690-2", "Leukocytes [#/volume] in Blood by Automated count", 1.9, "10*3/uL", 10)
    r.lab("cbc-lymph", "731-0", "Lymphocytes [#/volume] in Blood by Automated count", 400, "/uL", 10)
    r.lab("cbc-neut", "751-8", "Neutrophils [#/volume] in Blood by Automated count", 800, "/uL", 10)
    r.lab("cbc-hb", "718-7", "Hemoglobin [Mass/volume] in Blood", 76, "g/L", 10)
    r.lab("cbc-plt", "777-3", "Platelets [#/volume] in Blood by Automated count", 164, "10*3/uL", 10)
    liver(r, 10)
    kidney(r, 10, creatinine_mg_dl=0.72, egfr=94)
    lipids(r, 10)
    weight(r, 10, 61)
    screening(r, 40)
    vaccinated(r)
    return r.bundle("searchset")


def ra_mtx_liver_us() -> object:
    r = Record("ra-mtx-liver")
    r.patient(given="Thomas", family="Brennan-Example", birth_date="1969-06-12", gender="male", mrn="EX-0010")
    ra(r, 2600)
    r.condition("cond-gout", text="Gout", onset_days_ago=1900)
    r.condition("cond-hz", text="Herpes zoster, left T6 dermatome",
                snomed=("4740000", "Herpes zoster (disorder)"), icd10=("B02.9", "Zoster without complications"),
                onset_days_ago=540, abated_days_ago=500, clinical="resolved")
    r.smoking("obs-smoking", "never", 20)
    methotrexate(r, 2500)
    r.medication("med-etn", code=ETANERCEPT, start_days_ago=1500, end_days_ago=200, status="stopped", dose=50,
                 period_unit="wk", text="50 mg subcutaneously once weekly", reason="Stopped: inadequate response")
    r.medication("med-probenecid", code=("M04AB01", "probenecid"), system=ATC, start_days_ago=300, dose=500,
                 frequency=2, text="500 mg by mouth twice daily")
    r.immunization("imm-yf", ("37", "yellow fever live"), 12, lot="YF-EX-117")
    cbc(r, 9)
    liver(r, 9, alt=142, ast=98)
    kidney(r, 9, creatinine_mg_dl=0.97, egfr=88)
    lipids(r, 9)
    weight(r, 9, 91)
    screening(r, 9)
    vaccinated(r)
    return r.bundle("transaction")


def uc_pneumonia_eu() -> object:
    r = Record("uc-pneumonia")
    r.patient(given="Lukas", family="Becker-Example", birth_date="1988-03-01", gender="male", mrn="EX-0011")
    r.condition("cond-uc", text="Ulcerative pancolitis",
                snomed=("64766004", "Ulcerative colitis (disorder)"),
                icd10=("K51.90", "Ulcerative colitis, unspecified, without complications"), onset_days_ago=2300)
    r.condition("cond-cap", text="Community-acquired pneumonia, right lower lobe",
                snomed=("233604007", "Pneumonia (disorder)"), icd10=("J18.9", "Pneumonia, unspecified organism"),
                onset_days_ago=3, category="encounter-diagnosis")
    r.smoking("obs-smoking", "never", 3)
    r.medication("med-aza", code=("197388", "azathioprine 50 MG Oral Tablet"), start_days_ago=1400, dose=150,
                 text="150 mg by mouth once daily")
    r.medication("med-pred", code=("429199", "prednisolone 20 MG Oral Tablet"), start_days_ago=21, dose=40,
                 text="40 mg by mouth once daily, taper by 5 mg weekly")
    workup(r, kg=76, creatinine=0.88, egfr=108, days_ago=3, wbc=14.2, neut=11.8, lymph=0.9)
    screening(r, 90)
    vaccinated(r)
    return r.bundle("collection")


def ra_ltbi_hbv_us() -> object:
    r = Record("ra-ltbi-hbv")
    r.patient(given="Kwame", family="Asante-Example", birth_date="1981-04-25", gender="male", mrn="EX-0012")
    ra(r, 1300)
    r.smoking("obs-smoking", "never", 30)
    methotrexate(r, 1200)
    r.medication("med-ada", code=ADALIMUMAB, start_days_ago=700, end_days_ago=60, status="stopped", dose=40,
                 period=2, period_unit="wk", text="40 mg subcutaneously every other week",
                 reason="Stopped: primary non-response")
    workup(r, kg=79, creatinine=1.05, egfr=88)
    screening(r, 18, igra="positive", hbsag="positive", anti_hbc="positive")
    vaccinated(r)
    return r.bundle("transaction")


def ra_active_tb_eu() -> object:
    r = Record("ra-active-tb")
    r.patient(given="Piotr", family="Nowak-Example", birth_date="1967-01-09", gender="male", mrn="EX-0013")
    ra(r, 3000)
    r.condition("cond-tb", text="Pulmonary tuberculosis, smear positive",
                snomed=("154283005", "Pulmonary tuberculosis (disorder)"), icd10=("A15.0", "Tuberculosis of lung"),
                onset_days_ago=42)
    r.smoking("obs-smoking", "former", 42)
    r.medication("med-inh", code=("6038", "isoniazid"), start_days_ago=40, dose=300, text="300 mg once daily")
    r.medication("med-rif", code=("198202", "rifampin 300 MG Oral Capsule"), start_days_ago=40, dose=600,
                 text="600 mg once daily")
    r.medication("med-mtx", code=MTX_TAB, start_days_ago=2900, status="on-hold", dose=15,
                 period_unit="wk", text="15 mg once weekly (held during TB treatment)")
    workup(r, kg=64, creatinine=0.9, egfr=96)
    screening(r, 45, igra="positive")
    vaccinated(r)
    return r.bundle("transaction")


def ra_cancer_dvt_eu() -> object:
    r = Record("ra-cancer-dvt")
    r.patient(given="Helen", family="Murray-Example", birth_date="1964-11-02", gender="female", mrn="EX-0014")
    ra(r, 4000)
    r.condition("cond-breast", text="Breast cancer (right, ER-positive), in remission after surgery and radiotherapy",
                snomed=("254837009", "Malignant neoplasm of breast (disorder)"),
                icd10=("C50.911", "Malignant neoplasm of unspecified site of right female breast"),
                onset_days_ago=2650, abated_days_ago=2400, clinical="remission")
    r.condition("cond-dvt", text="Deep vein thrombosis, left leg (provoked, post-operative)",
                snomed=("128053003", "Deep venous thrombosis (disorder)"), onset_days_ago=2550,
                abated_days_ago=2370, clinical="resolved")
    r.smoking("obs-smoking", "former", 60)
    methotrexate(r, 3900)
    workup(r, kg=73, creatinine=0.79, egfr=83)
    screening(r, 30)
    vaccinated(r)
    return r.bundle("searchset")


def referral_no_workup() -> object:
    r = Record("referral-new")
    r.patient(given="Ahmed", family="Rahimi-Example", birth_date="1982-08-18", gender="male", mrn="EX-0015")
    r.smoking("obs-smoking", "never", 2)
    r.vital("vs-weight", "29463-7", "Body weight", 84, "kg", 2)
    return r.resource_list()


def ra_transfer_units_eu() -> object:
    r = Record("ra-transfer")
    r.patient(given="Marco", family="Ferri-Example", birth_date="1976-02-14", gender="male", mrn="EX-0016")
    ra(r, 1800)
    r.condition("cond-hcv", text="Chronic hepatitis C, genotype 1a (untreated)",
                snomed=("128302006", "Chronic hepatitis C (disorder)"), icd10=("B18.2", "Chronic viral hepatitis C"),
                onset_days_ago=4000)
    r.smoking("obs-smoking", "never", 30)
    methotrexate(r, 1700, 15)
    r.medication("med-etn", code=ETANERCEPT, start_days_ago=1000, end_days_ago=100, status="stopped", dose=50,
                 period_unit="wk", text="50 mg subcutaneously once weekly", reason="Stopped: inadequate response")
    cbc(r, 20)
    liver(r, 20, alt=58, ast=51)
    lipids(r, 20)
    weight(r, 20, 80)
    # The referring laboratory reports creatinine in the legacy unit "mg%": not a UCUM unit jakcheck knows.
    r.lab("renal-creat", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 1.1, "mg%", 20)
    screening(r, 20, anti_hcv="positive")
    r.lab("scr-hcvrna", "11011-4", "Hepatitis C virus RNA [Units/volume] (viral load) in Serum or Plasma by NAA "
          "with probe detection", 1250000, "[IU]/mL", 20)
    vaccinated(r)
    return r.bundle("collection")


def ra_active_prednisone_eu() -> object:
    r = Record("ra-active-pred")
    r.patient(given="Marta", family="Kowalczyk-Example", birth_date="1968-02-09", gender="female", mrn="EX-0018")
    ra(r, 1400)
    r.smoking("obs-smoking", "never", 20)
    methotrexate(r, 1300, 20)
    r.medication("med-pred", code=PREDNISONE_5, start_days_ago=75, dose=4, dose_unit="{tbl}",
                 text="4 tablets (20 mg) by mouth once daily for flare")
    workup(r, kg=68, creatinine=0.74, egfr=94)
    r.vital("vs-sbp", "8480-6", "Systolic blood pressure", 128, "mm[Hg]", 14)
    # The rheumatology visit a week ago: 28-joint counts and global assessments (LOINC CDAI panel items), ESR, CRP.
    r.lab("da-tjc", "88981-6", "Tender joint #", 12, "{#}", 7)
    r.lab("da-sjc", "88980-8", "Swollen joint #", 9, "{#}", 7)
    r.lab("da-ptga", "75894-6", "Patient global assessment of disease activity - 0-10 numeric rating [Reported]",
          7.5, "{score}", 7)
    r.lab("da-ega", "75846-6", "Evaluator global assessment of disease activity - 0-10 numeric rating [Observed]",
          7, "{score}", 7)
    r.lab("da-esr", "4537-7", "Erythrocyte sedimentation rate by Westergren method", 42, "mm/h", 7)
    r.lab("da-crp", "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", 28, "mg/L", 7)
    screening(r, 30)
    vaccinated(r)
    return r.bundle("collection")


EXAMPLES: dict[str, Callable[[], object]] = {
    "ra-71-smoker-eu.json": ra_71_smoker_eu,
    "ra-tnf-naive-us.json": ra_tnf_naive_us,
    "ra-ckd-us.json": ra_ckd_us,
    "psa-h-pylori-us.json": psa_h_pylori_us,
    "ra-ltbi-rifampin-us.json": ra_ltbi_rifampin_us,
    "psa-mash-cirrhosis-us.json": psa_mash_cirrhosis_us,
    "ad-abrocitinib-eu.json": ad_abrocitinib_eu,
    "ra-pregnant-eu.json": ra_pregnant_eu,
    "ad-breastfeeding-eu.json": ad_breastfeeding_eu,
    "ra-felty-eu.json": ra_felty_eu,
    "ra-mtx-liver-us.json": ra_mtx_liver_us,
    "uc-pneumonia-eu.json": uc_pneumonia_eu,
    "ra-ltbi-hbv-us.json": ra_ltbi_hbv_us,
    "ra-active-tb-eu.json": ra_active_tb_eu,
    "ra-cancer-dvt-eu.json": ra_cancer_dvt_eu,
    "referral-no-workup-eu.json": referral_no_workup,
    "ra-transfer-units-eu.json": ra_transfer_units_eu,
    "ra-active-prednisone-eu.json": ra_active_prednisone_eu,
}


def main() -> None:
    for name, build in EXAMPLES.items():
        write_json(HERE / name, build())
        print(f"wrote examples/{name}")


if __name__ == "__main__":
    main()
