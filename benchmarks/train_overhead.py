"""Training overhead of the GUI: the Train-a-CNN page's samples/s over a bare PyTorch loop's.

Same model (LeNet-5), batch (64), data (Fashion-MNIST images; generated digits if absent),
device (CPU), measured side by side in one run. The GUI side is the real page (offscreen Qt):
the worker thread running engine.train.fit with live snapshots, and the window's slots drawing
curves, filters, feature maps and predictions. Garbage collection is the app's: collected from
the event loop, the startup objects frozen once the page is built (gui/gc_guard.py);
`--auto-gc` leaves Python's own collector on.

These shared 2-core machines change speed by ±20 % in phases of 2-5 s (a bare loop's samples/s
over 0.25-s windows: autocorrelation 0.88 at 0.25 s, 0.57 at 1 s, 0.1 at 2 s). Two sides run
one after the other for seconds each therefore land in different phases, and a single ratio
swings from 0.8 to 1.3. So the default measurement (`--mode slices`) alternates the two sides
in short slices of one long run each, both paused between slices with the trainer's own
TrainControl (checked every step, as in engine.train.fit):
- a GUI slice lasts at least `--slice` seconds and ends only when the page has drawn every event
  it received (nothing pending, nothing staged): its drawing is counted in its own slice, and
  the bare slice after it runs beside an idle window. (Events the worker still holds at the
  pause are drawn at the start of the next GUI slice, as they would be a moment later.)
- the bare slice after it runs equally long;
- each slice's samples/s comes from its own steps' time stamps (steps that straddle an epoch's
  end, where the trainer evaluates the test set, are left out on both sides);
- each GUI slice is compared with the mean of the bare slices before and after it, which
  cancels a steady drift. The report gives the median ratio and quartiles over all slices, and
  the ratio of the pooled rates.
Pausing makes the page draw a little more than it would while training without pause (a
snapshot after each resume, and a GUI slice cut only after a redraw), so the figure, if
anything, understates the GUI side.

`--mode runs` is the older measurement: whole one-epoch runs of `--images` images started from
the Start button, alternating bare / GUI rounds, each side's samples/s as measured at its last
step; its rounds swing by ±10-15 %, so it needs many rounds.

Either way two further GUI runs measure the longest stall of the event loop: a QTimer firing
every 5 ms in the GUI thread records the longest gap between its ticks while training (the
gaps in a run's first 200 ms, the Start click's own work and the repaint of the page it clears,
are reported apart).

    .venv/bin/python benchmarks/train_overhead.py [--mode slices|runs] [--slices 80]
        [--slice 0.6] [--rounds 12] [--images 24000] [--auto-gc]

Last line: the ratio (GUI samples/s / bare samples/s), median over slices (or rounds).
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
from engine.train import TrainControl, preload  # noqa: E402
from gui import torch_threads  # noqa: E402

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
    torch_threads.for_training()     # as the app's worker does
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
    began in the first CLICK_S of a run (the Start click's own work and repaint of the page)."""

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
        if self._last - self._start < self.CLICK_S:   # the gap began in the click's time (a
            self.click_gaps.append(now - self._last)  # long click ends after CLICK_S)
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


class BareSlices(threading.Thread):
    """The bare loop, run in slices: paused and resumed with a TrainControl checked every step,
    as engine.train.fit checks it. `stamps`: (time, epoch) after each step."""

    def __init__(self, train, seed: int = 0):
        super().__init__(daemon=True)
        self.train, self.seed = train, seed
        self.control = TrainControl()
        self.control.pause()
        self.stamps: list[tuple[float, int]] = []

    def run(self) -> None:
        torch_threads.for_training()     # as the app's worker does
        torch.manual_seed(self.seed)
        model = build_model("lenet5")
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        x_all, y_all = self.train.tensors
        generator = torch.Generator().manual_seed(self.seed)
        model.train()
        epoch = 0
        while True:
            order = torch.randperm(len(x_all), generator=generator)
            for i in range(0, len(order), BATCH):
                if self.control.paused:
                    self.control.wait_while_paused()
                if self.control.stopped:
                    return
                idx = order[i:i + BATCH]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(x_all[idx]), y_all[idx])
                loss.backward()
                opt.step()
                self.stamps.append((time.perf_counter(), epoch))
            epoch += 1


