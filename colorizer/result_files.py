"""The files a batch leaves in its output folder, as later runs find them.

colorizer.output writes each photo's results as a pair, <stem>_gray.<ext> and <stem>_color.<ext> (or
with -1, -2, ... after both), tagged with SOFTWARE. Two things hang on knowing them again:

- a run whose output folder is its input folder (results kept beside the photos) must not colorize the
  last run's results: is_result tells them from photos, by name and by tag, so that a photo of the
  user's that happens to be called sky_color.jpg is still colorized;
- --skip-existing resumes a stopped batch: split_done leaves out the photos whose pair is complete.
"""
import os
import re
import warnings
from collections import Counter
from pathlib import Path

from PIL import Image

SOFTWARE = "Landscape Colorizer"  # the Software tag (EXIF, and PNG text) of every result
EXIF_SOFTWARE = 0x0131
_NAME = re.compile(r"^(?P<stem>.+)_(?P<kind>gray|color)(?P<n>-[1-9][0-9]*)?\.(?P<ext>png|jpg|webp)$")


def is_result(path) -> bool:
    """Whether path is a file colorizer.output wrote: a result's name and the tool's Software tag (read
    from the header only)."""
    if not _NAME.match(os.path.basename(path)):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                software = im.info.get("Software")  # PNG text, read with the header
                if software is None and im.format != "PNG":  # a PNG's EXIF may follow its pixels
                    software = im.getexif().get(EXIF_SOFTWARE)
    except Exception:  # unreadable: then it is no result of ours, and colorizing it says why
        return False
    return isinstance(software, str) and software.rstrip("\0") == SOFTWARE


def complete_pairs(out_dir, ext: str) -> Counter:
    """{stem: how many complete pairs (both the gray and the colour file) of that stem out_dir holds} for
    results of extension ext; {} for a folder that does not exist yet."""
    try:
        names = set(os.listdir(out_dir))
    except FileNotFoundError:
        return Counter()
    pairs = Counter()
    for name in names:
        m = _NAME.match(name)
        if m and m["kind"] == "gray" and m["ext"] == ext and f"{m['stem']}_color{m['n'] or ''}.{ext}" in names:
            pairs[m["stem"]] += 1
    return pairs


def split_done(files: list, out_dir, ext: str) -> tuple:
    """(photos still to colorize, photos whose results are in out_dir already), each in the order given.

    A photo's results are named by its stem, so photos of one stem (in different folders) share the
    pairs: the k-th photo of a stem counts as done when out_dir holds k complete pairs of it, as a
    batch that was stopped wrote them in this order."""
    pairs = complete_pairs(out_dir, ext)
    seen, todo, done = Counter(), [], []
    for f in files:
        stem = Path(f).stem or "image"  # as colorizer.output names the results
        seen[stem] += 1
        (done if seen[stem] <= pairs[stem] else todo).append(f)
    return todo, done
