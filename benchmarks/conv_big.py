"""The whole output of a 5x5 kernel over a 512x512 photo, computed with torch (one F.conv2d) and
shown on the Convolution page (offscreen). Prints the median ms last."""
import os
import sys
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
    assert panel.input_box.choose("Photo: camera man")   # 512x512 grayscale
    panel.kernel_editor.set_kernel_size(5)
    panel.geometry_form.spins["padding"][0].setValue(2)     # "both": height and width
    app.processEvents()
    assert panel.trace.output.shape == (1, 512, 512) and panel.reveal_check.isChecked()
    presets = ["Gaussian blur", "Sobel x", "box blur", "Laplacian", "sharpen", "emboss"]
    times, cpu = [], []  # wall-clock and this process's CPU time (the machine is shared)
    for k in range(30):
        t0, c0 = time.perf_counter(), time.process_time()
        panel.kernel_editor.apply_preset(presets[k % len(presets)])  # new kernel -> new output
        for v in (panel.input_view, panel.output_view, panel.activated_view):
            v.viewport().repaint()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times, cpu = np.array(times[3:]), np.array(cpu[3:])
    print(f"runs: {len(times)}, load average {os.getloadavg()[0]:.1f}")
    print(f"median {np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms")
    print(f"CPU time: median {np.median(cpu):.1f} ms, p95 {np.percentile(cpu, 95):.1f} ms")
    print(f"{np.median(times):.1f}")


if __name__ == "__main__":
    main()
