"""`sitegen check --external`: ask each source and translation URL whether it still answers.

Answers are cached in .sitegen-cache/external-links.json for a week, and requests to one
host are spaced out so a check never hammers an outlet.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sitegen.diagnostics import Diagnostic, Level
from sitegen.errors import SourceLocation
from sitegen.model import Report

CACHE_FILE = Path(".sitegen-cache") / "external-links.json"
CACHE_VERSION = 1
USER_AGENT = "sitegen-link-check/0.1"


@dataclass(frozen=True, slots=True)
class ExternalLink:
    """A URL from front matter and where it was written."""

    url: str
    location: SourceLocation
    label: str


@dataclass(frozen=True, slots=True)
class LinkAnswer:
    """What a URL answered: an HTTP status, or an error in words."""

    status: int | None
    error: str | None
    checked_at: float

    @property
    def ok(self) -> bool:
        """Whether the URL answered with a success or a redirect."""
        return self.status is not None and self.status < 400


def external_links(reports: Iterable[Report]) -> list[ExternalLink]:
    """Every source and translation URL in the reports, with its file and line."""
    found: list[ExternalLink] = []
    for report in reports:
        if report.source is not None:
            where = SourceLocation(report.file, report.line_of("source"))
            found.append(ExternalLink(report.source.url, where, "source.url"))
        for translation in report.translations:
            where = SourceLocation(report.file, report.line_of("translations"))
            found.append(ExternalLink(translation.url, where, f"translation ({translation.lang})"))
    return found


def fetch_status(url: str, timeout: float) -> LinkAnswer:
    """Ask a URL with HEAD (GET where HEAD is refused) and return what it answered."""
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return LinkAnswer(response.status, None, time.time())
        except urllib.error.HTTPError as error:
            if method == "HEAD" and error.code in (403, 405, 501):
                continue
            return LinkAnswer(error.code, None, time.time())
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            return LinkAnswer(None, str(reason), time.time())
    return LinkAnswer(None, "no answer", time.time())


class _HostPacer:
    """Spaces requests to one host at least `interval` seconds apart."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self.last: dict[str, float] = {}
        self.guard = threading.Lock()

    def wait(self, host: str) -> threading.Lock:
        with self.guard:
            lock = self.locks[host]
        lock.acquire()
        pause = self.last.get(host, 0.0) + self.interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        return lock

    def done(self, host: str, lock: threading.Lock) -> None:
        self.last[host] = time.monotonic()
        lock.release()


def _read_cache(path: Path) -> dict[str, LinkAnswer]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return {}
        return {
            url: LinkAnswer(entry["status"], entry["error"], float(entry["checked_at"]))
            for url, entry in data["answers"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_cache(path: Path, answers: dict[str, LinkAnswer]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": CACHE_VERSION,
        "answers": {
            url: {"status": a.status, "error": a.error, "checked_at": a.checked_at}
            for url, a in sorted(answers.items())
        },
    }
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    temporary.replace(path)


def check_external_links(
    reports: Iterable[Report],
    site_root: Path,
    *,
    max_age: float = 7 * 24 * 3600,
    per_host_interval: float = 1.0,
    timeout: float = 10.0,
    fetch: Callable[[str, float], LinkAnswer] = fetch_status,
) -> list[Diagnostic]:
    """Warn about every source or translation URL that does not answer with success."""
    links = external_links(reports)
    cache_path = site_root / CACHE_FILE
    answers = _read_cache(cache_path)
    now = time.time()
    wanted = sorted(
        {
            link.url
            for link in links
            if link.url not in answers
            or now - answers[link.url].checked_at > max_age
            or not answers[link.url].ok
        }
    )
    pacer = _HostPacer(per_host_interval)

    def ask(url: str) -> tuple[str, LinkAnswer]:
        host = urlsplit(url).netloc.lower()
        lock = pacer.wait(host)
        try:
            return url, fetch(url, timeout)
        finally:
            pacer.done(host, lock)

    if wanted:
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers.update(pool.map(ask, wanted))
        _write_cache(cache_path, answers)
    problems: list[Diagnostic] = []
    for link in links:
        answer = answers[link.url]
        if answer.ok:
            continue
        what = f"HTTP {answer.status}" if answer.status is not None else answer.error
        problems.append(
            Diagnostic(
                Level.WARNING,
                f"{link.label} {link.url} does not answer ({what})",
                link.location,
                "check the address, or link an archived copy",
            )
        )
    return problems
