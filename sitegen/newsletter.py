"""An edition as an email: HTML made for mail clients, plain text, and a MIME message.

The HTML is the theme's `email/edition.html` with its CSS inlined into `style` attributes
(css-inline); only `@media` rules stay in a `<style>` block. Every link is absolute.
"""

from __future__ import annotations

import difflib
import email.policy
import email.utils
import hashlib
import textwrap
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import css_inline
import jinja2
import lxml.html

from sitegen.config import CONFIG_NAME, SiteConfig, setting_location
from sitegen.errors import ConfigError, SitegenError
from sitegen.model import Edition, Site
from sitegen.pages import page_environment
from sitegen.render import EditionView, PagePlanner
from sitegen.theme import (
    ThemeStrings,
    fingerprint_assets,
    load_strings,
    load_theme,
    template_error,
)
from sitegen.urls import SiteUrls

EMAIL_TEMPLATE = "email/edition.html"
TEXT_WIDTH = 72
"""Lines of the plain-text part are wrapped at this width (a long URL stands alone)."""
_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dt", "dd")


@dataclass(frozen=True, slots=True)
class EditionEmail:
    """An edition ready to send: its HTML and its plain text."""

    edition: Edition
    html: str
    text: str


def find_edition(site: Site, slug: str, lang: str) -> Edition:
    """The published edition with this slug in this language; a SitegenError if none."""
    for edition in site.editions.values():
        if edition.slug == slug and edition.lang == lang:
            return edition
    slugs = sorted({e.slug for e in site.editions.values() if e.lang == lang})
    close = difflib.get_close_matches(slug, slugs, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else "known: " + (", ".join(slugs) or "none")
    raise SitegenError(f"no published edition {slug!r} in {lang!r}", None, hint)


def render_email_html(
    site: Site, config: SiteConfig, environment: jinja2.Environment, edition: Edition
) -> str:
    """The edition's email HTML: the theme's email template, its CSS inlined."""
    planner = PagePlanner(site, config)
    view = planner.edition_view(edition)
    urls = SiteUrls(config.base_url, config.base_path)
    try:
        template = environment.get_template(EMAIL_TEMPLATE)
        html = template.render(
            site=planner.site_views.get(edition.lang, planner.site_views[config.language]),
            edition=view,
            lang=edition.lang,
            web_url=urls.absolute(edition.url),
            unsubscribe=config.editions.unsubscribe,
        )
    except Exception as error:
        raise template_error(error, config) from None
    inliner = css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True)
    return inliner.inline(html)


def _inline_text(element: lxml.html.HtmlElement, links: list[str]) -> str:
    """An element's text, each link followed by its number among `links`."""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        inner = _inline_text(child, links)
        href = child.get("href") if child.tag == "a" else None
        if href:
            if href not in links:
                links.append(href)
            inner += f" [{links.index(href) + 1}]"
        parts.append(inner)
        parts.append(child.tail or "")
    return "".join(parts)


def _paragraphs(html: str, links: list[str]) -> list[str]:
    """The blocks of an HTML fragment as paragraphs of text (list items marked)."""
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    found: list[str] = []
    for element in root.iter(*_BLOCKS):
        if any(parent.tag in _BLOCKS for parent in element.iterancestors()):
            continue  # its text is in its block's
        text = " ".join(_inline_text(element, links).split())
        if text:
            found.append(("- " if element.tag == "li" else "") + text)
    return found


