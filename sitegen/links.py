"""Check links against the pages and files the build makes.

Links in report bodies are checked on every build, with their lines; `sitegen check` also
checks every link and #anchor in every rendered page, templates' links included.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sitegen.diagnostics import Diagnostic, Level
from sitegen.errors import SourceLocation
from sitegen.model import Report
from sitegen.urls import output_file


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """Where a link leads inside the site: the output file and the #fragment, if any."""

    file: str
    fragment: str


@functools.lru_cache(maxsize=1 << 17)
def resolve_link(link: str, page_url: str, base_path: str = "/") -> LinkTarget | None:
    """The output file a link leads to, or None for external, mailto and scheme links.

    `page_url` is the site path of the page holding the link; links already carrying the
    site's base path (as in rendered pages) have it removed.
    """
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path:
        return LinkTarget(output_file(page_url), unquote(parts.fragment))
    if path.startswith("/"):
        if base_path != "/" and path.startswith(base_path):
            path = "/" + path[len(base_path) :]
    else:
        path = posixpath.join(page_url, path)
    normal = posixpath.normpath(path)
    if path.endswith("/") and normal != "/":
        normal += "/"
    return LinkTarget(output_file(normal), unquote(parts.fragment))


def _exists(target: LinkTarget, outputs: Set[str]) -> bool:
    return target.file in outputs or f"{target.file}/index.html" in outputs


def find_broken_links(
    reports: Iterable[Report], outputs: Set[str], ids: Mapping[str, Set[str]] | None = None
) -> list[Diagnostic]:
    """Links and images in bodies that lead to no page or file, or to a missing #anchor.

    Anchors are checked where the `ids` of the pages are given.
    """
    problems: list[Diagnostic] = []
    for report in reports:
        if report.rendered is None:
            continue
        for link in report.rendered.links:
            target = resolve_link(link.target, report.url)
            if target is None:
                continue
            what = "image" if link.is_image else "link"
            where = SourceLocation(report.file, link.line)
            if not _exists(target, outputs):
                problems.append(
                    Diagnostic(
                        Level.WARNING,
                        f"{what} to {link.target} leads to no page or file of the site",
                        where,
                        "check the address; links from the site's root start with /",
                    )
                )
            elif (
                ids is not None
                and target.fragment
                and target.file in ids
                and target.fragment not in ids[target.file]
            ):
                problems.append(
                    Diagnostic(
                        Level.WARNING,
                        f"link to {link.target}: the page has no #{target.fragment}",
                        where,
                        "check the heading's anchor",
                    )
                )
    return problems


class _PageScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and (name == "id" or tag == "a"):
                self.ids.add(value)
            elif (name == "href" and tag in ("a", "link", "area")) or (
                name == "src" and tag in ("img", "script", "source", "iframe")
            ):
                self.links.append(value)
            elif name == "srcset":
                self.links.extend(part.split()[0] for part in value.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class ScannedPage:
    """The ids a rendered page defines and the links it holds."""

    url: str
    ids: frozenset[str]
    links: tuple[str, ...]


def scan_page(url: str, html: bytes) -> ScannedPage:
    """Read a rendered page's ids and links."""
    scanner = _PageScanner()
    scanner.feed(html.decode("utf-8", errors="replace"))
    scanner.close()
    return ScannedPage(url, frozenset(scanner.ids), tuple(scanner.links))


def find_broken_page_links(
    pages: Iterable[ScannedPage],
    outputs: Set[str],
    base_path: str,
    templates: Mapping[str, Path],
) -> list[Diagnostic]:
    """Links and #anchors in rendered pages (templates included) that lead nowhere.

    Each problem names the page and the template that rendered it; one per template and link.
    """
    scanned = list(pages)
    ids = {output_file(p.url): p.ids for p in scanned}
    problems: dict[tuple[Path, str], Diagnostic] = {}
    for page in scanned:
        template = templates.get(page.url, Path("<template>"))
        for link in page.links:
            target = resolve_link(link, page.url, base_path)
            if target is None:
                continue
            if not _exists(target, outputs):
                message = f"link to {link} on {page.url} leads to no page or file of the site"
            elif target.fragment and target.file in ids:
                if target.fragment in ids[target.file]:
                    continue
                message = f"link to {link} on {page.url}: the page has no #{target.fragment}"
            else:
                continue
            problems.setdefault(
                (template, link), Diagnostic(Level.WARNING, message, SourceLocation(template))
            )
    return list(problems.values())
