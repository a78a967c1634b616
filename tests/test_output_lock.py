"""One sitegen at a time writes a given output folder: a `sitegen build` started while another
sitegen (`sitegen watch` rebuilding, say) writes the same folder waits its turn, so the two
never write its twin at once and readers see one site or the other, never a mix.

`sitegen serve` writes a folder of its own, not output/: it locks that folder alone, so a
`sitegen build` run while it rebuilds goes ahead, and a serve rebuild waits only for
another writer of its own folder."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import lxml.html

from sitegen.config import BuildOptions, load_config
from sitegen.diagnostics import Reporter
from sitegen.output import OutputBooks, writing
from sitegen.serve import SITE_FOLDER, DevServer
from sitegen.session import BuildSession
from sitegen.watch import ChangeSet, Rebuilder
from tests.helpers import books_of, make_site, report_text, texts

WAIT = 60.0


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    books = OutputBooks(tmp_path / "output", tmp_path / "site" / ".sitegen-cache" / "output")
    events: list[str] = []
    first_holds, first_may_go = threading.Event(), threading.Event()

    def first() -> None:
        with writing(books):
            events.append("first in")
            first_holds.set()
            first_may_go.wait(WAIT)
            events.append("first out")

    def second() -> None:
        with writing(books, waiting=lambda: events.append("second waits")):
            events.append("second in")

    holder = threading.Thread(target=first)
    holder.start()
    assert first_holds.wait(WAIT)
    waiter = threading.Thread(target=second)
    waiter.start()
    deadline = time.monotonic() + WAIT
    while "second waits" not in events and time.monotonic() < deadline:
        time.sleep(0.01)
    assert events == ["first in", "second waits"]
    first_may_go.set()
    holder.join(WAIT)
    waiter.join(WAIT)
    assert events == ["first in", "second waits", "first out", "second in"]


def test_sitegen_build_waits_while_another_sitegen_writes_the_output_folder(
    tmp_path: Path,
) -> None:
    site = make_site(
        tmp_path / "site",
        {"content/reports/a.md": report_text(title="A report", date="2024-03-01")},
    )
    output = site / "output"
    with writing(books_of(site)):
        command = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "build", "--site", str(site)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            # The build of this small site takes about a second when it need not wait.
            time.sleep(5)
            assert command.poll() is None, command.communicate()[0]
            assert not output.exists()
        except BaseException:
            command.kill()
            raise
    said, _ = command.communicate(timeout=WAIT)
    assert command.returncode == 0, said
    page = lxml.html.parse(str(output / "reports" / "a" / "index.html")).getroot()
    assert texts(page, "//h1") == ["A report"]


def test_a_rebuild_in_watch_waits_to_swap_while_another_sitegen_writes(tmp_path: Path) -> None:
    site = make_site(
        tmp_path / "site",
        {"content/reports/a.md": report_text(title="A report", date="2024-03-01")},
    )
    session = BuildSession(load_config(site), BuildOptions())
    session.build(Reporter(), search_index=False)
    report = site / "content" / "reports" / "a.md"
    report.write_text(report.read_text().replace("A report", "The report"))
    page = site / "output" / "reports" / "a" / "index.html"
    before = page.read_bytes()
    done = threading.Event()

    def rebuild() -> None:
        session.build(Reporter(), [report], search_index=False)
        done.set()

    with writing(books_of(site)):
        worker = threading.Thread(target=rebuild)
        worker.start()
        assert not done.wait(3)  # it takes well under a second when it need not wait
        assert page.read_bytes() == before
    worker.join(WAIT)
    assert done.is_set()
    assert texts(lxml.html.parse(str(page)).getroot(), "//h1") == ["The report"]


def test_sitegen_build_goes_ahead_while_sitegen_serve_writes_its_own_folder(
    tmp_path: Path,
) -> None:
    site = make_site(
        tmp_path / "site",
        {"content/reports/a.md": report_text(title="A report", date="2024-03-01")},
    )
    with DevServer(port=0) as server:
        served = server.folder(site) / SITE_FOLDER
        with writing(books_of(site, served)):  # serve, mid-rebuild, holds its lock
            said = subprocess.run(
                [sys.executable, "-m", "sitegen", "build", "--site", str(site)],
                capture_output=True, text=True, timeout=WAIT,
            )  # fmt: skip
            assert said.returncode == 0, said.stderr
    page = lxml.html.parse(str(site / "output" / "reports" / "a" / "index.html")).getroot()
    assert texts(page, "//h1") == ["A report"]
    assert not served.exists()


def test_a_rebuild_in_serve_waits_for_a_writer_of_its_folder_only(tmp_path: Path) -> None:
    site = make_site(
        tmp_path / "site",
        {"content/reports/a.md": report_text(title="A report", date="2024-03-01")},
    )
    report = site / "content" / "reports" / "a.md"
    with DevServer(port=0) as server:
        rebuilder = Rebuilder(site, BuildOptions(), localise=server.localise, search_index=False)
        assert rebuilder.build().ok
        page = server.folder(site) / SITE_FOLDER / "reports" / "a" / "index.html"
        done = threading.Event()

        def rebuild(title: str) -> None:
            report.write_text(report_text(title=title, date="2024-03-01"))
            assert rebuilder.build(ChangeSet(frozenset({report.resolve()}))).ok
            done.set()

        # output/'s lock, held by a `sitegen build` say, does not hold serve up.
        with writing(books_of(site)):
            rebuild("Not waiting")
        assert texts(lxml.html.parse(str(page)).getroot(), "//h1") == ["Not waiting"]
        # Its own folder's lock, held by another writer of that folder, does.
        before = page.read_bytes()
        done.clear()
        with writing(books_of(site, page.parents[2])):
            worker = threading.Thread(target=rebuild, args=("Waited",))
            worker.start()
            assert not done.wait(3)  # it takes well under a second when it need not wait
            assert page.read_bytes() == before
        worker.join(WAIT)
        assert done.is_set()
        assert texts(lxml.html.parse(str(page)).getroot(), "//h1") == ["Waited"]
        assert not (site / "output").exists()
