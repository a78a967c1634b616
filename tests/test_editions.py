"""Editions: the digest's pages, archive and feed, `sitegen edition new`, and the mistakes.

The fixture (tests/sites/editions/) has three weeks of reports (2024-W46 to W48, in
Asia/Seoul), a week-47 edition without picks (with a Korean version), and a week-48
edition that picks two reports in its own order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
import yaml
from lxml import etree

from sitegen.config import BuildOptions
from sitegen.watch import BuildOutcome, ChangeSet, Rebuilder
from tests.helpers import build, make_site, parse_page, report_text, run_sitegen
from tests.test_feeds import assert_valid_atom

FIXTURE = Path(__file__).resolve().parent / "sites" / "editions"
W47 = ["Bridge repairs in Sinuiju", "Bus link to Pyongyang reopens"]
"""The English reports of week 47, newest first."""
W48_PICKS = ["Fuel prices ease in Rason", "Monday market closes early"]
"""What the week-48 edition picks, in its order."""
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the fixture, to build and edit."""
    shutil.copytree(FIXTURE, tmp_path / "site", ignore=shutil.ignore_patterns("output"))
    return tmp_path / "site"


@pytest.fixture
def built(site: Path) -> Path:
    """The fixture, built; its output/ folder."""
    build(site)
    return site / "output"


def titles(page: lxml.html.HtmlElement) -> list[str]:
    return [a.text_content() for a in page.xpath("//ol[@class='edition-reports']//h2/a")]


def test_an_edition_without_picks_gathers_its_week_s_reports_newest_first(built: Path) -> None:
    page = parse_page(built, "/editions/2024-w47/")
    assert page.xpath("//h1/text()") == ["Week 47: bridges and buses"]
    assert titles(page) == W47
    links = page.xpath("//ol[@class='edition-reports']//h2/a/@href")
    assert links == [
        "/digest/reports/bridge-repairs-in-sinuiju/",
        "/digest/reports/bus-link-to-pyongyang/",
    ]
    note = page.xpath("//div[@class='edition-note']//strong/text()")
    assert note == ["roads and rivers"]
    first = page.xpath("//li[@class='edition-report']")[0]
    assert first.xpath(".//p[@class='summary']/text()") == [
        "Crews work through the night on the river bridge."
    ]
    assert first.xpath(".//p[@class='source-line']/a/@href") == ["https://example.org/river/55"]
    assert "Sinuiju" in first.xpath("string(.//p[@class='meta'])")  # the dateline's place


def test_an_edition_with_picks_shows_them_in_the_editor_s_order(built: Path) -> None:
    page = parse_page(built, "/editions/2024-w48/")
    assert titles(page) == W48_PICKS


def test_the_korean_version_gathers_the_korean_reports_and_the_versions_link(built: Path) -> None:
    korean = parse_page(built, "/ko/editions/2024-w47/")
    assert titles(korean) == ["신의주 다리 보수"]
    assert korean.get("lang") == "ko"
    english = parse_page(built, "/editions/2024-w47/")
    alternates = dict(
        zip(
            english.xpath("//link[@rel='alternate'][@hreflang]/@hreflang"),
            english.xpath("//link[@rel='alternate'][@hreflang]/@href"),
            strict=True,
        )
    )
    assert alternates == {
        "en": "https://example.org/digest/editions/2024-w47/",
        "ko": "https://example.org/digest/ko/editions/2024-w47/",
    }


def test_the_archive_lists_editions_newest_first_page_by_page(built: Path) -> None:
    first = parse_page(built, "/editions/")  # per_page = 1 in the fixture
    second = parse_page(built, "/editions/page/2/")
    listed = [
        p.xpath("//div[contains(@class, 'edition-list')]//h2/a/text()") for p in (first, second)
    ]
    assert listed == [["Week 48: markets and fuel"], ["Week 47: bridges and buses"]]
    assert first.xpath("//a[@rel='next']/@href") == ["/digest/editions/page/2/"]
    nav = first.xpath("//header//nav//a[@aria-current='page']/text()")
    assert nav == ["Editions"]
    korean = parse_page(built, "/ko/editions/")
    assert korean.xpath("//div[contains(@class, 'edition-list')]//h2/a/text()") == [
        "47주: 다리와 버스"
    ]


