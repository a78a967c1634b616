"""The small news site the feed, sitemap and metadata tests build.

A site under a sub-path with a report translated into Korean, an image, a source with a
query string, a report without byline, and a report whose title and byline are hostile.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import make_site, png_bytes, report_text, run_sitegen

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).parent / "schemas"
BASE_URL = "https://example.org/digest/"
HOSTILE = '</script><script>alert(1)</script> & "quotes" <b>bold</b>'
SOURCE_URL = "https://example.net/news/12345?a=1&b=2"


def png(width: int, height: int) -> bytes:
    """A valid PNG image of the given size."""
    return png_bytes(width, height)


NEWS_CONFIG = f"""
title = "Desk & <Digest>"
description = "Short reports from the border."
base_url = "{BASE_URL}"
language = "en"
timezone = "Asia/Seoul"
per_page = 1
"""

NEWS_FILES: dict[str, str | bytes] = {
    "content/reports/2024/market.md": report_text(
        "Prices rose, says [the timeline](/timeline/).\n\n![Stalls](stalls.png)\n",
        title="Rice prices climb in Hyesan",
        date="2024-03-01",
        updated="2024-03-05",
        authors="[A. Writer, B. Writer]",
        summary="Rice costs more at the market.",
        tags="[markets, rice prices]",
        places="[Hyesan]",
        image="{src: stalls.png, alt: Stalls at the market, caption: The market, credit: A. Photo}",
        source=f'{{name: Example Daily, url: "{SOURCE_URL}", lang: ko}}',
    ),
    "content/reports/2024/stalls.png": png(8, 6),
    "content/reports/2024/market.ko.md": report_text(
        "쌀값이 올랐다.\n",
        title="혜산 쌀값 상승",
        date="2024-03-06",
        authors="[A. Writer]",
        summary="시장의 쌀값이 올랐다.",
        tags="[markets]",
        places="[Hyesan]",
        source=f'{{name: Example Daily, url: "{SOURCE_URL}", lang: ko}}',
    ),
    "content/reports/2024/hostile.md": report_text(
        "A body with <script>alert(3)</script> written in it.\n",
        title="'" + HOSTILE.replace("'", "''") + "'",
        date="2024-02-01",
        author="'<i>Someone</i>'",
        summary="'Ends </script> here'",
        tags="[markets]",
    ),
    "content/reports/2023/older.md": report_text(
        "An older report.\n",
        title="Ferry resumes",
        date="2023-05-01T09:30:00+09:00",
        tags="[transport]",
        places="[Hyesan]",
    ),
    "content/reports/2024/no-byline.md": report_text(
        "No author, no summary, no image.\n",
        title="Bridge repairs",
        date="2024-01-10",
        tags="[transport]",
    ),
}

MARKET_URL = BASE_URL + "reports/market/"
KO_MARKET_URL = BASE_URL + "ko/reports/market/"


def make_news_site(root: Path, extra_config: str = "") -> Path:
    """Write the news site into root."""
    return make_site(root, dict(NEWS_FILES), NEWS_CONFIG + extra_config)


def build_sample(output: Path) -> Path:
    """Build the sample digest in the repository's content/ into output."""
    run = run_sitegen(ROOT, "build", "--output", str(output))
    assert run.exit_code == 0, run.output
    return output
