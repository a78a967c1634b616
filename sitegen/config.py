"""The site's settings: a frozen SiteConfig read from sitegen.toml, every key defaulted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from sitegen.errors import ConfigError, SourceLocation

CONFIG_NAME = "sitegen.toml"


@dataclass(frozen=True, slots=True)
class Permalinks:
    """URL patterns; each starts and ends with '/'."""

    report: str = "/{section}/{slug}/"
    """A report's URL; `{section}` is its top folder under content/, `{slug}` its slug."""
    term: str = "/{taxonomy}/{slug}/"
    """One tag's or place's page; `{taxonomy}` is e.g. `tags`."""
    timeline: str = "/timeline/"
    """The timeline; each year is below it (`/timeline/2024/`)."""


EDITION_PERIODS = ("day", "week", "month")
"""How often an edition may come out; weeks are ISO weeks, from Monday."""


@dataclass(frozen=True, slots=True)
class EditionSettings:
    """The `[editions]` table: how often the digest comes out, and its email's addresses."""

    every: str = "week"
    """The period of one edition: `day`, `week` (an ISO week, from Monday) or `month`."""
    sender: str = ""
    """The email's `From` (the table's `from` key), e.g. `Border Desk <desk@example.org>`."""
    unsubscribe: str = ""
    """A URL or mailto: address for the email's `List-Unsubscribe` header and footer."""


@dataclass(frozen=True, slots=True)
class LanguageSettings:
    """One language of the site (`[languages.ko]`): the site's title and description in it."""

    code: str
    """A language code Babel knows (`ko`)."""
    title: str = ""
    """The site's title on that language's pages and feeds; '' for the site's `title`."""
    description: str = ""
    """The site's description in that language; '' for the site's `description`."""


LANGUAGE_KEYS = ("title", "description")
"""The keys a `[languages.<code>]` table may hold."""
RESERVED_TAXONOMIES = ("sources",)
"""Taxonomies sitegen makes itself: the source outlets, from each report's `source.name`."""


