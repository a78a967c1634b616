"""`sitegen inbox fetch`: ask every outlet's feed for what it published, store the items.

Each feed is fetched with a timeout, at most `MAX_REDIRECTS` redirects, a size limit and
the validators of its last answer (so an unchanged feed costs a `304 Not Modified`), then
parsed by feedparser (RSS 0.9x, 1.0, 2.0, Atom). Whatever a feed holds is text: titles and
summaries lose any markup here, and control characters with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
import xml.sax
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import feedparser
import httpx

from sitegen.config import InboxFeed, InboxSettings, SiteConfig, is_known_language
from sitegen.inbox.links import is_web_url, item_id, normalise_url
from sitegen.inbox.store import FeedItem, ItemStore, Validators
from sitegen.inbox.text import plain_text

MAX_REDIRECTS = 5
"""Redirects followed for one request; more is an error (a loop, most likely)."""
PARALLEL_FETCHES = 4
"""Feeds asked at once."""
_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.DOTALL | re.IGNORECASE)


NO_VALIDATORS = Validators()
"""An unconditional request."""


class FetchFailed(Exception):
    """One feed could not be fetched or read; the message says what happened."""


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What fetching one feed came to."""

    feed: InboxFeed
    ok: bool
    message: str
    """What happened: how many items, not modified, or the error."""
    notes: tuple[str, ...] = ()
    """Items left out and why (too many, not http(s))."""


@dataclass(frozen=True, slots=True)
class _Answer:
    """A feed's answer: its body (None for 304) and validators."""

    body: bytes | None
    url: str
    content_type: str
    validators: Validators


def user_agent(config: SiteConfig) -> str:
    """The User-Agent of every request: sitegen, its version and the site."""
    try:
        own = version("sitegen")
    except PackageNotFoundError:
        own = "0"
    site = config.base_url if config.base_url.startswith("http") else config.title
    return f"sitegen/{own} (feed reader of {site})"


def make_client(config: SiteConfig) -> httpx.Client:
    """The HTTP client for feeds and articles: timeout, redirects, gzip, User-Agent."""
    return httpx.Client(
        timeout=httpx.Timeout(float(config.inbox.timeout)),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": user_agent(config), "Accept-Encoding": "gzip, deflate"},
    )


