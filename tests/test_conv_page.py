"""The Convolution page's 2-D tab through real clicks and keys: what the views, the formula and
the code show, against torch and the notes' worked example; state round trip and bad states."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.activations import ACTIVATIONS
from engine.images import WORKED_EXAMPLE, WORKED_KERNEL
from gui.bind import StateError
from gui.pages.convolution import ConvolutionPage
from gui.state import AppState
from gui.widgets.input_source import GRID_PREFIX, PAD, TYPED
from tests.test_number_grid import type_into


@pytest.fixture
def page(shown):
    return shown(ConvolutionPage(app_state=AppState()), 1050, 640)


def torch_conv(x, w, b=None, **kw):
    x = torch.from_numpy(np.asarray(x, np.float32))
    x = x[None, None] if x.ndim == 2 else x[None]
    w = torch.from_numpy(np.asarray(w, np.float32))
    w = w[None, None] if w.ndim == 2 else w
    b = None if b is None else torch.from_numpy(np.asarray(b, np.float32))
    return F.conv2d(x, w, b, **kw)[0].numpy()


def click_cell(view, r, c, button=Qt.LeftButton):
    point = view.mapFromScene(view.plot.vb.mapViewToScene(QPointF(c + 0.5, r + 0.5)))
    QTest.mouseClick(view.viewport(), button, Qt.NoModifier, point)


def choose(combo, text):
    """Pick an entry as a user does: the combo's activated signal after a real key press."""
    combo.setFocus()
    index = combo.findText(text)
    assert index >= 0, text
    QTest.keyClick(combo, Qt.Key_Home)
    for _ in range(index):
        QTest.keyClick(combo, Qt.Key_Down)
    assert combo.currentText() == text


def set_spin(spin, value):
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, str(value))
    QTest.keyClick(spin, Qt.Key_Return)
    assert spin.value() == value


def test_opens_on_the_worked_example(page):
    p = page.conv2d
    assert [page.tabs.tabText(i) for i in range(4)] == ["2-D convolution", "1-D signal",
                                                         "Transposed", "Layer sizes"]
    np.testing.assert_allclose(p.trace.output[0], [[1.60, 2.59], [1.51, 1.91]], atol=1e-5)
    np.testing.assert_allclose(p.trace.output, torch_conv(WORKED_EXAMPLE, WORKED_KERNEL), atol=1e-6)
    assert p.player.count == 4 and p.player.index == 0
    np.testing.assert_allclose(p.products_view.views[0].values(),
                               [[.05, .04, .06], [.04, .18, .45], [0, .64, .14]], atol=1e-6)
    assert "= 1.600" in p.products_view.equation.text()
    assert "0.50×0.10" in p.products_view.terms.text()
    assert p.output_view.cell_texts() == ["1.60", "", "", ""]
    p.player.step_forward()
    assert p.output_view.cell_texts() == ["1.60", "2.59", "", ""]
    assert "H_out = ⌊(4 − 3 + 2·0) / 1⌋ + 1 = 2" in p.geometry_form.formula.text()
    # the feature map is published for the Pooling page
    np.testing.assert_allclose(page.app_state.feature_map, p.trace.output[0])


def test_stride_padding_dilation_against_torch(page):
    p = page.conv2d
    assert p.input_box.choose(GRID_PREFIX + "gradient 5×5")
    p.kernel_editor.apply_preset("Sobel x")
    stride, padding, dilation = (p.geometry_form.spins[n][0] for n in ("stride", "padding", "dilation"))
    assert p.geometry_form.first_header.text() == "both"
    set_spin(padding, 1)
    set_spin(stride, 2)
    x, w = p.trace.x[0], p.kernel_editor.weights()[0, 0]
    np.testing.assert_allclose(p.trace.output[0], torch_conv(x, w, stride=2, padding=1)[0],
                               atol=1e-6)
    assert p.trace.output.shape == (1, 3, 3) and p.player.count == 9
    code = p.code_panel.code()
    assert "nn.Conv2d(in_channels=1, out_channels=1, kernel_size=3, stride=2, padding=1)" in code
    assert "torch.Size([1, 1, 3, 3])" in code
    assert p.input_view.values().shape == (7, 7)
    QTest.mouseClick(p.geometry_form.separate_check, Qt.LeftButton)
    assert p.geometry_form.first_header.text() == "height"
    set_spin(p.geometry_form.spins["stride"][1], 1)
    set_spin(p.geometry_form.spins["dilation"][1], 2)
    np.testing.assert_allclose(p.trace.output[0], torch_conv(
        x, w, stride=(2, 1), padding=1, dilation=(1, 2))[0], atol=1e-6)
    assert "stride=(2, 1)" in p.code_panel.code() and "dilation=(1, 2)" in p.code_panel.code()
    p.player.go_to(0)
    assert len(p.input_view.marks()) == 9        # dilation marks the tapped cells
    set_spin(dilation, 2)
    np.testing.assert_allclose(p.trace.output[0], torch_conv(
        x, w, stride=(2, 1), padding=1, dilation=2)[0], atol=1e-6)


