"""The whole network page, driven with real clicks, keys and strokes; every number checked
against engine.network / torch on the shipped digit model."""
import numpy as np
import pytest
import torch
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGroupBox

from engine.digits import model_input, preprocess_stages
from engine.models import layer_table, load_pretrained
from engine.network import explain_unit
from engine.softmax import softmax_with_temperature
from gui.pages.network import NetworkPage
from gui.state import AppState


@pytest.fixture
def page(shown):
    return shown(NetworkPage(AppState()), 1060, 600)


@pytest.fixture(scope="module")
def model():
    return load_pretrained("digits")


def click_cell(view, row, col, button=Qt.LeftButton):
    point = view.mapFromScene(view.plot.vb.mapViewToScene(QPointF(col + 0.5, row + 0.5)))
    QTest.mouseClick(view.viewport(), button, Qt.NoModifier, point)


def click_unit(page, layer, index):
    column = page.strip.column(layer)
    page.strip.ensureWidgetVisible(column)
    row, col = column.tiled.cell_of(index)
    click_cell(column.view, row, col)


def logits_of(model, x):
    with torch.no_grad():
        return model(torch.as_tensor(x)[None])[0].numpy()


def test_every_layer_left_to_right_with_shape_and_parameters(page, model):
    rows = layer_table(model, (1, 28, 28))
    assert list(page.strip.columns) == ["input", *(r.name for r in rows)]
    xs = [page.strip.column(r.name).mapTo(page.strip.inner, QPoint(0, 0)).x() for r in rows]
    assert xs == sorted(xs)
    for r in rows:
        column = page.strip.column(r.name)
        assert r.kind in column.title.text()
        assert "×".join(map(str, r.output_shape)) in column.caption.text()
        assert f"{r.params:,} parameters" in column.caption.text()
    x = page.images[0]
    np.testing.assert_allclose(page.trace.logits, logits_of(model, x), atol=1e-5)
    conv = page.strip.column("features.0")
    shown_maps = conv.view.values()
    out = page.trace.layer("features.0").output
    assert shown_maps[conv.tiled.cell_of((4, 10, 20))] == pytest.approx(out[4, 10, 20])
    np.testing.assert_allclose(page.strip.column("input").view.values(), x[0])
    probs = torch.softmax(torch.tensor(logits_of(model, x), dtype=torch.float64), 0).numpy()
    np.testing.assert_allclose(page.softmax.bars.probabilities(), probs, atol=1e-6)


@pytest.mark.parametrize("index", [(2, 0, 5), (5, 27, 27), (0, 13, 14)])
def test_clicking_a_conv_unit_shows_its_arithmetic(page, model, index):
    click_unit(page, "features.0", index)
    e = page.unit_panel.explanation
    ref = explain_unit(model, page.images[0], "features.0", index)
    assert (e.layer, e.index) == ("features.0", index)
    assert e.value == pytest.approx(ref.value) == pytest.approx(
        float(page.trace.layer("features.0").output[index]))
    assert f"{e.value:.4g}" in page.unit_panel.sum_text.text()
    assert "ReLU" in page.unit_panel.sum_text.text()
    np.testing.assert_array_equal(page.unit_panel.inputs.values(), ref.inputs[0])
    np.testing.assert_array_equal(page.unit_panel.weights.values(), ref.weights[0])
    column = page.strip.column("features.0")
    assert column.view.highlight() == (*column.tiled.cell_of(index), 1, 1)
    # the input's outline: the 5x5 window clipped to the image (padding 2)
    c, i, j = index
    r0, c0 = max(i - 2, 0), max(j - 2, 0)
    h, w = min(i + 2, 27) - r0 + 1, min(j + 2, 27) - c0 + 1
    assert page.strip.column("input").source_outlines() == [(1 + r0, 1 + c0, h, w)]


