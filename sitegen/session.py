"""Builds kept in memory between file changes, so that a rebuild redoes only what changed.

`BuildSession.build(changed)` is told the paths that changed since its last good build.
Where they are all report files (edited, made or deleted), it loads just those, builds the
site model again (or, where only bodies changed, swaps the reports into the one it has),
plans again only the groups of pages that show what changed (a report's page, its lists,
its terms, the timeline), renders only the pages whose inputs are not as before, remakes
the feeds and the sitemap where they changed, and swaps the changed files into output/
through its twin without walking the site. Anything else (a template, a static file,
sitegen.toml, an image) is a full `build()`, which reuses the reports already loaded.
Either way output/ ends as a clean build would leave it, byte for byte.

`sitegen serve` keeps one session for as long as it runs. `sitegen build` starts one from
the build it saved last (`build_from_saved`): the files whose stamps changed since are the
changed paths of its one build.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from sitegen.build import (
    BuildResult,
    BuildState,
    PlannedPage,
    Progress,
    build,
    load_report_file,
    page_digests,
    page_environment,
    render_pages,
    report_assets,
)
from sitegen.cache import (
    CacheFromElsewhere,
    CacheProblem,
    LoadedReport,
    OutputMemo,
    PageMemo,
    SaveStopped,
    forget_saved_build,
    load_output_memo,
    load_saved_build,
    save_build,
    save_output_memo,
    save_report_cache,
    saved_build_key,
)
from sitegen.config import BuildOptions, SiteConfig
from sitegen.content.discover import plain_source
from sitegen.diagnostics import BuildFailed, Diagnostic, Level, Reporter
from sitegen.errors import SitegenError
from sitegen.feeds import build_feeds
from sitegen.images import make_variants, prepare_images
from sitegen.indexes import build_site, update_site
from sitegen.inputs import InputStamps, changed_inputs, input_stamps, plan_watch
from sitegen.links import find_broken_links
from sitegen.model import Report, Site, Term
from sitegen.output import (
    ManifestEntry,
    OutputFile,
    as_left,
    catch_up_twin,
    content_digest,
    folder_stamps,
    made_folders,
    swap_in_changes,
    twin_stamp,
)
from sitegen.render import (
    PageGroup,
    PageJob,
    PagePlanner,
    TimelineEntry,
    YearView,
    find_collisions,
    render_page,
    timeline_entry,
)
from sitegen.search import UI_FILES
from sitegen.sitemap import SitemapBefore, build_sitemap
from sitegen.theme import load_theme


def report_shape(report: Report) -> Report:
    """A report without its body: what every page but its own may show of it."""
    return dataclasses.replace(report, body="", rendered=None, source_digest="")


class BuildSession:
    """One site's builds in one process, each starting from the last one's state."""

    def __init__(
        self, config: SiteConfig, options: BuildOptions, *, ready_twin: bool = True
    ) -> None:
        """A session of builds of one site.

        With `ready_twin` (a long session), the first build readies output/'s twin at once
        rather than at the first edit.
        """
        self.config = config
        self.options = options
        self.ready_twin = ready_twin
        self.state: BuildState | None = None
        self.full_builds = 0
        """How many builds went through every page (the rest redid only what changed)."""
        self._pending: set[Path] = set()
        """Paths changed since the last good build (a failed build leaves them pending)."""
        self._full_build_due = False
        """Set when a full build was asked for, until one succeeds."""
        self._unsaved: set[str] = set()
        """Report keys loaded since the report cache was last written."""
        self._memo_unsaved = False
        self._publication: dt.datetime | None = None
        self._publication_of: BuildState | None = None
        """The state `_publication` was found in."""

    def build(
        self,
        reporter: Reporter,
        changed: Iterable[Path] | None = None,
        *,
        search_index: bool = True,
        progress: Progress | None = None,
    ) -> BuildResult:
        """Build after `changed` paths changed (None: whatever changed, a full build).

        Raises BuildFailed, as build() does, with output/ left as it was.
        """
        state = self.state
        result: BuildResult | None = None
        if changed is None:
            self._full_build_due = True
        else:
            self._pending.update(changed)
        due = self.next_publication()
        if due is not None and due <= self.options.current_time():
            self._full_build_due = True  # a report's date came: it joins the site
        if (
            not self._full_build_due
            and state is not None
            and not (search_index and self.config.search)
        ):
            result = rebuild_reports(state, frozenset(self._pending), reporter)
        if result is None:
            self.save()
            self.full_builds += 1
            result = build(
                self.config,
                self.options,
                reporter,
                progress=progress,
                search_index=search_index,
                loaded_before=None if state is None else state.loaded,
                keep_state=True,
            )
        else:
            self._memo_unsaved = True
            sources = (plain_source(path, self.config) for path in self._pending)
            self._unsaved.update(source.key for source in sources if source is not None)
        if state is None and result.state is not None and self.ready_twin:
            # The first build: ready output/'s twin now, not at the first edit.
            result = dataclasses.replace(result, state=_caught_up(result.state))
        self.state = result.state
        self._pending.clear()
        self._full_build_due = False
        # What the session keeps lives for many builds: the cycle collector need not walk
        # it again on every collection (it would, for ~0.3 s at 10,000 reports, at random).
        gc.freeze()
        return result

    @property
    def pending(self) -> frozenset[Path]:
        """The paths changed since the last good build, for the next one to redo."""
        return frozenset(self._pending)

    def next_publication(self) -> dt.datetime | None:
        """When the first report dated in the future is due on the site (None: none waits)."""
        state = self.state
        if state is None or state.options.future:
            return None
        if self._publication_of is not state:
            now = state.options.current_time()
            self._publication = min((d for d in _publication_dates(state) if d > now), default=None)
            self._publication_of = state
        return self._publication

    def save(
        self,
        *,
        finished: bool = True,
        with_memo: bool = False,
        stop: Callable[[], bool] | None = None,
    ) -> bool:
        """Write what the last builds learnt to the cache, for the next `sitegen build`.

        Unless `finished`, the quick part only (as when idle between saves): pages whose
        fingerprints are still to be taken stay out of the memo, and output/'s folders are
        not stamped, so the next `sitegen build` renders those pages again and looks
        through every folder. With `with_memo`, output/'s memo is written even where no build of
        this session changed output/. With `stop`, writing stops as soon as it says so (an
        edit came): False then, and what was not written is written by the next save.
        """
        state = self.state
        if state is None:
            return True
        if finished:
            state = digest_later(state)
        if self.ready_twin:  # else the next build brings the twin up to date where it swaps
            caught_up = _caught_up(state)
            if caught_up is None:
                self.state = None
                return True
            state = caught_up
        self.state = state
        try:
            if self._unsaved:
                save_report_cache(state.config, state.loaded, self._unsaved, stop=stop)
                self._unsaved.clear()
            if self._memo_unsaved or with_memo:
                tree = state.tree
                stamps = folder_stamps(tree.output, made_folders(tree.made)) if finished else {}
                memo = OutputMemo(
                    dict(state.memo), stamps, tree.foreign, tree, twin_stamp(tree.books)
                )
                save_output_memo(state.config, tree.output, memo, stop=stop)
                self._memo_unsaved = not finished
        except SaveStopped:
            return False
        return True

    def resume(self, inputs: InputStamps, memo: OutputMemo, reporter: Reporter) -> bool:
        """Start from the build the last `sitegen build` saved, where it can be trusted.

        `inputs` are the stamps of the site's files now: those changed since that build are
        pending, for the next build to redo; `memo` is output/'s memo, as the cache holds
        it. False (and the next build is a full one) where
        no build was saved, it was made with another configuration, sitegen, theme or
        options, or output/ or its twin are no longer as it left them; a damaged one is
        noted to the reporter.
        """
        config = self.config
        output = config.output_path
        if memo.tree is None or not as_left(memo.tree, memo.folders, memo.twin):
            return False
        gc.disable()  # loading makes millions of objects, none of them garbage
        try:
            saved = load_saved_build(config, output, saved_build_key(config, self.options))
        except CacheProblem as problem:
            if problem.worth_saying and not isinstance(problem, CacheFromElsewhere):
                reporter.add(Diagnostic(Level.NOTE, f"saved build not used: {problem}"))
            return False
        finally:
            gc.freeze()  # and never walked by the collector: the session keeps them all
            gc.enable()
        if not isinstance(saved, SavedBuild):
            reporter.add(Diagnostic(Level.NOTE, "saved build not used: it holds no build"))
            return False
        try:
            env, templates = page_environment(config, load_theme(config), compiled=True)
        except SitegenError:
            return False  # the full build says what is wrong
        if templates.base != saved.environment:
            return False
        parts: dict[str, Any] = dict(saved.parts)
        parts["options"] = self.options  # the same but perhaps for `strict`
        self.state = BuildState(
            **parts, memo=dict(memo.pages), tree=memo.tree, environment=env, templates=templates
        )
        content = config.content_path.resolve()
        for path in changed_inputs(saved.inputs, inputs):
            if path.is_relative_to(content):  # as the site names it, where a link leads there
                path = config.content_path / path.relative_to(content)
            self._pending.add(path)
        if self._published_between(saved.started, self.options.current_time()):
            self._full_build_due = True  # a report's date came (or, with the clock set back, went)
        self._memo_unsaved = True
        return True

    def _published_between(self, one: dt.datetime, other: dt.datetime) -> bool:
        """Whether a report on the site or waiting for its date is dated between two times."""
        state = self.state
        if state is None or state.options.future:
            return False
        earlier, later = min(one, other), max(one, other)
        return any(earlier < date <= later for date in _publication_dates(state))

    def save_build(self, inputs: InputStamps, started: dt.datetime) -> None:
        """Save the last build whole, for the next `sitegen build` to start from.

        `inputs` are the stamps of the site's files, and `started` the time reports were
        compared with, as they were when it started.
        """
        state = self.state
        if state is None:
            return
        parts = {name: getattr(state, name) for name in SAVED_FIELDS}
        saved = SavedBuild(parts, dict(inputs), state.templates.base, started)
        key = saved_build_key(state.config, state.options)
        save_build(state.config, state.tree.output, key, saved)


SAVED_FIELDS = tuple(
    field.name
    for field in dataclasses.fields(BuildState)
    if field.name not in ("memo", "tree", "environment", "templates", "sitemap")
)
"""What a saved build keeps of its state: what output/'s memo holds, the template
environment (made again from the theme) and the sitemap's entries (made again at the first
rebuild that changes it) are not kept."""


@dataclass(frozen=True, slots=True)
class SavedBuild:
    """A build as `sitegen build` saves it for the next one to start from."""

    parts: Mapping[str, object]
    """BuildState's SAVED_FIELDS, by name."""
    inputs: InputStamps
    """The stamps of the site's files when the build started."""
    environment: bytes
    """The digest of what every page's rendering depends on beyond its template and context."""
    started: dt.datetime
    """The time reports were compared with (a report dated after it was not on the site)."""


