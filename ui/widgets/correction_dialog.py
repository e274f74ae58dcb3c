"""人工更正: change one input value of one firm, in canonical units, with a required reason.

A correction is an overlay on the import (`evaluator.merge.corrections`), so an official can later show
what the department's file said and why it was changed. Values are entered in the field's
canonical unit (亩, 万元, 万千瓦时 …), which the dialog shows next to the box; numbers may be
typed as in the source tables (thousands separators, full-width digits). The dialog only
collects the values; the caller applies them (`Project.add_correction`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.fields import FIELD_BY_ID, FIELDS, FieldSpec, to_halfwidth
from evaluator.core.numbers import field_value_text

from .buttons import ok_cancel_buttons
from .charts import cjk_font

# The credit code is the enterprise key: changing it would not re-merge the firm, so it is not offered.
CORRECTABLE_FIELDS: tuple[str, ...] = tuple(f.id for f in FIELDS if f.id != "credit_code")
_CHOICES: dict[str, tuple[tuple[str, float | None], ...]] = {
    "bool": (("是", 1.0), ("否", 0.0), ("（空）", None)),
    "scale": (("规上", 1.0), ("规下", 0.0), ("（空）", None)),
}


class CorrectionValues(NamedTuple):
    """What the dialog collected; unpacks as `field, value, reason = dialog.values()`.

    `value` is in the canonical unit: float for numbers and flags (1/0), int for years, str for
    text, None to clear the value.
    """

    field: str
    value: object
    reason: str


def _missing(v: object) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v) or (isinstance(v, float) and math.isnan(v))  # NaN and pd.NA
    except TypeError:  # pd.NA refuses comparisons
        return True


def show_value(spec: FieldSpec, value: object) -> str:
    """A stored canonical value in words: `12.50 亩`, `是`, `规上`, `2019`, `空`."""
    return field_value_text(spec, value)


def parse_input(spec: FieldSpec, text: str) -> tuple[object, str]:
    """(canonical value, problem) from typed text; blank clears the value."""
    t = to_halfwidth(text).strip()
    if spec.kind in ("number", "year"):
        t = t.replace(",", "").replace("，", "").replace(" ", "")
        if t == "":
            return None, ""
        try:
            v = float(t)
        except ValueError:
            return None, f"“{text.strip()}”不是数字"
        if not math.isfinite(v):
            return None, "请输入有限的数值"
        if spec.kind == "year":
            if not v.is_integer() or not 1900 <= v <= 2100:
                return None, "请输入四位年份，如 2019"
            return int(v), ""
        if v < 0:
            return None, f"{spec.label}不能为负数"
        return v, ""
    return (t or None), ""


class CorrectionDialog(QDialog):
    """`CorrectionDialog(firm_name, current=None, field=None, *, value=None, reason="", credit_code="",
    fields=None, parent=None)`.

    - `current`: the firm's current values by field id, canonical units (a row of the table).
    - `field`: the field to start on (e.g. the column the official right-clicked).
    - `value`: a preset new value — text as typed, or a canonical value (number / 1.0 / None).
    - `reason`: a preset reason.
    - `fields`: field ids to offer (defaults to every field except the credit code).
    `values()` → `CorrectionValues(field, value, reason)`. OK is enabled only when the reason is
    not blank and the new value is valid for the field.
    """

    def __init__(self, firm_name: str, current: Mapping[str, object] | None = None, field: str | None = None, *,
                 value: object = None, reason: str = "", credit_code: str = "",
                 fields: Sequence[str] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("人工更正")
        self.setFont(cjk_font())
        self.setMinimumWidth(500)
        self._current = dict(current or {})
        lay = QVBoxLayout(self)
        head = QLabel(f"<b>{firm_name}</b>" + (f"<br><span style='color:#616161'>{credit_code}</span>"
                                                if credit_code else ""))
        head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(head)
        note = QLabel("更正作为覆盖层保存，原始文件不变；每项更正记入审计记录并列入数据核查清单。")
        note.setWordWrap(True)
        note.setStyleSheet("color: #616161;")
        lay.addWidget(note)

        form = QFormLayout()
        self.field = QComboBox()
        for fid in fields or CORRECTABLE_FIELDS:
            spec = FIELD_BY_ID[fid]
            self.field.addItem(spec.label + (f"（{spec.unit}）" if spec.unit else ""), fid)
        form.addRow("更正字段：", self.field)
        self.current_label = QLabel()
        self.current_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("当前值：", self.current_label)
        self.text = QLineEdit()
        self.choice = QComboBox()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.choice)
        self.stack.setFixedHeight(max(self.text.sizeHint().height(), self.choice.sizeHint().height()))
        self.unit = QLabel()
        self.unit.setMinimumWidth(90)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.stack, 1)
        row.addWidget(self.unit)
        form.addRow("更正为：", row)
        # The inline problem line keeps its place (one line high, empty while the value is fine):
        # a row that appears and hides as the official types left QFormLayout's cached height stale,
        # and the buttons were then drawn over the reason box.
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b71c1c;")
        self.problem.setMinimumHeight(self.problem.fontMetrics().height())
        form.addRow("", self.problem)
        self._form = form
        self.reason = QPlainTextEdit(reason)
        self.reason.setPlaceholderText("必填：例如 经电话向企业财务核实，原表单位填写错误")
        self.reason.setFixedHeight(80)
        self.reason.setTabChangesFocus(True)
        form.addRow("更正理由：", self.reason)
        lay.addLayout(form)

        self.buttons = ok_cancel_buttons(self, "确定更正")
        lay.addWidget(self.buttons)

        if field:
            i = self.field.findData(field)
            if i >= 0:
                self.field.setCurrentIndex(i)
        self.field.currentIndexChanged.connect(lambda _=0: self._field_changed())
        self.text.textChanged.connect(self._check)
        self.choice.currentIndexChanged.connect(self._check)
        self.reason.textChanged.connect(self._check)
        self._field_changed()
        if value is not None:
            self.set_value(value)

    # --- API ---------------------------------------------------------------------------------
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def spec(self) -> FieldSpec:
        return FIELD_BY_ID[self.field.currentData()]

    def set_value(self, value: object) -> None:
        """Preset the new value: typed text, or a canonical value for the current field."""
        spec = self.spec()
        if spec.kind in _CHOICES:
            if isinstance(value, str):
                i = self.choice.findText(value.strip())
            else:
                i = next((k for k, (_, x) in enumerate(_CHOICES[spec.kind])
                          if (x is None and _missing(value)) or (x is not None and not _missing(value)
                                                                  and float(value) == x)), -1)  # type: ignore[arg-type]
            if i >= 0:
                self.choice.setCurrentIndex(i)
        elif isinstance(value, float) and spec.kind == "number":
            self.text.setText(f"{value:.10g}")
        else:
            self.text.setText("" if _missing(value) else str(value))

    def values(self) -> CorrectionValues:
        value, _ = self._parsed()
        return CorrectionValues(self.spec().id, value, self.reason.toPlainText().strip())

    # --- internals ---------------------------------------------------------------------------
    def _parsed(self) -> tuple[object, str]:
        spec = self.spec()
        if spec.kind in _CHOICES:
            return _CHOICES[spec.kind][self.choice.currentIndex()][1], ""
        return parse_input(spec, self.text.text())

    def _field_changed(self) -> None:
        spec = self.spec()
        self.current_label.setText(show_value(spec, self._current.get(spec.id)))
        choice = spec.kind in _CHOICES
        self.choice.blockSignals(True)
        self.choice.clear()
        if choice:
            self.choice.addItems([t for t, _ in _CHOICES[spec.kind]])
        self.choice.blockSignals(False)
        self.stack.setCurrentWidget(self.choice if choice else self.text)
        self.unit.setText(spec.unit)
        self.text.setPlaceholderText({"number": "数值（留空表示清除该值）", "year": "四位年份，如 2019（留空表示清除）",
                                      }.get(spec.kind, "文字（留空表示清除该值）"))
        self._check()

    def _check(self) -> None:
        _, problem = self._parsed()
        self.problem.setText(problem)
        self.ok_button().setEnabled(not problem and bool(self.reason.toPlainText().strip()))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._keep_contents_height()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._keep_contents_height()

    def _keep_contents_height(self) -> None:
        """Never shorter than the contents at the current width: the wrapped note is taller on a
        narrow dialog, which a plain minimum size ignores (the buttons were then drawn over the
        reason box)."""
        lay = self.layout()
        need = lay.heightForWidth(self.width()) if lay.hasHeightForWidth() else lay.minimumSize().height()
        if need > 0 and self.minimumHeight() != need:
            self.setMinimumHeight(need)

    def accept(self) -> None:
        if not self.ok_button().isEnabled():  # Enter in a field must not bypass the checks
            return
        super().accept()


__all__ = ["CORRECTABLE_FIELDS", "CorrectionDialog", "CorrectionValues", "parse_input", "show_value"]
