"""Nothing of sitegen's own is published: output/ holds the site and the files others put
there, nothing stands beside it, and the site before is readable nowhere a server of
output/'s parent would serve (on output/'s mount, the twin is kept in the site's cache; on
another mount, it is emptied after every swap). Where sitegen's record of what it made is
gone, it touches nothing it cannot tell it made, and says what to do."""

from __future__ import annotations

import gzip
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

import sitegen.output
from sitegen.build import build as build_site
from sitegen.cache import CACHE_DIR
from sitegen.config import BuildOptions, load_config
from sitegen.diagnostics import Reporter
from sitegen.output import read_manifest, twin_place
from sitegen.session import BuildSession
from tests.helpers import books_of, build, make_site, report_text, run_sitegen, texts
from tests.test_content_errors import listing, read_tree

KEPT_TITLE = "Harbour cranes return to service"
GONE_TITLE = "Withdrawn claim about the quarry"
GONE_SLUG = "withdrawn-quarry-claim"
GONE = f"content/reports/{GONE_SLUG}.md"
FILES = {
    "content/reports/harbour-cranes.md": report_text(
        "The cranes work again.\n", title=f"'{KEPT_TITLE}'", date="2024-03-01", tags="[port]"
    ),
    GONE: report_text(
        "A claim later withdrawn.\n", title=f"'{GONE_TITLE}'", date="2024-03-02", tags="[port]"
    ),
}
FOREIGN = {"CNAME": b"digest.example.org\n", ".nojekyll": b""}


def every_file(folder: Path) -> Iterator[Path]:
    """Every file under a folder, hidden ones and those in hidden folders too."""
    for parent, _, names in os.walk(folder):
        for name in names:
            yield Path(parent, name)


def holding(folder: Path, *needles: str) -> list[str]:
    """The files under a folder whose bytes (ungzipped too, as Pagefind's are) hold a needle."""
    found = []
    for path in every_file(folder):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data += gzip.decompress(data)
        if any(needle.encode() in data for needle in needles):
            found.append(str(path))
    return found


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in every_file(folder)}


def home_titles(output: Path) -> list[str]:
    home = lxml.html.parse(str(output / "index.html")).getroot()
    return texts(home, "//main//a")


