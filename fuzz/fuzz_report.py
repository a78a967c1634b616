"""Fuzz front-matter loading, validation and Markdown rendering with atheris.

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_report.py -max_total_time=600 -seed_inputs=<files>

Any exception other than sitegen's own SitegenError is a crash: atheris stops and saves
the input as crash-<hash>; each one found is fixed and kept as a test in
tests/test_fuzz_regressions.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from sitegen.config import SiteConfig
    from sitegen.content.discover import SourceFile
    from sitegen.content.report import validate_report
    from sitegen.errors import SitegenError
    from sitegen.markdown import create_markdown, render_markdown

SITE = Path(tempfile.mkdtemp(prefix="sitegen-fuzz-"))
(SITE / "content" / "reports").mkdir(parents=True)
CONFIG = SiteConfig(root=SITE)
SOURCE = SourceFile(
    path=SITE / "content" / "reports" / "fuzz.md",
    display=Path("content/reports/fuzz.md"),
    key="reports/fuzz.md",
    section="reports",
    stem="fuzz",
    lang_suffix=None,
)
MARKDOWN = create_markdown()


def test_one_input(data: bytes) -> None:
    """Load one input as a report; render its body with raw HTML off and on."""
    text = data.decode("utf-8", errors="replace")
    try:
        report = validate_report(text, SOURCE, CONFIG, lambda diagnostic: None)
    except SitegenError:
        return
    for allow_raw_html in (False, True):
        render_markdown(
            MARKDOWN,
            report.body,
            base_path="/digest/",
            body_line=report.body_line,
            allow_raw_html=allow_raw_html,
        )


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
