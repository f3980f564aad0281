"""What the window keeps of each photo in the list, by the worker's key: its latest result (without
images) and, for the last few, the before/after previews. Other per-photo state (e.g. colour hints)
belongs here too, so that clearing the list clears it."""
from collections import OrderedDict
from dataclasses import dataclass, replace

from PySide6.QtCore import QSize

from .jobs import ItemResult


@dataclass(frozen=True)
class Shown:
    """What the large view shows now: which photo, through which model, at which temperature."""

    key: int
    model_id: str
    temperature: float


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


class Photos:
    def __init__(self):
        self.entries = {}  # key -> the photo's latest successful ItemResult (or its error), without images
        self.recent = RecentImages()

    def with_earlier_outputs(self, result: ItemResult) -> ItemResult:
        """A re-saved photo's result, listing the files of its earlier saves too."""
        previous = self.entries.get(result.key)
        if result.ok and result.resave and previous is not None:
            return replace(result, outputs={**previous.outputs, **result.outputs})
        return result

    def keep(self, result: ItemResult) -> None:
        """Remember a finished photo; a failed re-save keeps the photo's earlier (good) result."""
        if result.ok:
            self.recent.put(result.key, result.gray, result.color,
                            Shown(result.key, result.model_id, result.temperature))
        if result.ok or result.key not in self.entries:
            self.entries[result.key] = replace(result, gray=None, color=None)  # images live in self.recent

    def get(self, key):
        return self.entries.get(key)

    def size(self, key):
        """The photo's full-resolution size, or None."""
        entry = self.entries.get(key)
        return QSize(*entry.size) if entry is not None and entry.size else None

    def has_results(self) -> bool:
        return any(e.ok for e in self.entries.values())

    def colorized(self) -> list:
        return [e for e in self.entries.values() if e.ok]

    def clear(self) -> None:
        self.entries.clear()
        self.recent.clear()