def slice_rate(stamps: list[tuple[float, int]], start: float, end: float) -> float | None:
    """Samples/s over the steps stamped in [start, end]: consecutive steps of one epoch only."""
    inside = [(t, e) for t, e in stamps if start <= t <= end]
    gaps = [t1 - t0 for (t0, e0), (t1, e1) in zip(inside, inside[1:]) if e0 == e1]
    if len(gaps) < 3:
        return None
    return len(gaps) * BATCH / sum(gaps)


def gui_stamps() -> list[tuple[float, int]]:
    """Wrap the GUI worker's per-step callback (before any worker exists) to stamp each step."""
    from gui.workers import TrainWorker
    stamps: list[tuple[float, int]] = []
    original = TrainWorker._on_step

    def stamped(self, event):
        if event.kind == "step":
            stamps.append((time.perf_counter(), event.epoch))
        return original(self, event)

    TrainWorker._on_step = stamped
    return stamps


def run_slices(page, data, stamps, drawn: list, n_slices: int, min_slice_s: float) -> list[float]:
    """Alternate bare and GUI slices (see the module docstring); returns the per-slice ratios.
    `drawn`: the hooks the page calls after each redraw (see `watch_drawing`)."""
    bare = BareSlices(data.train)
    bare.start()

    def idle() -> bool:
        return page.drawing_idle()

    def run_loop(ms: int, until_idle: bool = False) -> None:
        """The event loop for `ms`, then (`until_idle`) until the page has drawn everything."""
        loop = QEventLoop()
        due = {"passed": False}

        def check():
            if due["passed"] and (not until_idle or idle()):
                loop.quit()

        def deadline():
            due["passed"] = True
            check()

        drawn.append(check)
        QTimer.singleShot(ms, deadline)
        loop.exec()
        drawn.remove(check)

    page.form.epochs_spin.setValue(1000)                      # one run for all the slices
    page.start_button.click()
    while not stamps or stamps[-1][0] < time.perf_counter() - 0.5:
        run_loop(100)                                    # until the run has started
    page.runner.pause()
    run_loop(500, until_idle=True)
    bare_times, gui_times = [], []
    for _ in range(n_slices):
        t0 = time.perf_counter()
        bare.control.resume()
        run_loop(int(1000 * (gui_times[-1][1] - gui_times[-1][0] if gui_times else min_slice_s)))
        bare.control.pause()
        bare_times.append((t0, time.perf_counter()))
        t0 = time.perf_counter()
        page.runner.resume()
        run_loop(int(1000 * min_slice_s), until_idle=True)   # ends with everything drawn
        page.runner.pause()
        gui_times.append((t0, time.perf_counter()))
        run_loop(30)                                     # the step in flight ends; its batch
        page.render_timer.stop()                         # is drawn in the next GUI slice
    t0 = time.perf_counter()
    bare.control.resume()
    run_loop(int(1000 * (gui_times[-1][1] - gui_times[-1][0])))
    bare.control.pause()
    bare_times.append((t0, time.perf_counter()))
    loop = QEventLoop()
    page.runner.finished.connect(loop.quit)
    page.stop_training()
    loop.exec()
    page.runner.finished.disconnect(loop.quit)
    bare.control.stop()
    bare.join()
    page.form.epochs_spin.setValue(1)

    ratios, gui_rates, bare_rates = [], [], []
    for k, (g0, g1) in enumerate(gui_times):
        gui = slice_rate(stamps, g0, g1)
        before = slice_rate(bare.stamps, *bare_times[k])
        after = slice_rate(bare.stamps, *bare_times[k + 1])
        if gui is None or before is None or after is None:
            continue
        ratios.append(gui / ((before + after) / 2))
        gui_rates.append((gui, g1 - g0))
    for b0, b1 in bare_times:
        rate = slice_rate(bare.stamps, b0, b1)
        if rate is not None:
            bare_rates.append((rate, b1 - b0))
    pooled_gui = sum(r * d for r, d in gui_rates) / sum(d for _, d in gui_rates)
    pooled_bare = sum(r * d for r, d in bare_rates) / sum(d for _, d in bare_rates)
    lengths = [g1 - g0 for g0, g1 in gui_times]
    print(f"{len(ratios)} GUI slices (median {statistics.median(lengths):.2f} s) between "
          f"{len(bare_rates)} bare slices; GUI {pooled_gui:,.0f} samples/s, bare "
          f"{pooled_bare:,.0f} samples/s: pooled ratio {pooled_gui / pooled_bare:.3f}")
    return ratios