def test_report_pages_say_which_editions_they_appeared_in(built: Path) -> None:
    def editions_of(path: str) -> list[str]:
        return parse_page(built, path).xpath("//p[@class='in-editions']/a/@href")

    assert editions_of("/reports/bridge-repairs-in-sinuiju/") == ["/digest/editions/2024-w47/"]
    assert editions_of("/reports/fuel-prices-ease/") == ["/digest/editions/2024-w48/"]
    assert editions_of("/ko/reports/bridge-repairs-in-sinuiju/") == [
        "/digest/ko/editions/2024-w47/"
    ]
    assert editions_of("/reports/rice-prices-in-hyesan/") == []  # week 46 has no edition


def test_the_home_page_shows_the_latest_edition_on_its_first_page(built: Path) -> None:
    home = parse_page(built, "/")
    assert home.xpath("//aside[@class='latest-edition']//a/@href") == ["/digest/editions/2024-w48/"]
    assert parse_page(built, "/page/2/").xpath("//aside[@class='latest-edition']") == []


def test_the_editions_feed_holds_each_edition_whole(built: Path) -> None:
    schema = etree.RelaxNG(etree.parse(str(Path(__file__).parent / "schemas" / "atom.rng")))
    feed = etree.parse(str(built / "editions" / "feed.xml"))
    assert_valid_atom(feed, schema, "editions/feed.xml")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Week 48: markets and fuel",
        "Week 47: bridges and buses",
    ]
    content = lxml.html.fragment_fromstring(
        entries[1].findtext(f"{ATOM}content") or "", create_parent="div"
    )
    assert [a.text_content() for a in content.xpath(".//h2/a")] == W47
    hrefs = content.xpath(".//a/@href")
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs
    assert "https://example.org/digest/timeline/" in hrefs  # the note's own link
    korean = etree.parse(str(built / "ko" / "editions" / "feed.xml"))
    assert_valid_atom(korean, schema, "ko/editions/feed.xml")
    sitemap = etree.parse(str(built / "sitemap.xml"))
    locations = sitemap.xpath("//*[local-name()='loc']/text()")
    assert "https://example.org/digest/editions/2024-w48/" in locations
    assert not any(loc.endswith("feed.xml") for loc in locations)


def test_a_week_is_counted_in_the_site_s_time_zone(tmp_path: Path) -> None:
    # Monday 05:00 in Seoul is Sunday in UTC: the report belongs to Monday's week.
    site = make_site(
        tmp_path,
        {
            "content/reports/monday.md": report_text(
                title="Monday early", date="2024-11-25T05:00:00+09:00"
            ),
            "content/reports/sunday.md": report_text(
                title="Sunday late", date="2024-11-24T23:00:00+09:00"
            ),
            "content/editions/w48.md": report_text(title="Week 48", date="2024-11-30"),
        },
        'timezone = "Asia/Seoul"\nsearch = false\n',
    )
    build(site)
    assert titles(parse_page(site / "output", "/editions/w48/")) == ["Monday early"]


def test_no_editions_leave_the_site_as_it_was(tmp_path: Path) -> None:
    site = make_site(
        tmp_path, {"content/reports/a.md": report_text(title="A", date="2024-01-02")}, ""
    )
    build(site)
    assert not (site / "output" / "editions").exists()
    assert parse_page(site / "output", "/").xpath("//a[text()='Editions']") == []


# sitegen edition new


def test_edition_new_lists_the_period_s_reports_newest_first(site: Path) -> None:
    path = site / "content" / "editions" / "2024-w47.md"
    path.unlink()
    run = run_sitegen(site, "edition", "new", "2024-W47")
    assert run.exit_code == 0, run.output
    assert path.exists()
    path.unlink()
    run = run_sitegen(site, "edition", "new", "2024-w47")  # both spellings
    assert run.exit_code == 0, run.output
    text = path.read_text(encoding="utf-8")
    matter = yaml.safe_load(text.split("---\n")[1])
    assert matter["picks"] == ["bridge-repairs-in-sinuiju", "bus-link-to-pyongyang"]
    assert matter["draft"] is True
    assert str(matter["date"]).startswith("2024-11-2")  # within Monday 18 .. Sunday 24
    assert "Week 47" in matter["title"]
    again = run_sitegen(site, "edition", "new", "2024-w47")
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert path.read_text(encoding="utf-8") == text


