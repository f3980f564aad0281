"""What the window keeps of each photo in the list, by the worker's key: its latest result (without
images), for the last few the before/after previews, and its colour hints with their undo history
(one QUndoStack per photo in a QUndoGroup: Ctrl+Z undoes the selected photo's last change). Other
per-photo state belongs here too, so that clearing the list clears it."""
from collections import OrderedDict
from dataclasses import replace

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from .jobs import ItemResult
from .shown import Shown


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


class HintEdit(QUndoCommand):
    """One change of a photo's hints (placing, moving, recolouring, removing, clearing, loading), as the
    hints before and after: every kind of change is then undone the same way.

    `merge`: edits pushed one after another with the same merge key become one step, as the arrow-key
    moves of one marker do, so that they are undone like the one drag the mouse makes of them."""

    MERGING = 1  # QUndoCommand.id of the edits that may merge (-1: never)

    def __init__(self, photos: "Photos", key: int, before: tuple, after: tuple, text: str, merge=None):
        super().__init__(text)
        self.photos, self.key, self.before, self.after, self.merge = photos, key, before, after, merge

    def redo(self) -> None:
        self.photos.set_hints(self.key, self.after)

    def undo(self) -> None:
        self.photos.set_hints(self.key, self.before)

    def id(self) -> int:
        return self.MERGING if self.merge is not None else -1

    def mergeWith(self, other) -> bool:
        if not isinstance(other, HintEdit) or (other.key, other.merge) != (self.key, self.merge):
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)  # moved back to where it was: no step at all
        return True


class Photos(QObject):
    hints_changed = Signal(int)  # the photo's key

    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries = {}  # key -> the photo's latest successful ItemResult (or its error), without images
        self.recent = RecentImages()
        # each photo's last preview without hints, so that undoing its hints brings back the very pixels
        # shown before them (a preview with them is made at the view's size, which hint mode narrows)
        self.automatic = RecentImages()
        self._hints = {}  # key -> tuple of colorizer.hints.Hint
        self.undo_group = QUndoGroup(self)
        self._stacks = {}  # key -> QUndoStack, made at the first change

    # ---- colour hints -------------------------------------------------------------------------------
    def hints(self, key) -> tuple:
        return self._hints.get(key, ())

    def set_hints(self, key, hints) -> None:
        """Replace the photo's hints without an undo step (undo and redo themselves come here)."""
        hints = tuple(hints)
        if hints != self.hints(key):
            self._hints[key] = hints
            self.hints_changed.emit(key)

    def edit_hints(self, key, hints, text: str, merge=None) -> None:
        """Change the photo's hints as one step that Ctrl+Z undoes (merge: see HintEdit)."""
        hints = tuple(hints)
        if key is not None and hints != self.hints(key):
            self.undo_stack(key).push(HintEdit(self, key, self.hints(key), hints, text, merge))

    def undo_stack(self, key) -> QUndoStack:
        if key not in self._stacks:
            self._stacks[key] = QUndoStack(self.undo_group)
            self.undo_group.addStack(self._stacks[key])
        return self._stacks[key]

    def set_active(self, key) -> None:
        """The photo whose changes Undo and Redo act on (None: no photo)."""
        self.undo_group.setActiveStack(self.undo_stack(key) if key is not None else None)

    def with_earlier_outputs(self, result: ItemResult) -> ItemResult:
        """A re-saved photo's result, listing the files of its earlier saves too."""
        previous = self.entries.get(result.key)
        if result.ok and result.resave and previous is not None:
            return replace(result, outputs={**previous.outputs, **result.outputs})
        return result

    def keep(self, result: ItemResult) -> None:
        """Remember a finished photo; a failed re-save keeps the photo's earlier (good) result."""
        if result.ok:
            self.remember(result.key, result.gray, result.color,
                          Shown(result.key, result.model_id, result.temperature, result.hints))
        if result.ok or result.key not in self.entries:
            self.entries[result.key] = replace(result, gray=None, color=None)  # images live in self.recent

    def remember(self, key, gray, color, shown) -> None:
        """The before/after images shown of a photo now (Shown says how they were made): the recent
        previews, and, made without hints, also the photo's automatic one."""
        self.recent.put(key, gray, color, shown)
        if not shown.hints:
            self.automatic.put(key, None, color, shown)

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
        self.automatic.clear()
        self.undo_group.setActiveStack(None)
        for stack in self._stacks.values():
            self.undo_group.removeStack(stack)
            stack.deleteLater()
        self._stacks.clear()
        keys, self._hints = list(self._hints), {}
        for key in keys:
            self.hints_changed.emit(key)
