"""Rebuilds with the cache: after every kind of change, the output equals a cold build of the
same files byte for byte, unchanged files are not rewritten, and a damaged cache is noticed
and rebuilt, never used."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import pytest

import sitegen.loading
from sitegen import build as build_module
from sitegen.cache import CACHE_DIR
from sitegen.config import BuildOptions, LanguageSettings, Permalinks, SiteConfig, load_config
from sitegen.content.discover import SourceFile
from sitegen.diagnostics import Reporter
from sitegen.loading import load_reports
from sitegen.state import BuildRequest, BuildResult, PartialBuild
from tests.helpers import Run, build, make_site, png_bytes, report_text, run_sitegen

CONFIG = """\
title = "Incremental"
base_url = "https://example.org/news/"
per_page = 2
search = false
"""

PAGE_TEMPLATE = """\
{% extends "base.html" %}
{% block content %}
<h1>{{ t(taxonomy) }}</h1>
<ul class="term-index">
{% for term in terms %}
<li><a href="{{ term.url | link }}">{{ term.name }}</a> {{ term.count }}</li>
{% endfor %}
</ul>
{% endblock %}
"""


def site_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "templates/taxonomy.html": PAGE_TEMPLATE,
        "static/notes.txt": "first\n",
    }
    for number in range(1, 7):
        files[f"content/reports/2024/report-{number}.md"] = report_text(
            f"Body of report {number}.\n\nSee [the timeline](/timeline/).\n",
            title=f"Report {number}",
            date=f"2024-0{number}-1{number}",
            summary=f"Summary {number}.",
            tags=f"[tag {number % 3}, shared]",
            places="[Sinuiju]" if number % 2 else "[Hyesan]",
        )
    return files


def tree(folder: Path) -> dict[str, bytes]:
    """Every file of a built site with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file's inode and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cold_build(site: Path, tmp_path: Path) -> dict[str, bytes]:
    """Build a copy of the site's sources, with no cache and no output, elsewhere."""
    copy = tmp_path / "cold"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(
        site,
        copy,
        ignore=shutil.ignore_patterns("output", CACHE_DIR),
    )
    build(copy)
    return tree(copy / "output")


def rendered(run: Run) -> int:
    found = re.search(r"\((\d+) rendered\)", run.output)
    assert found, run.output
    return int(found.group(1))


def edit_body(site: Path) -> None:
    path = site / "content/reports/2024/report-3.md"
    path.write_text(path.read_text().replace("Body of report 3.", "Body of report three."))


def edit_front_matter(site: Path) -> None:
    path = site / "content/reports/2024/report-2.md"
    path.write_text(path.read_text().replace("Summary 2.", "A new summary."))


def edit_tags(site: Path) -> None:
    path = site / "content/reports/2024/report-4.md"
    path.write_text(path.read_text().replace("[tag 1, shared]", "[tag 2, brand new]"))


def edit_date(site: Path) -> None:
    path = site / "content/reports/2024/report-1.md"
    path.write_text(path.read_text().replace("2024-01-11", "2024-06-30"))


def add_report(site: Path) -> None:
    (site / "content/reports/2024/report-9.md").write_text(
        report_text(title="Report 9", date="2024-09-19", tags="[shared]", places="[Rason]")
    )


def delete_report(site: Path) -> None:
    (site / "content/reports/2024/report-5.md").unlink()


def add_folder(site: Path) -> None:
    """A new year's folder, with a report in it."""
    (site / "content/reports/2025").mkdir()
    (site / "content/reports/2025/report-10.md").write_text(
        report_text(title="Report 10", date="2025-01-10", tags="[tag 1]", places="[Hyesan]")
    )


def edit_template(site: Path) -> None:
    path = site / "templates/taxonomy.html"
    path.write_text(path.read_text().replace("<ul class", "<p>All of them.</p>\n<ul class"))


def edit_config(site: Path) -> None:
    path = site / "sitegen.toml"
    path.write_text(path.read_text().replace('title = "Incremental"', 'title = "Renamed"'))


def edit_static(site: Path) -> None:
    (site / "static/notes.txt").write_text("second\n")


def add_static(site: Path) -> None:
    (site / "static/more/new.txt").parent.mkdir()
    (site / "static/more/new.txt").write_text("new\n")


def delete_static(site: Path) -> None:
    (site / "static/notes.txt").unlink()


def replace_stylesheet(site: Path) -> None:
    """The site's own css/site.css in place of the theme's: a new name for every page to link."""
    (site / "static/css").mkdir()
    (site / "static/css/site.css").write_text("body { color: #222; }\n")


