"""The optional term vocabulary, data/terms.toml: each term's slug, names, description, aliases.

```toml
[places.seoul]
name = "Seoul"
names = { ko = "서울" }
description = "The capital of South Korea."
aliases = ["서울", "Seoul City"]

[sources.daily-nk]
name = "Daily NK"
homepage = "https://www.dailynk.com/english/"
lang = "en"
```

Source outlets (`[sources.<slug>]`) may also give their home page and their language.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.config import SiteConfig, is_known_language
from sitegen.errors import ConfigError, SourceLocation
from sitegen.urls import fold_term, is_valid_slug

VOCABULARY_FILE = Path("data") / "terms.toml"
_TERM_KEYS = ("name", "names", "description", "aliases")
_OUTLET_KEYS = (*_TERM_KEYS, "homepage", "lang")


@dataclass(frozen=True, slots=True)
class VocabularyTerm:
    """One known term."""

    taxonomy: str
    slug: str
    name: str
    names: Mapping[str, str] = field(default_factory=dict)
    """The term's name per language."""
    description: str = ""
    aliases: tuple[str, ...] = ()
    homepage: str = ""
    """A source outlet's home page."""
    lang: str = ""
    """The language a source outlet publishes in."""

    def name_in(self, lang: str) -> str:
        """The term's name in a language, or its default name."""
        return self.names.get(lang, self.name)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Known terms per taxonomy, found by any folded spelling of a name, alias or slug."""

    terms: Mapping[tuple[str, str], VocabularyTerm]
    """(taxonomy, folded spelling) -> term."""
    taxonomies: frozenset[str]

    def find(self, taxonomy: str, written: str) -> VocabularyTerm | None:
        """The known term a spelling stands for."""
        return self.terms.get((taxonomy, fold_term(written)))

    def covers(self, taxonomy: str) -> bool:
        """Whether the vocabulary lists terms for a taxonomy (unknown ones then warn)."""
        return taxonomy in self.taxonomies

    def nearest(self, taxonomy: str, written: str) -> str | None:
        """The known spelling closest to an unknown one."""
        spellings = [s for (tax, s) in self.terms if tax == taxonomy]
        close = difflib.get_close_matches(fold_term(written), spellings, n=1, cutoff=0.6)
        if not close:
            return None
        return self.terms[(taxonomy, close[0])].name


EMPTY_VOCABULARY = Vocabulary({}, frozenset())


def _line_of(text: str, taxonomy: str, slug: str) -> int | None:
    if not slug:
        pattern = re.compile(rf"^[ \t]*\[[ \t]*{re.escape(taxonomy)}[ \t]*[.\]]", re.M)
    else:
        name = rf"{re.escape(taxonomy)}\.\"?{re.escape(slug)}\"?"
        pattern = re.compile(rf"^[ \t]*\[[ \t]*{name}[ \t]*\]", re.M)
    match = pattern.search(text)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def load_vocabulary(config: SiteConfig) -> Vocabulary:
    """Read data/terms.toml if the site has one; every problem in it is a ConfigError."""
    path = config.root / VOCABULARY_FILE
    if not path.is_file():
        return EMPTY_VOCABULARY
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"invalid vocabulary: {error}", SourceLocation(VOCABULARY_FILE)) from None
    terms: dict[tuple[str, str], VocabularyTerm] = {}
    for taxonomy, entries in data.items():
        where = SourceLocation(VOCABULARY_FILE, _line_of(text, taxonomy, ""))
        if taxonomy not in config.term_taxonomies:
            raise ConfigError(
                f"vocabulary lists unknown taxonomy {taxonomy!r}",
                where,
                "known: " + ", ".join(config.term_taxonomies),
            )
        if not isinstance(entries, dict):
            raise ConfigError(f"[{taxonomy}] must hold tables like [{taxonomy}.slug]", where)
        for slug, entry in entries.items():
            term = _read_term(taxonomy, slug, entry, text)
            for spelling in (term.slug, term.name, *term.names.values(), *term.aliases):
                folded = fold_term(spelling)
                other = terms.get((taxonomy, folded))
                if other is not None and other.slug != term.slug:
                    raise ConfigError(
                        f"{spelling!r} names both {taxonomy}.{other.slug} and {taxonomy}.{slug}",
                        SourceLocation(VOCABULARY_FILE, _line_of(text, taxonomy, slug)),
                    )
                terms[(taxonomy, folded)] = term
    return Vocabulary(terms, frozenset(data))


def _read_term(taxonomy: str, slug: str, entry: Any, text: str) -> VocabularyTerm:
    where = SourceLocation(VOCABULARY_FILE, _line_of(text, taxonomy, slug))
    if not isinstance(entry, dict):
        raise ConfigError(f"{taxonomy}.{slug} must be a table", where)
    if not is_valid_slug(slug) or slug != slug.lower():
        raise ConfigError(f"{taxonomy}.{slug}: a slug must be lower-case letters, digits, -", where)
    allowed = _OUTLET_KEYS if taxonomy == "sources" else _TERM_KEYS
    for key in entry:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(allowed)
            raise ConfigError(f"unknown key {key!r} in {taxonomy}.{slug}", where, hint)
    name = entry.get("name", slug)
    names = entry.get("names", {})
    description = entry.get("description", "")
    aliases = entry.get("aliases", [])
    homepage = entry.get("homepage", "")
    lang = entry.get("lang", "")
    if not isinstance(homepage, str) or not re.match(r"^(https?://\S+)?$", homepage):
        raise ConfigError(f"{taxonomy}.{slug}: homepage must be an http(s) address", where)
    if not isinstance(lang, str) or (lang and not is_known_language(lang)):
        raise ConfigError(f"{taxonomy}.{slug}: lang must be a language code", where, "e.g. ko")
    if (
        not isinstance(name, str)
        or not isinstance(description, str)
        or not isinstance(names, dict)
        or not all(isinstance(v, str) for v in names.values())
        or not isinstance(aliases, list)
        or not all(isinstance(a, str) for a in aliases)
    ):
        raise ConfigError(
            f"{taxonomy}.{slug}: name and description are text, names a table of text, "
            "aliases a list of text",
            where,
        )
    return VocabularyTerm(
        taxonomy, slug, name, dict(names), description, tuple(aliases), homepage, lang
    )
