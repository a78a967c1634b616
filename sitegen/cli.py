"""The `sitegen` command: parse flags, load config, call the library, print diagnostics.

The only module that prints or exits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import signal
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.text import Text

from sitegen.build import build
from sitegen.config import BuildOptions, ConfigErrors, SiteConfig, load_config
from sitegen.content.edition import parse_period, period_of
from sitegen.diagnostics import BuildFailed, Diagnostic, Level, Reporter
from sitegen.editions import edition_file_name, new_edition_text
from sitegen.errors import SitegenError
from sitegen.external import check_external_links
from sitegen.inbox.desk import InboxEntry, dismiss_items, find_entry, inbox_entries
from sitegen.inbox.store import STORE_NAME, ignore_store, open_store
from sitegen.loading import load_reports
from sitegen.newsletter import email_of, find_edition, write_email
from sitegen.publish import ignore_built_folders, write_workflow
from sitegen.serve import DevPage, DevServer
from sitegen.session import build_from_saved
from sitegen.urls import slugify_text
from sitegen.watch import BuildOutcome, ChangeSet, Rebuilder, SiteWatcher, watch_site

if TYPE_CHECKING:  # the inbox's fetching, drafts and page load httpx and feedparser: only
    # the commands that use them import them, so that the others start sooner
    from sitegen.inbox.fetch import FeedOutcome

F = TypeVar("F", bound=Callable[..., Any])
PROGRESS_THRESHOLD = 200


class Output:
    """Where the CLI prints, at the verbosity asked for."""

    def __init__(self, quiet: bool, verbose: bool) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.out = Console(highlight=False, soft_wrap=True)

    def diagnostics(self, diagnostics: tuple[Diagnostic, ...], strict: bool) -> None:
        """Print diagnostics as `path:line: level: message (hint)`; warnings unless quiet."""
        for diagnostic in diagnostics:
            error = diagnostic.level is Level.ERROR or (
                strict and diagnostic.level is Level.WARNING
            )
            if not error and self.quiet:
                continue
            level = "error" if error else diagnostic.level.value
            style = {"error": "bold red", "warning": "yellow", "note": "cyan"}[level]
            text = Text()
            if diagnostic.location is not None:
                text.append(f"{diagnostic.location}: ", style="bold")
            text.append(level, style=style)
            text.append(f": {diagnostic.message}")
            if diagnostic.hint:
                text.append(f" ({diagnostic.hint})", style="dim")
            self.err.print(text)

    def info(self, message: str) -> None:
        """Print a summary line, unless quiet."""
        if not self.quiet:
            self.err.print(Text(message))

    def detail(self, message: str) -> None:
        """Print a line only when verbose."""
        if self.verbose and not self.quiet:
            self.err.print(Text(message, style="dim"))

    @contextmanager
    def progress(self) -> Iterator[Callable[[str, int, int], None] | None]:
        """A progress callback for long stages, shown only on a terminal."""
        if self.quiet or not self.err.is_terminal:
            yield None
            return
        bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=self.err, transient=True,
        )  # fmt: skip
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if total < PROGRESS_THRESHOLD:
                return
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        with bar:
            yield update


def common_options(command: F) -> F:
    """--site, --quiet and --verbose, on every command."""

    @click.option(
        "--site", "site", type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=Path("."), show_default=True, help="The site's folder.",
    )  # fmt: skip
    @click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
    @click.option("--verbose", "-v", is_flag=True, help="Print more about each stage.")
    @functools.wraps(command)
    def wrapper(*args: Any, site: Path, quiet: bool, verbose: bool, **kwargs: Any) -> Any:
        return command(*args, site=site, output=Output(quiet, verbose), **kwargs)

    return wrapper  # type: ignore[return-value]


def _config_or_exit(site: Path, output: Output, overrides: dict[str, Any]) -> SiteConfig:
    try:
        return load_config(site, overrides)
    except ConfigErrors as errors:
        for error in errors.errors:
            output.diagnostics(
                (Diagnostic(Level.ERROR, error.message, error.location, error.hint),), False
            )
        raise SystemExit(1) from None
    except SitegenError as error:
        output.diagnostics(
            (Diagnostic(Level.ERROR, error.message, error.location, error.hint),), False
        )
        raise SystemExit(1) from None


def _run_build(
    config: SiteConfig,
    options: BuildOptions,
    output: Output,
    *,
    write: bool,
    out_dir: Path | None,
    external: bool = False,
) -> int:
    reporter = Reporter(strict=options.strict)
    started = time.perf_counter()
    try:
        with output.progress() as progress:
            if write and out_dir is None:
                result = build_from_saved(config, options, reporter, progress)
            else:
                result = build(
                    config,
                    options,
                    reporter,
                    write=write,
                    output=out_dir,
                    progress=progress,
                    check_pages=not write,
                )
        if external:
            output.info("asking every source and translation URL (answers cached for a week)")
            reporter.extend(check_external_links(result.site.reports.values(), config.root))
            if reporter.has_errors():
                raise BuildFailed(reporter.errors)
    except BuildFailed:
        output.diagnostics(reporter.diagnostics, options.strict)
        count = len(reporter.errors)
        output.err.print(
            Text(f"failed: {count} error{'s' if count != 1 else ''}", style="bold red")
        )
        return 1
    except SitegenError as error:
        output.diagnostics(reporter.diagnostics, options.strict)
        output.diagnostics(
            (Diagnostic(Level.ERROR, error.message, error.location, error.hint),), False
        )
        return 1
    except KeyboardInterrupt:
        output.err.print(Text("interrupted; the previous output is unchanged", style="yellow"))
        return 130
    output.diagnostics(reporter.diagnostics, options.strict)
    elapsed = time.perf_counter() - started
    reports = len(result.site.reports)
    if write:
        output.info(
            f"built {reports} reports, {result.pages} pages ({result.rendered} rendered) "
            f"into {result.output} in {elapsed:.2f} s"
        )
    else:
        output.info(
            f"checked {reports} reports and {result.pages} pages in {elapsed:.2f} s: no errors"
        )
    return 0


@click.group()
@click.version_option(package_name="sitegen")
def main() -> None:
    """sitegen: build a digest of reports into a static site."""


@main.command("build")
@common_options
@click.option("--drafts", is_flag=True, help="Include reports with draft: true.")
@click.option("--future", is_flag=True, help="Include reports dated in the future.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--output", "out_dir", type=click.Path(path_type=Path), help="Build into DIR.")
@click.option("--base-url", help="Override base_url, e.g. https://example.org/digest/.")
def build_command(
    site: Path, output: Output, drafts: bool, future: bool, strict: bool,
    out_dir: Path | None, base_url: str | None,
) -> None:  # fmt: skip
    """Build the site into output/."""
    config = _config_or_exit(site, output, {"base_url": base_url} if base_url else {})
    options = BuildOptions(drafts=drafts, future=future, strict=strict)
    out = out_dir.absolute() if out_dir else None
    raise SystemExit(_run_build(config, options, output, write=True, out_dir=out))


@main.command("check")
@common_options
@click.option("--drafts", is_flag=True, help="Include reports with draft: true.")
@click.option("--future", is_flag=True, help="Include reports dated in the future.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--external", is_flag=True, help="Also ask every source and translation URL.")
def check_command(
    site: Path, output: Output, drafts: bool, future: bool, strict: bool, external: bool
) -> None:
    """Validate content, front matter, templates, links and anchors without writing."""
    config = _config_or_exit(site, output, {})
    options = BuildOptions(drafts=drafts, future=future, strict=strict)
    raise SystemExit(
        _run_build(config, options, output, write=False, out_dir=None, external=external)
    )


NEW_REPORT = """---
title: {title}
date: {date}
{author_line}
# summary: One or two sentences, used in lists, feeds and social cards.
tags: []
places: []
# event_date: {year}        # when it happened: a year, 2024-03 or 2024-03-05
# image:
#   src: photo.jpg          # beside this file, or under static/
#   alt: What the photo shows
#   caption: A sentence under the photo.
#   credit: Photo provided by a contributor
# source:
#   name: The outlet
#   url: https://example.org/news/12345
#   lang: ko
# translations:
#   - lang: ko
#     url: https://example.org/ko/news/12345
draft: true
---
Write the report here.
"""


def _yaml_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@main.command("new")
@common_options
@click.argument("title")
@click.option("--section", default="reports", show_default=True, help="The section folder.")
@click.option("--author", default="", help="The byline.")
def new_command(site: Path, output: Output, title: str, section: str, author: str) -> None:
    """Write a new draft report with today's date and every field to fill in."""
    config = _config_or_exit(site, output, {})
    slug = slugify_text(title)
    if not title.strip() or not slug:
        output.err.print(
            Text("error: the title makes no file name; use letters or digits", style="bold red")
        )
        raise SystemExit(1)
    if slugify_text(section) != section:
        output.err.print(
            Text(f"error: section {section!r} must be a plain folder name", style="bold red")
        )
        raise SystemExit(1)
    today = dt.datetime.now(config.zone).date()
    path = config.content_path / section / str(today.year) / f"{slug}.md"
    if path.exists():
        output.err.print(
            Text(f"error: {path} already exists; choose another title", style="bold red")
        )
        raise SystemExit(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        NEW_REPORT.format(
            title=_yaml_text(title.strip()),
            date=today.isoformat(),
            year=today.year,
            author_line=f"author: {_yaml_text(author)}" if author else "# author: A. Writer",
        ),
        encoding="utf-8",
    )
    output.out.print(Text(str(path.relative_to(config.root))))


