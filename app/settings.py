"""What the window remembers between runs: model, temperature (per model), output folder and format,
geometry.

Stored with QSettings in the platform's usual place. Setting LANDSCAPE_COLORIZER_SETTINGS to a file
path stores them in that INI file instead, so tests (and portable installs) never touch the real
user's settings.
"""
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from colorizer.output import FORMATS

from . import APP_NAME, DISPLAY_NAME

SETTINGS_ENV = "LANDSCAPE_COLORIZER_SETTINGS"


def default_output_dir() -> Path:
    """<Pictures>/Landscape Colorizer, or a folder in the home directory where there is no Pictures."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home()) / DISPLAY_NAME


class Settings:
    """Typed access to the stored values; a missing or garbled value reads as its default."""

    def __init__(self, store: QSettings):
        self.store = store

    @classmethod
    def open(cls) -> "Settings":
        path = os.environ.get(SETTINGS_ENV)
        if path:
            return cls(QSettings(path, QSettings.Format.IniFormat))
        return cls(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME))

    @classmethod
    def at(cls, path) -> "Settings":
        """Settings kept in the INI file `path` (tests, screenshots)."""
        return cls(QSettings(os.fspath(path), QSettings.Format.IniFormat))

    # -- model and temperature -------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return str(self.store.value("model", "") or "")

    @model_id.setter
    def model_id(self, model_id: str) -> None:
        self.store.setValue("model", model_id)

    def temperature(self, model_id: str):
        """The temperature last used with this model, or None (then the model card's default)."""
        # Kept per model: each model's card has its own calibrated default, so one shared value would
        # drag a model away from its own good setting whenever the user switches.
        value = self.store.value(f"temperature/{model_id}")
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def set_temperature(self, model_id: str, temperature: float) -> None:
        self.store.setValue(f"temperature/{model_id}", f"{temperature:.2f}")

    # -- output folder ---------------------------------------------------------------------------
    @property
    def output_dir(self) -> Path:
        value = self.store.value("output_dir")
        return Path(value) if value else default_output_dir()

    @output_dir.setter
    def output_dir(self, path) -> None:
        self.store.setValue("output_dir", os.fspath(path))

    # -- output format ---------------------------------------------------------------------------
    @property
    def output_format(self) -> str:
        """'png' (the default), 'jpeg' or 'webp'."""
        value = str(self.store.value("output/format", "png") or "png")
        return value if value in FORMATS else "png"

    @output_format.setter
    def output_format(self, fmt: str) -> None:
        self.store.setValue("output/format", fmt)

    @property
    def output_quality(self) -> int:
        """JPEG and WebP quality, 1..100 (92 unless changed; WebP at 100 is lossless)."""
        try:
            value = int(self.store.value("output/quality", 92))
        except (TypeError, ValueError):
            return 92
        return value if 1 <= value <= 100 else 92

    @output_quality.setter
    def output_quality(self, quality: int) -> None:
        self.store.setValue("output/quality", int(quality))

    @property
    def keep_metadata(self) -> bool:
        """Copy the photo's EXIF (camera, date, GPS, ...) into the copies; on unless turned off."""
        return str(self.store.value("output/keep_metadata", "true")).lower() not in ("false", "0", "no")

    @keep_metadata.setter
    def keep_metadata(self, keep: bool) -> None:
        self.store.setValue("output/keep_metadata", "true" if keep else "false")

    # -- window ----------------------------------------------------------------------------------
    def geometry(self) -> QByteArray:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) else QByteArray()

    def set_geometry(self, geometry: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)

    def list_width(self):
        """Width of the results list, as the user left it, or None."""
        try:
            return int(self.store.value("window/list_width"))
        except (TypeError, ValueError):
            return None

    def set_list_width(self, width: int) -> None:
        self.store.setValue("window/list_width", int(width))

    def sync(self) -> None:
        self.store.sync()
