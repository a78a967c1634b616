"""The SQLite file of fetched items, in the site's folder and git-ignored.

It holds only what was fetched (items, and each feed's validators for conditional
requests): deleting it loses nothing that the next `sitegen inbox fetch` cannot bring back.
What the desk decided (dismissals) lives in `data/`, with the content.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import SitegenError, SourceLocation

STORE_NAME = ".sitegen-inbox.sqlite"
"""The item store's file name, in the site's folder beside the cache."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    fetched TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    outlet TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    published TEXT,
    lang TEXT NOT NULL,
    seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_id ON items (id);
"""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One article an outlet's feed listed."""

    id: str
    """Short and stable: from the normalised URL."""
    key: str
    """The normalised URL, which reports' links are compared with."""
    url: str
    """The URL as the feed gave it."""
    outlet: str
    """The feed's name in sitegen.toml."""
    feed_url: str
    title: str
    """Plain text (any markup in the feed is taken out)."""
    summary: str
    """Plain text."""
    published: dt.datetime | None
    """When the feed says it was published (UTC); None where it does not say."""
    lang: str
    seen: dt.datetime
    """When it was first fetched (UTC)."""

    @property
    def when(self) -> dt.datetime:
        """The time it is sorted by: published, else first seen."""
        return self.published or self.seen

    def day(self, zone: dt.tzinfo) -> dt.date:
        """The day it is listed under, in a time zone (the site's)."""
        return self.when.astimezone(zone).date()


@dataclass(frozen=True, slots=True)
class Validators:
    """What a feed's last answer said to ask with next time, for a `304 Not Modified`."""

    etag: str | None = None
    last_modified: str | None = None


def _time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


class ItemStore:
    """The fetched items of one site; open it with `open_store`."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def validators(self, feed_url: str) -> Validators:
        """The validators stored for a feed's URL (none for a feed not fetched yet)."""
        row = self._db.execute(
            "SELECT etag, last_modified FROM feeds WHERE url = ?", (feed_url,)
        ).fetchone()
        return Validators() if row is None else Validators(row[0], row[1])

    def save_feed(
        self, feed_url: str, validators: Validators, items: Iterable[FeedItem], now: dt.datetime
    ) -> None:
        """Store a feed's answer: its validators and its items (first-seen times kept)."""
        with self._db:
            self._db.execute(
                "INSERT INTO feeds (url, etag, last_modified, fetched) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, fetched = excluded.fetched",
                (feed_url, validators.etag, validators.last_modified, now.isoformat()),
            )
            self._db.executemany(
                "INSERT INTO items (key, id, url, outlet, feed_url, title, summary, published, "
                "lang, seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE "
                "SET url = excluded.url, outlet = excluded.outlet, feed_url = excluded.feed_url, "
                "title = excluded.title, summary = excluded.summary, "
                "published = excluded.published, lang = excluded.lang",
                [
                    (
                        item.key, item.id, item.url, item.outlet, item.feed_url, item.title,
                        item.summary, item.published.isoformat() if item.published else None,
                        item.lang, item.seen.isoformat(),
                    )
                    for item in items
                ],
            )  # fmt: skip

    def items(self) -> tuple[FeedItem, ...]:
        """Every stored item, newest first."""
        rows = self._db.execute(
            "SELECT id, key, url, outlet, feed_url, title, summary, published, lang, seen "
            "FROM items"
        ).fetchall()
        items = [
            FeedItem(
                row[0], row[1], row[2], row[3], row[4], row[5], row[6], _time(row[7]), row[8],
                dt.datetime.fromisoformat(row[9]),
            )
            for row in rows
        ]  # fmt: skip
        return tuple(sorted(items, key=lambda item: (item.when, item.key), reverse=True))


@contextmanager
def open_store(root: Path) -> Iterator[ItemStore]:
    """The site's item store, made where there is none yet."""
    path = root / STORE_NAME
    try:
        connection = sqlite3.connect(path, timeout=10)
        with closing(connection):
            connection.executescript(_SCHEMA)
            yield ItemStore(connection)
    except sqlite3.DatabaseError as error:
        raise SitegenError(
            f"the inbox's item store cannot be read: {error}",
            SourceLocation(Path(STORE_NAME)),
            "delete it and run `sitegen inbox fetch` again; nothing is lost",
        ) from None


def ignore_store(root: Path) -> None:
    """Add the item store to the site's .gitignore, where the site is a git repository."""
    ignore = root / ".gitignore"
    line = f"/{STORE_NAME}"
    if not ignore.is_file() and not (root / ".git").exists():
        return
    try:
        text = ignore.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if line in {entry.strip() for entry in text.splitlines()}:
        return
    prefix = "" if not text or text.endswith("\n") else "\n"
    ignore.write_text(f"{text}{prefix}{line}\n", encoding="utf-8")
