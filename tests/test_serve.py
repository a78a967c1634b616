"""sitegen serve: the HTTP server, its event stream, and the command run as editors run it."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sitegen import search, serve
from sitegen.cache import CACHE_DIR
from sitegen.config import BuildOptions, SiteConfig
from sitegen.output import swap_folder
from sitegen.serve import DevPage, DevServer, inject_script, live_script_tag, local_origin
from sitegen.watch import BuildOutcome, ChangeSet, Rebuilder, SiteWatcher, watch_site
from tests.helpers import books_of, make_site, report_text, twin_of

DEADLINE = 20.0
"""Seconds any awaited build, event or line may take; a healthy run takes far less."""
CONFIG = 'title = "Served"\nbase_url = "https://example.org/digest/"\nsearch = false\n'
REPORT = "content/reports/2024/a.md"
A = report_text(title="First title", date="2024-03-01", tags="[markets]")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
FILES: dict[str, str | bytes] = {
    REPORT: A,
    "static/style.css": "body { color: black }\n",
    "static/app.js": "console.log('app');\n",
    "static/images/dot.png": PNG,
}


class LiveSite:
    """`sitegen serve` in this process: the server and the watch loop on threads of their own."""

    def __init__(
        self,
        root: Path,
        *,
        bind: str = "127.0.0.1",
        port: int = 0,
        options: BuildOptions | None = None,
        pages: dict[str, DevPage] | None = None,
    ) -> None:
        self.root = root
        self.log: list[str] = []
        self.server = DevServer(bind, port, log=self.log.append, search_delay=0.05, pages=pages)
        self.rebuilder = Rebuilder(
            root, options or BuildOptions(), localise=self.server.localise, search_index=False
        )
        self.outcomes: list[BuildOutcome] = []
        self._condition = threading.Condition()
        self._stop = threading.Event()
        self.watcher = SiteWatcher(self.rebuilder.plan()).start()
        first = self.rebuilder.build()
        self.watcher.retarget(self.rebuilder.plan())
        self.built(first)
        self.server.built(first)
        self.server.start()
        self._loop = threading.Thread(
            target=watch_site, args=(self.rebuilder, self.watcher, [self, self.server]),
            kwargs={"stop": self._stop, "poll": 0.05}, daemon=True,
        )  # fmt: skip
        self._loop.start()

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def folder(self) -> Path:
        """The folder the server builds into and serves."""
        return self.server.folder(self.root) / serve.SITE_FOLDER

    def building(self, changes: ChangeSet | None) -> None:
        pass

    def built(self, outcome: BuildOutcome) -> None:
        with self._condition:
            self.outcomes.append(outcome)
            self._condition.notify_all()

    def wait_for_build(self, predicate: Callable[[BuildOutcome], bool]) -> BuildOutcome:
        """The first build since the last call that satisfies predicate, within the deadline."""
        deadline = time.monotonic() + DEADLINE
        with self._condition:
            while True:
                while self.outcomes:
                    outcome = self.outcomes.pop(0)
                    if predicate(outcome):
                        return outcome
                left = deadline - time.monotonic()
                assert left > 0, "no such build within the deadline"
                self._condition.wait(left)

    def close(self) -> None:
        self._stop.set()
        self._loop.join()
        self.watcher.stop()
        self.server.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    site = make_site(tmp_path / "site", FILES, CONFIG)
    served = LiveSite(site)
    try:
        yield served
    finally:
        served.close()


def raw_get(port: int, target: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send a request line exactly as given (no client normalises it) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        head = f"GET {target} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\n"
        sock.sendall((head + "Connection: close\r\n\r\n").encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header, _, body = data.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def get(live: LiveSite, path: str) -> tuple[int, dict[str, str], bytes]:
    return raw_get(live.port, path)


# Binding and addresses


def test_binds_to_loopback_by_default(tmp_path: Path) -> None:
    with DevServer(port=0) as server:
        assert server.bind == "127.0.0.1"
        assert server._http.server_address[0] == "127.0.0.1"
    from sitegen.cli import serve_command

    bind = next(p for p in serve_command.params if p.name == "bind")
    assert bind.default == "127.0.0.1"


def test_local_origin() -> None:
    assert local_origin("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert local_origin("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert local_origin("::1", 8001) == "http://[::1]:8001"


def test_serve_config_builds_into_the_folder_for_the_origin(tmp_path: Path) -> None:
    config = SiteConfig(root=tmp_path, base_url="https://example.org/digest/")
    folder = serve.serve_folder(tmp_path, 8000)
    assert folder == tmp_path / CACHE_DIR / "serve" / "8000"
    assert serve.serve_folder(tmp_path, 8001) != folder  # two servers, two folders
    local = serve.serve_config(config, "http://127.0.0.1:8000", folder)
    assert local.base_url == "http://127.0.0.1:8000/digest/"
    assert local.output_path == folder / serve.SITE_FOLDER
    assert (config.base_url, config.output_path) == (
        "https://example.org/digest/",
        tmp_path / "output",
    )


def test_the_server_builds_into_its_own_folder_and_never_into_output(live: LiveSite) -> None:
    assert live.folder.is_relative_to(live.root / CACHE_DIR)
    assert live.server.site is not None and live.server.site.output == live.folder.absolute()
    assert (live.folder / "reports" / "a" / "index.html").is_file()
    edit(live, "First title", "Second title")
    live.wait_for_build(lambda o: o.ok and o.changes is not None)
    assert b"Second title" in (live.folder / "reports" / "a" / "index.html").read_bytes()
    site_output = live.root / "output"
    assert not site_output.exists() and not twin_of(live.root).exists()
    assert not books_of(live.root).folder.exists()  # no lock, twin or record of output/
    # What `sitegen build` writes meanwhile is no edit of the site.
    plan = live.rebuilder.plan()
    assert not plan.is_relevant(site_output.resolve() / "index.html")
    assert not plan.is_relevant(swap_folder(site_output.resolve()) / "index.html")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_on_a_chosen_port_starts_from_what_it_built_there_last(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", FILES, CONFIG)
    port = free_port()
    first = LiveSite(site, port=port)
    try:
        result = first.outcomes[0].result
        assert result is not None and result.rendered > 0
    finally:
        first.close()
    assert (first.folder / "reports" / "a" / "index.html").is_file()  # kept
    again = LiveSite(site, port=port)
    try:
        result = again.outcomes[0].result
        assert result is not None and result.rendered == 0
        assert b"First title" in get(again, "/digest/reports/a/")[2]
    finally:
        again.close()
    ephemeral = LiveSite(site)
    ephemeral.close()
    assert not ephemeral.server.folder(site).exists()  # on a port the system chose: removed
    assert first.folder.is_dir()


def test_a_request_for_another_host_name_is_refused(live: LiveSite) -> None:
    status, _, _ = raw_get(live.port, "/digest/", host="attacker.example:80")
    assert status == 403
    assert raw_get(live.port, "/digest/", host=f"localhost:{live.port}")[0] == 200


# The site under its sub-path, pages, 404, content types


def test_serves_the_site_under_its_base_path_and_redirects_the_root(live: LiveSite) -> None:
    assert live.url == f"http://127.0.0.1:{live.port}/digest/"
    status, headers, _ = get(live, "/")
    assert status == 302 and headers["location"] == "/digest/"
    status, headers, _ = get(live, "/digest")
    assert status == 302 and headers["location"] == "/digest/"
    status, headers, body = get(live, "/digest/reports/a/")
    assert status == 200
    assert b"First title" in body
    status, headers, _ = get(live, "/digest/reports/a")
    assert status == 302 and headers["location"] == "/digest/reports/a/"
    # Built for this server: canonical links point here, under the configured path.
    assert f'href="http://127.0.0.1:{live.port}/digest/reports/a/"'.encode() in body


def test_the_live_script_is_in_served_html_only_never_on_disk(live: LiveSite) -> None:
    _, _, body = get(live, "/digest/reports/a/")
    assert body.count(b"/__sitegen/live.js") == 1
    assert body.index(b"/__sitegen/live.js") < body.rindex(b"</body>")
    assert b'data-sitegen-page="reports/a/index.html"' in body
    on_disk = (live.folder / "reports" / "a" / "index.html").read_bytes()
    assert b"__sitegen" not in on_disk
    _, _, css = get(live, "/digest/style.css")
    assert b"__sitegen" not in css


def test_a_missing_page_gets_the_404_page_with_status_404(live: LiveSite) -> None:
    status, headers, body = get(live, "/digest/no/such/page/")
    assert status == 404
    assert headers["content-type"] == "text/html; charset=utf-8"
    page = (live.folder / "404.html").read_bytes()
    assert body.startswith(page[:200])
    assert b'data-sitegen-page="no/such/page/index.html"' in body
    assert get(live, "/elsewhere/")[0] == 404


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/digest/", "text/html; charset=utf-8"),
        ("/digest/style.css", "text/css; charset=utf-8"),
        ("/digest/app.js", "application/javascript; charset=utf-8"),
        ("/digest/images/dot.png", "image/png"),
        ("/digest/feed.xml", "application/xml; charset=utf-8"),
        ("/digest/sitemap.xml", "application/xml; charset=utf-8"),
        ("/digest/robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_content_types(live: LiveSite, path: str, kind: str) -> None:
    status, headers, body = get(live, path)
    assert status == 200
    assert headers["content-type"] == kind
    assert int(headers["content-length"]) == len(body)


def test_head_answers_without_a_body(live: LiveSite) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=DEADLINE)
    try:
        connection.request("HEAD", "/digest/style.css")
        response = connection.getresponse()
        assert response.status == 200
        assert response.read() == b""
        assert int(response.headers["Content-Length"]) > 0
    finally:
        connection.close()


# Nothing outside the server's folder


@pytest.mark.parametrize(
    "target",
    [
        "/digest/../sitegen.toml",
        "/digest/../../etc/passwd",
        "/../sitegen.toml",
        "/digest/%2e%2e/sitegen.toml",
        "/digest/%2E%2E/%2e%2e/etc/passwd",
        "/digest/..%2fsitegen.toml",
        "/digest/reports%2f..%2f..%2fsitegen.toml",
        "/digest/..%5csitegen.toml",
        "/digest/..\\sitegen.toml",
        "/digest/%00",
        "/digest/.sitegen-manifest",
        "/digest/./../sitegen.toml",
        "//etc/passwd",
        "/digest//etc/passwd",
    ],
)
def test_paths_outside_the_served_folder_are_refused(live: LiveSite, target: str) -> None:
    status, _, body = raw_get(live.port, target)
    assert status in (400, 403, 404), (target, status)
    assert b"Served" not in body or status == 404  # never sitegen.toml's text
    assert b"root:" not in body
    assert b'title = "Served"' not in body


def test_a_symlink_out_of_the_served_folder_is_refused(live: LiveSite) -> None:
    secret = live.root / "secret.txt"
    secret.write_text("do not serve\n", encoding="utf-8")
    (live.folder / "leak.txt").symlink_to(secret)
    (live.folder / "leakdir").symlink_to(live.root / "content", target_is_directory=True)
    for target in ("/digest/leak.txt", "/digest/leakdir/reports/2024/a.md", "/digest/leakdir/"):
        status, _, body = raw_get(live.port, target)
        assert status in (403, 404), target
        assert b"do not serve" not in body and b"First title" not in body


# The event stream


class Stream:
    """One tab's event stream, read on a thread: (event name, data) as they come."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.sock.sendall(
            f"GET /__sitegen/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        )
        self.events: list[tuple[str, dict[str, object]]] = []
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        buffer = b""
        try:
            while chunk := self.sock.recv(4096):
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    fields = dict(
                        line.split(": ", 1)
                        for line in block.decode().split("\n")
                        if ": " in line and not line.startswith(":")
                    )
                    if "event" in fields:
                        with self._condition:
                            self.events.append((fields["event"], json.loads(fields["data"])))
                            self._condition.notify_all()
        except OSError:
            return

    def wait_for(self, name: str, count: int = 1) -> dict[str, object]:
        deadline = time.monotonic() + DEADLINE
        with self._condition:
            while True:
                found = [data for event, data in self.events if event == name]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                assert left > 0, f"no {name!r} event: {self.events}"
                self._condition.wait(left)

    def close(self, reset: bool = False) -> None:
        if reset:  # close as a crashed tab does: a TCP reset, not a goodbye
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.shutdown(socket.SHUT_RD)  # wakes the reading thread, sends nothing
        else:
            self.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join()
        self.sock.close()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def edit(live: LiveSite, old: str, new: str) -> None:
    path = live.root / REPORT
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_the_stream_opens_with_the_state_and_tells_of_each_build(live: LiveSite) -> None:
    stream = Stream(live.port)
    try:
        state = stream.wait_for("state")
        assert state["status"] == "ok"
        assert state["build"] == live.server.hub.build
        edit(live, "First title", "Second title")
        reload = stream.wait_for("reload")
        assert reload["build"] != state["build"]
        changed = reload["changed"]
        assert isinstance(changed, list) and "reports/a/index.html" in changed
        assert "style.css" not in changed
    finally:
        stream.close()