def build_from_saved(
    config: SiteConfig, options: BuildOptions, reporter: Reporter, progress: Progress | None
) -> BuildResult:
    """`sitegen build` into output/: redo only what changed since the build it saved last.

    Where that build cannot be trusted, a full build (which still reads the report cache and
    renders only pages whose inputs changed). A build that went through every page after
    an earlier one, or one that redid many changes, is saved whole for the next. A site
    with a search index is always built in full: Pagefind indexes every page again when
    one changed. Raises BuildFailed, as build() does, with output/ left as it was.
    """
    if config.search:
        result = build(config, options, reporter, progress=progress)
        forget_saved_build(config, config.output_path)
        return result
    inputs = input_stamps(plan_watch(config))
    started = options.current_time()
    session = BuildSession(config, options, ready_twin=False)
    memo = load_output_memo(config, config.output_path)
    warm = bool(memo.pages)  # an earlier build wrote output/
    session.resume(inputs, memo, reporter)
    pending = len(session.pending)
    result = session.build(reporter, None if session.state is None else (), progress=progress)
    whole = warm and (session.full_builds > 0 or pending > REPLAY_LIMIT)
    # A build saved whole also readies output/'s twin, so later swaps write only changes.
    session.ready_twin = whole
    session.save(with_memo=True)
    if whole:
        session.save_build(inputs, started)
    elif session.full_builds:
        # output/ now holds pages the saved build does not know of (made with other
        # options, say): redoing only what changed since it would leave them there.
        forget_saved_build(config, config.output_path)
    return result