def test_edition_new_for_an_empty_period_writes_an_empty_list_and_a_note(site: Path) -> None:
    run = run_sitegen(site, "edition", "new", "2024-10")
    assert run.exit_code == 0, run.output
    text = (site / "content" / "editions" / "2024-10.md").read_text(encoding="utf-8")
    matter = yaml.safe_load(text.split("---\n")[1])
    assert matter["picks"] == []
    picks_line = next(line for line in text.splitlines() if line.startswith("picks:"))
    assert "no report was published" in picks_line
    assert build(site, "--drafts").exit_code == 0  # a draft may be empty


@pytest.mark.parametrize(
    ("period", "written"),
    [("2024-11-20", "2024-11-20.md"), ("2024-11", "2024-11.md"), ("2024-w48", "2024-w48.md")],
)
def test_edition_new_takes_a_day_a_month_or_a_week(site: Path, period: str, written: str) -> None:
    if written == "2024-w48.md":
        (site / "content" / "editions" / written).unlink()
    run = run_sitegen(site, "edition", "new", period)
    assert run.exit_code == 0, run.output
    assert (site / "content" / "editions" / written).is_file()


def test_edition_new_refuses_a_period_that_is_none(site: Path) -> None:
    run = run_sitegen(site, "edition", "new", "2024-w60")
    assert run.exit_code == 1
    assert "ISO weeks 1 to 52" in run.output


# Mistakes, each at its file and line


def edition_text(*lines: str) -> str:
    return "\n".join(["---", *lines, "---", "The note.", ""])


def write_edition(site: Path, *lines: str, name: str = "2024-w48") -> None:
    """content/editions/<name>.md, with these front-matter lines and a one-line note."""
    (site / "content" / "editions" / f"{name}.md").write_text(edition_text(*lines), "utf-8")


def failing(site: Path, *args: str) -> str:
    run = run_sitegen(site, "build", *args)
    assert run.exit_code == 1, run.output
    return run.output


def test_a_pick_that_names_no_report_is_an_error_at_its_item_s_line(site: Path) -> None:
    write_edition(
        site,
        'title: "Week 48"',
        "date: 2024-12-01",
        "picks:",
        "  - fuel-prices-ease",
        "  - monday-market-closes-earyl",
    )
    output = failing(site)
    assert "content/editions/2024-w48.md:6: error: pick 'monday-market-closes-earyl'" in output
    assert "did you mean 'monday-market-closes-early'?" in output


def test_a_flow_list_pick_is_reported_at_the_key_s_line(site: Path) -> None:
    write_edition(
        site, 'title: "Week 48"', "date: 2024-12-01", "picks: [fuel-prices-ease, nothing]"
    )
    assert "content/editions/2024-w48.md:4: error: pick 'nothing'" in failing(site)


def test_a_pick_outside_the_period_is_a_warning(site: Path) -> None:
    write_edition(site, 'title: "Week 48"', "date: 2024-12-01", "picks:", "  - fuel-prices-ease",
            "  - rice-prices-in-hyesan")  # fmt: skip
    run = build(site)
    assert (
        "content/editions/2024-w48.md:6: warning: pick 'rice-prices-in-hyesan' was published "
        "on 2024-11-12, outside the edition's period 2024-w48"
    ) in run.output
    assert failing(site, "--strict")


def test_overlapping_periods_are_a_warning(site: Path) -> None:
    write_edition(site, 'title: "Also week 47"', "date: 2024-11-23", name="late-w47")
    run = build(site)
    assert (
        "content/editions/late-w47.md:3: warning: its period 2024-w47 overlaps that of "
        "content/editions/2024-w47.md"
    ) in run.output


