"""Pickling for sitegen's own frozen dataclasses, faster than their generated state methods.

Slotted frozen dataclasses pickle through methods that look up their fields on every call;
here each class's field names are looked up once and read with one attrgetter. Where the
class's `__init__` takes every field in order (sitegen's classes do), an instance is
pickled as a call of the class with its field values: smaller, and quicker to load. The
reducers sit in the picklers' dispatch table, so pickle calls back into Python once per
instance and never for the classes it names.
"""

from __future__ import annotations

import copyreg
import dataclasses
import functools
import io
import operator
import pickle
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol


class Writable(Protocol):
    """Where a pickle is written."""

    def write(self, data: bytes, /) -> int:
        """Write bytes; return how many."""
        ...


_Reduction = tuple[Callable[..., Any], tuple[Any, ...]] | str | tuple[Any, ...]
Reducer = Callable[[Any], _Reduction]
PROTOCOL = pickle.HIGHEST_PROTOCOL


def restore(cls: type, names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    """Rebuild a frozen dataclass instance from its field values."""
    instance: Any = object.__new__(cls)
    for name, value in zip(names, values, strict=True):
        object.__setattr__(instance, name, value)
    return instance


def _takes_fields_in_order(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> bool:
    """Whether `cls(*values)` rebuilds an instance exactly: no hooks, every field positional."""
    return not hasattr(cls, "__post_init__") and all(f.init and not f.kw_only for f in fields)


def mapping_proxy(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only view of a dict (mapping proxies cannot be pickled as they are)."""
    return MappingProxyType(mapping)


def _reduce_mapping_proxy(proxy: Any) -> _Reduction:
    return mapping_proxy, (dict(proxy),)


@functools.lru_cache(maxsize=1 << 16)
def path_of(text: str) -> Path:
    """The path a text names; one object for each text, as paths repeat (a report's file)."""
    return Path(text)


def _reduce_path(path: Path) -> _Reduction:
    return path_of, (str(path),)


def _reduce_class(cls: Any) -> _Reduction:
    return str(cls.__qualname__)


def _reduce_as_pickle_would(obj: Any) -> _Reduction:
    return obj.__reduce_ex__(PROTOCOL)  # type: ignore[no-any-return]


def _dataclass_reducer(cls: type) -> Reducer:
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    if not names:
        return lambda value: (cls, ())
    read = operator.attrgetter(*names)
    if _takes_fields_in_order(cls, fields):
        if len(names) == 1:
            return lambda value: (cls, (read(value),))
        return lambda value: (cls, read(value))
    if len(names) == 1:
        return lambda value: (restore, (cls, names, (read(value),)))
    return lambda value: (restore, (cls, names, read(value)))


def make_reducer(cls: type) -> Reducer:
    """How to reduce an instance of a class: by its fields for a dataclass, else as pickle would."""
    if cls is MappingProxyType:
        return _reduce_mapping_proxy
    if cls is type(Path()):  # parsed once from its text, not from its parts each time
        return _reduce_path
    if issubclass(cls, type):  # a class with a metaclass (an Enum): by its name
        return _reduce_class
    if dataclasses.is_dataclass(cls):
        return _dataclass_reducer(cls)
    found: Reducer | None = copyreg.dispatch_table.get(cls)
    return found or _reduce_as_pickle_would


class Reducers(dict[type, Reducer]):
    """A pickler's dispatch table that makes each class's reducer when first asked."""

    def __missing__(self, cls: type) -> Reducer:
        """Make, keep and return the reducer of a class not seen before."""
        reducer = self[cls] = make_reducer(cls)
        return reducer


REDUCERS = Reducers()
"""The reducers every FastPickler shares."""


class FastPickler(pickle.Pickler):
    """A pickler that reduces dataclasses quickly, and mapping proxies through their dicts."""

    def __init__(self, file: Writable, reducers: Reducers = REDUCERS) -> None:
        self.dispatch_table = reducers
        super().__init__(file, protocol=PROTOCOL)


def dumps(value: object) -> bytes:
    """Pickle a value with FastPickler."""
    buffer = io.BytesIO()
    FastPickler(buffer).dump(value)
    return buffer.getvalue()
