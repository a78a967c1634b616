"""The persistent cache under .sitegen-cache/: loaded reports by file, safe to delete.

It is keyed by sitegen's version and code, the libraries that read reports, and the
settings loading a report reads (the memo of an output folder, by the whole
configuration), and checksummed, so a cache made otherwise, or a damaged one, is never
used: it is rebuilt.

It also holds, in `outputs/<tag>/` (`output_books`), what sitegen keeps for each output
folder and never publishes: its lock, its twin and the records of what it made there (see
sitegen.output). Deleting the cache loses those records: a build then refuses an output
folder that is not empty, touching nothing in it, until it is emptied.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import hashlib
import os
import pickle
import sys
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import babel
import markdown_it
import mdit_py_plugins
import nh3
import yaml

from sitegen import __version__
from sitegen.config import BuildOptions, SiteConfig
from sitegen.diagnostics import Diagnostic
from sitegen.fingerprint import Fingerprinter
from sitegen.model import Report
from sitegen.output import OutputBooks, RecordStamp, TreeState
from sitegen.pickling import FastPickler, dumps

CACHE_DIR = ".sitegen-cache"
REPORTS_FILE = "reports.pickle"
FORMAT = 3
_MAGIC = b"sitegen-cache\n"
_CHECKSUM_SIZE = 4
_KEY_SIZE = 16


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What stat says of a file: enough to tell it has not changed."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        """The stamp of a file, or None where there is no file."""
        try:
            stat = path.stat()
        except OSError:
            return None
        return cls.of_stat(stat)

    @classmethod
    def of_stat(cls, stat: os.stat_result) -> FileStamp:
        """The stamp of what `os.stat` said."""
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ino)


@dataclass(frozen=True, slots=True)
class ReadFile:
    """A file a report was loaded from: its stamp, and the digest of the bytes read."""

    path: str
    stamp: FileStamp | None
    """None where there was no file."""
    digest: str
    """The digest of its bytes (of its text, for a report file: without a byte-order mark)."""

    @classmethod
    def of(cls, path: Path) -> ReadFile:
        """The file as it is now: stamped first, then read (so a change between is seen later)."""
        stamp = FileStamp.of(path)
        try:
            raw = path.read_bytes()
        except OSError:
            return cls(str(path), stamp, "")
        return cls(str(path), stamp, bytes_digest(raw.removeprefix(codecs.BOM_UTF8)))

    def is_current(self) -> bool:
        """Whether the file's stamp is as it was."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return self.stamp is None
        stamp = self.stamp
        return stamp is not None and (stat.st_size, stat.st_mtime_ns, stat.st_ino) == (
            stamp.size,
            stamp.mtime_ns,
            stamp.inode,
        )


def bytes_digest(data: bytes) -> str:
    """The digest that stands for a file's bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class LoadedReport:
    """One report file as loaded, and the files it was loaded from.

    `report` is None where the file has errors; `diagnostics` says what loading found.
    """

    key: str
    report: Report | None
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[ReadFile, ...]
    """The report file and each file it reads (its image)."""

    def is_current(self) -> bool:
        """Whether every file it was loaded from has the stamp it had."""
        return all(file.is_current() for file in self.files)

    def restamped(self) -> LoadedReport | None:
        """The same with its files' stamps as they are now, where only their stamps changed.

        A checkout writes every file anew, with the same bytes; None where a file's bytes
        changed.
        """
        files = []
        for file in self.files:
            now = file if file.is_current() else ReadFile.of(Path(file.path))
            if now.digest != file.digest:
                return None
            files.append(now)
        return dataclasses.replace(self, files=tuple(files))


@functools.cache
def code_digest() -> bytes:
    """A digest of sitegen's own source, so a cache never outlives the code that wrote it."""
    hasher = hashlib.blake2b(digest_size=16)
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        hasher.update(path.relative_to(package).as_posix().encode() + b"\0")
        hasher.update(path.read_bytes())
    return hasher.digest()


def cache_key(config: SiteConfig) -> bytes:
    """What a cache must have been made with to be used.

    sitegen's version, the cache's format and the site's configuration.
    """
    return Fingerprinter().digest((__version__, FORMAT, code_digest(), config))


def _library_versions() -> tuple[str, ...]:
    """The versions of Python and of the libraries whose output a loaded report holds."""
    return (
        sys.version,
        markdown_it.__version__,
        mdit_py_plugins.__version__,
        str(getattr(nh3, "__version__", "")),
        yaml.__version__,
        babel.__version__,
    )