def test_clicking_an_output_cell_jumps_to_its_step(page):
    p = page.conv2d
    assert p.input_box.choose(GRID_PREFIX + "vertical edge 6×6")
    assert p.player.count == 16
    QTest.mouseClick(p.reveal_check, Qt.LeftButton)
    click_cell(p.output_view, 2, 3)
    assert p.player.index == 2 * 4 + 3
    assert p.trace.steps[p.player.index].out_index == (0, 2, 3)
    assert "output (row 2, col 3)" in p.caption.text()
    assert p.input_view.highlight() == (2, 3, 3, 3)


def test_bad_kernel_cell_keeps_the_previous_kernel(page):
    p = page.conv2d
    before = p.trace.output.copy()
    messages = []
    page.message.connect(lambda text, level: messages.append((text, level)))
    for bad in ("abc", "nan", "inf"):
        type_into(p.kernel_editor.grid, 1, 2, bad)
        np.testing.assert_array_equal(p.kernel_editor.weights()[0, 0], WORKED_KERNEL)
        np.testing.assert_array_equal(p.trace.output, before)
        assert messages[-1][1] == "error" and "row 2, column 3" in messages[-1][0]
    type_into(p.kernel_editor.grid, 1, 2, "-1")
    w = WORKED_KERNEL.copy()
    w[1, 2] = -1
    np.testing.assert_allclose(p.trace.output[0], torch_conv(WORKED_EXAMPLE, w)[0], atol=1e-6)


def test_settings_with_no_output_say_why_and_keep_the_trace(page):
    p = page.conv2d
    before = p.trace.output.copy()
    set_spin(p.kernel_editor.size_spin, 5)           # 5x5 on the 4x4 grid, no padding
    assert p.has_error() and "no output" in p.geometry_form.formula.text()
    assert "RuntimeError" in p.code_panel.code()
    np.testing.assert_array_equal(p.trace.output, before)
    set_spin(p.geometry_form.spins["padding"][0], 1)      # padding rescues it
    assert not p.has_error() and p.trace.output.shape == (1, 2, 2)


def test_rgb_mode_shows_channel_partial_sums(page):
    p = page.conv2d
    QTest.mouseClick(p.input_box.rgb_radio, Qt.LeftButton)
    assert p.trace.x.shape == (3, 4, 4) and p.kernel_editor.weights().shape == (1, 3, 3, 3)
    p.kernel_editor.set_bias(0.5)
    p.player.go_to(0)
    step = p.trace.steps[0]
    assert len(p.products_view.views) == 3
    text = p.products_view.equation.text()
    for c, name in enumerate("RGB"):
        assert f"{step.channel_sums[c]:.3f} ({name})" in text
    assert f"0.500 (bias) = {step.value:.3f}" in text
    # back to grey and to RGB again: the three grids are hidden and shown, never rebuilt
    grids = list(p.products_view.views)
    QTest.mouseClick(p.input_box.gray_radio, Qt.LeftButton)
    assert p.products_view.views == grids[:1]
    assert not grids[1].isVisibleTo(p.products_view) and not grids[2].isVisibleTo(p.products_view)
    QTest.mouseClick(p.input_box.rgb_radio, Qt.LeftButton)
    assert p.products_view.views == grids and all(g.isVisibleTo(p.products_view) for g in grids)
    np.testing.assert_allclose(p.trace.output, torch_conv(p.trace.x, p.kernel_editor.weights(),
                                                          p.kernel_editor.bias()), atol=1e-5)
    assert "in_channels=3" in p.code_panel.code()