REPLAY_LIMIT = 50
"""A build started from a saved one that redid more than this many changed files is saved."""


def _publication_dates(state: BuildState) -> Iterator[dt.datetime]:
    """The date of each report the build's options would put on the site, once due."""
    for entry in state.loaded.values():
        report = entry.report
        if report is not None and (state.options.drafts or not report.draft):
            yield report.date


def _caught_up(state: BuildState) -> BuildState | None:
    tree = catch_up_twin(state.tree)
    return None if tree is None else dataclasses.replace(state, tree=tree)


def _changed_reports(
    state: BuildState, paths: frozenset[Path]
) -> dict[str, LoadedReport | None] | None:
    """The changed report files, loaded (None: deleted); None where a change is not to one."""
    loaded: dict[str, LoadedReport | None] = {}
    for path in paths:
        source = plain_source(path, state.config)
        if source is None:
            return None
        if source.path.is_file():
            loaded[source.key] = load_report_file(source, state.config)
        elif source.path.exists():
            return None
        else:
            loaded[source.key] = None
    return loaded


def rebuild_reports(
    state: BuildState, paths: frozenset[Path], reporter: Reporter
) -> BuildResult | None:
    """Rebuild after report files were edited, made or deleted; None where more changed.

    Only the groups of pages whose inputs may have changed are planned again, only pages
    whose inputs did change are rendered, and only files whose bytes changed are written.
    Raises BuildFailed where a report has errors (output/ is left as it was).
    """
    config = state.config
    changed = _changed_reports(state, paths)
    if changed is None:
        return None
    loaded = dict(state.loaded)
    for key, entry in changed.items():
        if entry is None:
            loaded.pop(key, None)
        else:
            loaded[key] = entry
    noted = (state.noted - changed.keys()) | {
        key for key, entry in changed.items() if entry is not None and entry.diagnostics
    }
    for key in sorted(noted):
        reporter.extend(loaded[key].diagnostics)
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)

    old_site = state.site
    prepared = {
        key: prepare_images(entry.report, config, reporter)
        for key, entry in changed.items()
        if entry is not None and entry.report is not None
    }
    same_shapes = _same_shapes(state, changed)
    if same_shapes:
        reports = dict(old_site.reports)
        reports.update((key, report) for key, report in prepared.items() if key in reports)
        site = dataclasses.replace(old_site, reports=reports)
        site_diagnostics = state.site_diagnostics
    elif (
        in_place := update_site(
            old_site,
            {key: prepared.get(key) for key in changed},
            config,
            state.options,
            state.vocabulary,
        )
    ) is not None:
        site, site_diagnostics = in_place, state.site_diagnostics
    else:
        every = tuple(
            prepared.get(key)
            or old_site.reports.get(key)
            or prepare_images(report, config, reporter)
            for key in sorted(loaded)
            if (report := loaded[key].report) is not None
        )
        site_result = build_site(
            every, config, state.options, state.vocabulary, old_site, changed.keys()
        )
        site, site_diagnostics = site_result.site, site_result.diagnostics
        if [e.lang for e in site.editions] != [e.lang for e in old_site.editions]:
            return None  # a language came or went: every page's navigation changed
    reporter.extend(site_diagnostics)
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)

    keys = frozenset(changed)
    redo = _summaries_to_redo(old_site, site, keys)
    kept = dict(state.summaries)
    for key in redo | (keys - site.reports.keys()):  # only changed reports leave the site
        kept.pop(key, None)
    planner = PagePlanner(site, config, kept, _timeline_years(state), keys)
    remade = planner.make_summaries(redo)
    planner.summaries.update(remade)
    listed = {k for k, v in remade.items() if state.summaries.get(k) != v}
    on_timeline = {
        key
        for key in keys
        if _timeline_entry(old_site.reports.get(key)) != _timeline_entry(site.reports.get(key))
    }
    wanted = _GroupsToPlan(state, site, keys | listed, listed, on_timeline)
    # Of the reports' own pages, only those of `wanted.pages` may need planning again.
    replanned = planner.plan_groups(filter(wanted, planner.group_order(wanted.pages)))

    replanned_pages, fresh = _planned_pages(state, replanned, site)
    if same_shapes:  # the same groups, in the same order
        groups = {**state.groups, **replanned_pages}
    else:
        groups = {
            group: replanned_pages[group] if group in replanned_pages else state.groups[group]
            for group in planner.group_order()
        }
    jobs: list[PageJob] = []
    if not same_shapes:  # addresses may have changed
        jobs = [page.job for pages in groups.values() for page in pages]
        for error in find_collisions(jobs, config):
            reporter.exception(error)
        if reporter.has_errors():
            raise BuildFailed(reporter.errors)

    made = state.tree.made
    memo: PageMemo = dict(state.memo)
    changes: dict[str, OutputFile | None] = {}
    pages = [page for group in replanned_pages.values() for page in group]
    to_render = [page for page in pages if page.job.output in fresh]
    for page, content in zip(
        to_render, _render(to_render, state.environment, config, reporter), strict=True
    ):
        if content is not None:
            _record(page.job.output, page.digest, content, made, memo, changes)
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)
    # A page of a group planned again, or gone, that no group planned again still makes is
    # gone: the groups not planned again make what they made before, none of it this page.
    replanned_outputs = {page.job.output for page in pages}
    gone_groups = set() if same_shapes else state.groups.keys() - groups.keys()
    for group in gone_groups | replanned.keys():
        for page in state.groups.get(group, ()):
            if page.job.output not in replanned_outputs:
                changes[page.job.output] = None
                memo.pop(page.job.output, None)

    report_digests = dict(state.report_digests)
    for key in keys - site.reports.keys():
        report_digests.pop(key, None)
    for group in replanned:
        if group[0] == "report":
            report_digests.pop(group[1], None)
            digest = groups[group][0].digest
            if digest is not None:
                report_digests[group[1]] = digest
    holding = keys if same_shapes else None
    feeds = build_feeds(site, config, report_digests, holding=holding)
    for feed in feeds:
        known = memo.get(feed.path)
        if feed.digest is None or known is None or known[0] != feed.digest:
            _record(feed.path, feed.digest, feed.make(), made, memo, changes)
    feed_paths = state.feeds
    sitemap = state.sitemap
    if holding is None:
        feed_paths = tuple(feed.path for feed in feeds)
        for path in set(state.feeds) - set(feed_paths):
            changes[path] = None
            memo.pop(path, None)
        earlier = None if sitemap is None else SitemapBefore(sitemap, old_site, keys)
        sitemap = build_sitemap(site, config, jobs, earlier)
        _record(sitemap.file.path, None, sitemap.file.content or b"", made, memo, changes)

    for key in keys:
        before = old_site.reports.get(key)
        after = site.reports.get(key)
        old_files = {f.path: f for f in _report_files(before, config, Reporter())}
        for file in _report_files(after, config, reporter):
            old_files.pop(file.path, None)
            there = made.get(file.path)
            if there is None or there.digest != file.content_digest():
                changes[file.path] = file
        for path in old_files:
            changes.setdefault(path, None)
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)

    link_problems = _link_problems(state, site, keys, changes)
    reporter.extend(link_problems)
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)

    tree = swap_in_changes(state.tree, changes) if changes else state.tree
    if tree is None:
        return None
    new_state = dataclasses.replace(
        state,
        loaded=loaded,
        site=site,
        site_diagnostics=site_diagnostics,
        groups=groups,
        summaries=planner.summaries,
        report_digests=report_digests,
        feeds=feed_paths,
        link_diagnostics=tuple(link_problems),
        memo=memo,
        tree=tree,
        sitemap=sitemap,
        noted=noted,
        undigested=state.undigested
        | {g for g, pages in replanned_pages.items() if any(p.digest is None for p in pages)},
    )
    page_count = sum(map(len, groups.values()))
    return BuildResult(
        site, page_count, len(tree.made), tree.output, len(to_render), new_state,
        tuple(sorted(changes)),
    )  # fmt: skip


