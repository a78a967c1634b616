"""Where a build's files go: output/ through a new SiteWriter, or the last build's tree."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import jinja2

from sitegen.cache import (
    OutputMemo,
    PageMemo,
    load_output_memo,
    output_books,
    save_output_memo,
)
from sitegen.config import SiteConfig
from sitegen.output import (
    ManifestEntry,
    OutputFile,
    SiteWriter,
    TreeState,
    content_digest,
    swap_in_changes,
    twin_stamp,
)
from sitegen.pages import (
    PlannedPage,
    WrittenPage,
    page_environment,
)
from sitegen.search import ShardCache, shard_cache
from sitegen.state import (
    BuildRequest,
    BuildState,
)
from sitegen.theme import (
    TemplateDigests,
    Theme,
    fingerprint_assets,
    load_theme,
)


class PageStore:
    """Copies of the pages and feeds a build made, named by the digest of their bytes.

    Kept in output/'s folder of the cache (hard links where they can be), so that a build
    that finds the cache but no output/ (a CI run, which restores the cache and not the
    site) takes the files whose inputs are unchanged from here instead of making them. A
    partial build keeps here too the files it replaces, so that `changes_back_to` can
    put back what the saved build made.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._checked: concurrent.futures.Future[dict[str, bool]] | None = None

    def _path(self, digest: str) -> Path:
        return self.folder / digest[:2] / digest

    def check_ahead(self, digests: Iterable[str]) -> None:
        """Start checking the copies of these digests, on a thread of its own.

        A build that finds no output/ looks up a copy of every page, once it has
        fingerprinted them all; reading the copies meanwhile takes that off its path.
        """
        wanted = sorted(set(digests))
        pool = concurrent.futures.ThreadPoolExecutor(1, "sitegen-store")
        self._checked = pool.submit(lambda: {d: self._holds(d) for d in wanted})
        pool.shutdown(wait=False)

    def _holds(self, digest: str) -> bool:
        """Whether the copy of the file with these bytes is whole (a changed one is removed)."""
        path = self._path(digest)
        try:
            with path.open("rb") as file:
                if content_digest(file.read()) == digest:
                    return True
        except OSError:
            return False
        path.unlink(missing_ok=True)  # changed since (through a link, say)
        return False

    def find(self, digest: str) -> Path | None:
        """The copy of the file with these bytes, if the store holds it whole."""
        checked = self._checked.result().get(digest) if self._checked is not None else None
        if checked is None:
            checked = self._holds(digest)
        return self._path(digest) if checked else None

    def keep(self, output: Path, files: Mapping[str, str]) -> None:
        """Hold a copy of each of these files of output/ (path: digest) not held yet."""
        for path, digest in files.items():
            self.keep_file(output / path, digest)

    def keep_file(self, source: Path, digest: str) -> None:
        """Hold a copy of this file, whose bytes have this digest, if none is held yet."""
        target = self._path(digest)
        if os.path.lexists(target):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except FileExistsError:
            return
        except OSError:
            try:  # on another mount
                shutil.copyfile(source, target)
            except OSError:
                return  # gone meanwhile: only a later build is slower

    def keep_only(self, digests: Iterable[str]) -> None:
        """Remove the copies but those of these digests."""
        wanted = set(digests)
        if not self.folder.is_dir():
            return
        for part in self.folder.iterdir():
            for entry in part.iterdir() if part.is_dir() else ():
                if entry.name not in wanted:
                    entry.unlink(missing_ok=True)


