"""The Pooling page through real clicks and keys: numbers against torch, the steps and their
marks, bad settings, the shift comparison, the Convolution page's feature map through AppState,
state round trip and bad states."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton, QRadioButton

from gui.bind import StateError
from gui.pages.convolution import ConvolutionPage
from gui.pages.pooling import PoolingPage
from gui.pages.pooling.pool_panel import FEATURE_MAP, NO_FEATURE_MAP, RANDOM, SAMPLE_GRID
from gui.pages.pooling.translation import shift_right
from gui.state import AppState
from gui.widgets.input_source import GRID_PREFIX
from tests.test_conv_page import choose, click_cell, set_spin

SAMPLE = GRID_PREFIX + "sample 6×6"


def torch_pool(x, k, s, p=0, mode="max"):
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    return fn(torch.from_numpy(np.asarray(x, np.float32))[None, None], k, s, p)[0, 0].numpy()


def make_page(shown, app_state=None):
    page = shown(PoolingPage(app_state=app_state or AppState()), 1050, 640)
    page.messages = []
    page.message.connect(lambda text, level: page.messages.append((text, level)))
    return page


@pytest.fixture
def page(shown):
    return make_page(shown)


def button(panel, kind, text):
    """The panel's button labelled `text` (the one a user would click)."""
    found = [b for b in panel.findChildren(kind) if b.text() == text]
    assert len(found) == 1, text
    return found[0]


def spins(panel):
    return {n: panel.geometry_form.spins[n][0] for n in ("kernel", "stride", "padding")}


def test_default_is_max_2x2_stride_2_on_the_sample(page):
    p = page.panel
    assert p.input_box.source == SAMPLE
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 2, 2))
    np.testing.assert_allclose(page.current_output(), [[.9, .8, .7], [.6, .7, .9], [.9, .6, .7]],
                               atol=1e-6)
    assert p.player.count == 9 and p.player.index == 0
    code = p.code_panel.code()
    assert "nn.MaxPool2d(kernel_size=2)" in code and "torch.Size([1, 1, 3, 3])" in code
    assert "H_out = ⌊(6 − 2 + 2·0) / 2⌋ + 1 = 3" in p.geometry_form.formula.text()
    assert "6×6 → 3×3" in p.geometry_form.formula.text()
    assert p.input_view.cell_texts()[:3] == ["0.10", "0.90", "0.30"]
    texts = p.output_view.cell_texts()
    assert texts[0] == "0.90" and texts[1:] == [""] * 8     # not computed yet: blank
    assert p.input_view.marks() == [(0, 1)] and p.window_view.marks() == [(0, 1)]


def test_stepping_fills_the_output_and_marks_each_kept_maximum(page):
    p = page.panel
    p.player.go_to(4)   # output (1, 1): window rows 2-3, cols 2-3 = [[0.0, 0.5], [0.7, 0.4]]
    np.testing.assert_allclose(p.window_view.values(), [[0.0, 0.5], [0.7, 0.4]])
    assert p.window_view.marks() == [(1, 0)]
    assert "max = <b>0.70</b>" in p.window_label.text()
    assert "row 1, col 0" in p.window_label.text()
    assert p.caption.text() == "Output (1, 1) = maximum of input rows 2–3, cols 2–3 = 0.70"
    assert p.input_view.highlight() == (2, 2, 2, 2) and p.output_view.highlight() == (1, 1, 1, 1)
    texts = p.output_view.cell_texts()
    assert texts[:5] == ["0.90", "0.80", "0.70", "0.60", "0.70"] and texts[5:] == [""] * 4
    # one mark per finished window, on the maximum each kept (input coordinates, no padding)
    assert p.input_view.marks() == [(0, 1), (1, 2), (1, 5), (2, 1), (3, 2)]
    for r, c in p.input_view.marks():
        i, j = r // 2, c // 2
        assert SAMPLE_GRID[r, c] == page.current_output()[i, j]
    p.player.last()
    assert p.output_view.cell_texts()[-1] == "0.70" and len(p.input_view.marks()) == 9


