"""Sequences of edits through the dev server's Rebuilder: after any run of edits, creations,
renames and deletions, output/ is byte for byte what a cold build of the same files makes,
and while a file is broken the build says so and output/ keeps the last good site."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import lxml.html
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

from sitegen.build import build
from sitegen.cache import CACHE_DIR
from sitegen.config import CONFIG_NAME, BuildOptions, load_config
from sitegen.diagnostics import Reporter
from sitegen.watch import BuildOutcome, ChangeSet, Rebuilder, SiteWatcher, watch_site
from tests.helpers import make_site, png_bytes, report_text
from tests.test_watch import DEADLINE, Listener

THEME_TEMPLATES = Path(__file__).resolve().parent.parent / "themes" / "default" / "templates"
OPTIONS = BuildOptions(now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
"""Fixed "now", so a report dated 2025-03-01 is in the future in every build."""

SECTION = "content/reports"
NAMES = ["granary", "ferry", "market", "rail", "pact", "pact.ko", "cuts", "bridge", "memo"]
"""Report file names (without .md); `pact.ko` is the Korean version of `pact`."""
FOLDERS = ["2022", "2023", "2024", "archive"]
TITLES = [
    "Granary audit",
    "Ferry resumes",
    "Market hours cut",
    "Rail freight delays",
    "Trade pact signed",
    "무역 협정 체결",
]
DATES = [
    "2022-03-01",
    "2022-11-30",
    "2023-01-15",
    "2023-06-30",
    "2024-02-29",
    "2024-06-01",
    "2024-06-01T09:30:00+09:00",
    "2025-03-01",
]
"""Years 2022-2024, a tie, a time with an offset, and one date after OPTIONS.now."""
TAGS = ["Water", "water", "WATER", "Rail", "markets", "Power Cuts", "power  cuts"]
"""Terms that fold together ("Water"/"water", "Power Cuts"/"power  cuts") and some that do not."""
PLACES = ["Sinuiju", "Hyesan", "hyesan", "Rason"]
SOURCES = [None, "Daily NK", "daily  nk", "Yalu Weekly"]
"""Source outlets (None: no source), two of them spellings of one."""
CORRECTIONS = [
    ("2025-06-01", "An earlier version named the wrong *county*."),
    ("2025-09-30", "Figures fixed."),
]
"""Corrections, each dated after every report's date (one before it would be an error)."""
BODIES = [
    "Body text.\n",
    "Another body, with *emphasis*.\n\nSee [the timeline](/timeline/).\n",
    "A third body.\n\n- one\n- two\n",
    "A map of the area:\n\n![the area](/images/map.png)\n",
]
AUTHORS = ["A. Writer", "B. Reporter", "김 기자"]
TITLES_OF_SITE = ["Edits", "Edited digest", "다이제스트"]
PER_PAGE = [1, 2, 3]
OVERRIDES = {
    # A template of the theme, overridden from the site's templates/: what to insert where.
    "taxonomy.html": "</h1>",
    "partials/report_item.html": "</article>",  # included by report_list.html, not directly
}
STATIC = {
    "notes.txt": ["first\n", "second\n"],
    "extra/new.txt": ["new\n", "newer\n"],
    # The site's own stylesheet in place of the theme's: pages link it by its digest.
    "css/site.css": ["body { color: #111; }\n", "body { color: #222; }\n"],
}
MAP = "static/images/map.png"
MAP_SIZES = [(3, 2), (5, 4), (7, 6)]
"""A static image a body may show (its size written into the body), in three sizes."""
FIX_AFTER = st.integers(1, 4)
"""How many operations after breaking a file it is fixed."""
BREAKAGES = [
    # (what to replace in a report's text, with what): each one an error in that file.
    ("\ndate: ", "\ndate: [oops\nwas: "),
    ("\ntitle: ", "\nuntitled: "),
    ("\n---\n", "\ndraft: maybe\n---\n"),
]


EDITIONS = "content/editions"
EDITION_NAMES = ["2024-w22", "2023-w26", "2024-w22.ko"]
"""Edition file names (without .md); `2024-w22.ko` is the Korean version of `2024-w22`."""
EDITION_DATES = ["2024-06-02", "2023-07-01", "2022-03-06", "2025-03-02"]
"""The weeks of `pact` (and `pact.ko`), of `market`, of `granary`, and one after now."""
EDITION_TITLES = ["Week in review", "The digest", "주간 다이제스트"]
SLUGS = sorted({name.removesuffix(".ko") for name in NAMES} | {"nothing"})
"""What picks may name: every report's slug, and one that no report has."""


@dataclass(frozen=True)
class EditionEntry:
    """One edition as the test means it to be; `picks` None: the reports of its week."""

    title: str
    date: str
    picks: tuple[str, ...] | None = None
    draft: bool = False

    def text(self) -> str:
        fields = {"title": f'"{self.title}"', "date": self.date}
        if self.picks is not None:
            fields["picks"] = "".join(f"\n  - {slug}" for slug in self.picks) or "[]"
        if self.draft:
            fields["draft"] = "true"
        return report_text("The editor's note.\n", **fields)


