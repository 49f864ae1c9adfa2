"""Draws the PartnerDesk app icon and writes every size Tauri's bundles need.

Run from the repository root: python3 icons/make_icons.py (needs Pillow).
"""

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZE = 1024


def draw_master() -> Image.Image:
    scale = 4  # supersample, then downscale for smooth edges
    canvas = SIZE * scale
    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))

    # Rounded square with a vertical blue gradient.
    gradient = Image.new("RGBA", (canvas, canvas))
    top, bottom = (37, 99, 235), (15, 45, 120)
    pixels = gradient.load()
    for y in range(canvas):
        t = y / (canvas - 1)
        colour = tuple(round(top[i] * (1 - t) + bottom[i] * t) for i in range(3)) + (255,)
        for x in range(canvas):
            pixels[x, y] = colour
    mask = Image.new("L", (canvas, canvas), 0)
    margin = 64 * scale
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin, canvas - margin, canvas - margin), radius=200 * scale, fill=255
    )
    image.paste(gradient, (0, 0), mask)

    draw = ImageDraw.Draw(image)
    white = (255, 255, 255, 255)
    teal = (45, 212, 191, 255)
    w = 56 * scale

    # Two partners (circles) joined by an exchange: arrow right on top, arrow left below.
    def arrow(y, x0, x1, colour):
        draw.line((x0, y, x1, y), fill=colour, width=w)
        head = 70 * scale
        direction = 1 if x1 > x0 else -1
        draw.polygon(
            [(x1 + direction * head * 0.6, y), (x1 - direction * head * 0.5, y - head), (x1 - direction * head * 0.5, y + head)],
            fill=colour,
        )

    cy = canvas // 2
    r = 120 * scale
    left_x, right_x = 300 * scale, canvas - 300 * scale
    arrow(cy - 150 * scale, left_x, right_x - 40 * scale, white)
    arrow(cy + 150 * scale, right_x, left_x + 40 * scale, teal)
    for cx, colour in ((left_x, white), (right_x, teal)):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        inner = r - w
        draw.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), fill=(23, 70, 180, 255))
    return image.resize((SIZE, SIZE), Image.LANCZOS)


def main() -> None:
    master = draw_master()
    master.save(HERE / "icon.png")
    for name, px in (("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256)):
        master.resize((px, px), Image.LANCZOS).save(HERE / name)
    master.save(HERE / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    master.save(HERE / "icon.icns")


if __name__ == "__main__":
    main()