def test_multichannel_conv_and_linear_units(page, model):
    x = page.images[0]
    click_unit(page, "features.4", (7, 3, 6))
    e = page.unit_panel.explanation
    assert e.inputs.shape == (6, 5, 5)
    assert e.value == pytest.approx(explain_unit(model, x, "features.4", (7, 3, 6)).value)
    assert len(page.strip.column("features.3").source_outlines()) == 6
    np.testing.assert_allclose(page.unit_panel.weights.values(), e.products.sum(0))
    click_unit(page, "classifier.4", (40,))
    e = page.unit_panel.explanation
    ref = explain_unit(model, x, "classifier.4", 40)
    assert (e.layer, e.index) == ("classifier.4", (40,)) and e.value == pytest.approx(ref.value)
    assert e.inputs.shape == (120,)
    # a ReLU unit is explained by the linear unit it continues, the ReLU step included
    click_unit(page, "classifier.2", (17,))
    e = page.unit_panel.explanation
    assert (e.layer, e.index, e.activation) == ("classifier.1", (17,), "ReLU")
    assert e.activation_value == pytest.approx(
        float(page.trace.layer("classifier.2").output[17]))
    assert page.strip.column("classifier.2").view.highlight() is not None
    assert page.strip.column("classifier.1").view.highlight() is None


def test_pool_and_flatten_units_show_where_they_come_from(page):
    click_unit(page, "features.3", (1, 4, 6))
    assert page.unit_panel.explanation is None
    relu = page.trace.layer("features.2").output
    value = relu[1, 8:10, 12:14].max()
    assert value == page.trace.layer("features.3").output[1, 4, 6]
    text = page.unit_panel.sum_text.text()
    assert "max of rows 8–9, columns 12–13 of channel 1" in text and f"{value:.4g}" in text
    column = page.strip.column("features.2")
    assert column.source_outlines() == [(*column.tiled.cell_of((1, 8, 12)), 2, 2)]
    click_unit(page, "classifier.0", (137,))
    assert "features.7 (5, 2, 2)" in page.unit_panel.sum_text.text()


def test_a_click_in_a_gap_or_a_right_click_changes_nothing(page):
    click_unit(page, "features.0", (0, 0, 0))
    before = page.unit_panel.explanation
    assert before is not None and before.index == (0, 0, 0)
    view = page.strip.column("features.0").view
    click_cell(view, 0, 0)            # the border gap make_grid leaves around the tiles
    click_cell(view, 29, 10)          # the gap between two rows of maps
    click_unit_point = page.strip.column("features.0").tiled.cell_of((3, 3, 3))
    click_cell(view, *click_unit_point, button=Qt.RightButton)
    assert page.unit_panel.explanation is before


def test_temperature_slider_rescales_the_softmax(page, model):
    slider = page.softmax.slider
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key_PageUp)         # +5 steps: T = 10 ** (5 / 20)
    assert page.settings.temperature_step == 5
    t = 10 ** 0.25
    z = logits_of(model, page.images[0]).astype(np.float64)
    expected = torch.softmax(torch.tensor(z) / t, 0).numpy()
    np.testing.assert_allclose(page.softmax.bars.probabilities(), expected, atol=1e-6)
    assert "T = 1.8" in page.softmax.t_label.text()
    for _ in range(6):
        QTest.keyClick(slider, Qt.Key_PageDown)   # down to the minimum, T = 0.1
    assert page.settings.temperature_step == -20
    sharp = page.softmax.bars.probabilities()
    np.testing.assert_allclose(sharp, softmax_with_temperature(z, 0.1), atol=1e-6)
    assert sharp.argmax() == expected.argmax() and sharp.max() > expected.max()
    assert page.state()["temperature_step"] == -20


