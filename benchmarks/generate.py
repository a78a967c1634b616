"""Write one seeded corpus of N reports as a sitegen, a Pelican and a Hugo site.

    python benchmarks/generate.py --reports 10000 --out /tmp/bench-10000

writes `/tmp/bench-10000/{sitegen,pelican,hugo}/` from the same generated data, so the
three tools build the same reports: same titles, dates, authors, summaries, tags,
places and bodies. The output depends only on `--reports` and `--seed` (no clock, no
hash order), so two runs with the same arguments give byte-identical files.

Parity choices (the three tools do not have the same features):

- sitegen: its default theme and every default (feeds, sitemap, timeline, search).
- Pelican: the bundled `simple` theme; tags are Pelican tags; a report's first place is
  its Category (Pelican allows one), served under `/places/`; Atom feeds ON (site, each
  tag, each category; 20 entries, as sitegen's `feed_entries`); author pages off (sitegen
  has none); year archives under `/timeline/<year>/`; RELATIVE_URLS off; no cache.
- Hugo: `hugo.toml` with the taxonomies `tags` and `places`, 10 per page, RSS on (20
  items), sitemap and robots.txt on, the section page off (sitegen has no `/reports/`
  list), and layouts written here: `baseof.html`, `single.html`, `list.html` (the home
  page), `taxonomy.html` (the terms of a taxonomy, "terms.html" before Hugo 0.146),
  `term.html` (one term's pages, "taxonomy.html" before 0.146) and two partials. No theme
  is downloaded. Hugo has no timeline here (sitegen's `/timeline/`, Pelican's archives).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIRST_DAY = dt.date(2015, 1, 1)
LAST_DAY = dt.date(2024, 12, 31)
"""Publication dates span these ten years (all in the past, so none waits for its date)."""

TAG_COUNT = 200
PLACE_COUNT = 50
AUTHOR_COUNT = 40
OUTLET_COUNT = 30
LANGS = ("en", "ko", "ja", "zh", "ru", "de", "fr")


def words(text: str) -> tuple[str, ...]:
    """The words of `text`, split at spaces."""
    return tuple(text.split())


NOUNS = words(
    "market price trader border truck bridge river factory worker farmer harvest rice maize "
    "potato fertiliser diesel fuel currency exchange rate bank loan school teacher student "
    "phone network film song drama police official inspector customs permit document "
    "railway station train bus road village city province county district office meeting "
    "lecture campaign order instruction rule fine penalty arrest trial court prison family "
    "household child parent wage salary ration shop stall seller buyer merchant smuggler "
    "broker agent driver fisherman boat port coast season winter spring summer autumn "
    "weather flood drought shortage supply demand shipment cargo load container crate sack "
    "kilogram ton won yuan dollar report newsletter weekly outlet source contact resident "
    "hospital doctor medicine clinic patient vaccine mine miner coal iron steel timber forest "
    "construction housing apartment building tile pipe cement brick electricity power grid "
    "generator battery solar panel radio television broadcast signal checkpoint guard soldier "
    "army unit barracks farm cooperative field crop seed tractor cattle pig chicken egg fish "
    "seafood mushroom herb textile garment wig eyelash shoe bicycle motorbike car tyre"
)

ADJECTIVES = words(
    "local regional northern southern eastern western new old small large rising falling "
    "stable sudden gradual official unofficial private public foreign domestic rural urban "
    "young elderly poor wealthy strict loose early late recent previous monthly weekly daily "
    "annual seasonal cheap expensive scarce plentiful informal formal secret open careful "
    "cautious worried hopeful main minor central provincial national military civilian "
    "illegal legal heavy light long short busy quiet"
)

VERBS = words(
    "said reported claimed noted added explained confirmed denied described suggested "
    "raised lowered increased reduced closed opened banned allowed checked inspected "
    "collected delivered bought sold carried moved sent received ordered announced "
    "warned urged asked told found watched counted recorded estimated expected blamed "
    "tightened relaxed extended stopped resumed delayed cancelled repaired built"
)

ADVERBS = words("quickly slowly sharply steadily quietly openly recently again still already")

PREPOSITIONS = words("in near across along around from to through outside inside beyond")

DETERMINERS = words("the the the a some many several most few these those")

CONNECTORS = (
    "according to",
    "as reported by",
    "in a report by",
    "citing",
)

FIRST_NAMES = words(
    "Min-ji Sora Daniel Hana Joon Yuna Peter Anna Sung-ho Mirae Tomas Elena Kenji Aiko Lena "
    "Mark Clara Ho-jin Eun-ji David Sarah Ji-woo Nadia Oleg Irina Chen Wei Mei Ravi Priya"
)

LAST_NAMES = words(
    "Park Kim Lee Cho Choi Jung Kang Yoon Han Song Smith Novak Petrova Tanaka Sato Weber "
    "Moreau Ivanov Wang Li Zhang Patel Rao Schmidt Dubois Ito Oh Shin Kwon Baek"
)

SYLLABLES = words(
    "hye san sin ui ju dan dong hoe ryong chong jin nam po kang gye won san ham hung "
    "kil chu mu san un yon hwa sun cheon pyong ok ryu kyong song rim tae an ma"
)

OUTLET_WORDS = ("Border", "River", "Northern", "Coastal", "Valley", "Frontier", "Harbour")
OUTLET_KINDS = ("Daily", "Weekly", "Monitor", "Notes", "Times", "Observer", "Review")


@dataclass(frozen=True, slots=True)
class Source:
    """The outlet a report summarises."""

    name: str
    url: str
    lang: str


@dataclass(frozen=True, slots=True)
class Translation:
    """The same report published elsewhere in another language."""

    lang: str
    url: str


@dataclass(frozen=True, slots=True)
class Report:
    """One generated report, written in each tool's format."""

    slug: str
    title: str
    date: dt.date
    author: str
    summary: str
    tags: tuple[str, ...]
    places: tuple[str, ...]
    source: Source
    translations: tuple[Translation, ...]
    event_date: str | None
    body: str


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens (the generated text is plain ASCII)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Corpus:
    """A seeded source of names, terms and English-like text."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tags = self._unique(TAG_COUNT, self._tag_name)
        self.places = self._unique(PLACE_COUNT, self._place_name)
        self.authors = self._unique(
            AUTHOR_COUNT,
            lambda: f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
        )
        self.outlets = self._unique(
            OUTLET_COUNT,
            lambda: (
                f"{self.rng.choice(OUTLET_WORDS)} {self.rng.choice(NOUNS).title()} "
                f"{self.rng.choice(OUTLET_KINDS)}"
            ),
        )
        self.outlet_langs = [self.rng.choice(LANGS) for _ in self.outlets]
        self._slugs: set[str] = set()

    def _unique(self, count: int, make: Callable[[], str]) -> list[str]:
        """`count` values with distinct slugs, drawn from `make`."""
        values: list[str] = []
        seen: set[str] = set()
        while len(values) < count:
            value = make()
            if slugify(value) not in seen:
                seen.add(slugify(value))
                values.append(value)
        return values

    def _tag_name(self) -> str:
        if self.rng.random() < 0.3:
            return self.rng.choice(NOUNS)
        return f"{self.rng.choice(NOUNS + ADJECTIVES)} {self.rng.choice(NOUNS)}"

    def _place_name(self) -> str:
        parts = self.rng.choice((2, 2, 3))
        return "".join(self.rng.choice(SYLLABLES) for _ in range(parts)).title()

    def noun_phrase(self) -> str:
        """`the rising rice price`, `some traders`, ..."""
        words = [self.rng.choice(DETERMINERS)]
        if self.rng.random() < 0.5:
            words.append(self.rng.choice(ADJECTIVES))
        if self.rng.random() < 0.3:
            words.append(self.rng.choice(NOUNS))
        noun = self.rng.choice(NOUNS)
        words.append(noun + "s" if words[0] in ("some", "many", "several", "few") else noun)
        return " ".join(words)

    def sentence(self, place: str) -> str:
        """One sentence of 8 to 30 words, ending in a full stop."""
        parts = [self.noun_phrase()]
        if self.rng.random() < 0.2:
            parts.append(self.rng.choice(ADVERBS))
        parts += [self.rng.choice(VERBS), self.noun_phrase()]
        for _ in range(self.rng.randint(0, 2)):
            target = place if self.rng.random() < 0.3 else self.noun_phrase()
            parts += [self.rng.choice(PREPOSITIONS), target]
        if self.rng.random() < 0.15:
            parts += ["by", f"about {self.rng.randint(2, 90) * 100:,}", self.rng.choice(NOUNS)]
        if self.rng.random() < 0.2:
            parts += [
                self.rng.choice(CONNECTORS),
                f"*{self.rng.choice(self.outlets)}*" if self.rng.random() < 0.5 else "a contact",
            ]
        text = " ".join(parts)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, place: str) -> str:
        """Two to six sentences."""
        return " ".join(self.sentence(place) for _ in range(self.rng.randint(2, 6)))

    def heading(self) -> str:
        """A short section heading."""
        text = " ".join([self.rng.choice(ADJECTIVES), *self.rng.sample(NOUNS, 2)])
        return text[0].upper() + text[1:]

    def link(self, number: int) -> str:
        """A Markdown link to a (made-up) outside page."""
        words = " ".join(self.rng.sample(NOUNS, 3))
        return f"[{words}](https://example.org/archive/{number}/{slugify(words)})"

    def body(self, place: str, number: int) -> str:
        """About 750 words: paragraphs, `##` headings, sometimes a list and a link."""
        target = self.rng.randint(600, 800)
        blocks: list[str] = []
        words = 0
        since_heading = 0
        has_list = self.rng.random() < 0.3
        has_link = self.rng.random() < 0.6
        while words < target:
            if since_heading >= self.rng.randint(2, 4) and words < target - 100:
                blocks.append(f"## {self.heading()}")
                since_heading = 0
            paragraph = self.paragraph(place)
            if has_link and words > target // 3:
                paragraph += f" See also {self.link(number)}."
                has_link = False
            blocks.append(paragraph)
            words += len(paragraph.split())
            since_heading += 1
            if has_list and words > target // 2:
                items = [self.noun_phrase() for _ in range(self.rng.randint(3, 5))]
                blocks.append("\n".join(f"- {item[0].upper()}{item[1:]}" for item in items))
                words += sum(len(item.split()) for item in items)
                has_list = False
        return "\n\n".join(blocks) + "\n"

    def new_slug(self, title: str) -> str:
        """The title's slug, with -2, -3... where another report has it."""
        base = slugify(title)
        slug, n = base, 1
        while slug in self._slugs:
            n += 1
            slug = f"{base}-{n}"
        self._slugs.add(slug)
        return slug

    def report(self, number: int) -> Report:
        """Report number `number` (the order matters: each draws from the same stream)."""
        rng = self.rng
        date = FIRST_DAY + dt.timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
        places = tuple(rng.sample(self.places, rng.randint(1, 2)))
        tags = tuple(rng.sample(self.tags, rng.randint(2, 5)))
        title = " ".join(
            [rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(VERBS)]
            + [rng.choice(NOUNS) for _ in range(rng.randint(1, 3))]
            + [rng.choice(PREPOSITIONS), places[0]]
        )
        title = title[0].upper() + title[1:]
        outlet = rng.randrange(len(self.outlets))
        outlet_slug = slugify(self.outlets[outlet])
        source = Source(
            self.outlets[outlet],
            f"https://example.org/{outlet_slug}/{date.year}/{number}",
            self.outlet_langs[outlet],
        )
        translations: tuple[Translation, ...] = ()
        if rng.random() < 0.25:
            langs = rng.sample([lang for lang in LANGS if lang != source.lang], rng.randint(1, 2))
            translations = tuple(
                Translation(lang, f"https://example.org/{outlet_slug}/{lang}/{number}")
                for lang in langs
            )
        event_date: str | None = None
        if rng.random() < 0.3:
            happened = date - dt.timedelta(days=rng.randint(0, 60))
            event_date = rng.choice(
                (happened.isoformat(), happened.isoformat()[:7], str(happened.year))
            )
        summary = " ".join(self.sentence(places[0]) for _ in range(rng.randint(1, 2)))
        return Report(
            slug=self.new_slug(title),
            title=title,
            date=date,
            author=rng.choice(self.authors),
            summary=summary,
            tags=tags,
            places=places,
            source=source,
            translations=translations,
            event_date=event_date,
            body=self.body(places[0], number),
        )


