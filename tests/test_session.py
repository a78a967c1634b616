"""Builds kept in memory (what `sitegen serve` rebuilds with): an edit to a report's body
renders that report's page and its feeds without a full build, and every rebuild leaves
output/ as a cold build of the same files would, byte for byte."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sitegen import build as build_module
from sitegen import indexes
from sitegen.cache import CACHE_DIR
from sitegen.config import BuildOptions, load_config
from sitegen.diagnostics import BuildFailed, Level, Reporter
from sitegen.model import Report
from sitegen.session import BuildSession
from sitegen.state import BuildRequest, BuildResult, PartialBuild
from tests.helpers import build, make_site, report_text, twin_of
from tests.test_incremental import CONFIG, cold_build, site_files, tree

REPORT = "content/reports/2024/report-3.md"
OTHER = "content/reports/2024/report-6.md"


KOREAN = "content/reports/2024/report-3.ko.md"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    files = site_files()
    files[KOREAN] = report_text(
        "보고서 3의 본문.\n",
        title="보고서 3",
        date="2024-03-14",
        updated="2024-03-20",
        tags="[shared]",
        places="[Sinuiju]",
    )
    files["content/reports/2024/report-6.ko.md"] = report_text(
        "보고서 6의 본문.\n", title="보고서 6", date="2024-06-17", tags="[shared]"
    )
    return make_site(tmp_path / "site", files, CONFIG)


def start(site: Path) -> BuildSession:
    session = BuildSession(load_config(site), BuildOptions())
    session.build(Reporter(), search_index=False)
    return session


def no_full_build(monkeypatch: pytest.MonkeyPatch, site: Path) -> None:
    """Fail where the session builds `site` in full (cold builds of other folders may)."""
    run_stages = build_module.run_stages

    def refuse(
        request: BuildRequest, since: PartialBuild | None, *args: Any, **kwargs: Any
    ) -> BuildResult | None:
        if request.config.root == site and since is None:
            raise AssertionError("a full build ran for an edit to a report's body")
        return run_stages(request, since, *args, **kwargs)

    monkeypatch.setattr(build_module, "run_stages", refuse)


def replace(site: Path, name: str, old: str, new: str) -> Path:
    path = site / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_body_edit_renders_one_page_and_its_feeds_without_a_full_build(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = start(site)
    no_full_build(monkeypatch, site)
    path = replace(site, REPORT, "Body of report 3.", "Body of report three.")
    result = session.build(Reporter(), [path], search_index=False)
    assert result.rendered == 1
    # Its page, and the feeds that hold it (every feed holds the whole body): the site's,
    # tag 0's, the shared tag's and Sinuiju's; not tag 1's, tag 2's or Hyesan's.
    assert result.changed == (
        "feed.xml",
        "places/sinuiju/feed.xml",
        "reports/report-3/index.html",
        "tags/shared/feed.xml",
        "tags/tag-0/feed.xml",
    )
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_static_file_edited_made_or_deleted_is_copied_without_a_full_build(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = start(site)
    no_full_build(monkeypatch, site)
    notes, more = site / "static/notes.txt", site / "static/more.txt"
    notes.write_text("second\n")
    more.write_text("more\n")
    result = session.build(Reporter(), [notes, more], search_index=False)
    assert (result.rendered, result.changed) == (0, ("more.txt", "notes.txt"))
    assert tree(site / "output") == cold_build(site, tmp_path)
    notes.unlink()
    result = session.build(Reporter(), [notes], search_index=False)
    assert (result.rendered, result.changed) == (0, ("notes.txt",))
    assert not (site / "output/notes.txt").exists()
    assert tree(site / "output") == cold_build(site, tmp_path)


def rename(site: Path, old: str, new: str) -> list[Path]:
    (site / old).rename(site / new)
    return [site / old, site / new]


def delete(site: Path, name: str) -> list[Path]:
    (site / name).unlink()
    return [site / name]


def create(site: Path, name: str, text: str) -> list[Path]:
    (site / name).write_text(text)
    return [site / name]


def make_folder(site: Path, name: str, report: str, text: str) -> list[Path]:
    """A folder made with a report in it, as a watcher may tell it: the folder alone."""
    (site / name).mkdir()
    (site / name / report).write_text(text)
    return [site / name]


def delete_folder(site: Path, name: str) -> list[Path]:
    shutil.rmtree(site / name)
    return [site / name]


EDITS = {
    "title": lambda site: [replace(site, REPORT, "title: Report 3", "title: Report Three")],
    "tags": lambda site: [replace(site, REPORT, "[tag 0, shared]", "[tag 0, brand new]")],
    "a tag's spelling": lambda site: [replace(site, REPORT, "[tag 0, shared]", "[tag 0, SHARED]")],
    "date across pages": lambda site: [replace(site, REPORT, "2024-03-13", "2024-08-31")],
    "date by a day": lambda site: [replace(site, REPORT, "2024-03-13", "2024-03-14")],
    "summary": lambda site: [replace(site, REPORT, "Summary 3.", "Another summary.")],
    "the original updated after its translation": lambda site: [
        replace(site, REPORT, "title: Report 3", "updated: 2024-05-01\ntitle: Report 3")
    ],
    "updated, after every other report": lambda site: [
        replace(site, REPORT, "title: Report 3", "updated: 2024-11-30\ntitle: Report 3")
    ],
    "slug": lambda site: [replace(site, REPORT, "title: Report 3", "slug: third\ntitle: Report 3")],
    "draft": lambda site: [
        replace(site, REPORT, "title: Report 3", "draft: true\ntitle: Report 3")
    ],
    "the translation's title": lambda site: [replace(site, KOREAN, "title: 보고서 3", "title: 셋")],
    "a deleted translation": lambda site: delete(site, KOREAN),
    "a deleted report": lambda site: delete(site, "content/reports/2024/report-5.md"),
    "a renamed report": lambda site: rename(
        site, "content/reports/2024/report-5.md", "content/reports/2024/fifth.md"
    ),
    "a new report with a new tag": lambda site: create(
        site,
        "content/reports/2024/report-8.md",
        report_text(title="Report 8", date="2024-08-18", tags="[shared, eighth]"),
    ),
    "a new folder": lambda site: make_folder(
        site,
        "content/reports/2025",
        "report-9.md",
        report_text(title="Report 9", date="2025-01-09", tags="[shared, ninth]"),
    ),
    "a renamed folder": lambda site: rename(
        site, "content/reports/2024", "content/reports/year-2024"
    ),
    "a deleted folder": lambda site: delete_folder(site, "content/reports/2024"),
    "a new translation": lambda site: create(
        site,
        "content/reports/2024/report-1.ko.md",
        report_text("본문.\n", title="보고서 1", date="2024-01-12", tags="[shared]"),
    ),
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_an_edit_to_reports_rebuilds_without_a_full_build_as_a_cold_build_would(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[Path], list[Path]]
) -> None:
    session = start(site)
    no_full_build(monkeypatch, site)
    session.build(Reporter(), edit(site), search_index=False)
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_broken_report_fails_and_stays_broken_until_fixed(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = start(site)
    before = tree(site / "output")
    broken = replace(site, REPORT, "title: Report 3", "title: [Report 3")
    with pytest.raises(BuildFailed) as failed:
        session.build(Reporter(), [broken], search_index=False)
    assert any(
        d.location and d.location.path.name == "report-3.md" for d in failed.value.diagnostics
    )
    assert tree(site / "output") == before
    # An edit elsewhere still fails: the broken file has not been fixed.
    other = replace(site, OTHER, "Body of report 6.", "Body of report six.")
    with pytest.raises(BuildFailed):
        session.build(Reporter(), [other], search_index=False)
    assert tree(site / "output") == before
    replace(site, REPORT, "title: [Report 3", "title: Report 3")
    session.build(Reporter(), [broken], search_index=False)
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_many_body_edits_in_a_row_equal_a_cold_build(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = start(site)
    no_full_build(monkeypatch, site)
    for round_ in range(4):
        for number in (1, 3, 6):
            path = replace(
                site,
                f"content/reports/2024/report-{number}.md",
                f"Body of report {number}",
                f"Body of report {number} (round {round_})",
            )
            session.build(Reporter(), [path], search_index=False)
            assert tree(site / "output") == cold_build(site, tmp_path)
    twin = twin_of(site)
    assert twin.is_dir()


def test_a_file_put_into_output_while_serving_is_kept(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = start(site)
    (site / "output/CNAME").write_text("news.example.org\n")
    no_full_build(monkeypatch, site)
    path = replace(site, REPORT, "Body of report 3.", "Body of report three.")
    session.build(Reporter(), [path], search_index=False)
    assert (site / "output/CNAME").read_text() == "news.example.org\n"
    path = replace(site, REPORT, "Body of report three.", "Body of report 3.")
    session.build(Reporter(), [path], search_index=False)
    assert (site / "output/CNAME").read_text() == "news.example.org\n"


def test_a_build_from_elsewhere_in_between_is_noticed(site: Path, tmp_path: Path) -> None:
    session = start(site)
    replace(site, REPORT, "Body of report 3.", "Body of report three.")
    assert build(site).exit_code == 0  # another terminal's `sitegen build`
    path = replace(site, REPORT, "Body of report three.", "Body of report 3, again.")
    session.build(Reporter(), [path], search_index=False)
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_what_the_session_saved_lets_the_next_build_render_nothing(site: Path) -> None:
    session = start(site)
    path = replace(site, REPORT, "Body of report 3.", "Body of report three.")
    session.build(Reporter(), [path], search_index=False)
    # A title shows on lists too: their pages are fingerprinted only when the session saves.
    path = replace(site, REPORT, "title: Report 3", "title: Report Three")
    session.build(Reporter(), [path], search_index=False)
    session.save()
    before = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
    run = build(site)
    assert run.exit_code == 0, run.output
    assert "(0 rendered)" in run.output
    after = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
    assert after == before
    assert (site / CACHE_DIR).is_dir()


def test_a_full_build_that_failed_is_still_due_at_the_next_edit(site: Path, tmp_path: Path) -> None:
    session = start(site)
    delete(site, "content/reports/2024/report-5.md")
    broken = replace(site, REPORT, "title: Report 3", "title: [Report 3")
    with pytest.raises(BuildFailed):
        session.build(Reporter(), None, search_index=False)  # as after sitegen.toml changed
    replace(site, REPORT, "title: [Report 3", "title: Report 3")
    session.build(Reporter(), [broken], search_index=False)
    assert not (site / "output/reports/report-5").exists()
    assert tree(site / "output") == cold_build(site, tmp_path)


@pytest.mark.parametrize(
    ("edit", "remade", "terms"),
    [
        ("date across pages", [], set()),
        ("title", [], set()),
        # The terms the report took or dropped, in its own language only.
        ("tags", ["tags"], {"shared", "brand new"}),
        ("a tag's spelling", ["tags"], {"shared"}),
    ],
)
def test_taxonomies_are_brought_up_to_date_not_made_again(
    site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: str,
    remade: list[str],
    terms: set[str],
) -> None:
    session = start(site)
    made: list[str] = []
    build_taxonomy = indexes.build_taxonomy

    def counted(name: str, reports: tuple[Report, ...], *args: Any, **kwargs: Any) -> Any:
        made.append(name)
        for report in reports:  # only the reports that hold the terms made again
            assert terms & {t.casefold() for t in report.terms_of(name)}, report.key
        return build_taxonomy(name, reports, *args, **kwargs)

    monkeypatch.setattr(indexes, "build_taxonomy", counted)
    session.build(Reporter(), EDITS[edit](site), search_index=False)
    monkeypatch.undo()
    assert made == remade
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_tag_that_clashes_after_an_edit_fails_as_a_full_build_does(site: Path) -> None:
    session = start(site)
    path = replace(site, REPORT, "[tag 0, shared]", "[tag 0, shared, tag-0]")
    with pytest.raises(BuildFailed) as edited:
        session.build(Reporter(), [path], search_index=False)
    with pytest.raises(BuildFailed) as full:
        BuildSession(load_config(site), BuildOptions()).build(Reporter(), search_index=False)
    messages = [(d.location, d.message) for d in edited.value.diagnostics]
    assert messages == [(d.location, d.message) for d in full.value.diagnostics]
    assert any("both make the slug 'tag-0'" in message for _, message in messages)


def test_what_loading_a_report_found_is_said_again_at_every_rebuild(site: Path) -> None:
    replace(site, OTHER, "title: Report 6", "updated: 2024-01-01\ntitle: Report 6")
    session = start(site)

    def warnings(reporter: Reporter) -> list[str]:
        return [
            d.location.path.as_posix()
            for d in reporter.diagnostics
            if d.level is Level.WARNING and d.location is not None
        ]

    reporter = Reporter()
    session.build(reporter, [replace(site, REPORT, "Summary 3.", "Another.")], search_index=False)
    assert warnings(reporter) == [OTHER]
    reporter = Reporter()
    fixed = replace(site, OTHER, "updated: 2024-01-01\n", "")
    session.build(reporter, [fixed], search_index=False)
    assert warnings(reporter) == []
    reporter = Reporter()
    session.build(reporter, [replace(site, REPORT, "Another.", "Again.")], search_index=False)
    assert warnings(reporter) == []


def test_an_idle_save_stopped_by_an_edit_writes_nothing_and_the_next_save_writes_it(
    site: Path,
) -> None:
    session = start(site)
    session.build(Reporter(), [replace(site, REPORT, "Summary 3.", "Another.")], search_index=False)
    cache = site / CACHE_DIR

    def files() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(cache.iterdir()) if p.is_file()}

    before = files()
    asked: list[bool] = []
    assert not session.save(finished=False, stop=lambda: not asked.append(True))
    assert asked  # it was asked, and stopped at once
    assert files() == before  # nothing half written, no file left behind
    assert session.save(finished=False)
    after = files()
    assert after.keys() == before.keys()
    assert after != before  # the report cache and output/'s memo, written now
