"""Pages: their fingerprints, their rendering on every core, and the links in them."""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import babel
import jinja2

from sitegen import __version__
from sitegen.cache import (
    CACHE_DIR,
)
from sitegen.config import SiteConfig
from sitegen.diagnostics import Diagnostic, Level, Reporter
from sitegen.errors import SitegenError
from sitegen.fingerprint import Fingerprint, Fingerprinter, Unfingerprintable
from sitegen.links import (
    ScannedPage,
    find_broken_links,
    find_broken_page_links,
    resolve_link,
    scan_page,
)
from sitegen.loading import Progress
from sitegen.model import Report, Site
from sitegen.output import (
    OutputFile,
    content_digest,
    write_file,
)
from sitegen.render import (
    PageJob,
    ReportSummary,
    ReportView,
    render_page,
)
from sitegen.theme import (
    TemplateDigests,
    Theme,
    ThemeAssets,
    ThemeStrings,
    create_environment,
    load_strings,
)
from sitegen.urls import output_file
from sitegen.workers import parallel_map


@dataclass(frozen=True, slots=True)
class PlannedPage:
    """A page job and the digest of its inputs (None where they cannot be fingerprinted)."""

    job: PageJob
    digest: str | None


class _ReportDigests:
    """Digests of report views and summaries, from their reports' source digests.

    A view or summary is its report (which its source digest stands for) and what comes
    from the site around it (its other versions, its terms) and from the image stage
    (sizes, variants); a view adds the rendered body. That site part is fingerprinted
    once per report, for its summary and its view. A view adds its related reports'
    summaries, fingerprinted by value: an edit of one report's body is no change to the
    pages that list it among their related reports.
    """

    def __init__(self, fingerprinter: Fingerprinter, sources: Mapping[str, Report]) -> None:
        self.fingerprinter = fingerprinter
        self.sources = sources
        self._parts: dict[str, bytes] = {}
        self._values: dict[str, bytes] = {}

    def digest(self, view: ReportSummary) -> bytes | None:
        """None where the report has no source digest."""
        report = self.sources.get(view.key)
        if report is None or not report.source_digest:
            return None
        part = self._parts.get(view.key)
        if part is None:
            own = (view.key, view.url, view.lang, view.versions, view.terms, view.stale,
                   view.original, view.image, view.source)  # fmt: skip
            part = self._parts[view.key] = self.fingerprinter.digest(own)
        hasher = hashlib.blake2b(report.source_digest.encode() + part, digest_size=16)
        if isinstance(view, ReportView):
            hasher.update(b"view\0" + view.html.encode("utf-8", "surrogatepass"))
            for related in view.related:  # the related reports it lists, as lists show them
                hasher.update(b"related\0" + self.summary_value(related))
        return hasher.digest()

    def summary_value(self, summary: ReportSummary) -> bytes:
        """A summary's fingerprint by value: what lists show, and never its report's body."""
        found = self._values.get(summary.key)
        if found is None:
            fields = tuple(
                tuple(summary.extra.items()) if name == "extra" else getattr(summary, name)
                for name in ReportSummary.__dataclass_fields__
            )
            found = self._values[summary.key] = self.fingerprinter.digest(fields)
        return found


def _with_stand_ins(
    context: Mapping[str, object],
    holders: Mapping[int, int],
    stand_ins: dict[int, tuple[object, Fingerprint | None]],
    fingerprinter: Fingerprinter,
) -> Mapping[str, object]:
    """A page's context with each list that other pages hold too replaced by its fingerprint."""
    if not any(type(v) is tuple and holders.get(id(v), 0) > 1 for v in context.values()):
        return context
    replaced: dict[str, object] = {}
    for name, value in context.items():
        if type(value) is tuple and holders.get(id(value), 0) > 1:
            known = stand_ins.get(id(value))
            if known is None or known[0] is not value:
                try:
                    known = (value, Fingerprint(fingerprinter.digest(value)))
                except Unfingerprintable:
                    known = (value, None)
                stand_ins[id(value)] = known
            if known[1] is None:
                raise Unfingerprintable(f"{name} cannot be fingerprinted")
            value = known[1]
        replaced[name] = value
    return MappingProxyType(replaced)


