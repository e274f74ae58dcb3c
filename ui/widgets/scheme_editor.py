"""A form for editing an evaluation scheme, for officials who will never open a TOML file.

The scheme stays data (METHOD §3): the form builds the TOML document from its fields, and the
same validator the command line uses (`evaluator.method.scheme.parse_scheme`) checks it on every edit,
so what the form accepts is exactly what the engine accepts. The validator's message is shown in
a red banner, with the TOML key path translated into the form's own words.

Loading a template and saving it without changes gives back the original text (comments
included), so merely opening the editor never changes a project's scheme fingerprint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QLocale,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QShowEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.fields import FLAG_FIELDS
from evaluator.core.issues import InputError
from evaluator.method.indicators import INDICATOR_BY_ID, INDICATORS
from evaluator.method.scheme import (
    POPULATIONS,
    FlagPoints,
    IndicatorRule,
    Population,
    Scheme,
    TierRules,
    parse_scheme,
    scheme_to_dict,
)

from .charts import cjk_font

SOURCE = "（编辑中）"  # the `source` given to parse_scheme, stripped again from messages
DEBOUNCE_MS = 300
DEFAULT_LABELS = ("A", "B", "C", "D")
DEFAULT_NAMES = {"A": "优先发展类", "B": "鼓励提升类", "C": "帮扶转型类", "D": "倒逼整治类"}

MISSING_LABELS = {"zero": "记 0 分", "average": "记平均分"}
BENCH_LABELS = {"aggregate": "合计值之比", "mean": "平均值", "median": "中位数", "fixed": "固定值"}
NORMALISE_LABELS = {"ratio": "比值法", "minmax": "极差法"}
DIRECTION_LABELS = {"benefit": "越大越好", "cost": "越小越好"}
TIER_METHOD_LABELS = {"rank_share": "按排名比例", "score": "按分数线"}


# --- small input widgets ---------------------------------------------------------------------
class _NoWheelMixin:
    """Spin boxes and combos in a scrolling form must not change value when the page scrolls past."""

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt API)
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()


class Num(_NoWheelMixin, QDoubleSpinBox):
    """A number box that prints `30`, `0.2`, `1.125` rather than `30.000000`.

    `special` is shown instead of the minimum, which then means "not set" (不封顶, 无, 不指定).
    """

    def __init__(self, minimum: float, maximum: float, *, decimals: int = 6, step: float = 1.0,
                 special: str = "", suffix: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setLocale(QLocale.c())  # a scheme file is written with "." whatever the Windows locale
        self.setDecimals(decimals)
        self.setRange(minimum, maximum)
        self.setSingleStep(step)
        self.setSpecialValueText(special)
        self.setSuffix(suffix)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt API)
        text = f"{value:.{self.decimals()}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    def is_special(self) -> bool:
        return bool(self.specialValueText()) and self.value() == self.minimum()


class Int(_NoWheelMixin, QSpinBox):
    def __init__(self, minimum: int, maximum: int, *, special: str = "", suffix: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setRange(minimum, maximum)
        self.setSpecialValueText(special)
        self.setSuffix(suffix)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class Choice(_NoWheelMixin, QComboBox):
    """A combo of (Chinese label, stored value) pairs."""

    def __init__(self, options: dict[str, str] | Sequence[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.set_options(options)

    def set_options(self, options: dict[str, str] | Sequence[tuple[str, str]]) -> None:
        current = self.value()
        self.blockSignals(True)
        self.clear()
        pairs = list(options.items()) if isinstance(options, dict) else list(options)
        for value, label in pairs:
            self.addItem(label, value)
        self.blockSignals(False)
        if current is not None:
            self.set_value(current)

    def value(self) -> Any:
        return self.currentData()

    def set_value(self, value: Any) -> None:
        i = self.findData(value)
        if i < 0:  # keep values the list does not offer (a removed tier) visible, so the error shows
            self.addItem(str(value), value)
            i = self.count() - 1
        self.setCurrentIndex(i)


def _num_out(v: float) -> float | int:
    """Whole numbers are written as `30`, not `30.0`, so saved files read like the templates."""
    return int(v) if float(v).is_integer() and abs(v) < 1e15 else float(v)


def watch(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` whenever the user changes `widget`, whatever kind of input it is."""
    def fire(*_args: object) -> None:
        callback()

    if isinstance(widget, QLineEdit):
        widget.textChanged.connect(fire)
    elif isinstance(widget, QPlainTextEdit):
        widget.textChanged.connect(fire)
    elif isinstance(widget, (QDoubleSpinBox, QSpinBox)):
        widget.valueChanged.connect(fire)
    elif isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(fire)
    elif isinstance(widget, QCheckBox):
        widget.toggled.connect(fire)
    else:  # pragma: no cover - programming error
        raise TypeError(type(widget))


def _fit_table_height(table: QTableWidget) -> None:
    """Tables inside the scrolling form show all their rows instead of scrolling on their own.

    The horizontal scroll bar is counted only when the columns are wider than the table, which
    is known only once the table has its width, so this also runs on every resize.
    """
    header = table.horizontalHeader()
    h = max(header.height(), header.sizeHint().height()) + 2 * table.frameWidth()
    for r in range(table.rowCount()):
        h += table.rowHeight(r)
    columns = sum(table.columnWidth(c) for c in range(table.columnCount()) if not table.isColumnHidden(c))
    scrolls = table.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    if scrolls and columns + table.verticalHeader().width() + 2 * table.frameWidth() > table.width():
        h += table.horizontalScrollBar().sizeHint().height()
    if table.height() != h + 1:
        table.setFixedHeight(h + 1)