INITIAL_EDITIONS = {
    "2024-w22": EditionEntry("Week in review", "2024-06-02"),
    "2024-w22.ko": EditionEntry("주간 다이제스트", "2024-06-02"),
    "2023-w26": EditionEntry("The digest", "2023-07-01", ("market",)),
}
"""Editions from the start (every report edit may reach them): the week of `pact` and of its
Korean version, gathered whole, and `market` picked."""


def moment(text: str) -> dt.datetime:
    """A date as front matter gives it, in UTC where it has no offset (the fixture's zone)."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Entry:
    """One report as the test means it to be."""

    title: str
    date: str
    tags: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    body: str = BODIES[0]
    draft: bool = False
    authors: tuple[str, ...] = ()
    source: str | None = None
    corrections: tuple[tuple[str, str], ...] = ()

    def text(self) -> str:
        fields = {"title": self.title, "date": self.date}
        fields["tags"] = "[" + ", ".join(self.tags) + "]"
        fields["places"] = "[" + ", ".join(self.places) + "]"
        if self.authors:
            fields["authors"] = "[" + ", ".join(self.authors) + "]"
        if self.source:
            fields["source"] = (
                f"{{name: {self.source}, url: 'https://example.com/{len(self.title)}'}}"
            )
        if self.corrections:
            items = (f"{{date: {day}, text: '{text}'}}" for day, text in self.corrections)
            fields["corrections"] = "[" + ", ".join(items) + "]"
        if self.draft:
            fields["draft"] = "true"
        return report_text(self.body, **fields)


INITIAL: dict[str, tuple[str, Entry]] = {
    "granary": (
        "2022",
        Entry("Granary audit", "2022-03-01", ("Water",), ("Sinuiju",), source="Daily NK"),
    ),
    "ferry": ("2022", Entry("Ferry resumes", "2022-11-30", ("Rail", "water"), ("Hyesan",))),
    "market": ("2023", Entry("Market hours cut", "2023-06-30", ("markets",), ("Rason",))),
    "rail": ("2023", Entry("Rail freight delays", "2023-01-15", ("Rail",), ("Sinuiju",))),
    "pact": ("2024", Entry("Trade pact signed", "2024-06-01", ("markets",), ("Hyesan",))),
    "pact.ko": ("2024", Entry("무역 협정 체결", "2024-06-01", ("markets",), ("Hyesan",))),
}


def config_text(title: str = TITLES_OF_SITE[0], per_page: int = 2) -> str:
    """sitegen.toml for the fixture: no search (Pagefind is slow), small pages."""
    return (
        f'title = "{title}"\nbase_url = "https://example.org/news/"\n'
        f"per_page = {per_page}\nsearch = false\n"
    )


def override_text(name: str, variant: int) -> str:
    """The theme's template with a visible mark of the variant inserted."""
    text = (THEME_TEMPLATES / name).read_text(encoding="utf-8")
    anchor = OVERRIDES[name]
    assert anchor in text, f"{anchor!r} not in the theme's {name}"
    mark = f'<p class="variant">Variant {variant}</p>\n'
    return text.replace(anchor, anchor + mark if anchor.startswith("</h") else mark + anchor, 1)


@dataclass(frozen=True)
class Snapshot:
    """A built site: every file (hidden ones too) with its bytes, and every folder."""

    files: dict[str, bytes]
    folders: frozenset[str]


def snapshot(output: Path) -> Snapshot:
    files: dict[str, bytes] = {}
    folders: set[str] = set()
    for path in sorted(output.rglob("*")):
        relative = path.relative_to(output).as_posix()
        if path.is_dir():
            folders.add(relative)
        else:
            files[relative] = path.read_bytes()
    return Snapshot(files, frozenset(folders))


def cold_build(site: Path, into: Path, options: BuildOptions = OPTIONS) -> Snapshot:
    """Build a copy of the site's sources in a fresh folder, with no cache and no output."""
    if into.exists():
        shutil.rmtree(into)
    own = shutil.ignore_patterns("output", CACHE_DIR)
    shutil.copytree(site, into, ignore=own)
    reporter = Reporter()
    build(load_config(into), options, reporter)
    assert not reporter.has_errors(), reporter.diagnostics
    return snapshot(into / "output")


def differences(actual: Snapshot, expected: Snapshot) -> str:
    """What differs between two built sites ('' where nothing does), the first file's diff."""
    lines: list[str] = []
    if only := sorted(set(actual.files) - set(expected.files)):
        lines.append(f"files only in the rebuilt site: {only}")
    if only := sorted(set(expected.files) - set(actual.files)):
        lines.append(f"files only in the cold build: {only}")
    differ = sorted(
        p for p in set(actual.files) & set(expected.files) if actual.files[p] != expected.files[p]
    )
    if differ:
        lines.append(f"files that differ: {differ}")
        first = differ[0]
        diff = difflib.unified_diff(
            expected.files[first].decode("utf-8", "replace").splitlines(),
            actual.files[first].decode("utf-8", "replace").splitlines(),
            f"cold/{first}",
            f"rebuilt/{first}",
            lineterm="",
        )
        lines += list(diff)[:80]
    if only := sorted(actual.folders - expected.folders):
        lines.append(f"folders only in the rebuilt site: {only}")
    if only := sorted(expected.folders - actual.folders):
        lines.append(f"folders only in the cold build: {only}")
    return "\n".join(lines)


