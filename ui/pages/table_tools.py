"""Copying and exporting what a list shows: 复制选中行 (Ctrl+C), 复制单元格, 导出当前列表….

Officials paste firms into a report or a WPS sheet and hand a filtered list to a colleague, so
the copy carries the column headings, and the exported workbook is exactly the view: the rows
as filtered and sorted, the columns as shown, the numbers as displayed (never more decimals
than the screen). Text cells, credit codes and industry codes among them, stay text: Excel
would otherwise turn 0101… into a number and "=…" into a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QTableView

from evaluator.core.atomic import atomic_target
from evaluator.core.fields import FIELD_BY_ID
from evaluator.core.progress import CancelFn, ProgressFn
from evaluator.method.indicators import INDICATORS
from evaluator.outputs.xlsx_fast import Workbook

from ..models import MISSING, Column, ColumnTable, ColumnTableModel
from ..user_config import remember_folder, start_folder
from ..workers import TaskRunner

UNITS = frozenset({i.unit for i in INDICATORS} | {f.unit for f in FIELD_BY_ID.values()} | {"分"}) - {""}
Message = Callable[[str], None]


def heading(col: Column) -> str:
    """A column's title on one line: `亩均税收（万元/亩）` for a unit line, `亩均税收得分` for a score,
    else the lines joined (`全县排名`)."""
    parts = [p for p in col.title.split("\n") if p]
    if len(parts) == 2 and parts[1] in UNITS:
        return f"{parts[0]}（{parts[1]}）"
    if len(parts) == 2 and parts[0] == "得分":  # 得分 / 亩均税收 → 亩均税收得分
        return f"{parts[1]}得分"
    return "".join(parts)


def _clean(text: str) -> str:
    # A tab or line break inside a cell would split it into two cells or rows where it is pasted.
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def rows_tsv(table: ColumnTable, rows: Sequence[int], columns: Sequence[int]) -> str:
    """The given source rows and columns as tab-separated text, headings first."""
    idx = np.asarray(rows, dtype=np.int64)
    lines = ["\t".join(heading(table.columns[c]) for c in columns)]
    cells = [[_clean(str(v)) for v in table.columns[c].display[idx].tolist()] for c in columns]
    lines += ["\t".join(r) for r in zip(*cells)]
    return "\n".join(lines) + "\n"


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def write_list_xlsx(path: Path, table: ColumnTable, rows: np.ndarray, columns: Sequence[int], sheet: str = "名单",
                    progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> Path:
    """The rows (source positions, in view order) and columns as a workbook: headings, then cells.

    A numeric column's cell is written as the number shown on screen (with its thousands format);
    every other cell as a string.
    """
    rows = np.asarray(rows, dtype=np.int64)
    with atomic_target(path) as tmp:
        wb = Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
        ws = wb.add_worksheet(sheet)
        head = wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "align": "center"})
        fmts = {d: wb.add_format({"num_format": "#,##0" + ("." + "0" * d if d else "")}) for d in range(5)}
        cols = [table.columns[c] for c in columns]
        for j, col in enumerate(cols):
            ws.write_string(0, j, heading(col), head)
            ws.set_column(j, j, max(6, min(40, (col.width or 8) * 2)))
        ws.freeze_panes(1, 0)
        data = [col.display[rows].tolist() for col in cols]
        numeric = [col.numeric for col in cols]
        decimals = [_decimals(col) for col in cols]
        n = len(rows)
        for i in range(n):
            if i % 5000 == 0:
                if cancel is not None and cancel():
                    wb.close()
                    raise InterruptedError
                if progress is not None:
                    progress(i / max(n, 1), f"正在写入第 {i + 1} 行")
            r = i + 1
            for j, values in enumerate(data):
                text = str(values[i])
                num = _number(text) if numeric[j] and text != MISSING else None
                if num is not None:
                    ws.write_number(r, j, num, fmts[decimals[j]])
                elif text:
                    ws.write_string(r, j, text)
        wb.close()
    return path


def _decimals(col: Column) -> int:
    """Decimals the column shows (from its first number), so Excel displays the same text."""
    for text in col.display[:200].tolist():
        t = str(text)
        if _number(t) is not None:
            return min(len(t.split(".", 1)[1]) if "." in t else 0, 4)
    return 2


class TableTools(QObject):
    """The right-click menu and Ctrl+C of one list (`view` over a `ColumnTableModel`)."""

    def __init__(self, view: QTableView, model: ColumnTableModel, name: str, message: Message,
                 folder_hint: Callable[[], Path | None] = lambda: None) -> None:
        super().__init__(view)
        self.view, self.model, self.name = view, model, name
        self._message, self._folder_hint = message, folder_hint
        self.runner = TaskRunner(f"export {name}", self)
        self.copy_rows_action = self._add("复制选中行", self.copy_rows, QKeySequence.StandardKey.Copy)
        self.copy_cell_action = self._add("复制单元格", self.copy_cell)
        self.export_action = self._add("导出当前列表…", lambda: self.export())
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._menu)
        view.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # QTableView takes Ctrl+C for itself (it copies the current cell only, before any
        # shortcut sees the key): the whole selected rows are what officials paste.
        if obj is self.view and event.type() == QEvent.Type.KeyPress and \
                cast(QKeyEvent, event).matches(QKeySequence.StandardKey.Copy):
            self.copy_rows()
            return True
        return super().eventFilter(obj, event)

    def _add(self, text: str, slot: Callable[[], object], shortcut: QKeySequence.StandardKey | None = None) -> QAction:
        a = QAction(text, self.view)
        if shortcut is not None:
            a.setShortcut(shortcut)  # shown in the menu; the key itself arrives through eventFilter
            a.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        a.triggered.connect(lambda _=False: slot())
        self.view.addAction(a)
        return a

    def _menu(self, pos: object) -> None:
        has_rows = bool(self.selected_rows())
        self.copy_rows_action.setEnabled(has_rows)
        self.copy_cell_action.setEnabled(self.view.currentIndex().isValid())
        self.export_action.setEnabled(self.model.rowCount() > 0 and not self.runner.busy)
        menu = QMenu(self.view)
        menu.addActions([self.copy_rows_action, self.copy_cell_action])
        menu.addSeparator()
        menu.addAction(self.export_action)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    # --- what the view shows ---------------------------------------------------------------------
    def shown_columns(self) -> list[int]:
        """Columns in the order on screen, hidden ones left out."""
        hh = self.view.horizontalHeader()
        return [c for c in (hh.logicalIndex(v) for v in range(hh.count())) if not hh.isSectionHidden(c)]

    def selected_rows(self) -> list[int]:
        """Source rows of the selection, in the order the list shows them."""
        sm = self.view.selectionModel()
        rows = sorted({i.row() for i in sm.selectedRows()}) if sm is not None else []
        return [self.model.source_row(r) for r in rows]

    # --- actions -----------------------------------------------------------------------------------
    def copy_rows(self) -> str:
        rows = self.selected_rows()
        if not rows:
            return ""
        text = rows_tsv(self.model.table, rows, self.shown_columns())
        QGuiApplication.clipboard().setText(text)
        self._message(f"已复制 {len(rows)} 行")
        return text

    def copy_cell(self) -> str:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return ""
        text = str(self.model.data(idx) or "")
        QGuiApplication.clipboard().setText(text)
        return text

    def export(self, path: Path | None = None, on_done: Callable[[Path], None] | None = None) -> bool:
        """导出当前列表: the rows as filtered and sorted now, in a worker; False if nothing started."""
        if self.model.rowCount() == 0:
            return False
        if path is None:
            folder = Path(start_folder("list", self._folder_hint()))
            name, _ = QFileDialog.getSaveFileName(self.view, "导出当前列表", str(folder / f"{self.name}.xlsx"),
                                                  "Excel 工作簿 (*.xlsx)")
            if not name:
                return False
            path = Path(name)
            remember_folder("list", path)
        path = Path(path).with_suffix(".xlsx")
        table, rows, columns = self.model.table, self.model.source_rows().copy(), self.shown_columns()

        def job(progress: ProgressFn, cancel: CancelFn) -> Path:
            return write_list_xlsx(path, table, rows, columns, progress=progress, cancel=cancel)

        def done(p: Path) -> None:
            self._message(f"已导出 {len(rows)} 行：{p}")
            if on_done is not None:
                on_done(p)

        def failed(m: str, tb: str) -> None:
            self._message(f"导出失败：{m}")
            if self.view.isVisible():
                QMessageBox.warning(self.view, "导出当前列表", f"导出失败：{m}")

        self.runner.start(job, done, failed)
        return True

