"""The one place that knows the order of the stages: build() and run_stages().

`build()` sorts what changed once, at the door, and `run_stages()` runs every stage in
order, for a full build (no previous state) or a partial one alike.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import jinja2

from sitegen.assets import collect_assets, report_asset_paths, report_assets
from sitegen.cache import (
    LoadedReport,
    output_books,
)
from sitegen.changes import sort_changes
from sitegen.config import BuildOptions, SiteConfig
from sitegen.deps import PageReads, changed_dependencies, site_terms
from sitegen.destination import Destination
from sitegen.diagnostics import Diagnostic, Reporter
from sitegen.editions import place_editions
from sitegen.errors import SourceLocation
from sitegen.feeds import build_feeds
from sitegen.images import make_variants, prepare_images, variant_paths
from sitegen.indexes import build_site, update_site
from sitegen.links import (
    find_broken_links,
)
from sitegen.loading import (
    Progress,
    load_edition_files,
    load_report_files,
    reports_loaded,
)
from sitegen.model import Report, Site
from sitegen.output import (
    OutputFile,
    check_output_folder,
    writing,
)
from sitegen.pages import (
    PlannedPage,
    WrittenPage,
    check_page_links,
    page_digests,
    render_pages,
)
from sitegen.render import (
    PageGroup,
    PageJob,
    PagePlanner,
    TimelineEntry,
    YearView,
    find_collisions,
    timeline_entry,
)
from sitegen.search import UI_FILES, SearchIndex, update_index
from sitegen.sitemap import Sitemap, SitemapBefore, build_robots, build_sitemap
from sitegen.state import (
    BuildRequest,
    BuildResult,
    BuildState,
    GeneratedFiles,
    LoadedSources,
    OutputState,
    PagePlan,
    PartialBuild,
    SiteModel,
)
from sitegen.theme import (
    TemplateDigests,
    page_templates,
)
from sitegen.vocabulary import load_vocabulary


def build(
    config: SiteConfig,
    options: BuildOptions,
    reporter: Reporter,
    *,
    previous: BuildState | None = None,
    changed: Iterable[Path] | None = None,
    write: bool = True,
    output: Path | None = None,
    progress: Progress | None = None,
    check_pages: bool = False,
    use_cache: bool = True,
    search_index: bool = True,
    keep_state: bool = False,
    before_full: Callable[[], object] | None = None,
) -> BuildResult:
    """Run every stage; raise BuildFailed with every problem if any stage found errors.

    With `previous` (the state the last build in this process left) and the paths
    `changed` since, a change to report files alone redoes only what it reaches; anything
    else is a full build, which still reuses the reports loaded before where their files
    are unchanged. A full build renders only pages whose inputs changed since output/ was
    written, and writes only files that changed. With `check_pages`, every page is rendered
    and every link and #anchor in it is checked. Without `search_index`, Pagefind does not
    run and output/ gets no search index (the dev server indexes in the background). With
    `keep_state` (a build session), the result holds the state the next build starts from;
    `before_full` is called before a full build starts.
    """
    request = BuildRequest(
        config, options, reporter, output or config.output_path, write, progress,
        check_pages, use_cache, search_index, keep_state,
    )  # fmt: skip
    if write:
        check_output_folder(request.output, config.root, config.content_path)
    # The one choice between a full build and a partial one.
    changes = None
    if previous is not None and changed is not None and write and not check_pages:
        changes = sort_changes(previous, changed)
    if previous is not None and changes is not None:
        result = run_stages(request, PartialBuild(previous, changes))  # it locks output/
        if result is not None:
            return result
    if before_full is not None:
        before_full()
    lock = writing(output_books(config, request.output)) if write else contextlib.nullcontext()
    with lock:  # one sitegen at a time writes an output folder
        known = None if previous is None else previous.sources.reports
        result = run_stages(request, None, known=known)
    assert result is not None  # only a partial build gives way
    return result


def run_stages(
    request: BuildRequest,
    since: PartialBuild | None,
    *,
    known: Mapping[str, LoadedReport] | None = None,
) -> BuildResult | None:
    """The stages of every build, in order: a full one (`since` None) or a partial one.

    Each stage takes what the last build left and what changed, and returns what it made
    and what of it changed. None where output/ is not as the last build left it.
    """
    reporter = request.reporter
    destination = Destination.open(request, since.previous if since is not None else None)
    sources = load_sources(request, since, known)
    reporter.stop_if_errors()
    model = make_model(request, since, sources)
    reporter.stop_if_errors()
    if since is not None and not since.changes.templates:
        environment, templates = since.previous.environment, since.previous.templates
    else:  # templates are read again
        environment, templates = destination.page_environment(request.config)
    plan = plan_pages(request, since, model, environment, templates)
    reporter.stop_if_errors()
    pages = render_planned(request, since, plan, destination, environment, templates)
    reporter.stop_if_errors()
    with SearchStage(request, since, model, destination) as search_stage:
        feeds, sitemap = make_generated(request, since, model, plan, pages, destination)
        static = add_files(request, since, model, destination)
        reporter.stop_if_errors()
        link_problems = check_links(request, since, model, plan, pages, destination)
        reporter.extend(link_problems)
        reporter.stop_if_errors()
        destination.keep_copies()  # for a build that finds the cache but no output/
        search = search_stage.result()
    written = destination.write(request, pages.planned)
    if written is None:
        return None
    tree, changed = written
    state = None
    if tree is not None:
        state = BuildState(
            config=request.config,
            options=request.options,
            sources=sources,
            model=model,
            plan=PagePlan(
                pages.groups, plan.reads, plan.planner.summaries, pages.report_digests,
                plan.timelines, plan.template_digests, pages.undigested,
            ),
            generated=GeneratedFiles(feeds, tuple(link_problems), sitemap, search, static),
            output=OutputState(destination.memo, tree),
            environment=environment,
            templates=templates,
        )  # fmt: skip
    page_count = sum(map(len, pages.groups.values()))
    return BuildResult(
        model.site, page_count, destination.file_count(), destination.folder, pages.rendered,
        state, changed, full=since is None,
    )  # fmt: skip


def load_sources(
    request: BuildRequest, since: PartialBuild | None, known: Mapping[str, LoadedReport] | None
) -> LoadedSources:
    """Every report file, loaded: anew where it changed, from before (or the cache) if not."""
    if since is None:
        loaded = load_report_files(
            request.config,
            request.reporter,
            use_cache=request.use_cache,
            save_cache=request.write,
            progress=request.progress,
            known=known,
        )
        editions = load_edition_files(request.config)
        for edition in editions.values():
            request.reporter.extend(edition.diagnostics)
        noted = frozenset(k for k, e in loaded.items() if e.diagnostics)
        return LoadedSources(loaded, noted, MappingProxyType(editions))
    previous, changes = since.previous, since.changes
    editions = _with_changes(previous.sources.editions, changes.editions)
    for key in sorted(editions):
        request.reporter.extend(editions[key].diagnostics)
    reports = _with_changes(previous.sources.reports, changes.reports)
    noted = (previous.sources.noted - changes.keys) | {
        key for key, entry in changes.reports.items() if entry is not None and entry.diagnostics
    }
    for key in sorted(noted):
        request.reporter.extend(reports[key].diagnostics)
    return LoadedSources(reports, noted, MappingProxyType(editions))


Loaded = TypeVar("Loaded")


def _with_changes(
    before: Mapping[str, Loaded], changes: Mapping[str, Loaded | None]
) -> dict[str, Loaded]:
    """Files as loaded before, with those that changed as loaded now (None: deleted)."""
    after = dict(before)
    for key, loaded in changes.items():
        if loaded is None:
            after.pop(key, None)
        else:
            after[key] = loaded
    return after


def make_model(
    request: BuildRequest, since: PartialBuild | None, sources: LoadedSources
) -> SiteModel:
    """The site model: made from every report, or the last one updated with the changes."""
    config, reporter = request.config, request.reporter
    if since is None:
        reports = tuple(
            prepare_images(report, config, reporter) for report in reports_loaded(sources.reports)
        )
        vocabulary = load_vocabulary(config)
        made = build_site(reports, config, request.options, vocabulary)
        reporter.extend(made.diagnostics)
        return _with_editions(request, SiteModel(made.site, made.diagnostics, vocabulary), sources)
    old, changes = since.previous.model, since.changes
    prepared = {
        key: prepare_images(entry.report, config, reporter)
        for key, entry in changes.reports.items()
        if entry is not None and entry.report is not None
    }
    if not changes.reports:  # editions alone changed
        model = old
    elif changes.bodies_only:
        by_key = dict(old.site.reports)
        by_key.update((key, report) for key, report in prepared.items() if key in by_key)
        model = dataclasses.replace(old, site=dataclasses.replace(old.site, reports=by_key))
    elif (
        in_place := update_site(
            old.site,
            {key: prepared.get(key) for key in changes.reports},
            config,
            request.options,
            old.vocabulary,
        )
    ) is not None:
        model = dataclasses.replace(old, site=in_place)
    else:
        every = tuple(
            prepared.get(key)
            or old.site.reports.get(key)
            or prepare_images(report, config, reporter)
            for key in sorted(sources.reports)
            if (report := sources.reports[key].report) is not None
        )
        made = build_site(every, config, request.options, old.vocabulary, old.site, changes.keys)
        model = SiteModel(made.site, made.diagnostics, old.vocabulary)
    reporter.extend(model.diagnostics)
    return _with_editions(request, model, sources)


def _with_editions(request: BuildRequest, model: SiteModel, sources: LoadedSources) -> SiteModel:
    """The model with the editions placed on the site (each with the reports it gathers)."""
    site = model.site

    def unpublished() -> dict[tuple[str, str], Report]:
        return {
            (report.lang, report.slug): report
            for entry in sources.reports.values()
            if (report := entry.report) is not None and report.key not in site.reports
        }

    editions = (entry.edition for entry in sources.editions.values() if entry.edition)
    placed, diagnostics = place_editions(site, editions, request.options, unpublished)
    request.reporter.extend(diagnostics)
    return dataclasses.replace(model, site=placed, edition_diagnostics=diagnostics)


def _summaries_to_redo(old_site: Site, site: Site, keys: AbstractSet[str]) -> set[str]:
    """The reports whose summaries may have changed when the reports `keys` changed.

    Those reports, the other versions of each (before and after), translations whose
    staleness changed, and the reports of terms whose name or address changed.
    """
    redo = set(keys)
    for key in keys:
        for each in (old_site, site):
            group = each.translations.get(key)
            if group is not None:
                redo.update(member for _, member in group.members)
    redo |= old_site.stale_translations ^ site.stale_translations
    old_terms = site_terms(old_site)
    for place, term in site_terms(site).items():
        before = old_terms.get(place)
        if before is None or (before.name, before.url) != (term.name, term.url):
            redo.update(term.report_keys)
    return {key for key in redo if key in site.reports}


def _timeline_entry(report: Report | None) -> TimelineEntry | None:
    return None if report is None else timeline_entry(report)


def _planned_pages(
    state: BuildState, plan: PlannedGroups, site: Site, templates: TemplateDigests
) -> tuple[dict[PageGroup, tuple[PlannedPage, ...]], set[str]]:
    """The groups planned again, and the pages among them whose inputs changed.

    A page whose template and context are as before is kept as it was, with its digest, and
    is not rendered again. Report pages whose inputs changed get a digest now (feeds are
    told by them); other changed pages get theirs later, from `digest_later`.
    """
    replanned = plan.planned
    before = {
        page.job.output: page for group in replanned for page in state.plan.groups.get(group, ())
    }
    fresh: list[PageJob] = []
    reports: list[PageJob] = []
    for group, jobs in replanned.items():
        for job in jobs:
            old = before.get(job.output)
            if (
                old is None
                or old.job.template != job.template
                or job.template in plan.retemplated
                or old.job.context != job.context
            ):
                fresh.append(job)
                if group.kind == "report":
                    reports.append(job)
    digested = {
        page.job.output: page
        for page in page_digests(reports, templates, state.config, site.reports)
    }
    digested.update(
        (job.output, PlannedPage(job, None)) for job in fresh if job.output not in digested
    )
    planned = {
        group: tuple(digested.get(job.output) or before[job.output] for job in jobs)
        for group, jobs in replanned.items()
    }
    return planned, set(digested)


@dataclass(frozen=True, slots=True)
class PlannedGroups:
    """The groups of pages planned in this build, and what the plan reads."""

    planner: PagePlanner
    planned: Mapping[PageGroup, tuple[PageJob, ...]]
    """The groups planned in this build (every group, in a full build)."""
    order: tuple[PageGroup, ...]
    """Every group of the site, in its order."""
    reads: PageReads
    gone: frozenset[PageGroup]
    """Groups the last build had and this one has not."""
    moved: bool
    """Whether pages may have come, gone or moved (not after changes to bodies alone)."""
    jobs: tuple[PageJob, ...]
    """Every page, in the site's order, where pages may have moved (else empty)."""
    timelines: Mapping[str, tuple[YearView, ...]]
    """Each language's timeline, as its pages show it."""
    retemplated: frozenset[str]
    """The page templates that render otherwise than in the last build."""
    template_digests: Mapping[str, bytes]
    """Each page template's digest, as this build renders."""