def test_clicking_an_output_cell_jumps_to_its_step(page):
    p = page.panel
    click_cell(p.output_view, 2, 1)           # a cell not computed yet (covered) still answers
    assert p.player.index == 7
    assert p.caption.text().startswith("Output (2, 1) = maximum of input rows 4–5, cols 2–3")
    assert p.input_view.highlight() == (4, 2, 2, 2)
    click_cell(p.output_view, 0, 2)
    assert p.player.index == 2


def test_overlapping_preset_and_padding(page):
    p = page.panel
    choose(p.preset_combo, "3×3, stride 2 (AlexNet)")
    assert (spins(p)["kernel"].value(), spins(p)["stride"].value()) == (3, 2)
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 3, 2))
    set_spin(spins(p)["padding"], 1)
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 3, 2, 1))
    assert page.current_output().shape == (3, 3)
    assert "nn.MaxPool2d(kernel_size=3, stride=2, padding=1)" in p.code_panel.code()
    assert p.input_view.cell_texts()[0] == "-inf"     # max pooling's padding is never kept
    assert p.input_view.values().shape == (8, 8)
    p.player.go_to(0)
    assert "and padding" in p.caption.text() and "rows 0–1, cols 0–1" in p.caption.text()
    assert p.input_view.marks()[0] == (1, 2)          # 0.9 at input (0, 1), padded (1, 2)


def test_custom_values_switch_the_preset_to_custom(page):
    p = page.panel
    set_spin(spins(p)["stride"], 1)
    assert p.preset_combo.currentText() == "Custom" and p.player.count == 25
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 2, 1))
    set_spin(spins(p)["kernel"], 3)                   # 3x3 stride 1 is a preset again
    assert p.preset_combo.currentText() == "3×3, stride 1" and p.player.count == 16


def test_average_mode(page):
    p = page.panel
    QTest.mouseClick(button(p, QRadioButton, "Average"), Qt.LeftButton)
    assert p.settings.mode == "avg"
    np.testing.assert_allclose(page.current_output(), torch_pool(SAMPLE_GRID, 2, 2, 0, "avg"),
                               atol=1e-6)
    set_spin(spins(p)["padding"], 1)
    np.testing.assert_allclose(page.current_output(), torch_pool(SAMPLE_GRID, 2, 2, 1, "avg"),
                               atol=1e-6)
    assert "nn.AvgPool2d(kernel_size=2, padding=1)" in p.code_panel.code()
    p.player.go_to(0)   # corner: one real cell (0.1) and three padding zeros, divided by 4
    assert "mean = 0.10 / 4" in p.window_label.text() and "<b>0.03</b>" in p.window_label.text()
    assert p.input_view.cell_texts()[0] == "0.00" and p.input_view.marks() == []
    assert "= mean of input row 0, col 0 and padding = 0.03" in p.caption.text()


def test_settings_with_no_output_keep_the_previous_result(page):
    p = page.panel
    before = page.current_output().copy()
    set_spin(spins(p)["kernel"], 7)                   # 7x7 window on a 6x6 input
    assert p.has_error()
    assert "floor((6 + 2*0 - 7) / 2) + 1 = 0" in p.error_label.text()
    assert "previous result" in p.error_label.text()
    assert page.messages[-1][1] == "error" and "No output" in page.messages[-1][0]
    assert "no output" in p.geometry_form.formula.text()
    np.testing.assert_array_equal(page.current_output(), before)
    set_spin(spins(p)["kernel"], 3)
    assert not p.has_error() and page.messages[-1] == ("", "clear")
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 3, 2))


def test_padding_over_half_the_window_is_explained(page):
    p = page.panel
    set_spin(spins(p)["padding"], 2)                  # window 2: PyTorch allows at most 1
    assert p.has_error() and "at most 1" in p.error_label.text()
    assert "more than half the window" in p.error_label.text()
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 2, 2))
    with pytest.raises(RuntimeError):                 # torch refuses it too
        torch_pool(SAMPLE_GRID, 2, 2, 2)