def _link_problems(
    state: BuildState, site: Site, keys: AbstractSet[str], changes: Mapping[str, OutputFile | None]
) -> list[Diagnostic]:
    """Broken links in bodies: the changed reports' anew, the rest's as they were.

    Where files came or went, every body is checked again.
    """
    made = state.tree.made
    extra = set(UI_FILES) if state.config.search else set()
    if any(file is None or path not in made for path, file in changes.items()):
        outputs = (made.keys() | changes.keys() | extra) - {
            path for path, file in changes.items() if file is None
        }
        return find_broken_links(site.reports.values(), outputs)
    files = {
        r.file for key in keys for r in (site.reports.get(key), state.site.reports.get(key)) if r
    }
    kept = [d for d in state.link_diagnostics if d.location is None or d.location.path not in files]
    changed = [site.reports[key] for key in sorted(keys) if key in site.reports]
    return kept + find_broken_links(changed, made.keys() | extra)


def _same_shapes(state: BuildState, changed: Mapping[str, LoadedReport | None]) -> bool:
    """Whether every change is to what only the report's own page shows (its body)."""
    for key, entry in changed.items():
        before = state.loaded.get(key)
        if entry is None or before is None or entry.report is None or before.report is None:
            return False
        if report_shape(entry.report) != report_shape(before.report):
            return False
    return True


