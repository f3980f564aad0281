"""The app's entry points and its links to the desktop: command line, --self-test hand-over, the
output folder and log opened through QDesktopServices, the log file."""
import gc
import logging
import subprocess
import sys
import types
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from app import logs
from app.main import create_window, main, parse_args

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30_000


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_COLORIZER_SETTINGS", str(tmp_path / "settings.ini"))


@pytest.fixture
def gui_thread_gc():
    """No cycle collection while a window's worker runs (see app.gcguard); collect afterwards, here."""
    from app.worker_thread import wait_for_ended
    gc.disable()
    yield
    assert wait_for_ended(WAIT)  # a closed window's worker ends its step without the window waiting
    gc.enable()
    gc.collect()


def test_parse_args():
    args = parse_args(["--output", "/tmp/out", "a.jpg", "folder"])
    assert args.output == "/tmp/out" and args.paths == ["a.jpg", "folder"] and args.device == "auto"
    assert parse_args([]).paths == []


def test_command_line_paths_are_colorized_into_output(qtbot, tmp_path, tiny_model, photo_dir, monkeypatch,
                                                     gui_thread_gc):
    weights, _ = tiny_model
    monkeypatch.setenv("COLORIZER_WEIGHTS", str(weights))  # as the installed app finds its models
    out = tmp_path / "cli-out"
    window = create_window(parse_args(["--output", str(out), str(photo_dir / "scene02.jpg")]))
    qtbot.addWidget(window)
    try:
        assert window.output_dir == out
        assert window.choice.combo.currentData() == "tiny"
        qtbot.waitUntil(lambda: not window.is_busy(), timeout=WAIT)
        with Image.open(out / "scene02_color.png") as im:
            assert im.size == Image.open(photo_dir / "scene02.jpg").size
        # --output is for this run only: the remembered folder is unchanged.
        assert window.settings.output_dir != out
    finally:
        window.shutdown()


def test_self_test_is_handed_over_before_any_window(monkeypatch):
    seen = []
    fake = types.ModuleType("app.selftest")
    fake.main = lambda argv: seen.append(argv) or 7
    monkeypatch.setitem(sys.modules, "app.selftest", fake)
    windows_before = len(QApplication.topLevelWidgets()) if QApplication.instance() else 0
    assert main(["--self-test", "--quick"]) == 7
    assert seen == [["--self-test", "--quick"]]
    assert (len(QApplication.topLevelWidgets()) if QApplication.instance() else 0) == windows_before


def test_self_test_missing_from_the_build_is_reported(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "app.selftest", None)  # makes the import fail
    assert main(["--self-test"]) == 2
    assert "not available" in capsys.readouterr().err


def test_python_dash_m_app_starts_the_entry_point():
    run = subprocess.run([sys.executable, "-m", "app", "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "landscape-colorizer" in run.stdout and "--output" in run.stdout


class UrlCatcher(QObject):
    def __init__(self):
        super().__init__()
        self.urls = []

    @Slot(QUrl)
    def open_url(self, url):
        self.urls.append(url)


def test_output_folder_and_log_open_in_the_file_manager(qtbot, tmp_path, tiny_model, gui_thread_gc):
    from app.settings import Settings
    from app.window import MainWindow
    weights, _ = tiny_model
    log_file = tmp_path / "app.log"
    log_file.write_text("a log line\n")
    window = MainWindow(Settings.at(tmp_path / "settings.ini"), weights_dir=weights, device="auto",
                        log_path=log_file)
    qtbot.addWidget(window)
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open_url")
    try:
        window.set_output_dir(tmp_path / "not yet there")
        window.output_row.open_button.click()
        window.open_log_action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
        window.shutdown()
    assert [Path(u.toLocalFile()) for u in catcher.urls] == [tmp_path / "not yet there", log_file]
    assert (tmp_path / "not yet there").is_dir()  # created, so that there is something to open


def test_garbage_is_collected_by_the_gui_thread_timer(qtbot):
    import weakref

    from app.gcguard import GuiThreadGarbageCollector

    class Node:
        pass

    collector = GuiThreadGarbageCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        node = Node()
        node.self = node  # a cycle: only the cycle collector frees it
        alive = weakref.ref(node)
        del node
        kept = [Node() for _ in range(collector.threshold[0] + 10)]  # enough for a generation-0 collection
        assert alive() is not None  # automatic collection is off
        qtbot.waitUntil(lambda: alive() is None, timeout=5000)
        del kept
    finally:
        collector.stop()
    assert gc.isenabled()


def test_default_output_folder_is_in_pictures():
    from app.settings import default_output_dir
    assert default_output_dir().name == "Landscape Colorizer"


def test_log_file_records_messages(tmp_path):
    root = logging.getLogger()
    handlers, hook = list(root.handlers), sys.excepthook
    try:
        path = logs.setup_logging(tmp_path / "data" / "colorizer.log")
        logging.getLogger("app.test").info("hello from the test")
        for h in root.handlers:
            h.flush()
        assert path == tmp_path / "data" / "colorizer.log"
        assert "hello from the test" in path.read_text()
    finally:
        for h in root.handlers[:]:
            if h not in handlers:
                root.removeHandler(h)
                h.close()
        sys.excepthook = hook
        logging.captureWarnings(False)
