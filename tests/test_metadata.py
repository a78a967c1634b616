"""Sharing and search-engine metadata: Open Graph, Twitter cards and JSON-LD NewsArticle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.theme import script_json
from tests.conftest import ROOT
from tests.helpers import Run, build
from tests.news_site import (
    BASE_URL,
    HOSTILE,
    KO_MARKET_URL,
    MARKET_URL,
    SOURCE_URL,
    make_news_site,
)


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return build(make_news_site(tmp_path_factory.mktemp("news") / "site"))


def meta(page: lxml.html.HtmlElement, name: str) -> list[str]:
    """The content of every <meta property=name> or <meta name=name> in the head."""
    return page.xpath("//head/meta[@property=$name or @name=$name]/@content", name=name)  # type: ignore[no-any-return]


def one(page: lxml.html.HtmlElement, name: str) -> str:
    values = meta(page, name)
    assert len(values) == 1, (name, values)
    return values[0]


def json_ld(page: lxml.html.HtmlElement) -> dict[str, Any]:
    scripts = page.xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    data = json.loads(scripts[0].text)
    assert isinstance(data, dict)
    return data


def test_report_has_a_news_article(news: Run) -> None:
    data = json_ld(news.page("/reports/market/"))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Rice prices climb in Hyesan"
    assert data["url"] == MARKET_URL
    assert data["mainEntityOfPage"]["@id"] == MARKET_URL
    assert data["datePublished"] == "2024-03-01T00:00:00+09:00"
    assert data["dateModified"] == "2024-03-05T00:00:00+09:00"
    assert data["inLanguage"] == "en"
    assert data["description"] == "Rice costs more at the market."
    assert data["author"] == [
        {"@type": "Person", "name": "A. Writer"},
        {"@type": "Person", "name": "B. Writer"},
    ]
    assert data["publisher"]["@type"] == "Organization"
    assert data["publisher"]["name"] == "Desk & <Digest>"
    logo = data["publisher"]["logo"]
    assert logo["@type"] == "ImageObject"
    theme_logo = ROOT / "themes" / "default" / "static" / "icon.png"
    assert served_file(news, logo["url"]).read_bytes() == theme_logo.read_bytes()
    assert data["image"] == {
        "@type": "ImageObject",
        "url": BASE_URL + "reports/market/stalls.png",
        "width": 8,
        "height": 6,
        "caption": "The market",
        "creditText": "A. Photo",
    }
    based_on = data["isBasedOn"]
    assert based_on["@type"] == "CreativeWork"
    assert (based_on["name"], based_on["url"], based_on["inLanguage"]) == (
        "Example Daily",
        SOURCE_URL,
        "ko",
    )
    assert [w["url"] for w in data["workTranslation"]] == [KO_MARKET_URL]
    assert data["workTranslation"][0]["inLanguage"] == "ko"
    assert "translationOfWork" not in data


def test_translation_points_at_its_original(news: Run) -> None:
    data = json_ld(news.page("/ko/reports/market/"))
    assert data["inLanguage"] == "ko"
    assert data["url"] == KO_MARKET_URL
    assert data["translationOfWork"]["url"] == MARKET_URL
    assert data["translationOfWork"]["inLanguage"] == "en"
    assert "workTranslation" not in data


def test_report_without_byline_is_by_the_site(news: Run) -> None:
    data = json_ld(news.page("/reports/no-byline/"))
    assert data["author"] == data["publisher"]
    assert "image" not in data
    assert "isBasedOn" not in data


def test_hostile_title_cannot_close_the_script(news: Run) -> None:
    page = news.page("/reports/hostile/")
    scripts = page.xpath("//script")
    assert len(scripts) == 1
    assert scripts[0].get("type") == "application/ld+json"
    data = json.loads(scripts[0].text)
    assert data["headline"] == HOSTILE
    assert data["author"] == [{"@type": "Person", "name": "<i>Someone</i>"}]
    assert data["description"] == "Ends </script> here"
    assert one(page, "og:title") == HOSTILE
    assert one(page, "og:description") == "Ends </script> here"
    # the whole body still follows the script, none of it swallowed or ended early
    assert page.xpath("//h1/text()") == [HOSTILE]


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_script_json_never_holds_markup_characters(value: Any) -> None:
    text = script_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == value


def test_report_open_graph(news: Run) -> None:
    page = news.page("/reports/market/")
    assert one(page, "og:type") == "article"
    assert one(page, "og:title") == "Rice prices climb in Hyesan"
    assert one(page, "og:url") == MARKET_URL
    assert one(page, "og:description") == "Rice costs more at the market."
    assert one(page, "og:site_name") == "Desk & <Digest>"
    assert one(page, "og:locale") == "en_US"
    assert meta(page, "og:locale:alternate") == ["ko_KR"]
    assert one(page, "og:image") == BASE_URL + "reports/market/stalls.png"
    assert (one(page, "og:image:width"), one(page, "og:image:height")) == ("8", "6")
    assert one(page, "og:image:alt") == "Stalls at the market"
    assert one(page, "twitter:card") == "summary_large_image"
    assert one(page, "article:published_time") == "2024-03-01T00:00:00+09:00"
    assert one(page, "article:modified_time") == "2024-03-05T00:00:00+09:00"
    assert meta(page, "article:tag") == ["markets", "rice prices", "Hyesan"]
    assert page.xpath("//head/link[@rel='canonical']/@href") == [MARKET_URL]


def served_file(run: Run, url: str) -> Path:
    """The file under output/ an absolute URL of the site names (which must exist)."""
    assert url.startswith(BASE_URL), url
    file = run.site / "output" / url.removeprefix(BASE_URL)
    assert file.is_file(), url
    return file


def test_report_without_image_has_the_sites_social_card(news: Run) -> None:
    page = news.page("/reports/no-byline/")
    card = served_file(news, one(page, "og:image"))
    theme_card = ROOT / "themes" / "default" / "static" / "social.png"
    assert card.read_bytes() == theme_card.read_bytes()
    assert one(page, "og:image:alt") == "Desk & <Digest>"
    assert one(page, "twitter:card") == "summary_large_image"
    # no summary: the site's description stands in, as in <meta name="description">
    assert one(page, "og:description") == "Short reports from the border."
    assert one(page, "description") == "Short reports from the border."


def test_korean_pages_say_their_locale(news: Run) -> None:
    page = news.page("/ko/reports/market/")
    assert one(page, "og:locale") == "ko_KR"
    assert meta(page, "og:locale:alternate") == ["en_US"]
    assert one(page, "og:url") == KO_MARKET_URL


def test_every_page_has_open_graph_with_absolute_urls(news: Run) -> None:
    output = news.site / "output"
    pages = sorted(output.rglob("*.html"))
    assert len(pages) > 20
    for file in pages:
        page = lxml.html.fromstring(file.read_bytes())
        name = file.relative_to(output).as_posix()
        url = one(page, "og:url")
        assert url.startswith(BASE_URL), name
        assert page.xpath("//head/link[@rel='canonical']/@href") == [url], name
        assert one(page, "og:type") in {"article", "website"}, name
        assert one(page, "og:title").strip(), name
        assert one(page, "og:site_name") == "Desk & <Digest>", name
        assert one(page, "twitter:card") in {"summary", "summary_large_image"}, name
        kind = "article" if name.startswith(("reports/", "ko/reports/")) else "website"
        assert one(page, "og:type") == kind, name


def test_list_pages_are_websites(news: Run) -> None:
    home = news.page("/")
    assert one(home, "og:type") == "website"
    assert one(home, "og:title") == "Desk & <Digest>"
    assert one(home, "og:url") == BASE_URL
    assert one(home, "og:description") == "Short reports from the border."
    assert home.xpath("//script") == []
    term = news.page("/tags/markets/")
    assert one(term, "og:url") == BASE_URL + "tags/markets/"
    assert "markets" in one(term, "og:title")