def test_a_broken_report_is_an_error_event_naming_file_and_line_and_the_old_page_stays(
    live: LiveSite,
) -> None:
    stream = Stream(live.port)
    try:
        stream.wait_for("state")
        edit(live, "date: 2024-03-01", "date: [oops")
        error = stream.wait_for("error")
        (problem,) = error["errors"]  # type: ignore[misc]
        assert problem["path"] == REPORT and problem["line"] == 3
        assert problem["text"].startswith(f"{REPORT}:3: error: ")
        status, _, body = get(live, "/digest/reports/a/")
        assert status == 200 and b"First title" in body
        # A tab opened now learns of the errors as it connects.
        late = Stream(live.port)
        try:
            assert late.wait_for("state")["status"] == "error"
        finally:
            late.close()
        _, _, state = get(live, "/__sitegen/state")
        assert json.loads(state)["errors"][0]["line"] == 3
        edit(live, "date: [oops", "date: 2024-03-01")
        reload = stream.wait_for("reload")
        assert reload["changed"] is None  # every tab showing the errors reloads
        assert json.loads(get(live, "/__sitegen/state")[2])["status"] == "ok"
    finally:
        stream.close()


def test_the_stream_survives_a_tab_that_goes_away(live: LiveSite) -> None:
    gone = Stream(live.port)
    crashed = Stream(live.port)
    staying = Stream(live.port)
    try:
        for stream in (gone, crashed, staying):
            stream.wait_for("state")
        wait_until(lambda: live.server.hub.streams == 3, "three streams")
        gone.close()
        crashed.close(reset=True)
        edit(live, "First title", "Second title")
        staying.wait_for("reload")
        edit(live, "Second title", "Third title")
        staying.wait_for("reload", 2)
        wait_until(lambda: live.server.hub.streams == 1, "the closed streams forgotten")
        assert get(live, "/digest/")[0] == 200
        assert not [line for line in live.log if "error" in line.lower()], live.log
    finally:
        staying.close()


