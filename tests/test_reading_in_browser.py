"""The sample digest in Chromium, as a reader sees it: Korean text breaks between words, room
between the header, the content and the footer on every page kind, the timeline's date and
title side by side (or one above the other) without overlapping, no request answered 404
(the favicon included), and nothing for axe on the search page, best practices included."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AXE_TAGS, Served, axe_violations
from tests.test_accessibility import page_kinds

KOREAN_REPORT = "ko/reports/former-trade-official-held-over-smuggled-phones/"
WIDTHS = [390, 1280]
MIN_GAP = 16

GAPS = """() => {
    const visible = [...document.querySelectorAll("main *")].filter(e => {
        const box = e.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && getComputedStyle(e).visibility !== "hidden";
    });
    const header = document.querySelector("body > header").getBoundingClientRect();
    const footer = document.querySelector("body > footer").getBoundingClientRect();
    const top = Math.min(...visible.map(e => e.getBoundingClientRect().top));
    const bottom = Math.max(...visible.map(e => e.getBoundingClientRect().bottom));
    const heading = document.querySelector("main h1").getBoundingClientRect();
    return {content: top - header.bottom, heading: heading.top - header.bottom,
            footer: footer.top - bottom};
}"""
"""From the header's bottom edge to the first thing shown in main and to its first heading,
and from the last thing shown in main to the footer's top edge, in CSS pixels."""

TIMELINE_ROWS = """() => [...document.querySelectorAll(".timeline-entries li")].map(li => {
    const when = li.querySelector(".when").getBoundingClientRect();
    const lines = [...li.querySelector("a").getClientRects()].map(r =>
        ({left: r.left, right: r.right, top: r.top, bottom: r.bottom}));
    return {text: li.textContent.trim().slice(0, 60), dateLines: li.querySelector(".when")
        .getClientRects().length, when: {left: when.left, right: when.right, top: when.top,
        bottom: when.bottom}, lines};
})"""
"""Each timeline entry: its date's box and the boxes of its title's lines."""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two boxes share any area."""
    return min(a["right"], b["right"]) > max(a["left"], b["left"]) and min(
        a["bottom"], b["bottom"]
    ) > max(a["top"], b["top"])


def test_korean_text_breaks_between_words(browser: Any, sample_digest: Served) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(sample_digest.url + KOREAN_REPORT)
    assert page.evaluate("document.documentElement.lang") == "ko"
    styles = page.evaluate(
        """() => [...document.querySelectorAll("h1, .report-body p, .lede")]
            .map(e => getComputedStyle(e).wordBreak)"""
    )
    assert len(styles) >= 3
    assert set(styles) == {"keep-all"}
    english = browser.new_page()
    english.goto(sample_digest.url + KOREAN_REPORT.removeprefix("ko/"))
    assert english.evaluate("getComputedStyle(document.querySelector('h1')).wordBreak") == "normal"
    page.close()
    english.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_room_around_the_content_on_every_page_kind(
    browser: Any, sample_digest: Served, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    tight: dict[str, dict[str, float]] = {}
    kinds = page_kinds(sample_digest)
    assert len(kinds) > 10
    for kind, url in kinds.items():
        page.goto(url)
        gaps = page.evaluate(GAPS)
        if min(gaps.values()) < MIN_GAP:
            tight[kind] = gaps
    context.close()
    assert tight == {}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["timeline/", "ko/timeline/"])
def test_timeline_dates_and_titles_do_not_overlap(
    browser: Any, sample_digest: Served, width: int, path: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(sample_digest.url + path)
    rows = page.evaluate(TIMELINE_ROWS)
    assert len(rows) >= (20 if path == "timeline/" else 2)
    wrong = []
    for row in rows:
        if row["dateLines"] != 1 or any(overlap(row["when"], line) for line in row["lines"]):
            wrong.append(row)
        side_by_side = row["lines"][0]["top"] < row["when"]["bottom"]
        if side_by_side and any(line["left"] < row["when"]["right"] for line in row["lines"]):
            wrong.append(row)  # a title's later line back under the date
    context.close()
    assert wrong == []
    if width == 1280:  # room for both: every date beside its title
        assert all(row["lines"][0]["left"] >= row["when"]["right"] for row in rows)


def test_no_request_of_any_sample_page_fails(browser: Any, sample_digest: Served) -> None:
    context = browser.new_context()
    page = context.new_page()
    failed: list[str] = []
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    page.on(  # requests cut short by going to the next page are not failures
        "requestfailed",
        lambda request: (
            failed.append(f"{request.failure} {request.url}")
            if "ERR_ABORTED" not in (request.failure or "")
            else None
        ),
    )
    icons: set[str] = set()
    pages = sample_digest.pages()
    assert len(pages) > 50
    for url in pages:
        page.goto(url)
        icons.update(
            page.eval_on_selector_all("link[rel~='icon']", "links => links.map(l => l.href)")
        )
    icons.add(sample_digest.url + "favicon.ico")  # where clients look without a link
    assert len(icons) >= 2
    for icon in sorted(icons):
        response = context.request.get(icon)
        if not response.ok:
            failed.append(f"{response.status} {icon}")
        elif not response.body():
            failed.append(f"empty {icon}")
    context.close()
    assert failed == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_best_practices_find_nothing_on_the_search_page(
    browser: Any, sample_digest: Served, scheme: str
) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(sample_digest.url + "search/")
    page.wait_for_selector(".pagefind-ui__search-input")
    label = page.locator("label.search-label")
    assert label.is_visible()
    assert (
        page.evaluate(
            "document.querySelector('.pagefind-ui__search-input').labels[0].textContent.trim()"
        )
        == label.text_content().strip()
    )
    tags = [*AXE_TAGS, "best-practice"]
    problems = {"empty": axe_violations(page, tags)}
    page.fill(".pagefind-ui__search-input", "prices")
    page.wait_for_selector(".pagefind-ui__result-link")
    problems["results"] = axe_violations(page, tags)
    context.close()
    assert problems == {"empty": [], "results": []}