TermPlace = tuple[str, str, str]
"""(lang, taxonomy, slug)."""


def _terms(site: Site) -> dict[TermPlace, Term]:
    return {
        (edition.lang, taxonomy.name, term.slug): term
        for edition in site.editions
        for taxonomy in edition.taxonomies
        for term in taxonomy.terms
    }


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
    old_terms = _terms(old_site)
    for place, term in _terms(site).items():
        before = old_terms.get(place)
        if before is None or (before.name, before.url) != (term.name, term.url):
            redo.update(term.report_keys)
    return {key for key in redo if key in site.reports}


class _GroupsToPlan:
    """Which groups of pages to plan again after some reports changed."""

    def __init__(
        self,
        state: BuildState,
        site: Site,
        pages: AbstractSet[str],
        listed: AbstractSet[str],
        on_timeline: AbstractSet[str],
    ) -> None:
        self.old_groups = state.groups
        self.pages = pages
        """Reports whose own page may have changed."""
        self.listed = listed
        """Reports whose summaries (what home, tag and place pages show) changed."""
        self.on_timeline = on_timeline
        """Reports whose place or entry on the timeline may have changed."""
        self.old_editions = {e.lang: e for e in state.site.editions}
        self.editions = {e.lang: e for e in site.editions}
        self.old_terms = _terms(state.site)
        self.terms = _terms(site)
        came_or_went = self.old_terms.keys() ^ self.terms.keys()
        self.moved_terms = {(taxonomy, slug) for _, taxonomy, slug in came_or_went}
        """Terms that came or went in some language: their pages elsewhere link to them."""
        self._keys: dict[str, frozenset[str]] = {}
        self.years_moved = any(
            [y.year for y in old.timeline] != [y.year for y in self.editions[lang].timeline]
            for lang, old in self.old_editions.items()
        )
        """A year came or went in some language: every year page links to its others."""

    def _holds(self, lang: str, reports: AbstractSet[str]) -> bool:
        if not reports:
            return False
        keys = self._keys.get(lang)
        if keys is None:
            keys = self._keys[lang] = frozenset(self.editions[lang].report_keys)
        return not keys.isdisjoint(reports)

    def __call__(self, group: PageGroup) -> bool:
        if group not in self.old_groups:
            return True
        kind = group[0]
        if kind == "report":
            return group[1] in self.pages
        if kind in ("search", "404"):
            return False
        lang = group[1]
        old, new = self.old_editions[lang], self.editions[lang]
        if kind == "home":
            return old.report_keys != new.report_keys or self._holds(lang, self.listed)
        if kind == "timeline":
            return (
                self.years_moved
                or old.timeline != new.timeline
                or self._holds(lang, self.on_timeline)
            )
        if kind == "taxonomy":
            old_terms = next(t.terms for t in old.taxonomies if t.name == group[2])
            return old_terms != next(t.terms for t in new.taxonomies if t.name == group[2])
        place = (lang, group[2], group[3])
        term = self.terms[place]
        return (
            self.old_terms.get(place) != term
            or (group[2], group[3]) in self.moved_terms
            or not self.listed.isdisjoint(term.report_keys)
        )


