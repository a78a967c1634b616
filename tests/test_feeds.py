"""Atom feeds: per language and per term, valid against RFC 4287's grammar, stable, escaped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import lxml.etree as etree
import lxml.html
import pytest

from tests.helpers import Run, build, parse_page, run_sitegen
from tests.news_site import (
    BASE_URL,
    HOSTILE,
    KO_MARKET_URL,
    MARKET_URL,
    SCHEMAS,
    SOURCE_URL,
    build_sample,
    make_news_site,
)

ATOM = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM}


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The news site, built once for this module."""
    return build(make_news_site(tmp_path_factory.mktemp("news") / "site"))


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))


def feed_files(output: Path) -> list[Path]:
    return sorted(output.rglob("feed.xml"))


def parse_feed(output: Path, path: str) -> etree._Element:
    file = output / path
    assert file.is_file(), f"{path} was not built"
    return etree.parse(str(file)).getroot()


def assert_valid_atom(feed: etree._ElementTree, schema: etree.RelaxNG, name: str) -> None:
    """RFC 4287's RELAX NG grammar, and the two rules its appendix states in Schematron."""
    assert schema.validate(feed), (name, str(schema.error_log))
    root = feed.getroot()
    entries = root.findall("a:entry", NS)
    assert root.find("a:author", NS) is not None or all(
        e.find("a:author", NS) is not None for e in entries
    ), name
    for entry in entries:
        alternates = entry.xpath("a:link[@rel='alternate' or not(@rel)]", namespaces=NS)
        assert alternates or entry.find("a:content", NS) is not None, name


def entries(feed: etree._Element) -> list[etree._Element]:
    return feed.findall("a:entry", NS)


def entry_for(feed: etree._Element, url: str) -> etree._Element:
    found = [e for e in entries(feed) if e.findtext("a:id", namespaces=NS) == url]
    assert len(found) == 1, [e.findtext("a:id", namespaces=NS) for e in entries(feed)]
    return found[0]


def when(text: str | None) -> dt.datetime:
    assert text is not None
    return dt.datetime.fromisoformat(text)


def test_every_feed_is_valid_atom(news: Run, atom_schema: etree.RelaxNG) -> None:
    files = feed_files(news.site / "output")
    assert len(files) >= 8
    for file in files:
        assert_valid_atom(etree.parse(str(file)), atom_schema, str(file))


def test_a_feed_per_language_and_per_term(news: Run) -> None:
    output = news.site / "output"
    built = {f.relative_to(output).as_posix() for f in feed_files(output)}
    assert {
        "feed.xml",
        "tags/markets/feed.xml",
        "tags/rice-prices/feed.xml",
        "tags/transport/feed.xml",
        "places/hyesan/feed.xml",
        "ko/feed.xml",
        "ko/tags/markets/feed.xml",
        "ko/places/hyesan/feed.xml",
    } <= built
    korean = parse_feed(output, "ko/feed.xml")
    assert korean.get("{http://www.w3.org/XML/1998/namespace}lang") == "ko"
    assert [e.findtext("a:id", namespaces=NS) for e in entries(korean)] == [KO_MARKET_URL]
    english = parse_feed(output, "feed.xml")
    assert english.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert KO_MARKET_URL not in [e.findtext("a:id", namespaces=NS) for e in entries(english)]


def test_feed_and_entry_urls_are_absolute_under_the_base_url(news: Run) -> None:
    output = news.site / "output"
    for file in feed_files(output):
        feed = etree.parse(str(file)).getroot()
        path = file.relative_to(output).as_posix()
        assert feed.findtext("a:id", namespaces=NS) == BASE_URL + path
        self_links = feed.xpath("a:link[@rel='self']/@href", namespaces=NS)
        assert self_links == [BASE_URL + path]
        page = feed.xpath("a:link[@rel='alternate']/@href", namespaces=NS)
        assert page == [BASE_URL + path.removesuffix("feed.xml")]
        for entry in entries(feed):
            assert entry.findtext("a:id", namespaces=NS).startswith(BASE_URL)
            for link in entry.findall("a:link", NS):
                if link.get("rel") != "related":
                    assert link.get("href").startswith(BASE_URL), (path, link.attrib)


