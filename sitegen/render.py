"""Plan the site's pages (template, context, destination) and render each one to bytes."""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import jinja2

from sitegen.config import SiteConfig
from sitegen.content.discover import EDITIONS_FOLDER
from sitegen.errors import SitegenError, SourceLocation, TemplateError
from sitegen.model import (
    Edition,
    Heading,
    Image,
    LanguageSite,
    PartialDate,
    Report,
    Site,
    Term,
    TimelineYear,
)
from sitegen.search import bundle_url, search_shards
from sitegen.theme import (
    PAGE_TEMPLATES,
    language_name,
    language_name_in,
    script_json,
    template_error,
)
from sitegen.urls import (
    SiteUrls,
    corrections_path,
    feed_path,
    fold_term,
    language_tag,
    output_file,
    page_path,
)


@dataclass(frozen=True, slots=True)
class LanguageLink:
    """A link to a version of a page in another language."""

    lang: str
    name: str
    """The language's name in that language."""
    url: str
    stale: bool = False


@dataclass(frozen=True, slots=True)
class TermLink:
    """A link to one tag's or place's page."""

    name: str
    url: str
    count: int
    description: str = ""
    homepage: str = ""
    """A source outlet's home page, where the vocabulary gives one."""
    homepage_lang: str = ""
    """The language the outlet publishes in, where the vocabulary gives one."""
    homepage_lang_name: str = ""
    """That language's name in the page's language."""


@dataclass(frozen=True, slots=True)
class TermRef:
    """A report's link to one of its terms' pages."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class TermGroup:
    """A report's terms in one taxonomy."""

    taxonomy: str
    terms: tuple[TermRef, ...]


@dataclass(frozen=True, slots=True)
class SourceView:
    """The original report, with its language's name."""

    name: str
    url: str
    lang: str | None
    lang_name: str | None
    outlet_url: str | None = None
    """The outlet's page on this site (`/sources/daily-nk/`)."""


@dataclass(frozen=True, slots=True)
class CorrectionView:
    """A correction to a report: its day and its text as HTML."""

    date: dt.date
    html: str


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What list pages (home, tags, places, timeline) see of a report: all but its body."""

    key: str
    url: str
    title: str
    lang: str
    date: Any
    updated: Any
    authors: tuple[str, ...]
    summary: str | None
    event_date: PartialDate
    image: Image | None
    source: SourceView | None
    versions: tuple[LanguageLink, ...]
    """This report in the site's other languages (not itself)."""
    external_translations: tuple[LanguageLink, ...]
    terms: tuple[TermGroup, ...]
    extra: Mapping[str, Any]
    stale: bool
    """A translation whose original changed after it."""
    original: LanguageLink | None
    """For a translation, the original it translates."""
    corrections: tuple[CorrectionView, ...] = ()
    """Oldest first."""
    modified: Any = None
    """When it last changed: `updated` (else `date`), or its latest correction's day."""


def _no_article(publisher_logo: str | None) -> str:
    return ""


@dataclass(frozen=True, slots=True)
class ReportView(ReportSummary):
    """What the report's own page sees: its summary, its body and its related reports."""

    html: str = ""
    headings: tuple[Heading, ...] = ()
    related: tuple[ReportSummary, ...] = ()
    """The reports most related to it, most related first."""
    article: Callable[[str | None], str] = field(default=_no_article, compare=False, repr=False)
    """Makes its JSON-LD given the publisher's logo (only for pages rendered); the fields above
    determine it."""

    @property
    def jsonld(self) -> str:
        """Its schema.org NewsArticle as JSON, safe inside `<script type="application/ld+json">`."""
        return self.article(None)

    def structured_data(self, publisher_logo: str | None = None) -> str:
        """Its JSON-LD as `jsonld`, with the publisher's logo (an absolute URL) where given."""
        return self.article(publisher_logo)


@dataclass(frozen=True, slots=True)
class EditionLink:
    """What lists (the archive, the home page, a report's page) show of an edition."""

    key: str
    url: str
    title: str
    lang: str
    date: Any
    summary: str | None
    first_day: Any
    """The first day of its period."""
    last_day: Any
    """The last day of its period."""
    count: int
    """How many reports it gathers."""


