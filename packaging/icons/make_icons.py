"""Draw the app icon: a rounded square with two bars, the preferred one taller.

    python packaging/icons/make_icons.py   # writes prefmark.svg/.png/.ico/.icns beside this file

The SVG is the source for Linux desktops; the PNG, ICO (Windows) and ICNS (macOS) are rendered
with Pillow from the same geometry at 4x and scaled down, so edges stay smooth.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZE = 512
TOP, BOTTOM = (76, 110, 245), (54, 79, 199)  # indigo, light to dark
# (x0, y0, x1, y1) on the 512 canvas
TILE, TILE_RADIUS = (32, 32, 480, 480), 96
BARS = ((140, 150, 236, 372), (276, 246, 372, 372))  # chosen (tall), rejected (short)
BAR_RADIUS = 22
BAR_ALPHA = (255, 150)


def svg() -> str:
    """The icon as SVG, sharing the raster icon's geometry."""
    x0, y0, x1, y1 = TILE
    rects = "".join(
        f'<rect x="{a}" y="{b}" width="{c - a}" height="{d - b}" rx="{BAR_RADIUS}" '
        f'fill="#ffffff" fill-opacity="{alpha / 255:.2f}"/>'
        for (a, b, c, d), alpha in zip(BARS, BAR_ALPHA, strict=True)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}">'
        '<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="#{bytes(TOP).hex()}"/>'
        f'<stop offset="1" stop-color="#{bytes(BOTTOM).hex()}"/></linearGradient></defs>'
        f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="{TILE_RADIUS}" '
        f'fill="url(#g)"/>{rects}</svg>\n'
    )


def raster(size: int = SIZE, scale: int = 4) -> Image.Image:
    """The icon as an RGBA image of ``size`` pixels."""
    big = SIZE * scale

    def s(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)

    gradient = Image.new("RGBA", (big, big))
    draw = ImageDraw.Draw(gradient)
    for y in range(big):
        t = y / (big - 1)
        draw.line(
            [(0, y), (big, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM, strict=True)),
        )
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle(s(TILE), TILE_RADIUS * scale, fill=255)
    icon = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    icon.paste(gradient, (0, 0), mask)
    for box, alpha in zip(BARS, BAR_ALPHA, strict=True):
        layer = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        ImageDraw.Draw(layer).rounded_rectangle(
            s(box), BAR_RADIUS * scale, fill=(255, 255, 255, alpha)
        )
        icon = Image.alpha_composite(icon, layer)
    return icon.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every icon format the bundles use."""
    (HERE / "prefmark.svg").write_text(svg(), encoding="utf-8")
    image = raster()
    image.save(HERE / "prefmark.png", optimize=True)
    image.resize((256, 256), Image.Resampling.LANCZOS).save(
        HERE / "prefmark-256.png", optimize=True
    )
    image.save(
        HERE / "prefmark.ico",
        sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)],
    )
    image.save(HERE / "prefmark.icns")


if __name__ == "__main__":
    main()
