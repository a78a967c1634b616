"""sitegen serve in a real browser: a saved edit shows by itself, errors show over the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import make_site
from tests.test_serve import CONFIG, DEADLINE, FILES, REPORT, A, LiveSite

TIMEOUT_MS = DEADLINE * 1000
BROKEN = A.replace("date: 2024-03-01", "date: [oops")
"""Front matter that does not parse: line 3 of the file."""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    served = LiveSite(make_site(tmp_path / "site", FILES, CONFIG))
    try:
        yield served
    finally:
        served.close()


def save(live: LiveSite, text: str) -> None:
    (live.root / REPORT).write_text(text, encoding="utf-8")


def test_edits_reload_the_open_page_and_errors_show_over_it_until_fixed(
    live: LiveSite, context: Any
) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(live.url + "reports/a/")
    title = page.locator("h1")
    expect(title).to_have_text("First title")
    page.evaluate("window.sitegenTestMark = 1")

    save(live, A.replace("First title", "Second title"))
    expect(title).to_have_text("Second title", timeout=TIMEOUT_MS)
    assert page.evaluate("window.sitegenTestMark") is None  # the page reloaded by itself

    save(live, BROKEN)
    overlay = page.locator("#sitegen-error-overlay")
    expect(overlay).to_be_visible(timeout=TIMEOUT_MS)
    expect(overlay).to_contain_text(f"{REPORT}:3: error:")
    expect(title).to_have_text("Second title")  # the last good page stays

    late = context.new_page()  # a tab opened while the site is broken
    late.goto(live.url)
    expect(late.locator("#sitegen-error-overlay")).to_contain_text(f"{REPORT}:3: error:")

    save(live, A.replace("First title", "Third title"))
    expect(overlay).to_have_count(0, timeout=TIMEOUT_MS)
    expect(title).to_have_text("Third title")
    expect(late.locator("#sitegen-error-overlay")).to_have_count(0)
    expect(late.locator("main")).to_contain_text("Third title")


def test_the_overlay_shows_the_message_as_text(live: LiveSite, context: Any) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(live.url + "reports/a/")
    twice = '"<img src=x onerror=window.owned=1>": 1\n'
    save(live, A.replace("---\n", "---\n" + twice * 2, 1))
    overlay = page.locator("#sitegen-error-overlay")
    expect(overlay).to_contain_text("<img src=x onerror=window.owned=1>", timeout=TIMEOUT_MS)
    assert overlay.locator("img").count() == 0
    assert page.evaluate("window.owned") is None


def test_only_tabs_whose_page_changed_reload_and_every_tab_gets_events(
    live: LiveSite, context: Any
) -> None:
    from playwright.sync_api import expect

    tabs = []
    for _ in range(8):  # more tabs than a browser opens connections to one host
        tab = context.new_page()
        tab.goto(live.url + "reports/a/")
        tab.evaluate("window.sitegenTestMark = 1")
        tabs.append(tab)
    timeline = context.new_page()
    timeline.goto(live.url + "tags/")
    timeline.evaluate("window.sitegenTestMark = 1")

    save(live, A.replace("Body text.", "Changed body."))
    outcome = live.wait_for_build(lambda o: o.ok and bool(o.changed_files))
    assert outcome.changed_files is not None
    assert "reports/a/index.html" in outcome.changed_files
    assert "tags/index.html" not in outcome.changed_files
    for tab in tabs:
        expect(tab.locator("main")).to_contain_text("Changed body.", timeout=TIMEOUT_MS)
        assert tab.evaluate("window.sitegenTestMark") is None
    # Every tab heard of the build through the one shared stream, and the tag index, which
    # did not change, was left as it was (scroll position and all).
    assert timeline.evaluate("window.sitegenTestMark") == 1
    assert live.server.hub.streams == 1


def test_warnings_show_in_a_corner_badge_without_a_reload(live: LiveSite, context: Any) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(live.url + "tags/")
    page.evaluate("window.sitegenTestMark = 1")
    save(live, A.replace("tags: [markets]", "tags: [markets]\ntag: typo"))
    badge = page.locator("#sitegen-warnings")
    expect(badge).to_contain_text("sitegen: 1 warning", timeout=TIMEOUT_MS)
    badge.get_by_role("button").click()
    expect(badge).to_contain_text(f"{REPORT}:5: warning:")
    assert page.evaluate("window.sitegenTestMark") == 1  # the tag index did not change
    save(live, A)
    expect(badge).to_have_count(0, timeout=TIMEOUT_MS)
