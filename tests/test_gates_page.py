"""The LSTM & GRU gates page: what it shows equals engine.rnn's traces of the page's own model."""
import numpy as np
import pytest

from engine.rnn import gru_trace, lstm_trace, rnn_trace


@pytest.fixture
def page(qtbot):
    from gui.app import app_settings
    from gui.pages.gates import GatesPage
    app_settings().remove("gates")  # every test starts from the defaults (LSTM, first example)
    p = GatesPage()
    qtbot.addWidget(p)
    p.resize(1400, 900)
    return p


def page_trace(page, fn, **kwargs):
    model = page.model()[0]
    return fn(model.rnn, model.embed(page.view.ids), **kwargs)


def shown_rgb(page, item, unit, token):
    """The colour the heatmap grid shows at the centre of cell (unit, token) of `item`."""
    from PySide6.QtCore import QPointF
    image = page.heatmaps.grab().toImage()
    point = page.heatmaps.mapFromScene(item.vb.mapViewToScene(QPointF(token + 0.5, unit + 0.5)))
    color = image.pixelColor(point)
    return color.red(), color.green(), color.blue()


def type_sentence(qtbot, page, text):
    page.sentence_edit.clear()
    qtbot.keyClicks(page.sentence_edit, text)
    page.apply_sentence()  # what the debounce timer / Enter does


def test_typing_updates_tokens_and_heatmaps(qtbot, page):
    type_sentence(qtbot, page, "The film was NEVER boring!")
    assert page.view.tokens == ["the", "film", "was", "never", "boring", "!"]
    assert list(page.heatmaps.maps) == ["f", "i", "o", "g", "c", "h"]
    tr = page_trace(page, lstm_trace)
    for name, item in page.heatmaps.maps.items():
        np.testing.assert_allclose(item.values, getattr(tr, name)[0, 0].T, atol=1e-6)
        assert item.tokens == page.view.shown
    # The prediction curve ends at the model's own output for the whole sentence.
    model = page.model()[0]
    import torch
    with torch.no_grad():
        p = torch.softmax(model(torch.tensor([page.view.ids])), -1)[0, 1].item()
    page.player.last()
    xs, ys = page.prediction_curve.getData()
    assert len(ys) == 6 and abs(ys[-1] - p) < 1e-5


def test_stepping_fills_the_maps_column_by_column(qtbot, page):
    page.set_sentence("the food was good, not bad at all")
    page.player.go_to(2)
    item = page.heatmaps.maps["f"]
    assert item.filled == 3
    page.show()
    blank = (236, 236, 236)
    for unit in (1, 7):                   # columns 3.. are blank on screen, 0..2 are coloured
        assert [shown_rgb(page, item, unit, t) == blank for t in range(8)] == [False] * 3 + [True] * 5
        lut = item.lut[int(np.clip((item.values[unit, 1] - item.levels[0])
                                   / (item.levels[1] - item.levels[0]) * 255, 0, 255))]
        assert np.abs(np.subtract(shown_rgb(page, item, unit, 1), lut[:3])).max() <= 2
    assert page.values_header.text() == "token 2 'was', unit 0"
    tr = page.view.trace
    assert page.value_labels[0].text() == f"{tr.f[0, 0, 2, 0]:+.3f}"
    assert page.equation_label.text().endswith(f"{tr.c[0, 0, 2, 0]:+.3f}")
    assert len(page.prediction_curve.getData()[1]) == 3
    page.player.step_forward()
    assert item.filled == 4 and "'good'" in page.values_header.text()
    assert shown_rgb(page, item, 1, 3) != blank and shown_rgb(page, item, 1, 4) == blank
    page.player.go_to(0)                  # stepping back blanks the columns again
    assert [shown_rgb(page, item, 1, t) == blank for t in range(3)] == [False, True, True]