@dataclass(frozen=True, slots=True)
class InboxFeed:
    """One outlet the desk follows: `[[inbox.feeds]]` in sitegen.toml."""

    name: str
    """The outlet's name, as drafts credit it (`source.name`)."""
    url: str
    """The address of its RSS or Atom feed (http or https)."""
    lang: str
    """The language of its items where an entry states none (the site's language by default)."""
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(taxonomy, terms) the outlet is usually about, suggested in every draft from it."""


@dataclass(frozen=True, slots=True)
class InboxSettings:
    """The curation inbox: `[inbox]` and its `[[inbox.feeds]]` in sitegen.toml."""

    feeds: tuple[InboxFeed, ...] = ()
    """The outlets to follow."""
    max_items: int = 1000
    """The most items read from one feed; the rest are left out, with a note."""
    max_bytes: int = 10_000_000
    """The largest feed (after decompression) read; a larger one is an error."""
    timeout: int = 20
    """Seconds a feed may take to answer before its fetch fails."""


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Everything sitegen.toml may set. Each field has a default."""

    root: Path
    """The site's folder (where sitegen.toml is, or would be)."""
    title: str = "Digest"
    """The site's name, shown in the header and page titles."""
    description: str = ""
    """One sentence about the site, for the home page and metadata."""
    base_url: str = "/"
    """Where the site is hosted, e.g. `https://example.org/digest/`; links follow its path."""
    language: str = "en"
    """The language of reports without a language of their own (a code Babel knows)."""
    languages: tuple[LanguageSettings, ...] = ()
    """The site's languages: `[languages.ko]` tables with a title and a description, or the
    short form `languages = ["en", "ko"]`. Their codes are accepted as file suffixes
    (`name.ko.md`) and in `lang:`."""
    timezone: str = "UTC"
    """The IANA zone for dates written without an offset."""
    theme: str = "default"
    """The theme's name: `themes/<name>/` in the site, or a theme shipped with sitegen."""
    related: int = 5
    """How many related reports each report page lists; 0 lists none."""
    per_page: int = 10
    """Reports per page on the home page and term pages."""
    feed_entries: int = 20
    """The newest reports each Atom feed holds (the site's, each language's, each term's)."""
    taxonomies: tuple[str, ...] = ("tags", "places")
    """Front-matter keys that hold terms; each gets index and term pages."""
    allow_raw_html: bool = False
    """Let raw HTML in Markdown through (sanitised); otherwise it is shown as text."""
    search: bool = True
    """Make a /search/ page with a full-text index of every report (needs `pagefind[bin]`)."""
    permalinks: Permalinks = field(default_factory=Permalinks)
    """URL patterns."""
    editions: EditionSettings = field(default_factory=EditionSettings)
    """The weekly (or daily, or monthly) digest's settings: `[editions]`."""
    content_dir: str = "content"
    """Where the reports are, relative to the site's folder."""
    output_dir: str = "output"
    """Where the built site goes, relative to the site's folder."""
    inbox: InboxSettings = field(default_factory=InboxSettings)
    """The outlets' feeds that `sitegen inbox` follows."""

    @property
    def language_codes(self) -> tuple[str, ...]:
        """The codes of the languages the configuration lists (the site's `language` aside)."""
        return tuple(settings.code for settings in self.languages)

    @property
    def term_taxonomies(self) -> tuple[str, ...]:
        """Every taxonomy with pages of its own: the configured ones, then source outlets."""
        return (*self.taxonomies, *RESERVED_TAXONOMIES)

    def title_in(self, lang: str) -> str:
        """The site's title in a language: its `[languages.<code>]` title, else `title`."""
        found = next((s.title for s in self.languages if s.code == lang and s.title), None)
        return found or self.title

    def description_in(self, lang: str) -> str:
        """The site's description in a language, else `description`."""
        found = next((s.description for s in self.languages if s.code == lang), None)
        return found or self.description

    @property
    def content_path(self) -> Path:
        """The absolute content folder."""
        return self.root / self.content_dir

    @property
    def output_path(self) -> Path:
        """The absolute output folder."""
        return self.root / self.output_dir

    @property
    def static_path(self) -> Path:
        """The site's static files, copied as they are."""
        return self.root / "static"

    @property
    def templates_path(self) -> Path:
        """The site's own templates, which override the theme's."""
        return self.root / "templates"

    @property
    def data_path(self) -> Path:
        """The site's data files."""
        return self.root / "data"

    @property
    def dismissals_path(self) -> Path:
        """The inbox's dismissals: under data/, committed with the content, never built."""
        return self.data_path / "inbox-dismissed.txt"

    @property
    def base_path(self) -> str:
        """The path part of base_url, starting and ending with '/'."""
        match = re.match(r"^[a-z][a-z0-9+.-]*://[^/]+(/.*)?$", self.base_url, re.IGNORECASE)
        path = (match.group(1) or "/") if match else self.base_url
        return path if path.endswith("/") else path + "/"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The site's time zone."""
        return zoneinfo.ZoneInfo(self.timezone)


def is_known_language(code: str) -> bool:
    """Whether Babel knows the language code (`ko`, `en`, `zh_Hant`, `pt-BR`)."""
    if not re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*", code):
        return False
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=", re.MULTILINE)
    match = pattern.search(text)
    if match is None:
        pattern = re.compile(rf"^[ \t]*\[[ \t]*{re.escape(key)}[ \t]*\]", re.MULTILINE)
        match = pattern.search(text)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def _type_name(kind: Any) -> str:
    return {str: "text", int: "a whole number", bool: "true or false"}.get(kind, "a list of text")


def setting_location(root: Path, key: str) -> SourceLocation:
    """Where sitegen.toml sets a key (its line, where it is set there)."""
    try:
        text = (root / CONFIG_NAME).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        text = ""
    return SourceLocation(Path(CONFIG_NAME), _key_line(text, key))


