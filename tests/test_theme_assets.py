"""The theme's files as pages link them: the stylesheet, the favicon and the icons under names
that carry a digest of their content (a site's own file of the same path replaces the
theme's), the site's social card for reports without a photo, and the visible parts of the
page that point at feeds, places and search."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from tests.conftest import ROOT
from tests.helpers import Run, build, make_site, parse_page, report_text

THEME_STATIC = ROOT / "themes" / "default" / "static"
BASE_URL = "https://example.org/desk/"
CONFIG = f"""\
title = "Assets"
base_url = "{BASE_URL}"
languages = ["en", "ko"]
search = false
"""


def site_files() -> dict[str, str | bytes]:
    return {
        "content/reports/market.md": report_text(
            "Prices rose.\n",
            title="Rice prices climb",
            date="2024-03-01",
            tags="[markets]",
            places="[Hyesan, Ryanggang]",
        ),
        "content/reports/market.ko.md": report_text(
            "가격이 올랐다.\n", title="쌀값 상승", date="2024-03-02", places="[혜산]"
        ),
        "content/reports/placeless.md": report_text(
            "Nowhere in particular.\n", title="A report of no place", date="2024-02-01"
        ),
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return build(make_site(tmp_path_factory.mktemp("assets") / "site", site_files(), CONFIG))


def output_of(run: Run) -> Path:
    return run.site / "output"


def linked_file(run: Run, page: lxml.html.HtmlElement, xpath: str) -> Path:
    """The one file under output/ that the page links through this attribute's XPath."""
    (href,) = page.xpath(xpath)
    path = href.removeprefix(BASE_URL).removeprefix("/desk/")
    assert path != href, href
    file = output_of(run) / path
    assert file.is_file(), href
    return file


def pages(run: Run) -> list[str]:
    output = output_of(run)
    return sorted(
        "/" + p.relative_to(output).as_posix().removesuffix("index.html")
        for p in output.rglob("*.html")
    )


STYLESHEET = "//head/link[@rel='stylesheet']/@href"
ICON = "//head/link[@rel='icon']/@href"


def test_every_page_links_the_stylesheet_under_a_name_with_its_digest(run: Run) -> None:
    theme_css = (THEME_STATIC / "css" / "site.css").read_bytes()
    linked = {linked_file(run, run.page(url), STYLESHEET) for url in pages(run)}
    assert len(linked) == 1
    (file,) = linked
    assert file.read_bytes() == theme_css
    stem, digest, suffix = file.name.split(".")
    assert (stem, suffix) == ("site", "css")
    assert len(digest) >= 8 and all(c in "0123456789abcdef" for c in digest)
    # The plain name stays for links from elsewhere.
    assert (output_of(run) / "css" / "site.css").read_bytes() == theme_css


def test_every_page_has_the_themes_favicon_and_icons(run: Run) -> None:
    for url in pages(run):
        page = run.page(url)
        icon = linked_file(run, page, ICON)
        assert icon.read_bytes() == (THEME_STATIC / "favicon.svg").read_bytes(), url
        touch = linked_file(run, page, "//head/link[@rel='apple-touch-icon']/@href")
        assert touch.read_bytes() == (THEME_STATIC / "apple-touch-icon.png").read_bytes()
    assert (output_of(run) / "favicon.ico").read_bytes() == (
        THEME_STATIC / "favicon.ico"
    ).read_bytes()


def test_a_sites_own_files_replace_the_themes_under_new_names(run: Run, tmp_path: Path) -> None:
    files = site_files()
    files["static/css/site.css"] = "body { color: #123; }\n"
    files["static/favicon.svg"] = '<svg xmlns="http://www.w3.org/2000/svg"/>\n'
    own = build(make_site(tmp_path / "own", files, CONFIG))
    theme_page, own_page = run.page("/reports/market/"), own.page("/reports/market/")
    css = linked_file(own, own_page, STYLESHEET)
    assert css.read_text() == "body { color: #123; }\n"
    assert css.name != linked_file(run, theme_page, STYLESHEET).name
    icon = linked_file(own, own_page, ICON)
    assert icon.read_text() == '<svg xmlns="http://www.w3.org/2000/svg"/>\n'
    assert icon.name != linked_file(run, theme_page, ICON).name


