"""Atom feeds: one per language, and one per tag and place in each language. Pure.

Every feed holds the newest `feed_entries` reports of its page, newest first. Nothing in a
feed depends on the clock: a feed's `updated` is its newest entry's, so the same content
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import lxml.html
from feedgen.feed import FeedGenerator
from lxml import etree

from sitegen.config import SiteConfig
from sitegen.model import LanguageSite, Report, Site, Term
from sitegen.output import LazyFile
from sitegen.theme import language_name
from sitegen.urls import SiteUrls, feed_path, fold_term, language_tag

ATOM_TYPE = "application/atom+xml"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """Text with the characters XML cannot hold (most control characters) left out."""
    return _NOT_XML.sub("", value)


@functools.lru_cache(maxsize=1024)
def absolute_body(body_html: str, page_url: str) -> str:
    """A report's HTML with every link and image made absolute against its page's URL.

    The most recent are kept: a dev server's rebuild remakes a feed around one new entry.
    """
    if not body_html.strip():
        return ""
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    root.make_links_absolute(page_url, resolve_base_href=False)
    parts = [html.escape(root.text or "", quote=False)]
    parts += [lxml.html.tostring(child, encoding="unicode") for child in root]
    return "".join(parts)


class _EntryLinks:
    """An entry's links, written by feedgen as an extension.

    feedgen 1.0's own entry links lose their rel, type and hreflang (it reads them back from
    the new element), so a source link would read as another alternate.
    """

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def add(self, **attributes: str | None) -> None:
        """A link with these attributes; None leaves one out."""
        self.links.append({k: v for k, v in attributes.items() if v is not None})

    def extend_ns(self) -> dict[str, str]:
        """No namespace of its own."""
        return {}

    def extend_rss(self, item: Any) -> Any:
        """Nothing in RSS."""
        return item

    def extend_atom(self, entry: Any) -> Any:
        """Add the links to the entry's element (in the feed's default namespace, as feedgen's)."""
        for link in self.links:
            etree.SubElement(entry, "link", link)
        return entry