def test_many_tabs_all_hear_of_a_build(live: LiveSite) -> None:
    streams = [Stream(live.port) for _ in range(40)]
    try:
        for stream in streams:
            stream.wait_for("state")
        edit(live, "First title", "Many title")
        builds = {stream.wait_for("reload")["build"] for stream in streams}
        assert len(builds) == 1
    finally:
        for stream in streams:
            stream.close()


def test_injection_goes_before_the_last_body_end() -> None:
    tag = live_script_tag("b-1", "x/index.html")
    assert inject_script(b"<html><body>a</body></html>", tag) == (
        b"<html><body>a" + tag + b"</body></html>"
    )
    assert inject_script(b"<p>no body", tag) == b"<p>no body" + tag
    assert inject_script(b"<BODY>x</BODY>", tag).endswith(tag + b"</BODY>")
    assert b"&quot;" in live_script_tag('"><script>', "p")


def test_a_server_started_with_a_broken_config_shows_it_and_recovers(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", FILES, CONFIG + 'per_page = "ten"\n')
    live = LiveSite(site)
    try:
        assert not live.outcomes[0].ok
        status, _, body = get(live, "/")
        assert status == 404 and b"/__sitegen/live.js" in body
        state = json.loads(get(live, "/__sitegen/state")[2])
        assert state["status"] == "error"
        assert state["errors"][0]["text"].startswith("sitegen.toml:4")
        (site / "sitegen.toml").write_text(CONFIG, encoding="utf-8")
        live.wait_for_build(lambda o: o.ok)
        assert get(live, "/")[1]["location"] == "/digest/"
        assert b"First title" in get(live, "/digest/reports/a/")[2]
    finally:
        live.close()


def test_the_search_index_is_made_in_the_background_and_served(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", FILES, CONFIG.replace("search = false", "search = true"))
    live = LiveSite(site)
    try:
        assert live.outcomes[0].ok and not live.outcomes[0].search_indexed
        assert not (live.folder / "pagefind").exists()
        wait_until(
            lambda: live.server.site is not None and live.server.site.search is not None,
            "a search index",
        )
        assert live.server.site is not None and live.server.site.search is not None
        shards = live.server.site.search.shards
        assert list(shards) == ["en/2024"]
        assert all(f.is_relative_to(live.server.folder(site)) for f in shards.values())
        status, _, body = get(live, "/digest/pagefind/en/2024/pagefind-entry.json")
        assert status == 200 and json.loads(body)["languages"]["en"]["page_count"] >= 1
        status, headers, _ = get(live, "/digest/pagefind/pagefind-ui.js")
        assert status == 200
        assert headers["content-type"].startswith("application/javascript")
        assert get(live, "/digest/search/")[0] == 200
    finally:
        live.close()


def test_a_build_stops_the_search_index_without_waiting_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "pid"
    fake = tmp_path / "pagefind"  # says its version at once; indexing takes its time
    fake.write_text(
        f'#!/bin/sh\n[ "$1" = --version ] && echo "pagefind 0" && exit 0\n'
        f'echo $$ > "{pid_file}"\nexec sleep 60\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(search, "find_pagefind", lambda: fake)
    root = tmp_path / "site"
    (root / "output" / "a").mkdir(parents=True)
    (root / "output" / "a" / "index.html").write_text("<html lang=en></html>")
    shards = {"en/2024": [("a/index.html", "d1")]}
    indexer = search.SearchIndexer(root / "indexes", delay=0)
    indexer.start(root / "output", shards)
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() != "", "Pagefind")
    pid = int(pid_file.read_text())
    indexer.cancel(wait=False)
    assert indexer._thread is not None  # left to end by itself: the build does not wait
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), "Pagefind killed and reaped")
    assert indexer.current is None
    # The next index is made as ever.
    fake.write_text(
        '#!/bin/sh\n[ "$1" = --version ] && echo "pagefind 0" && exit 0\n'
        'mkdir -p "$4"\ntouch "$4/pagefind.js" "$4/pagefind-ui.js" "$4/pagefind-ui.css"\n'
    )
    done: list[str | None] = []
    indexer.on_done = lambda seconds, problem: done.append(problem)
    indexer.start(root / "output", shards)
    wait_until(lambda: bool(done), "the next index")
    assert done == [None]
    assert indexer.current is not None
    folder = indexer.current.shards["en/2024"]
    assert (folder / "pagefind.js").is_file()
    assert indexer.current.locate(["en", "2024", "pagefind.js"]) == (folder, ["pagefind.js"])
    assert indexer.current.locate(["pagefind-ui.js"]) == (folder, ["pagefind-ui.js"])
    assert indexer.current.locate(["en", "2023", "pagefind.js"]) is None
    # What the stopped index left half made is gone.
    assert [p.name for p in indexer.folder.iterdir()] == [folder.name]
    indexer.close()


