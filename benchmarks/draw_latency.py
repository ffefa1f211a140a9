"""Drawing to prediction: from a stroke event to repainted bars and feature maps (Draw a digit page).

Builds the page offscreen with the shipped model, draws strokes with real QMouseEvents, and
times each move event from `sendEvent` until the page has repainted (the canvas' signal, the
preprocessing, the model with feature maps and Grad-CAM, then every view's paint). Moves are
spaced beyond the canvas' throttle so each one updates everything; only those are counted.
Prints median and p95 with the GUI thread's torch on one thread, as the app runs it
(gui/torch_threads.py), and on torch's default count, alternating slices in one run; the last
line is the app's p95 in ms.

    .venv/bin/python benchmarks/draw_latency.py [--events 300] [--while-training]
"""
from __future__ import annotations

import argparse
import math
import os
import time

from gui_bench import gui_app  # (first: it puts the project on sys.path)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402

from gui.widgets import digit_canvas  # noqa: E402


def stroke_points(k: int) -> list[tuple[float, float]]:
    """A figure-eight-ish loop (canvas fractions), different phase per stroke."""
    t = np.linspace(0, 2 * math.pi, 40) + k
    return [(0.5 + 0.22 * math.sin(a), 0.5 + 0.35 * math.sin(a) * math.cos(a) * 1.6) for a in t]


def mouse(kind, canvas, fx, fy, buttons=Qt.LeftButton):
    r = canvas.sheet_rect()
    pos = QPointF(r.x() + fx * r.width(), r.y() + fy * r.height())
    button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
    return QMouseEvent(kind, pos, canvas.mapToGlobal(pos), button, buttons, Qt.NoModifier)


def measure(app, page, events: int, cpu: list | None = None) -> np.ndarray:
    """Wall ms of `events` stroke events; their CPU ms (this process) go into `cpu` if given."""
    canvas = page.canvas
    calls = {"n": 0}
    original = page.update_prediction

    def counted():
        calls["n"] += 1
        original()

    canvas.drawingChanged.disconnect(page.update_prediction)
    canvas.drawingChanged.connect(counted)
    times = []
    k = 0
    try:
        while len(times) < events:
            canvas.clear()
            app.processEvents()
            pts = stroke_points(k)
            k += 1
            app.sendEvent(canvas, mouse(QEvent.MouseButtonPress, canvas, *pts[0]))
            for fx, fy in pts[1:]:
                time.sleep((digit_canvas.THROTTLE_MS + 4) / 1000)   # a real hand's pace
                before = calls["n"]
                event = mouse(QEvent.MouseMove, canvas, fx, fy)
                c0 = time.process_time()
                t0 = time.perf_counter()
                app.sendEvent(canvas, event)
                app.processEvents()                                    # repaint everything
                dt = time.perf_counter() - t0
                dc = time.process_time() - c0
                if calls["n"] > before:
                    times.append(dt * 1000)
                    if cpu is not None:
                        cpu.append(dc * 1000)
            app.sendEvent(canvas, mouse(QEvent.MouseButtonRelease, canvas, *pts[-1], Qt.NoButton))
            app.processEvents()
    finally:
        canvas.drawingChanged.disconnect(counted)
        canvas.drawingChanged.connect(page.update_prediction)
    return np.array(times[:events])


def while_training(app, page, events: int) -> None:
    """The app's arrangement again, quiet and then while the Train page trains LeNet-5 on
    generated digits in its worker thread (every core), as in a class that trains and draws."""
    from gui.pages.train_cnn import TrainCnnPage
    train = TrainCnnPage()
    train.resize(1280, 720)
    train.form.epochs_spin.setValue(100)       # longer than the strokes take
    quiet = measure(app, page, events)
    train.start_button.click()
    started = time.perf_counter()
    while time.perf_counter() - started < 3:   # past drawing the digits: training
        app.processEvents()
        time.sleep(0.01)
    busy = measure(app, page, events)
    still = train.runner.running
    train.shutdown()
    for name, t in (("quiet", quiet), ("while the Train page trains", busy)):
        print(f"{name}: median {np.median(t):.2f} ms, p95 {np.percentile(t, 95):.2f} ms, "
              f"max {t.max():.2f} ms over {len(t)} stroke events")
    print(f"(training was still running at the end: {still})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--while-training", action="store_true",
                    help="then the same strokes while the Train page trains in the background")
    ap.add_argument("--auto-gc", action="store_true",
                    help="leave Python's collector automatic (unlike the app)")
    args = ap.parse_args()
    app = gui_app()
    if not args.auto_gc:
        from gui.gc_guard import GcGuard
        GcGuard(parent=app)    # as gui.app.main does
    from gui.settings import use_temporary_settings
    use_temporary_settings()   # default page settings (Grad-CAM, pen 22), not the user's own
    from gui.pages.draw_digit import DrawDigitPage
    page = DrawDigitPage()
    page.resize(1360, 900)
    page.show()
    for _ in range(5):
        app.processEvents()
    print(f"model: {page.meta.get('arch')}, heat map: {page.settings.heat}, "
          f"{os.cpu_count()} CPUs, torch {torch.__version__}")
    from gui import torch_threads
    arrangements = {   # name -> how the GUI thread's torch threads are set
        "the app's (GUI thread on 1 torch thread)": torch_threads.for_gui_thread,
        f"torch's default ({torch_threads.TRAINING_THREADS} threads)": torch_threads.for_training,
    }
    measure(app, page, 40)                     # warm-up
    times = {name: [] for name in arrangements}
    cpus = {name: [] for name in arrangements}
    slices = 4
    for _ in range(slices):                    # alternating slices: side by side in one run
        for name, arrange in arrangements.items():
            arrange()
            times[name].extend(measure(app, page, args.events // slices, cpus[name]).tolist())
    for name in arrangements:
        t, c = np.array(times[name]), np.array(cpus[name])
        print(f"{name}: median {np.median(t):.2f} ms, p95 {np.percentile(t, 95):.2f} ms, max "
              f"{t.max():.2f} ms over {len(t)} stroke events; CPU median {np.median(c):.2f} ms, "
              f"p95 {np.percentile(c, 95):.2f} ms")
    torch_threads.for_gui_thread()
    # the compute part alone (no painting), as the page does it: the canvas' ink box
    # preprocessed, then the model's forward with Grad-CAM
    from engine.digits import model_input, preprocess_stages
    from engine.inspect import analyse
    t = []
    for _ in range(200):
        t0 = time.perf_counter()
        ink, _row0, _col0 = page.canvas.ink_region()
        stages = preprocess_stages(ink)
        analyse(page.model, model_input(stages.centred, page.meta), "gradcam")
        t.append((time.perf_counter() - t0) * 1000)
    print(f"preprocess + forward + Grad-CAM alone: median {np.median(t):.2f} ms "
          f"(load average {os.getloadavg()[0]:.2f})")
    if args.while_training:
        while_training(app, page, args.events // 2)
    print(f"{np.percentile(times[next(iter(arrangements))], 95):.2f}")   # the app's arrangement
    page.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
