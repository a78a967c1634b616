"""Build the site model from validated reports: languages, taxonomies, timeline, translations.

Pure functions; problems are returned as diagnostics.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from sitegen.config import BuildOptions, SiteConfig
from sitegen.diagnostics import Diagnostic, Level
from sitegen.errors import SourceLocation
from sitegen.model import (
    LanguageSite,
    PartialDate,
    Report,
    Site,
    Taxonomy,
    Term,
    TimelineMonth,
    TimelineYear,
    TranslationGroup,
)
from sitegen.urls import fill_pattern, fold_term, language_prefix, slugify_text
from sitegen.vocabulary import EMPTY_VOCABULARY, Vocabulary, VocabularyTerm


@dataclass(frozen=True, slots=True)
class SiteResult:
    """The site model and what was found while building it."""

    site: Site
    diagnostics: tuple[Diagnostic, ...]


def newest_first(reports: Iterable[Report]) -> tuple[Report, ...]:
    """Reports by date, newest first.

    Their URLs break ties, so the order never depends on the folders the files sit in or
    the order they are read in.
    """
    by_url = sorted(reports, key=lambda r: (r.url, r.key))
    return tuple(sorted(by_url, key=lambda r: r.date, reverse=True))


def _comes_before(first: Report, second: Report) -> bool:
    """Whether newest_first puts one report before another (its order, for one pair)."""
    if first.date != second.date:
        return bool(first.date > second.date)
    return (first.url, first.key) < (second.url, second.key)


def _where(report: Report, key: str = "title") -> SourceLocation:
    return SourceLocation(report.file, report.line_of(key) or 1)


def select_published(reports: Iterable[Report], options: BuildOptions) -> tuple[Report, ...]:
    """Drop drafts and reports dated in the future, unless asked for."""
    now = options.current_time()
    return tuple(
        r for r in reports if (options.drafts or not r.draft) and (options.future or r.date <= now)
    )


def group_translations(
    reports: tuple[Report, ...], config: SiteConfig
) -> tuple[dict[str, TranslationGroup], frozenset[str], list[Diagnostic]]:
    """Group versions of one report by translation key; note stale translations."""
    diagnostics: list[Diagnostic] = []
    by_key: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        by_key[report.translation_key].append(report)
    groups: dict[str, TranslationGroup] = {}
    stale: set[str] = set()
    for key in sorted(key for key, versions in by_key.items() if len(versions) > 1):
        members = sorted(by_key[key], key=lambda r: (r.url, r.key))
        by_lang: dict[str, Report] = {}
        for report in members:
            if report.lang in by_lang:
                other = by_lang[report.lang]
                diagnostics.append(
                    Diagnostic(
                        Level.ERROR,
                        f"two versions in {report.lang!r} of one report: also {other.file}",
                        _where(report, "lang"),
                        "give one of them another lang or translation_key",
                    )
                )
                continue
            by_lang[report.lang] = report
        original = by_lang.get(config.language) or min(
            by_lang.values(), key=lambda r: (r.date, r.url, r.key)
        )
        ordered = [
            original,
            *sorted((r for r in by_lang.values() if r is not original), key=lambda r: r.lang),
        ]
        group = TranslationGroup(key, tuple((r.lang, r.key) for r in ordered))
        for report in ordered:
            groups[report.key] = group
        for report in ordered[1:]:
            if report.last_changed < original.last_changed:
                stale.add(report.key)
                diagnostics.append(
                    Diagnostic(
                        Level.NOTE,
                        f"translation may be stale: {original.file} was updated "
                        f"{original.last_changed.date().isoformat()}, after this version "
                        f"({report.last_changed.date().isoformat()})",
                        _where(report, "updated" if report.updated else "date"),
                        "update the translation and set its updated: date",
                    )
                )
    return groups, frozenset(stale), diagnostics


def _display_name(spellings: Counter[str]) -> str:
    return sorted(spellings.items(), key=lambda item: (-item[1], item[0]))[0][0]


def build_taxonomy(
    name: str,
    reports: tuple[Report, ...],
    lang: str,
    config: SiteConfig,
    vocabulary: Vocabulary = EMPTY_VOCABULARY,
    *,
    only: AbstractSet[str] | None = None,
) -> tuple[Taxonomy, list[Diagnostic]]:
    """One taxonomy's terms in one language.

    Spellings that fold alike share one term, and so do a vocabulary term's names and aliases.
    With `only` (folded spellings), the terms of other spellings are left out.
    """
    diagnostics: list[Diagnostic] = []
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    members: dict[str, dict[str, None]] = defaultdict(dict)
    """Term key -> the keys of its reports, in order, once each."""
    known: dict[str, VocabularyTerm] = {}
    first_report: dict[str, Report] = {}
    looked_up: dict[str, tuple[str, VocabularyTerm | None]] = {}
    """Spelling -> (folded, vocabulary entry): the same spellings recur in many reports."""
    for report in reports:
        for written in report.terms_of(name):
            found = looked_up.get(written)
            if found is None:
                found = looked_up[written] = (fold_term(written), vocabulary.find(name, written))
            folded, entry = found
            if only is not None and folded not in only:
                continue
            key = folded
            if entry is not None:
                key = "=" + entry.slug
                known[key] = entry
            elif vocabulary.covers(name):
                nearest = vocabulary.nearest(name, written)
                diagnostics.append(
                    Diagnostic(
                        Level.WARNING,
                        f"{name} term {written!r} is not in data/terms.toml",
                        _where(report, name),
                        f"did you mean {nearest!r}?" if nearest else "add it to data/terms.toml",
                    )
                )
            spellings[key][written] += 1
            members[key][report.key] = None
            first_report.setdefault(key, report)
    prefix = language_prefix(lang, config.language)
    terms: list[Term] = []
    by_slug: dict[str, str] = {}
    for key in spellings:
        entry = known.get(key)
        display = entry.name_in(lang) if entry else _display_name(spellings[key])
        slug = entry.slug if entry else slugify_text(display)
        where = _where(first_report[key], name)
        if not slug:
            diagnostics.append(
                Diagnostic(
                    Level.ERROR,
                    f"{name} term {display!r} makes no URL",
                    where,
                    "use letters or digits in the term",
                )
            )
            continue
        if slug in by_slug:
            diagnostics.append(
                Diagnostic(
                    Level.ERROR,
                    f"{name} terms {display!r} and {by_slug[slug]!r} both make the slug {slug!r}",
                    where,
                    "spell them alike, or give them slugs in data/terms.toml",
                )
            )
            continue
        by_slug[slug] = display
        url = prefix + fill_pattern(config.permalinks.term, taxonomy=name, slug=slug)
        folded_spellings = tuple(sorted({fold_term(s) for s in spellings[key]}))
        terms.append(
            Term(
                name,
                key,
                display,
                slug,
                lang,
                url,
                tuple(members[key]),
                folded_spellings,
                entry.description if entry else "",
                entry.homepage if entry else "",
                entry.lang if entry else "",
            )
        )
    terms.sort(key=lambda t: (fold_term(t.name), t.slug))
    return Taxonomy(name, lang, f"{prefix}/{name}/", tuple(terms)), diagnostics


def _ranked(group: Iterable[Report]) -> tuple[str, ...]:
    """Keys newest first, by event day within a month; partial dates after full ones."""
    by_date = newest_first(group)
    ranked = sorted(by_date, key=lambda r: (r.event_date.day is None, -(r.event_date.day or 0)))
    return tuple(r.key for r in ranked)


def _timeline_year(year: int, reports: Iterable[Report], base_url: str) -> TimelineYear:
    months: dict[int, list[Report]] = defaultdict(list)
    year_only: list[Report] = []
    for report in reports:
        if report.event_date.month is None:
            year_only.append(report)
        else:
            months[report.event_date.month].append(report)
    return TimelineYear(
        year,
        f"{base_url}{year}/",
        tuple(TimelineMonth(year, m, _ranked(months[m])) for m in sorted(months, reverse=True)),
        _ranked(year_only),
    )


def build_timeline(reports: tuple[Report, ...], base_url: str) -> tuple[TimelineYear, ...]:
    """Years and months by event date, newest first; partial dates after full ones."""
    years: dict[int, list[Report]] = defaultdict(list)
    for report in reports:
        years[report.event_date.year].append(report)
    return tuple(
        _timeline_year(year, years[year], base_url) for year in sorted(years, reverse=True)
    )


def _updated_timeline(
    timeline: tuple[TimelineYear, ...],
    lang: str,
    reports: Mapping[str, Report],
    before: Mapping[str, Report],
    changed: AbstractSet[str],
    base_url: str,
) -> tuple[TimelineYear, ...]:
    """A timeline made before, with the years that changed reports left or joined made again.

    The timeline is `lang`'s; `reports` holds (at least) its reports now, by key, and
    `before` the `changed` ones as they were.
    """
    old = [r for key in changed if (r := before.get(key)) is not None and r.lang == lang]
    new = [r for key in changed if (r := reports.get(key)) is not None and r.lang == lang]
    years = {report.event_date.year for report in (*old, *new)}
    gone = {report.key for report in old}
    kept = [year for year in timeline if year.year not in years]
    by_year = {year.year: year for year in timeline}
    for year in years:
        held = by_year[year].report_keys if year in by_year else ()
        members = [reports[key] for key in held if key not in gone]
        members += [report for report in new if report.event_date.year == year]
        if members:
            kept.append(_timeline_year(year, members, base_url))
    return tuple(sorted(kept, key=lambda y: y.year, reverse=True))


def _newest_first_again(
    before: Sequence[str], reports: Mapping[str, Report], moved: AbstractSet[str]
) -> tuple[str, ...]:
    """newest_first of the same reports as `before`, after the `moved` ones changed, as keys.

    `reports` holds them now, by key.
    """
    ordered = [key for key in before if key not in moved]
    for key in sorted(moved & reports.keys()):
        report = reports[key]
        low, high = 0, len(ordered)
        while low < high:
            middle = (low + high) // 2
            if _comes_before(reports[ordered[middle]], report):
                low = middle + 1
            else:
                high = middle
        ordered.insert(low, key)
    return tuple(ordered)


def check_report_urls(reports: tuple[Report, ...]) -> list[Diagnostic]:
    """Two reports on one URL is an error naming both files."""
    diagnostics: list[Diagnostic] = []
    seen: dict[str, Report] = {}
    for report in sorted(reports, key=lambda r: r.key):
        other = seen.get(report.url)
        if other is None:
            seen[report.url] = report
            continue
        diagnostics.append(
            Diagnostic(
                Level.ERROR,
                f"{report.url} is also the URL of {other.file}",
                _where(report, "slug"),
                "give one of them another slug:",
            )
        )
    return diagnostics


def _updated_taxonomy(
    taxonomy: Taxonomy,
    after: Mapping[str, Report],
    before: Site,
    changed: AbstractSet[str],
    config: SiteConfig,
) -> Taxonomy | None:
    """A taxonomy made before, brought up to date after the `changed` reports changed.

    `after` holds every report of the taxonomy's language now, by key. The terms the
    changed reports took or dropped are made again from the reports that hold them; each
    other term holding a changed report has it put in its place again. None where that is
    not known to give what build_taxonomy would (a changed report came, went or changed
    language, or a term now clashes or makes no URL): make it whole then.
    """
    name, lang = taxonomy.name, taxonomy.lang
    retermed: list[str] = []
    for key in changed:
        old, new = before.reports.get(key), after.get(key)
        if new is None and (old is None or old.lang != lang):
            continue  # not in this language, before or after
        if old is None or new is None or old.lang != new.lang:
            return None
        if old.terms_of(name) != new.terms_of(name):
            retermed.append(key)
    old_terms = {term.key: term for term in taxonomy.terms}
    touched = {
        fold_term(written)
        for key in retermed
        for report in (before.reports[key], after[key])
        for written in report.terms_of(name)
    }
    terms: list[Term] = []
    changed_keys = frozenset(changed)
    for term in taxonomy.terms:
        if term.key in touched:
            continue
        held = changed_keys.intersection(term.report_keys)
        if held:
            keys = _newest_first_again(term.report_keys, after, held)
            term = dataclasses.replace(term, report_keys=keys)
        terms.append(term)
    if touched:
        holders = set(retermed)
        for key in touched:
            if key in old_terms:
                holders.update(old_terms[key].report_keys)
        holding = newest_first(after[k] for k in holders)
        remade, problems = build_taxonomy(name, holding, lang, config, only=touched)
        if problems:
            return None
        terms.extend(remade.terms)
    slugs = [term.slug for term in terms]
    if len(set(slugs)) != len(slugs):
        return None
    terms.sort(key=lambda t: (fold_term(t.name), t.slug))
    return dataclasses.replace(taxonomy, terms=tuple(terms))


def _same_urls(before: Site, after: Mapping[str, Report], changed: AbstractSet[str]) -> bool:
    """Whether the same reports are published as before, each at its URL of before."""
    if len(after) != len(before.reports) or not after.keys() >= before.reports.keys():
        return False
    return all(before.reports[key].url == after[key].url for key in changed if key in after)


def build_site(
    reports: tuple[Report, ...],
    config: SiteConfig,
    options: BuildOptions,
    vocabulary: Vocabulary = EMPTY_VOCABULARY,
    before: Site | None = None,
    changed: AbstractSet[str] = frozenset(),
) -> SiteResult:
    """The whole site model from every validated report.

    With `before` (the site as last built, with the same configuration, options and
    vocabulary) and the keys of the reports `changed` since, the languages' order,
    taxonomies and timelines are brought up to date from before where they can be: the
    same result, without going through every report again.
    """
    published = select_published(reports, options)
    by_key = {r.key: r for r in sorted(published, key=lambda r: r.key)}
    if before is not None and _same_urls(before, by_key, changed):
        diagnostics: list[Diagnostic] = []  # the reports' URLs are as before, when none clashed
    else:
        diagnostics = check_report_urls(published)
    groups, stale, translation_problems = group_translations(published, config)
    diagnostics.extend(translation_problems)
    by_lang: dict[str, list[Report]] = defaultdict(list)
    for report in published:
        by_lang[report.lang].append(report)
    if config.language not in by_lang:
        by_lang[config.language] = []
    languages: list[LanguageSite] = []
    codes = [config.language, *sorted(lang for lang in by_lang if lang != config.language)]
    languages_before = {e.lang: e for e in before.languages} if before is not None else {}
    for lang in codes:
        in_language = {r.key: r for r in by_lang[lang]}
        # The language as built before, where it holds the same reports (in another order).
        earlier = languages_before.get(lang)
        if earlier is not None and (
            len(earlier.report_keys) != len(in_language)
            or not in_language.keys() >= set(earlier.report_keys)
        ):
            earlier = None
        if earlier is not None:
            keys = _newest_first_again(earlier.report_keys, in_language, changed)
            ordered = tuple(map(in_language.__getitem__, keys))
        else:
            ordered = newest_first(by_lang[lang])
            keys = tuple(r.key for r in ordered)
        taxonomies: list[Taxonomy] = []
        for at, name in enumerate(config.term_taxonomies):
            if (
                before is not None
                and earlier is not None
                and not vocabulary.covers(name)
                and at < len(earlier.taxonomies)
                and earlier.taxonomies[at].name == name
            ):
                taxonomy_before = earlier.taxonomies[at]
                updated = _updated_taxonomy(taxonomy_before, in_language, before, changed, config)
                if updated is not None:
                    taxonomies.append(updated)
                    continue
            taxonomy, problems = build_taxonomy(name, ordered, lang, config, vocabulary)
            taxonomies.append(taxonomy)
            diagnostics.extend(problems)
        prefix = language_prefix(lang, config.language)
        timeline_url = prefix + config.permalinks.timeline
        if before is not None and earlier is not None:
            timeline = _updated_timeline(
                earlier.timeline, lang, in_language, before.reports, changed, timeline_url
            )
        else:
            timeline = build_timeline(ordered, timeline_url)
        languages.append(
            LanguageSite(
                lang,
                prefix,
                keys,
                tuple(taxonomies),
                timeline,
                timeline_url,
                _corrected(keys, in_language),
            )
        )
    related = relate_reports(languages, by_key, groups, config, before, changed)
    site = Site(
        reports=by_key,
        languages=tuple(languages),
        translations=groups,
        stale_translations=stale,
        related=related,
    )
    return SiteResult(site, tuple(diagnostics))


def update_site(
    before: Site,
    changed: Mapping[str, Report | None],
    config: SiteConfig,
    options: BuildOptions,
    vocabulary: Vocabulary = EMPTY_VOCABULARY,
) -> Site | None:
    """The site after the `changed` reports (by key; None: gone) changed in place.

    In place: each was on the site and still is, at its URL, in its language, and in no
    group of translations, before or after. Every problem build_site would find then is
    one it found before. None where they did not change in place, a taxonomy is the
    vocabulary's, or a term now clashes or makes no URL: build the site whole then.
    `before` must be the site as built with the same configuration, options and
    vocabulary, from reports that were published then as they are now.
    """
    if any(vocabulary.covers(name) for name in config.term_taxonomies):
        return None
    reports = dict(before.reports)
    for key, report in changed.items():
        old = before.reports.get(key)
        if (
            report is None
            or old is None
            or not select_published((report,), options)
            or (report.url, report.lang, report.translation_key)
            != (old.url, old.lang, old.translation_key)
            or key in before.translations
        ):
            return None
        reports[key] = report
    languages: list[LanguageSite] = []
    for language in before.languages:
        moved = frozenset(key for key in changed if reports[key].lang == language.lang)
        if not moved:
            languages.append(language)
            continue
        taxonomies: list[Taxonomy] = []
        for taxonomy in language.taxonomies:
            updated = _updated_taxonomy(taxonomy, reports, before, moved, config)
            if updated is None:
                return None
            taxonomies.append(updated)
        timeline = _updated_timeline(
            language.timeline, language.lang, reports, before.reports, moved, language.timeline_url
        )
        keys = _newest_first_again(language.report_keys, reports, moved)
        languages.append(
            dataclasses.replace(
                language,
                report_keys=keys,
                taxonomies=tuple(taxonomies),
                timeline=timeline,
                corrected=_corrected(keys, reports),
            )
        )
    related = relate_reports(
        languages, reports, before.translations, config, before, changed.keys()
    )
    return dataclasses.replace(before, reports=reports, languages=tuple(languages), related=related)


def _corrected(keys: Sequence[str], reports: Mapping[str, Report]) -> tuple[str, ...]:
    """Of these reports (newest first), those with corrections, newest correction first."""
    held = [key for key in keys if reports[key].corrections]
    return tuple(sorted(held, key=lambda key: reports[key].corrections[-1].date, reverse=True))


RELATED_WEIGHTS = {"places": 2}
"""What one shared term of a taxonomy weighs in the related reports' ranking; a term of any
other configured taxonomy (tags) weighs 1. Source outlets do not count."""


def _day_number(date: PartialDate) -> int:
    """A partial date as a day's ordinal (its first day, where only a month or year is known)."""
    return dt.date(date.year, date.month or 1, date.day or 1).toordinal()


