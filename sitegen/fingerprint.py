"""Fingerprints of what a page is made from, so a rebuild renders only what changed.

Equal fingerprints mean equal inputs. A value is fingerprinted through its pickle; values
shared by many pages (a report shown on every list it belongs to) are fingerprinted once
and stand in the others by their digest.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from typing import Any

from sitegen.pickling import FastPickler

DIGEST_SIZE = 16


class Unfingerprintable(TypeError):
    """A value fingerprints do not cover (it cannot be pickled); its page is always rendered."""


def _shared_value(digest: bytes) -> bytes:
    return digest


class _SharingPickler(FastPickler):
    def __init__(self, file: io.BytesIO, shared: dict[int, tuple[object, bytes]]) -> None:
        super().__init__(file)
        self._shared = shared
        # Without the memo, equal values pickle to equal bytes whether or not they are the
        # same objects (a cached report and a freshly read one share strings differently).
        self.fast = True

    def reducer_override(self, obj: Any) -> Any:
        found = self._shared.get(id(obj))
        if found is not None and found[0] is obj:
            return _shared_value, (found[1],)
        return super().reducer_override(obj)


class Fingerprinter:
    """Fingerprints values; shared values are hashed once."""

    def __init__(self) -> None:
        self._shared: dict[int, tuple[object, bytes]] = {}

    def digest(self, value: object) -> bytes:
        """The fingerprint of one value (shared values inside it count by their digest)."""
        buffer = io.BytesIO()
        try:
            _SharingPickler(buffer, self._shared).dump(value)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as error:
            raise Unfingerprintable(str(error)) from None
        return hashlib.blake2b(buffer.getbuffer(), digest_size=DIGEST_SIZE).digest()

    def share(self, value: object, digest: bytes | None = None) -> bytes:
        """Fingerprint a value that many others hold, once; return its digest.

        A digest known to stand for the value may be given instead of computing one.
        """
        found = self._shared.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        if digest is None:
            digest = self.digest(value)
        self._shared[id(value)] = (value, digest)
        return digest