def test_a_web_root_holds_the_site_and_nothing_of_sitegens(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", FILES)
    webroot = tmp_path / "webroot"
    webroot.mkdir()
    output = webroot / "digest"
    first = run_sitegen(site, "build", "--output", str(output))
    assert first.exit_code == 0, first.output
    assert GONE_TITLE in home_titles(output)
    assert holding(webroot, GONE_TITLE, GONE_SLUG)  # the needles are what pages show
    for name, content in FOREIGN.items():
        (output / name).write_bytes(content)

    (site / GONE).unlink()
    second = run_sitegen(site, "build", "--output", str(output))
    assert second.exit_code == 0, second.output

    assert KEPT_TITLE in home_titles(output)
    assert GONE_TITLE not in home_titles(output)
    assert holding(webroot, GONE_TITLE, GONE_SLUG) == []
    assert sorted(os.listdir(webroot)) == ["digest"]
    made = read_manifest(books_of(site, output))
    assert made is not None
    assert files_under(output) == set(made) | set(FOREIGN)
    assert {name: (output / name).read_bytes() for name in FOREIGN} == FOREIGN
    cold = make_site(tmp_path / "cold", {k: v for k, v in FILES.items() if k != GONE})
    assert build(cold).exit_code == 0
    assert files_under(output) - set(FOREIGN) == files_under(cold / "output")
    # The site before last is kept, in the cache, for the next build to start from.
    twin = twin_place(books_of(site, output))
    assert twin.kept
    assert twin.path.is_relative_to(site / CACHE_DIR)


@pytest.fixture
def other_mount(tmp_path: Path) -> Iterator[Path]:
    """A fresh folder on another mount than tmp_path (/dev/shm, a tmpfs)."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm: no second filesystem to build into")
    if os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("/dev/shm is on the same filesystem as the temporary folder")
    folder = shm / f"sitegen-test-{uuid.uuid4().hex}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_on_another_mount_the_site_before_is_readable_nowhere(
    tmp_path: Path, other_mount: Path
) -> None:
    site = make_site(tmp_path / "site", FILES)
    webroot = other_mount / "webroot"
    webroot.mkdir()
    output = webroot / "digest"
    first = run_sitegen(site, "build", "--output", str(output))
    assert first.exit_code == 0, first.output
    assert GONE_TITLE in home_titles(output)
    assert sorted(os.listdir(webroot)) == ["digest"]
    (output / "CNAME").write_bytes(FOREIGN["CNAME"])

    (site / GONE).unlink()
    second = run_sitegen(site, "build", "--output", str(output))
    assert second.exit_code == 0, second.output

    assert GONE_TITLE not in home_titles(output)
    assert holding(webroot, GONE_TITLE, GONE_SLUG) == []
    assert sorted(os.listdir(webroot)) == ["digest"]
    books = books_of(site, output)
    assert not twin_place(books).kept
    assert holding(books.folder, GONE_TITLE, GONE_SLUG) == []  # no twin in the cache either
    made = read_manifest(books)
    assert made is not None
    assert files_under(output) == set(made) | {"CNAME"}
    assert (output / "CNAME").read_bytes() == FOREIGN["CNAME"]
    third = run_sitegen(site, "build", "--output", str(output))  # nothing changed
    assert third.exit_code == 0, third.output
    assert sorted(os.listdir(webroot)) == ["digest"]


def test_on_another_mount_the_dev_servers_swaps_leave_nothing_behind(
    tmp_path: Path, other_mount: Path
) -> None:
    site = make_site(tmp_path / "site", FILES, "search = false\n")
    output = other_mount / "webroot" / "digest"
    config = load_config(site, {"output_dir": str(output)})
    session = BuildSession(config, BuildOptions())
    session.build(Reporter(), search_index=False)
    (output / "CNAME").write_bytes(FOREIGN["CNAME"])
    gone = site / GONE
    gone.unlink()
    result = session.build(Reporter(), [gone], search_index=False)
    assert session.full_builds == 1, "the deletion was not swapped in as a change"
    assert result.changed, result
    assert GONE_TITLE not in home_titles(output)
    assert holding(output.parent, GONE_TITLE, GONE_SLUG) == []
    assert sorted(os.listdir(output.parent)) == ["digest"]
    assert session.save()
    assert sorted(os.listdir(output.parent)) == ["digest"]
    cranes = site / "content/reports/harbour-cranes.md"
    cranes.write_text(cranes.read_text().replace("work again", "work once more"))
    session.build(Reporter(), [cranes], search_index=False)
    assert session.full_builds == 1
    assert sorted(os.listdir(output.parent)) == ["digest"]
    cold = make_site(tmp_path / "cold", {k: v for k, v in FILES.items() if k != GONE})
    (cold / "content/reports/harbour-cranes.md").write_text(cranes.read_text())
    (cold / "sitegen.toml").write_text("search = false\n")
    build_site(load_config(cold), BuildOptions(), Reporter())
    assert read_tree(output) == {**read_tree(cold / "output"), "CNAME": FOREIGN["CNAME"]}


def _lose_the_cache(site: Path) -> Path:
    shutil.rmtree(site / CACHE_DIR)
    return site


def _move_the_site(site: Path) -> Path:
    moved = site.with_name("moved")
    site.rename(moved)
    return moved


@pytest.mark.parametrize("lose_record", [_lose_the_cache, _move_the_site])
def test_without_its_record_sitegen_touches_nothing_and_says_what_to_do(
    tmp_path: Path, lose_record: Callable[[Path], Path]
) -> None:
    site = make_site(tmp_path / "site", FILES, "search = false\n")
    assert build(site).exit_code == 0
    (site / "output" / "CNAME").write_bytes(FOREIGN["CNAME"])
    site = lose_record(site)
    (site / GONE).unlink()  # its page is one sitegen would delete
    cranes = site / "content/reports/harbour-cranes.md"  # and this one it would overwrite
    cranes.write_text(cranes.read_text().replace("work again", "work once more"))
    before, paths = read_tree(tmp_path), listing(site)

    run = run_sitegen(site, "build")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert "not made by sitegen" in run.output
    assert str(site / "output") in run.output
    assert ".sitegen-cache" in run.output and "empty the folder" in run.output, run.output
    assert read_tree(tmp_path) == before
    assert listing(site) == paths

    # Doing what it says: the folder emptied, built, and the user's file put back.
    shutil.rmtree(site / "output")
    (site / "output").mkdir()
    again = run_sitegen(site, "build")
    assert again.exit_code == 0, again.output
    (site / "output" / "CNAME").write_bytes(FOREIGN["CNAME"])
    assert run_sitegen(site, "build").exit_code == 0
    assert GONE_TITLE not in home_titles(site / "output")
    assert (site / "output" / "CNAME").read_bytes() == FOREIGN["CNAME"]


def test_an_output_folder_of_an_earlier_sitegen_is_taken_over(tmp_path: Path) -> None:
    """The manifest it kept in output/, its twin and its lock beside it go into the cache or
    away: the twin beside output/ held the site before last, where output/'s parent is served."""
    site = make_site(tmp_path / "site", FILES, "search = false\n")
    assert build(site).exit_code == 0
    output = site / "output"
    made = read_manifest(books_of(site))
    assert made is not None
    shutil.rmtree(site / CACHE_DIR)
    lines = [f"{entry.digest}\t{entry.size}\t{path}" for path, entry in sorted(made.items())]
    manifest = "\n".join(["sitegen-manifest 2", *lines]) + "\n"
    (output / ".sitegen-manifest").write_text(manifest, encoding="utf-8")
    (output / "CNAME").write_bytes(FOREIGN["CNAME"])
    old_twin = site / ".output.back-sitegen"
    shutil.copytree(output, old_twin, ignore=shutil.ignore_patterns("CNAME"))
    (old_twin / "notes.txt").write_text("mine\n")  # not in its manifest: goes to output/
    (site / ".output.lock-sitegen").mkdir()
    (site / GONE).unlink()

    run = run_sitegen(site, "build")
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".output")) == []
    assert not (output / ".sitegen-manifest").exists()
    assert GONE_TITLE not in home_titles(output)
    assert holding(output, GONE_TITLE, GONE_SLUG) == []
    assert (output / "CNAME").read_bytes() == FOREIGN["CNAME"]
    assert (output / "notes.txt").read_text() == "mine\n"


