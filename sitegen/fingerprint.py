"""Fingerprints of what a page is made from, so a rebuild renders only what changed.

Equal fingerprints mean equal inputs. A value is fingerprinted through its pickle; values
shared by many pages (a report shown on every list it belongs to) are fingerprinted once
and stand in the others by their digest.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from dataclasses import dataclass
from typing import Any

from sitegen.pickling import REDUCERS, FastPickler, Reducer, Reducers

DIGEST_SIZE = 16


class Unfingerprintable(TypeError):
    """A value fingerprints do not cover (it cannot be pickled); its page is always rendered."""


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A value's digest, standing in for the value inside another one."""

    digest: bytes


def _shared_value(digest: bytes) -> bytes:
    return digest


class _SharingReducers(Reducers):
    """Reducers that put a shared value's digest in its place."""

    def __init__(self, shared: dict[int, tuple[object, bytes]]) -> None:
        super().__init__()
        self._shared = shared

    def __missing__(self, cls: type) -> Reducer:
        reducer = self[cls] = REDUCERS[cls]
        return reducer

    def share_instances_of(self, cls: type) -> None:
        """Look up each instance of the class among the shared values before reducing it."""
        plain = REDUCERS[cls]
        shared = self._shared

        def reduce(value: Any) -> Any:
            found = shared.get(id(value))
            if found is not None and found[0] is value:
                return _shared_value, (found[1],)
            return plain(value)

        self[cls] = reduce


class Fingerprinter:
    """Fingerprints values; shared values are hashed once."""

    def __init__(self) -> None:
        self._shared: dict[int, tuple[object, bytes]] = {}
        self._shared_types: set[type] = set()
        self._reducers = _SharingReducers(self._shared)
        self._buffer = io.BytesIO()
        self._pickler = self._new_pickler()

    def _new_pickler(self) -> FastPickler:
        pickler = FastPickler(self._buffer, self._reducers)
        # Without the memo, equal values pickle to equal bytes whether or not they are the
        # same objects (a cached report and a freshly read one share strings differently).
        pickler.fast = True
        return pickler

    def digest(self, value: object) -> bytes:
        """The fingerprint of one value (shared values inside it count by their digest)."""
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        try:
            self._pickler.dump(value)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as error:
            # A dump that failed midway may leave the pickler in its middle: start anew.
            self._pickler = self._new_pickler()
            raise Unfingerprintable(str(error)) from None
        return hashlib.blake2b(buffer.getbuffer(), digest_size=DIGEST_SIZE).digest()

    def share(self, value: object, digest: bytes | None = None) -> bytes:
        """Fingerprint a value that many others hold, once; return its digest.

        A digest known to stand for the value may be given instead of computing one. Plain
        containers (tuples, lists, dicts) are not looked up inside other values: put a
        Fingerprint in their place.
        """
        found = self._shared.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        if digest is None:
            digest = self.digest(value)
        self._shared[id(value)] = (value, digest)
        cls = type(value)
        if cls not in self._shared_types:
            self._shared_types.add(cls)
            self._reducers.share_instances_of(cls)
        return digest
