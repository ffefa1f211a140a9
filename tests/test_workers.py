"""The Qt worker around the trainer: batched progress, clean finish, stop mid-run, failures."""
import functools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from test_train import blobs, small_net

from engine.train import TrainConfig, TrainEvent, TrainResult, fit
from gui.workers import TrainRunner


def job(epochs=2, **kw):
    cfg = TrainConfig(batch_size=16, epochs=epochs, device="cpu", **kw)
    return functools.partial(fit, cfg, small_net(), blobs(), blobs(64, seed=2))


def test_worker_runs_to_the_end(qtbot):
    batches, running = [], []
    runner = TrainRunner(on_progress=batches.append, on_running=running.append)
    with qtbot.waitSignal(runner.finished, timeout=30000) as blocker:
        runner.start(job())
    result = blocker.args[0]
    assert result.status == "finished" and not runner.running
    assert running == [True, False]
    events = [e for b in batches for e in b]
    # every step arrives, in order, though batched into fewer signals
    assert [e.step for e in events if e.kind == "step"] == list(range(1, 65))
    assert sum(e.kind == "epoch" for e in events) == 2


def test_stop_and_wait_mid_run(qtbot):
    runner = TrainRunner()
    runner.start(job(epochs=10_000))
    qtbot.waitSignal(runner.progress, timeout=10000).wait()
    runner.stop_and_wait()
    assert not runner.running


def test_job_exception_becomes_failed_signal(qtbot):
    def broken(on_step, control):
        raise ValueError("boom")

    runner = TrainRunner()
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start(broken)
    assert "boom" in blocker.args[0]
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)


def test_emit_interval_batches_steps(qtbot):
    """A slower emit interval sends fewer, larger batches, and still every step in order."""
    counts = {}
    for interval in (0.0, 10.0):
        batches = []
        runner = TrainRunner(on_progress=batches.append, emit_interval_s=interval)
        with qtbot.waitSignal(runner.finished, timeout=30000):
            runner.start(job(epochs=1))
        steps = [e.step for b in batches for e in b if e.kind == "step"]
        assert steps == list(range(1, 33))
        counts[interval] = len(batches)
    # interval 0: one signal per step plus the epoch's; 10 s: the first step (nothing sent
    # yet), the last step and the epoch event, each a signal of its own
    assert counts[0.0] == 33
    assert counts[10.0] == 3


def test_runner_preloads_torch_optim():
    """A page that trains imports torch.optim's dependencies while it is built, not in its
    first run (checked in a fresh interpreter: this one has imported them long ago)."""
    code = ("import sys, torch; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
            "from gui.workers import TrainRunner; assert 'torch._dynamo' not in sys.modules;"
            "TrainRunner(); assert 'torch._dynamo' in sys.modules")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_stopped_runs_queued_signals_do_not_reach_the_next_run(qtbot):
    """stop_and_wait() then start() at once: the old worker's finished (and last progress) are
    already queued for the GUI thread. Once they arrive, the new run must still be running and
    nothing of the old run may come out of the runner."""
    def endless(on_step, control):
        step = 0
        while not control.stopped:
            step += 1
            on_step(TrainEvent("step", 0, step, 10**9, 1.0, 0.5, 0.0, 0.0))
            time.sleep(0.001)
        return TrainResult("stopped", "old run", steps=step)

    release = threading.Event()

    def waiting(on_step, control):
        release.wait(20)
        on_step(TrainEvent("step", 0, 1, 1, 2.0, 1.0, 0.0, 0.0))
        return TrainResult("finished", "new run", steps=1)

    batches, results, running = [], [], []
    runner = TrainRunner(on_progress=batches.append, on_finished=results.append,
                         on_running=running.append, emit_interval_s=0.0)
    runner.start(endless)
    qtbot.waitUntil(lambda: bool(batches), timeout=10000)
    runner.stop_and_wait()          # the old worker has emitted its finished: queued, not run
    batches.clear()
    runner.start(waiting)
    qtbot.wait(300)                 # the old run's queued signals are delivered now
    assert runner.running, "the old run's finished cleared the new run's thread"
    assert results == [] and batches == [] and running == [True, False, True]
    release.set()
    qtbot.waitUntil(lambda: bool(results), timeout=10000)
    assert [r.message for r in results] == ["new run"] and not runner.running
    assert [e.loss for b in batches for e in b] == [2.0] and running == [True, False, True, False]


THREADS_CHECK = """
import torch
from PySide6.QtCore import QCoreApplication, QTimer
app = QCoreApplication([])
from gui import torch_threads
from gui.workers import TrainRunner
from engine.train import TrainResult
torch_threads.for_gui_thread()
seen = {}
def job(on_step, control):
    seen["worker"] = torch.get_num_threads()
    return TrainResult("finished", "")
runner = TrainRunner(on_finished=lambda result: app.quit())
runner.start(job)
QTimer.singleShot(20000, app.quit)
app.exec()
torch.ones(300, 300) @ torch.ones(300, 300)   # the GUI thread's next torch work
print(torch_threads.TRAINING_THREADS, seen.get("worker"), torch.get_num_threads())
"""


def test_the_gui_thread_keeps_one_torch_thread_and_a_training_run_gets_every_core():
    """gui/torch_threads.py: the GUI thread's small tensors run on one thread even after a
    worker has set torch's count for the training run (a fresh interpreter, torch's default
    count: this one's tests change it)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", THREADS_CHECK], env=env, capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    default, worker, gui = map(int, done.stdout.split()[-3:])
    assert (default, worker, gui) == (2, 2, 1)
