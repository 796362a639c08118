"""Fixtures shared by several test folders."""

from __future__ import annotations

import warnings
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark_session() -> Any:
    """One local[2] Spark session for the whole run (start-up is the slow part), stopped at the end; skips when
    Spark cannot run here."""
    pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'jakcheck[spark]')")
    from jakcheck.errors import ConfigError
    from jakcheck.population.spark import get_session, java_problem

    problem = java_problem()
    if problem:
        pytest.skip(problem)
    try:
        session = get_session("local[2]")
    except ConfigError as exc:
        pytest.skip(str(exc))
    yield session
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        session.stop()
