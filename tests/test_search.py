"""Search: a /search/ page per language over a Pagefind index of every report, made in the
staging folder before the swap; off with `search = false`; a clear error without Pagefind."""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sitegen import search as search_module
from sitegen.output import read_manifest
from tests.conftest import Served, serve_site
from tests.helpers import books_of, build, make_site, report_text, run_sitegen, texts

REPORTS = {
    "content/reports/rice.md": report_text(
        "Traders stacked the sacks beside the quayside granary.\n",
        title="Rice prices climb",
        date="2024-03-01",
        summary="Rice costs more at the market.",
        tags="[markets, food]",
        places="[Hyesan]",
    ),
    "content/reports/fuel.md": report_text(
        "Diesel arrives by lorry from the port.\n",
        title="Fuel prices ease",
        date="2024-03-02",
        summary="Fuel costs less.",
        tags="[markets, transport]",
        places="[Rason]",
    ),
    "content/reports/rail.md": report_text(
        "Freight wagons wait at the junction.\n",
        title="Rail freight delays",
        date="2024-03-03",
        tags="[transport]",
        places="[Sinuiju]",
    ),
    "content/reports/rice.ko.md": report_text(
        "상인들이 부두 곡물창고 옆에 자루를 쌓았다.\n",
        title="쌀값 오름세",
        date="2024-03-01",
        tags="[markets]",
        places="[Hyesan]",
    ),
}


def read_entry(output: Path, shard: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (output / "pagefind" / shard / "pagefind-entry.json").read_text(encoding="utf-8")
    )
    return data


def page_counts(output: Path) -> dict[str, dict[str, int]]:
    """Each shard's pages by language, read from the shards' entry files."""
    return {
        entry.parent.relative_to(output / "pagefind").as_posix(): {
            lang: info["page_count"]
            for lang, info in json.loads(entry.read_text(encoding="utf-8"))["languages"].items()
        }
        for entry in sorted((output / "pagefind").glob("*/*/pagefind-entry.json"))
    }


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site", REPORTS, 'title = "Search Test"\n')


def test_search_page_in_every_language_with_nav_link(site: Path) -> None:
    run = build(site)
    for prefix, lang in (("", "en"), ("/ko", "ko")):
        page = run.page(f"{prefix}/search/")
        assert page.get("lang") == lang
        assert page.xpath("//div[@id='search']")
        assert page.xpath("//script[@src='/pagefind/pagefind-ui.js']")
        assert page.xpath("//link[@rel='stylesheet'][@href='/pagefind/pagefind-ui.css']")
        assert page.xpath("//noscript//p")
        home = run.page(f"{prefix}/")
        assert home.xpath(f"//nav//a[@href='{prefix}/search/']")
    assert texts(run.page("/search/"), "//nav//a[@aria-current='page']") == ["Search"]
    assert (site / "output" / "js" / "search.js").is_file()


def test_index_holds_every_report_by_language_and_is_recorded_as_made(site: Path) -> None:
    build(site)
    output = site / "output"
    assert page_counts(output) == {"en/2024": {"en": 3}, "ko/2024": {"ko": 1}}
    assert (output / "pagefind" / "pagefind-ui.js").is_file()
    made = read_manifest(books_of(site))
    assert made is not None
    assert "pagefind/pagefind-ui.js" in made
    assert "pagefind/en/2024/pagefind-entry.json" in made
    assert "pagefind/ko/2024/pagefind.js" in made
    assert not (output / "pagefind" / "en" / "2024" / "pagefind-ui.js").exists()
    build(site)  # the index of the last build is sitegen's own: no clash with it


