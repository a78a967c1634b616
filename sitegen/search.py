"""Full-text search: the index of the report pages, made by Pagefind in shards.

Reports mark what is indexed (`data-pagefind-body`, `-meta`, `-filter`). The index is one
Pagefind bundle per language and run of years under `pagefind/`, each made again only when
one of its pages changed and kept in the cache under the digest of its pages; the search
page merges its language's bundles into one search. Its files go to output/ with the rest
of the build's, so readers never see pages without their index. The dev server's site is
indexed apart, in the background, by `SearchIndexer`.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sitegen.cache import CACHE_DIR
from sitegen.config import SiteConfig
from sitegen.errors import SitegenError
from sitegen.model import Report, Site
from sitegen.output import OutputFile, content_digest, write_file
from sitegen.pagefind_bundle import sort_bundle
from sitegen.urls import output_file

BUNDLE_FOLDER = "pagefind"
"""Where Pagefind writes its index and UI, under the site's root."""
UI_FILES = ("pagefind/pagefind-ui.js", "pagefind/pagefind-ui.css")
"""The files the search page loads, for link checks made before Pagefind has run."""
TIMEOUT = 600
"""Seconds Pagefind may take before the build gives up."""
SEARCH_DELAY_SECONDS = 0.5
"""The dev server's index starts this long after a build, unless another build starts first."""
INSTALL_HINT = "install it with pip install 'pagefind[bin]', or set search = false in sitegen.toml"


class SearchError(SitegenError):
    """The search index cannot be made."""


def find_pagefind() -> Path:
    """The Pagefind binary: $PAGEFIND_BINARY_PATH, the `pagefind[bin]` package's, or on PATH."""
    found: Path | None = None
    try:
        from pagefind.service import get_executable

        found = get_executable()
    except (ImportError, OSError):
        found = None
    if found is None:
        on_path = shutil.which("pagefind_extended") or shutil.which("pagefind")
        found = Path(on_path) if on_path else None
    if found is None or not found.is_file() or not os.access(found, os.X_OK):
        where = (
            f" (PAGEFIND_BINARY_PATH is {os.environ['PAGEFIND_BINARY_PATH']!r})"
            if os.environ.get("PAGEFIND_BINARY_PATH")
            else ""
        )
        raise SearchError(
            f"search is on, but the Pagefind binary was not found{where}", hint=INSTALL_HINT
        )
    return found


# The index is made in shards: one Pagefind bundle per language and run of years of
# publication (SHARD_PAGES), under pagefind/<lang>/<year>/ or pagefind/<lang>/<first>-<last>/,
# or, for a year of many reports (YEAR_PAGES), one per quarter, under
# pagefind/<lang>/<year>-q<n>/. The search page searches its language's shards as one
# (Pagefind's mergeIndex). A shard is made again only when one of its pages changed, and each
# shard made is kept in the cache under the digest of its pages, so a build that finds the
# cache (a CI build with no output/, say) reuses it.

UI_NAMES = ("pagefind-ui.js", "pagefind-ui.css")
"""The search UI's files, served once at pagefind/ rather than in every shard."""
_LEFT_OUT = (
    "pagefind-ui.",
    "pagefind-modular-ui.",
    "pagefind-component-ui.",
    "pagefind-highlight.",
)
"""Files Pagefind writes into every bundle that the site does not load from a shard."""
_LISTING = "files.txt"
"""In a shard's cache folder, written last: each file's path and digest, a line each."""
_MIRRORED = ".pages.txt"
"""In the folder of a shard's pages: each page's path and digest, a line each."""


SHARD_PAGES = 300
"""A shard gathers a language's years, oldest first, until it holds this many pages: a
small shard is quick to make again after an edit, and few shards are quick to make."""
YEAR_PAGES = 600
"""A year holding more reports than this is a shard per quarter: shards stay small enough
for two to be made at once (PAGES_AT_ONCE), and a year's shards stay as they are while
reports are added to its last quarter."""


def _year_groups(years: Mapping[int, int]) -> list[list[int]]:
    """Consecutive years (with their report counts) gathered into shards, oldest first.

    Oldest first, so that reports added to the newest year change only the last shard. A
    year of more than YEAR_PAGES reports stands alone (its quarters are its shards).
    """
    groups: list[list[int]] = []
    pages = 0
    for year in sorted(years):
        if not groups or pages >= SHARD_PAGES or years[year] > YEAR_PAGES:
            groups.append([])
            pages = 0
        groups[-1].append(year)
        pages += years[year]
    return groups


