"""Builds kept in memory (what `sitegen serve` rebuilds with): an edit to a report's body
renders that report's page and its feeds without a full build, and every rebuild leaves
output/ as a cold build of the same files would, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen import session as session_module
from sitegen.cache import CACHE_DIR
from sitegen.config import BuildOptions, load_config
from sitegen.diagnostics import BuildFailed, Reporter
from sitegen.output import back_folder
from sitegen.session import BuildSession
from tests.helpers import build, make_site, report_text
from tests.test_incremental import CONFIG, cold_build, site_files, tree

REPORT = "content/reports/2024/report-3.md"
OTHER = "content/reports/2024/report-6.md"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site", site_files(), CONFIG)


def start(site: Path) -> BuildSession:
    session = BuildSession(load_config(site), BuildOptions())
    session.build(Reporter(), search_index=False)
    return session


def no_full_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a full build ran for an edit to a report's body")

    monkeypatch.setattr(session_module, "build", refuse)


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
    no_full_build(monkeypatch)
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


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("title: Report 3", "title: Report Three"),
        ("[tag 0, shared]", "[tag 0, brand new]"),
        ("2024-03-13", "2024-08-31"),
        ("Summary 3.", "Another summary."),
    ],
)
def test_an_edit_other_pages_show_builds_what_a_cold_build_does(
    site: Path, tmp_path: Path, old: str, new: str
) -> None:
    session = start(site)
    path = replace(site, REPORT, old, new)
    session.build(Reporter(), [path], search_index=False)
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
    no_full_build(monkeypatch)
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
    twin = back_folder(site / "output")
    assert twin.is_dir()


def test_a_file_put_into_output_while_serving_is_kept(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = start(site)
    (site / "output/CNAME").write_text("news.example.org\n")
    no_full_build(monkeypatch)
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
    session.save()
    before = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
    run = build(site)
    assert run.exit_code == 0, run.output
    assert "(0 rendered)" in run.output
    after = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
    assert after == before
    assert (site / CACHE_DIR).is_dir()


def test_a_new_report_is_a_full_build_and_equals_a_cold_one(site: Path, tmp_path: Path) -> None:
    session = start(site)
    new = site / "content/reports/2024/report-8.md"
    new.write_text(report_text(title="Report 8", date="2024-08-18", tags="[shared]"))
    session.build(Reporter(), [new], search_index=False)
    assert tree(site / "output") == cold_build(site, tmp_path)
