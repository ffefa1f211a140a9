"""What one page makes and another uses, in one place: pages subscribe instead of reaching
into each other (and building each other as a side effect).

The main window owns one `AppState` and hands it to every page it builds. A page that makes
something sets it here (`set_feature_map`, `set_trained_model`, `set_drawn_digit`); a page
that uses it reads the current value and connects to the signal. Status messages go one way
too: `message(text, level, source)` to the window's status bar; an empty text from the same
source clears what it said (an error goes away once its cause is fixed).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

# numpy is imported where an array is set, not here: the window paints before numpy (and torch)
# are loaded, and this module is on that path.


@dataclass
class TrainedModel:
    """A model trained (or loaded) on the Train page, as other pages may use it."""
    model: object            # torch.nn.Module, on the CPU, in eval mode
    meta: dict               # checkpoint metadata: arch, kwargs, dataset, input_shape, classes, ...
    description: str         # one line for the user, e.g. "LeNet-5 trained on MNIST, 98.7 %"


class AppState(QObject):
    featureMapChanged = Signal(object)   # (H, W) float32 numpy: the Convolution page's output
    modelTrained = Signal(object)        # TrainedModel
    digitDrawn = Signal(object)          # (28, 28) float32 numpy: the Draw page's model input
    message = Signal(str, str, str)      # text, level ("info", "warning", "error"), source

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.feature_map = None       # np.ndarray | None
        self.trained_model: TrainedModel | None = None
        self.drawn_digit = None       # np.ndarray | None

    def set_feature_map(self, values) -> None:
        import numpy as np
        self.feature_map = None if values is None else np.array(values, np.float32)
        self.featureMapChanged.emit(self.feature_map)

    def set_trained_model(self, trained: TrainedModel | None) -> None:
        self.trained_model = trained
        self.modelTrained.emit(trained)

    def set_drawn_digit(self, values) -> None:
        import numpy as np
        self.drawn_digit = None if values is None else np.array(values, np.float32)
        self.digitDrawn.emit(self.drawn_digit)

    def notify(self, text: str, level: str = "info", source: str = "") -> None:
        self.message.emit(text, level, source)
