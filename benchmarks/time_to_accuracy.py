"""Time to accuracy on this CPU: LeNet-5 on Fashion-MNIST to >= 89 % test accuracy and on
generated digits to >= 98 %, plus the peak resident memory while training LeNet.

The recipe is the Train page's default (engine.train_job.CnnRunConfig: optimiser, learning rate
and its schedule, batch size, epochs, seed) on all the training images. Uses the app's
own trainer (engine.train.fit) and data layer, and stops at the end of the first epoch whose test
accuracy reaches the target. Time is the trainer's wall clock from the first step to that
epoch's end (test passes included; loading or generating the data is reported apart).
Side by side in the same run: a bare PyTorch loop (DataLoader, the same model and optimiser, no
events, no test passes) trains one epoch of the same data, and the two throughputs are compared.

    .venv/bin/python benchmarks/time_to_accuracy.py [--quick]

Last line: the two times and the peak memory.
"""
from __future__ import annotations

import argparse
import platform
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from engine.data import available, load_dataset  # noqa: E402
from engine.models import build_model  # noqa: E402
from engine.train import TrainConfig, device_name, fit, pick_device  # noqa: E402
from engine.train_job import CnnRunConfig  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def in_thread(fn, *args):
    """Run fn in a worker thread, as the app does (on a busy 2-core machine torch's OpenMP
    threads run several times faster from a secondary thread than from the main one)."""
    box = {}
    worker = threading.Thread(target=lambda: box.update(result=fn(*args)))
    worker.start()
    worker.join()
    return box["result"]


def bare_samples_per_s(config: TrainConfig, data) -> float:
    """One epoch of a plain PyTorch loop on `data.train`: images a second."""
    torch.manual_seed(config.seed)
    model = build_model("lenet5", input_shape=data.info.input_shape, num_classes=10)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr) if config.optimizer == "adam" \
        else torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    loader = torch.utils.data.DataLoader(data.train, batch_size=config.batch_size, shuffle=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return len(data.train) / (time.perf_counter() - t0)


def time_to(name: str, target: float, config: TrainConfig, **load_kw) -> tuple[float, float, int]:
    """(seconds to reach target, reached accuracy, epochs) training LeNet-5 on `name`; prints
    the app's and a bare loop's throughput side by side."""
    t0 = time.perf_counter()
    data = load_dataset(name, **load_kw)
    print(f"{data.info.label}: {len(data.train)} train / {len(data.test)} test images from "
          f"{data.info.source} (loaded in {time.perf_counter() - t0:.1f} s)", flush=True)
    torch.manual_seed(config.seed)   # the initial weights too, whatever ran before
    model = build_model("lenet5", input_shape=data.info.input_shape, num_classes=10)
    reached, speeds = {}, []   # speeds: the app's throughput at each epoch's end

    def on_step(event):
        if event.kind == "epoch":
            speeds.append(event.samples_per_s)
            print(f"  epoch {event.epoch + 1}: train {event.train_accuracy:.2%}  test "
                  f"{event.test_accuracy:.2%}  at {event.elapsed_s:.1f} s  "
                  f"({event.samples_per_s:.0f} samples/s)", flush=True)
            if event.test_accuracy >= target:
                reached.update(s=event.elapsed_s, acc=event.test_accuracy, epochs=event.epoch + 1)
                return False
        return True

    result = in_thread(fit, config, model, data.train, data.test, on_step)
    bare = in_thread(bare_samples_per_s, config, data)
    if speeds:
        print(f"  throughput, first epoch: app {speeds[0]:.0f} samples/s, bare PyTorch loop "
              f"{bare:.0f} samples/s (app / bare = {speeds[0] / bare:.2f}; the app's includes "
              f"its test pass)", flush=True)
    if not reached:
        print(f"  NOT reached {target:.0%}: {result.message}", flush=True)
        return float("nan"), result.test_accuracy, result.epochs_done
    return reached["s"], reached["acc"], reached["epochs"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="two epochs (a smoke test)")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{device_name(pick_device('cpu'))}", flush=True)
    page = CnnRunConfig()          # the Train page's default recipe
    config = TrainConfig(optimizer=page.optimizer, lr=page.lr, momentum=page.momentum,
                         schedule=page.schedule, batch_size=page.batch_size,
                         epochs=2 if args.quick else page.epochs, seed=page.seed, device="cpu")
    print(f"the Train page's default recipe: {config.optimizer} lr {config.lr:g} "
          f"({config.schedule}), batch {config.batch_size}, {config.epochs} epochs, seed "
          f"{config.seed}; all training images", flush=True)
    if available("fashion_mnist"):
        fashion = time_to("fashion_mnist", 0.89, config)
        what = "Fashion-MNIST (60,000 images)"
    else:   # this machine has neither Debian's files nor a download in the app's cache
        print("Fashion-MNIST not found (Debian's dataset-fashion-mnist, or the app's Download "
              "button): its time is not measured", flush=True)
        fashion = (float("nan"), float("nan"), 0)
        what = None
    generated = time_to("generated", 0.98, config, train_size=12000, test_size=2000)
    rss_lenet = peak_rss_mb()
    print(f"peak resident memory after {what or 'generated digits (12,000 images)'}"
          f"{' and generated digits' if what else ''}: {rss_lenet:.0f} MB", flush=True)
    print(f"Fashion-MNIST >= 89 %: {fashion[0]:.0f} s ({fashion[2]} epochs, {fashion[1]:.2%}); "
          f"generated digits >= 98 %: {generated[0]:.0f} s ({generated[2]} epochs, "
          f"{generated[1]:.2%}); peak RSS training LeNet {rss_lenet:.0f} MB")


if __name__ == "__main__":
    main()
