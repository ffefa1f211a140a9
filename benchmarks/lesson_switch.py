"""Opening a lesson slide once its page is built: Page Down from one slide to the next (the
page's reset, the slide's state applied, its notes shown, the repaint), for every shipped
lesson, offscreen in a 1280×720 window. The last line is the p95 in ms (goal: ≤ 300 ms).
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402


def main() -> None:
    app = QApplication.instance() or QApplication([])
    from gui.settings import use_temporary_settings
    use_temporary_settings()
    from gui.app import MainWindow
    from gui.menus import LESSONS_DIR
    window = MainWindow(start_page="convolution")
    window.resize(1280, 720)
    window.show()
    app.processEvents()
    times, worst = [], ("", 0.0)
    for path in sorted(LESSONS_DIR.glob("*.json")):
        window.lessons.open(path)                 # builds the lesson's pages (not timed)
        app.processEvents()
        for _round in range(2):
            for k in range(len(window.lessons.lesson.slides)):
                start = time.perf_counter()
                window.lessons.go_to(k)
                app.processEvents()
                ms = (time.perf_counter() - start) * 1000
                times.append(ms)
                if os.environ.get("LESSON_VERBOSE"):
                    print(f"  {path.stem} {_round} {k + 1}: {ms:.0f} ms")
                if ms > worst[1]:
                    worst = (f"{path.stem} slide {k + 1}", ms)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"{len(times)} slide switches: median {statistics.median(times):.0f} ms, "
          f"p95 {p95:.0f} ms, worst {worst[1]:.0f} ms ({worst[0]})")
    print(f"{p95:.0f}")
    window.close()


if __name__ == "__main__":
    main()
