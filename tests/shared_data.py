"""Where the third-party FHIR test data lives (../shared/data next to the repository), and its patient files.

Tests that use it skip cleanly when it is absent; it is never copied into the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jakcheck.population.inputs import iter_patient_bundles

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SYNTHEA_FOLDERS = [SHARED_DATA / "synthea-r4-bulk-data-server", SHARED_DATA / "synthea-r4-generated-sample-data"]


def synthea_patient_files() -> list[Path]:
    """Every Synthea patient bundle (not the shared hospital/practitioner bundles); skips when absent."""
    files = [p for folder in SYNTHEA_FOLDERS if folder.is_dir() for p in iter_patient_bundles(folder)]
    if not files:
        pytest.skip("shared Synthea data (../shared/data) is absent")
    return files
