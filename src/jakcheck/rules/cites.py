"""Citations of the class-wide sources that rules quote (ids in knowledge/data/sources/*.yaml).

Drug-specific statements cite the drug's own label from the drug file; these are the documents that apply
across the class. A test checks that every id here exists in the knowledge release.
"""

from __future__ import annotations

from jakcheck.knowledge.schema import Cite


def c(source: str, section: str | None = None) -> Cite:
    return Cite(source=source, section=section)


EMA_2023 = c("ema-jaki-referral-2023", "Outcome of the Article 20 referral: measures for all JAK inhibitors")
FDA_2021 = c("fda-dsc-2021-09", "FDA Drug Safety Communication, 1 September 2021")
ORAL_SURV = c("oral-surveillance-2022", "Results: MACE and cancer excluding NMSC")
ORAL_SURV_ZOSTER = c("oral-surveillance-infections-2022", "Table 2: herpes zoster by treatment arm")
ORAL_SURV_VTE = Cite(source="oral-surveillance-vte-2024", section="Abstract: VTE and PE by arm; VTE risk factors",
                     grade="secondary")
EULAR_CANCER = c("eular-2024-ptc-cancer", "Points to consider: JAK inhibitors in patients with a history of cancer")
ACR_VACC = c("acr-2022-vaccination", "Recommendations for patients on immunosuppressive therapy")
ACIP_RZV = c("acip-rzv-2022", "Recombinant zoster vaccine for immunocompromised adults aged 19 and older")
ACIP_RZV_PREGNANCY = Cite(source="acip-rzv-2022", section="Special populations - Pregnancy", grade="secondary")
CDC_PREGNANCY_VACC = c("cdc-vaccines-pregnancy-guidelines", "General recommendations for use in pregnancy (table)")
ACIP_PRECAUTIONS = c("cdc-general-best-practices-precautions",
                     "Contraindications and precautions: moderate or severe acute illness")
EULAR_VACC = c("eular-2019-vaccination", "Recommendations 2-4 and 9")
CKD_EPI = c("ckd-epi-2021", "2021 race-free creatinine equation")
COCKCROFT = c("cockcroft-gault-1976", "Creatinine clearance equation")
FHIR_UCUM = c("ucum", "Unit conversion")
FHIR_R4 = c("fhir-r4", "Terminologies and coded data")
FHIR_PAGING = c("fhir-r4", "RESTful API 3.1.0.2: paging of search results (Bundle next links)")
CDS_HOOKS_PREFETCH = c("cds-hooks-2.0.1", "Providing FHIR resources to a CDS Service: prefetch and FHIR resource "
                                          "access")
ACR_TB = c("acr-2015-ra", "Tuberculosis screening before biologic or tofacitinib therapy")
HBV = c("aga-hbv-2025", "HBV reactivation risk with immunosuppressive drugs")
ACR_RA_HBV = c("acr-2021-ra", "Hepatitis B: prophylaxis and monitoring")
AGA_2015_ANTI_HBS = Cite(source="aga-hbv-2015", section="Recommendation 4: anti-HBs status not to guide prophylaxis",
                         grade="secondary")
HCV = c("cdc-hcv-screening-2020", "Hepatitis C screening")
GC_INFECTION = c("george-gc-infection-2020", "Glucocorticoid dose and serious infection")
RABBIT = c("rabbit-score-2014", "Risk factors for serious infection")
