"""The curation inbox: the outlets' feeds in, draft reports with their provenance out.

- `links`: URLs normalised for comparison, and the short id each item gets from its URL.
- `store`: the SQLite file of fetched items (`.sitegen-inbox.sqlite`, git-ignored).
- `fetch`: fetch and parse each configured feed into items.
- `desk`: which items reports cover, the desk's dismissals (`data/inbox-dismissed.txt`).
- `drafts`: write a draft report from an item, its source filled in.
- `page`: the dev server's inbox page, with Draft and Dismiss buttons.
"""
