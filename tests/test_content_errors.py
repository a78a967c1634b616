"""Mistakes in reports: each is reported as `path:line: error: ...`, all of them in one run,
without a traceback, and a failed build leaves the previous output/ exactly as it was."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitegen.cache import CACHE_DIR
from tests.helpers import Run, build, make_site, png_bytes, report_text, run_sitegen

GOOD_REPORT = report_text(title="A good report", date="2024-03-01", tags="[one]")

_PROBLEM_RE = re.compile(
    r"^(?P<path>[^\s:]+):(?P<line>\d+)(?::\d+)?: (?P<level>error|warning): (?P<message>.*)$"
)


@dataclass(frozen=True)
class Problem:
    """One `path:line: level: message` line of sitegen's output."""

    path: str
    line: int
    level: str
    message: str


def problems(output: str) -> list[Problem]:
    """Every diagnostic line of a run's output."""
    found = []
    for text in output.splitlines():
        match = _PROBLEM_RE.match(text.strip())
        if match:
            found.append(
                Problem(match["path"], int(match["line"]), match["level"], match["message"])
            )
    return found


def messages(run: Run, path: str, line: int, level: str = "error") -> list[str]:
    """The messages printed for one place of one file."""
    return [
        p.message for p in problems(run.output) if (p.path, p.line, p.level) == (path, line, level)
    ]


def line_of(text: str, needle: str, after: int = 0) -> int:
    """The 1-based number of the first line below line `after` that contains needle."""
    for number, line in enumerate(text.splitlines(), 1):
        if number > after and needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in the text")


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder (hidden ones too) with its bytes."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def listing(site: Path) -> set[str]:
    """Every path in the site's folder outside output/ and sitegen's cache (which holds the
    twin of output/ it swaps in, the file it locks and its records), which
    docs/building.md documents."""
    own = {"output", CACHE_DIR}
    return {
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.relative_to(site).parts[0] not in own
    }


def fails_cleanly(
    tmp_path: Path,
    broken: dict[str, str | bytes],
    *args: str,
    config: str | None = None,
    command: str = "build",
) -> Run:
    """Build a good site, then add `broken` files and run again: the run must exit 1,
    print no traceback, leave output/ byte for byte as it was and write nothing else."""
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT}, config)
    build(site)
    output_before = read_tree(site / "output")
    assert output_before, "the good build wrote nothing"
    make_site(site, broken)
    site_before = listing(site)
    run = run_sitegen(site, command, *args)
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert read_tree(site / "output") == output_before
    assert listing(site) == site_before
    return run


def test_missing_title(tmp_path: Path) -> None:
    text = report_text(date="2024-03-01", summary="No title here.")
    run = fails_cleanly(tmp_path, {"content/reports/a.md": text})
    found = [
        p
        for p in problems(run.output)
        if p.path == "content/reports/a.md" and p.level == "error" and "title" in p.message
    ]
    assert found, run.output
    closing = line_of(text, "---", after=1)
    assert all(1 <= p.line <= closing for p in found), found


def test_missing_date(tmp_path: Path) -> None:
    text = report_text(title="No date")
    run = fails_cleanly(tmp_path, {"content/reports/a.md": text})
    found = [
        p
        for p in problems(run.output)
        if p.path == "content/reports/a.md" and p.level == "error" and "date" in p.message
    ]
    assert found, run.output


@pytest.mark.parametrize("key", ["date", "updated"])
@pytest.mark.parametrize(
    ("value", "words"),
    [("2024-02-30", ("30",)), ("2023-13-01", ("13",)), ("2023-02-29", ("29",))],
)
def test_impossible_date(tmp_path: Path, key: str, value: str, words: tuple[str, ...]) -> None:
    fields = {"title": "Bad date", "date": "2024-03-01", "summary": "x"}
    fields[key] = value
    text = report_text(**fields)
    run = fails_cleanly(tmp_path, {"content/reports/a.md": text})
    found = messages(run, "content/reports/a.md", line_of(text, f"{key}:"))
    assert found, run.output
    assert any(all(w in m for w in words) for m in found), found


def test_tag_that_is_a_number(tmp_path: Path) -> None:
    text = report_text(title="Numbers", date="2024-03-01", tags="[north, 2024]")
    run = fails_cleanly(tmp_path, {"content/reports/a.md": text})
    found = messages(run, "content/reports/a.md", line_of(text, "tags:"))
    assert any("2024" in m for m in found), run.output


