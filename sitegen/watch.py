"""Watch a site's sources and rebuild it: file events -> a debounced change set -> build().

`plan_watch` (in sitegen.inputs) says which folders and files matter (content/, static/,
templates/, data/, i18n/, the theme in use and sitegen.toml). `SiteWatcher` runs watchdog's
Observer over them, drops what is no edit of the site (editors' swap, backup and lock
files, anything hidden, sitegen's own output/, its twin and .sitegen-cache/, where the dev
server builds) and gathers
the rest in a `ChangeQueue`, which hands out one `ChangeSet` once the files have been quiet
for a moment. `Rebuilder` runs `build()` for each change set: build() itself knows which
pages changed, so a change set only says whether to rebuild and whether to read
sitegen.toml again. `watch_site` is the loop; it tells `BuildListener`s what it does and
never prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from sitegen.config import CONFIG_NAME, BuildOptions, ConfigErrors, SiteConfig, load_config
from sitegen.diagnostics import BuildFailed, Diagnostic, Level, Reporter
from sitegen.errors import SitegenError
from sitegen.inputs import WatchPlan, plan_watch
from sitegen.loading import Progress
from sitegen.output import swap_folder
from sitegen.session import BuildSession
from sitegen.state import BuildResult

QUIET_SECONDS = 0.02
"""A change set is handed out once no event has come for this long..."""
LONGEST_WAIT_SECONDS = 1.0
"""...or this long after its first event, however busy the files are."""
SAVE_WHEN_IDLE_SECONDS = 2.0
"""Builds kept in memory are written to the cache once no file has changed for this long."""
CHANGED_FILES_LIMIT = 500
"""Past this many changed output files a build is said to have changed everything."""

WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
"""Events that may be an edit. Opening and reading (the build reads every file) are not."""


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Paths that changed (made, edited, moved from or to, deleted) since the last build."""

    paths: frozenset[Path]
    config_file: Path | None = None
    """The site's sitegen.toml, to tell whether it changed."""

    @property
    def config_changed(self) -> bool:
        """Whether sitegen.toml is among the changes."""
        return self.config_file is not None and self.config_file in self.paths

    def describe(self, root: Path, limit: int = 3) -> str:
        """The changed paths, relative to the site, for a one-line message."""
        names = sorted(p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)
                       for p in self.paths)  # fmt: skip
        shown = ", ".join(names[:limit])
        return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class ChangeQueue:
    """Paths gathered from the observer's thread, handed out once they have been quiet."""

    def __init__(self, quiet: float = QUIET_SECONDS, longest: float = LONGEST_WAIT_SECONDS) -> None:
        self.quiet = quiet
        self.longest = longest
        self._condition = threading.Condition()
        self._paths: set[Path] = set()
        self._first = 0.0
        self._last = 0.0

    def add(self, paths: Iterable[Path]) -> None:
        """Record changed paths (from any thread)."""
        with self._condition:
            now = time.monotonic()
            if not self._paths:
                self._first = now
            self._paths.update(paths)
            self._last = now
            self._condition.notify_all()

    def has_changes(self) -> bool:
        """Whether changed paths wait to be handed out."""
        with self._condition:
            return bool(self._paths)

    def wait(self, timeout: float | None = None) -> frozenset[Path] | None:
        """The changed paths, once quiet; None if nothing changed within `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while not self._paths:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._condition.wait(left)
            while True:
                now = time.monotonic()
                left = min(self._last + self.quiet, self._first + self.longest) - now
                if left <= 0:
                    break
                self._condition.wait(left)
            paths = frozenset(self._paths)
            self._paths.clear()
            return paths


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: SiteWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [event.src_path, event.dest_path]
        self.watcher.saw(
            [Path(p if isinstance(p, str) else p.decode()) for p in paths if p],
            folder=event.is_directory,
        )


class SiteWatcher:
    """watchdog's Observer over a WatchPlan, feeding a ChangeQueue. A context manager."""

    def __init__(self, plan: WatchPlan, queue: ChangeQueue | None = None) -> None:
        self.plan = plan
        self.queue = queue or ChangeQueue()
        self._observer: BaseObserver = Observer()
        self._handler = _Handler(self)
        self._watches: dict[tuple[Path, bool], ObservedWatch] = {}
        self._roots: tuple[Path, ...] = ()
        self._stale: set[Path] = set()
        self._stale_lock = threading.Lock()
        self._sync_lock = threading.Lock()

    def saw(self, paths: Sequence[Path], *, folder: bool = False) -> None:
        """Called from the observer's thread with the paths of one event."""
        plan = self.plan
        relevant = [p for p in paths if plan.is_relevant(p)]
        if folder:
            # A watched folder made, moved or deleted (or one above it): its watch, if any,
            # follows a folder that is no longer there; sync() watches it anew. (No lock the
            # observer's thread takes here is ever held while calling the observer.)
            stale = [root for root in self._roots if any(root.is_relative_to(p) for p in paths)]
            with self._stale_lock:
                self._stale.update(stale)
        if relevant:
            self.queue.add(relevant)

    def start(self) -> SiteWatcher:
        """Start watching."""
        self.sync()
        self._observer.start()
        return self

    def stop(self) -> None:
        """Stop watching and wait for the observer's threads."""
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=5)

    def __enter__(self) -> SiteWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def retarget(self, plan: WatchPlan) -> None:
        """Watch what another configuration needs."""
        self.plan = plan
        self.sync()

    def sync(self) -> None:
        """Watch each planned folder that exists, anew where it was made again since."""
        wanted = {(self.plan.root, False)} | {(f, True) for f in self.plan.folders if f.is_dir()}
        with self._sync_lock:
            with self._stale_lock:
                stale, self._stale = self._stale, set()
            for key, watch in list(self._watches.items()):
                if key not in wanted or key[0] in stale:
                    del self._watches[key]
                    with contextlib.suppress(KeyError, OSError):
                        self._observer.unschedule(watch)
            for path, recursive in sorted(wanted - set(self._watches)):
                try:
                    watch = self._observer.schedule(
                        self._handler, str(path), recursive=recursive, event_filter=WATCHED_EVENTS
                    )
                except OSError:
                    continue  # gone again already: the next sync tries once more
                self._watches[(path, recursive)] = watch
            self._roots = tuple(path for path, recursive in self._watches if recursive)

    @property
    def watched(self) -> tuple[Path, ...]:
        """The folders watched now."""
        with self._sync_lock:
            return tuple(sorted(path for path, _ in self._watches))


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    """What one build by the watcher came to."""

    number: int
    """1 for the first build, then counting."""
    ok: bool
    diagnostics: tuple[Diagnostic, ...]
    """Errors (where not ok), warnings and notes, by file and line."""
    elapsed: float
    """Seconds from the start of the build to its end."""
    config: SiteConfig
    """The configuration built with: the last good one (or the defaults) where sitegen.toml
    is broken."""
    changes: ChangeSet | None = None
    """What set the build off; None for the first build and the search index's."""
    result: BuildResult | None = None
    changed_files: tuple[str, ...] | None = ()
    """Paths under the folder built into whose bytes this build changed, made or removed; None for
    "more than can be listed" (CHANGED_FILES_LIMIT)."""
    crash: str | None = None
    """The traceback where sitegen itself failed (a bug, not a mistake in the site)."""
    search_indexed: bool = False
    """Whether this build ran the search index."""

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that failed the build."""
        return tuple(d for d in self.diagnostics if d.level is Level.ERROR)


class Rebuilder:
    """Builds a site again and again, reading sitegen.toml again when it changed.

    `localise` may change the configuration after each reading (the dev server builds into
    a folder of its own, with base_url on its own origin); without it, builds go into
    output/ as `sitegen build`'s do. A build never raises for a mistake in the site: it
    returns a BuildOutcome saying what went wrong, and the folder built into keeps the last
    good site.
    """

    def __init__(
        self,
        root: Path,
        options: BuildOptions,
        *,
        localise: Callable[[SiteConfig], SiteConfig] | None = None,
        search_index: bool = True,
    ) -> None:
        self.root = root.resolve()
        self.options = options
        self.localise = localise or (lambda config: config)
        self.search_index = search_index
        """Whether builds run the search index; if not, `search_pending` says it is due."""
        self.config: SiteConfig | None = None
        self.search_pending = False
        self._config_broken = True
        self._count = 0
        self._session: BuildSession | None = None
        self._published: dt.datetime | None = None
        """The last publication date a build was started for."""
        self._site_output = SiteConfig(root=self.root).output_path
        """The site's own output folder, as sitegen.toml names it, whatever `localise` does."""

    def fallback_config(self) -> SiteConfig:
        """The last good configuration, or the defaults while sitegen.toml never loaded."""
        return self.config or self.localise(SiteConfig(root=self.root))

    def plan(self) -> WatchPlan:
        """What to watch for the current configuration.

        The site's output/ and its twin are never edits, even where builds go elsewhere
        (a `sitegen build` may write them meanwhile).
        """
        plan = plan_watch(self.fallback_config())
        output = self._site_output.resolve()
        extra = tuple(p for p in (output, swap_folder(output)) if p not in plan.excluded)
        return dataclasses.replace(plan, excluded=plan.excluded + extra) if extra else plan

    def _read_config(self) -> tuple[Diagnostic, ...]:
        try:
            loaded = load_config(self.root)
        except ConfigErrors as errors:
            self._config_broken = True
            return tuple(
                Diagnostic(Level.ERROR, e.message, e.location, e.hint) for e in errors.errors
            )
        except SitegenError as error:
            self._config_broken = True
            return (Diagnostic(Level.ERROR, error.message, error.location, error.hint),)
        self._config_broken = False
        self._site_output = loaded.output_path
        config = self.localise(loaded)
        if config != self.config or self._session is None:
            self.save()
            self._session = BuildSession(config, self.options)
        self.config = config
        return ()

    def publication_due(self) -> bool:
        """Whether a report dated in the future when last built is now due on the site.

        Said once for each such date, so a build for it that fails is not tried again and
        again (the next change builds it).
        """
        due = self._session.next_publication() if self._session is not None else None
        if due is None or due == self._published or self.options.current_time() < due:
            return False
        self._published = due
        return True

    def save(self, *, finished: bool = True, stop: Callable[[], bool] | None = None) -> bool:
        """Write what the builds so far learnt to the cache (its quick part when idle).

        With `stop`, writing stops as soon as it says so: False then (save again later).
        """
        if self._session is None:
            return True
        return self._session.save(finished=finished, stop=stop)

    def build(
        self,
        changes: ChangeSet | None = None,
        *,
        progress: Progress | None = None,
        search_index: bool | None = None,
    ) -> BuildOutcome:
        """Build once: read sitegen.toml first if it changed (or never loaded, or was broken)."""
        self._count += 1
        started = time.perf_counter()
        index = self.search_index if search_index is None else search_index
        problems: tuple[Diagnostic, ...] = ()
        if self.config is None or self._config_broken or changes is None or changes.config_changed:
            problems = self._read_config()
        result: BuildResult | None = None
        crash: str | None = None
        reporter = Reporter(strict=self.options.strict)
        config = self.config
        session = self._session
        if not problems and config is not None and session is not None:
            paths = None if changes is None or changes.config_changed else changes.paths
            try:
                result = session.build(reporter, paths, search_index=index, progress=progress)
            except BuildFailed:
                pass
            except SitegenError as error:
                reporter.exception(error)
            except Exception as error:  # a bug in sitegen must not stop the server either
                reporter.error(
                    f"sitegen failed: {type(error).__name__}: {error}",
                    hint="a bug in sitegen, not in your site; the traceback is in the terminal",
                )
                crash = traceback.format_exc()
        changed: tuple[str, ...] | None = ()
        if result is not None and config is not None:
            changed = result.changed
            if changed is not None and len(changed) > CHANGED_FILES_LIMIT:
                changed = None
            self.search_pending = config.search and not index
        return BuildOutcome(
            number=self._count,
            ok=result is not None,
            diagnostics=problems + reporter.diagnostics,
            elapsed=time.perf_counter() - started,
            config=config or self.fallback_config(),
            changes=changes,
            result=result,
            changed_files=changed,
            crash=crash,
            search_indexed=result is not None and config is not None and config.search and index,
        )


