"""Pickling for sitegen's own frozen dataclasses, faster than their generated state methods.

Slotted frozen dataclasses pickle through methods that look up their fields on every call;
here each class's field names are looked up once and read with one attrgetter.
"""

from __future__ import annotations

import dataclasses
import io
import operator
import pickle
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

_Reduction = tuple[Callable[..., Any], tuple[Any, ...]]
_getters: dict[type, Callable[[Any], Any] | None] = {}


def restore(cls: type, names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    """Rebuild a frozen dataclass instance from its field values."""
    instance: Any = object.__new__(cls)
    for name, value in zip(names, values, strict=True):
        object.__setattr__(instance, name, value)
    return instance


def _reduce_dataclass(obj: Any) -> _Reduction | None:
    cls = type(obj)
    getter = _getters.get(cls, operator.not_)
    if getter is operator.not_:
        getter = None
        if dataclasses.is_dataclass(cls):
            names = tuple(f.name for f in dataclasses.fields(cls))
            read = operator.attrgetter(*names) if names else (lambda _: ())
            single = len(names) == 1

            def getter(
                value: Any, read: Any = read, names: Any = names, single: Any = single
            ) -> Any:
                values = read(value)
                return names, ((values,) if single else values)

        _getters[cls] = getter
    if getter is None:
        return None
    names, values = getter(obj)
    return restore, (cls, names, values)


class FastPickler(pickle.Pickler):
    """A pickler that reduces dataclasses quickly and mapping proxies as dicts."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)

    def reducer_override(self, obj: Any) -> Any:
        """Reduce dataclasses by their fields; leave the rest to pickle."""
        if type(obj) is MappingProxyType:
            return dict, (dict(obj),)
        reduction = _reduce_dataclass(obj)
        return NotImplemented if reduction is None else reduction


def dumps(value: object) -> bytes:
    """Pickle a value with FastPickler."""
    buffer = io.BytesIO()
    FastPickler(buffer).dump(value)
    return buffer.getvalue()