@main.group("edition")
def edition_group() -> None:
    """Start the digest's next edition, or export one as an email."""


def _fail(output: Output, message: str) -> NoReturn:
    output.err.print(Text(f"error: {message}", style="bold red"))
    raise SystemExit(1)


@edition_group.command("new")
@common_options
@click.argument("period", required=False)
def edition_new_command(site: Path, output: Output, period: str | None) -> None:
    """Write content/editions/PERIOD.md: a draft listing the period's reports.

    PERIOD is 2024-w40 (a week), 2024-11 (a month) or 2024-11-26 (a day); the current
    period by default.
    """
    config = _config_or_exit(site, output, {})
    if period is None:
        now = BuildOptions().current_time()
        span = period_of(now, config.editions.every, config.zone)
    else:
        try:
            span = parse_period(period, config.zone)
        except ValueError as problem:
            _fail(output, str(problem))
    path = config.content_path / edition_file_name(span)
    if path.exists():
        _fail(output, f"{path.relative_to(config.root)} already exists; edit it instead")
    reporter = Reporter()
    reports = load_reports(config, reporter, save_cache=False)
    output.diagnostics(tuple(d for d in reporter.diagnostics if d.level is Level.ERROR), False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new_edition_text(reports, span, config), encoding="utf-8")
    output.out.print(Text(str(path.relative_to(config.root))))