def test_drawing_a_digit_runs_it_through_the_network(page, model, qtbot):
    canvas = page.canvas
    sheet = canvas.sheet_rect()
    top = QPoint(int(sheet.center().x()), int(sheet.y() + sheet.height() * 0.15))
    bottom = QPoint(int(sheet.center().x()), int(sheet.y() + sheet.height() * 0.85))
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, top)
    for k in range(1, 11):
        QTest.mouseMove(canvas, top + (bottom - top) * (k / 10))
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, bottom)
    qtbot.waitUntil(lambda: page.settings.source == "drawing", timeout=2000)
    qtbot.wait(100)    # the canvas throttles its updates: let the last one arrive
    x = model_input(preprocess_stages(canvas.image()).centred, model.meta).numpy()
    assert x.sum() > 5      # the stroke is there
    np.testing.assert_allclose(page.trace.logits, logits_of(model, x), atol=1e-5)
    assert page.source.currentText() == "My drawing"
    page.bind.set("source", "test")
    np.testing.assert_allclose(page.trace.logits, logits_of(model, page.images[0]), atol=1e-5)


def test_next_test_image_by_keyboard(page, model):
    page.test_index.setFocus()
    QTest.keyClick(page.test_index, Qt.Key_Up)
    assert page.settings.test_index == 1
    np.testing.assert_allclose(page.trace.input, page.images[1])
    np.testing.assert_allclose(page.trace.logits, logits_of(model, page.images[1]), atol=1e-5)
    assert f"a generated {int(page.labels[1])}" == page.input_note.text()


def test_selected_unit_follows_the_input_and_the_state(page, model):
    click_unit(page, "features.0", (1, 10, 10))
    state = page.state()
    assert state["unit"] == ["features.0", [1, 10, 10]]
    page.bind.set("test_index", 3)        # the same unit, on the new image
    ref = explain_unit(model, page.images[3], "features.0", (1, 10, 10))
    assert page.unit_panel.explanation.value == pytest.approx(ref.value)
    page.reset()
    assert page.selected is None and page.strip.column("features.0").view.highlight() is None
    assert page.settings.test_index == 0 and page.unit_panel.sum_text.text() == ""
    page.bind.set("test_index", 2)
    page.apply_state(state)
    assert page.selected == ("features.0", (1, 10, 10))
    assert page.settings.test_index == 0


def test_fits_1060x600_without_overlap(page):
    boxes = [page.strip, *page.one_input.findChildren(QGroupBox)]
    rects = [QRect(b.mapTo(page, QPoint(0, 0)), b.size()) for b in boxes]
    area = page.rect()
    for box, rect in zip(boxes, rects):
        assert area.contains(rect), (type(box).__name__, rect)
        assert rect.height() >= box.minimumSizeHint().height() - 1, type(box).__name__
    for a in range(len(rects)):
        for b in range(a + 1, len(rects)):
            assert not rects[a].intersects(rects[b]), (a, b)
    assert page.canvas.width() >= 160 and page.softmax.bars.height() >= 150
    for column in page.strip.columns.values():   # no caption or title cut off
        for label in (column.title, column.caption):
            hint = label.sizeHint()
            assert label.width() >= hint.width() and label.height() >= hint.height(), \
                (column.name, label.text())


# -- the CNN vs MLP and Dying ReLU tabs ---------------------------------------------------------
def click_tab(page, title):
    bar = page.tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    QTest.mouseClick(bar, Qt.LeftButton, Qt.NoModifier, bar.tabRect(index).center())
    assert page.tabs.currentIndex() == index


def choose(combo, text):
    """Pick `text` in a combo with the keyboard (a real key press per step)."""
    combo.setFocus()
    target = combo.findText(text)
    assert target >= 0, text
    while combo.currentIndex() != target:
        QTest.keyClick(combo, Qt.Key_Down if combo.currentIndex() < target else Qt.Key_Up)


@pytest.mark.parametrize("arch, label, size, shape", [
    ("lenet5", "LeNet-5", "28×28 (MNIST)", (1, 28, 28)),
    ("notes_cifar", "Notes' CIFAR net (32-32, fc 8192→512)", "32×32 (CIFAR)", (3, 32, 32)),
    ("notes_mnist", "Notes' MNIST net (conv 32, fc 128)", "64×64", (1, 64, 64))])
