"""The worker: every call into the colorizer (model loading, network passes with ONNX Runtime or torch,
decoding) happens here, in its own thread, so that the window never freezes. torch, where installed,
is first imported here too, when the worker thread starts: not before the window is shown.

The window talks to the worker through thread-safe methods (submit, request_preview, request_detail,
request_models, request_suggestions, cancel) that only touch lock-protected state and wake the worker;
it never waits for an answer, which comes back through Qt signals. Every request gets one, with the
result or with why not (app.failures), whatever the error. The worker does one unit of work
(one photo, one preview, one detail, one palette, one model of a comparison) per wake-up and then looks
at its queue again, so a preview request made while a long batch is running is served after the
current photo, not after the whole batch. Requests for what is shown are mailboxes of size one: when
the temperature slider moves faster than the worker decodes, only the newest position is computed. The
zoomed-in detail comes first (it is what the user looks at), then the preview of the whole photo, then
the hint palette's suggestions, then the comparison, then photos. The network outputs it keeps, and
those it makes with colour hints, are app.predictions'. A batch's output folder is checked before its
first photo: one that cannot be written stops the batch with one message naming the folder and the
reason (BatchSummary.folder_error), not one failure per photo.
"""
import itertools
import logging
import os
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QImage

from colorizer.images import find_images
from colorizer.output import OutputFolderError, check_output_dir
from colorizer.result_files import split_done
from colorizer.pipeline import Colorizer, device_name, resolve_device, save_outputs

from .failures import log_failure
from .jobs import (AddPaths, BatchSummary, Colorize, Detail, DetailRequest, ItemResult, ModelPreview, ModelsRequest,
                   Preview, PreviewRequest, SuggestRequest, Suggestions)
from .predictions import PredictionCache, Predictions  # noqa: F401  (PredictionCache: tests import it from here)

log = logging.getLogger("app.worker")

PREVIEW_SIDE = 1024  # longer side of the images the window shows; saved files are full size
CACHE_BYTES = 768 * 2**20  # network outputs kept for re-decoding at another temperature


def to_qimage(pixels: np.ndarray) -> QImage:
    """uint8 HxW (gray) or HxWx3 (RGB) -> a QImage that owns a copy of the pixels."""
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return image.copy()  # the numpy buffer goes away when this function returns


