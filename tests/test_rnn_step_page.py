"""The RNN step-through page: the equation's numbers are torch's, shapes are torch's, demos run,
every tab fits a 1280x720 window. (The engine side: tests/test_rnn_step_engine.py.)"""
import re

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea
from torch import nn

from engine.rnn_step import equation_terms, parse_samples, seeded_step_model
from gui import style
from gui.state import AppState
from gui.pages.rnn_step import RnnStepPage, ShapesPanel, StepSettings
from gui.pages.rnn_step.equation_view import equation_html
from gui.pages.rnn_step.row_reader_panel import RowReaderPanel
from gui.pages.rnn_step.signal_demo_panel import SignalDemoPanel


@pytest.fixture
def page(qtbot):
    p = RnnStepPage()
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def test_equation_text_shows_the_terms_torch_computes():
    m = seeded_step_model("words", "the film was not good", hidden=5, features=3, seed=7)
    with torch.no_grad():
        out, _ = m.rnn(torch.from_numpy(m.x)[None])  # (1, T, 5)
    t, j = 3, 2
    p = equation_terms(m, t, j)
    assert p.h == pytest.approx(float(out[0, t, j]), abs=1e-5)
    text = equation_html(p, t, j)
    assert f"{p.h:.2f}" in text and "h₄[2]" in text and "tanh" in text
    assert f"{p.wx:.2f}".lstrip("-") in text and f"{p.wh:.2f}".lstrip("-") in text
    # numbers sized by the presenter roles, never under 14 px
    sizes = [int(v) for v in re.findall(r"font-size:(\d+)px", text)]
    assert sizes == [style.px("equation"), style.px("small")] and min(sizes) >= 14


def test_page_shows_the_chosen_unit_at_the_chosen_step(page):
    panel = page.step_panel
    panel.text_edit.setText("a b c d e")
    panel.source_combo.setCurrentIndex(1)  # characters
    panel.text_edit.setText("abcab")
    panel.apply_button.click()
    assert panel.player.count == 5 and panel.unrolled.step_count() == 5
    panel.unit_spin.setValue(1)
    panel.player.go_to(3)
    m = panel.model
    with torch.no_grad():
        out, _ = m.rnn(torch.from_numpy(m.x)[None])
    np.testing.assert_allclose(panel.h_strip.values()[0], out[0, 3].numpy(), atol=1e-5)
    np.testing.assert_allclose(panel.h_prev_strip.values()[0], out[0, 2].numpy(), atol=1e-5)
    assert f"{float(out[0, 3, 1]):+.2f}" in panel.unrolled.cell_text(3)
    assert panel.unrolled.cell_text(4) == ""  # not computed yet
    assert "h₄[1]" in panel.equation.text()
    assert panel.tokens.current() == 3 if callable(getattr(panel.tokens, "current", None)) else True
    # clicking a hidden unit selects its equation
    panel.h_strip.cellClicked.emit(0, 0)
    assert panel.unit_spin.value() == 0 and "h₄[0]" in panel.equation.text()
    # the equation on screen is the engine's terms for that unit and step
    assert equation_html(equation_terms(m, 3, 0), 3, 0) == panel.equation.text()


def test_signal_samples_and_bad_input_keep_the_previous_state(page):
    panel = page.step_panel
    panel.source_combo.setCurrentIndex(2)  # signal samples
    assert panel.model.x.shape[1] == 1 and not panel.features_spin.isEnabled()
    before = panel.model
    panel.text_edit.setText("0.5, oops, 1")
    panel.apply_button.click()
    assert panel.model is before and "'oops' is not a number" in panel.inline_error.text()
    panel.source_combo.setCurrentIndex(0)
    panel.text_edit.setText("  ,  ")  # only punctuation: tokens
    panel.text_edit.setText("   ")
    panel.apply_button.click()
    assert "at least one word" in panel.inline_error.text()
    assert parse_samples("1; -2.5 3e-1") == [1.0, -2.5, 0.3]


def test_long_input_is_truncated_with_a_notice(page, qtbot):
    panel = page.step_panel
    messages = []
    page.message.connect(lambda text, level: messages.append((text, level)))
    panel.text_edit.setText(" ".join(["word"] * 60))
    panel.apply_button.click()
    assert panel.player.count == 40 and "first 40" in panel.inline_error.text()
    assert any(level == "warning" for _t, level in messages)


