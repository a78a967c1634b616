"""Validate one edition file (`content/editions/<name>.md`), and the periods editions cover."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

from sitegen.config import SiteConfig
from sitegen.content.dates import DATE_HINT, DateProblem, parse_datetime
from sitegen.content.discover import EDITIONS_FOLDER, SourceFile
from sitegen.content.frontmatter import split_front_matter
from sitegen.content.report import (
    FieldChecker,
    describe_value,
    language_fields,
    slug_field,
)
from sitegen.diagnostics import Diagnostic
from sitegen.errors import ContentError, SourceLocation
from sitegen.model import Edition, EditionPeriod, Pick
from sitegen.urls import is_valid_slug, language_prefix

EDITION_KEYS = (
    "title", "date", "period", "picks", "summary", "draft", "slug", "lang", "translation_key",
)  # fmt: skip
_PERIOD_RE = re.compile(
    r"^(?P<year>\d{4})(?:-[wW](?P<week>\d{1,2})|-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)$"
)
_PERIOD_EXAMPLE = "period: {from: 2024-11-18, to: 2024-11-24}"
PERIOD_HINT = "write 2024-w40 for a week, 2024-11 for a month or 2024-11-26 for a day"


def period_of(when: dt.datetime, every: str, zone: zoneinfo.ZoneInfo) -> EditionPeriod:
    """The day, ISO week or month that holds a moment, counted in the site's time zone."""
    day = when.astimezone(zone).date()
    if every == "day":
        return _day_period(day, zone)
    if every == "month":
        return _month_period(day.year, day.month, zone)
    year, week, _ = day.isocalendar()
    return _week_period(year, week, zone)


def parse_period(text: str, zone: zoneinfo.ZoneInfo) -> EditionPeriod:
    """A period written as `2024-w40` (or `2024-W40`), `2024-11` or `2024-11-26`.

    Raises ValueError saying what is wrong.
    """
    match = _PERIOD_RE.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a period ({PERIOD_HINT})")
    year = int(match["year"])
    if match["week"]:
        week = int(match["week"])
        weeks = dt.date(year, 12, 28).isocalendar()[1]
        if not 1 <= week <= weeks:
            raise ValueError(f"{year} has ISO weeks 1 to {weeks}, not {week}")
        return _week_period(year, week, zone)
    month = int(match["month"])
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} does not exist")
    if match["day"] is None:
        return _month_period(year, month, zone)
    day = int(match["day"])
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValueError(f"{calendar.month_name[month]} {year} has {last} days, not {day}")
    return _day_period(dt.date(year, month, day), zone)


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


def _day_period(day: dt.date, zone: zoneinfo.ZoneInfo) -> EditionPeriod:
    end = day + dt.timedelta(days=1)
    return EditionPeriod(_midnight(day, zone), _midnight(end, zone), day.isoformat())


def _week_period(year: int, week: int, zone: zoneinfo.ZoneInfo) -> EditionPeriod:
    monday = dt.date.fromisocalendar(year, week, 1)
    end = monday + dt.timedelta(days=7)
    return EditionPeriod(_midnight(monday, zone), _midnight(end, zone), f"{year}-w{week:02d}")


def _month_period(year: int, month: int, zone: zoneinfo.ZoneInfo) -> EditionPeriod:
    first = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return EditionPeriod(_midnight(first, zone), _midnight(end, zone), f"{year}-{month:02d}")


