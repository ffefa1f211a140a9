"""What the GUI benchmarks share: the app's set-up, offscreen.

    from gui_bench import gui_app      # first: it puts the project on sys.path
    app = gui_app()

`gui_app()` returns the QApplication with pyqtgraph configured and torch's threads set as the
app sets them when it builds a page (gui/torch_threads.py), so a page built next runs as it
does in the window.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def gui_app():
    from PySide6.QtWidgets import QApplication

    from gui import style, torch_threads
    app = QApplication.instance() or QApplication([])
    style.configure_pyqtgraph()
    torch_threads.for_gui_thread()
    return app


def time_calls(call, count: int, warm_up: int, start: int = 0):
    """Wall-clock and this process's CPU ms (numpy arrays) of `call(k)` for k from `start`,
    `count` calls, the first `warm_up` dropped (the machine is shared: CPU time tells what
    was this process's own)."""
    import time

    import numpy as np
    wall, cpu = [], []
    for k in range(start, start + count):
        t0, c0 = time.perf_counter(), time.process_time()
        call(k)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return np.array(wall[warm_up:]), np.array(cpu[warm_up:])


def report(what: str, wall, cpu, digits: int = 2) -> None:
    """The count and load, then median and p95 of wall and CPU time."""
    import numpy as np
    print(f"{what}: {len(wall)}, load average {os.getloadavg()[0]:.1f}")
    print(f"median {np.median(wall):.{digits}f} ms, p95 {np.percentile(wall, 95):.{digits}f} ms")
    print(f"CPU time: median {np.median(cpu):.{digits}f} ms, p95 "
          f"{np.percentile(cpu, 95):.{digits}f} ms")