def test_a_report_dated_in_the_future_appears_when_its_time_comes(tmp_path: Path) -> None:
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=3)
    files = dict(FILES)
    files["content/reports/2024/soon.md"] = report_text(
        title="Scheduled report", date=soon.isoformat().replace("+00:00", "Z")
    )
    live = LiveSite(make_site(tmp_path / "site", files, CONFIG))
    try:
        assert live.outcomes[0].ok
        assert get(live, "/digest/reports/soon/")[0] == 404
        outcome = live.wait_for_build(lambda o: o.number > 1)
        assert outcome.ok
        assert outcome.changes is not None and not outcome.changes.paths  # no file changed
        assert outcome.result is not None and not outcome.result.full
        assert dt.datetime.now(dt.UTC) >= soon
        status, _, body = get(live, "/digest/reports/soon/")
        assert status == 200 and b"Scheduled report" in body
    finally:
        live.close()


# The command, as an editor runs it


class Command:
    """`sitegen serve` (or watch) in a child process, its stderr read line by line."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "COLUMNS": "200", "TERM": "dumb"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._condition = threading.Condition()
        self._threads = [
            threading.Thread(target=self._read, args=(pipe,), daemon=True)
            for pipe in (self.process.stdout, self.process.stderr)
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, pipe: object) -> None:
        for line in pipe:  # type: ignore[attr-defined]
            with self._condition:
                self.lines.append(line.rstrip("\n"))
                self._condition.notify_all()

    def wait_for(self, pattern: str, start: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + DEADLINE
        with self._condition:
            while True:
                for line in self.lines[start:]:
                    if match := re.search(pattern, line):
                        return match
                left = deadline - time.monotonic()
                assert left > 0 and self.process.poll() is None, (pattern, self.lines)
                self._condition.wait(min(left, 0.5))

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=DEADLINE)
        for thread in self._threads:
            thread.join()
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for thread in self._threads:
            thread.join()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


def test_the_serve_command_reports_errors_keeps_serving_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    site = make_site(tmp_path / "site", FILES, CONFIG)
    command = Command("serve", "--site", str(site), "--port", "0")
    try:
        match = command.wait_for(r"serving (http://127\.0\.0\.1:(\d+)/digest/)")
        port = int(match.group(2))
        assert raw_get(port, "/digest/reports/a/")[0] == 200
        report = site / REPORT
        report.write_text(A.replace("date: 2024-03-01", "date: [oops"), encoding="utf-8")
        command.wait_for(rf"^{re.escape(REPORT)}:3: error: ")
        status, _, body = raw_get(port, "/digest/reports/a/")
        assert status == 200 and b"First title" in body
        start = len(command.lines)
        report.write_text(A.replace("First title", "Fixed title"), encoding="utf-8")
        command.wait_for(r"rebuilt", start)
        assert b"Fixed title" in raw_get(port, "/digest/reports/a/")[2]
        stream = Stream(port)
        stream.wait_for("state")
        code = command.interrupt()
        stream.close()
        assert code in (0, 130)
        assert not [line for line in command.lines if "Traceback" in line], command.lines
    finally:
        command.close()


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Everything under a folder, hidden files too, by relative path: a file's bytes, or
    None for a folder (a link's target path)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = os.readlink(path).encode()
        else:
            found[name] = None if path.is_dir() else path.read_bytes()
    return found


def sitegen_build(site: Path) -> str:
    """`sitegen build` of a site in a child process; what it printed, after it succeeded."""
    done = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--site", str(site)],
        capture_output=True, text=True, timeout=3 * DEADLINE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_sitegen_build_while_serving_writes_output_for_the_real_address(live: LiveSite) -> None:
    said = sitegen_build(live.root)
    assert "built 1 reports" in said, said
    page = (live.root / "output" / "reports" / "a" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://example.org/digest/reports/a/"' in page
    assert "127.0.0.1" not in page and "__sitegen" not in page
    time.sleep(0.5)  # what the build wrote (output/, its twin, lock and cache) is no edit
    assert [o for o in live.outcomes if o.number > 1] == []
    assert f"http://127.0.0.1:{live.port}/digest/".encode() in get(live, "/digest/reports/a/")[2]


def test_serve_leaves_output_as_the_last_build_made_it(tmp_path: Path) -> None:
    files = dict(FILES)
    files["content/reports/2024/b.md"] = report_text(
        title="Second report", date="2024-02-10", tags="[energy]"
    )
    site = make_site(tmp_path / "site", files, CONFIG)
    sitegen_build(site)
    output = site / "output"
    before, twin_before = snapshot(output), snapshot(twin_of(site))
    assert "reports/a/index.html" in before
    command = Command("serve", "--site", str(site), "--port", "0")
    try:
        port = int(command.wait_for(r"serving http://127\.0\.0\.1:(\d+)/digest/").group(1))
        origin = f"http://127.0.0.1:{port}/digest/"
        command.wait_for(rf"^building into \.sitegen-cache/serve/{port}/site/ for the server")

        def served(path: str) -> str:
            status, _, body = raw_get(port, "/digest/" + path)
            assert status == 200, (path, status)
            return body.decode()

        def until_served(path: str, shows: str, lacks: str) -> None:
            wait_until(
                lambda: shows in (page := served(path)) and lacks not in page,
                f"/digest/{path} showing {shows!r} without {lacks!r}",
            )

        page = served("reports/a/")
        assert f'href="{origin}reports/a/"' in page  # the canonical link, on the server
        assert "https://example.org" not in page
        report = site / REPORT
        edits = [  # (the report's new text, a page that shows it, what it shows before, after)
            (A.replace("Body text.", "An edited body."), "reports/a/", "Body text.", "An edited"),
            (A.replace("First title", "Edited title"), "", "First title", "Edited title"),
            (A.replace("[markets]", "[markets, rice]"), "tags/", "markets", "rice"),
            (A.replace("2024-03-01", "2021-06-05"), "timeline/", "2024", "2021"),
        ]
        for text, path, unedited, edited in edits:
            report.write_text(text, encoding="utf-8")
            until_served(path, edited, "never shown")
            assert origin in served(path)
            report.write_text(A, encoding="utf-8")
            until_served(path, unedited, edited)
        added = site / "content/reports/2024/c.md"
        added.write_text(report_text(title="Added report", date="2024-03-02"), encoding="utf-8")
        until_served("", "Added report", "never shown")
        added.unlink()
        until_served("", "First title", "Added report")
        assert command.interrupt() in (0, 130)
        assert not [line for line in command.lines if "Traceback" in line], command.lines
    finally:
        command.close()
    # On a port the system chose, the server's folder goes with it.
    assert not (site / CACHE_DIR / "serve" / str(port)).exists()
    after = snapshot(output)
    assert sorted(after) == sorted(before)
    assert after == before
    assert snapshot(twin_of(site)) == twin_before
    assert not [name for name, data in after.items() if data and b"127.0.0.1" in data]
    # The next `sitegen build` finds output/ as its last build left it: it renders nothing
    # anew, and output/ is what a build of the same files makes.
    said = sitegen_build(site)
    assert "(0 rendered)" in said, said
    assert snapshot(output) == before


def test_the_serve_command_says_when_the_port_is_taken(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", FILES, CONFIG)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = Command("serve", "--site", str(site), "--port", str(port))
        try:
            assert command.process.wait(timeout=DEADLINE) == 1
            command.wait_for(rf"cannot listen on 127\.0\.0\.1:{port}")
        finally:
            command.close()


def test_the_watch_command_rebuilds_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", FILES, CONFIG)
    command = Command("watch", "--site", str(site))
    try:
        command.wait_for("watching for changes")
        start = len(command.lines)
        (site / REPORT).write_text(A.replace("First title", "Watched title"), encoding="utf-8")
        command.wait_for("rebuilt", start)
        page = site / "output" / "reports" / "a" / "index.html"
        assert "Watched title" in page.read_text(encoding="utf-8")
        # output/ itself, for the site's real address.
        assert 'href="https://example.org/digest/reports/a/"' in page.read_text(encoding="utf-8")
        assert not [
            p
            for p in (site / "output").rglob("*")
            if p.is_file() and b"127.0.0.1" in p.read_bytes()
        ]
        assert not (site / CACHE_DIR / "serve").exists()
        assert command.interrupt() in (0, 130)
        assert not [line for line in command.lines if "Traceback" in line], command.lines
    finally:
        command.close()


def test_kill_during_a_build_on_every_core_stops_it_like_ctrl_c(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"content/reports/r{n}.md": report_text(title=f"Report {n}", date="2024-03-01")
        for n in range(1200)  # the workers live long enough to be seen
    }
    site = make_site(tmp_path / "site", files, CONFIG)
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "serve", "--site", str(site), "--port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + DEADLINE
        workers = _children(process.pid)
        while not workers and time.monotonic() < deadline:
            time.sleep(0.005)
            workers = _children(process.pid)
        # Seen once is enough: asking again could find them already gone.
        assert workers, "the build forked no workers"
        process.terminate()  # `kill`: to the server alone, mid-build, not to its workers
        _, stderr = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 0, stderr
    assert stderr.splitlines()[-1] == "stopped"
    assert "Traceback" not in stderr


def test_ctrl_c_during_a_build_on_every_core_stops_without_a_traceback(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"content/reports/r{n}.md": report_text(title=f"Report {n}", date="2024-03-01")
        for n in range(400)  # enough for the build to fork its workers
    }
    site = make_site(tmp_path / "site", files, CONFIG)
    # Mid-build, most likely; either way the exit must be clean.
    stderr = serve_then_ctrl_c(site, lambda process: time.sleep(1.0))
    assert "Traceback" not in stderr, stderr


@pytest.mark.parametrize("delay", [0.1, 0.3, 0.5])
def test_ctrl_c_while_sitegen_starts_stops_without_a_traceback(
    tmp_path: Path, delay: float
) -> None:
    # Loading sitegen's modules takes most of a second: Ctrl-C then must be as quiet as later.
    site = make_site(tmp_path / "site", FILES, CONFIG)
    stderr = serve_then_ctrl_c(site, lambda process: time.sleep(delay))
    assert "Traceback" not in stderr, stderr


def serve_then_ctrl_c(site: Path, meanwhile: Callable[[subprocess.Popen[str]], None]) -> str:
    """`sitegen serve` in a process group of its own, then Ctrl-C as a terminal sends it (to
    the whole group) once `meanwhile` returns; its stderr, after a clean exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "serve", "--site", str(site), "--port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        meanwhile(process)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode in (0, 130), stderr
    return stderr


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes `pid` started.

    From /proc/N/task/*/children where the kernel has them (quick enough to catch workers
    that live a tenth of a second), else from each process's /proc/N/stat (its parent is
    the field after the state; the command name in parentheses may hold spaces).
    """
    lists = list(Path(f"/proc/{pid}/task").glob("*/children"))
    if lists:
        pids: set[int] = set()
        for listed in lists:
            with contextlib.suppress(OSError, ValueError):
                pids.update(int(child) for child in listed.read_text().split())
        found = []
        for child in sorted(pids):
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
                found.append((child, command.decode()))
        return found
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_bytes().rpartition(b")")[2].split()
            if int(fields[1]) != pid:
                continue
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError, ValueError):
            continue
        found.append((int(stat.parent.name), command.decode()))
    return found


