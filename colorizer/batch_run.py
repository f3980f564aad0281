"""`colorizer colorize`'s batch on the terminal: a line per photo, a progress bar, the tally, and Ctrl-C.

Ctrl-C stops at once, between two instructions of whatever runs: colorizer.output then removes the
files of the photo being written (no result without its pair, no .partial left), and the command
(colorizer.cli) ends with one line saying how far the Tally got (say_interrupted) and exit status 130,
the shell's for an interrupted command.
"""
import os
import signal
import sys
import warnings
from dataclasses import dataclass

from tqdm import tqdm

from .pipeline import colorize_paths

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


@dataclass
class Tally:
    """How far a batch got: photos to do, finished (written or failed), failed."""

    total: int
    finished: int = 0
    failed: int = 0

    @property
    def written(self) -> int:
        return self.finished - self.failed


def run_batch(colorizer, files: list, out_dir, temperature: float, options, hints, tally: Tally) -> int:
    """Colorize files into out_dir, saying on stderr what became of each and counting them into tally;
    -> the exit status: 0, or 1 if any photo failed. Ctrl-C (KeyboardInterrupt) goes through, after
    the progress bar is closed: the caller says how far it got (say_interrupted)."""
    with warnings.catch_warnings(), \
            tqdm(total=len(files), disable=len(files) < 2, file=sys.stderr, unit="photo") as bar:
        # e.g. an unusable ICC profile: one line naming the file, not a traceback
        warnings.showwarning = lambda message, *_: tqdm.write(f"warning: {message}", file=sys.stderr)
        for r in colorize_paths(colorizer, files, out_dir, temperature, options=options, hints=hints):
            tally.finished += 1
            if r.error:
                tally.failed += 1
                tqdm.write(f"error: {shown(r.source)}: {r.error}", file=sys.stderr)
            else:
                tqdm.write(f"{shown(r.source)} -> {shown(r.outputs['color'])}", file=sys.stderr)
            bar.update()
    if tally.failed:
        print(f"{tally.failed} of {len(files)} image(s) failed", file=sys.stderr)
    return 1 if tally.failed else 0


def shown(path) -> str:
    """A path as text any stream takes: the bytes of a name that is not valid UTF-8 as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def interrupted_line(tally: Tally, out_dir) -> str:
    written = f"{tally.written} pair(s) in {shown(out_dir)}" if tally.written else "nothing"
    failed = f", {tally.failed} failed" if tally.failed else ""
    more = "; --skip-existing goes on from there" if tally.written and tally.finished < tally.total else ""
    return f"interrupted after {tally.finished} of {tally.total} photos; written: {written}{failed}{more}"


def say_interrupted(tally: Tally, out_dir) -> None:
    """The one line after Ctrl-C; a second Ctrl-C meanwhile must not cut it short with a traceback."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: no handler to change
        previous = None
    try:
        print(interrupted_line(tally, out_dir), file=sys.stderr)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
