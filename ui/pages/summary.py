"""The summary panel: per population, counts by status and tier, benchmarks, county averages, charts.

These are the figures an official quotes in the report to the county government ("全县规上企业亩均
税收 3.13 万元/亩"), so they come straight from `RunResult.evaluation.summary` and are printed with
the same number formats as the workbook. The charts are the separately built QPainter widgets in
`ui.widgets.charts`; a placeholder stands in until they are installed.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evaluator.method.evaluate import STATUS_LABELS
from evaluator.method.indicators import INDICATORS, format_number
from evaluator.pipeline.run import RunResult

from .. import style
from .detail import summary_numbers

log = logging.getLogger(__name__)


def charts_module() -> Any | None:
    try:
        from ui.widgets import charts  # type: ignore[import-not-found]
    except Exception as exc:  # not installed yet: placeholders
        log.info("charts unavailable: %s", exc)
        return None
    return charts


def placeholder(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    lab.setObjectName("hint")
    lab.setMinimumHeight(120)
    lab.setFrameShape(QFrame.Shape.StyledPanel)
    return lab


def tier_chips(counts: dict[str, int], initial: dict[str, int], names: dict[str, str]) -> str:
    """Tier counts as a one-row HTML table of coloured cells (names under the label, 初评 if different)."""
    cells = []
    palette = style.tier_palette([list(counts)])  # by place in the scheme: 甲乙丙丁 as A–D
    for lab, n in counts.items():
        bg, fg = style.TIER_COLOURS.get(palette.get(lab, lab), ("#eeeeee", "#333333"))
        init = initial.get(lab)
        diff = f"<br><span style='font-size:small'>初评 {init} 家</span>" if init is not None and init != n else ""
        name = names.get(lab, "")
        cells.append(f"<td align=center style='background:{bg};color:{fg};padding:4px 10px'>"
                     f"<b>{lab}类</b> <span style='font-size:small'>{name}</span><br>"
                     f"<span style='font-size:15pt;font-weight:bold'>{n}</span> 家{diff}</td>")
    return "<table cellspacing=4><tr>" + "".join(cells) + "</tr></table>"


class SummaryPanel(QScrollArea):
    """Summary figures and charts for the whole result; rebuilt on every new result."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._inner = QWidget()
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.setWidget(self._inner)
        self.charts = charts_module()
        self.tier_chart: QWidget | None = None
        self.township_charts: dict[str, QWidget] = {}
        self.set_result(None)

    def _clear(self) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            w = item.widget()
            if w is not None:
                w.hide()
                w.setParent(None)
                w.deleteLater()
        self.township_charts = {}
        self.tier_chart = None

    def set_result(self, result: RunResult | None) -> None:
        self._clear()
        if result is None:
            self._layout.addWidget(placeholder("尚无评价结果"))
            self._layout.addStretch(1)
            return
        data = summary_numbers(result)
        top = QHBoxLayout()
        ch = self.charts
        if ch is not None:
            self.tier_chart = ch.TierBarChart()
            names: dict[str, str] = {}
            labels: list[str] = []
            for d in data:
                names.update(d["tier_names"])
                labels += [x for x in d["labels"] if x not in labels]
            self.tier_chart.set_data({d["label"]: d["tiers"] for d in data if d["labels"]}, names, labels or None)
            self.tier_chart.setMinimumHeight(240)
            top.addWidget(self.tier_chart, 1)
        else:
            top.addWidget(placeholder("分类统计图（图表组件尚未安装）"), 1)
        cards = QVBoxLayout()
        for d in data:
            cards.addWidget(self._card(d))
        cards.addStretch(1)
        top.addLayout(cards, 1)
        holder = QWidget()
        holder.setLayout(top)
        self._layout.addWidget(holder)
        for d in data:
            if d["labels"]:
                self._layout.addWidget(self._population_box(d))
        self._layout.addStretch(1)

    def _card(self, d: dict[str, Any]) -> QWidget:
        f = QFrame()
        f.setObjectName("card")
        lay = QVBoxLayout(f)
        st = d["status"]
        title = QLabel(f"<span style='font-size:13pt;font-weight:bold'>{d['label']}</span>　共 {d['total']} 家："
                       + "，".join(f"{STATUS_LABELS[k]} {st[k]}" for k in STATUS_LABELS if st.get(k) or k == "evaluated"))
        title.setWordWrap(True)
        lay.addWidget(title)
        if d["labels"]:
            chips = QLabel(tier_chips(d["tiers"], d["initial_tiers"], d["tier_names"]))
            chips.setWordWrap(True)
            lay.addWidget(chips)
        else:
            lay.addWidget(QLabel("本方案不评价该群体"))
        return f

    def _population_box(self, d: dict[str, Any]) -> QGroupBox:
        box = QGroupBox(f"{d['label']}：基准值与全县平均")
        grid = QGridLayout(box)
        table = QTableWidget(0, 5)
        table.setHorizontalHeaderLabels(["指标", "是否计分", "基准值", "全县平均（Σ/Σ）", "单位"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        for ind in INDICATORS:
            r = table.rowCount()
            table.insertRow(r)
            scored = ind.id in d["scored"]
            cells = [ind.label, "计分" if scored else "—", format_number(d["benchmarks"].get(ind.id), ind.unit) if scored else "—",
                     format_number(d["aggregates"].get(ind.id), ind.unit), ind.unit]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if scored and c == 0:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(r, c, item)
        table.setMinimumHeight(table.verticalHeader().length() + table.horizontalHeader().height() + 6)
        table.setMaximumHeight(table.minimumHeight())
        table.setMinimumWidth(460)
        grid.addWidget(table, 0, 0)
        ch = self.charts
        if ch is not None:
            chart = ch.TownshipTierChart()
            chart.set_data(d["by_township"], d["tier_names"], d["labels"])
            chart.setMinimumHeight(max(200, 26 * len(d["by_township"]) + 80))
            self.township_charts[d["id"]] = chart
            grid.addWidget(chart, 0, 1)
        else:
            grid.addWidget(placeholder("各乡镇分类图（图表组件尚未安装）"), 0, 1)
        grid.setColumnStretch(1, 1)
        return box


__all__ = ["SummaryPanel", "tier_chips"]