def _quarter(report: Report) -> tuple[str, int, int]:
    return report.lang, report.date.year, (report.date.month - 1) // 3 + 1


def _shard_names(reports: Iterable[Report]) -> dict[tuple[str, int, int], str]:
    """The name of the shard of each language, year and quarter these reports fall in."""
    quarters = Counter(map(_quarter, reports))
    counts: dict[str, dict[int, int]] = {}
    for (lang, year, _), count in quarters.items():
        years = counts.setdefault(lang, {})
        years[year] = years.get(year, 0) + count
    names: dict[tuple[str, int], str] = {}
    for lang, years in counts.items():
        for group in _year_groups(years):
            first, last = group[0], group[-1]
            name = f"{lang}/{first:04d}" if first == last else f"{lang}/{first:04d}-{last:04d}"
            names.update(((lang, year), name) for year in group)
    return {
        (lang, year, quarter): f"{names[lang, year]}-q{quarter}"
        if counts[lang][year] > YEAR_PAGES
        else names[lang, year]
        for lang, year, quarter in quarters
    }


def bundle_url(shard: str) -> str:
    """A shard's bundle's site path: `/pagefind/en/2024/`, `/pagefind/en/2019-2024/`..."""
    return f"/{BUNDLE_FOLDER}/{shard}/"


@dataclass(frozen=True, slots=True)
class SearchShard:
    """One shard of the index as made: the digest of its pages, and its files."""

    key: str
    """The digest of the pages it indexes (and the Pagefind that indexed them)."""
    files: tuple[tuple[str, str], ...]
    """Each file's path in the bundle and the digest of its bytes, in path order."""

    def paths(self, name: str) -> list[str]:
        """Its files' paths under output/, where it is the shard `name`."""
        return [f"{BUNDLE_FOLDER}/{name}/{path}" for path, _ in self.files]


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """The site's search index: its shards by name, and the search UI's files."""

    shards: Mapping[str, SearchShard]
    ui: tuple[tuple[str, str], ...]
    """The UI's files (paths under pagefind/) and digests."""

    def output_files(
        self, cache: ShardCache, changed_since: SearchIndex | None = None
    ) -> dict[str, OutputFile]:
        """The files of the index, by their paths under output/, copied from the cache.

        With `changed_since`, only those of the shards that differ from it (the UI's files
        and the other shards' are as they were).
        """
        files: dict[str, OutputFile] = {}
        for name, shard in self.shards.items():
            if changed_since is not None and changed_since.shards.get(name) == shard:
                continue
            folder = cache.folder / shard.key
            for path, digest in shard.files:
                target = f"{BUNDLE_FOLDER}/{name}/{path}"
                files[target] = OutputFile(target, None, folder / path, digest, cached=True)
        if self.shards and (changed_since is None or changed_since.ui != self.ui):
            first = cache.folder / next(iter(self.shards.values())).key
            for path, digest in self.ui:
                target = f"{BUNDLE_FOLDER}/{path}"
                files[target] = OutputFile(target, None, first / path, digest, cached=True)
        return files