def test_unknown_word_is_shown_as_unk(qtbot, page):
    type_sentence(qtbot, page, "the zorblax was good")
    assert page.view.unknown == [False, True, False, False]
    assert page.view.shown[1] == "<unk>"
    assert page.token_strip.words == ["the", "<unk>", "was", "good"]
    assert page.token_strip.chips[1].foreground != page.token_strip.chips[0].foreground
    assert "zorblax" in page.token_strip.chips[1].tooltip
    assert "zorblax" in page.notice_label.text()
    assert page.heatmaps.maps["h"].tokens[1] == "<unk>"
    assert page.view.ids[1] == 1


def test_empty_sentence_keeps_previous_state_with_a_message(qtbot, page):
    page.set_sentence("the film was never boring")
    before = page.view
    with qtbot.waitSignal(page.message, timeout=1000) as blocker:
        page.set_sentence("   @@ ")
    assert blocker.args[1] == "warning" and "previous" in blocker.args[0]
    assert page.view is before
    assert "at least one word" in page.notice_label.text()
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, before.trace.c[0, 0].T)


def test_long_text_is_truncated_with_a_notice(qtbot, page):
    from gui.pages.gates import MAX_TOKENS
    page.set_sentence(" ".join(["the food was good"] * 20))
    assert len(page.view.ids) == MAX_TOKENS
    assert page.heatmaps.maps["h"].values.shape[1] == MAX_TOKENS
    assert f"first {MAX_TOKENS} of 80" in page.notice_label.text()


def test_switching_cell_keeps_the_sentence(qtbot, page):
    page.set_sentence("although the service was slow, the food was great")
    gru_button = next(b for b in page.cell_buttons.buttons() if b.property("cell") == "gru")
    gru_button.click()
    assert page.state.cell == "gru"
    assert list(page.heatmaps.maps) == ["r", "z", "n", "h"]
    assert page.view.tokens[0] == "although"
    tr = page_trace(page, gru_trace)
    for name in "rznh":
        np.testing.assert_allclose(page.heatmaps.maps[name].values, getattr(tr, name)[0, 0].T, atol=1e-6)
    assert not page.clamp_box.isEnabled()
    page.set_cell("rnn")
    tr = page_trace(page, rnn_trace)
    np.testing.assert_allclose(page.heatmaps.maps["h"].values, tr.h[0, 0].T, atol=1e-6)
    np.testing.assert_allclose(page.heatmaps.maps["pre_x"].values, tr.pre_x[0, 0].T, atol=1e-6)
    page.set_cell("lstm")
    assert page.clamp_box.isEnabled() and "f" in page.heatmaps.maps


def test_clamping_a_gate_changes_the_cell_state(qtbot, page):
    page.set_sentence("the food was bad, not good at all")
    original_c = page.heatmaps.maps["c"].values.copy()
    page.player.go_to(3)
    page.clamp_combo.setCurrentIndex(2)  # input gate i = 0
    page.clamp_button.click()
    tr = page_trace(page, lstm_trace, clamp={"i": 0.0}, clamp_from=3)
    c = page.heatmaps.maps["c"].values
    np.testing.assert_allclose(c, tr.c[0, 0].T, atol=1e-6)
    np.testing.assert_allclose(c[:, :3], original_c[:, :3], atol=1e-6)
    assert np.abs(c[:, 3:] - original_c[:, 3:]).max() > 1e-3
    assert (page.heatmaps.maps["i"].values[:, 3:] == 0).all()
    # Both curves: clamped prediction and the original (dashed).
    page.player.last()
    assert len(page.original_curve.getData()[1]) == len(page.view.ids)
    assert "Clamped" in page.clamp_label.text()
    # f = 1 with i = 0 is not one option; f = 1 alone keeps c from shrinking: c_t = c_{t-1} + i g.
    page.clamp_combo.setCurrentIndex(0)
    tr = page_trace(page, lstm_trace, clamp={"f": 1.0}, clamp_from=3)
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, tr.c[0, 0].T, atol=1e-6)
    page.release_button.click()
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, original_c, atol=1e-6)
    assert page.original_curve.getData()[1] is None or len(page.original_curve.getData()[1]) == 0


