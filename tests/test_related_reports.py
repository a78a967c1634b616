"""Related reports under each report: ranked by shared places and tags, then nearness in time."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from sitegen.config import CONFIG_NAME, BuildOptions
from sitegen.watch import ChangeSet, Rebuilder
from tests.helpers import build, make_site, report_text, texts

CONFIG = 'title = "Desk"\nsearch = false\n'
TARGET = "content/reports/ferry.md"
REPORTS = {
    TARGET: dict(
        title="Ferry resumes",
        date="2024-05-02",
        event_date="2024-05-01",
        places="[Sinuiju]",
        tags="[Rail, Water, Markets]",
    ),
    # One place and two tags (spelt otherwise: terms fold) weigh most.
    "content/reports/shares-most.md": dict(
        title="Shares a place and two tags",
        date="2020-01-10",
        places="[sinuiju]",
        tags="[RAIL, water]",
    ),
    # A place alone weighs more than a tag alone.
    "content/reports/shares-place.md": dict(
        title="Shares a place", date="2019-03-01", places="[Sinuiju]", tags="[Power]"
    ),
    # One tag each: the nearest event date first.
    "content/reports/shares-tag-near.md": dict(
        title="Shares a tag, near in time", date="2024-04-21", event_date="2024-04-20",
        tags="[Water]",
    ),
    "content/reports/shares-tag-mid.md": dict(
        title="Shares a tag, a year before", date="2023-06-02", event_date="2023-06-01",
        tags="[Markets]",
    ),
    "content/reports/shares-tag-far.md": dict(
        title="Shares a tag, long before", date="2022-01-02", event_date="2022-01-01",
        tags="[markets]",
    ),
    # Nothing shared: never listed.
    "content/reports/shares-nothing.md": dict(
        title="Shares nothing", date="2024-05-01", places="[Rason]", tags="[Power]"
    ),
    # Sharing everything, but a draft, dated in the future, or another version of the target.
    "content/reports/draft.md": dict(
        title="A draft", date="2024-05-01", draft="true", places="[Sinuiju]",
        tags="[Rail, Water, Markets]",
    ),
    "content/reports/future.md": dict(
        title="Not yet", date="2999-01-01", places="[Sinuiju]", tags="[Rail, Water, Markets]"
    ),
    "content/reports/ferry.ko.md": dict(
        title="여객선 운항 재개", date="2024-05-03", places="[Sinuiju]",
        tags="[Rail, Water, Markets]",
    ),
}  # fmt: skip
EXPECTED = [
    "Shares a place and two tags",
    "Shares a place",
    "Shares a tag, near in time",
    "Shares a tag, a year before",
    "Shares a tag, long before",
]


def related_titles(page: lxml.html.HtmlElement) -> list[str]:
    """The titles the page's related list links to, in order."""
    return texts(page, "//aside[contains(@class, 'related')]//ul[@class='related-list']/li/a")


def write(tmp_path: Path, config: str = CONFIG) -> Path:
    files: dict[str, str | bytes] = {
        path: report_text(**fields) for path, fields in REPORTS.items()
    }
    return make_site(tmp_path / "site", files, config)


def test_related_reports_rank_by_shared_places_and_tags_then_nearness(tmp_path: Path) -> None:
    run = build(write(tmp_path))
    page = run.page("/reports/ferry/")
    (heading,) = texts(page, "//aside[contains(@class, 'related')]/h2")
    assert heading == "Related reports"
    assert related_titles(page) == EXPECTED
    links = page.xpath("//ul[@class='related-list']/li/a/@href")
    assert links[0] == "/reports/shares-most/"
    # The relation goes both ways, and a report sharing nothing has no list at all.
    assert "Ferry resumes" in related_titles(run.page("/reports/shares-tag-far/"))
    assert related_titles(run.page("/reports/shares-nothing/")) == ["Shares a place"]
    # The Korean version shares every term with the English one, but is in another language.
    assert not run.page("/ko/reports/ferry/").xpath("//aside[contains(@class, 'related')]")


def test_related_count_is_set_in_sitegen_toml_and_zero_turns_it_off(tmp_path: Path) -> None:
    run = build(write(tmp_path / "two", CONFIG + "related = 2\n"))
    assert related_titles(run.page("/reports/ferry/")) == EXPECTED[:2]
    run = build(write(tmp_path / "none", CONFIG + "related = 0\n"))
    assert not run.page("/reports/ferry/").xpath("//ul[@class='related-list']")


def test_an_edit_renders_again_the_pages_whose_related_list_it_changed(tmp_path: Path) -> None:
    site = write(tmp_path).resolve()
    rebuilder = Rebuilder(site, BuildOptions(), search_index=False)
    assert rebuilder.build().ok
    path = site / "content/reports/shares-nothing.md"
    fields = {**REPORTS["content/reports/shares-nothing.md"], "places": "[Sinuiju]"}
    path.write_text(report_text(**fields), encoding="utf-8")
    outcome = rebuilder.build(ChangeSet(frozenset({path}), site / CONFIG_NAME))
    assert outcome.ok and outcome.changed_files is not None
    changed = set(outcome.changed_files)
    # It now shares Sinuiju with the ferry report, which lists it; a report it shares
    # nothing with is not rendered again.
    assert "reports/ferry/index.html" in changed
    assert "reports/shares-tag-far/index.html" not in changed
    page = lxml.html.fromstring((site / "output/reports/ferry/index.html").read_bytes())
    assert "Shares nothing" in related_titles(page)
