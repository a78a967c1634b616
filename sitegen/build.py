"""The one place that knows the order of the stages: build(config, options, reporter)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imagesize
from markdown_it import MarkdownIt

from sitegen.config import BuildOptions, SiteConfig
from sitegen.content.discover import discover_sources
from sitegen.content.report import ReportErrors, parse_report
from sitegen.diagnostics import BuildFailed, Diagnostic, Reporter
from sitegen.errors import SitegenError, SourceLocation
from sitegen.indexes import build_site
from sitegen.links import (
    ScannedPage,
    find_broken_links,
    find_broken_page_links,
    resolve_link,
    scan_page,
)
from sitegen.markdown import create_markdown, render_markdown
from sitegen.model import Report, Site
from sitegen.output import OutputFile, check_output_folder, write_output
from sitegen.render import PageJob, find_collisions, plan_pages, render_page
from sitegen.theme import Theme, create_environment, load_strings, load_theme
from sitegen.urls import output_file
from sitegen.vocabulary import load_vocabulary

Progress = Callable[[str, int, int], None]
"""Told (stage, done, total) as long work goes on."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build made."""

    site: Site
    pages: int
    files: int
    output: Path | None


def load_reports(config: SiteConfig, reporter: Reporter) -> tuple[Report, ...]:
    """Discover and validate every report; problems go to the reporter."""
    sources, problems = discover_sources(config)
    for problem in problems:
        reporter.exception(problem)
    reports: list[Report] = []
    for source in sources:
        try:
            reports.append(parse_report(source, config, reporter.add))
        except ReportErrors as errors:
            for error in errors.errors:
                reporter.exception(error)
        except SitegenError as error:
            reporter.exception(error)
    return tuple(reports)


def _with_image_size(report: Report, reporter: Reporter) -> Report:
    image = report.image
    if image is None or image.file is None:
        return report
    try:
        width, height = imagesize.get(image.file)
    except (OSError, ValueError):
        width, height = -1, -1
    if width <= 0 or height <= 0:
        reporter.warning(
            f"cannot read the size of image {image.src!r}",
            SourceLocation(report.file, report.line_of("image")),
            "is it a JPEG, PNG, GIF, WebP or SVG file?",
        )
        return report
    return dataclasses.replace(report, image=dataclasses.replace(image, width=width, height=height))


def render_bodies(
    reports: tuple[Report, ...],
    config: SiteConfig,
    reporter: Reporter,
    md: MarkdownIt | None = None,
) -> tuple[Report, ...]:
    """Render every report's Markdown body, and read its image's size."""
    md = md or create_markdown()
    rendered: list[Report] = []
    for report in reports:
        result = render_markdown(
            md,
            report.body,
            base_path=config.base_path,
            body_line=report.body_line,
            allow_raw_html=config.allow_raw_html,
        )
        for warning in result.warnings:
            reporter.warning(
                warning.message,
                SourceLocation(report.file, warning.line),
                "set allow_raw_html = true in sitegen.toml to let it through, sanitised",
            )
        rendered.append(
            _with_image_size(dataclasses.replace(report, rendered=result.body), reporter)
        )
    return tuple(rendered)


def collect_assets(site: Site, config: SiteConfig, theme: Theme) -> list[OutputFile]:
    """Theme and site static files, and the images that live beside reports."""
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
    content_folder = config.content_path
    for report in site.reports.values():
        folder = (config.root / report.file).parent
        wanted: list[Path] = []
        image = report.image
        if image is not None and image.file is not None and image.file.parent == folder.resolve():
            wanted.append(image.file)
        for link in report.rendered.links if report.rendered else ():
            target = (folder / link.target).resolve()
            if (
                link.is_image
                and "/" not in link.target
                and ":" not in link.target
                and target.is_file()
                and target.is_relative_to(content_folder.resolve())
            ):
                wanted.append(target)
        for file in wanted:
            relative = report.url.lstrip("/") + file.name
            files[relative] = OutputFile(relative, copy_from=file)
    return [files[k] for k in sorted(files)]


