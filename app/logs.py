"""The log file in the user's data folder, which the window's "Open log" shows.

A user who reports a problem can send this file: it names every photo, model and error of a run of the app.
"""
import logging
import logging.handlers
import sys
from pathlib import Path

from PySide6.QtCore import QStandardPaths

LOG_FILE = "landscape-colorizer.log"
FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def default_log_path() -> Path:
    """<AppDataLocation>/landscape-colorizer.log (needs the application name set first)."""
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(data) / LOG_FILE


def setup_logging(path=None):
    """Log to `path` (default: default_log_path()), rotating at 1 MB. Returns the path, or None when
    the file cannot be written (then the log goes to stderr only; the app still runs)."""
    path = Path(path) if path else default_log_path()
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                       encoding="utf-8")
    except OSError as e:
        print(f"landscape-colorizer: cannot write the log file {path}: {e}", file=sys.stderr)
        path, handler = None, logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    logging.captureWarnings(True)
    # An exception that escapes a Qt slot would otherwise only reach a console the user never sees.
    previous_hook = sys.excepthook

    def log_uncaught(kind, value, tb):
        logging.getLogger("app").critical("uncaught exception", exc_info=(kind, value, tb))
        previous_hook(kind, value, tb)

    sys.excepthook = log_uncaught
    return path