def plan_pages(
    request: BuildRequest,
    since: PartialBuild | None,
    model: SiteModel,
    environment: jinja2.Environment,
    digests: TemplateDigests,
) -> PlannedGroups:
    """Plan every group of pages, or, after changes, the groups that read what changed."""
    config, site = request.config, model.site
    templates = page_templates(environment)
    retemplated: frozenset[str] = frozenset()
    previous = since.previous if since is not None else None
    if since is None:
        planner = PagePlanner(site, config, templates=templates)
        planned = planner.plan()
        order = tuple(planned)
        reads = PageReads.of(planner.reads)
        gone: frozenset[PageGroup] = frozenset()
    else:
        previous, changes = since.previous, since.changes
        keys, old_site = changes.keys, previous.model.site
        redo = _summaries_to_redo(old_site, site, keys)
        kept = dict(previous.plan.summaries)
        for key in redo | (keys - site.reports.keys()):  # only changed reports leave the site
            kept.pop(key, None)
        years = [year for years in previous.plan.timelines.values() for year in years]
        planner = PagePlanner(site, config, kept, years, keys, templates)
        remade = planner.make_summaries(redo)
        planner.summaries.update(remade)
        listed = {k for k, v in remade.items() if previous.plan.summaries.get(k) != v}
        on_timeline = {
            key
            for key in keys
            if _timeline_entry(old_site.reports.get(key)) != _timeline_entry(site.reports.get(key))
        }
        if changes.templates:  # the page templates that now render otherwise
            retemplated = frozenset(
                name
                for name, digest in previous.plan.template_digests.items()
                if digests.digest(name) != digest
            )
        reached = previous.plan.reads.reached(
            changed_dependencies(old_site, site, keys, listed, on_timeline, retemplated)
        )
        # Groups that read what changed, and groups that are new; of the reports' own
        # pages, only those of changed reports can be new.
        report_pages = keys | {group.name for group in reached if group.kind == "report"}
        old_groups = previous.plan.groups
        planned = planner.plan_groups(
            group
            for group in planner.group_order(report_pages)
            if group in reached or group not in old_groups
        )
        order = tuple(old_groups) if changes.bodies_only else tuple(planner.group_order())
        gone = frozenset() if changes.bodies_only else frozenset(old_groups.keys() - set(order))
        reads = previous.plan.reads.updated(planner.reads, gone)
    moved = since is None or not since.changes.bodies_only
    jobs: tuple[PageJob, ...] = ()
    if moved:
        jobs = tuple(job for group in order for job in _jobs_of(group, planned, previous))
        for error in find_collisions(jobs, config):
            request.reporter.exception(error)
    languages = {language.lang for language in site.languages}
    timelines = dict(previous.plan.timelines) if previous is not None else {}
    timelines.update(planner.timelines)
    timelines = {lang: years for lang, years in timelines.items() if lang in languages}
    if since is not None and not since.changes.templates:
        template_digests = since.previous.plan.template_digests
    else:
        names = {job.template for jobs in planned.values() for job in jobs}
        if previous is not None:
            names |= previous.plan.template_digests.keys()
        template_digests = {name: digests.digest(name) for name in sorted(names)}
    return PlannedGroups(
        planner, planned, order, reads, gone, moved, jobs, timelines, retemplated,
        template_digests,
    )  # fmt: skip


