"""Property-based tests: any front matter and Markdown either builds into pages where every
value is escaped, or fails with `path:line:` messages and exit 1, never a traceback; and the
order files are created in, or the folders they sit in, never changes the output."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import yaml
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from sitegen.content.report import BASE_KEYS
from tests.helpers import make_site, run_sitegen, texts
from tests.test_content_errors import read_tree
from tests.test_hostile_content import assert_page_is_safe

CONFIG = 'title = "Digest"\nsearch = false\nper_page = 3\n'
A = "content/reports/a.md"
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No shrinking: it can take minutes on builds; the failing example is printed as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

HOSTILE = [
    "<",
    ">",
    "&",
    '"',
    "'",
    "`",
    "</script>",
    "<script>alert(1)</script>",
    "<!--",
    "-->",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "javascript:alert(1)",
    "&amp;",
    "&#x3C;",
    "\u2028",
    "\u2029",
    "]]>",
    "{{ 7*7 }}",
    "{% raw %}",
    "서울",
    "café",
    "cafe\u0301",
    "🙂",
    "\u202e",
    "\\",
]
_LETTERS = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn"), exclude_characters="\ufeff"
)
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(_LETTERS, min_size=1, max_size=8)),
    min_size=1,
    max_size=6,
).map("".join)
title_text = hostile_text.filter(lambda s: s.strip() != "")

MARKDOWN_PIECES = [
    "# Heading <b>bold</b>",
    "## Second {#custom}",
    "> quoted <script>alert(1)</script>",
    "- item [link](javascript:alert(1))",
    "1. item ![img](data:text/html,x)",
    "[ok](https://example.org/?a=1&b=<2>)",
    "<javascript:alert(1)>",
    "<a href='x' onclick='alert(1)'>a</a>",
    "<div onmouseover=alert(1)>div</div>",
    "<script>alert(1)</script>",
    "<style>body{}</style>",
    "<iframe src=javascript:alert(1)></iframe>",
    "```\n<script>in code</script>\n```",
    "`<script>` inline",
    "| a | b |\n| - | - |\n| <x> | & |",
    "Footnote[^1].\n\n[^1]: <script>x</script>",
    "~~struck~~",
    "",
    "***",
    "[ref]: javascript:alert(1)\n\n[ref]",
]
markdown_body = st.lists(
    st.one_of(st.sampled_from(MARKDOWN_PIECES), hostile_text), max_size=12
).map("\n\n".join)

valid_date = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2024, 12, 31)).map(
    lambda d: d.isoformat()
)
date_value = st.one_of(valid_date, valid_date, valid_date, hostile_text, st.integers(-10, 10**6))
term_text = st.one_of(hostile_text.map(lambda s: s + " term"), hostile_text, st.just("<b>"))
extra_key = st.from_regex(r"[a-z][a-z_]{0,9}", fullmatch=True).filter(
    lambda k: k not in {*BASE_KEYS, "tags", "places"}
)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), hostile_text)
extra_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def front_matter(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"title": draw(title_text), "date": draw(date_value)}
    if draw(st.booleans()):
        data["summary"] = draw(hostile_text)
    if draw(st.booleans()):
        data["tags"] = draw(st.lists(term_text, max_size=3))
    if draw(st.booleans()):
        data["author"] = draw(hostile_text)
    if draw(st.booleans()):
        data["places"] = draw(st.lists(term_text, max_size=2))
    for key in draw(st.lists(extra_key, max_size=3, unique=True)):
        data.setdefault(key, draw(extra_value))
    return data


_DIAGNOSTIC = re.compile(r"^(?P<path>\S+?):(?P<line>\d+)(?::\d+)?: (?P<level>error|warning): ")
_SUMMARY = re.compile(r"^failed: \d+ errors?$")


def assert_failed_cleanly(output: str, file_lines: dict[str, int]) -> None:
    """Every line is `path:line: level: ...` with a real line of a file, or the summary."""
    errors = 0
    for line in output.splitlines():
        if not line.strip():
            continue
        match = _DIAGNOSTIC.match(line)
        if match is None:
            assert _SUMMARY.match(line) or line.startswith("  "), output
            continue
        assert match["path"] in file_lines, output
        assert 1 <= int(match["line"]) <= file_lines[match["path"]], output
        errors += match["level"] == "error"
    assert errors, output


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)


def _check_site(output: Path) -> None:
    for path in sorted(output.rglob("*.html")):
        assert_page_is_safe(lxml.html.fromstring(path.read_bytes()), str(path))
    for path in sorted(output.rglob("*.xml")):
        tree = lxml.etree.fromstring(path.read_bytes())
        for content in tree.iter("{http://www.w3.org/2005/Atom}content"):
            if content.get("type") == "html" and content.text:
                fragment = lxml.html.fragment_fromstring(content.text, create_parent="div")
                assert_page_is_safe(fragment, str(path))


@SETTINGS
@given(data=front_matter(), body=markdown_body)
def test_any_report_builds_escaped_or_fails_cleanly(data: dict[str, Any], body: str) -> None:
    text = f"---\n{_yaml(data)}---\n{body}\n"
    with tempfile.TemporaryDirectory() as folder:
        site = make_site(Path(folder), {A: text}, CONFIG)
        run = run_sitegen(site, "build")
        assert "Traceback" not in run.output
        event("built" if run.exit_code == 0 else "refused")
        if run.exit_code != 0:
            assert run.exit_code == 1, run.output
            assert_failed_cleanly(run.output, {A: len(text.splitlines())})
            assert not (site / "output").exists()
            return
        _check_site(site / "output")
        (page,) = [
            lxml.html.fromstring(p.read_bytes())
            for p in (site / "output" / "reports").glob("*/index.html")
        ]
        title = data["title"].strip()
        assert texts(page, "(//h1)[1]") == [" ".join(title.split())]
        headlines = [
            json.loads(s.text_content()).get("headline")
            for s in page.xpath("//script[@type='application/ld+json']")
        ]
        assert title in headlines
        assert " ".join(page.findtext(".//title").split()).startswith(" ".join(title.split()))


front_matter_line = st.one_of(
    st.sampled_from(
        [
            "title: A title",
            "date: 2024-03-01",
            "tags: [a, b]",
            "tags: a, b",
            "- x",
            "  nested: 1",
            "title:",
            "date: 2024-02-30",
            "slug: ../x",
            "key: &a [*a]",
            "key: !!python/name:os.system",
            'key: "unclosed',
            "key: [unclosed",
            "title: a\ntitle: b",
            "image: {src: ../../etc/passwd, alt: x}",
            "source: {name: x, url: 'javascript:alert(1)'}",
            "translations: [{lang: ko, url: 'data:x'}]",
            "lang: no",
            "draft: yes",
            "---",
            "\t",
            "? complex",
            "%YAML 1.2",
        ]
    ),
    hostile_text.map(lambda s: "k: " + s),
    hostile_text,
)


@SETTINGS
@given(lines=st.lists(front_matter_line, max_size=8), body=markdown_body)
def test_any_front_matter_text_builds_or_fails_cleanly(lines: list[str], body: str) -> None:
    text = "---\ntitle: Base\ndate: 2024-03-01\n" + "\n".join(lines) + f"\n---\n{body}\n"
    with tempfile.TemporaryDirectory() as folder:
        site = make_site(Path(folder), {A: text}, CONFIG)
        run = run_sitegen(site, "build")
        assert "Traceback" not in run.output
        event("built" if run.exit_code == 0 else "refused")
        if run.exit_code != 0:
            assert run.exit_code == 1, run.output
            assert_failed_cleanly(run.output, {A: len(text.splitlines())})
            return
        _check_site(site / "output")


# --- order ---------------------------------------------------------------------------------

TAG_SPELLINGS = ["Mobile phones", "mobile  phones", "MOBILE PHONES", "Smuggling", "smuggling"]
PLACE_SPELLINGS = ["Sinuiju", "sinuiju", "서울", "Cafe\u0301", "Café"]


@st.composite
def report_set(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Two to six reports with distinct file names: (name, text)."""
    names = draw(
        st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=2, max_size=6)
        .map(lambda ns: sorted(set(ns)))
        .filter(lambda ns: len(ns) >= 2)
    )
    reports = []
    for name in names:
        data = {
            "title": draw(title_text),
            "date": draw(st.sampled_from(["2024-03-01", "2024-03-02", "2023-12-31", "2024-03-01"])),
            "tags": draw(st.lists(st.sampled_from(TAG_SPELLINGS), max_size=3)),
            "places": draw(st.lists(st.sampled_from(PLACE_SPELLINGS), max_size=2)),
            "event_date": draw(st.sampled_from(["2024", "2024-03", "2023-11-05", "2024-03-01"])),
        }
        reports.append((name, f"---\n{_yaml(data)}---\n{draw(markdown_body)}\n"))
    return reports