def test_two_reports_on_one_url(tmp_path: Path) -> None:
    first = "content/reports/2023/same-name.md"
    second = "content/reports/2024/same-name.md"
    run = fails_cleanly(
        tmp_path,
        {
            first: report_text(title="First", date="2023-05-01"),
            second: report_text(title="Second", date="2024-05-01"),
        },
    )
    errors = [p for p in problems(run.output) if p.level == "error"]
    assert errors, run.output
    assert any(
        {first, second} <= {p.path, *re.findall(r"content/\S+?\.md", p.message)} for p in errors
    ), run.output


def test_same_slug_in_two_folders(tmp_path: Path) -> None:
    texts = {
        "content/reports/one.md": report_text(title="First", date="2023-05-01", slug="shared"),
        "content/reports/deep/two.md": report_text(
            title="Second", date="2024-05-01", slug="shared"
        ),
    }
    run = fails_cleanly(tmp_path, texts)
    named = [p for p in problems(run.output) if p.level == "error" and p.path in texts]
    assert named, run.output
    for problem in named:
        (other,) = set(texts) - {problem.path}
        assert other in problem.message
        assert problem.line == line_of(texts[problem.path], "slug:")


def test_several_broken_files_are_all_listed(tmp_path: Path) -> None:
    no_title = report_text(date="2024-03-01")
    bad_date = report_text(title="Bad date", date="2024-02-30")
    number_tag = report_text(title="Tag", date="2024-03-01", tags="[2024]")
    bad_url = report_text(
        title="Source", date="2024-03-01", source="{name: Outlet, url: 'javascript:alert(1)'}"
    )
    two_problems = report_text(title="Two", date="2023-13-01", places="[7]")
    run = fails_cleanly(
        tmp_path,
        {
            "content/reports/a-no-title.md": no_title,
            "content/reports/b-bad-date.md": bad_date,
            "content/reports/c-number-tag.md": number_tag,
            "content/reports/d-bad-url.md": bad_url,
            "content/reports/e-two-problems.md": two_problems,
        },
    )
    paths = {p.path for p in problems(run.output) if p.level == "error"}
    assert {
        "content/reports/a-no-title.md",
        "content/reports/b-bad-date.md",
        "content/reports/c-number-tag.md",
        "content/reports/d-bad-url.md",
        "content/reports/e-two-problems.md",
    } <= paths, run.output
    assert messages(run, "content/reports/b-bad-date.md", line_of(bad_date, "date:"))
    assert messages(run, "content/reports/c-number-tag.md", line_of(number_tag, "tags:"))
    assert messages(run, "content/reports/d-bad-url.md", line_of(bad_url, "source:"))
    assert messages(run, "content/reports/e-two-problems.md", line_of(two_problems, "date:"))
    assert messages(run, "content/reports/e-two-problems.md", line_of(two_problems, "places:"))


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JavaScript:alert(1)", "ftp://example.org/report", "data:text/html,x"],
)
def test_source_url_must_be_http(tmp_path: Path, url: str) -> None:
    text = "\n".join(
        [
            "---",
            "title: Bad source",
            "date: 2024-03-01",
            "source:",
            "  name: Example Daily",
            f"  url: '{url}'",
            "  lang: en",
            "---",
            "Body.",
        ]
    )
    run = fails_cleanly(tmp_path, {"content/reports/a.md": text})
    at_key = messages(run, "content/reports/a.md", line_of(text, "source:"))
    at_url = messages(run, "content/reports/a.md", line_of(text, "url:"))
    assert any(url in m for m in at_key + at_url), run.output


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/ko/report"])
def test_translation_url_must_be_http(tmp_path: Path, url: str) -> None:
    text = "\n".join(
        [
            "---",
            "title: Bad translation",
            "date: 2024-03-01",
            "translations:",
            "  - lang: ko",
            "    url: https://example.org/ko/1",
            "  - lang: ja",
            f"    url: '{url}'",
            "---",
            "Body.",
        ]
    )
    run = fails_cleanly(tmp_path, {"content/reports/a.md": text})
    at_key = messages(run, "content/reports/a.md", line_of(text, "translations:"))
    at_url = messages(run, "content/reports/a.md", line_of(text, url))
    assert any(url in m for m in at_key + at_url), run.output


def test_http_source_and_translations_build(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "title: Good links",
            "date: 2024-03-01",
            "source: {name: Example Daily, url: 'https://example.org/news/1', lang: ko}",
            "translations:",
            "  - {lang: ja, url: 'http://example.org/ja/1'}",
            "---",
            "Body.",
        ]
    )
    site = make_site(tmp_path, {"content/reports/a.md": text})
    page = build(site).page("/reports/a/")
    hrefs = page.xpath("//a/@href")
    assert "https://example.org/news/1" in hrefs
    assert "http://example.org/ja/1" in hrefs