CHANGES: dict[str, Callable[[Path], None]] = {
    "body": edit_body,
    "front matter": edit_front_matter,
    "tags": edit_tags,
    "date": edit_date,
    "new report": add_report,
    "deleted report": delete_report,
    "new folder": add_folder,
    "template": edit_template,
    "config": edit_config,
    "static file": edit_static,
    "new static file": add_static,
    "deleted static file": delete_static,
    "site stylesheet": replace_stylesheet,
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    made = make_site(tmp_path / "site", site_files(), CONFIG)
    build(made)
    build(made)  # the second build also makes the output's twin and saves itself whole
    return made


REPORT_CHANGES = ("body", "front matter", "tags", "date", "new report", "deleted report")
"""The changes in CHANGES that touch report files only."""
PARTIAL_CHANGES = (
    *REPORT_CHANGES,
    "new folder",
    "template",
    "static file",
    "new static file",
    "deleted static file",
)
"""The changes in CHANGES that a build from the saved one redoes without a full build (not
the site's stylesheet, which pages name by its digest)."""


class FullBuilds:
    """Counts the full builds of one site from now on (the rest start from a saved build)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, site: Path) -> None:
        self.count = 0
        self.site = site
        self._run_stages = build_module.run_stages
        monkeypatch.setattr(build_module, "run_stages", self.counted)

    def counted(
        self, request: BuildRequest, since: PartialBuild | None, *args: Any, **kwargs: Any
    ) -> BuildResult | None:
        """The build's stages, counted where they build the whole site."""
        if request.config.root == self.site and since is None:
            self.count += 1
        return self._run_stages(request, since, *args, **kwargs)


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_rebuild_after_a_change_equals_a_cold_build(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    full = FullBuilds(monkeypatch, site)
    before = tree(site / "output")
    CHANGES[change](site)
    run = build(site)
    after = tree(site / "output")
    assert after != before, "the change changed nothing"
    assert after == cold_build(site, tmp_path)
    # The second build of the fixture saved itself whole: a change to reports, templates
    # or static files alone redoes what changed from it, anything else is a full build.
    if change in PARTIAL_CHANGES:
        assert full.count == 0, f"a full build ran for a change to a {change}"
    else:
        assert full.count == 1, f"no full build ran for a change to a {change}"
    if change == "template":  # templates/taxonomy.html: only the taxonomies' index pages
        rendered = re.search(r"\((\d+) rendered\)", run.output)
        assert rendered is not None, run.output
        index_pages = [
            p for p in after if re.fullmatch(r"(\w+/)?(tags|places|sources)/index\.html", p)
        ]
        assert index_pages and int(rendered.group(1)) == len(index_pages)


def test_several_changes_in_a_row_still_equal_a_cold_build(site: Path, tmp_path: Path) -> None:
    for change in CHANGES.values():
        change(site)
        build(site)
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_rebuild_with_no_change_renders_and_rewrites_nothing(site: Path) -> None:
    before = stamps(site / "output")
    run = build(site)
    assert rendered(run) == 0
    assert stamps(site / "output") == before


def test_a_body_edit_rewrites_only_the_files_it_changes(site: Path) -> None:
    before_bytes = tree(site / "output")
    before = stamps(site / "output")
    edit_body(site)
    build(site)
    after_bytes = tree(site / "output")
    after = stamps(site / "output")
    changed = {p for p in after_bytes if after_bytes[p] != before_bytes.get(p)}
    assert "reports/report-3/index.html" in changed
    for path, stamp in after.items():
        if path not in changed:
            assert stamp == before[path], f"{path} was rewritten with the same bytes"


def test_a_template_edit_renders_only_the_pages_that_use_it(site: Path) -> None:
    pages_using_it = {"tags/index.html", "places/index.html", "sources/index.html"}
    edit_template(site)
    run = build(site)
    assert rendered(run) == len(pages_using_it)


def test_a_damaged_cache_is_noticed_and_rebuilt(site: Path, tmp_path: Path) -> None:
    cache = site / CACHE_DIR
    damaged = [p for p in sorted(cache.glob("*.pickle*")) if p.is_file()]
    assert damaged, "the build left no cache"
    for path in damaged:
        data = bytearray(path.read_bytes())
        data[-1] ^= 0xFF
        path.write_bytes(bytes(data))
    edit_body(site)
    run = build(site)
    assert "damaged" in run.output
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_cache_from_other_settings_is_not_used(site: Path, tmp_path: Path) -> None:
    edit_config(site)
    run = build(site)
    assert rendered(run) == len([p for p in tree(site / "output") if p.endswith(".html")]), (
        "pages were taken from a cache made with other settings"
    )
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_hand_edited_output_file_is_made_anew(site: Path) -> None:
    page = site / "output/reports/report-2/index.html"
    original = page.read_bytes()
    os.unlink(page)
    page.write_bytes(b"<p>edited by hand</p>")
    build(site)
    assert page.read_bytes() == original


def loads_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the report files loaded anew (not taken from the cache) from now on."""
    loaded: list[str] = []
    load = sitegen.loading._load_pickled

    def counting(source: SourceFile, config: SiteConfig) -> bytes:
        loaded.append(source.key)
        return load(source, config)

    monkeypatch.setattr(sitegen.loading, "_load_pickled", counting)
    return loaded


def test_the_report_cache_serves_a_base_url_on_another_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(make_site(tmp_path / "site", site_files(), CONFIG))
    load_reports(config, Reporter())
    loaded = loads_counted(monkeypatch)
    served = dataclasses.replace(config, base_url="http://127.0.0.1:8000/news/")
    reports = load_reports(served, Reporter())
    assert loaded == [], "a base_url on another origin made the reports load anew"
    assert reports == load_reports(served, Reporter(), use_cache=False)


LOADING_READS: dict[str, dict[str, object]] = {
    "timezone": {"timezone": "Asia/Seoul"},
    "language": {"language": "ko"},
    "languages": {"languages": (LanguageSettings("ko"),)},
    "taxonomies": {"taxonomies": ("tags",)},
    "report permalink": {"permalinks": Permalinks(report="/{section}/{slug}/read/")},
    "base_url's path": {"base_url": "https://example.org/other/"},
    "allow_raw_html": {"allow_raw_html": True},
}


@pytest.mark.parametrize("change", list(LOADING_READS), ids=list(LOADING_READS))
def test_the_report_cache_is_not_used_after_a_setting_loading_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    config = load_config(make_site(tmp_path / "site", site_files(), CONFIG))
    load_reports(config, Reporter())
    loaded = loads_counted(monkeypatch)
    changed = dataclasses.replace(config, **LOADING_READS[change])  # type: ignore[arg-type]
    reports = load_reports(changed, Reporter())
    assert len(loaded) == len(reports) == 6
    assert reports == load_reports(changed, Reporter(), use_cache=False)


def written_anew(path: Path, data: bytes | None = None) -> None:
    """Write a file again, as a checkout does: a new file (new inode and time), these bytes."""
    data = path.read_bytes() if data is None else data
    stamp = path.stat()
    path.unlink()
    path.write_bytes(data)
    if (path.stat().st_ino, path.stat().st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns):
        os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))


def with_image_report(files: dict[str, str | bytes]) -> dict[str, str | bytes]:
    files["content/reports/2024/photo/index.md"] = report_text(
        title="Photo", date="2024-08-01", image="{src: photo.png, alt: A photo}"
    )
    files["content/reports/2024/photo/photo.png"] = png_bytes(3, 2)
    return files


def test_report_files_checked_out_anew_are_taken_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path / "site", with_image_report(site_files()), CONFIG)
    config = load_config(site)
    before = {report.key: report for report in load_reports(config, Reporter())}
    for path in sorted((site / "content").rglob("*")):
        if path.is_file():
            written_anew(path)
    edited = site / "content/reports/2024/report-3.md"
    written_anew(edited, edited.read_bytes().replace(b"Body of report 3.", b"Body three."))
    loaded = loads_counted(monkeypatch)
    reports = load_reports(config, Reporter())
    assert loaded == ["reports/2024/report-3.md"], "files with the same bytes were loaded anew"
    assert reports == load_reports(config, Reporter(), use_cache=False)
    after = {report.key: report for report in reports}
    assert after.keys() == before.keys()
    assert [k for k in sorted(after) if after[k] != before[k]] == ["reports/2024/report-3.md"]


def test_a_report_whose_image_changed_bytes_is_loaded_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path / "site", with_image_report(site_files()), CONFIG)
    config = load_config(site)
    load_reports(config, Reporter())
    written_anew(site / "content/reports/2024/photo/photo.png", png_bytes(5, 4))
    loaded = loads_counted(monkeypatch)
    after = {report.key: report for report in load_reports(config, Reporter())}
    assert loaded == ["reports/2024/photo/index.md"]
    image = after["reports/2024/photo/index.md"].image
    assert image is not None and (image.width, image.height) == (5, 4)


def test_a_static_file_put_where_a_page_is_is_an_error_and_output_is_kept(site: Path) -> None:
    before = tree(site / "output")
    clash = site / "static/reports/report-2/index.html"
    clash.parent.mkdir(parents=True)
    clash.write_text("<p>a static page</p>\n")
    run = run_sitegen(site, "build")
    assert run.exit_code == 1
    assert "static/reports/report-2/index.html" in run.output
    assert "would overwrite a page" in run.output
    assert tree(site / "output") == before


def site_with_pictures(tmp_path: Path, report: str, body: str, lead: str, *files: str) -> Path:
    """The fixture's site with a report (at `report`, its page at /reports/pictured/) that
    shows `body` in its body and `lead` as its image, and 3 x 2 PNGs at `files`; built twice,
    so that the second build is saved whole."""
    pages = site_files()
    pages[report] = report_text(
        f"A picture: ![what it shows]({body})\n",
        title="Pictured",
        date="2024-08-01",
        image=f"{{src: {lead}, alt: The lead picture}}",
    )
    pages.update((path, png_bytes(3, 2)) for path in files)
    site = make_site(tmp_path / "site", pages, CONFIG)
    build(site)
    build(site)
    return site


def pictured_sizes(output: dict[str, bytes]) -> set[tuple[str | None, str | None]]:
    """The width and height of each image on the pictured report's page."""
    page = lxml.html.fromstring(output["reports/pictured/index.html"])
    return {(img.get("width"), img.get("height")) for img in page.iter("img")}


@pytest.mark.parametrize("image", ["body.png", "lead.png"])
def test_a_static_image_a_report_shows_is_sized_again_when_it_changes(
    tmp_path: Path, image: str
) -> None:
    """A report's image, or an image its body shows, from static/: the page holds its size."""
    site = site_with_pictures(
        tmp_path,
        "content/reports/2024/pictured.md",
        "/images/body.png",
        "/images/lead.png",
        "static/images/body.png",
        "static/images/lead.png",
    )
    written_anew(site / "static/images" / image, png_bytes(5, 4))
    build(site)
    after = tree(site / "output")
    assert after == cold_build(site, tmp_path)
    assert ("5", "4") in pictured_sizes(after)


IMAGES_BESIDE = {
    "its image": ("photo.png", (5, 4)),
    "an image its body shows": ("inline.png", (7, 6)),
    "a file no report names": ("unnamed.png", (9, 8)),
}
"""A file beside a report, and the size it is given."""


@pytest.mark.parametrize("change", list(IMAGES_BESIDE), ids=list(IMAGES_BESIDE))
def test_an_image_beside_a_report_changed_is_built_without_a_full_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    folder = "content/reports/2024/photo"
    site = site_with_pictures(
        tmp_path,
        f"{folder}/pictured.md",
        "inline.png",
        "photo.png",
        *(f"{folder}/{name}" for name in ("inline.png", "photo.png", "unnamed.png")),
    )
    before = tree(site / "output")
    full = FullBuilds(monkeypatch, site)
    name, (width, height) = IMAGES_BESIDE[change]
    written_anew(site / folder / name, png_bytes(width, height))
    build(site)
    after = tree(site / "output")
    assert full.count == 0, f"a full build ran for a change to {change}"
    assert after == cold_build(site, tmp_path)
    if name == "unnamed.png":
        assert after == before
    else:
        assert (str(width), str(height)) in pictured_sizes(after)


def pictured_beside(tmp_path: Path) -> tuple[Path, Path]:
    """The pictured site, its report's image and body image beside it; and their folder."""
    folder = "content/reports/2024/photo"
    site = site_with_pictures(
        tmp_path, f"{folder}/pictured.md", "inline.png", "photo.png",
        f"{folder}/inline.png", f"{folder}/photo.png",
    )  # fmt: skip
    return site, site / folder


@pytest.mark.parametrize("image_first", [True, False], ids=["image first", "report first"])
def test_a_report_deleted_with_its_image_in_one_change_is_gone_without_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, image_first: bool
) -> None:
    """The image's readers are not loaded again from a file deleted in the same change."""
    site, folder = pictured_beside(tmp_path)
    config = load_config(site)
    first = build_module.build(config, BuildOptions(), Reporter(), keep_state=True)
    full = FullBuilds(monkeypatch, site)
    report, image = folder / "pictured.md", folder / "photo.png"
    report.unlink()
    image.unlink()
    reporter = Reporter()
    build_module.build(
        config, BuildOptions(), reporter, previous=first.state,
        changed=[image, report] if image_first else [report, image],
    )  # fmt: skip
    assert not reporter.errors
    assert full.count == 0
    assert "reports/pictured/index.html" not in tree(site / "output")
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_body_image_deleted_then_its_link_dropped_leaves_no_copy_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, folder = pictured_beside(tmp_path)
    assert "reports/pictured/inline.png" in tree(site / "output")
    full = FullBuilds(monkeypatch, site)
    (folder / "inline.png").unlink()
    run_sitegen(site, "build")  # a warning: the body shows a file that is gone
    report = folder / "pictured.md"
    report.write_text(report.read_text().replace("![what it shows](inline.png)", "No picture."))
    build(site)
    assert full.count == 0
    assert "reports/pictured/inline.png" not in tree(site / "output")
    assert tree(site / "output") == cold_build(site, tmp_path)