class ShardCache:
    """Shards made by Pagefind, kept under the digest of their pages in `folder`."""

    def __init__(
        self,
        folder: Path,
        binary: Path,
        *,
        nice: bool = False,
        started: Callable[[subprocess.Popen[bytes]], bool] | None = None,
    ) -> None:
        """Shards in `folder`, made by Pagefind at `binary`.

        With `nice`, Pagefind runs at the lowest priority; `started` is told of each
        Pagefind process as it starts, and may stop it (returning False).
        """
        self.folder = folder
        self.binary = binary
        self.nice = nice
        self.started = started
        self._version: str | None = None

    def version(self) -> str:
        """What Pagefind says its version is (part of every shard's key)."""
        if self._version is None:
            try:
                said = subprocess.run(
                    [str(self.binary), "--version"], capture_output=True, text=True,
                    timeout=60, check=False,
                )  # fmt: skip
            except (OSError, subprocess.SubprocessError) as error:
                raise SearchError(f"Pagefind could not run: {error}", hint=INSTALL_HINT) from None
            self._version = said.stdout.strip() or str(self.binary)
        return self._version

    def key(self, name: str, pages: Sequence[tuple[str, str]]) -> str:
        """The key of a shard of these pages (paths and digests of their bytes)."""
        hasher = hashlib.blake2b(b"pagefind shard 1", digest_size=16)
        hasher.update(f"{self.version()}\0{name}\0".encode())
        for path, digest in pages:
            hasher.update(f"{path}\0{digest}\0".encode())
        return hasher.hexdigest()

    def shard(
        self,
        name: str,
        pages: Sequence[tuple[str, str]],
        read: Callable[[str], bytes],
        locate: Callable[[str], Path | None] | None = None,
    ) -> SearchShard:
        """The shard of these pages: from the cache, or made by Pagefind now.

        `read` gives a page's bytes by its path under output/; `locate`, where it has
        them, the file on disk that holds them (linked rather than written again).
        """
        key = self.key(name, pages)
        folder = self.folder / key
        listing = folder / _LISTING
        if not listing.is_file():
            self._make(name, folder, pages, read, locate)
        files = tuple(
            (path, digest)
            for path, _, digest in (
                line.partition("\t") for line in listing.read_text("utf-8").splitlines()
            )
        )
        return SearchShard(key, files)

    def ui(self, shard: SearchShard) -> tuple[tuple[str, str], ...]:
        """The search UI's files, as Pagefind wrote them into a shard."""
        folder = self.folder / shard.key
        return tuple((name, content_digest((folder / name).read_bytes())) for name in UI_NAMES)

    def _make(
        self,
        name: str,
        folder: Path,
        pages: Sequence[tuple[str, str]],
        read: Callable[[str], bytes],
        locate: Callable[[str], Path | None] | None,
    ) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        site = self._mirror(name, pages, read, locate)
        with tempfile.TemporaryDirectory(dir=self.folder, prefix=".making-") as work:
            bundle = Path(work, "bundle")
            index_folder(site, bundle, self.binary, nice=self.nice, started=self.started)
            sort_bundle(bundle)
            lines = []
            for file in sorted(bundle.rglob("*")):
                relative = file.relative_to(bundle).as_posix()
                if file.is_file():
                    digest = content_digest(file.read_bytes())
                    lines.append(f"{relative}\t{digest}\n")
            kept = [line for line in lines if not line.startswith(_LEFT_OUT)]
            (bundle / _LISTING).write_text("".join(kept), "utf-8")
            try:
                os.rename(bundle, folder)
            except OSError:
                if not (folder / _LISTING).is_file():  # not made meanwhile by another build
                    raise

    def _mirror(
        self,
        name: str,
        pages: Sequence[tuple[str, str]],
        read: Callable[[str], bytes],
        locate: Callable[[str], Path | None] | None,
    ) -> Path:
        """A folder holding exactly the shard's pages, for Pagefind to index.

        Kept between builds beside the cache: only the pages that changed since are written
        again. Its record is removed while it changes, so a build stopped then leaves no
        record, and the next one starts the folder again.
        """
        site = self.folder.with_name(self.folder.name + "-pages") / name
        record = site / _MIRRORED
        before: dict[str, str] = {}
        if record.is_file():
            before = dict(line.split("\t", 1) for line in record.read_text("utf-8").splitlines())
            record.unlink()
        elif site.exists():
            shutil.rmtree(site)
        wanted = dict(pages)
        for path in before.keys() - wanted.keys():
            (site / path).unlink(missing_ok=True)
        for path, digest in pages:
            if before.get(path) != digest:
                source = locate(path) if locate is not None else None
                if source is None or not _linked(source, site / path):
                    write_file(site, path, read(path))
        site.mkdir(parents=True, exist_ok=True)
        record.write_text("".join(f"{path}\t{digest}\n" for path, digest in pages), "utf-8")
        return site

    def keep_only(self, keys: Iterable[str]) -> None:
        """Remove the shards of the cache but these."""
        wanted = set(keys)
        if not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            if entry.name not in wanted and not entry.name.startswith(".making-"):
                shutil.rmtree(entry, ignore_errors=True)


def _linked(source: Path, target: Path) -> bool:
    """Whether `target` is now a hard link to `source` (else nothing is at `target`)."""
    target.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def search_shards(site: Site, lang: str) -> list[str]:
    """The names of a language's shards, newest first."""
    names = _shard_names(report for report in site.reports.values() if report.lang == lang)
    return sorted(set(names.values()), reverse=True)


