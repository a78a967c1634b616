"""The digest's editions on the site: which reports each one gathers, and what is wrong.

Pure: given the site's published reports and the editions as loaded, `place_editions`
gives the site with its editions (each with its reports, in order) and the diagnostics.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from babel.dates import format_date, format_skeleton

from sitegen.config import BuildOptions, SiteConfig
from sitegen.content.discover import EDITIONS_FOLDER
from sitegen.diagnostics import Diagnostic, Level
from sitegen.errors import SourceLocation
from sitegen.model import Edition, EditionPeriod, Report, Site

Unpublished = Callable[[], Mapping[tuple[str, str], Report]]
"""Makes, on first need, (lang, slug) -> a report that is loaded but not on the site."""


def _at(edition: Edition, line: int | None) -> SourceLocation:
    return SourceLocation(edition.file, line or 1)


def _diagnostic(
    level: Level, edition: Edition, line: int | None, message: str, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(level, message, _at(edition, line), hint)


def _nearest(slug: str, slugs: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(slug, sorted(set(slugs)), n=1, cutoff=0.5)
    return close[0] if close else None


def _reports_in_period(site: Site, edition: Edition) -> tuple[str, ...]:
    """The edition's language's reports published in its period, newest first."""
    try:
        language = site.language(edition.lang)
    except KeyError:
        return ()
    reports = site.reports
    return tuple(key for key in language.report_keys if edition.period.holds(reports[key].date))


def _picked(
    site: Site,
    edition: Edition,
    slugs: Mapping[tuple[str, str], str],
    unpublished: Unpublished,
    found: list[Diagnostic],
) -> tuple[str, ...]:
    """The reports an edition's picks name, in order; each pick that names none is an error."""
    keys: list[str] = []
    for pick in edition.picks or ():
        key = slugs.get((edition.lang, pick.slug))
        if key is None:
            other = unpublished().get((edition.lang, pick.slug))
            if other is not None and other.draft:
                found.append(
                    _diagnostic(
                        Level.ERROR, edition, pick.line,
                        f"pick {pick.slug!r} is a draft report ({other.file.as_posix()})",
                        "publish it (draft: false), leave it out, or build with --drafts",
                    )
                )  # fmt: skip
            elif other is not None:
                found.append(
                    _diagnostic(
                        Level.WARNING, edition, pick.line,
                        f"pick {pick.slug!r} is dated after now and is left out until then",
                    )
                )  # fmt: skip
            else:
                near = _nearest(pick.slug, (s for lang, s in slugs if lang == edition.lang))
                found.append(
                    _diagnostic(
                        Level.ERROR, edition, pick.line,
                        f"pick {pick.slug!r} names no report in {edition.lang!r}",
                        f"did you mean {near!r}?" if near else "give a report's slug",
                    )
                )  # fmt: skip
            continue
        if key in keys:
            found.append(
                _diagnostic(Level.WARNING, edition, pick.line, f"{pick.slug!r} is picked twice")
            )
            continue
        report = site.reports[key]
        if not edition.period.holds(report.date):
            found.append(
                _diagnostic(
                    Level.WARNING, edition, pick.line,
                    f"pick {pick.slug!r} was published on {report.date.date().isoformat()}, "
                    f"outside the edition's period {edition.period.name}",
                    "give the edition a period, or pick reports of its period",
                )
            )  # fmt: skip
        keys.append(key)
    return tuple(keys)


def _overlaps(editions: Iterable[Edition]) -> list[Diagnostic]:
    """A warning for each edition whose period overlaps an earlier one's in its language."""
    found: list[Diagnostic] = []
    by_start = sorted(editions, key=lambda e: (e.lang, e.period.start, e.key))
    for index, edition in enumerate(by_start):
        for earlier in by_start[:index]:
            if earlier.lang == edition.lang and earlier.period.end > edition.period.start:
                line = edition.line_of("period") or edition.line_of("date")
                found.append(
                    _diagnostic(
                        Level.WARNING, edition, line,
                        f"its period {edition.period.name} overlaps that of "
                        f"{earlier.file.as_posix()} ({earlier.period.name})",
                        "give one of them another date or period",
                    )
                )  # fmt: skip
                break
    return found


