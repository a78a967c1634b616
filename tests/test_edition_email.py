"""`sitegen edition export`: an edition as HTML made for mail clients, text, and a .eml.

And `sitegen serve`'s preview of it at a dev-server-only address, reloaded on save.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import lxml.html
import pytest

from tests.conftest import VNU_JAR, need_java, need_node_module
from tests.helpers import run_sitegen
from tests.test_editions import FIXTURE, W48_PICKS
from tests.test_serve import LiveSite, Stream, get

PICK_URLS = [
    "https://example.org/digest/reports/fuel-prices-ease/",
    "https://example.org/digest/reports/monday-market-closes-early/",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture's week-48 edition, exported: the folder holding its three files."""
    base = tmp_path_factory.mktemp("email")
    site = base / "site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns("output"))
    run = run_sitegen(site, "edition", "export", "2024-w48", "--out", str(base / "mail"))
    assert run.exit_code == 0, run.output
    return base / "mail"


def html_part(exported: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((exported / "2024-w48.html").read_bytes())


def outside_media_rules(css: str) -> str:
    """What a style sheet holds outside its @media blocks (braces matched)."""
    kept, depth, index = [], 0, 0
    while index < len(css):
        if depth == 0 and css.startswith("@media", index):
            opening = css.index("{", index)
            depth, index = 1, opening + 1
            while depth:
                depth += {"{": 1, "}": -1}.get(css[index], 0)
                index += 1
            continue
        kept.append(css[index])
        index += 1
    return "".join(kept)


def test_export_writes_the_three_files(exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == [
        "2024-w48.eml",
        "2024-w48.html",
        "2024-w48.txt",
    ]


def test_the_html_has_css_only_inline_but_for_media_rules(exported: Path) -> None:
    page = html_part(exported)
    styles = page.xpath("//style")
    assert len(styles) == 1
    css = styles[0].text_content()
    assert "@media (prefers-color-scheme: dark)" in css
    assert "@media (max-width" in css
    assert outside_media_rules(css).strip() == ""
    assert page.xpath("//link[@rel='stylesheet']") == []
    assert page.xpath("//script") == []
    body_style = page.xpath("//body/@style")[0]
    assert "background-color" in body_style  # the rules went inline
    container = page.xpath("//table[contains(@class, 'container')]/@style")[0]
    assert "max-width: 600px" in container


def test_every_link_and_image_is_absolute_and_https(exported: Path) -> None:
    page = html_part(exported)
    urls = page.xpath("//@href | //@src")
    assert urls
    assert all(url.startswith("https://") for url in urls), urls


def test_every_pick_is_there_with_its_link_and_a_hidden_preheader(exported: Path) -> None:
    page = html_part(exported)
    links = page.xpath("//li[contains(@class, 'edition-report')]//h2/a")
    assert [a.text_content() for a in links] == W48_PICKS
    assert [a.get("href") for a in links] == PICK_URLS
    (preheader,) = page.xpath("//div[@class='preheader']")
    assert preheader.text_content() == "Early closing in Hyesan, and cheaper diesel in Rason."
    assert "display: none" in preheader.get("style")


def message(exported: Path) -> EmailMessage:
    with (exported / "2024-w48.eml").open("rb") as file:
        parsed = email.message_from_binary_file(file, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_eml_holds_text_and_html_with_the_same_picks(exported: Path) -> None:
    mail = message(exported)
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == "Week 48: markets and fuel"
    assert mail["From"] == "Border Desk <desk@example.org>"
    assert mail["Date"] == "Sun, 01 Dec 2024 18:00:00 +0900"
    assert re.fullmatch(r"<[^<>@\s]+@example\.org>", mail["Message-ID"])
    assert mail["List-Unsubscribe"] == "<https://example.org/digest/unsubscribe/>"
    text_part = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text_part is not None and html is not None
    text = text_part.get_content()
    page = lxml.html.fromstring(html.get_content())
    assert [a.text_content() for a in page.xpath("//li//h2/a")] == W48_PICKS
    references = dict(re.findall(r"^\[(\d+)\] (\S+)$", text, re.MULTILINE))
    for title, url in zip(W48_PICKS, PICK_URLS, strict=True):
        (number,) = re.findall(rf"^\d+\. {re.escape(title)} \[(\d+)\]$", text, re.MULTILINE)
        assert references[number] == url
    assert text == (exported / "2024-w48.txt").read_text(encoding="utf-8")
    # The MIME part ends its last line, as text parts do.
    written = (exported / "2024-w48.html").read_text(encoding="utf-8")
    assert html.get_content().rstrip("\n") == written.rstrip("\n")


def test_the_text_is_wrapped_but_for_urls(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns("output"))
    note = site / "content" / "editions" / "2024-w48.md"
    long_note = " ".join(["A long sentence of the editor's note that goes on."] * 12)
    link = "https://example.org/" + "very-long-path-segment/" * 5
    note.write_text(
        note.read_text(encoding="utf-8") + f"\n{long_note} See [this]({link}).\n",
        encoding="utf-8",
    )
    run = run_sitegen(site, "edition", "export", "2024-w48", "--out", str(tmp_path / "mail"))
    assert run.exit_code == 0, run.output
    text = (tmp_path / "mail" / "2024-w48.txt").read_text(encoding="utf-8")
    long_lines = [line for line in text.splitlines() if len(line) > 78]
    assert all(re.search(r"https?://\S{40,}", line) for line in long_lines), long_lines
    assert max(len(line) for line in text.splitlines() if "://" not in line) <= 72
    assert link in text


def test_the_korean_edition_exports_with_lang(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns("output"))
    out = tmp_path / "mail"
    run = run_sitegen(site, "edition", "export", "2024-w47", "--lang", "ko", "--out", str(out))
    assert run.exit_code == 0, run.output
    page = lxml.html.fromstring((out / "2024-w47.html").read_bytes())
    assert page.get("lang") == "ko"
    assert page.xpath("//li//h2/a/text()") == ["신의주 다리 보수"]


def test_an_unknown_slug_is_an_error_with_the_nearest(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns("output"))
    run = run_sitegen(site, "edition", "export", "2024-w84", "--out", str(tmp_path / "m"))
    assert run.exit_code == 1
    assert "no published edition '2024-w84'" in run.output
    assert "did you mean '2024-w48'?" in run.output
    assert not (tmp_path / "m").exists()


def test_no_sender_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns("output"))
    config = site / "sitegen.toml"
    config.write_text(
        re.sub(r"^from = .*\n", "", config.read_text(encoding="utf-8"), flags=re.MULTILINE),
        encoding="utf-8",
    )
    run = run_sitegen(site, "edition", "export", "2024-w48", "--out", str(tmp_path / "m"))
    assert run.exit_code == 1
    assert "sitegen.toml:7: error: the email needs a sender" in run.output
    assert not (tmp_path / "m").exists()


def test_the_html_part_passes_the_nu_checker(exported: Path) -> None:
    java = need_java()
    jar = need_node_module(VNU_JAR)
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "json",
         str(exported / "2024-w48.html")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    messages = json.loads(result.stderr or result.stdout)["messages"]
    assert [m["message"] for m in messages if m["type"] == "error"] == []


# The preview in sitegen serve


def test_serve_previews_the_email_and_reloads_it_on_save(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns("output"))
    live = LiveSite(site)
    stream: Stream | None = None
    try:
        status, headers, body = get(live, "/__sitegen/email/editions/2024-w48/")
        assert status == 200
        assert headers["content-type"].startswith("text/html")
        page = lxml.html.fromstring(body)
        assert [a.text_content() for a in page.xpath("//li//h2/a")] == W48_PICKS
        # The tab reloads with the edition's page.
        assert page.xpath("//script/@data-sitegen-page") == ["editions/2024-w48/index.html"]
        assert not (live.folder / "__sitegen").exists()  # nothing of it in the built site
        stream = Stream(live.port)
        stream.wait_for("state")
        path = site / "content" / "editions" / "2024-w48.md"
        path.write_text(
            path.read_text(encoding="utf-8").replace("Week 48: markets", "Week 48: prices"),
            encoding="utf-8",
        )
        reload = stream.wait_for("reload")
        changed = reload["changed"]
        assert isinstance(changed, list) and "editions/2024-w48/index.html" in changed
        status, _, body = get(live, "/__sitegen/email/editions/2024-w48/")
        assert lxml.html.fromstring(body).xpath("//h1/text()") == ["Week 48: prices and fuel"]
        assert get(live, "/__sitegen/email/editions/2099-w01/")[0] == 404
    finally:
        if stream is not None:
            stream.close()
        live.close()