def q(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def yaml_front_matter(report: Report, *, with_slug: bool) -> str:
    """The YAML front matter shared by the sitegen and Hugo versions."""
    lines = ["---", f"title: {q(report.title)}"]
    if with_slug:
        lines.append(f"slug: {q(report.slug)}")
    lines += [
        f"date: {report.date.isoformat()}",
        f"author: {q(report.author)}",
        f"summary: {q(report.summary)}",
        f"tags: [{', '.join(q(t) for t in report.tags)}]",
        f"places: [{', '.join(q(p) for p in report.places)}]",
    ]
    if report.event_date is not None:
        lines.append(f"event_date: {report.event_date}")
    lines += [
        "source:",
        f"  name: {q(report.source.name)}",
        f"  url: {report.source.url}",
        f"  lang: {report.source.lang}",
    ]
    if report.translations:
        lines.append("translations:")
        for translation in report.translations:
            lines += [f"  - lang: {translation.lang}", f"    url: {translation.url}"]
    lines.append("---")
    return "\n".join(lines) + "\n"


def sitegen_file(report: Report) -> str:
    """The report in sitegen's format."""
    return yaml_front_matter(report, with_slug=False) + report.body


def hugo_file(report: Report) -> str:
    """The report in Hugo's format (the slug is explicit: Hugo's `:slug` is the title's)."""
    return yaml_front_matter(report, with_slug=True) + report.body


def pelican_file(report: Report) -> str:
    """The report with Pelican's Markdown metadata; the first place is its Category."""
    lines = [
        f"Title: {report.title}",
        f"Date: {report.date.isoformat()}",
        f"Tags: {', '.join(report.tags)}",
        f"Category: {report.places[0]}",
        f"Slug: {report.slug}",
        f"Summary: {report.summary}",
        f"Authors: {report.author}",
    ]
    return "\n".join(lines) + "\n\n" + report.body


SITEGEN_TOML = """\
title = "Benchmark Digest"
description = "A generated digest of {n} reports for benchmarking."
base_url = "https://example.org/"
language = "en"
timezone = "UTC"
per_page = 10
"""

PELICAN_CONF = """\
# Generated by benchmarks/generate.py: Pelican's settings for the benchmark corpus.
AUTHOR = "Benchmark Desk"
SITENAME = "Benchmark Digest"
SITEURL = "https://example.org"
RELATIVE_URLS = False
PATH = "content"
ARTICLE_PATHS = [""]
PAGE_PATHS = []
STATIC_PATHS = []
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
THEME = "simple"
DEFAULT_PAGINATION = 10
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
DELETE_OUTPUT_DIRECTORY = False

ARTICLE_URL = "reports/{slug}/"
ARTICLE_SAVE_AS = "reports/{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
TAGS_SAVE_AS = "tags/index.html"
CATEGORY_URL = "places/{slug}/"
CATEGORY_SAVE_AS = "places/{slug}/index.html"
CATEGORIES_SAVE_AS = "places/index.html"
ARCHIVES_SAVE_AS = "timeline/index.html"
YEAR_ARCHIVE_SAVE_AS = "timeline/{date:%Y}/index.html"
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

# Feeds on, for parity with sitegen's Atom feeds (the site's, each tag's, each place's).
FEED_DOMAIN = SITEURL
FEED_MAX_ITEMS = 20
FEED_ALL_ATOM = "feed.xml"
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = "places/{slug}/feed.xml"
CATEGORY_FEED_RSS = None
TAG_FEED_ATOM = "tags/{slug}/feed.xml"
TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
"""

HUGO_TOML = """\
baseURL = "https://example.org/"
title = "Benchmark Digest"
locale = "en"
defaultContentLanguage = "en"
enableRobotsTXT = true
disableKinds = ["section"]  # sitegen has no /reports/ list page

[pagination]
pagerSize = 10

[services.rss]
limit = 20

[taxonomies]
tag = "tags"
place = "places"

[permalinks.page]
reports = "/reports/:slug/"
"""

HUGO_LAYOUTS = {
    "baseof.html": """\
<!doctype html>
<html lang="{{ site.Language.Locale }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
<meta name="description"
  content="{{ with .Summary }}{{ . | plainify }}{{ else }}{{ site.Title }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:url" content="{{ .Permalink }}">
<meta property="og:site_name" content="{{ site.Title }}">
{{ with .OutputFormats.Get "rss" }}
<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">
{{ end }}
<style>body{max-width:42rem;margin:auto;font-family:system-ui,sans-serif;line-height:1.5}</style>
</head>
<body>
<a href="#main">Skip to content</a>
<header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a>
<nav><a href="/tags/">Tags</a> · <a href="/places/">Places</a></nav></header>
<main id="main">{{ block "main" . }}{{ end }}</main>
<footer><p>{{ site.Title }}</p></footer>
</body>
</html>
""",
    "single.html": """\
{{ define "main" }}
<article class="report">
<header>
<h1>{{ .Title }}</h1>
<p class="dateline">Published
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ with .Params.event_date }} · Happened {{ . }}{{ end }}</p>
{{ with .Params.author }}<p class="byline">By <span class="author">{{ . }}</span></p>{{ end }}
{{ with .Params.summary }}<p class="lede">{{ . }}</p>{{ end }}
</header>
<div class="report-body">
{{ .Content }}
</div>
<footer class="report-footer">
{{ with .Params.source }}
<p class="source-line">Source:
<a href="{{ .url }}" hreflang="{{ .lang }}" rel="external">{{ .name }}</a></p>
{{ end }}
{{ with .Params.translations }}
<p class="translations">Read in:
{{ range $i, $t := . }}{{ if $i }} · {{ end }}
<a href="{{ $t.url }}" hreflang="{{ $t.lang }}" lang="{{ $t.lang }}">{{ $t.lang }}</a>
{{ end }}</p>
{{ end }}
<p class="terms">Tags: {{ range $i, $t := .GetTerms "tags" }}{{ if $i }}, {{ end }}
<a href="{{ $t.RelPermalink }}">{{ $t.LinkTitle }}</a>{{ end }}</p>
<p class="terms">Places: {{ range $i, $t := .GetTerms "places" }}{{ if $i }}, {{ end }}
<a href="{{ $t.RelPermalink }}">{{ $t.LinkTitle }}</a>{{ end }}</p>
</footer>
</article>
{{ end }}
""",
    "list.html": """\
{{ define "main" }}
<h1>{{ if .IsHome }}Latest reports{{ else }}{{ .Title }}{{ end }}</h1>
{{/* Hugo's default order is newest first; sorting here again would cost every page. */}}
{{ $pager := .Paginate (cond .IsHome site.RegularPages .RegularPagesRecursive) }}
{{ partial "report_list.html" $pager.Pages }}
{{ partial "pager.html" $pager }}
{{ end }}
""",
    "taxonomy.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul class="terms">
{{ range .Data.Terms.Alphabetical }}
<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a> ({{ .Count }})</li>
{{ end }}
</ul>
{{ end }}
""",
    "term.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ $pager := .Paginate .Pages }}
{{ partial "report_list.html" $pager.Pages }}
{{ partial "pager.html" $pager }}
{{ end }}
""",
    "_partials/report_list.html": """\
<ol class="report-list">
{{ range . }}
<li><article>
<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p class="dateline">
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ with .Params.author }} · {{ . }}{{ end }}</p>
{{ with .Params.summary }}<p>{{ . }}</p>{{ end }}
</article></li>
{{ end }}
</ol>
""",
    "_partials/pager.html": """\
{{ if gt .TotalPages 1 }}
<nav class="pagination" aria-label="Pages">
{{ if .HasPrev }}<a rel="prev" href="{{ .Prev.URL }}">Newer</a>{{ end }}
<span>Page {{ .PageNumber }} of {{ .TotalPages }}</span>
{{ if .HasNext }}<a rel="next" href="{{ .Next.URL }}">Older</a>{{ end }}
</nav>
{{ end }}
""",
}


def write(path: Path, text: str) -> None:
    """Write UTF-8 text with LF line ends, making folders as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def generate(count: int, out: Path, seed: int = 1) -> list[Report]:
    """Write the three sites under `out` (replacing what is there); return the reports."""
    corpus = Corpus(seed)
    reports = [corpus.report(number) for number in range(1, count + 1)]
    for name in ("sitegen", "pelican", "hugo"):
        shutil.rmtree(out / name, ignore_errors=True)
    write(out / "sitegen" / "sitegen.toml", SITEGEN_TOML.format(n=count))
    write(out / "pelican" / "pelicanconf.py", PELICAN_CONF)
    write(out / "hugo" / "hugo.toml", HUGO_TOML)
    for name, text in HUGO_LAYOUTS.items():
        write(out / "hugo" / "layouts" / name, text)
    for report in reports:
        year = str(report.date.year)
        sitegen_path = out / "sitegen" / "content" / "reports" / year / f"{report.slug}.md"
        write(sitegen_path, sitegen_file(report))
        write(out / "pelican" / "content" / f"{report.slug}.md", pelican_file(report))
        write(out / "hugo" / "content" / "reports" / f"{report.slug}.md", hugo_file(report))
    (out / "corpus.json").write_text(
        json.dumps({"reports": count, "seed": seed}) + "\n", encoding="utf-8"
    )
    return reports


def main(argv: list[str] | None = None) -> int:
    """Command line: --reports N --out DIR [--seed S]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000, help="how many reports (1000)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the three sites")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = parser.parse_args(argv)
    if args.reports < 1:
        parser.error("--reports must be at least 1")
    reports = generate(args.reports, args.out, args.seed)
    words = sum(len(r.body.split()) for r in reports) / len(reports)
    print(f"{len(reports)} reports (about {words:.0f} words each) in {args.out}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
