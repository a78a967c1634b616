"""A site under a sub-path (https://example.org/digest/): every link follows base_url."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.helpers import Run, build
from tests.test_pages import (
    NOW,
    REPORTS,
    FixtureReport,
    copy_digest,
    html_pages,
    linked,
    path_of,
    published,
    shared_digest,
)

BASE_URL = "https://example.org/digest/"
BASE_PATH = urlsplit(BASE_URL).path


def build_by_config(dest: Path) -> Run:
    site = copy_digest(dest)
    config = site / "sitegen.toml"
    text = config.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^base_url = .*$", f'base_url = "{BASE_URL}"', text)
    assert count == 1
    config.write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
        return build(site)


@pytest.fixture(scope="module", params=["config", "flag"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    if request.param == "config":
        return build_by_config(tmp_path_factory.mktemp("subpath-config"))
    return shared_digest(tmp_path_factory, "--base-url", BASE_URL)


def test_pages_are_written_at_the_root_of_the_output(site: Run) -> None:
    output = site.site / "output"
    assert (output / "index.html").is_file()
    assert not (output / BASE_PATH.strip("/")).exists()


def test_every_link_starts_with_the_base_path(site: Run) -> None:
    output = site.site / "output"
    for url, page in html_pages(output):
        page_url = BASE_URL + url.lstrip("/")
        for element, link in linked(page):
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                # Absolute: another site, or this one under its full base URL.
                if parts.netloc == urlsplit(BASE_URL).netloc:
                    assert link.startswith(BASE_URL), (url, link)
                continue
            if link.startswith("#"):
                continue
            if link.startswith("/"):
                assert link.startswith(BASE_PATH), (url, link)
                continue
            # A relative link an editor wrote in a body: it must resolve inside the site.
            assert element.xpath("ancestor::div[@class='report-body']"), (url, link)
            assert urljoin(page_url, link).startswith(BASE_URL), (url, link)


def test_canonical_and_alternate_links_are_absolute_under_the_base_url(site: Run) -> None:
    output = site.site / "output"
    alternates = 0
    for url, page in html_pages(output):
        canonical = page.xpath("//link[@rel='canonical']/@href")
        if url != "/404.html":
            assert canonical == [BASE_URL + url.lstrip("/")]
        for href in canonical + page.xpath("//link[@rel='alternate'][@hreflang]/@href"):
            assert href.startswith(BASE_URL), (url, href)
            alternates += 1
    assert alternates > 0


def markdown_root_links(text: str) -> list[str]:
    """Links from the site's root written in a Markdown body: [text](/path/)."""
    body = text.split("---\n", 2)[2]
    return re.findall(r"\]\((/[^)\s]*)\)", body)


@pytest.mark.parametrize(
    "report",
    [r for r in published(lang=None) if markdown_root_links(r.file.read_text(encoding="utf-8"))],
    ids=lambda r: r.url,
)
def test_markdown_links_from_the_root_follow_the_base_url(site: Run, report: FixtureReport) -> None:
    written = markdown_root_links(report.file.read_text(encoding="utf-8"))
    page = site.page(report.url)
    body_links = page.xpath("//div[@class='report-body']//a/@href")
    for target in written:
        assert BASE_PATH + target.lstrip("/") in body_links, (target, body_links)
        assert target not in body_links


def test_fixture_has_markdown_links_from_the_root() -> None:
    assert any(markdown_root_links(r.file.read_text(encoding="utf-8")) for r in REPORTS)


def test_theme_links_follow_the_base_path(site: Run) -> None:
    page = site.page("/")
    nav = [path_of(h) for h in page.xpath("//header//a/@href")]
    assert {BASE_PATH, f"{BASE_PATH}timeline/", f"{BASE_PATH}tags/", f"{BASE_PATH}ko/"} <= set(nav)
    assert page.xpath("//link[@rel='stylesheet']/@href")[0].startswith(BASE_PATH)
    following = page.xpath("//nav[@class='pagination']//a[@rel='next']/@href")
    assert following == [f"{BASE_PATH}page/2/"]
    (report,) = [r for r in published() if r.data.get("image")]
    (src,) = site.page(report.url).xpath("//figure//img/@src")
    assert src == BASE_PATH + report.url.lstrip("/") + report.data["image"]["src"]
    not_found = site.page("/404.html")
    assert BASE_PATH in not_found.xpath("//main//a/@href")