def _wrap(text: str, indent: str = "", hanging: str | None = None) -> str:
    """Text wrapped at TEXT_WIDTH columns; a word longer than a line (a URL) stands alone.

    `hanging` indents the lines after the first (`indent` otherwise).
    """
    return textwrap.fill(
        text,
        TEXT_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_email_text(view: EditionView, config: SiteConfig, strings: ThemeStrings) -> str:
    """The plain-text part: wrapped at 72 columns, links as numbered references at the end."""
    urls = SiteUrls(config.base_url, config.base_path)
    links: list[str] = []

    def word(key: str) -> str:
        return strings.get(key, view.lang)

    def ref(url: str) -> str:
        if url not in links:
            links.append(url)
        return f"[{links.index(url) + 1}]"

    web = urls.absolute(view.url)
    blocks = [_wrap(view.title) + "\n" + "=" * min(len(view.title), TEXT_WIDTH)]
    if view.summary:
        blocks.append(_wrap(view.summary))
    blocks.append(_wrap(f"{word('view_online')}: {ref(web)}"))
    for paragraph in _paragraphs(view.html, links):
        blocks.append(_wrap(paragraph))
    for number, report in enumerate(view.reports, 1):
        lines = [_wrap(f"{number}. {report.title} {ref(urls.absolute(report.url))}", "", "   ")]
        places = [t.name for g in report.terms if g.taxonomy == "places" for t in g.terms[:1]]
        lines.append(_wrap(" · ".join([report.date.date().isoformat(), *places]), "   "))
        if report.summary:
            lines.append(_wrap(report.summary, "   "))
        if report.source is not None:
            source = f"{word('source')}: {report.source.name} {ref(report.source.url)}"
            lines.append(_wrap(source, "   "))
        blocks.append("\n".join(lines))
    if config.editions.unsubscribe:
        blocks.append(_wrap(f"{word('unsubscribe')}: {ref(config.editions.unsubscribe)}"))
    references = "\n".join(f"[{n}] {url}" for n, url in enumerate(links, 1))
    return "\n\n".join([*blocks, references]) + "\n"


def _message_id(edition: Edition, config: SiteConfig) -> str:
    host = urlsplit(config.base_url).hostname
    if not host:
        host = email.utils.parseaddr(config.editions.sender)[1].rpartition("@")[2] or "localhost"
    return f"<edition.{edition.lang}.{edition.slug}@{host}>"


def make_message(edition: Edition, config: SiteConfig, html: str, text: str) -> bytes:
    """A `multipart/alternative` message of the text and the HTML, with its headers."""
    if not config.editions.sender:
        raise ConfigError(
            "the email needs a sender: [editions] has no from",
            setting_location(config.root, "editions"),
            f'add from = "Desk <desk@example.org>" under [editions] in {CONFIG_NAME}',
        )
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = edition.title
    message["From"] = config.editions.sender
    message["Date"] = email.utils.format_datetime(edition.date)
    message["Message-ID"] = _message_id(edition, config)
    if config.editions.unsubscribe:
        message["List-Unsubscribe"] = f"<{config.editions.unsubscribe}>"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    # The same edition gives the same bytes: a boundary made from the parts, not at random.
    digest = hashlib.blake2b((text + html).encode("utf-8"), digest_size=12).hexdigest()
    message.set_boundary(f"==sitegen-{digest}==")
    return message.as_bytes()


def make_email(
    site: Site,
    config: SiteConfig,
    environment: jinja2.Environment,
    edition: Edition,
    strings: ThemeStrings,
) -> EditionEmail:
    """An edition as an email: its HTML and its plain text."""
    html = render_email_html(site, config, environment, edition)
    view = PagePlanner(site, config).edition_view(edition)
    return EditionEmail(edition, html, render_email_text(view, config, strings))


def write_email(mail: EditionEmail, config: SiteConfig, folder: Path) -> list[Path]:
    """Write SLUG.html, SLUG.txt and SLUG.eml (the MIME message) into a folder.

    Returns the paths written. Without a sender in `[editions]`, a ConfigError and nothing
    written.
    """
    message = make_message(mail.edition, config, mail.html, mail.text)
    slug = mail.edition.slug
    files = {
        f"{slug}.html": mail.html.encode("utf-8"),
        f"{slug}.txt": mail.text.encode("utf-8"),
        f"{slug}.eml": message,
    }
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written


def email_of(site: Site, config: SiteConfig, edition: Edition) -> EditionEmail:
    """An edition as an email, in the site's theme (its templates read afresh)."""
    theme = load_theme(config)
    assets = fingerprint_assets(theme, config)
    environment, _ = page_environment(config, theme, assets, compiled=False)
    return make_email(site, config, environment, edition, load_strings(theme, config))
