"""The only writer: keeps output/ whole while the next site is written beside it.

sitegen keeps two trees: output/ (what readers see) and a hidden twin beside it,
`.output.back-sitegen/`, holding the site before last. A build brings the twin up to date,
writing only the files that changed and hard-linking the ones output/ already has right
(so their times are kept), then swaps the two folders in one step. A build that fails or is
killed leaves output/ as it was.

Each tree lists what sitegen made in it, with a digest of each file's bytes and its size,
in `.sitegen-manifest` (a file edited by hand to another size is made anew). Files in
output/ that sitegen did not make (a CNAME, a publishing worktree's .git) move with the
site and are never touched; one that stands where a page must go stops the build.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import ctypes.util
import dataclasses
import fcntl
import functools
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sitegen.errors import SitegenError, SourceLocation

MANIFEST = ".sitegen-manifest"
_DIRTY = ".sitegen-dirty"
_MANIFEST_HEADER = "sitegen-manifest 2"
_RENAME_EXCHANGE = 2
_INTERNAL = frozenset({MANIFEST, _DIRTY})


class OutputError(SitegenError):
    """The output folder cannot be written as asked."""


@dataclass(frozen=True, slots=True)
class OutputFile:
    """A file of the built site: its path under output/, and its bytes or the file to copy.

    `digest` is a digest of its bytes (`content_digest`), given where they are known
    without being at hand: a file with a digest and neither bytes nor a file to copy must
    already be in output/ or its twin with those bytes.
    """

    path: str
    content: bytes | None = None
    copy_from: Path | None = None
    digest: str | None = None

    def content_digest(self) -> str:
        """The digest of the file's bytes."""
        if self.digest is not None:
            return self.digest
        if self.content is not None:
            return content_digest(self.content)
        if self.copy_from is not None:
            with self.copy_from.open("rb") as source:
                return str(hashlib.file_digest(source, _new_hash).hexdigest())
        raise OutputError(f"{self.path}: no bytes, no file and no digest (a bug in sitegen)")


@dataclass(frozen=True, slots=True)
class LazyFile:
    """A generated file that is made only when its inputs changed.

    `digest` stands for its inputs (None where they cannot be told: always made).
    """

    path: str
    digest: str | None
    make: Callable[[], bytes]


def _new_hash() -> Any:
    return hashlib.blake2b(digest_size=16)


def content_digest(content: bytes) -> str:
    """The digest sitegen keeps of a file's bytes."""
    return hashlib.blake2b(content, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """What sitegen wrote at one path: the digest of its bytes and its size."""

    digest: str
    size: int


def safe_relative(path: str) -> PurePosixPath:
    """A path inside the output folder, or an OutputError."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise OutputError(f"refusing to write {path!r}: it is not inside the output folder")
    return relative


def _relative_text(path: str) -> str:
    """safe_relative(path) as text; quick for a path already in that form (`a/b.html`)."""
    if all(part and part != "." and part != ".." for part in path.split("/")):
        return path
    return str(safe_relative(path))


def _make_folder(folder: str) -> None:
    """Make a folder and its parents where missing (another process may be making them)."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        _make_folder(os.path.dirname(folder))
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder)


def check_output_folder(output: Path, root: Path, content: Path) -> None:
    """Refuse an output folder that is the site, holds it, or lies in content/."""
    output, root, content = output.resolve(), root.resolve(), content.resolve()
    if output == root or root.is_relative_to(output):
        raise OutputError(
            f"the output folder {output} holds the site itself", hint="use output/ or --output DIR"
        )
    if output == content or output.is_relative_to(content) or content.is_relative_to(output):
        raise OutputError(
            f"the output folder {output} overlaps content/", hint="use output/ or --output DIR"
        )


def back_folder(output: Path) -> Path:
    """The hidden twin of an output folder."""
    return output.parent / f".{output.name}.back-sitegen"


def lock_folder(output: Path) -> Path:
    """The empty folder beside an output folder that sitegen locks while writing it."""
    return output.parent / f".{output.name}.lock-sitegen"