class _RowTable(QTableWidget):
    """A table whose cells are input widgets; selecting follows the focused widget."""

    changed = Signal()

    def __init__(self, headers: Sequence[tuple[str, str, Sequence[str], int]], parent: QWidget | None = None,
                 stretch: int | None = None):
        super().__init__(0, len(headers), parent)
        # Column widths come from the widest text a column shows (plus room for a combo's arrow),
        # measured in the font actually in use, so larger system fonts never truncate Chinese.
        self._samples = [(text, tuple(samples), pad) for text, _tip, samples, pad in headers]
        for i, (text, tip, _samples, _pad) in enumerate(headers):
            item = QTableWidgetItem(text)
            item.setToolTip(tip)
            self.setHorizontalHeaderItem(i, item)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(30)
        self.horizontalHeader().setStretchLastSection(False)
        if stretch is not None:  # a stretching column fills the width: never a horizontal scroll bar
            self.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._widget_rows: dict[QWidget, int] = {}
        self._highlighting = False

    def put(self, row: int, col: int, widget: QWidget) -> None:
        self._widget_rows[widget] = row
        widget.installEventFilter(self)
        if isinstance(widget, QCheckBox):  # centre check boxes in their cell
            holder = QWidget()
            lay = QHBoxLayout(holder)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lay.addWidget(widget)
            self.setCellWidget(row, col, holder)
        else:
            self.setCellWidget(row, col, widget)
        watch(widget, self.changed.emit)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.FocusIn and obj in self._widget_rows:
            self._highlight_row(self._widget_rows[obj])  # type: ignore[index]
        return super().eventFilter(obj, event)

    def _highlight_row(self, row: int) -> None:
        """Show the focused widget's row as selected, without touching the current index.

        `selectRow` would make column 0 current; the view then gives focus to that cell's widget
        (`QAbstractItemView.edit` focuses a cell widget when its cell becomes current), Qt moves
        the current index back to the cell whose widget has focus, which focuses that widget
        again: FocusIn → selectRow → FocusIn … until the stack overflows and the app dies. Only
        the selection is changed here, never the current index or the focus, and never while a
        previous call is still on the stack.
        """
        if self._highlighting or row < 0 or row >= self.rowCount():
            return
        self._highlighting = True
        try:
            model = self.selectionModel()
            index = self.model().index(row, 0)
            flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            if not model.isRowSelected(row) or len(model.selectedRows()) != 1:
                model.select(index, flags)
        finally:
            self._highlighting = False

    def reset_rows(self, n: int) -> None:
        self._widget_rows.clear()
        self.setRowCount(0)
        self.setRowCount(n)

    def selected_row(self) -> int:
        rows = self.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def fit_columns(self) -> None:
        fm = QFontMetrics(self.font())
        hf = QFont(self.horizontalHeader().font())
        hf.setBold(True)
        hfm = QFontMetrics(hf)
        for i, (text, samples, pad) in enumerate(self._samples):
            width = max([hfm.horizontalAdvance(text) + 20] + [fm.horizontalAdvance(x) + pad for x in samples])
            if self.horizontalHeader().sectionResizeMode(i) == QHeaderView.ResizeMode.Stretch:
                continue  # takes what is left
            if self.columnWidth(i) != width:
                self.setColumnWidth(i, width)

    def refit(self) -> None:
        self.fit_columns()
        _fit_table_height(self)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.refit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.refit()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.refit()


def _buttons(*specs: tuple[str, Callable[[], None]]) -> QHBoxLayout:
    lay = QHBoxLayout()
    lay.setContentsMargins(0, 0, 0, 0)
    for text, fn in specs:
        b = QPushButton(text)
        b.clicked.connect(fn)
        lay.addWidget(b)
    lay.addStretch(1)
    return lay


# --- indicators ------------------------------------------------------------------------------
@dataclass
class IndicatorRow:
    """The input widgets of one indicator row (tests and the page drive these directly)."""

    indicator: Choice
    weight: Num
    missing: Choice
    bench_method: Choice
    bench_value: Num
    factor: Num
    by_division: QCheckBox
    min_firms: Int
    normalise: Choice
    direction: Choice
    cap: Num
    floor: Num