def test_several_filters_give_one_map_each(page):
    p = page.conv2d
    p.kernel_editor.add_filter()
    p.kernel_editor.add_filter()
    assert p.trace.output.shape == (3, 2, 2) and p.map_grid.count == 3
    assert p.player.count == 12 and "out_channels=3" in p.code_panel.code()
    p.select_filter(2)
    assert p.trace.steps[p.player.index].out_index[0] == 2
    np.testing.assert_allclose(p.output_view.values(), p.trace.output[2])
    np.testing.assert_allclose(page.app_state.feature_map, p.trace.output[2])


def test_activation_changes_map_and_code(page):
    p = page.conv2d
    p.kernel_editor.apply_preset("Sobel x")
    assert not p.slope_spin.isEnabled()            # no slope to set for the identity
    choose(p.activation_combo, ACTIVATIONS["leaky_relu"])
    assert p.slope_spin.isEnabled()
    set_spin(p.slope_spin, 0.2)
    out = p.trace.output[0]
    expected = np.where(out > 0, out, 0.2 * out)
    np.testing.assert_allclose(page.current_feature_map(), expected, rtol=1e-6)
    np.testing.assert_allclose(p.activated_view.values(), expected, rtol=1e-6)
    xs, ys = p.activated_view.curve.getData()
    np.testing.assert_allclose(ys, np.where(xs > 0, xs, 0.2 * xs), rtol=1e-6)
    assert "nn.LeakyReLU(negative_slope=0.2)" in p.code_panel.code()


def test_photo_input_whole_output_and_wheel_zoom(page):
    p = page.conv2d
    assert p.input_box.choose("Photo: coins")
    assert p.trace.x.shape == (1, 303, 384) and p.reveal_check.isChecked()
    assert p.output_view.values().shape == (301, 382)
    assert p.input_view.highlight("locator") is not None   # a frame shows where the window is
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication
    centre = QPointF(p.input_view.width() / 2, p.input_view.height() / 2)
    event = QWheelEvent(centre, p.input_view.mapToGlobal(centre), QPointF().toPoint(),
                        QPointF(0, 120).toPoint(), Qt.NoButton, Qt.NoModifier,
                        Qt.NoScrollPhase, False)
    QApplication.sendEvent(p.input_view.viewport(), event)
    assert p.view.zoom == 48 and p.zoom_combo.currentText().startswith("48 × 48")


def test_corrupt_and_huge_image_files(page, tmp_path):
    from PIL import Image
    p = page.conv2d
    messages = []
    page.message.connect(lambda text, level: messages.append((text, level)))
    before = p.trace.output.copy()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert not p.input_box.open_file(str(bad))
    assert "broken.png" in p.input_box.error.text() and messages[-1][1] == "error"
    np.testing.assert_array_equal(p.trace.output, before)
    Image.new("L", (1200, 600), 200).save(tmp_path / "big.png")
    assert p.input_box.open_file(str(tmp_path / "big.png"))
    assert p.trace.x.shape == (1, 256, 512)
    assert "shrunk from 1200×600" in p.input_box.info.text() and messages[-1][1] == "warning"
    assert p.input_box.error.isHidden()


def test_drawing_pad_painted_with_the_mouse_and_a_typed_grid(page):
    p = page.conv2d
    assert p.input_box.choose(PAD)
    assert p.trace.x.shape == (1, 10, 10) and p.trace.x.sum() == 0
    set_spin(p.geometry_form.spins["padding"][0], 1)
    click_cell(p.input_view, 1, 1)            # padded (1, 1) is input (0, 0)
    click_cell(p.input_view, 3, 4)
    assert p.trace.x[0, 0, 0] == 1 and p.trace.x[0, 2, 3] == 1 and p.trace.x.sum() == 2
    click_cell(p.input_view, 1, 1, Qt.RightButton)
    assert p.trace.x.sum() == 1
    assert p.input_box.choose(TYPED)
    edit = p.input_box.grid_edit
    edit.selectAll()
    for k, row in enumerate(("1 2 3", "4 5 6", "7 8 9")):
        if k:
            QTest.keyClick(edit, Qt.Key_Return)
        QTest.keyClicks(edit, row)
    assert p.input_box.use_typed(edit.toPlainText())
    np.testing.assert_array_equal(p.trace.x[0], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert not p.input_box.use_typed("1 2 3\n4 x 6")
    assert "'x' is not a number" in p.input_box.error.text()
    np.testing.assert_array_equal(p.trace.x[0], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])


