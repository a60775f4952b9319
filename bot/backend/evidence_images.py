"""Evidence images decoded and written anew, so the store keeps pixels and nothing else.

Agents open evidence in a browser. A file that is an image to the type check and a page or a script to a browser
(a GIF/HTML polyglot), or that carries the seller's location in EXIF, must not come out as it went in: only the
decoded pixels are written back, in the same format, with the EXIF orientation applied and no metadata (EXIF,
XMP, comments, text chunks). An embedded colour profile is applied (converted to sRGB) rather than kept.
Animated GIF, PNG (APNG) and WebP files keep every frame and its duration; a JPEG keeps its first picture only
(an MPO's second picture is a stereo view or a preview). The pixel count is checked from the header, before
anything is decoded, so a few kilobytes that would decode to gigabytes are refused at once.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from bot.backend.errors import ApiError

MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo fits
MAX_ANIMATION_PIXELS = 200_000_000  # all frames together
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
_SAVE_OPTIONS: dict[str, dict[str, object]] = {"JPEG": {"quality": 92}, "WEBP": {"quality": 90}}
_SRGB = ImageCms.createProfile("sRGB")


def reencode(source: Path, content_type: str, target: Path) -> None:
    """Write the image at `source` anew to `target`; ApiError 413 for too many pixels, 422 for a file that
    doesn't decode as the type its first bytes claim."""
    kind = _FORMATS[content_type]
    try:
        with Image.open(source, formats=[kind]) as image:
            _check_pixels(image)
            frames, durations = _frames(image, animated=kind != "JPEG")
            first, rest = frames[0], frames[1:]
            options = dict(_SAVE_OPTIONS.get(kind, {}))
            if rest:
                options.update(save_all=True, append_images=rest, duration=durations,
                               loop=int(image.info.get("loop", 0)))
            with target.open("wb") as out:
                first.save(out, kind, **options)
    except Image.DecompressionBombError as failure:  # Pillow's own check, at open, for the largest bombs
        raise _too_large() from failure
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as failure:
        # Pillow reports a damaged, truncated or mislabelled file with any of these
        raise ApiError(422, "image_unreadable", "The image can't be read; it may be damaged. Please send it "
                                                "again or take a new photo.") from failure


def _check_pixels(image: Image.Image) -> None:
    pixels = image.width * image.height
    if pixels > MAX_PIXELS or pixels * getattr(image, "n_frames", 1) > MAX_ANIMATION_PIXELS:
        raise _too_large()


def _too_large() -> ApiError:
    return ApiError(413, "image_too_large",
                    f"The image has more pixels than we accept (up to {MAX_PIXELS // 1_000_000} megapixels); "
                    "please send a smaller photo.", {"limit_pixels": MAX_PIXELS})


def _frames(image: Image.Image, animated: bool) -> tuple[list[Image.Image], list[int]]:
    """Every frame as bare pixels (the first only unless `animated`), with each frame's duration in ms."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image) if animated else [image]:
        durations.append(int(frame.info.get("duration", 100)))
        frames.append(_bare(frame))
    return frames, durations


def _bare(frame: Image.Image) -> Image.Image:
    """The frame's pixels upright and in sRGB, in a new image that carries no metadata but its transparency."""
    upright = ImageOps.exif_transpose(frame)
    profile = frame.info.get("icc_profile")
    if profile and upright.mode in ("RGB", "RGBA"):
        upright = ImageCms.profileToProfile(upright, io.BytesIO(profile), _SRGB, outputMode=upright.mode)
    bare = upright.copy()
    transparency = frame.info.get("transparency")
    bare.info = {} if transparency is None else {"transparency": transparency}
    return bare
