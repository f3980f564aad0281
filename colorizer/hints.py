"""Colour hints: "this spot, and what belongs with it, has this colour".

A Hint is a point in the photo's own pixels as shown (x from the left, y from the top, after EXIF
orientation) and an sRGB colour "#rrggbb"; only the colour's chroma (its ab) counts, the photo keeps its
lightness. The network takes hints as a map at its input size (colorizer.nets.lite_unet): ab / HINT_AB_SCALE
over a small patch around each point, and a mask that is 1 there.

HINTS.json, the file format of the command line and the window:
    {"hints": [{"x": 412, "y": 220, "color": "#5a8f3c"}, ...]}

Training simulates hints from the truth as Zhang, Zhu et al. (2017) did: a number of points geometric
with p = 1/8 (one crop in eight has none), drawn around the centre (std a quarter of each side), each the
mean true ab of a 1x1 to 9x9 patch. hints_from_truth makes the same kind of hints for a whole photo
(colorizer evaluate --hints N).
"""
import json
import math
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HINT_AB_SCALE = 110.0  # ab / this is about [-1, 1] for every colour sRGB holds
HINT_CHANNELS = 3  # a, b and the mask
MAX_HINTS = 500  # more is a script gone wrong, not a person's clicks (and each costs a patch write)
PATCH = 3  # side of the patch a user's hint covers at the network's resolution (pixels)
COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")


class HintError(ValueError):
    """A hint file or hint that cannot be used, with the reason (and the file, where there is one)."""


@dataclass(frozen=True)
class Hint:
    x: float
    y: float
    color: str  # "#rrggbb"

    def __post_init__(self):
        if not isinstance(self.color, str) or not COLOR_RE.fullmatch(self.color):
            raise HintError(f"colour {self.color!r} is not #rrggbb")
        for name in ("x", "y"):
            v = getattr(self, name)
            try:  # an int too large for a float (JSON has no limit on digits) is no pixel either
                finite = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
            except OverflowError:
                finite = False
            if not finite:
                raise HintError(f"{name} {reprlib.repr(v)} is not a number within the photo")

    @property
    def rgb(self) -> tuple:
        return tuple(int(self.color[i:i + 2], 16) for i in (1, 3, 5))

    @property
    def ab(self) -> np.ndarray:
        """The colour's (a, b) in CIE Lab (rgb2lab's, to within a few thousandths, without scikit-image,
        which the packaged app leaves out)."""
        from .color import rgb_to_lab_fast
        return rgb_to_lab_fast(np.array([self.rgb], np.uint8))[0, 1:]

    def to_dict(self) -> dict:
        x, y = (int(v) if float(v).is_integer() else float(v) for v in (self.x, self.y))
        return {"x": x, "y": y, "color": self.color.lower()}

    @classmethod
    def from_rgb(cls, x, y, rgb) -> "Hint":
        return cls(x, y, "#%02x%02x%02x" % tuple(int(round(c)) for c in rgb))


def check_hints(hints, size: tuple) -> list:
    """hints inside a photo of size (height, width), at most MAX_HINTS; HintError naming the first
    that is not."""
    hints = list(hints or [])
    if len(hints) > MAX_HINTS:
        raise HintError(f"{len(hints)} hints; at most {MAX_HINTS} are taken")
    h, w = size
    for i, hint in enumerate(hints):
        if not (0 <= hint.x < w and 0 <= hint.y < h):
            raise HintError(f"hint {i + 1} at ({hint.x:g}, {hint.y:g}) lies outside the {w}x{h} photo")
    return hints


def parse_hints(data) -> list:
    """The parsed JSON of a HINTS.json -> [Hint]. HintError with the reason."""
    if not isinstance(data, dict) or not isinstance(data.get("hints"), list):
        raise HintError('expected an object {"hints": [{"x": ..., "y": ..., "color": "#rrggbb"}, ...]}')
    if len(data["hints"]) > MAX_HINTS:
        raise HintError(f"{len(data['hints'])} hints; at most {MAX_HINTS} are taken")
    out = []
    for i, item in enumerate(data["hints"]):
        if not isinstance(item, dict) or not {"x", "y", "color"} <= set(item):
            raise HintError(f"hint {i + 1} is not an object with x, y and color")
        try:
            out.append(Hint(item["x"], item["y"], item["color"]))
        except HintError as e:
            raise HintError(f"hint {i + 1}: {e}") from None
    return out


def load_hints(path, size: tuple = None) -> list:
    """Read a HINTS.json; with size (height, width) also check every point lies in the photo. Raises
    HintError naming the file and the reason: the photo is never colorized with half its hints."""
    path = Path(path)
    try:
        # utf-8-sig: Windows Notepad starts the file with a byte-order mark
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise HintError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise HintError(f"{path}: cannot be read ({e})") from None
    except json.JSONDecodeError as e:
        raise HintError(f"{path}: not JSON ({e})") from None
    except RecursionError:
        raise HintError(f"{path}: not a hint file (its JSON is nested too deeply)") from None
    except ValueError:  # JSON's only other error: a number of more digits than Python converts
        raise HintError(f"{path}: not a hint file (a number in it has too many digits to read)") from None
    try:
        hints = parse_hints(data)
        return check_hints(hints, size) if size is not None else hints
    except HintError as e:
        raise HintError(f"{path}: {e}") from None


