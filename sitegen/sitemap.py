"""`/sitemap.xml` (sitemaps.org 0.9, with Google's hreflang alternates) and `/robots.txt`. Pure.

The sitemap lists every page a reader may land on: reports, each language's home, the
tag and place indexes and pages, the timeline and its years. Later pages of a paginated
list and the not-found page are left out: every report they lead to is listed itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

from sitegen.config import SiteConfig
from sitegen.model import Site
from sitegen.output import OutputFile
from sitegen.render import PageJob
from sitegen.urls import SiteUrls, language_tag

SITEMAP_NAME = "sitemap.xml"
ROBOTS_NAME = "robots.txt"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def _newest(keys: Iterable[str], changed: Mapping[str, dt.datetime]) -> dt.datetime | None:
    return max(map(changed.__getitem__, keys), default=None)


def _last_changes(site: Site) -> dict[str, dt.datetime | None]:
    """Site path -> when the newest of the reports the page shows last changed."""
    changed = {key: report.last_changed for key, report in site.reports.items()}
    last: dict[str, dt.datetime | None] = {r.url: changed[k] for k, r in site.reports.items()}
    for edition in site.editions:
        last[edition.prefix + "/"] = last[edition.timeline_url] = _newest(
            edition.report_keys, changed
        )
        for taxonomy in edition.taxonomies:
            terms = [_newest(term.report_keys, changed) for term in taxonomy.terms]
            for term, newest in zip(taxonomy.terms, terms, strict=True):
                last[term.url] = newest
            last[taxonomy.url] = max((t for t in terms if t is not None), default=None)
        for year in edition.timeline:
            keys = itertools.chain(*(m.report_keys for m in year.months), year.year_only_keys)
            last[year.url] = _newest(keys, changed)
    return last


def _listed(jobs: Iterable[PageJob]) -> list[PageJob]:
    listed: dict[str, PageJob] = {}
    for job in jobs:
        page = job.context.get("page")
        pagination = job.context.get("pagination")
        if getattr(page, "kind", None) == "404" or not job.url.endswith("/"):
            continue
        if pagination is not None and getattr(pagination, "number", 1) > 1:
            continue
        listed.setdefault(job.url, job)
    return list(listed.values())


def build_sitemap(site: Site, config: SiteConfig, jobs: Sequence[PageJob]) -> OutputFile:
    """The sitemap of every listed page, with lastmod and hreflang alternates."""
    last = _last_changes(site)
    base_url, base_path = config.base_url, config.base_path
    entries = [
        _url_entry(
            base_url,
            base_path,
            job.url,
            last.get(job.url),
            tuple(
                (alternate.lang, alternate.url)
                for alternate in getattr(job.context.get("page"), "alternates", ())
            ),
        )
        for job in _listed(jobs)
    ]
    head = f"<?xml version='1.0' encoding='UTF-8'?>\n<urlset {_NAMESPACES}"
    text = head + (">\n" + "".join(entries) + "</urlset>\n" if entries else "/>\n")
    return OutputFile(SITEMAP_NAME, text.encode("utf-8"))


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
