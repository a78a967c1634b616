"""The dev server's inbox page, `/__sitegen/inbox/`: the open items, Draft and Dismiss.

Every value from a feed is escaped: a title with markup or script shows as text. The
buttons POST forms that carry the server's secret; a draft made here opens at once at its
page's address, which the rebuild that follows fills in.
"""

from __future__ import annotations

import datetime as dt
import html
import urllib.parse
from pathlib import Path

from sitegen.config import ConfigErrors, SiteConfig, load_config
from sitegen.errors import SitegenError
from sitegen.inbox.desk import InboxEntry, dismiss_items, find_entry, inbox_entries
from sitegen.inbox.drafts import write_draft
from sitegen.inbox.store import STORE_NAME, open_store
from sitegen.serve import ENDPOINTS, PageAnswer, PageRequest
from sitegen.urls import fill_pattern, slugify_text

PAGE_NAME = "inbox"
"""The page's name: it is served at `/__sitegen/inbox/`."""
_HOME = f"{ENDPOINTS}{PAGE_NAME}/"
_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1a1a1a; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .5rem; border-bottom: 1px solid #ccc; }
.summary { color: #444; font-size: .9rem; }
form { display: inline; }
button { font: inherit; padding: .2rem .7rem; margin: .1rem; cursor: pointer; }
.note { background: #eef6ee; border-left: 4px solid #2a7a2a; padding: .5rem 1rem; }
.problem { background: #fbeeee; border-left: 4px solid #a32; padding: .5rem 1rem; }
"""


class InboxPage:
    """The inbox page for the site in `root`, as a `DevPage` of the dev server."""

    def __init__(self, root: Path, *, drafts_shown: bool) -> None:
        self.root = root
        self.drafts_shown = drafts_shown
        """Whether the server builds drafts, so that a new draft's page will appear."""

    def __call__(self, request: PageRequest) -> PageAnswer:
        """Answer a request for the page or one of its actions."""
        try:
            config = load_config(self.root)
        except ConfigErrors as errors:
            return _problem("\n".join(str(error) for error in errors.errors))
        except SitegenError as error:
            return _problem(str(error))
        if request.method == "POST":
            return self._act(config, request)
        if request.path:
            return PageAnswer(404, "not found", "text/plain; charset=utf-8")
        try:
            entries = self._entries(config)
        except SitegenError as error:
            return _problem(str(error))
        return PageAnswer(body=self._render(entries, request, config.zone))

    def _entries(self, config: SiteConfig) -> tuple[InboxEntry, ...]:
        if not (config.root / STORE_NAME).is_file():
            return ()
        with open_store(config.root) as store:
            items = store.items()
        return inbox_entries(config, items)

    def _act(self, config: SiteConfig, request: PageRequest) -> PageAnswer:
        action = request.path.strip("/")
        if action not in ("draft", "dismiss"):
            return PageAnswer(404, "not found", "text/plain; charset=utf-8")
        try:
            entry = find_entry(self._entries(config), request.form.get("id", ""))
            if action == "dismiss":
                today = dt.datetime.now(config.zone).date()
                dismiss_items(config.root, [entry.item], request.form.get("reason", ""), today)
                return _see(f"{_HOME}?dismissed={entry.item.id}")
            if entry.covered_by is not None:
                raise SitegenError(f"already covered by {entry.covered_by.as_posix()}")
            draft = write_draft(config, entry.item)
        except SitegenError as error:
            return _problem(str(error))
        relative = draft.path.relative_to(config.root).as_posix()
        if not self.drafts_shown or request.site is None:
            return _see(f"{_HOME}?drafted={urllib.parse.quote(relative)}")
        section = draft.path.relative_to(config.content_path).parts[0]
        url = fill_pattern(
            config.permalinks.report, section=section, slug=slugify_text(draft.path.stem)
        )
        return _see(request.site.base_path.rstrip("/") + url)

    def _render(
        self, entries: tuple[InboxEntry, ...], request: PageRequest, zone: dt.tzinfo
    ) -> str:
        rows = [self._row(e, request.secret, zone) for e in entries if e.is_open]
        notes: list[str] = []
        if "drafted" in request.query:
            notes.append(
                f"Draft written: {html.escape(request.query['drafted'])}. "
                + ("" if self.drafts_shown else "Serve with --drafts to see drafts on the site.")
            )
        if "dismissed" in request.query:
            notes.append(f"Dismissed {html.escape(request.query['dismissed'])}.")
        parts = [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Inbox: {len(rows)} open</title><style>{_STYLE}</style></head>",
            "<body><main><h1>Inbox</h1>",
            *(f'<p class="note" role="status">{note}</p>' for note in notes),
        ]
        if not rows:
            parts.append(
                "<p>Nothing open. <code>sitegen inbox fetch</code> asks the outlets' feeds "
                "for what they published; <code>sitegen inbox --all</code> lists every item.</p>"
            )
        else:
            parts += [
                f"<p>{len(rows)} item{'s' if len(rows) != 1 else ''} that no report covers "
                "yet, newest first.</p>",
                "<table><thead><tr><th scope=col>Date</th><th scope=col>Outlet</th>"
                "<th scope=col>Item</th><th scope=col>Decide</th></tr></thead><tbody>",
                *rows,
                "</tbody></table>",
            ]
        parts.append("</main></body></html>")
        return "\n".join(parts)

    def _row(self, entry: InboxEntry, secret: str, zone: dt.tzinfo) -> str:
        item = entry.item
        escape = html.escape
        when = item.day(zone).isoformat()
        summary = item.summary if len(item.summary) <= 300 else item.summary[:299] + "…"
        hidden = (
            f'<input type="hidden" name="secret" value="{escape(secret)}">'
            f'<input type="hidden" name="id" value="{escape(item.id)}">'
        )
        return (
            f'<tr id="item-{escape(item.id)}"><td><time datetime="{when}">{when}</time></td>'
            f"<td>{escape(item.outlet)} <small>({escape(item.lang)})</small></td>"
            f'<td><a href="{escape(item.url)}" rel="noopener noreferrer">{escape(item.title)}</a>'
            f'<div class="summary">{escape(summary)}</div></td><td>'
            f'<form method="post" action="{_HOME}draft">{hidden}'
            f'<button type="submit" aria-label="Draft: {escape(item.title)}">Draft</button></form>'
            f'<form method="post" action="{_HOME}dismiss">{hidden}'
            f'<button type="submit" aria-label="Dismiss: {escape(item.title)}">Dismiss</button>'
            "</form></td></tr>"
        )


def _see(location: str) -> PageAnswer:
    return PageAnswer(303, "", "text/plain; charset=utf-8", location)


def _problem(message: str) -> PageAnswer:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inbox: problem'
        f"</title><style>{_STYLE}</style></head><body><main><h1>Inbox</h1>"
        f'<p class="problem" role="alert">{html.escape(message)}</p>'
        f'<p><a href="{_HOME}">Back to the inbox</a></p></main></body></html>'
    )
    return PageAnswer(400, body)
