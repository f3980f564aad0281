"""Keeps the large view (app.photo_view) in step with the selected photo, the model and the temperature:
asks the worker for what the view should show, unless it is shown or asked for already, and shows the
answers. Three kinds: the preview of the whole photo, at the size shown at Fit; when zoomed in past it,
the visible region decoded from the full-resolution photo (the detail); and, for "Compare models",
each model's picture at the size of its panel.

It never waits for the worker, and drops an answer for a photo that is no longer selected. What is
shown and what was last asked for are each an app.shown.Shown (photo, model, temperature, colour hints,
and which part at which size): anything else that will change the colours has to be part of it. A
photo's hints (app.photos) count only for the models trained with them; the others show it without
them. It also asks for the hint palette's suggestions (request_suggestions).
"""
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Signal, Slot

from .jobs import Detail, DetailRequest, ModelPreview, ModelsRequest, Preview, PreviewRequest, SuggestRequest
from .model_controls import ModelControls, card_takes_hints
from .photo_view import PhotoView
from .photos import Photos
from .results import ResultsList
from .shown import Shown


class Previews(QObject):
    preview_shown = Signal(object)  # Shown, after the large view changed to another model or temperature
    detail_shown = Signal(object)  # Detail, once the zoomed-in view shows it
    model_preview_shown = Signal(object)  # ModelPreview, once its panel in "Compare models" shows it
    message = Signal(str, int)  # for the status bar: text, milliseconds

    def __init__(self, worker, photos: Photos, results: ResultsList, view: PhotoView, choice: ModelControls,
                 parent=None):
        super().__init__(parent)
        self.worker, self.photos, self.results, self.view, self.choice = worker, photos, results, view, choice
        self.compare = view.compare
        self.shown = None  # Shown, or None
        self._view_key = None  # the photo the large view was last set up for (zoom is reset for another)
        self._detail_asked = None  # Shown, part (box, side): the last detail asked for
        self._preview_asked = None  # Shown, part (side, with the "before" image): the last preview asked for

    def forget(self) -> None:
        """The list was cleared: nothing is shown."""
        self.shown = None
        self._view_key = None

    def show_selected(self) -> None:
        """Show the photo selected in the list, from the recent previews if it is among them, and ask
        for what is missing."""
        key = self.results.current_key()
        entry = self.photos.get(key)
        if entry is None:
            return
        if key != self._view_key:
            self._view_key = key
            self._preview_asked = self._detail_asked = None
            self.compare.new_photo()
            self.view.models_view.clear_pictures()
        if not entry.ok:
            self.view.show_compare()
            self.shown = None
            self.compare.set_message(f"{Path(entry.source).name} could not be colorized:\n{entry.error}")
            return
        self.view.show_photo()
        recent = self.photos.recent.get(key)
        if recent is None:
            self.shown = None
            self.compare.set_message(f"Loading {Path(entry.source).name}…")
        else:
            gray, color, self.shown = recent
            self.compare.set_images(gray, color, QSize(*entry.size))
        self.request()

    def hints_for(self, card, key) -> tuple:
        """The photo's hints as this model takes them: none for a model trained without hints."""
        return self.photos.hints(key) if card_takes_hints(card) else ()

    def _selected(self):
        """The selected photo's entry and the model to show it with, or None where there is nothing to ask."""
        entry, card = self.photos.get(self.results.current_key()), self.choice.usable_model()
        return (entry, card) if entry is not None and entry.ok and card is not None else None

    def request(self) -> None:
        """Ask the worker for the selected photo as the current model and temperature would colour it,
        unless that is what is shown already."""
        if self._selected() is None:
            return
        self.request_detail()  # first: when zoomed in, the detail is what the user looks at
        self.request_models()
        self._request_whole_preview()

    # ---- the whole photo ----------------------------------------------------------------------------
    def _request_whole_preview(self) -> None:
        """The preview of the whole photo, at the size it is shown at Fit (so the slider decodes no pixel
        more than shown). Zoomed in, where the full-resolution detail covers the view, it waits until the
        view is zoomed out again."""
        selected = self._selected()
        if selected is None:
            return
        entry, card = selected
        key, t = self.results.current_key(), self.choice.temperature()
        hints = self.hints_for(card, key)
        coarse = self.compare.is_fit() and self.compare.preview_is_coarse()  # e.g. the window was made larger
        wanted = Shown(key, card["id"], t, hints)
        if self.shown == wanted and not coarse:
            return
        automatic = self.photos.automatic.get(key)
        if (automatic is not None and automatic[2] == wanted and not coarse
                and self.shown is not None and self.shown.key == key):
            self.compare.set_after(automatic[1])  # hints undone: the pixels shown before them
            self.shown, self._preview_asked = wanted, None  # an answer asked for earlier is shown no more
            self.photos.remember(key, self.compare.before_image(), automatic[1], wanted)
            return
        if (self.shown is not None and self.shown.key == key and self.view.showing_compare()
                and self.compare.detail_request() is not None):
            return
        with_gray = self.compare.before_image() is None or self.shown is None or self.shown.key != key
        side = self.compare.fit_side(QSize(*entry.size)) if entry.size else 0
        side = -(-side // 64) * 64 if side else None  # whole steps of 64 px: a resize by a few pixels changes nothing
        ask = Shown(key, card["id"], t, hints, part=(side, with_gray))
        if ask == self._preview_asked:
            return  # asked for already (and not answered yet, or it would be shown)
        self._preview_asked = ask
        self.worker.request_preview(PreviewRequest(key, entry.source, card, t, with_gray, side, hints))

    @Slot(object)
    def show_preview(self, preview: Preview) -> None:
        if preview.key != self.results.current_key():
            return  # the user has moved on to another photo
        if preview.error:
            self._preview_asked = None
            self.message.emit(f"Preview failed: {preview.error}", 8000)
            if self.shown is None:
                self.compare.set_message(f"Cannot show this photo: {preview.error}")
            return
        if preview.gray is not None:
            self.compare.set_images(preview.gray, preview.color, self.photos.size(preview.key))
        elif self.compare.before_image() is not None:
            self.compare.set_after(preview.color)
        else:  # an answer to an older request that did not ask for the "before" image: ask again
            self.shown = None
            self.request()
            return
        self.shown = Shown(preview.key, preview.model_id, preview.temperature, preview.hints)
        self.photos.remember(preview.key, self.compare.before_image(), preview.color, self.shown)
        self.preview_shown.emit(self.shown)
        self.request_detail()

    # ---- zoomed in: the visible part decoded from the full-resolution photo -------------------------
    def request_detail(self) -> None:
        """Ask for the visible region at the size shown when the preview is too coarse for it (zoomed in);
        nothing when it is already shown or asked for."""
        key = self.results.current_key()
        entry, card = self.photos.get(key), self.choice.usable_model()
        region = self.compare.detail_request() if self.view.showing_compare() else None
        if entry is None or not entry.ok or card is None or region is None or self.shown is None:
            self._detail_asked = None
            if region is None:
                self.compare.clear_detail()
                if self.shown is not None and self.shown.key == key:
                    self._request_whole_preview()  # zoomed out: the preview may be of an older temperature
            return
        t, hints = self.choice.temperature(), self.hints_for(card, key)
        ask = Shown(key, card["id"], t, hints, part=region)
        if ask == self._detail_asked:
            return
        self._detail_asked = ask
        detail = self.compare.detail()
        with_gray = detail is None or detail["region"] != region or detail["before"] is None
        self.worker.request_detail(DetailRequest(key, entry.source, card, t, region[0], region[1], with_gray,
                                                 hints))

    @Slot(object)
    def show_detail(self, detail: Detail) -> None:
        if detail.key != self.results.current_key() or not self.view.showing_compare():
            return
        if detail.error:
            self.message.emit(f"Could not decode the zoomed-in part: {detail.error}", 8000)
            return
        if self.compare.detail_request() is None:
            return  # zoomed out meanwhile: the preview is fine enough
        self.compare.set_detail(detail.region, detail.gray, detail.color)
        self.detail_shown.emit(detail)

    # ---- "Compare models" ---------------------------------------------------------------------------
    def request_models(self) -> None:
        if not self.view.showing_models():
            return
        key = self.results.current_key()
        entry = self.photos.get(key)
        if entry is None or not entry.ok or not entry.size:
            return
        side = self.view.models_view.panel_side(QSize(*entry.size))
        hints, wanted = self.photos.hints(key), []
        for card in self.choice.models:
            if card["id"] in self.choice.broken:
                continue
            t = self.choice.model_temperature(card)
            shown = self.view.models_view.shown(card["id"])
            # Its hints: what the model takes, and whether it left the photo's out. A picture within 15 % of
            # the panel's size is kept: resizing the window re-decodes only when the difference would show.
            left_out = bool(hints) and not card_takes_hints(card)
            if (shown is None or replace(shown, part=None) != Shown(key, card["id"], t, self.hints_for(card, key))
                    or shown.part[1] != left_out or not 0.85 <= shown.part[0] / side <= 1.15):
                wanted.append((card, t))
        if wanted:
            self.worker.request_models(ModelsRequest(key, entry.source, wanted, side, hints))

    @Slot(object)
    def show_model_preview(self, answer: ModelPreview) -> None:
        if answer.key != self.results.current_key():
            return
        if answer.error:
            self.view.models_view.set_failed(answer.model_id, answer.key, answer.error)
        else:
            self.view.models_view.set_picture(answer.model_id, answer.key, answer.temperature, answer.max_side,
                                              answer.color, answer.hints, answer.without_hints)
        self.model_preview_shown.emit(answer)

    # ---- the hint palette ---------------------------------------------------------------------------
    def request_suggestions(self, x: int, y: int, others, temperature: float) -> None:
        """The colours the current model finds likely at (x, y) of the selected photo, with its other hints,
        and the one it shows there at this temperature."""
        selected = self._selected()
        if selected is not None:
            entry, card = selected
            self.worker.request_suggestions(SuggestRequest(entry.key, entry.source, card, temperature, x, y,
                                                           tuple(others)))
