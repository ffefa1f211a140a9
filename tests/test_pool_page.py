"""The Pooling page, driven through its controls: numbers against torch, steps, bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtWidgets import QMainWindow, QWidget

from gui.pages.pooling import FEATURE_MAP, RANDOM, SAMPLE, SAMPLE_GRID, PoolingPage


def torch_pool(x, k, s, p=0, mode="max"):
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    return fn(torch.from_numpy(np.asarray(x, np.float32))[None, None], k, s, p)[0, 0].numpy()


@pytest.fixture
def page(qtbot):
    p = PoolingPage()
    qtbot.addWidget(p)
    messages = []
    p.message.connect(lambda text, level: messages.append((text, level)))
    p.messages = messages
    return p


def test_default_is_max_2x2_stride_2_on_the_sample(page):
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 2, 2))
    assert page.player.count == 9 and page.player.index == 0
    code = page.code_panel.code()
    assert "nn.MaxPool2d(kernel_size=2)" in code and "torch.Size([1, 1, 3, 3])" in code
    assert "= <b>3</b>" in page.formula_label.text()
    # the input shows its numbers; the first output cell is filled in, the others blank
    assert page.input_view.cell_texts()[:3] == ["0.10", "0.90", "0.30"]
    texts = page.output_view.cell_texts()
    assert texts[0] == "0.90" and texts[1:] == [""] * 8


def test_stepping_fills_the_output_and_shows_the_window(page):
    page.player.go_to(4)  # output (1, 1): window rows 2-3, cols 2-3 = [[0.0, 0.5], [0.7, 0.4]]
    np.testing.assert_allclose(page.window_view.values(), [[0.0, 0.5], [0.7, 0.4]])
    assert "0.70" in page.window_label.text() and "row 1, col 0" in page.window_label.text()
    assert "Output (1, 1)" in page.step_label.text() and "rows 2&ndash;3" in page.step_label.text()
    texts = page.output_view.cell_texts()
    assert texts[:5] == ["0.90", "0.80", "0.70", "0.60", "0.70"] and texts[5:] == [""] * 4
    # one mark per finished window, on the maximum each kept (input coordinates, no padding)
    marks = [m.rect() for m in page.input_view._marks if m.isVisible()]
    assert len(marks) == 5
    assert (int(marks[4].top()), int(marks[4].left())) == (3, 2)
    page.player.last()
    assert page.output_view.cell_texts()[-1] == "0.70"


def test_clicking_an_output_cell_jumps_to_its_step(page):
    page.output_view.cellClicked.emit(2, 1)
    assert page.player.index == 7
    assert "Output (2, 1)" in page.step_label.text()


def test_overlapping_preset_and_padding(page):
    page.preset_combo.setCurrentIndex(1)  # 3x3, stride 2
    assert (page.window_spin.value(), page.stride_spin.value()) == (3, 2)
    page.padding_spin.setValue(1)
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 3, 2, 1))
    assert "nn.MaxPool2d(kernel_size=3, stride=2, padding=1)" in page.code_panel.code()
    # padding cells read -inf for max pooling
    assert page.input_view.cell_texts()[0] == "-inf"
    page.player.go_to(0)
    assert "and padding" in page.step_label.text()


def test_custom_values_switch_the_preset_to_custom(page):
    page.stride_spin.setValue(1)
    assert page.preset_combo.currentText() == "Custom"
    assert page.player.count == 25
    page.window_spin.setValue(3)  # 3x3 stride 1 is a preset again
    assert page.preset_combo.currentIndex() == 2


def test_average_mode(page):
    page.avg_radio.setChecked(True)
    page.padding_spin.setValue(1)
    np.testing.assert_allclose(page.current_output(), torch_pool(SAMPLE_GRID, 2, 2, 1, "avg"))
    assert "nn.AvgPool2d(kernel_size=2, padding=1)" in page.code_panel.code()
    page.player.go_to(0)  # corner: one real cell (0.1) and three padding zeros, divided by 4
    assert "0.03" in page.window_label.text() and "/ 4 cells" in page.window_label.text()
    assert page.input_view.cell_texts()[0] == "0.00"


def test_settings_without_output_keep_the_previous_result(page):
    before = page.current_output().copy()
    page.window_spin.setValue(7)
    assert page.error_label.isVisibleTo(page)
    assert "floor" in page.error_label.text() or "&lfloor;" in page.error_label.text()
    assert page.messages[-1][1] == "error"
    np.testing.assert_array_equal(page.current_output(), before)
    page.window_spin.setValue(3)
    assert not page.error_label.isVisibleTo(page)


def test_padding_over_half_the_window_is_explained(page):
    page.padding_spin.setValue(2)  # window 2: PyTorch allows at most 1
    assert "at most 1" in page.error_label.text()
    assert page.current_output().shape == (3, 3)


def test_random_grid_and_its_size(page):
    page.new_random_button.click()
    assert page.source_combo.currentIndex() == RANDOM
    grid = page.input_grid.copy()
    assert grid.shape == (8, 8)
    np.testing.assert_array_equal(page.current_output(), torch_pool(grid, 2, 2))
    page.size_spin.setValue(10)
    assert page.input_grid.shape == (10, 10) and page.current_output().shape == (5, 5)
    page.new_random_button.click()
    assert not np.array_equal(page.input_grid, np.zeros(0)) and page.input_grid.shape == (10, 10)


def test_shift_keeps_most_max_outputs(page):
    grid = np.zeros((6, 6), np.float32)
    grid[1, 2] = 1.0  # a single feature; shifting it right stays inside its 2x2 window
    page._set_input(grid)
    before = page.current_output().copy()
    page.shift_button.click()
    np.testing.assert_array_equal(page.input_grid, np.roll(grid, 1, axis=1))
    np.testing.assert_array_equal(page.current_output(), before)


def test_feature_map_source_without_the_main_window_says_why(page):
    page.source_combo.setCurrentIndex(FEATURE_MAP)
    assert page.source_combo.currentIndex() == SAMPLE  # stayed on the previous source
    assert "Convolution page" in page.error_label.text()
    assert page.messages[-1][1] == "error"


class FakeConvPage(QWidget):
    def __init__(self, fmap):
        super().__init__()
        self.fmap = fmap

    def current_feature_map(self):
        return self.fmap


class FakeWindow(QMainWindow):
    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def page(self, page_id):
        assert page_id == "convolution"
        return self.conv


def test_feature_map_from_the_convolution_page(qtbot):
    fmap = np.random.default_rng(1).standard_normal((9, 11)).astype(np.float32)
    conv = FakeConvPage(None)
    window = FakeWindow(conv)
    qtbot.addWidget(window)
    qtbot.addWidget(conv)
    page = PoolingPage()
    window.setCentralWidget(page)
    page.source_combo.setCurrentIndex(FEATURE_MAP)  # nothing computed yet
    assert page.source_combo.currentIndex() == SAMPLE
    assert "run a convolution" in page.error_label.text()
    conv.fmap = fmap
    page.source_combo.setCurrentIndex(FEATURE_MAP)
    assert page.source_combo.currentIndex() == FEATURE_MAP
    np.testing.assert_array_equal(page.current_output(), torch_pool(fmap, 2, 2))
    assert page.current_output().shape == (4, 5)
    assert "9 x 11 &rarr; <b>4 x 5</b>" in page.formula_label.text()
    # a new map on the Convolution page is picked up when the page is opened again
    conv.fmap = fmap[:6, :6] * 2
    page.page_opened()
    np.testing.assert_array_equal(page.current_output(), torch_pool(fmap[:6, :6] * 2, 2, 2))


def test_settings_are_kept_for_the_next_session(qtbot, page):
    page.avg_radio.setChecked(True)
    page.window_spin.setValue(3)
    page.padding_spin.setValue(1)
    page.size_spin.setValue(6)
    page.source_combo.setCurrentIndex(RANDOM)
    grid = page.input_grid.copy()
    page.shutdown()                               # what closing the window does

    again = PoolingPage()
    qtbot.addWidget(again)
    s = again.settings
    assert (s.mode, s.window, s.stride, s.padding, s.source) == ("avg", 3, 2, 1, RANDOM)
    assert again.avg_radio.isChecked() and again.preset_combo.currentText() == page.preset_combo.currentText()
    np.testing.assert_array_equal(again.input_grid, grid)          # the same random grid
    np.testing.assert_allclose(again.trace.output[0], torch_pool(grid, 3, 2, 1, "avg"), atol=1e-6)


def test_feature_map_source_is_not_restored(qtbot, page):
    from gui.app import app_settings
    app_settings().setValue("pooling/source", FEATURE_MAP)
    app_settings().setValue("pooling/window", "big")
    again = PoolingPage()
    qtbot.addWidget(again)
    assert again.settings.source == SAMPLE and again.settings.window == 2
    np.testing.assert_array_equal(again.input_grid, SAMPLE_GRID)
