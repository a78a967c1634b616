"""What each group of pages read of the site while it was planned, and what a change reaches.

The planner records the parts of the site each group of pages reads (`Dependency`). After
reports change, `changed_dependencies` compares the site before and after, part by part,
and `PageReads.reached` gives the groups that read a part that changed: those are planned
again, whatever kind of page they are. No rule here knows a kind of page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from types import MappingProxyType

from sitegen.model import Site, Term
from sitegen.render import Dependency, PageGroup
from sitegen.search import search_shards


@dataclass(frozen=True, slots=True)
class PageReads:
    """Each group's dependencies, and the groups that read each dependency."""

    reads: Mapping[PageGroup, frozenset[Dependency]]
    readers: Mapping[Dependency, frozenset[PageGroup]]

    @classmethod
    def of(cls, reads: Mapping[PageGroup, frozenset[Dependency]]) -> PageReads:
        """The index of what every group read."""
        readers: dict[Dependency, set[PageGroup]] = {}
        for group, dependencies in reads.items():
            for dependency in dependencies:
                readers.setdefault(dependency, set()).add(group)
        return cls(
            MappingProxyType(dict(reads)),
            MappingProxyType({d: frozenset(groups) for d, groups in readers.items()}),
        )

    def updated(
        self, planned: Mapping[PageGroup, frozenset[Dependency]], gone: Iterable[PageGroup]
    ) -> PageReads:
        """After some groups were planned again (reading `planned`) and others went.

        Only what a group reads differently from before is indexed again: a list that
        read every report reads the same reports after most edits.
        """
        reads = dict(self.reads)
        readers = dict(self.readers)
        touched: dict[Dependency, set[PageGroup]] = {}

        def groups_reading(dependency: Dependency) -> set[PageGroup]:
            found = touched.get(dependency)
            if found is None:
                found = touched[dependency] = set(readers.get(dependency, ()))
            return found

        for group in gone:
            for dependency in reads.pop(group, ()):
                groups_reading(dependency).discard(group)
        for group, dependencies in planned.items():
            before = reads.get(group, frozenset())
            reads[group] = dependencies
            if before == dependencies:
                continue
            for dependency in before - dependencies:
                groups_reading(dependency).discard(group)
            for dependency in dependencies - before:
                groups_reading(dependency).add(group)
        for dependency, groups in touched.items():
            if groups:
                readers[dependency] = frozenset(groups)
            else:
                readers.pop(dependency, None)
        return PageReads(MappingProxyType(reads), MappingProxyType(readers))

    def reached(self, changed: Iterable[Dependency]) -> set[PageGroup]:
        """The groups that read any of these dependencies."""
        groups: set[PageGroup] = set()
        for dependency in changed:
            groups.update(self.readers.get(dependency, ()))
        return groups


TermPlace = tuple[str, str, str]
"""(lang, taxonomy, slug)."""


def site_terms(site: Site) -> dict[TermPlace, Term]:
    """Every term of every language, by where it is."""
    return {
        (language.lang, taxonomy.name, term.slug): term
        for language in site.languages
        for taxonomy in language.taxonomies
        for term in taxonomy.terms
    }


def changed_dependencies(
    before: Site,
    after: Site,
    reports: AbstractSet[str],
    summaries: AbstractSet[str],
    on_timeline: AbstractSet[str],
    templates: AbstractSet[str] = frozenset(),
) -> set[Dependency]:
    """The parts of the site that differ after the reports `reports` changed.

    `summaries` are the reports whose summaries differ, and `on_timeline` those whose
    timeline entries may differ (both found by comparing them before and after);
    `templates` the page templates that render otherwise.
    """
    changed: set[Dependency] = {("summary", key) for key in summaries}
    changed.update(("template", name) for name in templates)
    changed.update(("body", key) for key in reports)
    old_languages = {language.lang: language for language in before.languages}
    if list(old_languages) != [language.lang for language in after.languages]:
        changed.add(("languages",))
    for language in after.languages:
        lang = language.lang
        old = old_languages.get(lang)
        if old is None:
            continue
        if old.report_keys != language.report_keys:
            changed.add(("reports", lang))
        if old.timeline != language.timeline:
            changed.add(("timeline", lang))
        if [(y.year, y.url) for y in old.timeline] != [(y.year, y.url) for y in language.timeline]:
            changed.add(("years", lang))
        if old.corrected != language.corrected:
            changed.add(("corrections", lang))
        for old_taxonomy, taxonomy in zip(old.taxonomies, language.taxonomies, strict=True):
            if old_taxonomy.terms != taxonomy.terms:
                changed.add(("terms", lang, taxonomy.name))
    for key in on_timeline:
        for site in (before, after):
            report = site.reports.get(key)
            if report is not None:
                changed.add(("timeline", report.lang))
    for key in before.related.keys() | after.related.keys():
        if before.related.get(key) != after.related.get(key):
            changed.add(("related", key))
    changed.update(("shards", lang) for lang in _shards_changed(before, after, reports))
    old_terms, terms = site_terms(before), site_terms(after)
    for place in old_terms.keys() | terms.keys():
        if old_terms.get(place) != terms.get(place):
            changed.add(("term", *place))
    if before.editions != after.editions:
        changed |= changed_editions(before, after)
    return changed


def _appearance_links(site: Site, key: str) -> list[tuple[str, str, object]]:
    editions = site.editions
    return [
        (editions[k].url, editions[k].title, editions[k].date)
        for k in site.appearances.get(key, ())
    ]


def changed_editions(before: Site, after: Site) -> set[Dependency]:
    """The parts of the site that differ where the editions differ."""
    changed: set[Dependency] = set()
    old, new = before.editions, after.editions
    for key in old.keys() | new.keys():
        if old.get(key) != new.get(key):
            changed.add(("edition", key))
            for edition in (old.get(key), new.get(key)):
                if edition is not None:
                    changed.add(("editions", edition.lang))
                    changed.add(("edition_versions", edition.translation_key))
    languages = {e.lang for e in old.values()} | {e.lang for e in new.values()}
    for lang in languages:
        if before.editions_in(lang)[:1] != after.editions_in(lang)[:1]:
            changed.add(("latest_edition", lang))
    if {e.lang for e in old.values()} != {e.lang for e in new.values()}:
        changed.add(("languages",))  # the navigation links to the archive, or no longer
    for key in before.appearances.keys() | after.appearances.keys():
        if _appearance_links(before, key) != _appearance_links(after, key):
            changed.add(("appearances", key))
    return changed


def _shards_changed(before: Site, after: Site, reports: AbstractSet[str]) -> set[str]:
    """The languages whose search shards differ after the reports `reports` changed.

    Only a report that came, went or changed language or year can change a shard's years.
    """
    langs: set[str] = set()
    for key in reports:
        was, now = before.reports.get(key), after.reports.get(key)
        if was is None or now is None or (was.lang, was.date.year) != (now.lang, now.date.year):
            langs.update(r.lang for r in (was, now) if r is not None)
    return {lang for lang in langs if search_shards(before, lang) != search_shards(after, lang)}