def test_report_marks_what_is_indexed(site: Path) -> None:
    page = build(site).page("/reports/rice/")
    (article,) = page.xpath("//article[@data-pagefind-body]")
    assert article.get("data-pagefind-filter") == "Language:English"
    assert texts(article, ".//*[@data-pagefind-meta='title']") == ["Rice prices climb"]
    assert texts(article, ".//*[@data-pagefind-meta='summary']") == [
        "Rice costs more at the market."
    ]
    assert texts(article, ".//*[@data-pagefind-filter='Tags']") == ["markets", "food"]
    assert texts(article, ".//*[@data-pagefind-filter='Places']") == ["Hyesan"]
    assert not build(site).page("/search/").xpath("//*[@data-pagefind-body]")


def test_builds_are_byte_identical_search_index_included(site: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    build(site, "--output", str(first))
    build(site, "--output", str(second))
    assert any(p.startswith("pagefind/en/2024/filter/") for p in tree(first))
    assert tree(first) == tree(second)


def test_search_off(site: Path) -> None:
    build(site)
    assert (site / "output" / "pagefind").is_dir()
    (site / "sitegen.toml").write_text('title = "Search Test"\nsearch = false\n', "utf-8")
    run = build(site)
    assert not (site / "output" / "pagefind").exists()
    assert not (site / "output" / "search").exists()
    assert not run.page("/").xpath("//a[contains(@href, 'search')]")


def test_search_must_be_true_or_false(site: Path) -> None:
    (site / "sitegen.toml").write_text('search = "no"\n', "utf-8")
    run = run_sitegen(site, "build")
    assert run.exit_code == 1
    assert "sitegen.toml:1: error: 'search' must be true or false" in run.output


@pytest.fixture
def no_pagefind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    missing = tmp_path / "nowhere" / "pagefind"
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(missing))
    return missing


def test_missing_pagefind_is_one_clear_error(site: Path, no_pagefind: Path) -> None:
    run = run_sitegen(site, "build")
    assert run.exit_code == 1
    assert "Traceback" not in run.output
    errors = [line for line in run.output.splitlines() if "error" in line]
    assert len(errors) == 1, run.output
    assert "Pagefind binary was not found" in errors[0]
    assert "pip install 'pagefind[bin]'" in errors[0]
    assert "search = false" in errors[0]
    assert not (site / "output").exists()


def test_without_pagefind_a_site_with_search_off_builds(site: Path, no_pagefind: Path) -> None:
    (site / "sitegen.toml").write_text("search = false\n", "utf-8")
    build(site)
    assert run_sitegen(site, "check").exit_code == 0


