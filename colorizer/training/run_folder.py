"""A run folder: config.json and bins.json (what the run is), metrics.csv (a row per step), and the
checkpoints ckpt.pt and best.pt, each written so that a crash never leaves a torn one."""
import csv
import json
import os
from dataclasses import asdict
from pathlib import Path

import torch

from .provenance import git_commit

STEP_COLUMNS = ["step", "elapsed_s", "lr", "loss", "crops_per_s"]
VALIDATION_COLUMNS = ["val_loss", "val_psnr", "val_ab_err", "val_auc", "val_auc_rebal", "val_colourfulness"]


def open_run_folder(run: Path, resume: bool) -> Path:
    if not resume and (run / "ckpt.pt").exists():  # a fresh start would overwrite its checkpoints and log
        raise SystemExit(f"{run} already holds a run: continue it with --resume, or give another --run folder")
    run.mkdir(parents=True, exist_ok=True)
    return run


def write_run_info(run: Path, cfg, processes: int, amp, photos, bins, sources: dict, parameters: int) -> None:
    """config.json (the settings, and what they met: commit, threads, photos, classes) and bins.json."""
    (run / "config.json").write_text(json.dumps({**asdict(cfg), "processes": processes, "git_commit": git_commit(),
                                                 "torch_threads": torch.get_num_threads(),
                                                 "autocast": str(amp).replace("torch.", "") if amp else "fp32",
                                                 "photos": len(photos), "classes": bins.Q,
                                                 "photos_per_folder": dict(zip(map(str, photos.roots),
                                                                               photos.folder_sizes().tolist())),
                                                 "sources": sources, "parameters": parameters}, indent=1))
    (run / "bins.json").write_text(json.dumps(bins.to_dict()))


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


class MetricsLog:
    """metrics.csv: a row per step, with the validation figures on the steps that validate (val_* for the
    first --val folder, "<folder>.loss" ... for each further one with --val-each)."""

    def __init__(self, path: Path, val_sets: list, resume: bool, step: int):
        if resume and path.exists():
            keep_metrics_until(path, step)
        new = not path.exists()
        columns = STEP_COLUMNS + VALIDATION_COLUMNS
        columns += [f"{name}.{k[len('val_'):]}" for name in val_sets[1:] for k in VALIDATION_COLUMNS]
        if not new:  # a run begun before a column was added goes on with the columns it has
            with open(path, newline="") as f:
                columns = next(csv.reader(f), None) or columns
        self.file = open(path, "a", newline="")
        self.writer = csv.DictWriter(self.file, columns, extrasaction="ignore")
        if new:
            self.writer.writeheader()

    def write(self, row: dict) -> None:
        self.writer.writerow(row)

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()
