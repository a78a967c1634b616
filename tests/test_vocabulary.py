"""The term vocabulary, data/terms.toml: aliases join spellings into one term with the
vocabulary's slug, names follow the page's language, descriptions reach the term page, unknown
terms warn with the nearest known one, and a broken file is an error naming it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.helpers import Run, build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import fails_cleanly, line_of, messages, problems

TERMS = textwrap.dedent(
    """\
    # The desk's places.
    [places.seoul]
    name = "Seoul"
    names = { ko = "서울" }
    description = "The capital of South Korea."
    aliases = ["서울", "Seoul City"]

    [places.sinuiju-city]
    name = "Sinuiju"
    names = { ko = "신의주" }
    description = "A city on the Yalu river."
    """
)
EN = "content/reports/en.md"
ALIAS = "content/reports/alias.md"
KO = "content/reports/en.ko.md"


def _site(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    files = {
        "data/terms.toml": TERMS,
        EN: report_text(title="In English", date="2024-03-01", places="[Seoul, Sinuiju]"),
        ALIAS: report_text(title="Written in Hangul", date="2024-03-02", places="[서울]"),
        KO: report_text(title="한국어 기사", date="2024-03-03", places="[seoul city]"),
        **(extra or {}),
    }
    return make_site(tmp_path / "site", files)


def _report_titles(run: Run, url: str) -> set[str]:
    page = run.page(url)
    return {title for title in texts(page, "//main//a") if title in _TITLES}


_TITLES = {"In English", "Written in Hangul", "한국어 기사"}


def test_aliases_join_terms_under_the_vocabulary_slug(tmp_path: Path) -> None:
    run = build(_site(tmp_path))
    assert [p for p in problems(run.output) if p.level == "warning" and "places" in p.message] == []
    page = run.page("/places/seoul/")
    assert texts(page, "//h1") == ["Seoul"]
    assert _report_titles(run, "/places/seoul/") == {"In English", "Written in Hangul"}
    places = sorted(p.name for p in (run.site / "output" / "places").iterdir() if p.is_dir())
    assert places == ["seoul", "sinuiju-city"]
    index = run.page("/places/")
    links = index.xpath("//main//a[contains(@href, '/places/')]/@href")
    assert sorted({link for link in links if link.rstrip("/") != "/places"}) == [
        "/places/seoul/",
        "/places/sinuiju-city/",
    ]
    assert texts(run.page("/places/sinuiju-city/"), "//h1") == ["Sinuiju"]
    tags = texts(run.page("/reports/alias/"), "//a[@rel='tag']")
    assert "Seoul" in tags
    assert "서울" not in tags


def test_names_follow_the_page_language(tmp_path: Path) -> None:
    run = build(_site(tmp_path))
    page = run.page("/ko/places/seoul/")
    assert texts(page, "//h1") == ["서울"]
    assert _report_titles(run, "/ko/places/seoul/") == {"한국어 기사"}
    assert "서울" in texts(run.page("/ko/reports/en/"), "//a[@rel='tag']")
    assert "Seoul" in texts(run.page("/reports/en/"), "//a[@rel='tag']")
    assert "Sinuiju" in texts(run.page("/reports/en/"), "//a[@rel='tag']")


def test_description_is_shown_on_the_term_page(tmp_path: Path) -> None:
    run = build(_site(tmp_path))
    page = run.page("/places/seoul/")
    assert texts(page, "//main//*[contains(@class, 'lede')]") == ["The capital of South Korea."]
    page = run.page("/places/sinuiju-city/")
    assert texts(page, "//main//*[contains(@class, 'lede')]") == ["A city on the Yalu river."]


def test_unknown_term_warns_with_the_nearest_known_one(tmp_path: Path) -> None:
    text = report_text(title="Typo", date="2024-03-04", places="[Seoull]", tags="[anything]")
    site = _site(tmp_path, {"content/reports/typo.md": text})
    run = build(site)
    found = messages(run, "content/reports/typo.md", line_of(text, "places:"), "warning")
    assert any("Seoull" in m and "Seoul" in m.replace("Seoull", "") for m in found), run.output
    # Tags have no vocabulary, so any tag is fine.
    assert not any("anything" in p.message for p in problems(run.output)), run.output

    strict = run_sitegen(site, "build", "--strict")
    assert strict.exit_code == 1, strict.output
    assert "Traceback" not in strict.output
    found = messages(strict, "content/reports/typo.md", line_of(text, "places:"))
    assert any("Seoull" in m for m in found), strict.output


def test_unknown_term_far_from_any_known_one(tmp_path: Path) -> None:
    text = report_text(title="Elsewhere", date="2024-03-04", places="[Wonsan]")
    run = build(_site(tmp_path, {"content/reports/far.md": text}))
    found = messages(run, "content/reports/far.md", line_of(text, "places:"), "warning")
    assert any("Wonsan" in m for m in found), run.output
    assert texts(run.page("/places/wonsan/"), "//h1") == ["Wonsan"]


BROKEN = {
    "invalid-toml": ("[places.seoul\nname = 'Seoul'\n", None),
    "unknown-key": ("[places.seoul]\nname = 'Seoul'\ndescripton = 'typo'\n", "[places.seoul]"),
    "unknown-taxonomy": ("[cities.seoul]\nname = 'Seoul'\n", "[cities.seoul]"),
    "upper-case-slug": ("[places.Seoul]\nname = 'Seoul'\n", "[places.Seoul]"),
    "alias-of-two": (
        "[places.seoul]\nname = 'Seoul'\n\n[places.capital]\nname = 'Capital'\n"
        "aliases = ['Seoul']\n",
        "[places.capital]",
    ),
    "aliases-not-a-list": ("[places.seoul]\nname = 'Seoul'\naliases = 'Seoul City'\n", None),
    "not-utf8": ("[places.seoul]\nname = 'Se\udcffoul'\n", None),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_vocabulary_is_an_error_naming_the_file(tmp_path: Path, case: str) -> None:
    text, needle = BROKEN[case]
    data: str | bytes = text
    if case == "not-utf8":
        data = text.encode("utf-8", errors="surrogateescape")
    run = fails_cleanly(
        tmp_path, {"data/terms.toml": data, "content/reports/p.md": GOOD_WITH_PLACE}
    )
    named = [line for line in run.output.splitlines() if line.startswith("data/terms.toml")]
    assert any("error" in line for line in named), run.output
    if needle is not None:
        assert messages(run, "data/terms.toml", line_of(text, needle)), run.output


GOOD_WITH_PLACE = report_text(title="Placed", date="2024-03-05", places="[Seoul]")
