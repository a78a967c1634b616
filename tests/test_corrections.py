"""Corrections: the notice on the report, its JSON-LD, the dates they move, /corrections/."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.etree as etree
import pytest

from tests.helpers import build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import line_of, messages

ATOM = {"a": "http://www.w3.org/2005/Atom"}
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
CONFIG = (
    'title = "Desk"\nbase_url = "https://example.org/"\ntimezone = "Asia/Seoul"\nsearch = false\n'
)
A = "content/reports/a.md"
CORRECTED = report_text(
    title="Ferry resumes",
    date="2024-03-18",
    updated="2024-03-19",
    tags="[ferries]",
    corrections=(
        "\n  - date: 2024-03-20\n    text: An earlier version named the wrong *port*."
        "\n  - date: 2024-03-25\n    text: 'The ferry sails twice a week, not daily. <b>x</b>'"
    ),
)
TRANSLATION = report_text(title="여객선 운항 재개", date="2024-03-18", updated="2024-03-21")
OTHER = report_text(
    title="Market hours cut",
    date="2024-03-01",
    corrections="[{date: 2024-03-22, text: 'Hours are cut by two a day, not three.'}]",
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    files: dict[str, str | bytes] = {
        A: CORRECTED,
        "content/reports/a.ko.md": TRANSLATION,
        "content/reports/b.md": OTHER,
        "content/reports/c.md": report_text(title="Uncorrected", date="2024-03-30"),
    }
    return build(make_site(tmp_path_factory.mktemp("corrections") / "site", files, CONFIG))


def test_the_notice_at_the_top_of_the_report_lists_each_correction(run) -> None:  # type: ignore[no-untyped-def]
    page = run.page("/reports/a/")
    (notice,) = page.xpath("//article//*[contains(@class, 'corrections-notice')]")
    assert notice.getparent().xpath("./*[1]")[0].tag == "header"  # right under the headline
    assert notice.xpath(".//time/@datetime") == ["2024-03-25", "2024-03-20"]  # newest first
    paragraphs = texts(notice, "./p[@class='correction']")
    assert paragraphs[1] == ("Correction March 20, 2024: An earlier version named the wrong port.")
    assert notice.xpath("./p[@class='correction'][2]/em/text()") == ["port"]  # inline Markdown
    assert notice.xpath(".//b") == [] and "<b>x</b>" in paragraphs[0]  # raw HTML is text
    assert notice.xpath(".//a/@href") == ["/corrections/"]  # the log of every correction
    assert not run.page("/reports/c/").xpath("//*[contains(@class, 'corrections-notice')]")


def test_json_ld_lists_corrections_and_the_latest_one_is_the_modification(run) -> None:  # type: ignore[no-untyped-def]
    page = run.page("/reports/a/")
    (script,) = page.xpath("//script[@type='application/ld+json']/text()")
    article = json.loads(script)
    assert article["correction"] == [
        {
            "@type": "CorrectionComment",
            "datePublished": "2024-03-25",
            "text": "The ferry sails twice a week, not daily. <b>x</b>",
        },
        {
            "@type": "CorrectionComment",
            "datePublished": "2024-03-20",
            "text": "An earlier version named the wrong port.",
        },
    ]
    assert article["dateModified"] == "2024-03-25T00:00:00+09:00"
    (modified,) = page.xpath("//meta[@property='article:modified_time']/@content")
    assert modified == "2024-03-25T00:00:00+09:00"


def test_a_correction_updates_the_feed_entry_and_the_sitemap(run) -> None:  # type: ignore[no-untyped-def]
    feed = etree.parse(str(run.site / "output/feed.xml")).getroot()
    updated = {
        entry.findtext("a:title", namespaces=ATOM): entry.findtext("a:updated", namespaces=ATOM)
        for entry in feed.findall("a:entry", ATOM)
    }
    assert updated["Ferry resumes"] == "2024-03-25T00:00:00+09:00"
    assert updated["Uncorrected"] == "2024-03-30T00:00:00+09:00"
    sitemap = etree.parse(str(run.site / "output/sitemap.xml")).getroot()
    lastmod = {
        url.findtext("s:loc", namespaces=SITEMAP): url.findtext("s:lastmod", namespaces=SITEMAP)
        for url in sitemap.findall("s:url", SITEMAP)
    }
    assert lastmod["https://example.org/reports/a/"] == "2024-03-25T00:00:00+09:00"
    assert lastmod["https://example.org/corrections/"] == "2024-03-25T00:00:00+09:00"


def test_a_translation_older_than_the_latest_correction_is_stale(run) -> None:  # type: ignore[no-untyped-def]
    # Updated on the 21st: after the original's `updated`, before its correction of the 25th.
    page = run.page("/ko/reports/a/")
    assert page.xpath("//article/@data-stale") == ["true"]
    assert "translation may be stale" in run.output


def test_the_corrections_page_lists_every_correction_newest_first(run) -> None:  # type: ignore[no-untyped-def]
    page = run.page("/corrections/")
    items = page.xpath("//ol[@class='corrections-list']/li")
    assert [item.xpath(".//time/@datetime")[0] for item in items] == [
        "2024-03-25",
        "2024-03-22",
        "2024-03-20",
    ]
    assert [item.xpath(".//a/@href")[0] for item in items] == [
        "/reports/a/",
        "/reports/b/",
        "/reports/a/",
    ]
    assert texts(items[1], ".//*[@class='correction-text']") == [
        "Hours are cut by two a day, not three."
    ]
    # Each language has its page; the Korean reports have no corrections.
    korean = run.page("/ko/corrections/")
    assert korean.xpath("//ol[@class='corrections-list']") == []
    assert korean.xpath("/html/@lang") == ["ko"]


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("{date: 2024-03-17, text: Too early.}", "before the report's own date (2024-03-18)"),
        ("{date: 2024-03-20}", "a correction needs its text"),
        ("{text: No date.}", "a correction needs its date"),
        ("{date: 2024-03-20, text: Fine, tag: x}", "unknown field 'tag' in a correction"),
    ],
)
def test_a_wrong_correction_is_an_error_at_its_line(
    tmp_path: Path, item: str, problem: str
) -> None:
    corrections = f"\n  - date: 2024-03-19\n    text: Fine.\n  - {item}"
    text = report_text(title="T", date="2024-03-18T10:00:00", corrections=corrections)
    run = run_sitegen(make_site(tmp_path / "site", {A: text}, CONFIG), "build")
    assert run.exit_code == 1
    found = messages(run, A, line_of(text, item))
    assert any(problem in message for message in found), run.output


def test_a_correction_on_the_report_s_own_day_is_allowed(tmp_path: Path) -> None:
    # Late in the evening in Seoul: the same day there, though the day before in UTC.
    text = report_text(
        title="T",
        date="2024-03-18T23:00:00+09:00",
        corrections="[{date: 2024-03-18, text: Same day.}]",
    )
    run = build(make_site(tmp_path / "site", {A: text}, CONFIG))
    assert run.page("/reports/a/").xpath(
        "//*[contains(@class, 'corrections-notice')]//time/@datetime"
    ) == ["2024-03-18"]
    # The report's own time is later than the correction's day begins: it stays the latest.
    (script,) = run.page("/reports/a/").xpath("//script[@type='application/ld+json']/text()")
    assert json.loads(script)["dateModified"] == "2024-03-18T23:00:00+09:00"
