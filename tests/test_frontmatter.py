"""Reading front matter: YAML pitfalls, broken files, encodings, line numbers, extra keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import fails_cleanly, line_of, messages, problems

A = "content/reports/a.md"


def test_lang_no_is_norwegian_not_false(tmp_path: Path) -> None:
    site = make_site(tmp_path, {A: report_text(title="Oslo report", date="2024-03-01", lang="no")})
    run = build(site)
    page = run.page("/no/reports/a/")
    assert page.get("lang") == "no"
    assert texts(page, "//h1") == ["Oslo report"]


@pytest.mark.parametrize("word", ["no", "yes", "off", "on", "n", "y"])
def test_yaml_1_1_booleans_stay_text(tmp_path: Path, word: str) -> None:
    text = report_text(title=word, date="2024-03-01", tags=f"[{word}]", summary=word)
    run = build(make_site(tmp_path, {A: text}))
    page = run.page("/reports/a/")
    assert texts(page, "//h1") == [word]
    assert texts(page, "//a[@rel='tag']") == [word]


def test_unclosed_quote_points_at_the_line_it_opens(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "date: 2024-03-01",
            'title: "Trade official held',
            "summary: Held at the border.",
            "tags: [crackdowns]",
            "---",
            "Body.",
        ]
    )
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, line_of(text, 'title: "')), run.output


def test_unclosed_single_quote_points_at_the_line_it_opens(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "title: A report",
            "date: 2024-03-01",
            "summary: 'It opens here",
            "  and goes on",
            "tags: [x]",
            "---",
            "Body.",
        ]
    )
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, line_of(text, "summary: '")), run.output


@pytest.mark.parametrize(
    ("lines", "repeated"),
    [
        (["title: First", "date: 2024-03-01", "summary: x", "title: Second"], "title: Second"),
        (["title: T", "date: 2024-03-01", "tags: [a]", "tags: [b]"], "tags: [b]"),
        (
            ["title: T", "date: 2024-03-01", "source:", "  name: A", "  url: https://a.example/",
             "  name: B"],
            "  name: B",
        ),
    ],
)  # fmt: skip
def test_key_given_twice(tmp_path: Path, lines: list[str], repeated: str) -> None:
    text = "\n".join(["---", *lines, "---", "Body."])
    run = fails_cleanly(tmp_path, {A: text})
    key = repeated.split(":")[0].strip()
    found = messages(run, A, line_of(text, repeated))
    assert any(key in m for m in found), run.output


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.mkdir [{marker}]",
        "!!python/object/new:pathlib.Path [{marker}]",
        "!!python/name:os.system",
        "!!python/object:collections.OrderedDict {{}}",
    ],
)
def test_python_yaml_tags_are_rejected(tmp_path: Path, tagged: str) -> None:
    marker = tmp_path / "pwned"
    text = "\n".join(
        [
            "---",
            "title: Tagged",
            "date: 2024-03-01",
            f"extra: {tagged.format(marker=str(marker))}",
            "---",
            "Body.",
        ]
    )
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, line_of(text, "extra:")), run.output
    assert not marker.exists()


@pytest.mark.parametrize(
    "matter",
    [["- title: A", "- date: 2024-03-01"], ["just a sentence"], ["42"]],
    ids=["list", "string", "number"],
)
def test_front_matter_must_be_a_mapping(tmp_path: Path, matter: list[str]) -> None:
    text = "\n".join(["---", *matter, "---", "Body."])
    run = fails_cleanly(tmp_path, {A: text})
    closing = line_of(text, "---", after=1)
    found = [p for p in problems(run.output) if p.path == A and p.level == "error"]
    assert found, run.output
    assert all(1 <= p.line <= closing for p in found)


@pytest.mark.parametrize("content", ["", "\n\n", "   \n"], ids=["empty", "newlines", "spaces"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    run = fails_cleanly(tmp_path, {A: content})
    assert messages(run, A, 1), run.output


def test_file_without_front_matter(tmp_path: Path) -> None:
    run = fails_cleanly(tmp_path, {A: "# Just a heading\n\nSome text.\n"})
    assert messages(run, A, 1), run.output


def test_unclosed_front_matter(tmp_path: Path) -> None:
    text = "---\ntitle: Open\ndate: 2024-03-01\n\nBody without a closing line.\n"
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, 1), run.output


def test_invalid_utf8_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    text = b"---\ntitle: Fine\ndate: 2024-03-01\nsummary: Caf\xe9 owner held\n---\nBody.\n"
    run = fails_cleanly(tmp_path, {A: text})
    bad_line = text[: text.index(b"\xe9")].count(b"\n") + 1
    assert messages(run, A, bad_line), run.output


def test_invalid_utf8_in_body(tmp_path: Path) -> None:
    text = b"---\ntitle: Fine\ndate: 2024-03-01\n---\nLine one.\n\nLine \xff three.\n"
    run = fails_cleanly(tmp_path, {A: text})
    bad_line = text[: text.index(b"\xff")].count(b"\n") + 1
    assert messages(run, A, bad_line), run.output


def _bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


@pytest.mark.parametrize("encode", [_bom, _crlf, lambda t: _bom(t.replace("\n", "\r\n"))])
def test_bom_and_crlf_files_build(tmp_path: Path, encode: object) -> None:
    text = report_text(
        "First paragraph.\n\n## Second part\n\nMore text.\n",
        title="Windows report",
        date="2024-03-01",
        tags="[crackdowns]",
    )
    assert callable(encode)
    run = build(make_site(tmp_path, {A: encode(text)}))
    page = run.page("/reports/a/")
    assert texts(page, "//h1") == ["Windows report"]
    assert texts(page, "//a[@rel='tag']") == ["crackdowns"]
    assert texts(page, "//div[contains(@class, 'report-body')]//h2") == ["Second part"]
    assert problems(run.output) == []


@pytest.mark.parametrize("encode", [_bom, _crlf, lambda t: _bom(t.replace("\n", "\r\n"))])
def test_bom_and_crlf_files_keep_line_numbers(tmp_path: Path, encode: object) -> None:
    text = "\n".join(
        [
            "---",
            "title: Windows report",
            "summary: Fine.",
            "date: 2024-02-30",
            "tags: [2024]",
            "---",
            "Body.",
        ]
    )
    assert callable(encode)
    run = fails_cleanly(tmp_path, {A: encode(text)})
    assert messages(run, A, line_of(text, "date:")), run.output
    assert messages(run, A, line_of(text, "tags:")), run.output


def test_crlf_body_warning_has_the_file_line(tmp_path: Path) -> None:
    text = "\n".join(
        ["---", "title: T", "date: 2024-03-01", "---", "", "Para.", "", "Raw <b>bold</b> here.", ""]
    )
    run = build(make_site(tmp_path, {A: _crlf(text)}))
    assert messages(run, A, line_of(text, "<b>"), "warning"), run.output


def test_line_numbers_of_several_keys(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "# a comment line",
            "title: 42",
            "",
            "summary: Fine.",
            "date: 2024-02-30",
            "author: Kim",
            "tags:",
            "  - fine",
            "  - 2024",
            "places: [Seoul]",
            "source:",
            "  name: Example Daily",
            "  url: ftp://example.org/1",
            "draft: maybe",
            "---",
            "Body.",
        ]
    )
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, line_of(text, "title:")), run.output
    assert messages(run, A, line_of(text, "date:")), run.output
    assert messages(run, A, line_of(text, "draft:")), run.output
    tags = messages(run, A, line_of(text, "tags:")) + messages(run, A, line_of(text, "- 2024"))
    assert any("2024" in m for m in tags), run.output
    source = messages(run, A, line_of(text, "source:")) + messages(run, A, line_of(text, "url:"))
    assert any("ftp://example.org/1" in m for m in source), run.output
    error_lines = {p.line for p in problems(run.output) if p.path == A and p.level == "error"}
    fine = {line_of(text, key) for key in ("summary:", "author:", "places:", "# a comment")}
    assert not error_lines & fine


def test_unknown_key_is_kept_for_templates(tmp_path: Path) -> None:
    template = "\n".join(
        [
            '{% extends "base.html" %}',
            "{% block content %}",
            "<h1>{{ report.title }}</h1>",
            '<p class="desk-note">{{ report.extra.desk_note }}</p>',
            "{% endblock %}",
        ]
    )
    text = report_text(title="Noted", date="2024-03-01", desk_note="Checked by the night desk")
    site = make_site(tmp_path, {A: text, "templates/report.html": template})
    run = build(site)
    page = run.page("/reports/a/")
    assert texts(page, "//p[@class='desk-note']") == ["Checked by the night desk"]
    assert [p for p in problems(run.output) if p.level == "warning"] == []


@pytest.mark.parametrize(
    ("written", "meant"),
    [("tag", "tags"), ("titel", "title"), ("sumary", "summary"), ("palces", "places")],
)
def test_near_miss_key_warns(tmp_path: Path, written: str, meant: str) -> None:
    fields = {"title": "Near miss", "date": "2024-03-01", written: "[x]"}
    text = report_text(**fields)
    run = build(make_site(tmp_path, {A: text}))
    found = messages(run, A, line_of(text, f"{written}:"), "warning")
    assert any(f"did you mean '{meant}'" in m for m in found), run.output


def test_near_miss_key_fails_under_strict(tmp_path: Path) -> None:
    text = report_text(title="Near miss", date="2024-03-01", tag="[smuggling]")
    run = fails_cleanly(tmp_path, {A: text}, "--strict")
    found = messages(run, A, line_of(text, "tag:"), "error")
    assert any("did you mean 'tags'" in m for m in found), run.output


def test_toml_front_matter(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "+++",
            'title = "A TOML report"',
            "date = 2024-03-01",
            'tags = ["smuggling"]',
            'summary = "Written in TOML."',
            "+++",
            "The body.",
        ]
    )
    run = build(make_site(tmp_path, {A: text}))
    page = run.page("/reports/a/")
    assert texts(page, "//h1") == ["A TOML report"]
    assert texts(page, "//a[@rel='tag']") == ["smuggling"]
    assert texts(page, "//div[contains(@class, 'report-body')]/p") == ["The body."]


def test_toml_front_matter_errors_have_lines(tmp_path: Path) -> None:
    text = "\n".join(["+++", 'title = "T"', "date = 2024-03-01", "tags = [2024]", "+++", "Body."])
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, line_of(text, "tags =")), run.output


def test_invalid_toml_front_matter_has_line(tmp_path: Path) -> None:
    text = "\n".join(["+++", 'title = "T"', "date = 2024-03-01", "summary = = x", "+++", "Body."])
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, line_of(text, "summary =")), run.output


def test_dashes_in_the_body_are_not_front_matter(tmp_path: Path) -> None:
    text = report_text("Above.\n\n---\n\nBelow: the end.\n", title="With rule", date="2024-03-01")
    run = build(make_site(tmp_path, {A: text}))
    page = run.page("/reports/a/")
    body = page.xpath("//div[contains(@class, 'report-body')]")[0]
    assert body.xpath(".//hr")
    assert texts(body, "./p") == ["Above.", "Below: the end."]


def test_warning_does_not_fail_without_strict(tmp_path: Path) -> None:
    text = report_text(title="Near miss", date="2024-03-01", tag="[smuggling]")
    site = make_site(tmp_path, {A: text})
    run = run_sitegen(site, "build")
    assert run.exit_code == 0, run.output
    assert run.page("/reports/a/").xpath("string(//h1)") == "Near miss"


def test_blank_lines_around_front_matter_keep_line_numbers(tmp_path: Path) -> None:
    text = "\n".join(
        ["---", "", "title: Spaced", "date: 2024-03-01", "", "---", "", "", "Raw <b>bold</b>.", ""]
    )
    run = build(make_site(tmp_path, {A: text}))
    assert messages(run, A, line_of(text, "<b>"), "warning"), run.output


def test_blank_line_after_opening_dashes_keeps_error_lines(tmp_path: Path) -> None:
    text = "\n".join(["---", "", "title: Spaced", "date: 2024-02-30", "tags: [2024]", "---", "B."])
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, line_of(text, "date:")), run.output
    assert messages(run, A, line_of(text, "tags:")), run.output


@pytest.mark.parametrize(
    "opening", ["tags: [crackdowns, phones", "source: {name: Example Daily"], ids=["[", "{"]
)
def test_unclosed_bracket_points_at_the_line_it_opens(tmp_path: Path, opening: str) -> None:
    text = "\n".join(
        ["---", "title: Brackets", opening, "date: 2024-03-01", "summary: S.", "---", "Body."]
    )
    run = fails_cleanly(tmp_path, {A: text})
    assert messages(run, A, line_of(text, opening)), run.output


@pytest.mark.parametrize("value", ["", '""', "'  '", "[]"])
def test_empty_title(tmp_path: Path, value: str) -> None:
    text = "\n".join(["---", "date: 2024-03-01", f"title: {value}".rstrip(), "---", "Body."])
    run = fails_cleanly(tmp_path, {A: text})
    found = messages(run, A, line_of(text, "title:"))
    assert any("title" in m for m in found), run.output
