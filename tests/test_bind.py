"""Bindings: a control and a settings field kept equal both ways; bad states change nothing."""
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from gui.bind import Bindings, StateError


@dataclass
class S:
    stride: int = 1
    lr: float = 0.01
    mode: str = "max"
    rgb: bool = False
    sentence: str = "the film was good"
    kernel: tuple = (1, 2)


def _bound(qtbot):
    calls = []
    s = S()
    b = Bindings(s, calls.append)
    spin = b.spin("stride", QSpinBox(minimum=1, maximum=8))
    dspin = b.spin("lr", QDoubleSpinBox(minimum=0.0001, maximum=1.0, decimals=4))
    combo = b.combo("mode", QComboBox(), {"max": "Max", "avg": "Average"})
    check = b.check("rgb", QCheckBox("RGB"))
    line = b.text("sentence", QLineEdit())
    for w in (spin, dspin, combo, check, line):
        qtbot.addWidget(w)
    return s, b, calls, spin, dspin, combo, check, line


def test_user_changes_reach_the_field_once(qtbot):
    s, b, calls, spin, _d, combo, check, line = _bound(qtbot)
    spin.show()
    QTest.keyClick(spin, Qt.Key_Up)                   # a real key press on the spin box
    assert s.stride == 2 and calls == ["stride"]
    combo.setCurrentIndex(1)
    assert s.mode == "avg" and calls[-1] == "mode"
    check.click()
    assert s.rgb is True
    line.setText("the food was bad")
    line.editingFinished.emit()
    assert s.sentence == "the food was bad"


def test_apply_sets_controls_without_their_signals_and_calls_changed_once(qtbot):
    s, b, calls, spin, dspin, combo, check, line = _bound(qtbot)
    b.apply({"stride": 3, "mode": "avg", "rgb": True, "kernel": [4, 5]})
    assert (spin.value(), combo.currentText(), check.isChecked()) == (3, "Average", True)
    assert s.kernel == (4, 5) and s.stride == 3
    assert calls == ["*"]
    assert b.to_dict()["kernel"] == [4, 5]
    b.reset()
    assert s == S() and spin.value() == 1 and combo.currentText() == "Max"


@pytest.mark.parametrize("state, field", [
    ({"stride": 9}, "stride"), ({"stride": 2.5}, "stride"), ({"stride": "2"}, "stride"),
    ({"lr": float("nan")}, "lr"), ({"mode": "median"}, "mode"), ({"rgb": 1}, "rgb"),
    ({"dilation": 2}, "dilation"), ({"stride": 2, "mode": "median"}, "mode"),
    ({"kernel": "1 2"}, "kernel"),
])
def test_a_bad_value_names_its_field_and_changes_nothing(qtbot, state, field):
    s, b, calls, spin, *_ = _bound(qtbot)
    with pytest.raises(StateError) as err:
        b.apply(state)
    assert err.value.field == field
    assert s == S() and spin.value() == 1 and calls == []
