"""Writing the results: PNG, JPEG or WebP, never overwriting, never leaving a half-written result.

Names: `<stem>_gray.<ext>` and `<stem>_color.<ext>`, or with -1, -2, ... after them: the first pair of
which neither file exists. Every file is first written in full under a temporary name in the same
folder (`.<name>.<host>-<pid>-<random>.partial`: hidden, and an extension no one takes for an image),
then hard-linked to its final name, which fails if that name exists (then the next free pair is
tried), and the temporary is removed. So a result name only ever appears on a complete file, and a
race with another writer cannot overwrite. A run killed mid-write leaves only a .partial file, which
the next run in that folder removes (see remove_stale_partials for when one counts as stale).

Metadata: every output is tagged sRGB (the colour copy with littlecms's sRGB profile, a one-channel
gray one with a gray profile of sRGB's tone curve) and carries an EXIF block whose ImageDescription
and Software name the tool and, for the colour copy, the model and temperature (PNGs also keep them
as text, as before). A colour copy made with colour hints says so in its description, and records the
hints as the JSON of a HINTS.json: PNG text `colorizer:hints`, and in every format at the end of the
EXIF ImageDescription (the tool writes that tag anew, so nothing of the source's is lost; read_hints
reads them back). With keep_metadata the source's EXIF (date, camera, lens, GPS, ...; Orientation
set to 1, since the pixels are turned already) and DPI are copied too; without it, neither they nor
the source's path are written: the model, temperature and hints, which describe how the copy was
made and nothing of the source, are recorded either way.

The gray and the colour copy are encoded concurrently (zlib and libjpeg release the GIL): the gray
one is written while the colour one is still being decoded.
"""
import errno
import json
import os
import re
import secrets
import shutil
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from . import icc
from .images import read_metadata
from .result_files import SOFTWARE as SOFTWARE_NAME
from .temperature import check_temperature

FORMATS = {"png": "png", "jpeg": "jpg", "webp": "webp"}  # format -> file extension
# Measured on a 12 MP photo (scripts/output_benchmark.py, README "Output formats"): zlib level 1 writes the
# colour PNG in a fifth of the time of Pillow's default 6 (0.95 s against 4.97 s) and smaller (15.0 MB
# against 16.2), the gray one in 0.45 s against 1.08 s, 10 % larger; WebP's method 2 halves the time of
# its default 4 at the same size; lossless at the fastest effort is 14x faster than the default, 9 % larger.
PNG_COMPRESS_LEVEL = 1
WEBP_METHOD = 2
WEBP_LOSSLESS = {"quality": 0, "method": 0}  # for lossless, Pillow's quality is libwebp's effort
STALE_SECONDS = 15 * 60  # a .partial not written to for this long is a leftover, whoever made it
PARTIAL_SUFFIX = ".partial"
MIN_FREE_BYTES = 1 << 20  # less free space than this in the output folder: "no space", before any photo


@dataclass(frozen=True)
class OutputOptions:
    """How results are written. quality: JPEG and WebP, 1..100 (WebP at 100 is lossless).
    keep_metadata: copy the source's EXIF (Orientation set to 1) and DPI into both outputs."""

    format: str = "png"
    quality: int = 92
    keep_metadata: bool = True

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ValueError(f"unknown output format {self.format!r}: use one of {', '.join(FORMATS)}")
        if not 1 <= int(self.quality) <= 100:
            raise ValueError(f"quality {self.quality} is outside 1..100")

    @property
    def extension(self) -> str:
        return FORMATS[self.format]


def free_output_paths(out_dir, stem: str, ext: str = "png") -> tuple:
    """(<stem>_gray.<ext>, <stem>_color.<ext>) in out_dir, or with -1, -2, ... after them: the first
    pair of which neither file exists yet."""
    out_dir = Path(out_dir)
    n = 0
    while True:
        suffix = f"-{n}" if n else ""
        gray, color = out_dir / f"{stem}_gray{suffix}.{ext}", out_dir / f"{stem}_color{suffix}.{ext}"
        if not gray.exists() and not color.exists():
            return gray, color
        n += 1


# ---- the output folder --------------------------------------------------------------------------------