def test_failing_pagefind_leaves_the_old_site(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(site)
    before = tree(site / "output")
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'index exploded' >&2\nexit 3\n", "utf-8")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(broken))
    (site / "content" / "reports" / "rail.md").unlink()
    run = run_sitegen(site, "build")
    assert run.exit_code == 1
    assert "Pagefind failed (exit 3): index exploded" in run.output
    assert "Traceback" not in run.output
    assert tree(site / "output") == before
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    build(site)
    assert read_entry(site / "output", "en/2024")["languages"]["en"]["page_count"] == 2


# In the browser: the index is searched as readers search it, under a sub-path.


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("search")
    site = make_site(base / "site", REPORTS, 'title = "Search Test"\n')
    yield from serve_site(site, base / "www", "digest/")


def search(page: Any, url: str, words: str) -> list[str]:
    page.goto(url)
    page.fill(".pagefind-ui__search-input", words)
    page.wait_for_selector(".pagefind-ui__result-link")
    return results(page)


def results(page: Any) -> list[str]:
    page.wait_for_load_state("networkidle")
    return sorted(
        str(link.get_attribute("href"))
        for link in page.query_selector_all(".pagefind-ui__result-link")
    )


def test_browser_finds_a_report_by_a_word_of_its_body(browser: Any, served: Served) -> None:
    page = browser.new_page()
    assert search(page, served.url + "search/", "granary") == ["/digest/reports/rice/"]
    assert search(page, served.url + "search/", "junction") == ["/digest/reports/rail/"]
    assert search(page, served.url + "ko/search/", "곡물창고") == ["/digest/ko/reports/rice/"]
    page.close()


def test_browser_filters_by_tag_and_place(browser: Any, served: Served) -> None:
    page = browser.new_page()
    both = ["/digest/reports/fuel/", "/digest/reports/rice/"]
    assert search(page, served.url + "search/", "prices") == both
    page.click("summary:has-text('Tags')")
    page.check("input[type=checkbox][id='Tags-food']")
    page.wait_for_function("document.querySelectorAll('.pagefind-ui__result-link').length == 1")
    assert results(page) == ["/digest/reports/rice/"]
    page.uncheck("input[type=checkbox][id='Tags-food']")
    page.click("summary:has-text('Places')")
    page.check("input[type=checkbox][id='Places-Rason']")
    page.wait_for_function(
        "[...document.querySelectorAll('.pagefind-ui__result-link')]"
        ".every(a => a.href.includes('fuel'))"
    )
    assert results(page) == ["/digest/reports/fuel/"]
    page.close()


def test_browser_lists_every_filter_when_the_first_search_beats_them(
    browser: Any, served: Served
) -> None:
    # One filter's file comes late, as on a slow line: a search made meanwhile must not
    # leave its filter out of the panel (Pagefind's UI keeps the first search's filters).
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = browser.new_page()
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/*.pf_filter", hold_the_first)
    page.goto(served.url + "search/")
    try:
        page.wait_for_selector(".pagefind-ui__search-input", timeout=2000)
        page.fill(".pagefind-ui__search-input", "prices")
        page.wait_for_selector(".pagefind-ui__result-link")
        searched = True
    except PlaywrightTimeout:  # the search box waits for the filters
        searched = False
    assert held
    held[0].continue_()
    if not searched:
        page.fill(".pagefind-ui__search-input", "prices")
        page.wait_for_selector(".pagefind-ui__result-link")
    page.wait_for_load_state("networkidle")
    names = [summary.inner_text() for summary in page.query_selector_all("summary")]
    assert sorted(names) == ["Language", "Places", "Tags"]
    page.close()


def report_in(lang: str, year: int, slug: str, month: int = 6) -> Any:
    return SimpleNamespace(
        lang=lang, date=dt.datetime(year, month, 1, tzinfo=dt.UTC), url=f"/{lang}/reports/{slug}/"
    )


def shard_sizes(reports: list[Any]) -> dict[str, int]:
    """How many pages each shard of these reports holds, by name."""
    return {name: len(pages) for name, pages in search_module.shards_of(reports).items()}


def shard_grown_alone(reports: list[Any], added: list[Any], shard: str) -> int:
    """With `added` among `reports`, every shard but `shard` holds the same pages as before;
    how many `shard` holds."""
    before = search_module.shards_of(reports)
    after = search_module.shards_of([*reports, *added])
    assert {k: v for k, v in after.items() if k != shard} == {
        k: v for k, v in before.items() if k != shard
    }
    return len(after[shard])


def test_shards_gather_a_language_s_years_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "SHARD_PAGES", 3)
    counts = {2019: 1, 2020: 1, 2021: 2, 2022: 4, 2023: 1}
    reports = [
        report_in("en", year, f"r{year}-{n}")
        for year, count in counts.items()
        for n in range(count)
    ]
    reports.append(report_in("ko", 2020, "k"))
    assert shard_sizes(reports) == {
        "en/2019-2021": 4,
        "en/2022": 4,
        "en/2023": 1,
        "ko/2020": 1,
    }
    # Reports added to the newest year change its shard only.
    added = [report_in("en", 2023, f"new{n}") for n in range(5)]
    assert shard_grown_alone(reports, added, "en/2023") == 6


def test_a_year_of_many_reports_is_a_shard_per_quarter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "SHARD_PAGES", 3)
    monkeypatch.setattr(search_module, "YEAR_PAGES", 4)
    months = {2021: [5], 2022: [1, 2, 5, 8, 9, 11], 2023: [3, 4]}
    reports = [
        report_in("en", year, f"r{year}-{month}-{n}", month)
        for year, each in months.items()
        for n, month in enumerate(each)
    ]
    sizes = shard_sizes(reports)
    assert sizes == {
        "en/2021": 1,
        "en/2022-q1": 2,
        "en/2022-q2": 1,
        "en/2022-q3": 2,
        "en/2022-q4": 1,
        "en/2023": 2,
    }
    site = SimpleNamespace(reports={r.url: r for r in reports})
    assert search_module.search_shards(site, "en") == sorted(sizes, reverse=True)
    # Reports added to a quarter change its shard only.
    added = [report_in("en", 2022, f"new{n}", 12) for n in range(3)]
    assert shard_grown_alone(reports, added, "en/2022-q4") == 4


# The index is made in shards (a language's reports of some years each), searched as one. After
# `sitegen build` redoes only the shards whose reports changed, the search page still finds
# exactly what the site holds.

SHARDED = REPORTS | {
    "content/reports/grain.md": report_text(
        "The granary stood empty. Granary keepers said the granary had been empty all spring.\n",
        title="Granary empty in spring",
        date="2023-04-10",
        tags="[food]",
        places="[Hyesan]",
    ),
    "content/reports/ferry.md": report_text(
        "The ferry to the island carried marmots.\n",
        title="Ferry resumes",
        date="2023-08-20",
        tags="[transport]",
        places="[Rason]",
    ),
}


@pytest.fixture
def sharded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Served]]:
    monkeypatch.setattr(search_module, "SHARD_PAGES", 1)  # a shard for each year
    site = make_site(tmp_path / "site", SHARDED, 'title = "Search Test"\n')
    for served in serve_site(site, tmp_path / "www", "digest/"):
        yield site, served


def fresh_search(browser: Any, url: str, words: str) -> list[str]:
    """The result links, in order, of a search made in a new browser context (no cache)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.fill(".pagefind-ui__search-input", words)
    page.wait_for_selector(".pagefind-ui__message")
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "!document.querySelector('.pagefind-ui__message').textContent.includes('Searching')"
    )
    found = [
        str(link.get_attribute("href"))
        for link in page.query_selector_all(".pagefind-ui__result-link")
    ]
    context.close()
    return found


def rebuild(site: Path, served: Served) -> None:
    build(site, "--base-url", served.url, "--output", str(served.output))


def test_results_from_two_shards_come_back_in_one_list_best_first(
    browser: Any, sharded: tuple[Path, Served]
) -> None:
    _, served = sharded
    assert page_counts(served.output) == {
        "en/2023": {"en": 2},
        "en/2024": {"en": 3},
        "ko/2024": {"ko": 1},
    }
    found = fresh_search(browser, served.url + "search/", "granary")
    # The report of 2023 says "granary" four times, the one of 2024 once.
    assert found == ["/digest/reports/grain/", "/digest/reports/rice/"]


def test_edits_reach_the_search_page_through_the_shards_they_change(
    browser: Any, sharded: tuple[Path, Served]
) -> None:
    site, served = sharded
    url = served.url + "search/"
    assert fresh_search(browser, url, "marmots") == ["/digest/reports/ferry/"]
    rail = site / "content/reports/rail.md"
    rail.write_text(rail.read_text("utf-8").replace("junction", "junction near Zanzibarite"))
    (site / "content/reports/ferry.md").unlink()
    fuel = site / "content/reports/fuel.md"
    fuel.write_text(fuel.read_text("utf-8").replace("date: 2024-03-02", "date: 2023-03-02"))
    rebuild(site, served)
    assert page_counts(served.output) == {
        "en/2023": {"en": 2},
        "en/2024": {"en": 2},
        "ko/2024": {"ko": 1},
    }
    assert fresh_search(browser, url, "zanzibarite") == ["/digest/reports/rail/"]
    assert fresh_search(browser, url, "marmots") == []
    assert fresh_search(browser, url, "diesel") == ["/digest/reports/fuel/"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(served.url + "reports/rail/")
    assert "Zanzibarite" in page.inner_text("article")
    context.close()
