"""Images: width and height on every image; responsive variants of report images, made with
Pillow once and cached under .sitegen-cache/images/ by the source's content and settings."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import sitegen.images
from tests.helpers import build, make_site, report_text, run_sitegen


def picture(width: int, height: int, fmt: str = "JPEG", **save: Any) -> bytes:
    """An image with some detail in it (a gradient), as a file's bytes."""
    mode = "RGBA" if fmt == "PNG" else "RGB"
    image = Image.new(mode, (width, height))
    image.putdata(
        [
            ((x * 255) // width, (y * 255) // height, 128, 200)[: len(mode)]
            for y in range(height)
            for x in range(width)
        ]
    )
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def report(image: str = "", body: str = "Body.\n") -> str:
    fields = {"title": "Photo report", "date": "2024-03-01"}
    if image:
        fields["image"] = f"{{src: {image}, alt: What the photo shows}}"
    return report_text(body, **fields)


def site_with(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    return make_site(tmp_path / "site", files, 'title = "Images"\nsearch = false\n')


def size_of(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def srcset(element: Any) -> list[tuple[str, str]]:
    return [
        (url, width) for url, width in (part.split() for part in element.get("srcset").split(", "))
    ]


def test_large_jpeg_gets_webp_and_jpeg_variants_up_to_1440(tmp_path: Path) -> None:
    site = site_with(
        tmp_path,
        {
            "content/reports/x.md": report("photo.jpg"),
            "content/reports/photo.jpg": picture(2000, 1000),
        },
    )
    run = build(site)
    folder = site / "output" / "reports" / "x"
    for width in (480, 960, 1440):
        for ext, fmt in (("webp", "WEBP"), ("jpg", "JPEG")):
            with Image.open(folder / f"photo-{width}w.{ext}") as variant:
                assert variant.format == fmt
                assert variant.size == (width, width // 2)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["index.html", "photo.jpg"]
        + [f"photo-{w}w.{e}" for w in (480, 960, 1440) for e in ("webp", "jpg")]
    )
    page = run.page("/reports/x/")
    (source,) = page.xpath("//figure//picture/source")
    assert source.get("type") == "image/webp"
    assert srcset(source) == [(f"/reports/x/photo-{w}w.webp", f"{w}w") for w in (480, 960, 1440)]
    (img,) = page.xpath("//figure//picture//img")
    assert img.get("src") == "/reports/x/photo.jpg"
    assert srcset(img) == [(f"/reports/x/photo-{w}w.jpg", f"{w}w") for w in (480, 960, 1440)]
    assert (img.get("width"), img.get("height")) == ("2000", "1000")
    assert source.get("sizes") == img.get("sizes")
    assert img.get("sizes")
    assert img.get("alt") == "What the photo shows"


def test_original_no_wider_than_1440_is_the_largest_of_its_format(tmp_path: Path) -> None:
    site = site_with(
        tmp_path,
        {
            "content/reports/x.md": report("photo.jpg"),
            "content/reports/photo.jpg": picture(1200, 800),
        },
    )
    page = build(site).page("/reports/x/")
    (source,) = page.xpath("//picture/source")
    assert srcset(source) == [
        ("/reports/x/photo-480w.webp", "480w"),
        ("/reports/x/photo-960w.webp", "960w"),
        ("/reports/x/photo-1200w.webp", "1200w"),
    ]
    (img,) = page.xpath("//picture//img")
    assert srcset(img) == [
        ("/reports/x/photo-480w.jpg", "480w"),
        ("/reports/x/photo-960w.jpg", "960w"),
        ("/reports/x/photo.jpg", "1200w"),
    ]
    assert size_of(site / "output/reports/x/photo-1200w.webp") == (1200, 800)
    assert size_of(site / "output/reports/x/photo-960w.jpg") == (960, 640)


def test_small_png_is_never_enlarged_and_keeps_its_alpha(tmp_path: Path) -> None:
    site = site_with(
        tmp_path,
        {
            "content/reports/x.md": report("small.png"),
            "content/reports/small.png": picture(300, 200, "PNG"),
        },
    )
    page = build(site).page("/reports/x/")
    (source,) = page.xpath("//picture/source")
    assert srcset(source) == [("/reports/x/small-300w.webp", "300w")]
    (img,) = page.xpath("//picture//img")
    assert srcset(img) == [("/reports/x/small.png", "300w")]
    assert (img.get("width"), img.get("height")) == ("300", "200")
    with Image.open(site / "output/reports/x/small-300w.webp") as variant:
        assert variant.size == (300, 200)
        assert variant.mode == "RGBA"
    assert not list((site / "output/reports/x").glob("*480w*"))


def test_static_image_variants_live_beside_it(tmp_path: Path) -> None:
    site = site_with(
        tmp_path,
        {
            "content/reports/x.md": report("/images/flood.jpg"),
            "static/images/flood.jpg": picture(1000, 500),
        },
    )
    page = build(site).page("/reports/x/")
    (source,) = page.xpath("//picture/source")
    assert srcset(source)[0] == ("/images/flood-480w.webp", "480w")
    assert size_of(site / "output/images/flood-480w.jpg") == (480, 240)


def test_webp_original_has_one_srcset_and_gif_none(tmp_path: Path) -> None:
    site = site_with(
        tmp_path,
        {
            "content/reports/w.md": report("photo.webp"),
            "content/reports/photo.webp": picture(1000, 500, "WEBP"),
            "content/reports/g.md": report("anim.gif"),
            "content/reports/anim.gif": picture(120, 60, "GIF"),
        },
    )
    run = build(site)
    webp = run.page("/reports/w/")
    assert not webp.xpath("//picture/source")
    (img,) = webp.xpath("//picture//img")
    assert srcset(img) == [
        ("/reports/w/photo-480w.webp", "480w"),
        ("/reports/w/photo.webp", "1000w"),
    ]
    gif = run.page("/reports/g/")
    assert not gif.xpath("//picture")
    (img,) = gif.xpath("//figure/img")
    assert (img.get("src"), img.get("width"), img.get("height")) == (
        "/reports/g/anim.gif",
        "120",
        "60",
    )
    assert img.get("srcset") is None


def test_exif_rotation_is_applied_to_size_and_variants(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: a 600 x 300 file shows 300 wide, 600 high
    site = site_with(
        tmp_path,
        {
            "content/reports/x.md": report("turned.jpg"),
            "content/reports/turned.jpg": picture(600, 300, exif=exif.tobytes()),
        },
    )
    page = build(site).page("/reports/x/")
    (img,) = page.xpath("//picture//img")
    assert (img.get("width"), img.get("height")) == ("300", "600")
    assert size_of(site / "output/reports/x/turned-300w.webp") == (300, 600)


def test_body_images_get_width_and_height(tmp_path: Path) -> None:
    body = (
        "![Beside](beside.png)\n\n![Static](/images/static.jpg)\n\n"
        "![Remote](https://example.org/remote.jpg)\n"
    )
    site = site_with(
        tmp_path,
        {
            "content/reports/x.md": report(body=body),
            "content/reports/beside.png": picture(64, 32, "PNG"),
            "static/images/static.jpg": picture(90, 45),
        },
    )
    page = build(site).page("/reports/x/")
    images = {img.get("alt"): img for img in page.xpath("//div[@class='report-body']//img")}
    assert (images["Beside"].get("width"), images["Beside"].get("height")) == ("64", "32")
    assert images["Beside"].get("src") == "beside.png"
    assert (images["Static"].get("width"), images["Static"].get("height")) == ("90", "45")
    assert images["Static"].get("loading") == "lazy"
    assert images["Remote"].get("width") is None


def test_every_image_of_the_sample_digest_has_width_and_height(tmp_path: Path) -> None:
    from tests.conftest import ROOT, copy_site

    site = copy_site(ROOT, tmp_path / "sample")
    (site / "sitegen.toml").write_text(  # first: after a [table], a key would be the table's
        "search = false\n" + (site / "sitegen.toml").read_text(encoding="utf-8"), "utf-8"
    )
    build(site)
    seen = 0
    for html in (site / "output").rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for tag in text.split("<img")[1:]:
            seen += 1
            tag = tag.split(">")[0]
            assert " width=" in tag and " height=" in tag, f"{html}: <img{tag}>"
    assert seen >= 3


class Counter:
    """Counts the calls to the function that decodes, resizes and encodes one variant."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = sitegen.images._render_variant

        def counted(*args: Any) -> None:
            self.calls += 1
            real(*args)

        monkeypatch.setattr(sitegen.images, "_render_variant", counted)


def test_unchanged_image_is_processed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = site_with(
        tmp_path,
        {
            "content/reports/x.md": report("photo.jpg"),
            "content/reports/photo.jpg": picture(1000, 500),
        },
    )
    counter = Counter(monkeypatch)
    build(site)
    assert counter.calls == 3  # 480 in JPEG; 480 and 1000 in WebP (960 is too near 1000)
    cache = site / ".sitegen-cache" / "images"
    times = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(times) == 3

    build(site)
    (site / "content/reports/x.md").write_text(report("photo.jpg", "Edited.\n"), "utf-8")
    build(site, "--output", str(tmp_path / "elsewhere"))
    assert counter.calls == 3
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == times
    assert size_of(tmp_path / "elsewhere/reports/x/photo-1000w.webp") == (1000, 500)

    (site / "content/reports/photo.jpg").write_bytes(picture(1000, 500, quality=50))
    build(site)
    assert counter.calls == 6
    assert len(list(cache.iterdir())) == 6


def test_check_makes_no_variants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = site_with(
        tmp_path,
        {
            "content/reports/x.md": report("photo.jpg"),
            "content/reports/photo.jpg": picture(1000, 500),
        },
    )
    counter = Counter(monkeypatch)
    assert run_sitegen(site, "check").exit_code == 0
    assert counter.calls == 0
    assert not (site / ".sitegen-cache" / "images").exists()


def test_missing_image_names_the_report_and_line(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"content/reports/x.md": report("nowhere.jpg")})
    run = run_sitegen(site, "build")
    assert run.exit_code == 1
    assert "content/reports/x.md:4: error: image file 'nowhere.jpg' not found" in run.output
    assert "Traceback" not in run.output


def test_broken_image_names_the_report_and_line(tmp_path: Path) -> None:
    whole = picture(1000, 500)
    site = site_with(
        tmp_path,
        {"content/reports/x.md": report("cut.jpg"), "content/reports/cut.jpg": whole[:1500]},
    )
    run = run_sitegen(site, "build")
    assert run.exit_code == 1
    assert "content/reports/x.md:4: error: cannot make a " in run.output
    assert " px copy of image 'cut.jpg': image file is truncated" in run.output
    assert "Traceback" not in run.output
    assert not (site / "output").exists()
