"""Helpers for tests: write a small site, build it with the real CLI, parse what it wrote."""

from __future__ import annotations

import struct
import textwrap
import zlib
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from click.testing import CliRunner

from sitegen.cache import output_books
from sitegen.cli import main
from sitegen.config import load_config
from sitegen.output import OutputBooks, twin_place


def report_text(body: str = "Body text.\n", **fields: str) -> str:
    """A report file: front matter from fields (values are YAML text), then the body."""
    lines = ["---"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    lines += ["---", textwrap.dedent(body)]
    return "\n".join(lines)


def make_site(root: Path, files: dict[str, str | bytes], config: str | None = None) -> Path:
    """Write files (path under the site -> text or bytes) and sitegen.toml into root."""
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "sitegen.toml").write_text(textwrap.dedent(config), encoding="utf-8")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@dataclass
class Run:
    """The outcome of one sitegen command."""

    exit_code: int
    output: str
    """stdout and stderr together."""
    site: Path

    def page(self, url_path: str) -> lxml.html.HtmlElement:
        """Parse the built page for a site path like `/tags/x/`."""
        return parse_page(self.site / "output", url_path)


def run_sitegen(site: Path, *args: str) -> Run:
    """Run `sitegen <args> --site <site>` in this process, as a user would from a shell."""
    result = CliRunner().invoke(main, [*args, "--site", str(site)], catch_exceptions=False)
    return Run(result.exit_code, result.output, site)


def build(site: Path, *args: str) -> Run:
    """`sitegen build` a site; the test fails with the output if the build fails."""
    run = run_sitegen(site, "build", *args)
    assert run.exit_code == 0, run.output
    return run


def output_path(output: Path, url_path: str) -> Path:
    """The file under output/ that serves a site path."""
    relative = url_path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    return output / relative


def parse_page(output: Path, url_path: str) -> lxml.html.HtmlElement:
    """Parse one built page."""
    path = output_path(output, url_path)
    assert path.is_file(), f"{url_path} was not built ({path} missing)"
    return lxml.html.fromstring(path.read_bytes())


def texts(page: lxml.html.HtmlElement, css_or_xpath: str) -> list[str]:
    """Whitespace-normalised text of each element an XPath expression selects."""
    return [" ".join(e.text_content().split()) for e in page.xpath(css_or_xpath)]


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    """A small valid PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def books_of(site: Path, output: Path | None = None) -> OutputBooks:
    """Where sitegen keeps what it knows of a site's output folder (output/ by default)."""
    config = load_config(site)
    return output_books(config, output or config.output_path)


def twin_of(site: Path, output: Path | None = None) -> Path:
    """Where the twin of a site's output folder is (output/ by default)."""
    return twin_place(books_of(site, output)).path
