"""The dev server: output/ over HTTP on this machine, live reload, and errors in the browser.

`DevServer` serves the built site under its base_url's path (http://127.0.0.1:8000/digest/
for https://example.org/digest/), refusing anything outside output/. Every HTML response
(never the file on disk) gets one `<script>` that connects to `/__sitegen/events`, a
server-sent-events stream: `state` on connect, `reload` after a build that changed files
(with their paths, so a tab reloads only when its page or a stylesheet, script or image
changed), `error` with the diagnostics of a failed build, which the script shows in a panel
over the page until a good build reloads it. Tabs share one stream through a SharedWorker,
so many tabs do not use up the browser's few connections per host.

It is a BuildListener for `sitegen.watch.watch_site`: told when a build starts (the
background search index stops) and how it ended (the tabs are told; the index starts).
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import http.server
import json
import os
import queue
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.cache import CACHE_DIR
from sitegen.config import SiteConfig
from sitegen.diagnostics import Diagnostic, Level
from sitegen.search import BUNDLE_FOLDER, SearchError, find_pagefind
from sitegen.watch import BuildOutcome, ChangeSet

ENDPOINTS = "/__sitegen/"
"""Where the server's own files and the event stream are, whatever the site's path."""
HEARTBEAT_SECONDS = 15.0
"""A comment line goes down each event stream this often, so a closed tab is noticed."""
SEARCH_DELAY_SECONDS = 1.0
"""The search index starts this long after a build, unless another build starts first."""
SEARCH_FOLDER = "serve-search"
"""Under .sitegen-cache/: the search index the dev server makes in the background."""

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".webmanifest": "application/manifest+json",
}
"""By suffix; anything else is application/octet-stream."""


def content_type(name: str) -> str:
    """The Content-Type the dev server sends for a file name."""
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def local_origin(bind: str, port: int) -> str:
    """`http://host:port` for a bind address (a wildcard address gives 127.0.0.1)."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(bind, bind)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def with_origin(config: SiteConfig, origin: str) -> SiteConfig:
    """The configuration with base_url moved to another origin, keeping its path.

    `https://example.org/digest/` with `http://127.0.0.1:8000` gives
    `http://127.0.0.1:8000/digest/`.
    """
    return dataclasses.replace(config, base_url=origin.rstrip("/") + config.base_path)


def diagnostic_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """A diagnostic for the browser: its parts, and the line the terminal shows."""
    location = diagnostic.location
    return {
        "level": diagnostic.level.value,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "path": location.path.as_posix() if location else None,
        "line": location.line if location else None,
        "col": location.col if location else None,
        "text": str(diagnostic),
    }


def live_script_tag(build: str, page: str) -> bytes:
    """The `<script>` put into served HTML: which build and which output file it shows."""
    return (
        f'<script src="{ENDPOINTS}live.js" data-sitegen-build="{html.escape(build)}" '
        f'data-sitegen-page="{html.escape(page)}"></script>'
    ).encode()


def inject_script(page: bytes, tag: bytes) -> bytes:
    """The page with `tag` before its last `</body>` (or `</html>`, or at its end)."""
    lowered = page.lower()
    for closing in (b"</body", b"</html"):
        at = lowered.rfind(closing)
        if at != -1:
            return page[:at] + tag + page[at:]
    return page + tag


