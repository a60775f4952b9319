"""Real images for tests, written by Pillow exactly as the evidence store writes what it keeps, so a stored copy
of one compares byte for byte with what was uploaded."""

from __future__ import annotations

import io

from PIL import Image

_OPTIONS: dict[str, dict[str, object]] = {"JPEG": {"quality": 92}}


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (16, 16), colour: tuple[int, int, int] = (10, 120, 200)
                ) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind, **_OPTIONS.get(kind, {}))
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
