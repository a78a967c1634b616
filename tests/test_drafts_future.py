"""Drafts wait for --drafts, future reports for their date (or --future); "now" is the clock,
or SOURCE_DATE_EPOCH where it is set."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers import Run, build, make_site, report_text
from tests.test_pages import (
    DEFAULT_LANG,
    NOW,
    REPORTS,
    FixtureReport,
    copy_digest,
    expected_list,
    fold,
    html_pages,
    listed,
    paged,
    path_of,
    published,
    shared_digest,
)

DRAFTS = [r for r in REPORTS if r.draft]
FUTURE = [r for r in REPORTS if r.date > NOW]


def report_pages(run: Run) -> set[str]:
    """The site paths of the report pages a build wrote."""
    return {
        url
        for url, page in html_pages(run.site / "output")
        if page.xpath("//main/article[contains(concat(' ', @class, ' '), ' report ')]")
    }


def mentions(run: Run) -> tuple[set[str], set[str]]:
    """Every site path any page links, and every report title any list shows."""
    links: set[str] = set()
    titles: set[str] = set()
    for _, page in html_pages(run.site / "output"):
        links |= {path_of(href) for href in page.xpath("//a/@href")}
        titles |= {" ".join(a.text_content().split()) for a in page.xpath("//main//li/a | //h2/a")}
    return links, titles


def term_page(run: Run, report: FixtureReport, taxonomy: str, term: str) -> str:
    """The link of a term's page, found on the report's own page."""
    page = run.page(report.url)
    for link in page.xpath(f"//article//div[contains(@class, 'terms-{taxonomy}')]//a"):
        if fold(link.text_content()) == fold(term):
            return path_of(link.get("href"))
    raise AssertionError(f"{report.url} does not link its {taxonomy} term {term!r}")


def assert_everywhere(run: Run, report: FixtureReport) -> None:
    """The report has its page and is listed on home, its term pages and the timeline."""
    prefix = "" if report.lang == DEFAULT_LANG else f"/{report.lang}"
    entry = (report.title, report.url)
    assert entry in listed(paged(run, f"{prefix}/")), "home"
    for taxonomy in ("tags", "places"):
        for term in report.terms(taxonomy):
            assert entry in listed(paged(run, term_page(run, report, taxonomy, term))), term
    for timeline in (f"{prefix}/timeline/", f"{prefix}/timeline/{report.event[0]}/"):
        links = [path_of(h) for h in run.page(timeline).xpath("//main//li/a/@href")]
        assert report.url in links, timeline


def assert_nowhere(run: Run, report: FixtureReport, shown: list[FixtureReport]) -> None:
    """No page for the report, no link to it, and no page for terms only it has."""
    assert not (run.site / "output" / report.url.lstrip("/")).exists()
    links, titles = mentions(run)
    assert report.url not in links
    assert report.title not in titles
    for taxonomy in ("tags", "places"):
        others = {fold(t) for r in shown for t in r.terms(taxonomy)}
        alone = [t for t in report.terms(taxonomy) if fold(t) not in others]
        index = [fold(a.text_content()) for a in run.page(f"/{taxonomy}/").xpath("//main//li/a")]
        assert not {fold(t) for t in alone} & set(index), taxonomy


def test_fixture_has_a_draft_and_a_future_report_with_terms_of_their_own() -> None:
    assert DRAFTS and FUTURE
    shown_tags = {fold(t) for r in published(lang=None) for t in r.terms("tags")}
    for report in DRAFTS + FUTURE:
        tags = {fold(t) for t in report.terms("tags")}
        assert tags - shown_tags and tags & shown_tags


@pytest.fixture(scope="module")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_digest(tmp_path_factory)


@pytest.mark.parametrize("report", DRAFTS + FUTURE, ids=lambda r: r.url)
def test_drafts_and_future_reports_are_left_out_by_default(
    default_build: Run, report: FixtureReport
) -> None:
    assert_nowhere(default_build, report, published(lang=None))
    assert report_pages(default_build) == {r.url for r in published(lang=None)}


@pytest.mark.parametrize(
    ("flags", "drafts", "future"),
    [
        (("--drafts",), True, False),
        (("--future",), False, True),
        (("--drafts", "--future"), True, True),
    ],
    ids=["drafts", "future", "drafts-and-future"],
)
def test_flags_build_drafts_and_future_reports_everywhere(
    tmp_path_factory: pytest.TempPathFactory, flags: tuple[str, ...], drafts: bool, future: bool
) -> None:
    run = shared_digest(tmp_path_factory, *flags)
    now = dt.datetime.max.replace(tzinfo=dt.UTC) if future else NOW
    shown = published(lang=None, drafts=drafts, now=now)
    assert report_pages(run) == {r.url for r in shown}
    for report in DRAFTS + FUTURE:
        if report in shown:
            assert_everywhere(run, report)
        else:
            assert_nowhere(run, report, shown)
    assert listed(paged(run, "/")) == expected_list(published(drafts=drafts, now=now))


EPOCHS = [
    dt.datetime(2023, 5, 12, tzinfo=dt.UTC),
    dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    dt.datetime(3000, 1, 1, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("now", EPOCHS, ids=lambda now: now.date().isoformat())
def test_source_date_epoch_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, now: dt.datetime
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(now.timestamp())))
    run = build(copy_digest(tmp_path))
    shown = published(lang=None, now=now)
    assert report_pages(run) == {r.url for r in shown}
    assert listed(paged(run, "/")) == expected_list(published(now=now))
    for report in REPORTS:
        if report not in shown and not report.draft:
            assert_nowhere(run, report, shown)


def test_without_source_date_epoch_now_is_the_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    run = build(copy_digest(tmp_path))
    now = dt.datetime.now(dt.UTC)
    assert report_pages(run) == {r.url for r in published(lang=None, now=now)}
    assert all(r.url not in report_pages(run) for r in FUTURE)


def test_a_report_later_today_waits_for_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime(2024, 3, 18, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(now.timestamp())))
    dates = {
        "morning": "2024-03-18T09:00:00Z",
        "evening": "2024-03-18T15:00:00Z",
        "seoul-evening": "2024-03-18T20:00:00+09:00",
        "seoul-midnight": "2024-03-19T00:30:00+09:00",
    }
    files = {
        f"content/reports/{name}.md": report_text(title=name, date=date)
        for name, date in dates.items()
    }
    run = build(make_site(tmp_path, files))
    expected = {
        f"/reports/{name}/"
        for name, date in dates.items()
        if dt.datetime.fromisoformat(date) <= now
    }
    assert report_pages(run) == expected
    assert {url for _, url in listed(paged(run, "/"))} == expected
