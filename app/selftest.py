"""`landscape-colorizer --self-test`: checks an installation (above all the packaged app) without a window.

Loads every model the app would offer (colorizer.weights.list_models()), colorizes a generated landscape
(a PNG and a JPEG with EXIF) and a broken file with each, writing PNG and JPEG outputs, and checks them:
both files written, the size of the input, the colour copy in colour, the gray copy gray, the JPEGs'
EXIF kept and upright, the broken file reported with a reason without stopping the files after it.
Also checks the image codecs the outputs and colour management need (JPEG, zlib, WebP, littlecms).
Prints one line per check and a summary; returns 0 if all passed, else 1.

Models run with ONNX Runtime on the CPU, as the app runs them without a GPU (colorizer.devices). With a
CUDA build of torch and a GPU, the first model is also run on the GPU.

Qt is not needed: PySide6 is only imported to check that the packaged app can start its window (missing
Qt modules or platform plugins fail the test in a frozen app and are skipped in a checkout without it).
"""
import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

# Thresholds of the checks, in CIE Lab units.
MIN_MEAN_CHROMA = 1.5  # mean sqrt(a^2 + b^2) of the colour copy: below this it is gray
MAX_GRAY_CHROMA = 1.0  # the gray copy must stay below this
MAX_L_CHANGE = 6.0  # mean |L(colour copy) - L(input)|: colorizing keeps the photo's lightness


def landscape_gray(h: int = 150, w: int = 232):
    """A grayscale landscape as uint8 HxW: sky gradient, far hills, striped fields, a few trees. The
    sides are not multiples of 16, so the resize to and from the network's size is exercised too."""
    import numpy as np

    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    sky = 150.0 + 80.0 * (y / (0.45 * h))  # darker at the top, light at the horizon
    hills_line = 0.42 * h + 0.06 * h * np.sin(x / w * 2 * np.pi * 1.5)
    fields_line = 0.55 * h
    img = np.where(y < hills_line, sky, 95.0 - 10.0 * np.sin(x / 7.0))
    fields = 120.0 - 40.0 * (y - fields_line) / (h - fields_line) + 12.0 * np.sin((x + 2.5 * y) / 4.0)
    img = np.where(y >= fields_line, fields, img)
    for cx, cy, r in ((0.2 * w, 0.58 * h, 0.05 * h), (0.7 * w, 0.6 * h, 0.07 * h), (0.8 * w, 0.57 * h, 0.04 * h)):
        img = np.where((x - cx) ** 2 + (y - cy) ** 2 < r * r, 55.0, img)  # dark tree crowns
    rng = np.random.default_rng(5)
    img += rng.normal(0.0, 3.0, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


class Report:
    def __init__(self, report_file=None):
        self.failures, self.checks, self.report_file = [], 0, report_file

    def line(self, text=""):
        if sys.stdout is not None:  # None in a windowed app on Windows: use --report FILE there
            print(text, flush=True)
        if self.report_file is not None:
            self.report_file.write(text + "\n")
            self.report_file.flush()

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        self.checks += 1
        self.line(f"  [{'ok' if ok else 'FAIL'}] {what}" + (f": {detail}" if detail else ""))
        if not ok:
            self.failures.append(f"{what}" + (f": {detail}" if detail else ""))
        return ok

    def skip(self, what: str, why: str):
        self.line(f"  [skip] {what}: {why}")


def check_qt(rep: Report) -> None:
    """PySide6 importable and, in a frozen app, the platform plugins present (nothing is shown)."""
    import importlib.util

    frozen = bool(getattr(sys, "frozen", False))
    if importlib.util.find_spec("PySide6") is None:
        if frozen:
            rep.check(False, "Qt (PySide6) is bundled", "PySide6 is missing from the packaged app")
        else:
            rep.skip("Qt", "PySide6 is not installed here (the window needs it, the self-test does not)")
        return
    try:
        import PySide6
        from PySide6 import QtCore, QtGui, QtWidgets  # noqa: F401  (the modules the window uses)
    except ImportError as e:
        rep.check(False, "Qt modules import", f"{type(e).__name__}: {e}")
        return
    rep.check(True, "Qt modules import", f"PySide6 {PySide6.__version__}, Qt {QtCore.qVersion()}")
    if not frozen:
        return
    plugins = Path(QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.PluginsPath))
    found = sorted(p.name for p in (plugins / "platforms").glob("*")) if (plugins / "platforms").is_dir() else []
    needed = {"linux": ["xcb", "offscreen"], "win32": ["windows"], "darwin": ["cocoa"]}.get(sys.platform, [])
    missing = [n for n in needed if not any(f"q{n}." in f for f in found)]
    rep.check(bool(found) and not missing, "Qt platform plugins bundled",
              f"{', '.join(found) or 'none'} in {plugins / 'platforms'}" + (f"; missing {missing}" if missing else ""))