def assert_same_site(actual: Snapshot, expected: Snapshot, context: str = "") -> None:
    """Fail, saying which files differ and how, unless two built sites are identical."""
    found = differences(actual, expected)
    assert not found, f"{context}\n{found}"


class EditSequences(RuleBasedStateMachine):
    """Edits a small site on disk, rebuilding after each edit or burst of them as the watch
    loop does, and compares output/ with a cold build after every build that succeeds."""

    theme_files: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Site templates written before the first build, and never changed."""

    def __init__(self) -> None:
        super().__init__()
        self._temporary = tempfile.TemporaryDirectory(prefix="edit-seq-")
        base = Path(self._temporary.name).resolve()
        self.cold = base / "cold"
        self.reports: dict[str, tuple[str, Entry]] = dict(INITIAL)
        self.broken: dict[str, str] = {}
        """Reports whose file holds broken text instead of their entry's: name -> text."""
        self.fixes: dict[str, int] = {}
        """Broken files (report names, or sitegen.toml) -> operations left until fixed."""
        self.stash: tuple[str, str, Entry, str | None] | None = None
        """The last report deleted: name, folder, entry and broken text, to restore it."""
        self.site_title, self.per_page, self.config_broken = TITLES_OF_SITE[0], 2, False
        self.editions: dict[str, EditionEntry] = dict(INITIAL_EDITIONS)
        self.overrides: dict[str, int] = {"taxonomy.html": 0}
        self.static: dict[str, str] = {"notes.txt": STATIC["notes.txt"][0]}
        files: dict[str, str | bytes] = dict(self.theme_files)
        files |= {self.report_file(n): e.text() for n, (_, e) in self.reports.items()}
        files |= {f"templates/{n}": override_text(n, v) for n, v in self.overrides.items()}
        files |= {f"static/{n}": text for n, text in self.static.items()}
        files[MAP] = png_bytes(*MAP_SIZES[0])
        files |= {f"{EDITIONS}/{n}.md": e.text() for n, e in self.editions.items()}
        self.root = make_site(base / "site", files, config_text())
        self.output = self.root / "output"
        self.rebuilder = Rebuilder(self.root, OPTIONS, search_index=False)
        self.burst = 1
        self.built_after = 0
        """How many operations the log held at the last build."""
        self.pending: set[Path] = set()
        self.log: list[str] = []
        """Every operation and build so far, to reproduce a failure by hand."""
        first = self.rebuilder.build()
        assert first.ok, first.diagnostics
        self.last_good = snapshot(self.output)

    def teardown(self) -> None:
        self._temporary.cleanup()

    # Files and what the watcher would report of them.

    def report_file(self, name: str, folder: str | None = None) -> str:
        return f"{SECTION}/{folder or self.reports[name][0]}/{name}.md"

    def touch(self, description: str, *paths: Path) -> None:
        """Record an operation and the paths it touched, make the fixes now due, and build
        once a burst is complete."""
        self.log.append(description)
        self.pending.update(paths)
        for name in self.failing_editions():  # fixed, as broken files are, a little later
            self.fixes.setdefault(f"edition:{name}", 3)
        for key, left in sorted(self.fixes.items()):
            if left > 1:
                self.fixes[key] = left - 1
                continue
            del self.fixes[key]
            if key.startswith("edition:"):
                name = key.removeprefix("edition:")
                if name not in self.failing_editions():
                    continue  # it came right by itself
                self.editions[name] = replace(self.editions[name], draft=True)
                relative = f"{EDITIONS}/{name}.md"
                fixed = tuple(self.write(relative, self.editions[name].text()))
            elif key == CONFIG_NAME:
                self.config_broken = False
                fixed = tuple(self.write(CONFIG_NAME, config_text(self.site_title, self.per_page)))
            else:
                del self.broken[key]
                fixed = tuple(self.write_report(key))
            self.log.append(f"fix {fixed[0].relative_to(self.root)}")
            self.pending.update(fixed)
        if len(self.log) - self.built_after >= self.burst:
            self.rebuild()

    def write(self, relative: str, text: str) -> list[Path]:
        """Write a file as an editor saves it: the paths the watcher would see."""
        path = self.root / relative
        touched = [path]
        touched += [folder for folder in path.parents if not folder.exists()]  # made for it
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return touched

    def write_report(self, name: str) -> list[Path]:
        folder, entry = self.reports[name]
        text = self.broken.get(name, entry.text())
        return self.write(self.report_file(name, folder), text)

    def pick_report(self, pick: int, *, healthy: bool = True) -> str:
        """One of the reports, by a number drawn for it."""
        names = sorted(n for n in self.reports if not (healthy and n in self.broken))
        return names[pick % len(names)]

    def has_reports(self) -> bool:
        return bool(self.reports)

    def has_healthy_reports(self) -> bool:
        return any(n not in self.broken for n in self.reports)

    # Edits of reports.

    @initialize(burst=st.integers(1, 3))
    def set_burst(self, burst: int) -> None:
        """How many operations come between two builds (the rebuild rule builds sooner)."""
        self.burst = burst

    def edit(self, pick: int, description: str, **changes: object) -> None:
        name = self.pick_report(pick)
        folder, entry = self.reports[name]
        self.reports[name] = (folder, replace(entry, **changes))
        self.touch(f"{description} of {self.report_file(name)}", *self.write_report(name))

    @precondition(has_healthy_reports)
    @rule(pick=st.integers(0, 99), body=st.sampled_from(BODIES))
    def edit_body(self, pick: int, body: str) -> None:
        self.edit(pick, f"body := {body!r}", body=body)

    @precondition(has_healthy_reports)
    @rule(pick=st.integers(0, 99), title=st.sampled_from(TITLES))
    def edit_title(self, pick: int, title: str) -> None:
        self.edit(pick, f"title := {title!r}", title=title)

    @precondition(has_healthy_reports)
    @rule(
        pick=st.integers(0, 99),
        tags=st.lists(st.sampled_from(TAGS), max_size=3).map(tuple),
        places=st.lists(st.sampled_from(PLACES), max_size=2).map(tuple),
    )
    def edit_terms(self, pick: int, tags: tuple[str, ...], places: tuple[str, ...]) -> None:
        self.edit(pick, f"tags := {list(tags)}, places := {list(places)}", tags=tags, places=places)

    @precondition(has_healthy_reports)
    @rule(pick=st.integers(0, 99), source=st.sampled_from(SOURCES))
    def edit_source(self, pick: int, source: str | None) -> None:
        """Change a report's source outlet: /sources/ and each outlet's pages and feed."""
        self.edit(pick, f"source := {source!r}", source=source)

    @precondition(has_healthy_reports)
    @rule(
        pick=st.integers(0, 99),
        corrections=st.lists(st.sampled_from(CORRECTIONS), max_size=2, unique=True),
    )
    def edit_corrections(self, pick: int, corrections: list[tuple[str, str]]) -> None:
        """Add or drop corrections: the notice, dates that move, and /corrections/."""
        self.edit(pick, f"corrections := {corrections}", corrections=tuple(corrections))

    @precondition(has_healthy_reports)
    @rule(pick=st.integers(0, 99), authors=st.lists(st.sampled_from(AUTHORS), max_size=2))
    def edit_authors(self, pick: int, authors: list[str]) -> None:
        self.edit(pick, f"authors := {authors}", authors=tuple(dict.fromkeys(authors)))

    @precondition(has_healthy_reports)
    @rule(pick=st.integers(0, 99), date=st.sampled_from(DATES))
    def edit_date(self, pick: int, date: str) -> None:
        self.edit(pick, f"date := {date}", date=date)

    @precondition(has_healthy_reports)
    @rule(pick=st.integers(0, 99), draft=st.booleans())
    def set_draft(self, pick: int, draft: bool) -> None:
        self.edit(pick, f"draft := {draft}", draft=draft)

    @precondition(lambda self: len(self.reports) < len(NAMES))
    @rule(
        pick=st.integers(0, 99),
        folder=st.sampled_from(FOLDERS),
        title=st.sampled_from(TITLES),
        date=st.sampled_from(DATES),
        tags=st.lists(st.sampled_from(TAGS), max_size=2).map(tuple),
    )
    def create(self, pick: int, folder: str, title: str, date: str, tags: tuple[str, ...]) -> None:
        free = [n for n in NAMES if n not in self.reports]
        name = free[pick % len(free)]
        self.reports[name] = (folder, Entry(title, date, tags, ("Rason",)))
        self.touch(f"create {self.report_file(name)}", *self.write_report(name))

    @precondition(has_reports)
    @rule(pick=st.integers(0, 99))
    def delete(self, pick: int) -> None:
        name = self.pick_report(pick, healthy=False)
        path = self.root / self.report_file(name)
        path.unlink()
        folder, entry = self.reports.pop(name)
        self.stash = (name, folder, entry, self.broken.pop(name, None))
        self.fixes.pop(name, None)
        self.touch(f"delete {self.report_file(name, folder)}", path)

    @precondition(lambda self: self.stash is not None and self.stash[0] not in self.reports)
    @rule()
    def restore(self) -> None:
        """Bring the last deleted report back, byte for byte as it was."""
        assert self.stash is not None
        name, folder, entry, broken = self.stash
        self.reports[name] = (folder, entry)
        if broken is not None:
            self.broken[name] = broken
            self.fixes[name] = 3
        self.touch(f"restore {self.report_file(name)}", *self.write_report(name))

    @precondition(has_reports)
    @rule(pick=st.integers(0, 99), new=st.integers(0, 99), folder=st.sampled_from(FOLDERS))
    def rename(self, pick: int, new: int, folder: str) -> None:
        """Rename a report's file (its URL changes) or move it to another folder (it does not)."""
        name = self.pick_report(pick, healthy=False)
        free = [n for n in NAMES if n not in self.reports or n == name]
        target = free[new % len(free)]
        old_path = self.root / self.report_file(name)
        new_path = self.root / SECTION / folder / f"{target}.md"
        if new_path == old_path:
            return
        touched = [old_path, new_path]
        if not new_path.parent.exists():
            new_path.parent.mkdir(parents=True)
            touched.append(new_path.parent)
        os.rename(old_path, new_path)
        _, entry = self.reports.pop(name)
        self.reports[target] = (folder, entry)
        if name in self.broken:
            self.broken[target] = self.broken.pop(name)
            self.fixes[target] = self.fixes.pop(name)
        self.touch(
            f"rename {old_path.relative_to(self.root)} -> {new_path.relative_to(self.root)}",
            *touched,
        )

    def folders_on_disk(self) -> list[str]:
        section = self.root / SECTION
        return sorted(p.name for p in section.iterdir() if p.is_dir())

    @precondition(lambda self: self.folders_on_disk())
    @rule(pick=st.integers(0, 99), new_name=st.sampled_from(FOLDERS))
    def rename_folder(self, pick: int, new_name: str) -> None:
        """Rename a whole year's folder: no URL changes."""
        folders = self.folders_on_disk()
        source = folders[pick % len(folders)]
        if new_name in folders:
            return
        moved = [n for n, (f, _) in self.reports.items() if f == source]
        old, new = self.root / SECTION / source, self.root / SECTION / new_name
        touched = [old, new]
        touched += [old / f"{n}.md" for n in moved] + [new / f"{n}.md" for n in moved]
        os.rename(old, new)
        for name in moved:
            self.reports[name] = (new_name, self.reports[name][1])
        self.touch(f"rename folder {source} -> {new_name}", *touched)

    @precondition(lambda self: self.folders_on_disk())
    @rule(pick=st.integers(0, 99))
    def delete_folder(self, pick: int) -> None:
        """Delete a whole year's folder and the reports in it."""
        folders = self.folders_on_disk()
        folder = self.root / SECTION / folders[pick % len(folders)]
        touched = [folder, *folder.rglob("*")]
        shutil.rmtree(folder)
        for name in [n for n, (f, _) in self.reports.items() if f == folder.name]:
            del self.reports[name]
            self.broken.pop(name, None)
            self.fixes.pop(name, None)
        self.touch(f"delete folder {folder.relative_to(self.root)}", *touched)

    # Editions of the digest.

    @rule(
        name=st.sampled_from(EDITION_NAMES),
        delete=st.sampled_from([False, False, False, True]),
        title=st.sampled_from(EDITION_TITLES),
        date=st.sampled_from(EDITION_DATES),
        picks=st.one_of(st.none(), st.lists(st.integers(0, 99), max_size=3).map(tuple)),
        stray=st.sampled_from([False, False, False, True]),
        draft=st.sampled_from([False, False, True]),
    )
    def edit_edition(
        self, name: str, delete: bool, title: str, date: str,
        picks: tuple[int, ...] | None, stray: bool, draft: bool,
    ) -> None:  # fmt: skip
        """Write, change or delete an edition: its week's reports, or picks among the
        reports of its language (drafts, broken and future ones too), and now and then one
        that names no report."""
        relative = f"{EDITIONS}/{name}.md"
        if delete:
            if self.editions.pop(name, None) is not None:
                self.fixes.pop(f"edition:{name}", None)
                (self.root / relative).unlink()
                self.touch(f"delete {relative}", self.root / relative)
            return
        chosen: tuple[str, ...] | None = None
        if picks is not None:
            suffix = ".ko" if name.endswith(".ko") else ""
            slugs = sorted(
                n.removesuffix(suffix) for n in self.reports if n.endswith(".ko") == bool(suffix)
            )
            named = [slugs[i % len(slugs)] for i in picks] if slugs else []
            chosen = tuple(dict.fromkeys(named + (["nothing"] if stray else [])))
        edition = EditionEntry(title, date, chosen, draft)
        self.editions[name] = edition
        self.touch(f"{relative} := {edition}", *self.write(relative, edition.text()))

    def edition_errors(self) -> set[Path]:
        """The edition files that must fail the build."""
        return {Path(f"{EDITIONS}/{name}.md") for name in self.failing_editions()}

    def failing_editions(self) -> set[str]:
        """The editions that must fail the build: a pick names no published report (a draft,
        a broken file, none), or the edition gathers none."""
        now = OPTIONS.current_time()
        failing: set[str] = set()
        for name, edition in self.editions.items():
            if edition.draft or moment(edition.date) > now:
                continue  # not published: not checked
            lang = "ko" if name.endswith(".ko") else "en"
            published: dict[str, dt.datetime] = {}
            future: set[str] = set()
            for report, (_, entry) in self.reports.items():
                if report in self.broken or ("ko" if report.endswith(".ko") else "en") != lang:
                    continue
                slug, date = report.removesuffix(".ko"), moment(entry.date)
                if not entry.draft and date > now:
                    future.add(slug)
                elif not entry.draft:
                    published[slug] = date
            if edition.picks is None:
                day = moment(edition.date).date()
                start = dt.datetime.combine(
                    day - dt.timedelta(days=day.weekday()), dt.time(), tzinfo=dt.UTC
                )
                end = start + dt.timedelta(days=7)
                gathered = [slug for slug, date in published.items() if start <= date < end]
            else:
                if any(slug not in published and slug not in future for slug in edition.picks):
                    failing.add(name)
                gathered = [slug for slug in edition.picks if slug in published]
            if not gathered:
                failing.add(name)
        return failing

    # Mistakes, and their fixes.

    @precondition(has_healthy_reports)
    @rule(pick=st.integers(0, 99), how=st.sampled_from(BREAKAGES), fix_after=FIX_AFTER)
    def break_report(self, pick: int, how: tuple[str, str], fix_after: int) -> None:
        """Save a report with an error in it, to be fixed `fix_after` operations later."""
        name = self.pick_report(pick)
        text = self.reports[name][1].text()
        assert how[0] in text
        self.broken[name] = text.replace(how[0], how[1], 1)
        self.fixes[name] = fix_after + 1
        self.touch(f"break {self.report_file(name)} ({how[1].strip()!r})", *self.write_report(name))

    @precondition(lambda self: not self.config_broken)
    @rule(fix_after=FIX_AFTER)
    def break_config(self, fix_after: int) -> None:
        """Save sitegen.toml with an error in it, to be fixed `fix_after` operations later."""
        self.config_broken = True
        self.fixes[CONFIG_NAME] = fix_after + 1
        text = config_text(self.site_title, self.per_page) + "per_page = [\n"
        self.touch("break sitegen.toml", *self.write(CONFIG_NAME, text))

    # The site around the reports.

    @rule(title=st.sampled_from(TITLES_OF_SITE), per_page=st.sampled_from(PER_PAGE))
    def edit_config(self, title: str, per_page: int) -> None:
        """Change the site's title and page size (also fixing sitegen.toml if broken)."""
        self.site_title, self.per_page, self.config_broken = title, per_page, False
        self.fixes.pop(CONFIG_NAME, None)
        text = config_text(title, per_page)
        self.touch(
            f"sitegen.toml: title := {title!r}, per_page := {per_page}",
            *self.write(CONFIG_NAME, text),
        )

    @rule(name=st.sampled_from(sorted(OVERRIDES)), variant=st.sampled_from([None, 0, 1]))
    def edit_override(self, name: str, variant: int | None) -> None:
        """Write, change or delete a site template that overrides the theme's."""
        relative = f"templates/{name}"
        if variant is None:
            if name not in self.overrides:
                return
            del self.overrides[name]
            (self.root / relative).unlink()
            self.touch(f"delete {relative}", self.root / relative)
            return
        self.overrides[name] = variant
        self.touch(
            f"{relative} := variant {variant}", *self.write(relative, override_text(name, variant))
        )

    @rule(name=st.sampled_from(sorted(STATIC)), variant=st.sampled_from([None, 0, 1]))
    def edit_static(self, name: str, variant: int | None) -> None:
        """Write, change or delete a static file."""
        relative = f"static/{name}"
        if variant is None:
            if name not in self.static:
                return
            del self.static[name]
            (self.root / relative).unlink()
            self.touch(f"delete {relative}", self.root / relative)
            return
        self.static[name] = STATIC[name][variant]
        self.touch(
            f"{relative} := {STATIC[name][variant]!r}", *self.write(relative, STATIC[name][variant])
        )

    @rule(size=st.sampled_from(MAP_SIZES))
    def edit_map(self, size: tuple[int, int]) -> None:
        """Replace the static image a body may show with one of another (or the same) size."""
        path = self.root / MAP
        path.write_bytes(png_bytes(*size))
        self.touch(f"{MAP} := {size[0]}x{size[1]} PNG", path)

    # Builds.

    @precondition(lambda self: self.pending)
    @rule()
    def rebuild(self) -> None:
        """Build with what changed since the last build, as the watch loop does."""
        changes = ChangeSet(frozenset(self.pending), self.root / CONFIG_NAME)
        self.pending = set()
        outcome = self.rebuilder.build(changes)
        self.log.append(f"build -> {'ok' if outcome.ok else 'errors'}")
        self.built_after = len(self.log)
        history = "operations so far:\n  " + "\n  ".join(self.log)
        # A broken report stops the build before editions are placed on the site.
        broken = {Path(self.report_file(n)) for n in self.broken} or self.edition_errors()
        if self.config_broken or broken:
            self.check_failed(
                outcome, {Path(CONFIG_NAME)} if self.config_broken else broken, history
            )
            return
        assert outcome.ok, f"{history}\nunexpected errors: {[str(d) for d in outcome.errors]}"
        after = snapshot(self.output)
        assert_same_site(after, cold_build(self.root, self.cold), history)
        self.check_changed_files(outcome, after, history)
        self.last_good = after

    def check_failed(self, outcome: BuildOutcome, where: set[Path], history: str) -> None:
        """A broken file fails the build, naming that file, and output/ is left as it was."""
        assert not outcome.ok, f"{history}\nthe build succeeded with broken files: {where}"
        named = {d.location.path if d.location else None for d in outcome.errors}
        assert named == where, f"{history}\nerrors: {[str(d) for d in outcome.errors]}"
        assert_same_site(
            snapshot(self.output), self.last_good, f"{history}\noutput/ changed in a failed build"
        )

    def check_changed_files(self, outcome: BuildOutcome, after: Snapshot, history: str) -> None:
        """The files the build says it changed (for the browser to reload) are the ones it did."""
        if outcome.changed_files is None:
            return
        before = self.last_good.files
        changed = {p for p in set(before) | set(after.files) if before.get(p) != after.files.get(p)}
        assert set(outcome.changed_files) == changed, history


