"""Step 5, 输出: the graded list, the letters, the summary report, the JSON result.

All outputs are written by `evaluator.outputs` (the same code the CLI runs) in a worker, from the
result on screen, with a progress dialog and 取消 for the letters (hundreds of PDFs). Letters can
be made for every firm, the rows selected on the results page, the rows currently filtered, a
tier or a township. Each letter carries the data verification code so it can be traced to its inputs;
the 文号 given are recorded in the project.

Outputs go to the project's own folder (`Project.output_dir`, chosen with 更改… and saved in the
.mujun; by default one folder per county, year and stage), and each export adds an audit entry.
While the settings file is unreadable a banner says so and everything printed with the 评价机关 or
a 文号 is refused (the JSON result is not). 预览与打印… shows one firm's letter as the export writes
it (`ui.widgets.letter_preview`).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.atomic import output_overwrites_input
from evaluator.core.progress import CancelFn, ProgressFn
from evaluator.outputs.names import safe_filename_part
from evaluator.outputs.settings import Settings, read_settings_state
from evaluator.pipeline.fingerprint import data_fingerprint
from evaluator.pipeline.run import RunResult
from evaluator.project.review import STAGES, stage_print_label

from ..session import Session
from ..user_config import documents_dir
from ..workers import TaskRunner
from .common import Deferred, Page

log = logging.getLogger(__name__)
KeysFn = Callable[[], list[str]]
Confirm = Callable[[str, str], bool]  # (title, text) → go ahead?
CONFIRM_LETTERS = 1000  # a scope other than 全部 asks first from this many letters on


def load_output_settings() -> Settings:
    """The county's output settings; the shipped defaults when the user settings file is unreadable
    (`read_settings_state` says so: letters are refused then)."""
    return read_settings_state().settings


UNKNOWN_COUNTY = "未定县名"  # in folder and file names while the settings file is unreadable


def county_for_names() -> str:
    """The county in output folder and file names: never the shipped defaults' 示范县 standing in
    for an unreadable settings file (the files would look like another county's)."""
    state = read_settings_state()
    return state.settings.county if state.usable else UNKNOWN_COUNTY


OUTPUTS_ROOT = "亩均评价输出"


def stage_folder_word(stage: str) -> str:
    """`公示稿`, `定稿`: the stage as a folder name says it."""
    label = STAGES.get(stage, STAGES["initial"])
    return label if label.endswith("稿") else f"{label}稿"


def default_output_dir(session: Session, settings: Settings | None = None) -> Path:
    """Where outputs go until the official chooses a folder: one folder per county, year and stage
    (`<项目所在文件夹 or 文档>/亩均评价输出/某某县_2025年度_公示稿`), so two counties or two rounds of the
    same year never mix their letters."""
    county = settings.county if settings is not None else county_for_names()
    root = (session.path.parent if session.path is not None else documents_dir()) / OUTPUTS_ROOT
    p = session.project
    return root / safe_filename_part(f"{county}_{p.year}年度_{stage_folder_word(p.current_stage())}")


def project_output_dir(session: Session) -> Path:
    """The folder chosen for this project (kept in the .mujun), else the default one."""
    chosen = session.project.output_dir
    return Path(chosen) if chosen else default_output_dir(session)


def prior_text(doc: dict[str, Any] | None) -> str:
    """What the page says about last year's result (`Project.prior`)."""
    if not doc:
        return ("未载入上年评价结果：分类名单和告知书中不列上年等级。如需列出，请在“文件 → 载入上年评价结果…”中"
                "选择上年导出的评价结果（.json）或分类名单（.xlsx）。")
    ents = doc.get("enterprises")
    year = f"{doc['year']} 年度" if doc.get("year") else "上年"
    source = f"{doc['source']}，" if doc.get("source") else ""
    return (f"上年评价结果：{year}（{source}{len(ents) if isinstance(ents, list) else 0} 家企业），分类名单和告知书中列出"
            "上年等级与等级变化。可在“文件”菜单中更换或清除。")


def tier_keys(result: RunResult, tier: str) -> list[str]:
    t = result.table
    return [str(k) for k in t.index[(t["tier"] == tier).to_numpy(dtype=bool)]]


def township_keys(result: RunResult, township: str) -> list[str]:
    t = result.table
    return [str(k) for k in t.index[(t["township"] == township).fillna(False).to_numpy(dtype=bool)]]


def _folder_of(out: Any) -> str:
    """The folder an output went to: the letters' folder, else the file's."""
    paths = [Path(p) for p in (out if isinstance(out, list) else [out]) if p]
    if not paths:
        combined = getattr(out, "combined", None)
        return str(Path(combined).parent) if combined else ""
    return str(paths[0].parent)


def letters_record(batch: Any, scope: str | None) -> tuple[str, str]:
    """The audit entry's what and how many for a batch of letters."""
    count = f"{len(batch)} 份（范围：{scope or '全部'}）"
    if getattr(batch, "combined", None):
        count += "，另有合订本"
    held = len(getattr(batch, "held", []) or [])
    if held:
        count += f"，{held} 家因数据问题未处理暂缓"
    return "告知书", count


class ExportPage(Page):
    title = "输出"
    hint = ("导出分类名单（Excel，可直接打印）、企业评价结果告知书（PDF，每家一份，可另出合订本）和汇总报告（PDF）。"
            "输出只使用当前屏幕上的评价结果；发文机关、文号、申诉方式等在“设置”中填写。")

    def __init__(self, session: Session, selected_keys: KeysFn | None = None, visible_keys: KeysFn | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.selected_keys = selected_keys or (lambda: [])
        self.visible_keys = visible_keys or (lambda: [])
        self.runner = TaskRunner("export", self)
        self.runner.progress.connect(self._progress)
        self.progress_dialog: QProgressDialog | None = None
        self._held_still: QWidget | None = None  # the window's pages, not repainted while a job runs
        self.last_outputs: list[Path] = []
        self.last_error = ""
        self.confirm: Confirm = self._confirm  # replaced in tests: no modal dialogs

        self.settings_banner = QLabel()  # an unreadable settings file: said, and the letters refused
        self.settings_banner.setObjectName("warningBanner")
        self.settings_banner.setWordWrap(True)
        self.settings_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.settings_banner.setStyleSheet("QLabel#warningBanner { background: #fdecea; color: #9b1c1c; "
                                           "border: 1px solid #e0a9a4; border-radius: 4px; padding: 8px; }")
        self.settings_banner.hide()
        self.body.addWidget(self.settings_banner)
        row = QHBoxLayout()
        row.addWidget(QLabel("输出文件夹："))
        self.folder = QLineEdit()
        self.folder.setReadOnly(True)  # changed with 更改…, which keeps it in the project
        row.addWidget(self.folder, 1)
        self.browse_button = QPushButton("更改…")
        self.browse_button.setToolTip("为本项目选择输出文件夹；选定后保存在项目文件中，下次打开仍用它")
        self.open_folder_button = QPushButton("打开输出文件夹")
        row.addWidget(self.browse_button)
        row.addWidget(self.open_folder_button)
        self.body.addLayout(row)
        self.folder_note = QLabel()
        self.folder_note.setObjectName("hint")
        self.body.addWidget(self.folder_note)
        self.settings_label = QLabel()
        self.settings_label.setWordWrap(True)
        self.settings_label.setObjectName("hint")
        self.body.addWidget(self.settings_label)
        self.prior_label = QLabel()
        self.prior_label.setWordWrap(True)
        self.prior_label.setObjectName("hint")
        self.body.addWidget(self.prior_label)

        grid = QGridLayout()
        lists = QGroupBox("名单、报告与数据")
        lv = QVBoxLayout(lists)
        self.workbook_button = QPushButton("导出分类名单（Excel）")
        self.summary_button = QPushButton("导出汇总报告（PDF）")
        self.json_button = QPushButton("导出结果数据文件（供省市系统导入）")
        self.json_button.setToolTip("全部企业的指标、得分、等级和数据问题，供省、市平台或其他软件导入的数据文件；"
                                    "不印评价机关和文号，设置文件有问题时也可导出")
        for b in (self.workbook_button, self.summary_button, self.json_button):
            b.setMinimumHeight(34)
            lv.addWidget(b)
        lv.addStretch(1)
        grid.addWidget(lists, 0, 0)

        letters = QGroupBox("企业评价结果告知书")
        lg = QGridLayout(letters)
        self.scope = QButtonGroup(self)
        self.scope_all = QRadioButton("全部参评企业")
        self.scope_selected = QRadioButton("“评价结果”中选中的企业")
        self.scope_visible = QRadioButton("“评价结果”中当前筛选出的企业")
        self.scope_tier = QRadioButton("按等级：")
        self.scope_town = QRadioButton("按乡镇：")
        self.tier = QComboBox()
        self.township = QComboBox()
        self.township.setMinimumContentsLength(8)
        for combo in (self.tier, self.township):  # filled when a result arrives: size to what they hold then
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for i, b in enumerate((self.scope_all, self.scope_selected, self.scope_visible, self.scope_tier, self.scope_town)):
            self.scope.addButton(b, i)
        self.scope_all.setChecked(True)
        lg.addWidget(self.scope_all, 0, 0, 1, 2)
        lg.addWidget(self.scope_selected, 1, 0, 1, 2)
        lg.addWidget(self.scope_visible, 2, 0, 1, 2)
        lg.addWidget(self.scope_tier, 3, 0)
        lg.addWidget(self.tier, 3, 1)
        lg.addWidget(self.scope_town, 4, 0)
        lg.addWidget(self.township, 4, 1)
        self.combined = QCheckBox("同时生成合订本（一个 PDF，便于打印）")
        self.combined.setChecked(True)
        lg.addWidget(self.combined, 5, 0, 1, 2)
        self.letters_button = QPushButton("生成告知书")
        self.letters_button.setObjectName("primary")
        self.letters_button.setMinimumHeight(34)
        self.preview_button = QPushButton("预览与打印…")
        self.preview_button.setToolTip("选一家企业，逐页查看其告知书打印出来的样子，可放大缩小、打印或另存为 PDF")
        self.preview_button.setMinimumHeight(34)
        buttons = QHBoxLayout()
        buttons.addWidget(self.letters_button, 1)
        buttons.addWidget(self.preview_button)
        lg.addLayout(buttons, 6, 0, 1, 2)
        lg.setColumnStretch(1, 1)
        grid.addWidget(letters, 0, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.body.addLayout(grid)

        self.body.addWidget(QLabel("<b>已生成的文件</b>（双击打开）"))
        self.log = QListWidget()
        self.body.addWidget(self.log, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.body.addWidget(self.status)

        self.browse_button.clicked.connect(self.choose_folder)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.workbook_button.clicked.connect(lambda: self.export_workbook())
        self.summary_button.clicked.connect(lambda: self.export_summary())
        self.json_button.clicked.connect(lambda: self.export_json())
        self.letters_button.clicked.connect(lambda: self.letters_clicked())
        self.preview_button.clicked.connect(lambda: self.preview_letter())
        self.log.itemDoubleClicked.connect(self._open_item)
        self.scope_tier.toggled.connect(self.tier.setEnabled)
        self.scope_town.toggled.connect(self.township.setEnabled)
        self.refresh_later = Deferred(self.refresh, self)
        session.result_changed.connect(self.refresh_later)
        session.project_changed.connect(self.refresh_folder)
        session.path_changed.connect(self.refresh_folder)
        self.refresh()

    # --- state ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        r = self.session.result
        has = r is not None
        self.json_button.setEnabled(has)
        self.tier.clear()
        self.township.clear()
        if r is not None:
            labels: list[str] = []
            for pop in r.scheme.populations.values():
                labels += [lab for lab in pop.tiers.labels if lab not in labels]
            for lab in labels:
                self.tier.addItem(f"{lab}类", lab)
            o = self.session.outcome
            towns = o.enterprises.extra["townships"] if o is not None else []
            self.township.addItems([t for t in towns if t])
        self.tier.setEnabled(self.scope_tier.isChecked())
        self.township.setEnabled(self.scope_town.isChecked())
        self.prior_label.setText(prior_text(self.session.project.prior))
        self.refresh_settings()

    def refresh_settings(self) -> None:
        """The settings line, the banner of an unreadable settings file, and the buttons it stops;
        also each time the page is shown (the file may have been edited by hand meanwhile)."""
        has = self.session.result is not None
        state = read_settings_state()
        for b in (self.workbook_button, self.letters_button, self.summary_button, self.preview_button):
            b.setEnabled(has and state.usable)  # each prints the 评价机关 (and the letters a 文号)
        self.settings_banner.setText(html.escape(state.message()).replace("\n", "<br>") if not state.usable else "")
        self.settings_banner.setVisible(not state.usable)
        s = state.settings
        if state.usable:
            self.settings_label.setText(f"发文机关：{s.authority or '（未设置）'}；文号前缀：{s.doc_prefix or '（未设置）'}；"
                                        f"申诉期限 {s.appeal_days} 日。可在“工具 → 设置”中修改。")
        else:
            self.settings_label.setText("发文机关、文号：设置文件无法读取（见上方提示）。")
        self.refresh_folder()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh_settings()

    def refresh_folder(self) -> None:
        self.folder.setText(str(self.out_dir()))
        self.folder.setToolTip(self.folder.text())
        self.folder_note.setText("本项目选定的输出文件夹（保存在项目文件中）。" if self.session.project.output_dir else
                                 "尚未为本项目选择输出文件夹：默认按县名、年度和评价阶段分开存放；可点“更改…”另选。")

    def out_dir(self) -> Path:
        return project_output_dir(self.session)

    def set_out_dir(self, folder: Path | str) -> None:
        """The project's output folder from now on (an audited edit, saved with the project)."""
        self.session.set_output_dir(str(Path(folder)))
        self.refresh_folder()

    def choose_folder(self) -> None:
        start = self.out_dir()
        while not start.is_dir() and start.parent != start:
            start = start.parent
        d = QFileDialog.getExistingDirectory(self, "选择本项目的输出文件夹", str(start))
        if d:
            self.set_out_dir(d)

    def open_folder(self) -> None:
        d = self.out_dir()
        d.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(d)))

    def _open_item(self, item: QListWidgetItem) -> None:
        p = item.data(Qt.ItemDataRole.UserRole)
        if p:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(p)))

    def _base_name(self, what: str) -> str:
        return safe_filename_part(f"{county_for_names()}{self.session.project.year}年度亩均效益评价{what}")

    def _tell(self, title: str, text: str) -> None:
        """A message box when the page is on screen; the status line always (tests run hidden)."""
        self.status.setText(text.replace("\n", " "))
        if self.isVisible():
            QMessageBox.information(self, title, text)

    # --- running -------------------------------------------------------------------------------
    def _printable_settings(self, title: str) -> Settings | None:
        """The settings for an output printed with the 评价机关 or a 文号; None (and said why) while
        the settings file is unreadable: never the shipped defaults' authority on a county's papers."""
        state = read_settings_state()
        if not state.usable:
            self._failed(title, state.message().replace("\n", ""))
            return None
        return state.settings

    def _start(self, title: str, job: Callable[[ProgressFn, CancelFn], Any], cancellable: bool = False,
               record: Callable[[Any], tuple[str, str]] | None = None,
               on_stopped: Callable[[], None] | None = None) -> bool:
        """Run `job`; `record(out)` → (what, how many) for the audit entry of what it wrote;
        `on_stopped()` runs when the job is cancelled or fails (what it did up to then is kept)."""
        if self.session.result is None:
            self._tell(title, "尚无评价结果。")
            return False
        if self.runner.busy:
            self._tell(title, "正在取消上一项输出，请稍候。" if self.runner.cancelling else "上一项输出仍在进行，请稍候。")
            return False
        self.last_error = ""
        dlg = QProgressDialog(f"{title}…", "取消" if cancellable else "", 0, 1000, self)
        dlg.setWindowTitle(title)
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(300)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        if not cancellable:
            dlg.setCancelButton(None)
        dlg.canceled.connect(lambda: self.cancel(title))
        self.progress_dialog = dlg
        self._hold_still()
        self.status.setText(f"{title}…")
        result = self.session.result
        fingerprint, stage = data_fingerprint(result), result.stage  # of the result the job writes from

        def done(out: Any) -> None:
            self._done(title, out)
            if record is not None:
                what, count = record(out)
                self.session.record_export(what, count, _folder_of(out), fingerprint, stage)

        def stopped(then: Callable[[], None]) -> None:
            if on_stopped is not None:
                on_stopped()
            then()

        self.runner.start(job, done, lambda m, tb: stopped(lambda: self._failed(title, m)),
                          lambda: stopped(lambda: self._cancelled(title)))
        return True

    def cancel(self, title: str = "") -> None:
        """取消 in the progress dialog: the job stops at its next check (letters: within a second)."""
        if not self.runner.busy or self.runner.cancelling:
            return
        self.runner.cancel()
        text = f"正在取消{title or '输出'}…"
        self.status.setText(text)
        self.session.message.emit(text)

    def _progress(self, fraction: float, message: str) -> None:
        dlg = self.progress_dialog
        if dlg is None or self.runner.cancelling:
            return
        if message:
            dlg.setLabelText(message)
        dlg.setValue(int(fraction * 1000))  # a modal progress dialog processes events here: may close itself

    def _hold_still(self) -> None:
        """No repaint of the window's pages while a job runs behind the modal progress dialog.

        The dialog's appearance repaints the window behind it (it becomes inactive); a large table
        then calls into Python thousands of times, each call waiting for the interpreter lock the
        job's thread holds, and the window stalls for a tenth of a second. Nothing on the pages
        changes while the job runs (the dialog is modal), so they keep what they show and are
        repainted once it ends. The dialog is a window of its own and keeps repainting.
        """
        top = self.window()
        pages = top.centralWidget() if isinstance(top, QMainWindow) else None
        if pages is not None and pages.updatesEnabled():
            pages.setUpdatesEnabled(False)
            self._held_still = pages

    def _close_dialog(self) -> None:
        if self._held_still is not None:  # one repaint, with the window's own when the dialog closes
            self._held_still.setUpdatesEnabled(True)
            self._held_still = None
        if self.progress_dialog is not None:
            self.progress_dialog.canceled.disconnect()
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None

    def _done(self, title: str, out: Any) -> None:
        self._close_dialog()
        allocation = getattr(out, "allocation", None)
        if allocation is not None:  # the 文号 of these letters go into the project's register
            self.session.record_doc_numbers(allocation, title)
        paths: list[Path] = [Path(p) for p in (out if isinstance(out, list) else [out])]
        combined = getattr(out, "combined", None)
        warnings = list(getattr(out, "warnings", []) or [])
        skipped = list(getattr(out, "skipped", []) or [])
        shown = ([Path(combined)] if combined else []) + (paths if len(paths) <= 20 else [])
        for p in shown:
            item = QListWidgetItem(f"{title}：{p}")
            item.setData(Qt.ItemDataRole.UserRole, str(p))
            self.log.insertItem(0, item)
        if len(paths) > 20:
            item = QListWidgetItem(f"{title}：{len(paths)} 个文件，位于 {paths[0].parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(paths[0].parent))
            self.log.insertItem(1 if combined else 0, item)
        self.last_outputs = paths + ([Path(combined)] if combined else [])
        msg = f"{title}完成：{len(paths)} 个文件。"
        if skipped:
            msg += f"{len(skipped)} 家未参评企业未生成告知书。"
        held = list(getattr(out, "held", []) or [])  # the release gate (evaluator.outputs.gate)
        if held:
            msg += f"{len(held)} 家企业的数据问题尚未处理，暂不生成告知书（见“复核与公示”页）。"
        if warnings:
            msg += "注意：" + "；".join(warnings[:3]) + ("……" if len(warnings) > 3 else "")
        self.status.setText(msg)
        self.session.message.emit(msg)

    def _failed(self, title: str, message: str) -> None:
        self._close_dialog()
        self.last_error = message
        self._tell(title, f"{title}失败：\n{message}")
        self.status.setText(f"<span style='color:#9b1c1c'>{title}失败：{message}</span>")

    def _cancelled(self, title: str) -> None:
        self._close_dialog()
        text = f"已取消{title}（已生成的文件保留在输出文件夹中）。"
        self.status.setText(text)
        self.session.message.emit(text)

    # --- the outputs ---------------------------------------------------------------------------
    def _overwrites_input(self, title: str, target: Path) -> bool:
        """An output never replaces one of the project's data files: refuse with the reason."""
        hit = output_overwrites_input(target, [f.path for f in self.session.project.files if f.path])
        if hit is not None:
            self._failed(title, f"输出文件 {target} 就是导入的数据文件 {hit}，写出会覆盖原始数据；请换一个输出文件夹或文件名")
        return hit is not None

    def export_workbook(self, path: Path | None = None) -> bool:
        result, settings = self.session.result, self._printable_settings("导出分类名单")
        if settings is None:
            return False
        stage = stage_print_label(result.stage) if result is not None else ""
        target = Path(path) if path else self.out_dir() / f"{self._base_name('分类名单')}.xlsx"
        if self._overwrites_input("导出分类名单", target):
            return False

        def job(progress: ProgressFn, cancel: CancelFn) -> Path:
            from evaluator.outputs.workbook import (
                write_workbook,  # imported in the worker, as below
            )

            target.parent.mkdir(parents=True, exist_ok=True)
            write_workbook(result, target, settings=settings, progress=progress, cancel=cancel, stage=stage)
            return target

        return self._start("导出分类名单", job, cancellable=True,
                           record=lambda out: ("分类名单", f"{len(result.table)} 家企业"))

    def export_summary(self, path: Path | None = None) -> bool:
        result, settings = self.session.result, self._printable_settings("导出汇总报告")
        if settings is None:
            return False
        target = Path(path) if path else self.out_dir() / f"{self._base_name('汇总报告')}.pdf"
        if self._overwrites_input("导出汇总报告", target):
            return False

        def job(progress: ProgressFn, cancel: CancelFn) -> Path:
            from evaluator.outputs.summary_pdf import write_summary_pdf

            target.parent.mkdir(parents=True, exist_ok=True)
            progress(0.1, "正在生成汇总报告")
            write_summary_pdf(result, target, settings=settings)
            return target

        return self._start("导出汇总报告", job, record=lambda out: ("汇总报告", f"{len(result.table)} 家企业"))

    def export_json(self, path: Path | None = None) -> bool:
        result = self.session.result
        target = Path(path) if path else self.out_dir() / f"{self._base_name('结果')}.json"
        if self._overwrites_input("导出结果数据", target):
            return False

        def job(progress: ProgressFn, cancel: CancelFn) -> Path:
            from evaluator.outputs.json_result import write_json

            target.parent.mkdir(parents=True, exist_ok=True)
            write_json(result, target)  # type: ignore[arg-type]
            return target

        return self._start("导出结果数据", job, record=lambda out: ("结果数据文件", f"{len(result.table)} 家企业"))

    def letter_keys(self) -> tuple[list[str] | None, str]:
        """The keys the chosen scope selects (None: all) and a name for the combined file."""
        r = self.session.result
        if r is None:
            return [], ""
        if self.scope_selected.isChecked():
            return self.selected_keys(), "选中企业"
        if self.scope_visible.isChecked():
            return self.visible_keys(), "筛选结果"
        if self.scope_tier.isChecked() and self.tier.currentData():
            return tier_keys(r, self.tier.currentData()), f"{self.tier.currentData()}类"
        if self.scope_town.isChecked() and self.township.currentText():
            return township_keys(r, self.township.currentText()), self.township.currentText()
        return None, "全部"

    def letter_count(self, keys: list[str] | None) -> tuple[int, int, int]:
        """(letters the batch will write, firms in the scope that get none, firms the release gate
        holds back): the same `issued_keys` the letters job numbers and writes."""
        from evaluator.outputs.gate import release_gate
        from evaluator.outputs.letters import issued_keys

        r = self.session.result
        if r is None:
            return 0, 0, 0
        s = load_output_settings()
        notices = bool(s is not None and getattr(s, "status_notices", False))
        scope = [str(k) for k in r.table.index] if keys is None else [str(k) for k in keys]
        held = release_gate(r).held
        n_held = sum(k in held for k in scope)
        n = len(issued_keys(r, keys, notices))
        return n, len(scope) - n - n_held, n_held

    def _confirm(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        go = box.addButton("开始生成", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go)
        box.exec()
        return box.clickedButton() is go

    def letters_clicked(self) -> bool:
        """生成告知书: the chosen scope, after saying how many letters that is (for 全部 always)."""
        if self._printable_settings("生成告知书") is None:
            return False
        keys, scope_name = self.letter_keys()
        if keys is not None and not keys:
            return self.export_letters(keys, scope_name)
        n, skipped, held = self.letter_count(keys)
        if keys is None or n >= CONFIRM_LETTERS:
            who = "全部参评企业" if keys is None else f"“{scope_name}”范围内的企业"
            text = f"将为{who}生成告知书 {n:,} 份（每家一个 PDF 文件"
            text += "，另生成合订本）。" if self.combined.isChecked() else "）。"
            if held:
                text += f"\n\n{held:,} 家企业的数据问题尚未处理，暂缓发放（见“复核与公示”）。"
            if skipped:
                text += f"\n\n{skipped:,} 家未参评企业（免评、数据不全或不在评价范围）不生成告知书。"
            text += f"\n\n保存到：{self.out_dir() / '告知书'}\n份数多时需要较长时间，可随时取消（已生成的保留）。\n\n是否开始？"
            if not self.confirm("生成告知书", text):
                self.status.setText("未生成告知书。")
                return False
        return self.export_letters(keys, scope_name)

    def export_letters(self, keys: list[str] | None = None, scope_name: str | None = None,
                       out_dir: Path | None = None, combined: bool | None = None) -> bool:
        """Letters for `keys` (default: the scope chosen on the page) with progress and cancel."""
        if keys is None and scope_name is None:
            keys, scope_name = self.letter_keys()
        if keys is not None and not keys:
            self._tell("生成告知书", "所选范围内没有企业。")
            self.status.setText("所选范围内没有企业。")
            return False
        result, settings = self.session.result, self._printable_settings("生成告知书")
        if settings is None:
            return False
        stage = stage_print_label(result.stage) if result is not None else ""  # as `mujun evaluate` prints it
        register = list(self.session.project.doc_numbers)  # 文号 already given (read on the GUI thread)
        folder = Path(out_dir) if out_dir else self.out_dir() / "告知书"
        want_combined = self.combined.isChecked() if combined is None else combined
        combined_path = (folder.parent / f"{self._base_name('告知书合订本')}_{safe_filename_part(scope_name or '全部')}.pdf"
                         if want_combined else None)

        allocated: list[Any] = []  # the batch's 文号, set by the job before the first letter is drawn

        def job(progress: ProgressFn, cancel: CancelFn) -> Any:
            # imported here, in the worker: importing reportlab and the letter modules on the GUI
            # thread (PySide's import hook reads each module's source) would pause the window
            from evaluator.outputs.doc_numbers import allocate
            from evaluator.outputs.letters import issued_keys, write_letters
            from evaluator.pipeline.fingerprint import data_fingerprint
            from evaluator.project.model import now_text

            allocation = allocate(register, issued_keys(result, keys, settings.status_notices),  # type: ignore[arg-type]
                                  settings, data_fingerprint(result), now_text())  # type: ignore[arg-type]
            allocated.append(allocation)
            batch = write_letters(result, folder, settings=settings, keys=keys, combined_path=combined_path,  # type: ignore[arg-type]
                                  progress=progress, cancel=cancel, numbers=allocation.serials, stage=stage)
            batch.allocation = allocation  # recorded in the project by `_done`, on the GUI thread
            return batch

        def keep_numbers() -> None:
            # A cancelled or failed batch has already printed some letters with their 文号: the
            # whole allocation goes into the register, or a later batch would give the same
            # numbers to other firms (an unprinted firm simply keeps its number for next time).
            if allocated:
                self.session.record_doc_numbers(allocated[0], "生成告知书（未完成）")

        return self._start("生成告知书", job, cancellable=True, record=lambda out: letters_record(out, scope_name),
                           on_stopped=keep_numbers)

    # --- print preview -------------------------------------------------------------------------
    def preview_letter(self, key: str | None = None) -> Any:
        """预览与打印: the letter of `key` (default: the firm selected on the results page, else the
        first letter issued), as the export writes it. Returns the dialog (None when refused)."""
        from ..widgets.letter_preview import show_letter_preview

        if self.session.result is None:
            self._tell("预览告知书", "尚无评价结果。")
            return None
        if self._printable_settings("预览告知书") is None:
            return None
        selected = self.selected_keys()
        return show_letter_preview(self.session, key or (selected[0] if selected else None), parent=self)