def test_random_grid_its_size_and_new_numbers(page):
    p = page.panel
    choose(p.input_box.combo, RANDOM)
    grid = p.input_box.current().copy()
    assert grid.shape == (8, 8) and 0 <= grid.min() and grid.max() <= 1
    np.testing.assert_array_equal(page.current_output(), torch_pool(grid, 2, 2))
    assert p.player.count == 16
    set_spin(page.controls()["pooling.random_size"], 10)
    assert p.input_box.current().shape == (10, 10) and page.current_output().shape == (5, 5)
    ten = p.input_box.current().copy()
    np.testing.assert_array_equal(page.current_output(),
                                  torch_pool(ten, 2, 2))
    QTest.mouseClick(button(p, QPushButton, "New random grid"), Qt.LeftButton)
    assert p.settings.seed == 1 and p.input_box.current().shape == (10, 10)
    assert not np.array_equal(p.input_box.current(), ten)
    np.testing.assert_array_equal(page.current_output(), torch_pool(p.input_box.current(), 2, 2))


def test_shift_by_one_keeps_most_max_outputs(page):
    p = page.panel
    grid = np.zeros((6, 6), np.float32)
    grid[1, 2] = 1.0          # one feature; moved one column right it stays in its 2x2 window
    assert p.input_box.use_typed("\n".join(" ".join(f"{v:g}" for v in row) for row in grid))
    before = page.current_output().copy()
    QTest.mouseClick(p.shift_view.shift_button, Qt.LeftButton)
    np.testing.assert_array_equal(p.grid(), np.roll(grid, 1, axis=1))
    np.testing.assert_array_equal(page.current_output(), before)
    np.testing.assert_array_equal(page.current_output(), torch_pool(p.grid(), 2, 2))
    assert p.shift_view.changed == [] and "9 of 9 outputs stayed the same" in \
        p.shift_view.summary.text()
    QTest.mouseClick(p.shift_view.shift_button, Qt.LeftButton)   # now it crosses a window edge
    assert p.settings.shift == 2 and p.shift_view.changed == [(0, 1), (0, 2)]
    assert "7 of 9" in p.shift_view.summary.text()
    QTest.mouseClick(p.shift_view.undo_button, Qt.LeftButton)
    np.testing.assert_array_equal(p.grid(), grid)
    np.testing.assert_array_equal(page.current_output(), before)


def test_shift_on_the_sample_marks_what_torch_changes(page):
    p = page.panel
    QTest.mouseClick(p.shift_view.shift_button, Qt.LeftButton)
    a, b = torch_pool(SAMPLE_GRID, 2, 2), torch_pool(shift_right(SAMPLE_GRID, 1), 2, 2)
    expected = [tuple(map(int, rc)) for rc in np.argwhere(a != b)]
    assert p.shift_view.changed == expected and len(expected) == 5
    assert p.shift_view.after_view.marks() == expected
    np.testing.assert_array_equal(p.shift_view.before_view.values(), a)
    assert "4 of 9 outputs stayed the same" in p.shift_view.summary.text()


def test_the_convolution_pages_feature_map_through_app_state(shown):
    state = AppState()
    conv = ConvolutionPage(app_state=state)       # no window: only the shared state links them
    page = make_page(shown, state)
    choose(page.panel.input_box.combo, FEATURE_MAP)
    fmap = conv.current_feature_map()
    assert fmap.shape == (2, 2)                   # the worked example's 2x2 map
    np.testing.assert_array_equal(page.current_output(), torch_pool(fmap, 2, 2))
    # a new map on the Convolution page is pooled at once
    assert conv.conv2d.input_box.choose(GRID_PREFIX + "vertical edge 6×6")
    fmap = conv.current_feature_map()
    assert fmap.shape == (4, 4)
    np.testing.assert_allclose(page.current_output(), torch_pool(fmap, 2, 2), atol=1e-6)
    # any map the state carries, e.g. 9x11
    big = np.random.default_rng(1).standard_normal((9, 11)).astype(np.float32)
    state.set_feature_map(big)
    np.testing.assert_array_equal(page.current_output(), torch_pool(big, 2, 2))
    assert "9×11 → 4×5" in page.panel.geometry_form.formula.text()
    conv.deleteLater()