def _timeline_years(state: BuildState) -> list[YearView]:
    """The years of every edition's timeline as last planned."""
    years: list[YearView] = []
    for edition in state.site.editions:
        pages = state.groups.get(("timeline", edition.lang))
        if pages:
            years.extend(pages[0].job.context["years"])
    return years


def _timeline_entry(report: Report | None) -> TimelineEntry | None:
    return None if report is None else timeline_entry(report)


def _planned_pages(
    state: BuildState, replanned: Mapping[PageGroup, tuple[PageJob, ...]], site: Site
) -> tuple[dict[PageGroup, tuple[PlannedPage, ...]], set[str]]:
    """The groups planned again, and the pages among them whose inputs changed.

    A page whose inputs are as before is kept as it was, with its digest, and is not
    rendered again. Report pages whose inputs changed get a digest now (feeds are told by
    them); other changed pages get theirs later, from `digest_later`.
    """
    before = {page.job.output: page for group in replanned for page in state.groups.get(group, ())}
    fresh = [
        job
        for jobs in replanned.values()
        for job in jobs
        if (old := before.get(job.output)) is None
        or old.job.template != job.template
        or old.job.context != job.context
    ]
    reports = [job for job in fresh if job.context["page"].kind == "report"]
    digested = {
        page.job.output: page
        for page in page_digests(reports, state.templates, state.config, site.reports)
    }
    digested.update(
        (job.output, PlannedPage(job, None)) for job in fresh if job.output not in digested
    )
    planned = {
        group: tuple(digested.get(job.output) or before[job.output] for job in jobs)
        for group, jobs in replanned.items()
    }
    return planned, set(digested)