def test_state_round_trip(page, shown):
    p = page.conv2d
    assert p.input_box.choose(GRID_PREFIX + "digit seven 8×8")
    QTest.mouseClick(p.geometry_form.separate_check, Qt.LeftButton)
    set_spin(p.geometry_form.spins["stride"][0], 2)
    set_spin(p.geometry_form.spins["padding"][1], 1)
    set_spin(p.geometry_form.spins["dilation"][0], 2)
    type_into(p.kernel_editor.grid, 0, 0, "0.7")
    p.player.go_to(3)
    state = page.state()
    again = shown(ConvolutionPage(app_state=AppState()), 1050, 640)
    again.apply_state(state)
    assert again.state() == state
    q = again.conv2d
    np.testing.assert_allclose(q.trace.output, p.trace.output)
    assert q.player.index == 3 and q.output_view.cell_texts() == p.output_view.cell_texts()
    x = torch.tensor(q.input_box.current())[None, None]
    ref = F.conv2d(x, torch.tensor(q.kernel_editor.weights()),
                   torch.tensor(q.kernel_editor.bias()), (2, 1), (0, 1), (2, 1))[0]
    np.testing.assert_allclose(q.trace.output, ref.numpy(), atol=1e-5)


@pytest.mark.parametrize("bad", [
    {"conv2d": {"geometry": {"stride": ["two", 2]}}},
    {"conv2d": {"input": {"source": "Photo: no such photo"}}},
    {"conv2d": {"view": {"activation": "swish"}}},
    {"page": {"tab": 9}},
    {"conv2d": {"geometry": {"stride": [3, 3]}, "view": {"zoom": 5}}},
])
def test_a_bad_state_changes_nothing(page, bad):
    before = page.state()
    output = page.conv2d.trace.output.copy()
    with pytest.raises(StateError):
        page.apply_state(bad)
    assert page.state() == before
    np.testing.assert_array_equal(page.conv2d.trace.output, output)


def test_reset_goes_back_to_the_worked_example(page):
    p = page.conv2d
    assert p.input_box.choose(GRID_PREFIX + "gradient 5×5")
    page.reset()
    np.testing.assert_allclose(p.trace.output[0], [[1.60, 2.59], [1.51, 1.91]], atol=1e-5)


def test_the_layer_calculator_takes_alexnet(page):
    calc = page.calculator
    text = calc.result.text()
    assert "96 × 54 × 54" in text and "54 × 54 × 96" in text
    assert "34,944" in text and "shapes only" in text
    assert "⌊(224 − 11 + 2·0) / 4⌋ + 1 = 54" in calc.geometry_form.formula.text()


def test_fits_the_page_area_of_1280x720_with_the_step_player_on_screen(shown, qtbot):
    from PySide6.QtWidgets import QScrollArea
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    page = ConvolutionPage(app_state=AppState())
    scroll.setWidget(page)
    shown(scroll, 1050, 600)               # what a 1280x720 window leaves a page
    qtbot.waitUntil(lambda: not scroll.horizontalScrollBar().isVisible(), timeout=2000)
    assert page.minimumSizeHint().width() <= scroll.viewport().width()
    bar = page.conv2d.player_bar
    bottom = bar.mapTo(scroll.viewport(), bar.rect().bottomLeft()).y()
    assert bar.isVisible() and bottom <= scroll.viewport().height()


def test_the_rgb_sum_fits_its_label_whole(page):
    """Three channels' sums and the bias wrap onto three lines in the narrow column: the label
    is tall enough for all of them (its last line, '= 6.830', was cut), and the empty terms
    line above it is hidden."""
    from PySide6.QtCore import QRect
    p = page.conv2d
    QTest.mouseClick(p.input_box.rgb_radio, Qt.LeftButton)
    p.player.go_to(0)
    QApplication.processEvents()
    label = p.products_view.equation.label
    need = label.fontMetrics().boundingRect(QRect(0, 0, label.width(), 10_000),
                                            int(Qt.TextWordWrap), label.text()).height()
    assert "(B)" in label.text() and need <= label.height()
    assert not p.products_view.terms.isVisible()
    QTest.mouseClick(p.input_box.gray_radio, Qt.LeftButton)
    p.player.go_to(0)
    assert p.products_view.terms.isVisible() and "0.50×0.10" in p.products_view.terms.text()
