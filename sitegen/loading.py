"""Load report files: validate their front matter, render their bodies, size their images.

Files unchanged since they were last loaded come from the report cache (or from reports
loaded earlier in this process); the rest are loaded on every core.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt

from sitegen.cache import (
    FileStamp,
    LoadedReport,
    ReadFile,
    bytes_digest,
    load_report_cache,
    save_report_cache,
)
from sitegen.config import SiteConfig
from sitegen.content.discover import SourceFile, discover_editions, discover_sources
from sitegen.content.edition import validate_edition
from sitegen.content.report import ReportErrors, read_report_text, validate_report
from sitegen.diagnostics import Diagnostic, Level, Reporter
from sitegen.errors import SitegenError, SourceLocation
from sitegen.images import image_size
from sitegen.markdown import create_markdown, render_inline_markdown, render_markdown
from sitegen.model import Edition, Report
from sitegen.pickling import dumps
from sitegen.workers import long_lived_data, parallel_map

Progress = Callable[[str, int, int], None]
"""Told (stage, done, total) as long work goes on."""


def _with_image_size(report: Report, reporter: Reporter) -> Report:
    image = report.image
    if image is None or image.file is None:
        return report
    size = image_size(image.file)
    if size is None:
        reporter.warning(
            f"cannot read the size of image {image.src!r}",
            SourceLocation(report.file, report.line_of("image")),
            "is it a JPEG, PNG, GIF, WebP or SVG file?",
        )
        return report
    width, height = size
    return dataclasses.replace(report, image=dataclasses.replace(image, width=width, height=height))


def load_report_file(source: SourceFile, config: SiteConfig) -> LoadedReport:
    """Load one report file: validate its front matter, render its body, size its image."""
    stamp = FileStamp.of(source.path)
    collected = Reporter()
    report: Report | None = None
    text = ""
    try:
        text = read_report_text(source)
        report = validate_report(text, source, config, collected.add)
    except ReportErrors as errors:
        for error in errors.errors:
            collected.exception(error)
    except SitegenError as error:
        collected.exception(error)
    encoded = text.encode("utf-8", "surrogatepass")
    files = [ReadFile(str(source.path), stamp, bytes_digest(encoded))]
    if report is not None:
        if report.image is not None and report.image.file is not None:
            files.append(ReadFile.of(report.image.file))  # read before it is sized
        report = _with_image_size(render_body(report, config, collected), collected)
        hasher = hashlib.blake2b(encoded, digest_size=16)
        for file in files[1:]:
            hasher.update(f"\0{file.path}\0{file.digest}".encode("utf-8", "surrogatepass"))
        report = dataclasses.replace(report, source_digest=hasher.hexdigest())
    return LoadedReport(source.key, report, collected.diagnostics, tuple(files))


@dataclass(frozen=True, slots=True)
class LoadedEdition:
    """One edition file as loaded: the edition (None where it has errors) and its problems."""

    key: str
    edition: Edition | None
    diagnostics: tuple[Diagnostic, ...]


def load_edition_file(source: SourceFile, config: SiteConfig) -> LoadedEdition:
    """Load one edition file: validate its front matter and render its note."""
    collected = Reporter()
    edition: Edition | None = None

    def render_note(body: str, line: int) -> str:
        global _MARKDOWN
        if _MARKDOWN is None:
            _MARKDOWN = create_markdown()
        result = render_markdown(
            _MARKDOWN,
            body,
            base_path=config.base_path,
            body_line=line,
            allow_raw_html=config.allow_raw_html,
        )
        for warning in result.warnings:
            collected.warning(warning.message, SourceLocation(source.display, warning.line))
        return result.body.html

    try:
        edition = validate_edition(
            read_report_text(source), source, config, collected.add, render_note
        )
    except ReportErrors as errors:
        for error in errors.errors:
            collected.exception(error)
    except SitegenError as error:
        collected.exception(error)
    return LoadedEdition(source.key, edition, collected.diagnostics)


def load_edition_files(config: SiteConfig) -> dict[str, LoadedEdition]:
    """Every edition file under content/editions/, loaded, by key."""
    return {source.key: load_edition_file(source, config) for source in discover_editions(config)}


def _load_pickled(source: SourceFile, config: SiteConfig) -> bytes:
    """load_report_file, its result pickled the fast way to cross from a worker."""
    return dumps(load_report_file(source, config))


_MARKDOWN: MarkdownIt | None = None


def render_body(report: Report, config: SiteConfig, reporter: Reporter) -> Report:
    """Render a report's Markdown body (raw HTML warnings go to the reporter)."""
    global _MARKDOWN
    if _MARKDOWN is None:
        _MARKDOWN = create_markdown()
    result = render_markdown(
        _MARKDOWN,
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
    corrections = tuple(
        dataclasses.replace(
            correction,
            html=render_inline_markdown(_MARKDOWN, correction.text, base_path=config.base_path),
        )
        for correction in report.corrections
    )
    return dataclasses.replace(report, rendered=result.body, corrections=corrections)


def load_reports(
    config: SiteConfig,
    reporter: Reporter,
    *,
    use_cache: bool = True,
    save_cache: bool = True,
    progress: Progress | None = None,
) -> tuple[Report, ...]:
    """Discover, validate and render every report; problems go to the reporter."""
    loaded = load_report_files(
        config, reporter, use_cache=use_cache, save_cache=save_cache, progress=progress
    )
    return reports_loaded(loaded)


def reports_loaded(loaded: Mapping[str, LoadedReport]) -> tuple[Report, ...]:
    """The reports that loaded without errors, by key."""
    return tuple(report for key in sorted(loaded) if (report := loaded[key].report) is not None)


def load_report_files(
    config: SiteConfig,
    reporter: Reporter,
    *,
    use_cache: bool = True,
    save_cache: bool = True,
    progress: Progress | None = None,
    known: Mapping[str, LoadedReport] | None = None,
) -> dict[str, LoadedReport]:
    """Discover, validate and render every report file, by key; problems go to the reporter.

    Unchanged files come from `known` (reports loaded earlier in this process) or the
    cache; the rest are loaded on every core.
    """
    with long_lived_data():
        sources, problems = discover_sources(config)
        for problem in problems:
            reporter.exception(problem)
        cached: Mapping[str, LoadedReport] = {}
        if known is not None:
            cached = known
        elif use_cache:
            cached, cache_problems = load_report_cache(config)
            for cache_problem in cache_problems:
                if cache_problem.worth_saying:
                    note = f"cache not used and made anew: {cache_problem}"
                    reporter.add(Diagnostic(Level.NOTE, note))
        current: dict[str, LoadedReport] = {}
        stale: list[SourceFile] = []
        for source in sources:
            entry = cached.get(source.key)
            if entry is not None and not entry.is_current():
                entry = entry.restamped()  # a checkout wrote it anew, say
            if entry is not None:
                current[source.key] = entry
            else:
                stale.append(source)
        loaded = parallel_map(
            functools.partial(_load_pickled, config=config),
            stale,
            progress=None if progress is None else functools.partial(progress, "loading"),
        )
        pickled: dict[str, bytes] = {}
        for data in loaded:
            entry = pickle.loads(data)
            current[entry.key] = entry
            pickled[entry.key] = data
        for key in sorted(current):
            reporter.extend(current[key].diagnostics)
        if use_cache and save_cache:
            changed = {source.key for source in stale} | (set(cached) - set(current))
            save_report_cache(config, current, changed, pickled)
        return current
