"""Qt's own texts in Chinese: message-box buttons, text-box context menus, file dialogs.

Qt draws some texts itself — 是/否 instead of Yes/No on a question, 保存/不保存/取消, 确定, the
right-click menu of every text box (撤销/重做/剪切/复制/粘贴), the parts of the file dialog — and
shows them in English unless a translator for Qt's own catalogue is installed. PySide6 ships
`qtbase_zh_CN.qm` in its translations folder (`QLibraryInfo.path(TranslationsPath)`; the
packaged app keeps exactly these files, see packaging/qt_filter.py), so it is loaded at start.

File dialogs: on Windows and macOS the system's own dialog is already in the system language. On
Linux the "native" dialog is whatever the desktop provides (often an untranslated GTK or portal
dialog on a bare system), so there the app uses Qt's own dialog, which the catalogue translates.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, Qt, QTranslator

log = logging.getLogger(__name__)

LOCALE = "zh_CN"
CATALOGUES = ("qtbase", "qt")  # qtbase first; qt_zh_CN is the older meta-catalogue (same texts, fallback)


# Source texts newer than Qt's zh_CN catalogue (it has "Look in:" but not "&Look in:").
SUPPLEMENT: dict[tuple[str, str], str] = {
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
}


class _Supplement(QTranslator):
    """The few texts of Qt's own dialogs the shipped catalogue misses (checked by the tests)."""

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str | None:  # type: ignore[override]
        return SUPPLEMENT.get((context, source))  # None: not ours, the next translator is asked

    def isEmpty(self) -> bool:  # noqa: N802 (Qt API)
        return False


def translations_dirs() -> list[Path]:
    """Where Qt's .qm files are: Qt's own folder, and beside a frozen bundle's PySide6."""
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    base = getattr(sys, "_MEIPASS", None)
    if base:
        dirs.append(Path(base) / "PySide6" / "Qt" / "translations")
        dirs.append(Path(base) / "PySide6" / "translations")
    return dirs


def install_qt_translations(app: QCoreApplication) -> list[str]:
    """Install Qt's zh_CN catalogues on `app`; returns the files loaded (empty: none found)."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    loaded: list[str] = []
    translators: list[QTranslator] = getattr(app, "_mujun_translators", [])
    for name in CATALOGUES:
        for d in translations_dirs():
            path = d / f"{name}_{LOCALE}.qm"
            if not path.is_file():
                continue
            tr = QTranslator(app)
            if tr.load(str(path)) and app.installTranslator(tr):
                translators.append(tr)
                loaded.append(str(path))
                break
    if loaded:
        extra = _Supplement(app)
        if app.installTranslator(extra):  # installed last, so asked first
            translators.append(extra)
    app._mujun_translators = translators  # type: ignore[attr-defined]  # a translator must outlive its use
    if not loaded:
        log.warning("Qt's Chinese translations (qtbase_%s.qm) not found in %s", LOCALE,
                    ", ".join(str(d) for d in translations_dirs()))
    if sys.platform.startswith("linux"):
        # Qt's own (translated) file dialog instead of an untranslated desktop one.
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    return loaded


def remove_qt_translations(app: QCoreApplication) -> None:
    """Undo `install_qt_translations` (tests)."""
    for tr in getattr(app, "_mujun_translators", []):
        app.removeTranslator(tr)
    app._mujun_translators = []  # type: ignore[attr-defined]