class ColorizeWorker(QObject):
    device_ready = Signal(str)  # "CPU" or "CUDA: <name>"
    progress = Signal(int, int, str)  # photos finished, photos known so far, name of the current one
    item_finished = Signal(object)  # ItemResult
    batch_finished = Signal(object)  # BatchSummary
    preview_ready = Signal(object)  # Preview
    detail_ready = Signal(object)  # Detail
    model_preview_ready = Signal(object)  # ModelPreview
    suggestions_ready = Signal(object)  # Suggestions
    model_loaded = Signal(str, float)  # model name, seconds it took
    model_failed = Signal(str, str)  # model id, reason
    _wake = Signal()

    def __init__(self, device: str = "auto", preview_side: int = PREVIEW_SIDE, cache_bytes: int = CACHE_BYTES):
        super().__init__()
        self.preview_side = preview_side
        self._device_request = device
        self.device = None
        # Shared with the GUI thread, under the lock:
        self._lock = threading.Lock()
        self._queue = deque()
        self._preview = None
        self._detail = None
        self._models = None
        self._suggest = None
        self._generation = 0  # bumped by cancel()
        self._cancelled = 0
        # The running batch's BatchSummary, None when idle. Created by submit() (so that a Cancel
        # before the worker has even started still ends in a summary), counted and ended by the worker.
        self._batch = None
        self._batch_ids = 0
        # Worker thread only:
        self.models = {}  # model path -> Colorizer, loaded on first use
        self._writable = set()  # the output folders the running batch has found writable
        self._predictions = Predictions(cache_bytes, preview_side)
        self._keys = itertools.count(1)
        # Explicitly queued: the worker also wakes itself, and a direct call would recurse.
        self._wake.connect(self._work, Qt.ConnectionType.QueuedConnection)

    # ---- called from the GUI thread -------------------------------------------------------------
    def submit(self, *tasks) -> int:
        """Queue AddPaths and Colorize tasks; they run in order. Returns the id of the batch they join:
        the running one, or a new one when the worker is idle. Its BatchSummary carries that id."""
        with self._lock:
            if self._batch is None:
                self._batch_ids += 1
                self._batch = BatchSummary(batch_id=self._batch_ids)
                self._cancelled = 0
            for task in tasks:
                if isinstance(task, AddPaths):
                    task.generation = self._generation
                self._queue.append(task)
            batch_id = self._batch.batch_id
        self._wake.emit()
        return batch_id

    def request_preview(self, request: PreviewRequest) -> None:
        """Replace any preview request not started yet by this one."""
        with self._lock:
            self._preview = request
        self._wake.emit()

    def request_detail(self, request: DetailRequest) -> None:
        """Replace any detail request not started yet by this one (keeping its gray image, if it asked
        for one of the same region)."""
        with self._lock:
            old = self._detail
            if old is not None and old.with_gray and (old.key, old.region) == (request.key, request.region):
                request.with_gray = True
            self._detail = request
        self._wake.emit()

    def request_models(self, request: ModelsRequest) -> None:
        """Replace any comparison not finished yet by this one."""
        with self._lock:
            self._models = request
        self._wake.emit()

    def request_suggestions(self, request: SuggestRequest) -> None:
        """Replace any palette request not started yet by this one."""
        with self._lock:
            self._suggest = request
        self._wake.emit()

    def cancel(self) -> None:
        """Drop every photo not started yet; the one being colorized is finished and saved."""
        with self._lock:
            self._cancelled += sum(isinstance(t, Colorize) for t in self._queue)
            self._queue.clear()
            self._generation += 1
        self._wake.emit()

    def network_passes(self) -> int:
        """Network passes so far, over all loaded models (read-only; for tests and the log)."""
        return sum(c.network_passes for c in list(self.models.values()))

    # ---- worker thread --------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        threading.current_thread().name = "colorizer-worker"  # shows in the log
        self._ensure_device()
        self.device_ready.emit(device_name(self.device))

    def _ensure_device(self) -> None:
        if self.device is not None:
            return
        try:
            self.device = resolve_device(self._device_request)
        except RuntimeError as e:
            log.warning("%s; using the CPU (ONNX Runtime)", e)
            self.device = resolve_device("onnx")  # runs on every machine, torch or not
        log.info("device: %s", device_name(self.device))

    @Slot()
    def _work(self) -> None:
        with self._lock:
            detail, self._detail = self._detail, None
            preview = None if detail else self._preview
            if preview is not None:
                self._preview = None
            suggest = None if detail or preview else self._suggest
            if suggest is not None:
                self._suggest = None
            models = None if detail or preview or suggest else self._models
            if models is not None:
                self._models = None
            task = self._queue.popleft() if self._queue and not (detail or preview or suggest or models) else None
        try:
            if detail is not None:
                self._render_detail(detail)
            elif preview is not None:
                self._render_preview(preview)
            elif suggest is not None:
                self._suggest_colors(suggest)
            elif models is not None:
                self._render_next_model(models)
            elif isinstance(task, AddPaths):
                self._expand(task)
            elif isinstance(task, Colorize):
                self._colorize(task)
            elif self._batch is not None:
                self._finish_batch()
        except Exception:  # a bug must not end the thread (the handlers answer their requests whatever fails)
            log.exception("unexpected error in the worker")
        with self._lock:
            more = any(r is not None for r in (self._detail, self._preview, self._suggest, self._models)) \
                or bool(self._queue)
        if more or self._batch is not None:
            self._wake.emit()

    def _report_progress(self, current: str, in_progress: bool) -> None:
        """n of m, where m counts the photos known so far: finished + this one + those queued (so
        photos dropped during a batch join it, and Cancel shrinks it)."""
        with self._lock:
            queued = sum(isinstance(t, Colorize) for t in self._queue)
        finished = self._batch.done + self._batch.failed
        self.progress.emit(finished, finished + int(in_progress) + queued, current)

    def _expand(self, task: AddPaths) -> None:
        if not self._output_dir_ok(task.options):  # before searching the folders, let alone colorizing
            return
        self._report_progress("looking for photos", in_progress=False)
        # The output folder is skipped: dropping a folder that holds it must not colorize earlier results.
        files = find_images(task.paths, skip=[task.options.out_dir])
        log.info("%d photo(s) in %d dropped path(s)", len(files), len(task.paths))
        if task.options.skip_existing:  # a stopped batch goes on: photos with both copies saved are left out
            files, done = split_done(files, task.options.out_dir, task.options.output.extension)
            self._batch.skipped += len(done)
        jobs = [Colorize(next(self._keys), f, task.options) for f in files]
        with self._lock:
            if task.generation != self._generation:  # cancelled while the folders were searched
                self._cancelled += len(jobs)
                return
            self._queue.extendleft(reversed(jobs))  # before anything dropped later
        self._batch.found += len(jobs)

    def _colorize(self, task: Colorize) -> None:
        opts = task.options
        if not self._output_dir_ok(opts):  # "Apply to all" and "Save colour copy" start here
            return
        self._report_progress(Path(task.source).name, in_progress=True)
        colorizer = self._colorizer(opts.model)
        if colorizer is None:
            self._drop_tasks_of_model(opts.model)
            return
        result = ItemResult(task.key, task.source, resave=task.resave, model_id=opts.model_id,
                            model_name=opts.model.get("name", opts.model_id), temperature=opts.temperature,
                            hints=tuple(task.hints))
        try:
            pred = self._predictions.full(task.key, task.source, colorizer, task.hints)
            written = save_outputs(pred, opts.temperature, opts.out_dir, gray=task.write_gray,
                                   options=opts.output)
            result.outputs = {kind: str(path) for kind, path in written.items() if path}
            result.size = (pred.L.shape[1], pred.L.shape[0])
            result.color = to_qimage(pred.decode(opts.temperature, max_side=self.preview_side))
            result.gray = to_qimage(pred.gray(max_side=self.preview_side))
            log.info("%s -> %s (%s, T=%g)", task.source, result.outputs.get("color"), opts.model_id,
                     opts.temperature)
        except Exception as e:  # whatever it is, the photo is listed as failed and counted
            result.error = log_failure(log, task.source, e)
        if result.error:
            self._batch.failed += 1
        else:
            self._batch.done += 1
        self.item_finished.emit(result)
        self._report_progress("", in_progress=False)

    def _render_preview(self, request: PreviewRequest) -> None:
        answer = Preview(request.key, request.model["id"], request.temperature, hints=request.hints)
        self._decode_into(answer, request, request.max_side or self.preview_side)
        self.preview_ready.emit(answer)

    def _render_detail(self, request: DetailRequest) -> None:
        answer = Detail(request.key, request.model["id"], request.temperature, request.region, hints=request.hints)
        self._decode_into(answer, request, request.max_side, request.box)
        self.detail_ready.emit(answer)

    def _decode_into(self, answer, request, max_side, box=None) -> None:
        """answer.color (and .gray if asked) from the request's photo at its model and temperature,
        or answer.error saying why not. The whole photo with hints comes from a prediction at preview
        size; a region (zoomed in) from the full-resolution one."""
        colorizer = self._colorizer(request.model)
        if colorizer is None:
            answer.error = "the model could not be loaded"
            return
        try:
            if box is None:
                pred = self._predictions.shown(request.key, request.source, colorizer, request.hints, max_side)
            else:
                pred = self._predictions.full(request.key, request.source, colorizer, request.hints)
            answer.color = to_qimage(pred.decode(request.temperature, max_side=max_side, box=box))
            if request.with_gray:  # from the photo's own lightness, as without hints
                base = self._predictions.full(request.key, request.source, colorizer)
                answer.gray = to_qimage(base.gray(max_side=max_side, box=box))
        except Exception as e:  # whatever it is, the view gets an answer: it says why instead of "Loading…"
            answer.error = log_failure(log, f"showing {request.source}", e)

    def _render_next_model(self, request: ModelsRequest) -> None:
        """The first model of the comparison; the rest go back into the mailbox unless a newer
        comparison has been asked for meanwhile."""
        (card, t), rest = request.models[0], request.models[1:]
        answer = ModelPreview(request.key, card["id"], t, request.max_side)
        colorizer = self._colorizer(card)
        if colorizer is None:
            answer.error = "the model could not be loaded"
        else:
            try:
                if colorizer.takes_hints:
                    answer.hints = request.hints
                else:
                    answer.without_hints = bool(request.hints)
                # Each model's network output is cached like any other: a later change of T, or going
                # back to the before/after view with this model, needs no second network pass.
                pred = self._predictions.shown(request.key, request.source, colorizer, answer.hints)
                answer.color = to_qimage(pred.decode(t, max_side=request.max_side))
            except Exception as e:  # whatever it is, the panel says why
                answer.error = log_failure(log, f"comparing {card['id']} on {request.source}", e)
        with self._lock:
            if rest and self._models is None:
                self._models = ModelsRequest(request.key, request.source, rest, request.max_side, request.hints)
        self.model_preview_ready.emit(answer)

    def _suggest_colors(self, request: SuggestRequest) -> None:
        answer = Suggestions(request.key, request.x, request.y, model_id=request.model.get("id"),
                             temperature=request.temperature)
        colorizer = self._colorizer(request.model)
        if colorizer is None:
            answer.error = "the model could not be loaded"
        else:
            try:
                pred = self._predictions.shown(request.key, request.source, colorizer, request.hints)
                full_shape = self._predictions.full(request.key, request.source, colorizer).L.shape
                x, y = self._predictions.point(pred, request.x, request.y, full_shape)
                answer.colors = pred.suggestions(x, y, request.count)
                answer.now = pred.color_at(x, y, request.temperature)
            except Exception as e:  # whatever it is, the palette says why
                answer.error = log_failure(log, f"suggestions for {request.source}", e)
        self.suggestions_ready.emit(answer)

    def _finish_batch(self) -> None:
        with self._lock:
            if self._queue:  # more was submitted in the meantime: the batch goes on
                return
            summary, self._batch = self._batch, None
            summary.cancelled, self._cancelled = self._cancelled, 0
        self._writable.clear()  # the next batch checks its folder again
        log.info("batch finished: %s", summary)
        self.batch_finished.emit(summary)

    def _colorizer(self, card: dict):
        """The loaded model for a model card (loaded on first use), or None after reporting why not."""
        path = card["path"]
        if path not in self.models:
            self._ensure_device()
            started = time.perf_counter()
            try:
                self.models[path] = Colorizer.load(path, self.device)
            except Exception as e:  # ModelError, but also whatever a damaged file makes torch or ONNX Runtime raise
                log.error("cannot load model %s (%s): %s", card.get("id"), path, e)
                self.model_failed.emit(card.get("id", ""), str(e))
                return None
            seconds = time.perf_counter() - started
            log.info("loaded model %s from %s in %.1f s", card.get("id"), path, seconds)
            self.model_loaded.emit(card.get("name", card.get("id", "")), seconds)
        return self.models[path]

    def _output_dir_ok(self, options) -> bool:
        """Whether the batch can write to options.out_dir, found out once per batch and folder before the
        first photo that goes there (colorizer.output.check_output_dir, as the command line does). A
        folder that cannot be written (read-only, a file, no space) stops every queued photo that goes
        there, and the batch ends with one message naming the folder and the reason."""
        out_dir = os.fspath(options.out_dir)
        if out_dir in self._writable:
            return True
        try:
            check_output_dir(out_dir)
        except OutputFolderError as e:
            dropped = self._drop_tasks(lambda t: os.fspath(t.options.out_dir) == out_dir)
            self._batch.folder_error = str(e)
            log.warning("%s; dropped %d queued task(s) that write there", e, dropped)
            return False
        self._writable.add(out_dir)
        return True

    def _drop_tasks_of_model(self, card: dict) -> None:
        """A model that does not load fails every queued photo that needs it: stop those."""
        dropped = self._drop_tasks(lambda t: t.options.model["path"] == card["path"])
        self._batch.model_error = f"the model {card.get('name', card.get('id'))!r} could not be loaded"
        log.info("dropped %d queued task(s) of the broken model", dropped)

    def _drop_tasks(self, drops) -> int:
        """Remove the queued photos and dropped paths for which drops(task) is true; -> how many."""
        with self._lock:
            keep = deque(t for t in self._queue if not (isinstance(t, (Colorize, AddPaths)) and drops(t)))
            dropped = len(self._queue) - len(keep)
            self._queue = keep
        return dropped