@edition_group.command("export")
@common_options
@click.argument("slug")
@click.option("--lang", default=None, help="The edition's language (the site's by default).")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=Path("."),
    help="Write the files into DIR (the current folder by default).",
)  # fmt: skip
@click.option("--drafts", is_flag=True, help="Export a draft edition too.")
def edition_export_command(
    site: Path, output: Output, slug: str, lang: str | None, out_dir: Path, drafts: bool
) -> None:
    """Write SLUG.html, SLUG.txt and SLUG.eml: the edition as an email, ready to send."""
    config = _config_or_exit(site, output, {})
    options = BuildOptions(drafts=drafts)
    reporter = Reporter()
    try:
        result = build(config, options, reporter, write=False)
        edition = find_edition(result.site, slug, lang or config.language)
        mail = email_of(result.site, config, edition)
        written = write_email(mail, config, out_dir)
    except BuildFailed:
        output.diagnostics(reporter.diagnostics, False)
        raise SystemExit(1) from None
    except SitegenError as error:
        output.diagnostics(reporter.diagnostics, False)
        output.diagnostics(
            (Diagnostic(Level.ERROR, error.message, error.location, error.hint),), False
        )
        raise SystemExit(1) from None
    output.diagnostics(reporter.diagnostics, False)
    for path in written:
        output.out.print(Text(str(path)))


@main.command("init")
@common_options
@click.option("--force", is_flag=True, help="Replace a workflow that is already there.")
@click.option(
    "--package", default="", metavar="REQUIREMENT",
    help="Where pip finds sitegen when the repository has no pyproject.toml.",
)  # fmt: skip
def init_command(site: Path, output: Output, force: bool, package: str) -> None:
    """Write a GitHub Pages workflow (.github/workflows/) and ignore the built folders."""
    try:
        path = write_workflow(site, package=package, force=force)
    except SitegenError as error:
        output.diagnostics(
            (Diagnostic(Level.ERROR, error.message, error.location, error.hint),), False
        )
        raise SystemExit(1) from None
    output.out.print(Text(str(path)))
    added = ignore_built_folders(site)
    if added:
        output.info(f"added to .gitignore: {' '.join(added)}")
    output.info("in the repository's Settings > Pages, set Source to GitHub Actions")


