"""The curation inbox: fetching feeds from a local server, coverage, dismissals, drafts."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.config import load_config
from sitegen.content.frontmatter import split_front_matter
from sitegen.inbox.drafts import draft_text
from sitegen.inbox.links import item_id, normalise_url
from sitegen.inbox.store import STORE_NAME, FeedItem
from sitegen.inputs import input_stamps, plan_watch
from tests.feed_server import ETAG, LAST_MODIFIED, FeedServer
from tests.helpers import make_site, report_text, run_sitegen

RSS2_URLS = {
    "https://markets.example.org/news/101",
    "https://markets.example.org/news/102",
    "https://markets.example.org/news/103?ref=home",
}
ATOM_URLS = {"https://voice.example.net/ko/201", "https://voice.example.net/en/202"}
RSS1_URLS = {"https://archive.example.com/item/301", "https://archive.example.com/item/302"}
VOCABULARY = """\
[places.hyesan]
name = "Hyesan"
aliases = ["혜산"]

[places.sinuiju]
name = "Sinuiju"

[tags.rice]
name = "rice"
aliases = ["쌀"]

[tags.markets]
name = "markets"
"""


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    try:
        yield server
    finally:
        server.close()


def feed_config(server: FeedServer, feeds: dict[str, str], extra: str = "") -> str:
    """sitegen.toml following the named feeds (name -> path on the feed server)."""
    lines = ['title = "Desk"', 'base_url = "https://desk.example.org/"']
    lines += ["[inbox]", "timeout = 1", extra]
    for name, path in feeds.items():
        lines += ["[[inbox.feeds]]", f"name = {json.dumps(name)}", f'url = "{server.url(path)}"']
        if name == "Markets":
            lines.append('tags = ["markets"]')
    return "\n".join(lines) + "\n"


def listed(site: Path, *flags: str) -> list[dict[str, Any]]:
    run = run_sitegen(site, "inbox", "--json", *flags)
    assert run.exit_code == 0, run.output
    items = json.loads(run.output)
    assert isinstance(items, list)
    return items


def front_matter(path: Path) -> dict[str, Any]:
    return split_front_matter(path.read_text(encoding="utf-8"), path).data


def test_fetch_reads_rss_2_atom_and_rss_1(tmp_path: Path, feeds: FeedServer) -> None:
    site = make_site(
        tmp_path / "site",
        {},
        feed_config(feeds, {"Markets": "/rss2.xml", "Voice": "/atom.xml", "Archive": "/rss1.xml"}),
    )
    run = run_sitegen(site, "inbox", "fetch")
    assert run.exit_code == 0, run.output
    assert "Traceback" not in run.output
    items = {item["url"]: item for item in listed(site)}
    assert set(items) == RSS2_URLS | ATOM_URLS | RSS1_URLS
    first = items["https://markets.example.org/news/101"]
    assert first["title"] == "Rice prices climb again in Hyesan markets"
    assert first["outlet"] == "Markets"
    assert first["published"] == "2024-12-02T01:00:00+00:00"
    assert first["summary"] == "Traders in Hyesan say rice rose for a third week."
    assert first["id"] == item_id(first["url"])
    # An entry's own language, else the feed's (here the site's, en).
    assert items["https://markets.example.org/news/103?ref=home"]["lang"] == "ko"
    assert items["https://markets.example.org/news/102"]["lang"] == "en"
    assert items["https://voice.example.net/ko/201"]["lang"] == "ko"
    assert items["https://voice.example.net/en/202"]["lang"] == "en"
    # Newest first.
    times = [item["published"] or "" for item in listed(site)]
    assert times == sorted(times, reverse=True)
    asked = [seen for seen in feeds.requests if seen.path == "/rss2.xml"]
    assert "gzip" in asked[0].headers["accept-encoding"]
    agent = asked[0].headers["user-agent"]
    assert agent.startswith("sitegen/") and "https://desk.example.org/" in agent
    assert (site / STORE_NAME).is_file()
    assert not (site / "content").exists()


def test_the_text_listing_shows_id_date_outlet_language_and_title(
    tmp_path: Path, feeds: FeedServer
) -> None:
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {"Archive": "/rss1.xml"}))
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    run = run_sitegen(site, "inbox")
    lines = [line.split(None, 4) for line in run.output.splitlines()]
    assert lines == [
        [item_id(u), d, "Archive", "en", t]
        for u, d, t in [
            ("https://archive.example.com/item/301", "2024-11-30", "Bus route to Musan reopens"),
            ("https://archive.example.com/item/302", "2024-11-29", "Coal exports held at the port"),
        ]
    ]


def test_an_unchanged_feed_costs_a_304_and_keeps_its_items(
    tmp_path: Path, feeds: FeedServer
) -> None:
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {"Cond": "/conditional.xml"}))
    first = run_sitegen(site, "inbox", "fetch")
    assert first.exit_code == 0, first.output
    second = run_sitegen(site, "inbox", "fetch")
    assert second.exit_code == 0, second.output
    assert "not modified" in second.output
    asked = [seen for seen in feeds.requests if seen.path == "/conditional.xml"]
    assert len(asked) == 2
    assert "if-none-match" not in asked[0].headers
    assert asked[1].headers["if-none-match"] == ETAG
    assert asked[1].headers["if-modified-since"] == LAST_MODIFIED
    assert {item["url"] for item in listed(site)} == RSS1_URLS


FAILING = {
    "Missing": ("/missing.xml", "HTTP 404"),
    "Broken": ("/broken.xml", "HTTP 500"),
    "Slow": ("/slow.xml", "timed out after 1 s"),
    "Malformed": ("/malformed.xml", "malformed XML"),
    "Bomb": ("/bomb.xml", "declares XML entities; refused"),
    "Loop": ("/loop-a", "more than 5 redirects"),
    "Page": ("/page.html", "not an RSS or Atom feed (text/html)"),
}


def test_each_failing_feed_is_named_and_the_others_are_fetched(
    tmp_path: Path, feeds: FeedServer
) -> None:
    named = {name: path for name, (path, _) in FAILING.items()}
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {**named, "Markets": "/moved.xml"}))
    run = run_sitegen(site, "inbox", "fetch")
    assert run.exit_code == 1
    assert "Traceback" not in run.output
    errors = dict(re.findall(r"^(\w+): error: (.*)$", run.output, re.MULTILINE))
    assert set(errors) == set(FAILING)
    for name, (_, expected) in FAILING.items():
        assert expected in errors[name], (name, errors[name])
    assert "failed: 7 of 8 feeds" in run.output
    # The good feed (behind a redirect) was stored all the same.
    assert {item["url"] for item in listed(site)} == RSS2_URLS


def test_a_feed_over_the_size_limit_fails(tmp_path: Path, feeds: FeedServer) -> None:
    site = make_site(
        tmp_path / "site", {}, feed_config(feeds, {"Huge": "/huge.xml"}, "max_bytes = 100000")
    )
    run = run_sitegen(site, "inbox", "fetch")
    assert run.exit_code == 1
    assert re.search(r"^Huge: error: larger than the size limit \(0\.1 MB", run.output, re.M)
    assert listed(site) == []


def test_a_huge_feed_is_cut_at_the_item_limit_with_a_note(
    tmp_path: Path, feeds: FeedServer
) -> None:
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {"Huge": "/huge.xml"}))
    run = run_sitegen(site, "inbox", "fetch")
    assert run.exit_code == 0, run.output
    assert re.search(
        r"^Huge: note: the feed lists 100000 items; only the first 1000 are read", run.output, re.M
    )
    items = listed(site)
    assert len(items) == 1000
    assert {item["url"] for item in items} == {f"https://huge.example.org/{n}" for n in range(1000)}


def coverage_site(tmp_path: Path, feeds: FeedServer) -> Path:
    covered_by_source = report_text(
        title="Rice climbs",
        date="2024-12-03",
        source="{name: Markets, url: 'HTTPS://Markets.Example.org/news/101/?utm_source=rss&utm_medium=feed'}",
    )
    covered_by_translation = report_text(
        title="Students sent to farms",
        date="2024-12-04",
        draft="true",
        source="{name: Voice, url: 'https://voice.example.net/en/202'}",
        translations="[{lang: ko, url: 'https://voice.example.net/ko/201#top'}]",
    )
    near_miss = report_text(
        title="Other item",
        date="2024-12-04",
        source="{name: Markets, url: 'https://markets.example.org/news/103'}",
    )
    return make_site(
        tmp_path / "site",
        {
            "content/reports/rice.md": covered_by_source,
            "content/reports/students.md": covered_by_translation,
            "content/reports/other.md": near_miss,
        },
        feed_config(feeds, {"Markets": "/rss2.xml", "Voice": "/atom.xml"}),
    )


def test_the_inbox_lists_exactly_the_items_no_report_covers(
    tmp_path: Path, feeds: FeedServer
) -> None:
    site = coverage_site(tmp_path, feeds)
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    # 101 through its source (utm_*, a trailing slash, case); 201 and 202 through a draft's
    # source and translation. 103 is not covered: its ref= parameter is part of its address.
    covered = {
        "https://markets.example.org/news/101",
        "https://voice.example.net/ko/201",
        "https://voice.example.net/en/202",
    }
    items = listed(site)
    assert {item["url"] for item in items} == (RSS2_URLS | ATOM_URLS) - covered
    assert not any(item["covered"] for item in items)
    every = {item["url"]: item for item in listed(site, "--all")}
    assert set(every) == RSS2_URLS | ATOM_URLS
    assert {url for url, item in every.items() if item["covered"]} == covered
    assert every["https://voice.example.net/ko/201"]["covered_by"] == "content/reports/students.md"
    text = run_sitegen(site, "inbox", "--all").output.splitlines()
    marked = {line.split()[0] for line in text if re.search(r"\(covered: content/\S+\)$", line)}
    assert marked == {item_id(url) for url in covered}


def test_dismissed_items_go_to_data_and_leave_the_list(tmp_path: Path, feeds: FeedServer) -> None:
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {"Archive": "/rss1.xml"}))
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    wanted = item_id("https://archive.example.com/item/302")
    run = run_sitegen(site, "inbox", "dismiss", wanted, "--reason", "old news\nreally")
    assert run.exit_code == 0, run.output
    lines = [
        line
        for line in (site / "data" / "inbox-dismissed.txt").read_text().splitlines()
        if not line.startswith("#")
    ]
    today = dt.date.today().isoformat()  # the site's zone is UTC
    assert lines == [f"https://archive.example.com/item/302 {today} old news really"]
    assert [item["url"] for item in listed(site)] == ["https://archive.example.com/item/301"]
    every = {item["url"]: item["dismissed"] for item in listed(site, "--all")}
    assert every == {
        "https://archive.example.com/item/301": False,
        "https://archive.example.com/item/302": True,
    }
    # The store holds only what was fetched: deleting it and fetching again loses nothing.
    (site / STORE_NAME).unlink()
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    assert [item["url"] for item in listed(site)] == ["https://archive.example.com/item/301"]


def test_an_unknown_id_is_an_error_and_writes_nothing(tmp_path: Path, feeds: FeedServer) -> None:
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {"Archive": "/rss1.xml"}))
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    known = item_id("https://archive.example.com/item/301")
    run = run_sitegen(site, "inbox", "dismiss", known, "zzzzzzzz")
    assert run.exit_code == 1
    assert "error: no inbox item has the id 'zzzzzzzz'" in run.output
    assert "Traceback" not in run.output
    assert not (site / "data").exists()
    run = run_sitegen(site, "inbox", "draft", "zzzzzzzz")
    assert run.exit_code == 1
    assert not (site / "content").exists()


def test_a_broken_dismissals_line_is_named_with_its_line(tmp_path: Path, feeds: FeedServer) -> None:
    site = make_site(
        tmp_path / "site",
        {"data/inbox-dismissed.txt": "# ours\nhttps://a.example/1 2024-01-02 fine\nnot a line\n"},
        feed_config(feeds, {"Archive": "/rss1.xml"}),
    )
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    run = run_sitegen(site, "inbox")
    assert run.exit_code == 1
    assert "data/inbox-dismissed.txt:3: error: a dismissal is a URL, a date" in run.output


def test_a_draft_carries_the_items_provenance_and_passes_the_strict_check(
    tmp_path: Path, feeds: FeedServer
) -> None:
    site = coverage_site(tmp_path, feeds)
    (site / "data").mkdir()
    (site / "data" / "terms.toml").write_text(VOCABULARY, encoding="utf-8")
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    wanted = item_id("https://markets.example.org/news/102")
    run = run_sitegen(site, "inbox", "draft", wanted)
    assert run.exit_code == 0, run.output
    path = site / run.output.strip()
    year = dt.date.today().year
    assert (
        path
        == site / f"content/reports/{year}/customs-post-at-sinuiju-tightens-checks-on-phones.md"
    )
    data = front_matter(path)
    assert data["title"] == "Customs post at Sinuiju tightens checks on phones"
    assert data["source"] == {
        "name": "Markets",
        "url": "https://markets.example.org/news/102",
        "lang": "en",
    }
    assert data["date"] == dt.date.today().isoformat()
    assert data["draft"] is True
    assert data["tags"] == ["markets"]  # the feed's own
    assert data["places"] == ["Sinuiju"]  # named in the title
    assert "summary" not in data
    comments = [line for line in path.read_text().splitlines() if line.startswith("#   ")]
    assert "#   Inspectors now open every parcel, a trader said." in comments
    check = run_sitegen(site, "check", "--drafts", "--strict")
    assert check.exit_code == 0, check.output
    # The item is covered now; a second draft would repeat it.
    assert wanted not in {item["id"] for item in listed(site)}
    again = run_sitegen(site, "inbox", "draft", wanted)
    assert again.exit_code == 1
    assert "already covered by content/reports/" in again.output


def test_terms_are_suggested_from_aliases_in_any_script(tmp_path: Path, feeds: FeedServer) -> None:
    site = make_site(
        tmp_path / "site",
        {"data/terms.toml": VOCABULARY},
        feed_config(feeds, {"Voice": "/atom.xml"}),
    )
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    run = run_sitegen(site, "inbox", "draft", item_id("https://voice.example.net/ko/201"))
    assert run.exit_code == 0, run.output
    data = front_matter(site / run.output.strip())
    assert data["title"] == "혜산 장마당 쌀값 또 올라"
    assert data["places"] == ["Hyesan"]
    assert data["tags"] == ["rice"]
    assert data["source"]["lang"] == "ko"
    assert run_sitegen(site, "check", "--drafts", "--strict").exit_code == 0


def test_a_draft_never_overwrites_a_file(tmp_path: Path, feeds: FeedServer) -> None:
    year = dt.date.today().year
    taken = f"content/reports/{year}/bus-route-to-musan-reopens.md"
    site = make_site(tmp_path / "site", {taken: "mine\n"}, feed_config(feeds, {"A": "/rss1.xml"}))
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    run = run_sitegen(site, "inbox", "draft", item_id("https://archive.example.com/item/301"))
    assert run.exit_code == 0, run.output
    assert run.output.strip() == f"content/reports/{year}/bus-route-to-musan-reopens-2.md"
    assert (site / taken).read_text() == "mine\n"


def test_a_section_that_is_no_folder_name_is_an_error(tmp_path: Path, feeds: FeedServer) -> None:
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {"A": "/rss1.xml"}))
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    wanted = item_id("https://archive.example.com/item/301")
    run = run_sitegen(site, "inbox", "draft", wanted, "--section", "../outside")
    assert run.exit_code == 1
    assert "error: section '../outside' must be a plain folder name" in run.output
    assert "Traceback" not in run.output
    assert not (site / "content").exists()
    assert not (tmp_path / "outside").exists()


def test_a_hostile_feed_gives_text_and_a_draft_that_loads(
    tmp_path: Path, feeds: FeedServer
) -> None:
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {"Hostile": "/hostile.xml"}))
    run = run_sitegen(site, "inbox", "fetch")
    assert run.exit_code == 0, run.output
    assert re.search(r"^Hostile: note: 2 items skipped: no http\(s\) URL", run.output, re.M)
    (item,) = listed(site)
    assert item["url"] == "https://hostile.example.org/news/1"
    assert "\n" not in item["title"]
    assert "<script>" not in item["summary"]  # markup in a summary is taken out
    assert item["summary"].startswith("Bold claim: --- title: injected")
    run = run_sitegen(site, "inbox", "draft", item["id"])
    assert run.exit_code == 0, run.output
    path = site / run.output.strip()
    data = front_matter(path)
    assert data["title"] == item["title"]
    assert "injected" not in json.dumps(data)
    assert set(data) == {"title", "date", "tags", "places", "source", "draft"}
    built = run_sitegen(site, "build", "--drafts", "--strict")
    assert built.exit_code == 0, built.output
    page = built.page(f"/reports/{path.stem}/")
    heading = page.xpath("//h1")[0]
    assert heading.text_content() == item["title"]
    assert heading.xpath(".//*") == []  # the title's tags are text, not elements
    assert page.xpath("//img[@onerror]") == []


def test_text_adds_the_articles_main_text_as_comments(tmp_path: Path, feeds: FeedServer) -> None:
    article = feeds.url("/article.html")
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'
        f"<item><title>Rice prices climb</title><link>{article}</link></item></channel></rss>"
    ).encode()
    feeds.routes["/local.xml"] = lambda _: __import__("tests.feed_server").feed_server.Answer(
        200, feed, {"Content-Type": "application/rss+xml"}
    )
    site = make_site(tmp_path / "site", {}, feed_config(feeds, {"Local": "/local.xml"}))
    assert run_sitegen(site, "inbox", "fetch").exit_code == 0
    run = run_sitegen(site, "inbox", "draft", item_id(article), "--text")
    assert run.exit_code == 0, run.output
    text = (site / run.output.strip()).read_text()
    comments = " ".join(
        line.removeprefix("#   ") for line in text.splitlines() if line.startswith("#   ")
    )
    assert "rose for the third week in a row" in comments
    assert "All rights reserved" not in comments  # the page's footer is not the article
    assert run_sitegen(site, "check", "--drafts", "--strict").exit_code == 0


def test_feed_settings_are_checked_with_their_line(tmp_path: Path) -> None:
    site = make_site(
        tmp_path / "site",
        {},
        """\
        title = "Desk"

        [[inbox.feeds]]
        name = "Good"
        url = "https://good.example/feed"

        [[inbox.feeds]]
        name = "Bad"
        url = "ftp://bad.example/feed"
        lang = "xx-nope"
        topics = ["a"]
        """,
    )
    run = run_sitegen(site, "inbox")
    assert run.exit_code == 1
    assert "sitegen.toml:7: error: feed url 'ftp://bad.example/feed' must be http or https" in (
        run.output
    )
    assert "sitegen.toml:7: error: unknown language code 'xx-nope'" in run.output
    assert "sitegen.toml:7: error: unknown feed setting 'topics'" in run.output


def test_no_feeds_is_an_error_for_fetch(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {}, 'title = "Desk"\n')
    run = run_sitegen(site, "inbox", "fetch")
    assert run.exit_code == 1
    assert "error: no feeds to fetch" in run.output


@pytest.mark.parametrize(
    "spelling",
    [
        "HTTPS://Markets.EXAMPLE.org:443/news/101",
        "https://markets.example.org/news/101/",
        "https://markets.example.org/news/101#comments",
        "https://markets.example.org/news/101?utm_source=a&utm_campaign=b&fbclid=x",
        "https://markets.example.org/%6Eews/101",
    ],
)
def test_spellings_of_one_address_meet(spelling: str) -> None:
    plain = "https://markets.example.org/news/101"
    assert normalise_url(spelling) == normalise_url(plain)
    assert item_id(spelling) == item_id(plain)


def test_different_addresses_stay_apart() -> None:
    assert item_id("https://a.example/news?id=1") != item_id("https://a.example/news?id=2")
    assert normalise_url("https://a.example/A%2fb") == "https://a.example/A%2Fb"
    assert normalise_url("https://a.example/A") != normalise_url("https://a.example/a")


@settings(max_examples=200, deadline=None)
@given(title=st.text(min_size=1), summary=st.text())
def test_any_title_and_summary_give_front_matter_that_loads_to_the_title(
    title: str, summary: str
) -> None:
    now = dt.datetime(2024, 12, 5, tzinfo=dt.UTC)
    item = FeedItem(
        "abcdefgh", "https://a.example/1", "https://a.example/1", "Outlet: \"x\"\n---",
        "https://a.example/feed", title, summary, None, "en", now,
    )  # fmt: skip
    text = draft_text(item, {"tags": ["a: b"], "places": []}, now.date())
    data = split_front_matter(text, Path("draft.md")).data
    assert data["title"] == title
    assert data["source"]["name"] == item.outlet
    assert set(data) == {"title", "date", "tags", "places", "source", "draft"}
    assert yaml.safe_dump(data)  # plain data, nothing else


def test_a_dismissal_is_no_edit_of_the_site(tmp_path: Path) -> None:
    """The dismissals file shows on no page: writing it sets off no rebuild."""
    site = make_site(
        tmp_path / "site",
        {
            "data/inbox-dismissed.txt": "https://a.example/1 2024-01-02\n",
            "data/terms.toml": VOCABULARY,
        },
        'title = "Desk"\n',
    )
    plan = plan_watch(load_config(site))
    data = site.resolve() / "data"
    assert not plan.is_relevant(data / "inbox-dismissed.txt")
    assert plan.is_relevant(data / "terms.toml")
    stamped = {path for path in input_stamps(plan) if Path(path).is_relative_to(site.resolve())}
    assert stamped == {str(site.resolve() / "sitegen.toml"), str(data / "terms.toml")}


def test_the_dev_server_s_inbox_page_and_drafts_load_no_http_client() -> None:
    """Fetching's libraries (httpx, feedparser) load with `sitegen inbox fetch` and
    `inbox draft --text` only: the dev server, which shows the inbox page and writes
    drafts, starts without them."""
    probe = (
        "import sys, sitegen.cli, sitegen.serve, sitegen.inbox.page, sitegen.inbox.drafts\n"
        "print(sorted(m for m in ('httpx', 'feedparser', 'trafilatura') if m in sys.modules))"
    )
    said = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert said.stdout.strip() == "[]"
