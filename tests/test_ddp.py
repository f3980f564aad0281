"""Two CPU processes under torchrun (DistributedDataParallel over gloo)."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from colorizer.training.config import TrainConfig
from colorizer.training.train import train

REPO = Path(__file__).resolve().parent.parent
ARGS = dict(steps=3, encoder="design", width=8, crop=32, batch=2, warmup=1, lr=5e-3, seed=11, workers=0, threads=1)


def losses(run) -> list:
    with open(run / "metrics.csv", newline="") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


def test_two_processes_train_and_ranks_draw_different_crops(photo_dir, tmp_path):
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "colorizer", "train", "--data", str(photo_dir), "--run-dir", str(run), "--activation", "relu"]
    for k, v in ARGS.items():
        cmd += [f"--{k}", str(v)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    ckpt = torch.load(run / "ckpt.pt", weights_only=True)
    assert ckpt["step"] == 3
    assert json.loads((run / "config.json").read_text())["processes"] == 2
    assert len(losses(run)) == 3  # one row per step: only rank 0 logs

    # The same run in one process. Rank 0 draws exactly the one process's crops from the same initial
    # weights, so the first losses agree. Had rank 1 drawn the same crops too, the averaged gradient
    # would be that one process's gradient and the weights would stay equal; they must not.
    threads = torch.get_num_threads()
    try:
        single = tmp_path / "single"
        train(TrainConfig(data=str(photo_dir), run=str(single), activation="relu", **ARGS))
    finally:
        torch.set_num_threads(threads)
    assert losses(run)[0] == losses(single)[0]
    one = torch.load(single / "ckpt.pt", weights_only=True)["model"]
    diff = max((ckpt["model"][k].float() - one[k].float()).abs().max().item() for k in one)
    assert diff > 1e-4
