"""Source outlets as a taxonomy of their own: /sources/, each outlet's pages and its feed."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.etree as etree

from tests.helpers import build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import messages

ATOM = {"a": "http://www.w3.org/2005/Atom"}
CONFIG = 'title = "Desk"\nbase_url = "https://example.org/"\nper_page = 2\nsearch = false\n'


def source(name: str, lang: str = "ko") -> str:
    return f"{{name: {name}, url: 'https://example.com/{len(name)}', lang: {lang}}}"


def report(title: str, date: str, outlet: str | None = None, lang: str = "ko") -> str:
    """A report, with its source outlet where one is given."""
    if outlet is None:
        return report_text(title=title, date=date)
    return report_text(title=title, date=date, source=source(outlet, lang))


REPORTS: dict[str, str | bytes] = {
    "content/reports/a.md": report("Rice up", "2024-01-01", "Daily NK"),
    "content/reports/b.md": report("Rail late", "2024-02-01", "daily  nk"),
    "content/reports/c.md": report("Fuel down", "2024-03-01", "Daily NK"),
    "content/reports/d.md": report("Bus line", "2024-04-01", "Other Paper", "en"),
    "content/reports/e.md": report("No source", "2024-05-01"),
    "content/reports/a.ko.md": report("쌀값 상승", "2024-01-02", "Daily NK"),
}
VOCABULARY = """\
[sources.daily-nk]
name = "Daily NK"
names = { ko = "데일리NK" }
homepage = "https://www.dailynk.example/english/"
lang = "ko"
description = "An outlet with sources inside the country."

[sources.other-paper]
name = "Other Paper"
"""


def index(run_page: etree._Element) -> dict[str, tuple[str, int]]:
    """Name -> (link, count) of each entry of a taxonomy index."""
    found = {}
    for item in run_page.xpath("//main//ul[@class='term-index']/li"):
        (link,) = item.xpath("./a")
        (count,) = texts(item, "./*[@class='count']")
        number = re.search(r"\d+", count)
        assert number is not None
        found[link.text_content().strip()] = (link.get("href"), int(number[0]))
    return found


def test_each_outlet_has_a_page_a_feed_and_an_entry_in_the_index(tmp_path: Path) -> None:
    run = build(make_site(tmp_path / "site", dict(REPORTS), CONFIG))
    # Spellings of one outlet's name fold together; a report without a source is on none.
    assert index(run.page("/sources/")) == {
        "Daily NK": ("/sources/daily-nk/", 3),
        "Other Paper": ("/sources/other-paper/", 1),
    }
    first, second = run.page("/sources/daily-nk/"), run.page("/sources/daily-nk/page/2/")
    titles = texts(first, "//main//h2/a") + texts(second, "//main//h2/a")
    assert titles == ["Fuel down", "Rail late", "Rice up"]
    (h1,) = texts(first, "//h1")
    assert h1 == "Daily NK"  # the spelling most reports use
    feed = etree.parse(str(run.site / "output/sources/daily-nk/feed.xml")).getroot()
    entries = feed.findall("a:entry", ATOM)
    assert [e.findtext("a:title", namespaces=ATOM) for e in entries] == titles
    assert [e.find("a:link[@rel='alternate']", ATOM).get("href") for e in entries] == [
        "https://example.org/reports/c/",
        "https://example.org/reports/b/",
        "https://example.org/reports/a/",
    ]
    assert feed.find("a:link[@rel='alternate']", ATOM).get("href") == (
        "https://example.org/sources/daily-nk/"
    )
    # Each language has its own outlet pages; the report links its outlet's page.
    assert index(run.page("/ko/sources/")) == {"Daily NK": ("/ko/sources/daily-nk/", 1)}
    links = run.page("/reports/a/").xpath("//aside[contains(@class, 'related')]//a/@href")
    assert "/sources/daily-nk/" in links
    assert run.page("/reports/e/").xpath("//p[@class='more-from']") == []


def test_the_vocabulary_describes_an_outlet_in_each_language(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {**REPORTS, "data/terms.toml": VOCABULARY}
    run = build(make_site(tmp_path / "site", files, CONFIG))
    page = run.page("/sources/daily-nk/")
    assert texts(page, "//h1") == ["Daily NK"]
    assert texts(page, "//main/p[@class='lede']") == ["An outlet with sources inside the country."]
    (home,) = page.xpath("//p[@class='outlet-home']/a")
    assert (home.get("href"), home.get("hreflang")) == (
        "https://www.dailynk.example/english/",
        "ko",
    )
    assert "Korean" in texts(page, "//p[@class='outlet-home']")[0]
    assert texts(run.page("/ko/sources/daily-nk/"), "//h1") == ["데일리NK"]
    assert "Unknown" not in run.output


def test_an_unknown_outlet_is_a_warning_once_the_vocabulary_lists_outlets(tmp_path: Path) -> None:
    vocabulary = VOCABULARY.split("[sources.other-paper]")[0]
    files: dict[str, str | bytes] = {**REPORTS, "data/terms.toml": vocabulary}
    run = run_sitegen(make_site(tmp_path / "site", files, CONFIG), "build")
    assert run.exit_code == 0, run.output
    (found,) = messages(run, "content/reports/d.md", 1, "warning") or [""]
    assert "sources term 'Other Paper' is not in data/terms.toml" in found, run.output


def test_sources_is_not_a_taxonomy_a_site_may_configure(tmp_path: Path) -> None:
    config = CONFIG + 'taxonomies = ["tags", "sources"]\n'
    run = run_sitegen(make_site(tmp_path / "site", dict(REPORTS), config), "build")
    assert run.exit_code == 1
    assert messages(run, "sitegen.toml", CONFIG.count("\n") + 1), run.output