class Stopped(BaseException):
    """Stands for the process being killed at that point."""


@pytest.mark.parametrize("swapped", [False, True], ids=["before the swap", "after the swap"])
def test_a_build_stopped_at_the_swap_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swapped: bool
) -> None:
    site = make_site(tmp_path / "site", FILES, "search = false\n")
    config = load_config(site)
    build_site(config, BuildOptions(), Reporter())
    output = site / "output"
    for name, content in FOREIGN.items():
        (output / name).write_bytes(content)
    (site / GONE).unlink()
    exchange = sitegen.output._exchange

    def stopped(*args: Any) -> bool:
        if swapped:
            exchange(*args)
        raise Stopped

    monkeypatch.setattr(sitegen.output, "_exchange", stopped)
    with pytest.raises(Stopped):
        build_site(config, BuildOptions(), Reporter())
    monkeypatch.setattr(sitegen.output, "_exchange", exchange)
    assert (GONE_TITLE in home_titles(output)) is not swapped

    build_site(config, BuildOptions(), Reporter())
    assert {name: (output / name).read_bytes() for name in FOREIGN} == FOREIGN
    assert GONE_TITLE not in home_titles(output)
    cold = make_site(tmp_path / "cold", {k: v for k, v in FILES.items() if k != GONE})
    (cold / "sitegen.toml").write_text("search = false\n")
    build_site(load_config(cold), BuildOptions(), Reporter())
    assert read_tree(output) == {**read_tree(cold / "output"), **FOREIGN}
    records = sorted(books_of(site).records.iterdir())
    assert len(records) == 2  # output/'s and its twin's, and no other
    assert [r.read_text().splitlines()[1] for r in records] == ["done", "done"]


@pytest.mark.parametrize(
    "stop_at", ["before the swap", "after the swap", "emptying the site before"]
)
def test_on_another_mount_the_build_after_a_stopped_one_leaves_nothing_behind(
    tmp_path: Path, other_mount: Path, monkeypatch: pytest.MonkeyPatch, stop_at: str
) -> None:
    """Stopped before the swap, right after it (its record not yet done), or while the site
    before is being removed: the next build puts back what was moved and clears the rest."""
    site = make_site(tmp_path / "site", FILES, "search = false\n")
    webroot = other_mount / "webroot"
    output = webroot / "digest"
    config = load_config(site, {"output_dir": str(output)})
    build_site(config, BuildOptions(), Reporter())
    for name, content in FOREIGN.items():
        (output / name).write_bytes(content)
    (site / GONE).unlink()
    exchange = sitegen.output._exchange

    def stopped(*args: Any) -> bool:
        if stop_at == "after the swap":
            exchange(*args)
        raise Stopped

    def stopped_emptying(*args: Any) -> bool:
        raise Stopped

    if stop_at == "emptying the site before":
        monkeypatch.setattr(sitegen.output, "_empty_tree", stopped_emptying)
    else:
        monkeypatch.setattr(sitegen.output, "_exchange", stopped)
    with pytest.raises(Stopped):
        build_site(config, BuildOptions(), Reporter())
    monkeypatch.undo()
    assert (GONE_TITLE in home_titles(output)) is (stop_at == "before the swap")
    left = webroot / ".digest.swap-sitegen"
    assert sorted(os.listdir(webroot)) == [left.name, "digest"]
    assert left.stat().st_mode & 0o777 == 0o700  # only its owner may open it

    build_site(config, BuildOptions(), Reporter())
    assert sorted(os.listdir(webroot)) == ["digest"]
    assert holding(webroot, GONE_TITLE, GONE_SLUG) == []
    assert {name: (output / name).read_bytes() for name in FOREIGN} == FOREIGN
    made = read_manifest(books_of(site, output))
    assert made is not None
    assert files_under(output) == set(made) | set(FOREIGN)


def test_a_folder_made_where_output_was_is_not_taken_for_it(tmp_path: Path) -> None:
    """Deleted and made again by hand, output/ often gets the same inode number (ext4 hands
    a freed one out again): the record of the folder that was there must not claim it."""
    site = make_site(tmp_path / "site", FILES, "search = false\n")
    assert build(site).exit_code == 0
    output = site / "output"
    inode = output.stat().st_ino
    records = {p.name for p in books_of(site).records.iterdir()}
    shutil.rmtree(output)
    output.mkdir()
    (output / "index.html").write_text("<p>my own page</p>\n")
    (output / "reports").mkdir()
    before = read_tree(output)
    assert {p.name for p in books_of(site).records.iterdir()} == records  # still there
    run = run_sitegen(site, "build")
    assert run.exit_code == 1, (run.output, inode == output.stat().st_ino)
    assert "not made by sitegen" in run.output
    assert read_tree(output) == before
