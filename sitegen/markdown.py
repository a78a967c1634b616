"""Render a report body to HTML.

CommonMark plus tables, footnotes, strikethrough and heading anchors; links are made safe
and made to follow base_url.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from sitegen.model import BodyLink, Heading, RenderedBody
from sitegen.urls import slugify_text

_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SANITISER_ATTRIBUTES = {"*": {"id", "class", "title", "lang"}}


def is_safe_link(url: str) -> bool:
    """Whether a link may be made clickable: http(s), mailto, or a relative or root path."""
    match = _SCHEME_RE.match(url.strip())
    return match is None or match.group(1).lower() in SAFE_SCHEMES


@dataclass(frozen=True, slots=True)
class BodyWarning:
    """Something in a body the editor should know about, at a line of the body."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class MarkdownResult:
    """The rendered body and the warnings raised while rendering it."""

    body: RenderedBody
    warnings: tuple[BodyWarning, ...]


def _block_line(tokens: Sequence[Token], index: int) -> int:
    for token in reversed(tokens[: index + 1]):
        if token.map is not None:
            return token.map[0]
    return 0


def _rewrite_links(state: StateCore) -> None:
    base_path: str = state.env["base_path"]
    links: list[BodyLink] = state.env["links"]
    for index, token in enumerate(state.tokens):
        if token.type != "inline" or not token.children:
            continue
        line = _block_line(state.tokens, index)
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
                continue
            attr = "href" if child.type == "link_open" else "src" if child.type == "image" else None
            if attr is None:
                continue
            target = str(child.attrGet(attr) or "")
            links.append(BodyLink(target, line, is_image=child.type == "image"))
            if target.startswith("/") and not target.startswith("//"):
                child.attrSet(attr, base_path + target[1:])


def _collect_headings(state: StateCore) -> None:
    headings: list[Heading] = state.env["headings"]
    for index, token in enumerate(state.tokens):
        if token.type == "heading_open" and token.attrGet("id"):
            text = state.tokens[index + 1].content
            headings.append(Heading(int(token.tag[1]), text, str(token.attrGet("id"))))


class _BodyRenderer(RendererHTML):
    """Shows raw HTML as text (noting its line) unless the site allows it."""

    def html_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return self._raw(tokens[idx].content, tokens[idx].map, env, block=True)

    def html_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return self._raw(tokens[idx].content, None, env, block=False)

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        """Render inline tokens, keeping count of the line each one is on."""
        env["inline_line"] = env.get("current_line", 0)
        parts: list[str] = []
        for index, token in enumerate(tokens):
            if token.type in self.rules:
                parts.append(self.rules[token.type](tokens, index, options, env))
            else:
                parts.append(self.renderToken(tokens, index, options, env))
            if token.type in ("softbreak", "hardbreak"):
                env["inline_line"] += 1
        return "".join(parts)

    def _raw(self, content: str, where: list[int] | None, env: EnvType, *, block: bool) -> str:
        if env["allow_raw_html"]:
            return content
        line = where[0] if where else env.get("inline_line", env.get("current_line", 0))
        env["raw_html_lines"].append(line)
        text = escape(content)
        return f"<p>{text.rstrip()}</p>\n" if block else text

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        parts: list[str] = []
        for index, token in enumerate(tokens):
            if token.map is not None:
                env["current_line"] = token.map[0]
            if token.type == "inline" and token.children is not None:
                parts.append(self.renderInline(token.children, options, env))
            elif token.type in self.rules:
                parts.append(self.rules[token.type](tokens, index, options, env))
            else:
                parts.append(self.renderToken(tokens, index, options, env))
        return "".join(parts)


def create_markdown() -> MarkdownIt:
    """The configured Markdown parser: CommonMark, tables, strikethrough, footnotes, anchors."""
    md = MarkdownIt("commonmark", {"html": True}, renderer_cls=_BodyRenderer)
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=1, max_level=4, slug_func=slugify_text)
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    md.core.ruler.push("sitegen_links", _rewrite_links)
    md.core.ruler.push("sitegen_headings", _collect_headings)
    return md


def render_markdown(
    md: MarkdownIt, body: str, *, base_path: str, body_line: int, allow_raw_html: bool
) -> MarkdownResult:
    """Render a body; lines in links and warnings are the file's own (body_line is line 1)."""
    env: dict[str, Any] = {
        "base_path": base_path,
        "links": [],
        "headings": [],
        "raw_html_lines": [],
        "allow_raw_html": allow_raw_html,
    }
    html = md.render(body, env)
    if allow_raw_html:
        html = nh3.clean(
            html,
            attributes=_SANITISER_ATTRIBUTES | {"a": {"href", "hreflang"}},
            url_schemes=set(SAFE_SCHEMES),
            link_rel=None,
        )
    warnings = tuple(
        BodyWarning(
            body_line + line,
            "raw HTML is shown as text",
        )
        for line in sorted(set(env["raw_html_lines"]))
    )
    links = tuple(
        BodyLink(link.target, body_line + link.line, link.is_image) for link in env["links"]
    )
    return MarkdownResult(RenderedBody(html, tuple(env["headings"]), links), warnings)


def render_inline_markdown(md: MarkdownIt, text: str, *, base_path: str) -> str:
    """Render one line of inline Markdown (a correction's text): raw HTML is shown as text."""
    env: dict[str, Any] = {
        "base_path": base_path,
        "links": [],
        "headings": [],
        "raw_html_lines": [],
        "allow_raw_html": False,
    }
    return str(md.renderInline(text, env))