class LiveHub:
    """The build state the browser tabs follow, and their event streams. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: set[queue.SimpleQueue[bytes | None]] = set()
        self._session = secrets.token_hex(4)
        self._builds = 0
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.closed = False

    @property
    def build(self) -> str:
        """The id of the last build that changed what tabs see (new with each server)."""
        return f"{self._session}-{self._builds}"

    def state(self) -> dict[str, Any]:
        """What a tab needs on connecting: the current build, its errors and warnings."""
        with self._lock:
            return self._state()

    def _state(self) -> dict[str, Any]:
        status = "error" if self.errors else "ok"
        return {
            "build": self.build, "status": status, "errors": self.errors,
            "warnings": self.warnings,
        }  # fmt: skip

    def subscribe(self) -> tuple[queue.SimpleQueue[bytes | None], bytes]:
        """A new event stream, and the `state` event that opens it."""
        stream: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        with self._lock:
            if self.closed:
                stream.put(None)
            self._streams.add(stream)
            return stream, _event("state", self._state())

    def unsubscribe(self, stream: queue.SimpleQueue[bytes | None]) -> None:
        """Forget a stream whose tab has gone."""
        with self._lock:
            self._streams.discard(stream)

    @property
    def streams(self) -> int:
        """How many event streams are open."""
        with self._lock:
            return len(self._streams)

    def built(self, changed: tuple[str, ...] | None, warnings: tuple[Diagnostic, ...] = ()) -> None:
        """A good build changed these output files (None: too many to list, or all).

        Tabs hear of it only if it changed a file or the warnings, or ended errors.
        """
        listed = [diagnostic_json(d) for d in warnings]
        with self._lock:
            if changed == () and not self.errors and listed == self.warnings:
                return
            if self.errors:
                changed = None  # every tab showed the errors: every tab reloads
            self.errors = []
            self.warnings = listed
            if changed != ():
                self._builds += 1
            data = {"build": self.build, "changed": changed, "warnings": listed}
            self._send(_event("reload", data))

    def fail(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        """A build failed: show its errors in every tab."""
        with self._lock:
            self.errors = [diagnostic_json(d) for d in diagnostics if d.level is Level.ERROR]
            self.warnings = [diagnostic_json(d) for d in diagnostics if d.level is Level.WARNING]
            data = {"build": self.build, "errors": self.errors, "warnings": self.warnings}
            self._send(_event("error", data))

    def _send(self, event: bytes | None) -> None:
        for stream in self._streams:
            stream.put(event)

    def close(self) -> None:
        """End every stream."""
        with self._lock:
            self.closed = True
            self._send(None)


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class SearchIndexer:
    """Pagefind over output/ in the background, into .sitegen-cache/serve-search/<n>/.

    Started after each good build, stopped (the process killed) when the next build starts,
    so the search index never holds up a page. The newest finished index is served at
    `<base path>pagefind/`; the one before it is kept while tabs may still load from it.
    """

    def __init__(
        self,
        root: Path,
        *,
        delay: float = SEARCH_DELAY_SECONDS,
        on_done: Callable[[float, str | None], None] | None = None,
    ) -> None:
        self.folder = root / CACHE_DIR / SEARCH_FOLDER
        self.delay = delay
        self.on_done = on_done
        self.current: Path | None = None
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._runs = 0
        self._told_missing = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, site: Path) -> None:
        """Index the built site at `site` (after a short delay), stopping any index running."""
        self.cancel()
        self._runs += 1
        self._cancel = threading.Event()
        target = self.folder / str(self._runs)
        self._thread = threading.Thread(
            target=self._run, args=(site, target, self._cancel), daemon=True,
            name="sitegen-search-index",
        )  # fmt: skip
        self._thread.start()

    def cancel(self, *, wait: bool = True) -> None:
        """Stop the index being made, if one is: its process is killed.

        With `wait`, return once its thread has ended (and the process is reaped).
        """
        self._cancel.set()
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        if wait and self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self, site: Path, target: Path, cancelled: threading.Event) -> None:
        if cancelled.wait(self.delay):
            return
        try:
            binary = find_pagefind()
        except SearchError as error:
            if not self._told_missing and self.on_done is not None:
                self._told_missing = True
                self.on_done(0.0, str(error))
            return
        started = time.perf_counter()
        _make_cache_folder(self.folder)
        command = [str(binary), "--site", str(site), "--output-path", str(target), "--silent"]
        # At the lowest priority, so that an editor's next save is built at once even while
        # the index is still being made on every core.
        nice = shutil.which("nice")
        if nice is not None:
            command = [nice, "-n", "19", *command]
        with self._lock:
            if cancelled.is_set():
                return
            try:
                process = subprocess.Popen(
                    command,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL,
                    # Its own session: a Ctrl-C in the terminal stops the server, which stops
                    # the index itself, rather than the index failing with the signal.
                    start_new_session=True,
                )
            except OSError as error:
                if self.on_done is not None:
                    self.on_done(0.0, f"Pagefind could not run: {error}")
                return
            self._process = process
        _, stderr = process.communicate()
        with self._lock:
            self._process = None
        if cancelled.is_set():
            # What it wrote is removed after the next index is made, not now: a build is
            # waiting for this thread to end.
            return
        if process.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            if self.on_done is not None:
                said = " ".join(stderr.decode(errors="replace").split())[-300:]
                self.on_done(0.0, f"Pagefind failed (exit {process.returncode}): {said}")
            return
        with self._lock:
            previous, self.current = self.current, target
        for old in self.folder.iterdir():
            if old not in (target, previous):
                shutil.rmtree(old, ignore_errors=True)
        if self.on_done is not None:
            self.on_done(time.perf_counter() - started, None)

    def close(self) -> None:
        """Stop and forget the index."""
        self.cancel()


def _make_cache_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class SiteView:
    """What the server serves: the built site's folder and the path it lives under."""

    output: Path
    base_path: str = "/"
    search: Path | None = None
    """A search index made in the background, served at `<base_path>pagefind/`."""


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    dev: DevServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A tab that closes mid-response is no error; anything else is told to the log.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        self.dev.log(f"error answering {client_address[0]}: {type(error).__name__}: {error}")


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class Forbidden(Exception):
    """A request for something outside output/."""


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _HTTPServer
    timeout = 60

    def version_string(self) -> str:
        return "sitegen"

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError):  # the tab went away
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        self.server.dev.log(f"{self.address_string()} {format % args}")

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        dev = self.server.dev
        if not dev.host_allowed(self.headers.get("Host")):
            self._plain(403, "this server answers only to its own address", head)
            return
        raw, _, query = self.path.partition("?")
        raw = raw.partition("#")[0]
        lowered = raw.lower()
        if not raw.startswith("/") or any(
            bad in lowered for bad in ("\\", "%5c", "%2f", "%00", "\x00")
        ):
            self._plain(403, "forbidden", head)
            return
        try:
            path = urllib.parse.unquote(raw, errors="strict")
        except UnicodeDecodeError:
            self._plain(400, "the path is not UTF-8", head)
            return
        if any(part in (".", "..") for part in path.split("/")) or "\\" in path:
            self._plain(403, "forbidden", head)
            return
        if path.startswith(ENDPOINTS):
            self._endpoint(path[len(ENDPOINTS) :], head)
            return
        site = dev.site
        suffix = f"?{query}" if query else ""
        if not path.startswith(site.base_path):
            if path in ("/", site.base_path.rstrip("/")):
                self._redirect(site.base_path + suffix)
            else:
                self._not_found(site, None, head)
            return
        relative = path[len(site.base_path) :]
        page = relative + "index.html" if relative == "" or relative.endswith("/") else relative
        try:
            file = self._locate(site, relative)
        except Forbidden:
            self._plain(403, "forbidden", head)
            return
        if file is not None and file.is_dir():
            if not path.endswith("/"):
                self._redirect(urllib.parse.quote(path + "/") + suffix)
                return
            file = file / "index.html"
        if file is None or not file.is_file():
            self._not_found(site, page, head)
            return
        self._file(200, file, page, head)

    def _locate(self, site: SiteView, relative: str) -> Path | None:
        parts = [part for part in relative.split("/") if part]
        if any(part.startswith(".") for part in parts):
            return None  # anything hidden (a .git, .nojekyll)
        root = site.output
        if parts and parts[0] == BUNDLE_FOLDER and site.search is not None:
            root, parts = site.search, parts[1:]
        top = os.path.realpath(root)
        real = os.path.realpath(os.path.join(top, *parts))
        if real != top and not real.startswith(top + os.sep):
            raise Forbidden(relative)
        return Path(real)

    def _file(self, status: int, file: Path, page: str | None, head: bool) -> None:
        build = self.server.dev.hub.build  # before reading: a build in between reloads the tab
        try:
            body = file.read_bytes()
        except OSError:
            self._plain(404, "not found", head)
            return
        kind = content_type(file.name)
        if kind.startswith("text/html") and page is not None:
            body = inject_script(body, live_script_tag(build, page))
        self._send(status, kind, body, head)

    def _not_found(self, site: SiteView, page: str | None, head: bool) -> None:
        missing = site.output / "404.html"
        if missing.is_file():
            self._file(404, missing, page or "404.html", head)
            return
        body = b"<!doctype html><title>Not found</title><h1>Not found</h1>"
        tag = live_script_tag(self.server.dev.hub.build, page or "404.html")
        self._send(404, CONTENT_TYPES[".html"], body + tag, head)

    def _endpoint(self, name: str, head: bool) -> None:
        if name == "events":
            self._events(head)
        elif name == "live.js":
            self._send(200, CONTENT_TYPES[".js"], LIVE_JS.encode(), head)
        elif name == "worker.js":
            self._send(200, CONTENT_TYPES[".js"], WORKER_JS.encode(), head)
        elif name == "state":
            body = json.dumps(self.server.dev.hub.state(), ensure_ascii=False).encode()
            self._send(200, "application/json", body, head)
        else:
            self._plain(404, "not found", head)

    def _events(self, head: bool) -> None:
        hub = self.server.dev.hub
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        self.close_connection = True
        if head:
            return
        stream, opening = hub.subscribe()
        try:
            self.wfile.write(b"retry: 1000\n\n" + opening)
            self.wfile.flush()
            while True:
                try:
                    event = stream.get(timeout=HEARTBEAT_SECONDS)
                except queue.Empty:
                    event = b": still here\n\n"
                if event is None:
                    return
                self.wfile.write(event)
                self.wfile.flush()
        except (ConnectionError, TimeoutError):
            return  # the tab closed
        finally:
            hub.unsubscribe(stream)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _plain(self, status: int, message: str, head: bool) -> None:
        self._send(status, CONTENT_TYPES[".txt"], (message + "\n").encode(), head)

    def _send(self, status: int, kind: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)


