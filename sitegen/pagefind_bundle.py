"""Pagefind's bundles made byte-identical from run to run.

Pagefind writes its filter lists, and so the metadata naming them, in an order that changes
from run to run (Pagefind/pagefind#638). To keep builds byte-identical, those files are
decoded (gzip, a signature, CBOR), put in order, and written back under new names. Each
file is first checked to decode and encode back to the very same bytes; one that does not
is left as Pagefind wrote it, which still works, only not byte for byte.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def sort_bundle(bundle: Path) -> None:
    """Put the parts of a Pagefind bundle that it writes in a changing order in order."""
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
