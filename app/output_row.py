"""The output row: the folder the copies are saved to (change it, open it) and how they are saved
(format, quality, keeping the photo's metadata), each remembered in the settings."""
import os
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QWidget)

from colorizer.output import OutputOptions

from .actions import make_action
from .settings import Settings

OUTPUT_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}  # colorizer.output's formats, as shown


class OutputRow(QWidget):
    message = Signal(str, int)  # for the status bar: text, milliseconds

    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.open_action = make_action(self, "Open &output folder", self.open_output_dir, "Ctrl+Shift+E",
                                       "Show the saved photos in the file manager")
        self.change_action = make_action(self, "C&hange output folder…", self.choose_output_dir)

        label = QLabel("Save to:")
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.edit.setAccessibleName("Output folder")
        label.setBuddy(self.edit)
        change = QPushButton("Change…")
        change.setToolTip("Choose the folder the grayscale and colorized copies are saved to")
        change.setAccessibleName("Change output folder")
        change.clicked.connect(self.choose_output_dir)
        self.open_button = QPushButton("Open folder")
        self.open_button.setToolTip("Show the saved photos in the file manager (Ctrl+Shift+E)")
        self.open_button.setAccessibleName("Open output folder")
        self.open_button.clicked.connect(self.open_output_dir)
        format_label = QLabel("&Format:")
        self.format_combo = QComboBox()
        for fmt, name in OUTPUT_FORMATS.items():
            self.format_combo.addItem(name, fmt)
        self.format_combo.setAccessibleName("Output format")
        self.format_combo.setToolTip("File format of the saved copies: PNG (lossless), JPEG (full colour "
                                     "resolution) or WebP, at the quality beside it")
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(settings.output_format)))
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        format_label.setBuddy(self.format_combo)
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(1, 100)
        self.quality_spin.setPrefix("quality ")
        self.quality_spin.setValue(settings.output_quality)
        self.quality_spin.setAccessibleName("JPEG and WebP quality")
        self.quality_spin.setToolTip("JPEG and WebP quality, 1-100 (92: hard to tell from the original; "
                                     "WebP at 100 is lossless). PNG is always lossless.")
        self.quality_spin.valueChanged.connect(self._on_quality_changed)
        self._enable_quality_for_format()
        self.metadata_check = QCheckBox("&Keep photo metadata")
        self.metadata_check.setToolTip("Copy each photo's EXIF (date taken, camera, lens, GPS, …) and DPI into "
                                       "its copies. Off: the copies carry none of it.")
        self.metadata_check.setChecked(settings.keep_metadata)
        self.metadata_check.setAccessibleName("Keep photo metadata")
        self.metadata_check.toggled.connect(self._on_keep_metadata_changed)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)  # as the window's other rows
        row.addWidget(label)
        row.addWidget(self.edit, 1)
        row.addWidget(change)
        row.addWidget(self.open_button)
        row.addSpacing(8)
        row.addWidget(format_label)
        row.addWidget(self.format_combo)
        row.addWidget(self.quality_spin)
        row.addWidget(self.metadata_check)
        self._set_output_dir(settings.output_dir, remember=False)

    # ---- the folder -------------------------------------------------------------------------------
    def set_output_dir(self, path, remember: bool = True) -> None:
        """Where the copies are saved from now on (a running batch keeps its folder)."""
        self._set_output_dir(Path(path).expanduser().resolve(), remember)

    def _set_output_dir(self, path: Path, remember: bool) -> None:
        self.output_dir = Path(path)
        self.edit.setText(os.fspath(self.output_dir))
        self.edit.setToolTip(os.fspath(self.output_dir))
        if remember:
            self.settings.output_dir = self.output_dir

    def choose_output_dir(self) -> None:
        start = self.output_dir if self.output_dir.is_dir() else Path.home()
        folder = QFileDialog.getExistingDirectory(self.window(), "Save colorized photos to", os.fspath(start))
        if folder:
            self.set_output_dir(folder)

    def open_output_dir(self) -> None:
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)  # so there is something to open
        except OSError as e:
            self.message.emit(f"Cannot create {self.output_dir}: {e}", 10000)
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(os.fspath(self.output_dir))):
            self.message.emit(f"Could not open a file manager; the folder is {self.output_dir}", 10000)

    # ---- how the copies are saved -----------------------------------------------------------------
    def output_options(self) -> OutputOptions:
        """The format chosen, as the library takes it."""
        return OutputOptions(format=self.format_combo.currentData(), quality=self.quality_spin.value(),
                             keep_metadata=self.metadata_check.isChecked())

    def _on_format_changed(self, index: int) -> None:
        self.settings.output_format = self.format_combo.currentData()
        self._enable_quality_for_format()

    def _enable_quality_for_format(self) -> None:
        self.quality_spin.setEnabled(self.format_combo.currentData() != "png")  # PNG is always lossless

    def _on_quality_changed(self, quality: int) -> None:
        self.settings.output_quality = quality

    def _on_keep_metadata_changed(self, keep: bool) -> None:
        self.settings.keep_metadata = keep