def test_cnn_vs_mlp_tables_match_the_built_models(page, arch, label, size, shape):
    from engine.models import build_model, fully_connected_widths
    click_tab(page, "CNN vs MLP")
    choose(page.compare.arch, label)
    choose(page.compare.size_combo, size)
    assert (page.settings.compare_arch, page.settings.tab) == (arch, "cnn_vs_mlp")
    torch.manual_seed(0)
    cnn = build_model(arch, input_shape=shape, num_classes=10)
    mlp = build_model("mlp", input_shape=shape, num_classes=10,
                      hidden=fully_connected_widths(cnn))
    assert page.compare.comparison.mlp_kwargs["hidden"] == fully_connected_widths(cnn)
    for table, model in ((page.compare.cnn_table, cnn), (page.compare.mlp_table, mlp)):
        rows = layer_table(model, shape)
        assert table.cells() == [(r.kind, "×".join(map(str, r.output_shape)), f"{r.params:,}")
                                 for r in rows]
    n_cnn, n_mlp = (sum(p.numel() for p in m.parameters()) for m in (cnn, mlp))
    assert page.compare.cnn_total.text() == f"{n_cnn:,} parameters"
    assert page.compare.mlp_total.text() == f"{n_mlp:,} parameters"
    ratio = n_mlp / n_cnn
    assert page.compare.ratio.text() == (f"MLP = {ratio:.2f} × CNN" if ratio >= 1
                                         else f"CNN = {1 / ratio:.2f} × MLP")
    assert "Train a CNN" in page.compare.train_note.text()
    if arch == "lenet5":   # 784 pixels x 120 units + 120 biases in the MLP's first layer
        assert "94,200" in page.compare.why.text() and ratio > 1


def test_a_short_dying_relu_run_through_the_worker(page, qtbot):
    from engine.dying_relu import DyingReluConfig, dying_relu_experiment
    click_tab(page, "Dying ReLU")
    page.dying.lr.setFocus()
    page.dying.lr.selectAll()
    QTest.keyClicks(page.dying.lr, "0.5")
    QTest.keyClick(page.dying.lr, Qt.Key_Return)
    assert page.settings.relu_lr == 0.5
    cfg = DyingReluConfig(lr=0.5, batch_size=16, steps=8, record_every=4, train_size=128,
                          probe_size=32, seed=0)
    assert page.relu_config().lr == 0.5
    with qtbot.waitSignal(page.runner.finished, timeout=30000):
        page.start_relu(cfg)
        assert not page.dying.start.isEnabled() and page.dying.stop.isEnabled()
    expected = dying_relu_experiment(cfg)
    for activation, curve in expected.items():
        plot = page.dying.plots[activation]
        assert list(plot.points) == list(curve.dead)
        for layer, shares in curve.dead.items():
            xs, ys = plot.points[layer]
            assert xs == curve.steps and ys == pytest.approx([100 * v for v in shares])
    assert page.dying.start.isEnabled() and not page.dying.stop.isEnabled()
    assert "test accuracy" in page.dying.results["relu"].text()
    assert "still learning" in page.dying.plots["leaky_relu"].getPlotItem().titleLabel.text


def test_a_nan_loss_is_shown_as_a_message(page, qtbot):
    from engine.dying_relu import DyingReluConfig
    cfg = DyingReluConfig(lr=1e6, batch_size=16, steps=8, record_every=4, train_size=128,
                          probe_size=32, seed=0)
    with qtbot.waitSignal(page.runner.finished, timeout=30000):
        QTest.mouseClick(page.dying.start, Qt.LeftButton)   # starts the page's own run...
        page.runner.stop_and_wait()                         # ... stopped at once
        page.start_relu(cfg)
    assert "NaN" in page.dying.status.text()
    assert "NaN" in page.dying.results["relu"].text()


