"""Every internal link, asset and fragment of every page leads somewhere that exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
import pytest

from tests.helpers import Run, output_path, run_sitegen
from tests.test_pages import build_digest, html_pages, linked, shared_digest

SAMPLE = Path(__file__).resolve().parent.parent
"""The repository's own sample digest (sitegen.toml and content/ at its root)."""


def base_of(output: Path, page: lxml.html.HtmlElement) -> tuple[str, str]:
    """The site's base URL and base path, read from the home page's canonical link."""
    (canonical,) = page.xpath("//link[@rel='canonical']/@href")
    path = urlsplit(canonical).path
    assert path.endswith("/")
    return canonical, path


@dataclass
class LinkWalk:
    """What walking a built site found."""

    pages: int = 0
    followed: int = 0
    fragments: int = 0
    problems: list[str] = field(default_factory=list)


def walk(output: Path) -> LinkWalk:
    """Follow every link, stylesheet and image of every page to a file of the output."""
    home = lxml.html.fromstring((output / "index.html").read_bytes())
    base_url, base_path = base_of(output, home)
    ids: dict[Path, set[str]] = {}

    def ids_of(file: Path) -> set[str]:
        if file not in ids:
            ids[file] = set(lxml.html.fromstring(file.read_bytes()).xpath("//@id"))
        return ids[file]

    result = LinkWalk()
    for url, page in html_pages(output):
        result.pages += 1
        page_url = urljoin(base_url, url.lstrip("/"))
        for element, link in linked(page):
            where = f"{url}: <{element.tag}> {link!r}"
            absolute = urljoin(page_url, link)
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https") or not absolute.startswith(base_url):
                # mailto:, or another site. A link from the root that leaves base_url is
                # a link into this host outside the site: a broken link.
                if link.startswith("/") and not link.startswith("//"):
                    result.problems.append(f"{where} is outside {base_path}")
                continue
            site_path = "/" + unquote(parts.path).removeprefix(base_path)
            file = output_path(output, site_path)
            if not file.is_file():
                result.problems.append(f"{where} leads to no file ({site_path})")
                continue
            result.followed += 1
            if parts.fragment:
                result.fragments += 1
                if file.suffix != ".html":
                    result.problems.append(f"{where}: a fragment of a file that is not a page")
                elif unquote(parts.fragment) not in ids_of(file):
                    result.problems.append(f"{where}: no id {unquote(parts.fragment)!r} there")
    return result


def check(walked: LinkWalk, output: Path) -> None:
    assert walked.problems == []
    assert walked.pages == len(list(output.rglob("*.html")))
    # Every page links at least its stylesheet, the home page and itself (canonical).
    assert walked.followed >= 3 * walked.pages
    assert walked.fragments > 0


@pytest.mark.parametrize(
    "args",
    [(), ("--drafts", "--future"), ("--base-url", "https://example.org/digest/")],
    ids=["default", "drafts-future", "sub-path"],
)
def test_every_link_of_the_digest_fixture_leads_somewhere(
    tmp_path_factory: pytest.TempPathFactory, args: tuple[str, ...]
) -> None:
    run = shared_digest(tmp_path_factory, *args)
    output = run.site / "output"
    check(walk(output), output)


def test_every_link_of_the_sample_digest_leads_somewhere(tmp_path: Path) -> None:
    output = tmp_path / "out"
    run = run_sitegen(SAMPLE, "build", "--output", str(output))
    assert run.exit_code == 0, run.output
    home = lxml.html.fromstring((output / "index.html").read_bytes())
    assert base_of(output, home)[1] == "/digest/"
    check(walk(output), output)


def test_walk_finds_broken_links(tmp_path: Path) -> None:
    """The walker itself: a missing page, a missing id and a link outside the base fail."""
    run: Run = build_digest(tmp_path, "--base-url", "https://example.org/digest/")
    output = run.site / "output"
    home = output / "index.html"
    text = home.read_text(encoding="utf-8")
    planted = (
        '<a href="/digest/nowhere/">x</a><a href="/digest/timeline/#no-such-id">y</a>'
        '<a href="/timeline/">z</a><a href="#content">fine</a>'
        '<a href="https://example.org/elsewhere/">fine</a>'
    )
    home.write_text(text.replace("</main>", planted + "</main>", 1), encoding="utf-8")
    problems = walk(output).problems
    assert len(problems) == 3, problems
    assert "/digest/nowhere/" in problems[0]
    assert "no-such-id" in problems[1]
    assert "'/timeline/' is outside /digest/" in problems[2]
