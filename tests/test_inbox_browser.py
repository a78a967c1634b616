"""The dev server's inbox page in Chromium: Draft writes the file and opens its page; a POST
without the server's secret, or from another site, is refused and writes nothing."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from sitegen.config import BuildOptions
from sitegen.content.frontmatter import split_front_matter
from sitegen.inbox.links import item_id
from sitegen.inbox.page import PAGE_NAME, InboxPage
from tests.conftest import axe_violations
from tests.feed_server import FeedServer
from tests.helpers import make_site, report_text, run_sitegen
from tests.test_serve import DEADLINE, LiveSite

TIMEOUT_MS = DEADLINE * 1000
RICE = "https://markets.example.org/news/101"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    feeds = FeedServer()
    try:
        config = (
            'title = "Desk"\nbase_url = "https://desk.example.org/digest/"\nsearch = false\n'
            f'[[inbox.feeds]]\nname = "Markets"\nurl = "{feeds.url("/rss2.xml")}"\n'
            f'[[inbox.feeds]]\nname = "Hostile"\nurl = "{feeds.url("/hostile.xml")}"\n'
        )
        files = {"content/reports/old.md": report_text(title="Old", date="2024-01-02")}
        site = make_site(tmp_path / "site", files, config)
        fetched = run_sitegen(site, "inbox", "fetch")
        assert fetched.exit_code == 0, fetched.output
    finally:
        feeds.close()
    root = site.resolve()
    served = LiveSite(
        root,
        options=BuildOptions(drafts=True),
        pages={PAGE_NAME: InboxPage(root, drafts_shown=True)},
    )
    try:
        yield served
    finally:
        served.close()


def inbox_url(live: LiveSite) -> str:
    return f"{live.server.origin}/__sitegen/{PAGE_NAME}/"


def content_files(live: LiveSite) -> set[Path]:
    return {path for path in (live.root / "content").rglob("*") if path.is_file()}


def test_draft_writes_the_file_and_opens_its_page(live: LiveSite, context: Any) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(inbox_url(live))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)
    before = content_files(live)
    page.locator(f"#item-{item_id(RICE)}").get_by_role("button", name="Draft").click()
    expect(page).to_have_url(
        live.url + "reports/rice-prices-climb-again-in-hyesan-markets/", timeout=TIMEOUT_MS
    )
    (made,) = content_files(live) - before
    data = split_front_matter(made.read_text(encoding="utf-8"), made).data
    assert data["source"] == {"name": "Markets", "url": RICE, "lang": "en"}
    # The rebuild follows, and the open page reloads into the draft's page.
    expect(page.locator("h1")).to_have_text(
        "Rice prices climb again in Hyesan markets", timeout=TIMEOUT_MS
    )
    page.goto(inbox_url(live))
    expect(rows).to_have_count(3)  # covered now


def test_dismiss_takes_the_item_off_the_page(live: LiveSite, context: Any) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(inbox_url(live))
    page.locator(f"#item-{item_id(RICE)}").get_by_role("button", name="Dismiss").click()
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(page.locator(f"#item-{item_id(RICE)}")).to_have_count(0)
    lines = (live.root / "data" / "inbox-dismissed.txt").read_text(encoding="utf-8").splitlines()
    assert [line.split()[0] for line in lines if not line.startswith("#")] == [RICE]


def test_the_inbox_page_is_accessible(live: LiveSite, browser: Any) -> None:
    checking = browser.new_context(bypass_csp=True)  # the page forbids scripts, axe's too
    try:
        page = checking.new_page()
        page.goto(inbox_url(live))
        assert axe_violations(page) == []
    finally:
        checking.close()


def test_hostile_titles_are_text_on_the_page(live: LiveSite, context: Any) -> None:
    page = context.new_page()
    page.goto(inbox_url(live))
    row = page.locator(f"#item-{item_id('https://hostile.example.org/news/1')}")
    link = row.locator("a")
    assert link.inner_text().startswith('<img src=x onerror="window.owned=1">Kim says "no"')
    assert row.locator("img, script, iframe").count() == 0
    assert page.evaluate("window.owned") is None


def post(
    live: LiveSite, action: str, form: dict[str, str], headers: dict[str, str] | None = None
) -> int:
    request = urllib.request.Request(
        f"{inbox_url(live)}{action}",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def page_secret(live: LiveSite) -> str:
    with urllib.request.urlopen(inbox_url(live), timeout=DEADLINE) as answer:
        html = lxml.html.fromstring(answer.read())
    (value,) = set(html.xpath("//input[@name='secret']/@value"))
    return str(value)


def test_a_post_without_the_secret_or_from_another_site_is_refused(live: LiveSite) -> None:
    before = content_files(live)
    wanted = {"id": item_id(RICE)}
    secret = page_secret(live)
    assert post(live, "draft", wanted) == 403
    assert post(live, "draft", {**wanted, "secret": "guessed"}) == 403
    assert post(live, "dismiss", wanted) == 403
    elsewhere = {"Origin": "http://evil.example"}
    assert post(live, "draft", {**wanted, "secret": secret}, elsewhere) == 403
    assert (
        post(live, "draft", {**wanted, "secret": secret}, {"Sec-Fetch-Site": "cross-site"}) == 403
    )
    assert content_files(live) == before
    assert not (live.root / "data").exists()


def test_a_form_on_another_site_cannot_make_a_draft(
    live: LiveSite, context: Any, tmp_path: Path
) -> None:
    """A page served from another origin posts the form a browser would: refused."""
    from playwright.sync_api import expect

    before = content_files(live)
    page = context.new_page()
    target = f"{inbox_url(live)}draft"
    page.route(
        "http://attacker.example/",
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                f'<form method="post" action="{target}"><input name="id" value="{item_id(RICE)}">'
                f'<input name="secret" value="{page_secret(live)}"><button>Go</button></form>'
            ),
        ),
    )
    page.goto("http://attacker.example/")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("body")).to_contain_text("refused")
    assert content_files(live) == before