class IndicatorTable(_RowTable):
    """The scored indicators of one population: one row each, in scoring and printing order."""

    COMBO, BOX = 40, 18  # room around a combo's text (arrow) and a number box's text
    HEADERS = (
        ("指标", "指标库中的指标（所有指标都会计算和展示，这里只列计分的）", [i.label for i in INDICATORS], COMBO),
        ("权重", "该指标满分（得分 = 权重 × 指标值/基准值）", ["100.5"], BOX),
        ("无法计算时", "缺少数据无法计算时：记 0 分，或记本群体可计算企业的平均得分", list(MISSING_LABELS.values()), COMBO),
        ("基准值", "基准值的取法：合计值之比 = Σ分子/Σ分母；或参评企业平均值、中位数；或固定值",
         list(BENCH_LABELS.values()), COMBO),
        ("固定基准", "基准为“固定值”时的数值（单位同指标）", ["24.097 万元/吨标准煤"], BOX),
        ("系数", "基准值乘以的系数（如淮安以 2 倍均值为基准）", ["0.25"], BOX),
        ("分行业", "按行业大类分别计算基准值", [], 0),
        ("最少家数", "分行业时，企业数少于该数的行业改用全体基准", ["100 家"], BOX),
        ("计分方法", "比值法：权重 × 值/基准；极差法：按最小值—最大值线性计分", list(NORMALISE_LABELS.values()), COMBO),
        ("方向", "越大越好（效益型）或越小越好（成本型，如能耗）", list(DIRECTION_LABELS.values()), COMBO),
        ("封顶倍数", "比值法：值/基准 的上限（2 即单项最高得权重的 2 倍）；不封顶则不限", ["不封顶"], BOX),
        ("保底", "比值法：值/基准 的下限（通常 0）；极差法：保底比例（如 0.2）", ["0.25"], BOX),
    )

    def __init__(self, parent: QWidget | None = None):
        super().__init__(self.HEADERS, parent)
        self.rows: list[IndicatorRow] = []

    def load(self, rules: Sequence[IndicatorRule]) -> None:
        self.set_rows([self.rule_values(r) for r in rules])

    @staticmethod
    def rule_values(r: IndicatorRule) -> dict[str, Any]:
        b = r.benchmark
        return {"id": r.id, "weight": r.weight, "missing": r.missing, "method": b.method, "value": b.value,
                "factor": b.factor, "by_division": b.by_division, "min_firms": b.min_firms,
                "normalise": r.normalise, "direction": r.direction, "cap": r.cap, "floor": r.floor}

    def set_rows(self, values: Sequence[dict[str, Any]]) -> None:
        self.reset_rows(len(values))
        self.rows = []
        for i, v in enumerate(values):
            row = IndicatorRow(
                indicator=Choice([(ind.id, ind.label) for ind in INDICATORS]),
                weight=Num(0, 1000, step=5),
                missing=Choice(MISSING_LABELS),
                bench_method=Choice(BENCH_LABELS),
                bench_value=Num(0, 1e9, special="—"),
                factor=Num(0, 1000, step=0.1),
                by_division=QCheckBox(),
                min_firms=Int(1, 10000, suffix=" 家"),
                normalise=Choice(NORMALISE_LABELS),
                direction=Choice(DIRECTION_LABELS),
                cap=Num(0, 1000, step=0.5, special="不封顶"),
                floor=Num(-0.01, 100, step=0.1, special="无"),
            )
            row.indicator.set_value(v["id"])
            ind = INDICATOR_BY_ID.get(v["id"])
            if ind is not None:
                row.indicator.setToolTip(f"{ind.label} = {ind.formula()}（{ind.unit}）")
            row.weight.setValue(float(v["weight"]))
            row.missing.set_value(v["missing"])
            row.bench_method.set_value(v["method"])
            row.bench_value.setValue(float(v["value"]) if v.get("value") is not None else 0.0)
            row.factor.setValue(float(v["factor"]))
            row.by_division.setChecked(bool(v["by_division"]))
            row.min_firms.setValue(int(v["min_firms"]))
            row.normalise.set_value(v["normalise"])
            row.direction.set_value(v["direction"])
            row.cap.setValue(float(v["cap"]) if v.get("cap") is not None else 0.0)
            row.floor.setValue(float(v["floor"]) if v.get("floor") is not None else -0.01)
            for col, w in enumerate((row.indicator, row.weight, row.missing, row.bench_method, row.bench_value,
                                     row.factor, row.by_division, row.min_firms, row.normalise, row.direction,
                                     row.cap, row.floor)):
                self.put(i, col, w)
            row.bench_method.currentIndexChanged.connect(lambda _=0, r=row: self._sync_enabled(r))
            row.by_division.toggled.connect(lambda _=False, r=row: self._sync_enabled(r))
            row.indicator.currentIndexChanged.connect(lambda _=0, r=row: self._sync_enabled(r))
            self._sync_enabled(row)
            self.rows.append(row)
        self.refit()

    @staticmethod
    def _sync_enabled(row: IndicatorRow) -> None:
        row.bench_value.setEnabled(row.bench_method.value() == "fixed")
        row.min_firms.setEnabled(row.by_division.isChecked())
        ind = INDICATOR_BY_ID.get(row.indicator.value())
        if ind is not None:
            row.indicator.setToolTip(f"{ind.label} = {ind.formula()}（{ind.unit}）")
            row.bench_value.setSuffix(f" {ind.unit}" if row.bench_method.value() == "fixed" else "")

    def values(self) -> list[dict[str, Any]]:
        out = []
        for r in self.rows:
            out.append({"id": r.indicator.value(), "weight": r.weight.value(), "missing": r.missing.value(),
                        "method": r.bench_method.value(),
                        "value": r.bench_value.value() if r.bench_method.value() == "fixed" else None,
                        "factor": r.factor.value(), "by_division": r.by_division.isChecked(),
                        "min_firms": r.min_firms.value(), "normalise": r.normalise.value(),
                        "direction": r.direction.value(),
                        "cap": None if r.cap.is_special() else r.cap.value(),
                        "floor": None if r.floor.is_special() else r.floor.value()})
        return out

    def dump(self) -> list[dict[str, Any]]:
        """The `[[populations.<pid>.indicators]]` tables."""
        out = []
        for v in self.values():
            bench: Any
            if v["method"] == "aggregate" and v["factor"] == 1 and not v["by_division"] and v["min_firms"] == 5:
                bench = "aggregate"
            else:
                bench = {"method": v["method"]}
                if v["method"] == "fixed":
                    bench["value"] = _num_out(v["value"] or 0.0)
                if v["factor"] != 1:
                    bench["factor"] = _num_out(v["factor"])
                if v["by_division"]:
                    bench["by_division"] = True
                if v["by_division"] or v["min_firms"] != 5:
                    bench["min_firms"] = int(v["min_firms"])
            d: dict[str, Any] = {"id": v["id"], "weight": _num_out(v["weight"]), "missing": v["missing"],
                                 "benchmark": bench}
            if v["normalise"] != "ratio":
                d["normalise"] = v["normalise"]
            if v["direction"] != "benefit":
                d["direction"] = v["direction"]
            if v["cap"] is not None:
                d["cap"] = _num_out(v["cap"])
            d["floor"] = "none" if v["floor"] is None else _num_out(v["floor"])
            out.append(d)
        return out

    def weight_total(self) -> float:
        return sum(r.weight.value() for r in self.rows)

    # --- row operations -----------------------------------------------------------------------
    def add_indicator(self) -> None:
        used = {r.indicator.value() for r in self.rows}
        free = next((i.id for i in INDICATORS if i.id not in used), INDICATORS[0].id)
        vals = self.values() + [{"id": free, "weight": 10.0, "missing": "zero", "method": "aggregate", "value": None,
                                 "factor": 1.0, "by_division": False, "min_firms": 5, "normalise": "ratio",
                                 "direction": "benefit", "cap": 2.0, "floor": 0.0}]
        self.set_rows(vals)
        self.selectRow(len(vals) - 1)
        self.changed.emit()

    def remove_selected(self) -> None:
        i = self.selected_row()
        if i < 0:
            return
        vals = self.values()
        del vals[i]
        self.set_rows(vals)
        if vals:
            self.selectRow(min(i, len(vals) - 1))
        self.changed.emit()

    def move_selected(self, delta: int) -> None:
        i = self.selected_row()
        j = i + delta
        if i < 0 or not 0 <= j < len(self.rows):
            return
        vals = self.values()
        vals[i], vals[j] = vals[j], vals[i]
        self.set_rows(vals)
        self.selectRow(j)
        self.changed.emit()


# --- bonus / penalty items -------------------------------------------------------------------
@dataclass
class PointsRow:
    flag: Choice
    points: Num


