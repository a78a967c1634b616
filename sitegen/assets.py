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


def _images_beside(report: Report) -> list[str]:
    """The names of the images a report's body shows from beside its file."""
    return [
        link.target
        for link in (report.rendered.links if report.rendered else ())
        if link.is_image and "/" not in link.target and ":" not in link.target
    ]


def report_asset_paths(report: Report, config: SiteConfig) -> set[str]:
    """The paths `report_assets` may give, read from the report alone (its files may be gone)."""
    folder = (config.root / report.file).parent.resolve()
    names = _images_beside(report)
    image = report.image
    if image is not None and image.file is not None and image.file.parent == folder:
        names.append(image.file.name)
    return {report.url.lstrip("/") + name for name in names}


def report_assets(report: Report, config: SiteConfig) -> list[OutputFile]:
    """The images beside a report's file that it shows, copied beside its page."""
    images = _images_beside(report)
    if report.image is None and not images:
        return []
    folder = (config.root / report.file).parent.resolve()
    wanted: list[Path] = []
    image = report.image
    if image is not None and image.file is not None and image.file.parent == folder:
        wanted.append(image.file)
    content_folder = config.content_path.resolve()
    for name in images:
        target = (folder / name).resolve()
        if target.is_file() and target.is_relative_to(content_folder):
            wanted.append(target)
    files: list[OutputFile] = []
    for file in wanted:
        relative = report.url.lstrip("/") + file.name
        files.append(OutputFile(relative, copy_from=file))
    return files