def digest_later(state: BuildState) -> BuildState:
    """Fingerprint the pages rendered without a digest, and note them in the memo."""
    if not state.undigested:
        return state
    waiting = [
        page
        for group in state.undigested
        for page in state.groups.get(group, ())
        if page.digest is None
    ]
    digested = {
        page.job.output: page
        for page in page_digests(
            [page.job for page in waiting], state.templates, state.config, state.site.reports
        )
    }
    memo = dict(state.memo)
    for path, page in digested.items():
        entry = state.tree.made.get(path)
        if page.digest is not None and entry is not None:
            memo[path] = (page.digest, entry.digest)
    groups = {
        group: tuple(digested.get(p.job.output, p) for p in pages)
        if group in state.undigested
        else pages
        for group, pages in state.groups.items()
    }
    return dataclasses.replace(state, groups=groups, memo=memo, undigested=frozenset())


PARALLEL_FROM = 40
"""From this many pages, rendering is spread over every core."""


def _render(
    pages: Sequence[PlannedPage], env: jinja2.Environment, config: SiteConfig, reporter: Reporter
) -> list[bytes | None]:
    """Each page's bytes (None where it failed: the problem is with the reporter)."""
    if len(pages) >= PARALLEL_FROM:
        made = render_pages([page.job for page in pages], env, config, reporter)
        return [content if isinstance(content, bytes) else None for content in made]
    rendered: list[bytes | None] = []
    for page in pages:
        try:
            rendered.append(render_page(env, page.job, config))
        except SitegenError as error:
            reporter.exception(error)
            rendered.append(None)
    return rendered


def _report_files(
    report: Report | None, config: SiteConfig, reporter: Reporter
) -> list[OutputFile]:
    """The files a report brings beside its page: its images and their variants."""
    if report is None:
        return []
    variants: list[OutputFile] = make_variants([report], config, reporter)
    return report_assets(report, config) + variants


def _record(
    path: str,
    digest: str | None,
    content: bytes,
    made: Mapping[str, ManifestEntry],
    memo: PageMemo,
    changes: dict[str, OutputFile | None],
) -> None:
    """Note a file made anew: in the memo, and among the changes where its bytes differ."""
    written = content_digest(content)
    if digest is not None:
        memo[path] = (digest, written)
    else:
        memo.pop(path, None)
    entry = made.get(path)
    if entry is None or entry.digest != written:
        changes[path] = OutputFile(path, content, digest=written)
    else:
        changes.pop(path, None)
