"""Themes: finding them, their inheritance, the Jinja environment and the theme's strings."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import operator
import tomllib
import traceback
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext
import jinja2.meta
import jinja2.nodes
import lxml.html
import markupsafe
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_datetime, format_skeleton

from sitegen.config import SiteConfig, setting_location
from sitegen.errors import ConfigError, SourceLocation, TemplateError
from sitegen.model import PartialDate
from sitegen.urls import SiteUrls

PACKAGE_THEMES = Path(__file__).parent / "themes"
REPOSITORY_THEMES = Path(__file__).parent.parent / "themes"


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme and those it extends, nearest first."""

    name: str
    folders: tuple[Path, ...]

    @property
    def template_folders(self) -> tuple[Path, ...]:
        """Template folders, nearest theme first."""
        return tuple(f / "templates" for f in self.folders if (f / "templates").is_dir())

    @property
    def static_folders(self) -> tuple[Path, ...]:
        """Static folders, furthest theme first (so nearer ones overwrite)."""
        return tuple(f / "static" for f in reversed(self.folders) if (f / "static").is_dir())


def _theme_folder(name: str, config: SiteConfig) -> Path | None:
    for base in (config.root / "themes", REPOSITORY_THEMES, PACKAGE_THEMES):
        folder = base / name
        if (folder / "templates").is_dir():
            return folder
    return None


def load_theme(config: SiteConfig) -> Theme:
    """Find the configured theme and the themes it extends (theme.toml: extends = "name")."""
    folders: list[Path] = []
    name: str | None = config.theme
    while name is not None:
        folder = _theme_folder(name, config)
        if folder is None:
            raise ConfigError(
                f"theme {name!r} not found",
                setting_location(config.root, "theme"),
                f'put it in themes/{name}/templates/, or use theme = "default"',
            )
        if folder in folders:
            raise ConfigError(
                f"theme {name!r} extends itself", SourceLocation(folder / "theme.toml")
            )
        folders.append(folder)
        settings = folder / "theme.toml"
        name = None
        if settings.is_file():
            try:
                extends = tomllib.loads(settings.read_text(encoding="utf-8")).get("extends")
            except tomllib.TOMLDecodeError as error:
                raise ConfigError(f"invalid TOML: {error}", SourceLocation(settings)) from None
            name = extends if isinstance(extends, str) else None
    return Theme(config.theme, tuple(folders))


ASSET_DIGEST_LENGTH = 10
"""Hex digits of a content digest in a theme file's name (`css/site.3f2a1b9c0d.css`)."""


@dataclass(frozen=True, slots=True)
class ThemeAssets:
    """The theme's static files, each also under a name that carries a digest of its content.

    A site's own static file of the same path replaces the theme's (and so its digest). Pages
    link the named copies, which a host may cache for good: new content, new name.
    """

    files: tuple[tuple[str, Path, str], ...] = ()
    """(path under the site's root, the file it is copied from, the path with its digest)."""


def fingerprint_assets(theme: Theme, config: SiteConfig) -> ThemeAssets:
    """The theme's static files (or the site's files that replace them), named by digest."""
    found: dict[str, Path] = {}
    for folder in theme.static_folders:
        for file in sorted(folder.rglob("*")):
            relative = file.relative_to(folder).as_posix()
            if file.is_file() and not any(part.startswith(".") for part in relative.split("/")):
                found[relative] = file
    for relative in found:
        replacement = config.static_path / relative
        if replacement.is_file():
            found[relative] = replacement
    files = []
    for relative, file in sorted(found.items()):
        digest = hashlib.blake2b(file.read_bytes()).hexdigest()[:ASSET_DIGEST_LENGTH]
        stem, dot, suffix = relative.rpartition(".")
        named = f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{relative}.{digest}"
        files.append((relative, file, named))
    return ThemeAssets(tuple(files))


@dataclass(frozen=True, slots=True)
class ThemeStrings:
    """The theme's strings per language, falling back to English."""

    by_lang: Mapping[str, Mapping[str, str]]

    def get(self, key: str, lang: str) -> str:
        """The string for key in lang, or in its base language, or in English."""
        for code in (lang, lang.split("_")[0].split("-")[0], "en"):
            table = self.by_lang.get(code)
            if table is not None and key in table:
                return table[key]
        return key


