"""output/ is replaced whole or not at all: a build killed (SIGKILL) or interrupted (Ctrl-C)
mid-write leaves the previous site as it was; sitegen writes only into a folder it owns."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import books_of, build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import GOOD_REPORT, listing, png_bytes, read_tree

REPORTS = 1500
STAGING = ".sitegen-cache/outputs/*/twin"


def _many_reports(site: Path, count: int = REPORTS) -> None:
    folder = site / "content" / "reports" / "bulk"
    folder.mkdir(parents=True)
    for n in range(count):
        text = report_text(
            f"Body of report {n}.\n",
            title=f"Report {n}",
            date=f"2023-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
            tags=f"[t{n % 50}, common]",
            places=f"[p{n % 7}]",
        )
        (folder / f"r{n:04d}.md").write_text(text, encoding="utf-8")


def _as_from_a_terminal() -> None:
    # A build started from a terminal hears Ctrl-C even when the test runner itself was
    # started in the background (where the shell sets SIGINT to be ignored, and children
    # inherit that).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_build(site: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sitegen", "build", "--site", str(site)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_as_from_a_terminal,
        )


def _wait_for_staging(site: Path, process: subprocess.Popen[bytes]) -> Path:
    """Poll until the build is writing pages of the new reports into its staging folder
    (output/'s twin, in the cache); return that folder."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for page in site.glob(f"{STAGING}/reports/r[0-9]*"):
            return page.parent.parent
        if process.poll() is not None:
            pytest.fail(f"the build ended (exit {process.returncode}) before it was stopped")
        time.sleep(0.005)
    process.kill()
    pytest.fail("no staging folder appeared")


def _killed_builds_leftovers(site: Path) -> list[str]:
    """What a stopped build left: pages of the new reports, records of unfinished trees,
    per-process staging folders, anything beside output/."""
    found = [p.as_posix() for p in site.glob(f"{STAGING}/reports/r[0-9]*")]
    found += [p.as_posix() for p in site.glob(".sitegen-cache/outputs/*/retired-*")]
    found += [p.as_posix() for p in site.glob(".output*")]
    for record in site.glob(".sitegen-cache/outputs/*/trees/*"):
        if record.read_text(encoding="utf-8").splitlines()[1:2] != ["done"]:
            found.append(record.as_posix())
    return found


@pytest.fixture
def big_site(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A site built once with one report, then given many more: (site, output before)."""
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT})
    build(site)
    before = read_tree(site / "output")
    assert before
    _many_reports(site)
    return site, before


def test_sigkill_mid_write_leaves_the_old_site(
    tmp_path: Path, big_site: tuple[Path, dict[str, bytes]]
) -> None:
    site, before = big_site
    process = _start_build(site, tmp_path / "build.log")
    staging = _wait_for_staging(site, process)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert staging.exists(), "the killed build left no staging folder: was it killed mid-write?"
    assert read_tree(site / "output") == before

    # The next build (of a smaller site, to keep the test quick) succeeds and clears what
    # the killed one left.
    shutil.rmtree(site / "content" / "reports" / "bulk")
    outside = listing(site)
    run = build(site)
    assert _killed_builds_leftovers(site) == []
    assert texts(run.page("/reports/good/"), "//h1") == ["A good report"]
    assert not (site / "output" / "reports" / "r1499").exists()
    assert listing(site) == outside


def test_sigint_mid_build_exits_130_and_keeps_the_old_site(
    tmp_path: Path, big_site: tuple[Path, dict[str, bytes]]
) -> None:
    site, before = big_site
    log = tmp_path / "build.log"
    process = _start_build(site, log)
    _wait_for_staging(site, process)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 130, log.read_text(errors="replace")
    said = log.read_text(errors="replace")
    assert "Traceback" not in said, said
    assert read_tree(site / "output") == before


# --- the output folder is sitegen's own ------------------------------------------------------


def test_output_it_did_not_make_is_refused(tmp_path: Path) -> None:
    site = make_site(
        tmp_path / "site",
        {
            "content/reports/good.md": GOOD_REPORT,
            "output/index.html": "<p>my own site</p>\n",
            "output/notes/todo.txt": "notes\n",
        },
    )
    before, paths = read_tree(tmp_path), listing(tmp_path)
    run = run_sitegen(site, "build")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert "not made by sitegen" in run.output, run.output
    assert "output" in run.output
    assert read_tree(tmp_path) == before
    assert listing(tmp_path) == paths


def test_output_with_a_removed_manifest_is_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT})
    build(site)
    for record in books_of(site).records.iterdir():
        record.unlink()
    before = read_tree(tmp_path)
    run = run_sitegen(site, "build")
    assert run.exit_code == 1, run.output
    assert "not made by sitegen" in run.output, run.output
    assert read_tree(tmp_path) == before


@pytest.mark.parametrize(
    ("target", "why"),
    [
        (".", "site"),
        ("content", "content"),
        ("content/reports", "content"),
        ("content/reports/new", "content"),
        ("..", "site"),
        ("../..", "site"),
        ("output/..", "site"),
    ],
)
def test_output_over_the_site_is_refused(tmp_path: Path, target: str, why: str) -> None:
    site = make_site(tmp_path / "site", {"content/reports/good.md": GOOD_REPORT})
    build(site)
    before, paths = read_tree(tmp_path), listing(tmp_path)
    run = run_sitegen(site, "build", "--output", str(site / target))
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    reason = run.output.split("error:", 1)[-1].replace(str(tmp_path.resolve()), "<tmp>")
    assert why in reason.replace(str(tmp_path), "<tmp>"), run.output
    assert read_tree(tmp_path) == before
    assert listing(tmp_path) == paths


@pytest.mark.parametrize("folder", ["static", "templates", "data"])
def test_output_into_a_site_folder_with_files_is_refused(tmp_path: Path, folder: str) -> None:
    site = make_site(
        tmp_path / "site",
        {"content/reports/good.md": GOOD_REPORT, f"{folder}/keep.txt": "mine\n"},
    )
    before, paths = read_tree(tmp_path), listing(tmp_path)
    run = run_sitegen(site, "build", "--output", str(site / folder))
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert read_tree(tmp_path) == before
    assert listing(tmp_path) == paths


def test_static_and_image_files_are_copied_not_moved(tmp_path: Path) -> None:
    text = "\n".join(
        ["---", "title: Photo", "date: 2024-03-01", "image:", "  src: photo.png", "  alt: A", "---"]
    )
    files: dict[str, str | bytes] = {
        "content/reports/good.md": GOOD_REPORT,
        "content/reports/photo.md": text,
        "content/reports/photo.png": png_bytes(4, 3),
        "static/extra.txt": "static text\n",
        "static/img/logo.png": png_bytes(2, 2),
    }
    site = make_site(tmp_path / "site", files)
    for _ in range(2):
        build(site)
        for name, content in files.items():
            path = site / name
            data = content if isinstance(content, bytes) else content.encode()
            assert path.read_bytes() == data, name
    output = site / "output"
    for name in ("extra.txt", "img/logo.png"):
        copy, original = output / name, site / "static" / name
        assert copy.read_bytes() == original.read_bytes()
        assert not os.path.samefile(copy, original), f"{name} is linked, not copied"
    copies = [p for p in output.rglob("photo.png")]
    assert copies, sorted(read_tree(output))
    for copy in copies:
        assert not os.path.samefile(copy, site / "content/reports/photo.png")
    # Changing the built copy leaves the source alone.
    (output / "extra.txt").write_text("changed\n", encoding="utf-8")
    assert (site / "static/extra.txt").read_text(encoding="utf-8") == "static text\n"