def test_an_edition_with_no_reports_is_an_error_but_a_draft_may_be_empty(site: Path) -> None:
    write_edition(site, 'title: "Week 44"', "date: 2024-11-01", name="2024-w44")
    assert "content/editions/2024-w44.md:3: error: the edition gathers no reports" in failing(site)
    write_edition(site, 'title: "Week 44"', "date: 2024-11-01", "draft: true", name="2024-w44")
    build(site)
    build(site, "--drafts")


def test_a_draft_report_picked_is_an_error_unless_drafts_are_built(site: Path) -> None:
    write_edition(site, 'title: "Week 48"', "date: 2024-12-01", "picks:", "  - fuel-prices-ease",
            "  - unfinished-note")  # fmt: skip
    assert "content/editions/2024-w48.md:6: error: pick 'unfinished-note' is a draft" in (
        failing(site)
    )
    build(site, "--drafts")
    page = parse_page(site / "output", "/editions/2024-w48/")
    assert titles(page) == ["Fuel prices ease in Rason", "An unfinished note"]


def test_front_matter_mistakes_in_an_edition_name_their_line(site: Path) -> None:
    write_edition(site, 'title: "Week 48"', "date: 2024-13-01", "period: soon")
    output = failing(site)
    assert "content/editions/2024-w48.md:3: error: date:" in output
    assert "content/editions/2024-w48.md:4: error: period must be a set of fields" in output


def test_an_edition_dated_in_the_future_waits(site: Path) -> None:
    write_edition(site, 'title: "Week 48"', "date: 2999-12-01", "picks: [fuel-prices-ease]")
    build(site)
    assert not (site / "output" / "editions" / "2024-w48").exists()
    assert parse_page(site / "output", "/editions/").xpath("//h2/a/text()") == [
        "Week 47: bridges and buses"
    ]


# Editing an edition while serving redoes what read it, and nothing else


def rebuilt_after_edit(site: Path, name: str, old: str, new: str) -> BuildOutcome:
    """The dev server's rebuild after `old` became `new` in one file, a first build before."""
    rebuilder = Rebuilder(site, BuildOptions(), search_index=False)
    assert rebuilder.build().ok
    path = site / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return rebuilder.build(ChangeSet(frozenset({path}), site / "sitegen.toml"))


def test_an_edition_edit_rebuilds_only_the_pages_that_read_it(site: Path) -> None:
    outcome = rebuilt_after_edit(
        site, "content/editions/2024-w48.md", "markets and fuel", "fuel and markets"
    )
    assert outcome.ok, [str(d) for d in outcome.diagnostics]
    assert outcome.result is not None and not outcome.result.full
    assert outcome.changed_files is not None
    assert set(outcome.changed_files) == {
        "index.html",  # the latest edition on the home page
        "editions/index.html",
        "editions/feed.xml",
        "editions/2024-w48/index.html",
        "reports/fuel-prices-ease/index.html",  # each says it was in the edition
        "reports/monday-market-closes-early/index.html",
    }
    cold = site.parent / "cold"
    shutil.copytree(site, cold, ignore=shutil.ignore_patterns("output", ".sitegen-cache"))
    build(cold)
    for name in outcome.changed_files:
        assert (site / "output" / name).read_bytes() == (cold / "output" / name).read_bytes()


def test_a_note_edit_rewrites_the_edition_s_page_and_the_feed_only(site: Path) -> None:
    outcome = rebuilt_after_edit(
        site, "content/editions/2024-w48.md", "Two reports", "Just two reports"
    )
    assert outcome.ok and outcome.changed_files is not None
    assert set(outcome.changed_files) == {"editions/2024-w48/index.html", "editions/feed.xml"}
    note = parse_page(site / "output", "/editions/2024-w48/").xpath(
        "//div[@class='edition-note']/p/text()"
    )
    assert note == ["Just two reports this week, the cheaper diesel first."]


