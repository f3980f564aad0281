"""macOS: photos dropped on the Dock icon, or opened with the app, arrive as FileOpen events, not as
command-line paths; this filter hands them to the window like any other added photo."""
from PySide6.QtCore import QEvent, QObject


class FileOpenForwarder(QObject):
    def __init__(self, window):
        super().__init__(window)
        self._window = window

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.FileOpen:
            self._window.add_paths([event.file()])
            return True
        return False
