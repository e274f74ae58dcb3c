"""Step 4, 评价结果: the graded list, filters, one firm's detail, manual tier override, the summary.

The table is one `ColumnTableModel` over the enterprise columns prepared in the evaluation worker,
so opening, sorting and filtering 100,000 firms is array work. Filters are boolean masks
(population, tier, township, industry division, status, name/code search). Selecting a row
shows the firm's detail; 手动调档 asks for a reason and both 初评等级 and 最终等级 stay visible.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from PySide6.QtCore import QItemSelection, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.fields import FIELD_BY_ID
from evaluator.merge.tables import NAME_KEY_PREFIX
from evaluator.method.evaluate import STATUS_LABELS

from ..models import ColumnTable, ColumnTableModel, division_label, enterprise_mask
from ..session import Session
from ..widgets.correction_dialog import CorrectionDialog
from ..widgets.override_dialog import OverrideDialog
from .common import (
    Deferred,
    Page,
    current_key,
    fit_columns,
    select_key,
    selected_source_keys,
    table_view,
)
from .detail import enterprise_html
from .dialogs import ReasonDialog
from .summary import SummaryPanel, charts_module
from .table_tools import TableTools

log = logging.getLogger(__name__)
ANY = "\x00any"


def _code(key: str) -> str:
    return "" if key.startswith(NAME_KEY_PREFIX) else key


class ResultsPage(Page):
    title = "评价结果"
    hint = ("点列标题排序；用上方条件筛选；选中企业在右侧查看评分明细。手动调档必须填写理由，"
            "初评等级与最终等级同时保留并记入审计记录。")

    selection_changed = Signal()
    correction_requested = Signal(str, str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._current_key: str | None = None
        self._shown_detail: tuple[int, str, int] | None = None

        bar = QHBoxLayout()
        self.population = QComboBox()
        for label, value in (("全部企业", ""), ("规上参评", "above"), ("规下参评", "below"), ("未参评", "none")):
            self.population.addItem(label, value)
        self.tier = QComboBox()
        self.township = QComboBox()
        self.township.setMinimumContentsLength(6)
        self.division = QComboBox()
        self.division.setMinimumContentsLength(10)
        self.status = QComboBox()
        self.status.addItem("全部状态", "")
        for k, v in STATUS_LABELS.items():
            self.status.addItem(v, k)
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索企业名称或信用代码…")
        self.search.setClearButtonEnabled(True)
        for label, w in (("群体", self.population), ("等级", self.tier), ("乡镇", self.township),
                         ("行业", self.division), ("状态", self.status)):
            bar.addWidget(QLabel(label + "："))
            bar.addWidget(w)
            # The tier, township and industry lists are filled only when a result arrives: sized on
            # first show they stayed as narrow as an empty combo ("全部等纟" after opening a project).
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for w in (self.township, self.division):  # long names are elided in the box, shown in full in the list
            w.setMaximumWidth(w.fontMetrics().horizontalAdvance("国") * 16 + 40)
            w.view().setMinimumWidth(w.fontMetrics().horizontalAdvance("国") * 20)
        bar.addStretch(1)
        self.body.addLayout(bar)
        # The search box has a row of its own with the count: on the combos' row it was squeezed to
        # nothing at a large 字号 on a 1366 px screen.
        row2 = QHBoxLayout()
        self.count_label = QLabel()
        row2.addWidget(self.count_label)
        row2.addSpacing(12)
        self.search.setMinimumWidth(self.search.fontMetrics().horizontalAdvance("国") * 14)
        row2.addWidget(self.search, 1)
        self.reset_button = QPushButton("清除筛选")
        row2.addWidget(self.reset_button)
        self.body.addLayout(row2)

        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = ColumnTableModel(parent=self)
        self.view = table_view(self.model)
        self.table_tools = TableTools(self.view, self.model, "评价结果名单", session.message.emit, lambda: session.path)
        split.addWidget(self.view)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(6, 0, 0, 0)
        buttons = QHBoxLayout()
        self.override_button = QPushButton("手动调档…")
        self.override_button.setObjectName("primary")
        self.clear_override_button = QPushButton("取消调档…")
        self.correct_button = QPushButton("更正数值…")
        buttons.addWidget(self.override_button)
        buttons.addWidget(self.clear_override_button)
        buttons.addWidget(self.correct_button)
        buttons.addStretch(1)
        rv.addLayout(buttons)
        detail_split = QSplitter(Qt.Orientation.Vertical)
        self.detail = QTextBrowser()
        self.detail.setOpenExternalLinks(False)
        # Room for the firm's heading and the first rows of its score table whatever the screen
        # (at 1366×768 the chart below took the space and only the table's header showed).
        self.detail.setMinimumHeight(self.detail.fontMetrics().height() * 16)
        detail_split.addWidget(self.detail)
        detail_split.setChildrenCollapsible(False)
        ch = charts_module()
        self.benchmark_chart = ch.IndicatorBenchmarkChart() if ch is not None else None
        if self.benchmark_chart is not None:
            detail_split.addWidget(self.benchmark_chart)
            detail_split.setStretchFactor(0, 3)
            detail_split.setStretchFactor(1, 1)
        rv.addWidget(detail_split, 1)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([1000, 440])
        self.tabs.addTab(split, "企业名单")
        self.summary = SummaryPanel()
        self.tabs.addTab(self.summary, "汇总与图表")
        self._summary_stale = False  # a newer result than the summary shows; rebuilt when its tab is opened
        self.tabs.currentChanged.connect(self._sync_summary)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        for combo in (self.population, self.tier, self.township, self.division, self.status):
            combo.currentIndexChanged.connect(self.apply_filter)
        self.reset_button.clicked.connect(self.reset_filters)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        # After a sort the firm stays selected but may be anywhere: bring it into view (once the
        # view has taken in the new order).
        self.view.horizontalHeader().sortIndicatorChanged.connect(
            lambda *_: QTimer.singleShot(0, self.follow_listed))
        self.override_button.clicked.connect(self.override_selected)
        self.clear_override_button.clicked.connect(self.clear_override_selected)
        self.correct_button.clicked.connect(self.correct_selected)
        self._refresh_rest = Deferred(self._refresh_summary, self)
        self._refresh_detail = Deferred(self._refresh_selection_and_detail, self)
        self.refresh_later = Deferred(self.refresh, self)
        session.result_changed.connect(self.refresh_later)
        self.refresh()

    # --- data ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        o = self.session.outcome
        first = not self.model.table.columns
        if o is None:
            self.model.set_table(ColumnTable.empty())
            self.summary.set_result(None)
            self.count_label.setText("尚无评价结果：请先导入数据。")
            self.show_detail(None)
            return
        table = o.enterprises
        self._fill_filters(table, o.result)
        self.model.set_table(table, self._mask(table))
        if first or self.view.horizontalHeader().count() != len(table.columns):
            fit_columns(self.view, self.model)
        self._update_count()
        self._refresh_rest()

    def _refresh_summary(self) -> None:
        """Second part of a refresh, in its own event-loop turn (see `Deferred`)."""
        o = self.session.outcome
        if o is None:
            return
        self._summary_stale = True
        self._sync_summary()
        self._refresh_detail()

    def _sync_summary(self, *args: object) -> None:
        """Rebuild the summary for a new result, but only while its tab is shown: it creates and
        polishes dozens of widgets (cards, tables, charts), which behind the enterprise table
        starved the event loop for up to ~0.1 s for nothing. Opening the tab catches up."""
        o = self.session.outcome
        if o is not None and self.model.table is not o.enterprises:
            return  # the list has not taken this result yet: its rows are the previous one's (its refresh follows)
        if self._summary_stale and o is not None and self.tabs.currentWidget() is self.summary:
            self._summary_stale = False
            self.summary.set_result(o.result, self.model.source_rows())  # the firms the filter lists

    @property
    def refresh_pending(self) -> bool:
        return self.refresh_later.pending or self._refresh_rest.pending or self._refresh_detail.pending

    def _refresh_selection_and_detail(self) -> None:
        """Last part of a refresh, in its own turn: select the current firm and show its detail."""
        o = self.session.outcome
        if o is None:
            return
        key = self._current_key
        if (not key or not self.model.has_key(key)) and self.model.rowCount():  # show a firm, not an empty pane
            key = self._current_key = self.model.key_at(0)
        if key and select_key(self.view, self.model, key):
            self.show_detail(key)
        else:
            self.show_detail(key if key and self.model.has_key(key) else None)

    def _fill_filters(self, table: ColumnTable, result) -> None:  # type: ignore[no-untyped-def]
        x = table.extra
        labels: list[str] = []
        names: dict[str, str] = {}
        for pop in result.scheme.populations.values():
            labels += [lab for lab in pop.tiers.labels if lab not in labels]
            names.update(pop.tiers.names)
        self._refill(self.tier, [("全部等级", "")] + [(f"{lab}类 {names.get(lab, '')}".strip(), lab) for lab in labels])
        self._refill(self.township, [("全部乡镇", ANY)] + [(t or "（未填）", t) for t in x["townships"]])
        self._refill(self.division, [("全部行业", ANY)] + [(division_label(d), d) for d in x["divisions"]])

    @staticmethod
    def _refill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
        keep = combo.currentData()
        with QSignalBlocker(combo):
            combo.clear()
            for label, value in items:
                combo.addItem(label, value)
            i = combo.findData(keep)
            combo.setCurrentIndex(i if i >= 0 else 0)

    def _mask(self, table: ColumnTable) -> np.ndarray:
        town = self.township.currentData()
        div = self.division.currentData()
        return enterprise_mask(table, self.population.currentData() or "", self.tier.currentData() or "",
                               None if town in (None, ANY) else town, None if div in (None, ANY) else div,
                               self.status.currentData() or "", self.search.text())

    def apply_filter(self) -> None:
        if not self.model.table.columns:
            return
        self.model.set_mask(self._mask(self.model.table))
        self._update_count()
        self.follow_listed()
        self._summary_stale = True  # the summary follows the filter (rebuilt when its tab is shown)
        self._sync_summary()

    def follow_listed(self) -> None:
        """After a filter, search or sort the detail pane shows a firm the table lists: the one
        shown before if it is still listed (scrolled into view), else the first listed, else none."""
        key = self._current_key
        if key and select_key(self.view, self.model, key):
            self.show_detail(key)
            return
        if self.model.rowCount():
            key = self._current_key = self.model.key_at(0)
            select_key(self.view, self.model, key)
            self.show_detail(key)
            return
        self.view.clearSelection()
        self.show_detail(None)  # keeps `_current_key`: widening the filter brings the firm back

    def reset_filters(self) -> None:
        for combo in (self.population, self.tier, self.township, self.division, self.status):
            with QSignalBlocker(combo):
                combo.setCurrentIndex(0)
        with QSignalBlocker(self.search):
            self.search.clear()
        self.apply_filter()

    def _update_count(self) -> None:
        o = self.session.outcome
        shown, total = self.model.rowCount(), self.model.table.n
        extra = ""
        if o is not None:
            t = o.result.table
            ev = int(t["population"].notna().sum())
            extra = f"；参评 {ev} 家"
        self.count_label.setText(f"显示 {shown} / {total} 家企业{extra}")

    # --- selection and detail ------------------------------------------------------------------
    def _selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        key = current_key(self.view, self.model)
        if key:
            self._current_key = key
            self.show_detail(key)
        self.selection_changed.emit()

    def show_detail(self, key: str | None) -> None:
        o = self.session.outcome
        r = o.result if o else None
        has = bool(r is not None and key and key in r.table.index)
        evaluated = bool(has and r.table.at[key, "population"] is not None)  # type: ignore[union-attr]
        self.override_button.setEnabled(evaluated)
        self.clear_override_button.setEnabled(bool(evaluated and key and self.session.override_for(key)))
        self.correct_button.setEnabled(has)
        if r is None or not has:
            self._shown_detail = None
            if r is None:
                text = "<p style='color:#5f6b7a'>尚无评价结果。</p>"
            elif self.model.table.n and not self.model.rowCount():
                text = "<p style='color:#5f6b7a'>当前筛选条件下没有企业。可点“清除筛选”显示全部企业。</p>"
            else:
                text = enterprise_html(r, "")
            self.detail.setHtml(text)
            if self.benchmark_chart is not None:
                self.benchmark_chart.set_data([])
            return
        prior = ""
        col = o.enterprises.column_index("prior_tier")  # type: ignore[union-attr]
        src = self.model.source_row_of_key(key) if col >= 0 else -1
        if src >= 0:
            keys = o.enterprises.columns[col].colour_keys  # type: ignore[union-attr]
            prior = str(keys[src] or "") if keys is not None else ""
        shown = (id(o), key, len(self.session.project.audit))
        if shown == self._shown_detail:
            return  # the same firm of the same result is already on screen
        self._shown_detail = shown
        self.detail.setHtml(enterprise_html(r, key, self.session.project.corrections,  # type: ignore[arg-type]
                                            self.session.override_for(key), prior, o.issues_by_key))  # type: ignore[union-attr]
        if self.benchmark_chart is not None:
            pid = r.table.at[key, "population"]
            pop = r.scheme.populations.get(pid) if isinstance(pid, str) else None
            if pop is not None:
                row = r.table.loc[key].to_dict()
                self.benchmark_chart.set_data(self.benchmark_chart.items_from_row(row, pop.indicators))
            else:
                self.benchmark_chart.set_data([])

    def show_enterprise(self, key: str) -> bool:
        """Jump here from the data-check list: clear filters that hide the firm, select it."""
        self.tabs.setCurrentIndex(0)
        if not self.model.has_key(key):
            return False
        if self.model.view_row_of_key(key) < 0:
            self.reset_filters()
        self._current_key = key
        ok = select_key(self.view, self.model, key)
        self.show_detail(key)
        return ok

    def selected_keys(self) -> list[str]:
        return selected_source_keys(self.view, self.model)

    def visible_keys(self) -> list[str]:
        return [str(k) for k in self.model.table.keys[self.model.source_rows()].tolist()]

    # --- edits ---------------------------------------------------------------------------------
    def _selected(self) -> tuple[str, pd.Series, str] | None:
        """The firm the dialogs act on: (key, its row of the result, its name)."""
        key = self._current_key
        r = self.session.result
        if not key or r is None or key not in r.table.index:
            return None
        name = self.session.outcome.names.get(key, key) if self.session.outcome else key
        return key, r.table.loc[key], name

    def override_selected(self) -> None:
        picked = self._selected()
        if picked is None:
            return
        key, row, name = picked
        pops = self.session.result.scheme.populations  # type: ignore[union-attr]
        pop = pops.get(row["population"]) if isinstance(row["population"], str) else None
        if pop is None:
            QMessageBox.information(self, "手动调档", "该企业未参评，不能调档。")
            return
        dlg = OverrideDialog(name, pop.tiers, row["initial_tier"], row["tier"], row["tier_reason"] or "",
                             credit_code=_code(key), parent=self)
        if dlg.exec():
            tier, reason = dlg.values()
            self.set_override(key, tier, reason)

    def set_override(self, key: str, tier: str, reason: str) -> None:
        """Slot behind the dialog (tests call it directly)."""
        self._current_key = key
        self.session.set_override(key, tier, reason)
        self.session.message.emit(f"已手动调档为 {tier} 类，正在重新评价…")

    def clear_override_selected(self) -> None:
        key = self._current_key
        if not key or not self.session.override_for(key):
            return
        dlg = ReasonDialog("取消调档", "取消对该企业的手动调档，恢复按规则确定的等级。请填写理由：", self)
        if dlg.exec():
            self.clear_override(key, dlg.text())

    def clear_override(self, key: str, reason: str) -> None:
        self._current_key = key
        self.session.clear_override(key, reason)

    def correct_selected(self) -> None:
        picked = self._selected()
        if picked is None:
            return
        key, row, name = picked
        current = {f: row[f] for f in FIELD_BY_ID if f in row.index}
        dlg = CorrectionDialog(name, current, None, credit_code=_code(key), parent=self)
        if dlg.exec():
            fid, value, reason = dlg.values()
            self._current_key = key
            self.session.add_correction(key, fid, value, reason)