class _BuildPrinter:
    """Prints what `serve` and `watch` builds come to; a warning only when it is new."""

    def __init__(self, output: Output, root: Path) -> None:
        self.output = output
        self.root = root
        self.shown: set[Diagnostic] = set()

    def building(self, changes: ChangeSet | None) -> None:
        if changes is not None and changes.paths:
            self.output.detail(f"changed: {changes.describe(self.root)}")

    def built(self, outcome: BuildOutcome) -> None:
        fresh = tuple(
            d for d in outcome.diagnostics if d.level is Level.ERROR or d not in self.shown
        )
        self.shown = set(outcome.diagnostics)
        self.output.diagnostics(fresh, False)
        if outcome.crash:
            self.output.err.print(Text(outcome.crash.rstrip(), style="red"))
        if not outcome.ok:
            count = len(outcome.errors)
            self.output.err.print(
                Text(
                    f"build failed: {count} error{'s' if count != 1 else ''}; "
                    "the last good site stays in place",
                    style="bold red",
                )
            )
            return
        result = outcome.result
        what = "indexed for search" if outcome.search_indexed and outcome.changes is None else ""
        if outcome.number == 1 and result is not None:
            what = f"built {len(result.site.reports)} reports, {result.pages} pages"
        elif not what:
            files = outcome.changed_files
            what = "rebuilt: " + (
                "many files changed"
                if files is None
                else f"{len(files)} file{'s' if len(files) != 1 else ''} changed"
            )
        self.output.info(f"{what} in {outcome.elapsed:.2f} s")


@contextmanager
def _stop_quietly(output: Output) -> Iterator[None]:
    """Ctrl-C and `kill` stop serve and watch cleanly, mid-build too, saying "stopped".

    Both raise KeyboardInterrupt here. Nothing forked from here runs this handler: a
    build's workers are born with both signals blocked and set their own, and other
    children (Pagefind, a browser) are new programs.
    """
    handling = threading.current_thread() is threading.main_thread()
    stopping = (signal.SIGINT, signal.SIGTERM) if handling else ()
    previous = {sig: signal.signal(sig, signal.default_int_handler) for sig in stopping}
    try:
        yield
    except KeyboardInterrupt:
        output.info("stopped")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch_options(command: F) -> F:
    command = click.option("--future", is_flag=True, help="Include reports dated in the future.")(
        command
    )
    return click.option("--drafts", is_flag=True, help="Include reports with draft: true.")(command)


@main.command("serve")
@common_options
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="The port to listen on (0: any free port).",
)
@click.option(
    "--bind",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on; 0.0.0.0 lets other machines in.",
)
@_watch_options
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a browser.")
def serve_command(
    site: Path, output: Output, port: int, bind: str, drafts: bool, future: bool,
    open_browser: bool,
) -> None:  # fmt: skip
    """Build, serve on this machine, rebuild on every change and reload the browser.

    The site is built into a folder of the server's own under .sitegen-cache/, never into
    output/.
    """
    with _stop_quietly(output):
        from sitegen.inbox.page import PAGE_NAME, InboxPage

        inbox = InboxPage(site.resolve(), drafts_shown=drafts)
        server = _dev_server_or_exit(bind, port, output, {PAGE_NAME: inbox})
        rebuilder = Rebuilder(
            site, BuildOptions(drafts=drafts, future=future), localise=server.localise,
            search_index=False,
        )  # fmt: skip
        printer = _BuildPrinter(output, rebuilder.root)
        built_into = rebuilder.fallback_config().output_path.relative_to(rebuilder.root)
        output.info(
            f"building into {built_into.as_posix()}/ for the server; output/ is left as it is"
        )
        with server, SiteWatcher(rebuilder.plan()) as watcher:
            with output.progress() as progress:
                first = rebuilder.build(progress=progress)
            watcher.retarget(rebuilder.plan())
            printer.built(first)
            server.built(first)
            server.start()
            output.info(f"serving {server.url} (Ctrl-C to stop)")
            output.info(f"the inbox: {server.origin}/__sitegen/{PAGE_NAME}/")
            if open_browser:
                webbrowser.open(server.url)
            watch_site(rebuilder, watcher, [printer, server])
    raise SystemExit(0)