def save_hints(path, hints) -> Path:
    path = Path(path)
    path.write_text(json.dumps({"hints": [h.to_dict() for h in hints]}, indent=1) + "\n", encoding="utf-8")
    return path


def hint_map(hints, photo_size: tuple, net_size: tuple, patch: int = PATCH) -> np.ndarray:
    """The network's hint input (3, h, w) float32 for hints on a photo of photo_size (H, W) that the
    network sees at net_size (h, w): each hint's ab over a patch x patch square around its point, the
    mask 1 there. A later hint wins where patches overlap."""
    (H, W), (h, w) = photo_size, net_size
    out = np.zeros((HINT_CHANNELS, h, w), np.float32)
    for hint in hints:
        cy = min(h - 1, int((hint.y + 0.5) * h / H))
        cx = min(w - 1, int((hint.x + 0.5) * w / W))
        y0, x0 = max(0, cy - patch // 2), max(0, cx - patch // 2)
        y1, x1 = min(h, cy - patch // 2 + patch), min(w, cx - patch // 2 + patch)
        out[:2, y0:y1, x0:x1] = (hint.ab / HINT_AB_SCALE)[:, None, None]
        out[2, y0:y1, x0:x1] = 1.0
    return out


def draw_points(rng: np.random.Generator, h: int, w: int, p: float = 1 / 8, most: int = None):
    """Zhang, Zhu et al.'s simulated points: how many geometric with p (P(0) = p), each drawn around the
    centre with std a quarter of each side, and a patch side from 1 to 9. -> [(y, x, side)]."""
    n = int(np.floor(np.log1p(-rng.random()) / np.log1p(-p))) if most is None else most
    pts = []
    for _ in range(n):
        y = int(np.clip(round(rng.normal(h / 2, h / 4)), 0, h - 1))
        x = int(np.clip(round(rng.normal(w / 2, w / 4)), 0, w - 1))
        pts.append((y, x, int(rng.integers(1, 10))))
    return pts


def recolor_family(ab, centre_ab, angle: float, width: float = math.pi / 4):
    """ab (2, H, W) torch with the hue family of centre_ab (hues within `width` radians of its hue, with
    some chroma) turned by `angle`, fading to unturned at the family's edge; other hues and greys kept.
    Training's stand-in for a person's hint that goes against the scene ("this meadow is blue")."""
    import torch

    hue_off = torch.remainder(torch.atan2(ab[1], ab[0]) - math.atan2(centre_ab[1], centre_ab[0]) + math.pi,
                              2 * math.pi) - math.pi
    share = (1 - hue_off.abs() / width).clamp(0, 1) * ((torch.hypot(ab[0], ab[1]) - 3) / 5).clamp(0, 1)
    turn = angle * share
    cos, sin = torch.cos(turn), torch.sin(turn)
    return torch.stack([cos * ab[0] - sin * ab[1], sin * ab[0] + cos * ab[1]])


def simulate_hints(ab, rng: np.random.Generator, p: float = 1 / 8, recolor: float = 0.0):
    """Training hints for a batch of true ab (N, 2, H, W) torch -> hint maps (N, 3, H, W) on its device:
    each point's patch gets the patch's mean true ab and the mask.

    recolor: the share of crops with hints whose first hint's colour family is turned to a random other
    hue (recolor_family), in ab itself (in place), so that the hints and the targets agree: the network
    learns to follow a hint that its prior would not guess, where hints from the truth alone teach it
    to follow only plausible ones."""
    import torch

    n, _, h, w = ab.shape
    out = torch.zeros(n, HINT_CHANNELS, h, w, device=ab.device)
    for i in range(n):
        points = draw_points(rng, h, w, p)
        patches = []
        for y, x, side in points:
            y0, x0 = max(0, y - side // 2), max(0, x - side // 2)
            patches.append((slice(y0, min(h, y0 + side)), slice(x0, min(w, x0 + side))))
        if points and recolor > 0 and rng.random() < recolor:
            first = ab[i, :, patches[0][0], patches[0][1]].mean(dim=(1, 2))
            if torch.hypot(first[0], first[1]) >= 8:  # a grey hint has no hue family to turn
                ab[i] = recolor_family(ab[i], first.tolist(), rng.uniform(math.pi / 3, 5 * math.pi / 3))
        for ys, xs in patches:
            out[i, :2, ys, xs] = ab[i, :, ys, xs].mean(dim=(1, 2))[:, None, None] / HINT_AB_SCALE
            out[i, 2, ys, xs] = 1.0
    return out


def hints_from_truth(rgb: np.ndarray, n: int, seed: int = 0, net_side: int = 256) -> list:
    """n hints for a colour photo (H, W, 3) uint8, drawn as training draws them (at the scale of a
    net_side-pixel network input): each the mean colour of its patch in the photo."""
    h, w = rgb.shape[:2]
    scale = max(h, w) / net_side  # photo pixels per network pixel
    rng = np.random.default_rng(seed)
    hints = []
    for y, x, side in draw_points(rng, h, w, most=n):
        half = max(1, round(side * scale)) // 2
        patch = rgb[max(0, y - half):y + half + 1, max(0, x - half):x + half + 1].reshape(-1, 3)
        hints.append(Hint.from_rgb(x, y, patch.mean(0)))
    return hints
