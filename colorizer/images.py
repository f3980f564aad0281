"""Reading any image a user may drop: every failure becomes an ImageError naming the file and why."""
import os
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm",
                    ".pbm", ".pnm", ".jp2", ".ico", ".tga"}


class ImageError(Exception):
    """An input that cannot be used, with the reason in words a user understands."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def find_images(paths, skip=()) -> list:
    """Files and folders (searched recursively) -> image files, in a stable order. Files named
    explicitly are kept whatever their extension, so that a bad one is reported rather than skipped.
    Folders in `skip` are not searched (an output folder inside an input folder: a second run would
    otherwise colorize the first run's results)."""
    skip = {os.path.realpath(d) for d in map(os.fspath, skip)}
    found = []
    for p in map(os.fspath, paths):
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if os.path.realpath(os.path.join(root, d)) not in skip)
                found += [os.path.join(root, f) for f in sorted(files)
                          if os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS and not f.startswith(".")]
        else:
            found.append(p)
    return found


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Any Pillow mode -> uint8 RGB HxWx3; transparency is composited over white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        # 16-bit modes use the full 0..65535 scale, also when the picture is dark; the 32-bit ones carry
        # no scale, so values up to 255 are taken as 8-bit data
        top = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
        if im.mode == "F" and a.max() <= 1.0:
            top = 1.0
        g = np.round(np.clip(a / top, 0, 1) * 255).astype(np.uint8)
        return np.repeat(g[..., None], 3, axis=2)
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info)
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(im.convert("RGB"))


def _open(name) -> Image.Image:
    """Open and decode; the file is closed again if decoding fails (a multi-frame image keeps it open)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on odd metadata; the pixels are what count
        im = Image.open(name)
        try:
            im.load()
        except BaseException:
            im.close()
            raise
    return im


def load_rgb(source) -> np.ndarray:
    """A path or a PIL image -> uint8 RGB HxWx3, EXIF orientation applied. Raises ImageError."""
    if isinstance(source, Image.Image):
        im, name = source, "<image>"
    else:
        name = os.fspath(source)
        if os.path.isdir(name):
            raise ImageError(name, "is a folder, not an image")
        if not os.path.exists(name):
            raise ImageError(name, "file not found")
        if os.path.getsize(name) == 0:
            raise ImageError(name, "empty file (0 bytes)")
        try:
            im = _open(name)
        except Image.DecompressionBombError as e:
            raise ImageError(name, f"too many pixels to open safely (Pillow's decompression-bomb guard: {e})")
        except UnidentifiedImageError:
            raise ImageError(name, "not an image, or a format that cannot be read")
        except PermissionError:
            raise ImageError(name, "permission denied")
        except (OSError, ValueError, SyntaxError, EOFError) as e:
            reason = "truncated or corrupt image data" if "truncat" in str(e).lower() else f"cannot decode: {e}"
            raise ImageError(name, reason)
        except MemoryError:
            raise ImageError(name, "too large to fit in memory")
        except Exception as e:  # a damaged file can trip other errors inside a decoder (struct, index, ...)
            raise ImageError(name, f"cannot decode: {type(e).__name__}: {e}")
    opened = None if im is source else im
    try:
        try:
            im = ImageOps.exif_transpose(im)
        except Exception:  # a broken EXIF block should not cost the picture
            pass
        rgb = _to_rgb(im)
    except (OSError, ValueError) as e:
        raise ImageError(name, f"unsupported pixel format {im.mode!r}: {e}")
    finally:
        if opened is not None:  # a multi-frame file stays open after load(); the pixels are copied out
            opened.close()
    if rgb.ndim != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ImageError(name, f"has no pixels (size {rgb.shape[:2]})")
    return rgb
