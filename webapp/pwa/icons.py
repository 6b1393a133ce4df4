"""Draw Tend's icons from simple shapes (``make icons``), instead of shipping downloads.

A seedling of two leaves on a calm green: app icons in 192 and 512 pixels, a maskable
icon with the drawing inside the safe zone, an Apple touch icon, a favicon, and a narrow
screenshot sketch of the editor for the install sheet. Needs Pillow (the ``test`` extra);
serving Tend does not.
"""

from __future__ import annotations

import sys
from pathlib import Path

from webapp.config import PROJECT_ROOT

GREEN = (46, 106, 78)
CREAM = (246, 244, 238)
LEAF = (143, 208, 173)
WHITE = (255, 255, 255)
INK = (29, 38, 33)
MUTED = (207, 214, 207)
SCALE = 4  # drawn large, then reduced: smooth edges without extra colours


def _seedling(draw, size: int, inset: float) -> None:
    """Two leaves on a stem, centred, inside ``inset`` of the canvas on every side."""
    box = size * (1 - 2 * inset)
    left = size * inset

    def at(x: float, y: float) -> tuple[float, float]:
        return (left + x * box, left + y * box)

    stem = max(2, round(box * 0.045))
    draw.line([at(0.5, 0.86), at(0.5, 0.42)], fill=CREAM, width=stem)
    draw.ellipse([*at(0.5, 0.24), *at(0.86, 0.46)], fill=LEAF)
    draw.ellipse([*at(0.14, 0.34), *at(0.5, 0.56)], fill=CREAM)
    draw.ellipse([*at(0.30, 0.82), *at(0.70, 0.90)], fill=LEAF)


def draw_icon(size: int, *, maskable: bool = False, rounded: bool = True):
    from PIL import Image, ImageDraw

    big = size * SCALE
    # A maskable icon is full-bleed and opaque: the phone cuts its own shape out of it.
    image = Image.new("RGBA", (big, big), (*GREEN, 255) if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        _seedling(draw, big, inset=0.22)  # the safe zone is the central 80% circle
    else:
        radius = big * 0.22 if rounded else 0
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=radius, fill=GREEN)
        _seedling(draw, big, inset=0.14)
    return _reduce(image, size, opaque=maskable or not rounded)


def _reduce(image, size: int, *, opaque: bool = False):
    from PIL import Image

    small = image.resize((size, size), Image.Resampling.LANCZOS)
    if opaque:
        small = small.convert("RGB")
    return small.quantize(colors=32, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def draw_screenshot(width: int = 540, height: int = 1080):
    """A sketch of the editor on a phone: the install sheet shows what Tend looks like."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), CREAM)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 96], fill=CREAM)
    icon = draw_icon(64).convert("RGBA")
    image.paste(icon, (28, 16), icon)
    draw.rounded_rectangle([28, 140, width - 28, 620], radius=28, fill=WHITE, outline=MUTED,
                           width=3)
    for row, length in enumerate([0.8, 0.9, 0.7, 0.85, 0.5]):
        y = 200 + row * 56
        draw.rounded_rectangle([64, y, 64 + (width - 128) * length, y + 18], radius=9, fill=MUTED)
    draw.rounded_rectangle([28, 660, 250, 740], radius=40, fill=GREEN)
    draw.rounded_rectangle([64, 690, 214, 710], radius=10, fill=CREAM)
    for index in range(3):
        top = 800 + index * 90
        draw.rounded_rectangle([28, top, width - 28, top + 70], radius=20, fill=WHITE,
                               outline=MUTED, width=3)
        draw.ellipse([52, top + 22, 78, top + 48], fill=LEAF)
        draw.rounded_rectangle([100, top + 27, 100 + 260 - index * 40, top + 43], radius=8,
                               fill=MUTED)
    return image.quantize(colors=16, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def generate(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "icon-192.png": draw_icon(192),
        "icon-512.png": draw_icon(512),
        "maskable-512.png": draw_icon(512, maskable=True),
        "apple-touch-icon.png": draw_icon(180, rounded=False),
        "favicon-32.png": draw_icon(32),
        "screenshot-narrow.png": draw_screenshot(),
    }
    written = []
    for name, image in files.items():
        path = folder / name
        image.save(path, optimize=True)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / "static" / "icons"
    for path in generate(target):
        print(f"{path} ({path.stat().st_size:,} bytes)")
