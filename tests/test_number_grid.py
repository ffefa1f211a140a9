"""NumberGrid and KernelEditor, typed into with real key and mouse events."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from engine.kernels import preset_kernel
from gui.bind import StateError
from gui.widgets.kernel_editor import KernelEditor
from gui.widgets.number_grid import NumberGrid, parse_number


def type_into(grid: NumberGrid, r: int, c: int, text: str) -> None:
    """Double-click the cell, type over it, press Return: what a student does."""
    rect = grid.visualItemRect(grid.item(r, c))
    QTest.mouseDClick(grid.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())
    editors = [e for e in grid.findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1, "no cell editor opened"
    editors[0].selectAll()
    QTest.keyClick(editors[0], Qt.Key_Delete)
    QTest.keyClicks(editors[0], text)                  # ASCII only: QTest asserts on others
    QTest.keyClick(editors[0], Qt.Key_Return)
    QApplication.processEvents()                       # the delegate commits on a queued call


@pytest.fixture
def grid(shown):
    g = NumberGrid(2, 3)
    g.set_values([[1, 2, 3], [4, 5, 6]])
    return shown(g, 300, 120)


def test_typing_a_number_changes_that_cell_only(grid, qtbot):
    with qtbot.waitSignal(grid.valuesEdited):
        type_into(grid, 1, 2, "-2,5")
    np.testing.assert_array_equal(grid.values(), [[1, 2, 3], [4, 5, -2.5]])


@pytest.mark.parametrize("text, why", [("abc", "'abc' is not a number"), ("nan", "finite"),
                                       ("inf", "finite"), ("", "is empty")])
def test_a_bad_entry_is_put_back_with_a_message(grid, qtbot, text, why):
    refused = []
    grid.invalidEntry.connect(refused.append)
    edited = []
    grid.valuesEdited.connect(lambda: edited.append(1))
    type_into(grid, 0, 1, text)
    assert len(refused) == 1 and why in refused[0] and "row 1, column 2" in refused[0]
    assert "it keeps 2" in refused[0]
    assert grid.item(0, 1).text() == "2" and not edited
    np.testing.assert_array_equal(grid.values(), [[1, 2, 3], [4, 5, 6]])


def test_parse_number():
    assert parse_number(" 2e-3 ") == 0.002 and parse_number("−1") == -1
    with pytest.raises(ValueError, match="not a number"):
        parse_number("one")


def test_cells_grow_with_the_font(grid):
    from gui import style
    width = grid.width()
    style.set_factor(1.5)
    try:
        assert grid.width() > width * 1.3
    finally:
        style.set_factor(1.0)


# -- the kernel editor ---------------------------------------------------------------------------

@pytest.fixture
def editor(shown):
    return shown(KernelEditor(size=3, preset="box blur"), 360, 360)


def test_sizes_presets_and_channels(editor, qtbot):
    with qtbot.waitSignal(editor.kernelChanged):
        QTest.keyClick(editor.size_spin, Qt.Key_Up)
        QTest.keyClick(editor.size_spin, Qt.Key_Up)
    assert editor.kernel_size == 5
    np.testing.assert_allclose(editor.weights()[0, 0], np.full((5, 5), 1 / 25), rtol=1e-6)
    assert editor.grid.rowCount() == 5 and editor.grid.item(0, 0).text() == "0.04"
    editor.preset_combo.setCurrentText("±1 edge: dark left")
    editor.preset_combo.activated.emit(editor.preset_combo.currentIndex())
    assert editor.weights()[0, 0, 1:4, 1:4].tolist() == [[-1, 1, 0], [-1, 1, 0], [-1, 1, 0]]
    editor.set_in_channels(3)
    assert editor.weights().shape == (1, 3, 5, 5) and editor.channel_tabs.isVisibleTo(editor)
    editor.select_channel(1)
    type_into(editor.grid, 0, 0, "2.5")
    w = editor.weights()
    assert w[0, 1, 0, 0] == 2.5 and w[0, 0, 0, 0] == 0 and w[0, 2, 0, 0] == 0
    assert editor.preset_combo.currentText() == "custom"


def test_a_bad_cell_keeps_the_kernel_and_names_filter_and_channel(editor):
    messages = []
    editor.invalidInput.connect(messages.append)
    editor.set_in_channels(3)
    editor.select_channel(2)
    before = editor.weights()
    type_into(editor.grid, 1, 2, "1e999")
    assert "filter 1, channel B, row 2, column 3" in messages[-1]
    assert "finite" in editor.error_text()
    np.testing.assert_array_equal(editor.weights(), before)


def test_filters_added_and_removed(editor):
    QTest.mouseClick(editor.add_filter_button, Qt.LeftButton)
    QTest.mouseClick(editor.add_filter_button, Qt.LeftButton)
    assert editor.filter_count == 3 and editor.filter_tabs.count() == 3
    np.testing.assert_allclose(editor.weights()[1, 0], preset_kernel("Gaussian blur", 3))
    editor.set_bias(0.5, 2)
    QTest.mouseClick(editor.remove_filter_button, Qt.LeftButton)   # removes the selected (3rd)
    assert editor.filter_count == 2 and editor.bias().tolist() == [0, 0]


def test_state_round_trip_and_bad_states(editor, shown):
    editor.add_filter()
    editor.set_bias(-0.25, 1)
    editor.set_kernel([[1, 2], [3, 4]], filter_index=0)
    state = editor.state()
    assert state["weights"][0][0] == [[1, 2], [3, 4]] and state["bias"] == [0.0, -0.25]
    again = shown(KernelEditor(), 360, 360)
    again.apply_state(state)
    assert again.state() == state
    np.testing.assert_array_equal(again.weights(), editor.weights())
    for bad, field in [({"weights": [[[[1, "x"]]]]}, "weights"),
                       ({"weights": [[[[float("nan")]]]]}, "weights"),
                       ({"weights": np.zeros((7, 1, 3, 3)).tolist()}, "weights"),
                       ({"bias": [1, 2, 3]}, "bias"), ({"presets": ["swirl", "custom"]}, "presets"),
                       ({"colour": True}, "colour")]:
        with pytest.raises(StateError) as err:
            again.apply_state(bad)
        assert err.value.field == field
        assert again.state() == state
    again.reset()
    assert again.filter_count == 1 and again.state()["presets"] == ["Sobel x"]


def test_a_grid_shrinks_and_grows_with_an_open_editor(qtbot, shown):
    """Smaller values take the dropped cells out cleanly, even while a cell is being edited;
    the cells left show the new values and the grid is editable again."""
    grid = shown(NumberGrid(5, 5), 300, 300)
    grid.set_values(np.arange(25, dtype=np.float32).reshape(5, 5))
    grid.editItem(grid.item(4, 4))                  # a cell that goes away, open for typing
    grid.set_values(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    assert (grid.rowCount(), grid.columnCount()) == (2, 2)
    assert [grid.item(r, c).text() for r in range(2) for c in range(2)] == ["1", "2", "3", "4"]
    grid.set_values(np.ones((3, 3), np.float32))
    assert grid.item(2, 2).text() == "1"
    type_into(grid, 2, 2, "7")
    assert grid.values()[2, 2] == 7.0
