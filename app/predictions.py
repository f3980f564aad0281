"""The network outputs the worker keeps, and the ones it makes for colour hints (worker thread only).

Without hints a photo is predicted once per model, from its full-resolution lightness, and decoded at
any temperature, size or region. Hints need a network pass for every change of them. For what is
looked at while placing them (the preview, "Compare models", the palette's suggestions) the network
runs on the lightness at preview size: the pass itself costs the same, but resizing a 12-megapixel
lightness to the network's input, and again for the decode, costs more than the pass. The hints are
moved to the same places of that smaller photo, so the network gets the same hint input. Only what
needs the photo's own pixels (the zoomed-in detail, the saved copies) is predicted with hints at full
resolution.
"""
from collections import OrderedDict

from colorizer.hints import Hint
from colorizer.pipeline import Prediction
from colorizer.upsample import resize


class PredictionCache:
    """Least-recently-used network outputs, bounded in bytes (a 12-megapixel photo's costs ~70 MB, and
    about 20 MB more once decoded). What an item holds grows as it is decoded, so the total is counted
    afresh at each put rather than kept as a running sum. Predictions of one photo with other hints
    share its lightness, which is counted once."""

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self._items = OrderedDict()

    @property
    def nbytes(self) -> int:
        total, seen = 0, set()
        for pred in self._items.values():
            total += pred.nbytes - (pred.L.nbytes if id(pred.L) in seen else 0)
            seen.add(id(pred.L))
        return total

    def get(self, key):
        pred = self._items.get(key)
        if pred is not None:
            self._items.move_to_end(key)
        return pred

    def put(self, key, pred) -> None:
        self._items.pop(key, None)
        self._items[key] = pred
        while len(self._items) > 1 and self.nbytes > self.budget:  # the newest always stays
            self._items.popitem(last=False)


def moved_hints(hints, shape: tuple, full_shape: tuple) -> list:
    """Hints of a full_shape (H, W) photo at the same places of the photo at `shape`: the same pixel
    centres relative to the sides, which is how colorizer.hints.hint_map places them on the network's
    input, so both sizes give the network the same hint input."""
    (h, w), (H, W) = shape, full_shape
    if (h, w) == (H, W):
        return list(hints)
    return [Hint(min(max(0.0, (hint.x + 0.5) * w / W - 0.5), w - 1), min(max(0.0, (hint.y + 0.5) * h / H - 0.5), h - 1),
                 hint.color) for hint in hints]


class Predictions:
    def __init__(self, cache_bytes: int, preview_side: int):
        self.preview_side = preview_side
        self._cache = PredictionCache(cache_bytes)

    def full(self, key: int, source: str, colorizer, hints=()) -> Prediction:
        """The photo's network output at full resolution, with these hints: from the cache, or from one
        network pass (two for the first hints on a photo not seen yet)."""
        cache_key = (key, colorizer.card["path"]) + ((tuple(hints),) if hints else ())
        pred = self._cache.get(cache_key)
        if pred is None:
            if hints:
                pred = colorizer.predict(self.full(key, source, colorizer), list(hints))
            else:
                pred = colorizer.predict(source)
            self._cache.put(cache_key, pred)
        return pred

    def shown(self, key: int, source: str, colorizer, hints=(), side: int = None) -> Prediction:
        """For what is shown, decoded at most `side` long (None: the preview's side): without hints the
        full-resolution output, with hints one made from the lightness at preview size."""
        if not hints:
            return self.full(key, source, colorizer)
        side = max(self.preview_side, side or 0)
        cache_key = (key, colorizer.card["path"], side, tuple(hints))
        pred = self._cache.get(cache_key)
        if pred is None:
            small = self._small(key, source, colorizer, side)
            full_shape = self.full(key, source, colorizer).L.shape
            pred = colorizer.predict(small, moved_hints(hints, small.L.shape, full_shape))
            self._cache.put(cache_key, pred)
        return pred

    def _small(self, key, source, colorizer, side: int) -> Prediction:
        """The photo's automatic prediction with its lightness shrunk to `side`: what hinted passes for
        the screen start from (the photo's own when it is no larger)."""
        full = self.full(key, source, colorizer)
        H, W = full.L.shape
        if max(H, W) <= side:
            return full
        cache_key = (key, colorizer.card["path"], side)
        small = self._cache.get(cache_key)
        if small is None:
            s = side / max(H, W)
            L = resize(full.L, (max(1, round(H * s)), max(1, round(W * s))))
            small = Prediction(L=L, logits=full.logits, centres=full.centres, source=full.source,
                               meta=dict(full.meta), upsampling=full.upsampling)
            self._cache.put(cache_key, small)
        return small

    @staticmethod
    def point(pred: Prediction, x: float, y: float, full_shape: tuple) -> tuple:
        """A point of the full-resolution photo in pred's pixels (pred may be one at preview size)."""
        (h, w), (H, W) = pred.L.shape, full_shape
        return min(w - 1, int((x + 0.5) * w / W)), min(h - 1, int((y + 0.5) * h / H))
