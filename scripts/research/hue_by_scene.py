"""Issue 13's hue figures of one model on val-scenes, by the Intel scene class in each file name
(forest, mountain, glacier, sea, buildings, street): where the clearly green and clearly blue pixels
are, and how often each class shows them so. Clearly green pixels are also split by the sign of b*:
yellow-green (b* > 0: leaves, grass) against cyan-green (b* <= 0: water, ice).

    python scripts/research/hue_by_scene.py weights/natural.safetensors ../shared/photos/val-scenes [--temperature 0.8]
"""
import argparse
import collections
from pathlib import Path

import numpy as np

from colorizer import Colorizer
from colorizer.color import rgb_to_lab
from colorizer.images import find_images, load_rgb
from colorizer.evaluation.metrics import HUE_MIN_SHARE, HUE_OUTPUT, HUE_TRUTH, hue_counts, hue_rates, photos_with_hue

SPLIT_MIN_SHARE = 0.005  # a photo counts for one kind of green where at least 0.5 % of its pixels have it


def scene_class(path: Path) -> str:
    parts = path.stem.split("__")  # intel-image-classification__dataset__seg_test__forest__23502
    return parts[-2] if len(parts) >= 3 else "other"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("folder")
    ap.add_argument("--temperature", type=float, help="default: the model card's")
    args = ap.parse_args()
    model = Colorizer.load(args.model, device="onnx")
    t = args.temperature if args.temperature is not None else model.default_temperature
    counts = collections.defaultdict(list)
    split = collections.defaultdict(list)  # (kind) -> per-photo % shown green
    for path in map(Path, find_images([args.folder])):
        rgb = load_rgb(path)
        truth = rgb_to_lab(rgb)[..., 1:]
        ab = model.predict(rgb).ab(t)
        counts[scene_class(path)].append(hue_counts(ab, truth))
        green = truth[..., 0] <= -HUE_TRUTH
        if green.sum() >= HUE_MIN_SHARE * green.size:
            for kind, mask in (("yellow-green, b* > 0", green & (truth[..., 1] > 0)),
                               ("cyan-green, b* <= 0", green & (truth[..., 1] <= 0))):
                if mask.sum() >= SPLIT_MIN_SHARE * mask.size:
                    split[kind].append(100.0 * (ab[..., 0][mask] <= -HUE_OUTPUT).mean())
    print(f"{args.model} at T {t}")
    print("| scene class (photos) | photos with clearly green pixels | shown green (red) % "
          "| photos with clearly blue pixels | shown blue (yellow) % |")
    print("| --- | --- | --- | --- | --- |")
    for name, rows in sorted(counts.items()):
        rows = np.array(rows)
        r = hue_rates(rows)
        has = [int(photos_with_hue(rows, base).sum()) for base in (1, 4)]
        print(f"| {name} ({len(rows)}) | {has[0]} | {r['green_as_green']:.1f} ({r['green_as_red']:.1f}) "
              f"| {has[1]} | {r['blue_as_blue']:.1f} ({r['blue_as_yellow']:.1f}) |")
    for kind, v in split.items():
        print(f"clearly green pixels, {kind}: shown green {np.mean(v):.1f} % (mean over {len(v)} photos)")


if __name__ == "__main__":
    main()
