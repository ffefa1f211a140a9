"""The step player shared by every page that animates a trace (convolution, pooling, RNNs).

`StepPlayer` is the model: a step count, the current index, a speed and a timer. Views connect
to `stepChanged(int)` and render that step. `StepPlayerBar` is the control strip (first, back,
play/pause, forward, last, a position slider, speed) with the same keyboard shortcuts on every
page: Space, Left/Right (and Page Up/Down, which presentation clickers send), Home/End, +/-.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QWidget

from gui.widgets.live_label import LiveLabel

SPEEDS = [0.5, 1, 2, 4, 8, 15, 30, 60]  # steps per second


class StepPlayer(QObject):
    stepChanged = Signal(int)
    countChanged = Signal(int)
    playingChanged = Signal(bool)
    speedChanged = Signal(float)

    def __init__(self, parent=None, steps_per_second: float = 4.0):
        super().__init__(parent)
        self._count = 0
        self._index = 0
        self._speed = steps_per_second
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.setInterval(self._interval_ms())

    # -- state ---------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return self._count

    @property
    def index(self) -> int:
        return self._index

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def speed(self) -> float:
        return self._speed

    def _interval_ms(self) -> int:
        return max(1, round(1000 / self._speed))

    def set_count(self, count: int, index: int | None = None) -> None:
        """A new trace of `count` steps; the index is kept (clamped) unless given."""
        self._count = max(0, int(count))
        self.countChanged.emit(self._count)
        target = self._index if index is None else index
        self._index = -1  # force a stepChanged even when the index stays the same
        self.go_to(target)
        if self._count == 0:
            self.pause()

    def go_to(self, index: int) -> None:
        if self._count == 0:
            self._index = 0
            return
        index = max(0, min(self._count - 1, int(index)))
        if index != self._index:
            self._index = index
            self.stepChanged.emit(index)

    def step_forward(self) -> None:
        self.go_to(self._index + 1)

    def step_back(self) -> None:
        self.go_to(self._index - 1)

    def first(self) -> None:
        self.go_to(0)

    def last(self) -> None:
        self.go_to(self._count - 1)

    def play(self) -> None:
        if self._count == 0 or self.playing:
            return
        if self._index >= self._count - 1:  # replay from the start when at the end
            self.go_to(0)
        self._timer.start(self._interval_ms())
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, steps_per_second: float) -> None:
        self._speed = max(0.1, float(steps_per_second))
        self._timer.setInterval(self._interval_ms())
        self.speedChanged.emit(self._speed)

    def faster(self) -> None:
        bigger = [s for s in SPEEDS if s > self._speed + 1e-9]
        self.set_speed(bigger[0] if bigger else SPEEDS[-1])

    def slower(self) -> None:
        smaller = [s for s in SPEEDS if s < self._speed - 1e-9]
        self.set_speed(smaller[-1] if smaller else SPEEDS[0])

    def _tick(self) -> None:
        if self._index >= self._count - 1:
            self.pause()
        else:
            self.step_forward()


class StepPlayerBar(QWidget):
    """Buttons, position slider and speed slider for a `StepPlayer`."""

    def __init__(self, player: StepPlayer, parent=None, step_name: str = "step"):
        super().__init__(parent)
        self.setAutoFillBackground(True)  # opaque: a moving slider does not repaint the page
        self.player = player
        self.step_name = step_name
        style = self.style()
        self.first_button = self._button(style.standardIcon(QStyle.SP_MediaSkipBackward), "First step (Home)", player.first)
        self.back_button = self._button(style.standardIcon(QStyle.SP_MediaSeekBackward), "Step back (Left)", player.step_back)
        self.play_button = self._button(style.standardIcon(QStyle.SP_MediaPlay), "Play / pause (Space)", player.toggle)
        self.forward_button = self._button(style.standardIcon(QStyle.SP_MediaSeekForward), "Step forward (Right)", player.step_forward)
        self.last_button = self._button(style.standardIcon(QStyle.SP_MediaSkipForward), "Last step (End)", player.last)

        self.position = QSlider(Qt.Horizontal)
        self.position.setToolTip("Drag to any step")
        self.position.setAutoFillBackground(True)   # opaque: a step repaints only the slider
        self.position.valueChanged.connect(player.go_to)
        self.position_label = LiveLabel(min_width=60)
        self.speed_slider = QSlider(Qt.Horizontal)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setMaximumWidth(120)
        self.speed_slider.setToolTip("Animation speed (+ / -)")
        self.speed_slider.valueChanged.connect(self._on_speed_slider)
        self.speed_label = LiveLabel(min_width=50)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for b in (self.first_button, self.back_button, self.play_button, self.forward_button,
                  self.last_button):
            layout.addWidget(b)
        layout.addWidget(self.position, 1)
        layout.addWidget(self.position_label)
        layout.addWidget(QLabel("Speed"))
        layout.addWidget(self.speed_slider)
        layout.addWidget(self.speed_label)

        self._add_shortcut(("Space",), player.toggle)
        self._add_shortcut(("Right", "PgDown"), player.step_forward)
        self._add_shortcut(("Left", "PgUp"), player.step_back)
        self._add_shortcut(("Home",), player.first)
        self._add_shortcut(("End",), player.last)
        self._add_shortcut(("+", "="), player.faster)
        self._add_shortcut(("-",), player.slower)

        player.stepChanged.connect(self._on_step)
        player.countChanged.connect(self._on_count)
        player.playingChanged.connect(self._on_playing)
        player.speedChanged.connect(self._on_speed)
        self._on_count(player.count)
        self._on_speed(player.speed)

    def _button(self, icon, tip, slot) -> QToolButton:
        b = QToolButton()
        b.setIcon(icon)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.clicked.connect(slot)
        return b

    def _add_shortcut(self, keys, slot) -> None:
        # Window-wide, but only live while this bar is visible (i.e. its page is the current one);
        # a focused text field still gets its own keys (Qt's ShortcutOverride).
        action = QAction(self, shortcuts=[QKeySequence(k) for k in keys],
                         shortcutContext=Qt.WindowShortcut, triggered=slot)
        self.addAction(action)

    def _on_step(self, index: int) -> None:
        with QSignalBlocker(self.position):
            self.position.setValue(index)
        self._update_label()

    def _on_count(self, count: int) -> None:
        with QSignalBlocker(self.position):
            self.position.setRange(0, max(0, count - 1))
            self.position.setValue(self.player.index)
        self._fit_label()
        enabled = count > 0
        for w in (self.first_button, self.back_button, self.play_button, self.forward_button,
                  self.last_button, self.position):
            w.setEnabled(enabled)
        self._update_label()

    def _fit_label(self) -> None:
        """Room for the widest counter this trace can show ("step 172890 / 172890"), so a long
        trace's counter never runs into the Speed label."""
        n = self.player.count
        widest = f"{self.step_name} {n} / {n}" if n else "—"
        self.position_label.setMinimumWidth(
            self.position_label.fontMetrics().horizontalAdvance(widest) + 12)

    def changeEvent(self, event) -> None:     # a new presenter scale: the counter's room too
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit_label()

    def _update_label(self) -> None:
        n = self.player.count
        self.position_label.setText(f"{self.step_name} {self.player.index + 1} / {n}" if n else "—")

    def _on_playing(self, playing: bool) -> None:
        icon = QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _on_speed_slider(self, pos: int) -> None:
        self.player.set_speed(SPEEDS[pos])

    def _on_speed(self, speed: float) -> None:
        nearest = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        with QSignalBlocker(self.speed_slider):
            self.speed_slider.setValue(nearest)
        self.speed_label.setText(f"{speed:g}/s")
