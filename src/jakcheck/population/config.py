"""What a screen is asked for: region, assessment date and cohort. Sent to every worker process (pickled), so it
stays a plain Python class (the per-patient code is compiled, see jakcheck.native)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from jakcheck.settings import Region

# The cohorts a screen can select (see population.cohorts); here, so that naming them imports no engine.
Cohort = Literal["on-jaki", "candidates", "all"]
COHORTS: tuple[Cohort, ...] = ("on-jaki", "candidates", "all")


@dataclass(frozen=True)
class ScreenConfig:
    region: Region
    as_of: date
    cohort: Cohort

    def selects(self, cohorts: list[str]) -> bool:
        return self.cohort in cohorts