def _holders(
    languages: Iterable[LanguageSite], config: SiteConfig
) -> dict[str, list[tuple[int, Term]]]:
    """Report key -> (weight, term) for every ranked term that holds it."""
    found: dict[str, list[tuple[int, Term]]] = defaultdict(list)
    for language in languages:
        for taxonomy in language.taxonomies:
            if taxonomy.name not in config.taxonomies:
                continue
            weight = RELATED_WEIGHTS.get(taxonomy.name, 1)
            for term in taxonomy.terms:
                for key in term.report_keys:
                    found[key].append((weight, term))
    return found


def _related_to(
    key: str,
    holders: Mapping[str, list[tuple[int, Term]]],
    days: Mapping[str, int],
    order: Mapping[str, int],
    translations: Mapping[str, TranslationGroup],
    count: int,
) -> tuple[str, ...]:
    """The reports most related to one: most shared weight, then nearest event date."""
    scores: Counter[str] = Counter()
    for weight, term in holders.get(key, ()):
        for _ in range(weight):
            scores.update(term.report_keys)  # counted in C: terms may hold thousands
    group = translations.get(key)
    for own in (member for _, member in group.members) if group else (key,):
        scores.pop(own, None)
    scores.pop(key, None)
    day = days[key]
    ranked: list[str] = []
    # Score by score, highest first (sorted in C); only the last score needed is ranked by
    # date, and only as far as the list still has room.
    by_score = itertools.groupby(scores.most_common(), key=operator.itemgetter(1))
    for _, tied in by_score:
        members = [other for other, _ in tied]
        room = count - len(ranked)
        if len(members) > 1:
            members = heapq.nsmallest(
                room, members, key=lambda other: (abs(days[other] - day), order[other])
            )
        ranked += members[:room]
        if len(ranked) >= count:
            break
    return tuple(ranked)


