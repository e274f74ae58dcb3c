"""Small dialogs for audited edits: correct a value, override a tier, give a reason.

Every edit that changes an enterprise's result needs a reason (it goes into the audit log and onto
the letter), so OK stays disabled until one is typed. The dialogs only collect values; the page
applies them through the session, and tests call those page slots directly instead of clicking
through a modal dialog.
"""

from __future__ import annotations

import math

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from evaluator.fields import FIELD_BY_ID, FIELDS, FieldSpec
from evaluator.scheme import TierRules

# Fields an official may correct: everything except the merge key itself.
CORRECTABLE = tuple(f for f in FIELDS if f.id != "credit_code")


def value_text(spec: FieldSpec, value: object) -> str:
    """A stored canonical value as the dialog shows it."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return "空"
    if spec.kind == "bool":
        return "是" if float(value) == 1 else "否"  # type: ignore[arg-type]
    if spec.kind == "scale":
        return "规上" if float(value) == 1 else "规下"  # type: ignore[arg-type]
    if spec.kind == "year":
        return str(int(float(value)))  # type: ignore[arg-type]
    if spec.kind == "number":
        return f"{float(value):,.6g} {spec.unit}".strip()  # type: ignore[arg-type]
    return str(value)


def parse_value(spec: FieldSpec, text: str) -> tuple[object, str]:
    """(canonical value, error message) from what was typed; an empty entry clears the value."""
    t = text.strip().replace(",", "").replace("，", "").replace(" ", "")
    if t in ("", "空"):
        return None, ""
    if spec.kind in ("bool", "scale"):
        yes = ("是", "规上") if spec.kind == "scale" else ("是",)
        no = ("否", "规下") if spec.kind == "scale" else ("否",)
        if t in yes or t == "1":
            return 1.0, ""
        if t in no or t == "0":
            return 0.0, ""
        return None, "请选择是或否"
    if spec.kind in ("number", "year"):
        try:
            v = float(t)
        except ValueError:
            return None, f"“{text}”不是数字"
        if not math.isfinite(v):
            return None, "请输入有限的数值"
        if spec.kind == "year" and not 1900 <= v <= 2100:
            return None, "请输入四位年份，如 2019"
        return (int(v) if spec.kind == "year" else v), ""
    return text.strip(), ""


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
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.reason.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.text()))

    def text(self) -> str:
        return self.reason.toPlainText().strip()


class CorrectionDialog(QDialog):
    """更正数值: field, new value in canonical units (unit shown), required reason."""

    def __init__(self, enterprise: str, current: dict[str, object], field: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("更正数值")
        self.setMinimumWidth(480)
        self._current = current
        lay = QVBoxLayout(self)
        head = QLabel(f"<b>{enterprise}</b><br><span style='color:#5f6b7a'>更正作为覆盖层保存，原始文件不变；"
                      "更正记入审计记录并列入数据核查。</span>")
        head.setWordWrap(True)
        lay.addWidget(head)
        form = QFormLayout()
        self.field = QComboBox()
        for spec in CORRECTABLE:
            self.field.addItem(spec.label + (f"（{spec.unit}）" if spec.unit else ""), spec.id)
        form.addRow("字段：", self.field)
        self.current_label = QLabel()
        form.addRow("当前值：", self.current_label)
        self.value = QLineEdit()
        self.choice = QComboBox()
        self.unit = QLabel()
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.value, 1)
        h.addWidget(self.choice, 1)
        h.addWidget(self.unit)
        form.addRow("更正为：", row)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.hide()
        form.addRow("", self.error)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("必填：例如 经电话向企业财务核实，原表单位填写错误")
        self.reason.setFixedHeight(72)
        form.addRow("理由：", self.reason)
        lay.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定更正")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.field.currentIndexChanged.connect(self._field_changed)
        self.value.textChanged.connect(self._check)
        self.choice.currentIndexChanged.connect(self._check)
        self.reason.textChanged.connect(self._check)
        if field:
            i = self.field.findData(field)
            if i >= 0:
                self.field.setCurrentIndex(i)
        self._field_changed()

    def spec(self) -> FieldSpec:
        return FIELD_BY_ID[self.field.currentData()]

    def _field_changed(self) -> None:
        spec = self.spec()
        self.current_label.setText(value_text(spec, self._current.get(spec.id)))
        choice = spec.kind in ("bool", "scale")
        self.value.setVisible(not choice)
        self.choice.setVisible(choice)
        self.choice.clear()
        if spec.kind == "bool":
            self.choice.addItems(["是", "否", "空"])
        elif spec.kind == "scale":
            self.choice.addItems(["规上", "规下", "空"])
        self.unit.setText(spec.unit)
        self.value.setPlaceholderText({"number": f"以 {spec.unit} 为单位的数值（留空表示清除）" if spec.unit else "数值",
                                       "year": "投产年份，如 2019"}.get(spec.kind, "文字"))
        self._check()

    def values(self) -> tuple[str, object, str]:
        """(field id, canonical value, reason) — what the page passes to the session."""
        spec = self.spec()
        text = self.choice.currentText() if spec.kind in ("bool", "scale") else self.value.text()
        value, _ = parse_value(spec, text)
        return spec.id, value, self.reason.toPlainText().strip()

    def _check(self) -> None:
        spec = self.spec()
        text = self.choice.currentText() if spec.kind in ("bool", "scale") else self.value.text()
        _, err = parse_value(spec, text)
        self.error.setText(err)
        self.error.setVisible(bool(err))
        ok = not err and bool(self.reason.toPlainText().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


class OverrideDialog(QDialog):
    """手动调档: shows 初评等级 and 最终等级, asks for the new tier and a required reason."""

    def __init__(self, enterprise: str, rules: TierRules, initial: str, final: str, final_reason: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("手动调档")
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        head = QLabel(f"<b>{enterprise}</b>")
        lay.addWidget(head)
        form = QFormLayout()
        form.addRow("初评等级：", QLabel(rules.full_name(initial) or "—"))
        fin = QLabel(rules.full_name(final) or "—")
        if final_reason:
            fin.setToolTip(final_reason)
        form.addRow("当前最终等级：", fin)
        if final_reason:
            why = QLabel(final_reason)
            why.setWordWrap(True)
            why.setObjectName("hint")
            form.addRow("", why)
        self.tier = QComboBox()
        for lab in rules.labels:
            self.tier.addItem(rules.full_name(lab), lab)
        i = self.tier.findData(final)
        if i >= 0:
            self.tier.setCurrentIndex(i)
        form.addRow("调整为：", self.tier)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("必填：调档理由将写入审计记录并打印在告知书上")
        self.reason.setFixedHeight(80)
        form.addRow("理由：", self.reason)
        lay.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定调档")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.reason.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.reason.toPlainText().strip()))

    def values(self) -> tuple[str, str]:
        return str(self.tier.currentData()), self.reason.toPlainText().strip()
