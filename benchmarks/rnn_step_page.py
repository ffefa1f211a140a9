"""One step of the RNN step-through page (equation, vectors, weights, unrolled view), p95 in ms.

Builds the page offscreen with a 20-word sentence and 8 hidden units, steps through every token
several times, and times `show_step` plus the repaint it triggers (what changed, as on screen). Last line: p95 in ms.
"""
import time

from gui_bench import gui_app  # (first: it puts the project on sys.path)

import numpy as np  # noqa: E402


def main() -> None:
    app = gui_app()
    from gui.pages.rnn_step import StepThroughPanel

    class Host:
        def notify(self, *_):
            pass

    panel = StepThroughPanel(Host())
    panel.resize(1400, 850)
    panel.show()
    panel.hidden_spin.setValue(8)
    panel.text_edit.setText(" ".join(f"word{k % 7}" for k in range(20)))
    panel.apply()
    app.processEvents()
    times = []
    for _ in range(5):
        for t in range(20):
            start = time.perf_counter()
            panel.player.go_to(t)
            app.processEvents()  # the repaint of every view that changed happens here
            times.append((time.perf_counter() - start) * 1000)
    times = np.array(times[5:])
    print(f"{len(times)} steps: median {np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms")
    print(f"{np.percentile(times, 95):.1f}")


if __name__ == "__main__":
    main()
