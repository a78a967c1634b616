"""Builds kept between file changes, so that a rebuild redoes only what changed.

`BuildSession.build(changed)` hands the paths that changed since its last good build, and
the state that build left, to `build()`, which decides once whether the change can be
built from that state (report files and templates) or needs a full build (anything else,
which still reuses the reports already loaded); see docs/architecture.md. Either way the
output folder ends as a clean build would leave it, byte for byte.

`sitegen serve` keeps one session for as long as it runs. `sitegen build` starts one from
the build it saved last (`build_from_saved`): the files whose stamps changed since are the
changed paths of its one build.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sitegen.build import build
from sitegen.cache import (
    CacheFromElsewhere,
    CacheProblem,
    OutputMemo,
    SaveStopped,
    load_output_memo,
    load_saved_build,
    save_build,
    save_output_memo,
    save_report_cache,
    saved_build_key,
)
from sitegen.config import BuildOptions, SiteConfig
from sitegen.content.discover import plain_source
from sitegen.destination import changes_back_to
from sitegen.diagnostics import Diagnostic, Level, Reporter
from sitegen.errors import SitegenError
from sitegen.inputs import InputStamps, changed_inputs, input_stamps, plan_watch
from sitegen.loading import Progress
from sitegen.output import (
    ManifestEntry,
    as_left,
    catch_up_twin,
    folder_stamps,
    made_folders,
    twin_stamp,
)
from sitegen.pages import page_digests, page_environment
from sitegen.state import (
    BuildResult,
    BuildState,
    GeneratedFiles,
    LoadedSources,
    OutputState,
    PagePlan,
    SiteModel,
)
from sitegen.theme import fingerprint_assets, load_theme


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
        self._compared_at: dt.datetime | None = None
        """The time the last build compared reports' dates with (None: no build yet)."""

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
        if changed is None:
            self._full_build_due = True
        else:
            self._pending.update(changed)
        now = self.options.current_time()
        if state is not None and self._compared_at is not None:
            # A report or edition whose date came since (or, with the clock set back, went)
            # joins the site (or leaves it) as though its file changed.
            self._pending.update(_files_dated_between(state, self._compared_at, now))
        full_due = self._full_build_due or state is None
        if full_due:
            self.save()
        result = build(
            self.config,
            self.options,
            reporter,
            previous=state,
            changed=None if full_due else frozenset(self._pending),
            progress=progress,
            search_index=search_index,
            keep_state=True,
            before_full=None if full_due else self.save,
        )
        if result.full:
            self.full_builds += 1
        else:
            self._memo_unsaved = True
            sources = (plain_source(path, self.config) for path in self._pending)
            self._unsaved.update(source.key for source in sources if source is not None)
        if state is None and result.state is not None and self.ready_twin:
            # The first build: ready output/'s twin now, not at the first edit.
            result = dataclasses.replace(result, state=_caught_up(result.state))
        self.state = result.state
        self._compared_at = now
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
            dates = (date for date, _ in _publication_dates(state))
            self._publication = min((d for d in dates if d > now), default=None)
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
                save_report_cache(state.config, state.sources.reports, self._unsaved, stop=stop)
                self._unsaved.clear()
            if self._memo_unsaved or with_memo:
                tree = state.output.tree
                stamps = folder_stamps(tree.output, made_folders(tree.made)) if finished else {}
                memo = OutputMemo(
                    dict(state.output.memo), stamps, tree.foreign, tree, twin_stamp(tree.books)
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
            theme = load_theme(config)
            assets = fingerprint_assets(theme, config)
            env, templates = page_environment(config, theme, assets, compiled=True)
        except SitegenError:
            return False  # the full build says what is wrong
        if templates.base != saved.environment:
            return False
        # Builds since (`sitegen watch`, or one from this saved build) may have changed
        # output/: the next build puts back what they changed, with its own changes.
        behind = changes_back_to(config, memo.tree, saved.made)
        if behind is None:
            return False
        pages = {
            path: made
            for path, made in memo.pages.items()
            if (kept := saved.made.get(path)) is not None and kept.digest == made[1]
        }
        reports = dict(saved.sources.reports)
        content = config.content_path.resolve()
        for path in changed_inputs(saved.inputs, inputs):
            if path.is_relative_to(content):  # as the site names it, where a link leads there
                path = config.content_path / path.relative_to(content)
            source = plain_source(path, config)
            entry = reports.get(source.key) if source is not None else None
            again = entry.restamped() if entry is not None else None
            if source is not None and again is not None:  # written anew, the same bytes
                reports[source.key] = again
            else:
                self._pending.add(path)
        self.state = BuildState(
            config=config,
            options=self.options,  # the same but perhaps for `strict`
            sources=dataclasses.replace(saved.sources, reports=reports),
            model=saved.model,
            plan=saved.plan,
            generated=saved.generated,
            output=OutputState(pages, memo.tree, behind),
            environment=env,
            templates=templates,
        )
        self._compared_at = saved.started  # reports dated since then are built anew
        self._memo_unsaved = True
        return True

    def save_build(self, inputs: InputStamps, started: dt.datetime) -> None:
        """Save the last build whole, for the next `sitegen build` to start from.

        `inputs` are the stamps of the site's files, and `started` the time reports were
        compared with, as they were when it started.
        """
        state = self.state
        if state is None:
            return
        saved = SavedBuild(
            state.sources,
            state.model,
            state.plan,
            dataclasses.replace(state.generated, sitemap=None),
            dict(inputs),
            state.templates.base,
            started,
            dict(state.output.tree.made),
        )
        key = saved_build_key(state.config, state.options)
        save_build(state.config, state.output.tree.output, key, saved)


@dataclass(frozen=True, slots=True)
class SavedBuild:
    """A build as `sitegen build` saves it for the next one to start from.

    Its state but what output/'s memo holds, the template environment (made again from the
    theme) and the sitemap's entries (made again at the first rebuild that changes it).
    """

    sources: LoadedSources
    model: SiteModel
    plan: PagePlan
    generated: GeneratedFiles
    inputs: InputStamps
    """The stamps of the site's files when the build started."""
    environment: bytes
    """The digest of what every page's rendering depends on beyond its template and context."""
    started: dt.datetime
    """The time reports were compared with (a report dated after it was not on the site)."""
    made: Mapping[str, ManifestEntry]
    """What output/ held as the build left it (path: digest and size), to put back what
    builds since changed before starting from this one."""


def build_from_saved(
    config: SiteConfig, options: BuildOptions, reporter: Reporter, progress: Progress | None
) -> BuildResult:
    """`sitegen build` into output/: redo only what changed since the build it saved last.

    Where that build cannot be trusted, a full build (which still reads the report cache and
    renders only pages whose inputs changed). A build that went through every page after
    an earlier one, or one that redid many changes, is saved whole for the next, but for
    one that found no output/ (as in CI, where none is kept for the next). Raises
    BuildFailed, as build() does, with output/ left as it was.
    """
    inputs = input_stamps(plan_watch(config))
    started = options.current_time()
    session = BuildSession(config, options, ready_twin=False)
    memo = load_output_memo(config, config.output_path)
    warm = bool(memo.pages)  # an earlier build wrote output/
    fresh_output = not config.output_path.is_dir()  # a new checkout, as in CI
    session.resume(inputs, memo, reporter)
    pending = len(session.pending)
    result = session.build(reporter, None if session.state is None else (), progress=progress)
    # Not one that found no output/: CI keeps no output/, so no later build starts from
    # what it would save (1.3 s at 10,000 reports).
    whole = warm and not fresh_output and (session.full_builds > 0 or pending > REPLAY_LIMIT)
    # A build saved whole also readies output/'s twin, so later swaps write only changes.
    session.ready_twin = whole
    session.save(with_memo=True)
    if whole:
        session.save_build(inputs, started)
    return result


REPLAY_LIMIT = 50
"""A build started from a saved one that redid more than this many changed files is saved."""


def _publication_dates(state: BuildState) -> Iterator[tuple[dt.datetime, str]]:
    """The date and file of each report and edition the options put on the site once due."""
    for entry in state.sources.reports.values():
        report = entry.report
        if report is not None and (state.options.drafts or not report.draft):
            yield report.date, entry.files[0].path
    for key, loaded in state.sources.editions.items():
        edition = loaded.edition
        if edition is not None and (state.options.drafts or not edition.draft):
            yield edition.date, str(state.config.content_path / key)


def _files_dated_between(state: BuildState, one: dt.datetime, other: dt.datetime) -> set[Path]:
    """The files of the reports and editions dated between two times (on the site or not)."""
    if state.options.future:
        return set()
    earlier, later = min(one, other), max(one, other)
    return {Path(file) for date, file in _publication_dates(state) if earlier < date <= later}


def _caught_up(state: BuildState) -> BuildState | None:
    tree = catch_up_twin(state.output.tree)
    if tree is None:
        return None
    return dataclasses.replace(state, output=dataclasses.replace(state.output, tree=tree))


def digest_later(state: BuildState) -> BuildState:
    """Fingerprint the pages rendered without a digest, and note them in the memo."""
    if not state.plan.undigested:
        return state
    waiting = [
        page
        for group in state.plan.undigested
        for page in state.plan.groups.get(group, ())
        if page.digest is None
    ]
    digested = {
        page.job.output: page
        for page in page_digests(
            [page.job for page in waiting], state.templates, state.config, state.model.site.reports
        )
    }
    memo = dict(state.output.memo)
    for path, page in digested.items():
        entry = state.output.tree.made.get(path)
        if page.digest is not None and entry is not None:
            memo[path] = (page.digest, entry.digest)
    groups = {
        group: tuple(digested.get(p.job.output, p) for p in pages)
        if group in state.plan.undigested
        else pages
        for group, pages in state.plan.groups.items()
    }
    return dataclasses.replace(
        state,
        plan=dataclasses.replace(state.plan, groups=groups, undigested=frozenset()),
        output=dataclasses.replace(state.output, memo=memo),
    )
