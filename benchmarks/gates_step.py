"""One step of the LSTM & GRU gates page: compute + repaint, offscreen.

A step is what the Right key does: the step player advances, the six heatmaps reveal one more
column, the curves, values and coloured text update, and the window repaints (grab()). Also
times retracing a newly typed sentence. Last line: p95 of a step in ms (target: under 16 ms).
"""
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402


def main():
    app = QApplication.instance() or QApplication([])
    from gui.app import configure_pyqtgraph
    configure_pyqtgraph()
    from gui.pages.gates import GatesPage
    page = GatesPage()
    page.resize(1440, 860)
    page.show()
    page.set_sentence("although the service was really slow at first, the food was great "
                      "and the staff were never rude, not bad at all")
    app.processEvents()
    T = len(page.view.ids)
    steps = []
    for rep in range(6):
        page.player.first()
        page.grab()
        for _ in range(T - 1):
            t = time.perf_counter()
            page.player.step_forward()
            page.grab()  # forces layout + paint of every view
            steps.append((time.perf_counter() - t) * 1000)
    steps = steps[T:]  # drop the first (warm-up) pass
    retrace = []
    for k in range(20):
        t = time.perf_counter()
        page.set_sentence(f"the film was {'never' if k % 2 else 'not'} boring, it was great")
        page.grab()
        retrace.append((time.perf_counter() - t) * 1000)
    p95 = sorted(steps)[int(0.95 * len(steps))]
    print(f"{T}-token sentence, LSTM {page.model()[0].rnn.hidden_size} units: step median "
          f"{statistics.median(steps):.1f} ms, p95 {p95:.1f} ms; new sentence (trace + repaint) "
          f"median {statistics.median(retrace):.1f} ms")
    print(f"{p95:.1f}")


if __name__ == "__main__":
    main()
