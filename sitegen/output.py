"""The only writer: keeps output/ whole while the next site is written, and nothing else.

Nothing of sitegen's own is kept in output/ or beside it.

sitegen keeps two trees: output/ (what readers see) and its twin (the site before last). A
build brings the twin up to date, writing only the files that changed and hard-linking the
ones output/ already has right (so their times are kept), then swaps the two folders in one
step (renameat2 with RENAME_EXCHANGE, which works between any two folders of one mount). A
build that fails or is killed leaves output/ as it was.

Where things are. What sitegen keeps for an output folder is in the site's cache, in
`.sitegen-cache/outputs/<tag>/` (`OutputBooks`; the tag is a digest of output/'s path):

- `lock`: the file locked (flock) while output/ and its twin are written;
- `twin/`: the twin, where the cache is on output/'s mount;
- `trees/<identity>`: the record of one tree (output/ or the twin), named by the folder's
  identity: device, inode and birth time, which stay with a folder when it is renamed or
  swapped, so the swap needs no record rewritten. A record says what sitegen made in its
  tree (each file's path, a digest of its bytes and its size: a file edited by hand to
  another size is made anew) and its state: `done`, `writing` (the twin while a build
  writes it) or `swapping` (the twin about to be swapped in, with the paths of the files
  others put in output/ that were moved into it to go across with the site).

Where the cache is on another mount, the twin cannot be kept there: it is made for each swap
in `.<name>.swap-sitegen/twin` beside output/ (a folder only its owner may open), and right
after the swap the site before is removed from it file by file and the folder goes, so the
site before last stays readable nowhere and nothing is left beside output/ (a build killed
part-way leaves it for the next build to clear). Files in output/ that sitegen did not make
(a CNAME, a publishing worktree's .git) move with the site and are never touched; one that
stands where a page must go stops the build. An output/ that is not empty and of which the
cache holds no record (the cache deleted, the site or the folder moved) is refused: sitegen
cannot tell what it made there.

Why a build killed at any point leaves no record that claims a file sitegen did not make,
and never loses one that others put in output/:

1. A record is written whole or not at all (a temporary file renamed over it), and only by
   a sitegen holding the lock.
2. The twin's place (in the cache, or the folder only its owner opens) is sitegen's own:
   what is there was put there by sitegen, but for the files moved out of output/ for a
   swap, and those are listed in the twin's record (`swapping`) before the first one moves.
   (One more case: a file put into output/ while a build runs, after the build listed
   output/, goes to the twin's place with output/'s old tree at the swap. The kept twin
   keeps it unlisted, and the next swap brings it back; it is lost only if the build
   after is killed while rewriting that twin, which is then cleared whole. On another
   mount it goes back at once, by 6.)
3. The twin's record is set to `writing` before anything in the twin changes, and says
   `swapping`, with its files, only once every file is written (`done` where nothing is to
   move across: a whole site, all sitegen's, fit to be swapped in or kept as the twin).
   A twin found `writing` (or with no record) is cleared and made anew; its record goes
   before its files do.
4. Records follow folders, not places: the swap exchanges two folders, and each record
   stays true of its folder. Found `swapping` at output/'s place, the swap was made (the
   moved files are where they belong): the record is marked done. Found at the twin's
   place, it was not: the moved files go back to output/ first.
5. A record whose folder is at neither place is deleted at the start of every build, and
   the birth time in a folder's identity keeps a folder made later in a deleted one's
   place (with its inode number) from being taken for it.
6. sitegen deletes files only in the twin; emptying a twin that held output/ (on another
   mount) deletes only the files its record lists and moves anything else back to output/.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import ctypes.util
import dataclasses
import errno
import fcntl
import functools
import hashlib
import os
import shutil
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sitegen.errors import SitegenError, SourceLocation

_RECORD_HEADER = "sitegen-tree 1"
_DONE = "done"
_WRITING = "writing"
_SWAPPING = "swapping"
_MOVED = "moved"
_RENAME_EXCHANGE = 2
_LEGACY_MANIFEST = ".sitegen-manifest"
"""Where an earlier sitegen kept output/'s manifest: in output/ itself."""
_LEGACY_DIRTY = ".sitegen-dirty"

