"""Versions of a report: internal translations linked both ways, external ones, the source line,
and translations flagged as stale."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from babel import Locale

from tests.helpers import Run, build, make_site, report_text, texts
from tests.test_pages import (
    BASE_URL,
    DEFAULT_LANG,
    LANGUAGE_NAMES,
    FixtureReport,
    listed,
    path_of,
    published,
    shared_digest,
)


def translation_groups() -> list[list[FixtureReport]]:
    """Published reports that share a translation key, default language first."""
    groups: dict[str, list[FixtureReport]] = defaultdict(list)
    for report in published(lang=None):
        groups[report.translation_key].append(report)
    return [
        sorted(members, key=lambda r: (r.lang != DEFAULT_LANG, r.lang))
        for members in groups.values()
        if len(members) > 1
    ]


GROUPS = translation_groups()
WITH_SOURCE = [r for r in published(lang=None) if r.data.get("source")]
WITH_EXTERNAL = [r for r in published(lang=None) if r.data.get("translations")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_digest(tmp_path_factory)


def test_fixture_links_translations_by_file_name_and_by_front_matter() -> None:
    by_suffix = [g for g in GROUPS if any(r.file.stem.endswith(".ko") for r in g)]
    by_key = [g for g in GROUPS if all("translation_key" in r.data for r in g)]
    assert by_suffix and by_key
    assert all(len({r.file.stem for r in g}) == len(g) for g in by_key)
    assert WITH_SOURCE and WITH_EXTERNAL


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0].translation_key)
def test_versions_link_each_other_by_language_name(site: Run, group: list[FixtureReport]) -> None:
    for report in group:
        page = site.page(report.url)
        links = page.xpath("//article//nav[contains(@class, 'versions')]//a")
        shown = [
            (path_of(a.get("href")), a.text_content().strip(), a.get("hreflang"), a.get("lang"))
            for a in links
        ]
        assert shown == [
            (other.url, LANGUAGE_NAMES[other.lang], other.lang, other.lang)
            for other in group
            if other is not report
        ], report.url


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0].translation_key)
def test_versions_are_alternates_in_the_head(site: Run, group: list[FixtureReport]) -> None:
    expected = sorted((r.lang, BASE_URL + r.url[1:]) for r in group)
    for report in group:
        page = site.page(report.url)
        links = page.xpath("//head/link[@rel='alternate'][@hreflang != 'x-default']")
        assert sorted((a.get("hreflang"), a.get("href")) for a in links) == expected
        assert page.xpath("//html/@lang") == [report.lang]


@pytest.mark.parametrize("report", WITH_EXTERNAL, ids=lambda r: r.url)
def test_external_translations_are_linked_with_their_language(
    site: Run, report: FixtureReport
) -> None:
    page = site.page(report.url)
    links = page.xpath("//article//*[contains(@class, 'translations')]//a")
    shown = [
        (a.get("href"), a.get("hreflang"), a.get("lang"), a.text_content().strip()) for a in links
    ]
    assert shown == [
        (t["url"], t["lang"], t["lang"], t.get("name") or LANGUAGE_NAMES[t["lang"]])
        for t in report.data["translations"]
    ]


@pytest.mark.parametrize("report", WITH_SOURCE, ids=lambda r: r.url)
def test_source_line_links_the_outlet(site: Run, report: FixtureReport) -> None:
    source = report.data["source"]
    page = site.page(report.url)
    (line,) = page.xpath("//article//*[contains(@class, 'source-line')]")
    (link,) = line.xpath(f".//a[@href='{source['url']}']")
    assert link.text_content().strip() == source["name"]
    assert link.get("hreflang") == source.get("lang")
    if source.get("lang"):
        # The line names the original's language in the page's language (Babel's name).
        expected = Locale.parse(source["lang"]).get_display_name(Locale.parse(report.lang))
        assert expected is not None
        assert expected.lower() in " ".join(line.text_content().split()).lower()


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0].translation_key)
def test_translation_older_than_its_original_is_flagged(
    site: Run, group: list[FixtureReport]
) -> None:
    original, *translations = group
    assert not site.page(original.url).xpath("//article[@data-stale]")
    for translation in translations:
        stale = translation.last_changed < original.last_changed
        flagged = site.page(translation.url).xpath("//article[@data-stale='true']")
        assert bool(flagged) == stale, translation.url
        mentioned = translation.file.name in site.output
        assert mentioned == stale, site.output


def test_fixture_has_a_stale_and_a_fresh_translation() -> None:
    stale = [
        t for original, *rest in GROUPS for t in rest if t.last_changed < original.last_changed
    ]
    assert stale and len(stale) < sum(len(g) - 1 for g in GROUPS)


def test_stale_notice_links_the_original(site: Run) -> None:
    for original, *translations in GROUPS:
        for translation in translations:
            if translation.last_changed < original.last_changed:
                page = site.page(translation.url)
                links = page.xpath("//main//*[@role='note']//a")
                assert [(path_of(a.get("href")), a.get("hreflang")) for a in links] == [
                    (original.url, original.lang)
                ]


def test_staleness_follows_front_matter_not_file_times(tmp_path: Path) -> None:
    files = {
        "content/reports/note.md": report_text(
            title="Note", date="2024-01-01", updated="2024-02-01"
        ),
        "content/reports/note.ko.md": report_text(
            title="노트", date="2024-01-02", updated="2024-02-02"
        ),
    }
    site = make_site(tmp_path, files)
    # The original's file is written last, so its file time is the newer one.
    (site / "content/reports/note.md").touch()
    run = build(site)
    assert not run.page("/ko/reports/note/").xpath("//article[@data-stale]")


def test_dotted_name_that_is_no_language_is_just_a_name(tmp_path: Path) -> None:
    files = {
        "content/reports/plan.old.md": report_text(title="Old plan", date="2024-01-01"),
        "content/reports/plan.md": report_text(title="Plan", date="2024-01-02"),
    }
    run = build(make_site(tmp_path, files))
    shown = listed([run.page("/")])
    assert [title for title, _ in shown] == ["Plan", "Old plan"]
    for _, url in shown:
        page = run.page(url)
        assert page.xpath("//html/@lang") == [DEFAULT_LANG]
        assert not page.xpath("//article//nav[contains(@class, 'versions')]")
    assert not (tmp_path / "output" / "old").exists()
    assert texts(run.page("/"), "//nav[@class='languages']//a") == []


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0].translation_key)
def test_the_headers_language_links_go_to_the_pages_own_versions(
    site: Run, group: list[FixtureReport]
) -> None:
    """From an English report, the header's "한국어" opens its Korean version, and back."""
    for report in group:
        page = site.page(report.url)
        links = page.xpath("//header[@class='site-header']//nav[@class='languages']//a")
        targets = {a.get("hreflang"): path_of(a.get("href")) for a in links}
        for other in group:
            assert targets[other.lang] == other.url, report.url
