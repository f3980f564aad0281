"""The model dropdown and the temperature slider (with its value and a back-to-the-default button), and
what they remember: the model chosen last, and a temperature per model. Also which models failed to
load, so that nothing is asked of them until the user chooses one again.

The controls sit in the window's top row (add_to) rather than in a widget of their own: there the
slider shares the row's spare room with the stretch beside "Apply to all"; nested, it would get less."""
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton

from colorizer.weights import DEFAULT_T, LITE_UNET, ModelError, card_temperature as read_card_temperature

from .settings import Settings

T_MIN, T_MAX = 0.05, 1.00  # the temperature slider's range (within colorizer.temperature's); steps of 0.01
FALLBACK_T = DEFAULT_T  # where the slider stands for a card whose default_temperature is unusable


def card_temperature(card: dict) -> float:
    """The model's own default temperature, read from its card as the command line reads it. A card
    that cannot give one is refused when its model loads, with a message naming the card and the field
    (the window's banner shows it); until then the slider stands at FALLBACK_T."""
    try:
        return read_card_temperature(card)
    except ModelError:
        return FALLBACK_T


def card_takes_hints(card) -> bool:
    """Whether the model was trained with colour hints, from its card (so before it is loaded): the
    pretrained-encoder U-Net's are."""
    arch = card.get("architecture") if card else None
    return isinstance(arch, dict) and arch.get("type") == LITE_UNET


class ModelControls(QObject):
    model_changed = Signal(object)  # the chosen model's card, after its temperature has been set
    temperature_changed = Signal(float)  # the user moved the slider (not sent for a model change)

    def __init__(self, models: list, settings: Settings, parent=None):
        super().__init__(parent)
        self.models = models  # cards, as colorizer.weights.list_models gives them
        self.settings = settings
        self.broken = set()  # ids of models that failed to load (retried when chosen again)

        self.model_label = QLabel("&Model:")
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setMinimumWidth(100)
        self.combo.setAccessibleName("Model")
        self.model_label.setBuddy(self.combo)
        for card in models:
            self.combo.addItem(card.get("name", card["id"]), card["id"])
            self.combo.setItemData(self.combo.count() - 1, card.get("description", ""), Qt.ItemDataRole.ToolTipRole)
        # Connected after filling: the first choice is made, and announced, by select_remembered.
        self.combo.currentIndexChanged.connect(self._on_model_changed)

        self.t_label = QLabel("&Temperature:")
        self.t_label.setToolTip("Low: vivid colours, with some speckle. High: calm but greyer colours.")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(T_MIN * 100), round(T_MAX * 100))
        self.slider.setSingleStep(1)
        self.slider.setPageStep(5)
        self.slider.setMinimumWidth(100)
        self.slider.setToolTip(self.t_label.toolTip())
        self.slider.setAccessibleName("Temperature")
        self.slider.valueChanged.connect(self._on_temperature_changed)
        self.t_label.setBuddy(self.slider)
        self.value_label = QLabel("0.00")
        self.value_label.setMinimumWidth(self.value_label.fontMetrics().horizontalAdvance("0.000"))
        self.reset_button = QToolButton()
        self.reset_button.setText("↺")  # "back to the default"; the tooltip says which value
        self.reset_button.setAccessibleName("Default temperature")
        self.reset_button.clicked.connect(self._reset_temperature)

        if not models:
            for w in (self.combo, self.slider, self.reset_button):
                w.setEnabled(False)
            self.value_label.setText("–")

    def add_to(self, row: QHBoxLayout, slider_stretch: int) -> None:
        """Lay the controls out in the row, the slider with this share of its spare room."""
        row.addWidget(self.model_label)
        row.addWidget(self.combo)
        row.addSpacing(8)
        row.addWidget(self.t_label)
        row.addWidget(self.slider, slider_stretch)
        row.addWidget(self.value_label)
        row.addWidget(self.reset_button)

    def select_remembered(self) -> None:
        """Choose the model used last (or the first one), at its remembered temperature."""
        if not self.models:
            return
        ids = [c["id"] for c in self.models]
        index = ids.index(self.settings.model_id) if self.settings.model_id in ids else 0
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
        self._on_model_changed(index)

    def select(self, model_id: str) -> bool:
        """Make a model the current one; False if there is no such model."""
        index = self.combo.findData(model_id)
        if index < 0:
            return False
        self.combo.setCurrentIndex(index)
        return True

    # ---- what is chosen ---------------------------------------------------------------------------
    def current_model(self):
        """The chosen model's card, or None when there are no models."""
        i = self.combo.currentIndex()
        return self.models[i] if 0 <= i < len(self.models) else None

    def usable_model(self):
        """The chosen model's card unless it failed to load."""
        card = self.current_model()
        return card if card and card["id"] not in self.broken else None

    def model_name(self, model_id: str) -> str:
        return next((c.get("name", model_id) for c in self.models if c["id"] == model_id), model_id)

    def temperature(self) -> float:
        return self.slider.value() / 100

    def set_temperature(self, t: float) -> None:
        self.slider.setValue(round(min(T_MAX, max(T_MIN, t)) * 100))

    def model_temperature(self, card: dict) -> float:
        """The temperature the user last set for a model, or its card's default."""
        if card is self.current_model():
            return self.temperature()
        remembered = self.settings.temperature(card["id"])
        return remembered if remembered is not None else card_temperature(card)

    # ---- the user's changes -----------------------------------------------------------------------
    @Slot(int)
    def _on_model_changed(self, index: int) -> None:
        card = self.current_model()
        if card is None:
            return
        self.combo.setToolTip(card.get("description", ""))
        self.settings.model_id = card["id"]
        self.broken.discard(card["id"])  # the user may have replaced the file: try again
        remembered = self.settings.temperature(card["id"])
        self.slider.blockSignals(True)  # one preview request (through model_changed), not two
        self.set_temperature(remembered if remembered is not None else card_temperature(card))
        self.slider.blockSignals(False)
        self._show_temperature()
        self.model_changed.emit(card)

    @Slot(int)
    def _on_temperature_changed(self, value: int) -> None:
        card = self.current_model()
        if card is not None:
            self.settings.set_temperature(card["id"], self.temperature())
        self._show_temperature()
        self.temperature_changed.emit(self.temperature())

    def _show_temperature(self) -> None:
        self.value_label.setText(f"{self.temperature():.2f}")
        card = self.current_model()
        if card is not None:
            default = card_temperature(card)
            self.reset_button.setToolTip(f"Back to this model's default temperature, {default:.2f}")
            self.reset_button.setEnabled(round(default * 100) != self.slider.value())

    def _reset_temperature(self) -> None:
        card = self.current_model()
        if card is not None:
            self.set_temperature(card_temperature(card))
