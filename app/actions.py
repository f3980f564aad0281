"""Menu actions in one line each. A panel makes the actions for what it owns; the window puts them in
its menus and adds them to itself, so that their shortcuts work wherever the focus is."""
from PySide6.QtGui import QAction, QKeySequence


def make_action(parent, text: str, slot, shortcut=None, tip: str = None, checkable: bool = False) -> QAction:
    """An action that calls slot when triggered (when toggled, for a checkable one)."""
    action = QAction(text, parent)
    if checkable:
        action.setCheckable(True)
        action.toggled.connect(slot)
    else:
        action.triggered.connect(slot)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
    return action
