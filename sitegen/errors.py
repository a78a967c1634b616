"""Errors that carry where in the user's files something went wrong."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A place in a user's file: path (as shown to the user), line and column (1-based)."""

    path: Path
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        text = self.path.as_posix()
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        return text


class SitegenError(Exception):
    """A mistake in the user's content, configuration or templates."""

    def __init__(
        self, message: str, location: SourceLocation | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = self.message if self.hint is None else f"{self.message} ({self.hint})"
        return text if self.location is None else f"{self.location}: {text}"


class ConfigError(SitegenError):
    """A mistake in sitegen.toml or in the command-line options."""


class ContentError(SitegenError):
    """A mistake in a report's front matter or body."""


class TemplateError(SitegenError):
    """A mistake in a theme or site template."""