def sequence_settings(steps: int) -> settings:
    """How many random sequences of edits and builds to run, and of how many steps."""
    return settings(
        # SITEGEN_EDIT_EXAMPLES=100 runs more sequences, when changing the incremental builds.
        max_examples=int(os.environ.get("SITEGEN_EDIT_EXAMPLES", "10")),
        stateful_step_count=steps,
        deadline=None,
        # No shrinking, as in test_properties: it can take minutes over builds. The failing
        # run prints its steps, and the assertion message lists every operation and build.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )


TestEditSequences = EditSequences.TestCase
TestEditSequences.settings = sequence_settings(25)


# A page kind of a theme's own, from a template alone: reports by author. No code of
# sitegen's knows it, yet random edits keep it as a cold build makes it.

AUTHORS_TEMPLATE = """{% extends "base.html" %}
{% block title %}Reports by author · {{ site.title }}{% endblock %}
{% block content %}
<h1>Reports by author</h1>
{% set names = [] %}
{% for report in reports %}{% for name in report.authors %}
{% if name not in names %}{% set _ = names.append(name) %}{% endif %}
{% endfor %}{% endfor %}
{% for name in names | sort %}
<section><h2>{{ name }}</h2><ul>
{% for report in reports if name in report.authors %}
<li><a href="{{ report.url | link }}">{{ report.title }}</a></li>
{% endfor %}
</ul></section>
{% endfor %}
{% endblock %}
"""


class ThemePageEditSequences(EditSequences):
    """The edit sequences, on a site whose templates add /authors/ (pages/authors.html)."""

    theme_files = (("templates/pages/authors.html", AUTHORS_TEMPLATE),)

    def rebuild(self) -> None:
        super().rebuild()
        if self.broken or self.config_broken or self.edition_errors():
            return  # the build failed, as it had to
        # The page is there, and lists whom the published English reports name.
        page = lxml.html.fromstring((self.output / "authors" / "index.html").read_bytes())
        published = [
            entry
            for name, (_, entry) in self.reports.items()
            if not name.endswith(".ko") and not entry.draft and entry.date < "2025"
        ]
        expected = sorted({author for entry in published for author in entry.authors})
        assert page.xpath("//main//h2/text()") == expected, "\n".join(self.log)
        for section in page.xpath("//main//section"):
            (author,) = section.xpath("h2/text()")
            titles = sorted(section.xpath(".//li/a/text()"))
            assert titles == sorted(e.title for e in published if author in e.authors)


TestThemePageEditSequences = ThemePageEditSequences.TestCase
TestThemePageEditSequences.settings = settings(TestEditSequences.settings, max_examples=20)


# A sequence the state machine found, kept as a test of its own.
#
# A feed with no entries gets the site's newest change as its `updated` (over the reports
# of every language): when the default language has no reports, redating or deleting a
# report in another language must make the English /feed.xml anew.


def test_an_empty_feed_follows_the_other_language_s_reports(tmp_path: Path) -> None:
    report = "content/reports/pact.ko.md"
    site = make_site(
        tmp_path / "site",
        {report: Entry("무역 협정 체결", "2024-06-01").text()},
        config_text(),
    ).resolve()
    rebuilder = Rebuilder(site, OPTIONS, search_index=False)
    assert rebuilder.build().ok
    for date in ("2023-01-15", None):
        if date is None:
            (site / report).unlink()
        else:
            (site / report).write_text(Entry("무역 협정 체결", date).text(), encoding="utf-8")
        outcome = rebuilder.build(ChangeSet(frozenset({site / report}), site / CONFIG_NAME))
        assert outcome.ok, [str(d) for d in outcome.diagnostics]
        assert_same_site(
            snapshot(site / "output"),
            cold_build(site, tmp_path / "cold"),
            f"after {'deleting' if date is None else 'redating'} {report}",
        )


def test_a_body_showing_the_static_map_follows_the_map_s_size() -> None:
    """The machine's own steps, each built at once: the static map changed while no body
    shows it (copied alone), a body made to show it, the map changed again (the body holds
    its size, so its report's page is made again)."""
    machine = EditSequences()
    try:
        machine.set_burst(1)
        machine.edit_map(MAP_SIZES[1])
        machine.edit_body(0, BODIES[3])
        machine.edit_map(MAP_SIZES[2])
        assert len(machine.log) == 6, machine.log  # three operations, each built
    finally:
        machine.teardown()


# The same through watchdog's real observer and the watch loop on a thread.


class SettlingListener(Listener):
    """A Listener that can wait for the builds to settle after a round of edits."""

    def __init__(self) -> None:
        super().__init__()
        self.started = 0
        self.last_end = time.monotonic()

    def building(self, changes: ChangeSet | None) -> None:
        with self.condition:
            self.started += 1

    def built(self, outcome: BuildOutcome) -> None:
        with self.condition:
            self.last_end = time.monotonic()
        super().built(outcome)

    def settle(self, after: int, last: Path, quiet: float = 0.5) -> list[BuildOutcome]:
        """The outcomes past the first `after`, once one of them was set off by a change of
        `last` (the round's last edit: the watcher reports events in order) and no build
        has run for `quiet` seconds since."""
        deadline = time.monotonic() + DEADLINE
        while True:
            with self.condition:
                new = self.outcomes[after:]
                seen = any(o.changes is not None and last in o.changes.paths for o in new)
                idle = self.started == len(self.outcomes)
                if seen and idle and time.monotonic() - self.last_end >= quiet:
                    return new
            assert time.monotonic() < deadline, f"{last} never built: {self.outcomes}"
            time.sleep(0.05)


def test_edits_seen_by_the_real_watcher_end_in_a_cold_build_s_output(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"{SECTION}/{folder}/{name}.md": entry.text() for name, (folder, entry) in INITIAL.items()
    }
    files["templates/taxonomy.html"] = override_text("taxonomy.html", 0)
    files["static/notes.txt"] = STATIC["notes.txt"][0]
    site = make_site(tmp_path / "site", files, config_text()).resolve()
    rebuilder = Rebuilder(site, OPTIONS, search_index=False)
    assert rebuilder.build().ok
    listener = SettlingListener()
    stop = threading.Event()
    reports = site / SECTION
    granary = replace(INITIAL["granary"][1], body=BODIES[1]).text()
    memo = Entry("Memo leaked", "2024-12-01", ("WATER",)).text()
    pact = replace(INITIAL["pact"][1], date="2023-06-30", tags=("Power Cuts",)).text()
    template = override_text("taxonomy.html", 1)
    config = config_text("Edited digest", per_page=1)

    def save(path: Path, text: str) -> None:
        """Save as many editors do: write a hidden temporary file, then rename it over."""
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)

    apart, together = 0.4, 0.01
    """Seconds after an edit: well past the watcher's quiet time, or well within it."""
    rounds: list[tuple[list[tuple[Callable[[], object], float]], Path]] = [
        (
            [
                (lambda: save(reports / "2022/granary.md", granary), apart),
                (lambda: (reports / "2025").mkdir(), together),
                (lambda: (reports / "2025/memo.md").write_text(memo, encoding="utf-8"), apart),
                (lambda: (reports / "2022/ferry.md").unlink(), 0),  # alone, and last
            ],
            reports / "2022/ferry.md",
        ),
        (
            [
                (lambda: os.rename(reports / "2023/market.md", reports / "2024/cuts.md"), apart),
                (lambda: save(reports / "2024/pact.md", pact), together),
                (lambda: save(site / "templates/taxonomy.html", template), apart),
                (lambda: save(site / CONFIG_NAME, config), 0),
            ],
            site / CONFIG_NAME,
        ),
    ]
    """Two rounds of edits (each edit, the pause after it), each with its last edit's path,
    followed by a wait for the builds to settle and a check."""
    outcomes: list[BuildOutcome] = []
    with SiteWatcher(rebuilder.plan()) as watcher:
        loop = threading.Thread(
            target=watch_site,
            args=(rebuilder, watcher, [listener]),
            kwargs={"stop": stop, "poll": 0.05},
        )
        loop.start()
        try:
            for number, (edits, last) in enumerate(rounds, 1):
                for edit, pause in edits:
                    edit()
                    time.sleep(pause)
                outcomes += listener.settle(after=len(outcomes), last=last)
                assert all(o.ok for o in outcomes), [str(d) for o in outcomes for d in o.errors]
                assert_same_site(
                    snapshot(site / "output"),
                    cold_build(site, tmp_path / "cold"),
                    f"after round {number} of edits",
                )
        finally:
            stop.set()
            loop.join()
    assert outcomes[-1].config.title == "Edited digest"
