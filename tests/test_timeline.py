"""The timeline: by event date, years then months newest first, partial dates after full ones."""

from __future__ import annotations

import calendar
from collections import defaultdict
from pathlib import Path

import lxml.html
import pytest

from tests.helpers import Run, build, make_site, report_text, texts
from tests.test_pages import FixtureReport, path_of, published, shared_digest

Group = tuple[str | None, list[tuple[str, str]]]
"""A month's label (None for the reports known only by year) and its (title, link)s."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_digest(tmp_path_factory)


def month_label(year: int, month: int, lang: str) -> str:
    if lang == "ko":
        return f"{year}년 {month}월"
    return f"{calendar.month_name[month]} {year}"


def expected_timeline(reports: list[FixtureReport], lang: str) -> list[tuple[int, list[Group]]]:
    """Years newest first; in each, months newest first, then the year-only reports.
    In a month, known days newest first, then reports known only by month."""
    years: dict[int, list[FixtureReport]] = defaultdict(list)
    for report in reports:
        years[report.event[0]].append(report)
    timeline = []
    for year in sorted(years, reverse=True):
        newest = sorted(years[year], key=lambda r: r.date, reverse=True)
        months = sorted({r.event[1] for r in newest if r.event[1] is not None}, reverse=True)
        groups: list[Group] = []
        for month in months:
            in_month = [r for r in newest if r.event[1] == month]
            days = sorted((r for r in in_month if r.event[2]), key=lambda r: -(r.event[2] or 0))
            partial = [r for r in in_month if not r.event[2]]
            entries = [(r.title, r.url) for r in days + partial]
            groups.append((month_label(year, month, lang), entries))
        year_only = [(r.title, r.url) for r in newest if r.event[1] is None]
        if year_only:
            groups.append((None, year_only))
        timeline.append((year, groups))
    return timeline


def shown_year(section: lxml.html.HtmlElement) -> tuple[int, list[Group]]:
    (heading,) = texts(section, "./h2")
    groups: list[Group] = []
    for month in section.xpath("./section"):
        (label,) = texts(month, "./h3")
        entries = [
            (" ".join(a.text_content().split()), path_of(a.get("href")))
            for a in month.xpath(".//li/a")
        ]
        groups.append((label, entries))
    return int(heading), groups


def shown_timeline(page: lxml.html.HtmlElement) -> list[tuple[int, list[Group]]]:
    return [shown_year(s) for s in page.xpath("//main//section[@class='timeline-year']")]


def comparable(timeline: list[tuple[int, list[Group]]]) -> list[tuple[int, list[Group]]]:
    """The year-only group's label is the theme's to choose; it must name the year."""
    result = []
    for year, groups in timeline:
        kept: list[Group] = []
        for label, entries in groups:
            is_month = label is not None and any(
                label == month_label(year, m, lang) for m in range(1, 13) for lang in ("en", "ko")
            )
            if not is_month:
                assert label is None or str(year) in label, label
                label = None
            kept.append((label, entries))
        result.append((year, kept))
    return result


@pytest.mark.parametrize(("prefix", "lang"), [("", "en"), ("/ko", "ko")])
def test_timeline_groups_by_year_and_month_newest_first(site: Run, prefix: str, lang: str) -> None:
    page = site.page(f"{prefix}/timeline/")
    expected = expected_timeline(published(lang=lang), lang)
    assert comparable(shown_timeline(page)) == expected
    years = [path_of(h) for h in page.xpath("//main//nav[@class='year-nav']//a/@href")]
    assert years == [f"{prefix}/timeline/{year}/" for year, _ in expected]


@pytest.mark.parametrize(("prefix", "lang"), [("", "en"), ("/ko", "ko")])
def test_each_year_has_its_own_page(site: Run, prefix: str, lang: str) -> None:
    expected = expected_timeline(published(lang=lang), lang)
    for year, groups in expected:
        page = site.page(f"{prefix}/timeline/{year}/")
        assert comparable(shown_timeline(page)) == [(year, groups)]
        assert str(year) in texts(page, "//main//h1")[0]
        assert page.xpath("//html/@lang") == [lang]


def test_fixture_has_partial_dates_that_a_date_sort_would_misplace() -> None:
    reports = published()
    for month_only in [r for r in reports if r.event[1] and not r.event[2]]:
        same_month = [
            r for r in reports if r.event[:2] == month_only.event[:2] and r.event[2] is not None
        ]
        # Published after every day-known report of its month, yet shown after them.
        assert same_month and all(r.date < month_only.date for r in same_month)
    year_only = [r for r in reports if r.event[1] is None]
    assert year_only
    for report in year_only:
        assert any(r.event[0] == report.event[0] and r.date < report.date for r in reports)


def test_korean_timeline_names_months_in_korean(site: Run) -> None:
    labels = texts(site.page("/ko/timeline/"), "//main//section[@class='timeline-month']/h3")
    expected = {
        f"{r.event[0]}년 {r.event[1]}월" for r in published(lang="ko") if r.event[1] is not None
    }
    assert expected and expected <= set(labels)
    assert "2024년 3월" in labels


def test_event_date_orders_the_timeline_not_the_publication_date(tmp_path: Path) -> None:
    files = {
        "content/reports/late-news.md": report_text(
            title="Late news", date="2024-06-01", event_date="'2023-01'"
        ),
        "content/reports/year-news.md": report_text(
            title="Year news", date="2024-07-01", event_date="2023"
        ),
        "content/reports/day-news.md": report_text(
            title="Day news", date="2024-05-01", event_date="2023-01-20"
        ),
        "content/reports/early-day.md": report_text(
            title="Early day", date="2024-08-01", event_date="2023-01-02"
        ),
        "content/reports/fresh.md": report_text(title="Fresh", date="2024-02-10"),
    }
    run = build(make_site(tmp_path, files))
    assert shown_timeline(run.page("/timeline/"))[0] == (
        2024,
        [("February 2024", [("Fresh", "/reports/fresh/")])],
    )
    year, groups = comparable(shown_timeline(run.page("/timeline/")))[1]
    assert year == 2023
    assert groups == [
        (
            "January 2023",
            [
                ("Day news", "/reports/day-news/"),
                ("Early day", "/reports/early-day/"),
                ("Late news", "/reports/late-news/"),
            ],
        ),
        (None, [("Year news", "/reports/year-news/")]),
    ]
