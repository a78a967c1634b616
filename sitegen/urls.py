"""Slugs, permalinks, output paths and links that follow base_url. Pure functions."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from slugify import slugify
from text_unidecode import unidecode

_SLUG_RE = re.compile(r"^[^\W_][\w-]*$")


@functools.lru_cache(maxsize=1 << 16)
def fold_term(text: str) -> str:
    """The key under which two spellings of one term meet: Unicode form, case and spacing folded."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _latin_to_ascii(text: str) -> str:
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if ord(char) > 127 and unicodedata.name(char, "").startswith("LATIN"):
            out.append(unidecode(char))
        else:
            out.append(char)
    return "".join(out)


def slugify_text(text: str) -> str:
    """A lower-case slug: Latin letters become ASCII, other scripts keep their letters."""
    return slugify(_latin_to_ascii(text), allow_unicode=True, lowercase=True)


def is_valid_slug(slug: str) -> bool:
    """Whether a slug given by an editor is safe in a URL path segment."""
    return bool(_SLUG_RE.match(slug)) and unicodedata.is_normalized("NFC", slug)


@dataclass(frozen=True, slots=True)
class SiteUrls:
    """Turns site paths (`/tags/x/`) into links and absolute URLs under base_url."""

    base_url: str
    base_path: str

    def link(self, path: str) -> str:
        """A link from the site's root (`/timeline/`) as the browser must see it."""
        if not path.startswith("/") or path.startswith("//"):
            return path
        return self.base_path + path[1:]

    def absolute(self, path: str) -> str:
        """An absolute URL for a site path, where base_url has a host; else the link."""
        link = self.link(path)
        match = re.match(r"^(https?://[^/]+)", self.base_url)
        return match.group(1) + link if match else link


def language_prefix(lang: str, default_lang: str) -> str:
    """The path prefix of a language's pages: '' for the site's language, '/ko' for Korean."""
    return "" if lang == default_lang else "/" + lang.lower().replace("_", "-")


def fill_pattern(pattern: str, **values: str) -> str:
    """Fill a permalink pattern like `/{section}/{slug}/`."""
    return pattern.format(**values)


def page_path(base: str, number: int) -> str:
    """The path of page `number` of a paginated list at `base` (`/tags/x/` -> `/tags/x/page/2/`)."""
    return base if number == 1 else f"{base}page/{number}/"


def output_file(path: str) -> str:
    """The file under output/ for a site path: `/a/b/` -> `a/b/index.html`."""
    relative = path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        return relative + "index.html"
    return relative


def feed_path(page: str) -> str:
    """The Atom feed of a list page: `/` -> `/feed.xml`, `/tags/x/` -> `/tags/x/feed.xml`."""
    return page.rstrip("/") + "/feed.xml"


def language_tag(code: str) -> str:
    """The BCP 47 tag of a language code, for hreflang and xml:lang (`zh_Hant` -> `zh-Hant`)."""
    return code.replace("_", "-")


def corrections_path(prefix: str) -> str:
    """A language's page of corrections (`/corrections/`, `/ko/corrections/`)."""
    return prefix + "/corrections/"