class PointsEditor(QWidget):
    """Flag → points items with an optional cap on their total (加分项 / 扣分项)."""

    changed = Signal()

    def __init__(self, title: str, cap_label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = _RowTable((("条件", "企业具备该标志时加（扣）分", list(FLAG_FIELDS.values()), IndicatorTable.COMBO),
                                ("分值", "分值", ["100.5 分"], IndicatorTable.BOX)), stretch=0)
        self.table.changed.connect(self.changed.emit)
        self.cap = Num(0, 1000, special="不封顶", suffix=" 分")
        self.cap.setMaximumWidth(110)
        watch(self.cap, self.changed.emit)
        self.rows: list[PointsRow] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        t = QLabel(title)
        t.setFont(cjk_font(bold=True))
        head.addWidget(t)
        head.addStretch(1)
        head.addWidget(QLabel(cap_label))
        head.addWidget(self.cap)
        lay.addLayout(head)
        lay.addWidget(self.table)
        lay.addLayout(_buttons(("添加", self.add_item), ("删除", self.remove_selected)))

    def load(self, items: Sequence[FlagPoints], cap: float | None) -> None:
        self.cap.blockSignals(True)
        self.cap.setValue(cap or 0.0)
        self.cap.blockSignals(False)
        self._set_rows([(i.flag, i.points) for i in items])

    def _set_rows(self, items: Sequence[tuple[str, float]]) -> None:
        self.table.reset_rows(len(items))
        self.rows = []
        for i, (flag, pts) in enumerate(items):
            row = PointsRow(Choice(FLAG_FIELDS), Num(0, 1000, step=1, suffix=" 分"))
            row.flag.set_value(flag)
            row.points.setValue(pts)
            self.table.put(i, 0, row.flag)
            self.table.put(i, 1, row.points)
            self.rows.append(row)
        self.table.refit()

    def items(self) -> list[tuple[str, float]]:
        return [(r.flag.value(), r.points.value()) for r in self.rows]

    def dump(self) -> dict[str, Any]:
        d: dict[str, Any] = {"items": [{"flag": f, "points": _num_out(p)} for f, p in self.items()]}
        if not self.cap.is_special():
            d["cap"] = _num_out(self.cap.value())
        return d

    def add_item(self) -> None:
        used = {f for f, _ in self.items()}
        free = next((f for f in FLAG_FIELDS if f not in used), next(iter(FLAG_FIELDS)))
        self._set_rows(self.items() + [(free, 1.0)])
        self.changed.emit()

    def remove_selected(self) -> None:
        i = self.table.selected_row()
        if i < 0:
            return
        items = self.items()
        del items[i]
        self._set_rows(items)
        self.changed.emit()


# --- tiers -----------------------------------------------------------------------------------
@dataclass
class TierRow:
    label: QLineEdit
    name: QLineEdit
    share: Num  # cumulative share in percent (hidden for the last tier)
    threshold: Num  # minimum score (hidden for the last tier)
    policy: QPlainTextEdit
    share_original: float | None = None  # the fraction as loaded, kept exactly when not edited


class TierTable(_RowTable):
    """Tier labels, names, cumulative shares or score lines, and the policies printed on letters."""

    HEADERS = (
        ("代号", "等级代号，从高到低，如 A、B、C、D", ["A+"], 18),
        ("名称", "等级名称，如 优先发展类", ["优先发展类类"], 18),
        ("累计比例", "按排名从高到低累计到该比例（含）为止的企业属于该等级；最后一级为其余企业", ["100.5 %", "其余企业"], 18),
        ("最低分", "总分不低于该分数线的企业属于该等级（从高到低）；最后一级为其余企业", ["100.5 分", "其余企业"], 18),
        ("政策措施（打印在告知书上）", "该等级企业适用的差别化政策", [], 0),
    )

    def __init__(self, parent: QWidget | None = None):
        super().__init__(self.HEADERS, parent, stretch=4)
        self.verticalHeader().setDefaultSectionSize(62)
        self.rows: list[TierRow] = []

    def load(self, t: TierRules) -> None:
        n = len(t.labels)
        shares = list(t.shares) + [None] * n
        thresholds = list(t.thresholds) + [None] * n
        self.set_rows([{"label": lab, "name": t.names.get(lab, ""), "share": shares[i] if i < n - 1 else None,
                        "threshold": thresholds[i] if i < n - 1 else None, "policy": t.policies.get(lab, "")}
                       for i, lab in enumerate(t.labels)])

    def set_rows(self, values: Sequence[dict[str, Any]]) -> None:
        self.reset_rows(len(values))
        self.rows = []
        n = len(values)
        for i, v in enumerate(values):
            share = v.get("share")
            row = TierRow(QLineEdit(v["label"]), QLineEdit(v["name"]),
                          Num(0, 100, decimals=4, step=5, suffix=" %"), Num(-1e6, 1e6, decimals=4, step=5, suffix=" 分"),
                          QPlainTextEdit(v["policy"]), share)
            row.label.setMaxLength(8)
            row.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            row.policy.setTabChangesFocus(True)
            row.share.setValue(round(share * 100, 4) if share is not None else 0.0)
            row.threshold.setValue(float(v["threshold"]) if v.get("threshold") is not None else 0.0)
            last = i == n - 1
            self.put(i, 0, row.label)
            self.put(i, 1, row.name)
            if last:
                for col in (2, 3):
                    rest = QLabel("其余企业")
                    rest.setAlignment(Qt.AlignmentFlag.AlignCenter)
                    rest.setStyleSheet("color: #616161;")
                    self.setCellWidget(i, col, rest)
            else:
                self.put(i, 2, row.share)
                self.put(i, 3, row.threshold)
            self.put(i, 4, row.policy)
            self.rows.append(row)
        self.refit()

    def values(self) -> list[dict[str, Any]]:
        out = []
        for i, r in enumerate(self.rows):
            last = i == len(self.rows) - 1
            share = None
            if not last:
                pct = r.share.value()
                orig = r.share_original
                share = orig if orig is not None and abs(round(orig * 100, 4) - pct) < 1e-9 else pct / 100
            out.append({"label": r.label.text().strip(), "name": r.name.text().strip(), "share": share,
                        "threshold": None if last else r.threshold.value(), "policy": r.policy.toPlainText().strip()})
        return out

    def labels(self) -> list[str]:
        return [r.label.text().strip() for r in self.rows]

    def show_method(self, method: str) -> None:
        self.setColumnHidden(2, method != "rank_share")
        self.setColumnHidden(3, method == "rank_share")

    def add_tier(self) -> None:
        vals = self.values()
        used = {v["label"] for v in vals}
        label = next((c for c in "ABCDEFGH" if c not in used), f"T{len(vals) + 1}")
        # The old last tier gets a share/threshold halfway to the end so the new table is valid.
        if vals:
            prev_share = vals[-2]["share"] if len(vals) > 1 else 0.0
            prev_thr = vals[-2]["threshold"] if len(vals) > 1 else 100.0
            vals[-1]["share"] = round(((prev_share or 0.0) + 1.0) / 2, 4)
            vals[-1]["threshold"] = round((prev_thr or 0.0) - 10, 4)
        vals.append({"label": label, "name": DEFAULT_NAMES.get(label, ""), "share": None, "threshold": None, "policy": ""})
        self.set_rows(vals)
        self.changed.emit()

    def remove_selected(self) -> None:
        i = self.selected_row()
        if i < 0 or len(self.rows) <= 2:
            return
        vals = self.values()
        del vals[i]
        vals[-1]["share"] = vals[-1]["threshold"] = None
        self.set_rows(vals)
        self.changed.emit()


class RulesPanel(QWidget):
    """Bonus, penalty, veto, protection and tier rules of one population."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)

        pts_box = QGroupBox("加分与扣分")
        pl = QHBoxLayout(pts_box)
        self.bonus = PointsEditor("加分项", "加分合计上限")
        self.penalty = PointsEditor("扣分项", "扣分合计上限")
        pl.addWidget(self.bonus, 1)
        pl.addSpacing(16)
        pl.addWidget(self.penalty, 1)
        lay.addWidget(pts_box)

        vp_box = QGroupBox("一票否决与保护")
        grid = QGridLayout(vp_box)
        self.veto_flags = {f: QCheckBox(label) for f, label in FLAG_FIELDS.items()}
        self.protect_flags = {f: QCheckBox(label) for f, label in FLAG_FIELDS.items()}
        self.veto_max = Choice([])
        self.protect_min = Choice([])
        grid.addWidget(QLabel("一票否决：有下列情形的企业最高只能评为"), 0, 0, 1, 4)
        grid.addWidget(self.veto_max, 0, 4)
        grid.addWidget(QLabel("保护：有下列情形的企业最低评为"), 2, 0, 1, 4)
        grid.addWidget(self.protect_min, 2, 4)
        for i, f in enumerate(FLAG_FIELDS):
            grid.addWidget(self.veto_flags[f], 1, i)
            grid.addWidget(self.protect_flags[f], 3, i)
        grid.setColumnStretch(len(FLAG_FIELDS), 1)
        lay.addWidget(vp_box)

        tier_box = QGroupBox("分类定档")
        tl = QVBoxLayout(tier_box)
        head = QHBoxLayout()
        self.method = Choice(TIER_METHOD_LABELS)
        self.tiebreak = Choice([("none", "不设（按信用代码）")] + [(i.id, i.label) for i in INDICATORS])
        head.addWidget(QLabel("定档方法"))
        head.addWidget(self.method)
        head.addSpacing(20)
        head.addWidget(QLabel("总分相同时按"))
        head.addWidget(self.tiebreak)
        head.addWidget(QLabel("从高到低排序"))
        head.addStretch(1)
        tl.addLayout(head)
        self.tiers = TierTable()
        tl.addWidget(self.tiers)
        tl.addLayout(_buttons(("添加等级", self.tiers.add_tier), ("删除等级", self.tiers.remove_selected)))
        lay.addWidget(tier_box)

        for w in (*self.veto_flags.values(), *self.protect_flags.values(), self.veto_max, self.protect_min,
                  self.method, self.tiebreak):
            watch(w, self.changed.emit)
        self.bonus.changed.connect(self.changed.emit)
        self.penalty.changed.connect(self.changed.emit)
        self.tiers.changed.connect(self._tiers_changed)
        self.method.currentIndexChanged.connect(lambda _=0: self._method_changed())

    def _method_changed(self) -> None:
        method = self.method.value()
        self.tiers.show_method(method)
        if method == "score":  # offer round score lines instead of starting with an error
            rows = self.tiers.rows
            if len(rows) > 1 and all(r.threshold.value() == 0 for r in rows[:-1]):
                for k, r in enumerate(rows[:-1]):
                    r.threshold.setValue(90 - 15 * k)

    def _tiers_changed(self) -> None:
        labels = [x for x in self.tiers.labels() if x]
        for combo in (self.veto_max, self.protect_min):
            current = combo.value()
            combo.blockSignals(True)
            combo.set_options([(x, f"{x} 类") for x in labels])
            if current is not None:
                combo.set_value(current)
            combo.blockSignals(False)
        self.changed.emit()

    def load(self, p: Population) -> None:
        t = p.tiers
        self.bonus.load(p.bonus, p.bonus_cap)
        self.penalty.load(p.penalties, p.penalty_cap)
        for f, cb in self.veto_flags.items():
            cb.setChecked(f in t.veto_flags)
        for f, cb in self.protect_flags.items():
            cb.setChecked(f in t.protect_flags)
        self.tiers.load(t)
        opts = [(x, f"{x} 类") for x in t.labels]
        self.veto_max.set_options(opts)
        self.protect_min.set_options(opts)
        self.veto_max.set_value(t.veto_max)
        self.protect_min.set_value(t.protect_min)
        self.method.set_value(t.method)
        self.tiers.show_method(t.method)
        self.tiebreak.set_value(t.tiebreak or "none")

    def copy_from(self, other: RulesPanel) -> None:
        """Start from another population's rules (when 规下 stops sharing 规上's rules)."""
        self.bonus.cap.setValue(other.bonus.cap.value())
        self.bonus._set_rows(other.bonus.items())
        self.penalty.cap.setValue(other.penalty.cap.value())
        self.penalty._set_rows(other.penalty.items())
        for f, cb in self.veto_flags.items():
            cb.setChecked(other.veto_flags[f].isChecked())
        for f, cb in self.protect_flags.items():
            cb.setChecked(other.protect_flags[f].isChecked())
        self.tiers.set_rows(other.tiers.values())
        for mine, theirs in ((self.veto_max, other.veto_max), (self.protect_min, other.protect_min)):
            mine.set_options([(other.veto_max.itemData(i), other.veto_max.itemText(i))
                              for i in range(other.veto_max.count())])
            mine.set_value(theirs.value())
        self.method.set_value(other.method.value())
        self.tiers.show_method(other.method.value())
        self.tiebreak.set_value(other.tiebreak.value())

    def dump(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """(`tiers`, `bonus`, `penalty`) tables."""
        rows = self.tiers.values()
        labels = [r["label"] for r in rows]
        d: dict[str, Any] = {"method": self.method.value()}
        if any(r["name"] for r in rows) or tuple(labels) != DEFAULT_LABELS:
            d["labels"] = {r["label"]: r["name"] for r in rows}
        if self.method.value() == "rank_share":
            d["shares"] = [float(r["share"]) for r in rows[:-1]]
        else:
            d["thresholds"] = [_num_out(r["threshold"]) for r in rows[:-1]]
        d["tiebreak"] = self.tiebreak.value()
        d["veto"] = {"flags": [f for f, cb in self.veto_flags.items() if cb.isChecked()],
                     "max_tier": self.veto_max.value() or ""}
        d["protect"] = {"flags": [f for f, cb in self.protect_flags.items() if cb.isChecked()],
                        "min_tier": self.protect_min.value() or ""}
        policies = {r["label"]: r["policy"] for r in rows if r["policy"]}
        if policies:
            d["policies"] = policies
        return d, self.bonus.dump(), self.penalty.dump()

    def precheck(self) -> str:
        """Problems the TOML form would hide (a duplicate key silently collapses), in the form's words."""
        labels = self.tiers.labels()
        if any(not x for x in labels):
            return "等级代号不能为空"
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            return f"等级代号“{'、'.join(dup)}”重复"
        return ""