def _torch_shapes(cell, input_size, hidden, layers, bidirectional, batch, seq_len, batch_first):
    module = getattr(nn, cell)(input_size, hidden, num_layers=layers, bidirectional=bidirectional,
                               batch_first=batch_first)
    x = torch.zeros((batch, seq_len, input_size) if batch_first else (seq_len, batch, input_size))
    out, state = module(x)
    shapes = {"input": tuple(x.shape), "output": tuple(out.shape)}
    if cell == "LSTM":
        shapes["h_n"], shapes["c_n"] = tuple(state[0].shape), tuple(state[1].shape)
    else:
        shapes["h_n"] = tuple(state.shape)
    return shapes


@pytest.mark.parametrize("cell, bidirectional, batch_first", [
    ("LSTM", True, False), ("GRU", False, True), ("RNN", True, True)])
def test_shapes_panel_reports_what_torch_returns(qtbot, cell, bidirectional, batch_first):
    panel = ShapesPanel()
    qtbot.addWidget(panel)
    panel.cell_combo.setCurrentText(cell)
    panel.input_spin.setValue(5)
    panel.hidden_spin.setValue(7)
    panel.layers_spin.setValue(3)
    panel.batch_spin.setValue(2)
    panel.seq_spin.setValue(11)
    panel.bidirectional_check.setChecked(bidirectional)
    panel.batch_first_check.setChecked(batch_first)
    expected = _torch_shapes(cell, 5, 7, 3, bidirectional, 2, 11, batch_first)
    shown = panel.shapes_label.text()
    for name, shape in expected.items():
        assert re.search(rf"<b>{name}</b></td><td[^>]*>{re.escape(str(shape))}<", shown), (name, shape)
    assert ("c_n" in shown) == (cell == "LSTM")
    code = panel.code.code()
    assert f"nn.{cell}(input_size=5, hidden_size=7, num_layers=3" in code
    assert str(expected["output"]) in code and str(expected["h_n"]) in code
    # the parameter list (from a module on torch's "meta" device) matches a real module's
    real = getattr(torch.nn, cell)(5, 7, num_layers=3, bidirectional=bidirectional)
    params = panel.params_label.text()
    assert f"Parameters ({sum(q.numel() for q in real.parameters()):,} in all)" in params
    assert f"weight_ih_l0</td><td style='font-family:monospace'>{tuple(real.weight_ih_l0.shape)}" \
        in params


def test_row_reader_steps_through_28_rows(qtbot):
    from engine.row_reader import load_row_model, read_rows

    messages = []

    class FakePage:
        app_state = AppState()

        def notify(self, text, level="info"):
            messages.append((text, level))

    panel = RowReaderPanel(FakePage())
    qtbot.addWidget(panel)
    assert panel.read_sample(7)
    assert panel.player.count == 28
    panel.player.go_to(27)
    model, _ = load_row_model()
    reading = read_rows(model, panel.samples[7])
    np.testing.assert_allclose(panel.bar_item.opts["height"], reading.probs[27], atol=1e-6)
    assert f"<b>{reading.prediction}</b>" in panel.verdict.text()
    # nothing drawn yet: a message, the sample stays
    assert not panel.read_drawn_digit()
    assert messages and messages[-1][1] == "warning" and panel.reading is not None
    assert not panel.read_image(np.zeros((8, 8)), "an 8x8 image")
    assert "28x28" in messages[-1][0]


def test_row_reader_takes_the_drawn_digit_from_the_window(qtbot):
    from gui.app import MainWindow
    w = MainWindow(start_page="rnn_step")
    qtbot.addWidget(w)
    page = w.page("rnn_step")
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 13:16] = 1.0  # a "1"
    w.app_state.set_drawn_digit(digit)   # what the Draw a digit page does at every stroke
    page.uses_panel.select("many_to_one")
    QTest.mouseClick(page.uses_panel.digit_button, Qt.LeftButton)
    assert page.tabs.currentWidget() is page.row_panel
    np.testing.assert_array_equal(page.row_panel.reading.image, digit)
    from gui.pages.base import Page
    # read from the shared state: the Draw page was not built for this
    assert "draw_digit" not in [p.page_id for p in w.findChildren(Page)]
    w.app_state.set_drawn_digit(None)
    assert not page.row_panel.read_drawn_digit()
    assert "Nothing is drawn" in page.row_panel.status.text()
    page.shutdown()


