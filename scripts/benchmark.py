#!/usr/bin/env python
"""Speed and memory of a model: the network alone, a 12-megapixel photo end to end, and re-decoding.

    .venv/bin/python scripts/benchmark.py --model natural [--device auto|onnx|cpu|cuda] [--repeats 10] [--peer]
    .venv/bin/python scripts/benchmark.py --model natural --device onnx --photo 10000x10000   # a panorama
    .venv/bin/python scripts/benchmark.py --model natural --compare --repeats 5   # torch or ONNX Runtime?

(a) the network pass (Colorizer.run_network, either backend) at 256 px (256x256, and 256x192 as a 4:3
    photo gets it): median of --repeats runs after warm-up. --peer adds, measured side by side in the
    same process, the ECCV16 architecture (Zhang et al. 2016: conv1-conv8, 313 classes at 1/4 of the
    input's resolution; random weights, torch on the CPU) and the model on both backends;
(b) a 4000x3000 photo (generated, saved as a temporary JPEG; --photo WxH for another size) end to end,
    as colorize_paths does it: load (colour-managed, gray kept as one channel), predict (lightness +
    network), then save_outputs (colorizer.output: decodes the colour copy and the gray copy at full
    resolution and writes both PNGs, concurrently). Decoding (guided and bilinear) and the gray copy
    are also timed alone. This runs in a fresh process, so its peak RSS (VmHWM) is that
    of this one photo and not of anything the benchmark did before; the increase over the RSS after
    loading the model is what the photo costs;
(c) re-decoding the kept prediction at a new temperature: at full resolution, as the window's 1024 px
    preview, and a 1600x1000 box at 100 % (the window's zoomed view);
(d) with --compare, the two CPU backends side by side, torch on the CPU and ONNX Runtime: (a)'s network
    pass, interleaved round by round in this process, and (b) in a fresh process each; a table says
    which is faster at each, and by how much.
Timings are wall-clock; other work on the machine (the load average is printed) slows them down.
"""
import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import numpy as np  # noqa: E402

PHOTO_W, PHOTO_H = 4000, 3000


def rss_mb() -> float:
    """The current resident set size (Linux /proc; elsewhere the peak so far)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    """The peak RSS of this process: Linux's VmHWM, which starts afresh at exec (getrusage's ru_maxrss
    does not: it keeps the parent's peak at the fork, here the generated photo's and the peer's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def median_time(fn, repeats: int, warmup: int = 0) -> float:
    for _ in range(warmup):
        fn()
    return statistics.median(timed(fn)[1] for _ in range(repeats))


def synthetic_photo(w=PHOTO_W, h=PHOTO_H, seed=0) -> np.ndarray:
    """A landscape-like 12 MP photo: sky and field gradients with fine noise (so JPEG and PNG have
    realistic work to do; a flat image would compress to nothing)."""
    rng = np.random.default_rng(seed)
    horizon = int(h * 0.45)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    sky = (1 - y) * np.array([70, 120, 210], np.float32) + y * np.array([170, 200, 235], np.float32)
    field = (1 - y) * np.array([60, 140, 50], np.float32) + y * np.array([40, 90, 30], np.float32)
    img = np.where(np.arange(h)[:, None, None] < horizon, sky, field)
    img = np.broadcast_to(img, (h, w, 3)) + rng.normal(0, 8, (h, w, 3)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def bench_network(colorizer, repeats: int) -> dict:
    """Colorizer.run_network, the call predict() makes: normalised L in, logits on the host out (on
    CUDA that includes the copy back, which also waits for the GPU)."""
    from colorizer.pipeline import network_size
    rng = np.random.default_rng(0)
    out = {}
    for h, w in [(256, 256), network_size(PHOTO_H, PHOTO_W, 256)]:
        x = rng.uniform(-1, 1, (h, w)).astype(np.float32)
        out[f"{w}x{h}"] = median_time(lambda: colorizer.run_network(x), repeats, warmup=3)
    return out


def eccv16(n_classes: int = 313):
    """The ECCV16 colorization network's architecture (Zhang et al. 2016, conv1-conv8: ReLU after every
    convolution, batch norm closing blocks 1-7, dilation 2 in blocks 5-6, one transposed convolution
    back to 1/4 of the input, then the 313-class 1x1 head), in torch with random weights: the peer the
    backends are measured against."""
    import torch.nn as nn

    def block(cin, cout, n, stride_last=1, dilation=1, norm=True):
        layers = []
        for i in range(n):
            stride = stride_last if i == n - 1 else 1
            layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, stride=stride, padding=dilation,
                                 dilation=dilation), nn.ReLU(inplace=True)]
        return layers + ([nn.BatchNorm2d(cout)] if norm else [])
    layers = (block(1, 64, 2, 2) + block(64, 128, 2, 2) + block(128, 256, 3, 2) + block(256, 512, 3)
              + block(512, 512, 3, dilation=2) + block(512, 512, 3, dilation=2) + block(512, 512, 3)
              + [nn.ConvTranspose2d(512, 256, 4, stride=2, padding=1), nn.ReLU(inplace=True)]
              + block(256, 256, 2, norm=False) + [nn.Conv2d(256, n_classes, 1)])
    return nn.Sequential(*layers).eval()


