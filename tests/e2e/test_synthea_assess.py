"""Assess every Synthea patient in ../shared/data in both regions; hand-checked results for one RA patient.

Skips cleanly when the shared data folder is absent.
"""

from __future__ import annotations

from datetime import date

import pytest

from jakcheck.engine import assess
from jakcheck.errors import PatientDeceased
from jakcheck.fhir.reader import read_file
from jakcheck.knowledge.loader import default_knowledge
from tests.shared_data import synthea_patient_files as _files

AS_OF = date(2021, 6, 1)  # after both folders' latest encounters


def test_every_synthea_patient_is_assessed_in_both_regions() -> None:
    k = default_knowledge()
    seen_codes: set[str] = set()
    deceased = 0
    for path in _files():
        facts = read_file(path, as_of=AS_OF, knowledge=k)
        if facts.deceased:  # a deceased patient is refused, never assessed as a candidate
            with pytest.raises(PatientDeceased):
                assess(facts, k, region="EU")
            deceased += 1
            continue
        for region in ("EU", "US"):
            result = assess(facts, k, region=region)  # type: ignore[arg-type]
            assert result.region == region
            for f in result.findings:
                assert f.sources, f"{path.name}: {f.code} has no source"
                assert f.evidence, f"{path.name}: {f.code} has no evidence"
                seen_codes.add(f.code)
            # Synthea has no TB or hepatitis results: screening is never read as done.
            if result.drugs:
                assert "tb.screening-missing" in {f.code for f in result.findings}
                assert result.ready_to_start is False
    assert {"risk.age-65-plus", "risk.cardiovascular", "vaccine.zoster-due"} <= seen_codes
    assert deceased > 0  # the shared Synthea set holds deceased patients


def test_hershel_marvin_ra_on_methotrexate() -> None:
    """35-year-old man with RA since 2018 on methotrexate, never smoker (hand-checked in the bundle)."""
    path = next((p for p in _files() if p.name.startswith("Hershel_Marvin_71a7f9d4")), None)
    if path is None:
        pytest.skip("Hershel Marvin bundle absent")
    k = default_knowledge()
    facts = read_file(path, as_of=AS_OF, knowledge=k)
    eu = assess(facts, k, region="EU")
    assert (eu.indication, eu.patient.age, eu.patient.sex) == ("rheumatoid-arthritis", 35, "male")
    codes = {f.code for f in eu.findings}
    assert "risk.smoking" not in codes and "risk.age-65-plus" not in codes
    assert "ddi.immunosuppressant-combination" not in codes  # methotrexate may continue
    assert {"tb.screening-missing", "hbv.screening-missing", "hcv.screening-missing"} <= codes
    assert [d.drug for d in eu.drugs] == ["tofacitinib", "baricitinib", "upadacitinib", "filgotinib"]
    us = assess(facts, k, region="US")
    tnf = [f for f in us.findings if f.code == "label.tnf-inadequate-response-required"]
    assert tnf and {"tofacitinib", "upadacitinib"} <= {d for f in tnf for d in f.drugs}
    bari = next(d for d in us.drugs if d.drug == "baricitinib")  # US RA approval not verified: check approval
    assert bari.verdict != "appropriate" and "knowledge.not-encoded" in bari.findings
    assert "filgotinib" not in [d.drug for d in us.drugs]  # not authorised in the US