# --- one population --------------------------------------------------------------------------
class PopulationPanel(QWidget):
    """Everything about one population (规上 or 规下): scope, indicators and rules."""

    changed = Signal()

    def __init__(self, pid: str, first_label: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.pid = pid
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)

        top = QHBoxLayout()
        self.enabled = QCheckBox(f"评价{POPULATIONS[pid]}")
        self.enabled.setChecked(True)
        self.label = QLineEdit(POPULATIONS[pid])
        self.label.setMaximumWidth(160)
        self.min_land = Num(0, 100000, step=1, suffix=" 亩")
        self.min_land.setMaximumWidth(100)
        self.min_land.setToolTip("用地面积小于该值的企业不参评（列为“不在评价范围”）；0 为不限")
        top.addWidget(self.enabled)
        top.addSpacing(16)
        top.addWidget(QLabel("名称"))
        top.addWidget(self.label)
        top.addSpacing(16)
        top.addWidget(QLabel("参评最小用地面积"))
        top.addWidget(self.min_land)
        top.addStretch(1)
        lay.addLayout(top)

        self.body = QWidget()
        bl = QVBoxLayout(self.body)
        bl.setContentsMargins(0, 0, 0, 0)
        ind_box = QGroupBox("计分指标")
        il = QVBoxLayout(ind_box)
        self.indicators = IndicatorTable()
        il.addWidget(self.indicators)
        row = _buttons(("添加指标", self.indicators.add_indicator), ("删除指标", self.indicators.remove_selected),
                       ("上移", lambda: self.indicators.move_selected(-1)),
                       ("下移", lambda: self.indicators.move_selected(1)))
        self.weight_total = QLabel()
        self.weight_total.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.weight_total)
        il.addLayout(row)
        bl.addWidget(ind_box)

        # Only a population after the first can share the first's rules.
        self.same_rules: QCheckBox | None = None
        if first_label:
            self.same_rules = QCheckBox(f"加减分、一票否决与分类定档规则与{first_label}相同")
            bl.addWidget(self.same_rules)
        self.rules = RulesPanel()
        bl.addWidget(self.rules)
        bl.addStretch(1)
        lay.addWidget(self.body)

        for w in (self.enabled, self.label, self.min_land):
            watch(w, self.changed.emit)
        self.indicators.changed.connect(self.changed.emit)
        self.rules.changed.connect(self.changed.emit)
        self.enabled.toggled.connect(self.body.setEnabled)
        if self.same_rules is not None:
            watch(self.same_rules, self.changed.emit)
            self.same_rules.toggled.connect(lambda on: self.rules.setVisible(not on))

    def load(self, p: Population, enabled: bool = True, same_rules: bool = False) -> None:
        self.enabled.setChecked(enabled)
        self.body.setEnabled(enabled)
        self.label.setText(p.label)
        self.min_land.setValue(p.min_land)
        self.indicators.load(p.indicators)
        self.rules.load(p)
        if self.same_rules is not None:
            self.same_rules.setChecked(same_rules)
            self.rules.setVisible(not same_rules)
        self.update_weight_total()

    def shares_rules(self) -> bool:
        return self.same_rules is not None and self.same_rules.isChecked()

    def update_weight_total(self) -> None:
        total = self.indicators.weight_total()
        text = f"权重合计 <b>{total:g}</b> 分"
        if abs(total - 100) > 1e-9:
            text += "　<span style='color:#b26a00'>（通常为 100 分）</span>"
        self.weight_total.setText(text)


