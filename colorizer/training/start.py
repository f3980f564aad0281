"""What a run starts from (a fresh network, a checkpoint, or --init: another run's weights or a shipped
model's), which of its weights learn and at what rate, and the mode it trains in."""
from pathlib import Path

import torch

from ..nets.factory import build_model
from ..nets.lite_unet import LiteUNet
from ..weights import ModelError, load_model
from .config import TrainConfig


def load_init(path: str, cfg: TrainConfig) -> dict:
    """The weights and classes to start a new run from: a run's checkpoint, or a shipped model (fp16
    safetensors + card), which is all that is left of a run once its checkpoints are gone."""
    if Path(path).suffix != ".safetensors":
        return torch.load(path, weights_only=True)
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


def start_model(cfg: TrainConfig, n_classes: int, source: dict, device, name: str):
    """The network on device, with the weights of source (a checkpoint or load_init's) where there is
    one. name: what the source is called in messages (the --init file or the run folder)."""
    model = build_model(cfg, n_classes, source).to(device)
    if not source:
        return model
    state = source["model"]
    if isinstance(model, LiteUNet) and model.context is None:  # --no-scene-context on a model that had one
        dropped = [k for k in state if k.startswith("context.")]
        state = {k: v for k, v in state.items() if k not in dropped}
        if dropped:
            print(f"{name}: the scene context's weights are left out (--no-scene-context)", flush=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # a new global-context branch or hint stem may start on weights that had none
    if unexpected or any(not k.startswith(("context.", "hint_stem.")) for k in missing):
        raise SystemExit(f"{name}: weights do not fit this network "
                         f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    if any(k.startswith("hint_stem.") for k in missing):
        print(f"--init: the hint stem starts at zero on {cfg.init}'s weights", flush=True)
    if any(k.startswith("context.") for k in missing):  # --global-context on a model trained without it
        model.start_context_near_zero()
        print(f"--init: the global-context branch starts near zero on {cfg.init}'s weights", flush=True)
    return model


def make_optimizer(model, cfg: TrainConfig) -> torch.optim.Adam:
    """Adam over what learns: a pretrained encoder at encoder_lr x the rate, or not at all (frozen).
    Each group's lr_scale multiplies the step's learning rate."""
    if isinstance(model, LiteUNet):
        model.encoder.requires_grad_(cfg.encoder_lr > 0)
        groups = [{"params": model.decoder_parameters(), "lr_scale": 1.0}]
        if cfg.encoder_lr > 0:
            groups.append({"params": list(model.encoder.parameters()), "lr_scale": cfg.encoder_lr})
    else:
        groups = [{"params": list(model.parameters()), "lr_scale": 1.0}]
    return torch.optim.Adam(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)


def set_train_mode(model) -> None:
    """Training mode, except a pretrained encoder's batch norms, which keep their ImageNet statistics
    (batches of 16 small crops would only blur them)."""
    model.train()
    if isinstance(model, LiteUNet):
        model.encoder.eval()
