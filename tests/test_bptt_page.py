"""The Gradients-through-time page, standalone, driven by real keys and clicks: its curves against
engine.bptt.hidden_grad_norms, the spectral radius label against engine.bptt, training in the
worker against the same experiment stepped here, clipping, an exploding scale, state, shutdown."""
import math
import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from engine.bptt import BpttExperiment, hidden_grad_norms, spectral_radius
from gui.bind import StateError
from gui.pages.bptt import BpttPage
from gui.pages.bptt.unrolled import MAX_BOXES, arrow_width, shown_steps
from gui.state import AppState

CELLS = ("rnn", "lstm", "gru")


@pytest.fixture
def page(shown):
    torch.set_num_threads(1)
    state = AppState()
    messages = []
    state.message.connect(lambda text, level, source: messages.append((text, level)))
    p = shown(BpttPage(app_state=state), 1060, 600)
    p.messages = messages
    yield p
    p.shutdown()


def type_into(spin, text):
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key_Return)


def click(widget):
    QTest.mouseClick(widget, Qt.LeftButton)


def click_check(box):
    """On the check box's indicator."""
    QTest.mouseClick(box, Qt.LeftButton, Qt.NoModifier, QPoint(8, box.height() // 2))


def expected_norms(page, experiment=None):
    """hidden_grad_norms of every model on the page's probe sequence (the data's first)."""
    exp = experiment or page.experiment
    x, y = exp.x[:1], exp.y[:1]
    return {c: hidden_grad_norms(m.rnn, m.head, x, y) for c, m in exp.models.items()}


def train(page, qtbot, steps):
    type_into(page.bind.widgets()["steps"], str(steps))
    with qtbot.waitSignal(page.runner.finished, timeout=30_000):
        click(page.controls_panel.start)
    qtbot.waitUntil(lambda: not page.runner.running, timeout=5_000)


def test_the_curves_are_hidden_grad_norms_of_the_page_models_before_training(page):
    type_into(page.bind.widgets()["seq_len"], "30")
    assert page.settings.seq_len == 30
    expected = expected_norms(page)
    # the page's models are the seeded experiment's: a fresh one gives the same numbers
    fresh = expected_norms(page, BpttExperiment(page.config()))
    for cell in CELLS:
        assert expected[cell].shape == (30,)
        np.testing.assert_allclose(page.curves.shown(cell), expected[cell], rtol=1e-6)
        np.testing.assert_allclose(fresh[cell], expected[cell], rtol=1e-6)
        t, drawn = page.curves.drawn(cell)
        np.testing.assert_array_equal(t, np.arange(1, 31))
        np.testing.assert_allclose(drawn, expected[cell], rtol=1e-6)
        # the unrolled drawing: one arrow per box, as wide as its step's gradient says
        steps = page.unrolled.steps()
        assert steps == shown_steps(30, len(steps)) and steps[0] == 1 and steps[-1] == 30
        assert 8 <= len(steps) <= MAX_BOXES                   # as many as fit 1060 px
        widths = page.unrolled.arrow_widths(cell)
        assert widths == [arrow_width(expected[cell][t - 1]) for t in steps]
    # PyTorch's init vanishes: far less reaches h_1 than h_T, and the arrows thin out with it
    rnn = expected["rnn"]
    assert rnn[0] < 1e-4 * rnn[-1]
    assert page.unrolled.arrow_widths("rnn")[0] < page.unrolled.arrow_widths("rnn")[-1]
    assert f"RNN {rnn[0]:.1e}" in page.readout.text()


def test_scale_typed_and_slid_sets_the_radius_label_to_engine_bptts_value(page):
    c = page.controls_panel
    rnn = page.experiment.models["rnn"].rnn
    assert f"RNN {spectral_radius(rnn.weight_hh_l0):.3f}" in c.radius.text()   # PyTorch init
    type_into(c.scale, "1.5")
    assert page.settings.weight_scale == pytest.approx(1.5)
    assert c.slider.value() == 150
    models = page.experiment.models
    radius = spectral_radius(models["rnn"].rnn.weight_hh_l0)
    assert radius == pytest.approx(1.5, rel=1e-5)
    assert f"RNN {radius:.3f}" in c.radius.text()
    lstm_forget = spectral_radius(models["lstm"].rnn.weight_hh_l0[32:64])    # rows i, f, g, o
    assert f"LSTM {lstm_forget:.3f}" in c.radius.text()
    before = page.curves.shown("rnn")
    c.slider.setFocus()
    for _ in range(25):                                   # 0.01 per arrow key: 1.50 -> 1.75
        QTest.keyClick(c.slider, Qt.Key_Right)
    assert c.scale.value() == pytest.approx(1.75) and page.settings.weight_scale == pytest.approx(1.75)
    radius = spectral_radius(page.experiment.models["rnn"].rnn.weight_hh_l0)
    assert radius == pytest.approx(1.75, rel=1e-5) and f"RNN {radius:.3f}" in c.radius.text()
    after = page.curves.shown("rnn")
    np.testing.assert_allclose(after, expected_norms(page)["rnn"], rtol=1e-6)
    assert after[0] > before[0]                           # a larger factor keeps more gradient


def test_a_seeded_run_in_the_worker_updates_the_curves_like_the_engine(page, qtbot):
    twin = BpttExperiment(page.config())                  # same seed, same batches
    before = {c: page.curves.shown(c) for c in CELLS}
    train(page, qtbot, 10)
    assert page.experiment.steps == 10
    steps = [twin.step() for _ in range(10)]
    expected = expected_norms(page, twin)
    for cell in CELLS:
        shown = page.curves.shown(cell)
        np.testing.assert_allclose(shown, expected[cell], rtol=1e-4)
        assert not np.allclose(shown, before[cell], rtol=1e-3)          # training moved them
        xs, norms, clipped = page.clip_plot.norms(cell)
        assert xs == list(range(1, 11))
        np.testing.assert_allclose(norms, [s[cell].grad_norm for s in steps], rtol=1e-4)
        np.testing.assert_allclose(clipped, [s[cell].grad_norm_clipped for s in steps], rtol=1e-4)
    assert "Step 10:" in page.readout.text() and f"GRU loss {steps[-1]['gru'].loss:.3f}" in \
        page.readout.text()
    assert page.controls_panel.start.isEnabled() and not page.controls_panel.stop.isEnabled()
    # Reset: fresh untrained models, the curves back to where they started
    click(page.controls_panel.reset_button)
    assert page.experiment.steps == 0 and page.clip_plot.norms("rnn")[0] == []
    np.testing.assert_allclose(page.curves.shown("lstm"), before["lstm"], rtol=1e-6)


def test_clipping_on_keeps_every_update_at_most_the_threshold(page, qtbot):
    assert page.settings.clip
    type_into(page.controls_panel.threshold, "0.05")
    assert page.settings.clip_threshold == pytest.approx(0.05)
    train(page, qtbot, 8)
    clipped_any = False
    for cell in CELLS:
        _, before, after = page.clip_plot.norms(cell)
        assert len(after) == 8
        assert max(after) <= 0.05 * (1 + 1e-5)
        for b, a in zip(before, after):
            assert a == pytest.approx(min(b, 0.05), rel=1e-4)
        clipped_any |= max(before) > 0.05
    assert clipped_any                                    # so the threshold really acted
    assert page.clip_plot.threshold_line.isVisible()
    assert page.clip_plot.threshold_line.value() == pytest.approx(math.log10(0.05))
    click_check(page.controls_panel.clip)                 # off: no line, updates unclipped
    assert not page.settings.clip and not page.clip_plot.threshold_line.isVisible()
    assert page.experiment.steps == 8                     # clipping does not reset the models
    train(page, qtbot, 3)
    _, before, after = page.clip_plot.norms("rnn")
    assert len(after) == 11 and after[-3:] == before[-3:]


def test_an_exploding_scale_is_a_message_not_an_exception(page, qtbot):
    c = page.controls_panel
    c.activation.setFocus()
    QTest.keyClick(c.activation, Qt.Key_Down)             # tanh -> ReLU
    assert page.settings.activation == "relu"
    click_check(c.clip)
    assert not page.settings.clip
    type_into(c.scale, "4")
    assert page.settings.weight_scale == pytest.approx(4.0)
    # before training: ρ = 4 with ReLU, the gradient overflows on the way back, and says so
    assert not np.isfinite(page.curves.shown("rnn")).all()
    assert "plain RNN ∞ at" in page.curves.overflow_note()
    assert any("plain RNN's gradient overflows" in text and level == "error"
               for text, level in page.messages)
    train(page, qtbot, 5)
    errors = [text for text, level in page.messages if level == "error"]
    assert any("RNN stopped at step 1" in text for text in errors)
    assert page.experiment.status == {"rnn": "diverged", "lstm": "ok", "gru": "ok"}
    assert page.experiment.steps == 5
    assert "RNN diverged" in page.readout.text()
    assert "RNN stopped at step 1" in c.status.text()
    assert len(page.clip_plot.norms("gru")[2]) == 5 and all(
        math.isfinite(v) for v in page.clip_plot.norms("gru")[2])


def test_state_round_trips_and_a_bad_state_changes_nothing(page, qtbot):
    c = page.controls_panel
    type_into(c.scale, "1.2")
    type_into(c.seq_len, "40")
    type_into(c.threshold, "2.5")
    c.optimizer.setFocus()
    QTest.keyClick(c.optimizer, Qt.Key_Down)              # Adam -> SGD
    saved = page.state()
    assert saved["weight_scale"] == pytest.approx(1.2) and saved["seq_len"] == 40
    assert saved["clip_threshold"] == pytest.approx(2.5) and saved["optimizer"] == "sgd"
    fresh = BpttPage(app_state=AppState())
    qtbot.addWidget(fresh)
    fresh.apply_state(saved)
    assert fresh.state() == saved
    assert fresh.controls_panel.slider.value() == 120
    for cell in CELLS:
        np.testing.assert_allclose(fresh.curves.shown(cell), page.curves.shown(cell), rtol=1e-6)
    assert fresh.controls_panel.radius.text() == c.radius.text()
    for bad in ({"seq_len": 1}, {"activation": "sigmoid"}, {"weight_scale": 9.0}, {"colour": 1}):
        with pytest.raises(StateError):
            fresh.apply_state({"seed": 3, **bad})
        assert fresh.state() == saved
    fresh.reset()
    assert fresh.state()["weight_scale"] == 0.0 and fresh.state()["optimizer"] == "adam"
    assert len(fresh.curves.shown("rnn")) == 50
    fresh.shutdown()


def test_shutdown_mid_training_stops_the_worker(page, qtbot):
    type_into(page.bind.widgets()["steps"], "20000")
    with qtbot.waitSignal(page.runner.progress, timeout=20_000):
        click(page.controls_panel.start)
    assert page.runner.running and page.controls_panel.stop.isEnabled()
    assert not page.controls_panel.scale.isEnabled() and page.controls_panel.clip.isEnabled()
    started = time.perf_counter()
    page.shutdown()
    assert not page.runner.running
    assert time.perf_counter() - started < 5
    assert 0 < page.experiment.steps < 20000
    # Space goes on training; Ctrl+R mid-run: fresh models, no late step of the old run drawn
    page.setFocus()
    with qtbot.waitSignal(page.runner.progress, timeout=20_000):
        QTest.keyClick(page, Qt.Key_Space)
    QTest.keyClick(page, Qt.Key_R, Qt.ControlModifier)
    assert not page.runner.running
    qtbot.wait(300)
    assert page.experiment.steps == 0 and page.clip_plot.norms("gru") == ([], [], [])
    np.testing.assert_allclose(page.curves.shown("gru"), expected_norms(page)["gru"], rtol=1e-6)
    # the Stop button ends a run
    with qtbot.waitSignal(page.runner.progress, timeout=20_000):
        QTest.keyClick(page, Qt.Key_Space)
    with qtbot.waitSignal(page.runner.finished, timeout=10_000):
        click(page.controls_panel.stop)
    assert not page.runner.running and page.controls_panel.start.isEnabled()


def test_it_fits_1060x600_and_every_control_has_a_tooltip(page):
    hint = page.minimumSizeHint()
    assert hint.width() <= 1060 and hint.height() <= 600, hint
    # the window's scroll area gives a page its height for its width: that must fit too
    assert not page.hasHeightForWidth() or page.heightForWidth(1060) <= 600
    inside = QRect(0, 0, page.width(), page.height())
    c = page.controls_panel
    for widget in [*c.bind.widgets().values(), c.slider, c.start, c.stop, c.reset_button,
                   page.curves, page.clip_plot, page.unrolled, page.readout]:
        assert widget.toolTip(), widget
        assert widget.isVisible(), widget
        top_left = widget.mapTo(page, QPoint(0, 0))
        assert inside.contains(QRect(top_left, widget.size())), widget
    assert isinstance(page.explanation, str) and "clip" in page.explanation
    assert page.page_id == "bptt" and page.title == "Gradients through time"
    assert all(isinstance(w, QWidget) for w in page.controls().values())
