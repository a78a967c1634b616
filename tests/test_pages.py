"""Every page kind of SPEC.md's table, checked in the parsed HTML of the digest fixture.

This module also holds the helpers the other digest tests import: the fixture's reports
read straight from their front matter (so expectations come from the input, not from
sitegen), a build of a copy of the fixture with a fixed "now", and page walking.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
import yaml

from tests.helpers import Run, build, texts

DIGEST = Path(__file__).parent / "sites" / "digest"
CONFIG = tomllib.loads((DIGEST / "sitegen.toml").read_text(encoding="utf-8"))
BASE_URL: str = CONFIG["base_url"]
PER_PAGE: int = CONFIG["per_page"]
DEFAULT_LANG: str = CONFIG["language"]
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""The "now" of every fixture build (through SOURCE_DATE_EPOCH), so the suite never ages."""
LANGUAGE_NAMES = {"en": "English", "ko": "한국어", "ja": "日本語", "zh": "中文"}
"""Each language's name in that language, as readers expect to see it."""
KNOWN_LANGS = {"ko", "en", "ja", "zh"}


def fold(term: str) -> str:
    """How readers see two spellings as one term: Unicode form, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFKC", term).casefold().split())


def _partial(value: Any, date: dt.date) -> tuple[int, int | None, int | None]:
    if value is None:
        return (date.year, date.month, date.day)
    if isinstance(value, dt.date):
        return (value.year, value.month, value.day)
    parts = [int(p) for p in str(value).split("-")]
    return (parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)


@dataclass(frozen=True)
class FixtureReport:
    """One report file of the fixture, as its front matter states it."""

    file: Path
    data: dict[str, Any] = field(repr=False)
    lang: str
    url: str
    translation_key: str

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def date(self) -> dt.datetime:
        value = self.data["date"]
        # The fixture's timezone is UTC and its dates have no time.
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)

    @property
    def last_changed(self) -> dt.datetime:
        value = self.data.get("updated")
        if value is None:
            return self.date
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)

    @property
    def event(self) -> tuple[int, int | None, int | None]:
        return _partial(self.data.get("event_date"), self.data["date"])

    @property
    def draft(self) -> bool:
        return bool(self.data.get("draft", False))

    def terms(self, taxonomy: str) -> tuple[str, ...]:
        return tuple(self.data.get(taxonomy) or ())


def read_front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    _, matter, _ = text.split("---\n", 2)
    data = yaml.safe_load(matter)
    assert isinstance(data, dict)
    return data


def load_reports(site: Path) -> list[FixtureReport]:
    """Every report file of a site, with the language and URL its name and fields give it."""
    reports = []
    for path in sorted((site / "content").rglob("*.md")):
        data = read_front_matter(path)
        section = path.relative_to(site / "content").parts[0]
        stem, _, suffix = path.stem.rpartition(".")
        if not stem or suffix not in KNOWN_LANGS:
            stem, suffix = path.stem, ""
        lang = suffix or data.get("lang") or DEFAULT_LANG
        prefix = "" if lang == DEFAULT_LANG else f"/{lang}"
        url = f"{prefix}/{section}/{data.get('slug', stem)}/"
        key = data.get("translation_key", f"{section}/{stem}")
        reports.append(FixtureReport(path, data, lang, url, key))
    return reports


REPORTS = load_reports(DIGEST)


def published(
    reports: Iterable[FixtureReport] = REPORTS,
    *,
    lang: str | None = DEFAULT_LANG,
    drafts: bool = False,
    now: dt.datetime = NOW,
) -> list[FixtureReport]:
    """The reports a build shows, newest first (in one language, unless lang is None)."""
    chosen = [
        r
        for r in reports
        if (lang is None or r.lang == lang) and (drafts or not r.draft) and r.date <= now
    ]
    return sorted(chosen, key=lambda r: r.date, reverse=True)


def copy_digest(dest: Path) -> Path:
    site = dest / "digest"
    shutil.copytree(DIGEST, site)
    return site


def build_digest(dest: Path, *args: str, now: dt.datetime = NOW) -> Run:
    """Build a copy of the digest fixture, with SOURCE_DATE_EPOCH set to `now`."""
    site = copy_digest(dest)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(int(now.timestamp())))
        return build(site, *args)


_SHARED: dict[tuple[str, ...], Run] = {}


def shared_digest(factory: pytest.TempPathFactory, *args: str) -> Run:
    """One build of the digest per set of flags for the whole session. Tests only read it."""
    if args not in _SHARED:
        _SHARED[args] = build_digest(factory.mktemp("digest"), *args)
    return _SHARED[args]


def url_of(output: Path, file: Path) -> str:
    """The site path a built file is served at: `a/index.html` -> `/a/`."""
    relative = file.relative_to(output).as_posix()
    if relative == "index.html":
        return "/"
    if relative.endswith("/index.html"):
        return "/" + relative.removesuffix("index.html")
    return "/" + relative


def html_pages(output: Path) -> Iterator[tuple[str, lxml.html.HtmlElement]]:
    """Every HTML page of a built site, with its site path."""
    for file in sorted(output.rglob("*.html")):
        yield url_of(output, file), lxml.html.fromstring(file.read_bytes())


def path_of(href: str) -> str:
    """The decoded path of a link, without the host."""
    return unquote(urlsplit(href).path)


LINKED = "//a[@href] | //link[@href] | //img[@src] | //script[@src] | //*[@srcset]"
"""Elements that link a page or load an asset."""


def linked(page: lxml.html.HtmlElement) -> Iterator[tuple[lxml.html.HtmlElement, str]]:
    """Each element that links or loads something, with each address it gives
    (href, src, and every candidate of a srcset)."""
    for element in page.xpath(LINKED):
        for attribute in ("href", "src"):
            value = element.get(attribute)
            if value is not None:
                yield element, value
        for candidate in (element.get("srcset") or "").split(","):
            if candidate.strip():
                yield element, candidate.split()[0]


def paged(run: Run, url: str) -> list[lxml.html.HtmlElement]:
    """A paginated list's pages, from its first page along rel=next links."""
    pages = [run.page(url)]
    while True:
        following = pages[-1].xpath("//nav[@class='pagination']//a[@rel='next']/@href")
        if not following:
            return pages
        assert len(pages) <= 100, "pagination never ends"
        pages.append(run.page(path_of(following[0])))


