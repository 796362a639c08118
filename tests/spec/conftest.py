"""The `engine` fixture: every spec row runs through each engine of tests/spec/engines.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.spec.engines import ENGINES, SCREEN_ENGINES, screen_documents

_SCREENED: dict[str, dict[str, dict[str, Any]]] = {}


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "spark-screen":
        request.getfixturevalue("spark_session")  # one Spark session for the run; skips when Spark cannot run
    return name


@pytest.fixture
def screened(engine: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """For a screen engine: the assessment document of every row the screen runs, by patient id (the screens run
    once per engine, for all rows, on first use)."""
    if engine not in SCREEN_ENGINES:
        return {}
    if engine not in _SCREENED:
        from tests.spec.test_rules import CASES

        work: Path = tmp_path_factory.mktemp(f"spec-{engine}")
        _SCREENED[engine] = screen_documents(CASES, engine, work)
    return _SCREENED[engine]
