"""Collect warnings and errors from every stage, de-duplicate them, apply --strict."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sitegen.errors import SitegenError, SourceLocation


class Level(enum.Enum):
    """How serious a diagnostic is."""

    NOTE = "note"
    """Something an editor may want to act on that is no mistake (a stale translation)."""
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One message for the user, tied to a place in their files where there is one."""

    level: Level
    message: str
    location: SourceLocation | None = None
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.level.value}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text if self.location is None else f"{self.location}: {text}"

    def sort_key(self) -> tuple[str, int, str]:
        """Order by file, then line, then message."""
        if self.location is None:
            return ("", 0, self.message)
        return (self.location.path.as_posix(), self.location.line or 0, self.message)


class Reporter:
    """Collects diagnostics from a build; tests may subclass it to observe them."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self._seen: set[Diagnostic] = set()
        self._diagnostics: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        """Record a diagnostic once; a repeat of the same one is dropped."""
        if diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self._diagnostics.append(diagnostic)

    def error(
        self, message: str, location: SourceLocation | None = None, hint: str | None = None
    ) -> None:
        """Record an error: the build will fail."""
        self.add(Diagnostic(Level.ERROR, message, location, hint))

    def warning(
        self, message: str, location: SourceLocation | None = None, hint: str | None = None
    ) -> None:
        """Record a warning: the build fails only under --strict."""
        self.add(Diagnostic(Level.WARNING, message, location, hint))

    def exception(self, error: SitegenError) -> None:
        """Record a SitegenError as an error diagnostic."""
        self.error(error.message, error.location, error.hint)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record several diagnostics."""
        for diagnostic in diagnostics:
            self.add(diagnostic)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every diagnostic so far, by file and line."""
        return tuple(sorted(self._diagnostics, key=Diagnostic.sort_key))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that fail the build (warnings too, under --strict; never notes)."""
        return tuple(
            d
            for d in self.diagnostics
            if d.level is Level.ERROR or (self.strict and d.level is Level.WARNING)
        )

    def has_errors(self) -> bool:
        """Whether the build must fail."""
        return bool(self.errors)

    def stop_if_errors(self) -> None:
        """Raise BuildFailed with every error so far, if there is one."""
        if self.errors:
            raise BuildFailed(self.errors)


class BuildFailed(Exception):
    """Raised by a stage when the reporter holds errors; the CLI prints them and exits 1."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__(f"{len(diagnostics)} error(s)")
        self.diagnostics = diagnostics