def test_char_generation_shows_top5_under_each_character(page, tmp_path, qtbot):
    panel = page.uses_panel.char_panel
    panel.length_spin.setValue(30)
    panel.temperature_slider.setValue(0)  # greedy: each character is its first guess
    assert panel.generate()
    g = panel.result
    assert panel.output.toPlainText() == g.text and panel.guesses.columnCount() == 30
    for col in range(30):
        assert panel.guesses.item(0, col).text() in (g.generated[col], "␣", "⏎")
        first = panel.guesses.item(1, col).text()
        assert first.endswith(f"{g.top[col][0][1]:.2f}")
    # a binary file: a clear message, the model is kept
    bad = tmp_path / "x.bin"
    bad.write_bytes(bytes(range(256)) * 4)
    messages = []
    page.message.connect(lambda text, level: messages.append((text, level)))
    old = panel.model
    assert not panel.train_on_file(bad)
    assert panel.model is old and messages[-1][1] == "error" and "binary" in messages[-1][0]
    # a real text file trains a fresh model in the worker
    good = tmp_path / "poem.txt"
    poem = "row row row your boat gently down the stream. " * 20
    good.write_text(poem, encoding="utf-8")
    with qtbot.waitSignal(panel.runner.finished, timeout=60000):
        assert panel.train_on_file(good, max_steps=3)
    assert panel.model is not old and set(panel.vocab.chars[1:]) == set(poem)
    assert "poem.txt" in panel.model_label.text()


def test_signal_demo_trains_and_draws_prediction_vs_truth(qtbot):
    class FakePage:
        def notify(self, text, level="info"):
            pass

    panel = SignalDemoPanel(FakePage(), ("forecast", "tag"))
    qtbot.addWidget(panel)
    panel.steps_spin.setValue(20)
    panel.hidden_spin.setValue(4)
    with qtbot.waitSignal(panel.runner.finished, timeout=60000):
        assert panel.train()
    snap = panel.last_snapshot
    assert snap is not None
    x, y = panel.pred_curve.getData()
    assert len(y) == len(panel.task.signal) - 1
    np.testing.assert_allclose(y, snap["pred"])
    # the curve is the trained model's own output over the signal
    with torch.no_grad():
        out = panel.model(torch.from_numpy(panel.task.signal[:-1])[None, :, None])[0, :, 0]
    np.testing.assert_allclose(y, out.numpy(), atol=1e-5)
    assert "mean squared error" in panel.score_label.text()
    def named() -> list[str]:
        return [label.text for _sample, label in panel.legend.items if label.isVisible()]

    panel.show()
    assert named() == ["truth", "prediction"]
    panel.task_combo.setCurrentIndex(1)  # tagging: the tags are dots, there is no curve to name
    assert panel.task.task == "tag" and panel.pred_curve.getData()[0] is None or \
        len(panel.pred_curve.getData()[0]) == 0
    assert named() == ["truth"]
    panel.task_combo.setCurrentIndex(0)
    assert named() == ["truth", "prediction"]


def test_uses_panel_selects_shapes_and_opens_the_gates_page(qtbot):
    from gui.app import MainWindow
    w = MainWindow(start_page="rnn_step")
    qtbot.addWidget(w)
    page = w.page("rnn_step")
    uses = page.uses_panel
    for k, shape in enumerate(("one_to_one", "one_to_many", "many_to_one", "many_to_many")):
        uses.buttons.button(k).click()
        assert uses.current() == shape
    uses.select("many_to_one")
    uses.gates_button.click()
    assert w.current_page() is w.page("gates")
    w.close()