class _ConfigReader:
    def __init__(self, text: str, display: Path, overridden: frozenset[str]) -> None:
        self.text = text
        self.display = display
        self.overridden = overridden
        self.errors: list[ConfigError] = []
        self.feed_lines: dict[str, SourceLocation] = {}

    def where(self, key: str) -> SourceLocation:
        return SourceLocation(self.display, _key_line(self.text, key))

    def fail(self, key: str, message: str, hint: str | None = None) -> None:
        if key in self.overridden:
            option = "--" + key.replace("_", "-")
            self.errors.append(ConfigError(f"{option}: {message}", None, hint))
            return
        self.errors.append(ConfigError(message, self.where(key), hint))

    def fields(self, table: dict[str, Any], cls: type, prefix: str = "") -> dict[str, Any]:
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "root"}
        kwargs: dict[str, Any] = {}
        for key, value in table.items():
            name = prefix + key
            if key not in known:
                close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
                hint = (
                    f"did you mean '{prefix}{close[0]}'?"
                    if close
                    else ("known keys: " + ", ".join(prefix + k for k in sorted(known)))
                )
                self.fail(key, f"unknown setting '{name}'", hint)
                continue
            kind = known[key].type
            if key == "languages" and not prefix:
                kwargs[key] = self.languages(value)
                continue
            if kind == "InboxSettings":
                kwargs[key] = self.inbox(value)
                continue
            if kind == "Permalinks":
                if not isinstance(value, dict):
                    self.fail(key, f"'{name}' must be a table: [{name}]")
                    continue
                kwargs[key] = Permalinks(**self.fields(value, Permalinks, prefix=f"{name}."))
                continue
            if kind == "EditionSettings":
                if not isinstance(value, dict):
                    self.fail(key, f"'{name}' must be a table: [{name}]")
                    continue
                table = {
                    ("sender" if k == "from" else k): v for k, v in value.items() if k != "sender"
                }
                if "sender" in value:
                    self.fail("sender", "unknown setting 'editions.sender'", "write from = ...")
                kwargs[key] = EditionSettings(
                    **self.fields(table, EditionSettings, prefix=f"{name}.")
                )
                continue
            expected: Any = {"str": str, "int": int, "bool": bool}.get(str(kind), tuple)
            if expected is tuple:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    self.fail(key, f'\'{name}\' must be a list of text, like ["a", "b"]')
                    continue
                value = tuple(value)
            elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                self.fail(key, f"'{name}' must be {_type_name(expected)}, not {value!r}")
                continue
            kwargs[key] = value
        return kwargs

    def languages(self, value: Any) -> tuple[LanguageSettings, ...]:
        """`languages = ["en", "ko"]`, or `[languages.ko]` tables of title and description."""
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(LanguageSettings(code) for code in value)
        if not isinstance(value, dict):
            self.fail(
                "languages",
                'languages must be tables like [languages.ko], or a list like ["en", "ko"]',
            )
            return ()
        found: list[LanguageSettings] = []
        for code, table in value.items():
            key = f"languages.{code}"
            if not isinstance(table, dict):
                self.fail(key, f"'{key}' must be a table: [{key}] with a title and description")
                continue
            values: dict[str, str] = {}
            for name, text in table.items():
                if name not in LANGUAGE_KEYS:
                    close = difflib.get_close_matches(name, LANGUAGE_KEYS, n=1, cutoff=0.6)
                    hint = f"did you mean '{close[0]}'?" if close else "known: title, description"
                    self.fail(key, f"unknown setting '{key}.{name}'", hint)
                elif not isinstance(text, str):
                    self.fail(key, f"'{key}.{name}' must be text, not {text!r}")
                else:
                    values[name] = text
            found.append(LanguageSettings(code, **values))
        return tuple(found)

    def inbox(self, value: Any) -> InboxSettings:
        if not isinstance(value, dict):
            self.fail("inbox", "'inbox' must be a table: [inbox]")
            return InboxSettings()
        feeds = value.get("feeds", [])
        settings = {k: v for k, v in value.items() if k != "feeds"}
        kwargs = self.fields(settings, InboxSettings, prefix="inbox.")
        if not isinstance(feeds, list) or not all(isinstance(f, dict) for f in feeds):
            self.fail("feeds", "'inbox.feeds' must be tables: [[inbox.feeds]]")
            feeds = []
        return InboxSettings(
            feeds=tuple(self.feed(number, table) for number, table in enumerate(feeds)), **kwargs
        )

    def feed(self, number: int, table: dict[str, Any]) -> InboxFeed:
        headers = [
            m.start()
            for m in re.finditer(r"^[ \t]*\[\[[ \t]*inbox\.feeds[ \t]*\]\]", self.text, re.M)
        ]
        line = self.text.count("\n", 0, headers[number]) + 1 if number < len(headers) else None
        where = SourceLocation(self.display, line)
        texts: dict[str, str] = {}
        terms: list[tuple[str, tuple[str, ...]]] = []
        for key, value in table.items():
            if key in ("name", "url", "lang"):
                if isinstance(value, str) and value.strip():
                    texts[key] = value.strip()
                else:
                    self.errors.append(ConfigError(f"feed {key} must be text", where))
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                terms.append((key, tuple(value)))  # taxonomies are checked with the rest
            else:
                self.errors.append(
                    ConfigError(
                        f"unknown feed setting {key!r}",
                        where,
                        "a feed has name, url, lang, and lists of terms (tags, places)",
                    )
                )
        for key in ("name", "url"):
            if key not in texts and key in table:
                continue
            if key not in texts:
                self.errors.append(ConfigError(f"this feed needs a {key}", where))
        url = texts.get("url", "")
        if url and not re.match(r"^https?://[^/\s]+", url, re.I):
            self.errors.append(ConfigError(f"feed url {url!r} must be http or https", where))
        lang = texts.get("lang", "")
        if lang and not is_known_language(lang):
            self.errors.append(
                ConfigError(f"unknown language code {lang!r}", where, "use a code like en, ko")
            )
        self.feed_lines[texts.get("name", "")] = where
        return InboxFeed(texts.get("name", ""), url, lang, tuple(terms))