def page_digests(
    jobs: Sequence[PageJob],
    templates: TemplateDigests,
    config: SiteConfig,
    sources: Mapping[str, Report],
) -> list[PlannedPage]:
    """Fingerprint each page's template and context, so unchanged pages are not rendered."""
    fingerprinter = Fingerprinter()
    reports = _ReportDigests(fingerprinter, sources)
    holders: dict[int, int] = {}
    for job in jobs:
        for name in ("site", "language"):
            fingerprinter.share(job.context[name])
        view = job.context.get("report")
        if view is not None:
            fingerprinter.share(view, reports.digest(view))
        for value in job.context.values():
            if type(value) is tuple and value:  # () is one object, whichever page holds it
                holders[id(value)] = holders.get(id(value), 0) + 1
                for item in value:
                    if type(item) is ReportSummary:  # a list page's reports
                        fingerprinter.share(item, reports.digest(item))
    # A list several pages hold (the timeline's years, on every year's page) is
    # fingerprinted once, and stands in their contexts by its fingerprint.
    stand_ins: dict[int, tuple[object, Fingerprint | None]] = {}
    planned: list[PlannedPage] = []
    for job in jobs:
        try:
            context = _with_stand_ins(job.context, holders, stand_ins, fingerprinter)
            digest = fingerprinter.digest(context)
            template = templates.digest(job.template)
        except (Unfingerprintable, jinja2.TemplateError):
            planned.append(PlannedPage(job, None))
            continue
        planned.append(
            PlannedPage(job, hashlib.blake2b(template + digest, digest_size=16).hexdigest())
        )
    return planned


@dataclass(frozen=True, slots=True)
class WrittenPage:
    """A page a worker rendered and wrote into the output's twin: its digest and size."""

    digest: str
    size: int


def _render_one(
    job: PageJob, env: jinja2.Environment, config: SiteConfig, tree: Path | None
) -> bytes | WrittenPage | Diagnostic:
    try:
        content = render_page(env, job, config)
    except SitegenError as error:
        return Diagnostic(Level.ERROR, error.message, error.location, error.hint)
    if tree is None:
        return content
    write_file(tree, job.output, content)
    return WrittenPage(content_digest(content), len(content))


PARALLEL_FROM = 40
"""From this many pages, rendering is spread over every core."""


def render_pages(
    jobs: Sequence[PageJob],
    env: jinja2.Environment,
    config: SiteConfig,
    reporter: Reporter,
    progress: Progress | None = None,
    tree: Path | None = None,
) -> list[bytes | WrittenPage | None]:
    """Render pages (on every core, from PARALLEL_FROM of them); None where one failed.

    A template error is reported once per template and line. With `tree`, each page is
    written there by the process that rendered it, which tells only its digest and size.
    """
    render = functools.partial(_render_one, env=env, config=config, tree=tree)
    if len(jobs) < PARALLEL_FROM:
        results = [render(job) for job in jobs]
    else:
        for name in sorted({job.template for job in jobs}):
            # Compiled here, once, before the workers fork; a template's errors show per page.
            with contextlib.suppress(Exception):
                env.get_template(name)
        results = parallel_map(
            render,
            jobs,
            progress=None if progress is None else functools.partial(progress, "rendering"),
        )
    pages: list[bytes | WrittenPage | None] = []
    for result in results:
        if isinstance(result, Diagnostic):
            reporter.add(result)
            pages.append(None)
        else:
            pages.append(result)
    return pages


def environment_digest(
    config: SiteConfig, strings: ThemeStrings, assets: ThemeAssets | None = None
) -> bytes:
    """What every page's rendering depends on beyond its template and context.

    The theme files' names by digest among it: a page links them, so a new stylesheet is a
    new name, and every page is made again.
    """
    names = tuple((path, named) for path, _, named in assets.files) if assets else ()
    return Fingerprinter().digest(
        (__version__, jinja2.__version__, babel.__version__, config, strings, names)
    )


def page_environment(
    config: SiteConfig, theme: Theme, assets: ThemeAssets, *, compiled: bool
) -> tuple[jinja2.Environment, TemplateDigests]:
    """The Jinja environment pages render in, and the digests of its page templates.

    With `compiled`, templates are compiled once into .sitegen-cache/templates/.
    """
    strings = load_strings(theme, config)
    folder = config.root / CACHE_DIR / "templates" if compiled else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    env = create_environment(theme, config, strings, folder, assets)
    return env, TemplateDigests(env, environment_digest(config, strings, assets))


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
