"""`sitegen build` starting from the build it saved: after a change to reports it redoes
only what changed (no full build), after any other change it builds in full, and where the
saved build or output/ cannot be trusted it is not used; output/ always ends as a cold
build of the same files would leave it, byte for byte."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from sitegen import changes as changes_module
from sitegen import search
from sitegen import session as session_module
from sitegen.cache import CACHE_DIR, LoadedReport, output_books
from sitegen.config import BuildOptions, SiteConfig, load_config
from sitegen.content.discover import SourceFile
from sitegen.diagnostics import BuildFailed, Reporter
from sitegen.serve import SITE_FOLDER, DevServer
from sitegen.session import BuildSession, build_from_saved
from sitegen.state import BuildResult
from sitegen.watch import ChangeSet, Rebuilder
from tests.helpers import build, make_site, parse_page, report_text, twin_of
from tests.test_edit_sequences import sequence_settings
from tests.test_incremental import (
    CONFIG,
    FullBuilds,
    cold_build,
    edit_body,
    edit_tags,
    rendered,
    site_files,
    stamps,
    tree,
    with_image_report,
    written_anew,
)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    made = make_site(tmp_path / "site", site_files(), CONFIG)
    build(made)  # cold: nothing saved
    build(made)  # a full build after an earlier one: saved whole
    assert list((made / CACHE_DIR).glob("build-*.pickle")), "no build was saved"
    return made


def build_here(site: Path, options: BuildOptions | None = None) -> tuple[BuildResult, Reporter]:
    """`sitegen build` in this process, as the command line runs it."""
    reporter = Reporter()
    result = build_from_saved(load_config(site), options or BuildOptions(), reporter, None)
    return result, reporter


def test_changes_since_the_saved_build_are_redone_and_nothing_else_is_rewritten(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = FullBuilds(monkeypatch, site)
    edit_body(site)
    build_here(site)
    after_first = stamps(site / "output")
    # The body edit is still a change since the saved build: done again, to the same bytes.
    edit_tags(site)
    build_here(site)
    assert tree(site / "output") == cold_build(site, tmp_path)
    # Report 3's page lists report 4 among its related reports, so it changed; the feed of
    # report 3's own tag (not report 4's) is made again, to the same bytes.
    body_feed = "tags/tag-0/feed.xml"
    assert stamps(site / "output")[body_feed] == after_first[body_feed], "rewritten unchanged"
    result, _ = build_here(site)
    assert result.changed == (), "a build with no change since the last one changed files"
    assert full.count == 0


def body_of_report_3(site: Path) -> str:
    """The text of report 3's page as built into output/."""
    return str(parse_page(site / "output", "/reports/report-3/").text_content())


