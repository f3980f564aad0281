"""The main window: wires the widgets, the remembered settings and the worker together.

It holds no colorizing logic of its own: it turns user actions into requests for the worker
(app.worker) and shows what comes back. It never calls torch and never waits for the worker.
"""
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QFileDialog, QFrame, QHBoxLayout, QLabel,
                               QLineEdit, QMainWindow, QMessageBox, QProgressBar, QPushButton, QSlider, QSpinBox,
                               QSplitter, QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from colorizer.images import IMAGE_EXTENSIONS
from colorizer.output import OutputOptions
from colorizer.weights import list_models, weights_dirs

from . import DISPLAY_NAME
from . import theme
from .compare import CompareView
from .jobs import (AddPaths, BatchSummary, Colorize, Detail, DetailRequest, ItemResult, ModelPreview, ModelsRequest,
                   Options, Preview, PreviewRequest)
from .models_view import ModelsView
from .results import ResultsList
from .settings import Settings
from .widgets import DropZone, EmptyHint
from .worker import PREVIEW_SIDE, ColorizeWorker, WorkerThread

log = logging.getLogger("app.window")

T_MIN, T_MAX = 0.05, 1.00  # the temperature slider's range; it moves in steps of 0.01
HINT_PAGE, COMPARE_PAGE, MODELS_PAGE = 0, 1, 2
OUTPUT_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}  # colorizer.output's formats, as shown


class RecentImages:
    """The before/after previews of the last few photos, so that going back to one is instant. Bounded,
    because a batch may hold thousands of photos and each preview pair takes a few MB; an older photo's
    preview is asked from the worker again."""

    def __init__(self, limit: int = 24):
        self.limit = limit
        self._items = OrderedDict()  # key -> (gray QImage, color QImage, Shown)

    def get(self, key):
        if key in self._items:
            self._items.move_to_end(key)
        return self._items.get(key)

    def put(self, key, gray, color, shown) -> None:
        self._items[key] = (gray, color, shown)
        self._items.move_to_end(key)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


@dataclass(frozen=True)
class Shown:
    """What the large view shows now: which photo, through which model, at which temperature."""

    key: int
    model_id: str
    temperature: float


