"""The LSTM & GRU gates page through real keys and clicks: what it shows equals engine.rnn's
traces of the page's own model, and engine.gate_equations' numbers for the followed unit."""
import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine.gate_equations import unit_equations
from engine.rnn import gru_trace, lstm_trace, rnn_trace
from engine.rnn_models import sentiment_unit
from gui.bind import StateError
from gui.pages.gates import MAX_TOKENS, GatesPage
from gui.pages.gates.equations import equation_lines
from gui.pages.gates.heatmaps import BLANK
from gui.state import AppState


@pytest.fixture
def page(shown):
    return shown(GatesPage(app_state=AppState()), 1060, 600)


def page_trace(page, fn, **kwargs):
    model = page.model().model
    return fn(model.rnn, model.embed(page.view.ids), **kwargs)


def type_sentence(page, text):
    page.sentence_edit.selectAll()
    QTest.keyClicks(page.sentence_edit, text)
    QTest.keyClick(page.sentence_edit, Qt.Key_Return)


def cell_point(page, item, unit, token):
    """Where the centre of cell (unit, token) of a heatmap is in the grid's viewport."""
    scene = item.vb.mapViewToScene(QPointF(token + 0.5, unit + 0.5))
    return page.heatmaps.mapFromScene(scene)


def open_tab(page, index):
    bar = page.side.tabBar()
    QTest.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(index).center())
    assert page.side.currentIndex() == index


def shown_color(page, item, unit, token):
    return page.heatmaps.grab().toImage().pixelColor(cell_point(page, item, unit, token))


def test_typing_updates_tokens_heatmaps_and_prediction(page):
    type_sentence(page, "The film was NEVER boring!")
    assert page.view.tokens == ["the", "film", "was", "never", "boring", "!"]
    assert list(page.heatmaps.maps) == ["f", "i", "o", "g", "c", "h"]
    tr = page_trace(page, lstm_trace)
    for name, item in page.heatmaps.maps.items():
        np.testing.assert_allclose(item.values, getattr(tr, name)[0, 0].T, atol=1e-6)
        assert item.tokens == page.view.shown
    model = page.model().model
    with torch.no_grad():
        p = torch.softmax(model(torch.tensor([page.view.ids])), -1)[0, 1].item()
    QTest.keyClick(page.player_bar, Qt.Key_End)
    ys = page.prediction_plot.shown_probabilities()
    assert len(ys) == 6 and abs(ys[-1] - p) < 1e-5
    assert page.current_probability() == pytest.approx(p, abs=1e-5)


def test_stepping_fills_the_maps_column_by_column(page):
    page.set_sentence("the food was good, not bad at all")
    page.player.go_to(2)
    item = page.heatmaps.maps["f"]
    assert item.filled == 3
    for unit in (1, 7):                   # columns 3.. are blank on screen, 0..2 are coloured
        blank = [shown_color(page, item, unit, t) == BLANK for t in range(8)]
        assert blank == [False] * 3 + [True] * 5
    assert page.equations.header.text() == "token 3 'was', unit 0"
    eq = unit_equations(page.model().model.rnn, page.view.trace, 2, 0)
    assert page.equations.shown_text().split("\n") == equation_lines(eq)
    assert f"{page.view.trace.c[0, 0, 2, 0]:+.3f}" in page.equations.shown_text()
    assert len(page.prediction_plot.shown_probabilities()) == 3
    page.player_bar.setFocus()
    QTest.keyClick(page.player_bar, Qt.Key_Right)
    assert item.filled == 4 and "'good'" in page.equations.header.text()
    assert shown_color(page, item, 1, 3) != BLANK and shown_color(page, item, 1, 4) == BLANK
    page.player.go_to(0)                  # stepping back blanks the columns again
    assert [shown_color(page, item, 1, t) == BLANK for t in range(3)] == [False, True, True]


def test_clicking_a_token_goes_to_its_step(page):
    page.set_sentence("the film was never boring")
    strip = page.token_strip
    x = next(x for x in range(strip.width()) if strip.index_at(QPointF(x, strip.height() / 2)) == 3)
    QTest.mouseClick(strip, Qt.LeftButton, pos=QPointF(x + 2, strip.height() / 2).toPoint())
    assert page.player.index == 3


