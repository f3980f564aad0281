"""The main window: lays out the panels and wires them, the remembered settings and the worker together.

Each panel owns its widgets, actions and state: the model and temperature (app.model_controls), the
large view (app.photo_view, kept up to date by app.previews), the colour hints (app.hints_panel, right
of the view in hint mode), the output options (app.output_row) and the batch with its progress
(app.batch_row). The window keeps what spans them: the list of photos and what is known of each
(app.photos, the hints included), the menus, the banner, and adding and saving photos. It holds no
colorizing logic of its own: it turns user actions into requests for the worker (app.worker) and shows
what comes back. It never calls torch and never waits for the worker.
"""
import logging
import os
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QApplication, QFileDialog, QFrame, QHBoxLayout, QLabel, QMainWindow, QMessageBox,
                               QPushButton, QSplitter, QToolButton, QVBoxLayout, QWidget)

from colorizer.images import IMAGE_EXTENSIONS
from colorizer.weights import list_models, weights_dirs

from . import DISPLAY_NAME
from . import theme
from .actions import make_action
from .batch_row import BatchRow
from .hints_panel import HintsPanel
from .jobs import AddPaths, BatchSummary, Colorize, ItemResult, Options
from .model_controls import ModelControls
from .output_row import OutputRow
from .photo_view import PhotoView
from .photos import Photos
from .previews import Previews
from .results import ResultsList
from .settings import Settings
from .widgets import DropZone
from .worker import PREVIEW_SIDE, ColorizeWorker
from .worker_thread import WorkerThread

