"""The site model brought up to date after report edits (what `sitegen serve` does) is the
model a fresh build of the same reports makes: languages' order, taxonomies, timelines,
translations and every problem found."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.build import build
from sitegen.config import BuildOptions, SiteConfig, load_config
from sitegen.diagnostics import Reporter
from sitegen.indexes import build_site, update_site
from sitegen.model import PartialDate, Report, Site
from sitegen.vocabulary import load_vocabulary

SAMPLE = Path(__file__).parent.parent
OPTIONS = BuildOptions()


@pytest.fixture(scope="module")
def sample() -> tuple[SiteConfig, Site]:
    """The sample digest's configuration and site model."""
    config = load_config(SAMPLE)
    result = build(config, OPTIONS, Reporter(), write=False, use_cache=False)
    # As build_site makes it: the build places the editions on the site after.
    return config, dataclasses.replace(result.site, editions={}, appearances={})


@pytest.fixture(scope="module")
def sample_problems(sample: tuple[SiteConfig, Site]) -> tuple[object, ...]:
    """What building the sample's site model found."""
    config, site = sample
    return build_site(tuple(site.reports.values()), config, OPTIONS).diagnostics


SPELLINGS = ["Markets", "markets", "MARKETS", "Trade", "rail", "Rail-", "new term", "Sinuiju"]
"""Terms to give: the sample's, other spellings of them, new ones, and one whose slug clashes."""


def edits(site: Site) -> st.SearchStrategy[list[tuple[str, str, object]]]:
    keys = sorted(site.reports)
    langs = [*sorted({r.lang for r in site.reports.values()}), "de"]
    urls = sorted({r.url for r in site.reports.values()})
    days = st.datetimes(dt.datetime(2014, 1, 1), dt.datetime(2027, 12, 31)).map(
        lambda d: d.replace(tzinfo=dt.UTC)
    )
    event = st.builds(
        PartialDate,
        st.integers(2014, 2026),
        st.one_of(st.none(), st.integers(1, 12)),
        st.none(),
    )
    terms = st.lists(st.sampled_from(SPELLINGS), max_size=3).map(tuple)
    change = st.one_of(
        st.tuples(st.just("date"), days),
        st.tuples(st.just("updated"), days),
        st.tuples(st.just("event_date"), event),
        st.tuples(st.just("tags"), terms),
        st.tuples(st.just("places"), terms),
        st.tuples(st.just("title"), st.sampled_from(["A", "Another title"])),
        st.tuples(st.just("lang"), st.sampled_from(langs)),
        st.tuples(st.just("url"), st.sampled_from([*urls, "/reports/a-new-address/"])),
        st.tuples(st.just("draft"), st.just(True)),
        st.tuples(st.just("deleted"), st.just(None)),
        st.tuples(st.just("copied"), st.just(None)),
    )
    return st.lists(st.tuples(st.sampled_from(keys), change).map(lambda e: (e[0], *e[1])))


def edited(report: Report, field: str, value: object) -> Report:
    if field in ("tags", "places"):
        terms = tuple((name, value if name == field else given) for name, given in report.terms)
        return dataclasses.replace(report, terms=terms)
    return dataclasses.replace(report, **{field: value})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_updated_site_model_is_the_fresh_one(
    sample: tuple[SiteConfig, Site], sample_problems: tuple[object, ...], data: st.DataObject
) -> None:
    config, before = sample
    vocabulary = load_vocabulary(config)
    reports = dict(before.reports)
    changed: set[str] = set()
    for key, field, value in data.draw(edits(before)):
        report = reports.get(key)
        if field == "copied":
            key = key.replace(".md", "-copy.md")
            report = report and dataclasses.replace(report, key=key, url=report.url + "copy/")
        elif field == "deleted":
            report = None
        elif report is not None:
            report = edited(report, field, value)
        if report is None:
            reports.pop(key, None)
        else:
            reports[key] = report
        changed.add(key)
    after = tuple(reports[key] for key in sorted(reports))
    fresh = build_site(after, config, OPTIONS, vocabulary)
    updated = build_site(after, config, OPTIONS, vocabulary, before, frozenset(changed))
    assert updated.diagnostics == fresh.diagnostics
    assert updated.site == fresh.site
    in_place = update_site(before, {key: reports.get(key) for key in changed}, config, OPTIONS)
    if in_place is not None:
        assert in_place == fresh.site
        assert fresh.diagnostics == sample_problems


CHANGES_IN_PLACE = {
    "date": ("date", dt.datetime(2016, 2, 29, tzinfo=dt.UTC)),
    "updated": ("updated", dt.datetime(2026, 11, 1, tzinfo=dt.UTC)),
    "event date": ("event_date", PartialDate(2015, 6, None)),
    "tags": ("tags", ("Trade", "new term")),
    "places": ("places", ()),
    "title": ("title", "Another title"),
}


@pytest.mark.parametrize("change", CHANGES_IN_PLACE.values(), ids=CHANGES_IN_PLACE.keys())
def test_a_report_changed_in_place_updates_the_model_without_building_it_whole(
    sample: tuple[SiteConfig, Site], change: tuple[str, object]
) -> None:
    config, built = sample
    # Changes in place are for sites without a vocabulary (the sample's lists its outlets).
    before = build_site(tuple(built.reports[k] for k in sorted(built.reports)), config, OPTIONS)
    before_site = before.site
    key = next(k for k in sorted(before_site.reports) if k not in before_site.translations)
    report = edited(before_site.reports[key], *change)
    reports = {**before_site.reports, key: report}
    fresh = build_site(tuple(reports[k] for k in sorted(reports)), config, OPTIONS)
    assert update_site(before_site, {key: report}, config, OPTIONS) == fresh.site


def test_a_translated_report_changed_needs_the_model_built_whole(
    sample: tuple[SiteConfig, Site],
) -> None:
    config, before = sample
    key = next(k for k in sorted(before.reports) if k in before.translations)
    report = edited(before.reports[key], "date", dt.datetime(2016, 2, 29, tzinfo=dt.UTC))
    assert update_site(before, {key: report}, config, OPTIONS) is None