def test_ctrl_c_while_the_search_index_is_made_stops_it_quietly(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"content/reports/r{n}.md": report_text(
            " ".join(f"word{n}x{w}" for w in range(300)) + "\n",
            title=f"Report {n}",
            date="2024-03-01",
        )
        for n in range(300)
    }
    site = make_site(tmp_path / "site", files, CONFIG.replace("search = false", "search = true"))
    indexing: list[tuple[int, str]] = []

    def until_indexing(process: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + 3 * DEADLINE
        nudged, wait = time.monotonic(), 2.0
        while not indexing and time.monotonic() < deadline and process.poll() is None:
            indexing.extend(c for c in _children(process.pid) if "pagefind" in c[1])
            if time.monotonic() - nudged > wait:
                # An index made before it was seen, or none yet: an edit sets off another. Each
                # edit puts off the index it follows, so each waits longer than the last, to
                # leave a slow machine time for the build, the index's delay and its start.
                nudged, wait = time.monotonic(), wait * 1.5
                report = site / "content/reports/r0.md"
                report.write_text(report.read_text() + "\nMore.\n")
            time.sleep(0.002)
        assert indexing, "the background search index never started"

    stderr = serve_then_ctrl_c(site, until_indexing)
    assert "Pagefind failed" not in stderr and "Traceback" not in stderr, stderr
    assert not any(Path(f"/proc/{pid}").exists() for pid, _ in indexing), "the index was left"