class OutputFolderError(Exception):
    """An output folder that cannot take the results, with the folder and the reason."""


_FOLDER_REASONS = {errno.EACCES: "read-only (permission denied)", errno.EPERM: "read-only (not permitted)",
                   errno.EROFS: "read-only (a read-only file system)", errno.ENOSPC: "no space left on its device",
                   getattr(errno, "EDQUOT", -1): "no space left (disk quota exceeded)",
                   errno.EEXIST: "not a folder (a file has that name)",
                   errno.ENOTDIR: "not a folder (part of its path is a file)"}


def check_output_dir(out_dir) -> None:
    """OutputFolderError naming the folder and the reason (not a folder, read-only, no space) unless
    results can be written to out_dir, found by trying: for before the first photo, so that such a
    folder fails the batch at once, not once per photo after the network has run on each. Leaves the
    disk as it was: a folder made to try it is removed again (the first result makes it)."""
    out = Path(out_dir)
    made = [p for p in [out, *out.parents] if not p.exists()]  # the folders mkdir makes, deepest first
    try:
        if out.exists() and not out.is_dir():
            raise FileExistsError(errno.EEXIST, "exists")
        out.mkdir(parents=True, exist_ok=True)
        probe = partial_path(out, "write-test")  # named as a leftover of ours, should this process be killed
        with open(probe, "xb"):
            pass
        probe.unlink()
        free = shutil.disk_usage(out).free
    except OSError as e:
        raise OutputFolderError(f"output folder {out}: {_FOLDER_REASONS.get(e.errno, e.strerror or str(e))}") from None
    finally:
        for folder in made:
            try:
                folder.rmdir()
            except OSError:  # not made after all, or another process wrote there meanwhile
                break
    if free < MIN_FREE_BYTES:
        raise OutputFolderError(f"output folder {out}: {_FOLDER_REASONS[errno.ENOSPC]} ({free:,} bytes free)")


# ---- temporary files ----------------------------------------------------------------------------------

_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"
_PARTIAL = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-[0-9a-f]+" + re.escape(PARTIAL_SUFFIX) + "$")


def partial_path(out_dir: Path, name: str) -> Path:
    """A temporary name in out_dir for a file that will be called `name`; it names this process."""
    return Path(out_dir) / f".{name}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}{PARTIAL_SUFFIX}"


def _process_alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C there: judged by age alone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process, alive
        return True
    return True


