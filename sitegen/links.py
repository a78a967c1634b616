"""Check the links in report bodies against the pages and files the build makes."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Set
from urllib.parse import unquote, urlsplit

from sitegen.diagnostics import Diagnostic, Level
from sitegen.errors import SourceLocation
from sitegen.model import Report
from sitegen.urls import output_file


def _target_path(link: str, page_url: str) -> str | None:
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    if not path.startswith("/"):
        path = posixpath.join(page_url, path)
    normal = posixpath.normpath(path)
    return normal + "/" if path.endswith("/") and normal != "/" else normal


def find_broken_links(reports: Iterable[Report], outputs: Set[str]) -> list[Diagnostic]:
    """Links and images in bodies that lead to no page or file of the site."""
    problems: list[Diagnostic] = []
    for report in reports:
        if report.rendered is None:
            continue
        for link in report.rendered.links:
            path = _target_path(link.target, report.url)
            if path is None:
                continue
            relative = output_file(path)
            if relative in outputs or f"{relative}/index.html" in outputs:
                continue
            what = "image" if link.is_image else "link"
            problems.append(
                Diagnostic(
                    Level.WARNING,
                    f"{what} to {link.target} leads to no page or file of the site",
                    SourceLocation(report.file, link.line),
                    "check the address; links from the site's root start with /",
                )
            )
    return problems
