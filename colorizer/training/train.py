"""Training: random crops of every photo under a folder, class-rebalanced cross-entropy, Adam.

One process:   colorizer train --data DIR [--data DIR2 ...] --run RUN
Several:       torchrun --nproc_per_node 2 -m colorizer train --data DIR --run-dir RUN
               (torchrun's own parser takes "--run" for an abbreviation of its --run-path and stops)
Continue:      colorizer train --run RUN --resume [--steps MORE]

A run folder keeps config.json, bins.json, metrics.csv, ckpt.pt (latest, written atomically every few
minutes, at the end and on Ctrl-C/SIGTERM) and best.pt (lowest validation loss); colorizer.training.run_folder.
Crops are a pure function of (seed, rank, sample number) and the learning rate of the step, so a resumed
run continues exactly where it stopped.

Trainer holds one process's part of a run in four pieces: setting up (__init__), a training step
(train_step), validating and checkpointing after it (after_step), and tearing down (teardown).
"""
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..bins import ABBins
from ..hints import simulate_hints
from .config import TrainConfig, lr_at
from .data import RandomCrops, StepBatches, ab_statistics, load_photos, mixed_cell_counts, sampling_weights
from .loss import SoftEncoder, rebalanced_cross_entropy, soft_targets, targets_at
from .precision import autocast_dtype
from .processes import StopFlag, leave_stopping_to_the_main_process, leave_together, start_processes
from .provenance import git_blob_id
from .run_folder import MetricsLog, open_run_folder, save_atomic, write_run_info
from .start import load_init, make_optimizer, set_train_mode, start_model
from .validation import validate, validation_sets


def train(cfg: TrainConfig, resume: bool = False) -> Path:
    return Trainer(cfg, resume).run()


def check_settings(cfg: TrainConfig) -> None:
    if not cfg.data:
        raise SystemExit("train: --data (a folder of training photos) is required")
    if not 0 < cfg.min_side <= cfg.max_side:
        raise SystemExit(f"--min-side {cfg.min_side} and --max-side {cfg.max_side}: 0 < min <= max")
    if cfg.soft_encoding not in ("table", "dense"):
        raise SystemExit(f"soft_encoding {cfg.soft_encoding!r}: table or dense")


class StepTimes:
    """The run's time and its training throughput. `elapsed` is all of the run's time, over every
    process start (validation and checkpoint writing included); the rate is of training alone: seconds
    per step (data wait included) as a moving average, leaving out validation and checkpoint writing and
    this process's first step (worker start-up, first batch)."""

    def __init__(self, elapsed: float):
        self.elapsed, self.steps_here, self.step_s = elapsed, 0, None
        self.t0 = time.time()

    def stepped(self) -> float:
        """A step ended: -> the time now."""
        now = time.time()
        dt = now - self.t0
        self.elapsed += dt
        self.steps_here += 1
        self.step_s = dt if self.steps_here <= 2 else 0.9 * self.step_s + 0.1 * dt
        return now

    def rate(self, crops: int) -> float:
        return crops / max(1e-9, self.step_s)

    def next_step(self, stepped_at: float) -> None:
        """The next step starts: what came after the last (validation, checkpoint) counts as run time."""
        self.t0 = time.time()
        self.elapsed += self.t0 - stepped_at


