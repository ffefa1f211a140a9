"""Strides & Gates desktop GUI (PySide6 + pyqtgraph). Views only: the numbers come from engine/."""
