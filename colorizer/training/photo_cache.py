"""Training photos decoded once: every photo under the training folders, downsized, in one flat uint8
file that later runs memory-map instead of decoding thousands of JPEGs again.

A cache entry is named by a hash of the folders, every file's path, size and modification time, and
the size limit, so a changed folder builds a new entry and a stale one is never read. Beside the pixels
it keeps each photo's ab-cell histogram (the class prior of any mix of folders is then a weighted sum,
without a second pass over the pixels) and which folder each photo came from (per-folder sampling).

Entries live in $COLORIZER_CACHE or ~/.cache/landscape-colorizer/photos; cache="" keeps the photos in
memory only (tests, one-off runs).
"""
import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..bins import N_CELLS, count_cells
from ..color import rgb_to_lab
from ..images import ImageError, find_images, load_rgb

VERSION = 1  # bump when what an entry holds changes


def default_cache_dir() -> Path:
    return Path(os.environ.get("COLORIZER_CACHE", Path.home() / ".cache" / "landscape-colorizer" / "photos"))


class PhotoSet:
    """A sequence of uint8 RGB photos (H, W, 3), each a view into one flat buffer, with the folder index
    and ab-cell histogram of each."""

    def __init__(self, pixels: np.ndarray, shapes: np.ndarray, folder: np.ndarray, cell_counts: np.ndarray,
                 roots: list, names: list):
        self.pixels, self.shapes, self.folder = pixels, np.asarray(shapes), np.asarray(folder)
        self.cell_counts, self.roots, self.names = cell_counts, list(roots), list(names)
        sizes = self.shapes.prod(axis=1)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def __len__(self):
        return len(self.shapes)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        return self.pixels[self.offsets[i]:self.offsets[i + 1]].reshape(self.shapes[i])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def folder_sizes(self) -> np.ndarray:
        return np.bincount(self.folder, minlength=len(self.roots))

    def sources(self) -> dict:
        """{folder: {source: photos}}; a photo's source is its file name up to "__" (the convention of
        ../shared/photos: "<package or dataset>__<name>"), else the folder itself."""
        out = {str(r): {} for r in self.roots}
        for k, name in zip(self.folder, self.names):
            source = Path(name).name.split("__")[0] if "__" in Path(name).name else Path(self.roots[k]).name
            counts = out[str(self.roots[k])]
            counts[source] = counts.get(source, 0) + 1
        return out


def fingerprint(files_by_root: list, max_side: int) -> str:
    h = hashlib.sha1(f"v{VERSION} side {max_side}\n".encode())
    for root, files in files_by_root:
        h.update(f"root {os.path.abspath(root)}\n".encode())
        for f in files:
            st = os.stat(f)
            h.update(f"{os.path.relpath(f, root)} {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def decode(path, max_side: int):
    """A photo as training holds it: uint8 RGB, longer side at most max_side (Lanczos)."""
    im = Image.fromarray(load_rgb(path))
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(im)


def build(files_by_root: list, max_side: int, progress: bool) -> PhotoSet:
    photos, shapes, folder, counts, names = [], [], [], [], []
    files = [(k, root, f) for k, (root, fs) in enumerate(files_by_root) for f in fs]
    for k, root, f in tqdm(files, desc="decoding photos", unit="photo", disable=not progress or len(files) < 200,
                           file=sys.stderr, mininterval=5):
        try:
            rgb = decode(f, max_side)
        except ImageError as e:
            print(f"skipping {e}", file=sys.stderr)
            continue
        photos.append(rgb.reshape(-1))
        shapes.append(rgb.shape)
        folder.append(k)
        counts.append(count_cells(rgb_to_lab(rgb)[..., 1:]))
        names.append(os.path.relpath(f, root))
    if not photos:
        raise SystemExit(f"no readable images under {', '.join(root for root, _ in files_by_root)}")
    return PhotoSet(np.concatenate(photos), np.array(shapes, dtype=np.int64), np.array(folder, dtype=np.int64),
                    np.array(counts, dtype=np.int64).reshape(-1, N_CELLS), [r for r, _ in files_by_root], names)


def save(photos: PhotoSet, entry: Path) -> None:
    """Pixels, histograms and index, each written under a temporary name of this process and renamed: a run
    killed while building leaves no entry that looks complete (the index, renamed last, marks it so), and
    two runs saving at once never write into one file (a run that has the entry mapped keeps its copy)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    for suffix, write in ((".u8", photos.pixels.tofile), (".counts.npy", lambda f: np.save(f, photos.cell_counts))):
        tmp = entry.with_name(f"{entry.name}{suffix}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, entry.with_name(entry.name + suffix))
    index = {"version": VERSION, "roots": photos.roots, "names": photos.names, "shapes": photos.shapes.tolist(),
             "folder": photos.folder.tolist()}
    tmp = entry.with_name(f"{entry.name}.json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index))
    os.replace(tmp, entry.with_name(entry.name + ".json"))


def open_entry(entry: Path) -> PhotoSet:
    index = json.loads(entry.with_name(entry.name + ".json").read_text())
    pixels = np.memmap(entry.with_name(entry.name + ".u8"), dtype=np.uint8, mode="r")
    counts = np.load(entry.with_name(entry.name + ".counts.npy"))
    return PhotoSet(pixels, np.array(index["shapes"], dtype=np.int64), np.array(index["folder"], dtype=np.int64),
                    counts, index["roots"], index["names"])


def load_photo_set(roots, max_side: int, cache=None, progress=True) -> PhotoSet:
    """Every readable image under each of roots (a folder or a list of folders), longer side at most
    max_side. cache: a folder for entries (None: the default one; "": none, decode into memory)."""
    roots = [roots] if isinstance(roots, (str, os.PathLike)) else list(roots)
    files_by_root = [(os.fspath(r), find_images([r])) for r in roots]
    for root, files in files_by_root:
        if not files:
            raise SystemExit(f"no readable images under {root}")
    if cache == "":
        return build(files_by_root, max_side, progress)
    entry = Path(cache or default_cache_dir()) / fingerprint(files_by_root, max_side)
    with building_lock(entry):  # runs started together: one decodes, the others wait and open its entry
        if entry.with_name(entry.name + ".json").exists():
            try:
                return open_entry(entry)
            except (OSError, ValueError, KeyError) as e:
                print(f"photo cache {entry}: unreadable ({e}); building it again", file=sys.stderr)
        photos = build(files_by_root, max_side, progress)
        try:
            save(photos, entry)
            return open_entry(entry)
        except OSError as e:  # a full disk or a read-only home: train from memory
            print(f"photo cache {entry}: not written ({e}); photos kept in memory", file=sys.stderr)
            return photos


@contextlib.contextmanager
def building_lock(entry: Path):
    """An exclusive lock on the entry's .lock file (fcntl, so POSIX only; elsewhere, or where the folder
    cannot be written, none: save() alone keeps concurrent writers apart)."""
    try:
        import fcntl
        entry.parent.mkdir(parents=True, exist_ok=True)
        f = open(entry.with_name(entry.name + ".lock"), "w")
    except (ImportError, OSError):
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
