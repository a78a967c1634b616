"""The dev server: a folder of its own over HTTP on this machine, live reload, errors shown.

`sitegen serve` never builds into output/: the site is built for the server alone into
`.sitegen-cache/serve/<port>/site/` (`serve_folder`), with base_url's path on the server's
own origin (`serve_config`), so output/ keeps exactly what the last `sitegen build` made, and
that folder's twin, lock, memo and search index are its own.

`DevServer` serves that folder under base_url's path (http://127.0.0.1:8000/digest/ for
https://example.org/digest/), refusing anything outside it. Every HTML response (never the
file on disk) gets one `<script>` that connects to `/__sitegen/events`, a
server-sent-events stream: `state` on connect, `reload` after a build that changed files
(with their paths, so a tab reloads only when its page or a stylesheet, script or image
changed), `error` with the diagnostics of a failed build, which the script shows in a panel
over the page until a good build reloads it. Tabs share one stream through a SharedWorker,
so many tabs do not use up the browser's few connections per host. The two scripts are
package files, `sitegen/serve_files/`.

It is a BuildListener for `sitegen.watch.watch_site`: told when a build starts (the
background search index stops) and how it ended (the tabs are told; the index starts).

Pages of the server's own (`DevPage`, such as the inbox at `/__sitegen/inbox/`) are given
to it by name. A POST to one is carried out only with the secret the server made at start
(a form field `secret`) and from the server's own origin: no other site open in the
browser can make the server write files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import http.server
import importlib.resources
import json
import os
import queue
import secrets
import shutil
import socket
import sys
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.cache import CACHE_DIR
from sitegen.config import SiteConfig
from sitegen.diagnostics import Diagnostic, Level
from sitegen.errors import SitegenError
from sitegen.model import Site
from sitegen.newsletter import email_of
from sitegen.search import (
    BUNDLE_FOLDER,
    SEARCH_DELAY_SECONDS,
    SearchIndexer,
    ServedIndex,
    shards_of,
)
from sitegen.urls import output_file
from sitegen.watch import BuildOutcome, ChangeSet

ENDPOINTS = "/__sitegen/"
EMAIL_PREVIEW = "email/"
"""Under ENDPOINTS: `/__sitegen/email/editions/<slug>/` previews an edition's email."""
"""Where the server's own files and the event stream are, whatever the site's path."""
HEARTBEAT_SECONDS = 15.0
"""A comment line goes down each event stream this often, so a closed tab is noticed."""
SERVE_FOLDER = "serve"
"""Under .sitegen-cache/: one folder per port, each holding a dev server's site and index."""
SITE_FOLDER = "site"
"""In a dev server's folder: the site it builds and serves (its twin and lock beside it)."""
SEARCH_FOLDER = "search"
"""In a dev server's folder: the search index it makes in the background."""

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


def serve_folder(root: Path, port: int) -> Path:
    """The folder of the dev server on `port` for the site at `root`.

    One per port, so two servers of one site never build into one folder, and a server
    started again on the same port starts from the site it built last.
    """
    return root / CACHE_DIR / SERVE_FOLDER / str(port)


def serve_config(config: SiteConfig, origin: str, folder: Path) -> SiteConfig:
    """The configuration a dev server builds with: into `folder`'s site, for `origin`."""
    site = folder / SITE_FOLDER
    output_dir = (
        str(site.relative_to(config.root)) if site.is_relative_to(config.root) else str(site)
    )
    return dataclasses.replace(with_origin(config, origin), output_dir=output_dir)


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


def _ignored_by_git(folder: Path) -> None:
    """Make sitegen's cache folder, with the `.gitignore` that keeps it out of git."""
    ignore = folder / ".gitignore"
    if not ignore.exists():
        folder.mkdir(parents=True, exist_ok=True)
        ignore.write_text("*\n", encoding="utf-8")


@functools.cache
def browser_script(name: str) -> bytes:
    """One of the scripts the server sends tabs (`live.js`, `worker.js`), from the package."""
    return importlib.resources.files("sitegen").joinpath("serve_files", name).read_bytes()