def test_unknown_word_is_shown_as_unk(page):
    type_sentence(page, "the zorblax was good")
    assert page.view.unknown == [False, True, False, False]
    assert page.view.shown[1] == "<unk>"
    assert page.token_strip.words == ["the", "<unk>", "was", "good"]
    assert page.token_strip.chips[1].foreground != page.token_strip.chips[0].foreground
    assert "zorblax" in page.token_strip.chips[1].tooltip
    assert "zorblax" in page.notice_label.text()
    assert page.heatmaps.maps["h"].tokens[1] == "<unk>"


def test_empty_sentence_keeps_the_previous_state_with_a_message(page, qtbot):
    type_sentence(page, "the film was never boring")
    before = page.view
    with qtbot.waitSignal(page.message, timeout=1000) as blocker:
        type_sentence(page, "   @@ ")
    assert blocker.args[1] == "warning" and "previous" in blocker.args[0]
    assert page.view is before and page.state()["sentence"] == "the film was never boring"
    assert "at least one word" in page.notice_label.text()
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, before.trace.c[0, 0].T)
    with qtbot.waitSignal(page.message, timeout=1000) as blocker:   # fixed: the notice goes
        type_sentence(page, "the food was good")
    assert blocker.args[1] == "clear" and page.notice_label.text() == ""


def test_long_text_is_cut_with_a_notice(page):
    page.set_sentence(" ".join(["the food was good"] * 20))
    assert len(page.view.ids) == MAX_TOKENS
    assert page.heatmaps.maps["h"].values.shape[1] == MAX_TOKENS
    assert f"first {MAX_TOKENS} of 80" in page.notice_label.text()


def test_switching_cell_with_a_click_keeps_the_sentence(page):
    page.set_sentence("although the service was slow, the food was great")
    button = page.sentence_row.cell_buttons["gru"]
    QTest.mouseClick(button, Qt.LeftButton, pos=button.rect().center())
    assert page.settings.cell == "gru"
    assert list(page.heatmaps.maps) == ["r", "z", "n", "h"]
    assert page.view.tokens[0] == "although"
    tr = page_trace(page, gru_trace)
    for name in "rznh":
        np.testing.assert_allclose(page.heatmaps.maps[name].values, getattr(tr, name)[0, 0].T,
                                   atol=1e-6)
    assert not page.clamp_box.isEnabled()
    assert "h = (1−z)·n + z·h₋₁" in page.equations.shown_text()
    page.set_cell("rnn")
    tr = page_trace(page, rnn_trace)
    np.testing.assert_allclose(page.heatmaps.maps["h"].values, tr.h[0, 0].T, atol=1e-6)
    np.testing.assert_allclose(page.heatmaps.maps["pre_x"].values, tr.pre_x[0, 0].T, atol=1e-6)
    page.set_cell("lstm")
    assert page.clamp_box.isEnabled() and "f" in page.heatmaps.maps


def test_clamping_a_gate_changes_the_cell_state(page):
    page.set_sentence("the food was bad, not good at all")
    original_c = page.heatmaps.maps["c"].values.copy()
    page.player.go_to(3)
    open_tab(page, 1)
    page.clamp_box.choice.setCurrentIndex(2)            # input gate i = 0
    QTest.mouseClick(page.clamp_box.clamp_button, Qt.LeftButton)
    tr = page_trace(page, lstm_trace, clamp={"i": 0.0}, clamp_from=3)
    c = page.heatmaps.maps["c"].values
    np.testing.assert_allclose(c, tr.c[0, 0].T, atol=1e-6)
    np.testing.assert_allclose(c[:, :3], original_c[:, :3], atol=1e-6)
    assert np.abs(c[:, 3:] - original_c[:, 3:]).max() > 1e-3
    assert (page.heatmaps.maps["i"].values[:, 3:] == 0).all()
    assert "(clamped)" in page.equations.shown_text()
    page.player.last()
    assert len(page.prediction_plot.original.getData()[1]) == len(page.view.ids)
    assert "Clamped" in page.clamp_box.summary.text()
    page.clamp_box.choice.setCurrentIndex(0)            # f = 1: c_t = c_(t-1) + i g
    tr = page_trace(page, lstm_trace, clamp={"f": 1.0}, clamp_from=3)
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, tr.c[0, 0].T, atol=1e-6)
    QTest.mouseClick(page.clamp_box.release_button, Qt.LeftButton)
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, original_c, atol=1e-6)
    assert len(page.prediction_plot.original.getData()[1] or []) == 0