def test_entries_newest_first_and_feed_updated_is_the_newest_entrys(news: Run) -> None:
    feed = parse_feed(news.site / "output", "tags/markets/feed.xml")
    published = [when(e.findtext("a:published", namespaces=NS)) for e in entries(feed)]
    assert published == sorted(published, reverse=True)
    assert len(published) == 2
    updated = [when(e.findtext("a:updated", namespaces=NS)) for e in entries(feed)]
    assert when(feed.findtext("a:updated", namespaces=NS)) == max(updated)
    home = parse_feed(news.site / "output", "feed.xml")
    ids = [e.findtext("a:id", namespaces=NS) for e in entries(home)]
    assert ids == [
        MARKET_URL,
        BASE_URL + "reports/hostile/",
        BASE_URL + "reports/no-byline/",
        BASE_URL + "reports/older/",
    ]
    # the newest change, not the time of the build
    assert when(home.findtext("a:updated", namespaces=NS)) == dt.datetime(
        2024, 3, 5, tzinfo=dt.timezone(dt.timedelta(hours=9))
    )


def test_an_entry_carries_the_report(news: Run) -> None:
    entry = entry_for(parse_feed(news.site / "output", "feed.xml"), MARKET_URL)
    assert entry.findtext("a:title", namespaces=NS) == "Rice prices climb in Hyesan"
    assert entry.findtext("a:published", namespaces=NS) == "2024-03-01T00:00:00+09:00"
    assert entry.findtext("a:updated", namespaces=NS) == "2024-03-05T00:00:00+09:00"
    assert entry.xpath("a:author/a:name/text()", namespaces=NS) == ["A. Writer", "B. Writer"]
    assert entry.findtext("a:summary", namespaces=NS) == "Rice costs more at the market."
    alternates = entry.xpath("a:link[@rel='alternate' or not(@rel)]", namespaces=NS)
    assert [(a.get("href"), a.get("type"), a.get("hreflang")) for a in alternates] == [
        (MARKET_URL, "text/html", "en")
    ]
    related = {
        link.get("href"): link for link in entry.xpath("a:link[@rel='related']", namespaces=NS)
    }
    assert related[KO_MARKET_URL].get("hreflang") == "ko"
    assert related[KO_MARKET_URL].get("title") == "한국어"
    assert related[SOURCE_URL].get("hreflang") == "ko"
    assert related[SOURCE_URL].get("title") == "Example Daily"
    categories = {(c.get("term"), c.get("scheme")) for c in entry.findall("a:category", NS)}
    assert categories == {
        ("markets", BASE_URL + "tags/"),
        ("rice prices", BASE_URL + "tags/"),
        ("Hyesan", BASE_URL + "places/"),
    }
    content = entry.find("a:content", NS)
    assert content.get("type") == "html"
    body = lxml.html.fragment_fromstring(content.text, create_parent="div")
    assert "Prices rose" in body.text_content()
    assert body.xpath("//a/@href") == [BASE_URL + "timeline/"]
    images = body.xpath("//img/@src")
    assert BASE_URL + "reports/market/stalls.png" in images
    assert all(src.startswith(BASE_URL) for src in images)
    figure = body.xpath("//figure/img")[0]
    assert (figure.get("alt"), figure.get("width"), figure.get("height")) == (
        "Stalls at the market",
        "8",
        "6",
    )


def test_a_report_without_byline_falls_back_to_the_feeds_author(
    news: Run, atom_schema: etree.RelaxNG
) -> None:
    feed = parse_feed(news.site / "output", "feed.xml")
    entry = entry_for(feed, BASE_URL + "reports/no-byline/")
    assert entry.find("a:author", NS) is None
    assert entry.find("a:summary", NS) is None
    assert feed.xpath("a:author/a:name/text()", namespaces=NS) == ["Desk & <Digest>"]


def test_hostile_values_are_text_in_the_feed(news: Run) -> None:
    feed = parse_feed(news.site / "output", "feed.xml")
    assert feed.findtext("a:title", namespaces=NS) == "Desk & <Digest>"
    entry = entry_for(feed, BASE_URL + "reports/hostile/")
    title = entry.find("a:title", NS)
    assert title.text == HOSTILE
    assert len(title) == 0
    assert entry.xpath("a:author/a:name/text()", namespaces=NS) == ["<i>Someone</i>"]
    assert entry.findtext("a:summary", namespaces=NS) == "Ends </script> here"
    content = entry.find("a:content", NS)
    assert len(content) == 0
    body = lxml.html.fragment_fromstring(content.text, create_parent="div")
    # the raw HTML of the body is shown as text, in the feed as on the page
    assert body.xpath("//script") == []
    assert "<script>alert(3)</script>" in body.text_content()