def _given_period(check: FieldChecker, value: Any, config: SiteConfig) -> EditionPeriod | None:
    fields = check.mapping("period", value, ("from", "to"))
    if fields is None:
        return None
    ends: list[dt.datetime] = []
    for name in ("from", "to"):
        if fields.get(name) is None:
            check.fail("period", f"period.{name} is required", _PERIOD_EXAMPLE)
            return None
        try:
            ends.append(parse_datetime(fields[name], config.zone))
        except (DateProblem, OverflowError, ValueError) as problem:
            check.fail("period", f"period.{name}: {problem}", DATE_HINT)
            return None
    start, last = ends
    to = fields["to"]
    if isinstance(to, dt.date) or (isinstance(to, str) and not re.search(r"[T ]", to.strip())):
        last = _midnight(last.date() + dt.timedelta(days=1), config.zone)  # the whole last day
    if last <= start:
        check.fail("period", "period.to is before period.from")
        return None
    name = f"{start.date().isoformat()}..{(last - dt.timedelta(seconds=1)).date().isoformat()}"
    return EditionPeriod(start, last, name)


def _picks(check: FieldChecker, value: Any, lines: tuple[int, ...]) -> tuple[Pick, ...] | None:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.fail("picks", f"picks must be a list of report slugs, not {describe_value(value)}")
        return None
    line = check.at("picks").line or 1
    picks: list[Pick] = []
    for number, item in enumerate(value):
        at = lines[number] if number < len(lines) else line
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not is_valid_slug(item.strip()):
            check.errors.append(
                ContentError(
                    f"a pick must be a report's slug, not {describe_value(item)}",
                    SourceLocation(check.source.display, at),
                )
            )
            continue
        picks.append(Pick(item.strip().lower(), at))
    return tuple(picks)


def validate_edition(
    text: str,
    source: SourceFile,
    config: SiteConfig,
    warn: Callable[[Diagnostic], None],
    render_note: Callable[[str, int], str],
) -> Edition:
    """Validate an edition's text; raise ReportErrors (or a ContentError) naming every problem.

    `render_note` renders the note (Markdown, and the line it starts on) to HTML. The
    edition's reports are not known yet.
    """
    matter = split_front_matter(text, source.display)
    data = matter.data
    check = FieldChecker(source, matter)
    title = check.text("title", data.get("title"))
    if "title" not in data:
        check.errors.append(
            ContentError("title is required", SourceLocation(source.display, 1), "add title: ...")
        )
    date: dt.datetime | None = None
    if data.get("date") is None:
        check.errors.append(
            ContentError(
                "date is required: when the edition is published",
                check.at("date") if "date" in data else SourceLocation(source.display, 1),
                "add date: 2024-11-29",
            )
        )
    else:
        try:
            date = parse_datetime(data["date"], config.zone)
        except (DateProblem, OverflowError, ValueError) as problem:
            check.fail("date", f"date: {problem}", DATE_HINT)
    period: EditionPeriod | None = None
    if data.get("period") is not None:
        period = _given_period(check, data["period"], config)
    elif date is not None:
        period = period_of(date, config.editions.every, config.zone)
    picks = None
    if "picks" in data:
        picks = _picks(check, data["picks"], matter.item_lines.get("picks", ()))
    summary = check.text("summary", data.get("summary"))
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        check.fail("draft", f"draft must be true or false, not {describe_value(draft)}")
        draft = False
    lang, translation_key = language_fields(check, data, source, config)
    slug = slug_field(check, data.get("slug"), source.stem)
    for key in data:
        if key not in EDITION_KEYS:
            known = ", ".join(EDITION_KEYS)
            check.warn(str(key), f"unknown field '{key}' in an edition", f"known fields: {known}")
    needed = (title, date, slug, period)
    check.finish(warn, all(value is not None for value in needed), "edition")
    assert title is not None and date is not None and slug is not None and period is not None
    return Edition(
        key=source.key,
        file=source.display,
        slug=slug,
        lang=lang,
        translation_key=translation_key,
        title=title,
        date=date,
        period=period,
        period_given="period" in data,
        picks=picks,
        summary=summary,
        draft=draft,
        html=render_note(matter.body, matter.body_line),
        url=f"{language_prefix(lang, config.language)}/{EDITIONS_FOLDER}/{slug}/",
        key_lines=tuple(matter.key_lines.items()),
    )
