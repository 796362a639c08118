"""Reading fields of a FHIR resource held as plain dicts from orjson: a wrong type reads as absent, never raises.

Also the FHIR date, dateTime and instant types, read as the calendar date written.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?$")


class BadDate(ValueError):
    """A value where a FHIR date was expected that is not one (or is partial where a full date is needed)."""


def parse_fhir_date(value: object, *, full: bool = False) -> date:
    """Calendar date of a FHIR date/dateTime/instant (the date as written, time zone ignored).

    Partial dates ("2009", "2009-04") give the first day of the period unless `full` is set.
    """
    if not isinstance(value, str):
        raise BadDate(f"not a date: {value!r}")
    m = _DATE.match(value.strip())
    if not m:
        raise BadDate(f"not a FHIR date: {value!r}")
    year, month, day = m.group(1), m.group(2), m.group(3)
    if full and day is None:
        raise BadDate(f"partial date {value!r}")
    try:
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise BadDate(f"invalid date {value!r}") from exc


def as_dict(x: object) -> dict[str, Any]:
    """`x` if it is an object, else an empty one."""
    return x if isinstance(x, dict) else {}


def as_list(x: object) -> list[Any]:
    """`x` if it is an array, else an empty one."""
    return x if isinstance(x, list) else []


def as_str(x: object) -> str | None:
    """`x` if it is a string, else None."""
    return x if isinstance(x, str) else None


def as_num(x: object) -> float | None:
    """`x` as a finite float if it is a JSON number (not a boolean), else None."""
    if x.__class__ is float:
        return x if math.isfinite(x) else None
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    try:
        f = float(x)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None