@dataclass(frozen=True, slots=True)
class SiteView:
    """What the server serves: the built site's folder and the path it lives under."""

    output: Path
    base_path: str = "/"
    search: ServedIndex | None = None
    """A search index made in the background, served at `<base_path>pagefind/`."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A request to one of the server's own pages, `/__sitegen/<name>/<path>`."""

    method: str
    """GET, HEAD, or POST (a POST only once its origin and secret are checked)."""
    path: str
    """What follows `/__sitegen/<name>/`."""
    query: Mapping[str, str]
    form: Mapping[str, str]
    """A POST's form fields (the secret taken out)."""
    secret: str
    """The server's secret, for the page to put in its forms."""
    site: SiteView | None
    """What the server serves (None until the first build ended)."""


@dataclass(frozen=True, slots=True)
class PageAnswer:
    """A page's answer: HTML or text, or a redirect (303) to `location`."""

    status: int = 200
    body: str = ""
    content_type: str = CONTENT_TYPES[".html"]
    location: str | None = None


DevPage = Callable[[PageRequest], PageAnswer]
"""One of the server's own pages."""
MAX_FORM_BYTES = 65536
"""The largest POST body a page is given."""
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
"""The Content-Security-Policy of the server's own pages: no script, never in a frame."""


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
    """A request for something outside the served folder."""


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

    def do_POST(self) -> None:
        dev = self.server.dev
        raw, _, query = self.path.partition("?")
        name, _, rest = raw.removeprefix(ENDPOINTS).partition("/")
        page = dev.pages.get(name) if raw.startswith(ENDPOINTS) else None
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            self.close_connection = True
            self._plain(413, "the form is too large", False)
            return
        body = self.rfile.read(int(length))
        if not dev.host_allowed(self.headers.get("Host")):
            self._plain(403, "this server answers only to its own address", False)
            return
        if page is None:
            self._plain(404, "not found", False)
            return
        if not dev.same_origin(
            self.headers.get("Origin"), self.headers.get("Sec-Fetch-Site"), self.headers.get("Host")
        ):
            self._plain(403, "refused: the request comes from another site", False)
            return
        form = {
            key: values[-1]
            for key, values in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()
        }
        if not secrets.compare_digest(form.pop("secret", "").encode(), dev.secret.encode()):
            self._plain(403, "refused: the request does not carry this server's secret", False)
            return
        self._page(page, "POST", rest, query, form, False)

    def _page(
        self, page: DevPage, method: str, path: str, query: str, form: dict[str, str], head: bool
    ) -> None:
        dev = self.server.dev
        fields = {key: values[-1] for key, values in urllib.parse.parse_qs(query).items()}
        answer = page(PageRequest(method, path, fields, form, dev.secret, dev.site))
        self.send_response(answer.status)
        body = answer.body.encode("utf-8")
        if answer.location is not None:
            self.send_header("Location", answer.location)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", PAGE_POLICY)
        self.end_headers()
        if not head:
            self.wfile.write(body)

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
        if site is None:
            self._plain(503, "the site is being built", head)
            return
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
            found = site.search.locate(parts[1:])
            if found is None:
                return None
            root, parts = found
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
        page_name, _, rest = name.partition("/")
        page = self.server.dev.pages.get(page_name)
        if page is not None:
            query = self.path.partition("?")[2].partition("#")[0]
            self._page(page, "HEAD" if head else "GET", rest, query, {}, head)
        elif name == "events":
            self._events(head)
        elif name == "live.js":
            self._send(200, CONTENT_TYPES[".js"], browser_script("live.js"), head)
        elif name == "worker.js":
            self._send(200, CONTENT_TYPES[".js"], browser_script("worker.js"), head)
        elif name.startswith(EMAIL_PREVIEW):
            self._email(name[len(EMAIL_PREVIEW) :], head)
        elif name == "state":
            body = json.dumps(self.server.dev.hub.state(), ensure_ascii=False).encode()
            self._send(200, "application/json", body, head)
        else:
            self._plain(404, "not found", head)

    def _email(self, path: str, head: bool) -> None:
        """The email of the edition at /<path>, as `sitegen edition export` makes it."""
        dev = self.server.dev
        if dev.built_site is None:
            self._plain(503, "the site is being built", head)
            return
        site, config = dev.built_site
        edition = next((e for e in site.editions.values() if e.url == "/" + path), None)
        if edition is None:
            self._plain(404, f"no edition at /{path}", head)
            return
        try:
            html = email_of(site, config, edition).html.encode("utf-8")
        except SitegenError as error:
            self._plain(500, str(error), head)
            return
        tag = live_script_tag(dev.hub.build, output_file(edition.url))  # reloads with the page
        self._send(200, CONTENT_TYPES[".html"], inject_script(html, tag), head)

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
        pages: Mapping[str, DevPage] | None = None,
    ) -> None:
        self.bind = bind
        self.pages: Mapping[str, DevPage] = dict(pages or {})
        """The server's own pages by name, at `/__sitegen/<name>/`."""
        self.secret = secrets.token_urlsafe(32)
        """Made at start: a POST to a page without it is refused."""
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
        self.keeps_folder = port != 0
        """Whether its folder outlives it: not on a port the system chose, which no later
        server is started on to take up where it left off."""
        self._folders: set[Path] = set()
        self.site: SiteView | None = None
        """What is served; None until the first build ended."""
        self.built_site: tuple[Site, SiteConfig] | None = None
        """The site model of the last good build, for the editions' email previews."""
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
        """The site's address on this server (its root until the first build ended)."""
        return self.origin + (self.site.base_path if self.site is not None else "/")

    def folder(self, root: Path) -> Path:
        """The server's own folder for the site at `root`: the site it builds, its index."""
        return serve_folder(root, self.port)

    def localise(self, config: SiteConfig) -> SiteConfig:
        """The configuration to build with: into this server's folder, on its origin.

        base_url keeps its path; output/ is left to `sitegen build`.
        """
        _ignored_by_git(config.root / CACHE_DIR)
        return serve_config(config, self.origin, self.folder(config.root))

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

    def same_origin(self, origin: str | None, fetch_site: str | None, host: str | None) -> bool:
        """Whether a request comes from the server's own pages (or from no site at all).

        Browsers say where a request comes from in `Origin` and `Sec-Fetch-Site`; the
        origin must be this server as the request's `Host` names it.
        """
        if origin is not None:
            return host is not None and origin.lower() == f"http://{host}".lower()
        return fetch_site in (None, "same-origin", "none")

    def start(self) -> None:
        """Serve on a thread of its own."""
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
            name="sitegen-serve",
        )  # fmt: skip
        self._thread.start()

    def close(self) -> None:
        """End every event stream, stop serving and stop the search index.

        Its folder is removed too, unless `keeps_folder`.
        """
        self.hub.close()
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._http.server_close()
        if self.indexer is not None:
            self.indexer.close()
        if not self.keeps_folder:
            for folder in self._folders:
                shutil.rmtree(folder, ignore_errors=True)

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
        """A build ended: serve its site, tell the tabs, and index it for search.

        What is served is this server's folder (never output/), whatever the build wrote.
        """
        config = outcome.config
        folder = self.folder(config.root)
        self._folders.add(folder)
        if self.indexer is None and config.search:
            self.indexer = SearchIndexer(
                folder / SEARCH_FOLDER, delay=self._search_delay, on_done=self._indexed
            )
        search = self.indexer.current if self.indexer is not None else None
        site = (folder / SITE_FOLDER).absolute()
        self.site = SiteView(site, config.base_path, search)
        if not outcome.ok:
            self.hub.fail(outcome.diagnostics)
            return
        if outcome.result is not None:
            self.built_site = (outcome.result.site, config)
        warnings = tuple(d for d in outcome.diagnostics if d.level is Level.WARNING)
        self.hub.built(outcome.changed_files, warnings)
        result = outcome.result
        if config.search and self.indexer is not None and result is not None and result.state:
            made = result.state.output.tree.made
            shards = {
                name: [(path, made[path].digest) for path in paths if path in made]
                for name, paths in shards_of(result.site.reports.values()).items()
            }
            self.indexer.start(site, shards)

    def _indexed(self, seconds: float, problem: str | None) -> None:
        if problem is None and self.indexer is not None and self.site is not None:
            self.site = dataclasses.replace(self.site, search=self.indexer.current)
        if self._on_search is not None:
            self._on_search(seconds, problem)
