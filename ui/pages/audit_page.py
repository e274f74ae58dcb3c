"""审计记录: every human action on this evaluation, read-only, exportable for an appeal review."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from evaluator.project.audit import write_audit_xlsx

from ..models import ColumnTableModel, build_audit_table
from ..session import Session
from ..user_config import start_folder
from .common import Deferred, Page, fit_columns, table_view

log = logging.getLogger(__name__)


def write_audit(session: Session, path: Path) -> Path:
    """The audit workbook for a .xlsx name, else a CSV with the same columns."""
    names = session.outcome.names if session.outcome else {}
    if path.suffix.lower() == ".xlsx":
        write_audit_xlsx(session.project, path, names)
        return path
    path = path.with_suffix(".csv")
    table = build_audit_table(session.project.audit, names)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([c.title for c in table.columns])
        for i in range(table.n):
            w.writerow(["'" + v if v[:1] in "=+-@" else v for v in (str(c.display[i]) for c in table.columns)])
    return path


class AuditPage(Page):
    title = "审计记录"
    hint = "本次评价的全部人工操作（导入、列对应、方案、更正、调档……），含操作人、时间和理由；只读，可导出备查。"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        row = QHBoxLayout()
        self.count = QLabel()
        row.addWidget(self.count, 1)
        self.export_button = QPushButton("导出审计记录…")
        row.addWidget(self.export_button)
        self.body.addLayout(row)
        self.model = ColumnTableModel(parent=self)
        self._filled: frozenset[str] = frozenset()
        self.view = table_view(self.model)
        self.view.viewport().installEventFilter(self)
        self.body.addWidget(self.view, 1)
        self.export_button.clicked.connect(lambda: self.export())
        self.refresh_later = Deferred(self.refresh, self)
        session.project_changed.connect(self.refresh_later)
        session.audit_changed.connect(self.refresh_later)
        session.result_changed.connect(self.refresh_later)
        self.refresh()

    def refresh(self) -> None:
        names = self.session.outcome.names if self.session.outcome else {}
        first = not self.model.table.columns
        self.model.set_table(build_audit_table(self.session.project.audit, names))
        filled = self._filled_columns()
        if first:
            fit_columns(self.view, self.model, stretch_last=True)
        if first or filled != self._filled:  # refit when a long column first gets text (not on every edit)
            self.fit_to_width()
        self.count.setText(f"共 {self.model.table.n} 条记录")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # the table's own viewport: a hidden page learns its real width only when it is shown
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_to_width()
        return super().eventFilter(watched, event)

    def fit_to_width(self) -> None:
        """Every column on screen, 理由 included: the short ones (时间, 操作人, 操作, 字段) as wide as
        they need, the long ones sharing the rest; a longer text is cut with … and shown whole in
        its tooltip. The official can still drag a column wider."""
        cols = [c.id for c in self.model.table.columns]
        if not cols:
            return
        titles = {c.id: c.title for c in self.model.table.columns}
        char = self.view.fontMetrics().horizontalAdvance("国")
        fixed = {"time": self.view.fontMetrics().horizontalAdvance("2026-12-31 23:59:59") + 18,
                 "user": 6 * char, "action": 8 * char, "field": 7 * char}
        # long columns share the room by these weights; one with no text in any row gets only its title's width
        self._filled = self._filled_columns()
        weights = {"target": 0.24, "before": 0.18, "after": 0.30, "reason": 0.28}
        for c in cols:
            if c not in fixed and c not in self._filled:
                fixed[c] = self.view.fontMetrics().horizontalAdvance(titles[c]) + 3 * char
        total = sum(weights.get(c, 0.1) for c in cols if c not in fixed) or 1.0
        shares = {c: weights.get(c, 0.1) / total for c in cols}
        available = self.view.viewport().width() - sum(fixed.get(c, 0) for c in cols) - 2
        hh = self.view.horizontalHeader()
        left = available
        for i, c in enumerate(cols):
            if c in fixed:
                hh.resizeSection(i, fixed[c])
            elif c != cols[-1]:
                w = max(6 * char, int(available * shares.get(c, 0.1)))
                hh.resizeSection(i, w)
                left -= w
        # the last (理由) to the edge, whatever is left; it stretches from there
        hh.resizeSection(len(cols) - 1, max(fixed.get(cols[-1], 8 * char), left + fixed.get(cols[-1], 0)))

    def _filled_columns(self) -> frozenset[str]:
        return frozenset(c.id for c in self.model.table.columns if any(str(v) for v in c.display))

    def export(self, path: Path | None = None) -> Path | None:
        if path is None:
            folder = self.session.path.parent if self.session.path else Path(start_folder("project"))
            name, _ = QFileDialog.getSaveFileName(self, "导出审计记录", str(folder / "审计记录.xlsx"),
                                                  "Excel 工作簿 (*.xlsx);;CSV (*.csv)")
            if not name:
                return None
            path = Path(name)
        try:
            out = write_audit(self.session, Path(path))
        except Exception as exc:  # shown, never a crash
            log.warning("audit export failed: %s", exc)
            if self.isVisible():
                QMessageBox.warning(self, "导出审计记录", f"导出失败：{exc}")
            return None
        self.session.message.emit(f"审计记录已导出：{out}")
        return out
