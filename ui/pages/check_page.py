"""Step 2, 数据核查: every finding with its file, sheet, row and column, and the corrections overlay.

Officials work through the errors and warnings one by one: filter by level, file or text, jump to
the enterprise, or correct the value in place after checking with the firm. A correction never
changes the imported file; it is an overlay listed here with its reason and removable (with a
reason) — both audited.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.fields import FIELD_BY_ID, match_field
from evaluator.core.issues import LEVEL_LABELS

from ..models import CORRECTED, ColumnTableModel, build_corrections_table, issue_mask
from ..session import Session
from ..widgets.correction_dialog import CorrectionDialog
from .common import Deferred, Page, current_key, fit_columns, table_view
from .dialogs import ReasonDialog
from .table_tools import TableTools

# Place columns at their compact widths (characters) fit 1366 px with some 30 characters of 说明;
# on a wider list they grow to these, so file names and column labels are not cut at 1600 px.
ROOMY_WIDTHS = {"enterprise": 16, "file": 15, "sheet": 7, "column": 11}
ROOMY_MESSAGE = 36  # characters 说明 keeps before the place columns grow

LEVEL_FILTERS = (("全部级别", ""), ("仅错误", "error"), ("错误和警告", "warning"), ("已更正", "corrected"),
                 ("仅提示", "info_only"))


def field_for_column(label: str) -> str | None:
    """The field an issue's column names (`列“实缴税金（元）”` → tax), for preselecting in the dialog."""
    if not label:
        return None
    for spec in FIELD_BY_ID.values():
        if spec.label == label:
            return spec.id
    return match_field(label.split("/")[-1])


