"""Read the dates editors write in front matter, with messages that say what is wrong."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo

from sitegen.model import PartialDate

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?$"
)
_PARTIAL_RE = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?)?$")

DATE_HINT = "write it as 2024-03-18, or 2024-03-18T09:30:00+09:00 with a time"


class DateProblem(ValueError):
    """A date that cannot be read; the message says why."""


def _check_day(year: int, month: int, day: int) -> None:
    if not 1 <= month <= 12:
        raise DateProblem(f"month {month} does not exist")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        name = calendar.month_name[month]
        raise DateProblem(f"{name} {year} has {last} days, not {day}")


def parse_datetime(value: object, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A timezone-aware datetime from front matter.

    A date, or a date with a time, with or without an offset (the site's zone where none
    is given).
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone)
    if not isinstance(value, str):
        raise DateProblem(f"{value!r} is not a date")
    match = _DATE_RE.match(value.strip())
    if match is None:
        raise DateProblem(f"{value!r} is not a date")
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if year < 1:
        raise DateProblem(f"year {year} is out of range")
    _check_day(year, month, day)
    hour, minute, second = int(match["H"] or 0), int(match["M"] or 0), int(match["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise DateProblem(f"{hour:02d}:{minute:02d}:{second:02d} is not a time of day")
    tz: dt.tzinfo = zone
    if match["tz"]:
        text = match["tz"]
        if text == "Z":
            tz = dt.UTC
        else:
            sign = -1 if text[0] == "-" else 1
            digits = text[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:])
            if hours > 23 or minutes > 59:
                raise DateProblem(f"offset {text} is not a time-zone offset")
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=tz)


def parse_partial_date(value: object) -> PartialDate:
    """A year (2024), a month (2024-03) or a day (2024-03-05)."""
    if isinstance(value, bool):
        raise DateProblem(f"{value!r} is not a date")
    if isinstance(value, dt.datetime):
        return PartialDate.from_date(value.date())
    if isinstance(value, dt.date):
        return PartialDate.from_date(value)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise DateProblem(f"{value!r} is not a date")
    match = _PARTIAL_RE.match(value.strip())
    if match is None:
        raise DateProblem(f"{value!r} is not a year, a month or a day")
    year = int(match["y"])
    if year < 1:
        raise DateProblem(f"year {year} is out of range")
    month = int(match["m"]) if match["m"] else None
    day = int(match["d"]) if match["d"] else None
    if month is not None:
        _check_day(year, month, day or 1)
    return PartialDate(year, month, day)