def bench_peer(model_arg, repeats: int) -> dict:
    """ECCV16 and the model on both backends at 256x256, interleaved round by round in this process so
    that a change in the machine's load hits all of them alike; -> name -> median seconds."""
    import torch
    from colorizer.pipeline import Colorizer
    nets = {"ECCV16 architecture (torch)": None,
            "this model, torch": Colorizer.load(model_arg, "cpu"),
            "this model, ONNX Runtime": Colorizer.load(model_arg, "onnx")}
    peer = eccv16()
    x = np.random.default_rng(0).uniform(-1, 1, (256, 256)).astype(np.float32)

    def run_peer():
        with torch.inference_mode():
            return peer(torch.from_numpy(x)[None, None]).numpy()
    calls = {name: (run_peer if c is None else (lambda c=c: c.run_network(x))) for name, c in nets.items()}
    times = {name: [] for name in calls}
    for name, fn in calls.items():
        for _ in range(3):  # warm-up
            fn()
    for _ in range(repeats):
        for name, fn in calls.items():
            times[name].append(timed(fn)[1])
    return {name: statistics.median(t) for name, t in times.items()}


CPU_BACKENDS = {"torch on the CPU": "cpu", "ONNX Runtime": "onnx"}  # (d)'s contenders: label -> device


def bench_backends(model_arg, repeats: int) -> dict:
    """(a)'s network pass on both CPU backends, interleaved round by round as in bench_peer; -> size ->
    backend label -> median seconds."""
    from colorizer.pipeline import Colorizer, network_size
    nets = {label: Colorizer.load(model_arg, device) for label, device in CPU_BACKENDS.items()}
    multiple = next(iter(nets.values())).multiple
    rng = np.random.default_rng(0)
    out = {}
    for h, w in [(256, 256), network_size(PHOTO_H, PHOTO_W, 256, multiple)]:
        x = rng.uniform(-1, 1, (h, w)).astype(np.float32)
        times = {label: [] for label in nets}
        for label, c in nets.items():
            for _ in range(3):  # warm-up
                c.run_network(x)
        for _ in range(repeats):
            for label, c in nets.items():
                times[label].append(timed(c.run_network, x)[1])
        out[f"network {w}x{h}"] = {label: statistics.median(t) for label, t in times.items()}
    return out


def faster(times: dict) -> str:
    """'NAME, R x' for the faster of two {name: seconds}."""
    (fast, t_fast), (_, t_slow) = sorted(times.items(), key=lambda kv: kv[1])
    return f"{fast}, {t_slow / t_fast:.2f}x"


def print_comparison(rows: dict) -> None:
    """rows: what -> {backend label: seconds} -> the table of (d)."""
    labels = list(CPU_BACKENDS)
    print(f"    {'':<34}" + "".join(f"{label:>18}" for label in labels) + "   faster")
    for what, times in rows.items():
        cells = "".join(f"{times[label] * 1000:15.1f} ms" if times[label] < 1 else f"{times[label]:16.2f} s"
                        for label in labels)
        print(f"    {what:<34}{cells}   {faster(times)}")


