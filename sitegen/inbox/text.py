"""Plain text from what feeds and pages give: no markup, control characters or runs of spaces.

Apart from fetching, so that what reads it (drafts, the dev server's inbox page) does not
load the HTTP client and the feed parser.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What YAML (and so a draft's comment lines) cannot hold."""


def plain_text(value: str, markup: bool) -> str:
    """Text without markup (where `markup`), control characters or runs of spaces."""
    text = value
    if markup and "<" in value:
        try:
            root = lxml.html.fragment_fromstring(value, create_parent="div")
            for element in list(root.iter("script", "style", "template")):
                element.drop_tree()
            text = root.text_content()
        except (lxml.etree.ParserError, ValueError):
            text = re.sub(r"<[^>]*>", " ", value)
    return " ".join(_UNPRINTABLE.sub("", text).split())
