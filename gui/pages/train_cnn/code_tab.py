"""The Train a CNN page's "PyTorch code" tab: the loop a run of the current settings runs.

`LoopCode` is a CodePanel (with its Copy button) showing engine.codegen.training_loop_code for
the page's settings and dataset folder; the page calls `refresh` whenever a control changes.
"""
from __future__ import annotations

from engine.codegen import training_loop_code
from engine.data import DATASETS
from gui.widgets.code_panel import CodePanel


class LoopCode(CodePanel):
    def __init__(self, settings, folder, parent=None):
        """`settings`: the page's CnnRunConfig; `folder(name)`: the dataset folder in use."""
        super().__init__("The training loop in PyTorch (runs from the project folder)", parent)
        self.settings, self.folder = settings, folder
        self.setToolTip("What Start runs, as plain PyTorch: it follows every control")

    def refresh(self) -> None:
        name = self.settings.dataset
        try:
            code = training_loop_code(self.settings, DATASETS[name], self.folder(name))
        except Exception as exc:   # a network that cannot take these images: the table says why
            code = f"# No code: this network cannot take {DATASETS[name].label} images ({exc})\n"
        self.set_code(code)
