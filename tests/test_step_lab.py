"""StepLab's frame (errors said and taken back, a side panel as wide as its controls) and
StateParts (a bad part rolls back the parts applied before it)."""
from dataclasses import dataclass

import pytest
from PySide6.QtWidgets import QLabel, QSpinBox

from gui.bind import Bindings, StateError
from gui.widgets.geometry_form import GeometryForm
from gui.widgets.state_parts import BoundPart, StateParts
from gui.widgets.step_lab import StepLab, check_step


def test_errors_reach_the_status_bar_and_are_taken_back(shown):
    lab = shown(StepLab(), 800, 500)
    said = []
    lab.message.connect(lambda text, level: said.append((text, level)))
    lab.clear_error()                          # nothing to take back: nothing said
    assert said == []
    lab.report_error("No output: the kernel is larger than the input.")
    assert lab.has_error() and lab.error_label.isVisible()
    assert said == [("No output: the kernel is larger than the input.", "error")]
    lab.clear_error()
    assert not lab.has_error() and said[-1] == ("", "clear")


def test_the_side_panel_is_as_wide_as_its_widest_control(shown):
    lab = StepLab()
    wide = QLabel("x" * 80)
    lab.add_controls(wide)
    lab = shown(lab, 1200, 500)
    assert lab.side.width() >= wide.sizeHint().width()
    assert lab.player_bar.isVisible() and lab.caption.isVisible()


def test_check_step():
    assert check_step(3) == 3
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(StateError):
            check_step(bad)


@dataclass
class Speed:
    steps: int = 2


def test_a_bad_part_rolls_back_the_parts_before_it(qtbot):
    speed = Speed()
    bind = Bindings(speed)
    spin = bind.spin("steps", QSpinBox(minimum=1, maximum=9))
    qtbot.addWidget(spin)
    form = GeometryForm()
    qtbot.addWidget(form)
    parts = StateParts({"speed": BoundPart(bind), "geometry": form})
    before = parts.state()
    with pytest.raises(StateError) as err:
        parts.apply_state({"speed": {"steps": 7}, "geometry": {"stride": [0, 0]}})
    assert err.value.field == "geometry.stride"
    assert parts.state() == before and spin.value() == 2
    with pytest.raises(StateError, match="is not a part"):
        parts.apply_state({"colour": {}})
    parts.apply_state({"speed": {"steps": 7}, "geometry": {"stride": [3, 3]}})
    assert speed.steps == 7 and form.pair("stride") == (3, 3)
    assert set(parts.controls()) >= {"speed.steps", "geometry.stride", "geometry.separate"}
    parts.reset()
    assert parts.state() == before
