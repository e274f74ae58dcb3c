"""Step 3, 评价方案: pick a template or a .toml, edit it, see the effect at once.

The scheme is data (TOML). Every change is validated on the spot with the core's own messages
(shown inline, not in a pop-up, so the official can keep typing) and, when valid, re-evaluated in
a worker so the results page follows. The visual editor (`ui.widgets.scheme_editor.SchemeEditor`)
is built separately; until it is installed the TOML text itself is editable here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.issues import InputError
from evaluator.method.scheme import list_schemes, load_scheme, parse_scheme

from ..session import Session
from .common import Page

log = logging.getLogger(__name__)


def scheme_editor_class() -> type | None:
    try:
        from ui.widgets.scheme_editor import SchemeEditor  # type: ignore[import-not-found]
    except Exception as exc:  # not installed yet, or broken: fall back to the TOML text
        log.info("scheme editor unavailable: %s", exc)
        return None
    return SchemeEditor


class TomlEditor(QWidget):
    """Fallback editor with the `SchemeEditor` interface: TOML text, `scheme_changed(str)` on 应用."""

    scheme_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        note = QLabel("可视化方案编辑器尚未安装，可直接编辑方案的 TOML 文本（格式见 templates/schemes/README.md），"
                      "改好后点“应用修改”。")
        note.setObjectName("hint")
        note.setWordWrap(True)
        lay.addWidget(note)
        self.text = QPlainTextEdit()
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setFamilies([mono.family(), "WenQuanYi Zen Hei Mono", "Microsoft YaHei UI", "WenQuanYi Zen Hei"])
        self.text.setFont(mono)
        lay.addWidget(self.text, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.apply = QPushButton("应用修改")
        self.apply.setObjectName("primary")
        row.addWidget(self.apply)
        lay.addLayout(row)
        self.apply.clicked.connect(lambda: self.scheme_changed.emit(self.text.toPlainText()))

    def set_scheme_text(self, text: str, source: str = "") -> None:
        self.text.setPlainText(text)


class SchemePage(Page):
    title = "评价方案"
    hint = ("选择方案模板或打开方案文件（.toml），按本县文件修改指标、权重、基准值和分类比例；修改即时校验并重新评价。"
            "方案名称、版本和校验码印在每份告知书上，保证结果可以复核。")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        bar = QHBoxLayout()
        bar.addWidget(QLabel("方案模板："))
        self.templates = QComboBox()
        self.templates.setMinimumContentsLength(20)
        bar.addWidget(self.templates)
        self.use_button = QPushButton("使用此模板")
        bar.addWidget(self.use_button)
        self.open_button = QPushButton("打开方案文件…")
        bar.addWidget(self.open_button)
        self.save_button = QPushButton("另存为方案文件…")
        bar.addWidget(self.save_button)
        bar.addSpacing(24)
        bar.addWidget(QLabel("评价年度："))
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setSuffix(" 年")
        bar.addWidget(self.year)
        bar.addStretch(1)
        self.body.addLayout(bar)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.body.addWidget(self.info)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.body.addWidget(self.error)

        cls = scheme_editor_class()
        self.editor: QWidget
        if cls is not None:
            try:
                self.editor = cls(self)
            except Exception as exc:  # a broken editor must not take the app down
                log.warning("SchemeEditor failed: %s", exc)
                self.editor = TomlEditor(self)
        else:
            self.editor = TomlEditor(self)
        self.body.addWidget(self.editor, 3)
        from ..widgets.compare_panel import ComparePanel

        self.compare = ComparePanel(session, self)  # 方案模拟测算: the edited scheme against a baseline
        self.body.addWidget(self.compare, 0)
        # Folded, the panel is one line and the editor has the page; shown, it takes two fifths.
        self.compare.expanded_changed.connect(lambda on: self.body.setStretchFactor(self.compare, 2 if on else 0))

        self.editor.scheme_changed.connect(self._edited)  # type: ignore[attr-defined]
        self.use_button.clicked.connect(self.use_template)
        self.open_button.clicked.connect(self.open_file)
        self.save_button.clicked.connect(self.save_file)
        self.year.valueChanged.connect(self.session.set_year)
        session.project_changed.connect(self.refresh)
        self._editor_shows: tuple[str, str] | None = None  # (scheme text, source) the form shows
        self.confirm: Callable[[str, str], bool] = self._confirm  # replaced in tests: no modal dialogs
        self._fill_templates()
        self.refresh(load_editor=True)
        session.path_changed.connect(lambda: self.refresh(load_editor=True))

    def _fill_templates(self) -> None:
        self.templates.clear()
        for s in list_schemes():
            self.templates.addItem(f"{s.name}（{s.version} 版）", s.id)

    def refresh(self, load_editor: bool = False) -> None:
        p = self.session.project
        with QSignalBlocker(self.year):
            self.year.setValue(p.year)
        try:
            s = p.scheme
        except InputError as exc:
            self.info.setText(str(exc))
            return
        pops = "；".join(f"{pop.label}：" + "、".join(f"{r.label} {r.weight:g}" for r in pop.indicators)
                        for pop in s.populations.values())
        self.info.setText(f"<b>当前方案：</b>{s.name}（{s.version} 版，{self._source_text(p.scheme_source)}）"
                          f"<br><span style='color:#5f6b7a'>{pops}</span>")
        self.info.setToolTip(f"方案校验码 {s.fingerprint}（由方案全文算出，用于核对两次评价所用的方案是否完全相同）")
        i = self.templates.findData(s.id)
        if i >= 0:
            with QSignalBlocker(self.templates):
                self.templates.setCurrentIndex(i)
        if load_editor:
            self._load_editor(p.scheme_text)
            self.compare.set_opened_scheme(p.scheme_text)

    def _load_editor(self, text: str) -> None:
        """Show `text` in the form editor, unless it already shows it: building the form takes
        ~0.3 s on the GUI thread, and saving the project (a new path) must not pause the window."""
        shown = (text, self.session.project.scheme_source)
        if shown == self._editor_shows:
            return
        self._editor_shows = shown
        try:
            with QSignalBlocker(self.editor):
                self.editor.set_scheme_text(text, self.session.project.scheme_source)  # type: ignore[attr-defined]
        except TypeError:  # an editor without the `source` argument
            with QSignalBlocker(self.editor):
                self.editor.set_scheme_text(text)  # type: ignore[attr-defined]
        except InputError as exc:
            self.error.setText(f"方案无法在编辑器中显示：{exc}")
            self.error.show()

    def _edited(self, text: str) -> None:
        """The editor debounces and emits only valid text; the core validates once more."""
        if self.apply_text(text):
            self._editor_shows = (text, self.session.project.scheme_source)

    def apply_text(self, text: str, source: str = "") -> bool:
        """Validate and adopt the scheme text; show the core's message inline if it is invalid."""
        try:
            self.session.set_scheme(text, source)
        except InputError as exc:
            self.error.setText(f"方案有误，未采用：{exc}")
            self.error.show()
            return False
        self.error.hide()
        return True

    def _source_text(self, source: str) -> str:
        """Where the scheme came from, in words: a shipped template by its name, a file by its name."""
        if not source:
            return "来源未记录"
        for i in range(self.templates.count()):
            if self.templates.itemData(i) == source:
                return f"软件自带模板“{self.templates.itemText(i)}”"
        return f"方案文件 {source}" if source.lower().endswith(".toml") else source

    def _confirm(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        go = box.addButton("替换", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go)
        box.exec()
        return box.clickedButton() is go

    def _replace_ok(self, new_name: str, new_text: str) -> bool:
        """Replacing the scheme throws away its edits and re-grades every firm: ask first."""
        p = self.session.project
        if new_text == p.scheme_text:
            return True
        try:
            current = p.scheme.name
        except InputError:
            current = "当前方案"
        return self.confirm("更换评价方案", f"将用“{new_name}”替换当前方案“{current}”（对当前方案所做的修改不再保留），"
                                        "并重新评价全部企业。更换记入审计记录。\n\n是否替换？")

    def use_template(self) -> None:
        sid = self.templates.currentData()
        if not sid:
            return
        s = load_scheme(sid)
        if not self._replace_ok(s.name, s.text):
            self.refresh()  # the combo shows the scheme in use again
            return
        if self.apply_text(s.text, s.id):
            self._load_editor(s.text)

    def open_file(self, path: str | None = None) -> None:
        if not path:
            from ..user_config import remember_folder, start_folder

            path, _ = QFileDialog.getOpenFileName(self, "打开方案文件", start_folder("scheme"),
                                                  "评价方案 (*.toml);;所有文件 (*)")
            if path:
                remember_folder("scheme", path)
        if not path:
            return
        try:
            s = load_scheme(Path(path))
        except InputError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        if not self._replace_ok(s.name, s.text):
            return
        if self.apply_text(s.text, Path(path).name):
            self._load_editor(s.text)

    def save_file(self, path: str | None = None) -> None:
        """Save the current scheme text as a new .toml (e.g. a county's own scheme)."""
        text = self.session.project.scheme_text
        if not path:
            from ..user_config import start_folder

            start = str(Path(start_folder("scheme")) / f"{self.session.project.scheme.name or '评价方案'}.toml")
            path, _ = QFileDialog.getSaveFileName(self, "另存为方案文件", start, "评价方案 (*.toml)")
        if not path:
            return
        try:
            parse_scheme(text)
            Path(path).write_text(text, encoding="utf-8")
        except (OSError, InputError) as exc:
            QMessageBox.warning(self, "另存为方案文件", f"保存失败：{exc}")
            return
        self.session.message.emit(f"方案已保存：{path}")
