"""The build's worker processes: results in order, and signals that end them."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sitegen.workers import MIN_ITEMS_PER_PROCESS, WorkerFailed, parallel_map


def _sigterm_action(item: int) -> tuple[int, object]:
    return item, signal.getsignal(signal.SIGTERM)


@pytest.fixture
def a_parent_that_handles_sigterm() -> Iterator[None]:
    """A handler in the parent, as sitegen serve installs one."""
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_workers_end_on_sigterm_whatever_the_parent_handles(
    a_parent_that_handles_sigterm: None,
) -> None:
    # A worker waiting in a lock never runs a Python handler: the pool, ending it with
    # SIGTERM, would wait for it for ever.
    items = list(range(MIN_ITEMS_PER_PROCESS * 4))
    results = parallel_map(_sigterm_action, items, processes=2)
    assert [item for item, _ in results] == items
    assert {action for _, action in results} == {signal.SIG_DFL}


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (not gone, nor a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return False
    return stat.rpartition(b")")[2].split()[0] != b"Z"


_ctrl_c_after_fork: list[bool] = []


def _ctrl_c_while_after_fork_hooks_run() -> None:
    """Ctrl-C landing as this process runs its after-fork hooks (logging registers one):
    an exception raised in a hook is printed and dropped."""
    if _ctrl_c_after_fork:
        _ctrl_c_after_fork.clear()
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10_000):  # the handler runs between these steps
            pass


os.register_at_fork(after_in_parent=_ctrl_c_while_after_fork_hooks_run)


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the worker processes forked from here on."""
    pids: list[int] = []
    fork = multiprocessing.context.ForkProcess._Popen

    def fork_noting_pids(process: Any) -> Any:
        popen = fork(process)
        pids.append(popen.pid)
        return popen

    monkeypatch.setattr(
        multiprocessing.context.ForkProcess, "_Popen", staticmethod(fork_noting_pids)
    )
    return pids


def _none_alive(pids: list[int]) -> bool:
    deadline = time.monotonic() + 10
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not any(map(_alive, pids))


ITEMS = list(range(MIN_ITEMS_PER_PROCESS * 4))


def _ctrl_c_to_the_parent_at_item_250(item: int) -> int:
    if item == 250:
        os.kill(os.getppid(), signal.SIGINT)
        time.sleep(5)  # the parent stops this worker meanwhile
    return item


@pytest.mark.parametrize(
    ("while_forking", "function"),
    [(True, _sigterm_action), (False, _ctrl_c_to_the_parent_at_item_250)],
    ids=["as-workers-are-forked", "mid-map"],
)
def test_ctrl_c_stops_the_map_and_its_workers(
    forked: list[int], while_forking: bool, function: Callable[[int], object]
) -> None:
    if while_forking:
        _ctrl_c_after_fork.append(True)
    with pytest.raises(KeyboardInterrupt):
        parallel_map(function, ITEMS, processes=2)
    assert len(forked) == 2
    assert _none_alive(forked)


def _raise_at_item_250(item: int) -> int:
    if item == 250:
        raise LookupError(f"no item {item}")
    return item


def test_an_error_in_a_worker_is_raised_here_with_where_it_was_raised(
    forked: list[int],
) -> None:
    with pytest.raises(LookupError, match="no item 250") as raised:
        parallel_map(_raise_at_item_250, ITEMS, processes=2)
    assert "_raise_at_item_250" in str(raised.value.__cause__)
    assert _none_alive(forked)


def _killed_at_item_250(item: int) -> int:
    if item == 250:
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def test_a_worker_killed_mid_map_fails_the_map_instead_of_hanging(forked: list[int]) -> None:
    with pytest.raises(WorkerFailed):
        parallel_map(_killed_at_item_250, ITEMS, processes=2)
    assert _none_alive(forked)


def test_results_come_in_input_order_with_progress_up_to_the_whole() -> None:
    seen: list[tuple[int, int]] = []
    items = list(range(MIN_ITEMS_PER_PROCESS * 7 + 3))
    results = parallel_map(_sigterm_action, items, processes=3, progress=lambda *p: seen.append(p))
    assert [item for item, _ in results] == items
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (len(items), len(items))
