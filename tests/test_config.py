"""sitegen.toml: defaults, misspelt keys, wrong types and values, invalid TOML, permalinks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitegen.config import SiteConfig
from tests.helpers import build, make_site, report_text, texts
from tests.test_content_errors import fails_cleanly, line_of, listing, messages

CONFIG = "sitegen.toml"
REPORT = report_text(title="Configured", date="2024-03-01", tags="[smuggling]")


def test_only_content_builds_with_defaults(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"content/reports/a.md": REPORT})
    before = listing(site)
    run = build(site)
    defaults = SiteConfig(root=site)
    home = run.page("/")
    assert home.get("lang") == defaults.language
    assert texts(home, "//a[contains(@class, 'site-title')]") == [defaults.title]
    assert defaults.title in home.findtext(".//title")
    page = run.page("/reports/a/")
    assert texts(page, "//h1") == ["Configured"]
    assert texts(run.page("/tags/smuggling/"), "//h1")
    assert listing(site) == before
    assert not (site / CONFIG).exists()


def test_settings_are_used(tmp_path: Path) -> None:
    config = """\
        title = "The Border Desk"
        language = "ko"
        timezone = "Asia/Seoul"
    """
    run = build(make_site(tmp_path, {"content/reports/a.md": REPORT}, config))
    home = run.page("/")
    assert home.get("lang") == "ko"
    assert texts(home, "//a[contains(@class, 'site-title')]") == ["The Border Desk"]
    assert run.page("/reports/a/").xpath("//time/@datetime")[0].endswith("+09:00")


@pytest.mark.parametrize(
    ("lines", "wrong", "meant"),
    [
        (['titel = "My digest"'], "titel", "title"),
        (['title = "Digest"', "per_pgae = 5"], "per_pgae", "per_page"),
        (['base_url = "/"', 'timezon = "UTC"'], "timezon", "timezone"),
        (['title = "Digest"', "", "[permalinks]", 'reprot = "/news/{slug}/"'], "reprot", "report"),
    ],
)
def test_misspelt_key(tmp_path: Path, lines: list[str], wrong: str, meant: str) -> None:
    text = "\n".join(lines) + "\n"
    run = fails_cleanly(tmp_path, {CONFIG: text})
    found = messages(run, CONFIG, line_of(text, wrong))
    suggestion = re.compile(rf"did you mean '([a-z_]+\.)?{meant}'")
    assert any(wrong in m and suggestion.search(m) for m in found), run.output


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('per_page = "ten"', "per_page"),
        ("per_page = true", "per_page"),
        ("title = 3", "title"),
        ('allow_raw_html = "yes"', "allow_raw_html"),
        ('taxonomies = "tags"', "taxonomies"),
        ("languages = [1, 2]", "languages"),
        ('permalinks = "/news/{slug}/"', "permalinks"),
        ("per_page = 0", "per_page"),
        ('base_url = "example.org"', "base_url"),
        ('language = "xx-not-a-language"', "language"),
        ('theme = ["default"]', "theme"),
    ],
)
def test_wrong_type_or_value(tmp_path: Path, line: str, key: str) -> None:
    text = f'description = "A digest"\n{line}\n'
    run = fails_cleanly(tmp_path, {CONFIG: text})
    found = messages(run, CONFIG, line_of(text, line))
    assert any(key in m for m in found), run.output


@pytest.mark.parametrize(
    "before",
    [
        ['title = "Digest"', ""],
        ['title = "Digest"', "", "", "# the clock", ""],
        ["# settings", "", 'title = "Digest"', "   "],
    ],
    ids=["blank-line", "comment-and-blank-lines", "spaces-line"],
)
def test_line_after_blank_and_comment_lines(tmp_path: Path, before: list[str]) -> None:
    text = "\n".join([*before, 'timezone = "Nowhere/Atlantis"', ""])
    run = fails_cleanly(tmp_path, {CONFIG: text})
    found = messages(run, CONFIG, line_of(text, "timezone ="))
    assert any("Nowhere/Atlantis" in m for m in found), run.output


def test_unknown_timezone(tmp_path: Path) -> None:
    text = 'title = "Digest"\ntimezone = "Mars/Olympus_Mons"\n'
    run = fails_cleanly(tmp_path, {CONFIG: text})
    found = messages(run, CONFIG, line_of(text, "timezone"))
    assert any("Mars/Olympus_Mons" in m for m in found), run.output


def test_unknown_theme(tmp_path: Path) -> None:
    text = 'title = "Digest"\ntheme = "no-such-theme"\n'
    run = fails_cleanly(tmp_path, {CONFIG: text})
    found = messages(run, CONFIG, line_of(text, "theme"))
    assert any("no-such-theme" in m for m in found), run.output


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ('title = "Digest"\nbase_url = "/"\ntimezone = "UTC\nper_page = 5\n', 'timezone = "UTC'),
        ('title = "Digest"\n\nper_page =\n', "per_page ="),
        ('title = "Digest"\n[permalinks\nreport = "/x/{slug}/"\n', "[permalinks"),
        ('title = "Digest"\ntitle = "Again"\n', 'title = "Again"'),
    ],
    ids=["unclosed-string", "no-value", "unclosed-table", "key-twice"],
)
def test_invalid_toml_names_the_line(tmp_path: Path, text: str, bad: str) -> None:
    run = fails_cleanly(tmp_path, {CONFIG: text})
    assert messages(run, CONFIG, line_of(text, bad)), run.output


def test_every_config_problem_is_listed(tmp_path: Path) -> None:
    text = "\n".join(
        [
            'titel = "Digest"',
            'per_page = "ten"',
            'timezone = "Nowhere/Atlantis"',
            'base_url = "example.org"',
            "",
        ]
    )
    run = fails_cleanly(tmp_path, {CONFIG: text})
    for key in ("titel", "per_page", "timezone", "base_url"):
        assert messages(run, CONFIG, line_of(text, key)), f"{key} not reported:\n{run.output}"


def test_config_error_also_fails_check(tmp_path: Path) -> None:
    text = 'titel = "Digest"\n'
    run = fails_cleanly(tmp_path, {CONFIG: text}, command="check")
    assert messages(run, CONFIG, line_of(text, "titel")), run.output


def test_report_permalink(tmp_path: Path) -> None:
    config = """\
        title = "Digest"

        [permalinks]
        report = "/news/{slug}/"
    """
    site = make_site(tmp_path, {"content/reports/2024/a.md": REPORT}, config)
    run = build(site)
    page = run.page("/news/a/")
    assert texts(page, "//h1") == ["Configured"]
    assert not (site / "output" / "reports" / "a").exists()
    assert "/news/a/" in run.page("/").xpath("//main//a/@href")
    assert page.xpath("//link[@rel='canonical']/@href")[0].endswith("/news/a/")


@pytest.mark.parametrize("pattern", ["/news/", "news/{slug}/", "/news/{slug}", "/../{slug}/"])
def test_bad_report_permalink(tmp_path: Path, pattern: str) -> None:
    text = f'title = "Digest"\n\n[permalinks]\nreport = "{pattern}"\n'
    run = fails_cleanly(tmp_path, {CONFIG: text})
    assert messages(run, CONFIG, line_of(text, "report =")), run.output


def test_base_url_sub_path(tmp_path: Path) -> None:
    config = 'base_url = "https://example.org/digest/"\n'
    run = build(make_site(tmp_path, {"content/reports/a.md": REPORT}, config))
    page = run.page("/reports/a/")
    assert page.xpath("//link[@rel='canonical']/@href") == ["https://example.org/digest/reports/a/"]
    assert "/digest/tags/smuggling/" in page.xpath("//a[@rel='tag']/@href")