class MainWindow(QMainWindow):
    batch_done = Signal(object)  # BatchSummary, once the window has shown it
    preview_shown = Signal(object)  # Shown, after the large view changed to another model or temperature
    detail_shown = Signal(object)  # Detail, once the zoomed-in view shows it
    model_preview_shown = Signal(object)  # ModelPreview, once its panel in "Compare models" shows it

    def __init__(self, settings: Settings, weights_dir=None, device: str = "auto", log_path=None,
                 preview_side: int = PREVIEW_SIDE):
        super().__init__()
        self.settings = settings
        self.log_path = Path(log_path) if log_path else None
        self.searched_dirs = [Path(weights_dir)] if weights_dir else weights_dirs()
        self.models = list_models(weights_dir) if weights_dir else list_models()
        # key -> the photo's latest successful ItemResult (or its error), without images: see self.recent
        self.entries = {}
        self.recent = RecentImages()
        self.shown = None  # Shown, or None
        self.output_dir = settings.output_dir
        self._busy = None  # None, "colorize" or "save"
        self._batch_id = None  # the worker's id of the batch running now
        self._cancelling = False
        self._select_first_result = False
        self._broken_models = set()  # ids of models that failed to load (retried when chosen again)
        self._shut_down = False
        self._last_input_dir = Path.home()
        self._view_key = None  # the photo the large view was last set up for (zoom is reset for another)
        self._detail_asked = None  # (key, model id, T, region) of the last detail asked for
        self._preview_asked = None  # (key, model id, T, side, with gray) of the last preview asked for

        self.worker = ColorizeWorker(device, preview_side)
        self.worker.device_ready.connect(self._on_device_ready)
        self.worker.progress.connect(self._on_progress)
        self.worker.item_finished.connect(self._on_item_finished)
        self.worker.batch_finished.connect(self._on_batch_finished)
        self.worker.preview_ready.connect(self._on_preview_ready)
        self.worker.detail_ready.connect(self._on_detail_ready)
        self.worker.model_preview_ready.connect(self._on_model_preview_ready)
        self.worker.model_loaded.connect(self._on_model_loaded)
        self.worker.model_failed.connect(self._on_model_failed)

        self.setWindowTitle(DISPLAY_NAME)
        self._build_actions()
        self._build_menus()
        self.setCentralWidget(self._build_central())
        self.statusBar().showMessage("Drop photos or folders onto the window to colorize them.")
        self._fill_models()
        self._set_output_dir(self.output_dir, remember=False)
        self._set_busy(None)
        self._show_zoom(self.compare.zoom())
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
        self._apply_scheme_colors()
        self.resize(1200, 780)
        if not settings.geometry().isEmpty():
            self.restoreGeometry(settings.geometry())
        if settings.list_width():
            self.splitter.setSizes([settings.list_width(), max(400, self.width() - settings.list_width())])
        self._worker_thread = WorkerThread(self.worker)  # last: nothing can fail after it has started

    # ================================================================================================
    # Building the window
    # ================================================================================================
    def _build_actions(self) -> None:
        def action(text, slot, shortcut=None, tip=None):
            a = QAction(text, self)
            a.triggered.connect(slot)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            if tip:
                a.setStatusTip(tip)
            self.addAction(a)  # shortcuts work even where the menu bar is hidden
            return a

        self.add_images_action = action("Add &images…", self.choose_images, QKeySequence.StandardKey.Open,
                                        "Choose photos to colorize")
        self.add_folder_action = action("Add &folder…", self.choose_folder, "Ctrl+Shift+O",
                                        "Choose a folder; every photo in it and its sub-folders is colorized")
        self.apply_action = action("&Apply to all", self.apply_to_all, "Ctrl+S",
                                   "Save new colorized copies of every photo in the list with the current "
                                   "model and temperature (earlier files are kept)")
        self.cancel_action = action("&Cancel", self.cancel, "Esc", "Stop after the current photo")
        self.clear_action = action("C&lear list", self.clear_results, None, "Remove every photo from the list "
                                   "(the saved files stay)")
        self.open_output_action = action("Open &output folder", self.open_output_dir, "Ctrl+Shift+E",
                                         "Show the saved photos in the file manager")
        self.change_output_action = action("C&hange output folder…", self.choose_output_dir)
        self.open_log_action = action("Open &log", self.open_log, None, "Show the log file")
        self.quit_action = action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.fit_action = action("&Fit", self.zoom_fit, "Ctrl+0", "Show the whole photo")
        self.actual_size_action = action("&100 %", self.zoom_actual_size, "Ctrl+1",
                                         "One photo pixel per screen pixel, decoded from the full-resolution photo")
        self.zoom_in_action = action("Zoom &in", lambda: self.compare.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = action("Zoom &out", lambda: self.compare.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self.compare_models_action = QAction("&Compare models", self)
        self.compare_models_action.setCheckable(True)
        self.compare_models_action.setShortcut(QKeySequence("Ctrl+M"))
        self.compare_models_action.setStatusTip("The selected photo through every model side by side, each at its "
                                                "own temperature; click one to use it")
        self.compare_models_action.toggled.connect(self.show_models_page)
        self.addAction(self.compare_models_action)
        self.about_action = action("&About", self.show_about)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for a in (self.add_images_action, self.add_folder_action, None, self.apply_action, self.cancel_action,
                  self.clear_action, None, self.open_output_action, self.change_output_action, None,
                  self.quit_action):
            file_menu.addSeparator() if a is None else file_menu.addAction(a)
        view_menu = self.menuBar().addMenu("&View")
        for a in (self.fit_action, self.actual_size_action, self.zoom_in_action, self.zoom_out_action, None,
                  self.compare_models_action):
            view_menu.addSeparator() if a is None else view_menu.addAction(a)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.open_log_action)
        help_menu.addAction(self.about_action)
        # The menu bar's own "more menus" button (shown only when the window is too narrow for them).
        for button in self.menuBar().findChildren(QToolButton):
            button.setAccessibleName("More menus")

    def _build_central(self) -> QWidget:
        self.drop_zone = DropZone()
        self.drop_zone.paths_dropped.connect(self.add_paths)
        layout = QVBoxLayout(self.drop_zone)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(8)

        layout.addLayout(self._build_controls())

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.results = ResultsList()
        self.results.currentItemChanged.connect(self._on_selection_changed)
        self.hint = EmptyHint()
        self.hint.add_images.connect(self.choose_images)
        self.hint.add_folder.connect(self.choose_folder)
        self.compare = CompareView()
        self.compare.view_changed.connect(self._request_detail)
        self.compare.zoom_changed.connect(self._show_zoom)
        self.models_view = ModelsView()
        self.models_view.set_models(self.models)
        self.models_view.picked.connect(self.use_model)
        self.models_view.resized.connect(self._request_models)
        self.view_stack = QStackedWidget()
        self.view_stack.addWidget(self.hint)
        self.view_stack.addWidget(self.compare)
        self.view_stack.addWidget(self.models_view)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(4)
        right_layout.addWidget(self.view_stack, 1)
        right_layout.addLayout(self._build_view_bar())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.results)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 880])
        self.splitter.setChildrenCollapsible(False)
        self.results.hide()  # shown with the first result; until then the drop hint has the whole width
        layout.addWidget(self.splitter, 1)

        layout.addLayout(self._build_output_row())
        layout.addLayout(self._build_progress_row())
        return self.drop_zone

    def _build_controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.add_button = QPushButton("Add images…")
        self.add_button.setToolTip("Choose photos to colorize (Ctrl+O); or drop photos and folders here")
        self.add_button.setAccessibleName("Add images")
        self.add_button.clicked.connect(self.choose_images)
        row.addWidget(self.add_button)
        row.addWidget(_separator())

        model_label = QLabel("&Model:")
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_combo.setMinimumWidth(100)
        self.model_combo.setAccessibleName("Model")
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        model_label.setBuddy(self.model_combo)
        row.addWidget(model_label)
        row.addWidget(self.model_combo)
        row.addSpacing(8)

        t_label = QLabel("&Temperature:")
        t_label.setToolTip("Low: vivid colours, with some speckle. High: calm but greyer colours.")
        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setRange(round(T_MIN * 100), round(T_MAX * 100))
        self.temperature_slider.setSingleStep(1)
        self.temperature_slider.setPageStep(5)
        self.temperature_slider.setMinimumWidth(100)
        self.temperature_slider.setToolTip(t_label.toolTip())
        self.temperature_slider.setAccessibleName("Temperature")
        self.temperature_slider.valueChanged.connect(self._on_temperature_changed)
        t_label.setBuddy(self.temperature_slider)
        self.temperature_label = QLabel("0.00")
        self.temperature_label.setMinimumWidth(self.temperature_label.fontMetrics().horizontalAdvance("0.000"))
        self.default_t_button = QToolButton()
        self.default_t_button.setText("↺")  # "back to the default"; the tooltip says which value
        self.default_t_button.setAccessibleName("Default temperature")
        self.default_t_button.clicked.connect(self._reset_temperature)
        row.addWidget(t_label)
        row.addWidget(self.temperature_slider, 3)
        row.addWidget(self.temperature_label)
        row.addWidget(self.default_t_button)
        row.addSpacing(8)

        self.apply_button = QPushButton("Apply to all")
        self.apply_button.setToolTip(self.apply_action.statusTip() + " (Ctrl+S)")
        self.apply_button.setAccessibleName("Apply to all")
        self.apply_button.clicked.connect(self.apply_to_all)
        row.addWidget(self.apply_button)
        row.addStretch(1)
        self.device_label = QLabel("Device: starting…")
        self.device_label.setToolTip("Where the network runs: a CUDA GPU when there is one, else the CPU")
        row.addWidget(self.device_label)
        return row

    def _build_view_bar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)

        def button(action, name):
            b = QToolButton()
            b.setDefaultAction(action)
            b.setAccessibleName(name)
            b.setToolTip(f"{action.statusTip()} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            row.addWidget(b)
            return b

        self.fit_button = button(self.fit_action, "Zoom to fit")
        self.actual_size_button = button(self.actual_size_action, "Zoom to 100 percent")
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("Fit (100 %)") + 8)
        self.zoom_label.setAccessibleName("Zoom")
        row.addWidget(self.zoom_label)
        row.addStretch(1)
        self.compare_models_button = button(self.compare_models_action, "Compare models")
        return row

    def _build_output_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        label = QLabel("Save to:")
        self.output_edit = QLineEdit()
        self.output_edit.setReadOnly(True)
        self.output_edit.setAccessibleName("Output folder")
        label.setBuddy(self.output_edit)
        change = QPushButton("Change…")
        change.setToolTip("Choose the folder the grayscale and colorized copies are saved to")
        change.setAccessibleName("Change output folder")
        change.clicked.connect(self.choose_output_dir)
        self.open_output_button = QPushButton("Open folder")
        self.open_output_button.setToolTip("Show the saved photos in the file manager (Ctrl+Shift+E)")
        self.open_output_button.setAccessibleName("Open output folder")
        self.open_output_button.clicked.connect(self.open_output_dir)
        format_label = QLabel("&Format:")
        self.format_combo = QComboBox()
        for fmt, name in OUTPUT_FORMATS.items():
            self.format_combo.addItem(name, fmt)
        self.format_combo.setAccessibleName("Output format")
        self.format_combo.setToolTip("File format of the saved copies: PNG (lossless), JPEG (full colour "
                                     "resolution) or WebP, at the quality beside it")
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(self.settings.output_format)))
        self.format_combo.currentIndexChanged.connect(self._on_output_format_changed)
        format_label.setBuddy(self.format_combo)
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(1, 100)
        self.quality_spin.setPrefix("quality ")
        self.quality_spin.setValue(self.settings.output_quality)
        self.quality_spin.setAccessibleName("JPEG and WebP quality")
        self.quality_spin.setToolTip("JPEG and WebP quality, 1-100 (92: hard to tell from the original; "
                                     "WebP at 100 is lossless). PNG is always lossless.")
        self.quality_spin.valueChanged.connect(self._on_output_quality_changed)
        self._enable_quality_for_format()
        self.metadata_check = QCheckBox("&Keep photo metadata")
        self.metadata_check.setToolTip("Copy each photo's EXIF (date taken, camera, lens, GPS, …) and DPI into "
                                       "its copies. Off: the copies carry none of it.")
        self.metadata_check.setChecked(self.settings.keep_metadata)
        self.metadata_check.setAccessibleName("Keep photo metadata")
        self.metadata_check.toggled.connect(self._on_keep_metadata_changed)
        row.addWidget(label)
        row.addWidget(self.output_edit, 1)
        row.addWidget(change)
        row.addWidget(self.open_output_button)
        row.addSpacing(8)
        row.addWidget(format_label)
        row.addWidget(self.format_combo)
        row.addWidget(self.quality_spin)
        row.addWidget(self.metadata_check)
        return row

    def _build_progress_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.progress_label = QLabel("Ready")
        self.progress_label.setMinimumWidth(220)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%v of %m")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the photo being colorized now (Esc)")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.progress_label)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        return row

    def _fill_models(self) -> None:
        self.model_combo.blockSignals(True)
        for card in self.models:
            self.model_combo.addItem(card.get("name", card["id"]), card["id"])
            self.model_combo.setItemData(self.model_combo.count() - 1, card.get("description", ""),
                                         Qt.ItemDataRole.ToolTipRole)
        self.model_combo.blockSignals(False)
        if not self.models:
            dirs = "<br>".join(f"&nbsp;&nbsp;{os.fspath(d)}" for d in self.searched_dirs)
            self._show_banner("<b>No models found.</b> Photos cannot be colorized until a model is installed: "
                              "put its two files (<i>NAME</i>.safetensors and <i>NAME</i>.json) into one of these "
                              f"folders and start the app again:<br>{dirs}")
            self.hint.message.setText("No models found: see the message above.")
            self.hint.message.show()
            for w in (self.model_combo, self.temperature_slider, self.default_t_button, self.add_button):
                w.setEnabled(False)
            self.hint.set_buttons_enabled(False)
            self.drop_zone.enabled_for_drops = False
            self.temperature_label.setText("–")
            return
        ids = [c["id"] for c in self.models]
        index = ids.index(self.settings.model_id) if self.settings.model_id in ids else 0
        self.model_combo.blockSignals(True)
        self.model_combo.setCurrentIndex(index)
        self.model_combo.blockSignals(False)
        self._on_model_changed(index)

    # ================================================================================================
    # Current choices
    # ================================================================================================
    def current_model(self):
        """The chosen model's card, or None when there are no models."""
        i = self.model_combo.currentIndex()
        return self.models[i] if 0 <= i < len(self.models) else None

    def temperature(self) -> float:
        return self.temperature_slider.value() / 100

    def set_temperature(self, t: float) -> None:
        self.temperature_slider.setValue(round(min(T_MAX, max(T_MIN, t)) * 100))

    def output_options(self) -> OutputOptions:
        """The format chosen beside the output folder, as the library takes it."""
        return OutputOptions(format=self.format_combo.currentData(), quality=self.quality_spin.value(),
                             keep_metadata=self.metadata_check.isChecked())

    def options(self):
        card = self.current_model()
        return Options(card, self.temperature(), os.fspath(self.output_dir), self.output_options()) if card else None

    def _on_output_format_changed(self, index: int) -> None:
        self.settings.output_format = self.format_combo.currentData()
        self._enable_quality_for_format()

    def _enable_quality_for_format(self) -> None:
        self.quality_spin.setEnabled(self.format_combo.currentData() != "png")  # PNG is always lossless

    def _on_output_quality_changed(self, quality: int) -> None:
        self.settings.output_quality = quality

    def _on_keep_metadata_changed(self, keep: bool) -> None:
        self.settings.keep_metadata = keep

    def _usable_model(self):
        card = self.current_model()
        return card if card and card["id"] not in self._broken_models else None

    # ================================================================================================
    # Adding photos
    # ================================================================================================
    @Slot(list)
    def add_paths(self, paths) -> None:
        """Colorize files and folders (recursively); may be called while a batch runs (they join it)."""
        paths = [os.fspath(p) for p in paths]
        if not paths:
            return
        options = self.options()
        if options is None:
            self.statusBar().showMessage("Cannot colorize: no model is installed.")
            return
        if self.current_model()["id"] in self._broken_models:
            self._broken_models.discard(self.current_model()["id"])  # try loading it once more
        log.info("colorize %d path(s) with %s, T=%g -> %s", len(paths), options.model_id, options.temperature,
                 options.out_dir)
        first = Path(paths[0])
        self._last_input_dir = first if first.is_dir() else first.parent  # where the next dialog opens
        if self._busy is None:
            self._select_first_result = True
            self._set_busy("colorize")
        self._batch_id = self.worker.submit(AddPaths(paths, options))

    def choose_images(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(IMAGE_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(self, "Add images", self._dialog_start_dir(),
                                                f"Images ({patterns});;All files (*)")
        self.add_paths(files)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", self._dialog_start_dir())
        if folder:
            self.add_paths([folder])

    def _dialog_start_dir(self) -> str:
        return os.fspath(self._last_input_dir if self._last_input_dir.is_dir() else Path.home())

    # ================================================================================================
    # Model and temperature
    # ================================================================================================
    @Slot(int)
    def _on_model_changed(self, index: int) -> None:
        card = self.current_model()
        if card is None:
            return
        self.model_combo.setToolTip(card.get("description", ""))
        self.models_view.set_current(card["id"])
        self.settings.model_id = card["id"]
        self._broken_models.discard(card["id"])  # the user may have replaced the file: try again
        self._hide_banner()
        remembered = self.settings.temperature(card["id"])
        self.temperature_slider.blockSignals(True)  # one preview request below, not two
        self.set_temperature(remembered if remembered is not None else self._card_temperature(card))
        self.temperature_slider.blockSignals(False)
        self._show_temperature()
        self._request_preview()

    @staticmethod
    def _card_temperature(card: dict) -> float:
        try:
            return float(card.get("default_temperature", 0.38))
        except (TypeError, ValueError):
            return 0.38

    @Slot(int)
    def _on_temperature_changed(self, value: int) -> None:
        card = self.current_model()
        if card is not None:
            self.settings.set_temperature(card["id"], self.temperature())
        self._show_temperature()
        self._request_preview()

    def _show_temperature(self) -> None:
        self.temperature_label.setText(f"{self.temperature():.2f}")
        card = self.current_model()
        if card is not None:
            default = self._card_temperature(card)
            self.default_t_button.setToolTip(f"Back to this model's default temperature, {default:.2f}")
            self.default_t_button.setEnabled(round(default * 100) != self.temperature_slider.value())

    def _reset_temperature(self) -> None:
        card = self.current_model()
        if card is not None:
            self.set_temperature(self._card_temperature(card))

    # ================================================================================================
    # The large view
    # ================================================================================================
    def _on_selection_changed(self, current, previous) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        key = self.results.current_key()
        entry = self.entries.get(key)
        if entry is None:
            return
        if key != self._view_key:
            self._view_key = key
            self._preview_asked = self._detail_asked = None
            self.compare.new_photo()
            self.models_view.clear_pictures()
        if not entry.ok:
            self.view_stack.setCurrentIndex(COMPARE_PAGE)
            self.shown = None
            self.compare.set_message(f"{Path(entry.source).name} could not be colorized:\n{entry.error}")
            return
        self.view_stack.setCurrentIndex(MODELS_PAGE if self.compare_models_action.isChecked() else COMPARE_PAGE)
        recent = self.recent.get(key)
        if recent is None:
            self.shown = None
            self.compare.set_message(f"Loading {Path(entry.source).name}…")
        else:
            gray, color, self.shown = recent
            self.compare.set_images(gray, color, QSize(*entry.size))
        self._request_preview()

    def _photo_size(self, key) -> QSize:
        entry = self.entries.get(key)
        return QSize(*entry.size) if entry is not None and entry.size else None

    def _request_preview(self) -> None:
        """Ask the worker for the selected photo as the current model and temperature would colour it,
        unless that is what is shown already."""
        key = self.results.current_key()
        entry, card = self.entries.get(key), self._usable_model()
        if entry is None or not entry.ok or card is None:
            return
        self._request_detail()  # first: when zoomed in, the detail is what the user looks at
        self._request_models()
        self._request_whole_preview()

    def _request_whole_preview(self) -> None:
        """The preview of the whole photo, at the size it is shown at Fit (so the slider decodes no pixel
        more than shown). Zoomed in, where the full-resolution detail covers the view, it waits until the
        view is zoomed out again."""
        key = self.results.current_key()
        entry, card = self.entries.get(key), self._usable_model()
        if entry is None or not entry.ok or card is None:
            return
        t = self.temperature()
        coarse = self.compare.is_fit() and self.compare.preview_is_coarse()  # e.g. the window was made larger
        if self.shown == Shown(key, card["id"], t) and not coarse:
            return
        if (self.shown is not None and self.shown.key == key and self.view_stack.currentIndex() == COMPARE_PAGE
                and self.compare.detail_request() is not None):
            return
        with_gray = self.compare.before_image() is None or self.shown is None or self.shown.key != key
        side = self.compare.fit_side(QSize(*entry.size)) if entry.size else 0
        side = -(-side // 64) * 64 if side else None  # whole steps of 64 px: a resize by a few pixels changes nothing
        ask = (key, card["id"], t, side, with_gray)
        if ask == self._preview_asked:
            return  # asked for already (and not answered yet, or it would be shown)
        self._preview_asked = ask
        self.worker.request_preview(PreviewRequest(key, entry.source, card, t, with_gray, side))

    @Slot(object)
    def _on_preview_ready(self, preview: Preview) -> None:
        if preview.key != self.results.current_key():
            return  # the user has moved on to another photo
        if preview.error:
            self._preview_asked = None
            self.statusBar().showMessage(f"Preview failed: {preview.error}", 8000)
            if self.shown is None:
                self.compare.set_message(f"Cannot show this photo: {preview.error}")
            return
        if preview.gray is not None:
            self.compare.set_images(preview.gray, preview.color, self._photo_size(preview.key))
        elif self.compare.before_image() is not None:
            self.compare.set_after(preview.color)
        else:  # an answer to an older request that did not ask for the "before" image: ask again
            self.shown = None
            self._request_preview()
            return
        self.shown = Shown(preview.key, preview.model_id, preview.temperature)
        self.recent.put(preview.key, self.compare.before_image(), preview.color, self.shown)
        self.preview_shown.emit(self.shown)
        self._request_detail()

    # ---- zoom: the visible part decoded from the full-resolution photo ------------------------------
    def zoom_fit(self) -> None:
        self.compare.fit()

    def zoom_actual_size(self) -> None:
        self.compare.actual_size()

    def _show_zoom(self, zoom: float) -> None:
        percent = f"{zoom * 100:.0f} %"
        self.zoom_label.setText(f"Fit ({percent})" if self.compare.is_fit() else percent)

    def _request_detail(self) -> None:
        """Ask for the visible region at the size shown when the preview is too coarse for it (zoomed in);
        nothing when it is already shown or asked for."""
        key = self.results.current_key()
        entry, card = self.entries.get(key), self._usable_model()
        region = self.compare.detail_request() if self.view_stack.currentIndex() == COMPARE_PAGE else None
        if entry is None or not entry.ok or card is None or region is None or self.shown is None:
            self._detail_asked = None
            if region is None:
                self.compare.clear_detail()
                if self.shown is not None and self.shown.key == key:
                    self._request_whole_preview()  # zoomed out: the preview may be of an older temperature
            return
        t = self.temperature()
        ask = (key, card["id"], t, region)
        if ask == self._detail_asked:
            return
        self._detail_asked = ask
        detail = self.compare.detail()
        with_gray = detail is None or detail["region"] != region or detail["before"] is None
        self.worker.request_detail(DetailRequest(key, entry.source, card, t, region[0], region[1], with_gray))

    @Slot(object)
    def _on_detail_ready(self, detail: Detail) -> None:
        if detail.key != self.results.current_key() or self.view_stack.currentIndex() != COMPARE_PAGE:
            return
        if detail.error:
            self.statusBar().showMessage(f"Could not decode the zoomed-in part: {detail.error}", 8000)
            return
        if self.compare.detail_request() is None:
            return  # zoomed out meanwhile: the preview is fine enough
        self.compare.set_detail(detail.region, detail.gray, detail.color)
        self.detail_shown.emit(detail)

    # ---- Compare models ---------------------------------------------------------------------------
    def show_models_page(self, on: bool = True) -> None:
        """Show every model side by side (on) or the before/after view (off)."""
        if self.compare_models_action.isChecked() != on:
            self.compare_models_action.setChecked(on)  # comes back here through toggled
            return
        if self.view_stack.currentIndex() == HINT_PAGE:
            return  # nothing to compare yet; the page is shown with the first photo
        self.view_stack.setCurrentIndex(MODELS_PAGE if on else COMPARE_PAGE)
        for action in (self.fit_action, self.actual_size_action, self.zoom_in_action, self.zoom_out_action):
            action.setEnabled(not on)  # they act on the before/after view
        if on:
            self.models_view.set_current(self.current_model()["id"] if self.current_model() else "")
            self._request_models()
        else:
            self._request_detail()

    def _model_temperature(self, card: dict) -> float:
        """The temperature the user last set for a model, or its card's default."""
        if card is self.current_model():
            return self.temperature()
        remembered = self.settings.temperature(card["id"])
        return remembered if remembered is not None else self._card_temperature(card)

    def _request_models(self) -> None:
        if self.view_stack.currentIndex() != MODELS_PAGE:
            return
        key = self.results.current_key()
        entry = self.entries.get(key)
        if entry is None or not entry.ok or not entry.size:
            return
        side = self.models_view.panel_side(QSize(*entry.size))
        wanted = []
        for card in self.models:
            if card["id"] in self._broken_models:
                continue
            t = self._model_temperature(card)
            shown = self.models_view.shown(card["id"])
            # A picture within 15 % of the panel's size is kept: resizing the window re-decodes only
            # when the difference would show.
            if shown is None or shown[:2] != (key, t) or not (shown[2] and 0.85 <= shown[2] / side <= 1.15):
                wanted.append((card, t))
        if wanted:
            self.worker.request_models(ModelsRequest(key, entry.source, wanted, side))

    @Slot(object)
    def _on_model_preview_ready(self, answer: ModelPreview) -> None:
        if answer.key != self.results.current_key():
            return
        if answer.error:
            self.models_view.set_failed(answer.model_id, answer.key, answer.error)
        else:
            self.models_view.set_picture(answer.model_id, answer.key, answer.temperature, answer.max_side,
                                         answer.color)
        self.model_preview_shown.emit(answer)

    def use_model(self, model_id: str) -> None:
        """Make a model the current one (from "Compare models"), and go back to the before/after view."""
        index = self.model_combo.findData(model_id)
        if index < 0:
            return
        self.model_combo.setCurrentIndex(index)
        self.models_view.set_current(model_id)
        self.show_models_page(False)

    # ---- light and dark ---------------------------------------------------------------------------
    def _on_color_scheme_changed(self, scheme) -> None:
        app = QApplication.instance()
        if app is not None:
            theme.follow_scheme(app, scheme)
        self._apply_scheme_colors()

    def _apply_scheme_colors(self) -> None:
        """The colours the window sets itself, for the palette in use (the rest follow the palette)."""
        self.banner.setStyleSheet(theme.banner_style(self.palette()))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_scheme_colors()

    # ================================================================================================
    # Worker reports
    # ================================================================================================
    @Slot(str)
    def _on_device_ready(self, name: str) -> None:
        self.device_label.setText(f"Device: {name}")

    @Slot(str, float)
    def _on_model_loaded(self, name: str, seconds: float) -> None:
        self.statusBar().showMessage(f"Loaded model “{name}” in {seconds:.1f} s", 5000)

    @Slot(str, str)
    def _on_model_failed(self, model_id: str, reason: str) -> None:
        self._broken_models.add(model_id)
        name = next((c.get("name", model_id) for c in self.models if c["id"] == model_id), model_id)
        self._show_banner(f"<b>The model “{name}” could not be loaded.</b> Choose another model, or reinstall "
                          f"this one.<br><small>{_html(reason)}</small>")

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, current: str) -> None:
        if self._busy is None:
            return
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        verb = "Saving" if self._busy == "save" else "Colorizing"
        if self.cancel_button.isEnabled():
            if current and total:
                self.progress_label.setText(f"{verb} {min(done + 1, total)} of {total}: {current}")
            elif current:
                self.progress_label.setText(f"{verb}: {current}…")

    @Slot(object)
    def _on_item_finished(self, result: ItemResult) -> None:
        previous = self.entries.get(result.key)
        if result.ok and result.resave and previous is not None:
            result = replace(result, outputs={**previous.outputs, **result.outputs})
        self.results.show_result(result)  # makes the thumbnail from result.color
        self.results.show()
        if result.ok:
            self.recent.put(result.key, result.gray, result.color,
                            Shown(result.key, result.model_id, result.temperature))
        if result.ok or previous is None:
            self.entries[result.key] = replace(result, gray=None, color=None)  # images live in self.recent
        if self.view_stack.currentIndex() == HINT_PAGE:
            self.view_stack.setCurrentIndex(COMPARE_PAGE)
            self.compare.set_message("Select a photo in the list to see it here.")
        if result.ok and self._select_first_result:
            self._select_first_result = False  # the first photo of a batch is shown as soon as it is done
            self.results.select_key(result.key)
        elif result.key == self.results.current_key():
            self._show_selected()
        self.apply_button.setEnabled(self._busy is None and self._has_results())

    @Slot(object)
    def _on_batch_finished(self, summary: BatchSummary) -> None:
        if summary.batch_id != self._batch_id:
            return  # an earlier batch ended just as more photos were submitted: those run on
        kind, cancelled = self._busy, self._cancelling
        self._set_busy(None)
        verb = "saved again" if kind == "save" else "colorized"
        text = f"{summary.done} photo{'s' if summary.done != 1 else ''} {verb}"
        if summary.failed:
            text += f", {summary.failed} failed (see the list)"
        if summary.model_error:
            text = f"Stopped: {summary.model_error}."
        elif cancelled:
            text = f"Cancelled: {text}, {summary.cancelled} not started."
        elif kind == "colorize" and summary.found == 0 and summary.done + summary.failed == 0:
            text = "No photos found in what was dropped."
        else:
            text += "."
        self.progress_label.setText(text)
        self.statusBar().showMessage(f"{text} Files are in {self.output_dir}", 15000)
        self.batch_done.emit(summary)

    # ================================================================================================
    # Batch actions
    # ================================================================================================
    def apply_to_all(self) -> None:
        """Write new colorized copies of every photo in the list with the current model and T."""
        options = self.options()
        items = [e for e in self.entries.values() if e.ok]
        if self._busy is not None or options is None or not items:
            return
        if options.model_id in self._broken_models:
            self._broken_models.discard(options.model_id)
        tasks = []
        for entry in items:
            gray = entry.outputs.get("gray")
            # The grayscale copy does not depend on model or T: write it again only into a new folder
            # or in a new format.
            has_gray = (bool(gray) and Path(gray).parent == Path(options.out_dir) and Path(gray).exists()
                        and Path(gray).suffix == f".{options.output.extension}")
            tasks.append(Colorize(entry.key, entry.source, options, resave=True, write_gray=not has_gray))
        log.info("apply to all: %d photo(s) with %s, T=%g", len(tasks), options.model_id, options.temperature)
        self._set_busy("save")
        self._batch_id = self.worker.submit(*tasks)

    def cancel(self) -> None:
        if self._busy is None:
            return
        self.worker.cancel()
        self._cancelling = True
        self.cancel_button.setEnabled(False)
        self.cancel_action.setEnabled(False)
        self.progress_label.setText("Cancelling after the current photo…")

    def clear_results(self) -> None:
        if self._busy is not None:
            return
        self.results.clear()
        self.results.hide()
        self.entries.clear()
        self.recent.clear()
        self.shown = None
        self._view_key = None
        self.compare.set_message("")
        self.models_view.clear_pictures("")
        self.compare_models_action.setChecked(False)
        self.view_stack.setCurrentIndex(HINT_PAGE)
        self.apply_button.setEnabled(False)

    def _has_results(self) -> bool:
        return any(e.ok for e in self.entries.values())

    def _set_busy(self, kind) -> None:
        self._busy = kind
        self._cancelling = False
        busy = kind is not None
        self.cancel_button.setEnabled(busy)
        self.cancel_action.setEnabled(busy)
        self.apply_button.setEnabled(not busy and self._has_results())
        self.apply_action.setEnabled(not busy)
        self.clear_action.setEnabled(not busy)
        if busy:
            self.progress_bar.setRange(0, 0)  # "working" until the worker knows how many photos
            self.progress_label.setText("Looking for photos…" if kind == "colorize" else "Saving…")
        elif self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)

    def is_busy(self) -> bool:
        return self._busy is not None

    # ================================================================================================
    # Output folder, log, about
    # ================================================================================================
    def set_output_dir(self, path, remember: bool = True) -> None:
        """Where the copies are saved from now on (a running batch keeps its folder)."""
        self._set_output_dir(Path(path).expanduser().resolve(), remember)

    def _set_output_dir(self, path: Path, remember: bool) -> None:
        self.output_dir = Path(path)
        self.output_edit.setText(os.fspath(self.output_dir))
        self.output_edit.setToolTip(os.fspath(self.output_dir))
        if remember:
            self.settings.output_dir = self.output_dir

    def choose_output_dir(self) -> None:
        start = self.output_dir if self.output_dir.is_dir() else Path.home()
        folder = QFileDialog.getExistingDirectory(self, "Save colorized photos to", os.fspath(start))
        if folder:
            self.set_output_dir(folder)

    def open_output_dir(self) -> None:
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)  # so there is something to open
        except OSError as e:
            self.statusBar().showMessage(f"Cannot create {self.output_dir}: {e}", 10000)
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(os.fspath(self.output_dir))):
            self.statusBar().showMessage(f"Could not open a file manager; the folder is {self.output_dir}", 10000)

    def open_log(self) -> None:
        if self.log_path is None or not self.log_path.exists():
            self.statusBar().showMessage("There is no log file (it could not be written).", 8000)
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(os.fspath(self.log_path))):
            self.statusBar().showMessage(f"The log is {self.log_path}", 10000)

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {DISPLAY_NAME}",
                          f"<h3>{DISPLAY_NAME}</h3><p>Colorizes black-and-white landscape photographs with a "
                          "neural network that predicts, for every pixel, a distribution over colours.</p>"
                          f"<p>Log file: {_html(os.fspath(self.log_path) if self.log_path else 'none')}</p>")

    def _show_banner(self, html: str) -> None:
        self.banner.setText(html)
        self.banner.show()

    def _hide_banner(self) -> None:
        if self.models:  # "no models" stays: nothing the user does in the window can fix it
            self.banner.hide()

    # ================================================================================================
    # Closing
    # ================================================================================================
    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Remember the window's geometry and stop the worker (after its current photo). Runs on close,
        and also when the application quits without closing the window (e.g. at logout)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.settings.set_geometry(self.saveGeometry())
        if self.results.isVisible():  # a hidden list has no width worth keeping
            self.settings.set_list_width(self.splitter.sizes()[0])
        self.settings.sync()
        self._worker_thread.stop()

    def sizeHint(self) -> QSize:
        return QSize(1200, 780)


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
