"""The build's worker processes: results in order, and signals that end them."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from sitegen.workers import MIN_ITEMS_PER_PROCESS, parallel_map


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
