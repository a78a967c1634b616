"""`/sitemap.xml` (sitemaps.org 0.9, with Google's hreflang alternates) and `/robots.txt`. Pure.

The sitemap lists every page a reader may land on: reports, each language's home, the
tag and place indexes and pages, the timeline and its years. Later pages of a paginated
list and the not-found page are left out: every report they lead to is listed itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

from lxml import etree

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


def _page_reports(site: Site) -> dict[str, tuple[str, ...]]:
    """Site path -> the keys of the reports the page shows."""
    shows: dict[str, tuple[str, ...]] = {r.url: (k,) for k, r in site.reports.items()}
    for edition in site.editions:
        shows[edition.prefix + "/"] = edition.report_keys
        shows[edition.timeline_url] = edition.report_keys
        for taxonomy in edition.taxonomies:
            shows[taxonomy.url] = tuple(k for t in taxonomy.terms for k in t.report_keys)
            for term in taxonomy.terms:
                shows[term.url] = term.report_keys
        for year in edition.timeline:
            keys = [k for month in year.months for k in month.report_keys]
            shows[year.url] = (*keys, *year.year_only_keys)
    return shows


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


def _lastmod(keys: Sequence[str], changed: Mapping[str, dt.datetime]) -> dt.datetime | None:
    return max((changed[k] for k in keys if k in changed), default=None)


def build_sitemap(site: Site, config: SiteConfig, jobs: Sequence[PageJob]) -> OutputFile:
    """The sitemap of every listed page, with lastmod and hreflang alternates."""
    urls = SiteUrls(config.base_url, config.base_path)

    def absolute(path: str) -> str:
        return quote(urls.absolute(path), safe=_URL_SAFE)

    shows: Mapping[str, tuple[str, ...]] = _page_reports(site)
    changed = {key: report.last_changed for key, report in site.reports.items()}
    urlset = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "xhtml": XHTML_NS})
    for job in _listed(jobs):
        url = etree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = absolute(job.url)
        lastmod = _lastmod(shows.get(job.url, ()), changed)
        if lastmod is not None:
            etree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat(
                timespec="seconds"
            )
        for alternate in getattr(job.context.get("page"), "alternates", ()):
            etree.SubElement(
                url,
                f"{{{XHTML_NS}}}link",
                rel="alternate",
                hreflang=language_tag(alternate.lang),
                href=absolute(alternate.url),
            )
    content = etree.tostring(urlset, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return OutputFile(SITEMAP_NAME, content)


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