def _jobs_of(
    group: PageGroup,
    planned: Mapping[PageGroup, tuple[PageJob, ...]],
    previous: BuildState | None,
) -> tuple[PageJob, ...]:
    jobs = planned.get(group)
    if jobs is not None or previous is None:
        return jobs or ()
    return tuple(page.job for page in previous.plan.groups[group])


@dataclass(frozen=True, slots=True)
class RenderedPages:
    """The site's pages after rendering: every group's, and what the build rendered."""

    groups: Mapping[PageGroup, tuple[PlannedPage, ...]]
    """Every group's pages, in the site's order."""
    planned: tuple[PlannedPage, ...]
    """The pages of the groups planned in this build."""
    report_digests: Mapping[str, str]
    """Report key -> the digest of its page's inputs."""
    undigested: frozenset[PageGroup]
    rendered: int
    contents: tuple[OutputFile, ...]
    """Pages rendered to bytes in this build."""


def render_planned(
    request: BuildRequest,
    since: PartialBuild | None,
    plan: PlannedGroups,
    destination: Destination,
    environment: jinja2.Environment,
    templates: TemplateDigests,
) -> RenderedPages:
    """Render the pages whose inputs changed; keep the rest as they are.

    A full build fingerprints every page and keeps those output/ holds as made from the
    same inputs. A partial one renders the pages of the groups planned again whose
    template or context changed; of those, report pages get a digest now (feeds are told
    by them) and the others later, from `digest_later`.
    """
    config, site = request.config, plan.planner.site
    previous = since.previous if since is not None else None
    if previous is None:
        planned = page_digests(plan.jobs, templates, config, site.reports)
        fresh = {
            page.job.output
            for page in planned
            if destination.writer is None
            or page.digest is None
            or not destination.unchanged(page.job.output, page.digest)
        }
        groups: dict[PageGroup, tuple[PlannedPage, ...]] = {}
        first = 0
        for group in plan.order:
            count = len(plan.planned[group])
            groups[group] = tuple(planned[first : first + count])
            first += count
        undigested: frozenset[PageGroup] = frozenset()
    else:
        replanned, fresh = _planned_pages(previous, plan, site, templates)
        planned = [page for pages in replanned.values() for page in pages]
        old_groups = previous.plan.groups
        if plan.moved:
            groups = {
                group: replanned[group] if group in replanned else old_groups[group]
                for group in plan.order
            }
        else:  # the same groups, in the same order
            groups = {**old_groups, **replanned}
        undigested = previous.plan.undigested | {
            group for group, pages in replanned.items() if any(p.digest is None for p in pages)
        }
    to_render = [page for page in planned if page.job.output in fresh]
    twin = destination.twin_for_pages() if to_render else None
    results = render_pages(
        [page.job for page in to_render], environment, config, request.reporter,
        request.progress, twin,
    )  # fmt: skip
    made = {page.job.output: result for page, result in zip(to_render, results, strict=True)}
    contents: list[OutputFile] = []
    for page in planned:
        path = page.job.output
        result = made.get(path)
        if isinstance(result, WrittenPage):
            destination.add_written(path, result, page.digest)
        elif isinstance(result, bytes):
            destination.add(path, result, page.digest)
            contents.append(OutputFile(path, result))
    if previous is not None:
        # A page of a group planned again, or gone, that no group planned again still
        # makes is gone: the groups not planned again make what they made before.
        outputs = {page.job.output for page in planned}
        for group in plan.gone | plan.planned.keys():
            for page in previous.plan.groups.get(group, ()):
                if page.job.output not in outputs:
                    destination.remove(page.job.output)
    report_digests = _report_digests(previous, plan, groups, planned)
    return RenderedPages(
        groups, tuple(planned), report_digests, undigested, len(to_render),
        tuple(contents),
    )  # fmt: skip