@contextlib.contextmanager
def writing(output: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an output folder's lock while its twin and it are written.

    One sitegen at a time writes an output folder: another (`sitegen build` in a terminal
    while `sitegen serve` rebuilds) waits its turn, and `waiting` is called first. The
    lock is on an empty folder beside it, `.output.lock-sitegen/` (git keeps no empty
    folder). Not to be taken again by one holding it. A folder that is there without
    sitegen's manifest is not locked (nor anything made beside it): the build refuses it
    unless it is empty.
    """
    output = output.absolute()
    if output.is_dir() and not (output / MANIFEST).exists():
        yield
        return
    lock = lock_folder(output)
    lock.mkdir(parents=True, exist_ok=True)
    handle = os.open(lock, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # and with it the lock


def read_manifest(tree: Path) -> dict[str, ManifestEntry] | None:
    """What sitegen made in a tree, or None where it has no manifest (or a damaged one)."""
    try:
        lines = (tree / MANIFEST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    entries: dict[str, ManifestEntry] = {}
    if not lines or lines[0] != _MANIFEST_HEADER:
        # An older sitegen's list of paths: they are sitegen's, but none is known current.
        return {line: ManifestEntry("", -1) for line in lines if line and "\t" not in line}
    for line in lines[1:]:
        parts = line.split("\t")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        entries[parts[2]] = ManifestEntry(parts[0], int(parts[1]))
    return entries


def _manifest_line(path: str, entry: ManifestEntry) -> str:
    return f"{entry.digest}\t{entry.size}\t{path}"


def _manifest_lines(entries: Mapping[str, ManifestEntry]) -> dict[str, str]:
    """Each entry's line of the manifest, by path, in path order."""
    return {path: _manifest_line(path, entries[path]) for path in sorted(entries)}


def _write_manifest(tree: Path, lines: Iterable[str]) -> None:
    """Write a tree's manifest from its lines, in path order."""
    temporary = tree / (MANIFEST + ".tmp")
    temporary.write_text("\n".join([_MANIFEST_HEADER, *lines]) + "\n", encoding="utf-8")
    temporary.replace(tree / MANIFEST)


def _stamp(path: Path | str, digest: str) -> ManifestEntry | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return ManifestEntry(digest, stat.st_size)


def made_folders(made: Iterable[str]) -> set[str]:
    """The folders that hold what sitegen made ("" for the tree itself)."""
    folders = {""}
    for path in made:
        parent = path.rpartition("/")[0]
        while parent not in folders:
            folders.add(parent)
            parent = parent.rpartition("/")[0]
    return folders


def folder_stamps(tree: Path, folders: Iterable[str]) -> dict[str, int]:
    """The modification time of each folder.

    A folder whose time is unchanged has had nothing added or removed.
    """
    stamps: dict[str, int] = {}
    root = str(tree)
    for folder in folders:
        try:
            stamps[folder] = os.stat(f"{root}/{folder}" if folder else root).st_mtime_ns
        except OSError:
            continue
    return stamps


def _foreign_entries(
    tree: Path, made: Iterable[str], stamps: Mapping[str, int] | None = None
) -> list[str]:
    """Top-most paths in a tree that sitegen did not make.

    With the folders' stamps from when the tree was written, only folders changed since
    are listed.
    """
    made = set(made)
    folders = made_folders(made)
    foreign: list[str] = []
    root = str(tree)
    for folder in sorted(folders):
        where = f"{root}/{folder}" if folder else root
        if stamps is not None and folder in stamps:
            try:
                if os.stat(where).st_mtime_ns == stamps[folder]:
                    continue
            except OSError:
                continue
        prefix = folder + "/" if folder else ""
        try:
            entries = sorted(os.scandir(where), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            path = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if path not in folders:
                    foreign.append(path)
            elif path not in made and not (folder == "" and entry.name.startswith(MANIFEST)):
                foreign.append(path)
    return foreign


@functools.cache
def _renameat2() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step where the system allows it (Linux renameat2)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _clear_place(target: Path | str) -> None:
    """Remove what stands at a file's place (never writing through it), or make its folder."""
    try:
        os.unlink(target)
    except FileNotFoundError:
        _make_folder(os.path.dirname(target))
    except IsADirectoryError:
        shutil.rmtree(target)


def write_file(tree: Path, path: str, content: bytes) -> None:
    """Write one file into a tree (replacing what is there, never through a link)."""
    target = f"{tree}/{_relative_text(path)}"
    _clear_place(target)
    with open(target, "wb") as file:
        file.write(content)


def _link_or_copy(source: Path | str, target: Path | str) -> None:
    _clear_place(target)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _replace_with_copy(source: Path, target: Path | str) -> None:
    _clear_place(target)
    shutil.copyfile(source, target)


def _remove_file(tree: Path, path: str) -> None:
    target = tree / path
    try:
        target.unlink()
    except FileNotFoundError:
        return
    except IsADirectoryError:
        shutil.rmtree(target, ignore_errors=True)
    for parent in PurePosixPath(path).parents:
        if str(parent) == ".":
            break
        try:
            (tree / parent).rmdir()
        except OSError:
            break


def _size_of(path: str) -> int | None:
    """A file's size, or None where there is no file."""
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _refuse_clashes(output: Path, foreign: Sequence[str], paths: Iterable[str]) -> None:
    """Stop where a file sitegen did not make stands where the site writes one."""
    if not foreign:
        return
    wanted = set(paths)
    folders = {str(parent) for p in wanted for parent in PurePosixPath(p).parents}
    for path in foreign:
        if path in wanted or path in folders:
            raise OutputError(
                f"output/{path} was not made by sitegen and stands where the site writes a page",
                SourceLocation(output / path),
                "move or delete it, or rename the report",
            )


def _swap(back: Path, output: Path, foreign: Sequence[str]) -> None:
    """Move what sitegen did not make into the finished twin, then swap it in for output/."""
    marker = "a build is swapping in; moved here from output/:\n"
    (back / _DIRTY).write_text(marker + "".join(p + "\n" for p in foreign))
    for path in foreign:
        (back / path).parent.mkdir(parents=True, exist_ok=True)
        os.rename(output / path, back / path)
    (back / _DIRTY).unlink()
    if not _exchange(back, output):
        retired = output.parent / f".{output.name}.{os.getpid()}.new-sitegen"
        os.rename(output, retired)
        os.rename(back, output)
        os.rename(retired, back)


def _tree_holds(tree: Path, made: Mapping[str, ManifestEntry], path: str, digest: str) -> bool:
    """Whether a tree's manifest lists this file with these bytes, and the file is as listed."""
    entry = made.get(path)
    return entry is not None and entry.digest == digest and _size_of(f"{tree}/{path}") == entry.size


class SiteWriter:
    """Writes one build into the hidden twin of output/ and swaps it in."""

    def __init__(
        self,
        output: Path,
        stamps: Mapping[str, int] | None = None,
        foreign: Iterable[str] = (),
        *,
        keep_tree: bool = False,
    ) -> None:
        """Read what output/ holds.

        `stamps` are its folders' times after the last build, and `foreign` what it then
        held that sitegen did not make; with them only folders changed since are listed.
        With `keep_tree`, `tree` says afterwards what output/ and its twin hold.
        """
        self.output = output.absolute()
        self.keep_tree = keep_tree
        self.stamps: dict[str, int] = {}
        """After commit: the new output/'s folders' times, for the next build."""
        self.back = back_folder(self.output)
        self.front_made: dict[str, ManifestEntry] = {}
        self.back_made: dict[str, ManifestEntry] = {}
        self.written: dict[str, ManifestEntry] = {}
        """Files written into the twin during this build, before commit."""
        self.foreign: list[str] = []
        self.tree: TreeState | None = None
        """After commit (or when output/ already held the site), with keep_tree: for
        swap_in_changes."""
        self._front_sizes: dict[str, int | None] = {}
        """Sizes of output/'s files as found during this build (output/ changes at commit)."""
        if self.output.is_dir():
            made = read_manifest(self.output)
            if made is None:
                entries = sorted(p.name for p in self.output.iterdir())
                if entries:
                    shown = ", ".join(entries[:3]) + ("..." if len(entries) > 3 else "")
                    raise OutputError(
                        f"{self.output} was not made by sitegen and is not empty "
                        f"(it holds {shown})",
                        SourceLocation(self.output),
                        "empty it, or build elsewhere with --output DIR",
                    )
                made = {}
            self.front_made = made
            found = _foreign_entries(self.output, made, stamps)
            still = [p for p in foreign if os.path.lexists(self.output / p)] if stamps else []
            self.foreign = sorted(set(found) | set(still))
        elif self.output.exists():
            raise OutputError(f"{self.output} is a file, not a folder", SourceLocation(self.output))
        if self.back.is_dir() and not (self.back / _DIRTY).exists():
            self.back_made = read_manifest(self.back) or {}

    def _put(self, path: str, digest: str, file: OutputFile) -> ManifestEntry | None:
        target = f"{self.back}/{path}"
        if self.is_current(path, digest):
            _link_or_copy(f"{self.output}/{path}", target)
        elif file.content is not None:
            write_file(self.back, path, file.content)
        elif file.copy_from is not None:
            _replace_with_copy(file.copy_from, target)
        else:
            raise OutputError(f"{path}: nothing to write (a bug in sitegen)")
        return _stamp(target, digest)

    def holds_exactly(self, files: Sequence[OutputFile]) -> bool:
        """Whether output/ already is exactly these files, so nothing need be written.

        Never so while a stopped build's unfinished twin is waiting to be cleared.
        """
        if len(files) != len(self.front_made) or (self.back / _DIRTY).exists():
            return False
        if not all(self.is_current(file.path, file.content_digest()) for file in files):
            return False
        back_made = self.back_made if self.back.is_dir() else None
        if self.keep_tree:
            self.tree = tree_state(self.output, self.front_made, back_made, self.foreign)
        return True

    def record_written(self, path: str, digest: str, size: int) -> None:
        """Note a file written into the twin with write_file during this build."""
        self.written[path] = ManifestEntry(digest, size)

    def holds(self, path: str, digest: str) -> bool:
        """Whether output/ or its twin holds this file with these bytes."""
        return self.is_current(path, digest) or _tree_holds(self.back, self.back_made, path, digest)

    def is_current(self, path: str, digest: str) -> bool:
        """Whether output/ holds this file with these bytes."""
        entry = self.front_made.get(path)
        if entry is None or entry.digest != digest:
            return False
        try:
            size = self._front_sizes[path]
        except KeyError:
            size = self._front_sizes[path] = _size_of(f"{self.output}/{path}")
        return size == entry.size

    def refuse_clashes(self, paths: Iterable[str]) -> None:
        """Stop where a file sitegen did not make stands where the site writes one."""
        _refuse_clashes(self.output, self.foreign, paths)

    def prepare(self) -> Path:
        """Ready the twin for writing and return it.

        A twin left by a build that was stopped is not trusted: it is made anew from output/.
        """
        self.output.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.output.parent.glob(f".{self.output.name}.*.new-sitegen"):
            shutil.rmtree(stale, ignore_errors=True)
        made = read_manifest(self.back) if self.back.is_dir() else None
        if made is not None and (self.back / _DIRTY).exists():
            made = None
        if made is None:
            self._restore_foreign_from_back()
            shutil.rmtree(self.back, ignore_errors=True)
            self.back.mkdir()
            made = {}
        self.back_made = made
        (self.back / _DIRTY).write_text("a build is writing here\n", encoding="utf-8")
        return self.back

    def _restore_foreign_from_back(self) -> None:
        """Put back into output/ what a stopped build had moved out of it."""
        try:
            moved = (self.back / _DIRTY).read_text(encoding="utf-8").splitlines()[1:]
        except (OSError, UnicodeDecodeError):
            return
        for path in moved:
            if (self.back / path).exists() and not (self.output / path).exists():
                (self.output / path).parent.mkdir(parents=True, exist_ok=True)
                os.rename(self.back / path, self.output / path)

    def commit(
        self,
        files: Sequence[OutputFile],
        *,
        before_swap: Callable[[Path], Mapping[str, str]] | None = None,
    ) -> None:
        """Make the twin hold exactly `files`, then swap it in for output/.

        What output/ holds that sitegen did not make moves across with it. `before_swap`
        may add files to the twin, and returns their paths and digests.
        """
        wanted: dict[str, ManifestEntry | None] = {}
        for file in files:
            path = _relative_text(file.path)
            digest = file.content_digest()
            old = self.back_made.get(path)
            fresh = self.written.get(path)
            if fresh is not None and fresh.digest == digest:
                if self.is_current(path, digest):
                    # Rendered again to the same bytes: keep output/'s file and its time.
                    _link_or_copy(f"{self.output}/{path}", f"{self.back}/{path}")
                wanted[path] = fresh
            elif (
                old is not None
                and old.digest == digest
                and _stamp(f"{self.back}/{path}", digest) == old
            ):
                wanted[path] = old
            else:
                wanted[path] = self._put(path, digest, file)
        for path in set(self.back_made) - set(wanted):
            _remove_file(self.back, path)
        if before_swap is not None:
            for path, digest in before_swap(self.back).items():
                wanted[path] = _stamp(f"{self.back}/{path}", digest)
        self.refuse_clashes(wanted)
        entries = {p: e for p, e in wanted.items() if e is not None}
        lines = _manifest_lines(entries)
        _write_manifest(self.back, lines.values())
        if not self.output.exists():
            (self.back / _DIRTY).unlink()
            os.rename(self.back, self.output)
            self._front_sizes.clear()
            self.stamps = folder_stamps(self.output, made_folders(entries))
            if self.keep_tree:
                self.tree = tree_state(self.output, entries, None, self.foreign, lines)
            return
        before = self.front_made
        _swap(self.back, self.output, self.foreign)
        self._front_sizes.clear()
        self.stamps = folder_stamps(self.output, made_folders(entries))
        if self.keep_tree:
            self.tree = tree_state(self.output, entries, before, self.foreign, lines)


@dataclass(frozen=True, slots=True)
class TreeState:
    """What output/ and its twin hold after a commit, for a commit of a few changes.

    `made` is output/'s manifest; `lag` the paths where the twin (the site before) differs
    from output/; `stamp` output/'s manifest file's stat, to notice another writer.
    """

    output: Path
    made: Mapping[str, ManifestEntry]
    """In path order."""
    lag: frozenset[str]
    foreign: tuple[str, ...]
    stamp: tuple[int, int, int]
    top: frozenset[str]
    """The names at output/'s top that sitegen made (or holds things it made in)."""
    lines: Mapping[str, str]
    """Each line of output/'s manifest, by path, in path order."""


def _manifest_stamp(tree: Path) -> tuple[int, int, int] | None:
    try:
        stat = (tree / MANIFEST).stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def tree_state(
    output: Path,
    made: Mapping[str, ManifestEntry],
    back_made: Mapping[str, ManifestEntry] | None,
    foreign: Iterable[str],
    lines: Mapping[str, str] | None = None,
) -> TreeState | None:
    """The state of output/ holding `made`, its twin holding `back_made` (None: unknown).

    Where there is no twin yet, one will be made, and everything is said to differ.
    `lines` are the manifest's lines of `made` where already made.
    """
    stamp = _manifest_stamp(output)
    back = back_folder(output)
    if not back.exists():
        back_made = {}
    if stamp is None or back_made is None or (back / _DIRTY).exists():
        return None
    lag = {p for p, entry in made.items() if back_made.get(p) != entry}
    lag.update(p for p in back_made if p not in made)
    lines = lines if lines is not None else _manifest_lines(made)
    ordered = {path: made[path] for path in lines}
    return TreeState(
        output, ordered, frozenset(lag), tuple(foreign), stamp, _top_names(ordered), lines
    )


def _top_names(made: Iterable[str]) -> frozenset[str]:
    return frozenset(path.partition("/")[0] for path in made)


def _top_names_after(
    top: frozenset[str], made: Mapping[str, object], added: Iterable[str], removed: Iterable[str]
) -> frozenset[str]:
    """`_top_names(made)`, from the names before and the paths added and removed since.

    `made` is in path order.
    """
    names = set(top) | _top_names(added)
    gone = _top_names(removed) - _top_names(added)
    if gone:
        paths = list(made)
        for name in gone:
            at = bisect.bisect_left(paths, name + "/")
            if name not in made and not (at < len(paths) and paths[at].startswith(name + "/")):
                names.discard(name)
    return frozenset(names)


def twin_stamp(output: Path) -> tuple[int, int, int] | None:
    """The stat of the manifest of output/'s twin (None: no twin, or no manifest in it)."""
    return _manifest_stamp(back_folder(output))


def as_left(
    state: TreeState, folders: Mapping[str, int], twin: tuple[int, int, int] | None
) -> bool:
    """Whether output/ and its twin are as a build left them.

    Both manifests as they were, every file sitegen made in output/ at its size, and no
    file added to or removed from any of `folders` (their times as they were).
    """
    back = back_folder(state.output)
    if _manifest_stamp(state.output) != state.stamp or _manifest_stamp(back) != twin:
        return False
    if (back / _DIRTY).exists():
        return False
    root = str(state.output)
    if any(_size_of(f"{root}/{path}") != entry.size for path, entry in state.made.items()):
        return False
    return folder_stamps(state.output, folders) == folders


def swap_in_changes(state: TreeState, changes: Mapping[str, OutputFile | None]) -> TreeState | None:
    """Swap in a site that differs from output/ by a few files (None: removed).

    The twin is brought up to the site now in output/ (the paths in `lag`), the changes
    are written into it and the two are swapped in one step, as a full commit does, without
    walking the site. None where output/ is not as `state` says (another build wrote it):
    then nothing was written, and a full commit is needed. Holds output/'s lock.
    """
    with writing(state.output):
        return _swap_in_changes(state, changes)


def _swap_in_changes(
    state: TreeState, changes: Mapping[str, OutputFile | None]
) -> TreeState | None:
    output = state.output
    back = back_folder(output)
    if _manifest_stamp(output) != state.stamp or (back / _DIRTY).exists():
        return None
    back.mkdir(exist_ok=True)
    made = dict(state.made)
    lines = dict(state.lines)
    top = state.top
    foreign = [p for p in state.foreign if os.path.lexists(output / p)]
    with os.scandir(output) as entries:
        for entry in entries:
            name = entry.name
            if name not in top and name not in foreign and not name.startswith(MANIFEST):
                foreign.append(name)
    _refuse_clashes(output, foreign, changes)
    (back / _DIRTY).write_text("a build is writing here\n", encoding="utf-8")
    _bring_up_to_date(back, output, made, state.lag - changes.keys())
    added: list[str] = []
    removed: list[str] = []
    for path, file in changes.items():
        safe_relative(path)
        if file is None:
            _remove_file(back, path)
            if made.pop(path, None) is not None:
                removed.append(path)
            lines.pop(path, None)
            continue
        digest = file.content_digest()
        if file.content is not None:
            write_file(back, path, file.content)
        elif file.copy_from is not None:
            _replace_with_copy(file.copy_from, back / path)
        elif made.get(path) is not None and made[path].digest == digest:
            _link_or_copy(output / path, back / path)
        else:
            raise OutputError(f"{path}: nothing to write (a bug in sitegen)")
        written = _stamp(back / path, digest)
        if written is None:
            raise OutputError(f"{path} could not be written", SourceLocation(back / path))
        if path not in made:
            added.append(path)
        made[path] = written
        lines[path] = _manifest_line(path, written)
    if added:  # in path order again (sorting what is nearly sorted is quick)
        made = dict(sorted(made.items()))
        lines = dict(sorted(lines.items()))
    if added or removed:
        top = _top_names_after(top, made, added, removed)
    _write_manifest(back, lines.values())
    _swap(back, output, foreign)
    stamp = _manifest_stamp(output)
    assert stamp is not None
    return TreeState(output, made, frozenset(changes), tuple(foreign), stamp, top, lines)


def _bring_up_to_date(
    back: Path, output: Path, made: Mapping[str, ManifestEntry], paths: Iterable[str]
) -> None:
    """Make the twin hold at these paths what output/ holds (hard links), or nothing."""
    for path in sorted(paths):
        if path in made:
            _link_or_copy(output / path, back / path)
        else:
            _remove_file(back, path)


def catch_up_twin(state: TreeState) -> TreeState | None:
    """Make output/'s twin hold what output/ holds, so the next swap writes only its changes.

    None where output/ is not as `state` says. Holds output/'s lock.
    """
    if not state.lag:
        return state
    with writing(state.output):
        return _catch_up_twin(state)


def _catch_up_twin(state: TreeState) -> TreeState | None:
    output = state.output
    back = back_folder(output)
    if _manifest_stamp(output) != state.stamp or (back / _DIRTY).exists():
        return None
    back.mkdir(exist_ok=True)
    (back / _DIRTY).write_text("a build is writing here\n", encoding="utf-8")
    _bring_up_to_date(back, output, state.made, state.lag)
    _write_manifest(back, state.lines.values())
    (back / _DIRTY).unlink()
    return dataclasses.replace(state, lag=frozenset())
