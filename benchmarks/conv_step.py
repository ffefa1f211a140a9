"""One Convolution-page animation step (compute + repaint, offscreen) on a 64x64 input with a
3x3 kernel: the per-step latency a lecturer sees while it plays. Prints the p95 in ms last.

A step is what the player's timer (or the Right key) does: `go_to(k)` builds the step and
updates every view, then the event loop paints what changed (`app.processEvents()`), exactly
as the app does on its next event-loop pass. (An earlier version forced `repaint()` of each
whole view, which repaints more than the app ever does.)"""
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.app import configure_pyqtgraph  # noqa: E402
from gui.pages.convolution import ConvolutionPage  # noqa: E402


def main() -> None:
    app = QApplication.instance() or QApplication([])
    configure_pyqtgraph()
    from gui import torch_threads
    torch_threads.for_gui_thread()   # as the app does when it builds a page
    page = ConvolutionPage()
    page.resize(1500, 950)
    page.show()
    panel = page.conv2d
    # a 64x64 random grey image, through the input box as a user opens a file
    from PIL import Image
    pixels = (np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random64.png"
        Image.fromarray(pixels).save(path)
        assert panel.input_box.open_file(str(path)), panel.input_box.error.text()
    panel.kernel_editor.apply_preset("Sobel x")   # 3x3, recomputes: 62x62 output, 3844 steps
    assert panel.trace.output.shape == (1, 62, 62), panel.trace.output.shape
    panel.reveal_check.setChecked(False)          # the output fills in step by step
    app.processEvents()
    times, cpu = [], []  # wall-clock and this process's CPU time (the machine is shared)
    for k in range(1, 800):
        t0, c0 = time.perf_counter(), time.process_time()
        panel.player.go_to(k)                     # compute the step and update every view
        app.processEvents()                       # paint what changed, as the event loop does
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times, cpu = np.array(times[20:]), np.array(cpu[20:])
    print(f"steps timed: {len(times)}, load average {os.getloadavg()[0]:.1f}")
    print(f"median {np.median(times):.2f} ms, p95 {np.percentile(times, 95):.2f} ms")
    print(f"CPU time: median {np.median(cpu):.2f} ms, p95 {np.percentile(cpu, 95):.2f} ms")
    print(f"{np.percentile(times, 95):.2f}")


if __name__ == "__main__":
    main()
