"""Step 1, 导入数据: files in priority order, a raw preview of each sheet, and its column mapping.

The official sees the sheet as it is (title, unit line, header block, first data row marked), how
each column was understood (field and unit), and can correct it with combo boxes and header-row
spin boxes. A correction becomes a `SheetMapping` on the project (audited) and is remembered for
files whose sheet has the same headers, so next year's file from the same department reads right
without help.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evaluator.clean.sheets import ColumnMap, SheetTable, detect_header, map_columns
from evaluator.core.fields import FIELD_BY_ID, FIELDS, IGNORE, LEASE_FIELDS
from evaluator.read.files import RawFile, RawSheet
from evaluator.read.mapping import ColumnOverride, SheetMapping

from .. import style
from ..models import RawGridModel, cell_text
from ..session import Session
from .common import Deferred, Page, install_elided_tips

FILE_FILTER = "数据文件 (*.xlsx *.xlsm *.xls *.et *.csv *.txt);;所有文件 (*)"
AUTO_UNIT = ""
ENCODINGS = (("自动识别", ""), ("UTF-8", "utf-8"), ("GB18030 / GBK", "gb18030"))
MAX_SPANS = 500  # merged ranges drawn in the preview (titles, group headers); enough for any real sheet
SIZE_ROWS = 60  # rows measured when sizing the preview's columns (the view asks for cells lazily)
MIN_COL, MAX_COL = 48, 320  # preview column width limits in pixels: a long name is cut, with a tooltip


def describe(raw: RawSheet, rule: SheetMapping | None) -> tuple[list[int], int, list[ColumnMap]] | None:
    """Header block, first data row and column reading of a sheet under `rule` (header only: fast)."""
    block = detect_header(raw, rule)
    if block is None:
        return None
    cols, data_start, _ = map_columns(raw, block, rule)
    return block, data_start, cols


def column_key(cols: list[ColumnMap], c: ColumnMap) -> str:
    """Header text when it identifies the column, else its letter (blank or repeated headers)."""
    same = [x for x in cols if x.label == c.label]
    return c.label if c.label and len(same) == 1 else c.letter


class ImportPage(Page):
    title = "导入数据"
    hint = ("把各部门的数据文件拖到本窗口，或点“添加文件”。列表顺序即优先顺序：同一企业同一字段在两个文件中取值不同时，"
            "以排在前面的文件为准。选中工作表可查看原表、核对表头识别和列对应关系，改正后点“应用”。")

    files_dropped = Signal(list)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAcceptDrops(True)
        self._file: str | None = None
        self._sheet: str | None = None
        self._auto: tuple[list[int], int, list[ColumnMap]] | None = None  # detection without any rule
        self._shown: tuple[list[int], int, list[ColumnMap]] | None = None  # what the editor shows
        self._detected = False
        self._state: tuple[object, ...] | None = None
        self._stale = False

        split = QSplitter(Qt.Orientation.Horizontal)
        self.body.addWidget(split, 1)

        # left: files and sheets
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 6, 0)
        lv.addWidget(QLabel("<b>数据文件</b>（按优先顺序）"))
        self.file_list = QListWidget()
        self.file_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.file_list.setWordWrap(True)
        lv.addWidget(self.file_list, 3)
        row = QHBoxLayout()
        self.add_button = QPushButton("添加文件…")
        self.add_button.setObjectName("primary")
        self.up_button = QPushButton("上移")
        self.down_button = QPushButton("下移")
        self.remove_button = QPushButton("移除")
        for b in (self.add_button, self.up_button, self.down_button, self.remove_button):
            row.addWidget(b)
        lv.addLayout(row)
        self.demo_button = QPushButton("打开示范数据（示范县，2025 年度）")
        lv.addWidget(self.demo_button)
        lv.addSpacing(6)
        lv.addWidget(QLabel("<b>工作表</b>"))
        self.sheet_list = QListWidget()
        self.sheet_list.setWordWrap(True)
        lv.addWidget(self.sheet_list, 2)
        enc = QHBoxLayout()
        enc.addWidget(QLabel("CSV 编码："))
        self.encoding = QComboBox()
        for label, value in ENCODINGS:
            self.encoding.addItem(label, value)
        enc.addWidget(self.encoding, 1)
        self.reread_button = QPushButton("重新读取")
        enc.addWidget(self.reread_button)
        lv.addLayout(enc)
        self.hidden_button = QPushButton("读取隐藏工作表…")
        self.hidden_button.setToolTip("隐藏的工作表默认不读取（常为上年数据或计算过程）；确需计入时在此选择")
        lv.addWidget(self.hidden_button)
        split.addWidget(left)

        # right: preview over mapping
        right = QSplitter(Qt.Orientation.Vertical)
        pre = QGroupBox("原始表格预览")
        pv = QVBoxLayout(pre)
        self.grid_model = RawGridModel(self)
        self.grid = QTableView()
        self.grid.setModel(self.grid_model)
        self.grid.setWordWrap(False)
        self.grid.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.grid.verticalHeader().setDefaultSectionSize(max(22, self.grid.fontMetrics().height() + 6))
        self.grid.horizontalHeader().setDefaultSectionSize(130)
        install_elided_tips(self.grid)  # a cell cut by its column shows its full text as a tooltip
        self.grid.horizontalHeader().setMinimumHeight(self.grid.fontMetrics().height() * 2 + 10)
        pv.addWidget(self.grid, 1)
        legend = QLabel(
            f"<span style='background:{style.HEADER_ROW_BG}'>&nbsp;表头行&nbsp;</span>&nbsp;&nbsp;"
            f"<span style='background:{style.UNIT_ROW_BG}'>&nbsp;单位行/栏次行&nbsp;</span>&nbsp;&nbsp;"
            f"<span style='background:{style.DATA_START_BG}'>&nbsp;数据起始行&nbsp;</span>&nbsp;&nbsp;"
            f"<span style='color:{style.BEFORE_HEADER_FG}'>表头以上（标题、单位说明）</span>")
        legend.setObjectName("hint")
        pv.addWidget(legend)
        right.addWidget(pre)

        mp = QGroupBox("列对应关系")
        mv = QVBoxLayout(mp)
        ctl = QHBoxLayout()
        ctl.addWidget(QLabel("表头起始行："))
        self.header_row = QSpinBox()
        self.header_row.setRange(1, 1_000_000)
        ctl.addWidget(self.header_row)
        ctl.addWidget(QLabel("表头行数："))
        self.header_rows = QSpinBox()
        self.header_rows.setRange(1, 5)
        ctl.addWidget(self.header_rows)
        self.skip = QCheckBox("跳过此工作表")
        ctl.addWidget(self.skip)
        ctl.addStretch(1)
        self.pending = QLabel("● 有修改尚未应用，点“应用”后生效")
        self.pending.setStyleSheet("color:#9a5b00;font-weight:bold")
        self.pending.hide()
        ctl.addWidget(self.pending)
        self.auto_button = QPushButton("恢复自动识别")
        self.apply_button = QPushButton("应用")
        self.apply_button.setObjectName("primary")
        ctl.addWidget(self.auto_button)
        ctl.addWidget(self.apply_button)
        mv.addLayout(ctl)
        self.mapping_status = QLabel()
        self.mapping_status.setWordWrap(True)
        mv.addWidget(self.mapping_status)
        self.columns = QTableWidget(0, 5)
        self.columns.setHorizontalHeaderLabels(["列", "表头", "对应字段", "单位", "示例值"])
        self.columns.verticalHeader().hide()
        self.columns.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.columns.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        hh = self.columns.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        self.columns.setColumnWidth(1, 230)
        self.columns.setColumnWidth(2, 170)
        self.columns.setColumnWidth(3, 170)
        self.columns.verticalHeader().setDefaultSectionSize(max(28, self.fontMetrics().height() + 12))
        mv.addWidget(self.columns, 1)
        right.addWidget(mp)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([330, 1000])

        self.add_button.clicked.connect(self.choose_files)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(+1))
        self.remove_button.clicked.connect(self.remove_selected)
        self.demo_button.clicked.connect(self.session.open_demo)
        self.file_list.currentRowChanged.connect(self._file_selected)
        self.sheet_list.currentRowChanged.connect(self._sheet_selected)
        self.reread_button.clicked.connect(self.reread_selected)
        self.hidden_button.clicked.connect(self.include_hidden_selected)
        self._applied_state: object = None  # the editor's state as last shown from the project
        self.skip.toggled.connect(self._update_pending)
        self.header_row.valueChanged.connect(self._header_changed)
        self.header_rows.valueChanged.connect(self._header_changed)
        self.apply_button.clicked.connect(self.apply_mapping)
        self.auto_button.clicked.connect(self.reset_mapping)
        self.refresh_later = Deferred(self.refresh, self)
        session.project_changed.connect(self.refresh_later)
        session.result_changed.connect(self._refresh_sheet_status)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh_later()

    # --- drag and drop --------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        paths = [p for p in paths if Path(p).is_file()]
        if paths:
            self.session.add_files(paths)
            event.acceptProposedAction()

    # --- files ---------------------------------------------------------------------------------
    def choose_files(self) -> None:
        from ..user_config import remember_folder, start_folder

        start = start_folder("data", *[f.path for f in self.session.project.files[-1:]])
        paths, _ = QFileDialog.getOpenFileNames(self, "添加数据文件", start, FILE_FILTER)
        if paths:
            remember_folder("data", paths[0])
            self.session.add_files(paths)

    def selected_file(self) -> RawFile | None:
        return self.session.file(self._file) if self._file else None

    def move_selected(self, delta: int) -> None:
        f = self.selected_file()
        if f is None:
            return
        names = [x.name for x in self.session.project.files]
        i = names.index(f.name)
        j = max(0, min(len(names) - 1, i + delta))
        if i != j:
            self.session.move_file(f.name, j)

    def remove_selected(self) -> None:
        f = self.selected_file()
        if f is None:
            return
        ok = QMessageBox.question(self, "移除文件", f"从本次评价中移除“{f.name}”？\n（原文件不受影响，移除记入审计记录）")
        if ok == QMessageBox.StandardButton.Yes:
            self.session.remove_file(f.name)

    def reread_selected(self) -> None:
        f = self.selected_file()
        if f is None:
            return
        err = self.session.reread_file(f.name, self.encoding.currentData())
        if err:
            QMessageBox.warning(self, "重新读取", err)

    def hidden_sheets(self) -> list[str]:
        """Hidden sheets of the selected file that were left out when it was read."""
        f = self.selected_file()
        if f is None:
            return []
        return [i.sheet for i in f.issues if i.code == "hidden_sheet_skipped"]

    def include_hidden_selected(self, sheet: str | None = None) -> None:
        f = self.selected_file()
        names = self.hidden_sheets()
        if f is None or not names:
            return
        if not sheet:
            sheet, ok = QInputDialog.getItem(self, "读取隐藏工作表", "该文件中未读取的隐藏工作表（计入前请核对其内容是否为本年数据）：",
                                             names, 0, False)
            if not ok:
                return
        self.session.include_hidden_sheet(f.name, sheet)

    def refresh(self) -> None:
        """Rebuild the file list (order, sheet counts) keeping the selection.

        Only when the files or the mapping changed: a correction or an override changes neither,
        and re-reading a sheet's header and rebuilding its editor would only cost time.
        """
        if self.window().isVisible() and not self.isVisible():
            self._stale = True  # another page is on screen: rebuild when this one is shown
            return
        self._stale = False
        files = self.session.project.files
        state = (tuple((id(f), f.name) for f in files), repr([m.to_dict() for m in self.session.project.mapping.sheets]))
        if state == self._state:
            return
        self._state = state
        keep = self._file
        with QSignalBlocker(self.file_list):
            self.file_list.clear()
            for i, f in enumerate(files, 1):
                kind = "CSV" if f.sheets and f.sheets[0].is_csv else f"{len(f.sheets)} 个工作表"
                extra = f"，编码 {f.sheets[0].encoding}" if f.sheets and f.sheets[0].is_csv else ""
                item = QListWidgetItem(f"{i}. {f.name}\n    {kind}{extra}")
                item.setData(Qt.ItemDataRole.UserRole, f.name)
                item.setToolTip(f"{f.path}\nSHA-256：{f.sha256}")
                self.file_list.addItem(item)
        names = [f.name for f in files]
        with QSignalBlocker(self.file_list):  # select quietly, then show it once
            self.file_list.setCurrentRow(names.index(keep) if keep in names else (0 if names else -1))
        self._file_selected(self.file_list.currentRow())
        has = bool(files)
        for b in (self.up_button, self.down_button, self.remove_button):
            b.setEnabled(has)

    def _file_selected(self, row: int) -> None:
        item = self.file_list.item(row) if row >= 0 else None
        self._file = item.data(Qt.ItemDataRole.UserRole) if item else None
        f = self.selected_file()
        keep = self._sheet
        with QSignalBlocker(self.sheet_list):
            self.sheet_list.clear()
            for s in (f.sheets if f else []):
                it = QListWidgetItem(s.sheet)
                it.setData(Qt.ItemDataRole.UserRole, s.sheet)
                self.sheet_list.addItem(it)
        is_csv = bool(f and f.sheets and f.sheets[0].is_csv)
        self.hidden_button.setEnabled(bool(self.hidden_sheets()))
        self.encoding.setEnabled(is_csv)
        self.reread_button.setEnabled(is_csv)
        if is_csv and f is not None:
            enc = self.session.project.mapping.encoding_for(f.name) or ""
            with QSignalBlocker(self.encoding):
                self.encoding.setCurrentIndex(max(0, self.encoding.findData(enc)))
        sheets = [s.sheet for s in f.sheets] if f else []
        with QSignalBlocker(self.sheet_list):
            self.sheet_list.setCurrentRow(sheets.index(keep) if keep in sheets else (0 if sheets else -1))
        self._refresh_sheet_status()
        self._sheet_selected(self.sheet_list.currentRow())

    def _tables(self) -> dict[tuple[str, str], SheetTable]:
        r = self.session.result
        return {(t.file, t.sheet): t for t in r.imported.tables} if r else {}

    def _refresh_sheet_status(self) -> None:
        tables = self._tables()
        for i in range(self.sheet_list.count()):
            it = self.sheet_list.item(i)
            sheet = it.data(Qt.ItemDataRole.UserRole)
            t = tables.get((self._file or "", sheet))
            if t is not None:
                text = f"{sheet}\n    ✓ 表头第 {t.header_rows[0] + 1}–{t.header_rows[-1] + 1} 行，{len(t.data)} 行数据，{len(t.fields)} 个字段"
            elif self.session.result is not None:
                rule = self.session.sheet_rule(self._file or "", sheet)
                text = f"{sheet}\n    " + ("已设置跳过" if rule and rule.skip else "✗ 未识别到表头，未导入")
            else:
                text = sheet
            it.setText(text)

    # --- one sheet -----------------------------------------------------------------------------
    def current_sheet(self) -> RawSheet | None:
        f = self.selected_file()
        if f is None or self._sheet is None:
            return None
        return next((s for s in f.sheets if s.sheet == self._sheet), None)

    def _sheet_selected(self, row: int) -> None:
        item = self.sheet_list.item(row) if row >= 0 else None
        self._sheet = item.data(Qt.ItemDataRole.UserRole) if item else None
        raw = self.current_sheet()
        self.grid.clearSpans()
        if raw is None:
            self.grid_model.set_sheet(None)
            self._auto = self._shown = None
            self._fill_columns(None, None)
            self.mapping_status.setText("尚未导入文件。" if not self.session.project.files else "")
            return
        rule = self.session.sheet_rule(raw.file, raw.sheet)
        self._auto = describe(raw, None)
        self._shown = describe(raw, rule)
        self._detected = self._shown is not None
        if self._shown is None and raw.n_rows:  # show row 1 as the header so the columns can be assigned
            self._shown = describe(raw, self._probe(raw, rule, 1, 1))
        self.grid_model.set_sheet(raw)
        self._size_grid_columns(raw)
        for n, ((r0, c0), (r1, c1)) in enumerate(raw.merged):
            if n >= MAX_SPANS:
                break
            if r1 > r0 or c1 > c0:
                self.grid.setSpan(r0, c0, r1 - r0 + 1, c1 - c0 + 1)
        with QSignalBlocker(self.header_row), QSignalBlocker(self.header_rows), QSignalBlocker(self.skip):
            self.header_row.setMaximum(max(1, raw.n_rows))
            if self._shown:
                self.header_row.setValue(self._shown[0][0] + 1)
                self.header_rows.setValue(len(self._shown[0]))
            else:
                self.header_row.setValue(1)
                self.header_rows.setValue(1)
            self.skip.setChecked(bool(rule and rule.skip))
        self._fill_columns(raw, rule)
        self._applied_state = self._editor_state()
        self._update_pending()

    def _size_grid_columns(self, raw: RawSheet) -> None:
        """Each preview column as wide as its widest text from the header down, within limits.

        A title above the table and a cell merged across columns (a group header) are left out:
        they span several columns and would widen the first one only."""
        fm = self.grid.fontMetrics()
        hh = self.grid.horizontalHeader()
        start = self._shown[0][0] if self._shown else 0
        wide = {(r0, c0) for (r0, c0), (_r1, c1) in raw.merged[:MAX_SPANS] if c1 > c0}
        rows = list(enumerate(raw.rows[start:start + SIZE_ROWS], start))
        for c in range(raw.n_cols):
            texts = [cell_text(row[c]) for r, row in rows if c < len(row) and (r, c) not in wide]
            widest = max((fm.horizontalAdvance(t) for t in texts if t), default=0)
            hh.resizeSection(c, max(MIN_COL, min(MAX_COL, widest + 16)))

    def _editor_state(self) -> object:
        """What the editor would apply: header rows, skip, and each column's field and unit."""
        return (self.header_row.value(), self.header_rows.value(), self.skip.isChecked(),
                tuple((c.index, fid, unit) for c, fid, unit in self.editor_choices()))

    def has_pending_changes(self) -> bool:
        """Whether the editor shows choices not yet applied (the mark next to 应用 says so)."""
        return self.current_sheet() is not None and self._editor_state() != self._applied_state

    def _update_pending(self, *args: object) -> None:
        self.pending.setVisible(self.has_pending_changes())

    def _header_changed(self) -> None:
        raw = self.current_sheet()
        if raw is None:
            return
        rule = self.session.sheet_rule(raw.file, raw.sheet)
        probe = self._probe(raw, rule, self.header_row.value(), self.header_rows.value())
        self._shown = describe(raw, probe)
        self._detected = True
        self._fill_columns(raw, probe)
        self._update_pending()

    @staticmethod
    def _probe(raw: RawSheet, rule: SheetMapping | None, header_row: int, header_rows: int) -> SheetMapping:
        """The sheet's rule with the header rows the spin boxes show (column choices kept)."""
        return SheetMapping(raw.file, raw.sheet, header_row=header_row, header_rows=header_rows,
                            columns=dict(rule.columns) if rule else {}, units=dict(rule.units) if rule else {})

    def _fill_columns(self, raw: RawSheet | None, rule: SheetMapping | None) -> None:
        shown = self._shown
        self.columns.setRowCount(0)
        if raw is None:
            self.grid_model.set_marks([], -1, {})
            return
        if shown is None:
            self.grid_model.set_marks([], -1, {})
            self.mapping_status.setText("<span style='color:#9b1c1c'>未识别到表头。</span>请在上方预览中找到表头所在的行，"
                                        "设置“表头起始行”和“表头行数”后核对各列的对应字段，再点“应用”。")
            return
        block, data_start, cols = shown
        if not self._detected:  # a tentative header at row 1: no unit or column-number rows guessed below it
            data_start = block[-1] + 1
        self.grid_model.set_marks(block, data_start, {c.index: c.field for c in cols if c.field})
        n_fields = sum(1 for c in cols if c.field)
        if not self._detected:
            self.mapping_status.setText(
                "<span style='color:#9b1c1c'>未能自动识别表头，以下暂按第 1 行显示。</span>请在预览中找到表头所在的行，"
                "设置“表头起始行”和“表头行数”，再为各列选择对应字段和单位，点“应用”。")
        else:
            src = "手工设置" if rule and rule.header_row else "自动识别"
            self.mapping_status.setText(
                f"表头位于第 {block[0] + 1}–{block[-1] + 1} 行（{src}），数据自第 {data_start + 1} 行起；"
                f"{len(cols)} 列中 {n_fields} 列已对应到字段。"
                + ("" if any(c.field in ("credit_code", "name") for c in cols)
                   else "<span style='color:#9b1c1c'>没有“统一社会信用代码”或“企业名称”列，该表无法对应到企业。</span>"))
        self.grid.scrollTo(self.grid_model.index(max(0, block[0] - 2), 0), QAbstractItemView.ScrollHint.PositionAtTop)
        self.columns.setRowCount(len(cols))
        for r, c in enumerate(cols):
            self.columns.setItem(r, 0, QTableWidgetItem(c.letter))
            lab = QTableWidgetItem(c.label or "（空）")
            lab.setToolTip(c.label)
            self.columns.setItem(r, 1, lab)
            combo = QComboBox()
            combo.addItem("（忽略）", IGNORE)
            for spec in FIELDS + LEASE_FIELDS:  # a lease file (租赁台账) is mapped like any other
                combo.addItem(spec.label, spec.id)
            combo.setCurrentIndex(max(0, combo.findData(c.field or IGNORE)))
            self.columns.setCellWidget(r, 2, combo)
            units = QComboBox()
            self.columns.setCellWidget(r, 3, units)
            self._fill_units(units, c.field, c, rule, cols)
            combo.currentIndexChanged.connect(lambda _=0, combo=combo, units=units, c=c:
                                              self._field_chosen(units, combo.currentData(), c))
            units.currentIndexChanged.connect(self._update_pending)
            samples = []
            for rr in range(data_start, min(raw.n_rows, data_start + 40)):
                row = raw.rows[rr]
                t = cell_text(row[c.index]) if c.index < len(row) else ""
                if t:
                    samples.append(t)
                if len(samples) >= 3:
                    break
            sample = QTableWidgetItem("；".join(samples))
            sample.setToolTip("；".join(samples))
            self.columns.setItem(r, 4, sample)

    def _field_chosen(self, box: QComboBox, fid: str | None, c: ColumnMap) -> None:
        with QSignalBlocker(box):
            self._fill_units(box, fid, c, None, None)
        self._update_pending()

    def _predicted_unit(self, c: ColumnMap, fid: str) -> tuple[str, str] | None:
        """The unit (and its source) the core will read for column `c` once mapped to `fid`:
        the same reading as 应用 (header, unit row, unit line, else the field's own unit)."""
        raw = self.current_sheet()
        if raw is None or self._shown is None:
            return None
        rule = self.session.sheet_rule(raw.file, raw.sheet)
        probe = self._probe(raw, rule, self.header_row.value(), self.header_rows.value())
        probe.columns[c.letter] = ColumnOverride(fid)
        got = describe(raw, probe)
        m = next((x for x in got[2] if x.index == c.index), None) if got else None
        return (m.unit, m.unit_source) if m is not None and m.field == fid and m.unit else None

    def _fill_units(self, box: QComboBox, fid: str | None, c: ColumnMap, rule: SheetMapping | None,
                    cols: list[ColumnMap] | None) -> None:
        box.clear()
        spec = FIELD_BY_ID.get(fid or "")
        if spec is None or not spec.units:
            box.addItem("—", AUTO_UNIT)
            box.setEnabled(False)
            return
        box.setEnabled(True)
        if c.field == fid and c.unit:
            detected, source = c.unit, c.unit_source
        else:  # a field chosen by hand: the unit 应用 will read, not the field's default
            detected, source = self._predicted_unit(c, spec.id) or (spec.unit, "默认")
        box.addItem(f"自动：{detected}", AUTO_UNIT)
        box.setItemData(0, f"自动识别的单位：{detected}（来自{source}）", Qt.ItemDataRole.ToolTipRole)
        box.setToolTip(f"自动识别：{detected}（来自{source}）")
        for u in spec.units:
            box.addItem(u, u)
        if rule is not None and cols is not None:
            ov = rule.column_for(c.label, c.letter)
            if ov and ov.unit:
                box.setCurrentIndex(max(0, box.findData(ov.unit)))

    # --- apply ---------------------------------------------------------------------------------
    def editor_choices(self) -> list[tuple[ColumnMap, str, str]]:
        """(column, chosen field id or ignore, chosen unit or '') for every row of the editor."""
        out = []
        if self._shown is None:
            return out
        for r, c in enumerate(self._shown[2]):
            combo = self.columns.cellWidget(r, 2)
            units = self.columns.cellWidget(r, 3)
            fid = combo.currentData() if isinstance(combo, QComboBox) else (c.field or IGNORE)
            unit = units.currentData() if isinstance(units, QComboBox) else AUTO_UNIT
            out.append((c, fid, unit or ""))
        return out

    def set_column_choice(self, letter: str, field: str, unit: str = "") -> None:
        """Set one row of the editor (used by tests and by keyboard users via the same path)."""
        if self._shown is None:
            return
        for r, c in enumerate(self._shown[2]):
            if c.letter == letter:
                combo = self.columns.cellWidget(r, 2)
                combo.setCurrentIndex(max(0, combo.findData(field)))
                units = self.columns.cellWidget(r, 3)
                if unit:
                    units.setCurrentIndex(max(0, units.findData(unit)))
                return

    def build_rule(self) -> SheetMapping | None:
        """The `SheetMapping` the editor describes: only what differs from automatic detection."""
        raw = self.current_sheet()
        if raw is None:
            return None
        old = self.session.sheet_rule(raw.file, raw.sheet)
        encoding = old.encoding if old and (old.file, old.sheet) == (raw.file, raw.sheet) else None
        if self.skip.isChecked():
            return SheetMapping(raw.file, raw.sheet, encoding=encoding, skip=True)
        header_row = header_rows = None
        auto_block = self._auto[0] if self._auto else None
        want = list(range(self.header_row.value() - 1, self.header_row.value() - 1 + self.header_rows.value()))
        if auto_block != want or not self._detected:
            header_row, header_rows = self.header_row.value(), self.header_rows.value()
        # What the columns would be under the chosen header rows with no column overrides.
        base = describe(raw, SheetMapping(header_row=header_row, header_rows=header_rows)) if header_row else self._auto
        auto_fields = {c.index: (c.field or IGNORE) for c in base[2]} if base else {}
        cols = self._shown[2] if self._shown else []
        columns: dict[str, ColumnOverride] = {}
        for c, fid, unit in self.editor_choices():
            if fid != auto_fields.get(c.index, IGNORE) or (unit and fid != IGNORE):
                columns[column_key(cols, c)] = ColumnOverride(fid, unit if fid != IGNORE else "")
        return SheetMapping(raw.file, raw.sheet, header_row=header_row, header_rows=header_rows,
                            encoding=encoding, columns=columns)

    def apply_mapping(self) -> None:
        raw = self.current_sheet()
        rule = self.build_rule()
        if raw is None or rule is None:
            return
        self.session.set_sheet_mapping(rule, raw)
        self.session.message.emit(f"已应用 {raw.file} / {raw.sheet} 的列对应关系，并记住供表头相同的文件使用")

    def reset_mapping(self) -> None:
        raw = self.current_sheet()
        if raw is None:
            return
        old = self.session.sheet_rule(raw.file, raw.sheet)
        encoding = old.encoding if old else None
        self.session.forget_mapping(raw)
        self.session.set_sheet_mapping(SheetMapping(raw.file, raw.sheet, encoding=encoding), raw, remember=False)

    def select(self, file: str, sheet: str | None = None) -> None:
        names = [f.name for f in self.session.project.files]
        if file in names:
            self.file_list.setCurrentRow(names.index(file))
            if sheet is not None:
                for i in range(self.sheet_list.count()):
                    if self.sheet_list.item(i).data(Qt.ItemDataRole.UserRole) == sheet:
                        self.sheet_list.setCurrentRow(i)
                        break


__all__ = ["ImportPage", "describe"]