def test_new_settings_round_trip(page):
    click_tab(page, "Dying ReLU")
    choose(page.compare.arch, "CIFAR net (6-16-120-84)")
    choose(page.compare.size_combo, "64×64")
    state = page.state()
    assert {k: state[k] for k in ("tab", "compare_arch", "compare_size")} == {
        "tab": "dying_relu", "compare_arch": "cifarnet", "compare_size": 64}
    page.reset()
    assert page.tabs.currentIndex() == 0 and page.compare.comparison.cnn_total == 61706
    page.apply_state(state)
    assert page.tabs.currentIndex() == 2 and page.settings.compare_size == 64
    assert page.compare.arch.currentText() == "CIFAR net (6-16-120-84)"
    assert page.compare.comparison.cnn[0].output_shape == (6, 60, 60)
    for name, widget in page.controls().items():
        assert widget.toolTip(), name


class PaintCounter(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, _obj, event):
        self.count += event.type() == QEvent.Paint
        return False


def test_a_new_softmax_formula_moves_no_widget(page, model, qtbot):
    """The formula changes with every stroke: it is shown in full, and the widgets around it
    keep their places (a plain word-wrapped label would relayout the window each time)."""
    formula = page.softmax.formula
    page.bind.set("source", "drawing")      # (the input note's text changes once, here)
    qtbot.wait(20)
    places = [w.geometry() for w in (formula, page.softmax.bars, page.unit_panel, page.strip)]
    texts = set()
    painted = PaintCounter()
    page.source.installEventFilter(painted)     # far from the formula: it must not repaint
    canvas = page.canvas
    sheet = canvas.sheet_rect()
    start = QPoint(int(sheet.x() + sheet.width() * 0.3), int(sheet.y() + sheet.height() * 0.2))
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, start)
    for k in range(1, 9):
        QTest.mouseMove(canvas, start + QPoint(k * 12, k * 9))
        qtbot.wait(25)                                     # past the canvas' throttle
        texts.add(formula.text())
        if k == 1:
            painted.count = 0      # (the press itself may repaint the window once)
        assert formula.label.heightForWidth(formula.width()) <= formula.height()
        assert [w.geometry() for w in (formula, page.softmax.bars, page.unit_panel,
                                       page.strip)] == places
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, start + QPoint(96, 72))
    assert len(texts) >= 4 and all(t.startswith("softmax(z)_") for t in texts)
    # a relayout repainted it at every stroke (7 or more here); one late repaint of the
    # press under a loaded machine is not a relayout
    assert painted.count <= 1
    # a text that needs more lines gets them (and the label all of the box)
    formula.setText(" ".join(["softmax(z/T, T = 0.1)_3 = exp(12.3) / (…)"] * 4))
    qtbot.wait(20)
    assert formula.label.heightForWidth(formula.width()) <= formula.height()
    assert formula.label.geometry() == formula.rect()


def test_the_strip_reuses_its_columns_when_the_layers_change(qtbot, shown, model):
    """Another model's trace lays out its own columns; back to the first model, the same
    column widgets come back (hidden in between, never destroyed), in order, not outlined."""
    from engine.models import LeNet5
    from engine.network import network_trace
    from gui.pages.network.layer_strip import LayerStrip
    strip = shown(LayerStrip(), 1000, 300)
    x = torch.zeros(1, 28, 28)
    first = network_trace(model, x)
    strip.set_trace(first)
    before = dict(strip.columns)
    torch.manual_seed(0)
    other = network_trace(LeNet5(), x)
    strip.set_trace(other)
    assert list(strip.columns) == ["input", *other.names]
    strip.set_trace(first)
    assert list(strip.columns) == ["input", *first.names]
    assert all(strip.columns[name] is before[name] for name in before)
    shown_columns = [c for c in strip.inner.findChildren(type(before["input"])) if c.isVisible()]
    assert sorted(c.name for c in shown_columns) == sorted(strip.columns)