def test_the_same_files_give_the_same_names(run: Run, tmp_path: Path) -> None:
    again = build(make_site(tmp_path / "again", site_files(), CONFIG))
    for xpath in (STYLESHEET, ICON):
        first = run.page("/").xpath(xpath)
        assert first == again.page("/").xpath(xpath)


def test_home_and_term_pages_show_a_link_to_their_feed(run: Run) -> None:
    for url, feed in [
        ("/", "feed.xml"),
        ("/ko/", "ko/feed.xml"),
        ("/tags/markets/", "tags/markets/feed.xml"),
        ("/places/hyesan/", "places/hyesan/feed.xml"),
    ]:
        page = run.page(url)
        (link,) = page.xpath("//main//a[@type='application/atom+xml']")
        assert link.text_content().strip(), url
        assert link.get("href") == "/desk/" + feed, url
        assert (output_of(run) / feed).is_file()
        assert BASE_URL + feed in page.xpath("//head/link[@type='application/atom+xml']/@href")


def test_each_report_opens_with_its_dateline(run: Run) -> None:
    for url, places, day in [
        ("/reports/market/", "Hyesan, Ryanggang", "2024-03-01"),
        ("/ko/reports/market/", "혜산", "2024-03-02"),
        ("/reports/placeless/", None, "2024-02-01"),
    ]:
        header = run.page(url).xpath("//article/header")[0]
        first, second = header.getchildren()[:2]
        assert first.tag == "h1"
        assert second.get("class") == "dateline", url
        assert second.xpath(".//time/@datetime")[0].startswith(day), url
        assert second.xpath("string(span[@class='dateline-place'])") == (places or ""), url


def test_the_search_box_has_a_visible_label(tmp_path: Path) -> None:
    config = CONFIG.replace("search = false", "search = true")
    searched = build(make_site(tmp_path / "search", site_files(), config))
    page = parse_page(searched.site / "output", "/search/")
    (label,) = page.xpath("//main//label[@id='search-label']")
    assert label.text_content().strip() == "Search the reports"
    linked_file(searched, page, "//head/script[contains(@src, '/js/')]/@src")


def test_links_written_in_templates_follow_a_new_base_url_and_stylesheet(tmp_path: Path) -> None:
    """Compiled templates are kept between builds: what they link must still be worked out
    at each build, not once when Jinja compiles them."""
    files = site_files()
    files["templates/pages/about.html"] = (
        '{% extends "base.html" %}{% block content %}<h1>About</h1>'
        "<a class='fixed' href=\"{{ '/timeline/' | link }}\">Timeline</a>{% endblock %}\n"
    )
    site = make_site(tmp_path / "site", files, CONFIG)
    build(site)
    first = parse_page(site / "output", "/about/")
    assert first.xpath("//a[@class='fixed']/@href") == ["/desk/timeline/"]
    (site / "static" / "css").mkdir(parents=True)
    (site / "static" / "css" / "site.css").write_text("body { color: #123; }\n")
    config = site / "sitegen.toml"
    config.write_text(config.read_text().replace("/desk/", "/digest/"))
    build(site)
    again = parse_page(site / "output", "/about/")
    assert again.xpath("//a[@class='fixed']/@href") == ["/digest/timeline/"]
    (css,) = again.xpath(STYLESHEET)
    assert css.startswith("/digest/css/site.")
    assert (site / "output" / css.removeprefix("/digest/")).read_text() == "body { color: #123; }\n"


def test_the_headers_language_links_fall_back_to_each_languages_home(run: Run) -> None:
    """A report with no Korean version: "한국어" leads to the Korean home."""
    page = run.page("/reports/placeless/")
    links = page.xpath("//header[@class='site-header']//nav[@class='languages']//a")
    assert {a.get("hreflang"): a.get("href") for a in links} == {
        "en": "/desk/reports/placeless/",
        "ko": "/desk/ko/",
    }