def run_child(args, device: str, jpeg: Path, tmp: str, env: dict) -> dict:
    """(b) and (c) in a fresh process on `device`: its JSON result."""
    cmd = [sys.executable, __file__, "--model", str(args.model), "--device", device, "--repeats", str(args.repeats),
           "--child", str(jpeg), "--out", tmp, "--upsampling", args.upsampling]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.exit(f"the 12 MP process failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(args) -> None:
    """The 12 MP case, alone in this process; prints one JSON line."""
    from colorizer.images import load_rgb
    from colorizer.pipeline import Colorizer, save_outputs
    r = {"rss_after_imports_mb": rss_mb()}
    colorizer, r["model_load_s"] = timed(Colorizer.load, args.model, args.device)
    colorizer.upsampling = args.upsampling
    r["upsampling"] = args.upsampling
    r["rss_after_model_mb"] = rss_mb()
    T = colorizer.default_temperature
    out = Path(args.out)
    stages = {}
    pixels, stages["load JPEG"] = timed(load_rgb, args.child, keep_gray=True)
    pred, stages["predict (L + network)"] = timed(colorizer.predict, pixels)
    del pixels
    written, stages["save_outputs (decode + gray + write)"] = timed(save_outputs, pred, T, out)
    r["stages_s"] = stages
    r["end_to_end_s"] = sum(stages.values())
    r["peak_rss_end_to_end_mb"] = peak_rss_mb()
    r["png_mb"] = sum(Path(p).stat().st_size for p in written.values()) / 2**20
    alone = {}  # the parts of save_outputs, each timed alone (a fresh Prediction: nothing cached)
    for method in ("guided", "bilinear"):
        fresh = dataclasses.replace(pred, upsampling=method)
        _, alone[f"decode full res, {method}"] = timed(fresh.decode, T)
    _, alone["gray copy"] = timed(pred.gray)
    r["alone_s"] = alone
    t2 = 0.2 if abs(T - 0.2) > 1e-9 else 0.5  # "a new T": anything but the one decoded above
    r["redecode_T"] = t2
    h, w = pred.L.shape
    box = (max(0, w // 2 - 800), max(0, h // 2 - 500), min(w, w // 2 + 800), min(h, h // 2 + 500))
    r["redecode_box"] = box
    # each run at a new T, as a slider move is (the low-resolution planes are cached per T)
    temps = iter(np.linspace(t2, t2 + 0.1, 1000))
    r["redecode_full_s"] = median_time(lambda: pred.decode(next(temps)), max(1, args.repeats // 5))
    r["redecode_preview_s"] = median_time(lambda: pred.decode(next(temps), max_side=1024), args.repeats, warmup=1)
    r["redecode_box_s"] = median_time(lambda: pred.decode(next(temps), box=box), args.repeats, warmup=1)
    r["peak_rss_all_mb"] = peak_rss_mb()
    r["photo"] = list(pred.L.shape)
    r["logits"] = list(pred.logits.shape)
    print(json.dumps(r))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="a model name or .safetensors path")
    p.add_argument("--device", default="auto", help="auto, onnx, cpu or cuda")
    p.add_argument("--repeats", type=int, default=10, help="timed runs per median")
    p.add_argument("--peer", action="store_true", help="(a) also times the ECCV16 architecture and both backends")
    p.add_argument("--compare", action="store_true", help="(d): torch on the CPU against ONNX Runtime, a table")
    p.add_argument("--photo", default=f"{PHOTO_W}x{PHOTO_H}", help="WxH of the generated photo of (b)")
    p.add_argument("--upsampling", default="guided", choices=["guided", "bilinear"], help="for (b) and (c)")
    p.add_argument("--child", help=argparse.SUPPRESS)  # internal: the JPEG for the 12 MP process
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(args)
    child_env = dict(os.environ)  # (b) runs as the app would, with the OpenMP settings it was given
    if args.peer or args.compare:
        # torch's OpenMP threads spin on both cores for a while after each call, which slows whatever is
        # timed next (ONNX Runtime, up to 20 % on 2 cores); passive waiting keeps each contender's
        # time its own and leaves torch's own times unchanged (measured: 492 against 494 ms for ECCV16)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    from PIL import Image
    from colorizer.pipeline import Colorizer, device_name, resolve_device
    colorizer = Colorizer.load(args.model, args.device)
    print(f"model {colorizer.name} ({colorizer.card.get('path')}), {colorizer.bins.Q} classes, "
          f"default T = {colorizer.default_temperature:g}")
    if colorizer.backend == "torch":
        import torch
        backend = f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)"
    else:
        from colorizer.onnx_net import _cores, import_onnxruntime
        backend = f"ONNX Runtime {import_onnxruntime().__version__}, {_cores()} thread(s)"
    print(f"device {device_name(colorizer.device)}, {backend}, {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.2f}, OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')}")

    print(f"\n(a) network pass (run_network), median of {args.repeats} after 3 warm-up runs:")
    for size, s in bench_network(colorizer, args.repeats).items():
        print(f"    {size:>9} px: {s * 1000:8.1f} ms")
    del colorizer
    if args.peer:
        peer = bench_peer(args.model, args.repeats)
        base = peer["ECCV16 architecture (torch)"]
        print(f"    side by side at 256x256, interleaved, median of {args.repeats}:")
        for name, s in peer.items():
            print(f"    {name:<28} {s * 1000:8.1f} ms  ({base / s:4.2f}x the ECCV16 architecture's speed)")

    with tempfile.TemporaryDirectory(prefix="colorizer-bench-") as tmp:
        jpeg = Path(tmp) / "photo_12mp.jpg"
        pw, ph = (int(v) for v in args.photo.lower().split("x"))
        Image.fromarray(synthetic_photo(pw, ph)).save(jpeg, quality=92)
        children = {str(resolve_device(args.device)): run_child(args, args.device, jpeg, tmp, child_env)}
        r = next(iter(children.values()))
        h, w = r["photo"]
        print(f"\n(b) a {w}x{h} photo ({w * h / 1e6:.0f} MP, generated, JPEG {jpeg.stat().st_size / 2**20:.1f} MB) "
              f"end to end, in a fresh process (model load {r['model_load_s']:.2f} s, not counted):")
        print(f"    chroma upsampling: {r['upsampling']}")
        for stage, s in r["stages_s"].items():
            print(f"    {stage:<38} {s:7.2f} s")
        print(f"    {'end to end':<38} {r['end_to_end_s']:7.2f} s   (PNGs written: {r['png_mb']:.1f} MB)")
        print("    parts of save_outputs, each alone:")
        for stage, s in r["alone_s"].items():
            print(f"    {stage:<38} {s:7.2f} s")
        print(f"    RSS after imports {r['rss_after_imports_mb']:.0f} MB, after model load "
              f"{r['rss_after_model_mb']:.0f} MB; peak RSS {r['peak_rss_end_to_end_mb']:.0f} MB, "
              f"i.e. +{r['peak_rss_end_to_end_mb'] - r['rss_after_model_mb']:.0f} MB for the photo")
        print(f"\n(c) re-decode of the kept prediction (logits {r['logits']}) at a new T = {r['redecode_T']:g}:")
        print(f"    full resolution:    {r['redecode_full_s']:7.2f} s  (median of {max(1, args.repeats // 5)})")
        print(f"    1024 px preview:    {r['redecode_preview_s'] * 1000:7.1f} ms (median of {args.repeats})")
        bl, bt, br, bb = r["redecode_box"]
        print(f"    {br - bl}x{bb - bt} box at 100 %: {r['redecode_box_s'] * 1000:7.1f} ms (median of {args.repeats})")
        print(f"    peak RSS of the process including (c): {r['peak_rss_all_mb']:.0f} MB")
        if args.compare:
            rows = bench_backends(args.model, args.repeats)
            for label, device in CPU_BACKENDS.items():
                if device not in children:
                    children[device] = run_child(args, device, jpeg, tmp, child_env)
            for what, key in (("predict (L + network)", "predict (L + network)"),
                              ("save_outputs", "save_outputs (decode + gray + write)")):
                rows[f"{w}x{h}: {what}"] = {label: children[device]["stages_s"][key]
                                            for label, device in CPU_BACKENDS.items()}
            rows[f"{w}x{h}: end to end"] = {label: children[device]["end_to_end_s"]
                                            for label, device in CPU_BACKENDS.items()}
            rows["model load"] = {label: children[device]["model_load_s"] for label, device in CPU_BACKENDS.items()}
            print(f"\n(d) torch on the CPU against ONNX Runtime (network: median of {args.repeats}, interleaved; "
                  f"{w}x{h}: one run each, in a fresh process):")
            print_comparison(rows)


if __name__ == "__main__":
    main()