def test_a_missing_feature_map_says_why(page):
    p = page.panel
    before = page.current_output().copy()
    p.input_box.combo.setFocus()
    QTest.keyClicks(p.input_box.combo, "Feat")        # type-ahead: straight from the sample
    assert p.input_box.source == FEATURE_MAP
    assert page.app_state.feature_map is None
    assert p.input_box.info.text() == NO_FEATURE_MAP and "Convolution page" in NO_FEATURE_MAP
    assert page.messages[-1] == (NO_FEATURE_MAP, "info")
    np.testing.assert_array_equal(page.current_output(), before)
    fmap = np.arange(16, dtype=np.float32).reshape(4, 4)
    page.app_state.set_feature_map(fmap)              # the map arrives: it is pooled
    np.testing.assert_array_equal(page.current_output(), [[5, 7], [13, 15]])
    page.app_state.set_feature_map(np.full((3, 3), np.nan))   # unusable: refused, kept
    assert "cannot be pooled" in p.input_box.error.text()
    np.testing.assert_array_equal(page.current_output(), [[5, 7], [13, 15]])


def test_state_round_trip(page, shown):
    p = page.panel
    QTest.mouseClick(button(p, QRadioButton, "Average"), Qt.LeftButton)
    choose(p.preset_combo, "3×3, stride 2 (AlexNet)")
    set_spin(spins(p)["padding"], 1)
    choose(p.input_box.combo, RANDOM)
    set_spin(page.controls()["pooling.random_size"], 7)
    p.player.go_to(5)
    state = page.state()
    assert state["pooling"]["mode"] == "avg" and state["geometry"]["kernel"] == [3, 3]
    again = make_page(shown)
    again.apply_state(state)
    assert again.state() == state
    q = again.panel
    np.testing.assert_array_equal(q.input_box.current(), p.input_box.current())
    np.testing.assert_allclose(again.current_output(),
                               torch_pool(p.input_box.current(), 3, 2, 1, "avg"), atol=1e-6)
    assert q.player.index == 5 and q.caption.text() == p.caption.text()
    assert q.output_view.cell_texts() == p.output_view.cell_texts()


@pytest.mark.parametrize("bad", [
    {"pooling": {"mode": "median"}},
    {"pooling": {"seed": -1}},
    {"geometry": {"kernel": [9, 9]}},
    {"geometry": {"stride": [2, 1]}},                 # differ while "separate" is off
    {"input": {"source": "Numbers: no such grid"}},
    {"pooling": {"mode": "avg"}, "input": {"typed": "1 x"}},   # a later part undoes the first
    {"shift view": {}},
])
def test_a_bad_state_changes_nothing(page, bad):
    before = page.state()
    output = page.current_output().copy()
    with pytest.raises(StateError):
        page.apply_state(bad)
    assert page.state() == before
    np.testing.assert_array_equal(page.current_output(), output)


def test_reset(page, shown):
    p = page.panel
    choose(p.input_box.combo, RANDOM)
    set_spin(spins(p)["stride"], 1)
    QTest.mouseClick(p.shift_view.shift_button, Qt.LeftButton)
    page.reset()
    assert page.state() == make_page(shown).state()
    assert p.input_box.source == SAMPLE and p.settings.shift == 0
    np.testing.assert_array_equal(page.current_output(), torch_pool(SAMPLE_GRID, 2, 2))
    assert p.player.count == 9 and p.player.index == 0
