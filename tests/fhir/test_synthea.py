"""Read every Synthea R4 patient bundle in ../shared/data; hand-checked facts for two patients."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from jakcheck.errors import InputError
from jakcheck.fhir.reader import read_file
from jakcheck.patient.facts import Tri
from tests.shared_data import SYNTHEA_FOLDERS, synthea_patient_files

from .conftest import FakeTerminology

FOLDERS = SYNTHEA_FOLDERS
AS_OF = date(2021, 6, 1)  # after both folders' reference dates


def _files() -> list[Path]:
    return synthea_patient_files()


def _one(folder: Path, prefix: str) -> Path:
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    hits = sorted(folder.glob(prefix + "*.json"))
    if not hits:
        pytest.skip(f"{prefix} not in {folder}")
    return hits[0]


def test_read_all_patient_bundles(kb: FakeTerminology) -> None:
    files = _files()
    for path in files:
        facts = read_file(path, as_of=AS_OF, knowledge=kb)
        assert facts.patient_id
        assert facts.birth_date is not None
        # Synthea writes only units the tables know: nothing should be unusable.
        assert facts.unusable == (), (path.name, facts.unusable[:3])
    assert len(files) >= 100


def test_reading_is_fast(kb: FakeTerminology) -> None:
    files = sorted(_files(), key=lambda p: p.stat().st_size)
    sample = files[:: max(1, len(files) // 20)]
    start = time.perf_counter()
    for path in sample:
        read_file(path, as_of=AS_OF, knowledge=kb)
    per_file = (time.perf_counter() - start) / len(sample)
    assert per_file < 0.2, f"{per_file * 1000:.0f} ms per patient"


def test_shared_information_bundles_have_no_patient(kb: FakeTerminology) -> None:
    folder = FOLDERS[0]
    for prefix in ("hospitalInformation", "practitionerInformation", "groupInformation"):
        with pytest.raises(InputError, match="no Patient"):
            read_file(_one(folder, prefix), as_of=AS_OF, knowledge=kb)


def test_hershel_marvin_rheumatoid_arthritis(kb: FakeTerminology) -> None:
    path = _one(FOLDERS[1], "Hershel_Marvin_71a7f9d4")
    facts = read_file(path, as_of=AS_OF, knowledge=kb)
    assert facts.patient_id == "4e122e91-c63f-4112-a778-6ccf5abfd6f2"
    assert (facts.birth_date, facts.sex, facts.deceased) == (date(1985, 8, 20), "male", False)
    [ra] = [c for c in facts.conditions if c.concept == "rheumatoid-arthritis"]
    assert (ra.source, ra.active, ra.onset) == ("Condition/cd390cd5-e2d3-40ef-a8ed-eaa769deeac0", True,
                                                 date(2018, 8, 12))
    [mtx] = [m for m in facts.medications if m.concept == "methotrexate"]
    assert (mtx.source, mtx.status, mtx.current, mtx.start) == (
        "MedicationRequest/bb1f035d-5e64-4119-9c26-25f76f9a7726", "active", True, date(2018, 8, 12))
    hb = sorted((lab for lab in facts.labs if lab.concept == "hemoglobin"), key=lambda lab: lab.effective)
    assert [(lab.effective, round(lab.value, 3)) for lab in hb] == [(date(2013, 10, 29), 14.544),
                                                                   (date(2019, 11, 5), 12.056)]
    [plt] = [lab for lab in facts.labs if lab.concept == "platelets" and lab.effective == date(2019, 11, 5)]
    assert (plt.value, plt.unit) == (pytest.approx(380.646, abs=1e-3), "10*9/L")  # from 10*3/uL
    assert (facts.smoking.status, facts.smoking.source) == ("never",
                                                            "Observation/43277c28-2da5-4504-9c89-28f5864b94ea")
    assert facts.pregnant.state is Tri.UNKNOWN


def test_dillon_adams_renal_bp_vaccines(kb: FakeTerminology) -> None:
    path = _one(FOLDERS[0], "Dillon_Adams_b4405d0c")
    facts = read_file(path, as_of=AS_OF, knowledge=kb)
    assert (facts.birth_date, facts.sex) == (date(1969, 3, 30), "male")
    [egfr] = [lab for lab in facts.labs if lab.concept == "egfr"]
    assert (egfr.value, egfr.unit, egfr.original) == (88.504, "mL/min/{1.73_m2}", "88.504 mL/min")
    [crea] = [lab for lab in facts.labs if lab.concept == "creatinine"]
    assert crea.value == 3.3834
    sbp = sorted((lab for lab in facts.labs if lab.concept == "systolic-bp"), key=lambda lab: lab.effective)
    assert (sbp[-1].value, sbp[-1].effective, sbp[-1].source) == (
        126.0, date(2020, 4, 5), "Observation/135cfb26-548b-4d31-b780-6c2413ee41e0")
    zoster = [i for i in facts.immunizations if i.concept == "zoster-live"]
    assert [(i.occurred, i.live) for i in zoster] == [(date(2019, 3, 31), True), (date(2020, 4, 5), True)]


def test_as_of_before_data_makes_later_observations_unusable(kb: FakeTerminology) -> None:
    path = _one(FOLDERS[0], "Dillon_Adams_b4405d0c")
    facts = read_file(path, as_of=date(2020, 1, 1), knowledge=kb)
    assert not any(lab.concept == "egfr" for lab in facts.labs)
    assert any(u.concept == "egfr" and "after the assessment date" in u.reason for u in facts.unusable)