# --- the editor ------------------------------------------------------------------------------
_WHERE_WORDS: tuple[tuple[str, str], ...] = (
    (r"populations\.above", POPULATIONS["above"]),
    (r"populations\.below", POPULATIONS["below"]),
    (r"\.?indicators 第 (\d+) 项", r" · 指标第 \1 行"),
    (r"\.?indicators", " · 指标"),
    (r"\.benchmark", " · 基准值"),
    (r"\.?bonus\.items 第 (\d+) 项", r" · 加分项第 \1 行"),
    (r"\.?penalty\.items 第 (\d+) 项", r" · 扣分项第 \1 行"),
    (r"\.?bonus", " · 加分"),
    (r"\.?penalty", " · 扣分"),
    (r"\.?tiers\.shares", " · 分类定档 · 累计比例"),
    (r"\.?tiers\.thresholds", " · 分类定档 · 最低分"),
    (r"\.?tiers\.labels", " · 分类定档 · 等级"),
    (r"\.?tiers\.policies", " · 分类定档 · 政策措施"),
    (r"\.?tiers\.tiebreak", " · 分类定档 · 同分排序"),
    (r"\.?tiers\.veto(\.flags|\.max_tier)?", " · 一票否决"),
    (r"\.?tiers\.protect(\.flags|\.min_tier)?", " · 保护"),
    (r"\.?tiers", " · 分类定档"),
    (r"^status(\.\w+)?", "参评范围"),
    (r"^year$", "评价年度"),
    (r"^populations$", "参评群体"),
)


def friendly_message(message: str) -> str:
    """`方案文件 X（populations.above.tiers.shares）：…` → `规上企业 · 分类定档 · 累计比例：…`."""
    prefix = f"方案文件 {SOURCE}"
    if not message.startswith(prefix):
        return message
    rest = message[len(prefix):]
    if rest.startswith("（") and "）：" in rest:
        where, msg = rest[1:].split("）：", 1)
        for pat, repl in _WHERE_WORDS:
            where = re.sub(pat, repl, where)
        where = where.strip(" ·.")
        return f"{where}：{msg}" if where else msg
    return rest.lstrip("：")


