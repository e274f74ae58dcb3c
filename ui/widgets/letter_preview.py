"""预览与打印: one firm's 告知书 exactly as it will print, page by page, with zoom, 打印 and 另存为 PDF.

What is shown is the PDF the export writes for that firm: built by the same code
(`evaluator.outputs.letters.letter_pdf_bytes`, which `write_letters` builds through), with the 文号 the
firm has in the project's register or would be given next, and the stage label the export prints.
The PDF is drawn by PDFium (`pypdfium2`), never re-drawn by the app, so the preview cannot differ from
the paper. Building and drawing run in a worker (the first letter imports reportlab and loads the
fonts: about a second); printing draws each page at the printer's resolution.

`show_letter_preview(session, key, parent)` is the entry point any page can call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..workers import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from ..session import Session

log = logging.getLogger(__name__)

ZOOMS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)  # of the page's printed size at 96 dots per inch
SCREEN_DPI = 96.0
PRINT_DPI_MAX = 300  # enough for text on a laser printer; higher only slows the spooler
_pdfium_lock = threading.Lock()  # PDFium is not thread-safe: one document at a time, in any thread


@dataclass(frozen=True)
class Preview:
    """A letter ready to show: its PDF bytes, the export's file name, and what the page says of it;
    the settings it was printed with, its 文号 serial (None: none), and its data's fingerprint and stage."""

    key: str
    pdf: bytes
    filename: str
    note: str
    settings: Any = None
    serial: int | None = None
    fingerprint: str = ""
    stage: str = ""


def render_pages(pdf: bytes, scale: float) -> list[QImage]:
    """Every page of `pdf` as an image, `scale` pixels per PDF point (1/72 inch)."""
    import pypdfium2 as pdfium

    with _pdfium_lock:
        doc = pdfium.PdfDocument(pdf)
        try:
            out = []
            for i in range(len(doc)):
                page = doc[i]
                bitmap = page.render(scale=scale, rev_byteorder=True)
                fmt = QImage.Format.Format_RGBA8888 if bitmap.n_channels == 4 else QImage.Format.Format_RGB888
                img = QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, fmt)
                out.append(img.copy())  # own the pixels before PDFium frees its buffer
                bitmap.close()
                page.close()
            return out
        finally:
            doc.close()


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's size in points."""
    import pypdfium2 as pdfium

    with _pdfium_lock:
        doc = pdfium.PdfDocument(pdf)
        try:
            return [tuple(doc[i].get_size()) for i in range(len(doc))]  # type: ignore[misc]
        finally:
            doc.close()


def build_preview(session: Session, key: str) -> Preview:
    """The letter of `key` as the export page would write it now (call on the GUI thread: it reads
    the project; the returned job does the slow part). Raises `InputError` (Chinese) when the firm
    gets no letter or the settings file is unreadable."""
    return _preview_job(session, key)()


def _preview_job(session: Session, key: str) -> Any:
    """Reads what the letter depends on now (result, settings, 文号 register) and returns the job
    that builds the PDF from them, which may run on a worker thread."""
    from evaluator.core.issues import InputError
    from evaluator.outputs.settings import read_settings_state
    from evaluator.project.review import stage_print_label

    result = session.result
    if result is None:
        raise InputError("尚无评价结果")
    state = read_settings_state()
    if not state.usable:
        raise InputError(state.message().replace("\n", ""))
    settings = state.settings
    register = list(session.project.doc_numbers)
    stage = stage_print_label(result.stage)

    def job() -> Preview:
        from evaluator.outputs.doc_numbers import allocate
        from evaluator.outputs.letters import letter_pdf_bytes
        from evaluator.pipeline.fingerprint import data_fingerprint
        from evaluator.project.model import now_text

        fingerprint = data_fingerprint(result)
        allocation = allocate(register, [key], settings, fingerprint, now_text())
        one = letter_pdf_bytes(result, key, settings, numbers=allocation.serials, stage=stage)
        number = settings.document_number(one.serial) if one.serial is not None else ""
        note = (f"文号 {number}（已登记，生成时沿用）。" if allocation.new == 0 else
                f"本企业尚未登记文号：预览中的 {number} 是下一个可用的号，打印或另存为 PDF 时登记给本企业，"
                "以后批量生成时沿用。") if number else ""
        if one.warnings:
            note += "注意：" + "；".join(one.warnings)
        return Preview(key, one.pdf, one.filename, note, settings, one.serial, fingerprint, result.stage)

    return job