def test_trained_weights_use_the_shipped_sentiment_rnn(page):
    from engine.models import MODELS_DIR
    assert (MODELS_DIR / "sentiment_rnn.pt").is_file(), "a shipped model is missing"
    from engine.rnn_models import model_vocab
    from engine.text import tokenize
    from engine.models import load_pretrained
    panel = page.step_panel
    panel.text_edit.setText("the film was not good , zorg")
    panel.weights_combo.setCurrentIndex(panel.weights_combo.findData("trained"))
    model = load_pretrained("sentiment_rnn")
    ids = model_vocab(model.meta).encode(tokenize("the film was not good , zorg"))
    assert panel.model.tokens[-1] == "zorg→<unk>" and panel.hidden_spin.value() == 48
    with torch.no_grad():
        out, _ = model.rnn(model.embedding(torch.tensor([ids])))
        logits = model(torch.tensor([ids[:5]]))
    panel.unit_spin.setValue(7)
    panel.player.go_to(4)
    p = equation_terms(panel.model, 4, 7)
    assert p.h == pytest.approx(float(out[0, 4, 7]), abs=1e-5)
    # the verdict after "good" is the model's own prediction for "the film was not good"
    p_pos = float(torch.softmax(logits, 1)[0, 1])
    assert f"{p_pos:.0%}" in panel.sentiment_label.text()
    panel.weights_combo.setCurrentIndex(panel.weights_combo.findData("random"))
    assert panel.hidden_spin.value() == 4 and panel.model.rnn.hidden_size == 4


def test_memory_race_tab_trains_three_cells_and_plots_their_scores(page, qtbot, shown):
    from engine.signals import ADDING_BASELINE_MSE, adding_task
    shown(page, 1060, 600)
    page.tabs.setCurrentWidget(page.memory_panel)
    panel = page.memory_panel
    assert page.tabs.tabText(page.tabs.indexOf(panel)).startswith("Long memory")
    panel.length_spin.setValue(8)
    # the example: the two marked numbers of a length-8 sequence and their sum in the title
    x, y = adding_task(1, 8, seed=7)
    marked = x[0, x[0, :, 1] > 0, 0]
    assert np.allclose(panel.example_marked_values(), marked)
    assert f"= {float(y[0, 0]):.2f}" in panel.example_plot.getPlotItem().titleLabel.text
    panel.hidden_spin.setValue(8)
    panel.steps_spin.setValue(60)
    # clipping: on at the engine's default, shown; a click turns it off for this race
    assert panel.clip_check.isChecked() and panel.clip_spin.value() == pytest.approx(1.0)
    _click_box(panel.clip_check)
    assert panel.clip_grad_norm is None and not panel.clip_spin.isEnabled()
    with qtbot.waitSignal(panel.runner.finished, timeout=60000) as blocker:
        assert panel.train()
        assert not panel.train_button.isEnabled() and not panel.length_spin.isEnabled()
        assert not panel.clip_check.isEnabled() and panel.race.clip_grad_norm is None
        assert "not clipped" in panel.status_label.text() or panel.scores["rnn"]
    assert blocker.args[0].status == "finished"
    for cell in ("rnn", "lstm", "gru"):
        steps, mse = panel.curves[cell].getData()
        assert list(steps) == [s for s, _ in panel.scores[cell]] and steps[-1] == 60
        assert np.allclose(10 ** mse, [v for _, v in panel.scores[cell]])   # drawn on a log axis
    assert "Validation MSE: plain RNN" in panel.status_label.text()
    assert panel.train_button.isEnabled()
    assert panel.baseline.value() == pytest.approx(np.log10(ADDING_BASELINE_MSE))  # log axis


def test_memory_race_stops_when_the_page_shuts_down(page, qtbot):
    panel = page.memory_panel
    panel.steps_spin.setValue(5000)
    panel.length_spin.setValue(100)
    assert panel.train()
    qtbot.waitUntil(lambda: bool(panel.scores["rnn"]), timeout=30000)
    page.shutdown()                          # as closing the window does
    assert not panel.runner.running


def test_clipping_threshold_is_typed_and_reaches_the_race(page, qtbot, shown):
    shown(page, 1060, 600)
    page.tabs.setCurrentWidget(page.memory_panel)
    panel = page.memory_panel
    panel.steps_spin.setValue(50)
    panel.length_spin.setValue(4)
    _click_box(panel.clip_check)      # off
    _click_box(panel.clip_check)      # on again
    assert panel.clip_spin.isEnabled()
    panel.clip_spin.selectAll()
    QTest.keyClicks(panel.clip_spin, "0.25")
    QTest.keyClick(panel.clip_spin, Qt.Key_Return)
    assert panel.clip_spin.text().endswith("0.25") and panel.clip_grad_norm == pytest.approx(0.25)
    with qtbot.waitSignal(panel.runner.finished, timeout=60000):
        assert panel.train()
        assert panel.race.clip_grad_norm == pytest.approx(0.25)
        assert panel.race.config().clip_grad_norm == pytest.approx(0.25)
    assert panel.clip_spin.isEnabled() and panel.clip_check.isEnabled()


