"""Training overhead of the GUI: the Train-a-CNN page's samples/s over a bare PyTorch loop's.

Same model (LeNet-5), batch (64), data (Fashion-MNIST images; generated digits if absent),
device (CPU), measured side by side in one run, alternating bare / GUI rounds so that load from
other processes hits both alike. The GUI side is the real page (offscreen Qt): the worker thread
running engine.train.fit with live snapshots, and the window's slots drawing curves, filters,
feature maps and predictions. In two further GUI rounds a QTimer firing every 5 ms in the GUI
thread records the longest gap between its ticks while training: the longest stall of the event
loop; the gaps in a run's first 200 ms (the Start click's own work and the repaint of the page
it clears) are reported apart from those while training. Garbage collection is the app's:
collected from the event loop, the startup objects frozen once the page is built
(gui/gc_guard.py); `--auto-gc` leaves Python's own collector on.

Single rounds on these shared 2-core machines swing from 0.82 to 1.18 whichever side runs
first, so the default is 12 rounds and the report gives the quartiles with the median. A round
is one epoch of 24,000 images (about 3.5 s a side): with 12,000 (under 2 s a side, the default
until 2026-11-30) the machine's swings and a run's fixed start (the first snapshot, the sample
images shown) weigh twice as much; a real epoch (60,000 images) weighs them less still.

    .venv/bin/python benchmarks/train_overhead.py [--rounds 12] [--images 24000] [--auto-gc]

Last line: the ratio (GUI samples/s / bare samples/s), median over rounds.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.data import DATASETS, available, load_dataset  # noqa: E402
from engine.models import build_model  # noqa: E402

BATCH = 64


def bare_loop(train, seed: int) -> float:
    """A plain PyTorch loop over the same tensors, in a plain thread (as the worker runs in
    one: on a busy 2-core machine torch runs several times faster off the main thread, which
    would flatter the GUI): samples/s."""
    box = {}
    worker = threading.Thread(target=lambda: box.update(sps=_bare_loop(train, seed)))
    worker.start()
    worker.join()
    return box["sps"]


def _bare_loop(train, seed: int) -> float:
    torch.manual_seed(seed)
    model = build_model("lenet5")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_all, y_all = train.tensors
    order = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(seed))
    model.train()
    start = time.perf_counter()
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_all[idx]), y_all[idx])
        loss.backward()
        opt.step()
    return len(order) / (time.perf_counter() - start)


class StallMeter:
    """Records the gaps between ticks of a 5 ms QTimer in the GUI thread, and whether each
    came in the first CLICK_S of a run (the Start click's own work and repaint of the page)."""

    CLICK_S = 0.2

    def __init__(self):
        self.timer = QTimer(interval=5, timeout=self._tick)
        self.gaps: list[float] = []
        self.click_gaps: list[float] = []
        self._last = None
        self._start = 0.0

    def start(self):
        self._last = self._start = time.perf_counter()
        self.timer.start()

    def stop(self):
        self.timer.stop()

    def _tick(self):
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        if now - self._start < self.CLICK_S:
            self.click_gaps.append(now - self._last)
        self._last = now


def gui_run(page, meter: StallMeter | None) -> float:
    """One epoch through the page; samples/s as the trainer measured it at its last step."""
    last = {}

    def on_progress(events):
        steps = [e for e in events if e.kind == "step"]
        if steps:
            last["sps"] = steps[-1].samples_per_s

    page.runner.progress.connect(on_progress)
    loop = QEventLoop()
    page.runner.finished.connect(loop.quit)
    if meter is not None:
        meter.start()
    page.start_button.click()
    loop.exec()
    if meter is not None:
        meter.stop()
    page.runner.finished.disconnect(loop.quit)
    page.runner.progress.disconnect(on_progress)
    return last["sps"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--images", type=int, default=24000)
    parser.add_argument("--auto-gc", action="store_true",
                        help="leave Python's collector automatic (unlike the app)")
    args = parser.parse_args()
    app = QApplication([])
    if not args.auto_gc:
        from gui.gc_guard import GcGuard
        GcGuard(parent=app)    # as gui.app.main does
    collections = CollectionTimer()
    from gui.app import configure_pyqtgraph
    configure_pyqtgraph()
    from gui.pages.train_cnn import TrainCnnPage

    slot_times = time_slots(TrainCnnPage)
    name = "fashion_mnist" if available("fashion_mnist") else "generated"
    data = load_dataset(name, train_size=args.images, test_size=500)
    page = TrainCnnPage()
    page.resize(1300, 900)
    page.show()
    if not args.auto_gc:
        from gui.gc_guard import settle
        settle()               # as the window does after building a page
    page.dataset_combo.setCurrentIndex(list(DATASETS).index(name))
    page.train_size_spin.setValue(args.images)
    page.test_size_spin.setValue(500)
    page.batch_spin.setValue(BATCH)
    page.epochs_spin.setValue(1)
    page.device_combo.setCurrentIndex(page.device_combo.findData("cpu"))
    print(f"LeNet-5, batch {BATCH}, {args.images} {DATASETS[name].label} images, CPU, "
          f"{torch.get_num_threads()} torch threads, {os.cpu_count()} cores", flush=True)

    meter = StallMeter()
    gui_run(page, meter)          # warm-up: loads the data into the page's cache, first paints
    bare_loop(data.train, 0)      # warm-up
    meter.gaps.clear()
    meter.click_gaps.clear()
    slot_times.clear()
    collections.times.clear()
    ratios = []
    for r in range(args.rounds):
        if r % 2 == 0:  # alternate which side goes first, so drifting load cancels
            bare = bare_loop(data.train, r)
            gui = gui_run(page, None)
        else:
            gui = gui_run(page, None)
            bare = bare_loop(data.train, r)
        ratios.append(gui / bare)
        print(f"round {r + 1}: bare {bare:,.0f} samples/s, GUI {gui:,.0f} samples/s, "
              f"ratio {gui / bare:.3f}", flush=True)
    # the 5 ms probe wakes the GUI thread 200 times a second (and takes the GIL each time), so
    # it runs in rounds of its own, not in the throughput rounds it would slow down
    for _ in range(2):
        gui_run(page, meter)
    gaps_ms = sorted(g * 1000 for g in meter.gaps)
    p99 = gaps_ms[int(0.99 * (len(gaps_ms) - 1))]
    print(f"event loop while training: {len(gaps_ms)} ticks of a 5 ms timer, longest gap "
          f"{gaps_ms[-1]:.1f} ms, p99 {p99:.1f} ms, median {statistics.median(gaps_ms):.1f} ms")
    later = sorted(gaps_ms)
    for g in meter.click_gaps:
        later.remove(g * 1000)
    print(f"  of which the Start click's response (first {1000 * meter.CLICK_S:.0f} ms of a run): "
          f"longest {1000 * max(meter.click_gaps, default=0):.1f} ms; after it, longest gap "
          f"{later[-1]:.1f} ms")
    wall = sorted(w for w, _ in slot_times)
    cpu = sorted(c for _, c in slot_times)
    print(f"the page's redraw slot: {len(wall)} calls, longest {wall[-1]:.1f} ms wall "
          f"({cpu[-1]:.1f} ms of GUI-thread CPU), median {statistics.median(wall):.1f} ms")
    if collections.times:
        print(f"garbage collections: {len(collections.times)}, longest "
              f"{max(collections.times):.1f} ms")
    page.shutdown()
    if len(ratios) >= 4:
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        print(f"ratio over {len(ratios)} rounds: median {statistics.median(ratios):.3f}, "
              f"quartiles {q1:.3f}-{q3:.3f}")
    print(f"{statistics.median(ratios):.3f}")


class CollectionTimer:
    """Wall time of every garbage collection (any thread holds the GIL while it runs)."""

    def __init__(self):
        self.times: list[float] = []
        self._start = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase, _info):
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.times.append(1000 * (time.perf_counter() - self._start))


def time_slots(page_class) -> list[tuple[float, float]]:
    """Wrap the page's redraw slot (before any page exists) to record (wall ms, CPU ms) per
    call; thread CPU time is what the slot itself costs, whatever else the machine is doing."""
    times: list[tuple[float, float]] = []
    original = page_class._render_pending

    def timed(self, *args, **kwargs):
        w0, c0 = time.perf_counter(), time.thread_time()
        original(self, *args, **kwargs)
        times.append((1000 * (time.perf_counter() - w0), 1000 * (time.thread_time() - c0)))

    page_class._render_pending = timed
    return times


if __name__ == "__main__":
    main()
