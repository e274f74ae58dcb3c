"""设置: who issues the letters, their document numbers, the appeal route, the template and font.

A county sets these once; they are printed on every letter, so the dialog shows a preview of
the document number and the appeal deadline as the official types, and can check the font file
before hundreds of PDFs are written with it. The dialog only edits a `Settings` value; saving
it (`evaluator.outputs.settings.save_settings`) is the caller's business.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .buttons import ok_cancel_buttons
from .charts import cjk_font

if TYPE_CHECKING:  # the outputs package is imported lazily: the dialog must not slow app start-up
    from evaluator.outputs.settings import Settings

FONT_FILTER = "字体文件 (*.ttf *.ttc *.otf);;所有文件 (*)"


def _settings_module() -> Any:
    from evaluator.outputs import settings as module

    return module


DEFAULT_TEMPLATE = "default"  # the settings file's name for the shipped letter template
DEFAULT_TEMPLATE_LABEL = "标准模板（软件自带）"  # what the official sees instead


def _letter_templates() -> list[str]:
    from evaluator.core.paths import templates_dir

    names = sorted(p.stem for p in (templates_dir() / "letters").glob("*.toml"))
    return names if DEFAULT_TEMPLATE in names else [DEFAULT_TEMPLATE, *names]


def template_label(value: str) -> str:
    return DEFAULT_TEMPLATE_LABEL if value in ("", DEFAULT_TEMPLATE) else value


def template_value(label: str) -> str:
    label = label.strip()
    return DEFAULT_TEMPLATE if label in ("", DEFAULT_TEMPLATE_LABEL) else label


class SettingsDialog(QDialog):
    """Edits `evaluator.outputs.settings.Settings`.

    `SettingsDialog(settings=None, parent=None)`: starts from `settings`, or from
    `load_settings()` when None. `settings()` returns the edited value (fields the dialog does not
    show are carried over unchanged); `save(path=None)` writes them with `save_settings`.
    OK is disabled while 评价机关 is empty.
    """

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("输出设置")
        self.setFont(cjk_font())
        self.setMinimumWidth(560)
        mod = _settings_module()
        problem = ""
        if settings is None:
            state = mod.read_settings_state()
            settings, problem = state.settings, (f"设置文件 {state.path} 无法读取：{state.problem}\n"
                                                 "下面是软件自带的默认值；请核对后点“确定”保存，即可替换该文件。"
                                                 if state.problem else "")
        self._base: Settings = settings
        labels: dict[str, str] = getattr(mod, "SETTING_LABELS", {})
        s = self._base

        def lab(attr: str, fallback: str) -> str:
            return labels.get(attr, fallback) + "："

        lay = QVBoxLayout(self)
        self.problem = QLabel(problem)  # the settings file could not be read: the dialog starts from defaults
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #9b1c1c;")
        self.problem.setVisible(bool(problem))
        lay.addWidget(self.problem)

        # Who records the edits: this computer's user, not the county's settings file (on the
        # buttons' row, so the dialog still fits a 768-pixel-high screen).
        from ..user_config import load_operator

        self.operator = QLineEdit(load_operator())
        self.operator.setPlaceholderText("本人姓名，记入审计记录（不填则记系统登录名）")
        self.operator.setToolTip("审计记录中的“操作人”；只保存在本电脑的个人设置中，不写入设置文件")

        # Authority and document numbers.
        box = QGroupBox("评价机关与文号")
        f = QFormLayout(box)
        self.authority = QLineEdit(s.authority)
        self.authority.setPlaceholderText("必填，如 ××县经济和信息化局")
        self.county = QLineEdit(s.county)
        self.scope = QLineEdit(s.scope)
        self.scope.setToolTip("告知书上排名范围的称呼：“全县规上企业第 12 名”；县级市可改为“全市”")
        self.doc_prefix = QLineEdit(s.doc_prefix)
        self.doc_year = QSpinBox()
        self.doc_year.setRange(0, 2100)
        self.doc_year.setSpecialValueText("取发文日期的年份")
        self.doc_year.setValue(s.doc_year)
        self.first_serial = QSpinBox()
        self.first_serial.setRange(1, 999999)
        self.first_serial.setValue(max(1, s.first_serial))
        self.today = QCheckBox("生成当天")
        self.issue_date = QDateEdit()
        self.issue_date.setDisplayFormat("yyyy年M月d日")
        self.issue_date.setCalendarPopup(True)
        day = self._issue_day(s)
        self.issue_date.setDate(QDate(day.year, day.month, day.day))
        self.today.setChecked(not s.issue_date)
        date_row = QHBoxLayout()
        date_row.addWidget(self.issue_date)
        date_row.addWidget(self.today)
        date_row.addStretch(1)
        self.number_preview = QLabel()
        self.number_preview.setStyleSheet("color: #455a64;")
        f.addRow(lab("authority", "评价机关"), self.authority)
        f.addRow(lab("county", "县（市、区）名称"), self.county)
        f.addRow(lab("scope", "排名范围称呼"), self.scope)
        f.addRow(lab("doc_prefix", "文号前缀"), self.doc_prefix)
        f.addRow(lab("doc_year", "文号年份"), self.doc_year)
        f.addRow(lab("first_serial", "起始文号序号"), self.first_serial)
        f.addRow(lab("issue_date", "发文日期"), date_row)
        f.addRow("文号示例：", self.number_preview)
        lay.addWidget(box)

        # Appeal route.
        box = QGroupBox("申诉（复核）途径")
        f = QFormLayout(box)
        self.appeal_days = QSpinBox()
        self.appeal_days.setRange(1, 365)
        self.appeal_days.setSuffix(" 日")
        self.appeal_days.setValue(max(1, s.appeal_days))
        self.deadline_preview = QLabel()
        self.deadline_preview.setStyleSheet("color: #455a64;")
        days_row = QHBoxLayout()
        days_row.addWidget(self.appeal_days)
        days_row.addWidget(self.deadline_preview)
        days_row.addStretch(1)
        self.appeal_office = QLineEdit(s.appeal_office)
        self.appeal_address = QLineEdit(s.appeal_address)
        self.appeal_phone = QLineEdit(s.appeal_phone)
        f.addRow(lab("appeal_days", "申诉期限"), days_row)
        f.addRow(lab("appeal_office", "申诉受理部门"), self.appeal_office)
        f.addRow(lab("appeal_address", "申诉地址"), self.appeal_address)
        f.addRow(lab("appeal_phone", "联系电话"), self.appeal_phone)
        lay.addWidget(box)

        # Letters.
        box = QGroupBox("告知书")
        f = QFormLayout(box)
        self.letter_template = QComboBox()
        self.letter_template.setEditable(True)
        self.letter_template.addItems([template_label(n) for n in _letter_templates()])
        self.letter_template.setCurrentText(template_label(s.letter_template))
        tpl_row = QHBoxLayout()
        tpl_row.addWidget(self.letter_template, 1)
        tpl_pick = QPushButton("选择模板文件…")
        tpl_pick.clicked.connect(self._pick_template)
        tpl_row.addWidget(tpl_pick)
        self.status_notices = QCheckBox("为未参评企业（免评、数据不全、不在评价范围）生成情况告知书")
        self.status_notices.setChecked(bool(s.status_notices))
        f.addRow(lab("letter_template", "告知书模板"), tpl_row)
        f.addRow("", self.status_notices)
        lay.addWidget(box)

        # Font.
        box = QGroupBox("字体（告知书、分类名单、汇总报告的 PDF）")
        f = QFormLayout(box)
        self.font_path = QLineEdit(s.font_path)
        self.font_path.setPlaceholderText("留空则自动查找系统中文字体")
        font_row = QHBoxLayout()
        font_row.addWidget(self.font_path, 1)
        pick = QPushButton("选择…")
        pick.clicked.connect(self._pick_font)
        font_row.addWidget(pick)
        self.font_index = QSpinBox()
        self.font_index.setRange(0, 31)
        self.font_index.setValue(s.font_index)
        self.font_index.setToolTip("一个 .ttc 文件里装有几种字体时，用第几种（从 0 数起），如 simsun.ttc：0 宋体，1 新宋体；"
                                   ".ttf 文件填 0")
        check_row = QHBoxLayout()
        check_row.addWidget(self.font_index)
        check = QPushButton("检查字体")
        check.clicked.connect(self.check_font)
        check_row.addWidget(check)
        check_row.addStretch(1)
        self.font_status = QLabel()
        self.font_status.setWordWrap(True)
        self.font_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f.addRow(lab("font_path", "字体文件"), font_row)
        f.addRow("文件中的第几种字体：", check_row)  # not the settings file's 字体集序号
        f.addRow("", self.font_status)
        lay.addWidget(box)

        self.error = QLabel()
        self.error.setStyleSheet("color: #b71c1c;")
        lay.addWidget(self.error)
        self.buttons = ok_cancel_buttons(self, "确定")
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("操作人："))
        bottom.addWidget(self.operator, 1)
        bottom.addSpacing(16)
        bottom.addWidget(self.buttons)
        lay.addLayout(bottom)

        for w in (self.authority, self.doc_prefix):
            w.textChanged.connect(self._refresh)
        for sp in (self.doc_year, self.first_serial, self.appeal_days):
            sp.valueChanged.connect(self._refresh)
        self.font_path.textChanged.connect(self._font_changed)
        self.font_index.valueChanged.connect(self._font_changed)
        self.issue_date.dateChanged.connect(self._refresh)
        self.today.toggled.connect(self._refresh)
        self._refresh()
        self._font_changed()

    @staticmethod
    def _issue_day(s: Settings) -> dt.date:
        try:
            return s.issue_day()
        except Exception:  # a bad date in a hand-edited file: start from today, the user fixes it here
            return dt.date.today()

    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def settings(self) -> Settings:
        """The edited settings."""
        d = self.issue_date.date()
        return replace(
            self._base,
            authority=self.authority.text().strip(),
            county=self.county.text().strip(),
            scope=self.scope.text().strip(),
            doc_prefix=self.doc_prefix.text().strip(),
            doc_year=self.doc_year.value(),
            first_serial=self.first_serial.value(),
            issue_date="" if self.today.isChecked() else f"{d.year():04d}-{d.month():02d}-{d.day():02d}",
            appeal_days=self.appeal_days.value(),
            appeal_office=self.appeal_office.text().strip(),
            appeal_address=self.appeal_address.text().strip(),
            appeal_phone=self.appeal_phone.text().strip(),
            letter_template=template_value(self.letter_template.currentText()),
            status_notices=self.status_notices.isChecked(),
            font_path=self.font_path.text().strip(),
            font_index=self.font_index.value(),
        )

    def save(self, path: str | Path | None = None) -> Path:
        """Write the edited settings (to the user settings file unless `path` is given), and the
        operator's name to this user's own state."""
        from ..user_config import save_operator

        out = Path(_settings_module().save_settings(self.settings(), path))
        save_operator(self.operator.text())
        return out

    def _refresh(self) -> None:
        self.issue_date.setEnabled(not self.today.isChecked())
        s = self.settings()
        try:
            self.number_preview.setText(f"{s.document_number(s.first_serial)}　（第一份告知书）")
            deadline = s.appeal_deadline()
            self.deadline_preview.setText(f"按发文日期计，截止 {deadline.year} 年 {deadline.month} 月 {deadline.day} 日")
        except Exception as exc:  # keep the dialog usable whatever the settings module raises
            self.number_preview.setText(str(exc))
        problem = "" if s.authority else "请填写评价机关（告知书落款）"
        self.error.setText(problem)
        self.ok_button().setEnabled(not problem)

    def _font_changed(self) -> None:
        """A changed font invalidates the last check; a path that does not exist is said at once."""
        path = self.font_path.text().strip()
        self.font_index.setEnabled(path.lower().endswith(".ttc"))
        if path and not Path(path).exists():
            self.font_status.setText(f"<span style='color:#b71c1c'>找不到字体文件 {path}</span>")
        else:
            self.font_status.setText("")

    def check_font(self) -> bool:
        """Try the font the PDFs would use and say which one it is, or why it cannot be used."""
        from evaluator.core.issues import InputError
        from evaluator.outputs.fonts import find_cjk_font

        try:
            choice = find_cjk_font(self.settings())
        except InputError as exc:
            self.font_status.setText(f"<span style='color:#b71c1c'>{exc}</span>")
            return False
        self.font_status.setText(f"<span style='color:#1b5e20'>✓ 将使用 {choice.describe()}</span>")
        return True

    def _pick_font(self) -> None:
        start = str(Path(self.font_path.text()).parent) if self.font_path.text() else _fonts_dir()
        path, _ = QFileDialog.getOpenFileName(self, "选择中文字体文件", start, FONT_FILTER)
        if path:
            self.font_path.setText(path)

    def _pick_template(self) -> None:
        from ..user_config import start_folder

        path, _ = QFileDialog.getOpenFileName(self, "选择告知书模板", start_folder("template"),
                                              "告知书模板 (*.toml);;所有文件 (*)")
        if path:
            self.letter_template.setCurrentText(path)


def _fonts_dir() -> str:
    import os
    import sys

    if sys.platform == "win32":
        return str(Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts")
    return "/usr/share/fonts"


__all__ = ["FONT_FILTER", "SettingsDialog"]
