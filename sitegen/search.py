"""Full-text search: Pagefind indexes the rendered pages in the folder about to go live.

Reports mark what is indexed (`data-pagefind-body`, `-meta`, `-filter`); Pagefind writes its
index and its default search UI under `pagefind/`, split by each page's `<html lang>`. It
runs on the folder output.py then swaps in for output/, so readers never see pages without
their index, and a failure leaves output/ as it was. The dev server's site is indexed
apart, in the background, by `SearchIndexer`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sitegen.config import SiteConfig
from sitegen.errors import SitegenError

BUNDLE_FOLDER = "pagefind"
"""Where Pagefind writes its index and UI, under the site's root."""
UI_FILES = ("pagefind/pagefind-ui.js", "pagefind/pagefind-ui.css")
"""The files the search page loads, for link checks made before Pagefind has run."""
TIMEOUT = 600
"""Seconds Pagefind may take before the build gives up."""
SEARCH_DELAY_SECONDS = 1.0
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


# Pagefind writes its filter lists, and so the metadata naming them, in an order that changes
# from run to run (Pagefind/pagefind#638). To keep builds byte-identical, those files are
# decoded (gzip, a signature, CBOR), put in order, and written back under new names. Each
# file is first checked to decode and encode back to the very same bytes; one that does not
# is left as Pagefind wrote it, which still works, only not byte for byte.

_SIGNATURE = b"pagefind_dcd"


class _Unexpected(ValueError):
    """A Pagefind file this code does not understand; it is left alone."""


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + value.to_bytes(size, "big")
    raise _Unexpected("integer too large")


def _cbor_encode(value: Any) -> bytes:
    if isinstance(value, bool) or value is None:
        return bytes([0xF5 if value is True else 0xF4 if value is False else 0xF6])
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return _cbor_head(3, len(encoded)) + encoded
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(_cbor_encode(v) for v in value)
    raise _Unexpected(f"cannot encode {type(value).__name__}")


def _cbor_decode(data: bytes, at: int) -> tuple[Any, int]:
    first = data[at]
    major, extra = first >> 5, first & 31
    at += 1
    if extra < 24:
        value = extra
    elif extra <= 27:
        size = 1 << (extra - 24)
        value, at = int.from_bytes(data[at : at + size], "big"), at + size
    else:
        raise _Unexpected("indefinite lengths are not expected")
    if major == 0:
        return value, at
    if major == 1:
        return -1 - value, at
    if major in (2, 3):
        chunk = data[at : at + value]
        return (chunk if major == 2 else chunk.decode("utf-8")), at + value
    if major == 4:
        items = []
        for _ in range(value):
            item, at = _cbor_decode(data, at)
            items.append(item)
        return items, at
    if major == 7 and value in (20, 21, 22):
        return {20: False, 21: True, 22: None}[value], at
    raise _Unexpected(f"CBOR major type {major} is not expected")


def _read_bundle_file(path: Path) -> Any:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(_SIGNATURE):
        raise _Unexpected("no signature")
    value, end = _cbor_decode(raw, len(_SIGNATURE))
    if end != len(raw) or _SIGNATURE + _cbor_encode(value) != raw:
        raise _Unexpected("does not encode back to the same bytes")
    return value


def _write_bundle_file(path_of: Callable[[str], Path], lang: str, digits: int, value: Any) -> str:
    """Write value as a Pagefind file named by its content; return its name (its hash)."""
    data = gzip.compress(_SIGNATURE + _cbor_encode(value), compresslevel=9, mtime=0)
    name = f"{lang}_{hashlib.sha256(data).hexdigest()[:digits]}"
    path_of(name).write_bytes(data)
    return name


def _sorted_language(bundle: Path, old_meta: str) -> str:
    """Rewrite one language's filters and metadata in order; return the metadata's new hash.

    Every file is read and checked before any is written, so a surprise leaves them as they were.
    """
    prefix = old_meta.rsplit("_", 1)[0]

    def meta_path_of(name: str) -> Path:
        return bundle / f"pagefind.{name}.pf_meta"

    def filter_path(name: str) -> Path:
        return bundle / "filter" / f"{name}.pf_filter"

    meta_path = meta_path_of(old_meta)
    meta = _read_bundle_file(meta_path)
    if not (isinstance(meta, list) and len(meta) > 3 and isinstance(meta[3], list)):
        raise _Unexpected("metadata of an unknown shape")
    filters: list[tuple[str, Path, Any]] = []
    for entry in meta[3]:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], str)):
            raise _Unexpected("filter entry of an unknown shape")
        path = filter_path(entry[1])
        content = _read_bundle_file(path)
        if not (isinstance(content, list) and len(content) == 2 and isinstance(content[1], list)):
            raise _Unexpected("filter of an unknown shape")
        values = [
            [v[0], sorted(v[1])] if isinstance(v, list) and isinstance(v[1], list) else v
            for v in sorted(content[1], key=lambda v: str(v[0] if isinstance(v, list) else v))
        ]
        filters.append((entry[0], path, [content[0], values]))
    for _, path, _ in filters:
        path.unlink()
    meta[3] = sorted(
        [name, _write_bundle_file(filter_path, prefix, 7, content)] for name, _, content in filters
    )
    meta_path.unlink()
    return _write_bundle_file(meta_path_of, prefix, 10, meta)


