"""Strides & Gates compute engine: traces, models, data and training.

Pure torch/numpy. Nothing in this package may import Qt (tests/test_engine_no_qt.py checks it),
so every function here can be used and tested without a display.
"""
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
