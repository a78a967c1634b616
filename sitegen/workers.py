"""Run a function over many items on every core, with results in input order.

Workers are forked, so the items and the function reach them without pickling; only
results travel back. Where fork is not available, or the work is small, it runs here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS_PER_PROCESS = 100
"""Below this many items per core, forking costs more than it saves."""

_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the main process, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _work is not None
    function, items = _work
    return [function(items[i]) for i in range(*bounds)]


def process_count() -> int:
    """How many processes to use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parallel_map(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    processes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """`[function(item) for item in items]`, spread over processes where it pays."""
    global _work
    count = processes or process_count()
    if (
        count < 2
        or len(items) < MIN_ITEMS_PER_PROCESS * 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        serial = []
        for done, item in enumerate(items, 1):
            serial.append(function(item))
            if progress is not None and done % 100 == 0:
                progress(done, len(items))
        return serial
    chunk = max(20, min(500, len(items) // (count * 8) or 1))
    bounds = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    _work = (function, items)
    try:
        context = multiprocessing.get_context("fork")
        results: list[R] = []
        with context.Pool(count, initializer=_ignore_interrupts) as pool:
            for part in pool.imap(_run_chunk, bounds):
                results.extend(part)
                if progress is not None:
                    progress(len(results), len(items))
        return results
    finally:
        _work = None
