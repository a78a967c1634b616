"""Tags and places: one page and one index entry per term, whatever its spelling or file order."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import lxml.html
import pytest
import yaml

from tests.helpers import Run, build, make_site, report_text, texts
from tests.test_pages import (
    PER_PAGE,
    FixtureReport,
    expected_list,
    fold,
    listed,
    paged,
    path_of,
    published,
    shared_digest,
)

EDITIONS = [("", "en"), ("/ko", "ko")]
TAXONOMIES = ["tags", "places"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_digest(tmp_path_factory)


def expected_terms(taxonomy: str, lang: str) -> dict[str, list[FixtureReport]]:
    """Folded term -> the published reports of one language that carry it, newest first."""
    terms: dict[str, list[FixtureReport]] = defaultdict(list)
    for report in published(lang=lang):
        for folded in dict.fromkeys(fold(t) for t in report.terms(taxonomy)):
            terms[folded].append(report)
    return terms


def index_entries(page: lxml.html.HtmlElement) -> list[tuple[str, str, int]]:
    """(name, link, count) of each entry of a taxonomy's index page."""
    entries = []
    for item in page.xpath("//main//ul[@class='term-index']/li"):
        (link,) = item.xpath("./a")
        (count,) = texts(item, "./*[@class='count']")
        number = re.fullmatch(r"\(?(\d+)\)?", count)
        assert number, f"no count in {count!r}"
        entries.append((link.text_content().strip(), path_of(link.get("href")), int(number[1])))
    return entries


@pytest.mark.parametrize(("prefix", "lang"), EDITIONS)
@pytest.mark.parametrize("taxonomy", TAXONOMIES)
def test_index_has_one_entry_per_term_with_its_count(
    site: Run, taxonomy: str, prefix: str, lang: str
) -> None:
    entries = index_entries(site.page(f"{prefix}/{taxonomy}/"))
    expected = expected_terms(taxonomy, lang)
    folded = [fold(name) for name, _, _ in entries]
    assert sorted(folded) == sorted(expected)
    assert len({link for _, link, _ in entries}) == len(entries)
    for name, link, count in entries:
        assert count == len(expected[fold(name)]), name
        assert link.startswith(f"{prefix}/{taxonomy}/"), link


@pytest.mark.parametrize(("prefix", "lang"), EDITIONS)
@pytest.mark.parametrize("taxonomy", TAXONOMIES)
def test_each_term_page_lists_its_reports_newest_first_in_pages(
    site: Run, taxonomy: str, prefix: str, lang: str
) -> None:
    expected = expected_terms(taxonomy, lang)
    for name, link, count in index_entries(site.page(f"{prefix}/{taxonomy}/")):
        pages = paged(site, link)
        assert listed(pages) == expected_list(expected[fold(name)]), link
        assert len(pages) == math.ceil(count / PER_PAGE), link
        for page in pages:
            assert texts(page, "//main//h1") == [name]
            assert page.xpath("//html/@lang") == [lang]
        if len(pages) > 1:
            # The second page is at <term>/page/2/, as SPEC.md's table says.
            assert listed([site.page(f"{link}page/2/")]) == listed([pages[1]])


def test_spellings_of_one_tag_share_one_paginated_page(site: Run) -> None:
    reports = expected_terms("tags", "en")["mobile phones"]
    spellings = {t for r in reports for t in r.terms("tags") if fold(t) == "mobile phones"}
    assert len(spellings) >= 3, "the fixture should spell the tag several ways"
    entries = [e for e in index_entries(site.page("/tags/")) if fold(e[0]) == "mobile phones"]
    assert [(link, count) for _, link, count in entries] == [("/tags/mobile-phones/", len(reports))]
    assert len(reports) > PER_PAGE
    assert listed(paged(site, "/tags/mobile-phones/")) == expected_list(reports)
    assert site.page("/tags/mobile-phones/page/2/").xpath("//main//article")
    # Every report, however it spells the tag, links the one page.
    for report in reports:
        page = site.page(report.url)
        links = page.xpath("//div[contains(@class, 'terms-tags')]//a/@href")
        assert "/tags/mobile-phones/" in [path_of(h) for h in links], report.url


def test_composed_and_decomposed_accents_are_one_tag(site: Run) -> None:
    spellings = {t for r in published() for t in r.terms("tags") if fold(t) == fold("Caf\u00e9")}
    assert {unicodedata.is_normalized("NFC", t) for t in spellings} == {True, False}
    reports = expected_terms("tags", "en")[fold("Caf\u00e9")]
    entries = [e for e in index_entries(site.page("/tags/")) if fold(e[0]) == fold("Café")]
    assert [(link, count) for _, link, count in entries] == [("/tags/cafe/", len(reports))]
    assert listed(paged(site, "/tags/cafe/")) == expected_list(reports)