def download(
    client: httpx.Client,
    url: str,
    settings: InboxSettings,
    *,
    validators: Validators = NO_VALIDATORS,
    accept: str = _ACCEPT,
) -> tuple[bytes | None, httpx.Response]:
    """GET a URL within the limits; the body is None for a `304 Not Modified`.

    Raises FetchFailed saying what went wrong.
    """
    headers = {"Accept": accept}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    deadline = time.monotonic() + settings.timeout
    limit = settings.max_bytes
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return None, response
            if response.status_code >= 400:
                raise FetchFailed(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchFailed(_too_large(limit))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchFailed(_too_large(limit))
                if time.monotonic() > deadline:
                    raise FetchFailed(f"timed out after {settings.timeout} s")
                chunks.append(chunk)
            return b"".join(chunks), response
    except httpx.TooManyRedirects:
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
    except httpx.TimeoutException:
        raise FetchFailed(f"timed out after {settings.timeout} s") from None
    except httpx.DecodingError as error:
        raise FetchFailed(f"the answer cannot be decompressed: {error}") from None
    except httpx.ConnectError as error:
        raise FetchFailed(f"cannot connect: {error}") from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise FetchFailed(f"{type(error).__name__}: {error}") from None


def _too_large(limit: int) -> str:
    return f"larger than the size limit ({limit / 1_000_000:g} MB; inbox.max_bytes)"


def _fetch(
    client: httpx.Client, feed: InboxFeed, settings: InboxSettings, old: Validators
) -> _Answer:
    body, response = download(client, feed.url, settings, validators=old)
    validators = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
    if body is None:
        return _Answer(None, str(response.url), "", Validators(
            validators.etag or old.etag, validators.last_modified or old.last_modified
        ))  # fmt: skip
    return _Answer(body, str(response.url), response.headers.get("Content-Type", ""), validators)


def _detail_text(entry: Any, key: str) -> str:
    detail = entry.get(f"{key}_detail") or {}
    markup = str(detail.get("type", "text/plain")) in ("text/html", "application/xhtml+xml")
    return plain_text(str(entry.get(key, "") or ""), markup)


def _published(entry: Any) -> dt.datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        year, month, day, hour, minute, second = parsed[:6]
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return None


def _language(entry: Any, default: str) -> str:
    detail = entry.get("title_detail") or {}
    for code in (entry.get("language"), detail.get("language")):
        if isinstance(code, str) and is_known_language(code.strip()):
            return code.strip()
    return default


def parse_feed(
    feed: InboxFeed, answer: _Answer, max_items: int, now: dt.datetime
) -> tuple[tuple[FeedItem, ...], tuple[str, ...]]:
    """The items of a feed's body, and notes on those left out. Raises FetchFailed."""
    body = answer.body or b""
    if _ENTITY_DECLARATION.search(body[:65536]):
        raise FetchFailed("the feed declares XML entities; refused (an entity-expansion bomb?)")
    parsed = feedparser.parse(
        body, sanitize_html=False, resolve_relative_uris=False,
        response_headers={"content-location": answer.url, "content-type": answer.content_type},
    )  # fmt: skip
    error = parsed.get("bozo_exception")
    if not parsed.get("version"):
        kind = answer.content_type.split(";")[0].strip() or "no content type"
        claims_xml = "xml" in kind
        broken = (
            f"; malformed XML: {error}"
            if claims_xml and isinstance(error, xml.sax.SAXException)
            else ""
        )
        raise FetchFailed(f"not an RSS or Atom feed ({kind}{broken})")
    if isinstance(error, xml.sax.SAXException):
        raise FetchFailed(f"malformed XML: {error}")
    entries = parsed.entries
    notes: list[str] = []
    if len(entries) > max_items:
        notes.append(
            f"the feed lists {len(entries)} items; only the first {max_items} are read "
            "(inbox.max_items)"
        )
        entries = entries[:max_items]
    items: dict[str, FeedItem] = {}
    skipped: list[str] = []
    for entry in entries:
        link = str(entry.get("link") or "").strip()
        if not link:
            guid = str(entry.get("id") or "").strip()
            link = guid if is_web_url(guid) else ""
        if not is_web_url(link):
            skipped.append(link)
            continue
        key = normalise_url(link)
        items.setdefault(key, FeedItem(
            id=item_id(link), key=key, url=link, outlet=feed.name, feed_url=feed.url,
            title=_detail_text(entry, "title") or link, summary=_detail_text(entry, "summary"),
            published=_published(entry), lang=_language(entry, feed.lang), seen=now,
        ))  # fmt: skip
    if skipped:
        example = plain_text(skipped[0], False)[:60] or "none"
        notes.append(
            f"{len(skipped)} item{'s' if len(skipped) != 1 else ''} skipped: "
            f"no http(s) URL (first: {example!r})"
        )
    return tuple(items.values()), tuple(notes)


def _fetch_and_parse(
    client: httpx.Client, feed: InboxFeed, settings: InboxSettings, old: Validators,
    now: dt.datetime,
) -> tuple[_Answer, tuple[FeedItem, ...], tuple[str, ...]]:  # fmt: skip
    answer = _fetch(client, feed, settings, old)
    if answer.body is None:
        return answer, (), ()
    items, notes = parse_feed(feed, answer, settings.max_items, now)
    return answer, items, notes


def fetch_feeds(
    config: SiteConfig,
    store: ItemStore,
    *,
    on_done: Callable[[FeedOutcome, int, int], None] | None = None,
    client: httpx.Client | None = None,
) -> tuple[FeedOutcome, ...]:
    """Fetch every configured feed and store its items; one failing feed stops no other.

    `on_done(outcome, done, total)` is told as each feed ends. Outcomes are in the order
    of the feeds in sitegen.toml.
    """
    feeds = config.inbox.feeds
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    outcomes: dict[int, FeedOutcome] = {}
    with (
        contextlib.nullcontext(client) if client else make_client(config) as http,
        ThreadPoolExecutor(PARALLEL_FETCHES) as pool,
    ):
        futures = {
            pool.submit(
                _fetch_and_parse, http, feed, config.inbox, store.validators(feed.url), now
            ): number
            for number, feed in enumerate(feeds)
        }
        for future in as_completed(futures):
            number = futures[future]
            feed = feeds[number]
            try:
                answer, items, notes = future.result()
            except FetchFailed as error:
                outcome = FeedOutcome(feed, False, str(error))
            else:
                store.save_feed(feed.url, answer.validators, items, now)
                message = (
                    "not modified (304); stored items kept"
                    if answer.body is None
                    else f"{len(items)} item{'s' if len(items) != 1 else ''}"
                )
                outcome = FeedOutcome(feed, True, message, notes)
            outcomes[number] = outcome
            if on_done is not None:
                on_done(outcome, len(outcomes), len(feeds))
    return tuple(outcomes[number] for number in range(len(feeds)))
