"""Files copied into the site as they are: static files and the images beside reports."""

from __future__ import annotations

from pathlib import Path

from sitegen.config import SiteConfig
from sitegen.model import Report, Site
from sitegen.output import (
    OutputFile,
)
from sitegen.theme import (
    Theme,
    ThemeAssets,
)


def collect_assets(
    site: Site, config: SiteConfig, theme: Theme, assets: ThemeAssets
) -> list[OutputFile]:
    """Theme and site static files, and the images that live beside reports.

    The theme's files come under their plain names (for links from elsewhere) and under the
    names with their digests that pages link.
    """
    files: dict[str, OutputFile] = {}
    for folder in (*theme.static_folders, config.static_path):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not any(
                part.startswith(".") for part in path.relative_to(folder).parts
            ):
                relative = path.relative_to(folder).as_posix()
                files[relative] = OutputFile(relative, copy_from=path)
    for _, source, named in assets.files:
        files[named] = OutputFile(named, copy_from=source)
    for report in site.reports.values():
        files.update((file.path, file) for file in report_assets(report, config))
    return [files[k] for k in sorted(files)]


def _beside(report: Report, config: SiteConfig) -> list[tuple[Path, bool]]:
    """The files beside a report's file that it shows: each, and whether it is its image.

    Read from the report alone: a file named in the body may be gone.
    """
    names = [
        link.target
        for link in (report.rendered.links if report.rendered else ())
        if link.is_image and "/" not in link.target and ":" not in link.target
    ]
    image = report.image
    if (image is None or image.file is None) and not names:
        return []  # most reports: no folder to resolve
    folder = (config.root / report.file).parent.resolve()
    found: list[tuple[Path, bool]] = []
    if image is not None and image.file is not None and image.file.parent == folder:
        found.append((image.file, True))
    found.extend(((folder / name).resolve(), False) for name in names)
    return found


def report_asset_paths(report: Report, config: SiteConfig) -> set[str]:
    """The paths `report_assets` may give, read from the report alone (its files may be gone)."""
    return {report.url.lstrip("/") + file.name for file, _ in _beside(report, config)}


def report_assets(report: Report, config: SiteConfig) -> list[OutputFile]:
    """The images beside a report's file that it shows, copied beside its page."""
    content_folder = config.content_path.resolve()
    return [
        OutputFile(report.url.lstrip("/") + file.name, copy_from=file)
        for file, is_image in _beside(report, config)
        if is_image or (file.is_file() and file.is_relative_to(content_folder))
    ]
