"""Does memory grow when the same things are done again? The monkey's seeded actions, three times.

    QT_QPA_PLATFORM=offscreen python benchmarks/soak_memory.py [--actions 1500] [--seed 2]

Builds every page, runs the real-input monkey (tests/monkey.py) for N seeded actions, then the
same N actions twice more. After each pass: resident memory, and what Python holds (live torch
tensors and their bytes, the object types that grew most). A leak grows on every pass; memory
the allocator keeps after a peak (training, a photo) does not. The last line is the RSS change
over the third pass, in MB.
"""
from __future__ import annotations

import argparse
import collections
import gc
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import monkey  # noqa: E402


def snapshot() -> dict:
    import torch
    gc.collect()
    objects = gc.get_objects()
    tensors = [o for o in objects if isinstance(o, torch.Tensor)]
    return {"rss": monkey._rss_mb(), "types": collections.Counter(type(o).__name__ for o in objects),
            "tensors": len(tensors),
            "tensor_mb": sum(t.numel() * t.element_size() for t in tensors) / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    monkey._setup_environment()
    import torch
    torch.manual_seed(args.seed)
    m = monkey.Monkey(args.seed, slow_s=5.0)
    m.visit_every_page()
    snaps = []
    for _ in range(3):
        m.rng = random.Random(args.seed)          # the same actions each pass
        for _ in range(args.actions):
            m.act()
        snaps.append(snapshot())
    for k in (1, 2):
        a, b = snaps[k - 1], snaps[k]
        grew = (b["types"] - a["types"]).most_common(6)
        print(f"pass {k + 1}: RSS {a['rss']:.0f} -> {b['rss']:.0f} MB; torch tensors {a['tensors']}"
              f" -> {b['tensors']} ({a['tensor_mb']:.0f} -> {b['tensor_mb']:.0f} MB); "
              f"most grown: {grew}")
    print(f"{snaps[2]['rss'] - snaps[1]['rss']:.0f}")
    sys.stdout.flush()
    os._exit(0)          # no teardown races after the figures are out


if __name__ == "__main__":
    main()
