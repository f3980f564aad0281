"""ICC profiles: sRGB (built by littlecms through Pillow's ImageCms) and simple matrix/TRC profiles.

Pillow's ImageCms can build only sRGB, Lab and XYZ profiles. A gray output needs a gray profile (an
RGB profile is not valid in a one-channel JPEG or PNG), and tests need Adobe-RGB-like, Display P3,
ProPhoto, gamma-1.8 gray and CMYK sources, so those are written here by hand: an ICC v2 display profile is
a 128-byte header, a tag table and a few small tags (ICC.1:2001-04). They are tested against
littlecms: a gray profile with sRGB's curve converts to sRGB's neutral grays, an RGB one with sRGB's
primaries and curve to sRGB itself.
"""
import functools
import io
import struct

import numpy as np
from PIL import ImageCms

from .color import srgb_to_linear

D50 = (0.9642, 1.0, 0.8249)  # the profile connection space's white (ICC)
D65 = (0.95047, 1.0, 1.08883)
SRGB_CURVE = "srgb"

# primaries (x, y) of red, green, blue; white (X, Y, Z); curve: a gamma or SRGB_CURVE
SPACES = {
    "adobe-rgb": ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06), D65, 563 / 256),  # gamma 2.19921875, as stored
    "display-p3": ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), D65, SRGB_CURVE),
    "prophoto": ((0.7347, 0.2653), (0.1596, 0.8404), (0.0366, 0.0001), D50, 1.8),
    "srgb-like": ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06), D65, SRGB_CURVE),
}


@functools.lru_cache(maxsize=None)
def srgb_profile() -> bytes:
    """littlecms's built-in sRGB profile, as bytes for embedding."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@functools.lru_cache(maxsize=None)
def gray_profile(curve=SRGB_CURVE) -> bytes:
    """A gray display profile: sRGB's tone curve (the gray outputs), or a plain gamma."""
    return _profile(b"GRAY", "Gray, sRGB curve" if curve == SRGB_CURVE else f"Gray, gamma {curve:g}",
                    [(b"kTRC", _curve(curve))])


@functools.lru_cache(maxsize=None)
def rgb_profile(name: str) -> bytes:
    """A matrix/TRC RGB display profile of one of SPACES."""
    red, green, blue, white, curve = SPACES[name]
    m = _adapted_matrix(red, green, blue, white)  # columns: the D50 XYZ of full red, green, blue
    trc = _curve(curve)
    return _profile(b"RGB ", name, [(b"rXYZ", _xyz(m[:, 0])), (b"gXYZ", _xyz(m[:, 1])), (b"bXYZ", _xyz(m[:, 2])),
                                    (b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc)])


# a printing-like CMYK: the Lab colour of paper, each ink and each overprint; a 2-point-per-ink table,
# littlecms interpolates between its 16 corners. Black ink alone is a dark gray (L 20), not L 0, and
# cyan is far from the (0, 255, 255) that a profile-blind CMYK -> RGB gives, so a test can tell a
# colour-managed read from a naive one.
PAPER, INKS = (100.0, 0.0, 0.0), {"C": (-37.0, -50.0), "M": (74.0, -3.0), "Y": (-5.0, 93.0)}
INK_L = {"C": 55.0, "M": 48.0, "Y": 89.0, "K": 20.0}


def cmyk_corner(c: int, m: int, y: int, k: int) -> tuple:
    """Lab of one corner of the table: inks multiply lightness, their a*b* add and then fade with black."""
    L, a, b = PAPER
    for ink, on in zip("CMY", (c, m, y)):
        if on:
            L *= INK_L[ink] / 100
            a, b = a + INKS[ink][0], b + INKS[ink][1]
    if k:
        L *= INK_L["K"] / 100
        a, b = a * 0.3, b * 0.3
    return L, max(-128.0, min(127.0, a)), max(-128.0, min(127.0, b))


@functools.lru_cache(maxsize=None)
def cmyk_profile() -> bytes:
    """A CMYK output profile (class prtr, PCS Lab) whose A2B0 is a lut8 over cmyk_corner: for tests of
    CMYK sources, since ImageCms cannot build a CMYK profile and none may be downloaded."""
    identity = bytes(range(256))
    corners = [cmyk_corner(c, m, y, k) for c in (0, 1) for m in (0, 1) for y in (0, 1) for k in (0, 1)]
    clut = bytes(round(v) for L, a, b in corners for v in (L * 255 / 100, a + 128, b + 128))
    matrix = b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    lut = b"mft1" + bytes(4) + bytes([4, 3, 2, 0]) + matrix + identity * 4 + clut + identity * 3
    return _profile(b"CMYK", "CMYK, test inks", [(b"A2B0", lut)], device_class=b"prtr", pcs=b"Lab ")


def _curve(curve) -> bytes:
    if curve == SRGB_CURVE:  # sampled: a v2 profile has no parametric curves
        table = np.round(srgb_to_linear(np.linspace(0, 1, 1024)) * 65535).astype(">u2")
        return b"curv" + bytes(4) + struct.pack(">I", len(table)) + table.tobytes()
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(curve * 256))  # u8Fixed8 gamma


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(xyz) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15(v) for v in xyz)


def _text(s: str) -> bytes:
    return b"text" + bytes(4) + s.encode("ascii") + b"\0"


def _desc(s: str) -> bytes:
    ascii_ = s.encode("ascii") + b"\0"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_ + bytes(4 + 4 + 2 + 1 + 67)


def _adapted_matrix(red, green, blue, white) -> np.ndarray:
    """RGB -> XYZ under D50: the primaries scaled to give `white`, then Bradford-adapted to D50."""
    xy = np.array([red, green, blue], dtype=np.float64)
    prim = np.stack([xy[:, 0] / xy[:, 1], np.ones(3), (1 - xy[:, 0] - xy[:, 1]) / xy[:, 1]])  # columns
    m = prim * np.linalg.solve(prim, np.asarray(white))
    bradford = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
    cone = (bradford @ np.asarray(D50)) / (bradford @ np.asarray(white))
    return np.linalg.inv(bradford) @ np.diag(cone) @ bradford @ m


def _profile(space: bytes, description: str, tags: list, device_class=b"mntr", pcs=b"XYZ ") -> bytes:
    tags = [(b"desc", _desc(description)), (b"cprt", _text("No copyright, use freely")),
            (b"wtpt", _xyz(D50)), *tags]
    offset = 128 + 4 + 12 * len(tags)
    table, data, placed = [], b"", {}
    for sig, body in tags:
        if body not in placed:  # tags with equal contents share their data (r/g/bTRC)
            data += b"\0" * (-len(data) % 4)
            placed[body] = offset + len(data)
            data += body
        table.append(struct.pack(">4sII", sig, placed[body], len(body)))
    size = offset + len(data)
    header = struct.pack(">I4sI4s4s4s6H4sI4sIII8sI", size, b"lcms", 0x02100000, device_class, space, pcs,
                         2026, 1, 1, 0, 0, 0, b"acsp", 0, b"\0\0\0\0", 0, 0, 0, bytes(8), 0)
    header += b"".join(_s15(v) for v in D50) + bytes(4)
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + b"".join(table) + data


def profile_of(data: bytes) -> ImageCms.ImageCmsProfile:
    """Bytes -> a profile littlecms can use; OSError (PyCMSError) if it cannot."""
    return ImageCms.ImageCmsProfile(io.BytesIO(data))
