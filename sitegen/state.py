"""What one build leaves for the next: the sources, model, plan and output, each its own object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from sitegen.cache import (
    LoadedReport,
    PageMemo,
)
from sitegen.config import BuildOptions, SiteConfig
from sitegen.deps import PageReads
from sitegen.diagnostics import Diagnostic, Reporter
from sitegen.loading import LoadedEdition, Progress
from sitegen.model import Site
from sitegen.output import (
    OutputFile,
    TreeState,
)
from sitegen.pages import (
    PlannedPage,
)
from sitegen.render import PageGroup, ReportSummary, YearView
from sitegen.search import SearchIndex
from sitegen.sitemap import Sitemap
from sitegen.theme import (
    TemplateDigests,
)
from sitegen.vocabulary import Vocabulary


@dataclass(frozen=True, slots=True)
class SiteChanges:
    """What changed since the last build, sorted at the door.

    Reports (their files loaded anew), editions, templates and the site's static files.
    """

    reports: Mapping[str, LoadedReport | None]
    """Report key -> the file as loaded now (None: deleted)."""
    bodies_only: bool
    """Whether every change is to what only a report's own page shows (its body)."""
    templates: bool = False
    """Whether a template (of the site or its theme) changed."""
    editions: Mapping[str, LoadedEdition | None] = field(default_factory=dict)
    """Edition key -> the edition file as loaded now (None: deleted)."""
    static: Mapping[str, Path | None] = field(default_factory=dict)
    """Site path of a file of the site's static folder -> the file now (None: deleted)."""

    @property
    def keys(self) -> frozenset[str]:
        """The changed reports' keys."""
        return frozenset(self.reports)


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """What a build is asked to do, beyond the site and what changed."""

    config: SiteConfig
    options: BuildOptions
    reporter: Reporter
    output: Path
    write: bool = True
    """Write output/ (else only check)."""
    progress: Progress | None = None
    check_pages: bool = False
    """Render every page and check every link and #anchor in it."""
    use_cache: bool = True
    search_index: bool = True
    keep_state: bool = False


@dataclass(frozen=True, slots=True)
class LoadedSources:
    """Every report file as loaded, by key (with its problems)."""

    reports: Mapping[str, LoadedReport]
    noted: frozenset[str]
    """The keys of the reports whose loading found something to say."""
    editions: Mapping[str, LoadedEdition] = field(default_factory=dict)
    """Every edition file as loaded, by key."""


@dataclass(frozen=True, slots=True)
class SiteModel:
    """The site model made from the reports, with what making it found to say."""

    site: Site
    diagnostics: tuple[Diagnostic, ...]
    vocabulary: Vocabulary
    edition_diagnostics: tuple[Diagnostic, ...] = ()
    """What placing the editions on the site found to say."""


@dataclass(frozen=True, slots=True)
class PagePlan:
    """Every page as planned, by group in the site's order, and what the groups read."""

    groups: Mapping[PageGroup, tuple[PlannedPage, ...]]
    reads: PageReads
    """What each group of pages read of the site while it was planned."""
    summaries: Mapping[str, ReportSummary]
    """What list pages show of each report, by key."""
    report_digests: Mapping[str, str]
    """Report key -> the digest of its page's inputs."""
    timelines: Mapping[str, tuple[YearView, ...]]
    """Each language's timeline, as its pages show it."""
    template_digests: Mapping[str, bytes]
    """Each page template's digest (with all it draws on), as the pages were rendered."""
    undigested: frozenset[PageGroup] = frozenset()
    """Groups holding pages rendered without a digest (none after a full build)."""


@dataclass(frozen=True, slots=True)
class GeneratedFiles:
    """What a build made besides pages and checked of them: feeds, sitemap, search, links."""

    feeds: tuple[str, ...]
    """The feeds' paths."""
    link_diagnostics: tuple[Diagnostic, ...]
    """What the link check found in report bodies."""
    sitemap: Sitemap | None = None
    """The sitemap as made last (None where it is not known: it is made whole then)."""
    search: SearchIndex | None = None
    """The search index's shards (None: the build made no index)."""
    static: frozenset[str] = frozenset()
    """The site paths of the files copied from the site's static folder."""


@dataclass(frozen=True, slots=True)
class OutputState:
    """What output/ and its twin hold, and the inputs' digests of the files made."""

    memo: PageMemo
    tree: TreeState
    behind: Mapping[str, OutputFile | None] = field(default_factory=dict)
    """Where output/ differs from what the state says it holds: the files that put it right
    (None: a file to remove), written with the next build's changes."""


@dataclass(frozen=True, slots=True)
class BuildState:
    """What a build knew when it ended: the next build in this process starts from it."""

    config: SiteConfig
    options: BuildOptions
    sources: LoadedSources
    model: SiteModel
    plan: PagePlan
    generated: GeneratedFiles
    output: OutputState
    environment: jinja2.Environment
    templates: TemplateDigests


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build made."""

    site: Site
    pages: int
    files: int
    output: Path | None
    rendered: int = 0
    """Pages rendered in this build (the rest were unchanged)."""
    state: BuildState | None = None
    """Where output/ was written and its twin can be trusted."""
    changed: tuple[str, ...] | None = None
    """The paths under output/ whose bytes the build changed, made or removed (None: not known)."""
    full: bool = True
    """Whether the build went through every page (else it redid what changes reached)."""


@dataclass(frozen=True, slots=True)
class PartialBuild:
    """What a partial build starts from: the state the last build left, and what changed.

    Every stage takes one, or None in a full build (where everything changed).
    """

    previous: BuildState
    changes: SiteChanges