def _dev_server_or_exit(
    bind: str, port: int, output: Output, pages: dict[str, DevPage] | None = None
) -> DevServer:
    try:
        return DevServer(bind, port, log=output.detail, on_search=_search_note(output), pages=pages)
    except OSError as error:
        output.err.print(
            Text(f"error: cannot listen on {bind}:{port}: {error.strerror or error}", "bold red")
        )
        output.info("is another server using that port? Try --port 8001, or --port 0 for any")
        raise SystemExit(1) from None


def _search_note(output: Output) -> Callable[[float, str | None], None]:
    def note(seconds: float, problem: str | None) -> None:
        if problem is None:
            output.detail(f"search index made in {seconds:.2f} s")
        else:
            output.err.print(Text(f"warning: search index not made: {problem}", "yellow"))

    return note


@main.command("watch")
@common_options
@_watch_options
def watch_command(site: Path, output: Output, drafts: bool, future: bool) -> None:
    """Build, then rebuild output/ on every change (serve it with a server of your own)."""
    with _stop_quietly(output):
        rebuilder = Rebuilder(site, BuildOptions(drafts=drafts, future=future), search_index=False)
        printer = _BuildPrinter(output, rebuilder.root)
        with SiteWatcher(rebuilder.plan()) as watcher:
            with output.progress() as progress:
                first = rebuilder.build(progress=progress)
            watcher.retarget(rebuilder.plan())
            printer.built(first)
            output.info("watching for changes (Ctrl-C to stop)")
            watch_site(rebuilder, watcher, [printer], index_when_idle=WATCH_SEARCH_IDLE)
    raise SystemExit(0)


WATCH_SEARCH_IDLE = 2.0
"""`sitegen watch` makes the search index once no file has changed for this many seconds."""


def _error_exit(output: Output, error: SitegenError) -> NoReturn:
    output.diagnostics((Diagnostic(Level.ERROR, error.message, error.location, error.hint),), False)
    raise SystemExit(1)


def _inbox_entries(config: SiteConfig) -> tuple[InboxEntry, ...]:
    if not (config.root / STORE_NAME).is_file():
        return ()
    with open_store(config.root) as store:
        return inbox_entries(config, store.items())


def _entry_json(entry: InboxEntry) -> dict[str, Any]:
    item = entry.item
    return {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "outlet": item.outlet,
        "lang": item.lang,
        "published": item.published.isoformat() if item.published else None,
        "summary": item.summary,
        "covered": entry.covered_by is not None,
        "covered_by": entry.covered_by.as_posix() if entry.covered_by else None,
        "dismissed": entry.dismissed is not None,
    }


@main.group("inbox", invoke_without_command=True)
@common_options
@click.option("--all", "show_all", is_flag=True, help="Also list covered and dismissed items.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, for scripts.")
@click.pass_context
def inbox_command(
    context: click.Context, site: Path, output: Output, show_all: bool, as_json: bool
) -> None:
    """List the outlets' items that no report covers yet, newest first."""
    if context.invoked_subcommand is not None:
        return
    config = _config_or_exit(site, output, {})
    try:
        entries = _inbox_entries(config)
    except SitegenError as error:
        _error_exit(output, error)
    shown = [entry for entry in entries if show_all or entry.is_open]
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in shown], ensure_ascii=False, indent=2))
        return
    outlets = max((len(e.item.outlet) for e in shown), default=0)
    for entry in shown:
        item = entry.item
        line = Text(f"{item.id}  {item.day(config.zone).isoformat()}  ")
        line.append(f"{item.outlet:<{outlets}}  {item.lang:<5} ", style="dim")
        line.append(item.title)
        if entry.covered_by is not None:
            line.append(f"  (covered: {entry.covered_by.as_posix()})", style="green")
        elif entry.dismissed is not None:
            reason = f": {entry.dismissed.reason}" if entry.dismissed.reason else ""
            line.append(f"  (dismissed {entry.dismissed.date.isoformat()}{reason})", style="dim")
        output.out.print(line)
    if not entries:
        output.info("no items yet: `sitegen inbox fetch` asks the feeds in sitegen.toml")
    elif not shown:
        output.info(f"nothing open of {len(entries)} items (`sitegen inbox --all` lists them)")


