"""sitemap.xml (sitemaps.org 0.9 with hreflang alternates) and robots.txt."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import lxml.etree as etree
import pytest

from tests.helpers import Run, build, make_site, report_text, run_sitegen
from tests.news_site import (
    BASE_URL,
    KO_MARKET_URL,
    MARKET_URL,
    SCHEMAS,
    build_sample,
    make_news_site,
)

SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
NS = {"sm": SM, "xhtml": XHTML}
KST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return build(make_news_site(tmp_path_factory.mktemp("news") / "site"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("sample") / "output")


@pytest.fixture(scope="module")
def sitemap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))


def parse_sitemap(output: Path) -> etree._Element:
    file = output / "sitemap.xml"
    assert file.is_file(), "sitemap.xml was not built"
    return etree.parse(str(file)).getroot()


def entries(output: Path) -> dict[str, etree._Element]:
    """loc -> its url element."""
    found: dict[str, etree._Element] = {}
    for url in parse_sitemap(output).findall("sm:url", NS):
        loc = url.findtext("sm:loc", namespaces=NS)
        assert loc not in found, f"{loc} listed twice"
        found[loc] = url
    return found


def lastmod(url: etree._Element) -> dt.datetime | None:
    text = url.findtext("sm:lastmod", namespaces=NS)
    return None if text is None else dt.datetime.fromisoformat(text)


def alternates(url: etree._Element) -> dict[str, str]:
    links = url.findall("xhtml:link", NS)
    assert all(link.get("rel") == "alternate" for link in links)
    return {link.get("hreflang"): link.get("href") for link in links}


def test_sitemap_is_valid(news: Run, sitemap_schema: etree.XMLSchema) -> None:
    tree = etree.parse(str(news.site / "output" / "sitemap.xml"))
    assert sitemap_schema.validate(tree), str(sitemap_schema.error_log)


def test_sitemap_lists_every_page_with_absolute_urls(news: Run) -> None:
    listed = set(entries(news.site / "output"))
    expected = {
        "",
        "reports/market/",
        "reports/hostile/",
        "reports/older/",
        "reports/no-byline/",
        "tags/",
        "tags/markets/",
        "tags/rice-prices/",
        "tags/transport/",
        "places/",
        "places/hyesan/",
        "timeline/",
        "timeline/2024/",
        "timeline/2023/",
        "ko/",
        "ko/reports/market/",
        "ko/tags/markets/",
        "ko/places/hyesan/",
        "ko/timeline/",
    }
    assert {BASE_URL + path for path in expected} <= listed
    assert all(loc.startswith(BASE_URL) for loc in listed)
    # later pages of a list and the not-found page are not pages to index
    assert (news.site / "output" / "page" / "2" / "index.html").is_file()
    assert BASE_URL + "page/2/" not in listed
    assert BASE_URL + "tags/markets/page/2/" not in listed
    assert BASE_URL + "404.html" not in listed


def test_lastmod_is_when_the_content_last_changed(news: Run) -> None:
    listed = entries(news.site / "output")
    assert lastmod(listed[MARKET_URL]) == dt.datetime(2024, 3, 5, tzinfo=KST)
    assert lastmod(listed[BASE_URL + "reports/older/"]) == dt.datetime(
        2023, 5, 1, 9, 30, tzinfo=KST
    )
    # a list page: the newest report it shows
    assert lastmod(listed[BASE_URL + "tags/transport/"]) == dt.datetime(2024, 1, 10, tzinfo=KST)
    assert lastmod(listed[BASE_URL + "timeline/2023/"]) == dt.datetime(
        2023, 5, 1, 9, 30, tzinfo=KST
    )
    assert lastmod(listed[BASE_URL]) == dt.datetime(2024, 3, 5, tzinfo=KST)
    assert lastmod(listed[BASE_URL + "ko/"]) == dt.datetime(2024, 3, 6, tzinfo=KST)


def test_translations_list_each_other_as_alternates(news: Run) -> None:
    listed = entries(news.site / "output")
    both = {"en": MARKET_URL, "ko": KO_MARKET_URL}
    assert alternates(listed[MARKET_URL]) == both
    assert alternates(listed[KO_MARKET_URL]) == both
    assert alternates(listed[BASE_URL + "reports/older/"]) == {}
    assert alternates(listed[BASE_URL + "tags/markets/"]) == {
        "en": BASE_URL + "tags/markets/",
        "ko": BASE_URL + "ko/tags/markets/",
    }


def test_robots_txt_names_the_sitemap(news: Run) -> None:
    lines = (news.site / "output" / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in lines
    assert [line for line in lines if line.startswith("Sitemap:")] == [
        "Sitemap: " + BASE_URL + "sitemap.xml"
    ]


def test_a_sites_own_robots_txt_is_kept(tmp_path: Path) -> None:
    site = make_news_site(tmp_path / "site")
    (site / "static").mkdir()
    (site / "static" / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    run = build(site)
    robots = (run.site / "output" / "robots.txt").read_text(encoding="utf-8")
    assert robots == "User-agent: *\nDisallow: /\n"


def test_sitemap_and_robots_are_byte_identical_across_builds(tmp_path: Path, news: Run) -> None:
    again = run_sitegen(news.site, "build", "--output", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    for name in ("sitemap.xml", "robots.txt"):
        assert (tmp_path / "again" / name).read_bytes() == (
            news.site / "output" / name
        ).read_bytes()


def test_non_latin_urls_are_percent_encoded(
    tmp_path: Path, sitemap_schema: etree.XMLSchema
) -> None:
    site = make_site(
        tmp_path / "site",
        {"content/reports/a.md": report_text(title="Seoul", date="2024-01-01", places="[서울]")},
        f'base_url = "{BASE_URL}"\n',
    )
    output = build(site).site / "output"
    assert sitemap_schema.validate(etree.parse(str(output / "sitemap.xml")))
    assert BASE_URL + "places/%EC%84%9C%EC%9A%B8/" in entries(output)


def test_the_sample_digests_sitemap_is_valid(sample: Path, sitemap_schema: etree.XMLSchema) -> None:
    tree = etree.parse(str(sample / "sitemap.xml"))
    assert sitemap_schema.validate(tree), str(sitemap_schema.error_log)
    robots = (sample / "robots.txt").read_text(encoding="utf-8").splitlines()
    locs = tree.xpath("//sm:loc/text()", namespaces=NS)
    sitemap_lines = [
        line.removeprefix("Sitemap: ") for line in robots if line.startswith("Sitemap:")
    ]
    assert len(sitemap_lines) == 1
    assert all(loc.startswith(sitemap_lines[0].removesuffix("sitemap.xml")) for loc in locs)