def remove_stale_partials(out_dir, now: float = None) -> list:
    """Remove our temporary files that no running writer owns: those made on this machine by a
    process that no longer runs, and any not written to for STALE_SECONDS (a writer on another
    machine sharing the folder, or a reused process id). Files of other names are never touched.
    Returns the paths removed."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return removed
    for entry in entries:
        m = _PARTIAL.match(entry.name)
        if not m or not entry.is_file(follow_symlinks=False):
            continue
        try:
            dead = m["host"] == _HOST and int(m["pid"]) != os.getpid() and not _process_alive(int(m["pid"]))
            if dead or now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already, or still open on Windows: a later run tries again
            pass
    return removed


def _place(tmp: Path, final: Path) -> None:
    """Give the complete file `tmp` the name `final` if no file has that name (FileExistsError
    otherwise); tmp keeps existing, the caller removes it."""
    try:
        os.link(tmp, final)
        return
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links (FAT, exFAT, some network shares)
        pass
    if sys.platform == "win32":  # a rename there never replaces an existing file
        os.rename(tmp, final)
        return
    # POSIX without hard links: reserve the name atomically, then move the file onto our reservation.
    # Killed between the two, an empty file would be left under the final name: the price of such folders.
    fd = os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    os.close(fd)
    os.replace(tmp, final)


def _unplace(tmp: Path, final: Path) -> None:
    """Remove `final` if _place put tmp there (the same file, or tmp moved onto it), never a file of
    that name that someone else wrote."""
    try:
        ours = not tmp.exists() or os.path.samefile(tmp, final)
    except OSError:  # final does not exist: nothing was placed
        return
    if ours:
        final.unlink(missing_ok=True)


# ---- encoding -----------------------------------------------------------------------------------------

NO_METADATA = {"exif": None, "dpi": None}
IMAGE_DESCRIPTION, SOFTWARE, X_RESOLUTION, Y_RESOLUTION, RESOLUTION_UNIT = 0x010E, 0x0131, 0x011A, 0x011B, 0x0128
HINTS_TEXT = "colorizer:hints"  # PNG text key of the hints' JSON
MAX_EXIF_BYTES = 65000  # JPEG's APP1 marker holds 65533 bytes; Pillow refuses a longer EXIF block


def hints_json(hints) -> str:
    """The hints of Prediction.meta (dicts x, y, color) as the compact JSON of a HINTS.json."""
    return json.dumps({"hints": list(hints)}, separators=(",", ":"))


def exif_bytes(source_exif, dpi, description: str, record: str = "") -> bytes:
    """An output's EXIF block: the source's tags (if any), its DPI, and what made this file. record (the
    hints' JSON) goes after the description, unless that makes the block too long for a JPEG (PNG text
    keeps it then)."""
    exif = Image.Exif()
    if source_exif is not None:
        exif.load(source_exif.tobytes())
    if dpi:
        exif[X_RESOLUTION], exif[Y_RESOLUTION], exif[RESOLUTION_UNIT] = float(dpi[0]), float(dpi[1]), 2
    exif[SOFTWARE] = SOFTWARE_NAME
    if record:
        exif[IMAGE_DESCRIPTION] = f"{description} {record}"
        data = exif.tobytes()
        if len(data) <= MAX_EXIF_BYTES:
            return data
    exif[IMAGE_DESCRIPTION] = description
    return exif.tobytes()


def read_hints(path) -> list:
    """The hints a colour copy records (dicts x, y, color, as in a HINTS.json); [] for none. From the PNG
    text, else from the end of the EXIF ImageDescription."""
    with Image.open(path) as im:
        text = getattr(im, "text", {}).get(HINTS_TEXT) if im.format == "PNG" else None
        if text is None:
            description = str(im.getexif().get(IMAGE_DESCRIPTION, ""))
            start = description.find('{"hints"')
            text = description[start:] if start >= 0 else None
    return json.loads(text)["hints"] if text else []


def _encode(path: Path, image: Image.Image, options: OutputOptions, text: dict, exif: bytes, dpi) -> None:
    """Write image to path (a new temporary file) in the chosen format, tagged sRGB."""
    if options.format == "webp" and image.mode == "L":  # WebP stores RGB only
        image = image.convert("RGB")
    params = {"exif": exif, "icc_profile": icc.gray_profile() if image.mode == "L" else icc.srgb_profile()}
    if dpi and options.format != "webp":  # WebP has no DPI field of its own: EXIF carries it
        params["dpi"] = dpi
    if options.format == "png":
        info = PngImagePlugin.PngInfo()
        for k, v in text.items():
            info.add_text(k, _storable(str(v)))
        params.update(pnginfo=info, compress_level=PNG_COMPRESS_LEVEL)
    elif options.format == "jpeg":
        params.update(quality=int(options.quality), subsampling=0)  # 4:4:4: colour is the product
    elif options.quality >= 100:  # WebP's lossy mode halves the chroma resolution even at 100
        params.update(lossless=True, **WEBP_LOSSLESS)
    else:
        params.update(quality=int(options.quality), method=WEBP_METHOD)
    with open(path, "xb") as f:
        image.save(f, format=options.format.upper(), **params)
        # on disk before it gets its name: after a power cut a named copy is whole, never empty or cut
        # short (10 ms for 20 MB here; the two copies are written side by side)
        f.flush()
        os.fsync(f.fileno())


def _storable(text: str) -> str:
    """text as PNG text holds it: the bytes of a file name that is not valid UTF-8 (which Python keeps as
    lone surrogates, and UTF-8 cannot encode) written as \\xNN."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _write_partial(out_dir: Path, name: str, pixels: np.ndarray, options: OutputOptions, text: dict,
                   meta: dict = NO_METADATA) -> Path:
    """Encode pixels into a new temporary file; returns its path. Removed again if writing fails."""
    tmp = partial_path(out_dir, name)
    try:
        _encode(tmp, Image.fromarray(pixels), options, text,
                exif_bytes(meta["exif"], meta["dpi"], text.get("Description", ""), text.get(HINTS_TEXT, "")),
                meta["dpi"])
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _write_png_new(path: Path, pixels: np.ndarray, text: dict) -> None:
    """One PNG at path, with the settings of save_outputs, through a temporary file; FileExistsError
    if path exists (scripts/benchmark.py times the writer with it)."""
    path = Path(path)
    tmp = _write_partial(path.parent, path.name, pixels, OutputOptions(), text)
    try:
        _place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _collect(jobs) -> list:
    """Wait for every writing job (None: none); -> their temporary files. If one failed, or the wait
    was interrupted (Ctrl-C), every job's file is removed, that of a job still writing as soon as it
    is done, and the error is raised."""
    results, error = [], None
    for job in jobs:
        try:
            results.append(job.result() if job is not None else None)
        except BaseException as e:
            results.append(None)
            error = error or e
    if error is not None:
        for job in jobs:
            if job is not None:
                job.add_done_callback(_discard_written)  # now if it is done, else in its thread when it is
        raise error
    return results


