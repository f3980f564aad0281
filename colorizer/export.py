"""From a training run to a shipped model: fp16 safetensors plus its model card."""
import csv
import hashlib
import json
import subprocess
from pathlib import Path

import torch

from .bins import ABBins
from .efficientnet import pretrained_source
from .model import UNet, UNetConfig
from .temperature import check_temperature
from .weights import read_card, save_model


def git_blob_id(path) -> str:
    """A file's git object id (what `git hash-object` prints), by hand so that no git is needed:
    `git log --find-object=ID` finds the commit that held these exact bytes, e.g. an earlier model that
    a run started from and that has since been replaced at the same path."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def card_in_git_history(path, blob: str):
    """(card, commit) of the commit that added these exact weights at path, from git (the card beside
    them then), or (None, None) where there is no git, no repository or no such commit."""
    path = Path(path).resolve()

    def git(*args, cwd=path.parent):
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=30)
    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode:
            return None, None
        top = Path(top.stdout.strip()).resolve()
        rel = path.relative_to(top).as_posix()
        found = git("log", "--all", "--format=%H", f"--find-object={blob}", "--", rel, cwd=top).stdout.split()
        for commit in found:
            if git("rev-parse", f"{commit}:{rel}", cwd=top).stdout.strip() == blob:  # added here, not removed
                card = git("show", f"{commit}:{Path(rel).with_suffix('.json').as_posix()}", cwd=top)
                if card.returncode == 0:
                    return json.loads(card.stdout), commit
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return None, None


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


# the research datasets of ../shared/photos/scenes: published for research, no licence stated for the
# photos; every card of a model trained on them must name them
RESEARCH_DATASETS = {
    "intel-image-classification": "Intel Image Classification scene set (Kaggle)",
    "road-image-datasets": "a public road-image dataset (web images and ImageNet)",
    "bsds500": "Berkeley Segmentation Dataset (BSDS500)",
    "sun-hays80-urban100": "Sun-Hays 80 and Urban100 image-restoration test sets",
    # ../shared/photos/broad (its README.md and MANIFEST.csv)
    "imagenet-sample": "ImageNet (ILSVRC 2012), one photo per class; ImageNet's terms: non-commercial research",
    "imagenet-1perclass": "ImageNet, five photos of 200 classes; ImageNet's terms: non-commercial research",
    "hymenoptera": "ants and bees from ImageNet (a PyTorch tutorial set)",
    "cats-dogs": "cats and dogs (Kaggle), no licence stated",
    "dogs-vs-cats": "Dogs vs Cats (Kaggle, Asirra), no licence stated",
    "10-monkey-species": "10 Monkey Species (Kaggle), no licence stated",
    "camvid": "CamVid street frames (Cambridge), research use",
    "kodak24": "Kodak's 24 PhotoCD test photos, free for research use",
    "people-web": "people from a person-detection set of web photos, no licence stated",
    "raccoon": "raccoons from a detection set of web photos (repository MIT)",
    "mmpose-aic": "pose-estimation test samples (AI Challenger)",
    "mmpose-coco": "pose-estimation test samples (COCO)",
    "mmpose-crowdpose": "pose-estimation test samples (CrowdPose)",
    "mmpose-mpii": "pose-estimation test samples (MPII)",
    "mmpose-ochuman": "pose-estimation test samples (OCHuman)",
}
# data sets of ../shared/photos/broad with a free licence, named on the card with it
LICENSED_DATASETS = {
    "tf-flower-photos": "TensorFlow flower photos (Flickr, CC-BY 2.0)",
    "clothing-small": "clothes photographed at home, free for any purpose",
}


def training_sources(stages: list) -> dict:
    """Every source any stage trained on -> photos (the largest count among stages), and the research
    datasets among them in words."""
    photos = {}
    for st in stages:
        for per_source in st.get("sources", {}).values():
            for source, n in per_source.items():
                photos[source] = max(n, photos.get(source, 0))
    research = {s: RESEARCH_DATASETS[s] for s in photos if s in RESEARCH_DATASETS}
    licensed = {s: LICENSED_DATASETS[s] for s in photos if s in LICENSED_DATASETS}
    return {"photos_per_source": dict(sorted(photos.items(), key=lambda kv: -kv[1])),
            "research_use_only": research, **({"licensed_datasets": licensed} if licensed else {})}


def export_run(run_dir, name: str, weights_dir="weights", title=None, description="", temperature=None,
               checkpoint="best.pt", extra: dict = None) -> Path:
    run = Path(run_dir)
    path = run / checkpoint if (run / checkpoint).exists() else run / "ckpt.pt"
    if not path.exists():
        raise SystemExit(f"{run}: no checkpoint (best.pt or ckpt.pt) to export")
    ckpt = torch.load(path, weights_only=True)
    cfg = ckpt["config"]
    bins = ABBins.from_dict(ckpt["bins"])
    if cfg.get("encoder", "design") == "design":
        model = UNet(UNetConfig(n_classes=bins.Q, width=cfg["width"], activation=cfg["activation"],
                                global_context=cfg.get("global_context", False)))
    else:
        from .train import TrainConfig, build_model  # train imports this module
        known = set(TrainConfig.__dataclass_fields__)
        model = build_model(TrainConfig(**{k: v for k, v in cfg.items() if k in known}), bins.Q, ckpt)
    model.load_state_dict(ckpt["model"])
    run_info = json.loads((run / "config.json").read_text()) if (run / "config.json").exists() else {}
    val = {}
    if (run / "metrics.csv").exists():  # the validation row of the exported step
        with open(run / "metrics.csv") as f:
            for row in csv.DictReader(f):
                # a run killed mid-write can end in a half line: compare the step as text
                if row.get("val_loss") and row.get("step") == str(ckpt["step"]):
                    val = {k: float(v) for k, v in row.items() if k.startswith("val_") and v}
    stages = lineage(ckpt, path)
    card = {
        "name": title or name,
        "description": description,
        "lambda": cfg["lam"],
        "default_temperature": check_temperature(cfg.get("val_temperature", 0.38) if temperature is None
                                                 else temperature),
        "training": {
            "data": cfg["data"], "photos": run_info.get("photos"), "steps": ckpt["step"],
            "wall_time_s": round(ckpt["elapsed"]), "crop": cfg["crop"], "batch": cfg["batch"],
            "processes": run_info.get("processes", 1), "lr": cfg["lr"], "soft_targets": cfg["soft"],
            "init": cfg.get("init", ""), "git_commit": run_info.get("git_commit", "unknown"),
            "checkpoint": path.name,
            "stages": stages,
            "total_steps": sum(st.get("steps", 0) for st in stages),
            "total_crops": sum(st.get("crops", 0) for st in stages),
            **training_sources(stages),
            "total_wall_time_s": sum(st.get("wall_time_s", 0) for st in stages),
        },
        "validation": {"data": cfg.get("val", ""), "temperature": cfg.get("val_temperature"), **val},
        **({"encoder_weights": pretrained_source(cfg["encoder"])} if cfg.get("encoder", "design") != "design" else {}),
        **(extra or {}),
    }
    return save_model(model, bins, card, weights_dir, name)
