"""Validate one report's front matter into a Report, collecting every problem in the file."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from sitegen.config import SiteConfig, is_known_language
from sitegen.content.dates import DATE_HINT, DateProblem, parse_datetime, parse_partial_date
from sitegen.content.discover import SourceFile
from sitegen.content.frontmatter import FrontMatter, split_front_matter
from sitegen.diagnostics import Diagnostic, Level
from sitegen.errors import ContentError, SourceLocation
from sitegen.model import Correction, ExternalTranslation, Image, PartialDate, Report, Source
from sitegen.urls import fill_pattern, is_valid_slug, language_prefix, slugify_text

BASE_KEYS = (
    "title", "date", "updated", "author", "authors", "summary", "event_date", "image",
    "source", "translations", "slug", "draft", "lang", "translation_key", "corrections",
)  # fmt: skip
IMAGE_KEYS = ("src", "alt", "caption", "credit")
SOURCE_KEYS = ("name", "url", "lang")
TRANSLATION_KEYS = ("lang", "url", "name")
CORRECTION_KEYS = ("date", "text")
MAX_REPORT_BYTES = 8_000_000
"""The largest report file sitegen reads."""
_HTTP_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


class ReportErrors(ContentError):
    """Every problem found in one report file."""

    def __init__(self, errors: tuple[ContentError, ...]) -> None:
        super().__init__(errors[0].message, errors[0].location, errors[0].hint)
        self.errors = errors


class FieldChecker:
    """Reads fields out of front matter, noting each problem with the key's line."""

    def __init__(self, source: SourceFile, matter: FrontMatter) -> None:
        self.source = source
        self.matter = matter
        self.errors: list[ContentError] = []
        self.warnings: list[Diagnostic] = []

    def at(self, key: str) -> SourceLocation:
        """Where a front-matter key is (line 1 where it is not given)."""
        return SourceLocation(self.source.display, self.matter.key_lines.get(key, 1))

    def fail(self, key: str, message: str, hint: str | None = None) -> None:
        """Note an error at a key's line."""
        self.errors.append(ContentError(message, self.at(key), hint))

    def warn(self, key: str, message: str, hint: str | None = None) -> None:
        """Note a warning at a key's line."""
        self.warnings.append(Diagnostic(Level.WARNING, message, self.at(key), hint))

    def finish(self, warn: Callable[[Diagnostic], None], complete: bool, what: str) -> None:
        """Pass on the warnings; raise every error, or one where a needed field is missing.

        `complete` says whether every field the `what` (a report, an edition) needs was read.
        """
        for warning in self.warnings:
            warn(warning)
        if self.errors or not complete:
            raise ReportErrors(
                tuple(self.errors) or (ContentError(f"invalid {what}", self.at("title")),)
            )

    def text(self, key: str, value: Any, label: str | None = None) -> str | None:
        """A value that must be text, stripped; None (and an error) where it is not."""
        label = label or key
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(key, f"{label} must be text, not {describe_value(value)}")
            return None
        if not isinstance(value, str):
            self.fail(key, f"{label} must be text, not the number {value}", f'write "{value}"')
            return None
        stripped = value.strip()
        if not stripped:
            self.fail(key, f"{label} is empty")
            return None
        return stripped

    def mapping(self, key: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any] | None:
        """A value that must be a set of the `allowed` fields."""
        if not isinstance(value, dict):
            example = ", ".join(f"{k}: ..." for k in allowed[:2])
            self.fail(key, f"{key} must be a set of fields, not {describe_value(value)}", example)
            return None
        for name in value:
            if name not in allowed:
                close = difflib.get_close_matches(str(name), allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(allowed)
                self.fail(key, f"unknown field '{name}' in {key}", hint)
        return value

    def http_url(self, key: str, value: Any, label: str) -> str | None:
        """A value that must be an http(s) URL."""
        url = self.text(key, value, label)
        if url is not None and not _HTTP_RE.match(url):
            self.fail(key, f"{label} {url!r} must be an http:// or https:// address")
            return None
        return url

    def language(self, key: str, value: Any, label: str) -> str | None:
        """A value that must be a language code Babel knows."""
        code = self.text(key, value, label)
        if code is not None and not is_known_language(code):
            self.fail(key, f"{label} {code!r} is not a language code", "use e.g. en, ko, ja, zh")
            return None
        return code


def describe_value(value: Any) -> str:
    """What kind of value this is, in words, for messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of fields"
    return repr(value)


def _terms(check: FieldChecker, taxonomy: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        if "," in value:
            check.fail(
                taxonomy, f"{taxonomy} must be a list", f"write {taxonomy}: [{value.strip()}]"
            )
            return ()
        value = [value]
    if not isinstance(value, list):
        check.fail(taxonomy, f"{taxonomy} must be a list of text, not {describe_value(value)}")
        return ()
    terms: list[str] = []
    for item in value:
        if isinstance(item, str) and item.strip():
            terms.append(unicodedata.normalize("NFC", " ".join(item.split())))
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            check.fail(
                taxonomy,
                f"{taxonomy} holds the number {item}; terms must be text",
                f'write "{item}" in quotes',
            )
        else:
            check.fail(taxonomy, f"{taxonomy} holds {describe_value(item)}; terms must be text")
    return tuple(terms)


def _date(check: FieldChecker, key: str, value: Any, config: SiteConfig) -> Any:
    try:
        return parse_datetime(value, config.zone)
    except DateProblem as problem:
        check.fail(key, f"{key}: {problem}", DATE_HINT)
    except (OverflowError, ValueError) as problem:
        check.fail(key, f"{key}: {problem}", DATE_HINT)
    return None


def _image(check: FieldChecker, value: Any, config: SiteConfig, report_url: str) -> Image | None:
    fields = check.mapping("image", value, IMAGE_KEYS)
    if fields is None:
        return None
    src = check.text("image", fields.get("src"), "image.src")
    alt = check.text("image", fields.get("alt"), "image.alt")
    if "src" not in fields:
        check.fail("image", "image needs a src: the image file's name")
    if "alt" not in fields:
        check.fail("image", "image needs alt: a short description for readers who cannot see it")
    caption = check.text("image", fields.get("caption"), "image.caption")
    credit = check.text("image", fields.get("credit"), "image.credit")
    if src is None or alt is None:
        return None
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE):
        check.fail("image", f"image.src {src!r} must be a file beside the report or under static/")
        return None
    found = _find_image(src, check.source.path.parent, config)
    if found is None:
        check.fail(
            "image",
            f"image file {src!r} not found",
            f"put it beside {check.source.path.name} or under static/",
        )
        return None
    file, url = found
    if url is None:
        url = report_url + file.name
    return Image(src, alt, caption, credit, file, url)


def _find_image(src: str, folder: Path, config: SiteConfig) -> tuple[Path, str | None] | None:
    if not src.startswith("/"):
        beside = (folder / src).resolve()
        if beside.parent == folder.resolve() and beside.is_file():
            return beside, None
    static = config.static_path.resolve()
    candidate = (static / src.lstrip("/")).resolve()
    if candidate.is_relative_to(static) and candidate.is_file():
        return candidate, "/" + candidate.relative_to(static).as_posix()
    return None


def _source(check: FieldChecker, value: Any) -> Source | None:
    fields = check.mapping("source", value, SOURCE_KEYS)
    if fields is None:
        return None
    name = check.text("source", fields.get("name"), "source.name")
    url = check.http_url("source", fields.get("url"), "source.url")
    lang = check.language("source", fields.get("lang"), "source.lang")
    if "name" not in fields:
        check.fail("source", "source needs a name: the outlet that published the report")
    if "url" not in fields:
        check.fail("source", "source needs a url: the address of the original report")
    if name is None or url is None:
        return None
    return Source(name, url, lang)


def _outlet(source: Source | None) -> tuple[str, ...]:
    """The source outlet as a term of the `sources` taxonomy (none without a source)."""
    return () if source is None else (unicodedata.normalize("NFC", " ".join(source.name.split())),)


def _translations(check: FieldChecker, value: Any) -> tuple[ExternalTranslation, ...]:
    if not isinstance(value, list):
        check.fail("translations", "translations must be a list of {lang, url}")
        return ()
    found: list[ExternalTranslation] = []
    for item in value:
        fields = check.mapping("translations", item, TRANSLATION_KEYS)
        if fields is None:
            continue
        lang = check.language("translations", fields.get("lang"), "a translation's lang")
        url = check.http_url("translations", fields.get("url"), "a translation's url")
        name = check.text("translations", fields.get("name"), "a translation's name")
        if "lang" not in fields or "url" not in fields:
            check.fail("translations", "each translation needs a lang and a url")
        if lang is not None and url is not None:
            found.append(ExternalTranslation(lang, url, name))
    return tuple(found)


def _item_lines(text: str, key_line: int, count: int) -> list[int]:
    """The lines of a block list's items under the key on `key_line` (the key's, failing that).

    Items are the lines that start with "- " at the indentation of the first one.
    """
    lines = text.split("\n")
    found: list[int] = []
    indent: int | None = None
    for number in range(key_line, len(lines)):  # the lines after the key's, 0-based
        line = lines[number]
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(stripped)
        if stripped == "-" or stripped.startswith("- "):
            if indent is None:
                indent = depth
            if depth == indent:
                found.append(number + 1)
                continue
        if depth == 0 or (indent is not None and depth < indent):
            break
    return found if len(found) == count else [key_line] * count


def _correction(
    item: Any, where: SourceLocation, date: dt.datetime | None, config: SiteConfig
) -> tuple[Correction | None, list[ContentError]]:
    """One item of `corrections`, written on the line `where` names, and its problems."""
    example = 'corrections: [{date: 2024-03-20, text: "..."}]'
    if not isinstance(item, dict):
        return None, [
            ContentError(
                f"a correction must be {{date, text}}, not {describe_value(item)}", where, example
            )
        ]
    problems = [
        ContentError(f"unknown field '{name}' in a correction", where, "known: date, text")
        for name in item
        if name not in CORRECTION_KEYS
    ]
    day: dt.date | None = None
    if item.get("date") is None:
        problems.append(ContentError("a correction needs its date", where, example))
    else:
        try:
            day = parse_datetime(item["date"], config.zone).astimezone(config.zone).date()
        except (DateProblem, OverflowError, ValueError) as problem:
            problems.append(ContentError(f"a correction's date: {problem}", where, DATE_HINT))
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        hint = "say what was wrong and what is right: " + example
        problems.append(ContentError("a correction needs its text", where, hint))
        text = None
    if day is not None and date is not None:
        published = date.astimezone(config.zone).date()
        if day < published:
            problems.append(
                ContentError(
                    f"a correction dated {day.isoformat()} is before the report's own date "
                    f"({published.isoformat()})",
                    where,
                    "a correction is made on the report's day or after it",
                )
            )
    if problems or day is None or text is None:
        return None, problems
    return Correction(day, text.strip(), "", where.line or 1), []


def _corrections(
    check: FieldChecker, value: Any, text: str, date: dt.datetime | None, config: SiteConfig
) -> tuple[Correction, ...]:
    if not isinstance(value, list):
        check.fail(
            "corrections",
            "corrections must be a list of {date, text}",
            'corrections: [{date: 2024-03-20, text: "..."}]',
        )
        return ()
    key_line = check.at("corrections").line or 1
    found: list[Correction] = []
    for item, line in zip(value, _item_lines(text, key_line, len(value)), strict=True):
        where = SourceLocation(check.source.display, line)
        correction, problems = _correction(item, where, date, config)
        check.errors.extend(problems)
        if correction is not None:
            found.append(correction)
    return tuple(sorted(found, key=lambda c: (c.date, c.line)))


def language_fields(
    check: FieldChecker, data: dict[str, Any], source: SourceFile, config: SiteConfig
) -> tuple[str, str]:
    """A file's language (`lang`, or its name's `.ko`) and the key its versions share."""
    lang = source.lang_suffix or config.language
    if "lang" in data:
        given = check.language("lang", data["lang"], "lang")
        if given is not None and source.lang_suffix and given != source.lang_suffix:
            check.fail("lang", f"lang {given!r} differs from the file name's .{source.lang_suffix}")
        lang = given or lang
    translation_key = str(PurePosixPath(source.key).parent / source.stem)
    if "translation_key" in data:
        translation_key = check.text("translation_key", data["translation_key"]) or translation_key
    return lang, translation_key


def slug_field(check: FieldChecker, value: Any, stem: str) -> str | None:
    """The slug given (checked), or made from the file name."""
    if value is None:
        slug = slugify_text(stem)
        if not slug:
            check.fail("title", f"the file name {stem!r} makes no slug", "add slug: a-short-name")
            return None
        return slug
    text = check.text("slug", value)
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    if not is_valid_slug(text):
        suggestion = slugify_text(text)
        hint = f"try slug: {suggestion}" if suggestion else "use letters, digits and hyphens"
        check.fail("slug", f"slug {text!r} may hold only letters, digits and hyphens", hint)
        return None
    return text.lower()


def _warn_unknown_keys(check: FieldChecker, data: dict[str, Any], known: tuple[str, ...]) -> None:
    for key in data:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
        if close:
            check.warn(
                str(key),
                f"unknown field '{key}' is kept for templates",
                f"did you mean '{close[0]}'?",
            )


def read_report_text(source: SourceFile) -> str:
    """A report file's text; a file too large, unreadable or not UTF-8 is a ContentError."""
    try:
        size = source.path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise ContentError(
                f"the file is {size / 1_000_000:.1f} MB; a report may be at most "
                f"{MAX_REPORT_BYTES // 1_000_000} MB",
                SourceLocation(source.display, 1),
                "split it, or move data out of the body",
            )
        raw = source.path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ContentError(
            "the file is not UTF-8 text",
            SourceLocation(source.display, line),
            "save it as UTF-8",
        ) from None
    except OSError as error:
        raise ContentError(
            f"cannot read the file: {error.strerror}", SourceLocation(source.display)
        ) from None
    return text


