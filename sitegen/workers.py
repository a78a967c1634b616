"""Run a function over many items on every core, with results in input order.

Workers are forked, so the items and the function reach them without pickling; only
results travel back. Where fork is not available, or the work is small, it runs here.

Each worker has a pipe of its own to this process, which hands it the next chunk of the
work as it sends back the last. Not `multiprocessing.Pool`: its workers share queues
guarded by locks, and `Pool.terminate`, on Ctrl-C, can kill a worker that holds one and
then wait for that lock for ever (CPython issue 96995). A worker here holds nothing
another waits for, so stopping is killing them all.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS_PER_PROCESS = 100
"""Below this many items per core, forking costs more than it saves."""

_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None

_STOPPING_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _start_worker() -> None:
    """Workers leave Ctrl-C to the main process, which stops them, and a `kill` ends them.

    SIGTERM gets its default action back: a handler inherited from the parent (sitegen
    serve's) runs only between bytecodes, and a worker waiting for its next chunk may
    not get there. They collect their own garbage, never looking at what they inherited:
    the collector would write into every inherited object, copying the parent's memory
    page by page. They are born with both signals held (`_signals_held`): one sent
    meanwhile takes effect here.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING_SIGNALS)
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


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and `kill` while the workers are forked, then act on them.

    A signal handled mid-fork is lost or leaves a worker behind: a KeyboardInterrupt raised
    in the after-fork hooks (logging's) is printed and dropped, and one raised between a
    fork and the worker's place in the list of those to stop leaves that worker waiting for
    work for ever, holding the terminal's pipes. So this thread blocks them (the workers
    inherit the block and lift it once their handlers are set) and, in the main thread,
    the handlers only note them; on the way out the handlers are put back, each whatever
    the others raise, and run for what arrived.
    """
    arrived: list[int] = []
    handlers: dict[int, Callable[[int, Any], Any] | int | None] = {}
    with contextlib.ExitStack() as stack:
        stack.callback(_handle_arrived, arrived, handlers)
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING_SIGNALS)
        stack.callback(signal.pthread_sigmask, signal.SIG_SETMASK, blocked)
        if threading.current_thread() is threading.main_thread():
            for signum in _STOPPING_SIGNALS:
                handlers[signum] = signal.signal(signum, lambda signum, _: arrived.append(signum))
                stack.callback(signal.signal, signum, handlers[signum])
        yield


def _handle_arrived(
    arrived: list[int], handlers: dict[int, Callable[[int, Any], Any] | int | None]
) -> None:
    """Do for each signal that arrived what its handler would have done."""
    for signum in dict.fromkeys(arrived):
        handler = handlers[signum]
        if callable(handler):
            handler(signum, None)
        elif handler == signal.SIG_DFL:
            signal.raise_signal(signum)


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


class WorkerFailed(RuntimeError):
    """A worker process ended without sending back its part of the work."""


class _RemoteTraceback(Exception):
    """Where in a worker an error was raised: the cause of the error raised here."""


def _serve_chunks(connection: Connection, inherited: list[Connection]) -> None:
    """A worker: run each chunk of work it is sent, send back the results or the error."""
    for other in inherited:
        other.close()
    _start_worker()
    while (bounds := connection.recv()) is not None:
        try:
            connection.send((True, _run_chunk(bounds)))
        except Exception as error:  # sent to the parent, which raises it there
            try:
                connection.send((False, error, traceback.format_exc()))
            except Exception:  # the error does not pickle
                failure = WorkerFailed(f"{type(error).__name__}: {error}")
                connection.send((False, failure, traceback.format_exc()))


def _map_on_workers(
    count: int, bounds: list[tuple[int, int]], progress: Callable[[int], None] | None
) -> list[Any]:
    """Run `_run_chunk` over bounds on `count` forked workers; the chunks' results, in order."""
    context = multiprocessing.get_context("fork")
    workers: list[multiprocessing.process.BaseProcess] = []
    connections: list[Connection] = []
    parts: list[list[Any]] = [[] for _ in bounds]
    finished = False
    try:
        with _signals_held():
            for _ in range(count):
                mine, theirs = context.Pipe()
                connections.append(mine)
                worker = context.Process(
                    target=_serve_chunks, args=(theirs, list(connections)), daemon=True
                )
                worker.start()
                workers.append(worker)
                theirs.close()
        waiting = iter(range(len(bounds)))
        busy: dict[Connection, int] = {}

        def hand_out(connection: Connection) -> None:
            index = next(waiting, None)
            connection.send(None if index is None else bounds[index])
            if index is not None:
                busy[connection] = index

        for connection in connections:
            hand_out(connection)
        done = 0
        while busy:
            for ready in wait(list(busy)):
                connection = cast(Connection, ready)
                index = busy.pop(connection)
                try:
                    reply = connection.recv()
                except EOFError:
                    raise WorkerFailed("a worker process ended mid-build") from None
                if not reply[0]:
                    raise reply[1] from _RemoteTraceback(reply[2])
                parts[index] = reply[1]
                hand_out(connection)
                done += len(reply[1])
                if progress is not None:
                    progress(done)
        finished = True
    finally:
        for started in workers:
            if not finished:
                started.kill()
            started.join()
        for connection in connections:
            connection.close()
    return parts


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
        parts = _map_on_workers(
            count, bounds, None if progress is None else lambda done: progress(done, len(items))
        )
    finally:
        _work = None
    return [result for part in parts for result in part]
