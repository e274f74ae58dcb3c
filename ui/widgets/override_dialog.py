"""手动调档: set a firm's final tier by hand, with the reason that is audited and printed.

METHOD §3 keeps both the initial tier and the final one; the reason is what an appeal reviewer
reads, so the dialog cannot be confirmed without it. The dialog only collects the values: the
caller applies them (`Project.set_override`). Presets (`tier=`, `reason=`) let tests and the
"edit existing override" action fill it without running `exec()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from evaluator.method.scheme import TierRules

from .buttons import ok_cancel_buttons
from .charts import cjk_font, text_colour_on, tier_colour


class OverrideValues(NamedTuple):
    """What the dialog collected; unpacks as `tier, reason = dialog.values()`."""

    tier: str
    reason: str


def tier_badge(label: str | None, rules: TierRules, order: Sequence[str] = ()) -> QLabel:
    """A tier shown as a small coloured badge (`A类（优先发展类）`), or — when there is none."""
    w = QLabel(rules.full_name(label) if label else "—")
    if label:
        bg = tier_colour(label, order or rules.labels)
        fg = text_colour_on(label)
        w.setStyleSheet(f"QLabel {{ background: {bg.name()}; color: {fg.name()}; padding: 2px 8px;"
                        " border-radius: 3px; }")
    w.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    w.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)  # a badge, not a bar
    return w


def _swatch(colour: QColor) -> QIcon:
    pm = QPixmap(12, 12)
    pm.fill(colour)
    return QIcon(pm)


class OverrideDialog(QDialog):
    """`OverrideDialog(firm_name, rules=None, initial="", final="", final_reason="", *, credit_code="",
    tier=None, reason="", parent=None)`.

    - `rules`: the population's `TierRules` (labels and names); A–D with the usual names if None.
    - `initial`, `final`: 初评等级 and the current 最终等级; `final_reason` says why they differ
      (一票否决, 保护, an earlier override) and is shown under them.
    - `tier`, `reason`: presets; the tier combo starts at `tier`, else at the current final tier.
    `values()` → `OverrideValues(tier, reason)`; OK is enabled only when the reason is not blank.
    """

    def __init__(self, firm_name: str, rules: TierRules | None = None, initial: str | None = "",
                 final: str | None = "", final_reason: str = "", *, credit_code: str = "",
                 tier: str | None = None, reason: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("手动调档")
        self.setFont(cjk_font())
        self.setMinimumWidth(460)
        if rules is None:
            rules = TierRules(names={"A": "优先发展类", "B": "鼓励提升类", "C": "帮扶转型类", "D": "倒逼整治类"})
        self.rules = rules
        lay = QVBoxLayout(self)
        head = QLabel(f"<b>{firm_name}</b>" + (f"<br><span style='color:#616161'>{credit_code}</span>"
                                                if credit_code else ""))
        head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(head)

        form = QFormLayout()
        form.addRow("初评等级：", tier_badge(initial or None, rules))
        form.addRow("当前最终等级：", tier_badge(final or None, rules))
        if final_reason:
            why = QLabel(final_reason)
            why.setWordWrap(True)
            why.setStyleSheet("color: #616161;")
            form.addRow("", why)
        self.tier = QComboBox()
        for lab in rules.labels:
            self.tier.addItem(_swatch(tier_colour(lab, rules.labels)), rules.full_name(lab), lab)
        start = tier or final or ""
        i = self.tier.findData(start)
        if i >= 0:
            self.tier.setCurrentIndex(i)
        form.addRow("调整为：", self.tier)
        self.reason = QPlainTextEdit(reason)
        self.reason.setPlaceholderText("必填：调档理由写入审计记录，并打印在告知书上")
        self.reason.setFixedHeight(88)
        self.reason.setTabChangesFocus(True)
        form.addRow("调档理由：", self.reason)
        lay.addLayout(form)
        self.hint = QLabel("选择与初评等级相同的等级即恢复初评结果；理由同样必填。")
        self.hint.setWordWrap(True)
        pal = self.hint.palette()
        pal.setColor(QPalette.ColorRole.WindowText, QColor("#616161"))
        self.hint.setPalette(pal)
        lay.addWidget(self.hint)

        self.buttons = ok_cancel_buttons(self, "确定调档")
        lay.addWidget(self.buttons)
        self.reason.textChanged.connect(self._check)
        self._check()

    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _check(self) -> None:
        self.ok_button().setEnabled(bool(self.reason.toPlainText().strip()))

    def accept(self) -> None:
        if not self.reason.toPlainText().strip():  # Enter in a field must not bypass the rule
            return
        super().accept()

    def values(self) -> OverrideValues:
        return OverrideValues(str(self.tier.currentData()), self.reason.toPlainText().strip())


__all__ = ["OverrideDialog", "OverrideValues", "tier_badge"]
