"""Item URLs normalised for comparison, and the short id an item gets from its URL."""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse

from url_normalize import url_normalize

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "wickedid", "ref_src", "cmpid", "ncid", "sr_share",
    }
)  # fmt: skip
"""Query parameters that say how a reader came to a page, not which page it is (with
every `utm_*` one)."""

ID_LENGTH = 8
"""Characters in an item's id: 40 bits of its normalised URL's hash."""


def is_web_url(url: str) -> bool:
    """Whether a URL is an absolute http(s) address with a host."""
    parts = urllib.parse.urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMETERS


def normalise_url(url: str) -> str:
    """The URL as compared, so that every spelling of one address meets.

    Scheme and host lower case, no default port, percent-encoding and path dots
    normalised, no fragment, no tracking parameters, no trailing slash.
    """
    normal = url_normalize(url.strip()) or url.strip()
    parts = urllib.parse.urlsplit(normal)
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not _is_tracking(urllib.parse.unquote_plus(pair.partition("=")[0]))
    )
    path = re.sub(r"/+$", "", parts.path)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def item_id(url: str) -> str:
    """An item's short id, the same for every spelling of its URL and across fetches."""
    digest = hashlib.blake2b(normalise_url(url).encode("utf-8"), digest_size=8).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:ID_LENGTH]
