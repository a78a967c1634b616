"""The output folder: files sitegen did not make are kept or stop the build; nothing is written
outside it; every front-matter value reaches pages escaped."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from tests.helpers import build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import listing, png_bytes, problems, read_tree

A = "content/reports/a.md"
GOOD = report_text(title="A good report", date="2024-03-01", tags="[smuggling]")
KEPT = {
    "CNAME": b"digest.example.org\n",
    ".nojekyll": b"",
    ".git/HEAD": b"ref: refs/heads/gh-pages\n",
    ".git/config": b"[core]\n\tbare = false\n",
    ".git/objects/ab/cdef0123": b"\x78\x01binary object",
}


def test_foreign_files_survive_rebuilds(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {A: GOOD})
    build(site)
    output = site / "output"
    make_site(output, KEPT)
    make_site(site, {"content/reports/b.md": report_text(title="Second", date="2024-03-02")})
    run = build(site)
    assert texts(run.page("/reports/b/"), "//h1") == ["Second"]
    assert {name: (output / name).read_bytes() for name in KEPT} == KEPT
    (site / "content/reports/b.md").unlink()
    build(site)
    assert not (output / "reports" / "b").exists()
    assert {name: (output / name).read_bytes() for name in KEPT} == KEPT
    assert texts(run.page("/reports/a/"), "//h1") == ["A good report"]


def test_foreign_files_survive_a_failed_build(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {A: GOOD})
    build(site)
    make_site(site / "output", KEPT)
    before = read_tree(site / "output")
    make_site(site, {"content/reports/b.md": report_text(title="Broken", date="2024-02-30")})
    run = run_sitegen(site, "build")
    assert run.exit_code == 1, run.output
    assert read_tree(site / "output") == before


@pytest.mark.parametrize(
    ("foreign", "added", "names"),
    [
        ({"news/notes.txt": b"my notes\n"}, "content/news/b.md", "output/news"),
        (
            {"reports/b/index.html": b"<p>hand made</p>\n"},
            "content/reports/b.md",
            "output/reports/b",
        ),
        ({"tags/smuggling/x.txt": b"hand made\n"}, "content/reports/b.md", "output/tags/smuggling"),
    ],
)
def test_foreign_file_where_a_page_goes_stops_the_build(
    tmp_path: Path, foreign: dict[str, bytes], added: str, names: str
) -> None:
    site = make_site(
        tmp_path / "site",
        {"content/reports/first.md": report_text(title="First", date="2024-03-01")},
    )
    build(site)
    make_site(site / "output", foreign)
    before = read_tree(site / "output")
    make_site(site, {added: GOOD})
    site_before = listing(site)
    run = run_sitegen(site, "build")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert names in run.output
    assert read_tree(site / "output") == before
    assert listing(site) == site_before


def _paths(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def test_output_not_made_by_sitegen_is_refused(tmp_path: Path) -> None:
    site = make_site(
        tmp_path / "site",
        {A: GOOD, "output/index.html": "<p>my own site</p>\n", "output/notes/a.txt": "notes\n"},
    )
    before, paths_before = read_tree(site), _paths(site)
    run = run_sitegen(site, "build")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert "output" in run.output
    assert read_tree(site) == before
    assert _paths(site) == paths_before


@pytest.mark.parametrize("target", [".", "content", "content/reports", "..", "output/.."])
def test_output_option_over_the_site_is_refused(tmp_path: Path, target: str) -> None:
    site = make_site(tmp_path / "site", {A: GOOD})
    build(site)
    before, paths_before = read_tree(tmp_path), _paths(tmp_path)
    run = run_sitegen(site, "build", "--output", str(site / target))
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert read_tree(tmp_path) == before
    assert _paths(tmp_path) == paths_before


SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"onmouseover="x'


def _nasty(what: str) -> str:
    return f"{SCRIPT} {what} {ATTRIBUTE}"


def _yaml(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


NASTY = {
    key: _nasty(key)
    for key in ("title", "summary", "author", "tag", "place", "alt", "caption", "credit", "source")
}
NASTY["translation"] = _nasty("translation")
NASTY_URL = "https://example.org/news/1?q=" + ATTRIBUTE + SCRIPT
NASTY_REPORT = "\n".join(
    [
        "---",
        f"title: {_yaml(NASTY['title'])}",
        "date: 2024-03-01",
        f"summary: {_yaml(NASTY['summary'])}",
        f"author: {_yaml(NASTY['author'])}",
        f"tags: [{_yaml(NASTY['tag'])}, plain]",
        f"places: [{_yaml(NASTY['place'])}]",
        "image:",
        "  src: photo.png",
        f"  alt: {_yaml(NASTY['alt'])}",
        f"  caption: {_yaml(NASTY['caption'])}",
        f"  credit: {_yaml(NASTY['credit'])}",
        "source:",
        f"  name: {_yaml(NASTY['source'])}",
        f"  url: {_yaml(NASTY_URL)}",
        "  lang: ko",
        "translations:",
        "  - lang: ja",
        f"    url: {_yaml(NASTY_URL + '&ja')}",
        f"    name: {_yaml(NASTY['translation'])}",
        f"desk_note: {_yaml(_nasty('desk note'))}",
        "---",
        "The body.",
    ]
)


def _assert_no_injection(page: lxml.html.HtmlElement, where: str) -> None:
    for script in page.xpath("//script"):
        if script.get("type") == "application/ld+json":
            json.loads(script.text_content())
        else:  # only the theme's own script files
            shown = (where, lxml.html.tostring(script))
            assert script.get("src", "").startswith("/"), shown
            assert not script.text_content().strip(), shown
    assert page.xpath("//@onmouseover") == [], where
    assert page.xpath("//*[starts-with(name(), 'script') and not(self::script)]") == []


def test_front_matter_values_are_escaped(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {A: NASTY_REPORT, "content/reports/photo.png": png_bytes()},
        'title = "Digest"\ndescription = "A digest of reports."\n',
    )
    run = build(site)
    assert [p for p in problems(run.output) if p.level == "error"] == []
    pages = sorted((site / "output").rglob("*.html"))
    assert len(pages) > 5
    for path in pages:
        _assert_no_injection(lxml.html.fromstring(path.read_bytes()), str(path))

    page = run.page("/reports/a/")
    assert texts(page, "//h1") == [NASTY["title"]]
    data = [
        json.loads(s.text_content()) for s in page.xpath("//script[@type='application/ld+json']")
    ]
    assert [d.get("headline") for d in data if d.get("@type") == "NewsArticle"] == [NASTY["title"]]
    assert page.findtext(".//title").startswith(NASTY["title"])
    assert texts(page, "//*[contains(@class, 'lede')]") == [NASTY["summary"]]
    assert page.xpath("//meta[@name='description']/@content") == [NASTY["summary"]]
    assert texts(page, "//*[contains(@class, 'author')]") == [NASTY["author"]]
    assert NASTY["tag"] in texts(page, "//a[@rel='tag']")
    assert NASTY["place"] in texts(page, "//a[@rel='tag']")
    (img,) = page.xpath("//div[contains(@class, 'report-body')]/preceding::img")
    assert img.get("alt") == NASTY["alt"]
    assert texts(page, "//figcaption/*[contains(@class, 'caption')]") == [NASTY["caption"]]
    assert texts(page, "//figcaption/*[contains(@class, 'credit')]") == [NASTY["credit"]]
    (source,) = page.xpath("//a[@href=$url]", url=NASTY_URL)
    assert " ".join(source.text_content().split()) == NASTY["source"]
    (translation,) = page.xpath("//a[@href=$url]", url=NASTY_URL + "&ja")
    assert " ".join(translation.text_content().split()) == NASTY["translation"]

    home = run.page("/")
    assert NASTY["title"] in texts(home, "//main//a")
    assert NASTY["summary"] in texts(home, "//main//p")


def test_front_matter_values_are_escaped_in_the_feed(tmp_path: Path) -> None:
    site = make_site(tmp_path, {A: NASTY_REPORT, "content/reports/photo.png": png_bytes()})
    build(site)
    feed = lxml.etree.fromstring((site / "output" / "feed.xml").read_bytes())
    atom = {"a": "http://www.w3.org/2005/Atom"}
    (entry,) = feed.xpath("//a:entry", namespaces=atom)
    assert entry.xpath("string(a:title)", namespaces=atom) == NASTY["title"]
    assert entry.xpath("string(a:summary)", namespaces=atom) == NASTY["summary"]
    assert NASTY["tag"] in entry.xpath("a:category/@term", namespaces=atom)
    for content in entry.xpath("a:content[@type='html']", namespaces=atom):
        html = lxml.html.fragment_fromstring(content.text, create_parent="div")
        assert html.xpath("//script | //@onmouseover") == []
