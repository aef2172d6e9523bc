"""Draw the phone app's icons (a white shield with an alert mark on Zhengqi red) as PNG files.

No image library and no downloads: a few shapes, 3x3 supersampled, written with zlib.
Run once after changing the design: `python -m core.web.make_icons`; the PNGs are committed.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "static" / "web" / "icons"
RED = (198, 40, 40)
WHITE = (255, 255, 255)
SAMPLES = 3


def _in_shield(x: float, y: float) -> bool:
    if 0.2 <= y <= 0.55:
        return abs(x - 0.5) <= 0.27
    if 0.55 < y <= 0.86:
        t = (y - 0.55) / 0.31
        return abs(x - 0.5) <= 0.27 * math.sqrt(max(0.0, 1 - t * t))
    return False


def _in_mark(x: float, y: float) -> bool:
    bar = abs(x - 0.5) <= 0.035 and 0.3 <= y <= 0.6
    dot = (x - 0.5) ** 2 + (y - 0.7) ** 2 <= 0.042**2
    return bar or dot


def _in_background(x: float, y: float, corner: float) -> bool:
    if corner == 0:
        return True
    cx = min(max(x, corner), 1 - corner)
    cy = min(max(y, corner), 1 - corner)
    return (x - cx) ** 2 + (y - cy) ** 2 <= corner**2


def _pixel(px: int, py: int, size: int, *, scale: float, corner: float) -> tuple[int, int, int, int]:
    r = g = b = a = 0.0
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            x = (px + (sx + 0.5) / SAMPLES) / size
            y = (py + (sy + 0.5) / SAMPLES) / size
            if not _in_background(x, y, corner):
                continue
            # The artwork shrinks towards the centre for the maskable icon's safe zone.
            ux, uy = 0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale
            colour = RED if _in_mark(ux, uy) or not _in_shield(ux, uy) else WHITE
            r, g, b, a = r + colour[0], g + colour[1], b + colour[2], a + 255
    n = SAMPLES * SAMPLES
    covered = a / 255 or 1
    return round(r / covered), round(g / covered), round(b / covered), round(a / n)


def _png(size: int, *, scale: float, corner: float) -> bytes:
    rows = bytearray()
    for py in range(size):
        rows.append(0)
        for px in range(size):
            rows.extend(_pixel(px, py, size, scale=scale, corner=corner))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon-192.png").write_bytes(_png(192, scale=1.0, corner=0.18))
    (OUT / "icon-512.png").write_bytes(_png(512, scale=1.0, corner=0.18))
    (OUT / "icon-maskable-512.png").write_bytes(_png(512, scale=0.78, corner=0.0))


if __name__ == "__main__":
    main()
