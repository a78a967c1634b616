"""Find the report files under content/ and the language each one is written in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sitegen.config import SiteConfig, is_known_language
from sitegen.errors import ContentError, SourceLocation

REPORT_SUFFIXES = (".md", ".markdown")


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
    allowed = {config.language, *config.languages}
    if config.languages:
        return (base, suffix) if suffix in allowed else (stem, None)
    return (base, suffix) if suffix in allowed or is_known_language(suffix) else (stem, None)


def discover_sources(config: SiteConfig) -> tuple[tuple[SourceFile, ...], tuple[ContentError, ...]]:
    """Every report file under content/, sorted by path, and the problems found on the way."""
    content = config.content_path
    found: list[SourceFile] = []
    problems: list[ContentError] = []
    if not content.is_dir():
        return (), ()
    content_real = content.resolve()
    for folder, dirnames, filenames in os.walk(content, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for dirname in dirnames:
            if (Path(folder) / dirname).is_symlink():
                problems.append(
                    ContentError(
                        "a linked folder is not followed",
                        SourceLocation((Path(folder) / dirname).relative_to(config.root)),
                        "move the folder into content/ instead of linking it",
                    )
                )
        dirnames[:] = [d for d in dirnames if not (Path(folder) / d).is_symlink()]
        for name in sorted(filenames):
            if not name.endswith(REPORT_SUFFIXES) or is_editor_litter(name):
                continue
            path = Path(folder) / name
            display = path.relative_to(config.root)
            if path.is_symlink():
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
            relative = path.relative_to(content)
            if len(relative.parts) < 2:
                problems.append(
                    ContentError(
                        "a report must be inside a section folder",
                        SourceLocation(display),
                        f"move it to {config.content_dir}/reports/{name}",
                    )
                )
                continue
            stem, lang = language_suffix(path.stem, config)
            found.append(
                SourceFile(path, display, relative.as_posix(), relative.parts[0], stem, lang)
            )
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