def test_a_report_s_summary_edit_reaches_its_edition_s_page(site: Path) -> None:
    outcome = rebuilt_after_edit(
        site,
        "content/reports/bus-link-to-pyongyang.md",
        "runs from Hyesan",
        "runs daily from Hyesan",
    )
    assert outcome.ok and outcome.changed_files is not None
    assert "editions/2024-w47/index.html" in outcome.changed_files
    assert "editions/2024-w48/index.html" not in outcome.changed_files
    page = parse_page(site / "output", "/editions/2024-w47/")
    summaries = page.xpath("//li[@class='edition-report']//p[@class='summary']/text()")
    assert "A long-distance bus runs daily from Hyesan to the capital again." in summaries


def test_edition_files_are_not_reports(built: Path) -> None:
    page = parse_page(built, "/editions/2024-w47/")
    assert page.xpath("//div[@class='report-body']") == []
    timeline = parse_page(built, "/timeline/")
    assert "Week 47: bridges and buses" not in timeline.xpath("//main//a/text()")
    assert not (built / "editions" / "2024-w47.md").exists()


def test_check_passes_on_the_fixture(site: Path) -> None:
    run = run_sitegen(site, "check")
    assert run.exit_code == 0, run.output


def test_xml_feed_of_editions_escapes_the_note(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "content/reports/a.md": report_text(title="A <b>bold</b> & co", date="2024-11-19"),
            "content/editions/w47.md": report_text(
                "Note with <script>alert(1)</script> & more.\n",
                title='"Week <47> & co"',
                date="2024-11-23",
            ),
        },
        "search = false\n",
    )
    build(site)
    feed = lxml.etree.parse(str(site / "output" / "editions" / "feed.xml"))
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Week <47> & co"
    content = lxml.html.fragment_fromstring(
        entry.findtext(f"{ATOM}content") or "", create_parent="div"
    )
    assert content.xpath(".//script") == []
    assert [a.text_content() for a in content.xpath(".//h2/a")] == ["A <b>bold</b> & co"]


def test_sitegen_build_from_a_saved_build_follows_edition_edits(site: Path) -> None:
    build(site)
    path = site / "content" / "editions" / "2024-w48.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("markets and fuel", "fuel and markets"),
        encoding="utf-8",
    )
    build(site)
    page = parse_page(site / "output", "/editions/2024-w48/")
    assert page.xpath("//h1/text()") == ["Week 48: fuel and markets"]
    path.unlink()
    build(site)
    assert not (site / "output" / "editions" / "2024-w48").exists()
    archive = parse_page(site / "output", "/editions/")
    assert archive.xpath("//main//h2/a/text()") == ["Week 47: bridges and buses"]


def test_edition_new_starts_the_current_period_by_default(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (site / "content" / "editions" / "2024-w47.md").unlink()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1732150800")  # 2024-11-21 01:00 UTC, a Thursday
    run = run_sitegen(site, "edition", "new")
    assert run.exit_code == 0, run.output
    text = (site / "content" / "editions" / "2024-w47.md").read_text(encoding="utf-8")
    assert yaml.safe_load(text.split("---\n")[1])["picks"] == [
        "bridge-repairs-in-sinuiju",
        "bus-link-to-pyongyang",
    ]


def test_a_monthly_edition_and_a_given_period(tmp_path: Path) -> None:
    reports = {
        f"content/reports/{name}.md": report_text(title=name.title(), date=date)
        for name, date in [
            ("october", "2024-10-31"),
            ("early", "2024-11-01"),
            ("middle", "2024-11-15"),
            ("late", "2024-11-30T23:30:00"),
            ("december", "2024-12-01"),
        ]
    }
    site = make_site(
        tmp_path,
        reports
        | {
            "content/editions/2024-11.md": report_text(title="November", date="2024-11-30"),
            "content/editions/fortnight.md": edition_text(
                'title: "Two weeks"',
                "date: 2024-12-02",
                "period: {from: 2024-10-31, to: 2024-11-14}",
            ),
        },
        'search = false\n[editions]\nevery = "month"\n',
    )
    run = build(site)
    assert titles(parse_page(site / "output", "/editions/2024-11/")) == ["Late", "Middle", "Early"]
    assert titles(parse_page(site / "output", "/editions/fortnight/")) == ["Early", "October"]
    assert "overlaps" in run.output  # both hold the first half of November
