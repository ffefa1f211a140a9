"""The Convolution page's 1-D and Transposed tabs (`Conv1dPanel`, `TransposedConvPanel`) through
real clicks and keys, against torch's F.conv1d and F.conv_transpose2d; bad cells and settings
keep the previous result and reach the page's status messages."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine.conv_modes import KERNELS_1D, make_signal
from gui.pages.convolution import ConvolutionPage
from gui.pages.convolution.conv1d_panel import Conv1dPanel
from gui.pages.convolution.transposed_panel import TransposedConvPanel
from gui.state import AppState
from gui.widgets.number_grid import NumberGrid
from tests.test_conv_page import choose, click_cell, set_spin
from tests.test_number_grid import type_into


def listen(panel):
    panel.messages = []
    panel.message.connect(lambda text, level: panel.messages.append((text, level)))
    return panel


# -- 1-D ------------------------------------------------------------------------------------------

@pytest.fixture
def conv1d(shown):
    return listen(shown(Conv1dPanel(), 1050, 640))


def torch_conv1d(x, w, b=0.0, s=1, p=0, d=1):
    return F.conv1d(torch.tensor(x, dtype=torch.float32)[None, None],
                    torch.tensor(w, dtype=torch.float32)[None, None],
                    torch.tensor([b], dtype=torch.float32), s, p, d)[0, 0].numpy()


def control(panel, name):
    return panel.controls()[name]


def test_conv1d_default_matches_torch(conv1d):
    x = make_signal("noisy mixture", 32, 0)
    w = KERNELS_1D["moving average (3)"]
    np.testing.assert_allclose(conv1d.trace.output[0], torch_conv1d(x, w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(conv1d.trace.output[0, 0], x[:3].mean(), rtol=1e-5)
    assert conv1d.player.count == 30 and conv1d.player.index == 0
    code = conv1d.code_panel.code()
    assert "nn.Conv1d(in_channels=1, out_channels=1, kernel_size=3)" in code
    assert "torch.Size([1, 1, 30])" in code
    assert "L_out = ⌊(32 − 3 + 2·0) / 1⌋ + 1 = 30" in conv1d.geometry_form.formula.text()
    assert "32 → 30" in conv1d.geometry_form.formula.text()


def test_conv1d_step_shows_taps_products_and_growing_output(conv1d):
    choose(control(conv1d, "signal.signal"), "step edge")
    set_spin(control(conv1d, "signal.length"), 10)
    choose(conv1d.kernel_combo, "edge [-1, 1]")
    np.testing.assert_array_equal(conv1d.kernel(), [-1, 1])
    np.testing.assert_array_equal(conv1d.trace.output[0], [0, 0, 0, 0, 1, 0, 0, 0, 0])
    conv1d.player.go_to(4)   # taps on samples 4 and 5: 0 and 1, the edge: output 1
    xs, ys = conv1d.tap_dots.getData()
    np.testing.assert_array_equal(xs, [4, 5])
    np.testing.assert_array_equal(ys, [0, 1])
    ox, oy = conv1d.output_curve.getData()
    np.testing.assert_array_equal(oy, [0, 0, 0, 0, 1])              # the output so far
    np.testing.assert_allclose(ox, [0.5, 1.5, 2.5, 3.5, 4.5])       # under the window centres
    text = conv1d.products.text()
    assert "<td align='right' style='padding: 0 8px'>-1.000</td>" in text
    assert "sum of products 1.000 = <b>1.000</b>" in text
    assert conv1d.caption.text().startswith("output[4] = ")
    assert conv1d.window_region.getRegion() == pytest.approx((3.6, 5.4))


def test_conv1d_stride_padding_dilation_and_bias(conv1d):
    stride, padding, dilation = (conv1d.geometry_form.spins[n][0]
                                 for n in ("stride", "padding", "dilation"))
    set_spin(stride, 2)
    set_spin(padding, 2)
    set_spin(dilation, 2)
    set_spin(control(conv1d, "signal.bias"), 0.5)
    x = make_signal("noisy mixture", 32, 0)
    ref = torch_conv1d(x, KERNELS_1D["moving average (3)"], 0.5, 2, 2, 2)
    assert ref.shape == (16,)
    np.testing.assert_allclose(conv1d.trace.output[0], ref, rtol=1e-5, atol=1e-6)
    assert "stride=2, padding=2, dilation=2" in conv1d.code_panel.code()
    assert "(dilated kernel: 2·(3−1)+1 = 5)" in conv1d.geometry_form.formula.text()
    conv1d.player.go_to(0)
    xs, ys = conv1d.tap_dots.getData()
    np.testing.assert_array_equal(xs, [-2, 0, 2])         # the first tap on the left padding
    np.testing.assert_allclose(ys, [0, x[0], x[2]])
    pad_x, _ = conv1d.padding_dots.getData()
    np.testing.assert_array_equal(sorted(pad_x), [-2, -1, 32, 33])
    assert "+ bias 0.50" in conv1d.products.text()


def test_conv1d_kernel_edit_by_typing_and_taps(conv1d):
    set_spin(conv1d.taps_spin, 5)
    assert conv1d.kernel_combo.currentText() == "Custom"
    np.testing.assert_allclose(conv1d.kernel(), [1 / 3, 1 / 3, 1 / 3, 0, 0], rtol=1e-6)
    assert conv1d.kernel_grid.columnCount() == 5
    type_into(conv1d.kernel_grid, 0, 4, "2")
    np.testing.assert_allclose(conv1d.kernel(), [1 / 3, 1 / 3, 1 / 3, 0, 2], rtol=1e-6)
    x = make_signal("noisy mixture", 32, 0)
    np.testing.assert_allclose(conv1d.trace.output[0], torch_conv1d(x, conv1d.kernel()),
                               rtol=1e-5, atol=1e-6)
    assert conv1d.trace.output.shape == (1, 28) and "kernel_size=5" in conv1d.code_panel.code()


def test_conv1d_bad_cell_and_no_output_keep_the_previous_result(conv1d):
    before = conv1d.trace.output.copy()
    for bad, why in (("abc", "'abc' is not a number"), ("nan", "not a finite number")):
        type_into(conv1d.kernel_grid, 0, 1, bad)
        assert why in conv1d.error_label.text() and conv1d.has_error()
        assert "row 1, column 2" in conv1d.messages[-1][0] and conv1d.messages[-1][1] == "error"
        assert conv1d.kernel_grid.item(0, 1).text() == "0.3333"
        np.testing.assert_array_equal(conv1d.trace.output, before)
    set_spin(control(conv1d, "signal.length"), 4)
    four = conv1d.trace.output.copy()
    assert four.shape == (1, 2) and not conv1d.has_error()        # the cause was fixed
    set_spin(conv1d.geometry_form.spins["dilation"][0], 3)             # span 7 > 4 samples
    assert "no output" in conv1d.error_label.text() and "spans 7 samples" in \
        conv1d.error_label.text()
    assert conv1d.messages[-1][1] == "error"
    np.testing.assert_array_equal(conv1d.trace.output, four)      # the length-4 result, kept
    with pytest.raises(RuntimeError):                             # torch refuses it too
        torch_conv1d(make_signal("noisy mixture", 4, 0), KERNELS_1D["moving average (3)"], d=3)


def test_conv1d_jump_to_an_output_position(conv1d):
    conv1d.jump_to_position(10.2)    # moving average (3): output i is drawn at i + 1
    assert conv1d.player.index == 9
    ox, _ = conv1d.output_curve.getData()
    assert len(ox) == 10
    vb = conv1d.output_plot.getPlotItem().vb           # a real click near the sample at x = 21
    y = float(np.mean(vb.viewRange()[1]))
    point = conv1d.output_plot.mapFromScene(vb.mapViewToScene(QPointF(21.1, y)))
    QTest.mouseClick(conv1d.output_plot.viewport(), Qt.LeftButton, Qt.NoModifier, point)
    assert conv1d.player.index == 20


# -- errors reach the page ------------------------------------------------------------------------

def test_errors_of_both_tabs_reach_the_page_and_the_app_state(shown):
    state = AppState()
    page = shown(ConvolutionPage(app_state=state), 1050, 640)
    seen, shared = [], []
    page.message.connect(lambda text, level: seen.append((text, level)))
    state.message.connect(lambda text, level, source: shared.append((level, source)))
    bar = page.tabs.tabBar()
    QTest.mouseClick(bar, Qt.LeftButton, Qt.NoModifier, bar.tabRect(1).center())
    assert page.tabs.currentWidget() is page.conv1d and page.state()["page"]["tab"] == 1
    type_into(page.conv1d.kernel_grid, 0, 0, "x")
    assert seen[-1][1] == "error" and "Kernel tap row 1, column 1" in seen[-1][0]
    assert shared[-1] == ("error", "convolution")
    QTest.mouseClick(bar, Qt.LeftButton, Qt.NoModifier, bar.tabRect(2).center())
    assert page.tabs.currentWidget() is page.transposed
    type_into(page.transposed.input_grid, 1, 0, "")
    assert seen[-1][1] == "error" and "row 2, column 1: is empty" in seen[-1][0]
    assert shared[-1] == ("error", "convolution")


# -- transposed -----------------------------------------------------------------------------------

@pytest.fixture
def transposed(shown):
    return listen(shown(TransposedConvPanel(), 1050, 640))


def torch_transposed(x, w, b=0.0, s=1, p=0, op=0, d=1):
    return F.conv_transpose2d(torch.tensor(x, dtype=torch.float32)[None, None],
                              torch.tensor(w, dtype=torch.float32)[None, None],
                              torch.tensor([b], dtype=torch.float32), s, p, op, 1, d)[0, 0].numpy()


X = [[1, 2], [3, 4]]


def test_transposed_default_2x2_ones_stride_2(transposed):
    ref = torch_transposed(X, np.ones((3, 3)), s=2)
    np.testing.assert_array_equal(transposed.trace.output[0], ref)
    assert ref.shape == (5, 5) and ref[2, 2] == 10
    assert transposed.player.count == 4
    code = transposed.code_panel.code()
    assert "nn.ConvTranspose2d(in_channels=1, out_channels=1, kernel_size=3, stride=2)" in code
    assert "torch.Size([1, 1, 5, 5])" in code
    formula = transposed.formula.text()
    assert "= (2 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1 = 5" in formula and "2×2 → 5×5" in formula


def test_transposed_steps_stamp_and_sum(transposed):
    transposed.player.go_to(1)     # input (0, 1) = 2: a stamp of 2s at columns 2-4
    np.testing.assert_array_equal(transposed.stamp_view.values(), np.full((3, 3), 2))
    canvas = transposed.canvas_view.values()
    np.testing.assert_array_equal(canvas[0], [1, 1, 3, 2, 2])      # overlap: 1 + 2 in column 2
    assert not canvas[3:].any()
    assert transposed.canvas_view.highlight() == (0, 2, 3, 3)
    assert transposed.caption.text().startswith(
        "Input (0, 1) = 2 × kernel, added to canvas rows 0–2, cols 2–4")
    assert transposed.input_view.highlight() == (0, 1, 1, 1)
    transposed.player.last()
    np.testing.assert_array_equal(transposed.output_view.values(), transposed.trace.output[0])
    assert transposed.output_view.values()[2, 2] == 10             # all four stamps overlap


def test_transposed_click_on_an_input_cell_jumps(transposed):
    click_cell(transposed.input_view, 1, 0)
    assert transposed.player.index == 2
    assert transposed.caption.text().startswith("Input (1, 0) = 3 × kernel")
    click_cell(transposed.input_view, 1, 1)
    assert transposed.player.index == 3


def test_transposed_padding_crops_and_bias(transposed):
    set_spin(control(transposed, "padding"), 1)
    set_spin(control(transposed, "output_padding"), 1)
    set_spin(control(transposed, "bias"), 0.5)
    ref = torch_transposed(X, np.ones((3, 3)), 0.5, 2, 1, 1)
    assert ref.shape == (4, 4)
    np.testing.assert_allclose(transposed.trace.output[0], ref)
    transposed.player.last()
    np.testing.assert_allclose(transposed.output_view.values(), ref)
    assert transposed.canvas_view.values().shape == (6, 6)
    assert transposed.canvas_view.highlight("crop") == (1, 1, 4, 4)
    assert "padding=1, output_padding=1" in transposed.code_panel.code()
    assert "padding 1 crops the rest" in transposed.caption.text()


def test_transposed_dilation_spreads_the_stamp(transposed):
    set_spin(control(transposed, "dilation"), 2)     # 3x3 taps two cells apart: a 5x5 stamp
    ref = torch_transposed(X, np.ones((3, 3)), s=2, d=2)
    assert ref.shape == (7, 7)
    transposed.player.go_to(1)                        # input (0, 1) = 2 lands at column 2
    canvas = transposed.canvas_view.values()
    np.testing.assert_array_equal(canvas[0], [1, 0, 3, 0, 3, 0, 2])  # 1 at 0,2,4; 2 at 2,4,6
    assert transposed.canvas_view.highlight() == (0, 2, 5, 5)
    assert sorted(transposed.canvas_view.marks()) == [(r, c) for r in (0, 2, 4)
                                                      for c in (2, 4, 6)]
    transposed.player.last()
    np.testing.assert_array_equal(transposed.output_view.values(), ref)
    code = transposed.code_panel.code()
    assert "stride=2, dilation=2" in code and "torch.Size([1, 1, 7, 7])" in code
    assert "2·(3 − 1) + 0 + 1 = 7" in transposed.formula.text()
    assert "2 cells apart" in transposed.caption.text()


def test_transposed_bilinear_preset_doubles_the_size(transposed):
    set_spin(transposed.input_size_spin, 3)
    x = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    np.testing.assert_array_equal(transposed.input_grid.values(), x)
    choose(transposed.kernel_combo, "bilinear 4×4 (2× upsampling)")
    assert (transposed.kernel_size_spin.value(), control(transposed, "stride").value(),
            control(transposed, "padding").value()) == (4, 2, 1)
    assert transposed.trace.output.shape == (1, 6, 6)
    f = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(transposed.trace.output[0],
                               torch_transposed(x, np.outer(f, f), 0, 2, 1), rtol=1e-6)
    assert "3×3 → 6×6" in transposed.formula.text()


def test_transposed_typed_edits_and_bad_settings(transposed):
    type_into(transposed.input_grid, 0, 0, "-1.5")
    type_into(transposed.kernel_grid, 1, 1, "3")
    assert transposed.kernel_combo.currentText() == "Custom"
    w = np.ones((3, 3))
    w[1, 1] = 3
    np.testing.assert_allclose(transposed.trace.output[0],
                               torch_transposed([[-1.5, 2], [3, 4]], w, s=2))
    before = transposed.trace.output.copy()
    set_spin(control(transposed, "output_padding"), 2)   # not smaller than stride 2
    assert "smaller than the stride" in transposed.error_label.text()
    assert transposed.messages[-1][1] == "error"
    np.testing.assert_array_equal(transposed.trace.output, before)
    with pytest.raises(RuntimeError):                   # torch refuses it too
        torch_transposed([[-1.5, 2], [3, 4]], w, s=2, op=2)
    type_into(transposed.input_grid, 1, 1, "inf")
    assert "not a finite number" in transposed.error_label.text()
    assert "row 2, column 2" in transposed.messages[-1][0]
    assert transposed.input_grid.values()[1, 1] == 4 and isinstance(transposed.input_grid,
                                                                     NumberGrid)
    np.testing.assert_array_equal(transposed.trace.output, before)