class SchemeEditor(QWidget):
    """Edits a scheme as a form; validates on every edit; emits valid scheme text.

    API:
    - `set_scheme_text(text, source="")`: load a scheme (raises `InputError` if it does not
      parse; the form is left as it was). Does not emit `scheme_changed`.
    - `scheme_text() -> str`: the scheme as TOML. The loaded text itself (with its comments)
      while the form still means the same scheme; otherwise the text generated from the form.
    - `form_text() -> str`: always the text generated from the form.
    - `scheme() -> Scheme | None`: the scheme the form currently describes, None when invalid.
    - `error() -> str`: the current validation message ("" when valid).
    - `save_as(path)`: write `scheme_text()` as UTF-8 TOML (raises `InputError` when invalid).
    - `scheme_changed(str)`: emitted ~300 ms after the last edit, only when the form is valid and
      its text differs from what was loaded or last emitted.
    - `validity_changed(bool)`: emitted immediately when the form turns valid or invalid.
    """

    scheme_changed = Signal(str)
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, debounce_ms: int = DEBOUNCE_MS):
        super().__init__(parent)
        self.setFont(cjk_font())
        self._loading = False
        self._loaded_text = ""
        self._loaded_doc: dict[str, Any] | None = None
        self._last_emitted = ""
        self._scheme: Scheme | None = None
        self._error = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._emit_if_valid)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setContentsMargins(8, 6, 8, 6)
        outer.addWidget(self.status_label)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        cl = QVBoxLayout(content)
        cl.setContentsMargins(8, 4, 8, 8)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)

        # Header.
        head_box = QGroupBox("方案信息")
        hg = QGridLayout(head_box)
        # The scheme's id is a file-level identifier (kept as loaded, never shown): officials know a
        # scheme by its name and version, which the letters print.
        self.scheme_id = QLineEdit()
        self.scheme_id.setVisible(False)
        self.name = QLineEdit()
        self.version = QLineEdit()
        self.version.setMaximumWidth(90)
        self.year = Int(0, 2100, special="不指定")
        self.year.setMaximumWidth(90)
        self.authority = QLineEdit()
        self.source = QLineEdit()
        self.source.setToolTip("方案依据的文件，如《××县工业企业亩均效益综合评价办法》")
        self.description = QPlainTextEdit()
        self.description.setFixedHeight(56)
        self.description.setTabChangesFocus(True)
        hg.addWidget(QLabel("方案名称"), 0, 0)
        hg.addWidget(self.name, 0, 1, 1, 3)
        hg.addWidget(QLabel("版本"), 0, 4)
        hg.addWidget(self.version, 0, 5)
        hg.addWidget(QLabel("制定机关"), 1, 0)
        hg.addWidget(self.authority, 1, 1, 1, 3)
        hg.addWidget(QLabel("适用年度"), 1, 4)
        hg.addWidget(self.year, 1, 5)
        hg.addWidget(QLabel("依据文件"), 2, 0)
        hg.addWidget(self.source, 2, 1, 1, 7)
        hg.addWidget(QLabel("说明"), 3, 0, Qt.AlignmentFlag.AlignTop)
        hg.addWidget(self.description, 3, 1, 1, 7)
        hg.setColumnStretch(1, 2)
        hg.setColumnStretch(3, 1)
        hg.setColumnStretch(5, 1)
        cl.addWidget(head_box)

        # Status rules.
        st_box = QGroupBox("参评范围")
        sf = QFormLayout(st_box)
        self.exempt_divisions = QLineEdit()
        self.exempt_divisions.setPlaceholderText("如 44, 45, 46")
        self.exempt_divisions.setToolTip("这些行业大类（两位代码）的企业免于评价，如 44 电力热力、45 燃气、46 水的生产和供应业")
        self.new_firm_years = Int(0, 20, special="不免评", suffix=" 年")
        self.new_firm_years.setMaximumWidth(100)
        self.new_firm_years.setToolTip("投产不足该年数的企业免评：2 表示评价年度及上一年度投产的企业免评")
        sf.addRow("免评行业大类", self.exempt_divisions)
        sf.addRow("新投产企业免评", self.new_firm_years)
        cl.addWidget(st_box)

        # Populations.
        self.tabs = QTabWidget()
        self.panels: dict[str, PopulationPanel] = {}
        first_label = None
        for pid, label in POPULATIONS.items():
            panel = PopulationPanel(pid, first_label)
            first_label = first_label or label
            self.panels[pid] = panel
            self.tabs.addTab(panel, label)
            panel.changed.connect(self._on_edit)
            if panel.same_rules is not None:
                panel.same_rules.toggled.connect(lambda on, p=panel: self._unshare(p, on))
        cl.addWidget(self.tabs)
        cl.addStretch(1)

        for w in (self.scheme_id, self.name, self.version, self.year, self.authority, self.source,
                  self.description, self.exempt_divisions, self.new_firm_years):
            watch(w, self._on_edit)
        self.set_scheme_text(_default_text())

    # --- public API --------------------------------------------------------------------------
    def panel(self, pid: str) -> PopulationPanel:
        return self.panels[pid]

    def set_scheme_text(self, text: str, source: str = "") -> None:
        scheme = parse_scheme(text, source or "方案")  # raises InputError: the caller shows it
        self._timer.stop()
        self._loading = True
        try:
            self._load(scheme)
        finally:
            self._loading = False
        self._loaded_text = text
        self._loaded_doc = self._form_doc()
        self._last_emitted = text
        self._validate()

    def scheme_text(self) -> str:
        doc = self._form_doc()
        if self._loaded_doc is not None and doc == self._loaded_doc:
            return self._loaded_text
        return self._dump(doc)

    def form_text(self) -> str:
        return self._dump(self._form_doc())

    def scheme(self) -> Scheme | None:
        return self._scheme

    def error(self) -> str:
        return self._error

    def is_valid(self) -> bool:
        return not self._error

    def save_as(self, path: str | Path) -> None:
        self._validate()
        if self._error:
            raise InputError(f"方案有误，未保存：{self._error}")
        Path(path).write_text(self.scheme_text(), encoding="utf-8")

    # --- form ⇄ scheme -----------------------------------------------------------------------
    def _load(self, s: Scheme) -> None:
        self._kept = _settings_not_in_form(s)
        self.scheme_id.setText(s.id)
        self.name.setText(s.name)
        self.version.setText(s.version)
        self.year.setValue(s.year or 0)
        self.authority.setText(s.authority)
        self.source.setText(s.source)
        self.description.setPlainText(s.description)
        self.exempt_divisions.setText(", ".join(s.status.exempt_divisions))
        self.new_firm_years.setValue(s.status.new_firm_years)
        pops = list(s.populations.values())
        first = pops[0]
        for pid, panel in self.panels.items():
            p = s.populations.get(pid)
            same = p is not None and p is not first and (p.tiers, p.bonus, p.bonus_cap, p.penalties, p.penalty_cap) == (
                first.tiers, first.bonus, first.bonus_cap, first.penalties, first.penalty_cap)
            panel.load(p or _default_population(pid, first), enabled=p is not None, same_rules=same)

    def _form_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.scheme_id.text().strip() or "county", "name": self.name.text().strip(),
                               "version": self.version.text().strip()}
        if self.year.value():
            doc["year"] = self.year.value()
        doc.update({"authority": self.authority.text().strip(), "source": self.source.text().strip(),
                    "description": self.description.toPlainText()})
        divs = [d for d in re.split(r"[\s,，、;；]+", self.exempt_divisions.text()) if d]
        doc["status"] = {"exempt_divisions": divs, "new_firm_years": self.new_firm_years.value()}
        enabled = [p for p in self.panels.values() if p.enabled.isChecked()]
        first = enabled[0] if enabled else None
        shared = first is not None and len(enabled) > 1 and all(p.shares_rules() for p in enabled[1:])
        if first is not None and (shared or len(enabled) == 1):
            doc["tiers"], doc["bonus"], doc["penalty"] = first.rules.dump()
        pops: dict[str, Any] = {}
        for p in enabled:
            d: dict[str, Any] = {"label": p.label.text().strip(), "min_land": _num_out(p.min_land.value())}
            if len(enabled) > 1 and not shared:
                # Each population spells out its own rules: no shared base to inherit policies from.
                src = first if p.shares_rules() and first is not None else p
                d["tiers"], d["bonus"], d["penalty"] = src.rules.dump()
            d["indicators"] = p.indicators.dump()
            pops[p.pid] = d
        doc["populations"] = pops
        _restore_settings_not_in_form(doc, getattr(self, "_kept", {}))
        return doc

    @staticmethod
    def _dump(doc: dict[str, Any]) -> str:
        return "# 由亩均效益综合评价系统的方案编辑器生成\n" + tomli_w.dumps(doc)

    def _precheck(self) -> str:
        divs = [d for d in re.split(r"[\s,，、;；]+", self.exempt_divisions.text()) if d]
        bad = [d for d in divs if not re.fullmatch(r"\d{1,2}", d)]
        if bad:
            return f"参评范围：免评行业大类应为两位数字代码，实际为“{'、'.join(bad)}”"
        enabled = [p for p in self.panels.values() if p.enabled.isChecked()]
        for i, p in enumerate(enabled):
            if i > 0 and p.shares_rules():
                continue
            msg = p.rules.precheck()
            if msg:
                return f"{POPULATIONS[p.pid]} · 分类定档：{msg}"
        return ""

    def _unshare(self, panel: PopulationPanel, shared: bool) -> None:
        first = next(iter(self.panels.values()))
        if not shared and not self._loading and first is not panel:
            panel.rules.copy_from(first.rules)

    # --- validation and signals --------------------------------------------------------------
    def _on_edit(self) -> None:
        if self._loading:
            return
        for p in self.panels.values():
            p.update_weight_total()
        self._validate()
        self._timer.start()

    def _validate(self) -> None:
        was_valid = not self._error
        msg = self._precheck()
        scheme = None
        if not msg:
            try:
                scheme = parse_scheme(self.form_text(), SOURCE)
            except InputError as exc:
                msg = friendly_message(str(exc))
        self._scheme = scheme
        self._error = msg
        for p in self.panels.values():
            p.update_weight_total()
        if msg:
            self.status_label.setText(f"⚠ {msg}")
            self.status_label.setStyleSheet("QLabel { color: #b71c1c; background: #fdecea; border-radius: 3px; }")
        else:
            self.status_label.setText("✓ 方案设置有效")
            self.status_label.setStyleSheet("QLabel { color: #1b5e20; background: #e8f5e9; border-radius: 3px; }")
        if was_valid != (not msg):
            self.validity_changed.emit(not msg)

    def _emit_if_valid(self) -> None:
        self._validate()
        if self._error:
            return
        text = self.scheme_text()
        if text != self._last_emitted:
            self._last_emitted = text
            self.scheme_changed.emit(text)