class DevServer:
    """The dev server: binds when made, serves once started, follows the watcher's builds."""

    def __init__(
        self,
        bind: str = "127.0.0.1",
        port: int = 8000,
        *,
        log: Callable[[str], None] | None = None,
        on_search: Callable[[float, str | None], None] | None = None,
        search_delay: float = SEARCH_DELAY_SECONDS,
    ) -> None:
        self.bind = bind
        self.hub = LiveHub()
        self._log = log
        self._on_search = on_search
        self._search_delay = search_delay
        server_class = _HTTPServer6 if ":" in bind else _HTTPServer
        self._http = server_class((bind, port), _Handler, bind_and_activate=False)
        self._http.dev = self
        try:
            self._http.server_bind()
            self._http.server_activate()
        except OSError:
            self._http.server_close()
            raise
        self.port: int = self._http.server_address[1]
        self.site = SiteView(Path("output").absolute())
        self.indexer: SearchIndexer | None = None
        self._thread: threading.Thread | None = None
        wildcard = bind in ("", "0.0.0.0", "::")
        self._hosts = (
            None if wildcard else {bind.strip("[]").lower(), "localhost", "127.0.0.1", "::1"}
        )

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:8000`: where the built site's absolute links point."""
        return local_origin(self.bind, self.port)

    @property
    def url(self) -> str:
        """The site's address on this server."""
        return self.origin + self.site.base_path

    def localise(self, config: SiteConfig) -> SiteConfig:
        """The configuration to build with: base_url's path on this server's origin."""
        return with_origin(config, self.origin)

    def log(self, message: str) -> None:
        """Pass a line about a request to whoever wants it."""
        if self._log is not None:
            self._log(message)

    def host_allowed(self, host: str | None) -> bool:
        """Whether a request's Host names this server (against DNS rebinding)."""
        if self._hosts is None or host is None:
            return True
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name.strip("[]").lower() in self._hosts

    def start(self) -> None:
        """Serve on a thread of its own."""
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
            name="sitegen-serve",
        )  # fmt: skip
        self._thread.start()

    def close(self) -> None:
        """End every event stream, stop serving and stop the search index."""
        self.hub.close()
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._http.server_close()
        if self.indexer is not None:
            self.indexer.close()

    def __enter__(self) -> DevServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def building(self, changes: ChangeSet | None) -> None:
        """A build starts: stop the search index, which would compete for the processor.

        Its process is killed; the build does not wait for it to be reaped.
        """
        if self.indexer is not None:
            self.indexer.cancel(wait=False)

    def built(self, outcome: BuildOutcome) -> None:
        """A build ended: serve its site, tell the tabs, and index it for search."""
        config = outcome.config
        if self.indexer is None and config.search:
            self.indexer = SearchIndexer(
                config.root, delay=self._search_delay, on_done=self._indexed
            )
        search = self.indexer.current if self.indexer is not None else None
        self.site = SiteView(config.output_path.absolute(), config.base_path, search)
        if not outcome.ok:
            self.hub.fail(outcome.diagnostics)
            return
        warnings = tuple(d for d in outcome.diagnostics if d.level is Level.WARNING)
        self.hub.built(outcome.changed_files, warnings)
        if config.search and self.indexer is not None:
            self.indexer.start(config.output_path)

    def _indexed(self, seconds: float, problem: str | None) -> None:
        if problem is None and self.indexer is not None:
            self.site = dataclasses.replace(self.site, search=self.indexer.current)
        if self._on_search is not None:
            self._on_search(seconds, problem)


LIVE_JS = r"""// sitegen serve: reload this tab when its page changes; show build problems over it.
(function () {
  "use strict";
  var script = document.currentScript;
  var build = script.getAttribute("data-sitegen-build");
  var page = script.getAttribute("data-sitegen-page");
  var failed = false;
  var panel = null;
  var badge = null;
  var ASSET = /\.(css|js|mjs|png|jpe?g|gif|webp|avif|svg|ico|woff2?)$/i;
  var FONT = "13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

  function concerns(changed) {
    if (!changed) return true;
    for (var i = 0; i < changed.length; i++) {
      var path = changed[i];
      if (path === page || path === page + "/index.html") return true;
      if (ASSET.test(path) && path.indexOf("pagefind/") !== 0) return true;
    }
    return false;
  }

  function later(draw) {
    if (document.body) draw();
    else document.addEventListener("DOMContentLoaded", draw);
  }

  function remove(element) {
    if (element && element.parentNode) element.parentNode.removeChild(element);
    return null;
  }

  function box(id, colour) {
    var element = document.createElement("div");
    element.id = id;
    var s = element.style;
    s.position = "fixed"; s.zIndex = "2147483647"; s.boxSizing = "border-box";
    s.margin = "0"; s.textAlign = "left"; s.font = FONT; s.color = "#fff";
    s.background = colour; s.boxShadow = "0 6px 24px rgba(0,0,0,.45)";
    return element;
  }

  function list(problems) {
    var items = document.createElement("ul");
    items.style.margin = "8px 0 0"; items.style.padding = "0 0 0 20px";
    for (var i = 0; i < problems.length; i++) {
      var item = document.createElement("li");
      item.style.whiteSpace = "pre-wrap";
      item.textContent = problems[i].text;
      items.appendChild(item);
    }
    return items;
  }

  function button(label, action) {
    var element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.style.font = FONT;
    element.addEventListener("click", action);
    return element;
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function showErrors(errors) {
    later(function () {
      panel = remove(panel);
      panel = box("sitegen-error-overlay", "#2b0b0b");
      panel.setAttribute("role", "alert");
      var s = panel.style;
      s.left = "0"; s.right = "0"; s.top = "0"; s.maxHeight = "70vh"; s.overflow = "auto";
      s.padding = "16px 20px"; s.borderBottom = "4px solid #ff6b6b"; s.fontSize = "14px";
      var title = document.createElement("div");
      title.style.fontWeight = "bold";
      title.textContent = "sitegen: the build failed (" + plural(errors.length, "error") +
        "). This is the last good page; it reloads by itself once the errors are fixed.";
      panel.appendChild(title);
      panel.appendChild(list(errors));
      panel.appendChild(button("Hide", function () { panel = remove(panel); }));
      document.body.appendChild(panel);
    });
  }

  function showWarnings(warnings) {
    later(function () {
      badge = remove(badge);
      if (!warnings || !warnings.length) return;
      badge = box("sitegen-warnings", "#4a3a00");
      var s = badge.style;
      s.right = "12px"; s.bottom = "12px"; s.maxWidth = "min(90vw, 60em)";
      s.maxHeight = "50vh"; s.overflow = "auto"; s.padding = "6px 10px";
      s.borderRadius = "6px"; s.border = "2px solid #e0b000";
      var details = list(warnings);
      details.hidden = true;
      badge.appendChild(button("sitegen: " + plural(warnings.length, "warning"), function () {
        details.hidden = !details.hidden;
      }));
      badge.appendChild(details);
      document.body.appendChild(badge);
    });
  }

  function handle(type, data) {
    if (type === "error" || (type === "state" && data.status === "error")) {
      failed = true;
      showErrors(data.errors);
      showWarnings(data.warnings);
    } else if (type === "state") {
      if (failed || data.build !== build) location.reload();
      else showWarnings(data.warnings);
    } else if (type === "reload") {
      if (failed || concerns(data.changed)) {
        location.reload();
      } else {
        build = data.build;
        showWarnings(data.warnings);
      }
    }
  }

  var base = script.src.replace(/[^\/]*$/, "");
  if (window.SharedWorker) {
    try {
      var worker = new SharedWorker(base + "worker.js", { name: "sitegen-live" });
      worker.port.onmessage = function (event) { handle(event.data.type, event.data.data); };
      window.addEventListener("pagehide", function () { worker.port.postMessage("bye"); });
      return;
    } catch (error) { /* fall back to a stream of this tab's own */ }
  }
  var source = new EventSource(base + "events");
  ["state", "reload", "error"].forEach(function (type) {
    source.addEventListener(type, function (event) { handle(type, JSON.parse(event.data)); });
  });
})();
"""

WORKER_JS = r"""// sitegen serve: one event stream shared by every tab of the site.
"use strict";
var ports = [];
var last = null;
var source = new EventSource(self.location.href.replace(/[^\/]*$/, "") + "events");
["state", "reload", "error"].forEach(function (type) {
  source.addEventListener(type, function (event) {
    var data = JSON.parse(event.data);
    if (type === "state") last = { type: "state", data: data };
    else {
      last = { type: "state", data: {
        build: data.build, status: type === "error" ? "error" : "ok",
        errors: data.errors || [], warnings: data.warnings || [] } };
    }
    for (var i = 0; i < ports.length; i++) ports[i].postMessage({ type: type, data: data });
  });
});
self.onconnect = function (event) {
  var port = event.ports[0];
  ports.push(port);
  port.onmessage = function (message) {
    if (message.data === "bye") ports = ports.filter(function (p) { return p !== port; });
  };
  if (last) port.postMessage(last);
};
"""
