"""Hostile input ("Nothing lost, nothing let in"): every odd or malicious file is either built
safely or refused as `path:line: error: ...`, exit 1, no traceback, output/ as it was and no
file written outside output/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest

from tests.helpers import Run, build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import (
    GOOD_REPORT,
    fails_cleanly,
    line_of,
    listing,
    messages,
    png_bytes,
    problems,
    read_tree,
)

A = "content/reports/a.md"
B = "content/reports/b.md"
UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")
REPORT_PATH = r"content/\S+?\.(?:md|markdown)\b"


def accepted(
    tmp_path: Path, files: dict[str, str | bytes], *args: str, config: str | None = None
) -> Run:
    """Build a good site, add `files` and build again: the build must succeed without a
    traceback and write nothing outside output/."""
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT}, config)
    build(site)
    make_site(site, files)
    site_before = listing(site)
    run = run_sitegen(site, "build", *args)
    assert run.exit_code == 0, run.output
    assert "Traceback" not in run.output
    assert listing(site) == site_before
    return run


def named_errors(run: Run, path: str) -> list[str]:
    """Error lines for a file, with or without a line number (links and folders have none)."""
    pattern = re.compile(rf"^{re.escape(path)}(?::\d+)*: error: (.*)$")
    return [m[1] for line in run.output.splitlines() if (m := pattern.match(line.strip()))]


def assert_page_is_safe(page: lxml.html.HtmlElement, where: str = "") -> None:
    """No script from content: only JSON-LD and the theme's own script files; no on*
    attribute; no link or source with a script or data scheme."""
    for script in page.xpath("//script"):
        shown = (where, lxml.html.tostring(script))
        if script.get("type") == "application/ld+json":
            json.loads(script.text_content())
        else:
            assert script.get("src", "").startswith("/"), shown
            assert not script.text_content().strip(), shown
    handlers = [
        (element.tag, name)
        for element in page.iter()
        if isinstance(element.tag, str)
        for name in element.attrib
        if name.lower().startswith("on")
    ]
    assert handlers == [], where
    for value in page.xpath("//@href | //@src | //@action | //@formaction | //@srcset"):
        assert not value.strip().lower().startswith(UNSAFE_SCHEMES), (where, value)


def assert_site_is_safe(output: Path) -> None:
    pages = sorted(output.rglob("*.html"))
    assert pages
    for path in pages:
        assert_page_is_safe(lxml.html.fromstring(path.read_bytes()), str(path))


# --- encodings and the shape of the file ----------------------------------------------------


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    text = report_text("A fine line.\n\nHere: \udcff.\n", title="Bytes", date="2024-03-01")
    raw = text.encode("utf-8", errors="surrogateescape")
    run = fails_cleanly(tmp_path, {A: raw})
    found = messages(run, A, line_of(text, "Here:"))
    assert any("UTF-8" in m for m in found), run.output


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    text = "\ufeff" + report_text("With a mark.\n", title="Marked", date="2024-03-01")
    run = accepted(tmp_path, {A: text.encode("utf-8")})
    assert texts(run.page("/reports/a/"), "//h1") == ["Marked"]


def test_crlf_line_ends_build(tmp_path: Path) -> None:
    text = report_text(
        "First line\nsecond line.\n\nNext paragraph.\n", title="CR", date="2024-03-01"
    )
    run = accepted(tmp_path, {A: text.replace("\n", "\r\n").encode()})
    page = run.page("/reports/a/")
    assert texts(page, "//h1") == ["CR"]
    body = texts(page, "//div[contains(@class, 'report-body')]/p")
    assert body == ["First line second line.", "Next paragraph."]
    assert "\r" not in page.xpath("string(//div[contains(@class, 'report-body')])")


def test_crlf_line_ends_keep_line_numbers(tmp_path: Path) -> None:
    text = report_text(title="CR", summary="Some words.", date="2024-02-30")
    run = fails_cleanly(tmp_path, {A: text.replace("\n", "\r\n").encode()})
    assert messages(run, A, line_of(text, "date:")), run.output


@pytest.mark.parametrize("content", ["", "\n", "   \n\n\t\n"], ids=["empty", "newline", "blank"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    run = fails_cleanly(tmp_path, {A: content})
    assert any("empty" in m for m in messages(run, A, 1)), run.output


@pytest.mark.parametrize("end", ["", "\n"], ids=["no-newline", "newline"])
def test_front_matter_only_builds(tmp_path: Path, end: str) -> None:
    text = "---\ntitle: Only a head\ndate: 2024-03-01\n---" + end
    run = accepted(tmp_path, {A: text})
    assert texts(run.page("/reports/a/"), "//h1") == ["Only a head"]


@pytest.mark.parametrize(
    "matter", ["- title\n- date\n", "just some words\n", "42\n"], ids=["list", "string", "number"]
)
def test_front_matter_that_is_not_a_mapping(tmp_path: Path, matter: str) -> None:
    text = f"---\n{matter}---\nBody.\n"
    run = fails_cleanly(tmp_path, {A: text})
    found = [p for p in problems(run.output) if p.path == A and p.level == "error"]
    assert found, run.output
    assert all(2 <= p.line <= line_of(text, "---", after=1) for p in found), found
    assert any("key: value" in p.message for p in found), found


# --- YAML features that must not run, expand or recurse --------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object/apply:os.system ['touch {pwned}']",
        "!!python/object/new:os.system ['touch {pwned}']",
        "!!python/name:os.system",
        "!!python/object/apply:subprocess.check_output [['touch', '{pwned}']]",
    ],
)
def test_yaml_python_tags_are_refused(tmp_path: Path, value: str) -> None:
    pwned = tmp_path / "pwned"
    text = report_text(title="Tags", date="2024-03-01", extra=value.format(pwned=pwned))
    run = fails_cleanly(tmp_path, {A: text})
    found = messages(run, A, line_of(text, "extra:"))
    assert any("tag" in m for m in found), run.output
    assert not pwned.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def _laughs() -> str:
    lines = ["---", "title: Laughs", "date: 2024-03-01", "a: &a [lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        aliases = ", ".join([f"*{previous}"] * 9)
        lines.append(f"{name}: &{name} [{aliases}]")
    return "\n".join([*lines, "---", "Body."])


def _anchor_lines(text: str) -> set[int]:
    closing = line_of(text, "---", after=1)
    return {
        number
        for number, line in enumerate(text.splitlines(), 1)
        if number < closing and re.search(r"[&*][a-z]", line)
    }


@pytest.mark.parametrize(
    "text",
    [
        _laughs(),
        "---\ntitle: Self\ndate: 2024-03-01\nsummary: fine\nloop: &a [*a]\n---\nBody.\n",
        "---\ntitle: Self\ndate: 2024-03-01\nsummary: fine\nloop: &m {k: *m}\n---\nBody.\n",
    ],
    ids=["billion-laughs", "list-holds-itself", "mapping-holds-itself"],
)
def test_aliases_that_expand_without_end(tmp_path: Path, text: str) -> None:
    run = fails_cleanly(tmp_path, {A: text})
    found = [p for p in problems(run.output) if p.path == A and p.level == "error"]
    assert found, run.output
    assert any("alias" in p.message or "anchor" in p.message for p in found), found
    # The error points at the anchors and aliases, not at the first line of the file.
    assert {p.line for p in found} <= _anchor_lines(text), (found, _anchor_lines(text))


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = report_text(title="Alias", date="2024-03-01", tags="&t [north]", places="*t")
    run = accepted(tmp_path, {A: text})
    assert set(texts(run.page("/reports/a/"), "//a[@rel='tag']")) == {"north"}


@pytest.mark.parametrize(
    "value",
    [
        "[" * 10_000 + "]" * 10_000,
        "{a: " * 10_000 + "1" + "}" * 10_000,
        "\n" + "".join("  " * depth + "-\n" for depth in range(1, 1_200)),
    ],
    ids=["flow-lists", "flow-mappings", "block-lists"],
)
def test_deeply_nested_yaml(tmp_path: Path, value: str) -> None:
    text = report_text(title="Deep", date="2024-03-01", summary="fine", deep=value)
    run = fails_cleanly(tmp_path, {A: text})
    found = [p for p in problems(run.output) if p.path == A and p.level == "error"]
    assert found, run.output
    assert all(p.line >= line_of(text, "deep:") for p in found), found
    # Say what is wrong: the value nests too deeply (not "a bracket is never closed").
    assert any(re.search(r"deep|nest", p.message) for p in found), found
    assert not any("never closed" in p.message for p in found), found


def test_moderately_nested_yaml_builds(tmp_path: Path) -> None:
    text = report_text(
        title="Nested", date="2024-03-01", deep="[" * 200 + "]" * 200, more="{a: " * 200 + "}" * 200
    )
    run = accepted(tmp_path, {A: text})
    assert texts(run.page("/reports/a/"), "//h1") == ["Nested"]


# --- size ------------------------------------------------------------------------------------


def test_fifty_megabyte_report_is_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT})
    build(site)
    before = read_tree(site / "output")
    huge = site / A
    with huge.open("wb") as file:
        file.write(report_text(title="Huge", date="2024-03-01").encode())
        file.truncate(50 * 1024 * 1024)  # sparse: no time spent writing
    site_before = listing(site)
    run = run_sitegen(site, "build")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    found = messages(run, A, 1)
    assert any("MB" in m for m in found), run.output
    assert read_tree(site / "output") == before
    assert listing(site) == site_before


def test_hundred_thousand_line_report_builds(tmp_path: Path) -> None:
    body = "".join(f"Line {n}.\n" if n % 10 else f"\nLine {n}.\n" for n in range(100_000))
    run = accepted(
        tmp_path, {A: report_text(body, title="Long", date="2024-03-01")}, config="search = false\n"
    )
    page = run.page("/reports/a/")
    paragraphs = texts(page, "//div[contains(@class, 'report-body')]/p")
    assert len(paragraphs) == 10_000
    assert paragraphs[-1].endswith("Line 99999.")


@pytest.mark.parametrize(
    "body",
    ["> " * 10_000 + "deep\n", "- " * 10_000 + "deep\n", "* " * 5_000 + "> " * 5_000 + "deep\n"],
    ids=["quotes", "list", "mixed"],
)
def test_deeply_nested_markdown_builds(tmp_path: Path, body: str) -> None:
    run = accepted(tmp_path, {A: report_text(body, title="Deep", date="2024-03-01")})
    path = run.site / "output" / "reports" / "a" / "index.html"
    page = lxml.html.fromstring(path.read_bytes())
    assert texts(page, "//h1") == ["Deep"]
    assert_page_is_safe(page)


def test_deeply_nested_list_lines_build(tmp_path: Path) -> None:
    body = "".join("  " * depth + "- item\n" for depth in range(1_000))
    run = accepted(tmp_path, {A: report_text(body, title="Indented", date="2024-03-01")})
    assert texts(run.page("/reports/a/"), "//h1") == ["Indented"]


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-18", "2024-03-18T00:00:00"),
        ('"2024-03-18"', "2024-03-18T00:00:00"),
        ("2024/03/18", "2024-03-18T00:00:00"),
        ("2024.03.18", "2024-03-18T00:00:00"),
        ("2024-03-18T09:30:00+09:00", "2024-03-18T09:30:00+09:00"),
        ("2024-03-18 09:30", "2024-03-18T09:30:00"),
        ("2024-03-18T09:30:00Z", "2024-03-18T09:30:00+00:00"),
    ],
)
def test_date_formats_accepted(tmp_path: Path, value: str, expected: str) -> None:
    text = report_text(title="Dated", date=value)
    run = accepted(tmp_path, {A: text})
    (published,) = run.page("/reports/a/").xpath(
        "//p[@class='dateline']/span[@class='published']/time/@datetime"
    )
    assert published.startswith(expected), published
    assert [p for p in problems(run.output) if p.path == A] == []


@pytest.mark.parametrize("key", ["date", "updated"])
@pytest.mark.parametrize(
    "value", ["18/03/2024", "March 18 2024", "2024-3-18T25:00", "99999-03-18", "2024-03-18T09:61"]
)
def test_date_formats_refused(tmp_path: Path, key: str, value: str) -> None:
    fields = {"title": "Dated", "date": "2024-03-01", "summary": "Words."}
    fields[key] = value
    text = report_text(**fields)
    run = fails_cleanly(tmp_path, {A: text})
    found = messages(run, A, line_of(text, f"{key}:"))
    assert any(key in m for m in found), run.output


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31"]
)
def test_dates_at_the_ends_of_the_calendar(tmp_path: Path, value: str) -> None:
    """The extreme dates Python can hold either build (with --future) or are refused cleanly."""
    text = report_text(title="Edge", date=value)
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT})
    build(site)
    before = read_tree(site / "output")
    make_site(site, {A: text})
    run = run_sitegen(site, "build", "--future")
    assert "Traceback" not in run.output
    if run.exit_code == 0:
        assert texts(run.page("/reports/a/"), "//h1") == ["Edge"]
    else:
        assert run.exit_code == 1, run.output
        assert messages(run, A, line_of(text, "date:")), run.output
        assert read_tree(site / "output") == before


# --- the Norway problem ----------------------------------------------------------------------


def test_lang_no_is_norwegian(tmp_path: Path) -> None:
    text = report_text(title="Norsk", date="2024-03-01", lang="no", tags="[yes, no, on, off]")
    run = accepted(tmp_path, {A: text})
    page = run.page("/no/reports/a/")
    assert page.get("lang") == "no"
    assert set(texts(page, "//a[@rel='tag']")) == {"yes", "no", "on", "off"}


@pytest.mark.parametrize("value", ["no", "yes", "off"])
def test_draft_yes_no_is_not_a_boolean(tmp_path: Path, value: str) -> None:
    text = report_text(title="Draft", date="2024-03-01", draft=value)
    run = fails_cleanly(tmp_path, {A: text})
    found = messages(run, A, line_of(text, "draft:"))
    assert any("true or false" in m for m in found), run.output


def test_title_no_stays_text(tmp_path: Path) -> None:
    run = accepted(tmp_path, {A: report_text(title="no", date="2024-03-01")})
    assert texts(run.page("/reports/a/"), "//h1") == ["no"]


# --- slugs and URLs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    ["../escape", "'../../../../tmp/x'", "a/b", "/abs", "'a\\b'", '"\\0"', '"a\\0b"', '"!!!"',
     "'.'"],
    ids=["dotdot", "deep-dotdot", "slash", "leading-slash", "backslash", "nul", "inner-nul",
         "punctuation", "dot"],
)  # fmt: skip
def test_unsafe_slug_is_refused(tmp_path: Path, slug: str) -> None:
    text = report_text(title="Slug", date="2024-03-01", slug=slug)
    run = fails_cleanly(tmp_path, {A: text})
    found = messages(run, A, line_of(text, "slug:"))
    assert any("slug" in m for m in found), run.output
    assert not (tmp_path / "tmp").exists()


def _names_both(run: Run, first: str, second: str) -> bool:
    return any(
        {first, second} <= {p.path, *re.findall(REPORT_PATH, p.message)}
        for p in problems(run.output)
        if p.level == "error"
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [("café", "cafe\u0301"), ("News", "news"), ("NEWS", "nEwS")],
    ids=["unicode-forms", "case", "mixed-case"],
)
def test_slugs_that_fold_alike_collide(tmp_path: Path, first: str, second: str) -> None:
    run = fails_cleanly(
        tmp_path,
        {
            A: report_text(title="One", date="2024-03-01", slug=f'"{first}"'),
            "content/reports/2024/b.md": report_text(
                title="Two", date="2024-03-02", slug=f'"{second}"'
            ),
        },
    )
    assert _names_both(run, A, "content/reports/2024/b.md"), run.output


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("content/reports/a.md", "content/reports/a.markdown"),
        ("content/reports/a.md", "content/reports/2024/a.md"),
        ("content/reports/a.md", "content/reports/Aa.md"),
    ],
)
def test_two_files_for_one_url(tmp_path: Path, first: str, second: str) -> None:
    second_text = report_text(title="Two", date="2024-03-02")
    if second.endswith("Aa.md"):
        second_text = report_text(title="Two", date="2024-03-02", slug="a")
    run = fails_cleanly(
        tmp_path, {first: report_text(title="One", date="2024-03-01"), second: second_text}
    )
    assert _names_both(run, first, second), run.output


def test_file_names_differing_in_case_collide(tmp_path: Path) -> None:
    run = fails_cleanly(
        tmp_path,
        {
            "content/reports/News.md": report_text(title="One", date="2024-03-01"),
            "content/reports/2024/news.md": report_text(title="Two", date="2024-03-02"),
        },
    )
    assert _names_both(run, "content/reports/News.md", "content/reports/2024/news.md"), run.output


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("content/tags/x.md", {"title": "Tag page?", "date": "2024-03-02"}),
        ("content/timeline/2024.md", {"title": "Year page?", "date": "2024-03-02"}),
        ("content/places/y.md", {"title": "Place page?", "date": "2024-03-02"}),
    ],
)
def test_report_where_a_generated_page_goes(
    tmp_path: Path, name: str, fields: dict[str, str]
) -> None:
    tagged = report_text(title="Tagged", date="2024-03-03", tags="[x]", places="[y]")
    run = fails_cleanly(tmp_path, {name: report_text(**fields), B: tagged})
    errors = [p for p in problems(run.output) if p.level == "error"]
    assert any(name in {p.path, *re.findall(REPORT_PATH, p.message)} for p in errors), run.output


def test_report_named_like_a_generated_folder_is_fine(tmp_path: Path) -> None:
    run = accepted(
        tmp_path,
        {
            "content/reports/tags.md": report_text(title="About tags", date="2024-03-01"),
            "content/reports/timeline.md": report_text(title="About time", date="2024-03-01"),
            B: report_text(title="Tagged", date="2024-03-03", tags="[x]"),
        },
    )
    assert texts(run.page("/reports/tags/"), "//h1") == ["About tags"]
    assert texts(run.page("/reports/timeline/"), "//h1") == ["About time"]
    assert texts(run.page("/tags/x/"), "//h1") == ["x"]


# --- links to files outside the site ---------------------------------------------------------


def _symlinked(tmp_path: Path, link: str, target: Path) -> tuple[Path, dict[str, bytes], Run]:
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT})
    build(site)
    before = read_tree(site / "output")
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(target)
    site_before = listing(site)
    run = run_sitegen(site, "build")
    assert "Traceback" not in run.output
    assert listing(site) == site_before
    return site, before, run


@pytest.mark.parametrize("where", ["outside-site", "site-root"])
def test_symlink_to_a_report_outside_content(tmp_path: Path, where: str) -> None:
    secret_text = report_text("Private notes.\n", title="Secret", date="2024-03-01")
    secret = tmp_path / "secret.md" if where == "outside-site" else tmp_path / "site/notes.md"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(secret_text, encoding="utf-8")
    site, before, run = _symlinked(tmp_path, "content/reports/leak.md", secret)
    assert run.exit_code == 1, run.output
    assert named_errors(run, "content/reports/leak.md"), run.output
    assert read_tree(site / "output") == before
    assert "Private notes" not in run.output


def test_symlinked_folder_outside_content(tmp_path: Path) -> None:
    private = tmp_path / "private"
    make_site(private, {"x.md": report_text("Private notes.\n", title="Secret", date="2024-03-01")})
    site, before, run = _symlinked(tmp_path, "content/reports/linked", private)
    assert run.exit_code == 1, run.output
    assert named_errors(run, "content/reports/linked"), run.output
    assert read_tree(site / "output") == before


def test_symlink_loop(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT})
    build(site)
    before = read_tree(site / "output")
    (site / A).symlink_to("b.md")
    (site / B).symlink_to("a.md")
    (site / "content/reports/self.md").symlink_to("self.md")
    (site / "content/reports/up").symlink_to("..")
    run = run_sitegen(site, "build")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    for name in (A, B, "content/reports/self.md", "content/reports/up"):
        assert named_errors(run, name), (name, run.output)
    assert read_tree(site / "output") == before


@pytest.mark.parametrize(
    "src",
    ["../../etc/passwd", "/etc/passwd", "../../../../../../../../etc/passwd", "/../../etc/hosts"],
)
def test_image_path_outside_the_site(tmp_path: Path, src: str) -> None:
    text = "\n".join(
        ["---", "title: Escape", "date: 2024-03-01", "image:", f"  src: {src}", "  alt: A", "---"]
    )
    run = fails_cleanly(tmp_path, {A: text})
    found = messages(run, A, line_of(text, "image:")) + messages(run, A, line_of(text, "src:"))
    assert any(src in m for m in found), run.output
    assert "root:" not in run.output


def test_body_image_outside_the_site_is_not_copied(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(png_bytes())
    body = "![x](../../../secret.png)\n\n![y](/etc/passwd)\n"
    run = accepted(tmp_path, {A: report_text(body, title="Img", date="2024-03-01")})
    output = read_tree(run.site / "output")
    assert png_bytes() not in output.values()
    assert not any(b"root:x:0:0" in data for data in output.values())


# --- script from content ---------------------------------------------------------------------


BAD_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
]


@pytest.mark.parametrize("target", BAD_LINKS)
def test_script_links_in_bodies_are_not_clickable(tmp_path: Path, target: str) -> None:
    body = f"A [link]({target}) and <{target}> and ![image]({target}).\n"
    run = accepted(tmp_path, {A: report_text(body, title="Links", date="2024-03-01")})
    page = run.page("/reports/a/")
    assert_page_is_safe(page)
    (body_div,) = page.xpath("//div[contains(@class, 'report-body')]")
    assert "link" in body_div.text_content()


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " javascript:x"]
)
@pytest.mark.parametrize("where", ["source", "translation"])
def test_script_urls_in_front_matter_are_errors(tmp_path: Path, url: str, where: str) -> None:
    quoted = "'" + url.replace("'", "''") + "'"
    if where == "source":
        lines = ["source:", "  name: Example Daily", f"  url: {quoted}"]
    else:
        lines = ["translations:", "  - lang: ko", f"    url: {quoted}"]
    text = "\n".join(["---", "title: Bad", "date: 2024-03-01", *lines, "---", "Body."])
    run = fails_cleanly(tmp_path, {A: text})
    key = "source:" if where == "source" else "translations:"
    found = messages(run, A, line_of(text, key)) + messages(run, A, line_of(text, "url:"))
    assert any("http" in m for m in found), run.output


RAW_HTML = """\
Before.

