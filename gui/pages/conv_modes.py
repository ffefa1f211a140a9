"""The Convolution page's extra modes: 1-D convolution over a signal, and transposed convolution.
(Placeholder panels until they are built.)"""
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class Conv1dPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("1-D convolution: coming soon."))


class TransposedConvPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("Transposed convolution: coming soon."))
