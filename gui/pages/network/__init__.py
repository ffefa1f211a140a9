"""The whole network page: one digit through the shipped LeNet-5, every layer at once.

Top: every layer's output, left to right (`LayerStrip`), with its shape and parameters. Below:
the input (a test image, or a digit drawn on the pad), the arithmetic of the unit clicked
(`UnitPanel`, from engine.network.explain_unit) and the softmax with a temperature slider
(`SoftmaxPanel`). The numbers all come from engine.network; this page only shows them.
Two more tabs: "CNN vs MLP" (param_compare: the parameters of a CNN and of the MLP with its
hidden widths) and "Dying ReLU" (relu_panel, trained in the background by relu_job).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import dataclasses

import numpy as np
from PySide6.QtWidgets import (
    QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QTabWidget, QVBoxLayout,
    QWidget,
)

from engine.digits import model_input, preprocess_stages
from engine.models import CheckpointError, load_pretrained
from engine.network import explain_unit, input_window, network_trace
from gui import style
from gui.bind import Bindings, StateError
from gui.pages.base import Page
from gui.pages.network.layer_strip import INPUT, LayerStrip
from gui.pages.network.param_compare import COMPARE_ARCHS, SIZES, CnnVsMlpPanel
from gui.pages.network.relu_job import PAGE_CONFIG, DyingReluJob
from gui.pages.network.relu_panel import DyingReluPanel
from gui.pages.network.unit_panel import SoftmaxPanel, UnitPanel
from gui.widgets.digit_canvas import DigitCanvas
from gui.workers import TrainRunner

TEST_IMAGES = 20          # generated test digits offered (engine.data.synth_digits)
TEST_SEED = 2026
SOURCES = {"test": "Test image", "drawing": "My drawing"}
TABS = ("one_input", "cnn_vs_mlp", "dying_relu")
TAB_TITLES = ("One input", "CNN vs MLP", "Dying ReLU")

EXPLANATION = """
<p>One image goes through the whole network, left to right: each column is one layer's output
for it. A convolution's maps are tiled; a vector (after <b>Flatten</b>) is wrapped into a block.
Under each layer: its output shape and its number of parameters (weights and biases). Most of
LeNet-5's parameters sit in its first fully connected layer, not in the convolutions.</p>
<p><b>Click any unit.</b> For a convolution or a linear layer the panel shows the numbers that
made it: Σ inputs·weights + bias, then the batch norm and ReLU that follow. The green outline
marks the cells of the layer below that it read. The last layer's ten outputs are the
<b>logits</b> z; softmax turns them into probabilities exp(z<sub>i</sub>/T) / Σ<sub>j</sub>
exp(z<sub>j</sub>/T). A temperature T &lt; 1 sharpens them, T &gt; 1 flattens them; the ranking
never changes.</p>
<p><b>CNN vs MLP</b>: a CNN's parameters next to an MLP with the same hidden widths reading the
raw pixels. <b>Dying ReLU</b>: with a too-high learning rate, ReLU units whose input is never
positive get no gradient and stay dead; Leaky ReLU's units keep a gradient of 0.01.</p>
"""


@dataclass
class NetworkState:
    source: str = "test"          # "test" (a generated test digit) or "drawing" (the pad)
    test_index: int = 0           # which test digit
    temperature_step: int = 0     # the softmax temperature: T = 10 ** (step / 20)
    tab: str = "one_input"        # the tab shown: one of TABS
    compare_arch: str = "lenet5"  # the CNN of the "CNN vs MLP" tab
    compare_size: int = 28        # its input size (square)
    relu_lr: float = PAGE_CONFIG.lr   # the "Dying ReLU" tab's learning rate


@lru_cache(maxsize=1)
def _test_digits() -> tuple[np.ndarray, np.ndarray]:
    """The test digits, made once per run (the same for every page made)."""
    from engine.data.synth_digits import make_synth_digits
    return make_synth_digits(TEST_IMAGES, seed=TEST_SEED)


class NetworkPage(Page):
    page_id = "network"
    title = "The whole network"
    explanation = EXPLANATION
    shortcuts = [("Click a unit", "show the arithmetic behind it"),
                 ("Draw on the pad", "run your own digit through the network")]

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.settings = NetworkState()
        self.model = None
        self.trace = None
        self.selected: tuple[str, tuple] | None = None
        self.images, self.labels = _test_digits()
        self._quiet = False

        self.strip = LayerStrip()
        self.strip.unitClicked.connect(self.select_unit)
        self.canvas = DigitCanvas(pen_width=22)
        self.canvas.setFixedSize(170, 170)
        self.canvas.drawingChanged.connect(self._on_drawing)
        self.source = QComboBox()
        self.test_index = QSpinBox(minimum=0, maximum=TEST_IMAGES - 1)
        self.test_index.setToolTip("Which test image")
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.input_note = style.set_role(QLabel(""), "small")
        self.unit_panel = UnitPanel()
        self.softmax = SoftmaxPanel()
        self.source.setToolTip("Run a generated test digit or your own drawing through the net")
        self.clear_button.setToolTip("Clear the drawing pad")
        self.tabs = QTabWidget()
        self.compare = CnnVsMlpPanel()
        self.dying = DyingReluPanel()
        self.runner = TrainRunner(self, on_progress=self.dying.add_events,
                                  on_finished=self._relu_finished, on_failed=self._relu_failed,
                                  on_running=self.dying.set_running, emit_interval_s=0.2)
        self.dying.start.clicked.connect(self.start_relu)
        self.dying.stop.clicked.connect(self.runner.stop)
        self.relu_job: DyingReluJob | None = None
        self.bind = Bindings(self.settings, self._on_setting)
        self.bind.combo("source", self.source, SOURCES)
        self.bind.spin("test_index", self.test_index)
        self.bind.spin("temperature_step", self.softmax.slider)
        self.bind.combo("compare_arch", self.compare.arch, COMPARE_ARCHS)
        self.bind.combo("compare_size", self.compare.size_combo, SIZES)
        self.bind.spin("relu_lr", self.dying.lr)
        self.bind.field("tab", self._check_tab, self._show_tab)
        self._layout()
        self.tabs.currentChanged.connect(self._on_tab)
        self._load_model()
        self.recompute()
        self.compare.show_comparison(self.settings.compare_arch, self.settings.compare_size)

    def _layout(self) -> None:
        input_box = QGroupBox("Input")
        box = QVBoxLayout(input_box)
        box.setContentsMargins(6, 4, 6, 4)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(self.test_index)
        box.addLayout(row)
        box.addWidget(self.canvas)
        row = QHBoxLayout()
        row.addWidget(self.input_note, 1)
        row.addWidget(self.clear_button)
        box.addLayout(row)
        bottom = QHBoxLayout()
        bottom.addWidget(input_box)
        bottom.addWidget(self.unit_panel, 3)
        bottom.addWidget(self.softmax, 2)
        self.one_input = QWidget()
        layout = QVBoxLayout(self.one_input)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.strip)
        layout.addLayout(bottom, 1)
        for widget, title in zip((self.one_input, self.compare, self.dying), TAB_TITLES):
            self.tabs.addTab(widget, title)
        for i, tip in enumerate(("One digit through every layer of LeNet-5",
                                 "How many parameters a CNN and an MLP of the same widths have",
                                 "Units that never fire, over training at a too-high rate")):
            self.tabs.setTabToolTip(i, tip)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.tabs)

    # -- tabs --------------------------------------------------------------------------------------
    def _check_tab(self, value) -> str:
        if value not in TABS:
            raise StateError("tab", f"{value!r} is not one of {', '.join(TABS)}")
        return value

    def _show_tab(self, value: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(value))

    def _on_tab(self, index: int) -> None:
        self.settings.tab = TABS[index]

    def _load_model(self) -> None:
        try:
            self.model = load_pretrained("digits")
        except CheckpointError as exc:
            self.model = None
            self.notify(f"The shipped digit model cannot be used: {exc}", "error")

    # -- the input ---------------------------------------------------------------------------------
    def current_input(self) -> np.ndarray:
        """(1, 28, 28): the test digit chosen, or the drawing as the model sees it."""
        if self.settings.source == "test":
            return self.images[self.settings.test_index]
        # only the canvas' ink box: preprocessing crops to the ink first, so the result is the same
        stages = preprocess_stages(self.canvas.ink_region()[0])
        meta = getattr(self.model, "meta", None)
        return model_input(stages.centred, meta).numpy()

    def _on_drawing(self) -> None:
        if self._quiet:
            return
        if self.settings.source != "drawing":
            self.bind.set("source", "drawing")    # calls _on_setting, which recomputes
        else:
            self.recompute()

    def _on_setting(self, name: str) -> None:
        if name in ("tab", "relu_lr"):      # the learning rate is read at the next Start
            return
        if name in ("compare_arch", "compare_size", "*"):
            self.compare.show_comparison(self.settings.compare_arch, self.settings.compare_size)
            if name != "*":
                return
        if name == "temperature_step":
            self.softmax.refresh()
            return
        self.recompute()

    # -- dying ReLU ------------------------------------------------------------------------------
    def relu_config(self):
        """The experiment the Start button runs: the page's config at the chosen rate."""
        return dataclasses.replace(PAGE_CONFIG, lr=self.settings.relu_lr)

    def start_relu(self, config=None) -> None:
        if self.runner.running:
            return
        config = config or self.relu_config()
        self.relu_job = DyingReluJob(config)
        self.dying.begin(config.steps)
        self.runner.start(self.relu_job)

    def _relu_finished(self, result) -> None:
        self.dying.status.setText(result.message)
        if any(c.status == "diverged" for c in (self.relu_job.curves.values()
                                                 if self.relu_job else [])):
            self.notify(result.message, "warning")

    def _relu_failed(self, message: str) -> None:
        self.dying.status.setText(message)
        self.notify(message, "error")

    def shutdown(self) -> None:
        self.runner.stop_and_wait()

    def _show_test_image_on_pad(self) -> None:
        self._quiet = True
        try:
            self.canvas.set_image(self.images[self.settings.test_index][0])
        finally:
            self._quiet = False

    # -- the network -------------------------------------------------------------------------------
    def recompute(self) -> None:
        if self.model is None:
            return
        if self.settings.source == "test":
            self._show_test_image_on_pad()
            label = int(self.labels[self.settings.test_index])
            self.input_note.setText(f"a generated {label}")
        else:
            self.input_note.setText("drawn, centred")
        self.trace = network_trace(self.model, self.current_input())
        self.strip.set_trace(self.trace)
        self.softmax.show_logits(self.trace.logits)
        if self.selected is not None:
            self.select_unit(*self.selected)

    def select_unit(self, layer: str, index: tuple) -> None:
        """Show how unit `index` of `layer` was computed (a click on the strip lands here)."""
        if self.trace is None:
            return
        self.selected = (layer, tuple(index))
        if layer == INPUT:
            self.strip.select(layer, index)
            value = float(self.trace.input[tuple(index)])
            self.unit_panel.heading.setText(f"<b>input</b> pixel {tuple(index)} = {value:.3g}: "
                                            "the network's first layer reads it.")
            self.unit_panel.sum_text.setText("")
            return
        entry = self.trace.layer(layer)
        target = layer
        if entry.kind not in ("Conv2d", "Linear"):
            producer = self._producer(layer)
            if producer is None:       # pooling, flatten: a window of the layer below
                window = input_window(self.trace, layer, index)
                self.unit_panel.show_window(self.trace, window)
                self.strip.select(layer, index, window)
                return
            target = producer
        # the input the trace ran on (not the drawing preprocessed again)
        explanation = explain_unit(self.model, self.trace.input, target, index)
        self.unit_panel.show_explanation(explanation)
        self.strip.select(layer, index, explanation.window)

    def _producer(self, layer: str) -> str | None:
        """The Conv2d or Linear whose unit this elementwise layer's unit continues (batch norm,
        activation, dropout right after it), or None."""
        pos = self.trace.position(layer)
        shape = self.trace.layers[pos].output_shape
        while pos > 0:
            pos -= 1
            below = self.trace.layers[pos]
            if below.output_shape != shape or below.kind in ("MaxPool2d", "AvgPool2d", "Flatten"):
                return None
            if below.kind in ("Conv2d", "Linear"):
                return below.name
        return None

    # -- state -------------------------------------------------------------------------------------
    def state(self) -> dict:
        state = super().state()
        if self.selected is not None:
            state["unit"] = [self.selected[0], list(self.selected[1])]
        return state

    def apply_state(self, state: dict) -> None:
        if isinstance(state, dict) and "unit" in state:
            state = dict(state)
            unit = state.pop("unit")
            super().apply_state(state)
            try:
                self.select_unit(str(unit[0]), tuple(int(v) for v in unit[1]))
            except (ValueError, TypeError, IndexError):
                self.notify("The saved unit does not exist in this network.", "warning")
            return
        super().apply_state(state)

    def reset(self) -> None:
        self.selected = None
        super().reset()
        self.unit_panel.heading.setText("Click a unit in any layer above.")
        self.unit_panel.sum_text.setText("")
        self.strip.select(None, None)