def test_fading_gradient_text_links_to_the_bptt_page(qtbot):
    from gui.app import MainWindow
    from gui.pages import PAGES
    w = MainWindow(start_page="rnn_step")
    qtbot.addWidget(w)
    page = w.show_page("rnn_step")
    page.tabs.setCurrentWidget(page.memory_panel)
    intro = page.memory_panel.intro
    assert "fades" in intro.text() and 'href="page:bptt"' in intro.text()
    QTest.keyClick(intro, Qt.Key_Tab)        # to the link
    QTest.keyClick(intro, Qt.Key_Return)     # follow it
    if any(p[0] == "bptt" for p in PAGES):
        assert w.current_page() is w.page("bptt")
    else:
        assert "not open" in w.status_label.text()
    page.shutdown()
    # outside the main window: a warning, nothing raised
    alone = RnnStepPage()
    qtbot.addWidget(alone)
    messages = []
    alone.message.connect(lambda text, level: messages.append(level))
    assert not alone.memory_panel.open_link("page:bptt") and messages == ["warning"]
    alone.shutdown()


def _click_box(check):
    """A real click on a check box's indicator (its left end)."""
    QTest.mouseClick(check, Qt.LeftButton, pos=QPoint(8, check.height() // 2))


def _scroll_area(widget):
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    return area


@pytest.mark.parametrize("size", [(1280, 720), (1600, 900)])
def test_every_tab_fits_the_window_without_scrolling(qtbot, size, qtlog):
    from gui.app import MainWindow
    w = MainWindow(start_page="rnn_step")
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    page = w.show_page("rnn_step")
    area = _scroll_area(page)
    for k in range(page.tabs.count()):
        QTest.mouseClick(page.tabs.tabBar(), Qt.LeftButton,
                         pos=page.tabs.tabBar().tabRect(k).center())
        QApplication.processEvents()
        assert page.tabs.currentIndex() == k
        assert not area.verticalScrollBar().isVisible(), page.tabs.tabText(k)
        assert not area.horizontalScrollBar().isVisible(), page.tabs.tabText(k)
        tab = page.tabs.widget(k)
        assert tab.width() >= tab.minimumSizeHint().width()
        assert tab.height() >= tab.minimumSizeHint().height()
    page.shutdown()
    # no font of the page was given a size from a pixel-sized font's pointSizeF() (-1)
    assert not [r.message for r in qtlog.records if "Point size <= 0" in r.message]


def test_a_lesson_state_sets_tab_sentence_unit_and_step_and_a_bad_one_changes_nothing(qtbot):
    from gui.bind import StateError
    from gui.pages.rnn_step import RnnStepPage
    page = RnnStepPage()
    qtbot.addWidget(page)
    page.apply_state({"page": {"tab": "step"},
                      "step": {"text": "a b c d", "hidden": 5, "unit": 3, "seed": 7, "step": 2}})
    panel = page.step_panel
    assert panel.model.tokens == ["a", "b", "c", "d"] and panel.model.rnn.hidden_size == 5
    assert panel.player.index == 2 and panel.unit_spin.value() == 3
    assert panel.equation.text() == equation_html(equation_terms(panel.model, 2, 3), 2, 3)
    state = page.state()
    assert state["step"]["seed"] == 7 and state["step"]["step"] == 2
    for bad, field in (({"step": {"hidden": 999}}, "hidden"),
                       ({"step": {"source": "pixels"}}, "source"),
                       ({"step": {"text": ""}}, "text"),
                       ({"page": {"tab": "attention"}}, "tab")):
        with pytest.raises(StateError) as err:
            page.apply_state(bad)
        assert field in str(err.value)
        assert page.state() == state                  # nothing changed
    page.reset()
    assert page.step_panel.settings == StepSettings() and page.state()["step"]["step"] == 0
