"""Controls bound to the fields of a page's settings dataclass, both ways, in one line each.

    self.bind = Bindings(self.settings, self.recompute)
    self.bind.spin("stride", QSpinBox(minimum=1, maximum=8))
    self.bind.combo("mode", QComboBox(), {"max": "Max", "avg": "Average"})

A user's change to a control sets the field and calls `changed(name)`; `set(name, value)` and
`apply(values)` set fields and controls from code (a lesson slide, stored settings) with the
controls' signals blocked (`QSignalBlocker`), then call `changed` once. `apply` checks every
value against its control (range, choices, type) before it changes anything, and raises
`StateError` naming the field, so a bad lesson changes nothing. `to_dict()` is what a lesson
slide and the stored settings hold. (In the spirit of Orange's `gui.spin(box, self, "attr")`.)
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QAbstractButton, QButtonGroup, QComboBox, QDoubleSpinBox, QLineEdit, QSlider, QSpinBox,
    QWidget,
)


class StateError(ValueError):
    """A state (lesson slide, stored settings) that cannot be applied; `field` names the key."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _Binding:
    """One control bound to one field: how to read, write and check its value."""

    def __init__(self, widget, read: Callable[[], Any], write: Callable[[Any], None],
                 check: Callable[[Any], Any]):
        self.widget, self.read, self.write, self.check = widget, read, write, check