RecordStamp = tuple[str, int, int, int]
"""A tree's identity and its record file's inode, size and time: tells a record rewritten."""


class OutputError(SitegenError):
    """The output folder cannot be written as asked."""


@dataclass(frozen=True, slots=True)
class OutputBooks:
    """Where sitegen keeps what it knows of one output folder: a folder of the site's cache."""

    output: Path
    """The output folder (absolute)."""
    folder: Path
    """Its folder in the site's cache (absolute)."""

    @property
    def lock(self) -> Path:
        """The file locked while the output folder and its twin are written."""
        return self.folder / "lock"

    @property
    def records(self) -> Path:
        """The folder of the trees' records."""
        return self.folder / "trees"


def swap_folder(output: Path) -> Path:
    """The folder beside output/ that holds its twin where the cache is on another mount.

    It is there only while a build writes, or after one was killed.
    """
    return output.parent / f".{output.name}.swap-sitegen"


@dataclass(frozen=True, slots=True)
class TwinPlace:
    """Where an output folder's twin is, and whether it is kept between builds."""

    path: Path
    kept: bool
    """True: in the cache, kept between builds; False: beside output/, emptied after each swap."""


def twin_place(books: OutputBooks) -> TwinPlace:
    """Where the twin of an output folder goes: in the cache where that is on its mount."""
    if _mount_of(books.folder) == _mount_of(books.output.parent):
        return TwinPlace(books.folder / "twin", kept=True)
    return TwinPlace(swap_folder(books.output) / "twin", kept=False)


@functools.cache
def _libc_function(function: str) -> Any:
    """A function of the C library (statx, renameat2), or None where it has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return getattr(ctypes.CDLL(name, use_errno=True), function)
    except (OSError, AttributeError):
        return None


_AT_FDCWD = -100
_AT_SYMLINK_NOFOLLOW = 0x100
_STATX_INO = 0x100
_STATX_BTIME = 0x800
_STATX_MNT_ID = 0x1000


@dataclass(frozen=True, slots=True)
class _FolderStat:
    identity: str
    mount: str


def _folder_stat(path: Path | str) -> _FolderStat | None:
    """A folder's identity and its mount (statx where there is one), or None: nothing there."""
    statx = _libc_function("statx")
    if statx is not None:
        buffer = ctypes.create_string_buffer(256)
        wanted = _STATX_INO | _STATX_BTIME | _STATX_MNT_ID
        if statx(_AT_FDCWD, os.fsencode(path), _AT_SYMLINK_NOFOLLOW, wanted, buffer) == 0:
            (mask,) = struct.unpack_from("<I", buffer, 0)
            (inode,) = struct.unpack_from("<Q", buffer, 32)
            born_s, born_ns = struct.unpack_from("<qI", buffer, 80)
            major, minor = struct.unpack_from("<II", buffer, 136)
            (mount_id,) = struct.unpack_from("<Q", buffer, 144)
            born = f"-{born_s}.{born_ns:09d}" if mask & _STATX_BTIME else ""
            device = f"{major}.{minor}"
            mount = f"m{mount_id}" if mask & _STATX_MNT_ID else device
            return _FolderStat(f"{device}-{inode}{born}", mount)
        if ctypes.get_errno() in (errno.ENOENT, errno.ENOTDIR):
            return None
    try:
        stat = os.lstat(path)
    except OSError:
        return None
    return _FolderStat(f"{os.major(stat.st_dev)}.{os.minor(stat.st_dev)}-{stat.st_ino}", "")


def _identity(path: Path | str) -> str | None:
    """What tells a folder from every other, wherever it is moved; None where none is there."""
    found = _folder_stat(path)
    return None if found is None else found.identity


