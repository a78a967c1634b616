"""How long `sitegen serve` takes from an editor's save to the page on disk and in the browser.

    .venv/bin/python benchmarks/serve_latency.py --sizes 1000 10000 --runs 5

For each size, a corpus from `generate.py` is copied to a scratch folder, then:

1. build() in this process, a one-word edit to one report before each run: with the
   Pagefind search index (what `sitegen build` does) and without it (what `serve` does,
   indexing afterwards in the background); seconds per build.
2. `sitegen serve --port 0` in a child process, one tab of headless Chromium on the edited
   report's page and one plain event-stream client. For each kind of edit (a word in the
   body; the report's tags; its date moved within its month, and to another year), the
   time from the save to
   - the report's page on disk changed (the server's folder, .sitegen-cache/serve/<port>/site/,
     polled every 2 ms),
   - the server's `reload` event (read by the event-stream client),
   - the tab reloaded by itself (a timestamp the page records on each load),
   - for the body edit, on a site with search, the server's search index holding the edit
     (the report's shard's `pagefind-entry.json`, as served, changed).

Medians (and the fastest run) of `--runs` runs, printed as a Markdown table. The machine is
shared: the load average is printed before and after. Needs the venv's Playwright and
Chromium at /usr/bin/chromium (or --no-browser).
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SITEGEN = ROOT / ".venv" / "bin" / "sitegen"
CHROMIUM = Path(os.environ.get("SITEGEN_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
WAIT = 600.0
"""Seconds any one step may take before the benchmark gives up."""


def corpus(size: int, seed: int, scratch: Path, reuse: bool) -> Path:
    """A fresh copy of the generated sitegen site of `size` reports."""
    generated = scratch / f"corpus-{size}-{seed}"
    if not (reuse and (generated / "sitegen" / "content").is_dir()):
        shutil.rmtree(generated, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--reports", str(size),
             "--out", str(generated), "--seed", str(seed)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    site = scratch / f"site-{size}"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    for name in ("content", "sitegen.toml", "static", "data", "templates"):
        source = generated / "sitegen" / name
        if source.is_dir():
            shutil.copytree(source, site / name)
        elif source.is_file():
            shutil.copy2(source, site / name)
    return site


@dataclasses.dataclass
class Report:
    """The report the benchmark edits, and the file its page is built into."""

    file: Path
    url_path: str
    original: str

    def page(self, site: Path, port: int) -> Path:
        """The report's page as the server on `port` builds it (in its own folder)."""
        from sitegen.serve import SITE_FOLDER, serve_folder

        built = serve_folder(site.resolve(), port) / SITE_FOLDER
        return built / self.url_path.strip("/") / "index.html"