def _check_values(config: SiteConfig, reader: _ConfigReader) -> None:
    if not re.match(r"^(https?://[^/\s]+)?/", config.base_url):
        reader.fail(
            "base_url",
            f"base_url {config.base_url!r} must be an http(s) URL or a path starting with '/'",
            "for example https://example.org/digest/",
        )
    if not is_known_language(config.language):
        reader.fail("language", f"unknown language code {config.language!r}", "use en, ko, ja")
    for code in config.language_codes:
        if not is_known_language(code):
            where = "languages" if reader.where("languages").line else f"languages.{code}"
            reader.fail(where, f"unknown language code {code!r}", "use a code like en, ko, ja")
    try:
        zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        reader.fail("timezone", f"unknown timezone {config.timezone!r}", "e.g. Asia/Seoul, UTC")
    if config.related < 0:
        reader.fail("related", "related must be 0 (none) or more")
    for tax in set(config.taxonomies) & set(RESERVED_TAXONOMIES):
        reader.fail(
            "taxonomies",
            f"'{tax}' is made by sitegen from each report's source.name",
            "leave it out of taxonomies; describe outlets in data/terms.toml [sources.<slug>]",
        )
    if config.per_page < 1:
        reader.fail("per_page", "per_page must be 1 or more")
    if config.feed_entries < 1:
        reader.fail("feed_entries", "feed_entries must be 1 or more")
    for tax in config.taxonomies:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", tax):
            reader.fail("taxonomies", f"taxonomy name {tax!r} must be lower-case letters")
    for name in ("report", "term", "timeline"):
        pattern = getattr(config.permalinks, name)
        if not (pattern.startswith("/") and pattern.endswith("/")) or ".." in pattern:
            reader.fail(name, f"permalink {name} {pattern!r} must start and end with '/'")
    if config.editions.every not in EDITION_PERIODS:
        reader.fail(
            "every",
            f"editions.every {config.editions.every!r} is not a period",
            'write every = "week", "day" or "month"',
        )
    sender = config.editions.sender
    if sender and not re.fullmatch(r"[^<>@\s]*(?:[^<>@]*<)?[^<>@\s]+@[^<>@\s]+>?", sender):
        reader.fail("from", f"editions.from {sender!r} is no email address", _SENDER_HINT)
    unsubscribe = config.editions.unsubscribe
    if unsubscribe and not re.match(r"^(https?://[^/\s]+|mailto:\S+@\S+)", unsubscribe):
        reader.fail(
            "unsubscribe",
            f"editions.unsubscribe {unsubscribe!r} must be an http(s) URL or a mailto: address",
        )
    if "{slug}" not in config.permalinks.report:
        reader.fail("report", "the report permalink must contain {slug}")
    if "{slug}" not in config.permalinks.term:
        reader.fail("term", "the term permalink must contain {slug}")
    _check_inbox(config.inbox, config.taxonomies, reader)


