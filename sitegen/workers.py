"""Run a function over many items on every core, with results in input order.

Workers are forked, so the items and the function reach them without pickling; only
results travel back. Where fork is not available, or the work is small, it runs here.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS_PER_PROCESS = 100
"""Below this many items per core, forking costs more than it saves."""

_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _start_worker() -> None:
    """Workers leave Ctrl-C to the main process, which stops them, and a `kill` ends them.

    SIGTERM gets its default action back: a handler inherited from the parent (sitegen
    serve's) runs only between bytecodes, and a worker waiting for its next task in a
    lock may never get there, leaving the pool waiting for it for ever. They collect
    their own garbage, never looking at what they inherited: the collector would write
    into every inherited object, copying the parent's memory page by page.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.freeze()
    gc.enable()


@contextlib.contextmanager
def long_lived_data() -> Iterator[None]:
    """Make data that lives as long as the build, then leave it out of garbage collection.

    The cyclic garbage collector scans every object it tracks again and again as more are
    made; data made here (hundreds of thousands of reports' objects, which hold no
    cycles) is made with the collector paused and frozen (`gc.freeze`) once made, so it
    is never scanned. In a process that froze data before (the dev server's next build),
    that data is unfrozen and the collector left running, so what the last build let go
    is collected as usual.
    """
    paused = gc.isenabled() and gc.get_freeze_count() == 0
    gc.unfreeze()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if paused:
            gc.enable()


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
        with context.Pool(count, initializer=_start_worker) as pool:
            for part in pool.imap(_run_chunk, bounds):
                results.extend(part)
                if progress is not None:
                    progress(len(results), len(items))
        return results
    finally:
        _work = None