def _report_digests(
    previous: BuildState | None,
    plan: PlannedGroups,
    groups: Mapping[PageGroup, tuple[PlannedPage, ...]],
    planned: Sequence[PlannedPage],
) -> dict[str, str]:
    """Report key -> the digest of its page's inputs, which stands for all it shows."""
    if previous is None:
        return {
            group.name: pages[0].digest
            for group, pages in groups.items()
            if group.kind == "report" and pages[0].digest is not None
        }
    digests = dict(previous.plan.report_digests)
    for key in digests.keys() - plan.planner.site.reports.keys():
        del digests[key]
    for group in plan.planned:
        if group.kind == "report":
            digests.pop(group.name, None)
            digest = groups[group][0].digest
            if digest is not None:
                digests[group.name] = digest
    return digests


def make_generated(
    request: BuildRequest,
    since: PartialBuild | None,
    model: SiteModel,
    plan: PlannedGroups,
    pages: RenderedPages,
    destination: Destination,
) -> tuple[tuple[str, ...], Sitemap | None]:
    """Feeds (those whose reports or settings changed), the sitemap and robots.txt.

    Returns the feeds' paths and the sitemap, as the next build starts from them.
    """
    config, site = request.config, model.site
    bodies_only = since is not None and since.changes.bodies_only
    holding = since.changes.keys if since is not None and bodies_only else None
    feeds = build_feeds(site, config, pages.report_digests, holding=holding)
    # Made here, not on forked workers: the 251 feeds of a 10k site take 1.0 s here and
    # 1.6 s on two workers, which copy the pages of the parent's memory they touch.
    for feed in feeds:
        if not destination.unchanged(feed.path, feed.digest):
            destination.add(feed.path, feed.make(), feed.digest)
    if since is not None and bodies_only:
        return since.previous.generated.feeds, since.previous.generated.sitemap
    feed_paths = tuple(feed.path for feed in feeds)
    before = None
    if since is not None:
        previous, keys = since.previous, since.changes.keys
        for path in set(previous.generated.feeds) - set(feed_paths):
            destination.remove(path)
        if previous.generated.sitemap is not None:
            before = SitemapBefore(previous.generated.sitemap, previous.model.site, keys)
    sitemap = build_sitemap(site, config, plan.jobs, before)
    destination.add(sitemap.file.path, sitemap.file.content or b"", None)
    if since is None:
        for file in build_robots(config):
            destination.add_file(file)
    return feed_paths, sitemap