class _FeedWriter:
    """Turns reports into Atom entries, with the site's URLs and terms at hand."""

    def __init__(self, site: Site, config: SiteConfig, report_digests: Mapping[str, str]) -> None:
        self.site = site
        self.config = config
        self.report_digests = report_digests
        self.contents: dict[str, str] = {}
        self._members: dict[int, frozenset[str]] = {}
        """id(term) -> its reports' keys (the terms live as long as the site)."""
        self.urls = SiteUrls(config.base_url, config.base_path)
        self.taxonomy_urls = {
            (language.lang, taxonomy.name): taxonomy.url
            for language in site.languages
            for taxonomy in language.taxonomies
        }

    def absolute(self, path: str) -> str:
        return self.urls.absolute(path)

    @functools.cached_property
    def site_updated(self) -> dt.datetime:
        """An empty feed's `updated`: the site's newest change."""
        return max((r.last_changed for r in self.site.reports.values()), default=_EPOCH)

    @functools.cached_property
    def _by_spelling(self) -> dict[tuple[str, str, str], list[Term]]:
        """(lang, taxonomy, folded spelling) -> the terms that spelling stands for."""
        index: dict[tuple[str, str, str], list[Term]] = {}
        for language in self.site.languages:
            for taxonomy in language.taxonomies:
                for term in taxonomy.terms:
                    for spelling in term.spellings or (term.key,):
                        index.setdefault((language.lang, taxonomy.name, spelling), []).append(term)
        return index

    def _term(self, lang: str, key: str, taxonomy: str, spelling: str) -> Term | None:
        """The term in that language that a report's spelling stands for."""
        for term in self._by_spelling.get((lang, taxonomy, spelling), ()):
            members = self._members.get(id(term))
            if members is None:
                members = self._members[id(term)] = frozenset(term.report_keys)
            if key in members:
                return term
        return None

    def report_terms(self, report: Report, lang: str) -> list[tuple[str, Term]]:
        found: list[tuple[str, Term]] = []
        for taxonomy in self.config.taxonomies:
            for written in report.terms_of(taxonomy):
                term = self._term(lang, report.key, taxonomy, fold_term(written))
                if term is not None and (taxonomy, term) not in found:
                    found.append((taxonomy, term))
        return found

    def content(self, report: Report, page_url: str) -> str:
        """An entry's HTML content, made once per report however many feeds hold it."""
        made = self.contents.get(report.key)
        if made is None:
            made = self.contents[report.key] = self._content(report, page_url)
        return made

    def _content(self, report: Report, page_url: str) -> str:
        parts: list[str] = []
        image = report.image
        if image is not None:
            size = f' width="{image.width}" height="{image.height}"' if image.width else ""
            parts.append(
                f'<figure><img src="{html.escape(self.absolute(image.url))}"'
                f' alt="{html.escape(image.alt)}"{size}>'
            )
            caption = " ".join(t for t in (image.caption, image.credit) if t)
            if caption:
                parts.append(f"<figcaption>{html.escape(caption)}</figcaption>")
            parts.append("</figure>\n")
        body = report.rendered.html if report.rendered else ""
        parts.append(absolute_body(body, page_url))
        return xml_text("".join(parts))

    def feed(
        self,
        path: str,
        title: str,
        page_path: str,
        lang: str,
        keys: Sequence[str],
        subtitle: str = "",
    ) -> LazyFile:
        """One feed of the newest reports among keys (given newest first), made on demand.

        Its digest stands for the feed's settings and the digests of its reports' pages,
        which stand for everything an entry shows.
        """
        reports = tuple(map(self.site.reports.__getitem__, keys[: self.config.feed_entries]))
        digests = [self.report_digests.get(r.key) for r in reports]
        digest: str | None = None
        if all(digests):
            # An empty feed's `updated` is the site's newest change, in any language.
            updated = () if reports else (self.site_updated.isoformat(),)
            hasher = hashlib.blake2b(digest_size=16)
            for part in (path, title, page_path, lang, subtitle, *updated, *digests):
                hasher.update(str(part).encode("utf-8", "surrogatepass") + b"\0")
            digest = hasher.hexdigest()
        return LazyFile(
            path.lstrip("/"),
            digest,
            functools.partial(self.atom, path, title, page_path, lang, reports, subtitle),
        )

    def atom(
        self,
        path: str,
        title: str,
        page_path: str,
        lang: str,
        reports: Sequence[Report],
        subtitle: str,
    ) -> bytes:
        """The Atom document of one feed."""
        feed_url = self.absolute(path)
        generator = FeedGenerator()
        generator.id(feed_url)
        generator.title(xml_text(title))
        if subtitle:
            generator.subtitle(xml_text(subtitle))
        generator.link(href=feed_url, rel="self", type=ATOM_TYPE)
        generator.link(href=self.absolute(page_path), rel="alternate", type="text/html")
        generator.language(language_tag(lang))
        generator.author({"name": xml_text(self.config.title_in(lang))})
        generator.generator("sitegen")
        generator.updated(max((r.last_changed for r in reports), default=self.site_updated))
        for report in reports:
            self.add_entry(generator, report, lang)
        return bytes(generator.atom_str(pretty=True))

    def add_entry(self, generator: FeedGenerator, report: Report, lang: str) -> None:
        page_url = self.absolute(report.url)
        entry = generator.add_entry(order="append")
        entry.id(page_url)
        entry.title(xml_text(report.title))
        links = _EntryLinks()
        links.add(
            href=page_url, rel="alternate", type="text/html", hreflang=language_tag(report.lang)
        )
        # The entry's own page is its one alternate: readers take the last alternate (Python's
        # feedparser) or the first (others) as the entry's link, so the other versions of the
        # report are related links in their languages, named in them.
        group = self.site.translations.get(report.key)
        for other_lang, other_key in group.members if group else ():
            if other_key == report.key:
                continue
            links.add(
                href=self.absolute(self.site.reports[other_key].url),
                rel="related",
                type="text/html",
                hreflang=language_tag(other_lang),
                title=language_name(other_lang),
            )
        if report.source is not None:
            source = report.source
            links.add(
                href=xml_text(source.url),
                rel="related",
                hreflang=language_tag(source.lang) if source.lang else None,
                title=xml_text(source.name),
            )
        entry.register_extension("sitegen_links", lambda: links, atom=True, rss=False)
        entry.published(report.date)
        entry.updated(report.last_changed)
        for author in report.authors:
            entry.author({"name": xml_text(author)})
        if report.summary:
            entry.summary(xml_text(report.summary))
        entry.content(self.content(report, page_url), type="html")
        for taxonomy, term in self.report_terms(report, lang):
            scheme = self.absolute(self.taxonomy_urls[(lang, taxonomy)])
            entry.category(term=xml_text(term.name), scheme=scheme, label=xml_text(term.name))

    def language_feeds(
        self, language: LanguageSite, holding: AbstractSet[str] | None = None
    ) -> Iterable[LazyFile]:
        def wanted(keys: Sequence[str]) -> bool:
            return holding is None or not holding.isdisjoint(keys)

        default = language.lang == self.config.language
        title = self.config.title_in(language.lang)
        if not default and title == self.config.title:  # no title of its own
            title = f"{title} · {language_name(language.lang)}"
        if wanted(language.report_keys):
            yield self.feed(
                feed_path(language.prefix + "/"),
                title,
                language.prefix + "/",
                language.lang,
                language.report_keys,
                self.config.description_in(language.lang),
            )
        for taxonomy in language.taxonomies:
            for term in taxonomy.terms:
                if not wanted(term.report_keys):
                    continue
                yield self.feed(
                    feed_path(term.url),
                    f"{term.name} · {title}",
                    term.url,
                    language.lang,
                    term.report_keys,
                    term.description,
                )


def build_feeds(
    site: Site,
    config: SiteConfig,
    report_digests: Mapping[str, str] | None = None,
    holding: AbstractSet[str] | None = None,
) -> list[LazyFile]:
    """Every Atom feed of the site: per language, and per tag and place in each language.

    `report_digests` gives the digest of each report's page inputs; with them, a feed is
    made only when one of its reports or its settings changed. With `holding` (report
    keys), only the feeds that list one of those reports among all of theirs.
    """
    writer = _FeedWriter(site, config, report_digests or {})
    return [
        file for language in site.languages for file in writer.language_feeds(language, holding)
    ]
