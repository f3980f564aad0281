"""Cyclic garbage is collected in the GUI thread only.

CPython runs its cycle collector in whichever thread happens to allocate when a threshold is crossed:
in this app, often the worker thread, which allocates a lot while it runs torch. If the garbage found
then holds Qt GUI objects (a QPixmap, a widget's wrapper), their C++ destructors run outside the GUI
thread, which Qt does not allow, and the process can crash at random. So automatic collection is
switched off and a timer in the GUI thread does the same work, at the same thresholds.
"""
import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent=None, interval_ms: int = 500):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generation the automatic collector would have collected by now, if any."""
        count0, count1, count2 = gc.get_count()
        if count0 > self.threshold[0]:
            generation = 2 if count2 > self.threshold[2] else 1 if count1 > self.threshold[1] else 0
            gc.collect(generation)

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
