"""What the desk has done with the items: reports that cover them, and dismissals.

An item is covered when any report file (drafts included, any language) names its URL as
`source.url` or among its `translations`, compared after `normalise_url`. Dismissals are
the desk's shared decision not to cover an item: `data/inbox-dismissed.txt`, committed with
the content, one normalised URL a line with the date and the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.config import SiteConfig
from sitegen.content.discover import discover_sources
from sitegen.content.frontmatter import split_front_matter
from sitegen.content.report import read_report_text
from sitegen.errors import ContentError, SitegenError, SourceLocation
from sitegen.inbox.links import normalise_url
from sitegen.inbox.store import FeedItem

DISMISSALS_FILE = Path("data") / "inbox-dismissed.txt"
"""The desk's dismissals, relative to the site's folder (`SiteConfig.dismissals_path`)."""
_DISMISSALS_HEADER = """\
# Items of `sitegen inbox` that the desk decided not to cover.
# One a line: the item's normalised URL, the date, then the reason (if any).
"""
_DISMISSAL_LINE = re.compile(r"^(\S+)[ \t]+(\d{4}-\d{2}-\d{2})(?:[ \t]+(.*))?$")


@dataclass(frozen=True, slots=True)
class Dismissal:
    """The desk's decision not to cover an item."""

    url: str
    """The item's normalised URL."""
    date: dt.date
    reason: str


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """An item and what the desk has done with it."""

    item: FeedItem
    covered_by: Path | None = None
    """The report file (relative to the site's folder) that covers it, if one does."""
    dismissed: Dismissal | None = None

    @property
    def is_open(self) -> bool:
        """Whether the desk has still to decide on it: neither covered nor dismissed."""
        return self.covered_by is None and self.dismissed is None


def _linked_urls(data: Mapping[str, Any]) -> Iterable[str]:
    source = data.get("source")
    if isinstance(source, Mapping) and isinstance(source.get("url"), str):
        yield source["url"]
    translations = data.get("translations")
    if isinstance(translations, list):
        for translation in translations:
            if isinstance(translation, Mapping) and isinstance(translation.get("url"), str):
                yield translation["url"]


def covered_urls(config: SiteConfig) -> dict[str, Path]:
    """Each normalised URL that a report links as its source or a translation, and the report.

    The report is given as its file, relative to the site's folder.

    Every report file counts, drafts and files with mistakes elsewhere included; a file
    whose front matter does not parse covers nothing (`sitegen check` says why).
    """
    sources, _ = discover_sources(config)
    covered: dict[str, Path] = {}
    for source in sources:
        try:
            front = split_front_matter(read_report_text(source), source.display)
        except SitegenError:
            continue
        for url in _linked_urls(front.data):
            covered.setdefault(normalise_url(url), source.display)
    return covered


def read_dismissals(root: Path) -> dict[str, Dismissal]:
    """The desk's dismissals by normalised URL; a line that is not one is a ContentError."""
    path = root / DISMISSALS_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(
            f"cannot read the dismissals: {error}", SourceLocation(DISMISSALS_FILE)
        ) from None
    found: dict[str, Dismissal] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DISMISSAL_LINE.match(stripped)
        date: dt.date | None = None
        if match is not None:
            try:
                date = dt.date.fromisoformat(match.group(2))
            except ValueError:
                date = None
        if match is None or date is None:
            raise ContentError(
                "a dismissal is a URL, a date (YYYY-MM-DD) and a reason",
                SourceLocation(DISMISSALS_FILE, number),
                "e.g. https://example.org/news/1 2024-03-18 covered elsewhere",
            )
        url = normalise_url(match.group(1))
        found[url] = Dismissal(url, date, (match.group(3) or "").strip())
    return found


def dismiss_items(
    root: Path, items: Iterable[FeedItem], reason: str, today: dt.date
) -> tuple[FeedItem, ...]:
    """Add items to the dismissals file; returns those that were not dismissed already."""
    known = read_dismissals(root)
    reason = " ".join(reason.split())
    fresh: dict[str, FeedItem] = {}
    for item in items:
        if item.key not in known:
            fresh.setdefault(item.key, item)
    if not fresh:
        return ()
    path = root / DISMISSALS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        text = _DISMISSALS_HEADER
    if text and not text.endswith("\n"):
        text += "\n"
    for key in fresh:
        text += f"{key} {today.isoformat()}{' ' + reason if reason else ''}\n"
    path.write_text(text, encoding="utf-8")
    return tuple(fresh.values())


def inbox_entries(config: SiteConfig, items: Iterable[FeedItem]) -> tuple[InboxEntry, ...]:
    """The items, in the order given, with the report that covers each and its dismissal."""
    covered = covered_urls(config)
    dismissed = read_dismissals(config.root)
    return tuple(InboxEntry(item, covered.get(item.key), dismissed.get(item.key)) for item in items)


def find_entry(entries: Iterable[InboxEntry], wanted: str) -> InboxEntry:
    """The entry whose id is `wanted` (or starts with it); a SitegenError if none or several."""
    wanted = wanted.strip().lower()
    matches = [e for e in entries if e.item.id == wanted]
    if not matches and len(wanted) >= 4:
        matches = [e for e in entries if e.item.id.startswith(wanted)]
    if not matches:
        raise SitegenError(
            f"no inbox item has the id {wanted!r}", hint="`sitegen inbox --all` lists them"
        )
    if len({e.item.key for e in matches}) > 1:
        ids = ", ".join(sorted(e.item.id for e in matches))
        raise SitegenError(f"{wanted!r} could be any of {ids}", hint="give more of the id")
    return matches[0]