def test_fixture_spells_hangul_and_accents_in_both_unicode_forms() -> None:
    for term, taxonomy in (("서울", "places"), ("café", "tags")):
        spellings = {t for r in published() for t in r.terms(taxonomy) if fold(t) == term}
        assert {unicodedata.is_normalized("NFC", t) for t in spellings} == {True, False}


@pytest.mark.parametrize(("prefix", "lang"), EDITIONS)
@pytest.mark.parametrize("taxonomy", TAXONOMIES)
def test_term_names_are_shown_composed(site: Run, taxonomy: str, prefix: str, lang: str) -> None:
    """However the files spell a term, readers see it in NFC, the form of text on the web
    (W3C Character Model): a decomposed 서울 is a row of loose jamo to find-in-page,
    copy and paste, and many fonts."""
    for name, link, _ in index_entries(site.page(f"{prefix}/{taxonomy}/")):
        assert unicodedata.is_normalized("NFC", name), (name, [hex(ord(c)) for c in name])
        assert texts(site.page(link), "//main//h1") == [name]


def test_term_slugs_are_lower_case_and_ascii_for_latin_terms(site: Run) -> None:
    checked = 0
    for prefix, _ in EDITIONS:
        for taxonomy in TAXONOMIES:
            for name, link, _ in index_entries(site.page(f"{prefix}/{taxonomy}/")):
                slug = link.removeprefix(f"{prefix}/{taxonomy}/").removesuffix("/")
                assert slug == slug.lower()
                letters = unicodedata.normalize("NFC", name)
                if all(c.isascii() or "LATIN" in unicodedata.name(c) for c in letters):
                    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), (name, slug)
                else:
                    # Other scripts keep their letters.
                    assert slug == letters, (name, slug)
                checked += 1
    assert checked > 0


def test_hangul_place_keeps_its_letters(site: Run) -> None:
    for prefix, lang in EDITIONS:
        reports = expected_terms("places", lang)["서울"]
        assert reports, f"the fixture should have 서울 in {lang}"
        entries = [
            (link, count)
            for name, link, count in index_entries(site.page(f"{prefix}/places/"))
            if fold(name) == "서울"
        ]
        assert entries == [(f"{prefix}/places/서울/", len(reports))]
        assert listed(paged(site, f"{prefix}/places/서울/")) == expected_list(reports)


# --- the same terms, whatever the files are called and the order they are written in -----

SPELLED = [
    ("phones-one", "2024-01-05", "[Mobile Phones, Markets]"),
    ("phones-two", "2024-02-05", "[mobile  phones]"),
    ("phones-three", "2024-03-05", "['MOBILE PHONES', 'mobile phones', 'Caf\u00e9']"),
    ("phones-four", "2024-04-05", '["Mobile\\tphones", "Cafe\\u0301", markets]'),
]


def spelled_site(root: Path, names: list[str], *, backwards: bool) -> Run:
    """The SPELLED reports under the given file names, written first to last or backwards."""
    files = {
        f"content/reports/{name}.md": report_text(
            title=f"Report {slug}", date=date, slug=slug, tags=tags
        )
        for name, (slug, date, tags) in zip(names, SPELLED, strict=True)
    }
    if backwards:
        files = dict(reversed(files.items()))
    return build(make_site(root, files, config="per_page = 2\n"))


def term_view(run: Run) -> list[tuple[str, str, int, list[tuple[str, str]]]]:
    return [
        (name, link, count, listed(paged(run, link)))
        for name, link, count in index_entries(run.page("/tags/"))
    ]


def test_terms_do_not_depend_on_file_names_or_order(tmp_path: Path) -> None:
    first = spelled_site(tmp_path / "a", ["a1", "a2", "a3", "a4"], backwards=False)
    second = spelled_site(tmp_path / "b", ["z4", "y3", "x2", "w1"], backwards=True)
    view = term_view(first)
    assert term_view(second) == view
    counts = {fold(name): count for name, _, count, _ in view}
    expected: dict[str, int] = defaultdict(int)
    for _, _, tags in SPELLED:
        for folded in {fold(t) for t in yaml.safe_load(tags)}:
            expected[folded] += 1
    assert counts == dict(expected)
    # A report that gives one tag twice is counted, listed and linked once.
    page = first.page("/reports/phones-three/")
    links = [path_of(h) for h in page.xpath("//div[contains(@class, 'terms-tags')]//a/@href")]
    assert len(links) == len(set(links)) == 2