def edition_link(edition: Edition) -> EditionLink:
    """What lists show of an edition."""
    period = edition.period
    last = (period.end - dt.timedelta(microseconds=1)).date()
    return EditionLink(
        edition.key, edition.url, edition.title, edition.lang, edition.date, edition.summary,
        period.start.date(), last, len(edition.report_keys),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class EditionView(EditionLink):
    """An edition's own page (and its feed entry, and its email): the note, then its reports."""

    html: str = ""
    """The editor's note."""
    reports: tuple[ReportSummary, ...] = ()


@dataclass(frozen=True, slots=True)
class LanguageView:
    """One language's part of the site, for navigation."""

    lang: str
    name: str
    home_url: str
    timeline_url: str
    taxonomies: tuple[tuple[str, str], ...]
    """(taxonomy name, index URL)."""
    search_url: str | None = None
    """The search page, where the site has search."""
    feed_url: str = ""
    """The language's Atom feed (`/feed.xml`, `/ko/feed.xml`)."""
    corrections_url: str = ""
    """The language's page of corrections."""
    editions_url: str | None = None
    """The archive of the digest's editions, where the language has editions."""


@dataclass(frozen=True, slots=True)
class SiteView:
    """Site-wide values for templates."""

    title: str
    description: str
    base_url: str
    language: str
    languages: tuple[LanguageView, ...]


@dataclass(frozen=True, slots=True)
class Pagination:
    """Where a page stands in a paginated list."""

    number: int
    total: int
    previous_url: str | None
    next_url: str | None
    first_url: str
    last_url: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A report on the timeline: when it happened, and the link to it."""

    key: str
    url: str
    title: str
    lang: str
    event_date: PartialDate
    date: Any


def timeline_entry(report: Report) -> TimelineEntry:
    """What the timeline shows of a report."""
    return TimelineEntry(
        report.key, report.url, report.title, report.lang, report.event_date, report.date
    )


@dataclass(frozen=True, slots=True)
class MonthView:
    """A month of the timeline."""

    year: int
    month: int
    reports: tuple[TimelineEntry, ...]


@dataclass(frozen=True, slots=True)
class YearView:
    """A year of the timeline."""

    year: int
    url: str
    count: int
    months: tuple[MonthView, ...]
    year_only: tuple[TimelineEntry, ...]


@dataclass(frozen=True, slots=True)
class YearLink:
    """A year of the timeline, for navigation between years."""

    year: int
    url: str
    count: int


@dataclass(frozen=True, slots=True)
class PageView:
    """What every page knows about itself."""

    kind: str
    url: str
    title: str
    lang: str
    alternates: tuple[LanguageLink, ...]
    """The same page in every language it exists in, this one included."""


@dataclass(frozen=True, slots=True)
class CorrectionEntry:
    """A correction on the page of corrections: its day, its text, and its report."""

    date: dt.date
    html: str
    report: ReportSummary


@dataclass(frozen=True, slots=True)
class PageJob:
    """One page to render: template, context, and where it goes."""

    url: str
    output: str
    template: str
    context: Mapping[str, Any]
    sources: tuple[Path, ...] = ()
    """The content files the page comes from, to name in messages."""
    page: PageView | None = None
    """What the page knows about itself (its kind, title, other languages)."""
    listed: bool = True
    """Whether it goes in the sitemap (not the 404 page, nor a list's later pages)."""


def news_article(
    report: Report,
    site: Site,
    config: SiteConfig,
    terms: Sequence[TermGroup] = (),
    publisher_logo: str | None = None,
) -> dict[str, Any]:
    """A report as a schema.org NewsArticle, for JSON-LD; every URL absolute."""
    absolute = SiteUrls(config.base_url, config.base_path).absolute
    url = absolute(report.url)
    home = absolute(site.language(report.lang).prefix + "/")
    publisher: dict[str, Any] = {
        "@type": "Organization",
        "name": config.title_in(report.lang),
        "url": home,
    }
    if publisher_logo:
        publisher["logo"] = {"@type": "ImageObject", "url": publisher_logo}
    article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": url,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": report.title,
        "inLanguage": language_tag(report.lang),
        "datePublished": report.date.isoformat(),
        "dateModified": report.last_changed.isoformat(),
        "author": [{"@type": "Person", "name": name} for name in report.authors] or publisher,
        "publisher": publisher,
    }
    if report.summary:
        article["description"] = report.summary
    keywords = [term.name for group in terms for term in group.terms]
    if keywords:
        article["keywords"] = keywords
    image = report.image
    if image is not None:
        picture: dict[str, Any] = {"@type": "ImageObject", "url": absolute(image.url)}
        if image.width and image.height:
            picture |= {"width": image.width, "height": image.height}
        picture["caption"] = image.caption or image.alt
        if image.credit:
            picture["creditText"] = image.credit
        article["image"] = picture
    if report.corrections:
        article["correction"] = [
            {
                "@type": "CorrectionComment",
                "datePublished": correction.date.isoformat(),
                "text": _plain_text(correction.html),
            }
            for correction in reversed(report.corrections)
        ]
    source = report.source
    if source is not None:
        based_on: dict[str, Any] = {"@type": "CreativeWork", "name": source.name, "url": source.url}
        if source.lang:
            based_on["inLanguage"] = language_tag(source.lang)
        based_on["publisher"] = {"@type": "Organization", "name": source.name}
        article["isBasedOn"] = based_on
    group = site.translations.get(report.key)
    if group is not None:
        versions = [
            {
                "@type": "NewsArticle",
                "@id": absolute(site.reports[key].url),
                "url": absolute(site.reports[key].url),
                "inLanguage": language_tag(lang),
            }
            for lang, key in group.members
        ]
        if group.original_key == report.key:
            article["workTranslation"] = versions[1:]
        else:
            article["translationOfWork"] = versions[0]
    return article


def _plain_text(html_text: str) -> str:
    """The text of a piece of inline HTML (a correction's), without its markup."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))


TermIndex = Mapping[tuple[str, str, str], TermRef]
"""(report key, taxonomy, folded spelling) -> the term's link."""


def _term_index(
    site: Site, keys: AbstractSet[str] | None = None
) -> dict[tuple[str, str, str], TermRef]:
    """The index of every report's terms, or of some reports' only."""
    index: dict[tuple[str, str, str], TermRef] = {}
    for language in site.languages:
        for taxonomy in language.taxonomies:
            for term in taxonomy.terms:
                if keys is not None and keys.isdisjoint(term.report_keys):
                    continue
                link = TermRef(term.name, term.url)
                for key in term.report_keys if keys is None else keys & set(term.report_keys):
                    for spelling in term.spellings:
                        index[(key, taxonomy.name, spelling)] = link
    return index


def _report_summary(
    site: Site, config: SiteConfig, key: str, term_index: TermIndex
) -> ReportSummary:
    report = site.reports[key]
    group = site.translations.get(key)
    versions: tuple[LanguageLink, ...] = ()
    original: LanguageLink | None = None
    if group is not None:
        versions = tuple(
            LanguageLink(
                lang,
                language_name(lang),
                site.reports[other].url,
                other in site.stale_translations,
            )
            for lang, other in group.members
            if other != key
        )
        if group.original_key != key:
            first = site.reports[group.original_key]
            original = LanguageLink(first.lang, language_name(first.lang), first.url)
    terms: list[TermGroup] = []
    for taxonomy_name in config.taxonomies:
        links: list[TermRef] = []
        for written in report.terms_of(taxonomy_name):
            found = term_index.get((key, taxonomy_name, fold_term(written)))
            if found is not None and found not in links:
                links.append(found)
        terms.append(TermGroup(taxonomy_name, tuple(links)))
    source = report.source
    outlet = None
    if source is not None:
        outlet = term_index.get((key, "sources", fold_term(source.name)))
    return ReportSummary(
        key=key,
        url=report.url,
        title=report.title,
        lang=report.lang,
        date=report.date,
        updated=report.updated,
        authors=report.authors,
        summary=report.summary,
        event_date=report.event_date,
        image=report.image,
        source=None
        if source is None
        else SourceView(
            source.name,
            source.url,
            source.lang,
            language_name_in(source.lang, report.lang) if source.lang else None,
            outlet.url if outlet else None,
        ),
        versions=versions,
        external_translations=tuple(
            LanguageLink(t.lang, t.name or language_name(t.lang), t.url)
            for t in report.translations
        ),
        terms=tuple(terms),
        extra=MappingProxyType(dict(report.extra)),
        stale=key in site.stale_translations,
        original=original,
        corrections=tuple(CorrectionView(c.date, c.html) for c in report.corrections),
        modified=report.last_changed,
    )


def _report_view(
    summary: ReportSummary,
    site: Site,
    config: SiteConfig,
    related: tuple[ReportSummary, ...] = (),
) -> ReportView:
    report = site.reports[summary.key]
    fields = {name: getattr(summary, name) for name in ReportSummary.__dataclass_fields__}
    return ReportView(
        **fields,
        html=report.rendered.html if report.rendered else "",
        headings=report.rendered.headings if report.rendered else (),
        related=related,
        article=functools.partial(_article_json, report, site, config, summary.terms),
    )


def _article_json(
    report: Report,
    site: Site,
    config: SiteConfig,
    terms: Sequence[TermGroup],
    publisher_logo: str | None,
) -> str:
    return script_json(news_article(report, site, config, terms, publisher_logo))


def _language_view(
    language: LanguageSite, search: bool = False, editions: bool = False
) -> LanguageView:
    return LanguageView(
        language.lang,
        language_name(language.lang),
        language.prefix + "/",
        language.timeline_url,
        tuple((t.name, t.url) for t in language.taxonomies),
        language.prefix + "/search/" if search else None,
        feed_url=feed_path(language.prefix + "/"),
        corrections_url=corrections_path(language.prefix),
        editions_url=editions_path(language.prefix) if editions else None,
    )


def editions_path(prefix: str) -> str:
    """The archive of one language's editions (`/editions/`, `/ko/editions/`)."""
    return f"{prefix}/{EDITIONS_FOLDER}/"


def _paginate(base_url: str, count: int, per_page: int) -> list[tuple[int, str, slice]]:
    total = max(1, math.ceil(count / per_page))
    return [
        (n, page_path(base_url, n), slice((n - 1) * per_page, n * per_page))
        for n in range(1, total + 1)
    ]


def _pagination(base_url: str, number: int, total: int) -> Pagination:
    return Pagination(
        number,
        total,
        page_path(base_url, number - 1) if number > 1 else None,
        page_path(base_url, number + 1) if number < total else None,
        base_url,
        page_path(base_url, total),
    )


class PageGroup(NamedTuple):
    """Pages planned together: a report's page, or all the pages of one list.

    A named tuple rather than a dataclass: a rebuild looks up thousands of groups, and a
    tuple hashes and compares in C.
    """

    kind: str
    """report, home, taxonomy, term, timeline (its years too), corrections, search, page (a
    page of the theme's own, from a template alone), editions (the archive), editions_feed,
    edition or 404."""
    lang: str = ""
    """The language, but for a report's page (its key says) and the 404 page."""
    name: str = ""
    """A report's or edition's key, a taxonomy's name (taxonomy, term) or a template's
    (page)."""
    slug: str = ""
    """A term's slug."""


Dependency = tuple[str, ...]
"""A part of the site a group of pages read while it was planned: ("summary", key) (what
lists show of a report), ("body", key), ("reports", lang) (a language's reports, in order),
("terms", lang, taxonomy) (its terms' names, addresses and counts), ("term", lang,
taxonomy, slug) (one term, or its absence), ("timeline", lang) (its years, months and
entries), ("years", lang) (which years it has), ("related", key) (a report's related
reports, in order), ("corrections", lang) (its reports with corrections, in order),
("shards", lang) (the shards of its search index), ("template", name) (a page template, with
all it draws on), ("languages",) (the site's languages and their navigation), ("edition",
key) (one edition: its note, period and reports), ("editions", lang) (a language's
editions), ("latest_edition", lang) (its newest edition), ("edition_versions", translation
key) (an edition's versions in every language) or ("appearances", key) (the editions that
gather a report)."""


class PagePlanner:
    """Plans a site's pages, all of them or some groups, reusing report summaries given."""

    def __init__(
        self,
        site: Site,
        config: SiteConfig,
        summaries: Mapping[str, ReportSummary] | None = None,
        years: Iterable[YearView] = (),
        moved: AbstractSet[str] = frozenset(),
        templates: Sequence[str] = (),
    ) -> None:
        """Plan pages reusing what is given and still the same.

        That is `summaries`, and of `years` (the timeline as planned before) every year and
        entry; `moved` are the reports whose timeline entries may have changed. Each of
        `templates` (under `pages/`) is a page of its own in every language.
        """
        self.templates = tuple(templates)
        self.site = site
        self.config = config
        self._term_index: dict[tuple[str, str, str], TermRef] | None = None
        self.summaries: dict[str, ReportSummary] = dict(summaries or {})
        """Every report summary made or reused so far, by key."""
        self._years_before = {year.url: year for year in years}
        self._moved = moved
        self._entries_before: dict[str, TimelineEntry] | None = None
        with_editions = {edition.lang for edition in site.editions.values()}
        self.languages = {
            e.lang: _language_view(e, config.search, e.lang in with_editions)
            for e in site.languages
        }
        self.site_views = {
            lang: SiteView(
                config.title_in(lang),
                config.description_in(lang),
                config.base_url,
                config.language,
                tuple(self.languages.values()),
            )
            for lang in self.languages
        }
        """The site as each language's pages show it (its title and description in that
        language)."""
        self._terms_by_slug: dict[tuple[str, int], dict[str, Term]] = {}
        self.jobs: list[PageJob] = []
        self.timelines: dict[str, tuple[YearView, ...]] = {}
        """Each language's timeline, as planned so far."""
        self.reads: dict[PageGroup, frozenset[Dependency]] = {}
        """What each group planned so far read of the site."""
        self._reading: set[Dependency] = set()

    def _read(self, *dependency: str) -> None:
        self._reading.add(dependency)

    def summary(self, key: str) -> ReportSummary:
        """A report's summary view, made on first use."""
        self._reading.add(("summary", key))
        found = self.summaries.get(key)
        if found is None:
            if self._term_index is None:
                self._term_index = _term_index(self.site)
            found = _report_summary(self.site, self.config, key, self._term_index)
            self.summaries[key] = found
        return found

    def make_summaries(self, keys: Iterable[str]) -> dict[str, ReportSummary]:
        """Summaries of some reports made afresh (not reused), by key."""
        keys = sorted(keys)
        index = _term_index(self.site, frozenset(keys))
        return {key: _report_summary(self.site, self.config, key, index) for key in keys}

    def group_order(self, reports: AbstractSet[str] | None = None) -> Iterator[PageGroup]:
        """Every group of pages, in the site's order.

        With `reports` (keys), of the reports' own pages only theirs (in key order).
        """
        for language in self.site.languages:
            lang = language.lang
            yield PageGroup("home", lang)
            editions = self.site.editions_in(lang)
            if editions:
                yield PageGroup("editions", lang)
                yield PageGroup("editions_feed", lang)
            for edition in editions:
                yield PageGroup("edition", lang, edition.key)
            keys: Iterable[str] = language.report_keys
            if reports is not None:
                on_site = self.site.reports
                keys = sorted(k for k in reports if k in on_site and on_site[k].lang == lang)
            for key in keys:
                yield PageGroup("report", name=key)
            for taxonomy in language.taxonomies:
                yield PageGroup("taxonomy", lang, taxonomy.name)
                for term in taxonomy.terms:
                    yield PageGroup("term", lang, taxonomy.name, term.slug)
            yield PageGroup("timeline", lang)
            yield PageGroup("corrections", lang)
            yield PageGroup("search", lang)
            for template in self.templates:
                yield PageGroup("page", lang, template)
        yield PageGroup("404")

    def plan(self) -> dict[PageGroup, tuple[PageJob, ...]]:
        """The pages of every group, by group in the site's order."""
        return self.plan_groups(self.group_order())

    def plan_groups(self, groups: Iterable[PageGroup]) -> dict[PageGroup, tuple[PageJob, ...]]:
        """The pages of these groups (each one the site has), by group in the order given."""
        planned: dict[PageGroup, tuple[PageJob, ...]] = {}
        for group in groups:
            first = len(self.jobs)
            self._reading = {("languages",)}  # every page shows the site's navigation
            self._plan_group(group)
            planned[group] = tuple(self.jobs[first:])
            self.reads[group] = frozenset(self._reading)
        return planned

    def _plan_group(self, group: PageGroup) -> None:
        kind = group.kind
        if kind == "report":
            key = group.name
            self._plan_report(self._language_of(self.site.reports[key].lang), key)
            return
        if kind == "404":
            self._plan_404()
            return
        language = self._language_of(group.lang)
        if kind == "home":
            self._plan_home(language)
        elif kind == "timeline":
            self._plan_timeline(language)
        elif kind == "corrections":
            self._plan_corrections(language)
        elif kind == "search":
            self._plan_search(language)
        elif kind == "page":
            self._plan_template_page(language, group.name)
        elif kind == "editions":
            self._plan_editions(language)
        elif kind == "editions_feed":
            self._plan_editions_feed(language)
        elif kind == "edition":
            self._plan_edition(language, self.site.editions[group.name])
        else:
            index = next(i for i, t in enumerate(language.taxonomies) if t.name == group.name)
            if kind == "taxonomy":
                self._plan_taxonomy(language, index)
            else:
                self._plan_term(language, index, self._term_of(language, index, group.slug))

    def _language_of(self, lang: str) -> LanguageSite:
        return next(language for language in self.site.languages if language.lang == lang)

    def _term_of(self, language: LanguageSite, index: int, slug: str) -> Term:
        terms = self._terms_by_slug.get((language.lang, index))
        if terms is None:
            terms = {term.slug: term for term in language.taxonomies[index].terms}
            self._terms_by_slug[(language.lang, index)] = terms
        return terms[slug]

    def _alternates(self, urls: Mapping[str, str]) -> tuple[LanguageLink, ...]:
        if len(urls) < 2:
            return ()
        return tuple(LanguageLink(lang, language_name(lang), url) for lang, url in urls.items())

    def _add(
        self,
        kind: str,
        url: str,
        template: str,
        title: str,
        language: LanguageSite,
        alternates: tuple[LanguageLink, ...] = (),
        sources: tuple[Path, ...] = (),
        **values: Any,
    ) -> None:
        self._reading.add(("template", template))
        view = PageView(kind, url, title, language.lang, alternates)
        context = {
            "site": self.site_views[language.lang],
            "language": self.languages[language.lang],
            "lang": language.lang,
            "page": view,
            **values,
        }
        pagination = values.get("pagination")
        first = pagination is None or pagination.number == 1
        listed = kind != "404" and url.endswith("/") and first
        context_view = MappingProxyType(context)
        self.jobs.append(
            PageJob(url, output_file(url), template, context_view, sources, view, listed)
        )

    def _per_language_urls(self, path_of: Any) -> dict[str, str]:
        urls: dict[str, str] = {}
        for language in self.site.languages:
            url = path_of(language)
            if url is not None:
                urls[language.lang] = url
        return urls

    def _reports_of(self, keys: Sequence[str]) -> tuple[ReportSummary, ...]:
        self._reading.update(("summary", key) for key in keys)
        try:
            return tuple(map(self.summaries.__getitem__, keys))
        except KeyError:
            return tuple(self.summary(k) for k in keys)

    def _paged_list(
        self, kind: str, base_url: str, template: str, title: str, language: LanguageSite,
        keys: Sequence[str], alternates: tuple[LanguageLink, ...], **values: Any,
    ) -> None:  # fmt: skip
        pages = _paginate(base_url, len(keys), self.config.per_page)
        for number, url, part in pages:
            self._add(
                kind,
                url,
                template,
                title,
                language,
                alternates if number == 1 else (),
                reports=self._reports_of(keys[part]),
                pagination=_pagination(base_url, number, len(pages)),
                **values,
            )

    def _plan_home(self, language: LanguageSite) -> None:
        self._read("reports", language.lang)
        self._read("latest_edition", language.lang)
        editions = self.site.editions_in(language.lang)
        home_urls = self._per_language_urls(lambda e: e.prefix + "/")
        title = self.config.title_in(language.lang)
        self._paged_list(
            "home", language.prefix + "/", "home.html", title, language,
            language.report_keys, self._alternates(home_urls),
            latest_edition=edition_link(editions[0]) if editions else None,
        )  # fmt: skip

    def _plan_report(self, language: LanguageSite, key: str) -> None:
        report = self.site.reports[key]
        self._read("body", key)
        self._read("related", key)
        self._read("appearances", key)
        related = self._reports_of(self.site.related.get(key, ()))
        view = _report_view(self.summary(key), self.site, self.config, related)
        urls = {report.lang: report.url} | {v.lang: v.url for v in view.versions}
        editions = self.site.editions
        self._add(
            "report", report.url, "report.html", report.title, language,
            self._alternates(dict(sorted(urls.items()))), (report.file,), report=view,
            editions=tuple(edition_link(editions[k]) for k in self.site.appearances.get(key, ())),
        )  # fmt: skip

    def edition_view(self, edition: Edition) -> EditionView:
        """An edition with its note and the summaries of its reports, in order."""
        self._read("edition", edition.key)
        link = edition_link(edition)
        fields = {name: getattr(link, name) for name in EditionLink.__dataclass_fields__}
        return EditionView(
            **fields, html=edition.html, reports=self._reports_of(edition.report_keys)
        )

    def _plan_editions(self, language: LanguageSite) -> None:
        """The archive of a language's editions, newest first, paginated."""
        self._read("editions", language.lang)
        links = tuple(map(edition_link, self.site.editions_in(language.lang)))
        base = editions_path(language.prefix)
        urls = {
            lang: view.editions_url for lang, view in self.languages.items() if view.editions_url
        }
        pages = _paginate(base, len(links), self.config.per_page)
        for number, url, part in pages:
            self._add(
                "editions", url, "editions.html", "editions", language,
                self._alternates(urls) if number == 1 else (), editions=links[part],
                pagination=_pagination(base, number, len(pages)), feed_url=feed_path(base),
            )  # fmt: skip

    def _plan_editions_feed(self, language: LanguageSite) -> None:
        """The Atom feed of a language's editions, each entry an edition's whole content."""
        self._read("editions", language.lang)
        editions = self.site.editions_in(language.lang)[: self.config.feed_entries]
        base = editions_path(language.prefix)
        self._add(
            "editions_feed", feed_path(base), "editions_feed.xml", "editions", language,
            editions=tuple(self.edition_view(edition) for edition in editions),
            archive_url=base,
        )  # fmt: skip

    def _plan_edition(self, language: LanguageSite, edition: Edition) -> None:
        self._read("edition_versions", edition.translation_key)
        versions = {
            other.lang: other.url
            for other in self.site.editions.values()
            if other.translation_key == edition.translation_key
        }
        self._add(
            "edition", edition.url, "edition.html", edition.title, language,
            self._alternates(dict(sorted(versions.items()))), (edition.file,),
            edition=self.edition_view(edition), archive_url=editions_path(language.prefix),
        )  # fmt: skip

    def _plan_search(self, language: LanguageSite) -> None:
        search_urls = {
            lang: view.search_url for lang, view in self.languages.items() if view.search_url
        }
        url = search_urls.get(language.lang)
        if url is not None:
            self._read("shards", language.lang)
            bundles = tuple(bundle_url(name) for name in search_shards(self.site, language.lang))
            self._add(
                "search", url, "search.html", "search", language, self._alternates(search_urls),
                bundles=bundles,
            )  # fmt: skip

    def _plan_corrections(self, language: LanguageSite) -> None:
        """Every correction to the language's reports, newest first, each with its report."""
        self._read("corrections", language.lang)
        reports = self._reports_of(language.corrected)
        entries = sorted(
            (
                CorrectionEntry(correction.date, correction.html, report)
                for report in reports
                for correction in reversed(report.corrections)
            ),
            key=lambda entry: entry.date,
            reverse=True,
        )
        urls = self._per_language_urls(lambda e: corrections_path(e.prefix))
        self._add(
            "corrections", urls[language.lang], "corrections.html", "corrections", language,
            self._alternates(urls), corrections=tuple(entries),
        )  # fmt: skip

    def _plan_template_page(self, language: LanguageSite, template: str) -> None:
        """A page the theme makes from a template alone, given the language's reports."""
        name = template.removeprefix(PAGE_TEMPLATES).removesuffix(".html")
        urls = self._per_language_urls(lambda e: f"{e.prefix}/{name}/")
        self._read("reports", language.lang)
        self._add(
            "page", urls[language.lang], template, name, language, self._alternates(urls),
            reports=self._reports_of(language.report_keys),
        )  # fmt: skip

    def _plan_404(self) -> None:
        self._add("404", "/404.html", "404.html", "404", self.site.languages[0])

    def _plan_taxonomy(self, language: LanguageSite, index: int) -> None:
        taxonomy = language.taxonomies[index]
        self._read("terms", language.lang, taxonomy.name)
        index_urls = self._per_language_urls(lambda e: e.taxonomies[index].url)
        terms = tuple(TermLink(t.name, t.url, len(t.report_keys)) for t in taxonomy.terms)
        self._add(
            "taxonomy", taxonomy.url, "taxonomy.html", taxonomy.name, language,
            self._alternates(index_urls), taxonomy=taxonomy.name, terms=terms,
        )  # fmt: skip

    def _plan_term(self, language: LanguageSite, index: int, term: Term) -> None:
        taxonomy = language.taxonomies[index]
        for other in self.site.languages:  # its versions in the other languages, if any
            self._read("term", other.lang, taxonomy.name, term.slug)
        term_urls = self._per_language_urls(
            lambda e: next((t.url for t in e.taxonomies[index].terms if t.slug == term.slug), None)
        )
        self._paged_list(
            "term", term.url, "term.html", term.name, language, term.report_keys,
            self._alternates(term_urls), taxonomy=taxonomy.name,
            term=TermLink(
                term.name, term.url, len(term.report_keys), term.description,
                term.homepage, term.homepage_lang,
                language_name_in(term.homepage_lang, language.lang) if term.homepage_lang else "",
            ),
            feed_url=feed_path(term.url),
        )  # fmt: skip

    def _entries_of(self, keys: Sequence[str]) -> tuple[TimelineEntry, ...]:
        entries = self._entries_before
        if entries is None:  # gathered when the timeline is first planned
            entries = self._entries_before = {
                entry.key: entry
                for year in self._years_before.values()
                for listed in (*(m.reports for m in year.months), year.year_only)
                for entry in listed
                if entry.key not in self._moved
            }
        found = []
        for key in keys:
            entry = entries.get(key)
            if entry is None:
                entry = entries[key] = timeline_entry(self.site.reports[key])
            found.append(entry)
        return tuple(found)

    def _year_view(self, year: TimelineYear) -> YearView:
        view = YearView(
            year.year,
            year.url,
            year.count,
            tuple(MonthView(m.year, m.month, self._entries_of(m.report_keys)) for m in year.months),
            self._entries_of(year.year_only_keys),
        )
        # The same object as before where nothing in it changed: pages that show it compare
        # quickly, and the theme's fragment cache knows it at once.
        before = self._years_before.get(year.url)
        return before if before == view else view

    def _plan_timeline(self, language: LanguageSite) -> None:
        self._read("timeline", language.lang)
        for other in self.site.languages:  # their years, for each year's other versions
            self._read("years", other.lang)
        timeline_urls = self._per_language_urls(lambda e: e.timeline_url)
        years = tuple(self._year_view(y) for y in language.timeline)
        self.timelines[language.lang] = years
        links = tuple(YearLink(y.year, y.url, y.count) for y in years)
        self._add(
            "timeline", language.timeline_url, "timeline.html", "timeline", language,
            self._alternates(timeline_urls), years=years,
        )  # fmt: skip
        for year in years:
            year_urls = self._per_language_urls(
                lambda e, y=year.year: next((t.url for t in e.timeline if t.year == y), None)
            )
            self._add(
                "timeline_year", year.url, "timeline_year.html", str(year.year), language,
                self._alternates(year_urls), year=year, years=links,
            )  # fmt: skip


def _describe_job(job: PageJob) -> str:
    if job.sources:
        return ", ".join(p.as_posix() for p in job.sources)
    return f"the {job.page.kind if job.page else 'unnamed'} page {job.url}"


def find_collisions(jobs: Sequence[PageJob], config: SiteConfig) -> list[SitegenError]:
    """Two pages that would be written to one file, named by the files they come from."""
    errors: list[SitegenError] = []
    seen: dict[str, PageJob] = {}
    for job in jobs:
        other = seen.setdefault(job.output, job)
        if other is job:
            continue
        located = job if job.sources else other
        errors.append(
            SitegenError(
                f"{job.output} would be written twice: by {_describe_job(other)} "
                f"and by {_describe_job(job)}",
                SourceLocation(located.sources[0], 1) if located.sources else None,
                "give the report another slug, or rename its section",
            )
        )
    return errors


def render_page(env: jinja2.Environment, job: PageJob, config: SiteConfig) -> bytes:
    """Render one page; a template mistake becomes a TemplateError at the template's line."""
    try:
        template = env.get_template(job.template)
        return template.render(job.context).encode("utf-8")
    except TemplateError:
        raise
    except Exception as error:
        raise template_error(error, config) from None