def check_codecs(rep: Report, out_dir: Path) -> None:
    """Pillow's JPEG, zlib, WebP and littlecms are in (the bundle carries them as Pillow's own libraries):
    a WebP written and read back, and an Adobe RGB tagged image converted to sRGB."""
    import numpy as np
    from PIL import Image, features

    from colorizer import icc
    from colorizer.images import load_rgb

    for name in ("jpg", "zlib", "webp", "littlecms2"):
        rep.check(bool(features.check(name)), f"Pillow has {name}", str(features.version(name) or "missing"))
    try:
        pixels = np.linspace(0, 255, 48, dtype=np.uint8).reshape(4, 4, 3)
        Image.fromarray(pixels).save(out_dir / "codec.webp", lossless=True)
        with Image.open(out_dir / "codec.webp") as im:
            same = np.array_equal(np.asarray(im.convert("RGB")), pixels)
        rep.check(same, "WebP written and read back", "lossless, identical" if same else "pixels differ")
    except Exception as e:
        rep.check(False, "WebP written and read back", f"{type(e).__name__}: {e}")
    try:
        Image.new("RGB", (2, 2), (128, 128, 128)).save(out_dir / "adobe.png", icc_profile=icc.rgb_profile("adobe-rgb"))
        got = int(load_rgb(out_dir / "adobe.png")[0, 0, 0])
        # Adobe RGB's gray 128 (gamma 2.2) is sRGB's 129-130 (ImageCms); unconverted it would stay 128
        rep.check(got in (129, 130), "colour management (ImageCms) converts Adobe RGB to sRGB", f"128 -> {got}")
    except Exception as e:
        rep.check(False, "colour management (ImageCms) converts Adobe RGB to sRGB", f"{type(e).__name__}: {e}")


def check_model(rep: Report, card: dict, inputs: list, broken: Path, out_dir: Path) -> None:
    from colorizer.output import OutputOptions
    from colorizer.pipeline import ONNX, Colorizer

    rep.line(f"model {card['id']!r} ({card.get('name', card['id'])}) from {card['path']}")
    t0 = time.perf_counter()
    try:
        colorizer = Colorizer.load(card["path"], device=ONNX)
    except Exception as e:  # ModelError, or anything a broken bundle may raise
        rep.check(False, f"{card['id']}: model loads", f"{type(e).__name__}: {e}")
        return
    rep.check(True, f"{card['id']}: model loads", f"{time.perf_counter() - t0:.2f} s, {colorizer.backend}")

    for fmt in ("png", "jpeg"):
        check_outputs(rep, card, colorizer, inputs, broken, out_dir if fmt == "png" else out_dir / fmt,
                      OutputOptions(fmt))
    if colorizer.takes_hints:
        check_hint(rep, card, colorizer, inputs[0])