class Destination:
    """Where a build's files go, and what is there already; it collects the build's files.

    A full build writes output/ through a SiteWriter, given every file of the site (those
    output/ already holds by digest alone); a partial one swaps the changes to the files the
    last build made into the tree it left (None: a file removed).
    """

    def __init__(
        self,
        request: BuildRequest,
        previous: BuildState | None,
        writer: SiteWriter | None,
        before: PageMemo,
        theme: Theme | None,
    ) -> None:
        """A destination for a build of `request`, after `previous` (None: a full build)."""
        self.previous = previous
        self.writer = writer
        self.before = before
        """What each file was made from, and its bytes' digest, before this build."""
        self.memo: PageMemo = {} if previous is None else dict(previous.output.memo)
        """The same after this build."""
        self.behind: Mapping[str, OutputFile | None] = (
            {} if previous is None else previous.output.behind
        )
        """Where output/ differs from what the last build's state says: what puts it right."""
        self.made: Mapping[str, ManifestEntry] = (
            {} if previous is None else _made_after(previous.output.tree.made, self.behind)
        )
        """What the last build's state says output/ holds."""
        self.files: dict[str, OutputFile | None] = {}
        """Every file of the site (a full build), or the changes to the last build's."""
        self.twin: Path | None = None
        """Where workers write the pages they render, in a full build that writes."""
        self.theme = theme
        self.assets = None if theme is None else fingerprint_assets(theme, request.config)
        """The theme's files named by digest (a full build; a partial one keeps the last's)."""
        self.compiled = request.use_cache and request.write
        self.store = (
            PageStore(output_books(request.config, request.output).folder / "pages")
            if request.use_cache and request.write
            else None
        )
        """Copies of the files made, for a build that finds no output/ (None: not kept)."""
        self.kept: set[str] = set()
        """The files a copy of which the store holds since `keep_copies`."""
        self.folder = request.output if request.write else None
        self.search: ShardCache | None = (
            shard_cache(request.config) if request.write and request.search_index else None
        )
        """Where the search index's shards are made and kept (None: no index)."""
        if writer is not None and self.store is not None and not request.output.exists():
            self.store.check_ahead(digest for _, digest in before.values())  # as in CI

    @classmethod
    def open(cls, request: BuildRequest, previous: BuildState | None) -> Destination:
        """Read what the output folder holds (a full build), or take the last build's tree."""
        if previous is not None:
            return cls(request, previous, None, previous.output.memo, None)
        memo = OutputMemo({}, {})
        writer = None
        if request.write:  # into a folder build() found fit
            if request.use_cache:
                memo = load_output_memo(request.config, request.output)
            books = output_books(request.config, request.output)
            writer = SiteWriter(
                books, memo.folders or None, memo.foreign, keep_tree=request.keep_state
            )
        return cls(request, None, writer, memo.pages, load_theme(request.config))

    @property
    def complete(self) -> bool:
        """Whether the build lists every file of the site (else only what changed)."""
        return self.previous is None

    def holds(self, path: str, digest: str) -> bool:
        """Whether the file with these bytes is already there, to be kept."""
        if self.writer is not None:
            return self.writer.holds(path, digest)
        entry = self.made.get(path)
        return entry is not None and entry.digest == digest

    def unchanged(self, path: str, inputs: str | None) -> bool:
        """Whether the file was made from these inputs and is there as made: then kept."""
        known = self.before.get(path)
        if inputs is None or known is None or known[0] != inputs:
            return False
        if self.holds(path, known[1]):
            self.memo[path] = known
            if self.complete:
                self.files[path] = OutputFile(path, digest=known[1])
            return True
        copy = self.store.find(known[1]) if self.store is not None and self.complete else None
        if copy is None:
            return False
        self.memo[path] = known
        self.files[path] = OutputFile(path, copy_from=copy, digest=known[1], cached=True)
        return True

    def add(self, path: str, content: bytes, inputs: str | None) -> None:
        """A file made in this build, from inputs with that digest (None: not known)."""
        written = content_digest(content)
        if inputs is not None:
            self.memo[path] = (inputs, written)
        else:
            self.memo.pop(path, None)
        entry = self.made.get(path)
        if self.complete or entry is None or entry.digest != written:
            self.files[path] = OutputFile(path, content, digest=written)
        else:
            self.files.pop(path, None)

    def add_written(self, path: str, page: WrittenPage, inputs: str | None) -> None:
        """A page a worker rendered and wrote into the twin itself."""
        assert self.writer is not None
        self.writer.record_written(path, page.digest, page.size)
        self.files[path] = OutputFile(path, digest=page.digest)
        if inputs is not None:
            self.memo[path] = (inputs, page.digest)

    def add_file(self, file: OutputFile) -> None:
        """A file copied or made outside the pages (static files, images)."""
        if self.complete:
            self.files[file.path] = file
            return
        entry = self.made.get(file.path)
        digest = file.content_digest()  # read once: the write compares it again
        if entry is None or entry.digest != digest:
            self.files[file.path] = dataclasses.replace(file, digest=digest)
        else:
            self.files.pop(file.path, None)

    def replace_files(self, before: Iterable[str], after: Iterable[OutputFile]) -> None:
        """A report's files: the paths they took, and the files now; the gone are removed."""
        gone = set(before)
        for file in after:
            gone.discard(file.path)
            self.add_file(file)
        for path in gone:
            self.files.setdefault(path, None)

    def remove(self, path: str) -> None:
        """A file the last build made that this one does not."""
        self.files[path] = None
        self.memo.pop(path, None)

    def paths(self) -> set[str]:
        """The paths of the site's files, as far as they are known."""
        if self.complete:
            return set(self.files)
        gone = {path for path, file in self.files.items() if file is None}
        return (self.made.keys() | self.files.keys()) - gone

    def file_count(self) -> int:
        """How many files the site has."""
        return len(self.paths())

    def digest_of(self, path: str) -> str:
        """The digest of a file of the site, as this build leaves it."""
        file = self.files.get(path)
        if file is not None:
            return file.content_digest()
        return self.made[path].digest

    def read(self, path: str) -> bytes:
        """The bytes of a file of the site, as this build leaves it."""
        file = self.files.get(path)
        if file is not None and file.content is not None:
            return file.content
        where = self.on_disk(path)
        assert where is not None
        return where.read_bytes()

    def on_disk(self, path: str) -> Path | None:
        """The file on disk with the bytes this build gives a file of the site.

        None where they are only in memory so far.
        """
        file = self.files.get(path)
        if file is not None and file.content is not None:
            return None
        if file is not None and file.copy_from is not None:
            return file.copy_from
        writer = self.writer
        if writer is None:  # a partial build: the file is in output/ as the last build left it
            assert self.previous is not None
            put_back = self.behind.get(path)
            if put_back is not None and put_back.copy_from is not None:
                return put_back.copy_from
            return self.previous.output.tree.output / path
        if path not in writer.written and writer.is_current(path, self.digest_of(path)):
            return writer.output / path
        return writer.back / path  # written or kept in the twin

    def keep_copies(self) -> None:
        """Hold in the store a copy of each page a full build wrote so far (hard links).

        Done while the search index is made; the write then keeps only the rest.
        """
        if self.store is None or self.writer is None:
            return
        for path, (_, digest) in self.memo.items():
            source = self.on_disk(path)
            if source is not None:
                self.store.keep_file(source, digest)
                self.kept.add(path)

    def page_environment(self, config: SiteConfig) -> tuple[jinja2.Environment, TemplateDigests]:
        """The Jinja environment of a build, and the digests of its page templates."""
        theme = self.theme if self.theme is not None else load_theme(config)
        assets = self.assets if self.assets is not None else fingerprint_assets(theme, config)
        return page_environment(config, theme, assets, compiled=self.compiled)

    def twin_for_pages(self) -> Path | None:
        """The twin, readied for workers to write pages into (a full build that writes)."""
        if self.writer is not None and self.twin is None:
            self.twin = self.writer.prepare()
        return self.twin

    def write(
        self, request: BuildRequest, planned: Sequence[PlannedPage]
    ) -> tuple[TreeState | None, tuple[str, ...] | None] | None:
        """Write the build's files; None where output/ is not as the last build left it.

        Returns the tree output/ and its twin hold now, and the paths whose bytes changed
        (None: not known). Where it returns None nothing was written.
        """
        if self.previous is not None:
            tree = self.previous.output.tree
            changes = {
                path: file
                for path, file in {**self.behind, **self.files}.items()
                if not _holds(tree.made, path, file)
            }
            if self.store is not None:  # what the swap replaces, for `changes_back_to`
                for path in changes:
                    entry = tree.made.get(path)
                    if entry is not None:
                        self.store.keep_file(tree.output / path, entry.digest)
            if changes:
                swapped = swap_in_changes(tree, changes)
                if swapped is None:
                    return None
                tree = swapped
            if self.store is not None:
                made = {p: self.memo[p][1] for p, f in self.files.items() if f and p in self.memo}
                self.store.keep(tree.output, made)
            return tree, tuple(sorted(changes))
        writer = self.writer
        if writer is None:
            return None, None
        files = [file for file in self.files.values() if file is not None]
        writer.refuse_clashes(file.path for file in files)
        if self.twin is None and writer.holds_exactly(files):
            return writer.tree, ()
        if self.twin is None:
            writer.prepare()
        writer.commit(files)
        output = writer.output
        if self.store is not None:
            rest = {p: digest for p, (_, digest) in self.memo.items() if p not in self.kept}
            self.store.keep(output, rest)
            self.store.keep_only(digest for _, digest in self.memo.values())
        if request.use_cache:
            memo = OutputMemo(
                self.memo,
                writer.stamps,
                tuple(writer.foreign),
                writer.tree,
                twin_stamp(writer.books),
            )
            save_output_memo(request.config, output, memo)
        # A first build (into no output/ yet) made everything: not worth listing.
        if not writer.front_made or writer.tree is None:
            return writer.tree, None
        return writer.tree, tuple(sorted(writer.tree.lag))