def issued_firms(session: Session) -> list[tuple[str, str]]:
    """(key, shown name) of every firm the export would write a letter for, in letter order."""
    from evaluator.outputs.letters import issued_keys
    from evaluator.outputs.settings import read_settings_state

    result = session.result
    if result is None:
        return []
    keys = issued_keys(result, None, read_settings_state().settings.status_notices)
    names = session.outcome.names if session.outcome is not None else {}
    return [(k, f"{names.get(k) or k}（{k}）" if names.get(k) and names.get(k) != k else k) for k in keys]


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Draw every page of `pdf` on `printer`, each filling the paper as the PDF lays it out (the
    letter's own margins); returns the number of pages printed."""
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize

    sizes = page_sizes(pdf)
    if not sizes:
        return 0
    w, h = sizes[0]
    paper = QPageSize(QSizeF(min(w, h), max(w, h)), QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    printer.setFullPage(True)  # the PDF carries the letter's margins: the paper is drawn edge to edge
    printer.setPageLayout(QPageLayout(paper, QPageLayout.Orientation.Landscape if w > h else QPageLayout.Orientation.Portrait,
                                      QMarginsF(0, 0, 0, 0)))
    dpi = min(printer.resolution(), PRINT_DPI_MAX)
    pages = render_pages(pdf, dpi / 72.0)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("打印机无法开始打印")
    try:
        for i, img in enumerate(pages):
            if i:
                printer.newPage()
            target = painter.viewport()
            painter.drawImage(QRect(0, 0, target.width(), target.height()), img)
    finally:
        painter.end()
    return len(pages)


class LetterPreviewDialog(QDialog):
    """The letter of one firm, page by page. `load(key)` shows another firm's."""

    def __init__(self, session: Session, key: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("告知书预览与打印")
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(min(900, int(screen.width() * 0.9)), min(900, int(screen.height() * 0.94)))
        self.preview: Preview | None = None
        self.images: list[QImage] = []
        self.error = ""
        self.printed = 0  # pages sent by the last 打印
        self._printer: QPrinter | None = None
        self.result = session.result  # the firm list is of this result
        self.runner = TaskRunner("letter-preview", self)  # building and drawing: the newest wins
        self.print_runner = TaskRunner("letter-print", self)  # apart, so a zoom never drops a print
        self.zoom = 1.0
        self.stale_note = ""  # why the last 打印 / 另存 was refused (the preview was out of date)

        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("企业："))
        self.firm = QComboBox()
        self.firm.setEditable(True)  # type a few characters of the name or code to find the firm
        self.firm.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.firm.setMinimumContentsLength(28)
        for k, label in issued_firms(session):
            self.firm.addItem(label, k)
        completer = QCompleter(self.firm.model(), self.firm)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.firm.setCompleter(completer)
        top.addWidget(self.firm, 1)
        top.addSpacing(12)
        self.zoom_out = QPushButton("缩小")
        self.zoom_box = QComboBox()
        for z in ZOOMS:
            self.zoom_box.addItem(f"{round(z * 100)}%", z)
        self.zoom_box.setCurrentIndex(ZOOMS.index(1.0))
        self.zoom_in = QPushButton("放大")
        for w in (self.zoom_out, self.zoom_box, self.zoom_in):
            top.addWidget(w)
        lay.addLayout(top)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("hint")
        lay.addWidget(self.note)

        self.pages_host = QWidget()
        self.pages_host.setObjectName("previewPages")
        self.pages_host.setStyleSheet("QWidget#previewPages { background: #8a9099; }")
        self.pages_layout = QVBoxLayout(self.pages_host)
        self.pages_layout.setSpacing(16)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.pages_host)
        lay.addWidget(self.scroll, 1)

        bottom = QHBoxLayout()
        self.pages_label = QLabel()
        bottom.addWidget(self.pages_label, 1)
        self.print_button = QPushButton("打印…")
        self.print_button.setObjectName("primary")
        self.save_button = QPushButton("另存为 PDF…")
        self.close_button = QPushButton("关闭")
        for b in (self.print_button, self.save_button, self.close_button):
            bottom.addWidget(b)
        lay.addLayout(bottom)

        self.firm.activated.connect(lambda i: self.load(self.firm.itemData(i)))
        self.zoom_box.currentIndexChanged.connect(lambda i: self.set_zoom(ZOOMS[i]))
        self.zoom_out.clicked.connect(lambda: self.zoom_box.setCurrentIndex(max(0, self.zoom_box.currentIndex() - 1)))
        self.zoom_in.clicked.connect(
            lambda: self.zoom_box.setCurrentIndex(min(len(ZOOMS) - 1, self.zoom_box.currentIndex() + 1)))
        self.print_button.clicked.connect(lambda: self.print_letter())
        self.save_button.clicked.connect(lambda: self.save_pdf())
        self.close_button.clicked.connect(self.reject)
        self._enable(False)
        start = key if key is not None and self.firm.findData(key) >= 0 else (self.firm.itemData(0) if self.firm.count() else None)
        if key is not None and self.firm.findData(key) < 0:
            self.note.setText("所选企业不生成告知书（未参评，或数据问题尚未处理），下面显示第一家发放告知书的企业。")
        if start is None:
            self.note.setText("没有可生成告知书的企业。")
        else:
            self.load(start)

    @property
    def busy(self) -> bool:
        return self.runner.busy or self.print_runner.busy

    def first_key(self, key: str | None) -> str | None:
        """`key` when it gets a letter, else the first firm that does."""
        if key is not None and self.firm.findData(key) >= 0:
            return key
        return self.firm.itemData(0) if self.firm.count() else None

    def _enable(self, on: bool) -> None:
        for b in (self.print_button, self.save_button):
            b.setEnabled(on)

    # --- building and drawing -------------------------------------------------------------------
    def load(self, key: str) -> None:
        """Build `key`'s letter and draw its pages (in the worker)."""
        from evaluator.core.issues import InputError

        i = self.firm.findData(key)
        if i >= 0 and i != self.firm.currentIndex():
            self.firm.setCurrentIndex(i)
        self.preview, self.images, self.error = None, [], ""
        self._enable(False)
        self._show_pages()
        self.pages_label.setText("正在生成告知书…")
        try:
            build = _preview_job(self.session, key)
        except InputError as exc:
            self._failed(str(exc), "")
            return
        scale = self.zoom * SCREEN_DPI / 72.0 * self.devicePixelRatioF()

        def job(progress: Any, cancel: Any) -> tuple[Preview, list[QImage]]:
            p = build()
            return p, render_pages(p.pdf, scale)

        self.runner.start(job, self._built, self._failed)

    def _built(self, out: tuple[Preview, list[QImage]]) -> None:
        self.preview, self.images = out
        existing = self.note.text() if self.note.text().startswith("所选企业") else ""
        warn = f"<span style='color:#9b1c1c'>{self.stale_note}</span>" if self.stale_note else ""
        self.note.setText(" ".join(x for x in (warn, existing, self.preview.note) if x))
        self._enable(True)
        self._show_pages()

    def _failed(self, message: str, _tb: str) -> None:
        self.error = message
        self.pages_label.setText("")
        self.note.setText(f"<span style='color:#9b1c1c'>无法预览：{message}</span>")

    def set_zoom(self, zoom: float) -> None:
        """Redraw the pages at `zoom` (PDFium draws them sharp at every size)."""
        self.zoom = zoom
        if self.preview is None:
            return
        pdf, scale = self.preview.pdf, zoom * SCREEN_DPI / 72.0 * self.devicePixelRatioF()
        self.runner.start(lambda progress, cancel: render_pages(pdf, scale), self._redrawn, self._failed)

    def _redrawn(self, images: list[QImage]) -> None:
        self.images = images
        self._show_pages()

    def _show_pages(self) -> None:
        while self.pages_layout.count():
            item = self.pages_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        ratio = self.devicePixelRatioF()
        for img in self.images:
            pix = QPixmap.fromImage(img)
            pix.setDevicePixelRatio(ratio)
            page = QLabel()
            page.setPixmap(pix)
            page.setFrameShape(QFrame.Shape.Box)
            page.setStyleSheet("background: white; border: 1px solid #555;")
            self.pages_layout.addWidget(page, 0, Qt.AlignmentFlag.AlignHCenter)
        n = len(self.images)
        if n:
            self.pages_label.setText(f"共 {n} 页（{round(self.zoom * 100)}%）" + (f"　{self.preview.filename}" if self.preview else ""))

    # --- printing and saving --------------------------------------------------------------------
    def print_letter(self, printer: QPrinter | None = None) -> bool:
        """打印…: the printer dialog (in Chinese), then the pages drawn and sent in the worker (a
        letter at 300 dpi takes about half a second; Qt paints on a printer from any thread). With
        `printer` given, no dialog. True when printing started; `printed` says the pages sent."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self.preview is None:
            return False
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setDocName(self.preview.filename)
            dlg = QPrintDialog(printer, self)
            dlg.setWindowTitle("打印告知书")
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return False
        if not self._issue("打印机"):
            return False
        self._printer = printer  # kept alive until the job ends
        pdf = self.preview.pdf
        self.printed = 0
        self.print_button.setEnabled(False)
        self.pages_label.setText("正在打印…")
        self.print_runner.start(lambda progress, cancel: print_pdf(pdf, printer), self._printed, self._print_failed)
        return True

    def _issue(self, where: str) -> bool:
        """Before a letter leaves the preview (打印, 另存为 PDF): it must still be the letter the export
        would write now (same result, settings and 文号), and a 文号 the firm did not have goes into
        the project's register, so a later batch keeps it for this firm instead of printing it on
        another firm's letter. One 导出 audit entry. False, and said why, when the preview is stale."""
        from evaluator.outputs.doc_numbers import allocate
        from evaluator.outputs.settings import read_settings_state
        from evaluator.project.model import now_text

        p = self.preview
        if p is None:
            return False
        project = self.session.project
        state = read_settings_state()
        allocation = allocate(project.doc_numbers, [p.key], state.settings, p.fingerprint, now_text()) \
            if p.serial is not None and state.usable else None
        if self.session.result is not self.result:
            stale = "评价结果已变化（数据、方案或复核有改动），预览中的告知书已过时，请关闭本窗口后重新预览。"
        elif not state.usable or state.settings != p.settings or (
                allocation is not None and allocation.serials.get(p.key) != p.serial):
            stale = "输出设置或告知书文号登记已变化，已按当前设置和登记重新生成预览，请核对后再打印或另存。"
            self.load(p.key)
        else:
            stale = ""
        if stale:
            self.stale_note = stale  # kept above the rebuilt preview's own note
            self.note.setText(f"<span style='color:#9b1c1c'>{stale}</span>")
            return False
        self.stale_note = ""
        if allocation is not None and allocation.new:
            self.session.record_doc_numbers(allocation, "告知书预览")
        self.session.record_export("告知书", "1 份（预览中打印或另存）", where, p.fingerprint, p.stage)
        return True

    def _printed(self, n: int) -> None:
        self.printed = n
        self.print_button.setEnabled(self.preview is not None)
        self.pages_label.setText(f"已送往打印机：{n} 页。")

    def _print_failed(self, message: str, _tb: str) -> None:
        self.print_button.setEnabled(self.preview is not None)
        self.pages_label.setText("")
        self.note.setText(f"<span style='color:#9b1c1c'>打印失败：{message}</span>")
        if self.isVisible():
            QMessageBox.warning(self, "打印告知书", f"打印失败：{message}")

    def save_pdf(self, path: Path | None = None) -> Path | None:
        """另存为 PDF…: the very bytes shown (the letter the export would write)."""
        from evaluator.core.atomic import write_bytes_atomic
        from ..user_config import start_folder

        if self.preview is None:
            return None
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, "另存告知书", str(Path(start_folder("letters")) / self.preview.filename),
                                                  "PDF 文件 (*.pdf)")
            if not name:
                return None
            path = Path(name)
        if not self._issue(str(Path(path).parent)):
            return None
        try:
            write_bytes_atomic(Path(path), self.preview.pdf)
        except OSError as exc:
            if self.isVisible():
                QMessageBox.warning(self, "另存告知书", f"无法保存 {path}（{exc.strerror or exc}）")
            return None
        return Path(path)


def show_letter_preview(session: Session, key: str | None = None, parent: QWidget | None = None,
                        modal: bool = False) -> LetterPreviewDialog:
    """Open the preview of `key`'s letter (default: the first letter issued); any page may call it.
    The open preview is reused while it lists the current result."""
    from shiboken6 import isValid

    dlg = getattr(session, "_letter_preview", None)  # one preview per session
    if dlg is not None and not isValid(dlg):
        dlg = None
    if dlg is not None and dlg.result is session.result:
        if key is not None or dlg.preview is None:
            target = dlg.first_key(key)
            if target is not None:
                dlg.load(target)
    else:
        if dlg is not None and not dlg.busy:
            dlg.deleteLater()  # a busy one is left to finish (it is hidden and no longer used)
        dlg = LetterPreviewDialog(session, key, parent)
        session._letter_preview = dlg  # type: ignore[attr-defined]
    if modal:
        dlg.exec()
    else:
        dlg.show()
        dlg.raise_()
    return dlg


__all__: Sequence[str] = ("LetterPreviewDialog", "build_preview", "print_pdf", "render_pages", "show_letter_preview")
