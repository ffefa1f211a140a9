"""Strides & Gates desktop GUI (PySide6 + pyqtgraph). Views only: the numbers come from engine/."""

import sys as _sys

if _sys.version_info < (3, 12):
    # PySide6 6.12 on CPython 3.11 drops one reference to None on every call of a void Qt method
    # (setText, setVisible, setRect, ...): after some thousand animation steps None's refcount
    # reaches 0 and Python aborts ("none_dealloc"), at the latest when the interpreter exits.
    # Give None a huge refcount, as CPython 3.12+ does by making it immortal.
    import ctypes as _ctypes

    _ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
