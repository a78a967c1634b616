"""A local HTTP server on 127.0.0.1 that serves fixture feeds, and misbehaves on purpose."""

from __future__ import annotations

import gzip
import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FEEDS = Path(__file__).parent / "sites" / "inbox_feeds"
SLOW_SECONDS = 4.0
"""How long /slow.xml waits before answering: longer than the tests' timeout."""
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 04 Dec 2024 08:00:00 GMT"


def huge_feed(count: int) -> bytes:
    """An RSS 2.0 feed of `count` items."""
    items = "".join(
        f"<item><title>Item {n}</title><link>https://huge.example.org/{n}</link></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>'
        f"{items}</channel></rss>"
    ).encode()


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    """One request the server answered."""

    path: str
    headers: dict[str, str]


class FeedServer:
    """Serves /<name>.xml from tests/sites/inbox_feeds/ and a few routes that misbehave."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.routes: dict[str, Callable[[dict[str, str]], Answer]] = {
            "/missing.xml": lambda _: Answer(404, b"not here"),
            "/broken.xml": lambda _: Answer(500, b"oops"),
            "/slow.xml": self._slow,
            "/loop-a": lambda _: Answer(302, headers={"Location": "/loop-b"}),
            "/loop-b": lambda _: Answer(302, headers={"Location": "/loop-a"}),
            "/moved.xml": lambda _: Answer(301, headers={"Location": "/rss2.xml"}),
            "/conditional.xml": self._conditional,
            "/page.html": lambda _: Answer(
                200,
                b"<!doctype html><html><body><p>Not a feed</p></body></html>",
                {"Content-Type": "text/html; charset=utf-8"},
            ),
            "/huge.xml": lambda _: Answer(200, huge_feed(100_000), self._xml()),
            "/article.html": lambda _: Answer(
                200, (FEEDS / "article.html").read_bytes(), {"Content-Type": "text/html"}
            ),
        }
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {key.lower(): value for key, value in self.headers.items()}
                owner.requests.append(Seen(self.path, headers))
                answer = owner.answer(self.path, headers)
                body = answer.body
                if body and "gzip" in headers.get("accept-encoding", ""):
                    body = gzip.compress(body)
                    answer.headers["Content-Encoding"] = "gzip"
                try:
                    self.send_response(answer.status)
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @staticmethod
    def _xml() -> dict[str, str]:
        return {"Content-Type": "application/rss+xml; charset=utf-8"}

    def answer(self, path: str, headers: dict[str, str]) -> Answer:
        route = self.routes.get(path)
        if route is not None:
            return route(headers)
        file = FEEDS / path.lstrip("/")
        if path.count("/") == 1 and file.is_file():
            return Answer(200, file.read_bytes(), self._xml())
        return Answer(404, b"not here")

    def _slow(self, headers: dict[str, str]) -> Answer:
        time.sleep(SLOW_SECONDS)
        return Answer(200, (FEEDS / "rss2.xml").read_bytes(), self._xml())

    def _conditional(self, headers: dict[str, str]) -> Answer:
        if headers.get("if-none-match") == ETAG:
            return Answer(304, headers={"ETag": ETAG})
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        return Answer(200, (FEEDS / "rss1.xml").read_bytes(), {**self._xml(), **validators})

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
