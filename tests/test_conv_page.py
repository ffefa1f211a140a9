"""The Convolution page through its controls: what the views, formula and code show."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.images import WORKED_EXAMPLE, WORKED_KERNEL
from gui.pages.convolution import GRID_PREFIX, Conv2dPanel, ConvolutionPage, parse_grid
from gui.widgets.kernel_editor import KernelEditor


@pytest.fixture
def page(qtbot):
    p = ConvolutionPage()
    qtbot.addWidget(p)
    p.resize(1400, 900)
    return p


def _torch_conv(x, w, b=None, **kw):
    x = torch.from_numpy(np.asarray(x, np.float32))
    x = x[None, None] if x.ndim == 2 else x[None]
    w = torch.from_numpy(np.asarray(w, np.float32))
    w = w[None, None] if w.ndim == 2 else w
    b = None if b is None else torch.from_numpy(np.asarray(b, np.float32))
    return F.conv2d(x, w, b, **kw)[0].numpy()


def test_opens_on_the_worked_example(page):
    p = page.conv2d
    assert [page.tabs.tabText(i) for i in range(3)] == ["2-D convolution", "1-D signal", "Transposed"]
    np.testing.assert_allclose(p.trace.output[0], [[1.60, 2.59], [1.51, 1.91]], atol=1e-5)
    assert p.player.count == 4
    p.player.go_to(0)
    # the first step's products and their sum, as shown
    np.testing.assert_allclose(p.products_view.views[0].values(),
                               [[.05, .04, .06], [.04, .18, .45], [0, .64, .14]], atol=1e-6)
    assert "= 1.600" in p.products_view.equation.text()
    assert "0.50×0.10" in p.products_view.terms.text()
    # output fills in: only the first cell has a number yet
    assert p.output_view.cell_texts() == ["1.60", "", "", ""]
    p.player.step_forward()
    assert p.output_view.cell_texts() == ["1.60", "2.59", "", ""]
    assert "H_out = ⌊(4 + 2·0 − 1·(3−1) − 1) / 1⌋ + 1 = 2" in p.formula_label.text()


def test_stride_padding_dilation_change_trace_formula_and_code(page):
    p = page.conv2d
    p.set_source("Numbers: gradient 5×5")
    p.kernel_editor.apply_preset("Sobel x")
    p.padding_h.setValue(1)
    p.stride_h.setValue(2)
    x = p.trace.x[0]
    np.testing.assert_allclose(p.trace.output[0], _torch_conv(x, p.kernel_editor.weights()[0, 0],
                                                              stride=2, padding=1)[0], atol=1e-6)
    assert p.trace.output.shape == (1, 3, 3) and p.player.count == 9
    assert "H_out = ⌊(5 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1 = 3" in p.formula_label.text()
    code = p.code_panel.code()
    assert "nn.Conv2d(in_channels=1, out_channels=1, kernel_size=3, stride=2, padding=1)" in code
    assert "torch.Size([1, 1, 3, 3])" in code
    # the padded input: 7x7 with the padding ring marked
    assert p.input_view.values().shape == (7, 7)
    assert p.trace.padding_mask().sum() == 49 - 25
    # separate width settings
    p.separate_hw.setChecked(True)
    p.stride_w.setValue(1)
    p.dilation_w.setValue(2)
    assert p.trace.output.shape == (1, 3, 3)  # W: (5 + 2 - 2*2 - 1)/1 + 1 = 3
    assert "stride=(2, 1)" in p.code_panel.code() and "dilation=(1, 2)" in p.code_panel.code()
    assert "W_out = ⌊(5 + 2·1 − 2·(3−1) − 1) / 1⌋ + 1 = 3" in p.formula_label.text()
    # dilation marks the tapped cells
    p.player.go_to(0)
    assert len([m for m in p.input_view._marks if m.isVisible()]) == 9


def test_clicking_an_output_cell_jumps_to_its_step(page):
    p = page.conv2d
    p.set_source("Numbers: vertical edge 6×6")
    assert p.player.count == 16
    p.output_view.cellClicked.emit(2, 3)
    assert p.player.index == 2 * 4 + 3
    assert p.trace.steps[p.player.index].out_index == (0, 2, 3)
    assert "output cell (row 2, col 3)" in p.step_label.text()
    # the window is highlighted at stride * (i, j) in the padded input
    rect = p.input_view._highlights["main"].rect()
    assert (rect.y(), rect.x(), rect.height(), rect.width()) == (2, 3, 3, 3)


def test_bad_kernel_cell_keeps_the_previous_kernel(page, qtbot):
    p = page.conv2d
    before = p.trace.output.copy()
    messages = []
    page.message.connect(lambda text, level: messages.append((text, level)))
    for bad in ("abc", "nan", "inf"):
        p.kernel_editor.table.item(1, 2).setText(bad)
        assert p.kernel_editor.has_error()
        assert "row 2, column 3" in p.kernel_editor.error_text()
        np.testing.assert_array_equal(p.kernel_editor.weights()[0, 0], WORKED_KERNEL)
        np.testing.assert_array_equal(p.trace.output, before)
        assert messages[-1][1] == "error"
    assert "'abc' is not a number" in messages[0][0]
    assert "NaN and infinity" in messages[1][0]
    # fixing the cell applies it
    p.kernel_editor.table.item(1, 2).setText("-1")
    assert not p.kernel_editor.has_error()
    w = WORKED_KERNEL.copy()
    w[1, 2] = -1
    np.testing.assert_allclose(p.trace.output[0], _torch_conv(WORKED_EXAMPLE, w)[0], atol=1e-6)


def test_settings_with_no_output_show_why_and_keep_state(page):
    p = page.conv2d
    before = p.trace.output.copy()
    p.kernel_editor.set_kernel_size(5)  # 5x5 kernel on the 4x4 grid, no padding
    assert p.settings_error.isVisibleTo(p)
    assert "kernel height 5 is larger than the padded input 4 + 2·0 = 4" in \
        p.settings_error.text()
    assert "no output" in p.formula_label.text()
    np.testing.assert_array_equal(p.trace.output, before)
    assert "RuntimeError" in p.code_panel.code()
    p.padding_h.setValue(1)  # padding rescues it
    assert not p.settings_error.isVisibleTo(p)
    assert p.trace.output.shape == (1, 2, 2)


def test_rgb_mode_shows_channel_partial_sums(page):
    p = page.conv2d
    p.rgb_radio.setChecked(True)
    assert p.trace.x.shape == (3, 4, 4)
    assert p.kernel_editor.weights().shape == (1, 3, 3, 3)
    p.kernel_editor.set_bias(0.5)
    p.player.go_to(0)
    step = p.trace.steps[0]
    assert len(p.products_view.views) == 3
    text = p.products_view.equation.text()
    for c, name in enumerate("RGB"):
        assert f"{step.channel_sums[c]:.3f} ({name})" in text
    assert f"0.500 (bias) = {step.value:.3f}" in text
    np.testing.assert_allclose(p.trace.output, _torch_conv(p.trace.x, p.kernel_editor.weights(),
                                                           p.kernel_editor.bias()), atol=1e-5)
    assert "in_channels=3" in p.code_panel.code()


def test_switching_grey_while_settings_give_no_output_keeps_the_rgb_trace_whole(page):
    # found by random clicking: the products view followed the radio button, not the trace
    p = page.conv2d
    p.rgb_radio.setChecked(True)
    p.kernel_editor.set_kernel_size(5)           # no output on the 4x4 grid: RGB trace kept
    assert p.settings_error.isVisibleTo(p) and p.trace.x.shape[0] == 3
    p.gray_radio.setChecked(True)                # still no output: the RGB trace stays shown
    assert p.trace.x.shape[0] == 3 and len(p.products_view.views) == 3
    p.activation_combo.setCurrentIndex(p.activation_combo.findData("relu"))   # redraws the step
    p.player.go_to(1)
    assert f"({'RGB'[2]})" in p.products_view.equation.text()
    p.kernel_editor.set_kernel_size(3)           # output again, in grey now
    assert p.trace.x.shape[0] == 1 and len(p.products_view.views) == 1


def test_several_filters_give_one_map_each(page):
    p = page.conv2d
    p.kernel_editor.add_filter()
    p.kernel_editor.add_filter()
    assert p.trace.output.shape == (3, 2, 2) and p.map_grid.count == 3
    assert p.player.count == 12 and "out_channels=3" in p.code_panel.code()
    p.filter_combo.setCurrentIndex(2)
    p.filter_combo.activated.emit(2)
    assert p.trace.steps[p.player.index].out_index[0] == 2
    np.testing.assert_allclose(p.output_view.values(), p.trace.output[2])


def test_activation_changes_map_curve_and_code(page):
    p = page.conv2d
    p.kernel_editor.apply_preset("Sobel x")
    p.activation_combo.setCurrentIndex(p.activation_combo.findData("leaky_relu"))
    p.slope_spin.setValue(0.2)
    out = p.trace.output[0]
    expected = np.where(out > 0, out, 0.2 * out)
    np.testing.assert_allclose(page.current_feature_map(), expected, rtol=1e-6)
    np.testing.assert_allclose(p.activated_view.values(), expected, rtol=1e-6)
    xs, ys = p.curve.getData()
    np.testing.assert_allclose(ys, np.where(xs > 0, xs, 0.2 * xs), rtol=1e-6)
    assert "nn.LeakyReLU(negative_slope=0.2)" in p.code_panel.code()
    p.activation_combo.setCurrentIndex(p.activation_combo.findData("relu"))
    assert page.current_feature_map().min() >= 0


def test_photo_input_whole_output(page):
    p = page.conv2d
    p.set_source("Photo: coins")
    assert p.trace.x.shape == (1, 303, 384)
    assert p.reveal_check.isChecked()
    assert p.output_view.values().shape == (301, 382)


def test_corrupt_and_huge_image_files(page, tmp_path):
    from PIL import Image
    p = page.conv2d
    messages = []
    page.message.connect(lambda text, level: messages.append((text, level)))
    before = p.trace.output.copy()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert not p.load_image_file(str(bad))
    assert p.input_error.isVisibleTo(p) and "broken.png" in p.input_error.text()
    assert messages[-1][1] == "error"
    np.testing.assert_array_equal(p.trace.output, before)
    Image.new("L", (1200, 600), 200).save(tmp_path / "big.png")
    assert p.load_image_file(str(tmp_path / "big.png"))
    assert p.trace.x.shape == (1, 256, 512)
    assert "shrunk from 1200×600" in p.input_info.text() and messages[-1][1] == "warning"
    assert not p.input_error.isVisibleTo(p)


def test_drawing_pad_and_typed_grid(page):
    p = page.conv2d
    p.set_source("Drawing pad")
    assert p.trace.x.shape == (1, 10, 10) and p.trace.x.sum() == 0
    p.padding_h.setValue(1)
    p.input_view.cellPainted.emit(1, 1, False)   # padded (1, 1) is input (0, 0)
    p.input_view.cellPainted.emit(3, 4, False)
    assert p.trace.x[0, 0, 0] == 1 and p.trace.x[0, 2, 3] == 1 and p.trace.x.sum() == 2
    p.input_view.cellPainted.emit(1, 1, True)
    assert p.trace.x.sum() == 1
    p.grid_edit.setPlainText("1 2 3\n4 5 6\n7 8 9")
    assert p.apply_typed_grid()
    np.testing.assert_array_equal(p.trace.x[0], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    p.grid_edit.setPlainText("1 2 3\n4 x 6")
    assert not p.apply_typed_grid()
    assert "'x' is not a number" in p.input_error.text()
    np.testing.assert_array_equal(p.trace.x[0], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])


def test_parse_grid_errors():
    np.testing.assert_array_equal(parse_grid("1, 2\n3; 4"), [[1, 2], [3, 4]])
    for text, why in [("", "empty"), ("1 2\n3", "different lengths"), ("1 inf", "finite")]:
        with pytest.raises(ValueError, match=why):
            parse_grid(text)


def test_kernel_editor_sizes_presets_and_channels(qtbot):
    ed = KernelEditor(size=3, preset="box blur")
    qtbot.addWidget(ed)
    with qtbot.waitSignal(ed.kernelChanged):
        ed.set_kernel_size(5)
    np.testing.assert_allclose(ed.weights()[0, 0], np.full((5, 5), 1 / 25), rtol=1e-6)
    assert ed.table.rowCount() == 5 and ed.table.item(0, 0).text() == "0.04"
    ed.preset_combo.setCurrentText("±1 edge: dark left")
    ed.preset_combo.activated.emit(ed.preset_combo.currentIndex())
    assert ed.weights()[0, 0, 1:4, 1:4].tolist() == [[-1, 1, 0], [-1, 1, 0], [-1, 1, 0]]
    ed.set_in_channels(3)
    assert ed.weights().shape == (1, 3, 5, 5) and ed.channel_tabs.isVisibleTo(ed)
    ed.select_channel(1)
    ed.table.item(0, 0).setText("2.5")
    w = ed.weights()
    assert w[0, 1, 0, 0] == 2.5 and w[0, 0, 0, 0] == 0 and w[0, 2, 0, 0] == 0
    assert "channel G" not in ed.error_text()
    ed.table.item(0, 1).setText("1e999")
    assert "channel G" in ed.error_text() and ed.weights()[0, 1, 0, 1] == w[0, 1, 0, 1]


def test_settings_are_kept_for_the_next_session(qtbot):
    from gui.app import app_settings
    first = Conv2dPanel()
    qtbot.addWidget(first)
    first.set_source(GRID_PREFIX + "digit seven 8×8")
    first.separate_hw.setChecked(True)
    first.stride_h.setValue(2)
    first.padding_w.setValue(1)
    first.dilation_h.setValue(2)
    first.activation_combo.setCurrentIndex(first.activation_combo.findData("leaky_relu"))
    first.slope_spin.setValue(0.25)
    first.save_settings()

    again = Conv2dPanel()
    qtbot.addWidget(again)
    assert again.source_combo.currentText() == GRID_PREFIX + "digit seven 8×8"
    assert again.separate_hw.isChecked() and not again.rgb_radio.isChecked()
    assert (again.settings.stride, again.settings.padding, again.settings.dilation) == \
        ((2, 1), (0, 1), (2, 1))
    assert (again.settings.activation, again.settings.slope) == ("leaky_relu", 0.25)
    x = torch.tensor(again._input)[None, None]
    w = torch.tensor(again.kernel_editor.weights())
    ref = F.conv2d(x, w, torch.tensor(again.kernel_editor.bias()), (2, 1), (0, 1), (2, 1))[0]
    np.testing.assert_allclose(again.trace.output, ref.numpy(), atol=1e-5)

    # unreadable or out-of-range values fall back: no crash, defaults kept
    store = app_settings()
    store.setValue("convolution/stride_h", "two")
    store.setValue("convolution/padding_h", 99)
    store.setValue("convolution/source", "Photo: no such photo")
    store.setValue("convolution/activation", "swish")
    third = Conv2dPanel()
    qtbot.addWidget(third)
    assert third.stride_h.value() == 1 and third.padding_h.value() == third.padding_h.maximum()
    assert third.settings.activation == "none"
    assert third.source_combo.currentText() == GRID_PREFIX + "worked example 4×4"
