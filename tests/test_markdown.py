"""Report bodies: the Markdown extensions, raw HTML, unsafe links and links from the root."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from tests.helpers import Run, build, make_site, report_text, texts
from tests.test_content_errors import line_of, messages, problems

A = "content/reports/a.md"
BODY = "//div[contains(@class, 'report-body')]"
SCRIPTS = "//script[not(@type='application/ld+json')]"
"""Script elements that run: JSON-LD data blocks are not among them."""


def _build(tmp_path: Path, body: str, config: str | None = None, **more: str) -> Run:
    files = {A: report_text(body, title="Body test", date="2024-03-01"), **more}
    return build(make_site(tmp_path, files, config))


def _body(run: Run) -> lxml.html.HtmlElement:
    (body,) = run.page("/reports/a/").xpath(BODY)
    return body


def test_table(tmp_path: Path) -> None:
    body = _body(
        _build(
            tmp_path,
            """\
            | City | Arrests |
            | ---- | ------: |
            | Hyesan | 12 |
            | Sinuiju | 7 |
            """,
        )
    )
    (table,) = body.xpath(".//table")
    assert texts(table, ".//thead//th") == ["City", "Arrests"]
    assert [texts(row, "./td") for row in table.xpath(".//tbody/tr")] == [
        ["Hyesan", "12"],
        ["Sinuiju", "7"],
    ]


def test_footnotes(tmp_path: Path) -> None:
    body = _body(
        _build(
            tmp_path,
            """\
            The ban was announced in March.[^ban]

            [^ban]: According to two sources in the province.
            """,
        )
    )
    refs = body.xpath("./p[1]//a[starts-with(@href, '#')]")
    assert len(refs) == 1
    target = refs[0].get("href")[1:]
    (note,) = body.xpath(".//*[@id=$id]", id=target)
    assert "According to two sources in the province." in note.text_content()
    backs = note.xpath(".//a[starts-with(@href, '#')]/@href")
    assert backs
    assert body.xpath(".//*[@id=$id]", id=backs[0][1:]), "the back link leads nowhere"


def test_strikethrough(tmp_path: Path) -> None:
    body = _body(_build(tmp_path, "Prices ~~fell~~ rose sharply.\n"))
    assert texts(body, ".//del | .//s") == ["fell"]
    assert texts(body, "./p") == ["Prices fell rose sharply."]


def test_heading_ids(tmp_path: Path) -> None:
    body = _body(
        _build(
            tmp_path,
            """\
            ## What Happened

            Text.

            ## Reaction in Seoul

            See [above](#what-happened).
            """,
        )
    )
    headings = body.xpath(".//h2")
    assert [h.get("id") for h in headings] == ["what-happened", "reaction-in-seoul"]
    ids = body.xpath(".//@id")
    assert len(ids) == len(set(ids))
    (link,) = body.xpath(".//a[text()='above']")
    assert body.xpath(".//*[@id=$id]", id=link.get("href")[1:])


def test_repeated_headings_get_distinct_ids(tmp_path: Path) -> None:
    body = _body(_build(tmp_path, "## Notes\n\nOne.\n\n## Notes\n\nTwo.\n"))
    ids = [h.get("id") for h in body.xpath(".//h2")]
    assert len(ids) == 2
    assert all(ids)
    assert len(set(ids)) == 2


def test_raw_html_is_shown_as_text_with_a_warning(tmp_path: Path) -> None:
    body_text = """\
        Intro paragraph.

        Inline <script>alert(1)</script> here.

        <div onclick="steal()">A block</div>

        <img src=x onerror="alert(2)">
        """
    run = _build(tmp_path, body_text)
    page = run.page("/reports/a/")
    assert page.xpath(SCRIPTS) == []
    assert page.xpath("//@onclick | //@onerror") == []
    body = _body(run)
    assert body.xpath(".//div | .//img") == []
    shown = body.text_content()
    assert "<script>alert(1)</script>" in shown
    assert '<div onclick="steal()">A block</div>' in shown
    text = report_text(body_text, title="Body test", date="2024-03-01")
    for needle in ("<script>", "<div onclick", "<img src"):
        found = messages(run, A, line_of(text, needle), "warning")
        assert any("raw HTML" in m for m in found), (needle, run.output)


def test_raw_html_allowed_is_sanitised(tmp_path: Path) -> None:
    body_text = """\
        Inline <script>alert(1)</script> and <abbr title="Democratic People's Republic">DPRK</abbr>.

        <div class="box" onclick="steal()">A <em>boxed</em> note</div>

        <a href="javascript:alert(3)" onmouseover="alert(4)">bad link</a>
        <a href="https://example.org/">good link</a>

        <iframe src="https://evil.example/"></iframe>
        """
    run = _build(tmp_path, body_text, "allow_raw_html = true\n")
    page = run.page("/reports/a/")
    assert page.xpath(f"{SCRIPTS} | //iframe") == []
    assert page.xpath("//@onclick | //@onmouseover") == []
    assert page.xpath("//a[starts-with(normalize-space(@href), 'javascript:')]") == []
    body = _body(run)
    (box,) = body.xpath(".//div")
    assert " ".join(box.text_content().split()) == "A boxed note"
    assert texts(box, ".//em") == ["boxed"]
    assert texts(body, ".//abbr") == ["DPRK"]
    assert body.xpath(".//a[@href='https://example.org/']")
    assert [p for p in problems(run.output) if "raw HTML" in p.message] == []


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JavaScript:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox)",
        "[click](ftp://example.org/file)",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "![click](javascript:alert(1))",
    ],
)
def test_unsafe_links_are_not_clickable(tmp_path: Path, link: str) -> None:
    run = _build(tmp_path, f"A [safe](https://example.org/a) link, then {link}\n")
    page = run.page("/reports/a/")
    body = _body(run)
    schemes = ("javascript:", "data:", "vbscript:", "ftp:")
    for attribute in page.xpath("//@href | //@src"):
        assert not attribute.strip().lower().startswith(schemes), attribute
    assert body.xpath(".//a[@href='https://example.org/a']")
    assert "click" in body.text_content() or "javascript" in body.text_content()


def test_safe_links_stay_clickable(tmp_path: Path) -> None:
    body = _body(
        _build(
            tmp_path,
            "[web](https://example.org/x), [mail](mailto:desk@example.org), "
            "[anchor](#top), [rel](../b/).\n",
            **{"content/reports/b.md": report_text(title="B", date="2024-02-01")},
        )
    )
    hrefs = body.xpath(".//a/@href")
    assert hrefs == ["https://example.org/x", "mailto:desk@example.org", "#top", "../b/"]


def test_root_relative_links_follow_base_url(tmp_path: Path) -> None:
    run = _build(
        tmp_path,
        "See the [timeline](/timeline/) and ![a chart](/images/chart.png) "
        "and [a page](other/) and [elsewhere](https://example.org/x).\n",
        'base_url = "https://example.org/digest/"\n',
        **{"static/images/chart.png": b"\x89PNG\r\n\x1a\n"},
    )
    page = run.page("/reports/a/")
    body = _body(run)
    (timeline,) = body.xpath(".//a[text()='timeline']")
    nav_timeline = page.xpath("//header//nav//a/@href")
    assert timeline.get("href") == "/digest/timeline/"
    assert timeline.get("href") in nav_timeline
    assert body.xpath(".//img/@src") == ["/digest/images/chart.png"]
    assert body.xpath(".//a[text()='a page']/@href") == ["other/"]
    assert body.xpath(".//a[text()='elsewhere']/@href") == ["https://example.org/x"]
    assert not [p for p in problems(run.output) if "/timeline/" in p.message], run.output


def test_protocol_relative_link_is_left_alone(tmp_path: Path) -> None:
    body = _body(
        _build(tmp_path, "[cdn](//cdn.example.org/x)\n", 'base_url = "https://example.org/d/"\n')
    )
    assert body.xpath(".//a/@href") == ["//cdn.example.org/x"]


def test_link_warning_line_counts_front_matter(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "title: Lines",
            "date: 2024-03-01",
            "summary: >-",
            "  Folded over",
            "  two lines.",
            "---",
            "",
            "First paragraph.",
            "",
            "A [missing](/missing/) page.",
        ]
    )
    run = build(make_site(tmp_path, {A: text}))
    found = messages(run, A, line_of(text, "/missing/"), "warning")
    assert any("/missing/" in m for m in found), run.output


def test_warnings_name_the_line_inside_a_paragraph(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "---",
            "title: Long paragraph",
            "date: 2024-03-01",
            "---",
            "The first line of a paragraph,",
            "a second line with <b>raw</b> markup,",
            "and a third with a [link](/nowhere/) in it.",
        ]
    )
    run = build(make_site(tmp_path, {A: text}))
    raw = messages(run, A, line_of(text, "<b>"), "warning")
    assert any("raw HTML" in m for m in raw), run.output
    link = messages(run, A, line_of(text, "/nowhere/"), "warning")
    assert any("/nowhere/" in m for m in link), run.output


def test_html_in_code_is_not_raw_html(tmp_path: Path) -> None:
    run = _build(
        tmp_path,
        """\
        Use `<b>` for bold.

        ```html
        <script>alert(1)</script>
        ```

            <div onclick="x">indented code</div>
        """,
    )
    page = run.page("/reports/a/")
    assert page.xpath(f"{SCRIPTS} | //@onclick") == []
    body = _body(run)
    assert texts(body, ".//code")[0] == "<b>"
    assert "<script>alert(1)</script>" in body.xpath("string(.//pre)")
    assert [p for p in problems(run.output) if "raw HTML" in p.message] == []
