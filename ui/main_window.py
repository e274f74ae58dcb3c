"""The main window: a left navigation of workflow steps, one page per step, menus and a status bar.

导入数据 → 数据核查 → 评价方案 → 评价结果 → 复核与公示 → 输出, plus 审计记录. All state is in the `Session`; the
window only routes signals between pages (a double-click in the data-check list opens the firm on
the results page), runs the project-file menu, autosaves, and shows what the workers are doing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from evaluator.core.issues import InputError
from evaluator.project import file as projectfile
from evaluator.project.recent import load_recent
from evaluator.project.model import current_user

from . import style
from .pages.audit_page import AuditPage
from .pages.check_page import CheckPage
from .pages.export_page import ExportPage
from .pages.import_page import ImportPage
from .pages.results_page import ResultsPage
from .pages.review_page import ReviewPage
from .pages.scheme_page import SchemePage
from .session import Session
from .user_config import (
    apply_operator,
    is_first_start,
    load_operator,
    mark_started,
    operator_asked,
    remember_folder,
    remember_font_size,
    save_operator,
    save_state,
    start_folder,
)
from .widgets.manual_dialog import ManualDialog
from .widgets.settings_dialog import SettingsDialog

if TYPE_CHECKING:
    from evaluator.project.file import Recoverable

log = logging.getLogger(__name__)

APP_TITLE = "亩均效益综合评价系统"
NAV_WIDTH = 168  # the navigation list at 标准 字号; wider in proportion at 较大 / 特大
PROJECT_FILTER = "亩均评价项目 (*.mujun);;所有文件 (*)"
PRIOR_FILTER = "上年评价结果 (*.json *.xlsx *.xlsm);;所有文件 (*)"
Ask = Callable[[str, str], bool]
Choose = Callable[[list["Recoverable"]], "Recoverable | None"]  # autosaves, newest first → the one to restore

# The yearly order: the review cycle (确认、公示、异议、复核) comes before the final outputs it decides.
STEPS = ("导入数据", "数据核查", "评价方案", "评价结果", "复核与公示", "输出", "审计记录")
IMPORT, CHECK, SCHEME, RESULTS, REVIEW, EXPORT, AUDIT = range(7)


def delete_autosave(item: Recoverable) -> str | None:
    """Remove one autosave the official chose to delete; a Chinese error message, or None."""
    path = Path(item.autosave)
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        return f"无法删除自动保存文件 {path}（{exc.strerror or exc}）"
    return None


class PageStack(QStackedWidget):
    """The pages, asking only for the room of the page shown (not of the widest page), so that at a
    large 字号 a narrow page fits the window and only a wide one scrolls."""

    def __init__(self) -> None:
        super().__init__()
        self.currentChanged.connect(lambda _: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        w = self.currentWidget()
        return w.minimumSizeHint() if w is not None else super().minimumSizeHint()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        w = self.currentWidget()
        return w.sizeHint() if w is not None else super().sizeHint()


class MainWindow(QMainWindow):
    def __init__(self, session: Session | None = None) -> None:
        super().__init__()
        apply_operator()  # before the first project: its edits record the official's name
        self.session = session or Session(parent=self)
        self.setWindowTitle(APP_TITLE)
        self._fit_to_screen(1480, 920)
        self.setAcceptDrops(True)
        self._manual: ManualDialog | None = None

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(round(NAV_WIDTH * style.font_scale()))
        self.nav.setIconSize(QSize(0, 0))
        numbers = "①②③④⑤⑥"
        for i, name in enumerate(STEPS):
            text = f"{numbers[i]}  {name}" if i < len(numbers) else f"     {name}"
            QListWidgetItem(text, self.nav)
        self.stack = PageStack()
        self.import_page = ImportPage(self.session)
        self.check_page = CheckPage(self.session)
        self.scheme_page = SchemePage(self.session)
        self.results_page = ResultsPage(self.session)
        self.export_page = ExportPage(self.session, self.results_page.selected_keys, self.results_page.visible_keys)
        self.audit_page = AuditPage(self.session)
        self.review_page = ReviewPage(self.session)
        for p in (self.import_page, self.check_page, self.scheme_page, self.results_page, self.review_page,
                  self.export_page, self.audit_page):
            self.stack.addWidget(p)
        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.nav)
        # In a scroll area, so a page wider or taller than the screen (特大 字号 at 1366×768) scrolls
        # instead of pushing the window off the screen.
        self.page_scroll = QScrollArea()
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.page_scroll.setWidget(self.stack)
        lay.addWidget(self.page_scroll, 1)
        self.setCentralWidget(central)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(IMPORT)

        self.status_text = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(220)
        self.progress.setTextVisible(False)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setFlat(True)
        sb = self.statusBar()
        sb.addWidget(self.status_text, 1)
        sb.addPermanentWidget(self.progress_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)
        self._set_busy(False)

        self.autosave_label = QLabel()  # when the recovery copy was last written (after every change)
        self.autosave_label.setObjectName("autosaveLabel")
        sb.addPermanentWidget(self.autosave_label)
        self._build_menus()

        s = self.session
        s.busy_changed.connect(self._set_busy)
        s.progress.connect(self._progress)
        s.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        s.files_failed.connect(self._files_failed)
        s.evaluation_failed.connect(self._evaluation_failed)
        s.path_changed.connect(self._update_title)
        s.project_changed.connect(self._update_title)
        s.audit_changed.connect(self._update_title)
        s.project_changed.connect(self._update_prior_actions)
        s.result_changed.connect(self._result_changed)
        s.autosaved.connect(self._autosaved)
        s.path_changed.connect(lambda: self.autosave_label.clear())
        self.cancel_button.clicked.connect(self.cancel_work)
        self._cancelling = False
        self.check_page.enterprise_requested.connect(self.show_enterprise)
        self._update_title()
        self._update_prior_actions()

    def _fit_to_screen(self, width: int, height: int) -> None:
        """The preferred size, but never larger than the screen's free area (a 1366×768 laptop
        with a taskbar has about 1366×728): a window taller than the screen hid the status bar
        and squeezed nothing, so the panes were laid out for space that was not there."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:
            avail = screen.availableGeometry()
            frame = 40  # title bar and borders the window manager adds
            width, height = min(width, avail.width()), min(height, avail.height() - frame)
        self.resize(width, height)

    # --- menus ---------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("文件(&F)")
        self.new_action = self._action(m, "新建项目", self.new_project, QKeySequence.StandardKey.New)
        self.open_action = self._action(m, "打开项目…", self.open_project, QKeySequence.StandardKey.Open)
        self.recent_menu = QMenu("最近打开", self)
        m.addMenu(self.recent_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.save_action = self._action(m, "保存", self.save_project, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action(m, "另存为…", self.save_project_as, QKeySequence.StandardKey.SaveAs)
        m.addSeparator()
        self._action(m, "添加数据文件…", self.import_page.choose_files)
        self._action(m, "打开示范数据", self.open_demo)
        m.addSeparator()
        self.load_prior_action = self._action(m, "载入上年评价结果…", self.load_prior)
        self.clear_prior_action = self._action(m, "清除上年评价结果", self.clear_prior)
        self.load_prior_action.setToolTip("上年本软件导出的评价结果（.json）或分类名单（.xlsx）："
                                          "用于上年等级、等级变化和连续 D 类年数")
        m.addSeparator()
        self._action(m, "退出", self.close, QKeySequence.StandardKey.Quit)
        e = self.menuBar().addMenu("编辑(&E)")
        self.undo_action = self.session.undo_stack.createUndoAction(self, "撤销")
        self.undo_action.setShortcuts([QKeySequence("Ctrl+Z")])
        self.redo_action = self.session.undo_stack.createRedoAction(self, "重做")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        e.addActions([self.undo_action, self.redo_action])
        v = self.menuBar().addMenu("视图(&V)")
        sizes = v.addMenu("字号")
        self.font_size_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for key, (label, _) in style.FONT_SIZES.items():
            a = self._action(sizes, label, lambda k=key: self.set_font_size(k))
            a.setCheckable(True)
            a.setChecked(key == style.font_size_key())
            group.addAction(a)
            self.font_size_actions[key] = a
        t = self.menuBar().addMenu("工具(&T)")
        self._action(t, "设置…", self.open_settings)
        self._action(t, "审计记录", lambda: self.go(AUDIT))
        self._action(t, "重新评价", self.session.evaluate, QKeySequence("F5"))
        h = self.menuBar().addMenu("帮助(&H)")
        self.manual_action = self._action(h, "用户手册", self.show_manual, QKeySequence("F1"))
        h.addSeparator()
        self._action(h, "关于", self.about)

    def set_font_size(self, key: str) -> None:
        """视图 → 字号: applied to the whole app at once and remembered for the next start."""
        app = QApplication.instance()
        style.apply_font_size(app, key)  # type: ignore[arg-type]
        remember_font_size(style.font_size_key(app))  # type: ignore[arg-type]
        self.nav.setFixedWidth(round(NAV_WIDTH * style.font_scale()))
        for k, a in self.font_size_actions.items():
            a.setChecked(k == style.font_size_key())

    def _action(self, menu: QMenu, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | None = None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(shortcut)
        a.triggered.connect(lambda _=False: slot())
        menu.addAction(a)
        return a

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = load_recent(existing_only=True)
        if not paths:
            a = self.recent_menu.addAction("（无）")
            a.setEnabled(False)
            return
        for p in paths:
            a = self.recent_menu.addAction(str(p))
            a.triggered.connect(lambda _=False, p=p: self.open_project(p))

    def refresh_pending(self) -> bool:
        """True while a page has a deferred refresh queued (tests wait for the pages to catch up)."""
        pages = (self.import_page, self.check_page, self.results_page, self.export_page, self.audit_page)
        return any(p.refresh_later.pending for p in pages) or self.results_page.refresh_pending

    # --- navigation ----------------------------------------------------------------------------
    def go(self, page: int) -> None:
        self.nav.setCurrentRow(page)

    def show_enterprise(self, key: str) -> None:
        self.go(RESULTS)
        if not self.results_page.show_enterprise(key):
            self.statusBar().showMessage("该问题对应的企业不在评价结果中", 5000)

    # --- status --------------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.progress_label.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self.progress_label.setText("正在处理…")
            self.cancel_button.setEnabled(True)
        elif getattr(self, "_cancelling", False):
            self._cancelling = False
            self.statusBar().showMessage("已取消", 8000)

    def cancel_work(self) -> None:
        """取消 in the status bar: reading and evaluating stop at once; a save is finished first."""
        self._cancelling = True
        self.cancel_button.setEnabled(False)
        self.progress_label.setText("正在取消…")
        self.statusBar().showMessage("正在取消…", 8000)
        self.session.cancel()
        if self.session.busy:  # only a save can still be running: it is never cut off half-way
            self.progress_label.setText("正在保存项目，保存完成后停止…")

    def _progress(self, fraction: float, message: str) -> None:
        if self._cancelling:
            return
        self.progress.setValue(int(fraction * 1000))
        self.progress_label.setText(message)

    def _autosaved(self, path: str) -> None:
        from datetime import datetime

        self.autosave_label.setText(f"已自动保存 {datetime.now():%H:%M:%S}")
        self.autosave_label.setToolTip(f"未保存的修改已写入恢复副本：{path}\n程序意外退出后，下次启动时可以恢复。")

    def _result_changed(self) -> None:
        r = self.session.result
        if r is None:
            self.status_text.setText("尚无评价结果")
            return
        s = r.evaluation.summary
        parts = []
        for pid, e in s.items():
            if r.scheme.populations.get(pid) is None:
                continue
            tiers = " ".join(f"{k}:{v}" for k, v in e["tiers"].items())
            parts.append(f"{e['label']} 参评 {e['evaluated']} 家（{tiers}）")
        n_err = sum(1 for i in r.issues if i.level == "error")
        prior = ""
        if "prior_tier" in r.table:
            prior = f" · 有上年等级 {int(r.table['prior_tier'].notna().sum())} 家"
        self.status_text.setText(f"{r.scheme.name} · {r.year} 年度 · 企业 {len(r.table)} 家 · " + "；".join(parts)
                                 + prior + f" · 错误 {n_err} 条")

    def _files_failed(self, messages: list[str]) -> None:
        text = "以下文件未能读取（其他文件已正常导入）：\n\n" + "\n".join(messages)
        self.statusBar().showMessage(messages[0], 10000)
        if self.isVisible():
            QMessageBox.warning(self, "导入数据", text)

    def _evaluation_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)
        if self.isVisible():
            QMessageBox.warning(self, APP_TITLE, message)

    def _update_title(self) -> None:
        s = self.session
        name = s.path.name if s.path else "未命名项目"
        self.setWindowTitle(f"{name}{' *' if s.dirty else ''} — {APP_TITLE}（{s.project.year} 年度）")

    # --- project file --------------------------------------------------------------------------
    def _ask_yes_no(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def ask_unsaved(self) -> str:
        """"save", "discard" or "cancel" for unsaved changes (replaced in tests: no modal dialogs)."""
        ans = QMessageBox.question(self, APP_TITLE, "当前项目有未保存的修改，是否保存？",
                                   QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                                   | QMessageBox.StandardButton.Cancel)
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(ans, "cancel")

    def _maybe_save(self) -> bool:
        """Before replacing the project: True to go on (saved or discarded), False to stay."""
        s = self.session
        if not s.dirty or not s.project.files:
            return True
        ans = self.ask_unsaved()
        if ans == "save":
            return self.save_project(wait=True)
        return ans == "discard"

    def new_project(self) -> None:
        if self._maybe_save():
            self.session.new_project(self.session.project.year)
            self.go(IMPORT)

    def open_demo(self) -> None:
        if self._maybe_save():
            self.session.open_demo()
            self.go(IMPORT)

    def open_project(self, path: Path | str | None = None) -> None:
        if not self._maybe_save():
            return
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "打开项目", self.project_start_folder(), PROJECT_FILTER)
            if not name:
                return
            remember_folder("project", name)
            path = name
        try:
            self.session.open(Path(path), on_done=lambda _p: self.go(RESULTS))
        except InputError as exc:
            QMessageBox.warning(self, "打开项目", str(exc))

    def project_start_folder(self) -> str:
        """打开/保存项目 open in the current project's folder, else the last one used, else the most
        recent project's, else 文档 (never the program folder)."""
        recent: list[Path] = []
        try:
            from evaluator.project.recent import load_recent

            recent = list(load_recent(existing_only=True))[:1]
        except Exception:  # the recent list is a convenience
            pass
        current = self.session.path.parent if self.session.path else None
        from .user_config import load_state

        last = load_state().get("folder_project")
        return start_folder("project", current, last, *recent)

    def save_project(self, wait: bool = False) -> bool:
        if self.session.path is None:
            return self.save_project_as(wait=wait)
        return self._save(self.session.path, wait)

    def save_project_as(self, path: Path | str | None = None, wait: bool = False) -> bool:
        if path is None:
            start = str(self.session.path or Path(self.project_start_folder())
                        / f"亩均评价{self.session.project.year}.mujun")
            name, _ = QFileDialog.getSaveFileName(self, "保存项目", start, PROJECT_FILTER)
            if not name:
                return False
            remember_folder("project", name)
            path = name if name.endswith(".mujun") else name + ".mujun"
        return self._save(Path(path), wait)

    def _save(self, path: Path, wait: bool) -> bool:
        try:
            self.session.save(path)
        except InputError as exc:
            QMessageBox.warning(self, "保存项目", str(exc))
            return False
        if wait:  # closing or replacing: finish the save first (the event loop keeps running)
            from PySide6.QtCore import QEventLoop

            loop = QEventLoop()
            self.session.file_runner.busy_changed.connect(lambda busy: None if busy else loop.quit())
            if self.session.file_runner.busy:
                loop.exec()
            return not self.session.dirty
        return True

    # --- last year's result --------------------------------------------------------------------
    def _update_prior_actions(self) -> None:
        self.clear_prior_action.setEnabled(self.session.project.prior is not None)

    def _warn(self, title: str, text: str) -> None:
        """A message box when the window is on screen; the status bar always (tests run hidden)."""
        self.statusBar().showMessage(text.replace("\n", " "), 15000)
        if self.isVisible():
            QMessageBox.warning(self, title, text)

    def load_prior(self, path: Path | str | None = None, ask: Ask | None = None) -> bool:
        """载入上年评价结果: last year's `--json` result or graded-list workbook, stored in the project
        (audited) and applied by every evaluation from now on, as `mujun evaluate --prior` does."""
        title = "载入上年评价结果"
        if path is None:
            start = start_folder("prior", self.session.path.parent if self.session.path else None)
            name, _ = QFileDialog.getOpenFileName(self, title, start, PRIOR_FILTER)
            if name:
                remember_folder("prior", name)
            if not name:
                return False
            path = name
        from evaluator.pipeline.prior import load_prior

        try:
            prior = load_prior(path)
        except InputError as exc:
            self._warn(title, str(exc))
            return False
        name = Path(path).name
        if not len(prior):
            self._warn(title, f"上年结果 {name} 中没有企业，未载入。")
            return False
        year = prior.attrs.get("year")
        this_year = self.session.project.year
        ask = ask or self._ask_yes_no
        if year and year >= this_year and not ask(
                title, f"上年结果 {name} 的评价年度（{year}）不早于本次评价年度（{this_year}），可能选错了文件。\n\n仍要载入吗？"):
            return False
        replaced = self.session.project.prior is not None
        self.session.set_prior(prior, name)
        self.statusBar().showMessage(f"已{'更换' if replaced else '载入'}上年评价结果：{name}"
                                     + (f"（{year} 年度）" if year else "") + f"，{len(prior)} 家企业；正在重新评价", 8000)
        return True

    def clear_prior(self) -> None:
        if self.session.project.prior is not None:
            self.session.clear_prior()
            self.statusBar().showMessage("已清除上年评价结果；正在重新评价", 8000)

    # --- recovery ------------------------------------------------------------------------------
    def choose_recovery(self, items: list[Recoverable]) -> Recoverable | None:
        """The autosave to restore (None: 以后再说); deleting one happens inside the dialog."""
        from .widgets.recovery_dialog import RecoveryDialog

        dlg = RecoveryDialog(items, delete=delete_autosave, parent=self)
        dlg.exec()
        return dlg.chosen

    def offer_recovery(self, choose: Choose | None = None) -> bool:
        """At start: restore an autosave left by a session that did not close normally.

        Every such autosave is listed (`choose_recovery`): the official restores one, deletes the
        ones not wanted, or keeps them all for the next start (以后再说)."""
        try:
            found = projectfile.find_recoverable(None, candidates=load_recent())
        except Exception as exc:  # recovery is a courtesy; never block the start
            log.warning("find_recoverable failed: %s", exc)
            return False
        if not found:
            return False
        item = (choose or self.choose_recovery)(found)
        if item is None:
            return False
        try:
            project = projectfile.recover(item)
        except Exception as exc:
            QMessageBox.warning(self, "恢复", f"无法恢复：{exc}")
            return False
        # The restored project is unsaved work: it is autosaved at once, and the copy it came from
        # is removed only once that new copy is on disk.
        self.session.recovered(project, item.original, item.autosave)
        self._update_title()
        self.go(RESULTS)
        return True

    def offer_demo(self, ask: Ask | None = None) -> bool:
        """On the very first start: offer the demo county so the app is not an empty window."""
        if not is_first_start():
            return False
        mark_started()
        ask = ask or self._ask_yes_no
        if ask("欢迎使用", "欢迎使用亩均效益综合评价系统。\n\n是否打开示范县（2025 年度，5 个部门的数据文件）看一看？\n"
                       "以后也可以在“文件 → 打开示范数据”中打开。"):
            self.session.open_demo()
            return True
        return False

    # --- settings, about -----------------------------------------------------------------------
    def open_settings(self) -> None:
        dlg = SettingsDialog(parent=self)
        if dlg.exec():
            dlg.save()
            self.session.project.user = current_user()  # a changed 操作人 records from now on
            self.export_page.refresh()

    def set_operator(self, name: str) -> None:
        save_operator(name)
        self.session.project.user = current_user()

    def ask_operator(self, ask: Callable[[], str | None] | None = None) -> bool:
        """Once, when no 操作人 is known: ask the official's name (editable later in 设置). True if asked."""
        if load_operator() or operator_asked():
            return False
        name = (ask or self._ask_operator_name)()
        save_state(operator_asked=True)
        if name and name.strip():
            self.set_operator(name)
        return True

    def _ask_operator_name(self) -> str | None:
        from PySide6.QtWidgets import QInputDialog

        name, ok = QInputDialog.getText(self, "操作人", "请填写您的姓名。\n审计记录中的“操作人”记此姓名；以后可在“工具 → 设置”中修改。\n"
                                                     "不填则记电脑的登录名（并注明是登录名）。")
        return name if ok else None

    def show_manual(self) -> ManualDialog:
        """帮助 → 用户手册 (F1): modeless, so the official can read it beside the page it explains."""
        if self._manual is None:
            self._manual = ManualDialog(parent=self)
        self._manual.show()
        self._manual.raise_()
        return self._manual

    def about(self) -> None:
        from evaluator import __version__

        QMessageBox.about(self, "关于", f"<b>{APP_TITLE}</b><br>版本 {__version__}<br><br>"
                                        "县级工业企业亩均效益评价：导入各部门数据、核查、评价分类、输出名单与告知书。")

    # --- window events -------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile() and Path(u.toLocalFile()).is_file()]
        if paths:
            if any(p.lower().endswith(".mujun") for p in paths):
                self.open_project(next(p for p in paths if p.lower().endswith(".mujun")))
            else:
                self.session.add_files(paths)
                self.go(IMPORT)
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._maybe_save():
            event.ignore()
            return
        self.session.cancel()
        self.session.close_autosave()  # after the write in progress, so no copy is left behind
        event.accept()
