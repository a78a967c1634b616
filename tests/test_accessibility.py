"""Markup and accessibility: every page valid for the Nu Html Checker; every page kind free of
axe-core WCAG 2.1 AA violations in Chromium, light and dark; a skip link, visible focus, and
no sideways scrolling at 320 px."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from tests.conftest import VNU_JAR, Served, axe_violations, need_java, need_node_module

KINDS = {
    "home": r"",
    "home, page 2": r"page/2/",
    "report with an image": None,
    "report": r"reports/[^/]+/",
    "tags": r"tags/",
    "tag": r"tags/[^/]+/",
    "places": r"places/",
    "place": r"places/[^/]+/",
    "timeline": r"timeline/",
    "timeline year": r"timeline/\d{4}/",
    "source outlets": r"sources/",
    "source outlet": r"sources/[^/]+/",
    "corrections": r"corrections/",
    "not found": r"404\.html",
    "search": r"search/",
    "Korean home": r"ko/",
    "Korean report": r"ko/reports/[^/]+/",
    "editions": r"editions/",
    "edition": r"editions/[^/]+/",
}
"""Each kind of page, by the pattern of its path (the first page that matches)."""


def page_kinds(served: Served) -> dict[str, str]:
    """One URL for each kind of page the site has."""
    found: dict[str, str] = {}
    pages = served.pages()
    for kind, pattern in KINDS.items():
        for url in pages:
            path = url[len(served.url) :]
            if pattern is None:
                html = (served.output / path / "index.html") if path.endswith("/") else None
                if html and path.startswith("reports/") and "<picture>" in html.read_text("utf-8"):
                    found[kind] = url
                    break
            elif re.fullmatch(pattern, path):
                found[kind] = url
                break
    return found


def vnu_errors(served: Served) -> list[str]:
    java = need_java()
    jar = need_node_module(VNU_JAR)
    files = [
        str(p)
        for p in sorted(served.output.rglob("*.html"))
        if not p.relative_to(served.output).as_posix().startswith("pagefind/")
    ]
    assert len(files) > 10
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{m.get('url', '')}:{m.get('lastLine', '?')}: {m['message']} [{m.get('extract', '')}]"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def test_sample_digest_is_valid_html(sample_digest: Served) -> None:
    assert vnu_errors(sample_digest) == []


def test_fixture_digest_is_valid_html(fixture_digest: Served) -> None:
    assert vnu_errors(fixture_digest) == []


EDITION_KINDS = {"editions", "edition"}
"""Kinds the sample digest has and the fixture digest (a site without editions) has not."""


def test_every_page_kind_is_found(sample_digest: Served, fixture_digest: Served) -> None:
    assert set(page_kinds(sample_digest)) == set(KINDS)
    assert set(page_kinds(fixture_digest)) == set(KINDS) - EDITION_KINDS


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("site", ["sample_digest", "fixture_digest"])
def test_axe_finds_nothing_on_any_page_kind(
    browser: Any, request: pytest.FixtureRequest, site: str, scheme: str
) -> None:
    served: Served = request.getfixturevalue(site)
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    for kind, url in page_kinds(served).items():
        page.goto(url)
        if kind == "search":
            page.fill(".pagefind-ui__search-input", "prices" if site == "sample_digest" else "a")
            page.wait_for_selector(".pagefind-ui__result-link")
            page.click(".pagefind-ui__filter-name >> nth=0")
        found = axe_violations(page)
        if found:
            problems[f"{kind} {url}"] = found
    context.close()
    assert problems == {}


def test_skip_link_comes_first_and_shows_on_focus(browser: Any, sample_digest: Served) -> None:
    page = browser.new_page()
    page.goto(sample_digest.url + "timeline/")
    link = page.locator("a.skip-link")
    assert link.bounding_box()["x"] < 0  # off-screen until focused
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = link.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#content"
    page.close()


def test_focus_is_visible_on_every_link_of_a_page(browser: Any, sample_digest: Served) -> None:
    page = browser.new_page()
    page.goto(sample_digest.url)
    count = page.evaluate("document.querySelectorAll('a[href], button, input').length")
    hidden: list[str] = []
    for _ in range(count):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                return [e.outerHTML.slice(0, 80), s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
        )
        if style[1] == "none" or style[2] < 2:
            hidden.append(style[0])
    assert hidden == []
    page.close()


@pytest.mark.parametrize("site", ["sample_digest", "fixture_digest"])
def test_no_sideways_scrolling_at_320_px(
    browser: Any, request: pytest.FixtureRequest, site: str
) -> None:
    served: Served = request.getfixturevalue(site)
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    wide: dict[str, int] = {}
    for kind, url in page_kinds(served).items():
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide[kind] = width
    context.close()
    assert wide == {}
