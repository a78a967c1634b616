"""Images: width and height on every image, and responsive variants of report images.

A report's image gets narrower copies (480, 960 and 1440 px wide, never wider than the
original) in WebP and in its own format, for `<picture>` and `srcset`. They are made with
Pillow and kept under `.sitegen-cache/images/` in the site's folder, named by a hash of the
source file's bytes and the settings, so an unchanged image is processed only once.
Images in report bodies that live beside the report or under static/ get their width and
height written into the `<img>`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import imagesize
import PIL
from PIL import Image as Pillow
from PIL import ImageOps

from sitegen.config import SiteConfig
from sitegen.diagnostics import Reporter
from sitegen.errors import SourceLocation
from sitegen.model import Image, ImageSource, ImageVariant, Report
from sitegen.output import OutputFile

VARIANT_WIDTHS = (480, 960, 1440)
"""The widths variants are made at, where the original is wider."""
NEAR = 0.9
"""A width is skipped when within a tenth of the original's: it would save little."""
CACHE_FOLDER = Path(".sitegen-cache") / "images"
"""Where made variants are kept, under the site's folder."""
WEBP_QUALITY = 80
JPEG_QUALITY = 82
_SCHEME = "1"
"""Bump when the way variants are made changes, so cached ones are made again."""


@dataclass(frozen=True, slots=True)
class _Format:
    pillow: str
    extension: str
    media_type: str


_WEBP = _Format("WEBP", "webp", "image/webp")
_FORMATS = {
    ".jpg": _Format("JPEG", "jpg", "image/jpeg"),
    ".jpeg": _Format("JPEG", "jpg", "image/jpeg"),
    ".png": _Format("PNG", "png", "image/png"),
    ".webp": _WEBP,
}
"""Formats that get variants; GIF (often animated) and SVG (any width) are left as they are."""
_ROTATED = (5, 6, 7, 8)
"""EXIF orientations that swap width and height."""
_UNREADABLE = (OSError, ValueError, Pillow.DecompressionBombError)
"""What Pillow raises for a file it cannot read (UnidentifiedImageError is an OSError)."""
_SAVE_OPTIONS: dict[str, dict[str, int | bool]] = {
    "WEBP": {"quality": WEBP_QUALITY, "method": 6},
    "JPEG": {"quality": JPEG_QUALITY, "optimize": True, "progressive": True},
    "PNG": {"optimize": True},
}


