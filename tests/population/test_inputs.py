"""The screen's input: which files it reads, and the resource types it keeps for the reader."""

from __future__ import annotations

from pathlib import Path

from jakcheck.fhir.reader import READ_TYPES
from jakcheck.population.inputs import discover, is_patient_bundle, iter_patient_bundles
from jakcheck.population.routing import NEEDED_TYPES


def test_the_screen_keeps_exactly_the_types_the_reader_reads() -> None:
    """A type the reader maps but the screen drops would silently lose facts; one it keeps that the reader
    ignores costs time for nothing."""
    assert NEEDED_TYPES == READ_TYPES


def test_synthea_shared_bundles_are_not_patients(tmp_path: Path) -> None:
    """Synthea's hospital, practitioner and group Bundles are skipped by the screen and by the Bundle lister."""
    names = ["hospitalInformation1.json", "practitionerInformation2.json", "groupInformation3.json",
             "Hershel_Marvin_1.json", "hospital.json"]
    for name in names:
        (tmp_path / name).write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}')
    assert [p.name for p in iter_patient_bundles(tmp_path)] == ["Hershel_Marvin_1.json", "hospital.json"]
    assert [f.path.name for f in discover([tmp_path])] == ["Hershel_Marvin_1.json", "hospital.json"]
    assert not is_patient_bundle(Path("x/hospitalInformation1.json"))
