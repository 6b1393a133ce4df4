"""Photos and drawings: re-encoded on the server, so nothing of the original file survives.

A photo from a phone carries where it was taken (EXIF GPS), the camera's serial number, the
software, XMP, comments. Tend decodes the pixels, turns them upright as the EXIF
orientation says, converts them to sRGB, scales them to at most 2048 px on the long side,
and writes a fresh file with none of that: JPEG for photos, PNG for drawings, plus a small
JPEG thumbnail. HEIC/HEIF photos from iPhones are decoded with pillow-heif.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

LONG_SIDE = 2048
THUMB_SIDE = 480
MAX_PIXELS = 80_000_000  # a 50-megapixel camera is fine; a decompression bomb is not
READABLE = ["JPEG", "PNG", "WEBP", "HEIF", "GIF"]
_SRGB = ImageCms.createProfile("sRGB")


class NotAnImage(ValueError):
    """What arrived is not a picture Tend can read."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int
    thumbnail: bytes


def _to_srgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if not profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        mode = "RGBA" if "A" in image.getbands() else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: photos become JPEG, and a drawing's thumbnail too."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    image.info = {}  # nothing from the original rides along: no EXIF, XMP, ICC, comments
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def clean_image(source: BinaryIO, *, drawing: bool = False) -> CleanImage:
    """Decode, turn upright, strip, scale and re-encode a picture; raises NotAnImage."""
    try:
        image = Image.open(source, formats=READABLE)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise NotAnImage("this picture has too many pixels to take in")
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _to_srgb(image)
    except NotAnImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, EOFError) as exc:
        raise NotAnImage(str(exc)) from exc
    if drawing:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    else:
        image = _flatten(image)
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    data = _encode(image.copy(), "PNG" if drawing else "JPEG")
    thumb = _flatten(image)
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return CleanImage(
        data=data,
        content_type="image/png" if drawing else "image/jpeg",
        width=image.width,
        height=image.height,
        thumbnail=_encode(thumb, "JPEG"),
    )
