"""The data passed between stages: frozen, slotted dataclasses; relations by key."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A day, a month or a year: when something happened."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def from_date(cls, value: dt.date) -> PartialDate:
        """The full day of a date."""
        return cls(value.year, value.month, value.day)

    @property
    def precision(self) -> str:
        """'day', 'month' or 'year'."""
        return "day" if self.day else "month" if self.month else "year"

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True, slots=True)
class ImageVariant:
    """A copy of a report's image at one width, in one format."""

    url: str
    """Its site path (`/reports/x/photo-480w.webp`)."""
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ImageSource:
    """The variants of an image in one format, narrowest first (one `srcset`)."""

    media_type: str
    """`image/webp`, `image/jpeg`, `image/png`."""
    variants: tuple[ImageVariant, ...]


@dataclass(frozen=True, slots=True)
class Image:
    """A report's photo: where it is, what it shows, who took it."""

    src: str
    """As written in front matter."""
    alt: str
    caption: str | None
    credit: str | None
    file: Path | None
    """The image file on disk, once found."""
    url: str
    """Its site path (`/reports/x/photo.jpg` or `/images/photo.jpg`)."""
    width: int | None = None
    height: int | None = None
    sources: tuple[ImageSource, ...] = ()
    """Responsive variants by format; the last is the original's own format (the `<img>`)."""


@dataclass(frozen=True, slots=True)
class Source:
    """The report this entry summarises or translates."""

    name: str
    url: str
    lang: str | None


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction published on a report: the day it was made, and what it says."""

    date: dt.date
    """A day in the site's time zone, never before the report's own day."""
    text: str
    """As written (Markdown inline)."""
    html: str
    """The text rendered: inline Markdown, links made safe."""
    line: int
    """The line of the front matter it is written on."""

    def moment(self, zone: dt.tzinfo) -> dt.datetime:
        """The start of its day in the site's time zone."""
        return dt.datetime.combine(self.date, dt.time(), zone)


@dataclass(frozen=True, slots=True)
class ExternalTranslation:
    """The same report in another language, published elsewhere."""

    lang: str
    url: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading in a report's body, with its anchor."""

    level: int
    text: str
    anchor: str