FOLDER_NAMES = ["", "2024", "zz", "a/b", "00", "Ω", "later/than/now"]


@dataclass(frozen=True)
class Arrangement:
    """Reports (name, text), the order to write them in, and each one's folder in two sites."""

    reports: list[tuple[str, str]]
    order: list[int]
    folders_one: list[str]
    folders_two: list[str]


def _write(site: Path, reports: list[tuple[str, str]], folders: list[str]) -> None:
    site.mkdir(parents=True)
    (site / "sitegen.toml").write_text(CONFIG, encoding="utf-8")
    for (name, text), folder in zip(reports, folders, strict=True):
        path = site / "content" / "reports" / folder / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@st.composite
def arrangement(draw: st.DrawFn) -> Arrangement:
    """A set of reports, an order to create them in, and two sets of folders to put them in."""
    reports = draw(report_set())
    folders = st.lists(st.sampled_from(FOLDER_NAMES), min_size=len(reports), max_size=len(reports))
    order = draw(st.permutations(range(len(reports))))
    return Arrangement(reports, order, draw(folders), draw(folders))


_SAME_DAY = "---\ntitle: <\ndate: '2024-03-01'\n---\n"


@SETTINGS
@given(arranged=arrangement())
@example(arranged=Arrangement([("a", _SAME_DAY), ("b", _SAME_DAY)], [0, 1], ["", ""], ["zz", ""]))
def test_file_order_and_folders_do_not_change_output(arranged: Arrangement) -> None:
    reports, order = arranged.reports, arranged.order
    with tempfile.TemporaryDirectory() as folder:
        one, two = Path(folder) / "one", Path(folder) / "two"
        _write(one, reports, arranged.folders_one)
        _write(two, [reports[i] for i in order], [arranged.folders_two[i] for i in order])
        first, second = run_sitegen(one, "build"), run_sitegen(two, "build")
        assert "Traceback" not in first.output + second.output
        assert first.exit_code == second.exit_code, (first.output, second.output)
        event("built" if first.exit_code == 0 else "refused")
        if first.exit_code != 0:
            return
        built_one, built_two = read_tree(one / "output"), read_tree(two / "output")
        assert sorted(built_one) == sorted(built_two)
        assert [n for n in sorted(built_one) if built_one[n] != built_two[n]] == []
