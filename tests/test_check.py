"""`sitegen check`: validates without writing the site, names every broken link and #anchor
(in bodies by file and line, in templates by template), fails under --strict, and with
--external asks each source and translation URL politely and remembers the answers."""

from __future__ import annotations

import http.server
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.content.discover import discover_sources
from sitegen.content.report import parse_report
from sitegen.external import check_external_links
from tests.helpers import Run, make_site, report_text, run_sitegen
from tests.test_content_errors import line_of, listing, messages, problems

A = "content/reports/a.md"
OTHER = "content/reports/other.md"
A_TEXT = report_text(
    """\
    ## Intro

    A link to [a missing anchor](#nope) and [one that is there](#intro).

    [Another page's missing anchor](/reports/other/#nope)
    and [a page that is not there](/reports/missing/).

    [Another page's heading](/reports/other/#real-heading), [its page](/reports/other/).
    """,
    title="Links",
    date="2024-03-01",
)
OTHER_TEXT = report_text("## Real heading\n\nText.\n", title="Other", date="2024-03-02")
TEMPLATE = """\
{% extends "base.html" %}
{% block content %}
<p><a href="{{ '/reports/a/' | link }}">fine</a></p>
<p><a href="{{ '/nowhere/' | link }}">broken</a></p>
<p><a href="#missing-anchor">no anchor</a></p>
{% endblock %}
"""


def _site(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    return make_site(tmp_path / "site", files or {A: A_TEXT, OTHER: OTHER_TEXT})


def _checked(site: Path, *args: str) -> Run:
    """Run `sitegen check`; it must write no site and nothing else outside sitegen's cache."""
    before = listing(site)
    run = run_sitegen(site, "check", *args)
    assert "Traceback" not in run.output
    assert not (site / "output").exists()
    assert listing(site) == before
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".output")) == []
    return run


def test_check_writes_nothing_on_a_good_site(tmp_path: Path) -> None:
    site = _site(tmp_path, {OTHER: OTHER_TEXT})
    run = _checked(site)
    assert run.exit_code == 0, run.output
    assert problems(run.output) == []


def test_check_names_broken_body_links_and_anchors(tmp_path: Path) -> None:
    run = _checked(_site(tmp_path))
    assert run.exit_code == 0, run.output
    broken = {
        "#nope": line_of(A_TEXT, "(#nope)"),
        "/reports/other/#nope": line_of(A_TEXT, "(/reports/other/#nope)"),
        "/reports/missing/": line_of(A_TEXT, "(/reports/missing/)"),
    }
    for target, line in broken.items():
        found = messages(run, A, line, "warning")
        assert any(target in m for m in found), (target, line, run.output)
    warned = {p.line for p in problems(run.output) if p.path == A}
    assert warned == set(broken.values()), run.output
    assert [p for p in problems(run.output) if p.path == OTHER] == []


def test_check_strict_fails_on_broken_links(tmp_path: Path) -> None:
    run = _checked(_site(tmp_path), "--strict")
    assert run.exit_code == 1, run.output
    assert any(
        p.path == A and p.level == "error" and "/reports/missing/" in p.message
        for p in problems(run.output)
    ), run.output


def _template_lines(run: Run, template: str) -> list[str]:
    return [line for line in run.output.splitlines() if line.startswith(template + ":")]


def test_check_names_broken_links_in_templates(tmp_path: Path) -> None:
    site = _site(
        tmp_path, {A: report_text(title="A", date="2024-03-01"), "templates/home.html": TEMPLATE}
    )
    run = _checked(site)
    assert run.exit_code == 0, run.output
    named = _template_lines(run, "templates/home.html")
    assert any("warning" in line and "/nowhere/" in line for line in named), run.output
    assert any("warning" in line and "#missing-anchor" in line for line in named), run.output
    assert not any("/reports/a/" in line for line in named), run.output

    strict = _checked(site, "--strict")
    assert strict.exit_code == 1, strict.output
    named = _template_lines(strict, "templates/home.html")
    assert any("error" in line and "/nowhere/" in line for line in named), strict.output


def test_check_reports_content_errors_without_writing(tmp_path: Path) -> None:
    bad = report_text(title="Bad", date="2024-02-30")
    run = _checked(_site(tmp_path, {A: bad}))
    assert run.exit_code == 1, run.output
    assert messages(run, A, line_of(bad, "date:")), run.output


