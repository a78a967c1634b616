"""The names at output/'s top that sitegen made, known after a rebuild from the paths it
added and removed (output/'s other names are the user's, kept across every swap)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sitegen.output import _top_names, _top_names_after

PATHS = st.lists(
    st.sampled_from(
        [
            "index.html",
            "tags",
            "tags/a/index.html",
            "tags/b/index.html",
            "tags-old/index.html",
            "tags.xml",
            "places/x/index.html",
            "feed.xml",
            "ko/index.html",
            "ko/tags/a/index.html",
        ]
    ),
    unique=True,
)


@given(before=PATHS, added=PATHS, removed=PATHS)
def test_the_top_names_after_a_rebuild_are_those_of_every_path_it_left(
    before: list[str], added: list[str], removed: list[str]
) -> None:
    added = [path for path in added if path not in before]
    removed = [path for path in removed if path in before and path not in added]
    after = sorted(set(before) - set(removed) | set(added))
    made = dict.fromkeys(after)
    assert _top_names_after(_top_names(before), made, added, removed) == _top_names(after)
