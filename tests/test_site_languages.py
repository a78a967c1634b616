"""The site in each language: `[languages.<code>]` tables give its title and description there."""

from __future__ import annotations

from pathlib import Path

import lxml.etree as etree
import lxml.html

from tests.helpers import build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import messages

ATOM = {"a": "http://www.w3.org/2005/Atom"}
KOREAN_TITLE = "국경 데스크"
KOREAN_DESCRIPTION = "북부 국경 지대의 소식을 짧게 전합니다."
CONFIG = f"""\
title = "Border Desk"
description = "Short reports from the northern border."
base_url = "https://example.org/"
search = false

[languages.en]

[languages.ko]
title = "{KOREAN_TITLE}"
description = "{KOREAN_DESCRIPTION}"
"""
REPORTS: dict[str, str | bytes] = {
    "content/reports/a.md": report_text(title="Ferry resumes", date="2024-03-18"),
    "content/reports/a.ko.md": report_text(title="여객선 운항 재개", date="2024-03-18"),
}


def site_texts(page: lxml.html.HtmlElement) -> dict[str, list[str]]:
    """What a page says of the site: its description and name in metadata, and its header."""
    return {
        "description": page.xpath("//meta[@name='description']/@content"),
        "og:description": page.xpath("//meta[@property='og:description']/@content"),
        "og:site_name": page.xpath("//meta[@property='og:site_name']/@content"),
        "header": texts(page, "//header[@class='site-header']//a[@class='site-title']"),
    }


def test_each_language_s_pages_and_feed_carry_its_own_title_and_description(
    tmp_path: Path,
) -> None:
    run = build(make_site(tmp_path / "site", dict(REPORTS), CONFIG))
    assert site_texts(run.page("/ko/")) == {
        "description": [KOREAN_DESCRIPTION],
        "og:description": [KOREAN_DESCRIPTION],
        "og:site_name": [KOREAN_TITLE],
        "header": [KOREAN_TITLE],
    }
    assert site_texts(run.page("/")) == {
        "description": ["Short reports from the northern border."],
        "og:description": ["Short reports from the northern border."],
        "og:site_name": ["Border Desk"],
        "header": ["Border Desk"],
    }
    report = run.page("/ko/reports/a/")
    assert report.xpath("//meta[@property='og:site_name']/@content") == [KOREAN_TITLE]
    feed = etree.parse(str(run.site / "output/ko/feed.xml")).getroot()
    assert feed.findtext("a:title", namespaces=ATOM) == KOREAN_TITLE
    assert feed.findtext("a:subtitle", namespaces=ATOM) == KOREAN_DESCRIPTION
    english = etree.parse(str(run.site / "output/feed.xml")).getroot()
    assert english.findtext("a:title", namespaces=ATOM) == "Border Desk"


def test_the_list_of_codes_is_still_accepted(tmp_path: Path) -> None:
    config = 'title = "Border Desk"\nsearch = false\nlanguages = ["en", "ko"]\n'
    run = build(make_site(tmp_path / "site", dict(REPORTS), config))
    assert site_texts(run.page("/ko/"))["og:site_name"] == ["Border Desk"]
    feed = etree.parse(str(run.site / "output/ko/feed.xml")).getroot()
    assert feed.findtext("a:title", namespaces=ATOM) == "Border Desk · 한국어"


def test_a_mistake_in_a_language_table_names_its_line(tmp_path: Path) -> None:
    config = CONFIG.replace(f'title = "{KOREAN_TITLE}"', f'titel = "{KOREAN_TITLE}"')
    config += '\n[languages.xx-nowhere]\ntitle = "?"\n'
    run = run_sitegen(make_site(tmp_path / "site", dict(REPORTS), config), "build")
    assert run.exit_code == 1
    lines = config.splitlines()
    korean = lines.index("[languages.ko]") + 1
    unknown = lines.index("[languages.xx-nowhere]") + 1
    assert any("'languages.ko.titel'" in m for m in messages(run, "sitegen.toml", korean))
    assert any("'xx-nowhere'" in m for m in messages(run, "sitegen.toml", unknown)), run.output