def _sort_bundle(folder: Path) -> None:
    """Put the parts of Pagefind's bundle that it writes in a changing order in order."""
    bundle = folder / BUNDLE_FOLDER
    entry = bundle / "pagefind-entry.json"
    if not entry.is_file():
        return
    data = json.loads(entry.read_text(encoding="utf-8"))
    languages = data.get("languages")
    if isinstance(languages, dict):
        for _, info in sorted(languages.items()):
            try:
                info["hash"] = _sorted_language(bundle, info["hash"])
            except (_Unexpected, OSError, KeyError, TypeError, IndexError, UnicodeError):
                continue
        data["languages"] = dict(sorted(languages.items()))
    entry.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")


def index_site(folder: Path, binary: Path) -> None:
    """Run Pagefind over the pages in folder; its bundle goes to folder/pagefind/."""
    command = [str(binary), "--site", str(folder), "--output-subdir", BUNDLE_FOLDER, "--silent"]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise SearchError(f"Pagefind could not run: {error}", hint=INSTALL_HINT) from None
    if result.returncode != 0:
        said = " ".join((result.stderr + result.stdout).split())[-500:]
        raise SearchError(
            f"Pagefind failed (exit {result.returncode}): {said or 'no message'}",
            hint="set search = false in sitegen.toml to build without search",
        )
    _sort_bundle(folder)


def prepare_search(config: SiteConfig) -> Callable[[Path], None] | None:
    """What to run on the staging folder to index it, or None when search is off.

    Finds Pagefind now, so a missing binary fails the build before any work is done.
    """
    if not config.search:
        return None
    binary = find_pagefind()

    def run(folder: Path) -> None:
        index_site(folder, binary)

    return run


class SearchIndexer:
    """Pagefind over a built site in the background, into `folder`/<n>/ (the dev server's).

    Started after each good build, stopped (the process killed) when the next build starts,
    so the search index never holds up a page. The newest finished index is served at
    `<base path>pagefind/`; the one before it is kept while tabs may still load from it.
    """

    def __init__(
        self,
        folder: Path,
        *,
        delay: float = SEARCH_DELAY_SECONDS,
        on_done: Callable[[float, str | None], None] | None = None,
    ) -> None:
        self.folder = folder
        """Where the indexes are made, one folder each; emptied now."""
        self.delay = delay
        self.on_done = on_done
        self.current: Path | None = None
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._runs = 0
        self._told_missing = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, site: Path) -> None:
        """Index the built site at `site` (after a short delay), stopping any index running."""
        self.cancel()
        self._runs += 1
        self._cancel = threading.Event()
        target = self.folder / str(self._runs)
        self._thread = threading.Thread(
            target=self._run, args=(site, target, self._cancel), daemon=True,
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

    def _run(self, site: Path, target: Path, cancelled: threading.Event) -> None:
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
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [str(binary), "--site", str(site), "--output-path", str(target), "--silent"]
        # At the lowest priority, so that an editor's next save is built at once even while
        # the index is still being made on every core.
        nice = shutil.which("nice")
        if nice is not None:
            command = [nice, "-n", "19", *command]
        with self._lock:
            if cancelled.is_set():
                return
            try:
                process = subprocess.Popen(
                    command,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL,
                    # Its own session: a Ctrl-C in the terminal stops the server, which stops
                    # the index itself, rather than the index failing with the signal.
                    start_new_session=True,
                )
            except OSError as error:
                if self.on_done is not None:
                    self.on_done(0.0, f"Pagefind could not run: {error}")
                return
            self._process = process
        _, stderr = process.communicate()
        with self._lock:
            self._process = None
        if cancelled.is_set():
            # What it wrote is removed after the next index is made, not now: a build is
            # waiting for this thread to end.
            return
        if process.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            if self.on_done is not None:
                said = " ".join(stderr.decode(errors="replace").split())[-300:]
                self.on_done(0.0, f"Pagefind failed (exit {process.returncode}): {said}")
            return
        with self._lock:
            previous, self.current = self.current, target
        for old in self.folder.iterdir():
            if old not in (target, previous):
                shutil.rmtree(old, ignore_errors=True)
        if self.on_done is not None:
            self.on_done(time.perf_counter() - started, None)

    def close(self) -> None:
        """Stop and forget the index."""
        self.cancel()