@inbox_command.command("fetch")
@common_options
def inbox_fetch_command(site: Path, output: Output) -> None:
    """Fetch every feed of [[inbox.feeds]] and store its items."""
    config = _config_or_exit(site, output, {})
    if not config.inbox.feeds:
        output.err.print(Text("error: no feeds to fetch", style="bold red"))
        output.info('add some to sitegen.toml: [[inbox.feeds]] name = "…" url = "…" lang = "en"')
        raise SystemExit(1)
    failed = 0
    from sitegen.inbox.fetch import fetch_feeds

    def done(outcome: FeedOutcome, count: int, total: int) -> None:
        nonlocal failed
        name = Text(f"{outcome.feed.name}: ", style="bold")
        if not outcome.ok:
            failed += 1
            output.err.print(name + Text("error", style="bold red") + Text(f": {outcome.message}"))
        else:
            output.info(f"{outcome.feed.name}: {outcome.message}")
        for note in outcome.notes:
            output.err.print(name + Text("note", style="cyan") + Text(f": {note}"))
        if bar is not None:
            bar.update(task, completed=count)

    bar: Progress | None = None
    if output.err.is_terminal and not output.quiet:
        bar = Progress(
            TextColumn("fetching feeds"), BarColumn(), MofNCompleteColumn(),
            console=output.err, transient=True,
        )  # fmt: skip
    task = bar.add_task("fetch", total=len(config.inbox.feeds)) if bar is not None else TaskID(0)
    try:
        with bar or contextlib.nullcontext(), open_store(config.root) as store:
            ignore_store(config.root)
            fetch_feeds(config, store, on_done=done)
    except SitegenError as error:
        _error_exit(output, error)
    except KeyboardInterrupt:
        output.err.print(Text("interrupted; the feeds fetched so far are stored", style="yellow"))
        raise SystemExit(130) from None
    if failed:
        total = len(config.inbox.feeds)
        output.err.print(Text(f"failed: {failed} of {total} feeds", style="bold red"))
        raise SystemExit(1)


@inbox_command.command("draft")
@common_options
@click.argument("item_id", metavar="ID")
@click.option("--section", default="reports", show_default=True, help="The section folder.")
@click.option("--text", "with_text", is_flag=True, help="Also add the article's main text.")
def inbox_draft_command(
    site: Path, output: Output, item_id: str, section: str, with_text: bool
) -> None:
    """Write a draft report for an item, its source filled in; print its path."""
    config = _config_or_exit(site, output, {})
    try:
        entry = find_entry(_inbox_entries(config), item_id)
        if entry.covered_by is not None:
            raise SitegenError(
                f"item {entry.item.id} is already covered by {entry.covered_by.as_posix()}",
                hint="edit that report, or remove its link to the item first",
            )
        from sitegen.inbox.drafts import write_draft

        draft = write_draft(config, entry.item, section=section, with_text=with_text)
    except SitegenError as error:
        _error_exit(output, error)
    for note in draft.notes:
        output.err.print(Text("warning", style="yellow") + Text(f": {note}"))
    output.out.print(Text(draft.path.relative_to(config.root).as_posix()))


@inbox_command.command("dismiss")
@common_options
@click.argument("item_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--reason", default="", help="Why the desk passes on it.")
def inbox_dismiss_command(
    site: Path, output: Output, item_ids: tuple[str, ...], reason: str
) -> None:
    """Record that the desk will not cover these items (in data/inbox-dismissed.txt)."""
    config = _config_or_exit(site, output, {})
    try:
        entries = _inbox_entries(config)
        chosen = [find_entry(entries, wanted).item for wanted in item_ids]
        today = dt.datetime.now(config.zone).date()
        added = dismiss_items(config.root, chosen, reason, today)
    except SitegenError as error:
        _error_exit(output, error)
    for item in added:
        output.info(f"dismissed {item.id}  {item.title}")
    if len(added) < len({item.key for item in chosen}):
        output.info("the others were dismissed already")