def shards_of(reports: Iterable[Report]) -> dict[str, list[str]]:
    """Each shard's report pages (paths under output/), in path order, by shard name."""
    reports = list(reports)
    names = _shard_names(reports)
    shards: dict[str, list[str]] = {}
    for report in reports:
        shards.setdefault(names[_quarter(report)], []).append(output_file(report.url))
    return {name: sorted(pages) for name, pages in sorted(shards.items())}


PAGES_AT_ONCE = 1200
"""Pagefind runs on every core while the shards it indexes at once hold at most this many
pages in all: its memory grows with the pages (about 0.3 MB each), so a site's big shards
are made one at a time."""


def _make_shards(
    cache: ShardCache,
    shards: Mapping[str, Sequence[tuple[str, str]]],
    read: Callable[[str], bytes],
    locate: Callable[[str], Path | None] | None,
) -> dict[str, SearchShard]:
    """These shards, made (or found in the cache) on every core, within PAGES_AT_ONCE."""
    if len(shards) < 2:
        return {name: cache.shard(name, pages, read, locate) for name, pages in shards.items()}
    free = PAGES_AT_ONCE
    room = threading.Condition()

    def make(name: str, pages: Sequence[tuple[str, str]]) -> SearchShard:
        nonlocal free
        need = min(len(pages), PAGES_AT_ONCE)
        with room:
            room.wait_for(lambda: free >= need)
            free -= need
        try:
            return cache.shard(name, pages, read, locate)
        finally:
            with room:
                free += need
                room.notify_all()

    workers = min(len(shards), os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers, "sitegen-search") as pool:
        futures = {name: pool.submit(make, name, pages) for name, pages in shards.items()}
        return {name: future.result() for name, future in futures.items()}


def update_index(
    before: SearchIndex | None,
    reports: Iterable[Report],
    cache: ShardCache,
    digest_of: Callable[[str], str],
    read: Callable[[str], bytes],
    locate: Callable[[str], Path | None] | None = None,
) -> SearchIndex:
    """The index of these reports' pages.

    Of `before`, the shards whose pages are the same are kept; the others are made (or
    found in the cache). `digest_of` gives a page's digest, `read` its bytes and `locate`
    the file that holds them, where one does.
    """
    shards: dict[str, SearchShard] = {}
    to_make: dict[str, list[tuple[str, str]]] = {}
    for name, paths in shards_of(reports).items():
        pages = [(path, digest_of(path)) for path in paths]
        known = before.shards.get(name) if before is not None else None
        if known is not None and known.key == cache.key(name, pages):
            shards[name] = known
        else:
            to_make[name] = pages
    made = _make_shards(cache, to_make, read, locate)
    shards = {name: shards.get(name) or made[name] for name in sorted(shards.keys() | made.keys())}
    ui = before.ui if before is not None and before.ui else ()
    if not ui and shards:
        ui = cache.ui(next(iter(shards.values())))
    return SearchIndex(shards, ui)


def index_folder(
    site: Path,
    bundle: Path,
    binary: Path,
    *,
    nice: bool = False,
    started: Callable[[subprocess.Popen[bytes]], bool] | None = None,
) -> None:
    """Run Pagefind over the pages in `site`; its bundle goes to `bundle`.

    `started` is told of the process as it starts, and may stop it (returning False).
    """
    command = [str(binary), "--site", str(site), "--output-path", str(bundle), "--silent"]
    runner = shutil.which("nice") if nice else None
    if runner is not None:
        command = [runner, "-n", "19", *command]
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own session: a Ctrl-C in the terminal stops sitegen, which stops Pagefind
            # itself, rather than Pagefind failing with the signal.
            start_new_session=True,
        )
    except OSError as error:
        raise SearchError(f"Pagefind could not run: {error}", hint=INSTALL_HINT) from None
    with process:
        if started is not None and not started(process):
            process.kill()
        try:
            said, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise SearchError(f"Pagefind took over {TIMEOUT} s", hint=INSTALL_HINT) from None
    if process.returncode != 0:
        text = " ".join(said.decode(errors="replace").split())[-500:]
        raise SearchError(
            f"Pagefind failed (exit {process.returncode}): {text or 'no message'}",
            hint="set search = false in sitegen.toml to build without search",
        )