def add_files(
    request: BuildRequest, since: PartialBuild | None, model: SiteModel, destination: Destination
) -> frozenset[str]:
    """Static files, the images beside reports, and their sized and WebP copies.

    Returns the site paths of the files copied from the site's static folder.
    """
    config, site, reporter = request.config, model.site, request.reporter
    if since is None:
        assert destination.theme is not None and destination.assets is not None
        taken = destination.paths()
        static = config.static_path.absolute()
        copied = set()
        for asset in collect_assets(site, config, destination.theme, destination.assets):
            if asset.path in taken:
                reporter.error(
                    f"static file {asset.path} would overwrite a page",
                    SourceLocation(asset.copy_from or Path(asset.path)),
                    "rename or move it",
                )
            destination.add_file(asset)
            if asset.copy_from is not None and asset.copy_from.absolute().is_relative_to(static):
                copied.add(asset.path)
        if destination.writer is not None:  # sized copies only for files that are written
            for file in make_variants(site.reports.values(), config, reporter):
                destination.add_file(file)
        return frozenset(copied)
    for key in since.changes.keys:
        before, after = since.previous.model.site.reports.get(key), site.reports.get(key)
        taken = report_asset_paths(before, config) | variant_paths([before]) if before else set()
        destination.replace_files(taken, _report_files(after, config, reporter))
    copied = set(since.previous.generated.static)
    for path, source in since.changes.static.items():
        if source is None:
            copied.discard(path)
            destination.remove(path)
        else:
            copied.add(path)
            destination.add_file(OutputFile(path, copy_from=source))
    return frozenset(copied)


