"""Compare models: the selected photo through every shipped model (weights/) side by side, each at its
own temperature, one network pass per model; picking one makes it the current model."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from appwindow import WAIT, colorize
from appwindow import isolated_settings, make_window  # noqa: F401  (fixtures)
from colorizer.pipeline import Colorizer
from colorizer.weights import list_models
from synthetic import landscape

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
pytestmark = pytest.mark.skipif(len(list(WEIGHTS.glob("*.safetensors"))) < 2, reason="needs the shipped models")


def pixels(qimage) -> np.ndarray:
    from PySide6.QtGui import QImage
    image = qimage.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    return np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())[:, :3 * w].reshape(h, w, 3)


def test_every_model_side_by_side_at_its_own_temperature(qtbot, tmp_path, make_window):
    photo = tmp_path / "lake.png"
    Image.fromarray(landscape(480, 640, seed=11)).save(photo)
    cards = {c["id"]: c for c in list_models(WEIGHTS)}
    window = make_window(WEIGHTS)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    first, other = window.model_combo.itemData(0), window.model_combo.itemData(1)
    window.settings.set_temperature(other, 0.61)  # as if the user had set it for that model earlier
    assert colorize(qtbot, window, [photo]).done == 1
    window.temperature_slider.setValue(45)  # the current model's own setting
    qtbot.waitUntil(lambda: window.shown is not None and window.shown.temperature == 0.45, timeout=WAIT)

    answers = []
    window.model_preview_shown.connect(answers.append)
    window.compare_models_button.click()
    assert window.view_stack.currentWidget() is window.models_view
    qtbot.waitUntil(lambda: {a.model_id for a in answers} == set(cards), timeout=WAIT)
    assert all(a.error is None for a in answers)

    expected_t = {mid: float(c["default_temperature"]) for mid, c in cards.items()}
    expected_t.update({first: 0.45, other: 0.61})
    side = window.models_view.panel_side(window.compare.photo_size())
    for answer in answers:
        assert answer.temperature == pytest.approx(expected_t[answer.model_id])
        assert answer.max_side == side
        pred = Colorizer.load(cards[answer.model_id]["path"], device=window.worker.device).predict(photo)
        shown = pixels(window.models_view.image(answer.model_id))
        assert np.abs(shown.astype(int) - pred.decode(answer.temperature, max_side=side)).max() <= 1
        assert f"{answer.temperature:.2f}" in window.models_view.button(answer.model_id).text()
    # Different models give different pictures (the comparison shows something).
    images = [pixels(window.models_view.image(mid)).astype(int) for mid in cards]
    assert np.abs(images[0] - images[1]).mean() > 1
    passes = window.worker.network_passes()
    assert passes == len(cards)  # one per model: the current one's came from colorizing

    # Picking a panel (keyboard or mouse) makes that model current and shows it before/after.
    assert window.models_view.button(first).isChecked()
    button = window.models_view.button(other)
    button.setFocus()
    with qtbot.waitSignal(window.preview_shown, timeout=WAIT,
                          check_params_cb=lambda shown: shown.model_id == other):
        qtbot.keyClick(button, Qt.Key.Key_Space)
    assert window.model_combo.currentData() == other
    assert window.temperature() == pytest.approx(0.61)
    assert window.view_stack.currentWidget() is window.compare
    assert not window.compare_models_action.isChecked()
    assert window.worker.network_passes() == passes  # its network output was reused
