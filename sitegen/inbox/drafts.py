"""`sitegen inbox draft`: a draft report from an item, its provenance filled in.

The draft has `source` (the outlet, the item's URL, its language), today's date, the item's
title as a starting title, and tags and places suggested from the vocabulary. The feed's
summary (and, asked for, the article's main text) follows as YAML comment lines at the end
of the front matter: there for the editor to work from, never published by mistake.
A draft never replaces a file: a taken name gets `-2`, `-3`, ...
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import yaml

from sitegen.config import InboxFeed, SiteConfig
from sitegen.errors import SitegenError
from sitegen.inbox.store import FeedItem
from sitegen.inbox.text import plain_text
from sitegen.urls import fold_term, slugify_text
from sitegen.vocabulary import Vocabulary, load_vocabulary

MAX_SLUG = 60
"""Characters of the title a draft's file name keeps."""
COMMENT_WIDTH = 88
"""Where the comment lines of a draft wrap."""
_ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft written: its file, and what the editor should know about it."""

    path: Path
    """Absolute path of the new file."""
    notes: tuple[str, ...] = ()


def yaml_text(value: str) -> str:
    """A double-quoted YAML scalar that loads back to exactly `value`."""
    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=sys.maxsize).rstrip(
        "\n"
    )


def _mentions(folded_text: str, spelling: str) -> bool:
    folded = fold_term(spelling)
    if not folded:
        return False
    if folded.isascii():
        return re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", folded_text) is not None
    return folded in folded_text


def suggest_terms(
    config: SiteConfig, vocabulary: Vocabulary, feed: InboxFeed | None, text: str
) -> tuple[dict[str, list[str]], tuple[str, ...]]:
    """Terms per taxonomy for a draft, and notes on the feed's terms left out.

    The feed's own terms come first, then each vocabulary term whose name or alias the text
    mentions. A feed's term that the vocabulary does not know is left out, with a note.
    """
    folded_text = fold_term(text)
    found: dict[str, list[str]] = {taxonomy: [] for taxonomy in config.taxonomies}
    notes: list[str] = []
    outlet = feed.name if feed is not None else ""
    for taxonomy, terms in feed.terms if feed is not None else ():
        for written in terms:
            known = vocabulary.find(taxonomy, written)
            if known is None and vocabulary.covers(taxonomy):
                notes.append(
                    f"feed {outlet!r}: {taxonomy} term {written!r} is not in data/terms.toml; "
                    "left out"
                )
                continue
            name = known.name if known is not None else written
            if name not in found[taxonomy]:
                found[taxonomy].append(name)
    for (taxonomy, spelling), term in sorted(vocabulary.terms.items()):
        fresh = taxonomy in found and term.name not in found[taxonomy]
        if fresh and _mentions(folded_text, spelling):
            found[taxonomy].append(term.name)
    return found, tuple(notes)


def _comment_block(heading: str, text: str) -> list[str]:
    lines = [f"# {heading}"]
    for paragraph in text.splitlines():
        clean = plain_text(paragraph, False)
        if clean:
            lines += [
                "#   " + line
                for line in textwrap.wrap(clean, COMMENT_WIDTH - 4, break_long_words=False)
            ]
    return lines


def draft_text(
    item: FeedItem,
    terms: dict[str, list[str]],
    today: dt.date,
    article: str | None = None,
    zone: dt.tzinfo = dt.UTC,
) -> str:
    """The text of a draft report for an item."""
    lines = [
        "---",
        f"title: {yaml_text(item.title)}",
        f"date: {today.isoformat()}",
        "# author: A. Writer",
        "# summary: One or two sentences, used in lists, feeds and social cards.",
    ]
    for taxonomy, names in terms.items():
        lines.append(f"{taxonomy}: [{', '.join(yaml_text(name) for name in names)}]")
    lines += [
        "source:",
        f"  name: {yaml_text(item.outlet)}",
        f"  url: {yaml_text(item.url)}",
        f"  lang: {yaml_text(item.lang)}",
        "draft: true",
    ]
    published = item.day(zone).isoformat() if item.published else "no date given"
    lines.append(f"# From the inbox: item {item.id}, published {published}.")
    lines += _comment_block("The feed's title:", item.title)
    if item.summary:
        lines += _comment_block("The feed's summary:", item.summary)
    if article:
        lines += _comment_block("The article's text:", article)
    lines += ["---", "Write the report here.", ""]
    return "\n".join(lines)


def _free_path(folder: Path, slug: str) -> Path:
    candidate = folder / f"{slug}.md"
    number = 2
    while candidate.exists():
        candidate = folder / f"{slug}-{number}.md"
        number += 1
    return candidate


def draft_slug(item: FeedItem) -> str:
    """A draft's file name (without `.md`): its title's slug, shortened, or the item's id."""
    slug = slugify_text(item.title)
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug or f"item-{item.id}"


def fetch_article_text(config: SiteConfig, url: str) -> str:
    """The main text of the article at `url`, extracted from its page. Raises FetchFailed."""
    import trafilatura  # a large import, needed only here

    from sitegen.inbox.fetch import FetchFailed, download, make_client

    with make_client(config) as client:
        body, response = download(client, url, config.inbox, accept=_ARTICLE_ACCEPT)
    if body is None:
        raise FetchFailed("the page answered 304 Not Modified to a plain request")
    # Bytes: trafilatura finds the page's encoding (its <meta charset> too) by itself.
    text = trafilatura.extract(body, url=str(response.url), include_comments=False)
    if not text:
        raise FetchFailed("no main text found in the page")
    return str(text)


def write_draft(
    config: SiteConfig,
    item: FeedItem,
    *,
    section: str = "reports",
    today: dt.date | None = None,
    with_text: bool = False,
) -> Draft:
    """Write a draft report for an item under content/<section>/<year>/; never overwrites."""
    if not section or slugify_text(section) != section:
        raise SitegenError(f"section {section!r} must be a plain folder name, like reports")
    today = today or dt.datetime.now(config.zone).date()
    feed = next((feed for feed in config.inbox.feeds if feed.url == item.feed_url), None)
    feed = feed or next((feed for feed in config.inbox.feeds if feed.name == item.outlet), None)
    terms, notes = suggest_terms(
        config, load_vocabulary(config), feed, f"{item.title}\n{item.summary}"
    )
    article: str | None = None
    if with_text:
        from sitegen.inbox.fetch import FetchFailed  # the HTTP client, only with the text

        try:
            article = fetch_article_text(config, item.url)
        except FetchFailed as error:
            notes = (*notes, f"the article's text was not added: {error}")
    folder = config.content_path / section / str(today.year)
    folder.mkdir(parents=True, exist_ok=True)
    text = draft_text(item, terms, today, article, config.zone)
    while True:
        path = _free_path(folder, draft_slug(item))
        try:
            with path.open("x", encoding="utf-8") as file:  # never replaces a file
                file.write(text)
        except FileExistsError:
            continue  # made since we looked
        return Draft(path, notes)