def _report_files(
    report: Report | None, config: SiteConfig, reporter: Reporter
) -> list[OutputFile]:
    """The files a report brings beside its page: its images and their sized copies."""
    if report is None:
        return []
    return report_assets(report, config) + make_variants([report], config, reporter)


class SearchStage:
    """The search stage, on a thread of its own while the stages after rendering run.

    Pagefind indexes the report pages meanwhile: the stage reads only their bytes, which
    no later stage changes; its files join the build's in `result()`. Leaving its `with`
    block waits for it, so a build stopped by a later stage's errors leaves no Pagefind
    running.
    """

    def __init__(
        self,
        request: BuildRequest,
        since: PartialBuild | None,
        model: SiteModel,
        destination: Destination,
    ) -> None:
        """Start indexing (nothing where the build makes no index)."""
        self.before = since.previous.generated.search if since is not None else None
        self.destination = destination
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._index: concurrent.futures.Future[SearchIndex] | None = None
        cache = destination.search
        if cache is None:  # search off, or the dev server's builds (it indexes apart)
            return
        self._pool = concurrent.futures.ThreadPoolExecutor(1, "sitegen-search-stage")
        self._index = self._pool.submit(
            update_index, self.before, tuple(model.site.reports.values()), cache,
            destination.digest_of, destination.read, destination.on_disk,
        )  # fmt: skip

    def __enter__(self) -> SearchStage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def result(self) -> SearchIndex | None:
        """The index: the shards whose report pages changed made again, the rest kept."""
        cache, destination, before = self.destination.search, self.destination, self.before
        if self._index is None or cache is None:
            return None
        index = self._index.result()
        if before is None or destination.complete:
            files = index.output_files(cache)
        else:  # only the shards that changed, and the files of those that went or changed
            files = index.output_files(cache, changed_since=before)
            for name, shard in before.shards.items():
                if index.shards.get(name) != shard:
                    for path in shard.paths(name):
                        if path not in files:
                            destination.remove(path)
        for file in files.values():
            destination.add_file(file)
        cache.keep_only(shard.key for shard in index.shards.values())
        return index


