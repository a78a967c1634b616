"""Draw the default theme's icons and social card, and the sample digest's own social card.

The mark is themes/default/static/favicon.svg; Chromium (through Playwright) draws it and the
cards, Pillow writes the PNG and ICO files. Run from the repository's root after changing the
mark: `python scripts/make_theme_images.py`.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
THEME_STATIC = ROOT / "themes" / "default" / "static"
CHROMIUM = "/usr/bin/chromium"


def sized(mark: str, pixels: int) -> str:
    """The mark's SVG at a size in pixels."""
    return mark.replace("<svg ", f'<svg width="{pixels}" height="{pixels}" ', 1)


def main() -> None:
    """Write the theme's icons and social card, and the sample digest's social card."""
    mark = (THEME_STATIC / "favicon.svg").read_text(encoding="utf-8")
    page_style = "margin:0;width:1200px;height:630px;display:flex;align-items:center"
    theme_card = (
        f'<body style="{page_style};justify-content:center;background:#0b5cad">'
        f"{sized(mark, 300)}</body>"
    )
    sample_card = (
        f'<body style="{page_style};gap:56px;padding:0 90px;box-sizing:border-box;'
        "background:#fdfcfa;color:#1d1d1f;font-family:'DejaVu Sans',sans-serif;"
        'border-bottom:24px solid #0b5cad">'
        f"<div style='flex:none'>{sized(mark, 220)}</div><div>"
        '<div style="font-size:76px;font-weight:700;line-height:1.05">Border Desk Digest</div>'
        '<div style="font-size:32px;color:#55575c;margin-top:24px;line-height:1.35">'
        "Markets, trade and daily life along the northern border, from the regional press"
        "</div></div></body>"
    )
    drawings = [
        (THEME_STATIC / "icon.png", f'<body style="margin:0">{sized(mark, 512)}</body>', 512, 512),
        (THEME_STATIC / "social.png", theme_card, 1200, 630),
        (ROOT / "static" / "social.png", sample_card, 1200, 630),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for path, html, width, height in drawings:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_content(html)
            page.screenshot(path=str(path), omit_background=path.name == "icon.png")
            page.close()
        browser.close()
    for path, _, _, _ in drawings:
        Image.open(path).save(path, optimize=True)
    with Image.open(THEME_STATIC / "icon.png") as icon:
        rgba = icon.convert("RGBA")
        rgba.save(THEME_STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
        rgba.resize((180, 180), Image.LANCZOS).save(
            THEME_STATIC / "apple-touch-icon.png", optimize=True
        )


if __name__ == "__main__":
    main()