<script>alert("block")</script>

<div onclick="alert('div')">A div</div>

Inline <img src=x onerror="alert('img')"> and <a href="javascript:alert(1)" onmouseover="x">a</a>.

<b>bold</b> and <svg onload="alert(1)"><circle/></svg>
"""


def test_raw_html_is_shown_as_text_with_warnings(tmp_path: Path) -> None:
    text = report_text(RAW_HTML, title="Raw", date="2024-03-01")
    run = accepted(tmp_path, {A: text})
    page = run.page("/reports/a/")
    assert_page_is_safe(page)
    (body,) = page.xpath("//div[contains(@class, 'report-body')]")
    shown = body.text_content()
    assert '<script>alert("block")</script>' in shown
    assert "onerror=" in shown
    assert body.xpath(".//b | .//svg | .//img | .//div") == []
    for needle in ("<script>", "<div onclick", "<img src=x", "<b>bold"):
        found = messages(run, A, line_of(text, needle), "warning")
        assert any("raw HTML" in m for m in found), (needle, run.output)


def test_raw_html_is_sanitised_when_allowed(tmp_path: Path) -> None:
    text = report_text(RAW_HTML, title="Raw", date="2024-03-01")
    run = accepted(tmp_path, {A: text}, config="allow_raw_html = true\n")
    page = run.page("/reports/a/")
    assert_page_is_safe(page)
    (body,) = page.xpath("//div[contains(@class, 'report-body')]")
    assert texts(body, ".//b") == ["bold"]
    assert "alert" not in body.text_content()
    assert [p for p in problems(run.output) if p.path == A and "raw HTML" in p.message] == []


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&amp;</title></script>"


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def test_script_in_front_matter_values_is_escaped(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            f"title: {_quoted('T ' + HOSTILE)}",
            "date: 2024-03-01",
            f"summary: {_quoted('S ' + HOSTILE)}",
            f"tags: [{_quoted('G ' + HOSTILE)}]",
            "image:",
            "  src: photo.png",
            f"  alt: {_quoted('A ' + HOSTILE)}",
            f"  caption: {_quoted('C ' + HOSTILE)}",
            "---",
            "Body.",
        ]
    )
    run = accepted(tmp_path, {A: text, "content/reports/photo.png": png_bytes()})
    assert_site_is_safe(run.site / "output")
    page = run.page("/reports/a/")
    assert texts(page, "//h1") == ["T " + HOSTILE]
    assert texts(page, "//*[contains(@class, 'lede')]") == ["S " + HOSTILE]
    assert "G " + HOSTILE in texts(page, "//a[@rel='tag']")
    assert texts(page, "//figcaption/*[contains(@class, 'caption')]") == ["C " + HOSTILE]
    assert page.xpath("//figure//img/@alt") == ["A " + HOSTILE]


# --- templates and themes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "needle", "words"),
    [
        ("<p>{{ 1 / 0 }}</p>\n", "1 / 0", ("division",)),
        ("{% for i in range(10**9) %}{{ i }}{% endfor %}\n", "range", ("range",)),
        ('{% include "report.html" %}\n', "include", ("itself",)),
        ("{{ report.title.nope() }}\n", "nope", ()),
        ("{% if %}\n", "{% if", ("syntax",)),
    ],
    ids=["divide-by-zero", "huge-loop", "includes-itself", "undefined", "syntax"],
)
def test_template_that_fails(
    tmp_path: Path, template: str, needle: str, words: tuple[str, ...]
) -> None:
    text = '{% extends "base.html" %}\n{% block content %}\n<h1>x</h1>\n' + template
    text += "{% endblock %}\n"
    run = fails_cleanly(tmp_path, {"templates/report.html": text})
    found = messages(run, "templates/report.html", line_of(text, needle))
    assert found, run.output
    assert any(all(w in m for w in words) for m in found), found


def test_template_that_extends_itself(tmp_path: Path) -> None:
    text = '{% extends "report.html" %}\n'
    run = fails_cleanly(tmp_path, {"templates/report.html": text})
    assert named_errors(run, "templates/report.html"), run.output


def test_missing_theme_names_the_setting(tmp_path: Path) -> None:
    config = 'title = "Digest"\ntheme = "nope"\n'
    run = fails_cleanly(tmp_path, {"sitegen.toml": config})
    found = messages(run, "sitegen.toml", line_of(config, "theme ="))
    assert any("nope" in m for m in found), run.output


def test_theme_name_that_climbs_out(tmp_path: Path) -> None:
    config = 'title = "Digest"\ntheme = "../../../.."\n'
    run = fails_cleanly(tmp_path, {"sitegen.toml": config})
    assert messages(run, "sitegen.toml", line_of(config, "theme =")), run.output


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("templates/report.html", '<p>x</p>\n{% include "report.html" %}\n'),
        ("templates/partials/loop.html", '<p>x</p>\n{% include "partials/loop.html" %}\n'),
    ],
    ids=["page", "partial"],
)
def test_template_that_includes_itself_alone(tmp_path: Path, name: str, text: str) -> None:
    files = {name: text}
    if name != "templates/report.html":
        files["templates/report.html"] = (
            '{% extends "base.html" %}\n{% block content %}\n'
            '{% include "partials/loop.html" %}\n{% endblock %}\n'
        )
    run = fails_cleanly(tmp_path, files)
    found = messages(run, name, line_of(text, "include"))
    assert any("itself" in m for m in found), run.output
