"""Reading any image a user may drop: every failure becomes an ImageError naming the file and why.

Colour management: a source with an embedded ICC profile (Adobe RGB, Display P3, ProPhoto, a gray
gamma, CMYK, ...) is converted to sRGB (gray: to sRGB's tone curve) with littlecms through Pillow's
ImageCms before anything else, so its lightness is what the photo shows. A source without a profile
is taken as sRGB, as browsers and viewers take it. A profile that cannot be used (damaged, or of
another colour space than the pixels) is ignored with a ProfileWarning naming the file: the pixels are
still good, and refusing the photo would cost more than a small error in tone.
"""
import os
import warnings

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from . import icc
from .result_files import is_result

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm",
                    ".pbm", ".pnm", ".jp2", ".ico", ".tga"}


class ProfileWarning(UserWarning):
    """An embedded ICC profile that could not be used; the image was read as sRGB."""


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
    otherwise colorize the first run's results); where one is itself an input folder (results kept
    beside the photos), its photos are, but not the results in it (colorizer.result_files)."""
    skip = {os.path.realpath(d) for d in map(os.fspath, skip)}
    found = []
    for p in map(os.fspath, paths):
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if os.path.realpath(os.path.join(root, d)) not in skip)
                in_output = os.path.realpath(root) in skip
                found += [os.path.join(root, f) for f in sorted(files)
                          if os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS and not f.startswith(".")
                          and not (in_output and is_result(os.path.join(root, f)))]
        else:
            found.append(p)
    return found


WIDE_GRAY_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
GRAY_MODES = ("1", "L", "LA", "La") + WIDE_GRAY_MODES  # one channel (and maybe alpha)
RELATIVE_COLORIMETRIC, BLACK_POINT_COMPENSATION = 1, 0x2000  # littlecms's numbers (Pillow takes them)


def _wide_to_l(im: Image.Image) -> Image.Image:
    """A 16- or 32-bit gray image -> mode L."""
    a = np.asarray(im, dtype=np.float64)
    # 16-bit modes use the full 0..65535 scale, also when the picture is dark; the 32-bit ones carry
    # no scale, so values up to 255 are taken as 8-bit data
    top = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
    if im.mode == "F" and a.max() <= 1.0:
        top = 1.0
    return Image.fromarray(np.round(np.clip(a / top, 0, 1) * 255).astype(np.uint8))


def _to_array(im: Image.Image, keep_gray: bool) -> np.ndarray:
    """Any Pillow mode -> uint8 RGB HxWx3 (or HxW for a gray image if keep_gray); transparency is
    composited over white."""
    if im.mode in WIDE_GRAY_MODES:
        im = _wide_to_l(im)
    gray = im.mode in GRAY_MODES
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info)
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    if gray and keep_gray:
        return np.asarray(im.convert("L"))
    return np.asarray(im.convert("RGB"))


def _profile_warning(name, why: str) -> None:
    warnings.warn(f"{name}: {why}; the image is read as sRGB", ProfileWarning, stacklevel=3)


def _probe(mode: str) -> Image.Image:
    """Colours that test a transform: every gray, and a 17-level grid of the RGB cube."""
    ramp = np.arange(256, dtype=np.uint8)
    if mode == "L":
        return Image.fromarray(ramp[None])
    grid = np.stack(np.meshgrid(*[np.linspace(0, 255, 17).round().astype(np.uint8)] * 3), -1).reshape(1, -1, 3)
    return Image.fromarray(np.concatenate([np.repeat(ramp[None, :, None], 3, 2), grid], axis=1))


def _is_identity(transform, mode: str) -> bool:
    """True if the transform leaves the probe colours within 1 level (e.g. an embedded sRGB profile):
    littlecms interpolates its 8-bit transforms smoothly, so what holds on the grid holds between."""
    probe = _probe(mode)
    out = np.asarray(ImageCms.applyTransform(probe, transform), dtype=np.int16)
    return int(np.abs(out - np.asarray(probe, dtype=np.int16)).max()) <= 1


def to_srgb(im: Image.Image, name="<image>") -> Image.Image:
    """An image with an embedded ICC profile -> the same picture in sRGB (mode RGB, or L with sRGB's
    tone curve for a gray image; alpha kept). Without a profile, or with one that cannot be used
    (ProfileWarning), the image itself."""
    data = im.info.get("icc_profile")
    if not data:
        return im
    try:
        profile = icc.profile_of(data)
        space = profile.profile.xcolor_space.strip()
    except (OSError, ValueError, TypeError) as e:  # PyCMSError is an OSError
        _profile_warning(name, f"its embedded ICC profile cannot be read ({e})")
        return im
    alpha = im.getchannel("A") if im.mode in ("RGBA", "LA", "PA") else None
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        alpha = im.getchannel("A") if im.mode == "RGBA" else None
    if space == "GRAY" and im.mode in GRAY_MODES:
        base, target, mode = _wide_to_l(im) if im.mode in WIDE_GRAY_MODES else im.convert("L"), \
            icc.gray_profile(), "L"
    elif space == "RGB" and im.mode in ("RGB", "RGBA", "RGBX"):
        base, target, mode = im.convert("RGB"), icc.srgb_profile(), "RGB"
    elif space == "CMYK" and im.mode == "CMYK":
        base, target, mode = im, icc.srgb_profile(), "RGB"
    else:
        _profile_warning(name, f"its embedded ICC profile is for {space or 'an unknown'} colour, the pixels "
                         f"are {im.mode}")
        return im
    try:
        transform = ImageCms.buildTransform(profile, icc.profile_of(target), base.mode, mode,
                                            RELATIVE_COLORIMETRIC, BLACK_POINT_COMPENSATION)
        if base.mode == mode and _is_identity(transform, mode):  # an sRGB photo: skip 0.2 s per 12 MP
            return im
        out = ImageCms.applyTransform(base, transform)
    except (OSError, ValueError) as e:
        _profile_warning(name, f"its embedded ICC profile cannot be applied ({e})")
        return im
    if alpha is not None:
        out = out.convert("LA" if mode == "L" else "RGBA")
        out.putalpha(alpha)
    return out


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


def load_rgb(source, keep_gray: bool = False) -> np.ndarray:
    """A path or a PIL image -> uint8 RGB HxWx3 in sRGB, EXIF orientation applied. keep_gray: a
    one-channel source (gray, 16-bit gray, 1-bit) comes back as HxW instead. Raises ImageError."""
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
        rgb = _to_array(to_srgb(im, name), keep_gray)
    except (OSError, ValueError) as e:
        raise ImageError(name, f"unsupported pixel format {im.mode!r}: {e}")
    finally:
        if opened is not None:  # a multi-frame file stays open after load(); the pixels are copied out
            opened.close()
    if rgb.ndim not in (2, 3) or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ImageError(name, f"has no pixels (size {rgb.shape[:2]})")
    return rgb


# TIFF tags that describe a file's own pixel layout, not the photo (a TIFF source's IFD0 is its EXIF
# block): copied into another file they would be false. Also the ICC profile (outputs are sRGB), the
# thumbnail's offsets, XMP/IPTC/Photoshop blobs (they may repeat the old orientation and profile), and
# the MakerNote, whose private offsets point into the source file.
_LAYOUT_TAGS = {254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284, 290, 291,
                292, 293, 317, 318, 319, 320, 322, 323, 324, 325, 330, 338, 339, 340, 341, 347, 513, 514,
                529, 530, 531, 532, 700, 33723, 34377, 34675}
_EXIF_IFD, _GPS_IFD, _ORIENTATION, _MAKER_NOTE = 0x8769, 0x8825, 0x0112, 0x927C
_PIXEL_SIZE = (0xA002, 0xA003)  # the source's width and height, before turning


def read_metadata(path) -> dict:
    """The source's metadata worth keeping in its outputs: {'exif': Image.Exif or None (Orientation
    set to 1, as load_rgb has turned the pixels; layout tags left out), 'dpi': (x, y) or None}.
    Reads only the file's header; a file that cannot be read gives empty metadata (no error: the
    photo itself was read before, this is only its description)."""
    meta = {"exif": None, "dpi": None}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(os.fspath(path)) as im:
                dpi = im.info.get("dpi")
                if im.format == "TIFF":
                    exif = im.getexif()
                else:  # not getexif(): for a PNG without eXIf before its pixels it would decode them all
                    exif = Image.Exif()
                    raw = im.info.get("exif")
                    if raw:
                        exif.load(raw)
                exif_ifd = dict(exif.get_ifd(_EXIF_IFD)) if _EXIF_IFD in exif else {}
                gps_ifd = dict(exif.get_ifd(_GPS_IFD)) if _GPS_IFD in exif else {}
    except Exception:  # gone since it was read, or a damaged EXIF block
        return meta
    if dpi and all(isinstance(v, (int, float)) and v > 0 for v in dpi):
        meta["dpi"] = tuple(float(v) for v in dpi)
    elif exif.get(282) and exif.get(283) and exif.get(296, 2) in (2, 3):  # EXIF resolution, per inch or cm
        per_inch = 2.54 if exif.get(296, 2) == 3 else 1.0
        meta["dpi"] = (float(exif[282]) * per_inch, float(exif[283]) * per_inch)
    main = {t: v for t, v in exif.items() if t not in _LAYOUT_TAGS | {_EXIF_IFD, _GPS_IFD}}
    exif_ifd = {t: v for t, v in exif_ifd.items() if t not in (_MAKER_NOTE, *_PIXEL_SIZE, 0xA005)}
    if not (main or exif_ifd or gps_ifd):
        return meta
    kept = Image.Exif()
    for tags, ifd in ((main, None), (exif_ifd, _EXIF_IFD), (gps_ifd, _GPS_IFD)):
        for tag, value in tags.items():
            if _writable(tag, value, ifd):  # a tag Pillow cannot write again must not cost the photo
                (kept if ifd is None else kept.get_ifd(ifd))[tag] = value
    kept[_ORIENTATION] = 1
    meta["exif"] = kept
    return meta


def _writable(tag: int, value, ifd) -> bool:
    trial = Image.Exif()
    (trial if ifd is None else trial.get_ifd(ifd))[tag] = value
    try:
        trial.tobytes()
    except Exception:
        return False
    return True
