"""The commands: new, check, and build's --quiet, --strict, --output and --base-url."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zoneinfo
from pathlib import Path

from tests.helpers import build, make_site, parse_page, report_text, run_sitegen, texts
from tests.test_content_errors import fails_cleanly, line_of, listing, messages, problems

ZONE = "Pacific/Kiritimati"
"""UTC+14: the site's date differs from UTC's for most of every day."""
A = "content/reports/a.md"
GOOD = report_text(title="A good report", date="2024-03-01", tags="[smuggling]")
BROKEN_LINK = report_text(
    "Intro.\n\nSee [the other page](/nope/) for more.\n", title="Linked", date="2024-03-01"
)


def _today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()


def test_new_writes_a_report_that_builds(tmp_path: Path) -> None:
    site = make_site(tmp_path, {}, f'timezone = "{ZONE}"\n')
    before = _today()
    run = run_sitegen(site, "new", "Some Title")
    after = _today()
    assert run.exit_code == 0, run.output
    written = [
        site / "content" / "reports" / str(day.year) / "some-title.md" for day in {before, after}
    ]
    (path,) = [p for p in written if p.is_file()]
    assert path.relative_to(site).as_posix() in run.output
    text = path.read_text(encoding="utf-8")
    date_lines = [line for line in text.splitlines() if line.startswith("date:")]
    assert len(date_lines) == 1
    assert date_lines[0].split(":", 1)[1].strip() in {before.isoformat(), after.isoformat()}

    built = build(site, "--drafts")
    page = built.page("/reports/some-title/")
    assert texts(page, "//h1") == ["Some Title"]
    published = page.xpath("//article//time/@datetime")[0]
    assert published[:10] in {before.isoformat(), after.isoformat()}
    assert [p for p in problems(built.output) if p.path.endswith("some-title.md")] == []


def test_new_keeps_quotes_and_colons_in_the_title(tmp_path: Path) -> None:
    site = make_site(tmp_path, {})
    title = 'Kim said "no": a #1 report'
    run = run_sitegen(site, "new", title)
    assert run.exit_code == 0, run.output
    (path,) = (site / "content" / "reports").rglob("*.md")
    built = build(site, "--drafts")
    slug = path.stem
    assert texts(built.page(f"/reports/{slug}/"), "//h1") == [title]


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    site = make_site(tmp_path, {}, f'timezone = "{ZONE}"\n')
    assert run_sitegen(site, "new", "Some Title").exit_code == 0
    (path,) = (site / "content" / "reports").rglob("some-title.md")
    path.write_text(path.read_text(encoding="utf-8") + "\nThe editor's own words.\n", "utf-8")
    edited = path.read_bytes()
    before = listing(site)
    run = run_sitegen(site, "new", "Some Title")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert path.read_bytes() == edited
    assert listing(site) == before


def test_new_with_title_that_makes_no_file_name(tmp_path: Path) -> None:
    site = make_site(tmp_path, {})
    run = run_sitegen(site, "new", "!!!")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert not (site / "content").exists()


def test_check_good_site_writes_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, {A: GOOD})
    before = listing(site)
    run = run_sitegen(site, "check")
    assert run.exit_code == 0, run.output
    assert not (site / "output").exists()
    assert listing(site) == before


def test_check_broken_site(tmp_path: Path) -> None:
    text = report_text(title="Bad", date="2024-02-30")
    run = fails_cleanly(tmp_path, {A: text}, command="check")
    assert messages(run, A, line_of(text, "date:")), run.output


def test_check_broken_site_without_output_folder(tmp_path: Path) -> None:
    text = report_text(title="Bad", date="2024-03-01", tags="[2024]")
    site = make_site(tmp_path, {A: text})
    before = listing(site)
    run = run_sitegen(site, "check")
    assert run.exit_code == 1, run.output
    assert messages(run, A, line_of(text, "tags:")), run.output
    assert listing(site) == before


def test_check_link_to_missing_page_is_a_warning(tmp_path: Path) -> None:
    site = make_site(tmp_path, {A: BROKEN_LINK})
    run = run_sitegen(site, "check")
    assert run.exit_code == 0, run.output
    found = messages(run, A, line_of(BROKEN_LINK, "/nope/"), "warning")
    assert any(m.startswith("link to /nope/ leads to no page") for m in found), run.output
    assert not (site / "output").exists()


def test_check_link_to_missing_page_fails_under_strict(tmp_path: Path) -> None:
    site = make_site(tmp_path, {A: BROKEN_LINK})
    before = listing(site)
    run = run_sitegen(site, "check", "--strict")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    found = messages(run, A, line_of(BROKEN_LINK, "/nope/"), "error")
    assert any(m.startswith("link to /nope/ leads to no page") for m in found), run.output
    assert listing(site) == before


def test_build_link_to_missing_page_fails_under_strict(tmp_path: Path) -> None:
    run = fails_cleanly(tmp_path, {A: BROKEN_LINK}, "--strict")
    found = messages(run, A, line_of(BROKEN_LINK, "/nope/"), "error")
    assert any(m.startswith("link to /nope/ leads to no page") for m in found), run.output


def test_links_to_real_pages_do_not_warn(tmp_path: Path) -> None:
    text = report_text(
        "See [b](/reports/b/), [tags](/tags/), [timeline](/timeline/) and [home](/).\n",
        title="Linked",
        date="2024-03-01",
    )
    site = make_site(tmp_path, {A: text, "content/reports/b.md": GOOD})
    run = run_sitegen(site, "check", "--strict")
    assert run.exit_code == 0, run.output
    assert problems(run.output) == []


def test_quiet_hides_warnings_and_summary(tmp_path: Path) -> None:
    site = make_site(tmp_path, {A: BROKEN_LINK})
    loud = run_sitegen(site, "build")
    assert loud.exit_code == 0
    assert messages(loud, A, line_of(BROKEN_LINK, "/nope/"), "warning")
    lines = [line for line in loud.output.splitlines() if line.strip()]
    assert len(lines) > len(problems(loud.output)), "no summary line"

    quiet = run_sitegen(site, "build", "--quiet")
    assert quiet.exit_code == 0
    assert quiet.output.strip() == ""
    assert texts(quiet.page("/reports/a/"), "//h1") == ["Linked"]

    checked = run_sitegen(site, "check", "--quiet")
    assert checked.exit_code == 0
    assert checked.output.strip() == ""


def test_quiet_still_prints_errors(tmp_path: Path) -> None:
    text = report_text(title="Bad", date="2024-02-30")
    run = fails_cleanly(tmp_path, {A: text, "content/reports/b.md": BROKEN_LINK}, "--quiet")
    assert messages(run, A, line_of(text, "date:")), run.output
    assert [p for p in problems(run.output) if p.level == "warning"] == []


def test_output_option(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {A: GOOD})
    elsewhere = tmp_path / "public"
    before = listing(site)
    build(site, "--output", str(elsewhere))
    page = parse_page(elsewhere, "/reports/a/")
    assert texts(page, "//h1") == ["A good report"]
    assert not (site / "output").exists()
    assert listing(site) == before


def test_output_option_rebuilds_in_place(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {A: GOOD})
    elsewhere = tmp_path / "public"
    build(site, "--output", str(elsewhere))
    make_site(site, {"content/reports/b.md": report_text(title="Second", date="2024-03-02")})
    build(site, "--output", str(elsewhere))
    assert texts(parse_page(elsewhere, "/reports/b/"), "//h1") == ["Second"]
    assert texts(parse_page(elsewhere, "/reports/a/"), "//h1") == ["A good report"]


def test_base_url_option(tmp_path: Path) -> None:
    site = make_site(tmp_path, {A: GOOD}, 'base_url = "https://old.example/"\n')
    run = build(site, "--base-url", "https://example.org/digest/")
    page = run.page("/reports/a/")
    assert page.xpath("//link[@rel='canonical']/@href") == ["https://example.org/digest/reports/a/"]
    assert page.xpath("//a[@rel='tag']/@href") == ["/digest/tags/smuggling/"]
    local = [h for h in page.xpath("//a/@href | //link/@href") if h.startswith("/")]
    assert local
    assert all(h.startswith("/digest/") for h in local), local


def test_bad_base_url_option(tmp_path: Path) -> None:
    run = fails_cleanly(tmp_path, {}, "--base-url", "javascript:alert(1)")
    assert "javascript:alert(1)" in run.output
    # the mistake is on the command line: name the option, not a sitegen.toml that is not there
    assert "--base-url" in run.output
    assert "sitegen.toml" not in run.output


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    site = make_site(tmp_path, {A: GOOD})
    run = run_sitegen(site, "build", "--no-such-flag")
    assert run.exit_code == 2
    assert "Traceback" not in run.output
    assert not (site / "output").exists()


def test_ctrl_c_while_the_command_line_is_read_exits_quietly(tmp_path: Path) -> None:
    """Ctrl-C after sitegen loaded, before the command's own handling: 130, and no
    "Aborted!" or traceback (click would say "Aborted!" and exit 1)."""
    script = (
        "import os, signal\n"
        "from sitegen import __main__, cli\n"
        "make_context = cli.main.make_context\n"
        "def interrupted(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return make_context(*args, **kwargs)\n"
        "cli.main.make_context = interrupted\n"
        "__main__.run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "build", "--site", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 130, done.stderr
    assert "Aborted" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "output").exists()


def test_a_site_folder_that_does_not_exist_is_refused_and_not_made(tmp_path: Path) -> None:
    missing = tmp_path / "sitte"  # a typo for the site's folder
    for command in ("build", "check", "serve", "watch", "init", "new"):
        run = run_sitegen(missing, command)
        assert run.exit_code == 2, (command, run.output)
        assert "Directory" in run.output and "does not exist" in run.output, run.output
    assert not missing.exists()
