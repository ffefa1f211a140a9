"""Time to accuracy through the Train a CNN page itself: LeNet-5 on Fashion-MNIST, the page's
default recipe, all 60,000 training and 10,000 test images, started by a click on Start.

time_to_accuracy.py measures the same recipe through the engine's trainer; this one runs the
page (offscreen): its worker thread, its snapshots for the filters, maps and prediction grid,
its redraws. Each epoch's test accuracy with the time since the click. Needs Fashion-MNIST
(Debian's dataset-fashion-mnist, or the page's Download). Last line: seconds from the click to
the first epoch at >= 89 %.

    .venv/bin/python benchmarks/page_time_to_accuracy.py
"""
from __future__ import annotations

import math
import time

from gui_bench import gui_app  # (first: it puts the project on sys.path)

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from engine.data import available  # noqa: E402

TARGET = 0.89


def main() -> int:
    app = gui_app()
    if not available("fashion_mnist"):
        print("Fashion-MNIST not found (Debian's dataset-fashion-mnist, or the page's Download)")
        print("nan")
        return 1
    from gui.settings import use_temporary_settings
    use_temporary_settings()
    from gui.pages.train_cnn import TrainCnnPage
    page = TrainCnnPage()
    page.resize(1280, 720)
    page.show()
    form = page.form
    form.dataset_combo.setCurrentIndex(form.dataset_combo.findData("fashion_mnist"))
    form.train_size_spin.setValue(0)      # all
    form.test_size_spin.setValue(0)
    form.device_combo.setCurrentIndex(form.device_combo.findData("cpu"))
    s = page.settings
    print(f"{s.arch}, {s.optimizer} lr {s.lr:g} ({s.schedule}), batch {s.batch_size}, "
          f"{s.epochs} epochs, seed {s.seed}; {s.dataset}, all images")
    epochs: list[tuple[int, float, float]] = []    # (epoch, test accuracy, seconds since click)
    done = {}
    page.runner.progress.connect(lambda events: epochs.extend(
        (e.epoch + 1, e.test_accuracy, time.perf_counter() - clicked)
        for e in events if e.kind == "epoch"))
    page.runner.finished.connect(lambda result: done.update(result=result))
    clicked = time.perf_counter()
    QTest.mouseClick(page.start_button, Qt.LeftButton)
    while "result" not in done:
        app.processEvents()
        time.sleep(0.005)
    reached = math.nan
    for epoch, accuracy, at in epochs:
        print(f"  epoch {epoch}: test {accuracy:.2%} at {at:.1f} s after the click")
        if accuracy >= TARGET and math.isnan(reached):
            reached = at
    print(f"{done['result'].message}")
    page.shutdown()
    print(f"{reached:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