def run_rounds(page, data, rounds: int) -> list[float]:
    """Whole one-epoch runs, alternating which side goes first so that drifting load cancels."""
    ratios = []
    for r in range(rounds):
        if r % 2 == 0:
            bare = bare_loop(data.train, r)
            gui = gui_run(page, None)
        else:
            gui = gui_run(page, None)
            bare = bare_loop(data.train, r)
        ratios.append(gui / bare)
        print(f"round {r + 1}: bare {bare:,.0f} samples/s, GUI {gui:,.0f} samples/s, "
              f"ratio {gui / bare:.3f}", flush=True)
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("slices", "runs"), default="slices")
    parser.add_argument("--slices", type=int, default=80, help="GUI slices (--mode slices)")
    parser.add_argument("--slice", type=float, default=0.6,
                        help="shortest GUI slice, seconds (--mode slices)")
    parser.add_argument("--rounds", type=int, default=12, help="rounds (--mode runs)")
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
    torch_threads.for_gui_thread()   # as the app does when it builds a page
    from gui.pages.train_cnn import TrainCnnPage

    from gui.pages.train_cnn.views import RunViews
    slot_times = time_slots(TrainCnnPage)
    click_times = time_slots(TrainCnnPage, "start_training")
    drawn = watch_drawing(TrainCnnPage, RunViews)
    stamps = gui_stamps()
    name = "fashion_mnist" if available("fashion_mnist") else "generated"
    data = load_dataset(name, train_size=args.images, test_size=500)
    page = TrainCnnPage()
    page.resize(1300, 900)
    page.show()
    preload()                  # as the app does in the background once its first page is up,
    if not args.auto_gc:       # then freezing what that made (gui.app.TrainingPreloader)
        from gui.gc_guard import settle
        settle()
    page.form.dataset_combo.setCurrentIndex(list(DATASETS).index(name))
    page.form.train_size_spin.setValue(args.images)
    page.form.test_size_spin.setValue(500)
    page.form.batch_spin.setValue(BATCH)
    page.form.epochs_spin.setValue(1)
    page.form.device_combo.setCurrentIndex(page.form.device_combo.findData("cpu"))
    print(f"LeNet-5, batch {BATCH}, {args.images} {DATASETS[name].label} images, CPU, "
          f"{torch.get_num_threads()} torch threads, {os.cpu_count()} cores", flush=True)

    meter = StallMeter()
    gui_run(page, meter)          # warm-up: loads the data into the page's cache, first paints
    bare_loop(data.train, 0)      # warm-up
    meter.gaps.clear()
    meter.click_gaps.clear()
    slot_times.clear()
    collections.times.clear()
    if args.mode == "slices":
        ratios = run_slices(page, data, stamps, drawn, args.slices, args.slice)
        label = "slices"
    else:
        ratios = run_rounds(page, data, args.rounds)
        label = "rounds"
    # the 5 ms probe wakes the GUI thread 200 times a second (and takes the GIL each time), so
    # it runs in rounds of its own, not in the throughput rounds it would slow down
    click_times.clear()
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
    print("  the Start click's slot (start_training, its repaint included): " + ", ".join(
        f"{w:.1f} ms wall ({c:.1f} ms GUI-thread CPU)" for w, c in click_times))
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
        print(f"ratio over {len(ratios)} {label}: median {statistics.median(ratios):.3f}, "
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


def time_slots(page_class, name: str = "render_pending") -> list[tuple[float, float]]:
    """Wrap the page's redraw slot (or another method `name`; before any page exists) to
    record (wall ms, CPU ms) per call; thread CPU time is what the slot itself costs, whatever
    else the machine is doing (on a loaded machine the wall time swings, the CPU time less)."""
    times: list[tuple[float, float]] = []
    original = getattr(page_class, name)

    def timed(self, *args, **kwargs):
        w0, c0 = time.perf_counter(), time.thread_time()
        original(self, *args, **kwargs)
        times.append((1000 * (time.perf_counter() - w0), 1000 * (time.thread_time() - c0)))

    setattr(page_class, name, timed)
    return times


def watch_drawing(page_class, views_class) -> list:
    """Wrap the page's redraw slot and its views' staged-view slot (before any page exists) to
    call each function in the returned list after either has run."""
    hooks: list = []
    for owner, name in ((page_class, "render_pending"), (views_class, "run_stage")):
        original = getattr(owner, name)

        def hooked(self, *args, _original=original, **kwargs):
            _original(self, *args, **kwargs)
            for hook in list(hooks):
                hook()

        setattr(owner, name, hooked)
    return hooks


if __name__ == "__main__":
    main()
