"""Run Python's cycle collector only from the Qt event loop, never in the middle of Qt code.

Python collects reference cycles whenever allocations cross a threshold, which can happen
anywhere: inside a pyqtgraph ``boundingRect`` while the scene updates its index, or in the
training thread. A collected cycle can hold the last reference to a Qt object, and deleting a
Qt object at such a moment crashes the process (seen as a segfault in the test run). So the
automatic collector is switched off and a timer in the GUI thread collects instead, at the top
of the event loop where deleting Qt objects is safe (the recipe pyqtgraph ships as
``pyqtgraph.util.garbage_collector``, without importing pyqtgraph at startup).
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


_active: "GcGuard | None" = None


def settle() -> None:
    """After a page is built: collect what building it left behind, from the event loop.
    Only while a guard is active (the app), so tests and scripts keep the interpreter's usual
    collector."""
    if _active is not None:
        _active.settle()


class GcGuard(QObject):
    """Disables automatic garbage collection while alive; collects generation by generation
    on a GUI-thread timer, with the interpreter's usual thresholds."""

    def __init__(self, interval_ms: int = 1000, parent: QObject | None = None):
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)
        global _active
        _active = self

    def settle(self) -> int:
        """Collect every generation now; returns how many unreachable objects were found."""
        return gc.collect()

    def check(self) -> int:
        """Collect the generations whose counts passed their thresholds; returns how many
        unreachable objects were found."""
        found = 0
        counts = gc.get_count()
        if counts[0] > self._thresholds[0]:
            found += gc.collect(0)
            if counts[1] > self._thresholds[1]:
                found += gc.collect(1)
                if counts[2] > self._thresholds[2]:
                    found += gc.collect(2)
        return found

    def stop(self) -> None:
        """Give collection back to the interpreter."""
        global _active
        if _active is self:
            _active = None
        self._timer.stop()
        gc.enable()