def report_cache_key(config: SiteConfig) -> bytes:
    """What the report cache must have been made with to be used.

    sitegen's version and code, the cache's format, the libraries that read and render a
    report, and exactly the settings loading a report reads: where the files are (root,
    content_dir; static/ for images), the languages a file name may carry, the time zone,
    the taxonomies, the report URL pattern, base_url's path (links in bodies follow it)
    and allow_raw_html. Nothing else: the dev server's base_url on another origin reuses it.
    """
    loading_reads = (
        str(config.root),
        config.content_dir,
        config.language,
        config.language_codes,
        config.timezone,
        config.taxonomies,
        config.permalinks.report,
        config.base_path,
        config.allow_raw_html,
    )
    return Fingerprinter().digest(
        (__version__, FORMAT, code_digest(), _library_versions(), loading_reads)
    )


class CacheProblem(Exception):
    """The cache file cannot be used (missing, damaged, from another version or config)."""

    def __init__(self, message: str, *, worth_saying: bool = True) -> None:
        super().__init__(message)
        self.worth_saying = worth_saying


class CacheFromElsewhere(CacheProblem):
    """The cache file was made by another sitegen version, configuration or options."""


def _checksum(payload: bytes | memoryview) -> bytes:
    """A CRC-32 of the payload: catches a damaged file, at a quarter of a hash's time."""
    return zlib.crc32(payload).to_bytes(_CHECKSUM_SIZE, "big")


def _read_blob(path: Path, key: bytes) -> object:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CacheProblem("no cache yet", worth_saying=False) from None
    except OSError as error:
        raise CacheProblem(f"cannot read {path}: {error.strerror}") from None
    head = len(_MAGIC)
    key_at = head + _CHECKSUM_SIZE
    payload_at = key_at + _KEY_SIZE
    if not data.startswith(_MAGIC) or len(data) < payload_at:
        raise CacheProblem(f"{path} is not a sitegen cache")
    view = memoryview(data)
    checksum, stored_key, payload = view[head:key_at], view[key_at:payload_at], view[payload_at:]
    if _checksum(payload) != checksum:
        raise CacheProblem(f"{path} is damaged")
    if stored_key != key:
        raise CacheFromElsewhere("the cache is from another sitegen version or configuration")
    try:
        return pickle.loads(payload)
    except Exception as error:  # any unpickling failure means a bad cache
        raise CacheProblem(f"{path} cannot be read: {error}") from None


class SaveStopped(Exception):
    """A cache file's writing was stopped part-way: the file is as it was."""


def _write_blob(
    folder: Path, name: str, key: bytes, value: object, stop: Callable[[], bool] | None = None
) -> None:
    """Write a cache file whole or not at all; SaveStopped once `stop()` says so, part-way."""
    folder.mkdir(parents=True, exist_ok=True)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n", encoding="utf-8")
    temporary = folder / f"{name}.{os.getpid()}.tmp"
    try:
        with temporary.open("wb") as file:
            file.write(_MAGIC + bytes(_CHECKSUM_SIZE) + key)
            payload = _ChecksummedWriter(file, stop)
            FastPickler(payload).dump(value)  # straight to the file: no copy of it in memory
            file.seek(len(_MAGIC))
            file.write(payload.checksum())
        temporary.replace(folder / name)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class _ChecksummedWriter:
    """Writes to a file, keeping the CRC-32 of what it wrote (as `_checksum` gives)."""

    def __init__(self, file: BinaryIO, stop: Callable[[], bool] | None = None) -> None:
        self.file = file
        self.stop = stop
        """Asked before each write (a pickle's frame, 64 KiB): True stops the writing."""
        self._crc = 0

    def write(self, data: bytes, /) -> int:
        """Write bytes, and add them to the checksum (SaveStopped where told to stop)."""
        if self.stop is not None and self.stop():
            raise SaveStopped
        self._crc = zlib.crc32(data, self._crc)
        return self.file.write(data)

    def checksum(self) -> bytes:
        """The checksum of everything written."""
        return self._crc.to_bytes(_CHECKSUM_SIZE, "big")


REPORT_SHARDS = 64
"""Loaded reports are kept in this many files, so one edit rewrites one small file.

Each file holds a dict of report key -> that report's LoadedReport pickled on its own, so
what loading workers send can be stored as it came.
"""


def _shard_of(key: str) -> int:
    return hashlib.blake2b(key.encode(), digest_size=2).digest()[0] % REPORT_SHARDS


def _shard_name(shard: int) -> str:
    return f"{REPORTS_FILE}.{shard:02d}"