def listed(pages: Iterable[lxml.html.HtmlElement]) -> list[tuple[str, str]]:
    """(title, link) of every report in a list, page after page."""
    return [
        (" ".join(a.text_content().split()), path_of(a.get("href")))
        for page in pages
        for a in page.xpath("//main//article[@class='report-item']//h2/a")
    ]


def expected_list(reports: Iterable[FixtureReport]) -> list[tuple[str, str]]:
    return [(r.title, r.url) for r in reports]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# --- the tests of this module ---------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_digest(tmp_path_factory)


def test_fixture_has_what_the_tests_rely_on() -> None:
    years = {r.date.year for r in published(lang=None)}
    assert len(years) >= 3
    assert len(published()) > 2 * PER_PAGE
    assert any(r.draft for r in REPORTS)
    assert any(r.date > NOW for r in REPORTS)
    assert {r.lang for r in published(lang=None)} == {"en", "ko"}


def test_home_lists_every_published_report_newest_first_in_pages(site: Run) -> None:
    pages = paged(site, "/")
    expected = published()
    assert listed(pages) == expected_list(expected)
    assert len(pages) == math.ceil(len(expected) / PER_PAGE)
    assert all(len(listed([page])) <= PER_PAGE for page in pages)
    for number, page in enumerate(pages, 1):
        assert page.xpath("//html/@lang") == [DEFAULT_LANG]
        previous = page.xpath("//nav[@class='pagination']//a[@rel='prev']/@href")
        following = page.xpath("//nav[@class='pagination']//a[@rel='next']/@href")
        assert previous == ([] if number == 1 else ["/" if number == 2 else f"/page/{number - 1}/"])
        assert following == ([] if number == len(pages) else [f"/page/{number + 1}/"])
    # Page 2 is where SPEC.md says it is.
    assert listed([site.page("/page/2/")]) == expected_list(expected[PER_PAGE : 2 * PER_PAGE])


def test_home_lists_summaries_and_dates(site: Run) -> None:
    expected = published()[:PER_PAGE]
    page = site.page("/")
    assert texts(page, "//main//article[@class='report-item']//p[@class='summary']") == [
        r.data["summary"] for r in expected
    ]
    datetimes = page.xpath("//main//article[@class='report-item']//time/@datetime")
    assert [dt.datetime.fromisoformat(d) for d in datetimes] == [r.date for r in expected]


@pytest.mark.parametrize("report", published(lang=None), ids=lambda r: r.url)
def test_report_page_shows_the_report(site: Run, report: FixtureReport) -> None:
    page = site.page(report.url)
    assert page.xpath("//html/@lang") == [report.lang]
    assert texts(page, "//main//article//h1") == [report.title]
    assert report.title in texts(page, "//title")[0]
    published_at = page.xpath("//article//p[@class='dateline']//time/@datetime")[0]
    assert dt.datetime.fromisoformat(published_at) == report.date
    authors = report.data.get("authors") or [report.data["author"]]
    assert texts(page, "//article//p[@class='byline']//*[@class='author']") == authors
    assert texts(page, "//article/header//p[@class='lede']") == [report.data["summary"]]
    assert page.xpath("//link[@rel='canonical']/@href") == [BASE_URL + report.url[1:]]
    for taxonomy in ("tags", "places"):
        shown = texts(page, f"//article//div[contains(@class, 'terms-{taxonomy}')]//li/a")
        assert sorted({fold(t) for t in shown}) == sorted({fold(t) for t in report.terms(taxonomy)})
    assert page.xpath("//article//div[@class='report-body']/p"), "the body is missing"