def image_size(path: Path) -> tuple[int, int] | None:
    """An image's displayed width and height (EXIF rotation applied), or None if unreadable."""
    try:
        with Pillow.open(path) as image:
            width, height = image.size
            if image.getexif().get(0x0112) in _ROTATED:
                width, height = height, width
            return width, height
    except _UNREADABLE:
        pass
    try:
        width, height = imagesize.get(path)
    except (OSError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def plan_variants(image: Image) -> Image:
    """The image with the variants it will have, and its displayed size.

    No variants for GIF, SVG or an image whose size cannot be read. The largest is 1440 px
    wide at most; an original no wider than that is itself the largest of its own format.
    """
    if image.file is None:
        return image
    fmt = _FORMATS.get(image.file.suffix.lower())
    size = image_size(image.file)
    if size is None:
        return image
    width, height = size
    image = dataclasses.replace(image, width=width, height=height)
    if fmt is None:
        return image
    widths = [w for w in VARIANT_WIDTHS if w < width * NEAR]
    if width <= VARIANT_WIDTHS[-1]:
        widths.append(width)
    elif VARIANT_WIDTHS[-1] not in widths:
        widths.append(VARIANT_WIDTHS[-1])
    stem = posixpath.splitext(image.url)[0]
    sources: list[ImageSource] = []
    for each in (_WEBP, fmt) if fmt is not _WEBP else (fmt,):
        variants = tuple(
            ImageVariant(
                image.url if (each is fmt and w == width) else f"{stem}-{w}w.{each.extension}",
                w,
                max(1, round(height * w / width)),
            )
            for w in widths
        )
        sources.append(ImageSource(each.media_type, variants))
    return dataclasses.replace(image, sources=tuple(sources))


_IMG_RE = re.compile(r"<img\b([^>]*?)(\s*/?)>", re.IGNORECASE)
_SRC_RE = re.compile(r'\ssrc="([^"]*)"', re.IGNORECASE)


def _body_image_file(src: str, folder: Path, config: SiteConfig) -> Path | None:
    target = unquote(html.unescape(src).split("#")[0].split("?")[0])
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("//"):
        return None
    if target.startswith(config.base_path):
        static = config.static_path.resolve()
        file = (static / target[len(config.base_path) :]).resolve()
        return file if file.is_relative_to(static) and file.is_file() else None
    if "/" in target or not target:
        return None
    file = (folder / target).resolve()
    return file if file.parent == folder.resolve() and file.is_file() else None


def size_body_images(report: Report, config: SiteConfig, reporter: Reporter) -> Report:
    """Write width and height into the `<img>` tags of a report's body, where it can."""
    if report.rendered is None or "<img" not in report.rendered.html:
        return report
    folder = (config.root / report.file).parent
    lines = {link.target: link.line for link in report.rendered.links if link.is_image}

    def add_size(match: re.Match[str]) -> str:
        attributes = match.group(1)
        src = _SRC_RE.search(attributes)
        if src is None or re.search(r"\swidth=", attributes, re.IGNORECASE):
            return match.group(0)
        file = _body_image_file(src.group(1), folder, config)
        if file is None:
            return match.group(0)
        size = image_size(file)
        if size is None:
            written = html.unescape(src.group(1))
            reporter.warning(
                f"cannot read the size of image {written!r}",
                SourceLocation(report.file, lines.get(written)),
                "is it a JPEG, PNG, GIF, WebP or SVG file?",
            )
            return match.group(0)
        sized = f' width="{size[0]}" height="{size[1]}" loading="lazy" decoding="async"'
        return f"<img{attributes}{sized}{match.group(2)}>"

    body = _IMG_RE.sub(add_size, report.rendered.html)
    return dataclasses.replace(report, rendered=dataclasses.replace(report.rendered, html=body))


def prepare_images(report: Report, config: SiteConfig, reporter: Reporter) -> Report:
    """A report with its image's variants planned and its body images sized."""
    if report.image is not None:
        report = dataclasses.replace(report, image=plan_variants(report.image))
    return size_body_images(report, config, reporter)


def _wanted(reports: Iterable[Report]) -> dict[str, tuple[Report, Path, ImageVariant, str]]:
    """Output path -> (report, source file, variant, media type), for every variant to make."""
    wanted: dict[str, tuple[Report, Path, ImageVariant, str]] = {}
    for report in reports:
        image = report.image
        if image is None or image.file is None:
            continue
        for source in image.sources:
            for variant in source.variants:
                if variant.url != image.url:
                    path = variant.url.lstrip("/")
                    wanted.setdefault(path, (report, image.file, variant, source.media_type))
    return dict(sorted(wanted.items()))


def variant_paths(reports: Iterable[Report]) -> set[str]:
    """The output paths of every variant the reports' images will have."""
    return set(_wanted(reports))


def _cache_name(digest: str, variant: ImageVariant, fmt: _Format) -> str:
    settings = (
        f"{_SCHEME}:{digest}:{variant.width}x{variant.height}:{fmt.pillow}:"
        f"{WEBP_QUALITY}:{JPEG_QUALITY}:{PIL.__version__}"
    )
    return hashlib.sha256(settings.encode()).hexdigest()[:40] + "." + fmt.extension


def _render_variant(source: Path, variant: ImageVariant, fmt: _Format, target: Path) -> None:
    """Decode, resize and encode one variant into target (through a temporary file)."""
    with Pillow.open(source) as opened:
        image = ImageOps.exif_transpose(opened)
        alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if alpha and fmt.pillow != "JPEG" else "RGB")
        if image.size != (variant.width, variant.height):
            image = image.resize((variant.width, variant.height), Pillow.Resampling.LANCZOS)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            image.save(temporary, fmt.pillow, **_SAVE_OPTIONS[fmt.pillow])
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


def make_variants(
    reports: Iterable[Report], config: SiteConfig, reporter: Reporter
) -> list[OutputFile]:
    """The variant files of every report image, each made once and then taken from the cache.

    An image Pillow cannot read is an error naming the report and its `image:` line.
    """
    cache = config.root / CACHE_FOLDER
    digests: dict[Path, str] = {}
    failed: set[Path] = set()
    files: list[OutputFile] = []
    for path, (report, source, variant, media_type) in _wanted(reports).items():
        if source in failed:
            continue
        fmt = _WEBP if media_type == _WEBP.media_type else _FORMATS[source.suffix.lower()]
        if source not in digests:
            digests[source] = hashlib.sha256(source.read_bytes()).hexdigest()
        target = cache / _cache_name(digests[source], variant, fmt)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                _render_variant(source, variant, fmt, target)
            except _UNREADABLE as error:
                failed.add(source)
                reporter.error(
                    f"cannot make a {variant.width} px copy of image {source.name!r}: {error}",
                    SourceLocation(report.file, report.line_of("image")),
                    "is the file a whole, readable JPEG, PNG or WebP image?",
                )
                continue
        files.append(OutputFile(path, copy_from=target, cached=True))
    return files
