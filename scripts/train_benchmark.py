"""Training throughput, configurations side by side in one process on this machine: crops per second
of the real training loop (colorizer.training.train: data loading, forward, loss, backward, Adam), the
step time read from the run's metrics.csv after a few warm-up steps.

    python scripts/train_benchmark.py --data ../shared/photos/train --data ../shared/photos/scenes
    python scripts/train_benchmark.py --encoder lite0 --crop 160 --data ... [--workers 0 1]

Each configuration is the one before it with one change ("before" is the training loop as it was
before the change, same model and crops); --only NAME... runs a subset. With --encoder liteN the rows
are the U-Net on the pretrained encoder (hints simulated, logits at 1/2): frozen, then its speed-ups
(channels-last, bf16 autocast), then the encoder learning too; --workers adds a row per loader setting.
Photo loading is timed twice through the cache: the first load decodes every JPEG unless the cache
already holds them.
"""
import argparse
import csv
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from colorizer.training.config import TrainConfig  # noqa: E402  (after the path above, as every import here)
from colorizer.training.photo_cache import default_cache_dir, load_photo_set  # noqa: E402
from colorizer.training.precision import autocast_dtype, native_bf16  # noqa: E402
from colorizer.training.train import train  # noqa: E402

BEFORE = dict(precision="fp32", soft_encoding="dense", workers=1, channels_last=False)
STEPS = [  # (name, change from the row before)
    ("before", {}),
    ("table soft encoding", {"soft_encoding": "table"}),
    ("bf16 autocast", {"precision": "bf16"}),
    ("loader in-process (workers 0)", {"workers": 0}),
    ("channels-last", {"channels_last": True}),
    ("torch.compile", {"channels_last": False, "compile": True}),
]
LITE_BEFORE = dict(precision="fp32", soft_encoding="table", workers=0, hints=True, channels_last=False)
LITE_STEPS = [
    ("frozen encoder", {}),
    ("channels-last", {"channels_last": True}),
    ("bf16 autocast", {"precision": "bf16"}),
    ("encoder learning (0.2x lr)", {"encoder_lr": 0.2}),
]


def step_seconds(run: Path, warmup: int) -> np.ndarray:
    """Seconds per step after the warm-up, in blocks of 5 steps (metrics.csv keeps elapsed time to 0.1 s)."""
    with open(run / "metrics.csv", newline="") as f:
        elapsed = np.array([float(r["elapsed_s"]) for r in csv.DictReader(f)])[warmup - 1:]
    return np.diff(elapsed[::5]) / 5


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", action="append", required=True)
    p.add_argument("--steps", type=int, default=30, help="steps timed (a multiple of 5)")
    p.add_argument("--warmup", type=int, default=5, help="first steps left out (start-up, compilation)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--cache", help="decoded-photo cache folder (default: training's); a first load builds it")
    p.add_argument("--only", nargs="+", help="names of configurations to run")
    p.add_argument("--encoder", default="design", choices=["design", "lite0", "lite2"])
    p.add_argument("--workers", type=int, nargs="+", default=[], help="pretrained encoder: extra rows, the "
                   "last configuration with these DataLoader worker counts")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} threads, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"native bf16: {native_bf16(torch.device('cpu'))}")

    scratch = Path(tempfile.mkdtemp(prefix="train-bench-"))
    cache = a.cache or str(default_cache_dir())
    for what in ("first", "second"):
        t = time.time()
        photos = load_photo_set(a.data, TrainConfig.photo_side, cache=cache)
        print(f"{len(photos)} photos, {what} load through the cache ({cache}): {time.time() - t:.1f} s")

    lite = a.encoder != "design"
    cfg = TrainConfig(data=a.data, steps=a.steps + a.warmup, width=a.width, activation="relu", crop=a.crop,
                      batch=a.batch, lam=1.0, soft=True, threads=a.threads, cache=cache, encoder=a.encoder,
                      ckpt_minutes=1e9, **(LITE_BEFORE if lite else BEFORE))
    steps = LITE_STEPS + [(f"workers {n}", {"workers": n}) for n in a.workers] if lite else STEPS
    rows = []
    for name, change in steps:
        cfg = replace(cfg, **change)
        if a.only and name not in a.only:
            continue
        if cfg.precision == "bf16" and autocast_dtype("auto", torch.device("cpu")) is None:
            print(f"{name}: this CPU has no native bf16; measured anyway (emulated)")
        run = scratch / f"run{len(rows)}"
        train(replace(cfg, run=str(run)))
        s = step_seconds(run, a.warmup)
        rows.append((name, a.batch / np.median(s), a.batch / np.percentile(s, 75), a.batch / np.percentile(s, 25)))
    base = rows[0][1]
    print(f"\n{a.encoder=} {a.width=} {a.crop=} {a.batch=}, median of {a.steps} steps (in blocks of 5) "
          f"after {a.warmup} warm-up steps")
    print("| configuration (each adds one change) | crops/s | interquartile | vs first |")
    print("| --- | --- | --- | --- |")
    for name, med, lo, hi in rows:
        print(f"| {name} | {med:.1f} | {lo:.1f}-{hi:.1f} | {med / base:.2f}x |")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
