"""What a screen is asked for: region, assessment date, cohort and the site's settings, sent to every worker.

Its own module, importing no engine: `jakcheck screen` names the cohorts and builds the request before it
imports the engine, so that the local engine's fork server can load the engine meanwhile (population.workers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from jakcheck.settings import Region, Settings

# The cohorts a screen can select (see population.cohorts).
Cohort = Literal["on-jaki", "candidates", "all"]
COHORTS: tuple[Cohort, ...] = ("on-jaki", "candidates", "all")


@dataclass(frozen=True)
class ScreenConfig:
    region: Region
    as_of: date
    cohort: Cohort
    settings: Settings  # the entry point's settings, passed to the engine for every patient

    def selects(self, cohorts: list[str]) -> bool:
        return self.cohort in cohorts
