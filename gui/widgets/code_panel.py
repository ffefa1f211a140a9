"""`CodePanel`: the equivalent PyTorch code for the current settings, with a Copy button."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from gui import style


class CodePanel(QWidget):
    def __init__(self, title: str = "PyTorch", parent=None):
        super().__init__(parent)
        self.editor = QPlainTextEdit(readOnly=True)
        style.set_role(self.editor, "code")
        self.editor.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy this code to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        head = QHBoxLayout()
        head.addWidget(QLabel(f"<b>{title}</b>"))
        head.addStretch(1)
        head.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.editor)

    def set_code(self, code: str) -> None:
        if code != self.editor.toPlainText():
            self.editor.setPlainText(code)

    def code(self) -> str:
        return self.editor.toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code())