def _terms_of(holders: Mapping[str, list[tuple[int, Term]]], key: str) -> dict[str, int]:
    """The ranked terms that hold a report (by address) and their weights."""
    return {term.url: weight for weight, term in holders.get(key, ())}


def _may_move(
    key: str,
    changed: AbstractSet[str],
    listed: Sequence[str],
    holders: Mapping[str, list[tuple[int, Term]]],
    config: SiteConfig,
) -> bool:
    """Whether a report's related list may change when the reports `changed` changed.

    Only their scores changed (what they share with it, their dates): so it may where one
    of them is on it, where it has room and one of them now shares something with it, or
    where it is full and one of them scores as much as its last report (ties are ranked by
    date, which may have changed).
    """
    if any(other in listed for other in changed):
        return True
    own = _terms_of(holders, key)

    def shared(other: str) -> int:
        return sum(weight for url, weight in _terms_of(holders, other).items() if url in own)

    if len(listed) < config.related:
        return any(shared(other) > 0 for other in changed)
    last = shared(listed[-1])
    return any(shared(other) >= last for other in changed)


def relate_reports(
    languages: Sequence[LanguageSite],
    reports: Mapping[str, Report],
    translations: Mapping[str, TranslationGroup],
    config: SiteConfig,
    before: Site | None = None,
    changed: AbstractSet[str] = frozenset(),
) -> dict[str, tuple[str, ...]]:
    """Each report's related reports (in its language), most related first.

    Reports rank by the weight of the places and tags they share with it (RELATED_WEIGHTS),
    then by how near their event dates are, then newest first; one sharing nothing is not
    related. With `before` (the site as last built) and the reports `changed` since, only
    the lists of the changed reports are made again, and of those sharing a term with one
    (before or after) whose list holds one of them or may now take one in (`_may_move`).
    """
    if config.related == 0:
        return {}
    holders = _holders(languages, config)
    order = {key: at for language in languages for at, key in enumerate(language.report_keys)}
    days = {key: _day_number(report.event_date) for key, report in reports.items()}
    if before is None:
        redo: AbstractSet[str] = reports.keys()
        related: dict[str, tuple[str, ...]] = {}
    else:
        old_holders = _holders(before.languages, config)
        touched = set(changed)
        for key in changed:
            for index in (holders, old_holders):
                for _, term in index.get(key, ()):
                    touched.update(term.report_keys)
        # Of the others' scores, only those of the changed reports changed: a list that
        # holds none of them, and that none of them now reaches, is as it was.
        touched = set(changed) | {
            other
            for other in touched - changed
            if _may_move(other, changed, before.related.get(other, ()), holders, config)
        }
        related = {k: v for k, v in before.related.items() if k in reports and k not in touched}
        redo = touched & reports.keys()
    for key in redo:
        found = _related_to(key, holders, days, order, translations, config.related)
        if found:
            related[key] = found
        else:
            related.pop(key, None)
    return dict(sorted(related.items()))