class BuildListener(Protocol):
    """Told what the watch loop does."""

    def building(self, changes: ChangeSet | None) -> None:
        """A build is about to start."""

    def built(self, outcome: BuildOutcome) -> None:
        """A build ended."""


def watch_site(
    rebuilder: Rebuilder,
    watcher: SiteWatcher,
    listeners: Sequence[BuildListener],
    *,
    stop: threading.Event | None = None,
    index_when_idle: float | None = None,
    poll: float = 0.25,
) -> None:
    """Rebuild on every change set until `stop` is set (or KeyboardInterrupt).

    With `index_when_idle`, a site whose search index is due (built without it) is built
    with it once no file has changed for that many seconds.
    """
    stop = stop or threading.Event()
    idle_since = time.monotonic()
    unsaved = False
    try:
        while not stop.is_set():
            paths = watcher.queue.wait(timeout=poll)
            if paths is None:
                if rebuilder.publication_due():  # a report's date came: build it onto the site
                    _run(rebuilder, watcher, listeners, ChangeSet(frozenset()))
                    unsaved = True
                    continue
                idle = time.monotonic() - idle_since
                if unsaved and idle >= SAVE_WHEN_IDLE_SECONDS:
                    # Stopped by the next edit, which is not kept waiting: saved again later.
                    unsaved = not rebuilder.save(finished=False, stop=watcher.queue.has_changes)
                if (
                    index_when_idle is not None
                    and rebuilder.search_pending
                    and idle >= index_when_idle
                ):
                    _run(rebuilder, watcher, listeners, None, search_index=True)
                continue
            changes = ChangeSet(paths, rebuilder.root / CONFIG_NAME)
            _run(rebuilder, watcher, listeners, changes)
            idle_since = time.monotonic()
            unsaved = True
    finally:
        rebuilder.save()


def _run(
    rebuilder: Rebuilder,
    watcher: SiteWatcher,
    listeners: Sequence[BuildListener],
    changes: ChangeSet | None,
    *,
    search_index: bool | None = None,
) -> None:
    watcher.sync()  # a watched folder made or made again just now
    for listener in listeners:
        listener.building(changes)
    outcome = rebuilder.build(changes, search_index=search_index)
    plan = rebuilder.plan()
    if plan != watcher.plan:
        watcher.retarget(plan)
    else:
        watcher.sync()
    for listener in listeners:
        listener.built(outcome)
