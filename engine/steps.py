"""`LazySteps`: a trace's steps as a list-like sequence whose items are built when asked for.

A 512x512 photo has 262,144 convolution steps; building them all would take seconds and hundreds
of MB, while the animation only ever shows one. Traces keep their whole output from one torch
call and make step k on demand with `trace.step(k)`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class LazySteps(Sequence):
    """len(), indexing (negative too), slicing and iteration over `make(k)` for k < length."""

    def __init__(self, length: int, make: Callable[[int], Any]):
        self._len = int(length)
        self._make = make

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._make(k) for k in range(*index.indices(self._len))]
        k = int(index)
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError(f"step {index} out of range (0..{self._len - 1})")
        return self._make(k)

    def __iter__(self):
        return (self._make(k) for k in range(self._len))