def test_selecting_a_unit_follows_it_along_the_sentence(qtbot, page):
    page.set_sentence("this camera is no longer slow")
    page.heatmaps.unitClicked.emit(5)  # what a click on row 5 of a heatmap sends
    assert page.unit_spin.value() == 5 and page.state.unit == 5
    tr = page.view.trace
    np.testing.assert_allclose(page.unit_curves["c"].getData()[1], tr.c[0, 0, :, 5], atol=1e-6)
    assert page.heatmaps.maps["h"].unit == 5
    assert "unit 5" in page.values_header.text()
    page.fire_combo.setCurrentText("c")
    assert page.state.fire == "c"
    values = page.view.trace.c[0, 0, :, 5]
    assert page.fire_strip.words == page.view.tokens
    strongest = int(np.argmax(np.abs(values)))
    assert f"{values[strongest]:+.3f}" in page.fire_strip.chips[strongest].tooltip
    page.select_sentiment_unit()
    w = page.model()[0].head.weight.detach().numpy()
    assert page.state.unit == int(np.argmax(np.abs(w[1] - w[0])))


def test_cell_and_sentence_are_remembered(qtbot, page):
    from gui.pages.gates import GatesPage
    page.set_cell("gru")
    page.set_sentence("the film was never boring")
    again = GatesPage()
    qtbot.addWidget(again)
    assert again.state.cell == "gru" and again.view.tokens[1] == "film"
    assert list(again.heatmaps.maps) == ["r", "z", "n", "h"]


def test_retrain_replaces_the_model_in_the_background(qtbot, page):
    page.set_sentence("the film was never boring")
    shipped = page.model()[0]
    with qtbot.waitSignal(page.runner.finished, timeout=60000):
        page.retrain(epochs=1, n_train=128, max_steps=2)
    qtbot.waitUntil(lambda: not page.runner.running, timeout=5000)
    model = page.model()[0]
    assert model is not shipped and not model.training
    # The page now shows the new model's own computation.
    tr = page_trace(page, lstm_trace)
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, tr.c[0, 0].T, atol=1e-6)
    assert page.retrain_button.isEnabled()
    page.shutdown()


def test_clamp_only_the_selected_unit(qtbot, page):
    page.set_sentence("the food was great but the service was slow")
    page.set_unit(3)
    page.player.go_to(2)
    page.clamp_combo.setCurrentIndex(1)  # forget gate f = 0
    page.clamp_unit_check.setChecked(True)
    page.clamp_button.click()
    f = page.heatmaps.maps["f"].values  # (units, tokens)
    assert (f[3, 2:] == 0).all() and (np.delete(f, 3, axis=0)[:, 2:] > 0).all()
    tr = page_trace(page, lstm_trace, clamp={"f": 0.0}, clamp_from=2, clamp_units=[3])
    np.testing.assert_allclose(page.heatmaps.maps["c"].values, tr.c[0, 0].T, atol=1e-6)
    page.set_unit(7)  # the clamp follows the selected unit
    assert (page.heatmaps.maps["f"].values[7, 2:] == 0).all()
    assert (page.heatmaps.maps["f"].values[3, 2:] > 0).all()


@pytest.mark.parametrize("unit", [0, 17])
def test_unit_legend_sits_above_every_curve(page, qtbot, unit):
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication
    page.show()
    qtbot.waitExposed(page)
    page.set_unit(unit)
    QApplication.processEvents()
    page.unit_plot.grab()                          # painted: the legend and ranges laid out
    plot = page.unit_plot.getPlotItem()
    legend_bottom = plot.legend.sceneBoundingRect().bottom()
    for name, curve in page.unit_curves.items():
        xs, ys = curve.getData()
        assert np.allclose(ys, page.view.active.gate(name)[0, 0, :, unit])    # the unit's values
        # the curve's highest point on screen (scene y grows downwards) is below the legend
        top = min(plot.vb.mapViewToScene(QPointF(float(x), float(y))).y() for x, y in zip(xs, ys))
        assert top > legend_bottom, name