def check_links(
    request: BuildRequest,
    since: PartialBuild | None,
    model: SiteModel,
    plan: PlannedGroups,
    pages: RenderedPages,
    destination: Destination,
) -> list[Diagnostic]:
    """Broken links in report bodies (and, with check_pages, in every page)."""
    config, site = request.config, model.site
    extra = set(UI_FILES) if config.search else set()
    if since is None:
        outputs = destination.paths() | variant_paths(site.reports.values()) | extra
        if request.check_pages:
            assert destination.theme is not None
            return check_page_links(
                plan.jobs, list(pages.contents), outputs, site, config, destination.theme
            )
        return find_broken_links(site.reports.values(), outputs)
    made = destination.made
    if any(file is None or path not in made for path, file in destination.files.items()):
        # Files came or went: every body is checked again.
        return find_broken_links(site.reports.values(), destination.paths() | extra)
    keys, before = since.changes.keys, since.previous.model.site
    files = {r.file for key in keys for r in (site.reports.get(key), before.reports.get(key)) if r}
    kept = [
        d
        for d in since.previous.generated.link_diagnostics
        if d.location is None or d.location.path not in files
    ]
    changed = [site.reports[key] for key in sorted(keys) if key in site.reports]
    return kept + find_broken_links(changed, made.keys() | extra)