class CheckPage(Page):
    title = "数据核查"
    hint = ("导入、识别、合并中发现的全部问题。双击一行可跳到该企业的评价结果；核实后可“更正数值”，"
            "更正以覆盖层保存（原文件不变），必须填写理由，并记入审计记录。")

    enterprise_requested = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.counts = QLabel()
        self.body.addWidget(self.counts)
        bar = QHBoxLayout()
        self.level = QComboBox()
        for label, value in LEVEL_FILTERS:
            self.level.addItem(label, value)
        self.level.setCurrentIndex(2)
        self.file = QComboBox()
        self.file.setMinimumContentsLength(16)
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索说明、企业名称或代码…")
        self.search.setClearButtonEnabled(True)
        bar.addWidget(QLabel("级别："))
        bar.addWidget(self.level)
        bar.addWidget(QLabel("文件："))
        bar.addWidget(self.file)
        bar.addWidget(self.search, 1)
        self.shown = QLabel()
        bar.addWidget(self.shown)
        self.body.addLayout(bar)

        split = QSplitter(Qt.Orientation.Vertical)
        self.body.addWidget(split, 1)
        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        self.model = ColumnTableModel(parent=self)
        self.view = table_view(self.model)
        self.table_tools = TableTools(self.view, self.model, "数据核查问题清单", session.message.emit, lambda: session.path)
        tv.addWidget(self.view, 1)
        # The selected finding in full: the list elides long text in its fixed-height rows.
        self.detail = QLabel()
        self.detail.setObjectName("issueDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        tv.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.goto_button = QPushButton("查看该企业")
        self.correct_button = QPushButton("更正数值…")
        self.correct_button.setObjectName("primary")
        buttons.addWidget(self.goto_button)
        buttons.addWidget(self.correct_button)
        buttons.addStretch(1)
        tv.addLayout(buttons)
        split.addWidget(top)

        box = QGroupBox("人工更正（覆盖层，不改动原始文件）")
        bv = QVBoxLayout(box)
        self.corr_model = ColumnTableModel(parent=self)
        self.corr_view = table_view(self.corr_model, sortable=False)
        bv.addWidget(self.corr_view, 1)
        cb = QHBoxLayout()
        self.remove_button = QPushButton("撤销所选更正…")
        cb.addWidget(self.remove_button)
        cb.addStretch(1)
        bv.addLayout(cb)
        split.addWidget(box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.level.currentIndexChanged.connect(self.apply_filter)
        self.file.currentIndexChanged.connect(self.apply_filter)
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.selectionModel().currentRowChanged.connect(self._show_detail)
        self.model.modelReset.connect(self._show_detail)
        self.model.layoutChanged.connect(self._show_detail)
        self.goto_button.clicked.connect(self._goto_selected)
        self.correct_button.clicked.connect(self.correct_selected)
        self.remove_button.clicked.connect(self.remove_selected_correction)
        self._roomy: bool | None = None  # the list's widths: compact (1366 px) or roomy
        self.view.installEventFilter(self)
        self.refresh_later = Deferred(self.refresh, self)
        session.result_changed.connect(self.refresh_later)
        session.project_changed.connect(self.refresh_corrections)
        self.refresh()

    # --- data ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        o = self.session.outcome
        first = self.model.table.n == 0
        if o is None:
            from ..models import ColumnTable

            self.model.set_table(ColumnTable.empty())
            self.counts.setText("尚无数据：请先在“导入数据”中添加文件。")
            self.shown.setText("")
            self.refresh_corrections()
            return
        issues = o.result.issues
        levels = o.issues.extra["level"].tolist()  # settled findings counted apart from the open ones
        n = {lvl: levels.count(lvl) for lvl in (*LEVEL_LABELS, CORRECTED)}
        settled = f"　·　<b style='color:#2e7d32'>已更正 {n[CORRECTED]} 条</b>" if n[CORRECTED] else ""
        self.counts.setText(f"<b style='color:#9b1c1c'>错误 {n['error']} 条</b>　·　"
                            f"<b style='color:#7a4f00'>警告 {n['warning']} 条</b>{settled}　·　提示 {n['info']} 条")
        keep = self.file.currentData()
        with QSignalBlocker(self.file):
            self.file.clear()
            self.file.addItem("全部文件", None)
            for f in dict.fromkeys(i.file for i in issues):
                self.file.addItem(f or "（企业汇总，无具体文件）", f)
            i = self.file.findData(keep)
            self.file.setCurrentIndex(i if i >= 0 else 0)
        self.model.set_table(o.issues, self._mask(o.issues))
        if first:
            self._fit_columns()
        if self.model.sort_column < 0 and self.model.table.n:  # errors first, then warnings (until the user sorts)
            self.view.sortByColumn(self.model.table.column_index("level"), Qt.SortOrder.AscendingOrder)
        self._update_shown()
        self.refresh_corrections()

    def _fit_columns(self) -> None:
        """Compact widths, or roomy ones when the list is wide enough (说明 stretches either way)."""
        fit_columns(self.view, self.model, stretch_last=True)
        t = self.model.table
        if not t.columns:
            return
        char = self.view.fontMetrics().horizontalAdvance("国")
        hh = self.view.horizontalHeader()
        self._roomy = self._room_for_roomy()
        if self._roomy:
            for cid, w in ROOMY_WIDTHS.items():
                i = t.column_index(cid)
                if i >= 0:
                    hh.resizeSection(i, w * char)

    def _room_for_roomy(self) -> bool:
        t = self.model.table
        char = self.view.fontMetrics().horizontalAdvance("国")
        fixed = sum(max(c.width, 3) * char for c in t.columns if c.id not in ROOMY_WIDTHS and c.id != "message")
        roomy = sum(w * char for w in ROOMY_WIDTHS.values())
        return self.view.viewport().width() - fixed - roomy >= ROOMY_MESSAGE * char

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        """On the list's resize, refit only when it crosses between compact and roomy: a column
        the official widened by hand keeps its width otherwise."""
        if obj is self.view and event.type() in (QEvent.Type.Resize, QEvent.Type.Show) and self.model.table.columns \
                and self._room_for_roomy() != self._roomy:
            self._fit_columns()
        return False

    def _mask(self, table):  # type: ignore[no-untyped-def]
        return issue_mask(table, self.level.currentData() or "", self.file.currentData()
                          if self.file.currentIndex() > 0 else None, self.search.text())

    def apply_filter(self) -> None:
        if self.model.table.n:
            self.model.set_mask(self._mask(self.model.table))
        self._update_shown()

    def _show_detail(self, *args: object) -> None:
        """`错误 · 企业 · 文件 / 工作表 / 第 110 行 / 列“…”` then the message, for the current row."""
        idx = self.view.currentIndex()
        t = self.model.table
        if not idx.isValid() or idx.row() >= self.model.rowCount() or not t.n:
            self.detail.setText("选中一行，在此查看该问题的完整说明。")
            return

        def cell(cid: str) -> str:
            c = t.column_index(cid)
            return str(self.model.index(idx.row(), c).data() or "") if c >= 0 else ""

        o = self.session.outcome  # the list is built from these findings, in their order
        it = o.result.issues[self.model.source_row(idx.row())] if o is not None and len(o.result.issues) == t.n else None
        place, message = (it.where(), it.message) if it is not None else ("", cell("message"))
        head = " · ".join(p for p in (cell("level"), cell("enterprise"), place) if p)
        self.detail.setText(f"{head}\n{message}")

    def _update_shown(self) -> None:
        self.shown.setText(f"显示 {self.model.rowCount()} / {self.model.table.n} 条")

    def refresh_corrections(self) -> None:
        names = self.session.outcome.names if self.session.outcome else {}
        first = self.corr_model.table.n == 0 and not self.corr_model.table.columns
        self.corr_model.set_table(build_corrections_table(self.session.project.corrections, names))
        if first or self.corr_model.table.n:
            fit_columns(self.corr_view, self.corr_model, stretch_last=True)

    # --- actions -------------------------------------------------------------------------------
    def _double_clicked(self, index: QModelIndex) -> None:
        key = self.model.key_at(index.row())
        if key:
            self.enterprise_requested.emit(key)

    def _goto_selected(self) -> None:
        key = current_key(self.view, self.model)
        if key:
            self.enterprise_requested.emit(key)

    def selected_issue_column(self) -> str:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return ""
        col = self.model.table.column_index("column")
        return str(self.model.index(idx.row(), col).data()) if col >= 0 else ""

    def correct_selected(self) -> None:
        key = current_key(self.view, self.model)
        if not key:
            QMessageBox.information(self, "更正数值", "请先选择一条涉及具体企业的问题（“企业”列不为空）。")
            return
        self.open_correction_dialog(key, field_for_column(self.selected_issue_column()))

    def open_correction_dialog(self, key: str, field: str | None = None) -> None:
        r = self.session.result
        if r is None or key not in r.table.index:
            return
        row = r.table.loc[key]
        current = {f: row[f] for f in FIELD_BY_ID if f in row.index}
        name = self.session.outcome.names.get(key, key) if self.session.outcome else key
        code = "" if key.startswith("名称:") else key
        dlg = CorrectionDialog(name, current, field, credit_code=code, parent=self)
        if dlg.exec():
            fid, value, reason = dlg.values()
            self.apply_correction(key, fid, value, reason)

    def apply_correction(self, key: str, field: str, value: object, reason: str) -> None:
        """Slot behind the dialog (tests call it directly)."""
        self.session.add_correction(key, field, value, reason)
        self.session.message.emit(f"已更正 {FIELD_BY_ID[field].label}，正在重新评价…")

    def remove_selected_correction(self) -> None:
        key = current_key(self.corr_view, self.corr_model)
        if not key:
            return
        ent, field = key.split("\x1f", 1)
        dlg = ReasonDialog("撤销更正", f"撤销对“{FIELD_BY_ID[field].label}”的更正，恢复为导入文件中的值。请填写撤销理由：", self)
        if dlg.exec():
            self.remove_correction(ent, field, dlg.text())

    def remove_correction(self, key: str, field: str, reason: str) -> None:
        self.session.remove_correction(key, field, reason)
