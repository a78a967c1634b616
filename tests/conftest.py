"""Shared fixtures for the browser and markup tests: built sites served on 127.0.0.1, Chromium.

The tools come from scripts/install-test-tools.sh (Chromium from apt, the Nu Html Checker and
axe-core from npm into node_modules/); a test that needs a missing one is skipped, saying so.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import build

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("SITEGEN_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL = "run scripts/install-test-tools.sh"


def need_chromium() -> None:
    """Skip unless Chromium and Playwright are installed."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}: {INSTALL}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -e '.[test]'")


def need_node_module(path: Path) -> Path:
    """Skip unless a file from an npm package is installed."""
    if not path.is_file():
        pytest.skip(f"{path.relative_to(ROOT)} not found: {INSTALL}")
    return path


def need_java() -> str:
    """Skip unless java is on PATH."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("java not found (the Nu Html Checker needs Java 11 or newer)")
    return java


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Served:
    """A built site served over HTTP on 127.0.0.1."""

    url: str
    """The site's base URL, ending in '/'."""
    output: Path
    """The built site's folder."""

    def pages(self) -> list[str]:
        """The URL of every HTML page of the site (search bundle aside), sorted."""
        urls = []
        for path in sorted(self.output.rglob("*.html")):
            relative = path.relative_to(self.output).as_posix()
            if relative.startswith("pagefind/"):
                continue
            if relative.endswith("index.html"):
                relative = relative[: -len("index.html")]
            urls.append(self.url + relative)
        return urls


def _serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def serve_site(site: Path, www: Path, sub_path: str = "") -> Iterator[Served]:
    """Build site into www/<sub_path> with a base URL on a free port, and serve www there."""
    www.mkdir(parents=True, exist_ok=True)
    server, port = _serve(www)
    try:
        url = f"http://127.0.0.1:{port}/{sub_path}"
        output = www / sub_path
        build(site, "--base-url", url, "--output", str(output))
        yield Served(url, output)
    finally:
        server.shutdown()
        server.server_close()


def copy_site(source: Path, target: Path) -> Path:
    """Copy a site's sources (sitegen.toml, content/, static/, ...) to build it elsewhere."""
    target.mkdir(parents=True)
    for name in ("sitegen.toml", "content", "static", "data", "templates", "themes", "i18n"):
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
        elif (source / name).is_file():
            shutil.copy2(source / name, target / name)
    return target


@pytest.fixture(scope="session")
def sample_digest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The repository's sample digest, built and served at the root of a local port."""
    base = tmp_path_factory.mktemp("sample")
    site = copy_site(ROOT, base / "site")
    yield from serve_site(site, base / "www")


@pytest.fixture(scope="session")
def fixture_digest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The tests' fixture digest (tests/sites/digest), built and served under /digest/."""
    base = tmp_path_factory.mktemp("fixture")
    site = copy_site(ROOT / "tests" / "sites" / "digest", base / "site")
    yield from serve_site(site, base / "www", "digest/")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A browser context of its own (no cache, no cookies) that waits 20 s at the most."""
    context = browser.new_context()
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium, driven by Playwright (skipped where either is missing)."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
"""WCAG 2.1 A and AA."""


def axe_violations(page: Any, tags: list[str] = AXE_TAGS) -> list[str]:
    """Run axe-core's rules of these tags on a Playwright page; one line per violation and
    element."""
    page.add_script_tag(path=str(need_node_module(AXE_JS)))
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.flatMap(v => v.nodes.map(n =>
                `${v.id}: ${n.target.join(" ")}: ${n.failureSummary.replace(/\\s+/g, " ")}`));
        }""",
        tags,
    )
    return [str(v) for v in violations]
