"""The thread the worker (app.worker) lives in: started with the window, and ended when the window closes,
without the window waiting for it.

Closing cancels the worker's queue and asks its thread to end, and the window is gone at once. The step
the worker is in when that happens cannot be interrupted (a network pass), so it finishes out of sight,
as Cancel lets the photo being colorized finish: no half-written file is left, and nothing starts after
it. Until the thread has ended, this module keeps it and its worker referenced, because Qt aborts the
process when a running QThread is destroyed. The application waits for them after its event loop, when no
window is left to freeze (wait_for_ended, from app.main); an atexit hook does the same for a script
that did not.
"""
import atexit
import logging
import time

from PySide6.QtCore import QObject, QThread, Slot

log = logging.getLogger("app.worker")

END_WAIT_MS = 120_000  # at exit, for the step a closed window's worker was in (a large photo on a slow CPU)


class WorkerThread:
    """Owns the QThread the worker lives in."""

    def __init__(self, worker):
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("colorizer-worker")
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.start)
        self.thread.start()

    def stop(self) -> None:
        """Cancel the worker's queue and let its thread end after the current step, without waiting for
        it. Called when the window closes."""
        if not self.thread.isRunning() or self.thread in _ending.threads:
            return
        self.worker.cancel()
        self.thread.quit()  # the event loop ends when the current step returns; nothing queued runs
        _ending.keep(self.thread, self.worker)

    def __del__(self):
        # Safety net: a window dropped without being closed still ends its thread.
        try:
            self.stop()
        except RuntimeError:  # the C++ objects are gone already, and so is the thread
            pass


class _Ending(QObject):
    """The threads asked to end, each with its worker, until they have. Lives in the GUI thread, so that
    a thread is let go there, never in itself."""

    def __init__(self):
        super().__init__()
        self.threads = {}  # QThread -> its worker

    def keep(self, thread: QThread, worker) -> None:
        self.threads[thread] = worker
        thread.finished.connect(self._let_go)  # queued: emitted in the ending thread, run in this one

    @Slot()
    def _let_go(self) -> None:
        thread = self.sender()
        if thread in self.threads:
            thread.wait()  # it has emitted finished, its last act: returns at once
            del self.threads[thread]


_ending = _Ending()


def wait_for_ended(timeout_ms: int = END_WAIT_MS) -> bool:
    """Wait until the threads of stopped workers have ended; True if they all did in time. For when no
    window is shown (after the event loop, and in tests)."""
    deadline = time.monotonic() + timeout_ms / 1000
    for thread in list(_ending.threads):
        if not thread.wait(max(0, round((deadline - time.monotonic()) * 1000))):
            log.error("a worker thread did not end within %.0f s", timeout_ms / 1000)
            return False
        del _ending.threads[thread]
    return True


atexit.register(wait_for_ended)