@dataclass(frozen=True, slots=True)
class BodyLink:
    """A link or image in a report's body, with its line in the source file."""

    target: str
    line: int
    is_image: bool = False


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A report body rendered to HTML, and what was found while rendering it."""

    html: str
    headings: tuple[Heading, ...] = ()
    links: tuple[BodyLink, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """One report, validated. `key` (its file's path under content/) identifies it."""

    key: str
    file: Path
    """The source file, as shown to the user (relative to the site's folder)."""
    section: str
    slug: str
    lang: str
    translation_key: str
    title: str
    date: dt.datetime
    updated: dt.datetime | None
    authors: tuple[str, ...]
    summary: str | None
    terms: tuple[tuple[str, tuple[str, ...]], ...]
    """(taxonomy, terms as written) for every configured taxonomy."""
    event_date: PartialDate
    image: Image | None
    source: Source | None
    translations: tuple[ExternalTranslation, ...]
    draft: bool
    extra: tuple[tuple[str, Any], ...]
    """Front-matter keys sitegen does not know, kept for templates."""
    body: str
    body_line: int
    """The line of the file on which the body starts."""
    key_lines: tuple[tuple[str, int], ...] = ()
    """Front-matter key -> line, for later messages."""
    url: str = ""
    """The report's site path, e.g. `/reports/slug/` or `/ko/reports/slug/`."""
    rendered: RenderedBody | None = None
    corrections: tuple[Correction, ...] = ()
    """Oldest first."""
    corrected: dt.datetime | None = None
    """The start of the latest correction's day, in the site's time zone."""
    source_digest: str = ""
    """A digest of the report's file and its image's stamp.

    Under one configuration and one sitegen, equal digests mean equal reports.
    """

    def terms_of(self, taxonomy: str) -> tuple[str, ...]:
        """The terms given for one taxonomy."""
        for name, terms in self.terms:
            if name == taxonomy:
                return terms
        return ()

    def line_of(self, key: str) -> int | None:
        """The line of a front-matter key."""
        return dict(self.key_lines).get(key)

    @property
    def last_changed(self) -> dt.datetime:
        """The latest of `updated` (else `date`) and the latest correction's day."""
        changed = self.updated or self.date
        if self.corrected is not None and self.corrected > changed:
            return self.corrected
        return changed


@dataclass(frozen=True, slots=True)
class Term:
    """One tag or place in one language, with the reports that carry it (newest first)."""

    taxonomy: str
    key: str
    name: str
    slug: str
    lang: str
    url: str
    report_keys: tuple[str, ...]
    spellings: tuple[str, ...] = ()
    """The folded spellings reports use for it."""
    description: str = ""
    homepage: str = ""
    """A source outlet's home page, where the vocabulary gives one."""
    homepage_lang: str = ""
    """The language a source outlet publishes in, where the vocabulary gives one."""


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Every term of one taxonomy in one language, by name."""

    name: str
    lang: str
    url: str
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class TimelineMonth:
    """The reports of one month by event date; those with only a month come last."""

    year: int
    month: int
    report_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimelineYear:
    """One year of the timeline: its months newest first, then reports known only by year."""

    year: int
    url: str
    months: tuple[TimelineMonth, ...]
    year_only_keys: tuple[str, ...]

    @property
    def count(self) -> int:
        """How many reports the year holds."""
        return sum(len(m.report_keys) for m in self.months) + len(self.year_only_keys)

    @property
    def report_keys(self) -> tuple[str, ...]:
        """Every report the year holds, in its order: month by month, then year-only ones."""
        return (*itertools.chain(*(m.report_keys for m in self.months)), *self.year_only_keys)


@dataclass(frozen=True, slots=True)
class TranslationGroup:
    """The versions of one report in several languages: (lang, report key), original first."""

    key: str
    members: tuple[tuple[str, str], ...]

    @property
    def original_key(self) -> str:
        """The report the others translate."""
        return self.members[0][1]


@dataclass(frozen=True, slots=True)
class LanguageSite:
    """Everything published in one language."""

    lang: str
    prefix: str
    """'' for the site's language, '/ko' for Korean."""
    report_keys: tuple[str, ...]
    """Newest first."""
    taxonomies: tuple[Taxonomy, ...]
    timeline: tuple[TimelineYear, ...]
    timeline_url: str
    corrected: tuple[str, ...] = ()
    """The reports with corrections, by their latest correction, newest first."""


@dataclass(frozen=True, slots=True)
class EditionPeriod:
    """The span of time an edition covers, in the site's time zone: [start, end)."""

    start: dt.datetime
    end: dt.datetime
    name: str
    """How `sitegen edition new` writes it: `2024-w40`, `2024-11` or `2024-11-26`."""

    def holds(self, when: dt.datetime) -> bool:
        """Whether a moment falls in the period."""
        return self.start <= when < self.end


@dataclass(frozen=True, slots=True)
class Pick:
    """A report an edition's `picks` names, with the line it is named on."""

    slug: str
    line: int


@dataclass(frozen=True, slots=True)
class Edition:
    """One edition of the digest in one language: the editor's note over a period's reports.

    `key` (its file's path under content/) identifies it.
    """

    key: str
    file: Path
    """The source file, as shown to the user."""
    slug: str
    lang: str
    translation_key: str
    title: str
    date: dt.datetime
    period: EditionPeriod
    period_given: bool
    """Whether the front matter gives the period (else the one `date` falls in)."""
    picks: tuple[Pick, ...] | None
    """The reports named, in order; None: every report of the period, newest first."""
    summary: str | None
    draft: bool
    html: str
    """The editor's note, rendered."""
    url: str
    key_lines: tuple[tuple[str, int], ...] = ()
    report_keys: tuple[str, ...] = ()
    """The reports it gathers, in order (found once the site's reports are known)."""

    def line_of(self, key: str) -> int | None:
        """The line of a front-matter key."""
        return dict(self.key_lines).get(key)


@dataclass(frozen=True, slots=True)
class Site:
    """The whole site, ready to be planned into pages."""

    reports: Mapping[str, Report]
    languages: tuple[LanguageSite, ...]
    translations: Mapping[str, TranslationGroup]
    """Report key -> its group, for reports that have other versions."""
    stale_translations: frozenset[str] = field(default_factory=frozenset)
    """Keys of translations whose original changed after them."""
    related: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Report key -> its related reports' keys, most related first (reports with none left
    out)."""
    editions: Mapping[str, Edition] = field(default_factory=dict)
    """The published editions by key, newest first."""
    appearances: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Report key -> the editions that gather it (keys, newest first)."""

    def editions_in(self, lang: str) -> tuple[Edition, ...]:
        """One language's editions, newest first."""
        return tuple(edition for edition in self.editions.values() if edition.lang == lang)

    def language(self, lang: str) -> LanguageSite:
        """The language of one language."""
        for language in self.languages:
            if language.lang == lang:
                return language
        raise KeyError(lang)
