"""恢复未保存的工作: choose which autosave to restore when more than one was left behind.

Several projects can be left unsaved at once (two windows open when the PC lost power, or an old
autosave the official declined to restore last time), so the dialog lists every one with its
project file, evaluation year, when and by whom it was saved, and its size. The official
restores one, deletes the ones no longer wanted, or leaves them all for the next start.

The dialog only chooses: deleting goes through the `delete` callable the caller gives (it
returns an error message or None), and `chosen` is the autosave to restore (None: 以后再说).
`confirm(text) -> bool` asks before a deletion; tests replace it instead of opening a message box.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .charts import cjk_font

HEADERS = ("项目", "评价年度", "自动保存时间", "保存人", "大小")
DeleteFn = Callable[[Any], "str | None"]


def size_text(n: int | None) -> str:
    """`18 KB`, `3.4 MB`; — when the size is unknown."""
    if n is None:
        return "—"
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def project_label(item: Any) -> str:
    """The project file's name, or 未保存的项目 for one never saved."""
    return item.original.name if item.original else "未保存的项目"


class RecoveryDialog(QDialog):
    """`RecoveryDialog(items, delete=None, parent=None)`: `items` are `projectfile.Recoverable`,
    newest first. After `exec()`, `chosen` is the one to restore or None; `deleted` lists those removed."""

    def __init__(self, items: Sequence[Any], delete: DeleteFn | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("恢复未保存的工作")
        self.setFont(cjk_font())
        self.setMinimumWidth(640)
        self.items: list[Any] = list(items)
        self.delete_fn = delete
        self.chosen: Any | None = None
        self.deleted: list[Any] = []
        self.confirm: Callable[[str], bool] = self._confirm

        lay = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        lay.addWidget(self.intro)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(HEADERS)):
            head.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.table, 1)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setStyleSheet("color: #616161;")
        lay.addWidget(self.where)

        self.buttons = QDialogButtonBox()
        self.recover_button = QPushButton("恢复")
        self.recover_button.setObjectName("primary")
        self.recover_button.setDefault(True)
        self.delete_button = QPushButton("删除")
        self.later_button = QPushButton("以后再说")
        self.buttons.addButton(self.recover_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.RejectRole)
        lay.addWidget(self.buttons)

        self.recover_button.clicked.connect(self.recover_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.later_button.clicked.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.recover_selected())
        self._fill()

    # --- contents ------------------------------------------------------------------------------
    def _fill(self) -> None:
        self.table.setRowCount(len(self.items))
        for r, item in enumerate(self.items):
            size = _size(item.autosave)
            cells = (project_label(item), f"{item.year} 年度", item.saved_at or "—", item.saved_by or "—",
                     size_text(size))
            tip = f"自动保存文件：{item.autosave}" + (f"\n项目文件：{item.original}" if item.original else "")
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(tip)
                if c:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, cell)
        n = len(self.items)
        self.intro.setText(f"发现 {n} 份上次未正常关闭时自动保存的项目（按保存时间从新到旧）。"
                           "请选择要恢复的一份；不再需要的可以删除；选“以后再说”则全部保留，下次启动时再提示。"
                           if n > 1 else
                           "发现 1 份上次未正常关闭时自动保存的项目。可以恢复，也可以删除；"
                           "选“以后再说”则保留，下次启动时再提示。")
        if n:
            self.table.selectRow(0)
        self._selection_changed()

    def selected(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows else None

    def select(self, index: int) -> None:
        self.table.selectRow(index)

    def _selection_changed(self) -> None:
        item = self.selected()
        self.recover_button.setEnabled(item is not None)
        self.delete_button.setEnabled(item is not None)
        if item is None:
            self.where.setText("")
            return
        self.where.setText(f"自动保存文件：{item.autosave}" + (f"<br>项目文件：{item.original}" if item.original
                                                             else "<br>该项目从未保存过，恢复后请“另存为”。"))

    # --- actions -------------------------------------------------------------------------------
    def recover_selected(self) -> None:
        item = self.selected()
        if item is None:
            return
        self.chosen = item
        self.accept()

    def delete_selected(self) -> None:
        item = self.selected()
        if item is None:
            return
        text = (f"删除“{project_label(item)}”在 {item.saved_at} 自动保存的副本？\n\n"
                "删除后其中未保存的修改将无法恢复。")
        if not self.confirm(text):
            return
        error = self.delete_fn(item) if self.delete_fn is not None else None
        if error:
            if self.isVisible():
                QMessageBox.warning(self, "删除自动保存", error)
            self.where.setText(f"<span style='color:#9b1c1c'>{error}</span>")
            return
        self.deleted.append(item)
        row = self.items.index(item)
        self.items.pop(row)
        self.table.removeRow(row)
        if not self.items:
            self.reject()  # nothing left to choose
            return
        self._fill()
        self.select(min(row, len(self.items) - 1))

    def _confirm(self, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "删除自动保存", text, parent=self)
        yes = box.addButton("删除", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton("取消", QMessageBox.ButtonRole.RejectRole))
        box.exec()
        return box.clickedButton() is yes


__all__ = ["RecoveryDialog", "project_label", "size_text"]
