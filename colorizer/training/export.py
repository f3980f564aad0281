"""From a training run to a shipped model: fp16 safetensors plus its model card (colorizer.training.card)."""
import csv
import json
from pathlib import Path

import torch

from ..bins import ABBins
from ..nets.efficientnet import pretrained_source
from ..nets.factory import build_model
from ..temperature import check_temperature
from ..weights import read_card
from .card import ModelCard, save_model, training_record
from .config import config_of_checkpoint
from .provenance import card_in_git_history, git_blob_id


def lineage(ckpt: dict, path) -> list:
    """The training stages that led to a checkpoint, first to last: a run started with --init continues
    another run's checkpoint, so its own step count is not the model's whole training. A shipped model
    that a run started from is named by its path and its git object id as it was when the run started."""
    stages = []
    while True:
        cfg = ckpt["config"]
        stage = {"checkpoint": str(path), "steps": ckpt["step"], "wall_time_s": round(ckpt["elapsed"]),
                 "crops": ckpt["step"] * cfg["batch"], "lambda": cfg["lam"], "lr": cfg["lr"],
                 "soft_targets": cfg["soft"]}
        if cfg.get("encoder", "design") != "design":
            stage.update(encoder=cfg["encoder"], encoder_lr=cfg.get("encoder_lr", 0.0), hints=cfg.get("hints", False))
        if ckpt.get("sources"):  # runs from before it was kept name only their folder (card's "data")
            stage["sources"] = ckpt["sources"]
        stages.append(stage)
        path = cfg.get("init", "")
        if not path:
            return stages[::-1]
        if not Path(path).exists():  # exported elsewhere than it was trained: say what is missing
            stages.append({"checkpoint": path, "missing": True})
            return stages[::-1]
        if Path(path).suffix == ".safetensors":  # a shipped model: its card holds the earlier stages
            now = git_blob_id(path)
            started_from = cfg.get("init_git_blob") or now  # runs from before the id was kept: as it is now
            model = {"model": str(path), "git_blob": started_from}
            if now == started_from:
                card = read_card(path)
            else:  # replaced since: today's card tells of other weights; git's history holds the old one
                card, commit = card_in_git_history(path, started_from)
                if card is None:
                    return [{**model, "replaced": True}] + stages[::-1]
                model["commit"] = commit
            card = card.get("training", {})
            # cards from before stages counted crops: their stages all ran at the card's batch size
            earlier = [{**st, "crops": st["steps"] * card["batch"]} if "steps" in st and "crops" not in st
                       and "batch" in card else st for st in card.get("stages", [])]
            return earlier + [model] + stages[::-1]
        ckpt = torch.load(path, weights_only=True)


def export_run(run_dir, name: str, weights_dir="weights", title=None, description="", temperature=None,
               checkpoint="best.pt", extra: dict = None) -> Path:
    """Write weights_dir/name.safetensors + .json from a run's checkpoint (best.pt, else ckpt.pt)."""
    run = Path(run_dir)
    path = run / checkpoint if (run / checkpoint).exists() else run / "ckpt.pt"
    if not path.exists():
        raise SystemExit(f"{run}: no checkpoint (best.pt or ckpt.pt) to export")
    ckpt = torch.load(path, weights_only=True)
    bins = ABBins.from_dict(ckpt["bins"])
    model = build_model(config_of_checkpoint(ckpt["config"]), bins.Q, ckpt)
    model.load_state_dict(ckpt["model"])
    card = run_card(run, ckpt, path, title or name, description, temperature, extra)
    return save_model(model, bins, card, weights_dir, name)


def validation_row(run: Path, step: int) -> dict:
    """The val_* figures that the run's metrics.csv logged at this step ({} if none)."""
    val = {}
    if (run / "metrics.csv").exists():
        with open(run / "metrics.csv") as f:
            for row in csv.DictReader(f):
                # a run killed mid-write can end in a half line: compare the step as text
                if row.get("val_loss") and row.get("step") == str(step):
                    val = {k: float(v) for k, v in row.items() if k.startswith("val_") and v}
    return val


def run_card(run: Path, ckpt: dict, path: Path, title: str, description: str, temperature, extra) -> ModelCard:
    """The card of a run's checkpoint at path: the run's settings, every stage behind it, its validation."""
    cfg = ckpt["config"]
    run_info = json.loads((run / "config.json").read_text()) if (run / "config.json").exists() else {}
    stages = lineage(ckpt, path)
    training = {"data": cfg["data"], "photos": run_info.get("photos"), "steps": ckpt["step"],
                "wall_time_s": round(ckpt["elapsed"]), "crop": cfg["crop"], "batch": cfg["batch"],
                "processes": run_info.get("processes", 1), "lr": cfg["lr"], "soft_targets": cfg["soft"],
                "init": cfg.get("init", ""), "git_commit": run_info.get("git_commit", "unknown"),
                "checkpoint": path.name, **training_record(stages)}
    lite = cfg.get("encoder", "design") != "design"
    return ModelCard(
        name=title, description=description, lam=cfg["lam"],
        default_temperature=check_temperature(cfg.get("val_temperature", 0.38) if temperature is None
                                              else temperature),
        training=training,
        validation={"data": cfg.get("val", ""), "temperature": cfg.get("val_temperature"),
                    **validation_row(run, ckpt["step"])},
        encoder_weights=pretrained_source(cfg["encoder"]) if lite else None,
        extra=extra or {})