def parse_report(
    source: SourceFile, config: SiteConfig, warn: Callable[[Diagnostic], None]
) -> Report:
    """Read and validate one report file; raise ReportErrors listing every problem in it."""
    return validate_report(read_report_text(source), source, config, warn)


def validate_report(
    text: str, source: SourceFile, config: SiteConfig, warn: Callable[[Diagnostic], None]
) -> Report:
    """Validate a report's text; raise ReportErrors (or a ContentError) naming every problem."""
    matter = split_front_matter(text, source.display)
    data = matter.data
    check = FieldChecker(source, matter)
    known = BASE_KEYS + config.taxonomies

    title = check.text("title", data.get("title"))
    if "title" not in data:
        check.errors.append(
            ContentError("title is required", SourceLocation(source.display, 1), "add title: ...")
        )
    elif data["title"] is None:
        check.fail("title", "title is empty", "write the headline after title:")
    date = None
    if "date" not in data:
        check.errors.append(
            ContentError(
                "date is required", SourceLocation(source.display, 1), "add date: 2024-03-18"
            )
        )
    elif data["date"] is None:
        check.fail("date", "date is empty", "write it as 2024-03-18")
    else:
        date = _date(check, "date", data["date"], config)
    updated = _date(check, "updated", data["updated"], config) if "updated" in data else None
    if date is not None and updated is not None and updated < date:
        check.warn("updated", "updated is before date")

    authors: tuple[str, ...] = ()
    if "author" in data and "authors" in data:
        check.fail("authors", "give author or authors, not both")
    elif "author" in data:
        author = check.text("author", data["author"])
        authors = (author,) if author else ()
    elif "authors" in data:
        value = data["authors"]
        if not isinstance(value, list):
            check.fail("authors", "authors must be a list", "authors: [A. Writer, B. Writer]")
        else:
            authors = tuple(a for v in value if (a := check.text("authors", v, "an author")))

    summary = check.text("summary", data.get("summary"))
    terms = tuple((tax, _terms(check, tax, data.get(tax))) for tax in config.taxonomies)

    lang, translation_key = language_fields(check, data, source, config)
    slug = slug_field(check, data.get("slug"), source.stem)
    url = ""
    if slug is not None:
        url = language_prefix(lang, config.language) + fill_pattern(
            config.permalinks.report, section=source.section, slug=slug
        )

    event_date: PartialDate | None = None
    if data.get("event_date") is not None:
        try:
            event_date = parse_partial_date(data["event_date"])
        except DateProblem as problem:
            check.fail("event_date", f"event_date: {problem}", "write 2024, 2024-03 or 2024-03-05")

    image = _image(check, data["image"], config, url) if data.get("image") is not None else None
    source_ref = _source(check, data["source"]) if data.get("source") is not None else None
    translations = (
        _translations(check, data["translations"]) if data.get("translations") is not None else ()
    )
    corrections = (
        _corrections(check, data["corrections"], text, date, config)
        if data.get("corrections") is not None
        else ()
    )
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        check.fail("draft", f"draft must be true or false, not {describe_value(draft)}")
        draft = False

    _warn_unknown_keys(check, data, known)
    check.finish(warn, title is not None and date is not None and slug is not None, "report")
    assert title is not None and date is not None and slug is not None

    extra = tuple((str(k), v) for k, v in data.items() if k not in known)
    return Report(
        key=source.key,
        file=source.display,
        section=source.section,
        slug=slug,
        lang=lang,
        translation_key=translation_key,
        title=title,
        date=date,
        updated=updated,
        authors=authors,
        summary=summary,
        terms=(*terms, ("sources", _outlet(source_ref))),
        event_date=event_date or PartialDate.from_date(date.date()),
        image=image,
        source=source_ref,
        translations=translations,
        draft=draft,
        extra=extra,
        body=matter.body,
        body_line=matter.body_line,
        key_lines=tuple(matter.key_lines.items()),
        url=url,
        corrections=corrections,
        corrected=corrections[-1].moment(config.zone) if corrections else None,
    )
