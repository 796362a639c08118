"""What a screen is asked for: region, assessment date and cohort. Sent to every worker process (pickled), so it
stays a plain Python class (the per-patient code is compiled, see jakcheck.native)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jakcheck.population.cohorts import Cohort
from jakcheck.settings import Region


@dataclass(frozen=True)
class ScreenConfig:
    region: Region
    as_of: date
    cohort: Cohort

    def selects(self, cohorts: list[str]) -> bool:
        return self.cohort in cohorts