def pick_report(site: Path) -> Report:
    files = sorted((site / "content").rglob("*.md"))
    file = files[len(files) // 2]
    text = file.read_text(encoding="utf-8")
    slug = re.search(r"^slug:\s*(\S+)", text, re.MULTILINE)
    return Report(file, f"/reports/{slug.group(1) if slug else file.stem}/", text)


Edit = Callable[[str, int], str]


def edit_word(text: str, run: int) -> str:
    head, sep, body = text.partition("\n---\n")
    words = body.split(" ", 3)
    words[2] = f"benchword{run}x"
    return head + sep + " ".join(words)


def edit_tags(text: str, run: int) -> str:
    return re.sub(
        r"^tags: .*$", f'tags: ["bench tag {run}", "panel"]', text, count=1, flags=re.MULTILINE
    )


def edit_day(text: str, run: int) -> str:
    found = re.search(r"^date: (\d{4})-(\d\d)-", text, flags=re.MULTILINE)
    assert found, "the report has a date"
    day = 1 + run % 27
    date = f"{found.group(1)}-{found.group(2)}-{day:02d}"
    return re.sub(r"^date: .*$", f"date: {date}", text, count=1, flags=re.MULTILINE)


def edit_date(text: str, run: int) -> str:
    day = 1 + run % 27
    return re.sub(r"^date: .*$", f"date: 2019-02-{day:02d}", text, count=1, flags=re.MULTILINE)


EDITS: dict[str, Edit] = {
    "one word of the body": edit_word,
    "the report's tags": edit_tags,
    "its date, within its month": edit_day,
    "its date, to another year": edit_date,
}


def save(report: Report, text: str) -> float:
    """Write as an editor does (in place), returning the wall time just after."""
    with report.file.open("w", encoding="utf-8") as handle:
        handle.write(text)
    return time.time()


def fingerprint(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def wait_for_change(path: Path, before: bytes) -> float:
    """Poll a file until its bytes differ from `before`; the wall time when seen."""
    deadline = time.monotonic() + WAIT
    last = fingerprint(path)
    while time.monotonic() < deadline:
        now = fingerprint(path)
        if now != last:
            last = now
            try:
                if path.read_bytes() != before:
                    return time.time()
            except OSError:
                pass
        time.sleep(0.002)
    raise TimeoutError(f"{path} did not change")


# 1. build() with and without the search index


def time_builds(site: Path, report: Report, runs: int) -> dict[str, list[float]]:
    sys.path.insert(0, str(ROOT))
    from sitegen.build import build
    from sitegen.config import BuildOptions, load_config
    from sitegen.diagnostics import Reporter

    config = load_config(site)
    build(config, BuildOptions(), Reporter(), search_index=True)  # cold, then warm below
    times: dict[str, list[float]] = {}
    for label, index in (("with search index", True), ("without (serve)", False)):
        build(config, BuildOptions(), Reporter(), search_index=index)
        for run in range(runs):
            report.file.write_text(edit_word(report.original, 100 + run), encoding="utf-8")
            started = time.perf_counter()
            build(config, BuildOptions(), Reporter(), search_index=index)
            times.setdefault(label, []).append(time.perf_counter() - started)
    report.file.write_text(report.original, encoding="utf-8")
    return times


# 2. sitegen serve, an event-stream client and a browser tab


class Events:
    """The server's event stream, read on a thread: (wall time, event, data)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock.sendall(
            f"GET /__sitegen/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        )
        self.seen: list[tuple[float, str, dict[str, Any]]] = []
        self.condition = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        try:
            while chunk := self.sock.recv(65536):
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    fields = dict(
                        line.split(": ", 1) for line in block.decode().split("\n") if ": " in line
                    )
                    if "event" in fields:
                        with self.condition:
                            self.seen.append(
                                (time.time(), fields["event"], json.loads(fields["data"]))
                            )
                            self.condition.notify_all()
        except OSError:
            return

    def wait_for_reload(self, after: float) -> float:
        deadline = time.monotonic() + WAIT
        with self.condition:
            while time.monotonic() < deadline:
                for when, event, _ in self.seen:
                    if event in ("reload", "error") and when >= after:
                        if event == "error":
                            raise RuntimeError(f"the build failed: {self.seen[-1][2]}")
                        return when
                self.condition.wait(1.0)
        raise TimeoutError("no reload event")

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


@contextmanager
def serve(site: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    process = subprocess.Popen(
        [str(SITEGEN), "serve", "--site", str(site), "--port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        port = None
        for line in process.stderr:
            found = re.search(r"serving http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        if port is None:
            raise RuntimeError("sitegen serve stopped before serving")
        threading.Thread(target=lambda: [None for _ in process.stderr or ()], daemon=True).start()
        yield process, port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(port: int, path: str) -> tuple[int, bytes, str | None]:
    """GET a path from the server: status, body and Location."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Location")
    finally:
        connection.close()


def search_entries(port: int) -> list[str]:
    """The served paths of the entry files of every shard the search page merges."""
    base = fetch(port, "/")[2] or "/"
    status, body, _ = fetch(port, f"{base}search/")
    found = re.search(rb'data-bundles="([^"]*)"', body) if status == 200 else None
    assert found, "the search page names its shards"
    return [f"{bundle}pagefind-entry.json" for bundle in found.group(1).decode().split()]


def steady_entries(port: int, paths: Sequence[str], quiet: float) -> dict[str, bytes]:
    """The entry files once they all exist and none has changed for `quiet` seconds."""
    deadline = time.monotonic() + WAIT
    last: dict[str, bytes] = {}
    since = time.monotonic()
    while time.monotonic() < deadline:
        now = {}
        for path in paths:
            status, body, _ = fetch(port, path)
            now[path] = body if status == 200 else b""
        if now != last:
            last, since = now, time.monotonic()
        elif all(now.values()) and time.monotonic() - since >= quiet:
            return now
        time.sleep(0.05)
    raise TimeoutError(f"{len(paths)} entry files never settled")


def wait_for_entries(port: int, before: Mapping[str, bytes]) -> tuple[float, str]:
    """Poll the entry files until one differs from `before`; when that was seen, and which.

    The one that changed is the edited report's shard's, the one to watch from then on.
    """
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for path, old in before.items():
            status, body, _ = fetch(port, path)
            if status == 200 and body != old:
                return time.time(), path
        time.sleep(0.02)
    raise TimeoutError("no entry file changed")


def time_serve(
    site: Path, report: Report, runs: int, browser: bool, pause: float, search: bool
) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    with serve(site) as (_, port), tab(port, report, browser) as reloaded_after:
        events = Events(port)
        shard: list[str] = []  # the served entry file of the report's shard, once known
        try:
            page = report.page(site, port)
            for label, edit in EDITS.items():
                for run in range(runs):
                    time.sleep(pause)  # an editor does not save continuously
                    watched: dict[str, bytes] = {}
                    if search and edit is edit_word:
                        # Every shard's entry until the edit shows which is the report's.
                        watched = steady_entries(port, shard or search_entries(port), pause)
                    before = page.read_bytes()
                    saved = save(report, edit(report.original, run + 1))
                    on_disk = wait_for_change(page, before)
                    event = events.wait_for_reload(saved)
                    row = results.setdefault(label, {})
                    row.setdefault("page on disk", []).append(on_disk - saved)
                    row.setdefault("reload event", []).append(event - saved)
                    if reloaded_after is not None:
                        row.setdefault("tab reloaded", []).append(reloaded_after(saved) - saved)
                    if watched:
                        indexed, changed = wait_for_entries(port, watched)
                        shard = [changed]
                        row.setdefault("search index", []).append(indexed - saved)
                save(report, report.original)
                events.wait_for_reload(time.time() - 0.001)
        finally:
            events.close()
    return results


@contextmanager
def tab(port: int, report: Report, browser: bool) -> Iterator[Callable[[float], float] | None]:
    """A Chromium tab on the report's page; yields "wait for the load after wall time t"."""
    if not browser:
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page()
            page.add_init_script(
                "window.addEventListener('DOMContentLoaded', function () {"
                " window.benchLoadedAt = performance.timeOrigin + performance.now(); });"
            )
            base = f"http://127.0.0.1:{port}"
            page.goto(base + "/")
            page.goto(page.url.rstrip("/") + report.url_path)

            def reloaded_after(saved: float) -> float:
                handle = page.wait_for_function(
                    f"window.benchLoadedAt && window.benchLoadedAt > {saved * 1000}",
                    timeout=WAIT * 1000,
                    polling=5,
                )
                del handle
                return float(page.evaluate("window.benchLoadedAt")) / 1000

            yield reloaded_after
        finally:
            chromium.close()


def median_and_min(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (min {min(values):.2f})"


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/sitegen-serve-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep generated corpora")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium tab")
    parser.add_argument("--no-builds", action="store_true", help="skip the build() timings")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between saves (2)")
    args = parser.parse_args()
    browser = not args.no_browser and CHROMIUM.is_file()
    lines = [
        "| reports | edit | save → page on disk | save → reload event | save → tab reloaded "
        "| save → search index |",
        "| ---: | --- | --- | --- | --- | --- |",
    ]
    build_lines = [
        "| reports | build() after a one-word edit | seconds |",
        "| ---: | --- | --- |",
    ]
    for size in args.sizes:
        print(f"{size} reports: generating (load {load()})", file=sys.stderr)
        site = corpus(size, args.seed, args.scratch, args.reuse)
        report = pick_report(site)
        try:
            if not args.no_builds:
                print(f"{size} reports: build() with and without search", file=sys.stderr)
                for label, times in time_builds(site, report, args.runs).items():
                    build_lines.append(f"| {size} | {label} | {median_and_min(times)} |")
            print(f"{size} reports: sitegen serve (load {load()})", file=sys.stderr)
            search = "search = false" not in (site / "sitegen.toml").read_text(encoding="utf-8")
            results = time_serve(site, report, args.runs, browser, args.pause, search)
        finally:
            report.file.write_text(report.original, encoding="utf-8")
        for label, row in results.items():
            cells = [
                median_and_min(row[k]) if k in row else "-"
                for k in ("page on disk", "reload event", "tab reloaded", "search index")
            ]
            lines.append(f"| {size} | {label} | " + " | ".join(cells) + " |")
        print(f"{size} reports: done (load {load()})", file=sys.stderr)
    print(f"\nMedians of {args.runs} runs; {os.cpu_count()} cores; load now {load()}.\n")
    if not args.no_builds:
        print("\n".join(build_lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