def _mount_of(path: Path) -> str:
    """The mount a folder is on, or would be on if made (that of its nearest existing parent)."""
    for folder in (path, *path.parents):
        found = _folder_stat(folder)
        if found is not None:
            return found.mount or str(os.stat(folder).st_dev)
    return ""


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
    cached: bool = False
    """Whether `copy_from` is a file of sitegen's cache, never changed once made: then the
    file is a hard link to it where it can be."""

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


@dataclass(frozen=True, slots=True)
class TreeRecord:
    """What sitegen knows of one tree: its state, the files moved into it, what it made."""

    state: str
    moved: tuple[str, ...]
    made: dict[str, ManifestEntry]


def _parse_entries(lines: Iterable[str]) -> dict[str, ManifestEntry] | None:
    entries: dict[str, ManifestEntry] = {}
    for line in lines:
        parts = line.split("\t")
        if len(parts) != 3 or not parts[1].removeprefix("-").isdigit():
            return None
        entries[parts[2]] = ManifestEntry(parts[0], int(parts[1]))
    return entries


def _read_record(books: OutputBooks, identity: str | None) -> TreeRecord | None:
    """The record of the tree with this identity, or None (no record, or a damaged one)."""
    if identity is None:
        return None
    try:
        lines = (books.records / identity).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) < 2 or lines[0] != _RECORD_HEADER:
        return None
    state = lines[1]
    if state not in (_DONE, _WRITING, _SWAPPING):
        return None
    body = lines[2:]
    count = 0
    while count < len(body) and body[count].startswith(_MOVED + "\t"):
        count += 1
    moved = tuple(line[len(_MOVED) + 1 :] for line in body[:count])
    entries = _parse_entries(body[count:])
    if entries is None:
        return None
    return TreeRecord(state, moved, entries)


