"""帮助 → 用户手册 (F1): docs/用户手册.md shown in the app, so an official needs no other program.

The manual ships beside templates/ (build_app.spec copies docs/用户手册.md and the screenshots it
shows into the bundle); when it is missing the dialog says so in plain words instead of showing an
empty page. Screenshots are taken at 1600 px: they are shown scaled to the dialog's width.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QImage, QTextCursor
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
        p = path or manual_path()
        self._folder = p.parent
        self._sizes: dict[str, tuple[int, int]] = {}
        self.resize(820, 680)
        lay = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.viewport().installEventFilter(self)
        lay.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError:
            self.browser.setPlainText(f"找不到用户手册（{p}）。请重新安装本软件，或向软件提供方索取。")
            return
        self.browser.document().setBaseUrl(p.parent.as_uri() + "/")  # pictures beside the manual
        self.browser.setMarkdown(text)
        self.fit_pictures()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        # the text area's own resize: the dialog's comes before its layout has sized the text area
        if obj is self.browser.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_pictures()
        return super().eventFilter(obj, event)

    def fit_pictures(self) -> None:
        """Scale every picture to the text width (never above its own size), keeping its shape."""
        doc = self.browser.document()
        width = max(200, self.browser.viewport().width() - 2 * int(doc.documentMargin()) - 24)
        block = doc.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                frag = it.fragment()
                fmt = frag.charFormat()
                if fmt.isImageFormat():
                    img = fmt.toImageFormat()
                    w, h = self._natural_size(img.name())
                    if w > 0:
                        scale = min(1.0, width / w)
                        if abs(img.width() - w * scale) > 0.5:
                            img.setWidth(w * scale)
                            img.setHeight(h * scale)
                            cur = QTextCursor(doc)
                            cur.setPosition(frag.position())
                            cur.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
                            cur.setCharFormat(img)
                it += 1
            block = block.next()

    def _natural_size(self, name: str) -> tuple[int, int]:
        if name not in self._sizes:
            image = QImage(str(self._folder / name))
            self._sizes[name] = (image.width(), image.height()) if not image.isNull() else (0, 0)
        return self._sizes[name]