class Trainer:
    """One process's part of a run: __init__ sets it up and run() trains until the last step, a signal or
    Ctrl-C, then tears down. Only the master process logs, validates and writes the run folder."""

    def __init__(self, cfg: TrainConfig, resume: bool = False):
        self.cfg, self.resume = cfg, resume
        self.procs = start_processes(cfg)
        self.run_dir = open_run_folder(Path(cfg.run), resume)
        torch.manual_seed(cfg.seed)
        check_settings(cfg)
        self.load_photos()
        self.start_weights()
        self.write_run_folder()
        # what the network's input sides must be multiples of
        multiple = 16 if cfg.encoder == "design" else 32
        self.val_sets = validation_sets(cfg, self.bins, multiple) if cfg.val and self.procs.master else {}
        self.soft_encoder = self.make_soft_encoder()
        self.loader = self.make_loader()
        self.log = MetricsLog(self.run_dir / "metrics.csv", list(self.val_sets), resume, self.step) \
            if self.procs.master else None
        self.updating = False  # inside optimizer.step(): weights changed, step not yet counted

    # --- setting up --------------------------------------------------------------------------------
    def load_photos(self) -> None:
        cfg = self.cfg
        cache = None if cfg.cache == "auto" else cfg.cache
        t_load = time.time()
        self.photos = load_photos(cfg.data, cfg.photo_side, cache)
        self.load_s = time.time() - t_load
        self.photo_weights = sampling_weights(self.photos, cfg.folder_weights, cfg.chroma_bias)
        if cfg.epochs > 0:
            cfg.steps = math.ceil(cfg.epochs * len(self.photos) / (cfg.batch * self.procs.world))
        self.sources = self.photos.sources()  # named in config.json, every checkpoint and so the model card

    def start_weights(self) -> None:
        """The classes, the network, the optimiser and the counters: from the run's checkpoint when it
        resumes, from --init when it starts from other weights, else fresh."""
        cfg, device, run = self.cfg, self.procs.device, self.run_dir
        ckpt = torch.load(run / "ckpt.pt", weights_only=True) if self.resume and (run / "ckpt.pt").exists() else None
        init = load_init(cfg.init, cfg) if cfg.init and ckpt is None else None
        if init and Path(cfg.init).suffix == ".safetensors":
            cfg.init_git_blob = git_blob_id(cfg.init)
        source = ckpt or init
        bins = ABBins.from_dict(source["bins"]) if source else ab_statistics(self.photos, self.photo_weights)
        if init and cfg.prior == "data":  # the init's classes, the prior of this run's own crops
            bins = bins.with_counts(mixed_cell_counts(self.photos, self.photo_weights))
        self.bins = bins
        self.amp = autocast_dtype(cfg.precision, device)
        self.class_weights = torch.from_numpy(bins.weights(cfg.lam)).to(device)
        self.lookup = torch.from_numpy(bins.lookup).to(device)
        self.model = start_model(cfg, bins.Q, source, device, cfg.init or run)
        self.optimizer = make_optimizer(self.model, cfg)
        self.step, self.best, elapsed = 0, float("inf"), 0.0
        if ckpt:
            self.optimizer.load_state_dict(ckpt["optimizer"])
            self.step, elapsed, self.best = ckpt["step"], ckpt["elapsed"], ckpt["best_val_loss"]
            torch.set_rng_state(ckpt["torch_rng"])
        self.elapsed_before = elapsed
        self.channels_last = cfg.channels_last if cfg.channels_last is not None else cfg.encoder != "design"
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.net = DistributedDataParallel(self.model) if self.procs.ddp else self.model
        if cfg.compile:
            self.net = torch.compile(self.net)

    def write_run_folder(self) -> None:
        if not self.procs.master:
            return
        cfg, photos, bins = self.cfg, self.photos, self.bins
        write_run_info(self.run_dir, cfg, self.procs.world, self.amp, photos, bins, self.sources,
                       self.model.n_params())
        shares = photos.folder_sizes() / len(photos) if self.photo_weights is None else \
            np.bincount(photos.folder, weights=self.photo_weights, minlength=len(photos.roots))
        print(f"{len(photos)} photos ({self.load_s:.1f} s to load), crops drawn "
              + ", ".join(f"{100 * x:.0f} % from {r}" for r, x in zip(photos.roots, shares))
              + f"; {bins.Q} classes, {self.model.n_params() / 1e6:.2f} M parameters, {self.procs.world} "
              f"process(es), {'bf16 autocast' if self.amp else 'fp32'}, steps {self.step} -> {cfg.steps}",
              file=sys.stderr)

    def make_soft_encoder(self):
        """ab -> the soft-encoded targets (5 nearest classes), or None for hard ones."""
        cfg, device = self.cfg, self.procs.device
        if not cfg.soft:
            return None
        if cfg.soft_encoding == "table":
            return SoftEncoder(self.bins.centres, sigma=cfg.soft_sigma).to(device)
        centres = torch.from_numpy(self.bins.centres).to(device)
        return lambda ab: soft_targets(ab, centres, sigma=cfg.soft_sigma)

    def make_loader(self) -> DataLoader:
        cfg, rank = self.cfg, self.procs.rank
        data = RandomCrops(self.photos, self.bins, cfg.crop, cfg.min_side, cfg.max_side, cfg.seed, rank, cfg.rotate,
                           cfg.tone, self.photo_weights, cfg.film)
        # the loader gets its own generator: it draws a worker seed from it at every start, which would
        # otherwise advance the global torch RNG once per process start and a resumed run would drift from
        # an uninterrupted one (the crops themselves are seeded by sample number)
        return DataLoader(data, batch_sampler=StepBatches(self.step, cfg.steps, cfg.batch), num_workers=cfg.workers,
                          persistent_workers=False, prefetch_factor=4 if cfg.workers else None,
                          worker_init_fn=leave_stopping_to_the_main_process,
                          generator=torch.Generator().manual_seed(cfg.seed + rank))

    # --- the loop ----------------------------------------------------------------------------------
    def run(self) -> Path:
        stop = StopFlag()
        master = self.procs.master
        self.bar = tqdm(total=self.cfg.steps, initial=self.step, disable=not master, dynamic_ncols=True, mininterval=5)
        self.times, self.last_ckpt, self.running_loss = StepTimes(self.elapsed_before), time.time(), None
        set_train_mode(self.model)
        try:
            for L, ab, target in self.loader:
                lr, loss = self.train_step(L, ab, target)
                stepped_at = self.times.stepped()
                if master:
                    self.after_step(lr, loss, self.times.rate(L.shape[0] * self.procs.world), stepped_at)
                self.times.next_step(stepped_at)
                if stop.agreed(self.procs.ddp, self.procs.device):
                    break
        except KeyboardInterrupt:
            pass
        finally:
            stop.restore()
            self.teardown()
        return self.run_dir

    def train_step(self, L, ab, target) -> tuple:
        """One optimiser step on a batch of crops: -> (its learning rate, its loss)."""
        cfg, device = self.cfg, self.procs.device
        L, ab, target = L.to(device), ab.to(device), target.to(device)
        if self.channels_last:
            L = L.contiguous(memory_format=torch.channels_last)
        lr = lr_at(self.step, cfg)
        for g in self.optimizer.param_groups:
            g["lr"] = lr * g.get("lr_scale", 1.0)
        hints = simulate_hints(ab, np.random.default_rng([cfg.seed, self.procs.rank, self.step]), cfg.hint_p,
                               cfg.hint_recolor) if cfg.hints else None
        with torch.autocast(device.type, dtype=self.amp or torch.bfloat16, enabled=self.amp is not None):
            logits = self.net(L, hints) if hints is not None else self.net(L)
        recoloured = hints is not None and cfg.hint_recolor > 0  # ab may have changed: its classes with it
        ab, target = targets_at(logits, ab, None if recoloured else target, self.lookup)
        soft = self.soft_encoder(ab) if cfg.soft else None
        loss = rebalanced_cross_entropy(logits, target, self.class_weights, soft)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.updating = True  # weights changed but step not yet counted: no checkpoint of this state
        self.optimizer.step()
        self.step += 1
        self.updating = False
        return lr, loss.item()

    def after_step(self, lr: float, loss: float, rate: float, stepped_at: float) -> None:
        """The master's work after a step: progress, the metrics row, validation on its steps (best.pt
        when the mean validation loss improves), and ckpt.pt every ckpt_minutes."""
        cfg = self.cfg
        self.running_loss = loss if self.running_loss is None else 0.95 * self.running_loss + 0.05 * loss
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{self.running_loss:.3f}", crops_s=f"{rate:.1f}")
        row = {"step": self.step, "elapsed_s": round(self.times.elapsed, 1), "lr": f"{lr:.3g}",
               "loss": f"{loss:.4f}", "crops_per_s": f"{rate:.2f}"}
        if self.val_sets and (self.step % cfg.val_every == 0 or self.step == cfg.steps):
            losses = []
            for i, (name, items) in enumerate(self.val_sets.items()):
                v = validate(self.model, items, self.bins, self.class_weights, cfg)
                losses.append(v["val_loss"])
                row.update({(k if i == 0 else f"{name}.{k[len('val_'):]}"): f"{x:.4f}" for k, x in v.items()})
                tqdm.write(f"step {self.step} {name}: " + ", ".join(f"{k} {x:.3f}" for k, x in v.items()),
                           file=sys.stderr)
            if np.mean(losses) < self.best:
                self.best = float(np.mean(losses))
                self.checkpoint("best.pt")
        self.log.write(row)
        if stepped_at - self.last_ckpt > 60 * cfg.ckpt_minutes:
            self.log.flush()
            self.checkpoint()
            self.last_ckpt = time.time()

    def checkpoint(self, name: str = "ckpt.pt") -> None:
        save_atomic({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "step": self.step,
                     "elapsed": self.times.elapsed, "best_val_loss": self.best, "torch_rng": torch.get_rng_state(),
                     "bins": self.bins.to_dict(), "config": asdict(self.cfg), "sources": self.sources},
                    self.run_dir / name)

    # --- tearing down ------------------------------------------------------------------------------
    def teardown(self) -> None:
        """The last checkpoint (unless a step was cut off midway), and the processes leave together."""
        if self.procs.master:
            if self.updating:  # interrupted inside optimizer.step(): the last checkpoint stays
                print(f"interrupted during step {self.step + 1}; ckpt.pt not updated", file=sys.stderr)
            else:
                self.checkpoint()
                if not self.val_sets:  # without validation the last checkpoint is the one to export
                    self.checkpoint("best.pt")
            self.log.close()
            self.bar.close()
            print(f"stopped at step {self.step} of {self.cfg.steps}; checkpoint in {self.run_dir / 'ckpt.pt'}",
                  file=sys.stderr)
        if self.procs.ddp:
            leave_together(self.procs)
