"""The Gradients-through-time page: how much of the loss's gradient reaches each earlier step.

A plain RNN, an LSTM and a GRU (engine.bptt.BpttExperiment) learn the adding task side by side.
Right, from the top: the unrolled networks with the gradient's way back drawn as arrows as wide
as ‖∂L/∂hₜ‖; ‖∂L/∂hₜ‖ against t for the three cells on one log plot (on the first sequence of
the data, before training computed at once, while training every few steps by the worker); the
total gradient norm of every update before and after clipping. Left: the recurrent weights'
spectral radius, the plain RNN's activation, T, clipping, training and Start / Stop / Reset.
Training runs in `gui.workers.TrainRunner` (jobs.BpttJob); clipping can change while it runs.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.bptt import BpttConfig, BpttExperiment
from gui.widgets.controls_column import ControlsColumn
from gui.pages.base import Page
from gui.pages.bptt.controls import BpttControls, BpttSettings
from gui.pages.bptt.job import BpttJob, probe_norms
from gui.pages.bptt.plots import CELL_NAMES, ClipPlot, GradientCurves
from gui.pages.bptt.unrolled import UnrolledGradientView
from gui.workers import TrainRunner

HIDDEN_SIZE = 32
BATCH_SIZE = 16
N_SEQUENCES = 2048
LIVE = {"clip", "clip_threshold"}   # settings a running experiment takes over at its next step
KEEP = LIVE | {"steps"}             # settings that leave the models as they are


class BpttPage(Page):
    page_id = "bptt"
    title = "Gradients through time"
    explanation = (
        "<p>The loss L is read at the last step T. <b>Backpropagation through time</b> sends its "
        "gradient back through every step: ∂L/∂h<sub>t</sub> = ∂L/∂h<sub>t+1</sub> · "
        "∂h<sub>t+1</sub>/∂h<sub>t</sub>, and for the plain RNN h<sub>t+1</sub> = "
        "tanh(W<sub>x</sub> x<sub>t+1</sub> + W<sub>h</sub> h<sub>t</sub> + b) each step "
        "multiplies by W<sub>h</sub><sup>T</sup> and the slope of tanh. Over T − t steps that is "
        "a product of T − t such factors: when the factor per step is <b>below 1</b> "
        "(spectral radius ρ(W<sub>h</sub>) &lt; 1, or a saturated tanh) the gradient "
        "<b>vanishes</b> exponentially, a straight falling line on the log plot, and the early "
        "steps learn nothing; <b>above 1</b> it can <b>explode</b>.</p>"
        "<p>The <b>LSTM</b> carries a cell state c<sub>t</sub> = f<sub>t</sub> ⊙ c<sub>t−1</sub> "
        "+ i<sub>t</sub> ⊙ g<sub>t</sub>: along c the factor per step is the forget gate "
        "f<sub>t</sub>, which training can hold near 1. The <b>GRU</b>'s update gate does the "
        "same: h<sub>t</sub> = (1 − z<sub>t</sub>) ⊙ n<sub>t</sub> + z<sub>t</sub> ⊙ "
        "h<sub>t−1</sub> copies the state when z<sub>t</sub> ≈ 1. Train and watch their curves "
        "lift at the early steps while the plain RNN's stays down.</p>"
        "<p><b>Clipping by norm</b> tames explosions: when the gradient g of an update has "
        "‖g‖ &gt; threshold it is rescaled to threshold · g / ‖g‖ "
        "(<code>torch.nn.utils.clip_grad_norm_</code>). Its direction is kept, only the step "
        "is shorter; it does nothing against vanishing.</p>")
    shortcuts = [("Space", "start / stop training"),
                 ("Ctrl+R", "fresh untrained models with the same settings")]

    def __init__(self, app_state=None, parent=None):
        super().__init__(app_state, parent)
        self.settings = BpttSettings()
        self.controls_panel = BpttControls(self.settings, self._settings_changed)
        self.bind = self.controls_panel.bind
        self.unrolled = UnrolledGradientView()
        self.curves = GradientCurves()
        self.clip_plot = ClipPlot()
        self.readout = QLabel("")
        self.readout.setWordWrap(True)
        self.readout.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.readout.setToolTip("How much gradient reaches the first step, and the last "
                                "update's loss and gradient norm before → after clipping")
        self.runner = TrainRunner(self, on_progress=self._on_progress,
                                  on_finished=self._on_finished, on_failed=self._on_failed,
                                  on_running=self._update_buttons, emit_interval_s=0.2)
        self.experiment: BpttExperiment | None = None
        self.probe = None
        self._run = 0                      # counts experiments: late events of older ones are dropped
        self._reported: set[str] = set()   # cells whose divergence the user was told about
        self._last_line = ""
        self._build_layout()
        self._connect()
        self._rebuild()
        self._update_buttons()

    # -- layout ----------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        left = ControlsColumn(self.controls_panel, max_width=360)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.unrolled)
        column.addWidget(self.curves, 3)
        column.addWidget(self.clip_plot, 2)
        column.addWidget(self.readout)
        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addWidget(right, 1)

    def _connect(self) -> None:
        c = self.controls_panel
        c.start.clicked.connect(self.start)
        c.stop.clicked.connect(self.runner.stop)
        c.reset_button.clicked.connect(self.reset_training)
        for keys, slot in (("Space", self._toggle), ("Ctrl+R", self.reset_training)):
            # window-wide while this page is shown; a focused text field keeps its own keys
            self.addAction(QAction(self, shortcut=QKeySequence(keys),
                                   shortcutContext=Qt.WindowShortcut, triggered=slot))

    # -- the experiment --------------------------------------------------------------------------
    def config(self) -> BpttConfig:
        s = self.settings
        return BpttConfig(hidden_size=HIDDEN_SIZE, seq_len=s.seq_len, batch_size=BATCH_SIZE,
                          n_sequences=N_SEQUENCES,
                          weight_scale=s.weight_scale if s.weight_scale > 0 else None,
                          activation=s.activation, clip=s.clip, clip_threshold=s.clip_threshold,
                          optimizer=s.optimizer, lr=s.lr, seed=s.seed)

    def _rebuild(self) -> None:
        """Fresh untrained models for the settings, and their gradients drawn at once."""
        try:
            self.experiment = BpttExperiment(self.config())
        except ValueError as exc:
            self.notify(str(exc), "error")
            return
        self._run += 1
        self.probe = (self.experiment.x[:1], self.experiment.y[:1])   # (1, T, 2), (1, 1)
        self._reported.clear()
        self._last_line = ""
        self.clip_plot.clear_steps(self.settings.steps)
        self.clip_plot.set_threshold(self.settings.clip_threshold if self.settings.clip else None)
        self.controls_panel.status.setText("")
        self._show_gradients(probe_norms(self.experiment, self.probe), self.experiment.radii())
        problems = [m for m in self.experiment.messages.values() if m] + self._overflows()
        if problems:
            self.notify(" ".join(problems), "error")
        else:
            self.clear_notice()

    def _overflows(self) -> list[str]:
        """A sentence per cell whose gradient at the shown state is no longer a number."""
        return [f"The {CELL_NAMES[cell]}'s gradient overflows on the way back "
                f"(‖∂L/∂hₜ‖ is infinite or NaN at {int(np.sum(~np.isfinite(v)))} of "
                f"{len(v)} steps): lower the weight scale."
                for cell, v in self.shown_norms().items() if not np.isfinite(v).all()]

    def _show_gradients(self, norms: dict[str, np.ndarray], radii) -> None:
        self.curves.set_norms(norms)
        self.unrolled.set_norms(norms)
        if radii is not None:
            self.controls_panel.set_radii(radii)
        self._update_readout()

    def shown_norms(self) -> dict[str, np.ndarray]:
        """{cell: (T,) ‖∂L/∂hₜ‖} as the curve shows them now."""
        return {cell: self.curves.shown(cell) for cell in self.experiment.models}

    def _update_readout(self) -> None:
        first = " · ".join(f"{cell.upper()} {_number(v[0])}" for cell, v in
                           self.shown_norms().items() if len(v))
        text = f"‖∂L/∂h₁‖, what reaches the first step: {first}"
        if self._last_line:
            text += "<br>" + self._last_line
        self.readout.setText(text)

    def _settings_changed(self, name: str) -> None:
        s = self.settings
        self.clip_plot.set_threshold(s.clip_threshold if s.clip else None)
        if name in KEEP and self.experiment is not None:
            self.experiment.config.clip = s.clip          # read at the start of every step
            self.experiment.config.clip_threshold = s.clip_threshold
            return
        self._stop()
        self._rebuild()

    # -- training --------------------------------------------------------------------------------
    def start(self) -> None:
        if self.runner.running or self.experiment is None:
            return
        if all(status != "ok" for status in self.experiment.status.values()):
            self.notify("Every cell has diverged: Reset, with a smaller weight scale or "
                        "learning rate, or clipping on.", "error")
            return
        self.controls_panel.status.setText("Training…")
        self.runner.start(BpttJob(self.experiment, self.probe, self.settings.steps, run=self._run))

    def _stop(self) -> None:
        """Stop a run and wait for it; its last queued signals are delivered now, so that none
        of them arrives after a new run has started."""
        if self.runner.running:
            self.runner.stop_and_wait()
            QCoreApplication.sendPostedEvents(self.runner)

    def _toggle(self) -> None:
        if self.runner.running:
            self.runner.stop()
        else:
            self.start()

    def reset_training(self) -> None:
        self._stop()
        self._rebuild()

    def _on_progress(self, events) -> None:
        events = [e for e in events if e.run == self._run]
        if not events:
            return
        self.clip_plot.add_steps(events)
        with_probe = [e for e in events if e.probe is not None]
        last = events[-1]
        self._last_line = _step_line(last)
        if with_probe:
            self._show_gradients(with_probe[-1].probe, with_probe[-1].radii)
        else:
            self._update_readout()
        for event in events:
            for cell, result in event.results.items():
                if result.status != "ok" and cell not in self._reported:
                    self._reported.add(cell)
                    self.notify(result.message, "error")
                    self.controls_panel.status.setText(result.message)

    def _on_finished(self, result) -> None:
        if self._reported:        # a divergence stays the message on show
            self.controls_panel.status.setText(
                result.message + " " + " ".join(self.experiment.messages[c] for c in
                                                sorted(self._reported)))
        else:
            level = "info" if result.status in ("finished", "stopped") else "error"
            self.notify(result.message, level)
            self.controls_panel.status.setText(result.message)
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self.notify(message, "error")
        self.controls_panel.status.setText(message)

    def _update_buttons(self, *_args) -> None:
        self.controls_panel.set_running(self.runner.running)

    # -- state and life cycle --------------------------------------------------------------------
    def reset(self) -> None:
        """Default settings and fresh models."""
        self._stop()
        trained = self.experiment is None or self.experiment.steps > 0
        before = self.bind.to_dict()
        super().reset()
        if trained and self.bind.to_dict() == before:   # nothing changed, so nothing rebuilt
            self._rebuild()

    def apply_state(self, state: dict) -> None:
        self._stop()
        super().apply_state(state)

    def shutdown(self) -> None:
        self._stop()


def _number(value: float) -> str:
    return f"{value:.1e}" if math.isfinite(value) else "overflow"


def _step_line(event) -> str:
    """Step n: each cell's loss and its gradient norm before → after clipping."""
    parts = []
    for cell, r in event.results.items():
        if r.status != "ok":
            parts.append(f"{cell.upper()} diverged")
        else:
            parts.append(f"{cell.upper()} loss {r.loss:.3f}, ‖g‖ {r.grad_norm:.3g} → "
                         f"{r.grad_norm_clipped:.3g}")
    return f"Step {event.step}: " + " · ".join(parts)
