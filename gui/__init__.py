"""Strides & Gates desktop GUI (PySide6 + pyqtgraph). Views only: the numbers come from engine/."""

import sys as _sys

if _sys.version_info < (3, 12):
    # PySide6 6.12 on CPython 3.11 drops references it does not own: one to None on every call
    # of a void Qt method (setText, setVisible, setRect, ...), and some to True (and rarely to
    # small ints) when Qt calls back into Python. After some thousand animation steps a refcount
    # reaches 0 and Python aborts ("none_dealloc", "bool_dealloc"), at the latest at exit.
    # Give these shared objects a huge refcount, as CPython 3.12+ does by making them immortal.
    import ctypes as _ctypes

    for _obj in (None, True, False, *range(-5, 257)):
        _ctypes.c_ssize_t.from_address(id(_obj)).value += 1 << 40
    del _obj
