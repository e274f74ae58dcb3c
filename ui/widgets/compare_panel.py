"""方案模拟测算 on the scheme page: the current (edited) scheme against a baseline, on the project's data.

Each new result (after every edit of a weight, a share, a benchmark …) re-grades the same
imported tables under the baseline in a worker and shows, per population, the tier transition
matrix, the firms that change tier with the reason, and the benchmarks that change. The baseline
is the scheme as it was when the project was opened (or a template). Nothing here changes the
project: it is a simulation.

Until it is used the panel is one line (its controls and a 展开 button): an empty result area
would take the space the scheme editor needs on a 1366×768 screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.issues import InputError
from evaluator.core.progress import CancelFn, ProgressFn
from evaluator.method.compare import Comparison, compare_evaluations
from evaluator.method.indicators import format_number
from evaluator.method.scheme import Scheme, list_schemes, load_scheme, parse_scheme
from evaluator.pipeline.prior import stored_prior_figures
from evaluator.pipeline.run import evaluate_tables

from ..workers import TaskRunner

BASELINE = "__opened__"
MAX_ROWS = 500  # firms listed in the panel; the workbook has them all
DIAGONAL = QColor("#eeeeee")
MOVED = QColor("#fff1cc")


def comparison_job(outcome: Any, project: Any, baseline: Scheme):
    """Grade the tables of `outcome` under `baseline` and compare with the outcome (plain Python)."""
    imported, current = outcome.imported, outcome.result
    corrections, overrides = list(project.corrections), list(project.overrides)
    prior = stored_prior_figures(project.prior) if baseline.uses_prior else None

    def job(progress: ProgressFn, cancel: CancelFn) -> Comparison:
        base = evaluate_tables(imported, baseline, current.year, corrections, overrides, prior=prior)
        if cancel():
            from evaluator.core.issues import Cancelled

            raise Cancelled()
        return compare_evaluations(base.evaluation, current.evaluation)

    return job


class ComparePanel(QWidget):
    compared = Signal()  # a comparison is shown
    expanded_changed = Signal(bool)  # the result area was shown (True) or folded away (False)

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.runner = TaskRunner("compare", self)
        self.comparison: Comparison | None = None
        self._opened_text = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>方案模拟测算</b>　当前方案与"))
        self.baseline = QComboBox()
        self.baseline.addItem("上次打开或保存项目时的方案", BASELINE)
        for s in list_schemes():
            self.baseline.addItem(f"{s.name}（{s.version} 版）", s.id)
        bar.addWidget(self.baseline)
        bar.addWidget(QLabel("比较"))
        self.live = QCheckBox("修改后自动更新")
        self.live.setToolTip("每次修改方案、重新评价后，按对比方案重新测算")
        bar.addWidget(self.live)
        self.run_button = QPushButton("测算")
        bar.addWidget(self.run_button)
        self.export_button = QPushButton("导出测算表…")
        self.export_button.setEnabled(False)
        bar.addWidget(self.export_button)
        bar.addStretch(1)
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addWidget(self.toggle)
        outer.addLayout(bar)
        self.area = QWidget()  # the result area, folded away until the panel is used
        outer.addWidget(self.area, 1)
        lay = QVBoxLayout(self.area)
        lay.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel("选择对比方案后点“测算”：列出各群体的等级变化、等级变化的企业及原因、基准值的变化。")
        self.status.setWordWrap(True)
        self.status.setObjectName("hint")
        lay.addWidget(self.status)
        self.matrix = QTableWidget(0, 0)
        self.matrix.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.matrix.setMaximumHeight(220)
        lay.addWidget(self.matrix)
        self.movers = QTableWidget(0, 6)
        self.movers.setHorizontalHeaderLabels(["企业名称", "名单", "等级", "变化", "总分", "原因"])
        self.movers.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.movers.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.movers, 1)
        self.toggle.toggled.connect(self.set_expanded)
        self.set_expanded(False)
        self.run_button.clicked.connect(self.run)
        self.export_button.clicked.connect(lambda: self.export())
        self.baseline.currentIndexChanged.connect(lambda _: self.run() if self.comparison is not None else None)
        session.result_changed.connect(self._on_result)

    # --- public API --------------------------------------------------------------------------
    def set_opened_scheme(self, text: str) -> None:
        """The scheme as the project was opened: the default baseline."""
        self._opened_text = text

    @property
    def expanded(self) -> bool:
        return not self.area.isHidden()

    def set_expanded(self, on: bool) -> None:
        """Show or fold away the result area (测算 shows it)."""
        self.area.setVisible(on)
        with QSignalBlocker(self.toggle):
            self.toggle.setChecked(on)
        self.toggle.setText("收起结果 ▴" if on else "展开结果 ▾")
        self.toggle.setToolTip("收起测算结果，留出方案编辑的空间" if on else "显示测算结果区域")
        self.expanded_changed.emit(on)

    def baseline_scheme(self) -> Scheme:
        sid = self.baseline.currentData()
        if sid == BASELINE:
            return parse_scheme(self._opened_text or self.session.project.scheme_text, "修改前的方案")
        return load_scheme(sid)

    def run(self) -> None:
        self.set_expanded(True)
        outcome = getattr(self.session, "outcome", None)
        if outcome is None or not self.session.result_is_current:
            self.status.setText("等待评价完成后再测算（需要先导入数据）")
            return
        try:
            baseline = self.baseline_scheme()
        except InputError as exc:
            self.status.setText(f"对比方案有误：{exc}")
            return
        self.status.setText("正在测算…")
        self.runner.start(comparison_job(outcome, self.session.project, baseline), self._show, self._failed)

    def export(self, path: str | None = None) -> None:
        if self.comparison is None:
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "导出模拟测算", "方案模拟测算.xlsx", "Excel 工作簿 (*.xlsx)")
        if not path:
            return
        from evaluator.outputs.compare_workbook import write_compare_workbook

        try:
            write_compare_workbook(self.comparison, path)
        except InputError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"已导出：{path}")

    # --- internals ---------------------------------------------------------------------------
    def _on_result(self) -> None:
        if self.live.isChecked() and self.session.result is not None:
            self.run()

    def _failed(self, message: str, tb: str) -> None:
        self.status.setText(f"测算未完成：{message}")

    def _show(self, c: Comparison) -> None:
        self.comparison = c
        self.export_button.setEnabled(True)
        parts = [f"{p.label} {int(p.matrix.to_numpy().sum())} 家中变化 {p.moved} 家" for p in c.populations]
        self.status.setText(f"{c.scheme_a.name}（{c.scheme_a.version}）→ 当前方案：" + "；".join(parts)
                            + "。行为对比方案的等级，列为当前方案的等级。")
        self._fill_matrix(c)
        self._fill_movers(c)
        self.compared.emit()

    def _fill_matrix(self, c: Comparison) -> None:
        width = max((len(p.matrix.columns) for p in c.populations), default=0) + 1
        rows = sum(len(p.matrix) + 1 for p in c.populations)
        self.matrix.clear()
        self.matrix.setRowCount(rows)
        self.matrix.setColumnCount(width)
        self.matrix.horizontalHeader().hide()
        self.matrix.verticalHeader().hide()
        r = 0
        for p in c.populations:
            head = QTableWidgetItem(f"{p.label}（对比 \\ 当前）")
            font = head.font()
            font.setBold(True)
            head.setFont(font)
            self.matrix.setItem(r, 0, head)
            for j, lab in enumerate(p.matrix.columns, 1):
                self.matrix.setItem(r, j, QTableWidgetItem(str(lab)))
            for i, lab in enumerate(p.matrix.index):
                self.matrix.setItem(r + 1 + i, 0, QTableWidgetItem(str(lab)))
                for j, col in enumerate(p.matrix.columns, 1):
                    v = int(p.matrix.iat[i, j - 1])
                    item = QTableWidgetItem(str(v))
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    if str(lab) == str(col):
                        item.setBackground(DIAGONAL)
                    elif v:
                        item.setBackground(MOVED)
                    self.matrix.setItem(r + 1 + i, j, item)
            r += len(p.matrix) + 1
        self.matrix.resizeColumnsToContents()

    def _fill_movers(self, c: Comparison) -> None:
        recs = c.movers.head(MAX_ROWS).to_dict("records")
        self.movers.setRowCount(len(recs))
        for i, m in enumerate(recs):
            pop = m["population_b"] if m["population_a"] == m["population_b"] else (
                f"{m['population_a'] or '—'} → {m['population_b'] or '—'}")
            score = f"{format_number(m['score_a'], '分')} → {format_number(m['score_b'], '分')}"
            for j, text in enumerate((m["name"] or m["key"], pop, f"{m['tier_a'] or '—'} → {m['tier_b'] or '—'}",
                                      m["change"], score, m["reason"])):
                item = QTableWidgetItem(str(text))
                item.setToolTip(str(text))
                self.movers.setItem(i, j, item)
        self.movers.resizeColumnsToContents()
        if len(c.movers) > MAX_ROWS:
            self.status.setText(self.status.text() + f"（列出前 {MAX_ROWS} 家，导出测算表可看全部）")
