"""Find the report files under content/ and the language each one is written in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sitegen.config import SiteConfig, is_known_language
from sitegen.errors import ContentError, SourceLocation

REPORT_SUFFIXES = (".md", ".markdown")
EDITIONS_FOLDER = "editions"
"""The folder under content/ that holds the digest's editions, not reports."""


def is_editor_litter(name: str) -> bool:
    """Whether a file name is an editor's swap, backup or lock file, or hidden."""
    return name.startswith((".", "#", "~")) or name.endswith(
        ("~", ".swp", ".swo", ".swx", ".tmp", ".bak")
    )


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A report file: where it is and what its name says."""

    path: Path
    """Absolute path."""
    display: Path
    """Path relative to the site's folder, for messages."""
    key: str
    """Path under content/, with '/' separators: the report's identity."""
    section: str
    stem: str
    """The file name without the language suffix and extension."""
    lang_suffix: str | None


def language_suffix(stem: str, config: SiteConfig) -> tuple[str, str | None]:
    """Split `name.ko` into ('name', 'ko') where `ko` is a language the site accepts."""
    base, dot, suffix = stem.rpartition(".")
    if not dot or not base:
        return stem, None
    allowed = {config.language, *config.language_codes}
    if config.language_codes:
        return (base, suffix) if suffix in allowed else (stem, None)
    return (base, suffix) if suffix in allowed or is_known_language(suffix) else (stem, None)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """Whether an entry is a folder or a link to one (as os.walk sorts them)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def discover_sources(config: SiteConfig) -> tuple[tuple[SourceFile, ...], tuple[ContentError, ...]]:
    """Every report file under content/, sorted by path, and the problems found on the way."""
    content = config.content_path
    found: list[SourceFile] = []
    problems: list[ContentError] = []
    if not content.is_dir():
        return (), ()
    content_real = content.resolve()
    try:
        content_display = content.relative_to(config.root)
    except ValueError:  # content_dir outside the site's folder
        content_display = content

    def visit(folder: Path, relative: str) -> None:
        """Files first, then subfolders, each in name order: the order os.walk gives."""
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return
        subfolders: list[os.DirEntry[str]] = []
        for entry in entries:
            if not _is_folder(entry) or entry.name.startswith("."):
                continue
            if not relative and entry.name == EDITIONS_FOLDER:
                continue  # editions are found by discover_editions
            if entry.is_symlink():
                problems.append(
                    ContentError(
                        "a linked folder is not followed",
                        SourceLocation(content_display / relative / entry.name),
                        "move the folder into content/ instead of linking it",
                    )
                )
            else:
                subfolders.append(entry)
        for entry in entries:
            name = entry.name
            if not name.endswith(REPORT_SUFFIXES) or is_editor_litter(name) or _is_folder(entry):
                continue
            path = folder / name
            key = f"{relative}/{name}" if relative else name
            display = content_display / key
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    problems.append(
                        ContentError("a link that leads nowhere", SourceLocation(display))
                    )
                    continue
                if not target.is_relative_to(content_real):
                    problems.append(
                        ContentError(
                            "a link to a file outside content/ is not read",
                            SourceLocation(display),
                            "copy the file into content/",
                        )
                    )
                    continue
            if not relative:
                problems.append(
                    ContentError(
                        "a report must be inside a section folder",
                        SourceLocation(display),
                        f"move it to {config.content_dir}/reports/{name}",
                    )
                )
                continue
            stem, lang = language_suffix(name.rpartition(".")[0], config)
            section = relative.partition("/")[0]
            found.append(SourceFile(path, display, key, section, stem, lang))
        for entry in subfolders:
            visit(folder / entry.name, f"{relative}/{entry.name}" if relative else entry.name)

    visit(content, "")
    return tuple(found), tuple(problems)


def plain_source(path: Path, config: SiteConfig) -> SourceFile | None:
    """The report file at `path` as discover_sources finds it.

    None where it is not a report file, or one that needs a word from discover_sources (a
    link, a file outside a section folder).
    """
    content = config.content_path
    if not path.absolute().is_relative_to(content.absolute()):
        return None
    relative = path.absolute().relative_to(content.absolute())
    path = content / relative
    if len(relative.parts) < 2 or any(part.startswith(".") for part in relative.parts[:-1]):
        return None
    if relative.parts[0] == EDITIONS_FOLDER:
        return None
    name = path.name
    if not name.endswith(REPORT_SUFFIXES) or is_editor_litter(name):
        return None
    folder = content
    for part in relative.parts:
        folder = folder / part
        if folder.is_symlink():
            return None
    stem, lang = language_suffix(path.stem, config)
    display = path.relative_to(config.root)
    return SourceFile(path, display, relative.as_posix(), relative.parts[0], stem, lang)


def edition_source(path: Path, config: SiteConfig) -> SourceFile | None:
    """The edition file at `path` (under content/editions/), or None where it is none."""
    folder = config.content_path / EDITIONS_FOLDER
    if not path.absolute().is_relative_to(folder.absolute()):
        return None
    relative = path.absolute().relative_to(folder.absolute())
    name = path.name
    if (
        not relative.parts
        or any(part.startswith(".") for part in relative.parts[:-1])
        or not name.endswith(REPORT_SUFFIXES)
        or is_editor_litter(name)
    ):
        return None
    stem, lang = language_suffix(name.rpartition(".")[0], config)
    key = f"{EDITIONS_FOLDER}/{relative.as_posix()}"
    display = (config.content_path / key).relative_to(config.root)
    return SourceFile(folder / relative, display, key, EDITIONS_FOLDER, stem, lang)


def discover_editions(config: SiteConfig) -> tuple[SourceFile, ...]:
    """Every edition file under content/editions/, sorted by path (links are not followed)."""
    folder = config.content_path / EDITIONS_FOLDER
    if not folder.is_dir() or folder.is_symlink():
        return ()
    found: list[SourceFile] = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        source = edition_source(path, config)
        if source is not None:
            found.append(source)
    return tuple(found)
