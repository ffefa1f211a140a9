"""The whole output of a 5x5 kernel over a 512x512 photo, computed with torch (one F.conv2d) and
shown on the Convolution page (offscreen). Prints the median ms last."""

from gui_bench import gui_app, report, time_calls  # (first: it puts the project on sys.path)

import numpy as np  # noqa: E402

from gui.pages.convolution import ConvolutionPage  # noqa: E402


def main() -> None:
    app = gui_app()
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

    def new_kernel(k):                                  # new kernel -> new output
        panel.kernel_editor.apply_preset(presets[k % len(presets)])
        for v in (panel.input_view, panel.output_view, panel.activated_view):
            v.viewport().repaint()

    times, cpu = time_calls(new_kernel, 30, warm_up=3)
    report("runs", times, cpu, digits=1)
    print(f"{np.median(times):.1f}")


if __name__ == "__main__":
    main()
