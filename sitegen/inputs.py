"""What a site is built from: the folders and files to watch, and their stamps.

`plan_watch` says which folders and files matter (content/, static/, templates/, data/,
i18n/, the theme in use and sitegen.toml), leaving out sitegen's own output/, .sitegen-cache/
(where output/'s twin is) and the folder beside output/ that holds the twin where the cache
is on another mount. `sitegen serve` watches them for events; `sitegen build` compares their
stamps with those of the build it starts from.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sitegen.cache import CACHE_DIR, FileStamp
from sitegen.config import CONFIG_NAME, SiteConfig
from sitegen.content.discover import is_editor_litter
from sitegen.errors import SitegenError
from sitegen.output import swap_folder
from sitegen.theme import load_theme


def is_editor_file(name: str) -> bool:
    """Whether a file name is an editor's swap, backup, lock or temporary file.

    Vim's `.name.swp` and its `4913` probe, `name~`, Emacs's `.#name` lock and `#name#`
    autosave, JetBrains' `name___jb_tmp___`, and anything hidden.
    """
    return is_editor_litter(name) or name == "4913" or "___jb_" in name


@dataclass(frozen=True, slots=True)
class WatchPlan:
    """What to watch for one configuration: every path absolute and resolved."""

    root: Path
    """The site's folder, watched on its own (not below) for sitegen.toml and new folders."""
    folders: tuple[Path, ...]
    """Folders watched with everything below them, whether or not they exist yet."""
    files: tuple[Path, ...]
    """Single files that matter: sitegen.toml."""
    excluded: tuple[Path, ...]
    """sitegen's own folders, never an edit even where they lie inside a watched folder, and
    the inbox's dismissals, which no page shows."""

    def is_relevant(self, path: Path) -> bool:
        """Whether an event at this path may change the site."""
        if path in self.files:
            return True
        if any(path == e or path.is_relative_to(e) for e in self.excluded):
            return False
        for folder in self.folders:
            if path == folder:
                return True
            if path.is_relative_to(folder):
                parts = path.relative_to(folder).parts
                return not any(part.startswith(".") for part in parts) and not is_editor_file(
                    parts[-1]
                )
        # A folder above a watched one (themes/ above themes/x/) made, moved or deleted.
        return path.parent == self.root and any(f.is_relative_to(path) for f in self.folders)


def plan_watch(config: SiteConfig) -> WatchPlan:
    """The folders and files a configuration's site is built from."""
    root = config.root.resolve()
    folders = [
        config.content_path,
        config.static_path,
        config.templates_path,
        config.data_path,
        config.root / "i18n",
    ]
    with contextlib.suppress(SitegenError):  # the build says what is wrong with the theme
        folders += load_theme(config).folders
    resolved = sorted({f.resolve() for f in folders})
    outermost = tuple(
        f for f in resolved if not any(f != o and f.is_relative_to(o) for o in resolved)
    )
    output = config.output_path.resolve()
    return WatchPlan(
        root=root,
        folders=outermost,
        files=(root / CONFIG_NAME,),
        excluded=(output, swap_folder(output), root / CACHE_DIR, config.dismissals_path.resolve()),
    )


InputStamps = Mapping[str, FileStamp]
"""Each file a site may be built from, by absolute path (as text), with its stamp."""


def input_stamps(plan: WatchPlan) -> dict[str, FileStamp]:
    """The stamp of every file in the planned folders and files that may change the site.

    Links are stamped as links, not followed: a link made, changed or removed is a change.
    """
    stamps: dict[str, FileStamp] = {}
    for file in plan.files:
        with contextlib.suppress(OSError):
            stamps[str(file)] = FileStamp.of_stat(file.lstat())
    excluded = {str(path) for path in plan.excluded}

    def visit(folder: str) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(".") or entry.path in excluded:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    visit(entry.path)
                    continue
                if is_editor_file(entry.name):
                    continue
                stamp = FileStamp.of_stat(entry.stat(follow_symlinks=False))
            except OSError:
                continue
            stamps[entry.path] = stamp

    for folder in plan.folders:
        visit(str(folder))
    return stamps


def changed_inputs(before: InputStamps, now: InputStamps) -> frozenset[Path]:
    """The files made, changed or removed between two sets of stamps."""
    changed = {path for path, stamp in now.items() if before.get(path) != stamp}
    changed.update(path for path in before if path not in now)
    return frozenset(Path(path) for path in changed)
