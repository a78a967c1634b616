"""Builds kept in memory between file changes, so that a rebuild redoes only what changed.

`BuildSession.build(changed)` is told the paths that changed since its last build. Where
only reports changed, and only in what no page but their own shows (their bodies: not
their titles, dates, terms, language or anything else a list, feed entry or sitemap
shows), it loads those files, renders their pages and the feeds that hold them, and swaps
the changed files into output/ without walking the site. Anything else is a full
`build()`, which reuses the reports already loaded. Both give the bytes a clean build
gives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

from sitegen.build import (
    BuildResult,
    BuildState,
    Progress,
    build,
    load_report_file,
    page_digests,
    report_assets,
)
from sitegen.cache import LoadedReport, OutputMemo, PageMemo, save_output_memo, save_report_cache
from sitegen.config import BuildOptions, SiteConfig
from sitegen.content.discover import plain_source
from sitegen.diagnostics import BuildFailed, Reporter
from sitegen.errors import SitegenError
from sitegen.feeds import build_feeds
from sitegen.images import prepare_images
from sitegen.links import find_broken_links
from sitegen.model import Report
from sitegen.output import (
    ManifestEntry,
    OutputFile,
    catch_up_twin,
    content_digest,
    folder_stamps,
    made_folders,
    swap_in_changes,
)
from sitegen.render import plan_report_pages, render_page
from sitegen.search import UI_FILES


def report_shape(report: Report) -> Report:
    """A report without its body: what every page but its own may show of it."""
    return dataclasses.replace(report, body="", rendered=None, source_digest="")


class BuildSession:
    """One site's builds in one process, each starting from the last one's state."""

    def __init__(self, config: SiteConfig, options: BuildOptions) -> None:
        self.config = config
        self.options = options
        self.state: BuildState | None = None
        self._pending: set[Path] = set()
        """Paths changed since the last good build (a failed build leaves them pending)."""
        self._unsaved: set[str] = set()
        """Report keys loaded since the report cache was last written."""
        self._memo_unsaved = False

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
            self._pending.clear()
        else:
            self._pending.update(changed)
            if state is not None and not (search_index and self.config.search):
                result = rebuild_reports(state, frozenset(self._pending), reporter)
        if result is None:
            self.save()
            result = build(
                self.config,
                self.options,
                reporter,
                progress=progress,
                search_index=search_index,
                loaded_before=None if state is None else state.loaded,
            )
        else:
            self._memo_unsaved = True
            sources = (plain_source(path, self.config) for path in self._pending)
            self._unsaved.update(source.key for source in sources if source is not None)
        if state is None and result.state is not None:
            # The first build: ready output/'s twin now, not at the first edit.
            result = dataclasses.replace(result, state=_caught_up(result.state))
        self.state = result.state
        self._pending.clear()
        return result

    def save(self) -> None:
        """Write what the last builds learnt to the cache, for the next `sitegen build`."""
        state = self.state
        if state is None:
            return
        self.state = state = _caught_up(state)
        if state is None:
            return
        if self._unsaved:
            save_report_cache(state.config, state.loaded, self._unsaved)
            self._unsaved.clear()
        if self._memo_unsaved:
            tree = state.tree
            stamps = folder_stamps(tree.output, made_folders(tree.made))
            memo = OutputMemo(dict(state.memo), stamps, tree.foreign)
            save_output_memo(state.config, tree.output, memo)
            self._memo_unsaved = False


def _caught_up(state: BuildState) -> BuildState | None:
    tree = catch_up_twin(state.tree)
    return None if tree is None else dataclasses.replace(state, tree=tree)


def _changed_reports(state: BuildState, paths: frozenset[Path]) -> dict[str, LoadedReport] | None:
    """The changed report files, loaded; None where a change is not an edit of one."""
    loaded: dict[str, LoadedReport] = {}
    for path in paths:
        source = plain_source(path, state.config)
        if source is None or source.key not in state.loaded or not source.path.is_file():
            return None
        loaded[source.key] = load_report_file(source, state.config)
    return loaded


def rebuild_reports(
    state: BuildState, paths: frozenset[Path], reporter: Reporter
) -> BuildResult | None:
    """Rebuild after edits to report bodies only; None where the change is more than that.

    Raises BuildFailed where an edited report has errors (output/ is left as it was).
    """
    config = state.config
    changed = _changed_reports(state, paths)
    if changed is None:
        return None
    for key, entry in changed.items():
        old = state.loaded[key].report
        new = entry.report
        if old is None or (new is not None and report_shape(new) != report_shape(old)):
            return None
    loaded = {**state.loaded, **changed}
    for key in sorted(loaded):
        reporter.extend(loaded[key].diagnostics)
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)

    reports = dict(state.site.reports)
    shown = sorted(key for key in changed if key in reports)
    for key in shown:
        new = changed[key].report
        assert new is not None
        prepared = prepare_images(new, config, reporter)
        if {f.path for f in report_assets(prepared, config)} != {
            f.path for f in report_assets(reports[key], config)
        }:
            return None
        reports[key] = prepared
    site = dataclasses.replace(state.site, reports=reports)
    reporter.extend(state.site_diagnostics)
    outputs = state.tree.made.keys() | (set(UI_FILES) if config.search else set())
    files = {reports[key].file for key in shown}
    link_problems = [
        d for d in state.link_diagnostics if d.location is None or d.location.path not in files
    ]
    link_problems += find_broken_links([reports[key] for key in shown], outputs)
    reporter.extend(link_problems)
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)

    jobs = plan_report_pages(site, config, shown)
    replanned = {p.job.output: p for p in page_digests(jobs, state.templates, config, reports)}
    planned = list(state.planned)
    report_digests = dict(state.report_digests)
    for path, page in replanned.items():
        planned[state.page_index[path]] = page
        report_digests.pop(page.job.context["report"].key, None)
        if page.digest is not None:
            report_digests[page.job.context["report"].key] = page.digest
    memo: PageMemo = dict(state.memo)
    made = state.tree.made
    changes: dict[str, OutputFile | None] = {}
    rendered = 0
    for path, page in replanned.items():
        known = memo.get(path)
        if page.digest is not None and known is not None and known[0] == page.digest:
            continue
        try:
            content = render_page(state.environment, page.job, config)
        except SitegenError as error:
            reporter.exception(error)
            continue
        rendered += 1
        _record(path, page.digest, content, made, memo, changes)
    if reporter.has_errors():
        raise BuildFailed(reporter.errors)

    for feed in build_feeds(site, config, report_digests, holding=frozenset(shown)):
        known = memo.get(feed.path)
        if feed.digest is not None and known is not None and known[0] == feed.digest:
            continue
        _record(feed.path, feed.digest, feed.make(), made, memo, changes)

    tree = swap_in_changes(state.tree, changes) if changes else state.tree
    if tree is None:
        return None
    new_state = dataclasses.replace(
        state,
        loaded=loaded,
        site=site,
        planned=tuple(planned),
        report_digests=report_digests,
        link_diagnostics=tuple(link_problems),
        memo=memo,
        tree=tree,
    )
    return BuildResult(
        site, len(planned), len(tree.made), tree.output, rendered, new_state, tuple(sorted(changes))
    )


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
