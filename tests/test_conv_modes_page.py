"""The 1-D and transposed convolution panels, driven through their controls, against torch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtWidgets import QVBoxLayout

from engine.conv_modes import KERNELS_1D, make_signal
from gui.pages.base import Page
from gui.pages.conv_modes import Conv1dPanel, NumberGrid, TransposedConvPanel


def edit_cell(grid: NumberGrid, r: int, c: int, text: str) -> None:
    grid.item(r, c).setText(text)  # what typing into the cell does


# -- 1-D --------------------------------------------------------------------------------------------

@pytest.fixture
def conv1d(qtbot):
    p = Conv1dPanel()
    qtbot.addWidget(p)
    return p


def torch_conv1d(x, w, b=0.0, s=1, p=0, d=1):
    return F.conv1d(torch.tensor(x)[None, None], torch.tensor(w, dtype=torch.float32)[None, None],
                    torch.tensor([b], dtype=torch.float32), s, p, d)[0, 0].numpy()


def test_conv1d_default_matches_torch(conv1d):
    x = make_signal("noisy mixture", 32, 0)
    w = KERNELS_1D["moving average (3)"]
    np.testing.assert_allclose(conv1d.trace.output[0], torch_conv1d(x, w), rtol=1e-6)
    assert conv1d.player.count == 30
    assert "nn.Conv1d(in_channels=1, out_channels=1, kernel_size=3)" in conv1d.code_panel.code()
    assert "torch.Size([1, 1, 30])" in conv1d.code_panel.code()
    assert "= <b>30</b>" in conv1d.formula_label.text()


def test_conv1d_step_shows_taps_products_and_growing_output(conv1d):
    conv1d.signal_combo.setCurrentText("step edge")
    conv1d.length_spin.setValue(10)
    conv1d.kernel_combo.setCurrentText("edge [-1, 1]")
    np.testing.assert_array_equal(conv1d.kernel(), [-1, 1])
    conv1d.player.go_to(4)  # taps on samples 4 and 5: 0 and 1 -> the edge, output 1
    xs, ys = conv1d.tap_dots.getData()
    np.testing.assert_array_equal(xs, [4, 5])
    np.testing.assert_array_equal(ys, [0, 1])
    ox, oy = conv1d.output_curve.getData()
    assert len(ox) == 5
    np.testing.assert_array_equal(oy, [0, 0, 0, 0, 1])
    np.testing.assert_allclose(ox, [0.5, 1.5, 2.5, 3.5, 4.5])  # under the window centres
    assert "output[4]" in conv1d.products_label.text() and "<b>1.000</b>" in conv1d.products_label.text()
    assert conv1d.window_region.getRegion() == pytest.approx((3.6, 5.4))


def test_conv1d_stride_padding_dilation_and_bias(conv1d):
    conv1d.stride_spin.setValue(2)
    conv1d.padding_spin.setValue(2)
    conv1d.dilation_spin.setValue(2)
    conv1d.bias_spin.setValue(0.5)
    x = make_signal("noisy mixture", 32, 0)
    ref = torch_conv1d(x, KERNELS_1D["moving average (3)"], 0.5, 2, 2, 2)
    np.testing.assert_allclose(conv1d.trace.output[0], ref, rtol=1e-6)
    assert "stride=2, padding=2, dilation=2" in conv1d.code_panel.code()
    conv1d.player.go_to(0)
    xs, _ = conv1d.tap_dots.getData()
    np.testing.assert_array_equal(xs, [-2, 0, 2])  # first tap on the left padding
    pad_x, pad_y = conv1d.padding_dots.getData()
    np.testing.assert_array_equal(sorted(pad_x), [-2, -1, 32, 33])
    assert "+ bias 0.50" in conv1d.products_label.text()


def test_conv1d_kernel_edit_and_taps(conv1d):
    conv1d.taps_spin.setValue(5)
    assert conv1d.kernel_combo.currentText() == "Custom"
    np.testing.assert_allclose(conv1d.kernel(), [1 / 3, 1 / 3, 1 / 3, 0, 0], rtol=1e-6)
    edit_cell(conv1d.kernel_grid, 0, 4, "2")
    np.testing.assert_allclose(conv1d.kernel(), [1 / 3, 1 / 3, 1 / 3, 0, 2], rtol=1e-6)
    x = make_signal("noisy mixture", 32, 0)
    np.testing.assert_allclose(conv1d.trace.output[0], torch_conv1d(x, conv1d.kernel()), rtol=1e-5)


def test_conv1d_bad_cell_and_no_output_keep_the_previous_result(conv1d):
    before = conv1d.trace.output.copy()
    edit_cell(conv1d.kernel_grid, 0, 1, "abc")
    assert "not a number" in conv1d.error_label.text() and conv1d.error_label.isVisibleTo(conv1d)
    assert conv1d.kernel_grid.item(0, 1).text() == "0.3333"
    edit_cell(conv1d.kernel_grid, 0, 1, "nan")
    assert "not a number" in conv1d.error_label.text()
    np.testing.assert_array_equal(conv1d.trace.output, before)
    conv1d.length_spin.setValue(4)
    conv1d.dilation_spin.setValue(3)  # span 7 > 4 samples
    assert "no output" in conv1d.error_label.text()
    assert conv1d.trace.output.shape == (1, 2)  # the length-4 result, kept


def test_conv1d_errors_reach_the_page_status(qtbot):
    page = Page()
    qtbot.addWidget(page)
    panel = Conv1dPanel()
    QVBoxLayout(page).addWidget(panel)
    seen = []
    page.message.connect(lambda text, level: seen.append(level))
    edit_cell(panel.kernel_grid, 0, 0, "x")
    assert seen == ["error"]


# -- transposed ------------------------------------------------------------------------------------

@pytest.fixture
def transposed(qtbot):
    p = TransposedConvPanel()
    qtbot.addWidget(p)
    return p


def torch_transposed(x, w, b=0.0, s=1, p=0, op=0, d=1):
    return F.conv_transpose2d(torch.tensor(x, dtype=torch.float32)[None, None],
                              torch.tensor(w, dtype=torch.float32)[None, None],
                              torch.tensor([b], dtype=torch.float32), s, p, op, 1, d)[0, 0].numpy()


def test_transposed_default_2x2_ones_stride_2(transposed):
    x, w = [[1, 2], [3, 4]], np.ones((3, 3))
    np.testing.assert_array_equal(transposed.trace.output[0], torch_transposed(x, w, s=2))
    assert transposed.player.count == 4
    code = transposed.code_panel.code()
    assert "nn.ConvTranspose2d(in_channels=1, out_channels=1, kernel_size=3, stride=2)" in code
    assert "torch.Size([1, 1, 5, 5])" in code
    assert "(2&minus;1)&middot;2 &minus; 2&middot;0 + 1&middot;(3&minus;1) + 0 + 1 = <b>5</b>" \
        in transposed.formula_label.text()


def test_transposed_steps_stamp_and_sum(transposed):
    transposed.player.go_to(1)  # input (0, 1) = 2: a stamp of 2s at columns 2-4
    np.testing.assert_array_equal(transposed.stamp_view.values(), np.full((3, 3), 2))
    canvas = transposed.canvas_view.values()
    np.testing.assert_array_equal(canvas[0], [1, 1, 3, 2, 2])  # overlap: 1 + 2 in column 2
    assert not canvas[3:].any()
    assert "Input (0, 1)" in transposed.step_label.text()
    transposed.player.last()
    np.testing.assert_array_equal(transposed.output_view.values(), transposed.trace.output[0])
    assert transposed.output_view.values()[2, 2] == 10  # all four stamps overlap there


def test_transposed_click_input_cell_jumps(transposed):
    transposed.input_view.cellClicked.emit(1, 0)
    assert transposed.player.index == 2


def test_transposed_padding_crops_and_bias(transposed):
    transposed.padding_spin.setValue(1)
    transposed.output_padding_spin.setValue(1)
    transposed.bias_spin.setValue(0.5)
    ref = torch_transposed([[1, 2], [3, 4]], np.ones((3, 3)), 0.5, 2, 1, 1)
    np.testing.assert_allclose(transposed.trace.output[0], ref)
    transposed.player.last()
    np.testing.assert_allclose(transposed.output_view.values(), ref)
    assert transposed.canvas_view.values().shape == (6, 6)
    assert "padding=1, output_padding=1" in transposed.code_panel.code()
    assert "crops" in transposed.step_label.text()


def test_transposed_dilation_spreads_the_stamp(transposed):
    transposed.dilation_spin.setValue(2)          # 3x3 taps two cells apart: a 5x5 stamp
    ref = torch_transposed([[1, 2], [3, 4]], np.ones((3, 3)), s=2, d=2)
    assert ref.shape == (7, 7)
    transposed.player.go_to(1)                    # input (0, 1) = 2 lands at column 2
    canvas = transposed.canvas_view.values()
    np.testing.assert_array_equal(canvas[0], [1, 0, 3, 0, 3, 0, 2])  # 1 at cols 0,2,4; 2 at 2,4,6
    assert transposed.canvas_view._highlights["main"].rect().width() == 5
    marks = [m.rect() for m in transposed.canvas_view._marks if m.isVisible()]
    assert sorted((int(r.y()), int(r.x())) for r in marks) == \
        [(r, c) for r in (0, 2, 4) for c in (2, 4, 6)]
    transposed.player.last()
    np.testing.assert_array_equal(transposed.output_view.values(), ref)
    assert "stride=2, dilation=2" in transposed.code_panel.code()
    assert "torch.Size([1, 1, 7, 7])" in transposed.code_panel.code()
    assert "2&middot;(3&minus;1) + 0 + 1 = <b>7</b>" in transposed.formula_label.text()
    assert "2 cells apart" in transposed.step_label.text()


def test_transposed_bilinear_preset_doubles_the_size(transposed):
    transposed.input_size_spin.setValue(3)
    transposed.kernel_combo.setCurrentText("bilinear 4x4 (2x upsampling)")
    assert (transposed.kernel_size_spin.value(), transposed.stride_spin.value(),
            transposed.padding_spin.value()) == (4, 2, 1)
    assert transposed.trace.output.shape == (1, 6, 6)
    x = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    f = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(transposed.trace.output[0],
                               torch_transposed(x, np.outer(f, f), 0, 2, 1), rtol=1e-6)


def test_transposed_edits_and_bad_settings(transposed):
    edit_cell(transposed.input_grid, 0, 0, "-1.5")
    edit_cell(transposed.kernel_grid, 1, 1, "3")
    assert transposed.kernel_combo.currentText() == "Custom"
    w = np.ones((3, 3))
    w[1, 1] = 3
    np.testing.assert_allclose(transposed.trace.output[0],
                               torch_transposed([[-1.5, 2], [3, 4]], w, s=2))
    before = transposed.trace.output.copy()
    transposed.output_padding_spin.setValue(2)  # not smaller than stride 2
    assert "smaller than the stride" in transposed.error_label.text()
    np.testing.assert_array_equal(transposed.trace.output, before)
    edit_cell(transposed.input_grid, 1, 1, "inf")
    assert "not a number" in transposed.error_label.text()
    assert transposed.input_grid.values()[1, 1] == 4


def test_conv1d_jump_to_an_output_position(conv1d):
    conv1d.jump_to_position(10.2)  # moving average (3): output i is drawn at i + 1
    assert conv1d.player.index == 9
    ox, _ = conv1d.output_curve.getData()
    assert len(ox) == 10