def test_feeds_are_byte_identical_and_ids_stable_across_builds(tmp_path: Path, news: Run) -> None:
    site = news.site
    again = run_sitegen(site, "build", "--output", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    first = {f.relative_to(site / "output"): f.read_bytes() for f in feed_files(site / "output")}
    second = {
        f.relative_to(tmp_path / "again"): f.read_bytes() for f in feed_files(tmp_path / "again")
    }
    assert first == second
    other = build(make_news_site(tmp_path / "copy"))
    copy = {
        f.relative_to(other.site / "output"): f.read_bytes()
        for f in feed_files(other.site / "output")
    }
    assert copy == first


def test_feed_entries_limits_every_feed(tmp_path: Path) -> None:
    run = build(make_news_site(tmp_path / "site", "feed_entries = 2\n"))
    feed = parse_feed(run.site / "output", "feed.xml")
    ids = [e.findtext("a:id", namespaces=NS) for e in entries(feed)]
    assert ids == [MARKET_URL, BASE_URL + "reports/hostile/"]
    assert when(feed.findtext("a:updated", namespaces=NS)).date() == dt.date(2024, 3, 5)


def test_feed_entries_must_be_positive(tmp_path: Path) -> None:
    run = run_sitegen(make_news_site(tmp_path / "site", "feed_entries = 0\n"), "build")
    assert run.exit_code == 1
    assert "feed_entries" in run.output
    assert "sitegen.toml:" in run.output


def test_pages_link_their_feeds(news: Run) -> None:
    def feeds_of(url: str) -> list[str]:
        page = news.page(url)
        return page.xpath("//head/link[@rel='alternate'][@type='application/atom+xml']/@href")

    assert feeds_of("/") == [BASE_URL + "feed.xml"]
    assert feeds_of("/reports/market/") == [BASE_URL + "feed.xml"]
    assert feeds_of("/tags/markets/") == [BASE_URL + "feed.xml", BASE_URL + "tags/markets/feed.xml"]
    assert feeds_of("/tags/markets/page/2/") == [
        BASE_URL + "feed.xml",
        BASE_URL + "tags/markets/feed.xml",
    ]
    assert feeds_of("/ko/places/hyesan/") == [
        BASE_URL + "ko/feed.xml",
        BASE_URL + "ko/places/hyesan/feed.xml",
    ]
    for url in ("/", "/tags/markets/", "/ko/places/hyesan/"):
        for href in feeds_of(url):
            assert (news.site / "output" / href.removeprefix(BASE_URL)).is_file()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample digest in the repository's content/, built into a temporary folder."""
    return build_sample(tmp_path_factory.mktemp("sample") / "output")


def test_the_sample_digests_feeds_are_valid(sample: Path, atom_schema: etree.RelaxNG) -> None:
    files = feed_files(sample)
    assert (sample / "feed.xml") in files
    for file in files:
        assert_valid_atom(etree.parse(str(file)), atom_schema, str(file))


def test_feedparser_takes_each_entrys_own_page_in_the_feeds_language(sample: Path) -> None:
    """Every entry of every feed of the sample digest, as a feed reader built on feedparser
    sees it: its link is the page of the report the entry is, in the feed's language."""
    base = "https://example.org/digest/"
    checked = 0
    for file in feed_files(sample):
        tree = etree.parse(str(file))
        feed_lang = tree.getroot().get("{http://www.w3.org/XML/1998/namespace}lang")
        expected = [e.findtext("a:id", namespaces=NS) for e in entries(tree.getroot())]
        parsed = feedparser.parse(file.read_bytes())
        assert not parsed.bozo, (file, parsed.get("bozo_exception"))
        assert [entry.link for entry in parsed.entries] == expected, file
        for entry in parsed.entries:
            page = parse_page(sample, "/" + entry.link.removeprefix(base))
            assert page.get("lang") == feed_lang, (file, entry.link)
            checked += 1
    assert checked > 100