def test_clicking_a_heatmap_row_follows_that_unit(page):
    page.set_sentence("this camera is no longer slow")
    item = page.heatmaps.maps["h"]
    QTest.mouseClick(page.heatmaps.viewport(), Qt.LeftButton, pos=cell_point(page, item, 5, 1))
    assert page.unit_spin.value() == 5 and page.settings.unit == 5
    tr = page.view.trace
    np.testing.assert_allclose(page.unit_plot.curves["c"].getData()[1], tr.c[0, 0, :, 5], atol=1e-6)
    assert item.unit == 5 and "unit 5" in page.equations.header.text()
    QTest.keyClick(page.fire_combo, Qt.Key_Up)     # f i o g c h: from h up to c
    assert page.settings.fire == "c"
    values = page.view.trace.c[0, 0, :, 5]
    strongest = int(np.argmax(np.abs(values)))
    assert page.fire_strip.words == page.view.tokens
    assert f"{values[strongest]:+.3f}" in page.fire_strip.chips[strongest].tooltip
    QTest.mouseClick(page.sentiment_unit_button, Qt.LeftButton)
    assert page.settings.unit == sentiment_unit(page.model().model)


def test_sentiment_unit_is_the_largest_output_weight_difference(page):
    model = page.model().model
    w = model.head.weight.detach().numpy()[:, :model.rnn.hidden_size]
    assert sentiment_unit(model) == int(np.argmax(np.abs(w[1] - w[0])))


def test_clamp_only_the_followed_unit_follows_it(page):
    page.set_sentence("the food was great but the service was slow")
    page.set_unit(3)
    page.player.go_to(2)
    open_tab(page, 1)
    page.clamp_box.choice.setCurrentIndex(1)           # forget gate f = 0
    QTest.mouseClick(page.clamp_box.unit_only, Qt.LeftButton)
    QTest.mouseClick(page.clamp_box.clamp_button, Qt.LeftButton)
    f = page.heatmaps.maps["f"].values
    assert (f[3, 2:] == 0).all() and (np.delete(f, 3, axis=0)[:, 2:] > 0).all()
    tr = page_trace(page, lstm_trace, clamp={"f": 0.0}, clamp_from=2, clamp_units=[3])
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, tr.c[0, 0].T, atol=1e-6)
    page.set_unit(7)
    assert (page.heatmaps.maps["f"].values[7, 2:] == 0).all()
    assert (page.heatmaps.maps["f"].values[3, 2:] > 0).all()


def test_state_round_trip_and_bad_states(page, shown):
    page.set_cell("gru")
    page.set_sentence("the film was never boring")
    page.set_unit(4)
    state = page.state()
    again = shown(GatesPage(app_state=AppState()), 1060, 600)
    again.apply_state(state)
    assert again.state() == state and again.view.tokens[1] == "film"
    assert list(again.heatmaps.maps) == ["r", "z", "n", "h"] and again.heatmaps.maps["h"].unit == 4
    for bad in ({"cell": "transformer"}, {"unit": -3}, {"clamp_from": "soon"}, {"colour": 1}):
        with pytest.raises(StateError):
            again.apply_state(bad)
        assert again.state() == state
    again.reset()
    assert again.settings.cell == "lstm" and again.view.tokens[0] == "the"


def test_retrain_replaces_the_model_in_the_background(page, qtbot):
    page.set_sentence("the film was never boring")
    shipped = page.model().model
    with qtbot.waitSignal(page.runner.finished, timeout=60000):
        page.retrain(epochs=1, n_train=128, max_steps=2)
    qtbot.waitUntil(lambda: not page.runner.running, timeout=5000)
    model = page.model().model
    assert model is not shipped and not model.training
    tr = page_trace(page, lstm_trace)
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, tr.c[0, 0].T, atol=1e-6)
    assert page.train_box.retrain_button.isEnabled()
    page.shutdown()


@pytest.mark.parametrize("unit", [0, 17])
def test_unit_curves_are_named_in_their_colours(page, unit):
    from gui.pages.gates.curves import CURVE_COLORS
    page.set_unit(unit)
    title = page.unit_plot.getPlotItem().titleLabel.text
    assert title.startswith(f"unit {unit}:")
    for name, curve in page.unit_plot.curves.items():
        assert np.allclose(curve.getData()[1], page.view.active.gate(name)[0, 0, :, unit])
        assert f"color:{CURVE_COLORS[name]}'>&#9644; {name}<" in title
        assert curve.opts["pen"].color().name() == CURVE_COLORS[name]
