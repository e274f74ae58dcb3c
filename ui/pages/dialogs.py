"""The reason dialog for undoing an audited edit (撤销更正, 取消调档).

Every edit that changes an enterprise's result needs a reason (it goes into the audit log and onto
the letter), undoing one too, so OK stays disabled until one is typed. The correction and override
dialogs themselves are the shared widgets in `ui.widgets`. Dialogs only collect values; the pages
apply them through the session, and tests call those page slots directly instead of a modal.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..widgets.buttons import ok_cancel_buttons


class ReasonDialog(QDialog):
    """Asks for a required reason (撤销更正, 取消调档)."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        label = QLabel(prompt)
        label.setWordWrap(True)
        lay.addWidget(label)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("必填：例如 经与企业核实……")
        self.reason.setFixedHeight(80)
        lay.addWidget(self.reason)
        self.buttons = ok_cancel_buttons(self, "确定")
        lay.addWidget(self.buttons)
        self.reason.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.text()))

    def text(self) -> str:
        return self.reason.toPlainText().strip()
