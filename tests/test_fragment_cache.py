"""The themes' `{% cache %}` tag: a fragment is rendered once per key, and the page reads
exactly as it would without the tag."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from sitegen.theme import FRAGMENTS_KEPT, FragmentCache

SECTION = "<h2>{{ year.year }}</h2>{% for title in year.titles %}<p>{{ title }}</p>{% endfor %}"
PAGE = "{% for year in years %}{% cache lang, year %}" + SECTION + "{% endcache %}{% endfor %}"


@dataclass(frozen=True)
class Year:
    year: int
    titles: tuple[str, ...]


def environment(template: str, calls: list[str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"page.html": template}),
        autoescape=True,
        extensions=[FragmentCache],
    )
    env.filters["counted"] = lambda value: calls.append(value) or value
    return env


def test_a_cached_fragment_reads_as_the_uncached_one() -> None:
    years = [Year(2024, ("Floods", "<b>Harvest</b>")), Year(2023, ("Market",))]
    cached = environment(PAGE, []).get_template("page.html")
    plain = environment("{% for year in years %}" + SECTION + "{% endfor %}", [])
    context = {"years": years, "lang": "en"}
    assert cached.render(context) == plain.get_template("page.html").render(context)
    assert "&lt;b&gt;Harvest&lt;/b&gt;" in cached.render(context)


def test_a_fragment_is_rendered_once_per_key_by_value() -> None:
    calls: list[str] = []
    template = PAGE.replace("{{ title }}", "{{ title | counted }}")
    page = environment(template, calls).get_template("page.html")
    first = page.render(years=[Year(2024, ("Floods", "Harvest"))], lang="en")
    assert calls == ["Floods", "Harvest"]
    # An equal year made anew, as the next build makes it: not rendered again.
    again = page.render(years=[Year(2024, ("Floods", "Harvest"))], lang="en")
    assert again == first
    assert calls == ["Floods", "Harvest"]
    # Another value, or the same in another language: rendered.
    page.render(years=[Year(2024, ("Floods", "Harvest, later"))], lang="en")
    page.render(years=[Year(2024, ("Floods", "Harvest"))], lang="ko")
    assert calls == ["Floods", "Harvest", "Floods", "Harvest, later", "Floods", "Harvest"]


def test_an_unhashable_key_is_known_again_only_as_the_same_objects() -> None:
    calls: list[str] = []
    template = "{% cache titles %}{% for t in titles %}{{ t | counted }}{% endfor %}{% endcache %}"
    page = environment(template, calls).get_template("page.html")
    titles = ["a", "b"]
    assert page.render(titles=titles) == "ab"
    assert page.render(titles=titles) == "ab"
    assert calls == ["a", "b"]
    # An equal list made anew is not known by value: rendered again.
    assert page.render(titles=["a", "b"]) == "ab"
    assert calls == ["a", "b", "a", "b"]


def test_only_the_most_recent_fragments_are_kept() -> None:
    calls: list[str] = []
    template = "{% cache n %}{{ n | string | counted }}{% endcache %}"
    page = environment(template, calls).get_template("page.html")
    for n in range(FRAGMENTS_KEPT + 1):
        page.render(n=n)
    page.render(n=FRAGMENTS_KEPT)  # kept
    page.render(n=0)  # the oldest, dropped: rendered again
    assert calls == [str(n) for n in range(FRAGMENTS_KEPT + 1)] + ["0"]
