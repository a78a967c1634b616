"""Screenshots of the home page and a report page, on a desktop and a phone, light and dark:
nothing scrolls sideways, and body text, headings and links keep a contrast of 4.5:1 or more.

The PNGs are saved under the test's tmp_path, to look at when a test fails; those of a report page
(English and Korean, light and dark, 390 and 1280 px) are kept for review in screenshots/ under
pytest's base folder (`--basetemp` chooses it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Served

CONTRAST = """(selector) => {
    const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const background = (e) => {
        for (; e; e = e.parentElement) {
            const [r, g, b, a = 1] = parse(getComputedStyle(e).backgroundColor);
            if (a > 0) return [r, g, b];
        }
        return [255, 255, 255];
    };
    const luminance = ([r, g, b]) => {
        const [R, G, B] = [r, g, b].map(v => {
            v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    return [...document.querySelectorAll(selector)]
        .filter(e => e.getClientRects().length && e.textContent.trim())
        .map(e => {
            const [r, g, b, a = 1] = parse(getComputedStyle(e).color);
            const bg = background(e);
            const fg = [r, g, b].map((v, i) => v * a + bg[i] * (1 - a));
            const [hi, lo] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
            return [e.tagName + " " + e.textContent.trim().slice(0, 40),
                    (hi + 0.05) / (lo + 0.05), lo];
        });
}"""
"""Each visible element's text colour against the background it stands on: the WCAG ratio."""

TEXT = {
    "body text": "main p, main li, .site-footer p",
    "headings": "h1, h2, h3",
    "links": "a[href]",
}


def report_with_image(served: Served) -> str:
    for url in served.pages():
        path = url[len(served.url) :]
        if path.startswith("reports/") and "<picture>" in (
            served.output / path / "index.html"
        ).read_text(encoding="utf-8"):
            return url
    raise AssertionError("the sample digest has no report with an image")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("kind", ["home", "report"])
def test_page_fits_and_reads(
    browser: Any, sample_digest: Served, tmp_path: Path, kind: str, width: int, scheme: str
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, device_scale_factor=1
    )
    page = context.new_page()
    page.goto(sample_digest.url if kind == "home" else report_with_image(sample_digest))
    shot = tmp_path / f"{kind}-{width}-{scheme}.png"
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as image:
        assert image.width == width
        assert image.height > 600

    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    low: list[str] = []
    for what, selector in TEXT.items():
        measured = page.evaluate(CONTRAST, selector)
        assert measured, f"no {what} on the page"
        for name, ratio, _ in measured:
            if ratio < 4.5:
                low.append(f"{what}: {name!r} {ratio:.2f}")
    assert low == []
    page_background = page.evaluate(
        "getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number)"
    )
    if scheme == "dark":
        assert max(page_background) < 64, "dark mode did not apply"
    else:
        assert min(page_background) > 192
    if kind == "report":
        image = page.locator("figure picture img")
        box = image.bounding_box()
        assert box["width"] <= width
        assert page.evaluate("document.querySelector('figure picture img').currentSrc")
    context.close()


REVIEW_REPORT = "reports/former-trade-official-held-over-smuggled-phones/"
"""A report of the sample digest with a Korean version."""


@pytest.fixture(scope="session")
def review_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots for review are kept: screenshots/ under pytest's base folder."""
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_report_screenshots_are_kept_for_review(
    browser: Any, sample_digest: Served, review_folder: Path, lang: str, width: int, scheme: str
) -> None:
    """report-<lang>-<width>-<scheme>.png, the whole page, in the folder review_folder names."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, device_scale_factor=1
    )
    page = context.new_page()
    prefix = "" if lang == "en" else f"{lang}/"
    page.goto(sample_digest.url + prefix + REVIEW_REPORT)
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot = review_folder / f"report-{lang}-{width}-{scheme}.png"
    page.screenshot(path=str(shot), full_page=True)
    context.close()
    with Image.open(shot) as image:
        assert image.width == width
        assert image.height > 600
