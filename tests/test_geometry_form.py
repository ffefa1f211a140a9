"""GeometryForm: one value for both directions until "separate" is ticked, the notes' formula,
and its state; driven with real key presses and clicks."""
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from gui.bind import StateError
from gui.widgets.geometry_form import GeometryForm, WindowGeometry


@pytest.fixture
def form(shown):
    return shown(GeometryForm(), 320, 300)


def test_one_value_for_both_until_separate(form, qtbot):
    assert form.first_header.text() == "both" and not form.width_header.isVisible()
    stride_h, stride_w = form.spins["stride"]
    with qtbot.waitSignal(form.changed):
        QTest.keyClick(stride_h, Qt.Key_Up)
    assert form.pair("stride") == (2, 2) and not stride_w.isVisible()
    QTest.mouseClick(form.separate_check, Qt.LeftButton, Qt.NoModifier,
                     QPoint(8, form.separate_check.height() // 2))      # on the box
    assert form.settings.separate and form.first_header.text() == "height"
    assert stride_w.isVisible() and form.width_header.isVisible()
    QTest.keyClick(stride_w, Qt.Key_Up)
    assert form.pair("stride") == (2, 3)
    form.separate_check.click()               # back to one value: the height's, for both
    assert form.pair("stride") == (2, 2) and form.first_header.text() == "both"


def test_formula_in_the_notes_form(form):
    form.bind.apply({"padding": (1, 1), "stride": (2, 2)})
    form.show_sizes((5, 7), (3, 3))
    lines = form.formula.text().splitlines()
    assert lines == ["H_out = ⌊(5 − 3 + 2·1) / 2⌋ + 1 = 3", "W_out = ⌊(7 − 3 + 2·1) / 2⌋ + 1 = 4",
                     "5×7 → 3×4"]
    form.bind.apply({"dilation": (2, 2)})
    form.show_sizes((5, 7), (3, 3))
    assert "dilated kernel: 2·(3−1)+1 = 5" in form.formula.text()
    form.show_sizes((2, 2), (5, 5))
    assert form.formula.text().endswith("→ no output")


def test_state_round_trip_and_bad_states(form, shown):
    form.apply_state({"separate": True, "stride": [2, 1], "padding": [0, 3]})
    state = form.state()
    assert state == {"stride": [2, 1], "padding": [0, 3], "dilation": [1, 1], "separate": True}
    again = shown(GeometryForm(), 320, 300)
    again.apply_state(state)
    assert again.state() == state and again.spins["padding"][1].value() == 3
    for bad, field in [({"stride": [0, 1]}, "stride"), ({"stride": [1, 2, 3]}, "stride"),
                       ({"padding": ["1", 1]}, "padding"), ({"separate": "yes"}, "separate"),
                       ({"separate": False, "stride": [2, 3]}, "stride"), ({"kernel": [3, 3]}, "kernel")]:
        with pytest.raises(StateError) as err:
            again.apply_state(bad)
        assert err.value.field == field
        assert again.state() == state
    again.reset()
    assert again.state() == {"stride": [1, 1], "padding": [0, 0], "dilation": [1, 1],
                             "separate": False}


def test_a_pooling_form_has_a_window_row_and_no_dilation(shown):
    form = shown(GeometryForm(rows=("kernel", "stride", "padding"),
                              defaults=WindowGeometry(kernel=(2, 2), stride=(2, 2))), 320, 300)
    form.show_sizes((6, 6))
    assert form.formula.text().splitlines()[0] == "H_out = ⌊(6 − 2 + 2·0) / 2⌋ + 1 = 3"
    assert set(form.state()) == {"kernel", "stride", "padding", "separate"}


def test_one_axis_for_a_signal(shown):
    form = shown(GeometryForm(axes=("L",)), 320, 300)
    assert not form.separate_check.isVisible() and not form.width_header.isVisible()
    form.show_sizes((32,), (3,))
    assert form.formula.text().splitlines() == ["L_out = ⌊(32 − 3 + 2·0) / 1⌋ + 1 = 30", "32 → 30"]