def load_strings(theme: Theme, config: SiteConfig) -> ThemeStrings:
    """Read i18n/<lang>.toml from the theme chain and the site (site wins)."""
    folders = [f / "i18n" for f in reversed(theme.folders)] + [config.root / "i18n"]
    tables: dict[str, dict[str, str]] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for file in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(file.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise ConfigError(f"invalid strings file: {error}", SourceLocation(file)) from None
            tables.setdefault(file.stem, {}).update({k: str(v) for k, v in data.items()})
    return ThemeStrings(tables)


@functools.cache
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@functools.cache
def _locale_id(lang: str) -> str:
    """The identifier of the locale a language code stands for (`en`, `ko`, `zh_Hant`)."""
    return str(_locale(lang))


@functools.cache
def language_name(code: str) -> str:
    """A language's name in that language (`ko` -> 한국어, `en` -> English)."""
    name = _locale(code).get_display_name(_locale(code)) or code
    return name[:1].upper() + name[1:]


@functools.cache
def og_locale(code: str) -> str:
    """A language as Open Graph writes locales, language_TERRITORY (`ko` -> `ko_KR`)."""
    locale = _locale(code)
    territory = locale.territory
    if territory is None:
        likely = get_global("likely_subtags")
        tag = likely.get(str(locale)) or likely.get(locale.language)
        try:
            territory = Locale.parse(tag).territory if tag else None
        except (UnknownLocaleError, ValueError):
            territory = None
    return f"{locale.language}_{territory}" if territory else locale.language


_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(value: Any) -> str:
    r"""JSON safe inside a `<script>` element, such as JSON-LD.

    `<`, `>` and `&` are written as \u003c, \u003e and \u0026 (and U+2028, U+2029 as
    escapes too), so no value can close the script or open a comment in it.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


@functools.cache
def language_name_in(code: str, display_lang: str) -> str:
    """A language's name in another language (`ko` in `en` -> Korean)."""
    name = _locale(code).get_display_name(_locale(display_lang)) or code
    return name[:1].upper() + name[1:] if display_lang.startswith("en") else name


@functools.lru_cache(maxsize=65536)
def format_day(day: dt.date, style: str, lang: str) -> str:
    """A date in a language, in one of Babel's styles (short, medium, long, full)."""
    return str(format_date(day, style, locale=_locale(lang)))


@functools.lru_cache(maxsize=65536)
def format_partial_date(value: PartialDate, lang: str) -> str:
    """A day, month or year in the page's language."""
    day = dt.date(value.year, value.month or 1, value.day or 1)
    if value.day is not None:
        return format_day(day, "long", lang)
    if value.month is not None:
        return format_skeleton("yMMMM", day, locale=_locale(lang))
    return format_skeleton("y", day, locale=_locale(lang))


@functools.lru_cache(maxsize=65536)
def month_label(year: int, month: int, lang: str) -> str:
    """'March 2024' / '2024년 3월'."""
    return format_skeleton("yMMMM", dt.date(year, month, 1), locale=_locale(lang))


def _display(path: str | None, config: SiteConfig) -> Path:
    if path is None:
        return Path("<template>")
    file = Path(path)
    for base in (config.root, REPOSITORY_THEMES.parent):
        if file.is_relative_to(base):
            return file.relative_to(base)
    return file


def _self_reference_line(file: Path) -> int | None:
    """The line where a template includes, extends or imports itself, if it does."""
    try:
        tree = jinja2.Environment().parse(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, jinja2.TemplateError):
        return None
    kinds = (
        jinja2.nodes.Include,
        jinja2.nodes.Extends,
        jinja2.nodes.Import,
        jinja2.nodes.FromImport,
    )
    for node in tree.find_all(kinds):
        target = getattr(node, "template", None)
        if (
            isinstance(target, jinja2.nodes.Const)
            and isinstance(target.value, str)
            and file.as_posix().endswith("/" + target.value.lstrip("/"))
        ):
            return int(node.lineno)
    return None


def template_error(error: BaseException, config: SiteConfig) -> TemplateError:
    """Turn an exception raised by Jinja into a TemplateError at the template's line."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return TemplateError(
            f"template syntax: {error.message}",
            SourceLocation(_display(error.filename, config), error.lineno),
        )
    if isinstance(error, jinja2.TemplateNotFound):
        return TemplateError(f"template {error.name!r} not found")
    location: SourceLocation | None = None
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.endswith((".html", ".xml", ".txt"))
    ]
    if isinstance(error, RecursionError):
        for filename in dict.fromkeys(f.filename for f in frames):
            line = _self_reference_line(Path(filename))
            if line is not None:
                location = SourceLocation(_display(filename, config), line)
                break
    if frames and location is None:
        frame = frames[-1]
        location = SourceLocation(_display(frame.filename, config), frame.lineno)
    message = str(error) or type(error).__name__
    if isinstance(error, RecursionError):
        message = "the template includes or calls itself without end"
    return TemplateError(f"template failed: {message}", location)


MAX_RANGE = 100_000
"""The longest range() a template may loop over."""


def bounded_range(*args: int) -> range:
    """range() for templates, refusing loops so long they would hang the build."""
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise OverflowError(f"range() of {len(result)} items is too long (at most {MAX_RANGE})")
    return result


FRAGMENTS_KEPT = 16384
"""How many rendered fragments an environment keeps, the least recently used dropped first
(enough for one per report of a large site: the items of its lists)."""


class FragmentCache(jinja2.ext.Extension):
    """`{% cache key, ... %}...{% endcache %}`: a fragment rendered once per key.

    The keys (compared by value; keys that cannot be hashed, only as the same objects) must
    hold everything the fragment shows that may differ between pages; what the environment
    provides (strings, links, filters) is the same for every page. An environment lives for
    one build, or for a build session until its templates or configuration change, so no
    fragment outlives what made it.
    """

    tags = {"cache"}  # noqa: RUF012 (the attribute Jinja reads)

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        self._by_value: OrderedDict[Hashable, str] = OrderedDict()
        self._by_identity: OrderedDict[tuple[int, ...], tuple[tuple[Any, ...], str]] = OrderedDict()
        """The same keys again, known without hashing them (a year of 1,000 reports)."""

    def parse(self, parser: Any) -> jinja2.nodes.Node:
        """Parse `cache key, ...` up to `endcache`."""
        lineno = next(parser.stream).lineno
        keys = [jinja2.nodes.Const(parser.name), jinja2.nodes.Const(lineno)]
        keys.append(parser.parse_expression())
        while parser.stream.skip_if("comma"):
            keys.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_fragment", [jinja2.nodes.Tuple(keys, "load")])
        return jinja2.nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _fragment(self, key: tuple[Any, ...], caller: Callable[[], str]) -> str:
        ids = tuple(map(id, key))
        known = self._by_identity.get(ids)
        if known is not None and all(map(operator.is_, known[0], key)):
            return known[1]
        try:
            fragment = self._by_value.get(key)
        except TypeError:  # a key that cannot be hashed: known again only by identity
            fragment = caller()
        else:
            if fragment is None:
                fragment = self._by_value[key] = caller()
            _keep_recent(self._by_value, key)
        self._by_identity[ids] = (key, fragment)
        _keep_recent(self._by_identity, ids)
        return fragment


def _keep_recent(kept: OrderedDict[Any, Any], key: Hashable) -> None:
    kept.move_to_end(key)
    if len(kept) > FRAGMENTS_KEPT:
        kept.popitem(last=False)


PAGE_TEMPLATES = "pages/"
"""Templates under this folder are pages of their own: `pages/authors.html` is /authors/."""


def page_templates(env: jinja2.Environment) -> tuple[str, ...]:
    """The templates, of the site or its theme, that make pages of their own, by name."""
    return tuple(
        sorted(
            name
            for name in env.list_templates(extensions=["html"])
            if name.startswith(PAGE_TEMPLATES)
            and not any(part.startswith(".") for part in name.split("/"))
        )
    )


def links_made_absolute(html: str, page_url: str) -> str:
    """An HTML fragment with every link and image made absolute against its page's URL.

    For feeds and email, which are read away from the site.
    """
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    root.make_links_absolute(page_url, resolve_base_href=False)
    parts = [markupsafe.escape(root.text or "")]
    parts += [lxml.html.tostring(child, encoding="unicode") for child in root]
    return "".join(parts)


def create_environment(
    theme: Theme,
    config: SiteConfig,
    strings: ThemeStrings,
    compiled: Path | None = None,
    assets: ThemeAssets | None = None,
) -> jinja2.Environment:
    """The Jinja environment: site templates over the theme's, autoescaping, strict undefined.

    With `compiled`, compiled templates are kept in that folder between builds (Jinja checks
    each against its source). `assets` name the theme's files by digest for the `asset` and
    `asset_url` filters (without them, those filters give the plain paths).
    """
    folders = [config.templates_path] if config.templates_path.is_dir() else []
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(f)) for f in (*folders, *theme.template_folders)]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        extensions=[FragmentCache],
    )
    urls = SiteUrls(config.base_url, config.base_path)

    @jinja2.pass_context
    def translate(context: jinja2.runtime.Context, key: str, **values: Any) -> str:
        text = strings.get(key, context.get("lang", config.language))
        return text.format(**values) if values else text

    @jinja2.pass_context
    def date_filter(context: jinja2.runtime.Context, value: Any, style: str = "long") -> str:
        lang = context.get("lang", config.language)
        if isinstance(value, PartialDate):
            return format_partial_date(value, _locale_id(lang))
        if isinstance(value, dt.datetime) and style.startswith("datetime"):
            local = value.astimezone(config.zone) if value.tzinfo else value
            return format_datetime(
                local, style.removeprefix("datetime-") or "medium", locale=_locale(lang)
            )
        if isinstance(value, dt.datetime):
            value = value.date()
        return format_day(value, style, _locale_id(lang))

    @jinja2.pass_context
    def month_filter(context: jinja2.runtime.Context, month: Any) -> str:
        return month_label(month.year, month.month, context.get("lang", config.language))

    asset_names = {path: named for path, _, named in assets.files} if assets else {}

    def asset_path(path: str) -> str:
        """A theme file's path from the site's root, under its name with its digest."""
        named = asset_names.get(path.lstrip("/"))
        return "/" + named if named is not None else path

    # The filters that depend on the configuration take the context, so that Jinja never
    # works them out when it compiles a template: `'/css/site.css' | link` would be a
    # constant, kept in the compiled templates after base_url or the stylesheet changed.
    @jinja2.pass_context
    def link_filter(context: jinja2.runtime.Context, path: str) -> str:
        return urls.link(path)

    @jinja2.pass_context
    def absolute_url_filter(context: jinja2.runtime.Context, path: str) -> str:
        return urls.absolute(path)

    @jinja2.pass_context
    def asset_filter(context: jinja2.runtime.Context, path: str) -> str:
        return urls.link(asset_path(path))

    @jinja2.pass_context
    def asset_url_filter(context: jinja2.runtime.Context, path: str) -> str:
        return urls.absolute(asset_path(path))

    env.globals.update(t=translate, link=urls.link, absolute_url=urls.absolute, range=bounded_range)
    filters: dict[str, Callable[..., Any]] = {
        "date": date_filter,
        "month_label": month_filter,
        "language_name": language_name,
        "link": link_filter,
        "absolute_url": absolute_url_filter,
        "asset": asset_filter,
        "asset_url": asset_url_filter,
        "isoformat": lambda value: value.isoformat(),
        "jsonld": lambda value: markupsafe.Markup(script_json(value)),
        "og_locale": og_locale,
        "absolute_links": lambda html, page: markupsafe.Markup(
            links_made_absolute(str(html), urls.absolute(page))
        ),
    }
    env.filters.update(filters)
    if compiled is not None:
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(
            str(compiled), f"__jinja2_{_filters_key(env)}_%s.cache"
        )
    return env


def _filters_key(env: jinja2.Environment) -> str:
    """What compiled templates depend on beyond their source: the filters and their kinds.

    Jinja compiles a call to a filter that takes the context otherwise than to one that
    does not.
    """
    kinds = sorted(
        (name, str(getattr(function, "jinja_pass_arg", None)))
        for name, function in env.filters.items()
    )
    return hashlib.blake2b(repr(kinds).encode(), digest_size=8).hexdigest()


class TemplateDigests:
    """A digest per page template of everything it renders with.

    Its source, the sources of the templates it extends, includes or imports, and `base`:
    the theme's strings, the configuration and the versions of sitegen, Jinja and Babel.
    """

    def __init__(self, env: jinja2.Environment, base: bytes) -> None:
        self._env = env
        self._base = base
        self._sources: dict[str, str] = {}
        self._digests: dict[str, bytes] = {}
        self._referenced: dict[str, list[str | None]] = {}

    @property
    def base(self) -> bytes:
        """What every template's digest starts from (see environment_digest)."""
        return self._base

    def _source(self, name: str) -> str:
        if name not in self._sources:
            assert self._env.loader is not None
            self._sources[name] = self._env.loader.get_source(self._env, name)[0]
        return self._sources[name]

    def _references(self, name: str) -> list[str | None]:
        """The templates one template names (None for a name known only when rendering)."""
        if name not in self._referenced:
            try:
                found = list(
                    jinja2.meta.find_referenced_templates(self._env.parse(self._source(name)))
                )
            except jinja2.TemplateError:
                found = []
            self._referenced[name] = found
        return self._referenced[name]

    def _closure(self, name: str) -> list[str]:
        seen: list[str] = []
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.append(current)
            found = self._references(current)
            if any(ref is None for ref in found):
                return sorted(set(self._env.list_templates()))
            todo.extend(ref for ref in found if ref is not None)
        return sorted(seen)

    def digest(self, name: str) -> bytes:
        """The digest of one page template and all it draws on."""
        if name not in self._digests:
            hasher = hashlib.blake2b(self._base, digest_size=16)
            for part in self._closure(name):
                hasher.update(part.encode() + b"\0")
                hasher.update(self._source(part).encode("utf-8", "surrogatepass") + b"\0")
            self._digests[name] = hasher.digest()
        return self._digests[name]
