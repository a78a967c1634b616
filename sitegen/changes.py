"""What changed since the last build, sorted once, at the door: `sort_changes`.

It turns the paths changed since the last build into the parts of the site they change
(report and edition files loaded anew, templates, static files), or says that the change
takes a full build.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import os
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

from sitegen.cache import LoadedReport
from sitegen.config import SiteConfig
from sitegen.content.discover import EDITIONS_FOLDER, SourceFile, edition_source, plain_source
from sitegen.errors import SitegenError
from sitegen.indexes import select_published
from sitegen.loading import LoadedEdition, load_edition_file, load_report_file
from sitegen.model import Report
from sitegen.state import BuildState, SiteChanges
from sitegen.theme import PAGE_TEMPLATES, Theme, load_theme


def report_shape(report: Report) -> Report:
    """A report without its body: what every page but its own may show of it."""
    return dataclasses.replace(report, body="", rendered=None, source_digest="")


def sort_changes(previous: BuildState, paths: Iterable[Path]) -> SiteChanges | None:
    """What changed: report and edition files (loaded), templates, static files.

    None where anything else changed (a page template came or went among them, or a
    static file that pages name by digest).
    """
    loaded: dict[str, LoadedReport | None] = {}
    editions: dict[str, LoadedEdition | None] = {}
    static: dict[str, Path | None] = {}
    templates = False
    theme = _ThemeFiles(previous.config)
    editions_folder = previous.config.content_path / EDITIONS_FOLDER
    static_folder = previous.config.static_path.absolute()
    for path in _folders_opened(previous, paths):
        if path.absolute().is_relative_to(static_folder):
            relative = path.absolute().relative_to(static_folder).as_posix()
            if any(part.startswith(".") for part in relative.split("/")):
                continue  # never copied
            if not _static_change(previous, path, relative, static, theme.static):
                return None
            continue
        if path.absolute().is_relative_to(editions_folder.absolute()):
            edition = edition_source(path, previous.config)
            if edition is not None and edition.path.is_file():
                editions[edition.key] = load_edition_file(edition, previous.config)
            elif edition is not None and not edition.path.exists():
                editions[edition.key] = None
            elif path.is_dir() or edition is not None or not path.exists():
                return None  # a folder of editions came or went
            continue  # a file beside the editions that is none
        source = plain_source(path, previous.config)
        if source is None:
            if _is_template_edit(path, theme.template_folders):
                templates = True
                continue
            readers = _readers_beside(previous, path)
            if readers is None:
                return None
            for reader in readers:  # loaded again, with the file as it is now (or gone)
                is_file = reader.path.is_file()
                loaded[reader.key] = load_report_file(reader, previous.config) if is_file else None
            continue
        if source.path.is_file():
            loaded[source.key] = load_report_file(source, previous.config)
        elif source.path.exists():
            return None
        else:
            loaded[source.key] = None
    bodies_only = True
    on_site = previous.model.site.reports
    for key, entry in loaded.items():
        before = previous.sources.reports.get(key)
        if (
            entry is None
            or before is None
            or entry.report is None
            or before.report is None
            or report_shape(entry.report) != report_shape(before.report)
            # its date came, or went (the clock set back): it joins or leaves the site
            or (key in on_site) != bool(select_published((entry.report,), previous.options))
        ):
            bodies_only = False
    if editions:  # edition pages may come or go
        bodies_only = False
    return SiteChanges(loaded, bodies_only, templates, editions, static)


def _folders_opened(previous: BuildState, paths: Iterable[Path]) -> Iterator[Path]:
    """The paths, with a folder of content/ that came as its files, one that went as its reports.

    Not the editions' folder or content/ itself, nor a folder that holds a link (which
    discovery does not follow): those stay folders, for a full build.
    """
    content = previous.config.content_path.absolute()
    editions = content / EDITIONS_FOLDER
    for path in paths:
        where = path.absolute()
        if where == content or not where.is_relative_to(content) or where.is_relative_to(editions):
            yield path
        elif path.is_dir():
            files = _files_within(path)
            yield from (path,) if files is None else files
        elif not path.exists():
            inside = f"{where}{os.sep}"
            held = [
                Path(entry.files[0].path)
                for entry in previous.sources.reports.values()
                if entry.files[0].path.startswith(inside)
            ]
            yield from held or (path,)
        else:
            yield path


def _files_within(folder: Path) -> list[Path] | None:
    """Every file under a folder; None where it or a folder in it is a link."""
    if folder.is_symlink():
        return None
    files: list[Path] = []
    for parent, folders, names in os.walk(folder):
        for name in folders + names:
            if os.path.islink(os.path.join(parent, name)):
                return None
        files.extend(Path(parent, name) for name in names)
    return sorted(files)


def _static_change(
    previous: BuildState,
    path: Path,
    relative: str,
    static: dict[str, Path | None],
    theme_static: AbstractSet[str],
) -> bool:
    """Note a file of the static folder made, changed or deleted.

    False where it takes a full build: a folder, a file pages name by digest (the theme's,
    or one replacing it), a file a report may show, or a file at the path of a file made
    otherwise.
    """
    made = previous.output.tree.made
    if path.is_dir() or relative in theme_static:
        return False
    if _reports_showing(previous, path, relative):
        return False  # a report's image, or an image a body shows at its size
    if path.is_file():
        if relative in made and relative not in previous.generated.static:
            return False
        static[relative] = path
    elif relative in previous.generated.static:
        static[relative] = None
    elif path.exists() or any(p.startswith(relative + "/") for p in made):
        return False  # a folder gone, or no plain file
    return True


def _readers_beside(previous: BuildState, path: Path) -> list[SourceFile] | None:
    """The reports that may show a file of content/ that is no report: an image beside them.

    Those of its folder that show it, as their image or in their body. None where the path
    is no such file: a folder, or a path outside content/ (a folder of reports that came or
    went reaches here as its files, from `_folders_opened`).
    """
    where = path.absolute()
    if not where.is_relative_to(previous.config.content_path.absolute()) or path.is_dir():
        return None
    readers = _reports_showing(previous, path, where.name, where.parent)
    found = (plain_source(Path(entry.files[0].path), previous.config) for entry in readers)
    return [source for source in found if source is not None]


def _reports_showing(
    previous: BuildState, path: Path, spelt: str, folder: Path | None = None
) -> list[LoadedReport]:
    """The reports of the last build that may show a file.

    As their image, or as an image in their body (whose size the body holds), named there
    in any spelling of `spelt`. With `folder`, only the reports whose files are in it.
    """
    resolved, within = str(path.resolve()), None if folder is None else str(folder)
    spellings = {spelt, urllib.parse.quote(spelt), html.escape(spelt)}
    found = []
    for entry in previous.sources.reports.values():
        if within is not None and os.path.dirname(entry.files[0].path) != within:
            continue
        report = entry.report
        body = report.rendered.html if report is not None and report.rendered else ""
        if any(read.path == resolved for read in entry.files[1:]) or (
            "<img" in body and any(spelling in body for spelling in spellings)
        ):
            found.append(entry)
    return found


class _ThemeFiles:
    """The theme's files a sort of changes asks about, the theme read once, when first asked."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config

    @functools.cached_property
    def theme(self) -> Theme | None:
        """The theme (None where it cannot be read: the full build says why)."""
        try:
            return load_theme(self.config)
        except SitegenError:
            return None

    @functools.cached_property
    def template_folders(self) -> tuple[Path, ...]:
        """The site's and the theme's template folders, resolved."""
        theme = self.theme
        folders = (self.config.templates_path, *(theme.template_folders if theme else ()))
        return tuple(folder.resolve() for folder in folders)

    @functools.cached_property
    def static(self) -> frozenset[str]:
        """The theme's static files' paths, which pages name by digest."""
        return frozenset(
            file.relative_to(folder).as_posix()
            for folder in (self.theme.static_folders if self.theme else ())
            for file in folder.rglob("*")
            if file.is_file()
        )


def _is_template_edit(path: Path, folders: Sequence[Path]) -> bool:
    """Whether a path is a template edited, made or deleted (not a page of its own)."""
    if path.is_dir() or path.suffix != ".html":
        return False
    resolved = path.resolve()
    for folder in folders:
        if resolved.is_relative_to(folder):
            relative = resolved.relative_to(folder).as_posix()
            return not relative.startswith(PAGE_TEMPLATES) and not any(
                part.startswith(".") for part in relative.split("/")
            )
    return False