_POPULATION_KEYS = ("scale", "max_land", "divisions", "exclude_divisions", "prior_tiers", "tenant", "min_floor",
                    "tenant_penalty")


def _settings_not_in_form(s: Scheme) -> dict[str, Any]:
    """What this form does not show (rounding, the not-graded class, tier moves and groups,
    membership rules, per-indicator decimals, populations other than 规上/规下), kept from the
    loaded scheme so that editing weights never drops it."""
    doc = scheme_to_dict(s)
    kept: dict[str, Any] = {k: doc[k] for k in ("rounding", "not_graded", "land") if k in doc}
    kept["populations"] = {}
    kept["order"] = list(s.populations)
    for pid in s.populations:
        d = doc["populations"][pid]
        if pid not in POPULATIONS:  # spelled out in full: the form may not write the scheme-wide tables
            kept["populations"][pid] = {"whole": {**{k: doc[k] for k in ("tiers", "bonus", "penalty")}, **d}}
            continue
        tiers = d.get("tiers", doc["tiers"])  # a population without its own tiers inherits the scheme's
        kept["populations"][pid] = {
            "keys": {k: d[k] for k in _POPULATION_KEYS if k in d and not (k == "scale" and d[k] == pid)},
            "tiers": {k: tiers[k] for k in ("moves", "groups") if k in tiers},
            "decimals": {x["id"]: x["decimals"] for x in d["indicators"] if "decimals" in x},
        }
    return kept


def _restore_settings_not_in_form(doc: dict[str, Any], kept: dict[str, Any]) -> None:
    doc.update({k: kept[k] for k in ("rounding", "not_graded", "land") if k in kept})
    first_tiers = next((v["tiers"] for v in kept.get("populations", {}).values() if "tiers" in v), {})
    if "tiers" in doc:
        doc["tiers"].update(first_tiers)
    pops = doc["populations"]
    for pid, k in kept.get("populations", {}).items():
        if "whole" in k:
            pops.setdefault(pid, k["whole"])
            continue
        if pid not in pops:
            continue
        pops[pid].update(k["keys"])
        if "tiers" in pops[pid]:
            pops[pid]["tiers"].update(k["tiers"])
        for ind in pops[pid]["indicators"]:
            if ind.get("id") in k["decimals"]:
                ind["decimals"] = k["decimals"][ind["id"]]
    order = kept.get("order", [])  # a firm goes to the first population it fits: the order is a rule
    doc["populations"] = {**{pid: pops[pid] for pid in order if pid in pops},
                          **{pid: d for pid, d in pops.items() if pid not in order}}


def _default_population(pid: str, like: Population) -> Population:
    """A sensible starting point for a population the scheme does not evaluate (METHOD §4)."""
    from dataclasses import replace

    if pid == "below":
        inds = (IndicatorRule("tax_per_mu", 60.0, cap=2.0), IndicatorRule("tax_per_kwh", 40.0, cap=2.0))
        return replace(like, id=pid, label=POPULATIONS[pid], min_land=5.0, indicators=inds)
    return replace(like, id=pid, label=POPULATIONS[pid], min_land=0.0)


def _default_text() -> str:
    """The reference template if it ships, else a minimal valid scheme, so the form is never blank."""
    try:
        from evaluator.method.scheme import load_scheme

        return load_scheme("reference").text
    except InputError:
        return ('id = "new"\nname = "新方案"\n[populations.above]\n'
                '[[populations.above.indicators]]\nid = "tax_per_mu"\nweight = 100\n')


__all__ = ["DEBOUNCE_MS", "IndicatorTable", "PopulationPanel", "RulesPanel", "SchemeEditor", "TierTable",
           "friendly_message"]
