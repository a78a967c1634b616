"""The peak memory of one command's process tree, counted as PSS (shared pages once).

    .venv/bin/python benchmarks/peak_memory.py -- .venv/bin/sitegen build --site SITE

`benchmarks/run.py` samples RSS ten times a second, which counts the pages that forked
workers share with their parent in each of them. This samples the tree's proportional set
size (/proc/<pid>/smaps_rollup) twice a second instead: slower to read, but each shared
page is counted once. Prints the peak sum of the tree's PSS and of its RSS, in MB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue += _children(current)
    return pids


def _kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main() -> int:
    """Command line; see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    command = [part for part in args.command if part != "--"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak_pss = peak_rss = 0
    while process.poll() is None:
        pids = _tree(process.pid)
        peak_pss = max(peak_pss, sum(_kb(pid, "Pss") for pid in pids))
        peak_rss = max(peak_rss, sum(_kb(pid, "Rss") for pid in pids))
        time.sleep(args.interval)
    seconds = time.perf_counter() - started
    print(
        f"exit {process.returncode}; {seconds:.1f} s; peak PSS {peak_pss / 1024:.0f} MB; "
        f"peak RSS {peak_rss / 1024:.0f} MB (sums over the process tree)"
    )
    return process.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
