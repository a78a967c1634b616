"""The only writer: builds the new site beside output/ and swaps it in whole.

Files in output/ that sitegen did not make (a CNAME, a publishing worktree's .git) are
carried into the new site untouched; one that stands where a page must go stops the build.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sitegen.errors import SitegenError, SourceLocation

MANIFEST = ".sitegen-manifest"
_RENAME_EXCHANGE = 2


class OutputError(SitegenError):
    """The output folder cannot be written as asked."""


@dataclass(frozen=True, slots=True)
class OutputFile:
    """A file of the built site: its path under output/ and its bytes or the file to copy."""

    path: str
    content: bytes | None = None
    copy_from: Path | None = None


def _safe_relative(path: str) -> PurePosixPath:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise OutputError(f"refusing to write {path!r}: it is not inside the output folder")
    return relative


def check_output_folder(output: Path, root: Path, content: Path) -> None:
    """Refuse an output folder that is the site, holds it, or lies in content/."""
    output, root, content = output.resolve(), root.resolve(), content.resolve()
    if output == root or root.is_relative_to(output):
        raise OutputError(
            f"the output folder {output} holds the site itself", hint="use output/ or --output DIR"
        )
    if output == content or output.is_relative_to(content) or content.is_relative_to(output):
        raise OutputError(
            f"the output folder {output} overlaps content/", hint="use output/ or --output DIR"
        )


def _read_manifest(output: Path) -> set[str] | None:
    try:
        return set((output / MANIFEST).read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return set()


def _foreign_entries(output: Path, made: set[str]) -> list[str]:
    """Top-most paths in output/ that sitegen did not make."""
    made_dirs = {str(PurePosixPath(p).parent) for p in made}
    made_dirs |= {str(parent) for p in made for parent in PurePosixPath(p).parents}
    foreign: list[str] = []
    for folder, dirnames, filenames in os.walk(output):
        relative = Path(folder).relative_to(output).as_posix()
        prefix = "" if relative == "." else relative + "/"
        keep: list[str] = []
        for name in sorted(dirnames):
            path = prefix + name
            if path in made_dirs and not (Path(folder) / name).is_symlink():
                keep.append(name)
            else:
                foreign.append(path)
        dirnames[:] = keep
        for name in sorted(filenames):
            path = prefix + name
            if path not in made and path != MANIFEST:
                foreign.append(path)
    return foreign


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link (or copy) source into target, leaving source untouched."""
    if source.is_dir() and not source.is_symlink():
        target.mkdir(parents=True, exist_ok=True)
        for child in sorted(source.iterdir()):
            _link_tree(child, target / child.name)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step where the system allows it (Linux renameat2)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _remove_leftovers(output: Path) -> None:
    for leftover in output.parent.glob(f".{output.name}.*-sitegen"):
        shutil.rmtree(leftover, ignore_errors=True)


def write_output(files: Sequence[OutputFile], output: Path) -> None:
    """Write the whole site into a fresh folder, then swap it in for output/ at once."""
    output = output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(output)
    made_before = _read_manifest(output) if output.is_dir() else set()
    new_paths = {str(_safe_relative(f.path)) for f in files}
    foreign: list[str] = []
    if output.is_dir():
        if made_before is None:
            entries = sorted(p.name for p in output.iterdir())
            if entries:
                raise OutputError(
                    f"{output} was not made by sitegen and is not empty "
                    f"(it holds {', '.join(entries[:3])}{'...' if len(entries) > 3 else ''})",
                    SourceLocation(output),
                    "empty it, or build elsewhere with --output DIR",
                )
            made_before = set()
        foreign = _foreign_entries(output, made_before)
        for path in foreign:
            clash = path in new_paths or any(p.startswith(path + "/") for p in new_paths)
            if clash:
                raise OutputError(
                    f"output/{path} was not made by sitegen and stands where the site "
                    "writes a page",
                    SourceLocation(output / path),
                    "move or delete it, or rename the report",
                )
    elif output.exists():
        raise OutputError(f"{output} is a file, not a folder", SourceLocation(output))

    staging = output.parent / f".{output.name}.{os.getpid()}.new-sitegen"
    try:
        staging.mkdir()
        _write_files(files, staging)
        for path in foreign:
            _link_tree(output / path, staging / path)
        (staging / MANIFEST).write_text("\n".join(sorted(new_paths)) + "\n", encoding="utf-8")
        if not output.exists():
            os.rename(staging, output)
            return
        if _exchange(staging, output):
            shutil.rmtree(staging, ignore_errors=True)
            return
        retired = output.parent / f".{output.name}.{os.getpid()}.old-sitegen"
        os.rename(output, retired)
        os.rename(staging, output)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _write_files(files: Iterable[OutputFile], root: Path) -> None:
    made: set[Path] = set()
    for file in files:
        target = root / _safe_relative(file.path)
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if file.content is not None:
            target.write_bytes(file.content)
        elif file.copy_from is not None:
            shutil.copyfile(file.copy_from, target)