def _record_state(books: OutputBooks, identity: str) -> str | None:
    """The state a tree's record gives, without reading its files (None: no record)."""
    try:
        with (books.records / identity).open(encoding="utf-8") as file:
            header, state = file.readline().rstrip("\n"), file.readline().rstrip("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return state if header == _RECORD_HEADER else None


def _write_record(
    books: OutputBooks,
    identity: str,
    state: str,
    lines: Iterable[str] = (),
    moved: Iterable[str] = (),
) -> None:
    """Write a tree's record whole (a temporary file renamed over the last one)."""
    books.records.mkdir(parents=True, exist_ok=True)
    text = "\n".join([_RECORD_HEADER, state, *(f"{_MOVED}\t{p}" for p in moved), *lines])
    temporary = books.records / f"{identity}.{os.getpid()}.tmp"
    temporary.write_text(text + "\n", encoding="utf-8")
    temporary.replace(books.records / identity)


def _forget_record(books: OutputBooks, identity: str | None) -> None:
    if identity is not None:
        (books.records / identity).unlink(missing_ok=True)


def _forget_other_records(books: OutputBooks, keep: Iterable[str | None]) -> None:
    """Delete the records of trees that are no longer output/ or its twin."""
    kept = set(keep)
    try:
        names = os.listdir(books.records)
    except OSError:
        return
    for name in names:
        if name not in kept:
            with contextlib.suppress(OSError):
                os.unlink(books.records / name)


def read_manifest(books: OutputBooks, tree: Path | None = None) -> dict[str, ManifestEntry] | None:
    """What sitegen made in a tree (output/ by default), or None where it has no record of it."""
    record = _read_record(books, _identity(tree or books.output))
    return None if record is None or record.state == _WRITING else record.made


def _record_stamp(books: OutputBooks, tree: Path) -> RecordStamp | None:
    """The stamp of a tree's record (None: no tree, or no record of it)."""
    identity = _identity(tree)
    if identity is None:
        return None
    try:
        stat = (books.records / identity).stat()
    except OSError:
        return None
    return (identity, stat.st_ino, stat.st_size, stat.st_mtime_ns)


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


def _holds_anything(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is not None
    except OSError:
        return False


@contextlib.contextmanager
def writing(books: OutputBooks, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an output folder's lock while its twin and it are written.

    One sitegen at a time writes an output folder: another (`sitegen build` in a terminal
    while `sitegen serve` rebuilds) waits its turn, and `waiting` is called first. The
    lock is a file in the cache (`OutputBooks.lock`). Not to be taken again by one holding
    it. Where the cache knows nothing of the output folder and it is not empty (nor one an
    earlier sitegen wrote), nothing is locked (nor made in the cache): the build refuses it.
    """
    output = books.output
    if (
        not books.folder.exists()
        and _holds_anything(output)
        and not (output / _LEGACY_MANIFEST).exists()
    ):
        yield
        return
    books.folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(books.lock, os.O_RDONLY | os.O_CREAT, 0o644)
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


def _manifest_line(path: str, entry: ManifestEntry) -> str:
    return f"{entry.digest}\t{entry.size}\t{path}"


def _manifest_lines(entries: Mapping[str, ManifestEntry]) -> dict[str, str]:
    """Each entry's line of a record, by path, in path order."""
    return {path: _manifest_line(path, entries[path]) for path in sorted(entries)}


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
            elif path not in made:
                foreign.append(path)
    return foreign


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step where the system allows it (Linux renameat2)."""
    renameat2 = _libc_function("renameat2")
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


def _tree_holds(tree: Path, made: Mapping[str, ManifestEntry], path: str, digest: str) -> bool:
    """Whether a tree's manifest lists this file with these bytes, and the file is as listed."""
    entry = made.get(path)
    return entry is not None and entry.digest == digest and _size_of(f"{tree}/{path}") == entry.size


def _swap(
    books: OutputBooks, twin: Path, identity: str, foreign: Sequence[str], lines: Iterable[str]
) -> None:
    """Move what sitegen did not make into the finished twin, then swap it in for output/.

    Until the swap is made, the twin's record says `swapping` and lists what was moved
    (`done` where nothing moves: the twin is then a whole site, all sitegen's).
    """
    output = books.output
    lines = list(lines)
    _write_record(books, identity, _SWAPPING if foreign else _DONE, lines, foreign)
    for path in foreign:
        (twin / path).parent.mkdir(parents=True, exist_ok=True)
        os.rename(output / path, twin / path)
    if not _exchange(twin, output):
        retired = twin.parent / f"retired-{os.getpid()}"
        os.rename(output, retired)
        os.rename(twin, output)
        os.rename(retired, twin)
    if foreign:
        _write_record(books, identity, _DONE, lines)


def _match_mode(twin: Path, output: Path) -> None:
    """Give the twin output/'s permissions, which it takes over at the swap."""
    with contextlib.suppress(OSError):
        os.chmod(twin, os.stat(output).st_mode & 0o7777)


def _make_swap_folder(twin: Path) -> None:
    """Make the folder beside output/ that holds a twin on its mount: only its owner opens it."""
    holder = twin.parent
    holder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(holder, 0o700)


def _remove_empty_folders(tree: Path, folders: Iterable[str]) -> None:
    """Remove these folders of a tree where empty, the deepest first ("" is the tree)."""
    root = str(tree)
    for folder in sorted(folders, key=lambda f: (-f.count("/"), -len(f))):
        with contextlib.suppress(OSError):
            os.rmdir(f"{root}/{folder}" if folder else root)


def _empty_tree(books: OutputBooks, tree: Path, made: Mapping[str, ManifestEntry]) -> bool:
    """Remove a retired tree: the files sitegen made in it, its folders and its record.

    Anything else in it (put into output/ while a build was writing) is moved back into
    output/; False where something could not be (it stays, and so does the tree).
    """
    identity = _identity(tree)
    root = str(tree)
    for path in made:
        with contextlib.suppress(OSError):
            os.unlink(f"{root}/{path}")
    folders = made_folders(made)
    _remove_empty_folders(tree, folders)
    if os.path.lexists(tree):
        for path in _foreign_entries(tree, made):
            target = books.output / path
            if books.output.is_dir() and not os.path.lexists(target):
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(tree / path, target)
        _remove_empty_folders(tree, folders)
    if os.path.lexists(tree):
        return False
    _forget_record(books, identity)
    return True


def _remove_swap_folder(twin: Path, kept: bool) -> None:
    if not kept:
        with contextlib.suppress(OSError):
            os.rmdir(twin.parent)


def _adopt_legacy(books: OutputBooks, output: Path, identity: str) -> TreeRecord | None:
    """Take over an output folder an earlier sitegen wrote, or None where it is not one.

    That sitegen kept output/'s manifest in output/, and its twin (the site before last)
    and an empty lock folder beside it: the manifest moves into the cache, and the twin
    (emptied of what sitegen made, anything else going back into output/) and lock go.
    """
    manifest = output / _LEGACY_MANIFEST
    made = _read_legacy_manifest(manifest)
    if made is None:
        return None
    _write_record(books, identity, _DONE, _manifest_lines(made).values())
    manifest.unlink()
    twin = output.parent / f".{output.name}.back-sitegen"
    if twin.is_dir():
        dirty = twin / _LEGACY_DIRTY
        try:
            moved = dirty.read_text(encoding="utf-8").splitlines()[1:]
        except (OSError, UnicodeDecodeError):
            moved = []
        for path in moved:
            if os.path.lexists(twin / path) and not os.path.lexists(output / path):
                (output / path).parent.mkdir(parents=True, exist_ok=True)
                os.rename(twin / path, output / path)
        twin_made = None if dirty.exists() else _read_legacy_manifest(twin / _LEGACY_MANIFEST)
        if twin_made is None:
            shutil.rmtree(twin, ignore_errors=True)  # a stopped build's: all sitegen's
        else:
            (twin / _LEGACY_MANIFEST).unlink()
            _empty_tree(books, twin, twin_made)
    with contextlib.suppress(OSError):
        os.rmdir(output.parent / f".{output.name}.lock-sitegen")
    return TreeRecord(_DONE, (), made)


def _read_legacy_manifest(path: Path) -> dict[str, ManifestEntry] | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if lines and lines[0] == "sitegen-manifest 2":
        return _parse_entries(lines[1:])
    return {line: ManifestEntry("", -1) for line in lines if line and "\t" not in line}


class SiteWriter:
    """Writes one build into the twin of output/ and swaps it in."""

    def __init__(
        self,
        books: OutputBooks,
        stamps: Mapping[str, int] | None = None,
        foreign: Iterable[str] = (),
        *,
        keep_tree: bool = False,
    ) -> None:
        """Read what output/ holds and what sitegen knows of it and its twin.

        `stamps` are its folders' times after the last build, and `foreign` what it then
        held that sitegen did not make; with them only folders changed since are listed.
        With `keep_tree`, `tree` says afterwards what output/ and its twin hold. What a
        stopped build moved out of output/ goes back first; records of trees that are
        neither output/ nor its twin are deleted.
        """
        self.books = books
        self.output = books.output
        self.keep_tree = keep_tree
        self.stamps: dict[str, int] = {}
        """After commit: the new output/'s folders' times, for the next build."""
        place = twin_place(books)
        self.back = place.path
        self.twin_kept = place.kept
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
        self._twin_done = False
        """Whether the twin holds a whole site, as its record says."""
        front = _identity(self.output)
        if self.output.is_dir():
            assert front is not None
            record = _read_record(books, front)
            if record is None or record.state == _WRITING:
                record = self._refuse_unknown(front)
            elif record.state == _SWAPPING:  # the swap was made: what moved is in place
                _write_record(books, front, _DONE, _manifest_lines(record.made).values())
            self.front_made = record.made
        elif self.output.exists():
            raise OutputError(f"{self.output} is a file, not a folder", SourceLocation(self.output))
        restored = self._settle_twin(front)
        if self.output.is_dir():
            found = _foreign_entries(self.output, self.front_made, stamps)
            still = [p for p in foreign if os.path.lexists(self.output / p)] if stamps else []
            self.foreign = sorted(set(found) | set(still) | set(restored))

    def _refuse_unknown(self, identity: str) -> TreeRecord:
        """An empty output/ is sitegen's to write; a folder it has no record of is refused."""
        adopted = _adopt_legacy(self.books, self.output, identity)
        if adopted is not None:
            return adopted
        entries = sorted(p.name for p in self.output.iterdir())
        if entries:
            shown = ", ".join(entries[:3]) + ("..." if len(entries) > 3 else "")
            raise OutputError(
                f"{self.output} was not made by sitegen, or its record of it is gone, and it is "
                f"not empty (it holds {shown})",
                SourceLocation(self.output),
                "sitegen keeps its record of what it made there in the site's .sitegen-cache/ "
                "and never deletes what it cannot tell it made: if that was deleted, or the "
                "site or this folder moved, empty the folder, build, and put back what is "
                "yours (a CNAME, .nojekyll or .git); else build elsewhere with --output DIR",
            )
        return TreeRecord(_DONE, (), {})

    def _settle_twin(self, front: str | None) -> list[str]:
        """Put back into output/ what a stopped swap moved out of it; read the twin's record.

        Returns the paths put back.
        """
        identity = _identity(self.back)
        record = _read_record(self.books, identity)
        restored: list[str] = []
        if identity is not None and record is not None and record.state == _SWAPPING:
            for path in record.moved:
                source, target = self.back / path, self.output / path
                if not os.path.lexists(source):
                    continue
                if not self.output.is_dir() or os.path.lexists(target):
                    raise OutputError(
                        f"{source} was moved out of {self.output} by a build that was stopped, "
                        "and cannot go back",
                        SourceLocation(source),
                        f"move it back into {self.output} by hand (or delete it), then build",
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(source, target)
                restored.append(path)
            record = TreeRecord(_DONE, (), record.made)
            _write_record(self.books, identity, _DONE, _manifest_lines(record.made).values())
        self._twin_done = record is not None and record.state == _DONE
        if self._twin_done and self.twin_kept:
            assert record is not None
            self.back_made = record.made
        _forget_other_records(self.books, (front, identity))
        return restored

    def _clear_twin(self) -> None:
        """Remove a twin that is not to be written as it is (on another mount, any twin)."""
        identity = _identity(self.back)
        if identity is None:
            return
        record = _read_record(self.books, identity)
        if record is not None and record.state == _DONE:
            if not _empty_tree(self.books, self.back, record.made):
                raise OutputError(
                    f"{self.back} holds files sitegen did not make, which cannot go back "
                    f"into {self.output}",
                    SourceLocation(self.back),
                    f"move them into {self.output} or delete them, then build again",
                )
        else:  # a stopped build was writing it: all sitegen's (what it moved went back)
            _forget_record(self.books, identity)
            shutil.rmtree(self.back, ignore_errors=True)

    def _put(self, path: str, digest: str, file: OutputFile) -> ManifestEntry | None:
        target = f"{self.back}/{path}"
        if self.is_current(path, digest):
            _link_or_copy(f"{self.output}/{path}", target)
        elif file.content is not None:
            write_file(self.back, path, file.content)
        elif file.copy_from is not None:
            (_link_or_copy if file.cached else _replace_with_copy)(file.copy_from, target)
        else:
            raise OutputError(f"{path}: nothing to write (a bug in sitegen)")
        return _stamp(target, digest)

    def holds_exactly(self, files: Sequence[OutputFile]) -> bool:
        """Whether output/ already is exactly these files, so nothing need be written.

        Never so while a twin waits to be cleared: a stopped build's, or (on another
        mount) one that holds the site before.
        """
        if len(files) != len(self.front_made):
            return False
        if os.path.lexists(self.back) and not (self.twin_kept and self._twin_done):
            return False
        if not all(self.is_current(file.path, file.content_digest()) for file in files):
            return False
        if self.keep_tree:
            back_made = self.back_made if self.twin_kept else {}
            self.tree = tree_state(self.books, self.front_made, back_made, self.foreign)
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
        On another mount, the twin is made anew for every build.
        """
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if not (self.twin_kept and self._twin_done):
            self._clear_twin()
            if not self.twin_kept:
                _make_swap_folder(self.back)
            self.back.mkdir(parents=True)
            self.back_made = {}
        identity = _identity(self.back)
        assert identity is not None
        _write_record(self.books, identity, _WRITING)
        self._twin_done = False
        return self.back

    def commit(self, files: Sequence[OutputFile]) -> None:
        """Make the twin hold exactly `files`, then swap it in for output/.

        What output/ holds that sitegen did not make moves across with it. On another
        mount, the site before is then removed.
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
        self.refuse_clashes(wanted)
        entries = {p: e for p, e in wanted.items() if e is not None}
        lines = _manifest_lines(entries)
        identity = _identity(self.back)
        assert identity is not None
        if not self.output.exists():
            _write_record(self.books, identity, _DONE, lines.values())
            os.rename(self.back, self.output)
            _remove_swap_folder(self.back, self.twin_kept)
            self._front_sizes.clear()
            self.stamps = folder_stamps(self.output, made_folders(entries))
            if self.keep_tree:
                self.tree = tree_state(self.books, entries, {}, self.foreign, lines)
            return
        before = self.front_made
        _match_mode(self.back, self.output)
        _swap(self.books, self.back, identity, self.foreign, lines.values())
        if not self.twin_kept:
            _empty_tree(self.books, self.back, before)
            _remove_swap_folder(self.back, kept=False)
        self._front_sizes.clear()
        self.stamps = folder_stamps(self.output, made_folders(entries))
        if self.keep_tree:
            self.tree = tree_state(self.books, entries, before, self.foreign, lines)


@dataclass(frozen=True, slots=True)
class TreeState:
    """What output/ and its twin hold after a commit, for a commit of a few changes.

    `made` is output/'s record; `lag` the paths where the site before (the twin, where it is
    kept) differs from output/; `stamp` that of output/'s record, to notice another writer.
    """

    books: OutputBooks
    made: Mapping[str, ManifestEntry]
    """In path order."""
    lag: frozenset[str]
    foreign: tuple[str, ...]
    stamp: RecordStamp
    top: frozenset[str]
    """The names at output/'s top that sitegen made (or holds things it made in)."""
    lines: Mapping[str, str]
    """Each line of output/'s record, by path, in path order."""

    @property
    def output(self) -> Path:
        """The output folder."""
        return self.books.output


def tree_state(
    books: OutputBooks,
    made: Mapping[str, ManifestEntry],
    back_made: Mapping[str, ManifestEntry],
    foreign: Iterable[str],
    lines: Mapping[str, str] | None = None,
) -> TreeState | None:
    """The state of output/ holding `made`, the site before (its twin) holding `back_made`.

    `lines` are the record's lines of `made` where already made. None where output/ has no
    record.
    """
    stamp = _record_stamp(books, books.output)
    if stamp is None:
        return None
    lag = {p for p, entry in made.items() if back_made.get(p) != entry}
    lag.update(p for p in back_made if p not in made)
    lines = lines if lines is not None else _manifest_lines(made)
    ordered = {path: made[path] for path in lines}
    return TreeState(
        books, ordered, frozenset(lag), tuple(foreign), stamp, _top_names(ordered), lines
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


def twin_stamp(books: OutputBooks) -> RecordStamp | None:
    """The stamp of the record of output/'s twin (None: no twin, or no record of it)."""
    return _record_stamp(books, twin_place(books).path)


def as_left(state: TreeState, folders: Mapping[str, int], twin: RecordStamp | None) -> bool:
    """Whether output/ and its twin are as a build left them.

    Both records as they were (the twin's done), every file sitegen made in output/ at its
    size, and no file added to or removed from any of `folders` (their times as they were).
    """
    books = state.books
    if _record_stamp(books, books.output) != state.stamp or twin_stamp(books) != twin:
        return False
    if twin is not None and _record_state(books, twin[0]) != _DONE:
        return False
    root = str(books.output)
    if any(_size_of(f"{root}/{path}") != entry.size for path, entry in state.made.items()):
        return False
    return folder_stamps(books.output, folders) == folders


def swap_in_changes(state: TreeState, changes: Mapping[str, OutputFile | None]) -> TreeState | None:
    """Swap in a site that differs from output/ by a few files (None: removed).

    The twin is brought up to the site now in output/ (the paths in `lag`, or every file
    where there is no twin yet), the changes are written into it and the two are swapped
    in one step, as a full commit does, without walking the site. None where output/ or its
    twin are not as `state` says (another build wrote them, or one was stopped): then
    nothing was written, and a full commit is needed. Holds output/'s lock.
    """
    with writing(state.books):
        return _swap_in_changes(state, changes)


def _swap_in_changes(
    state: TreeState, changes: Mapping[str, OutputFile | None]
) -> TreeState | None:
    books = state.books
    output = books.output
    if _record_stamp(books, output) != state.stamp:
        return None
    place = twin_place(books)
    back = place.path
    twin = _identity(back)
    if twin is not None and (not place.kept or _record_state(books, twin) != _DONE):
        return None
    made = dict(state.made)
    lines = dict(state.lines)
    top = state.top
    foreign = [p for p in state.foreign if os.path.lexists(output / p)]
    with os.scandir(output) as entries:
        for entry in entries:
            name = entry.name
            if name not in top and name not in foreign:
                foreign.append(name)
    _refuse_clashes(output, foreign, changes)
    behind: Iterable[str] = state.lag
    if twin is None:  # a twin made now: it needs every file
        if not place.kept:
            _make_swap_folder(back)
        back.mkdir(parents=True)
        twin = _identity(back)
        assert twin is not None
        behind = made.keys()
    _write_record(books, twin, _WRITING)
    _bring_up_to_date(back, output, made, set(behind) - changes.keys())
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
            (_link_or_copy if file.cached else _replace_with_copy)(file.copy_from, back / path)
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
    _match_mode(back, output)
    _swap(books, back, twin, foreign, lines.values())
    if not place.kept:
        _empty_tree(books, back, state.made)
        _remove_swap_folder(back, kept=False)
    stamp = _record_stamp(books, output)
    assert stamp is not None
    return TreeState(books, made, frozenset(changes), tuple(foreign), stamp, top, lines)


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

    Nothing to do where the twin is not kept (on another mount). None where output/ is not
    as `state` says. Holds output/'s lock.
    """
    if not state.lag or not twin_place(state.books).kept:
        return state
    with writing(state.books):
        return _catch_up_twin(state)


def _catch_up_twin(state: TreeState) -> TreeState | None:
    books = state.books
    if _record_stamp(books, books.output) != state.stamp:
        return None
    back = twin_place(books).path
    twin = _identity(back)
    behind: Iterable[str] = state.lag
    if twin is None:
        back.mkdir(parents=True)
        twin = _identity(back)
        assert twin is not None
        behind = state.made.keys()
    elif _record_state(books, twin) != _DONE:
        return None
    _write_record(books, twin, _WRITING)
    _bring_up_to_date(back, books.output, state.made, behind)
    _write_record(books, twin, _DONE, state.lines.values())
    return dataclasses.replace(state, lag=frozenset())
