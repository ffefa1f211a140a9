"""Train the digit model that ships in assets/models/digits.pt (rerun me; ~10 min on 2 CPU cores).

Data: MNIST test digits 0-7999 from ../shared/data/mnist (7000 to train, 1000 to pick the best
epoch) plus generated digits (engine.data.synth_digits), which look like digits drawn in the
app after its MNIST-style preprocessing. Digits 8000-9999 are held out: they are only scored
once, at the very end, and that score is written into the checkpoint and printed last.

Augmentation (per batch, torch): random rotation, scale, shear and shift, and thinner or
thicker strokes, so the model also copes with off-centre, slanted or bold drawings.

    nice -n 10 .venv/bin/python scripts/make_digit_model.py [--mnist DIR] [--epochs N]
"""
from __future__ import annotations

import argparse
import datetime
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.data.synth_digits import make_synth_digits  # noqa: E402
from engine.digits import read_mnist_idx  # noqa: E402
from engine.models import MODELS_DIR, build_model, parameter_count, save_checkpoint  # noqa: E402

HELD_OUT = slice(8000, 10000)   # never trained on, never used to choose anything
TRAIN = slice(0, 7000)
VALIDATION = slice(7000, 8000)  # picks the best epoch
ARCH, KWARGS = "lenet5", {"input_shape": (1, 28, 28), "num_classes": 10, "dropout": 0.2,
                          "batchnorm": True}


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """(B, 1, 28, 28) -> randomly rotated/scaled/sheared/shifted, strokes thinned or thickened."""
    b = x.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(b, generator=g)  # noqa: E731
    angle = u(-15, 15) * math.pi / 180
    scale = u(0.85, 1.12)
    shear = u(-0.25, 0.25)
    tx, ty = u(-2.5, 2.5) * 2 / 28, u(-2.5, 2.5) * 2 / 28       # pixels -> grid units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear, tx], 1),
                         torch.stack([sin, cos, ty], 1)], 1)    # (B, 2, 3) output -> input map
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # stroke width: a third thicker (dilate), a sixth thinner (erode), the rest as they are
    pick = torch.rand(b, generator=g)
    thick = F.max_pool2d(x, 3, 1, 1)
    thin = -F.max_pool2d(-x, 3, 1, 1)
    mix = u(0.4, 1.0)[:, None, None, None]
    x = torch.where((pick < 0.33)[:, None, None, None], x + mix * (thick - x), x)
    x = torch.where((pick > 0.83)[:, None, None, None], x + mix * (thin - x), x)
    return x.clamp_(0, 1)


@torch.no_grad()
def accuracy(model, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((pred == y).float().mean())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--synth", type=int, default=30000, help="generated digits to train on")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1, help="1 is fastest on a busy 2-core CPU")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(MODELS_DIR / "digits.pt"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()

    images, labels = read_mnist_idx(args.mnist)                 # (10000, 28, 28) in [0, 1]
    mx = torch.from_numpy(images[:, None])
    my = torch.from_numpy(labels)
    sx, sy = make_synth_digits(args.synth, seed=1000 + args.seed)
    vsx, vsy = make_synth_digits(2000, seed=2000 + args.seed)
    sx, sy, vsx, vsy = map(torch.from_numpy, (sx, sy, vsx, vsy))
    print(f"data ready in {time.perf_counter() - start:.0f} s: {TRAIN.stop - TRAIN.start} MNIST + "
          f"{len(sx)} generated to train, MNIST {VALIDATION.start}-{VALIDATION.stop - 1} to validate",
          flush=True)

    model = build_model(ARCH, **KWARGS)
    # each epoch: every MNIST training digit twice (its style is what the held-out test has)
    # and as many fresh generated ones (the app's drawings look like these)
    n_mnist = TRAIN.stop - TRAIN.start
    per_epoch = 3 * n_mnist
    steps = args.epochs * math.ceil(per_epoch / args.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    best, best_state, best_epoch, best_val = -1.0, None, -1, math.nan
    for epoch in range(args.epochs):
        model.train()
        mnist_idx = torch.cat([torch.randperm(n_mnist, generator=g) for _ in range(2)])
        synth_idx = torch.randint(0, len(sx), (n_mnist,), generator=g)
        x = torch.cat([mx[TRAIN][mnist_idx], sx[synth_idx]])
        y = torch.cat([my[TRAIN][mnist_idx], sy[synth_idx]])
        order = torch.randperm(len(x), generator=g)
        loss_sum = 0.0
        for i in range(0, len(x), args.batch):
            idx = order[i:i + args.batch]
            xb = augment(x[idx], g)
            loss = F.cross_entropy(model(xb), y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss.detach()) * len(idx)
        val = accuracy(model, mx[VALIDATION], my[VALIDATION])
        val_synth = accuracy(model, vsx, vsy)
        # choose on MNIST validation, ties broken by the generated digits
        score = val + 1e-3 * val_synth
        if score > best:
            best, best_epoch, best_val = score, epoch, val
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        print(f"epoch {epoch + 1:2d}/{args.epochs}  loss {loss_sum / len(x):.4f}  "
              f"val MNIST {val:.2%}  val generated {val_synth:.2%}  "
              f"({time.perf_counter() - start:.0f} s)", flush=True)

    model.load_state_dict(best_state)
    model.eval()
    heldout = accuracy(model, mx[HELD_OUT], my[HELD_OUT])      # the one and only look
    meta = {
        "arch": ARCH, "kwargs": KWARGS, "classes": [str(d) for d in range(10)],
        "dataset": "MNIST test digits 0-6999 + generated digits (engine.data.synth_digits)",
        "input": "28x28 ink in [0, 1], MNIST-centred (engine.digits.preprocess), no normalisation",
        "heldout_accuracy": round(heldout, 4),
        "heldout": "MNIST test digits 8000-9999",
        "validation_accuracy": round(best_val, 4), "best_epoch": best_epoch + 1,
        "parameters": parameter_count(model),
        "made_by": "scripts/make_digit_model.py",
        "date": datetime.date.today().isoformat(),
        "train_seconds": round(time.perf_counter() - start),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out, model, meta)
    print(f"best epoch {best_epoch + 1}; wrote {out} ({out.stat().st_size / 1024:.0f} KiB) "
          f"in {time.perf_counter() - start:.0f} s")
    print(f"held-out accuracy (MNIST 8000-9999): {heldout:.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