def check_hint(rep: Report, card: dict, colorizer, image: Path) -> None:
    """A model trained with colour hints: one hint moves the colour around its point toward the hint's
    (the window's hint mode and `colorize --hints` run on this)."""
    import numpy as np
    from PIL import Image

    from colorizer.color import rgb_to_lab_fast
    from colorizer.hints import Hint

    with Image.open(image) as im:
        pixels = np.asarray(im.convert("RGB"))
    h, w = pixels.shape[:2]
    hint = Hint(w // 2, h * 3 // 4, "#c83c3c")  # a red on the generated land: no prior puts it there
    T = colorizer.default_temperature
    try:
        before, after = (rgb_to_lab_fast(colorizer.predict(pixels, hints=hints).decode(T))
                         for hints in (None, [hint]))
    except Exception as e:
        rep.check(False, f"{card['id']}: a colour hint is followed", f"{type(e).__name__}: {e}")
        return
    r = max(2, w // 64)
    box = (slice(hint.y - r, hint.y + r), slice(hint.x - r, hint.x + r))
    d0, d1 = (float(np.linalg.norm(lab[box][..., 1:].reshape(-1, 2).mean(0) - hint.ab)) for lab in (before, after))
    rep.check(d1 < d0, f"{card['id']}: a colour hint is followed",
              f"ab distance to the hint's colour around it {d0:.1f} -> {d1:.1f}")


def check_outputs(rep: Report, card: dict, colorizer, inputs: list, broken: Path, out_dir: Path, options) -> None:
    import numpy as np
    from PIL import Image

    from colorizer.color import rgb_to_lab_fast
    from colorizer.pipeline import colorize_paths

    t0 = time.perf_counter()
    paths = [inputs[0], broken, *inputs[1:]]  # the broken file in the middle: the ones after it must still run
    try:
        results = {r.source: r for r in colorize_paths(colorizer, [str(p) for p in paths], out_dir, options=options)}
    except Exception as e:
        rep.check(False, f"{card['id']}: colorizing to {options.format} runs to the end", f"{type(e).__name__}: {e}")
        return
    rep.line(f"  colorized {len(paths)} files to {options.format.upper()} in {time.perf_counter() - t0:.2f} s")

    bad = results.get(str(broken))
    rep.check(bad is not None and bool(bad.error) and not bad.outputs, f"{card['id']}: broken file reported",
              f"{broken.name}: {bad.error}" if bad is not None else "no result for it")
    for src in inputs:
        r = results.get(str(src))
        name = f"{card['id']}: {src.name} as {options.format.upper()}"
        if r is None or r.error:
            rep.check(False, f"{name} colorized", r.error if r is not None else "no result (stopped early?)")
            continue
        gray_p, color_p = Path(r.outputs["gray"]), Path(r.outputs["color"])
        if not rep.check(gray_p.is_file() and color_p.is_file(), f"{name} -> both files written",
                         f"{gray_p.name}, {color_p.name}"):
            continue
        with Image.open(src) as im:
            size_in = im.size
            L_in = rgb_to_lab_fast(np.asarray(im.convert("RGB")))[..., 0]
        with Image.open(color_p) as im:
            size_c, color = im.size, np.asarray(im.convert("RGB"))
            fmt_ok, exif = im.format == options.format.upper(), im.getexif()
        rep.check(fmt_ok, f"{name} -> written as {options.format.upper()}", color_p.name)
        if src.suffix == ".jpg":  # made with EXIF below: kept, upright
            rep.check(exif.get(0x010F) == "Self-test camera" and exif.get(0x0112) == 1,
                      f"{name} -> EXIF kept, Orientation 1", f"Make {exif.get(0x010F)!r}, Orientation "
                      f"{exif.get(0x0112)}")
        with Image.open(gray_p) as im:
            size_g, gray = im.size, np.asarray(im.convert("RGB"))
        rep.check(size_c == size_in and size_g == size_in, f"{name} -> size kept",
                  f"input {size_in}, colour {size_c}, gray {size_g}")
        lab = rgb_to_lab_fast(color)
        chroma = float(np.hypot(lab[..., 1], lab[..., 2]).mean())
        rep.check(chroma >= MIN_MEAN_CHROMA, f"{name} -> colour copy is in colour",
                  f"mean chroma {chroma:.1f} (gray < {MIN_MEAN_CHROMA})")
        lab_g = rgb_to_lab_fast(gray)
        gray_chroma = float(np.hypot(lab_g[..., 1], lab_g[..., 2]).mean())
        rep.check(gray_chroma < MAX_GRAY_CHROMA, f"{name} -> gray copy is gray", f"mean chroma {gray_chroma:.2f}")
        if size_c == size_in:
            dl = float(np.abs(lab[..., 0] - L_in).mean())
            rep.check(dl <= MAX_L_CHANGE, f"{name} -> lightness kept", f"mean |dL| {dl:.2f}")


def run(out_dir: Path, rep: Report) -> None:
    rep.line(f"Landscape Colorizer self-test ({'packaged app' if getattr(sys, 'frozen', False) else 'Python'}, "
             f"Python {platform.python_version()}, {platform.system()} {platform.machine()})")
    check_qt(rep)
    try:
        from colorizer.onnx_net import import_onnxruntime
        from colorizer.pipeline import torch_or_none
        from colorizer.weights import list_models, weights_dirs

        onnxruntime, torch = import_onnxruntime(), torch_or_none()
    except Exception as e:
        import traceback

        rep.check(False, "colorizer library imports", f"{type(e).__name__}: {e}")
        rep.line("".join(traceback.format_exc(limit=-8)).rstrip())  # where in a frozen app it broke
        return
    rep.check(True, "colorizer library imports", f"network on ONNX Runtime {onnxruntime.__version__}"
              + (f", and torch {torch.__version__} for CUDA" if torch else " (torch is not installed)"))
    models = list_models()
    searched = ", ".join(str(d) for d in weights_dirs())
    if not rep.check(bool(models), "models found",
                     f"{len(models)}: {', '.join(c['id'] for c in models)}" if models else
                     f"no model (NAME.safetensors + NAME.json) in any of: {searched}"):
        return
    import numpy as np
    from PIL import Image

    src_dir = out_dir / "input"
    src_dir.mkdir(parents=True, exist_ok=True)
    gray = landscape_gray()
    png, jpg, broken = src_dir / "landscape.png", src_dir / "landscape-photo.jpg", src_dir / "broken.jpg"
    Image.fromarray(gray).save(png)
    exif = Image.Exif()
    exif[0x010F] = "Self-test camera"  # Make: the outputs must keep it
    # an RGB file of a gray photo
    Image.fromarray(np.repeat(gray[..., None], 3, axis=2)).save(jpg, quality=90, exif=exif.tobytes())
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG " + os.urandom(64))
    check_codecs(rep, src_dir)
    for card in models:
        check_model(rep, card, [png, jpg], broken, out_dir / card["id"])
    check_cuda(rep, models[0], png)


def check_cuda(rep: Report, card: dict, image: Path) -> None:
    """A CUDA build on a machine with a GPU: the first model also runs there (the window's default)."""
    import numpy as np

    from colorizer.pipeline import torch_or_none

    torch = torch_or_none()
    if torch is None:
        rep.skip("CUDA", "no torch in this build (ONNX Runtime runs the network on the CPU)")
        return
    if not torch.cuda.is_available():
        why = "a CPU build of torch" if torch.version.cuda is None else \
            f"torch built for CUDA {torch.version.cuda}, but no usable GPU or driver"
        rep.skip("CUDA", why)
        return
    from colorizer.color import rgb_to_lab_fast
    from colorizer.pipeline import Colorizer, device_name

    try:
        colorizer = Colorizer.load(card["path"], device="cuda")
        rgb = colorizer.colorize(str(image))
    except Exception as e:
        rep.check(False, f"{card['id']} on CUDA", f"{type(e).__name__}: {e}")
        return
    lab = rgb_to_lab_fast(rgb)
    chroma = float(np.hypot(lab[..., 1], lab[..., 2]).mean())
    rep.check(chroma >= MIN_MEAN_CHROMA, f"{card['id']} on {device_name(colorizer.device)}",
              f"{rgb.shape[1]}x{rgb.shape[0]}, mean chroma {chroma:.1f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="landscape-colorizer --self-test",
                                description="Check the installation without opening a window.")
    p.add_argument("--self-test", action="store_true", help="(accepted and ignored)")
    p.add_argument("--output", metavar="DIR", help="keep the test images and outputs in DIR (default: a "
                   "temporary folder, deleted afterwards)")
    p.add_argument("--report", metavar="FILE", help="also write this report to FILE (the windowed Windows app "
                   "has no console to print to)")
    args, _ignored = p.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    if args.report:
        with open(args.report, "w", encoding="utf-8") as report_file:
            return _main(args, Report(report_file))
    return _main(args, Report())


def _main(args, rep: Report) -> int:
    t0 = time.perf_counter()
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        run(out, rep)
    else:
        with tempfile.TemporaryDirectory(prefix="landscape-colorizer-selftest-") as d:
            run(Path(d), rep)
    took = time.perf_counter() - t0
    n_failed = len(rep.failures)
    if n_failed:
        rep.line(f"SELF-TEST FAILED ({took:.1f} s):")
        for f in rep.failures:
            rep.line(f"  - {f}")
    else:
        rep.line(f"SELF-TEST PASSED ({took:.1f} s)")
    rep.line(f"self-test: {rep.checks - n_failed} passed, {n_failed} failed")
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
