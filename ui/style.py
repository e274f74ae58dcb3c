"""Look and feel in one place: the Chinese-capable font, tier colours, level colours, the stylesheet.

Officials print screenshots and read the table for hours, so colours are soft backgrounds with
dark text (readable on a projector and in greyscale print), and every widget uses a font that has
CJK glyphs: on Windows 微软雅黑, elsewhere WenQuanYi / Noto CJK, listed as fallbacks so Qt picks
the first one installed instead of drawing boxes. The fonts shipped in templates/fonts/ (the same
ones the letters embed) are registered once at start, so a machine without any Chinese system font
still shows Chinese.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontMetricsF
from PySide6.QtWidgets import QApplication, QTableView

from evaluator.core.paths import templates_dir

FONT_FAMILIES: tuple[str, ...] = (
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "SimSun",
)
log = logging.getLogger(__name__)

# Tier colours: (background, text). A green, B blue, C amber, D red; soft so text stays readable.
TIER_COLOURS: dict[str, tuple[str, str]] = {
    "A+": ("#cdebd0", "#14532d"),
    "A": ("#dcf2dd", "#1b5e20"),
    "B": ("#dceafb", "#0d47a1"),
    "C": ("#fff0cc", "#7a4f00"),
    "D": ("#fddcdc", "#9b1c1c"),
}
LEVEL_COLOURS: dict[str, tuple[str, str]] = {
    "error": ("#fddcdc", "#9b1c1c"),
    "warning": ("#fff0cc", "#7a4f00"),
    "info": ("", "#455a64"),
    "corrected": ("#e8f5e9", "#2e7d32"),  # settled by a correction: listed, no longer open
}
HEADER_ROW_BG = "#d6e4f5"  # detected header rows in the raw preview
UNIT_ROW_BG = "#ece6f6"  # unit / column-number rows between header and data
DATA_START_BG = "#e3f4e1"  # the first data row
BEFORE_HEADER_FG = "#8a8f98"  # titles and unit lines above the header
ACCENT = "#1f5fa8"

# The 字号 setting (视图 → 字号): points added to the platform's standard size, applied app-wide.
FONT_SIZES: dict[str, tuple[str, float]] = {"standard": ("标准", 0.0), "large": ("较大", 2.0), "xlarge": ("特大", 4.0)}
FONT_SIZE_PROPERTY = "mujunFontSize"  # the application property holding the current setting

STYLESHEET_TEMPLATE = """
QListWidget#navigation {{
    background: #f3f5f8; border: none; border-right: 1px solid #d8dde4; font-size: {nav}px; outline: 0;
}}
QListWidget#navigation::item {{ padding: 12px 14px; color: #2b3440; }}
QListWidget#navigation::item:selected {{ background: #dce7f5; color: {accent}; border-left: 4px solid {accent}; }}
QLabel#pageTitle {{ font-size: {title}px; font-weight: bold; color: #1d2733; padding: 2px 0 6px 0; }}
QLabel#hint {{ color: #5f6b7a; }}
QLabel#error {{ color: #9b1c1c; background: #fde8e8; border: 1px solid #f3b4b4; padding: 6px; border-radius: 3px; }}
QLabel#ok {{ color: #1b5e20; }}
QFrame#card {{ background: #ffffff; border: 1px solid #dfe3e8; border-radius: 4px; }}
QLabel#bigNumber {{ font-size: {big}px; font-weight: bold; color: #1d2733; }}
QTableView {{ gridline-color: #e4e7eb; selection-background-color: #bcd4f0; selection-color: #000000; }}
QHeaderView::section {{ background: #f1f3f6; padding: 4px; border: none; border-right: 1px solid #dde1e6;
                        border-bottom: 1px solid #cfd5dc; font-weight: bold; }}
QPushButton {{ padding: 5px 12px; }}
QPushButton#primary {{ background: {accent}; color: white; border-radius: 3px; padding: 6px 16px; font-weight: bold; }}
QPushButton#primary:disabled {{ background: #9db3cf; }}
QGroupBox {{ font-weight: bold; margin-top: 10px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
"""


def stylesheet(scale: float = 1.0) -> str:
    """The app's stylesheet with its pixel font sizes (navigation, page titles) times `scale`."""
    return STYLESHEET_TEMPLATE.format(nav=round(15 * scale), title=round(18 * scale), big=round(22 * scale),
                                      accent=ACCENT)



def tier_palette(labels_by_population: Iterable[Sequence[str]]) -> dict[str, str]:
    """Tier code → the key of its colour in `TIER_COLOURS`, by the tier's place in the scheme:
    the top tier green, the bottom red, those between blue then amber, whatever the codes
    (甲乙丙丁 as A–D). Schemes whose codes are all coloured keep their own (A+, A … D)."""
    out: dict[str, str] = {}
    for labels in labels_by_population:
        labels = list(labels)
        if all(lab in TIER_COLOURS for lab in labels):
            out.update({lab: lab for lab in labels if lab not in out})
            continue
        steps = ("A", "B", "C", "D")
        last = max(len(labels) - 1, 1)
        for i, lab in enumerate(labels):
            out.setdefault(lab, steps[round(i * 3 / last)])
    return out


@functools.cache
def register_shipped_fonts(folder: Path | None = None) -> tuple[str, ...]:
    """Add templates/fonts/*.ttf|ttc to Qt's font database; the families they provide, Hei first.

    The Hei (sans) family reads best on screen, so it leads; Song follows as a fallback. A file Qt
    cannot load is skipped (logged): the system fonts in FONT_FAMILIES still apply.
    """
    folder = folder or templates_dir() / "fonts"
    found: list[str] = []
    for path in sorted(folder.glob("*")):
        if path.suffix.lower() not in (".ttf", ".ttc", ".otf"):
            continue
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("font not loaded: %s", path)
            continue
        found += [f for f in QFontDatabase.applicationFontFamilies(font_id) if f not in found]
    return tuple(sorted(found, key=lambda f: "Hei" not in f))


def available_cjk_family() -> str:
    """The first installed family from FONT_FAMILIES ('' if none, e.g. a bare container)."""
    installed = set(QFontDatabase.families())
    for fam in FONT_FAMILIES:
        if fam in installed:
            return fam
    return ""


def apply_style(app: QApplication, font_size: str | None = None) -> None:
    """App-wide font (with CJK fallbacks), 字号 setting and stylesheet; call once after creating the app."""
    app.setStyle("Fusion")
    font = QFont(app.font())
    shipped = register_shipped_fonts()
    families = list(FONT_FAMILIES) + [f for f in shipped if f not in FONT_FAMILIES]
    first = available_cjk_family()
    if first:
        families.remove(first)
        families.insert(0, first)
    font.setFamilies(families)
    font.setPointSizeF(base_point_size())
    app.setFont(font)
    apply_font_size(app, font_size)


def base_point_size() -> float:
    """The 标准 size: 10.5 pt on Windows (微软雅黑 reads small), 10 pt elsewhere."""
    return 10.5 if sys.platform == "win32" else 10.0


def font_size_key(app: QApplication | None = None) -> str:
    """The current 字号 setting ("standard", "large", "xlarge")."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    key = app.property(FONT_SIZE_PROPERTY) if app is not None else None
    return key if key in FONT_SIZES else "standard"


def font_scale(app: QApplication | None = None) -> float:
    """Current font size ÷ the 标准 size, for the few widths the layout fixes in pixels."""
    base = base_point_size()
    return (base + FONT_SIZES[font_size_key(app)][1]) / base


def apply_font_size(app: QApplication, key: str | None) -> None:
    """Set the 字号 (`FONT_SIZES` key; anything else means 标准) on the whole app at once.

    Widgets follow the application font by themselves; table rows were sized from the font when
    the table was made, so every table's row height (and a header's fixed minimum) is scaled by
    the same factor as the text."""
    key = key if key in FONT_SIZES else "standard"
    old = QFontMetricsF(app.font()).height()
    font = QFont(app.font())
    font.setPointSizeF(base_point_size() + FONT_SIZES[key][1])
    app.setProperty(FONT_SIZE_PROPERTY, key)
    app.setFont(font)
    app.setStyleSheet(stylesheet(font_scale(app)))
    ratio = QFontMetricsF(font).height() / old if old > 0 else 1.0
    if abs(ratio - 1.0) < 1e-6:
        return
    for w in app.allWidgets():
        if isinstance(w, QTableView):
            vh = w.verticalHeader()
            vh.setDefaultSectionSize(max(18, round(vh.defaultSectionSize() * ratio)))
            hh = w.horizontalHeader()
            if hh.minimumHeight() > 0:
                hh.setMinimumHeight(round(hh.minimumHeight() * ratio))
