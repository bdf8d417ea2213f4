"""Draw the PWA icons (run once; the PNGs are committed under ``static/icons``).

``uv run python -m smartcity.web.icons`` redraws them: a teal tile with the Saigon river
and a map pin, at 192 and 512 px, a maskable 512 px variant with a safe margin, and a
multi-size ``favicon.ico``.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ICON_DIR = Path(__file__).resolve().parent / "static" / "icons"
THEME_COLOUR = "#0b5f73"
RIVER_COLOUR = "#7fd3e6"
PIN_COLOUR = "#ffffff"


def draw_icon(size: int, *, maskable: bool = False) -> Image.Image:
    """One icon; a maskable icon keeps its drawing inside the central 80 % circle."""
    scale = 4  # draw large, then downsample for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=THEME_COLOUR)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=THEME_COLOUR)
    inset = 0.2 if maskable else 0.1
    left, span = big * inset, big * (1 - 2 * inset)

    def point(x: float, y: float) -> tuple[float, float]:
        return (left + x * span, left + y * span)

    river = [point(x / 60, 0.8 + 0.07 * math.sin(x / 60 * 2.4 * math.pi)) for x in range(61)]
    draw.line(river, fill=RIVER_COLOUR, width=int(span * 0.09), joint="curve")
    cx, cy, radius = left + span * 0.5, left + span * 0.36, span * 0.22
    draw.polygon(
        [
            point(0.5, 0.8),
            (cx - radius * 0.87, cy + radius * 0.5),
            (cx + radius * 0.87, cy + radius * 0.5),
        ],
        fill=PIN_COLOUR,
    )
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=PIN_COLOUR)
    hole = radius * 0.42
    draw.ellipse((cx - hole, cy - hole, cx + hole, cy + hole), fill=THEME_COLOUR)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw_icon(size).save(ICON_DIR / f"icon-{size}.png", optimize=True)
    draw_icon(512, maskable=True).save(ICON_DIR / "icon-maskable-512.png", optimize=True)
    draw_icon(180, maskable=True).convert("RGB").save(
        ICON_DIR / "apple-touch-icon.png", optimize=True
    )
    draw_icon(64).save(ICON_DIR / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64)])


if __name__ == "__main__":
    main()
