"""The batch: which one runs now (colorizing dropped photos, or saving the list again with "Apply to
all"), the progress row that shows how far it got, and Cancel. The window starts batches and tells
the worker to cancel; this keeps the buttons, actions and words in step with it."""
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from .actions import make_action
from .jobs import BatchSummary


class BatchRow(QWidget):
    apply_requested = Signal()  # "Apply to all": the button or Ctrl+S
    cancel_requested = Signal()  # sent only while a batch runs
    busy_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.kind = None  # None, "colorize" or "save"
        self.batch_id = None  # the worker's id of the batch running now
        self.cancelling = False
        self._has_results = False  # whether there is anything for "Apply to all" to save
        self.apply_action = make_action(self, "&Apply to all", self.apply_requested, "Ctrl+S",
                                        "Save new colorized copies of every photo in the list with the current "
                                        "model and temperature (earlier files are kept)")
        self.cancel_action = make_action(self, "&Cancel", self.cancel, "Esc", "Stop after the current photo")

        # Shown by the window in its top row, beside the model and temperature it applies.
        self.apply_button = QPushButton("Apply to all")
        self.apply_button.setToolTip(self.apply_action.statusTip() + " (Ctrl+S)")
        self.apply_button.setAccessibleName("Apply to all")
        self.apply_button.clicked.connect(self.apply_requested)

        # colorizer colorize --skip-existing: a batch that was stopped (or the window closed) goes on
        self.skip_check = QCheckBox("Skip photos already &done")
        self.skip_check.setToolTip("Leave out dropped photos whose grayscale and colorized copies are both in the "
                                   "output folder already, in the chosen format")
        self.skip_check.setAccessibleName("Skip photos already done")

        self.progress_label = QLabel("Ready")
        self.progress_label.setMinimumWidth(220)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%v of %m")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the photo being colorized now (Esc)")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)  # as the window's other rows
        row.addWidget(self.skip_check)
        row.addWidget(self.progress_label)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        self.set_busy(None)

    def skip_existing(self) -> bool:
        """Whether dropped photos whose copies are saved already are left out."""
        return self.skip_check.isChecked()

    def is_busy(self) -> bool:
        return self.kind is not None

    def set_busy(self, kind) -> None:
        """A batch of this kind starts ("colorize" or "save"), or, with None, none runs any more."""
        self.kind = kind
        self.cancelling = False
        busy = kind is not None
        self.cancel_button.setEnabled(busy)
        self.cancel_action.setEnabled(busy)
        self.apply_button.setEnabled(not busy and self._has_results)
        self.apply_action.setEnabled(not busy)
        self.busy_changed.emit(busy)
        if busy:
            self.progress_bar.setRange(0, 0)  # "working" until the worker knows how many photos
            self.progress_label.setText("Looking for photos…" if kind == "colorize" else "Saving…")
        elif self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)

    def set_has_results(self, has: bool) -> None:
        self._has_results = has
        self.apply_button.setEnabled(not self.is_busy() and has)

    def cancel(self) -> None:
        if not self.is_busy():
            return
        self.cancel_requested.emit()
        self.cancelling = True
        self.cancel_button.setEnabled(False)
        self.cancel_action.setEnabled(False)
        self.progress_label.setText("Cancelling after the current photo…")

    @Slot(int, int, str)
    def show_progress(self, done: int, total: int, current: str) -> None:
        if not self.is_busy():
            return
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        verb = "Saving" if self.kind == "save" else "Colorizing"
        if self.cancel_button.isEnabled():
            if current and total:
                self.progress_label.setText(f"{verb} {min(done + 1, total)} of {total}: {current}")
            elif current:
                self.progress_label.setText(f"{verb}: {current}…")

    def finish(self, summary: BatchSummary):
        """The batch has ended: says how it went in the progress row and returns that sentence; None for
        an earlier batch, which ended just as more photos were submitted (those run on)."""
        if summary.batch_id != self.batch_id:
            return None
        kind, cancelled = self.kind, self.cancelling
        self.set_busy(None)
        verb = "saved again" if kind == "save" else "colorized"
        text = f"{summary.done} photo{'s' if summary.done != 1 else ''} {verb}"
        if summary.failed:
            text += f", {summary.failed} failed (see the list)"
        if summary.skipped:
            text += f", {summary.skipped} skipped (saved already)"
        if summary.model_error:
            text = f"Stopped: {summary.model_error}."
        elif summary.folder_error:
            text = f"Stopped: {summary.folder_error}. Choose another output folder."
        elif cancelled:
            text = f"Cancelled: {text}, {summary.cancelled} not started."
        elif kind == "colorize" and summary.found + summary.skipped == 0 and summary.done + summary.failed == 0:
            text = "No photos found in what was dropped."
        else:
            text += "."
        self.progress_label.setText(text)
        return text
