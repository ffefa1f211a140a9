"""One Convolution-page animation step (compute + repaint, offscreen) on a 64x64 input with a
3x3 kernel: the per-step latency a lecturer sees while it plays. Prints the p95 in ms last.

A step is what the player's timer (or the Right key) does: `go_to(k)` builds the step and
updates every view, then the event loop paints what changed (`app.processEvents()`), exactly
as the app does on its next event-loop pass. (An earlier version forced `repaint()` of each
whole view, which repaints more than the app ever does.)"""
import tempfile
from pathlib import Path

from gui_bench import gui_app, report, time_calls  # (first: it puts the project on sys.path)

import numpy as np  # noqa: E402

from gui.pages.convolution import ConvolutionPage  # noqa: E402


def main() -> None:
    app = gui_app()
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

    def step(k):
        panel.player.go_to(k)                     # compute the step and update every view
        app.processEvents()                       # paint what changed, as the event loop does

    times, cpu = time_calls(step, 799, warm_up=20, start=1)
    report("steps timed", times, cpu)
    print(f"{np.percentile(times, 95):.2f}")


if __name__ == "__main__":
    main()