def _discard_written(job) -> None:
    """A finished writing job's temporary file, removed (nothing for a job that failed)."""
    if not job.cancelled() and job.exception() is None:
        _discard([job.result()])


def _discard(paths) -> None:
    for p in paths:
        if p is not None:
            p.unlink(missing_ok=True)


def save_outputs(pred, temperature: float, out_dir, stem: str = None, gray=True,
                 options: OutputOptions = OutputOptions()) -> dict:
    """Write the grayscale and colorized copies of a Prediction; returns {'gray': path or None,
    'color': path}.

    The colour copy records the model and temperature, and the hints if any (pred.meta["hints"]); the
    gray one depends on none of them (it is the photo's own lightness), so it records only the source.
    A temperature outside 0..1 is refused (TemperatureError) before anything is made on disk."""
    temperature = check_temperature(temperature)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out_dir)
    stem = stem or Path(pred.source).stem or "image"
    ext = options.extension
    model = pred.meta.get("model", "")
    meta = NO_METADATA
    base = {"Software": SOFTWARE_NAME}
    if options.keep_metadata:
        base["colorizer:source"] = pred.source
        if pred.source and os.path.isfile(pred.source):
            meta = read_metadata(pred.source)
    gray_text = {**base, "Description": "grayscale (CIE L*) of the source"}
    hints = pred.meta.get("hints") or []
    with_hints = f", {len(hints)} colour hint{'s' * (len(hints) != 1)}" if hints else ""
    color_text = {**base, "Description": f"colorized, model {model}, temperature {temperature:g}{with_hints}",
                  "colorizer:model": model, "colorizer:temperature": f"{temperature:g}"}
    if hints:
        color_text[HINTS_TEXT] = hints_json(hints)
    with ThreadPoolExecutor(max_workers=2) as pool:
        gray_job = pool.submit(_write_partial, out_dir, f"{stem}_gray.{ext}", pred.gray(), options,
                               gray_text, meta) if gray else None  # encoded while the colour copy is decoded
        try:
            color_job = pool.submit(_write_partial, out_dir, f"{stem}_color.{ext}", pred.decode(temperature),
                                    options, color_text, meta)
        except BaseException:  # decoding failed: the gray copy is not kept without its colour one
            try:
                _discard(_collect([gray_job]))
            except BaseException:  # the decoding error is the one to report
                pass
            raise
        gray_tmp, color_tmp = _collect([gray_job, color_job])
    try:
        for _ in range(1000):  # another writer may take a name between the check and the link
            gray_path, color_path = free_output_paths(out_dir, stem, ext)
            try:
                try:
                    if gray:
                        _place(gray_tmp, gray_path)
                    _place(color_tmp, color_path)
                except BaseException:  # no gray copy without its colour one, also after a Ctrl-C between them
                    if gray:
                        _unplace(gray_tmp, gray_path)
                    raise
                return {"gray": gray_path if gray else None, "color": color_path}
            except FileExistsError:
                continue
        raise OSError(f"could not find a free file name for {stem} in {out_dir}")
    finally:
        _discard([gray_tmp, color_tmp])