# --- --external ------------------------------------------------------------------------------


@dataclass
class Requests:
    """What the local server was asked: (method, path, start, end) per request."""

    seen: list[tuple[str, str, float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for _, p, _, _ in self.seen if p == path)


@dataclass
class Server:
    url: str
    """http://127.0.0.1:<port>"""
    requests: Requests

    @property
    def other_host(self) -> str:
        """The same server by another host name, which sitegen paces apart from the first."""
        return self.url.replace("127.0.0.1", "localhost")


@pytest.fixture
def server() -> Iterator[Server]:
    """A threading HTTP server on 127.0.0.1: /good answers 200, anything else 404; each
    request takes a little while, so requests that overlap would be seen overlapping."""
    requests = Requests()

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self, body: bool) -> None:
            start = time.monotonic()
            time.sleep(0.05)
            status = 200 if self.path.startswith("/good") else 404
            self.send_response(status)
            self.send_header("Content-Length", "2" if body else "0")
            self.end_headers()
            if body:
                self.wfile.write(b"ok")
            with requests.lock:
                requests.seen.append((self.command, self.path, start, time.monotonic()))

        def do_HEAD(self) -> None:
            self.answer(body=False)

        def do_GET(self) -> None:
            self.answer(body=True)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", requests)
    finally:
        httpd.shutdown()
        httpd.server_close()


def _external_site(tmp_path: Path, server: Server) -> tuple[Path, str, str]:
    bad = "\n".join(
        [
            "---",
            "title: Gone",
            "date: 2024-03-01",
            "source:",
            "  name: Example Daily",
            f"  url: {server.url}/gone/1",
            "---",
            "Body.",
        ]
    )
    good = "\n".join(
        [
            "---",
            "title: Here",
            "date: 2024-03-02",
            "translations:",
            "  - lang: ko",
            f"    url: {server.other_host}/good/1",
            "---",
            "Body.",
        ]
    )
    return _site(tmp_path, {A: bad, "content/reports/b.md": good}), bad, good


def test_external_links_are_asked_and_cached(tmp_path: Path, server: Server) -> None:
    site, bad, _ = _external_site(tmp_path, server)
    run = _checked(site, "--external")
    assert run.exit_code == 0, run.output
    found = messages(run, A, line_of(bad, "source:"), "warning") + messages(
        run, A, line_of(bad, "url:"), "warning"
    )
    assert any("/gone/1" in m and "404" in m for m in found), run.output
    assert [p for p in problems(run.output) if p.path == "content/reports/b.md"] == []
    assert server.requests.count("/good/1") == 1
    assert server.requests.count("/gone/1") >= 1

    cache = json.loads((site / ".sitegen-cache" / "external-links.json").read_text("utf-8"))
    assert f"{server.other_host}/good/1" in json.dumps(cache)

    again = _checked(site, "--external")
    assert again.exit_code == 0, again.output
    assert server.requests.count("/good/1") == 1, "the cached good answer was asked again"
    assert any("/gone/1" in p.message for p in problems(again.output) if p.path == A)

    strict = _checked(site, "--external", "--strict")
    assert strict.exit_code == 1, strict.output


def test_external_requests_to_one_host_are_paced(tmp_path: Path, server: Server) -> None:
    interval = 0.2
    paths = [f"/good/{n}" for n in range(4)]
    files = {
        f"content/reports/r{n}.md": report_text(
            title=f"R{n}",
            date="2024-03-01",
            source=f"{{name: Outlet, url: '{server.url}{path}'}}",
        )
        for n, path in enumerate(paths)
    }
    site = make_site(tmp_path / "site", files)
    config = load_config(site)
    sources, _ = discover_sources(config)
    reports = [parse_report(source, config, lambda d: None) for source in sources]
    problems_found = check_external_links(reports, site, per_host_interval=interval)
    assert problems_found == []
    seen = sorted(server.requests.seen, key=lambda r: r[2])
    assert sorted(path for _, path, _, _ in seen) == paths
    for (_, _, _, end), (_, _, next_start, _) in itertools.pairwise(seen):
        assert next_start >= end, "two requests to one host at once"
        assert next_start - end >= interval * 0.9, "requests to one host not spaced out"