log = logging.getLogger("app.window")


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
        self.photos = Photos(self)
        self._select_first_result = False  # the first photo of a new batch is shown as soon as it is done
        self._shut_down = False
        self._last_input_dir = Path.home()

        self.worker = ColorizeWorker(device, preview_side)
        self.choice = ModelControls(self.models, settings, self)
        self.view = PhotoView(self.models)
        self.output_row = OutputRow(settings)
        self.batch = BatchRow()
        self.results = ResultsList()
        self.previews = Previews(self.worker, self.photos, self.results, self.view, self.choice, self)
        self.hints_panel = HintsPanel(self.photos)

        self.setWindowTitle(DISPLAY_NAME)
        self._build_actions()
        self._build_menus()
        self.setCentralWidget(self._build_central())
        self._wire()
        self.statusBar().showMessage("Drop photos or folders onto the window to colorize them.")
        if self.models:
            self.choice.select_remembered()
        else:
            self._no_models()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
        self._apply_scheme_colors()
        self.resize(1200, 780)
        if not settings.geometry().isEmpty():
            self.restoreGeometry(settings.geometry())
        if settings.list_width():
            self.splitter.setSizes([settings.list_width(), max(400, self.width() - settings.list_width())])
        self._worker_thread = WorkerThread(self.worker)  # last: nothing can fail after it has started

    @property
    def shown(self):
        """What the large view shows (app.shown.Shown), or None."""
        return self.previews.shown

    @property
    def output_dir(self) -> Path:
        return self.output_row.output_dir

    # ================================================================================================
    # Building the window
    # ================================================================================================
    def _build_actions(self) -> None:
        self.add_images_action = make_action(self, "Add &images…", self.choose_images, QKeySequence.StandardKey.Open,
                                             "Choose photos to colorize")
        self.add_folder_action = make_action(self, "Add &folder…", self.choose_folder, "Ctrl+Shift+O",
                                             "Choose a folder; every photo in it and its sub-folders is colorized")
        self.clear_action = make_action(self, "C&lear list", self.clear_results, None, "Remove every photo from the "
                                        "list (the saved files stay)")
        self.open_log_action = make_action(self, "Open &log", self.open_log, None, "Show the log file")
        self.quit_action = make_action(self, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.about_action = make_action(self, "&About", self.show_about)

    def _build_menus(self) -> None:
        hints = self.hints_panel
        menus = {
            "&File": [self.add_images_action, self.add_folder_action, None, self.batch.apply_action,
                      hints.save_photo_action, self.batch.cancel_action, self.clear_action, None,
                      self.output_row.open_action, self.output_row.change_action, None, self.quit_action],
            "&Edit": [hints.undo_action, hints.redo_action],
            "&View": self.view.view_actions(),
            "H&ints": [hints.mode_action, None, hints.remove_action, hints.clear_action, None, hints.load_action,
                       hints.save_hints_action],
            "&Help": [self.open_log_action, self.about_action],
        }
        for title, actions in menus.items():
            menu = self.menuBar().addMenu(title)
            for a in actions:
                if a is None:
                    menu.addSeparator()
                else:
                    menu.addAction(a)
                    self.addAction(a)  # shortcuts work even where the menu bar is hidden
        # The menu bar's own "more menus" button (shown only when the window is too narrow for them).
        for button in self.menuBar().findChildren(QToolButton):
            button.setAccessibleName("More menus")

    def _build_central(self) -> QWidget:
        self.drop_zone = DropZone()
        layout = QVBoxLayout(self.drop_zone)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(8)
        layout.addLayout(self._build_top_row())

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.results)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.hints_panel)
        self.hints_panel.hide()  # shown in hint mode
        self.view.add_to_bar(self.hints_panel.mode_button)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 880])
        self.splitter.setChildrenCollapsible(False)
        self.results.hide()  # shown with the first result; until then the drop hint has the whole width
        layout.addWidget(self.splitter, 1)

        layout.addWidget(self.output_row)
        layout.addWidget(self.batch)
        return self.drop_zone

    def _build_top_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.add_button = QPushButton("Add images…")
        self.add_button.setToolTip("Choose photos to colorize (Ctrl+O); or drop photos and folders here")
        self.add_button.setAccessibleName("Add images")
        self.add_button.clicked.connect(self.choose_images)
        row.addWidget(self.add_button)
        row.addWidget(_separator())
        self.choice.add_to(row, slider_stretch=3)
        row.addSpacing(8)
        row.addWidget(self.batch.apply_button)
        row.addStretch(1)  # the slider gets three times as much of the spare room
        self.device_label = QLabel("Device: starting…")
        self.device_label.setToolTip("Where the network runs: a CUDA GPU when there is one, else the CPU")
        row.addWidget(self.device_label)
        return row

    def _wire(self) -> None:
        worker, choice, view, previews, batch = self.worker, self.choice, self.view, self.previews, self.batch
        worker.device_ready.connect(self._on_device_ready)
        worker.progress.connect(batch.show_progress)
        worker.item_finished.connect(self._on_item_finished)
        worker.batch_finished.connect(self._on_batch_finished)
        worker.preview_ready.connect(previews.show_preview)
        worker.detail_ready.connect(previews.show_detail)
        worker.model_preview_ready.connect(previews.show_model_preview)
        worker.suggestions_ready.connect(self.hints_panel.show_suggestions)
        worker.model_loaded.connect(self._on_model_loaded)
        worker.model_failed.connect(self._on_model_failed)

        self.drop_zone.paths_dropped.connect(self.add_paths)
        view.hint.add_images.connect(self.choose_images)
        view.hint.add_folder.connect(self.choose_folder)
        choice.model_changed.connect(self._on_model_changed)
        choice.temperature_changed.connect(previews.request)
        self.results.currentItemChanged.connect(previews.show_selected)
        self.results.currentItemChanged.connect(self._show_hints_of_selected)
        view.compare.view_changed.connect(previews.request_detail)
        view.models_view.resized.connect(previews.request_models)
        view.models_view.picked.connect(self.use_model)
        view.models_page_toggled.connect(self._on_models_page_toggled)
        batch.apply_requested.connect(self.apply_to_all)
        batch.cancel_requested.connect(self._cancel_worker)
        batch.busy_changed.connect(lambda busy: self.clear_action.setEnabled(not busy))
        self._wire_hints()
        for panel in (previews, self.output_row, self.hints_panel):
            panel.message.connect(self.statusBar().showMessage)
        previews.preview_shown.connect(self.preview_shown)
        previews.detail_shown.connect(self.detail_shown)
        previews.model_preview_shown.connect(self.model_preview_shown)

    def _wire_hints(self) -> None:
        """Hint mode: the panel edits the photo's hints (app.photos), the view draws them and reports
        clicks and drags, the previews ask the worker for the colours they give."""
        hints, compare = self.hints_panel, self.view.compare
        hints.mode_toggled.connect(self._on_hint_mode)
        hints.markers_changed.connect(compare.set_hints)
        hints.suggestions_wanted.connect(self.previews.request_suggestions)
        hints.save_requested.connect(self.save_selected)
        compare.point_clicked.connect(lambda p: hints.add_at(p, compare.shown_color(p.x(), p.y())))
        compare.marker_selected.connect(hints.select)
        compare.marker_moved.connect(hints.move)
        compare.marker_nudged.connect(hints.nudge)
        hints.marker_activated.connect(compare.hold_marker)
        compare.marker_removed.connect(hints.remove)
        compare.position_announced.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.choice.temperature_changed.connect(hints.set_temperature)  # the palette's "shown now" follows T
        self.photos.hints_changed.connect(self._on_hints_changed)

    def _no_models(self) -> None:
        dirs = "<br>".join(f"&nbsp;&nbsp;{os.fspath(d)}" for d in self.searched_dirs)
        self._show_banner("<b>No models found.</b> Photos cannot be colorized until a model is installed: "
                          "put its files (<i>NAME</i>.safetensors, <i>NAME</i>.json and any shared file its card "
                          "names) into one of these "
                          f"folders and start the app again:<br>{dirs}")
        self.view.hint.message.setText("No models found: see the message above.")
        self.view.hint.message.show()
        self.add_button.setEnabled(False)  # the model controls have disabled themselves
        self.view.hint.set_buttons_enabled(False)
        self.drop_zone.enabled_for_drops = False

    # ================================================================================================
    # Current choices
    # ================================================================================================
    def current_model(self):
        """The chosen model's card, or None when there are no models."""
        return self.choice.current_model()

    def temperature(self) -> float:
        return self.choice.temperature()

    def set_temperature(self, t: float) -> None:
        self.choice.set_temperature(t)

    def options(self):
        card = self.choice.current_model()
        return Options(card, self.temperature(), os.fspath(self.output_dir),
                       self.output_row.output_options(), self.batch.skip_existing()) if card else None

    def set_output_dir(self, path, remember: bool = True) -> None:
        """Where the copies are saved from now on (a running batch keeps its folder)."""
        self.output_row.set_output_dir(path, remember)

    def _on_model_changed(self, card: dict) -> None:
        self.hints_panel.set_model(card, self.temperature())
        self.view.models_view.set_current(card["id"])
        self._hide_banner()
        self.previews.request()

    def use_model(self, model_id: str) -> None:
        """Make a model the current one (from "Compare models"), and go back to the before/after view."""
        if not self.choice.select(model_id):
            return
        self.view.models_view.set_current(model_id)
        self.view.show_models_page(False)

    def _on_models_page_toggled(self, on: bool) -> None:
        if on:
            self.hints_panel.mode_action.setChecked(False)  # hints are placed on the before/after view
            self.view.models_view.set_current(self.current_model()["id"] if self.current_model() else "")
            self.previews.request_models()
        else:
            self.previews.request_detail()

    # ================================================================================================
    # Colour hints
    # ================================================================================================
    def _on_hint_mode(self, on: bool) -> None:
        if on:
            self.view.show_models_page(False)
            sizes = self.splitter.sizes()
            if sizes[2] < self.hints_panel.minimumWidth():  # its room comes from the view (a splitter leaves it at 0)
                panel = max(self.hints_panel.minimumWidth(), self.hints_panel.sizeHint().width())
                # A list shown but not laid out yet reads 0 wide: it keeps the width it will have.
                listed = sizes[0] or (self.settings.list_width() or 300 if self.results.isVisible() else 0)
                self.splitter.setSizes([listed, max(320, sum(sizes) - listed - panel), panel])
        self.hints_panel.setVisible(on)
        self.view.compare.set_hint_mode(on)

    def _show_hints_of_selected(self) -> None:
        key = self.results.current_key()
        entry = self.photos.get(key)
        if entry is not None and entry.ok:
            self.hints_panel.set_photo(key, entry.source, entry.size)
        else:
            self.hints_panel.set_photo(None)

    def _on_hints_changed(self, key) -> None:
        if key == self.results.current_key():
            self.previews.request()  # the new colours, from the worker

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
        self.choice.broken.discard(options.model_id)  # try loading it once more
        log.info("colorize %d path(s) with %s, T=%g -> %s", len(paths), options.model_id, options.temperature,
                 options.out_dir)
        first = Path(paths[0])
        self._last_input_dir = first if first.is_dir() else first.parent  # where the next dialog opens
        if not self.batch.is_busy():
            self._select_first_result = True
            self.batch.set_busy("colorize")
        self.batch.batch_id = self.worker.submit(AddPaths(paths, options))

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
        self.choice.broken.add(model_id)
        self._show_banner(f"<b>The model “{self.choice.model_name(model_id)}” could not be loaded.</b> Choose "
                          f"another model, or reinstall this one.<br><small>{_html(reason)}</small>")

    @Slot(object)
    def _on_item_finished(self, result: ItemResult) -> None:
        result = self.photos.with_earlier_outputs(result)
        self.results.show_result(result)  # makes the thumbnail from result.color
        self.results.show()
        self.photos.keep(result)
        self.view.leave_hint()
        if result.key == self.results.current_key():
            self._show_hints_of_selected()  # a photo shown while it was still being colorized has its size now
        if result.ok and self._select_first_result:
            self._select_first_result = False  # the first photo of a batch is shown as soon as it is done
            self.results.select_key(result.key)
        elif result.key == self.results.current_key():
            self.previews.show_selected()
        self.batch.set_has_results(self.photos.has_results())

    @Slot(object)
    def _on_batch_finished(self, summary: BatchSummary) -> None:
        text = self.batch.finish(summary)
        if text is None:
            return  # an earlier batch ended just as more photos were submitted: those run on
        if summary.folder_error:  # the row says why; nothing was saved there
            self.statusBar().showMessage(text, 15000)
        else:
            self.statusBar().showMessage(f"{text} Files are in {self.output_dir}", 15000)
        self.batch_done.emit(summary)

    # ================================================================================================
    # Batch actions
    # ================================================================================================
    def apply_to_all(self) -> None:
        """Write new colorized copies of every photo in the list with the current model and T, each
        with its own hints."""
        self._save_again(self.photos.colorized(), "apply to all")

    def save_selected(self) -> None:
        """Write a new colorized copy of the selected photo (with its hints)."""
        entry = self.photos.get(self.results.current_key())
        self._save_again([entry] if entry is not None and entry.ok else [], "save")

    def _save_again(self, items: list, what: str) -> None:
        options = self.options()
        if self.batch.is_busy() or options is None or not items:
            return
        self.choice.broken.discard(options.model_id)
        tasks = []
        for entry in items:
            gray = entry.outputs.get("gray")
            # The grayscale copy does not depend on model or T: write it again only into a new folder
            # or in a new format.
            has_gray = (bool(gray) and Path(gray).parent == Path(options.out_dir) and Path(gray).exists()
                        and Path(gray).suffix == f".{options.output.extension}")
            tasks.append(Colorize(entry.key, entry.source, options, resave=True, write_gray=not has_gray,
                                  hints=self.previews.hints_for(options.model, entry.key)))
        log.info("%s: %d photo(s) with %s, T=%g, %d with hints", what, len(tasks), options.model_id,
                 options.temperature, sum(bool(t.hints) for t in tasks))
        self.batch.set_busy("save")
        self.batch.batch_id = self.worker.submit(*tasks)

    def _cancel_worker(self) -> None:
        self.worker.cancel()  # called here, in the GUI thread: a signal to the worker would wait in its queue

    def clear_results(self) -> None:
        if self.batch.is_busy():
            return
        self.results.clear()
        self.results.hide()
        self.photos.clear()
        self.hints_panel.set_photo(None)
        self.previews.forget()
        self.view.clear()
        self.batch.set_has_results(False)

    def is_busy(self) -> bool:
        return self.batch.is_busy()

    # ================================================================================================
    # Log, about, banner, light and dark
    # ================================================================================================
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
    # Closing
    # ================================================================================================
    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Remember the window's geometry and stop the worker: its queue is cancelled, and the step it is
        in ends without the window waiting for it (app.worker_thread). Runs on close, and also when the
        application quits without closing the window (e.g. at logout)."""
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
