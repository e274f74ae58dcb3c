"""帮助 → 用户手册 (F1): docs/用户手册.md shown in the app, so an official needs no other program.

The manual ships beside templates/ (build_app.spec copies docs/用户手册.md into the bundle); when
it is missing the dialog says so in plain words instead of showing an empty page.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.paths import app_root

TITLE = "用户手册"


def manual_path() -> Path:
    return app_root() / "docs" / "用户手册.md"


class ManualDialog(QDialog):
    """The user manual rendered from Markdown, links to web pages opened in the browser."""

    def __init__(self, path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.resize(820, 680)
        lay = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        lay.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        p = path or manual_path()
        try:
            text = p.read_text(encoding="utf-8")
        except OSError:
            self.browser.setPlainText(f"找不到用户手册（{p}）。请重新安装本软件，或向软件提供方索取。")
            return
        self.browser.document().setBaseUrl(p.parent.as_uri() + "/")  # pictures beside the manual
        self.browser.setMarkdown(text)
