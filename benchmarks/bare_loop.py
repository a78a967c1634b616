"""The floor for a cold build: the bare read-parse-render-write loop, on 2 processes.

    .venv/bin/python benchmarks/bare_loop.py --site /tmp/bench-1000/sitegen --out /tmp/bare

For every report under `<site>/content/` (sitegen's format): read the file, split and
parse its front matter with python-frontmatter (PyYAML's C loader), render the body with
markdown-it-py (`commonmark` plus tables), render a small Jinja template with the title,
the date and the body, and write `<out>/reports/<slug>/index.html`. The files are split
into chunks shared by a `multiprocessing.Pool` of `--processes` workers (2).

Nothing else: no validation, no taxonomies, lists, feeds, sitemap, search or assets. It
is what any generator has to do at least, with the same libraries sitegen uses; sitegen's
cold build is compared against it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import frontmatter
import frontmatter.default_handlers
import jinja2
import yaml
from markdown_it import MarkdownIt

TEMPLATE = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<article>
<h1>{{ title }}</h1>
<p><time datetime="{{ date }}">{{ date }}</time></p>
{{ body | safe }}
</article>
</body>
</html>
"""

_md: MarkdownIt | None = None
_template: jinja2.Template | None = None
_out: Path | None = None


def _init_worker(out: Path) -> None:
    """Build the Markdown renderer and the template once per worker."""
    global _md, _template, _out
    _md = MarkdownIt("commonmark").enable("table")
    _template = jinja2.Environment(autoescape=True).from_string(TEMPLATE)
    _out = out


def render_one(path: Path, md: MarkdownIt, template: jinja2.Template, out: Path) -> Path:
    """Read, parse, render and write one report; return the page written."""
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    slug = str(post.get("slug") or path.name.removesuffix(".md"))
    html = template.render(title=post["title"], date=post["date"], body=md.render(post.content))
    target = out / "reports" / slug / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def _render_chunk(paths: list[Path]) -> int:
    assert _md is not None and _template is not None and _out is not None
    for path in paths:
        render_one(path, _md, _template, _out)
    return len(paths)


def run(site: Path, out: Path, processes: int = 2, chunk_size: int = 50) -> int:
    """Render every report of `site` into `out`; return how many pages were written."""
    # The whole point is the C loader: fail loudly if python-frontmatter would not use it.
    if frontmatter.default_handlers.SafeLoader is not yaml.CSafeLoader:
        raise RuntimeError("PyYAML has no C loader here (libyaml missing)")
    paths = sorted((site / "content").rglob("*.md"))
    chunks = [paths[i : i + chunk_size] for i in range(0, len(paths), chunk_size)]
    out.mkdir(parents=True, exist_ok=True)
    with multiprocessing.Pool(processes, initializer=_init_worker, initargs=(out,)) as pool:
        return sum(pool.imap_unordered(_render_chunk, chunks))


def main(argv: list[str] | None = None) -> int:
    """Command line: --site DIR --out DIR [--processes 2] [--chunk-size 50]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, required=True, help="a sitegen site folder")
    parser.add_argument("--out", type=Path, required=True, help="where to write the pages")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--chunk-size", type=int, default=50, help="reports per task (50)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    pages = run(args.site, args.out, args.processes, args.chunk_size)
    if not args.quiet:
        elapsed = time.perf_counter() - start
        print(f"{pages} pages in {elapsed:.2f} s into {args.out}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