def load_report_cache(config: SiteConfig) -> tuple[dict[str, LoadedReport], list[CacheProblem]]:
    """The cached reports, by key, and the problems of the parts that could not be used."""
    folder = config.root / CACHE_DIR
    entries: dict[str, LoadedReport] = {}
    problems: list[CacheProblem] = []
    key = report_cache_key(config)
    for shard in range(REPORT_SHARDS):
        path = folder / _shard_name(shard)
        try:
            found = _read_blob(path, key)
        except CacheProblem as problem:
            problems.append(problem)
            continue
        if not isinstance(found, dict):
            problems.append(CacheProblem(f"{path} holds no reports"))
            continue
        try:
            part = {name: pickle.loads(data) for name, data in found.items()}
        except Exception as error:  # any unpickling failure means a bad cache
            problems.append(CacheProblem(f"{path} cannot be read: {error}"))
            continue
        entries.update(part)
    return entries, problems


def save_report_cache(
    config: SiteConfig,
    entries: Mapping[str, LoadedReport],
    changed: Iterable[str],
    pickled: Mapping[str, bytes] | None = None,
    stop: Callable[[], bool] | None = None,
) -> None:
    """Rewrite (atomically) the parts of the report cache that hold changed keys.

    `pickled` gives entries already pickled (as workers send them), kept as they are.
    SaveStopped where `stop()` says so (each part is then written whole or not at all).
    """
    shards = {_shard_of(key) for key in changed}
    if not shards:
        return
    if stop is not None and stop():
        raise SaveStopped
    pickled = pickled or {}
    grouped: dict[int, dict[str, bytes]] = {shard: {} for shard in shards}
    for name, entry in entries.items():
        shard = _shard_of(name)
        if shard in grouped:
            data = pickled.get(name)
            grouped[shard][name] = dumps(entry) if data is None else data
    key = report_cache_key(config)
    for shard, part in grouped.items():
        _write_blob(config.root / CACHE_DIR, _shard_name(shard), key, part, stop)


PageMemo = dict[str, tuple[str, str]]
"""Output path -> (digest of the file's inputs, digest of the bytes they made)."""


@dataclass(frozen=True, slots=True)
class OutputMemo:
    """What sitegen knows of an output folder it wrote.

    What each file was made from, and the times of its folders then (so the next build
    lists only the folders changed since).
    """

    pages: PageMemo
    folders: dict[str, int]
    foreign: tuple[str, ...] = ()
    """What output/ held that sitegen did not make."""
    tree: TreeState | None = None
    """What output/ and its twin held (where the build kept it), for a build of a few changes."""
    twin: RecordStamp | None = None
    """The stamp of the twin's record then, to tell that nothing touched the twin since."""


def _output_tag(output: Path) -> str:
    """What names an output folder's files in the cache."""
    return hashlib.blake2b(str(output.resolve()).encode(), digest_size=8).hexdigest()


def output_books(config: SiteConfig, output: Path) -> OutputBooks:
    """Where sitegen keeps what it knows of an output folder, in the site's cache.

    Its lock, its twin where the cache is on its mount, and the records of what it made.
    """
    folder = (config.root / CACHE_DIR).absolute() / "outputs" / _output_tag(output)
    return OutputBooks(output.absolute(), folder)


def _memo_name(output: Path) -> str:
    return f"output-{_output_tag(output)}.pickle"


def load_output_memo(config: SiteConfig, output: Path) -> OutputMemo:
    """What sitegen knows of an output folder; empty where it knows nothing."""
    try:
        memo = _read_blob(config.root / CACHE_DIR / _memo_name(output), cache_key(config))
    except CacheProblem:
        return OutputMemo({}, {})
    return memo if isinstance(memo, OutputMemo) else OutputMemo({}, {})


def save_output_memo(
    config: SiteConfig, output: Path, memo: OutputMemo, stop: Callable[[], bool] | None = None
) -> None:
    """Remember what sitegen wrote into an output folder (SaveStopped where told to stop)."""
    _write_blob(config.root / CACHE_DIR, _memo_name(output), cache_key(config), memo, stop)


def _saved_build_name(output: Path) -> str:
    return f"build-{_output_tag(output)}.pickle"


def saved_build_key(config: SiteConfig, options: BuildOptions) -> bytes:
    """What a saved build must have been made with to be started from.

    Not `strict`, which changes what the build says, not what it makes.
    """
    made_with = dataclasses.replace(options, strict=False)
    return Fingerprinter().digest((cache_key(config), report_cache_key(config), made_with))


def load_saved_build(config: SiteConfig, output: Path, key: bytes) -> object:
    """The build saved for an output folder with this key; CacheProblem where there is none."""
    return _read_blob(config.root / CACHE_DIR / _saved_build_name(output), key)


def save_build(config: SiteConfig, output: Path, key: bytes, saved: object) -> None:
    """Save a build for an output folder, for the next build to start from."""
    _write_blob(config.root / CACHE_DIR, _saved_build_name(output), key, saved)
