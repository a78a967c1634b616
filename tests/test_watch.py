"""sitegen.watch: real files, watchdog's real observer, every kind of edit an editor makes."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sitegen.config import BuildOptions, load_config
from sitegen.diagnostics import Level
from sitegen.inputs import is_editor_file, plan_watch
from sitegen.watch import BuildOutcome, ChangeQueue, ChangeSet, Rebuilder, SiteWatcher, watch_site
from tests.helpers import build, make_site, report_text

DEADLINE = 15.0
"""Seconds any awaited event may take; a healthy run takes a few milliseconds."""
CONFIG = 'title = "Watched"\nsearch = false\n'
REPORT = "content/reports/2024/a.md"
A = report_text(title="First title", date="2024-03-01", tags="[markets]")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site", {REPORT: A, "static/style.css": "body {}\n"}, CONFIG)


class Seen:
    """Every change set a watcher hands out, gathered on a thread of its own."""

    def __init__(self, watcher: SiteWatcher) -> None:
        self.watcher = watcher
        self.paths: set[Path] = set()
        self.sets: list[frozenset[Path]] = []
        self._condition = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._gather, daemon=True)
        self._thread.start()

    def _gather(self) -> None:
        while not self._stop.is_set():
            paths = self.watcher.queue.wait(timeout=0.05)
            if paths:
                with self._condition:
                    self.sets.append(paths)
                    self.paths |= paths
                    self._condition.notify_all()

    def wait_for(self, *paths: Path) -> set[Path]:
        """Wait until every path has been seen; return all seen so far."""
        deadline = time.monotonic() + DEADLINE
        with self._condition:
            while not set(paths) <= self.paths:
                left = deadline - time.monotonic()
                assert left > 0, f"not seen in {DEADLINE} s: {set(paths) - self.paths}"
                self._condition.wait(left)
            return set(self.paths)

    def clear(self) -> None:
        with self._condition:
            self.paths.clear()
            self.sets.clear()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def watched(site: Path) -> Iterator[tuple[Path, SiteWatcher, Seen]]:
    watcher = SiteWatcher(plan_watch(load_config(site))).start()
    seen = Seen(watcher)
    try:
        yield site.resolve(), watcher, seen
    finally:
        seen.stop()
        watcher.stop()


def sentinel(root: Path, seen: Seen, name: str = "sentinel.md") -> set[Path]:
    """Make one real edit after others and wait for it: events arrive in order per folder."""
    path = root / "content" / "reports" / "2024" / name
    path.write_text(A, encoding="utf-8")
    return seen.wait_for(path)


def test_editor_files_are_recognised() -> None:
    for name in (".a.md.swp", ".a.md.swx", "a.md~", ".#a.md", "#a.md#", "4913", "a.md.tmp",
                 "a.md___jb_tmp___", ".hidden"):  # fmt: skip
        assert is_editor_file(name), name
    for name in ("a.md", "a.ko.md", "photo.jpg", "style.css", "4914.md"):
        assert not is_editor_file(name), name


def test_an_edit_is_seen(watched: tuple[Path, SiteWatcher, Seen]) -> None:
    root, _, seen = watched
    report = root / REPORT
    report.write_text(A.replace("First title", "Second title"), encoding="utf-8")
    assert report in seen.wait_for(report)


def test_an_atomic_save_is_seen_as_the_file_and_its_temporary_is_not(
    watched: tuple[Path, SiteWatcher, Seen],
) -> None:
    root, _, seen = watched
    report = root / REPORT
    for temporary in (report.with_name(".a.md.tmp1234"), report.with_name("a.md.tmp")):
        seen.clear()
        temporary.write_text(A.replace("First", "Saved"), encoding="utf-8")
        os.replace(temporary, report)
        paths = seen.wait_for(report)
        assert temporary not in paths


def test_swap_backup_and_lock_files_are_ignored(watched: tuple[Path, SiteWatcher, Seen]) -> None:
    root, _, seen = watched
    folder = root / REPORT
    litter = [folder.with_name(n) for n in (".a.md.swp", "a.md~", ".#a.md", "4913", "#a.md#")]
    for path in litter:
        path.write_text("x", encoding="utf-8")
    for path in litter:
        path.unlink()
    paths = sentinel(root, seen)
    assert not set(litter) & paths
    assert all(not set(litter) & s for s in seen.sets)


def test_vim_style_save_by_renaming_the_original_away(
    watched: tuple[Path, SiteWatcher, Seen],
) -> None:
    root, _, seen = watched
    report = root / REPORT
    backup = report.with_name("a.md~")
    os.rename(report, backup)
    report.write_text(A.replace("First", "Vim"), encoding="utf-8")
    backup.unlink()
    assert backup not in seen.wait_for(report)


def test_a_folder_made_with_a_report_in_it_is_seen(
    watched: tuple[Path, SiteWatcher, Seen],
) -> None:
    root, _, seen = watched
    folder = root / "content" / "reports" / "2025"
    folder.mkdir()
    (folder / "b.md").write_text(A, encoding="utf-8")
    seen.wait_for(folder, folder / "b.md")


def test_a_folder_moved_in_from_outside_is_seen(
    watched: tuple[Path, SiteWatcher, Seen], tmp_path: Path
) -> None:
    root, _, seen = watched
    outside = tmp_path / "drafts"
    outside.mkdir()
    (outside / "c.md").write_text(A, encoding="utf-8")
    target = root / "content" / "reports" / "drafts"
    os.rename(outside, target)
    seen.wait_for(target)


def test_a_folder_renamed_and_deleted_is_seen(watched: tuple[Path, SiteWatcher, Seen]) -> None:
    root, _, seen = watched
    old = root / "content" / "reports" / "2024"
    new = root / "content" / "reports" / "archive"
    os.rename(old, new)
    seen.wait_for(old, new)
    seen.clear()
    shutil.rmtree(new)
    seen.wait_for(new)


def test_a_file_deleted_and_restored_is_seen_both_times(
    watched: tuple[Path, SiteWatcher, Seen],
) -> None:
    root, _, seen = watched
    report = root / REPORT
    text = report.read_text(encoding="utf-8")
    report.unlink()
    seen.wait_for(report)
    seen.clear()
    report.write_text(text, encoding="utf-8")
    seen.wait_for(report)


def test_sitegen_s_own_writes_are_not_edits(watched: tuple[Path, SiteWatcher, Seen]) -> None:
    root, _, seen = watched
    build(root)
    build(root)  # the second build swaps output/ with its twin
    assert (root / "output" / "index.html").is_file()
    paths = sentinel(root, seen)
    assert paths == {root / "content" / "reports" / "2024" / "sentinel.md"}


def test_sitegen_toml_is_seen_and_other_files_at_the_root_are_not(
    watched: tuple[Path, SiteWatcher, Seen],
) -> None:
    root, _, seen = watched
    (root / "notes.txt").write_text("not the site's", encoding="utf-8")
    (root / "sitegen.toml").write_text(CONFIG + 'description = "x"\n', encoding="utf-8")
    paths = seen.wait_for(root / "sitegen.toml")
    assert root / "notes.txt" not in paths
    assert ChangeSet(frozenset(paths), root / "sitegen.toml").config_changed


def test_a_watched_folder_made_later_is_watched(watched: tuple[Path, SiteWatcher, Seen]) -> None:
    root, watcher, seen = watched
    data = root / "data"
    assert data not in watcher.watched
    data.mkdir()
    seen.wait_for(data)
    watcher.sync()
    assert data in watcher.watched
    (data / "terms.toml").write_text("", encoding="utf-8")
    seen.wait_for(data / "terms.toml")


def test_a_watched_folder_deleted_and_made_again_is_watched_again(
    watched: tuple[Path, SiteWatcher, Seen],
) -> None:
    root, watcher, seen = watched
    static = root / "static"
    shutil.rmtree(static)
    seen.wait_for(static)
    static.mkdir()
    seen.clear()
    watcher.sync()
    (static / "new.css").write_text("p {}\n", encoding="utf-8")
    seen.wait_for(static / "new.css")


def test_the_theme_in_use_is_watched(tmp_path: Path) -> None:
    site = make_site(
        tmp_path / "site",
        {REPORT: A, "themes/mine/theme.toml": 'extends = "default"\n',
         "themes/mine/templates/.keep": ""},
        CONFIG + 'theme = "mine"\n',
    )  # fmt: skip
    plan = plan_watch(load_config(site))
    assert (site / "themes" / "mine").resolve() in plan.folders
    assert any(f.name == "default" for f in plan.folders)
    with SiteWatcher(plan) as watcher:
        seen = Seen(watcher)
        try:
            template = site.resolve() / "themes" / "mine" / "templates" / "report.html"
            template.write_text("{% extends 'base.html' %}", encoding="utf-8")
            seen.wait_for(template)
        finally:
            seen.stop()


def test_changes_close_together_come_as_one_set() -> None:
    queue = ChangeQueue(quiet=0.2, longest=5.0)
    paths = [Path(f"/site/content/{n}.md") for n in range(5)]

    def write() -> None:
        for path in paths:
            queue.add([path])
            time.sleep(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    got = queue.wait(timeout=DEADLINE)
    writer.join()
    assert got == frozenset(paths)
    assert queue.wait(timeout=0) is None


def test_the_queue_says_whether_changes_wait_to_be_handed_out() -> None:
    queue = ChangeQueue(quiet=0.0)
    assert not queue.has_changes()
    queue.add([Path("/site/content/a.md")])
    assert queue.has_changes()
    assert queue.wait(timeout=DEADLINE) == {Path("/site/content/a.md")}
    assert not queue.has_changes()


def test_busy_files_still_give_a_set_within_the_longest_wait() -> None:
    queue = ChangeQueue(quiet=0.2, longest=0.3)
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            queue.add([Path("/site/content/busy.md")])
            time.sleep(0.02)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        started = time.monotonic()
        assert queue.wait(timeout=DEADLINE) == {Path("/site/content/busy.md")}
        assert time.monotonic() - started < DEADLINE
    finally:
        stop.set()
        writer.join()


# The rebuilder: build() again and again; a mistake never raises, output/ keeps the last good site.


def test_a_broken_report_fails_the_build_and_keeps_the_last_good_site(site: Path) -> None:
    rebuilder = Rebuilder(site, BuildOptions())
    first = rebuilder.build()
    assert first.ok, first.diagnostics
    page = site / "output" / "reports" / "a" / "index.html"
    good = page.read_bytes()
    (site / REPORT).write_text(A.replace("date: 2024-03-01", "date: [oops"), encoding="utf-8")
    broken = rebuilder.build(ChangeSet(frozenset({site / REPORT})))
    assert not broken.ok
    (error,) = broken.errors
    assert error.location is not None
    assert error.location.path.as_posix() == REPORT
    assert error.location.line == 3
    assert page.read_bytes() == good
    (site / REPORT).write_text(A.replace("First title", "Fixed title"), encoding="utf-8")
    fixed = rebuilder.build(ChangeSet(frozenset({site / REPORT})))
    assert fixed.ok
    assert "Fixed title" in page.read_text(encoding="utf-8")
    assert fixed.changed_files is not None and "reports/a/index.html" in fixed.changed_files


def test_an_edit_changes_only_the_files_it_touches(site: Path) -> None:
    rebuilder = Rebuilder(site, BuildOptions())
    assert rebuilder.build().ok
    same = rebuilder.build(ChangeSet(frozenset()))
    assert same.ok and same.changed_files == ()
    (site / REPORT).write_text(A.replace("Body text.", "Other text."), encoding="utf-8")
    edited = rebuilder.build(ChangeSet(frozenset({site / REPORT})))
    assert edited.changed_files is not None
    assert "reports/a/index.html" in edited.changed_files
    assert "style.css" not in edited.changed_files


def test_a_broken_config_is_an_error_until_fixed_and_a_change_rebuilds_everything(
    site: Path,
) -> None:
    rebuilder = Rebuilder(site, BuildOptions())
    assert rebuilder.build().ok
    toml = site / "sitegen.toml"
    toml.write_text(CONFIG + "per_page = [\n", encoding="utf-8")
    broken = rebuilder.build(ChangeSet(frozenset({toml}), toml))
    assert not broken.ok
    assert broken.errors[0].location is not None
    assert broken.errors[0].location.path.as_posix() == "sitegen.toml"
    # An edit elsewhere while sitegen.toml is still broken is still an error.
    (site / REPORT).write_text(A.replace("First", "Other"), encoding="utf-8")
    assert not rebuilder.build(ChangeSet(frozenset({site / REPORT}), toml)).ok
    toml.write_text(CONFIG.replace("Watched", "Renamed site"), encoding="utf-8")
    fixed = rebuilder.build(ChangeSet(frozenset({toml}), toml))
    assert fixed.ok
    assert fixed.config is not None and fixed.config.title == "Renamed site"
    assert "Renamed site" in (site / "output" / "index.html").read_text(encoding="utf-8")
    assert fixed.changed_files is None or "reports/a/index.html" in fixed.changed_files


def test_an_unknown_setting_names_its_line(site: Path) -> None:
    (site / "sitegen.toml").write_text(CONFIG + "titel = 'x'\n", encoding="utf-8")
    outcome = Rebuilder(site, BuildOptions()).build()
    assert not outcome.ok
    assert [str(d.location) for d in outcome.errors] == ["sitegen.toml:3"]
    assert outcome.errors[0].level is Level.ERROR


class Listener:
    def __init__(self) -> None:
        self.outcomes: list[BuildOutcome] = []
        self.condition = threading.Condition()

    def building(self, changes: ChangeSet | None) -> None:
        pass

    def built(self, outcome: BuildOutcome) -> None:
        with self.condition:
            self.outcomes.append(outcome)
            self.condition.notify_all()

    def wait_for(self, predicate: Callable[[BuildOutcome], bool]) -> BuildOutcome:
        deadline = time.monotonic() + DEADLINE
        with self.condition:
            while True:
                for outcome in self.outcomes:
                    if predicate(outcome):
                        return outcome
                left = deadline - time.monotonic()
                assert left > 0, [o.ok for o in self.outcomes]
                self.condition.wait(left)


def test_the_loop_rebuilds_on_a_save_and_reads_a_new_config(site: Path) -> None:
    rebuilder = Rebuilder(site, BuildOptions())
    assert rebuilder.build().ok
    listener = Listener()
    stop = threading.Event()
    with SiteWatcher(rebuilder.plan()) as watcher:
        loop = threading.Thread(
            target=watch_site, args=(rebuilder, watcher, [listener]),
            kwargs={"stop": stop, "poll": 0.05},
        )  # fmt: skip
        loop.start()
        try:
            report = site / REPORT
            temporary = report.with_name(".a.md.new")
            temporary.write_text(A.replace("First title", "Saved title"), encoding="utf-8")
            os.replace(temporary, report)
            outcome = listener.wait_for(lambda o: o.ok and bool(o.changed_files))
            assert outcome.changes is not None and report.resolve() in outcome.changes.paths
            page = site / "output" / "reports" / "a" / "index.html"
            assert "Saved title" in page.read_text(encoding="utf-8")
            (site / "sitegen.toml").write_text(CONFIG.replace("Watched", "Retitled"), "utf-8")
            listener.wait_for(lambda o: o.config is not None and o.config.title == "Retitled")
        finally:
            stop.set()
            loop.join()


def test_the_loop_makes_the_search_index_once_idle(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {REPORT: A}, 'title = "Searchable"\n')
    rebuilder = Rebuilder(site, BuildOptions(), search_index=False)
    assert rebuilder.build().ok
    assert rebuilder.search_pending
    assert not (site / "output" / "pagefind").exists()
    listener = Listener()
    stop = threading.Event()
    with SiteWatcher(rebuilder.plan()) as watcher:
        loop = threading.Thread(
            target=watch_site, args=(rebuilder, watcher, [listener]),
            kwargs={"stop": stop, "poll": 0.05, "index_when_idle": 0.1},
        )  # fmt: skip
        loop.start()
        try:
            outcome = listener.wait_for(lambda o: o.search_indexed)
            assert outcome.ok
            assert (site / "output" / "pagefind" / "pagefind-ui.js").is_file()
        finally:
            stop.set()
            loop.join()