def _holds(made: Mapping[str, ManifestEntry], path: str, file: OutputFile | None) -> bool:
    """Whether a tree holds a file already (or, for None, holds nothing at its path)."""
    entry = made.get(path)
    if file is None or entry is None:
        return file is None and entry is None
    return entry.digest == file.content_digest()


def _made_after(
    made: Mapping[str, ManifestEntry], changes: Mapping[str, OutputFile | None]
) -> Mapping[str, ManifestEntry]:
    """What a tree holds once these changes (copies of files, or None) are made to it."""
    if not changes:
        return made
    after = dict(made)
    for path, file in changes.items():
        if file is None or file.copy_from is None:
            after.pop(path, None)
        else:
            after[path] = ManifestEntry(file.content_digest(), file.copy_from.stat().st_size)
    return after


def changes_back_to(
    config: SiteConfig, tree: TreeState, saved: Mapping[str, ManifestEntry]
) -> dict[str, OutputFile | None] | None:
    """The changes that put output/ back as a saved build left it.

    Builds since (`sitegen watch`, or one from the saved build) may have changed it.
    `tree` is what output/ holds, `saved` what the saved build made. The files it made
    come from the store of copies, the files made since are removed. None where the store
    holds no copy of one.
    """
    if tree.made == saved:
        return {}
    store = PageStore(output_books(config, tree.output).folder / "pages")
    changes: dict[str, OutputFile | None] = {}
    for path, entry in saved.items():
        if tree.made.get(path) != entry:
            copy = store.find(entry.digest)
            if copy is None:
                return None
            changes[path] = OutputFile(path, copy_from=copy, digest=entry.digest, cached=True)
    changes.update((path, None) for path in tree.made.keys() - saved.keys())
    return changes
