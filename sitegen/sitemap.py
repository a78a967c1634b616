"""`/sitemap.xml` (sitemaps.org 0.9, with Google's hreflang alternates) and `/robots.txt`. Pure.

The sitemap lists every page a reader may land on: reports, each language's home, the
tag and place indexes and pages, the timeline and its years. Later pages of a paginated
list and the not-found page are left out: every report they lead to is listed itself.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from urllib.parse import quote

from sitegen.config import SiteConfig
from sitegen.model import Site, Term, TimelineYear
from sitegen.output import OutputFile
from sitegen.render import PageJob
from sitegen.urls import SiteUrls, corrections_path, language_tag

SITEMAP_NAME = "sitemap.xml"
ROBOTS_NAME = "robots.txt"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """What the sitemap says of one page: its `<url>` element ("" where it is not listed)."""

    job: PageJob
    lastmod: dt.datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class Sitemap:
    """The sitemap file, and what the next one is made from after a few reports changed."""

    file: OutputFile
    lastmods: Mapping[str, dt.datetime | None]
    """Site path -> when the newest of the reports the page shows last changed."""
    entries: Mapping[str, SitemapEntry]
    """Site path -> the entry made for the page planned at it."""


@dataclass(frozen=True, slots=True)
class SitemapBefore:
    """The sitemap of an earlier build of the site, and the reports changed since."""

    sitemap: Sitemap
    site: Site
    changed: AbstractSet[str]


def _last_changes(site: Site, before: SitemapBefore | None) -> dict[str, dt.datetime | None]:
    """Site path -> when the newest of the reports the page shows last changed.

    With `before`, what the changed reports cannot have changed is taken from it: the
    other reports' dates, each term that holds the same reports as before, none of them
    changed, and each year that no changed report left or joined.
    """
    reports = site.reports
    last: dict[str, dt.datetime | None]
    old_terms: dict[str, Term] = {}
    old_years: dict[str, TimelineYear] = {}
    if before is None:
        last = {report.url: report.last_changed for report in reports.values()}
        changed: AbstractSet[str] = reports.keys()
        touched_years: set[int] = set()
    else:
        last = dict(before.sitemap.lastmods)
        changed = before.changed
        old_reports = before.site.reports
        for key in changed:
            if (old := old_reports.get(key)) is not None:
                last.pop(old.url, None)
        for key in changed:
            if (new := reports.get(key)) is not None:
                last[new.url] = new.last_changed
        touched_years = {
            report.event_date.year
            for key in changed
            for report in (old_reports.get(key), reports.get(key))
            if report is not None
        }
        for language in before.site.languages:
            for taxonomy in language.taxonomies:
                old_terms.update((term.url, term) for term in taxonomy.terms)
            old_years.update((year.url, year) for year in language.timeline)

    def newest(keys: Iterable[str]) -> dt.datetime | None:
        return max((reports[key].last_changed for key in keys), default=None)

    def term_newest(term: Term) -> dt.datetime | None:
        old = old_terms.get(term.url)
        if (
            old is not None
            and term.url in last
            and (old is term or old.report_keys == term.report_keys)
            and changed.isdisjoint(term.report_keys)
        ):
            return last[term.url]
        return newest(term.report_keys)

    def year_newest(year: TimelineYear) -> dt.datetime | None:
        old = old_years.get(year.url)
        if (
            old is not None
            and year.url in last
            and year.year not in touched_years  # no changed report is in it, or was
            and (old is year or old == year)
        ):
            return last[year.url]
        return newest(year.report_keys)

    for language in site.languages:
        for taxonomy in language.taxonomies:
            terms = [term_newest(term) for term in taxonomy.terms]
            for term, term_last in zip(taxonomy.terms, terms, strict=True):
                last[term.url] = term_last
            last[taxonomy.url] = max((t for t in terms if t is not None), default=None)
        years = [year_newest(year) for year in language.timeline]
        for year, year_last in zip(language.timeline, years, strict=True):
            last[year.url] = year_last
        if sum(year.count for year in language.timeline) == len(language.report_keys):
            language_last = max((y for y in years if y is not None), default=None)
        else:
            language_last = newest(language.report_keys)
        last[language.prefix + "/"] = last[language.timeline_url] = language_last
        last[corrections_path(language.prefix)] = newest(language.corrected)
    archives: dict[str, dt.datetime] = {}
    for edition in site.editions.values():
        last[edition.url] = edition.date
        archive = edition.url.rsplit("/", 2)[0] + "/"  # /editions/x/ -> /editions/
        archives[archive] = max(archives.get(archive, edition.date), edition.date)
    last.update(archives)
    return last


def build_sitemap(
    site: Site, config: SiteConfig, jobs: Sequence[PageJob], before: SitemapBefore | None = None
) -> Sitemap:
    """The sitemap of every listed page, with lastmod and hreflang alternates.

    With `before`, the entries of pages planned as before (the same jobs) whose lastmod is
    as before are taken from it.
    """
    last = _last_changes(site, before)
    known = before.sitemap.entries if before is not None else {}
    base_url, base_path = config.base_url, config.base_path
    entries: dict[str, SitemapEntry] = {}
    for job in jobs:
        url = job.url
        if url in entries:
            continue
        lastmod = last.get(url)
        entry = known.get(url)
        if entry is None or entry.job is not job or entry.lastmod != lastmod:
            text = ""
            if job.listed:
                alternates = job.page.alternates if job.page is not None else ()
                text = _url_entry(
                    base_url, base_path, url, lastmod, tuple((a.lang, a.url) for a in alternates)
                )
            entry = SitemapEntry(job, lastmod, text)
        entries[url] = entry
    listed = "".join(entry.text for entry in entries.values())
    head = f"<?xml version='1.0' encoding='UTF-8'?>\n<urlset {_NAMESPACES}"
    text = head + (">\n" + listed + "</urlset>\n" if listed else "/>\n")
    return Sitemap(OutputFile(SITEMAP_NAME, text.encode("utf-8")), last, entries)


_NAMESPACES = f'xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}"'


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attribute(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


@functools.lru_cache(maxsize=1 << 16)
def _url_entry(
    base_url: str,
    base_path: str,
    url: str,
    lastmod: dt.datetime | None,
    alternates: tuple[tuple[str, str], ...],
) -> str:
    """One page's `<url>` element (made once per process for the same inputs)."""
    urls = SiteUrls(base_url, base_path)

    def absolute(path: str) -> str:
        return _xml_attribute(quote(urls.absolute(path), safe=_URL_SAFE))

    lines = ["  <url>", f"    <loc>{absolute(url)}</loc>"]
    if lastmod is not None:
        lines.append(f"    <lastmod>{lastmod.isoformat(timespec='seconds')}</lastmod>")
    lines += [
        f'    <xhtml:link rel="alternate" hreflang="{_xml_attribute(language_tag(lang))}"'
        f' href="{absolute(href)}"/>'
        for lang, href in alternates
    ]
    return "\n".join(lines) + "\n  </url>\n"


def build_robots(config: SiteConfig) -> list[OutputFile]:
    """A robots.txt that lets every crawler in and names the sitemap.

    Nothing when the site has its own `static/robots.txt`, which is copied instead.
    """
    if (config.static_path / ROBOTS_NAME).is_file():
        return []
    lines = ["User-agent: *", "Disallow:"]
    sitemap = SiteUrls(config.base_url, config.base_path).absolute("/" + SITEMAP_NAME)
    if sitemap.startswith(("http://", "https://")):
        lines += ["", f"Sitemap: {quote(sitemap, safe=_URL_SAFE)}"]
    return [OutputFile(ROBOTS_NAME, ("\n".join(lines) + "\n").encode("utf-8"))]
