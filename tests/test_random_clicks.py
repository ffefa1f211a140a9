"""Every page survives a student clicking everything at random.

A fixed sequence of random actions per page (seeded): buttons clicked, combo boxes, spin boxes,
sliders, check boxes, tabs and text fields set to random values, including bad text (NaN, huge
numbers, empty, very long). pytest-qt fails the test on any exception raised in a slot or event
handler. This found two real faults: an IndexError on the Convolution page (grey/RGB switched
while the settings gave no output) and a 71-second freeze in the RNN Shapes tab.
"""
import random
import time

import pytest
from PySide6.QtWidgets import (
    QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QLineEdit, QPlainTextEdit,
    QPushButton, QRadioButton, QSlider, QSpinBox, QTabWidget, QWidget,
)

from gui.app import MainWindow
from gui.pages import PAGES

KINDS = (QPushButton, QComboBox, QSpinBox, QDoubleSpinBox, QCheckBox, QRadioButton, QSlider,
         QLineEdit, QTabWidget, QPlainTextEdit)
TEXTS = ["", "nan", "1e400", "the film was not good", "x" * 300, "-3", "héllo ☃", "1,2;3"]
GRIDS = ["", "1 2\n3 4", "nan nan\n1 2", "a b c", "1 2 3\n4 5"]
ACTIONS = 120
SLOW_S = 2.0      # GUI-thread CPU seconds one action (and the events it causes) may take, as
                  # the monkey allows: a Transfer page button took 1.0 s once; the Shapes tab's
                  # old freeze took 1.2-4.8 s of CPU each.
                  # CPU time, not wall time, so other processes on a loaded machine do not count


def _act(widget, rng: random.Random) -> None:
    if isinstance(widget, QPushButton):
        if "Download" not in widget.text():          # no network in tests
            widget.click()
    elif isinstance(widget, QComboBox):
        if widget.count():
            widget.setCurrentIndex(rng.randrange(widget.count()))
            widget.activated.emit(widget.currentIndex())
    elif isinstance(widget, (QSpinBox, QSlider)):
        widget.setValue(rng.randint(widget.minimum(), widget.maximum()))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(rng.uniform(widget.minimum(), widget.maximum()))
    elif isinstance(widget, (QCheckBox, QRadioButton)):
        widget.click()
    elif isinstance(widget, QTabWidget):
        widget.setCurrentIndex(rng.randrange(widget.count()))
    elif isinstance(widget, QLineEdit):
        widget.setText(rng.choice(TEXTS))
        widget.returnPressed.emit()
        widget.editingFinished.emit()
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText(rng.choice(GRIDS))


@pytest.mark.parametrize("page_id", [p[0] for p in PAGES])
def test_random_clicks_raise_nothing_and_freeze_nothing(page_id, qtbot, monkeypatch):
    # file dialogs answer "cancelled" at once instead of waiting for a user
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    window = MainWindow(start_page=page_id)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    page = window.show_page(page_id)
    rng = random.Random(2)
    slow = []
    try:
        for _ in range(ACTIONS):
            widgets = [w for w in page.findChildren(QWidget)
                       if isinstance(w, KINDS) and w.isVisible() and w.isEnabled()]
            if not widgets:
                break
            widget = rng.choice(widgets)
            start = time.thread_time()
            _act(widget, rng)
            QApplication.processEvents()
            if time.thread_time() - start > SLOW_S:
                slow.append(f"{type(widget).__name__} {time.thread_time() - start:.1f} s")
    finally:
        window.close()           # stops any training the clicks started, as the app does
    assert not slow, f"actions that kept the GUI thread busy over {SLOW_S} s: {slow}"