def test_image_without_alt(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "title: No alt",
            "date: 2024-03-01",
            "image:",
            "  src: photo.png",
            "  caption: A caption is not an alt text.",
            "---",
            "Body.",
        ]
    )
    run = fails_cleanly(
        tmp_path, {"content/reports/a.md": text, "content/reports/photo.png": png_bytes()}
    )
    found = messages(run, "content/reports/a.md", line_of(text, "image:"))
    found += messages(run, "content/reports/a.md", line_of(text, "src:"))
    assert any("alt" in m for m in found), run.output


def test_missing_image_file(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "title: Lost photo",
            "date: 2024-03-01",
            "image:",
            "  src: nowhere.jpg",
            "  alt: A photo that is not there",
            "---",
            "Body.",
        ]
    )
    run = fails_cleanly(tmp_path, {"content/reports/a.md": text})
    found = messages(run, "content/reports/a.md", line_of(text, "image:"))
    found += messages(run, "content/reports/a.md", line_of(text, "src:"))
    assert any("nowhere.jpg" in m for m in found), run.output


def test_image_beside_the_report_builds(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "title: With photo",
            "date: 2024-03-01",
            "image:",
            "  src: photo.png",
            "  alt: The city across the river",
            "---",
            "Body.",
        ]
    )
    site = make_site(
        tmp_path, {"content/reports/a.md": text, "content/reports/photo.png": png_bytes(3, 2)}
    )
    page = build(site).page("/reports/a/")
    (img,) = page.xpath("//img[@alt='The city across the river']")
    assert (img.get("width"), img.get("height")) == ("3", "2")
    assert (site / "output" / img.get("src").lstrip("/")).read_bytes() == png_bytes(3, 2)


def test_error_in_one_file_does_not_hide_warnings_of_others(tmp_path: Path) -> None:
    warned = report_text(title="Warned", date="2024-03-01", tag="[oops]")
    run = fails_cleanly(
        tmp_path,
        {
            "content/reports/a.md": report_text(title="Broken", date="2024-02-30"),
            "content/reports/b.md": warned,
        },
    )
    assert messages(run, "content/reports/b.md", line_of(warned, "tag:"), "warning"), run.output


def test_same_file_name_in_two_year_folders_with_own_slugs_builds(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "content/reports/2023/weekly-roundup.md": report_text(
                title="Roundup 2023", date="2023-12-29", slug="roundup-2023"
            ),
            "content/reports/2024/weekly-roundup.md": report_text(
                title="Roundup 2024", date="2024-12-27", slug="roundup-2024"
            ),
        },
    )
    run = build(site)
    assert [p for p in problems(run.output) if p.level == "error"] == []
    assert run.page("/reports/roundup-2023/").xpath("string(//h1)") == "Roundup 2023"
    assert run.page("/reports/roundup-2024/").xpath("string(//h1)") == "Roundup 2024"


def test_linked_report_outside_content_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(report_text("Private notes.\n", title="Secret", date="2024-03-01"), "utf-8")
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT})
    build(site)
    output_before = read_tree(site / "output")
    (site / "content/reports/leak.md").symlink_to(secret)
    run = run_sitegen(site, "build")
    assert "Traceback" not in run.output
    named = [
        line for line in run.output.splitlines() if line.startswith("content/reports/leak.md:")
    ]
    assert named, run.output
    if run.exit_code == 0:
        pages = read_tree(site / "output")
        assert not any(b"Private notes" in data for data in pages.values())
    else:
        assert run.exit_code == 1
        assert read_tree(site / "output") == output_before


@pytest.mark.parametrize("src", ["../../sitegen.toml", "../../../outside.png", "/../outside.png"])
def test_image_outside_the_site_is_refused(tmp_path: Path, src: str) -> None:
    (tmp_path / "outside.png").write_bytes(png_bytes())
    text = "\n".join(
        ["---", "title: Escape", "date: 2024-03-01", "image:", f"  src: {src}", "  alt: A", "---"]
    )
    run = fails_cleanly(
        tmp_path, {"content/reports/a.md": text, "sitegen.toml": 'title = "Digest"\n'}
    )
    found = messages(run, "content/reports/a.md", line_of(text, "image:"))
    found += messages(run, "content/reports/a.md", line_of(text, "src:"))
    assert any(src in m for m in found), run.output