def place_editions(
    site: Site,
    editions: Iterable[Edition],
    options: BuildOptions,
    unpublished: Unpublished,
) -> tuple[Site, tuple[Diagnostic, ...]]:
    """The site with its published editions, each with its reports; and what is wrong.

    Drafts are left out (but with `--drafts`), and editions dated after now (but with
    `--future`).
    """
    now = options.current_time()
    published = [
        edition
        for edition in editions
        if (options.drafts or not edition.draft) and (options.future or edition.date <= now)
    ]
    if not published:
        if not site.editions and not site.appearances:
            return site, ()
        return dataclasses.replace(site, editions={}, appearances={}), ()
    slugs: dict[tuple[str, str], str] = {}
    for key in sorted(site.reports):
        report = site.reports[key]
        slugs.setdefault((report.lang, report.slug), key)
    found: list[Diagnostic] = []
    placed: list[Edition] = []
    for edition in published:
        if edition.picks is None:
            keys = _reports_in_period(site, edition)
        else:
            keys = _picked(site, edition, slugs, unpublished, found)
        if not keys and not edition.draft:
            line = edition.line_of("picks" if edition.picks is not None else "date")
            found.append(
                _diagnostic(
                    Level.ERROR, edition, line,
                    f"the edition gathers no reports (its period: {edition.period.name})",
                    "pick reports, give it another date or period, or make it a draft",
                )
            )  # fmt: skip
        placed.append(_with_reports(edition, keys))
    found += _overlaps(placed)
    placed.sort(key=lambda e: (e.date, e.key), reverse=True)
    appearances: dict[str, list[str]] = {}
    for edition in placed:
        for key in edition.report_keys:
            appearances.setdefault(key, []).append(edition.key)
    return (
        dataclasses.replace(
            site,
            editions={edition.key: edition for edition in placed},
            appearances={key: tuple(keys) for key, keys in sorted(appearances.items())},
        ),
        tuple(sorted(found, key=Diagnostic.sort_key)),
    )


def _with_reports(edition: Edition, keys: tuple[str, ...]) -> Edition:
    return (
        edition if edition.report_keys == keys else dataclasses.replace(edition, report_keys=keys)
    )


def edition_file_name(period: EditionPeriod) -> Path:
    """The file `sitegen edition new` writes for a period, under content/."""
    return Path(EDITIONS_FOLDER) / f"{period.name}.md"


def period_title(period: EditionPeriod, every: str, lang: str) -> str:
    """A period in words: `Week 48, 2024`, `November 2024`, `November 26, 2024`."""
    first = period.start.date()
    locale = lang.replace("-", "_")
    if every == "day":
        return format_date(first, "long", locale=locale)
    if every == "month":
        return format_skeleton("yMMMM", first, locale=locale)
    year, week, _ = first.isocalendar()
    return f"Week {week}, {year}"


def new_edition_text(reports: Iterable[Report], period: EditionPeriod, config: SiteConfig) -> str:
    """The text of a new draft edition of a period, its picks every report published in it.

    Reports in the site's language, not drafts, newest first, one a line, for the editor
    to order and trim.
    """
    picked = sorted(
        (r for r in reports if r.lang == config.language and not r.draft and period.holds(r.date)),
        key=lambda r: (r.date, r.key),
        reverse=True,
    )
    last_day = (period.end - dt.timedelta(days=1)).date()
    title = f"{config.title}: {period_title(period, config.editions.every, config.language)}"
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {last_day.isoformat()}",
        "# summary: One or two sentences, for lists, the feed and the email's preview.",
    ]
    if picked:
        lines.append("picks:  # the order they appear in; remove the ones to leave out")
        lines += [f"  - {r.slug}  # {r.title}" for r in picked]
    else:
        lines.append(
            "picks: []  # no report was published in this period: add slugs here, "
            "or give the edition a period"
        )
    lines += ["draft: true", "---", "The editor's note: what this edition is about.", ""]
    return "\n".join(lines)