def render_pages(
    jobs: tuple[PageJob, ...],
    config: SiteConfig,
    theme: Theme,
    reporter: Reporter,
    progress: Progress | None = None,
) -> list[OutputFile]:
    """Render every planned page; a template error is reported once per template and line."""
    env = create_environment(theme, config, load_strings(theme, config))
    pages: list[OutputFile] = []
    for done, job in enumerate(jobs, 1):
        try:
            pages.append(OutputFile(job.output, render_page(env, job, config)))
        except SitegenError as error:
            reporter.exception(error)
        if progress is not None:
            progress("rendering", done, len(jobs))
    return pages


def check_page_links(
    jobs: tuple[PageJob, ...],
    pages: list[OutputFile],
    outputs: set[str],
    site: Site,
    config: SiteConfig,
    theme: Theme,
) -> list[Diagnostic]:
    """Every link and #anchor in bodies and in rendered pages.

    Body links are named by their lines, the rest by the template that rendered them.
    """
    urls = {job.output: job.url for job in jobs}
    scanned = [scan_page(urls[p.path], p.content) for p in pages if p.content is not None]
    ids = {output_file(page.url): page.ids for page in scanned}
    body_problems = find_broken_links(site.reports.values(), outputs, ids)
    body_links = {
        (report.url, resolve_link(link.target, report.url))
        for report in site.reports.values()
        for link in (report.rendered.links if report.rendered else ())
    }
    template_links = [
        ScannedPage(
            page.url,
            page.ids,
            tuple(
                link
                for link in page.links
                if (page.url, resolve_link(link, page.url, config.base_path)) not in body_links
            ),
        )
        for page in scanned
    ]
    env = create_environment(theme, config, load_strings(theme, config))
    templates: dict[str, Path] = {}
    for job in jobs:
        file = Path(env.get_template(job.template).filename or job.template)
        if file.is_relative_to(config.root):
            file = file.relative_to(config.root)
        templates[job.url] = file
    return body_problems + find_broken_page_links(
        template_links, outputs, config.base_path, templates
    )


def _fail_if_errors(reporter: Reporter) -> None:
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)


def build(
    config: SiteConfig,
    options: BuildOptions,
    reporter: Reporter,
    *,
    write: bool = True,
    output: Path | None = None,
    progress: Progress | None = None,
    check_pages: bool = False,
) -> BuildResult:
    """Run every stage; raise BuildFailed with every problem if any stage found errors.

    With `check_pages`, every link and #anchor of every rendered page is checked too.
    """
    output = output or config.output_path
    if write:
        check_output_folder(output, config.root, config.content_path)
    theme = load_theme(config)
    reports = load_reports(config, reporter)
    _fail_if_errors(reporter)
    reports = render_bodies(reports, config, reporter)
    site_result = build_site(reports, config, options, load_vocabulary(config))
    reporter.extend(site_result.diagnostics)
    _fail_if_errors(reporter)
    site = site_result.site
    jobs = plan_pages(site, config)
    for error in find_collisions(jobs, config):
        reporter.exception(error)
    _fail_if_errors(reporter)
    pages = render_pages(jobs, config, theme, reporter, progress)
    assets = collect_assets(site, config, theme)
    page_paths = {p.path for p in pages}
    for asset in assets:
        if asset.path in page_paths:
            reporter.error(
                f"static file {asset.path} would overwrite a page",
                SourceLocation(asset.copy_from or Path(asset.path)),
                "rename or move it",
            )
    outputs = page_paths | {a.path for a in assets}
    if check_pages:
        reporter.extend(check_page_links(jobs, pages, outputs, site, config, theme))
    else:
        reporter.extend(find_broken_links(site.reports.values(), outputs))
    _fail_if_errors(reporter)
    files = pages + assets
    if write:
        write_output(files, output)
    return BuildResult(site, len(pages), len(files), output if write else None)