def _check_inbox(inbox: InboxSettings, taxonomies: tuple[str, ...], reader: _ConfigReader) -> None:
    for name in ("max_items", "max_bytes", "timeout"):
        if getattr(inbox, name) < 1:
            reader.fail(name, f"inbox.{name} must be 1 or more")
    seen: set[str] = set()
    for feed in inbox.feeds:
        where = reader.feed_lines.get(feed.name)
        if feed.name and feed.name in seen:
            reader.errors.append(ConfigError(f"two feeds are named {feed.name!r}", where))
        seen.add(feed.name)
        for taxonomy, _ in feed.terms:
            if taxonomy not in taxonomies:
                reader.errors.append(
                    ConfigError(
                        f"unknown feed setting {taxonomy!r}",
                        where,
                        "a feed has name, url, lang, and lists of terms: " + ", ".join(taxonomies),
                    )
                )


_SENDER_HINT = 'for example from = "Border Desk <desk@example.org>"'


def load_config(root: Path, overrides: dict[str, Any] | None = None) -> SiteConfig:
    """Read root/sitegen.toml (if there is one) and report every problem in it at once."""
    root = root.resolve()
    path = root / CONFIG_NAME
    text = ""
    data: dict[str, Any] = {}
    display = Path(CONFIG_NAME)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
            data = tomllib.loads(text)
        except UnicodeDecodeError as error:
            raise ConfigError(f"not UTF-8 text ({error.reason})", SourceLocation(display)) from None
        except tomllib.TOMLDecodeError as error:
            match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
            message = re.sub(r"\s*\(at line.*\)$", "", str(error))
            line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
            raise ConfigError(
                f"invalid TOML: {message}", SourceLocation(display, line, col)
            ) from None
    reader = _ConfigReader(text, display, frozenset(overrides or {}))
    kwargs = reader.fields(data, SiteConfig)
    kwargs.update(overrides or {})
    config = SiteConfig(root=root, **kwargs)
    if any(not feed.lang for feed in config.inbox.feeds):
        feeds = tuple(
            feed if feed.lang else dataclasses.replace(feed, lang=config.language)
            for feed in config.inbox.feeds
        )
        config = dataclasses.replace(config, inbox=dataclasses.replace(config.inbox, feeds=feeds))
    _check_values(config, reader)
    if reader.errors:
        raise ConfigErrors(tuple(reader.errors))
    return config


class ConfigErrors(ConfigError):
    """Several configuration errors, reported together."""

    def __init__(self, errors: tuple[ConfigError, ...]) -> None:
        first = errors[0]
        super().__init__(first.message, first.location, first.hint)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What one run was asked for on the command line."""

    drafts: bool = False
    """Build reports marked `draft: true`."""
    future: bool = False
    """Build reports dated after now."""
    strict: bool = False
    """Treat warnings as errors."""
    now: dt.datetime | None = None
    """The time reports are compared with; the clock or SOURCE_DATE_EPOCH when None."""

    def current_time(self) -> dt.datetime:
        """Now: the given time, else SOURCE_DATE_EPOCH where set, else the clock."""
        if self.now is not None:
            return self.now
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.strip().isdigit():
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        return dt.datetime.now(dt.UTC)