def test_report_image_beside_the_report_is_shown_with_its_size(site: Run) -> None:
    (report,) = [r for r in published() if r.data.get("image")]
    image = report.data["image"]
    page = site.page(report.url)
    (img,) = page.xpath("//article//figure[@class='report-image']//img")
    assert img.get("src") == report.url + image["src"]
    assert img.get("alt") == image["alt"]
    width, height = png_size(report.file.parent / image["src"])
    assert (img.get("width"), img.get("height")) == (str(width), str(height))
    assert texts(page, "//figure//figcaption/*[@class='caption']") == [image["caption"]]
    assert texts(page, "//figure//figcaption/*[@class='credit']") == [image["credit"]]
    copied = site.site / "output" / report.url.lstrip("/") / image["src"]
    assert copied.read_bytes() == (report.file.parent / image["src"]).read_bytes()


def test_report_body_keeps_headings_anchors_and_footnotes(site: Run) -> None:
    report = next(r for r in published() if "## " in r.file.read_text(encoding="utf-8"))
    page = site.page(report.url)
    body = report.file.read_text(encoding="utf-8").split("---\n", 2)[2]
    headings = [line[3:].strip() for line in body.splitlines() if line.startswith("## ")]
    assert texts(page, "//div[@class='report-body']//h2") == headings
    assert all(page.xpath("//div[@class='report-body']//h2/@id"))
    assert "[^1]:" in body, "the fixture should have a footnote"
    (ref,) = page.xpath("//div[@class='report-body']//sup//a/@href")
    assert page.xpath(f"//div[@class='report-body']//*[@id='{ref.removeprefix('#')}']")


def test_not_found_page(site: Run) -> None:
    page = site.page("/404.html")
    assert page.xpath("//html/@lang") == [DEFAULT_LANG]
    (title,) = texts(page, "//main//h1")
    assert title
    assert "/" in page.xpath("//main//a/@href")
    # Served at any address, so no link on it may be relative to where it stands.
    for link in page.xpath("//a/@href | //link/@href | //img/@src"):
        assert link.startswith(("/", "#", "https://")), link


def test_korean_home_lists_only_the_korean_reports(site: Run) -> None:
    pages = paged(site, "/ko/")
    assert listed(pages) == expected_list(published(lang="ko"))
    assert all(page.xpath("//html/@lang") == ["ko"] for page in pages)
    english = {title for title, _ in listed(paged(site, "/"))}
    assert english.isdisjoint(r.title for r in published(lang="ko"))


@pytest.mark.parametrize(
    "url",
    [
        "/ko/",
        "/ko/tags/",
        "/ko/places/",
        "/ko/timeline/",
        *sorted({f"/ko/timeline/{r.event[0]}/" for r in published(lang="ko")}),
    ],
)
def test_korean_language_has_each_page_kind_in_korean(site: Run, url: str) -> None:
    page = site.page(url)
    assert page.xpath("//html/@lang") == ["ko"]
    assert page.xpath("//link[@rel='canonical']/@href") == [BASE_URL + url[1:]]
    nav = page.xpath("//header//nav[not(@class='languages')]//a/@href")
    # The Korean pages lead to the Korean home, timeline, tags and places.
    assert {"/ko/", "/ko/timeline/", "/ko/tags/", "/ko/places/"} <= set(nav)


@pytest.mark.parametrize(("url", "other"), [("/", "/ko/"), ("/ko/", "/")])
def test_language_switch_names_each_language_in_itself(site: Run, url: str, other: str) -> None:
    page = site.page(url)
    links = page.xpath("//nav[@class='languages']//a")
    shown = {path_of(a.get("href")): (a.text_content().strip(), a.get("hreflang")) for a in links}
    assert shown == {"/": (LANGUAGE_NAMES["en"], "en"), "/ko/": (LANGUAGE_NAMES["ko"], "ko")}
    assert other in shown


def test_every_page_has_its_language_and_canonical_url(site: Run) -> None:
    output = site.site / "output"
    seen = 0
    for url, page in html_pages(output):
        lang = "ko" if url.startswith("/ko/") else DEFAULT_LANG
        assert page.xpath("//html/@lang") == [lang], url
        if url != "/404.html":  # served at any address: its own is not canonical
            assert page.xpath("//link[@rel='canonical']/@href") == [BASE_URL + url[1:]], url
        assert len(page.xpath("//main//h1")) == 1, url
        seen += 1
    assert seen > len(published(lang=None))


def test_every_page_kind_of_the_spec_is_built(site: Run) -> None:
    output = site.site / "output"
    built = {url for url, _ in html_pages(output)}
    years = {r.event[0] for r in published()}
    expected = {"/", "/page/2/", "/tags/", "/places/", "/timeline/", "/404.html"}
    expected |= {f"/timeline/{year}/" for year in years}
    expected |= {r.url for r in published(lang=None)}
    assert expected <= built