class Bindings:
    def __init__(self, settings, changed: Callable[[str], None] | None = None):
        if not dataclasses.is_dataclass(settings):
            raise TypeError("Bindings needs a dataclass instance")
        self.settings = settings
        self.defaults = dataclasses.replace(settings)
        self.changed = changed or (lambda _name: None)
        self._bound: dict[str, _Binding] = {}

    # -- binding controls ----------------------------------------------------------------------
    def spin(self, name: str, widget: QSpinBox | QDoubleSpinBox | QSlider):
        integer = not isinstance(widget, QDoubleSpinBox)

        def check(value):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise StateError(name, f"needs a number, got {value!r}")
            if not math.isfinite(value) or (integer and value != int(value)):
                raise StateError(name, f"needs a whole number, got {value!r}" if integer
                                 else f"needs a finite number, got {value!r}")
            if not widget.minimum() <= value <= widget.maximum():
                raise StateError(name, f"{value!r} is outside {widget.minimum()}…{widget.maximum()}")
            return int(value) if integer else float(value)

        widget.setValue(getattr(self.settings, name))
        widget.valueChanged.connect(lambda v: self._from_control(name, v))
        return self._add(name, widget, widget.value, widget.setValue, check)

    def combo(self, name: str, widget: QComboBox, choices: dict[Any, str]):
        """`choices` maps each field value to the text shown, in the combo's order."""
        values = list(choices)
        if widget.count() == 0:
            widget.addItems(list(choices.values()))

        def check(value):
            if isinstance(value, list):
                value = tuple(value)
            if value not in values:
                raise StateError(name, f"{value!r} is not one of {', '.join(map(repr, values))}")
            return value

        widget.setCurrentIndex(values.index(getattr(self.settings, name)))
        widget.currentIndexChanged.connect(
            lambda i: i >= 0 and self._from_control(name, values[i]))
        return self._add(name, widget, lambda: values[widget.currentIndex()],
                         lambda v: widget.setCurrentIndex(values.index(v)), check)

    def check(self, name: str, widget: QAbstractButton):
        def check(value):
            if not isinstance(value, bool):
                raise StateError(name, f"needs true or false, got {value!r}")
            return value

        widget.setChecked(getattr(self.settings, name))
        widget.toggled.connect(lambda on: self._from_control(name, bool(on)))
        return self._add(name, widget, widget.isChecked, widget.setChecked, check)

    def radio(self, name: str, group: QButtonGroup, choices: dict[Any, QAbstractButton]):
        values = list(choices)

        def check(value):
            if value not in values:
                raise StateError(name, f"{value!r} is not one of {', '.join(map(repr, values))}")
            return value

        def write(value):
            choices[value].setChecked(True)

        write(getattr(self.settings, name))
        group.buttonToggled.connect(lambda button, on: on and self._from_control(
            name, next(v for v, b in choices.items() if b is button)))
        return self._add(name, group, lambda: next(v for v, b in choices.items() if b.isChecked()),
                         write, check)

    def text(self, name: str, widget: QLineEdit, max_length: int = 2000):
        """A line edit, committed when editing finishes (Return or focus out)."""
        def check(value):
            if not isinstance(value, str):
                raise StateError(name, f"needs text, got {value!r}")
            if len(value) > max_length:
                raise StateError(name, f"is longer than {max_length} characters")
            return value

        widget.setText(getattr(self.settings, name))
        widget.editingFinished.connect(lambda: self._from_control(name, widget.text()))
        return self._add(name, widget, widget.text, widget.setText, check)

    def field(self, name: str, check: Callable[[Any], Any], show: Callable[[Any], None]):
        """A field shown by something other than a standard control (a grid, a kernel): `check`
        returns the value to store or raises StateError; `show` displays it."""
        self._bound[name] = _Binding(None, lambda: getattr(self.settings, name), show, check)

    def _add(self, name, widget, read, write, check):
        if not hasattr(self.settings, name):
            raise AttributeError(f"{type(self.settings).__name__} has no field {name!r}")
        self._bound[name] = _Binding(widget, read, write, check)
        return widget

    # -- values ---------------------------------------------------------------------------------
    def _from_control(self, name: str, value) -> None:
        if getattr(self.settings, name) == value:
            return
        setattr(self.settings, name, value)
        self.changed(name)

    def _show(self, name: str, value) -> None:
        binding = self._bound.get(name)
        if binding is None:
            return
        widget = binding.widget
        if widget is None:
            binding.write(value)
            return
        targets = widget.buttons() if isinstance(widget, QButtonGroup) else [widget]
        blockers = [QSignalBlocker(w) for w in targets + ([widget] if targets != [widget] else [])]
        try:
            binding.write(value)
        finally:
            del blockers

    def set(self, name: str, value) -> None:
        """Set one field and its control (signals blocked), then call `changed(name)`."""
        self.apply({name: value}, partial=True)

    def apply(self, values: dict, partial: bool = True) -> None:
        """Check every value first (StateError on the first bad one: nothing changes), then set
        fields and controls and call `changed` once. Keys that are no field raise StateError
        (a lesson from a newer version names controls this one does not have). With
        partial=False, fields missing from `values` go back to their defaults."""
        fields = {f.name for f in dataclasses.fields(self.settings)}
        unknown = [k for k in values if k not in fields]
        if unknown:
            raise StateError(unknown[0], "is not a setting of this page (a newer version?)")
        full = dict(values) if partial else {**dataclasses.asdict(self.defaults), **values}
        checked = {}
        for name, value in full.items():
            binding = self._bound.get(name)
            checked[name] = binding.check(value) if binding is not None else _plain(
                name, value, getattr(self.defaults, name))
        changed = [n for n, v in checked.items() if getattr(self.settings, n) != v]
        for name in changed:
            setattr(self.settings, name, checked[name])
            self._show(name, checked[name])
        if changed:
            self.changed(changed[0] if len(changed) == 1 else "*")

    def reset(self) -> None:
        self.apply({}, partial=False)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self.settings).items()}

    def widgets(self) -> dict[str, QWidget]:
        """The bound controls by field name (what a lesson slide may hide)."""
        return {n: b.widget for n, b in self._bound.items()
                if b.widget is not None and not isinstance(b.widget, QButtonGroup)}


def _plain(name: str, value, default):
    """A field with no control: same type as its default (tuples may come as lists)."""
    if isinstance(default, tuple) and isinstance(value, list):
        value = tuple(value)
    if default is not None and type(value) is not type(default) and not (
            isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool)):
        raise StateError(name, f"needs a {type(default).__name__}, got {value!r}")
    return float(value) if isinstance(default, float) else value