def test_an_edit_built_then_undone_is_undone_in_output(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is back to the bytes the saved build read, but output/ holds the edit."""
    path = site / "content/reports/2024/report-3.md"
    original = path.read_bytes()
    full = FullBuilds(monkeypatch, site)
    edit_body(site)
    build_here(site)
    assert "Body of report three." in body_of_report_3(site)
    path.write_bytes(original)
    result, _ = build_here(site)
    assert "reports/report-3/index.html" in (result.changed or ())
    assert tree(site / "output") == cold_build(site, tmp_path)
    assert full.count == 0


def session_wrote_then_undone(site: Path) -> None:
    """A session that writes output/ (as `sitegen watch` does) builds an edit of report 3,
    which is undone once it has ended: output/ holds what neither the files nor the
    saved build say."""
    path = site / "content/reports/2024/report-3.md"
    original = path.read_bytes()
    session = BuildSession(load_config(site), BuildOptions())
    session.build(Reporter(), None)
    edit_body(site)
    session.build(Reporter(), [path])
    session.save()
    assert "Body of report three." in body_of_report_3(site)
    path.write_bytes(original)


def test_what_a_session_changed_in_output_is_put_back_before_the_saved_build_is_used(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_wrote_then_undone(site)
    full = FullBuilds(monkeypatch, site)
    result, _ = build_here(site)
    assert full.count == 0
    assert "reports/report-3/index.html" in (result.changed or ())
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_failed_build_puts_nothing_back(site: Path) -> None:
    session_wrote_then_undone(site)
    before = tree(site / "output")
    (site / "content/reports/2024/report-5.md").write_text("---\ntitle: [unclosed\n---\n")
    with pytest.raises(BuildFailed):
        build_here(site)
    assert tree(site / "output") == before


def test_without_copies_to_put_back_the_saved_build_is_not_used(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_wrote_then_undone(site)
    shutil.rmtree(output_books(load_config(site), site / "output").folder / "pages")
    full = FullBuilds(monkeypatch, site)
    build_here(site)
    assert full.count == 1
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_report_files_written_anew_with_the_same_bytes_are_not_loaded_again(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout (of a branch and back, say) writes files anew with the same bytes: only
    the report whose bytes changed is loaded and redone."""
    for path in sorted((site / "content").rglob("*.md")):
        written_anew(path)
    edit_body(site)
    loaded: list[str] = []
    load = changes_module.load_report_file

    def counted(source: SourceFile, config: SiteConfig) -> LoadedReport:
        loaded.append(source.key)
        return load(source, config)

    monkeypatch.setattr(changes_module, "load_report_file", counted)
    full = FullBuilds(monkeypatch, site)
    result, _ = build_here(site)
    assert loaded == ["reports/2024/report-3.md"]
    assert full.count == 0
    assert result.changed and all(
        "report-3" in path or not path.startswith("reports/") for path in result.changed
    )
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_many_changes_since_the_saved_build_save_it_again(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "REPLAY_LIMIT", 2)
    saved = next((site / CACHE_DIR).glob("build-*.pickle"))
    before = saved.stat().st_mtime_ns
    for n in range(3):
        path = site / f"content/reports/extra-{n}.md"
        path.write_text(report_text(f"Extra {n}.\n", title=f"Extra {n}", date=f"2024-02-0{n + 1}"))
    build_here(site)
    assert saved.stat().st_mtime_ns != before, "the build was not saved again"
    full = FullBuilds(monkeypatch, site)
    edit_body(site)
    build_here(site)
    assert full.count == 0
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_damaged_saved_build_is_noticed_and_not_used(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = next((site / CACHE_DIR).glob("build-*.pickle"))
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF
    saved.write_bytes(bytes(data))
    full = FullBuilds(monkeypatch, site)
    edit_body(site)
    _, reporter = build_here(site)
    assert any("damaged" in d.message for d in reporter.diagnostics), reporter.diagnostics
    assert full.count == 1
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_saved_build_for_other_options_is_not_used(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = site / "content/reports/draft.md"
    draft.write_text(report_text("Not yet.\n", title="A draft", date="2024-01-09", draft="true"))
    full = FullBuilds(monkeypatch, site)
    build_here(site, BuildOptions(drafts=True))
    assert full.count == 1
    assert (site / "output/reports/draft/index.html").is_file()
    _, reporter = build_here(site)  # and back: the build saved with drafts is not used either
    assert full.count == 2
    assert not reporter.diagnostics, "a saved build for other options is no news"
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_build_with_other_options_that_saves_nothing_forgets_the_saved_build(
    site: Path, tmp_path: Path
) -> None:
    draft = site / "content/reports/draft.md"
    draft.write_text(report_text("Not yet.\n", title="A draft", date="2024-01-09", draft="true"))
    for memo in (site / CACHE_DIR).glob("output-*.pickle"):
        memo.unlink()  # so the drafts build is a first one, and saves nothing
    build_here(site, BuildOptions(drafts=True))
    build_here(site)
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_strict_build_starts_from_the_saved_build(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = FullBuilds(monkeypatch, site)
    edit_body(site)
    build_here(site, BuildOptions(strict=True))
    assert full.count == 0
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_deleted_twin_is_noticed_and_output_is_whole(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.rmtree(twin_of(site))
    full = FullBuilds(monkeypatch, site)
    edit_body(site)
    build_here(site)
    assert full.count == 1
    assert tree(site / "output") == cold_build(site, tmp_path)
    edit_tags(site)
    build_here(site)  # and the build after it, from the saved build again, swaps a whole twin
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_hand_edited_output_file_is_made_anew(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = site / "output/reports/report-2/index.html"
    original = page.read_bytes()
    os.unlink(page)
    page.write_bytes(b"<p>edited by hand</p>")
    full = FullBuilds(monkeypatch, site)
    edit_body(site)
    build_here(site)
    assert full.count == 1
    assert page.read_bytes() == original


def test_a_file_put_into_output_by_hand_is_kept(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = site / "output/reports/report-2/notes.txt"
    mine.write_text("mine")
    full = FullBuilds(monkeypatch, site)
    edit_body(site)
    build_here(site)
    assert full.count == 1
    assert mine.read_text() == "mine"
    edit_tags(site)
    build_here(site)
    assert mine.read_text() == "mine"
    made = tree(site / "output")
    del made["reports/report-2/notes.txt"]
    assert made == cold_build(site, tmp_path)


def test_a_report_whose_date_comes_is_built_onto_the_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = site_files()
    files["content/reports/later.md"] = report_text("Later.\n", title="Later", date="2030-06-01")
    files["content/editions/2030-w23.md"] = (
        '---\ntitle: "Week 23"\ndate: 2030-06-02\npicks: [later, report-1]\n---\nThe note.\n'
    )
    site = make_site(tmp_path / "site", files, CONFIG)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1893456000")  # 2030-01-01
    build_here(site)
    build_here(site)
    assert not (site / "output/reports/later/index.html").exists()
    assert not (site / "output/editions/2030-w23/index.html").exists()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1925078400")  # 2031-01-01
    full = FullBuilds(monkeypatch, site)
    result, _ = build_here(site)
    assert not result.full, "built as though the report's file changed"
    assert (site / "output/reports/later/index.html").is_file()
    edition = parse_page(site / "output", "/editions/2030-w23/")
    picked = edition.xpath("//ol[@class='edition-reports']//h2/a")
    assert [a.text_content() for a in picked] == ["Later", "Report 1"]
    assert tree(site / "output") == cold_build(site, tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1893456000")  # the clock set back: it leaves
    result, _ = build_here(site)
    assert not result.full
    assert not (site / "output/reports/later/index.html").exists()
    assert not (site / "output/editions/2030-w23/index.html").exists()
    assert tree(site / "output") == cold_build(site, tmp_path)
    assert full.count == 0


def test_a_site_with_a_search_index_starts_from_the_saved_build_and_indexes_one_shard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SHARD_PAGES", 1)  # a shard for each year
    files = site_files()
    files["content/reports/2023/older.md"] = report_text(
        "An older report.\n", title="Older", date="2023-05-01", tags="[shared]"
    )
    site = make_site(tmp_path / "site", files, CONFIG.replace("search = false", ""))
    build(site)
    build(site)
    assert list((site / CACHE_DIR).glob("build-*.pickle")), "no build was saved"
    before = stamps(site / "output")
    full = FullBuilds(monkeypatch, site)
    edit_body(site)  # a report of 2024
    build_here(site)
    assert full.count == 0, "the saved build was not used"
    after = stamps(site / "output")
    shard_2023 = [p for p in before if p.startswith("pagefind/en/2023/")]
    shard_2024 = [p for p in before if p.startswith("pagefind/en/2024/")]
    assert shard_2023 and shard_2024
    assert all(after[p] == before[p] for p in shard_2023), "an unchanged shard was rewritten"
    assert any(after.get(p) != before[p] for p in shard_2024), "the edited shard was not redone"
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_serve_session_leaves_output_and_its_saved_build_to_sitegen_build(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = site / CACHE_DIR
    output_bookkeeping = {
        p.name: p.read_bytes() for p in cache.glob("*.pickle") if p.name.startswith("build-")
    } | {p.name: p.read_bytes() for p in cache.glob("output-*.pickle")}
    before = tree(site / "output")
    with DevServer(port=0) as server:
        rebuilder = Rebuilder(site, BuildOptions(), localise=server.localise, search_index=False)
        assert rebuilder.build().ok
        for edit, name in ((edit_body, "report-3"), (edit_tags, "report-4")):
            edit(site)
            changed = (site / f"content/reports/2024/{name}.md").resolve()
            assert rebuilder.build(ChangeSet(frozenset({changed}))).ok
        rebuilder.save()
        served = server.folder(site) / SITE_FOLDER
        assert b"Body of report three." in (served / "reports/report-3/index.html").read_bytes()
    assert tree(site / "output") == before
    # The server's memo is a file of its own; output/'s memo and saved build are untouched.
    for name, data in output_bookkeeping.items():
        assert (cache / name).read_bytes() == data, name
    memos = {p.name for p in cache.glob("output-*.pickle")}
    assert len(memos - output_bookkeeping.keys()) == 1  # the server's folder's
    full = FullBuilds(monkeypatch, site)
    build_here(site)
    assert full.count == 0, "the build after serving did not start from the saved build"
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_build_that_finds_the_cache_but_no_output_renders_only_what_changed(
    tmp_path: Path,
) -> None:
    def as_in_ci(site: Path) -> None:
        """The site's files checked out anew, the cache restored (without output/'s twin),
        output/ not."""
        shutil.rmtree(site / "output")
        shutil.rmtree(twin_of(site, site / "output"), ignore_errors=True)
        for path in sorted(site.rglob("*")):
            if path.is_file() and not path.is_relative_to(site / CACHE_DIR):
                written_anew(path)

    site = make_site(tmp_path / "site", with_image_report(site_files()), CONFIG)
    build(site)
    build(site)
    as_in_ci(site)
    assert rendered(build(site, "-v")) == 0
    assert tree(site / "output") == cold_build(site, tmp_path)
    # After an edit, it renders what a full build into the whole output/ renders.
    other = make_site(tmp_path / "other", with_image_report(site_files()), CONFIG)
    build(other)
    build(other)
    for each in (site, other):
        edit_body(each)
    for saved in (other / CACHE_DIR).glob("build-*.pickle"):
        saved.unlink()
    expected = rendered(build(other, "-v"))
    as_in_ci(site)
    assert 0 < rendered(build(site, "-v")) == expected < len(tree(site / "output")) / 4
    assert tree(site / "output") == cold_build(site, tmp_path)


def test_a_copy_changed_through_output_is_not_taken_by_a_build_without_output(
    tmp_path: Path,
) -> None:
    """The copies a build keeps for a later one that finds no output/ are hard links to
    output/'s files: a page edited in place there changes its copy too, which that later
    build must notice (it reads every copy it would take) and render the page again."""
    site = make_site(tmp_path / "site", site_files(), CONFIG)
    build(site)
    build(site)
    page = site / "output/reports/report-3/index.html"
    assert page.stat().st_nlink > 1, "output/'s page has no copy kept beside it"
    with page.open("ab") as file:  # in place: the copy changes with it
        file.write(b"<!-- edited in output/ -->")
    shutil.rmtree(site / "output")
    shutil.rmtree(twin_of(site, site / "output"), ignore_errors=True)
    assert rendered(build(site, "-v")) == 1
    assert tree(site / "output") == cold_build(site, tmp_path)


# Random sequences of edits, `sitegen build` and a `sitegen watch`-like session that writes
# output/ too: after every build, output/ is what a cold build of the files makes.

BODIES = ("Body of report {n}.", "Body of report {n}, edited.", "Another body for {n}.")
TAGS = ("[tag {m}, shared]", "[tag {m}]", "[fresh, shared]")


class SavedBuildSequences(RuleBasedStateMachine):
    """Edits (undone too), reports deleted and restored, builds from the saved state."""

    def __init__(self) -> None:
        super().__init__()
        self._temporary = tempfile.TemporaryDirectory()
        base = Path(self._temporary.name)
        self.site = make_site(base / "site", site_files(), CONFIG)
        self.scratch = base
        self.texts = {
            n: (self.site / f"content/reports/2024/report-{n}.md").read_text() for n in range(1, 7)
        }
        self.deleted: set[int] = set()
        self.session: BuildSession | None = None
        self.session_pending: set[Path] = set()
        self.log: list[str] = []
        for _ in range(2):  # cold, then a full build saved whole
            build_here(self.site)

    def teardown(self) -> None:
        self._temporary.cleanup()

    def report(self, n: int) -> Path:
        return self.site / f"content/reports/2024/report-{n}.md"

    def write(self, n: int, text: str, what: str) -> None:
        self.texts[n] = text
        if n not in self.deleted:
            self.report(n).write_text(text)
            self.session_pending.add(self.report(n))
        self.log.append(f"{what} of report {n}")

    @rule(n=st.integers(1, 6), body=st.sampled_from(BODIES))
    def edit_body(self, n: int, body: str) -> None:
        old = r"(?m)^(Body of report|Another body for) .*$"
        text = re.sub(old, body.format(n=n), self.texts[n])
        self.write(n, text, f"body := {body!r}")

    @rule(n=st.integers(1, 6), tags=st.sampled_from(TAGS))
    def edit_tags(self, n: int, tags: str) -> None:
        text = re.sub(r"(?m)^tags: .*$", "tags: " + tags.format(m=n % 3), self.texts[n])
        self.write(n, text, f"tags := {tags!r}")

    @precondition(lambda self: len(self.deleted) < 5)
    @rule(n=st.integers(1, 6))
    def delete(self, n: int) -> None:
        if n not in self.deleted:
            self.report(n).unlink()
            self.deleted.add(n)
            self.session_pending.add(self.report(n))
            self.log.append(f"delete report {n}")

    @precondition(lambda self: self.deleted)
    @rule(pick=st.integers(0, 5))
    def restore(self, pick: int) -> None:
        n = sorted(self.deleted)[pick % len(self.deleted)]
        self.deleted.discard(n)
        self.write(n, self.texts[n], "restore")

    @rule()
    def sitegen_build(self) -> None:
        build_here(self.site)
        self.log.append("sitegen build")
        self.check()

    @rule()
    def session_build(self) -> None:
        """A build of a session that writes output/, as `sitegen watch` does, and saves."""
        if self.session is None:
            self.session = BuildSession(load_config(self.site), BuildOptions())
            self.session.build(Reporter(), None)
        else:
            self.session.build(Reporter(), self.session_pending)
        self.session.save()
        self.session_pending.clear()
        self.log.append("session build")
        self.check()

    def check(self) -> None:
        history = "operations so far:\n  " + "\n  ".join(self.log)
        assert tree(self.site / "output") == cold_build(self.site, self.scratch), history


TestSavedBuildSequences = SavedBuildSequences.TestCase
TestSavedBuildSequences.settings = sequence_settings(20)