def shard_cache(config: SiteConfig, folder: Path | None = None) -> ShardCache | None:
    """The cache of shards for a site with search (None when search is off).

    Finds Pagefind now, so a missing binary fails the build before any work is done.
    """
    if not config.search:
        return None
    return ShardCache(folder or config.root / CACHE_DIR / "search", find_pagefind())


@dataclass(frozen=True, slots=True)
class ServedIndex:
    """A search index the dev server serves at `<base path>pagefind/`, from the cache."""

    shards: Mapping[str, Path]
    """Each shard's folder, by name."""
    keys: frozenset[str]
    """The cache keys of its shards."""

    def locate(self, parts: Sequence[str]) -> tuple[Path, list[str]] | None:
        """The folder and the rest of the path of a file under pagefind/ (`parts` split)."""
        if len(parts) == 1 and parts[0] in UI_NAMES and self.shards:
            return next(iter(self.shards.values())), list(parts)
        folder = self.shards.get("/".join(parts[:2]))
        if folder is None:
            return None
        return folder, list(parts[2:])


class SearchIndexer:
    """The dev server's search index, made in the background from its built site.

    Started after each good build, stopped (Pagefind killed) when the next build starts,
    so the search index never holds up a page. Only the shards whose pages changed are
    made again; the newest finished index is `current`.
    """

    def __init__(
        self,
        folder: Path,
        *,
        delay: float = SEARCH_DELAY_SECONDS,
        on_done: Callable[[float, str | None], None] | None = None,
    ) -> None:
        self.folder = folder
        """Where the shards are made and kept; emptied now."""
        self.delay = delay
        self.on_done = on_done
        self.current: ServedIndex | None = None
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._told_missing = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, site: Path, shards: Mapping[str, Sequence[tuple[str, str]]]) -> None:
        """Index the built site at `site` (after a short delay), stopping any index running.

        `shards` are each shard's pages: paths under `site` and the digests of their bytes.
        """
        self.cancel()
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(site, dict(shards), self._cancel), daemon=True,
            name="sitegen-search-index",
        )  # fmt: skip
        self._thread.start()

    def cancel(self, *, wait: bool = True) -> None:
        """Stop the index being made, if one is: its process is killed.

        With `wait`, return once its thread has ended (and the process is reaped).
        """
        self._cancel.set()
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        if wait and self._thread is not None:
            self._thread.join()
            self._thread = None

    def _started(self, cancelled: threading.Event) -> Callable[[subprocess.Popen[bytes]], bool]:
        def started(process: subprocess.Popen[bytes]) -> bool:
            with self._lock:
                if cancelled.is_set():
                    process.kill()
                    return False
                self._process = process
                return True

        return started

    def _run(
        self,
        site: Path,
        shards: Mapping[str, Sequence[tuple[str, str]]],
        cancelled: threading.Event,
    ) -> None:
        if cancelled.wait(self.delay):
            return
        try:
            binary = find_pagefind()
        except SearchError as error:
            if not self._told_missing and self.on_done is not None:
                self._told_missing = True
                self.on_done(0.0, str(error))
            return
        started = time.perf_counter()
        # At the lowest priority, so that an editor's next save is built at once even while
        # the index is still being made on every core.
        cache = ShardCache(self.folder, binary, nice=True, started=self._started(cancelled))
        folders: dict[str, Path] = {}
        try:
            for name, pages in shards.items():
                if cancelled.is_set():
                    return
                shard = cache.shard(
                    name, pages, lambda path: (site / path).read_bytes(), lambda path: site / path
                )
                folders[name] = self.folder / shard.key
        except (SearchError, OSError) as error:
            if not cancelled.is_set() and self.on_done is not None:
                self.on_done(0.0, str(error))
            return
        finally:
            with self._lock:
                self._process = None
        if cancelled.is_set():
            return
        index = ServedIndex(folders, frozenset(folder.name for folder in folders.values()))
        with self._lock:
            previous, self.current = self.current, index
        # The index before is kept while tabs may still load from it.
        cache.keep_only(index.keys | (previous.keys if previous is not None else frozenset()))
        if self.on_done is not None:
            self.on_done(time.perf_counter() - started, None)

    def close(self) -> None:
        """Stop and forget the index."""
        self.cancel()
