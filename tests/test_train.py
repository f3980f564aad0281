"""Training: the loss goes down, runs resume exactly, checkpoints are atomic, the run folder is complete."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
import types

import numpy as np
import pytest
import torch
from PIL import Image

import colorizer.training.provenance as provenance_module
import colorizer.training.train as train_module
from colorizer.training.config import TrainConfig, config_from_args, lr_at
from colorizer.training.data import RandomCrops, StepBatches, ab_statistics, load_photos
from colorizer.training.export import export_run
from colorizer.training.processes import set_threads
from colorizer.training.provenance import git_commit
from colorizer.training.run_folder import save_atomic
from colorizer.training.train import train
from synthetic import landscape


def tiny_config(photo_dir, run, **kw) -> TrainConfig:
    base = dict(data=str(photo_dir), run=str(run), steps=6, encoder="design", width=8, activation="relu", crop=32,
                batch=2, min_side=48, max_side=96, photo_side=128, warmup=2, lr=5e-3, lam=0.5, workers=0, seed=5)
    return TrainConfig(**{**base, **kw})


def read_metrics(run) -> list:
    with open(run / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def val_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("val")
    for i in range(2):
        Image.fromarray(landscape(48, 64, seed=100 + i)).save(d / f"v{i}.png")
    return d


def test_training_reduces_the_loss_and_keeps_the_best_checkpoint(photo_dir, val_dir, tmp_path):
    run = tmp_path / "run"
    cfg = tiny_config(photo_dir, run, val=str(val_dir), steps=30, batch=4, val_every=5, val_side=64)
    train(cfg)
    rows = read_metrics(run)
    assert [int(r["step"]) for r in rows] == list(range(1, 31))
    losses = [float(r["loss"]) for r in rows]
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    # on unseen photos too (less: batch-norm statistics of so few steps are rough)
    val = {int(r["step"]): float(r["val_loss"]) for r in rows if r["val_loss"]}
    assert sorted(val) == [5, 10, 15, 20, 25, 30]
    assert val[30] < val[5]
    best = torch.load(run / "best.pt", weights_only=True)
    best_step = min(val, key=val.get)
    assert best["step"] == best_step and best["best_val_loss"] == pytest.approx(val[best_step], abs=1e-4)
    assert all(float(r["crops_per_s"]) > 0 for r in rows)
    elapsed = [float(r["elapsed_s"]) for r in rows]
    assert elapsed == sorted(elapsed)
    for key in ("val_psnr", "val_auc", "val_auc_rebal", "val_ab_err", "val_colourfulness"):
        assert np.isfinite(float(rows[-1][key]))
    assert 0 <= float(rows[-1]["val_colourfulness"]) < 3  # of the truth's
    # the export takes the best checkpoint and its validation row
    export_run(run, "best", tmp_path / "weights")
    card = json.loads((tmp_path / "weights" / "best.json").read_text())
    assert card["training"]["steps"] == best_step and card["validation"]["val_loss"] == val[best_step]


def test_crops_per_second_is_training_throughput(photo_dir, val_dir, tmp_path, monkeypatch):
    """On a clock where a step takes 1 s and a validation 100 s: 2 crops per step -> 2 crops/s, while
    the elapsed time counts the validations too."""
    clock = [1000.0]
    monkeypatch.setattr(train_module, "time", types.SimpleNamespace(time=lambda: clock[0]))
    real_loss, real_validate = train_module.rebalanced_cross_entropy, train_module.validate

    def loss_of_one_second(*a, **kw):
        if torch.is_grad_enabled():  # a training step, not validation
            clock[0] += 1.0
        return real_loss(*a, **kw)

    def validation_of_100_seconds(*a, **kw):
        clock[0] += 100.0
        return real_validate(*a, **kw)

    monkeypatch.setattr(train_module, "rebalanced_cross_entropy", loss_of_one_second)
    monkeypatch.setattr(train_module, "validate", validation_of_100_seconds)
    run = tmp_path / "run"
    train(tiny_config(photo_dir, run, steps=6, batch=2, val=str(val_dir), val_every=2, val_side=64))
    rows = read_metrics(run)
    assert [float(r["crops_per_s"]) for r in rows] == [2.0] * 6
    assert [float(r["elapsed_s"]) for r in rows] == [1, 2, 103, 104, 205, 206]
    assert torch.load(run / "ckpt.pt", weights_only=True)["elapsed"] == 306


def test_run_folder_holds_config_commit_bins_and_checkpoints(photo_dir, tmp_path):
    run = tmp_path / "run"
    train(tiny_config(photo_dir, run, steps=2))
    config = json.loads((run / "config.json").read_text())
    assert config["steps"] == 2 and config["width"] == 8 and config["processes"] == 1 and config["photos"] == 12
    assert config["git_commit"] == "unknown" or len(config["git_commit"].split("-")[0]) == 40
    bins = json.loads((run / "bins.json").read_text())
    ckpt = torch.load(run / "ckpt.pt", weights_only=True)
    assert set(ckpt) == {"model", "optimizer", "step", "elapsed", "best_val_loss", "torch_rng", "bins", "config",
                         "sources"}
    assert ckpt["step"] == 2 and ckpt["bins"]["cells"] == bins["cells"] and config["classes"] == len(bins["cells"])
    assert (run / "best.pt").exists()  # without validation: the last checkpoint
    assert not list(run.glob("*.tmp"))


def train_until(cfg, stop_after, monkeypatch):
    """Train, sending ourselves SIGTERM during step number `stop_after` (as a machine taken away mid-run would)."""
    real_lr_at = train_module.lr_at
    sent = []

    def lr_at_and_signal(step, c):
        if step == stop_after - 1 and not sent:
            sent.append(step)
            os.kill(os.getpid(), signal.SIGTERM)
        return real_lr_at(step, c)

    monkeypatch.setattr(train_module, "lr_at", lr_at_and_signal)
    try:
        train(cfg)
    finally:
        monkeypatch.setattr(train_module, "lr_at", real_lr_at)
    assert sent


@pytest.mark.parametrize("augment", [{}, {"rotate": 10.0, "tone": 0.3, "film": 0.5}], ids=["plain", "augmented"])
def test_resume_continues_exactly(photo_dir, tmp_path, monkeypatch, augment):
    steps = 6
    whole, split = tmp_path / "whole", tmp_path / "split"
    train(tiny_config(photo_dir, whole, steps=steps, **augment))

    train_until(tiny_config(photo_dir, split, steps=steps, **augment), steps // 2, monkeypatch)
    first = torch.load(split / "ckpt.pt", weights_only=True)
    assert first["step"] == steps // 2
    # the process was killed after logging one more step than it checkpointed, mid-line
    with open(split / "metrics.csv", "a") as f:
        f.write(f"{steps // 2 + 1},9.9,0.001,7.0000,1.00,,,,,\n{steps // 2 + 2},9.9,0.0")

    cfg = config_from_args({"run": str(split), "steps": None, "width": None}, resume=True)
    assert cfg == tiny_config(photo_dir, split, steps=steps, **augment)
    train(cfg, resume=True)

    a = torch.load(whole / "ckpt.pt", weights_only=True)
    b = torch.load(split / "ckpt.pt", weights_only=True)
    assert a["step"] == b["step"] == steps
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    for pa, pb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        assert all(torch.equal(pa[k], pb[k]) for k in pa)
    assert a["optimizer"]["param_groups"][0]["lr"] == b["optimizer"]["param_groups"][0]["lr"]
    assert torch.equal(a["torch_rng"], b["torch_rng"])
    assert b["elapsed"] >= first["elapsed"]

    rows_a, rows_b = read_metrics(whole), read_metrics(split)
    assert [r["step"] for r in rows_b] == [str(s) for s in range(1, steps + 1)]
    assert [(r["loss"], r["lr"]) for r in rows_a] == [(r["loss"], r["lr"]) for r in rows_b]
    assert (split / "metrics.csv").read_text().count("step,") == 1


def test_a_run_logged_before_a_column_was_added_resumes_with_its_own_columns(photo_dir, val_dir, tmp_path):
    run = tmp_path / "run"
    train(tiny_config(photo_dir, run, steps=2, val=str(val_dir), val_every=2, val_side=64))
    with open(run / "metrics.csv", newline="") as f:
        rows = list(csv.reader(f))
    old = [r[:-1] for r in rows]  # as logged before val_colourfulness existed
    assert old[0][-1] == "val_auc_rebal"
    with open(run / "metrics.csv", "w", newline="") as f:
        csv.writer(f).writerows(old)
    train(config_from_args({"run": str(run), "steps": 4}, resume=True), resume=True)
    with open(run / "metrics.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == old[0] and [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert all(len(r) == len(old[0]) for r in rows)
    assert rows[-1][old[0].index("val_auc_rebal")]  # step 4 validated, without the new column


def test_resume_with_more_steps_replaces_saved_epochs(photo_dir, tmp_path):
    run = tmp_path / "run"
    train(tiny_config(photo_dir, run, steps=0, epochs=0.5))  # 0.5 * 12 photos / batch 2 -> 3 steps
    assert torch.load(run / "ckpt.pt", weights_only=True)["step"] == 3
    cfg = config_from_args({"run": str(run), "steps": 5}, resume=True)
    assert cfg.steps == 5 and cfg.epochs == 0
    train(cfg, resume=True)
    assert torch.load(run / "ckpt.pt", weights_only=True)["step"] == 5
    assert [int(r["step"]) for r in read_metrics(run)] == [1, 2, 3, 4, 5]


def test_a_fresh_start_never_overwrites_a_run(photo_dir, tmp_path):
    run = tmp_path / "run"
    train(tiny_config(photo_dir, run, steps=2))
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    with pytest.raises(SystemExit, match="--resume"):
        train(tiny_config(photo_dir, run, steps=3))
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_threads_under_torchrun_share_the_cores(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    cpu = torch.device("cpu")
    try:
        set_threads(TrainConfig(), ddp=True, device=cpu)
        assert torch.get_num_threads() == 4
        set_threads(TrainConfig(threads=3), ddp=True, device=cpu)
        assert torch.get_num_threads() == 3
        torch.set_num_threads(before)
        set_threads(TrainConfig(), ddp=False, device=cpu)  # one process: torch's default stays
        assert torch.get_num_threads() == before
    finally:
        torch.set_num_threads(before)


def test_resume_needs_a_saved_config(tmp_path):
    with pytest.raises(SystemExit, match="config.json"):
        config_from_args({"run": str(tmp_path)}, resume=True)


def test_a_run_saved_before_the_encoder_setting_resumes_as_the_design_u_net(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"data": "photos", "run": str(tmp_path), "width": 32}))
    assert config_from_args({"run": str(tmp_path)}, resume=True).encoder == "design"
    assert config_from_args({"run": str(tmp_path / "new")}, resume=False).encoder == "lite2"


def test_missing_data_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="--data"):
        train(TrainConfig(run=str(tmp_path / "r")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="no readable images"):
        train(TrainConfig(data=str(tmp_path / "empty"), run=str(tmp_path / "r")))


def test_the_crops_scale_range_comes_from_the_command_line_and_is_checked(photo_dir, tmp_path):
    """--min-side / --max-side reach the crops (the crops' scale ablation, docs/history/models-lite2.md); a
    range upside down is refused."""
    from colorizer.cli import main
    run = tmp_path / "r"
    with pytest.raises(SystemExit, match="--min-side 300 and --max-side 200"):
        main(["train", "--data", str(photo_dir), "--run", str(run), "--min-side", "300", "--max-side", "200"])
    main(["train", "--data", str(photo_dir), "--run", str(run), "--min-side", "64", "--max-side", "96", "--crop", "64",
          "--batch", "2", "--steps", "1", "--encoder", "design", "--width", "8"])
    saved = json.loads((run / "config.json").read_text())
    assert (saved["min_side"], saved["max_side"]) == (64, 96)


def test_signal_handlers_are_restored(photo_dir, tmp_path):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    train(tiny_config(photo_dir, tmp_path / "run", steps=1))
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_atomic({"step": 1}, path)
    assert torch.load(path, weights_only=True) == {"step": 1}

    def dies_midway(obj, f, *a, **kw):
        if isinstance(f, (str, os.PathLike)):
            f = open(f, "wb")
        f.write(b"half a checkpoint")
        f.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", dies_midway)
    with pytest.raises(OSError):
        save_atomic({"step": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"step": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_learning_rate_schedule():
    cfg = TrainConfig(steps=110, warmup=10, lr=1.0, min_lr_frac=0.05)
    lrs = [lr_at(s, cfg) for s in range(110)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert lrs[10] == pytest.approx(1.0) and lrs[60] == pytest.approx(0.525)
    assert lrs[109] == pytest.approx(0.05, abs=1e-3) and lr_at(500, cfg) == pytest.approx(0.05)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))


def test_crops_differ_by_rank_and_repeat_by_sample_number(photo_dir):
    photos = load_photos(photo_dir, 128)
    bins = ab_statistics(photos)
    r0, r0_again, r1 = (RandomCrops(photos, bins, 32, 48, 96, seed=5, rank=r) for r in (0, 0, 1))
    for i in (0, 7, 12345):
        L0, ab0, t0 = r0[i]
        assert L0.shape == (1, 32, 32) and ab0.shape == (2, 32, 32) and t0.shape == (32, 32)
        assert all(torch.equal(x, y) for x, y in zip(r0[i], r0_again[i]))
        assert not torch.equal(L0, r1[i][0])
    assert not torch.equal(r0[0][0], r0[1][0])
    assert int(t0.max()) < bins.Q and L0.min() >= -1 and L0.max() <= 1


def ramp_angle(L) -> float:
    """The angle in degrees by which a left-to-right lightness ramp was turned (flips mirror it; the sign
    is not checked)."""
    gy, gx = np.gradient(L[0].double().numpy())
    return float(np.degrees(np.arctan2(abs(gy.mean()), abs(gx.mean()))))


def test_rotated_crops_are_turned_within_the_limit_and_have_no_empty_corners(photo_dir):
    bins = ab_statistics(load_photos(photo_dir, 128))
    ramp = np.repeat(np.linspace(0, 255, 160).astype(np.uint8)[None, :, None], 120, 0).repeat(3, 2)
    flat = np.full((120, 160, 3), (40, 140, 60), np.uint8)
    plain = RandomCrops([ramp], bins, 32, 96, 160, seed=2)
    turned = RandomCrops([ramp], bins, 32, 96, 160, seed=2, rotate=20)
    angles = [ramp_angle(turned[i][0]) for i in range(60)]
    assert max(ramp_angle(plain[i][0]) for i in range(20)) < 1
    assert max(angles) < 21 and max(angles) > 12 and np.mean(angles) > 5
    # a flat photo stays flat: the turned window never shows a corner from outside the photo
    for i in range(20):
        L, ab, target = RandomCrops([flat], bins, 32, 40, 60, seed=2, rotate=45)[i]
        assert L.shape == (1, 32, 32) and float(L.max() - L.min()) < 0.02 and float(ab.std((1, 2)).max()) < 0.5


def test_tone_bends_the_input_lightness_and_keeps_the_colour_targets(photo_dir):
    photos = load_photos(photo_dir, 128)
    bins = ab_statistics(photos)
    plain = RandomCrops(photos, bins, 32, 48, 96, seed=5)
    toned = RandomCrops(photos, bins, 32, 48, 96, seed=5, tone=0.4)
    gammas = []
    for i in range(20):
        (L0, ab0, t0), (L1, ab1, t1) = plain[i], toned[i]
        assert torch.equal(ab0, ab1) and torch.equal(t0, t1)
        x0, x1 = ((L0 + 1) / 2).double(), ((L1 + 1) / 2).double()
        mid = (x0 > 0.05) & (x0 < 0.95)
        g = (x1[mid].log() / x0[mid].log()).numpy()
        assert np.ptp(g) < 1e-3  # one gamma for the whole crop
        gammas.append(g.mean())
    assert np.exp(-0.4) - 1e-3 < min(gammas) and max(gammas) < np.exp(0.4) + 1e-3
    assert min(gammas) < 0.9 and max(gammas) > 1.1


def test_step_batches_start_where_the_run_stopped():
    assert list(StepBatches(0, 2, 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(StepBatches(1, 3, 2)) == [[2, 3], [4, 5]] and len(StepBatches(1, 3, 2)) == 2
    assert list(StepBatches(5, 3, 2)) == [] and len(StepBatches(5, 3, 2)) == 0


def test_git_commit_outside_and_inside_a_repository(tmp_path, monkeypatch):
    here = git_commit()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=os.path.dirname(provenance_module.__file__),
                          capture_output=True, text=True).stdout.strip()
    assert here.split("-")[0] == (head or "unknown")
    # a repository without commits: `git rev-parse HEAD` prints "HEAD" and fails
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "colorizer" / "training").mkdir(parents=True)
    monkeypatch.setattr(provenance_module, "__file__", str(tmp_path / "colorizer" / "training" / "provenance.py"))
    assert git_commit() == "unknown"


def test_a_run_started_from_another_records_the_whole_lineage_in_the_card(photo_dir, tmp_path):
    """The fine-tune recipe: a shared run, then a run with --init at another lambda. The card counts the
    steps and time of both stages, and says so when the first stage's checkpoint is gone."""
    shared, tuned = tmp_path / "shared", tmp_path / "tuned"
    train(tiny_config(photo_dir, shared, steps=4, lam=1.0))
    train(tiny_config(photo_dir, tuned, steps=3, lam=0.5, lr=1e-3, init=str(shared / "ckpt.pt")))
    first = torch.load(shared / "ckpt.pt", weights_only=True)
    card = json.loads(export_run(tuned, "tuned", tmp_path / "weights").with_suffix(".json").read_text())
    t = card["training"]
    assert [(s["steps"], s["lambda"]) for s in t["stages"]] == [(4, 1.0), (3, 0.5)]
    assert t["steps"] == 3 and t["total_steps"] == 7 and card["lambda"] == 0.5
    assert t["total_wall_time_s"] == round(first["elapsed"]) + t["wall_time_s"]
    (shared / "ckpt.pt").unlink()
    card = json.loads(export_run(tuned, "again", tmp_path / "weights").with_suffix(".json").read_text())
    assert card["training"]["stages"][0] == {"checkpoint": str(shared / "ckpt.pt"), "missing": True}


def test_a_run_can_start_from_a_shipped_model_and_its_card_keeps_the_earlier_stages(photo_dir, tmp_path):
    """Checkpoints are not shipped: a later run continues from weights/NAME.safetensors (fp16)."""
    train(tiny_config(photo_dir, tmp_path / "first", steps=4, lam=1.0))
    shipped = export_run(tmp_path / "first", "first", tmp_path / "weights")
    tuned = tmp_path / "tuned"
    train(tiny_config(photo_dir, tuned, steps=2, lam=0.8, init=str(shipped)))
    started, first = (torch.load(r / "ckpt.pt", weights_only=True)["bins"] for r in (tuned, tmp_path / "first"))
    assert started["cells"] == first["cells"] and np.allclose(started["prior"], first["prior"])
    blob = subprocess.run(["git", "hash-object", str(shipped)], capture_output=True, text=True).stdout.strip()
    card = json.loads(export_run(tuned, "tuned", tmp_path / "weights").with_suffix(".json").read_text())
    stages = card["training"]["stages"]
    assert stages[0]["steps"] == 4 and stages[1] == {"model": str(shipped), "git_blob": blob}
    assert stages[2]["steps"] == 2 and card["training"]["total_steps"] == 6
    # the tuned model replaces the one it started from (as Natural replaces Natural): the card still
    # names the weights it started from, and does not borrow the new card's stages for them
    export_run(tuned, "first", tmp_path / "weights")
    card = json.loads(export_run(tuned, "again", tmp_path / "weights").with_suffix(".json").read_text())
    assert card["training"]["stages"][0] == {"model": str(shipped), "git_blob": blob, "replaced": True}
    assert [s.get("steps") for s in card["training"]["stages"]] == [None, 2]
    with pytest.raises(SystemExit, match="width 8 .* width 16"):
        train(tiny_config(photo_dir, tmp_path / "wide", width=16, init=str(shipped)))


def test_sigterm_to_the_whole_process_group_stops_cleanly(photo_dir, tmp_path):
    """`pkill -f`, `kill -- -PGID` or a job scheduler signal the loader's worker process too: the run
    still stops after a step, writes its checkpoint and exits 0, without a traceback."""
    run = tmp_path / "run"
    cfg = tiny_config(photo_dir, run, steps=100000, workers=1, threads=1)
    code = ("from colorizer.training.config import TrainConfig; from colorizer.training.train import train; "
            f"train({cfg!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stderr=subprocess.PIPE, text=True)
    try:
        while "steps 0 -> 100000" not in (line := proc.stderr.readline()):
            assert line, "the run ended before it started training"
        time.sleep(2)  # the loader's worker is up and the loop is running
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "stopped at step" in err
    assert torch.load(run / "ckpt.pt", weights_only=True)["step"] > 0


def test_the_global_context_ablation_trains_exports_and_runs_on_both_backends(photo_dir, tmp_path):
    from colorizer.pipeline import Colorizer
    train(tiny_config(photo_dir, tmp_path / "ctx", steps=3, global_context=True))
    shipped = export_run(tmp_path / "ctx", "ctx", tmp_path / "weights")
    assert json.loads(shipped.with_suffix(".json").read_text())["architecture"]["global_context"] is True
    photo = next(p for p in sorted(photo_dir.rglob("*")) if p.is_file())
    ab = [Colorizer.load(shipped, device).predict(photo).ab(1.0) for device in ("cpu", "onnx")]
    assert np.abs(ab[0] - ab[1]).max() < 0.1
    with pytest.raises(SystemExit, match=r"with global context\); this run asks for width 8 \(relu, no global"):
        train(tiny_config(photo_dir, tmp_path / "again", init=str(shipped)))


def test_the_context_branch_grafts_onto_a_model_trained_without_it(photo_dir, tmp_path):
    """The ablation as a fine-tune: --global-context --init on a plain model starts from what that model
    computes and then trains the branch."""
    from colorizer.nets.unet import UNet, UNetConfig
    train(tiny_config(photo_dir, tmp_path / "plain", steps=3))
    plain = torch.load(tmp_path / "plain" / "ckpt.pt", weights_only=True)
    net = UNet(UNetConfig(n_classes=len(plain["bins"]["cells"]), width=8, activation="relu", global_context=True))
    missing, _ = net.load_state_dict(plain["model"], strict=False)
    assert missing and all(k.startswith("context.") for k in missing)
    net.start_context_near_zero()
    before = UNet(UNetConfig(n_classes=net.config.n_classes, width=8, activation="relu"))
    before.load_state_dict(plain["model"])
    L = torch.randn(2, 1, 32, 48)
    with torch.no_grad():
        out, ref = net.eval()(L), before.eval()(L)
    assert (out - ref).abs().max() < 0.05 * ref.abs().max()
    train(tiny_config(photo_dir, tmp_path / "ctx", steps=4, global_context=True,
                      init=str(tmp_path / "plain" / "ckpt.pt")))
    tuned = torch.load(tmp_path / "ctx" / "ckpt.pt", weights_only=True)["model"]
    assert tuned["context.0.weight"].abs().max() > 0
    shipped = export_run(tmp_path / "ctx", "ctx", tmp_path / "weights")
    assert json.loads(shipped.with_suffix(".json").read_text())["architecture"]["global_context"] is True


def test_a_replaced_start_model_keeps_its_earlier_stages_from_git(photo_dir, tmp_path):
    """Natural replaced by a run that started from it: the old card is read from the commit that added
    the old weights, so the new card still counts the whole training."""
    weights = tmp_path / "weights"
    train(tiny_config(photo_dir, tmp_path / "first", steps=4, lam=1.0))
    shipped = export_run(tmp_path / "first", "first", weights)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "weights"], check=True)
    subprocess.run(git + ["commit", "-qm", "first"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    train(tiny_config(photo_dir, tmp_path / "tuned", steps=2, lam=1.0, init=str(shipped)))
    export_run(tmp_path / "tuned", "first", weights)  # replaces the weights it started from
    subprocess.run(git + ["commit", "-qam", "replaced"], check=True)
    card = json.loads(export_run(tmp_path / "tuned", "again", weights).with_suffix(".json").read_text())
    stages = card["training"]["stages"]
    assert [s.get("steps") for s in stages] == [4, None, 2] and stages[1]["commit"] == commit
    assert card["training"]["total_steps"] == 6
